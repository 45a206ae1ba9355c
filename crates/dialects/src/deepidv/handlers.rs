//! deepidv's session endpoints.

use super::auth::DeepIdvPartner;
use super::dto::{
    CreateSessionRequest, CreatedSession, Failure, SessionAnswer, SessionList, UpdateStatus,
};
use super::problem::DeepIdvError;
use super::wire::session_record;
use crate::HubState;
use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use idgate_core::{
    ApplicantData, Decision, Dialect, ExternalRefs, InviteChannel, NewSession, ProviderOutcome,
    SessionId,
};
use idgate_hub::service::ServiceError;
use serde_json::{Map, Value, json};

/// A member sent in camelCase or snake_case; camelCase wins when both are sent.
fn member<'a>(body: &'a Map<String, Value>, camel: &str, snake: &str) -> Option<&'a Value> {
    let given = |name: &str| body.get(name).filter(|v| !v.is_null());
    given(camel).or_else(|| given(snake))
}

fn text(
    body: &Map<String, Value>,
    camel: &str,
    snake: &str,
) -> Result<Option<String>, DeepIdvError> {
    match member(body, camel, snake) {
        None => Ok(None),
        Some(Value::String(s)) if s.chars().count() <= 255 => Ok(Some(s.trim().to_owned())),
        Some(_) => Err(DeepIdvError::bad_request(format!(
            "{snake} must be a string of at most 255 characters"
        ))),
    }
}

fn required(body: &Map<String, Value>, camel: &str, snake: &str) -> Result<String, DeepIdvError> {
    text(body, camel, snake)?
        .filter(|s| !s.is_empty())
        .ok_or_else(|| DeepIdvError::bad_request(format!("{snake} is required")))
}

fn flag(body: &Map<String, Value>, camel: &str, snake: &str) -> Result<bool, DeepIdvError> {
    match member(body, camel, snake) {
        None => Ok(true),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(DeepIdvError::bad_request(format!(
            "{snake} must be a boolean"
        ))),
    }
}

/// An E.164 phone number that libphonenumber's metadata accepts as valid.
fn e164(phone: &str) -> Result<String, DeepIdvError> {
    let invalid = || {
        DeepIdvError::bad_request(
            "phone must be a valid phone number in E.164 format, e.g. +15192223333",
        )
    };
    if !phone.starts_with('+') || phone.chars().skip(1).any(|c| !c.is_ascii_digit()) {
        return Err(invalid());
    }
    let parsed = phonenumber::parse(None, phone).map_err(|_| invalid())?;
    if !phonenumber::is_valid(&parsed) {
        return Err(invalid());
    }
    Ok(parsed.format().mode(phonenumber::Mode::E164).to_string())
}

