//! Webhook endpoints, the outbox and the delivery queue on SQLite.

use crate::connection::backend;
use crate::rows::{at, corrupt, get, micros, opt_at, opt_micros, opt_uuid_col, uuid_col};
use crate::{SqliteStore, execute, query_all, query_one, write_error};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use idgate_core::webhook::AUTO_DISABLED;
use idgate_core::{
    CredentialId, Delivery, DeliveryAttempt, DeliveryId, DeliveryStatus, EndpointId,
    EndpointSecret, EventId, PartnerId, SessionId, WebhookEndpoint, WebhookEvent,
};
use idgate_store::{
    DeliveryJob, EndpointHealth, KeyRing, Redeliver, StoreError, StoreResult, WebhookStore, rules,
    sealed,
};
use rusqlite::{Connection, Row, params};
use std::sync::LazyLock;

fn secrets_context(id: EndpointId) -> String {
    id.0.to_string()
}

fn endpoint(row: &Row<'_>, keys: &KeyRing) -> StoreResult<WebhookEndpoint> {
    let id = EndpointId(uuid_col(row, "id")?);
    let secrets: Vec<EndpointSecret> = sealed::open(
        keys,
        "webhook_endpoints",
        "secrets",
        &secrets_context(id),
        Some(get::<Vec<u8>>(row, "secrets")?),
    )?
    .unwrap_or_default();
    Ok(WebhookEndpoint {
        id,
        partner_id: PartnerId(uuid_col(row, "partner_id")?),
        url: get(row, "url")?,
        event_types: serde_json::from_str(&get::<String>(row, "event_types")?).map_err(corrupt)?,
        enabled: get(row, "enabled")?,
        include_claims: get(row, "include_claims")?,
        sign_ed25519: get(row, "sign_ed25519")?,
        secrets,
        failing_since: opt_at(row, "failing_since")?,
        disabled_reason: get(row, "disabled_reason")?,
        session_id: opt_uuid_col(row, "session_id")?.map(SessionId),
        signing_credential: opt_uuid_col(row, "signing_credential")?.map(CredentialId),
        dialect_settings: get::<Option<String>>(row, "dialect_settings")?
            .map(|text| serde_json::from_str(&text))
            .transpose()
            .map_err(corrupt)?,
        created_at: at(row, "created_at")?,
        updated_at: at(row, "updated_at")?,
    })
}

fn event(row: &Row<'_>) -> StoreResult<WebhookEvent> {
    Ok(WebhookEvent {
        id: EventId(uuid_col(row, "id")?),
        partner_id: PartnerId(uuid_col(row, "partner_id")?),
        session_id: opt_uuid_col(row, "session_id")?.map(SessionId),
        seq: get(row, "seq")?,
        event_type: get(row, "type")?,
        created_at: at(row, "created_at")?,
        dialect: get::<Option<String>>(row, "dialect")?
            .map(|d| d.parse())
            .transpose()
            .map_err(corrupt)?,
        payload: serde_json::from_str(&get::<String>(row, "payload")?).map_err(corrupt)?,
    })
}

fn delivery(row: &Row<'_>) -> StoreResult<Delivery> {
    let status: String = get(row, "status")?;
    Ok(Delivery {
        id: DeliveryId(uuid_col(row, "id")?),
        event_id: EventId(uuid_col(row, "event_id")?),
        endpoint_id: EndpointId(uuid_col(row, "endpoint_id")?),
        session_id: opt_uuid_col(row, "session_id")?.map(SessionId),
        seq: get(row, "seq")?,
        status: status.parse().map_err(corrupt)?,
        attempts: get(row, "attempts")?,
        next_attempt_at: at(row, "next_attempt_at")?,
        created_at: at(row, "created_at")?,
        last_attempt_at: opt_at(row, "last_attempt_at")?,
        delivered_at: opt_at(row, "delivered_at")?,
        last_status_code: get::<Option<i64>>(row, "last_status_code")?
            .and_then(|c| u16::try_from(c).ok()),
        last_error: get(row, "last_error")?,
    })
}

