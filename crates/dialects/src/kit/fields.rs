//! Per-field validation messages, and decoding a checked body into its wire type.

use super::RequestError;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Per-field validation messages, keyed by the field's wire name.
pub type FieldErrors = BTreeMap<String, Vec<String>>;

pub fn add_field_error(errors: &mut FieldErrors, field: &str, message: impl Into<String>) {
    errors
        .entry(field.to_owned())
        .or_default()
        .push(message.into());
}

/// Decodes a body that passed field validation into its wire type; what still fails is a
/// shape the field checks did not foresee, reported as such.
pub fn decode<T: DeserializeOwned>(body: Map<String, Value>) -> Result<T, RequestError> {
    serde_json::from_value(Value::Object(body))
        .map_err(|e| RequestError::Undecodable(e.to_string()))
}
