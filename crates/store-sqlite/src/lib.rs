//! idgate's embedded store: one SQLite file in WAL mode.
//!
//! Writes run on one writer thread, each transaction as a single closure, and concurrent writes
//! share a commit (see [`connection`]); reads run on read-only connections beside it, thanks to
//! WAL. Migrations are sqlx's, so databases made by earlier versions carry on.

mod connection;
mod invites;
mod media;
mod operators;
mod rows;
mod tokens;
mod webhooks;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use connection::{Readers, Writer, backend};
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
use rows::{micros, opt_micros};
use rusqlite::{Connection, Params, Row, params};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// The SQLite implementation of [`Store`].
#[derive(Clone, Debug)]
pub struct SqliteStore {
    pub(crate) writer: Writer,
    pub(crate) readers: Arc<Readers>,
    pub(crate) keys: Arc<KeyRing>,
    path: PathBuf,
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `url` (`sqlite://path` or `sqlite:path`),
    /// keeping up to `readers` idle reading connections beside the single writer.
    pub async fn open(url: &str, keys: Arc<KeyRing>, readers: u32) -> StoreResult<Self> {
        let path = file_path(url)?;
        let writer = Writer::start(&path)?;
        let readers = Readers::new(path.clone(), usize::try_from(readers).unwrap_or(1));
        Ok(SqliteStore {
            writer,
            readers: Arc::new(readers),
            keys,
            path,
        })
    }

    /// Whether the database has been migrated at least once (a fresh file has not).
    pub async fn is_initialised(&self) -> StoreResult<bool> {
        self.readers.with(|c| {
            Ok(query_one(
                c,
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'meta'",
                [],
                |_| Ok(()),
            )?
            .is_some())
        })
    }

    /// Copies the WAL into the database file and closes the idle readers.
    pub async fn close(&self) {
        self.readers.close();
        if let Err(e) = self.writer.checkpoint().await {
            tracing::warn!(error = %e, "SQLite checkpoint at close failed");
        }
    }
}

/// The file a `sqlite://path` or `sqlite:path` URL names (a query string is ignored).
fn file_path(url: &str) -> StoreResult<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .ok_or_else(|| StoreError::Backend(format!("not a SQLite URL: {url}")))?;
    let path = rest.split('?').next().unwrap_or_default();
    if path.is_empty() || path == ":memory:" {
        return Err(StoreError::Backend(
            "the SQLite URL must name a file, e.g. sqlite://data/idgate.db".into(),
        ));
    }
    Ok(PathBuf::from(path))
}

/// Maps a uniqueness failure to [`StoreError::Duplicate`] naming `what`.
pub(crate) fn write_error(what: &'static str) -> impl Fn(rusqlite::Error) -> StoreError {
    move |e| match &e {
        rusqlite::Error::SqliteFailure(failure, _)
            if failure.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                || failure.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY =>
        {
            StoreError::Duplicate(what)
        }
        _ => backend(e),
    }
}

/// Runs a (cached) statement; how many rows it changed.
pub(crate) fn execute(
    conn: &Connection,
    sql: &str,
    params: impl Params,
) -> rusqlite::Result<usize> {
    conn.prepare_cached(sql)?.execute(params)
}

