//! Hopae Connect on the shared layer's side: status words, the webhook envelope (no personal
//! data) and `X-Hopae-Signature`.

use super::credentials::{HopaeCredentials, WorkspaceKeys};
use aws_lc_rs::hmac;
use idgate_core::{Dialect, EndpointSecret, EventId, Session, SessionEvent, Status};
use idgate_hub::DialectWire;
use idgate_hub::credentials::CredentialScheme;
use idgate_hub::dialect::webhook_timestamp as timestamp;
use idgate_hub::service::webhooks::secret_text;
use serde_json::{Value, json};

#[derive(Debug)]
pub struct HopaeWire;

impl DialectWire for HopaeWire {
    fn dialect(&self) -> Dialect {
        Dialect::Hopae
    }

    fn status_word(&self, status: Status) -> &'static str {
        status_word(status)
    }

    fn credential_schemes(&self) -> Vec<&dyn CredentialScheme> {
        vec![&HopaeCredentials, &WorkspaceKeys]
    }

    fn webhook_payload(&self, id: EventId, session: &Session, event: &SessionEvent) -> Value {
        envelope(id, session, event)
    }

    fn shape_for_endpoint(&self, payload: &mut Value, settings: &serde_json::Map<String, Value>) {
        let vocabulary = settings.get("vocabulary").and_then(Value::as_str);
        if vocabulary != Some(WebhookVocabulary::Status.as_str()) {
            return;
        }
        let status = payload
            .pointer("/data/status")
            .and_then(Value::as_str)
            .and_then(status_event_name);
        if let Some(name) = status {
            payload["event"] = name.into();
            if let Some(event) = payload.pointer_mut("/data/event") {
                event["type"] = name.into();
            }
        }
    }

    fn extra_signature_headers(
        &self,
        timestamp: i64,
        body: &[u8],
        secrets: &[&EndpointSecret],
    ) -> Vec<(&'static str, String)> {
        vec![(
            "x-hopae-signature",
            signature_header(timestamp, body, secrets),
        )]
    }
}

/// Hopae's status word.
pub fn status_word(status: Status) -> &'static str {
    match status {
        Status::Created => "initiated",
        Status::Started | Status::ResubmissionRequested => "pending",
        Status::Submitted | Status::Review => "authenticating",
        Status::Approved => "completed",
        Status::Declined | Status::Failed => "failed",
        Status::Expired | Status::Abandoned => "expired",
        Status::Cancelled => "cancelled",
    }
}

/// `X-Hopae-Signature: t=<unix>,v1=<hex>`: HMAC-SHA256 over `{t}.{body}`, keyed with the
/// secret as the partner was shown it (`whsec_…`), one `v1` per signing secret while a
/// rotation overlaps.
pub fn signature_header(timestamp: i64, body: &[u8], secrets: &[&EndpointSecret]) -> String {
    let mut content = format!("{timestamp}.").into_bytes();
    content.extend_from_slice(body);
    let mut header = format!("t={timestamp}");
    // Newest last: a receiver written from Hopae's example keeps the last `v1` it reads, so
    // during a rotation that one must be the current secret's.
    let mut secrets = secrets.to_vec();
    secrets.sort_by_key(|s| s.created_at);
    for secret in secrets {
        let key = hmac::Key::new(hmac::HMAC_SHA256, secret_text(secret).as_bytes());
        header.push_str(",v1=");
        header.push_str(&hex::encode(hmac::sign(&key, &content).as_ref()));
    }
    header
}

/// Hopae documents two vocabularies of webhook event names: its AsyncAPI list
/// (`verification.created`, `verification.user.authentication_started`…) and the one its
/// webhook-config pages show, named after statuses (`verification.initiated`,
/// `verification.awaiting_user_action`, `verification.expired`…). A config subscribed with
/// the second gets its events named that way; otherwise the first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WebhookVocabulary {
    AsyncApi,
    Status,
}

impl WebhookVocabulary {
    pub fn as_str(self) -> &'static str {
        match self {
            WebhookVocabulary::AsyncApi => "asyncapi",
            WebhookVocabulary::Status => "status",
        }
    }

    /// The vocabulary a subscription is written in: the status one if any name is only in it.
    pub fn of(events: &[String]) -> Self {
        let status_only = |e: &String| {
            STATUS_EVENTS.iter().any(|(name, _)| name == e)
                && !ASYNCAPI_EVENTS.iter().any(|(name, _)| name == e)
        };
        if events.iter().any(status_only) {
            WebhookVocabulary::Status
        } else {
            WebhookVocabulary::AsyncApi
        }
    }
}

