//! The OpenID Connect adapter: one strict relying party, configured per provider id, for the
//! national eIDs and brokers that speak OIDC (Freja eID, itsme, Norwegian BankID, Idura,
//! Signicat, Keycloak …).
//!
//! Authorization code flow with PKCE S256, a `state` bound to the session (made by the hub),
//! a `nonce`, and the RFC 9207 `iss` check. The discovery document and its JWKS are cached and
//! fetched again when a token names an unknown key. The ID token is validated by
//! `openidconnect` (signature against an algorithm allow-list, `iss`, `aud`, `azp`, `exp`,
//! `nonce`) plus an `iat` bound here; userinfo is read when claims are not in the ID token.
//! PKCE verifier and nonce come from the hub, derived from the session with the deployment's
//! secret, so nothing per flow is stored and any node can finish any flow.

use crate::http::{ClientTls, HttpClients};
use crate::{
    Decision, FlowType, InputField, Provider, ProviderError, ProviderInfo, ProviderOutcome,
    Returned, SessionContext, StartAction, StartRequest, Started, UrlGuard,
};
use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use idgate_core::ProviderEvidence;
use openidconnect::core::{
    CoreAuthDisplay, CoreAuthenticationFlow, CoreClaimName, CoreClaimType, CoreClient,
    CoreClientAuthMethod, CoreGrantType, CoreJsonWebKey, CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm, CoreJwsSigningAlgorithm, CoreResponseMode, CoreResponseType,
    CoreSubjectIdentifierType,
};
use openidconnect::{
    AdditionalProviderMetadata, AsyncHttpClient, AuthType, AuthenticationContextClass,
    AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret, CsrfToken, HttpRequest,
    HttpResponse, IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier,
    ProviderMetadata, RedirectUrl, Scope, SignatureVerificationError, TokenResponse,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};
use tokio::sync::RwLock;

/// How long a discovery document (with its JWKS) is trusted before it is fetched again.
const METADATA_TTL: Duration = Duration::from_secs(3600);
/// Tolerated clock difference for `iat`.
const CLOCK_SKEW_SECS: i64 = 60;
/// Largest answer read from a provider.
const MAX_BODY: usize = 1024 * 1024;

/// How idgate authenticates at the token endpoint.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientAuth {
    #[default]
    ClientSecretBasic,
    ClientSecretPost,
}

/// The OIDC part of a `[providers.<id>]` table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OidcSettings {
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    pub client_auth: ClientAuth,
    /// Scopes besides `openid`.
    pub scopes: Vec<String>,
    /// The `acr_values` to request for each level of assurance (the lowest at or above the
    /// partner's request is sent).
    pub acr_for_loa: BTreeMap<u8, String>,
    /// The level each returned `acr` stands for.
    pub loa_for_acr: BTreeMap<String, u8>,
    /// Provider claim name → idgate claim name (OIDC standard names; `personal_identity_number`
    /// and `country` for national identifiers). Unmapped claims keep their names.
    pub claim_map: BTreeMap<String, String>,
    /// ID-token signature algorithms accepted (`none` never is).
    pub algorithms: Vec<String>,
}

/// `[providers.<id>]` with `adapter = "oidc"`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OidcConfig {
    /// `false` removes the provider (default true).
    #[serde(default)]
    pub enabled: Option<bool>,
    /// A test provider (a vendor's test environment; the built-in simulator always is): it is
    /// bannered as a sandbox and runs only where sandboxes do (demo or test mode).
    #[serde(default)]
    pub sandbox: Option<bool>,
    /// Shown to end users; defaults to the id.
    #[serde(default)]
    pub label: Option<String>,
    /// Countries (ISO 3166-1 alpha-2) whose people this provider serves, for the hosted
    /// page's chooser; empty or absent: any.
    #[serde(default)]
    pub countries: Option<Vec<String>>,
    /// Highest level of assurance (1-5); defaults to the highest in `acr_loa`, else 1.
    #[serde(default)]
    pub max_loa: Option<u8>,
    /// Claims the provider delivers (default name, given_name, family_name, birthdate).
    #[serde(default)]
    pub claims: Option<Vec<String>>,
    /// The issuer (discovery at `{issuer}/.well-known/openid-configuration`).
    #[serde(default)]
    pub issuer: Option<String>,
    #[serde(default)]
    pub client_id: Option<String>,
    /// Better set through the environment (`IDGATE_PROVIDERS__<ID>__CLIENT_SECRET`).
    #[serde(default)]
    pub client_secret: Option<String>,
    /// `client_secret_basic` (default) or `client_secret_post`.
    #[serde(default)]
    pub client_auth: Option<ClientAuth>,
    /// Scopes besides `openid` (default `profile`).
    #[serde(default)]
    pub scopes: Option<Vec<String>>,
    /// Level of assurance ("1"-"5") → the `acr_values` to request for it.
    #[serde(default)]
    pub acr_values: Option<BTreeMap<String, String>>,
    /// Returned `acr` → level of assurance.
    #[serde(default)]
    pub acr_loa: Option<BTreeMap<String, u8>>,
    /// Provider claim name → idgate claim name.
    #[serde(default)]
    pub claim_map: Option<BTreeMap<String, String>>,
    /// Accepted ID-token algorithms (default RS256, PS256, ES256).
    #[serde(default)]
    pub id_token_algs: Option<Vec<String>>,
    /// Mutual TLS towards the provider (RFC 8705 client certificates, a private CA).
    #[serde(default)]
    pub tls: Option<ClientTls>,
}

