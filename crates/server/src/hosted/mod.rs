//! The end user's side: the hosted flow at `/v/{token}`, provider callbacks at
//! `/callback/{provider}`, the demo partner's landing page,
//! and the public key set result tokens are checked against.

pub(crate) mod browser;
pub(crate) mod client_limit;
pub(crate) mod embedding;
pub(crate) mod language;
pub(crate) mod live;
pub(crate) mod pages;
pub(crate) mod ui;

use crate::state::AppState;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::Utc;
use idgate_core::{Actor, Session, Status};
use idgate_hub::result_token::{self, TokenInput};
use idgate_hub::service::ServiceError;
use idgate_hub::service::sessions::FlowStateError;
use idgate_providers::sandbox::identities::TEST_IDENTITIES;
use idgate_providers::{FlowType, ProviderError, Returned, StartAction};
use language::{Lang, Preferences};
use pages::Page;
use serde::Deserialize;
use std::collections::BTreeMap;
use ui::{Brand, Ui};

/// The public pages, each request counted against its client's limit (`state` gives the
/// limiter).
pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/v/{token}", get(landing))
        .route("/v/{token}/start", post(start))
        .route("/v/{token}/progress", get(live::progress))
        .route("/v/{token}/cancel", post(live::cancel))
        .route("/v/{token}/phone", get(live::phone))
        .route("/h/{code}", get(live::handoff))
        .route("/callback/{provider}", get(callback))
        .route("/callback/{provider}/wait", get(callback_wait))
        .route("/demo/return", get(demo_return))
        .route("/.well-known/jwks.json", get(jwks))
        .route("/assets/idgate.css", get(stylesheet))
        .route("/assets/idgate.js", get(script))
        .route("/favicon.ico", get(favicon))
        .route("/accessibility", get(accessibility))
        .route("/brand/{partner}/logo", get(brand_logo))
        .route("/brand/{partner}/style.css", get(brand_stylesheet))
        .layer(axum::middleware::from_fn(language::remember))
        .layer(axum::middleware::from_fn_with_state(
            state,
            client_limit::enforce,
        ))
}

/// Any path nobody serves: a page, since people land here from links.
pub async fn not_found(prefs: Preferences) -> Response {
    Page::says(
        StatusCode::NOT_FOUND,
        Ui::for_request(&prefs, prefs.lang()),
        "not-found-title",
        "not-found",
    )
    .into_response()
}

async fn accessibility(prefs: Preferences) -> Response {
    Page::accessibility(Ui::for_request(&prefs, prefs.lang())).into_response()
}

/// The partner's logo, as uploaded (its address changes with each new one).
async fn brand_logo(State(state): State<AppState>, Path(partner): Path<String>) -> Response {
    let logo = match partner.parse() {
        Ok(id) => state.partner_logo(id).await,
        Err(_) => Ok(None),
    };
    match logo {
        Ok(Some(logo)) => {
            let Ok(media_type) = HeaderValue::from_str(&logo.media_type) else {
                return StatusCode::NOT_FOUND.into_response();
            };
            (
                [
                    (header::CONTENT_TYPE, media_type),
                    (
                        header::CACHE_CONTROL,
                        HeaderValue::from_static("public, max-age=86400"),
                    ),
                ],
                logo.bytes,
            )
                .into_response()
        }
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(e) => failure(Lang::ENGLISH, e),
    }
}

/// The partner's colour as styles (served, as inline styles are not allowed on the pages).
async fn brand_stylesheet(State(state): State<AppState>, Path(partner): Path<String>) -> Response {
    let partner = match partner.parse() {
        Ok(id) => state.partner(id).await.ok(),
        Err(_) => None,
    };
    let Some(color) = partner.and_then(|p| p.branding.primary_color) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/css; charset=utf-8"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=86400"),
            ),
        ],
        ui::brand_stylesheet(&color),
    )
        .into_response()
}

pub(crate) fn is_sandbox(state: &AppState, session: &Session) -> bool {
    state
        .providers()
        .get(&session.provider_id)
        .is_some_and(|p| p.info().sandbox)
}

pub(crate) fn flow_type(state: &AppState, session: &Session) -> FlowType {
    state
        .providers()
        .get(&session.provider_id)
        .map_or(FlowType::Redirect, |p| p.info().flow_type)
}

