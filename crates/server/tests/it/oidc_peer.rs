//! The OIDC adapter against a real, independent OpenID Provider: panva's certified
//! `oidc-provider` (npm, installed by `scripts/test` into `crates/testkit/fixtures/oidc-provider`),
//! run on loopback with PKCE required, RS256 and ES256 keys, eIDAS acr values, and a login
//! form where the test picks the person and the acr. The browser's part is played by an HTTP
//! client that keeps cookies; `browser_e2e.rs` runs the same path in Chromium.

use idgate_testkit as common;

use common::oidc::{HIGH, LOW, Op, SUBSTANTIAL, app_with_eid, free_port};
use common::{Partner, TestApp, location, query, text};
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::BTreeMap;

const RETURN: &str = "https://partner.example.com/callback";

/// Cookies of the OP, by name (enough for its interaction and session cookies).
#[derive(Default)]
struct Jar(BTreeMap<String, String>);

impl Jar {
    fn take(&mut self, response: &reqwest::Response) {
        for value in response.headers().get_all("set-cookie") {
            if let Some((pair, _)) = value.to_str().unwrap_or_default().split_once(';')
                && let Some((name, value)) = pair.split_once('=')
            {
                self.0.insert(name.trim().to_owned(), value.to_owned());
            }
        }
    }