/// The first row of a (cached) query, mapped.
pub(crate) fn query_one<T>(
    conn: &Connection,
    sql: &str,
    params: impl Params,
    map: impl FnOnce(&Row<'_>) -> StoreResult<T>,
) -> StoreResult<Option<T>> {
    let mut statement = conn.prepare_cached(sql).map_err(backend)?;
    let mut rows = statement.query(params).map_err(backend)?;
    rows.next().map_err(backend)?.map(map).transpose()
}

/// Every row of a (cached) query, mapped.
pub(crate) fn query_all<T>(
    conn: &Connection,
    sql: &str,
    params: impl Params,
    mut map: impl FnMut(&Row<'_>) -> StoreResult<T>,
) -> StoreResult<Vec<T>> {
    let mut statement = conn.prepare_cached(sql).map_err(backend)?;
    let mut rows = statement.query(params).map_err(backend)?;
    let mut all = Vec::new();
    while let Some(row) = rows.next().map_err(backend)? {
        all.push(map(row)?);
    }
    Ok(all)
}

#[async_trait]
impl Store for SqliteStore {
    async fn migrate(&self) -> StoreResult<()> {
        let failed = |e: sqlx::Error| StoreError::Backend(format!("migration failed: {e}"));
        // The file the store opened, not the URL re-parsed (sqlx decodes escapes).
        let options = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(&self.path)
            .create_if_missing(true)
            .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
            .busy_timeout(Duration::from_secs(5));
        let pool = sqlx::sqlite::SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await
            .map_err(failed)?;
        let done = MIGRATOR
            .run(&pool)
            .await
            .map_err(|e| StoreError::Backend(format!("migration failed: {e}")));
        pool.close().await;
        done
    }

    async fn ping(&self) -> StoreResult<()> {
        // Off the async threads, so a caller's timeout can fire while a reader waits on a lock.
        self.readers
            .off_thread(|c| query_one(c, "SELECT 1", [], |_| Ok(())).map(|_| ()))
            .await
    }
}

#[async_trait]
impl MetaStore for SqliteStore {
    async fn meta_get(&self, key: &str) -> StoreResult<Option<String>> {
        self.readers.with(|c| {
            query_one(c, "SELECT value FROM meta WHERE key = ?1", [key], |r| {
                rows::get(r, "value")
            })
        })
    }

    async fn meta_set(&self, key: &str, value: &str) -> StoreResult<()> {
        let (key, value) = (key.to_owned(), value.to_owned());
        self.writer
            .write(move |c| {
                execute(
                    c,
                    "INSERT INTO meta (key, value) VALUES (?1, ?2)
                     ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    [&key, &value],
                )
                .map_err(backend)?;
                Ok(())
            })
            .await
    }

    async fn meta_delete_below(&self, prefix: &str, value_below: &str) -> StoreResult<u64> {
        let (from, to, below) = (
            prefix.to_owned(),
            prefix_end(prefix),
            value_below.to_owned(),
        );
        self.writer
            .write(move |c| {
                let gone = execute(
                    c,
                    "DELETE FROM meta WHERE key >= ?1 AND key < ?2 AND value < ?3",
                    params![from, to, below],
                )
                .map_err(backend)?;
                Ok(u64::try_from(gone).unwrap_or(u64::MAX))
            })
            .await
    }

    async fn meta_set_if_absent(&self, key: &str, value: &str) -> StoreResult<bool> {
        let (key, value) = (key.to_owned(), value.to_owned());
        self.writer
            .write(move |c| {
                let done = execute(
                    c,
                    "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO NOTHING",
                    [&key, &value],
                )
                .map_err(backend)?;
                Ok(done == 1)
            })
            .await
    }
}

/// The smallest string greater than every string that starts with `prefix` (for key ranges
/// an index can serve, where `LIKE 'prefix%'` may not be).
fn prefix_end(prefix: &str) -> String {
    let mut end = prefix.to_owned();
    end.push(char::MAX);
    end
}

#[async_trait]
impl QuotaStore for SqliteStore {
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
        let scope = scope.to_owned();
        self.writer
            .write(move |c| {
                execute(
                    c,
                    "DELETE FROM quota_windows WHERE scope = ?1 AND window_start < ?2",
                    params![scope, window_start],
                )
                .map_err(backend)?;
                let taken = query_one(
                    c,
                    "INSERT INTO quota_windows (scope, window_start, used) VALUES (?1, ?2, 1)
                     ON CONFLICT (scope, window_start) DO UPDATE SET used = used + 1
                       WHERE quota_windows.used < ?3
                     RETURNING used",
                    params![scope, window_start, limit],
                    |row| rows::get::<u32>(row, "used"),
                )?;
                Ok(match taken {
                    Some(used) => QuotaUse { taken: true, used },
                    None => QuotaUse {
                        taken: false,
                        used: limit,
                    },
                })
            })
            .await
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
        let scope = scope.to_owned();
        // One writer: the read and the write below cannot interleave with another node's.
        self.writer
            .write(move |c| {
                execute(
                    c,
                    "DELETE FROM quota_windows WHERE scope = ?1 AND window_start < ?2",
                    params![scope, window_start],
                )
                .map_err(backend)?;
                let used = query_one(
                    c,
                    "SELECT used FROM quota_windows WHERE scope = ?1 AND window_start = ?2",
                    params![scope, window_start],
                    |row| rows::get::<u32>(row, "used"),
                )?
                .unwrap_or(0);
                let granted = want.min(limit.saturating_sub(used));
                if granted > 0 {
                    execute(
                        c,
                        "INSERT INTO quota_windows (scope, window_start, used) VALUES (?1, ?2, ?3)
                         ON CONFLICT (scope, window_start) DO UPDATE SET used = used + ?3",
                        params![scope, window_start, granted],
                    )
                    .map_err(backend)?;
                }
                Ok(granted)
            })
            .await
    }
}

#[async_trait]
impl PartnerStore for SqliteStore {
    async fn insert_partner(&self, p: &Partner) -> StoreResult<()> {
        let p = p.clone();
        self.writer
            .write(move |c| {
                execute(
                    c,
                    "INSERT INTO partners
                       (id, name, tier, session_cap, evidence, session_ttl_secs, frame_ancestors,
                        created_at, branding, offered_providers, workflows, return_url_policy,
                        number)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12,
                             (SELECT COALESCE(MAX(number), 0) + 1 FROM partners))",
                    params![
                        p.id.to_string(),
                        p.name,
                        p.tier.as_str(),
                        p.session_cap,
                        p.evidence.as_str(),
                        p.session_ttl_secs,
                        rows::json(&p.frame_ancestors)?,
                        micros(p.created_at),
                        rows::json(&p.branding)?,
                        rows::json(&p.offered_providers)?,
                        rows::json(&p.workflows)?,
                        p.return_urls.as_str()
                    ],
                )
                .map_err(write_error("partner"))?;
                Ok(())
            })
            .await
    }

    async fn get_partner(&self, id: PartnerId) -> StoreResult<Option<Partner>> {
        self.readers.with(|c| {
            query_one(
                c,
                "SELECT * FROM partners WHERE id = ?1",
                [id.to_string()],
                rows::partner,
            )
        })
    }

    async fn list_partners(&self) -> StoreResult<Vec<Partner>> {
        self.readers
            .off_thread(|c| {
                query_all(
                    c,
                    "SELECT * FROM partners ORDER BY created_at, id",
                    [],
                    rows::partner,
                )
            })
            .await
    }

    async fn update_partner(&self, p: &Partner) -> StoreResult<()> {
        let p = p.clone();
        self.writer
            .write(move |c| {
                let done = execute(
                    c,
                    "UPDATE partners SET name = ?2, tier = ?3, session_cap = ?4, evidence = ?5,
                       session_ttl_secs = ?6, frame_ancestors = ?7, branding = ?8,
                       offered_providers = ?9, workflows = ?10, return_url_policy = ?11
                     WHERE id = ?1",
                    params![
                        p.id.to_string(),
                        p.name,
                        p.tier.as_str(),
                        p.session_cap,
                        p.evidence.as_str(),
                        p.session_ttl_secs,
                        rows::json(&p.frame_ancestors)?,
                        rows::json(&p.branding)?,
                        rows::json(&p.offered_providers)?,
                        rows::json(&p.workflows)?,
                        p.return_urls.as_str()
                    ],
                )
                .map_err(backend)?;
                if done == 0 {
                    return Err(StoreError::NotFound("partner"));
                }
                Ok(())
            })
            .await
    }

    async fn insert_credential(&self, cred: &Credential) -> StoreResult<()> {
        let shared_secret = sealed::seal(
            &self.keys,
            "credentials",
            "shared_secret",
            &cred.id.0.hyphenated().to_string(),
            cred.shared_secret.as_ref(),
        )?;
        let cred = cred.clone();
        self.writer
            .write(move |c| {
                execute(
                    c,
                    "INSERT INTO credentials
                     (id, partner_id, kind, lookup_digest, secret_digest, shared_secret,
                      created_at, revoked_at, public_id)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                    params![
                        cred.id.to_string(),
                        cred.partner_id.to_string(),
                        cred.kind.as_str(),
                        cred.lookup_digest,
                        cred.secret_digest,
                        shared_secret,
                        micros(cred.created_at),
                        opt_micros(cred.revoked_at),
                        cred.public_id
                    ],
                )
                .map_err(write_error("credential"))?;
                Ok(())
            })
            .await
    }

    async fn find_credential(
        &self,
        kind: CredentialKind,
        lookup_digest: &str,
    ) -> StoreResult<Option<Credential>> {
        self.readers.with(|c| {
            query_one(
                c,
                "SELECT * FROM credentials WHERE kind = ?1 AND lookup_digest = ?2",
                [kind.as_str(), lookup_digest],
                |r| rows::credential(r, &self.keys),
            )
        })
    }

    async fn get_credential(&self, id: CredentialId) -> StoreResult<Option<Credential>> {
        self.readers.with(|c| {
            query_one(
                c,
                "SELECT * FROM credentials WHERE id = ?1",
                [id.to_string()],
                |r| rows::credential(r, &self.keys),
            )
        })
    }

    async fn replace_credential_secret(
        &self,
        id: CredentialId,
        secret_digest: &str,
    ) -> StoreResult<()> {
        let secret_digest = secret_digest.to_owned();
        self.writer
            .write(move |c| {
                let done = execute(
                    c,
                    "UPDATE credentials SET secret_digest = ?2 WHERE id = ?1",
                    params![id.to_string(), secret_digest],
                )
                .map_err(backend)?;
                if done == 0 {
                    return Err(StoreError::NotFound("credential"));
                }
                Ok(())
            })
            .await
    }

    async fn list_credentials(&self, partner: PartnerId) -> StoreResult<Vec<Credential>> {
        self.readers.with(|c| {
            query_all(
                c,
                "SELECT * FROM credentials WHERE partner_id = ?1 ORDER BY created_at, id",
                [partner.to_string()],
                |r| rows::credential(r, &self.keys),
            )
        })
    }

    async fn put_partner_logo(&self, partner: PartnerId, logo: &Logo) -> StoreResult<()> {
        let logo = logo.clone();
        self.writer
            .write(move |c| {
                execute(
                    c,
                    "INSERT INTO partner_logos (partner_id, media_type, bytes) VALUES (?1, ?2, ?3)
                     ON CONFLICT (partner_id) DO UPDATE
                     SET media_type = excluded.media_type, bytes = excluded.bytes",
                    params![partner.to_string(), logo.media_type, logo.bytes],
                )
                .map_err(write_error("partner"))?;
                Ok(())
            })
            .await
    }

    async fn get_partner_logo(&self, partner: PartnerId) -> StoreResult<Option<Logo>> {
        self.readers.with(|c| {
            query_one(
                c,
                "SELECT media_type, bytes FROM partner_logos WHERE partner_id = ?1",
                [partner.to_string()],
                |r| {
                    Ok(Logo {
                        media_type: rows::get(r, "media_type")?,
                        bytes: rows::get(r, "bytes")?,
                    })
                },
            )
        })
    }

    async fn revoke_credential(&self, id: CredentialId, at: DateTime<Utc>) -> StoreResult<()> {
        self.writer
            .write(move |c| {
                let done = execute(
                    c,
                    "UPDATE credentials
                     SET revoked_at = CASE WHEN revoked_at IS NOT NULL AND revoked_at < ?2
                                           THEN revoked_at ELSE ?2 END
                     WHERE id = ?1",
                    params![id.to_string(), micros(at)],
                )
                .map_err(write_error("credential"))?;
                if done == 0 {
                    return Err(StoreError::NotFound("credential"));
                }
                Ok(())
            })
            .await
    }
}

