//! idgate's configuration, after layering (embedded defaults → `idgate.toml` → `IDGATE_*`
//! environment → flags, done by the CLI) and validation.

use idgate_core::UrlPolicy;
use idgate_providers::ProviderConfig;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub keys: KeySettings,
    pub sessions: SessionSettings,
    pub api: ApiSettings,
    pub demo: DemoSettings,
    pub providers: BTreeMap<String, ProviderConfig>,
    pub dialects: DialectSettings,
    pub webhooks: WebhookSettings,
    pub outbound: OutboundSettings,
    pub limits: LimitSettings,
    /// Invitations to applicants (deepidv's email and SMS invites); off until configured.
    #[serde(default)]
    pub invites: InviteSettings,
    /// The operator console.
    #[serde(default)]
    pub console: ConsoleSettings,
}

/// The operator console (`/console`).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConsoleSettings {
    pub sso: ConsoleSsoSettings,
}

/// Single sign-on to the console through the company's OpenID Provider (Keycloak, Entra ID,
/// Google Workspace, Okta …): the authorization code flow with PKCE, as a confidential
/// client whose redirect URI is `{public_url}/console/sso/callback`. An operator signs in
/// this way once linked to their subject (`idgate operator sso NAME --subject SUB`). Off
/// while `issuer` is empty.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConsoleSsoSettings {
    /// The issuer (discovery at `{issuer}/.well-known/openid-configuration`).
    pub issuer: String,
    pub client_id: String,
    /// Better set as `IDGATE_CONSOLE__SSO__CLIENT_SECRET`.
    pub client_secret: String,
    pub client_auth: idgate_providers::oidc::ClientAuth,
    /// On the sign-in page's button: "Sign in with {label}".
    pub label: String,
    /// Scopes besides `openid`.
    pub scopes: Vec<String>,
    /// Asked for as `acr_values`; when any is set, the ID token's `acr` must be one of them
    /// (e.g. the provider's multi-factor level).
    pub acr_values: Vec<String>,
    /// Accepted ID-token signature algorithms.
    pub id_token_algs: Vec<String>,
}

impl Default for ConsoleSsoSettings {
    fn default() -> Self {
        ConsoleSsoSettings {
            issuer: String::new(),
            client_id: String::new(),
            client_secret: String::new(),
            client_auth: idgate_providers::oidc::ClientAuth::default(),
            label: "single sign-on".into(),
            scopes: Vec::new(),
            acr_values: Vec::new(),
            id_token_algs: ["RS256", "PS256", "ES256"].map(String::from).to_vec(),
        }
    }
}

impl ConsoleSsoSettings {
    pub fn enabled(&self) -> bool {
        !self.issuer.is_empty()
    }

    /// The relying party's registration at the provider.
    pub fn registration(&self) -> idgate_providers::oidc::Registration {
        idgate_providers::oidc::Registration {
            issuer: self.issuer.clone(),
            client_id: self.client_id.clone(),
            client_secret: self.client_secret.clone(),
            client_auth: self.client_auth,
            algorithms: self.id_token_algs.clone(),
        }
    }
}

/// How invites reach applicants. A channel without its server (`email.host`,
/// `sms.base_url`) is off: its invites are recorded as skipped.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct InviteSettings {
    /// Waits before the 2nd, 3rd … attempt after temporary failures; after the last, the
    /// invite has failed (the session goes on).
    pub retry: Vec<String>,
    /// How long a node's claim on an invite lasts (a dead node's invites are tried again
    /// after it).
    pub claim_lease: String,
    /// How often each node looks for due invites when no new session wakes it.
    pub poll_interval: String,
    pub email: EmailInviteSettings,
    pub sms: SmsInviteSettings,
}

impl Default for InviteSettings {
    fn default() -> Self {
        InviteSettings {
            retry: ["30s", "2m", "10m", "1h", "4h"].map(String::from).to_vec(),
            claim_lease: "60s".into(),
            poll_interval: "1s".into(),
            email: EmailInviteSettings::default(),
            sms: SmsInviteSettings::default(),
        }
    }
}