fn attempt(row: &Row<'_>) -> StoreResult<DeliveryAttempt> {
    Ok(DeliveryAttempt {
        delivery_id: DeliveryId(uuid_col(row, "delivery_id")?),
        attempt: get(row, "attempt")?,
        at: at(row, "at")?,
        status_code: get::<Option<i64>>(row, "status_code")?.and_then(|c| u16::try_from(c).ok()),
        duration_ms: get(row, "duration_ms")?,
        error: get(row, "error")?,
        response_body: get(row, "response_body")?,
    })
}

/// One outbox event's column values, prepared before the write is queued.
struct EventRow {
    id: String,
    partner_id: String,
    session: Option<SessionId>,
    session_id: Option<String>,
    seq: Option<i64>,
    event_type: String,
    created_at: i64,
    dialect: Option<&'static str>,
    payload: String,
}

impl EventRow {
    fn new(e: &WebhookEvent) -> Self {
        EventRow {
            id: e.id.0.to_string(),
            partner_id: e.partner_id.0.to_string(),
            session: e.session_id,
            session_id: e.session_id.map(|s| s.0.to_string()),
            seq: e.seq,
            event_type: e.event_type.clone(),
            created_at: micros(e.created_at),
            dialect: e.dialect.map(|d| d.as_str()),
            payload: e.payload.to_string(),
        }
    }

    fn insert(&self, c: &Connection) -> StoreResult<()> {
        execute(
            c,
            "INSERT INTO webhook_events (id, partner_id, session_id, seq, type, created_at, dialect, payload)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                self.id,
                self.partner_id,
                self.session_id,
                self.seq,
                self.event_type,
                self.created_at,
                self.dialect,
                self.payload
            ],
        )
        .map_err(write_error("webhook event"))?;
        Ok(())
    }

    /// Queues a pending delivery of this event to `endpoint_id`.
    fn insert_delivery(&self, c: &Connection, endpoint_id: &str) -> StoreResult<DeliveryId> {
        let id = DeliveryId::new();
        execute(
            c,
            "INSERT INTO webhook_deliveries
             (id, event_id, endpoint_id, session_id, seq, status, attempts, next_attempt_at,
              created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, 'pending', 0, ?6, ?6)",
            params![
                id.0.to_string(),
                self.id,
                endpoint_id,
                self.session_id,
                self.seq,
                self.created_at
            ],
        )
        .map_err(backend)?;
        Ok(id)
    }
}

/// Webhook events to write in the same transaction as the change they report.
pub(crate) struct OutboxRows(Vec<EventRow>);

impl OutboxRows {
    pub(crate) fn new(events: &[WebhookEvent]) -> Self {
        OutboxRows(events.iter().map(EventRow::new).collect())
    }

    /// Writes a pending delivery of each event to every enabled endpoint of the partner that
    /// wants it, and the event itself if any does.
    pub(crate) fn insert(&self, c: &Connection) -> StoreResult<()> {
        let Some(first) = self.0.first() else {
            return Ok(());
        };
        // All events of one call belong to one session (or none): other verifications'
        // endpoints are not even read.
        let endpoints = query_all(
            c,
            // A partner's endpoint idgate disabled for failing holds its events (they wait,
            // unclaimed, until it is enabled again); one its partner disabled does not, nor
            // a verification's own URL (nobody can enable that one again).
            &FAN_OUT_ENDPOINTS,
            params![first.partner_id, first.session_id],
            |r| {
                // A filter that does not parse must not turn into "all events".
                let event_types: Vec<String> =
                    serde_json::from_str(&get::<String>(r, "event_types")?).map_err(corrupt)?;
                let uuid = |text: String| uuid::Uuid::parse_str(&text).map_err(corrupt);
                Ok(rules::EndpointFilter {
                    id: EndpointId(uuid(get::<String>(r, "id")?)?),
                    event_types,
                    session_id: get::<Option<String>>(r, "session_id")?
                        .map(uuid)
                        .transpose()?
                        .map(SessionId),
                })
            },
        )?;
        for e in &self.0 {
            let wanted = rules::deliveries_for(&endpoints, e.session, &e.event_type);
            if wanted.is_empty() {
                continue;
            }
            e.insert(c)?;
            for endpoint in wanted {
                e.insert_delivery(c, &endpoint.0.to_string())?;
            }
        }
        Ok(())
    }
}

