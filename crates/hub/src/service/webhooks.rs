//! Partner webhooks: endpoint management, the events a session's transitions become, and
//! redelivery. Sending is the delivery job's work (`jobs::webhooks`).

use super::{Hub, ServiceError, ServiceResult, random_bytes, random_token};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::Utc;
use idgate_core::webhook::{event_type_for, unknown_event_types};
use idgate_core::{
    Delivery, DeliveryAttempt, DeliveryId, DeliveryStatus, EndpointId, EndpointSecret, EventId,
    NormalizedUrl, PartnerId, Session, SessionEvent, WebhookEndpoint, WebhookEvent,
};
use idgate_store::Redeliver;
use serde_json::json;

/// What a partner asks for when adding an endpoint.
#[derive(Clone, Debug, Default)]
pub struct NewEndpoint {
    pub url: String,
    pub event_types: Vec<String>,
    pub include_claims: bool,
    pub sign_ed25519: bool,
    /// Sign deliveries as this integration of the partner too (a Veriff integration: its
    /// `X-AUTH-CLIENT` and `X-HMAC-SIGNATURE`).
    pub signing_credential: Option<idgate_core::CredentialId>,
}

/// Changes to an endpoint; `None` leaves a field alone.
#[derive(Clone, Debug, Default)]
pub struct EndpointPatch {
    pub url: Option<String>,
    pub event_types: Option<Vec<String>>,
    pub enabled: Option<bool>,
    pub include_claims: Option<bool>,
    pub sign_ed25519: Option<bool>,
    /// Replaces what the dialect keeps about the endpoint (keeping the credential it serves).
    pub dialect_settings: Option<serde_json::Map<String, serde_json::Value>>,
}

/// The member of an endpoint's `dialect_settings` naming the credential (a Hopae app) whose
/// webhook config it is.
const SERVES_CREDENTIAL: &str = "credential";

/// The `whsec_…` form partners configure their verifier with.
pub fn secret_text(secret: &EndpointSecret) -> String {
    format!("whsec_{}", STANDARD.encode(&secret.key))
}

fn new_secret() -> ServiceResult<EndpointSecret> {
    Ok(EndpointSecret {
        id: format!("sec_{}", random_token(6)?),
        key: random_bytes(32)?,
        created_at: Utc::now(),
        expires_at: None,
    })
}

use crate::dialect::webhook_timestamp as timestamp;

impl Hub {
    /// Checks a webhook URL: the return-URL grammar (https; http only for loopback in test
    /// mode) and no private literal address unless allowed.
    fn webhook_url(&self, raw: &str) -> ServiceResult<String> {
        let url = NormalizedUrl::parse(raw, self.settings.url_policy())
            .map_err(|e| ServiceError::InvalidWebhookUrl(e.to_string()))?;
        let text = url.to_url_string();
        let parsed =
            url::Url::parse(&text).map_err(|e| ServiceError::InvalidWebhookUrl(e.to_string()))?;
        self.deliverable(&parsed)
            .map_err(|e| ServiceError::InvalidWebhookUrl(e.to_string()))?;
        Ok(text)
    }

    /// Whether deliveries may go to `url`: a public address (or an allowed network), or this
    /// idgate's own provider webhook route (a built-in simulator notifying its adapter, e.g.
    /// the simulated Veriff upstream), which a delivery must still pass the adapter's
    /// signature check to affect.
    pub(crate) fn deliverable(&self, url: &url::Url) -> Result<(), crate::outbound::OutboundError> {
        let own = format!("{}/providers/", self.settings.public_base());
        if url.as_str().starts_with(&own) {
            return Ok(());
        }
        self.outbound.check_url(url)
    }

    fn event_filter(types: Vec<String>) -> ServiceResult<Vec<String>> {
        let unknown = unknown_event_types(&types);
        if !unknown.is_empty() {
            return Err(ServiceError::UnknownEventTypes(unknown.join(", ")));
        }
        let mut types = types;
        types.sort();
        types.dedup();
        Ok(types)
    }