/// Create a session
///
/// Creates a verification session for the applicant. Send them to `session_url`; with a
/// `redirect_url` they come back there with `session_id`, `status` (`success`, `failed`,
/// `abandoned`), `reason` and idgate's signed `result_token`.
#[utoipa::path(
    post, path = "/sessions", tag = "sessions",
    request_body(content = CreateSessionRequest, example = json!({"first_name": "Jane", "last_name": "Doe", "email": "jane.doe@example.com", "phone": "+15192223333", "external_id": "order-7", "send_email_invite": false, "redirect_url": "https://partner.example.com/verification/done"})),
    responses(
        (status = 201, description = "Created.", body = CreatedSession, example = json!({"id": "01a25094-3da0-7270-ae1f-a86544fe4454", "session_url": "https://idgate.example.com/v/vrfbmC_ufT0U2ICPj6J4TQw81Oip9Xf-d9Usnj52HgI?redirect_url=https%3A%2F%2Fpartner.example.com%2Fverification%2Fdone", "externalId": "order-7", "links": [{"rel": "self", "href": "https://idgate.example.com/v1/sessions/01a25094-3da0-7270-ae1f-a86544fe4454", "description": "This session, for GET"}, {"rel": "session", "href": "https://idgate.example.com/v/vrfbmC_ufT0U2ICPj6J4TQw81Oip9Xf-d9Usnj52HgI?redirect_url=https%3A%2F%2Fpartner.example.com%2Fverification%2Fdone", "description": "Where the applicant completes the verification"}], "expires_at": "2026-12-14T12:57:02.113Z"})),
        (status = 400, description = "Invalid body: a missing field, a phone number not in E.164, a redirect_url that is not HTTPS or not approved.", body = Failure),
        (status = 401, description = "Missing or invalid API key.", body = Failure),
        (status = 402, description = "Insufficient token balance (plain text, as deepidv sends it).", content_type = "text/plain", body = String, example = json!("Insufficient token balance: a session costs 1 token(s) and the balance is 0.")),
        (status = 404, description = "Unknown workflow.", body = Failure),
        (status = 429, description = "Rate limited; retry after Retry-After seconds.", body = Failure),
    ),
    security(("api_key" = []))
)]
pub async fn create_session(
    State(state): State<HubState>,
    DeepIdvPartner(partner): DeepIdvPartner,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<(StatusCode, Json<Value>), DeepIdvError> {
    let Json(body) = body.map_err(|e| DeepIdvError::bad_request(e.body_text()))?;
    let Value::Object(body) = body else {
        return Err(DeepIdvError::bad_request("the body must be a JSON object"));
    };
    let first_name = required(&body, "firstName", "first_name")?;
    let last_name = required(&body, "lastName", "last_name")?;
    let email = required(&body, "email", "email")?;
    if !email
        .split_once('@')
        .is_some_and(|(user, host)| !user.is_empty() && host.contains('.'))
    {
        return Err(DeepIdvError::bad_request("email must be an email address"));
    }
    let phone = e164(&required(&body, "phone", "phone")?)?;
    let external_id = text(&body, "externalId", "external_id")?;
    let send_email_invite = flag(&body, "sendEmailInvite", "send_email_invite")?;
    let send_phone_invite = flag(&body, "sendPhoneInvite", "send_phone_invite")?;
    let workflow = match text(&body, "workflowId", "workflow_id")? {
        Some(id) => Some(
            partner
                .workflows
                .iter()
                .find(|w| w.id == id)
                .cloned()
                .ok_or_else(|| DeepIdvError::not_found(&format!("Workflow {id:?}")))?,
        ),
        None => None,
    };
    // The TypeScript SDK's option: how long the session link works, 1 hour to 1 year.
    let lifetime = match member(&body, "expiresInHours", "expires_in_hours") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) if n.as_u64().is_some_and(|h| (1..=8760).contains(&h)) => {
            n.as_i64().and_then(chrono::Duration::try_hours)
        }
        Some(_) => {
            return Err(DeepIdvError::bad_request(
                "expires_in_hours must be a whole number of hours from 1 to 8760",
            ));
        }
    };
    let redirect_url = text(&body, "redirectUrl", "redirect_url")?;
    if let Some(url) = &redirect_url
        && !url::Url::parse(url).is_ok_and(|u| {
            u.scheme() == "https" || (u.scheme() == "http" && state.settings().api.test_mode)
        })
    {
        return Err(DeepIdvError::bad_request(
            "redirect_url must be a valid HTTPS URL",
        ));
    }
    let mut options = Map::new();
    options.insert("send_email_invite".into(), send_email_invite.into());
    options.insert("send_phone_invite".into(), send_phone_invite.into());
    // A workflow names its providers (several: the person chooses); without one, the
    // dialect's provider or the partner's offer.
    let (provider_id, provider_choices) = match &workflow {
        Some(w) => {
            options.insert("workflow_id".into(), w.id.clone().into());
            options.insert("workflow_steps".into(), json!(w.steps));
            let first = w.providers.first().cloned().unwrap_or_default();
            let choices = if w.providers.len() > 1 {
                w.providers.clone()
            } else {
                Vec::new()
            };
            (first, choices)
        }
        None => (
            state.settings().dialects.deepidv.provider.clone(),
            partner.offered_providers.clone(),
        ),
    };
    let new = NewSession {
        provider_id,
        provider_choices,
        external_refs: ExternalRefs {
            external_id: external_id.clone(),
            ..ExternalRefs::default()
        },
        dialect_options: options,
        applicant: Some(ApplicantData {
            first_name: Some(first_name),
            last_name: Some(last_name),
            email: Some(email),
            phone: Some(phone),
            ..ApplicantData::default()
        }),
        return_url: redirect_url.clone(),
        // deepidv sends both unless told not to; they leave after the session is written.
        invites: [
            (send_email_invite, InviteChannel::Email),
            (send_phone_invite, InviteChannel::Sms),
        ]
        .into_iter()
        .filter_map(|(wanted, channel)| wanted.then_some(channel))
        .collect(),
        token_cost: state.settings().dialects.deepidv.tokens_per_session,
        lifetime,
        ..NewSession::default()
    };
    let created = state
        .create_session(&partner, Dialect::DeepIdv, new)
        .await?;
    // The documented form: the redirect URL rides along on the session URL.
    let mut session_url = created.verification_url.clone();
    if let Some(redirect) = &redirect_url {
        let encoded: String = url::form_urlencoded::byte_serialize(redirect.as_bytes()).collect();
        session_url = format!("{session_url}?redirect_url={encoded}");
    }
    let base = state.settings().public_base();
    let id = created.session.id.to_string();
    let mut answer = json!({
        "id": id,
        "session_url": session_url,
        "links": [
            {"rel": "self", "href": format!("{base}/v1/sessions/{id}"), "description": "This session, for GET"},
            {"rel": "session", "href": session_url, "description": "Where the applicant completes the verification"},
        ],
        "expires_at": idgate_hub::dialect::webhook_timestamp(created.session.expires_at),
    });
    if let Some(external_id) = external_id {
        answer["externalId"] = Value::String(external_id);
    }
    Ok((StatusCode::CREATED, Json(answer)))
}

