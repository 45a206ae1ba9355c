//! The deepidv dialect under load, as deepidv's clients call it: `POST /v1/sessions` with the
//! applicant and `x-api-key`, then `GET /v1/sessions/{id}` over the created sessions.

use crate::client::{Headers, LoadClient};
use crate::{Node, Op};
use bytes::Bytes;
use hyper::header::{HeaderName, HeaderValue};
use hyper::{Method, StatusCode};
use serde_json::json;
use std::sync::{Arc, Mutex};

const API_KEY: HeaderName = HeaderName::from_static("x-api-key");

fn headers(key: &str) -> Headers {
    Headers {
        extra: HeaderValue::from_str(key)
            .map(|v| vec![(API_KEY, v)])
            .unwrap_or_default(),
        ..Headers::default()
    }
}

/// `POST /v1/sessions`; each created id goes to `sink` (up to 50 000).
pub fn create_op(client: &LoadClient, node: &Node, sink: Arc<Mutex<Vec<String>>>) -> Op {
    let client = client.clone();
    let headers = headers(&node.deepidv_key);
    let body = Bytes::from(
        json!({
            "first_name": "Kari", "last_name": "Nordmann", "email": "kari@example.com",
            "phone": "+4722000000", "external_id": "bench", "send_email_invite": false,
            "send_phone_invite": false, "redirect_url": format!("{}/demo/return", node.base),
        })
        .to_string(),
    );
    Box::new(move |w, _| {
        let (client, headers, body, sink) =
            (client.clone(), headers.clone(), body.clone(), sink.clone());
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
            if let (Ok(v), Ok(mut sink)) = (
                serde_json::from_slice::<serde_json::Value>(&answer),
                sink.lock(),
            ) && let Some(id) = v["id"].as_str()
                && sink.len() < 50_000
            {
                sink.push(id.to_owned());
            }
            true
        })
    })
}

/// `GET /v1/sessions/{id}` over the created sessions.
pub fn read_op(client: &LoadClient, node: &Node, created: Arc<Vec<String>>) -> Op {
    let client = client.clone();
    let headers = headers(&node.deepidv_key);
    Box::new(move |w, n| {
        let i = (w * 7919 + n as usize * 104_729) % created.len().max(1);
        let path = created
            .get(i)
            .map(|id| format!("/v1/sessions/{id}"))
            .unwrap_or_default();
        let (client, headers) = (client.clone(), headers.clone());
        Box::pin(async move {
            client
                .send(w, Method::GET, &path, &headers, None)
                .await
                .is_ok_and(|(status, _)| status == StatusCode::OK)
        })
    })
}