pub(crate) fn provider_label(state: &AppState, session: &Session) -> String {
    state
        .providers()
        .get(&session.provider_id)
        .map_or_else(|| session.provider_id.clone(), |p| p.info().label.clone())
}

/// The partner's name as its people know it (its brand's display name).
pub(crate) async fn partner_name(state: &AppState, session: &Session) -> String {
    match state.session_partner(session).await {
        Ok(p) => Brand::of(&p).name,
        Err(_) => Lang::ENGLISH.text("unknown-partner"),
    }
}

/// The frame of a page about `session`: the language chosen for it, the partner's brand and
/// the sandbox banner.
pub(crate) async fn session_ui(state: &AppState, prefs: &Preferences, session: &Session) -> Ui {
    let partner = state.session_partner(session).await.ok();
    let lang = prefs.choose(
        Some(session),
        partner
            .as_ref()
            .and_then(|p| p.branding.language.as_deref()),
    );
    Ui::for_request(prefs, lang)
        .sandbox(is_sandbox(state, session))
        .brand(partner.as_ref().map(Brand::of))
}

/// A service failure as a page a person can read.
pub(crate) fn failure(lang: Lang, e: ServiceError) -> Response {
    match e {
        ServiceError::NotFound(_) => Page::invalid_link(lang).into_response(),
        ServiceError::RateLimited(limited) => client_limit::too_many_requests(lang, &limited),
        ServiceError::Lifecycle(_) => Page::says(
            StatusCode::CONFLICT,
            Ui::new(lang),
            "step-done-title",
            "step-done",
        )
        .into_response(),
        other => {
            tracing::error!(error = %other, "hosted flow failed");
            Page::says(
                StatusCode::INTERNAL_SERVER_ERROR,
                Ui::new(lang),
                "failure-title",
                "failure",
            )
            .into_response()
        }
    }
}

/// Where a session ends for the browser: the partner's return URL with the outcome (and a
/// signed result token), or a result page when the partner gave no return URL. Safe to repeat.
/// In a partner's frame, a page that tells the parent the flow is over (and links to the
/// return URL at the top level) instead of the partner's page inside the frame.
pub(crate) async fn finish(
    state: &AppState,
    prefs: &Preferences,
    session: &Session,
    headers: &HeaderMap,
) -> Response {
    // A sign-in through the OpenID Connect front door returns as OAuth says (a code or an
    // error), and only to the browser that started it; never the dialect's parameters.
    let signin = browser::signin(state, headers);
    if let Some(front_door) = state.oidc_return(session, signin.as_deref()) {
        use idgate_hub::service::oidc_front_door::FrontDoorReturn;
        let ui = session_ui(state, prefs, session).await;
        return match front_door {
            FrontDoorReturn::Redirect(url) => Redirect::to(url.as_str()).into_response(),
            FrontDoorReturn::OtherBrowser => Page::says(
                StatusCode::BAD_REQUEST,
                ui,
                "signin-other-browser-title",
                "signin-other-browser",
            )
            .into_response(),
            FrontDoorReturn::Stale => {
                Page::says(StatusCode::GONE, ui, "signin-stale-title", "signin-stale")
                    .into_response()
            }
            FrontDoorReturn::StayHere => {
                Page::result(ui, session.status, session.reason.as_deref(), None).into_response()
            }
        };
    }
    let response = match return_target(state, session) {
        Ok(target) if embedding::framed(headers) => Page::frame_done(
            session_ui(state, prefs, session).await,
            session.status,
            session.reason.as_deref(),
            target.map(String::from),
        )
        .into_response(),
        Ok(Some(target)) => Redirect::to(target.as_str()).into_response(),
        // The result page, never a dead end: a way back to the partner (its return URL with
        // the outcome, without a token, which has expired) when it gave one.
        Ok(None) => Page::result(
            session_ui(state, prefs, session).await,
            session.status,
            session.reason.as_deref(),
            way_back(state, session).map(String::from),
        )
        .into_response(),
        Err(e) => failure(prefs.choose(Some(session), None), e),
    };
    embedding::allow_frames(state, session, response).await
}

