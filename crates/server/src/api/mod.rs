//! The API dialects. Each module translates its wire format to [`crate::service`] calls and
//! back; errors leave as RFC 9457 problem documents with a stable `code`.

pub mod easyfreelance;
pub mod hopae;
pub mod problem;

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use idgate_core::{Dialect, Status};
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

/// The word a dialect uses for a status (what the return redirect and webhooks carry).
pub fn dialect_status(dialect: Dialect, status: Status) -> &'static str {
    match dialect {
        Dialect::EasyFreelance => easyfreelance::status_word(status),
        Dialect::Hopae => hopae::status_word(status),
    }
}
