//! idgate's PostgreSQL store: several stateless idgate nodes share one database.
//!
//! - Migrations run under PostgreSQL's advisory lock (sqlx's migrator takes it), so nodes
//!   starting at once migrate once.
//! - Expiry work is claimed with `FOR UPDATE SKIP LOCKED` and a lease column: nodes sweep
//!   disjoint batches, and a crashed node's claim lapses when its lease ends.
//! - Writes that fail with a serialization failure or deadlock are retried a configurable
//!   number of times; every statement has a configurable timeout.
//! - No transaction is held across anything but its own statements.

mod invites;
mod media;
mod operators;
mod rows;
mod tokens;
mod webhooks;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use idgate_core::{
    Credential, CredentialId, CredentialKind, Logo, Partner, PartnerId, ReturnUrlRule,
    ReturnUrlRuleId, ReturnUrlStatus, Session, SessionEvent, SessionId, WebhookEvent,
};
use idgate_store::sealed::{self, SealedSession};
use idgate_store::{
    IdempotencyClaim, IdempotencyKey, IdempotencyStore, KeyRing, MetaStore, PartnerStore,
    QuotaStore, QuotaUse, ReferenceScope, ReturnUrlFilter, ReturnUrlStore, SessionCount,
    SessionInsert, SessionPage, SessionSearch, SessionStore, Store, StoreError, StoreResult, rules,
};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::types::Json;
use std::future::Future;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Connection settings.
#[derive(Clone, Debug)]
pub struct PgSettings {
    pub url: String,
    /// Schema to use (created if missing); `None` uses the server's `search_path`.
    pub schema: Option<String>,
    pub max_connections: u32,
    pub acquire_timeout: Duration,
    pub statement_timeout: Duration,
    /// Attempts for a write that meets a serialization failure or deadlock.
    pub write_attempts: u32,
}

/// The PostgreSQL implementation of [`Store`].
#[derive(Clone, Debug)]
pub struct PgStore {
    pub(crate) pool: PgPool,
    pub(crate) keys: Arc<KeyRing>,
    write_attempts: u32,
}

pub(crate) fn backend(e: sqlx::Error) -> StoreError {
    StoreError::Backend(e.to_string())
}

/// Maps named unique constraints to the client errors SQLite gives for the same rule.
pub(crate) fn write_error(e: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(db) = &e
        && db.is_unique_violation()
    {
        return StoreError::Duplicate(match db.constraint() {
            Some("credentials_lookup_unique") => "credential",
            Some("sessions_access_token_unique") => "session access token",
            Some("session_events_pkey") => "session event",
            Some("webhook_deliveries_event_endpoint_unique") => "webhook delivery",
            Some("webhook_attempts_pkey") => "webhook attempt",
            Some("operators_username_key") => "operator username",
            Some("operators_single_sign_on") => "operator single-sign-on identity",
            _ => "record",
        });
    }
    backend(e)
}

/// Serialization failures and deadlocks: the transaction did nothing and may be retried.
fn is_transient(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if matches!(db.code().as_deref(), Some("40001" | "40P01")))
}

