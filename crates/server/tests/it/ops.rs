//! Operations endpoints under hostile input: whatever method or request id a client sends,
//! `/metrics` keeps its closed label sets and logs never carry the client's text.

use idgate_testkit as common;

use common::TestApp;

/// Every value of `label` in the metrics text.
fn label_values(metrics: &str, label: &str) -> std::collections::BTreeSet<String> {
    let key = format!("{label}=\"");
    metrics
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once(&key).map(|(_, rest)| rest))
        .filter_map(|rest| rest.split_once('"').map(|(value, _)| value.to_owned()))
        .collect()
}

async fn metrics(app: &TestApp) -> String {
    app.client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .text()
        .await
        .unwrap_or_default()
}

#[tokio::test]
async fn random_methods_add_no_metric_series() {
    let app = TestApp::spawn().await;
    let long = format!("X{}", "M".repeat(4_000));
    let mut methods: Vec<String> = (0..1_500).map(|i| format!("XMETHOD{i}")).collect();
    methods.push(long);
    for (i, method) in methods.iter().enumerate() {
        let method =
            reqwest::Method::from_bytes(method.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        let path = if i % 2 == 0 { "/nope" } else { "/healthz" };
        let answer = app
            .client
            .request(method, app.url(path))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(answer.status().is_client_error(), "{}", answer.status());
    }
    let text = metrics(&app).await;
    let seen = label_values(&text, "method");
    let allowed = [
        "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT", "other",
    ];
    assert!(
        seen.iter().all(|m| allowed.contains(&m.as_str())),
        "methods outside the closed set: {seen:?}"
    );
    assert!(
        seen.contains("other"),
        "the odd methods were counted as other"
    );
    assert!(!text.contains("XMETHOD"));
    assert!(
        label_values(&text, "route")
            .iter()
            .all(|r| r == "unmatched" || r.starts_with('/')),
        "routes are templates"
    );
    app.stop().await;
}

#[tokio::test]
async fn an_unusable_request_id_is_replaced() {
    let app = TestApp::spawn().await;
    for hostile in [
        "a".repeat(65),
        "two words".to_owned(),
        "x\u{7f}y".to_owned(),
    ] {
        let Ok(value) = reqwest::header::HeaderValue::from_bytes(hostile.as_bytes()) else {
            continue;
        };
        let answer = app
            .client
            .get(app.url("/healthz"))
            .header("x-request-id", value)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let echoed = answer
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        assert_ne!(echoed, hostile);
        assert_eq!(echoed.len(), 36, "a fresh UUID: {echoed}");
    }
    app.stop().await;
}
