//! Hopae's workspace API, for the partner's own apps: a Hopae client configures its webhook,
//! its redirect URIs and its client secret the way Hopae documents, with a workspace key
//! (`Authorization: Bearer sk_workspace_…`). An app is one of the partner's Hopae app
//! credentials, named by its `clientId`.
//!
//! Errors use the workspace API's own envelope (`{"error": {code, message, details},
//! "request_id"}`), not the App API's problem documents.

use super::credentials::split_workspace_key;
use super::dto::AppPage;
use super::problem::HopaeError;
use super::wire::{WebhookVocabulary, hopae_event_types};
use crate::HubState;
use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use idgate_core::{Credential, CredentialKind, Partner, ReturnUrlStatus, WebhookEndpoint};
use idgate_hub::service::ServiceError;
use idgate_hub::service::webhooks::{EndpointPatch, secret_text};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

/// Hopae allows at most this many redirect URIs per app.
const MAX_REDIRECT_URIS: usize = 20;
/// Hopae's documented defaults for a webhook config (stored, not enforced, as at Hopae).
const DEFAULT_RETRY_ATTEMPTS: u64 = 3;
const DEFAULT_TIMEOUT_SECONDS: u64 = 10;

/// The partner a workspace key belongs to.
#[derive(Debug, Clone)]
pub struct WorkspacePartner(pub Partner);

impl FromRequestParts<HubState> for WorkspacePartner {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &HubState) -> Result<Self, Response> {
        let request_id = request_id(&parts.headers);
        let key = parts
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                let (scheme, token) = v.trim().split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then_some(token)
            })
            .and_then(split_workspace_key);
        let Some((lookup, check)) = key else {
            return Err(unauthenticated(&request_id));
        };
        match state
            .authenticate(CredentialKind::HopaeWorkspace, lookup, check)
            .await
        {
            Ok(partner) => Ok(WorkspacePartner(partner)),
            Err(ServiceError::Unauthenticated) => Err(unauthenticated(&request_id)),
            Err(e) => Err(respond(&HopaeError::from(e), &request_id)),
        }
    }
}

fn unauthenticated(request_id: &str) -> Response {
    let mut response = respond(
        &HopaeError::new(
            StatusCode::UNAUTHORIZED,
            "AUTH_INVALID_CREDENTIALS",
            "Send your workspace key as Authorization: Bearer sk_workspace_….",
        ),
        request_id,
    );
    response.headers_mut().insert(
        "www-authenticate",
        HeaderValue::from_static("Bearer realm=\"idgate\""),
    );
    response
}

