//! Hopae Connect credentials: an app's HTTP Basic `client_id` (looked up) and `client_secret`
//! (checked), and the workspace keys that manage the apps.

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

    fn public_lookup(&self) -> bool {
        true
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

/// Hopae workspace keys: `Authorization: Bearer sk_workspace_prod_…`, 24 hex digits (looked
/// up) then 43 characters (checked). They manage the partner's apps (webhook config,
/// redirect URIs, client secrets), as Hopae's workspace API does.
#[derive(Debug)]
pub struct WorkspaceKeys;

/// What every workspace key starts with; Hopae's test keys (`sk_workspace_test_`) are
/// accepted too, since one idgate serves both kinds of use.
const WORKSPACE_PREFIXES: [&str; 2] = ["sk_workspace_prod_", "sk_workspace_test_"];
const WORKSPACE_LOOKUP_LEN: usize = 24;

/// The looked-up and the checked parts of a workspace key as sent.
pub fn split_workspace_key(key: &str) -> Option<(&str, &str)> {
    let key = key.trim();
    let rest = WORKSPACE_PREFIXES
        .iter()
        .find_map(|prefix| key.strip_prefix(prefix))?;
    if rest.len() <= WORKSPACE_LOOKUP_LEN || !rest.is_char_boundary(WORKSPACE_LOOKUP_LEN) {
        return None;
    }
    let (lookup, check) = rest.split_at(WORKSPACE_LOOKUP_LEN);
    lookup
        .bytes()
        .all(|b| b.is_ascii_hexdigit())
        .then_some((lookup, check))
}

impl CredentialScheme for WorkspaceKeys {
    fn kind(&self) -> CredentialKind {
        CredentialKind::HopaeWorkspace
    }

    fn title(&self) -> &'static str {
        "Hopae workspace API"
    }

    fn base_path(&self) -> &'static str {
        "/connect/v1"
    }

    fn issue(&self) -> Result<IssuedSecrets, RandomUnavailable> {
        let lookup = hex::encode(random_bytes(WORKSPACE_LOOKUP_LEN / 2)?);
        let check = random_token(32)?;
        Ok(IssuedSecrets {
            shown: vec![ShownSecret {
                field: "workspace_key",
                label: "workspace key",
                value: format!("{}{lookup}{check}", WORKSPACE_PREFIXES[0]),
            }],
            lookup,
            check,
            shared_secret: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{CredentialScheme, WorkspaceKeys, split_workspace_key};

    #[test]
    fn an_issued_workspace_key_splits_back_into_its_parts() {
        let issued = WorkspaceKeys.issue().unwrap_or_else(|e| panic!("{e}"));
        let shown = issued.shown[0].value.clone();
        assert!(shown.starts_with("sk_workspace_prod_"));
        assert_eq!(
            split_workspace_key(&shown),
            Some((issued.lookup.as_str(), issued.check.as_str()))
        );
        let test_key = shown.replacen("_prod_", "_test_", 1);
        assert_eq!(
            split_workspace_key(&test_key),
            Some((issued.lookup.as_str(), issued.check.as_str()))
        );
        assert_eq!(split_workspace_key("sk_workspace_prod_short"), None);
        assert_eq!(
            split_workspace_key("didv_0123456789abcdef01234567xyz"),
            None
        );
        assert_eq!(
            split_workspace_key("sk_workspace_prod_zz23456789abcdef01234567xyz"),
            None
        );
    }
}
