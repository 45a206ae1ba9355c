//! idgate's test kit, shared by every crate's integration tests (a dev-dependency only):
//! a real idgate (HTTP server, database, jobs) on a loopback port, one per test, on the
//! database the run selects (SQLite, or PostgreSQL with `IDGATE_TEST_DB=postgres`, one schema
//! per test); partners with their credentials; a webhook receiver; result-token checks as a
//! partner makes them; and a real OpenID Provider ([`oidc`]).

pub mod mail;
pub mod oidc;
pub mod receiver;
pub mod sms_gateway;

pub use receiver::Receiver;

use idgate_core::{CredentialKind, ReturnUrlStatus, Tier};
use idgate_hub::Hub;
use idgate_server::Settings;
use idgate_server::startup::{self, RunningServer};
use reqwest::header::{HeaderMap, HeaderValue};
use serde_json::{Value, json};
use std::sync::Arc;

#[derive(Debug)]
pub struct TestApp {
    pub base: String,
    pub hub: Arc<Hub>,
    pub server: Option<RunningServer>,
    pub client: reqwest::Client,
    pub dir: tempfile::TempDir,
    /// The built-in BankID simulator, when the settings use it.
    pub bankid: Option<Arc<idgate_server::simulators::bankid::Simulator>>,
}

/// A partner's credentials: EasyFreelance, Hopae and a Veriff integration.
#[derive(Clone, Debug)]
pub struct Partner {
    pub id: String,
    pub token: String,
    pub api_key: String,
    pub client_id: String,
    pub client_secret: String,
    /// Veriff `X-AUTH-CLIENT`.
    pub veriff_key: String,
    /// Veriff shared secret (signs requests and answers).
    pub veriff_secret: String,
    /// deepidv `x-api-key`.
    pub deepidv_key: String,
    /// Hopae workspace key (`Bearer sk_workspace_…`).
    pub workspace_key: String,
}

impl Partner {
    pub fn headers(&self) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("authorization", header(&format!("Bearer {}", self.token)));
        h.insert("api-key", header(&self.api_key));
        h
    }
}

fn header(v: &str) -> HeaderValue {
    HeaderValue::from_str(v).unwrap_or_else(|e| panic!("{e}"))
}

/// The test PostgreSQL server (`IDGATE_TEST_POSTGRES_URL`, default the local `test` database).
pub fn postgres_url() -> String {
    std::env::var("IDGATE_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

/// Waits until at least `secs` seconds are left in the current UTC minute, so a test's
/// creations fall in one window of the per-minute session cap.
pub async fn room_in_this_minute(secs: u32) {
    let second = chrono::Timelike::second(&chrono::Utc::now());
    if second + secs >= 60 {
        tokio::time::sleep(std::time::Duration::from_secs(u64::from(61 - second))).await;
    }
}

/// An HTTP client that behaves like a browser: a cookie jar (provider round trips are bound
/// to the browser that started them) and no automatic redirects, so tests see each hop.
/// Connections are not kept for reuse: the server may close an idle keep-alive connection
/// (after `server.header_read_timeout`, 10 s) at the moment a client reuses it, which a
/// browser answers by retrying and reqwest, for a POST, by failing the test. Chromium tests
/// still exercise keep-alive.
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .pool_max_idle_per_host(0)
        .build()
        .unwrap_or_else(|e| panic!("{e}"))
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("{e}"))
}

/// Whether this run is the PostgreSQL pass (`IDGATE_TEST_DB=postgres`).
pub fn on_postgres() -> bool {
    std::env::var("IDGATE_TEST_DB").as_deref() == Ok("postgres")
}

/// The database the integration suite runs on: SQLite by default, PostgreSQL when
/// `IDGATE_TEST_DB=postgres` (then each test directory gets its own schema).
pub fn database(dir: &std::path::Path) -> Value {
    let pool = json!({ "max_connections": 5, "acquire_timeout": "10s", "statement_timeout": "10s", "write_attempts": 3 });
    let mut db = match on_postgres() {
        true => json!({
            "url": postgres_url(),
            "schema": schema_for(dir),
        }),
        false => json!({ "url": format!("sqlite://{}/idgate.db", dir.display()) }),
    };
    if let (Some(db), Some(pool)) = (db.as_object_mut(), pool.as_object()) {
        db.extend(pool.clone());
    }
    db
}

