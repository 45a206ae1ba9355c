//! The Veriff dialect at `/v1`, driven the way Veriff's documentation says a client calls it:
//! the seed's sample requests, `X-AUTH-CLIENT` and `X-HMAC-SIGNATURE` computed here with the
//! integration's shared secret (not with idgate's code), and every documented error code.

use idgate_testkit as common;

use aws_lc_rs::hmac;
use common::{Partner, TestApp, text};
use idgate_core::{Actor, SessionId};
use idgate_providers::Decision;
use idgate_providers::sandbox::SandboxChoice;
use reqwest::Method;
use serde_json::{Value, json};

const RETURN: &str = "https://partner.example.com/verification/done";

fn sign(secret: &str, bytes: &[u8]) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes());
    hex::encode(hmac::sign(&key, bytes).as_ref())
}

/// One call as a Veriff client makes it: the API key always, the signature of `signed`
/// when given.
async fn call(
    app: &TestApp,
    p: &Partner,
    method: Method,
    path: &str,
    body: Option<&Value>,
    signed: Option<&[u8]>,
) -> reqwest::Response {
    let mut request = app
        .client
        .request(method, app.url(&format!("/v1{path}")))
        .header("X-AUTH-CLIENT", &p.veriff_key);
    if let Some(bytes) = signed {
        request = request.header("X-HMAC-SIGNATURE", sign(&p.veriff_secret, bytes));
    }
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(body.to_string());
    }
    request.send().await.unwrap_or_else(|e| panic!("{e}"))
}

/// `GET /sessions/{id}/decision`, signed, its signed answer checked.
async fn decision(app: &TestApp, p: &Partner, id: &str) -> (u16, Value) {
    let r = call(
        app,
        p,
        Method::GET,
        &format!("/sessions/{id}/decision"),
        None,
        Some(id.as_bytes()),
    )
    .await;
    verified(p, r).await
}