/// The partner's return URL with the session and its outcome but no result token (the
/// partner reads the outcome from its API), for a person arriving after the token expired.
fn way_back(state: &AppState, session: &Session) -> Option<url::Url> {
    let mut url = url::Url::parse(session.return_url.as_deref()?).ok()?;
    let (status, reason) = state
        .dialects()
        .wire(session.dialect)
        .return_outcome(session);
    {
        let mut query = url.query_pairs_mut();
        query.append_pair("session_id", &session.id.to_string());
        query.append_pair("status", status);
        if let Some(reason) = &reason {
            query.append_pair("reason", reason);
        }
    }
    Some(url)
}

/// The return URL with the outcome, or `None` when the partner gave none or its token would
/// have expired.
fn return_target(state: &AppState, session: &Session) -> Result<Option<url::Url>, ServiceError> {
    let (status, reason) = state
        .dialects()
        .wire(session.dialect)
        .return_outcome(session);
    let Some(return_url) = &session.return_url else {
        return Ok(None);
    };
    // The partner is given the result once, while its token is fresh: the token is minted as
    // of the decision (the same token on every visit), and once it has expired a visit shows
    // the result instead of sending a new token along with the browser (history, mail link
    // scanners and logs keep old links).
    let decided = session.decided_at.unwrap_or_else(Utc::now);
    let lifetime = state.config().result_token_lifetime;
    if Utc::now() > decided + lifetime {
        return Ok(None);
    }
    let Ok(mut url) = url::Url::parse(return_url) else {
        return Err(ServiceError::Internal(
            "stored return URL does not parse".into(),
        ));
    };
    let token = result_token::sign(
        &state.keys().signing,
        TokenInput {
            issuer: state.settings().public_base(),
            partner_id: session.partner_id.to_string(),
            session_id: session.id.to_string(),
            status,
            canonical_status: session.status.as_str(),
            reason: reason.as_deref(),
            now: decided,
            lifetime,
        },
    );
    let token = token.map_err(|e| ServiceError::Internal(e.to_string()))?;
    {
        let mut query = url.query_pairs_mut();
        query.append_pair("session_id", &session.id.to_string());
        query.append_pair("status", status);
        if let Some(reason) = &reason {
            query.append_pair("reason", reason);
        }
        query.append_pair("result_token", &token);
    }
    Ok(Some(url))
}

async fn landing(
    State(state): State<AppState>,
    Path(token): Path<String>,
    prefs: Preferences,
    headers: HeaderMap,
) -> Response {
    let session = match state.session_by_access_token(&token).await {
        Ok(Some(s)) => s,
        Ok(None) => return Page::invalid_link(prefs.lang()).into_response(),
        Err(e) => return failure(prefs.lang(), e),
    };
    let flow = flow_type(&state, &session);
    let ui = session_ui(&state, &prefs, &session).await;
    let response = match session.status {
        s if s.is_terminal() => return finish(&state, &prefs, &session, &headers).await,
        Status::Started | Status::Submitted if flow != FlowType::Redirect => {
            // Shown only when it is the identifier this session's request went to.
            let pushed_to = browser::pushed_to(&headers).filter(|identifier| {
                session.provider_reference.as_deref()
                    == Some(
                        state
                            .push_reference(&session.provider_id, identifier)
                            .as_str(),
                    )
            });
            let device = browser::device(
                &state,
                &headers,
                None,
                browser::binding(&state, &headers).as_deref(),
                &token,
            );
            live::page(&state, ui, &token, &session, flow, pushed_to, &device).into_response()
        }
        Status::Submitted | Status::Review => Page::waiting(ui, Some(token)).into_response(),
        Status::Created | Status::ResubmissionRequested if session.provider_choices().len() > 1 => {
            chooser_page(&state, ui, &session, token)
        }
        _ => landing_page(&state, ui, &session, token, None, StatusCode::OK, None),
    };
    embedding::allow_frames(&state, &session, response).await
}

/// The first page when the partner offers several providers: the person picks one (a
/// redirect or QR provider starts at once; a push provider asks for the identifier first).
fn chooser_page(state: &AppState, ui: Ui, session: &Session, token: String) -> Response {
    let choices = session
        .provider_choices()
        .into_iter()
        .filter_map(|id| state.providers().get(&id).map(|p| p.info().clone()))
        .map(|info| {
            let how = match info.flow_type {
                FlowType::Redirect => "choose-in-browser",
                FlowType::Qr => "choose-scan",
                FlowType::Push => "choose-app",
            };
            pages::Choice {
                hint: ui.t(how),
                id: info.id,
                label: info.label,
            }
        })
        .collect();
    Page::chooser(pages::Chooser {
        ui: ui.here(format!("/v/{token}")),
        token,
        retry: session.status == Status::ResubmissionRequested,
        choices,
        handoff: !state.is_front_door(session),
        expires_at: session.expires_at.format("%Y-%m-%d %H:%M UTC").to_string(),
    })
    .into_response()
}