#[async_trait]
impl ReturnUrlStore for SqliteStore {
    async fn insert_return_url_rule(&self, r: &ReturnUrlRule) -> StoreResult<()> {
        let r = r.clone();
        self.writer
            .write(move |c| {
                execute(
                    c,
                    "INSERT INTO return_url_rules
                     (id, partner_id, requested_url, normalized_scheme, normalized_host,
                      normalized_path_prefix, status, requested_at, decided_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                    params![
                        r.id.to_string(),
                        r.partner_id.to_string(),
                        r.requested_url,
                        r.normalized_scheme,
                        r.normalized_host,
                        r.normalized_path_prefix,
                        r.status.as_str(),
                        micros(r.requested_at),
                        opt_micros(r.decided_at)
                    ],
                )
                .map_err(write_error("return URL rule"))?;
                Ok(())
            })
            .await
    }

    async fn get_return_url_rule(&self, id: ReturnUrlRuleId) -> StoreResult<Option<ReturnUrlRule>> {
        self.readers.with(|c| {
            query_one(
                c,
                "SELECT * FROM return_url_rules WHERE id = ?1",
                [id.to_string()],
                rows::return_url_rule,
            )
        })
    }

    async fn list_return_url_rules(
        &self,
        filter: ReturnUrlFilter,
    ) -> StoreResult<Vec<ReturnUrlRule>> {
        let status = filter.status.map(|s| s.as_str());
        match filter.partner_id {
            // One partner's rules, by the partner index (the session-creation path).
            Some(partner) => self.readers.with(|c| {
                query_all(
                    c,
                    "SELECT * FROM return_url_rules
                     WHERE partner_id = ?1 AND (?2 IS NULL OR status = ?2)
                     ORDER BY requested_at, id",
                    params![partner.to_string(), status],
                    rows::return_url_rule,
                )
            }),
            // Every partner's rules: an operator's listing, read off the async threads.
            None => {
                self.readers
                    .off_thread(move |c| {
                        query_all(
                            c,
                            "SELECT * FROM return_url_rules
                             WHERE (?1 IS NULL OR status = ?1)
                             ORDER BY requested_at, id",
                            params![status],
                            rows::return_url_rule,
                        )
                    })
                    .await
            }
        }
    }

    async fn decide_return_url_rule(
        &self,
        id: ReturnUrlRuleId,
        status: ReturnUrlStatus,
        at: DateTime<Utc>,
    ) -> StoreResult<ReturnUrlRule> {
        self.writer
            .write(move |c| {
                query_one(
                    c,
                    "UPDATE return_url_rules SET status = ?2, decided_at = ?3 WHERE id = ?1
                     RETURNING *",
                    params![id.to_string(), status.as_str(), micros(at)],
                    rows::return_url_rule,
                )?
                .ok_or(StoreError::NotFound("return URL rule"))
            })
            .await
    }
}

#[async_trait]
impl SessionStore for SqliteStore {
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
        let charge = charge.cloned();
        // Everything that costs CPU (encryption, JSON) happens here, off the writer's thread.
        let row = SessionRow::new(&self.keys, s)?;
        let created = EventRow::new(created)?;
        let endpoint = endpoint
            .map(|e| webhooks::EndpointRow::new(self, e))
            .transpose()?;
        let outbox = webhooks::OutboxRows::new(outbox);
        let invites = invites
            .iter()
            .map(|i| invites::InviteRow::new(&self.keys, i, invite_link))
            .collect::<StoreResult<Vec<_>>>()?;
        self.writer
            .write(move |c| {
                // The charge first: a short balance writes nothing at all.
                if let Some(charge) = &charge {
                    tokens::apply(c, charge)?;
                }
                execute(
                    c,
                    "INSERT INTO sessions
                     (id, partner_id, dialect, provider_id, status, reason, raw_provider_status,
                      external_refs, dialect_options, applicant, requested_loa,
                      requested_claims, match_data, return_url, access_token_digest,
                      provider_reference, created_at, started_at, submitted_at, decided_at,
                      expires_at, achieved_loa, result_claims, match_result, version)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15,
                             ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25)",
                    params![
                        row.id,
                        row.partner_id,
                        row.dialect,
                        row.provider_id,
                        row.status,
                        row.reason,
                        row.raw_provider_status,
                        row.external_refs,
                        row.dialect_options,
                        row.sealed.applicant,
                        row.requested_loa,
                        row.requested_claims,
                        row.sealed.match_data,
                        row.return_url,
                        row.access_token_digest,
                        row.provider_reference,
                        row.created_at,
                        row.started_at,
                        row.submitted_at,
                        row.decided_at,
                        row.expires_at,
                        row.achieved_loa,
                        row.sealed.result_claims,
                        row.sealed.match_result,
                        row.version
                    ],
                )
                .map_err(write_error("session access token"))?;
                if let Some(endpoint) = &endpoint {
                    endpoint.insert(c)?;
                }
                created.insert(c)?;
                for invite in &invites {
                    invite.insert(c)?;
                }
                outbox.insert(c)
            })
            .await
    }

    async fn get_session(&self, id: SessionId) -> StoreResult<Option<Session>> {
        self.readers.with(|c| {
            query_one(
                c,
                concat!(
                    "SELECT ",
                    rows::session_columns!(),
                    " FROM sessions WHERE id = ?1"
                ),
                [id.to_string()],
                |r| rows::session(r, &self.keys),
            )
        })
    }

    async fn find_session_by_access_token(&self, digest: &str) -> StoreResult<Option<Session>> {
        self.readers.with(|c| {
            query_one(
                c,
                concat!(
                    "SELECT ",
                    rows::session_columns!(),
                    " FROM sessions WHERE access_token_digest = ?1"
                ),
                [digest],
                |r| rows::session(r, &self.keys),
            )
        })
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
        let expected_version = first.seq - 1;
        let row = SessionRow::new(&self.keys, s)?;
        let events = events
            .iter()
            .map(EventRow::new)
            .collect::<StoreResult<Vec<_>>>()?;
        let outbox = webhooks::OutboxRows::new(outbox);
        self.writer
            .write(move |c| {
                let updated = execute(
                    c,
                    "UPDATE sessions SET
                        status = ?2, reason = ?3, raw_provider_status = ?4,
                        provider_reference = ?5, started_at = ?6, submitted_at = ?7,
                        decided_at = ?8, achieved_loa = ?9, result_claims = ?10,
                        match_result = ?11, version = ?12, expiry_claimed_until = NULL,
                        evidence = ?14, provider_state = ?15, provider_id = ?16
                     WHERE id = ?1 AND version = ?13",
                    params![
                        row.id,
                        row.status,
                        row.reason,
                        row.raw_provider_status,
                        row.provider_reference,
                        row.started_at,
                        row.submitted_at,
                        row.decided_at,
                        row.achieved_loa,
                        row.sealed.result_claims,
                        row.sealed.match_result,
                        row.version,
                        expected_version,
                        row.sealed.evidence,
                        row.sealed.provider_state,
                        row.provider_id
                    ],
                )
                .map_err(backend)?;
                if updated != 1 {
                    return Err(StoreError::Stale);
                }
                for event in &events {
                    event.insert(c)?;
                }
                outbox.insert(c)
            })
            .await
    }

    async fn renew_provider_state(&self, s: &Session) -> StoreResult<()> {
        let row = SessionRow::new(&self.keys, s)?;
        self.writer
            .write(move |c| {
                let updated = execute(
                    c,
                    "UPDATE sessions SET provider_reference = ?2, provider_state = ?3
                     WHERE id = ?1 AND version = ?4 AND status = 'started'",
                    params![
                        row.id,
                        row.provider_reference,
                        row.sealed.provider_state,
                        row.version
                    ],
                )
                .map_err(backend)?;
                if updated != 1 {
                    return Err(StoreError::Stale);
                }
                Ok(())
            })
            .await
    }

    async fn session_events(&self, id: SessionId) -> StoreResult<Vec<SessionEvent>> {
        self.readers.with(|c| {
            query_all(
                c,
                "SELECT * FROM session_events WHERE session_id = ?1 ORDER BY seq",
                [id.to_string()],
                rows::event,
            )
        })
    }

    async fn hold_expiry(&self, id: SessionId, until: DateTime<Utc>) -> StoreResult<()> {
        self.writer
            .write(move |c| {
                execute(
                    c,
                    "UPDATE sessions SET expiry_claimed_until = ?2 WHERE id = ?1",
                    params![id.to_string(), micros(until)],
                )
                .map_err(backend)?;
                Ok(())
            })
            .await
    }

    async fn count_provider_exchange(&self, id: SessionId) -> StoreResult<u32> {
        self.writer
            .write(move |c| {
                query_one(
                    c,
                    "UPDATE sessions SET provider_exchanges = provider_exchanges + 1
                     WHERE id = ?1 RETURNING provider_exchanges",
                    [id.to_string()],
                    |row| rows::get::<u32>(row, "provider_exchanges"),
                )?
                .ok_or(StoreError::NotFound("session"))
            })
            .await
    }

    async fn claim_due_expiries(
        &self,
        now: DateTime<Utc>,
        limit: u32,
        lease_until: DateTime<Utc>,
    ) -> StoreResult<Vec<SessionId>> {
        self.writer
            .write(move |c| {
                let mut ids = query_all(
                    c,
                    CLAIM_DUE_EXPIRIES,
                    params![micros(now), i64::from(limit), micros(lease_until)],
                    |r| Ok((rows::uuid_col(r, "id")?, rows::get::<i64>(r, "expires_at")?)),
                )?;
                // RETURNING has no order of its own.
                ids.sort_by_key(|&(id, expires_at)| (expires_at, id.to_string()));
                Ok(ids.into_iter().map(|(id, _)| SessionId(id)).collect())
            })
            .await
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
        let providers = rows::json(&providers)?;
        self.writer
            .write(move |c| {
                let ids = query_all(
                    c,
                    "UPDATE sessions SET decision_checked_at = ?4
                     WHERE id IN (
                       SELECT id FROM sessions
                       WHERE status IN ('started', 'submitted')
                         AND provider_id IN (SELECT value FROM json_each(?1))
                         AND COALESCE(submitted_at, started_at) <= ?2
                         AND (decision_checked_at IS NULL OR decision_checked_at <= ?3)
                       ORDER BY decision_checked_at IS NOT NULL, decision_checked_at,
                                COALESCE(submitted_at, started_at)
                       LIMIT ?5)
                     RETURNING id",
                    params![
                        providers,
                        micros(submitted_before),
                        micros(checked_before),
                        micros(now),
                        i64::from(limit)
                    ],
                    |r| rows::uuid_col(r, "id"),
                )?;
                Ok(ids.into_iter().map(SessionId).collect())
            })
            .await
    }

    async fn find_sessions_by_provider_reference(
        &self,
        provider_id: &str,
        reference: &str,
        scope: ReferenceScope,
        limit: u32,
    ) -> StoreResult<Vec<Session>> {
        let any = scope == ReferenceScope::Any;
        self.readers.with(|c| {
            query_all(
                c,
                concat!(
                    "SELECT ",
                    rows::session_columns!(),
                    " FROM sessions
                     WHERE provider_id = ?1 AND provider_reference = ?2
                       AND (?4 OR status IN ('created', 'started', 'submitted',
                                             'resubmission_requested'))
                     ORDER BY created_at DESC LIMIT ?3"
                ),
                params![provider_id, reference, i64::from(limit), any],
                |r| rows::session(r, &self.keys),
            )
        })
    }

    async fn list_partner_sessions(&self, page: &SessionPage) -> StoreResult<Vec<Session>> {
        let (after_at, after_id) = match &page.after {
            Some((at, id)) => (Some(micros(*at)), Some(id.to_string())),
            None => (None, None),
        };
        self.readers.with(|c| {
            query_all(
                c,
                concat!(
                    "SELECT ",
                    rows::session_columns!(),
                    " FROM sessions
                     WHERE partner_id = ?1 AND dialect = ?2
                       AND (?3 IS NULL OR created_at >= ?3)
                       AND (?4 IS NULL OR created_at < ?4)
                       AND (?5 IS NULL OR json_extract(external_refs, '$.external_id') = ?5)
                       AND (?6 IS NULL OR created_at < ?6 OR (created_at = ?6 AND id < ?7))
                       AND (?9 IS NULL OR json_extract(dialect_options, '$.workflow_id') = ?9)
                       AND (?10 IS NULL OR json_extract(external_refs, '$.user_id') = ?10)
                     ORDER BY created_at DESC, id DESC LIMIT ?8"
                ),
                params![
                    page.partner_id.to_string(),
                    page.dialect.as_str(),
                    page.created_from.map(micros),
                    page.created_before.map(micros),
                    page.external_id,
                    after_at,
                    after_id,
                    i64::from(page.limit),
                    page.workflow_id,
                    page.user_id
                ],
                |r| rows::session(r, &self.keys),
            )
        })
    }

    async fn session_counts(&self, since: DateTime<Utc>) -> StoreResult<Vec<SessionCount>> {
        self.readers.with(|c| {
            query_all(
                c,
                "SELECT date(created_at / 1000000, 'unixepoch') AS day, provider_id, status,
                        COUNT(*) AS sessions, COUNT(started_at) AS started,
                        COUNT(decided_at) AS decided
                 FROM sessions WHERE created_at >= ?1
                 GROUP BY day, provider_id, status ORDER BY day, provider_id, status",
                [micros(since)],
                |r| {
                    let status: String = rows::get(r, "status")?;
                    let count = |column: &str| {
                        rows::get::<i64>(r, column)
                            .and_then(|n| u64::try_from(n).map_err(rows::corrupt))
                    };
                    let day: String = rows::get(r, "day")?;
                    Ok(SessionCount {
                        day: day.parse().map_err(rows::corrupt)?,
                        provider_id: rows::get(r, "provider_id")?,
                        status: status.parse().map_err(rows::corrupt)?,
                        sessions: count("sessions")?,
                        started: count("started")?,
                        decided: count("decided")?,
                    })
                },
            )
        })
    }

    async fn search_sessions(&self, search: &SessionSearch) -> StoreResult<Vec<Session>> {
        self.readers.with(|c| {
            query_all(
                c,
                concat!(
                    "SELECT ",
                    rows::session_columns!(),
                    " FROM sessions
                     WHERE (?1 IS NULL OR partner_id = ?1)
                       AND (?2 IS NULL OR status = ?2)
                       AND (?3 IS NULL OR ?3 IN (json_extract(external_refs, '$.external_id'),
                            json_extract(external_refs, '$.user_id'),
                            json_extract(external_refs, '$.vendor_data'),
                            json_extract(external_refs, '$.end_user_id')))
                       AND (?4 IS NULL OR created_at >= ?4)
                       AND (?5 IS NULL OR created_at < ?5)
                     ORDER BY created_at DESC, id DESC LIMIT ?6"
                ),
                params![
                    search.partner_id.map(|p| p.to_string()),
                    search.status.map(|s| s.as_str()),
                    search.reference,
                    search.created_from.map(micros),
                    search.created_before.map(micros),
                    i64::from(search.limit),
                ],
                |r| rows::session(r, &self.keys),
            )
        })
    }
}

