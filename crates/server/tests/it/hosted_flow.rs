//! The hosted flow over HTTP, as a browser walks it: landing page, start, sandbox provider,
//! callback, redirect to the partner with the outcome and a result token.

use idgate_testkit as common;

use common::{TestApp, location, query, verify_result_token};
use serde_json::json;

const RETURN: &str = "http://127.0.0.1:9/partner/return";

fn absolute(app: &TestApp, loc: &str) -> String {
    if loc.starts_with('/') {
        app.url(loc)
    } else {
        loc.to_owned()
    }
}

/// Opens the landing page, presses continue, and returns the sandbox page URL.
async fn start(app: &TestApp, verification_url: &str) -> String {
    let landing = app
        .client
        .get(verification_url)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(landing.status(), 200);
    let csp = landing
        .headers()
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(csp.contains("default-src 'none'"), "{csp}");
    assert_eq!(
        landing
            .headers()
            .get("referrer-policy")
            .and_then(|v| v.to_str().ok()),
        Some("no-referrer")
    );
    let html = landing.text().await.unwrap_or_default();
    assert!(html.contains("Sandbox"), "the page says it is a sandbox");
    assert!(html.contains("Veriff (sandbox)"));
    let started = app
        .client
        .post(format!("{verification_url}/start"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(started.status(), 303);
    let sandbox = location(&started);
    assert!(
        sandbox.starts_with(&app.url("/sandbox/veriff/authorize?state=")),
        "{sandbox}"
    );
    sandbox
}

/// Submits the sandbox form and follows the redirects up to the partner's URL.
async fn choose(app: &TestApp, sandbox_url: &str, outcome: &str, reason: Option<&str>) -> String {
    let page = app
        .client
        .get(sandbox_url)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap_or_default();
    assert!(
        html.contains("<label for=\"reason\">"),
        "controls are labelled"
    );
    let state = query(sandbox_url).get("state").cloned().unwrap_or_default();
    let mut form = vec![("state", state.as_str()), ("outcome", outcome)];
    if let Some(r) = reason {
        form.push(("reason", r));
    }
    let r = app
        .client
        .post(app.url("/sandbox/veriff/authorize"))
        .form(&form)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), 303);
    let callback = absolute(app, &location(&r));
    assert!(callback.contains("/callback/veriff?"), "{callback}");
    let r = app
        .client
        .get(&callback)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), 303);
    location(&r)
}

#[tokio::test]
async fn approve_lands_on_the_return_url_with_a_verifiable_result() {
    let app = TestApp::spawn().await;
    let p = app.partner_with_return_url("A", RETURN).await;
    let created = app
        .create_flow(
            &p,
            "veriff",
            "http://127.0.0.1:9/partner/return/step?keep=me",
        )
        .await;
    let id = common::text(&created, "verification_id");
    let vurl = common::text(&created, "verification_url");
    let sandbox = start(&app, &vurl).await;
    let landing = choose(&app, &sandbox, "approved", None).await;
    assert!(
        landing.starts_with("http://127.0.0.1:9/partner/return/step?keep=me&"),
        "{landing}"
    );
    let q = query(&landing);
    assert_eq!(q.get("session_id"), Some(&id));
    assert_eq!(q.get("status").map(String::as_str), Some("approved"));
    assert_eq!(q.get("reason"), None);
    let claims = verify_result_token(
        &app,
        q.get("result_token")
            .map(String::as_str)
            .unwrap_or_default(),
        &p.id,
    )
    .await;
    assert_eq!(claims["sub"], json!(id));
    assert_eq!(claims["status"], "approved");
    assert_eq!(claims["canonical_status"], "approved");

    let (_, status) = app
        .get(&p, &format!("/api/v1/verification/status/{id}"))
        .await;
    assert_eq!(status["status"], "approved");

    // A reload, or the link opened again, lands the same way without moving anything.
    let again = app
        .client
        .get(&vurl)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(again.status(), 303);
    assert_eq!(
        query(&location(&again)).get("status").map(String::as_str),
        Some("approved")
    );
    let replay = app
        .client
        .get(&sandbox)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(replay.status(), 303);
    let events = app
        .hub
        .timeline(id.parse().unwrap_or_else(|e| panic!("{e}")))
        .await
        .unwrap_or_default();
    assert_eq!(events.len(), 4);
}