/// The first page: who asks, with which provider; for push flows, the identifier form.
/// `typed`: what the person entered, shown again with an error so nothing is lost.
fn landing_page(
    state: &AppState,
    ui: Ui,
    session: &Session,
    token: String,
    error: Option<String>,
    status: StatusCode,
    typed: Option<String>,
) -> Response {
    let identifier = typed
        .or_else(|| {
            session
                .applicant
                .as_ref()
                .and_then(|a| a.provider_fields.get("registrationId"))
                .cloned()
        })
        .unwrap_or_default();
    Page::landing(
        status,
        pages::Landing {
            // A form's answer switches language by the landing page.
            ui: ui.here(format!("/v/{token}")),
            provider_label: provider_label(state, session),
            token,
            retry: session.status == Status::ResubmissionRequested,
            expires_at: session.expires_at.format("%Y-%m-%d %H:%M UTC").to_string(),
            push: flow_type(state, session) == FlowType::Push,
            identifier,
            error,
            chosen: (session.provider_choices().len() > 1).then(|| session.provider_id.clone()),
            // A front-door sign-in stays in the browser that started it.
            handoff: !state.is_front_door(session),
            test_identifiers: TEST_IDENTITIES
                .iter()
                .map(|i| i.registration_id.to_owned())
                .collect(),
        },
    )
    .into_response()
}

#[derive(Deserialize)]
struct StartForm {
    identifier: Option<String>,
    /// The provider picked on the chooser page.
    provider: Option<String>,
}

