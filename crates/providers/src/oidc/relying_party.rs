//! One OpenID Connect relying party: the discovery document and its keys (cached, fetched
//! again when a token names an unknown key), the authorization URL (code flow, PKCE S256,
//! `state`, `nonce`), and the code exchange with every check: RFC 9207 `iss`, the ID token's
//! signature against an algorithm allow-list, `iss`, `aud`, `azp`, `exp`, `nonce`, an `iat`
//! bound and, for fresh logins, `auth_time`. The eID adapter and the console's single sign-on
//! both sign people in through it.

use crate::ProviderError;
use crate::UrlGuard;
use crate::oidc::ClientAuth;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
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
/// Tolerated clock difference for `iat` and `auth_time`.
const CLOCK_SKEW_SECS: i64 = 60;
/// Largest answer read from a provider.
const MAX_BODY: usize = 1024 * 1024;
/// The largest userinfo answer read (claims about one person are a few KiB).
const MAX_USERINFO: usize = 64 * 1024;
/// The `max_age` sent when a fresh login is asked for: the login must be this recent.
pub const LOGIN_MAX_AGE_SECS: i64 = 600;

/// Who the relying party is at the provider.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Registration {
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    pub client_auth: ClientAuth,
    /// ID-token signature algorithms accepted (`none` never is).
    pub algorithms: Vec<String>,
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

/// What to ask the provider for.
#[derive(Debug)]
pub struct Authorization<'a> {
    pub callback_url: &'a str,
    pub state: &'a str,
    pub nonce: &'a str,
    pub pkce_verifier: &'a str,
    /// Besides `openid`.
    pub scopes: &'a [String],
    /// In order of preference.
    pub acr_values: Vec<&'a String>,
    /// `prompt=login` and `max_age`: the person must log in now (checked at the return through
    /// `auth_time`), never ride on a single-sign-on session at the provider.
    pub fresh_login: bool,
}

/// The secrets of one flow, as they were sent with its authorization.
#[derive(Debug)]
pub struct FlowSecrets<'a> {
    pub callback_url: &'a str,
    pub nonce: &'a str,
    pub pkce_verifier: &'a str,
    pub fresh_login: bool,
}

/// A verified login.
#[derive(Debug)]
pub struct Login {
    pub subject: String,
    pub acr: Option<String>,
    /// Every claim of the ID token.
    pub claims: Map<String, Value>,
    /// The ID token as received (kept as evidence).
    pub id_token: String,
    access_token: String,
}

/// How the provider answered the authorization.
#[derive(Debug)]
pub enum Answer {
    Login(Box<Login>),
    /// An OAuth error (`access_denied` …), at most 64 characters of it.
    Refused {
        error: String,
    },
}

/// One relying party at one issuer.
#[derive(Debug)]
pub struct RelyingParty {
    /// For logs: the provider id, or `console.sso`.
    name: String,
    registration: Registration,
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

impl RelyingParty {
    pub fn new(name: &str, registration: Registration, http: Http) -> Result<Self, ProviderError> {
        let issuer = IssuerUrl::new(registration.issuer.clone())
            .map_err(|e| config(format!("issuer: {e}")))?;
        let algorithms = registration
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
        Ok(RelyingParty {
            name: name.to_owned(),
            registration,
            issuer,
            algorithms,
            http,
            metadata: RwLock::new(None),
        })
    }

