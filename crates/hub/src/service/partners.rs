//! Partners and their credentials: issued by each dialect's scheme, verified, revoked and
//! rotated here the same way for every kind.

use super::{Hub, ServiceError, ServiceResult, digest};
use crate::credentials::IssuedCredential;
use aws_lc_rs::digest as sha;
use chrono::{DateTime, Duration, Utc};
use idgate_core::{
    Branding, Credential, CredentialId, CredentialKind, EvidenceDisclosure, FrameAncestor, Logo,
    Partner, PartnerId, ReturnUrlPolicy, Tier, TokenEntry, Workflow,
};

/// A step's settings as the partner gives them.
pub type ConfigMap = serde_json::Map<String, serde_json::Value>;

/// Workflows a partner may keep.
const MAX_WORKFLOWS: usize = 50;
/// A step's settings, as JSON, at most.
const MAX_CONFIG_BYTES: usize = 8 * 1024;
const CONFIG_TOO_LARGE: &str = "a step's config is at most 8 KiB of JSON";

fn too_large(config: &ConfigMap) -> bool {
    !serde_json::to_vec(config).is_ok_and(|b| b.len() <= MAX_CONFIG_BYTES)
}

/// A workflow definition the rules refuse: a 400 in the API.
fn workflow_error(field: &str, message: &str) -> ServiceError {
    ServiceError::InvalidInput(idgate_providers::InputError {
        missing: false,
        field: field.to_owned(),
        message: message.to_owned(),
    })
}

/// What [`Hub::update_partner`] changes; `None` keeps a setting.
#[derive(Clone, Debug, Default)]
pub struct PartnerChange {
    pub tier: Option<Tier>,
    /// `Some(None)` returns to the tier's cap.
    pub session_cap: Option<Option<u32>>,
    pub evidence: Option<EvidenceDisclosure>,
    /// Replaces the origins allowed to embed the hosted flow (empty: none).
    pub frame_ancestors: Option<Vec<FrameAncestor>>,
    /// The brand on the hosted pages, each checked (`Some(None)` removes it).
    pub display_name: Option<Option<String>>,
    pub primary_color: Option<Option<String>>,
    pub support_contact: Option<Option<String>>,
    pub privacy_url: Option<Option<String>>,
    pub language: Option<Option<String>>,
    /// Replaces the providers the hosted page offers where the dialect names none (empty:
    /// the dialect's own).
    pub offered_providers: Option<Vec<String>>,
    pub return_urls: Option<ReturnUrlPolicy>,
}

/// `Some(None)` clears, `Some(Some(v))` sets `v` once `check` accepts it.
fn change_field(
    field: &mut Option<String>,
    change: Option<Option<String>>,
    check: fn(&str) -> Result<String, String>,
) -> ServiceResult<()> {
    match change {
        None => {}
        Some(None) => *field = None,
        Some(Some(value)) => *field = Some(check(&value).map_err(ServiceError::Internal)?),
    }
    Ok(())
}
use std::sync::Arc;
use std::time::Instant;
use subtle::ConstantTimeEq;

