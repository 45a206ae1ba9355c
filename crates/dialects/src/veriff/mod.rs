//! Veriff's sessions API, at `/v1` (Veriff's own base path: a client changes its base URL
//! only).
//!
//! - `POST /sessions` (API key; a signature is checked when sent)
//! - `GET /sessions/{id}/decision`, `PATCH /sessions/{id}` (`status: submitted`),
//!   `DELETE /sessions/{id}`, `GET /sessions/{id}/attempts`, `GET /sessions/{id}/person`
//! - `GET /openapi.json`
//!
//! Authentication and answer signing are in [`auth`]; an integration is a credential of kind
//! `veriff` (API key + shared secret).

mod auth;
pub mod credentials;
mod dto;
mod handlers;
mod openapi;
mod problem;
pub mod wire;

pub use openapi::ApiDoc;
pub use wire::status_word;

use crate::HubState;
use axum::routing::{get, post};
use axum::{Json, Router};
use utoipa::OpenApi;

/// The dialect's routes, to be nested under `/v1`.
pub fn router() -> Router<HubState> {
    Router::new()
        .route("/sessions", post(handlers::create_session))
        .route(
            "/sessions/{id}",
            axum::routing::patch(handlers::update_session).delete(handlers::delete_session),
        )
        .route("/sessions/{id}/decision", get(handlers::decision))
        .route("/sessions/{id}/attempts", get(handlers::session_attempts))
        .route("/sessions/{id}/person", get(handlers::session_person))
        .route("/openapi.json", get(|| async { Json(ApiDoc::openapi()) }))
        .fallback(handlers::not_found)
}
