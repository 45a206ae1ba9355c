//! An SMS gateway on a loopback port that speaks Twilio's Programmable Messaging API as its
//! documentation describes it: `POST /2010-04-01/Accounts/{AccountSid}/Messages.json`, HTTP
//! Basic with the account SID and auth token, form-encoded `To` (E.164), `From` or
//! `MessagingServiceSid`, and `Body`; `201` with the Message resource (`sid` `SM…`, `status`
//! `queued`), `401` with error 20003, `400` with error 21211 (an invalid `To`) or 21602 (no
//! `Body`). A test can make it answer with other statuses first.

use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// One message the gateway accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Accepted {
    pub sid: String,
    pub to: String,
    pub from: Option<String>,
    pub messaging_service_sid: Option<String>,
    pub body: String,
}

#[derive(Clone, Debug, Default)]
pub struct SmsGateway {
    account_sid: String,
    auth_token: String,
    accepted: Arc<Mutex<Vec<Accepted>>>,
    /// Statuses to answer the next requests with, before accepting again.
    scripted: Arc<Mutex<VecDeque<u16>>>,
    pub requests: Arc<AtomicU64>,
}

impl SmsGateway {
    /// On a free port; returns the gateway and its base URL (what `invites.sms.base_url`
    /// takes).
    pub async fn start(account_sid: &str, auth_token: &str) -> (SmsGateway, String) {
        let gateway = SmsGateway {
            account_sid: account_sid.into(),
            auth_token: auth_token.into(),
            ..SmsGateway::default()
        };
        let app = axum::Router::new()
            .route(
                "/2010-04-01/Accounts/{account}/Messages.json",
                axum::routing::post(create_message),
            )
            .with_state(gateway.clone());
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        (gateway, format!("http://{addr}"))
    }

    /// Answers the next requests with these statuses (a Twilio error body each), in order.
    pub fn answer_next(&self, statuses: &[u16]) {
        if let Ok(mut s) = self.scripted.lock() {
            s.extend(statuses);
        }
    }

    pub fn accepted(&self) -> Vec<Accepted> {
        self.accepted.lock().map(|a| a.clone()).unwrap_or_default()
    }

    /// Waits (up to 30 s) until `n` messages were accepted.
    pub async fn wait_for(&self, n: usize) -> Vec<Accepted> {
        for _ in 0..300 {
            let seen = self.accepted();
            if seen.len() >= n {
                return seen;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!(
            "fewer than {n} text message(s) arrived: {:?}",
            self.accepted()
        );
    }
}

fn error(status: u16, code: u32, message: &str) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        status,
        axum::Json(json!({
            "code": code,
            "message": message,
            "more_info": format!("https://www.twilio.com/docs/errors/{code}"),
            "status": status.as_u16(),
        })),
    )
        .into_response()
}

fn basic_auth(headers: &HeaderMap) -> Option<(String, String)> {
    use base64::Engine;
    let value = headers.get("authorization")?.to_str().ok()?;
    let encoded = value.strip_prefix("Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}

async fn create_message(
    State(g): State<SmsGateway>,
    Path(account): Path<String>,
    headers: HeaderMap,
    Form(form): Form<BTreeMap<String, String>>,
) -> Response {
    let n = g.requests.fetch_add(1, Ordering::SeqCst);
    if basic_auth(&headers) != Some((g.account_sid.clone(), g.auth_token.clone()))
        || account != g.account_sid
    {
        return error(401, 20003, "Authenticate");
    }
    let scripted = g.scripted.lock().ok().and_then(|mut s| s.pop_front());
    if let Some(status) = scripted {
        return error(status, 20500, "Scripted failure");
    }
    let to = form.get("To").cloned().unwrap_or_default();
    let e164 = to.len() > 2
        && to.starts_with('+')
        && to[1..].chars().all(|c| c.is_ascii_digit())
        && to.len() <= 16;
    if !e164 {
        return error(400, 21211, "Invalid 'To' Phone Number");
    }
    let Some(body) = form.get("Body").filter(|b| !b.is_empty()).cloned() else {
        return error(400, 21602, "Message body is required.");
    };
    let from = form.get("From").cloned();
    let service = form.get("MessagingServiceSid").cloned();
    if from.is_none() && service.is_none() {
        return error(
            400,
            21603,
            "A 'From' or 'MessagingServiceSid' parameter is required",
        );
    }
    let sid = format!("SM{:032x}", u128::from(n) + 0x1d6f_0000);
    let accepted = Accepted {
        sid: sid.clone(),
        to: to.clone(),
        from: from.clone(),
        messaging_service_sid: service.clone(),
        body: body.clone(),
    };
    if let Ok(mut a) = g.accepted.lock() {
        a.push(accepted);
    }
    (
        StatusCode::CREATED,
        axum::Json(json!({
            "account_sid": account,
            "api_version": "2010-04-01",
            "body": body,
            "direction": "outbound-api",
            "from": from,
            "messaging_service_sid": service,
            "num_segments": "1",
            "sid": sid,
            "status": "queued",
            "to": to,
            "uri": format!("/2010-04-01/Accounts/{account}/Messages/{sid}.json"),
        })),
    )
        .into_response()
}