/// A schema name derived from the test's temporary directory (same directory, same schema).
pub fn schema_for(dir: &std::path::Path) -> String {
    let name: String = dir
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    format!("idgt_{name}")
}

pub fn settings(dir: &std::path::Path, public_url: &str) -> Settings {
    let value = json!({
        "server": { "listen": "127.0.0.1:0", "public_url": public_url, "log_format": "text" },
        "database": database(dir),
        "keys": { "file": dir.join("idgate.keys") },
        "sessions": { "lifetime": "7d", "result_token_lifetime": "5m", "expiry_interval": "1h", "expiry_lease": "60s" },
        "api": { "test_mode": true, "credential_cache_ttl": "30s" },
        "demo": { "partner": false },
        "providers": {
            "veriff": { "adapter": "sandbox", "label": "Veriff (sandbox)" },
            // The real Veriff adapter against this idgate's own Veriff API (the sandbox behind).
            "veriff-upstream": { "adapter": "veriff", "label": "Veriff (simulated upstream)", "base_url": "{public_url}/v1" },
            "bankid": { "adapter": "sandbox", "label": "BankID (sandbox)" },
            "sandbox-qr": { "adapter": "sandbox_qr", "label": "QR eID (sandbox)", "max_loa": 4 },
            "sandbox-push": { "adapter": "sandbox_push", "label": "Push eID (sandbox)", "max_loa": 3 },
            "sandbox-match": { "adapter": "sandbox_match", "label": "Registry match (sandbox)", "max_loa": 2 },
            "eid-simulator": {
                "adapter": "oidc", "label": "Test eID (OIDC simulator)",
                "issuer": "{public_url}/simulators/oidc",
                "client_id": "idgate-simulator", "client_secret": "idgate-simulator-secret",
                "scopes": ["profile", "eid"], "id_token_algs": ["EdDSA"],
                "claims": ["name", "given_name", "family_name", "birthdate", "personal_identity_number", "country"],
                "acr_values": {"2": "http://eidas.europa.eu/LoA/low", "3": "http://eidas.europa.eu/LoA/substantial", "4": "http://eidas.europa.eu/LoA/high"},
                "acr_loa": {"http://eidas.europa.eu/LoA/low": 2, "http://eidas.europa.eu/LoA/substantial": 3, "http://eidas.europa.eu/LoA/high": 4}
            }
        },
        "dialects": {
            "easyfreelance": { "providers": { "veriff": "veriff", "bankid": "bankid" } },
            // deepidv's per-key limits are off like the others (tests/it/deepidv_api.rs sets them).
            "deepidv": { "provider": "veriff", "requests_per_second": 0, "requests_per_day": 0 }
        },
        "webhooks": {
            "schedule": ["0s", "200ms", "200ms", "200ms"],
            "jitter": 0.0, "max_retry_after": "2s", "rotation_overlap": "24h",
            "disable_after": "5d", "claim_lease": "10s", "poll_interval": "100ms", "concurrency": 4,
            "per_endpoint_in_flight": 2, "max_endpoints_per_partner": 25
        },
        "outbound": { "connect_timeout": "2s", "timeout": "5s", "allow_private": ["127.0.0.0/8"] },
        // Tests send bursts from one address with one credential: the request limits are off
        // unless a test sets them (tests/it/quotas.rs).
        "limits": {
            "credential_per_second": 0, "credential_burst": 0,
            "client_per_second": 0, "client_burst": 0,
            "provider_exchanges_per_session": 5
        }
    });
    serde_json::from_value(value).unwrap_or_else(|e| panic!("settings: {e}"))
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        Self::spawn_in(dir).await
    }

    pub async fn spawn_in(dir: tempfile::TempDir) -> TestApp {
        Self::spawn_adjusted(dir, |_| {}).await
    }

    /// A TestApp whose settings `adjust` changes before it starts.
    pub async fn spawn_with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        Self::spawn_adjusted(dir, adjust).await
    }

    /// A TestApp with `adapters` registered beside the configured providers.
    pub async fn spawn_with_adapters(
        adapters: Vec<Arc<dyn idgate_providers::Provider>>,
    ) -> TestApp {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        Self::spawn_full(dir, |_| {}, adapters).await
    }

    /// A TestApp in `dir` (a restart on the same database) whose settings `adjust` changes.
    pub async fn spawn_adjusted(
        dir: tempfile::TempDir,
        adjust: impl FnOnce(&mut Settings),
    ) -> TestApp {
        Self::spawn_full(dir, adjust, Vec::new()).await
    }

    async fn spawn_full(
        dir: tempfile::TempDir,
        adjust: impl FnOnce(&mut Settings),
        adapters: Vec<Arc<dyn idgate_providers::Provider>>,
    ) -> TestApp {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
        let base = format!("http://{addr}");
        let mut settings = settings(dir.path(), &base);
        adjust(&mut settings);
        let opened = startup::open_with(settings, &idgate::Engines, adapters)
            .await
            .unwrap_or_else(|e| panic!("open: {e}"));
        let server = startup::serve(&opened, listener)
            .await
            .unwrap_or_else(|e| panic!("serve: {e}"));
        let client = browser();
        TestApp {
            base,
            hub: opened.hub.clone(),
            bankid: opened.bankid.clone(),
            server: Some(server),
            client,
            dir,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn stop(mut self) -> tempfile::TempDir {
        if let Some(server) = self.server.take() {
            server.stop().await;
        }
        self.dir
    }

    pub async fn partner(&self, name: &str) -> Partner {
        let (p, credentials) = self
            .hub
            .create_partner(name, Tier::Enterprise)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let secret = |kind: CredentialKind, field: &str| {
            credentials
                .iter()
                .find(|c| c.kind == kind)
                .and_then(|c| c.secret(field))
                .unwrap_or_default()
                .to_owned()
        };
        Partner {
            id: p.id.to_string(),
            token: secret(CredentialKind::EasyFreelance, "access_token"),
            api_key: secret(CredentialKind::EasyFreelance, "api_key"),
            client_id: secret(CredentialKind::Hopae, "client_id"),
            client_secret: secret(CredentialKind::Hopae, "client_secret"),
            veriff_key: secret(CredentialKind::Veriff, "api_key"),
            veriff_secret: secret(CredentialKind::Veriff, "shared_secret"),
            deepidv_key: secret(CredentialKind::DeepIdv, "api_key"),
            workspace_key: secret(CredentialKind::HopaeWorkspace, "workspace_key"),
        }
    }

    /// Gives the partner its own cap on session creations per minute (tier custom).
    pub async fn set_session_cap(&self, partner: &Partner, per_minute: u32) {
        let change = idgate_hub::service::partners::PartnerChange {
            tier: Some(Tier::Custom),
            session_cap: Some(Some(per_minute)),
            ..Default::default()
        };
        let id = partner.id.parse().unwrap_or_else(|e| panic!("{e}"));
        self.hub
            .update_partner(id, change)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }

    /// A partner with `url` registered over the API and approved by an operator.
    pub async fn partner_with_return_url(&self, name: &str, url: &str) -> Partner {
        let partner = self.partner(name).await;
        let (status, body) = self
            .post(
                &partner,
                "/api/v1/verification-return-urls",
                json!({ "partner_return_url": url }),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        let id = body["id"]
            .as_str()
            .unwrap_or_default()
            .parse()
            .unwrap_or_else(|e| panic!("{e}"));
        self.hub
            .decide_return_url(id, ReturnUrlStatus::Approved)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        partner
    }

    pub async fn post(&self, partner: &Partner, path: &str, body: Value) -> (u16, Value) {
        let r = self
            .client
            .post(self.url(path))
            .headers(partner.headers())
            .json(&body)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e:?}"));
        read(r).await
    }

    pub async fn patch(&self, partner: &Partner, path: &str, body: Value) -> (u16, Value) {
        let r = self
            .client
            .patch(self.url(path))
            .headers(partner.headers())
            .json(&body)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e:?}"));
        read(r).await
    }

    /// A Hopae Connect call with the partner's Basic credentials.
    pub async fn hopae(
        &self,
        partner: &Partner,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut request = self
            .client
            .request(method, self.url(&format!("/connect/v1{path}")))
            .basic_auth(&partner.client_id, Some(&partner.client_secret));
        if let Some(body) = body {
            request = request.json(&body);
        }
        read(request.send().await.unwrap_or_else(|e| panic!("{e:?}"))).await
    }

    /// A Hopae verification at `provider` returning to `redirect_uri` (asserted created):
    /// its `verificationId` and its hosted URL (`flowDetails.authorizationUrl`).
    pub async fn hopae_verification(
        &self,
        partner: &Partner,
        provider: &str,
        redirect_uri: &str,
    ) -> (String, String) {
        let body = json!({ "providerId": provider, "redirectUri": redirect_uri });
        let (status, created) = self
            .hopae(partner, reqwest::Method::POST, "/verifications", Some(body))
            .await;
        assert_eq!(status, 201, "{created}");
        let url = created["flowDetails"]["authorizationUrl"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        (text(&created, "verificationId"), url)
    }

    /// A Hopae verification's status word.
    pub async fn hopae_status(&self, partner: &Partner, id: &str) -> String {
        let (_, body) = self
            .hopae(
                partner,
                reqwest::Method::GET,
                &format!("/verifications/{id}"),
                None,
            )
            .await;
        text(&body, "status")
    }

    pub async fn get(&self, partner: &Partner, path: &str) -> (u16, Value) {
        let r = self
            .client
            .get(self.url(path))
            .headers(partner.headers())
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e:?}"));
        read(r).await
    }

    /// Creates a flow and returns the create response.
    pub async fn create_flow(&self, partner: &Partner, provider: &str, return_url: &str) -> Value {
        let (status, body) = self
            .post(
                partner,
                "/api/v1/users/42/verification/flows",
                json!({ "provider": provider, "id_type": "local", "partner_return_url": return_url }),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        body
    }
}

/// The `Location` header of an answer (empty when absent).
pub fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// A string member of a JSON answer (empty when absent).
pub fn text(v: &Value, key: &str) -> String {
    v[key].as_str().unwrap_or_default().to_owned()
}

pub async fn read(r: reqwest::Response) -> (u16, Value) {
    let status = r.status().as_u16();
    let text = r.text().await.unwrap_or_default();
    let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, value)
}

/// The query parameters of a URL.
pub fn query(url: &str) -> std::collections::BTreeMap<String, String> {
    url::Url::parse(url)
        .map(|u| u.query_pairs().into_owned().collect())
        .unwrap_or_default()
}

/// Verifies a result token as a partner would: against the published JWKS.
pub async fn verify_result_token(app: &TestApp, token: &str, partner_id: &str) -> Value {
    let jwks: jsonwebtoken::jwk::JwkSet = app
        .client
        .get(app.url("/.well-known/jwks.json"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"))
        .json()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let header = jsonwebtoken::decode_header(token).unwrap_or_else(|e| panic!("{e}"));
    let jwk = header
        .kid
        .as_deref()
        .and_then(|kid| jwks.find(kid))
        .unwrap_or_else(|| panic!("no key for {:?}", header.kid));
    let key = jsonwebtoken::DecodingKey::from_jwk(jwk).unwrap_or_else(|e| panic!("{e}"));
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::EdDSA);
    validation.set_issuer(&[app.base.as_str()]);
    validation.set_audience(&[partner_id]);
    jsonwebtoken::decode::<Value>(token, &key, &validation)
        .unwrap_or_else(|e| panic!("result token does not verify: {e}"))
        .claims
}