/// The request's id (set by the server for every request), for the error envelope.
fn request_id(headers: &HeaderMap) -> String {
    headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// The workspace API's error envelope.
#[derive(Debug, Serialize, ToSchema)]
pub struct WorkspaceProblem {
    pub error: WorkspaceProblemError,
    pub request_id: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WorkspaceProblemError {
    /// E.g. `AUTH_INVALID_CREDENTIALS`, `RESOURCE_NOT_FOUND`, `VALIDATION_INVALID_PARAMETER`.
    pub code: String,
    pub message: String,
    #[schema(value_type = Object)]
    pub details: Map<String, Value>,
}

fn respond(error: &HopaeError, request_id: &str) -> Response {
    error.respond_with(|status, code, message, context| {
        let body = WorkspaceProblem {
            error: WorkspaceProblemError {
                code: code.to_owned(),
                message: message.to_owned(),
                details: context.cloned().unwrap_or_default(),
            },
            request_id: request_id.to_owned(),
        };
        (status, Json(body)).into_response()
    })
}

type Answer<T> = Result<T, HopaeError>;

fn answer<T: Serialize>(status: StatusCode, result: Answer<T>, headers: &HeaderMap) -> Response {
    match result {
        Ok(value) => (status, Json(value)).into_response(),
        Err(e) => respond(&e, &request_id(headers)),
    }
}

fn no_app() -> HopaeError {
    HopaeError::new(
        StatusCode::NOT_FOUND,
        "RESOURCE_NOT_FOUND",
        "No app with this client id exists in your workspace.",
    )
}

/// The partner's live app credential named by `client_id`.
async fn app(state: &HubState, partner: &Partner, client_id: &str) -> Answer<Credential> {
    match state.credential(CredentialKind::Hopae, client_id).await {
        Ok((credential, _)) if credential.partner_id == partner.id => Ok(credential),
        Ok(_) | Err(ServiceError::Unauthenticated | ServiceError::NotFound(_)) => Err(no_app()),
        Err(e) => Err(e.into()),
    }
}

/// An app as the workspace API shows it (never its client secret).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct App {
    pub client_id: String,
    /// The partner's brand name, else its name.
    pub name: String,
    /// The URIs the app may return people to (approved).
    pub redirect_uris: Vec<String>,
    /// idgate: URIs registered and waiting for an operator's approval.
    pub pending_redirect_uris: Vec<String>,
    #[schema(nullable)]
    pub default_success_redirect_uri: Option<String>,
    #[schema(nullable)]
    pub default_failure_redirect_uri: Option<String>,
    /// The providers the app can use, by id.
    #[schema(value_type = Object)]
    pub providers: Map<String, Value>,
    #[schema(nullable)]
    pub default_workflow_id: Option<String>,
    #[schema(value_type = Vec<Object>)]
    pub workflows: Vec<Value>,
    /// The partner's id.
    pub organization_id: String,
    #[schema(nullable)]
    pub logo: Option<String>,
    pub webhook_config: WebhookConfig,
    pub created_at: String,
    pub updated_at: String,
}

/// `GET /apps`.
#[derive(Debug, Serialize, ToSchema)]
pub struct AppList {
    pub data: Vec<App>,
    pub total: usize,
    pub limit: usize,
    pub offset: usize,
}

/// An app's webhook config.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookConfig {
    /// The config's id (`null` until the app has one).
    #[serde(rename = "_id")]
    #[schema(nullable)]
    pub id: Option<String>,
    pub url: String,
    pub enabled: bool,
    /// The event names subscribed to, as given (either of Hopae's vocabularies); empty: all.
    pub events: Vec<String>,
    /// Stored, as at Hopae; deliveries follow idgate's retry schedule.
    pub retry_attempts: u64,
    /// Stored, as at Hopae; deliveries follow idgate's timeout.
    pub timeout_seconds: u64,
    /// The current signing secret (`whsec_…`; empty until the app has one).
    pub secret: String,
}

fn webhook_config(endpoint: Option<&WebhookEndpoint>) -> WebhookConfig {
    let Some(endpoint) = endpoint else {
        return WebhookConfig {
            id: None,
            url: String::new(),
            enabled: false,
            events: Vec::new(),
            retry_attempts: DEFAULT_RETRY_ATTEMPTS,
            timeout_seconds: DEFAULT_TIMEOUT_SECONDS,
            secret: String::new(),
        };
    };
    let settings = endpoint.dialect_settings.clone().unwrap_or_default();
    let number = |name: &str, default: u64| {
        settings
            .get(name)
            .and_then(Value::as_u64)
            .unwrap_or(default)
    };
    WebhookConfig {
        id: Some(endpoint.id.to_string()),
        url: endpoint.url.clone(),
        enabled: endpoint.enabled,
        events: settings
            .get("events")
            .and_then(|v| serde_json::from_value(v.clone()).ok())
            .unwrap_or_default(),
        retry_attempts: number("retryAttempts", DEFAULT_RETRY_ATTEMPTS),
        timeout_seconds: number("timeoutSeconds", DEFAULT_TIMEOUT_SECONDS),
        // The newest secret is the current one.
        secret: endpoint
            .secrets
            .iter()
            .max_by_key(|s| s.created_at)
            .map(secret_text)
            .unwrap_or_default(),
    }
}