async fn start(
    State(state): State<AppState>,
    Path(token): Path<String>,
    prefs: Preferences,
    headers: HeaderMap,
    client: Option<axum::Extension<client_limit::ClientAddress>>,
    form: Result<Form<StartForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let session = match state.session_by_access_token(&token).await {
        Ok(Some(s)) => s,
        Ok(None) => return Page::invalid_link(prefs.lang()).into_response(),
        Err(e) => return failure(prefs.lang(), e),
    };
    if session.status.is_terminal() {
        return finish(&state, &prefs, &session, &headers).await;
    }
    let ui = session_ui(&state, &prefs, &session).await;
    let lang = ui.lang;
    // A front-door sign-in is started only in the browser that came to `authorize`: a
    // forwarded link must not verify someone else for the sender.
    if state.is_front_door(&session)
        && !state.front_door_browser(&session, browser::signin(&state, &headers).as_deref())
    {
        return Page::says(
            StatusCode::BAD_REQUEST,
            ui,
            "signin-other-browser-title",
            "signin-other-browser",
        )
        .into_response();
    }
    if matches!(session.status, Status::Submitted | Status::Review) {
        return Redirect::to(&format!("/v/{token}")).into_response();
    }
    let (identifier, chosen) = form
        .ok()
        .map(|Form(f)| (f.identifier, f.provider))
        .unwrap_or_default();
    // A pick from the chooser: one of the session's, or the link was tampered with.
    let mut session = session;
    if let Some(choice) = &chosen
        && session.status != Status::Started
    {
        if !session.provider_choices().contains(choice) {
            return Page::tampered(lang).into_response();
        }
        session.provider_id.clone_from(choice);
    }
    let flow = flow_type(&state, &session);
    if flow == FlowType::Push && session.status == Status::Started {
        // Already pushed: the waiting page follows that request.
        return Redirect::to(&format!("/v/{token}")).into_response();
    }
    // The chooser's buttons send no identifier field; the identifier form always does.
    let from_chooser = chosen.is_some() && identifier.is_none();
    let identifier = identifier.filter(|_| flow == FlowType::Push);
    if flow == FlowType::Push && identifier.as_deref().is_none_or(|i| i.trim().is_empty()) {
        // Picked a push provider just now: its identifier form, no error yet.
        let message = (!from_chooser).then(|| ui.t("landing-identifier-missing"));
        let status = if message.is_some() {
            StatusCode::BAD_REQUEST
        } else {
            StatusCode::OK
        };
        let page = landing_page(&state, ui, &session, token, message, status, None);
        return embedding::allow_frames(&state, &session, page).await;
    }
    // The same browser keeps its binding (a second tab); a new one gets its own.
    let browser = match browser::binding(&state, &headers) {
        Some(value) => value,
        None => match idgate_hub::random::random_token(18) {
            Ok(value) => value,
            Err(e) => return failure(lang, e.into()),
        },
    };
    let device = browser::device(
        &state,
        &headers,
        client.map(|axum::Extension(client_limit::ClientAddress(ip))| ip),
        Some(&browser),
        &token,
    );
    match state
        .start_at_provider(
            session.id,
            identifier.as_deref(),
            Some(&browser),
            chosen.as_deref(),
            Some(&device),
        )
        .await
    {
        Ok((_, StartAction::Redirect { url, .. })) => {
            let mut response = Redirect::to(&url).into_response();
            browser::set(&state, &mut response, &browser, embedding::framed(&headers));
            response
        }
        Ok((_, StartAction::Qr { .. })) => {
            // Kept so the browser's device identifier stays the same for a renewed order.
            let mut response = Redirect::to(&format!("/v/{token}")).into_response();
            browser::set(&state, &mut response, &browser, embedding::framed(&headers));
            response
        }
        Ok((_, StartAction::Push { .. })) => {
            let mut response = Redirect::to(&format!("/v/{token}")).into_response();
            // As the provider reads it (the session files the request under that form).
            let canonical = identifier.as_deref().and_then(|typed| {
                state
                    .providers()
                    .get(&session.provider_id)
                    .and_then(|p| p.check_identifier(typed).ok())
            });
            if let Some(identifier) = canonical {
                browser::set_pushed_to(&state, &mut response, &token, &identifier);
            }
            response
        }
        Err(ServiceError::InvalidInput(e)) => {
            let page = landing_page(
                &state,
                ui,
                &session,
                token,
                Some(e.message),
                StatusCode::BAD_REQUEST,
                identifier.clone(),
            );
            embedding::allow_frames(&state, &session, page).await
        }
        Err(ServiceError::Lifecycle(_)) => Redirect::to(&format!("/v/{token}")).into_response(),
        // The provider's own words, on the page the person can try again from.
        Err(ServiceError::Provider(ProviderError::StartRefused(code))) => {
            let message = state
                .providers()
                .get(&session.provider_id)
                .and_then(|p| p.ending_message(&code, lang.code()))
                .map_or_else(|| ui.t("failure"), str::to_owned);
            let page = landing_page(
                &state,
                ui,
                &session,
                token,
                Some(message),
                StatusCode::CONFLICT,
                identifier.clone(),
            );
            embedding::allow_frames(&state, &session, page).await
        }
        Err(e) => failure(lang, e),
    }
}

/// The session and attempt a provider round trip's `state` names, if it is genuine, still
/// valid and held by this browser; the page to show otherwise. A session whose time is up
/// expires first: a provider that answers after it decides nothing.
async fn round_trip(
    state: &AppState,
    prefs: &Preferences,
    headers: &HeaderMap,
    params: &BTreeMap<String, String>,
) -> Result<(Session, String), Response> {
    let lang = prefs.lang();
    let checked = params
        .get("state")
        .map(|s| state.check_flow_state(s, browser::binding(state, headers).as_deref()));
    let (id, attempt) = match checked {
        Some(Ok(found)) => found,
        Some(Err(FlowStateError::OtherBrowser)) => {
            return Err(Page::other_browser(lang).into_response());
        }
        Some(Err(FlowStateError::Expired)) => {
            return Err(Page::attempt_expired(lang).into_response());
        }
        Some(Err(FlowStateError::Tampered)) | None => {
            return Err(Page::tampered(lang).into_response());
        }
    };
    let session = state.session(id).await.map_err(|e| failure(lang, e))?;
    let session = state
        .expire_if_due(session, Utc::now())
        .await
        .map_err(|e| failure(lang, e))?;
    Ok((session, attempt))
}

