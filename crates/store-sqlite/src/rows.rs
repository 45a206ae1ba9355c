//! Row ⇄ domain conversions for SQLite.

use chrono::{DateTime, Utc};
use idgate_core::{
    ApplicantData, Credential, CredentialId, MatchData, MatchResult, Partner, PartnerId,
    ProviderEvidence, ProviderState, ResultClaims, ReturnUrlRule, ReturnUrlRuleId, Session,
    SessionEvent, SessionId,
};
use idgate_store::{KeyRing, StoreError, StoreResult, sealed};
use rusqlite::Row;
use rusqlite::types::FromSql;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::str::FromStr;
use uuid::Uuid;

pub fn micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

pub fn opt_micros(t: Option<DateTime<Utc>>) -> Option<i64> {
    t.map(micros)
}

fn instant(v: i64) -> StoreResult<DateTime<Utc>> {
    DateTime::from_timestamp_micros(v).ok_or_else(|| corrupt("timestamp out of range"))
}

pub fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(what.to_string())
}

pub fn json<T: Serialize>(v: &T) -> StoreResult<String> {
    serde_json::to_string(v).map_err(corrupt)
}

pub fn from_json<T: DeserializeOwned>(s: &str) -> StoreResult<T> {
    serde_json::from_str(s).map_err(corrupt)
}

pub fn uuid(s: &str) -> StoreResult<Uuid> {
    Uuid::parse_str(s).map_err(corrupt)
}

pub fn get<T: FromSql>(row: &Row<'_>, col: &str) -> StoreResult<T> {
    row.get(col).map_err(|e| corrupt(format!("{col}: {e}")))
}

pub fn uuid_col(row: &Row<'_>, col: &str) -> StoreResult<Uuid> {
    uuid(&get::<String>(row, col)?)
}

pub fn opt_uuid_col(row: &Row<'_>, col: &str) -> StoreResult<Option<Uuid>> {
    get::<Option<String>>(row, col)?
        .map(|s| uuid(&s))
        .transpose()
}

