//! Partner-managed webhook endpoints: add, list, change, rotate secrets, send a test event,
//! inspect deliveries and attempts, redeliver. Dialect-neutral: a dialect mounts
//! [`router`] where its API lives, with its own partner extractor and error shape, and lists
//! [`handlers`]' paths and [`dto`]'s schemas in its OpenAPI document.

pub mod dto;
pub mod handlers;

use crate::HubState;
use crate::kit::{DialectError, PartnerScope};
use axum::Router;
use axum::routing::{get, post};

/// `/webhook-endpoints…`, authenticated by `P`, failing as `E`.
pub fn router<P: PartnerScope, E: DialectError>() -> Router<HubState> {
    use handlers as h;
    Router::new()
        .route(
            "/webhook-endpoints",
            post(h::create_endpoint::<P, E>).get(h::list_endpoints::<P, E>),
        )
        .route(
            "/webhook-endpoints/{id}",
            get(h::get_endpoint::<P, E>).patch(h::update_endpoint::<P, E>),
        )
        .route(
            "/webhook-endpoints/{id}/rotate-secret",
            post(h::rotate_secret::<P, E>),
        )
        .route("/webhook-endpoints/{id}/test", post(h::send_test::<P, E>))
        .route(
            "/webhook-endpoints/{id}/deliveries",
            get(h::list_deliveries::<P, E>),
        )
        .route(
            "/webhook-endpoints/{id}/deliveries/{delivery_id}",
            get(h::get_delivery::<P, E>),
        )
        .route(
            "/webhook-endpoints/{id}/redeliver",
            post(h::redeliver::<P, E>),
        )
}