async fn callback(
    State(state): State<AppState>,
    Path(provider_id): Path<String>,
    prefs: Preferences,
    headers: HeaderMap,
    Query(params): Query<BTreeMap<String, String>>,
) -> Response {
    let lang = prefs.lang();
    let (session, attempt) = match round_trip(&state, &prefs, &headers, &params).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let id = session.id;
    let Some(provider) = state
        .providers()
        .get(&provider_id)
        .filter(|_| session.provider_id == provider_id)
    else {
        return Page::tampered(lang).into_response();
    };
    if session.status.is_terminal() {
        return finish(&state, &prefs, &session, &headers).await;
    }
    // Each callback may make idgate call the provider (a code exchange): bounded per session.
    if let Err(e) = state.count_provider_exchange(id).await {
        return failure(lang, e);
    }
    let material = state.attempt_material(&session, Some(&attempt));
    let context = idgate_hub::service::sessions::session_context(&session, &material);
    let outcome = match provider.callback(&params, context).await {
        Ok(Returned::Decided(outcome)) => outcome,
        // Finished at the provider, which decides later: wait on a page of our own (reloading
        // the callback would ask the provider again).
        Ok(Returned::Submitted) => {
            return match state.provider_submitted(session).await {
                Ok(_) | Err(ServiceError::Lifecycle(_)) => {
                    let mut wait = url::form_urlencoded::Serializer::new(String::new());
                    wait.append_pair("state", params.get("state").map_or("", String::as_str));
                    Redirect::to(&format!("/callback/{provider_id}/wait?{}", wait.finish()))
                        .into_response()
                }
                Err(e) => failure(lang, e),
            };
        }
        Err(e) => {
            tracing::warn!(provider = %provider_id, error = %e, "provider callback refused");
            return Page::tampered(lang).into_response();
        }
    };
    match state.apply_outcome(id, &outcome, Actor::Provider).await {
        Ok(session) => finish(&state, &prefs, &session, &headers).await,
        // Decided meanwhile (another tab, a webhook): show what stands.
        Err(ServiceError::Lifecycle(_)) => match state.session(id).await {
            Ok(session) => finish(&state, &prefs, &session, &headers).await,
            Err(e) => failure(lang, e),
        },
        Err(e) => failure(lang, e),
    }
}

/// Where the browser waits after finishing at a provider that decides later: the decision
/// arrives by webhook or by the decision check, and this page (reloading itself) shows it.
/// The round trip's `state` opens it, in the browser that started.
async fn callback_wait(
    State(state): State<AppState>,
    Path(provider_id): Path<String>,
    prefs: Preferences,
    headers: HeaderMap,
    Query(params): Query<BTreeMap<String, String>>,
) -> Response {
    let session = match round_trip(&state, &prefs, &headers, &params).await {
        Ok((session, _)) => session,
        Err(page) => return page,
    };
    if session.provider_id != provider_id {
        return Page::tampered(prefs.lang()).into_response();
    }
    match session.status {
        Status::Started | Status::Submitted | Status::Review => {
            let ui = session_ui(&state, &prefs, &session).await;
            let page = Page::waiting(ui, None).into_response();
            embedding::allow_frames(&state, &session, page).await
        }
        _ => finish(&state, &prefs, &session, &headers).await,
    }
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
    if !state.settings().demo.partner {
        return Page::says(
            StatusCode::NOT_FOUND,
            Ui::new(Lang::ENGLISH),
            "not-found-title",
            "not-found",
        )
        .into_response();
    }
    let session = match q.session_id.as_deref().and_then(|s| s.parse().ok()) {
        Some(id) => state.session(id).await.ok(),
        None => None,
    };
    let token_check = match (&q.result_token, &session) {
        (Some(token), Some(session)) => match result_token::verify(
            &state.keys().signing,
            token,
            state.settings().public_base(),
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
        ui: Ui::new(Lang::ENGLISH).sandbox(true),
    })
    .into_response()
}

async fn jwks(State(state): State<AppState>) -> Response {
    let mut response = Json(result_token::jwks(&state.keys().signing)).into_response();
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    response
}

async fn script() -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/javascript; charset=utf-8"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=3600"),
            ),
        ],
        include_str!("../../assets/idgate.js"),
    )
        .into_response()
}

/// idgate's icon (SVG, which browsers take from `/favicon.ico` by its content type).
async fn favicon() -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("image/svg+xml"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=86400"),
            ),
        ],
        include_str!("../../assets/favicon.svg"),
    )
        .into_response()
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
