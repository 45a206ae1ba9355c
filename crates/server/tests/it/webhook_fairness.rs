//! Webhook delivery is fair: a partner whose receiver never answers holds at most
//! `webhooks.per_endpoint_in_flight` slots, and the rest keep flowing to other partners at
//! once instead of waiting for its timeouts; a partner registers a bounded number of endpoints.

use idgate_testkit as common;

use common::{Partner, Receiver, TestApp};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

const RETURN: &str = "https://partner.example.com/return";

/// A receiver that accepts connections and never answers; counts the connections.
async fn silent_receiver() -> (Arc<AtomicUsize>, String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let url = format!(
        "http://{}/hook",
        listener.local_addr().unwrap_or_else(|e| panic!("{e}"))
    );
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = accepted.clone();
    let task = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            held.push(socket);
        }
    });
    (accepted, url, task)
}

async fn add_endpoint(app: &TestApp, p: &Partner, url: &str) -> (u16, Value) {
    app.post(p, "/api/v1/webhook-endpoints", json!({ "url": url }))
        .await
}

async fn attempts_to(app: &TestApp, endpoint: &str) -> Vec<i32> {
    let id = endpoint.parse().unwrap_or_else(|e| panic!("{e}"));
    app.hub
        .operator()
        .store()
        .list_deliveries(id, None, 100)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .iter()
        .map(|d| d.attempts)
        .collect()
}

#[tokio::test]
async fn a_receiver_that_never_answers_holds_its_own_slots_only() {
    // Four slots per node, two per endpoint; a hung attempt lasts the 5 s outbound timeout.
    let app = TestApp::spawn().await;
    let (hung, silent_url, silent) = silent_receiver().await;
    let a = app.partner_with_return_url("Stuck", RETURN).await;
    let (status, a_hook) = add_endpoint(&app, &a, &silent_url).await;
    assert_eq!(status, 201, "{a_hook}");
    for _ in 0..6 {
        app.create_flow(&a, "veriff", RETURN).await;
    }
    for _ in 0..100 {
        if hung.load(Ordering::SeqCst) >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        hung.load(Ordering::SeqCst),
        2,
        "A's endpoint got its two slots"
    );

    let (receiver, url) = Receiver::start().await;
    let b = app.partner_with_return_url("Healthy", RETURN).await;
    let (status, _) = add_endpoint(&app, &b, &url).await;
    assert_eq!(status, 201);
    app.create_flow(&b, "veriff", RETURN).await;
    let mut arrived = false;
    for _ in 0..200 {
        if !receiver.accepted().is_empty() {
            arrived = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(arrived, "B's event was not delivered");
    // B's event went out while A's two attempts were still hanging: not one of A's attempts
    // has finished (the old job waited for a whole batch, all of it A's), and A never had more
    // than its two connections.
    let a_attempts = attempts_to(&app, &common::text(&a_hook, "id")).await;
    assert_eq!(a_attempts.len(), 6);
    assert!(a_attempts.iter().all(|n| *n == 0), "{a_attempts:?}");
    assert_eq!(hung.load(Ordering::SeqCst), 2);
    silent.abort();
}

#[tokio::test]
async fn a_partner_registers_a_bounded_number_of_endpoints() {
    let app = TestApp::spawn_with(|s| s.webhooks.max_endpoints_per_partner = 2).await;
    let p = app.partner_with_return_url("A", RETURN).await;
    let (_, url) = Receiver::start().await;
    for _ in 0..2 {
        assert_eq!(add_endpoint(&app, &p, &url).await.0, 201);
    }
    let (status, refused) = add_endpoint(&app, &p, &url).await;
    assert_eq!(status, 409, "{refused}");
    assert_eq!(refused["code"], "too_many_webhook_endpoints");
    // Per-verification URLs (Hopae's webhookUrl) are not registrations and still work.
    let (status, created) = app
        .hopae(
            &p,
            reqwest::Method::POST,
            "/verifications",
            Some(json!({ "providerId": "veriff", "redirectUri": RETURN, "webhookUrl": url })),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    // Another partner has its own allowance.
    let q = app.partner_with_return_url("B", RETURN).await;
    assert_eq!(add_endpoint(&app, &q, &url).await.0, 201);
}