/// The app's redirect URIs: approved, and waiting.
async fn redirect_uris(state: &HubState, partner: &Partner) -> Answer<(Vec<String>, Vec<String>)> {
    let rules = state.partner_return_urls(partner).await?;
    let with = |status: ReturnUrlStatus| {
        rules
            .iter()
            .filter(|r| r.status == status)
            .map(|r| r.requested_url.clone())
            .collect::<Vec<_>>()
    };
    Ok((
        with(ReturnUrlStatus::Approved),
        with(ReturnUrlStatus::Pending),
    ))
}

/// The app's redirect URIs as the API answers them.
async fn standing_uris(state: &HubState, partner: &Partner) -> Answer<RedirectUris> {
    let (redirect_uris, pending_redirect_uris) = redirect_uris(state, partner).await?;
    Ok(RedirectUris {
        redirect_uris,
        pending_redirect_uris,
    })
}

async fn app_view(
    state: &HubState,
    partner: &Partner,
    credential: &Credential,
    client_id: String,
) -> Answer<App> {
    let (approved, pending) = redirect_uris(state, partner).await?;
    let endpoint = state.credential_endpoint(credential).await?;
    let offered: Vec<String> = if partner.offered_providers.is_empty() {
        state.providers().infos().map(|i| i.id.clone()).collect()
    } else {
        partner.offered_providers.clone()
    };
    let providers = offered
        .into_iter()
        .map(|id| (id, serde_json::json!({"enabled": true, "config": {}})))
        .collect();
    let created = super::dto::timestamp(credential.created_at);
    Ok(App {
        client_id,
        name: partner
            .branding
            .display_name
            .clone()
            .unwrap_or_else(|| partner.name.clone()),
        redirect_uris: approved,
        pending_redirect_uris: pending,
        default_success_redirect_uri: None,
        default_failure_redirect_uri: None,
        providers,
        default_workflow_id: None,
        workflows: Vec::new(),
        organization_id: partner.id.to_string(),
        logo: None,
        webhook_config: webhook_config(endpoint.as_ref()),
        created_at: created.clone(),
        updated_at: endpoint.map_or(created, |e| super::dto::timestamp(e.updated_at)),
    })
}

/// List apps
///
/// The workspace's apps (the partner's live Hopae app credentials), oldest first.
#[utoipa::path(
    get, path = "/apps", tag = "workspace",
    params(AppPage),
    responses(
        (status = 200, description = "A page of apps.", body = AppList),
        (status = 400, description = "VALIDATION_INVALID_PARAMETER: limit or offset out of range.", body = WorkspaceProblem),
        (status = 401, description = "AUTH_INVALID_CREDENTIALS.", body = WorkspaceProblem),
        (status = 429, description = "A rate limit was reached; retry after Retry-After seconds.", body = WorkspaceProblem, headers(("Retry-After" = u64, description = "Seconds to wait before retrying."))),
    ),
    security(("workspace" = []))
)]
pub async fn list_apps(
    State(state): State<HubState>,
    WorkspacePartner(partner): WorkspacePartner,
    headers: HeaderMap,
    page: Result<Query<AppPage>, QueryRejection>,
) -> Response {
    let listed = async {
        let Query(page) = page.map_err(|e| {
            HopaeError::field("VALIDATION_INVALID_PARAMETER", "query", e.body_text())
        })?;
        let limit = page.limit.unwrap_or(20);
        if !(1..=100).contains(&limit) {
            return Err(HopaeError::invalid("limit", "limit must be 1-100."));
        }
        let offset = page.offset.unwrap_or(0);
        let now = chrono::Utc::now();
        let apps: Vec<Credential> = state
            .partner_credentials(partner.id)
            .await?
            .into_iter()
            .filter(|c| {
                c.kind == CredentialKind::Hopae && c.is_live_at(now) && c.public_id.is_some()
            })
            .collect();
        let total = apps.len();
        let mut data = Vec::new();
        for credential in apps.iter().skip(offset).take(limit) {
            let client_id = credential.public_id.clone().unwrap_or_default();
            data.push(app_view(&state, &partner, credential, client_id).await?);
        }
        Ok(AppList {
            data,
            total,
            limit,
            offset,
        })
    };
    answer(StatusCode::OK, listed.await, &headers)
}

