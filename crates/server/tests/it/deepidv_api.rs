//! The deepidv dialect at `/v1` (beside Veriff's), driven as deepidv's documentation shows a
//! client calling it: `x-api-key`, the create body in snake_case or camelCase (camelCase
//! wins), the session record, the partner's manual decision, the documented return to
//! `redirect_url`, and webhooks in deepidv's `{type, data}` envelope.

use idgate_testkit as common;

use common::receiver::Receiver;
use common::{Partner, TestApp, browser, location, query, text};
use serde_json::{Value, json};
use std::time::Duration;

const RETURN: &str = "https://partner.example.com/verification/done";

async fn call(
    app: &TestApp,
    key: Option<&str>,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = app.client.request(method, app.url(&format!("/v1{path}")));
    if let Some(key) = key {
        request = request.header("x-api-key", key);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let r = request.send().await.unwrap_or_else(|e| panic!("{e:?}"));
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// The documented example's applicant.
fn applicant() -> Value {
    json!({
        "first_name": "Jane",
        "last_name": "Doe",
        "email": "jane.doe@example.com",
        "phone": "+15192223333",
    })
}

async fn create(app: &TestApp, p: &Partner, body: Value) -> Value {
    let (status, created) = call(
        app,
        Some(&p.deepidv_key),
        reqwest::Method::POST,
        "/sessions",
        Some(body),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    created
}

#[tokio::test]
async fn a_session_is_created_and_read_as_deepidv_documents() {
    let app = TestApp::spawn().await;
    let p = app.partner_with_return_url("Deep AS", RETURN).await;
    let mut body = applicant();
    body["external_id"] = json!("snake-loses");
    body["externalId"] = json!("order-7");
    body["redirect_url"] = json!(RETURN);
    body["send_email_invite"] = json!(false);
    let created = create(&app, &p, body).await;
    let id = text(&created, "id");
    assert_eq!(created["externalId"], "order-7", "camelCase wins");
    let session_url = text(&created, "session_url");
    let encoded: String = url::form_urlencoded::byte_serialize(RETURN.as_bytes()).collect();
    assert!(
        session_url.starts_with(&app.url("/v/"))
            && session_url.ends_with(&format!("?redirect_url={encoded}")),
        "{session_url}"
    );
    assert!(
        created["links"].as_array().is_some_and(|l| l.len() == 2),
        "{created}"
    );
    assert!(created["expires_at"].is_string());
    // Without an external id, none is echoed.
    let plain = create(&app, &p, applicant()).await;
    assert!(plain.get("externalId").is_none(), "{plain}");

    let (status, read) = call(
        &app,
        Some(&p.deepidv_key),
        reqwest::Method::GET,
        &format!("/sessions/{id}"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{read}");
    let record = &read["session_record"];
    assert_eq!(record["id"], json!(id));
    assert_eq!(record["status"], "PENDING");
    assert_eq!(record["session_progress"], "PENDING");
    assert_eq!(record["type"], "session");
    assert_eq!(record["external_id"], "order-7");
    assert_eq!(read["user"]["phone"], "+15192223333");
    // The shapes deepidv's TypeScript SDK parses: string ids, resource_links a name → URL
    // map, optional members absent (never null), no sender_user.
    assert_eq!(record["user_id"], json!(id));
    assert_eq!(record["sender_user_id"], json!(p.id));
    assert_eq!(
        read["resource_links"],
        json!({"self": app.url(&format!("/v1/sessions/{id}"))})
    );
    assert!(read.get("sender_user").is_none(), "{read}");
    let (_, plain_read) = call(
        &app,
        Some(&p.deepidv_key),
        reqwest::Method::GET,
        &format!("/sessions/{}", text(&plain, "id")),
        None,
    )
    .await;
    let plain_record = plain_read["session_record"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    for absent in ["external_id", "workflow_id", "redirect_url", "submitted_at"] {
        assert!(!plain_record.contains_key(absent), "{absent}: {plain_read}");
    }
    assert!(
        plain_record.values().all(|v| !v.is_null()),
        "no null members: {plain_read}"
    );
    let (_, listed) = call(
        &app,
        Some(&p.deepidv_key),
        reqwest::Method::GET,
        "/sessions",
        None,
    )
    .await;
    let sessions = listed["sessions"].as_array().cloned().unwrap_or_default();
    assert_eq!(sessions.len(), 2);
    assert!(
        sessions
            .iter()
            .all(|s| s["user_id"].is_string() && s["sender_user_id"].is_string()),
        "{listed}"
    );
    // Another partner's key finds nothing.
    let other = app.partner("Other AS").await;
    let (status, _) = call(
        &app,
        Some(&other.deepidv_key),
        reqwest::Method::GET,
        &format!("/sessions/{id}"),
        None,
    )
    .await;
    assert_eq!(status, 404);
    // The same path with Veriff's header is Veriff's: a Veriff client is unaffected.
    let veriff = app
        .client
        .post(app.url("/v1/sessions"))
        .header("X-AUTH-CLIENT", &p.veriff_key)
        .json(&json!({"verification": {"callback": RETURN}}))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(veriff.status(), 201);
    let veriff: Value = veriff.json().await.unwrap_or_default();
    assert_eq!(veriff["status"], "success");
}

#[tokio::test]
async fn every_documented_error() {
    let app = TestApp::spawn().await;
    let p = app.partner_with_return_url("Deep AS", RETURN).await;
    let post = |key: Option<String>, body: Value| {
        let app = &app;
        async move {
            call(
                app,
                key.as_deref(),
                reqwest::Method::POST,
                "/sessions",
                Some(body),
            )
            .await
        }
    };
    let key = Some(p.deepidv_key.clone());
    // 401: no key, a wrong key.
    assert_eq!(post(None, applicant()).await.0, 401);
    assert_eq!(
        post(
            Some("didv_0123456789abcdef01234567nope".into()),
            applicant()
        )
        .await
        .0,
        401
    );
    // 400: a missing field, a phone not in E.164 or not a number, a non-https redirect.
    for (field, value) in [
        ("first_name", Value::Null),
        ("email", json!("not-an-email")),
        ("phone", json!("5192223333")),
        ("phone", json!("+1555")),
        ("phone", json!("+1 519 222 3333")),
        ("redirect_url", json!("ftp://partner.example.com/")),
    ] {
        let mut body = applicant();
        body[field] = value.clone();
        let (status, answer) = post(key.clone(), body).await;
        assert_eq!(status, 400, "{field}={value}: {answer}");
        assert!(
            answer["message"]
                .as_str()
                .is_some_and(|m| m.contains(field)),
            "{answer}"
        );
    }
    // An unapproved redirect URL says how to register one.
    let mut body = applicant();
    body["redirectUrl"] = json!("https://elsewhere.example.com/back");
    let (status, answer) = post(key.clone(), body).await;
    assert_eq!(status, 400);
    assert!(
        answer["message"]
            .as_str()
            .is_some_and(|m| m.contains("register")),
        "{answer}"
    );
    // 404: an unknown workflow.
    let mut body = applicant();
    body["workflowId"] = json!("wf_unknown");
    assert_eq!(post(key.clone(), body).await.0, 404);
    // 429: the partner's session cap, through the platform quotas.
    app.set_session_cap(&p, 1).await;
    common::room_in_this_minute(10).await;
    assert_eq!(post(key.clone(), applicant()).await.0, 201);
    let (status, answer) = post(key.clone(), applicant()).await;
    assert_eq!(status, 429, "{answer}");
}

#[tokio::test]
async fn the_applicant_returns_to_redirect_url_with_deepidvs_outcome_words() {
    let app = TestApp::spawn().await;
    let p = app.partner_with_return_url("Deep AS", RETURN).await;
    // `success` whenever the applicant completed the session, whatever the decision (the
    // partner reads that from the API); a capture to redo is `failed` with a reason.
    for (outcome, status, reason) in [
        ("approved", "success", None),
        ("declined", "success", None),
        (
            "resubmission_requested",
            "failed",
            Some("document_unreadable"),
        ),
    ] {
        let mut body = applicant();
        body["redirect_url"] = json!(RETURN);
        let created = create(&app, &p, body).await;
        let person = browser();
        let url = text(&created, "session_url");
        let r = person
            .post(format!(
                "{}/start",
                url.split('?').next().unwrap_or_default()
            ))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e:?}"));
        let state = query(&location(&r))
            .get("state")
            .cloned()
            .unwrap_or_default();
        let r = person
            .post(app.url("/sandbox/veriff/authorize"))
            .form(&[
                ("state", state.as_str()),
                ("outcome", outcome),
                ("reason", "face_mismatch"),
            ])
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e:?}"));
        let r = person
            .get(app.url(&location(&r)))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e:?}"));
        let back = location(&r);
        assert!(back.starts_with(&format!("{RETURN}?")), "{back}");
        let q = query(&back);
        assert_eq!(q.get("session_id"), Some(&text(&created, "id")));
        assert_eq!(q.get("status").map(String::as_str), Some(status), "{back}");
        assert_eq!(q.get("reason").map(String::as_str), reason, "{back}");
        assert!(q.contains_key("result_token"));
    }
}

/// Takes a session through the hosted sandbox to `outcome` (e.g. `review`).
async fn through_the_sandbox(app: &TestApp, created: &Value, outcome: &str) {
    let person = browser();
    let url = text(created, "session_url");
    let landing = url.split('?').next().unwrap_or_default().to_owned();
    let r = person
        .post(format!("{landing}/start"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let state = query(&location(&r))
        .get("state")
        .cloned()
        .unwrap_or_default();
    let r = person
        .post(app.url("/sandbox/veriff/authorize"))
        .form(&[("state", state.as_str()), ("outcome", outcome)])
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let r = person
        .get(app.url(&location(&r)))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert!(r.status().is_redirection() || r.status().is_success());
}

#[tokio::test]
async fn the_partner_decides_by_update_status_and_webhooks_use_deepidvs_envelope() {
    let app = TestApp::spawn().await;
    let (receiver, url) = Receiver::start().await;
    let p = app.partner_with_return_url("Deep AS", RETURN).await;
    let (status, endpoint) = app
        .post(&p, "/api/v1/webhook-endpoints", json!({"url": url}))
        .await;
    assert_eq!(status, 201, "{endpoint}");
    let secret = text(&endpoint, "secret");
    let deepidv_value = text(&endpoint, "deepidv_signature");
    assert!(deepidv_value.starts_with("whsec_") && deepidv_value != secret);
    let created = create(&app, &p, applicant()).await;
    let id = text(&created, "id");
    let path = format!("/sessions/{id}/update-status");
    let key = Some(p.deepidv_key.as_str());
    let patch = |body: Value| {
        let (app, path) = (&app, path.clone());
        async move { call(app, key, reqwest::Method::PATCH, &path, Some(body)).await }
    };
    // Not before the applicant submitted.
    let (status, answer) = patch(json!({"new_status": "VERIFIED"})).await;
    assert_eq!(status, 409, "{answer}");
    through_the_sandbox(&app, &created, "review").await;
    let (status, _) = patch(json!({"new_status": "APPROVED"})).await;
    assert_eq!(status, 400);
    let (status, decided) = patch(json!({"new_status": "VERIFIED"})).await;
    assert_eq!(status, 200, "{decided}");
    assert_eq!(decided["session_record"]["status"], "VERIFIED");
    let (status, _) = patch(json!({"new_status": "REJECTED"})).await;
    assert_eq!(status, 409, "a decided session stays decided");

    // deepidv's events only, in its envelope: data is what GET /v1/sessions/{id} answers.
    for _ in 0..200 {
        if receiver.accepted().len() >= 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let raw = receiver.raw();
    let events: Vec<Value> = raw
        .iter()
        .map(|(_, b)| serde_json::from_slice::<Value>(b).unwrap_or(Value::Null))
        .collect();
    let types: Vec<&str> = events
        .iter()
        .map(|e| e["type"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        types,
        [
            "session.created",
            "session.status.submitted",
            "session.status.verified"
        ],
        "{types:?}"
    );
    let submitted = &events[1]["data"]["session_record"];
    assert_eq!(submitted["status"], "SUBMITTED");
    let verified = &events[2]["data"];
    assert_eq!(verified["session_record"]["id"], json!(id));
    assert_eq!(verified["session_record"]["status"], "VERIFIED");
    assert!(
        verified.get("user").is_none() && verified.get("sender_user").is_none(),
        "no personal data unless the endpoint opted in: {verified}"
    );
    assert_eq!(verified["resource_links"], json!({}));
    let (headers, _) = raw.last().cloned().unwrap_or_default();
    assert_eq!(
        headers
            .get("deepidv-signature")
            .and_then(|v| v.to_str().ok()),
        Some(deepidv_value.as_str()),
        "deepidv's header carries the endpoint's deepidv value, never the signing key"
    );
    assert!(
        headers.contains_key("webhook-signature"),
        "and the Standard Webhooks signature beside it"
    );
}

#[tokio::test]
async fn sessions_are_listed_in_pages_with_the_documented_filters() {
    let app = TestApp::spawn().await;
    let p = app.partner_with_return_url("Deep AS", RETURN).await;
    let mut created = Vec::new();
    for i in 0..3 {
        let mut body = applicant();
        body["external_id"] = json!(format!("order-{}", i % 2));
        created.push(text(&create(&app, &p, body).await, "id"));
    }
    let key = Some(p.deepidv_key.as_str());
    let list = |query: String| {
        let app = &app;
        async move {
            call(
                app,
                key,
                reqwest::Method::GET,
                &format!("/sessions{query}"),
                None,
            )
            .await
        }
    };
    let (status, first) = list("?limit=2".into()).await;
    assert_eq!(status, 200, "{first}");
    let ids = |page: &Value| -> Vec<String> {
        page["sessions"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|s| s["id"].as_str().unwrap_or_default().to_owned())
                    .collect()
            })
            .unwrap_or_default()
    };
    // Newest first.
    assert_eq!(ids(&first), [created[2].clone(), created[1].clone()]);
    let token = first["next_token"].as_str().unwrap_or_default().to_owned();
    assert!(!token.is_empty(), "{first}");
    let (_, second) = list(format!("?limit=2&next_token={token}")).await;
    assert_eq!(ids(&second), [created[0].clone()]);
    assert!(second["next_token"].is_null());
    let (_, by_ref) = list("?external_id=order-0".into()).await;
    assert_eq!(ids(&by_ref), [created[2].clone(), created[0].clone()]);
    let (_, future) = list("?start_date=2999-01-01".into()).await;
    assert!(ids(&future).is_empty());
    let (_, workflow) = list("?workflow_id=wf_1".into()).await;
    assert!(ids(&workflow).is_empty());
    for bad in [
        "?limit=0",
        "?limit=501",
        "?next_token=nonsense",
        "?start_date=yesterday",
    ] {
        assert_eq!(list(bad.into()).await.0, 400, "{bad}");
    }
    let other = app.partner("Other AS").await;
    let (_, theirs) = call(
        &app,
        Some(&other.deepidv_key),
        reqwest::Method::GET,
        "/sessions",
        None,
    )
    .await;
    assert!(ids(&theirs).is_empty());
}

#[tokio::test]
async fn a_workflow_names_the_providers_and_steps_of_its_sessions() {
    let app = TestApp::spawn().await;
    let p = app.partner_with_return_url("Deep AS", RETURN).await;
    let partner_id = p.id.parse().unwrap_or_else(|e| panic!("{e}"));
    let choice = app
        .hub
        .add_workflow(
            partner_id,
            "KYC with a choice",
            vec!["veriff".into(), "sandbox-qr".into()],
            vec![
                ("ID_VERIFICATION".into(), None),
                ("PEP_SANCTIONS".into(), None),
            ],
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let single = app
        .hub
        .add_workflow(
            partner_id,
            "eID only",
            vec!["sandbox-push".into()],
            vec![("ID_VERIFICATION".into(), None)],
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(choice.id.starts_with("wf_"));
    // Bad definitions are refused.
    for (providers, steps) in [
        (vec![], vec![]),
        (vec!["nope".to_owned()], vec![("CONSENT".to_owned(), None)]),
        (vec!["veriff".to_owned()], vec![("DANCE".to_owned(), None)]),
    ] {
        assert!(
            app.hub
                .add_workflow(partner_id, "bad", providers, steps)
                .await
                .is_err()
        );
    }

    let mut body = applicant();
    body["workflowId"] = json!(choice.id);
    let created = create(&app, &p, body).await;
    let id = text(&created, "id");
    let (_, read) = call(
        &app,
        Some(&p.deepidv_key),
        reqwest::Method::GET,
        &format!("/sessions/{id}"),
        None,
    )
    .await;
    assert_eq!(read["session_record"]["workflow_id"], json!(choice.id));
    assert_eq!(
        read["session_record"]["workflow_steps"],
        json!(["ID_VERIFICATION", "PEP_SANCTIONS"])
    );
    // Two providers: the person chooses on the first page.
    let page = app
        .client
        .get(text(&created, "session_url"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"))
        .text()
        .await
        .unwrap_or_default();
    assert!(
        page.contains(r#"value="veriff""#) && page.contains(r#"value="sandbox-qr""#),
        "{page}"
    );
    // One provider: that one.
    let mut body = applicant();
    body["workflow_id"] = json!(single.id);
    let created = create(&app, &p, body).await;
    let session = app
        .hub
        .session(
            text(&created, "id")
                .parse()
                .unwrap_or_else(|e| panic!("{e}")),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(session.provider_id, "sandbox-push");
    // The list filters by workflow.
    let (_, listed) = call(
        &app,
        Some(&p.deepidv_key),
        reqwest::Method::GET,
        &format!("/sessions?workflow_id={}", choice.id),
        None,
    )
    .await;
    assert_eq!(
        listed["sessions"].as_array().map(Vec::len),
        Some(1),
        "{listed}"
    );
    assert_eq!(listed["sessions"][0]["id"], json!(id));
}

/// deepidv's token balance: with `tokens_per_session` set, each create spends from the
/// partner's balance and a short one gets the documented 402 (plain text), writing nothing.
#[tokio::test]
async fn a_session_costs_tokens_and_a_short_balance_is_a_402_that_writes_nothing() {
    let app = TestApp::spawn_with(|s| s.dialects.deepidv.tokens_per_session = 2).await;
    let p = app.partner("Acme").await;
    let partner_id = p.id.parse().unwrap_or_else(|e| panic!("{e}"));
    let refused = app
        .client
        .post(app.url("/v1/sessions"))
        .header("x-api-key", &p.deepidv_key)
        .json(&applicant())
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(refused.status().as_u16(), 402);
    assert!(
        refused
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.starts_with("text/plain")),
        "{:?}",
        refused.headers()
    );
    let said = refused.text().await.unwrap_or_default();
    assert_eq!(
        said,
        "Insufficient token balance: a session costs 2 token(s) and the balance is 0."
    );

    app.hub
        .credit_tokens(partner_id, 5, Some("order 77".into()))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let first = create(&app, &p, applicant()).await;
    let second = create(&app, &p, applicant()).await;
    let (status, _) = call(
        &app,
        Some(&p.deepidv_key),
        reqwest::Method::POST,
        "/sessions",
        Some(applicant()),
    )
    .await;
    assert_eq!(status, 402, "1 token left, 2 needed");
    let (_, listed) = call(
        &app,
        Some(&p.deepidv_key),
        reqwest::Method::GET,
        "/sessions",
        None,
    )
    .await;
    assert_eq!(listed["sessions"].as_array().map(Vec::len), Some(2));

    let (balance, history) = app
        .hub
        .tokens(partner_id, 10)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(balance, 1);
    let sessions: Vec<String> = history
        .iter()
        .filter_map(|e| e.session_id.map(|s| s.to_string()))
        .collect();
    assert_eq!(sessions, vec![text(&second, "id"), text(&first, "id")]);
    assert_eq!(
        history.last().and_then(|e| e.note.as_deref()),
        Some("order 77")
    );
    // Reads cost nothing.
    let (status, _) = call(
        &app,
        Some(&p.deepidv_key),
        reqwest::Method::GET,
        &format!("/sessions/{}", text(&first, "id")),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        app.hub.tokens(partner_id, 1).await.map(|t| t.0).ok(),
        Some(1)
    );
}

/// deepidv's published per-key limits: a burst of 35 then 429 with `Retry-After`, and a daily
/// count (here 40) that refuses the rest of the UTC day.
#[tokio::test]
async fn each_api_key_gets_deepidvs_burst_and_a_daily_count() {
    let app = TestApp::spawn_with(|s| {
        s.dialects.deepidv.requests_per_second = 1;
        s.dialects.deepidv.requests_burst = 35;
        s.dialects.deepidv.requests_per_day = 40;
    })
    .await;
    let p = app.partner("Acme").await;
    let other = app.partner("Other").await;
    let get = |key: String| {
        let app = &app;
        async move {
            app.client
                .get(app.url("/v1/sessions?limit=1"))
                .header("x-api-key", key)
                .send()
                .await
                .unwrap_or_else(|e| panic!("{e:?}"))
        }
    };
    let mut statuses = Vec::new();
    for _ in 0..35 {
        statuses.push(get(p.deepidv_key.clone()).await.status().as_u16());
    }
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    let limited = get(p.deepidv_key.clone()).await;
    assert_eq!(limited.status().as_u16(), 429);
    let retry: u64 = limited
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    assert!((1..=2).contains(&retry), "Retry-After {retry}");
    let body: Value = limited.json().await.unwrap_or_default();
    assert_eq!(body["error"], "rate_limited");
    // Another key has its own bucket.
    assert_eq!(get(other.deepidv_key.clone()).await.status().as_u16(), 200);

    // The daily count: 36 requests so far counted 35 (the refused one never reached it);
    // after 5 more, the key is done for the day, with the wait until midnight UTC.
    let mut allowed = 0;
    for _ in 0..12 {
        tokio::time::sleep(Duration::from_millis(1050)).await;
        let r = get(p.deepidv_key.clone()).await;
        match r.status().as_u16() {
            200 => allowed += 1,
            429 => {
                let policy = r
                    .headers()
                    .get("ratelimit-policy")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                assert!(policy.contains("\"api-key-day\";q=40;w=86400"), "{policy}");
                let retry: u64 = r
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0);
                assert!((1..=86_400).contains(&retry), "Retry-After {retry}");
                break;
            }
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(allowed, 5, "the day allows 40 requests in all");
}

/// The TypeScript SDK's `expiresInHours` sets how long the link works; out of range is a 400.
#[tokio::test]
async fn expires_in_hours_sets_the_sessions_lifetime() {
    let app = TestApp::spawn().await;
    let p = app.partner("Acme").await;
    let mut body = applicant();
    body["expiresInHours"] = json!(2);
    let before = chrono::Utc::now();
    let created = create(&app, &p, body).await;
    let expires = chrono::DateTime::parse_from_rfc3339(&text(&created, "expires_at"))
        .unwrap_or_else(|e| panic!("{e}"));
    let hours = (expires.with_timezone(&chrono::Utc) - before).num_minutes();
    assert!((119..=121).contains(&hours), "{created}");
    for bad in [json!(0), json!(8761), json!("2"), json!(1.5)] {
        let mut body = applicant();
        body["expires_in_hours"] = bad.clone();
        let (status, answer) = call(
            &app,
            Some(&p.deepidv_key),
            reqwest::Method::POST,
            "/sessions",
            Some(body),
        )
        .await;
        assert_eq!(status, 400, "{bad}: {answer}");
        assert!(
            text(&answer, "message").contains("expires_in_hours"),
            "{answer}"
        );
    }
}

/// deepidv's workflow API as its TypeScript server SDK calls it: create (201 `{workflow}`),
/// list (`{workflows}` with step ids), retrieve, set a step's config; deepidv's step rules
/// give 400s; a created workflow is what a session's `workflow_id` names.
#[tokio::test]
async fn workflows_are_managed_through_deepidvs_workflow_api() {
    let app = TestApp::spawn().await;
    let p = app.partner("Acme").await;
    let other = app.partner("Other").await;
    let key = Some(p.deepidv_key.as_str());
    let (status, created) = call(
        &app,
        key,
        reqwest::Method::POST,
        "/workflows",
        Some(json!({
            "name": "Onboarding",
            "steps": [
                {"id": "ID_VERIFICATION"},
                {"id": "FACE_LIVENESS", "config": {"max_attempts": 3}},
                {"id": "BACKGROUND_CHECK"}
            ]
        })),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let workflow = &created["workflow"];
    let id = text(workflow, "id");
    assert!(id.starts_with("wf_"), "{created}");
    assert_eq!(workflow["name"], "Onboarding");
    assert_eq!(workflow["status"], "ACTIVE");
    assert_eq!(workflow["organization_id"], json!(p.id));
    assert_eq!(
        workflow["steps"],
        json!([
            {"id": "ID_VERIFICATION", "config": {}},
            {"id": "FACE_LIVENESS", "config": {"max_attempts": 3}},
            {"id": "BACKGROUND_CHECK", "config": {}}
        ])
    );
    assert_eq!(
        workflow["providers"],
        json!(["veriff"]),
        "the dialect's provider"
    );
    for field in ["created_at", "updated_at"] {
        assert!(
            chrono::DateTime::parse_from_rfc3339(&text(workflow, field)).is_ok(),
            "{field}: {workflow}"
        );
    }

    let (status, listed) = call(&app, key, reqwest::Method::GET, "/workflows", None).await;
    assert_eq!(status, 200);
    assert_eq!(listed["workflows"][0]["id"], json!(id));
    assert_eq!(
        listed["workflows"][0]["steps"],
        json!(["ID_VERIFICATION", "FACE_LIVENESS", "BACKGROUND_CHECK"])
    );
    assert!(listed["workflows"][0]["created_at"].is_string());

    let (status, patched) = call(
        &app,
        key,
        reqwest::Method::PATCH,
        &format!("/workflows/{id}/steps/FACE_LIVENESS/config"),
        Some(json!({"config": {"max_attempts": 1}})),
    )
    .await;
    assert_eq!(status, 200, "{patched}");
    assert_eq!(
        patched["workflow"]["steps"][1]["config"],
        json!({"max_attempts": 1})
    );
    let (_, read) = call(
        &app,
        key,
        reqwest::Method::GET,
        &format!("/workflows/{id}"),
        None,
    )
    .await;
    assert_eq!(read["workflow"]["steps"], patched["workflow"]["steps"]);

    // Not found: another partner's workflow, a step it does not have, an unknown id.
    for (method, path, body) in [
        (reqwest::Method::GET, format!("/workflows/{id}"), None),
        (reqwest::Method::GET, "/workflows/wf_nope".to_owned(), None),
        (
            reqwest::Method::PATCH,
            format!("/workflows/{id}/steps/CONSENT/config"),
            Some(json!({"config": {}})),
        ),
    ] {
        let as_key = if path.contains("CONSENT") || path.contains("nope") {
            key
        } else {
            Some(other.deepidv_key.as_str())
        };
        let (status, answer) = call(&app, as_key, method, &path, body).await;
        assert_eq!(status, 404, "{path}: {answer}");
        assert_eq!(answer["error"], "not_found");
    }

    // deepidv's rules, each a 400 that says what is wrong.
    for (body, says) in [
        (json!({"steps": [{"id": "ID_VERIFICATION"}]}), "name"),
        (json!({"name": "x", "steps": []}), "1 to 10"),
        (
            json!({"name": "x", "steps": [{"id": "DANCE"}]}),
            "not a step",
        ),
        (
            json!({"name": "x", "steps": [{"id": "CONSENT"}, {"id": "CONSENT"}]}),
            "twice",
        ),
        (
            json!({"name": "x", "steps": [{"id": "BACKGROUND_CHECK"}]}),
            "requires an earlier ID_VERIFICATION",
        ),
        (
            json!({"name": "x", "steps": [{"id": "CONSENT", "config": 3}]}),
            "config must be an object",
        ),
        (
            json!({"name": "x", "steps": [{"id": "CONSENT"}], "providers": ["nope"]}),
            "not a provider",
        ),
        (json!({"name": " ", "steps": [{"id": "CONSENT"}]}), "name"),
    ] {
        let (status, answer) = call(
            &app,
            key,
            reqwest::Method::POST,
            "/workflows",
            Some(body.clone()),
        )
        .await;
        assert_eq!(status, 400, "{body}: {answer}");
        assert!(text(&answer, "message").contains(says), "{body}: {answer}");
    }
    let (status, answer) = call(
        &app,
        key,
        reqwest::Method::PATCH,
        &format!("/workflows/{id}/steps/FACE_LIVENESS/config"),
        Some(json!({"max_attempts": 1})),
    )
    .await;
    assert_eq!(status, 400, "{answer}");

    // A session names it.
    let mut session = applicant();
    session["workflow_id"] = json!(id);
    let created = create(&app, &p, session).await;
    let (_, read) = call(
        &app,
        key,
        reqwest::Method::GET,
        &format!("/sessions/{}", text(&created, "id")),
        None,
    )
    .await;
    assert_eq!(read["session_record"]["workflow_id"], json!(id));
    assert_eq!(
        read["session_record"]["workflow_steps"],
        json!(["ID_VERIFICATION", "FACE_LIVENESS", "BACKGROUND_CHECK"])
    );
}

/// By default `redirect_url` must be an approved return URL; an operator may let a partner
/// use any https URL, as deepidv itself does. The grammar still holds either way.
#[tokio::test]
async fn an_operator_may_let_a_partner_return_to_any_https_url() {
    let app = TestApp::spawn().await;
    let p = app.partner("Acme").await;
    let partner_id = p.id.parse().unwrap_or_else(|e| panic!("{e}"));
    let elsewhere = "https://shop.example.org/after-kyc?order=7";
    let mut body = applicant();
    body["redirect_url"] = json!(elsewhere);
    let (status, refused) = call(
        &app,
        Some(&p.deepidv_key),
        reqwest::Method::POST,
        "/sessions",
        Some(body.clone()),
    )
    .await;
    assert_eq!(status, 400, "{refused}");
    assert!(text(&refused, "message").contains("approved"), "{refused}");

    app.hub
        .update_partner(
            partner_id,
            idgate_hub::service::partners::PartnerChange {
                return_urls: Some(idgate_core::ReturnUrlPolicy::AnyHttps),
                ..Default::default()
            },
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let created = create(&app, &p, body).await;
    let (_, read) = call(
        &app,
        Some(&p.deepidv_key),
        reqwest::Method::GET,
        &format!("/sessions/{}", text(&created, "id")),
        None,
    )
    .await;
    assert_eq!(read["session_record"]["redirect_url"], json!(elsewhere));
    // Still https only, and still the strict grammar.
    for bad in [
        "http://shop.example.org/after-kyc",
        "https://user@shop.example.org/",
        "https://shop.example.org/a/../b",
        "javascript:alert(1)",
    ] {
        let mut body = applicant();
        body["redirect_url"] = json!(bad);
        let (status, answer) = call(
            &app,
            Some(&p.deepidv_key),
            reqwest::Method::POST,
            "/sessions",
            Some(body),
        )
        .await;
        assert_eq!(status, 400, "{bad}: {answer}");
    }
}

/// A partner cannot grow its own record without bound through the workflow API.
#[tokio::test]
async fn workflow_definitions_are_bounded() {
    let app = TestApp::spawn().await;
    let p = app.partner("Acme").await;
    let key = Some(p.deepidv_key.as_str());
    let big = "x".repeat(9 * 1024);
    let (status, answer) = call(
        &app,
        key,
        reqwest::Method::POST,
        "/workflows",
        Some(json!({"name": "big", "steps": [{"id": "CONSENT", "config": {"text": big}}]})),
    )
    .await;
    assert_eq!(status, 400, "{answer}");
    assert!(text(&answer, "message").contains("8 KiB"), "{answer}");
    let (status, created) = call(
        &app,
        key,
        reqwest::Method::POST,
        "/workflows",
        Some(json!({"name": "twice", "steps": [{"id": "CONSENT"}], "providers": ["veriff", "sandbox-qr", "veriff"]})),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(
        created["workflow"]["providers"],
        json!(["veriff", "sandbox-qr"])
    );
    for i in 1..50 {
        let (status, _) = call(
            &app,
            key,
            reqwest::Method::POST,
            "/workflows",
            Some(json!({"name": format!("w{i}"), "steps": [{"id": "CONSENT"}]})),
        )
        .await;
        assert_eq!(status, 201);
    }
    let (status, answer) = call(
        &app,
        key,
        reqwest::Method::POST,
        "/workflows",
        Some(json!({"name": "one too many", "steps": [{"id": "CONSENT"}]})),
    )
    .await;
    assert_eq!(status, 400, "{answer}");
    assert!(text(&answer, "message").contains("at most 50"), "{answer}");
}
