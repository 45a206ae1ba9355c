//! QR and push flows as they happen: the page that follows them, its progress endpoint (the
//! page asks once a second; without JavaScript it refreshes itself), and the user's cancel.
//!
//! The QR code is made by the session's provider for every request (`Provider::qr_content`):
//! an animated code carries the second it was made and a tag keyed by a secret kept in the
//! session's sealed provider state, so the browser only ever sees codes, never the secret.
//! While a session waits, each progress request also asks a polling provider how it stands
//! (`Provider::collect`).

use super::language::{Lang, Preferences};
use super::pages::{self, Page};
use super::ui::Ui;
use super::{failure, finish, provider_label, session_ui};
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use idgate_core::{Session, SessionId, Status};
use idgate_providers::{EndUserDevice, FlowType};
use serde::Serialize;

pub(crate) fn qr_svg(content: &str) -> Option<String> {
    let code = qrcode::QrCode::new(content.as_bytes()).ok()?;
    let svg = code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(240, 240)
        .quiet_zone(true)
        .build();
    // Inline in HTML: the XML declaration has no place there.
    let start = svg.find("<svg")?;
    Some(svg[start..].to_owned())
}

/// The short code a push request shows on both screens, so the user confirms the right one.
pub fn verification_code(state: &AppState, id: SessionId) -> String {
    let tag = state.keys().bind("push-verification-code", &id.to_string());
    let number = tag.bytes().fold(0u32, |acc, b| {
        acc.wrapping_mul(31).wrapping_add(u32::from(b))
    });
    format!("{:04}", number % 10_000)
}

fn message(lang: Lang, flow: FlowType, status: Status, label: &str) -> String {
    let id = match (flow, status) {
        (FlowType::Redirect, _) | (_, Status::Review) => "live-checking",
        (FlowType::Qr, Status::Submitted) => "live-qr-scanned",
        (FlowType::Qr, _) => "live-qr-scan",
        (_, _) => "live-push-sent",
    };
    lang.text_with(id, &[("provider", label)])
}

/// `pushed_to`: the identifier this browser sent the push request to, if it did.
pub fn page(
    state: &AppState,
    ui: Ui,
    token: &str,
    session: &Session,
    flow: FlowType,
    pushed_to: Option<String>,
    device: &EndUserDevice,
) -> Page {
    let label = provider_label(state, session);
    let lang = ui.lang;
    // Once a phone has scanned, the attempt is that phone's: no more codes to read.
    let (qr_svg, qr_code) = if flow == FlowType::Qr && session.status == Status::Started {
        let content = state.qr_content(session).unwrap_or_default();
        (qr_svg(&content), content)
    } else {
        (None, String::new())
    };
    Page::live(pages::Live {
        ui,
        token: token.to_owned(),
        heading: lang.text_with(
            if flow == FlowType::Qr {
                "live-qr-title"
            } else {
                "live-push-title"
            },
            &[("provider", &label)],
        ),
        message: message(lang, flow, session.status, &label),
        qr_svg,
        qr_code,
        verification_code: (flow == FlowType::Push).then(|| verification_code(state, session.id)),
        pushed_to: pushed_to
            .filter(|_| flow == FlowType::Push)
            .map(|identifier| lang.text_with("live-push-sent-to", &[("identifier", &identifier)])),
        same_device: (flow == FlowType::Qr && session.status == Status::Started)
            .then(|| same_device_link(state, session, device))
            .flatten(),
        simulated_app: simulated_app(state, &session.provider_id),
        provider_label: label,
    })
}

/// The provider's link that opens its app on this device.
fn same_device_link(state: &AppState, session: &Session, device: &EndUserDevice) -> Option<String> {
    let provider = state.providers().get(&session.provider_id)?;
    let material = state.flow_material(session);
    provider.same_device_link(
        idgate_hub::service::sessions::session_context(session, &material),
        device,
    )
}

/// The simulated app that answers for a sandbox provider: the sandbox's own, or the BankID
/// simulator's.
fn simulated_app(state: &AppState, provider_id: &str) -> Option<pages::SimulatedApp> {
    if state.providers().sandbox(provider_id).is_some() {
        let home = format!("/sandbox/{provider_id}/app");
        return Some(pages::SimulatedApp {
            with_code: format!("{home}?code="),
            home,
        });
    }
    state
        .bankid
        .as_ref()
        .filter(|simulator| simulator.serves(provider_id))
        .map(|_| pages::SimulatedApp {
            home: "/simulators/bankid/app".into(),
            with_code: "/simulators/bankid/app?qr=".into(),
        })
}

#[derive(Serialize)]
struct Progress {
    /// The session is decided (or no longer waiting here): reload the flow's page.
    done: bool,
    status: &'static str,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    qr_svg: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    qr_code: Option<String>,
    /// How the provider says the attempt ended, shown for a moment before the page moves on
    /// (BankID asks that its failure messages be shown).
    #[serde(skip_serializing_if = "Option::is_none")]
    parting: Option<String>,
}

#[derive(serde::Deserialize)]
pub struct ProgressQuery {
    /// Set by a page that follows a flow happening elsewhere (continued on a phone): it waits
    /// until the verification is decided, whatever the flow.
    follow: Option<String>,
}