/// Get an app
#[utoipa::path(
    get, path = "/apps/{clientId}", tag = "workspace",
    params(("clientId" = String, Path, description = "The app's client id.")),
    responses(
        (status = 200, description = "The app.", body = App),
        (status = 401, description = "AUTH_INVALID_CREDENTIALS.", body = WorkspaceProblem),
        (status = 404, description = "RESOURCE_NOT_FOUND: no such app in this workspace.", body = WorkspaceProblem),
        (status = 429, description = "A rate limit was reached; retry after Retry-After seconds.", body = WorkspaceProblem, headers(("Retry-After" = u64, description = "Seconds to wait before retrying."))),
    ),
    security(("workspace" = []))
)]
pub async fn get_app(
    State(state): State<HubState>,
    WorkspacePartner(partner): WorkspacePartner,
    headers: HeaderMap,
    Path(client_id): Path<String>,
) -> Response {
    let found = async {
        let credential = app(&state, &partner, &client_id).await?;
        app_view(&state, &partner, &credential, client_id).await
    };
    answer(StatusCode::OK, found.await, &headers)
}

/// `POST /apps/{clientId}/rotate-client-secret`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RotatedClientSecret {
    /// The new client secret, shown this once.
    pub client_secret: String,
}

/// Rotate an app's client secret
///
/// A new client secret under the same client id; the old one stops working at once (on other idgate nodes within `api.credential_cache_ttl`).
#[utoipa::path(
    post, path = "/apps/{clientId}/rotate-client-secret", tag = "workspace",
    params(("clientId" = String, Path, description = "The app's client id.")),
    responses(
        (status = 201, description = "The new secret, shown this once.", body = RotatedClientSecret),
        (status = 401, description = "AUTH_INVALID_CREDENTIALS.", body = WorkspaceProblem),
        (status = 404, description = "RESOURCE_NOT_FOUND: no such app in this workspace.", body = WorkspaceProblem),
        (status = 429, description = "A rate limit was reached; retry after Retry-After seconds.", body = WorkspaceProblem, headers(("Retry-After" = u64, description = "Seconds to wait before retrying."))),
    ),
    security(("workspace" = []))
)]
pub async fn rotate_client_secret(
    State(state): State<HubState>,
    WorkspacePartner(partner): WorkspacePartner,
    headers: HeaderMap,
    Path(client_id): Path<String>,
) -> Response {
    let rotated = async {
        let credential = app(&state, &partner, &client_id).await?;
        let client_secret = state.replace_credential_secret(&credential).await?;
        Ok(RotatedClientSecret { client_secret })
    };
    answer(StatusCode::CREATED, rotated.await, &headers)
}

/// An app's redirect URIs.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RedirectUris {
    /// The URIs the app may return people to: approved ones in answers; the whole wanted list
    /// in a `PUT`.
    pub redirect_uris: Vec<String>,
    /// idgate, in answers: registered URIs waiting for an operator's approval (none for a
    /// partner an operator lets register its own).
    #[serde(default, skip_deserializing)]
    pub pending_redirect_uris: Vec<String>,
}

