//! Quotas: the session-creation cap per partner (per minute, counted by the store), token
//! buckets per credential and per client address, and the bound on provider round trips per
//! session. Every refusal is a 429 with `Retry-After` and the `RateLimit` fields, in the
//! dialect's own error shape or as a page for people. The cap across two nodes is in the CLI
//! crate's multi-node tests.

use idgate_testkit as common;

use common::{Partner, TestApp, location, query, read, room_in_this_minute};
use serde_json::json;

const RETURN: &str = "https://partner.example.com/back";

fn header(r: &reqwest::Response, name: &str) -> String {
    r.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

async fn create_flow(app: &TestApp, p: &Partner) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/users/42/verification/flows"))
        .headers(p.headers())
        .json(&json!({ "provider": "bankid", "partner_return_url": RETURN }))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test]
async fn a_partner_creates_no_more_sessions_a_minute_than_its_cap_in_any_dialect() {
    let app = TestApp::spawn().await;
    let p = app.partner_with_return_url("Capped", RETURN).await;
    let other = app.partner_with_return_url("Other", RETURN).await;
    app.set_session_cap(&p, 3).await;
    room_in_this_minute(20).await;

    for _ in 0..2 {
        assert_eq!(create_flow(&app, &p).await.status(), 201);
    }
    // The Hopae dialect draws on the same cap.
    let (_, _) = app.hopae_verification(&p, "sandbox-qr", RETURN).await;
    let refused = create_flow(&app, &p).await;
    assert_eq!(refused.status(), 429);
    let retry: u64 = header(&refused, "retry-after").parse().unwrap_or(0);
    assert!((1..=60).contains(&retry), "Retry-After {retry}");
    assert_eq!(
        header(&refused, "ratelimit-policy"),
        "\"sessions\";q=3;w=60"
    );
    assert_eq!(
        header(&refused, "ratelimit"),
        format!("\"sessions\";r=0;t={retry}")
    );
    assert_eq!(header(&refused, "content-type"), "application/problem+json");
    let (_, body) = read(refused).await;
    assert_eq!(body["code"], "rate_limited");
    assert_eq!(body["status"], 429);
    assert!(
        body["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("3 verification sessions per minute"),
        "{body}"
    );

    let (status, body) = app
        .hopae(
            &p,
            reqwest::Method::POST,
            "/verifications",
            Some(json!({ "providerId": "sandbox-qr", "redirectUri": RETURN })),
        )
        .await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["code"], "RATE_LIMIT_EXCEEDED");

    // A refused create wrote nothing; reads still work; another partner is not affected.
    let (status, listed) = app.get(&p, "/api/v1/verification-return-urls").await;
    assert_eq!(status, 200, "{listed}");
    assert_eq!(create_flow(&app, &other).await.status(), 201);
}

#[tokio::test]
async fn a_refused_request_costs_no_quota() {
    let app = TestApp::spawn().await;
    let p = app.partner_with_return_url("Capped", RETURN).await;
    app.set_session_cap(&p, 1).await;
    room_in_this_minute(20).await;
    // Invalid creates (an unapproved return URL, a missing id_type) are refused before the
    // cap is counted, so the one allowed session is still there to create.
    for body in [
        json!({ "provider": "bankid", "partner_return_url": "https://elsewhere.example.com/" }),
        json!({ "provider": "veriff", "partner_return_url": RETURN }),
    ] {
        let (status, answer) = app
            .post(&p, "/api/v1/users/42/verification/flows", body)
            .await;
        assert_eq!(status, 422, "{answer}");
    }
    assert_eq!(create_flow(&app, &p).await.status(), 201);
    assert_eq!(create_flow(&app, &p).await.status(), 429);
}

