//! The EasyFreelance partner API dialect, at `/api/v1`.
//!
//! - `POST /verification-return-urls`, `GET /verification-return-urls`
//! - `POST /users/{id}/verification/flows`
//! - `GET /verification/status/{verificationSession}`
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
use axum::http::{HeaderValue, header};
use axum::routing::{get, post};
use problem::ApiError;
use tower_http::set_header::SetResponseHeaderLayer;
use utoipa::OpenApi;
use utoipa_swagger_ui::SwaggerUi;

/// The dialect's routes, to be nested under `/api/v1`.
pub fn router() -> Router<HubState> {
    let docs: Router<HubState> = SwaggerUi::new("/docs")
        // Relative to the `/api/v1` nest: served at /api/v1/openapi.json.
        .url("/openapi.json", ApiDoc::openapi())
        .config(utoipa_swagger_ui::Config::new(["/api/v1/openapi.json"]).validator_url("none"))
        .into();
    Router::new()
        .route(
            "/verification-return-urls",
            post(handlers::register_return_url).get(handlers::list_return_urls),
        )
        .route("/users/{id}/verification/flows", post(handlers::create_flow))
        .route(
            "/verification/status/{verification_session}",
            get(handlers::flow_status),
        )
        .route(
            "/sandbox/verification/{verification_session}/decision",
            post(handlers::sandbox_decision),
        )
        .merge(crate::webhook_endpoints::router::<EasyFreelancePartner, ApiError>())
        .fallback(handlers::not_found)
        .merge(docs.layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            // Swagger UI's own assets, all served from the binary.
            HeaderValue::from_static(
                "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
            ),
        )))
}