/// Get an app's redirect URIs
#[utoipa::path(
    get, path = "/apps/{clientId}/redirect-uris", tag = "workspace",
    params(("clientId" = String, Path, description = "The app's client id.")),
    responses(
        (status = 200, description = "Approved and waiting URIs.", body = RedirectUris),
        (status = 401, description = "AUTH_INVALID_CREDENTIALS.", body = WorkspaceProblem),
        (status = 404, description = "RESOURCE_NOT_FOUND: no such app in this workspace.", body = WorkspaceProblem),
        (status = 429, description = "A rate limit was reached; retry after Retry-After seconds.", body = WorkspaceProblem, headers(("Retry-After" = u64, description = "Seconds to wait before retrying."))),
    ),
    security(("workspace" = []))
)]
pub async fn get_redirect_uris(
    State(state): State<HubState>,
    WorkspacePartner(partner): WorkspacePartner,
    headers: HeaderMap,
    Path(client_id): Path<String>,
) -> Response {
    let found = async {
        app(&state, &partner, &client_id).await?;
        standing_uris(&state, &partner).await
    };
    answer(StatusCode::OK, found.await, &headers)
}

/// Replace an app's redirect URIs
///
/// The list becomes the app's registrations: new URIs wait for an operator's approval (or are approved at once for a partner an operator lets register its own), URIs left out are withdrawn. https only (http for loopback in test mode), no fragment or query, at most 2048 characters each, at most 20; duplicates count once.
#[utoipa::path(
    put, path = "/apps/{clientId}/redirect-uris", tag = "workspace",
    params(("clientId" = String, Path, description = "The app's client id.")),
    request_body(content = RedirectUris, example = json!({"redirectUris": ["https://app.example.com/callback"]})),
    responses(
        (status = 200, description = "The registrations now standing.", body = RedirectUris),
        (status = 400, description = "VALIDATION_MISSING_PARAMETER or VALIDATION_INVALID_PARAMETER.", body = WorkspaceProblem),
        (status = 401, description = "AUTH_INVALID_CREDENTIALS.", body = WorkspaceProblem),
        (status = 404, description = "RESOURCE_NOT_FOUND: no such app in this workspace.", body = WorkspaceProblem),
        (status = 429, description = "A rate limit was reached; retry after Retry-After seconds.", body = WorkspaceProblem, headers(("Retry-After" = u64, description = "Seconds to wait before retrying."))),
    ),
    security(("workspace" = []))
)]
pub async fn put_redirect_uris(
    State(state): State<HubState>,
    WorkspacePartner(partner): WorkspacePartner,
    headers: HeaderMap,
    Path(client_id): Path<String>,
    body: Result<Json<Value>, JsonRejection>,
) -> Response {
    let replaced = async {
        app(&state, &partner, &client_id).await?;
        let Json(body) = body.map_err(|e| HopaeError::invalid("body", e.body_text()))?;
        let uris = body
            .get("redirectUris")
            .ok_or_else(|| HopaeError::missing("redirectUris"))?;
        let uris: Vec<String> = serde_json::from_value(uris.clone()).map_err(|_| {
            HopaeError::invalid("redirectUris", "redirectUris must be an array of strings.")
        })?;
        let mut wanted: Vec<String> = Vec::new();
        for uri in uris {
            let uri = uri.trim().to_owned();
            if uri.contains('#') {
                return Err(HopaeError::invalid(
                    "redirectUris",
                    format!("{uri:?} has a fragment; redirect URIs may not."),
                ));
            }
            if !wanted.contains(&uri) {
                wanted.push(uri);
            }
        }
        if wanted.len() > MAX_REDIRECT_URIS {
            return Err(HopaeError::invalid(
                "redirectUris",
                format!("An app has at most {MAX_REDIRECT_URIS} redirect URIs."),
            ));
        }
        state
            .replace_return_urls(&partner, &wanted)
            .await
            .map_err(|e| match e {
                ServiceError::InvalidReturnUrl(inner) => HopaeError::invalid(
                    "redirectUris",
                    format!("A redirect URI is invalid: {inner}"),
                ),
                other => other.into(),
            })?;
        standing_uris(&state, &partner).await
    };
    answer(StatusCode::OK, replaced.await, &headers)
}

