//! EasyFreelance authentication: `Authorization: Bearer <token>` and `API-key: <uuid>`, both
//! required and belonging to the same credential.

use crate::HubState;
use crate::easyfreelance::problem::ApiError;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use idgate_core::{CredentialKind, Partner};
use idgate_hub::service::ServiceError;

/// The authenticated partner.
#[derive(Debug, Clone)]
pub struct EasyFreelancePartner(pub Partner);

impl FromRequestParts<HubState> for EasyFreelancePartner {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &HubState) -> Result<Self, ApiError> {
        let header = |name: &str| {
            parts
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
                .filter(|v| !v.is_empty())
        };
        let token = header("authorization").and_then(|v| {
            let (scheme, token) = v.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        });
        let (Some(token), Some(api_key)) = (token, header("api-key")) else {
            return Err(ServiceError::Unauthenticated.into());
        };
        state
            .authenticate(CredentialKind::EasyFreelance, token, api_key)
            .await
            .map(EasyFreelancePartner)
            .map_err(ApiError::from)
    }
}

impl crate::kit::PartnerScope for EasyFreelancePartner {
    fn partner(&self) -> &Partner {
        &self.0
    }
}
