//! The sandbox providers' own pages, served by idgate: the redirect simulator's outcome page
//! and the simulated phone app that reads QR codes and answers push requests. They act as
//! the provider would, so the hosted flow and the provider adapters run for real.

use super::simulator_ui;
use crate::hosted::embedding::allow_frames;
use crate::hosted::language::{Lang, Preferences};
use crate::hosted::pages::{self, AppScreen, Page, PendingRequest};
use crate::hosted::{failure, finish, is_sandbox, live, partner_name, provider_label};
use crate::state::AppState;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use idgate_core::{Actor, LifecycleEvent, Session, Status, TransitionNote};
use idgate_hub::service::ServiceError;
use idgate_hub::service::sessions::session_context;
use idgate_providers::sandbox::identities::{TEST_IDENTITIES, TestIdentity};
use idgate_providers::sandbox::qr::QrCode;
use idgate_providers::sandbox::{DECLINE_REASONS, SandboxChoice, SandboxKind, SandboxProvider};
use idgate_providers::{Decision, Provider};
use serde::Deserialize;

fn identities() -> Vec<(String, String)> {
    TEST_IDENTITIES
        .iter()
        .map(|i| {
            (
                i.registration_id.to_owned(),
                format!("{} ({})", i.full_name(), i.registration_id),
            )
        })
        .collect()
}

fn simulator<'a>(state: &'a AppState, provider_id: &str) -> Option<&'a SandboxProvider> {
    state.providers().sandbox(provider_id)
}

fn no_simulator() -> Response {
    Page::message(
        StatusCode::NOT_FOUND,
        simulator_ui(),
        "Not found".into(),
        "There is no simulator at this address.".into(),
    )
    .into_response()
}

#[derive(Deserialize)]
pub struct StateQuery {
    state: Option<String>,
}

/// The sandbox session behind a `state` or ticket, if it is genuine and belongs to this
/// provider.
async fn sandbox_session(
    state: &AppState,
    provider_id: &str,
    flow_state: Option<&str>,
) -> Result<Session, Response> {
    let id = flow_state
        .and_then(|s| {
            state
                .flow_state_parts(s)
                .map(|(id, _)| id)
                .or_else(|| state.session_id_from_ticket(s))
        })
        .ok_or_else(|| Page::tampered(Lang::ENGLISH).into_response())?;
    let session = state
        .session(id)
        .await
        .map_err(|e| failure(Lang::ENGLISH, e))?;
    if session.provider_id != provider_id || !is_sandbox(state, &session) {
        return Err(Page::tampered(Lang::ENGLISH).into_response());
    }
    Ok(session)
}

pub async fn authorize_page(
    State(state): State<AppState>,
    Path(provider_id): Path<String>,
    Query(query): Query<StateQuery>,
    headers: HeaderMap,
) -> Response {
    let session = match sandbox_session(&state, &provider_id, query.state.as_deref()).await {
        Ok(s) => s,
        Err(page) => return page,
    };
    if session.status.is_terminal() {
        return finish(&state, &Preferences::default(), &session, &headers).await;
    }
    let info = match simulator(&state, &provider_id) {
        Some(p) => p.info().clone(),
        None => return no_simulator(),
    };
    let page = Page::sandbox(pages::Sandbox {
        provider_id: provider_id.clone(),
        provider_label: provider_label(&state, &session),
        // Handed back unchanged, as a provider does.
        state: query.state.clone().unwrap_or_default(),
        reasons: DECLINE_REASONS
            .iter()
            .map(|(c, l)| ((*c).to_owned(), (*l).to_owned()))
            .collect(),
        identities: identities(),
        loas: (1..=info.max_loa).collect(),
        match_capable: info.match_capable,
        ui: simulator_ui(),
    })
    .into_response();
    // The sandbox stands in for a provider page inside the partner's frame too.
    allow_frames(&state, &session, page).await
}

#[derive(Deserialize)]
pub struct AuthorizeForm {
    state: Option<String>,
    outcome: Option<String>,
    reason: Option<String>,
    identity: Option<String>,
    loa: Option<String>,
}