impl OidcConfig {
    /// Checks the table (errors name the key) and builds the adapter.
    pub fn build(
        &self,
        id: &str,
        clients: &dyn HttpClients,
    ) -> Result<OidcProvider, ProviderError> {
        crate::check_loa(id, self.max_loa)?;
        let label = self.label.clone().unwrap_or_else(|| id.to_owned());

        let required = |value: &Option<String>, key: &str| {
            value.clone().filter(|v| !v.is_empty()).ok_or_else(|| {
                ProviderError::Config(format!(
                    "providers.{id}.{key} is required for the oidc adapter"
                ))
            })
        };
        let acr_for_loa = self
            .acr_values
            .clone()
            .unwrap_or_default()
            .into_iter()
            .map(|(loa, acr)| match loa.parse::<u8>() {
                Ok(n) if (1..=5).contains(&n) => Ok((n, acr)),
                _ => Err(ProviderError::Config(format!(
                    "providers.{id}.acr_values: key {loa:?} must be a level 1-5"
                ))),
            })
            .collect::<Result<BTreeMap<_, _>, _>>()?;
        let loa_for_acr = self.acr_loa.clone().unwrap_or_default();
        if let Some((acr, loa)) = loa_for_acr.iter().find(|(_, l)| !(1..=5).contains(*l)) {
            return Err(ProviderError::Config(format!(
                "providers.{id}.acr_loa: {acr:?} maps to {loa}, not a level 1-5"
            )));
        }
        let max_loa = self
            .max_loa
            .or_else(|| loa_for_acr.values().max().copied())
            .unwrap_or(1);
        let claims = self.claims.clone().unwrap_or_else(|| {
            ["name", "given_name", "family_name", "birthdate"]
                .map(String::from)
                .to_vec()
        });
        let settings = OidcSettings {
            issuer: required(&self.issuer, "issuer")?,
            client_id: required(&self.client_id, "client_id")?,
            client_secret: required(&self.client_secret, "client_secret")?,
            client_auth: self.client_auth.unwrap_or_default(),
            scopes: self
                .scopes
                .clone()
                .unwrap_or_else(|| vec!["profile".to_owned()]),
            acr_for_loa,
            loa_for_acr,
            claim_map: self.claim_map.clone().unwrap_or_default(),
            algorithms: self
                .id_token_algs
                .clone()
                .unwrap_or_else(|| ["RS256", "PS256", "ES256"].map(String::from).to_vec()),
        };
        OidcProvider::new(
            provider_info(id, &label, max_loa, claims, self.sandbox.unwrap_or(false)),
            settings,
            Http {
                client: crate::http::client_for(clients, self.tls.as_ref())?,
                guard: clients.guard(),
            },
        )
    }
}

/// The RFC 9207 flag of a discovery document.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct IssParameter {
    #[serde(default)]
    authorization_response_iss_parameter_supported: Option<bool>,
}
impl AdditionalProviderMetadata for IssParameter {}

type Metadata = ProviderMetadata<
    IssParameter,
    CoreAuthDisplay,
    CoreClientAuthMethod,
    CoreClaimName,
    CoreClaimType,
    CoreGrantType,
    CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm,
    CoreJsonWebKey,
    CoreResponseMode,
    CoreResponseType,
    CoreSubjectIdentifierType,
>;

