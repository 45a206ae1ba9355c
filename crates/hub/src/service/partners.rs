//! Partners and their credentials.

use super::{Hub, ServiceError, ServiceResult, digest, random_token};
use chrono::Utc;
use idgate_core::{Credential, CredentialId, CredentialKind, Partner, PartnerId, Tier};
use std::fmt;
use std::sync::Arc;
use std::time::Instant;
use subtle::ConstantTimeEq;

/// EasyFreelance credentials, returned once at creation and never stored in clear.
#[derive(Clone, serde::Serialize)]
pub struct EasyFreelanceSecrets {
    /// `Authorization: Bearer <access_token>`.
    pub access_token: String,
    /// `API-key: <api_key>`.
    pub api_key: String,
}

impl fmt::Debug for EasyFreelanceSecrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("EasyFreelanceSecrets(<redacted>)")
    }
}

/// A new partner's credentials, one per dialect, shown once.
#[derive(Clone, Debug, serde::Serialize)]
pub struct PartnerSecrets {
    pub easyfreelance: EasyFreelanceSecrets,
    pub hopae: HopaeSecrets,
}

/// Hopae Connect credentials (HTTP Basic), returned once at creation.
#[derive(Clone, serde::Serialize)]
pub struct HopaeSecrets {
    pub client_id: String,
    pub client_secret: String,
}

impl fmt::Debug for HopaeSecrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HopaeSecrets")
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

impl Hub {
    /// Creates a partner with one credential per dialect.
    pub async fn create_partner(
        &self,
        name: &str,
        tier: Tier,
    ) -> ServiceResult<(Partner, PartnerSecrets)> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(ServiceError::Internal(
                "a partner name must be 1-200 characters".into(),
            ));
        }
        let partner = Partner {
            id: PartnerId::new(),
            name: name.to_owned(),
            tier,
            session_ttl_secs: None,
            created_at: Utc::now(),
        };
        self.store.insert_partner(&partner).await?;
        let secrets = PartnerSecrets {
            easyfreelance: self.issue_easyfreelance_credential(partner.id).await?,
            hopae: self.issue_hopae_credential(partner.id).await?,
        };
        Ok((partner, secrets))
    }

    pub async fn issue_easyfreelance_credential(
        &self,
        partner_id: PartnerId,
    ) -> ServiceResult<EasyFreelanceSecrets> {
        let secrets = EasyFreelanceSecrets {
            access_token: format!("idg_pat_{}", random_token(32)?),
            api_key: uuid::Uuid::new_v4().hyphenated().to_string(),
        };
        let credential = Credential {
            id: CredentialId::new(),
            partner_id,
            kind: CredentialKind::EasyFreelance,
            lookup_digest: digest(&secrets.access_token),
            secret_digest: digest(&secrets.api_key),
            created_at: Utc::now(),
            revoked_at: None,
        };
        self.store.insert_credential(&credential).await?;
        Ok(secrets)
    }

    pub async fn issue_hopae_credential(
        &self,
        partner_id: PartnerId,
    ) -> ServiceResult<HopaeSecrets> {
        let secrets = HopaeSecrets {
            client_id: hex::encode(super::random_bytes(16)?),
            client_secret: format!("idg_cs_{}", random_token(32)?),
        };
        let credential = Credential {
            id: CredentialId::new(),
            partner_id,
            kind: CredentialKind::Hopae,
            lookup_digest: digest(&secrets.client_id),
            secret_digest: digest(&secrets.client_secret),
            created_at: Utc::now(),
            revoked_at: None,
        };
        self.store.insert_credential(&credential).await?;
        Ok(secrets)
    }

    /// The partner whose Hopae `client_id` and `client_secret` these are.
    pub async fn authenticate_hopae(
        &self,
        client_id: &str,
        client_secret: &str,
    ) -> ServiceResult<Partner> {
        self.authenticate(CredentialKind::Hopae, client_id, client_secret)
            .await
    }

    /// The partner owning both the bearer token and the `API-key`, which must belong together.
    ///
    /// Known credentials are cached briefly (see [`AuthCache`]): every API call authenticates,
    /// and two database round trips per call were the largest cost of a status poll.
    pub async fn authenticate_easyfreelance(
        &self,
        access_token: &str,
        api_key: &str,
    ) -> ServiceResult<Partner> {
        // API keys are UUIDs; compare their canonical form so letter case does not matter.
        let api_key = uuid::Uuid::parse_str(api_key.trim())
            .map(|u| u.hyphenated().to_string())
            .map_err(|_| ServiceError::Unauthenticated)?;
        self.authenticate(CredentialKind::EasyFreelance, access_token, &api_key)
            .await
    }

    /// Finds the credential of `kind` by its first secret and checks the second in constant
    /// time.
    async fn authenticate(
        &self,
        kind: CredentialKind,
        lookup_secret: &str,
        second_secret: &str,
    ) -> ServiceResult<Partner> {
        // The cache is keyed by the raw digest: no hex text is built unless the database is asked.
        let lookup = digest::digest(&digest::SHA256, lookup_secret.as_bytes());
        // SHA-256 is 32 bytes, so this never fails.
        let raw =
            <[u8; 32]>::try_from(lookup.as_ref()).map_err(|_| ServiceError::Unauthenticated)?;
        let cache_key = (kind, raw);
        let entry = match self.auth_cache.get(&cache_key) {
            Some(found) => found,
            None => {
                let lookup = hex::encode(lookup);
                let credential = self
                    .store
                    .find_credential(kind, &lookup)
                    .await?
                    .filter(|c| c.revoked_at.is_none())
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
        let given = digest(second_secret);
        if !bool::from(given.as_bytes().ct_eq(credential.secret_digest.as_bytes())) {
            return Err(ServiceError::Unauthenticated);
        }
        Ok(partner.clone())
    }
}

/// Recently verified credentials, by the digest of their token, for a short time. Only what
/// the database said is cached (never a failed lookup), and entries expire, so a credential
/// changed in the database is seen by every node within [`AuthCache::TTL`].
#[derive(Debug, Default)]
pub struct AuthCache {
    entries: std::sync::Mutex<std::collections::HashMap<AuthKey, (CachedCredential, Instant)>>,
}

/// A credential's kind and the SHA-256 of its lookup secret.
type AuthKey = (CredentialKind, [u8; 32]);
/// Shared, so a hit copies a pointer rather than the records.
type CachedCredential = Arc<(Credential, Partner)>;

impl AuthCache {
    pub const TTL: std::time::Duration = std::time::Duration::from_secs(30);
    const CAPACITY: usize = 10_000;

    fn get(&self, key: &AuthKey) -> Option<CachedCredential> {
        let entries = self.entries.lock().ok()?;
        let (entry, at) = entries.get(key)?;
        (at.elapsed() < Self::TTL).then(|| Arc::clone(entry))
    }

    fn put(&self, key: AuthKey, credential: Credential, partner: Partner) -> CachedCredential {
        let entry = Arc::new((credential, partner));
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= Self::CAPACITY {
                entries.retain(|_, (_, at)| at.elapsed() < Self::TTL);
                if entries.len() >= Self::CAPACITY {
                    entries.clear();
                }
            }
            entries.insert(key, (Arc::clone(&entry), Instant::now()));
        }
        entry
    }
}