impl SqliteStore {
    pub(crate) fn sealed_secrets(&self, e: &WebhookEndpoint) -> StoreResult<Vec<u8>> {
        sealed::seal(
            &self.keys,
            "webhook_endpoints",
            "secrets",
            &secrets_context(e.id),
            Some(&e.secrets),
        )?
        .ok_or_else(|| corrupt("no secrets"))
    }
}

/// An endpoint ready to insert: sealed and serialised off the writer's thread.
pub(crate) struct EndpointRow {
    endpoint: WebhookEndpoint,
    event_types: String,
    secrets: Vec<u8>,
    dialect_settings: Option<String>,
}

/// An endpoint's dialect settings as stored (JSON text).
fn settings_text(e: &WebhookEndpoint) -> StoreResult<Option<String>> {
    e.dialect_settings
        .as_ref()
        .map(serde_json::to_string)
        .transpose()
        .map_err(corrupt)
}

impl EndpointRow {
    pub(crate) fn new(store: &SqliteStore, e: &WebhookEndpoint) -> StoreResult<Self> {
        Ok(EndpointRow {
            secrets: store.sealed_secrets(e)?,
            dialect_settings: settings_text(e)?,
            event_types: serde_json::to_string(&e.event_types).map_err(corrupt)?,
            endpoint: e.clone(),
        })
    }

    pub(crate) fn insert(&self, c: &Connection) -> StoreResult<()> {
        let e = &self.endpoint;
        execute(
            c,
            "INSERT INTO webhook_endpoints
             (id, partner_id, url, event_types, enabled, include_claims, sign_ed25519,
              secrets, failing_since, disabled_reason, created_at, updated_at,
              session_id, signing_credential, dialect_settings)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
            params![
                e.id.0.to_string(),
                e.partner_id.0.to_string(),
                e.url,
                self.event_types,
                e.enabled,
                e.include_claims,
                e.sign_ed25519,
                self.secrets,
                opt_micros(e.failing_since),
                e.disabled_reason,
                micros(e.created_at),
                micros(e.updated_at),
                e.session_id.map(|s| s.0.to_string()),
                e.signing_credential.map(|c| c.0.to_string()),
                self.dialect_settings
            ],
        )
        .map_err(write_error("webhook endpoint"))?;
        Ok(())
    }
}

fn get_delivery(c: &Connection, id: &str) -> StoreResult<Option<Delivery>> {
    query_one(
        c,
        "SELECT * FROM webhook_deliveries WHERE id = ?1",
        [id],
        delivery,
    )
}

fn get_event(c: &Connection, id: &str) -> StoreResult<Option<WebhookEvent>> {
    query_one(c, "SELECT * FROM webhook_events WHERE id = ?1", [id], event)
}

fn get_endpoint(c: &Connection, keys: &KeyRing, id: &str) -> StoreResult<Option<WebhookEndpoint>> {
    query_one(
        c,
        "SELECT * FROM webhook_endpoints WHERE id = ?1",
        [id],
        |r| endpoint(r, keys),
    )
}

#[async_trait]
impl WebhookStore for SqliteStore {
    async fn insert_webhook_endpoint(&self, e: &WebhookEndpoint) -> StoreResult<()> {
        let row = EndpointRow::new(self, e)?;
        self.writer.write(move |c| row.insert(c)).await
    }