/// How the SMTP connection is secured.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// Plain connection upgraded with STARTTLS, required (port 587).
    #[default]
    Starttls,
    /// TLS from the first byte (port 465).
    Implicit,
    /// No TLS: only for a relay on this host.
    None,
}

/// The SMTP server invite emails go through.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EmailInviteSettings {
    /// The server's host name (also the name its certificate must carry); empty: email
    /// invites are off.
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    /// A PEM file of the CA to trust instead of the system's (a private mail relay).
    pub ca_file: String,
    /// Empty: no authentication.
    pub username: String,
    /// Better set as `IDGATE_INVITES__EMAIL__PASSWORD`.
    pub password: String,
    /// The sender, e.g. `Example Verification <verify@example.com>`.
    pub from: String,
    /// Connecting and each SMTP command.
    pub timeout: String,
}

impl Default for EmailInviteSettings {
    fn default() -> Self {
        EmailInviteSettings {
            host: String::new(),
            port: 587,
            tls: SmtpTls::Starttls,
            ca_file: String::new(),
            username: String::new(),
            password: String::new(),
            from: String::new(),
            timeout: "15s".into(),
        }
    }
}

/// The SMS gateway invite texts go through: Twilio's Programmable Messaging API
/// (`POST {base_url}/2010-04-01/Accounts/{account_sid}/Messages.json`), or a gateway that
/// speaks it.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SmsInviteSettings {
    /// `https://api.twilio.com`; empty: SMS invites are off.
    pub base_url: String,
    pub account_sid: String,
    /// Better set as `IDGATE_INVITES__SMS__AUTH_TOKEN`.
    pub auth_token: String,
    /// The sender: a phone number in E.164 or an alphanumeric sender id.
    pub from: String,
    /// A Messaging Service to send from instead of `from`.
    pub messaging_service_sid: String,
}

/// Request limits (see the README's Security section). A rate of 0 switches that limit off.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitSettings {
    /// API requests per second per partner credential, per node (token bucket).
    pub credential_per_second: u32,
    /// Requests a credential may send at once before the rate applies.
    pub credential_burst: u32,
    /// Requests per second per client address to the hosted pages and provider callbacks,
    /// per node (IPv6 clients by their /64).
    pub client_per_second: u32,
    pub client_burst: u32,
    /// Provider round trips (code exchanges at the callback) per session.
    pub provider_exchanges_per_session: u32,
    /// The largest file a partner may upload to a session (decoded bytes).
    #[serde(default = "default_media_max_bytes")]
    pub media_max_bytes: u64,
    /// Files one session may hold.
    #[serde(default = "default_media_per_session")]
    pub media_per_session: u32,
}

fn default_media_max_bytes() -> u64 {
    16 * 1024 * 1024
}

