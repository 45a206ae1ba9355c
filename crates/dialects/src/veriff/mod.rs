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
use axum::extract::State;
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

/// `POST /sessions` is both Veriff's and deepidv's: a deepidv client sends `x-api-key`, a
/// Veriff client `X-AUTH-CLIENT`.
async fn create_either_session(
    State(state): State<HubState>,
    request: axum::extract::Request,
) -> axum::response::Response {
    use axum::handler::Handler;
    use axum::response::IntoResponse;
    let headers = request.headers();
    if !headers.contains_key("x-api-key") && !headers.contains_key("x-auth-client") {
        // Neither API's key: an answer both Veriff's and deepidv's clients can read.
        return (
            axum::http::StatusCode::UNAUTHORIZED,
            Json(serde_json::json!({
                "status": "fail",
                "code": "1801",
                "error": "unauthorized",
                "message": "Send the API key: X-AUTH-CLIENT (Veriff's API) or x-api-key (deepidv's API).",
            })),
        )
            .into_response();
    }
    if crate::deepidv::is_deepidv_request(headers) {
        crate::deepidv::create_session.call(request, state).await
    } else {
        handlers::create_session.call(request, state).await
    }
}

/// The dialect's routes (and deepidv's, which share `/v1`), to be nested under `/v1`.
pub fn router() -> Router<HubState> {
    Router::new()
        .route(
            "/sessions",
            post(create_either_session)
                .layer(browser_sdk_cors())
                .get(crate::deepidv::list_sessions),
        )
        .route(
            "/sessions/{id}",
            axum::routing::patch(handlers::update_session)
                .delete(handlers::delete_session)
                .get(crate::deepidv::get_session),
        )
        .route(
            "/sessions/{id}/update-status",
            axum::routing::patch(crate::deepidv::update_status),
        )
        // deepidv's alone.
        .route(
            "/workflows",
            get(crate::deepidv::list_workflows).post(crate::deepidv::create_workflow),
        )
        .route("/workflows/{id}", get(crate::deepidv::get_workflow))
        .route(
            "/workflows/{id}/steps/{step}/config",
            axum::routing::patch(crate::deepidv::set_step_config),
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
        // deepidv's, which shares /v1.
        .route(
            "/deepidv/openapi.json",
            get(|| async { Json(crate::deepidv::ApiDoc::openapi()) }),
        )
        .merge(crate::kit::docs_at(
            "/deepidv/docs",
            "/v1/deepidv/openapi.json",
            None,
        ))
        .fallback(handlers::not_found)
}
