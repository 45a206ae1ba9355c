//! The signed result token appended to the return redirect: a JWS (compact JWT, EdDSA /
//! Ed25519) over session id, partner, status, reason and expiry. A partner verifies it with
//! any JOSE library against `{public_url}/.well-known/jwks.json` (see the README), checking
//! `iss`, `aud` (its partner id) and `exp`, and that `sub` is the `session_id` it received.

use crate::keys::SigningKey;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

/// The claims of a result token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResultClaims {
    /// idgate's public URL.
    pub iss: String,
    /// The partner id.
    pub aud: String,
    /// The session id.
    pub sub: String,
    /// The status as the session's dialect shows it (what the redirect's `status` says).
    pub status: String,
    /// The canonical lifecycle status.
    pub canonical_status: String,
    pub reason: Option<String>,
    pub iat: i64,
    pub exp: i64,
}

#[derive(Debug, thiserror::Error)]
#[error("result token: {0}")]
pub struct ResultTokenError(String);

#[derive(Debug)]
pub struct TokenInput<'a> {
    pub issuer: &'a str,
    pub partner_id: String,
    pub session_id: String,
    pub status: &'a str,
    pub canonical_status: &'a str,
    pub reason: Option<&'a str>,
    pub now: DateTime<Utc>,
    pub lifetime: Duration,
}

pub fn sign(key: &SigningKey, input: TokenInput<'_>) -> Result<String, ResultTokenError> {
    let claims = ResultClaims {
        iss: input.issuer.to_owned(),
        aud: input.partner_id,
        sub: input.session_id,
        status: input.status.to_owned(),
        canonical_status: input.canonical_status.to_owned(),
        reason: input.reason.map(str::to_owned),
        iat: input.now.timestamp(),
        exp: (input.now + input.lifetime).timestamp(),
    };
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some(key.kid.clone());
    header.typ = Some("idgate-result+jwt".into());
    jsonwebtoken::encode(&header, &claims, &EncodingKey::from_ed_der(&key.pkcs8))
        .map_err(|e| ResultTokenError(e.to_string()))
}

/// Verifies a token as a partner would (signature, issuer, audience, expiry).
pub fn verify(
    key: &SigningKey,
    token: &str,
    issuer: &str,
    partner_id: &str,
) -> Result<ResultClaims, ResultTokenError> {
    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.set_issuer(&[issuer]);
    validation.set_audience(&[partner_id]);
    validation.leeway = 5;
    jsonwebtoken::decode::<ResultClaims>(token, &DecodingKey::from_ed_der(&key.public), &validation)
        .map(|data| data.claims)
        .map_err(|e| ResultTokenError(e.to_string()))
}

/// The JWKS document publishing the public half of the signing key.
pub fn jwks(key: &SigningKey) -> serde_json::Value {
    serde_json::json!({
        "keys": [{
            "kty": "OKP",
            "crv": "Ed25519",
            "alg": "EdDSA",
            "use": "sig",
            "kid": key.kid,
            "x": URL_SAFE_NO_PAD.encode(&key.public),
        }]
    })
}
