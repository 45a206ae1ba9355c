//! Veriff on the shared layer's side: status words and codes, decision reason codes, and the
//! integration credentials.
//!
//! Veriff's pages disagree on two codes: the status table gives `abandoned` 9104 and `review`
//! 9121, the decision endpoint's page gives `abandoned` 9121. idgate follows the status table
//! (the page about codes), so 9121 means one thing: review.

use super::credentials::{IntegrationKeys, VeriffCredentials};
use aws_lc_rs::hmac;
use idgate_core::{Credential, Dialect, EventId, Session, SessionEvent, Status};
use idgate_hub::DialectWire;
use idgate_hub::credentials::CredentialScheme;
use idgate_hub::dialect::webhook_timestamp;
use idgate_providers::veriff::REASON_CODES;
use serde_json::{Value, json};

#[derive(Debug)]
pub struct VeriffWire;

impl DialectWire for VeriffWire {
    fn dialect(&self) -> Dialect {
        Dialect::Veriff
    }

    fn status_word(&self, status: Status) -> &'static str {
        status_word(status)
    }

    fn credential_schemes(&self) -> Vec<&dyn CredentialScheme> {
        vec![&VeriffCredentials]
    }

    /// Veriff reports started, submitted and decisions; never `created`, and a deleted
    /// session is gone.
    fn notifies(&self, status: Status) -> bool {
        !matches!(status, Status::Created | Status::Cancelled)
    }

    fn signs_webhooks(&self) -> bool {
        true
    }

    /// `X-AUTH-CLIENT` (the integration's API key) and `X-HMAC-SIGNATURE` (hex HMAC-SHA256 of
    /// the body with its shared secret), as Veriff signs its webhooks.
    fn credential_signature_headers(
        &self,
        body: &[u8],
        credential: &Credential,
    ) -> Vec<(&'static str, String)> {
        let Some(keys) = IntegrationKeys::of(credential) else {
            return Vec::new();
        };
        let key = hmac::Key::new(hmac::HMAC_SHA256, keys.shared_secret.as_bytes());
        let signature = hex::encode(hmac::sign(&key, body).as_ref());
        vec![
            ("x-auth-client", keys.api_key.clone()),
            ("x-hmac-signature", signature.clone()),
            ("vrf-auth-client", keys.api_key),
            ("vrf-hmac-signature", signature),
        ]
    }

    /// Veriff's event webhook for `started` and `submitted`, its decision webhook for the
    /// rest. Person and document data are not in the stored event (no personal data waits in
    /// the outbox): they are added at delivery for endpoints that opted in.
    fn webhook_payload(&self, _id: EventId, session: &Session, event: &SessionEvent) -> Value {
        let status = event.to_status;
        let code = status_code(status);
        let attempt = attempt_id(session, event);
        if matches!(status, Status::Started | Status::Submitted) {
            return json!({
                "id": session.id.to_string(),
                "attemptId": attempt,
                "feature": "selfid",
                "code": code,
                "action": status_word(status),
                "vendorData": session.external_refs.vendor_data,
                "endUserId": session.external_refs.end_user_id,
            });
        }
        let (reason_code, reason_text) = decision_reason(status, event.reason.as_deref());
        json!({
            "status": "success",
            "verification": {
                "id": session.id.to_string(),
                "attemptId": attempt,
                "vendorData": session.external_refs.vendor_data,
                "endUserId": session.external_refs.end_user_id,
                "status": status_word(status),
                "code": code,
                "reason": reason_text,
                "reasonCode": reason_code,
                "decisionTime": webhook_timestamp(event.at),
                "acceptanceTime": webhook_timestamp(session.created_at),
                // Filled at delivery for endpoints that opted in to personal data.
                "person": null,
                "document": null,
                "comments": [],
                "additionalVerifiedData": {},
            },
            "technicalData": { "ip": null },
        })
    }

    /// The decision webhook's `person` and `document`, as the decision endpoint has them.
    fn add_personal_data(&self, payload: &mut Value, session: &Session) {
        if let Some(verification) = payload
            .get_mut("verification")
            .and_then(|v| v.as_object_mut())
        {
            verification.insert("person".into(), person_of(session).unwrap_or(Value::Null));
            verification.insert(
                "document".into(),
                document_of(session).unwrap_or(Value::Null),
            );
        }
    }

    /// Veriff allows 9 resubmissions; the 10th request is declined with code 539.
    fn resubmission_cap(&self) -> Option<usize> {
        Some(9)
    }
}

