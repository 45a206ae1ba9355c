//! Accessibility: axe-core (an npm test peer, installed by `scripts/test`) runs in headless
//! Chromium on every page an end user or a tester of the sandboxes sees: landing pages (redirect
//! and push), the sandbox provider's page, the live QR and push pages, the simulated phone app,
//! BankID's live page and the simulated BankID app, the OIDC simulator's login, the waiting page, result and error pages, the accessibility
//! statement, the provider chooser, with the partner's brand and in another language. Each in the light and
//! the dark colour scheme, at phone and desktop sizes. Any serious or critical violation fails.

use idgate_testkit as common;

use crate::browser_e2e::{browser_with, chromedriver};
use common::{TestApp, location, text};
use serde_json::{Value, json};

/// The pages to check, each reached over HTTP first where it needs a session in some state.
async fn pages(app: &TestApp) -> Vec<(&'static str, String)> {
    let p = app.partner("Accessible AS").await;
    // Branded, so the partner's colour (light and dark shades), logo and footer links are
    // checked too.
    let id = p.id.parse().unwrap_or_else(|e| panic!("{e}"));
    let change = idgate_hub::service::partners::PartnerChange {
        primary_color: Some(Some("#8a1538".into())),
        offered_providers: Some(vec![
            "veriff".into(),
            "sandbox-qr".into(),
            "sandbox-push".into(),
        ]),
        support_contact: Some(Some("+47 22 00 00 00".into())),
        privacy_url: Some(Some("https://accessible.example.com/privacy".into())),
        ..Default::default()
    };
    app.hub
        .update_partner(id, change)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let logo =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../testkit/fixtures/logo.png");
    app.hub
        .set_partner_logo(id, std::fs::read(logo).unwrap_or_default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let hopae = |provider: &'static str| {
        let p = p.clone();
        async move {
            let (status, created) = app
                .hopae(
                    &p,
                    reqwest::Method::POST,
                    "/verifications",
                    Some(json!({"providerId": provider})),
                )
                .await;
            assert_eq!(status, 201, "{created}");
            (
                text(&created, "verificationId"),
                text(&created["flowDetails"], "authorizationUrl"),
            )
        }
    };
    let start = |url: String| async move {
        let r = app
            .client
            .post(format!("{url}/start"))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let to = location(&r);
        if to.starts_with('/') {
            app.url(&to)
        } else {
            to
        }
    };
    let mut pages = Vec::new();
    // The simulated BankID app first: the order it shows lives three minutes.
    let (_, bankid) = hopae("bankid-se").await;
    start(bankid.clone()).await;
    let live = app
        .client
        .get(&bankid)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .text()
        .await
        .unwrap_or_default();
    let autostart = live
        .split("id=\"autostart\" href=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .map(|link| link.replace("&amp;", "&").replace("&#38;", "&"))
        .unwrap_or_else(|| panic!("no autostart link: {live}"));
    pages.push(("simulated BankID app (an order)", autostart));
    pages.push((
        "simulated BankID app (scan)",
        app.url("/simulators/bankid/app"),
    ));
    pages.push(("BankID live QR page", bankid));
    let (_, landing) = hopae("veriff").await;
    pages.push(("landing page", landing.clone()));
    pages.push(("continue on your phone", format!("{landing}/phone")));
    pages.push(("sandbox provider page", start(landing).await));
    let (_, push) = hopae("sandbox-push").await;
    pages.push(("push landing page (identifier form)", push));
    let (_, qr) = hopae("sandbox-qr").await;
    start(qr.clone()).await;
    pages.push(("live QR page", qr));
    pages.push((
        "simulated phone app (scan)",
        app.url("/sandbox/sandbox-qr/app"),
    ));
    pages.push((
        "simulated phone app (sign in)",
        app.url("/sandbox/sandbox-push/app"),
    ));
    let (_, oidc) = hopae("eid-simulator").await;
    pages.push(("OIDC simulator login", start(oidc).await));
    // Decided without a return URL: the result page; in review: the waiting page.
    for (label, decision) in [
        ("result page", idgate_providers::Decision::Approved),
        ("waiting page", idgate_providers::Decision::Review),
    ] {
        let (id, url) = hopae("veriff").await;
        let session = app
            .hub
            .session(id.parse().unwrap_or_else(|e| panic!("{e}")))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        app.hub
            .sandbox_decide(
                session,
                idgate_providers::sandbox::SandboxChoice::new(decision),
                idgate_core::Actor::Provider,
            )
            .await
            .unwrap_or_else(|e| panic!("{label}: {e}"));
        pages.push((label, url));
    }
    pages.push(("invalid link page", app.url("/v/no-such-link")));
    pages.push(("accessibility statement", app.url("/accessibility")));
    for docs in [
        "/api/v1/docs/",
        "/connect/v1/docs/",
        "/v1/docs/",
        "/v1/deepidv/docs/",
    ] {
        pages.push(("API docs", app.url(docs)));
    }
    // The Veriff API names no provider: the partner's offer makes a chooser.
    let created: Value = app
        .client
        .post(app.url("/v1/sessions"))
        .header("X-AUTH-CLIENT", &p.veriff_key)
        .header("content-type", "application/json")
        .body(json!({"verification": {}}).to_string())
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"))
        .json()
        .await
        .unwrap_or_default();
    pages.push(("provider chooser", text(&created["verification"], "url")));
    // Last: picking a language is remembered for the pages after it.
    let (_, landing) = hopae("veriff").await;
    pages.push(("landing page in Finnish", format!("{landing}?lang=fi")));
    pages
}

/// axe-core's script (an npm test peer `scripts/test` installs).
pub(crate) fn axe_source() -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../testkit/fixtures/a11y/node_modules/axe-core/axe.min.js");
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; run scripts/test (it runs npm ci in crates/testkit/fixtures/a11y)",
            path.display()
        )
    })
}

