//! Hopae Connect credentials: HTTP Basic `client_id` (looked up) and `client_secret`
//! (checked).

use idgate_core::CredentialKind;
use idgate_hub::credentials::{CredentialScheme, IssuedSecrets, ShownSecret};
use idgate_hub::random::RandomUnavailable;
use idgate_hub::random::{random_bytes, random_token};

#[derive(Debug)]
pub struct HopaeCredentials;

impl CredentialScheme for HopaeCredentials {
    fn kind(&self) -> CredentialKind {
        CredentialKind::Hopae
    }

    fn title(&self) -> &'static str {
        "Hopae Connect API"
    }

    fn base_path(&self) -> &'static str {
        "/connect/v1"
    }

    fn issue(&self) -> Result<IssuedSecrets, RandomUnavailable> {
        let client_id = hex::encode(random_bytes(16)?);
        let client_secret = format!("idg_cs_{}", random_token(32)?);
        Ok(IssuedSecrets {
            shown: vec![
                ShownSecret {
                    field: "client_id",
                    label: "client_id",
                    value: client_id.clone(),
                },
                ShownSecret {
                    field: "client_secret",
                    label: "client_secret",
                    value: client_secret.clone(),
                },
            ],
            lookup: client_id,
            check: client_secret,
            shared_secret: None,
        })
    }
}
