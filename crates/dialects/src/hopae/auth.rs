//! Hopae Connect authentication: `Authorization: Basic base64(client_id:client_secret)`.

use super::problem::HopaeError;
use crate::HubState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use idgate_core::{CredentialKind, Partner};
use idgate_hub::service::ServiceError;

/// The authenticated partner (a Hopae "app") and the `client_id` it authenticated with (its
/// webhooks name it as `clientId`).
#[derive(Debug, Clone)]
pub struct HopaePartner(pub Partner, pub String);

/// `client_id` and `client_secret` from a Basic authorization header.
fn basic_credentials(parts: &Parts) -> Option<(String, String)> {
    let value = parts.headers.get("authorization")?.to_str().ok()?.trim();
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = STANDARD.decode(encoded.trim()).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    (!id.is_empty() && !secret.is_empty()).then(|| (id.to_owned(), secret.to_owned()))
}

impl FromRequestParts<HubState> for HopaePartner {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &HubState) -> Result<Self, Response> {
        let instance = parts
            .extensions
            .get::<axum::extract::OriginalUri>()
            .map_or_else(|| parts.uri.path().to_owned(), |u| u.path().to_owned());
        let reject = |e: ServiceError| {
            let mut response = HopaeError::from(e).respond(&instance);
            response.headers_mut().insert(
                "www-authenticate",
                axum::http::HeaderValue::from_static("Basic realm=\"idgate\""),
            );
            response
        };
        let Some((client_id, client_secret)) = basic_credentials(parts) else {
            return Err(reject(ServiceError::Unauthenticated));
        };
        state
            .authenticate(CredentialKind::Hopae, &client_id, &client_secret)
            .await
            .map(|partner| HopaePartner(partner, client_id.clone()))
            .map_err(|e| match e {
                ServiceError::Unauthenticated => reject(e),
                other => HopaeError::from(other).respond(&instance).into_response(),
            })
    }
}
