//! Hopae Connect errors: RFC 7807 problem documents with Hopae's upper-case code families
//! (`AUTH_*`, `VALIDATION_*`, `SESSION_*`, `PROVIDER_*`, `RESOURCE_*`, `IDEMPOTENCY_*`,
//! `SYSTEM_*`) and its members (`title`, `status`, `detail`, `instance`, `timestamp`,
//! `context`).

use crate::kit::{BodyError, RequestError, add_rate_limit_headers, problem_response, problem_type};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{SecondsFormat, Utc};
use idgate_core::LifecycleError;
use idgate_hub::limits::RateLimited;
use idgate_hub::service::ServiceError;
use idgate_hub::service::media::MediaError;
use serde::Serialize;
use serde_json::{Map, Value};

/// An error on its way to a Hopae client.
#[derive(Debug, Clone)]
pub struct HopaeError {
    status: StatusCode,
    code: &'static str,
    detail: String,
    context: Option<Box<Map<String, Value>>>,
    /// The limit a 429 met, for its headers.
    limited: Option<Box<RateLimited>>,
}

/// The document as sent (`application/problem+json`).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HopaeProblem {
    /// `urn:idgate:problem:<code>`.
    #[serde(rename = "type")]
    pub problem_type: String,
    /// The error code, as Hopae sends it, e.g. `VALIDATION_MISSING_PARAMETER`.
    pub title: String,
    pub status: u16,
    /// The error code again (idgate's other dialects name it `code`).
    pub code: String,
    pub detail: String,
    /// The request path.
    pub instance: String,
    pub timestamp: String,
    /// Details such as the offending `field`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<Map<String, Value>>,
}

impl HopaeError {
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Self {
        HopaeError {
            status,
            code,
            detail: detail.into(),
            context: None,
            limited: None,
        }
    }

    /// A 400 naming the offending field.
    pub fn field(code: &'static str, field: &str, detail: impl Into<String>) -> Self {
        let mut context = Map::new();
        context.insert("field".into(), field.into());
        HopaeError {
            context: Some(Box::new(context)),
            ..HopaeError::new(StatusCode::BAD_REQUEST, code, detail)
        }
    }

    pub fn invalid(field: &str, detail: impl Into<String>) -> Self {
        Self::field("VALIDATION_INVALID_PARAMETER", field, detail)
    }

    pub fn missing(field: &str) -> Self {
        Self::field(
            "VALIDATION_MISSING_PARAMETER",
            field,
            format!("{field} is required."),
        )
    }

    pub fn not_found() -> Self {
        HopaeError::new(
            StatusCode::NOT_FOUND,
            "SESSION_VERIFICATION_NOT_FOUND",
            "No verification with this id exists for your app.",
        )
    }

    pub fn internal() -> Self {
        HopaeError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "SYSTEM_INTERNAL_ERROR",
            "Something went wrong on our side. It has been logged; retry once.",
        )
    }

    pub fn document(&self, instance: &str) -> HopaeProblem {
        HopaeProblem {
            problem_type: problem_type(self.code),
            // Hopae puts the error code in `title` (its clients switch on it).
            title: self.code.to_owned(),
            status: self.status.as_u16(),
            code: self.code.to_owned(),
            detail: self.detail.clone(),
            instance: instance.to_owned(),
            timestamp: Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true),
            context: self.context.as_deref().cloned(),
        }
    }

    /// The response `render` makes of the error's status, code, detail and context (another
    /// envelope than the problem document: the workspace API's), with a 429's headers.
    pub fn respond_with(
        &self,
        render: impl FnOnce(StatusCode, &str, &str, Option<&Map<String, Value>>) -> Response,
    ) -> Response {
        let mut response = render(
            self.status,
            self.code,
            &self.detail,
            self.context.as_deref(),
        );
        if let Some(limited) = &self.limited {
            add_rate_limit_headers(&mut response, limited);
        }
        response
    }

    /// The response for a request to `instance`.
    pub fn respond(&self, instance: &str) -> Response {
        let mut response = problem_response(self.status, self.document(instance));
        if let Some(limited) = &self.limited {
            add_rate_limit_headers(&mut response, limited);
        }
        response
    }
}

/// Without the request path at hand (extractor rejections), the problem names no instance.
impl IntoResponse for HopaeError {
    fn into_response(self) -> Response {
        self.respond("")
    }
}

impl From<RequestError> for HopaeError {
    fn from(e: RequestError) -> Self {
        match e {
            RequestError::Body(BodyError::UnsupportedMediaType) => HopaeError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "VALIDATION_UNSUPPORTED_MEDIA_TYPE",
                "Send the body as JSON with Content-Type: application/json.",
            ),
            RequestError::Body(BodyError::TooLarge) => HopaeError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "VALIDATION_PAYLOAD_TOO_LARGE",
                "The request body is too large.",
            ),
            RequestError::Body(BodyError::Invalid(detail)) => {
                HopaeError::new(StatusCode::BAD_REQUEST, "VALIDATION_INVALID_JSON", detail)
            }
            // Hopae names one offending field per problem: the first.
            RequestError::Validation(errors) => match errors.into_iter().next() {
                Some((field, messages)) => HopaeError::invalid(&field, messages.join(" ")),
                None => HopaeError::invalid("body", "The request body is invalid."),
            },
            RequestError::Undecodable(detail) => {
                HopaeError::invalid("body", format!("The request body is invalid: {detail}"))
            }
            RequestError::NotFound("verification") => HopaeError::not_found(),
            RequestError::NotFound(what) => HopaeError::new(
                StatusCode::NOT_FOUND,
                "RESOURCE_NOT_FOUND",
                format!("No {what} with this id exists for your app."),
            ),
            RequestError::InvalidQuery(detail) => {
                HopaeError::field("VALIDATION_INVALID_PARAMETER", "query", detail)
            }
        }
    }
}