/// Veriff's word for a status. A technical failure is a decline (Veriff has no other final
/// word); a cancelled session does not exist for Veriff (it was deleted).
pub fn status_word(status: Status) -> &'static str {
    match status {
        Status::Created => "created",
        Status::Started => "started",
        Status::Submitted => "submitted",
        Status::Approved => "approved",
        Status::Declined | Status::Failed => "declined",
        Status::ResubmissionRequested => "resubmission_requested",
        Status::Review => "review",
        Status::Expired => "expired",
        Status::Abandoned => "abandoned",
        Status::Cancelled => "deleted",
    }
}

/// Veriff's numeric code for a status (`created` has none: Veriff never reports it).
pub fn status_code(status: Status) -> Option<u32> {
    match status {
        Status::Created | Status::Cancelled => None,
        Status::Started => Some(7001),
        Status::Submitted => Some(7002),
        Status::Approved => Some(9001),
        Status::Declined | Status::Failed => Some(9102),
        Status::ResubmissionRequested => Some(9103),
        Status::Expired | Status::Abandoned => Some(9104),
        Status::Review => Some(9121),
    }
}

/// A decision's `reasonCode` and `reason`: none for an approval.
pub fn decision_reason(status: Status, code: Option<&str>) -> (Option<u32>, Option<String>) {
    match code {
        Some(code) if status != Status::Approved => {
            let (number, text) = reason(code);
            (number, Some(text))
        }
        _ => (None, None),
    }
}

/// Veriff's reason code and text for idgate's reason, where Veriff documents one (the table
/// the Veriff adapter reads the other way).
pub fn reason(code: &str) -> (Option<u32>, String) {
    // idgate's sandbox and other providers say "suspected_fraud" for what Veriff calls 102.
    let code = match code {
        "suspected_fraud" => "suspected_tampering",
        other => other,
    };
    match REASON_CODES.iter().find(|(_, reason, _)| *reason == code) {
        Some((number, _, text)) => (Some(*number), (*text).to_owned()),
        None => (None, code.replace('_', " ")),
    }
}

/// The attempt a session's events belong to: the one its latest start began.
pub fn attempt_id(session: &Session, _event: &SessionEvent) -> Option<String> {
    session
        .started_at
        .map(|at| attempt_uuid(session.id, at.timestamp_micros()))
}

/// A stable UUID for the attempt begun at `started_micros` (the start's time, as stored) in
/// session `id`: the same from the session record and from its timeline.
pub fn attempt_uuid(id: idgate_core::SessionId, started_micros: i64) -> String {
    let seed = format!("{id}:{started_micros}");
    let hash = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, seed.as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&hash.as_ref()[..16]);
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .hyphenated()
        .to_string()
}

/// The person as verified (the provider's claims), else as the partner sent it.
pub(super) fn person_of(session: &Session) -> Option<Value> {
    let claims = session.result_claims.as_ref().map(|c| &c.0);
    let claim = |name: &str| {
        claims
            .and_then(|c| c.get(name))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let applicant = session.applicant.as_ref();
    let person = json!({
        "firstName": claim("given_name").or_else(|| applicant.and_then(|a| a.first_name.clone())),
        "lastName": claim("family_name").or_else(|| applicant.and_then(|a| a.last_name.clone())),
        "idNumber": claim("personal_identity_number").or_else(|| applicant.and_then(|a| a.national_id.clone())),
        "dateOfBirth": claim("birthdate").or_else(|| applicant.and_then(|a| a.date_of_birth.clone())),
        "nationality": claim("nationality").or_else(|| claim("country")),
    });
    let any = person
        .as_object()
        .is_some_and(|p| p.values().any(|v| !v.is_null()));
    any.then_some(person)
}

pub(super) fn document_of(session: &Session) -> Option<Value> {
    let document = session.applicant.as_ref()?.document.as_ref()?;
    Some(json!({
        "number": document.get("number"),
        "type": document.get("type"),
        "country": document.get("country"),
    }))
}