fn valid_schema(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

impl PgStore {
    pub async fn open(settings: &PgSettings, keys: Arc<KeyRing>) -> StoreResult<Self> {
        let timeout_ms = settings.statement_timeout.as_millis().to_string();
        let mut options = PgConnectOptions::from_str(&settings.url)
            .map_err(|e| StoreError::Backend(format!("invalid PostgreSQL URL: {e}")))?
            .application_name("idgate");
        let mut params = vec![("statement_timeout", timeout_ms)];
        if let Some(schema) = &settings.schema {
            if !valid_schema(schema) {
                return Err(StoreError::Backend(format!(
                    "invalid schema name {schema:?}: use lower-case letters, digits and _"
                )));
            }
            // Created before the pool uses it as its search path.
            let admin = PgPoolOptions::new()
                .max_connections(1)
                .acquire_timeout(settings.acquire_timeout)
                .connect_with(options.clone())
                .await
                .map_err(backend)?;
            let created = sqlx::query(sqlx::AssertSqlSafe(format!(
                "CREATE SCHEMA IF NOT EXISTS \"{schema}\""
            )))
            .execute(&admin)
            .await;
            match created {
                Ok(_) => {}
                // Two nodes creating it at the same moment: the other one won, it exists.
                Err(sqlx::Error::Database(db)) if db.is_unique_violation() => {}
                Err(e) => return Err(backend(e)),
            }
            admin.close().await;
            params.push(("search_path", schema.clone()));
        }
        options = options.options(params);
        let pool = PgPoolOptions::new()
            .max_connections(settings.max_connections)
            .acquire_timeout(settings.acquire_timeout)
            .connect_with(options)
            .await
            .map_err(backend)?;
        Ok(PgStore {
            pool,
            keys,
            write_attempts: settings.write_attempts.max(1),
        })
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Runs a write, retrying it when PostgreSQL reports a serialization failure or deadlock.
    pub(crate) async fn write<T, F, Fut>(&self, op: F) -> Result<T, sqlx::Error>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<T, sqlx::Error>>,
    {
        let mut attempt = 1;
        loop {
            match op().await {
                Err(e) if is_transient(&e) && attempt < self.write_attempts => {
                    tracing::debug!(attempt, "retrying a write after a transient conflict");
                    attempt += 1;
                    tokio::time::sleep(Duration::from_millis(5 * u64::from(attempt))).await;
                }
                other => return other,
            }
        }
    }
}

#[async_trait]
impl Store for PgStore {
    async fn migrate(&self) -> StoreResult<()> {
        MIGRATOR
            .run(&self.pool)
            .await
            .map_err(|e| StoreError::Backend(format!("migration failed: {e}")))
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(())
    }
}

#[async_trait]
impl MetaStore for PgStore {
    async fn meta_get(&self, key: &str) -> StoreResult<Option<String>> {
        let row: Option<(String,)> = sqlx::query_as("SELECT value FROM meta WHERE key = $1")
            .bind(key)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        Ok(row.map(|(v,)| v))
    }

    async fn meta_set(&self, key: &str, value: &str) -> StoreResult<()> {
        self.write(|| {
            sqlx::query(
                "INSERT INTO meta (key, value) VALUES ($1, $2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            )
            .bind(key)
            .bind(value)
            .execute(&self.pool)
        })
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn meta_delete_below(&self, prefix: &str, value_below: &str) -> StoreResult<u64> {
        // `starts_with` on text (no LIKE pattern to escape).
        let gone = self
            .write(|| {
                sqlx::query("DELETE FROM meta WHERE starts_with(key, $1) AND value < $2")
                    .bind(prefix)
                    .bind(value_below)
                    .execute(&self.pool)
            })
            .await
            .map_err(backend)?;
        Ok(gone.rows_affected())
    }

    async fn meta_set_if_absent(&self, key: &str, value: &str) -> StoreResult<bool> {
        let done = self
            .write(|| {
                sqlx::query(
                    "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
                )
                .bind(key)
                .bind(value)
                .execute(&self.pool)
            })
            .await
            .map_err(backend)?;
        Ok(done.rows_affected() == 1)
    }
}

#[async_trait]
impl QuotaStore for PgStore {
    async fn take_quota(
        &self,
        scope: &str,
        window_start: i64,
        limit: u32,
    ) -> StoreResult<QuotaUse> {
        if limit == 0 {
            return Ok(QuotaUse {
                taken: false,
                used: 0,
            });
        }
        let limit = i32::try_from(limit).unwrap_or(i32::MAX);
        // Concurrent upserts of one row queue on its lock, so two nodes cannot both take the
        // last use; no row comes back when the window is full.
        let used: Option<i32> = self
            .write(|| {
                sqlx::query_scalar(
                    "WITH gone AS (
                       DELETE FROM quota_windows WHERE scope = $1 AND window_start < $2
                     )
                     INSERT INTO quota_windows (scope, window_start, used) VALUES ($1, $2, 1)
                     ON CONFLICT (scope, window_start) DO UPDATE SET used = quota_windows.used + 1
                       WHERE quota_windows.used < $3
                     RETURNING used",
                )
                .bind(scope)
                .bind(window_start)
                .bind(limit)
                .fetch_optional(&self.pool)
            })
            .await
            .map_err(backend)?;
        Ok(match used {
            Some(used) => QuotaUse {
                taken: true,
                used: u32::try_from(used).unwrap_or(0),
            },
            None => QuotaUse {
                taken: false,
                used: u32::try_from(limit).unwrap_or(0),
            },
        })
    }

    async fn take_quota_many(
        &self,
        scope: &str,
        window_start: i64,
        limit: u32,
        want: u32,
    ) -> StoreResult<u32> {
        if limit == 0 || want == 0 {
            return Ok(0);
        }
        let limit = i32::try_from(limit).unwrap_or(i32::MAX);
        let want = i32::try_from(want).unwrap_or(i32::MAX);
        // The row is made if missing, then locked, read and raised in one transaction: nodes
        // reserving at once queue on the lock and never count past the limit.
        let granted = self
            .write(|| async {
                let mut tx = self.pool.begin().await?;
                sqlx::query("DELETE FROM quota_windows WHERE scope = $1 AND window_start < $2")
                    .bind(scope)
                    .bind(window_start)
                    .execute(&mut *tx)
                    .await?;
                // Made if missing, and locked either way, in one statement: the row cannot go
                // between making and reading it.
                let used: i32 = sqlx::query_scalar(
                    "INSERT INTO quota_windows (scope, window_start, used) VALUES ($1, $2, 0)
                     ON CONFLICT (scope, window_start) DO UPDATE SET used = quota_windows.used
                     RETURNING used",
                )
                .bind(scope)
                .bind(window_start)
                .fetch_one(&mut *tx)
                .await?;
                let granted = want.min((limit - used).max(0));
                if granted > 0 {
                    sqlx::query(
                        "UPDATE quota_windows SET used = used + $3
                         WHERE scope = $1 AND window_start = $2",
                    )
                    .bind(scope)
                    .bind(window_start)
                    .bind(granted)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok(granted)
            })
            .await
            .map_err(backend)?;
        Ok(u32::try_from(granted).unwrap_or(0))
    }
}

fn frame_ancestors_json(p: &Partner) -> StoreResult<String> {
    serde_json::to_string(&p.frame_ancestors).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn branding_json(p: &Partner) -> StoreResult<String> {
    serde_json::to_string(&p.branding).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn offered_providers_json(p: &Partner) -> StoreResult<String> {
    serde_json::to_string(&p.offered_providers).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn workflows_json(p: &Partner) -> StoreResult<String> {
    serde_json::to_string(&p.workflows).map_err(|e| StoreError::Corrupt(e.to_string()))
}

#[async_trait]
impl PartnerStore for PgStore {
    async fn insert_partner(&self, p: &Partner) -> StoreResult<()> {
        let frame_ancestors = frame_ancestors_json(p)?;
        let branding = branding_json(p)?;
        let offered = offered_providers_json(p)?;
        let workflows = workflows_json(p)?;
        self.write(|| {
            sqlx::query(
                "INSERT INTO partners
                   (id, name, tier, session_cap, evidence, session_ttl_secs, frame_ancestors,
                    created_at, branding, offered_providers, workflows, return_url_policy)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            )
            .bind(p.id.0)
            .bind(&p.name)
            .bind(p.tier.as_str())
            .bind(p.session_cap.map(|v| i32::try_from(v).unwrap_or(i32::MAX)))
            .bind(p.evidence.as_str())
            .bind(p.session_ttl_secs)
            .bind(&frame_ancestors)
            .bind(p.created_at)
            .bind(&branding)
            .bind(&offered)
            .bind(&workflows)
            .bind(p.return_urls.as_str())
            .execute(&self.pool)
        })
        .await
        .map_err(write_error)?;
        Ok(())
    }

    async fn get_partner(&self, id: PartnerId) -> StoreResult<Option<Partner>> {
        sqlx::query("SELECT * FROM partners WHERE id = $1")
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?
            .map(|r| rows::partner(&r))
            .transpose()
    }

    async fn list_partners(&self) -> StoreResult<Vec<Partner>> {
        sqlx::query("SELECT * FROM partners ORDER BY created_at, id")
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?
            .iter()
            .map(rows::partner)
            .collect()
    }

    async fn update_partner(&self, p: &Partner) -> StoreResult<()> {
        let frame_ancestors = frame_ancestors_json(p)?;
        let branding = branding_json(p)?;
        let offered = offered_providers_json(p)?;
        let workflows = workflows_json(p)?;
        let done = self
            .write(|| {
                sqlx::query(
                    "UPDATE partners SET name = $2, tier = $3, session_cap = $4, evidence = $5,
                       session_ttl_secs = $6, frame_ancestors = $7, branding = $8,
                       offered_providers = $9, workflows = $10, return_url_policy = $11
                     WHERE id = $1",
                )
                .bind(p.id.0)
                .bind(&p.name)
                .bind(p.tier.as_str())
                .bind(p.session_cap.map(|v| i32::try_from(v).unwrap_or(i32::MAX)))
                .bind(p.evidence.as_str())
                .bind(p.session_ttl_secs)
                .bind(&frame_ancestors)
                .bind(&branding)
                .bind(&offered)
                .bind(&workflows)
                .bind(p.return_urls.as_str())
                .execute(&self.pool)
            })
            .await
            .map_err(backend)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("partner"));
        }
        Ok(())
    }

    async fn insert_credential(&self, c: &Credential) -> StoreResult<()> {
        let shared_secret = sealed::seal(
            &self.keys,
            "credentials",
            "shared_secret",
            &c.id.0.hyphenated().to_string(),
            c.shared_secret.as_ref(),
        )?;
        self.write(|| {
            sqlx::query(
                "INSERT INTO credentials
                 (id, partner_id, kind, lookup_digest, secret_digest, shared_secret, created_at,
                  revoked_at, public_id)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(c.id.0)
            .bind(c.partner_id.0)
            .bind(c.kind.as_str())
            .bind(&c.lookup_digest)
            .bind(&c.secret_digest)
            .bind(&shared_secret)
            .bind(c.created_at)
            .bind(c.revoked_at)
            .bind(&c.public_id)
            .execute(&self.pool)
        })
        .await
        .map_err(write_error)?;
        Ok(())
    }

    async fn find_credential(
        &self,
        kind: CredentialKind,
        lookup_digest: &str,
    ) -> StoreResult<Option<Credential>> {
        sqlx::query("SELECT * FROM credentials WHERE kind = $1 AND lookup_digest = $2")
            .bind(kind.as_str())
            .bind(lookup_digest)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?
            .map(|r| rows::credential(&r, &self.keys))
            .transpose()
    }

    async fn get_credential(&self, id: CredentialId) -> StoreResult<Option<Credential>> {
        sqlx::query("SELECT * FROM credentials WHERE id = $1")
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?
            .map(|r| rows::credential(&r, &self.keys))
            .transpose()
    }

    async fn replace_credential_secret(
        &self,
        id: CredentialId,
        secret_digest: &str,
    ) -> StoreResult<()> {
        let done = self
            .write(|| {
                sqlx::query("UPDATE credentials SET secret_digest = $2 WHERE id = $1")
                    .bind(id.0)
                    .bind(secret_digest)
                    .execute(&self.pool)
            })
            .await
            .map_err(backend)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("credential"));
        }
        Ok(())
    }

    async fn list_credentials(&self, partner: PartnerId) -> StoreResult<Vec<Credential>> {
        sqlx::query("SELECT * FROM credentials WHERE partner_id = $1 ORDER BY created_at, id")
            .bind(partner.0)
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?
            .iter()
            .map(|r| rows::credential(r, &self.keys))
            .collect()
    }

    async fn put_partner_logo(&self, partner: PartnerId, logo: &Logo) -> StoreResult<()> {
        self.write(|| {
            sqlx::query(
                "INSERT INTO partner_logos (partner_id, media_type, bytes) VALUES ($1, $2, $3)
                 ON CONFLICT (partner_id) DO UPDATE
                 SET media_type = excluded.media_type, bytes = excluded.bytes",
            )
            .bind(partner.0)
            .bind(&logo.media_type)
            .bind(&logo.bytes)
            .execute(&self.pool)
        })
        .await
        .map_err(write_error)?;
        Ok(())
    }

    async fn get_partner_logo(&self, partner: PartnerId) -> StoreResult<Option<Logo>> {
        sqlx::query("SELECT media_type, bytes FROM partner_logos WHERE partner_id = $1")
            .bind(partner.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?
            .map(|r| rows::logo(&r))
            .transpose()
    }

    async fn revoke_credential(&self, id: CredentialId, at: DateTime<Utc>) -> StoreResult<()> {
        let done = self
            .write(|| {
                sqlx::query(
                    "UPDATE credentials SET revoked_at = LEAST(COALESCE(revoked_at, $2), $2)
                     WHERE id = $1",
                )
                .bind(id.0)
                .bind(at)
                .execute(&self.pool)
            })
            .await
            .map_err(write_error)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("credential"));
        }
        Ok(())
    }
}

#[async_trait]
impl ReturnUrlStore for PgStore {
    async fn insert_return_url_rule(&self, r: &ReturnUrlRule) -> StoreResult<()> {
        self.write(|| {
            sqlx::query(
                "INSERT INTO return_url_rules
                 (id, partner_id, requested_url, normalized_scheme, normalized_host,
                  normalized_path_prefix, status, requested_at, decided_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(r.id.0)
            .bind(r.partner_id.0)
            .bind(&r.requested_url)
            .bind(&r.normalized_scheme)
            .bind(&r.normalized_host)
            .bind(&r.normalized_path_prefix)
            .bind(r.status.as_str())
            .bind(r.requested_at)
            .bind(r.decided_at)
            .execute(&self.pool)
        })
        .await
        .map_err(write_error)?;
        Ok(())
    }

    async fn get_return_url_rule(&self, id: ReturnUrlRuleId) -> StoreResult<Option<ReturnUrlRule>> {
        sqlx::query("SELECT * FROM return_url_rules WHERE id = $1")
            .bind(id.0)
            .fetch_optional(&self.pool)
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
             WHERE ($1::uuid IS NULL OR partner_id = $1) AND ($2::text IS NULL OR status = $2)
             ORDER BY requested_at, id",
        )
        .bind(filter.partner_id.map(|p| p.0))
        .bind(filter.status.map(|s| s.as_str()))
        .fetch_all(&self.pool)
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
        self.write(|| {
            sqlx::query(
                "UPDATE return_url_rules SET status = $2, decided_at = $3 WHERE id = $1 RETURNING *",
            )
            .bind(id.0)
            .bind(status.as_str())
            .bind(at)
            .fetch_optional(&self.pool)
        })
        .await
        .map_err(backend)?
        .map(|r| rows::return_url_rule(&r))
        .transpose()?
        .ok_or(StoreError::NotFound("return URL rule"))
    }
}

#[async_trait]
impl SessionStore for PgStore {
    async fn insert_session_with(&self, insert: &SessionInsert<'_>) -> StoreResult<()> {
        let SessionInsert {
            session: s,
            created,
            endpoint,
            outbox,
            invites,
            invite_link,
            charge,
        } = *insert;
        let invites = invites
            .iter()
            .map(|i| Ok::<_, StoreError>((i, invites::sealed_link(&self.keys, i, invite_link)?)))
            .collect::<StoreResult<Vec<_>>>()?;
        let enc = SealedSession::seal(&self.keys, s)?;
        let endpoint = endpoint
            .map(|e| Ok::<_, StoreError>((e, self.sealed_secrets(e)?)))
            .transpose()?;
        let external_refs = Json(&s.external_refs);
        let dialect_options = Json(&s.dialect_options);
        let claims = Json(&s.requested_claims);
        let charged = self
            .write(|| async {
                let mut tx = self.pool.begin().await?;
                // The charge first: a short balance writes nothing at all (the transaction is
                // dropped, so rolled back).
                if let Some(charge) = charge
                    && let Err(balance) = tokens::apply(&mut tx, charge).await?
                {
                    return Ok(Err(balance));
                }
                sqlx::query(
                    "INSERT INTO sessions
                 (id, partner_id, dialect, provider_id, status, reason, raw_provider_status,
                  external_refs, dialect_options, applicant, requested_loa, requested_claims,
                  match_data, return_url, access_token_digest, provider_reference, created_at,
                  started_at, submitted_at, decided_at, expires_at, achieved_loa, result_claims,
                  match_result, version)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,
                         $17, $18, $19, $20, $21, $22, $23, $24, $25)",
                )
                .bind(s.id.0)
                .bind(s.partner_id.0)
                .bind(s.dialect.as_str())
                .bind(&s.provider_id)
                .bind(s.status.as_str())
                .bind(&s.reason)
                .bind(&s.raw_provider_status)
                .bind(external_refs)
                .bind(dialect_options)
                .bind(&enc.applicant)
                .bind(s.requested_loa.map(i16::from))
                .bind(claims)
                .bind(&enc.match_data)
                .bind(&s.return_url)
                .bind(&s.access_token_digest)
                .bind(&s.provider_reference)
                .bind(s.created_at)
                .bind(s.started_at)
                .bind(s.submitted_at)
                .bind(s.decided_at)
                .bind(s.expires_at)
                .bind(s.achieved_loa.map(i16::from))
                .bind(&enc.result_claims)
                .bind(&enc.match_result)
                .bind(s.version)
                .execute(&mut *tx)
                .await?;
                if let Some((endpoint, secrets)) = &endpoint {
                    webhooks::insert_endpoint(&mut tx, endpoint, secrets).await?;
                }
                insert_event(&mut tx, created).await?;
                for (invite, link) in &invites {
                    invites::insert_invite(&mut tx, invite, link).await?;
                }
                webhooks::insert_outbox(&mut tx, outbox).await?;
                tx.commit().await?;
                Ok(Ok(()))
            })
            .await
            .map_err(write_error)?;
        charged.map_err(|balance| StoreError::InsufficientTokens { balance })
    }

    async fn get_session(&self, id: SessionId) -> StoreResult<Option<Session>> {
        let row = sqlx::query("SELECT * FROM sessions WHERE id = $1")
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        row.map(|r| rows::session(&r, &self.keys)).transpose()
    }

    async fn find_session_by_access_token(&self, digest: &str) -> StoreResult<Option<Session>> {
        let row = sqlx::query("SELECT * FROM sessions WHERE access_token_digest = $1")
            .bind(digest)
            .fetch_optional(&self.pool)
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
        let outcome = self
            .write(|| async {
                let mut tx = self.pool.begin().await?;
                let updated = sqlx::query(
                    "UPDATE sessions SET
                        status = $2, reason = $3, raw_provider_status = $4,
                        provider_reference = $5, started_at = $6, submitted_at = $7,
                        decided_at = $8, achieved_loa = $9, result_claims = $10,
                        match_result = $11, version = $12, expiry_claimed_until = NULL,
                        evidence = $14, provider_state = $15, provider_id = $16
                     WHERE id = $1 AND version = $13",
                )
                .bind(s.id.0)
                .bind(s.status.as_str())
                .bind(&s.reason)
                .bind(&s.raw_provider_status)
                .bind(&s.provider_reference)
                .bind(s.started_at)
                .bind(s.submitted_at)
                .bind(s.decided_at)
                .bind(s.achieved_loa.map(i16::from))
                .bind(&enc.result_claims)
                .bind(&enc.match_result)
                .bind(s.version)
                .bind(first.seq - 1)
                .bind(&enc.evidence)
                .bind(&enc.provider_state)
                .bind(&s.provider_id)
                .execute(&mut *tx)
                .await?;
                if updated.rows_affected() != 1 {
                    return Ok(false);
                }
                for event in events {
                    insert_event(&mut tx, event).await?;
                }
                webhooks::insert_outbox(&mut tx, outbox).await?;
                tx.commit().await?;
                Ok(true)
            })
            .await
            .map_err(write_error)?;
        if outcome {
            Ok(())
        } else {
            Err(StoreError::Stale)
        }
    }

    async fn renew_provider_state(&self, s: &Session) -> StoreResult<()> {
        let enc = SealedSession::seal(&self.keys, s)?;
        let updated = self
            .write(|| {
                sqlx::query(
                    "UPDATE sessions SET provider_reference = $2, provider_state = $3
                     WHERE id = $1 AND version = $4 AND status = 'started'",
                )
                .bind(s.id.0)
                .bind(&s.provider_reference)
                .bind(&enc.provider_state)
                .bind(s.version)
                .execute(&self.pool)
            })
            .await
            .map_err(backend)?;
        if updated.rows_affected() != 1 {
            return Err(StoreError::Stale);
        }
        Ok(())
    }

    async fn session_events(&self, id: SessionId) -> StoreResult<Vec<SessionEvent>> {
        sqlx::query("SELECT * FROM session_events WHERE session_id = $1 ORDER BY seq")
            .bind(id.0)
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?
            .iter()
            .map(rows::event)
            .collect()
    }

    async fn hold_expiry(&self, id: SessionId, until: DateTime<Utc>) -> StoreResult<()> {
        self.write(|| {
            sqlx::query("UPDATE sessions SET expiry_claimed_until = $2 WHERE id = $1")
                .bind(id.0)
                .bind(until)
                .execute(&self.pool)
        })
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn count_provider_exchange(&self, id: SessionId) -> StoreResult<u32> {
        let count: Option<i32> = self
            .write(|| {
                sqlx::query_scalar(
                    "UPDATE sessions SET provider_exchanges = provider_exchanges + 1
                     WHERE id = $1 RETURNING provider_exchanges",
                )
                .bind(id.0)
                .fetch_optional(&self.pool)
            })
            .await
            .map_err(backend)?;
        let count = count.ok_or(StoreError::NotFound("session"))?;
        u32::try_from(count).map_err(|_| StoreError::Corrupt("provider_exchanges".into()))
    }

    async fn claim_due_expiries(
        &self,
        now: DateTime<Utc>,
        limit: u32,
        lease_until: DateTime<Utc>,
    ) -> StoreResult<Vec<SessionId>> {
        // SKIP LOCKED: concurrent sweepers take disjoint rows instead of waiting for each other.
        let mut ids: Vec<(uuid::Uuid, DateTime<Utc>)> = self
            .write(|| {
                sqlx::query_as(
                    "UPDATE sessions SET expiry_claimed_until = $3
                     WHERE id IN (
                         SELECT id FROM sessions
                         WHERE status IN ('created', 'started', 'submitted', 'resubmission_requested')
                           AND expires_at <= $1
                           AND (expiry_claimed_until IS NULL OR expiry_claimed_until <= $1)
                         ORDER BY expires_at, id
                         LIMIT $2
                         FOR UPDATE SKIP LOCKED)
                     RETURNING id, expires_at",
                )
                .bind(now)
                .bind(i64::from(limit))
                .bind(lease_until)
                .fetch_all(&self.pool)
            })
            .await
            .map_err(backend)?;
        // RETURNING has no order of its own.
        ids.sort_by_key(|(id, expires_at)| (*expires_at, *id));
        Ok(ids.into_iter().map(|(id, _)| SessionId(id)).collect())
    }

    async fn claim_decision_checks(
        &self,
        providers: &[String],
        submitted_before: DateTime<Utc>,
        checked_before: DateTime<Utc>,
        now: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<SessionId>> {
        if providers.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        let ids: Vec<(uuid::Uuid,)> = self
            .write(|| {
                sqlx::query_as(
                    "UPDATE sessions SET decision_checked_at = $4
                     WHERE id IN (
                         SELECT id FROM sessions
                         WHERE status IN ('started', 'submitted') AND provider_id = ANY($1)
                           AND COALESCE(submitted_at, started_at) <= $2
                           AND (decision_checked_at IS NULL OR decision_checked_at <= $3)
                         ORDER BY decision_checked_at NULLS FIRST,
                                  COALESCE(submitted_at, started_at)
                         LIMIT $5
                         FOR UPDATE SKIP LOCKED)
                     RETURNING id",
                )
                .bind(providers)
                .bind(submitted_before)
                .bind(checked_before)
                .bind(now)
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
            })
            .await
            .map_err(backend)?;
        Ok(ids.into_iter().map(|(id,)| SessionId(id)).collect())
    }

    async fn find_sessions_by_provider_reference(
        &self,
        provider_id: &str,
        reference: &str,
        scope: ReferenceScope,
        limit: u32,
    ) -> StoreResult<Vec<Session>> {
        sqlx::query(
            "SELECT * FROM sessions
             WHERE provider_id = $1 AND provider_reference = $2
               AND ($4 OR status IN ('created', 'started', 'submitted', 'resubmission_requested'))
             ORDER BY created_at DESC LIMIT $3",
        )
        .bind(provider_id)
        .bind(reference)
        .bind(i64::from(limit))
        .bind(scope == ReferenceScope::Any)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?
        .iter()
        .map(|r| rows::session(r, &self.keys))
        .collect()
    }

    async fn list_partner_sessions(&self, page: &SessionPage) -> StoreResult<Vec<Session>> {
        sqlx::query(
            "SELECT * FROM sessions
             WHERE partner_id = $1 AND dialect = $2
               AND ($3::timestamptz IS NULL OR created_at >= $3)
               AND ($4::timestamptz IS NULL OR created_at < $4)
               AND ($5::text IS NULL OR external_refs->>'external_id' = $5)
               AND ($6::timestamptz IS NULL OR (created_at, id) < ($6, $7::uuid))
               AND ($9::text IS NULL OR dialect_options->>'workflow_id' = $9)
               AND ($10::text IS NULL OR external_refs->>'user_id' = $10)
             ORDER BY created_at DESC, id DESC LIMIT $8",
        )
        .bind(page.partner_id.0)
        .bind(page.dialect.as_str())
        .bind(page.created_from)
        .bind(page.created_before)
        .bind(&page.external_id)
        .bind(page.after.map(|(at, _)| at))
        .bind(page.after.map(|(_, id)| id.0))
        .bind(i64::from(page.limit))
        .bind(&page.workflow_id)
        .bind(&page.user_id)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?
        .iter()
        .map(|r| rows::session(r, &self.keys))
        .collect()
    }

    async fn session_counts(&self, since: DateTime<Utc>) -> StoreResult<Vec<SessionCount>> {
        let rows: Vec<(chrono::NaiveDate, String, String, i64, i64, i64)> = sqlx::query_as(
            "SELECT (created_at AT TIME ZONE 'UTC')::date AS day, provider_id, status,
                    COUNT(*), COUNT(started_at), COUNT(decided_at)
             FROM sessions WHERE created_at >= $1
             GROUP BY day, provider_id, status ORDER BY day, provider_id, status",
        )
        .bind(since)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.into_iter()
            .map(|(day, provider_id, status, sessions, started, decided)| {
                let count = |n: i64| u64::try_from(n).map_err(rows::corrupt);
                Ok(SessionCount {
                    day,
                    provider_id,
                    status: status.parse().map_err(rows::corrupt)?,
                    sessions: count(sessions)?,
                    started: count(started)?,
                    decided: count(decided)?,
                })
            })
            .collect()
    }

    async fn search_sessions(&self, search: &SessionSearch) -> StoreResult<Vec<Session>> {
        sqlx::query(
            "SELECT * FROM sessions
             WHERE ($1::uuid IS NULL OR partner_id = $1)
               AND ($2::text IS NULL OR status = $2)
               AND ($3::text IS NULL OR $3 IN (external_refs->>'external_id',
                    external_refs->>'user_id', external_refs->>'vendor_data',
                    external_refs->>'end_user_id'))
               AND ($4::timestamptz IS NULL OR created_at >= $4)
               AND ($5::timestamptz IS NULL OR created_at < $5)
             ORDER BY created_at DESC, id DESC LIMIT $6",
        )
        .bind(search.partner_id.map(|p| p.0))
        .bind(search.status.map(|s| s.as_str()))
        .bind(&search.reference)
        .bind(search.created_from)
        .bind(search.created_before)
        .bind(i64::from(search.limit))
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?
        .iter()
        .map(|r| rows::session(r, &self.keys))
        .collect()
    }
}

#[async_trait]
impl IdempotencyStore for PgStore {
    async fn claim_idempotency_key(
        &self,
        key: &IdempotencyKey<'_>,
        request_digest: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        forget_before: DateTime<Utc>,
    ) -> StoreResult<IdempotencyClaim> {
        type Found = (
            String,
            String,
            Option<DateTime<Utc>>,
            Option<i32>,
            Option<Vec<u8>>,
            DateTime<Utc>,
        );
        let decided: Result<rules::KeyDecision<Option<Vec<u8>>>, sqlx::Error> = self
            .write(|| async {
                let mut tx = self.pool.begin().await?;
                // Insert-or-keep first, so two nodes claiming at once both land on one row and
                // the row lock below orders them.
                let inserted = sqlx::query(
                    "INSERT INTO idempotency_keys
                     (partner_id, key, request_digest, state, locked_until, created_at)
                     VALUES ($1, $2, $3, 'in_progress', $4, $5)
                     ON CONFLICT (partner_id, key) DO NOTHING",
                )
                .bind(key.partner_id.0)
                .bind(key.key)
                .bind(request_digest)
                .bind(lease_until)
                .bind(now)
                .execute(&mut *tx)
                .await?
                .rows_affected()
                    == 1;
                if inserted {
                    tx.commit().await?;
                    return Ok(rules::KeyDecision::Claim);
                }
                let (digest, state, locked_until, status, body, created_at): Found =
                    sqlx::query_as(
                        "SELECT request_digest, state, locked_until, response_status,
                                response_body, created_at
                         FROM idempotency_keys WHERE partner_id = $1 AND key = $2 FOR UPDATE",
                    )
                    .bind(key.partner_id.0)
                    .bind(key.key)
                    .fetch_one(&mut *tx)
                    .await?;
                let completed = match (state.as_str(), status) {
                    ("completed", Some(status)) => {
                        Some((u16::try_from(status).unwrap_or(500), body))
                    }
                    _ => None,
                };
                let found = rules::StoredKey {
                    request_digest: digest,
                    completed,
                    locked_until,
                    created_at,
                };
                let decision = rules::decide_key(Some(found), request_digest, now, forget_before);
                if decision == rules::KeyDecision::Claim {
                    sqlx::query(
                        "UPDATE idempotency_keys SET request_digest = $3, state = 'in_progress',
                            locked_until = $4, response_status = NULL, response_body = NULL,
                            created_at = $5
                         WHERE partner_id = $1 AND key = $2",
                    )
                    .bind(key.partner_id.0)
                    .bind(key.key)
                    .bind(request_digest)
                    .bind(lease_until)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok(decision)
            })
            .await;
        Ok(match decided.map_err(backend)? {
            rules::KeyDecision::Claim => IdempotencyClaim::Claimed,
            rules::KeyDecision::Conflict => IdempotencyClaim::Conflict,
            rules::KeyDecision::InProgress => IdempotencyClaim::InProgress,
            rules::KeyDecision::Replay { status, body } => IdempotencyClaim::Replay {
                status,
                body: sealed::open(
                    &self.keys,
                    "idempotency_keys",
                    "response_body",
                    &key.row_id(),
                    body,
                )?
                .unwrap_or(serde_json::Value::Null),
            },
        })
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
             SET state = 'completed', locked_until = NULL, response_status = $3,
                 response_body = $4
             WHERE partner_id = $1 AND key = $2",
        )
        .bind(key.partner_id.0)
        .bind(key.key)
        .bind(i32::from(status))
        .bind(sealed)
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn release_idempotency_key(&self, key: &IdempotencyKey<'_>) -> StoreResult<()> {
        sqlx::query(
            "DELETE FROM idempotency_keys
             WHERE partner_id = $1 AND key = $2 AND state = 'in_progress'",
        )
        .bind(key.partner_id.0)
        .bind(key.key)
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(())
    }
}

async fn insert_event(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    e: &SessionEvent,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO session_events
         (session_id, seq, at, actor, event, from_status, to_status, reason, details)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(e.session_id.0)
    .bind(e.seq)
    .bind(e.at)
    .bind(e.actor.as_str())
    .bind(e.event.map(|ev| ev.as_str()))
    .bind(e.from_status.map(|s| s.as_str()))
    .bind(e.to_status.as_str())
    .bind(&e.reason)
    .bind(Json(&e.details))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    async fn store(write_attempts: u32) -> PgStore {
        let url = std::env::var("IDGATE_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
        let keys =
            KeyRing::new("k", [("k".to_string(), vec![1u8; 32])]).unwrap_or_else(|e| panic!("{e}"));
        PgStore::open(
            &PgSettings {
                url,
                schema: None,
                max_connections: 2,
                acquire_timeout: Duration::from_secs(10),
                statement_timeout: Duration::from_millis(200),
                write_attempts,
            },
            Arc::new(keys),
        )
        .await
        .unwrap_or_else(|e| panic!("is PostgreSQL running? {e}"))
    }

    /// PostgreSQL raises a genuine serialization failure (SQLSTATE 40001) on the first tries.
    async fn flaky(store: &PgStore, failures: u32, calls: &AtomicU32) -> Result<(), sqlx::Error> {
        store
            .write(|| async {
                let n = calls.fetch_add(1, Ordering::SeqCst);
                let sql = if n < failures {
                    "DO $$ BEGIN RAISE EXCEPTION USING ERRCODE = 'serialization_failure'; END $$"
                } else {
                    "SELECT 1"
                };
                sqlx::query(sql).execute(&store.pool).await.map(|_| ())
            })
            .await
    }

    #[tokio::test]
    async fn serialization_failures_are_retried_up_to_the_configured_attempts() {
        let store = store(3).await;
        let calls = AtomicU32::new(0);
        assert!(flaky(&store, 2, &calls).await.is_ok());
        assert_eq!(calls.load(Ordering::SeqCst), 3);

        let calls = AtomicU32::new(0);
        let err = flaky(&store, 5, &calls).await.err();
        assert!(err.as_ref().is_some_and(is_transient), "{err:?}");
        assert_eq!(
            calls.load(Ordering::SeqCst),
            3,
            "gives up after write_attempts"
        );
    }

    #[tokio::test]
    async fn statements_are_cut_off_by_the_statement_timeout() {
        let store = store(1).await;
        let slow = sqlx::query("SELECT pg_sleep(2)").execute(&store.pool).await;
        let code = match &slow {
            Err(sqlx::Error::Database(db)) => db.code().map(|c| c.into_owned()),
            _ => None,
        };
        assert_eq!(code.as_deref(), Some("57014"), "{slow:?}");
    }

    #[test]
    fn schema_names_are_checked() {
        assert!(valid_schema("idgate"));
        assert!(valid_schema("idgt_t1"));
        for bad in [
            "",
            "Idgate",
            "1abc",
            "a-b",
            "a\"; drop table x; --",
            &"a".repeat(64),
        ] {
            assert!(!valid_schema(bad), "{bad}");
        }
    }
}
