//! Swedish BankID: idgate's real BankID adapter against the built-in simulator of BankID's RP
//! API v6 over mutual TLS, through the hosted flow (animated QR computed on the server, the
//! simulated app scanning it, collect driving the result); and the simulator against a real
//! BankID client library from npm (`bankid`), so the simulator's wire is checked by code
//! nobody here wrote.

use idgate_testkit as common;

use common::{Partner, TestApp, text};
use idgate_providers::ProviderConfig;
use idgate_providers::bankid::BankIdConfig;
use idgate_providers::http::ClientTls;
use idgate_server::simulators::bankid::Simulator;
use idgate_server::simulators::bankid::orders::Received;
use reqwest::Method;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

const RETURN: &str = "https://partner.example.com/return";
const PROVIDER: &str = "bankid-se";
const ANNA: &str = "198503142389";

/// An idgate whose provider `bankid-se` is the real adapter against the built-in simulator
/// (shared with the Chromium and accessibility tests).
pub(crate) async fn app_with_simulator() -> TestApp {
    TestApp::spawn_with(|s| {
        s.providers.insert(
            PROVIDER.into(),
            ProviderConfig::BankId(Box::new(BankIdConfig {
                base_url: Some("{simulator}".into()),
                // Each progress request collects: the tests move on as soon as the app answers
                // (the 2-second interval has a unit test of its own).
                collect_interval_ms: Some(0),
                ..BankIdConfig::default()
            })),
        );
    })
    .await
}

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testkit/fixtures/bankid")
}

/// A Hopae verification at the simulated BankID, started in the hosted flow: its id, its
/// hosted URL and the first progress answer.
async fn started(app: &TestApp, p: &Partner) -> (String, String, Value) {
    let (id, url) = app.hopae_verification(p, PROVIDER, RETURN).await;
    let r = app
        .client
        .post(format!("{url}/start"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), 303);
    let progress = progress(app, &url).await;
    (id, url, progress)
}