impl From<ServiceError> for HopaeError {
    fn from(e: ServiceError) -> Self {
        use ServiceError as E;
        match &e {
            // Another app's verification is as unknown as a missing one.
            E::NotFound(_) | E::Forbidden(_) => HopaeError::not_found(),
            // Hopae documents no code for it: an idgate one.
            E::InsufficientTokens { .. } => HopaeError::new(
                StatusCode::PAYMENT_REQUIRED,
                "BILLING_INSUFFICIENT_TOKENS",
                e.to_string(),
            ),
            E::Unauthenticated => HopaeError::new(
                StatusCode::UNAUTHORIZED,
                "AUTH_INVALID_CREDENTIALS",
                "Send your client_id and client_secret with HTTP Basic authentication.",
            ),
            E::InvalidReturnUrl(inner) => HopaeError::field(
                "VALIDATION_INVALID_PARAMETER",
                "redirectUri",
                format!("redirectUri is invalid: {inner}"),
            ),
            E::ReturnUrlNotAllowed => HopaeError::field(
                "VALIDATION_INVALID_PARAMETER",
                "redirectUri",
                "redirectUri is not on your app's approved list; register it and have an operator approve it.",
            ),
            E::UnknownProvider(id) => HopaeError::new(
                StatusCode::NOT_FOUND,
                "PROVIDER_NOT_FOUND",
                format!("There is no provider {id:?}; GET /providers lists those there are."),
            ),
            E::InvalidInput(inner) => HopaeError::field(
                if inner.missing {
                    "VALIDATION_MISSING_PARAMETER"
                } else {
                    "VALIDATION_INVALID_PARAMETER"
                },
                &inner.field,
                inner.to_string(),
            ),
            E::LoaUnavailable { .. } => HopaeError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "VALIDATION_UNPROCESSABLE",
                e.to_string(),
            ),
            E::Lifecycle(LifecycleError::Terminal { .. }) => HopaeError::new(
                StatusCode::BAD_REQUEST,
                "SESSION_ALREADY_TERMINAL",
                format!("{e}; a finished verification cannot change."),
            ),
            E::Lifecycle(inner) => HopaeError::new(
                StatusCode::CONFLICT,
                "SESSION_INVALID_STATUS_TRANSITION",
                inner.to_string(),
            ),
            E::NotSandbox => HopaeError::new(
                StatusCode::CONFLICT,
                "PROVIDER_NOT_SANDBOX",
                "This verification does not use a sandbox provider.",
            ),
            E::Contention => {
                HopaeError::new(StatusCode::CONFLICT, "RESOURCE_CONFLICT", e.to_string())
            }
            E::TooManyEndpoints(_) => HopaeError::new(
                StatusCode::CONFLICT,
                "RESOURCE_LIMIT_EXCEEDED",
                e.to_string(),
            ),
            E::Media(MediaError::Closed) => {
                HopaeError::new(StatusCode::CONFLICT, "SESSION_MEDIA_CLOSED", e.to_string())
            }
            E::Media(_) => HopaeError::new(
                StatusCode::BAD_REQUEST,
                "VALIDATION_INVALID_PARAMETER",
                e.to_string(),
            ),
            E::InvalidWebhookUrl(_) => {
                HopaeError::field("VALIDATION_INVALID_PARAMETER", "webhookUrl", e.to_string())
            }
            E::IdempotencyConflict => HopaeError::new(
                StatusCode::CONFLICT,
                "IDEMPOTENCY_KEY_CONFLICT",
                "This Idempotency-Key was used with a different request body.",
            ),
            E::IdempotencyInProgress => HopaeError::new(
                StatusCode::CONFLICT,
                "IDEMPOTENCY_REQUEST_IN_PROGRESS",
                "A request with this Idempotency-Key is still running; retry shortly.",
            ),
            E::Provider(_) => {
                tracing::warn!(error = %e, "provider call failed");
                HopaeError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "PROVIDER_UNAVAILABLE",
                    "The provider could not be reached; retry with backoff.",
                )
            }
            // Hopae documents a 429 with Retry-After but names no code for it.
            E::RateLimited(limited) => HopaeError {
                limited: Some(limited.clone()),
                ..HopaeError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "RATE_LIMIT_EXCEEDED",
                    e.to_string(),
                )
            },
            E::UnknownEventTypes(_) | E::Store(_) | E::Internal(_) | E::InvalidOperator(_) => {
                tracing::error!(error = %e, "request failed");
                HopaeError::internal()
            }
        }
    }
}