/// The answer, after checking its signature as a Veriff client would.
async fn verified(p: &Partner, r: reqwest::Response) -> (u16, Value) {
    let status = r.status().as_u16();
    let header = |name: &str| {
        r.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let (client, signature) = (header("x-auth-client"), header("x-hmac-signature"));
    let bytes = r.bytes().await.unwrap_or_default();
    assert_eq!(
        client,
        p.veriff_key,
        "the answer names the integration: {status} {}",
        String::from_utf8_lossy(&bytes)
    );
    assert_eq!(
        signature,
        sign(&p.veriff_secret, &bytes),
        "the answer is signed with the shared secret"
    );
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

async fn failure(r: reqwest::Response) -> (u16, String, Value) {
    let status = r.status().as_u16();
    let body: Value = r.json().await.unwrap_or(Value::Null);
    assert_eq!(body["status"], "fail", "{body}");
    (status, text(&body, "code"), body)
}

async fn create(app: &TestApp, p: &Partner, body: Value) -> Value {
    let r = call(app, p, Method::POST, "/sessions", Some(&body), None).await;
    let (status, created) = verified(p, r).await;
    assert_eq!(status, 201, "{created}");
    created
}

fn seed_expanded() -> Value {
    json!({
        "verification": {
            "callback": RETURN,
            "person": {"firstName": "John", "lastName": "Smith", "idNumber": "123456789", "gender": "M"},
            "document": {"number": "B01234567", "type": "PASSPORT", "country": "EE"},
            "address": {"fullAddress": "Lorem Ipsum 30, 13612 Tallinn, Estonia"},
            "vendorData": "11111111",
            "endUserId": "fa820aba-019f-455a-ae81-cfca8075bc3f",
            "consents": [{"type": "ine", "approved": true}],
            "lang": "et"
        }
    })
}

#[tokio::test]
async fn the_documented_samples_create_sessions_in_the_documented_shape() {
    let app = TestApp::spawn().await;
    let p = app.partner_with_return_url("A", RETURN).await;
    // Minimum sample: an empty verification object, the API key only.
    let minimal = create(&app, &p, json!({"verification": {}})).await;
    assert_eq!(minimal["status"], "success");
    let v = &minimal["verification"];
    assert_eq!(v["status"], "created");
    assert!(text(v, "url").starts_with(&app.url("/v/")), "{v}");
    assert_eq!(v["host"], json!(app.base));
    assert!(text(v, "url").ends_with(&text(v, "sessionToken")));
    assert!(text(v, "id").parse::<uuid::Uuid>().is_ok());
    assert!(v["vendorData"].is_null() && v["endUserId"].is_null());

    // Expanded sample, signed (optional on create, checked when sent).
    let body = seed_expanded();
    let bytes = body.to_string();
    let r = call(
        &app,
        &p,
        Method::POST,
        "/sessions",
        Some(&body),
        Some(bytes.as_bytes()),
    )
    .await;
    let (status, expanded) = verified(&p, r).await;
    assert_eq!(status, 201, "{expanded}");
    let v = &expanded["verification"];
    assert_eq!(v["vendorData"], "11111111");
    assert_eq!(v["endUserId"], "fa820aba-019f-455a-ae81-cfca8075bc3f");

    // The person and document sent are kept (sealed) and read back.
    let id = text(v, "id");
    let r = call(
        &app,
        &p,
        Method::GET,
        &format!("/sessions/{id}/person"),
        None,
        Some(id.as_bytes()),
    )
    .await;
    let (status, person) = verified(&p, r).await;
    assert_eq!(status, 200, "{person}");
    assert_eq!(person["person"]["firstName"], "John");
    assert_eq!(person["person"]["idNumber"], "123456789");
    let session: SessionId = id.parse().unwrap_or_else(|e| panic!("{e}"));
    let stored = app
        .hub
        .session(session)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let applicant = stored.applicant.unwrap_or_default();
    assert_eq!(
        applicant.other.get("person.gender").map(String::as_str),
        Some("M")
    );
    assert_eq!(stored.return_url.as_deref(), Some(RETURN));
}

#[tokio::test]
async fn every_documented_authentication_code() {
    let app = TestApp::spawn().await;
    let p = app.partner_with_return_url("A", RETURN).await;
    let id = text(
        &create(&app, &p, json!({"verification": {}})).await["verification"],
        "id",
    );
    let decision = app.url(&format!("/v1/sessions/{id}/decision"));
    let get = |headers: Vec<(&'static str, String)>| {
        let mut r = app.client.get(&decision);
        for (k, v) in headers {
            r = r.header(k, v);
        }
        async move { failure(r.send().await.unwrap_or_else(|e| panic!("{e}"))).await }
    };
    let good_signature = sign(&p.veriff_secret, id.as_bytes());
    for (headers, code) in [
        (vec![("X-HMAC-SIGNATURE", good_signature.clone())], "1801"),
        (vec![("X-AUTH-CLIENT", "not-a-uuid".to_owned())], "1802"),
        (
            vec![(
                "X-AUTH-CLIENT",
                "00000000-0000-4000-8000-000000000000".to_owned(),
            )],
            "1803",
        ),
        (vec![("X-AUTH-CLIENT", p.veriff_key.clone())], "1812"),
        (
            vec![
                ("X-AUTH-CLIENT", p.veriff_key.clone()),
                ("X-HMAC-SIGNATURE", "zz".to_owned()),
            ],
            "1812",
        ),
        (
            vec![
                ("X-AUTH-CLIENT", p.veriff_key.clone()),
                ("X-HMAC-SIGNATURE", sign(&p.veriff_secret, b"another id")),
            ],
            "1818",
        ),
        (
            vec![
                ("X-AUTH-CLIENT", p.veriff_key.clone()),
                ("X-HMAC-SIGNATURE", sign("not the secret", id.as_bytes())),
            ],
            "1818",
        ),
        // Signed right, but naming another integration.
        (
            vec![
                ("X-AUTH-CLIENT", p.veriff_key.clone()),
                ("X-HMAC-SIGNATURE", good_signature.clone()),
                (
                    "vrf-integration-id",
                    "00000000-0000-4000-8000-000000000000".to_owned(),
                ),
            ],
            "1803",
        ),
    ] {
        let (status, got, body) = get(headers).await;
        assert_eq!((status, got.as_str()), (401, code), "{body}");
    }
    // A body signed wrongly: 1819 on POST (when sent) and PATCH.
    let body = json!({"verification": {"status": "submitted"}});
    let r = app
        .client
        .patch(app.url(&format!("/v1/sessions/{id}")))
        .header("X-AUTH-CLIENT", &p.veriff_key)
        .header("X-HMAC-SIGNATURE", sign(&p.veriff_secret, b"{}"))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let (status, code, _) = failure(r).await;
    assert_eq!((status, code.as_str()), (401, "1819"));
    let r = app
        .client
        .post(app.url("/v1/sessions"))
        .header("X-AUTH-CLIENT", &p.veriff_key)
        .header("X-HMAC-SIGNATURE", sign(&p.veriff_secret, b"{}"))
        .header("content-type", "application/json")
        .body(json!({"verification": {}}).to_string())
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let (status, code, _) = failure(r).await;
    assert_eq!((status, code.as_str()), (401, "1819"));
    // Signed right, in upper-case hex too: accepted.
    let r = app
        .client
        .get(&decision)
        .header("X-AUTH-CLIENT", p.veriff_key.to_uppercase())
        .header("X-HMAC-SIGNATURE", good_signature.to_uppercase())
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn documented_request_errors() {
    let app = TestApp::spawn().await;
    let p = app.partner_with_return_url("A", RETURN).await;
    for (body, code) in [
        (json!({}), "1102"),
        (json!({"verification": "x"}), "1102"),
        (
            json!({"verification": {"vendorData": "x".repeat(1001)}}),
            "1500",
        ),
        (json!({"verification": {"vendorData": 42}}), "1501"),
        (json!({"verification": {"person": "John"}}), "1104"),
        (
            json!({"verification": {"callback": "https://elsewhere.example.com/x"}}),
            "1104",
        ),
        (
            json!({"verification": {"callback": "http://partner.example.com/verification/done"}}),
            "1302",
        ),
    ] {
        let r = call(&app, &p, Method::POST, "/sessions", Some(&body), None).await;
        let (status, got, answer) = failure(r).await;
        assert_eq!((status, got.as_str()), (400, code), "{body} → {answer}");
    }
    let r = app
        .client
        .post(app.url("/v1/sessions"))
        .header("X-AUTH-CLIENT", &p.veriff_key)
        .body("{not json")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let (status, code, _) = failure(r).await;
    assert_eq!((status, code.as_str()), (400, "1104"));
}

#[tokio::test]
async fn the_decision_is_null_until_decided_then_veriffs_codes() {
    let app = TestApp::spawn().await;
    let p = app.partner_with_return_url("A", RETURN).await;
    let decide = async |body: Value, choice: SandboxChoice<'_>| {
        let id = text(&create(&app, &p, body).await["verification"], "id");
        let (status, before) = decision(&app, &p, &id).await;
        assert_eq!(status, 200);
        assert_eq!(before, json!({"status": "success", "verification": null}));
        let session = app
            .hub
            .session(id.parse().unwrap_or_else(|e| panic!("{e}")))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        app.hub
            .sandbox_decide(session, choice, Actor::Provider)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let (status, after) = decision(&app, &p, &id).await;
        assert_eq!(status, 200);
        (id, after["verification"].clone())
    };
    let (id, approved) = decide(seed_expanded(), SandboxChoice::new(Decision::Approved)).await;
    assert_eq!(approved["id"], json!(id));
    assert_eq!(approved["status"], "approved");
    assert_eq!(approved["code"], 9001);
    assert!(approved["reason"].is_null() && approved["reasonCode"].is_null());
    assert_eq!(approved["vendorData"], "11111111");
    assert_eq!(
        approved["endUserId"],
        "fa820aba-019f-455a-ae81-cfca8075bc3f"
    );
    assert!(approved["decisionTime"].is_string() && approved["acceptanceTime"].is_string());
    assert!(text(&approved, "attemptId").parse::<uuid::Uuid>().is_ok());
    assert!(approved["person"]["firstName"].is_string(), "{approved}");
    assert_eq!(approved["document"]["number"], "B01234567");

    let mut declined_choice = SandboxChoice::new(Decision::Declined);
    declined_choice.reason = Some("face_mismatch");
    let (_, declined) = decide(json!({"verification": {}}), declined_choice).await;
    assert_eq!(
        (
            declined["status"].clone(),
            declined["code"].clone(),
            declined["reasonCode"].clone()
        ),
        (json!("declined"), json!(9102), json!(103))
    );
    let mut resubmit = SandboxChoice::new(Decision::ResubmissionRequested);
    resubmit.reason = Some("document_expired");
    let (_, again) = decide(json!({"verification": {}}), resubmit).await;
    assert_eq!(
        (
            again["status"].clone(),
            again["code"].clone(),
            again["reasonCode"].clone()
        ),
        (json!("resubmission_requested"), json!(9103), json!(207))
    );
}

#[tokio::test]
async fn submit_delete_attempts_and_scoping() {
    let app = TestApp::spawn().await;
    let p = app.partner_with_return_url("A", RETURN).await;
    let id = text(
        &create(&app, &p, json!({"verification": {}})).await["verification"],
        "id",
    );
    let patch = async |status: &str| {
        let body = json!({"verification": {"status": status}});
        let bytes = body.to_string();
        call(
            &app,
            &p,
            Method::PATCH,
            &format!("/sessions/{id}"),
            Some(&body),
            Some(bytes.as_bytes()),
        )
        .await
    };
    let (status, _, _) = failure(patch("approved").await).await;
    assert_eq!(status, 400);
    let (status, submitted) = verified(&p, patch("submitted").await).await;
    assert_eq!(status, 200, "{submitted}");
    assert_eq!(submitted["verification"]["status"], "submitted");
    let (status, code, _) = failure(patch("submitted").await).await;
    assert_eq!((status, code.as_str()), (400, "1304"));
    let r = call(
        &app,
        &p,
        Method::GET,
        &format!("/sessions/{id}/attempts"),
        None,
        Some(id.as_bytes()),
    )
    .await;
    let (status, attempts) = verified(&p, r).await;
    assert_eq!(status, 200);
    assert_eq!(attempts["verifications"].as_array().map(Vec::len), Some(1));
    // The sandbox decided the submitted session at once (no document number: approved).
    assert_eq!(attempts["verifications"][0]["status"], "approved");

    // Another integration cannot see it.
    let q = app.partner_with_return_url("B", RETURN).await;
    let r = call(
        &app,
        &q,
        Method::GET,
        &format!("/sessions/{id}/decision"),
        None,
        Some(id.as_bytes()),
    )
    .await;
    let (status, code, _) = failure(r).await;
    assert_eq!((status, code.as_str()), (404, "404"));

    // Deleted: gone afterwards.
    let other = text(
        &create(&app, &p, json!({"verification": {}})).await["verification"],
        "id",
    );
    let r = call(
        &app,
        &p,
        Method::DELETE,
        &format!("/sessions/{other}"),
        None,
        Some(other.as_bytes()),
    )
    .await;
    let (status, _) = verified(&p, r).await;
    assert_eq!(status, 200);
    let r = call(
        &app,
        &p,
        Method::GET,
        &format!("/sessions/{other}/decision"),
        None,
        Some(other.as_bytes()),
    )
    .await;
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn the_integrations_creation_cap_answers_429_in_veriffs_shape() {
    let app = TestApp::spawn().await;
    let p = app.partner_with_return_url("A", RETURN).await;
    app.set_session_cap(&p, 1).await;
    common::room_in_this_minute(10).await;
    create(&app, &p, json!({"verification": {}})).await;
    let r = call(
        &app,
        &p,
        Method::POST,
        "/sessions",
        Some(&json!({"verification": {}})),
        None,
    )
    .await;
    assert!(r.headers().contains_key("retry-after"));
    let (status, code, _) = failure(r).await;
    assert_eq!((status, code.as_str()), (429, "429"));
}

/// An API-only integration runs end to end on the sandbox: a session submitted through the API
/// is decided by the documented rules (the document number's last four digits).
#[tokio::test]
async fn a_session_submitted_through_the_api_is_decided_by_the_sandbox_rules() {
    let app = TestApp::spawn().await;
    let p = app.partner_with_return_url("A", RETURN).await;
    for (number, status, code, reason_code) in [
        ("B01234567", "approved", 9001, Value::Null),
        ("B01230001", "declined", 9102, json!(103)),
        ("B01230002", "resubmission_requested", 9103, json!(207)),
        ("B01230003", "review", 9121, Value::Null),
    ] {
        let body = json!({"verification": {"document": {"number": number, "type": "PASSPORT", "country": "EE"}}});
        let id = text(&create(&app, &p, body).await["verification"], "id");
        let patch = json!({"verification": {"status": "submitted"}});
        let bytes = patch.to_string();
        let r = call(
            &app,
            &p,
            Method::PATCH,
            &format!("/sessions/{id}"),
            Some(&patch),
            Some(bytes.as_bytes()),
        )
        .await;
        let (s, answer) = verified(&p, r).await;
        assert_eq!(s, 200, "{answer}");
        assert_eq!(answer["verification"]["status"], "submitted");
        let (_, decision) = decision(&app, &p, &id).await;
        let v = &decision["verification"];
        assert_eq!(
            (
                v["status"].clone(),
                v["code"].clone(),
                v["reasonCode"].clone()
            ),
            (json!(status), json!(code), reason_code),
            "{number}: {decision}"
        );
    }
}

/// Veriff allows nine resubmissions; the tenth request declines the session with code 539.
#[tokio::test]
async fn the_tenth_resubmission_request_is_a_decline_539() {
    let app = TestApp::spawn().await;
    let p = app.partner_with_return_url("A", RETURN).await;
    let id = text(
        &create(&app, &p, json!({"verification": {}})).await["verification"],
        "id",
    );
    let session_id: SessionId = id.parse().unwrap_or_else(|e| panic!("{e}"));
    let mut statuses = Vec::new();
    for _ in 0..10 {
        // The user goes back in (a new attempt), then the provider asks again.
        let session = app
            .hub
            .transition(
                session_id,
                Actor::EndUser,
                |s: &idgate_core::Session| {
                    if s.status == idgate_core::Status::ResubmissionRequested {
                        vec![(
                            idgate_core::LifecycleEvent::Start,
                            idgate_core::TransitionNote::default(),
                        )]
                    } else {
                        Vec::new()
                    }
                },
                |_| {},
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let decided = app
            .hub
            .sandbox_decide(
                session,
                SandboxChoice::new(Decision::ResubmissionRequested),
                Actor::Provider,
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        statuses.push(decided.status);
    }
    assert!(
        statuses[..9]
            .iter()
            .all(|s| *s == idgate_core::Status::ResubmissionRequested),
        "{statuses:?}"
    );
    assert_eq!(statuses[9], idgate_core::Status::Declined);
    let (_, decision) = decision(&app, &p, &id).await;
    assert_eq!(decision["verification"]["code"], 9102);
    assert_eq!(decision["verification"]["reasonCode"], 539);
}

/// An endpoint that signs as the Veriff integration gets Veriff's event webhooks (started,
/// submitted) and decision webhook, each with `X-AUTH-CLIENT` and an `X-HMAC-SIGNATURE` a
/// receiver written for Veriff checks with the integration's shared secret; `created` is
/// never reported, as at Veriff.
#[tokio::test]
async fn webhooks_arrive_in_veriffs_formats_signed_as_the_integration() {
    let app = TestApp::spawn().await;
    let (receiver, url) = common::Receiver::start().await;
    let p = app.partner_with_return_url("A", RETURN).await;
    let partner_id = p.id.parse().unwrap_or_else(|e| panic!("{e}"));
    let integration = app
        .hub
        .partner_credentials(partner_id)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .into_iter()
        .find(|c| c.kind == idgate_core::CredentialKind::Veriff)
        .unwrap_or_else(|| panic!("every partner has a Veriff integration"));
    // Another partner's integration cannot be borrowed.
    let q = app.partner_with_return_url("B", RETURN).await;
    let (status, refused) = app
        .post(
            &q,
            "/api/v1/webhook-endpoints",
            json!({"url": url, "integration_id": integration.id.to_string()}),
        )
        .await;
    assert_eq!(status, 422, "{refused}");
    let (status, refused) = app
        .post(
            &p,
            "/api/v1/webhook-endpoints",
            json!({"url": url, "integration_id": "not-an-id"}),
        )
        .await;
    assert_eq!(status, 422, "{refused}");
    assert!(refused["errors"]["integration_id"].is_array(), "{refused}");
    let (status, endpoint) = app
        .post(
            &p,
            "/api/v1/webhook-endpoints",
            json!({"url": url, "integration_id": integration.id.to_string()}),
        )
        .await;
    assert_eq!(status, 201, "{endpoint}");
    assert_eq!(
        endpoint["integration_id"],
        json!(integration.id.to_string())
    );

    let body =
        json!({"verification": {"vendorData": "order-42", "document": {"number": "X1230001"}}});
    let id = text(&create(&app, &p, body).await["verification"], "id");
    let patch = json!({"verification": {"status": "submitted"}});
    let bytes = patch.to_string();
    let r = call(
        &app,
        &p,
        Method::PATCH,
        &format!("/sessions/{id}"),
        Some(&patch),
        Some(bytes.as_bytes()),
    )
    .await;
    assert_eq!(r.status(), 200);
    for _ in 0..200 {
        if receiver.raw().len() >= 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let raw = receiver.raw();
    assert_eq!(raw.len(), 3, "started, submitted, declined; never created");
    let mut bodies = Vec::new();
    for (headers, body) in &raw {
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        assert_eq!(header("x-auth-client"), p.veriff_key);
        assert_eq!(header("x-hmac-signature"), sign(&p.veriff_secret, body));
        bodies.push(serde_json::from_slice::<Value>(body).unwrap_or(Value::Null));
    }
    assert_eq!(
        (
            bodies[0]["id"].clone(),
            bodies[0]["code"].clone(),
            bodies[0]["action"].clone()
        ),
        (json!(id), json!(7001), json!("started"))
    );
    assert_eq!(bodies[0]["vendorData"], "order-42");
    assert_eq!(
        (bodies[1]["code"].clone(), bodies[1]["action"].clone()),
        (json!(7002), json!("submitted"))
    );
    let decision = &bodies[2];
    assert_eq!(decision["status"], "success");
    let v = &decision["verification"];
    assert_eq!(
        (
            v["id"].clone(),
            v["status"].clone(),
            v["code"].clone(),
            v["reasonCode"].clone()
        ),
        (json!(id), json!("declined"), json!(9102), json!(103))
    );
    assert_eq!(v["vendorData"], "order-42");
    // The attempt named in the webhooks is the one the API lists.
    let r = call(
        &app,
        &p,
        Method::GET,
        &format!("/sessions/{id}/attempts"),
        None,
        Some(id.as_bytes()),
    )
    .await;
    let (_, attempts) = verified(&p, r).await;
    assert_eq!(attempts["verifications"][0]["id"], v["attemptId"]);
    assert_eq!(bodies[0]["attemptId"], v["attemptId"]);
    // No personal data for an endpoint that did not opt in.
    assert_eq!(
        (v["person"].clone(), v["document"].clone()),
        (Value::Null, Value::Null)
    );

    // An endpoint that opted in gets the person and the document, as the decision endpoint
    // has them, in the decision webhook.
    let (claims_receiver, claims_url) = common::Receiver::start().await;
    let (status, endpoint) = app
        .post(
            &p,
            "/api/v1/webhook-endpoints",
            json!({"url": claims_url, "integration_id": integration.id.to_string(), "include_claims": true}),
        )
        .await;
    assert_eq!(status, 201, "{endpoint}");
    let body = json!({"verification": {
        "person": {"firstName": "Kari", "lastName": "Nordmann", "idNumber": "12345678901"},
        "document": {"number": "PA1234567", "type": "PASSPORT", "country": "NO"}
    }});
    let id = text(&create(&app, &p, body).await["verification"], "id");
    let r = call(
        &app,
        &p,
        Method::PATCH,
        &format!("/sessions/{id}"),
        Some(&patch),
        Some(bytes.as_bytes()),
    )
    .await;
    assert_eq!(r.status(), 200);
    let mut delivered = Value::Null;
    for _ in 0..200 {
        if let Some((_, body)) = claims_receiver.raw().into_iter().find(|(_, body)| {
            serde_json::from_slice::<Value>(body)
                .is_ok_and(|v| v["verification"]["id"] == json!(id))
        }) {
            delivered = serde_json::from_slice(&body).unwrap_or(Value::Null);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let v = &delivered["verification"];
    assert_eq!(v["status"], "approved", "{delivered}");
    assert_eq!(v["person"]["idNumber"], "12345678901", "{delivered}");
    assert!(v["person"]["lastName"].is_string(), "{delivered}");
    assert_eq!(v["document"]["number"], "PA1234567", "{delivered}");
    assert_eq!(v["document"]["country"], "NO", "{delivered}");
    let (_, polled) = self::decision(&app, &p, &id).await;
    assert_eq!(v["person"], polled["verification"]["person"]);
    assert_eq!(v["document"], polled["verification"]["document"]);
}

/// A 1×1 PNG, with a marker after its end that must never reach the disk in the clear.
fn png() -> Vec<u8> {
    use base64::Engine;
    let mut bytes = base64::engine::general_purpose::STANDARD
        .decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")
        .unwrap_or_else(|e| panic!("{e}"));
    bytes.extend_from_slice(b"MEDIA-MARKER-4711");
    bytes
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// `POST /sessions/{id}/media`, signed over the body as Veriff documents.
async fn upload(app: &TestApp, p: &Partner, id: &str, body: &Value) -> reqwest::Response {
    let bytes = body.to_string();
    call(
        app,
        p,
        Method::POST,
        &format!("/sessions/{id}/media"),
        Some(body),
        Some(bytes.as_bytes()),
    )
    .await
}

/// A GET signed over `signed_id`, its signed answer checked.
async fn signed_get(app: &TestApp, p: &Partner, path: &str, signed_id: &str) -> (u16, Value) {
    let r = call(app, p, Method::GET, path, None, Some(signed_id.as_bytes())).await;
    verified(p, r).await
}

#[tokio::test]
async fn media_is_uploaded_listed_downloaded_sealed_and_closed_after_submit() {
    let app = TestApp::spawn().await;
    let p = app.partner_with_return_url("A", RETURN).await;
    let id = text(
        &create(&app, &p, json!({"verification": {"callback": RETURN}})).await["verification"],
        "id",
    );
    let png = png();
    let jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F'];

    // A data URL and bare base64 are both taken; the type comes from the bytes.
    let front = json!({"image": {"context": "document-front", "content": format!("data:image/png;base64,{}", b64(&png)), "timestamp": "2026-12-07T10:00:00.000Z"}});
    let (status, uploaded) = verified(&p, upload(&app, &p, &id, &front).await).await;
    assert_eq!(status, 200, "{uploaded}");
    assert_eq!(uploaded["status"], "success");
    let image = &uploaded["image"];
    assert_eq!(image["context"], "document-front");
    assert_eq!(image["name"], "document-front");
    assert_eq!(image["mimetype"], "image/png");
    assert_eq!(image["size"], png.len());
    assert_eq!(image["sessionId"], id.as_str());
    let media_id = text(image, "id");
    assert_eq!(
        text(image, "url"),
        format!("{}/v1/media/{media_id}", app.base)
    );
    let face = json!({"image": {"context": "face", "content": b64(&jpeg)}});
    let (status, uploaded) = verified(&p, upload(&app, &p, &id, &face).await).await;
    assert_eq!(status, 200, "{uploaded}");
    assert_eq!(uploaded["image"]["mimetype"], "image/jpeg");

    // The first upload started the session: one attempt, which holds both files.
    let (_, attempts) = signed_get(&app, &p, &format!("/sessions/{id}/attempts"), &id).await;
    assert_eq!(
        attempts["verifications"][0]["status"], "started",
        "{attempts}"
    );
    let attempt = text(&attempts["verifications"][0], "id");
    let (status, listed) = signed_get(&app, &p, &format!("/sessions/{id}/media"), &id).await;
    assert_eq!(status, 200, "{listed}");
    let contexts: Vec<&str> = listed["images"]
        .as_array()
        .map(|a| a.iter().filter_map(|i| i["context"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(contexts, ["document-front", "face"]);
    assert_eq!(listed["videos"], json!([]));
    assert_eq!(listed["images"][0]["attemptId"], attempt.as_str());
    let (status, by_attempt) =
        signed_get(&app, &p, &format!("/attempts/{attempt}/media"), &attempt).await;
    assert_eq!(status, 200, "{by_attempt}");
    assert_eq!(by_attempt["images"], listed["images"]);

    // Download: the bytes as uploaded, their type, the answer signed over them.
    let r = call(
        &app,
        &p,
        Method::GET,
        &format!("/media/{media_id}"),
        None,
        Some(media_id.as_bytes()),
    )
    .await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("image/png")
    );
    let signature = r
        .headers()
        .get("x-hmac-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let bytes = r.bytes().await.unwrap_or_default();
    assert_eq!(bytes.as_ref(), png.as_slice());
    assert_eq!(signature, sign(&p.veriff_secret, &bytes));

    // Another integration sees neither the file, the list nor the attempt's files.
    let q = app.partner_with_return_url("B", RETURN).await;
    let r = call(
        &app,
        &q,
        Method::GET,
        &format!("/media/{media_id}"),
        None,
        Some(media_id.as_bytes()),
    )
    .await;
    assert_eq!(failure(r).await.0, 404);
    let (_, theirs) = signed_get(&app, &q, &format!("/attempts/{attempt}/media"), &attempt).await;
    assert_eq!(theirs["images"], json!([]));

    // Sealed at rest: the marker inside the file is nowhere in the database.
    if !common::on_postgres() {
        let db = rusqlite::Connection::open(app.dir.path().join("idgate.db"))
            .unwrap_or_else(|e| panic!("{e}"));
        let stored: Vec<u8> = db
            .query_row(
                "SELECT content FROM session_media WHERE id = ?1",
                [&media_id],
                |row| row.get(0),
            )
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(!stored.is_empty());
        assert!(
            !stored.windows(17).any(|w| w == b"MEDIA-MARKER-4711"),
            "the file is stored in the clear"
        );
    }

    // Submitted: no more media (409), the files stay listed.
    let body = json!({"verification": {"status": "submitted"}});
    let bytes = body.to_string();
    let r = call(
        &app,
        &p,
        Method::PATCH,
        &format!("/sessions/{id}"),
        Some(&body),
        Some(bytes.as_bytes()),
    )
    .await;
    assert_eq!(r.status(), 200);
    let (status, code, _) = failure(upload(&app, &p, &id, &face).await).await;
    assert_eq!((status, code.as_str()), (409, "409"));
    let (_, listed) = signed_get(&app, &p, &format!("/sessions/{id}/media"), &id).await;
    assert_eq!(listed["images"].as_array().map(Vec::len), Some(2));

    // A deleted session's files are gone.
    let other = text(
        &create(&app, &p, json!({"verification": {}})).await["verification"],
        "id",
    );
    let (_, uploaded) = verified(&p, upload(&app, &p, &other, &face).await).await;
    let gone = text(&uploaded["image"], "id");
    let r = call(
        &app,
        &p,
        Method::DELETE,
        &format!("/sessions/{other}"),
        None,
        Some(other.as_bytes()),
    )
    .await;
    assert_eq!(r.status(), 200);
    let r = call(
        &app,
        &p,
        Method::GET,
        &format!("/media/{gone}"),
        None,
        Some(gone.as_bytes()),
    )
    .await;
    assert_eq!(failure(r).await.0, 404);
}

#[tokio::test]
async fn bad_media_is_refused_with_veriffs_codes_and_nothing_is_stored() {
    let app = TestApp::spawn_with(|s| {
        s.limits.media_max_bytes = 1024;
        s.limits.media_per_session = 2;
    })
    .await;
    let p = app.partner_with_return_url("A", RETURN).await;
    let id = text(
        &create(&app, &p, json!({"verification": {}})).await["verification"],
        "id",
    );
    let jpeg = |len: usize| {
        let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xE0];
        bytes.resize(len, 0);
        bytes
    };
    let cases = [
        (json!({}), 400, "1102"),
        (json!({"image": "face"}), 400, "1102"),
        (json!({"image": {"context": "face"}}), 400, "1104"),
        (
            json!({"image": {"context": "face", "content": "not base64!"}}),
            400,
            "1104",
        ),
        (
            json!({"image": {"context": "face", "content": "data:image/png,AAAA"}}),
            400,
            "1104",
        ),
        (
            json!({"image": {"context": "Face Photo", "content": b64(&jpeg(10))}}),
            400,
            "1104",
        ),
        (
            json!({"image": {"context": "face", "content": b64(b"GIF89a....")}}),
            400,
            "1104",
        ),
        (
            json!({"image": {"context": "face", "content": ""}}),
            400,
            "1104",
        ),
        (
            json!({"image": {"context": "face", "content": b64(&jpeg(1025))}}),
            413,
            "1104",
        ),
    ];
    for (body, status, code) in cases {
        let (got, got_code, answer) = failure(upload(&app, &p, &id, &body).await).await;
        assert_eq!((got, got_code.as_str()), (status, code), "{body}: {answer}");
    }
    // A body far past the limit is cut off before it is read whole.
    let huge = json!({"image": {"context": "face", "content": b64(&jpeg(64 * 1024))}});
    let (status, _, _) = failure(upload(&app, &p, &id, &huge).await).await;
    assert_eq!(status, 413);
    // Unsigned or signed wrongly: Veriff's authentication codes.
    let body = json!({"image": {"context": "face", "content": b64(&jpeg(10))}});
    let r = call(
        &app,
        &p,
        Method::POST,
        &format!("/sessions/{id}/media"),
        Some(&body),
        None,
    )
    .await;
    assert_eq!(failure(r).await.1, "1812");
    let r = call(
        &app,
        &p,
        Method::POST,
        &format!("/sessions/{id}/media"),
        Some(&body),
        Some(b"another body"),
    )
    .await;
    assert_eq!(failure(r).await.1, "1819");
    // Nothing refused was stored, and the session was not started by a refused upload.
    let (_, listed) = signed_get(&app, &p, &format!("/sessions/{id}/media"), &id).await;
    assert_eq!(listed["images"], json!([]));
    let (_, attempts) = signed_get(&app, &p, &format!("/sessions/{id}/attempts"), &id).await;
    assert_eq!(attempts["verifications"], json!([]));

    // Two files per session here; the third is refused.
    for _ in 0..2 {
        let (status, _) = verified(&p, upload(&app, &p, &id, &body).await).await;
        assert_eq!(status, 200);
    }
    let (status, code, answer) = failure(upload(&app, &p, &id, &body).await).await;
    assert_eq!((status, code.as_str()), (400, "1104"), "{answer}");
    assert!(
        text(&answer, "message").contains("at most 2 files"),
        "{answer}"
    );
    // Unknown session, media id or attempt id.
    let unknown = SessionId::new().to_string();
    let (status, _, _) = failure(upload(&app, &p, &unknown, &body).await).await;
    assert_eq!(status, 404);
    let r = call(&app, &p, Method::GET, "/media/nope", None, Some(b"nope")).await;
    assert_eq!(failure(r).await.0, 404);
    let r = call(
        &app,
        &p,
        Method::GET,
        "/attempts/nope/media",
        None,
        Some(b"nope"),
    )
    .await;
    assert_eq!(failure(r).await.0, 404);
}