#[async_trait]
impl IdempotencyStore for SqliteStore {
    async fn claim_idempotency_key(
        &self,
        key: &IdempotencyKey<'_>,
        request_digest: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        forget_before: DateTime<Utc>,
    ) -> StoreResult<IdempotencyClaim> {
        let partner = key.partner_id.to_string();
        let name = key.key.to_owned();
        let row_id = key.row_id();
        let request_digest = request_digest.to_owned();
        let keys = Arc::clone(&self.keys);
        // On the writer's thread the read and the write below cannot interleave with another
        // claim of the same key.
        self.writer
            .write(move |c| {
                let found = query_one(
                    c,
                    "SELECT request_digest, state, locked_until, response_status, response_body,
                            created_at
                     FROM idempotency_keys WHERE partner_id = ?1 AND key = ?2",
                    params![partner, name],
                    |r| {
                        let completed = match (
                            rows::get::<String>(r, "state")?.as_str(),
                            rows::get::<Option<i64>>(r, "response_status")?,
                        ) {
                            ("completed", Some(status)) => Some((
                                u16::try_from(status).unwrap_or(500),
                                rows::get::<Option<Vec<u8>>>(r, "response_body")?,
                            )),
                            _ => None,
                        };
                        Ok(rules::StoredKey {
                            request_digest: rows::get(r, "request_digest")?,
                            completed,
                            locked_until: rows::opt_at(r, "locked_until")?,
                            created_at: rows::at(r, "created_at")?,
                        })
                    },
                )?;
                let claim = match rules::decide_key(found, &request_digest, now, forget_before) {
                    rules::KeyDecision::Conflict => IdempotencyClaim::Conflict,
                    rules::KeyDecision::InProgress => IdempotencyClaim::InProgress,
                    rules::KeyDecision::Replay { status, body } => IdempotencyClaim::Replay {
                        status,
                        body: sealed::open(
                            &keys,
                            "idempotency_keys",
                            "response_body",
                            &row_id,
                            body,
                        )?
                        .unwrap_or(serde_json::Value::Null),
                    },
                    rules::KeyDecision::Claim => {
                        execute(
                            c,
                            "INSERT INTO idempotency_keys
                             (partner_id, key, request_digest, state, locked_until,
                              response_status, response_body, created_at)
                             VALUES (?1, ?2, ?3, 'in_progress', ?4, NULL, NULL, ?5)
                             ON CONFLICT (partner_id, key) DO UPDATE SET
                                request_digest = excluded.request_digest,
                                state = 'in_progress', locked_until = excluded.locked_until,
                                response_status = NULL, response_body = NULL,
                                created_at = excluded.created_at",
                            params![
                                partner,
                                name,
                                request_digest,
                                micros(lease_until),
                                micros(now)
                            ],
                        )
                        .map_err(backend)?;
                        IdempotencyClaim::Claimed
                    }
                };
                Ok(claim)
            })
            .await
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
        let (partner, name) = (key.partner_id.to_string(), key.key.to_owned());
        self.writer
            .write(move |c| {
                execute(
                    c,
                    "UPDATE idempotency_keys
                     SET state = 'completed', locked_until = NULL, response_status = ?3,
                         response_body = ?4
                     WHERE partner_id = ?1 AND key = ?2",
                    params![partner, name, i64::from(status), sealed],
                )
                .map_err(backend)?;
                Ok(())
            })
            .await
    }

