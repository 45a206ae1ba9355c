//! The admin API's webhooks: every endpoint the operator may see with its health, one
//! endpoint's latest deliveries, and sending an event again.

use super::views::{DeliveryView, EndpointView, Problem, Redeliver, Redelivered};
use super::{
    ApiQuery, Authorized, LimitQuery, body, limit_of, not_found, problem, service_problem,
};
use crate::state::AppState;
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use idgate_core::{EndpointId, EventId};

/// List webhook endpoints
///
/// Every endpoint of the partners the operator may see, without secrets.
#[utoipa::path(
    get, path = "/webhooks", tag = "webhooks",
    responses(
        (status = 200, description = "The endpoints.", body = Vec<EndpointView>),
        (status = 401, description = "No valid token.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("operator_token" = []))
)]
pub async fn list(State(state): State<AppState>, who: Authorized) -> Response {
    match state.webhook_endpoints_as(who.actor()).await {
        Ok(endpoints) => {
            Json(endpoints.iter().map(EndpointView::from).collect::<Vec<_>>()).into_response()
        }
        Err(e) => service_problem(e),
    }
}

/// List an endpoint's deliveries
///
/// The latest first, with attempts and the receiver's last answer.
#[utoipa::path(
    get, path = "/webhooks/{id}/deliveries", tag = "webhooks",
    params(("id" = String, Path, description = "The endpoint's id."), LimitQuery),
    responses(
        (status = 200, description = "The deliveries.", body = Vec<DeliveryView>),
        (status = 401, description = "No valid token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The operator is limited to other partners.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such endpoint.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("operator_token" = []))
)]
pub async fn deliveries(
    State(state): State<AppState>,
    who: Authorized,
    Path(id): Path<String>,
    ApiQuery(query): ApiQuery<LimitQuery>,
) -> Response {
    let Ok(id) = id.parse::<EndpointId>() else {
        return not_found("webhook endpoint");
    };
    let limit = match limit_of(query.limit) {
        Ok(limit) => limit,
        Err(problem) => return *problem,
    };
    match state.webhook_deliveries_as(who.actor(), id, limit).await {
        Ok((_, deliveries)) => Json(
            deliveries
                .iter()
                .map(DeliveryView::from)
                .collect::<Vec<_>>(),
        )
        .into_response(),
        Err(e) => service_problem(e),
    }
}

/// Redeliver an event
///
/// Queues the event for the endpoint again (a new delivery, signed afresh). Admins only.
/// Audited.
#[utoipa::path(
    post, path = "/webhooks/{id}/redeliver", tag = "webhooks",
    params(("id" = String, Path, description = "The endpoint's id.")),
    request_body(content = Redeliver, example = json!({"event_id": "01a25299-1111-7222-8333-444455556666"})),
    responses(
        (status = 202, description = "Queued.", body = Redelivered, example = json!({"queued": 1})),
        (status = 400, description = "The body is not this call's JSON.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only admins redeliver.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such endpoint or event.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("operator_token" = []))
)]
pub async fn redeliver(
    State(state): State<AppState>,
    who: Authorized,
    Path(id): Path<String>,
    request: Result<Json<Redeliver>, JsonRejection>,
) -> Response {
    let request = match body(request) {
        Ok(r) => r,
        Err(why) => return problem(StatusCode::BAD_REQUEST, "invalid_json", why),
    };
    let (Ok(id), Ok(event)) = (
        id.parse::<EndpointId>(),
        request.event_id.parse::<EventId>(),
    ) else {
        return not_found("webhook endpoint or event");
    };
    match state.redeliver_as(who.actor(), id, event).await {
        Ok(0) => not_found("event at this endpoint"),
        Ok(queued) => (StatusCode::ACCEPTED, Json(Redelivered { queued })).into_response(),
        Err(e) => service_problem(e),
    }
}