/// Hopae's AsyncAPI event names and the idgate events each stands for.
const ASYNCAPI_EVENTS: [(&str, &[&str]); 10] = [
    ("verification.created", &["session.created"]),
    ("verification.requested", &["session.started"]),
    ("verification.workflow.started", &["session.started"]),
    (
        "verification.user.authentication_started",
        &["session.submitted", "session.review"],
    ),
    (
        "verification.user.authentication_succeeded",
        &["session.approved"],
    ),
    (
        "verification.user.authentication_failed",
        &["session.resubmission_requested"],
    ),
    ("verification.completed", &["session.approved"]),
    (
        "verification.failed",
        &["session.declined", "session.failed"],
    ),
    ("verification.workflow.cancelled", &["session.cancelled"]),
    (
        "verification.session.timed_out",
        &["session.expired", "session.abandoned"],
    ),
];

/// The status-named vocabulary of Hopae's webhook-config pages.
const STATUS_EVENTS: [(&str, &[&str]); 6] = [
    ("verification.initiated", &["session.created"]),
    (
        "verification.awaiting_user_action",
        &["session.started", "session.resubmission_requested"],
    ),
    ("verification.completed", &["session.approved"]),
    (
        "verification.failed",
        &["session.declined", "session.failed"],
    ),
    (
        "verification.expired",
        &["session.expired", "session.abandoned"],
    ),
    ("verification.cancelled", &["session.cancelled"]),
];

/// The idgate event types a Hopae event name subscribes to, in either vocabulary; `None` for
/// a name Hopae does not document.
pub fn hopae_event_types(name: &str) -> Option<&'static [&'static str]> {
    ASYNCAPI_EVENTS
        .iter()
        .chain(STATUS_EVENTS.iter())
        .find(|(known, _)| *known == name)
        .map(|(_, types)| *types)
}

/// The status vocabulary's name for an event reaching Hopae status `status` (`authenticating`
/// has none there: it keeps its AsyncAPI name).
fn status_event_name(status: &str) -> Option<&'static str> {
    Some(match status {
        "initiated" => "verification.initiated",
        "pending" => "verification.awaiting_user_action",
        "completed" => "verification.completed",
        "failed" => "verification.failed",
        "expired" => "verification.expired",
        "cancelled" => "verification.cancelled",
        _ => return None,
    })
}

/// Hopae's event name for a status reached (the AsyncAPI vocabulary).
fn event_name(status: Status) -> &'static str {
    match status {
        Status::Created => "verification.created",
        Status::Started => "verification.requested",
        Status::Submitted | Status::Review => "verification.user.authentication_started",
        Status::ResubmissionRequested => "verification.user.authentication_failed",
        Status::Approved => "verification.completed",
        Status::Declined | Status::Failed => "verification.failed",
        Status::Cancelled => "verification.workflow.cancelled",
        Status::Expired | Status::Abandoned => "verification.session.timed_out",
    }
}

/// An event in Hopae's webhook envelope.
fn envelope(id: EventId, session: &Session, event: &SessionEvent) -> Value {
    // `loa` is a string in Hopae's webhook: its label for the level (`substantial`, `high`…).
    let result = (event.to_status == Status::Approved).then(|| {
        json!({
            "loa": session.achieved_loa.map(super::dto::loa_label),
            "amr": session.evidence.as_ref().map(|e| e.amr.clone()).unwrap_or_default(),
        })
    });
    json!({
        "event": event_name(event.to_status),
        "eventId": id.to_string(),
        "timestamp": timestamp(event.at),
        "apiVersion": "v1",
        // The app's client id (older sessions, made before it was kept: the partner's id).
        "clientId": session
            .dialect_options
            .get("clientId")
            .and_then(Value::as_str)
            .map_or_else(|| session.partner_id.to_string(), str::to_owned),
        "data": {
            "verificationId": session.id.0.simple().to_string(),
            "status": status_word(event.to_status),
            "providerId": session.provider_id,
            "sessionExpiresAt": timestamp(session.expires_at),
            "reason": event.reason,
            "result": result,
            "event": {
                "type": event_name(event.to_status),
                "timestamp": timestamp(event.at),
                "metadata": { "sequence": event.seq, "actor": event.actor.as_str() },
            },
            "createdAt": timestamp(session.created_at),
            "updatedAt": timestamp(event.at),
        }
    })
}