    async fn release_idempotency_key(&self, key: &IdempotencyKey<'_>) -> StoreResult<()> {
        let (partner, name) = (key.partner_id.to_string(), key.key.to_owned());
        self.writer
            .write(move |c| {
                execute(
                    c,
                    "DELETE FROM idempotency_keys
                     WHERE partner_id = ?1 AND key = ?2 AND state = 'in_progress'",
                    [partner, name],
                )
                .map_err(backend)?;
                Ok(())
            })
            .await
    }
}

/// Claims due sessions. One writer: select-and-mark in one statement is atomic. The status
/// list repeats the partial index's predicate so SQLite can use it, and the index's order is
/// the claim's order, so no claim sorts (see migration 0005).
const CLAIM_DUE_EXPIRIES: &str = "UPDATE sessions SET expiry_claimed_until = ?3
     WHERE id IN (
         SELECT id FROM sessions
         WHERE status IN ('created', 'started', 'submitted', 'resubmission_requested')
           AND expires_at <= ?1
           AND (expiry_claimed_until IS NULL OR expiry_claimed_until <= ?1)
         ORDER BY expires_at, id
         LIMIT ?2)
     RETURNING id, expires_at";

/// A session's column values, prepared (encrypted, serialised) before the write is queued.
struct SessionRow {
    id: String,
    partner_id: String,
    dialect: &'static str,
    provider_id: String,
    status: &'static str,
    reason: Option<String>,
    raw_provider_status: Option<String>,
    external_refs: String,
    dialect_options: String,
    requested_loa: Option<i64>,
    requested_claims: String,
    return_url: Option<String>,
    access_token_digest: String,
    provider_reference: Option<String>,
    created_at: i64,
    started_at: Option<i64>,
    submitted_at: Option<i64>,
    decided_at: Option<i64>,
    expires_at: i64,
    achieved_loa: Option<i64>,
    version: i64,
    sealed: SealedSession,
}