    /// Adds an endpoint; returns it with its first secret in `whsec_` form (shown once).
    pub async fn add_webhook_endpoint(
        &self,
        partner_id: PartnerId,
        new: NewEndpoint,
    ) -> ServiceResult<(WebhookEndpoint, String)> {
        if let Some(id) = new.signing_credential {
            self.check_signing_credential(partner_id, id).await?;
        }
        let max = self.settings.webhooks.max_endpoints_per_partner;
        let registered = self.store.list_webhook_endpoints(Some(partner_id)).await?;
        if registered.len() >= usize::try_from(max).unwrap_or(usize::MAX) {
            return Err(ServiceError::TooManyEndpoints(max));
        }
        let now = Utc::now();
        let secret = new_secret()?;
        let shown = secret_text(&secret);
        let endpoint = WebhookEndpoint {
            id: EndpointId::new(),
            partner_id,
            url: self.webhook_url(&new.url)?,
            event_types: Self::event_filter(new.event_types)?,
            enabled: true,
            include_claims: new.include_claims,
            sign_ed25519: new.sign_ed25519,
            secrets: vec![secret],
            failing_since: None,
            disabled_reason: None,
            session_id: None,
            signing_credential: new.signing_credential,
            dialect_settings: None,
            created_at: now,
            updated_at: now,
        };
        self.store.insert_webhook_endpoint(&endpoint).await?;
        Ok((endpoint, shown))
    }

    /// A credential an endpoint may sign as: the partner's own, live, of a kind whose dialect
    /// signs deliveries with it.
    async fn check_signing_credential(
        &self,
        partner_id: PartnerId,
        id: idgate_core::CredentialId,
    ) -> ServiceResult<()> {
        let refuse = |why: &str| Err(ServiceError::InvalidWebhookUrl(why.to_owned()));
        let Some(credential) = self.store.get_credential(id).await? else {
            return refuse("the integration to sign as does not exist");
        };
        if credential.partner_id != partner_id || !credential.is_live_at(Utc::now()) {
            return refuse("the integration to sign as is not one of this partner's live ones");
        }
        let signs = self
            .dialects
            .credential_scheme(credential.kind)
            .is_some_and(|(dialect, _)| self.dialects.wire(dialect).signs_webhooks());
        if !signs {
            return refuse("deliveries are signed as an integration only for Veriff integrations");
        }
        Ok(())
    }

    /// The headers a delivery to `endpoint` carries for the integration it signs as, if any.
    pub(crate) async fn integration_signature(
        &self,
        endpoint: &WebhookEndpoint,
        body: &[u8],
    ) -> Vec<(&'static str, String)> {
        let Some(id) = endpoint.signing_credential else {
            return Vec::new();
        };
        let credential = match self.store.get_credential(id).await {
            Ok(Some(c)) => c,
            Ok(None) => return Vec::new(),
            Err(e) => {
                tracing::warn!(error = %e, endpoint = %endpoint.id, "cannot read the integration an endpoint signs as");
                return Vec::new();
            }
        };
        match self.dialects.credential_scheme(credential.kind) {
            Some((dialect, _)) => self
                .dialects
                .wire(dialect)
                .credential_signature_headers(body, &credential),
            None => Vec::new(),
        }
    }

    /// Checks a webhook URL and returns its canonical form.
    pub fn check_webhook_url(&self, raw: &str) -> ServiceResult<String> {
        self.webhook_url(raw)
    }

    /// The endpoint that sends one verification's events to `url` as well (Hopae's
    /// per-verification `webhookUrl`), signed with the secrets of the partner's newest
    /// enabled endpoint: a partner that has none has no secret to check them with, and is
    /// told so. `create_session` writes it with the session.
    pub(super) async fn verification_endpoint(
        &self,
        partner_id: PartnerId,
        session_id: idgate_core::SessionId,
        url: &str,
    ) -> ServiceResult<WebhookEndpoint> {
        let url = self.webhook_url(url)?;
        let now = Utc::now();
        let source = self.verification_signer(partner_id).await?.ok_or_else(|| {
                ServiceError::InvalidWebhookUrl(
                    "add a webhook endpoint first: its signing secret signs the deliveries to a per-verification webhookUrl".into(),
                )
            })?;
        let endpoint = WebhookEndpoint {
            id: EndpointId::new(),
            partner_id,
            url,
            event_types: Vec::new(),
            enabled: true,
            include_claims: false,
            sign_ed25519: source.sign_ed25519,
            secrets: source.signing_secrets(now).into_iter().cloned().collect(),
            failing_since: None,
            disabled_reason: None,
            session_id: Some(session_id),
            signing_credential: None,
            dialect_settings: None,
            created_at: now,
            updated_at: now,
        };
        Ok(endpoint)
    }

