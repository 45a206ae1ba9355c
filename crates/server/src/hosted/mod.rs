//! The end user's side: the hosted flow at `/v/{token}`, provider callbacks at
//! `/callback/{provider}`, the sandbox simulator's pages, the demo partner's landing page,
//! and the public key set result tokens are checked against.

mod pages;

use crate::api::dialect_status;
use crate::result_token::{self, TokenInput};
use crate::service::ServiceError;
use crate::state::AppState;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::Utc;
use idgate_core::{Actor, Session, Status};
use idgate_providers::sandbox::{DECLINE_REASONS, SandboxProvider};
use idgate_providers::{Decision, StartAction};
use pages::Page;
use serde::Deserialize;
use std::collections::BTreeMap;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v/{token}", get(landing))
        .route("/v/{token}/start", post(start))
        .route("/callback/{provider}", get(callback))
        .route(
            "/sandbox/{provider}/authorize",
            get(sandbox_page).post(sandbox_submit),
        )
        .route("/demo/return", get(demo_return))
        .route("/.well-known/jwks.json", get(jwks))
        .route("/assets/idgate.css", get(stylesheet))
}

/// Any path nobody serves: a page, since people land here from links.
pub async fn not_found() -> Response {
    Page::message(
        StatusCode::NOT_FOUND,
        "Page not found",
        "There is nothing at this address.",
    )
    .into_response()
}

fn is_sandbox(state: &AppState, session: &Session) -> bool {
    state
        .providers
        .get(&session.provider_id)
        .is_some_and(|p| p.info().sandbox)
}

fn provider_label(state: &AppState, session: &Session) -> String {
    state
        .providers
        .get(&session.provider_id)
        .map_or_else(|| session.provider_id.clone(), |p| p.info().label.clone())
}

async fn partner_name(state: &AppState, session: &Session) -> String {
    match state.store.get_partner(session.partner_id).await {
        Ok(Some(p)) => p.name,
        _ => "The service you came from".to_owned(),
    }
}

/// A service failure as a page a person can read.
fn failure(e: ServiceError) -> Response {
    match e {
        ServiceError::NotFound(_) => Page::invalid_link().into_response(),
        ServiceError::Lifecycle(_) => Page::message(
            StatusCode::CONFLICT,
            "This step is already done",
            "Your verification has moved on. Open the link you were given again to see where it stands.",
        )
        .into_response(),
        other => {
            tracing::error!(error = %other, "hosted flow failed");
            Page::message(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "We could not continue your verification. Please try again in a moment.",
            )
            .into_response()
        }
    }
}

/// Where a session ends for the browser: the partner's return URL with the outcome (and a
/// signed result token), or a result page when the partner gave no return URL. Safe to repeat.
fn finish(state: &AppState, session: &Session) -> Response {
    let status = dialect_status(session.dialect, session.status);
    let Some(return_url) = &session.return_url else {
        return Page::result(session.status).into_response();
    };
    let Ok(mut url) = url::Url::parse(return_url) else {
        return failure(ServiceError::Internal(
            "stored return URL does not parse".into(),
        ));
    };
    let token = result_token::sign(
        &state.keys.signing,
        TokenInput {
            issuer: state.settings.public_base(),
            partner_id: session.partner_id.to_string(),
            session_id: session.id.to_string(),
            status,
            canonical_status: session.status.as_str(),
            reason: session.reason.as_deref(),
            now: Utc::now(),
            lifetime: state.config.result_token_lifetime,
        },
    );
    let token = match token {
        Ok(t) => t,
        Err(e) => return failure(ServiceError::Internal(e.to_string())),
    };
    {
        let mut query = url.query_pairs_mut();
        query.append_pair("session_id", &session.id.to_string());
        query.append_pair("status", status);
        if let Some(reason) = &session.reason {
            query.append_pair("reason", reason);
        }
        query.append_pair("result_token", &token);
    }
    Redirect::to(url.as_str()).into_response()
}

