//! deepidv on the shared layer's side: its status words (`PENDING` … `FAILED`), the return
//! redirect's words (`success|failed|abandoned` and a reason), the session record, and its
//! webhooks (`{type, data}` for `session.created` and `session.status.*`, with the
//! `deepidv-signature` header deepidv sends).

use super::credentials::DeepIdvCredentials;
use idgate_core::{Dialect, EndpointSecret, EventId, Session, SessionEvent, Status};
use idgate_hub::DialectWire;
use idgate_hub::credentials::CredentialScheme;
use idgate_hub::dialect::webhook_timestamp;
use serde_json::{Value, json};

#[derive(Debug)]
pub struct DeepIdvWire;

/// The `deepidv-signature` value for an endpoint whose signing key is `key`: derived one-way
/// (HMAC-SHA256 of a fixed label), so showing it never shows the key.
pub fn signature_value(key: &[u8]) -> String {
    use base64::Engine;
    let mac = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, key);
    let tag = aws_lc_rs::hmac::sign(&mac, b"deepidv-signature");
    format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(tag.as_ref())
    )
}

/// [`signature_value`] for an endpoint secret as shown (`whsec_` and base64).
pub fn signature_value_of(secret_text: &str) -> Option<String> {
    use base64::Engine;
    let key = base64::engine::general_purpose::STANDARD
        .decode(secret_text.strip_prefix("whsec_")?)
        .ok()?;
    Some(signature_value(&key))
}

/// deepidv's status word.
pub fn status_word(status: Status) -> &'static str {
    match status {
        Status::Created | Status::Started | Status::ResubmissionRequested => "PENDING",
        Status::Submitted | Status::Review => "SUBMITTED",
        Status::Approved => "VERIFIED",
        Status::Declined => "REJECTED",
        Status::Cancelled => "VOIDED",
        Status::Expired | Status::Abandoned => "EXPIRED",
        Status::Failed => "FAILED",
    }
}

/// Where the applicant is in the session: `PENDING`, `STARTED`, `COMPLETED`.
fn progress(status: Status) -> &'static str {
    match status {
        Status::Created => "PENDING",
        Status::Started | Status::ResubmissionRequested => "STARTED",
        _ => "COMPLETED",
    }
}

/// deepidv's record of a session, as `GET /v1/sessions/{id}` and webhooks carry it. No
/// personal data: the applicant is in the answer's `user`. `api_base`: the public URL for the
/// record's links (none without it).
pub fn session_record(session: &Session, api_base: Option<&str>) -> Value {
    let updated = [
        session.decided_at,
        session.submitted_at,
        session.started_at,
        Some(session.created_at),
    ]
    .into_iter()
    .flatten()
    .max()
    .unwrap_or(session.created_at);
    let links = match api_base {
        Some(base) => json!([{
            "rel": "self",
            "href": format!("{base}/v1/sessions/{}", session.id),
            "description": "This session",
        }]),
        None => json!([]),
    };
    let mut record = json!({
        "id": session.id.to_string(),
        "organization_id": session.partner_id.to_string(),
        // deepidv's SDK requires both: the applicant exists per session here, and the sender
        // is the partner (sessions are created through the API, not by a console user).
        "user_id": session.id.to_string(),
        "sender_user_id": session.partner_id.to_string(),
        "status": status_word(session.status),
        "type": "session",
        "session_progress": progress(session.status),
        "external_id": session.external_refs.external_id,
        "workflow_id": session.dialect_options.get("workflow_id"),
        // A standalone verification (no workflow) is a document and a selfie.
        "workflow_steps": session
            .dialect_options
            .get("workflow_steps")
            .cloned()
            .unwrap_or_else(|| json!(["ID_VERIFICATION", "FACE_LIVENESS"])),
        "redirect_url": session.return_url,
        "created_at": webhook_timestamp(session.created_at),
        "updated_at": webhook_timestamp(updated),
        "submitted_at": session.submitted_at.map(webhook_timestamp),
        "expires_at": webhook_timestamp(session.expires_at),
        "links": links,
    });
    // An optional member without a value is left out, as deepidv's SDK expects (its schema
    // takes a missing `external_id`, not a null one).
    if let Some(members) = record.as_object_mut() {
        members.retain(|_, v| !v.is_null());
    }
    record
}