impl SessionRow {
    fn new(keys: &KeyRing, s: &Session) -> StoreResult<Self> {
        Ok(SessionRow {
            id: s.id.to_string(),
            partner_id: s.partner_id.to_string(),
            dialect: s.dialect.as_str(),
            provider_id: s.provider_id.clone(),
            status: s.status.as_str(),
            reason: s.reason.clone(),
            raw_provider_status: s.raw_provider_status.clone(),
            external_refs: rows::json(&s.external_refs)?,
            dialect_options: rows::json(&s.dialect_options)?,
            requested_loa: s.requested_loa.map(i64::from),
            requested_claims: rows::json(&s.requested_claims)?,
            return_url: s.return_url.clone(),
            access_token_digest: s.access_token_digest.clone(),
            provider_reference: s.provider_reference.clone(),
            created_at: micros(s.created_at),
            started_at: opt_micros(s.started_at),
            submitted_at: opt_micros(s.submitted_at),
            decided_at: opt_micros(s.decided_at),
            expires_at: micros(s.expires_at),
            achieved_loa: s.achieved_loa.map(i64::from),
            version: s.version,
            sealed: SealedSession::seal(keys, s)?,
        })
    }
}

/// A session event's column values.
struct EventRow {
    session_id: String,
    seq: i64,
    at: i64,
    actor: &'static str,
    event: Option<&'static str>,
    from_status: Option<&'static str>,
    to_status: &'static str,
    reason: Option<String>,
    details: String,
}