#[tokio::test]
async fn a_second_tab_cannot_overturn_the_first_decision() {
    let app = TestApp::spawn().await;
    let p = app.partner_with_return_url("A", RETURN).await;
    let created = app.create_flow(&p, "veriff", RETURN).await;
    let vurl = common::text(&created, "verification_url");
    let tab1 = start(&app, &vurl).await;
    let tab2 = start(&app, &vurl).await;
    let first = choose(&app, &tab1, "declined", Some("document_expired")).await;
    assert_eq!(
        query(&first).get("status").map(String::as_str),
        Some("declined")
    );
    assert_eq!(
        query(&first).get("reason").map(String::as_str),
        Some("document_expired")
    );
    // The second tab's choice lands on the outcome that stands.
    let state = query(&tab2).get("state").cloned().unwrap_or_default();
    let r = app
        .client
        .get(app.url(&format!("/callback/veriff?state={state}&outcome=approved")))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        query(&location(&r)).get("status").map(String::as_str),
        Some("declined")
    );
}

#[tokio::test]
async fn resubmission_then_retry_then_cancel() {
    let app = TestApp::spawn().await;
    let p = app.partner_with_return_url("A", RETURN).await;
    let created = app.create_flow(&p, "veriff", RETURN).await;
    let id = common::text(&created, "verification_id");
    let vurl = common::text(&created, "verification_url");
    let sandbox = start(&app, &vurl).await;
    let landed = choose(&app, &sandbox, "resubmission_requested", None).await;
    assert_eq!(
        query(&landed).get("status").map(String::as_str),
        Some("pending")
    );
    assert_eq!(
        query(&landed).get("reason").map(String::as_str),
        Some("resubmission_requested")
    );
    let (_, status) = app
        .get(&p, &format!("/api/v1/verification/status/{id}"))
        .await;
    assert_eq!(status["next_action"], "continue_verification");

    // The user opens the link again: asked to redo, starts again, then cancels.
    let html = app
        .client
        .get(&vurl)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .text()
        .await
        .unwrap_or_default();
    assert!(html.contains("needs to be redone"), "{html}");
    let sandbox = start(&app, &vurl).await;
    let landed = choose(&app, &sandbox, "cancelled", None).await;
    assert_eq!(
        query(&landed).get("status").map(String::as_str),
        Some("cancelled")
    );
    assert_eq!(
        query(&landed).get("reason").map(String::as_str),
        Some("user_cancelled")
    );
}

#[tokio::test]
async fn review_shows_a_waiting_page() {
    let app = TestApp::spawn().await;
    let p = app.partner_with_return_url("A", RETURN).await;
    let created = app.create_flow(&p, "veriff", RETURN).await;
    let vurl = common::text(&created, "verification_url");
    let sandbox = start(&app, &vurl).await;
    let landed = choose(&app, &sandbox, "review", None).await;
    assert_eq!(
        query(&landed).get("status").map(String::as_str),
        Some("pending")
    );
    let page = app
        .client
        .get(&vurl)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(page.status(), 200);
    assert!(
        page.text()
            .await
            .unwrap_or_default()
            .contains("Verification in progress")
    );
}

