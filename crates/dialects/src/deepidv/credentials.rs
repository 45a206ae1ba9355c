//! deepidv API keys: one value sent as `x-api-key`, `didv_` then 24 hex digits (looked up) and
//! 43 characters (checked).

use idgate_core::CredentialKind;
use idgate_hub::credentials::{CredentialScheme, IssuedSecrets, ShownSecret};
use idgate_hub::random::{RandomUnavailable, random_bytes, random_token};

const PREFIX: &str = "didv_";
const LOOKUP_LEN: usize = 24;

#[derive(Debug)]
pub struct DeepIdvCredentials;

/// The looked-up and the checked parts of a key as sent.
pub fn split_key(key: &str) -> Option<(&str, &str)> {
    let rest = key.trim().strip_prefix(PREFIX)?;
    if rest.len() <= LOOKUP_LEN || !rest.is_char_boundary(LOOKUP_LEN) {
        return None;
    }
    let (lookup, check) = rest.split_at(LOOKUP_LEN);
    lookup
        .bytes()
        .all(|b| b.is_ascii_hexdigit())
        .then_some((lookup, check))
}

impl CredentialScheme for DeepIdvCredentials {
    fn kind(&self) -> CredentialKind {
        CredentialKind::DeepIdv
    }

    fn title(&self) -> &'static str {
        "deepidv API"
    }

    fn base_path(&self) -> &'static str {
        "/v1"
    }

    fn issue(&self) -> Result<IssuedSecrets, RandomUnavailable> {
        let lookup = hex::encode(random_bytes(LOOKUP_LEN / 2)?);
        let check = random_token(32)?;
        Ok(IssuedSecrets {
            shown: vec![ShownSecret {
                field: "api_key",
                label: "x-api-key",
                value: format!("{PREFIX}{lookup}{check}"),
            }],
            lookup,
            check,
            shared_secret: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{CredentialScheme, DeepIdvCredentials, split_key};

    #[test]
    fn an_issued_key_splits_back_into_its_parts() {
        let issued = DeepIdvCredentials.issue().unwrap_or_else(|e| panic!("{e}"));
        let shown = issued.shown[0].value.clone();
        assert_eq!(
            split_key(&shown),
            Some((issued.lookup.as_str(), issued.check.as_str()))
        );
        assert_eq!(split_key("didv_short"), None);
        assert_eq!(split_key("sk_live_0123456789abcdef01234567xyz"), None);
        assert_eq!(split_key("didv_zz23456789abcdef01234567xyz"), None);
    }
}
