//! idgate as an OpenID Provider for Hopae apps (Hopae's OIDC front door): a relying party
//! sends the person to `authorize` with its Hopae `client_id`, an exactly registered and
//! approved redirect URI, PKCE (S256, required), `state`, `nonce` and `acr_values`; idgate
//! creates a Hopae verification and runs its hosted flow; once decided, the browser returns to
//! the redirect URI with a single-use code (or an error), which the relying party exchanges,
//! authenticated with its client secret, for an ID token (EdDSA, signed with the key published
//! at `/.well-known/jwks.json`) and an access token for `userinfo`.
//!
//! Stateless like the rest of the flow: the code and the access token are sealed with the
//! deployment's data key; the request's parameters ride in the session; a session's code is
//! redeemed once (a mark every node shares).
//!
//! The sign-in belongs to the browser that came to `authorize` (a cookie whose keyed digest the
//! session keeps): only that browser may start the verification and receive the code, so a
//! verification link forwarded to someone else cannot sign its sender in as them.

use super::sessions::CreatedSession;
use super::{Hub, ServiceError, ServiceResult};
use aws_lc_rs::digest;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use idgate_core::{
    CredentialKind, Dialect, NewSession, Partner, ReturnUrlStatus, Session, SessionId, Status,
};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

/// Where a session keeps its authorization request.
pub const OIDC_OPTION: &str = idgate_core::SIGN_IN_REQUEST;
/// How long an access token (and the ID token) is good for.
const TOKEN_SECS: i64 = 300;
const CODE_AAD: &str = "oidc-front-door-code";
const ACCESS_AAD: &str = "oidc-front-door-access";

/// An authorization request, as checked by the front door.
#[derive(Clone, Debug, Default)]
pub struct AuthorizationRequest {
    pub client_id: String,
    pub redirect_uri: String,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: String,
    pub scopes: Vec<String>,
    /// The eID provider the relying party names (`provider_id`); else the partner's offer.
    pub provider_id: Option<String>,
    /// From `acr_values=urn:hopae:loa:N`.
    pub loa: Option<u8>,
    /// The person's languages (`ui_locales`), for the hosted pages.
    pub ui_locales: Option<String>,
    /// The value of the browser's sign-in cookie.
    pub browser: String,
}

/// The sign-in cookie: host-only and Secure on https deployments.
pub const BROWSER_COOKIE: &str = "idgate-signin";
pub const BROWSER_COOKIE_SECURE: &str = "__Host-idgate-signin";

/// Where a front-door session sends the browser once it has an outcome.
#[derive(Debug)]
pub enum FrontDoorReturn {
    /// Back to the relying party: a code or an error.
    Redirect(url::Url),
    /// Not for this browser: only the one that came to `authorize` gets the answer.
    OtherBrowser,
    /// The code would have expired: the relying party must start again.
    Stale,
    /// Not decided yet (a resubmission request): the person stays on idgate's pages.
    StayHere,
}

/// What the request kept in the session (`dialect_options.oidc`).
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Kept {
    client_id: String,
    redirect_uri: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    state: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    nonce: Option<String>,
    code_challenge: String,
    scopes: Vec<String>,
    /// Keyed digest of the browser's sign-in cookie.
    browser: String,
}

#[derive(Serialize, Deserialize)]
struct SealedCode {
    s: SessionId,
    c: String,
    e: i64,
}

#[derive(Serialize, Deserialize)]
struct SealedAccess {
    s: SessionId,
    c: String,
    e: i64,
    /// The claims the scopes asked for.
    k: Vec<String>,
}

/// An OAuth error (RFC 6749 §5.2), with what to tell the client.
#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    #[error("invalid_client: {0}")]
    InvalidClient(String),
    #[error("invalid_grant: {0}")]
    InvalidGrant(String),
    #[error("invalid_request: {0}")]
    InvalidRequest(String),
    #[error("unsupported_grant_type")]
    UnsupportedGrantType,
    #[error("invalid_token: {0}")]
    InvalidToken(String),
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl OidcError {
    /// The RFC 6749 error code.
    pub fn code(&self) -> &'static str {
        match self {
            OidcError::InvalidClient(_) => "invalid_client",
            OidcError::InvalidGrant(_) => "invalid_grant",
            OidcError::InvalidRequest(_) => "invalid_request",
            OidcError::UnsupportedGrantType => "unsupported_grant_type",
            OidcError::InvalidToken(_) => "invalid_token",
            OidcError::Service(_) => "server_error",
        }
    }
}

/// The token endpoint's answer.
#[derive(Debug, Serialize)]
pub struct TokenAnswer {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    pub id_token: String,
    pub scope: String,
}