/// The query of `GET /v1/sessions`.
#[derive(Debug, Default, serde::Deserialize)]
pub struct ListQuery {
    limit: Option<u32>,
    next_token: Option<String>,
    start_date: Option<String>,
    end_date: Option<String>,
    external_id: Option<String>,
    workflow_id: Option<String>,
    /// Accepted: every session of the key's organisation is listed.
    #[allow(dead_code)]
    by_organization: Option<String>,
}

/// A date (`2026-12-07`: the day's start, or with `through_the_day` the next day's, so an
/// end date includes its day) or an RFC 3339 instant.
fn instant(
    name: &str,
    value: &str,
    through_the_day: bool,
) -> Result<chrono::DateTime<chrono::Utc>, DeepIdvError> {
    if let Ok(at) = chrono::DateTime::parse_from_rfc3339(value) {
        return Ok(at.with_timezone(&chrono::Utc));
    }
    chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .ok()
        .and_then(|d| {
            if through_the_day {
                d.succ_opt()
            } else {
                Some(d)
            }
        })
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc())
        .ok_or_else(|| {
            DeepIdvError::bad_request(format!(
                "{name} must be a date (YYYY-MM-DD) or an RFC 3339 time"
            ))
        })
}

fn next_token(session: &idgate_core::Session) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!(
        "{}|{}",
        session.created_at.to_rfc3339(),
        session.id
    ))
}

fn after_token(token: &str) -> Result<(chrono::DateTime<chrono::Utc>, SessionId), DeepIdvError> {
    use base64::Engine;
    let invalid = || DeepIdvError::bad_request("next_token is not one this API returned");
    let text = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(invalid)?;
    let (at, id) = text.split_once('|').ok_or_else(invalid)?;
    let at = chrono::DateTime::parse_from_rfc3339(at).map_err(|_| invalid())?;
    Ok((
        at.with_timezone(&chrono::Utc),
        id.parse().map_err(|_| invalid())?,
    ))
}

/// List sessions
///
/// The key's sessions, newest first, `limit` (1-500, default 100) at a time; `next_token`
/// continues where the previous page ended. Filters: `start_date`, `end_date`,
/// `external_id`, `workflow_id`.
#[utoipa::path(
    get, path = "/sessions", tag = "sessions",
    params(
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 500, description = "At most this many (default 100)."),
        ("next_token" = Option<String>, Query, description = "From the previous page's answer."),
        ("start_date" = Option<String>, Query, description = "Created on or after (YYYY-MM-DD or RFC 3339)."),
        ("end_date" = Option<String>, Query, description = "Created before (YYYY-MM-DD or RFC 3339)."),
        ("external_id" = Option<String>, Query, description = "Your reference."),
        ("workflow_id" = Option<String>, Query, description = "Sessions of this workflow."),
        ("by_organization" = Option<String>, Query, description = "Accepted; the key's whole organisation is listed."),
    ),
    responses(
        (status = 200, description = "A page of sessions.", body = SessionList),
        (status = 400, description = "An invalid filter or next_token.", body = Failure),
        (status = 401, description = "Missing or invalid API key.", body = Failure),
        (status = 429, description = "Rate limited (deepidv's per-key limits); retry after Retry-After seconds.", body = Failure),
    ),
    security(("api_key" = []))
)]
pub async fn list_sessions(
    State(state): State<HubState>,
    DeepIdvPartner(partner): DeepIdvPartner,
    query: Result<axum::extract::Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, DeepIdvError> {
    let axum::extract::Query(q) = query.map_err(|e| DeepIdvError::bad_request(e.body_text()))?;
    let limit = q.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(DeepIdvError::bad_request("limit must be between 1 and 500"));
    }
    let page = idgate_store::SessionPage {
        partner_id: partner.id,
        dialect: Dialect::DeepIdv,
        created_from: q
            .start_date
            .as_deref()
            .map(|v| instant("start_date", v, false))
            .transpose()?,
        created_before: q
            .end_date
            .as_deref()
            .map(|v| instant("end_date", v, true))
            .transpose()?,
        external_id: q.external_id,
        workflow_id: q.workflow_id,
        user_id: None,
        after: q.next_token.as_deref().map(after_token).transpose()?,
        // One more than asked: whether another page follows.
        limit: limit + 1,
    };
    let mut sessions = state.partner_sessions(&page).await?;
    let more = sessions.len() > usize::try_from(limit).unwrap_or(usize::MAX);
    sessions.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    let base = state.settings().public_base();
    Ok(Json(json!({
        "sessions": sessions.iter().map(|s| session_record(s, Some(base))).collect::<Vec<_>>(),
        "next_token": if more { sessions.last().map(next_token) } else { None },
    })))
}