/// axe's serious and critical violations on the page now shown: `(rule, impact, help, nodes)`.
pub(crate) async fn violations(client: &fantoccini::Client, axe: &str) -> Vec<Value> {
    client
        .execute(&format!("{axe};\nreturn true;"), vec![])
        .await
        .unwrap_or_else(|e| panic!("injecting axe: {e}"));
    let found = client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, { resultTypes: ['violations'] })
               .then(r => done(r.violations
                 .filter(v => v.impact === 'serious' || v.impact === 'critical')
                 .map(v => ({ id: v.id, impact: v.impact, help: v.help,
                              nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5) }))))
               .catch(e => done([{ id: 'axe-error', impact: 'critical', help: String(e) }]));",
            vec![],
        )
        .await
        .unwrap_or_else(|e| panic!("running axe: {e}"));
    found.as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn axe_finds_no_serious_or_critical_violation_on_any_page() {
    let axe = axe_source();
    let app = crate::bankid::app_with_simulator().await;
    let pages = pages(&app).await;
    let (_driver, driver_url) = chromedriver().await;
    let mut found = Vec::new();
    // Blink's preferred colour scheme: 1 light, 0 dark.
    for (scheme, switch) in [
        ("light", "--blink-settings=preferredColorScheme=1"),
        ("dark", "--blink-settings=preferredColorScheme=0"),
    ] {
        let profile = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let client = browser_with(&driver_url, profile.path(), &[switch]).await;
        for (width, height) in [(390, 844), (1280, 900)] {
            client
                .set_window_size(width, height)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            for (label, url) in &pages {
                client.goto(url).await.unwrap_or_else(|e| panic!("{e}"));
                // The scheme really is the one under test (else dark would be light again).
                let dark = client
                    .execute(
                        "return matchMedia('(prefers-color-scheme: dark)').matches;",
                        vec![],
                    )
                    .await
                    .unwrap_or_else(|e| panic!("{e}"));
                assert_eq!(dark, json!(scheme == "dark"), "{label}: colour scheme");
                for v in violations(&client, &axe).await {
                    found.push(format!("{label} ({scheme}, {width}px): {v}"));
                }
            }
        }
        let _ = client.close().await;
    }
    assert!(
        found.is_empty(),
        "axe found serious or critical violations:\n{}",
        found.join("\n")
    );
}
