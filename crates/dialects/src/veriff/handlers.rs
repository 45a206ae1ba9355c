//! Veriff's session endpoints over the hub.

use super::auth::{Integration, Signed, authenticate};
use super::dto::{
    CreateSession, Created, CreatedVerification, Decision, DecisionAnswer, UpdateSession,
};
use super::problem::{VeriffError, VeriffFailure};
use super::wire::{
    attempt_uuid, decision_reason, document_of, person_of, status_code, status_word,
};
use crate::HubState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, SecondsFormat, Utc};
use idgate_core::{
    Actor, ApplicantData, Dialect, ExternalRefs, LifecycleEvent, NewSession, Session, SessionId,
    Status, TransitionNote,
};
use idgate_providers::Decision as Outcome;
use idgate_providers::sandbox::SandboxChoice;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

pub(super) type Result<T> = std::result::Result<T, VeriffError>;

pub(super) fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

pub(super) fn parse_id(id: &str) -> Result<SessionId> {
    id.parse().map_err(|_| VeriffError::not_found())
}

/// A session of this integration's partner, as Veriff has it: a deleted (cancelled) one is
/// gone.
pub(super) async fn session(
    state: &HubState,
    integration: &Integration,
    id: SessionId,
) -> Result<Session> {
    let session = state.partner_session(&integration.partner, id).await?;
    if session.dialect != Dialect::Veriff || session.status == Status::Cancelled {
        return Err(VeriffError::not_found());
    }
    Ok(session)
}

/// A call on one session signed over its id (GET, DELETE): the integration, then its session.
pub(super) async fn signed_session(
    state: &HubState,
    headers: &HeaderMap,
    id: &str,
) -> Result<(Integration, Session)> {
    let integration = authenticate(state, headers, Signed::Id(id)).await?;
    let session = session(state, &integration, parse_id(id)?).await?;
    Ok((integration, session))
}

/// Answers `outcome`: signed when the integration is known, a plain failure otherwise.
pub(super) fn answer(outcome: Result<(Integration, StatusCode, Value)>) -> Response {
    match outcome {
        Ok((integration, status, body)) => integration.respond(status, &body),
        Err(e) => e.into_response(),
    }
}

/// Create a session
///
/// Creates a verification session as Veriff's API does. Send the person to `verification.url` (or open it with Veriff's InContext SDK); the decision arrives by webhook and from `GET /sessions/{id}/decision`.
#[utoipa::path(
    post, path = "/sessions", tag = "sessions",
    request_body(content = CreateSession, example = json!({"verification": {
        "callback": "https://app.partner.example.com/verification/done",
        "person": {"firstName": "John", "lastName": "Smith", "idNumber": "123456789"},
        "document": {"number": "B01234567", "type": "PASSPORT", "country": "EE"},
        "address": {"fullAddress": "Lorem Ipsum 30, 13612 Tallinn, Estonia"},
        "vendorData": "11111111",
        "endUserId": "fa820aba-019f-455a-ae81-cfca8075bc3f"
    }})),
    params(
        ("X-HMAC-SIGNATURE" = Option<String>, Header, description = "Optional here: hex HMAC-SHA256 of the raw body with the shared secret; checked when sent."),
        ("vrf-integration-id" = Option<String>, Header, description = "The integration id (flexible API keys)."),
    ),
    responses(
        (status = 201, description = "Created.", body = Created, example = json!({"status": "success", "verification": {"id": "01a25070-84dc-7268-9d9a-c3869e016bd1", "url": "https://idgate.example.com/v/w9ZN1N_dEwZLhMP3Kuo_Q95oobJ-FN1E9-_HZtyJN3g", "vendorData": "11111111", "endUserId": "fa820aba-019f-455a-ae81-cfca8075bc3f", "host": "https://idgate.example.com", "status": "created", "sessionToken": "w9ZN1N_dEwZLhMP3Kuo_Q95oobJ-FN1E9-_HZtyJN3g"}})),
        (status = 400, description = "1102 missing `verification`; 1104 invalid parameters; 1302 callback not https; 1500/1501 vendorData.", body = VeriffFailure),
        (status = 401, description = "1801 no X-AUTH-CLIENT; 1802 not a UUID; 1803 unknown integration; 1812/1819 bad signature.", body = VeriffFailure),
        (status = 429, description = "The integration's creation cap (or request rate) was reached; Retry-After says when to retry.", body = VeriffFailure, headers(("Retry-After" = u64, description = "Seconds to wait before retrying."))),
    ),
    security(("auth_client" = []))
)]
pub async fn create_session(
    State(state): State<HubState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    answer(create(&state, &headers, &body).await)
}

