//! The Hopae Connect dialect over real HTTP: every endpoint, the documented errors, assurance,
//! claims, match results, idempotency and the QR simulator's code checks.

use idgate_testkit as common;

use chrono::{Duration, Utc};
use common::{Partner, TestApp, text};
use idgate_providers::sandbox::qr::QrCode;
use idgate_store::{IdempotencyClaim, IdempotencyKey};
use reqwest::Method;
use serde_json::{Value, json};

const RETURN: &str = "https://partner.example.com/callback";

async fn create(app: &TestApp, p: &Partner, body: Value) -> (u16, Value) {
    app.hopae(p, Method::POST, "/verifications", Some(body))
        .await
}

async fn created(app: &TestApp, p: &Partner, body: Value) -> Value {
    let (status, answer) = create(app, p, body).await;
    assert_eq!(status, 201, "{answer}");
    answer
}

async fn decide(app: &TestApp, p: &Partner, id: &str, body: Value) -> Value {
    let (status, answer) = app
        .hopae(
            p,
            Method::POST,
            &format!("/sandbox/verifications/{id}/decision"),
            Some(body),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    answer
}

/// Asserts a problem document: status, code and (when given) the field it names.
fn assert_problem(status: u16, body: &Value, want_status: u16, code: &str, field: Option<&str>) {
    assert_eq!(status, want_status, "{body}");
    // Hopae's clients read the code from `title`.
    assert_eq!(body["title"], code, "{body}");
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["status"], want_status, "{body}");
    assert!(
        body["detail"].is_string() && body["timestamp"].is_string() && body["instance"].is_string()
    );
    if let Some(field) = field {
        assert_eq!(body["context"]["field"], field, "{body}");
    }
}

fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    k.sort();
    k
}

#[tokio::test]
async fn basic_authentication_is_required_and_checked() {
    let app = TestApp::spawn().await;
    let p = app.partner("A").await;
    let r = app
        .client
        .get(app.url("/connect/v1/providers"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), 401);
    assert_eq!(
        r.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/problem+json")
    );
    assert!(r.headers().get("www-authenticate").is_some());
    let (status, body) = common::read(r).await;
    assert_problem(status, &body, 401, "AUTH_INVALID_CREDENTIALS", None);
    assert_eq!(body["instance"], "/connect/v1/providers");

    for (id, secret) in [
        (p.client_id.as_str(), "wrong"),
        ("unknown", p.client_secret.as_str()),
        // EasyFreelance credentials are not Hopae credentials.
        (p.token.as_str(), p.api_key.as_str()),
    ] {
        let r = app
            .client
            .get(app.url("/connect/v1/providers"))
            .basic_auth(id, Some(secret))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.status(), 401);
    }
    let (status, providers) = app.hopae(&p, Method::GET, "/providers", None).await;
    assert_eq!(status, 200, "{providers}");
}

#[tokio::test]
async fn providers_declare_flow_assurance_claims_and_inputs() {
    let app = TestApp::spawn().await;
    let p = app.partner("A").await;
    let (_, body) = app.hopae(&p, Method::GET, "/providers", None).await;
    // A JSON array of Hopae's provider objects, as its documentation shows.
    let list = body.as_array().cloned().unwrap_or_default();
    assert!(!list.is_empty(), "{body}");
    let find = |id: &str| {
        list.iter()
            .find(|x| x["id"] == id)
            .cloned()
            .unwrap_or(Value::Null)
    };
    for provider in &list {
        for member in [
            "id",
            "name",
            "logoUrl",
            "description",
            "countries",
            "status",
            "isActive",
            "needAction",
            "flowTypes",
            "scopes",
            "loa",
        ] {
            assert!(provider.get(member).is_some(), "{member}: {provider}");
        }
        assert_eq!(provider["status"], "activated");
    }
    let qr = find("sandbox-qr");
    assert_eq!(qr["flowTypes"], json!(["qr"]));
    assert_eq!(qr["loa"], 4);
    assert_eq!(qr["flowType"], "qr");
    assert_eq!(qr["maxLoa"], 4);
    assert_eq!(qr["verification_model"], "disclosure");
    assert!(
        qr["claims"]
            .as_array()
            .is_some_and(|c| c.contains(&json!("given_name")))
    );
    let push = find("sandbox-push");
    assert_eq!(push["flowType"], "push");
    assert_eq!(push["userData"][0]["name"], "registrationId");
    assert_eq!(push["userData"][0]["required"], false);
    let matching = find("sandbox-match");
    assert_eq!(matching["matchCapable"], true);
    assert_eq!(matching["verification_model"], "match");
    assert_eq!(matching["userData"][0]["name"], "personalCode");
    assert_eq!(matching["userData"][0]["required"], true);
    assert_eq!(matching["matchFields"][0]["name"], "fullName");
    assert_eq!(find("veriff")["flowType"], "redirect");

    // The documented status filter; every provider here is activated.
    let (_, none) = app
        .hopae(&p, Method::GET, "/providers?status=deactivated", None)
        .await;
    assert_eq!(none, json!([]));
    let (_, all) = app
        .hopae(&p, Method::GET, "/providers?status=activated", None)
        .await;
    assert_eq!(all.as_array().map(Vec::len), Some(list.len()));
    let (status, body) = app
        .hopae(&p, Method::GET, "/providers?status=sleepy", None)
        .await;
    assert_problem(
        status,
        &body,
        400,
        "VALIDATION_INVALID_PARAMETER",
        Some("status"),
    );

    // A provider's configuration: its userData fields, split as Hopae splits them.
    let (status, config) = app
        .hopae(
            &p,
            Method::GET,
            "/providers/sandbox-match/configuration",
            None,
        )
        .await;
    assert_eq!(status, 200, "{config}");
    assert_eq!(config["providerId"], "sandbox-match");
    assert_eq!(config["requiredUserData"][0]["field"], "personalCode");
    assert_eq!(config["requiredUserData"][0]["type"], "text");
    assert_eq!(config["requiredUserData"][0]["required"], true);
    assert_eq!(config["flowTypes"], json!(["redirect"]));
    let (status, config) = app
        .hopae(
            &p,
            Method::GET,
            "/providers/sandbox-push/configuration",
            None,
        )
        .await;
    assert_eq!(status, 200, "{config}");
    assert_eq!(config["optionalUserData"][0]["field"], "registrationId");
    let (status, body) = app
        .hopae(&p, Method::GET, "/providers/nope/configuration", None)
        .await;
    assert_problem(status, &body, 404, "PROVIDER_NOT_FOUND", None);
}

