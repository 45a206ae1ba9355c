//! The console's webhooks: every partner's endpoints with their health, one endpoint's latest
//! deliveries and attempts, and redelivering an event.

use super::{Signed, failure, message, page, pages, partner_names};
use crate::state::AppState;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use idgate_core::{EndpointId, EventId, OperatorAction};
use idgate_hub::service::ServiceError;
use serde::Deserialize;
use std::collections::HashMap;

/// Partner names by id, for the lists.
async fn names(state: &AppState, signed: &Signed) -> HashMap<String, String> {
    partner_names(state, signed)
        .await
        .map(|names| names.into_iter().collect())
        .unwrap_or_default()
}

/// `GET /console/webhooks`.
pub async fn list(State(state): State<AppState>, signed: Signed) -> Response {
    let endpoints = match state.webhook_endpoints_as(signed.actor()).await {
        Ok(e) => e,
        Err(e) => return failure(e),
    };
    let names = names(&state, &signed).await;
    page(
        StatusCode::OK,
        &pages::Webhooks {
            nav: signed.nav(),
            endpoints: endpoints
                .iter()
                .map(|e| pages::EndpointRow {
                    id: e.id.to_string(),
                    partner: names
                        .get(&e.partner_id.to_string())
                        .cloned()
                        .unwrap_or_default(),
                    url: e.url.clone(),
                    health: if !e.enabled {
                        format!(
                            "disabled{}",
                            e.disabled_reason
                                .as_deref()
                                .map(|r| format!(" ({r})"))
                                .unwrap_or_default()
                        )
                    } else if let Some(since) = e.failing_since {
                        format!("failing since {}", since.format("%Y-%m-%d %H:%M"))
                    } else {
                        "healthy".to_owned()
                    },
                    events: if e.event_types.is_empty() {
                        "all".to_owned()
                    } else {
                        e.event_types.join(", ")
                    },
                })
                .collect(),
        },
    )
}

fn not_found(signed: &Signed) -> Response {
    message(
        StatusCode::NOT_FOUND,
        Some(&signed.operator),
        &signed.csrf,
        "Not found",
        "There is no such webhook endpoint.",
    )
}

/// `GET /console/webhooks/{id}`: the latest deliveries.
pub async fn show(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
) -> Response {
    let Ok(id) = id.parse::<EndpointId>() else {
        return not_found(&signed);
    };
    let (endpoint, deliveries) = match state.webhook_deliveries_as(signed.actor(), id, 100).await {
        Ok(found) => found,
        Err(ServiceError::NotFound(_)) => return not_found(&signed),
        Err(ServiceError::Forbidden(_)) => return signed.refuse(),
        Err(e) => return failure(e),
    };
    let names = names(&state, &signed).await;
    page(
        StatusCode::OK,
        &pages::Deliveries {
            nav: signed.nav(),
            csrf: signed.csrf.clone(),
            id: endpoint.id.to_string(),
            partner: names
                .get(&endpoint.partner_id.to_string())
                .cloned()
                .unwrap_or_default(),
            url: endpoint.url.clone(),
            may_redeliver: signed
                .operator
                .may(OperatorAction::ManagePartners, Some(endpoint.partner_id)),
            deliveries: deliveries
                .iter()
                .map(|d| pages::DeliveryRow {
                    event: d.event_id.to_string(),
                    session: d.session_id.map(|s| s.to_string()).unwrap_or_default(),
                    status: d.status.as_str().to_owned(),
                    attempts: d.attempts,
                    last: d
                        .last_attempt_at
                        .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
                        .unwrap_or_default(),
                    answer: match (d.last_status_code, d.last_error.as_deref()) {
                        (Some(code), _) => format!("HTTP {code}"),
                        (None, Some(error)) => error.to_owned(),
                        (None, None) => String::new(),
                    },
                })
                .collect(),
        },
    )
}

#[derive(Deserialize)]
pub struct RedeliverForm {
    csrf: Option<String>,
    event: Option<String>,
}

/// `POST /console/webhooks/{id}/redeliver`: queues one event again.
pub async fn redeliver(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    Form(form): Form<RedeliverForm>,
) -> Response {
    if let Some(refused) = signed.csrf_refusal(form.csrf.as_deref()) {
        return refused;
    }
    let (Ok(id), Some(Ok(event))) = (
        id.parse::<EndpointId>(),
        form.event.as_deref().map(str::parse::<EventId>),
    ) else {
        return not_found(&signed);
    };
    match state.redeliver_as(signed.actor(), id, event).await {
        Ok(_) => Redirect::to(&format!("/console/webhooks/{id}")).into_response(),
        Err(ServiceError::Forbidden(_)) => signed.refuse(),
        Err(ServiceError::NotFound(_)) => not_found(&signed),
        Err(e) => failure(e),
    }
}
