//! Partner webhooks end to end: a real receiver captures what idgate sends; signatures are
//! checked with the Standard Webhooks organisation's own library, not with idgate's code.

use idgate_testkit as common;

use axum::http::HeaderMap;
use common::{Partner, Receiver, TestApp};
use serde_json::{Value, json};
use std::sync::atomic::Ordering;
use std::time::Duration;

const RETURN: &str = "https://partner.example.com/return";

/// Waits (bounded) until `cond` holds.
async fn eventually(what: &str, mut cond: impl AsyncFnMut() -> bool) {
    for _ in 0..200 {
        if cond().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting until {what}");
}

async fn add_endpoint(app: &TestApp, p: &Partner, body: Value) -> Value {
    let (status, created) = app.post(p, "/api/v1/webhook-endpoints", body).await;
    assert_eq!(status, 201, "{created}");
    created
}

async fn approved_session(app: &TestApp, p: &Partner) -> String {
    let created = app.create_flow(p, "veriff", RETURN).await;
    let id = common::text(&created, "verification_id");
    let (s, b) = app
        .post(
            p,
            &format!("/api/v1/sandbox/verification/{id}/decision"),
            json!({"outcome": "approved"}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    id
}

/// No delivery is left pending when a test ends (the last attempt's record may trail the
/// receiver's answer by a moment).
async fn assert_outbox_empty(app: &TestApp) {
    eventually("the outbox is empty", async || {
        app.hub
            .operator()
            .store()
            .oldest_pending_delivery()
            .await
            .ok()
            .flatten()
            .is_none()
    })
    .await;
}

fn standard_verify(secret: &str, headers: &HeaderMap, body: &[u8]) -> bool {
    let hook = standardwebhooks::Webhook::new(secret).unwrap_or_else(|e| panic!("{e:?}"));
    hook.verify(body, headers).is_ok()
}

#[tokio::test]
async fn a_sandbox_verification_sends_signed_events_in_order() {
    let app = TestApp::spawn().await;
    let (receiver, url) = Receiver::start().await;
    let p = app.partner_with_return_url("A", RETURN).await;
    let endpoint = add_endpoint(&app, &p, json!({"url": url, "sign_ed25519": true})).await;
    let secret = common::text(&endpoint, "secret");
    assert!(secret.starts_with("whsec_"));
    let id = approved_session(&app, &p).await;

    eventually("four events arrived", async || {
        receiver.accepted().len() >= 4
    })
    .await;
    let events = receiver.accepted();
    let types: Vec<&str> = events
        .iter()
        .map(|(_, b)| b["type"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        types,
        [
            "session.created",
            "session.started",
            "session.submitted",
            "session.approved"
        ]
    );
    let seqs: Vec<i64> = events
        .iter()
        .map(|(_, b)| b["data"]["sequence"].as_i64().unwrap_or(0))
        .collect();
    assert_eq!(seqs, [1, 2, 3, 4]);
    let (_, last) = &events[3];
    assert_eq!(last["data"]["session_id"], json!(id));
    assert_eq!(last["data"]["status"], "approved");
    assert_eq!(last["data"]["dialect_status"], "approved");
    assert_eq!(last["data"]["previous_status"], "submitted");
    assert_eq!(last["data"]["external_refs"]["user_id"], "42");
    assert!(
        last["data"].get("claims").is_none(),
        "no personal data unless opted in"
    );

    // Every request verifies with the independent Standard Webhooks implementation, and
    // the Ed25519 signature with the published key.
    let jwks: Value = app
        .client
        .get(app.url("/.well-known/jwks.json"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .json()
        .await
        .unwrap_or_default();
    let x = jwks["keys"][0]["x"].as_str().unwrap_or_default();
    use base64::Engine;
    let public = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(x)
        .unwrap_or_default();
    for (headers, body) in receiver.raw() {
        assert!(
            standard_verify(&secret, &headers, &body),
            "HMAC signature does not verify"
        );
        let id = headers
            .get("webhook-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        assert!(id.starts_with("evt_"));
        let ts = headers
            .get("webhook-timestamp")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let sig = headers
            .get("webhook-signature")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let v1a = sig
            .split(' ')
            .find_map(|s| s.strip_prefix("v1a,"))
            .unwrap_or_default();
        let v1a = base64::engine::general_purpose::STANDARD
            .decode(v1a)
            .unwrap_or_default();
        let mut signed = format!("{id}.{ts}.").into_bytes();
        signed.extend_from_slice(&body);
        let key =
            aws_lc_rs::signature::UnparsedPublicKey::new(&aws_lc_rs::signature::ED25519, &public);
        assert!(
            key.verify(&signed, &v1a).is_ok(),
            "Ed25519 signature does not verify"
        );
        // A tampered body fails.
        let mut tampered = body.to_vec();
        tampered.push(b' ');
        assert!(!standard_verify(&secret, &headers, &tampered));
    }
    assert_outbox_empty(&app).await;
}

#[tokio::test]
async fn rotation_signs_with_old_and_new_secrets_during_the_overlap() {
    let app = TestApp::spawn().await;
    let (receiver, url) = Receiver::start().await;
    let p = app.partner_with_return_url("A", RETURN).await;
    let endpoint = add_endpoint(&app, &p, json!({"url": url, "events": ["session.created"]})).await;
    let old = common::text(&endpoint, "secret");
    let id = common::text(&endpoint, "id");
    let (s, rotated) = app
        .post(
            &p,
            &format!("/api/v1/webhook-endpoints/{id}/rotate-secret"),
            json!({}),
        )
        .await;
    assert_eq!(s, 200, "{rotated}");
    let new = common::text(&rotated, "secret");
    assert_ne!(old, new);
    assert_eq!(
        rotated["endpoint"]["secrets"].as_array().map(Vec::len),
        Some(2)
    );
    assert!(rotated["endpoint"]["secrets"][0]["expires_at"].is_string());

    app.create_flow(&p, "veriff", RETURN).await;
    eventually("the event arrived", async || !receiver.raw().is_empty()).await;
    let (headers, body) = &receiver.raw()[0];
    let sig = headers
        .get("webhook-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert_eq!(sig.split(' ').count(), 2, "{sig}");
    assert!(standard_verify(&old, headers, body), "old secret");
    assert!(standard_verify(&new, headers, body), "new secret");
    assert_outbox_empty(&app).await;
}

#[tokio::test]
async fn a_receiver_that_is_down_then_up_gets_every_event_in_order() {
    let app = TestApp::spawn().await;
    let (receiver, url) = Receiver::start().await;
    receiver.answer(503);
    let p = app.partner_with_return_url("A", RETURN).await;
    add_endpoint(&app, &p, json!({"url": url})).await;
    let mut sessions = Vec::new();
    for _ in 0..3 {
        sessions.push(approved_session(&app, &p).await);
    }
    eventually("the receiver was tried", async || {
        receiver.requests.load(Ordering::SeqCst) >= 3
    })
    .await;
    receiver.answer(200);
    eventually("all twelve events arrived", async || {
        receiver.accepted().len() >= 12
    })
    .await;
    assert_outbox_empty(&app).await;
    let events = receiver.accepted();
    assert_eq!(events.len(), 12, "each event once");
    for session in &sessions {
        let seqs: Vec<i64> = events
            .iter()
            .filter(|(_, b)| b["data"]["session_id"] == json!(session))
            .map(|(_, b)| b["data"]["sequence"].as_i64().unwrap_or(0))
            .collect();
        assert_eq!(seqs, [1, 2, 3, 4], "session {session} out of order");
    }
}

#[tokio::test]
async fn a_dead_delivery_can_be_redelivered_and_attempts_are_recorded() {
    let app = TestApp::spawn().await;
    let (receiver, url) = Receiver::start().await;
    receiver.answer(500);
    let p = app.partner_with_return_url("A", RETURN).await;
    let endpoint = add_endpoint(&app, &p, json!({"url": url})).await;
    let ep = common::text(&endpoint, "id");
    let (s, queued) = app
        .post(
            &p,
            &format!("/api/v1/webhook-endpoints/{ep}/test"),
            json!({}),
        )
        .await;
    assert_eq!(s, 202, "{queued}");
    let event_id = common::text(&queued, "event_id");
    let delivery_id = common::text(&queued, "delivery_id");

    // Four attempts (the test schedule), then dead.
    let path = format!("/api/v1/webhook-endpoints/{ep}/deliveries?status=dead");
    eventually("the delivery died", async || {
        app.get(&p, &path).await.1["data"]
            .as_array()
            .is_some_and(|d| d.len() == 1)
    })
    .await;
    let (_, detail) = app
        .get(
            &p,
            &format!("/api/v1/webhook-endpoints/{ep}/deliveries/{delivery_id}"),
        )
        .await;
    assert_eq!(detail["status"], "dead");
    assert_eq!(detail["attempts"], 4);
    let attempts = detail["attempts_made"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(attempts.len(), 4);
    assert!(
        attempts
            .iter()
            .all(|a| a["status_code"] == 500 && a["response_body"] == "noted")
    );
    assert_eq!(detail["last_error"], "HTTP 500 Internal Server Error");

    // Fixed receiver; redeliver that event.
    receiver.answer(200);
    let (s, r) = app
        .post(
            &p,
            &format!("/api/v1/webhook-endpoints/{ep}/redeliver"),
            json!({"event_id": event_id}),
        )
        .await;
    assert_eq!((s, r["queued"].as_u64()), (202, Some(1)), "{r}");
    eventually("the test event arrived", async || {
        !receiver.accepted().is_empty()
    })
    .await;
    let (_, body) = &receiver.accepted()[0];
    assert_eq!(body["type"], "webhook.test");
    assert_eq!(body["id"], json!(event_id));
    assert_outbox_empty(&app).await;

    // Range redelivery: nothing dead is left, so nothing is queued; bad requests are refused.
    let (s, r) = app
        .post(
            &p,
            &format!("/api/v1/webhook-endpoints/{ep}/redeliver"),
            json!({"since": "2020-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!((s, r["queued"].as_u64()), (202, Some(0)), "{r}");
    let (s, r) = app
        .post(
            &p,
            &format!("/api/v1/webhook-endpoints/{ep}/redeliver"),
            json!({}),
        )
        .await;
    assert_eq!(
        (s, r["code"].as_str()),
        (422, Some("validation_failed")),
        "{r}"
    );
    let (s, r) = app
        .post(
            &p,
            &format!("/api/v1/webhook-endpoints/{ep}/redeliver"),
            json!({"since": "yesterday"}),
        )
        .await;
    assert_eq!(
        (s, r["code"].as_str()),
        (422, Some("validation_failed")),
        "{r}"
    );
}

#[tokio::test]
async fn claims_go_only_to_endpoints_that_opted_in() {
    let app = TestApp::spawn().await;
    let (plain, plain_url) = Receiver::start().await;
    let (rich, rich_url) = Receiver::start().await;
    let p = app.partner_with_return_url("A", RETURN).await;
    add_endpoint(
        &app,
        &p,
        json!({"url": plain_url, "events": ["session.approved"]}),
    )
    .await;
    add_endpoint(
        &app,
        &p,
        json!({"url": rich_url, "events": ["session.approved"], "include_claims": true}),
    )
    .await;
    approved_session(&app, &p).await;
    eventually("both got the approval", async || {
        plain.accepted().len() == 1 && rich.accepted().len() == 1
    })
    .await;
    assert!(plain.accepted()[0].1["data"].get("claims").is_none());
    let claims = &rich.accepted()[0].1["data"]["claims"];
    assert_eq!(claims["given_name"], "Sandbox");
    assert_eq!(rich.accepted()[0].1["data"]["achieved_loa"], 3);
    assert_outbox_empty(&app).await;
}

#[tokio::test]
async fn private_targets_are_refused() {
    let app = TestApp::spawn().await;
    let p = app.partner_with_return_url("A", RETURN).await;
    for url in [
        "https://10.0.0.1/hook",
        "https://169.254.169.254/latest",
        "https://[::1]/hook",
        "ftp://partner.example/x",
        "https://user@partner.example/x",
    ] {
        let (s, b) = app
            .post(&p, "/api/v1/webhook-endpoints", json!({"url": url}))
            .await;
        assert_eq!(
            (s, b["code"].as_str()),
            (422, Some("webhook_url_invalid")),
            "{url}: {b}"
        );
    }
    let (s, b) = app
        .post(
            &p,
            "/api/v1/webhook-endpoints",
            json!({"url": "https://partner.example/hooks", "events": ["session.exploded"]}),
        )
        .await;
    assert_eq!(
        (s, b["code"].as_str()),
        (422, Some("unknown_event_types")),
        "{b}"
    );
    let (s, b) = app
        .post(&p, "/api/v1/webhook-endpoints", json!({"events": "all"}))
        .await;
    assert_eq!(
        (s, b["code"].as_str()),
        (422, Some("validation_failed")),
        "{b}"
    );
    assert!(
        b["errors"]["url"].is_array() && b["errors"]["events"].is_array(),
        "{b}"
    );
}

#[tokio::test]
async fn a_name_resolving_to_a_private_address_is_refused_at_delivery() {
    // This deployment does not allow loopback targets.
    let app = TestApp::spawn_with(|s| s.outbound.allow_private.clear()).await;
    let hub = app.hub.clone();
    let (receiver, url) = Receiver::start().await;
    let (partner, _) = hub
        .create_partner("A", idgate_core::Tier::SelfServe)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let port = url.rsplit(':').next().unwrap_or_default().to_owned();
    let named = format!("http://localhost:{port}");
    let (endpoint, _) = hub
        .add_webhook_endpoint(
            partner.id,
            idgate_hub::service::webhooks::NewEndpoint {
                url: named,
                ..Default::default()
            },
        )
        .await
        .unwrap_or_else(|e| panic!("a name is only checked when resolved: {e}"));
    let (_, delivery) = hub
        .send_test_event(&endpoint)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    eventually("the attempt was refused", async || {
        hub.operator()
            .store()
            .delivery_attempts(delivery)
            .await
            .is_ok_and(|a| !a.is_empty())
    })
    .await;
    let attempts = hub
        .operator()
        .store()
        .delivery_attempts(delivery)
        .await
        .unwrap_or_default();
    assert!(
        attempts[0]
            .error
            .as_deref()
            .is_some_and(|e| e.contains("private or reserved")),
        "{attempts:?}"
    );
    assert_eq!(
        receiver.requests.load(Ordering::SeqCst),
        0,
        "nothing reached the receiver"
    );
    // Let the schedule run out so the outbox is left clean.
    eventually("the delivery died", async || {
        hub.operator()
            .store()
            .get_delivery(delivery)
            .await
            .ok()
            .flatten()
            .is_some_and(|d| d.status == idgate_core::DeliveryStatus::Dead)
    })
    .await;
    app.stop().await;
}

#[tokio::test]
async fn an_endpoint_failing_for_too_long_is_disabled_and_can_be_enabled_again() {
    let app = TestApp::spawn_with(|s| s.webhooks.disable_after = "300ms".into()).await;
    let hub = app.hub.clone();
    let (receiver, url) = Receiver::start().await;
    receiver.answer(502);
    let (partner, _) = hub
        .create_partner("A", idgate_core::Tier::SelfServe)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let (endpoint, _) = hub
        .add_webhook_endpoint(
            partner.id,
            idgate_hub::service::webhooks::NewEndpoint {
                url,
                ..Default::default()
            },
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let (_, delivery) = hub
        .send_test_event(&endpoint)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    eventually("the endpoint was disabled", async || {
        hub.webhook_endpoint(None, endpoint.id)
            .await
            .is_ok_and(|e| !e.enabled)
    })
    .await;
    let disabled = hub
        .webhook_endpoint(None, endpoint.id)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        disabled
            .disabled_reason
            .as_deref()
            .is_some_and(|r| r.contains("failed")),
        "{disabled:?}"
    );
    // Disabled: its pending delivery waits instead of burning its attempts.
    let waiting = hub
        .operator()
        .store()
        .get_delivery(delivery)
        .await
        .ok()
        .flatten();
    assert!(
        waiting.is_some_and(|d| d.status == idgate_core::DeliveryStatus::Pending && d.attempts < 4)
    );

    receiver.answer(200);
    let patch = idgate_hub::service::webhooks::EndpointPatch {
        enabled: Some(true),
        ..Default::default()
    };
    hub.update_webhook_endpoint(disabled, patch)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    eventually("the waiting delivery went out", async || {
        receiver.accepted().len() == 1
    })
    .await;
    assert_outbox_empty(&app).await;
    app.stop().await;
}

#[tokio::test]
async fn endpoints_are_managed_per_partner() {
    let app = TestApp::spawn().await;
    let (receiver, url) = Receiver::start().await;
    let a = app.partner_with_return_url("A", RETURN).await;
    let b = app.partner("B").await;
    let created = add_endpoint(
        &app,
        &a,
        json!({"url": url, "events": ["session.approved", "session.declined"]}),
    )
    .await;
    let id = common::text(&created, "id");
    assert!(id.starts_with("ep_"));
    assert_eq!(
        created["events"],
        json!(["session.approved", "session.declined"])
    );
    assert!(
        created["secrets"][0].get("key").is_none(),
        "secrets are never listed"
    );

    let (_, list) = app.get(&a, "/api/v1/webhook-endpoints").await;
    assert_eq!(list["data"].as_array().map(Vec::len), Some(1));
    assert!(list["data"][0].get("secret").is_none());
    let (_, others) = app.get(&b, "/api/v1/webhook-endpoints").await;
    assert_eq!(others["data"], json!([]));
    let (s, _) = app
        .get(&b, &format!("/api/v1/webhook-endpoints/{id}"))
        .await;
    assert_eq!(s, 404, "another partner's endpoint does not exist for B");
    let (s, _) = app.get(&a, "/api/v1/webhook-endpoints/ep_nonsense").await;
    assert_eq!(s, 404);

    let r = app
        .client
        .patch(app.url(&format!("/api/v1/webhook-endpoints/{id}")))
        .headers(a.headers())
        .json(&json!({"events": [], "enabled": false}))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let (s, patched) = common::read(r).await;
    assert_eq!(s, 200, "{patched}");
    assert_eq!(
        (patched["events"].clone(), patched["enabled"].clone()),
        (json!([]), json!(false))
    );
    // Disabled endpoints are not sent new events.
    approved_session(&app, &a).await;
    let (_, deliveries) = app
        .get(&a, &format!("/api/v1/webhook-endpoints/{id}/deliveries"))
        .await;
    assert_eq!(deliveries["data"], json!([]));
    let (s, b2) = app
        .get(
            &a,
            &format!("/api/v1/webhook-endpoints/{id}/deliveries?status=lost"),
        )
        .await;
    assert_eq!((s, b2["code"].as_str()), (422, Some("validation_failed")));
    // The page size is bounded as documented (1-1000).
    for limit in ["0", "1001", "2147483648"] {
        let (s, b3) = app
            .get(
                &a,
                &format!("/api/v1/webhook-endpoints/{id}/deliveries?limit={limit}"),
            )
            .await;
        assert_eq!(
            (s, b3["code"].as_str()),
            (422, Some("validation_failed")),
            "{limit}: {b3}"
        );
    }
    assert_eq!(receiver.requests.load(Ordering::SeqCst), 0);
    assert_outbox_empty(&app).await;
}

/// Checks `X-Hopae-Signature: t=<unix>,v1=<hex>` as a Hopae client would: HMAC-SHA256 of
/// `"{t}.{body}"` keyed with the secret text, compared in constant time, `t` within 300 s.
fn hopae_verify(secret: &str, header: &str, body: &[u8]) -> bool {
    let mut t = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", v)) => t = v.parse::<i64>().ok(),
            Some(("v1", v)) => signatures.extend(hex::decode(v).ok()),
            _ => {}
        }
    }
    let Some(t) = t else { return false };
    if (chrono::Utc::now().timestamp() - t).abs() > 300 {
        return false;
    }
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, secret.as_bytes());
    let mut signed = format!("{t}.").into_bytes();
    signed.extend_from_slice(body);
    signatures
        .iter()
        .any(|s| aws_lc_rs::hmac::verify(&key, &signed, s).is_ok())
}

#[tokio::test]
async fn hopae_verifications_send_hopae_envelopes_signed_with_x_hopae_signature() {
    let app = TestApp::spawn().await;
    let (receiver, url) = Receiver::start().await;
    let p = app.partner_with_return_url("A", RETURN).await;
    let endpoint = add_endpoint(&app, &p, json!({"url": url})).await;
    let secret = common::text(&endpoint, "secret");
    let (status, created) = app
        .hopae(
            &p,
            reqwest::Method::POST,
            "/verifications",
            Some(json!({"providerId": "sandbox-qr", "redirectUri": RETURN})),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let id = common::text(&created, "verificationId");
    let (status, decided) = app
        .hopae(
            &p,
            reqwest::Method::POST,
            &format!("/sandbox/verifications/{id}/decision"),
            Some(json!({"outcome": "approved", "loa": 3})),
        )
        .await;
    assert_eq!(status, 200, "{decided}");
    eventually("all four events arrived", async || {
        receiver.accepted().len() == 4
    })
    .await;
    let raw = receiver.raw();
    let events: Vec<Value> = raw
        .iter()
        .map(|(_, b)| serde_json::from_slice(b).unwrap_or(Value::Null))
        .collect();
    let names: Vec<&str> = events
        .iter()
        .map(|e| e["event"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        names,
        vec![
            "verification.created",
            "verification.requested",
            "verification.user.authentication_started",
            "verification.completed",
        ]
    );
    let last = events.last().cloned().unwrap_or(Value::Null);
    assert_eq!(last["event"], "verification.completed");
    assert_eq!(last["apiVersion"], "v1");
    assert_eq!(last["data"]["verificationId"], json!(id));
    assert_eq!(last["data"]["status"], "completed");
    assert_eq!(last["data"]["providerId"], "sandbox-qr");
    // A string in Hopae's webhook: its label for the level.
    assert_eq!(last["data"]["result"]["loa"], "substantial");
    // The app's client id, the one it authenticates with.
    assert_eq!(last["clientId"], json!(p.client_id));
    assert!(last["eventId"].is_string() && last["timestamp"].is_string());
    assert!(
        !String::from_utf8_lossy(&raw[raw.len() - 1].1).contains("Sandbox"),
        "no personal data in the envelope"
    );
    for (headers, body) in &raw {
        let header = headers
            .get("x-hopae-signature")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        assert!(hopae_verify(&secret, header, body), "{header}");
        assert!(
            !hopae_verify("whsec_wrong", header, body),
            "a wrong secret must not verify"
        );
        // The Standard Webhooks headers come along too.
        assert!(standard_verify(&secret, headers, body));
    }
    let (first_headers, first_body) = &raw[0];
    let mut tampered = first_body.to_vec();
    tampered.push(b' ');
    let header = first_headers
        .get("x-hopae-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert!(!hopae_verify(&secret, header, &tampered));
    assert_outbox_empty(&app).await;

    // During a rotation both secrets sign, the current one last: a receiver written from
    // Hopae's example, which keeps the last `v1` it reads, verifies with the new secret.
    let endpoint_id = common::text(&endpoint, "id");
    let (status, rotated) = app
        .post(
            &p,
            &format!("/api/v1/webhook-endpoints/{endpoint_id}/rotate-secret"),
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{rotated}");
    let new_secret = common::text(&rotated, "secret");
    let (status, _) = app
        .hopae(
            &p,
            reqwest::Method::POST,
            "/verifications",
            Some(json!({"providerId": "sandbox-qr", "redirectUri": RETURN})),
        )
        .await;
    assert_eq!(status, 201);
    eventually("the event after the rotation arrived", async || {
        receiver.accepted().len() == 5
    })
    .await;
    let raw = receiver.raw();
    let (headers, body) = &raw[raw.len() - 1];
    let header = headers
        .get("x-hopae-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let last_v1 = header
        .split(',')
        .filter_map(|part| part.strip_prefix("v1="))
        .next_back()
        .unwrap_or_default();
    let t = header
        .split(',')
        .find_map(|part| part.strip_prefix("t="))
        .unwrap_or_default();
    assert!(
        hopae_verify(&new_secret, &format!("t={t},v1={last_v1}"), body),
        "the last v1 is the new secret's: {header}"
    );
    assert!(
        hopae_verify(&secret, header, body),
        "the old one still signs too"
    );
}

#[tokio::test]
async fn a_per_verification_webhook_url_gets_that_verification_only() {
    let app = TestApp::spawn().await;
    let (general, general_url) = Receiver::start().await;
    let (own, own_url) = Receiver::start().await;
    let p = app.partner_with_return_url("A", RETURN).await;

    let endpoint = add_endpoint(&app, &p, json!({"url": general_url})).await;
    let secret = common::text(&endpoint, "secret");
    let (status, created) = app
        .hopae(
            &p,
            reqwest::Method::POST,
            "/verifications",
            Some(json!({"providerId": "sandbox-qr", "webhookUrl": own_url})),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let id = common::text(&created, "verificationId");
    let (status, other) = app
        .hopae(
            &p,
            reqwest::Method::POST,
            "/verifications",
            Some(json!({"providerId": "sandbox-qr"})),
        )
        .await;
    assert_eq!(status, 201, "{other}");
    let (status, _) = app
        .hopae(
            &p,
            reqwest::Method::POST,
            &format!("/sandbox/verifications/{id}/decision"),
            Some(json!({"outcome": "approved"})),
        )
        .await;
    assert_eq!(status, 200);
    eventually(
        "the verification's four events reached its URL",
        async || own.accepted().len() == 4,
    )
    .await;
    eventually(
        "the general endpoint heard both verifications",
        async || general.accepted().len() == 5,
    )
    .await;
    for (headers, body) in own.raw() {
        let value: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        assert_eq!(value["data"]["verificationId"], json!(id), "only its own");
        let header = headers
            .get("x-hopae-signature")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        assert!(
            hopae_verify(&secret, header, &body),
            "signed with the app's secret"
        );
    }
    // It is not one of the partner's endpoints.
    let (_, listed) = app.get(&p, "/api/v1/webhook-endpoints").await;
    assert_eq!(listed["data"].as_array().map(Vec::len), Some(1), "{listed}");
    assert_outbox_empty(&app).await;
}

#[tokio::test]
async fn a_rotation_reaches_verifications_already_running() {
    let app = TestApp::spawn().await;
    let (general, general_url) = Receiver::start().await;
    let (own, own_url) = Receiver::start().await;
    let p = app.partner_with_return_url("A", RETURN).await;
    let endpoint = add_endpoint(&app, &p, json!({"url": general_url})).await;
    let old = common::text(&endpoint, "secret");
    let (status, created) = app
        .hopae(
            &p,
            reqwest::Method::POST,
            "/verifications",
            Some(json!({"providerId": "sandbox-qr", "webhookUrl": own_url})),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let id = common::text(&created, "verificationId");
    eventually("the creation event arrived", async || {
        own.accepted().len() == 1
    })
    .await;

    // The partner rotates its secret while the verification runs.
    let endpoint_id = common::text(&endpoint, "id");
    let (s, rotated) = app
        .post(
            &p,
            &format!("/api/v1/webhook-endpoints/{endpoint_id}/rotate-secret"),
            json!({}),
        )
        .await;
    assert_eq!(s, 200, "{rotated}");
    let new = common::text(&rotated, "secret");
    let (status, _) = app
        .hopae(
            &p,
            reqwest::Method::POST,
            &format!("/sandbox/verifications/{id}/decision"),
            Some(json!({"outcome": "approved"})),
        )
        .await;
    assert_eq!(status, 200);
    eventually("the verification's four events arrived", async || {
        own.accepted().len() == 4
    })
    .await;
    let raw = own.raw();
    let (first_headers, first_body) = &raw[0];
    assert!(standard_verify(&old, first_headers, first_body));
    for (headers, body) in &raw[1..] {
        assert!(
            standard_verify(&new, headers, body),
            "an event after the rotation is signed with the new secret"
        );
    }
    drop(general);
}

#[tokio::test]
async fn an_endpoint_disabled_for_failing_holds_later_events_and_one_disabled_by_hand_does_not() {
    let app = TestApp::spawn_with(|s| s.webhooks.disable_after = "300ms".into()).await;
    let (receiver, url) = Receiver::start().await;
    receiver.answer(502);
    let p = app.partner_with_return_url("A", RETURN).await;
    let endpoint = add_endpoint(&app, &p, json!({"url": url, "events": ["session.created"]})).await;
    let endpoint_id = common::text(&endpoint, "id");
    app.create_flow(&p, "veriff", RETURN).await;
    eventually("the endpoint was disabled for failing", async || {
        let (_, e) = app
            .get(&p, &format!("/api/v1/webhook-endpoints/{endpoint_id}"))
            .await;
        e["enabled"] == false
    })
    .await;
    // Its partner turning it off as well makes it an endpoint its partner disabled.
    let (s, off) = app
        .patch(
            &p,
            &format!("/api/v1/webhook-endpoints/{endpoint_id}"),
            json!({"enabled": false}),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(off["disabled_reason"], "disabled by request");
    let (s, _) = app
        .patch(
            &p,
            &format!("/api/v1/webhook-endpoints/{endpoint_id}"),
            json!({"enabled": false}),
        )
        .await;
    assert_eq!(s, 200);
    receiver.answer(502);
    // Failing again after a fresh start, it is disabled by idgate once more.
    let (s, _) = app
        .patch(
            &p,
            &format!("/api/v1/webhook-endpoints/{endpoint_id}"),
            json!({"enabled": true}),
        )
        .await;
    assert_eq!(s, 200);
    app.create_flow(&p, "veriff", RETURN).await;
    eventually("the endpoint was disabled for failing again", async || {
        let (_, e) = app
            .get(&p, &format!("/api/v1/webhook-endpoints/{endpoint_id}"))
            .await;
        e["enabled"] == false
    })
    .await;
    // Created while it is disabled: held, and sent once it is enabled again.
    let later = common::text(
        &app.create_flow(&p, "veriff", RETURN).await,
        "verification_id",
    );
    receiver.answer(200);
    let (s, _) = app
        .patch(
            &p,
            &format!("/api/v1/webhook-endpoints/{endpoint_id}"),
            json!({"enabled": true}),
        )
        .await;
    assert_eq!(s, 200);
    eventually("the held event arrived", async || {
        receiver
            .accepted()
            .iter()
            .any(|(_, b)| b["data"]["session_id"] == json!(later))
    })
    .await;

    // Disabled by its partner: events meanwhile are not kept for it.
    let (s, _) = app
        .patch(
            &p,
            &format!("/api/v1/webhook-endpoints/{endpoint_id}"),
            json!({"enabled": false}),
        )
        .await;
    assert_eq!(s, 200);
    let unheard = common::text(
        &app.create_flow(&p, "veriff", RETURN).await,
        "verification_id",
    );
    let (s, _) = app
        .patch(
            &p,
            &format!("/api/v1/webhook-endpoints/{endpoint_id}"),
            json!({"enabled": true}),
        )
        .await;
    assert_eq!(s, 200);
    let heard = common::text(
        &app.create_flow(&p, "veriff", RETURN).await,
        "verification_id",
    );
    eventually("the event after re-enabling arrived", async || {
        receiver
            .accepted()
            .iter()
            .any(|(_, b)| b["data"]["session_id"] == json!(heard))
    })
    .await;
    assert!(
        !receiver
            .accepted()
            .iter()
            .any(|(_, b)| b["data"]["session_id"] == json!(unheard))
    );
}
