//! RFC 9457 problem details, with the `error` member the EasyFreelance API documents.

use crate::kit::{BodyError, RequestError, add_rate_limit_headers, problem_response, problem_type};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use idgate_hub::limits::RateLimited;
use idgate_hub::service::ServiceError;
use idgate_hub::service::media::MediaError;
use serde::Serialize;
use std::collections::BTreeMap;

pub use crate::kit::FieldErrors;

/// An API error on its way to a partner (kept small: it travels in every `Result`).
#[derive(Debug, Clone)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    detail: String,
    errors: Option<Box<FieldErrors>>,
    /// The limit a 429 met, for its headers.
    limited: Option<Box<RateLimited>>,
}

/// The problem document as sent (`application/problem+json`).
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

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            detail: detail.into(),
            errors: None,
            limited: None,
        }
    }

    pub fn validation(errors: FieldErrors) -> Self {
        ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "validation_failed",
            detail: "The request body is invalid; see errors for each field.".to_owned(),
            errors: Some(Box::new(errors)),
            limited: None,
        }
    }

    pub fn internal() -> Self {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "Something went wrong on our side. It has been logged; please retry later.",
        )
    }

    pub fn document(&self) -> Problem {
        Problem {
            problem_type: problem_type(self.code),
            title: self.status.canonical_reason().unwrap_or("Error").to_owned(),
            status: self.status.as_u16(),
            code: self.code.to_owned(),
            detail: self.detail.clone(),
            error: self.detail.clone(),
            errors: self.errors.as_deref().cloned(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = problem_response(self.status, self.document());
        if let Some(limited) = &self.limited {
            add_rate_limit_headers(&mut response, limited);
        }
        response
    }
}

impl From<RequestError> for ApiError {
    fn from(e: RequestError) -> Self {
        match e {
            RequestError::Body(BodyError::UnsupportedMediaType) => ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "Send the body as JSON with Content-Type: application/json.",
            ),
            RequestError::Body(BodyError::TooLarge) => ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "The request body is too large.",
            ),
            RequestError::Body(BodyError::Invalid(detail)) => {
                ApiError::new(StatusCode::BAD_REQUEST, "invalid_json", detail)
            }
            RequestError::Validation(errors) => ApiError::validation(errors),
            RequestError::Undecodable(detail) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed",
                detail,
            ),
            RequestError::NotFound(what) => ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                format!("{what} not found"),
            ),
            RequestError::InvalidQuery(detail) => {
                ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", detail)
            }
        }
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        use ServiceError as E;
        match &e {
            E::NotFound(_) => ApiError::new(StatusCode::NOT_FOUND, "not_found", e.to_string()),
            E::InsufficientTokens { .. } => ApiError::new(
                StatusCode::PAYMENT_REQUIRED,
                "insufficient_tokens",
                e.to_string(),
            ),
            E::Forbidden(_) => ApiError::new(StatusCode::FORBIDDEN, "forbidden", e.to_string()),
            E::Unauthenticated => ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "Send a valid personal access token as Authorization: Bearer <token> and its API-key header.",
            ),
            E::InvalidReturnUrl(inner) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "return_url_invalid",
                format!("partner_return_url is invalid: {inner}"),
            ),
            E::ReturnUrlNotAllowed => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "return_url_not_allowed",
                e.to_string(),
            ),
            E::UnknownProvider(_) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "provider_unavailable",
                e.to_string(),
            ),
            E::InvalidInput(inner) => {
                let mut errors = FieldErrors::new();
                errors.insert(inner.field.clone(), vec![inner.message.clone()]);
                ApiError {
                    errors: Some(Box::new(errors)),
                    ..ApiError::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "validation_failed",
                        e.to_string(),
                    )
                }
            }
            E::LoaUnavailable { .. } => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "loa_unavailable",
                e.to_string(),
            ),
            E::Lifecycle(inner) => ApiError::new(
                StatusCode::CONFLICT,
                "invalid_status_transition",
                inner.to_string(),
            ),
            E::NotSandbox => {
                ApiError::new(StatusCode::CONFLICT, "not_a_sandbox_session", e.to_string())
            }
            E::Contention => {
                ApiError::new(StatusCode::CONFLICT, "concurrent_update", e.to_string())
            }
            E::InvalidWebhookUrl(_) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "webhook_url_invalid",
                e.to_string(),
            ),
            E::TooManyEndpoints(_) => ApiError::new(
                StatusCode::CONFLICT,
                "too_many_webhook_endpoints",
                e.to_string(),
            ),
            E::Media(MediaError::Closed) => {
                ApiError::new(StatusCode::CONFLICT, "media_closed", e.to_string())
            }
            E::Media(_) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "media_invalid",
                e.to_string(),
            ),
            E::UnknownEventTypes(_) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "unknown_event_types",
                e.to_string(),
            ),
            E::IdempotencyConflict => ApiError::new(
                StatusCode::CONFLICT,
                "idempotency_key_conflict",
                e.to_string(),
            ),
            E::IdempotencyInProgress => ApiError::new(
                StatusCode::CONFLICT,
                "idempotency_request_in_progress",
                e.to_string(),
            ),
            E::RateLimited(limited) => ApiError {
                limited: Some(limited.clone()),
                ..ApiError::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", e.to_string())
            },
            E::Provider(_) | E::Store(_) | E::Internal(_) | E::InvalidOperator(_) => {
                tracing::error!(error = %e, "request failed");
                ApiError::internal()
            }
        }
    }
}
