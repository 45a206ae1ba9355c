//! A built-in OpenID Provider simulator at `/simulators/oidc`: discovery, JWKS, an authorize
//! page where the tester picks a test identity and a level, token and userinfo. It lets the
//! demo show an eID login offline, and idgate's OIDC adapter is pointed at it exactly as at a
//! real provider (through HTTP, discovery and all). Authorization codes and access tokens are
//! stateless values tagged with the deployment's secret; a code is redeemed once (marked in
//! the database, so any node may answer). Sandbox only: its client secret is public.

use super::simulator_ui;
use crate::hosted::pages::{self, Page};
use crate::state::AppState;
use aws_lc_rs::digest;
use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair};
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Json, Router};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chrono::Utc;
use idgate_providers::sandbox::identities::{TEST_IDENTITIES, TestIdentity};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// The simulator's only client. Public on purpose: this is a sandbox.
pub const CLIENT_ID: &str = "idgate-simulator";
pub const CLIENT_SECRET: &str = "idgate-simulator-secret";
/// What the login page offers, as eIDAS levels.
const ACRS: &[(&str, &str)] = &[
    ("http://eidas.europa.eu/LoA/low", "Low"),
    ("http://eidas.europa.eu/LoA/substantial", "Substantial"),
    ("http://eidas.europa.eu/LoA/high", "High"),
];
const CODE_SECS: i64 = 60;
const TOKEN_SECS: i64 = 300;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/simulators/oidc/.well-known/openid-configuration",
            get(discovery),
        )
        .route("/simulators/oidc/jwks", get(jwks))
        .route("/simulators/oidc/authorize", get(authorize).post(decide))
        .route("/simulators/oidc/token", axum::routing::post(token))
        .route("/simulators/oidc/userinfo", get(userinfo))
}

fn issuer(state: &AppState) -> String {
    format!("{}/simulators/oidc", state.settings().public_base())
}

/// The simulator's Ed25519 key, the same on every node sharing the key file.
fn signing_key(state: &AppState) -> Option<(Ed25519KeyPair, String)> {
    let seed = state.keys().derive("oidc-simulator-signing-key");
    let pair = Ed25519KeyPair::from_seed_unchecked(&seed).ok()?;
    let fingerprint = digest::digest(&digest::SHA256, pair.public_key().as_ref());
    let kid = format!("sim-{}", hex::encode(&fingerprint.as_ref()[..6]));
    Some((pair, kid))
}

/// A value only this deployment can make: base64url(JSON) `.` tag.
fn seal<T: Serialize>(state: &AppState, purpose: &str, value: &T) -> String {
    let body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap_or_default());
    let tag = state.keys().bind(purpose, &body);
    format!("{body}.{tag}")
}

fn open<T: DeserializeOwned>(state: &AppState, purpose: &str, sealed: &str) -> Option<T> {
    let (body, tag) = sealed.split_once('.')?;
    if !state.keys().verify_binding(purpose, body, tag) {
        return None;
    }
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(body).ok()?).ok()
}