/// The simulator answers like a provider would: by sending the browser to idgate's callback.
pub async fn authorize_submit(
    State(state): State<AppState>,
    Path(provider_id): Path<String>,
    Form(form): Form<AuthorizeForm>,
) -> Response {
    // Only a state idgate issued for one of this simulator's sessions is answered.
    if let Err(page) = sandbox_session(&state, &provider_id, form.state.as_deref()).await {
        return page;
    }
    let decision = form.outcome.as_deref().and_then(Decision::parse);
    let Some(decision) = decision.filter(|d| !matches!(d, Decision::Failed | Decision::Expired))
    else {
        return Page::message(
            StatusCode::BAD_REQUEST,
            simulator_ui(),
            "Choose an outcome".into(),
            "Go back and pick one of the buttons.".into(),
        )
        .into_response();
    };
    let reason = form.reason.filter(|_| decision == Decision::Declined);
    if reason
        .as_deref()
        .is_some_and(|r| !DECLINE_REASONS.iter().any(|(code, _)| *code == r))
    {
        return Page::message(
            StatusCode::BAD_REQUEST,
            simulator_ui(),
            "Unknown reason".into(),
            "Go back and pick a reason from the list.".into(),
        )
        .into_response();
    }
    let mut target = url::form_urlencoded::Serializer::new(String::new());
    target.append_pair("state", form.state.as_deref().unwrap_or_default());
    target.append_pair("outcome", decision.as_str());
    if let Some(reason) = &reason {
        target.append_pair("reason", reason);
    }
    if decision == Decision::Approved {
        if let Some(identity) = form.identity.as_deref().filter(|i| !i.is_empty()) {
            target.append_pair("identity", identity);
        }
        if let Some(loa) = form.loa.as_deref().filter(|l| !l.is_empty()) {
            target.append_pair("loa", loa);
        }
    }
    Redirect::to(&format!("/callback/{provider_id}?{}", target.finish())).into_response()
}

fn app_page(
    provider: &SandboxProvider,
    screen: AppScreen,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    app_page_with(provider, screen, error, status, String::new())
}

/// [`app_page`] with the scan form filled in (the app opened on the same device as the page).
fn app_page_with(
    provider: &SandboxProvider,
    screen: AppScreen,
    error: Option<String>,
    status: StatusCode,
    prefill: String,
) -> Response {
    let info = provider.info();
    Page::phone_app(
        status,
        pages::PhoneApp {
            provider_id: info.id.clone(),
            provider_label: info.label.clone(),
            screen,
            error,
            identities: identities(),
            test_identifiers: TEST_IDENTITIES
                .iter()
                .map(|i| i.registration_id.to_owned())
                .collect(),
            loas: (1..=info.max_loa).collect(),
            prefill,
            ui: simulator_ui(),
        },
    )
    .into_response()
}

fn home_screen(provider: &SandboxProvider) -> Option<AppScreen> {
    match provider.kind() {
        SandboxKind::Qr => Some(AppScreen::Scan),
        SandboxKind::Push => Some(AppScreen::Identify),
        SandboxKind::Redirect | SandboxKind::Match => None,
    }
}

#[derive(Deserialize)]
pub struct HomeQuery {
    /// The code the page showed, when the app is opened on the same device.
    code: Option<String>,
}

/// The app's first screen: the camera (QR) or sign-in (push). Opened from the QR page on the
/// same device, the code is already filled in (as BankID's autostart does it).
pub async fn app_home(
    State(state): State<AppState>,
    Path(provider_id): Path<String>,
    query: Result<Query<HomeQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let prefill = query
        .ok()
        .and_then(|Query(q)| q.code)
        .filter(|c| c.len() <= 512)
        .unwrap_or_default();
    home(&state, &provider_id, prefill)
}

fn home(state: &AppState, provider_id: &str, prefill: String) -> Response {
    let provider = match simulator(state, provider_id) {
        Some(p) => p,
        None => return no_simulator(),
    };
    match home_screen(provider) {
        Some(screen) => app_page_with(provider, screen, None, StatusCode::OK, prefill),
        None => Page::message(
            StatusCode::NOT_FOUND,
            simulator_ui(),
            "No app for this provider".into(),
            "This provider works by redirect; it has no phone app.".into(),
        )
        .into_response(),
    }
}