async fn landing(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    let session = match state.session_by_access_token(&token).await {
        Ok(Some(s)) => s,
        Ok(None) => return Page::invalid_link().into_response(),
        Err(e) => return failure(e),
    };
    let sandbox = is_sandbox(&state, &session);
    match session.status {
        s if s.is_terminal() => finish(&state, &session),
        Status::Submitted | Status::Review => {
            Page::waiting(partner_name(&state, &session).await, sandbox).into_response()
        }
        _ => Page::landing(pages::Landing {
            partner_name: partner_name(&state, &session).await,
            provider_label: provider_label(&state, &session),
            token,
            retry: session.status == Status::ResubmissionRequested,
            expires_at: session.expires_at.format("%Y-%m-%d %H:%M UTC").to_string(),
            sandbox,
        })
        .into_response(),
    }
}

async fn start(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    let session = match state.session_by_access_token(&token).await {
        Ok(Some(s)) => s,
        Ok(None) => return Page::invalid_link().into_response(),
        Err(e) => return failure(e),
    };
    if session.status.is_terminal() {
        return finish(&state, &session);
    }
    if matches!(session.status, Status::Submitted | Status::Review) {
        return Redirect::to(&format!("/v/{token}")).into_response();
    }
    match state.start_at_provider(session.id).await {
        Ok((_, StartAction::Redirect { url, .. })) => Redirect::to(&url).into_response(),
        Err(ServiceError::Lifecycle(_)) => Redirect::to(&format!("/v/{token}")).into_response(),
        Err(e) => failure(e),
    }
}

async fn callback(
    State(state): State<AppState>,
    Path(provider_id): Path<String>,
    Query(params): Query<BTreeMap<String, String>>,
) -> Response {
    let Some(id) = params
        .get("state")
        .and_then(|s| state.session_id_from_state(s))
    else {
        return Page::tampered().into_response();
    };
    let session = match state.session(id).await {
        Ok(s) => s,
        Err(e) => return failure(e),
    };
    let Some(provider) = state
        .providers
        .get(&provider_id)
        .filter(|_| session.provider_id == provider_id)
    else {
        return Page::tampered().into_response();
    };
    if session.status.is_terminal() {
        return finish(&state, &session);
    }
    let outcome = match provider.callback(&params).await {
        Ok(o) => o,
        Err(e) => {
            tracing::warn!(provider = %provider_id, error = %e, "provider callback refused");
            return Page::tampered().into_response();
        }
    };
    match state.apply_outcome(id, &outcome, Actor::Provider).await {
        Ok(session) => finish(&state, &session),
        // Decided meanwhile (another tab, a webhook): show what stands.
        Err(ServiceError::Lifecycle(_)) => match state.session(id).await {
            Ok(session) => finish(&state, &session),
            Err(e) => failure(e),
        },
        Err(e) => failure(e),
    }
}

#[derive(Deserialize)]
struct StateQuery {
    state: Option<String>,
}

/// The sandbox session behind a `state`, if it is genuine and belongs to this provider.
async fn sandbox_session(
    state: &AppState,
    provider_id: &str,
    flow_state: Option<&str>,
) -> Result<Session, Response> {
    let id = flow_state
        .and_then(|s| state.session_id_from_state(s))
        .ok_or_else(|| Page::tampered().into_response())?;
    let session = state.session(id).await.map_err(failure)?;
    if session.provider_id != provider_id || !is_sandbox(state, &session) {
        return Err(Page::tampered().into_response());
    }
    Ok(session)
}