    fn header(&self) -> String {
        self.0
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// What the person does at the eID.
enum Login<'a> {
    As { person: &'a str, acr: &'a str },
    Deny,
}

/// Starts the hosted flow and goes through the OP's pages; returns the URL the OP sends the
/// browser back to (idgate's callback), without following it.
async fn through_the_op(app: &TestApp, verification_url: &str, login: Login<'_>) -> String {
    let r = app
        .client
        .post(format!("{verification_url}/start"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), 303);
    let authorize = location(&r);
    let mut jar = Jar::default();
    let r = app
        .client
        .get(&authorize)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    jar.take(&r);
    let interaction = location(&r);
    assert!(
        interaction.starts_with("/interaction/"),
        "{interaction} ← {authorize}"
    );
    let origin = authorize
        .split("/auth")
        .next()
        .unwrap_or_default()
        .to_owned();
    let (path, form): (String, Vec<(&str, &str)>) = match login {
        Login::As { person, acr } => (
            format!("{interaction}/login"),
            vec![("login", person), ("acr", acr)],
        ),
        Login::Deny => (format!("{interaction}/deny"), Vec::new()),
    };
    let mut r = app
        .client
        .post(format!("{origin}{path}"))
        .header("cookie", jar.header())
        .form(&form)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    // Follow the OP's own redirects (resume, consent) until it sends the browser back.
    for _ in 0..10 {
        jar.take(&r);
        let next = location(&r);
        assert!(!next.is_empty(), "the OP stopped at {}", r.status());
        let next = if next.starts_with('/') {
            format!("{origin}{next}")
        } else {
            next
        };
        if next.starts_with(&app.base) {
            return next;
        }
        r = app
            .client
            .get(&next)
            .header("cookie", jar.header())
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
    panic!("the OP never sent the browser back");
}

/// Lets idgate handle the callback; returns where it sends the browser (and the status).
async fn callback(app: &TestApp, url: &str) -> (u16, String) {
    let r = app
        .client
        .get(url)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    (r.status().as_u16(), location(&r))
}

async fn create(app: &TestApp, p: &Partner, body: Value) -> Value {
    let (status, created) = app
        .hopae(p, Method::POST, "/verifications", Some(body))
        .await;
    assert_eq!(status, 201, "{created}");
    created
}

async fn get(app: &TestApp, p: &Partner, path: &str) -> Value {
    let (status, body) = app.hopae(p, Method::GET, path, None).await;
    assert_eq!(status, 200, "{path}: {body}");
    body
}

fn authorization_url(created: &Value) -> String {
    text(&created["flowDetails"], "authorizationUrl")
}

#[tokio::test]
async fn each_acr_gives_its_level_and_the_claims_arrive_in_the_id_token() {
    let port = free_port();
    let app = app_with_eid(&format!("http://127.0.0.1:{port}"), json!({})).await;
    let op = Op::start(port, &app.url("/callback/testeid"), &[]).await;
    let p = app.partner_with_return_url("A", RETURN).await;
    for (acr, loa) in [(LOW, 2), (SUBSTANTIAL, 3), (HIGH, 4)] {
        let created = create(
            &app,
            &p,
            json!({"providerId": "testeid", "redirectUri": RETURN}),
        )
        .await;
        let id = text(&created, "verificationId");
        let back = through_the_op(
            &app,
            &authorization_url(&created),
            Login::As {
                person: "anna",
                acr,
            },
        )
        .await;
        let q = query(&back);
        assert!(q.contains_key("code") && q.contains_key("state"), "{back}");
        assert_eq!(q.get("iss"), Some(&op.issuer), "RFC 9207 iss");
        let (status, landing) = callback(&app, &back).await;
        assert_eq!(status, 303);
        assert!(landing.starts_with(RETURN), "{landing}");
        assert_eq!(
            query(&landing).get("status").map(String::as_str),
            Some("completed")
        );
        let info = get(&app, &p, &format!("/verifications/{id}/userinfo")).await;
        assert_eq!(info["hopae_loa"], loa, "{acr}");
        assert_eq!(info["given_name"], "Anna");
        assert_eq!(info["personal_identity_number"], "198503142389");
        assert_eq!(info["country"], "SE");
        let evidence = get(&app, &p, &format!("/verifications/{id}/evidence")).await;
        assert_eq!(evidence["acr"], acr);
        assert_eq!(evidence["token"]["format"], "oidc-id-token");
        assert_eq!(evidence["token"]["issuer"], json!(op.issuer));

        // The same callback again (a reload, a replay) changes nothing.
        let (status, again) = callback(&app, &back).await;
        assert_eq!(status, 303);
        assert_eq!(
            query(&again).get("status").map(String::as_str),
            Some("completed")
        );
    }
    op.stop().await;
}

#[tokio::test]
async fn a_lower_acr_than_requested_fails_and_a_denial_cancels() {
    let port = free_port();
    let app = app_with_eid(&format!("http://127.0.0.1:{port}"), json!({})).await;
    let op = Op::start(port, &app.url("/callback/testeid"), &[]).await;
    let p = app.partner_with_return_url("A", RETURN).await;

    let created = create(
        &app,
        &p,
        json!({"providerId": "testeid", "redirectUri": RETURN, "requestedLoa": 3, "requestedClaims": ["given_name", "email"]}),
    )
    .await;
    let id = text(&created, "verificationId");
    let start = app
        .client
        .post(format!("{}/start", authorization_url(&created)))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let authorize = location(&start);
    assert!(
        authorize.contains("acr_values=http%3A%2F%2Feidas.europa.eu%2FLoA%2Fsubstantial"),
        "{authorize}"
    );
    assert!(authorize.contains("code_challenge_method=S256") && authorize.contains("nonce="));
    let back = through_the_op(
        &app,
        &authorization_url(&created),
        Login::As {
            person: "kari",
            acr: LOW,
        },
    )
    .await;
    let (_, landing) = callback(&app, &back).await;
    let q = query(&landing);
    assert_eq!(q.get("status").map(String::as_str), Some("failed"));
    assert_eq!(
        q.get("reason").map(String::as_str),
        Some("insufficient_loa")
    );
    let info = get(&app, &p, &format!("/verifications/{id}/userinfo")).await;
    assert_eq!(info["hopae_loa"], 2);
    assert_eq!(info["missing_claims"], json!(["email"]));
    assert_eq!(info["given_name"], "Kari");

    let created = create(
        &app,
        &p,
        json!({"providerId": "testeid", "redirectUri": RETURN}),
    )
    .await;
    let id = text(&created, "verificationId");
    let back = through_the_op(&app, &authorization_url(&created), Login::Deny).await;
    assert_eq!(
        query(&back).get("error").map(String::as_str),
        Some("access_denied")
    );
    let (_, landing) = callback(&app, &back).await;
    assert_eq!(
        query(&landing).get("status").map(String::as_str),
        Some("cancelled")
    );
    let status = get(&app, &p, &format!("/verifications/{id}")).await;
    assert_eq!(status["status"], "cancelled");
    assert_eq!(status["error"]["code"], "user_cancelled");
    op.stop().await;
}

#[tokio::test]
async fn claims_only_at_userinfo_es256_tokens_and_client_secret_post() {
    let port = free_port();
    let app = app_with_eid(
        &format!("http://127.0.0.1:{port}"),
        json!({"client_auth": "client_secret_post"}),
    )
    .await;
    let op = Op::start(
        port,
        &app.url("/callback/testeid"),
        &[
            ("OP_CONFORM_ID_TOKEN_CLAIMS", "1"),
            ("OP_ID_TOKEN_ALG", "ES256"),
            ("OP_AUTH_METHOD", "client_secret_post"),
        ],
    )
    .await;
    let p = app.partner_with_return_url("A", RETURN).await;
    let created = create(
        &app,
        &p,
        json!({"providerId": "testeid", "redirectUri": RETURN}),
    )
    .await;
    let id = text(&created, "verificationId");
    let back = through_the_op(
        &app,
        &authorization_url(&created),
        Login::As {
            person: "kari",
            acr: HIGH,
        },
    )
    .await;
    let (_, landing) = callback(&app, &back).await;
    assert_eq!(
        query(&landing).get("status").map(String::as_str),
        Some("completed"),
        "{landing}"
    );
    let info = get(&app, &p, &format!("/verifications/{id}/userinfo")).await;
    assert_eq!(info["family_name"], "Nordmann", "read from userinfo");
    assert_eq!(info["personal_identity_number"], "14038512345");
    assert_eq!(info["hopae_loa"], 4);
    // The summary names the ID token's algorithm; the token itself is not disclosed.
    let evidence = get(&app, &p, &format!("/verifications/{id}/evidence")).await;
    assert_eq!(evidence["token"]["signature_alg"], "ES256", "{evidence}");
    assert!(evidence["token"].get("id_token").is_none(), "{evidence}");
    assert!(!text(&evidence, "names").contains("id_token"), "{evidence}");
    op.stop().await;
}

#[tokio::test]
async fn rotated_keys_are_fetched_and_a_disallowed_algorithm_is_refused() {
    let port = free_port();
    let app = app_with_eid(&format!("http://127.0.0.1:{port}"), json!({})).await;
    let redirect = app.url("/callback/testeid");
    let op = Op::start(port, &redirect, &[]).await;
    let p = app.partner_with_return_url("A", RETURN).await;
    let run = async |app: &TestApp| {
        let created = create(
            app,
            &p,
            json!({"providerId": "testeid", "redirectUri": RETURN}),
        )
        .await;
        let back = through_the_op(
            app,
            &authorization_url(&created),
            Login::As {
                person: "anna",
                acr: SUBSTANTIAL,
            },
        )
        .await;
        let (status, landing) = callback(app, &back).await;
        (status, landing)
    };
    let (_, landing) = run(&app).await;
    assert_eq!(
        query(&landing).get("status").map(String::as_str),
        Some("completed")
    );
    // The OP restarts with new keys (new kids): idgate's cached JWKS no longer has them.
    op.stop().await;
    let op = Op::start(port, &redirect, &[]).await;
    let (_, landing) = run(&app).await;
    assert_eq!(
        query(&landing).get("status").map(String::as_str),
        Some("completed"),
        "the JWKS is fetched again for an unknown kid"
    );
    op.stop().await;

    // A deployment that accepts only ES256 refuses the OP's RS256 tokens; nothing moves.
    let port = free_port();
    let strict = app_with_eid(
        &format!("http://127.0.0.1:{port}"),
        json!({"id_token_algs": ["ES256"]}),
    )
    .await;
    let op = Op::start(port, &strict.url("/callback/testeid"), &[]).await;
    let q = strict.partner_with_return_url("A", RETURN).await;
    let created = create(
        &strict,
        &q,
        json!({"providerId": "testeid", "redirectUri": RETURN}),
    )
    .await;
    let id = text(&created, "verificationId");
    let back = through_the_op(
        &strict,
        &authorization_url(&created),
        Login::As {
            person: "anna",
            acr: SUBSTANTIAL,
        },
    )
    .await;
    let (status, _) = callback(&strict, &back).await;
    assert_eq!(status, 400, "refused");
    assert_eq!(
        get(&strict, &q, &format!("/verifications/{id}")).await["status"],
        "pending"
    );
    op.stop().await;
}

#[tokio::test]
async fn a_tampered_callback_changes_nothing() {
    let port = free_port();
    let app = app_with_eid(&format!("http://127.0.0.1:{port}"), json!({})).await;
    let op = Op::start(port, &app.url("/callback/testeid"), &[]).await;
    let p = app.partner_with_return_url("A", RETURN).await;
    let created = create(
        &app,
        &p,
        json!({"providerId": "testeid", "redirectUri": RETURN}),
    )
    .await;
    let id = text(&created, "verificationId");
    let back = through_the_op(
        &app,
        &authorization_url(&created),
        Login::As {
            person: "anna",
            acr: HIGH,
        },
    )
    .await;
    let mut url = url::Url::parse(&back).unwrap_or_else(|e| panic!("{e}"));
    let original: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    let with = |name: &str, value: &str| {
        let mut u = url.clone();
        u.query_pairs_mut().clear().extend_pairs(
            original
                .iter()
                .map(|(k, v)| (k.as_str(), if k == name { value } else { v.as_str() })),
        );
        u.to_string()
    };
    for (name, value) in [
        (
            "state",
            "01a20000-0000-7000-8000-000000000000.AAAAAAAAAAAAAAAAAAAAAA",
        ),
        ("iss", "https://evil.example.com"),
        ("code", "forged-code"),
    ] {
        let (status, _) = callback(&app, &with(name, value)).await;
        assert_eq!(status, 400, "tampered {name}");
        assert_eq!(
            get(&app, &p, &format!("/verifications/{id}")).await["status"],
            "pending"
        );
    }
    // The provider advertises RFC 9207, so a response without `iss` is refused as well.
    let mut without_iss = url.clone();
    without_iss
        .query_pairs_mut()
        .clear()
        .extend_pairs(original.iter().filter(|(k, _)| k != "iss"));
    let (status, _) = callback(&app, without_iss.as_str()).await;
    assert_eq!(status, 400, "iss missing");
    // A callback for another provider id with a genuine state is refused too.
    url.set_path("/callback/veriff");
    let (status, _) = callback(&app, url.as_str()).await;
    assert_eq!(status, 400);
    // The genuine one still works (the code was not spent by the forgeries).
    let (_, landing) = callback(&app, &back).await;
    assert_eq!(
        query(&landing).get("status").map(String::as_str),
        Some("completed")
    );
    op.stop().await;
}
