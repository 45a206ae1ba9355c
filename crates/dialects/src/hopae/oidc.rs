//! Hopae's OpenID Connect front door, at `/connect/oidc` (the issuer): discovery, `authorize`
//! (code flow, PKCE S256 required), `token` (`client_secret_basic` or `client_secret_post`
//! with the app's Hopae client id and secret) and `userinfo` (Bearer). The ID token's key is
//! idgate's signing key, published at `/.well-known/jwks.json`. The rules live in the hub
//! ([`idgate_hub::service::oidc_front_door`]); this is the wire.

use crate::HubState;
use axum::extract::{Query, RawForm, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Json, Router};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use idgate_hub::service::ServiceError;
use idgate_hub::service::oidc_front_door::{
    AuthorizationRequest, BROWSER_COOKIE, BROWSER_COOKIE_SECURE, OidcError,
};
use serde::Deserialize;
use serde_json::json;

/// The front door's routes, nested at `/connect/oidc`.
pub fn router() -> Router<HubState> {
    Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/authorize", get(authorize))
        .route("/token", axum::routing::post(token))
        .route("/userinfo", get(userinfo).post(userinfo))
}

async fn discovery(State(hub): State<HubState>) -> Response {
    let iss = hub.oidc_issuer();
    let mut response = Json(json!({
        "issuer": iss,
        "authorization_endpoint": format!("{iss}/authorize"),
        "token_endpoint": format!("{iss}/token"),
        "userinfo_endpoint": format!("{iss}/userinfo"),
        "jwks_uri": format!("{}/.well-known/jwks.json", hub.settings().public_base()),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["EdDSA"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
        "scopes_supported": ["openid", "profile", "email", "phone", "address", "idv", "hopae"],
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "acr", "hopae_loa", "provider_id",
            "name", "given_name", "family_name", "birthdate", "email", "phone_number", "address",
            "personal_identity_number", "nationality", "country"],
        "acr_values_supported": (1..=5).map(|n| format!("urn:hopae:loa:{n}")).collect::<Vec<_>>(),
        "ui_locales_supported": ["en", "sv", "nb", "da", "fi", "et", "de"],
        "authorization_response_iss_parameter_supported": true,
        "request_parameter_supported": false,
        "claims_parameter_supported": false,
    }))
    .into_response();
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    response
}

#[derive(Debug, Default, Deserialize)]
struct AuthorizeParams {
    client_id: Option<String>,
    redirect_uri: Option<String>,
    response_type: Option<String>,
    scope: Option<String>,
    state: Option<String>,
    nonce: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
    acr_values: Option<String>,
    prompt: Option<String>,
    ui_locales: Option<String>,
    /// The eID provider to use (Hopae's `providerId`, as a parameter).
    provider_id: Option<String>,
}

/// A request that cannot go back to the client (unknown client, unregistered redirect URI):
/// said to the person, never redirected (RFC 6749 §4.1.2.1).
fn refuse(message: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!("This sign-in request cannot be accepted: {message}\nGo back to the service you came from and try again.\n"),
    )
        .into_response()
}

/// An error sent back to the client's redirect URI.
fn redirect_error(
    redirect_uri: &str,
    issuer: &str,
    state: Option<&str>,
    error: &str,
    description: &str,
) -> Response {
    let Ok(mut url) = url::Url::parse(redirect_uri) else {
        return refuse("the redirect URI is not a URL");
    };
    {
        let mut query = url.query_pairs_mut();
        query.append_pair("error", error);
        query.append_pair("error_description", description);
        if let Some(state) = state {
            query.append_pair("state", state);
        }
        query.append_pair("iss", issuer);
    }
    Redirect::to(url.as_str()).into_response()
}

/// The browser's sign-in cookie: its name here, and its value if it has a well-formed one.
fn signin_cookie(hub: &HubState, headers: &HeaderMap) -> (&'static str, Option<String>) {
    let name = if hub.settings().public_is_https() {
        BROWSER_COOKIE_SECURE
    } else {
        BROWSER_COOKIE
    };
    let value = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_owned())
        .filter(|v| {
            v.len() == 24
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        });
    (name, value)
}

