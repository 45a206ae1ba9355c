//! The simulated Veriff upstream: a `veriff` provider whose `base_url` is `{public_url}/v1`
//! talks, through the real Veriff adapter, to this idgate's own Veriff API, with the sandbox
//! behind that (`dialects.veriff.provider`). Its integration belongs to a partner idgate makes
//! for it ("Veriff simulator (<id>)"): the API key and shared secret are derived from the
//! deployment's key (every node and every restart agrees), the adapter's callback is an
//! approved return URL, and a webhook endpoint signing as the integration delivers Veriff's
//! decision and event webhooks to the adapter's route, as Veriff would.

use idgate_core::{CredentialKind, Partner, PartnerId, ReturnUrlStatus, Tier};
use idgate_dialects::veriff::credentials::VeriffCredentials;
use idgate_hub::credentials::CredentialScheme;
use idgate_hub::keys::Keys;
use idgate_hub::service::webhooks::NewEndpoint;
use idgate_hub::service::{Hub, ServiceError};
use idgate_providers::veriff::VeriffConfig;

const OWN: &str = "{public_url}/";

fn seed(keys: &Keys, provider_id: &str) -> String {
    keys.bind("veriff-simulator", provider_id)
}

/// Whether a `veriff` table names the built-in simulator; if so, points it at this idgate,
/// marks it a sandbox and gives it the simulated integration's keys (unless set).
pub fn prepare(
    provider_id: &str,
    config: &mut VeriffConfig,
    public_base: &str,
    keys: &Keys,
) -> bool {
    let Some(base) = config.base_url.as_mut().filter(|b| b.starts_with(OWN)) else {
        return false;
    };
    *base = base.replace("{public_url}", public_base);
    config.sandbox = Some(true);
    if let Some(derived) = VeriffCredentials.derive(&seed(keys, provider_id)) {
        let shown = |field: &str| {
            derived
                .shown
                .iter()
                .find(|s| s.field == field)
                .map(|s| s.value.clone())
        };
        config.api_key = config.api_key.take().or_else(|| shown("api_key"));
        config.shared_secret = config
            .shared_secret
            .take()
            .or_else(|| shown("shared_secret"));
    }
    true
}

/// Makes the simulator's partner, integration, return URL and webhook endpoint unless they
/// exist (one node does it; the others find it done).
pub async fn ensure(hub: &Hub, provider_id: &str) -> Result<(), ServiceError> {
    let store = hub.operator().store();
    let marker = format!("veriff_simulator:{provider_id}");
    if !store.meta_set_if_absent(&marker, "being created").await? {
        return Ok(());
    }
    let partner = Partner::new(
        PartnerId::new(),
        format!("Veriff simulator ({provider_id})"),
        Tier::Enterprise,
        chrono::Utc::now(),
    );
    store.insert_partner(&partner).await?;
    let integration = hub
        .ensure_derived_credential(
            partner.id,
            CredentialKind::Veriff,
            &seed(hub.keys(), provider_id),
        )
        .await?;
    let base = hub.settings().public_base().to_owned();
    let (rule, _) = hub
        .register_return_url(&partner, &format!("{base}/callback/{provider_id}"))
        .await?;
    hub.decide_return_url(rule.id, ReturnUrlStatus::Approved)
        .await?;
    hub.add_webhook_endpoint(
        partner.id,
        NewEndpoint {
            url: format!("{base}/providers/{provider_id}/webhook"),
            event_types: Vec::new(),
            include_claims: true,
            sign_ed25519: false,
            signing_credential: Some(integration.id),
        },
    )
    .await?;
    store.meta_set(&marker, &partner.id.to_string()).await?;
    Ok(())
}
