//! The per-client limit on the public pages: each request from one address (IPv6: one /64)
//! takes a token from that address's bucket (`limits.client_*`). The address is the
//! connection's peer, or, when the peer is a trusted reverse proxy, the nearest
//! `X-Forwarded-For` entry that is not itself a trusted proxy.

use super::language::{Lang, Preferences};
use super::pages::Page;
use super::ui::Ui;
use crate::state::AppState;
use axum::body::Body;
use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::{HeaderMap, Request, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use idgate_hub::limits::RateLimited;
use idgate_hub::service::ServiceError;
use ipnet::IpNet;
use std::net::{IpAddr, SocketAddr};

/// The client a request comes from, if known.
pub(crate) fn client_address(
    peer: Option<IpAddr>,
    headers: &HeaderMap,
    trusted: &[IpNet],
) -> Option<IpAddr> {
    let peer = peer?;
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return Some(peer);
    }
    // Proxies append, so read from the right; the first untrusted hop is the client. A value
    // that does not parse ends the walk (whatever is left of it the client may have written).
    let hops = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect::<Vec<_>>();
    let mut client = peer;
    for hop in hops.iter().rev() {
        match hop.parse::<IpAddr>() {
            Ok(ip) => {
                client = ip;
                if !is_trusted(&ip) {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    Some(client)
}

/// The address of the person's browser, as the limit reckoned it (after trusted proxies).
#[derive(Clone, Copy, Debug)]
pub(crate) struct ClientAddress(pub IpAddr);

/// Takes a token from the request's client's bucket: `Err` when it is over its limit;
/// otherwise the client's address is handed to the handlers (BankID is told where the
/// person is; the audit trail where an operator was).
pub(crate) fn admit(state: &AppState, request: &mut Request<Body>) -> Result<(), Box<RateLimited>> {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip());
    let client = client_address(peer, request.headers(), &state.config().trusted_proxies);
    if let Some(client) = client {
        if let Err(ServiceError::RateLimited(limited)) = state.limit_client(client) {
            return Err(limited);
        }
        request.extensions_mut().insert(ClientAddress(client));
    }
    Ok(())
}

/// Middleware for pages: refuses a request over its client's limit with a page saying when
/// to retry.
pub(crate) async fn enforce(
    State(state): State<AppState>,
    mut request: Request<Body>,
    next: Next,
) -> Response {
    if let Err(limited) = admit(&state, &mut request) {
        let (mut parts, body) = request.into_parts();
        let lang = match Preferences::from_request_parts(&mut parts, &state).await {
            Ok(prefs) => prefs.lang(),
            Err(never) => match never {},
        };
        drop(body);
        return too_many_requests(lang, &limited);
    }
    next.run(request).await
}

/// A 429 page a person can read, with the headers a client can act on.
pub(crate) fn too_many_requests(lang: Lang, limited: &RateLimited) -> Response {
    let message = if limited.retry_after_secs > 0 {
        lang.text_with(
            "too-many-wait",
            &[("seconds", &limited.retry_after_secs.to_string())],
        )
    } else {
        lang.text("too-many-attempts")
    };
    let ui = Ui::new(lang);
    let heading = ui.t("too-many-title");
    let mut response =
        Page::message(StatusCode::TOO_MANY_REQUESTS, ui, heading, message).into_response();
    if limited.retry_after_secs > 0 {
        response.headers_mut().insert(
            axum::http::header::RETRY_AFTER,
            axum::http::HeaderValue::from(limited.retry_after_secs),
        );
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn forwarded(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Ok(v) = value.parse() {
            headers.insert("x-forwarded-for", v);
        }
        headers
    }

    #[test]
    fn only_a_trusted_proxy_can_name_the_client() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap_or_else(|e| panic!("{e}"))];
        let spoofed = forwarded("203.0.113.9");
        // A direct client cannot pick its address.
        assert_eq!(
            client_address(Some(ip("198.51.100.1")), &spoofed, &trusted),
            Some(ip("198.51.100.1"))
        );
        // Behind the proxy, the rightmost untrusted hop is the client; what the client wrote
        // to the left of it does not count.
        let chain = forwarded("1.2.3.4, 198.51.100.7, 10.0.0.2");
        assert_eq!(
            client_address(Some(ip("10.0.0.1")), &chain, &trusted),
            Some(ip("198.51.100.7"))
        );
        // Garbage ends the walk at the last address the proxies vouched for.
        let garbage = forwarded("nonsense, 10.0.0.3");
        assert_eq!(
            client_address(Some(ip("10.0.0.1")), &garbage, &trusted),
            Some(ip("10.0.0.3"))
        );
        assert_eq!(client_address(None, &spoofed, &trusted), None);
    }
}
