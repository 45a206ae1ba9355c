//! End to end in headless Chromium (Debian's chromium + chromium-driver, installed by
//! `scripts/test`): a partner creates a flow over HTTP, the browser opens verification_url,
//! completes the sandbox and lands on the partner's page with the outcome and a result token
//! that verifies against the published JWKS.

use idgate_testkit as common;

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

/// Starts chromedriver on a free port and waits until it answers. The port is picked, then
/// handed over: another test can take it in between, so a chromedriver that does not answer
/// as one (its `/status` says `ready`) is replaced on a new port.
/// A running chromedriver, leader of a process group of its own: dropping it ends the driver
/// and every browser it started (a browser outlives its driver otherwise).
pub(crate) struct Driver(tokio::process::Child);

impl Drop for Driver {
    fn drop(&mut self) {
        if let Some(pid) = self.0.id() {
            let _ = std::process::Command::new("kill")
                .args(["-KILL", "--", &format!("-{pid}")])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
    }
}

pub(crate) async fn chromedriver() -> (Driver, String) {
    let driver = binary("CHROMEDRIVER", "/usr/bin/chromedriver");
    let client = reqwest::Client::new();
    for _ in 0..3 {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap_or_else(|e| panic!("{e}"));
        let mut child = tokio::process::Command::new(&driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start chromedriver: {e}"));
        let url = format!("http://127.0.0.1:{port}");
        for _ in 0..200 {
            let ready = match client.get(format!("{url}/status")).send().await {
                Ok(r) => r
                    .json::<serde_json::Value>()
                    .await
                    .is_ok_and(|status| status["value"]["ready"] == true),
                Err(_) => false,
            };
            if ready {
                return (Driver(child), url);
            }
            if child.try_wait().ok().flatten().is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let _ = child.kill().await;
    }
    panic!("chromedriver did not become ready");
}

pub(crate) async fn browser(driver_url: &str, profile: &std::path::Path) -> fantoccini::Client {
    browser_with(driver_url, profile, &[]).await
}

/// Headless Chromium with `extra` command-line switches (e.g. a colour scheme).
pub(crate) async fn browser_with(
    driver_url: &str,
    profile: &std::path::Path,
    extra: &[&str],
) -> fantoccini::Client {
    let chromium = binary("CHROMIUM", "/usr/bin/chromium");
    let mut args = vec![
        "--headless=new".to_owned(),
        "--no-sandbox".to_owned(),
        "--disable-gpu".to_owned(),
        "--disable-quic".to_owned(),
        "--no-first-run".to_owned(),
        "--disable-background-networking".to_owned(),
        "--disable-component-update".to_owned(),
        "--disable-sync".to_owned(),
        "--disable-dev-shm-usage".to_owned(),
        // A phone-sized window: the pages must work there.
        "--window-size=390,844".to_owned(),
        format!("--user-data-dir={}", profile.display()),
    ];
    args.extend(extra.iter().map(|a| (*a).to_owned()));
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({ "binary": chromium, "args": args }),
    );
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(driver_url)
        .await
        .unwrap_or_else(|e| panic!("cannot start Chromium through chromedriver: {e}"))
}

pub(crate) async fn click(client: &fantoccini::Client, id: &str) {
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

#[tokio::test]
async fn a_verification_moves_from_a_computer_to_a_phone_and_both_land_at_the_partner() {
    let app = TestApp::spawn().await;
    let (site, site_task) = partner_site().await;
    let partner = app
        .partner_with_return_url("Handoff AS", &format!("{site}/partner/return"))
        .await;
    let created = app
        .create_flow(&partner, "veriff", &format!("{site}/partner/return"))
        .await;
    let (_driver, driver_url) = chromedriver().await;
    // Two browsers with profiles of their own: a computer and a phone.
    let (computer_profile, phone_profile) = (
        tempfile::tempdir().unwrap_or_else(|e| panic!("{e}")),
        tempfile::tempdir().unwrap_or_else(|e| panic!("{e}")),
    );
    let computer = browser_with(
        &driver_url,
        computer_profile.path(),
        &["--window-size=1280,900"],
    )
    .await;
    let phone = browser(&driver_url, phone_profile.path()).await;
    computer
        .goto(created["verification_url"].as_str().unwrap_or_default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    click(&computer, "continue-on-phone").await;
    let link = text_of(&computer, "handoff-link").await;
    assert!(link.starts_with(&app.url("/h/")), "{link}");
    assert_eq!(
        text_of(&computer, "progress-message").await,
        "Waiting for your phone."
    );

    // The phone opens the link (what its camera read) and verifies there.
    phone.goto(&link).await.unwrap_or_else(|e| panic!("{e}"));
    click(&phone, "continue").await;
    click(&phone, "approve").await;
    let on_phone = query(&landed(&phone).await);
    assert_eq!(on_phone.get("status").map(String::as_str), Some("approved"));
    // The computer's page followed and lands at the partner with the same outcome.
    let on_computer = query(&landed(&computer).await);
    assert_eq!(
        on_computer.get("status").map(String::as_str),
        Some("approved")
    );
    assert_eq!(on_computer.get("session_id"), on_phone.get("session_id"));
    // The link worked once.
    phone.goto(&link).await.unwrap_or_else(|e| panic!("{e}"));
    let used = phone
        .find(Locator::Css("h1"))
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .text()
        .await
        .unwrap_or_default();
    assert_eq!(used, "This link was already used");
    let _ = computer.close().await;
    let _ = phone.close().await;
    site_task.abort();
}

#[tokio::test]
async fn a_person_who_cancels_on_the_first_page_is_back_at_the_partner_in_chromium() {
    let app = TestApp::spawn().await;
    let (site, site_task) = partner_site().await;
    let partner = app
        .partner_with_return_url("Way back AS", &format!("{site}/partner/return"))
        .await;
    let created = app
        .create_flow(&partner, "veriff", &format!("{site}/partner/return?ref=9"))
        .await;
    let (_driver, driver_url) = chromedriver().await;
    let profile = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let client = browser(&driver_url, profile.path()).await;
    client
        .goto(created["verification_url"].as_str().unwrap_or_default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        text_of(&client, "cancel").await.contains("Way back AS"),
        "the way back names the partner"
    );
    click(&client, "cancel").await;
    let q = query(&landed(&client).await);
    assert_eq!(q.get("ref").map(String::as_str), Some("9"));
    assert_eq!(q.get("status").map(String::as_str), Some("cancelled"));
    // Opening the link again shows where things stand: it lands at the partner again.
    client
        .goto(created["verification_url"].as_str().unwrap_or_default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let again = query(&landed(&client).await);
    assert_eq!(again.get("status").map(String::as_str), Some("cancelled"));
    let _ = client.close().await;
    site_task.abort();
}

/// Creates a Hopae Connect verification and returns the answer.
async fn hopae_verification(
    app: &TestApp,
    partner: &common::Partner,
    body: serde_json::Value,
) -> serde_json::Value {
    let (status, created) = app
        .hopae(partner, reqwest::Method::POST, "/verifications", Some(body))
        .await;
    assert_eq!(status, 201, "{created}");
    created
}

async fn text_of(client: &fantoccini::Client, id: &str) -> String {
    client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Id(id))
        .await
        .unwrap_or_else(|e| panic!("#{id} did not appear: {e}"));
    client
        .execute(
            "return document.getElementById(arguments[0]).textContent;",
            vec![serde_json::json!(id)],
        )
        .await
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

pub(crate) async fn type_into(client: &fantoccini::Client, id: &str, value: &str) {
    client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Id(id))
        .await
        .unwrap_or_else(|e| panic!("#{id} did not appear: {e}"))
        .send_keys(value)
        .await
        .unwrap_or_else(|e| panic!("cannot type into #{id}: {e}"));
}

/// Opens the simulated phone app in a second window (the user's phone) and returns the
/// handles of both windows.
async fn open_phone(
    client: &fantoccini::Client,
    url: &str,
) -> (fantoccini::wd::WindowHandle, fantoccini::wd::WindowHandle) {
    let desktop = client.window().await.unwrap_or_else(|e| panic!("{e}"));
    let phone = client
        .new_window(false)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .handle;
    client
        .switch_to_window(phone.clone())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    client.goto(url).await.unwrap_or_else(|e| panic!("{e}"));
    (desktop, phone)
}

async fn hopae_status(app: &TestApp, partner: &common::Partner, id: &str) -> serde_json::Value {
    let (status, body) = app
        .hopae(
            partner,
            reqwest::Method::GET,
            &format!("/verifications/{id}"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body
}

#[tokio::test]
async fn a_qr_verification_runs_from_the_hopae_api_to_the_partner_page_in_chromium() {
    let app = TestApp::spawn().await;
    let (site, site_task) = partner_site().await;
    let return_url = format!("{site}/partner/return");
    let partner = app.partner_with_return_url("Acme", &return_url).await;
    let created = hopae_verification(
        &app,
        &partner,
        serde_json::json!({"providerId": "sandbox-qr", "redirectUri": return_url, "requestedLoa": 3}),
    )
    .await;
    let id = common::text(&created, "verificationId");
    let (_driver, driver_url) = chromedriver().await;
    let profile = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let client = browser(&driver_url, profile.path()).await;
    client
        .goto(
            created["flowDetails"]["authorizationUrl"]
                .as_str()
                .unwrap_or_default(),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    click(&client, "continue").await;
    client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css("#qr svg"))
        .await
        .unwrap_or_else(|e| panic!("no QR code shown: {e}"));
    assert!(
        fits_the_screen(&client).await,
        "the QR page scrolls sideways on a phone"
    );
    // The code is animated: the page fetches a new one every second.
    let first = text_of(&client, "qr-code").await;
    assert!(
        first.starts_with("idgate-sandbox-qr://sandbox-qr/"),
        "{first}"
    );
    let mut current = first.clone();
    for _ in 0..40 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        current = text_of(&client, "qr-code").await;
        if current != first {
            break;
        }
    }
    assert_ne!(current, first, "the QR code never changed");

    // The phone: read the code, confirm as a chosen test identity.
    let (desktop, _phone) = open_phone(&client, &app.url("/sandbox/sandbox-qr/app")).await;
    type_into(&client, "code", &current).await;
    click(&client, "scan").await;
    client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Id("identity"))
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .select_by_value("PNONO-14038512345")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        fits_the_screen(&client).await,
        "the app scrolls sideways on a phone"
    );
    click(&client, "approve").await;
    client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Id("done"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    // Back on the desktop, the page notices by itself and returns to the partner.
    client
        .switch_to_window(desktop)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let url = landed(&client).await;
    let q = query(&url);
    assert_eq!(q.get("status").map(String::as_str), Some("completed"));
    let claims = verify_result_token(
        &app,
        q.get("result_token")
            .map(String::as_str)
            .unwrap_or_default(),
        &partner.id,
    )
    .await;
    assert_eq!(claims["status"], "completed");
    assert_eq!(
        hopae_status(&app, &partner, &id).await["status"],
        "completed"
    );
    let (_, info) = app
        .hopae(
            &partner,
            reqwest::Method::GET,
            &format!("/verifications/{id}/userinfo"),
            None,
        )
        .await;
    assert_eq!(info["given_name"], "Kari");
    let _ = client.close().await;
    site_task.abort();
}

#[tokio::test]
async fn a_push_verification_is_confirmed_in_the_app_or_cancelled_from_the_page_in_chromium() {
    let app = TestApp::spawn().await;
    let (site, site_task) = partner_site().await;
    let return_url = format!("{site}/partner/return");
    let partner = app.partner_with_return_url("Acme", &return_url).await;
    let body = serde_json::json!({"providerId": "sandbox-push", "redirectUri": return_url});
    let created = hopae_verification(&app, &partner, body.clone()).await;
    let id = common::text(&created, "verificationId");
    let (_driver, driver_url) = chromedriver().await;
    let profile = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let client = browser(&driver_url, profile.path()).await;
    let verification_url = created["flowDetails"]["authorizationUrl"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    client
        .goto(&verification_url)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    // A malformed identifier is explained, and nothing moves.
    type_into(&client, "identifier", "12345").await;
    click(&client, "continue").await;
    let error = text_of(&client, "error").await;
    assert!(error.contains("PNO"), "{error}");
    assert_eq!(
        hopae_status(&app, &partner, &id).await["status"],
        "initiated"
    );
    client
        .find(Locator::Id("identifier"))
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .clear()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    type_into(&client, "identifier", "pnoee-39001010000").await;
    click(&client, "continue").await;
    let code = text_of(&client, "verification-code").await;
    assert_eq!(code.len(), 4, "{code}");
    assert!(
        fits_the_screen(&client).await,
        "the waiting page scrolls sideways on a phone"
    );
    assert_eq!(hopae_status(&app, &partner, &id).await["status"], "pending");

    let (desktop, _phone) = open_phone(&client, &app.url("/sandbox/sandbox-push/app")).await;
    type_into(&client, "identifier", "PNOEE-39001010000").await;
    type_into(&client, "request-code", &code).await;
    click(&client, "open").await;
    let shown = client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css(".request-code"))
        .await
        .unwrap_or_else(|e| panic!("no pending request in the app: {e}"))
        .text()
        .await
        .unwrap_or_default();
    assert_eq!(shown, code, "both screens show the same code");
    client
        .find(Locator::Css("button.approve"))
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .click()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Id("done"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    client
        .switch_to_window(desktop)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let q = query(&landed(&client).await);
    assert_eq!(q.get("status").map(String::as_str), Some("completed"));
    assert_eq!(
        hopae_status(&app, &partner, &id).await["status"],
        "completed"
    );

    // The user changes their mind while waiting.
    let created = hopae_verification(&app, &partner, body).await;
    let id = common::text(&created, "verificationId");
    client
        .goto(
            created["flowDetails"]["authorizationUrl"]
                .as_str()
                .unwrap_or_default(),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    type_into(&client, "identifier", "PNOEE-39001010000").await;
    click(&client, "continue").await;
    // On the waiting page (the landing page has a Cancel of its own).
    client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Id("verification-code"))
        .await
        .unwrap_or_else(|e| panic!("the waiting page did not come: {e}"));
    click(&client, "cancel").await;
    let q = query(&landed(&client).await);
    assert_eq!(q.get("status").map(String::as_str), Some("cancelled"));
    assert_eq!(q.get("reason").map(String::as_str), Some("user_cancelled"));
    assert_eq!(
        hopae_status(&app, &partner, &id).await["status"],
        "cancelled"
    );
    let _ = client.close().await;
    site_task.abort();
}

#[tokio::test]
async fn a_match_verification_runs_in_chromium_and_returns_the_match_result() {
    let app = TestApp::spawn().await;
    let (site, site_task) = partner_site().await;
    let return_url = format!("{site}/partner/return");
    let partner = app.partner_with_return_url("Acme", &return_url).await;
    let created = hopae_verification(
        &app,
        &partner,
        serde_json::json!({
            "providerId": "sandbox-match",
            "redirectUri": return_url,
            "userData": {"personalCode": "37911020000"},
            "matchData": {"fullName": "Jaan Tamm", "dateOfBirth": "1979-11-02"}
        }),
    )
    .await;
    assert_eq!(created["verification_model"], "match");
    let id = common::text(&created, "verificationId");
    let (_driver, driver_url) = chromedriver().await;
    let profile = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let client = browser(&driver_url, profile.path()).await;
    client
        .goto(
            created["flowDetails"]["authorizationUrl"]
                .as_str()
                .unwrap_or_default(),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    click(&client, "continue").await;
    click(&client, "approve").await;
    let q = query(&landed(&client).await);
    assert_eq!(q.get("status").map(String::as_str), Some("completed"));
    let (_, info) = app
        .hopae(
            &partner,
            reqwest::Method::GET,
            &format!("/verifications/{id}/userinfo"),
            None,
        )
        .await;
    assert_eq!(info["match"]["matched"], true, "{info}");
    assert_eq!(info["match"]["details"]["fullName"]["similarity"], 100);
    let _ = client.close().await;
    site_task.abort();
}

#[tokio::test]
async fn an_eid_login_at_a_real_openid_provider_lands_on_the_partner_page_in_chromium() {
    use common::oidc::{HIGH, Op, SUBSTANTIAL, free_port, oidc_provider};
    let port = free_port();
    let provider = oidc_provider(&format!("http://127.0.0.1:{port}"), serde_json::json!({}));
    // The EasyFreelance name "bankid" is routed to the OIDC eID.
    let app = TestApp::spawn_with(move |s| {
        s.providers.insert("testeid".into(), provider);
        s.dialects
            .easyfreelance
            .providers
            .insert("bankid".into(), "testeid".into());
    })
    .await;
    let op = Op::start(port, &app.url("/callback/testeid"), &[]).await;
    let (site, site_task) = partner_site().await;
    let return_url = format!("{site}/partner/return");
    let partner = app.partner_with_return_url("Acme", &return_url).await;
    let (_driver, driver_url) = chromedriver().await;
    let profile = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let client = browser(&driver_url, profile.path()).await;
    let log_in = async |person: &str, acr: &str| {
        click(&client, "continue").await;
        let found = client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Id("login"))
            .await;
        let page = match found {
            Ok(element) => element,
            Err(e) => {
                let url = client.current_url().await.map(|u| u.to_string());
                let source = client.source().await.unwrap_or_default();
                panic!("the eID login page did not appear ({e}) at {url:?}: {source}");
            }
        };
        page.select_by_value(person)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        client
            .find(Locator::Id("acr"))
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .select_by_value(acr)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        click(&client, "op-login").await;
        landed(&client).await
    };

    // Through the EasyFreelance dialect.
    let created = app.create_flow(&partner, "bankid", &return_url).await;
    let id = common::text(&created, "verification_id");
    client
        .goto(created["verification_url"].as_str().unwrap_or_default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let q = query(&log_in("kari", HIGH).await);
    assert_eq!(q.get("status").map(String::as_str), Some("approved"));
    let (_, status) = app
        .get(&partner, &format!("/api/v1/verification/status/{id}"))
        .await;
    assert_eq!(status["status"], "approved");

    // Through the Hopae dialect, with the normalised claims readable afterwards.
    let created = hopae_verification(
        &app,
        &partner,
        serde_json::json!({"providerId": "testeid", "redirectUri": return_url, "requestedLoa": 3}),
    )
    .await;
    let id = common::text(&created, "verificationId");
    client
        .goto(
            created["flowDetails"]["authorizationUrl"]
                .as_str()
                .unwrap_or_default(),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let q = query(&log_in("anna", SUBSTANTIAL).await);
    assert_eq!(q.get("status").map(String::as_str), Some("completed"));
    let (_, info) = app
        .hopae(
            &partner,
            reqwest::Method::GET,
            &format!("/verifications/{id}/userinfo"),
            None,
        )
        .await;
    assert_eq!(info["hopae_loa"], 3);
    assert_eq!(info["personal_identity_number"], "198503142389");
    assert_eq!(info["given_name"], "Anna");
    let _ = client.close().await;
    site_task.abort();
    op.stop().await;
}

/// The partner's shop page using Veriff's own browser SDK (`@veriff/js-sdk`, installed by the
/// test command), its `host` pointed at idgate: the SDK creates the session from another
/// origin (CORS), the user lands in idgate's hosted flow, finishes it, and comes back to the
/// callback with the outcome.
/// A Veriff npm test peer's file (installed by `scripts/test`).
fn veriff_peer(path: &str) -> String {
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../testkit/fixtures/veriff-sdk/node_modules/@veriff")
        .join(path);
    std::fs::read_to_string(&file).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; run scripts/test (it runs npm ci in crates/testkit/fixtures/veriff-sdk)",
            file.display()
        )
    })
}

/// The partner's shop on its own origin: `/shop` (the page), Veriff's two browser SDKs as
/// published on npm, and the return page.
async fn serve_shop(
    listener: tokio::net::TcpListener,
    page: String,
) -> tokio::task::JoinHandle<()> {
    let js_sdk = veriff_peer("js-sdk/lib/veriff.js");
    let incontext = veriff_peer("incontext-sdk/dist/index.umd.js");
    let script = |body: String| {
        axum::routing::get(move || {
            let body = body.clone();
            async move { ([("content-type", "text/javascript")], body) }
        })
    };
    let shop = axum::Router::new()
        .route(
            "/shop",
            axum::routing::get(move || {
                let page = page.clone();
                async move { Html(page) }
            }),
        )
        .route("/veriff.js", script(js_sdk))
        .route("/incontext.js", script(incontext))
        .route(
            "/partner/return",
            axum::routing::get(|RawQuery(q): RawQuery| async move {
                Html(format!(
                    "<!doctype html><title>Partner</title><h1 id=\"landed\">Welcome back</h1><p id=\"query\">{}</p>",
                    q.unwrap_or_default().replace('<', "&lt;")
                ))
            }),
        );
    tokio::spawn(async move {
        let _ = axum::serve(listener, shop).await;
    })
}

async fn shop_listener() -> (tokio::net::TcpListener, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let site = format!(
        "http://{}",
        listener.local_addr().unwrap_or_else(|e| panic!("{e}"))
    );
    (listener, site)
}

#[tokio::test]
async fn veriffs_browser_sdk_creates_a_session_that_a_person_finishes_in_chromium() {
    let app = TestApp::spawn().await;
    let (listener, site) = shop_listener().await;
    let callback = format!("{site}/partner/return");
    let partner = app.partner_with_return_url("Shop", &callback).await;
    let page = format!(
        r#"<!doctype html><title>Shop</title><div id="veriff-root"></div>
<script>window.module = {{ exports: {{}} }};</script>
<script src="/veriff.js"></script>
<script>
const veriff = module.exports.Veriff({{
  host: "{host}", apiKey: "{key}", parentId: "veriff-root",
  onSession: function (err, response) {{
    if (err) {{ document.title = "error " + err.status; return; }}
    window.location.href = response.verification.url;
  }}
}});
veriff.setParams({{ person: {{ givenName: "Kari", lastName: "Nordmann" }}, vendorData: "sdk-order-1", callback: "{callback}" }});
veriff.mount();
</script>"#,
        host = app.base,
        key = partner.veriff_key,
    );
    let site_task = serve_shop(listener, page).await;
    let (_driver, driver_url) = chromedriver().await;
    let profile = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let client = browser(&driver_url, profile.path()).await;
    client
        .goto(&format!("{site}/shop"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    // The SDK's own form, with its own submit button.
    click(&client, "veriff-submit-btn").await;
    click(&client, "continue").await;
    click(&client, "approve").await;
    let url = landed(&client).await;
    assert!(url.starts_with(&format!("{callback}?")), "{url}");
    let q = query(&url);
    assert_eq!(q.get("status").map(String::as_str), Some("approved"));
    let id = q.get("session_id").cloned().unwrap_or_default();
    // The session is the SDK's: its vendorData and person came through.
    let session = app
        .hub
        .session(id.parse().unwrap_or_else(|e| panic!("{e}")))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        session.external_refs.vendor_data.as_deref(),
        Some("sdk-order-1")
    );
    assert_eq!(
        session.applicant.and_then(|a| a.first_name).as_deref(),
        Some("Kari")
    );
    let _ = client.close().await;
    site_task.abort();
}

/// Veriff's documented pairing: the JS SDK creates the session, the InContext SDK runs it in
/// a modal iframe on the partner's page and reports its events; the partner's page never
/// navigates.
#[tokio::test]
async fn veriffs_incontext_sdk_runs_the_flow_in_a_frame_on_an_allowed_partner_page() {
    let app = TestApp::spawn().await;
    let (listener, site) = shop_listener().await;
    let callback = format!("{site}/partner/return");
    let partner = app.partner_with_return_url("Shop", &callback).await;
    let partner_id = partner.id.parse().unwrap_or_else(|e| panic!("{e}"));
    let origin = site.parse().unwrap_or_else(|e| panic!("{e}"));
    app.hub
        .update_partner(
            partner_id,
            idgate_hub::service::partners::PartnerChange {
                frame_ancestors: Some(vec![origin]),
                ..Default::default()
            },
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let page = format!(
        r#"<!doctype html><title>Shop</title><div id="veriff-root"></div><p id="events"></p><p id="session"></p>
<script>window.module = {{ exports: {{}} }};</script>
<script src="/veriff.js"></script>
<script src="/incontext.js"></script>
<script>
const events = [];
const veriff = module.exports.Veriff({{
  host: "{host}", apiKey: "{key}", parentId: "veriff-root",
  onSession: function (err, response) {{
    if (err) {{ document.title = "error " + err.status; return; }}
    document.getElementById("session").textContent = response.verification.id;
    window.veriffSDK.createVeriffFrame({{
      url: response.verification.url,
      onEvent: function (msg) {{
        events.push(msg);
        document.getElementById("events").textContent = events.join(" ");
      }}
    }});
  }}
}});
veriff.setParams({{ person: {{ givenName: "Kari", lastName: "Nordmann" }}, vendorData: "incontext-1", callback: "{callback}" }});
veriff.mount();
</script>"#,
        host = app.base,
        key = partner.veriff_key,
    );
    let site_task = serve_shop(listener, page).await;
    let (_driver, driver_url) = chromedriver().await;
    let profile = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let client = browser(&driver_url, profile.path()).await;
    client
        .goto(&format!("{site}/shop"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    click(&client, "veriff-submit-btn").await;
    let frame = client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Id("veriffFrame"))
        .await
        .unwrap_or_else(|e| panic!("the SDK made no frame: {e}"));
    frame.enter_frame().await.unwrap_or_else(|e| panic!("{e}"));
    // idgate's pages inside the frame: the landing page, then the sandbox provider.
    click(&client, "continue").await;
    click(&client, "approve").await;
    // FINISHED closes the frame; back on the partner's page, which heard every step.
    let _ = client.enter_parent_frame().await;
    let mut heard = String::new();
    for _ in 0..200 {
        heard = text_of(&client, "events").await;
        if heard.contains("FINISHED") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(heard, "STARTED SUBMITTED FINISHED");
    let frames = client
        .find_all(Locator::Id("veriffFrame"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(frames.is_empty(), "the SDK closed the frame");
    let url = client.current_url().await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        url.as_str(),
        format!("{site}/shop"),
        "the partner's page stayed"
    );
    // The person was verified inside the frame (the flow cookie worked there).
    let id = text_of(&client, "session").await;
    let session = app
        .hub
        .session(id.parse().unwrap_or_else(|e| panic!("{id:?}: {e}")))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(session.status, idgate_core::Status::Approved);
    assert_eq!(
        session.external_refs.vendor_data.as_deref(),
        Some("incontext-1")
    );
    let _ = client.close().await;
    site_task.abort();
}

/// Waits until the browser has left `from` (a click's navigation finished).
async fn left(client: &fantoccini::Client, from: &str) -> String {
    for _ in 0..200 {
        let now = client
            .current_url()
            .await
            .map(|u| u.to_string())
            .unwrap_or_default();
        if !now.is_empty() && now != from {
            return now;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the browser stayed at {from}");
}

/// From idgate's verification page to "Veriff" (this idgate's own Veriff API through the
/// real Veriff adapter) and into its hosted flow's decision page.
async fn to_veriffs_flow(client: &fantoccini::Client, verification_url: &str) {
    client
        .goto(verification_url)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    click(client, "continue").await;
    let at_veriff = left(client, verification_url).await;
    assert!(
        at_veriff.contains("/v/"),
        "Veriff's session page: {at_veriff}"
    );
    click(client, "continue").await;
    left(client, &at_veriff).await;
}

#[tokio::test]
async fn veriff_as_an_upstream_approves_declines_and_takes_a_resubmission_in_chromium() {
    let app = TestApp::spawn_with(|s| {
        s.dialects
            .easyfreelance
            .providers
            .insert("veriff".to_owned(), "veriff-upstream".to_owned());
    })
    .await;
    let (site, site_task) = partner_site().await;
    let back = format!("{site}/partner/return");
    let partner = app.partner_with_return_url("Acme", &back).await;
    let (_driver, driver_url) = chromedriver().await;
    let profile = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let client = browser(&driver_url, profile.path()).await;
    let status = |id: String| {
        let (app, partner) = (&app, &partner);
        async move {
            let (_, body) = app
                .get(partner, &format!("/api/v1/verification/status/{id}"))
                .await;
            body
        }
    };

    // Approved at Veriff: back through idgate to the partner's page.
    let created = app.create_flow(&partner, "veriff", &back).await;
    let id = common::text(&created, "verification_id");
    to_veriffs_flow(
        &client,
        created["verification_url"].as_str().unwrap_or_default(),
    )
    .await;
    click(&client, "approve").await;
    let q = query(&landed(&client).await);
    assert_eq!(q.get("session_id"), Some(&id));
    assert_eq!(q.get("status").map(String::as_str), Some("approved"));
    assert_eq!(status(id).await["status"], "approved");

    // Declined at Veriff for a face mismatch (Veriff's 103): the partner gets the reason.
    let created = app.create_flow(&partner, "veriff", &back).await;
    let id = common::text(&created, "verification_id");
    to_veriffs_flow(
        &client,
        created["verification_url"].as_str().unwrap_or_default(),
    )
    .await;
    client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Id("reason"))
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .select_by_value("face_mismatch")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    click(&client, "decline").await;
    let q = query(&landed(&client).await);
    assert_eq!(q.get("status").map(String::as_str), Some("declined"));
    assert_eq!(q.get("reason").map(String::as_str), Some("face_mismatch"));
    assert_eq!(status(id).await["reason"], "face_mismatch");

    // Veriff asks for a resubmission; the person opens the link again, goes back into the
    // same Veriff session, and is approved.
    let created = app.create_flow(&partner, "veriff", &back).await;
    let id = common::text(&created, "verification_id");
    let url = created["verification_url"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    to_veriffs_flow(&client, &url).await;
    click(&client, "resubmit").await;
    landed(&client).await;
    let session = app
        .hub
        .session(id.parse().unwrap_or_else(|e| panic!("{e}")))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(session.status, idgate_core::Status::ResubmissionRequested);
    to_veriffs_flow(&client, &url).await;
    click(&client, "approve").await;
    let q = query(&landed(&client).await);
    assert_eq!(q.get("status").map(String::as_str), Some("approved"));
    assert_eq!(status(id).await["status"], "approved");

    let _ = client.close().await;
    site_task.abort();
}

/// BankID on an iPhone, in Chromium playing Safari on iOS (its user agent): the page's button
/// opens the BankID app on the same device (the autostart link, no QR code to scan); the app
/// sends the person back through the order's `returnUrl`, and the page goes on to the partner.
#[tokio::test]
async fn on_an_iphone_bankid_opens_on_the_same_device_and_returns_to_the_page_in_chromium() {
    let app = crate::bankid::app_with_simulator().await;
    let (site, site_task) = partner_site().await;
    let return_url = format!("{site}/partner/return");
    let partner = app.partner_with_return_url("Acme", &return_url).await;
    let created = hopae_verification(
        &app,
        &partner,
        serde_json::json!({"providerId": "bankid-se", "redirectUri": return_url}),
    )
    .await;
    let (_driver, driver_url) = chromedriver().await;
    let profile = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let client = browser_with(
        &driver_url,
        profile.path(),
        &["--user-agent=Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1"],
    )
    .await;
    client
        .goto(
            created["flowDetails"]["authorizationUrl"]
                .as_str()
                .unwrap_or_default(),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    click(&client, "continue").await;
    // The same-device button opens the (simulated) BankID app with the order.
    click(&client, "autostart").await;
    client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Id("person"))
        .await
        .unwrap_or_else(|e| panic!("the app did not open the order: {e}"))
        .select_by_value("199207302398")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    click(&client, "approve").await;
    // Back through the order's returnUrl: the hosted page, which goes on to the partner.
    click(&client, "back").await;
    let url = landed(&client).await;
    assert_eq!(
        query(&url).get("status").map(String::as_str),
        Some("completed"),
        "{url}"
    );
    let _ = client.close().await;
    site_task.abort();
}

/// Swedish BankID in Chromium: the real BankID adapter against the built-in simulator over
/// mutual TLS. The desktop shows BankID's animated code (recomputed on the server every
/// second) and BankID's own message; a second window plays the BankID app, reads the code and
/// identifies; the desktop page follows by itself to the partner.
#[tokio::test]
async fn a_bankid_verification_runs_through_the_simulated_app_to_the_partner_page_in_chromium() {
    let app = crate::bankid::app_with_simulator().await;
    let (site, site_task) = partner_site().await;
    let return_url = format!("{site}/partner/return");
    let partner = app.partner_with_return_url("Acme", &return_url).await;
    let created = hopae_verification(
        &app,
        &partner,
        serde_json::json!({"providerId": "bankid-se", "redirectUri": return_url}),
    )
    .await;
    let id = common::text(&created, "verificationId");
    let (_driver, driver_url) = chromedriver().await;
    let profile = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let client = browser(&driver_url, profile.path()).await;
    client
        .goto(
            created["flowDetails"]["authorizationUrl"]
                .as_str()
                .unwrap_or_default(),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    click(&client, "continue").await;
    client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css("#qr svg"))
        .await
        .unwrap_or_else(|e| panic!("no QR code shown: {e}"));
    let first = text_of(&client, "qr-code").await;
    assert!(first.starts_with("bankid."), "{first}");
    let mut current = first.clone();
    for _ in 0..40 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        current = text_of(&client, "qr-code").await;
        if current != first {
            break;
        }
    }
    assert_ne!(current, first, "the QR code never changed");
    let message = text_of(&client, "progress-message").await;
    assert_eq!(message.trim(), "Start your BankID app.", "BankID's RFA1");

    let (desktop, _phone) = open_phone(&client, &app.url("/simulators/bankid/app")).await;
    type_into(&client, "qr", &current).await;
    click(&client, "scan").await;
    client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Id("person"))
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .select_by_value("198503142389")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    click(&client, "approve").await;
    client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Id("done"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    client
        .switch_to_window(desktop)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let url = landed(&client).await;
    let q = query(&url);
    assert_eq!(q.get("status").map(String::as_str), Some("completed"));
    assert_eq!(
        hopae_status(&app, &partner, &id).await["status"],
        "completed"
    );
    let (_, info) = app
        .hopae(
            &partner,
            reqwest::Method::GET,
            &format!("/verifications/{id}/userinfo"),
            None,
        )
        .await;
    assert_eq!(info["personal_identity_number"], "198503142389");
    let _ = client.close().await;
    site_task.abort();
}