/// Why an HTTP exchange with the provider failed.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("request failed: {0}")]
    Request(#[from] reqwest::Error),
    #[error("the answer is larger than {MAX_BODY} bytes")]
    TooLarge,
    #[error("invalid answer: {0}")]
    Invalid(String),
    #[error("refused to call {0}")]
    Blocked(String),
}

/// idgate's outbound client (timeouts, no redirects) and its address policy, as the HTTP
/// client `openidconnect` calls.
#[derive(Clone)]
pub struct Http {
    pub client: reqwest::Client,
    pub guard: UrlGuard,
}

impl std::fmt::Debug for Http {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Http").finish_non_exhaustive()
    }
}

impl Http {
    fn check(&self, url: &str) -> Result<(), HttpError> {
        let parsed = url::Url::parse(url).map_err(|e| HttpError::Invalid(e.to_string()))?;
        (self.guard)(&parsed).map_err(HttpError::Blocked)
    }
}

impl<'c> AsyncHttpClient<'c> for Http {
    type Error = HttpError;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, HttpError>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let url = parts.uri.to_string();
            self.check(&url)?;
            let mut response = self
                .client
                .request(parts.method, url)
                .headers(parts.headers)
                .body(body)
                .send()
                .await?;
            let mut builder = openidconnect::http::Response::builder().status(response.status());
            if let Some(headers) = builder.headers_mut() {
                headers.extend(response.headers().clone());
            }
            let mut bytes = Vec::new();
            while let Some(chunk) = response.chunk().await? {
                if bytes.len() + chunk.len() > MAX_BODY {
                    return Err(HttpError::TooLarge);
                }
                bytes.extend_from_slice(&chunk);
            }
            builder
                .body(bytes)
                .map_err(|e| HttpError::Invalid(e.to_string()))
        })
    }
}

/// A provider id served by the OIDC adapter.
#[derive(Debug)]
pub struct OidcProvider {
    info: ProviderInfo,
    settings: OidcSettings,
    issuer: IssuerUrl,
    algorithms: Vec<CoreJwsSigningAlgorithm>,
    http: Http,
    metadata: RwLock<Option<(Metadata, Instant)>>,
}

fn config(message: impl Into<String>) -> ProviderError {
    ProviderError::Config(message.into())
}

fn invalid(message: impl Into<String>) -> ProviderError {
    ProviderError::InvalidCallback(message.into())
}

