//! Row ⇄ domain conversions for SQLite.

use chrono::{DateTime, Utc};
use idgate_core::{
    ApplicantData, Credential, CredentialId, MatchData, MatchResult, Partner, PartnerId,
    ProviderEvidence, ResultClaims, ReturnUrlRule, ReturnUrlRuleId, Session, SessionEvent,
    SessionId,
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
    let text: String = get(row, col)?;
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

fn loa(row: &Row<'_>, col: &str) -> StoreResult<Option<u8>> {
    get::<Option<i64>>(row, col)?
        .map(|v| u8::try_from(v).map_err(|_| corrupt(format!("{col} out of range"))))
        .transpose()
}

pub fn partner(row: &Row<'_>) -> StoreResult<Partner> {
    Ok(Partner {
        id: PartnerId(uuid(&get::<String>(row, "id")?)?),
        name: get(row, "name")?,
        tier: parsed(row, "tier")?,
        session_ttl_secs: get(row, "session_ttl_secs")?,
        created_at: at(row, "created_at")?,
    })
}

pub fn credential(row: &Row<'_>) -> StoreResult<Credential> {
    Ok(Credential {
        id: CredentialId(uuid(&get::<String>(row, "id")?)?),
        partner_id: PartnerId(uuid(&get::<String>(row, "partner_id")?)?),
        kind: parsed(row, "kind")?,
        lookup_digest: get(row, "lookup_digest")?,
        secret_digest: get(row, "secret_digest")?,
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

fn open<T: DeserializeOwned>(
    keys: &KeyRing,
    row: &Row<'_>,
    id: &str,
    column: &str,
) -> StoreResult<Option<T>> {
    sealed::open(keys, "sessions", column, id, get(row, column)?)
}

pub fn session(row: &Row<'_>, keys: &KeyRing) -> StoreResult<Session> {
    let id_text: String = get(row, "id")?;
    Ok(Session {
        id: SessionId(uuid(&id_text)?),
        partner_id: PartnerId(uuid(&get::<String>(row, "partner_id")?)?),
        dialect: parsed(row, "dialect")?,
        provider_id: get(row, "provider_id")?,
        status: parsed(row, "status")?,
        reason: get(row, "reason")?,
        raw_provider_status: get(row, "raw_provider_status")?,
        external_refs: from_json(&get::<String>(row, "external_refs")?)?,
        dialect_options: from_json(&get::<String>(row, "dialect_options")?)?,
        applicant: open::<ApplicantData>(keys, row, &id_text, "applicant")?,
        requested_loa: loa(row, "requested_loa")?,
        requested_claims: from_json(&get::<String>(row, "requested_claims")?)?,
        match_data: open::<MatchData>(keys, row, &id_text, "match_data")?,
        return_url: get(row, "return_url")?,
        access_token_digest: get(row, "access_token_digest")?,
        provider_reference: get(row, "provider_reference")?,
        created_at: at(row, "created_at")?,
        started_at: opt_at(row, "started_at")?,
        submitted_at: opt_at(row, "submitted_at")?,
        decided_at: opt_at(row, "decided_at")?,
        expires_at: at(row, "expires_at")?,
        achieved_loa: loa(row, "achieved_loa")?,
        result_claims: open::<ResultClaims>(keys, row, &id_text, "result_claims")?,
        match_result: open::<MatchResult>(keys, row, &id_text, "match_result")?,
        evidence: open::<ProviderEvidence>(keys, row, &id_text, "evidence")?,
        version: get(row, "version")?,
    })
}
