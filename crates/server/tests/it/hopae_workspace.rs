//! Hopae's workspace API, written from Hopae's documentation: a workspace key
//! (`Authorization: Bearer sk_workspace_…`) manages an app's webhook config (`GET`/`PATCH
//! /apps/{clientId}/webhook-config`, `POST …/rotate-secret` returning `{"secret": "whsec_…"}`),
//! its redirect URIs (`GET`/`PUT /apps/{clientId}/redirect-uris` with `{"redirectUris": […]}`)
//! and its client secret (`POST /apps/{clientId}/rotate-client-secret`, 201
//! `{"clientSecret": …}`, the old one invalid at once). Errors come in the workspace envelope
//! `{"error": {"code", "message", "details"}, "request_id"}`. Webhooks are checked the way
//! Hopae's signing guide does it: HMAC-SHA256 over `{t}.{body}`, the last `v1` kept.

use idgate_testkit as common;

use common::{Partner, Receiver, TestApp, text};
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;

const RETURN: &str = "https://partner.example.com/return";

/// A workspace API call with `key` as the Bearer token.
async fn ws(
    app: &TestApp,
    key: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = app
        .client
        .request(method, app.url(&format!("/connect/v1{path}")))
        .bearer_auth(key);
    if let Some(body) = body {
        request = request.json(&body);
    }
    common::read(request.send().await.unwrap_or_else(|e| panic!("{e:?}"))).await
}

/// The workspace envelope with `code`.
fn assert_envelope(status: u16, body: &Value, want: u16, code: &str) {
    assert_eq!(status, want, "{body}");
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(!text(&body["error"], "message").is_empty(), "{body}");
    assert!(body["error"]["details"].is_object(), "{body}");
    assert!(!text(body, "request_id").is_empty(), "{body}");
}

async fn eventually(what: &str, mut cond: impl AsyncFnMut() -> bool) {
    for _ in 0..200 {
        if cond().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting until {what}");
}

/// Hopae's documented check: `t` within 300 s, HMAC-SHA256 of `{t}.{raw body}` with the
/// secret as shown, compared with the **last** `v1` of the header (as Hopae's example does).
fn hopae_example_verifies(secret: &str, header: &str, body: &[u8]) -> bool {
    let mut t = None;
    let mut v1 = None;
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", v)) => t = v.parse::<i64>().ok(),
            Some(("v1", v)) => v1 = hex::decode(v).ok(),
            _ => {}
        }
    }
    let (Some(t), Some(v1)) = (t, v1) else {
        return false;
    };
    if (chrono::Utc::now().timestamp() - t).abs() > 300 {
        return false;
    }
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, secret.as_bytes());
    let mut signed = format!("{t}.").into_bytes();
    signed.extend_from_slice(body);
    aws_lc_rs::hmac::verify(&key, &signed, &v1).is_ok()
}

