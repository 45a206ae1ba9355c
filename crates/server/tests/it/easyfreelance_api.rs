//! The EasyFreelance dialect over real HTTP: every endpoint and every documented error.

use idgate_testkit as common;

use common::{Partner, TestApp, read};
use serde_json::{Value, json};

const RETURN: &str = "https://partner.example.com/verification/return";

fn assert_problem(status: u16, body: &Value, expected_status: u16, code: &str) {
    assert_eq!(status, expected_status, "{body}");
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["status"], expected_status, "{body}");
    assert!(
        body["error"].as_str().is_some_and(|e| !e.is_empty()),
        "{body}"
    );
    assert_eq!(body["type"], format!("urn:idgate:problem:{code}"), "{body}");
}

#[tokio::test]
async fn authentication_needs_both_headers_and_they_must_belong_together() {
    let app = TestApp::spawn().await;
    let a = app.partner("A").await;
    let b = app.partner("B").await;
    let path = app.url("/api/v1/verification-return-urls");
    let cases: Vec<(Option<String>, Option<String>)> = vec![
        (None, None),
        (Some(format!("Bearer {}", a.token)), None),
        (None, Some(a.api_key.clone())),
        (Some(format!("Bearer {}", a.token)), Some(b.api_key.clone())),
        (
            Some(format!("Bearer {}", a.token)),
            Some("not-a-uuid".into()),
        ),
        (Some(format!("Basic {}", a.token)), Some(a.api_key.clone())),
        (
            Some("Bearer idg_pat_unknown".into()),
            Some(a.api_key.clone()),
        ),
    ];
    for (auth, key) in cases {
        let mut req = app.client.get(&path);
        if let Some(auth) = &auth {
            req = req.header("authorization", auth);
        }
        if let Some(key) = &key {
            req = req.header("api-key", key);
        }
        let r = req.send().await.unwrap_or_else(|e| panic!("{e}"));
        let content_type = r.headers().get("content-type").cloned();
        let (status, body) = read(r).await;
        assert_problem(status, &body, 401, "unauthenticated");
        assert_eq!(
            content_type.as_ref().and_then(|v| v.to_str().ok()),
            Some("application/problem+json")
        );
    }
    // Case-insensitive scheme and API-key case do not matter.
    let r = app
        .client
        .get(&path)
        .header("authorization", format!("bearer {}", a.token))
        .header("api-key", a.api_key.to_uppercase())
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn return_url_registration_records_and_lists_per_partner() {
    let app = TestApp::spawn().await;
    let a = app.partner("A").await;
    let b = app.partner("B").await;
    let (status, record) = app
        .post(
            &a,
            "/api/v1/verification-return-urls",
            json!({ "partner_return_url": "HTTPS://Partner.Example.com:443/verification/return" }),
        )
        .await;
    assert_eq!(status, 201, "{record}");
    assert_eq!(record["status"], "pending");
    // An integer, as documented: the partner's stable number.
    let number = app
        .hub
        .operator()
        .store()
        .get_partner(a.id.parse().unwrap_or_else(|e| panic!("{e}")))
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .map(|p| p.number)
        .unwrap_or_default();
    assert!(number >= 1);
    assert_eq!(record["partner_id"], json!(number));
    assert_eq!(
        record["requested_url"],
        "HTTPS://Partner.Example.com:443/verification/return"
    );
    assert_eq!(record["normalized_scheme"], "https");
    assert_eq!(record["normalized_host"], "partner.example.com");
    assert_eq!(record["normalized_path_prefix"], "/verification/return");
    assert!(
        record["requested_at"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z'))
    );

    // The same URL again returns the existing record, with 201 as documented.
    let (status, again) = app
        .post(
            &a,
            "/api/v1/verification-return-urls",
            json!({ "partner_return_url": RETURN }),
        )
        .await;
    assert_eq!(status, 201);
    assert_eq!(again["id"], record["id"]);

    let (status, list) = app.get(&a, "/api/v1/verification-return-urls").await;
    assert_eq!(status, 200);
    assert_eq!(list["data"].as_array().map(Vec::len), Some(1));
    let (_, other) = app.get(&b, "/api/v1/verification-return-urls").await;
    assert_eq!(other["data"], json!([]));
}

#[tokio::test]
async fn return_url_registration_errors() {
    let app = TestApp::spawn().await;
    let a = app.partner("A").await;
    let path = "/api/v1/verification-return-urls";
    let (s, b) = app.post(&a, path, json!({})).await;
    assert_problem(s, &b, 422, "validation_failed");
    assert!(
        b["errors"]["partner_return_url"][0]
            .as_str()
            .is_some_and(|m| m.contains("required"))
    );
    let (s, b) = app.post(&a, path, json!({ "partner_return_url": 5 })).await;
    assert_problem(s, &b, 422, "validation_failed");
    let long = format!("https://partner.example.com/{}", "a".repeat(2049));
    let (s, b) = app
        .post(&a, path, json!({ "partner_return_url": long }))
        .await;
    assert_problem(s, &b, 422, "validation_failed");
    for bad in [
        "http://partner.example.com/r",
        "https://user@partner.example.com/r",
        "https://partner.example.com/a/../r",
        "https://partner.example.com/r#x",
        "javascript:alert(1)",
        "https://partner.example.com/r?x=1",
    ] {
        let (s, b) = app
            .post(&a, path, json!({ "partner_return_url": bad }))
            .await;
        assert_problem(s, &b, 422, "return_url_invalid");
    }
    let (s, b) = app.post(&a, path, json!(["not", "an", "object"])).await;
    assert_problem(s, &b, 400, "invalid_json");
    let r = app
        .client
        .post(app.url(path))
        .headers(a.headers())
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let (s, b) = read(r).await;
    assert_problem(s, &b, 400, "invalid_json");
    let r = app
        .client
        .post(app.url(path))
        .headers(a.headers())
        .body("partner_return_url=x")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let (s, b) = read(r).await;
    assert_problem(s, &b, 415, "unsupported_media_type");
    let r = app
        .client
        .post(app.url(path))
        .headers(a.headers())
        .header("content-type", "application/json")
        .body(format!(
            "{{\"partner_return_url\":\"{}\"}}",
            "a".repeat(100_000)
        ))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let (s, b) = read(r).await;
    assert_problem(s, &b, 413, "payload_too_large");
}

#[tokio::test]
async fn flows_need_an_approved_matching_return_url() {
    let app = TestApp::spawn().await;
    let a = app.partner("A").await;
    let path = "/api/v1/users/42/verification/flows";
    let body =
        |url: &str| json!({ "provider": "veriff", "id_type": "local", "partner_return_url": url });

    // Registered but still pending: not allowed.
    let (s, _) = app
        .post(
            &a,
            "/api/v1/verification-return-urls",
            json!({ "partner_return_url": RETURN }),
        )
        .await;
    assert_eq!(s, 201);
    let (s, b) = app.post(&a, path, body(RETURN)).await;
    assert_problem(s, &b, 422, "return_url_not_allowed");

    // Rejected: still not allowed.
    let rules = app.hub.list_return_urls(None).await.unwrap_or_default();
    let Some(rule_id) = rules
        .iter()
        .find(|r| r.partner_id.to_string() == a.id)
        .map(|r| r.id)
    else {
        panic!("the partner's rule is listed: {rules:?}")
    };
    app.hub
        .decide_return_url(rule_id, idgate_core::ReturnUrlStatus::Rejected)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let (s, b) = app.post(&a, path, body(RETURN)).await;
    assert_problem(s, &b, 422, "return_url_not_allowed");

    app.hub
        .decide_return_url(rule_id, idgate_core::ReturnUrlStatus::Approved)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    for ok in [
        RETURN,
        "https://partner.example.com/verification/return/step-2?lang=nb&x=1",
    ] {
        let (s, b) = app.post(&a, path, body(ok)).await;
        assert_eq!(s, 201, "{ok}: {b}");
    }
    for bad in [
        "https://partner.example.com/verification/returnx",
        "https://partner.example.com/verification",
        "https://evil.example.com/verification/return",
        "https://partner.example.com.evil.com/verification/return",
        "https://partner.example.com:8443/verification/return",
    ] {
        let (s, b) = app.post(&a, path, body(bad)).await;
        assert_problem(s, &b, 422, "return_url_not_allowed");
    }
    for bad in [
        "https://partner.example.com/verification/return/../../admin",
        "https://x@partner.example.com/verification/return",
    ] {
        let (s, b) = app.post(&a, path, body(bad)).await;
        assert_problem(s, &b, 422, "return_url_invalid");
    }

    // Another partner cannot use A's approval.
    let b_partner = app.partner("B").await;
    let (s, b) = app.post(&b_partner, path, body(RETURN)).await;
    assert_problem(s, &b, 422, "return_url_not_allowed");
}

#[tokio::test]
async fn create_flow_answers_as_documented() {
    let app = TestApp::spawn().await;
    let a = app.partner_with_return_url("A", RETURN).await;
    let created = app.create_flow(&a, "veriff", RETURN).await;
    let id = common::text(&created, "verification_id");
    assert!(uuid::Uuid::parse_str(&id).is_ok(), "{created}");
    assert_eq!(created["provider"], "veriff");
    assert_eq!(created["status"], "pending");
    let vurl = created["verification_url"].as_str().unwrap_or_default();
    assert!(vurl.starts_with(&format!("{}/v/", app.base)), "{vurl}");
    assert!(
        !vurl.contains(&id),
        "the session id alone must not open the flow"
    );
    assert_eq!(
        created["status_check_url"],
        app.url(&format!("/api/v1/verification/status/{id}"))
    );
    let expires =
        chrono::DateTime::parse_from_rfc3339(created["expires_at"].as_str().unwrap_or_default())
            .unwrap_or_else(|e| panic!("{e}"));
    let days = (expires.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_hours();
    assert!(
        (167..=168).contains(&days),
        "default lifetime is 7 days, got {days}h"
    );

    // BankID needs no id_type and reports none.
    let (s, b) = app
        .post(
            &a,
            "/api/v1/users/7/verification/flows",
            json!({ "provider": "bankid", "partner_return_url": RETURN }),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let (_, status) = app
        .get(
            &a,
            &format!(
                "/api/v1/verification/status/{}",
                b["verification_id"].as_str().unwrap_or_default()
            ),
        )
        .await;
    assert_eq!(status["id_type"], Value::Null);
    assert_eq!(status["user_id"], 7);
    assert_eq!(status["provider"], "bankid");
}

#[tokio::test]
async fn create_flow_validation_errors() {
    let app = TestApp::spawn().await;
    let a = app.partner_with_return_url("A", RETURN).await;
    let path = "/api/v1/users/42/verification/flows";
    let cases = [
        (json!({ "partner_return_url": RETURN }), "provider"),
        (
            json!({ "provider": "onfido", "partner_return_url": RETURN }),
            "provider",
        ),
        (
            json!({ "provider": "veriff", "partner_return_url": RETURN }),
            "id_type",
        ),
        (
            json!({ "provider": "veriff", "id_type": "galactic", "partner_return_url": RETURN }),
            "id_type",
        ),
        (
            json!({ "provider": "veriff", "id_type": "local" }),
            "partner_return_url",
        ),
        (
            json!({ "provider": "veriff", "id_type": "local", "partner_return_url": "" }),
            "partner_return_url",
        ),
        (
            json!({ "provider": "veriff", "id_type": "local", "partner_return_url": ["x"] }),
            "partner_return_url",
        ),
        // idgate's sign_text: BankID's, text, and only where the configured BankID takes it
        // (here `bankid` is a redirect sandbox).
        (
            json!({ "provider": "veriff", "id_type": "local", "partner_return_url": RETURN, "sign_text": "x" }),
            "sign_text",
        ),
        (
            json!({ "provider": "bankid", "partner_return_url": RETURN, "sign_text": {"a": 1} }),
            "sign_text",
        ),
        (
            json!({ "provider": "bankid", "partner_return_url": RETURN, "sign_text": "x".repeat(30_001) }),
            "sign_text",
        ),
        (
            json!({ "provider": "bankid", "partner_return_url": RETURN, "sign_text": "Sign this" }),
            "sign_text",
        ),
    ];
    for (body, field) in cases {
        let (s, b) = app.post(&a, path, body.clone()).await;
        assert_problem(s, &b, 422, "validation_failed");
        assert!(b["errors"][field].is_array(), "{body} → {b}");
    }
    for bad_user in ["abc", "0", "-3", "1.5"] {
        let (s, b) = app
            .post(
                &a,
                &format!("/api/v1/users/{bad_user}/verification/flows"),
                json!({ "provider": "bankid", "partner_return_url": RETURN }),
            )
            .await;
        assert_problem(s, &b, 404, "not_found");
    }
    let (s, b) = app.post(&a, "/api/v1/no/such/endpoint", json!({})).await;
    assert_problem(s, &b, 404, "not_found");
}

#[tokio::test]
async fn status_is_scoped_to_the_partner() {
    let app = TestApp::spawn().await;
    let a = app.partner_with_return_url("A", RETURN).await;
    let b = app.partner("B").await;
    let created = app.create_flow(&a, "veriff", RETURN).await;
    let path = format!(
        "/api/v1/verification/status/{}",
        created["verification_id"].as_str().unwrap_or_default()
    );
    let (s, status) = app.get(&a, &path).await;
    assert_eq!(s, 200);
    assert_eq!(status["status"], "pending");
    assert_eq!(status["next_action"], "continue_verification");
    assert_eq!(status["completed_at"], Value::Null);
    assert_eq!(status["id_type"], "local");
    assert_eq!(status["user_id"], 42);
    let (s, body) = app.get(&b, &path).await;
    assert_problem(s, &body, 403, "forbidden");
    let (s, body) = app
        .get(
            &a,
            &format!("/api/v1/verification/status/{}", uuid::Uuid::new_v4()),
        )
        .await;
    assert_problem(s, &body, 404, "not_found");
    let (s, body) = app.get(&a, "/api/v1/verification/status/not-a-uuid").await;
    assert_problem(s, &body, 404, "not_found");
}

async fn decide(app: &TestApp, p: &Partner, id: &str, body: Value) -> (u16, Value) {
    app.post(
        p,
        &format!("/api/v1/sandbox/verification/{id}/decision"),
        body,
    )
    .await
}

#[tokio::test]
async fn sandbox_helper_forces_each_outcome() {
    let app = TestApp::spawn().await;
    let a = app.partner_with_return_url("A", RETURN).await;
    let expectations = [
        (
            json!({ "outcome": "approved" }),
            "approved",
            Value::Null,
            "redirect_to_partner",
        ),
        (
            json!({ "outcome": "declined", "reason": "document_expired" }),
            "declined",
            json!("document_expired"),
            "redirect_to_partner",
        ),
        (
            json!({ "outcome": "resubmission_requested" }),
            "pending",
            json!("resubmission_requested"),
            // Pending, so (as documented) continue: the link asks the person to redo it.
            "continue_verification",
        ),
        (
            json!({ "outcome": "review" }),
            "pending",
            Value::Null,
            "continue_verification",
        ),
        (
            json!({ "outcome": "cancelled" }),
            "cancelled",
            json!("user_cancelled"),
            "retry",
        ),
    ];
    for (body, status, reason, next) in expectations {
        let created = app.create_flow(&a, "veriff", RETURN).await;
        let id = created["verification_id"].as_str().unwrap_or_default();
        let (s, b) = decide(&app, &a, id, body.clone()).await;
        assert_eq!(s, 200, "{body}: {b}");
        assert_eq!(b["status"], status, "{body}: {b}");
        assert_eq!(b["reason"], reason, "{body}: {b}");
        assert_eq!(b["next_action"], next, "{body}: {b}");
        assert_eq!(b["completed_at"].is_string(), status != "pending", "{b}");
        let (_, mut polled) = app
            .get(&a, &format!("/api/v1/verification/status/{id}"))
            .await;
        // The same answer, but for when the onboarding was evaluated (the clock moves on).
        let mut b = b;
        for answer in [&mut polled, &mut b] {
            if let Some(onboarding) = answer["onboarding"].as_object_mut() {
                onboarding.remove("evaluated_at");
            }
        }
        assert_eq!(polled, b);
    }

    // A final session does not move, a repeat is harmless, and bad input is refused.
    let created = app.create_flow(&a, "veriff", RETURN).await;
    let id = created["verification_id"].as_str().unwrap_or_default();
    let (s, _) = decide(&app, &a, id, json!({ "outcome": "approved" })).await;
    assert_eq!(s, 200);
    let (s, b) = decide(&app, &a, id, json!({ "outcome": "approved" })).await;
    assert_eq!((s, &b["status"]), (200, &json!("approved")));
    let (s, b) = decide(&app, &a, id, json!({ "outcome": "declined" })).await;
    assert_problem(s, &b, 409, "invalid_status_transition");
    let created = app.create_flow(&a, "veriff", RETURN).await;
    let fresh = created["verification_id"].as_str().unwrap_or_default();
    let (s, b) = decide(
        &app,
        &a,
        fresh,
        json!({ "outcome": "declined", "reason": "bad<script>" }),
    )
    .await;
    assert_problem(s, &b, 422, "validation_failed");
    let (s, b) = decide(&app, &a, fresh, json!({ "outcome": "exploded" })).await;
    assert_problem(s, &b, 422, "validation_failed");
    let (s, b) = decide(&app, &a, fresh, json!({ "reason": "x" })).await;
    assert_problem(s, &b, 422, "validation_failed");
    let other = app.partner("B").await;
    let (s, b) = decide(&app, &other, fresh, json!({ "outcome": "approved" })).await;
    assert_problem(s, &b, 403, "forbidden");

    // The timeline shows each step once, with actors.
    let events = app
        .hub
        .timeline(fresh.parse().unwrap_or_else(|e| panic!("{e}")))
        .await
        .unwrap_or_default();
    assert_eq!(events.len(), 1, "refused decisions record nothing");
    let done = app
        .hub
        .timeline(id.parse().unwrap_or_else(|e| panic!("{e}")))
        .await
        .unwrap_or_default();
    let path: Vec<_> = done.iter().map(|e| (e.seq, e.to_status.as_str())).collect();
    assert_eq!(
        path,
        vec![
            (1, "created"),
            (2, "started"),
            (3, "submitted"),
            (4, "approved")
        ]
    );
}

#[tokio::test]
async fn expiry_moves_due_sessions_once() {
    let app = TestApp::spawn().await;
    let a = app.partner_with_return_url("A", RETURN).await;
    let untouched = app.create_flow(&a, "veriff", RETURN).await;
    let started = app.create_flow(&a, "bankid", RETURN).await;
    let decided = app.create_flow(&a, "veriff", RETURN).await;
    let started_id = started["verification_id"].as_str().unwrap_or_default();
    app.hub
        .start_at_provider(
            started_id.parse().unwrap_or_else(|e| panic!("{e}")),
            None,
            None,
            None,
            None,
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let (s, _) = decide(
        &app,
        &a,
        decided["verification_id"].as_str().unwrap_or_default(),
        json!({ "outcome": "approved" }),
    )
    .await;
    assert_eq!(s, 200);

    let now = chrono::Utc::now();
    assert_eq!(
        app.hub
            .sweep_expired(now, 10, chrono::Duration::seconds(30))
            .await
            .unwrap_or(99),
        0,
        "nothing is due yet"
    );
    let later = now + chrono::Duration::days(8);
    assert_eq!(
        app.hub
            .sweep_expired(later, 1, chrono::Duration::seconds(30))
            .await
            .unwrap_or(0),
        2
    );
    assert_eq!(
        app.hub
            .sweep_expired(later, 10, chrono::Duration::seconds(30))
            .await
            .unwrap_or(99),
        0,
        "a second sweep moves nothing"
    );

    let (_, u) = app
        .get(
            &a,
            &format!(
                "/api/v1/verification/status/{}",
                untouched["verification_id"].as_str().unwrap_or_default()
            ),
        )
        .await;
    assert_eq!(
        (u["status"].clone(), u["reason"].clone()),
        (json!("expired"), json!("session_expired"))
    );
    let (_, st) = app
        .get(&a, &format!("/api/v1/verification/status/{started_id}"))
        .await;
    assert_eq!(
        (st["status"].clone(), st["reason"].clone()),
        (json!("expired"), json!("abandoned"))
    );
    let (_, d) = app
        .get(
            &a,
            &format!(
                "/api/v1/verification/status/{}",
                decided["verification_id"].as_str().unwrap_or_default()
            ),
        )
        .await;
    assert_eq!(d["status"], "approved");

    let events = app
        .hub
        .timeline(started_id.parse().unwrap_or_else(|e| panic!("{e}")))
        .await
        .unwrap_or_default();
    let expiries: Vec<_> = events
        .iter()
        .filter(|e| e.to_status == idgate_core::Status::Abandoned)
        .collect();
    assert_eq!(expiries.len(), 1);
    assert_eq!(expiries[0].actor, idgate_core::Actor::System);
}

#[tokio::test]
async fn operations_endpoints() {
    let app = TestApp::spawn().await;
    let a = app.partner_with_return_url("A", RETURN).await;
    app.create_flow(&a, "veriff", RETURN).await;
    for (path, needle) in [("/healthz", "ok"), ("/readyz", "ready")] {
        let r = app
            .client
            .get(app.url(path))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.status(), 200);
        assert!(r.headers().contains_key("x-request-id"));
        assert_eq!(r.text().await.unwrap_or_default(), needle);
    }
    let metrics = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let text = metrics.text().await.unwrap_or_default();
    assert!(text.contains("idgate_http_requests_total"), "{text}");
    assert!(
        text.contains("route=\"/api/v1/users/{id}/verification/flows\""),
        "{text}"
    );
    assert!(text.contains("idgate_sessions_created_total"), "{text}");
    // A request id sent by the caller is echoed.
    let r = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "trace-me-123")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        r.headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok()),
        Some("trace-me-123")
    );
    // The served OpenAPI document is the committed one.
    let served: Value = app
        .client
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .json()
        .await
        .unwrap_or_default();
    let committed: Value =
        serde_json::from_str(include_str!("../../../../docs/openapi/easyfreelance.json"))
            .unwrap_or_default();
    assert_eq!(served, committed);
    // Docs are served from the binary.
    let icon = app
        .client
        .get(app.url("/favicon.ico"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(icon.status(), 200);
    assert_eq!(
        icon.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("image/svg+xml")
    );
    // One docs page per dialect, each reading its own document.
    for (docs, document) in [
        ("/api/v1/docs/", "/api/v1/openapi.json"),
        ("/connect/v1/docs/", "/connect/v1/openapi.json"),
        ("/v1/docs/", "/v1/openapi.json"),
        ("/v1/deepidv/docs/", "/v1/deepidv/openapi.json"),
    ] {
        let r = app
            .client
            .get(app.url(docs))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.status(), 200, "{docs}");
        let page = r.text().await.unwrap_or_default();
        assert!(
            page.contains("swagger-ui-bundle.js") && !page.contains("https://"),
            "docs page must load nothing remote: {docs}"
        );
        let init = app
            .client
            .get(app.url(&format!("{docs}swagger-initializer.js")))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .text()
            .await
            .unwrap_or_default();
        assert!(init.contains(document), "{docs} reads {document}: {init}");
        let served = app
            .client
            .get(app.url(document))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(served.status(), 200, "{document}");
        // The 1.5 MB script bundle goes compressed to a browser that takes it.
        let bundle = |encoding: &'static str| {
            let r = app
                .client
                .get(app.url(&format!("{docs}swagger-ui-bundle.js")))
                .header("accept-encoding", encoding);
            async move {
                let r = r.send().await.unwrap_or_else(|e| panic!("{e:?}"));
                let used = r
                    .headers()
                    .get("content-encoding")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("identity")
                    .to_owned();
                (used, r.bytes().await.unwrap_or_default().len())
            }
        };
        let (plain_encoding, plain) = bundle("identity").await;
        let (br_encoding, br) = bundle("br, gzip").await;
        assert_eq!(
            (plain_encoding.as_str(), br_encoding.as_str()),
            ("identity", "br")
        );
        assert!(
            plain > 1_000_000 && br * 3 < plain,
            "{docs}: {plain} bytes, brotli {br}"
        );
    }
}

/// The status response's documented `onboarding` object (v2: `steps`, `missing_steps`,
/// `is_onboarded`, `status_version`, `evaluated_at`; the ID step is `steps.id_verification`),
/// derived from the user's verifications, and `GET /users/{id}` showing the same view.
#[tokio::test]
async fn the_status_carries_the_users_onboarding_and_get_user_shows_it() {
    let app = TestApp::spawn().await;
    let a = app.partner_with_return_url("A", RETURN).await;
    let b = app.partner_with_return_url("B", RETURN).await;
    let onboarding_members = |o: &Value| {
        for member in [
            "steps",
            "missing_steps",
            "is_onboarded",
            "status_version",
            "evaluated_at",
        ] {
            assert!(o.get(member).is_some(), "{member} in {o}");
        }
    };

    // Nothing known of user 42 yet.
    let (s, body) = app.get(&a, "/api/v1/users/42").await;
    assert_problem(s, &body, 404, "not_found");
    let (s, body) = app.get(&a, "/api/v1/users/not-a-number").await;
    assert_problem(s, &body, 404, "not_found");

    // A first attempt, declined: the step is not done.
    let first = app.create_flow(&a, "veriff", RETURN).await;
    let first_id = first["verification_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let (_, status) = app
        .get(&a, &format!("/api/v1/verification/status/{first_id}"))
        .await;
    let o = &status["onboarding"];
    onboarding_members(o);
    assert_eq!(o["steps"]["id_verification"]["status"], "pending", "{o}");
    assert_eq!(o["steps"]["id_verification"]["completed"], false);
    assert_eq!(o["missing_steps"], json!(["id_verification"]));
    assert_eq!(o["is_onboarded"], false);
    assert_eq!(o["status_version"], 2);
    let (s, declined) = decide(
        &app,
        &a,
        &first_id,
        json!({"outcome": "declined", "reason": "document_expired"}),
    )
    .await;
    assert_eq!(s, 200, "{declined}");
    assert_eq!(
        declined["onboarding"]["steps"]["id_verification"]["status"],
        "declined"
    );

    // A second attempt is approved: the user is onboarded, on either status and on the user.
    let second = app.create_flow(&a, "bankid", RETURN).await;
    let second_id = second["verification_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let (_, pending) = app
        .get(&a, &format!("/api/v1/verification/status/{second_id}"))
        .await;
    assert_eq!(
        pending["onboarding"]["steps"]["id_verification"]["verification_id"],
        json!(second_id),
        "the newest attempt: {pending}"
    );
    let (s, approved) = decide(&app, &a, &second_id, json!({"outcome": "approved"})).await;
    assert_eq!(s, 200, "{approved}");
    let (_, old) = app
        .get(&a, &format!("/api/v1/verification/status/{first_id}"))
        .await;
    for o in [&approved["onboarding"], &old["onboarding"]] {
        assert_eq!(o["is_onboarded"], true, "{o}");
        assert_eq!(o["missing_steps"], json!([]));
        let step = &o["steps"]["id_verification"];
        assert_eq!(step["status"], "completed");
        assert_eq!(step["completed"], true);
        assert_eq!(step["verification_id"], json!(second_id));
        assert_eq!(step["provider"], "bankid");
        assert!(step["completed_at"].is_string(), "{step}");
    }
    let (s, user) = app.get(&a, "/api/v1/users/42").await;
    assert_eq!(s, 200, "{user}");
    assert_eq!(user["id"], 42);
    onboarding_members(&user["onboarding"]);
    assert_eq!(user["onboarding"]["is_onboarded"], true);

    // Another partner's user 42 is another person.
    let (s, body) = app.get(&b, "/api/v1/users/42").await;
    assert_problem(s, &body, 404, "not_found");
}