/// The claims each scope asks for (OpenID Connect Core §5.4, and Hopae's `idv`).
pub fn claims_for_scopes(scopes: &[String]) -> Vec<String> {
    let mut claims = Vec::new();
    for scope in scopes {
        let names: &[&str] = match scope.as_str() {
            "profile" => &["name", "given_name", "family_name", "birthdate"],
            "email" => &["email"],
            "phone" => &["phone_number"],
            "address" => &["address"],
            "idv" | "hopae" => &["personal_identity_number", "nationality", "country"],
            _ => &[],
        };
        for name in names {
            if !claims.iter().any(|c| c == name) {
                claims.push((*name).to_owned());
            }
        }
    }
    claims
}

fn pkce_s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(digest::digest(&digest::SHA256, verifier.as_bytes()))
}

impl Hub {
    /// The issuer the front door speaks as.
    pub fn oidc_issuer(&self) -> String {
        format!("{}/connect/oidc", self.settings.public_base())
    }

    /// The partner (Hopae app) a `client_id` names, without its secret (the authorize step).
    pub async fn partner_by_client_id(&self, client_id: &str) -> ServiceResult<Partner> {
        self.credential(CredentialKind::Hopae, client_id)
            .await
            .map(|(_, partner)| partner)
    }

    /// Whether `redirect_uri` is, exactly, one of the partner's approved return URLs (OAuth
    /// redirect URIs are compared whole, RFC 9700 §2.1).
    pub async fn oidc_redirect_allowed(
        &self,
        partner: &Partner,
        redirect_uri: &str,
    ) -> ServiceResult<bool> {
        Ok(self
            .partner_return_urls(partner)
            .await?
            .iter()
            .any(|r| r.status == ReturnUrlStatus::Approved && r.requested_url == redirect_uri))
    }

    /// Creates the verification an authorization request asks for; the browser goes to its
    /// `verification_url`.
    pub async fn oidc_authorize(
        &self,
        partner: &Partner,
        request: AuthorizationRequest,
    ) -> ServiceResult<CreatedSession> {
        let kept = Kept {
            client_id: request.client_id.clone(),
            redirect_uri: request.redirect_uri.clone(),
            state: request.state,
            nonce: request.nonce,
            code_challenge: request.code_challenge,
            scopes: request.scopes.clone(),
            browser: self.keys.bind("oidc-signin-browser", &request.browser),
        };
        let mut options = Map::new();
        options.insert("clientId".into(), Value::String(request.client_id));
        let mut reserved = Map::new();
        reserved.insert(
            OIDC_OPTION.into(),
            serde_json::to_value(&kept).map_err(|e| ServiceError::Internal(e.to_string()))?,
        );
        if let Some(locales) = request.ui_locales {
            options.insert("ui_locales".into(), Value::String(locales));
        }
        let offered = &partner.offered_providers;
        let (provider_id, provider_choices) = match request.provider_id {
            // The request is the person's to edit: a partner that offers a set keeps to it.
            Some(id) if !offered.is_empty() && !offered.contains(&id) => {
                return Err(ServiceError::InvalidInput(idgate_providers::InputError {
                    missing: false,
                    field: "provider_id".into(),
                    message: "is not one of the providers this app offers".into(),
                }));
            }
            Some(id) => (id, Vec::new()),
            None => match offered.first() {
                Some(first) => (first.clone(), offered.clone()),
                None => {
                    return Err(ServiceError::InvalidInput(idgate_providers::InputError {
                        missing: true,
                        field: "provider_id".into(),
                        message: "name the eID provider (this app offers no choice of its own)"
                            .into(),
                    }));
                }
            },
        };
        self.create_session_with(
            partner,
            Dialect::Hopae,
            NewSession {
                provider_id,
                provider_choices,
                dialect_options: options,
                requested_loa: request.loa,
                requested_claims: claims_for_scopes(&request.scopes),
                // Approved exactly above; the session goes back there.
                return_url: Some(request.redirect_uri),
                ..NewSession::default()
            },
            reserved,
        )
        .await
    }

    fn front_door(session: &Session) -> Option<Kept> {
        if session.dialect != Dialect::Hopae {
            return None;
        }
        serde_json::from_value(session.dialect_options.get(OIDC_OPTION)?.clone()).ok()
    }

    /// Whether `session` is a sign-in through the front door.
    pub fn is_front_door(&self, session: &Session) -> bool {
        Self::front_door(session).is_some()
    }

    /// Whether `browser` (the sign-in cookie's value) is the one that came to `authorize`
    /// for this front-door session.
    pub fn front_door_browser(&self, session: &Session, browser: Option<&str>) -> bool {
        match (Self::front_door(session), browser) {
            (Some(kept), Some(browser)) => {
                let given = self.keys.bind("oidc-signin-browser", browser);
                bool::from(subtle::ConstantTimeEq::ct_eq(
                    given.as_bytes(),
                    kept.browser.as_bytes(),
                ))
            }
            _ => false,
        }
    }

