//! deepidv's errors: the documented HTTP statuses (400 invalid body or phone, 401 missing or
//! invalid key, 402 token balance, 404 unknown session or workflow, 429 rate limited) with a
//! JSON body `{"error": <code>, "message": …}`.

use crate::kit::add_rate_limit_headers;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use idgate_hub::limits::RateLimited;
use idgate_hub::service::ServiceError;
use serde_json::json;

#[derive(Debug, Clone)]
pub struct DeepIdvError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    limited: Option<Box<RateLimited>>,
    /// Sent as `text/plain` (deepidv's 402, which its SDK reads as text).
    plain_text: bool,
}

impl DeepIdvError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        DeepIdvError {
            status,
            code,
            message: message.into(),
            limited: None,
            plain_text: false,
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Missing or invalid API key: send it as x-api-key.",
        )
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{what} not found."),
        )
    }
}

impl IntoResponse for DeepIdvError {
    fn into_response(self) -> Response {
        let mut response = if self.plain_text {
            (self.status, self.message).into_response()
        } else {
            let body = json!({ "error": self.code, "message": self.message });
            (self.status, Json(body)).into_response()
        };
        if let Some(limited) = &self.limited {
            add_rate_limit_headers(&mut response, limited);
        }
        response
    }
}

impl From<ServiceError> for DeepIdvError {
    fn from(e: ServiceError) -> Self {
        use ServiceError as E;
        match &e {
            E::NotFound(_) | E::Forbidden(_) => DeepIdvError::not_found("Session"),
            E::InsufficientTokens { balance, needed } => DeepIdvError {
                plain_text: true,
                ..DeepIdvError::new(
                    StatusCode::PAYMENT_REQUIRED,
                    "insufficient_token_balance",
                    format!(
                        "Insufficient token balance: a session costs {needed} token(s) and the balance is {balance}."
                    ),
                )
            },
            E::Unauthenticated => DeepIdvError::unauthorized(),
            E::InvalidReturnUrl(inner) => {
                DeepIdvError::bad_request(format!("redirect_url: {inner}"))
            }
            E::ReturnUrlNotAllowed => DeepIdvError::bad_request(
                "redirect_url is not one of your approved return URLs: register it (POST /api/v1/verification-return-urls, or ask the operator: idgate return-url) and have it approved.",
            ),
            E::UnknownProvider(_) | E::LoaUnavailable { .. } | E::InvalidInput(_) => {
                DeepIdvError::bad_request(e.to_string())
            }
            E::Lifecycle(inner) => {
                DeepIdvError::new(StatusCode::CONFLICT, "conflict", inner.to_string())
            }
            E::NotSandbox | E::Contention => {
                DeepIdvError::new(StatusCode::CONFLICT, "conflict", e.to_string())
            }
            E::RateLimited(limited) => DeepIdvError {
                limited: Some(limited.clone()),
                ..DeepIdvError::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", e.to_string())
            },
            E::Media(_)
            | E::InvalidWebhookUrl(_)
            | E::UnknownEventTypes(_)
            | E::TooManyEndpoints(_)
            | E::IdempotencyConflict
            | E::IdempotencyInProgress => DeepIdvError::bad_request(e.to_string()),
            E::Provider(_) | E::Store(_) | E::Internal(_) | E::InvalidOperator(_) => {
                tracing::error!(error = %e, "request failed");
                DeepIdvError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal_error",
                    "Something went wrong on our side; please retry later.",
                )
            }
        }
    }
}
