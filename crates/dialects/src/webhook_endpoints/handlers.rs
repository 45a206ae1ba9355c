//! The routes' handlers, generic over the mounting dialect's partner extractor and error shape.

use super::dto::{
    AttemptInfo, CreateEndpoint, DeliveryDetail, DeliveryFilter, DeliveryInfo, DeliveryList,
    Endpoint, EndpointList, EndpointWithSecret, Queued, RedeliverRequest, RotatedSecret,
    TestEventQueued, UpdateEndpoint,
};
use crate::HubState;
use crate::kit::{
    DialectError, FieldErrors, PROBLEM_SCHEMA_REF, PartnerScope, RequestError, add_field_error,
    decode, json_object,
};
use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use idgate_core::{DeliveryId, DeliveryStatus, EndpointId, EventId, WebhookEndpoint};
use idgate_hub::service::webhooks::{EndpointPatch, NewEndpoint};
use idgate_store::Redeliver;
use serde_json::Value;

fn endpoint_id(path: Result<Path<String>, PathRejection>) -> Result<EndpointId, RequestError> {
    path.ok()
        .and_then(|Path(raw)| raw.parse().ok())
        .ok_or(RequestError::NotFound("webhook endpoint"))
}

async fn partner_endpoint<E: DialectError>(
    state: &HubState,
    partner: &impl PartnerScope,
    path: Result<Path<String>, PathRejection>,
) -> Result<WebhookEndpoint, E> {
    let id = endpoint_id(path)?;
    Ok(state
        .webhook_endpoint(Some(partner.partner().id), id)
        .await?)
}

fn body_object(
    body: Result<Json<Value>, JsonRejection>,
) -> Result<serde_json::Map<String, Value>, RequestError> {
    json_object(body).map_err(RequestError::Body)
}

fn string_list(body: &serde_json::Map<String, Value>, field: &str, errors: &mut FieldErrors) {
    match body.get(field) {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) if items.iter().all(Value::is_string) => {}
        Some(_) => add_field_error(
            errors,
            field,
            format!("The {field} field must be a list of strings."),
        ),
    }
}

fn boolean(body: &serde_json::Map<String, Value>, field: &str, errors: &mut FieldErrors) {
    if !matches!(
        body.get(field),
        None | Some(Value::Null) | Some(Value::Bool(_))
    ) {
        add_field_error(
            errors,
            field,
            format!("The {field} field must be true or false."),
        );
    }
}

