//! Webhook endpoints, the outbox and the delivery queue on PostgreSQL.

use crate::rows::corrupt;
use crate::{PgStore, backend, write_error};
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
use sqlx::Row;
use sqlx::postgres::PgRow;
use sqlx::types::Json;
use std::sync::LazyLock;
use uuid::Uuid;

fn get<'r, T>(row: &'r PgRow, col: &str) -> StoreResult<T>
where
    T: sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>,
{
    row.try_get(col).map_err(|e| corrupt(format!("{col}: {e}")))
}

/// A column read under a prefix: the claim query returns a delivery, its event and its
/// endpoint in one row, their columns named `d_…`, `v_…` and `e_…`.
fn at<'r, T>(row: &'r PgRow, prefix: &str, col: &str) -> StoreResult<T>
where
    T: sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>,
{
    if prefix.is_empty() {
        get(row, col)
    } else {
        get(row, &format!("{prefix}{col}"))
    }
}

fn endpoint(row: &PgRow, keys: &KeyRing) -> StoreResult<WebhookEndpoint> {
    endpoint_at(row, "", keys)
}

fn endpoint_at(row: &PgRow, prefix: &str, keys: &KeyRing) -> StoreResult<WebhookEndpoint> {
    let id = EndpointId(at(row, prefix, "id")?);
    let secrets: Vec<EndpointSecret> = sealed::open(
        keys,
        "webhook_endpoints",
        "secrets",
        &id.0.to_string(),
        Some(at::<Vec<u8>>(row, prefix, "secrets")?),
    )?
    .unwrap_or_default();
    let Json(event_types): Json<Vec<String>> = at(row, prefix, "event_types")?;
    Ok(WebhookEndpoint {
        id,
        partner_id: PartnerId(at(row, prefix, "partner_id")?),
        url: at(row, prefix, "url")?,
        event_types,
        enabled: at(row, prefix, "enabled")?,
        include_claims: at(row, prefix, "include_claims")?,
        sign_ed25519: at(row, prefix, "sign_ed25519")?,
        secrets,
        failing_since: at(row, prefix, "failing_since")?,
        disabled_reason: at(row, prefix, "disabled_reason")?,
        session_id: at::<Option<Uuid>>(row, prefix, "session_id")?.map(SessionId),
        signing_credential: at::<Option<Uuid>>(row, prefix, "signing_credential")?
            .map(CredentialId),
        dialect_settings: at::<Option<Json<serde_json::Map<String, serde_json::Value>>>>(
            row,
            prefix,
            "dialect_settings",
        )?
        .map(|Json(settings)| settings),
        created_at: at(row, prefix, "created_at")?,
        updated_at: at(row, prefix, "updated_at")?,
    })
}

fn event(row: &PgRow) -> StoreResult<WebhookEvent> {
    event_at(row, "")
}

fn event_at(row: &PgRow, prefix: &str) -> StoreResult<WebhookEvent> {
    let Json(payload): Json<serde_json::Value> = at(row, prefix, "payload")?;
    Ok(WebhookEvent {
        id: EventId(at(row, prefix, "id")?),
        partner_id: PartnerId(at(row, prefix, "partner_id")?),
        session_id: at::<Option<Uuid>>(row, prefix, "session_id")?.map(SessionId),
        seq: at(row, prefix, "seq")?,
        event_type: at(row, prefix, "type")?,
        created_at: at(row, prefix, "created_at")?,
        dialect: at::<Option<String>>(row, prefix, "dialect")?
            .map(|d| d.parse())
            .transpose()
            .map_err(corrupt)?,
        payload,
    })
}

fn delivery(row: &PgRow) -> StoreResult<Delivery> {
    delivery_at(row, "")
}

fn delivery_at(row: &PgRow, prefix: &str) -> StoreResult<Delivery> {
    let status: String = at(row, prefix, "status")?;
    Ok(Delivery {
        id: DeliveryId(at(row, prefix, "id")?),
        event_id: EventId(at(row, prefix, "event_id")?),
        endpoint_id: EndpointId(at(row, prefix, "endpoint_id")?),
        session_id: at::<Option<Uuid>>(row, prefix, "session_id")?.map(SessionId),
        seq: at(row, prefix, "seq")?,
        status: status.parse().map_err(corrupt)?,
        attempts: at(row, prefix, "attempts")?,
        next_attempt_at: at(row, prefix, "next_attempt_at")?,
        created_at: at(row, prefix, "created_at")?,
        last_attempt_at: at(row, prefix, "last_attempt_at")?,
        delivered_at: at(row, prefix, "delivered_at")?,
        last_status_code: at::<Option<i32>>(row, prefix, "last_status_code")?
            .and_then(|c| u16::try_from(c).ok()),
        last_error: at(row, prefix, "last_error")?,
    })
}

