//! Partner-managed webhook endpoints (`/api/v1/webhook-endpoints`): add, list, change, rotate
//! secrets, send a test event, inspect deliveries and attempts, redeliver.

use super::auth::EasyFreelancePartner;
use super::handlers::{Errors, add, decode, json_body};
use crate::HubState;
use crate::easyfreelance::problem::{ApiError, Problem};
use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, SecondsFormat, Utc};
use idgate_core::{
    Delivery, DeliveryAttempt, DeliveryId, DeliveryStatus, EndpointId, EventId, WebhookEndpoint,
};
use idgate_hub::service::webhooks::{EndpointPatch, NewEndpoint};
use idgate_store::Redeliver;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A secret's public facts (never its value).
#[derive(Debug, Serialize, ToSchema)]
pub struct SecretInfo {
    pub id: String,
    pub created_at: String,
    /// Set while a replaced secret still signs, after a rotation.
    #[schema(nullable)]
    pub expires_at: Option<String>,
}

/// A webhook endpoint.
#[derive(Debug, Serialize, ToSchema)]
pub struct Endpoint {
    #[schema(example = "ep_01a2b3…")]
    pub id: String,
    pub url: String,
    /// Event types sent here; empty means all.
    pub events: Vec<String>,
    pub enabled: bool,
    /// Events carry the session's result claims (personal data).
    pub include_claims: bool,
    /// Events also carry a `v1a,` Ed25519 signature (key at `/.well-known/jwks.json`).
    pub sign_ed25519: bool,
    pub secrets: Vec<SecretInfo>,
    /// Start of the current run of failed deliveries.
    #[schema(nullable)]
    pub failing_since: Option<String>,
    /// Why the endpoint is disabled.
    #[schema(nullable)]
    pub disabled_reason: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl From<&WebhookEndpoint> for Endpoint {
    fn from(e: &WebhookEndpoint) -> Self {
        Endpoint {
            id: e.id.to_string(),
            url: e.url.clone(),
            events: e.event_types.clone(),
            enabled: e.enabled,
            include_claims: e.include_claims,
            sign_ed25519: e.sign_ed25519,
            secrets: e
                .secrets
                .iter()
                .map(|s| SecretInfo {
                    id: s.id.clone(),
                    created_at: ts(s.created_at),
                    expires_at: s.expires_at.map(ts),
                })
                .collect(),
            failing_since: e.failing_since.map(ts),
            disabled_reason: e.disabled_reason.clone(),
            created_at: ts(e.created_at),
            updated_at: ts(e.updated_at),
        }
    }
}

/// An endpoint with a secret that is shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct EndpointWithSecret {
    #[serde(flatten)]
    pub endpoint: Endpoint,
    /// `whsec_…`: configure your Standard Webhooks verifier with it. Shown once.
    pub secret: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EndpointList {
    pub data: Vec<Endpoint>,
}

/// Body of `POST /webhook-endpoints`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateEndpoint {
    /// https (http only for loopback receivers in test mode); no private addresses.
    pub url: String,
    /// Event types to receive; omitted or empty for all.
    #[serde(default)]
    pub events: Vec<String>,
    #[serde(default)]
    pub include_claims: bool,
    #[serde(default)]
    pub sign_ed25519: bool,
}

/// Body of `PATCH /webhook-endpoints/{id}`; omitted fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdateEndpoint {
    pub url: Option<String>,
    pub events: Option<Vec<String>>,
    /// `true` re-enables an endpoint idgate disabled; queued deliveries then resume.
    pub enabled: Option<bool>,
    pub include_claims: Option<bool>,
    pub sign_ed25519: Option<bool>,
}

/// A delivery of one event to the endpoint.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryInfo {
    pub id: String,
    pub event_id: String,
    #[schema(nullable)]
    pub session_id: Option<String>,
    #[schema(nullable)]
    pub sequence: Option<i64>,
    /// `pending`, `delivered` or `dead`.
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: String,
    pub created_at: String,
    #[schema(nullable)]
    pub last_attempt_at: Option<String>,
    #[schema(nullable)]
    pub delivered_at: Option<String>,
    #[schema(nullable)]
    pub last_status_code: Option<u16>,
    #[schema(nullable)]
    pub last_error: Option<String>,
}

