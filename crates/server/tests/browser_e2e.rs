//! End to end in headless Chromium (Debian's chromium + chromium-driver, installed by
//! `scripts/test`): a partner creates a flow over HTTP, the browser opens verification_url,
//! completes the sandbox and lands on the partner's page with the outcome and a result token
//! that verifies against the published JWKS.

mod common;

use axum::extract::RawQuery;
use axum::response::Html;
use common::{TestApp, query, verify_result_token};
use fantoccini::{ClientBuilder, Locator};
use std::process::Stdio;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(20);

/// A stand-in for the partner's web site: shows what it received.
async fn partner_site() -> (String, tokio::task::JoinHandle<()>) {
    let app = axum::Router::new().route(
        "/partner/return",
        axum::routing::get(|RawQuery(q): RawQuery| async move {
            Html(format!(
                "<!doctype html><title>Partner</title><h1 id=\"landed\">Welcome back</h1><p id=\"query\">{}</p>",
                q.unwrap_or_default().replace('<', "&lt;")
            ))
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}"), task)
}

fn binary(env: &str, default: &str) -> String {
    let path = std::env::var(env).unwrap_or_else(|_| default.to_owned());
    assert!(
        std::path::Path::new(&path).exists(),
        "{path} is missing: run scripts/test, which installs Debian's chromium and chromium-driver (or set {env})"
    );
    path
}

/// Starts chromedriver on a free port and waits until it answers.
async fn chromedriver() -> (tokio::process::Child, String) {
    let driver = binary("CHROMEDRIVER", "/usr/bin/chromedriver");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("{e}"));
    let child = tokio::process::Command::new(driver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start chromedriver: {e}"));
    let url = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    for _ in 0..200 {
        if client
            .get(format!("{url}/status"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return (child, url);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("chromedriver did not become ready");
}

async fn browser(driver_url: &str, profile: &std::path::Path) -> fantoccini::Client {
    let chromium = binary("CHROMIUM", "/usr/bin/chromium");
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": chromium,
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                // A phone-sized window: the pages must work there.
                "--window-size=390,844",
                format!("--user-data-dir={}", profile.display()),
            ]
        }),
    );
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(driver_url)
        .await
        .unwrap_or_else(|e| panic!("cannot start Chromium through chromedriver: {e}"))
}

async fn click(client: &fantoccini::Client, id: &str) {
    client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Id(id))
        .await
        .unwrap_or_else(|e| panic!("#{id} did not appear: {e}"))
        .click()
        .await
        .unwrap_or_else(|e| panic!("cannot click #{id}: {e}"));
}

/// Waits for the partner's page and returns the URL the browser landed on.
async fn landed(client: &fantoccini::Client) -> String {
    client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Id("landed"))
        .await
        .unwrap_or_else(|e| panic!("never reached the partner page: {e}"));
    client
        .current_url()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .to_string()
}

async fn fits_the_screen(client: &fantoccini::Client) -> bool {
    client
        .execute(
            "return document.documentElement.scrollWidth <= window.innerWidth;",
            vec![],
        )
        .await
        .ok()
        .and_then(|v| v.as_bool())
        .unwrap_or(false)
}

#[tokio::test]
async fn a_person_completes_the_sandbox_in_chromium_and_lands_on_the_partner_page() {
    let app = TestApp::spawn().await;
    let (site, site_task) = partner_site().await;
    let partner = app
        .partner_with_return_url("Acme", &format!("{site}/partner/return"))
        .await;
    let (_driver, driver_url) = chromedriver().await;
    let profile = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let client = browser(&driver_url, profile.path()).await;

    // Approve.
    let created = app
        .create_flow(
            &partner,
            "veriff",
            &format!("{site}/partner/return?ref=order-7"),
        )
        .await;
    let id = common::text(&created, "verification_id");
    client
        .goto(created["verification_url"].as_str().unwrap_or_default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        fits_the_screen(&client).await,
        "the landing page scrolls sideways on a phone"
    );
    click(&client, "continue").await;
    click(&client, "approve").await;
    let url = landed(&client).await;
    assert!(
        url.starts_with(&format!("{site}/partner/return?ref=order-7&")),
        "{url}"
    );
    let q = query(&url);
    assert_eq!(q.get("session_id"), Some(&id));
    assert_eq!(q.get("status").map(String::as_str), Some("approved"));
    let claims = verify_result_token(
        &app,
        q.get("result_token")
            .map(String::as_str)
            .unwrap_or_default(),
        &partner.id,
    )
    .await;
    assert_eq!(claims["sub"], serde_json::json!(id));
    let (_, status) = app
        .get(&partner, &format!("/api/v1/verification/status/{id}"))
        .await;
    assert_eq!(status["status"], "approved");

    // Decline with a chosen reason.
    let created = app
        .create_flow(&partner, "bankid", &format!("{site}/partner/return"))
        .await;
    let id = common::text(&created, "verification_id");
    client
        .goto(created["verification_url"].as_str().unwrap_or_default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    click(&client, "continue").await;
    let select = client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Id("reason"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        fits_the_screen(&client).await,
        "the sandbox page scrolls sideways on a phone"
    );
    select
        .select_by_value("face_mismatch")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    click(&client, "decline").await;
    let q = query(&landed(&client).await);
    assert_eq!(q.get("status").map(String::as_str), Some("declined"));
    assert_eq!(q.get("reason").map(String::as_str), Some("face_mismatch"));
    let (_, status) = app
        .get(&partner, &format!("/api/v1/verification/status/{id}"))
        .await;
    assert_eq!(
        (status["status"].as_str(), status["reason"].as_str()),
        (Some("declined"), Some("face_mismatch"))
    );

    let _ = client.close().await;
    site_task.abort();
}
