//! The webhook delivery job: every node claims due deliveries (leases; `SKIP LOCKED` on
//! PostgreSQL), signs them in the Standard Webhooks format, posts them through the hardened
//! outbound client, and records each attempt with the delivery's next state in one
//! transaction. New events wake the job at once; it also polls, so the wake-up is only a hint.

use crate::service::Hub;
use aws_lc_rs::hmac;
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Duration, Utc};
use idgate_core::webhook::{AttemptOutcome, MAX_RECORDED_BODY};
use idgate_core::{DeliveryAttempt, DeliveryStatus, EndpointSecret};
use idgate_store::{DeliveryJob, EndpointHealth};
use std::sync::Arc;
use std::time::Instant;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// Runs until `shutdown` is cancelled.
pub async fn run(hub: Arc<Hub>, shutdown: CancellationToken) {
    loop {
        tokio::select! {
            () = shutdown.cancelled() => break,
            () = hub.webhook_wake.notified() => {}
            () = tokio::time::sleep(hub.config.delivery_poll) => {}
        }
        if let Err(e) = drain(&hub, &shutdown).await {
            tracing::error!(error = %e, "webhook delivery round failed");
        }
        match hub.store.oldest_pending_delivery().await {
            Ok(oldest) => {
                let age =
                    oldest.map_or(0.0, |t| (Utc::now() - t).num_milliseconds() as f64 / 1000.0);
                metrics::gauge!("idgate_webhook_oldest_pending_seconds").set(age.max(0.0));
            }
            Err(e) => tracing::warn!(error = %e, "cannot read the webhook queue age"),
        }
    }
}

/// Sends due deliveries until none is left and none is in flight. A slot is refilled as soon
/// as it frees (one slow receiver holds its own slots, not the round), no endpoint holds more
/// than `webhooks.per_endpoint_in_flight` of them, and partners take turns for free slots.
async fn drain(
    hub: &Arc<Hub>,
    shutdown: &CancellationToken,
) -> Result<(), idgate_store::StoreError> {
    let slots = usize::try_from(hub.settings.webhooks.concurrency).unwrap_or(1);
    let per_endpoint = hub.settings.webhooks.per_endpoint_in_flight;
    let mut in_flight = JoinSet::new();
    loop {
        if !shutdown.is_cancelled() && in_flight.len() < slots {
            let free = u32::try_from(slots - in_flight.len()).unwrap_or(1);
            let now = Utc::now();
            let claimed = hub
                .store
                .claim_due_deliveries(now, free, now + hub.config.delivery_lease, per_endpoint)
                .await;
            match claimed {
                Ok(jobs) => {
                    for job in jobs {
                        let hub = hub.clone();
                        in_flight.spawn(async move { deliver(&hub, job).await });
                    }
                }
                // With deliveries running, keep them going; the next slot retries the claim.
                Err(e) if !in_flight.is_empty() => {
                    tracing::error!(error = %e, "claiming webhook deliveries failed");
                }
                Err(e) => return Err(e),
            }
        }
        if in_flight.is_empty() {
            return Ok(());
        }
        tokio::select! {
            done = in_flight.join_next() => log_finished(done),
            () = hub.webhook_wake.notified() => {}
            () = tokio::time::sleep(hub.config.delivery_poll) => {}
            () = shutdown.cancelled() => {
                // Running attempts get a moment to finish and record; the claims of any still
                // running then lapse and another node (or the next start) sends them again.
                let finishing = async {
                    while let Some(done) = in_flight.join_next().await {
                        log_finished(Some(done));
                    }
                };
                if tokio::time::timeout(SHUTDOWN_GRACE, finishing).await.is_err() {
                    in_flight.abort_all();
                }
                return Ok(());
            }
        }
    }
}

/// How long a stopping node waits for the webhook attempts it is making.
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

fn log_finished(
    done: Option<Result<Result<(), idgate_store::StoreError>, tokio::task::JoinError>>,
) {
    match done {
        Some(Ok(Err(e))) => tracing::error!(error = %e, "recording a webhook attempt failed"),
        Some(Err(e)) => tracing::error!(error = %e, "a webhook delivery task failed"),
        Some(Ok(Ok(()))) | None => {}
    }
}

/// The `webhook-signature` header: a `v1,` HMAC-SHA256 per signing secret and, if the
/// endpoint wants it, a `v1a,` Ed25519 signature, over `{id}.{timestamp}.{body}`.
pub fn signature_header(
    msg_id: &str,
    timestamp: i64,
    body: &[u8],
    secrets: &[&EndpointSecret],
    ed25519: Option<&aws_lc_rs::signature::Ed25519KeyPair>,
) -> String {
    let mut content = format!("{msg_id}.{timestamp}.").into_bytes();
    content.extend_from_slice(body);
    let mut parts: Vec<String> = secrets
        .iter()
        .map(|s| {
            let key = hmac::Key::new(hmac::HMAC_SHA256, &s.key);
            format!(
                "v1,{}",
                STANDARD.encode(hmac::sign(&key, &content).as_ref())
            )
        })
        .collect();
    if let Some(pair) = ed25519 {
        parts.push(format!(
            "v1a,{}",
            STANDARD.encode(pair.sign(&content).as_ref())
        ));
    }
    parts.join(" ")
}

