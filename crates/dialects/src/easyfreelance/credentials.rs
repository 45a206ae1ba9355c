//! EasyFreelance credentials: a personal access token (`Authorization: Bearer idg_pat_…`,
//! looked up) and an `API-key` UUID (checked), both required together.

use idgate_core::CredentialKind;
use idgate_hub::credentials::{CredentialScheme, IssuedSecrets, ShownSecret};
use idgate_hub::random::RandomUnavailable;
use idgate_hub::random::random_token;

#[derive(Debug)]
pub struct EasyFreelanceCredentials;

impl CredentialScheme for EasyFreelanceCredentials {
    fn kind(&self) -> CredentialKind {
        CredentialKind::EasyFreelance
    }

    fn title(&self) -> &'static str {
        "EasyFreelance API"
    }

    fn base_path(&self) -> &'static str {
        "/api/v1"
    }

    fn issue(&self) -> Result<IssuedSecrets, RandomUnavailable> {
        let access_token = format!("idg_pat_{}", random_token(32)?);
        let api_key = uuid::Uuid::new_v4().hyphenated().to_string();
        Ok(IssuedSecrets {
            shown: vec![
                ShownSecret {
                    field: "access_token",
                    label: "access token",
                    value: access_token.clone(),
                },
                ShownSecret {
                    field: "api_key",
                    label: "API-key",
                    value: api_key.clone(),
                },
            ],
            lookup: access_token,
            check: api_key,
            shared_secret: None,
        })
    }

    /// API keys are UUIDs; their canonical form makes letter case irrelevant.
    fn canonical_check(&self, given: &str) -> Option<String> {
        uuid::Uuid::parse_str(given.trim())
            .ok()
            .map(|u| u.hyphenated().to_string())
    }
}