async fn discovery(State(state): State<AppState>) -> Json<Value> {
    let iss = issuer(&state);
    Json(json!({
        "issuer": iss,
        "authorization_endpoint": format!("{iss}/authorize"),
        "token_endpoint": format!("{iss}/token"),
        "userinfo_endpoint": format!("{iss}/userinfo"),
        "jwks_uri": format!("{iss}/jwks"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["EdDSA"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
        "scopes_supported": ["openid", "profile", "eid"],
        "claims_supported": ["sub", "name", "given_name", "family_name", "birthdate", "personal_identity_number", "country", "acr", "amr"],
        "acr_values_supported": ACRS.iter().map(|(a, _)| *a).collect::<Vec<_>>(),
        "authorization_response_iss_parameter_supported": true,
    }))
}

async fn jwks(State(state): State<AppState>) -> Response {
    let Some((pair, kid)) = signing_key(&state) else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    Json(json!({ "keys": [{
        "kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "use": "sig", "kid": kid,
        "x": URL_SAFE_NO_PAD.encode(pair.public_key().as_ref()),
    }]}))
    .into_response()
}

/// An authorization request, checked, carried through the login page.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct AuthRequest {
    redirect_uri: String,
    state: String,
    nonce: Option<String>,
    code_challenge: String,
    scope: String,
    acr_values: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct AuthParams {
    client_id: Option<String>,
    redirect_uri: Option<String>,
    response_type: Option<String>,
    scope: Option<String>,
    state: Option<String>,
    nonce: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
    acr_values: Option<String>,
}

fn error_redirect(redirect_uri: &str, iss: &str, state: &str, error: &str) -> Response {
    let mut url = match url::Url::parse(redirect_uri) {
        Ok(u) => u,
        Err(_) => return bad_request("The redirect URI is invalid."),
    };
    url.query_pairs_mut()
        .append_pair("error", error)
        .append_pair("state", state)
        .append_pair("iss", iss);
    Redirect::to(url.as_str()).into_response()
}

fn bad_request(message: &str) -> Response {
    Page::message(
        StatusCode::BAD_REQUEST,
        simulator_ui(),
        "Invalid request".into(),
        message.into(),
    )
    .into_response()
}

async fn authorize(State(state): State<AppState>, Query(p): Query<AuthParams>) -> Response {
    // Never redirect to an address that is not idgate's own callback.
    let callbacks = format!("{}/callback/", state.settings().public_base());
    let Some(redirect_uri) = p.redirect_uri.filter(|r| r.starts_with(&callbacks)) else {
        return bad_request("The redirect URI is not registered with this simulator.");
    };
    if p.client_id.as_deref() != Some(CLIENT_ID) {
        return bad_request("Unknown client.");
    }
    let iss = issuer(&state);
    let flow_state = p.state.unwrap_or_default();
    let scope = p.scope.unwrap_or_default();
    if p.response_type.as_deref() != Some("code") || !scope.split(' ').any(|s| s == "openid") {
        return error_redirect(
            &redirect_uri,
            &iss,
            &flow_state,
            "unsupported_response_type",
        );
    }
    let challenge = match (p.code_challenge, p.code_challenge_method.as_deref()) {
        (Some(c), Some("S256")) if (43..=128).contains(&c.len()) => c,
        _ => return error_redirect(&redirect_uri, &iss, &flow_state, "invalid_request"),
    };
    let acr_values: Vec<String> = p
        .acr_values
        .unwrap_or_default()
        .split(' ')
        .filter(|a| ACRS.iter().any(|(known, _)| known == a))
        .map(str::to_owned)
        .collect();
    let preferred = acr_values
        .first()
        .cloned()
        .unwrap_or_else(|| ACRS[1].0.to_owned());
    let request = AuthRequest {
        redirect_uri,
        state: flow_state,
        nonce: p.nonce,
        code_challenge: challenge,
        scope,
        acr_values,
    };
    Page::oidc_login(pages::OidcLogin {
        request: seal(&state, "oidc-sim-request", &request),
        identities: TEST_IDENTITIES
            .iter()
            .map(|i| (i.registration_id.to_owned(), i.full_name()))
            .collect(),
        acrs: ACRS
            .iter()
            .map(|(a, l)| ((*a).to_owned(), (*l).to_owned()))
            .collect(),
        preferred,
        ui: simulator_ui(),
    })
    .into_response()
}

#[derive(Debug, Deserialize)]
struct DecideForm {
    request: Option<String>,
    identity: Option<String>,
    acr: Option<String>,
    decision: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Code {
    request: AuthRequest,
    identity: String,
    acr: String,
    exp: i64,
    auth_time: i64,
}

async fn decide(State(state): State<AppState>, Form(form): Form<DecideForm>) -> Response {
    let Some(request) = form
        .request
        .as_deref()
        .and_then(|r| open::<AuthRequest>(&state, "oidc-sim-request", r))
    else {
        return bad_request("The login request was changed or is incomplete.");
    };
    let iss = issuer(&state);
    if form.decision.as_deref() != Some("login") {
        return error_redirect(&request.redirect_uri, &iss, &request.state, "access_denied");
    }
    let identity = form
        .identity
        .as_deref()
        .and_then(TestIdentity::by_registration_id);
    let acr = form
        .acr
        .filter(|a| ACRS.iter().any(|(known, _)| known == a));
    let (Some(identity), Some(acr)) = (identity, acr) else {
        return bad_request("Choose a test identity and a level.");
    };
    let now = Utc::now().timestamp();
    let code = seal(
        &state,
        "oidc-sim-code",
        &Code {
            request: request.clone(),
            identity: identity.registration_id.to_owned(),
            acr,
            exp: now + CODE_SECS,
            auth_time: now,
        },
    );
    let Ok(mut url) = url::Url::parse(&request.redirect_uri) else {
        return bad_request("The redirect URI is invalid.");
    };
    url.query_pairs_mut()
        .append_pair("code", &code)
        .append_pair("state", &request.state)
        .append_pair("iss", &iss);
    Redirect::to(url.as_str()).into_response()
}

#[derive(Debug, Deserialize)]
struct TokenForm {
    grant_type: Option<String>,
    code: Option<String>,
    redirect_uri: Option<String>,
    code_verifier: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
}

fn token_error(status: StatusCode, error: &str) -> Response {
    (status, Json(json!({ "error": error }))).into_response()
}

/// `client_secret_basic` or `client_secret_post`.
fn client_authenticated(headers: &HeaderMap, form: &TokenForm) -> bool {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| STANDARD.decode(b.trim()).ok())
        .and_then(|b| String::from_utf8(b).ok());
    let (id, secret) = match basic.as_deref().and_then(|b| b.split_once(':')) {
        Some((id, secret)) => (id.to_owned(), secret.to_owned()),
        None => (
            form.client_id.clone().unwrap_or_default(),
            form.client_secret.clone().unwrap_or_default(),
        ),
    };
    // Form-encoded in Basic (RFC 6749 2.3.1): our values need no decoding.
    id == CLIENT_ID && secret == CLIENT_SECRET
}

#[derive(Debug, Serialize, Deserialize)]
struct AccessToken {
    sub: String,
    scope: String,
    exp: i64,
}

fn claims_for(identity: &TestIdentity, scope: &str) -> serde_json::Map<String, Value> {
    let mut claims = serde_json::Map::new();
    claims.insert("sub".into(), identity.registration_id.into());
    let scopes: Vec<&str> = scope.split(' ').collect();
    if scopes.contains(&"profile") {
        claims.insert("name".into(), identity.full_name().into());
        claims.insert("given_name".into(), identity.given_name.into());
        claims.insert("family_name".into(), identity.family_name.into());
        claims.insert("birthdate".into(), identity.birthdate.into());
    }
    if scopes.contains(&"eid") {
        claims.insert(
            "personal_identity_number".into(),
            identity.personal_code.into(),
        );
        claims.insert("country".into(), identity.nationality.into());
    }
    claims
}

async fn token(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<TokenForm>,
) -> Response {
    if !client_authenticated(&headers, &form) {
        return token_error(StatusCode::UNAUTHORIZED, "invalid_client");
    }
    if form.grant_type.as_deref() != Some("authorization_code") {
        return token_error(StatusCode::BAD_REQUEST, "unsupported_grant_type");
    }
    let now = Utc::now().timestamp();
    let Some(raw) = form.code.as_deref() else {
        return token_error(StatusCode::BAD_REQUEST, "invalid_request");
    };
    let Some(code) = open::<Code>(&state, "oidc-sim-code", raw).filter(|c| c.exp >= now) else {
        return token_error(StatusCode::BAD_REQUEST, "invalid_grant");
    };
    let verifier = form.code_verifier.unwrap_or_default();
    let challenge = URL_SAFE_NO_PAD.encode(digest::digest(&digest::SHA256, verifier.as_bytes()));
    if form.redirect_uri.as_deref() != Some(code.request.redirect_uri.as_str())
        || challenge != code.request.code_challenge
    {
        return token_error(StatusCode::BAD_REQUEST, "invalid_grant");
    }
    // Once only, whichever node is asked.
    let used = hex::encode(digest::digest(&digest::SHA256, raw.as_bytes()));
    match state
        .mark_once(
            &format!("oidc-simulator-code:{used}"),
            chrono::DateTime::from_timestamp(code.exp + 1, 0).unwrap_or_else(Utc::now),
        )
        .await
    {
        Ok(true) => {}
        Ok(false) => return token_error(StatusCode::BAD_REQUEST, "invalid_grant"),
        Err(e) => {
            tracing::error!(error = %e, "OIDC simulator could not record a code");
            return token_error(StatusCode::INTERNAL_SERVER_ERROR, "server_error");
        }
    }
    let (Some(identity), Some((pair, kid))) = (
        TestIdentity::by_registration_id(&code.identity),
        signing_key(&state),
    ) else {
        return token_error(StatusCode::INTERNAL_SERVER_ERROR, "server_error");
    };
    let mut claims = claims_for(identity, &code.request.scope);
    claims.insert("iss".into(), issuer(&state).into());
    claims.insert("aud".into(), CLIENT_ID.into());
    claims.insert("iat".into(), now.into());
    claims.insert("exp".into(), (now + TOKEN_SECS).into());
    claims.insert("auth_time".into(), code.auth_time.into());
    claims.insert("acr".into(), code.acr.clone().into());
    claims.insert("amr".into(), json!(["pwd"]));
    if let Some(nonce) = &code.request.nonce {
        claims.insert("nonce".into(), nonce.clone().into());
    }
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some(kid);
    let Ok(pkcs8) = pair.to_pkcs8() else {
        return token_error(StatusCode::INTERNAL_SERVER_ERROR, "server_error");
    };
    let id_token =
        match jsonwebtoken::encode(&header, &claims, &EncodingKey::from_ed_der(pkcs8.as_ref())) {
            Ok(t) => t,
            Err(_) => return token_error(StatusCode::INTERNAL_SERVER_ERROR, "server_error"),
        };
    let access_token = seal(
        &state,
        "oidc-sim-access",
        &AccessToken {
            sub: identity.registration_id.to_owned(),
            scope: code.request.scope.clone(),
            exp: now + TOKEN_SECS,
        },
    );
    Json(json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": TOKEN_SECS,
        "id_token": id_token,
        "scope": code.request.scope,
    }))
    .into_response()
}

async fn userinfo(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .and_then(|t| open::<AccessToken>(&state, "oidc-sim-access", t.trim()))
        .filter(|t| t.exp >= Utc::now().timestamp());
    let Some(token) = token else {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer error=\"invalid_token\"")],
        )
            .into_response();
    };
    match TestIdentity::by_registration_id(&token.sub) {
        Some(identity) => Json(Value::Object(claims_for(identity, &token.scope))).into_response(),
        None => StatusCode::UNAUTHORIZED.into_response(),
    }
}
