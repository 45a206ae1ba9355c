//! The EasyFreelance partner API dialect, at `/api/v1`.
//!
//! - `POST /verification-return-urls`, `GET /verification-return-urls`
//! - `POST /users/{id}/verification/flows`
//! - `GET /verification/status/{verificationSession}` (with the user's `onboarding`)
//! - `GET /users/{id}`: the user's onboarding (its ID verification step)
//! - `POST /sandbox/verification/{verificationSession}/decision` (idgate addition: lets a
//!   partner's CI finish a sandbox session without a browser)
//! - `/webhook-endpoints…`: the partner's webhook endpoints, deliveries and redelivery (the
//!   dialect-neutral [`crate::webhook_endpoints`], mounted here)
//! - `GET /openapi.json`, `GET /docs/` (Swagger UI, served from the binary)

mod auth;
pub mod credentials;
mod dto;
mod handlers;
mod openapi;
pub mod problem;
pub mod wire;

pub use auth::EasyFreelancePartner;
pub use openapi::ApiDoc;
pub use wire::status_word;

use crate::HubState;
use axum::Router;
use axum::routing::{get, post};
use problem::ApiError;
use utoipa::OpenApi;

/// The dialect's routes, to be nested under `/api/v1`.
pub fn router() -> Router<HubState> {
    Router::new()
        .route(
            "/verification-return-urls",
            post(handlers::register_return_url).get(handlers::list_return_urls),
        )
        .route("/users/{id}", get(handlers::get_user))
        .route(
            "/users/{id}/verification/flows",
            post(handlers::create_flow),
        )
        .route(
            "/verification/status/{verification_session}",
            get(handlers::flow_status),
        )
        .route(
            "/sandbox/verification/{verification_session}/decision",
            post(handlers::sandbox_decision),
        )
        .merge(crate::webhook_endpoints::router::<
            EasyFreelancePartner,
            ApiError,
        >())
        .fallback(handlers::not_found)
        .merge(crate::kit::docs(
            "/api/v1/openapi.json",
            Some(ApiDoc::openapi()),
        ))
}
