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
/// personal data: the applicant is in the answer's `user`, for the partner's API only.
pub fn session_record(session: &Session, api_base: &str) -> Value {
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
    json!({
        "id": session.id.to_string(),
        "organization_id": session.partner_id.to_string(),
        "user_id": null,
        "sender_user_id": null,
        "status": status_word(session.status),
        "type": "session",
        "session_progress": progress(session.status),
        "external_id": session.external_refs.external_id,
        "workflow_id": null,
        "workflow_steps": ["ID_VERIFICATION", "FACE_LIVENESS"],
        "redirect_url": session.return_url,
        "created_at": webhook_timestamp(session.created_at),
        "updated_at": webhook_timestamp(updated),
        "submitted_at": session.submitted_at.map(webhook_timestamp),
        "expires_at": webhook_timestamp(session.expires_at),
        "links": [{
            "rel": "self",
            "href": format!("{api_base}/v1/sessions/{}", session.id),
            "description": "This session",
        }],
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

    /// The documented return: `success` once the applicant completed the session (whatever
    /// the decision, which the partner reads from the API), `abandoned` when they left,
    /// `failed` otherwise, with a reason from deepidv's list.
    fn return_outcome(&self, session: &Session) -> (&'static str, Option<String>) {
        let reason = session.reason.as_deref().unwrap_or_default();
        let (status, reason) = match session.status {
            Status::Approved | Status::Submitted | Status::Review => ("success", None),
            Status::Cancelled | Status::Abandoned => ("abandoned", Some("user_cancelled")),
            Status::Expired => ("failed", Some("session_expired")),
            Status::Declined | Status::ResubmissionRequested => (
                "failed",
                Some(match reason {
                    r if r.contains("face") || r.contains("selfie") => "face_mismatch",
                    r if r.contains("document") || r.contains("unreadable") => {
                        "document_unreadable"
                    }
                    _ => "unknown",
                }),
            ),
            Status::Failed => ("failed", Some("internal_error")),
            Status::Created | Status::Started => ("abandoned", Some("user_cancelled")),
        };
        (status, reason.map(str::to_owned))
    }

    fn credentials(&self) -> Option<&dyn CredentialScheme> {
        Some(&DeepIdvCredentials)
    }

    fn notifies(&self, status: Status) -> bool {
        event_type(status).is_some()
    }

    fn webhook_payload(&self, _id: EventId, session: &Session, event: &SessionEvent) -> Value {
        // The record as of this event (later events may have moved the session on).
        let mut as_then = session.clone();
        as_then.status = event.to_status;
        json!({
            "type": event_type(event.to_status).unwrap_or("session.updated"),
            "data": session_record(&as_then, ""),
        })
    }

    /// `deepidv-signature` carries the endpoint's signing secret itself, as deepidv's
    /// documented check compares it with the stored secret. It proves nothing about the body:
    /// the Standard Webhooks signature sent beside it is the one to verify (see the README).
    fn extra_signature_headers(
        &self,
        _timestamp: i64,
        _body: &[u8],
        secrets: &[&EndpointSecret],
    ) -> Vec<(&'static str, String)> {
        secrets
            .last()
            .map(|secret| {
                vec![(
                    "deepidv-signature",
                    idgate_hub::service::webhooks::secret_text(secret),
                )]
            })
            .unwrap_or_default()
    }
}
