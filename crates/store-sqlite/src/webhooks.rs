//! Webhook endpoints, the outbox and the delivery queue on SQLite.

use crate::rows::{micros, opt_micros};
use crate::{SqliteStore, backend, write_error};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use idgate_core::{
    Delivery, DeliveryAttempt, DeliveryId, DeliveryStatus, EndpointId, EndpointSecret, EventId,
    PartnerId, SessionId, WebhookEndpoint, WebhookEvent,
};
use idgate_store::{
    DeliveryJob, EndpointHealth, KeyRing, Redeliver, StoreError, StoreResult, WebhookStore, sealed,
};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;
use uuid::Uuid;

fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(what.to_string())
}

fn get<'r, T>(row: &'r SqliteRow, col: &str) -> StoreResult<T>
where
    T: sqlx::Decode<'r, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite>,
{
    row.try_get(col).map_err(|e| corrupt(format!("{col}: {e}")))
}

fn uuid_col(row: &SqliteRow, col: &str) -> StoreResult<Uuid> {
    Uuid::parse_str(&get::<String>(row, col)?).map_err(corrupt)
}

fn opt_uuid_col(row: &SqliteRow, col: &str) -> StoreResult<Option<Uuid>> {
    get::<Option<String>>(row, col)?
        .map(|s| Uuid::parse_str(&s).map_err(corrupt))
        .transpose()
}

fn at(row: &SqliteRow, col: &str) -> StoreResult<DateTime<Utc>> {
    DateTime::from_timestamp_micros(get(row, col)?).ok_or_else(|| corrupt(col))
}

fn opt_at(row: &SqliteRow, col: &str) -> StoreResult<Option<DateTime<Utc>>> {
    get::<Option<i64>>(row, col)?
        .map(|v| DateTime::from_timestamp_micros(v).ok_or_else(|| corrupt(col)))
        .transpose()
}

fn secrets_context(id: EndpointId) -> String {
    id.0.to_string()
}

fn endpoint(row: &SqliteRow, keys: &KeyRing) -> StoreResult<WebhookEndpoint> {
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
        created_at: at(row, "created_at")?,
        updated_at: at(row, "updated_at")?,
    })
}

fn event(row: &SqliteRow) -> StoreResult<WebhookEvent> {
    Ok(WebhookEvent {
        id: EventId(uuid_col(row, "id")?),
        partner_id: PartnerId(uuid_col(row, "partner_id")?),
        session_id: opt_uuid_col(row, "session_id")?.map(SessionId),
        seq: get(row, "seq")?,
        event_type: get(row, "type")?,
        created_at: at(row, "created_at")?,
        payload: serde_json::from_str(&get::<String>(row, "payload")?).map_err(corrupt)?,
    })
}