#[tokio::test]
async fn tampered_or_unknown_links_get_readable_pages_and_change_nothing() {
    let app = TestApp::spawn().await;
    let p = app.partner_with_return_url("A", RETURN).await;
    let created = app.create_flow(&p, "veriff", RETURN).await;
    let id = common::text(&created, "verification_id");
    let vurl = common::text(&created, "verification_url");
    let sandbox = start(&app, &vurl).await;
    let state = query(&sandbox).get("state").cloned().unwrap_or_default();
    let (sid, tag) = state.split_once('.').unwrap_or_default();

    let other = app.create_flow(&p, "veriff", RETURN).await;
    let other_id = other["verification_id"].as_str().unwrap_or_default();
    let forged = [
        format!("/callback/veriff?state={other_id}.{tag}&outcome=approved"),
        format!("/callback/veriff?state={sid}.AAAAAAAAAAAAAAAAAAAAAA&outcome=approved"),
        format!("/callback/veriff?state={sid}&outcome=approved"),
        "/callback/veriff?outcome=approved".to_owned(),
        format!("/callback/bankid?state={state}&outcome=approved"),
        format!("/callback/veriff?state={state}&outcome=teleported"),
        format!("/sandbox/veriff/authorize?state={other_id}.{tag}"),
    ];
    for path in forged {
        let r = app
            .client
            .get(app.url(&path))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.status(), 400, "{path}");
        let page = r.text().await.unwrap_or_default();
        assert!(page.contains("This link does not work"), "{path}");
    }
    for path in ["/v/not-a-real-token", "/v/"] {
        let r = app
            .client
            .get(app.url(path))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.status(), 404, "{path}");
    }
    let r = app
        .client
        .post(app.url("/v/not-a-real-token/start"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), 404);
    let r = app
        .client
        .post(app.url("/sandbox/veriff/authorize"))
        .form(&[("state", state.as_str()), ("outcome", "failed")])
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), 400);
    let r = app
        .client
        .post(app.url("/sandbox/veriff/authorize"))
        .form(&[
            ("state", state.as_str()),
            ("outcome", "declined"),
            ("reason", "because"),
        ])
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), 400);

    // Nothing moved.
    let (_, status) = app
        .get(&p, &format!("/api/v1/verification/status/{id}"))
        .await;
    assert_eq!(status["status"], "pending");
    let events = app
        .hub
        .timeline(id.parse().unwrap_or_else(|e| panic!("{e}")))
        .await
        .unwrap_or_default();
    assert_eq!(events.len(), 2, "created and started only");
}

#[tokio::test]
async fn an_expired_link_redirects_with_expired() {
    let app = TestApp::spawn().await;
    let p = app.partner_with_return_url("A", RETURN).await;
    let created = app.create_flow(&p, "veriff", RETURN).await;
    let vurl = common::text(&created, "verification_url");
    app.hub
        .sweep_expired(
            chrono::Utc::now() + chrono::Duration::days(8),
            10,
            chrono::Duration::seconds(30),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let r = app
        .client
        .get(&vurl)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), 303);
    let q = query(&location(&r));
    assert_eq!(q.get("status").map(String::as_str), Some("expired"));
    assert_eq!(q.get("reason").map(String::as_str), Some("session_expired"));
}