/// The applicant as the partner sent it (deepidv's `user`).
pub fn applicant_json(session: &Session) -> Value {
    let applicant = session.applicant.clone().unwrap_or_default();
    json!({
        "first_name": applicant.first_name,
        "last_name": applicant.last_name,
        "email": applicant.email,
        "phone": applicant.phone,
    })
}

/// The event deepidv names for a session reaching `status`, where it sends one.
fn event_type(status: Status) -> Option<&'static str> {
    match status {
        Status::Created => Some("session.created"),
        Status::Submitted => Some("session.status.submitted"),
        Status::Approved => Some("session.status.verified"),
        Status::Declined => Some("session.status.rejected"),
        Status::Failed => Some("session.status.failed"),
        _ => None,
    }
}

impl DialectWire for DeepIdvWire {
    fn dialect(&self) -> Dialect {
        Dialect::DeepIdv
    }

    fn status_word(&self, status: Status) -> &'static str {
        status_word(status)
    }

    /// The documented return: `success` once the applicant completed and submitted the
    /// session, whatever the decision (the partner reads it from the API: a decision in the
    /// browser's address would show a fraud signal to the person and their history),
    /// `abandoned` when they left, `failed` otherwise, with a reason from deepidv's list.
    fn return_outcome(&self, session: &Session) -> (&'static str, Option<String>) {
        let reason = session.reason.as_deref().unwrap_or_default();
        let (status, reason) = match session.status {
            Status::Approved | Status::Declined | Status::Submitted | Status::Review => {
                ("success", None)
            }
            Status::Cancelled | Status::Abandoned => ("abandoned", Some("user_cancelled")),
            Status::Expired => ("failed", Some("session_expired")),
            // The capture could not be used; the person may try again from the link.
            Status::ResubmissionRequested => (
                "failed",
                Some(if reason.contains("face") || reason.contains("selfie") {
                    "face_mismatch"
                } else {
                    "document_unreadable"
                }),
            ),
            Status::Failed => ("failed", Some("internal_error")),
            Status::Created | Status::Started => ("abandoned", Some("user_cancelled")),
        };
        (status, reason.map(str::to_owned))
    }

    fn credential_schemes(&self) -> Vec<&dyn CredentialScheme> {
        vec![&DeepIdvCredentials]
    }

    fn notifies(&self, status: Status) -> bool {
        event_type(status).is_some()
    }

    /// `data` is what `GET /v1/sessions/{id}` answers, as of this event. The applicant
    /// (`user`) is personal data: added at delivery, for endpoints that opted in.
    fn webhook_payload(&self, _id: EventId, session: &Session, event: &SessionEvent) -> Value {
        // The record as of this event: a batch of events (start, submit, decide) is stored
        // with the session as it ended, so the later times are taken back out.
        let mut as_then = session.clone();
        as_then.status = event.to_status;
        let reached = |at: Option<chrono::DateTime<chrono::Utc>>| at.filter(|t| *t <= event.at);
        as_then.started_at = reached(session.started_at);
        as_then.submitted_at = reached(session.submitted_at);
        as_then.decided_at = reached(session.decided_at);
        let mut record = session_record(&as_then, None);
        record["updated_at"] = Value::String(webhook_timestamp(event.at));
        json!({
            "type": event_type(event.to_status).unwrap_or("session.updated"),
            "data": {
                "session_record": record,
                "resource_links": {},
            },
        })
    }

    fn add_personal_data(&self, payload: &mut Value, session: &Session) {
        if let Some(data) = payload.get_mut("data").and_then(Value::as_object_mut) {
            data.insert("user".into(), applicant_json(session));
        }
    }

    /// `deepidv-signature` carries a fixed per-endpoint value, which deepidv's documented check
    /// compares with the one it stored. It proves nothing about the body, so it is derived
    /// one-way from the endpoint's key: it never reveals the key that signs the Standard
    /// Webhooks signature beside it, which is the one to verify (see the README).
    fn extra_signature_headers(
        &self,
        _timestamp: i64,
        _body: &[u8],
        secrets: &[&EndpointSecret],
    ) -> Vec<(&'static str, String)> {
        secrets
            .last()
            .map(|secret| vec![("deepidv-signature", signature_value(&secret.key))])
            .unwrap_or_default()
    }
}