async fn sandbox_page(
    State(state): State<AppState>,
    Path(provider_id): Path<String>,
    Query(query): Query<StateQuery>,
) -> Response {
    let session = match sandbox_session(&state, &provider_id, query.state.as_deref()).await {
        Ok(s) => s,
        Err(page) => return page,
    };
    if session.status.is_terminal() {
        return finish(&state, &session);
    }
    Page::sandbox(pages::Sandbox {
        provider_id: provider_id.clone(),
        provider_label: provider_label(&state, &session),
        state: state.flow_state(session.id),
        reasons: DECLINE_REASONS
            .iter()
            .map(|(c, l)| ((*c).to_owned(), (*l).to_owned()))
            .collect(),
        sandbox: true,
    })
    .into_response()
}

#[derive(Deserialize)]
struct SandboxForm {
    state: Option<String>,
    outcome: Option<String>,
    reason: Option<String>,
}

/// The simulator answers like a provider would: by sending the browser to idgate's callback.
async fn sandbox_submit(
    State(state): State<AppState>,
    Path(provider_id): Path<String>,
    Form(form): Form<SandboxForm>,
) -> Response {
    let session = match sandbox_session(&state, &provider_id, form.state.as_deref()).await {
        Ok(s) => s,
        Err(page) => return page,
    };
    let decision = form.outcome.as_deref().and_then(Decision::parse);
    let Some(decision) = decision.filter(|d| *d != Decision::Failed) else {
        return Page::message(
            StatusCode::BAD_REQUEST,
            "Choose an outcome",
            "Go back and pick one of the buttons.",
        )
        .into_response();
    };
    let reason = form.reason.filter(|_| decision == Decision::Declined);
    if SandboxProvider::outcome(decision, reason.as_deref()).is_err() {
        return Page::message(
            StatusCode::BAD_REQUEST,
            "Unknown reason",
            "Go back and pick a reason from the list.",
        )
        .into_response();
    }
    let mut target = format!(
        "/callback/{provider_id}?state={}&outcome={}",
        state.flow_state(session.id),
        decision.as_str()
    );
    if let Some(reason) = reason {
        target.push_str("&reason=");
        target.push_str(&reason);
    }
    Redirect::to(&target).into_response()
}

#[derive(Deserialize)]
struct DemoReturn {
    session_id: Option<String>,
    status: Option<String>,
    reason: Option<String>,
    result_token: Option<String>,
}

/// The demo partner's return page (only while the demo partner is enabled).
async fn demo_return(State(state): State<AppState>, Query(q): Query<DemoReturn>) -> Response {
    if !state.settings.demo.partner {
        return Page::message(
            StatusCode::NOT_FOUND,
            "Not found",
            "The demo is turned off.",
        )
        .into_response();
    }
    let session = match q.session_id.as_deref().and_then(|s| s.parse().ok()) {
        Some(id) => state.session(id).await.ok(),
        None => None,
    };
    let token_check = match (&q.result_token, &session) {
        (Some(token), Some(session)) => match result_token::verify(
            &state.keys.signing,
            token,
            state.settings.public_base(),
            &session.partner_id.to_string(),
        ) {
            Ok(claims)
                if claims.sub == session.id.to_string()
                    && Some(&claims.status) == q.status.as_ref() =>
            {
                "valid: signature, issuer, audience, expiry and session all check out".to_owned()
            }
            Ok(_) => "INVALID: the token is for another session or status".to_owned(),
            Err(e) => format!("INVALID: {e}"),
        },
        (None, _) => "missing".to_owned(),
        (Some(_), None) => "cannot check: unknown session".to_owned(),
    };
    Page::demo(pages::DemoReturn {
        session_id: q.session_id.unwrap_or_default(),
        status: q.status.unwrap_or_default(),
        reason: q.reason.unwrap_or_else(|| "–".to_owned()),
        token_check,
        sandbox: true,
    })
    .into_response()
}

async fn jwks(State(state): State<AppState>) -> Response {
    let mut response = Json(result_token::jwks(&state.keys.signing)).into_response();
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    response
}

async fn stylesheet() -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/css; charset=utf-8"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=3600"),
            ),
        ],
        include_str!("../../assets/idgate.css"),
    )
        .into_response()
}