async fn create(
    state: &HubState,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(Integration, StatusCode, Value)> {
    let integration = authenticate(state, headers, Signed::OptionalBody(body)).await?;
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        VeriffError::bad_request("1104", format!("The request body is not valid JSON: {e}"))
    })?;
    if value.get("verification").is_none_or(|v| !v.is_object()) {
        return Err(VeriffError::bad_request(
            "1102",
            "Mandatory parameters are missing from the request: send a `verification` object.",
        ));
    }
    let request: CreateSession = serde_json::from_value(value).map_err(|e| {
        VeriffError::bad_request("1104", format!("Request includes invalid parameters: {e}"))
    })?;
    let v = request.verification;
    let vendor_data = match v.vendor_data {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.chars().count() > 1000 => {
            return Err(VeriffError::bad_request(
                "1500",
                "vendorData field cannot be more than 1000 symbols; send a non-semantic reference such as a UUID.",
            ));
        }
        Some(Value::String(s)) => Some(s),
        Some(_) => {
            return Err(VeriffError::bad_request(
                "1501",
                "vendorData must be a string; send a non-semantic reference such as a UUID.",
            ));
        }
    };
    let mut applicant = ApplicantData::default();
    // The documented members idgate has no field for are personal data too: kept sealed with
    // the applicant, under their Veriff names.
    let mut keep = |prefix: &str, other: Map<String, Value>| {
        for (key, value) in other {
            let value = match value {
                Value::String(s) => s,
                Value::Null => continue,
                other => other.to_string(),
            };
            applicant.other.insert(format!("{prefix}.{key}"), value);
        }
    };
    let (person, document, address) = (v.person, v.document, v.address);
    if let Some(p) = &person {
        keep("person", p.other.clone());
    }
    if let Some(d) = &document {
        keep("document", d.other.clone());
    }
    if let Some(a) = &address {
        keep("address", a.other.clone());
    }
    if let Some(person) = person {
        applicant.first_name = person.first_name;
        applicant.last_name = person.last_name;
        applicant.national_id = person.id_number;
        applicant.date_of_birth = person.date_of_birth;
        applicant.email = person.email;
        applicant.phone = person.phone_number;
    }
    if let Some(document) = document {
        let fields: BTreeMap<String, String> = [
            ("number", document.number),
            ("type", document.kind),
            ("country", document.country),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k.to_owned(), v)))
        .collect();
        applicant.document = (!fields.is_empty()).then_some(fields);
    }
    if let Some(full) = address.and_then(|a| a.full_address) {
        applicant.address = Some(BTreeMap::from([("full_address".to_owned(), full)]));
    }
    let mut options = Map::new();
    if let Some(consents) = v.consents {
        options.insert("consents".into(), Value::Array(consents));
    }
    for (key, value) in v.other {
        options.insert(key, value);
    }
    let provider = state.settings().dialects.veriff.provider.clone();
    let new = NewSession {
        provider_id: provider,
        // Veriff's API names no provider: the partner may offer its people a choice.
        provider_choices: integration.partner.offered_providers.clone(),
        external_refs: ExternalRefs {
            vendor_data: vendor_data.clone(),
            end_user_id: v.end_user_id.clone(),
            ..ExternalRefs::default()
        },
        dialect_options: options,
        applicant: Some(applicant),
        return_url: v.callback,
        ..NewSession::default()
    };
    let created = state
        .create_session(&integration.partner, Dialect::Veriff, new)
        .await?;
    let session_token = created
        .verification_url
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_owned();
    let body = Created {
        status: "success",
        verification: CreatedVerification {
            id: created.session.id.to_string(),
            url: created.verification_url,
            vendor_data,
            end_user_id: v.end_user_id,
            host: state.settings().public_base().to_owned(),
            status: "created",
            session_token,
        },
    };
    let body = serde_json::to_value(&body).map_err(|_| VeriffError::internal())?;
    Ok((integration, StatusCode::CREATED, body))
}

