//! The OIDC adapter refuses ID tokens a real provider would never send: wrong nonce, wrong
//! audience, wrong issuer, expired, issued in the future, `alg: none`, signed by a key the
//! provider does not publish, a login older than `max_age` or none dated at all, a userinfo
//! answer of a megabyte. A certified provider cannot be made to misbehave, so this test
//! serves a deliberately broken one; the same harness first proves a correct token passes,
//! so every refusal is the adapter's doing.

use idgate_testkit as common;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::{TestApp, query, text};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

/// What the broken provider puts in its next ID token.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Defect {
    None,
    WrongNonce,
    WrongAudience,
    WrongIssuer,
    Expired,
    FromTheFuture,
    AlgNone,
    UnknownKey,
    /// An old single-sign-on login, though prompt=login and max_age were sent.
    StaleLogin,
    /// No auth_time, though max_age was sent.
    Undated,
    /// The claims are left to userinfo, which answers a megabyte.
    HugeUserinfo,
}

#[derive(Clone)]
struct Rogue {
    issuer: String,
    key: Arc<EcdsaKeyPair>,
    other_key: Arc<EcdsaKeyPair>,
    defect: Arc<Mutex<Defect>>,
    /// The nonce idgate sent in its last authorization request.
    nonce: Arc<Mutex<String>>,
}

fn key() -> EcdsaKeyPair {
    let pkcs8 =
        EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
            .unwrap_or_else(|e| panic!("{e}"));
    EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref())
        .unwrap_or_else(|e| panic!("{e}"))
}

fn jwk(key: &EcdsaKeyPair, kid: &str) -> Value {
    // Uncompressed point: 0x04 ‖ x ‖ y.
    let point = key.public_key().as_ref();
    json!({
        "kty": "EC", "crv": "P-256", "use": "sig", "alg": "ES256", "kid": kid,
        "x": URL_SAFE_NO_PAD.encode(&point[1..33]),
        "y": URL_SAFE_NO_PAD.encode(&point[33..65]),
    })
}

fn b64(v: &Value) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap_or_default())
}

fn sign(key: &EcdsaKeyPair, kid: &str, claims: &Value) -> String {
    let input = format!(
        "{}.{}",
        b64(&json!({"alg": "ES256", "typ": "JWT", "kid": kid})),
        b64(claims)
    );
    let signature = key
        .sign(&SystemRandom::new(), input.as_bytes())
        .unwrap_or_else(|e| panic!("{e}"));
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature.as_ref()))
}

async fn discovery(State(r): State<Rogue>) -> Json<Value> {
    Json(json!({
        "issuer": r.issuer,
        "authorization_endpoint": format!("{}/auth", r.issuer),
        "token_endpoint": format!("{}/token", r.issuer),
        "jwks_uri": format!("{}/jwks", r.issuer),
        "userinfo_endpoint": format!("{}/userinfo", r.issuer),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["ES256"],
    }))
}

async fn jwks(State(r): State<Rogue>) -> Json<Value> {
    Json(json!({ "keys": [jwk(&r.key, "k1")] }))
}

async fn token(State(r): State<Rogue>) -> Json<Value> {
    let defect = r.defect.lock().map(|d| *d).unwrap_or(Defect::None);
    let nonce = r.nonce.lock().map(|n| n.clone()).unwrap_or_default();
    let now = chrono::Utc::now().timestamp();
    let mut claims = json!({
        "iss": r.issuer, "sub": "rogue-user", "aud": "idgate-test", "iat": now, "exp": now + 300,
        "nonce": nonce, "given_name": "Eve", "acr": "high", "auth_time": now - 2,
    });
    match defect {
        Defect::WrongNonce => claims["nonce"] = json!("someone-elses-nonce"),
        Defect::WrongAudience => claims["aud"] = json!("another-client"),
        Defect::WrongIssuer => claims["iss"] = json!("https://evil.example.com"),
        Defect::Expired => {
            claims["iat"] = json!(now - 3600);
            claims["exp"] = json!(now - 1800);
        }
        Defect::FromTheFuture => {
            claims["iat"] = json!(now + 3600);
            claims["exp"] = json!(now + 7200);
        }
        Defect::StaleLogin => claims["auth_time"] = json!(now - 3600),
        Defect::Undated => {
            if let Some(c) = claims.as_object_mut() {
                c.remove("auth_time");
            }
        }
        Defect::HugeUserinfo => {
            if let Some(c) = claims.as_object_mut() {
                c.remove("given_name");
            }
        }
        Defect::None | Defect::AlgNone | Defect::UnknownKey => {}
    }
    let id_token = match defect {
        Defect::AlgNone => format!(
            "{}.{}.",
            b64(&json!({"alg": "none", "typ": "JWT"})),
            b64(&claims)
        ),
        Defect::UnknownKey => sign(&r.other_key, "k2", &claims),
        _ => sign(&r.key, "k1", &claims),
    };
    Json(
        json!({ "access_token": "at", "token_type": "Bearer", "expires_in": 300, "id_token": id_token }),
    )
}