#[derive(Deserialize)]
pub struct ScanForm {
    code: Option<String>,
}

/// The app read a QR code: a genuine, fresh code for a waiting session moves it to
/// "scanned" and asks the tester to confirm or reject.
pub async fn app_scan(
    State(state): State<AppState>,
    Path(provider_id): Path<String>,
    Form(form): Form<ScanForm>,
) -> Response {
    let provider = match simulator(&state, &provider_id) {
        Some(p) if p.kind() == SandboxKind::Qr => p,
        Some(_) => return home(&state, &provider_id, String::new()),
        None => return no_simulator(),
    };
    let refuse = |message: &str| {
        app_page(
            provider,
            AppScreen::Scan,
            Some(message.to_owned()),
            StatusCode::BAD_REQUEST,
        )
    };
    let Some(code) = form.code.as_deref().and_then(QrCode::parse) else {
        return refuse("This is not a code of this provider.");
    };
    // The code names its session; the session's sealed provider state holds the secret
    // that tagged it.
    let session = match state.session(code.session_id).await {
        Ok(session) if session.provider_id == provider_id => {
            let material = state.flow_material(&session);
            provider
                .qr_is_genuine(&code, session_context(&session, &material))
                .then_some(session)
        }
        _ => None,
    };
    let Some(session) = session else {
        return refuse("This is not a code of this provider.");
    };
    if !code.fresh_at(Utc::now().timestamp(), provider.qr_validity_secs()) {
        return refuse("This code has expired. Scan the code shown now.");
    }
    // The attempt belongs to the first phone that scans it, across nodes: a later scan (a
    // second phone that photographed the screen, or read the next code) is refused, so nobody
    // can confirm in that first phone's place.
    let attempt = session.started_at.map_or(0, |at| at.timestamp_micros());
    match state
        .mark_once(
            &format!("qrscan:{}.{attempt}", session.id),
            session.expires_at,
        )
        .await
    {
        Ok(true) => {}
        Ok(false) => {
            return app_page(
                provider,
                AppScreen::Scan,
                Some(
                    "This code was already scanned by another phone. Only that phone can confirm."
                        .to_owned(),
                ),
                StatusCode::CONFLICT,
            );
        }
        Err(e) => return failure(Lang::ENGLISH, e),
    }
    let scanned = state
        .transition(
            code.session_id,
            Actor::EndUser,
            |s| {
                if s.status == Status::Started {
                    vec![(
                        LifecycleEvent::Submit,
                        TransitionNote {
                            details: serde_json::json!({ "step": "qr_scanned" }),
                            ..TransitionNote::default()
                        },
                    )]
                } else {
                    Vec::new()
                }
            },
            |_| {},
        )
        .await;
    match scanned {
        Ok(session) if session.status == Status::Submitted => app_page(
            provider,
            AppScreen::Confirm {
                ticket: state.session_ticket(session.id),
                partner_name: partner_name(&state, &session).await,
            },
            None,
            StatusCode::OK,
        ),
        Ok(_) | Err(ServiceError::Lifecycle(_)) => {
            refuse("This request is no longer waiting for you.")
        }
        Err(ServiceError::NotFound(_)) => refuse("This is not a code of this provider."),
        Err(e) => failure(Lang::ENGLISH, e),
    }
}

#[derive(Deserialize)]
pub struct IdentifyForm {
    identifier: Option<String>,
    /// The verification code shown on the page that asked for the push.
    code: Option<String>,
}