fn delivery(row: &SqliteRow) -> StoreResult<Delivery> {
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

fn attempt(row: &SqliteRow) -> StoreResult<DeliveryAttempt> {
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

/// Writes `events` and a pending delivery of each to every enabled endpoint of the partner that
/// wants it, inside the caller's transaction.
pub(crate) async fn insert_outbox(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    events: &[WebhookEvent],
) -> Result<(), sqlx::Error> {
    let Some(first) = events.first() else {
        return Ok(());
    };
    let rows = sqlx::query(
        "SELECT id, event_types, session_id FROM webhook_endpoints
         WHERE partner_id = ?1 AND enabled = 1",
    )
    .bind(first.partner_id.0.to_string())
    .fetch_all(&mut **tx)
    .await?;
    let mut endpoints = Vec::new();
    for row in rows {
        let id: String = row.try_get("id")?;
        let types: String = row.try_get("event_types")?;
        let scope: Option<String> = row.try_get("session_id")?;
        // A filter that does not parse must not turn into "all events".
        let types: Vec<String> =
            serde_json::from_str(&types).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
        endpoints.push((id, types, scope));
    }
    for e in events {
        insert_event(tx, e).await?;
        let session = e.session_id.map(|s| s.0.to_string());
        for (endpoint_id, types, scope) in &endpoints {
            // A per-verification endpoint hears only its own verification.
            if scope.is_some() && *scope != session {
                continue;
            }
            if types.is_empty() || types.contains(&e.event_type) {
                insert_delivery(tx, e, endpoint_id).await?;
            }
        }
    }
    Ok(())
}

async fn insert_event(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    e: &WebhookEvent,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO webhook_events (id, partner_id, session_id, seq, type, created_at, payload)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )
    .bind(e.id.0.to_string())
    .bind(e.partner_id.0.to_string())
    .bind(e.session_id.map(|s| s.0.to_string()))
    .bind(e.seq)
    .bind(&e.event_type)
    .bind(micros(e.created_at))
    .bind(e.payload.to_string())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn insert_delivery(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    e: &WebhookEvent,
    endpoint_id: &str,
) -> Result<DeliveryId, sqlx::Error> {
    let id = DeliveryId::new();
    sqlx::query(
        "INSERT INTO webhook_deliveries
         (id, event_id, endpoint_id, session_id, seq, status, attempts, next_attempt_at, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, 'pending', 0, ?6, ?6)",
    )
    .bind(id.0.to_string())
    .bind(e.id.0.to_string())
    .bind(endpoint_id)
    .bind(e.session_id.map(|s| s.0.to_string()))
    .bind(e.seq)
    .bind(micros(e.created_at))
    .execute(&mut **tx)
    .await?;
    Ok(id)
}

impl SqliteStore {
    fn sealed_secrets(&self, e: &WebhookEndpoint) -> StoreResult<Vec<u8>> {
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

#[async_trait]
impl WebhookStore for SqliteStore {
    async fn insert_webhook_endpoint(&self, e: &WebhookEndpoint) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO webhook_endpoints
             (id, partner_id, url, event_types, enabled, include_claims, sign_ed25519, secrets,
              failing_since, disabled_reason, created_at, updated_at, session_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        )
        .bind(e.id.0.to_string())
        .bind(e.partner_id.0.to_string())
        .bind(&e.url)
        .bind(serde_json::to_string(&e.event_types).map_err(corrupt)?)
        .bind(e.enabled)
        .bind(e.include_claims)
        .bind(e.sign_ed25519)
        .bind(self.sealed_secrets(e)?)
        .bind(opt_micros(e.failing_since))
        .bind(&e.disabled_reason)
        .bind(micros(e.created_at))
        .bind(micros(e.updated_at))
        .bind(e.session_id.map(|s| s.0.to_string()))
        .execute(&self.writer)
        .await
        .map_err(write_error("webhook endpoint"))?;
        Ok(())
    }

    async fn update_webhook_endpoint(&self, e: &WebhookEndpoint) -> StoreResult<()> {
        let done = sqlx::query(
            "UPDATE webhook_endpoints SET url = ?2, event_types = ?3, enabled = ?4,
                 include_claims = ?5, sign_ed25519 = ?6, secrets = ?7, failing_since = ?8,
                 disabled_reason = ?9, updated_at = ?10
             WHERE id = ?1",
        )
        .bind(e.id.0.to_string())
        .bind(&e.url)
        .bind(serde_json::to_string(&e.event_types).map_err(corrupt)?)
        .bind(e.enabled)
        .bind(e.include_claims)
        .bind(e.sign_ed25519)
        .bind(self.sealed_secrets(e)?)
        .bind(opt_micros(e.failing_since))
        .bind(&e.disabled_reason)
        .bind(micros(e.updated_at))
        .execute(&self.writer)
        .await
        .map_err(backend)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("webhook endpoint"));
        }
        Ok(())
    }

    async fn get_webhook_endpoint(&self, id: EndpointId) -> StoreResult<Option<WebhookEndpoint>> {
        sqlx::query("SELECT * FROM webhook_endpoints WHERE id = ?1")
            .bind(id.0.to_string())
            .fetch_optional(&self.reader)
            .await
            .map_err(backend)?
            .map(|r| endpoint(&r, &self.keys))
            .transpose()
    }

    async fn list_webhook_endpoints(
        &self,
        partner: Option<PartnerId>,
    ) -> StoreResult<Vec<WebhookEndpoint>> {
        sqlx::query(
            "SELECT * FROM webhook_endpoints
             WHERE (?1 IS NULL OR partner_id = ?1) AND session_id IS NULL
             ORDER BY created_at, id",
        )
        .bind(partner.map(|p| p.0.to_string()))
        .fetch_all(&self.reader)
        .await
        .map_err(backend)?
        .iter()
        .map(|r| endpoint(r, &self.keys))
        .collect()
    }

    async fn get_webhook_event(&self, id: EventId) -> StoreResult<Option<WebhookEvent>> {
        sqlx::query("SELECT * FROM webhook_events WHERE id = ?1")
            .bind(id.0.to_string())
            .fetch_optional(&self.reader)
            .await
            .map_err(backend)?
            .map(|r| event(&r))
            .transpose()
    }

    async fn insert_webhook_event_for(
        &self,
        e: &WebhookEvent,
        endpoint: EndpointId,
    ) -> StoreResult<DeliveryId> {
        let mut tx = self.writer.begin().await.map_err(backend)?;
        insert_event(&mut tx, e).await.map_err(backend)?;
        let id = insert_delivery(&mut tx, e, &endpoint.0.to_string())
            .await
            .map_err(backend)?;
        tx.commit().await.map_err(backend)?;
        Ok(id)
    }

    async fn claim_due_deliveries(
        &self,
        now: DateTime<Utc>,
        limit: u32,
        lease_until: DateTime<Utc>,
    ) -> StoreResult<Vec<DeliveryJob>> {
        // One writer at a time: select-and-mark in one statement is atomic on SQLite.
        let ids: Vec<(String,)> = sqlx::query_as(
            "UPDATE webhook_deliveries SET claimed_until = ?3
             WHERE id IN (
                 SELECT d.id FROM webhook_deliveries d
                 JOIN webhook_endpoints e ON e.id = d.endpoint_id AND e.enabled = 1
                 WHERE d.status = 'pending' AND d.next_attempt_at <= ?1
                   AND (d.claimed_until IS NULL OR d.claimed_until <= ?1)
                   AND NOT EXISTS (
                       SELECT 1 FROM webhook_deliveries p
                       WHERE p.endpoint_id = d.endpoint_id AND p.session_id = d.session_id
                         AND p.status = 'pending' AND p.seq < d.seq)
                 ORDER BY d.next_attempt_at, d.id
                 LIMIT ?2)
             RETURNING id",
        )
        .bind(micros(now))
        .bind(i64::from(limit))
        .bind(micros(lease_until))
        .fetch_all(&self.writer)
        .await
        .map_err(backend)?;
        let mut jobs = Vec::with_capacity(ids.len());
        for (id,) in ids {
            let delivery = self
                .get_delivery(DeliveryId(Uuid::parse_str(&id).map_err(corrupt)?))
                .await?
                .ok_or(StoreError::NotFound("webhook delivery"))?;
            let event = self
                .get_webhook_event(delivery.event_id)
                .await?
                .ok_or(StoreError::NotFound("webhook event"))?;
            let endpoint = self
                .get_webhook_endpoint(delivery.endpoint_id)
                .await?
                .ok_or(StoreError::NotFound("webhook endpoint"))?;
            jobs.push(DeliveryJob {
                delivery,
                event,
                endpoint,
            });
        }
        jobs.sort_by_key(|j| (j.delivery.next_attempt_at, j.delivery.id));
        Ok(jobs)
    }

    async fn record_attempt(
        &self,
        a: &DeliveryAttempt,
        d: &Delivery,
        health: &EndpointHealth,
    ) -> StoreResult<()> {
        let mut tx = self.writer.begin().await.map_err(backend)?;
        sqlx::query(
            "INSERT INTO webhook_attempts
             (delivery_id, attempt, at, status_code, duration_ms, error, response_body)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )
        .bind(a.delivery_id.0.to_string())
        .bind(a.attempt)
        .bind(micros(a.at))
        .bind(a.status_code.map(i64::from))
        .bind(a.duration_ms)
        .bind(&a.error)
        .bind(&a.response_body)
        .execute(&mut *tx)
        .await
        .map_err(write_error("webhook attempt"))?;
        sqlx::query(
            "UPDATE webhook_deliveries SET status = ?2, attempts = ?3, next_attempt_at = ?4,
                 claimed_until = NULL, last_attempt_at = ?5, delivered_at = ?6,
                 last_status_code = ?7, last_error = ?8
             WHERE id = ?1",
        )
        .bind(d.id.0.to_string())
        .bind(d.status.as_str())
        .bind(d.attempts)
        .bind(micros(d.next_attempt_at))
        .bind(opt_micros(d.last_attempt_at))
        .bind(opt_micros(d.delivered_at))
        .bind(d.last_status_code.map(i64::from))
        .bind(&d.last_error)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        sqlx::query(
            "UPDATE webhook_endpoints SET failing_since = ?2,
                 enabled = CASE WHEN ?3 IS NULL THEN enabled ELSE 0 END,
                 disabled_reason = COALESCE(?3, disabled_reason)
             WHERE id = ?1",
        )
        .bind(d.endpoint_id.0.to_string())
        .bind(opt_micros(health.failing_since))
        .bind(&health.disabled_reason)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        tx.commit().await.map_err(backend)
    }

    async fn list_deliveries(
        &self,
        endpoint: EndpointId,
        status: Option<DeliveryStatus>,
        limit: u32,
    ) -> StoreResult<Vec<Delivery>> {
        sqlx::query(
            "SELECT * FROM webhook_deliveries
             WHERE endpoint_id = ?1 AND (?2 IS NULL OR status = ?2)
             ORDER BY created_at DESC, id DESC LIMIT ?3",
        )
        .bind(endpoint.0.to_string())
        .bind(status.map(|s| s.as_str()))
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await
        .map_err(backend)?
        .iter()
        .map(delivery)
        .collect()
    }

    async fn get_delivery(&self, id: DeliveryId) -> StoreResult<Option<Delivery>> {
        sqlx::query("SELECT * FROM webhook_deliveries WHERE id = ?1")
            .bind(id.0.to_string())
            .fetch_optional(&self.reader)
            .await
            .map_err(backend)?
            .map(|r| delivery(&r))
            .transpose()
    }

    async fn delivery_attempts(&self, id: DeliveryId) -> StoreResult<Vec<DeliveryAttempt>> {
        sqlx::query("SELECT * FROM webhook_attempts WHERE delivery_id = ?1 ORDER BY attempt")
            .bind(id.0.to_string())
            .fetch_all(&self.reader)
            .await
            .map_err(backend)?
            .iter()
            .map(attempt)
            .collect()
    }

    async fn redeliver(
        &self,
        endpoint: EndpointId,
        which: Redeliver,
        now: DateTime<Utc>,
    ) -> StoreResult<u64> {
        let endpoint_id = endpoint.0.to_string();
        match which {
            Redeliver::Event(event_id) => {
                let mut tx = self.writer.begin().await.map_err(backend)?;
                let updated = sqlx::query(
                    "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = ?3,
                         claimed_until = NULL
                     WHERE endpoint_id = ?1 AND event_id = ?2",
                )
                .bind(&endpoint_id)
                .bind(event_id.0.to_string())
                .bind(micros(now))
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
                if updated.rows_affected() == 0 {
                    let row = sqlx::query("SELECT * FROM webhook_events WHERE id = ?1")
                        .bind(event_id.0.to_string())
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(backend)?
                        .ok_or(StoreError::NotFound("webhook event"))?;
                    let mut e = event(&row)?;
                    e.created_at = now;
                    insert_delivery(&mut tx, &e, &endpoint_id)
                        .await
                        .map_err(backend)?;
                }
                tx.commit().await.map_err(backend)?;
                Ok(1)
            }
            Redeliver::DeadBetween { since, until } => {
                let updated = sqlx::query(
                    "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = ?4,
                         claimed_until = NULL
                     WHERE endpoint_id = ?1 AND status = 'dead'
                       AND created_at >= ?2 AND created_at < ?3",
                )
                .bind(&endpoint_id)
                .bind(micros(since))
                .bind(micros(until))
                .bind(micros(now))
                .execute(&self.writer)
                .await
                .map_err(backend)?;
                Ok(updated.rows_affected())
            }
        }
    }

    async fn oldest_pending_delivery(&self) -> StoreResult<Option<DateTime<Utc>>> {
        let row: (Option<i64>,) = sqlx::query_as(
            "SELECT min(created_at) FROM webhook_deliveries WHERE status = 'pending'",
        )
        .fetch_one(&self.reader)
        .await
        .map_err(backend)?;
        Ok(row.0.and_then(DateTime::from_timestamp_micros))
    }
}