#[tokio::test]
async fn create_and_status_answer_in_the_documented_shape() {
    let app = TestApp::spawn().await;
    let p = app.partner_with_return_url("A", RETURN).await;
    let body = created(
        &app,
        &p,
        json!({"providerId": "sandbox-qr", "redirectUri": format!("{RETURN}?order=7")}),
    )
    .await;
    assert_eq!(
        keys(&body),
        [
            "createdAt",
            "expiresAt",
            "flowDetails",
            "flowType",
            "providerId",
            "status",
            "verificationId",
            "verification_model"
        ]
    );
    let id = text(&body, "verificationId");
    assert_eq!(id.len(), 32, "Hopae-style id: {id}");
    assert_eq!(body["status"], "initiated");
    assert_eq!(body["flowType"], "qr");
    assert_eq!(body["verification_model"], "disclosure");
    let url = body["flowDetails"]["authorizationUrl"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(url.starts_with(&app.url("/v/")), "{url}");
    let qr = base64::Engine::decode(
        &base64::engine::general_purpose::STANDARD,
        body["flowDetails"]["qrData"].as_str().unwrap_or_default(),
    )
    .unwrap_or_default();
    // Not the verification's own link: a single-use handoff that opens it on the phone.
    let handoff = String::from_utf8_lossy(&qr).to_string();
    assert!(handoff.starts_with(&app.url("/h/")), "{handoff}");
    let phone = common::browser();
    let opened = phone
        .get(&handoff)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(opened.status(), 303);
    assert_eq!(app.url(&common::location(&opened)), url);
    let again = phone
        .get(&handoff)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(again.status(), 410, "a photographed code opens nothing");
    for stamp in ["createdAt", "expiresAt"] {
        assert!(
            chrono::DateTime::parse_from_rfc3339(body[stamp].as_str().unwrap_or_default()).is_ok()
        );
    }

    let (status, got) = app
        .hopae(&p, Method::GET, &format!("/verifications/{id}"), None)
        .await;
    assert_eq!(status, 200, "{got}");
    assert_eq!(got["status"], "initiated");
    assert!(
        got.get("verification_model").is_none(),
        "create response only"
    );
    assert!(got.get("verifiedAt").is_none() && got.get("error").is_none());
    // The hyphenated form of the id is accepted too.
    let hyphenated = uuid::Uuid::parse_str(&id)
        .map(|u| u.hyphenated().to_string())
        .unwrap_or_default();
    let (status, _) = app
        .hopae(
            &p,
            Method::GET,
            &format!("/verifications/{hyphenated}"),
            None,
        )
        .await;
    assert_eq!(status, 200);

    // A redirect provider answers with an authorizationUrl only.
    let redirect = created(&app, &p, json!({"providerId": "veriff"})).await;
    assert_eq!(redirect["flowType"], "redirect");
    assert!(redirect["flowDetails"].get("qrData").is_none());

    // Unknown and foreign verifications are equally unknown.
    let other = app.partner("B").await;
    for (who, path) in [
        (&other, format!("/verifications/{id}")),
        (
            &p,
            format!("/verifications/{}", uuid::Uuid::new_v4().simple()),
        ),
        (&p, "/verifications/not-an-id".to_owned()),
    ] {
        let (status, body) = app.hopae(who, Method::GET, &path, None).await;
        assert_problem(status, &body, 404, "SESSION_VERIFICATION_NOT_FOUND", None);
    }
    let (status, body) = app.hopae(&p, Method::GET, "/nowhere", None).await;
    assert_problem(status, &body, 404, "RESOURCE_NOT_FOUND", None);
}

#[tokio::test]
async fn invalid_requests_get_the_documented_errors() {
    let app = TestApp::spawn().await;
    let p = app.partner_with_return_url("A", RETURN).await;
    let cases: Vec<(Value, u16, &str, Option<&str>)> = vec![
        (
            json!({}),
            400,
            "VALIDATION_MISSING_PARAMETER",
            Some("providerId"),
        ),
        (
            json!({"providerId": 7}),
            400,
            "VALIDATION_INVALID_PARAMETER",
            Some("providerId"),
        ),
        (
            json!({"providerId": "nope"}),
            404,
            "PROVIDER_NOT_FOUND",
            None,
        ),
        (
            json!({"providerId": "sandbox-qr", "extra": 1}),
            400,
            "VALIDATION_INVALID_PARAMETER",
            Some("extra"),
        ),
        (
            json!({"providerId": "sandbox-qr", "requestedLoa": 0}),
            400,
            "VALIDATION_INVALID_PARAMETER",
            Some("requestedLoa"),
        ),
        (
            json!({"providerId": "sandbox-qr", "requestedLoa": 6}),
            400,
            "VALIDATION_INVALID_PARAMETER",
            Some("requestedLoa"),
        ),
        (
            json!({"providerId": "sandbox-qr", "requestedLoa": "3"}),
            400,
            "VALIDATION_INVALID_PARAMETER",
            Some("requestedLoa"),
        ),
        (
            json!({"providerId": "sandbox-qr", "requestedLoa": 5}),
            422,
            "VALIDATION_UNPROCESSABLE",
            None,
        ),
        (
            json!({"providerId": "sandbox-match", "requestedLoa": 3, "userData": {"personalCode": "14038512345"}, "matchData": {"fullName": "K"}}),
            422,
            "VALIDATION_UNPROCESSABLE",
            None,
        ),
        (
            json!({"providerId": "sandbox-qr", "flowType": "push"}),
            400,
            "SESSION_INVALID_FLOW",
            Some("flowType"),
        ),
        (
            json!({"providerId": "sandbox-qr", "metadata": "not an object"}),
            400,
            "VALIDATION_INVALID_PARAMETER",
            Some("metadata"),
        ),
        (
            json!({"providerId": "sandbox-qr", "requestedClaims": "given_name"}),
            400,
            "VALIDATION_INVALID_PARAMETER",
            Some("requestedClaims"),
        ),
        (
            json!({"providerId": "sandbox-qr", "userData": {"x": 1}}),
            400,
            "VALIDATION_INVALID_PARAMETER",
            Some("userData.x"),
        ),
        (
            json!({"providerId": "sandbox-push", "userData": {"registrationId": "12345"}}),
            400,
            "VALIDATION_INVALID_PARAMETER",
            Some("userData.registrationId"),
        ),
        (
            json!({"providerId": "sandbox-match", "matchData": {"fullName": "Kari"}}),
            400,
            "VALIDATION_MISSING_PARAMETER",
            Some("userData.personalCode"),
        ),
        (
            json!({"providerId": "sandbox-match", "userData": {"personalCode": "123"}, "matchData": {"fullName": "Kari"}}),
            400,
            "VALIDATION_INVALID_PARAMETER",
            Some("userData.personalCode"),
        ),
        (
            json!({"providerId": "sandbox-match", "userData": {"personalCode": "14038512345"}}),
            400,
            "VALIDATION_MISSING_PARAMETER",
            Some("matchData"),
        ),
        (
            json!({"providerId": "sandbox-match", "userData": {"personalCode": "14038512345"}, "matchData": {"dateOfBirth": "1985-03-14"}}),
            400,
            "VALIDATION_MISSING_PARAMETER",
            Some("matchData.fullName"),
        ),
        (
            json!({"providerId": "sandbox-qr", "matchData": {"fullName": "Kari"}}),
            400,
            "VALIDATION_INVALID_PARAMETER",
            Some("matchData.fullName"),
        ),
        (
            json!({"providerId": "sandbox-qr", "redirectUri": "https://evil.example.com/callback"}),
            400,
            "VALIDATION_INVALID_PARAMETER",
            Some("redirectUri"),
        ),
        (
            json!({"providerId": "sandbox-qr", "redirectUri": "javascript:alert(1)"}),
            400,
            "VALIDATION_INVALID_PARAMETER",
            Some("redirectUri"),
        ),
        (
            json!({"providerId": "sandbox-qr", "webhookUrl": "https://10.0.0.1/hook"}),
            400,
            "VALIDATION_INVALID_PARAMETER",
            Some("webhookUrl"),
        ),
    ];
    for (body, status, code, field) in cases {
        let (got, answer) = create(&app, &p, body.clone()).await;
        assert_eq!(got, status, "{body} → {answer}");
        assert_problem(got, &answer, status, code, field);
    }
    // Not JSON, or JSON of the wrong kind.
    let r = app
        .client
        .post(app.url("/connect/v1/verifications"))
        .basic_auth(&p.client_id, Some(&p.client_secret))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let (status, body) = common::read(r).await;
    assert_problem(status, &body, 400, "VALIDATION_INVALID_JSON", None);
    let r = app
        .client
        .post(app.url("/connect/v1/verifications"))
        .basic_auth(&p.client_id, Some(&p.client_secret))
        .body("providerId=sandbox-qr")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let (status, body) = common::read(r).await;
    assert_problem(
        status,
        &body,
        415,
        "VALIDATION_UNSUPPORTED_MEDIA_TYPE",
        None,
    );
}

/// How idgate fingerprints a request body: SHA-256 of its canonical JSON (sorted keys).
fn request_digest(body: &Value) -> String {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    hex::encode(aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA256,
        &bytes,
    ))
}

