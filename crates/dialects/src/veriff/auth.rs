//! Veriff authentication: `X-AUTH-CLIENT` names the integration (its API key);
//! `X-HMAC-SIGNATURE` is the hex HMAC-SHA256, keyed with the integration's shared secret, of the
//! raw body (POST, PATCH) or of the session id in the path (GET, DELETE). Creating a session
//! needs the API key alone, as at Veriff (its browser SDK holds only the key); a signature
//! sent there is checked all the same. Answers are signed the same way.

use super::credentials::IntegrationKeys;
use super::problem::VeriffError;
use aws_lc_rs::hmac;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use idgate_core::{Credential, CredentialKind, Partner};
use idgate_hub::Hub;
use idgate_hub::service::ServiceError;
use serde::Serialize;

/// What the request's signature covers.
#[derive(Clone, Copy, Debug)]
pub enum Signed<'a> {
    /// The raw body, signature required (PATCH, POST below a session).
    Body(&'a [u8]),
    /// The raw body, signature optional (POST /sessions).
    OptionalBody(&'a [u8]),
    /// The session id in the path (GET, DELETE).
    Id(&'a str),
}

/// An authenticated integration: the partner, its credential and the key it signs with.
pub struct Integration {
    pub partner: Partner,
    pub credential: Credential,
    api_key: String,
    key: hmac::Key,
}

impl std::fmt::Debug for Integration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Integration")
            .field("partner", &self.partner.id)
            .field("credential", &self.credential.id)
            .finish_non_exhaustive()
    }
}

fn header_text<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

/// Checks the request's credentials and signature, then counts it against the credential's
/// rate limit.
pub async fn authenticate(
    hub: &Hub,
    headers: &HeaderMap,
    signed: Signed<'_>,
) -> Result<Integration, VeriffError> {
    let Some(api_key) = header_text(headers, "x-auth-client") else {
        return Err(VeriffError::unauthorized(
            "1801",
            "Mandatory X-AUTH-CLIENT header containing the API key is missing from the request.",
        ));
    };
    let Ok(parsed) = uuid::Uuid::parse_str(api_key) else {
        return Err(VeriffError::unauthorized(
            "1802",
            "API key is not a valid UUID.",
        ));
    };
    let api_key = parsed.hyphenated().to_string();
    let (credential, partner) = hub
        .credential(CredentialKind::Veriff, &api_key)
        .await
        .map_err(|e| match e {
            ServiceError::Unauthenticated => {
                VeriffError::unauthorized("1803", "Integration with the API key was not found.")
            }
            other => VeriffError::from(other),
        })?;
    if let Some(integration_id) = header_text(headers, "vrf-integration-id")
        && !integration_id.eq_ignore_ascii_case(&credential.id.to_string())
    {
        return Err(VeriffError::unauthorized(
            "1803",
            "Integration with the API key was not found (vrf-integration-id names another integration).",
        ));
    }
    let keys = IntegrationKeys::of(&credential).ok_or_else(|| {
        tracing::error!(credential = %credential.id, "a Veriff credential has no shared secret");
        VeriffError::internal()
    })?;
    let key = hmac::Key::new(hmac::HMAC_SHA256, keys.shared_secret.as_bytes());
    let (payload, required, mismatch): (&[u8], bool, (&'static str, &'static str)) = match signed {
        Signed::Body(body) => (
            body,
            true,
            (
                "1819",
                "Signature does not match the HMAC-SHA256 of request body and integration API secret.",
            ),
        ),
        Signed::OptionalBody(body) => (
            body,
            false,
            (
                "1819",
                "Signature does not match the HMAC-SHA256 of request body and integration API secret.",
            ),
        ),
        Signed::Id(id) => (
            id.as_bytes(),
            true,
            (
                "1818",
                "Signature does not match the HMAC-SHA256 of query ID and integration API secret.",
            ),
        ),
    };
    match header_text(headers, "x-hmac-signature") {
        None if !required => {}
        None => {
            return Err(VeriffError::unauthorized(
                "1812",
                "Mandatory X-HMAC-SIGNATURE header is missing; sign the request with the integration's shared secret.",
            ));
        }
        Some(given) => {
            let Some(tag) = hex::decode(given).ok().filter(|t| t.len() == 32) else {
                return Err(VeriffError::unauthorized(
                    "1812",
                    "Signature is not a valid SHA256 hash.",
                ));
            };
            if hmac::verify(&key, payload, &tag).is_err() {
                return Err(VeriffError::unauthorized(mismatch.0, mismatch.1));
            }
        }
    }
    hub.limit_credential(&credential)?;
    Ok(Integration {
        partner,
        credential,
        api_key,
        key,
    })
}

impl Integration {
    /// Hex HMAC-SHA256 of `bytes` with the integration's shared secret.
    pub fn sign(&self, bytes: &[u8]) -> String {
        hex::encode(hmac::sign(&self.key, bytes).as_ref())
    }

    /// A JSON answer signed as Veriff signs its answers: `X-AUTH-CLIENT` and `X-HMAC-SIGNATURE`
    /// over the exact body (and the `vrf-` names Veriff's newer answers carry).
    pub fn respond(&self, status: StatusCode, body: &impl Serialize) -> Response {
        let bytes = match serde_json::to_vec(body) {
            Ok(b) => b,
            Err(e) => {
                tracing::error!(error = %e, "could not serialise a Veriff answer");
                return VeriffError::internal().into_response();
            }
        };
        self.respond_bytes(status, HeaderValue::from_static("application/json"), bytes)
    }

    /// Any answer (a media file too) signed over its exact bytes.
    pub fn respond_bytes(
        &self,
        status: StatusCode,
        content_type: HeaderValue,
        bytes: Vec<u8>,
    ) -> Response {
        let signature = self.sign(&bytes);
        let mut response = (status, bytes).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, content_type);
        for (name, value) in [
            ("x-auth-client", self.api_key.as_str()),
            ("vrf-auth-client", self.api_key.as_str()),
            ("x-hmac-signature", signature.as_str()),
            ("vrf-hmac-signature", signature.as_str()),
        ] {
            if let Ok(value) = HeaderValue::from_str(value) {
                headers.insert(name, value);
            }
        }
        if let Ok(id) = HeaderValue::from_str(&self.credential.id.to_string()) {
            headers.insert("vrf-integration-id", id);
        }
        response
    }
}