impl OidcProvider {
    pub fn new(
        info: ProviderInfo,
        settings: OidcSettings,
        http: Http,
    ) -> Result<Self, ProviderError> {
        let issuer =
            IssuerUrl::new(settings.issuer.clone()).map_err(|e| config(format!("issuer: {e}")))?;
        let algorithms = settings
            .algorithms
            .iter()
            .map(|a| {
                serde_json::from_value::<CoreJwsSigningAlgorithm>(Value::String(a.clone()))
                    .ok()
                    .filter(|alg| *alg != CoreJwsSigningAlgorithm::None)
                    .ok_or_else(|| config(format!("unsupported ID token algorithm {a:?}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if algorithms.is_empty() {
            return Err(config("at least one ID token algorithm is needed"));
        }
        Ok(OidcProvider {
            info,
            settings,
            issuer,
            algorithms,
            http,
            metadata: RwLock::new(None),
        })
    }

    /// The discovery document (and JWKS), from the cache unless stale or `refresh`.
    async fn metadata(&self, refresh: bool) -> Result<Metadata, ProviderError> {
        if !refresh
            && let Some((metadata, at)) = self.metadata.read().await.as_ref()
            && at.elapsed() < METADATA_TTL
        {
            return Ok(metadata.clone());
        }
        let fetched = Metadata::discover_async(self.issuer.clone(), &self.http)
            .await
            .map_err(|e| {
                tracing::warn!(provider = %self.info.id, error = %e, "OIDC discovery failed");
                ProviderError::Unavailable
            })?;
        *self.metadata.write().await = Some((fetched.clone(), Instant::now()));
        Ok(fetched)
    }

    fn client(&self, metadata: Metadata, callback_url: &str) -> Result<Client, ProviderError> {
        let redirect = RedirectUrl::new(callback_url.to_owned())
            .map_err(|e| config(format!("callback URL: {e}")))?;
        let auth = match self.settings.client_auth {
            ClientAuth::ClientSecretBasic => AuthType::BasicAuth,
            ClientAuth::ClientSecretPost => AuthType::RequestBody,
        };
        Ok(CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(self.settings.client_id.clone()),
            Some(ClientSecret::new(self.settings.client_secret.clone())),
        )
        .set_redirect_uri(redirect)
        .set_auth_type(auth))
    }

    /// The `acr_values` to ask for, in order of preference: every configured level at or
    /// above the request, lowest first (all of them when nothing was requested, so the
    /// provider always says which one it reached).
    fn acr_for(&self, requested: Option<u8>) -> impl Iterator<Item = &String> {
        self.settings
            .acr_for_loa
            .range(requested.unwrap_or(1)..)
            .map(|(_, acr)| acr)
    }

    /// Maps a provider's claims to idgate's names, keeping those this provider declares.
    fn normalise(&self, raw: &Map<String, Value>) -> Map<String, Value> {
        let mut out = Map::new();
        for (name, value) in raw {
            let target = self
                .settings
                .claim_map
                .get(name)
                .cloned()
                .unwrap_or_else(|| name.clone());
            if self.info.claims.contains(&target) && !value.is_null() {
                out.insert(target, value.clone());
            }
        }
        out
    }

    async fn userinfo(
        &self,
        metadata: &Metadata,
        access_token: &str,
    ) -> Result<Map<String, Value>, ProviderError> {
        let Some(endpoint) = metadata.userinfo_endpoint() else {
            return Ok(Map::new());
        };
        self.http.check(endpoint.url().as_str()).map_err(|e| {
            tracing::warn!(provider = %self.info.id, error = %e, "userinfo endpoint refused");
            ProviderError::Unavailable
        })?;
        let response = self
            .http
            .client
            .get(endpoint.url().as_str())
            .bearer_auth(access_token)
            .header("accept", "application/json")
            .send()
            .await
            .map_err(|e| {
                tracing::warn!(provider = %self.info.id, error = %e, "userinfo request failed");
                ProviderError::Unavailable
            })?;
        if !response.status().is_success() {
            return Err(invalid(format!("userinfo answered {}", response.status())));
        }
        // Read at most MAX_USERINFO bytes: a provider (or whoever answers in its name) cannot
        // make idgate buffer without end.
        let mut response = response;
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|_| ProviderError::Unavailable)?
        {
            if body.len() + chunk.len() > MAX_USERINFO {
                return Err(invalid(format!(
                    "userinfo is larger than {} KiB",
                    MAX_USERINFO / 1024
                )));
            }
            body.extend_from_slice(&chunk);
        }
        serde_json::from_slice::<Map<String, Value>>(&body).map_err(|_| {
            invalid("userinfo is not a JSON object (signed userinfo is not supported)")
        })
    }
}

/// The largest userinfo answer read (claims about one person are a few KiB).
const MAX_USERINFO: usize = 64 * 1024;

/// The `max_age` sent with every authorization: the login must be this recent.
const LOGIN_MAX_AGE_SECS: i64 = 600;

/// `auth_time` must be there (max_age was sent) and within `max_age` of now.
fn check_auth_time(
    auth_time: Option<chrono::DateTime<chrono::Utc>>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), String> {
    let Some(at) = auth_time else {
        return Err("no auth_time although max_age was requested".to_owned());
    };
    let age = now.timestamp() - at.timestamp();
    if age > LOGIN_MAX_AGE_SECS + CLOCK_SKEW_SECS {
        return Err(format!("the login is {age} s old, over max_age"));
    }
    if age < -CLOCK_SKEW_SECS {
        return Err("auth_time is in the future".to_owned());
    }
    Ok(())
}

type Client = openidconnect::Client<
    openidconnect::EmptyAdditionalClaims,
    CoreAuthDisplay,
    openidconnect::core::CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJsonWebKey,
    openidconnect::core::CoreAuthPrompt,
    openidconnect::StandardErrorResponse<openidconnect::core::CoreErrorResponseType>,
    openidconnect::core::CoreTokenResponse,
    openidconnect::core::CoreTokenIntrospectionResponse,
    openidconnect::core::CoreRevocableToken,
    openidconnect::core::CoreRevocationErrorResponse,
    openidconnect::EndpointSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointMaybeSet,
    openidconnect::EndpointMaybeSet,
>;

/// The claims of a JWT whose signature was already checked.
fn payload(jwt: &str) -> Result<Map<String, Value>, ProviderError> {
    let part = jwt
        .split('.')
        .nth(1)
        .ok_or_else(|| invalid("malformed ID token"))?;
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| invalid("malformed ID token"))?;
    serde_json::from_slice(&bytes).map_err(|_| invalid("malformed ID token"))
}

#[async_trait]
impl Provider for OidcProvider {
    fn info(&self) -> &ProviderInfo {
        &self.info
    }

