//! Webhooks survive an idgate crash: events queued while the receiver is down are delivered
//! after idgate is killed (SIGKILL) and started again, once the receiver is up.

use crate::support::{Db, after, free_port, run_json, serve};
use idgate_testkit::Receiver;
use serde_json::{Value, json};
use std::time::Duration;

const CONFIG: &str = r#"
[webhooks]
schedule = ["0s", "1s", "1s", "1s", "1s", "1s", "1s", "1s", "1s", "1s"]
jitter = 0.0
claim_lease = "2s"
poll_interval = "200ms"

[outbound]
allow_private = ["127.0.0.0/8"]

# The redirect sandbox, whose outcome the sandbox decision endpoint sets.
[dialects.easyfreelance.providers]
bankid = "sandbox"
"#;

#[tokio::test]
async fn events_survive_a_crash_while_the_receiver_is_down() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(dir.path().join("idgate.toml"), CONFIG).unwrap_or_else(|e| panic!("{e}"));
    let db = Db::for_test(dir.path());
    let port = free_port();
    let node = serve(dir.path(), &db, port, &[]).await;
    let base = node.base();
    let token = after(&node.printed, "access token:").to_owned();
    let api_key = after(&node.printed, "API-key:").to_owned();
    let http = reqwest::Client::new();
    let authed = |r: reqwest::RequestBuilder| r.bearer_auth(&token).header("API-key", &api_key);

    // The receiver's port is free: nothing listens there yet.
    let receiver_port = free_port();
    let endpoint: Value = authed(http.post(format!("{base}/api/v1/webhook-endpoints")))
        .json(&json!({"url": format!("http://127.0.0.1:{receiver_port}/hooks")}))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .json()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let endpoint_id = endpoint["id"].as_str().unwrap_or_default().to_owned();
    let created: Value = authed(http.post(format!("{base}/api/v1/users/5/verification/flows")))
        .json(&json!({"provider": "bankid", "partner_return_url": format!("{base}/demo/return")}))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .json()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let session = created["verification_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let decided = authed(http.post(format!(
        "{base}/api/v1/sandbox/verification/{session}/decision"
    )))
    .json(&json!({"outcome": "approved"}))
    .send()
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(decided.status(), 200);

    // Wait until the first event has failed at least once, then crash.
    let mut tried = false;
    for _ in 0..100 {
        let deliveries = run_json(
            dir.path(),
            &db,
            &["webhook", "deliveries", &endpoint_id, "--json"],
        )
        .await;
        if deliveries
            .as_array()
            .is_some_and(|d| d.iter().any(|x| x["attempts"].as_i64() >= Some(1)))
        {
            tried = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(tried, "no delivery attempt was made");
    node.kill().await;

    // The receiver comes up, then idgate does.
    let (inbox, _) = Receiver::start_on(receiver_port).await;
    let node = serve(dir.path(), &db, port, &[]).await;
    let mut got = Vec::new();
    for _ in 0..200 {
        got = inbox.accepted().into_iter().map(|(_, body)| body).collect();
        if got.len() >= 4 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut ids: Vec<&str> = got
        .iter()
        .map(|e| e["id"].as_str().unwrap_or_default())
        .collect();
    ids.dedup();
    assert_eq!(ids.len(), 4, "every event arrived: {got:?}");
    let seqs: Vec<i64> = got
        .iter()
        .map(|e| e["data"]["sequence"].as_i64().unwrap_or(0))
        .collect();
    assert_eq!(seqs, [1, 2, 3, 4], "in order");

    // Nothing is left in the queue.
    let mut pending = Value::Null;
    for _ in 0..50 {
        pending = run_json(
            dir.path(),
            &db,
            &[
                "webhook",
                "deliveries",
                &endpoint_id,
                "--status",
                "pending",
                "--json",
            ],
        )
        .await;
        if pending == json!([]) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(pending, json!([]));
    let (status, logs) = node.stop().await;
    assert!(status.success(), "{logs}");
}
