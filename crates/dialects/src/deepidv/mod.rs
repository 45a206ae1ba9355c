//! deepidv's sessions API, at `/v1` beside Veriff's (the same paths; a deepidv client is told
//! apart by its `x-api-key` header).
//!
//! - `POST /sessions` (the applicant, invites, workflow, `redirect_url`)
//! - `GET /sessions/{id}` (the session record)
//! - `PATCH /sessions/{id}/update-status` (`VERIFIED` or `REJECTED`: the partner decides)
//! - `GET|POST /workflows`, `GET /workflows/{id}`, `PATCH /workflows/{id}/steps/{step}/config`
//!
//! An API key is a credential of kind `deepidv`.

mod auth;
pub mod credentials;
mod dto;
mod handlers;
mod openapi;
mod problem;
pub mod wire;
mod workflows;

pub use handlers::{create_session, get_session, list_sessions, update_status};
pub use openapi::ApiDoc;
pub use workflows::{create_workflow, get_workflow, list_workflows, set_step_config};

/// Whether a request to a shared `/v1` path is a deepidv client's: it sends `x-api-key` and
/// not Veriff's `X-AUTH-CLIENT`.
pub fn is_deepidv_request(headers: &axum::http::HeaderMap) -> bool {
    headers.contains_key("x-api-key") && !headers.contains_key("x-auth-client")
}
