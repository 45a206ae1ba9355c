//! Operations: health and readiness, Prometheus metrics, request ids, access logs without
//! secrets, and the security headers every response carries.

use crate::state::AppState;
use axum::Router;
use axum::body::Body;
use axum::extract::{MatchedPath, State};
use axum::http::{HeaderName, HeaderValue, Method, Request, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;
use std::time::{Duration, Instant};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The process-wide Prometheus recorder (installed once, shared by every app in the process).
pub fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets(&[
                    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
                ])
                .map(PrometheusBuilder::build_recorder)
                .unwrap_or_else(|_| PrometheusBuilder::new().build_recorder());
            let handle = recorder.handle();
            // Fails only if another recorder is installed; then metrics go there instead.
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(render_metrics))
}

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(State(state): State<AppState>) -> Response {
    match tokio::time::timeout(Duration::from_secs(2), state.ping()).await {
        Ok(Ok(())) => (StatusCode::OK, "ready").into_response(),
        _ => (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response(),
    }
}

async fn render_metrics(State(state): State<AppState>) -> Response {
    state.metrics.run_upkeep();
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
        .into_response()
}

/// The method as a label or log field: the standard methods by name, anything else `other`.
/// A client chooses the method string, so keeping it would let anyone add series (memory)
/// and log lines of any length.
pub fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        Method::TRACE => "TRACE",
        Method::CONNECT => "CONNECT",
        _ => "other",
    }
}

/// Counts requests by route template (never the raw path: it may hold a token), method and
/// status: labels from closed sets only, so no request can add a series.
async fn record_request(request: Request<Body>, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = method_label(request.method());
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!("idgate_http_requests_total", "route" => route.clone(), "method" => method, "status" => status)
        .increment(1);
    metrics::histogram!("idgate_http_request_duration_seconds", "route" => route, "method" => method)
        .record(started.elapsed().as_secs_f64());
    response
}

/// How the operational layers are set up.
#[derive(Clone, Copy, Debug)]
pub struct LayerOptions {
    /// The public URL is https, so browsers are told to keep to it (HSTS, for this host only:
    /// other hosts of the domain are not idgate's to decide).
    pub https: bool,
    /// Test mode: forms may also go to loopback `http` origins (local identity providers).
    pub test_mode: bool,
    /// A request (its body included) that takes longer is answered `408`, so a trickled body
    /// cannot hold a connection, or a shutdown, open.
    pub request_timeout: Duration,
}

impl LayerOptions {
    /// `form-action`: the hosted page's Continue button posts to idgate, which redirects the
    /// browser to the provider; browsers apply form-action to that redirect, so providers'
    /// origins must pass. Any https origin may (providers are configured, not chosen by
    /// users); never `http:`, `data:` or `javascript:` outside test mode.
    fn form_action(self) -> &'static str {
        if self.test_mode {
            "form-action 'self' https: http://127.0.0.1:* http://localhost:*"
        } else {
            "form-action 'self' https:"
        }
    }
}

/// Origins a response may be framed by, set by the hosted pages of a partner that allows
/// embedding (Veriff's InContext SDK). Without it a response may be framed by nobody.
#[derive(Clone, Debug, Default)]
pub struct FrameAncestors(pub Vec<String>);

/// The CSP (`csp` plus `frame-ancestors`) and, for a response nobody may frame,
/// `X-Frame-Options: DENY` for browsers without CSP 2. A response that set its own CSP keeps it.
fn framing_policy(mut response: Response, csp: &str) -> Response {
    let allowed = response
        .extensions()
        .get::<FrameAncestors>()
        .filter(|f| !f.0.is_empty())
        .map(|f| f.0.join(" "));
    let headers = response.headers_mut();
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        let ancestors = allowed.as_deref().unwrap_or("'none'");
        let policy = format!("{csp}; frame-ancestors {ancestors}");
        let value = HeaderValue::from_str(&policy).unwrap_or_else(|_| {
            HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'")
        });
        headers.insert(header::CONTENT_SECURITY_POLICY, value);
    }
    if allowed.is_none() && !headers.contains_key(header::X_FRAME_OPTIONS) {
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    response
}

/// Wraps the whole app in the operational layers.
pub fn layer(app: Router, options: LayerOptions) -> Router {
    let https = options.https;
    let csp = format!(
        "default-src 'none'; style-src 'self'; img-src 'self' data:; script-src 'self'; connect-src 'self'; base-uri 'none'; {}",
        options.form_action()
    );
    let trace = TraceLayer::new_for_http()
        .make_span_with(|request: &Request<Body>| {
            // The route template, not the URI: paths and queries can carry tokens and state.
            let route = request
                .extensions()
                .get::<MatchedPath>()
                .map_or("unmatched", MatchedPath::as_str);
            let request_id = request
                .headers()
                .get(&REQUEST_ID)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("-");
            let method = method_label(request.method());
            tracing::info_span!("request", method, route, request_id)
        })
        .on_request(())
        .on_response(DefaultOnResponse::new().level(tracing::Level::INFO));
    let header = |name: HeaderName, value: &'static str| {
        SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
    };
    app.layer(axum::middleware::from_fn(record_request))
        .layer(axum::middleware::map_response(move |response: Response| {
            let csp = csp.clone();
            async move { framing_policy(response, &csp) }
        }))
        .layer(header(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(header(header::REFERRER_POLICY, "no-referrer"))
        .layer(tower::util::option_layer(https.then(|| {
            header(header::STRICT_TRANSPORT_SECURITY, "max-age=31536000")
        })))
        .layer(header(header::CACHE_CONTROL, "no-store"))
        .layer(header(
            HeaderName::from_static("permissions-policy"),
            "camera=(), microphone=(), geolocation=()",
        ))
        .layer(tower_http::catch_panic::CatchPanicLayer::new())
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            options.request_timeout,
        ))
        // Bodies are small JSON or forms; extractors turn a bigger one into a 413 problem.
        .layer(axum::extract::DefaultBodyLimit::max(64 * 1024))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(trace)
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .layer(axum::middleware::map_request(drop_unusable_request_id))
}

/// A caller's `X-Request-Id` is kept for correlation only when it looks like one (1-64
/// characters of letters, digits, `-`, `_`, `.`); otherwise idgate makes its own, so no client
/// writes arbitrary text into every log line of its request.
async fn drop_unusable_request_id(mut request: Request<Body>) -> Request<Body> {
    let usable = request.headers().get(&REQUEST_ID).is_none_or(|v| {
        let bytes = v.as_bytes();
        (1..=64).contains(&bytes.len())
            && bytes
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    });
    if !usable {
        request.headers_mut().remove(&REQUEST_ID);
    }
    request
}
