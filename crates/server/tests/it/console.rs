//! The operator console over HTTP: sign-in with a password and a TOTP code (computed here
//! from RFC 6238, not with idgate's code), the session cookie, CSRF on every form, roles,
//! lock-out, timeouts, the return-URL queue with its look-alike warning and dry-run tester,
//! and the audit trail; then the same in Chromium, with axe-core on every console page.

use idgate_testkit as common;

use aws_lc_rs::hmac;
use common::TestApp;
use idgate_core::{OperatorRole, PartnerId, ReturnUrlStatus};
use idgate_hub::service::operators::{AuditActor, CreatedOperator};
use reqwest::redirect::Policy;
use serde_json::json;

/// An RFC 6238 code (HMAC-SHA-1, 30-second steps, 6 digits) for `key` at unix time `at`.
pub(crate) fn totp(key: &[u8], at: i64) -> String {
    let step = u64::try_from(at / 30).unwrap_or_default();
    let tag = hmac::sign(
        &hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, key),
        &step.to_be_bytes(),
    );
    let mac = tag.as_ref();
    let offset = usize::from(mac[19] & 0x0f);
    let number = u32::from_be_bytes([
        mac[offset] & 0x7f,
        mac[offset + 1],
        mac[offset + 2],
        mac[offset + 3],
    ]);
    format!("{:06}", number % 1_000_000)
}

pub(crate) fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// A browser: keeps cookies, follows no redirect.
pub(crate) fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .build()
        .unwrap_or_else(|e| panic!("{e}"))
}

pub(crate) async fn operator(
    app: &TestApp,
    name: &str,
    role: OperatorRole,
    partners: Vec<PartnerId>,
) -> CreatedOperator {
    app.hub
        .create_operator(name, role, partners, AuditActor::Cli)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

/// The value of `name="{field}"` on a page.
pub(crate) fn field(page: &str, field: &str) -> String {
    page.split(&format!("name=\"{field}\" value=\""))
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("no {field} on the page: {page}"))
        .to_owned()
}

async fn get(client: &reqwest::Client, url: &str) -> (u16, String, Option<String>) {
    let r = client
        .get(url)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let status = r.status().as_u16();
    let location = r
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    (status, r.text().await.unwrap_or_default(), location)
}

async fn post(
    client: &reqwest::Client,
    url: &str,
    form: &[(&str, &str)],
) -> (u16, String, Option<String>) {
    let r = client
        .post(url)
        .form(form)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let status = r.status().as_u16();
    let location = r
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    (status, r.text().await.unwrap_or_default(), location)
}

/// Signs `who` in with a code for time `at`: the status of the answer.
async fn sign_in(
    app: &TestApp,
    client: &reqwest::Client,
    who: &CreatedOperator,
    password: &str,
    at: i64,
) -> (u16, String) {
    let code = totp(&who.operator.totp_key, at);
    sign_in_with(app, client, who, password, &code).await
}

async fn sign_in_with(
    app: &TestApp,
    client: &reqwest::Client,
    who: &CreatedOperator,
    password: &str,
    code: &str,
) -> (u16, String) {
    let (_, page, _) = get(client, &app.url("/console/sign-in")).await;
    let pre = field(&page, "pre");
    let (status, body, _) = post(
        client,
        &app.url("/console/sign-in"),
        &[
            ("pre", &pre),
            ("username", &who.operator.username),
            ("password", password),
            ("code", code),
        ],
    )
    .await;
    (status, body)
}