    async fn update_webhook_endpoint(&self, e: &WebhookEndpoint) -> StoreResult<()> {
        let secrets = self.sealed_secrets(e)?;
        let event_types = serde_json::to_string(&e.event_types).map_err(corrupt)?;
        let dialect_settings = settings_text(e)?;
        let e = e.clone();
        self.writer
            .write(move |c| {
                let done = execute(
                    c,
                    "UPDATE webhook_endpoints SET url = ?2, event_types = ?3, enabled = ?4,
                         include_claims = ?5, sign_ed25519 = ?6, secrets = ?7,
                         failing_since = ?8, disabled_reason = ?9, updated_at = ?10,
                         signing_credential = ?11, dialect_settings = ?12
                     WHERE id = ?1",
                    params![
                        e.id.0.to_string(),
                        e.url,
                        event_types,
                        e.enabled,
                        e.include_claims,
                        e.sign_ed25519,
                        secrets,
                        opt_micros(e.failing_since),
                        e.disabled_reason,
                        micros(e.updated_at),
                        e.signing_credential.map(|c| c.0.to_string()),
                        dialect_settings
                    ],
                )
                .map_err(backend)?;
                if done == 0 {
                    return Err(StoreError::NotFound("webhook endpoint"));
                }
                Ok(())
            })
            .await
    }

    async fn get_webhook_endpoint(&self, id: EndpointId) -> StoreResult<Option<WebhookEndpoint>> {
        self.readers
            .with(|c| get_endpoint(c, &self.keys, &id.0.to_string()))
    }

    async fn list_webhook_endpoints(
        &self,
        partner: Option<PartnerId>,
    ) -> StoreResult<Vec<WebhookEndpoint>> {
        match partner {
            // One partner's endpoints, by the partner index.
            Some(partner) => self.readers.with(|c| {
                query_all(
                    c,
                    "SELECT * FROM webhook_endpoints
                     WHERE partner_id = ?1 AND session_id IS NULL
                     ORDER BY created_at, id",
                    [partner.0.to_string()],
                    |r| endpoint(r, &self.keys),
                )
            }),
            // Every partner's: an operator's listing, read off the async threads.
            None => {
                let keys = self.keys.clone();
                self.readers
                    .off_thread(move |c| {
                        query_all(
                            c,
                            "SELECT * FROM webhook_endpoints WHERE session_id IS NULL
                             ORDER BY created_at, id",
                            [],
                            |r| endpoint(r, &keys),
                        )
                    })
                    .await
            }
        }
    }

    async fn get_webhook_event(&self, id: EventId) -> StoreResult<Option<WebhookEvent>> {
        self.readers.with(|c| get_event(c, &id.0.to_string()))
    }

    async fn insert_webhook_event_for(
        &self,
        e: &WebhookEvent,
        endpoint: EndpointId,
    ) -> StoreResult<DeliveryId> {
        let row = EventRow::new(e);
        self.writer
            .write(move |c| {
                row.insert(c)?;
                row.insert_delivery(c, &endpoint.0.to_string())
            })
            .await
    }

    async fn claim_due_deliveries(
        &self,
        now: DateTime<Utc>,
        limit: u32,
        lease_until: DateTime<Utc>,
        per_endpoint: u32,
    ) -> StoreResult<Vec<DeliveryJob>> {
        // The claim is the only write; the rows are read after it commits, so a row that
        // cannot be read fails this poll without holding back the claims of the others.
        let ids = self
            .writer
            .write(move |c| {
                // One writer: select-and-mark in one statement is atomic on SQLite.
                query_all(
                    c,
                    &format!(
                        "UPDATE webhook_deliveries SET claimed_until = ?3
                         WHERE id IN ({FAIR_DUE_DELIVERIES})
                         RETURNING id"
                    ),
                    params![
                        micros(now),
                        i64::from(limit),
                        micros(lease_until),
                        i64::from(per_endpoint)
                    ],
                    |r| get::<String>(r, "id"),
                )
            })
            .await?;
        self.readers.with(|c| {
            let mut jobs = Vec::with_capacity(ids.len());
            for id in &ids {
                let delivery =
                    get_delivery(c, id)?.ok_or(StoreError::NotFound("webhook delivery"))?;
                let event = get_event(c, &delivery.event_id.0.to_string())?
                    .ok_or(StoreError::NotFound("webhook event"))?;
                let endpoint = get_endpoint(c, &self.keys, &delivery.endpoint_id.0.to_string())?
                    .ok_or(StoreError::NotFound("webhook endpoint"))?;
                jobs.push(DeliveryJob {
                    delivery,
                    event,
                    endpoint,
                });
            }
            jobs.sort_by_key(|j| (j.delivery.next_attempt_at, j.delivery.id));
            Ok(jobs)
        })
    }

