//! The hosted flow inside a partner's page: framing is refused everywhere unless an operator
//! allowed the partner's origins, and a framed flow ends on a page that tells the parent
//! instead of loading the partner's return URL inside the frame. (Chromium runs the whole
//! thing with Veriff's InContext SDK in `browser_e2e`.)

use idgate_testkit as common;

use common::{TestApp, browser, location, query};
use idgate_hub::service::partners::PartnerChange;

const RETURN: &str = "https://partner.example.com/back";

/// Where a redirect goes, as an absolute URL.
fn target(app: &TestApp, r: &reqwest::Response) -> String {
    let to = location(r);
    if to.starts_with('/') {
        app.url(&to)
    } else {
        to
    }
}

fn header(r: &reqwest::Response, name: &str) -> Option<String> {
    r.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

fn frame_ancestors(r: &reqwest::Response) -> String {
    header(r, "content-security-policy")
        .and_then(|csp| {
            csp.split(';')
                .map(str::trim)
                .find_map(|d| d.strip_prefix("frame-ancestors ").map(str::to_owned))
        })
        .unwrap_or_default()
}

async fn allow(app: &TestApp, partner: &common::Partner, origins: &[&str]) {
    let id = partner.id.parse().unwrap_or_else(|e| panic!("{e}"));
    let origins = origins
        .iter()
        .map(|o| o.parse().unwrap_or_else(|e| panic!("{e}")))
        .collect();
    app.hub
        .update_partner(
            id,
            PartnerChange {
                frame_ancestors: Some(origins),
                ..PartnerChange::default()
            },
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
}

#[tokio::test]
async fn only_the_partners_allowed_origins_may_frame_its_pages() {
    let app = TestApp::spawn().await;
    let shop = app.partner_with_return_url("Shop", RETURN).await;
    let other = app.partner_with_return_url("Other", RETURN).await;
    let (_, url) = app.hopae_verification(&shop, "veriff", RETURN).await;
    let (_, other_url) = app.hopae_verification(&other, "veriff", RETURN).await;
    let client = browser();

    // By default nobody may frame anything.
    let r = client
        .get(&url)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(frame_ancestors(&r), "'none'");
    assert_eq!(header(&r, "x-frame-options").as_deref(), Some("DENY"));

    allow(
        &app,
        &shop,
        &["https://shop.example.com", "https://m.shop.example.com"],
    )
    .await;
    let r = client
        .get(&url)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), 200);
    assert_eq!(
        frame_ancestors(&r),
        "https://shop.example.com https://m.shop.example.com"
    );
    assert_eq!(header(&r, "x-frame-options"), None);
    let csp = header(&r, "content-security-policy").unwrap_or_default();
    assert!(
        csp.contains("default-src 'none'"),
        "the rest of the policy stays: {csp}"
    );
    // The sandbox provider's page of that session may be framed too.
    let start = client
        .post(format!("{url}/start"))
        .header("sec-fetch-dest", "iframe")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let cookie = header(&start, "set-cookie").unwrap_or_default();
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    let sandbox = target(&app, &start);
    let r = client
        .get(&sandbox)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), 200);
    assert_eq!(
        frame_ancestors(&r),
        "https://shop.example.com https://m.shop.example.com"
    );

    // Another partner's session, the API and the operational endpoints stay unframeable.
    let r = client
        .get(&other_url)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(frame_ancestors(&r), "'none'");
    assert_eq!(header(&r, "x-frame-options").as_deref(), Some("DENY"));
    for path in ["/healthz", "/v1/openapi.json", "/connect/v1/providers"] {
        let r = client
            .get(app.url(path))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(frame_ancestors(&r), "'none'", "{path}");
        assert_eq!(
            header(&r, "x-frame-options").as_deref(),
            Some("DENY"),
            "{path}"
        );
    }
}

/// Approves a started sandbox session and returns the callback's answer, fetched as a frame
/// (`framed`) or as a top-level page.
async fn approve(
    app: &TestApp,
    client: &reqwest::Client,
    url: &str,
    framed: bool,
) -> reqwest::Response {
    let start = client
        .post(format!("{url}/start"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let authorize = target(app, &start);
    let state = query(&authorize).get("state").cloned().unwrap_or_default();
    let submitted = client
        .post(app.url("/sandbox/veriff/authorize"))
        .form(&[("state", state.as_str()), ("outcome", "approved")])
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let mut callback = client.get(target(app, &submitted));
    if framed {
        callback = callback.header("sec-fetch-dest", "iframe");
    }
    callback.send().await.unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test]
async fn a_framed_flow_ends_by_telling_the_parent_not_by_loading_the_return_url() {
    let app = TestApp::spawn().await;
    let shop = app.partner_with_return_url("Shop", RETURN).await;
    allow(&app, &shop, &["https://shop.example.com"]).await;

    let (_, url) = app.hopae_verification(&shop, "veriff", RETURN).await;
    let client = browser();
    let r = approve(&app, &client, &url, true).await;
    assert_eq!(r.status(), 200);
    assert_eq!(frame_ancestors(&r), "https://shop.example.com");
    let page = r.text().await.unwrap_or_default();
    assert!(
        page.contains(r#"data-frame-event-on-load="VERIFF_FINISHED""#),
        "{page}"
    );
    // The way on, at the top level, carries the outcome as a redirect would have.
    let link = page
        .split("<a href=\"")
        .find(|rest| rest.contains(r#"id="continue-to-partner""#))
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_default()
        .replace("&#38;", "&")
        .replace("&amp;", "&");
    assert!(link.starts_with(&format!("{RETURN}?")), "{link}");
    assert_eq!(
        query(&link).get("status").map(String::as_str),
        Some("completed"),
        "the dialect's word for approved: {link}"
    );
    assert!(page.contains(r#"target="_top""#), "{page}");

    // The same flow at the top level is redirected to the return URL, as always.
    let (_, url) = app.hopae_verification(&shop, "veriff", RETURN).await;
    let r = approve(&app, &client, &url, false).await;
    assert_eq!(r.status(), 303);
    assert!(location(&r).starts_with(&format!("{RETURN}?")));

    // A person who cancels in the frame: the parent hears CANCELED.
    let (_, url) = app.hopae_verification(&shop, "veriff", RETURN).await;
    let start = client
        .post(format!("{url}/start"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let state = query(&target(&app, &start))
        .get("state")
        .cloned()
        .unwrap_or_default();
    let submitted = client
        .post(app.url("/sandbox/veriff/authorize"))
        .form(&[("state", state.as_str()), ("outcome", "cancelled")])
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let r = client
        .get(target(&app, &submitted))
        .header("sec-fetch-dest", "iframe")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let page = r.text().await.unwrap_or_default();
    assert!(
        page.contains(r#"data-frame-event-on-load="VERIFF_CANCELED""#),
        "{page}"
    );
}
