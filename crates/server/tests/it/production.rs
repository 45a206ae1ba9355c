//! A production deployment (demo partner and test mode off): no sandbox provider is
//! registered, listed or reachable, and their pages are not served. In demo or test mode every
//! test provider, the built-in OpenID Provider included, says it is one; any provider can be
//! taken out of the configuration with `enabled = false`.

use idgate_testkit as common;

use common::{TestApp, text};
use reqwest::Method;
use serde_json::json;

const RETURN: &str = "https://partner.example.com/back";

async fn provider_ids(app: &TestApp, p: &common::Partner) -> Vec<(String, bool)> {
    let (status, body) = app.hopae(p, Method::GET, "/providers", None).await;
    assert_eq!(status, 200, "{body}");
    body.as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|x| (text(x, "id"), x["sandbox"] == true))
        .collect()
}

async fn status_of(app: &TestApp, path: &str) -> u16 {
    app.client
        .get(app.url(path))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .status()
        .as_u16()
}

#[tokio::test]
async fn outside_demo_and_test_mode_no_sandbox_runs() {
    let app = TestApp::spawn_with(|s| {
        s.api.test_mode = false;
        s.demo.partner = false;
    })
    .await;
    let p = app.partner_with_return_url("A", RETURN).await;
    assert_eq!(provider_ids(&app, &p).await, Vec::<(String, bool)>::new());
    for path in [
        "/simulators/oidc/.well-known/openid-configuration",
        "/sandbox/veriff/authorize?state=x",
        "/sandbox/sandbox-qr/app",
    ] {
        assert_eq!(status_of(&app, path).await, 404, "{path}");
    }
    for provider in ["veriff", "sandbox-qr", "eid-simulator"] {
        let (status, body) = app
            .hopae(
                &p,
                Method::POST,
                "/verifications",
                Some(json!({"providerId": provider, "redirectUri": RETURN})),
            )
            .await;
        assert_ne!(status, 201, "{provider}: {body}");
    }
    app.stop().await;
}

#[tokio::test]
async fn in_test_mode_test_providers_say_so_and_enabled_false_removes_one() {
    let app = TestApp::spawn_with(|s| {
        let disabled: idgate_providers::ProviderConfig =
            serde_json::from_value(json!({"adapter": "sandbox_push", "enabled": false}))
                .unwrap_or_else(|e| panic!("{e}"));
        s.providers.insert("sandbox-push".into(), disabled);
    })
    .await;
    let p = app.partner_with_return_url("A", RETURN).await;
    let listed = provider_ids(&app, &p).await;
    assert!(
        !listed.iter().any(|(id, _)| id == "sandbox-push"),
        "{listed:?}"
    );
    assert!(
        listed.iter().all(|(_, sandbox)| *sandbox),
        "every default provider is a test provider, the OIDC simulator too: {listed:?}"
    );
    assert!(listed.iter().any(|(id, _)| id == "eid-simulator"));
    assert_eq!(
        status_of(&app, "/simulators/oidc/.well-known/openid-configuration").await,
        200
    );
    // The OIDC simulator's hosted page carries the sandbox banner.
    let (_, url) = app.hopae_verification(&p, "eid-simulator", RETURN).await;
    let page = app
        .client
        .get(url)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .text()
        .await
        .unwrap_or_default();
    assert!(page.contains("Sandbox."), "{page}");
    app.stop().await;
}

#[test]
fn a_public_https_deployment_refuses_demo_and_test_mode_unless_forced() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let public = "https://verify.example.com";
    let error = |adjust: &dyn Fn(&mut idgate_server::Settings)| {
        let mut s = common::settings(dir.path(), public);
        adjust(&mut s);
        s.validate().err().map(|e| e.to_string())
    };
    let test_mode = error(&|s| s.api.test_mode = true);
    assert!(
        test_mode
            .as_deref()
            .is_some_and(|e| e.contains("api.test_mode")),
        "{test_mode:?}"
    );
    let demo = error(&|s| {
        s.api.test_mode = false;
        s.demo.partner = true;
    });
    assert!(
        demo.as_deref().is_some_and(|e| e.contains("demo.partner")),
        "{demo:?}"
    );
    assert_eq!(
        error(&|s| {
            s.demo.partner = true;
            s.demo.allow_on_https = true;
        }),
        None,
        "an explicitly public demo"
    );
    assert_eq!(error(&|s| s.api.test_mode = false), None, "production");
}

