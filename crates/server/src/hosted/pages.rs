//! Server-rendered pages (askama templates in `crates/server/templates`, auto-escaped).

use super::language::Lang;
pub use super::ui::Ui;
use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use idgate_core::Status;

#[derive(Template)]
#[template(path = "landing.html")]
pub struct Landing {
    pub ui: Ui,
    pub provider_label: String,
    pub token: String,
    pub retry: bool,
    pub expires_at: String,
    /// Push flows: ask for the identifier (prefilled with `identifier`).
    pub push: bool,
    pub identifier: String,
    pub error: Option<String>,
    /// The provider picked on the chooser page (the session offers several).
    pub chosen: Option<String>,
    /// Offer "Continue on your phone".
    pub handoff: bool,
    pub test_identifiers: Vec<String>,
}

/// The ways to verify a session offers, to pick one.
#[derive(Template)]
#[template(path = "chooser.html")]
pub struct Chooser {
    pub ui: Ui,
    pub token: String,
    pub retry: bool,
    pub choices: Vec<Choice>,
    /// Offer "Continue on your phone".
    pub handoff: bool,
    pub expires_at: String,
}

pub struct Choice {
    pub id: String,
    pub label: String,
    /// How it works, in a few words.
    pub hint: String,
}

/// The page that follows a QR or push flow as it happens.
#[derive(Template)]
#[template(path = "live.html")]
pub struct Live {
    pub ui: Ui,
    pub token: String,
    pub provider_label: String,
    pub heading: String,
    pub message: String,
    pub qr_svg: Option<String>,
    pub qr_code: String,
    pub verification_code: Option<String>,
    /// Push: "The request went to …", in this browser that sent it.
    pub pushed_to: Option<String>,
    /// Opens the provider's app on this device (BankID's autostart), when it has one.
    pub same_device: Option<String>,
    /// The simulated app of a sandbox provider (its page; `?code=`/`?qr=` opens a code).
    pub simulated_app: Option<SimulatedApp>,
}

/// Where a sandbox provider's simulated app is, and how it takes a code in its URL.
pub struct SimulatedApp {
    pub home: String,
    /// `home` with the query parameter a code goes in, e.g. `…/app?code=`.
    pub with_code: String,
}

/// "Continue on your phone": the handoff code and link, following the verification.
#[derive(Template)]
#[template(path = "phone.html")]
pub struct Phone {
    pub ui: Ui,
    pub token: String,
    pub qr_svg: Option<String>,
    pub link: String,
}

/// What the simulated phone app shows.
pub enum AppScreen {
    /// QR: paste what the camera read.
    Scan,
    /// Push: sign in with an identifier.
    Identify,
    Requests {
        identifier: String,
        requests: Vec<PendingRequest>,
    },
    Confirm {
        ticket: String,
        partner_name: String,
    },
    Done {
        approved: bool,
    },
}

pub struct PendingRequest {
    pub partner_name: String,
    pub code: String,
    pub ticket: String,
}

#[derive(Template)]
#[template(path = "phone_app.html")]
pub struct PhoneApp {
    pub ui: Ui,
    pub provider_id: String,
    pub provider_label: String,
    pub screen: AppScreen,
    pub error: Option<String>,
    pub identities: Vec<(String, String)>,
    pub test_identifiers: Vec<String>,
    pub loas: Vec<u8>,
    /// The scan form's content when the app was opened from the page on the same device.
    pub prefill: String,
}

#[derive(Template)]
#[template(path = "waiting.html")]
pub struct Waiting {
    pub ui: Ui,
    /// The flow's token: the page follows `/v/{token}/progress` and moves on when the session
    /// does. Without one (a provider's return page) it reloads itself now and then.
    pub token: Option<String>,
}

#[derive(Template)]
#[template(path = "message.html")]
pub struct Message {
    pub ui: Ui,
    pub heading: String,
    pub message: String,
    /// A way back to the partner's return URL.
    pub back: Option<String>,
}

#[derive(Template)]
#[template(path = "accessibility.html")]
pub struct Accessibility {
    pub ui: Ui,
}

/// The last page of a flow embedded in a partner's page: it tells the parent the flow is over
/// (the parent closes the frame) and offers the way on at the top level.
#[derive(Template)]
#[template(path = "frame_done.html")]
pub struct FrameDone {
    pub ui: Ui,
    pub heading: String,
    pub message: String,
    /// `VERIFF_FINISHED`, or `VERIFF_CANCELED` when the person cancelled.
    pub event: &'static str,
    pub target: Option<String>,
}

#[derive(Template)]
#[template(path = "sandbox.html")]
pub struct Sandbox {
    pub ui: Ui,
    pub provider_id: String,
    pub provider_label: String,
    pub state: String,
    pub reasons: Vec<(String, String)>,
    pub identities: Vec<(String, String)>,
    pub loas: Vec<u8>,
    pub match_capable: bool,
}

#[derive(Template)]
#[template(path = "demo_return.html")]
pub struct DemoReturn {
    pub ui: Ui,
    pub session_id: String,
    pub status: String,
    pub reason: String,
    pub token_check: String,
}

/// The OIDC simulator's login page.
#[derive(Template)]
#[template(path = "oidc_login.html")]
pub struct OidcLogin {
    pub ui: Ui,
    pub request: String,
    pub identities: Vec<(String, String)>,
    pub acrs: Vec<(String, String)>,
    pub preferred: String,
}