fn signature(headers: &axum::http::HeaderMap) -> String {
    headers
        .get("x-hopae-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

async fn decide(app: &TestApp, p: &Partner, id: &str) {
    let (status, body) = app
        .hopae(
            p,
            Method::POST,
            &format!("/sandbox/verifications/{id}/decision"),
            Some(json!({"outcome": "approved"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn a_workspace_key_lists_its_apps_and_nothing_else_gets_in() {
    let app = TestApp::spawn().await;
    let p = app.partner("Acme").await;
    let other = app.partner("Globex").await;
    assert!(
        p.workspace_key.starts_with("sk_workspace_prod_"),
        "{}",
        p.workspace_key
    );

    // No key, a wrong key, the app's Basic credentials: the documented 401.
    let (status, body) = common::read(
        app.client
            .get(app.url("/connect/v1/apps"))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e:?}")),
    )
    .await;
    assert_envelope(status, &body, 401, "AUTH_INVALID_CREDENTIALS");
    let last = if p.workspace_key.ends_with('x') {
        'y'
    } else {
        'x'
    };
    let wrong = format!("{}{last}", &p.workspace_key[..p.workspace_key.len() - 1]);
    let (status, body) = ws(&app, &wrong, Method::GET, "/apps", None).await;
    assert_envelope(status, &body, 401, "AUTH_INVALID_CREDENTIALS");
    let (status, body) = app.hopae(&p, Method::GET, "/apps", None).await;
    assert_envelope(status, &body, 401, "AUTH_INVALID_CREDENTIALS");
    // Hopae's test keys are taken as well.
    let test_key = p.workspace_key.replacen("_prod_", "_test_", 1);
    let (status, _) = ws(&app, &test_key, Method::GET, "/apps", None).await;
    assert_eq!(status, 200);

    // The list: `{data, total, limit, offset}`, apps named by `clientId`, no secret.
    let (status, list) = ws(&app, &p.workspace_key, Method::GET, "/apps", None).await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["total"], 1, "{list}");
    assert_eq!(list["limit"], 20);
    assert_eq!(list["offset"], 0);
    let listed = &list["data"][0];
    assert_eq!(listed["clientId"], json!(p.client_id));
    for member in [
        "name",
        "redirectUris",
        "providers",
        "organizationId",
        "webhookConfig",
        "defaultSuccessRedirectUri",
        "defaultFailureRedirectUri",
        "createdAt",
        "updatedAt",
    ] {
        assert!(listed.get(member).is_some(), "{member} in {listed}");
    }
    assert!(listed.get("clientSecret").is_none(), "{listed}");
    assert!(!list.to_string().contains(&p.client_secret));
    assert_eq!(listed["organizationId"], json!(p.id));
    assert_eq!(
        listed["providers"]["sandbox-qr"]["enabled"], true,
        "{listed}"
    );
    let (status, _) = ws(&app, &p.workspace_key, Method::GET, "/apps?limit=0", None).await;
    assert_eq!(status, 400);

    // One app by its client id; another workspace's app does not exist here.
    let (status, one) = ws(
        &app,
        &p.workspace_key,
        Method::GET,
        &format!("/apps/{}", p.client_id),
        None,
    )
    .await;
    assert_eq!(status, 200, "{one}");
    assert_eq!(one["clientId"], json!(p.client_id));
    let (status, body) = ws(
        &app,
        &p.workspace_key,
        Method::GET,
        &format!("/apps/{}", other.client_id),
        None,
    )
    .await;
    assert_envelope(status, &body, 404, "RESOURCE_NOT_FOUND");
    let (status, body) = ws(
        &app,
        &p.workspace_key,
        Method::GET,
        &format!("/apps/{}/webhook-config", other.client_id),
        None,
    )
    .await;
    assert_envelope(status, &body, 404, "RESOURCE_NOT_FOUND");
}

#[tokio::test]
async fn rotating_the_client_secret_ends_the_old_one_at_once() {
    let app = TestApp::spawn().await;
    let p = app.partner_with_return_url("Acme", RETURN).await;
    let (status, _) = app.hopae(&p, Method::GET, "/providers", None).await;
    assert_eq!(status, 200);
    let (status, rotated) = ws(
        &app,
        &p.workspace_key,
        Method::POST,
        &format!("/apps/{}/rotate-client-secret", p.client_id),
        None,
    )
    .await;
    assert_eq!(status, 201, "{rotated}");
    let new_secret = text(&rotated, "clientSecret");
    assert!(!new_secret.is_empty() && new_secret != p.client_secret);
    // The old secret (cached a moment ago) is refused; the new one works under the same id.
    let (status, body) = app.hopae(&p, Method::GET, "/providers", None).await;
    assert_eq!(status, 401, "{body}");
    let renewed = Partner {
        client_secret: new_secret,
        ..p.clone()
    };
    let (id, _) = app.hopae_verification(&renewed, "sandbox-qr", RETURN).await;
    assert!(!id.is_empty());
}

#[tokio::test]
async fn redirect_uris_are_registrations_an_operator_approves_or_the_partner_may() {
    let app = TestApp::spawn().await;
    let p = app.partner("Acme").await;
    let path = format!("/apps/{}/redirect-uris", p.client_id);
    let (status, empty) = ws(&app, &p.workspace_key, Method::GET, &path, None).await;
    assert_eq!(status, 200, "{empty}");
    assert_eq!(empty["redirectUris"], json!([]));

    // Registered, waiting for an operator: not usable yet.
    let wanted = json!({"redirectUris": [RETURN, "https://partner.example.com/other", RETURN]});
    let (status, put) = ws(&app, &p.workspace_key, Method::PUT, &path, Some(wanted)).await;
    assert_eq!(status, 200, "{put}");
    assert_eq!(put["redirectUris"], json!([]));
    assert_eq!(
        put["pendingRedirectUris"],
        json!([RETURN, "https://partner.example.com/other"]),
        "duplicates count once"
    );
    let create = json!({"providerId": "sandbox-qr", "redirectUri": RETURN});
    let (status, refused) = app
        .hopae(&p, Method::POST, "/verifications", Some(create.clone()))
        .await;
    assert_eq!(status, 400, "{refused}");
    assert_eq!(refused["context"]["field"], "redirectUri");

    // The operator approves one: it is usable, and the app shows it.
    let rules = app
        .hub
        .list_return_urls(Some(idgate_core::ReturnUrlStatus::Pending))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let rule = rules
        .iter()
        .find(|r| r.requested_url == RETURN)
        .unwrap_or_else(|| panic!("{rules:?}"));
    app.hub
        .decide_return_url(rule.id, idgate_core::ReturnUrlStatus::Approved)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let (status, _) = app
        .hopae(&p, Method::POST, "/verifications", Some(create.clone()))
        .await;
    assert_eq!(status, 201);
    let (_, now) = ws(&app, &p.workspace_key, Method::GET, &path, None).await;
    assert_eq!(now["redirectUris"], json!([RETURN]), "{now}");
    assert_eq!(
        now["pendingRedirectUris"],
        json!(["https://partner.example.com/other"])
    );

    // A list that leaves a URI out withdraws it: no longer usable.
    let (status, put) = ws(
        &app,
        &p.workspace_key,
        Method::PUT,
        &path,
        Some(json!({"redirectUris": ["https://partner.example.com/other"]})),
    )
    .await;
    assert_eq!(status, 200, "{put}");
    assert_eq!(put["redirectUris"], json!([]));
    let (status, _) = app
        .hopae(&p, Method::POST, "/verifications", Some(create.clone()))
        .await;
    assert_eq!(status, 400, "withdrawn");

    // Bad lists change nothing and say why.
    for (body, field) in [
        (json!({}), "redirectUris"),
        (
            json!({"redirectUris": "https://partner.example.com/x"}),
            "redirectUris",
        ),
        (
            json!({"redirectUris": ["http://partner.example.com/x"]}),
            "redirectUris",
        ),
        (
            json!({"redirectUris": ["https://partner.example.com/x#frag"]}),
            "redirectUris",
        ),
        (
            json!({"redirectUris": (0..21).map(|i| format!("https://partner.example.com/{i}")).collect::<Vec<_>>()}),
            "redirectUris",
        ),
    ] {
        let (status, refused) = ws(
            &app,
            &p.workspace_key,
            Method::PUT,
            &path,
            Some(body.clone()),
        )
        .await;
        assert_eq!(status, 400, "{body}: {refused}");
        assert_eq!(refused["error"]["details"]["field"], field, "{refused}");
    }
    let (_, unchanged) = ws(&app, &p.workspace_key, Method::GET, &path, None).await;
    assert_eq!(
        unchanged["pendingRedirectUris"],
        json!(["https://partner.example.com/other"])
    );

    // An operator lets this partner register its own: approved as registered.
    let change = idgate_hub::service::partners::PartnerChange {
        return_urls: Some(idgate_core::ReturnUrlPolicy::Registered),
        ..Default::default()
    };
    app.hub
        .update_partner(p.id.parse().unwrap_or_else(|e| panic!("{e}")), change)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let (status, put) = ws(
        &app,
        &p.workspace_key,
        Method::PUT,
        &path,
        Some(json!({"redirectUris": [RETURN]})),
    )
    .await;
    assert_eq!(status, 200, "{put}");
    assert_eq!(put["redirectUris"], json!([RETURN]), "{put}");
    let (status, _) = app
        .hopae(&p, Method::POST, "/verifications", Some(create))
        .await;
    assert_eq!(status, 201);
    // EasyFreelance's registration is approved at once too, and answers 201.
    let (status, record) = app
        .post(
            &p,
            "/api/v1/verification-return-urls",
            json!({"partner_return_url": "https://partner.example.com/ef"}),
        )
        .await;
    assert_eq!(status, 201, "{record}");
    assert_eq!(record["status"], "approved", "{record}");
}

#[tokio::test]
async fn an_apps_webhook_config_speaks_either_event_vocabulary_and_signs_with_its_secret() {
    let app = TestApp::spawn().await;
    let p = app.partner_with_return_url("Acme", RETURN).await;
    let config = format!("/apps/{}/webhook-config", p.client_id);

    // Before any config: the documented members, off, no secret yet.
    let (status, empty) = ws(&app, &p.workspace_key, Method::GET, &config, None).await;
    assert_eq!(status, 200, "{empty}");
    assert_eq!(empty["url"], "");
    assert_eq!(empty["enabled"], false);
    assert_eq!(empty["events"], json!([]));
    assert_eq!(empty["retryAttempts"], 3);
    assert_eq!(empty["timeoutSeconds"], 10);
    assert_eq!(empty["secret"], "");

    // Refusals: the secret cannot be set, unknown events, values out of range, a bad URL.
    for (body, code) in [
        (
            json!({"secret": "whsec_mine"}),
            "VALIDATION_INVALID_PARAMETER",
        ),
        (
            json!({"events": ["verification.exploded"]}),
            "VALIDATION_INVALID_PARAMETER",
        ),
        (json!({"retryAttempts": 11}), "VALIDATION_INVALID_PARAMETER"),
        (json!({"timeoutSeconds": 0}), "VALIDATION_INVALID_PARAMETER"),
        (
            json!({"url": "http://partner.example.com/hooks"}),
            "VALIDATION_INVALID_PARAMETER",
        ),
        (json!({"enabled": true}), "VALIDATION_INVALID_PARAMETER"),
    ] {
        let (status, refused) = ws(
            &app,
            &p.workspace_key,
            Method::PATCH,
            &config,
            Some(body.clone()),
        )
        .await;
        assert_envelope(status, &refused, 400, code);
    }

    // The documented PATCH, subscribing with the status-named vocabulary of Hopae's
    // webhook-config page.
    let (receiver, url) = Receiver::start().await;
    let (status, saved) = ws(
        &app,
        &p.workspace_key,
        Method::PATCH,
        &config,
        Some(json!({
            "url": url,
            "events": ["verification.initiated", "verification.completed"],
            "retryAttempts": 5,
            "timeoutSeconds": 15
        })),
    )
    .await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(saved["enabled"], true, "the first URL turns it on: {saved}");
    assert_eq!(saved["url"], json!(url));
    assert_eq!(saved["retryAttempts"], 5);
    assert_eq!(saved["timeoutSeconds"], 15);
    assert_eq!(
        saved["events"],
        json!(["verification.initiated", "verification.completed"])
    );
    assert!(text(&saved, "secret").starts_with("whsec_"), "{saved}");
    // The underscore spelling of one documentation page reads the same config.
    let (status, same) = ws(
        &app,
        &p.workspace_key,
        Method::GET,
        &format!("/apps/{}/webhook_config", p.client_id),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(same, saved);

    // Rotate: `{secret}`, shown by GET from now on.
    let (status, rotated) = ws(
        &app,
        &p.workspace_key,
        Method::POST,
        &format!("{config}/rotate-secret"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{rotated}");
    let secret = text(&rotated, "secret");
    assert!(secret.starts_with("whsec_") && secret != text(&saved, "secret"));
    let (_, after) = ws(&app, &p.workspace_key, Method::GET, &config, None).await;
    assert_eq!(after["secret"], json!(secret));

    // A second app of the same workspace subscribes in the AsyncAPI vocabulary.
    let second = app
        .hub
        .issue_credential(
            p.id.parse().unwrap_or_else(|e| panic!("{e}")),
            idgate_core::CredentialKind::Hopae,
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let second_id = second.secret("client_id").unwrap_or_default().to_owned();
    let (second_receiver, second_url) = Receiver::start().await;
    let (status, second_saved) = ws(
        &app,
        &p.workspace_key,
        Method::PATCH,
        &format!("/apps/{second_id}/webhook-config"),
        Some(json!({"url": second_url, "enabled": true, "events": ["verification.created", "verification.completed"]})),
    )
    .await;
    assert_eq!(status, 200, "{second_saved}");
    let second_secret = text(&second_saved, "secret");
    let (_, list) = ws(&app, &p.workspace_key, Method::GET, "/apps", None).await;
    assert_eq!(list["total"], 2, "{list}");

    let (id, _) = app.hopae_verification(&p, "sandbox-qr", RETURN).await;
    decide(&app, &p, &id).await;
    eventually(
        "both apps heard the creation and the completion",
        async || receiver.accepted().len() == 2 && second_receiver.accepted().len() == 2,
    )
    .await;
    let names = |r: &Receiver| -> Vec<(String, String)> {
        r.accepted()
            .iter()
            .map(|(_, b)| (text(b, "event"), text(&b["data"]["event"], "type")))
            .collect()
    };
    let first_names = names(&receiver);
    assert_eq!(
        first_names,
        vec![
            (
                "verification.initiated".to_owned(),
                "verification.initiated".to_owned()
            ),
            (
                "verification.completed".to_owned(),
                "verification.completed".to_owned()
            ),
        ]
    );
    assert_eq!(
        names(&second_receiver),
        vec![
            (
                "verification.created".to_owned(),
                "verification.created".to_owned()
            ),
            (
                "verification.completed".to_owned(),
                "verification.completed".to_owned()
            ),
        ]
    );
    // Signed as Hopae documents, each with its app's current secret; `clientId` names the app
    // that created the verification.
    for (headers, body) in receiver.raw() {
        assert!(
            hopae_example_verifies(&secret, &signature(&headers), &body),
            "{}",
            signature(&headers)
        );
        let value: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        assert_eq!(value["clientId"], json!(p.client_id));
        assert_eq!(value["data"]["verificationId"], json!(id));
    }
    for (headers, body) in second_receiver.raw() {
        assert!(hopae_example_verifies(
            &second_secret,
            &signature(&headers),
            &body
        ));
    }

    // Turned off: nothing more arrives.
    let (status, off) = ws(
        &app,
        &p.workspace_key,
        Method::PATCH,
        &config,
        Some(json!({"enabled": false})),
    )
    .await;
    assert_eq!(status, 200, "{off}");
    assert_eq!(off["enabled"], false);
    let (other, _) = app.hopae_verification(&p, "sandbox-qr", RETURN).await;
    eventually("the second app heard the next one", async || {
        second_receiver.accepted().len() == 3
    })
    .await;
    assert_eq!(
        receiver.accepted().len(),
        2,
        "{other} went to a disabled config"
    );
}

#[tokio::test]
async fn a_webhook_url_on_create_works_without_an_endpoint_signed_with_the_apps_secret() {
    let app = TestApp::spawn().await;
    let p = app.partner_with_return_url("Acme", RETURN).await;
    let (own, own_url) = Receiver::start().await;
    // No endpoint, no config: the create works (Hopae's documented per-verification URL).
    let (status, created) = app
        .hopae(
            &p,
            Method::POST,
            "/verifications",
            Some(json!({"providerId": "sandbox-qr", "redirectUri": RETURN, "webhookUrl": own_url})),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let id = text(&created, "verificationId");
    // The app's secret was made for it and is shown by the workspace API; the config itself
    // stays off with no URL.
    let (_, config) = ws(
        &app,
        &p.workspace_key,
        Method::GET,
        &format!("/apps/{}/webhook-config", p.client_id),
        None,
    )
    .await;
    let secret = text(&config, "secret");
    assert!(secret.starts_with("whsec_"), "{config}");
    assert_eq!(config["enabled"], false);
    assert_eq!(config["url"], "");
    decide(&app, &p, &id).await;
    eventually("the verification's events reached its URL", async || {
        own.accepted()
            .iter()
            .any(|(_, b)| b["event"] == "verification.completed")
    })
    .await;
    for (headers, body) in own.raw() {
        assert!(
            hopae_example_verifies(&secret, &signature(&headers), &body),
            "signed with the app's webhook secret: {}",
            signature(&headers)
        );
    }
}