    async fn record_attempt(
        &self,
        a: &DeliveryAttempt,
        d: &Delivery,
        health: &EndpointHealth,
    ) -> StoreResult<()> {
        let (a, d, health) = (a.clone(), d.clone(), health.clone());
        self.writer
            .write(move |c| {
                execute(
                    c,
                    "INSERT INTO webhook_attempts
                     (delivery_id, attempt, at, status_code, duration_ms, error, response_body)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    params![
                        a.delivery_id.0.to_string(),
                        a.attempt,
                        micros(a.at),
                        a.status_code.map(i64::from),
                        a.duration_ms,
                        a.error,
                        a.response_body
                    ],
                )
                .map_err(write_error("webhook attempt"))?;
                execute(
                    c,
                    "UPDATE webhook_deliveries SET status = ?2, attempts = ?3,
                         next_attempt_at = ?4, claimed_until = NULL, last_attempt_at = ?5,
                         delivered_at = ?6, last_status_code = ?7, last_error = ?8
                     WHERE id = ?1",
                    params![
                        d.id.0.to_string(),
                        d.status.as_str(),
                        d.attempts,
                        micros(d.next_attempt_at),
                        opt_micros(d.last_attempt_at),
                        opt_micros(d.delivered_at),
                        d.last_status_code.map(i64::from),
                        d.last_error
                    ],
                )
                .map_err(backend)?;
                execute(
                    c,
                    "UPDATE webhook_endpoints SET failing_since = ?2,
                         enabled = CASE WHEN ?3 IS NULL THEN enabled ELSE 0 END,
                         disabled_reason = COALESCE(?3, disabled_reason)
                     WHERE id = ?1",
                    params![
                        d.endpoint_id.0.to_string(),
                        opt_micros(health.failing_since),
                        health.disabled_reason
                    ],
                )
                .map_err(backend)?;
                if d.status != DeliveryStatus::Pending {
                    execute(c, &RETIRE_ENDPOINT, [d.endpoint_id.0.to_string()]).map_err(backend)?;
                }
                Ok(())
            })
            .await
    }

    async fn list_deliveries(
        &self,
        endpoint: EndpointId,
        status: Option<DeliveryStatus>,
        limit: u32,
    ) -> StoreResult<Vec<Delivery>> {
        // A status filter reads the endpoint's deliveries until `limit` match: off the async
        // threads, as that may be many.
        self.readers
            .off_thread(move |c| {
                query_all(
                    c,
                    "SELECT * FROM webhook_deliveries
                     WHERE endpoint_id = ?1 AND (?2 IS NULL OR status = ?2)
                     ORDER BY created_at DESC, id DESC LIMIT ?3",
                    params![
                        endpoint.0.to_string(),
                        status.map(|s| s.as_str()),
                        i64::from(limit)
                    ],
                    delivery,
                )
            })
            .await
    }

    async fn get_delivery(&self, id: DeliveryId) -> StoreResult<Option<Delivery>> {
        self.readers.with(|c| get_delivery(c, &id.0.to_string()))
    }

    async fn delivery_attempts(&self, id: DeliveryId) -> StoreResult<Vec<DeliveryAttempt>> {
        self.readers.with(|c| {
            query_all(
                c,
                "SELECT * FROM webhook_attempts WHERE delivery_id = ?1 ORDER BY attempt",
                [id.0.to_string()],
                attempt,
            )
        })
    }