fn session_id(path: Result<Path<String>, PathRejection>) -> Result<SessionId, DeepIdvError> {
    let Path(raw) = path.map_err(|_| DeepIdvError::not_found("Session"))?;
    raw.parse().map_err(|_| DeepIdvError::not_found("Session"))
}

/// Retrieve a session
///
/// The session record (status, progress, timestamps, links) and the applicant as sent.
#[utoipa::path(
    get, path = "/sessions/{id}", tag = "sessions",
    params(("id" = String, Path, description = "The session id from the create call.")),
    responses(
        (status = 200, description = "The session.", body = SessionAnswer),
        (status = 401, description = "Missing or invalid API key.", body = Failure),
        (status = 429, description = "Rate limited (deepidv's per-key limits); retry after Retry-After seconds.", body = Failure),
        (status = 404, description = "No such session for this key.", body = Failure),
    ),
    security(("api_key" = []))
)]
pub async fn get_session(
    State(state): State<HubState>,
    DeepIdvPartner(partner): DeepIdvPartner,
    path: Result<Path<String>, PathRejection>,
) -> Result<Json<Value>, DeepIdvError> {
    let id = session_id(path)?;
    let session = state.partner_session(&partner, id).await?;
    if session.dialect != Dialect::DeepIdv {
        return Err(DeepIdvError::not_found("Session"));
    }
    let base = state.settings().public_base();
    Ok(Json(json!({
        "session_record": session_record(&session, Some(base)),
        // deepidv's SDK reads a name → URL map.
        "resource_links": {"self": format!("{base}/v1/sessions/{id}")},
        "user": super::wire::applicant_json(&session),
    })))
}

/// Decide a session
///
/// The partner's own decision (`VERIFIED` or `REJECTED`) on a session that is not yet
/// decided; events and webhooks follow as for any decision.
#[utoipa::path(
    patch, path = "/sessions/{id}/update-status", tag = "sessions",
    params(("id" = String, Path, description = "The session id.")),
    request_body(content = UpdateStatus, example = json!({"new_status": "VERIFIED"})),
    responses(
        (status = 200, description = "Decided: the session record.", body = Object),
        (status = 400, description = "new_status is not VERIFIED or REJECTED.", body = Failure),
        (status = 401, description = "Missing or invalid API key.", body = Failure),
        (status = 429, description = "Rate limited (deepidv's per-key limits); retry after Retry-After seconds.", body = Failure),
        (status = 404, description = "No such session for this key.", body = Failure),
        (status = 409, description = "The session is decided already.", body = Failure),
    ),
    security(("api_key" = []))
)]
pub async fn update_status(
    State(state): State<HubState>,
    DeepIdvPartner(partner): DeepIdvPartner,
    path: Result<Path<String>, PathRejection>,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<Json<Value>, DeepIdvError> {
    let id = session_id(path)?;
    let Json(body) = body.map_err(|e| DeepIdvError::bad_request(e.body_text()))?;
    let decision = match body
        .get("new_status")
        .or_else(|| body.get("newStatus"))
        .and_then(Value::as_str)
    {
        Some("VERIFIED") => Decision::Approved,
        Some("REJECTED") => Decision::Declined,
        _ => {
            return Err(DeepIdvError::bad_request(
                "new_status must be VERIFIED or REJECTED",
            ));
        }
    };
    let session = state.partner_session(&partner, id).await?;
    if session.dialect != Dialect::DeepIdv {
        return Err(DeepIdvError::not_found("Session"));
    }
    // A decision on what the applicant submitted, not on a session they never finished.
    if !matches!(
        session.status,
        idgate_core::Status::Submitted | idgate_core::Status::Review
    ) {
        return Err(DeepIdvError::new(
            StatusCode::CONFLICT,
            "conflict",
            format!(
                "the session is {}: only a SUBMITTED session can be decided",
                super::wire::status_word(session.status)
            ),
        ));
    }
    let outcome = ProviderOutcome {
        decision,
        reason: (decision == Decision::Declined).then(|| "manual_rejection".to_owned()),
        raw_status: Some("manual".to_owned()),
        achieved_loa: None,
        claims: None,
        match_result: None,
        evidence: None,
    };
    let session = state
        .apply_outcome_to(session, &outcome, idgate_core::Actor::Partner)
        .await
        .map_err(|e| match e {
            ServiceError::Lifecycle(inner) => DeepIdvError::new(
                StatusCode::CONFLICT,
                "conflict",
                format!("the session cannot be decided now: {inner}"),
            ),
            other => other.into(),
        })?;
    Ok(Json(json!({
        "session_record": session_record(&session, Some(state.settings().public_base())),
    })))
}
