//! The load generator's HTTP client: one keep-alive HTTP/1.1 connection per worker, driven
//! through hyper's connection API with requests built once per call.
//!
//! Why not reqwest: the generator has one core, and a general-purpose client (connection
//! pool, URL parsing, redirect and timeout machinery) spends more of it per request than the
//! server under test spends on a small handler. Measured on this machine, reqwest capped the
//! bare handler at about 35 000 requests/s while `wrk` on the same core reached 88 000/s, so
//! every figure measured the generator. A worker that owns its connection needs none of that.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper::{Method, Request, StatusCode, header};
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpStream;
use tokio::sync::Mutex;

/// A worker's connection, opened on first use and again after a failure.
type Slot = Mutex<Option<SendRequest<Full<Bytes>>>>;

/// A client for one server address, with a connection slot per load-generator worker.
#[derive(Clone)]
pub struct LoadClient {
    addr: SocketAddr,
    host: header::HeaderValue,
    slots: Arc<Vec<Slot>>,
}

/// What a request needs besides its path.
#[derive(Clone, Default)]
pub struct Headers {
    pub bearer: Option<header::HeaderValue>,
    pub api_key: Option<header::HeaderValue>,
    /// Any others (a dialect's own authentication headers).
    pub extra: Vec<(header::HeaderName, header::HeaderValue)>,
}

impl LoadClient {
    /// `workers` slots; a worker numbered beyond them shares a slot (and waits for it).
    pub fn new(addr: SocketAddr, workers: usize) -> anyhow::Result<Self> {
        let host = header::HeaderValue::from_str(&addr.to_string())?;
        let slots = (0..workers.max(1)).map(|_| Mutex::new(None)).collect();
        Ok(LoadClient {
            addr,
            host,
            slots: Arc::new(slots),
        })
    }

    /// A client for the server at `base` (`http://127.0.0.1:PORT`).
    pub fn for_base(base: &str, workers: usize) -> anyhow::Result<Self> {
        let authority = base
            .strip_prefix("http://")
            .ok_or_else(|| anyhow::anyhow!("not an http:// base URL: {base}"))?;
        Self::new(authority.trim_end_matches('/').parse()?, workers)
    }

    async fn connect(&self) -> anyhow::Result<SendRequest<Full<Bytes>>> {
        let stream = TcpStream::connect(self.addr).await?;
        stream.set_nodelay(true)?;
        let (sender, connection) = http1::handshake(TokioIo::new(stream)).await?;
        // Ends when the server closes the connection or the sender is dropped.
        tokio::spawn(async move {
            let _ = connection.await;
        });
        Ok(sender)
    }

    /// Sends one request on worker `worker`'s connection (opening it if needed) and reads the
    /// whole answer. A failed connection is dropped, so the next call opens a new one.
    pub async fn send(
        &self,
        worker: usize,
        method: Method,
        path: &str,
        headers: &Headers,
        json_body: Option<Bytes>,
    ) -> anyhow::Result<(StatusCode, Bytes)> {
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header(header::HOST, self.host.clone());
        if let Some(bearer) = &headers.bearer {
            request = request.header(header::AUTHORIZATION, bearer.clone());
        }
        if let Some(key) = &headers.api_key {
            request = request.header("api-key", key.clone());
        }
        for (name, value) in &headers.extra {
            request = request.header(name.clone(), value.clone());
        }
        if json_body.is_some() {
            request = request.header(header::CONTENT_TYPE, "application/json");
        }
        let request = request.body(Full::new(json_body.unwrap_or_default()))?;

        let slot = &self.slots[worker % self.slots.len()];
        let mut slot = slot.lock().await;
        let sender = match slot.as_mut() {
            Some(sender) if !sender.is_closed() => sender,
            _ => slot.insert(self.connect().await?),
        };
        let outcome = async {
            sender.ready().await?;
            let response = sender.send_request(request).await?;
            let status = response.status();
            let body = response.into_body().collect().await?.to_bytes();
            anyhow::Ok((status, body))
        }
        .await;
        if outcome.is_err() {
            *slot = None;
        }
        outcome
    }
}

/// An `Authorization: Bearer …` and `API-key` pair as header values.
pub fn easyfreelance_headers(token: &str, api_key: &str) -> anyhow::Result<Headers> {
    Ok(Headers {
        bearer: Some(header::HeaderValue::from_str(&format!("Bearer {token}"))?),
        api_key: Some(header::HeaderValue::from_str(api_key)?),
        extra: Vec::new(),
    })
}

/// The path (and query) of an absolute `http://host/...` URL.
pub fn path_of(url: &str) -> &str {
    let rest = url.strip_prefix("http://").unwrap_or(url);
    rest.find('/').map_or("/", |i| &rest[i..])
}