impl EventRow {
    fn new(e: &SessionEvent) -> StoreResult<Self> {
        Ok(EventRow {
            session_id: e.session_id.to_string(),
            seq: e.seq,
            at: micros(e.at),
            actor: e.actor.as_str(),
            event: e.event.map(|ev| ev.as_str()),
            from_status: e.from_status.map(|s| s.as_str()),
            to_status: e.to_status.as_str(),
            reason: e.reason.clone(),
            details: rows::json(&e.details)?,
        })
    }

    fn insert(&self, c: &Connection) -> StoreResult<()> {
        execute(
            c,
            "INSERT INTO session_events
             (session_id, seq, at, actor, event, from_status, to_status, reason, details)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                self.session_id,
                self.seq,
                self.at,
                self.actor,
                self.event,
                self.from_status,
                self.to_status,
                self.reason,
                self.details
            ],
        )
        .map_err(write_error("session event"))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn claiming_due_expiries_walks_the_index_without_sorting() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let url = format!("sqlite://{}/idgate.db", dir.path().display());
        let keys =
            KeyRing::new("k", [("k".to_string(), vec![7u8; 32])]).unwrap_or_else(|e| panic!("{e}"));
        let store = SqliteStore::open(&url, Arc::new(keys), 1)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        store.migrate().await.unwrap_or_else(|e| panic!("{e}"));
        let plan = store
            .readers
            .with(|c| {
                query_all(
                    c,
                    &format!("EXPLAIN QUERY PLAN {CLAIM_DUE_EXPIRIES}"),
                    params![0i64, 500i64, 0i64],
                    |r| rows::get::<String>(r, "detail"),
                )
            })
            .unwrap_or_else(|e| panic!("{e}"));
        let plan = plan.join("\n");
        assert!(plan.contains("USING INDEX sessions_expiry"), "{plan}");
        assert!(!plan.contains("TEMP B-TREE"), "{plan}");
    }
}
