//! Veriff's error body: `{"status": "fail", "code": "<code>", "message": "…"}` with Veriff's
//! documented codes (authorization 18xx, request 1xxx) and the HTTP statuses Veriff uses.
//! Where Veriff documents no code (not found, rate limited, internal error), the code is the
//! HTTP status (`"404"`, `"429"`, `"500"`).

use crate::kit::{BodyError, RequestError, add_rate_limit_headers};
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use idgate_core::LifecycleError;
use idgate_hub::limits::RateLimited;
use idgate_hub::service::ServiceError;
use idgate_hub::service::media::MediaError;
use serde::Serialize;

/// An error on its way to a Veriff client.
#[derive(Debug, Clone)]
pub struct VeriffError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    limited: Option<Box<RateLimited>>,
}

/// The body as sent.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct VeriffFailure {
    /// Always `fail`.
    #[schema(example = "fail")]
    pub status: String,
    /// Veriff's troubleshooting or authorization code, e.g. `1102` or `1818`.
    #[schema(example = "1102")]
    pub code: String,
    pub message: String,
}

impl VeriffError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        VeriffError {
            status,
            code,
            message: message.into(),
            limited: None,
        }
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn unauthorized(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, code, message)
    }

    pub fn not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "404",
            "Session not found for this integration.",
        )
    }

    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "500",
            "Something went wrong on our side. It has been logged; please retry later.",
        )
    }

    pub fn body(&self) -> VeriffFailure {
        VeriffFailure {
            status: "fail".to_owned(),
            code: self.code.to_owned(),
            message: self.message.clone(),
        }
    }
}

impl IntoResponse for VeriffError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(self.body())).into_response();
        if let Some(limited) = &self.limited {
            add_rate_limit_headers(&mut response, limited);
        }
        response
    }
}

impl From<RequestError> for VeriffError {
    fn from(e: RequestError) -> Self {
        match e {
            RequestError::Body(BodyError::UnsupportedMediaType) => VeriffError::bad_request(
                "1104",
                "Send the body as JSON with Content-Type: application/json.",
            ),
            RequestError::Body(BodyError::TooLarge) => VeriffError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "1104",
                "The request body is too large.",
            ),
            RequestError::Body(BodyError::Invalid(detail)) => {
                VeriffError::bad_request("1104", detail)
            }
            RequestError::Validation(errors) => {
                let detail = errors
                    .into_iter()
                    .map(|(field, messages)| format!("{field}: {}", messages.join(" ")))
                    .collect::<Vec<_>>()
                    .join("; ");
                VeriffError::bad_request("1104", detail)
            }
            RequestError::Undecodable(detail) => VeriffError::bad_request(
                "1104",
                format!("Request includes invalid parameters: {detail}"),
            ),
            RequestError::NotFound(_) => VeriffError::not_found(),
            RequestError::InvalidQuery(detail) => VeriffError::bad_request("1104", detail),
        }
    }
}

impl From<ServiceError> for VeriffError {
    fn from(e: ServiceError) -> Self {
        use ServiceError as E;
        match &e {
            // Another integration's session is as unknown as a missing one.
            E::NotFound(_) | E::Forbidden(_) => VeriffError::not_found(),
            E::InsufficientTokens { .. } => {
                VeriffError::new(StatusCode::PAYMENT_REQUIRED, "402", e.to_string())
            }
            E::Unauthenticated => {
                VeriffError::unauthorized("1803", "Integration with the API key was not found.")
            }
            E::InvalidReturnUrl(inner) => {
                VeriffError::bad_request("1302", format!("verification.callback: {inner}"))
            }
            E::ReturnUrlNotAllowed => VeriffError::bad_request(
                "1104",
                "verification.callback is not an approved return URL of this integration; register it (POST /api/v1/verification-return-urls or the operator's idgate return-url) and have an operator approve it.",
            ),
            E::UnknownProvider(_) => VeriffError::bad_request(
                "1301",
                "The identity provider behind this API is not configured on this idgate.",
            ),
            E::InvalidInput(inner) => VeriffError::bad_request("1104", inner.to_string()),
            E::LoaUnavailable { .. } => VeriffError::bad_request("1301", e.to_string()),
            E::Lifecycle(LifecycleError::Terminal { status, .. }) => VeriffError::bad_request(
                "1304",
                format!(
                    "Cannot transition: the session is {}.",
                    super::wire::status_word(*status)
                ),
            ),
            E::Lifecycle(inner) => VeriffError::bad_request("1304", inner.to_string()),
            E::NotSandbox | E::Contention => {
                VeriffError::new(StatusCode::CONFLICT, "1304", e.to_string())
            }
            E::Media(MediaError::Closed) => VeriffError::new(
                StatusCode::CONFLICT,
                "409",
                "The session was submitted (or is final): upload media before PATCH status submitted.",
            ),
            E::Media(MediaError::TooLarge(_)) => {
                VeriffError::new(StatusCode::PAYLOAD_TOO_LARGE, "1104", e.to_string())
            }
            E::Media(_) => VeriffError::bad_request("1104", e.to_string()),
            E::RateLimited(limited) => VeriffError {
                limited: Some(limited.clone()),
                ..VeriffError::new(StatusCode::TOO_MANY_REQUESTS, "429", e.to_string())
            },
            E::InvalidWebhookUrl(_)
            | E::UnknownEventTypes(_)
            | E::TooManyEndpoints(_)
            | E::IdempotencyConflict
            | E::IdempotencyInProgress => VeriffError::bad_request("1104", e.to_string()),
            E::Provider(_) | E::Store(_) | E::Internal(_) | E::InvalidOperator(_) => {
                tracing::error!(error = %e, "request failed");
                VeriffError::internal()
            }
        }
    }
}
