//! The console's sessions: search across partners, one session with its timeline (a view of
//! personal data, audited) with the provider's evidence and the files a reviewer opens (each
//! opening audited), "Add verification" (a link and a QR code to hand to a person), and
//! the review queue, where a person decides what a provider left to one.

use super::{Signed, failure, message, page, pages, partner_names};
use crate::state::AppState;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{NaiveDate, TimeZone, Utc};
use idgate_core::{MediaId, MediaType, OperatorAction, Session, SessionId, Status};
use idgate_hub::service::ServiceError;
use idgate_store::SessionSearch;
use serde::Deserialize;
use std::collections::HashMap;

#[derive(Deserialize, Default)]
pub struct SearchQuery {
    q: Option<String>,
    partner: Option<String>,
    status: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

fn day(raw: Option<&str>) -> Option<chrono::DateTime<Utc>> {
    let date = NaiveDate::parse_from_str(raw?.trim(), "%Y-%m-%d").ok()?;
    Utc.from_local_datetime(&date.and_hms_opt(0, 0, 0)?)
        .single()
}

fn row(session: &Session, names: &HashMap<String, String>) -> pages::SessionRow {
    let refs = &session.external_refs;
    pages::SessionRow {
        id: session.id.to_string(),
        partner: names
            .get(&session.partner_id.to_string())
            .cloned()
            .unwrap_or_default(),
        provider: session.provider_id.clone(),
        status: session.status.as_str().to_owned(),
        reference: [
            &refs.external_id,
            &refs.vendor_data,
            &refs.user_id,
            &refs.end_user_id,
        ]
        .into_iter()
        .flatten()
        .next()
        .cloned()
        .unwrap_or_default(),
        created_at: session.created_at.format("%Y-%m-%d %H:%M").to_string(),
    }
}

/// `GET /console/sessions`: a session id opens it; otherwise the filters search.
pub async fn search(
    State(state): State<AppState>,
    signed: Signed,
    Query(query): Query<SearchQuery>,
) -> Response {
    let q = query.q.as_deref().map(str::trim).unwrap_or_default();
    if let Ok(id) = q.parse::<SessionId>() {
        return Redirect::to(&format!("/console/sessions/{id}")).into_response();
    }
    let partners = match partner_names(&state, &signed).await {
        Ok(p) => p,
        Err(refused) => return refused,
    };
    let status = query
        .status
        .as_deref()
        .filter(|s| !s.is_empty())
        .and_then(|s| s.parse::<Status>().ok());
    let search = SessionSearch {
        partner_id: query
            .partner
            .as_deref()
            .filter(|p| !p.is_empty())
            .and_then(|p| p.parse().ok()),
        status,
        reference: (!q.is_empty()).then(|| q.to_owned()),
        created_from: day(query.from.as_deref()),
        // Through the end of the day given.
        created_before: day(query.to.as_deref()).map(|d| d + chrono::Duration::days(1)),
        limit: 100,
    };
    let found = match state.search_sessions_as(signed.actor(), &search).await {
        Ok(found) => found,
        Err(ServiceError::Forbidden(_)) => return signed.refuse(),
        Err(e) => return failure(e),
    };
    let names: HashMap<String, String> = partners.iter().cloned().collect();
    page(
        StatusCode::OK,
        &pages::Sessions {
            nav: signed.nav(),
            q: q.to_owned(),
            partner: query.partner.clone().unwrap_or_default(),
            status: status.map(|s| s.as_str().to_owned()).unwrap_or_default(),
            from: query.from.clone().unwrap_or_default(),
            to: query.to.clone().unwrap_or_default(),
            partners,
            statuses: Status::ALL.iter().map(|s| s.as_str().to_owned()).collect(),
            sessions: found.iter().map(|s| row(s, &names)).collect(),
            may_add: signed.operator.may(OperatorAction::AddVerification, None),
        },
    )
}

/// `GET /console/sessions/{id}`: the session, what it holds of the person, its timeline.
pub async fn show(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
) -> Response {
    let not_found = || {
        message(
            StatusCode::NOT_FOUND,
            Some(&signed.operator),
            &signed.csrf,
            "Not found",
            "There is no such session.",
        )
    };
    let Ok(id) = id.parse::<SessionId>() else {
        return not_found();
    };
    let (session, events) = match state.session_as(signed.actor(), id).await {
        Ok(found) => found,
        Err(ServiceError::NotFound(_)) => return not_found(),
        Err(ServiceError::Forbidden(_)) => return signed.refuse(),
        Err(e) => return failure(e),
    };
    let names: HashMap<String, String> = match partner_names(&state, &signed).await {
        Ok(p) => p.into_iter().collect(),
        Err(refused) => return refused,
    };
    let media = match state.session_media_as(signed.actor(), &session).await {
        Ok(media) => media,
        Err(e) => return failure(e),
    };
    let applicant = session.applicant.as_ref();
    let person: Vec<(String, String)> = [
        ("First name", applicant.and_then(|a| a.first_name.clone())),
        ("Last name", applicant.and_then(|a| a.last_name.clone())),
        (
            "Date of birth",
            applicant.and_then(|a| a.date_of_birth.clone()),
        ),
    ]
    .into_iter()
    .filter_map(|(label, value)| value.map(|v| (label.to_owned(), v)))
    .chain(
        session
            .result_claims
            .iter()
            .flat_map(|c| c.0.iter())
            .map(|(name, value)| {
                (
                    name.clone(),
                    value
                        .as_str()
                        .map_or_else(|| value.to_string(), str::to_owned),
                )
            }),
    )
    .collect();
    page(
        StatusCode::OK,
        &pages::SessionDetail {
            nav: signed.nav(),
            csrf: signed.csrf.clone(),
            session: row(&session, &names),
            reason: session.reason.clone().unwrap_or_default(),
            provider_status: session.raw_provider_status.clone().unwrap_or_default(),
            level: session
                .achieved_loa
                .map(|l| l.to_string())
                .unwrap_or_default(),
            expires_at: session.expires_at.format("%Y-%m-%d %H:%M").to_string(),
            person,
            events: events
                .iter()
                .map(|e| pages::EventRow {
                    at: e.at.format("%Y-%m-%d %H:%M:%S").to_string(),
                    actor: e.actor.as_str().to_owned(),
                    change: format!(
                        "{} → {}",
                        e.from_status.map_or("", |s| s.as_str()),
                        e.to_status.as_str()
                    ),
                    reason: e.reason.clone().unwrap_or_default(),
                })
                .collect(),
            in_review: session.status == Status::Review
                && signed
                    .operator
                    .may(OperatorAction::DecideReview, Some(session.partner_id)),
            evidence: evidence_summary(&session),
            matches: match_summary(&session),
            media: media
                .iter()
                .map(|m| pages::MediaRow {
                    id: m.id.to_string(),
                    context: m.context.clone(),
                    kind: m.mimetype.as_str().to_owned(),
                    size: format!("{} KiB", m.size.div_ceil(1024)),
                    at: m.created_at.format("%Y-%m-%d %H:%M:%S").to_string(),
                })
                .collect(),
        },
    )
}

/// `GET /console/sessions/new`: the "Add verification" form.
pub async fn new_form(State(state): State<AppState>, signed: Signed) -> Response {
    add_form(&state, &signed, StatusCode::OK, None).await
}

async fn add_form(
    state: &AppState,
    signed: &Signed,
    status: StatusCode,
    problem: Option<String>,
) -> Response {
    if !signed.operator.may(OperatorAction::AddVerification, None) {
        return signed.refuse();
    }
    let partners = match partner_names(state, signed).await {
        Ok(p) => p,
        Err(refused) => return refused,
    };
    page(
        status,
        &pages::AddVerification {
            nav: signed.nav(),
            csrf: signed.csrf.clone(),
            partners,
            providers: state
                .providers()
                .infos()
                .map(|i| (i.id.clone(), i.label.clone()))
                .collect(),
            problem,
        },
    )
}

#[derive(Deserialize)]
pub struct AddForm {
    csrf: Option<String>,
    partner: Option<String>,
    provider: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
}

/// `POST /console/sessions/new`: the link and its QR code, to copy, print or show.
pub async fn add(
    State(state): State<AppState>,
    signed: Signed,
    Form(form): Form<AddForm>,
) -> Response {
    if let Some(refused) = signed.csrf_refusal(form.csrf.as_deref()) {
        return refused;
    }
    let Some(partner) = form.partner.as_deref().and_then(|p| p.parse().ok()) else {
        return add_form(
            &state,
            &signed,
            StatusCode::BAD_REQUEST,
            Some("Pick a partner.".into()),
        )
        .await;
    };
    let created = state
        .add_verification_as(
            signed.actor(),
            partner,
            form.provider.as_deref().unwrap_or_default(),
            form.first_name.as_deref().unwrap_or_default(),
            form.last_name.as_deref().unwrap_or_default(),
        )
        .await;
    match created {
        Ok(created) => page(
            StatusCode::CREATED,
            &pages::VerificationAdded {
                nav: signed.nav(),
                id: created.session.id.to_string(),
                qr_svg: crate::hosted::live::qr_svg(&created.verification_url).unwrap_or_default(),
                link: created.verification_url,
                expires_at: created
                    .session
                    .expires_at
                    .format("%Y-%m-%d %H:%M UTC")
                    .to_string(),
            },
        ),
        Err(ServiceError::Forbidden(_)) => signed.refuse(),
        Err(
            e @ (ServiceError::InvalidInput(_)
            | ServiceError::UnknownProvider(_)
            | ServiceError::NotFound(_)
            | ServiceError::LoaUnavailable { .. }),
        ) => {
            add_form(
                &state,
                &signed,
                StatusCode::BAD_REQUEST,
                Some(format!("{e}.")),
            )
            .await
        }
        Err(e @ (ServiceError::RateLimited(_) | ServiceError::InsufficientTokens { .. })) => {
            let status = match e {
                ServiceError::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
                _ => StatusCode::PAYMENT_REQUIRED,
            };
            add_form(&state, &signed, status, Some(format!("{e}."))).await
        }
        Err(e) => failure(e),
    }
}

/// `GET /console/reviews`: sessions a provider left to a person, oldest first.
pub async fn reviews(State(state): State<AppState>, signed: Signed) -> Response {
    let search = SessionSearch {
        status: Some(Status::Review),
        limit: 200,
        ..SessionSearch::default()
    };
    let mut found = match state.search_sessions_as(signed.actor(), &search).await {
        Ok(found) => found,
        Err(ServiceError::Forbidden(_)) => return signed.refuse(),
        Err(e) => return failure(e),
    };
    found.reverse();
    let names: HashMap<String, String> = match partner_names(&state, &signed).await {
        Ok(p) => p.into_iter().collect(),
        Err(refused) => return refused,
    };
    page(
        StatusCode::OK,
        &pages::Reviews {
            nav: signed.nav(),
            sessions: found.iter().map(|s| row(s, &names)).collect(),
        },
    )
}

#[derive(Deserialize)]
pub struct DecideForm {
    csrf: Option<String>,
    decision: Option<String>,
    reason: Option<String>,
}

/// `POST /console/sessions/{id}/decide`: approve, or decline with a reason.
pub async fn decide(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    Form(form): Form<DecideForm>,
) -> Response {
    if let Some(refused) = signed.csrf_refusal(form.csrf.as_deref()) {
        return refused;
    }
    let Ok(id) = id.parse::<SessionId>() else {
        return message(
            StatusCode::NOT_FOUND,
            Some(&signed.operator),
            &signed.csrf,
            "Not found",
            "There is no such session.",
        );
    };
    let approve = match form.decision.as_deref() {
        Some("approve") => true,
        Some("decline") => false,
        _ => {
            return message(
                StatusCode::BAD_REQUEST,
                Some(&signed.operator),
                &signed.csrf,
                "Choose a decision",
                "Approve or decline. Nothing was changed.",
            );
        }
    };
    match state
        .decide_review_as(
            signed.actor(),
            id,
            approve,
            form.reason.as_deref().unwrap_or_default(),
        )
        .await
    {
        Ok(_) => Redirect::to(&format!("/console/sessions/{id}")).into_response(),
        Err(ServiceError::Forbidden(_)) => signed.refuse(),
        Err(ServiceError::InvalidInput(e)) => message(
            StatusCode::BAD_REQUEST,
            Some(&signed.operator),
            &signed.csrf,
            "A reason is needed",
            &format!("The {}: {}. Nothing was changed.", e.field, e.message),
        ),
        Err(ServiceError::Lifecycle(_)) => message(
            StatusCode::CONFLICT,
            Some(&signed.operator),
            &signed.csrf,
            "Already decided",
            "This session is no longer in review. Nothing was changed.",
        ),
        Err(ServiceError::NotFound(_)) => message(
            StatusCode::NOT_FOUND,
            Some(&signed.operator),
            &signed.csrf,
            "Not found",
            "There is no such session.",
        ),
        Err(e) => failure(e),
    }
}

/// The provider's proof in a few lines: its subject, level and methods, and each short value
/// of its evidence (long ones, such as a signed token or a signature, by their length).
fn evidence_summary(session: &Session) -> Vec<(String, String)> {
    let Some(evidence) = &session.evidence else {
        return Vec::new();
    };
    let mut lines = Vec::new();
    if let Some(subject) = &evidence.subject {
        lines.push(("Subject at the provider".to_owned(), subject.clone()));
    }
    if let Some(acr) = &evidence.acr {
        lines.push(("Authentication context (acr)".to_owned(), acr.clone()));
    }
    if !evidence.amr.is_empty() {
        lines.push(("Methods (amr)".to_owned(), evidence.amr.join(", ")));
    }
    if let Some(details) = evidence.evidence.as_object() {
        for (name, value) in details {
            let shown = match value {
                serde_json::Value::Null => continue,
                serde_json::Value::String(text) if text.chars().count() <= 120 => text.clone(),
                serde_json::Value::String(text) => {
                    format!("({} characters, kept as evidence)", text.chars().count())
                }
                serde_json::Value::Bool(_) | serde_json::Value::Number(_) => value.to_string(),
                other => {
                    let text = other.to_string();
                    if text.chars().count() <= 120 {
                        text
                    } else {
                        format!("({} characters, kept as evidence)", text.chars().count())
                    }
                }
            };
            lines.push((name.clone(), shown));
        }
    }
    lines
}

/// How the partner's data about the person matched what the provider found.
fn match_summary(session: &Session) -> Vec<(String, String)> {
    let Some(result) = &session.match_result else {
        return Vec::new();
    };
    let word = |matched: bool| if matched { "matches" } else { "does not match" };
    std::iter::once((
        "Overall".to_owned(),
        format!("{} ({})", word(result.matched), result.granularity),
    ))
    .chain(result.fields.iter().map(|(field, outcome)| {
        let score = outcome
            .similarity
            .map(|s| format!(", similarity {s}%"))
            .unwrap_or_default();
        (field.clone(), format!("{}{score}", word(outcome.matched)))
    }))
    .collect()
}

/// `GET /console/sessions/{id}/media/{media}`: one of the session's files, for the operator's
/// eyes (audited). Served with its sniffed type, never sniffed again by the browser, never
/// cached; a PDF downloads rather than opening a viewer under the console's origin.
pub async fn media(
    State(state): State<AppState>,
    signed: Signed,
    Path((id, media)): Path<(String, String)>,
) -> Response {
    let not_found = || {
        message(
            StatusCode::NOT_FOUND,
            Some(&signed.operator),
            &signed.csrf,
            "Not found",
            "There is no such file in this session.",
        )
    };
    let (Ok(id), Ok(media)) = (id.parse::<SessionId>(), media.parse::<MediaId>()) else {
        return not_found();
    };
    let (file, content) = match state.media_file_as(signed.actor(), id, media).await {
        Ok(found) => found,
        Err(ServiceError::NotFound(_)) => return not_found(),
        Err(ServiceError::Forbidden(_)) => return signed.refuse(),
        Err(e) => return failure(e),
    };
    let disposition = if file.mimetype == MediaType::Pdf {
        "attachment"
    } else {
        "inline"
    };
    let mut response = content.into_response();
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_TYPE, file.mimetype.as_str().to_owned()),
        (header::CACHE_CONTROL, "no-store".to_owned()),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; img-src 'self'; frame-ancestors 'none'".to_owned(),
        ),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
        (
            header::CONTENT_DISPOSITION,
            format!("{disposition}; filename=\"{}\"", file.id),
        ),
    ] {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    }
    response
}