    /// Where a front-door session sends the browser (`browser`: its sign-in cookie's value):
    /// the redirect URI with a code (approved) or an error, its `state` and the issuer (RFC
    /// 9207). `None` for sessions that did not come through the front door.
    pub fn oidc_return(&self, session: &Session, browser: Option<&str>) -> Option<FrontDoorReturn> {
        let kept = Self::front_door(session)?;
        if !session.status.is_terminal() {
            return Some(FrontDoorReturn::StayHere);
        }
        if !self.front_door_browser(session, browser) {
            return Some(FrontDoorReturn::OtherBrowser);
        }
        let Ok(mut url) = url::Url::parse(&kept.redirect_uri) else {
            return Some(FrontDoorReturn::Stale);
        };
        {
            let mut query = url.query_pairs_mut();
            if session.status == Status::Approved {
                // Counted from the decision, as the result token is: an old link (history,
                // a mail scanner) does not make fresh codes.
                let expires = session.decided_at.unwrap_or_else(Utc::now)
                    + self.config.authorization_code_lifetime;
                if Utc::now() > expires {
                    return Some(FrontDoorReturn::Stale);
                }
                let Some(code) = self.seal(
                    CODE_AAD,
                    &SealedCode {
                        s: session.id,
                        c: kept.client_id.clone(),
                        e: expires.timestamp(),
                    },
                ) else {
                    return Some(FrontDoorReturn::Stale);
                };
                query.append_pair("code", &code);
            } else {
                query.append_pair("error", "access_denied");
                query.append_pair(
                    "error_description",
                    &format!("the verification ended {}", session.status.as_str()),
                );
            }
            if let Some(state) = &kept.state {
                query.append_pair("state", state);
            }
            query.append_pair("iss", &self.oidc_issuer());
        }
        Some(FrontDoorReturn::Redirect(url))
    }

    /// Exchanges a code for tokens, for the client that proves its secret.
    pub async fn oidc_token(
        &self,
        client_id: &str,
        client_secret: &str,
        code: &str,
        redirect_uri: &str,
        code_verifier: &str,
    ) -> Result<TokenAnswer, OidcError> {
        let partner = self
            .authenticate(CredentialKind::Hopae, client_id, client_secret)
            .await
            .map_err(|e| match e {
                ServiceError::Unauthenticated => {
                    OidcError::InvalidClient("unknown client or wrong secret".into())
                }
                other => OidcError::Service(other),
            })?;
        let sealed: SealedCode = self
            .open(CODE_AAD, code)
            .ok_or_else(|| OidcError::InvalidGrant("the code is not one idgate issued".into()))?;
        let now = Utc::now();
        if now.timestamp() > sealed.e {
            return Err(OidcError::InvalidGrant("the code has expired".into()));
        }
        if sealed.c != client_id {
            return Err(OidcError::InvalidGrant(
                "the code was issued to another client".into(),
            ));
        }
        let session = self.session(sealed.s).await.map_err(|e| match e {
            ServiceError::NotFound(_) => OidcError::InvalidGrant("the verification is gone".into()),
            other => OidcError::Service(other),
        })?;
        let kept = Self::front_door(&session)
            .ok_or_else(|| OidcError::InvalidGrant("not an authorization".into()))?;
        if session.partner_id != partner.id || kept.client_id != client_id {
            return Err(OidcError::InvalidGrant(
                "the code was issued to another client".into(),
            ));
        }
        if kept.redirect_uri != redirect_uri {
            return Err(OidcError::InvalidGrant(
                "redirect_uri differs from the authorization request's".into(),
            ));
        }
        if pkce_s256(code_verifier) != kept.code_challenge {
            return Err(OidcError::InvalidGrant(
                "code_verifier does not match the code_challenge".into(),
            ));
        }
        if session.status != Status::Approved {
            return Err(OidcError::InvalidGrant(
                "the verification was not approved".into(),
            ));
        }
        let until = DateTime::from_timestamp(sealed.e, 0).unwrap_or(now);
        // A code is good once; redeeming it again is refused (RFC 6749 §4.1.2).
        if !self
            .mark_once(
                &format!("oidc-code:{}", session.id),
                until + Duration::days(1),
            )
            .await?
        {
            return Err(OidcError::InvalidGrant("the code was used already".into()));
        }
        let claims = claims_for_scopes(&kept.scopes);
        let id_token = self.id_token(&session, client_id, kept.nonce.as_deref(), &claims, now)?;
        let access_token = self
            .seal(
                ACCESS_AAD,
                &SealedAccess {
                    s: session.id,
                    c: client_id.to_owned(),
                    e: (now + Duration::seconds(TOKEN_SECS)).timestamp(),
                    k: claims,
                },
            )
            .ok_or_else(|| OidcError::Service(ServiceError::Internal("sealing failed".into())))?;
        Ok(TokenAnswer {
            access_token,
            token_type: "Bearer",
            expires_in: TOKEN_SECS,
            id_token,
            scope: kept.scopes.join(" "),
        })
    }

