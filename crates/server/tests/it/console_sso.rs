//! Single sign-on to the console at a real, independent OpenID Provider: panva's
//! `oidc-provider` (the npm peer the OIDC adapter's tests use), with PKCE required. The
//! browser is an HTTP client that keeps cookies and follows redirects one by one.

use idgate_testkit as common;

use crate::console::{browser, field, operator};
use common::oidc::{HIGH, LOW, Op, free_port};
use common::{TestApp, location};
use idgate_core::OperatorRole;
use idgate_hub::service::operators::AuditActor;

/// idgate whose console signs in at `issuer`, asking for (and requiring) eIDAS high.
async fn app_with_sso(issuer: &str) -> TestApp {
    let issuer = issuer.to_owned();
    TestApp::spawn_with(move |s| {
        s.console.sso.issuer = issuer;
        s.console.sso.client_id = "idgate-test".into();
        s.console.sso.client_secret = "idgate-test-secret".into();
        s.console.sso.label = "Example SSO".into();
        s.console.sso.acr_values = vec![HIGH.to_owned()];
    })
    .await
}

async fn send(request: reqwest::RequestBuilder) -> reqwest::Response {
    request.send().await.unwrap_or_else(|e| panic!("{e}"))
}

/// Presses "Sign in with Example SSO" on the sign-in page; returns the provider's
/// authorization URL idgate redirects to.
async fn press_sso(app: &TestApp, browser: &reqwest::Client) -> String {
    let page = send(browser.get(app.url("/console/sign-in")))
        .await
        .text()
        .await
        .unwrap_or_default();
    assert!(page.contains("Sign in with Example SSO"), "{page}");
    let pre = field(&page, "pre");
    let r = send(
        browser
            .post(app.url("/console/sso"))
            .form(&[("pre", pre.as_str())]),
    )
    .await;
    assert_eq!(r.status(), 303);
    let cookie = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("idgate-console-sso="))
        .unwrap_or_else(|| panic!("no flow cookie"))
        .to_owned();
    // It must come back with the provider's cross-site redirect.
    assert!(
        cookie.contains("SameSite=Lax") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
    location(&r)
}

/// Logs in at the provider as `person` with `acr` (or denies); returns idgate's callback URL
/// the provider sends the browser to.
async fn at_the_provider(
    app: &TestApp,
    browser: &reqwest::Client,
    authorize: &str,
    login: Option<(&str, &str)>,
) -> String {
    let origin = authorize
        .split("/auth")
        .next()
        .unwrap_or_default()
        .to_owned();
    let r = send(browser.get(authorize)).await;
    let interaction = location(&r);
    assert!(
        interaction.starts_with("/interaction/"),
        "{} {interaction}",
        r.status()
    );
    let mut r = match login {
        Some((person, acr)) => {
            send(
                browser
                    .post(format!("{origin}{interaction}/login"))
                    .form(&[("login", person), ("acr", acr)]),
            )
            .await
        }
        None => send(browser.post(format!("{origin}{interaction}/deny"))).await,
    };
    for _ in 0..10 {
        let next = location(&r);
        assert!(!next.is_empty(), "the provider stopped at {}", r.status());
        let next = if next.starts_with('/') {
            format!("{origin}{next}")
        } else {
            next
        };
        if next.starts_with(&app.base) {
            return next;
        }
        r = send(browser.get(&next)).await;
    }
    panic!("the provider never sent the browser back");
}

async fn page(browser: &reqwest::Client, url: &str) -> (u16, String) {
    let r = send(browser.get(url)).await;
    (r.status().as_u16(), r.text().await.unwrap_or_default())
}