/// Get a session's decision
///
/// `verification` is null until the session is decided; then the status, Veriff's decision code and reason, and the person and document as verified. Sign the session id in `X-HMAC-SIGNATURE`.
#[utoipa::path(
    get, path = "/sessions/{id}/decision", tag = "sessions",
    params(
        ("id" = String, Path, description = "The session id."),
        ("X-HMAC-SIGNATURE" = String, Header, description = "Hex HMAC-SHA256 of the session id with the shared secret."),
    ),
    responses(
        (status = 200, description = "`verification` is null until the session has a decision.", body = DecisionAnswer, example = json!({"status": "success", "verification": {"id": "01a25070-9ebf-754b-bd49-bd95a20aa93d", "attemptId": "2cc6db9e-b84c-4cf8-8fb1-adf39a0de522", "status": "approved", "code": 9001, "reason": null, "reasonCode": null, "decisionTime": "2026-12-07T12:18:07.748Z", "acceptanceTime": "2026-12-07T12:18:07.679Z", "vendorData": "11111111", "endUserId": "fa820aba-019f-455a-ae81-cfca8075bc3f", "person": {"firstName": "John", "lastName": "Smith", "idNumber": "123456789", "dateOfBirth": "1990-01-01", "nationality": null}, "document": {"number": "B01234567", "type": "PASSPORT", "country": "EE"}, "additionalVerifiedData": {}, "comments": []}})),
        (status = 401, description = "Bad credentials or signature (1801, 1802, 1803, 1812, 1818).", body = VeriffFailure),
        (status = 404, description = "No such session for this integration.", body = VeriffFailure),
        (status = 429, description = "Rate limited.", body = VeriffFailure),
    ),
    security(("auth_client" = []))
)]
pub async fn decision(
    State(state): State<HubState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let outcome = async {
        let (integration, session) = signed_session(&state, &headers, &id).await?;
        // Most polls come before the decision: the timeline (for the attempt id) is read only
        // once there is one.
        let verification = if decided(session.status) {
            let events = state.timeline(session.id).await?;
            decision_of(&session, &events)
        } else {
            None
        };
        let body = serde_json::to_value(DecisionAnswer {
            status: "success",
            verification,
        })
        .map_err(|_| VeriffError::internal())?;
        Ok((integration, StatusCode::OK, body))
    };
    answer(outcome.await)
}

/// The attempt ids of a session: one per start (a resubmission starts a new attempt), each a
/// UUID derived from the session and the start's time (see [`attempt_uuid`]).
pub(super) fn attempts(
    session: &Session,
    events: &[idgate_core::SessionEvent],
) -> Vec<(String, Status)> {
    let mut attempts: Vec<(String, Status)> = Vec::new();
    for event in events {
        if event.event == Some(LifecycleEvent::Start) {
            let id = attempt_uuid(session.id, event.at.timestamp_micros());
            attempts.push((id, event.to_status));
        } else if let Some(last) = attempts.last_mut() {
            last.1 = event.to_status;
        }
    }
    attempts
}

/// Whether Veriff's decision endpoint has a decision for a session in `status`.
fn decided(status: Status) -> bool {
    matches!(
        status,
        Status::Approved
            | Status::Declined
            | Status::Failed
            | Status::ResubmissionRequested
            | Status::Review
            | Status::Expired
            | Status::Abandoned
    )
}

fn decision_of(session: &Session, events: &[idgate_core::SessionEvent]) -> Option<Decision> {
    if !decided(session.status) {
        return None;
    }
    let code = status_code(session.status)?;
    let (reason_code, reason_text) = decision_reason(session.status, session.reason.as_deref());
    Some(Decision {
        id: session.id.to_string(),
        attempt_id: attempts(session, events).last().map(|a| a.0.clone()),
        code,
        status: status_word(session.status),
        reason: reason_text,
        reason_code,
        decision_time: session.decided_at.map(time),
        acceptance_time: time(session.created_at),
        vendor_data: session.external_refs.vendor_data.clone(),
        end_user_id: session.external_refs.end_user_id.clone(),
        person: person_of(session),
        document: document_of(session),
        comments: Vec::new(),
        additional_verified_data: json!({}),
    })
}