/// A uniform number in [0, 1) for the retry jitter.
fn unit_random() -> f64 {
    let mut bytes = [0u8; 8];
    if SystemRandom::new().fill(&mut bytes).is_err() {
        return 0.5;
    }
    (u64::from_le_bytes(bytes) >> 11) as f64 / (1u64 << 53) as f64
}

/// `Retry-After` as seconds or an HTTP date.
fn retry_after(headers: &reqwest::header::HeaderMap, now: DateTime<Utc>) -> Option<Duration> {
    let text = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(secs) = text.parse::<i64>() {
        return Duration::try_seconds(secs.max(0));
    }
    let at = DateTime::parse_from_rfc2822(text).ok()?.with_timezone(&Utc);
    Some((at - now).max(Duration::zero()))
}

/// Everything in an error's chain, without URLs (the endpoint URL is known already).
fn describe(e: reqwest::Error) -> String {
    let e = e.without_url();
    let mut text = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// The body for this endpoint: the stored payload, plus the session's personal data in the
/// dialect's shape when the endpoint opted in.
async fn body(hub: &Hub, job: &DeliveryJob) -> Vec<u8> {
    let mut payload = job.event.payload.clone();
    if let Some(settings) = &job.endpoint.dialect_settings {
        hub.dialects
            .wire_of_event(job.event.dialect)
            .shape_for_endpoint(&mut payload, settings);
    }
    if job.endpoint.include_claims
        && let Some(session_id) = job.event.session_id
        && let Ok(session) = hub.session(session_id).await
    {
        hub.dialects
            .wire_of_event(job.event.dialect)
            .add_personal_data(&mut payload, &session);
    }
    serde_json::to_vec(&payload).unwrap_or_default()
}

/// What one attempt came to.
struct Attempted {
    status_code: Option<u16>,
    error: Option<String>,
    response_body: Option<String>,
    outcome: AttemptOutcome,
    retry_after: Option<Duration>,
}

impl Attempted {
    fn failed(error: String) -> Self {
        Attempted {
            status_code: None,
            error: Some(error),
            response_body: None,
            outcome: AttemptOutcome::Failed,
            retry_after: None,
        }
    }
}

async fn deliver(hub: &Hub, job: DeliveryJob) -> Result<(), idgate_store::StoreError> {
    let at = Utc::now();
    let clock = Instant::now();
    let attempted = send(hub, &job, at).await;
    finish(hub, job, at, clock.elapsed(), attempted).await
}

async fn send(hub: &Hub, job: &DeliveryJob, at: DateTime<Utc>) -> Attempted {
    let url = match url::Url::parse(&job.endpoint.url) {
        Ok(url) => url,
        Err(e) => return Attempted::failed(format!("invalid URL: {e}")),
    };
    if let Err(e) = hub.deliverable(&url) {
        return Attempted::failed(e.to_string());
    }
    let body = body(hub, job).await;
    let msg_id = job.event.id.to_string();
    // A verification's own URL signs with its partner's current secrets (what the partner
    // verifies with after a rotation); the copy it was made with stands in if none is left.
    let signer = match job.endpoint.session_id {
        Some(_) => hub
            .verification_signer(job.endpoint.partner_id)
            .await
            .ok()
            .flatten(),
        None => None,
    };
    let signer = signer.as_ref().unwrap_or(&job.endpoint);
    let secrets = signer.signing_secrets(at);
    let signature = signature_header(
        &msg_id,
        at.timestamp(),
        &body,
        &secrets,
        signer.sign_ed25519.then_some(&hub.keys.signing.pair),
    );
    let mut request = hub
        .outbound
        .client
        .post(url)
        .header("content-type", "application/json")
        .header("webhook-id", &msg_id)
        .header("webhook-timestamp", at.timestamp().to_string())
        .header("webhook-signature", signature);
    if let Some(dialect) = job.event.dialect {
        for (name, value) in
            hub.dialects
                .wire(dialect)
                .extra_signature_headers(at.timestamp(), &body, &secrets)
        {
            request = request.header(name, value);
        }
    }
    for (name, value) in hub.integration_signature(&job.endpoint, &body).await {
        request = request.header(name, value);
    }
    let sent = request.body(body).send().await;
    let mut response = match sent {
        Ok(r) => r,
        Err(e) => {
            let throttled = e.is_timeout();
            let mut failed = Attempted::failed(describe(e));
            if throttled {
                failed.outcome = AttemptOutcome::Throttled;
            }
            return failed;
        }
    };
    let status = response.status();
    let wait = retry_after(response.headers(), Utc::now());
    let mut recorded = Vec::new();
    while recorded.len() < MAX_RECORDED_BODY {
        match response.chunk().await {
            Ok(Some(chunk)) => recorded.extend_from_slice(&chunk),
            _ => break,
        }
    }
    recorded.truncate(MAX_RECORDED_BODY);
    let (outcome, error) = match status.as_u16() {
        200..=299 => (AttemptOutcome::Delivered, None),
        429 => (AttemptOutcome::Throttled, Some(format!("HTTP {status}"))),
        _ => (AttemptOutcome::Failed, Some(format!("HTTP {status}"))),
    };
    Attempted {
        status_code: Some(status.as_u16()),
        error,
        response_body: Some(String::from_utf8_lossy(&recorded).into_owned()),
        outcome,
        retry_after: wait,
    }
}

/// Records the attempt, the delivery's next state and the endpoint's health.
async fn finish(
    hub: &Hub,
    job: DeliveryJob,
    at: DateTime<Utc>,
    elapsed: std::time::Duration,
    attempted: Attempted,
) -> Result<(), idgate_store::StoreError> {
    metrics::histogram!("idgate_webhook_attempt_duration_seconds").record(elapsed.as_secs_f64());
    let now = Utc::now();
    let mut delivery = job.delivery;
    let mut endpoint = job.endpoint;
    delivery.attempts += 1;
    delivery.last_attempt_at = Some(at);
    delivery.last_status_code = attempted.status_code;
    delivery.last_error = attempted.error.clone();
    let mut disabled = None;
    let result = if attempted.outcome == AttemptOutcome::Delivered {
        delivery.status = DeliveryStatus::Delivered;
        delivery.delivered_at = Some(now);
        endpoint.record_success();
        "delivered"
    } else {
        if endpoint.record_failure(now, hub.config.disable_after) {
            disabled = endpoint.disabled_reason.clone();
            metrics::counter!("idgate_webhook_endpoints_disabled_total").increment(1);
            tracing::warn!(endpoint = %endpoint.id, "webhook endpoint disabled after failing continuously");
        }
        let attempts = usize::try_from(delivery.attempts).unwrap_or(usize::MAX);
        let next = hub.config.retry.next_delay(
            attempts,
            attempted.outcome,
            attempted.retry_after,
            unit_random(),
        );
        match next {
            Some(delay) => {
                delivery.next_attempt_at = now + delay;
                "retry"
            }
            None => {
                delivery.status = DeliveryStatus::Dead;
                tracing::warn!(
                    endpoint = %endpoint.id,
                    event = %delivery.event_id,
                    attempts = delivery.attempts,
                    "webhook delivery is dead after its last attempt; redeliver it when the receiver is fixed"
                );
                "dead"
            }
        }
    };
    metrics::counter!("idgate_webhook_deliveries_total", "outcome" => result).increment(1);
    let attempt = DeliveryAttempt {
        delivery_id: delivery.id,
        attempt: delivery.attempts,
        at,
        status_code: attempted.status_code,
        duration_ms: i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX),
        error: attempted.error,
        response_body: attempted.response_body,
    };
    let health = EndpointHealth {
        failing_since: endpoint.failing_since,
        disabled_reason: disabled,
    };
    hub.store.record_attempt(&attempt, &delivery, &health).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_matches_the_standard_webhooks_example() {
        // The example from the Standard Webhooks specification.
        let key = STANDARD
            .decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
            .unwrap_or_default();
        let secret = EndpointSecret {
            id: "s".into(),
            key,
            created_at: Utc::now(),
            expires_at: None,
        };
        let header = signature_header(
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            br#"{"test": 2432232314}"#,
            &[&secret],
            None,
        );
        assert_eq!(header, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn retry_after_in_seconds_or_as_a_date() {
        let now = Utc::now();
        let mut h = reqwest::header::HeaderMap::new();
        h.insert(
            reqwest::header::RETRY_AFTER,
            reqwest::header::HeaderValue::from_static("120"),
        );
        assert_eq!(retry_after(&h, now), Some(Duration::seconds(120)));
        let later = (now + Duration::seconds(30)).to_rfc2822();
        h.insert(
            reqwest::header::RETRY_AFTER,
            reqwest::header::HeaderValue::from_str(&later).unwrap_or_else(|e| panic!("{e}")),
        );
        let parsed = retry_after(&h, now).map(|d| d.num_seconds());
        assert!(parsed.is_some_and(|s| (29..=30).contains(&s)), "{parsed:?}");
        h.insert(
            reqwest::header::RETRY_AFTER,
            reqwest::header::HeaderValue::from_static("soon"),
        );
        assert_eq!(retry_after(&h, now), None);
    }
}
