//! The Hopae Connect dialect, at `/connect/v1`.
//!
//! - `POST /verifications` (with `Idempotency-Key`), `GET /verifications/{id}`,
//!   `DELETE /verifications/{id}`
//! - `GET /verifications/{id}/userinfo`, `GET /verifications/{id}/evidence`
//! - `GET /providers`, `GET /providers/{id}/configuration`
//! - the workspace API (a workspace key): `GET /apps`, `GET /apps/{clientId}`,
//!   `POST /apps/{clientId}/rotate-client-secret`, `GET|PUT /apps/{clientId}/redirect-uris`,
//!   `GET|PATCH /apps/{clientId}/webhook-config`, `POST …/webhook-config/rotate-secret`
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
mod workspace;

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
        .route("/apps", get(workspace::list_apps))
        .route("/apps/{client_id}", get(workspace::get_app))
        .route(
            "/apps/{client_id}/rotate-client-secret",
            post(workspace::rotate_client_secret),
        )
        .route(
            "/apps/{client_id}/redirect-uris",
            get(workspace::get_redirect_uris).put(workspace::put_redirect_uris),
        )
        .route(
            "/apps/{client_id}/webhook-config",
            get(workspace::get_webhook_config).patch(workspace::patch_webhook_config),
        )
        // One page of Hopae's documentation spells it with an underscore.
        .route(
            "/apps/{client_id}/webhook_config",
            get(workspace::get_webhook_config).patch(workspace::patch_webhook_config),
        )
        .route(
            "/apps/{client_id}/webhook-config/rotate-secret",
            post(workspace::rotate_webhook_secret),
        )
        .route("/openapi.json", get(|| async { Json(ApiDoc::openapi()) }))
        .merge(crate::kit::docs("/connect/v1/openapi.json", None))
        .fallback(handlers::not_found)
}
