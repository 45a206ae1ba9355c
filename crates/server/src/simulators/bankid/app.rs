//! The simulated BankID app: the tester pastes (or a test posts) the QR content the hosted
//! page shows; the app checks it as BankID's would (a genuine code of a waiting order, shown
//! within the last seconds), shows what the relying party asks to be signed, and the tester
//! identifies as one of the test people or cancels.

use super::orders::{Answer, FAILURES, Scanned};
use crate::state::AppState;
use axum::Router;
use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use idgate_providers::bankid::wire::User;
use serde::Deserialize;

/// The simulator's test people: personal number, given name, surname.
pub const PEOPLE: [(&str, &str, &str); 3] = [
    ("198503142389", "Anna", "Andersson"),
    ("199207302398", "Erik", "Lindqvist"),
    ("200101012383", "Sara", "Nilsson"),
];

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/simulators/bankid/app", get(home))
        .route("/simulators/bankid/app/scan", post(scan))
        .route("/simulators/bankid/app/answer", post(answer))
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{title} · BankID simulator</title><style>body{{font-family:system-ui,sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem;line-height:1.5}}.banner{{background:#fff3cd;padding:.5rem;border-radius:.3rem}}label{{display:block;margin:.5rem 0}}textarea,select{{width:100%;font:inherit}}button{{font:inherit;padding:.5rem 1rem;margin:.5rem .5rem 0 0}}.visible{{white-space:pre-wrap;border:1px solid #ccc;padding:.5rem;border-radius:.3rem}}.error{{color:#a00}}</style></head><body><p class=\"banner\">Sandbox: a simulated BankID app. No real identity is used.</p><h1>{title}</h1>{body}</body></html>",
        title = escape(title)
    );
    (status, Html(html)).into_response()
}

fn scan_form(message: Option<&str>) -> String {
    let message = message
        .map(|m| format!("<p class=\"error\" role=\"alert\">{}</p>", escape(m)))
        .unwrap_or_default();
    format!(
        "{message}<form method=\"post\" action=\"/simulators/bankid/app/scan\"><label for=\"qr\">QR code content (the text of the code on the screen)</label><textarea id=\"qr\" name=\"qr\" rows=\"3\" required></textarea><button type=\"submit\" id=\"scan\">Scan</button></form><h2>A call from a service</h2><form method=\"get\" action=\"/simulators/bankid/app\"><label for=\"personal_number\">Your personal number (the app of this person answers the call's request)</label><input id=\"personal_number\" name=\"personal_number\" inputmode=\"numeric\" autocomplete=\"off\" required><button type=\"submit\" id=\"answer-call\">Open the request</button></form>"
    )
}

fn simulator(state: &AppState) -> Option<&super::Simulator> {
    state.bankid.as_deref()
}

fn absent() -> Response {
    page(
        StatusCode::NOT_FOUND,
        "No BankID simulator",
        "<p>This idgate runs no BankID simulator.</p>",
    )
}

/// `?qr=` (a code, as the hosted page's button passes it) or `?autostarttoken=&redirect=`
/// (BankID's same-device link; `redirect=null` or none: back to the order's `returnUrl`, if
/// it has one) open an order at once.
#[derive(Deserialize)]
pub struct Opened {
    qr: Option<String>,
    autostarttoken: Option<String>,
    redirect: Option<String>,
    /// The app of this person answers their waiting phone order (`/phone/auth`).
    personal_number: Option<String>,
}

async fn home(State(state): State<AppState>, Query(opened): Query<Opened>) -> Response {
    let Some(simulator) = simulator(&state) else {
        return absent();
    };
    let now = chrono::Utc::now().timestamp();
    let scanned = match (&opened.autostarttoken, &opened.qr, &opened.personal_number) {
        (Some(token), _, _) => simulator.orders.autostart(token, now),
        (None, Some(qr), _) => simulator.orders.scan(qr, now),
        (None, None, Some(number)) => simulator.orders.answer_call(number.trim(), now),
        (None, None, None) => return page(StatusCode::OK, "BankID", &scan_form(None)),
    };
    // A link's `redirect` goes back only to this idgate's own pages (the simulator is no open
    // redirect); the order's `returnUrl` came from the relying party itself.
    let back = opened
        .redirect
        .filter(|r| r.starts_with(&format!("{}/", state.settings().public_base())));
    match scanned {
        Ok(scanned) => {
            let back = back.or_else(|| scanned.return_url.clone());
            page(
                StatusCode::OK,
                "Identify with BankID",
                &decide_form(&scanned, back.as_deref()),
            )
        }
        Err(why) => page(StatusCode::BAD_REQUEST, "BankID", &scan_form(Some(why))),
    }
}

#[derive(Deserialize)]
pub struct ScanForm {
    qr: Option<String>,
}

