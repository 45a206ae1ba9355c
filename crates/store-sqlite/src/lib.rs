//! idgate's embedded store: one SQLite file in WAL mode.
//!
//! Writes go through a pool of one connection so writers queue in Rust instead of meeting
//! `SQLITE_BUSY`; reads use their own pool and run beside the writer thanks to WAL.

mod rows;
mod webhooks;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use idgate_core::{
    Credential, CredentialKind, Partner, PartnerId, ReturnUrlRule, ReturnUrlRuleId,
    ReturnUrlStatus, Session, SessionEvent, SessionId, WebhookEvent,
};
use idgate_store::sealed::{self, SealedSession};
use idgate_store::{
    IdempotencyClaim, IdempotencyKey, KeyRing, ReturnUrlFilter, Store, StoreError, StoreResult,
};
use rows::{micros, opt_micros};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// The SQLite implementation of [`Store`].
#[derive(Clone, Debug)]
pub struct SqliteStore {
    pub(crate) writer: SqlitePool,
    pub(crate) reader: SqlitePool,
    pub(crate) keys: Arc<KeyRing>,
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `url` (`sqlite://path` or `sqlite:path`),
    /// with up to `readers` reading connections beside the single writer.
    pub async fn open(url: &str, keys: Arc<KeyRing>, readers: u32) -> StoreResult<Self> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| StoreError::Backend(format!("invalid SQLite URL: {e}")))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(5))
            .foreign_keys(true);
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options.clone())
            .await
            .map_err(backend)?;
        let reader = SqlitePoolOptions::new()
            .max_connections(readers.max(1))
            .connect_with(options.read_only(true))
            .await
            .map_err(backend)?;
        Ok(SqliteStore {
            writer,
            reader,
            keys,
        })
    }

    /// Whether the database has been migrated at least once (a fresh file has not).
    pub async fn is_initialised(&self) -> StoreResult<bool> {
        let row: Option<(String,)> =
            sqlx::query_as("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'meta'")
                .fetch_optional(&self.reader)
                .await
                .map_err(backend)?;
        Ok(row.is_some())
    }

    /// Closes both pools, checkpointing the WAL.
    pub async fn close(&self) {
        self.reader.close().await;
        self.writer.close().await;
    }
}

pub(crate) fn backend(e: sqlx::Error) -> StoreError {
    StoreError::Backend(e.to_string())
}