fn default_media_per_session() -> u32 {
    30
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookSettings {
    /// Delay before each attempt (the first normally `0s`); after the last, a delivery is dead.
    pub schedule: Vec<String>,
    /// ± fraction of jitter on every delay.
    pub jitter: f64,
    /// Upper bound on a receiver's `Retry-After`.
    pub max_retry_after: String,
    /// How long a replaced secret keeps signing after a rotation.
    pub rotation_overlap: String,
    /// An endpoint failing without a single success for this long is disabled.
    pub disable_after: String,
    /// How long a node's claim on a delivery lasts (a dead node's claims lapse then).
    pub claim_lease: String,
    /// How often each node looks for due deliveries when nothing wakes it.
    pub poll_interval: String,
    /// Deliveries sent at once per node.
    pub concurrency: u32,
    /// Deliveries in flight at once to one endpoint.
    pub per_endpoint_in_flight: u32,
    /// Endpoints a partner may register (per-verification URLs not counted).
    pub max_endpoints_per_partner: u32,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutboundSettings {
    pub connect_timeout: String,
    pub timeout: String,
    /// Networks (CIDR) idgate may call although they are private or reserved, e.g. a webhook
    /// receiver on the same host in development: `["127.0.0.0/8"]`.
    pub allow_private: Vec<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    pub listen: SocketAddr,
    /// The base URL end users and partners reach idgate at (no trailing slash needed).
    pub public_url: String,
    /// `text` or `json`.
    pub log_format: LogFormat,
    /// A request (body included) taking longer is answered 408.
    #[serde(default = "default_request_timeout")]
    pub request_timeout: String,
    /// On shutdown, how long in-flight requests and jobs may take before they are dropped.
    #[serde(default = "default_shutdown_grace")]
    pub shutdown_grace: String,
    /// A connection whose request headers take longer to arrive is closed.
    #[serde(default = "default_header_read_timeout")]
    pub header_read_timeout: String,
    /// Reverse proxies (CIDR) whose `X-Forwarded-For` names the client; from any other peer
    /// the connection's address is the client.
    #[serde(default)]
    pub trusted_proxies: Vec<String>,
}

fn default_request_timeout() -> String {
    "30s".to_owned()
}

fn default_shutdown_grace() -> String {
    "10s".to_owned()
}

fn default_header_read_timeout() -> String {
    "10s".to_owned()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    pub url: String,
    /// PostgreSQL: the schema idgate's tables live in (created if missing); empty for the
    /// server's default `search_path`.
    #[serde(default)]
    pub schema: String,
    /// Connections per node (PostgreSQL pool; SQLite readers).
    pub max_connections: u32,
    /// How long a request waits for a free connection.
    pub acquire_timeout: String,
    /// PostgreSQL `statement_timeout` for every statement.
    pub statement_timeout: String,
    /// PostgreSQL: attempts for a write that meets a serialization failure or deadlock.
    pub write_attempts: u32,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeySettings {
    pub file: PathBuf,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionSettings {
    /// Default session lifetime, e.g. `7d`, `12h`, `30m`.
    pub lifetime: String,
    /// How long the signed result token on the return redirect stays valid.
    pub result_token_lifetime: String,
    /// How often the expiry job looks for due sessions.
    pub expiry_interval: String,
    /// How long a node's claim on due sessions lasts (a crashed node's claim lapses then).
    pub expiry_lease: String,
    /// A session submitted at a provider that decides later (Veriff) is asked about this long
    /// after it was submitted if no decision came (a lost webhook)…
    #[serde(default = "default_decision_check_after")]
    pub decision_check_after: String,
    /// …and again this often until it is decided or expires.
    #[serde(default = "default_decision_recheck")]
    pub decision_recheck: String,
    /// How long an authorization code of the OpenID Connect front door may wait to be
    /// exchanged.
    #[serde(default = "default_authorization_code_lifetime")]
    pub authorization_code_lifetime: String,
}

fn default_authorization_code_lifetime() -> String {
    "60s".to_owned()
}

fn default_decision_check_after() -> String {
    "30s".to_owned()
}

fn default_decision_recheck() -> String {
    "5m".to_owned()
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiSettings {
    /// Test mode: `http` return URLs on loopback hosts are accepted. Off in production.
    pub test_mode: bool,
    /// How long a node trusts a verified credential without asking the database: the bound
    /// on how long another node may still accept a credential after it was revoked.
    pub credential_cache_ttl: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoSettings {
    /// Create a demo partner (and print its credentials) on the first start.
    pub partner: bool,
    /// Start although the demo partner or test mode is on and the public URL is `https` (a
    /// public deployment): off, such a start is refused, since both turn on the sandbox
    /// providers, with which anyone can verify as a test identity.
    #[serde(default)]
    pub allow_on_https: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DialectSettings {
    pub easyfreelance: EasyFreelanceSettings,
    #[serde(default)]
    pub veriff: VeriffSettings,
    #[serde(default)]
    pub deepidv: DeepIdvSettings,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeepIdvSettings {
    /// The provider id the deepidv dialect's sessions use (document + selfie, as deepidv's
    /// standalone verification), unless the partner offers a choice.
    pub provider: String,
    /// Tokens a session costs from the partner's balance (`idgate partner tokens`); 0:
    /// sessions are free and no balance is kept.
    #[serde(default)]
    pub tokens_per_session: u32,
    /// Requests per second per API key, and the burst above it (deepidv's published 25 and
    /// 35); 0 switches the limit off.
    #[serde(default = "deepidv_per_second")]
    pub requests_per_second: u32,
    #[serde(default = "deepidv_burst")]
    pub requests_burst: u32,
    /// Requests per API key per UTC day, counted for all nodes at once (deepidv's 10 000); 0:
    /// no daily limit.
    #[serde(default = "deepidv_per_day")]
    pub requests_per_day: u32,
}

fn deepidv_per_second() -> u32 {
    25
}

fn deepidv_burst() -> u32 {
    35
}

fn deepidv_per_day() -> u32 {
    10_000
}

impl Default for DeepIdvSettings {
    fn default() -> Self {
        DeepIdvSettings {
            provider: "veriff".to_owned(),
            tokens_per_session: 0,
            requests_per_second: deepidv_per_second(),
            requests_burst: deepidv_burst(),
            requests_per_day: deepidv_per_day(),
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VeriffSettings {
    /// The provider id the Veriff dialect's sessions use (a create answers 1301 when it is not
    /// registered, e.g. a sandbox outside demo or test mode).
    pub provider: String,
}

impl Default for VeriffSettings {
    fn default() -> Self {
        VeriffSettings {
            provider: "veriff".to_owned(),
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EasyFreelanceSettings {
    /// The dialect's `provider` names (`veriff`, `bankid`) → configured provider ids.
    /// `veriff_local` and `veriff_international` route Veriff flows by `id_type` (Norwegian
    /// documents, others: two Veriff integrations); `veriff` serves an id_type without its own.
    pub providers: BTreeMap<String, String>,
}

/// A configuration problem, with how to fix it.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {key}: {problem}")]
pub struct SettingsError {
    pub key: String,
    pub problem: String,
}

/// A database URL with its password (if any) replaced by `***`, for printing and errors.
pub fn redact_password(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_owned(),
    }
}

fn invalid(key: &str, problem: impl Into<String>) -> SettingsError {
    SettingsError {
        key: key.to_owned(),
        problem: problem.into(),
    }
}

/// Whether `host` names this machine (a loopback name or address).
fn is_this_host(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// The database engines idgate can open.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DatabaseKind {
    Sqlite { path: PathBuf },
    Postgres,
}

/// Settings with durations parsed and URLs checked.
#[derive(Clone, Debug)]
pub struct Validated {
    pub public_url: url::Url,
    pub database: DatabaseKind,
    pub session_lifetime: chrono::Duration,
    pub result_token_lifetime: chrono::Duration,
    pub authorization_code_lifetime: chrono::Duration,
    pub expiry_interval: std::time::Duration,
    pub expiry_lease: chrono::Duration,
    pub decision_check_after: chrono::Duration,
    pub decision_recheck: chrono::Duration,
    pub acquire_timeout: std::time::Duration,
    pub statement_timeout: std::time::Duration,
    pub retry: idgate_core::RetryPolicy,
    pub rotation_overlap: chrono::Duration,
    pub disable_after: chrono::Duration,
    pub delivery_lease: chrono::Duration,
    pub delivery_poll: std::time::Duration,
    pub outbound_connect_timeout: std::time::Duration,
    pub outbound_timeout: std::time::Duration,
    pub allow_private: Vec<ipnet::IpNet>,
    pub credential_cache_ttl: std::time::Duration,
    pub trusted_proxies: Vec<ipnet::IpNet>,
    pub request_timeout: std::time::Duration,
    pub shutdown_grace: std::time::Duration,
    pub header_read_timeout: std::time::Duration,
    /// Waits before the 2nd, 3rd … attempt of an invite.
    pub invite_retry: Vec<chrono::Duration>,
    pub invite_lease: chrono::Duration,
    pub invite_poll: std::time::Duration,
    pub smtp_timeout: std::time::Duration,
}

impl Settings {
    /// Checks everything that can be checked without touching the outside world.
    /// The settings as `idgate config` shows them: secrets (the database password, providers'
    /// client and shared secrets, PKCS#12 passwords) replaced by `***`.
    pub fn for_display(&self) -> serde_json::Value {
        let mut value = serde_json::to_value(self).unwrap_or_default();
        if let Some(url) = value.pointer_mut("/database/url") {
            *url = serde_json::Value::String(redact_password(&self.database.url));
        }
        if let Some(providers) = value.get_mut("providers").and_then(|p| p.as_object_mut()) {
            for provider in providers.values_mut() {
                for key in ["/client_secret", "/shared_secret", "/tls/password"] {
                    if let Some(secret) = provider.pointer_mut(key).filter(|s| !s.is_null()) {
                        *secret = serde_json::Value::String("***".to_owned());
                    }
                }
            }
        }
        for pointer in [
            "/invites/email/password",
            "/invites/sms/auth_token",
            "/console/sso/client_secret",
        ] {
            if let Some(secret) = value
                .pointer_mut(pointer)
                .filter(|s| s.as_str().is_some_and(|s| !s.is_empty()))
            {
                *secret = serde_json::Value::String("***".to_owned());
            }
        }
        value
    }

    /// Whether the public URL is https (a public deployment: HSTS, `__Host-` cookies).
    pub fn public_is_https(&self) -> bool {
        self.server
            .public_url
            .get(..8)
            .is_some_and(|scheme| scheme.eq_ignore_ascii_case("https://"))
    }

    /// Whether the sandbox providers (the simulators, the built-in OpenID Provider, any
    /// provider marked `sandbox = true`) and their pages run: in demo or test mode only.
    pub fn sandboxes_enabled(&self) -> bool {
        self.api.test_mode || self.demo.partner
    }

    pub fn validate(&self) -> Result<Validated, SettingsError> {
        let public_url = url::Url::parse(&self.server.public_url).map_err(|e| {
            invalid(
                "server.public_url",
                format!("{e}; write an absolute URL such as https://verify.example.com"),
            )
        })?;
        if !matches!(public_url.scheme(), "http" | "https")
            || public_url.host().is_none()
            || public_url.query().is_some()
            || public_url.fragment().is_some()
            || public_url.path() != "/"
        {
            return Err(invalid(
                "server.public_url",
                "use http(s)://host[:port] with no path, query or fragment",
            ));
        }
        if self.public_is_https() && self.sandboxes_enabled() && !self.demo.allow_on_https {
            let on = if self.demo.partner {
                "demo.partner"
            } else {
                "api.test_mode"
            };
            return Err(invalid(
                on,
                "is on while server.public_url is https (a public deployment): it enables the \
                 sandbox providers, with which anyone can verify as a test identity. Set \
                 demo.partner = false and api.test_mode = false, or demo.allow_on_https = true \
                 for a public demo",
            ));
        }
        let database = parse_database_url(&self.database.url)?;
        let session_lifetime = parse_duration("sessions.lifetime", &self.sessions.lifetime)?;
        let result_token_lifetime = parse_duration(
            "sessions.result_token_lifetime",
            &self.sessions.result_token_lifetime,
        )?;
        let authorization_code_lifetime = parse_duration(
            "sessions.authorization_code_lifetime",
            &self.sessions.authorization_code_lifetime,
        )?;
        let expiry_interval =
            parse_duration("sessions.expiry_interval", &self.sessions.expiry_interval)?
                .to_std()
                .map_err(|_| invalid("sessions.expiry_interval", "must be positive"))?;
        let expiry_lease = parse_duration("sessions.expiry_lease", &self.sessions.expiry_lease)?;
        let decision_check_after = parse_duration(
            "sessions.decision_check_after",
            &self.sessions.decision_check_after,
        )?;
        let decision_recheck =
            parse_duration("sessions.decision_recheck", &self.sessions.decision_recheck)?;
        let std_duration = |key: &str, text: &str| {
            parse_duration(key, text)?
                .to_std()
                .map_err(|_| invalid(key, "must be positive"))
        };
        let acquire_timeout =
            std_duration("database.acquire_timeout", &self.database.acquire_timeout)?;
        let statement_timeout = std_duration(
            "database.statement_timeout",
            &self.database.statement_timeout,
        )?;
        if self.database.max_connections == 0 {
            return Err(invalid("database.max_connections", "must be at least 1"));
        }
        if self.database.write_attempts == 0 {
            return Err(invalid("database.write_attempts", "must be at least 1"));
        }
        let wh = &self.webhooks;
        let mut schedule = Vec::new();
        for (i, text) in wh.schedule.iter().enumerate() {
            schedule.push(parse_delay(&format!("webhooks.schedule[{i}]"), text)?);
        }
        if schedule.is_empty() {
            return Err(invalid(
                "webhooks.schedule",
                "give at least one delay, e.g. [\"0s\"]",
            ));
        }
        if !(0.0..1.0).contains(&wh.jitter) {
            return Err(invalid(
                "webhooks.jitter",
                "use a fraction from 0 to below 1, e.g. 0.2",
            ));
        }
        if wh.concurrency == 0 {
            return Err(invalid("webhooks.concurrency", "must be at least 1"));
        }
        if wh.per_endpoint_in_flight == 0 {
            return Err(invalid(
                "webhooks.per_endpoint_in_flight",
                "must be at least 1",
            ));
        }
        let retry = idgate_core::RetryPolicy {
            schedule,
            jitter: wh.jitter,
            max_retry_after: parse_duration("webhooks.max_retry_after", &wh.max_retry_after)?,
        };
        let rotation_overlap = parse_delay("webhooks.rotation_overlap", &wh.rotation_overlap)?;
        let disable_after = parse_duration("webhooks.disable_after", &wh.disable_after)?;
        let delivery_lease = parse_duration("webhooks.claim_lease", &wh.claim_lease)?;
        let delivery_poll = std_duration("webhooks.poll_interval", &wh.poll_interval)?;
        let outbound_connect_timeout =
            std_duration("outbound.connect_timeout", &self.outbound.connect_timeout)?;
        let outbound_timeout = std_duration("outbound.timeout", &self.outbound.timeout)?;
        let credential_cache_ttl =
            std_duration("api.credential_cache_ttl", &self.api.credential_cache_ttl)?;
        let mut allow_private = Vec::new();
        for (i, net) in self.outbound.allow_private.iter().enumerate() {
            allow_private.push(net.parse::<ipnet::IpNet>().map_err(|e| {
                invalid(
                    &format!("outbound.allow_private[{i}]"),
                    format!("{net:?} is not a network in CIDR form such as 127.0.0.0/8: {e}"),
                )
            })?);
        }
        let request_timeout = std_duration("server.request_timeout", &self.server.request_timeout)?;
        let shutdown_grace = std_duration("server.shutdown_grace", &self.server.shutdown_grace)?;
        let header_read_timeout = std_duration(
            "server.header_read_timeout",
            &self.server.header_read_timeout,
        )?;
        let mut trusted_proxies = Vec::new();
        for (i, net) in self.server.trusted_proxies.iter().enumerate() {
            trusted_proxies.push(net.parse::<ipnet::IpNet>().map_err(|e| {
                invalid(
                    &format!("server.trusted_proxies[{i}]"),
                    format!("{net:?} is not a network in CIDR form such as 10.0.0.0/8: {e}"),
                )
            })?);
        }
        if self.limits.credential_per_second > 0
            && self.limits.credential_burst < self.limits.credential_per_second
        {
            return Err(invalid(
                "limits.credential_burst",
                "must be at least limits.credential_per_second",
            ));
        }
        if self.limits.client_per_second > 0
            && self.limits.client_burst < self.limits.client_per_second
        {
            return Err(invalid(
                "limits.client_burst",
                "must be at least limits.client_per_second",
            ));
        }
        if self.providers.is_empty() {
            return Err(invalid(
                "providers",
                "configure at least one provider, e.g. [providers.sandbox] adapter = \"sandbox\"",
            ));
        }
        for (name, id) in &self.dialects.easyfreelance.providers {
            if !matches!(
                name.as_str(),
                "veriff" | "veriff_local" | "veriff_international" | "bankid"
            ) {
                return Err(invalid(
                    &format!("dialects.easyfreelance.providers.{name}"),
                    "the EasyFreelance dialect knows the provider names veriff (or, per id_type, \
                     veriff_local and veriff_international) and bankid",
                ));
            }
            if !self.providers.contains_key(id) {
                return Err(invalid(
                    &format!("dialects.easyfreelance.providers.{name}"),
                    format!(
                        "provider id {id:?} is not configured; add a [providers.{id}] table or \
                         map {name} to one of: {}",
                        self.providers
                            .keys()
                            .cloned()
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
            }
        }
        let inv = &self.invites;
        let invite_retry = inv
            .retry
            .iter()
            .enumerate()
            .map(|(i, text)| parse_duration(&format!("invites.retry[{i}]"), text))
            .collect::<Result<Vec<_>, _>>()?;
        let invite_lease = parse_duration("invites.claim_lease", &inv.claim_lease)?;
        if invite_lease < chrono::Duration::seconds(20) {
            return Err(invalid(
                "invites.claim_lease",
                "must be at least 20s: a send may take half of it",
            ));
        }
        let invite_poll = std_duration("invites.poll_interval", &inv.poll_interval)?;
        let smtp_timeout = std_duration("invites.email.timeout", &inv.email.timeout)?;
        self.validate_invite_channels()?;
        let sso = &self.console.sso;
        if sso.enabled() {
            url::Url::parse(&sso.issuer).map_err(|e| {
                invalid(
                    "console.sso.issuer",
                    format!("{e}; write the issuer's absolute URL"),
                )
            })?;
            for (key, value) in [
                ("console.sso.client_id", &sso.client_id),
                ("console.sso.client_secret", &sso.client_secret),
            ] {
                if value.is_empty() {
                    return Err(invalid(key, "is required when console.sso.issuer is set"));
                }
            }
        }
        Ok(Validated {
            invite_retry,
            invite_lease,
            invite_poll,
            smtp_timeout,
            credential_cache_ttl,
            public_url,
            database,
            session_lifetime,
            result_token_lifetime,
            authorization_code_lifetime,
            expiry_interval,
            expiry_lease,
            decision_check_after,
            decision_recheck,
            acquire_timeout,
            statement_timeout,
            retry,
            rotation_overlap,
            disable_after,
            delivery_lease,
            delivery_poll,
            outbound_connect_timeout,
            outbound_timeout,
            allow_private,
            trusted_proxies,
            request_timeout,
            shutdown_grace,
            header_read_timeout,
        })
    }

    /// A configured invite channel must be complete: a sender, credentials in pairs, TLS
    /// unless the relay is on this host.
    fn validate_invite_channels(&self) -> Result<(), SettingsError> {
        let email = &self.invites.email;
        if !email.host.is_empty() {
            if email.from.parse::<lettre::message::Mailbox>().is_err() {
                return Err(invalid(
                    "invites.email.from",
                    "write the sender as an address, e.g. \"Example Verification \
                     <verify@example.com>\"",
                ));
            }
            if email.username.is_empty() != email.password.is_empty() {
                return Err(invalid(
                    "invites.email.username",
                    "set both username and password (IDGATE_INVITES__EMAIL__PASSWORD), or \
                     neither",
                ));
            }
            if email.tls == SmtpTls::None && !is_this_host(&email.host) {
                return Err(invalid(
                    "invites.email.tls",
                    "\"none\" is only for a relay on this host; use \"starttls\" (port 587) \
                     or \"implicit\" (port 465)",
                ));
            }
            if !email.ca_file.is_empty() && !std::path::Path::new(&email.ca_file).is_file() {
                return Err(invalid("invites.email.ca_file", "no such file"));
            }
        }
        let sms = &self.invites.sms;
        if !sms.base_url.is_empty() {
            let url = url::Url::parse(&sms.base_url).map_err(|e| {
                invalid(
                    "invites.sms.base_url",
                    format!("{e}; write e.g. https://api.twilio.com"),
                )
            })?;
            let local_http = url.scheme() == "http" && url.host_str().is_some_and(is_this_host);
            if url.scheme() != "https" && !local_http {
                return Err(invalid(
                    "invites.sms.base_url",
                    "use https (http only for a gateway on this host)",
                ));
            }
            if sms.account_sid.is_empty() || sms.auth_token.is_empty() {
                return Err(invalid(
                    "invites.sms.account_sid",
                    "set account_sid and auth_token (IDGATE_INVITES__SMS__AUTH_TOKEN)",
                ));
            }
            if sms.from.is_empty() && sms.messaging_service_sid.is_empty() {
                return Err(invalid(
                    "invites.sms.from",
                    "set the sender (from) or a messaging_service_sid",
                ));
            }
        }
        Ok(())
    }

    pub fn url_policy(&self) -> UrlPolicy {
        UrlPolicy {
            allow_http_loopback: self.api.test_mode,
        }
    }

    /// The public base URL without a trailing slash, for building links.
    pub fn public_base(&self) -> &str {
        self.server.public_url.trim_end_matches('/')
    }
}

fn parse_database_url(url: &str) -> Result<DatabaseKind, SettingsError> {
    if let Some(rest) = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
    {
        let path = rest.split('?').next().unwrap_or_default();
        if path.is_empty() || path == ":memory:" {
            return Err(invalid(
                "database.url",
                "give a file path, e.g. sqlite://data/idgate.db (an in-memory database would lose everything)",
            ));
        }
        return Ok(DatabaseKind::Sqlite {
            path: PathBuf::from(path),
        });
    }
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(DatabaseKind::Postgres);
    }
    Err(invalid(
        "database.url",
        "use sqlite://path/to/idgate.db or postgres://user@host/database",
    ))
}

/// Parses `7d`, `12h`, `30m`, `45s` (one number and one unit).
pub fn parse_duration(key: &str, text: &str) -> Result<chrono::Duration, SettingsError> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: i64 = number.parse().map_err(|_| {
        invalid(
            key,
            format!("{text:?} is not a duration; write e.g. 7d, 12h, 30m or 45s"),
        )
    })?;
    let d = match unit {
        "ms" => chrono::Duration::try_milliseconds(n),
        "d" => chrono::Duration::try_days(n),
        "h" => chrono::Duration::try_hours(n),
        "m" => chrono::Duration::try_minutes(n),
        "s" => chrono::Duration::try_seconds(n),
        _ => None,
    };
    match d {
        Some(d) if n > 0 => Ok(d),
        _ => Err(invalid(
            key,
            format!("{text:?} is not a positive duration; write e.g. 7d, 12h, 30m or 45s"),
        )),
    }
}

/// Like [`parse_duration`], but `0s` (no delay) is allowed.
pub fn parse_delay(key: &str, text: &str) -> Result<chrono::Duration, SettingsError> {
    if text.trim().trim_end_matches(['d', 'h', 'm', 's']).trim() == "0" {
        return Ok(chrono::Duration::zero());
    }
    parse_duration(key, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(
            parse_duration("k", "7d").ok(),
            Some(chrono::Duration::days(7))
        );
        assert_eq!(
            parse_duration("k", "90s").ok(),
            Some(chrono::Duration::seconds(90))
        );
        for bad in ["", "7", "d", "-1d", "0h", "7 weeks", "99999999999999d"] {
            assert!(parse_duration("k", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn database_urls() {
        assert_eq!(
            parse_database_url("sqlite://data/idgate.db").ok(),
            Some(DatabaseKind::Sqlite {
                path: "data/idgate.db".into()
            })
        );
        assert_eq!(
            parse_database_url("postgres://localhost/idgate").ok(),
            Some(DatabaseKind::Postgres)
        );
        assert!(parse_database_url("sqlite::memory:").is_err());
        assert!(parse_database_url("mysql://x").is_err());
    }
}