impl Hub {
    /// Creates a partner with one credential per dialect that issues them, in the order the
    /// dialects are registered.
    pub async fn create_partner(
        &self,
        name: &str,
        tier: Tier,
    ) -> ServiceResult<(Partner, Vec<IssuedCredential>)> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(ServiceError::Internal(
                "a partner name must be 1-200 characters".into(),
            ));
        }
        let partner = Partner::new(PartnerId::new(), name.to_owned(), tier, Utc::now());
        self.store.insert_partner(&partner).await?;
        // As stored: with the number the store gave it.
        let partner = self
            .store
            .get_partner(partner.id)
            .await?
            .ok_or(ServiceError::NotFound("partner"))?;
        let kinds: Vec<CredentialKind> = self
            .dialects
            .all()
            .flat_map(|w| w.credential_schemes().into_iter().map(|c| c.kind()))
            .collect();
        let mut issued = Vec::with_capacity(kinds.len());
        for kind in kinds {
            issued.push(self.issue_credential(partner.id, kind).await?);
        }
        Ok((partner, issued))
    }

    /// Changes a partner's tier, its own session cap and what `/evidence` discloses to it
    /// (`None` leaves a setting as it is; `Some(None)` for the cap returns to the tier's).
    /// A custom tier needs a cap. Other nodes see the change within
    /// `api.credential_cache_ttl` (they cache a partner with its credential).
    pub async fn update_partner(
        &self,
        id: PartnerId,
        change: PartnerChange,
    ) -> ServiceResult<Partner> {
        let mut partner = self
            .store
            .get_partner(id)
            .await?
            .ok_or(ServiceError::NotFound("partner"))?;
        if let Some(tier) = change.tier {
            partner.tier = tier;
        }
        if let Some(cap) = change.session_cap {
            partner.session_cap = cap;
        }
        if let Some(evidence) = change.evidence {
            partner.evidence = evidence;
        }
        if let Some(origins) = change.frame_ancestors {
            partner.frame_ancestors = origins;
        }
        let brand = &mut partner.branding;
        change_field(
            &mut brand.display_name,
            change.display_name,
            Branding::check_display_name,
        )?;
        change_field(
            &mut brand.primary_color,
            change.primary_color,
            Branding::check_color,
        )?;
        change_field(
            &mut brand.support_contact,
            change.support_contact,
            Branding::check_support_contact,
        )?;
        change_field(
            &mut brand.privacy_url,
            change.privacy_url,
            Branding::check_privacy_url,
        )?;
        change_field(
            &mut brand.language,
            change.language,
            Branding::check_language,
        )?;
        if let Some(offered) = change.offered_providers {
            if let Some(unknown) = offered.iter().find(|id| self.providers.get(id).is_none()) {
                return Err(ServiceError::InvalidInput(idgate_providers::InputError {
                    missing: false,
                    field: "offered_providers".into(),
                    message: format!(
                        "{unknown:?} is not a provider served here; configured: {}",
                        self.providers
                            .infos()
                            .map(|i| i.id.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                }));
            }
            partner.offered_providers = offered;
        }
        if let Some(policy) = change.return_urls {
            partner.return_urls = policy;
        }
        if partner.tier == Tier::Custom && partner.session_cap.is_none() {
            return Err(ServiceError::InvalidInput(idgate_providers::InputError {
                missing: true,
                field: "sessions_per_minute".into(),
                message: "a custom tier needs its own cap on sessions a minute".into(),
            }));
        }
        self.store.update_partner(&partner).await?;
        self.auth_cache.clear();
        Ok(partner)
    }

    /// Replaces the partner's logo (PNG, JPEG or WebP, checked by its bytes); the pages link
    /// to it by a new version, so browsers that cached the old one fetch the new.
    pub async fn set_partner_logo(&self, id: PartnerId, bytes: Vec<u8>) -> ServiceResult<Partner> {
        let logo = Logo::from_bytes(bytes).map_err(ServiceError::Internal)?;
        let mut partner = self
            .store
            .get_partner(id)
            .await?
            .ok_or(ServiceError::NotFound("partner"))?;
        self.store.put_partner_logo(id, &logo).await?;
        partner.branding.logo_type = Some(logo.media_type);
        partner.branding.logo_version = Some(crate::random::random_token(6)?);
        self.store.update_partner(&partner).await?;
        self.auth_cache.clear();
        Ok(partner)
    }

    /// Adds a verification workflow to the partner: its providers (registered here; several
    /// make a choice for the person; none: the deepidv dialect's provider, or the partner's
    /// offer) and its steps (deepidv's names and rules), each with the settings given.
    pub async fn add_workflow(
        &self,
        id: PartnerId,
        name: &str,
        providers: Vec<String>,
        steps: Vec<(String, Option<ConfigMap>)>,
    ) -> ServiceResult<Workflow> {
        let mut partner = self.partner(id).await?;
        // Workflows live on the partner's row, read on every request: keep it small.
        if partner.workflows.len() >= MAX_WORKFLOWS {
            return Err(workflow_error(
                "name",
                &format!("a partner has at most {MAX_WORKFLOWS} workflows"),
            ));
        }
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 255 {
            return Err(workflow_error(
                "name",
                "a workflow name has 1 to 255 characters",
            ));
        }
        let mut providers = providers;
        let mut seen = std::collections::HashSet::new();
        providers.retain(|p| seen.insert(p.clone()));
        if providers.len() > 10 {
            return Err(workflow_error(
                "providers",
                "a workflow names at most 10 providers",
            ));
        }
        let providers = if !providers.is_empty() {
            providers
        } else if !partner.offered_providers.is_empty() {
            partner.offered_providers.clone()
        } else {
            vec![self.settings.dialects.deepidv.provider.clone()]
        };
        if let Some(unknown) = providers.iter().find(|p| self.providers.get(p).is_none()) {
            return Err(workflow_error(
                "providers",
                &format!("{unknown:?} is not a provider served here"),
            ));
        }
        if steps.iter().filter_map(|(_, c)| c.as_ref()).any(too_large) {
            return Err(workflow_error("steps", CONFIG_TOO_LARGE));
        }
        let ids: Vec<String> = steps.iter().map(|(id, _)| id.clone()).collect();
        Workflow::check_steps(&ids).map_err(|e| workflow_error("steps", &e))?;
        let now = Utc::now();
        let workflow = Workflow {
            id: format!("wf_{}", crate::random::random_token(12)?),
            name: name.to_owned(),
            providers,
            steps: ids,
            step_configs: steps
                .into_iter()
                .filter_map(|(id, config)| config.map(|c| (id, c)))
                .collect(),
            created_at: Some(now),
            updated_at: Some(now),
        };
        partner.workflows.push(workflow.clone());
        self.store.update_partner(&partner).await?;
        self.auth_cache.clear();
        Ok(workflow)
    }

    /// Replaces the settings of one step of a workflow (deepidv's step `config`).
    pub async fn set_workflow_step_config(
        &self,
        id: PartnerId,
        workflow_id: &str,
        step: &str,
        config: ConfigMap,
    ) -> ServiceResult<Workflow> {
        if too_large(&config) {
            return Err(workflow_error("config", CONFIG_TOO_LARGE));
        }
        let mut partner = self.partner(id).await?;
        let workflow = partner
            .workflows
            .iter_mut()
            .find(|w| w.id == workflow_id)
            .ok_or(ServiceError::NotFound("workflow"))?;
        if !workflow.steps.iter().any(|s| s == step) {
            return Err(ServiceError::NotFound("workflow step"));
        }
        workflow.step_configs.insert(step.to_owned(), config);
        workflow.updated_at = Some(Utc::now());
        let updated = workflow.clone();
        self.store.update_partner(&partner).await?;
        self.auth_cache.clear();
        Ok(updated)
    }

    /// Removes a workflow; sessions created with it keep its id.
    pub async fn remove_workflow(&self, id: PartnerId, workflow_id: &str) -> ServiceResult<()> {
        let mut partner = self.partner(id).await?;
        let before = partner.workflows.len();
        partner.workflows.retain(|w| w.id != workflow_id);
        if partner.workflows.len() == before {
            return Err(ServiceError::NotFound("workflow"));
        }
        self.store.update_partner(&partner).await?;
        self.auth_cache.clear();
        Ok(())
    }

    /// A partner by id.
    pub async fn partner(&self, id: PartnerId) -> ServiceResult<Partner> {
        self.store
            .get_partner(id)
            .await?
            .ok_or(ServiceError::NotFound("partner"))
    }

    /// Credits `tokens` to the partner's balance (an operator's top-up), with an optional
    /// note; returns the ledger entry with the balance after it.
    pub async fn credit_tokens(
        &self,
        id: PartnerId,
        tokens: i64,
        note: Option<String>,
    ) -> ServiceResult<TokenEntry> {
        self.partner(id).await?;
        if tokens <= 0 {
            return Err(ServiceError::Internal(
                "a top-up adds at least 1 token".into(),
            ));
        }
        let note = note.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
        if note.as_ref().is_some_and(|n| n.chars().count() > 200) {
            return Err(ServiceError::Internal(
                "a note is at most 200 characters".into(),
            ));
        }
        let entry = TokenEntry::top_up(id, tokens, note, Utc::now());
        Ok(self.store.credit_tokens(&entry).await?)
    }

    /// The partner's token balance and its latest `limit` ledger entries, newest first.
    pub async fn tokens(&self, id: PartnerId, limit: u32) -> ServiceResult<(i64, Vec<TokenEntry>)> {
        self.partner(id).await?;
        let balance = self.store.token_balance(id).await?;
        let history = self.store.token_history(id, limit).await?;
        Ok((balance, history))
    }

    /// The partner's logo, if it has one.
    pub async fn partner_logo(&self, id: PartnerId) -> ServiceResult<Option<Logo>> {
        Ok(self.store.get_partner_logo(id).await?)
    }

    /// A new credential of `kind` for the partner; its secrets are in the answer only.
    pub async fn issue_credential(
        &self,
        partner_id: PartnerId,
        kind: CredentialKind,
    ) -> ServiceResult<IssuedCredential> {
        let (dialect, scheme) = self.dialects.credential_scheme(kind).ok_or_else(|| {
            ServiceError::Internal(format!(
                "no dialect served here issues {} credentials",
                kind.as_str()
            ))
        })?;
        let secrets = scheme.issue()?;
        let credential = Credential {
            id: CredentialId::new(),
            partner_id,
            kind,
            lookup_digest: digest(&secrets.lookup),
            secret_digest: digest(&secrets.check),
            shared_secret: secrets.shared_secret,
            public_id: scheme.public_lookup().then(|| secrets.lookup.clone()),
            created_at: Utc::now(),
            revoked_at: None,
        };
        self.store.insert_credential(&credential).await?;
        Ok(IssuedCredential {
            id: credential.id,
            kind,
            dialect,
            title: scheme.title(),
            base_path: scheme.base_path(),
            shown: secrets.shown,
        })
    }

    /// The credential of `kind` derived from `seed` for the partner (see
    /// [`CredentialScheme::derive`](crate::credentials::CredentialScheme::derive)), stored the
    /// first time it is asked for.
    pub async fn ensure_derived_credential(
        &self,
        partner_id: PartnerId,
        kind: CredentialKind,
        seed: &str,
    ) -> ServiceResult<Credential> {
        let derived = self
            .dialects
            .credential_scheme(kind)
            .and_then(|(_, scheme)| scheme.derive(seed))
            .ok_or_else(|| {
                ServiceError::Internal(format!("{} credentials are not derived", kind.as_str()))
            })?;
        let lookup_digest = digest(&derived.lookup);
        if let Some(found) = self.store.find_credential(kind, &lookup_digest).await? {
            return Ok(found);
        }
        let credential = Credential {
            id: CredentialId::new(),
            partner_id,
            kind,
            lookup_digest,
            secret_digest: digest(&derived.check),
            shared_secret: derived.shared_secret,
            public_id: None,
            created_at: Utc::now(),
            revoked_at: None,
        };
        self.store.insert_credential(&credential).await?;
        Ok(credential)
    }

    /// The partner's credentials (no secrets), oldest first.
    pub async fn partner_credentials(
        &self,
        partner_id: PartnerId,
    ) -> ServiceResult<Vec<Credential>> {
        Ok(self.store.list_credentials(partner_id).await?)
    }

    /// Stops a credential from authenticating at `at` (now, unless a grace period is given).
    /// This node forgets it at once; other nodes within `api.credential_cache_ttl`, the bound
    /// on how long a revoked credential can still be accepted.
    pub async fn revoke_credential(
        &self,
        id: CredentialId,
        at: DateTime<Utc>,
    ) -> ServiceResult<Credential> {
        self.store.revoke_credential(id, at).await?;
        let credential = self
            .store
            .get_credential(id)
            .await?
            .ok_or(ServiceError::NotFound("credential"))?;
        self.auth_cache
            .forget(credential.kind, &credential.lookup_digest);
        Ok(credential)
    }

    /// A new checked half for a live credential under the same looked-up half (a Hopae app
    /// keeps its client id and gets a new client secret): the old one stops working at once,
    /// on this node at once and on the others within `api.credential_cache_ttl`. Returns the
    /// new secret, shown this once.
    pub async fn replace_credential_secret(
        &self,
        credential: &Credential,
    ) -> ServiceResult<String> {
        if !credential.is_live_at(Utc::now()) {
            return Err(ServiceError::NotFound("credential"));
        }
        let (_, scheme) = self
            .dialects
            .credential_scheme(credential.kind)
            .ok_or(ServiceError::NotFound("credential"))?;
        let fresh = scheme.issue()?;
        self.store
            .replace_credential_secret(credential.id, &digest(&fresh.check))
            .await?;
        self.auth_cache
            .forget(credential.kind, &credential.lookup_digest);
        Ok(fresh.check)
    }

    /// Issues a credential of the same kind for the same partner and revokes the old one
    /// after `grace`, so the partner can switch without an outage.
    pub async fn rotate_credential(
        &self,
        id: CredentialId,
        grace: Duration,
    ) -> ServiceResult<(IssuedCredential, Credential)> {
        let old = self
            .store
            .get_credential(id)
            .await?
            .ok_or(ServiceError::NotFound("credential"))?;
        if !old.is_live_at(Utc::now()) {
            return Err(ServiceError::Internal(
                "this credential is revoked already; issue a new one instead".into(),
            ));
        }
        let issued = self.issue_credential(old.partner_id, old.kind).await?;
        let old = self.revoke_credential(id, Utc::now() + grace).await?;
        Ok((issued, old))
    }

    /// The partner owning a credential of `kind`: `lookup` finds it, `check` must match in
    /// constant time (after the scheme's canonical form), and it must not be revoked.
    ///
    /// Known credentials are cached briefly (see [`AuthCache`]): every API call authenticates,
    /// and two database round trips per call were the largest cost of a status poll.
    pub async fn authenticate(
        &self,
        kind: CredentialKind,
        lookup: &str,
        check: &str,
    ) -> ServiceResult<Partner> {
        let check = self
            .dialects
            .credential_scheme(kind)
            .and_then(|(_, scheme)| scheme.canonical_check(check))
            .ok_or(ServiceError::Unauthenticated)?;
        let (credential, partner) = self.credential(kind, lookup).await?;
        let given = digest(&check);
        if !bool::from(given.as_bytes().ct_eq(credential.secret_digest.as_bytes())) {
            return Err(ServiceError::Unauthenticated);
        }
        self.limit_credential(&credential)?;
        self.limit_dialect_key(kind, &credential).await?;
        Ok(partner)
    }

    /// A dialect's own published limits on one API key: a bucket per node and a daily count
    /// the store keeps for every node (deepidv: 25 a second with bursts of 35, 10 000 a UTC
    /// day).
    async fn limit_dialect_key(
        &self,
        kind: CredentialKind,
        credential: &Credential,
    ) -> ServiceResult<()> {
        self.limits
            .dialect_key(kind, credential.id)
            .map_err(|limited| {
                metrics::counter!("idgate_rate_limited_total", "policy" => "api-key").increment(1);
                ServiceError::from(limited)
            })?;
        let per_day = match kind {
            CredentialKind::DeepIdv => self.settings.dialects.deepidv.requests_per_day,
            _ => 0,
        };
        if per_day == 0 {
            return Ok(());
        }
        let (window, left) = crate::limits::day_window(Utc::now());
        if self.limits.daily.take(credential.id, window) {
            return Ok(());
        }
        let _one_at_a_time = self.limits.daily.reserving.lock().await;
        // Another request may have reserved while this one waited.
        if self.limits.daily.take(credential.id, window) {
            return Ok(());
        }
        let granted = self
            .store
            .take_quota_many(
                &format!("key-day:{}", credential.id),
                window,
                per_day,
                crate::limits::DailyShares::share(per_day),
            )
            .await?;
        if granted > 0 {
            self.limits.daily.add(credential.id, window, granted);
            return Ok(());
        }
        metrics::counter!("idgate_rate_limited_total", "policy" => "api-key-day").increment(1);
        Err(crate::limits::RateLimited {
            policy: "api-key-day",
            quota: per_day,
            window_secs: 86_400,
            retry_after_secs: left,
        }
        .into())
    }

    /// One request made with `credential`, counted once the request proved it holds the
    /// credential (a caller that knows only the lookup half drains nothing); refused past
    /// `limits.credential_*`. Kinds that sign requests call it after the signature check.
    pub fn limit_credential(&self, credential: &Credential) -> ServiceResult<()> {
        self.limits.credential(credential.id).map_err(|limited| {
            metrics::counter!("idgate_rate_limited_total", "policy" => "credential").increment(1);
            ServiceError::from(limited)
        })
    }

    /// The live credential of `kind` that `lookup` finds, with its partner (for kinds that
    /// verify a request signature with the credential's shared secret).
    pub async fn credential(
        &self,
        kind: CredentialKind,
        lookup: &str,
    ) -> ServiceResult<(Credential, Partner)> {
        // The cache is keyed by the raw digest: no hex text is built unless the database is asked.
        let lookup_digest = sha::digest(&sha::SHA256, lookup.as_bytes());
        // SHA-256 is 32 bytes, so this never fails.
        let raw = <[u8; 32]>::try_from(lookup_digest.as_ref())
            .map_err(|_| ServiceError::Unauthenticated)?;
        let cache_key = (kind, raw);
        let entry = match self.auth_cache.get(&cache_key) {
            Some(found) => found,
            None => {
                let credential = self
                    .store
                    .find_credential(kind, &hex::encode(lookup_digest))
                    .await?
                    .ok_or(ServiceError::Unauthenticated)?;
                let partner = self
                    .store
                    .get_partner(credential.partner_id)
                    .await?
                    .ok_or(ServiceError::Unauthenticated)?;
                self.auth_cache.put(cache_key, credential, partner)
            }
        };
        let (credential, partner) = entry.as_ref();
        // A cached credential carries its revocation time, so a grace period ends on time.
        if !credential.is_live_at(Utc::now()) {
            return Err(ServiceError::Unauthenticated);
        }
        Ok((credential.clone(), partner.clone()))
    }
}

/// Recently verified credentials, by the digest of their token, for a short time. Only what
/// the database said is cached (never a failed lookup), and entries expire, so a credential
/// changed in the database is seen by every node within the TTL (`api.credential_cache_ttl`).
#[derive(Debug)]
pub struct AuthCache {
    ttl: std::time::Duration,
    entries: std::sync::Mutex<std::collections::HashMap<AuthKey, (CachedCredential, Instant)>>,
}

/// A credential's kind and the SHA-256 of its lookup secret.
type AuthKey = (CredentialKind, [u8; 32]);
/// Shared, so a hit copies a pointer rather than the records.
type CachedCredential = Arc<(Credential, Partner)>;

impl AuthCache {
    const CAPACITY: usize = 10_000;

    pub fn new(ttl: std::time::Duration) -> Self {
        AuthCache {
            ttl,
            entries: Default::default(),
        }
    }

    pub fn ttl(&self) -> std::time::Duration {
        self.ttl
    }

    fn get(&self, key: &AuthKey) -> Option<CachedCredential> {
        let entries = self.entries.lock().ok()?;
        let (entry, at) = entries.get(key)?;
        (at.elapsed() < self.ttl).then(|| Arc::clone(entry))
    }

    /// Forgets every entry (a partner's settings changed).
    fn clear(&self) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.clear();
        }
    }

    /// Drops the entry for a credential (its lookup digest in hex), e.g. once revoked.
    fn forget(&self, kind: CredentialKind, lookup_digest: &str) {
        let Ok(raw) = hex::decode(lookup_digest) else {
            return;
        };
        let Ok(raw) = <[u8; 32]>::try_from(raw.as_slice()) else {
            return;
        };
        if let Ok(mut entries) = self.entries.lock() {
            entries.remove(&(kind, raw));
        }
    }

    fn put(&self, key: AuthKey, credential: Credential, partner: Partner) -> CachedCredential {
        let entry = Arc::new((credential, partner));
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= Self::CAPACITY {
                entries.retain(|_, (_, at)| at.elapsed() < self.ttl);
                if entries.len() >= Self::CAPACITY {
                    entries.clear();
                }
            }
            entries.insert(key, (Arc::clone(&entry), Instant::now()));
        }
        entry
    }
}