/// Maps a unique-constraint failure to [`StoreError::Duplicate`] naming `what`.
pub(crate) fn write_error(what: &'static str) -> impl Fn(sqlx::Error) -> StoreError {
    move |e| match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Duplicate(what),
        _ => backend(e),
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn migrate(&self) -> StoreResult<()> {
        MIGRATOR
            .run(&self.writer)
            .await
            .map_err(|e| StoreError::Backend(format!("migration failed: {e}")))
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1")
            .execute(&self.reader)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn meta_get(&self, key: &str) -> StoreResult<Option<String>> {
        let row: Option<(String,)> = sqlx::query_as("SELECT value FROM meta WHERE key = ?1")
            .bind(key)
            .fetch_optional(&self.reader)
            .await
            .map_err(backend)?;
        Ok(row.map(|(v,)| v))
    }

    async fn meta_set(&self, key: &str, value: &str) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO meta (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(key)
        .bind(value)
        .execute(&self.writer)
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn meta_set_if_absent(&self, key: &str, value: &str) -> StoreResult<bool> {
        let done = sqlx::query(
            "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO NOTHING",
        )
        .bind(key)
        .bind(value)
        .execute(&self.writer)
        .await
        .map_err(backend)?;
        Ok(done.rows_affected() == 1)
    }

    async fn insert_partner(&self, p: &Partner) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO partners (id, name, tier, session_ttl_secs, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .bind(p.id.to_string())
        .bind(&p.name)
        .bind(p.tier.as_str())
        .bind(p.session_ttl_secs)
        .bind(micros(p.created_at))
        .execute(&self.writer)
        .await
        .map_err(write_error("partner"))?;
        Ok(())
    }

    async fn get_partner(&self, id: PartnerId) -> StoreResult<Option<Partner>> {
        sqlx::query("SELECT * FROM partners WHERE id = ?1")
            .bind(id.to_string())
            .fetch_optional(&self.reader)
            .await
            .map_err(backend)?
            .map(|r| rows::partner(&r))
            .transpose()
    }

    async fn list_partners(&self) -> StoreResult<Vec<Partner>> {
        sqlx::query("SELECT * FROM partners ORDER BY created_at, id")
            .fetch_all(&self.reader)
            .await
            .map_err(backend)?
            .iter()
            .map(rows::partner)
            .collect()
    }

    async fn insert_credential(&self, c: &Credential) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO credentials
             (id, partner_id, kind, lookup_digest, secret_digest, created_at, revoked_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )
        .bind(c.id.to_string())
        .bind(c.partner_id.to_string())
        .bind(c.kind.as_str())
        .bind(&c.lookup_digest)
        .bind(&c.secret_digest)
        .bind(micros(c.created_at))
        .bind(opt_micros(c.revoked_at))
        .execute(&self.writer)
        .await
        .map_err(write_error("credential"))?;
        Ok(())
    }

    async fn find_credential(
        &self,
        kind: CredentialKind,
        lookup_digest: &str,
    ) -> StoreResult<Option<Credential>> {
        sqlx::query(
            "SELECT * FROM credentials
             WHERE kind = ?1 AND lookup_digest = ?2 AND revoked_at IS NULL",
        )
        .bind(kind.as_str())
        .bind(lookup_digest)
        .fetch_optional(&self.reader)
        .await
        .map_err(backend)?
        .map(|r| rows::credential(&r))
        .transpose()
    }

    async fn insert_return_url_rule(&self, r: &ReturnUrlRule) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO return_url_rules
             (id, partner_id, requested_url, normalized_scheme, normalized_host,
              normalized_path_prefix, status, requested_at, decided_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )
        .bind(r.id.to_string())
        .bind(r.partner_id.to_string())
        .bind(&r.requested_url)
        .bind(&r.normalized_scheme)
        .bind(&r.normalized_host)
        .bind(&r.normalized_path_prefix)
        .bind(r.status.as_str())
        .bind(micros(r.requested_at))
        .bind(opt_micros(r.decided_at))
        .execute(&self.writer)
        .await
        .map_err(write_error("return URL rule"))?;
        Ok(())
    }

    async fn get_return_url_rule(&self, id: ReturnUrlRuleId) -> StoreResult<Option<ReturnUrlRule>> {
        sqlx::query("SELECT * FROM return_url_rules WHERE id = ?1")
            .bind(id.to_string())
            .fetch_optional(&self.reader)
            .await
            .map_err(backend)?
            .map(|r| rows::return_url_rule(&r))
            .transpose()
    }

    async fn list_return_url_rules(
        &self,
        filter: ReturnUrlFilter,
    ) -> StoreResult<Vec<ReturnUrlRule>> {
        sqlx::query(
            "SELECT * FROM return_url_rules
             WHERE (?1 IS NULL OR partner_id = ?1) AND (?2 IS NULL OR status = ?2)
             ORDER BY requested_at, id",
        )
        .bind(filter.partner_id.map(|p| p.to_string()))
        .bind(filter.status.map(|s| s.as_str()))
        .fetch_all(&self.reader)
        .await
        .map_err(backend)?
        .iter()
        .map(rows::return_url_rule)
        .collect()
    }

    async fn decide_return_url_rule(
        &self,
        id: ReturnUrlRuleId,
        status: ReturnUrlStatus,
        at: DateTime<Utc>,
    ) -> StoreResult<ReturnUrlRule> {
        sqlx::query(
            "UPDATE return_url_rules SET status = ?2, decided_at = ?3 WHERE id = ?1 RETURNING *",
        )
        .bind(id.to_string())
        .bind(status.as_str())
        .bind(micros(at))
        .fetch_optional(&self.writer)
        .await
        .map_err(backend)?
        .map(|r| rows::return_url_rule(&r))
        .transpose()?
        .ok_or(StoreError::NotFound("return URL rule"))
    }

    async fn insert_session(
        &self,
        s: &Session,
        created: &SessionEvent,
        outbox: &[WebhookEvent],
    ) -> StoreResult<()> {
        let enc = SealedSession::seal(&self.keys, s)?;
        let mut tx = self.writer.begin().await.map_err(backend)?;
        sqlx::query(
            "INSERT INTO sessions
             (id, partner_id, dialect, provider_id, status, reason, raw_provider_status,
              external_refs, dialect_options, applicant, requested_loa, requested_claims,
              match_data, return_url, access_token_digest, provider_reference, created_at,
              started_at, submitted_at, decided_at, expires_at, achieved_loa, result_claims,
              match_result, version)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,
                     ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25)",
        )
        .bind(s.id.to_string())
        .bind(s.partner_id.to_string())
        .bind(s.dialect.as_str())
        .bind(&s.provider_id)
        .bind(s.status.as_str())
        .bind(&s.reason)
        .bind(&s.raw_provider_status)
        .bind(rows::json(&s.external_refs)?)
        .bind(rows::json(&s.dialect_options)?)
        .bind(enc.applicant)
        .bind(s.requested_loa.map(i64::from))
        .bind(rows::json(&s.requested_claims)?)
        .bind(enc.match_data)
        .bind(&s.return_url)
        .bind(&s.access_token_digest)
        .bind(&s.provider_reference)
        .bind(micros(s.created_at))
        .bind(opt_micros(s.started_at))
        .bind(opt_micros(s.submitted_at))
        .bind(opt_micros(s.decided_at))
        .bind(micros(s.expires_at))
        .bind(s.achieved_loa.map(i64::from))
        .bind(enc.result_claims)
        .bind(enc.match_result)
        .bind(s.version)
        .execute(&mut *tx)
        .await
        .map_err(write_error("session access token"))?;
        insert_event(&mut tx, created).await?;
        webhooks::insert_outbox(&mut tx, outbox)
            .await
            .map_err(write_error("webhook event"))?;
        tx.commit().await.map_err(backend)
    }

    async fn get_session(&self, id: SessionId) -> StoreResult<Option<Session>> {
        let row = sqlx::query("SELECT * FROM sessions WHERE id = ?1")
            .bind(id.to_string())
            .fetch_optional(&self.reader)
            .await
            .map_err(backend)?;
        row.map(|r| rows::session(&r, &self.keys)).transpose()
    }

    async fn find_session_by_access_token(&self, digest: &str) -> StoreResult<Option<Session>> {
        let row = sqlx::query("SELECT * FROM sessions WHERE access_token_digest = ?1")
            .bind(digest)
            .fetch_optional(&self.reader)
            .await
            .map_err(backend)?;
        row.map(|r| rows::session(&r, &self.keys)).transpose()
    }

    async fn commit_transition(
        &self,
        s: &Session,
        events: &[SessionEvent],
        outbox: &[WebhookEvent],
    ) -> StoreResult<()> {
        let (Some(first), Some(last)) = (events.first(), events.last()) else {
            return Ok(());
        };
        if last.seq != s.version || last.seq - first.seq + 1 != events.len() as i64 {
            return Err(StoreError::Corrupt(
                "events must be consecutive and end at the session's version".into(),
            ));
        }
        let enc = SealedSession::seal(&self.keys, s)?;
        let mut tx = self.writer.begin().await.map_err(backend)?;
        let updated = sqlx::query(
            "UPDATE sessions SET
                status = ?2, reason = ?3, raw_provider_status = ?4, provider_reference = ?5,
                started_at = ?6, submitted_at = ?7, decided_at = ?8, achieved_loa = ?9,
                result_claims = ?10, match_result = ?11, version = ?12,
                expiry_claimed_until = NULL, evidence = ?14
             WHERE id = ?1 AND version = ?13",
        )
        .bind(s.id.to_string())
        .bind(s.status.as_str())
        .bind(&s.reason)
        .bind(&s.raw_provider_status)
        .bind(&s.provider_reference)
        .bind(opt_micros(s.started_at))
        .bind(opt_micros(s.submitted_at))
        .bind(opt_micros(s.decided_at))
        .bind(s.achieved_loa.map(i64::from))
        .bind(enc.result_claims)
        .bind(enc.match_result)
        .bind(s.version)
        .bind(first.seq - 1)
        .bind(enc.evidence)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        if updated.rows_affected() != 1 {
            return Err(StoreError::Stale);
        }
        for event in events {
            insert_event(&mut tx, event).await?;
        }
        webhooks::insert_outbox(&mut tx, outbox)
            .await
            .map_err(write_error("webhook event"))?;
        tx.commit().await.map_err(backend)
    }

    async fn session_events(&self, id: SessionId) -> StoreResult<Vec<SessionEvent>> {
        sqlx::query("SELECT * FROM session_events WHERE session_id = ?1 ORDER BY seq")
            .bind(id.to_string())
            .fetch_all(&self.reader)
            .await
            .map_err(backend)?
            .iter()
            .map(rows::event)
            .collect()
    }

    async fn claim_due_expiries(
        &self,
        now: DateTime<Utc>,
        limit: u32,
        lease_until: DateTime<Utc>,
    ) -> StoreResult<Vec<SessionId>> {
        // SQLite runs one writer at a time, so select-and-mark in one statement is atomic.
        // The status list repeats the partial index's predicate so SQLite can use it.
        let mut ids: Vec<(String, i64)> = sqlx::query_as(
            "UPDATE sessions SET expiry_claimed_until = ?3
             WHERE id IN (
                 SELECT id FROM sessions
                 WHERE status IN ('created', 'started', 'submitted', 'resubmission_requested')
                   AND expires_at <= ?1
                   AND (expiry_claimed_until IS NULL OR expiry_claimed_until <= ?1)
                 ORDER BY expires_at, id
                 LIMIT ?2)
             RETURNING id, expires_at",
        )
        .bind(micros(now))
        .bind(i64::from(limit))
        .bind(micros(lease_until))
        .fetch_all(&self.writer)
        .await
        .map_err(backend)?;
        // RETURNING has no order of its own.
        ids.sort_by(|a, b| (a.1, &a.0).cmp(&(b.1, &b.0)));
        ids.into_iter()
            .map(|(id, _)| rows::uuid(&id).map(SessionId))
            .collect()
    }

    async fn find_sessions_by_provider_reference(
        &self,
        provider_id: &str,
        reference: &str,
        limit: u32,
    ) -> StoreResult<Vec<Session>> {
        sqlx::query(
            "SELECT * FROM sessions
             WHERE provider_id = ?1 AND provider_reference = ?2
               AND status IN ('created', 'started', 'submitted', 'resubmission_requested')
             ORDER BY created_at DESC LIMIT ?3",
        )
        .bind(provider_id)
        .bind(reference)
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await
        .map_err(backend)?
        .iter()
        .map(|r| rows::session(r, &self.keys))
        .collect()
    }

    async fn claim_idempotency_key(
        &self,
        key: &IdempotencyKey<'_>,
        request_digest: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        forget_before: DateTime<Utc>,
    ) -> StoreResult<IdempotencyClaim> {
        // One writer connection: the read and the write below cannot interleave with another
        // claim of the same key.
        let mut tx = self.writer.begin().await.map_err(backend)?;
        let found: Option<(String, String, Option<i64>, Option<i64>, Option<Vec<u8>>)> =
            sqlx::query_as(
                "SELECT request_digest, state, locked_until, response_status, response_body
                 FROM idempotency_keys
                 WHERE partner_id = ?1 AND key = ?2 AND created_at >= ?3",
            )
            .bind(key.partner_id.to_string())
            .bind(key.key)
            .bind(micros(forget_before))
            .fetch_optional(&mut *tx)
            .await
            .map_err(backend)?;
        let claim = match found {
            Some((digest, ..)) if digest != request_digest => IdempotencyClaim::Conflict,
            Some((_, state, _, Some(status), body)) if state == "completed" => {
                let body = sealed::open(
                    &self.keys,
                    "idempotency_keys",
                    "response_body",
                    &key.row_id(),
                    body,
                )?
                .unwrap_or(serde_json::Value::Null);
                IdempotencyClaim::Replay {
                    status: u16::try_from(status).unwrap_or(500),
                    body,
                }
            }
            Some((_, _, Some(locked_until), ..)) if locked_until > micros(now) => {
                IdempotencyClaim::InProgress
            }
            _ => {
                sqlx::query(
                    "INSERT INTO idempotency_keys
                     (partner_id, key, request_digest, state, locked_until, response_status,
                      response_body, created_at)
                     VALUES (?1, ?2, ?3, 'in_progress', ?4, NULL, NULL, ?5)
                     ON CONFLICT (partner_id, key) DO UPDATE SET
                        request_digest = excluded.request_digest, state = 'in_progress',
                        locked_until = excluded.locked_until, response_status = NULL,
                        response_body = NULL, created_at = excluded.created_at",
                )
                .bind(key.partner_id.to_string())
                .bind(key.key)
                .bind(request_digest)
                .bind(micros(lease_until))
                .bind(micros(now))
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
                IdempotencyClaim::Claimed
            }
        };
        tx.commit().await.map_err(backend)?;
        Ok(claim)
    }

    async fn complete_idempotency_key(
        &self,
        key: &IdempotencyKey<'_>,
        status: u16,
        body: &serde_json::Value,
    ) -> StoreResult<()> {
        let sealed = sealed::seal(
            &self.keys,
            "idempotency_keys",
            "response_body",
            &key.row_id(),
            Some(body),
        )?;
        sqlx::query(
            "UPDATE idempotency_keys
             SET state = 'completed', locked_until = NULL, response_status = ?3,
                 response_body = ?4
             WHERE partner_id = ?1 AND key = ?2",
        )
        .bind(key.partner_id.to_string())
        .bind(key.key)
        .bind(i64::from(status))
        .bind(sealed)
        .execute(&self.writer)
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn release_idempotency_key(&self, key: &IdempotencyKey<'_>) -> StoreResult<()> {
        sqlx::query(
            "DELETE FROM idempotency_keys
             WHERE partner_id = ?1 AND key = ?2 AND state = 'in_progress'",
        )
        .bind(key.partner_id.to_string())
        .bind(key.key)
        .execute(&self.writer)
        .await
        .map_err(backend)?;
        Ok(())
    }
}

async fn insert_event(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    e: &SessionEvent,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO session_events
         (session_id, seq, at, actor, event, from_status, to_status, reason, details)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )
    .bind(e.session_id.to_string())
    .bind(e.seq)
    .bind(micros(e.at))
    .bind(e.actor.as_str())
    .bind(e.event.map(|ev| ev.as_str()))
    .bind(e.from_status.map(|s| s.as_str()))
    .bind(e.to_status.as_str())
    .bind(&e.reason)
    .bind(rows::json(&e.details)?)
    .execute(&mut **tx)
    .await
    .map_err(write_error("session event"))?;
    Ok(())
}