#[tokio::test]
async fn idempotency_keys_replay_conflict_and_wait() {
    let app = TestApp::spawn().await;
    let p = app.partner_with_return_url("A", RETURN).await;
    let post = |key: &'static str, body: Value| {
        app.client
            .post(app.url("/connect/v1/verifications"))
            .basic_auth(&p.client_id, Some(&p.client_secret))
            .header("idempotency-key", key)
            .json(&body)
            .send()
    };
    let body = json!({"providerId": "sandbox-qr", "redirectUri": RETURN});
    let first = post("order-1", body.clone())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(first.headers().get("idempotent-replayed").is_none());
    let (status, first) = common::read(first).await;
    assert_eq!(status, 201, "{first}");
    let again = post("order-1", body.clone())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        again
            .headers()
            .get("idempotent-replayed")
            .and_then(|v| v.to_str().ok()),
        Some("true")
    );
    let (status, again) = common::read(again).await;
    assert_eq!(status, 201);
    assert_eq!(again, first, "the same answer, the same verification");

    let (status, conflict) = common::read(
        post("order-1", json!({"providerId": "veriff"}))
            .await
            .unwrap_or_else(|e| panic!("{e}")),
    )
    .await;
    assert_problem(status, &conflict, 409, "IDEMPOTENCY_KEY_CONFLICT", None);

    // A request holding the key (claimed, not finished) makes a duplicate wait.
    let partner_id = p.id.parse().unwrap_or_else(|e| panic!("{e}"));
    let now = Utc::now();
    let running = app
        .hub
        .operator()
        .store()
        .claim_idempotency_key(
            &IdempotencyKey {
                partner_id,
                key: "order-2",
            },
            &request_digest(&body),
            now,
            now + Duration::seconds(60),
            now - Duration::hours(24),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(running, IdempotencyClaim::Claimed);
    let (status, busy) = common::read(
        post("order-2", body.clone())
            .await
            .unwrap_or_else(|e| panic!("{e}")),
    )
    .await;
    assert_problem(status, &busy, 409, "IDEMPOTENCY_REQUEST_IN_PROGRESS", None);

    // A request that failed leaves its key free for a corrected retry.
    let (status, _) = common::read(
        post("order-3", json!({"providerId": "nope"}))
            .await
            .unwrap_or_else(|e| panic!("{e}")),
    )
    .await;
    assert_eq!(status, 404);
    let (status, retried) = common::read(
        post("order-3", json!({"providerId": "nope"}))
            .await
            .unwrap_or_else(|e| panic!("{e}")),
    )
    .await;
    assert_eq!(status, 404, "{retried}");
    let (status, fixed) = common::read(
        post("order-3", json!({"providerId": "veriff"}))
            .await
            .unwrap_or_else(|e| panic!("{e}")),
    )
    .await;
    assert_eq!(status, 201, "{fixed}");

    let bad = app
        .client
        .post(app.url("/connect/v1/verifications"))
        .basic_auth(&p.client_id, Some(&p.client_secret))
        .header("idempotency-key", "x".repeat(300))
        .json(&body)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let (status, bad) = common::read(bad).await;
    assert_problem(
        status,
        &bad,
        400,
        "IDEMPOTENCY_KEY_INVALID",
        Some("Idempotency-Key"),
    );
}