pub async fn progress(
    State(state): State<AppState>,
    Path(token): Path<String>,
    prefs: Preferences,
    headers: HeaderMap,
    client: Option<axum::Extension<super::client_limit::ClientAddress>>,
    query: Result<axum::extract::Query<ProgressQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let follow = query.is_ok_and(|q| q.follow.is_some());
    let session = match state.session_by_access_token(&token).await {
        Ok(Some(s)) => s,
        // Asked by the page's script: JSON it can read, saying there is nothing to wait for
        // (it then reloads the page, which explains).
        Ok(None) => {
            return (
                axum::http::StatusCode::NOT_FOUND,
                Json(serde_json::json!({"done": true, "status": "unknown"})),
            )
                .into_response();
        }
        Err(e) => return failure(prefs.lang(), e),
    };
    let flow = super::flow_type(&state, &session);
    let (session, hint) = if flow == FlowType::Redirect {
        (session, None)
    } else {
        let device = super::browser::device(
            &state,
            &headers,
            client.map(|axum::Extension(super::client_limit::ClientAddress(ip))| ip),
            super::browser::binding(&state, &headers).as_deref(),
            &token,
        );
        match state.collect(session, Some(&device)).await {
            Ok(collected) => collected,
            Err(e) => return failure(prefs.lang(), e),
        }
    };
    let lang = session_ui(&state, &prefs, &session).await.lang;
    // A redirect flow waits here only once the person is back from the provider (submitted,
    // or in review); QR and push flows from the start.
    let waiting = match session.status {
        s if follow => !s.is_terminal() && s != Status::ResubmissionRequested,
        Status::Started => flow != FlowType::Redirect,
        Status::Submitted | Status::Review => true,
        _ => false,
    };
    let qr = (waiting && flow == FlowType::Qr && session.status == Status::Started)
        .then(|| state.qr_content(&session))
        .flatten();
    Json(Progress {
        done: !waiting,
        status: session.status.as_str(),
        message: match session.status {
            Status::Created if follow => lang.text("phone-waiting"),
            Status::Started if follow => lang.text("phone-continuing"),
            // The provider's own words for where the person is (BankID asks that its
            // official messages be shown).
            Status::Started | Status::Submitted
                if let Some(text) = hint.as_deref().and_then(|hint| {
                    state
                        .providers()
                        .get(&session.provider_id)
                        .and_then(|p| p.user_message(hint, lang.code()))
                }) =>
            {
                text.to_owned()
            }
            status => message(lang, flow, status, &provider_label(&state, &session)),
        },
        qr_svg: qr.as_deref().and_then(qr_svg),
        qr_code: qr,
        parting: (session.status.is_terminal() && session.status != Status::Approved)
            .then_some(session.raw_provider_status.as_deref())
            .flatten()
            .and_then(|raw| {
                state
                    .providers()
                    .get(&session.provider_id)
                    .and_then(|p| p.ending_message(raw, lang.code()))
            })
            .map(str::to_owned),
    })
    .into_response()
}

pub async fn cancel(
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
    if session.status.is_terminal() {
        return finish(&state, &prefs, &session, &headers).await;
    }
    match state.cancel_by_user(session.id).await {
        Ok(session) => finish(&state, &prefs, &session, &headers).await,
        // Decided meanwhile: show what stands.
        Err(idgate_hub::service::ServiceError::Lifecycle(_)) => {
            Redirect::to(&format!("/v/{token}")).into_response()
        }
        Err(e) => failure(prefs.lang(), e),
    }
}

/// "Continue on your phone": a QR code of a single-use, short-lived link that opens this
/// verification on a phone; the page follows the verification and lands on its outcome.
pub async fn phone(
    State(state): State<AppState>,
    Path(token): Path<String>,
    prefs: Preferences,
) -> Response {
    let session = match state.session_by_access_token(&token).await {
        Ok(Some(s)) => s,
        Ok(None) => return Page::invalid_link(prefs.lang()).into_response(),
        Err(e) => return failure(prefs.lang(), e),
    };
    // A front-door sign-in stays in the browser that started it.
    if session.status.is_terminal() || state.is_front_door(&session) {
        return Redirect::to(&format!("/v/{token}")).into_response();
    }
    let code = match state.phone_handoff(&token) {
        Ok(code) => code,
        Err(e) => return failure(prefs.lang(), e),
    };
    let link = format!("{}/h/{code}", state.settings().public_base());
    let page = Page::phone(pages::Phone {
        ui: session_ui(&state, &prefs, &session).await,
        token: token.clone(),
        qr_svg: qr_svg(&link),
        link,
    })
    .into_response();
    super::embedding::allow_frames(&state, &session, page).await
}

/// The phone opens a handoff link: once, within its time, it continues the verification.
pub async fn handoff(
    State(state): State<AppState>,
    Path(code): Path<String>,
    prefs: Preferences,
) -> Response {
    use idgate_hub::service::handoff::HandoffError;
    let lang = prefs.lang();
    match state.redeem_handoff(&code).await {
        Ok(Ok(token)) => Redirect::to(&format!("/v/{token}")).into_response(),
        Ok(Err(HandoffError::Used)) => Page::says(
            axum::http::StatusCode::GONE,
            Ui::new(lang),
            "handoff-used-title",
            "handoff-used",
        )
        .into_response(),
        Ok(Err(HandoffError::Expired)) => Page::says(
            axum::http::StatusCode::GONE,
            Ui::new(lang),
            "handoff-expired-title",
            "handoff-expired",
        )
        .into_response(),
        Ok(Err(HandoffError::Invalid)) => Page::invalid_link(lang).into_response(),
        Err(e) => failure(lang, e),
    }
}
