//! deepidv authentication: `x-api-key: <API key>`.

use super::credentials::split_key;
use super::problem::DeepIdvError;
use crate::HubState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use idgate_core::{CredentialKind, Partner};

/// The partner whose API key the request carries.
#[derive(Debug, Clone)]
pub struct DeepIdvPartner(pub Partner);

impl FromRequestParts<HubState> for DeepIdvPartner {
    type Rejection = DeepIdvError;

    async fn from_request_parts(parts: &mut Parts, state: &HubState) -> Result<Self, DeepIdvError> {
        let key = parts
            .headers
            .get("x-api-key")
            .and_then(|v| v.to_str().ok())
            .ok_or_else(DeepIdvError::unauthorized)?;
        let (lookup, check) = split_key(key).ok_or_else(DeepIdvError::unauthorized)?;
        state
            .authenticate(CredentialKind::DeepIdv, lookup, check)
            .await
            .map(DeepIdvPartner)
            .map_err(DeepIdvError::from)
    }
}
