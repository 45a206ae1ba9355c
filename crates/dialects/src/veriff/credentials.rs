//! Veriff integrations as idgate credentials: the API key (a UUID, sent as `X-AUTH-CLIENT`)
//! finds the integration; the shared secret signs requests, answers and webhooks
//! (`X-HMAC-SIGNATURE`). Both are kept sealed together, since idgate must compute with the
//! secret and send the key in its webhooks (Veriff's key is not a secret: its browser SDK
//! holds it).

use serde::{Deserialize, Serialize};

/// What the credential's sealed secret holds.
#[derive(Serialize, Deserialize)]
pub struct IntegrationKeys {
    pub api_key: String,
    pub shared_secret: String,
}

impl std::fmt::Debug for IntegrationKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IntegrationKeys").finish_non_exhaustive()
    }
}

impl IntegrationKeys {
    /// The keys of a stored credential, if it is a Veriff integration's.
    pub fn of(credential: &idgate_core::Credential) -> Option<IntegrationKeys> {
        serde_json::from_str(credential.shared_secret.as_deref()?).ok()
    }
}

use idgate_core::CredentialKind;
use idgate_hub::credentials::{CredentialScheme, IssuedSecrets, ShownSecret};
use idgate_hub::random::{RandomUnavailable, random_bytes};

#[derive(Debug)]
pub struct VeriffCredentials;

/// A random UUID v4 in its hyphenated form (Veriff's API keys and secrets look like this).
fn uuid_v4() -> Result<String, RandomUnavailable> {
    let bytes = random_bytes(16)?;
    let mut raw = [0u8; 16];
    raw.copy_from_slice(&bytes);
    Ok(uuid::Builder::from_random_bytes(raw)
        .into_uuid()
        .hyphenated()
        .to_string())
}

impl CredentialScheme for VeriffCredentials {
    fn kind(&self) -> CredentialKind {
        CredentialKind::Veriff
    }

    fn title(&self) -> &'static str {
        "Veriff API integration"
    }

    fn base_path(&self) -> &'static str {
        "/v1"
    }

    fn issue(&self) -> Result<IssuedSecrets, RandomUnavailable> {
        Ok(secrets(uuid_v4()?, uuid_v4()?))
    }

    /// A simulated upstream's integration: the API key a UUID made from the seed's digest,
    /// the shared secret the seed itself (a keyed digest, as secret as the deployment's key).
    fn derive(&self, seed: &str) -> Option<IssuedSecrets> {
        let hashed = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, seed.as_bytes());
        let mut raw = [0u8; 16];
        raw.copy_from_slice(hashed.as_ref().get(..16)?);
        let api_key = uuid::Builder::from_random_bytes(raw)
            .into_uuid()
            .hyphenated()
            .to_string();
        Some(secrets(api_key, seed.to_owned()))
    }

    /// Requests are signed, not sent with the secret: nothing to compare at authentication.
    fn canonical_check(&self, _check: &str) -> Option<String> {
        None
    }
}

/// An integration's secrets as issued: looked up by the API key, both kept sealed together.
fn secrets(api_key: String, shared_secret: String) -> IssuedSecrets {
    IssuedSecrets {
        shown: vec![
            ShownSecret {
                field: "api_key",
                label: "API key (X-AUTH-CLIENT)",
                value: api_key.clone(),
            },
            ShownSecret {
                field: "shared_secret",
                label: "shared secret",
                value: shared_secret.clone(),
            },
        ],
        lookup: api_key.clone(),
        check: shared_secret.clone(),
        shared_secret: serde_json::to_string(&IntegrationKeys {
            api_key,
            shared_secret,
        })
        .ok(),
    }
}
