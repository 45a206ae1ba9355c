//! Single sign-on to the console through the company's OpenID Provider, with the relying
//! party the eID adapter uses ([`RelyingParty`]: code flow, PKCE S256, nonce, RFC 9207, ID
//! token checks).
//!
//! Nothing per flow is stored: the flow is a random value in a short-lived cookie, and its
//! `state`, nonce and PKCE verifier are keyed digests of it, so any node can finish any flow
//! and a return without the browser's cookie is refused (no login CSRF). That cookie is
//! `SameSite=Lax`, since it must come back with the provider's cross-site redirect. The
//! provider names the person by `sub`; the operator linked to that subject is signed in.

use super::{
    AppState, cookie, failure, page, pages, pre_token_ok, same, set_cookie, set_cookie_with,
    sign_in_form,
};
use crate::hosted::client_limit::ClientAddress;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use idgate_hub::service::operators::SignIn;
use idgate_hub::settings::ConsoleSsoSettings;
use idgate_providers::ProviderError;
use idgate_providers::http::HttpClients;
use idgate_providers::oidc::{Answer, Authorization, FlowSecrets, RelyingParty};
use serde::Deserialize;
use std::collections::BTreeMap;

/// How long a browser has at the provider before its flow cookie lapses.
const FLOW_LIFETIME_SECS: i64 = 600;

/// The configured single sign-on.
#[derive(Debug)]
pub struct SingleSignOn {
    relying_party: RelyingParty,
    /// "Sign in with {label}".
    pub label: String,
    scopes: Vec<String>,
    acr_values: Vec<String>,
}

impl SingleSignOn {
    /// `None` when `[console.sso]` names no issuer.
    pub fn from_settings(
        settings: &ConsoleSsoSettings,
        clients: &dyn HttpClients,
    ) -> Result<Option<Self>, ProviderError> {
        if !settings.enabled() {
            return Ok(None);
        }
        let relying_party =
            idgate_providers::oidc::relying_party("console.sso", settings.registration(), clients)
                .map_err(|e| ProviderError::Config(format!("console.sso: {e}")))?;
        Ok(Some(SingleSignOn {
            relying_party,
            label: settings.label.clone(),
            scopes: settings.scopes.clone(),
            acr_values: settings.acr_values.clone(),
        }))
    }
}

fn flow_cookie_name(state: &AppState) -> &'static str {
    if state.settings().public_is_https() {
        "__Host-idgate-console-sso"
    } else {
        "idgate-console-sso"
    }
}

fn callback_url(state: &AppState) -> String {
    format!("{}/console/sso/callback", state.settings().public_base())
}

/// A flow's values at the provider, derived from its cookie.
struct Derived {
    state: String,
    nonce: String,
    pkce_verifier: String,
}

fn derive(state: &AppState, flow: &str) -> Derived {
    let keys = state.keys();
    Derived {
        state: keys.bind("console-sso-state", flow),
        nonce: keys.bind("console-sso-nonce", flow),
        // RFC 7636 asks for 43-128 characters: two digests (22 each).
        pkce_verifier: format!(
            "{}{}",
            keys.bind("console-sso-pkce-1", flow),
            keys.bind("console-sso-pkce-2", flow)
        ),
    }
}

#[derive(Deserialize)]
pub(crate) struct StartForm {
    pre: Option<String>,
}

/// `POST /console/sso`: off to the provider.
pub(crate) async fn start(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Result<Form<StartForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let Some(sso) = state.console_sso.clone() else {
        return sign_in_form(
            &state,
            StatusCode::NOT_FOUND,
            Some("Single sign-on is not set up here: sign in with your password.".into()),
        );
    };
    let sent = form.ok().and_then(|Form(f)| f.pre);
    if !pre_token_ok(&state, &headers, sent.as_deref()) {
        return sign_in_form(
            &state,
            StatusCode::FORBIDDEN,
            Some("This form has expired. Try again.".into()),
        );
    }
    let Ok(flow) = idgate_hub::random::random_token(24) else {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    };
    let derived = derive(&state, &flow);
    let callback = callback_url(&state);
    let url = sso
        .relying_party
        .authorization_url(&Authorization {
            callback_url: &callback,
            state: &derived.state,
            nonce: &derived.nonce,
            pkce_verifier: &derived.pkce_verifier,
            scopes: &sso.scopes,
            acr_values: sso.acr_values.iter().collect(),
            // The company's single sign-on session is the point here.
            fresh_login: false,
        })
        .await;
    match url {
        Ok(url) => {
            let mut response = Redirect::to(&url).into_response();
            set_cookie_with(
                &state,
                &mut response,
                flow_cookie_name(&state),
                &flow,
                Some(FLOW_LIFETIME_SECS),
                "Lax",
            );
            response
        }
        Err(e) => unreachable_provider(&state, &sso, &e),
    }
}

