//! A finished session's landing hands the partner its result once: every visit while the
//! result token is fresh redirects with the same token (minted as of the decision); after
//! that, the link shows the result and sends nothing to the partner.

use idgate_testkit as common;

use common::{TestApp, location, query};
use reqwest::Method;
use serde_json::json;
use std::time::Duration;

const RETURN: &str = "https://partner.example.com/back";

#[tokio::test]
async fn a_finished_landing_gives_the_decision_time_token_then_only_the_result() {
    let app = TestApp::spawn_with(|s| s.sessions.result_token_lifetime = "3s".into()).await;
    let p = app.partner_with_return_url("A", RETURN).await;
    let (id, url) = app.hopae_verification(&p, "veriff", RETURN).await;
    let (status, decided) = app
        .hopae(
            &p,
            Method::POST,
            &format!("/sandbox/verifications/{id}/decision"),
            Some(json!({"outcome": "approved"})),
        )
        .await;
    assert_eq!(status, 200, "{decided}");

    let visit = || async {
        app.client
            .get(&url)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    };
    let first = visit().await;
    assert_eq!(first.status(), 303);
    let first_token = query(&location(&first))
        .get("result_token")
        .cloned()
        .unwrap_or_default();
    assert!(!first_token.is_empty());
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let second = visit().await;
    assert_eq!(second.status(), 303);
    assert_eq!(
        query(&location(&second)).get("result_token"),
        Some(&first_token),
        "a later visit gets the decision-time token, not a fresh one"
    );

    tokio::time::sleep(Duration::from_millis(2_500)).await;
    let late = visit().await;
    assert_eq!(late.status(), 200, "no redirect once the token has expired");
    let page = late.text().await.unwrap_or_default();
    assert!(page.contains("You are verified"), "{page}");
    assert!(!page.contains("result_token"));
    app.stop().await;
}

#[tokio::test]
async fn a_provider_answer_after_the_session_expired_decides_nothing() {
    let app = TestApp::spawn_with(|s| s.sessions.lifetime = "2s".into()).await;
    let p = app.partner_with_return_url("A", RETURN).await;
    let (id, url) = app.hopae_verification(&p, "veriff", RETURN).await;
    let started = app
        .client
        .post(format!("{url}/start"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let state = query(&location(&started))
        .get("state")
        .cloned()
        .unwrap_or_default();
    let submitted = app
        .client
        .post(app.url("/sandbox/veriff/authorize"))
        .form(&[("state", state.as_str()), ("outcome", "approved")])
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let callback = app.url(&location(&submitted));
    // The expiry sweep runs hourly here: only the callback's own check can catch this.
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    let late = app
        .client
        .get(&callback)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let landed = location(&late);
    assert!(!landed.contains("status=completed"), "{landed}");
    assert_eq!(app.hopae_status(&p, &id).await, "expired");
    app.stop().await;
}