#[tokio::test]
async fn each_credential_has_its_own_bucket() {
    let app = TestApp::spawn_with(|s| {
        s.limits.credential_per_second = 1;
        s.limits.credential_burst = 4;
    })
    .await;
    let p = app.partner("A").await;
    let other = app.partner("B").await;
    let mut statuses = Vec::new();
    for _ in 0..6 {
        let (status, _) = app.get(&p, "/api/v1/verification-return-urls").await;
        statuses.push(status);
    }
    // Four at once, then refused (a token comes back each second; the loop is faster).
    assert_eq!(&statuses[..4], &[200, 200, 200, 200], "{statuses:?}");
    assert_eq!(statuses[5], 429, "{statuses:?}");
    let refused = app
        .client
        .get(app.url("/api/v1/verification-return-urls"))
        .headers(p.headers())
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(refused.status(), 429);
    assert_eq!(header(&refused, "retry-after"), "1");
    assert_eq!(
        header(&refused, "ratelimit-policy"),
        "\"credential\";q=4;w=4"
    );
    // The partner's Hopae credential and another partner's credential are untouched.
    let (status, _) = app
        .hopae(&p, reqwest::Method::GET, "/providers", None)
        .await;
    assert_eq!(status, 200);
    let (status, _) = app.get(&other, "/api/v1/verification-return-urls").await;
    assert_eq!(status, 200);
    // Wrong credentials drain nothing: they are refused as before.
    let stranger = Partner {
        api_key: "00000000-0000-4000-8000-000000000000".into(),
        ..other.clone()
    };
    for _ in 0..6 {
        let (status, _) = app.get(&stranger, "/api/v1/verification-return-urls").await;
        assert_eq!(status, 401);
    }
    let (status, _) = app.get(&other, "/api/v1/verification-return-urls").await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn the_public_pages_limit_each_client_address() {
    let app = TestApp::spawn_with(|s| {
        s.limits.client_per_second = 1;
        s.limits.client_burst = 3;
    })
    .await;
    let p = app.partner_with_return_url("A", RETURN).await;
    let (_, url) = app.hopae_verification(&p, "veriff", RETURN).await;
    let mut statuses = Vec::new();
    for _ in 0..5 {
        let r = app
            .client
            .get(&url)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        statuses.push(r.status().as_u16());
        if r.status() == 429 {
            assert_eq!(header(&r, "retry-after"), "1");
            let page = r.text().await.unwrap_or_default();
            assert!(page.contains("Too many requests"), "{page}");
        }
    }
    assert_eq!(&statuses[..3], &[200, 200, 200], "{statuses:?}");
    assert_eq!(statuses[4], 429, "{statuses:?}");
    // The OpenID Connect front door is reached by people's browsers too (its authorize
    // creates verifications): the same limit.
    let r = app
        .client
        .get(app.url("/connect/oidc/authorize"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), 429);
    // The partner API is not a public page: its credential limit is separate (off here).
    let (status, _) = app.get(&p, "/api/v1/verification-return-urls").await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn a_session_allows_a_few_provider_round_trips_then_none() {
    let app = TestApp::spawn_with(|s| s.limits.provider_exchanges_per_session = 3).await;
    let p = app.partner_with_return_url("A", RETURN).await;
    let (id, url) = app.hopae_verification(&p, "veriff", RETURN).await;
    let started = app
        .client
        .post(format!("{url}/start"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(started.status(), 303);
    let state = query(&location(&started))
        .get("state")
        .cloned()
        .unwrap_or_default();
    let callback = |outcome: &str| {
        let mut u = url::Url::parse(&app.url("/callback/veriff")).unwrap_or_else(|e| panic!("{e}"));
        u.query_pairs_mut().append_pair("state", &state);
        if !outcome.is_empty() {
            u.query_pairs_mut().append_pair("outcome", outcome);
        }
        u.to_string()
    };
    // Three answers the provider refuses (no outcome): each is one round trip.
    for _ in 0..3 {
        let r = app
            .client
            .get(callback(""))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.status(), 400);
    }
    // The fourth is not sent to the provider at all, even a good one.
    let r = app
        .client
        .get(callback("approved"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), 429);
    let page = r.text().await.unwrap_or_default();
    assert!(page.contains("tried too many times"), "{page}");
    assert_eq!(app.hopae_status(&p, &id).await, "pending");
}
