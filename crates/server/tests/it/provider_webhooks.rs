//! The provider port's inbound side over real HTTP: a provider pushes signed notifications to
//! `/providers/{id}/webhook`; idgate lets the adapter prove their origin over the raw bytes,
//! records what they say on the right session, and stays unchanged by repeats, late or
//! contradicting deliveries, forgeries and notices for sessions it does not know.
//!
//! The adapter here signs like Veriff does (hex HMAC-SHA256 of the raw body in
//! `X-HMAC-SIGNATURE`); it stands in for an upstream adapter, which is what the port serves.

use idgate_testkit as common;

use async_trait::async_trait;
use aws_lc_rs::hmac;
use common::TestApp;
use idgate_providers::{
    Decision, FlowType, HeaderMap, NoticeEvent, Provider, ProviderError, ProviderInfo,
    ProviderNotice, ProviderOutcome, Returned, SessionContext, StartAction, StartRequest, Started,
};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;

const SECRET: &[u8] = b"upstream-shared-secret";
const RETURN: &str = "https://partner.example.com/back";

#[derive(Debug)]
struct SignedUpstream {
    info: ProviderInfo,
}

impl SignedUpstream {
    fn new() -> Self {
        SignedUpstream {
            info: ProviderInfo {
                id: "upstream".to_owned(),
                label: "Upstream document check".to_owned(),
                flow_type: FlowType::Redirect,
                max_loa: 3,
                claims: vec!["given_name".to_owned()],
                match_capable: false,
                sandbox: false,
                user_data: Vec::new(),
                match_fields: Vec::new(),
            },
        }
    }
}

#[async_trait]
impl Provider for SignedUpstream {
    fn info(&self) -> &ProviderInfo {
        &self.info
    }

    async fn start(&self, request: &StartRequest<'_>) -> Result<Started, ProviderError> {
        Ok(StartAction::Redirect {
            url: "https://upstream.example.com/flow".to_owned(),
            provider_reference: Some(format!("up-{}", request.session_id)),
        }
        .into())
    }

    async fn callback(
        &self,
        _: &BTreeMap<String, String>,
        _: SessionContext<'_>,
    ) -> Result<Returned, ProviderError> {
        Err(ProviderError::InvalidCallback(
            "decided by webhook".to_owned(),
        ))
    }

    async fn webhook(
        &self,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<ProviderNotice, ProviderError> {
        let signature = headers
            .get("x-hmac-signature")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| hex::decode(v).ok())
            .ok_or_else(|| ProviderError::NotAuthentic("no signature".to_owned()))?;
        hmac::verify(&hmac::Key::new(hmac::HMAC_SHA256, SECRET), body, &signature)
            .map_err(|_| ProviderError::NotAuthentic("signature mismatch".to_owned()))?;
        let notice: Value = serde_json::from_slice(body)
            .map_err(|e| ProviderError::InvalidCallback(e.to_string()))?;
        let reference = notice["id"].as_str().unwrap_or_default().to_owned();
        let event = match notice["action"].as_str() {
            Some("submitted") => NoticeEvent::Submitted,
            Some("decision") => NoticeEvent::Decided(Box::new(ProviderOutcome {
                decision: Decision::parse(notice["decision"].as_str().unwrap_or_default())
                    .ok_or_else(|| ProviderError::InvalidCallback("decision".to_owned()))?,
                reason: notice["reason"].as_str().map(String::from),
                raw_status: None,
                achieved_loa: Some(3),
                claims: None,
                match_result: None,
                evidence: None,
            })),
            _ => NoticeEvent::Informational,
        };
        Ok(ProviderNotice {
            provider_reference: reference,
            event,
        })
    }
}

fn sign(body: &[u8]) -> String {
    hex::encode(hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, SECRET), body))
}

/// Posts `body` to the provider's webhook route, signed with `signature`.
async fn push(
    app: &TestApp,
    provider: &str,
    body: &Value,
    signature: Option<&str>,
) -> (u16, Value) {
    let raw = serde_json::to_vec(body).unwrap_or_default();
    let mut request = app
        .client
        .post(app.url(&format!("/providers/{provider}/webhook")))
        .header("content-type", "application/json");
    if let Some(signature) = signature {
        request = request.header("x-hmac-signature", signature);
    }
    let answer = request
        .body(raw)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    common::read(answer).await
}