/// A rendered page and its status code.
pub struct Page {
    status: StatusCode,
    body: Result<String, askama::Error>,
}

impl Page {
    fn render(status: StatusCode, t: &impl Template) -> Self {
        Page {
            status,
            body: t.render(),
        }
    }

    pub fn landing(status: StatusCode, t: Landing) -> Self {
        Self::render(status, &t)
    }

    pub fn chooser(t: Chooser) -> Self {
        Self::render(StatusCode::OK, &t)
    }

    pub fn oidc_login(t: OidcLogin) -> Self {
        Self::render(StatusCode::OK, &t)
    }

    pub fn live(t: Live) -> Self {
        Self::render(StatusCode::OK, &t)
    }

    pub fn phone(t: Phone) -> Self {
        Self::render(StatusCode::OK, &t)
    }

    pub fn phone_app(status: StatusCode, t: PhoneApp) -> Self {
        Self::render(status, &t)
    }

    pub fn waiting(ui: Ui, token: Option<String>) -> Self {
        Self::render(StatusCode::OK, &Waiting { ui, token })
    }

    pub fn sandbox(t: Sandbox) -> Self {
        Self::render(StatusCode::OK, &t)
    }

    pub fn demo(t: DemoReturn) -> Self {
        Self::render(StatusCode::OK, &t)
    }

    pub fn accessibility(ui: Ui) -> Self {
        Self::render(StatusCode::OK, &Accessibility { ui })
    }

    /// A page with a heading and a message, already in the page's language.
    pub fn message(status: StatusCode, ui: Ui, heading: String, message: String) -> Self {
        Self::render(
            status,
            &Message {
                ui,
                heading,
                message,
                back: None,
            },
        )
    }

    /// A page saying the catalogue's messages `heading` and `message`.
    pub fn says(status: StatusCode, ui: Ui, heading: &str, message: &str) -> Self {
        let (heading, message) = (ui.t(heading), ui.t(message));
        Self::message(status, ui, heading, message)
    }

    pub fn invalid_link(lang: Lang) -> Self {
        Self::says(
            StatusCode::NOT_FOUND,
            Ui::new(lang),
            "invalid-link-title",
            "invalid-link",
        )
    }

    pub fn tampered(lang: Lang) -> Self {
        Self::says(
            StatusCode::BAD_REQUEST,
            Ui::new(lang),
            "invalid-link-title",
            "tampered",
        )
    }

    /// A provider sent the browser back long after Continue (a stale link from history).
    pub fn attempt_expired(lang: Lang) -> Self {
        Self::says(
            StatusCode::BAD_REQUEST,
            Ui::new(lang),
            "attempt-expired-title",
            "attempt-expired",
        )
    }

    /// A provider sent back a browser other than the one that started (or one that lost its
    /// cookie).
    pub fn other_browser(lang: Lang) -> Self {
        Self::says(
            StatusCode::BAD_REQUEST,
            Ui::new(lang),
            "other-browser-title",
            "other-browser",
        )
    }

    /// Where the verification stands, for sessions whose partner gave no return URL; `back`
    /// links to the partner.
    pub fn result(ui: Ui, status: Status, reason: Option<&str>, back: Option<String>) -> Self {
        let (heading, message) = outcome_text(&ui, status, reason);
        Self::render(
            StatusCode::OK,
            &Message {
                ui,
                heading,
                message,
                back,
            },
        )
    }

    /// The outcome inside a partner's frame; `target` is where the partner expects the person.
    pub fn frame_done(
        ui: Ui,
        status: Status,
        reason: Option<&str>,
        target: Option<String>,
    ) -> Self {
        let (heading, message) = outcome_text(&ui, status, reason);
        Self::render(
            StatusCode::OK,
            &FrameDone {
                ui,
                heading,
                message,
                event: if status == Status::Cancelled {
                    "VERIFF_CANCELED"
                } else {
                    "VERIFF_FINISHED"
                },
                target,
            },
        )
    }
}

/// What the person is told about where their verification stands (`reason`: the session's,
/// which says who cancelled).
fn outcome_text(ui: &Ui, status: Status, reason: Option<&str>) -> (String, String) {
    let (heading, message) = match (status, reason) {
        (Status::Approved, _) => ("outcome-approved-title", "outcome-approved"),
        (Status::Declined | Status::Failed, _) => ("outcome-declined-title", "outcome-declined"),
        (Status::ResubmissionRequested, _) => ("outcome-resubmit-title", "outcome-resubmit"),
        (Status::Review | Status::Submitted, _) => ("outcome-review-title", "outcome-review"),
        (Status::Cancelled, Some("partner_cancelled")) => {
            ("outcome-cancelled-title", "outcome-cancelled-by-partner")
        }
        (Status::Cancelled, _) => ("outcome-cancelled-title", "outcome-cancelled"),
        (Status::Expired | Status::Abandoned, _) => ("outcome-expired-title", "outcome-expired"),
        (Status::Created | Status::Started, _) => {
            ("outcome-unfinished-title", "outcome-unfinished")
        }
    };
    (ui.t(heading), ui.t1(message, "partner", &ui.partner()))
}

impl IntoResponse for Page {
    fn into_response(self) -> Response {
        match self.body {
            Ok(html) => {
                let mut r = (self.status, Html(html)).into_response();
                r.headers_mut()
                    .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
                r
            }
            Err(e) => {
                tracing::error!(error = %e, "page rendering failed");
                (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
            }
        }
    }
}
