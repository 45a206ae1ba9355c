//! Server-rendered pages (askama templates in `crates/server/templates`, auto-escaped).

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use idgate_core::Status;

#[derive(Template)]
#[template(path = "landing.html")]
pub struct Landing {
    pub partner_name: String,
    pub provider_label: String,
    pub token: String,
    pub retry: bool,
    pub expires_at: String,
    pub sandbox: bool,
    /// Push flows: ask for the identifier (prefilled with `identifier`).
    pub push: bool,
    pub identifier: String,
    pub error: Option<String>,
    pub test_identifiers: Vec<String>,
}

/// The page that follows a QR or push flow as it happens.
#[derive(Template)]
#[template(path = "live.html")]
pub struct Live {
    pub token: String,
    pub provider_id: String,
    pub provider_label: String,
    pub heading: String,
    pub message: String,
    pub qr_svg: Option<String>,
    pub qr_code: String,
    pub verification_code: Option<String>,
    pub sandbox: bool,
}

/// "Continue on your phone": the handoff code and link, following the verification.
#[derive(Template)]
#[template(path = "phone.html")]
pub struct Phone {
    pub token: String,
    pub qr_svg: Option<String>,
    pub link: String,
    pub partner_name: String,
    pub sandbox: bool,
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
    pub provider_id: String,
    pub provider_label: String,
    pub screen: AppScreen,
    pub error: Option<String>,
    pub identities: Vec<(String, String)>,
    pub test_identifiers: Vec<String>,
    pub loas: Vec<u8>,
    /// The scan form's content when the app was opened from the page on the same device.
    pub prefill: String,
    pub sandbox: bool,
}

#[derive(Template)]
#[template(path = "waiting.html")]
pub struct Waiting {
    pub partner_name: String,
    /// The flow's token: the page follows `/v/{token}/progress` and moves on when the session
    /// does. Without one (a provider's return page) it reloads itself now and then.
    pub token: Option<String>,
    pub sandbox: bool,
}

#[derive(Template)]
#[template(path = "message.html")]
pub struct Message {
    pub heading: String,
    pub message: String,
    /// A way back to the partner: its name and the link.
    pub back: Option<(String, String)>,
    pub sandbox: bool,
}

/// The last page of a flow embedded in a partner's page: it tells the parent the flow is over
/// (the parent closes the frame) and offers the way on at the top level.
#[derive(Template)]
#[template(path = "frame_done.html")]
pub struct FrameDone {
    pub heading: String,
    pub message: String,
    /// `VERIFF_FINISHED`, or `VERIFF_CANCELED` when the person cancelled.
    pub event: &'static str,
    pub target: Option<String>,
    pub sandbox: bool,
}

#[derive(Template)]
#[template(path = "sandbox.html")]
pub struct Sandbox {
    pub provider_id: String,
    pub provider_label: String,
    pub state: String,
    pub reasons: Vec<(String, String)>,
    pub identities: Vec<(String, String)>,
    pub loas: Vec<u8>,
    pub match_capable: bool,
    pub sandbox: bool,
}

#[derive(Template)]
#[template(path = "demo_return.html")]
pub struct DemoReturn {
    pub session_id: String,
    pub status: String,
    pub reason: String,
    pub token_check: String,
    pub sandbox: bool,
}

/// The OIDC simulator's login page.
#[derive(Template)]
#[template(path = "oidc_login.html")]
pub struct OidcLogin {
    pub request: String,
    pub identities: Vec<(String, String)>,
    pub acrs: Vec<(String, String)>,
    pub preferred: String,
    pub sandbox: bool,
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

    pub fn waiting(partner_name: String, token: Option<String>, sandbox: bool) -> Self {
        Self::render(
            StatusCode::OK,
            &Waiting {
                partner_name,
                token,
                sandbox,
            },
        )
    }

    pub fn sandbox(t: Sandbox) -> Self {
        Self::render(StatusCode::OK, &t)
    }