#[tokio::test]
async fn an_operator_signs_in_through_single_sign_on_at_a_real_openid_provider() {
    let port = free_port();
    let app = app_with_sso(&format!("http://127.0.0.1:{port}")).await;
    let op = Op::start(port, &app.url("/console/sso/callback"), &[]).await;
    let anna = operator(&app, "anna.admin", OperatorRole::Admin, Vec::new()).await;
    app.hub
        .link_single_sign_on(AuditActor::Cli, "anna.admin", Some("anna"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    // Anna: the code flow with PKCE and a nonce, her provider session, then the console.
    let anna_browser = browser();
    let authorize = press_sso(&app, &anna_browser).await;
    let url = url::Url::parse(&authorize).unwrap_or_else(|e| panic!("{e}"));
    let params: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
    assert_eq!(
        params.get("code_challenge_method").map(String::as_str),
        Some("S256")
    );
    assert!(params.contains_key("nonce") && params.contains_key("state"));
    assert_eq!(params.get("acr_values").map(String::as_str), Some(HIGH));
    assert_eq!(
        params.get("redirect_uri"),
        Some(&app.url("/console/sso/callback"))
    );
    let callback = at_the_provider(&app, &anna_browser, &authorize, Some(("anna", HIGH))).await;

    // Login CSRF: Anna's unused return, carried to another browser (which has a flow of its
    // own) or to one with no flow, signs nobody in there; Anna's own browser then finishes.
    let other = browser();
    let _ = press_sso(&app, &other).await;
    let (status, body) = page(&other, &callback).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(page(&other, &app.url("/console")).await.0, 303);
    let stranger = browser();
    let (status, body) = page(&stranger, &callback).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(page(&stranger, &app.url("/console")).await.0, 303);

    let (status, body) = page(&anna_browser, &callback).await;
    assert_eq!(status, 200, "{body}");
    // The session cookie is SameSite=Strict: this page moves on from idgate's own origin.
    assert!(body.contains("http-equiv=\"refresh\""), "{body}");
    let (status, dashboard) = page(&anna_browser, &app.url("/console")).await;
    assert_eq!(status, 200);
    assert!(dashboard.contains("anna.admin"), "{dashboard}");
    // The return counts once: its flow cookie is gone.
    let (status, body) = page(&anna_browser, &callback).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("expired"), "{body}");

    // Kari has an account at the provider but no operator: told how to be linked.
    let kari = browser();
    let authorize = press_sso(&app, &kari).await;
    let callback = at_the_provider(&app, &kari, &authorize, Some(("kari", HIGH))).await;
    let (status, body) = page(&kari, &callback).await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body.contains("subject kari") && body.contains("idgate operator sso USERNAME"),
        "{body}"
    );

    // Anna at a lower level than the console requires.
    let weak = browser();
    let authorize = press_sso(&app, &weak).await;
    let callback = at_the_provider(&app, &weak, &authorize, Some(("anna", LOW))).await;
    let (status, body) = page(&weak, &callback).await;
    assert_eq!(status, 401, "{body}");
    assert!(body.contains("not strong enough"), "{body}");

    // Denied at the provider.
    let denied = browser();
    let authorize = press_sso(&app, &denied).await;
    let callback = at_the_provider(&app, &denied, &authorize, None).await;
    let (status, body) = page(&denied, &callback).await;
    assert_eq!(status, 401, "{body}");
    assert!(body.contains("access_denied"), "{body}");

    // Unlinked, Anna cannot sign in this way any more; her password and code still work.
    app.hub
        .link_single_sign_on(AuditActor::Cli, "anna.admin", None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let again = browser();
    let authorize = press_sso(&app, &again).await;
    let callback = at_the_provider(&app, &again, &authorize, Some(("anna", HIGH))).await;
    assert_eq!(page(&again, &callback).await.0, 403);

    // Two operators cannot share a subject.
    let ola = operator(&app, "ola", OperatorRole::Viewer, Vec::new()).await;
    app.hub
        .link_single_sign_on(AuditActor::Cli, "ola", Some("kari"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let taken = app
        .hub
        .link_single_sign_on(AuditActor::Cli, "anna.admin", Some("kari"))
        .await;
    assert!(
        matches!(
            taken,
            Err(idgate_hub::service::ServiceError::InvalidOperator(_))
        ),
        "{taken:?}"
    );
    let anna_now = app
        .hub
        .operators()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .into_iter()
        .find(|o| o.id == anna.operator.id)
        .unwrap_or_else(|| panic!("anna is gone"));
    assert_eq!(anna_now.single_sign_on, None, "the refusal changed nothing");
    assert_eq!(ola.operator.username, "ola");

    // The trail: Anna's single-sign-on sign-in, and every refusal.
    let trail = app
        .hub
        .audit_log(50, None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let signed_in = trail.iter().any(|e| {
        e.action == "sign_in" && e.actor == "anna.admin" && e.details["method"] == "single_sign_on"
    });
    assert!(signed_in, "{trail:?}");
    let refused = trail
        .iter()
        .filter(|e| e.action == "sign_in.refused" && e.details["method"] == "single_sign_on")
        .count();
    assert_eq!(refused, 2, "kari, then unlinked anna: {trail:?}");
    assert!(
        trail
            .iter()
            .any(|e| e.action == "operator.link_single_sign_on" && e.target == "operator:ola")
    );
    op.stop().await;
}

#[tokio::test]
async fn without_single_sign_on_the_sign_in_page_offers_none_and_its_routes_refuse() {
    let app = TestApp::spawn().await;
    let b = browser();
    let (status, body) = page(&b, &app.url("/console/sign-in")).await;
    assert_eq!(status, 200);
    assert!(!body.contains("Sign in with"), "{body}");
    let pre = field(&body, "pre");
    let r = send(
        b.post(app.url("/console/sso"))
            .form(&[("pre", pre.as_str())]),
    )
    .await;
    assert_eq!(r.status(), 404);
    let (status, _) = page(&b, &app.url("/console/sso/callback?code=x&state=y")).await;
    assert_eq!(status, 404);
}

/// A provider that does not answer: the sign-in page says so (503), with the password way in
/// still there, and no flow cookie is left behind.
#[tokio::test]
async fn an_unreachable_provider_is_named_on_the_sign_in_page() {
    // A port nothing listens on.
    let app = app_with_sso(&format!("http://127.0.0.1:{}", free_port())).await;
    let b = browser();
    let (_, body) = page(&b, &app.url("/console/sign-in")).await;
    let pre = field(&body, "pre");
    let r = send(
        b.post(app.url("/console/sso"))
            .form(&[("pre", pre.as_str())]),
    )
    .await;
    assert_eq!(r.status(), 503);
    let sets_flow = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.starts_with("idgate-console-sso="));
    assert!(!sets_flow, "no flow was started");
    let body = r.text().await.unwrap_or_default();
    assert!(
        body.contains("Example SSO cannot be reached") && body.contains("id=\"password\""),
        "{body}"
    );
}
