//! The Veriff dialect under load, as a Veriff client calls it: `POST /v1/sessions` signed over
//! the body (idgate checks a signature when one is sent) and `GET /v1/sessions/{id}/decision`
//! signed over the id, every answer signed back. Signatures are made before the clock starts,
//! so the generator's single core measures idgate, not its own HMACs.

use crate::client::{Headers, LoadClient};
use crate::{Node, Op};
use aws_lc_rs::hmac;
use bytes::Bytes;
use hyper::header::{HeaderName, HeaderValue};
use hyper::{Method, StatusCode};
use serde_json::json;
use std::sync::{Arc, Mutex};

const AUTH_CLIENT: HeaderName = HeaderName::from_static("x-auth-client");
const SIGNATURE: HeaderName = HeaderName::from_static("x-hmac-signature");

/// The demo integration's API key and shared secret, as idgate printed them.
#[derive(Clone, Debug, Default)]
pub struct Integration {
    pub api_key: String,
    pub shared_secret: String,
}

impl Integration {
    fn sign(&self, bytes: &[u8]) -> String {
        let key = hmac::Key::new(hmac::HMAC_SHA256, self.shared_secret.as_bytes());
        hex::encode(hmac::sign(&key, bytes).as_ref())
    }

    /// `X-AUTH-CLIENT` and the signature of `signed`.
    fn headers(&self, signed: &[u8]) -> Headers {
        let mut extra = Vec::new();
        if let (Ok(key), Ok(signature)) = (
            HeaderValue::from_str(&self.api_key),
            HeaderValue::from_str(&self.sign(signed)),
        ) {
            extra.push((AUTH_CLIENT, key));
            extra.push((SIGNATURE, signature));
        }
        Headers {
            extra,
            ..Headers::default()
        }
    }
}

/// A created session's id and the headers that read its decision.
pub type Created = (String, Headers);

/// `POST /v1/sessions`, signed; each created id goes to `sink` (up to 50 000).
pub fn create_op(client: &LoadClient, node: &Node, sink: Arc<Mutex<Vec<Created>>>) -> Op {
    let client = client.clone();
    let integration = node.veriff.clone();
    let body = Bytes::from(
        json!({"verification": {
            "callback": format!("{}/demo/return", node.base),
            "person": {"firstName": "Kari", "lastName": "Nordmann"},
            "vendorData": "bench"
        }})
        .to_string(),
    );
    let headers = integration.headers(&body);
    Box::new(move |w, _| {
        let (client, headers, body) = (client.clone(), headers.clone(), body.clone());
        let (sink, integration) = (sink.clone(), integration.clone());
        Box::pin(async move {
            let Ok((status, answer)) = client
                .send(w, Method::POST, "/v1/sessions", &headers, Some(body))
                .await
            else {
                return false;
            };
            if status != StatusCode::CREATED {
                return false;
            }
            let Ok(v) = serde_json::from_slice::<serde_json::Value>(&answer) else {
                return false;
            };
            if let (Some(id), Ok(mut sink)) = (v["verification"]["id"].as_str(), sink.lock())
                && sink.len() < 50_000
            {
                let read = integration.headers(id.as_bytes());
                sink.push((id.to_owned(), read));
            }
            true
        })
    })
}

/// `GET /v1/sessions/{id}/decision` over the created sessions, signed over each id.
pub fn decision_op(client: &LoadClient, created: Arc<Vec<Created>>) -> Op {
    let client = client.clone();
    Box::new(move |w, n| {
        let i = (w * 7919 + n as usize * 104_729) % created.len().max(1);
        let (path, headers) = created
            .get(i)
            .map(|(id, headers)| (format!("/v1/sessions/{id}/decision"), headers.clone()))
            .unwrap_or_default();
        let client = client.clone();
        Box::pin(async move {
            client
                .send(w, Method::GET, &path, &headers, None)
                .await
                .is_ok_and(|(status, _)| status == StatusCode::OK)
        })
    })
}