    /// The endpoint whose secrets sign a partner's per-verification deliveries: its newest
    /// enabled one, else its newest at all (a Hopae app's webhook config made for its
    /// secret before it has a URL). Asked at every delivery, not copied once, so a rotation
    /// (or a new endpoint) reaches the verifications already running.
    pub(crate) async fn verification_signer(
        &self,
        partner_id: PartnerId,
    ) -> ServiceResult<Option<WebhookEndpoint>> {
        Ok(self
            .store
            .list_webhook_endpoints(Some(partner_id))
            .await?
            .into_iter()
            .filter(|e| e.session_id.is_none())
            .max_by_key(|e| (e.enabled, e.created_at)))
    }

    /// The endpoint that is `credential`'s own webhook config (a Hopae app's), if it has one.
    pub async fn credential_endpoint(
        &self,
        credential: &idgate_core::Credential,
    ) -> ServiceResult<Option<WebhookEndpoint>> {
        let id = credential.id.to_string();
        Ok(self
            .store
            .list_webhook_endpoints(Some(credential.partner_id))
            .await?
            .into_iter()
            .find(|e| {
                e.dialect_settings
                    .as_ref()
                    .and_then(|s| s.get(SERVES_CREDENTIAL))
                    .and_then(serde_json::Value::as_str)
                    == Some(id.as_str())
            }))
    }

    /// `credential`'s own webhook config, made the first time it is needed: off, with no URL
    /// yet, and a signing secret (which also signs the deliveries to per-verification URLs
    /// when the partner has no other endpoint).
    pub async fn ensure_credential_endpoint(
        &self,
        credential: &idgate_core::Credential,
    ) -> ServiceResult<WebhookEndpoint> {
        if let Some(found) = self.credential_endpoint(credential).await? {
            return Ok(found);
        }
        let max = self.settings.webhooks.max_endpoints_per_partner;
        let registered = self
            .store
            .list_webhook_endpoints(Some(credential.partner_id))
            .await?;
        if registered.len() >= usize::try_from(max).unwrap_or(usize::MAX) {
            return Err(ServiceError::TooManyEndpoints(max));
        }
        let now = Utc::now();
        let mut settings = serde_json::Map::new();
        settings.insert(SERVES_CREDENTIAL.into(), credential.id.to_string().into());
        let endpoint = WebhookEndpoint {
            id: EndpointId::new(),
            partner_id: credential.partner_id,
            url: String::new(),
            event_types: Vec::new(),
            enabled: false,
            include_claims: false,
            sign_ed25519: false,
            secrets: vec![new_secret()?],
            failing_since: None,
            disabled_reason: Some("no URL yet".into()),
            session_id: None,
            signing_credential: None,
            dialect_settings: Some(settings),
            created_at: now,
            updated_at: now,
        };
        self.store.insert_webhook_endpoint(&endpoint).await?;
        Ok(endpoint)
    }

    /// An endpoint as its partner may see it (`None` partner: an operator sees all).
    pub async fn webhook_endpoint(
        &self,
        partner_id: Option<PartnerId>,
        id: EndpointId,
    ) -> ServiceResult<WebhookEndpoint> {
        self.store
            .get_webhook_endpoint(id)
            .await?
            .filter(|e| partner_id.is_none_or(|p| p == e.partner_id))
            .ok_or(ServiceError::NotFound("webhook endpoint"))
    }

    pub async fn webhook_endpoints(
        &self,
        partner_id: Option<PartnerId>,
    ) -> ServiceResult<Vec<WebhookEndpoint>> {
        Ok(self.store.list_webhook_endpoints(partner_id).await?)
    }

    pub async fn update_webhook_endpoint(
        &self,
        mut endpoint: WebhookEndpoint,
        patch: EndpointPatch,
    ) -> ServiceResult<WebhookEndpoint> {
        if let Some(url) = patch.url {
            endpoint.url = self.webhook_url(&url)?;
        }
        if let Some(types) = patch.event_types {
            endpoint.event_types = Self::event_filter(types)?;
        }
        if let Some(mut settings) = patch.dialect_settings {
            if let Some(serves) = endpoint
                .dialect_settings
                .as_ref()
                .and_then(|s| s.get(SERVES_CREDENTIAL))
            {
                settings.insert(SERVES_CREDENTIAL.into(), serves.clone());
            }
            endpoint.dialect_settings = Some(settings);
        }
        if let Some(enabled) = patch.enabled {
            if enabled && endpoint.url.is_empty() {
                return Err(ServiceError::InvalidWebhookUrl(
                    "an endpoint needs a URL before it can be enabled".into(),
                ));
            }
            if enabled && !endpoint.enabled {
                // A fresh start: the failure clock restarts with the endpoint.
                endpoint.failing_since = None;
                endpoint.disabled_reason = None;
                self.webhook_wake.notify_one();
            }
            if !enabled {
                // Also over an automatic disable: its partner wants it off, so it no longer
                // holds events.
                endpoint.disabled_reason = Some("disabled by request".into());
            }
            endpoint.enabled = enabled;
        }
        if let Some(v) = patch.include_claims {
            endpoint.include_claims = v;
        }
        if let Some(v) = patch.sign_ed25519 {
            endpoint.sign_ed25519 = v;
        }
        endpoint.updated_at = Utc::now();
        self.store.update_webhook_endpoint(&endpoint).await?;
        Ok(endpoint)
    }