    pub fn issuer(&self) -> &str {
        self.issuer.as_str()
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
                tracing::warn!(relying_party = %self.name, error = %e, "OIDC discovery failed");
                ProviderError::Unavailable
            })?;
        *self.metadata.write().await = Some((fetched.clone(), Instant::now()));
        Ok(fetched)
    }

    fn client(&self, metadata: Metadata, callback_url: &str) -> Result<Client, ProviderError> {
        let redirect = RedirectUrl::new(callback_url.to_owned())
            .map_err(|e| config(format!("callback URL: {e}")))?;
        let auth = match self.registration.client_auth {
            ClientAuth::ClientSecretBasic => AuthType::BasicAuth,
            ClientAuth::ClientSecretPost => AuthType::RequestBody,
        };
        Ok(CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(self.registration.client_id.clone()),
            Some(ClientSecret::new(self.registration.client_secret.clone())),
        )
        .set_redirect_uri(redirect)
        .set_auth_type(auth))
    }

    /// The provider's authorization URL for `request`.
    pub async fn authorization_url(
        &self,
        request: &Authorization<'_>,
    ) -> Result<String, ProviderError> {
        let metadata = self.metadata(false).await?;
        let client = self.client(metadata, request.callback_url)?;
        let challenge = PkceCodeChallenge::from_code_verifier_sha256(&PkceCodeVerifier::new(
            request.pkce_verifier.to_owned(),
        ));
        let state = request.state.to_owned();
        let nonce = request.nonce.to_owned();
        let mut authorize = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                move || CsrfToken::new(state),
                move || Nonce::new(nonce),
            )
            .set_pkce_challenge(challenge);
        if request.fresh_login {
            authorize = authorize
                .add_prompt(openidconnect::core::CoreAuthPrompt::Login)
                .set_max_age(Duration::from_secs(LOGIN_MAX_AGE_SECS.unsigned_abs()));
        }
        for scope in request.scopes {
            authorize = authorize.add_scope(Scope::new(scope.clone()));
        }
        for acr in &request.acr_values {
            authorize =
                authorize.add_auth_context_value(AuthenticationContextClass::new((*acr).clone()));
        }
        let (url, _, _) = authorize.url();
        Ok(url.into())
    }

    /// Checks the browser's return (`params`, whose `state` the caller has checked), exchanges
    /// the code and verifies the ID token.
    pub async fn finish(
        &self,
        params: &BTreeMap<String, String>,
        flow: &FlowSecrets<'_>,
    ) -> Result<Answer, ProviderError> {
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
            return Ok(Answer::Refused {
                error: error.chars().take(64).collect(),
            });
        }
        let code = params
            .get("code")
            .filter(|c| !c.is_empty() && c.len() <= 2048)
            .ok_or_else(|| invalid("the response carries no code"))?;
        let client = self.client(metadata.clone(), flow.callback_url)?;
        let tokens = client
            .exchange_code(AuthorizationCode::new(code.clone()))
            .map_err(|e| config(format!("token endpoint: {e}")))?
            .set_pkce_verifier(PkceCodeVerifier::new(flow.pkce_verifier.to_owned()))
            .request_async(&self.http)
            .await
            .map_err(|e| {
                tracing::warn!(relying_party = %self.name, error = %e, "token exchange failed");
                invalid("the provider refused the code")
            })?;
        let id_token = tokens
            .id_token()
            .ok_or_else(|| invalid("the token response has no ID token"))?;
        let nonce = Nonce::new(flow.nonce.to_owned());
        let now = chrono::Utc::now();
        let fresh_login = flow.fresh_login;
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
                .set_auth_time_verifier_fn(move |auth_time| {
                    if fresh_login {
                        check_auth_time(auth_time, now)
                    } else {
                        Ok(())
                    }
                });
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
                check(&self.client(fresh, flow.callback_url)?)
            }
            other => other,
        };
        let (subject, acr) = verified.map_err(|e| {
            tracing::warn!(relying_party = %self.name, error = %e, "ID token refused");
            invalid(format!("the ID token is not valid: {e}"))
        })?;
        let jwt = id_token.to_string();
        Ok(Answer::Login(Box::new(Login {
            subject,
            acr,
            claims: payload(&jwt)?,
            id_token: jwt,
            access_token: tokens.access_token().secret().clone(),
        })))
    }

    /// The userinfo endpoint's claims about `login`'s subject (none when the provider has no
    /// such endpoint); refused when they are about someone else.
    pub async fn userinfo(&self, login: &Login) -> Result<Map<String, Value>, ProviderError> {
        let metadata = self.metadata(false).await?;
        let Some(endpoint) = metadata.userinfo_endpoint() else {
            return Ok(Map::new());
        };
        self.http.check(endpoint.url().as_str()).map_err(|e| {
            tracing::warn!(relying_party = %self.name, error = %e, "userinfo endpoint refused");
            ProviderError::Unavailable
        })?;
        let mut response = self
            .http
            .client
            .get(endpoint.url().as_str())
            .bearer_auth(&login.access_token)
            .header("accept", "application/json")
            .send()
            .await
            .map_err(|e| {
                tracing::warn!(relying_party = %self.name, error = %e, "userinfo request failed");
                ProviderError::Unavailable
            })?;
        if !response.status().is_success() {
            return Err(invalid(format!("userinfo answered {}", response.status())));
        }
        // Read at most MAX_USERINFO bytes: a provider (or whoever answers in its name) cannot
        // make idgate buffer without end.
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
        let info = serde_json::from_slice::<Map<String, Value>>(&body).map_err(|_| {
            invalid("userinfo is not a JSON object (signed userinfo is not supported)")
        })?;
        if info.get("sub").and_then(Value::as_str) != Some(login.subject.as_str()) {
            return Err(invalid("userinfo is about another subject"));
        }
        Ok(info)
    }
}

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