fn parsed<T: FromStr>(row: &Row<'_>, col: &str) -> StoreResult<T>
where
    T::Err: std::fmt::Display,
{
    parse_text(&get::<String>(row, col)?, col)
}

fn parse_text<T: FromStr>(text: &str, col: &str) -> StoreResult<T>
where
    T::Err: std::fmt::Display,
{
    text.parse().map_err(|e| corrupt(format!("{col}: {e}")))
}

fn opt_parsed<T: FromStr>(row: &Row<'_>, col: &str) -> StoreResult<Option<T>>
where
    T::Err: std::fmt::Display,
{
    let text: Option<String> = get(row, col)?;
    text.map(|t| t.parse().map_err(|e| corrupt(format!("{col}: {e}"))))
        .transpose()
}

pub fn at(row: &Row<'_>, col: &str) -> StoreResult<DateTime<Utc>> {
    instant(get(row, col)?)
}

pub fn opt_at(row: &Row<'_>, col: &str) -> StoreResult<Option<DateTime<Utc>>> {
    get::<Option<i64>>(row, col)?.map(instant).transpose()
}

pub fn partner(row: &Row<'_>) -> StoreResult<Partner> {
    Ok(Partner {
        id: PartnerId(uuid(&get::<String>(row, "id")?)?),
        number: get::<Option<i64>>(row, "number")?.unwrap_or_default(),
        name: get(row, "name")?,
        tier: parsed(row, "tier")?,
        session_cap: get(row, "session_cap")?,
        evidence: parsed(row, "evidence")?,
        session_ttl_secs: get(row, "session_ttl_secs")?,
        frame_ancestors: from_json(&get::<String>(row, "frame_ancestors")?)?,
        branding: from_json(&get::<String>(row, "branding")?)?,
        offered_providers: from_json(&get::<String>(row, "offered_providers")?)?,
        workflows: from_json(&get::<String>(row, "workflows")?)?,
        return_urls: parsed(row, "return_url_policy")?,
        created_at: at(row, "created_at")?,
    })
}

pub fn credential(row: &Row<'_>, keys: &KeyRing) -> StoreResult<Credential> {
    let id = CredentialId(uuid(&get::<String>(row, "id")?)?);
    Ok(Credential {
        shared_secret: sealed::open(
            keys,
            "credentials",
            "shared_secret",
            &id.0.hyphenated().to_string(),
            get(row, "shared_secret")?,
        )?,
        id,
        partner_id: PartnerId(uuid(&get::<String>(row, "partner_id")?)?),
        kind: parsed(row, "kind")?,
        lookup_digest: get(row, "lookup_digest")?,
        secret_digest: get(row, "secret_digest")?,
        public_id: get(row, "public_id")?,
        created_at: at(row, "created_at")?,
        revoked_at: opt_at(row, "revoked_at")?,
    })
}

pub fn return_url_rule(row: &Row<'_>) -> StoreResult<ReturnUrlRule> {
    Ok(ReturnUrlRule {
        id: ReturnUrlRuleId(uuid(&get::<String>(row, "id")?)?),
        partner_id: PartnerId(uuid(&get::<String>(row, "partner_id")?)?),
        requested_url: get(row, "requested_url")?,
        normalized_scheme: get(row, "normalized_scheme")?,
        normalized_host: get(row, "normalized_host")?,
        normalized_path_prefix: get(row, "normalized_path_prefix")?,
        status: parsed(row, "status")?,
        requested_at: at(row, "requested_at")?,
        decided_at: opt_at(row, "decided_at")?,
    })
}

pub fn event(row: &Row<'_>) -> StoreResult<SessionEvent> {
    Ok(SessionEvent {
        session_id: SessionId(uuid(&get::<String>(row, "session_id")?)?),
        seq: get(row, "seq")?,
        at: at(row, "at")?,
        actor: parsed(row, "actor")?,
        event: opt_parsed(row, "event")?,
        from_status: opt_parsed(row, "from_status")?,
        to_status: parsed(row, "to_status")?,
        reason: get(row, "reason")?,
        details: from_json(&get::<String>(row, "details")?)?,
    })
}

/// The columns [`session`] reads, in the order it reads them: queries select exactly these.
macro_rules! session_columns {
    () => {
        "id, partner_id, dialect, provider_id, status, reason, raw_provider_status, \
         external_refs, dialect_options, applicant, requested_loa, requested_claims, match_data, \
         return_url, access_token_digest, provider_reference, created_at, started_at, \
         submitted_at, decided_at, expires_at, achieved_loa, result_claims, match_result, \
         evidence, provider_state, version"
    };
}
pub(crate) use session_columns;

/// A session from a row that selected [`session_columns!`].
pub fn session(row: &Row<'_>, keys: &KeyRing) -> StoreResult<Session> {
    let mut c = Columns::new(row);
    let id_text: String = c.get("id")?;
    let id = SessionId(uuid(&id_text)?);
    // Fields in column order: each read takes the next column.
    Ok(Session {
        id,
        partner_id: PartnerId(uuid(&c.get::<String>("partner_id")?)?),
        dialect: c.parsed("dialect")?,
        provider_id: c.get("provider_id")?,
        status: c.parsed("status")?,
        reason: c.get("reason")?,
        raw_provider_status: c.get("raw_provider_status")?,
        external_refs: from_json(&c.get::<String>("external_refs")?)?,
        dialect_options: from_json(&c.get::<String>("dialect_options")?)?,
        applicant: c.sealed::<ApplicantData>(keys, &id_text, "applicant")?,
        requested_loa: c.loa("requested_loa")?,
        requested_claims: from_json(&c.get::<String>("requested_claims")?)?,
        match_data: c.sealed::<MatchData>(keys, &id_text, "match_data")?,
        return_url: c.get("return_url")?,
        access_token_digest: c.get("access_token_digest")?,
        provider_reference: c.get("provider_reference")?,
        created_at: c.at("created_at")?,
        started_at: c.opt_at("started_at")?,
        submitted_at: c.opt_at("submitted_at")?,
        decided_at: c.opt_at("decided_at")?,
        expires_at: c.at("expires_at")?,
        achieved_loa: c.loa("achieved_loa")?,
        result_claims: c.sealed::<ResultClaims>(keys, &id_text, "result_claims")?,
        match_result: c.sealed::<MatchResult>(keys, &id_text, "match_result")?,
        evidence: c.sealed::<ProviderEvidence>(keys, &id_text, "evidence")?,
        provider_state: c.sealed::<ProviderState>(keys, &id_text, "provider_state")?,
        version: c.get("version")?,
    })
}

/// Reads a row's columns one after another, in the order the query selected them, checking
/// each one's name. rusqlite's `get("name")` searches the columns by name on every call; for
/// a session row (26 columns) that search was a tenth of a status poll's CPU time.
struct Columns<'r, 's> {
    row: &'r Row<'s>,
    next: usize,
}

impl<'r, 's> Columns<'r, 's> {
    fn new(row: &'r Row<'s>) -> Self {
        Columns { row, next: 0 }
    }

    fn get<T: FromSql>(&mut self, name: &str) -> StoreResult<T> {
        let index = self.next;
        self.next += 1;
        match self.row.as_ref().column_name(index) {
            Ok(found) if found == name => {}
            _ => {
                return Err(corrupt(format!(
                    "column {index} of the query is not {name}"
                )));
            }
        }
        self.row
            .get(index)
            .map_err(|e| corrupt(format!("{name}: {e}")))
    }

    fn parsed<T: FromStr>(&mut self, name: &str) -> StoreResult<T>
    where
        T::Err: std::fmt::Display,
    {
        parse_text(&self.get::<String>(name)?, name)
    }

    fn at(&mut self, name: &str) -> StoreResult<DateTime<Utc>> {
        instant(self.get(name)?)
    }

    fn opt_at(&mut self, name: &str) -> StoreResult<Option<DateTime<Utc>>> {
        self.get::<Option<i64>>(name)?.map(instant).transpose()
    }

    fn loa(&mut self, name: &str) -> StoreResult<Option<u8>> {
        self.get::<Option<i64>>(name)?
            .map(|v| u8::try_from(v).map_err(|_| corrupt(format!("{name} out of range"))))
            .transpose()
    }

    fn sealed<T: DeserializeOwned>(
        &mut self,
        keys: &KeyRing,
        id: &str,
        name: &str,
    ) -> StoreResult<Option<T>> {
        let value = self.get(name)?;
        sealed::open(keys, "sessions", name, id, value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_whose_columns_are_not_in_the_decoders_order_is_refused_not_misread() {
        let keys =
            KeyRing::new("k", [("k".to_string(), vec![7u8; 32])]).unwrap_or_else(|e| panic!("{e}"));
        let conn = rusqlite::Connection::open_in_memory().unwrap_or_else(|e| panic!("{e}"));
        // Two UUIDs in swapped columns would decode "fine" by position.
        let swapped = "SELECT '01a23334-fd5a-70de-8c0c-d312c7533074' AS partner_id, \
                       '01a23334-fd5a-70de-8c0c-d312c7533075' AS id";
        let outcome = conn
            .query_row(swapped, [], |r| Ok(session(r, &keys)))
            .unwrap_or_else(|e| panic!("{e}"));
        match outcome {
            Err(StoreError::Corrupt(why)) => assert!(why.contains("is not id"), "{why}"),
            other => panic!("expected a corrupt-row error, got {other:?}"),
        }
    }
}