async fn userinfo(State(r): State<Rogue>) -> Json<Value> {
    let defect = r.defect.lock().map(|d| *d).unwrap_or(Defect::None);
    let mut info = json!({ "sub": "rogue-user", "given_name": "Eve" });
    if defect == Defect::HugeUserinfo {
        info["padding"] = json!("x".repeat(1024 * 1024));
    }
    Json(info)
}

async fn rogue() -> Rogue {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
    let state = Rogue {
        issuer: format!("http://{addr}"),
        key: Arc::new(key()),
        other_key: Arc::new(key()),
        defect: Arc::new(Mutex::new(Defect::None)),
        nonce: Arc::new(Mutex::new(String::new())),
    };
    let app = Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/jwks", get(jwks))
        .route("/token", post(token))
        .route("/userinfo", get(userinfo))
        .with_state(state.clone());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    state
}

#[tokio::test]
async fn id_tokens_with_any_defect_are_refused_and_change_nothing() {
    let op = rogue().await;
    let provider: idgate_providers::ProviderConfig = serde_json::from_value(json!({
        "adapter": "oidc", "issuer": op.issuer, "client_id": "idgate-test",
        "client_secret": "secret", "scopes": [], "claims": ["given_name"],
        "acr_values": {"4": "high"}, "acr_loa": {"high": 4},
    }))
    .unwrap_or_else(|e| panic!("{e}"));
    let app = TestApp::spawn_with(move |s| {
        s.providers.insert("rogue".into(), provider);
    })
    .await;
    let p = app.partner("A").await;
    for defect in [
        Defect::None,
        Defect::WrongNonce,
        Defect::WrongAudience,
        Defect::WrongIssuer,
        Defect::Expired,
        Defect::FromTheFuture,
        Defect::AlgNone,
        Defect::UnknownKey,
        Defect::StaleLogin,
        Defect::Undated,
        Defect::HugeUserinfo,
    ] {
        if let Ok(mut d) = op.defect.lock() {
            *d = defect;
        }
        let (status, created) = app
            .hopae(
                &p,
                reqwest::Method::POST,
                "/verifications",
                Some(json!({"providerId": "rogue"})),
            )
            .await;
        assert_eq!(status, 201, "{created}");
        let id = text(&created, "verificationId");
        let url = text(&created["flowDetails"], "authorizationUrl");
        let r = app
            .client
            .post(format!("{url}/start"))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let authorize = r
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let params = query(&authorize);
        assert_eq!(
            (
                params.get("prompt").map(String::as_str),
                params.get("max_age").map(String::as_str)
            ),
            (Some("login"), Some("600"))
        );
        if let Ok(mut n) = op.nonce.lock() {
            *n = params.get("nonce").cloned().unwrap_or_default();
        }
        let callback = format!(
            "{}?code=c&state={}",
            app.url("/callback/rogue"),
            params.get("state").cloned().unwrap_or_default()
        );
        let r = app
            .client
            .get(&callback)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let (_, status_now) = app
            .hopae(
                &p,
                reqwest::Method::GET,
                &format!("/verifications/{id}"),
                None,
            )
            .await;
        if defect == Defect::None {
            assert_eq!(r.status(), 200, "no return URL: the result page");
            assert_eq!(
                status_now["status"], "completed",
                "the harness itself works"
            );
        } else {
            assert_eq!(r.status(), 400, "{defect:?} must be refused");
            let page = r.text().await.unwrap_or_default();
            assert!(!page.contains("Eve"), "nothing from the token is shown");
            assert_eq!(
                status_now["status"], "pending",
                "{defect:?} changed the session"
            );
        }
    }
}