fn unreachable_provider(state: &AppState, sso: &SingleSignOn, e: &ProviderError) -> Response {
    tracing::warn!(error = %e, "console single sign-on: the provider cannot be used");
    sign_in_form(
        state,
        StatusCode::SERVICE_UNAVAILABLE,
        Some(format!(
            "{} cannot be reached just now. Try again in a moment, or sign in with your password.",
            sso.label
        )),
    )
}

/// `GET /console/sso/callback`: the provider's answer.
pub(crate) async fn callback(
    State(state): State<AppState>,
    headers: HeaderMap,
    client: Option<Extension<ClientAddress>>,
    Query(params): Query<BTreeMap<String, String>>,
) -> Response {
    let mut response = answer(&state, &headers, client, &params).await;
    // The flow is over, whatever came of it.
    set_cookie_with(
        &state,
        &mut response,
        flow_cookie_name(&state),
        "",
        Some(0),
        "Lax",
    );
    response
}

async fn answer(
    state: &AppState,
    headers: &HeaderMap,
    client: Option<Extension<ClientAddress>>,
    params: &BTreeMap<String, String>,
) -> Response {
    let Some(sso) = state.console_sso.clone() else {
        return sign_in_form(
            state,
            StatusCode::NOT_FOUND,
            Some("Single sign-on is not set up here: sign in with your password.".into()),
        );
    };
    let expired = || {
        sign_in_form(
            state,
            StatusCode::BAD_REQUEST,
            Some(
                "This sign-in has expired or was started in another browser. Start it again."
                    .into(),
            ),
        )
    };
    let Some(flow) = cookie(headers, flow_cookie_name(state)) else {
        return expired();
    };
    let derived = derive(state, &flow);
    if !params
        .get("state")
        .is_some_and(|sent| same(sent, &derived.state))
    {
        return expired();
    }
    let callback = callback_url(state);
    let answer = sso
        .relying_party
        .finish(
            params,
            &FlowSecrets {
                callback_url: &callback,
                nonce: &derived.nonce,
                pkce_verifier: &derived.pkce_verifier,
                fresh_login: false,
            },
        )
        .await;
    let login = match answer {
        Ok(Answer::Login(login)) => login,
        Ok(Answer::Refused { error }) => {
            return sign_in_form(
                state,
                StatusCode::UNAUTHORIZED,
                Some(format!("{} did not sign you in ({error}).", sso.label)),
            );
        }
        Err(e @ ProviderError::Unavailable) => return unreachable_provider(state, &sso, &e),
        Err(e) => {
            tracing::warn!(error = %e, "console single sign-on: the answer was refused");
            return sign_in_form(
                state,
                StatusCode::UNAUTHORIZED,
                Some(format!(
                    "The answer from {} could not be verified. Start again.",
                    sso.label
                )),
            );
        }
    };
    if !sso.acr_values.is_empty()
        && !login
            .acr
            .as_ref()
            .is_some_and(|acr| sso.acr_values.contains(acr))
    {
        return sign_in_form(
            state,
            StatusCode::UNAUTHORIZED,
            Some(format!(
                "Your sign-in at {} is not strong enough for the console: it needs {}.",
                sso.label,
                sso.acr_values.join(" or ")
            )),
        );
    }
    let from = client.map(|Extension(ClientAddress(ip))| ip.to_string());
    match state
        .sign_in_with_single_sign_on(&login.subject, from.as_deref())
        .await
    {
        Ok(SignIn::Signed { token, .. }) => {
            let mut response = page(
                StatusCode::OK,
                &pages::Continue {
                    nav: pages::Nav::new(None, ""),
                },
            );
            set_cookie(
                state,
                &mut response,
                super::cookie_name(state),
                &token,
                None,
            );
            response
        }
        Ok(SignIn::Refused | SignIn::Locked { .. }) => sign_in_form(
            state,
            StatusCode::FORBIDDEN,
            Some(format!(
                "No operator of this console is linked to your {} account (subject {}). An admin links it with: idgate operator sso USERNAME --subject {}",
                sso.label, login.subject, login.subject
            )),
        ),
        Err(e) => failure(e),
    }
}