    /// The userinfo answer for an access token.
    pub async fn oidc_userinfo(&self, access_token: &str) -> Result<Value, OidcError> {
        let sealed: SealedAccess = self
            .open(ACCESS_AAD, access_token)
            .ok_or_else(|| OidcError::InvalidToken("not an access token idgate issued".into()))?;
        if Utc::now().timestamp() > sealed.e {
            return Err(OidcError::InvalidToken(
                "the access token has expired".into(),
            ));
        }
        let session = self.session(sealed.s).await.map_err(|e| match e {
            ServiceError::NotFound(_) => OidcError::InvalidToken("the verification is gone".into()),
            other => OidcError::Service(other),
        })?;
        if session.status != Status::Approved || sealed.c.is_empty() {
            return Err(OidcError::InvalidToken(
                "the verification is no longer approved".into(),
            ));
        }
        let mut info = self.person_claims(&session, &sealed.k);
        info.insert(
            "sub".into(),
            Value::String(self.front_door_subject(&session)),
        );
        Ok(Value::Object(info))
    }

    /// The subject the relying party sees: pairwise per partner and provider.
    fn front_door_subject(&self, session: &Session) -> String {
        self.pairwise_subject(session)
            .unwrap_or_else(|| self.keys.bind("pairwise-sub", &session.id.to_string()))
    }

    /// The verified claims `wanted` asks for, with the assurance reached.
    fn person_claims(&self, session: &Session, wanted: &[String]) -> Map<String, Value> {
        let mut out = Map::new();
        if let Some(claims) = &session.result_claims {
            for (name, value) in &claims.0 {
                if wanted.iter().any(|w| w == name) {
                    out.insert(name.clone(), value.clone());
                }
            }
        }
        if let Some(loa) = session.achieved_loa {
            out.insert("acr".into(), Value::String(format!("urn:hopae:loa:{loa}")));
            out.insert("hopae_loa".into(), loa.into());
        }
        out.insert(
            "provider_id".into(),
            Value::String(session.provider_id.clone()),
        );
        out
    }

    fn id_token(
        &self,
        session: &Session,
        client_id: &str,
        nonce: Option<&str>,
        wanted: &[String],
        now: DateTime<Utc>,
    ) -> Result<String, OidcError> {
        let mut claims = self.person_claims(session, wanted);
        let extra = json!({
            "iss": self.oidc_issuer(),
            "sub": self.front_door_subject(session),
            "aud": client_id,
            "iat": now.timestamp(),
            "exp": (now + Duration::seconds(TOKEN_SECS)).timestamp(),
            "auth_time": session.decided_at.unwrap_or(now).timestamp(),
        });
        if let Value::Object(extra) = extra {
            claims.extend(extra);
        }
        if let Some(nonce) = nonce {
            claims.insert("nonce".into(), Value::String(nonce.to_owned()));
        }
        let key = &self.keys.signing;
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(key.kid.clone());
        header.typ = Some("JWT".into());
        jsonwebtoken::encode(&header, &claims, &EncodingKey::from_ed_der(&key.pkcs8))
            .map_err(|e| OidcError::Service(ServiceError::Internal(e.to_string())))
    }

    fn seal<T: Serialize>(&self, aad: &str, value: &T) -> Option<String> {
        let plain = serde_json::to_vec(value).ok()?;
        let blob = self.keys.data.encrypt(aad, &plain).ok()?;
        Some(URL_SAFE_NO_PAD.encode(blob))
    }

    fn open<T: serde::de::DeserializeOwned>(&self, aad: &str, sealed: &str) -> Option<T> {
        let blob = URL_SAFE_NO_PAD.decode(sealed).ok()?;
        let plain = self.keys.data.decrypt(aad, &blob).ok()?;
        serde_json::from_slice(&plain).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::{claims_for_scopes, pkce_s256};

    #[test]
    fn pkce_s256_is_the_unpadded_base64url_sha256_of_the_verifier() {
        // Computed apart, with Python's hashlib and base64.
        assert_eq!(
            pkce_s256("dBjftJeZ4CVP-mJ0kzSeRPPR9Ftyt0gKt8y5GjoQYkz"),
            "PUI3KUtxfQIHEOpmO9Gr_C6pZkWhyCKoEtEKKADcHkQ"
        );
    }

    #[test]
    fn scopes_ask_for_their_standard_claims() {
        let scopes = ["openid", "profile", "email"].map(String::from);
        assert_eq!(
            claims_for_scopes(&scopes),
            ["name", "given_name", "family_name", "birthdate", "email"]
        );
    }
}
