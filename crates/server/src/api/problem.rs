//! RFC 9457 problem details, with the `error` member the EasyFreelance API documents.

use crate::service::ServiceError;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use std::collections::BTreeMap;

/// An API error as sent to a partner.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// `urn:idgate:problem:<code>`.
    #[serde(rename = "type")]
    pub problem_type: String,
    pub title: String,
    pub status: u16,
    /// Stable, machine-readable error code.
    pub code: String,
    /// What went wrong and how to fix it.
    pub detail: String,
    /// The same message as `detail` (the EasyFreelance `{ "error": "…" }` member).
    pub error: String,
    /// Per-field validation messages.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<BTreeMap<String, Vec<String>>>,
}

impl Problem {
    pub fn new(status: StatusCode, code: &str, detail: impl Into<String>) -> Self {
        let detail = detail.into();
        Problem {
            problem_type: format!("urn:idgate:problem:{code}"),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            code: code.to_owned(),
            error: detail.clone(),
            detail,
            errors: None,
        }
    }

    pub fn validation(errors: BTreeMap<String, Vec<String>>) -> Self {
        let mut p = Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            "The request body is invalid; see errors for each field.",
        );
        p.errors = Some(errors);
        p
    }

    pub fn internal() -> Self {
        Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "Something went wrong on our side. It has been logged; please retry later.",
        )
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (status, axum::Json(self)).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        response
    }
}

impl From<ServiceError> for Problem {
    fn from(e: ServiceError) -> Self {
        use ServiceError as E;
        match &e {
            E::NotFound(_) => Problem::new(StatusCode::NOT_FOUND, "not_found", e.to_string()),
            E::Forbidden(_) => Problem::new(StatusCode::FORBIDDEN, "forbidden", e.to_string()),
            E::Unauthenticated => Problem::new(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "Send a valid personal access token as Authorization: Bearer <token> and its API-key header.",
            ),
            E::InvalidReturnUrl(inner) => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "return_url_invalid",
                format!("partner_return_url is invalid: {inner}"),
            ),
            E::ReturnUrlNotAllowed => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "return_url_not_allowed",
                e.to_string(),
            ),
            E::UnknownProvider(_) => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "provider_unavailable",
                e.to_string(),
            ),
            E::Lifecycle(inner) => Problem::new(
                StatusCode::CONFLICT,
                "invalid_status_transition",
                inner.to_string(),
            ),
            E::NotSandbox => Problem::new(StatusCode::CONFLICT, "not_a_sandbox_session", e.to_string()),
            E::Contention => Problem::new(StatusCode::CONFLICT, "concurrent_update", e.to_string()),
            E::Provider(_) | E::Store(_) | E::Internal(_) => {
                tracing::error!(error = %e, "request failed");
                Problem::internal()
            }
        }
    }
}