/// Get an app's webhook config
#[utoipa::path(
    get, path = "/apps/{clientId}/webhook-config", tag = "workspace",
    params(("clientId" = String, Path, description = "The app's client id.")),
    responses(
        (status = 200, description = "The config, with the current signing secret (empty until the app has one).", body = WebhookConfig),
        (status = 401, description = "AUTH_INVALID_CREDENTIALS.", body = WorkspaceProblem),
        (status = 404, description = "RESOURCE_NOT_FOUND: no such app in this workspace.", body = WorkspaceProblem),
        (status = 429, description = "A rate limit was reached; retry after Retry-After seconds.", body = WorkspaceProblem, headers(("Retry-After" = u64, description = "Seconds to wait before retrying."))),
    ),
    security(("workspace" = []))
)]
pub async fn get_webhook_config(
    State(state): State<HubState>,
    WorkspacePartner(partner): WorkspacePartner,
    headers: HeaderMap,
    Path(client_id): Path<String>,
) -> Response {
    let found = async {
        let credential = app(&state, &partner, &client_id).await?;
        let endpoint = state.credential_endpoint(&credential).await?;
        Ok(webhook_config(endpoint.as_ref()))
    };
    answer(StatusCode::OK, found.await, &headers)
}

/// What a `PATCH` of a webhook config may change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookConfigPatch {
    pub url: Option<String>,
    pub enabled: Option<bool>,
    /// Event names from either of Hopae's vocabularies (`verification.completed`,
    /// `verification.awaiting_user_action`…); empty: all events.
    pub events: Option<Vec<String>>,
    /// 0-10.
    pub retry_attempts: Option<u64>,
    /// 1-60.
    pub timeout_seconds: Option<u64>,
}

/// Update an app's webhook config
///
/// Sets the URL, whether it is on, the events it receives and the retry settings. The secret cannot be set: rotate it. An app's first URL turns its webhook on unless `enabled` says otherwise.
#[utoipa::path(
    patch, path = "/apps/{clientId}/webhook-config", tag = "workspace",
    params(("clientId" = String, Path, description = "The app's client id.")),
    request_body(content = WebhookConfigPatch, example = json!({"url": "https://app.example.com/hooks/hopae", "enabled": true, "events": ["verification.completed", "verification.failed"]})),
    responses(
        (status = 200, description = "The updated config.", body = WebhookConfig),
        (status = 400, description = "VALIDATION_INVALID_PARAMETER: a bad URL, an unknown event name, a value out of range, or `secret`.", body = WorkspaceProblem),
        (status = 401, description = "AUTH_INVALID_CREDENTIALS.", body = WorkspaceProblem),
        (status = 404, description = "RESOURCE_NOT_FOUND: no such app in this workspace.", body = WorkspaceProblem),
        (status = 409, description = "RESOURCE_LIMIT_EXCEEDED: the partner has as many webhook endpoints as it may.", body = WorkspaceProblem),
        (status = 429, description = "A rate limit was reached; retry after Retry-After seconds.", body = WorkspaceProblem, headers(("Retry-After" = u64, description = "Seconds to wait before retrying."))),
    ),
    security(("workspace" = []))
)]
pub async fn patch_webhook_config(
    State(state): State<HubState>,
    WorkspacePartner(partner): WorkspacePartner,
    headers: HeaderMap,
    Path(client_id): Path<String>,
    body: Result<Json<Value>, JsonRejection>,
) -> Response {
    let updated = async {
        let credential = app(&state, &partner, &client_id).await?;
        let Json(body) = body.map_err(|e| HopaeError::invalid("body", e.body_text()))?;
        if body.get("secret").is_some() {
            return Err(HopaeError::invalid(
                "secret",
                "The secret cannot be set; POST …/webhook-config/rotate-secret makes a new one.",
            ));
        }
        let patch: WebhookConfigPatch = serde_json::from_value(body).map_err(|e| {
            HopaeError::invalid("body", format!("The request body is invalid: {e}"))
        })?;
        let endpoint = state.ensure_credential_endpoint(&credential).await?;
        let mut settings = endpoint.dialect_settings.clone().unwrap_or_default();
        let mut change = EndpointPatch::default();
        if let Some(attempts) = patch.retry_attempts {
            if attempts > 10 {
                return Err(HopaeError::invalid(
                    "retryAttempts",
                    "retryAttempts must be 0-10.",
                ));
            }
            settings.insert("retryAttempts".into(), attempts.into());
        }
        if let Some(timeout) = patch.timeout_seconds {
            if !(1..=60).contains(&timeout) {
                return Err(HopaeError::invalid(
                    "timeoutSeconds",
                    "timeoutSeconds must be 1-60.",
                ));
            }
            settings.insert("timeoutSeconds".into(), timeout.into());
        }
        if let Some(events) = patch.events {
            let mut types = Vec::new();
            for event in &events {
                let mapped = hopae_event_types(event).ok_or_else(|| {
                    HopaeError::invalid(
                        "events",
                        format!("{event:?} is not a Hopae webhook event."),
                    )
                })?;
                types.extend(mapped.iter().map(|t| (*t).to_owned()));
            }
            settings.insert("events".into(), serde_json::json!(events));
            settings.insert(
                "vocabulary".into(),
                WebhookVocabulary::of(&events).as_str().into(),
            );
            change.event_types = Some(types);
        }
        let first_url = endpoint.url.is_empty() && patch.url.is_some();
        change.url = patch.url;
        change.enabled = patch.enabled.or(first_url.then_some(true));
        change.dialect_settings = Some(settings);
        let saved = state
            .update_webhook_endpoint(endpoint, change)
            .await
            .map_err(|e| match e {
                ServiceError::InvalidWebhookUrl(why) => {
                    HopaeError::invalid("url", format!("url is not usable: {why}"))
                }
                other => other.into(),
            })?;
        Ok(webhook_config(Some(&saved)))
    };
    answer(StatusCode::OK, updated.await, &headers)
}

