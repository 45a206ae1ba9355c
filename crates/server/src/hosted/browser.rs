//! The flow cookie: a random value that binds each provider round trip to the browser that
//! pressed Continue. Its value is MACed into the round trip's `state` and required at the
//! callback, so an authorization begun in one browser cannot be finished in another. Nothing
//! is stored: any node checks it.
//!
//! Also the identifier a push request went to, kept in the browser that typed it so its
//! waiting page can say where the request went (idgate stores only a keyed digest of it).

use crate::state::AppState;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::Response;

/// Length of the cookie's value (18 random bytes, base64url).
const VALUE_LEN: usize = 24;

/// `__Host-` (Secure, host-only, path `/`) on https deployments; browsers refuse that prefix
/// on plain http, which only development and tests use.
fn name(state: &AppState) -> &'static str {
    if state.settings().public_is_https() {
        "__Host-idgate-flow"
    } else {
        "idgate-flow"
    }
}

/// Cookie `name`'s value in a request's headers.
pub(crate) fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_owned())
}

/// Scoped to one verification's pages (a path-scoped cookie cannot take the `__Host-`
/// prefix).
const PUSHED_TO: &str = "idgate-pushed-to";

/// The identifier this browser last sent this verification's push request to.
pub fn pushed_to(headers: &HeaderMap) -> Option<String> {
    let raw = cookie(headers, PUSHED_TO)?;
    let decoded: String = url::form_urlencoded::parse(format!("v={raw}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())?;
    Some(decoded).filter(|v| !v.is_empty() && v.chars().count() <= 64)
}

/// Remembers, for this browser's session and this verification's pages only (`token`), the
/// identifier a push request went to.
pub fn set_pushed_to(state: &AppState, response: &mut Response, token: &str, identifier: &str) {
    let value: String = url::form_urlencoded::byte_serialize(identifier.as_bytes()).collect();
    let secure = if state.settings().public_is_https() {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!("{PUSHED_TO}={value}; Path=/v/{token}; HttpOnly; SameSite=Strict{secure}");
    if let Ok(cookie) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
}

/// The value of this browser's OpenID Connect sign-in cookie (set at the front door's
/// `authorize`), if any.
pub fn signin(state: &AppState, headers: &HeaderMap) -> Option<String> {
    use idgate_hub::service::oidc_front_door::{BROWSER_COOKIE, BROWSER_COOKIE_SECURE};
    let name = if state.settings().public_is_https() {
        BROWSER_COOKIE_SECURE
    } else {
        BROWSER_COOKIE
    };
    cookie(headers, name)
}

/// This browser's binding, when its cookie holds a well-formed one.
pub fn binding(state: &AppState, headers: &HeaderMap) -> Option<String> {
    cookie(headers, name(state)).filter(|v| {
        v.len() == VALUE_LEN
            && v.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    })
}

/// Sets the cookie (for the browser session: closing the browser ends the binding). `Lax`,
/// so the provider's redirect back, a top-level navigation, carries it. In a partner's frame
/// (another site), a `Lax` cookie would be neither stored nor sent: there it is
/// `SameSite=None` and `Partitioned` (kept under the partner's site only, so it works where
/// third-party cookies are blocked); browsers take that on https only.
pub fn set(state: &AppState, response: &mut Response, value: &str, framed: bool) {
    let secure = name(state).starts_with("__Host-");
    let attributes = match (secure, framed) {
        (true, true) => "; SameSite=None; Secure; Partitioned",
        (true, false) => "; SameSite=Lax; Secure",
        (false, _) => "; SameSite=Lax",
    };
    let cookie = format!("{}={value}; Path=/; HttpOnly{attributes}", name(state));
    if let Ok(cookie) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
}

/// What idgate tells a provider of the browser on verification page `token` (BankID's
/// `endUserIp` and web device context; where its app returns): its address, its user agent,
/// a keyed digest of its flow cookie `binding` (stable for the browser, never the cookie) and
/// the page.
pub fn device(
    state: &AppState,
    headers: &HeaderMap,
    ip: Option<std::net::IpAddr>,
    binding: Option<&str>,
    token: &str,
) -> idgate_providers::EndUserDevice {
    idgate_providers::EndUserDevice {
        ip,
        user_agent: headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        device_id: binding.map(|b| state.keys().bind("end-user-device", b)),
        page: Some(format!("{}/v/{token}", state.settings().public_base())),
    }
}
