//! Personal data a session may carry. Encrypted at rest by the store; never printed by `Debug`.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

macro_rules! redacted_debug {
    ($name:ident) => {
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "(<redacted>)"))
            }
        }
    };
}

/// What a partner tells idgate about the person (deepidv / Veriff / Hopae `userData`).
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplicantData {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_of_birth: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub national_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<BTreeMap<String, String>>,
    /// Provider-specific fields under the provider's own names (Hopae `userData`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub provider_fields: BTreeMap<String, String>,
    /// Other documented fields a dialect received about the person, under the dialect's
    /// names (Veriff `person.gender`, `document.firstIssue`): kept, sealed with the rest, but
    /// no provider is asked to use them.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub other: BTreeMap<String, String>,
}
redacted_debug!(ApplicantData);

impl ApplicantData {
    /// The person's country where the partner said it (the document's issuing country),
    /// upper case.
    pub fn country(&self) -> Option<String> {
        self.document
            .as_ref()
            .and_then(|d| d.get("country"))
            .map(|c| c.trim().to_ascii_uppercase())
            .filter(|c| c.len() == 2)
    }
}

/// Fields a match-capable provider compares against its own record (Hopae `matchData`).
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatchData(pub BTreeMap<String, String>);
redacted_debug!(MatchData);

/// The normalised claims a provider returned (OIDC claim names).
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ResultClaims(pub serde_json::Map<String, serde_json::Value>);
redacted_debug!(ResultClaims);

/// A match provider's verdict: overall and per submitted field (Hopae's `match` envelope).
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatchResult {
    pub matched: bool,
    /// `per_field` when `fields` says which field matched, `aggregate` when only the total is known.
    pub granularity: String,
    pub fields: BTreeMap<String, FieldMatch>,
}
redacted_debug!(MatchResult);

/// One compared field.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldMatch {
    pub matched: bool,
    /// 0-100 for fuzzy comparisons (names); `None` for exact ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub similarity: Option<u8>,
}

/// What a provider reported besides claims: who it authenticated (its own subject id), how
/// (`acr`, `amr`), and the evidence it presented, kept for audit and the evidence endpoint.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProviderEvidence {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acr: Option<String>,
    #[serde(default)]
    pub amr: Vec<String>,
    #[serde(default)]
    pub evidence: serde_json::Value,
}
redacted_debug!(ProviderEvidence);