/// Submit a session
///
/// `{"verification": {"status": "submitted"}}` ends the person's input (only from `created` or `started`); with the sandbox provider the session is then decided by the sandbox rules.
#[utoipa::path(
    patch, path = "/sessions/{id}", tag = "sessions",
    request_body(content = UpdateSession, example = json!({"verification": {"status": "submitted"}})),
    params(
        ("id" = String, Path, description = "The session id."),
        ("X-HMAC-SIGNATURE" = String, Header, description = "Hex HMAC-SHA256 of the raw body with the shared secret."),
    ),
    responses(
        (status = 200, description = "Submitted.", body = Object),
        (status = 400, description = "1102 missing `verification.status`; 1303 only `submitted` is supported; 1304 not from this status.", body = VeriffFailure),
        (status = 401, description = "Bad credentials or signature (1819 for the body).", body = VeriffFailure),
        (status = 404, description = "No such session for this integration.", body = VeriffFailure),
    ),
    security(("auth_client" = []))
)]
pub async fn update_session(
    State(state): State<HubState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let outcome = async {
        let integration = authenticate(&state, &headers, Signed::Body(&body)).await?;
        let session = session(&state, &integration, parse_id(&id)?).await?;
        let request: UpdateSession = serde_json::from_slice(&body).map_err(|_| {
            VeriffError::bad_request(
                "1102",
                "Mandatory parameters are missing from the request: send {\"verification\": {\"status\": \"submitted\"}}.",
            )
        })?;
        if request.verification.status != "submitted" {
            return Err(VeriffError::bad_request(
                "1303",
                "Invalid status: only \"submitted\" can be set.",
            ));
        }
        if !matches!(session.status, Status::Created | Status::Started) {
            return Err(VeriffError::bad_request(
                "1304",
                format!(
                    "Cannot transition to \"submitted\" status from \"{}\".",
                    status_word(session.status)
                ),
            ));
        }
        let plan = |s: &Session| {
            let mut steps = Vec::new();
            if s.status == Status::Created {
                steps.push((LifecycleEvent::Start, TransitionNote::default()));
            }
            steps.push((LifecycleEvent::Submit, TransitionNote::default()));
            steps
        };
        let session = state
            .transition_from(session, Actor::Partner, plan, |_| {})
            .await?;
        if let Some(choice) = sandbox_rule(state.providers(), &session) {
            // The sandbox decides at once, so an API-only integration can run end to end;
            // the answer still says `submitted`, as Veriff's does, and the decision endpoint
            // (and webhooks) carry the decision.
            state
                .sandbox_decide(session.clone(), choice, Actor::Provider)
                .await?;
        }
        let body = json!({
            "status": "success",
            "verification": {
                "id": session.id.to_string(),
                "vendorData": session.external_refs.vendor_data,
                "endUserId": session.external_refs.end_user_id,
                "status": status_word(session.status),
            }
        });
        Ok((integration, StatusCode::OK, body))
    };
    answer(outcome.await)
}

/// Delete a session
///
/// Cancels a session that is not decided and removes its media.
#[utoipa::path(
    delete, path = "/sessions/{id}", tag = "sessions",
    params(
        ("id" = String, Path, description = "The session id."),
        ("X-HMAC-SIGNATURE" = String, Header, description = "Hex HMAC-SHA256 of the session id with the shared secret."),
    ),
    responses(
        (status = 200, description = "Deleted: the session is cancelled and no longer found.", body = Object),
        (status = 400, description = "1304: a decided session cannot be deleted.", body = VeriffFailure),
        (status = 401, description = "Bad credentials or signature.", body = VeriffFailure),
        (status = 404, description = "No such session for this integration.", body = VeriffFailure),
    ),
    security(("auth_client" = []))
)]
pub async fn delete_session(
    State(state): State<HubState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let outcome = async {
        let (integration, session) = signed_session(&state, &headers, &id).await?;
        state
            .cancel_session(&integration.partner, session.id)
            .await?;
        let body = json!({ "status": "success", "verification": { "id": session.id.to_string() } });
        Ok((integration, StatusCode::OK, body))
    };
    answer(outcome.await)
}