#[tokio::test]
async fn cancel_works_once_and_refuses_what_cannot_be_cancelled() {
    let app = TestApp::spawn().await;
    let p = app.partner("A").await;
    let id = text(
        &created(&app, &p, json!({"providerId": "veriff"})).await,
        "verificationId",
    );
    let (status, body) = app
        .hopae(&p, Method::DELETE, &format!("/verifications/{id}"), None)
        .await;
    assert_eq!(status, 204, "{body}");
    let (_, got) = app
        .hopae(&p, Method::GET, &format!("/verifications/{id}"), None)
        .await;
    assert_eq!(got["status"], "cancelled");
    assert_eq!(got["error"]["code"], "partner_cancelled");
    let (status, body) = app
        .hopae(&p, Method::DELETE, &format!("/verifications/{id}"), None)
        .await;
    assert_problem(status, &body, 400, "SESSION_ALREADY_TERMINAL", None);

    // While the user is authenticating (a QR code was scanned), it cannot be cancelled.
    let qr = created(&app, &p, json!({"providerId": "sandbox-qr"})).await;
    let qr_id = text(&qr, "verificationId");
    let session = scan_fresh_code(&app, &qr).await;
    assert_eq!(session["status"], "authenticating");
    let (status, body) = app
        .hopae(&p, Method::DELETE, &format!("/verifications/{qr_id}"), None)
        .await;
    assert_problem(
        status,
        &body,
        409,
        "SESSION_INVALID_STATUS_TRANSITION",
        None,
    );

    let other = app.partner("B").await;
    let (status, body) = app
        .hopae(
            &other,
            Method::DELETE,
            &format!("/verifications/{qr_id}"),
            None,
        )
        .await;
    assert_problem(status, &body, 404, "SESSION_VERIFICATION_NOT_FOUND", None);
}

/// Starts a QR verification in the hosted flow and submits the code shown now to the
/// simulated app; returns the verification's status afterwards.
async fn scan_fresh_code(app: &TestApp, created: &Value) -> Value {
    let url = created["flowDetails"]["authorizationUrl"]
        .as_str()
        .unwrap_or_default();
    let r = app
        .client
        .post(format!("{url}/start"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), 303);
    let progress: Value = app
        .client
        .get(format!("{url}/progress"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .json()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(progress["done"], false);
    assert!(
        progress["qr_svg"]
            .as_str()
            .is_some_and(|s| s.starts_with("<svg"))
    );
    let code = progress["qr_code"].as_str().unwrap_or_default().to_owned();
    let r = app
        .client
        .post(app.url("/sandbox/sandbox-qr/app/scan"))
        .form(&[("code", code.as_str())])
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), 200);
    let id: idgate_core::SessionId = text(created, "verificationId")
        .parse()
        .unwrap_or_else(|e| panic!("{e}"));
    let session = app.hub.session(id).await.unwrap_or_else(|e| panic!("{e}"));
    json!({ "status": idgate_dialects::hopae::wire::status_word(session.status) })
}