async fn scan(State(state): State<AppState>, Form(form): Form<ScanForm>) -> Response {
    let Some(simulator) = simulator(&state) else {
        return absent();
    };
    let scanned = simulator.orders.scan(
        form.qr.as_deref().unwrap_or_default(),
        chrono::Utc::now().timestamp(),
    );
    match scanned {
        Ok(scanned) => page(
            StatusCode::OK,
            "Identify with BankID",
            &decide_form(&scanned, None),
        ),
        Err(why) => page(StatusCode::BAD_REQUEST, "BankID", &scan_form(Some(why))),
    }
}

fn decide_form(scanned: &Scanned, back: Option<&str>) -> String {
    let asked = match &scanned.user_visible_data {
        Some(text) => format!(
            "<p>The service asks you to {}:</p><div class=\"visible\">{}</div>",
            if scanned.kind == "sign" {
                "sign"
            } else {
                "identify"
            },
            escape(text)
        ),
        None => "<p>The service asks you to identify yourself.</p>".to_owned(),
    };
    let people: String = PEOPLE
        .iter()
        .filter(|(number, _, _)| {
            scanned
                .personal_number
                .as_deref()
                .is_none_or(|wanted| wanted == *number)
        })
        .map(|(number, given, surname)| {
            format!("<option value=\"{number}\">{given} {surname} ({number})</option>")
        })
        .collect();
    // The failures BankID can end an order with, for testing a service's handling of them.
    let failures: String = FAILURES
        .iter()
        .filter(|(hint, _)| scanned.phone || *hint != "userDeclinedCall")
        .map(|(hint, label)| {
            format!("<button type=\"submit\" name=\"action\" value=\"fail:{hint}\" id=\"fail-{hint}\">{label}</button>")
        })
        .collect();
    format!(
        "{asked}<form method=\"post\" action=\"/simulators/bankid/app/answer\"><input type=\"hidden\" name=\"order_ref\" value=\"{order}\">{back}<label for=\"person\">Identify as</label><select id=\"person\" name=\"person\">{people}</select><button type=\"submit\" name=\"action\" value=\"approve\" id=\"approve\">{verb}</button><button type=\"submit\" name=\"action\" value=\"cancel\" id=\"cancel\">Cancel</button><details><summary>Make the order fail</summary>{failures}</details></form>",
        order = escape(&scanned.order_ref),
        back = back
            .map(|b| format!(
                "<input type=\"hidden\" name=\"redirect\" value=\"{}\">",
                escape(b)
            ))
            .unwrap_or_default(),
        verb = if scanned.kind == "sign" {
            "Sign"
        } else {
            "Identify"
        },
    )
}

#[derive(Deserialize)]
pub struct AnswerForm {
    order_ref: Option<String>,
    person: Option<String>,
    action: Option<String>,
    /// Where the same-device link asked the app to send the person back.
    redirect: Option<String>,
}

async fn answer(State(state): State<AppState>, Form(form): Form<AnswerForm>) -> Response {
    let Some(simulator) = simulator(&state) else {
        return absent();
    };
    let order_ref = form.order_ref.unwrap_or_default();
    let answer = match form.action.as_deref() {
        Some("approve") => {
            let person = form.person.unwrap_or_default();
            let Some((number, given, surname)) = PEOPLE.iter().find(|(n, _, _)| *n == person)
            else {
                return page(
                    StatusCode::BAD_REQUEST,
                    "BankID",
                    &scan_form(Some("Choose one of the test people.")),
                );
            };
            Answer::Approve(User {
                personal_number: (*number).to_owned(),
                name: format!("{given} {surname}"),
                given_name: (*given).to_owned(),
                surname: (*surname).to_owned(),
            })
        }
        Some("cancel") => Answer::Cancel,
        Some(other)
            if let Some((hint, _)) = other
                .strip_prefix("fail:")
                .and_then(|wanted| FAILURES.iter().find(|(hint, _)| *hint == wanted)) =>
        {
            Answer::Fail(hint)
        }
        _ => {
            return page(
                StatusCode::BAD_REQUEST,
                "BankID",
                &scan_form(Some("Approve or cancel.")),
            );
        }
    };
    let outcome = match &answer {
        Answer::Approve(_) => "You are identified.",
        Answer::Cancel => "You cancelled.",
        Answer::Fail(_) => "BankID stopped the order.",
    };
    // The order's `returnUrl` first (BankID's app follows it), else the link's own.
    let back = simulator
        .orders
        .received(&order_ref)
        .and_then(|received| received.return_url)
        .or_else(|| {
            form.redirect
                .filter(|r| r.starts_with(&format!("{}/", state.settings().public_base())))
        })
        .map_or_else(
            || "<p>Go back to the service.</p>".to_owned(),
            |r| {
                format!(
                    "<p><a href=\"{}\" id=\"back\">Back to the service</a></p>",
                    escape(&r)
                )
            },
        );
    match simulator
        .orders
        .decide(&order_ref, answer, chrono::Utc::now().timestamp())
    {
        Ok(()) => page(
            StatusCode::OK,
            "Done",
            &format!("<p id=\"done\">{outcome}</p>{back}"),
        ),
        Err(why) => page(StatusCode::BAD_REQUEST, "BankID", &scan_form(Some(why))),
    }
}