async fn authorize(
    State(hub): State<HubState>,
    headers: HeaderMap,
    params: Result<Query<AuthorizeParams>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Ok(Query(p)) = params else {
        return refuse("its parameters are malformed");
    };
    let Some(client_id) = p.client_id.filter(|c| !c.is_empty()) else {
        return refuse("client_id is missing");
    };
    let partner = match hub.partner_by_client_id(&client_id).await {
        Ok(partner) => partner,
        Err(ServiceError::Unauthenticated | ServiceError::NotFound(_)) => {
            return refuse("the client_id is not known here");
        }
        Err(e) => {
            tracing::error!(error = %e, "authorize failed");
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                "Please try again in a moment.",
            )
                .into_response();
        }
    };
    let Some(redirect_uri) = p.redirect_uri.filter(|r| !r.is_empty()) else {
        return refuse("redirect_uri is missing");
    };
    match hub.oidc_redirect_allowed(&partner, &redirect_uri).await {
        Ok(true) => {}
        Ok(false) => {
            return refuse("the redirect_uri is not registered and approved for this client");
        }
        Err(e) => {
            tracing::error!(error = %e, "authorize failed");
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                "Please try again in a moment.",
            )
                .into_response();
        }
    }
    let issuer = hub.oidc_issuer();
    let state = p.state.as_deref();
    let error = |code: &str, description: &str| {
        redirect_error(&redirect_uri, &issuer, state, code, description)
    };
    if p.response_type.as_deref() != Some("code") {
        return error(
            "unsupported_response_type",
            "only response_type=code is supported",
        );
    }
    let scopes: Vec<String> = p
        .scope
        .as_deref()
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    if !scopes.iter().any(|s| s == "openid") {
        return error("invalid_scope", "the openid scope is required");
    }
    let Some(code_challenge) = p.code_challenge.filter(|c| (43..=128).contains(&c.len())) else {
        return error(
            "invalid_request",
            "PKCE is required: send code_challenge with code_challenge_method=S256",
        );
    };
    if p.code_challenge_method.as_deref() != Some("S256") {
        return error("invalid_request", "code_challenge_method must be S256");
    }
    if p.prompt
        .as_deref()
        .is_some_and(|prompt| prompt.split_whitespace().any(|v| v == "none"))
    {
        return error("login_required", "every verification needs the person");
    }
    // An acr_values the front door cannot honour is refused, not dropped: dropping it would
    // run a verification at a lower level than the client asked for.
    let loa = match p.acr_values.as_deref() {
        None => None,
        Some(values) => match values
            .split_whitespace()
            .find_map(|v| v.strip_prefix("urn:hopae:loa:")?.parse::<u8>().ok())
            .filter(|n| (1..=5).contains(n))
        {
            Some(loa) => Some(loa),
            None => {
                return error(
                    "invalid_request",
                    "acr_values must name a level urn:hopae:loa:1 to urn:hopae:loa:5",
                );
            }
        },
    };
    // The browser that came here is the one the sign-in belongs to.
    let (cookie_name, existing) = signin_cookie(&hub, &headers);
    let browser = match existing {
        Some(value) => value,
        None => match idgate_hub::random::random_token(18) {
            Ok(value) => value,
            Err(_) => return error("server_error", "the sign-in could not be started"),
        },
    };
    let request = AuthorizationRequest {
        client_id,
        redirect_uri: redirect_uri.clone(),
        state: p.state.clone(),
        nonce: p.nonce,
        code_challenge,
        scopes,
        provider_id: p.provider_id,
        loa,
        ui_locales: p.ui_locales,
        browser: browser.clone(),
    };
    match hub.oidc_authorize(&partner, request).await {
        Ok(created) => {
            let mut response = Redirect::to(&created.verification_url).into_response();
            let secure = if cookie_name == BROWSER_COOKIE_SECURE {
                "; Secure"
            } else {
                ""
            };
            if let Ok(cookie) = HeaderValue::from_str(&format!(
                "{cookie_name}={browser}; Path=/; HttpOnly; SameSite=Lax{secure}"
            )) {
                response.headers_mut().append(header::SET_COOKIE, cookie);
            }
            response
        }
        Err(ServiceError::RateLimited(_)) => error(
            "temporarily_unavailable",
            "too many verifications; try again shortly",
        ),
        Err(
            e @ (ServiceError::InvalidInput(_)
            | ServiceError::UnknownProvider(_)
            | ServiceError::LoaUnavailable { .. }),
        ) => error("invalid_request", &e.to_string()),
        Err(e) => {
            tracing::error!(error = %e, "authorize failed");
            error("server_error", "the verification could not be created")
        }
    }
}

