//! What every dialect shares for reading requests: the JSON-object body check whose failures
//! each dialect names in its own error codes.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use serde_json::{Map, Value};

/// Why a request body is not a JSON object; each dialect names these in its own error codes.
#[derive(Debug)]
pub enum BodyError {
    /// No JSON content type (415).
    UnsupportedMediaType,
    /// Over the body limit (413).
    TooLarge,
    /// Not JSON, or JSON but not an object (400); the message says which.
    Invalid(String),
}

/// The body as a JSON object, or why it is not one.
pub fn json_object(
    body: Result<Json<Value>, JsonRejection>,
) -> Result<Map<String, Value>, BodyError> {
    let Json(value) = body.map_err(|rejection| match rejection {
        JsonRejection::MissingJsonContentType(_) => BodyError::UnsupportedMediaType,
        JsonRejection::BytesRejection(_) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            BodyError::TooLarge
        }
        other => BodyError::Invalid(format!(
            "The request body is not valid JSON: {}",
            other.body_text()
        )),
    })?;
    match value {
        Value::Object(map) => Ok(map),
        _ => Err(BodyError::Invalid(
            "The request body must be a JSON object.".to_owned(),
        )),
    }
}
