//! Hopae's OpenID Connect front door, driven by the `openidconnect` crate as a relying party
//! (a library nobody here wrote): discovery, an authorization request with PKCE, nonce and
//! `acr_values`, the hosted flow at a sandbox provider, the code exchange with the app's
//! client secret, ID token verification against the published keys, and userinfo. Then the
//! refusals: an unregistered redirect URI, a wrong client secret, a wrong PKCE verifier, a
//! replayed code, a declined verification.

use idgate_testkit as common;

use common::{Partner, TestApp, browser, location, query};
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreProviderMetadata, CoreUserInfoClaims,
};
use openidconnect::{
    AuthenticationContextClass, AuthorizationCode, ClientId, ClientSecret, CsrfToken, HttpRequest,
    HttpResponse, IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier,
    RedirectUrl, Scope, TokenResponse,
};

const REDIRECT: &str = "https://rp.example.com/oidc/callback";

/// The relying party's HTTP client: reqwest, no redirects.
async fn http(request: HttpRequest) -> Result<HttpResponse, reqwest::Error> {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let (parts, body) = request.into_parts();
    let response = client
        .request(parts.method, parts.uri.to_string())
        .headers(parts.headers)
        .body(body)
        .send()
        .await?;
    let mut builder = openidconnect::http::Response::builder().status(response.status());
    for (name, value) in response.headers() {
        builder = builder.header(name, value);
    }
    let body = response.bytes().await?.to_vec();
    Ok(builder.body(body).unwrap_or_default())
}

struct Rp {
    client: CoreClient<
        openidconnect::EndpointSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointMaybeSet,
        openidconnect::EndpointMaybeSet,
    >,
}

async fn relying_party(app: &TestApp, partner: &Partner, secret: &str) -> Rp {
    let issuer = IssuerUrl::new(app.url("/connect/oidc")).unwrap_or_else(|e| panic!("{e}"));
    let metadata = CoreProviderMetadata::discover_async(issuer, &http)
        .await
        .unwrap_or_else(|e| panic!("discovery: {e:?}"));
    let client = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(partner.client_id.clone()),
        Some(ClientSecret::new(secret.to_owned())),
    )
    .set_redirect_uri(RedirectUrl::new(REDIRECT.to_owned()).unwrap_or_else(|e| panic!("{e}")));
    Rp { client }
}

/// Authorizes through the hosted flow as a person who picks `outcome` at the sandbox
/// provider; the redirect back to the relying party, and the PKCE verifier and nonce.
async fn sign_in(
    app: &TestApp,
    rp: &Rp,
    outcome: &str,
) -> (String, PkceCodeVerifier, Nonce, CsrfToken) {
    let (back, verifier, nonce, csrf, _, _) = sign_in_keeping_browser(app, rp, outcome).await;
    (back, verifier, nonce, csrf)
}