async fn signed(app: &TestApp, body: Value) -> (u16, Value) {
    let signature = sign(&serde_json::to_vec(&body).unwrap_or_default());
    push(app, "upstream", &body, Some(&signature)).await
}

#[tokio::test]
async fn signed_notices_drive_the_session_and_nothing_else_changes_it() {
    let app = TestApp::spawn_with_adapters(vec![Arc::new(SignedUpstream::new())]).await;
    let p = app.partner_with_return_url("A", RETURN).await;
    let (id, url) = app.hopae_verification(&p, "upstream", RETURN).await;
    let started = app
        .client
        .post(format!("{url}/start"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(started.status(), 303);
    assert_eq!(
        common::location(&started),
        "https://upstream.example.com/flow"
    );
    assert_eq!(app.hopae_status(&p, &id).await, "pending");
    let session: idgate_core::SessionId = id.parse().unwrap_or_else(|e| panic!("{e:?}"));
    let reference = format!("up-{session}");

    // Forged, unsigned or tampered notices are refused before anything is read.
    let approve = json!({"id": reference, "action": "decision", "decision": "approved"});
    let (status, problem) = push(&app, "upstream", &approve, Some(&sign(b"other body"))).await;
    assert_eq!(status, 401, "{problem}");
    assert_eq!(problem["code"], "notice_not_authentic");
    assert_eq!(push(&app, "upstream", &approve, None).await.0, 401);
    assert_eq!(push(&app, "upstream", &approve, Some("zz")).await.0, 401);
    assert_eq!(
        app.hopae_status(&p, &id).await,
        "pending",
        "a forgery changes nothing"
    );

    let (status, answer) = signed(&app, json!({"id": reference, "action": "submitted"})).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["changed"], true);
    assert_eq!(answer["status"], "submitted");
    assert_eq!(app.hopae_status(&p, &id).await, "authenticating");

    let (status, answer) = signed(&app, approve.clone()).await;
    assert_eq!((status, answer["status"].clone()), (200, json!("approved")));
    assert_eq!(answer["changed"], true);
    assert_eq!(app.hopae_status(&p, &id).await, "completed");

    // A repeat, a late `submitted` and a contradicting decision are acknowledged, unchanged.
    for late in [
        approve.clone(),
        json!({"id": reference, "action": "submitted"}),
        json!({"id": reference, "action": "decision", "decision": "declined", "reason": "x"}),
        json!({"id": reference, "action": "heartbeat"}),
    ] {
        let (status, answer) = signed(&app, late.clone()).await;
        assert_eq!(status, 200, "{late}: {answer}");
        assert_eq!(answer["changed"], false, "{late}");
        assert_eq!(answer["status"], "approved", "{late}");
    }
    assert_eq!(app.hopae_status(&p, &id).await, "completed");
    let events = app
        .hub
        .timeline(session)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let approvals = events
        .iter()
        .filter(|e| e.to_status == idgate_core::Status::Approved)
        .count();
    assert_eq!(approvals, 1, "one approval recorded: {events:?}");

    // A notice for no known session is acknowledged (the provider would retry an error).
    let (status, answer) = signed(
        &app,
        json!({"id": "up-unknown", "action": "decision", "decision": "approved"}),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["session"], Value::Null);

    // Unknown providers and providers without webhooks are 404 problem documents.
    let (status, problem) = push(&app, "nobody", &approve, None).await;
    assert_eq!(
        (status, problem["code"].clone()),
        (404, json!("provider_not_found"))
    );
    let (status, problem) = push(&app, "veriff", &approve, None).await;
    assert_eq!(
        (status, problem["code"].clone()),
        (404, json!("provider_sends_no_webhooks"))
    );
    // Unparseable but authentic: a 400 that says why.
    let junk = b"not json";
    let answer = app
        .client
        .post(app.url("/providers/upstream/webhook"))
        .header("x-hmac-signature", sign(junk))
        .body(junk.to_vec())
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let (status, problem) = common::read(answer).await;
    assert_eq!(
        (status, problem["code"].clone()),
        (400, json!("invalid_notice"))
    );
    // Oversized bodies are refused before the adapter sees them.
    let big = vec![b'x'; 300 * 1024];
    let answer = app
        .client
        .post(app.url("/providers/upstream/webhook"))
        .header("x-hmac-signature", sign(&big))
        .body(big)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(answer.status(), 413);
    app.stop().await;
}