fn attempt(row: &PgRow) -> StoreResult<DeliveryAttempt> {
    Ok(DeliveryAttempt {
        delivery_id: DeliveryId(get(row, "delivery_id")?),
        attempt: get(row, "attempt")?,
        at: get(row, "at")?,
        status_code: get::<Option<i32>>(row, "status_code")?.and_then(|c| u16::try_from(c).ok()),
        duration_ms: get(row, "duration_ms")?,
        error: get(row, "error")?,
        response_body: get(row, "response_body")?,
    })
}

/// The endpoints an event of partner `$1` about session `$2` may go to (built once).
static FAN_OUT_ENDPOINTS: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT id, event_types, session_id FROM webhook_endpoints
         WHERE partner_id = $1 AND session_id IS NULL
           AND (enabled OR disabled_reason LIKE '{AUTO_DISABLED}%')
         UNION ALL
         SELECT id, event_types, session_id FROM webhook_endpoints
         WHERE session_id = $2 AND partner_id = $1 AND enabled"
    )
});

/// Retires endpoint `$1` once its session is final and delivered (built once).
static RETIRE_ENDPOINT: LazyLock<String> =
    LazyLock::new(|| rules::retire_endpoint_sql("$1", "false"));

/// Writes `events` and a pending delivery of each to every enabled endpoint of the partner that
/// wants it, inside the caller's transaction.
pub(crate) async fn insert_outbox(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    events: &[WebhookEvent],
) -> Result<(), sqlx::Error> {
    let Some(first) = events.first() else {
        return Ok(());
    };
    // All events of one call belong to one session (or none): other verifications' endpoints
    // are not even read (each side of the union has its own index).
    // A partner's endpoint idgate disabled for failing holds its events (they wait, unclaimed,
    // until it is enabled again); one its partner disabled does not, nor a verification's own
    // URL (nobody can enable that one again).
    let endpoints: Vec<rules::EndpointFilter> =
        sqlx::query_as(sqlx::AssertSqlSafe(FAN_OUT_ENDPOINTS.as_str()))
            .bind(first.partner_id.0)
            .bind(first.session_id.map(|s| s.0))
            .fetch_all(&mut **tx)
            .await?
            .into_iter()
            .map(
                |(id, Json(event_types), session): (Uuid, Json<Vec<String>>, Option<Uuid>)| {
                    rules::EndpointFilter {
                        id: EndpointId(id),
                        event_types,
                        session_id: session.map(SessionId),
                    }
                },
            )
            .collect();
    for e in events {
        let wanted = rules::deliveries_for(&endpoints, e.session_id, &e.event_type);
        if wanted.is_empty() {
            continue;
        }
        insert_event(tx, e).await?;
        for endpoint in wanted {
            insert_delivery(tx, e, endpoint.0).await?;
        }
    }
    Ok(())
}

async fn insert_event(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    e: &WebhookEvent,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO webhook_events (id, partner_id, session_id, seq, type, created_at, dialect, payload)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(e.id.0)
    .bind(e.partner_id.0)
    .bind(e.session_id.map(|s| s.0))
    .bind(e.seq)
    .bind(&e.event_type)
    .bind(e.created_at)
    .bind(e.dialect.map(|d| d.as_str()))
    .bind(Json(&e.payload))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn insert_delivery(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    e: &WebhookEvent,
    endpoint_id: Uuid,
) -> Result<DeliveryId, sqlx::Error> {
    let id = DeliveryId::new();
    sqlx::query(
        "INSERT INTO webhook_deliveries
         (id, event_id, endpoint_id, session_id, seq, status, attempts, next_attempt_at, created_at)
         VALUES ($1, $2, $3, $4, $5, 'pending', 0, $6, $6)",
    )
    .bind(id.0)
    .bind(e.id.0)
    .bind(endpoint_id)
    .bind(e.session_id.map(|s| s.0))
    .bind(e.seq)
    .bind(e.created_at)
    .execute(&mut **tx)
    .await?;
    Ok(id)
}

impl PgStore {
    pub(crate) fn sealed_secrets(&self, e: &WebhookEndpoint) -> StoreResult<Vec<u8>> {
        sealed::seal(
            &self.keys,
            "webhook_endpoints",
            "secrets",
            &e.id.0.to_string(),
            Some(&e.secrets),
        )?
        .ok_or_else(|| corrupt("no secrets"))
    }
}

/// Inserts an endpoint whose secrets are already sealed, on `c` (a transaction or not).
pub(crate) async fn insert_endpoint(
    c: &mut sqlx::PgConnection,
    e: &WebhookEndpoint,
    secrets: &[u8],
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO webhook_endpoints
         (id, partner_id, url, event_types, enabled, include_claims, sign_ed25519,
          secrets, failing_since, disabled_reason, created_at, updated_at, session_id,
          signing_credential, dialect_settings)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
    )
    .bind(e.id.0)
    .bind(e.partner_id.0)
    .bind(&e.url)
    .bind(Json(&e.event_types))
    .bind(e.enabled)
    .bind(e.include_claims)
    .bind(e.sign_ed25519)
    .bind(secrets)
    .bind(e.failing_since)
    .bind(&e.disabled_reason)
    .bind(e.created_at)
    .bind(e.updated_at)
    .bind(e.session_id.map(|s| s.0))
    .bind(e.signing_credential.map(|c| c.0))
    .bind(e.dialect_settings.as_ref().map(Json))
    .execute(c)
    .await?;
    Ok(())
}