async fn pending_rule(app: &TestApp, partner: &common::Partner, url: &str) -> String {
    let (status, body) = app
        .post(
            partner,
            "/api/v1/verification-return-urls",
            json!({ "partner_return_url": url }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().unwrap_or_default().to_owned()
}

async fn rule_status(app: &TestApp, id: &str) -> ReturnUrlStatus {
    app.hub
        .list_return_urls(None)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .into_iter()
        .find(|r| r.id.to_string() == id)
        .map(|r| r.status)
        .unwrap_or_else(|| panic!("no rule {id}"))
}

#[tokio::test]
async fn an_operator_signs_in_with_a_totp_code_and_approves_a_return_url() {
    let app = TestApp::spawn().await;
    let acme = app.partner("Acme").await;
    let rule = pending_rule(&app, &acme, "https://acme.example.com/back").await;
    let admin = operator(&app, "Kari", OperatorRole::Admin, Vec::new()).await;
    assert_eq!(
        admin.operator.username, "kari",
        "names are kept in lower case"
    );
    let client = browser();

    // Signed out: every page leads to the sign-in page.
    let (status, _, to) = get(&client, &app.url("/console/return-urls")).await;
    assert_eq!((status, to.as_deref()), (303, Some("/console/sign-in")));

    // A wrong code, then the wrong password: refused without saying which.
    let (status, page) = sign_in(&app, &client, &admin, &admin.password, now() - 600).await;
    assert_eq!(status, 401, "{page}");
    assert!(
        page.contains("The name, password or code is wrong."),
        "{page}"
    );
    let (status, _) = sign_in(&app, &client, &admin, "not-the-password", now()).await;
    assert_eq!(status, 401);
    // A sign-in form posted without its own token (from another site) is refused.
    let (status, _, _) = post(
        &browser(),
        &app.url("/console/sign-in"),
        &[
            ("username", "kari"),
            ("password", &admin.password),
            ("code", &totp(&admin.operator.totp_key, now())),
        ],
    )
    .await;
    assert_eq!(status, 403);

    let (_, page, _) = get(&client, &app.url("/console/sign-in")).await;
    let pre = field(&page, "pre");
    let code = totp(&admin.operator.totp_key, now());
    let signed = client
        .post(app.url("/console/sign-in"))
        .form(&[
            ("pre", pre.as_str()),
            ("username", "kari"),
            ("password", admin.password.as_str()),
            ("code", code.as_str()),
        ])
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(signed.status(), 303);
    let cookie = signed
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("idgate-console="))
        .unwrap_or_else(|| panic!("no session cookie"))
        .to_owned();
    assert!(
        cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Strict")
            && cookie.contains("Path=/"),
        "{cookie}"
    );
    // The same code does not sign in a second time (another browser replaying it).
    let (status, _) = sign_in_with(&app, &browser(), &admin, &admin.password, &code).await;
    assert_eq!(status, 401, "a code counts once");

    let (status, queue, _) = get(&client, &app.url("/console/return-urls")).await;
    assert_eq!(status, 200, "{queue}");
    assert!(queue.contains("https://acme.example.com/back"), "{queue}");
    assert!(queue.contains(&format!("id=\"approve-{rule}\"")), "{queue}");
    let csrf = field(&queue, "csrf");

    // Without the form's token, or with another, nothing changes.
    let approve = app.url(&format!("/console/return-urls/{rule}/approve"));
    for form in [vec![], vec![("csrf", "forged-token-from-elsewhere")]] {
        let (status, page, _) = post(&client, &approve, &form).await;
        assert_eq!(status, 403, "{page}");
        assert!(page.contains("Nothing was changed"), "{page}");
    }
    assert_eq!(rule_status(&app, &rule).await, ReturnUrlStatus::Pending);
    let (status, _, to) = post(&client, &approve, &[("csrf", &csrf)]).await;
    assert_eq!((status, to.as_deref()), (303, Some("/console/return-urls")));
    assert_eq!(rule_status(&app, &rule).await, ReturnUrlStatus::Approved);

    // The trail: the failures, the sign-in and the decision, with where they came from.
    let (status, trail, _) = get(&client, &app.url("/console/audit")).await;
    assert_eq!(status, 200, "{trail}");
    for action in [
        "operator.create",
        "sign_in.refused",
        "sign_in",
        "return_url.approve",
    ] {
        assert!(
            trail.contains(&format!("<td>{action}</td>")),
            "{action}: {trail}"
        );
    }
    let entries = app
        .hub
        .audit_log(10, None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let decision = entries
        .iter()
        .find(|e| e.action == "return_url.approve")
        .unwrap_or_else(|| panic!("no decision in the trail"));
    assert_eq!(decision.actor, "kari");
    assert_eq!(decision.target, format!("return_url:{rule}"));
    assert_eq!(decision.from.as_deref(), Some("127.0.0.1"));
    assert!(
        !entries
            .iter()
            .any(|e| e.details.to_string().contains(&admin.password)),
        "no secret in the trail"
    );
    let (status, export, _) = get(&client, &app.url("/console/audit/export")).await;
    assert_eq!(status, 200);
    assert!(
        export
            .lines()
            .all(|l| serde_json::from_str::<serde_json::Value>(l).is_ok()),
        "{export}"
    );

    // Signing out ends the session on the server, not just in this browser.
    let (status, _, _) = post(&client, &app.url("/console/sign-out"), &[("csrf", &csrf)]).await;
    assert_eq!(status, 303);
    let session = cookie
        .split(';')
        .next()
        .and_then(|c| c.split_once('='))
        .map(|(_, v)| v.to_owned())
        .unwrap_or_default();
    let replayed = reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap_or_else(|e| panic!("{e}"))
        .get(app.url("/console/return-urls"))
        .header("cookie", format!("idgate-console={session}"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(replayed.status(), 303, "the old cookie opens nothing");
}

#[tokio::test]
async fn roles_limit_what_an_operator_sees_and_decides() {
    let app = TestApp::spawn().await;
    let acme = app.partner("Acme").await;
    let other = app.partner("Other AS").await;
    let acme_rule = pending_rule(&app, &acme, "https://acme.example.com/back").await;
    let other_rule = pending_rule(&app, &other, "https://other.example.com/back").await;
    let acme_id: PartnerId = acme.id.parse().unwrap_or_else(|e| panic!("{e}"));

    // A viewer reads the queue, has no buttons, and is refused a decision and the trail.
    let viewer = operator(&app, "vera", OperatorRole::Viewer, Vec::new()).await;
    let client = browser();
    let (status, _) = sign_in(&app, &client, &viewer, &viewer.password, now()).await;
    assert_eq!(status, 303);
    let (_, queue, _) = get(&client, &app.url("/console/return-urls")).await;
    assert!(queue.contains("https://other.example.com/back"), "{queue}");
    assert!(!queue.contains("id=\"approve-"), "{queue}");
    assert!(!queue.contains("id=\"nav-audit\""), "{queue}");
    let csrf = field(&queue, "csrf");
    let (status, page, _) = post(
        &client,
        &app.url(&format!("/console/return-urls/{acme_rule}/approve")),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(status, 403, "{page}");
    assert!(page.contains("Your role (viewer)"), "{page}");
    assert_eq!(
        rule_status(&app, &acme_rule).await,
        ReturnUrlStatus::Pending
    );
    let (status, _, _) = get(&client, &app.url("/console/audit")).await;
    assert_eq!(status, 403);

    // A reviewer for Acme sees and decides Acme's registrations only.
    let reviewer = operator(&app, "rolf", OperatorRole::Reviewer, vec![acme_id]).await;
    let client = browser();
    let (status, _) = sign_in(&app, &client, &reviewer, &reviewer.password, now()).await;
    assert_eq!(status, 303);
    let (_, queue, _) = get(&client, &app.url("/console/return-urls")).await;
    assert!(queue.contains("https://acme.example.com/back"), "{queue}");
    assert!(!queue.contains("https://other.example.com/back"), "{queue}");
    let csrf = field(&queue, "csrf");
    let (status, _, _) = post(
        &client,
        &app.url(&format!("/console/return-urls/{other_rule}/reject")),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(
        rule_status(&app, &other_rule).await,
        ReturnUrlStatus::Pending
    );
    let (status, _, _) = post(
        &client,
        &app.url(&format!("/console/return-urls/{acme_rule}/reject")),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(
        rule_status(&app, &acme_rule).await,
        ReturnUrlStatus::Rejected
    );
    // An operator for a partner that does not exist is not made.
    let unknown = app
        .hub
        .create_operator(
            "ghost",
            OperatorRole::Reviewer,
            vec![PartnerId::new()],
            AuditActor::Cli,
        )
        .await;
    assert!(unknown.is_err());
}

#[tokio::test]
async fn five_failures_lock_an_account_and_idle_sessions_end() {
    let app = TestApp::spawn().await;
    let admin = operator(&app, "kari", OperatorRole::Admin, Vec::new()).await;
    let client = browser();
    for attempt in 1..=5 {
        let (status, page) = sign_in(&app, &client, &admin, "guess", now()).await;
        let expected = if attempt < 5 { 401 } else { 429 };
        assert_eq!(status, expected, "attempt {attempt}: {page}");
    }
    // Locked: the right password and code do not open it either.
    let (status, page) = sign_in(&app, &client, &admin, &admin.password, now()).await;
    assert_eq!(status, 429, "{page}");
    assert!(page.contains("Too many failed attempts"), "{page}");
    // An unknown name is refused like a wrong password.
    let ghost = CreatedOperator {
        operator: idgate_core::Operator {
            username: "nobody".into(),
            ..admin.operator.clone()
        },
        password: admin.password.clone(),
        totp_secret: String::new(),
        totp_uri: String::new(),
    };
    let (status, _) = sign_in(&app, &client, &ghost, &admin.password, now()).await;
    assert_eq!(status, 401);

    // Another operator signs in; their session is left idle for 31 minutes, then another
    // is 13 hours old: both end.
    let viewer = operator(&app, "vera", OperatorRole::Viewer, Vec::new()).await;
    let anonymous = reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let open = async |token: &str| {
        anonymous
            .get(app.url("/console/return-urls"))
            .header("cookie", format!("idgate-console={token}"))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .status()
            .as_u16()
    };
    let token = session_token(&app, &viewer).await;
    assert_eq!(open(&token).await, 200);
    let store = app.hub.operator().store();
    let digest = app.hub.keys().bind("console-session", &token);
    store
        .touch_console_session(&digest, chrono::Utc::now() - chrono::Duration::minutes(31))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(open(&token).await, 303, "idle for 31 minutes");
    let old = idgate_core::ConsoleSession {
        digest: app.hub.keys().bind("console-session", "an-old-token"),
        operator_id: viewer.operator.id,
        csrf: "x".into(),
        created_at: chrono::Utc::now() - chrono::Duration::hours(13),
        last_seen_at: chrono::Utc::now(),
    };
    store
        .insert_console_session(&old)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(open("an-old-token").await, 303, "13 hours after sign-in");
    // A disabled operator's sessions end at once.
    let token = session_token(&app, &viewer).await;
    assert_eq!(open(&token).await, 200);
    store
        .update_operator(&idgate_core::Operator {
            disabled: true,
            ..viewer.operator.clone()
        })
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(open(&token).await, 303);
}

/// Signs `who` in (with the code of the next step, so it differs from any earlier one) and
/// returns the session cookie's value.
async fn session_token(app: &TestApp, who: &CreatedOperator) -> String {
    use std::sync::atomic::{AtomicI64, Ordering};
    static NEXT: AtomicI64 = AtomicI64::new(0);
    let client = browser();
    let (_, page, _) = get(&client, &app.url("/console/sign-in")).await;
    let pre = field(&page, "pre");
    // Each call a step later than the last (within the one step of skew allowed), so a code
    // is never reused: first the current step, then the next.
    let shift = NEXT.fetch_add(1, Ordering::SeqCst).min(1) * 30;
    let code = totp(&who.operator.totp_key, now() + shift);
    let r = client
        .post(app.url("/console/sign-in"))
        .form(&[
            ("pre", pre.as_str()),
            ("username", who.operator.username.as_str()),
            ("password", who.password.as_str()),
            ("code", code.as_str()),
        ])
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), 303);
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix("idgate-console="))
        .and_then(|c| c.split(';').next())
        .map(str::to_owned)
        .unwrap_or_else(|| panic!("no session cookie"))
}

/// The queue shows a host in the form browsers send it and warns of a look-alike; the tester
/// says which approved rule covers a URL, or why none does.
#[tokio::test]
async fn the_queue_flags_look_alike_hosts_and_the_tester_explains_its_answer() {
    let app = TestApp::spawn().await;
    let acme = app.partner("Acme").await;
    let approved = pending_rule(&app, &acme, "https://acme.example.com/back").await;
    app.hub
        .decide_return_url_as(
            AuditActor::Cli,
            approved.parse().unwrap_or_else(|e| panic!("{e}")),
            ReturnUrlStatus::Approved,
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    // "pаypal" with a Cyrillic "а".
    let lookalike = pending_rule(&app, &acme, "https://p\u{430}ypal.example/back").await;
    let admin = operator(&app, "kari", OperatorRole::Admin, Vec::new()).await;
    let client = browser();
    let (status, _) = sign_in(&app, &client, &admin, &admin.password, now()).await;
    assert_eq!(status, 303);
    let (_, queue, _) = get(&client, &app.url("/console/return-urls")).await;
    assert!(
        queue.contains(&format!("id=\"mixed-{lookalike}\"")),
        "{queue}"
    );
    let host = queue
        .split(&format!("id=\"host-{lookalike}\">"))
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .unwrap_or_default();
    assert!(host.starts_with("xn--"), "shown in punycode: {host}");

    let test = |url: &str| {
        let mut address =
            url::Url::parse(&app.url("/console/return-urls")).unwrap_or_else(|e| panic!("{e}"));
        address
            .query_pairs_mut()
            .append_pair("partner", &acme.id)
            .append_pair("url", url);
        address.to_string()
    };
    let (_, page, _) = get(&client, &test("https://acme.example.com/back/done?x=1")).await;
    assert!(page.contains("Allowed:"), "{page}");
    assert!(page.contains(&approved), "names the rule: {page}");
    let (_, page, _) = get(&client, &test("https://acme.example.com/backdoor")).await;
    assert!(page.contains("Refused: no approved rule"), "{page}");
    let (_, page, _) = get(&client, &test("http://acme.example.com/back")).await;
    assert!(page.contains("Refused: the URL must use https"), "{page}");
}

/// In Chromium: an operator signs in with a code from their authenticator, approves a
/// partner's return URL with the queue's button, tests a URL, and signs out; axe-core finds
/// no serious or critical violation on any console page, in the light and the dark scheme.
#[tokio::test]
async fn in_chromium_an_operator_signs_in_approves_a_return_url_and_every_page_passes_axe() {
    use crate::browser_e2e::{browser_with, chromedriver, click, type_into};
    use fantoccini::Locator;
    let axe = crate::accessibility::axe_source();
    let app = TestApp::spawn().await;
    let acme = app.partner("Acme").await;
    let rule = pending_rule(&app, &acme, "https://acme.example.com/back").await;
    let _ = pending_rule(&app, &acme, "https://p\u{430}ypal.example/back").await;
    let admin = operator(&app, "kari", OperatorRole::Admin, Vec::new()).await;
    let (_driver, driver_url) = chromedriver().await;
    let mut found = Vec::new();
    for (scheme, switch, shift) in [
        ("light", "--blink-settings=preferredColorScheme=1", 0),
        ("dark", "--blink-settings=preferredColorScheme=0", 30),
    ] {
        let profile = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let client = browser_with(&driver_url, profile.path(), &[switch]).await;
        for width in [390, 1280] {
            client
                .set_window_size(width, 900)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            client
                .goto(&app.url("/console"))
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            if client.find(Locator::Id("username")).await.is_ok() {
                for v in crate::accessibility::violations(&client, &axe).await {
                    found.push(format!("sign-in ({scheme}, {width}px): {v}"));
                }
                type_into(&client, "username", "kari").await;
                type_into(&client, "password", &admin.password).await;
                // Each scheme's browser signs in with its own step's code (a code counts once).
                type_into(
                    &client,
                    "code",
                    &totp(&admin.operator.totp_key, now() + shift),
                )
                .await;
                click(&client, "sign-in").await;
                // Signed in, the console opens on the dashboard.
                client
                    .wait()
                    .at_most(std::time::Duration::from_secs(20))
                    .for_element(Locator::Id("total"))
                    .await
                    .unwrap_or_else(|e| panic!("no dashboard after signing in: {e}"));
            }
            client
                .goto(&app.url("/console"))
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            client
                .wait()
                .at_most(std::time::Duration::from_secs(20))
                .for_element(Locator::Id("webhook-health"))
                .await
                .unwrap_or_else(|e| panic!("no dashboard: {e}"));
            for v in crate::accessibility::violations(&client, &axe).await {
                found.push(format!("dashboard ({scheme}, {width}px): {v}"));
            }
            client
                .goto(&app.url("/console/return-urls"))
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            client
                .wait()
                .at_most(std::time::Duration::from_secs(20))
                .for_element(Locator::Id("tester"))
                .await
                .unwrap_or_else(|e| panic!("the queue did not open: {e}"));
            for v in crate::accessibility::violations(&client, &axe).await {
                found.push(format!("return URLs ({scheme}, {width}px): {v}"));
            }
            type_into(&client, "test-url", "https://acme.example.com/back/x").await;
            click(&client, "test").await;
            client
                .wait()
                .at_most(std::time::Duration::from_secs(20))
                .for_element(Locator::Id("tested"))
                .await
                .unwrap_or_else(|e| panic!("no test result: {e}"));
            for v in crate::accessibility::violations(&client, &axe).await {
                found.push(format!("tester result ({scheme}, {width}px): {v}"));
            }
            client
                .goto(&app.url("/console/audit"))
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            for v in crate::accessibility::violations(&client, &axe).await {
                found.push(format!("audit trail ({scheme}, {width}px): {v}"));
            }
        }
        if scheme == "light" {
            // The main action: approve with the queue's own button.
            client
                .goto(&app.url("/console/return-urls"))
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            click(&client, &format!("approve-{rule}")).await;
            // The form posts and the queue comes back without the approved registration.
            let mut approved = false;
            for _ in 0..100 {
                if rule_status(&app, &rule).await == ReturnUrlStatus::Approved
                    && client
                        .find(Locator::Id(&format!("approve-{rule}")))
                        .await
                        .is_err()
                    && client.find(Locator::Id("tester")).await.is_ok()
                {
                    approved = true;
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            assert!(approved, "the registration was not approved");
            click(&client, "sign-out").await;
            client
                .wait()
                .at_most(std::time::Duration::from_secs(20))
                .for_element(Locator::Id("username"))
                .await
                .unwrap_or_else(|e| panic!("not signed out: {e}"));
        }
        let _ = client.close().await;
    }
    assert!(
        found.is_empty(),
        "axe found serious or critical violations:\n{}",
        found.join("\n")
    );
}

/// A Hopae verification at the redirect sandbox, not decided yet.
pub(crate) async fn hopae_session(
    app: &TestApp,
    partner: &common::Partner,
) -> idgate_core::Session {
    let (status, created) = app
        .hopae(
            partner,
            reqwest::Method::POST,
            "/verifications",
            Some(json!({"providerId": "bankid"})),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["verificationId"]
        .as_str()
        .unwrap_or_default()
        .parse()
        .unwrap_or_else(|e| panic!("{e}"));
    app.hub.session(id).await.unwrap_or_else(|e| panic!("{e}"))
}

/// The sandbox provider's `decision` on `session`.
pub(crate) async fn provider_decides(
    app: &TestApp,
    session: idgate_core::Session,
    decision: idgate_providers::Decision,
) {
    app.hub
        .sandbox_decide(
            session,
            idgate_providers::sandbox::SandboxChoice::new(decision),
            idgate_core::Actor::Provider,
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
}

/// A Hopae verification at the redirect sandbox, decided "review" by the provider; its id in
/// the console's form.
async fn in_review(app: &TestApp, partner: &common::Partner) -> String {
    let session = hopae_session(app, partner).await;
    let id = session.id.to_string();
    provider_decides(app, session, idgate_providers::Decision::Review).await;
    id
}

#[tokio::test]
async fn an_operator_adds_a_verification_finds_it_and_decides_a_review() {
    let app = TestApp::spawn().await;
    let acme = app.partner("Acme").await;
    let other = app.partner("Other AS").await;
    let admin = operator(&app, "kari", OperatorRole::Admin, Vec::new()).await;
    let client = browser();
    let (status, _) = sign_in(&app, &client, &admin, &admin.password, now()).await;
    assert_eq!(status, 303);

    // Add verification: a link and its QR code.
    let (status, form, _) = get(&client, &app.url("/console/sessions/new")).await;
    assert_eq!(status, 200, "{form}");
    let csrf = field(&form, "csrf");
    let (status, added, _) = post(
        &client,
        &app.url("/console/sessions/new"),
        &[
            ("csrf", &csrf),
            ("partner", &acme.id),
            ("provider", "bankid"),
            ("first_name", "Ola"),
            ("last_name", "Nordmann"),
        ],
    )
    .await;
    assert_eq!(status, 201, "{added}");
    assert!(added.contains("<svg"), "a QR code: {added}");
    let link = added
        .split("id=\"verification-link\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .unwrap_or_default()
        .to_owned();
    assert!(link.starts_with(&app.url("/v/")), "{link}");
    let (status, landing, _) = get(&browser(), &link).await;
    assert_eq!(status, 200, "the link opens the verification: {landing}");
    let id = added
        .split("href=\"/console/sessions/")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_default()
        .to_owned();
    // An unknown provider is refused on the form, which stays.
    let (status, page, _) = post(
        &client,
        &app.url("/console/sessions/new"),
        &[
            ("csrf", &csrf),
            ("partner", &acme.id),
            ("provider", "nowhere"),
        ],
    )
    .await;
    assert_eq!(status, 400, "{page}");
    assert!(page.contains("id=\"problem\""), "{page}");

    // Found by its id and by partner; its page shows the person, and the view is audited.
    let (status, _, to) = get(&client, &app.url(&format!("/console/sessions?q={id}"))).await;
    assert_eq!((status, to), (303, Some(format!("/console/sessions/{id}"))));
    let (_, listed, _) = get(
        &client,
        &app.url(&format!(
            "/console/sessions?partner={}&status=created",
            acme.id
        )),
    )
    .await;
    assert!(listed.contains(&id), "{listed}");
    let (_, listed, _) = get(
        &client,
        &app.url(&format!("/console/sessions?partner={}", other.id)),
    )
    .await;
    assert!(!listed.contains(&id), "{listed}");
    let (status, detail, _) = get(&client, &app.url(&format!("/console/sessions/{id}"))).await;
    assert_eq!(status, 200);
    assert!(
        detail.contains("Ola") && detail.contains("Nordmann"),
        "{detail}"
    );
    let trail = app
        .hub
        .audit_log(20, None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        trail
            .iter()
            .any(|e| e.action == "session.create" && e.target == format!("session:{id}"))
    );
    assert!(
        trail
            .iter()
            .any(|e| e.action == "session.view" && e.target == format!("session:{id}"))
    );

    // The review queue: a decline needs a reason; then the session is declined by the
    // operator, with an event like any decision.
    let review = in_review(&app, &acme).await;
    let (_, queue, _) = get(&client, &app.url("/console/reviews")).await;
    assert!(
        queue.contains(&format!("id=\"review-{review}\"")),
        "{queue}"
    );
    let (_, detail, _) = get(&client, &app.url(&format!("/console/sessions/{review}"))).await;
    assert!(detail.contains("id=\"decline\""), "{detail}");
    let decide = app.url(&format!("/console/sessions/{review}/decide"));
    let (status, page, _) = post(
        &client,
        &decide,
        &[("csrf", &csrf), ("decision", "decline")],
    )
    .await;
    assert_eq!(status, 400, "{page}");
    let (status, _, _) = post(
        &client,
        &decide,
        &[
            ("csrf", &csrf),
            ("decision", "decline"),
            ("reason", "The document photo is of a screen."),
        ],
    )
    .await;
    assert_eq!(status, 303);
    let decided = app
        .hub
        .session(review.parse().unwrap_or_else(|e| panic!("{e}")))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(decided.status, idgate_core::Status::Declined);
    assert_eq!(decided.reason.as_deref(), Some("declined_in_review"));
    let timeline = app
        .hub
        .timeline(decided.id)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        timeline.last().map(|e| e.actor),
        Some(idgate_core::Actor::Operator)
    );
    let (status, page, _) = post(
        &client,
        &decide,
        &[("csrf", &csrf), ("decision", "approve")],
    )
    .await;
    assert_eq!(status, 409, "decided once: {page}");
    let trail = app
        .hub
        .audit_log(5, None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(trail.iter().any(|e| e.action == "review.decline"
        && e.details["reason"] == "The document photo is of a screen."));

    // A reviewer for another partner sees neither Acme's sessions nor its reviews, and a
    // viewer adds no verification.
    let other_id: PartnerId = other.id.parse().unwrap_or_else(|e| panic!("{e}"));
    let reviewer = operator(&app, "rolf", OperatorRole::Reviewer, vec![other_id]).await;
    let pending = in_review(&app, &acme).await;
    let client = browser();
    let (status, _) = sign_in(&app, &client, &reviewer, &reviewer.password, now()).await;
    assert_eq!(status, 303);
    let (_, queue, _) = get(&client, &app.url("/console/reviews")).await;
    assert!(!queue.contains(&pending), "{queue}");
    let (status, _, _) = get(&client, &app.url(&format!("/console/sessions/{pending}"))).await;
    assert_eq!(status, 403);
    let (status, _, _) = get(&client, &app.url("/console/sessions/new")).await;
    assert_eq!(status, 403);
}

/// In Chromium: "Add verification" makes a link and a QR code, the link opens the person's
/// page; a session in review is found in the queue and declined with a reason; a partner's
/// credential is revoked with its button. axe-core checks each of these pages.
#[tokio::test]
async fn in_chromium_an_operator_adds_a_verification_decides_a_review_and_revokes_a_credential() {
    use crate::browser_e2e::{browser, chromedriver, click, type_into};
    use fantoccini::Locator;
    let axe = crate::accessibility::axe_source();
    let app = TestApp::spawn().await;
    let acme = app.partner("Acme").await;
    let review = in_review(&app, &acme).await;
    let admin = operator(&app, "kari", OperatorRole::Admin, Vec::new()).await;
    let (_driver, driver_url) = chromedriver().await;
    let profile = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let client = browser(&driver_url, profile.path()).await;
    let wait = |id: &'static str| {
        let client = client.clone();
        async move {
            client
                .wait()
                .at_most(std::time::Duration::from_secs(20))
                .for_element(Locator::Id(id))
                .await
                .unwrap_or_else(|e| panic!("#{id} did not appear: {e}"))
        }
    };
    let mut found = Vec::new();
    let mut check = async |label: &str| {
        for v in crate::accessibility::violations(&client, &axe).await {
            found.push(format!("{label}: {v}"));
        }
    };
    client
        .goto(&app.url("/console/sign-in"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    type_into(&client, "username", "kari").await;
    type_into(&client, "password", &admin.password).await;
    type_into(&client, "code", &totp(&admin.operator.totp_key, now())).await;
    click(&client, "sign-in").await;
    wait("total").await;

    click(&client, "nav-sessions").await;
    wait("search").await;
    check("sessions").await;
    click(&client, "add-verification").await;
    wait("create").await;
    check("add verification").await;
    wait("add-provider")
        .await
        .select_by_value("bankid")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    type_into(&client, "first-name", "Ola").await;
    type_into(&client, "last-name", "Nordmann").await;
    click(&client, "create").await;
    wait("verification-qr").await;
    check("verification added").await;
    click(&client, "verification-link").await;
    // The person's page: the hosted landing page of the new verification.
    wait("continue").await;

    client
        .goto(&app.url("/console/reviews"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    wait("reviews").await;
    check("review queue").await;
    click(&client, &format!("review-{review}")).await;
    wait("decline").await;
    check("session in review").await;
    type_into(&client, "reason", "The document photo is of a screen.").await;
    click(&client, "decline").await;
    // The form posts and comes back to the session's page, now declined.
    let mut status = String::new();
    for _ in 0..100 {
        if let Ok(element) = client.find(Locator::Id("session-status")).await {
            status = element.text().await.unwrap_or_default();
            if status == "declined" {
                break;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(status, "declined");
    check("decided session").await;

    // Partners: revoke a credential with its button.
    let credential = app
        .hub
        .partner_credentials(acme.id.parse().unwrap_or_else(|e| panic!("{e}")))
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .into_iter()
        .find(|c| c.kind == idgate_core::CredentialKind::Hopae)
        .map(|c| c.id)
        .unwrap_or_else(|| panic!("no Hopae credential"));
    click(&client, "nav-partners").await;
    wait("partners").await;
    check("partners").await;
    click(&client, &format!("partner-{}", acme.id)).await;
    wait("credentials").await;
    check("partner").await;
    click(&client, &format!("revoke-{credential}")).await;
    // Back on the partner's page, the credential's row has no button any more.
    let mut revoked = false;
    for _ in 0..100 {
        if client
            .find(Locator::Id(&format!("revoke-{credential}")))
            .await
            .is_err()
            && client.find(Locator::Id("credentials")).await.is_ok()
        {
            revoked = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(revoked, "the page did not show the credential revoked");
    let (status, _) = app
        .hopae(&acme, reqwest::Method::GET, "/providers", None)
        .await;
    assert_eq!(status, 401, "the revoked Hopae credential is refused");
    click(&client, "nav-webhooks").await;
    client
        .wait()
        .at_most(std::time::Duration::from_secs(20))
        .for_element(Locator::Css("#endpoints, #no-endpoints"))
        .await
        .unwrap_or_else(|e| panic!("the webhooks page did not open: {e}"));
    check("webhooks").await;
    let _ = client.close().await;
    assert!(
        found.is_empty(),
        "axe found serious or critical violations:\n{}",
        found.join("\n")
    );
}

/// A partner's credentials: an admin issues one (its secrets shown once, and they work) and
/// revokes one (refused at once); a reviewer may do neither.
#[tokio::test]
async fn an_admin_issues_and_revokes_credentials_and_a_reviewer_cannot() {
    let app = TestApp::spawn().await;
    let acme = app.partner("Acme").await;
    let admin = operator(&app, "kari", OperatorRole::Admin, Vec::new()).await;
    let client = browser();
    let (status, _) = sign_in(&app, &client, &admin, &admin.password, now()).await;
    assert_eq!(status, 303);
    let (_, list, _) = get(&client, &app.url("/console/partners")).await;
    assert!(
        list.contains(&format!("id=\"partner-{}\"", acme.id)),
        "{list}"
    );
    let partner_page = app.url(&format!("/console/partners/{}", acme.id));
    let (_, page, _) = get(&client, &partner_page).await;
    let csrf = field(&page, "csrf");
    let (status, issued, _) = post(
        &client,
        &app.url(&format!("/console/partners/{}/credentials", acme.id)),
        &[("csrf", &csrf), ("kind", "easyfreelance")],
    )
    .await;
    assert_eq!(status, 201, "{issued}");
    let shown: Vec<String> = issued
        .split("<dd class=\"mono\">")
        .skip(1)
        .filter_map(|rest| rest.split('<').next())
        .map(str::to_owned)
        .collect();
    let token = shown
        .iter()
        .find(|v| v.starts_with("idg_pat_"))
        .cloned()
        .unwrap_or_else(|| panic!("no access token shown: {issued}"));
    let api_key = shown
        .iter()
        .find(|v| uuid::Uuid::parse_str(v).is_ok())
        .cloned()
        .unwrap_or_else(|| panic!("no API key shown: {issued}"));
    let call = async |token: &str, key: &str| {
        reqwest::Client::new()
            .get(app.url("/api/v1/webhook-endpoints"))
            .bearer_auth(token)
            .header("API-key", key)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .status()
            .as_u16()
    };
    assert_eq!(
        call(&token, &api_key).await,
        200,
        "the new credential works"
    );
    // Shown once: the partner's page does not show it again.
    let (_, page, _) = get(&client, &partner_page).await;
    assert!(!page.contains(&token), "{page}");

    // Revoking the partner's original EasyFreelance credential refuses it at once.
    assert_eq!(call(&acme.token, &acme.api_key).await, 200);
    let credentials = app
        .hub
        .partner_credentials(acme.id.parse().unwrap_or_else(|e| panic!("{e}")))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let original = credentials
        .iter()
        .find(|c| c.kind == idgate_core::CredentialKind::EasyFreelance)
        .map(|c| c.id.to_string())
        .unwrap_or_default();
    let revoke = app.url(&format!("/console/credentials/{original}/revoke"));
    let reviewer = operator(&app, "rolf", OperatorRole::Reviewer, Vec::new()).await;
    let other = browser();
    let (status, _) = sign_in(&app, &other, &reviewer, &reviewer.password, now()).await;
    assert_eq!(status, 303);
    let (_, page, _) = get(&other, &partner_page).await;
    assert!(!page.contains("id=\"revoke-"), "{page}");
    let reviewer_csrf = field(&page, "csrf");
    let (status, _, _) = post(&other, &revoke, &[("csrf", &reviewer_csrf)]).await;
    assert_eq!(status, 403);
    assert_eq!(call(&acme.token, &acme.api_key).await, 200, "still good");
    let (status, _, _) = post(&client, &revoke, &[("csrf", &csrf)]).await;
    assert_eq!(status, 303);
    assert_eq!(
        call(&acme.token, &acme.api_key).await,
        401,
        "refused at once"
    );
    let trail = app
        .hub
        .audit_log(10, None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(trail.iter().any(|e| e.action == "credential.revoke"));
    assert!(trail.iter().any(|e| e.action == "credential.issue"));
    assert!(!trail.iter().any(|e| e.details.to_string().contains(&token)));
}

/// Webhooks: every endpoint with its health, an endpoint's deliveries with the receiver's
/// answer, and a redelivery that reaches the receiver again (audited); a viewer sees the
/// deliveries but has no button and is refused a redelivery.
#[tokio::test]
async fn webhooks_show_deliveries_and_an_admin_redelivers() {
    let app = TestApp::spawn().await;
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
    // Wait (bounded) for the first delivery.
    for _ in 0..200 {
        if receiver.requests.load(std::sync::atomic::Ordering::SeqCst) > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let first = receiver.requests.load(std::sync::atomic::Ordering::SeqCst);
    assert!(first > 0, "the receiver got the event");

    let admin = operator(&app, "kari", OperatorRole::Admin, Vec::new()).await;
    let client = browser();
    let (status, _) = sign_in(&app, &client, &admin, &admin.password, now()).await;
    assert_eq!(status, 303);
    let (_, list, _) = get(&client, &app.url("/console/webhooks")).await;
    assert!(
        list.contains(&format!("id=\"endpoint-{endpoint}\"")),
        "{list}"
    );
    assert!(list.contains("healthy"), "{list}");
    let (status, deliveries, _) =
        get(&client, &app.url(&format!("/console/webhooks/{endpoint}"))).await;
    assert_eq!(status, 200, "{deliveries}");
    assert!(deliveries.contains("HTTP 200"), "{deliveries}");
    let event = deliveries
        .split("name=\"event\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("no redeliver form: {deliveries}"))
        .to_owned();
    let csrf = field(&deliveries, "csrf");
    let redeliver = app.url(&format!("/console/webhooks/{endpoint}/redeliver"));

    let viewer = operator(&app, "vera", OperatorRole::Viewer, Vec::new()).await;
    let other = browser();
    let (status, _) = sign_in(&app, &other, &viewer, &viewer.password, now()).await;
    assert_eq!(status, 303);
    let (_, seen, _) = get(&other, &app.url(&format!("/console/webhooks/{endpoint}"))).await;
    assert!(
        seen.contains("HTTP 200") && !seen.contains("id=\"redeliver-"),
        "{seen}"
    );
    let viewer_csrf = field(&seen, "csrf");
    let (status, _, _) = post(
        &other,
        &redeliver,
        &[("csrf", &viewer_csrf), ("event", &event)],
    )
    .await;
    assert_eq!(status, 403);

    let (status, _, _) = post(&client, &redeliver, &[("csrf", &csrf), ("event", &event)]).await;
    assert_eq!(status, 303);
    let mut again = first;
    for _ in 0..200 {
        again = receiver.requests.load(std::sync::atomic::Ordering::SeqCst);
        if again > first {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(again > first, "redelivered");
    let trail = app
        .hub
        .audit_log(5, None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(trail.iter().any(|e| e.action == "webhook.redeliver"));
}

/// The dashboard counts sessions per provider (created, started, decided, approved) and
/// webhook health; an operator limited to some partners gets the queue instead, since the
/// counts span every partner.
#[tokio::test]
async fn the_dashboard_counts_sessions_per_provider() {
    let app = TestApp::spawn().await;
    let acme = app
        .partner_with_return_url("Acme", "https://partner.example.com/return")
        .await;
    for _ in 0..3 {
        app.create_flow(&acme, "veriff", "https://partner.example.com/return")
            .await;
    }
    let decided = app
        .create_flow(&acme, "veriff", "https://partner.example.com/return")
        .await;
    let id = common::text(&decided, "verification_id");
    let (status, body) = app
        .post(
            &acme,
            &format!("/api/v1/sandbox/verification/{id}/decision"),
            json!({"outcome": "approved"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let admin = operator(&app, "kari", OperatorRole::Admin, Vec::new()).await;
    let client = browser();
    let (status, _) = sign_in(&app, &client, &admin, &admin.password, now()).await;
    assert_eq!(status, 303);
    let (status, page, _) = get(&client, &app.url("/console")).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("id=\"total\">4<"), "{page}");
    assert!(
        page.contains("<td>veriff</td><td>4</td><td>1 (25%)</td><td>1 (25%)</td><td>1 (25%)</td>"),
        "{page}"
    );
    // Over time: a row per day of the period (eight for "the last 7 days"), today's with
    // the sessions, a bar scaled to the busiest day.
    let by_day = page
        .split("<table id=\"by-day\">")
        .nth(1)
        .and_then(|rest| rest.split("</table>").next())
        .unwrap_or_else(|| panic!("no by-day table: {page}"));
    assert_eq!(by_day.matches("<tr><td>").count(), 8, "{by_day}");
    let today = chrono::Utc::now().format("%a %Y-%m-%d").to_string();
    assert!(
        by_day.contains(&format!(
            "<tr><td>{today}</td><td><meter min=\"0\" max=\"4\" value=\"4\""
        )) && by_day.contains("<td>1</td><td>1</td><td>veriff 4</td>"),
        "{by_day}"
    );
    let acme_id: PartnerId = acme.id.parse().unwrap_or_else(|e| panic!("{e}"));
    let reviewer = operator(&app, "rolf", OperatorRole::Reviewer, vec![acme_id]).await;
    let client = browser();
    let (status, _) = sign_in(&app, &client, &reviewer, &reviewer.password, now()).await;
    assert_eq!(status, 303);
    let (status, _, to) = get(&client, &app.url("/console")).await;
    assert_eq!((status, to.as_deref()), (303, Some("/console/return-urls")));
}

/// Partners from the console: an admin creates one (its first credentials shown once, and
/// they work), sets its tier and cap, and tops up its tokens; bad numbers change nothing; a
/// reviewer creates nothing.
#[tokio::test]
async fn an_admin_creates_a_partner_sets_its_tier_and_tops_up_its_tokens() {
    let app = TestApp::spawn().await;
    let admin = operator(&app, "kari", OperatorRole::Admin, Vec::new()).await;
    let client = browser();
    let (status, _) = sign_in(&app, &client, &admin, &admin.password, now()).await;
    assert_eq!(status, 303);
    let (_, list, _) = get(&client, &app.url("/console/partners")).await;
    let csrf = field(&list, "csrf");
    let (status, page, _) = post(
        &client,
        &app.url("/console/partners"),
        &[("csrf", &csrf), ("name", " "), ("tier", "enterprise")],
    )
    .await;
    assert_eq!(status, 400, "{page}");
    let (status, created, _) = post(
        &client,
        &app.url("/console/partners"),
        &[
            ("csrf", &csrf),
            ("name", "Nordic Freelance AS"),
            ("tier", "self-serve"),
        ],
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let shown: Vec<String> = created
        .split("<dd class=\"mono\">")
        .skip(1)
        .filter_map(|rest| rest.split('<').next())
        .map(str::to_owned)
        .collect();
    let token = shown
        .iter()
        .find(|v| v.starts_with("idg_pat_"))
        .cloned()
        .unwrap_or_else(|| panic!("no access token: {created}"));
    let api_key = shown
        .iter()
        .find(|v| uuid::Uuid::parse_str(v).is_ok())
        .cloned()
        .unwrap_or_else(|| panic!("no API key: {created}"));
    let answer = reqwest::Client::new()
        .get(app.url("/api/v1/webhook-endpoints"))
        .bearer_auth(&token)
        .header("API-key", &api_key)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(answer.status(), 200, "the new partner's credential works");
    let partner = app
        .hub
        .operator()
        .store()
        .list_partners()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .into_iter()
        .find(|p| p.name == "Nordic Freelance AS")
        .unwrap_or_else(|| panic!("not created"));
    let id = partner.id.to_string();

    let (status, _, _) = post(
        &client,
        &app.url(&format!("/console/partners/{id}/tier")),
        &[
            ("csrf", &csrf),
            ("tier", "custom"),
            ("sessions_per_minute", "5"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    let (status, _, _) = post(
        &client,
        &app.url(&format!("/console/partners/{id}/tier")),
        &[
            ("csrf", &csrf),
            ("tier", "custom"),
            ("sessions_per_minute", "-1"),
        ],
    )
    .await;
    assert_eq!(status, 400);
    // A custom tier without its own cap: told so, not a server error.
    let (status, page, _) = post(
        &client,
        &app.url(&format!("/console/partners/{id}/tier")),
        &[
            ("csrf", &csrf),
            ("tier", "custom"),
            ("sessions_per_minute", ""),
        ],
    )
    .await;
    assert_eq!(status, 400, "{page}");
    assert!(page.contains("custom tier needs its own cap"), "{page}");
    let now_partner = app
        .hub
        .partner(partner.id)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        (now_partner.tier.as_str(), now_partner.session_cap),
        ("custom", Some(5))
    );

    for (tokens, expected) in [("10", 303), ("-3", 400), ("many", 400)] {
        let (status, _, _) = post(
            &client,
            &app.url(&format!("/console/partners/{id}/tokens")),
            &[
                ("csrf", &csrf),
                ("tokens", tokens),
                ("note", "December invoice"),
            ],
        )
        .await;
        assert_eq!(status, expected, "{tokens}");
    }
    let (_, page, _) = get(&client, &app.url(&format!("/console/partners/{id}"))).await;
    assert!(page.contains("id=\"balance\">10<"), "{page}");
    let trail = app
        .hub
        .audit_log(10, None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    for action in ["partner.create", "partner.tier", "partner.tokens"] {
        assert!(trail.iter().any(|e| e.action == action), "{action}");
    }
    assert!(!trail.iter().any(|e| e.details.to_string().contains(&token)));

    let reviewer = operator(&app, "rolf", OperatorRole::Reviewer, Vec::new()).await;
    let other = browser();
    let (status, _) = sign_in(&app, &other, &reviewer, &reviewer.password, now()).await;
    assert_eq!(status, 303);
    let (_, list, _) = get(&other, &app.url("/console/partners")).await;
    assert!(!list.contains("id=\"create-partner\""), "{list}");
    let reviewer_csrf = field(&list, "csrf");
    let (status, _, _) = post(
        &other,
        &app.url("/console/partners"),
        &[
            ("csrf", &reviewer_csrf),
            ("name", "Sneaky AS"),
            ("tier", "enterprise"),
        ],
    )
    .await;
    assert_eq!(status, 403);
}

/// Offered providers (checkboxes), evidence and return-URL policy: saved together, audited
/// with before and after; an unknown provider changes nothing; a viewer only reads them.
#[tokio::test]
async fn an_admin_chooses_a_partners_providers_evidence_and_return_urls() {
    let app = TestApp::spawn().await;
    let partner = app.partner("Acme").await;
    let partner_id: PartnerId = partner.id.parse().unwrap_or_else(|e| panic!("{e}"));
    let ids: Vec<String> = app
        .hub
        .providers()
        .infos()
        .map(|i| i.id.clone())
        .take(2)
        .collect();
    assert_eq!(ids.len(), 2, "the test configuration serves two providers");
    let admin = operator(&app, "kari", OperatorRole::Admin, Vec::new()).await;
    let client = browser();
    let (status, _) = sign_in(&app, &client, &admin, &admin.password, now()).await;
    assert_eq!(status, 303);
    let url = app.url(&format!("/console/partners/{}", partner_id));
    let (_, page, _) = get(&client, &url).await;
    assert!(page.contains(&format!("id=\"offer-{}\"", ids[0])), "{page}");
    let csrf = field(&page, "csrf");
    let access = format!("{url}/access");
    let (status, _, _) = post(
        &client,
        &access,
        &[
            ("csrf", &csrf),
            ("offer", &ids[0]),
            ("offer", &ids[1]),
            ("evidence", "full"),
            ("return_urls", "any_https"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    let saved = app
        .hub
        .partner(partner_id)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(saved.offered_providers, ids);
    assert_eq!(saved.evidence.as_str(), "full");
    assert_eq!(saved.return_urls.as_str(), "any_https");
    let (_, page, _) = get(&client, &url).await;
    assert!(
        page.contains(&format!("value=\"{}\" checked", ids[1])),
        "{page}"
    );

    // An unknown provider, a missing choice, another site's form: nothing changes.
    for form in [
        vec![
            ("csrf", csrf.as_str()),
            ("offer", "no-such-provider"),
            ("evidence", "minimal"),
            ("return_urls", "approved"),
        ],
        vec![("csrf", csrf.as_str()), ("evidence", "minimal")],
        vec![
            ("csrf", "forged"),
            ("evidence", "minimal"),
            ("return_urls", "approved"),
        ],
    ] {
        let (status, body, _) = post(&client, &access, &form).await;
        assert!(status == 400 || status == 403, "{status} {body}");
    }
    let unchanged = app
        .hub
        .partner(partner_id)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(unchanged.offered_providers, ids);
    assert_eq!(unchanged.evidence.as_str(), "full");

    let trail = app
        .hub
        .audit_log(20, None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let line = trail
        .iter()
        .find(|e| e.action == "partner.access")
        .unwrap_or_else(|| panic!("not audited: {trail:?}"));
    assert_eq!(line.details["before"]["evidence"], "minimal");
    assert_eq!(line.details["after"]["return_urls"], "any_https");

    // A viewer sees the choices as text, has no form, and is refused.
    let viewer = operator(&app, "vera", OperatorRole::Viewer, Vec::new()).await;
    let other = browser();
    let (status, _) = sign_in(&app, &other, &viewer, &viewer.password, now()).await;
    assert_eq!(status, 303);
    let (_, page, _) = get(&other, &url).await;
    assert!(
        !page.contains("id=\"save-access\"") && page.contains("id=\"offered\""),
        "{page}"
    );
    let viewer_csrf = field(&page, "csrf");
    let (status, _, _) = post(
        &other,
        &access,
        &[
            ("csrf", &viewer_csrf),
            ("evidence", "minimal"),
            ("return_urls", "approved"),
        ],
    )
    .await;
    assert_eq!(status, 403);
}

/// A reviewer's view of a session: the provider's evidence summarised (long values by their
/// length), and the files the session holds, each opened file served as what it is (never
/// re-sniffed, never cached, under a CSP of its own) and recorded in the audit trail.
#[tokio::test]
async fn a_reviewer_sees_the_evidence_and_opens_the_sessions_files() {
    let app = TestApp::spawn().await;
    let acme = app.partner("Acme").await;
    let other = app.partner("Other AS").await;
    let png: Vec<u8> = [
        &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A][..],
        b"\0\0\0\rIHDR a document's front",
    ]
    .concat();

    // A session the provider left in review, with a document the partner uploaded first.
    let session = hopae_session(&app, &acme).await;
    let id = session.id;
    let file = app
        .hub
        .add_media(&session, None, "document-front", &png)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    provider_decides(&app, session, idgate_providers::Decision::Review).await;

    let reviewer = operator(&app, "rolf", OperatorRole::Reviewer, Vec::new()).await;
    let client = browser();
    let (status, _) = sign_in(&app, &client, &reviewer, &reviewer.password, now()).await;
    assert_eq!(status, 303);
    let (status, page, _) = get(&client, &app.url(&format!("/console/sessions/{id}"))).await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("id=\"media\"") && page.contains("document-front"),
        "{page}"
    );
    let media_url = app.url(&format!("/console/sessions/{id}/media/{}", file.id));
    let r = client
        .get(&media_url)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), 200);
    let header = |name: &str| {
        r.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    assert_eq!(header("content-type"), "image/png");
    assert_eq!(header("x-content-type-options"), "nosniff");
    assert_eq!(header("cache-control"), "no-store");
    assert!(header("content-security-policy").starts_with("default-src 'none'"));
    assert_eq!(r.bytes().await.unwrap_or_default().as_ref(), png.as_slice());
    let trail = app
        .hub
        .audit_log(20, None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        trail.iter().any(|e| e.action == "session.media_view"
            && e.actor == "rolf"
            && e.details["context"] == "document-front"),
        "{trail:?}"
    );

    // An approved session's evidence: the provider's subject, level and proof.
    let session = hopae_session(&app, &acme).await;
    let approved = session.id;
    provider_decides(&app, session, idgate_providers::Decision::Approved).await;
    let (_, page, _) = get(&client, &app.url(&format!("/console/sessions/{approved}"))).await;
    let evidence = page
        .split("<dl id=\"evidence\">")
        .nth(1)
        .and_then(|rest| rest.split("</dl>").next())
        .unwrap_or_else(|| panic!("no evidence: {page}"));
    assert!(
        evidence.contains("Subject at the provider")
            && evidence.contains("idgate-sandbox-assertion")
            && evidence.contains("urn:idgate:sandbox:loa:"),
        "{evidence}"
    );

    // A file of another session, an unknown one, and a reviewer of another partner: refused.
    let wrong_session = app.url(&format!("/console/sessions/{approved}/media/{}", file.id));
    assert_eq!(get(&client, &wrong_session).await.0, 404);
    let unknown = app.url(&format!(
        "/console/sessions/{id}/media/{}",
        uuid::Uuid::new_v4()
    ));
    assert_eq!(get(&client, &unknown).await.0, 404);
    let other_id: PartnerId = other.id.parse().unwrap_or_else(|e| panic!("{e}"));
    let outsider = operator(&app, "olga", OperatorRole::Reviewer, vec![other_id]).await;
    let client = browser();
    let (status, _) = sign_in(&app, &client, &outsider, &outsider.password, now()).await;
    assert_eq!(status, 303);
    assert_eq!(get(&client, &media_url).await.0, 403);
}