/// [`sign_in`], also giving the person's browser and the verification's link.
async fn sign_in_keeping_browser(
    app: &TestApp,
    rp: &Rp,
    outcome: &str,
) -> (
    String,
    PkceCodeVerifier,
    Nonce,
    CsrfToken,
    reqwest::Client,
    String,
) {
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, csrf, nonce) = rp
        .client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("profile".into()))
        .add_auth_context_value(AuthenticationContextClass::new("urn:hopae:loa:3".into()))
        .add_extra_param("provider_id", "veriff")
        .set_pkce_challenge(challenge)
        .url();
    let person = browser();
    let r = person
        .get(url.as_str())
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap_or_default());
    let landing = location(&r);
    assert!(landing.starts_with(&app.url("/v/")), "{landing}");
    let r = person
        .post(format!("{landing}/start"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let authorize = location(&r);
    let state = query(&authorize).get("state").cloned().unwrap_or_default();
    let r = person
        .post(app.url("/sandbox/veriff/authorize"))
        .form(&[
            ("state", state.as_str()),
            ("outcome", outcome),
            ("reason", "face_mismatch"),
        ])
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let callback = app.url(&location(&r));
    let r = person
        .get(&callback)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(r.status(), 303);
    (location(&r), verifier, nonce, csrf, person, landing)
}

#[tokio::test]
async fn a_relying_party_signs_a_person_in_with_the_code_flow() {
    let app = TestApp::spawn().await;
    let p = app.partner_with_return_url("RP AS", REDIRECT).await;
    let rp = relying_party(&app, &p, &p.client_secret).await;
    let (back, verifier, nonce, csrf) = sign_in(&app, &rp, "approved").await;
    assert!(back.starts_with(&format!("{REDIRECT}?")), "{back}");
    let q = query(&back);
    assert_eq!(q.get("state"), Some(csrf.secret()));
    assert_eq!(q.get("iss"), Some(&app.url("/connect/oidc")));
    let code = q.get("code").cloned().unwrap_or_default();

    let tokens = rp
        .client
        .exchange_code(AuthorizationCode::new(code.clone()))
        .unwrap_or_else(|e| panic!("{e:?}"))
        .set_pkce_verifier(PkceCodeVerifier::new(verifier.secret().clone()))
        .request_async(&http)
        .await
        .unwrap_or_else(|e| panic!("token: {e:?}"));
    let id_token = tokens.id_token().unwrap_or_else(|| panic!("no ID token"));
    let claims = id_token
        .claims(&rp.client.id_token_verifier(), &nonce)
        .unwrap_or_else(|e| panic!("the ID token does not verify: {e:?}"));
    assert_eq!(
        claims.auth_context_ref().map(|a| a.as_str()),
        Some("urn:hopae:loa:3")
    );
    assert!(!claims.subject().as_str().is_empty());
    assert!(
        claims.given_name().is_some(),
        "profile claims are in the ID token"
    );

    let info: CoreUserInfoClaims = rp
        .client
        .user_info(tokens.access_token().clone(), None)
        .unwrap_or_else(|e| panic!("{e:?}"))
        .request_async(&http)
        .await
        .unwrap_or_else(|e| panic!("userinfo: {e:?}"));
    assert_eq!(info.subject(), claims.subject());
    assert!(info.family_name().is_some());

    // A code works once.
    let replayed = rp
        .client
        .exchange_code(AuthorizationCode::new(code))
        .unwrap_or_else(|e| panic!("{e:?}"))
        .set_pkce_verifier(PkceCodeVerifier::new(verifier.secret().clone()))
        .request_async(&http)
        .await;
    assert!(
        format!("{replayed:?}").contains("invalid_grant"),
        "{replayed:?}"
    );
}

#[tokio::test]
async fn wrong_secrets_verifiers_and_redirects_are_refused() {
    let app = TestApp::spawn().await;
    let p = app.partner_with_return_url("RP AS", REDIRECT).await;
    let rp = relying_party(&app, &p, &p.client_secret).await;

    // An unregistered redirect URI: said to the person, never redirected.
    let r = browser()
        .get(app.url(&format!(
            "/connect/oidc/authorize?client_id={}&redirect_uri=https%3A%2F%2Fevil.example.com%2Fcb&response_type=code&scope=openid&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256",
            p.client_id
        )))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(r.status(), 400);
    assert!(r.headers().get("location").is_none());
    // Without PKCE: an error back at the client, with its state.
    let r = browser()
        .get(app.url(&format!(
            "/connect/oidc/authorize?client_id={}&redirect_uri={}&response_type=code&scope=openid&state=s1",
            p.client_id,
            url::form_urlencoded::byte_serialize(REDIRECT.as_bytes()).collect::<String>()
        )))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let q = query(&location(&r));
    assert_eq!(
        (
            q.get("error").map(String::as_str),
            q.get("state").map(String::as_str)
        ),
        (Some("invalid_request"), Some("s1"))
    );

    // A wrong secret, then a wrong verifier; the right pair still works after.
    let (back, verifier, _, _) = sign_in(&app, &rp, "approved").await;
    let code = query(&back).get("code").cloned().unwrap_or_default();
    let intruder = relying_party(&app, &p, "idg_cs_not-the-secret").await;
    let refused = intruder
        .client
        .exchange_code(AuthorizationCode::new(code.clone()))
        .unwrap_or_else(|e| panic!("{e:?}"))
        .set_pkce_verifier(PkceCodeVerifier::new(verifier.secret().clone()))
        .request_async(&http)
        .await;
    assert!(
        format!("{refused:?}").contains("invalid_client"),
        "{refused:?}"
    );
    let refused = rp
        .client
        .exchange_code(AuthorizationCode::new(code.clone()))
        .unwrap_or_else(|e| panic!("{e:?}"))
        .set_pkce_verifier(PkceCodeVerifier::new("x".repeat(43)))
        .request_async(&http)
        .await;
    assert!(
        format!("{refused:?}").contains("invalid_grant"),
        "{refused:?}"
    );
    let tokens = rp
        .client
        .exchange_code(AuthorizationCode::new(code))
        .unwrap_or_else(|e| panic!("{e:?}"))
        .set_pkce_verifier(PkceCodeVerifier::new(verifier.secret().clone()))
        .request_async(&http)
        .await;
    assert!(tokens.is_ok(), "{tokens:?}");

    // A declined verification comes back as access_denied, with no code.
    let (back, _, _, csrf) = sign_in(&app, &rp, "declined").await;
    let q = query(&back);
    assert_eq!(q.get("error").map(String::as_str), Some("access_denied"));
    assert_eq!(q.get("state"), Some(csrf.secret()));
    assert!(!q.contains_key("code"));
}

#[tokio::test]
async fn an_expired_code_is_refused() {
    let app = TestApp::spawn_with(|s| s.sessions.authorization_code_lifetime = "1s".into()).await;
    let p = app.partner_with_return_url("RP AS", REDIRECT).await;
    let rp = relying_party(&app, &p, &p.client_secret).await;
    let (back, verifier, _, _) = sign_in(&app, &rp, "approved").await;
    let code = query(&back).get("code").cloned().unwrap_or_default();
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let refused = rp
        .client
        .exchange_code(AuthorizationCode::new(code))
        .unwrap_or_else(|e| panic!("{e:?}"))
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await;
    let refused = format!("{refused:?}");
    assert!(
        refused.contains("invalid_grant") && refused.contains("expired"),
        "{refused}"
    );
}

/// A page for the browser to land on at the relying party (on loopback, which test mode
/// accepts as a redirect URI).
async fn relying_party_site() -> (String, tokio::task::JoinHandle<()>) {
    let app = axum::Router::new().route(
        "/cb",
        axum::routing::get(|| async {
            axum::response::Html(
                "<!doctype html><title>RP</title><h1 id=\"landed\">Back at the relying party</h1>",
            )
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}/cb"), task)
}

#[tokio::test]
async fn panvas_openid_client_signs_a_person_in_through_chromium() {
    use crate::browser_e2e::{browser, chromedriver, click};
    use fantoccini::Locator;
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

    let app = TestApp::spawn().await;
    let (redirect, site) = relying_party_site().await;
    let p = app.partner_with_return_url("Node RP AS", &redirect).await;
    let mut rp = tokio::process::Command::new("node")
        .arg("rp.mjs")
        .arg(app.url("/connect/oidc"))
        .arg(&p.client_id)
        .arg(&p.client_secret)
        .arg(&redirect)
        .current_dir(common::oidc::fixture())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start node: {e}"));
    let mut stdin = rp.stdin.take().unwrap_or_else(|| panic!("no stdin"));
    let stdout = rp.stdout.take().unwrap_or_else(|| panic!("no stdout"));
    let mut lines = BufReader::new(stdout).lines();
    let mut next = async || {
        let line = tokio::time::timeout(std::time::Duration::from_secs(60), lines.next_line())
            .await
            .unwrap_or_else(|_| panic!("the relying party said nothing"))
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_default();
        serde_json::from_str::<serde_json::Value>(&line).unwrap_or_else(|e| panic!("{e}: {line}"))
    };
    let first = next().await;
    let authorize = first["authorize"]
        .as_str()
        .unwrap_or_else(|| panic!("{first}"))
        .to_owned();

    let (_driver, driver_url) = chromedriver().await;
    let profile = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let person = browser(&driver_url, profile.path()).await;
    person
        .goto(&authorize)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    click(&person, "continue").await;
    click(&person, "approve").await;
    person
        .wait()
        .for_element(Locator::Id("landed"))
        .await
        .unwrap_or_else(|e| panic!("never back at the relying party: {e}"));
    let back = person
        .current_url()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .to_string();
    stdin
        .write_all(format!("{back}\n").as_bytes())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let done = next().await;
    assert!(done.get("error").is_none(), "openid-client refused: {done}");
    assert_eq!(done["claims"]["acr"], "urn:hopae:loa:3", "{done}");
    assert_eq!(done["claims"]["aud"], p.client_id.as_str());
    assert_eq!(done["claims"]["iss"], app.url("/connect/oidc"));
    assert_eq!(done["userinfo"]["sub"], done["claims"]["sub"]);
    assert!(done["userinfo"]["family_name"].is_string(), "{done}");
    let _ = person.close().await;
    site.abort();
}

/// The front door's authorize URL for `rp`, with `extra` parameters.
fn authorize_url(rp: &Rp, extra: &[(&str, &str)]) -> String {
    let (challenge, _) = PkceCodeChallenge::new_random_sha256();
    let mut request = rp
        .client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .set_pkce_challenge(challenge);
    for (name, value) in extra {
        request = request.add_extra_param(*name, *value);
    }
    request.url().0.to_string()
}

#[tokio::test]
async fn a_forwarded_verification_link_signs_nobody_in() {
    let app = TestApp::spawn().await;
    let p = app.partner_with_return_url("RP AS", REDIRECT).await;
    let rp = relying_party(&app, &p, &p.client_secret).await;
    // The sender starts a sign-in and forwards the verification link it got.
    let sender = browser();
    let r = sender
        .get(authorize_url(&rp, &[("provider_id", "veriff")]))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let link = location(&r);
    assert!(link.starts_with(&app.url("/v/")), "{link}");
    // Someone else opens it: they may read what it is, but not start it, and there is no
    // way to move it to a phone.
    let other = browser();
    let r = other
        .get(&link)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(r.status(), 200);
    let page = r.text().await.unwrap_or_default();
    assert!(!page.contains("continue-on-phone"), "{page}");
    let r = other
        .post(format!("{link}/start"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(r.status(), 400);
    assert!(
        r.text()
            .await
            .unwrap_or_default()
            .contains("Continue where you started")
    );
    let r = other
        .get(format!("{link}/phone"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(r.status(), 303, "no phone handoff for a sign-in");
    // The browser that came to authorize may.
    let r = sender
        .post(format!("{link}/start"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(r.status(), 303);
}

#[tokio::test]
async fn the_request_cannot_be_edited_past_the_apps_offer_or_level() {
    let app = TestApp::spawn().await;
    let p = app.partner_with_return_url("RP AS", REDIRECT).await;
    app.hub
        .update_partner(
            p.id.parse().unwrap_or_else(|e| panic!("{e}")),
            idgate_hub::service::partners::PartnerChange {
                offered_providers: Some(vec!["veriff".into()]),
                ..Default::default()
            },
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let rp = relying_party(&app, &p, &p.client_secret).await;
    for (extra, says) in [
        (vec![("provider_id", "bankid")], "provider_id"),
        (vec![("acr_values", "urn:hopae:loa:9")], "acr_values"),
        (
            vec![("acr_values", "http://eidas.europa.eu/LoA/high")],
            "acr_values",
        ),
    ] {
        let r = browser()
            .get(authorize_url(&rp, &extra))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e:?}"));
        let q = query(&location(&r));
        assert_eq!(
            q.get("error").map(String::as_str),
            Some("invalid_request"),
            "{extra:?}"
        );
        assert!(
            q.get("error_description").is_some_and(|d| d.contains(says)),
            "{extra:?}: {q:?}"
        );
    }
}

#[tokio::test]
async fn a_partner_cannot_plant_a_sign_in_in_its_own_sessions() {
    let app = TestApp::spawn().await;
    let p = app.partner_with_return_url("Veriff AS", REDIRECT).await;
    let r = app
        .client
        .post(app.url("/v1/sessions"))
        .header("X-AUTH-CLIENT", &p.veriff_key)
        .header("content-type", "application/json")
        .body(
            serde_json::json!({"verification": {
                "callback": REDIRECT,
                "oidc": {"client_id": "x", "redirect_uri": "https://evil.example.com/",
                         "code_challenge": "x", "scopes": [], "browser": "x"}
            }})
            .to_string(),
        )
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(r.status(), 201);
    let created: serde_json::Value = r.json().await.unwrap_or_default();
    let id = created["verification"]["id"].as_str().unwrap_or_default();
    let session = app
        .hub
        .session(id.parse().unwrap_or_else(|e| panic!("{e}")))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(session.dialect_options.get("oidc").is_none());
    assert!(!app.hub.is_front_door(&session));
}

#[tokio::test]
async fn an_old_link_makes_no_fresh_code() {
    let app = TestApp::spawn_with(|s| s.sessions.authorization_code_lifetime = "1s".into()).await;
    let p = app.partner_with_return_url("RP AS", REDIRECT).await;
    let rp = relying_party(&app, &p, &p.client_secret).await;
    let (back, _, _, _, person, link) = sign_in_keeping_browser(&app, &rp, "approved").await;
    assert!(query(&back).contains_key("code"));
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let r = person
        .get(&link)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(r.status(), 410);
    assert!(
        r.text()
            .await
            .unwrap_or_default()
            .contains("This sign-in has expired")
    );
}