#[tokio::test]
async fn jwks_publishes_only_the_public_key() {
    let app = TestApp::spawn().await;
    let r = app
        .client
        .get(app.url("/.well-known/jwks.json"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let jwks: serde_json::Value = r.json().await.unwrap_or_default();
    let key = &jwks["keys"][0];
    assert_eq!(key["kty"], "OKP");
    assert_eq!(key["crv"], "Ed25519");
    assert!(key.get("d").is_none(), "no private part");
}

/// A Hopae verification without a redirect URI, walked to the sandbox's `outcome`; returns
/// the page the person ends on.
async fn outcome_without_return_url(app: &TestApp, outcome: &str) -> String {
    let p = app.partner("NoReturn").await;
    let (status, created) = app
        .hopae(
            &p,
            reqwest::Method::POST,
            "/verifications",
            Some(json!({"providerId": "veriff"})),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let url = created["flowDetails"]["authorizationUrl"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let sandbox = start(app, &url).await;
    let state = query(&sandbox).get("state").cloned().unwrap_or_default();
    let decided = app
        .client
        .post(app.url("/sandbox/veriff/authorize"))
        .form(&[("state", state.as_str()), ("outcome", outcome)])
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let callback = absolute(app, &location(&decided));
    let page = app
        .client
        .get(&callback)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(page.status(), 200);
    page.text().await.unwrap_or_default()
}

#[tokio::test]
async fn without_a_return_url_the_page_says_where_the_verification_stands() {
    let app = TestApp::spawn().await;
    let page = outcome_without_return_url(&app, "resubmission_requested").await;
    assert!(page.contains("Please try again"), "{page}");
    assert!(!page.contains("Verification finished"), "{page}");
    let page = outcome_without_return_url(&app, "review").await;
    assert!(page.contains("Verification in progress"), "{page}");
    let page = outcome_without_return_url(&app, "approved").await;
    assert!(page.contains("You are verified"), "{page}");
    let page = outcome_without_return_url(&app, "cancelled").await;
    assert!(page.contains("You cancelled"), "{page}");

    // Cancelled by the partner: the person is not told they did it.
    let p = app.partner("Canceller").await;
    let (_, created) = app
        .hopae(
            &p,
            reqwest::Method::POST,
            "/verifications",
            Some(json!({"providerId": "veriff"})),
        )
        .await;
    let id = created["verificationId"].as_str().unwrap_or_default();
    let (status, _) = app
        .hopae(
            &p,
            reqwest::Method::DELETE,
            &format!("/verifications/{id}"),
            None,
        )
        .await;
    assert!(status < 300, "{status}");
    let page = app
        .client
        .get(
            created["flowDetails"]["authorizationUrl"]
                .as_str()
                .unwrap_or_default(),
        )
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .text()
        .await
        .unwrap_or_default();
    assert!(
        page.contains("Canceller cancelled this verification"),
        "{page}"
    );
    assert!(!page.contains("You cancelled"), "{page}");
}

#[tokio::test]
async fn progress_for_an_unknown_link_is_json_the_page_script_can_stop_on() {
    let app = TestApp::spawn().await;
    let r = app
        .client
        .get(app.url("/v/no-such-token/progress"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), 404);
    assert!(
        r.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.starts_with("application/json"))
    );
    let body: serde_json::Value = r.json().await.unwrap_or_default();
    assert_eq!(body["done"], true, "{body}");
}

#[tokio::test]
async fn a_refused_identifier_stays_in_the_form() {
    let app = TestApp::spawn().await;
    let p = app.partner("Push").await;
    let (status, created) = app
        .hopae(
            &p,
            reqwest::Method::POST,
            "/verifications",
            Some(json!({"providerId": "sandbox-push"})),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let url = created["flowDetails"]["authorizationUrl"]
        .as_str()
        .unwrap_or_default();
    let r = app
        .client
        .post(format!("{url}/start"))
        .form(&[("identifier", "PNOXX-12345")])
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), 400);
    let page = r.text().await.unwrap_or_default();
    assert!(page.contains(r#"id="error""#), "{page}");
    assert!(
        page.contains(r#"value="PNOXX-12345""#),
        "what was typed is kept: {page}"
    );
    // Accepted: the waiting page says where the request went, in the browser that sent it.
    let r = app
        .client
        .post(format!("{url}/start"))
        .form(&[("identifier", " PNOEE-39001010000 ")])
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(r.status(), 303);
    let waiting = |client: reqwest::Client| async move {
        client
            .get(url)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e:?}"))
            .text()
            .await
            .unwrap_or_default()
    };
    let page = waiting(app.client.clone()).await;
    assert!(
        page.contains(r#"<p id="pushed-to">The request went to PNOEE-39001010000.</p>"#),
        "{page}"
    );
    let elsewhere = waiting(reqwest::Client::new()).await;
    assert!(
        elsewhere.contains(r#"id="verification-code""#) && !elsewhere.contains("pushed-to"),
        "{elsewhere}"
    );
}

#[tokio::test]
async fn a_waiting_page_follows_its_session_without_a_meta_refresh() {
    let app = TestApp::spawn().await;
    let p = app.partner("Waiting").await;
    let (_, created) = app
        .hopae(
            &p,
            reqwest::Method::POST,
            "/verifications",
            Some(json!({"providerId": "veriff"})),
        )
        .await;
    let url = created["flowDetails"]["authorizationUrl"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let id: idgate_core::SessionId = created["verificationId"]
        .as_str()
        .unwrap_or_default()
        .parse()
        .unwrap_or_else(|e| panic!("{e}"));
    let decide = async |decision| {
        let session = app.hub.session(id).await.unwrap_or_else(|e| panic!("{e}"));
        app.hub
            .sandbox_decide(
                session,
                idgate_providers::sandbox::SandboxChoice::new(decision),
                idgate_core::Actor::Provider,
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    };
    decide(idgate_providers::Decision::Review).await;
    let page = app
        .client
        .get(&url)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .text()
        .await
        .unwrap_or_default();
    assert!(page.contains("data-progress=\"/v/"), "{page}");
    assert!(
        !page
            .replace("<noscript><meta http-equiv=\"refresh\"", "")
            .contains("http-equiv=\"refresh\""),
        "a refresh only for browsers without script: {page}"
    );
    let progress = async || -> serde_json::Value {
        app.client
            .get(format!("{url}/progress"))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .json()
            .await
            .unwrap_or_default()
    };
    assert_eq!(progress().await["done"], false);
    decide(idgate_providers::Decision::Approved).await;
    assert_eq!(progress().await["done"], true);
}

#[tokio::test]
async fn a_person_can_cancel_from_the_first_page_and_always_finds_a_way_back() {
    let app = TestApp::spawn_with(|s| s.sessions.result_token_lifetime = "1s".to_owned()).await;
    let p = app.partner_with_return_url("Shop", RETURN).await;
    let created = app.create_flow(&p, "veriff", RETURN).await;
    let url = created["verification_url"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let landing = app
        .client
        .get(&url)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .text()
        .await
        .unwrap_or_default();
    assert!(landing.contains("Cancel and go back to Shop"), "{landing}");
    // Cancel on the first page: back to the partner with the outcome.
    let r = app
        .client
        .post(format!("{url}/cancel"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), 303);
    let back = location(&r);
    assert!(back.starts_with(&format!("{RETURN}?")), "{back}");
    assert_eq!(
        query(&back).get("status").map(String::as_str),
        Some("cancelled")
    );

    // Later (the result token has expired), the link still leads back to the partner: the
    // outcome without a token, which the partner reads from its API.
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let r = app
        .client
        .get(&url)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), 200);
    let page = r.text().await.unwrap_or_default();
    assert!(page.contains("Verification cancelled"), "{page}");
    let link = page
        .split("id=\"back-to-partner\"")
        .next()
        .and_then(|before| before.rsplit("href=\"").next())
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_default()
        .replace("&#38;", "&")
        .replace("&amp;", "&");
    assert!(link.starts_with(&format!("{RETURN}?")), "{link}");
    let q = query(&link);
    assert_eq!(q.get("status").map(String::as_str), Some("cancelled"));
    assert!(!q.contains_key("result_token"), "{link}");
    assert!(page.contains("Back to Shop"), "{page}");
}

#[tokio::test]
async fn a_verification_moves_to_a_phone_by_a_single_use_link_and_the_computer_follows() {
    let app = TestApp::spawn().await;
    let p = app.partner_with_return_url("Shop", RETURN).await;
    let created = app.create_flow(&p, "veriff", RETURN).await;
    let url = created["verification_url"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let computer = common::browser();
    let phone = common::browser();
    let landing = computer
        .get(&url)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .text()
        .await
        .unwrap_or_default();
    assert!(landing.contains("id=\"continue-on-phone\""), "{landing}");
    let page = computer
        .get(format!("{url}/phone"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .text()
        .await
        .unwrap_or_default();
    assert!(page.contains("<svg"), "a QR code: {page}");
    let link = page
        .split("id=\"handoff-link\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .unwrap_or_default()
        .to_owned();
    assert!(link.starts_with(&app.url("/h/")), "{link}");
    let follow = async || -> serde_json::Value {
        computer
            .get(format!("{url}/progress?follow=1"))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .json()
            .await
            .unwrap_or_default()
    };
    assert_eq!(follow().await["done"], false);

    // The phone opens the link once: the same verification, on the phone.
    let opened = phone
        .get(&link)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(opened.status(), 303);
    assert_eq!(absolute(&app, &location(&opened)), url);
    let again = phone
        .get(&link)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(again.status(), 410, "single use");
    assert!(
        again
            .text()
            .await
            .unwrap_or_default()
            .contains("already used")
    );
    let forged = phone
        .get(app.url("/h/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(forged.status(), 404);

    // The phone goes through the provider; the computer keeps waiting, then follows.
    let started = phone
        .post(format!("{url}/start"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(started.status(), 303);
    assert_eq!(follow().await["done"], false);
    assert_eq!(
        follow().await["message"],
        "Continuing on your phone.",
        "the computer says where things stand"
    );
    let sandbox = absolute(&app, &location(&started));
    let state = query(&sandbox).get("state").cloned().unwrap_or_default();
    let decided = phone
        .post(app.url("/sandbox/veriff/authorize"))
        .form(&[("state", state.as_str()), ("outcome", "approved")])
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let landed = phone
        .get(absolute(&app, &location(&decided)))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        location(&landed).starts_with(RETURN),
        "the phone lands at the partner"
    );
    assert_eq!(follow().await["done"], true);
    // The computer's page then reloads the link, which lands at the partner too.
    let computer_lands = computer
        .get(&url)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(computer_lands.status(), 303);
    assert!(location(&computer_lands).starts_with(&format!("{RETURN}?")));
}