#[tokio::test]
async fn the_qr_app_refuses_old_forged_and_foreign_codes() {
    let app = TestApp::spawn().await;
    let p = app.partner("A").await;
    let qr = created(&app, &p, json!({"providerId": "sandbox-qr"})).await;
    let url = text(&qr["flowDetails"], "authorizationUrl");
    let r = app
        .client
        .post(format!("{url}/start"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), 303);
    let id: idgate_core::SessionId = text(&qr, "verificationId")
        .parse()
        .unwrap_or_else(|e| panic!("{e}"));
    // A genuine code (tagged with the session's own QR secret, from its sealed provider
    // state), but made 30 s ago (the validity window is 10 s).
    let started = app.hub.session(id).await.unwrap_or_else(|e| panic!("{e}"));
    let secret = started
        .provider_state
        .as_ref()
        .and_then(|s| s.get_str("qr_secret"))
        .and_then(|h| hex::decode(h).ok())
        .unwrap_or_else(|| panic!("the QR session keeps a secret"));
    let at = Utc::now().timestamp() - 30;
    let old = QrCode::signed("sandbox-qr", id, at, &secret);
    // Tagged with another session's secret: not genuine either.
    let foreign = QrCode::signed("sandbox-qr", id, Utc::now().timestamp(), &[7u8; 32]);
    let now = Utc::now().timestamp();
    let forged = QrCode {
        at: now,
        tag: "AAAAAAAAAAAAAAAAAAAAAA".into(),
        ..old.clone()
    };
    for (code, message) in [
        (old.content(), "expired"),
        (forged.content(), "not a code of this provider"),
        (foreign.content(), "not a code of this provider"),
        (
            "https://example.com".to_owned(),
            "not a code of this provider",
        ),
    ] {
        let r = app
            .client
            .post(app.url("/sandbox/sandbox-qr/app/scan"))
            .form(&[("code", code.as_str())])
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.status(), 400);
        let page = r.text().await.unwrap_or_default();
        assert!(page.contains(message), "{page}");
    }
    let session = app.hub.session(id).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        session.status,
        idgate_core::Status::Started,
        "nothing moved"
    );

    // Without JavaScript the page refreshes itself, and every load shows the current code.
    let load = async || {
        app.client
            .get(&url)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .text()
            .await
            .unwrap_or_default()
    };
    let first = load().await;
    assert!(first.contains(r#"<noscript><meta http-equiv="refresh" content="2"></noscript>"#));
    assert!(
        first.contains("<svg"),
        "the code is inline, no script needed"
    );
    let code = |page: &str| {
        page.split("id=\"qr-code\">")
            .nth(1)
            .and_then(|rest| rest.split('<').next())
            .unwrap_or_default()
            .to_owned()
    };
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let second = load().await;
    assert!(code(&first).starts_with("idgate-sandbox-qr://"), "{first}");
    assert_ne!(code(&first), code(&second), "a new code every second");
}

#[tokio::test]
async fn userinfo_and_evidence_after_completion_with_missing_claims_and_pairwise_subjects() {
    let app = TestApp::spawn().await;
    let p = app.partner("A").await;
    let v = created(
        &app,
        &p,
        json!({"providerId": "sandbox-qr", "requestedLoa": 3, "requestedClaims": ["given_name", "birthdate", "email"]}),
    )
    .await;
    let id = text(&v, "verificationId");
    for (path, code) in [
        ("userinfo", "verification_not_completed"),
        ("evidence", "evidence_not_available"),
    ] {
        let (status, body) = app
            .hopae(
                &p,
                Method::GET,
                &format!("/verifications/{id}/{path}"),
                None,
            )
            .await;
        assert_problem(status, &body, 400, code, None);
    }
    let decided = decide(
        &app,
        &p,
        &id,
        json!({"outcome": "approved", "identity": "PNONO-14038512345", "loa": 4}),
    )
    .await;
    assert_eq!(decided["status"], "completed");
    assert!(decided["verifiedAt"].is_string());
    // The verification names the assurance reached, with Hopae's label for it.
    assert_eq!(decided["acr"], "urn:hopae:loa:4");
    assert_eq!(decided["hopae_loa"], 4);
    assert_eq!(decided["hopae_loa_label"], "high");
    let (status, info) = app
        .hopae(
            &p,
            Method::GET,
            &format!("/verifications/{id}/userinfo"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{info}");
    assert_eq!(info["acr"], "urn:hopae:loa:4");
    assert_eq!(info["hopae_loa"], 4);
    assert_eq!(info["hopae_loa_label"], "high");
    assert_eq!(info["amr"], json!(["hwk", "pin"]));
    assert_eq!(info["missing_claims"], json!(["email"]));
    assert_eq!(info["provider_id"], "sandbox-qr");
    assert_eq!(info["verification_model"], "disclosure");
    assert_eq!(info["given_name"], "Kari");
    assert_eq!(info["birthdate"], "1985-03-14");
    assert_eq!(info["user"]["given_name"], "Kari");
    assert!(info.get("family_name").is_none(), "only requested claims");
    assert!(info.get("match").is_none());
    let sub = text(&info, "sub");
    assert!(!sub.is_empty() && !sub.contains("14038512345"), "{sub}");

    let (status, evidence) = app
        .hopae(
            &p,
            Method::GET,
            &format!("/verifications/{id}/evidence"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{evidence}");
    assert_eq!(evidence["verificationId"], json!(id));
    // Hopae's documented form: `token` (the payload) and `names`, its members joined by `;`
    // ("always rely on names").
    let token = evidence["token"].as_object().cloned().unwrap_or_default();
    let names_text = text(&evidence, "names");
    let mut names: Vec<&str> = names_text.split(';').collect();
    names.sort_unstable();
    let mut members: Vec<&str> = token.keys().map(String::as_str).collect();
    members.sort_unstable();
    assert_eq!(names, members, "{evidence}");
    assert_eq!(evidence["token"]["format"], "idgate-sandbox-assertion");
    assert_eq!(evidence["token"]["level_of_assurance"], 4);
    // Minimal by default: the pairwise subject and a digest, never the provider's own subject.
    assert_eq!(evidence["disclosure"], "minimal");
    assert_eq!(evidence["token"]["subject"], json!(sub));
    assert!(
        text(&evidence["token"], "digest").starts_with("hmac-sha256:"),
        "{evidence}"
    );
    // The userinfo's provenance carries the same evidence where Hopae documents it.
    assert_eq!(
        info["provenance"]["presentation"]["credentials"][0]["evidence"]["token"],
        evidence["token"],
        "{info}"
    );
    assert!(
        !evidence.to_string().contains("14038512345"),
        "the raw subject leaks: {evidence}"
    );
    // An operator sets the partner to full disclosure: the proof as presented.
    let change = idgate_hub::service::partners::PartnerChange {
        evidence: Some(idgate_core::EvidenceDisclosure::Full),
        ..Default::default()
    };
    app.hub
        .update_partner(p.id.parse().unwrap_or_else(|e| panic!("{e}")), change)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let (_, full) = app
        .hopae(
            &p,
            Method::GET,
            &format!("/verifications/{id}/evidence"),
            None,
        )
        .await;
    assert_eq!(full["disclosure"], "full");
    assert_eq!(full["token"]["subject"], "PNONO-14038512345", "{full}");
    let change = idgate_hub::service::partners::PartnerChange {
        evidence: Some(idgate_core::EvidenceDisclosure::Minimal),
        ..Default::default()
    };
    app.hub
        .update_partner(p.id.parse().unwrap_or_else(|e| panic!("{e}")), change)
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    // The same person: the same subject for this partner, another for another partner.
    let again = text(
        &created(&app, &p, json!({"providerId": "sandbox-qr"})).await,
        "verificationId",
    );
    decide(
        &app,
        &p,
        &again,
        json!({"outcome": "approved", "identity": "PNONO-14038512345"}),
    )
    .await;
    let (_, info_again) = app
        .hopae(
            &p,
            Method::GET,
            &format!("/verifications/{again}/userinfo"),
            None,
        )
        .await;
    assert_eq!(info_again["sub"], json!(sub));
    let q = app.partner("B").await;
    let theirs = text(
        &created(&app, &q, json!({"providerId": "sandbox-qr"})).await,
        "verificationId",
    );
    decide(
        &app,
        &q,
        &theirs,
        json!({"outcome": "approved", "identity": "PNONO-14038512345"}),
    )
    .await;
    let (_, info_theirs) = app
        .hopae(
            &q,
            Method::GET,
            &format!("/verifications/{theirs}/userinfo"),
            None,
        )
        .await;
    assert!(info_theirs["sub"].is_string());
    assert_ne!(
        info_theirs["sub"],
        json!(sub),
        "pairwise: unlinkable across partners"
    );
    // Without requestedClaims, what the provider delivers.
    assert_eq!(info_theirs["family_name"], "Nordmann");
    assert_eq!(info_theirs["missing_claims"], json!([]));
}

#[tokio::test]
async fn an_assurance_below_the_requested_level_fails_but_stays_readable() {
    let app = TestApp::spawn().await;
    let p = app.partner("A").await;
    let id = text(
        &created(
            &app,
            &p,
            json!({"providerId": "sandbox-qr", "requestedLoa": 3}),
        )
        .await,
        "verificationId",
    );
    let decided = decide(&app, &p, &id, json!({"outcome": "approved", "loa": 2})).await;
    assert_eq!(decided["status"], "failed");
    assert_eq!(decided["error"]["code"], "insufficient_loa");
    assert!(decided.get("verifiedAt").is_none());
    let (status, info) = app
        .hopae(
            &p,
            Method::GET,
            &format!("/verifications/{id}/userinfo"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{info}");
    assert_eq!(info["hopae_loa"], 2);
    assert_eq!(info["acr"], "urn:hopae:loa:2");
    // The EasyFreelance view of the same rule: declined, with the reason.
    let session = app
        .hub
        .session(id.parse().unwrap_or_else(|e| panic!("{e}")))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(session.status, idgate_core::Status::Declined);

    // A decline is a failure with its reason and no userinfo.
    let id = text(
        &created(&app, &p, json!({"providerId": "veriff"})).await,
        "verificationId",
    );
    let decided = decide(
        &app,
        &p,
        &id,
        json!({"outcome": "declined", "reason": "face_mismatch"}),
    )
    .await;
    assert_eq!(decided["status"], "failed");
    assert_eq!(decided["error"]["code"], "face_mismatch");
    let (status, body) = app
        .hopae(
            &p,
            Method::GET,
            &format!("/verifications/{id}/userinfo"),
            None,
        )
        .await;
    assert_problem(status, &body, 400, "verification_not_completed", None);
    // Sandbox choices are checked.
    let id = text(
        &created(&app, &p, json!({"providerId": "veriff"})).await,
        "verificationId",
    );
    for body in [
        json!({"outcome": "maybe"}),
        json!({"outcome": "approved", "loa": 5}),
        json!({"outcome": "declined", "reason": "<script>"}),
        json!({"outcome": "approved", "identity": "PNOEE-00000000000"}),
    ] {
        let (status, answer) = app
            .hopae(
                &p,
                Method::POST,
                &format!("/sandbox/verifications/{id}/decision"),
                Some(body.clone()),
            )
            .await;
        assert_eq!(status, 400, "{body} → {answer}");
    }
}

#[tokio::test]
async fn match_verifications_return_the_match_envelope() {
    let app = TestApp::spawn().await;
    let p = app.partner("A").await;
    let v = created(
        &app,
        &p,
        json!({
            "providerId": "sandbox-match",
            "userData": {"personalCode": "14038512345"},
            "matchData": {"fullName": "Kari Nordman", "dateOfBirth": "1985-03-15"}
        }),
    )
    .await;
    assert_eq!(v["verification_model"], "match");
    assert_eq!(v["flowType"], "redirect");
    let id = text(&v, "verificationId");
    decide(&app, &p, &id, json!({"outcome": "approved"})).await;
    let (status, info) = app
        .hopae(
            &p,
            Method::GET,
            &format!("/verifications/{id}/userinfo"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{info}");
    assert_eq!(info["verification_model"], "match");
    // A match provider releases no identity.
    assert_eq!(info["user"], Value::Null, "{info}");
    let m = &info["match"];
    assert_eq!(m["matched"], false, "the date differs");
    assert_eq!(m["granularity"], "per_field");
    assert_eq!(m["submitted_fields"], json!(["dateOfBirth", "fullName"]));
    assert_eq!(m["details"]["fullName"]["matched"], true);
    assert_eq!(m["details"]["fullName"]["submitted_value"], "Kari Nordman");
    let similarity = m["details"]["fullName"]["similarity"].as_u64().unwrap_or(0);
    assert!((85..100).contains(&similarity), "{similarity}");
    assert_eq!(m["details"]["dateOfBirth"]["matched"], false);
    assert_eq!(m["details"]["dateOfBirth"]["submitted_value"], "1985-03-15");
    assert!(m["details"]["dateOfBirth"].get("similarity").is_none());

    // No registry record: the verification fails with a reason.
    let nobody = text(
        &created(
            &app,
            &p,
            json!({"providerId": "sandbox-match", "userData": {"personalCode": "00000000000"}, "matchData": {"fullName": "X"}}),
        )
        .await,
        "verificationId",
    );
    let decided = decide(&app, &p, &nobody, json!({"outcome": "approved"})).await;
    assert_eq!(decided["status"], "failed");
    assert_eq!(decided["error"]["code"], "record_not_found");
}

#[tokio::test]
async fn a_push_provider_given_the_identifier_sends_the_request_at_creation() {
    let app = TestApp::spawn().await;
    let p = app.partner("A").await;
    let v = created(
        &app,
        &p,
        json!({"providerId": "sandbox-push", "userData": {"registrationId": "PNOEE-39001010000"}}),
    )
    .await;
    assert_eq!(v["status"], "pending", "the push went out");
    assert_eq!(v["flowType"], "push");
    // Another partner's request to the same test identity.
    let q = app.partner("B").await;
    let theirs = created(
        &app,
        &q,
        json!({"providerId": "sandbox-push", "userData": {"registrationId": "PNOEE-39001010000"}}),
    )
    .await;
    let code = code_on_page(&app, &text(&v["flowDetails"], "authorizationUrl")).await;
    let their_code = code_on_page(&app, &text(&theirs["flowDetails"], "authorizationUrl")).await;
    let open_app = |identifier: &'static str, code: String| {
        let client = app.client.clone();
        let url = app.url("/sandbox/sandbox-push/app/requests");
        async move {
            client
                .post(url)
                .form(&[("identifier", identifier), ("code", code.as_str())])
                .send()
                .await
                .unwrap_or_else(|e| panic!("{e}"))
                .text()
                .await
                .unwrap_or_default()
        }
    };
    // The simulated app shows it, under the identifier it was sent to, with the code on the
    // page; only that request, not the other partner's to the same identity.
    let page = open_app("pnoee-39001010000", code.clone()).await;
    assert!(page.contains("asks you to confirm"), "{page}");
    assert!(page.contains(&format!(">{code}<")), "{page}");
    // (Two 4-digit codes match once in 10 000 runs; then both requests are shown, rightly.)
    if their_code != code {
        assert_eq!(page.matches("class=\"request-code\"").count(), 1, "{page}");
        assert!(!page.contains(&format!(">{their_code}<")), "{page}");
    }
    let page = open_app("PNONO-14038512345", code.clone()).await;
    assert!(page.contains("no-requests"), "another person sees nothing");
    let page = open_app("PNOEE-39001010000", String::new()).await;
    assert!(page.contains("Enter the verification code"), "{page}");
    // Without the identifier, the hosted page asks for it.
    let v = created(&app, &p, json!({"providerId": "sandbox-push"})).await;
    assert_eq!(v["status"], "initiated");
}

/// The verification code the hosted page shows for a push request.
async fn code_on_page(app: &TestApp, url: &str) -> String {
    let page = app
        .client
        .get(url)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .text()
        .await
        .unwrap_or_default();
    page.split("id=\"verification-code\"")
        .nth(1)
        .and_then(|rest| rest.split_once('>'))
        .and_then(|(_, rest)| rest.split_once('<'))
        .map(|(code, _)| code.trim().to_owned())
        .unwrap_or_else(|| panic!("no verification code on the page: {page}"))
}

/// QR and push simulators answer through their app (code read, identity checked): a redirect
/// to the callback with an outcome, even one carrying a genuine `state` from this browser,
/// decides nothing.
#[tokio::test]
async fn qr_and_push_simulators_cannot_be_decided_through_the_callback() {
    let app = TestApp::spawn().await;
    let p = app.partner("A").await;
    for (provider, body) in [
        ("sandbox-qr", json!({"providerId": "sandbox-qr"})),
        (
            "sandbox-push",
            json!({"providerId": "sandbox-push", "userData": {"registrationId": "PNOEE-39001010000"}}),
        ),
    ] {
        let created = created(&app, &p, body).await;
        let id = text(&created, "verificationId");
        let session: idgate_core::SessionId = id.parse().unwrap_or_else(|e| panic!("{e}"));
        let browser = "abcdefghijklmnopqrstuvwx";
        let attempt = format!("{}-a1", Utc::now().timestamp());
        let state = app.hub.flow_state(session, &attempt, browser);
        let mut url = url::Url::parse(&app.url(&format!("/callback/{provider}")))
            .unwrap_or_else(|e| panic!("{e}"));
        url.query_pairs_mut()
            .append_pair("state", &state)
            .append_pair("outcome", "approved")
            .append_pair("identity", "PNOEE-39001010000");
        let r = app
            .client
            .get(url.as_str())
            .header("cookie", format!("idgate-flow={browser}"))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.status(), 400, "{provider}");
        assert_ne!(app.hopae_status(&p, &id).await, "completed", "{provider}");
    }
}

/// A client that disconnects while its keyed create runs (the handler is dropped) still gets
/// that create's answer on retry: the work and its record finish on their own, so the retry
/// neither waits out a lease nor creates a second time.
#[tokio::test]
async fn a_request_dropped_mid_create_is_replayed_not_run_again() {
    let app = TestApp::spawn().await;
    let partner = app
        .hub
        .create_partner("A", idgate_core::Tier::Enterprise)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .0;
    let request = serde_json::Map::new();
    let runs = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let first = {
        let runs = runs.clone();
        app.hub.idempotent::<idgate_hub::ServiceError, _>(
            partner.id,
            "dropped-key",
            &request,
            move || async move {
                runs.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                // The work outlives the client.
                tokio::time::sleep(std::time::Duration::from_millis(300)).await;
                Ok((201, json!({"verificationId": "the-first"})))
            },
        )
    };
    // The client gives up after 50 ms: its request future is dropped mid-run.
    assert!(
        tokio::time::timeout(std::time::Duration::from_millis(50), first)
            .await
            .is_err()
    );
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    let runs_again = runs.clone();
    let retry = app
        .hub
        .idempotent::<idgate_hub::ServiceError, _>(
            partner.id,
            "dropped-key",
            &request,
            move || async move {
                runs_again.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                Ok((201, json!({"verificationId": "a-second"})))
            },
        )
        .await
        .unwrap_or_else(|e| panic!("the retry was refused: {e}"));
    assert!(retry.replayed);
    assert_eq!(retry.body["verificationId"], "the-first");
    assert_eq!(runs.load(std::sync::atomic::Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_qr_attempt_belongs_to_the_first_phone_that_scans_it() {
    let app = TestApp::spawn().await;
    let p = app.partner("A").await;
    let qr = created(&app, &p, json!({"providerId": "sandbox-qr"})).await;
    let url = text(&qr["flowDetails"], "authorizationUrl");
    let r = app
        .client
        .post(format!("{url}/start"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), 303);
    let progress = async || -> Value {
        app.client
            .get(format!("{url}/progress"))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .json()
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    };
    let shown = progress().await;
    let code = text(&shown, "qr_code");
    // Two phones: one scans and gets to confirm; the other scans the same code (a photo of
    // the screen) or a newer genuine one, and is refused.
    let first = common::browser();
    let second = common::browser();
    let scan = |phone: &reqwest::Client, code: String| {
        let request = phone
            .post(app.url("/sandbox/sandbox-qr/app/scan"))
            .form(&[("code", code)]);
        async move { request.send().await.unwrap_or_else(|e| panic!("{e}")) }
    };
    let confirm = scan(&first, code.clone()).await;
    assert_eq!(confirm.status(), 200);
    let page = confirm.text().await.unwrap_or_default();
    let ticket = page
        .split("name=\"ticket\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_default()
        .to_owned();
    assert!(!ticket.is_empty(), "{page}");

    let id: idgate_core::SessionId = text(&qr, "verificationId")
        .parse()
        .unwrap_or_else(|e| panic!("{e}"));
    let session = app.hub.session(id).await.unwrap_or_else(|e| panic!("{e}"));
    let secret = session
        .provider_state
        .as_ref()
        .and_then(|s| s.get_str("qr_secret"))
        .and_then(|h| hex::decode(h).ok())
        .unwrap_or_else(|| panic!("the QR session keeps a secret"));
    let newer = QrCode::signed("sandbox-qr", id, Utc::now().timestamp(), &secret).content();
    for later in [code, newer] {
        let refused = scan(&second, later).await;
        assert_eq!(refused.status(), 409);
        let page = refused.text().await.unwrap_or_default();
        assert!(page.contains("already scanned by another phone"), "{page}");
    }
    // The page shows no more codes once a phone has scanned.
    let after = progress().await;
    assert!(
        after["qr_svg"].is_null() && after["qr_code"].is_null(),
        "{after}"
    );
    assert!(text(&after, "message").contains("Code scanned"), "{after}");

    // The first phone confirms: the session is that person's.
    let decided = first
        .post(app.url("/sandbox/sandbox-qr/app/decide"))
        .form(&[
            ("ticket", ticket.as_str()),
            ("outcome", "approved"),
            ("identity", "PNONO-14038512345"),
        ])
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(decided.status(), 200);
    let session = app.hub.session(id).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(session.status, idgate_core::Status::Approved);
}

#[tokio::test]
async fn hopaes_documented_optional_members_are_accepted() {
    let app = TestApp::spawn().await;
    let p = app.partner_with_return_url("A", RETURN).await;
    // Members idgate has no use for are kept; a claim outside the standard list is not an
    // error (it is missing later); a userData key the provider does not take is ignored.
    let body = created(
        &app,
        &p,
        json!({
            "providerId": "sandbox-qr",
            "referenceId": "order-4711",
            "metadata": {"campaign": "spring", "attempt": 2},
            "locale": "nb",
            "purpose": "onboarding",
            "loaStrategy": "minimum",
            "flowType": "qr",
            "requestedClaims": ["given_name", "shoe_size"],
            "userData": {"registrationId": "PNOEE-39001010000"}
        }),
    )
    .await;
    assert_eq!(body["flowType"], "qr", "{body}");
    let id: idgate_core::SessionId = text(&body, "verificationId")
        .parse()
        .unwrap_or_else(|e| panic!("{e}"));
    let session = app.hub.session(id).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(session.dialect_options["referenceId"], "order-4711");
    assert_eq!(session.dialect_options["metadata"]["campaign"], "spring");
    assert!(
        session.applicant.is_none(),
        "the undeclared userData key was dropped"
    );
    assert_eq!(
        session.missing_claims(),
        vec!["given_name".to_owned(), "shoe_size".to_owned()]
    );
}

#[tokio::test]
async fn on_a_phone_the_qr_page_opens_the_app_on_the_same_device_with_the_code() {
    let app = TestApp::spawn().await;
    let p = app.partner("A").await;
    let qr = created(&app, &p, json!({"providerId": "sandbox-qr"})).await;
    let url = text(&qr["flowDetails"], "authorizationUrl");
    let r = app
        .client
        .post(format!("{url}/start"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), 303);
    let page = app
        .client
        .get(&url)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .text()
        .await
        .unwrap_or_default();
    let link = page
        .split("id=\"open-app\"")
        .nth(1)
        .and_then(|rest| rest.split("href=\"").nth(1))
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_default()
        .replace("&#38;", "&")
        .replace("&amp;", "&");
    assert!(link.starts_with("/sandbox/sandbox-qr/app?code="), "{page}");
    // The app opens with the code filled in, and reading it works as a scan does.
    let phone = app
        .client
        .get(app.url(&link))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .text()
        .await
        .unwrap_or_default();
    let code = phone
        .split("id=\"code\" rows=\"3\" required spellcheck=\"false\">")
        .nth(1)
        .and_then(|rest| rest.split("</textarea>").next())
        .unwrap_or_default()
        .replace("&#38;", "&")
        .replace("&amp;", "&");
    assert!(!code.is_empty(), "{phone}");
    let r = app
        .client
        .post(app.url("/sandbox/sandbox-qr/app/scan"))
        .form(&[("code", code.as_str())])
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), 200, "{code}");
}