async fn progress(app: &TestApp, url: &str) -> Value {
    app.client
        .get(format!("{url}/progress"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .json()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

/// The simulated app: posts a form, returns the status and the page.
async fn app_form(app: &TestApp, path: &str, form: &[(&str, &str)]) -> (u16, String) {
    let r = app
        .client
        .post(app.url(path))
        .form(form)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let status = r.status().as_u16();
    (status, r.text().await.unwrap_or_default())
}

/// The order reference the app's page carries after a scan.
fn order_on_page(page: &str) -> String {
    page.split("name=\"order_ref\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("no order on the page: {page}"))
        .to_owned()
}

/// A client of the simulator's RP API that trusts only its CA and, with `certificate`,
/// presents its relying-party certificate.
fn rp_client(simulator: &Simulator, certificate: bool) -> reqwest::Client {
    let read = |p: &Path| std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    let ca =
        reqwest::Certificate::from_pem(&read(&simulator.pki.ca)).unwrap_or_else(|e| panic!("{e}"));
    let mut builder = reqwest::Client::builder().tls_certs_only([ca]);
    if certificate {
        let mut identity = read(&simulator.pki.rp_key);
        identity.extend_from_slice(&read(&simulator.pki.rp_certificate));
        builder = builder
            .identity(reqwest::Identity::from_pem(&identity).unwrap_or_else(|e| panic!("{e}")));
    }
    builder.build().unwrap_or_else(|e| panic!("{e}"))
}

async fn hopae_get(app: &TestApp, p: &Partner, path: &str) -> Value {
    let (status, body) = app.hopae(p, Method::GET, path, None).await;
    assert_eq!(status, 200, "{body}");
    body
}

#[tokio::test]
async fn a_person_identifies_with_the_simulated_bankid_through_the_real_adapter() {
    let app = app_with_simulator().await;
    let p = app.partner_with_return_url("Acme", RETURN).await;
    let (id, url, first) = started(&app, &p).await;
    assert_eq!(first["done"], false, "{first}");
    let code = text(&first, "qr_code");
    assert!(code.starts_with("bankid."), "{code}");
    assert!(text(&first, "qr_svg").starts_with("<svg"));

    // The QR start secret stays on the server: it is in the sealed provider state, never in
    // what the browser gets.
    let session = app
        .hub
        .session(id.parse().unwrap_or_else(|e| panic!("{e}")))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let secret = session
        .provider_state
        .as_ref()
        .and_then(|s| s.0.get("qr_start_secret"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    assert!(!secret.is_empty());
    let page = app
        .client
        .get(&url)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .text()
        .await
        .unwrap_or_default();
    assert!(!page.contains(&secret) && !first.to_string().contains(&secret));
    // The code is BankID's animated one: its auth code is the HMAC of its time.
    let (_, time, auth) =
        idgate_providers::bankid::qr::parse(&code).unwrap_or_else(|| panic!("{code}"));
    assert_eq!(auth, idgate_providers::bankid::qr::auth_code(&secret, time));

    // A forged code is refused by the app; the genuine one is read.
    let forged = format!(
        "{}{}",
        &code[..code.len() - 1],
        if code.ends_with('0') { '1' } else { '0' }
    );
    let (status, refused) = app_form(&app, "/simulators/bankid/app/scan", &[("qr", &forged)]).await;
    assert_eq!(status, 400, "{refused}");
    assert!(refused.contains("not genuine"), "{refused}");
    let fresh = text(&progress(&app, &url).await, "qr_code");
    let (status, scanned) = app_form(&app, "/simulators/bankid/app/scan", &[("qr", &fresh)]).await;
    assert_eq!(status, 200, "{scanned}");
    let order = order_on_page(&scanned);
    // Collect says the user is at it; the session waits.
    assert_eq!(progress(&app, &url).await["done"], false);
    assert_eq!(
        hopae_get(&app, &p, &format!("/verifications/{id}")).await["status"],
        "pending"
    );

    let (status, done) = app_form(
        &app,
        "/simulators/bankid/app/answer",
        &[
            ("order_ref", &order),
            ("person", ANNA),
            ("action", "approve"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{done}");
    let last = progress(&app, &url).await;
    assert_eq!(last["done"], true, "{last}");
    assert_eq!(last["status"], "approved");

    let verification = hopae_get(&app, &p, &format!("/verifications/{id}")).await;
    assert_eq!(verification["status"], "completed", "{verification}");
    assert_eq!(verification["hopae_loa"], 3);
    let info = hopae_get(&app, &p, &format!("/verifications/{id}/userinfo")).await;
    assert_eq!(info["personal_identity_number"], ANNA, "{info}");
    assert_eq!(info["given_name"], "Anna");
    assert_eq!(info["family_name"], "Andersson");
    assert_eq!(info["name"], "Anna Andersson");
    let evidence = hopae_get(&app, &p, &format!("/verifications/{id}/evidence")).await;
    assert_eq!(
        evidence["token"]["format"], "bankid-completion",
        "{evidence}"
    );
    // Minimal disclosure: the signature and OCSP response are sealed, not shown.
    assert!(!evidence.to_string().contains("ocsp"), "{evidence}");
}

#[tokio::test]
async fn a_cancel_in_the_app_and_a_cancel_on_idgate_end_the_order() {
    let app = app_with_simulator().await;
    let p = app.partner_with_return_url("Acme", RETURN).await;
    let (id, url, first) = started(&app, &p).await;
    let (_, scanned) = app_form(
        &app,
        "/simulators/bankid/app/scan",
        &[("qr", &text(&first, "qr_code"))],
    )
    .await;
    let order = order_on_page(&scanned);
    let (status, _) = app_form(
        &app,
        "/simulators/bankid/app/answer",
        &[("order_ref", &order), ("action", "cancel")],
    )
    .await;
    assert_eq!(status, 200);
    let last = progress(&app, &url).await;
    assert_eq!(last["done"], true, "{last}");
    let verification = hopae_get(&app, &p, &format!("/verifications/{id}")).await;
    assert_eq!(verification["status"], "cancelled", "{verification}");

    // The partner cancels a second one at idgate: BankID's order is cancelled too, so the app
    // can no longer answer it.
    let (id, _, first) = started(&app, &p).await;
    let (_, scanned) = app_form(
        &app,
        "/simulators/bankid/app/scan",
        &[("qr", &text(&first, "qr_code"))],
    )
    .await;
    let order = order_on_page(&scanned);
    let (status, body) = app
        .hopae(&p, Method::DELETE, &format!("/verifications/{id}"), None)
        .await;
    assert_eq!(status, 204, "{body}");
    let (status, page) = app_form(
        &app,
        "/simulators/bankid/app/answer",
        &[
            ("order_ref", &order),
            ("person", ANNA),
            ("action", "approve"),
        ],
    )
    .await;
    assert_eq!(status, 400, "the order is gone at BankID: {page}");
}

/// The RP API's own refusals, over mutual TLS with the RP certificate: BankID's documented
/// error codes and statuses; and no certificate, no connection.
/// The failures BankID ends orders with, made in the simulated app: each ends the session with
/// its reason and BankID's word kept, and the page shows BankID's message for it (Swedish for
/// Swedish) before it moves on.
#[tokio::test]
async fn every_failure_bankid_reports_ends_the_session_with_bankids_message() {
    let app = app_with_simulator().await;
    let p = app.partner_with_return_url("Acme", RETURN).await;
    for (hint, status, reason, lang, parting) in [
        (
            "certificateErr",
            "declined",
            "certificate_error",
            "en",
            "The BankID you are trying to use is blocked or too old. Please use another BankID or get a new one from your bank.",
        ),
        (
            "certificateErr",
            "declined",
            "certificate_error",
            "sv-SE",
            "Det BankID du försöker använda är för gammalt eller spärrat. Använd ett annat BankID eller hämta ett nytt hos din bank.",
        ),
        (
            "transactionRiskBlocked",
            "declined",
            "risk_blocked",
            "en",
            "Unknown error. Please try again.",
        ),
        (
            "notSupportedByUserApp",
            "failed",
            "app_not_supported",
            "en",
            "Unknown error. Please try again.",
        ),
        (
            "cancel",
            "cancelled",
            "user_cancelled",
            "en",
            "Action cancelled.",
        ),
    ] {
        let (id, url, first) = started(&app, &p).await;
        let (code, scanned) = app_form(
            &app,
            "/simulators/bankid/app/scan",
            &[("qr", &text(&first, "qr_code"))],
        )
        .await;
        assert_eq!(code, 200, "{scanned}");
        if hint == "certificateErr" {
            // A call to decline belongs to phone orders only.
            let (code, page) = app_form(
                &app,
                "/simulators/bankid/app/answer",
                &[
                    ("order_ref", &order_on_page(&scanned)),
                    ("action", "fail:userDeclinedCall"),
                ],
            )
            .await;
            assert_eq!(code, 400, "{page}");
            assert!(!scanned.contains("fail-userDeclinedCall"), "{scanned}");
        }
        let action = if hint == "cancel" {
            "cancel".to_owned()
        } else {
            format!("fail:{hint}")
        };
        let (code, page) = app_form(
            &app,
            "/simulators/bankid/app/answer",
            &[("order_ref", &order_on_page(&scanned)), ("action", &action)],
        )
        .await;
        assert_eq!(code, 200, "{page}");
        let ended: Value = app
            .client
            .get(format!("{url}/progress"))
            .header("accept-language", lang)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .json()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(ended["done"], true, "{hint}: {ended}");
        assert_eq!(ended["parting"], parting, "{hint} in {lang}: {ended}");
        let session = app
            .hub
            .session(id.parse().unwrap_or_else(|e| panic!("{e}")))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(session.status.as_str(), status, "{hint}");
        assert_eq!(session.reason.as_deref(), Some(reason), "{hint}");
        let raw = if hint == "cancel" { "userCancel" } else { hint };
        assert_eq!(session.raw_provider_status.as_deref(), Some(raw));
    }
}

/// A partner that knows the person names them (`userData.registrationId`): only they may finish
/// the order (BankID's `requirement.personalNumber`). A second verification for the same person
/// while the first waits makes BankID abort both (`alreadyInProgress`): the second start is
/// refused with a readable page, the first ends as cancelled with BankID's RFA3. An order the
/// person leaves open in the app ends after three minutes (`expiredTransaction`, RFA8).
#[tokio::test]
async fn one_person_per_order_and_orders_that_collide_or_run_out() {
    let app = app_with_simulator().await;
    let simulator = app.bankid.clone().unwrap_or_else(|| panic!("no simulator"));
    let p = app.partner_with_return_url("Acme", RETURN).await;
    let create = async |user_data: Value| -> (u16, Value) {
        app.hopae(
            &p,
            Method::POST,
            "/verifications",
            Some(json!({"providerId": PROVIDER, "redirectUri": RETURN, "userData": user_data})),
        )
        .await
    };
    let (status, refused) = create(json!({"registrationId": "1985-03"})).await;
    assert_eq!(status, 400, "{refused}");
    assert!(refused.to_string().contains("registrationId"), "{refused}");

    let (status, first) = create(json!({"registrationId": "19850314-2389"})).await;
    assert_eq!(status, 201, "{first}");
    let first_url = text(&first["flowDetails"], "authorizationUrl");
    let started = app
        .client
        .post(format!("{first_url}/start"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(started.status(), 303);
    let code = text(&progress(&app, &first_url).await, "qr_code");
    let (status, scanned) = app_form(&app, "/simulators/bankid/app/scan", &[("qr", &code)]).await;
    assert_eq!(status, 200, "{scanned}");
    // Only Anna may identify.
    assert!(scanned.contains(ANNA), "{scanned}");
    assert!(!scanned.contains("199207302398"), "{scanned}");

    let (_, second) = create(json!({"registrationId": ANNA})).await;
    let second_url = text(&second["flowDetails"], "authorizationUrl");
    let refused = app
        .client
        .post(format!("{second_url}/start"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let refused_status = refused.status().as_u16();
    let page = refused.text().await.unwrap_or_default();
    assert!(
        (400..500).contains(&refused_status),
        "{refused_status}: {page}"
    );
    assert_eq!(refused_status, 409);
    assert!(
        page.contains("An identification or signing for this personal number is already started."),
        "RFA4: {page}"
    );
    let ended = progress(&app, &first_url).await;
    assert_eq!(ended["done"], true, "{ended}");
    assert_eq!(ended["status"], "cancelled", "{ended}");
    assert_eq!(
        ended["parting"], "Action cancelled. Please try again.",
        "RFA3: {ended}"
    );

    // Opened in the app and left there: BankID ends the order after three minutes.
    let (_, third) = create(json!({})).await;
    let third_id = text(&third, "verificationId");
    let third_url = text(&third["flowDetails"], "authorizationUrl");
    app.client
        .post(format!("{third_url}/start"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let code = text(&progress(&app, &third_url).await, "qr_code");
    let (status, _) = app_form(&app, "/simulators/bankid/app/scan", &[("qr", &code)]).await;
    assert_eq!(status, 200);
    simulator.orders.pass(181);
    let ended = progress(&app, &third_url).await;
    // Begun and not finished: abandoned, in idgate's lifecycle.
    assert_eq!(ended["status"], "abandoned", "{ended}");
    assert!(
        ended["parting"]
            .as_str()
            .is_some_and(|m| m.starts_with("The BankID app is not responding.")),
        "RFA8: {ended}"
    );
    let session = app
        .hub
        .session(third_id.parse().unwrap_or_else(|e| panic!("{e}")))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        session.raw_provider_status.as_deref(),
        Some("expiredTransaction")
    );
}

#[tokio::test]
async fn the_simulator_answers_bad_requests_with_bankids_errors_and_wants_a_client_certificate() {
    let app = app_with_simulator().await;
    let simulator = app.bankid.clone().unwrap_or_else(|| panic!("no simulator"));
    let client = rp_client(&simulator, true);
    let base = simulator.base_url();
    let call = async |path: &str, content_type: &str, body: &str| -> (u16, Value) {
        let r = client
            .post(format!("{base}{path}"))
            .header("content-type", content_type)
            .body(body.to_owned())
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e:?}"));
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    };
    for (path, content_type, body, status, code) in [
        (
            "/auth",
            "application/json",
            "{not json",
            400,
            "invalidParameters",
        ),
        (
            "/auth",
            "application/json",
            r#"{"endUserIp": "nowhere"}"#,
            400,
            "invalidParameters",
        ),
        (
            "/auth",
            "text/plain",
            r#"{"endUserIp": "127.0.0.1"}"#,
            415,
            "unsupportedMediaType",
        ),
        (
            "/sign",
            "application/json",
            r#"{"endUserIp": "127.0.0.1"}"#,
            400,
            "invalidParameters",
        ),
        (
            "/collect",
            "application/json",
            r#"{"orderRef": "no-such-order"}"#,
            400,
            "invalidParameters",
        ),
        (
            "/cancel",
            "application/json",
            r#"{"orderRef": "no-such-order"}"#,
            400,
            "invalidParameters",
        ),
        ("/payments", "application/json", "{}", 404, "notFound"),
    ] {
        let (got, answer) = call(path, content_type, body).await;
        assert_eq!(
            (got, answer["errorCode"].as_str()),
            (status, Some(code)),
            "{path} {body}: {answer}"
        );
        assert!(answer["details"].is_string(), "{answer}");
    }
    let r = client
        .get(format!("{base}/auth"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), 405);

    // Without a client certificate the handshake fails: no request reaches the API.
    let refused = rp_client(&simulator, false)
        .post(format!("{base}/auth"))
        .json(&json!({"endUserIp": "127.0.0.1"}))
        .send()
        .await;
    assert!(refused.is_err(), "{refused:?}");
}

/// The client certificate the npm client presents.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Presents {
    /// The simulator's RP bundle (`rp.p12`), as the library takes BankID's test certificate.
    Rp,
    None,
    /// The library's default: BankID's own published test certificate, which the simulator's
    /// CA did not issue.
    BankIdsTestCertificate,
}

/// Runs the npm client once: `command` and its arguments; its one JSON line.
async fn npm_client(app: &TestApp, presents: Presents, args: &[&str]) -> Value {
    let simulator = app.bankid.clone().unwrap_or_else(|| panic!("no simulator"));
    let base = simulator.base_url();
    let (pfx, passphrase) = match presents {
        Presents::Rp => (
            simulator.pki.rp_bundle.display().to_string(),
            idgate_server::simulators::bankid::pki::RP_PASSWORD.to_owned(),
        ),
        Presents::None => ("-".to_owned(), "-".to_owned()),
        Presents::BankIdsTestCertificate => ("bankid-test".to_owned(), "-".to_owned()),
    };
    let output = tokio::process::Command::new("node")
        .arg("client.js")
        .arg(&base)
        .arg(&pfx)
        .arg(&passphrase)
        .arg(simulator.pki.ca.display().to_string())
        .args(args)
        .current_dir(fixture())
        .kill_on_drop(true)
        .output()
        .await
        .unwrap_or_else(|e| panic!("node: {e}"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    serde_json::from_str(stdout.lines().last().unwrap_or_default())
        .unwrap_or_else(|e| panic!("{e}: {stdout} {}", String::from_utf8_lossy(&output.stderr)))
}

#[tokio::test]
async fn the_npm_bankid_client_authenticates_signs_collects_and_cancels_at_the_simulator() {
    let app = app_with_simulator().await;

    // auth: the documented answer; the library's own QR code is one the app accepts.
    let auth = npm_client(&app, Presents::Rp, &["auth"]).await;
    let order = &auth["ok"];
    for member in [
        "orderRef",
        "autoStartToken",
        "qrStartToken",
        "qrStartSecret",
    ] {
        assert!(order[member].is_string(), "{member}: {auth}");
    }
    let order_ref = text(order, "orderRef");
    let pending = npm_client(&app, Presents::Rp, &["collect", &order_ref]).await;
    assert_eq!(pending["ok"]["status"], "pending", "{pending}");
    assert_eq!(pending["ok"]["hintCode"], "outstandingTransaction");
    let (status, scanned) = app_form(
        &app,
        "/simulators/bankid/app/scan",
        &[("qr", &text(order, "qrContent"))],
    )
    .await;
    assert_eq!(status, 200, "the library's QR code reads: {scanned}");
    let pending = npm_client(&app, Presents::Rp, &["collect", &order_ref]).await;
    assert_eq!(pending["ok"]["hintCode"], "userSign", "{pending}");
    let (status, _) = app_form(
        &app,
        "/simulators/bankid/app/answer",
        &[
            ("order_ref", &order_on_page(&scanned)),
            ("person", ANNA),
            ("action", "approve"),
        ],
    )
    .await;
    assert_eq!(status, 200);
    let complete = npm_client(&app, Presents::Rp, &["collect", &order_ref]).await;
    let data = &complete["ok"]["completionData"];
    assert_eq!(complete["ok"]["status"], "complete", "{complete}");
    assert_eq!(data["user"]["personalNumber"], ANNA);
    assert_eq!(data["user"]["givenName"], "Anna");
    assert_eq!(data["user"]["surname"], "Andersson");
    assert!(
        data["signature"].is_string() && data["ocspResponse"].is_string(),
        "{complete}"
    );

    // sign: the text the RP sends is what the app shows.
    let sign = npm_client(&app, Presents::Rp, &["sign", "Pay 100 SEK to Acme"]).await;
    let (status, scanned) = app_form(
        &app,
        "/simulators/bankid/app/scan",
        &[("qr", &text(&sign["ok"], "qrContent"))],
    )
    .await;
    assert_eq!(status, 200, "{scanned}");
    assert!(scanned.contains("Pay 100 SEK to Acme"), "{scanned}");

    // cancel answers {}, and the order is gone: collecting it is invalidParameters.
    let sign_ref = text(&sign["ok"], "orderRef");
    let cancelled = npm_client(&app, Presents::Rp, &["cancel", &sign_ref]).await;
    assert_eq!(cancelled["ok"], json!({}), "{cancelled}");
    let gone = npm_client(&app, Presents::Rp, &["collect", &sign_ref]).await;
    assert_eq!(gone["bankIdError"], "invalidParameters", "{gone}");

    // A second order for the same person aborts both: alreadyInProgress, and the first fails
    // as cancelled.
    let first = npm_client(&app, Presents::Rp, &["auth", ANNA]).await;
    let again = npm_client(&app, Presents::Rp, &["auth", ANNA]).await;
    assert_eq!(again["bankIdError"], "alreadyInProgress", "{again}");
    let aborted = npm_client(
        &app,
        Presents::Rp,
        &["collect", &text(&first["ok"], "orderRef")],
    )
    .await;
    assert_eq!(aborted["ok"]["status"], "failed", "{aborted}");
    assert_eq!(aborted["ok"]["hintCode"], "cancelled");

    // No RP certificate, or one the simulator's CA did not issue (BankID's own test
    // certificate, the library's default): the library reports that no answer came.
    let anonymous = npm_client(&app, Presents::None, &["auth"]).await;
    assert!(anonymous["requestError"].is_string(), "{anonymous}");
    let stranger = npm_client(&app, Presents::BankIdsTestCertificate, &["auth"]).await;
    assert!(stranger["requestError"].is_string(), "{stranger}");
}

/// Pending orders show BankID's official messages (Swedish for Swedish, English otherwise);
/// an unscanned code lapses after 30 s and is replaced by a new order without the session
/// noticing; after five such renewals the session expires.
#[tokio::test]
async fn bankids_own_messages_are_shown_and_an_unscanned_code_is_silently_renewed() {
    let app = app_with_simulator().await;
    let simulator = app.bankid.clone().unwrap_or_else(|| panic!("no simulator"));
    let p = app.partner_with_return_url("Acme", RETURN).await;
    let (id, url, first) = started(&app, &p).await;
    assert_eq!(first["message"], "Start your BankID app.", "{first}");
    let swedish: Value = app
        .client
        .get(format!("{url}/progress"))
        .header("accept-language", "sv-SE")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .json()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(swedish["message"], "Starta BankID-appen.", "{swedish}");

    // 31 seconds without a scan: BankID's order fails with startFailed; the session stays
    // started with a new order and a new code.
    let before = text(&first, "qr_code");
    simulator.orders.pass(31);
    let renewed = progress(&app, &url).await;
    assert_eq!(renewed["done"], false, "{renewed}");
    let after = text(&renewed, "qr_code");
    let token = |code: &str| code.split('.').nth(1).unwrap_or_default().to_owned();
    assert_ne!(
        token(&before),
        token(&after),
        "a new order: {before} {after}"
    );
    let session = app
        .hub
        .session(id.parse().unwrap_or_else(|e| panic!("{e}")))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(session.status, idgate_core::Status::Started);
    // The new order's code is scanned: the app's user is asked for the security code.
    let (status, scanned) = app_form(&app, "/simulators/bankid/app/scan", &[("qr", &after)]).await;
    assert_eq!(status, 200, "{scanned}");
    let signing = progress(&app, &url).await;
    assert_eq!(
        signing["message"],
        "Enter your security code in the BankID app and select Identify or Sign.",
        "{signing}"
    );

    // Another verification nobody ever scans: five renewals, then it expires.
    let (other, other_url, _) = started(&app, &p).await;
    for _ in 0..5 {
        simulator.orders.pass(31);
        assert_eq!(progress(&app, &other_url).await["done"], false);
    }
    simulator.orders.pass(31);
    let last = progress(&app, &other_url).await;
    assert_eq!(last["done"], true, "{last}");
    let verification = hopae_get(&app, &p, &format!("/verifications/{other}")).await;
    assert_eq!(verification["status"], "expired", "{verification}");
}

const IPHONE_SAFARI: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1";
const IPHONE_CHROME: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1";
const ANDROID: &str = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36";

/// A verification started in a browser with `user_agent`: its id, its hosted URL, the
/// autostart link its page shows, and the order as the simulator received it.
async fn started_in(
    app: &TestApp,
    p: &Partner,
    user_agent: &str,
) -> (String, String, String, Received) {
    let (id, url) = app.hopae_verification(p, PROVIDER, RETURN).await;
    let r = app
        .client
        .post(format!("{url}/start"))
        .header("user-agent", user_agent)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), 303);
    let page = app
        .client
        .get(&url)
        .header("user-agent", user_agent)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .text()
        .await
        .unwrap_or_default();
    let link = page
        .split("id=\"autostart\" href=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("no autostart link: {page}"))
        .replace("&amp;", "&")
        .replace("&#38;", "&");
    let simulator = app.bankid.clone().unwrap_or_else(|| panic!("no simulator"));
    let order = app
        .hub
        .session(id.parse().unwrap_or_else(|e| panic!("{e}")))
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .provider_reference
        .unwrap_or_default();
    let received = simulator
        .orders
        .received(&order)
        .unwrap_or_else(|| panic!("the simulator has no order {order}"));
    (id, url, link, received)
}

/// On the same device: the hosted page links to BankID's autostart, which the simulator's app
/// opens without a code. Where the app sends the person back depends on the device, as BankID
/// advises: on an iPhone the order carries a `returnUrl` to the page in the browser's own
/// scheme (Safari: the page itself; Chrome: `googlechrome://`), and the link no `redirect`; on
/// Android neither (the phone returns to the browser by itself), and the link says
/// `redirect=null`. Every order tells BankID of the browser (the web device context).
#[tokio::test]
async fn on_the_same_device_the_autostart_link_opens_the_order_and_returns_per_device() {
    let app = app_with_simulator().await;
    let p = app.partner_with_return_url("Acme", RETURN).await;
    let (id, url, link, received) = started_in(&app, &p, IPHONE_SAFARI).await;
    let parsed = url::Url::parse(&link).unwrap_or_else(|e| panic!("{link}: {e}"));
    let query: std::collections::BTreeMap<String, String> =
        parsed.query_pairs().into_owned().collect();
    assert_eq!(parsed.path(), "/simulators/bankid/app", "{link}");
    assert!(query.get("autostarttoken").is_some_and(|t| !t.is_empty()));
    assert_eq!(query.get("redirect"), None, "{link}");
    assert_eq!(received.return_url.as_deref(), Some(url.as_str()));
    let web = received
        .web
        .clone()
        .unwrap_or_else(|| panic!("no web context"));
    assert_eq!(web.user_agent.as_deref(), Some(IPHONE_SAFARI));
    assert_eq!(web.referring_domain.as_deref(), Some("127.0.0.1"));
    let device = web.device_identifier.clone().unwrap_or_default();
    assert!(device.len() >= 20, "{device}");

    let opened = app
        .client
        .get(&link)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(opened.status(), 200);
    let opened = opened.text().await.unwrap_or_default();
    let (status, done) = app_form(
        &app,
        "/simulators/bankid/app/answer",
        &[
            ("order_ref", &order_on_page(&opened)),
            ("person", ANNA),
            ("action", "approve"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{done}");
    assert!(
        done.contains(&format!("href=\"{url}\"")),
        "back to the page through the order's returnUrl: {done}"
    );
    assert_eq!(progress(&app, &url).await["status"], "approved");
    assert_eq!(
        hopae_get(&app, &p, &format!("/verifications/{id}")).await["status"],
        "completed"
    );

    // Chrome on an iPhone: back through Chrome's own scheme, to the same page.
    let (_, url, _, received) = started_in(&app, &p, IPHONE_CHROME).await;
    let without_scheme = url.trim_start_matches("http://");
    assert_eq!(
        received.return_url,
        Some(format!("googlechrome://{without_scheme}"))
    );
    // Android: no return URL; the link says so.
    let (_, _, link, received) = started_in(&app, &p, ANDROID).await;
    assert_eq!(received.return_url, None);
    assert!(link.ends_with("&redirect=null"), "{link}");
    assert_eq!(
        received.web.and_then(|w| w.user_agent).as_deref(),
        Some(ANDROID)
    );

    // A forged token opens nothing; a redirect elsewhere is not followed.
    let (status, _) = app_form(
        &app,
        "/simulators/bankid/app/scan",
        &[("qr", "bankid.x.0.y")],
    )
    .await;
    assert_eq!(status, 400);
    let forged = app
        .client
        .get(app.url("/simulators/bankid/app?autostarttoken=forged&redirect=https://evil.example/"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(forged.status(), 400);
}

/// BankID's own published test certificate (FPTestcert5, shipped in the npm library's package)
/// opens as idgate's RP certificate: a PKCS#12 bundle with BankID's published password, and
/// BankID's test-environment CA beside it, as the README configures BankID's test environment.
#[test]
fn bankids_published_test_certificate_opens_as_the_rp_certificate() {
    let shipped = fixture().join("node_modules/bankid/cert");
    let tls = ClientTls {
        certificate: shipped.join("FPTestcert5_20240610.p12"),
        key: None,
        ca: Some(shipped.join("test.ca")),
        password: Some("qwerty123".into()),
    };
    let (identity, ca) = tls.read().unwrap_or_else(|e| panic!("{e}"));
    let pem = String::from_utf8(identity.clone()).unwrap_or_default();
    let leaf = pem
        .split("-----BEGIN CERTIFICATE-----")
        .nth(1)
        .and_then(|rest| rest.split("-----END").next())
        .map(|b64| b64.replace('\n', ""))
        .unwrap_or_default();
    let der = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, leaf)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        der.windows(13).any(|w| w == b"FP Testcert 5"),
        "the leaf is BankID's test certificate"
    );
    let ca =
        reqwest::Certificate::from_pem(&ca.unwrap_or_default()).unwrap_or_else(|e| panic!("{e}"));
    // A client presenting it and trusting only BankID's test CA builds (rustls takes both).
    let client = reqwest::Client::builder()
        .identity(reqwest::Identity::from_pem(&identity).unwrap_or_else(|e| panic!("{e}")))
        .tls_certs_only([ca])
        .build();
    assert!(client.is_ok(), "{client:?}");
    // The wrong password is refused, naming the file.
    let wrong = ClientTls {
        password: Some("qwerty".into()),
        ..tls
    };
    let err = wrong
        .read()
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(err.contains("FPTestcert5_20240610.p12"), "{err}");
}

/// A partner may have the person sign a text (idgate's `signText` among the provider's
/// `userData`, which Hopae's create takes): the order is then BankID's `sign`, the app shows
/// the text, and the evidence is the signature.
#[tokio::test]
async fn a_partner_can_have_the_person_sign_a_text_through_hopaes_user_data() {
    let app = app_with_simulator().await;
    let p = app.partner_with_return_url("Acme", RETURN).await;
    let (status, providers) = app.hopae(&p, Method::GET, "/providers", None).await;
    assert_eq!(status, 200);
    let listed = providers
        .as_array()
        .and_then(|all| all.iter().find(|p| p["id"] == PROVIDER))
        .cloned()
        .unwrap_or_else(|| panic!("{providers}"));
    assert!(listed.to_string().contains("signText"), "{listed}");
    // Data signed unseen needs a text the person sees.
    let (status, refused) = app
        .hopae(
            &p,
            Method::POST,
            "/verifications",
            Some(json!({
                "providerId": PROVIDER,
                "redirectUri": RETURN,
                "userData": {"signHiddenData": "contract 7"}
            })),
        )
        .await;
    assert_eq!(status, 400, "{refused}");
    assert!(refused.to_string().contains("signText"), "{refused}");
    // The partner reads the whole proof.
    app.hub
        .update_partner(
            p.id.parse().unwrap_or_else(|e| panic!("{e}")),
            idgate_hub::service::partners::PartnerChange {
                evidence: Some(idgate_core::EvidenceDisclosure::Full),
                ..Default::default()
            },
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    let text_to_sign = "I accept the terms of *7 December 2026*.";
    let hidden = "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    let (status, created) = app
        .hopae(
            &p,
            Method::POST,
            "/verifications",
            Some(json!({
                "providerId": PROVIDER,
                "redirectUri": RETURN,
                "userData": {"signText": text_to_sign, "signHiddenData": hidden}
            })),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let id = text(&created, "verificationId");
    let url = text(&created["flowDetails"], "authorizationUrl");
    let r = app
        .client
        .post(format!("{url}/start"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), 303);
    let code = text(&progress(&app, &url).await, "qr_code");
    let (status, scanned) = app_form(&app, "/simulators/bankid/app/scan", &[("qr", &code)]).await;
    assert_eq!(status, 200, "{scanned}");
    assert!(scanned.contains("asks you to sign"), "{scanned}");
    assert!(scanned.contains("*7 December 2026*"), "{scanned}");
    assert!(!scanned.contains(hidden), "the hidden data is not shown");
    let b64 = |data: &str| base64::Engine::encode(&base64::engine::general_purpose::STANDARD, data);
    let simulator = app.bankid.clone().unwrap_or_else(|| panic!("no simulator"));
    let received = simulator
        .orders
        .received(&order_on_page(&scanned))
        .unwrap_or_else(|| panic!("no order"));
    assert_eq!(received.user_non_visible_data, Some(b64(hidden)));
    let (status, _) = app_form(
        &app,
        "/simulators/bankid/app/answer",
        &[
            ("order_ref", &order_on_page(&scanned)),
            ("person", ANNA),
            ("action", "approve"),
        ],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(progress(&app, &url).await["status"], "approved");
    let evidence = hopae_get(&app, &p, &format!("/verifications/{id}/evidence")).await;
    let proof = &evidence["token"];
    assert_eq!(proof["format"], "bankid-signature", "{evidence}");
    assert_eq!(proof["signed_text"], text_to_sign);
    // The hidden data is in BankID's signature; the evidence names it by its digest.
    let signature = base64::Engine::decode(
        &base64::engine::general_purpose::STANDARD,
        text(proof, "signature"),
    )
    .unwrap_or_default();
    let signature = String::from_utf8_lossy(&signature);
    assert!(
        signature.contains(&format!(
            "<usrNonVisibleData>{}</usrNonVisibleData>",
            b64(hidden)
        )),
        "{signature}"
    );
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, hidden.as_bytes());
    assert_eq!(
        proof["signed_hidden_data_digest"],
        format!(
            "sha256:{}",
            base64::Engine::encode(
                &base64::engine::general_purpose::URL_SAFE_NO_PAD,
                digest.as_ref()
            )
        )
    );
    let info = hopae_get(&app, &p, &format!("/verifications/{id}/userinfo")).await;
    assert_eq!(info["personal_identity_number"], ANNA);
}

/// RP-initiated phone orders (`/phone/auth`): a `phone = true` table is a push flow whose
/// identifier is the personal number. The partner, on the phone with the person, creates the
/// verification with it; the person's app answers the call's request and identifies.
#[tokio::test]
async fn a_phone_order_is_answered_in_the_persons_app() {
    let app = TestApp::spawn_with(|s| {
        s.providers.insert(
            "bankid-phone".into(),
            ProviderConfig::BankId(Box::new(BankIdConfig {
                base_url: Some("{simulator}".into()),
                phone: Some(true),
                collect_interval_ms: Some(0),
                ..BankIdConfig::default()
            })),
        );
    })
    .await;
    let p = app.partner_with_return_url("Acme", RETURN).await;
    // A malformed personal number is refused at creation.
    let (status, refused) = app
        .hopae(
            &p,
            Method::POST,
            "/verifications",
            Some(json!({"providerId": "bankid-phone", "userData": {"registrationId": "12345"}})),
        )
        .await;
    assert_eq!(status, 400, "{refused}");
    let (status, created) = app
        .hopae(
            &p,
            Method::POST,
            "/verifications",
            Some(json!({
                "providerId": "bankid-phone",
                "redirectUri": RETURN,
                "userData": {"registrationId": "19850314-2389"}
            })),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["flowType"], "push");
    assert_eq!(
        created["status"], "pending",
        "ordered at creation: {created}"
    );
    let id = text(&created, "verificationId");
    let url = text(&created["flowDetails"], "authorizationUrl");
    let waiting = progress(&app, &url).await;
    assert_eq!(waiting["done"], false, "{waiting}");
    assert_eq!(
        waiting["message"], "An identification or signing is in progress.",
        "userCallConfirm shows RFA21: {waiting}"
    );

    let opened = app
        .client
        .get(app.url(&format!("/simulators/bankid/app?personal_number={ANNA}")))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(opened.status(), 200);
    let opened = opened.text().await.unwrap_or_default();
    let (status, _) = app_form(
        &app,
        "/simulators/bankid/app/answer",
        &[
            ("order_ref", &order_on_page(&opened)),
            ("person", ANNA),
            ("action", "approve"),
        ],
    )
    .await;
    assert_eq!(status, 200);
    // Nobody is on the hosted page: the partner's own poll collects the result.
    assert_eq!(
        hopae_get(&app, &p, &format!("/verifications/{id}")).await["status"],
        "completed"
    );
    let info = hopae_get(&app, &p, &format!("/verifications/{id}/userinfo")).await;
    assert_eq!(info["personal_identity_number"], ANNA, "{info}");
    assert_eq!(progress(&app, &url).await["status"], "approved");

    // The RP API refuses a phone order without a valid call initiator.
    let simulator = app.bankid.clone().unwrap_or_else(|| panic!("no simulator"));
    let r = rp_client(&simulator, true)
        .post(format!("{}/phone/auth", simulator.base_url()))
        .json(&json!({"personalNumber": ANNA, "callInitiator": "nobody"}))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap_or(Value::Null);
    assert_eq!(body["errorCode"], "invalidParameters", "{body}");

    // The person declines the call in the app: userDeclinedCall, the session is cancelled.
    let (status, created) = app
        .hopae(
            &p,
            Method::POST,
            "/verifications",
            Some(json!({
                "providerId": "bankid-phone",
                "redirectUri": RETURN,
                "userData": {"registrationId": ANNA}
            })),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let declined_id = text(&created, "verificationId");
    let opened = app
        .client
        .get(app.url(&format!("/simulators/bankid/app?personal_number={ANNA}")))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .text()
        .await
        .unwrap_or_default();
    assert!(opened.contains("fail-userDeclinedCall"), "{opened}");
    let (status, _) = app_form(
        &app,
        "/simulators/bankid/app/answer",
        &[
            ("order_ref", &order_on_page(&opened)),
            ("action", "fail:userDeclinedCall"),
        ],
    )
    .await;
    assert_eq!(status, 200);
    let declined = hopae_get(&app, &p, &format!("/verifications/{declined_id}")).await;
    assert_eq!(declined["status"], "cancelled", "{declined}");
    let session = app
        .hub
        .session(declined_id.parse().unwrap_or_else(|e| panic!("{e}")))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        session.raw_provider_status.as_deref(),
        Some("userDeclinedCall")
    );
}