/// Register a webhook endpoint
///
/// Events are POSTed to the URL, signed with the endpoint's secret (shown once in this answer).
#[utoipa::path(
    post, path = "/webhook-endpoints", tag = "webhooks",
    request_body(content = CreateEndpoint, example = json!({"url": "https://app.partner.example.com/webhooks/idgate", "events": ["session.approved", "session.declined", "session.review"]})),
    responses(
        (status = 400, description = "The body is not a JSON object (`invalid_json`).", body = ref(PROBLEM_SCHEMA_REF), content_type = "application/problem+json"),
        (status = 413, description = "The body is larger than 64 KiB (`payload_too_large`).", body = ref(PROBLEM_SCHEMA_REF), content_type = "application/problem+json"),
        (status = 415, description = "The body is not sent as application/json (`unsupported_media_type`).", body = ref(PROBLEM_SCHEMA_REF), content_type = "application/problem+json"),
        (status = 201, description = "Endpoint added; its secret is shown this once.", body = EndpointWithSecret),
        (status = 401, description = "Missing or invalid credentials.", body = ref(PROBLEM_SCHEMA_REF), content_type = "application/problem+json"),
        (status = 429, description = "A rate limit was reached; retry after Retry-After seconds (RateLimit-Policy and RateLimit name the limit).", body = ref(PROBLEM_SCHEMA_REF), content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait before retrying."))),
        (status = 422, description = "`validation_failed`, `webhook_url_invalid` or `unknown_event_types`.", body = ref(PROBLEM_SCHEMA_REF), content_type = "application/problem+json"),
    ),
    security(("bearer" = [], "api_key" = []))
)]
pub async fn create_endpoint<P: PartnerScope, E: DialectError>(
    State(state): State<HubState>,
    partner: P,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<Response, E> {
    let body = body_object(body)?;
    let mut errors = FieldErrors::new();
    if !matches!(body.get("url"), Some(Value::String(s)) if !s.trim().is_empty()) {
        add_field_error(&mut errors, "url", "The url field is required.");
    }
    string_list(&body, "events", &mut errors);
    boolean(&body, "include_claims", &mut errors);
    boolean(&body, "sign_ed25519", &mut errors);
    if !errors.is_empty() {
        return Err(RequestError::Validation(errors).into());
    }
    let request: CreateEndpoint = decode(body)?;
    let signing_credential = match request.integration_id.as_deref() {
        None => None,
        Some(text) => match text.parse::<idgate_core::CredentialId>() {
            Ok(id) => Some(id),
            Err(_) => {
                let mut errors = FieldErrors::new();
                add_field_error(
                    &mut errors,
                    "integration_id",
                    "must be a credential id (see `idgate partner credential list`)",
                );
                return Err(RequestError::Validation(errors).into());
            }
        },
    };
    let (endpoint, secret) = state
        .add_webhook_endpoint(
            partner.partner().id,
            NewEndpoint {
                url: request.url,
                event_types: request.events,
                include_claims: request.include_claims,
                sign_ed25519: request.sign_ed25519,
                signing_credential,
            },
        )
        .await?;
    let body = EndpointWithSecret {
        endpoint: Endpoint::from(&endpoint),
        deepidv_signature: crate::deepidv::wire::signature_value_of(&secret).unwrap_or_default(),
        secret,
    };
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

/// List webhook endpoints
///
/// This partner's endpoints and their state.
#[utoipa::path(
    get, path = "/webhook-endpoints", tag = "webhooks",
    responses(
        (status = 200, description = "The partner's endpoints.", body = EndpointList),
        (status = 401, description = "Missing or invalid credentials.", body = ref(PROBLEM_SCHEMA_REF), content_type = "application/problem+json"),
        (status = 429, description = "A rate limit was reached; retry after Retry-After seconds (RateLimit-Policy and RateLimit name the limit).", body = ref(PROBLEM_SCHEMA_REF), content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait before retrying."))),
    ),
    security(("bearer" = [], "api_key" = []))
)]
pub async fn list_endpoints<P: PartnerScope, E: DialectError>(
    State(state): State<HubState>,
    partner: P,
) -> Result<Json<EndpointList>, E> {
    let endpoints = state.webhook_endpoints(Some(partner.partner().id)).await?;
    Ok(Json(EndpointList {
        data: endpoints.iter().map(Endpoint::from).collect(),
    }))
}

/// Get a webhook endpoint
///
/// One endpoint, its events and state.
#[utoipa::path(
    get, path = "/webhook-endpoints/{id}", tag = "webhooks",
    params(("id" = String, Path, description = "Endpoint id (`ep_…`).")),
    responses(
        (status = 200, description = "The endpoint.", body = Endpoint),
        (status = 401, description = "Missing or invalid credentials.", body = ref(PROBLEM_SCHEMA_REF), content_type = "application/problem+json"),
        (status = 429, description = "A rate limit was reached; retry after Retry-After seconds (RateLimit-Policy and RateLimit name the limit).", body = ref(PROBLEM_SCHEMA_REF), content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait before retrying."))),
        (status = 404, description = "No such endpoint of this partner.", body = ref(PROBLEM_SCHEMA_REF), content_type = "application/problem+json"),
    ),
    security(("bearer" = [], "api_key" = []))
)]
pub async fn get_endpoint<P: PartnerScope, E: DialectError>(
    State(state): State<HubState>,
    partner: P,
    path: Result<Path<String>, PathRejection>,
) -> Result<Json<Endpoint>, E> {
    let endpoint = partner_endpoint::<E>(&state, &partner, path).await?;
    Ok(Json(Endpoint::from(&endpoint)))
}