    pub fn demo(t: DemoReturn) -> Self {
        Self::render(StatusCode::OK, &t)
    }

    pub fn message(status: StatusCode, heading: &str, message: &str) -> Self {
        Self::render(
            status,
            &Message {
                heading: heading.to_owned(),
                message: message.to_owned(),
                back: None,
                sandbox: false,
            },
        )
    }

    pub fn invalid_link() -> Self {
        Self::message(
            StatusCode::NOT_FOUND,
            "This link does not work",
            "The verification link is not valid. Ask the service that sent you for a new one.",
        )
    }

    pub fn tampered() -> Self {
        Self::message(
            StatusCode::BAD_REQUEST,
            "This link does not work",
            "The address was changed or is incomplete, so we cannot continue. Start again from the link you were given.",
        )
    }

    /// A provider sent the browser back long after Continue (a stale link from history).
    pub fn attempt_expired() -> Self {
        Self::message(
            StatusCode::BAD_REQUEST,
            "This sign-in took too long",
            "Too much time has passed since you started, so we cannot accept it. Open the link you were given again and start once more.",
        )
    }

    /// A provider sent back a browser other than the one that started (or one that lost its
    /// cookie).
    pub fn other_browser() -> Self {
        Self::message(
            StatusCode::BAD_REQUEST,
            "Continue in the browser where you started",
            "This sign-in was started in another browser, or this browser's cookies were cleared, so we cannot accept it here. Open the link you were given again, in this browser, and start once more.",
        )
    }

    /// Where the verification stands, for sessions whose partner gave no return URL.
    pub fn result(
        status: Status,
        reason: Option<&str>,
        partner: &str,
        back: Option<String>,
    ) -> Self {
        let (heading, message) = outcome_text(status, reason);
        Self::render(
            StatusCode::OK,
            &Message {
                heading: heading.to_owned(),
                message: message.replace("{partner}", partner),
                back: back.map(|url| (partner.to_owned(), url)),
                sandbox: false,
            },
        )
    }

    /// The outcome inside a partner's frame; `target` is where the partner expects the person.
    pub fn frame_done(
        status: Status,
        reason: Option<&str>,
        partner: &str,
        target: Option<String>,
    ) -> Self {
        let (heading, message) = outcome_text(status, reason);
        let message = message.replace("{partner}", partner);
        Self::render(
            StatusCode::OK,
            &FrameDone {
                heading: heading.to_owned(),
                message,
                event: if status == Status::Cancelled {
                    "VERIFF_CANCELED"
                } else {
                    "VERIFF_FINISHED"
                },
                target,
                sandbox: false,
            },
        )
    }
}

/// What the person is told about where their verification stands (`reason`: the session's,
/// which says who cancelled).
fn outcome_text(status: Status, reason: Option<&str>) -> (&'static str, &'static str) {
    match (status, reason) {
        (Status::Approved, _) => ("You are verified", "Thank you. You can close this page."),
        (Status::Declined | Status::Failed, _) => (
            "Verification not successful",
            "Your identity could not be verified.",
        ),
        (Status::ResubmissionRequested, _) => (
            "Please try again",
            "Your verification could not be completed this time. Open the link you were given again to start once more.",
        ),
        (Status::Review | Status::Submitted, _) => (
            "Verification in progress",
            "Your information is being checked. You can close this page: {partner} will be told the result.",
        ),
        (Status::Cancelled, Some("partner_cancelled")) => (
            "Verification cancelled",
            "{partner} cancelled this verification. Ask it for a new link if you still need one.",
        ),
        (Status::Cancelled, _) => ("Verification cancelled", "You cancelled the verification."),
        (Status::Expired | Status::Abandoned, _) => {
            ("This link has expired", "Ask {partner} for a new one.")
        }
        (Status::Created | Status::Started, _) => (
            "Verification not finished",
            "Open the link you were given again to continue.",
        ),
    }
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