#[tokio::test]
async fn an_https_deployment_sends_hsts_and_a_local_one_does_not() {
    let hsts = |app: &TestApp| {
        let url = app.url("/healthz");
        let client = app.client.clone();
        async move {
            client
                .get(url)
                .send()
                .await
                .unwrap_or_else(|e| panic!("{e}"))
                .headers()
                .get("strict-transport-security")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        }
    };
    let public = TestApp::spawn_with(|s| {
        s.server.public_url = "https://verify.example.com".into();
        s.api.test_mode = false;
    })
    .await;
    assert_eq!(hsts(&public).await.as_deref(), Some("max-age=31536000"));
    public.stop().await;
    let local = TestApp::spawn().await;
    assert_eq!(hsts(&local).await, None);
    local.stop().await;
}

#[tokio::test]
async fn forms_may_go_to_idgate_and_https_providers_only() {
    let csp = |app: &TestApp| {
        let client = app.client.clone();
        let url = app.url("/healthz");
        async move {
            client
                .get(url)
                .send()
                .await
                .unwrap_or_else(|e| panic!("{e}"))
                .headers()
                .get("content-security-policy")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        }
    };
    let production = TestApp::spawn_with(|s| {
        s.api.test_mode = false;
        s.demo.partner = false;
    })
    .await;
    let policy = csp(&production).await;
    assert!(
        policy
            .split(';')
            .map(str::trim)
            .any(|d| d == "form-action 'self' https:"),
        "{policy}"
    );
    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
    let test = TestApp::spawn().await;
    let policy = csp(&test).await;
    assert!(
        policy.contains("form-action 'self' https: http://127.0.0.1:*"),
        "{policy}"
    );
}

/// Sends an authenticated request's head and a little of a promised body, then nothing.
async fn trickle(app: &TestApp, p: &common::Partner) -> tokio::net::TcpStream {
    use tokio::io::AsyncWriteExt;
    let addr = app.base.trim_start_matches("http://").to_owned();
    let mut socket = tokio::net::TcpStream::connect(addr)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let head = format!(
        "POST /api/v1/verification-return-urls HTTP/1.1\r\nHost: x\r\n\
         Authorization: Bearer {}\r\nAPI-key: {}\r\n\
         Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{\"partner",
        p.token, p.api_key
    );
    socket
        .write_all(head.as_bytes())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    socket
}

#[tokio::test]
async fn a_trickled_body_times_out_and_does_not_hold_a_shutdown() {
    use tokio::io::AsyncReadExt;
    let app = TestApp::spawn_with(|s| {
        s.server.request_timeout = "1s".into();
        s.server.shutdown_grace = "1s".into();
    })
    .await;
    let p = app.partner("A").await;
    let mut socket = trickle(&app, &p).await;
    let mut answer = vec![0u8; 512];
    let read = tokio::time::timeout(std::time::Duration::from_secs(20), socket.read(&mut answer))
        .await
        .unwrap_or_else(|_| panic!("no answer: the request was never timed out"))
        .unwrap_or_else(|e| panic!("{e}"));
    let head = String::from_utf8_lossy(&answer[..read]).into_owned();
    assert!(head.starts_with("HTTP/1.1 408"), "{head}");

    // A client that keeps a request open does not keep a stopping server alive.
    let _held = trickle(&app, &p).await;
    tokio::time::timeout(std::time::Duration::from_secs(20), app.stop())
        .await
        .unwrap_or_else(|_| panic!("the server did not stop"));
}

#[tokio::test]
async fn a_client_trickling_its_headers_is_cut_off() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = TestApp::spawn_with(|s| s.server.header_read_timeout = "1s".into()).await;
    let addr = app.base.trim_start_matches("http://").to_owned();
    let mut socket = tokio::net::TcpStream::connect(addr)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    socket
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    // The headers never end: the server closes the connection (with or without a 408).
    let mut answer = vec![0u8; 256];
    let read = tokio::time::timeout(std::time::Duration::from_secs(20), socket.read(&mut answer))
        .await
        .unwrap_or_else(|_| panic!("the connection was kept open"));
    let head = String::from_utf8_lossy(&answer[..read.unwrap_or(0)]).into_owned();
    assert!(
        head.is_empty() || head.starts_with("HTTP/1.1 408"),
        "{head}"
    );
    // The server itself is fine.
    let r = app
        .client
        .get(app.url("/healthz"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), 200);
}