impl From<&Delivery> for DeliveryInfo {
    fn from(d: &Delivery) -> Self {
        DeliveryInfo {
            id: d.id.to_string(),
            event_id: d.event_id.to_string(),
            session_id: d.session_id.map(|s| s.to_string()),
            sequence: d.seq,
            status: d.status.as_str().to_owned(),
            attempts: d.attempts,
            next_attempt_at: ts(d.next_attempt_at),
            created_at: ts(d.created_at),
            last_attempt_at: d.last_attempt_at.map(ts),
            delivered_at: d.delivered_at.map(ts),
            last_status_code: d.last_status_code,
            last_error: d.last_error.clone(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryList {
    pub data: Vec<DeliveryInfo>,
}

/// One attempt at a delivery.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttemptInfo {
    pub attempt: i32,
    pub at: String,
    #[schema(nullable)]
    pub status_code: Option<u16>,
    pub duration_ms: i64,
    #[schema(nullable)]
    pub error: Option<String>,
    /// The start of your endpoint's answer (at most 1 KiB).
    #[schema(nullable)]
    pub response_body: Option<String>,
}

impl From<&DeliveryAttempt> for AttemptInfo {
    fn from(a: &DeliveryAttempt) -> Self {
        AttemptInfo {
            attempt: a.attempt,
            at: ts(a.at),
            status_code: a.status_code,
            duration_ms: a.duration_ms,
            error: a.error.clone(),
            response_body: a.response_body.clone(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryDetail {
    #[serde(flatten)]
    pub delivery: DeliveryInfo,
    pub attempts_made: Vec<AttemptInfo>,
}

/// Query of `GET /webhook-endpoints/{id}/deliveries`.
#[derive(Debug, Deserialize)]
pub struct DeliveryFilter {
    pub status: Option<String>,
    pub limit: Option<u32>,
}

/// Body of `POST /webhook-endpoints/{id}/redeliver`: one event, or the dead deliveries of
/// events created in `[since, until)`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RedeliverRequest {
    pub event_id: Option<String>,
    /// RFC 3339.
    pub since: Option<String>,
    /// RFC 3339; default now.
    pub until: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Queued {
    /// Deliveries queued.
    pub queued: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TestEventQueued {
    pub event_id: String,
    pub delivery_id: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RotatedSecret {
    /// The new `whsec_…` secret, shown once. Earlier secrets keep signing until their
    /// `expires_at`, so receivers can switch without losing events.
    pub secret: String,
    pub endpoint: Endpoint,
}

fn not_found(what: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        format!("{what} not found"),
    )
}

fn endpoint_id(path: Result<Path<String>, PathRejection>) -> Result<EndpointId, ApiError> {
    path.ok()
        .and_then(|Path(raw)| raw.parse().ok())
        .ok_or_else(|| not_found("webhook endpoint"))
}

async fn partner_endpoint(
    state: &HubState,
    partner: &EasyFreelancePartner,
    path: Result<Path<String>, PathRejection>,
) -> Result<WebhookEndpoint, ApiError> {
    let id = endpoint_id(path)?;
    Ok(state.webhook_endpoint(Some(partner.0.id), id).await?)
}

fn string_list(body: &serde_json::Map<String, Value>, field: &str, errors: &mut Errors) {
    match body.get(field) {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) if items.iter().all(Value::is_string) => {}
        Some(_) => add(
            errors,
            field,
            format!("The {field} field must be a list of strings."),
        ),
    }
}

fn boolean(body: &serde_json::Map<String, Value>, field: &str, errors: &mut Errors) {
    if !matches!(
        body.get(field),
        None | Some(Value::Null) | Some(Value::Bool(_))
    ) {
        add(
            errors,
            field,
            format!("The {field} field must be true or false."),
        );
    }
}

#[utoipa::path(
    post, path = "/webhook-endpoints", tag = "webhooks",
    request_body = CreateEndpoint,
    responses(
        (status = 400, description = "The body is not a JSON object (`invalid_json`).", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is larger than 64 KiB (`payload_too_large`).", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not sent as application/json (`unsupported_media_type`).", body = Problem, content_type = "application/problem+json"),
        (status = 201, description = "Endpoint added; its secret is shown this once.", body = EndpointWithSecret),
        (status = 401, description = "Missing or invalid credentials.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`, `webhook_url_invalid` or `unknown_event_types`.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [], "api_key" = []))
)]
pub async fn create_endpoint(
    State(state): State<HubState>,
    partner: EasyFreelancePartner,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<Response, ApiError> {
    let body = json_body(body)?;
    let mut errors = Errors::new();
    if !matches!(body.get("url"), Some(Value::String(s)) if !s.trim().is_empty()) {
        add(&mut errors, "url", "The url field is required.");
    }
    string_list(&body, "events", &mut errors);
    boolean(&body, "include_claims", &mut errors);
    boolean(&body, "sign_ed25519", &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let request: CreateEndpoint = decode(body)?;
    let (endpoint, secret) = state
        .add_webhook_endpoint(
            partner.0.id,
            NewEndpoint {
                url: request.url,
                event_types: request.events,
                include_claims: request.include_claims,
                sign_ed25519: request.sign_ed25519,
            },
        )
        .await?;
    let body = EndpointWithSecret {
        endpoint: Endpoint::from(&endpoint),
        secret,
    };
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

#[utoipa::path(
    get, path = "/webhook-endpoints", tag = "webhooks",
    responses(
        (status = 200, description = "The partner's endpoints.", body = EndpointList),
        (status = 401, description = "Missing or invalid credentials.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [], "api_key" = []))
)]
pub async fn list_endpoints(
    State(state): State<HubState>,
    partner: EasyFreelancePartner,
) -> Result<Json<EndpointList>, ApiError> {
    let endpoints = state.webhook_endpoints(Some(partner.0.id)).await?;
    Ok(Json(EndpointList {
        data: endpoints.iter().map(Endpoint::from).collect(),
    }))
}

#[utoipa::path(
    get, path = "/webhook-endpoints/{id}", tag = "webhooks",
    params(("id" = String, Path, description = "Endpoint id (`ep_…`).")),
    responses(
        (status = 200, description = "The endpoint.", body = Endpoint),
        (status = 401, description = "Missing or invalid credentials.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such endpoint of this partner.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [], "api_key" = []))
)]
pub async fn get_endpoint(
    State(state): State<HubState>,
    partner: EasyFreelancePartner,
    path: Result<Path<String>, PathRejection>,
) -> Result<Json<Endpoint>, ApiError> {
    let endpoint = partner_endpoint(&state, &partner, path).await?;
    Ok(Json(Endpoint::from(&endpoint)))
}

#[utoipa::path(
    patch, path = "/webhook-endpoints/{id}", tag = "webhooks",
    params(("id" = String, Path, description = "Endpoint id (`ep_…`).")),
    request_body = UpdateEndpoint,
    responses(
        (status = 400, description = "The body is not a JSON object (`invalid_json`).", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is larger than 64 KiB (`payload_too_large`).", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not sent as application/json (`unsupported_media_type`).", body = Problem, content_type = "application/problem+json"),
        (status = 200, description = "The changed endpoint.", body = Endpoint),
        (status = 401, description = "Missing or invalid credentials.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such endpoint of this partner.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`, `webhook_url_invalid` or `unknown_event_types`.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [], "api_key" = []))
)]
pub async fn update_endpoint(
    State(state): State<HubState>,
    partner: EasyFreelancePartner,
    path: Result<Path<String>, PathRejection>,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<Json<Endpoint>, ApiError> {
    let endpoint = partner_endpoint(&state, &partner, path).await?;
    let body = json_body(body)?;
    let mut errors = Errors::new();
    if !matches!(
        body.get("url"),
        None | Some(Value::Null) | Some(Value::String(_))
    ) {
        add(&mut errors, "url", "The url field must be a string.");
    }
    string_list(&body, "events", &mut errors);
    for field in ["enabled", "include_claims", "sign_ed25519"] {
        boolean(&body, field, &mut errors);
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
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
            },
        )
        .await?;
    Ok(Json(Endpoint::from(&updated)))
}

#[utoipa::path(
    post, path = "/webhook-endpoints/{id}/rotate-secret", tag = "webhooks",
    params(("id" = String, Path, description = "Endpoint id (`ep_…`).")),
    responses(
        (status = 200, description = "A new secret (shown once); the old one keeps signing during the overlap.", body = RotatedSecret),
        (status = 401, description = "Missing or invalid credentials.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such endpoint of this partner.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [], "api_key" = []))
)]
pub async fn rotate_secret(
    State(state): State<HubState>,
    partner: EasyFreelancePartner,
    path: Result<Path<String>, PathRejection>,
) -> Result<Json<RotatedSecret>, ApiError> {
    let endpoint = partner_endpoint(&state, &partner, path).await?;
    let (endpoint, secret) = state.rotate_webhook_secret(endpoint).await?;
    Ok(Json(RotatedSecret {
        secret,
        endpoint: Endpoint::from(&endpoint),
    }))
}

#[utoipa::path(
    post, path = "/webhook-endpoints/{id}/test", tag = "webhooks",
    params(("id" = String, Path, description = "Endpoint id (`ep_…`).")),
    responses(
        (status = 202, description = "A `webhook.test` event is queued for this endpoint.", body = TestEventQueued),
        (status = 401, description = "Missing or invalid credentials.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such endpoint of this partner.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [], "api_key" = []))
)]
pub async fn send_test(
    State(state): State<HubState>,
    partner: EasyFreelancePartner,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let endpoint = partner_endpoint(&state, &partner, path).await?;
    let (event, delivery) = state.send_test_event(&endpoint).await?;
    let body = TestEventQueued {
        event_id: event.to_string(),
        delivery_id: delivery.to_string(),
    };
    Ok((StatusCode::ACCEPTED, Json(body)).into_response())
}

#[utoipa::path(
    get, path = "/webhook-endpoints/{id}/deliveries", tag = "webhooks",
    params(
        ("id" = String, Path, description = "Endpoint id (`ep_…`)."),
        ("status" = Option<String>, Query, description = "`pending`, `delivered` or `dead`."),
        ("limit" = Option<u32>, Query, description = "At most this many, newest first (default 100, at most 1000)."),
    ),
    responses(
        (status = 200, description = "Deliveries, newest first.", body = DeliveryList),
        (status = 400, description = "The query string cannot be read (`invalid_query`).", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or invalid credentials.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such endpoint of this partner.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown status filter.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [], "api_key" = []))
)]
pub async fn list_deliveries(
    State(state): State<HubState>,
    partner: EasyFreelancePartner,
    path: Result<Path<String>, PathRejection>,
    filter: Result<Query<DeliveryFilter>, QueryRejection>,
) -> Result<Json<DeliveryList>, ApiError> {
    let endpoint = partner_endpoint(&state, &partner, path).await?;
    let Query(filter) = filter
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", e.body_text()))?;
    let status = filter
        .status
        .as_deref()
        .map(str::parse::<DeliveryStatus>)
        .transpose()
        .map_err(|e| {
            let mut errors = Errors::new();
            add(&mut errors, "status", e);
            ApiError::validation(errors)
        })?;
    let deliveries = state
        .webhook_deliveries(&endpoint, status, filter.limit.unwrap_or(100))
        .await?;
    Ok(Json(DeliveryList {
        data: deliveries.iter().map(DeliveryInfo::from).collect(),
    }))
}

#[utoipa::path(
    get, path = "/webhook-endpoints/{id}/deliveries/{delivery_id}", tag = "webhooks",
    params(
        ("id" = String, Path, description = "Endpoint id (`ep_…`)."),
        ("delivery_id" = String, Path, description = "Delivery id (`dlv_…`)."),
    ),
    responses(
        (status = 200, description = "The delivery with every attempt.", body = DeliveryDetail),
        (status = 401, description = "Missing or invalid credentials.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such endpoint or delivery.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [], "api_key" = []))
)]
pub async fn get_delivery(
    State(state): State<HubState>,
    partner: EasyFreelancePartner,
    Path((id, delivery_id)): Path<(String, String)>,
) -> Result<Json<DeliveryDetail>, ApiError> {
    let endpoint_id: EndpointId = id.parse().map_err(|_| not_found("webhook endpoint"))?;
    let endpoint = state
        .webhook_endpoint(Some(partner.0.id), endpoint_id)
        .await?;
    let delivery_id: DeliveryId = delivery_id.parse().map_err(|_| not_found("delivery"))?;
    let (delivery, attempts) = state.webhook_delivery(&endpoint, delivery_id).await?;
    Ok(Json(DeliveryDetail {
        delivery: DeliveryInfo::from(&delivery),
        attempts_made: attempts.iter().map(AttemptInfo::from).collect(),
    }))
}

#[utoipa::path(
    post, path = "/webhook-endpoints/{id}/redeliver", tag = "webhooks",
    params(("id" = String, Path, description = "Endpoint id (`ep_…`).")),
    request_body = RedeliverRequest,
    responses(
        (status = 400, description = "The body is not a JSON object (`invalid_json`).", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is larger than 64 KiB (`payload_too_large`).", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not sent as application/json (`unsupported_media_type`).", body = Problem, content_type = "application/problem+json"),
        (status = 202, description = "Deliveries queued again.", body = Queued),
        (status = 401, description = "Missing or invalid credentials.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such endpoint or event of this partner.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Give `event_id`, or `since` (and optionally `until`).", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [], "api_key" = []))
)]
pub async fn redeliver(
    State(state): State<HubState>,
    partner: EasyFreelancePartner,
    path: Result<Path<String>, PathRejection>,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<Response, ApiError> {
    let endpoint = partner_endpoint(&state, &partner, path).await?;
    let body = json_body(body)?;
    let request: RedeliverRequest = decode(body)?;
    let mut errors = Errors::new();
    let when = |field: &str, value: &Option<String>, errors: &mut Errors| {
        value
            .as_deref()
            .and_then(|v| match DateTime::parse_from_rfc3339(v) {
                Ok(t) => Some(t.with_timezone(&Utc)),
                Err(_) => {
                    add(
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
            Err(_) => return Err(not_found("webhook event")),
        },
        (None, Some(since)) => Some(Redeliver::DeadBetween {
            since,
            until: until.unwrap_or_else(Utc::now),
        }),
        _ => {
            add(
                &mut errors,
                "event_id",
                "Give either event_id, or since (and optionally until).",
            );
            None
        }
    };
    let Some(which) = which.filter(|_| errors.is_empty()) else {
        return Err(ApiError::validation(errors));
    };
    let queued = state.redeliver(&endpoint, which).await?;
    Ok((StatusCode::ACCEPTED, Json(Queued { queued })).into_response())
}
