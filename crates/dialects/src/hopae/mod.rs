//! The Hopae Connect dialect, at `/connect/v1`.
//!
//! - `POST /verifications` (with `Idempotency-Key`), `GET /verifications/{id}`,
//!   `DELETE /verifications/{id}`
//! - `GET /verifications/{id}/userinfo`, `GET /verifications/{id}/evidence`
//! - `GET /providers`
//! - `POST /sandbox/verifications/{id}/decision` (idgate addition: lets a partner's CI
//!   finish a sandbox verification without a browser)
//! - `GET /openapi.json`, `GET /docs/` (Swagger UI)

mod auth;
pub mod credentials;
mod dto;
mod handlers;
pub mod oidc;
mod openapi;
mod problem;
pub mod wire;

pub use openapi::ApiDoc;
pub use wire::status_word;

use crate::HubState;
use axum::routing::{get, post};
use axum::{Json, Router};
use utoipa::OpenApi;

/// The dialect's routes, to be nested under `/connect/v1`.
pub fn router() -> Router<HubState> {
    Router::new()
        .route("/verifications", post(handlers::create_verification))
        .route(
            "/verifications/{id}",
            get(handlers::get_verification).delete(handlers::cancel_verification),
        )
        .route("/verifications/{id}/userinfo", get(handlers::userinfo))
        .route("/verifications/{id}/evidence", get(handlers::evidence))
        .route("/providers", get(handlers::providers))
        .route(
            "/providers/{id}/configuration",
            get(handlers::provider_configuration),
        )
        .route(
            "/sandbox/verifications/{id}/decision",
            post(handlers::sandbox_decision),
        )
        .route("/openapi.json", get(|| async { Json(ApiDoc::openapi()) }))
        .merge(crate::kit::docs("/connect/v1/openapi.json", None))
        .fallback(handlers::not_found)
}
