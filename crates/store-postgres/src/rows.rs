//! Row ⇄ domain conversions for PostgreSQL.

use idgate_core::{
    ApplicantData, Credential, CredentialId, Logo, MatchData, MatchResult, Partner, PartnerId,
    ProviderEvidence, ProviderState, ResultClaims, ReturnUrlRule, ReturnUrlRuleId, Session,
    SessionEvent, SessionId,
};
use idgate_store::{KeyRing, StoreError, StoreResult, sealed};
use serde::de::DeserializeOwned;
use sqlx::Row;
use sqlx::postgres::PgRow;
use sqlx::types::Json;
use std::str::FromStr;
use uuid::Uuid;

pub(crate) fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(what.to_string())
}

fn get<'r, T>(row: &'r PgRow, col: &str) -> StoreResult<T>
where
    T: sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>,
{
    row.try_get(col).map_err(|e| corrupt(format!("{col}: {e}")))
}

fn parsed<T: FromStr>(row: &PgRow, col: &str) -> StoreResult<T>
where
    T::Err: std::fmt::Display,
{
    let text: String = get(row, col)?;
    text.parse().map_err(|e| corrupt(format!("{col}: {e}")))
}

fn opt_parsed<T: FromStr>(row: &PgRow, col: &str) -> StoreResult<Option<T>>
where
    T::Err: std::fmt::Display,
{
    let text: Option<String> = get(row, col)?;
    text.map(|t| t.parse().map_err(|e| corrupt(format!("{col}: {e}"))))
        .transpose()
}

fn json<T: DeserializeOwned>(row: &PgRow, col: &str) -> StoreResult<T> {
    let Json(value): Json<T> = get(row, col)?;
    Ok(value)
}

fn loa(row: &PgRow, col: &str) -> StoreResult<Option<u8>> {
    get::<Option<i16>>(row, col)?
        .map(|v| u8::try_from(v).map_err(|_| corrupt(format!("{col} out of range"))))
        .transpose()
}

pub fn partner(row: &PgRow) -> StoreResult<Partner> {
    Ok(Partner {
        id: PartnerId(get(row, "id")?),
        number: get(row, "number")?,
        name: get(row, "name")?,
        tier: parsed(row, "tier")?,
        session_cap: get::<Option<i32>>(row, "session_cap")?
            .map(|v| u32::try_from(v).map_err(|_| corrupt("session_cap out of range")))
            .transpose()?,
        evidence: parsed(row, "evidence")?,
        session_ttl_secs: get(row, "session_ttl_secs")?,
        frame_ancestors: serde_json::from_str(&get::<String>(row, "frame_ancestors")?)
            .map_err(corrupt)?,
        branding: serde_json::from_str(&get::<String>(row, "branding")?).map_err(corrupt)?,
        offered_providers: serde_json::from_str(&get::<String>(row, "offered_providers")?)
            .map_err(corrupt)?,
        workflows: serde_json::from_str(&get::<String>(row, "workflows")?).map_err(corrupt)?,
        return_urls: parsed(row, "return_url_policy")?,
        created_at: get(row, "created_at")?,
    })
}

pub fn logo(row: &PgRow) -> StoreResult<Logo> {
    Ok(Logo {
        media_type: get(row, "media_type")?,
        bytes: get(row, "bytes")?,
    })
}

pub fn credential(row: &PgRow, keys: &KeyRing) -> StoreResult<Credential> {
    let id: Uuid = get(row, "id")?;
    Ok(Credential {
        shared_secret: sealed::open(
            keys,
            "credentials",
            "shared_secret",
            &id.hyphenated().to_string(),
            get(row, "shared_secret")?,
        )?,
        id: CredentialId(id),
        partner_id: PartnerId(get(row, "partner_id")?),
        kind: parsed(row, "kind")?,
        lookup_digest: get(row, "lookup_digest")?,
        secret_digest: get(row, "secret_digest")?,
        public_id: get(row, "public_id")?,
        created_at: get(row, "created_at")?,
        revoked_at: get(row, "revoked_at")?,
    })
}

pub fn return_url_rule(row: &PgRow) -> StoreResult<ReturnUrlRule> {
    Ok(ReturnUrlRule {
        id: ReturnUrlRuleId(get(row, "id")?),
        partner_id: PartnerId(get(row, "partner_id")?),
        requested_url: get(row, "requested_url")?,
        normalized_scheme: get(row, "normalized_scheme")?,
        normalized_host: get(row, "normalized_host")?,
        normalized_path_prefix: get(row, "normalized_path_prefix")?,
        status: parsed(row, "status")?,
        requested_at: get(row, "requested_at")?,
        decided_at: get(row, "decided_at")?,
    })
}

pub fn event(row: &PgRow) -> StoreResult<SessionEvent> {
    Ok(SessionEvent {
        session_id: SessionId(get(row, "session_id")?),
        seq: get(row, "seq")?,
        at: get(row, "at")?,
        actor: parsed(row, "actor")?,
        event: opt_parsed(row, "event")?,
        from_status: opt_parsed(row, "from_status")?,
        to_status: parsed(row, "to_status")?,
        reason: get(row, "reason")?,
        details: json(row, "details")?,
    })
}

fn open<T: DeserializeOwned>(
    keys: &KeyRing,
    row: &PgRow,
    id: &str,
    column: &str,
) -> StoreResult<Option<T>> {
    sealed::open(keys, "sessions", column, id, get(row, column)?)
}

pub fn session(row: &PgRow, keys: &KeyRing) -> StoreResult<Session> {
    let id: Uuid = get(row, "id")?;
    let id_text = id.hyphenated().to_string();
    Ok(Session {
        id: SessionId(id),
        partner_id: PartnerId(get(row, "partner_id")?),
        dialect: parsed(row, "dialect")?,
        provider_id: get(row, "provider_id")?,
        status: parsed(row, "status")?,
        reason: get(row, "reason")?,
        raw_provider_status: get(row, "raw_provider_status")?,
        external_refs: json(row, "external_refs")?,
        dialect_options: json(row, "dialect_options")?,
        applicant: open::<ApplicantData>(keys, row, &id_text, "applicant")?,
        requested_loa: loa(row, "requested_loa")?,
        requested_claims: json(row, "requested_claims")?,
        match_data: open::<MatchData>(keys, row, &id_text, "match_data")?,
        return_url: get(row, "return_url")?,
        access_token_digest: get(row, "access_token_digest")?,
        provider_reference: get(row, "provider_reference")?,
        created_at: get(row, "created_at")?,
        started_at: get(row, "started_at")?,
        submitted_at: get(row, "submitted_at")?,
        decided_at: get(row, "decided_at")?,
        expires_at: get(row, "expires_at")?,
        achieved_loa: loa(row, "achieved_loa")?,
        result_claims: open::<ResultClaims>(keys, row, &id_text, "result_claims")?,
        match_result: open::<MatchResult>(keys, row, &id_text, "match_result")?,
        evidence: open::<ProviderEvidence>(keys, row, &id_text, "evidence")?,
        provider_state: open::<ProviderState>(keys, row, &id_text, "provider_state")?,
        version: get(row, "version")?,
    })
}