/// `POST …/webhook-config/rotate-secret`.
#[derive(Debug, Serialize, ToSchema)]
pub struct RotatedWebhookSecret {
    /// The new signing secret (`whsec_…`).
    pub secret: String,
}

/// Rotate an app's webhook secret
///
/// A new signing secret. Deliveries carry a `v1` for the old one too for `webhooks.rotation_overlap`, the new one last (a receiver written from Hopae's example keeps the last `v1`).
#[utoipa::path(
    post, path = "/apps/{clientId}/webhook-config/rotate-secret", tag = "workspace",
    params(("clientId" = String, Path, description = "The app's client id.")),
    responses(
        (status = 200, description = "The new secret.", body = RotatedWebhookSecret),
        (status = 401, description = "AUTH_INVALID_CREDENTIALS.", body = WorkspaceProblem),
        (status = 404, description = "RESOURCE_NOT_FOUND: no such app in this workspace.", body = WorkspaceProblem),
        (status = 409, description = "RESOURCE_LIMIT_EXCEEDED: the partner has as many webhook endpoints as it may.", body = WorkspaceProblem),
        (status = 429, description = "A rate limit was reached; retry after Retry-After seconds.", body = WorkspaceProblem, headers(("Retry-After" = u64, description = "Seconds to wait before retrying."))),
    ),
    security(("workspace" = []))
)]
pub async fn rotate_webhook_secret(
    State(state): State<HubState>,
    WorkspacePartner(partner): WorkspacePartner,
    headers: HeaderMap,
    Path(client_id): Path<String>,
) -> Response {
    let rotated = async {
        let credential = app(&state, &partner, &client_id).await?;
        let endpoint = state.ensure_credential_endpoint(&credential).await?;
        let (_, secret) = state.rotate_webhook_secret(endpoint).await?;
        Ok(RotatedWebhookSecret { secret })
    };
    answer(StatusCode::OK, rotated.await, &headers)
}
