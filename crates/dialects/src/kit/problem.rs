//! Problem-document basics and the two traits shared routes are generic over.

use super::{BodyError, FieldErrors};
use crate::HubState;
use axum::extract::FromRequestParts;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use idgate_core::Partner;
use idgate_hub::ServiceError;
use idgate_hub::limits::RateLimited;
use serde::Serialize;

/// Where shared routes' OpenAPI annotations point for the error body: a dialect that mounts
/// them registers its problem document's schema under the name `Problem`.
pub const PROBLEM_SCHEMA_REF: &str = "#/components/schemas/Problem";

/// The problem `type` for a stable error code.
pub fn problem_type(code: &str) -> String {
    format!("urn:idgate:problem:{code}")
}

/// A problem document as an `application/problem+json` response.
pub fn problem_response(status: StatusCode, document: impl Serialize) -> Response {
    let mut response = (status, axum::Json(document)).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    response
}

/// Adds `Retry-After` and the IETF httpapi draft's `RateLimit-Policy` and `RateLimit` fields to
/// a 429, so a client knows which limit it met and when to come back.
pub fn add_rate_limit_headers(response: &mut Response, limited: &RateLimited) {
    let headers = response.headers_mut();
    if limited.retry_after_secs > 0 {
        headers.insert(
            header::RETRY_AFTER,
            HeaderValue::from(limited.retry_after_secs),
        );
    }
    if let Ok(policy) = HeaderValue::from_str(&limited.policy_field()) {
        headers.insert(HeaderName::from_static("ratelimit-policy"), policy);
    }
    if let Ok(limit) = HeaderValue::from_str(&limited.limit_field()) {
        headers.insert(HeaderName::from_static("ratelimit"), limit);
    }
}

/// A request-level failure found by shared code; each dialect names it in its own codes.
#[derive(Debug)]
pub enum RequestError {
    /// The body is not a JSON object.
    Body(BodyError),
    /// Fields failed their checks.
    Validation(FieldErrors),
    /// The body passed the field checks but does not decode (the message says why).
    Undecodable(String),
    /// The path names nothing of this partner's (what is missing, e.g. "webhook endpoint").
    NotFound(&'static str),
    /// The query string cannot be read.
    InvalidQuery(String),
}

/// A dialect's error shape, as shared handlers need it.
pub trait DialectError:
    From<ServiceError> + From<RequestError> + IntoResponse + Send + 'static
{
}

impl<T> DialectError for T where
    T: From<ServiceError> + From<RequestError> + IntoResponse + Send + 'static
{
}

/// A dialect's authenticated partner, extracted the dialect's way (its headers, its errors).
pub trait PartnerScope: FromRequestParts<HubState> + Send + Sync + 'static {
    fn partner(&self) -> &Partner;
}