/// Change a webhook endpoint
///
/// Its URL, events, or enabled state (enabling again resumes held deliveries).
#[utoipa::path(
    patch, path = "/webhook-endpoints/{id}", tag = "webhooks",
    params(("id" = String, Path, description = "Endpoint id (`ep_…`).")),
    request_body(content = UpdateEndpoint, example = json!({"enabled": true})),
    responses(
        (status = 400, description = "The body is not a JSON object (`invalid_json`).", body = ref(PROBLEM_SCHEMA_REF), content_type = "application/problem+json"),
        (status = 413, description = "The body is larger than 64 KiB (`payload_too_large`).", body = ref(PROBLEM_SCHEMA_REF), content_type = "application/problem+json"),
        (status = 415, description = "The body is not sent as application/json (`unsupported_media_type`).", body = ref(PROBLEM_SCHEMA_REF), content_type = "application/problem+json"),
        (status = 200, description = "The changed endpoint.", body = Endpoint),
        (status = 401, description = "Missing or invalid credentials.", body = ref(PROBLEM_SCHEMA_REF), content_type = "application/problem+json"),
        (status = 429, description = "A rate limit was reached; retry after Retry-After seconds (RateLimit-Policy and RateLimit name the limit).", body = ref(PROBLEM_SCHEMA_REF), content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait before retrying."))),
        (status = 404, description = "No such endpoint of this partner.", body = ref(PROBLEM_SCHEMA_REF), content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`, `webhook_url_invalid` or `unknown_event_types`.", body = ref(PROBLEM_SCHEMA_REF), content_type = "application/problem+json"),
    ),
    security(("bearer" = [], "api_key" = []))
)]
pub async fn update_endpoint<P: PartnerScope, E: DialectError>(
    State(state): State<HubState>,
    partner: P,
    path: Result<Path<String>, PathRejection>,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<Json<Endpoint>, E> {
    let endpoint = partner_endpoint::<E>(&state, &partner, path).await?;
    let body = body_object(body)?;
    let mut errors = FieldErrors::new();
    if !matches!(
        body.get("url"),
        None | Some(Value::Null) | Some(Value::String(_))
    ) {
        add_field_error(&mut errors, "url", "The url field must be a string.");
    }
    string_list(&body, "events", &mut errors);
    for field in ["enabled", "include_claims", "sign_ed25519"] {
        boolean(&body, field, &mut errors);
    }
    if !errors.is_empty() {
        return Err(RequestError::Validation(errors).into());
    }
    let request: UpdateEndpoint = decode(body)?;
    let updated = state
        .update_webhook_endpoint(
            endpoint,
            EndpointPatch {
                url: request.url,
                event_types: request.events,
                enabled: request.enabled,
                include_claims: request.include_claims,
                sign_ed25519: request.sign_ed25519,
                dialect_settings: None,
            },
        )
        .await?;
    Ok(Json(Endpoint::from(&updated)))
}

/// Rotate an endpoint's signing secret
///
/// A new secret (shown once); deliveries are signed with both until the overlap ends.
#[utoipa::path(
    post, path = "/webhook-endpoints/{id}/rotate-secret", tag = "webhooks",
    params(("id" = String, Path, description = "Endpoint id (`ep_…`).")),
    responses(
        (status = 200, description = "A new secret (shown once); the old one keeps signing during the overlap.", body = RotatedSecret),
        (status = 401, description = "Missing or invalid credentials.", body = ref(PROBLEM_SCHEMA_REF), content_type = "application/problem+json"),
        (status = 429, description = "A rate limit was reached; retry after Retry-After seconds (RateLimit-Policy and RateLimit name the limit).", body = ref(PROBLEM_SCHEMA_REF), content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait before retrying."))),
        (status = 404, description = "No such endpoint of this partner.", body = ref(PROBLEM_SCHEMA_REF), content_type = "application/problem+json"),
    ),
    security(("bearer" = [], "api_key" = []))
)]
pub async fn rotate_secret<P: PartnerScope, E: DialectError>(
    State(state): State<HubState>,
    partner: P,
    path: Result<Path<String>, PathRejection>,
) -> Result<Json<RotatedSecret>, E> {
    let endpoint = partner_endpoint::<E>(&state, &partner, path).await?;
    let (endpoint, secret) = state.rotate_webhook_secret(endpoint).await?;
    Ok(Json(RotatedSecret {
        deepidv_signature: crate::deepidv::wire::signature_value_of(&secret).unwrap_or_default(),
        secret,
        endpoint: Endpoint::from(&endpoint),
    }))
}

/// Send a test event
///
/// Delivers a `test` event to the endpoint now.
#[utoipa::path(
    post, path = "/webhook-endpoints/{id}/test", tag = "webhooks",
    params(("id" = String, Path, description = "Endpoint id (`ep_…`).")),
    responses(
        (status = 202, description = "A `webhook.test` event is queued for this endpoint.", body = TestEventQueued),
        (status = 401, description = "Missing or invalid credentials.", body = ref(PROBLEM_SCHEMA_REF), content_type = "application/problem+json"),
        (status = 429, description = "A rate limit was reached; retry after Retry-After seconds (RateLimit-Policy and RateLimit name the limit).", body = ref(PROBLEM_SCHEMA_REF), content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait before retrying."))),
        (status = 404, description = "No such endpoint of this partner.", body = ref(PROBLEM_SCHEMA_REF), content_type = "application/problem+json"),
    ),
    security(("bearer" = [], "api_key" = []))
)]
pub async fn send_test<P: PartnerScope, E: DialectError>(
    State(state): State<HubState>,
    partner: P,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, E> {
    let endpoint = partner_endpoint::<E>(&state, &partner, path).await?;
    let (event, delivery) = state.send_test_event(&endpoint).await?;
    let body = TestEventQueued {
        event_id: event.to_string(),
        delivery_id: delivery.to_string(),
    };
    Ok((StatusCode::ACCEPTED, Json(body)).into_response())
}

/// List an endpoint's deliveries
///
/// Deliveries with their status and attempts.
#[utoipa::path(
    get, path = "/webhook-endpoints/{id}/deliveries", tag = "webhooks",
    params(
        ("id" = String, Path, description = "Endpoint id (`ep_…`)."),
        ("status" = Option<String>, Query, description = "`pending`, `delivered` or `dead`."),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 1000, description = "At most this many, newest first (default 100, at most 1000)."),
    ),
    responses(
        (status = 200, description = "Deliveries, newest first.", body = DeliveryList),
        (status = 400, description = "The query string cannot be read (`invalid_query`).", body = ref(PROBLEM_SCHEMA_REF), content_type = "application/problem+json"),
        (status = 401, description = "Missing or invalid credentials.", body = ref(PROBLEM_SCHEMA_REF), content_type = "application/problem+json"),
        (status = 429, description = "A rate limit was reached; retry after Retry-After seconds (RateLimit-Policy and RateLimit name the limit).", body = ref(PROBLEM_SCHEMA_REF), content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait before retrying."))),
        (status = 404, description = "No such endpoint of this partner.", body = ref(PROBLEM_SCHEMA_REF), content_type = "application/problem+json"),
        (status = 422, description = "Unknown status filter.", body = ref(PROBLEM_SCHEMA_REF), content_type = "application/problem+json"),
    ),
    security(("bearer" = [], "api_key" = []))
)]
pub async fn list_deliveries<P: PartnerScope, E: DialectError>(
    State(state): State<HubState>,
    partner: P,
    path: Result<Path<String>, PathRejection>,
    filter: Result<Query<DeliveryFilter>, QueryRejection>,
) -> Result<Json<DeliveryList>, E> {
    let endpoint = partner_endpoint::<E>(&state, &partner, path).await?;
    let Query(filter) = filter.map_err(|e| RequestError::InvalidQuery(e.body_text()))?;
    let status = filter
        .status
        .as_deref()
        .map(str::parse::<DeliveryStatus>)
        .transpose()
        .map_err(|e| {
            let mut errors = FieldErrors::new();
            add_field_error(&mut errors, "status", e);
            RequestError::Validation(errors)
        })?;
    let limit = filter.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        let mut errors = FieldErrors::new();
        add_field_error(&mut errors, "limit", "must be between 1 and 1000");
        return Err(RequestError::Validation(errors).into());
    }
    let deliveries = state.webhook_deliveries(&endpoint, status, limit).await?;
    Ok(Json(DeliveryList {
        data: deliveries.iter().map(DeliveryInfo::from).collect(),
    }))
}

/// Get a delivery
///
/// One delivery with every attempt's answer.
#[utoipa::path(
    get, path = "/webhook-endpoints/{id}/deliveries/{delivery_id}", tag = "webhooks",
    params(
        ("id" = String, Path, description = "Endpoint id (`ep_…`)."),
        ("delivery_id" = String, Path, description = "Delivery id (`dlv_…`)."),
    ),
    responses(
        (status = 200, description = "The delivery with every attempt.", body = DeliveryDetail),
        (status = 401, description = "Missing or invalid credentials.", body = ref(PROBLEM_SCHEMA_REF), content_type = "application/problem+json"),
        (status = 429, description = "A rate limit was reached; retry after Retry-After seconds (RateLimit-Policy and RateLimit name the limit).", body = ref(PROBLEM_SCHEMA_REF), content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait before retrying."))),
        (status = 404, description = "No such endpoint or delivery.", body = ref(PROBLEM_SCHEMA_REF), content_type = "application/problem+json"),
    ),
    security(("bearer" = [], "api_key" = []))
)]
pub async fn get_delivery<P: PartnerScope, E: DialectError>(
    State(state): State<HubState>,
    partner: P,
    Path((id, delivery_id)): Path<(String, String)>,
) -> Result<Json<DeliveryDetail>, E> {
    let endpoint_id: EndpointId = id
        .parse()
        .map_err(|_| RequestError::NotFound("webhook endpoint"))?;
    let endpoint = state
        .webhook_endpoint(Some(partner.partner().id), endpoint_id)
        .await?;
    let delivery_id: DeliveryId = delivery_id
        .parse()
        .map_err(|_| RequestError::NotFound("delivery"))?;
    let (delivery, attempts) = state.webhook_delivery(&endpoint, delivery_id).await?;
    Ok(Json(DeliveryDetail {
        delivery: DeliveryInfo::from(&delivery),
        attempts_made: attempts.iter().map(AttemptInfo::from).collect(),
    }))
}

/// Redeliver events
///
/// Sends one event, or every event in a time range, again.
#[utoipa::path(
    post, path = "/webhook-endpoints/{id}/redeliver", tag = "webhooks",
    params(("id" = String, Path, description = "Endpoint id (`ep_…`).")),
    request_body(content = RedeliverRequest, example = json!({"since": "2026-12-07T08:00:00Z", "until": "2026-12-07T09:00:00Z"})),
    responses(
        (status = 400, description = "The body is not a JSON object (`invalid_json`).", body = ref(PROBLEM_SCHEMA_REF), content_type = "application/problem+json"),
        (status = 413, description = "The body is larger than 64 KiB (`payload_too_large`).", body = ref(PROBLEM_SCHEMA_REF), content_type = "application/problem+json"),
        (status = 415, description = "The body is not sent as application/json (`unsupported_media_type`).", body = ref(PROBLEM_SCHEMA_REF), content_type = "application/problem+json"),
        (status = 202, description = "Deliveries queued again.", body = Queued),
        (status = 401, description = "Missing or invalid credentials.", body = ref(PROBLEM_SCHEMA_REF), content_type = "application/problem+json"),
        (status = 429, description = "A rate limit was reached; retry after Retry-After seconds (RateLimit-Policy and RateLimit name the limit).", body = ref(PROBLEM_SCHEMA_REF), content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait before retrying."))),
        (status = 404, description = "No such endpoint or event of this partner.", body = ref(PROBLEM_SCHEMA_REF), content_type = "application/problem+json"),
        (status = 422, description = "Give `event_id`, or `since` (and optionally `until`).", body = ref(PROBLEM_SCHEMA_REF), content_type = "application/problem+json"),
    ),
    security(("bearer" = [], "api_key" = []))
)]
pub async fn redeliver<P: PartnerScope, E: DialectError>(
    State(state): State<HubState>,
    partner: P,
    path: Result<Path<String>, PathRejection>,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<Response, E> {
    let endpoint = partner_endpoint::<E>(&state, &partner, path).await?;
    let body = body_object(body)?;
    let request: RedeliverRequest = decode(body)?;
    let mut errors = FieldErrors::new();
    let when = |field: &str, value: &Option<String>, errors: &mut FieldErrors| {
        value
            .as_deref()
            .and_then(|v| match DateTime::parse_from_rfc3339(v) {
                Ok(t) => Some(t.with_timezone(&Utc)),
                Err(_) => {
                    add_field_error(
                        errors,
                        field,
                        format!("The {field} field must be an RFC 3339 time."),
                    );
                    None
                }
            })
    };
    let since = when("since", &request.since, &mut errors);
    let until = when("until", &request.until, &mut errors);
    let which = match (&request.event_id, since) {
        (Some(event), None) if request.until.is_none() => match event.parse::<EventId>() {
            Ok(id) => Some(Redeliver::Event(id)),
            Err(_) => return Err(RequestError::NotFound("webhook event").into()),
        },
        (None, Some(since)) => Some(Redeliver::DeadBetween {
            since,
            until: until.unwrap_or_else(Utc::now),
        }),
        _ => {
            add_field_error(
                &mut errors,
                "event_id",
                "Give either event_id, or since (and optionally until).",
            );
            None
        }
    };
    let Some(which) = which.filter(|_| errors.is_empty()) else {
        return Err(RequestError::Validation(errors).into());
    };
    let queued = state.redeliver(&endpoint, which).await?;
    Ok((StatusCode::ACCEPTED, Json(Queued { queued })).into_response())
}