    async fn start(&self, request: &StartRequest<'_>) -> Result<Started, ProviderError> {
        let secrets = request
            .secrets
            .ok_or_else(|| config("the OIDC adapter needs per-session secrets"))?;
        let metadata = self.metadata(false).await?;
        let client = self.client(metadata, request.callback_url)?;
        let challenge = PkceCodeChallenge::from_code_verifier_sha256(&PkceCodeVerifier::new(
            secrets.pkce_verifier.to_owned(),
        ));
        let state = request.state.to_owned();
        let nonce = secrets.nonce.to_owned();
        let mut authorize = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                move || CsrfToken::new(state),
                move || Nonce::new(nonce),
            )
            .set_pkce_challenge(challenge)
            // A verification is a fresh proof of identity, never a single-sign-on session; with
            // max_age the provider must say when the person logged in (auth_time), checked
            // below, so a provider that ignores prompt=login is caught.
            .add_prompt(openidconnect::core::CoreAuthPrompt::Login)
            .set_max_age(Duration::from_secs(LOGIN_MAX_AGE_SECS.unsigned_abs()));
        for scope in &self.settings.scopes {
            authorize = authorize.add_scope(Scope::new(scope.clone()));
        }
        for acr in self.acr_for(request.requested_loa) {
            authorize =
                authorize.add_auth_context_value(AuthenticationContextClass::new(acr.clone()));
        }
        let (url, _, _) = authorize.url();
        Ok(StartAction::Redirect {
            url: url.into(),
            provider_reference: None,
        }
        .into())
    }

    async fn callback(
        &self,
        params: &BTreeMap<String, String>,
        session: SessionContext<'_>,
    ) -> Result<Returned, ProviderError> {
        self.outcome_of_return(params, session)
            .await
            .map(Returned::from)
    }
}

/// What `[providers.<id>]` declares for an OIDC provider, as the registry reads it.
pub fn provider_info(
    id: &str,
    label: &str,
    max_loa: u8,
    claims: Vec<String>,
    sandbox: bool,
) -> ProviderInfo {
    ProviderInfo {
        id: id.to_owned(),
        label: label.to_owned(),
        flow_type: FlowType::Redirect,
        max_loa,
        claims,
        match_capable: false,
        sandbox,
        user_data: Vec::<InputField>::new(),
        match_fields: Vec::new(),
    }
}