/// An OAuth error answer (RFC 6749 §5.2), never cached.
fn oauth_error(e: &OidcError) -> Response {
    let status = match e {
        OidcError::InvalidClient(_) => StatusCode::UNAUTHORIZED,
        OidcError::InvalidToken(_) => StatusCode::UNAUTHORIZED,
        OidcError::Service(ServiceError::RateLimited(_)) => StatusCode::TOO_MANY_REQUESTS,
        OidcError::Service(_) => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::BAD_REQUEST,
    };
    if let OidcError::Service(inner) = e {
        tracing::warn!(error = %inner, "token endpoint failed");
    }
    let description = match e {
        OidcError::Service(_) => "the request could not be completed".to_owned(),
        other => other
            .to_string()
            .split_once(": ")
            .map_or_else(String::new, |(_, d)| d.to_owned()),
    };
    let mut response = (
        status,
        Json(json!({ "error": e.code(), "error_description": description })),
    )
        .into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    match e {
        OidcError::InvalidClient(_) => {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"idgate\""),
            );
        }
        OidcError::InvalidToken(_) => {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer error=\"invalid_token\""),
            );
        }
        _ => {}
    }
    response
}

fn basic_client(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let text = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = text.split_once(':')?;
    // RFC 6749 §2.3.1: both halves are form-urlencoded before Basic encoding.
    let decode = |s: &str| {
        url::form_urlencoded::parse(format!("v={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
    };
    Some((decode(id)?, decode(secret)?))
}

async fn token(
    State(hub): State<HubState>,
    headers: HeaderMap,
    RawForm(body): RawForm,
) -> Response {
    let form: std::collections::HashMap<String, String> =
        url::form_urlencoded::parse(&body).into_owned().collect();
    let field = |name: &str| form.get(name).map(String::as_str).unwrap_or_default();
    let client = basic_client(&headers).or_else(|| {
        let id = form.get("client_id")?;
        let secret = form.get("client_secret")?;
        Some((id.clone(), secret.clone()))
    });
    let Some((client_id, client_secret)) = client else {
        return oauth_error(&OidcError::InvalidClient(
            "authenticate with client_secret_basic or client_secret_post".into(),
        ));
    };
    if field("grant_type") != "authorization_code" {
        return oauth_error(&OidcError::UnsupportedGrantType);
    }
    for required in ["code", "redirect_uri", "code_verifier"] {
        if field(required).is_empty() {
            return oauth_error(&OidcError::InvalidRequest(format!(
                "{required} is required"
            )));
        }
    }
    match hub
        .oidc_token(
            &client_id,
            &client_secret,
            field("code"),
            field("redirect_uri"),
            field("code_verifier"),
        )
        .await
    {
        Ok(answer) => {
            let mut response = Json(answer).into_response();
            let headers = response.headers_mut();
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
            response
        }
        Err(e) => oauth_error(&e),
    }
}

async fn userinfo(State(hub): State<HubState>, headers: HeaderMap) -> Response {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim().to_owned());
    let Some(token) = token else {
        return oauth_error(&OidcError::InvalidToken(
            "send the access token as a Bearer token".into(),
        ));
    };
    match hub.oidc_userinfo(&token).await {
        Ok(info) => {
            let mut response = Json(info).into_response();
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(e) => oauth_error(&e),
    }
}
