//! Webhook fairness under a receiver that never answers: partner A's endpoint accepts
//! connections and stays silent (every attempt lasts the outbound timeout), while partner B's
//! receiver answers at once. Both create sessions at a steady rate; the figure is B's event
//! latency (creation sent → event received), with the per-endpoint cap as configured and with
//! the cap as large as the node's slots (what a single slow partner could take without it).
//! Loopback only; every loop is bounded in time.

use crate::Node;
use crate::client::{LoadClient, easyfreelance_headers};
use axum::Router;
use axum::routing::post;
use bytes::Bytes;
use hdrhistogram::Histogram;
use hyper::{Method, StatusCode};
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Sessions per second each partner creates.
const A_RATE: f64 = 20.0;
const B_RATE: f64 = 5.0;
/// How long a silent attempt lasts (the node's outbound timeout).
const OUTBOUND_TIMEOUT: &str = "10s";

/// One run's figures.
#[derive(Clone, Debug, Serialize)]
pub struct Fairness {
    /// `webhooks.per_endpoint_in_flight` for this run.
    pub per_endpoint_in_flight: u32,
    /// `webhooks.concurrency` (slots per node).
    pub concurrency: u32,
    pub seconds: f64,
    pub b_created: usize,
    pub b_delivered: usize,
    pub b_p50_ms: f64,
    pub b_p99_ms: f64,
    pub b_max_ms: f64,
    /// Connections partner A's silent receiver accepted (each one an attempt held open).
    pub a_connections: usize,
}

/// Runs the scenario on a fresh SQLite node with the given cap.
pub async fn run(
    idgate: &Path,
    cpu: Option<usize>,
    dir: &Path,
    seconds: f64,
    per_endpoint: u32,
) -> anyhow::Result<Fairness> {
    let concurrency = 8;
    let name = format!("fairness-{per_endpoint}");
    std::fs::create_dir_all(dir.join(&name))?;
    std::fs::write(
        dir.join(&name).join("idgate.toml"),
        format!(
            "[outbound]\nallow_private = [\"127.0.0.0/8\"]\ntimeout = \"{OUTBOUND_TIMEOUT}\"\n\n\
             [webhooks]\nconcurrency = {concurrency}\nper_endpoint_in_flight = {per_endpoint}\n\
             poll_interval = \"100ms\"\n"
        ),
    )?;
    let node = Node::start(idgate, cpu, dir, None, &name, None, &[]).await?;
    let outcome = scenario(&node, seconds, per_endpoint, concurrency).await;
    node.stop().await;
    outcome
}

async fn scenario(
    node: &Node,
    seconds: f64,
    per_endpoint: u32,
    concurrency: u32,
) -> anyhow::Result<Fairness> {
    let (a_connections, silent_url, silent) = silent_receiver().await?;
    let arrivals: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let (receiver_url, receiver) = receiver(arrivals.clone()).await?;
    let client = LoadClient::for_base(&node.base, 4)?;

    // Partner A is the demo partner; partner B is created, its return URL approved.
    let a = node.headers();
    let b_created = node
        .cli(&["partner", "create", "B", "--tier", "enterprise"])
        .await?;
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    let b = easyfreelance_headers(
        &text(&b_created["easyfreelance"]["access_token"]),
        &text(&b_created["easyfreelance"]["api_key"]),
    )?;
    let return_url = format!("{}/demo/return", node.base);
    let (_, rule) = send_json(
        &client,
        "/api/v1/verification-return-urls",
        &b,
        json!({ "partner_return_url": return_url }),
    )
    .await?;
    node.cli(&["return-url", "approve", &text(&rule["id"])])
        .await?;
    for (headers, url) in [(&a, &silent_url), (&b, &receiver_url)] {
        let (status, body) = send_json(
            &client,
            "/api/v1/webhook-endpoints",
            headers,
            json!({ "url": url }),
        )
        .await?;
        anyhow::ensure!(status == StatusCode::CREATED, "endpoint: {status} {body}");
    }

    let flow = json!({ "provider": "bankid", "partner_return_url": return_url });
    let until = Instant::now() + Duration::from_secs_f64(seconds);
    let creates = |headers, rate: f64| {
        let (client, flow) = (client.clone(), flow.clone());
        async move {
            let mut sent = Vec::new();
            let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / rate));
            while Instant::now() < until {
                tick.tick().await;
                let at = Instant::now();
                if let Ok((StatusCode::CREATED, body)) = send_json(
                    &client,
                    "/api/v1/users/7/verification/flows",
                    headers,
                    flow.clone(),
                )
                .await
                {
                    sent.push((text(&body["verification_id"]), at));
                }
            }
            sent
        }
    };
    let (_, b_sent) = tokio::join!(creates(&a, A_RATE), creates(&b, B_RATE));
    // B's last events get a moment to arrive (bounded).
    let settle = Instant::now() + Duration::from_secs(15);
    while Instant::now() < settle {
        let arrived = arrivals.lock().map(|a| a.len()).unwrap_or_default();
        if arrived >= b_sent.len() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    silent.abort();
    receiver.abort();

    let arrived = arrivals.lock().map(|a| a.clone()).unwrap_or_default();
    let mut latencies = Histogram::<u64>::new(3)?;
    for (id, sent) in &b_sent {
        if let Some(at) = arrived.get(id) {
            let micros = u64::try_from(at.saturating_duration_since(*sent).as_micros())?;
            latencies.record(micros.max(1))?;
        }
    }
    let ms = |q: f64| latencies.value_at_quantile(q) as f64 / 1000.0;
    Ok(Fairness {
        per_endpoint_in_flight: per_endpoint,
        concurrency,
        seconds,
        b_created: b_sent.len(),
        b_delivered: usize::try_from(latencies.len())?,
        b_p50_ms: ms(0.5),
        b_p99_ms: ms(0.99),
        b_max_ms: latencies.max() as f64 / 1000.0,
        a_connections: a_connections.load(Ordering::SeqCst),
    })
}

async fn send_json(
    client: &LoadClient,
    path: &str,
    headers: &crate::client::Headers,
    body: Value,
) -> anyhow::Result<(StatusCode, Value)> {
    let (status, bytes) = client
        .send(
            0,
            Method::POST,
            path,
            headers,
            Some(Bytes::from(body.to_string())),
        )
        .await?;
    Ok((
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    ))
}

/// Accepts connections and never answers; counts them.
async fn silent_receiver() -> anyhow::Result<(Arc<AtomicUsize>, String, tokio::task::JoinHandle<()>)>
{
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/hooks", listener.local_addr()?);
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = accepted.clone();
    let task = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            held.push(socket);
        }
    });
    Ok((accepted, url, task))
}

/// Answers 204 at once and notes when each session's first event arrived.
async fn receiver(
    arrivals: Arc<Mutex<HashMap<String, Instant>>>,
) -> anyhow::Result<(String, tokio::task::JoinHandle<()>)> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/hooks", listener.local_addr()?);
    let app = Router::new().route(
        "/hooks",
        post(move |body: Bytes| {
            let arrivals = arrivals.clone();
            async move {
                let at = Instant::now();
                let event: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                if let Some(id) = event["data"]["session_id"].as_str()
                    && let Ok(mut seen) = arrivals.lock()
                {
                    seen.entry(id.to_owned()).or_insert(at);
                }
                StatusCode::NO_CONTENT
            }
        }),
    );
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok((url, task))
}
