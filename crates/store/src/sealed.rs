//! Personal data on its way to and from disk: JSON, then AES-256-GCM bound to
//! `table.column:row id`. Shared by every engine so they encrypt identically.

use crate::{KeyRing, StoreError, StoreResult, field_context};
use idgate_core::Session;
use serde::Serialize;
use serde::de::DeserializeOwned;

fn corrupt(e: serde_json::Error) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

/// Encrypts `value` (if any) for `table.column` of row `row_id`.
pub fn seal<T: Serialize>(
    keys: &KeyRing,
    table: &str,
    column: &str,
    row_id: &str,
    value: Option<&T>,
) -> StoreResult<Option<Vec<u8>>> {
    value
        .map(|v| {
            let plain = serde_json::to_vec(v).map_err(corrupt)?;
            Ok(keys.encrypt(&field_context(table, column, row_id), &plain)?)
        })
        .transpose()
}

/// Decrypts what [`seal`] wrote for the same table, column and row.
pub fn open<T: DeserializeOwned>(
    keys: &KeyRing,
    table: &str,
    column: &str,
    row_id: &str,
    blob: Option<Vec<u8>>,
) -> StoreResult<Option<T>> {
    blob.map(|blob| {
        let plain = keys.decrypt(&field_context(table, column, row_id), &blob)?;
        serde_json::from_slice(&plain).map_err(corrupt)
    })
    .transpose()
}

/// The encrypted personal-data columns of a session row.
#[derive(Debug)]
pub struct SealedSession {
    pub applicant: Option<Vec<u8>>,
    pub match_data: Option<Vec<u8>>,
    pub result_claims: Option<Vec<u8>>,
    pub match_result: Option<Vec<u8>>,
    pub evidence: Option<Vec<u8>>,
    pub provider_state: Option<Vec<u8>>,
}

impl SealedSession {
    pub fn seal(keys: &KeyRing, s: &Session) -> StoreResult<Self> {
        let id = s.id.to_string();
        Ok(SealedSession {
            applicant: seal(keys, "sessions", "applicant", &id, s.applicant.as_ref())?,
            match_data: seal(keys, "sessions", "match_data", &id, s.match_data.as_ref())?,
            result_claims: seal(
                keys,
                "sessions",
                "result_claims",
                &id,
                s.result_claims.as_ref(),
            )?,
            match_result: seal(
                keys,
                "sessions",
                "match_result",
                &id,
                s.match_result.as_ref(),
            )?,
            evidence: seal(keys, "sessions", "evidence", &id, s.evidence.as_ref())?,
            provider_state: seal(
                keys,
                "sessions",
                "provider_state",
                &id,
                s.provider_state.as_ref(),
            )?,
        })
    }
}
