//! Provider round trips are bound to the browser that pressed Continue (RFC 9700 §4.7): a
//! victim sent the callback (or the provider's authorize URL) of an attacker's session cannot
//! finish it, while the browser that started finishes as before; each attempt has its own
//! `state`, PKCE challenge and nonce.

use idgate_testkit as common;

use common::{TestApp, browser, location, query};

const RETURN: &str = "https://partner.example.com/back";

/// Presses Continue in `client`; returns where the hosted page sent it.
async fn press_continue(app: &TestApp, client: &reqwest::Client, url: &str) -> String {
    let r = client
        .post(format!("{url}/start"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), 303);
    let to = location(&r);
    if to.starts_with('/') {
        app.url(&to)
    } else {
        to
    }
}

#[tokio::test]
async fn a_callback_finishes_only_in_the_browser_that_started() {
    let app = TestApp::spawn().await;
    let p = app.partner_with_return_url("A", RETURN).await;
    let (id, url) = app.hopae_verification(&p, "veriff", RETURN).await;

    // The attacker starts the session in their browser and approves at the provider, but
    // keeps the callback URL for the victim instead of following it.
    let attacker = browser();
    let authorize = press_continue(&app, &attacker, &url).await;
    let state = query(&authorize).get("state").cloned().unwrap_or_default();
    let submitted = attacker
        .post(app.url("/sandbox/veriff/authorize"))
        .form(&[("state", state.as_str()), ("outcome", "approved")])
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(submitted.status(), 303);
    let callback = app.url(&location(&submitted));

    let victim = browser();
    let refused = victim
        .get(&callback)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(refused.status(), 400);
    let page = refused.text().await.unwrap_or_default();
    assert!(page.contains("browser where you started"), "{page}");
    assert_eq!(
        app.hopae_status(&p, &id).await,
        "pending",
        "nothing was decided"
    );

    // A state whose browser tag was altered is refused the same way, even with the cookie.
    let forged = callback.replace(&state, &format!("{}x", &state[..state.len() - 1]));
    let r = attacker
        .get(&forged)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), 400);
    assert_eq!(app.hopae_status(&p, &id).await, "pending");

    // The browser that started finishes.
    let finished = attacker
        .get(&callback)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(finished.status(), 303);
    assert!(
        location(&finished).starts_with(RETURN),
        "{}",
        location(&finished)
    );
    assert_eq!(app.hopae_status(&p, &id).await, "completed");
    app.stop().await;
}

#[tokio::test]
async fn each_attempt_has_its_own_state_pkce_and_nonce() {
    let app = TestApp::spawn().await;
    let p = app.partner_with_return_url("A", RETURN).await;
    let (_, url) = app.hopae_verification(&p, "eid-simulator", RETURN).await;
    let client = browser();
    let first = query(&press_continue(&app, &client, &url).await);
    let second = query(&press_continue(&app, &client, &url).await);
    for key in ["state", "code_challenge", "nonce"] {
        assert!(
            first.get(key).is_some_and(|v| !v.is_empty()),
            "{key}: {first:?}"
        );
        assert_ne!(first.get(key), second.get(key), "{key} is per attempt");
    }
    app.stop().await;
}

/// A `state` is accepted for an hour after Continue: a callback URL kept in history, a log or
/// a mail scanner's cache decides nothing later, although it is genuine and from this browser.
#[tokio::test]
async fn a_state_from_long_ago_is_refused() {
    let app = TestApp::spawn().await;
    let p = app.partner_with_return_url("A", RETURN).await;
    let (id, url) = app.hopae_verification(&p, "veriff", RETURN).await;
    press_continue(&app, &app.client, &url).await;
    let session: idgate_core::SessionId = id.parse().unwrap_or_else(|e| panic!("{e}"));
    let browser_value = "abcdefghijklmnopqrstuvwx";
    let issued = chrono::Utc::now().timestamp()
        - idgate_hub::service::sessions::FLOW_STATE_LIFETIME_SECS
        - 5;
    let state = app
        .hub
        .flow_state(session, &format!("{issued}-old"), browser_value);
    let mut url = url::Url::parse(&app.url("/callback/veriff")).unwrap_or_else(|e| panic!("{e}"));
    url.query_pairs_mut()
        .append_pair("state", &state)
        .append_pair("outcome", "approved");
    let r = browser()
        .get(url.as_str())
        .header("cookie", format!("idgate-flow={browser_value}"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), 400);
    let page = r.text().await.unwrap_or_default();
    assert!(page.contains("took too long"), "{page}");
    assert_eq!(app.hopae_status(&p, &id).await, "pending");
    // The same, issued now, is accepted: the refusal was the age alone.
    let fresh = app.hub.flow_state(
        session,
        &format!("{}-new", chrono::Utc::now().timestamp()),
        browser_value,
    );
    let mut url = url::Url::parse(&app.url("/callback/veriff")).unwrap_or_else(|e| panic!("{e}"));
    url.query_pairs_mut()
        .append_pair("state", &fresh)
        .append_pair("outcome", "approved");
    let r = browser()
        .get(url.as_str())
        .header("cookie", format!("idgate-flow={browser_value}"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), 303);
    assert_eq!(app.hopae_status(&p, &id).await, "completed");
}
