//! The console's single-sign-on pages: `POST /console/sso` sends the browser to the company's
//! OpenID Provider, `GET /console/sso/callback` takes its answer. The protocol and the
//! sign-in are the hub's ([`idgate_hub::service::single_sign_on`]); here are the cookie that
//! holds the flow and the pages.
//!
//! The flow cookie is `SameSite=Lax`: it must come back with the provider's cross-site
//! redirect. The console session's cookie stays `SameSite=Strict`, so it does not go with that
//! redirect either: after the return, a page on idgate's own origin moves the browser on.

use super::{
    AppState, cookie, failure, page, pages, pre_token_ok, set_cookie, set_cookie_with, sign_in_form,
};
use crate::hosted::client_limit::ClientAddress;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use idgate_hub::service::ServiceError;
use idgate_hub::service::operators::SignIn;
use idgate_hub::service::single_sign_on::SsoReturn;
use idgate_providers::ProviderError;
use serde::Deserialize;
use std::collections::BTreeMap;

/// How long a browser has at the provider before its flow cookie lapses.
const FLOW_LIFETIME_SECS: i64 = 600;

fn flow_cookie_name(state: &AppState) -> &'static str {
    if state.settings().public_is_https() {
        "__Host-idgate-console-sso"
    } else {
        "idgate-console-sso"
    }
}

fn not_set_up(state: &AppState) -> Response {
    sign_in_form(
        state,
        StatusCode::NOT_FOUND,
        Some("Single sign-on is not set up here: sign in with your password.".into()),
    )
}

/// The sign-in page with why the provider's answer was not taken.
fn unusable(state: &AppState, label: &str, e: &ServiceError) -> Response {
    tracing::warn!(error = %e, "console single sign-on failed");
    let (status, problem) = match e {
        ServiceError::Provider(ProviderError::Unavailable) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "{label} cannot be reached just now. Try again in a moment, or sign in with your password."
            ),
        ),
        _ => (
            StatusCode::UNAUTHORIZED,
            format!("The answer from {label} could not be verified. Start again."),
        ),
    };
    sign_in_form(state, status, Some(problem))
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
    let Some(label) = state.console_sso().map(|sso| sso.label.clone()) else {
        return not_set_up(&state);
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
    match state.start_console_sso(&flow).await {
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
        Err(e) => unusable(&state, &label, &e),
    }
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
    let Some(label) = state.console_sso().map(|sso| sso.label.clone()) else {
        return not_set_up(state);
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
    let from = client.map(|Extension(ClientAddress(ip))| ip.to_string());
    match state
        .finish_console_sso(&flow, params, from.as_deref())
        .await
    {
        Ok(SsoReturn::SignIn {
            outcome: SignIn::Signed { token, .. },
            ..
        }) => {
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
        Ok(SsoReturn::SignIn { subject, .. }) => sign_in_form(
            state,
            StatusCode::FORBIDDEN,
            Some(format!(
                "No operator of this console is linked to your {label} account (subject {subject}). An admin links it with: idgate operator sso USERNAME --subject {subject}"
            )),
        ),
        Ok(SsoReturn::NotThisFlow) => expired(),
        Ok(SsoReturn::Refused { error }) => sign_in_form(
            state,
            StatusCode::UNAUTHORIZED,
            Some(format!("{label} did not sign you in ({error}).")),
        ),
        Ok(SsoReturn::TooWeak { required }) => sign_in_form(
            state,
            StatusCode::UNAUTHORIZED,
            Some(format!(
                "Your sign-in at {label} is not strong enough for the console: it needs {}.",
                required.join(" or ")
            )),
        ),
        Err(e @ ServiceError::Provider(_)) => unusable(state, &label, &e),
        Err(e) => failure(e),
    }
}