    /// A new secret; the previous ones keep signing for `webhooks.rotation_overlap`.
    pub async fn rotate_webhook_secret(
        &self,
        mut endpoint: WebhookEndpoint,
    ) -> ServiceResult<(WebhookEndpoint, String)> {
        let secret = new_secret()?;
        let shown = secret_text(&secret);
        endpoint.rotate(secret, self.config.rotation_overlap, Utc::now());
        self.store.update_webhook_endpoint(&endpoint).await?;
        Ok((endpoint, shown))
    }

    /// Queues a `webhook.test` event to one endpoint.
    pub async fn send_test_event(
        &self,
        endpoint: &WebhookEndpoint,
    ) -> ServiceResult<(EventId, DeliveryId)> {
        let id = EventId::new();
        let now = Utc::now();
        let event = WebhookEvent {
            id,
            partner_id: endpoint.partner_id,
            session_id: None,
            seq: None,
            event_type: "webhook.test".into(),
            created_at: now,
            dialect: None,
            payload: json!({
                "id": id.to_string(),
                "type": "webhook.test",
                "timestamp": timestamp(now),
                "data": {
                    "endpoint_id": endpoint.id.to_string(),
                    "message": "A test event from idgate: your endpoint is reachable and your signature check can be tried on it."
                }
            }),
        };
        let delivery = self
            .store
            .insert_webhook_event_for(&event, endpoint.id)
            .await?;
        self.webhook_wake.notify_one();
        Ok((id, delivery))
    }

    /// Queues deliveries again (one event, or the endpoint's dead ones in a time range).
    pub async fn redeliver(
        &self,
        endpoint: &WebhookEndpoint,
        which: Redeliver,
    ) -> ServiceResult<u64> {
        if let Redeliver::Event(event_id) = which {
            let event = self.store.get_webhook_event(event_id).await?;
            if event.is_none_or(|e| e.partner_id != endpoint.partner_id) {
                return Err(ServiceError::NotFound("webhook event"));
            }
        }
        let queued = self.store.redeliver(endpoint.id, which, Utc::now()).await?;
        self.webhook_wake.notify_one();
        Ok(queued)
    }

    /// The endpoint's deliveries, newest first (at most `limit`, capped at 1000).
    pub async fn webhook_deliveries(
        &self,
        endpoint: &WebhookEndpoint,
        status: Option<DeliveryStatus>,
        limit: u32,
    ) -> ServiceResult<Vec<Delivery>> {
        Ok(self
            .store
            .list_deliveries(endpoint.id, status, limit.clamp(1, 1000))
            .await?)
    }

    /// One of the endpoint's deliveries with every attempt.
    pub async fn webhook_delivery(
        &self,
        endpoint: &WebhookEndpoint,
        id: DeliveryId,
    ) -> ServiceResult<(Delivery, Vec<DeliveryAttempt>)> {
        let delivery = self
            .store
            .get_delivery(id)
            .await?
            .filter(|d| d.endpoint_id == endpoint.id)
            .ok_or(ServiceError::NotFound("webhook delivery"))?;
        let attempts = self.store.delivery_attempts(id).await?;
        Ok((delivery, attempts))
    }

    /// The webhook events a session's new events become (no personal data; claims are added
    /// at delivery for endpoints that opted in).
    pub fn outbox_for(&self, session: &Session, events: &[SessionEvent]) -> Vec<WebhookEvent> {
        let wire = self.dialects.wire(session.dialect);
        events
            .iter()
            .filter(|e| wire.notifies(e.to_status))
            .map(|e| {
                let id = EventId::new();
                let payload = self
                    .dialects
                    .wire(session.dialect)
                    .webhook_payload(id, session, e);
                WebhookEvent {
                    id,
                    partner_id: session.partner_id,
                    session_id: Some(session.id),
                    seq: Some(e.seq),
                    event_type: event_type_for(e.to_status),
                    created_at: e.at,
                    dialect: Some(session.dialect),
                    payload,
                }
            })
            .collect()
    }
}
