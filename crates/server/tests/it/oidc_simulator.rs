//! The built-in OIDC simulator, driven through idgate's own OIDC adapter over HTTP exactly as
//! a real eID would be: login, levels, denial, and the token endpoint's own checks.

use idgate_testkit as common;

use common::{TestApp, location, query, text};
use reqwest::Method;
use serde_json::json;

const HIGH: &str = "http://eidas.europa.eu/LoA/high";
const LOW: &str = "http://eidas.europa.eu/LoA/low";

/// Starts a verification at the simulator; returns (verification id, authorize URL).
async fn begin(app: &TestApp, p: &common::Partner, loa: Option<u8>) -> (String, String) {
    let mut body = json!({"providerId": "eid-simulator"});
    if let Some(loa) = loa {
        body["requestedLoa"] = json!(loa);
    }
    let (status, created) = app
        .hopae(p, Method::POST, "/verifications", Some(body))
        .await;
    assert_eq!(status, 201, "{created}");
    let url = text(&created["flowDetails"], "authorizationUrl");
    let r = app
        .client
        .post(format!("{url}/start"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    (text(&created, "verificationId"), location(&r))
}

/// The login page's sealed request.
async fn login_request(app: &TestApp, authorize: &str) -> String {
    let page = app
        .client
        .get(authorize)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .text()
        .await
        .unwrap_or_default();
    page.split("name=\"request\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_default()
        .to_owned()
}

async fn submit(app: &TestApp, request: &str, decision: &str, acr: &str) -> String {
    let r = app
        .client
        .post(app.url("/simulators/oidc/authorize"))
        .form(&[
            ("request", request),
            ("identity", "PNONO-14038512345"),
            ("acr", acr),
            ("decision", decision),
        ])
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), 303);
    location(&r)
}

#[tokio::test]
async fn the_simulator_logs_in_through_the_oidc_adapter() {
    let app = TestApp::spawn().await;
    let p = app.partner("A").await;
    let (id, authorize) = begin(&app, &p, Some(3)).await;
    assert!(
        authorize.starts_with(&app.url("/simulators/oidc/authorize?")),
        "{authorize}"
    );
    let params = query(&authorize);
    assert_eq!(
        params.get("code_challenge_method").map(String::as_str),
        Some("S256")
    );
    assert_eq!(params.get("prompt").map(String::as_str), Some("login"));
    let request = login_request(&app, &authorize).await;
    let back = submit(&app, &request, "login", HIGH).await;
    assert!(
        back.starts_with(&app.url("/callback/eid-simulator?")),
        "{back}"
    );
    let r = app
        .client
        .get(&back)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), 200, "no return URL: the result page");
    let (_, info) = app
        .hopae(
            &p,
            Method::GET,
            &format!("/verifications/{id}/userinfo"),
            None,
        )
        .await;
    assert_eq!(info["hopae_loa"], 4);
    assert_eq!(info["family_name"], "Nordmann");
    assert_eq!(info["personal_identity_number"], "14038512345");

    // The code cannot be redeemed twice, whoever asks.
    let code = query(&back).get("code").cloned().unwrap_or_default();
    let again = app
        .client
        .post(app.url("/simulators/oidc/token"))
        .basic_auth("idgate-simulator", Some("idgate-simulator-secret"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", app.url("/callback/eid-simulator").as_str()),
            ("code_verifier", "x".repeat(43).as_str()),
        ])
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(again.status(), 400);
}

#[tokio::test]
async fn the_simulator_denies_refuses_low_levels_and_checks_its_inputs() {
    let app = TestApp::spawn().await;
    let p = app.partner("A").await;
    let (id, authorize) = begin(&app, &p, None).await;
    let back = submit(&app, &login_request(&app, &authorize).await, "deny", HIGH).await;
    assert_eq!(
        query(&back).get("error").map(String::as_str),
        Some("access_denied")
    );
    app.client
        .get(&back)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let (_, status) = app
        .hopae(&p, Method::GET, &format!("/verifications/{id}"), None)
        .await;
    assert_eq!(status["status"], "cancelled");

    let (id, authorize) = begin(&app, &p, Some(3)).await;
    let back = submit(&app, &login_request(&app, &authorize).await, "login", LOW).await;
    app.client
        .get(&back)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let (_, status) = app
        .hopae(&p, Method::GET, &format!("/verifications/{id}"), None)
        .await;
    assert_eq!(status["status"], "failed");
    assert_eq!(status["error"]["code"], "insufficient_loa");

    // It only ever sends the browser back to idgate, requires PKCE, and checks its seal.
    let (_, authorize) = begin(&app, &p, None).await;
    let evil = authorize.replace(
        &urlencode(&app.url("/callback/eid-simulator")),
        &urlencode("https://evil.example.com/cb"),
    );
    let r = app
        .client
        .get(&evil)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), 400);
    let without_pkce: String = authorize
        .split('&')
        .filter(|p| !p.starts_with("code_challenge"))
        .collect::<Vec<_>>()
        .join("&");
    let r = app
        .client
        .get(&without_pkce)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        query(&location(&r)).get("error").map(String::as_str),
        Some("invalid_request")
    );
    let r = app
        .client
        .post(app.url("/simulators/oidc/authorize"))
        .form(&[
            ("request", "forged.AAAA"),
            ("identity", "PNONO-14038512345"),
            ("acr", HIGH),
            ("decision", "login"),
        ])
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), 400);
    let r = app
        .client
        .post(app.url("/simulators/oidc/token"))
        .form(&[("grant_type", "authorization_code"), ("code", "x")])
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), 401, "no client credentials");
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