impl OidcProvider {
    /// The outcome of the code exchange the browser's return allows.
    async fn outcome_of_return(
        &self,
        params: &BTreeMap<String, String>,
        session: SessionContext<'_>,
    ) -> Result<ProviderOutcome, ProviderError> {
        let secrets = session
            .secrets
            .ok_or_else(|| config("the OIDC adapter needs per-session secrets"))?;
        let metadata = self.metadata(false).await?;
        // RFC 9207: the authorization response names its issuer; a mix-up attack does not.
        let iss_required = metadata
            .additional_metadata()
            .authorization_response_iss_parameter_supported
            == Some(true);
        match params.get("iss") {
            Some(iss) if iss != self.issuer.as_str() => {
                return Err(invalid("the response comes from another issuer"));
            }
            None if iss_required => return Err(invalid("the response does not name its issuer")),
            _ => {}
        }
        if let Some(error) = params.get("error") {
            let (decision, reason) = match error.as_str() {
                "access_denied" => (Decision::Cancelled, "user_cancelled"),
                "login_required" | "consent_required" | "interaction_required" => {
                    (Decision::Cancelled, "user_cancelled")
                }
                _ => (Decision::Failed, "provider_error"),
            };
            return Ok(ProviderOutcome {
                decision,
                reason: Some(reason.to_owned()),
                raw_status: Some(format!(
                    "oidc:{}",
                    error.chars().take(64).collect::<String>()
                )),
                achieved_loa: None,
                claims: None,
                match_result: None,
                evidence: None,
            });
        }
        let code = params
            .get("code")
            .filter(|c| !c.is_empty() && c.len() <= 2048)
            .ok_or_else(|| invalid("the response carries no code"))?;
        let client = self.client(metadata.clone(), session.callback_url.unwrap_or_default())?;
        let tokens = client
            .exchange_code(AuthorizationCode::new(code.clone()))
            .map_err(|e| config(format!("token endpoint: {e}")))?
            .set_pkce_verifier(PkceCodeVerifier::new(secrets.pkce_verifier.to_owned()))
            .request_async(&self.http)
            .await
            .map_err(|e| {
                tracing::warn!(provider = %self.info.id, error = %e, "token exchange failed");
                invalid("the provider refused the code")
            })?;
        let id_token = tokens
            .id_token()
            .ok_or_else(|| invalid("the token response has no ID token"))?;
        let nonce = Nonce::new(secrets.nonce.to_owned());
        let now = chrono::Utc::now();
        let check = |client: &Client| {
            let verifier = client
                .id_token_verifier()
                .set_allowed_algs(self.algorithms.clone())
                .set_issue_time_verifier_fn(move |iat| {
                    if iat.timestamp() > now.timestamp() + CLOCK_SKEW_SECS {
                        Err("issued in the future".to_owned())
                    } else {
                        Ok(())
                    }
                })
                .set_auth_time_verifier_fn(move |auth_time| check_auth_time(auth_time, now));
            id_token.claims(&verifier, &nonce).map(|c| {
                (
                    c.subject().to_string(),
                    c.auth_context_ref().map(|a| a.to_string()),
                )
            })
        };
        let verified = match check(&client) {
            Err(ClaimsVerificationError::SignatureVerification(
                SignatureVerificationError::NoMatchingKey,
            )) => {
                // The provider may have rotated its keys: fetch them once more.
                let fresh = self.metadata(true).await?;
                check(&self.client(fresh, session.callback_url.unwrap_or_default())?)
            }
            other => other,
        };
        let (subject, acr) = verified.map_err(|e| {
            tracing::warn!(provider = %self.info.id, error = %e, "ID token refused");
            invalid(format!("the ID token is not valid: {e}"))
        })?;
        let jwt = id_token.to_string();
        let mut raw = payload(&jwt)?;
        let wanted_missing = self
            .info
            .claims
            .iter()
            .any(|c| !self.normalise(&raw).contains_key(c));
        if wanted_missing {
            let info = self
                .userinfo(&metadata, tokens.access_token().secret())
                .await?;
            if info.get("sub").and_then(Value::as_str) != Some(subject.as_str()) {
                return Err(invalid("userinfo is about another subject"));
            }
            for (name, value) in info {
                raw.entry(name).or_insert(value);
            }
        }
        let claims = self.normalise(&raw);
        let loa = acr
            .as_ref()
            .and_then(|a| self.settings.loa_for_acr.get(a))
            .copied();
        let amr = raw
            .get("amr")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        Ok(ProviderOutcome {
            decision: Decision::Approved,
            reason: None,
            raw_status: Some("oidc:authenticated".to_owned()),
            achieved_loa: loa,
            claims: Some(claims),
            match_result: None,
            evidence: Some(ProviderEvidence {
                subject: Some(subject.clone()),
                acr: acr.clone(),
                amr,
                evidence: serde_json::json!({
                    "format": "oidc-id-token",
                    "issuer": self.issuer.as_str(),
                    "subject": subject,
                    "acr": acr,
                    "id_token": jwt,
                }),
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_login_must_be_recent_and_dated() {
        let now = chrono::Utc::now();
        let ago = |secs| Some(now - chrono::Duration::seconds(secs));
        assert!(check_auth_time(ago(5), now).is_ok());
        assert!(check_auth_time(ago(LOGIN_MAX_AGE_SECS), now).is_ok());
        // A provider that kept an old single-sign-on session instead of asking again.
        let stale = check_auth_time(ago(LOGIN_MAX_AGE_SECS + CLOCK_SKEW_SECS + 1), now);
        assert!(stale.is_err_and(|e| e.contains("over max_age")));
        assert!(check_auth_time(None, now).is_err());
        assert!(check_auth_time(ago(-(CLOCK_SKEW_SECS + 5)), now).is_err());
    }

    #[tokio::test]
    async fn the_http_client_refuses_what_the_guard_refuses() {
        let guard: UrlGuard = std::sync::Arc::new(|url: &url::Url| {
            if url.host_str() == Some("169.254.169.254") {
                Err("a link-local address".to_owned())
            } else {
                Ok(())
            }
        });
        let http = Http {
            client: reqwest::Client::new(),
            guard,
        };
        let request = openidconnect::http::Request::builder()
            .uri("http://169.254.169.254/latest/meta-data/")
            .body(Vec::new())
            .unwrap_or_else(|e| panic!("{e}"));
        let answer = http.call(request).await;
        assert!(matches!(answer, Err(HttpError::Blocked(_))), "{answer:?}");
    }
}