#[async_trait]
impl WebhookStore for PgStore {
    async fn insert_webhook_endpoint(&self, e: &WebhookEndpoint) -> StoreResult<()> {
        let secrets = self.sealed_secrets(e)?;
        self.write(|| async {
            let mut c = self.pool.acquire().await?;
            insert_endpoint(&mut c, e, &secrets).await
        })
        .await
        .map_err(write_error)?;
        Ok(())
    }

    async fn update_webhook_endpoint(&self, e: &WebhookEndpoint) -> StoreResult<()> {
        let secrets = self.sealed_secrets(e)?;
        let done = self
            .write(|| {
                sqlx::query(
                    "UPDATE webhook_endpoints SET url = $2, event_types = $3, enabled = $4,
                         include_claims = $5, sign_ed25519 = $6, secrets = $7,
                         failing_since = $8, disabled_reason = $9, updated_at = $10,
                         signing_credential = $11, dialect_settings = $12
                     WHERE id = $1",
                )
                .bind(e.id.0)
                .bind(&e.url)
                .bind(Json(&e.event_types))
                .bind(e.enabled)
                .bind(e.include_claims)
                .bind(e.sign_ed25519)
                .bind(&secrets)
                .bind(e.failing_since)
                .bind(&e.disabled_reason)
                .bind(e.updated_at)
                .bind(e.signing_credential.map(|c| c.0))
                .bind(e.dialect_settings.as_ref().map(Json))
                .execute(&self.pool)
            })
            .await
            .map_err(backend)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("webhook endpoint"));
        }
        Ok(())
    }

    async fn get_webhook_endpoint(&self, id: EndpointId) -> StoreResult<Option<WebhookEndpoint>> {
        sqlx::query("SELECT * FROM webhook_endpoints WHERE id = $1")
            .bind(id.0)
            .fetch_optional(&self.pool)
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
             WHERE ($1::uuid IS NULL OR partner_id = $1) AND session_id IS NULL
             ORDER BY created_at, id",
        )
        .bind(partner.map(|p| p.0))
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?
        .iter()
        .map(|r| endpoint(r, &self.keys))
        .collect()
    }

    async fn get_webhook_event(&self, id: EventId) -> StoreResult<Option<WebhookEvent>> {
        sqlx::query("SELECT * FROM webhook_events WHERE id = $1")
            .bind(id.0)
            .fetch_optional(&self.pool)
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
        self.write(|| async {
            let mut tx = self.pool.begin().await?;
            insert_event(&mut tx, e).await?;
            let id = insert_delivery(&mut tx, e, endpoint.0).await?;
            tx.commit().await?;
            Ok(id)
        })
        .await
        .map_err(write_error)
    }

    async fn claim_due_deliveries(
        &self,
        now: DateTime<Utc>,
        limit: u32,
        lease_until: DateTime<Utc>,
        per_endpoint: u32,
    ) -> StoreResult<Vec<DeliveryJob>> {
        // SKIP LOCKED: concurrent workers on several nodes take disjoint deliveries. One
        // statement claims them and returns each with its event and endpoint.
        let rows = self
            .write(|| {
                sqlx::query(concat!(
                    // The fair choice is made on a snapshot (window functions cannot lock);
                    // the rows are then locked SKIP LOCKED with the claim conditions checked
                    // again, so a row another node took meanwhile is left to it.
                    "WITH inflight AS (
                         SELECT endpoint_id, count(*) AS n FROM webhook_deliveries
                         WHERE status = 'pending' AND claimed_until > $1
                         GROUP BY endpoint_id),
                     ranked AS (
                         SELECT d.id, d.next_attempt_at, d.endpoint_id, e.partner_id,
                                ROW_NUMBER() OVER (PARTITION BY d.endpoint_id
                                                   ORDER BY d.next_attempt_at, d.id)
                                    AS endpoint_turn
                         FROM webhook_deliveries d
                         JOIN webhook_endpoints e ON e.id = d.endpoint_id AND e.enabled
                         WHERE d.status = 'pending' AND d.next_attempt_at <= $1
                           AND (d.claimed_until IS NULL OR d.claimed_until <= $1)
                           AND NOT EXISTS (
                               SELECT 1 FROM webhook_deliveries p
                               WHERE p.endpoint_id = d.endpoint_id
                                 AND p.session_id = d.session_id
                                 AND p.status = 'pending' AND p.seq < d.seq)),
                     allowed AS (
                         SELECT r.id, r.next_attempt_at, r.partner_id
                         FROM ranked r LEFT JOIN inflight f ON f.endpoint_id = r.endpoint_id
                         WHERE r.endpoint_turn <= $4
                           AND r.endpoint_turn + COALESCE(f.n, 0) <= $4),
                     due AS (
                         SELECT id FROM (
                             SELECT id, next_attempt_at,
                                    ROW_NUMBER() OVER (PARTITION BY partner_id
                                                       ORDER BY next_attempt_at, id)
                                        AS partner_turn
                             FROM allowed) fair
                         ORDER BY partner_turn, next_attempt_at, id
                         LIMIT $2),
                     claimed AS (
                         UPDATE webhook_deliveries SET claimed_until = $3
                         WHERE id IN (
                             SELECT d.id FROM webhook_deliveries d
                             WHERE d.id IN (SELECT id FROM due) AND d.status = 'pending'
                               AND (d.claimed_until IS NULL OR d.claimed_until <= $1)
                             FOR UPDATE OF d SKIP LOCKED)
                         RETURNING *)
                     SELECT ",
                    "d.id AS d_id, d.event_id AS d_event_id, d.endpoint_id AS d_endpoint_id, ",
                    "d.session_id AS d_session_id, d.seq AS d_seq, d.status AS d_status, ",
                    "d.attempts AS d_attempts, d.next_attempt_at AS d_next_attempt_at, ",
                    "d.created_at AS d_created_at, d.last_attempt_at AS d_last_attempt_at, ",
                    "d.delivered_at AS d_delivered_at, d.last_status_code AS d_last_status_code, ",
                    "d.last_error AS d_last_error, ",
                    "v.id AS v_id, v.partner_id AS v_partner_id, v.session_id AS v_session_id, ",
                    "v.seq AS v_seq, v.type AS v_type, v.created_at AS v_created_at, ",
                    "v.dialect AS v_dialect, v.payload AS v_payload, ",
                    "e.id AS e_id, e.partner_id AS e_partner_id, e.url AS e_url, ",
                    "e.event_types AS e_event_types, e.enabled AS e_enabled, ",
                    "e.include_claims AS e_include_claims, e.sign_ed25519 AS e_sign_ed25519, ",
                    "e.secrets AS e_secrets, e.failing_since AS e_failing_since, ",
                    "e.disabled_reason AS e_disabled_reason, e.session_id AS e_session_id, ",
                    "e.signing_credential AS e_signing_credential, ",
                    "e.dialect_settings AS e_dialect_settings, ",
                    "e.created_at AS e_created_at, e.updated_at AS e_updated_at
                     FROM claimed d
                     JOIN webhook_events v ON v.id = d.event_id
                     JOIN webhook_endpoints e ON e.id = d.endpoint_id
                     ORDER BY d.next_attempt_at, d.id",
                ))
                .bind(now)
                .bind(i64::from(limit))
                .bind(lease_until)
                .bind(i64::from(per_endpoint))
                .fetch_all(&self.pool)
            })
            .await
            .map_err(backend)?;
        rows.iter()
            .map(|row| {
                Ok(DeliveryJob {
                    delivery: delivery_at(row, "d_")?,
                    event: event_at(row, "v_")?,
                    endpoint: endpoint_at(row, "e_", &self.keys)?,
                })
            })
            .collect()
    }

    async fn record_attempt(
        &self,
        a: &DeliveryAttempt,
        d: &Delivery,
        health: &EndpointHealth,
    ) -> StoreResult<()> {
        self.write(|| async {
            let mut tx = self.pool.begin().await?;
            sqlx::query(
                "INSERT INTO webhook_attempts
                 (delivery_id, attempt, at, status_code, duration_ms, error, response_body)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(a.delivery_id.0)
            .bind(a.attempt)
            .bind(a.at)
            .bind(a.status_code.map(i32::from))
            .bind(a.duration_ms)
            .bind(&a.error)
            .bind(&a.response_body)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "UPDATE webhook_deliveries SET status = $2, attempts = $3, next_attempt_at = $4,
                     claimed_until = NULL, last_attempt_at = $5, delivered_at = $6,
                     last_status_code = $7, last_error = $8
                 WHERE id = $1",
            )
            .bind(d.id.0)
            .bind(d.status.as_str())
            .bind(d.attempts)
            .bind(d.next_attempt_at)
            .bind(d.last_attempt_at)
            .bind(d.delivered_at)
            .bind(d.last_status_code.map(i32::from))
            .bind(&d.last_error)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "UPDATE webhook_endpoints SET failing_since = $2,
                     enabled = CASE WHEN $3::text IS NULL THEN enabled ELSE false END,
                     disabled_reason = COALESCE($3, disabled_reason)
                 WHERE id = $1",
            )
            .bind(d.endpoint_id.0)
            .bind(health.failing_since)
            .bind(&health.disabled_reason)
            .execute(&mut *tx)
            .await?;
            if d.status != DeliveryStatus::Pending {
                sqlx::query(sqlx::AssertSqlSafe(RETIRE_ENDPOINT.as_str()))
                    .bind(d.endpoint_id.0)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await
        })
        .await
        .map_err(write_error)
    }

    async fn list_deliveries(
        &self,
        endpoint: EndpointId,
        status: Option<DeliveryStatus>,
        limit: u32,
    ) -> StoreResult<Vec<Delivery>> {
        sqlx::query(
            "SELECT * FROM webhook_deliveries
             WHERE endpoint_id = $1 AND ($2::text IS NULL OR status = $2)
             ORDER BY created_at DESC, id DESC LIMIT $3",
        )
        .bind(endpoint.0)
        .bind(status.map(|s| s.as_str()))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?
        .iter()
        .map(delivery)
        .collect()
    }

    async fn get_delivery(&self, id: DeliveryId) -> StoreResult<Option<Delivery>> {
        sqlx::query("SELECT * FROM webhook_deliveries WHERE id = $1")
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?
            .map(|r| delivery(&r))
            .transpose()
    }

    async fn delivery_attempts(&self, id: DeliveryId) -> StoreResult<Vec<DeliveryAttempt>> {
        sqlx::query("SELECT * FROM webhook_attempts WHERE delivery_id = $1 ORDER BY attempt")
            .bind(id.0)
            .fetch_all(&self.pool)
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
        match which {
            Redeliver::Event(event_id) => {
                let mut tx = self.pool.begin().await.map_err(backend)?;
                let updated = sqlx::query(
                    "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = $3,
                         claimed_until = NULL
                     WHERE endpoint_id = $1 AND event_id = $2",
                )
                .bind(endpoint.0)
                .bind(event_id.0)
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
                if updated.rows_affected() == 0 {
                    let row = sqlx::query("SELECT * FROM webhook_events WHERE id = $1")
                        .bind(event_id.0)
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(backend)?
                        .ok_or(StoreError::NotFound("webhook event"))?;
                    let mut e = event(&row)?;
                    e.created_at = now;
                    insert_delivery(&mut tx, &e, endpoint.0)
                        .await
                        .map_err(backend)?;
                }
                tx.commit().await.map_err(backend)?;
                Ok(1)
            }
            Redeliver::DeadBetween { since, until } => {
                let updated = self
                    .write(|| {
                        sqlx::query(
                            "UPDATE webhook_deliveries SET status = 'pending',
                                 next_attempt_at = $4, claimed_until = NULL
                             WHERE endpoint_id = $1 AND status = 'dead'
                               AND created_at >= $2 AND created_at < $3",
                        )
                        .bind(endpoint.0)
                        .bind(since)
                        .bind(until)
                        .bind(now)
                        .execute(&self.pool)
                    })
                    .await
                    .map_err(backend)?;
                Ok(updated.rows_affected())
            }
        }
    }

    async fn oldest_pending_delivery(&self) -> StoreResult<Option<DateTime<Utc>>> {
        let row: (Option<DateTime<Utc>>,) = sqlx::query_as(
            "SELECT min(created_at) FROM webhook_deliveries WHERE status = 'pending'",
        )
        .fetch_one(&self.pool)
        .await
        .map_err(backend)?;
        Ok(row.0)
    }
}
