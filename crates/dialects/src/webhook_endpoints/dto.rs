//! The webhook-management wire types: idgate's own, the same in every dialect that mounts
//! the routes.

use chrono::{DateTime, SecondsFormat, Utc};
use idgate_core::{Delivery, DeliveryAttempt, WebhookEndpoint};
use serde::{Deserialize, Serialize};
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
    /// The integration deliveries are also signed as (Veriff's headers).
    #[schema(nullable)]
    pub integration_id: Option<String>,
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
            integration_id: e.signing_credential.map(|c| c.to_string()),
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
    /// What the `deepidv-signature` header of deepidv-dialect events carries for this secret
    /// (deepidv's documented check compares it); derived one-way, it proves nothing about the
    /// body. Shown once.
    pub deepidv_signature: String,
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
    /// Also sign every delivery as this Veriff integration of yours (its credential id), with
    /// Veriff's `X-AUTH-CLIENT` and `X-HMAC-SIGNATURE`, so a receiver written for Veriff's
    /// webhooks verifies them unchanged.
    #[serde(default)]
    pub integration_id: Option<String>,
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
    /// The new `deepidv-signature` value (see [`EndpointWithSecret`]). Shown once.
    pub deepidv_signature: String,
    pub endpoint: Endpoint,
}
