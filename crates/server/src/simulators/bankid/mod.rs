//! A simulated Swedish BankID, in the binary for the sandbox: BankID's RP API v6 over mutual
//! TLS (same paths, JSON, error codes, statuses and timing as the real service; see
//! [`orders`]) on a listener of its own, with a test PKI made on first start ([`pki`]), and a
//! simulated BankID app at `/simulators/bankid/app` that reads the QR code the hosted page
//! shows, shows what the user is asked to sign, and lets the tester answer as one of the test
//! identities or cancel.
//!
//! A `bankid` provider whose `base_url` is `"{simulator}"` is pointed at it: idgate's real
//! BankID adapter then talks to it over mutual TLS exactly as to BankID. The orders live in
//! the node's memory, so the simulator serves one node.

mod app;
pub mod orders;
pub mod pki;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;
use hyper_util::service::TowerToHyperService;
use idgate_providers::ClientTls;
use idgate_providers::bankid::BankIdConfig;
use idgate_providers::bankid::wire::{ErrorBody, OrderRef, OrderRequest, PhoneOrderRequest};
use orders::{Kind, Orders, Refusal};
use pki::PkiFiles;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

pub use app::router as app_router;

/// The `base_url` that names the built-in simulator.
pub const SIMULATOR: &str = "{simulator}";

/// The simulated service: its orders, its listener and its TLS setup.
pub struct Simulator {
    pub orders: Arc<Orders>,
    pub pki: PkiFiles,
    pub addr: SocketAddr,
    listener: std::sync::Mutex<Option<std::net::TcpListener>>,
    tls: Arc<rustls::ServerConfig>,
    /// The provider ids that use it.
    served: std::sync::Mutex<Vec<String>>,
}

impl std::fmt::Debug for Simulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BankIdSimulator")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

fn failed(e: impl std::fmt::Display) -> String {
    format!("the BankID simulator: {e}")
}

impl Simulator {
    /// Makes (or reuses) the PKI in `dir` and binds a loopback port for the RP API.
    pub fn prepare(dir: &Path) -> Result<Self, String> {
        let pki = pki::ensure(dir)?;
        let read = |path: &Path| {
            std::fs::read(path).map_err(|e| failed(format!("{}: {e}", path.display())))
        };
        let chain = CertificateDer::pem_slice_iter(&read(&pki.server_certificate)?)
            .collect::<Result<Vec<_>, _>>()
            .map_err(failed)?;
        let key = PrivateKeyDer::from_pem_slice(&read(&pki.server_key)?).map_err(failed)?;
        let mut roots = rustls::RootCertStore::empty();
        for ca in CertificateDer::pem_slice_iter(&read(&pki.ca)?) {
            roots.add(ca.map_err(failed)?).map_err(failed)?;
        }
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        // Only relying parties holding a certificate the simulator's CA issued get in, as at
        // BankID (which checks the RP certificate at the TLS handshake).
        let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
            Arc::new(roots),
            provider.clone(),
        )
        .build()
        .map_err(failed)?;
        let tls = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(failed)?
            .with_client_cert_verifier(verifier)
            .with_single_cert(chain, key)
            .map_err(failed)?;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(failed)?;
        listener.set_nonblocking(true).map_err(failed)?;
        let addr = listener.local_addr().map_err(failed)?;
        Ok(Simulator {
            orders: Arc::new(Orders::default()),
            pki,
            addr,
            listener: std::sync::Mutex::new(Some(listener)),
            tls: Arc::new(tls),
            served: std::sync::Mutex::new(Vec::new()),
        })
    }

    /// The RP API's URL, `/rp/v6.0` included.
    pub fn base_url(&self) -> String {
        format!("https://127.0.0.1:{}/rp/v6.0", self.addr.port())
    }

    /// Points a `bankid` table at this simulator: its URL, the RP certificate and the CA, and
    /// the simulated app (on idgate's `public_base`) for the same-device link.
    pub fn configure(&self, provider_id: &str, config: &mut BankIdConfig, public_base: &str) {
        if let Ok(mut served) = self.served.lock() {
            served.push(provider_id.to_owned());
        }
        config.app_url = Some(format!("{public_base}/simulators/bankid/app"));
        config.base_url = Some(self.base_url());
        // The PKCS#12 bundle, as BankID hands out its test certificate.
        config.tls = Some(ClientTls {
            certificate: self.pki.rp_bundle.clone(),
            key: None,
            ca: Some(self.pki.ca.clone()),
            password: Some(pki::RP_PASSWORD.to_owned()),
        });
        config.sandbox = Some(true);
    }

    /// Whether provider `id` uses this simulator.
    pub fn serves(&self, provider_id: &str) -> bool {
        self.served
            .lock()
            .is_ok_and(|served| served.iter().any(|id| id == provider_id))
    }

    /// Serves the RP API until `stop` (once: the listener is taken).
    pub async fn serve(self: Arc<Self>, stop: CancellationToken) {
        let Some(listener) = self.listener.lock().ok().and_then(|mut l| l.take()) else {
            return;
        };
        let listener = match tokio::net::TcpListener::from_std(listener) {
            Ok(listener) => listener,
            Err(e) => {
                tracing::error!(error = %e, "the BankID simulator cannot listen");
                return;
            }
        };
        let acceptor = tokio_rustls::TlsAcceptor::from(self.tls.clone());
        let app = rp_router(self.orders.clone());
        loop {
            let (stream, peer) = tokio::select! {
                () = stop.cancelled() => break,
                accepted = listener.accept() => match accepted {
                    Ok(accepted) => accepted,
                    Err(_) => {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
            };
            let acceptor = acceptor.clone();
            let app = app.clone();
            tokio::spawn(async move {
                // A client without a valid certificate fails here, in the handshake.
                let Ok(Ok(tls)) =
                    tokio::time::timeout(Duration::from_secs(10), acceptor.accept(stream)).await
                else {
                    return;
                };
                let app = app.map_request(
                    move |mut request: axum::http::Request<hyper::body::Incoming>| {
                        request.extensions_mut().insert(ConnectInfo(peer));
                        request.map(axum::body::Body::new)
                    },
                );
                let _ = Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(tls), TowerToHyperService::new(app))
                    .await;
            });
        }
    }
}