/// The push app signed in: the request waiting for this identifier whose verification code the
/// tester read off the page. Anyone can open the simulator as any test identity, so the code
/// stands in for holding the phone: without it, a tester would see (and could answer) every
/// partner's requests to a shared test identity.
pub async fn app_requests(
    State(state): State<AppState>,
    Path(provider_id): Path<String>,
    Form(form): Form<IdentifyForm>,
) -> Response {
    let provider = match simulator(&state, &provider_id) {
        Some(p) if p.kind() == SandboxKind::Push => p,
        Some(_) => return home(&state, &provider_id, String::new()),
        None => return no_simulator(),
    };
    let identifier = match provider.check_identifier(form.identifier.as_deref().unwrap_or("")) {
        Ok(i) => i,
        Err(e) => {
            return app_page(
                provider,
                AppScreen::Identify,
                Some(e.message),
                StatusCode::BAD_REQUEST,
            );
        }
    };
    let code = form.code.as_deref().map(str::trim).unwrap_or_default();
    if code.is_empty() {
        return app_page(
            provider,
            AppScreen::Identify,
            Some("Enter the verification code shown on the page.".into()),
            StatusCode::BAD_REQUEST,
        );
    }
    let reference = state.push_reference(&provider_id, &identifier);
    let sessions = match state
        .sessions_by_provider_reference(&provider_id, &reference, 20)
        .await
    {
        Ok(s) => s,
        Err(e) => return failure(Lang::ENGLISH, e),
    };
    let mut requests = Vec::new();
    for session in sessions
        .iter()
        .filter(|s| s.status == Status::Started)
        .filter(|s| live::verification_code(&state, s.id) == code)
    {
        requests.push(PendingRequest {
            partner_name: partner_name(&state, session).await,
            code: live::verification_code(&state, session.id),
            ticket: state.session_ticket(session.id),
        });
    }
    app_page(
        provider,
        AppScreen::Requests {
            identifier,
            requests,
        },
        None,
        StatusCode::OK,
    )
}

#[derive(Deserialize)]
pub struct DecideForm {
    ticket: Option<String>,
    outcome: Option<String>,
    identity: Option<String>,
    loa: Option<String>,
}

/// The tester confirmed or rejected in the app: the provider reports its decision.
pub async fn app_decide(
    State(state): State<AppState>,
    Path(provider_id): Path<String>,
    Form(form): Form<DecideForm>,
) -> Response {
    let provider = match simulator(&state, &provider_id) {
        Some(p) if home_screen(p).is_some() => p,
        Some(_) => return home(&state, &provider_id, String::new()),
        None => return no_simulator(),
    };
    let session = match sandbox_session(&state, &provider_id, form.ticket.as_deref()).await {
        Ok(s) => s,
        Err(page) => return page,
    };
    let home = || home_screen(provider).unwrap_or(AppScreen::Scan);
    let decision = match form.outcome.as_deref() {
        Some("approved") => Decision::Approved,
        Some("declined") => Decision::Declined,
        _ => {
            return app_page(
                provider,
                home(),
                Some("Choose Confirm or Reject.".into()),
                StatusCode::BAD_REQUEST,
            );
        }
    };
    // A push request may only be answered by the identity it was sent to.
    if provider.kind() == SandboxKind::Push {
        let sent_to = form
            .identity
            .as_deref()
            .and_then(TestIdentity::by_registration_id)
            .map(|i| state.push_reference(&provider_id, i.registration_id));
        if sent_to.is_none() || sent_to != session.provider_reference {
            return Page::tampered(Lang::ENGLISH).into_response();
        }
    }
    if !matches!(session.status, Status::Started | Status::Submitted) {
        return app_page(
            provider,
            home(),
            Some("This request is no longer waiting for you.".into()),
            StatusCode::CONFLICT,
        );
    }
    let loa = form.loa.as_deref().and_then(|l| l.parse().ok());
    let choice = SandboxChoice {
        decision,
        reason: (decision == Decision::Declined).then_some("user_refused"),
        identity: form.identity.as_deref(),
        loa,
    };
    match state.sandbox_decide(session, choice, Actor::Provider).await {
        Ok(_) | Err(ServiceError::Lifecycle(_)) => app_page(
            provider,
            AppScreen::Done {
                approved: decision == Decision::Approved,
            },
            None,
            StatusCode::OK,
        ),
        Err(ServiceError::InvalidInput(e)) => {
            app_page(provider, home(), Some(e.message), StatusCode::BAD_REQUEST)
        }
        Err(e) => failure(Lang::ENGLISH, e),
    }
}
