//! Veriff's sessions API, at `/v1` (Veriff's own base path: a client changes its base URL
//! only).
//!
//! - `POST /sessions` (API key; a signature is checked when sent)
//! - `GET /sessions/{id}/decision`, `PATCH /sessions/{id}` (`status: submitted`),
//!   `DELETE /sessions/{id}`, `GET /sessions/{id}/attempts`, `GET /sessions/{id}/person`
//! - `POST /sessions/{id}/media`, `GET /sessions/{id}/media`, `GET /attempts/{id}/media`,
//!   `GET /media/{id}` (in [`media`])
//! - `GET /openapi.json`, `GET /docs/` (Swagger UI)
//!
//! Authentication and answer signing are in [`auth`]; an integration is a credential of kind
//! `veriff` (API key + shared secret).

mod auth;
pub mod credentials;
mod dto;
mod handlers;
mod media;
mod openapi;
mod problem;
pub mod wire;

pub use openapi::ApiDoc;
pub use wire::status_word;

use crate::HubState;
use axum::http::Method;
use axum::routing::{get, post};
use axum::{Json, Router};
use tower_http::cors::{AllowOrigin, CorsLayer};
use utoipa::OpenApi;

/// Veriff's browser SDK creates sessions from the partner's page with the API key alone (the
/// key is not a secret; the partner's caps bound what it can do), so `POST /sessions`
/// answers CORS for any origin, without cookies, and lets the page read the signature.
fn browser_sdk_cors() -> CorsLayer {
    let header = axum::http::HeaderName::from_static;
    CorsLayer::new()
        .allow_origin(AllowOrigin::any())
        .allow_methods([Method::POST])
        .allow_headers([
            header("content-type"),
            header("x-auth-client"),
            header("x-hmac-signature"),
            header("vrf-integration-id"),
            header("x-origin"),
        ])
        .expose_headers([
            header("x-auth-client"),
            header("x-hmac-signature"),
            header("vrf-auth-client"),
            header("vrf-hmac-signature"),
            header("vrf-integration-id"),
        ])
        .max_age(std::time::Duration::from_secs(600))
}

/// The dialect's routes, to be nested under `/v1`.
pub fn router() -> Router<HubState> {
    Router::new()
        .route(
            "/sessions",
            post(handlers::create_session).layer(browser_sdk_cors()),
        )
        .route(
            "/sessions/{id}",
            axum::routing::patch(handlers::update_session).delete(handlers::delete_session),
        )
        .route("/sessions/{id}/decision", get(handlers::decision))
        .route("/sessions/{id}/attempts", get(handlers::session_attempts))
        .route("/sessions/{id}/person", get(handlers::session_person))
        .route(
            "/sessions/{id}/media",
            post(media::upload).get(media::session_media),
        )
        .route("/attempts/{id}/media", get(media::attempt_media))
        .route("/media/{id}", get(media::download))
        .route("/openapi.json", get(|| async { Json(ApiDoc::openapi()) }))
        .merge(crate::kit::docs("/v1/openapi.json", None))
        .fallback(handlers::not_found)
}