    async fn redeliver(
        &self,
        endpoint: EndpointId,
        which: Redeliver,
        now: DateTime<Utc>,
    ) -> StoreResult<u64> {
        let endpoint_id = endpoint.0.to_string();
        self.writer
            .write(move |c| match which {
                Redeliver::Event(event_id) => {
                    let updated = execute(
                        c,
                        "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = ?3,
                             claimed_until = NULL
                         WHERE endpoint_id = ?1 AND event_id = ?2",
                        params![endpoint_id, event_id.0.to_string(), micros(now)],
                    )
                    .map_err(backend)?;
                    if updated == 0 {
                        let mut e = get_event(c, &event_id.0.to_string())?
                            .ok_or(StoreError::NotFound("webhook event"))?;
                        e.created_at = now;
                        EventRow::new(&e).insert_delivery(c, &endpoint_id)?;
                    }
                    Ok(1)
                }
                Redeliver::DeadBetween { since, until } => {
                    let updated = execute(
                        c,
                        "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = ?4,
                             claimed_until = NULL
                         WHERE endpoint_id = ?1 AND status = 'dead'
                           AND created_at >= ?2 AND created_at < ?3",
                        params![endpoint_id, micros(since), micros(until), micros(now)],
                    )
                    .map_err(backend)?;
                    Ok(u64::try_from(updated).unwrap_or(u64::MAX))
                }
            })
            .await
    }

    async fn oldest_pending_delivery(&self) -> StoreResult<Option<DateTime<Utc>>> {
        // Scans every pending delivery: off the async threads.
        self.readers
            .off_thread(|c| {
                let oldest = query_one(
                    c,
                    "SELECT min(created_at) AS oldest FROM webhook_deliveries
                     WHERE status = 'pending'",
                    [],
                    |r| get::<Option<i64>>(r, "oldest"),
                )?;
                Ok(oldest.flatten().and_then(DateTime::from_timestamp_micros))
            })
            .await
    }
}

/// The endpoints an event of partner `?1` about session `?2` may go to (built once).
static FAN_OUT_ENDPOINTS: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT id, event_types, session_id FROM webhook_endpoints
         WHERE partner_id = ?1 AND session_id IS NULL
           AND (enabled = 1 OR disabled_reason LIKE '{AUTO_DISABLED}%')
         UNION ALL
         SELECT id, event_types, session_id FROM webhook_endpoints
         WHERE session_id = ?2 AND partner_id = ?1 AND enabled = 1"
    )
});

/// Retires endpoint `?1` once its session is final and delivered (built once).
static RETIRE_ENDPOINT: LazyLock<String> = LazyLock::new(|| rules::retire_endpoint_sql("?1", "0"));

/// The due deliveries to claim, fairly (`?1` now, `?2` how many, `?4` per endpoint): each
/// endpoint's oldest first and no more than `?4` in flight per endpoint, counting live claims
/// (counted once per endpoint, not per row); then partners in turn, each one's oldest before
/// anyone's second.
const FAIR_DUE_DELIVERIES: &str = "
    WITH inflight AS (
        SELECT endpoint_id, count(*) AS n FROM webhook_deliveries
        WHERE status = 'pending' AND claimed_until > ?1
        GROUP BY endpoint_id
    ),
    ranked AS (
        SELECT d.id, d.next_attempt_at, d.endpoint_id, e.partner_id,
               ROW_NUMBER() OVER (PARTITION BY d.endpoint_id ORDER BY d.next_attempt_at, d.id)
                   AS endpoint_turn
        FROM webhook_deliveries d
        JOIN webhook_endpoints e ON e.id = d.endpoint_id AND e.enabled = 1
        WHERE d.status = 'pending' AND d.next_attempt_at <= ?1
          AND (d.claimed_until IS NULL OR d.claimed_until <= ?1)
          AND NOT EXISTS (
              SELECT 1 FROM webhook_deliveries p
              WHERE p.endpoint_id = d.endpoint_id
                AND p.session_id = d.session_id
                AND p.status = 'pending' AND p.seq < d.seq)
    ),
    allowed AS (
        SELECT r.id, r.next_attempt_at, r.partner_id
        FROM ranked r LEFT JOIN inflight f ON f.endpoint_id = r.endpoint_id
        WHERE r.endpoint_turn <= ?4 AND r.endpoint_turn + COALESCE(f.n, 0) <= ?4
    )
    SELECT id FROM (
        SELECT id, next_attempt_at,
               ROW_NUMBER() OVER (PARTITION BY partner_id ORDER BY next_attempt_at, id)
                   AS partner_turn
        FROM allowed
    )
    ORDER BY partner_turn, next_attempt_at, id
    LIMIT ?2";