/// The RP API's routes, as BankID serves them below `/rp/v6.0`.
fn rp_router(orders: Arc<Orders>) -> Router {
    Router::new()
        .route("/rp/v6.0/auth", post(auth))
        .route("/rp/v6.0/sign", post(sign))
        .route("/rp/v6.0/collect", post(collect))
        .route("/rp/v6.0/cancel", post(cancel))
        .route("/rp/v6.0/phone/auth", post(phone_auth))
        .route("/rp/v6.0/phone/sign", post(phone_sign))
        .method_not_allowed_fallback(|| async {
            refuse(Refusal(
                405,
                "methodNotAllowed",
                "Method not allowed".into(),
            ))
        })
        .fallback(|| async { refuse(Refusal(404, "notFound", "Not found".into())) })
        .with_state(orders)
}

fn refuse(Refusal(status, code, details): Refusal) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    (
        status,
        axum::Json(ErrorBody {
            error_code: code.to_owned(),
            details,
        }),
    )
        .into_response()
}

/// The body as BankID reads it: JSON (`application/json`, 415 otherwise), of the expected
/// shape (400 `invalidParameters` otherwise).
fn body<T: serde::de::DeserializeOwned>(headers: &HeaderMap, bytes: &Bytes) -> Result<T, Refusal> {
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    if !json {
        return Err(Refusal(
            415,
            "unsupportedMediaType",
            "Content-Type must be application/json".into(),
        ));
    }
    serde_json::from_slice(bytes).map_err(|_| Refusal::invalid("Invalid request body"))
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

async fn order(kind: Kind, orders: &Orders, headers: &HeaderMap, bytes: &Bytes) -> Response {
    let started = body::<OrderRequest>(headers, bytes).and_then(|r| orders.start(kind, &r, now()));
    match started {
        Ok(started) => axum::Json(started).into_response(),
        Err(refusal) => refuse(refusal),
    }
}

async fn auth(State(orders): State<Arc<Orders>>, headers: HeaderMap, bytes: Bytes) -> Response {
    order(Kind::Auth, &orders, &headers, &bytes).await
}

async fn sign(State(orders): State<Arc<Orders>>, headers: HeaderMap, bytes: Bytes) -> Response {
    order(Kind::Sign, &orders, &headers, &bytes).await
}

async fn phone_order(kind: Kind, orders: &Orders, headers: &HeaderMap, bytes: &Bytes) -> Response {
    let started =
        body::<PhoneOrderRequest>(headers, bytes).and_then(|r| orders.start_phone(kind, &r, now()));
    match started {
        Ok(started) => axum::Json(started).into_response(),
        Err(refusal) => refuse(refusal),
    }
}

async fn phone_auth(
    State(orders): State<Arc<Orders>>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Response {
    phone_order(Kind::Auth, &orders, &headers, &bytes).await
}

async fn phone_sign(
    State(orders): State<Arc<Orders>>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Response {
    phone_order(Kind::Sign, &orders, &headers, &bytes).await
}

async fn collect(State(orders): State<Arc<Orders>>, headers: HeaderMap, bytes: Bytes) -> Response {
    match body::<OrderRef>(&headers, &bytes).and_then(|r| orders.collect(&r.order_ref, now())) {
        Ok(collected) => axum::Json(collected).into_response(),
        Err(refusal) => refuse(refusal),
    }
}

async fn cancel(State(orders): State<Arc<Orders>>, headers: HeaderMap, bytes: Bytes) -> Response {
    match body::<OrderRef>(&headers, &bytes).and_then(|r| orders.cancel(&r.order_ref)) {
        Ok(()) => axum::Json(serde_json::json!({})).into_response(),
        Err(refusal) => refuse(refusal),
    }
}
