//! The outbound policy of a served node, with the environment a production host may have:
//! proxy variables do not route webhook calls past the address guard, and partners' delivery
//! logs say an address is not allowed without naming the internal address.

use crate::support::{Db, after, free_port, run_json, serve};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// A TCP listener that counts connections (a would-be proxy).
async fn counting_listener() -> (u16, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let port = listener
        .local_addr()
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("{e}"));
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            seen.fetch_add(1, Ordering::SeqCst);
            drop(stream);
        }
    });
    (port, count)
}

#[tokio::test]
async fn proxy_variables_are_ignored_and_blocked_addresses_are_not_named() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let db = Db::for_test(dir.path());
    let (proxy_port, proxied) = counting_listener().await;
    let proxy = format!("http://127.0.0.1:{proxy_port}");
    let env = [
        ("HTTP_PROXY", proxy.as_str()),
        ("HTTPS_PROXY", proxy.as_str()),
        ("ALL_PROXY", proxy.as_str()),
        ("http_proxy", proxy.as_str()),
        ("https_proxy", proxy.as_str()),
    ];
    let node = serve(dir.path(), &db, free_port(), &env).await;
    let base = node.base();
    let token = after(&node.printed, "access token:").to_owned();
    let api_key = after(&node.printed, "API-key:").to_owned();
    let http = reqwest::Client::new();
    let authed = |r: reqwest::RequestBuilder| r.bearer_auth(&token).header("API-key", &api_key);
    let mut endpoints = Vec::new();
    for url in [
        // A public name (it does not resolve here): through a proxy it would be fetched.
        "https://hooks.partner.example/hook".to_owned(),
        // A name that resolves to loopback, which the guard refuses.
        format!("https://localhost:{}/hook", free_port()),
    ] {
        let created: Value = authed(http.post(format!("{base}/api/v1/webhook-endpoints")))
            .json(&json!({ "url": url }))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .json()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        endpoints.push(created["id"].as_str().unwrap_or_default().to_owned());
    }
    let flow = authed(http.post(format!("{base}/api/v1/users/9/verification/flows")))
        .json(&json!({"provider": "bankid", "partner_return_url": format!("{base}/demo/return")}))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(flow.status(), 201);

    let mut errors: Vec<String> = Vec::new();
    for _ in 0..150 {
        errors.clear();
        for endpoint in &endpoints {
            let deliveries = run_json(
                dir.path(),
                &db,
                &["webhook", "deliveries", endpoint, "--json"],
            )
            .await;
            if let Some(error) = deliveries
                .as_array()
                .and_then(|d| d.iter().find_map(|x| x["last_error"].as_str()))
            {
                errors.push(error.to_owned());
            }
        }
        if errors.len() == endpoints.len() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(errors.len(), 2, "both endpoints were attempted: {errors:?}");
    assert_eq!(
        proxied.load(Ordering::SeqCst),
        0,
        "no call went to the proxy from the environment"
    );
    let blocked = &errors[1];
    assert!(blocked.contains("address not allowed"), "{blocked}");
    assert!(
        !blocked.contains("127.0.0.1") && !blocked.contains("::1"),
        "the partner's log does not name the internal address: {blocked}"
    );
    node.stop().await;
}
