//! The admin HTTP API (`/admin/v1`) with operators' tokens: every call the console makes,
//! refused without a token or beyond the operator's role, problem documents with stable codes,
//! and the audit trail recording the token's operator.

use idgate_testkit as common;

use common::TestApp;
use idgate_core::{OperatorRole, PartnerId};
use idgate_hub::service::operators::AuditActor;
use reqwest::Method;
use serde_json::{Value, json};

async fn token(app: &TestApp, name: &str, role: OperatorRole, partners: Vec<PartnerId>) -> String {
    app.hub
        .create_operator(name, role, partners, AuditActor::Cli)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    app.hub
        .issue_operator_token(AuditActor::Cli, name, "a script")
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .1
}

async fn call(
    app: &TestApp,
    token: Option<&str>,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = app
        .client
        .request(method, app.url(&format!("/admin/v1{path}")));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let r = request.send().await.unwrap_or_else(|e| panic!("{e}"));
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn an_admin_token_runs_the_console_s_work_and_a_viewer_token_only_reads() {
    let app = TestApp::spawn().await;
    let acme = app.partner("Acme").await;
    let (status, rule) = app
        .post(
            &acme,
            "/api/v1/verification-return-urls",
            json!({"partner_return_url": "https://acme.example.com/back"}),
        )
        .await;
    assert_eq!(status, 201, "{rule}");
    let rule = rule["id"].as_str().unwrap_or_default().to_owned();
    let admin = token(&app, "kari", OperatorRole::Admin, Vec::new()).await;
    let viewer = token(&app, "vera", OperatorRole::Viewer, Vec::new()).await;

    // No token, a wrong one: 401 with the problem's code.
    for bad in [None, Some("idg_op_not-a-real-token"), Some("Basic x")] {
        let (status, problem) = call(&app, bad, Method::GET, "/return-urls", None).await;
        assert_eq!(
            (status, problem["code"].as_str()),
            (401, Some("unauthorized"))
        );
    }

    let (status, listed) = call(
        &app,
        Some(&viewer),
        Method::GET,
        "/return-urls?status=pending",
        None,
    )
    .await;
    assert_eq!(status, 200, "{listed}");
    assert_eq!(listed[0]["id"], rule.as_str());
    assert_eq!(listed[0]["host"], "acme.example.com");
    let (status, problem) = call(
        &app,
        Some(&viewer),
        Method::POST,
        &format!("/return-urls/{rule}/approve"),
        None,
    )
    .await;
    assert_eq!((status, problem["code"].as_str()), (403, Some("forbidden")));
    let (status, approved) = call(
        &app,
        Some(&admin),
        Method::POST,
        &format!("/return-urls/{rule}/approve"),
        None,
    )
    .await;
    assert_eq!(
        (status, approved["status"].as_str()),
        (200, Some("approved")),
        "{approved}"
    );
    let (status, problem) = call(
        &app,
        Some(&admin),
        Method::GET,
        "/return-urls?status=maybe",
        None,
    )
    .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (422, Some("invalid_request"))
    );

    // Add a verification, find it, read it.
    let (status, problem) = call(
        &app,
        Some(&admin),
        Method::POST,
        "/sessions",
        Some(json!({"nonsense": true})),
    )
    .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (400, Some("invalid_json"))
    );
    let (status, added) = call(
        &app,
        Some(&admin),
        Method::POST,
        "/sessions",
        Some(json!({"partner_id": acme.id, "provider": "bankid", "first_name": "Ola", "last_name": "Nordmann"})),
    )
    .await;
    assert_eq!(status, 201, "{added}");
    let id = added["id"].as_str().unwrap_or_default().to_owned();
    assert!(
        added["verification_url"]
            .as_str()
            .is_some_and(|u| u.starts_with(&app.url("/v/")))
    );
    let (status, found) = call(
        &app,
        Some(&viewer),
        Method::GET,
        &format!("/sessions?partner={}&status=created", acme.id),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        found
            .as_array()
            .is_some_and(|all| all.iter().any(|s| s["id"] == id.as_str())),
        "{found}"
    );
    let (status, session) = call(
        &app,
        Some(&viewer),
        Method::GET,
        &format!("/sessions/{id}"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{session}");
    assert_eq!(session["applicant"]["first_name"], "Ola");
    assert_eq!(session["timeline"][0]["to"], "created");
    let (status, _) = call(
        &app,
        Some(&viewer),
        Method::GET,
        "/sessions?from=yesterday",
        None,
    )
    .await;
    assert_eq!(status, 422);

    // A review: a decline needs a reason; decided once.
    let session = crate::console::hopae_session(&app, &acme).await;
    let review = session.id;
    crate::console::provider_decides(&app, session, idgate_providers::Decision::Review).await;
    let path = format!("/sessions/{review}/review");
    let (status, _) = call(
        &app,
        Some(&admin),
        Method::POST,
        &path,
        Some(json!({"decision": "decline"})),
    )
    .await;
    assert_eq!(status, 422);
    let (status, decided) = call(
        &app,
        Some(&admin),
        Method::POST,
        &path,
        Some(json!({"decision": "decline", "reason": "A photo of a screen."})),
    )
    .await;
    assert_eq!(
        (status, decided["status"].as_str()),
        (200, Some("declined")),
        "{decided}"
    );
    let (status, problem) = call(
        &app,
        Some(&admin),
        Method::POST,
        &path,
        Some(json!({"decision": "approve"})),
    )
    .await;
    assert_eq!((status, problem["code"].as_str()), (409, Some("conflict")));

    // Credentials: issued (they work), revoked (refused).
    let (status, partners) = call(&app, Some(&viewer), Method::GET, "/partners", None).await;
    assert_eq!((status, partners[0]["name"].as_str()), (200, Some("Acme")));
    let (status, problem) = call(
        &app,
        Some(&viewer),
        Method::POST,
        &format!("/partners/{}/credentials", acme.id),
        Some(json!({"kind": "hopae"})),
    )
    .await;
    assert_eq!((status, problem["code"].as_str()), (403, Some("forbidden")));
    let (status, issued) = call(
        &app,
        Some(&admin),
        Method::POST,
        &format!("/partners/{}/credentials", acme.id),
        Some(json!({"kind": "easyfreelance"})),
    )
    .await;
    assert_eq!(status, 201, "{issued}");
    let secrets = &issued["secrets"];
    let (pat, key) = (
        secrets["access_token"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        secrets["api_key"].as_str().unwrap_or_default().to_owned(),
    );
    let works = async |pat: &str, key: &str| {
        reqwest::Client::new()
            .get(app.url("/api/v1/webhook-endpoints"))
            .bearer_auth(pat)
            .header("API-key", key)
            .send()
            .await
            .map(|r| r.status().as_u16())
            .unwrap_or_default()
    };
    assert_eq!(works(&pat, &key).await, 200, "{issued}");
    let credential = issued["credential_id"].as_str().unwrap_or_default();
    let (status, revoked) = call(
        &app,
        Some(&admin),
        Method::POST,
        &format!("/credentials/{credential}/revoke"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{revoked}");
    assert!(revoked["revoked_at"].is_string());
    assert_eq!(works(&pat, &key).await, 401);

    // The dashboard and the trail, which names the token's operator.
    let (status, dashboard) =
        call(&app, Some(&viewer), Method::GET, "/dashboard?days=1", None).await;
    assert_eq!(status, 200, "{dashboard}");
    assert!(
        dashboard["providers"]
            .as_array()
            .is_some_and(|p| !p.is_empty())
    );
    // One day back: yesterday and today, today's sessions counted by provider.
    let by_day = dashboard["by_day"].as_array().cloned().unwrap_or_default();
    assert_eq!(by_day.len(), 2, "{dashboard}");
    let today = &by_day[1];
    assert_eq!(
        today["day"].as_str(),
        Some(chrono::Utc::now().date_naive().to_string().as_str())
    );
    let created = today["created"].as_u64().unwrap_or_default();
    assert!(created > 0, "{dashboard}");
    let per_provider: u64 = today["by_provider"]
        .as_object()
        .map(|m| m.values().filter_map(Value::as_u64).sum())
        .unwrap_or_default();
    assert_eq!(per_provider, created, "{dashboard}");
    let (status, problem) = call(&app, Some(&viewer), Method::GET, "/audit", None).await;
    assert_eq!((status, problem["code"].as_str()), (403, Some("forbidden")));
    let (status, trail) = call(&app, Some(&admin), Method::GET, "/audit?limit=50", None).await;
    assert_eq!(status, 200);
    let entries = trail.as_array().cloned().unwrap_or_default();
    for action in [
        "return_url.approve",
        "session.create",
        "session.view",
        "review.decline",
        "credential.issue",
        "credential.revoke",
    ] {
        assert!(
            entries.iter().any(|e| e["action"] == action),
            "{action}: {trail}"
        );
    }
    assert!(
        entries
            .iter()
            .any(|e| e["action"] == "session.view" && e["actor"] == "vera")
    );
    assert!(!trail.to_string().contains(&pat), "no secret in the trail");

    // A revoked token opens nothing.
    let tokens = app.hub.operator().store();
    let digest = app.hub.keys().bind("operator-token", &viewer);
    let held = tokens
        .operator_token(&digest)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("no token"));
    app.hub
        .revoke_operator_token(AuditActor::Cli, held.id)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let (status, _) = call(&app, Some(&viewer), Method::GET, "/partners", None).await;
    assert_eq!(status, 401);

    // The document describes every operation.
    let (status, doc) = call(&app, None, Method::GET, "/openapi.json", None).await;
    assert_eq!(status, 200);
    assert_eq!(doc["info"]["title"], "idgate: admin API");
    assert!(
        doc["paths"]["/sessions/{id}/review"]["post"].is_object(),
        "{doc}"
    );
}

/// A reviewer's token reaches its partners only.
#[tokio::test]
async fn a_reviewer_token_reaches_its_partners_only() {
    let app = TestApp::spawn().await;
    let acme = app.partner("Acme").await;
    let other = app.partner("Other AS").await;
    let acme_id: PartnerId = acme.id.parse().unwrap_or_else(|e| panic!("{e}"));
    let reviewer = token(&app, "rolf", OperatorRole::Reviewer, vec![acme_id]).await;
    let (_, created) = app
        .hopae(
            &other,
            Method::POST,
            "/verifications",
            Some(json!({"providerId": "bankid"})),
        )
        .await;
    let theirs = created["verificationId"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let (status, problem) = call(
        &app,
        Some(&reviewer),
        Method::GET,
        &format!("/sessions/{theirs}"),
        None,
    )
    .await;
    assert_eq!((status, problem["code"].as_str()), (403, Some("forbidden")));
    let (status, partners) = call(&app, Some(&reviewer), Method::GET, "/partners", None).await;
    assert_eq!(status, 200);
    assert_eq!(partners.as_array().map(Vec::len), Some(1), "{partners}");
    let (status, _) = call(&app, Some(&reviewer), Method::GET, "/dashboard", None).await;
    assert_eq!(status, 403);
}

/// Partners (create with first credentials that work, read, change tier, providers, evidence
/// and return-URL policy, top up) and webhooks (endpoints, deliveries, redelivery to a real
/// receiver), each refused to a viewer and bad bodies answered with problems that change
/// nothing.
#[tokio::test]
async fn an_admin_token_manages_partners_and_webhooks() {
    let app = TestApp::spawn().await;
    let admin = token(&app, "kari", OperatorRole::Admin, Vec::new()).await;
    let viewer = token(&app, "vera", OperatorRole::Viewer, Vec::new()).await;
    let admin = Some(admin.as_str());

    let (status, created) = call(
        &app,
        admin,
        Method::POST,
        "/partners",
        Some(json!({"name": "Nordic Freelance AS", "tier": "self-serve"})),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let id = created["partner"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let ef = created["credentials"]
        .as_array()
        .and_then(|all| all.iter().find(|c| c["kind"] == "easyfreelance"))
        .cloned()
        .unwrap_or_else(|| panic!("no EasyFreelance credential: {created}"));
    let answer = app
        .client
        .get(app.url("/api/v1/webhook-endpoints"))
        .bearer_auth(ef["secrets"]["access_token"].as_str().unwrap_or_default())
        .header(
            "API-key",
            ef["secrets"]["api_key"].as_str().unwrap_or_default(),
        )
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(answer.status(), 200, "the new partner's credential works");
    for (body, expected) in [
        (json!({"name": "  "}), 422),
        (json!({"name": "X", "tier": "gold"}), 422),
        (json!({"nom": "X"}), 400),
    ] {
        let (status, problem) = call(&app, admin, Method::POST, "/partners", Some(body)).await;
        assert_eq!(status, expected, "{problem}");
    }
    let (status, _) = call(
        &app,
        Some(&viewer),
        Method::POST,
        "/partners",
        Some(json!({"name": "Sneaky AS"})),
    )
    .await;
    assert_eq!(status, 403);

    let (status, detail) = call(&app, admin, Method::GET, &format!("/partners/{id}"), None).await;
    assert_eq!(status, 200, "{detail}");
    assert_eq!(detail["token_balance"], 0);
    assert_eq!(
        detail["credentials"].as_array().map(Vec::len),
        created["credentials"].as_array().map(Vec::len)
    );
    assert!(
        !detail
            .to_string()
            .contains(ef["secrets"]["access_token"].as_str().unwrap_or("no-token")),
        "no secret in the partner's view"
    );

    let provider = app
        .hub
        .providers()
        .infos()
        .map(|i| i.id.clone())
        .next()
        .unwrap_or_default();
    let path = format!("/partners/{id}");
    for (body, expected) in [
        (json!({"tier": "custom"}), 422),
        (json!({"sessions_per_minute": 5}), 422),
        (json!({"offered_providers": ["no-such-provider"]}), 422),
        (json!({"evidence": "everything"}), 422),
        (json!({"return_urls": "anywhere"}), 422),
        (json!({"colour": "red"}), 400),
    ] {
        let (status, problem) = call(&app, admin, Method::PATCH, &path, Some(body)).await;
        assert_eq!(status, expected, "{problem}");
        assert!(problem["code"].is_string(), "{problem}");
    }
    let (status, changed) = call(
        &app,
        admin,
        Method::PATCH,
        &path,
        Some(json!({
            "tier": "custom",
            "sessions_per_minute": 9,
            "offered_providers": [provider],
            "evidence": "full",
            "return_urls": "any_https",
        })),
    )
    .await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(
        (
            changed["tier"].as_str(),
            changed["sessions_per_minute"].as_u64(),
            changed["evidence"].as_str(),
            changed["return_urls"].as_str(),
        ),
        (Some("custom"), Some(9), Some("full"), Some("any_https"))
    );
    assert_eq!(changed["offered_providers"], json!([provider]));
    for body in [json!({"evidence": "minimal"}), json!({})] {
        let (status, _) = call(&app, Some(&viewer), Method::PATCH, &path, Some(body)).await;
        assert_eq!(status, 403, "a viewer changes nothing, and is told so");
    }
    let (_, after) = call(&app, admin, Method::GET, &path, None).await;
    assert_eq!(after["partner"]["evidence"], "full", "nothing changed");

    let tokens = format!("/partners/{id}/tokens");
    let (status, entry) = call(
        &app,
        admin,
        Method::POST,
        &tokens,
        Some(json!({"tokens": 50, "note": "invoice 114"})),
    )
    .await;
    assert_eq!((status, entry["balance_after"].as_i64()), (201, Some(50)));
    let (status, _) = call(
        &app,
        admin,
        Method::POST,
        &tokens,
        Some(json!({"tokens": 0})),
    )
    .await;
    assert_eq!(status, 422);

    // Add verification past the partner's own cap: a 429 problem, not a server error.
    let (status, _) = call(
        &app,
        admin,
        Method::PATCH,
        &path,
        Some(json!({"tier": "custom", "sessions_per_minute": 1})),
    )
    .await;
    assert_eq!(status, 200);
    let add = json!({"partner_id": id, "provider": provider, "first_name": "Ola"});
    // Three calls: even across a minute's turn (the cap counts per UTC minute), one is over.
    let mut answers = Vec::new();
    for _ in 0..3 {
        let (status, body) = call(&app, admin, Method::POST, "/sessions", Some(add.clone())).await;
        answers.push((status, body["code"].as_str().map(str::to_owned)));
    }
    assert_eq!(answers[0], (201, None), "{answers:?}");
    assert!(
        answers.contains(&(429, Some("rate_limited".to_owned())))
            && answers
                .iter()
                .all(|(status, _)| *status == 201 || *status == 429),
        "the cap is one a minute: {answers:?}"
    );

    // Webhooks: an endpoint of an API partner, its delivery, a redelivery that arrives.
    let acme = app
        .partner_with_return_url("Acme", "https://partner.example.com/return")
        .await;
    let (receiver, hook_url) = common::Receiver::start().await;
    let (status, endpoint) = app
        .post(&acme, "/api/v1/webhook-endpoints", json!({"url": hook_url}))
        .await;
    assert_eq!(status, 201, "{endpoint}");
    let endpoint = endpoint["id"].as_str().unwrap_or_default().to_owned();
    app.create_flow(&acme, "veriff", "https://partner.example.com/return")
        .await;
    let arrived = || receiver.requests.load(std::sync::atomic::Ordering::SeqCst);
    for _ in 0..200 {
        if arrived() > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let first = arrived();
    assert!(first > 0, "the receiver got the event");
    let (status, endpoints) = call(&app, Some(&viewer), Method::GET, "/webhooks", None).await;
    assert_eq!(status, 200);
    assert!(
        endpoints
            .as_array()
            .is_some_and(|all| all.iter().any(|e| e["id"] == endpoint.as_str())),
        "{endpoints}"
    );
    // Secrets are named (id, dates), their keys never shown.
    assert!(
        endpoints[0]["secrets"][0]["id"].is_string() && !endpoints.to_string().contains("\"key\""),
        "{endpoints}"
    );
    let (status, deliveries) = call(
        &app,
        Some(&viewer),
        Method::GET,
        &format!("/webhooks/{endpoint}/deliveries?limit=10"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{deliveries}");
    let event = deliveries[0]["event_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(deliveries[0]["last_status_code"], 200, "{deliveries}");
    let redeliver = format!("/webhooks/{endpoint}/redeliver");
    let (status, _) = call(
        &app,
        Some(&viewer),
        Method::POST,
        &redeliver,
        Some(json!({"event_id": event})),
    )
    .await;
    assert_eq!(status, 403);
    let (status, problem) = call(
        &app,
        admin,
        Method::POST,
        &redeliver,
        Some(json!({"event_id": "not-an-event"})),
    )
    .await;
    assert_eq!((status, problem["code"].as_str()), (404, Some("not_found")));
    let (status, queued) = call(
        &app,
        admin,
        Method::POST,
        &redeliver,
        Some(json!({"event_id": event})),
    )
    .await;
    assert_eq!(
        (status, queued["queued"].as_u64()),
        (202, Some(1)),
        "{queued}"
    );
    let mut again = first;
    for _ in 0..200 {
        again = arrived();
        if again > first {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(again > first, "redelivered");

    let trail = app
        .hub
        .audit_log(50, None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    for action in [
        "partner.create",
        "partner.change",
        "partner.tokens",
        "webhook.redeliver",
    ] {
        assert!(
            trail
                .iter()
                .any(|e| e.action == action && e.actor == "kari"),
            "{action}"
        );
    }
}

/// Query strings outside what a call takes, and the per-address limit, are problem
/// documents a script can act on (not the pages' HTML).
#[tokio::test]
async fn bad_queries_and_the_request_limit_are_problem_documents() {
    let app = TestApp::spawn_with(|s| {
        s.limits.client_per_second = 1;
        s.limits.client_burst = 6;
    })
    .await;
    let admin = token(&app, "kari", OperatorRole::Admin, Vec::new()).await;
    for path in [
        "/audit?limit=0",
        "/sessions?limit=1001",
        "/dashboard?days=91",
        "/audit?limit=many",
    ] {
        let (status, problem) = call(&app, Some(&admin), Method::GET, path, None).await;
        assert_eq!(
            (status, problem["code"].as_str()),
            (400, Some("invalid_query")),
            "{path}: {problem}"
        );
    }
    let mut limited = None;
    for _ in 0..10 {
        let r = app
            .client
            .get(app.url("/admin/v1/audit"))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        if r.status() == 429 {
            limited = Some(r);
            break;
        }
    }
    let r = limited.unwrap_or_else(|| panic!("the limit never answered"));
    assert_eq!(
        r.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/problem+json")
    );
    assert!(r.headers().contains_key("retry-after"));
    let problem: Value = r.json().await.unwrap_or(Value::Null);
    assert_eq!(problem["code"], "rate_limited", "{problem}");
}
