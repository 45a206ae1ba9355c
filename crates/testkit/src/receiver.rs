//! A partner's webhook receiver on a loopback port: records what idgate sends and answers
//! with a status the test chooses.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde_json::Value;
use std::sync::atomic::{AtomicU16, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// A webhook receiver on a loopback port that records every request.
#[derive(Clone, Debug, Default)]
pub struct Receiver {
    received: Arc<Mutex<Vec<(HeaderMap, Bytes)>>>,
    /// The status to answer with (200 when 0).
    answer: Arc<AtomicU16>,
    pub requests: Arc<AtomicUsize>,
}

impl Receiver {
    /// On a free port; returns the receiver and its URL (`…/hooks`).
    pub async fn start() -> (Receiver, String) {
        Self::start_on(0).await
    }

    /// On `port` (a test that restarts the receiver on the same address).
    pub async fn start_on(port: u16) -> (Receiver, String) {
        let receiver = Receiver::default();
        let app = axum::Router::new()
            .route("/hooks", axum::routing::post(receive))
            .with_state(receiver.clone());
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        (receiver, format!("http://{addr}/hooks"))
    }

    /// Answers every later request with `status`.
    pub fn answer(&self, status: u16) {
        self.answer.store(status, Ordering::SeqCst);
    }

    /// The bodies of the requests that were answered 2xx, in arrival order.
    pub fn accepted(&self) -> Vec<(HeaderMap, Value)> {
        self.received
            .lock()
            .map(|r| {
                r.iter()
                    .map(|(h, b)| (h.clone(), serde_json::from_slice(b).unwrap_or(Value::Null)))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Headers and raw bodies of the accepted requests.
    pub fn raw(&self) -> Vec<(HeaderMap, Bytes)> {
        self.received.lock().map(|r| r.clone()).unwrap_or_default()
    }
}

async fn receive(
    State(r): State<Receiver>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, &'static str) {
    r.requests.fetch_add(1, Ordering::SeqCst);
    let answer = match r.answer.load(Ordering::SeqCst) {
        0 => 200,
        n => n,
    };
    if (200..300).contains(&answer)
        && let Ok(mut received) = r.received.lock()
    {
        received.push((headers, body));
    }
    (
        StatusCode::from_u16(answer).unwrap_or(StatusCode::OK),
        "noted",
    )
}