/// List a session's attempts
///
/// Each time the person started, with its status.
#[utoipa::path(
    get, path = "/sessions/{id}/attempts", tag = "sessions",
    params(
        ("id" = String, Path, description = "The session id."),
        ("X-HMAC-SIGNATURE" = String, Header, description = "Hex HMAC-SHA256 of the session id with the shared secret."),
    ),
    responses(
        (status = 200, description = "The session's attempts, oldest first.", body = Object),
        (status = 401, description = "Bad credentials or signature.", body = VeriffFailure),
        (status = 404, description = "No such session for this integration.", body = VeriffFailure),
    ),
    security(("auth_client" = []))
)]
pub async fn session_attempts(
    State(state): State<HubState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let outcome = async {
        let (integration, session) = signed_session(&state, &headers, &id).await?;
        let events = state.timeline(session.id).await?;
        let verifications: Vec<Value> = attempts(&session, &events)
            .into_iter()
            .map(|(attempt, status)| json!({ "id": attempt, "status": status_word(status) }))
            .collect();
        let body = json!({ "status": "success", "verifications": verifications });
        Ok((integration, StatusCode::OK, body))
    };
    answer(outcome.await)
}

/// Get the person of a session
///
/// The person as the partner described them and as verified, once decided.
#[utoipa::path(
    get, path = "/sessions/{id}/person", tag = "sessions",
    params(
        ("id" = String, Path, description = "The session id."),
        ("X-HMAC-SIGNATURE" = String, Header, description = "Hex HMAC-SHA256 of the session id with the shared secret."),
    ),
    responses(
        (status = 200, description = "The person: as verified once decided, as sent before.", body = Object),
        (status = 401, description = "Bad credentials or signature.", body = VeriffFailure),
        (status = 404, description = "No such session for this integration.", body = VeriffFailure),
    ),
    security(("auth_client" = []))
)]
pub async fn session_person(
    State(state): State<HubState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let outcome = async {
        let (integration, session) = signed_session(&state, &headers, &id).await?;
        let mut person = person_of(&session).unwrap_or_else(|| json!({}));
        if let Some(p) = person.as_object_mut() {
            p.insert("id".into(), Value::String(session.id.to_string()));
        }
        let body = json!({ "status": "success", "person": person });
        Ok((integration, StatusCode::OK, body))
    };
    answer(outcome.await)
}

/// idgate's sandbox rules for a session submitted through the API, by the last four digits
/// of the document number (else the person's id number): `0001` declined (face mismatch,
/// 103), `0002` resubmission requested (expired document, 207), `0003` review, anything else
/// approved. `None` when the provider is not a sandbox (a real provider decides).
fn sandbox_rule<'s>(
    providers: &idgate_providers::ProviderRegistry,
    session: &'s Session,
) -> Option<SandboxChoice<'s>> {
    providers.sandbox(&session.provider_id)?;
    let applicant = session.applicant.as_ref();
    let number = applicant
        .and_then(|a| a.document.as_ref())
        .and_then(|d| d.get("number"))
        .or_else(|| applicant.and_then(|a| a.national_id.as_ref()))
        .map(String::as_str)
        .unwrap_or_default();
    let (decision, reason) = match number.get(number.len().saturating_sub(4)..) {
        Some("0001") => (Outcome::Declined, Some("face_mismatch")),
        Some("0002") => (Outcome::ResubmissionRequested, Some("document_expired")),
        Some("0003") => (Outcome::Review, None),
        _ => (Outcome::Approved, None),
    };
    let mut choice = SandboxChoice::new(decision);
    choice.reason = reason;
    Some(choice)
}

/// Any path this dialect does not serve.
pub async fn not_found() -> Response {
    VeriffError::new(StatusCode::NOT_FOUND, "404", "No such endpoint.").into_response()
}
