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
}
redacted_debug!(ApplicantData);

/// Fields a match-capable provider compares against its own record (Hopae `matchData`).
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatchData(pub BTreeMap<String, String>);
redacted_debug!(MatchData);

/// The normalised claims a provider returned (OIDC claim names).
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ResultClaims(pub serde_json::Map<String, serde_json::Value>);
redacted_debug!(ResultClaims);

/// A match provider's verdict per submitted field.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MatchResult {
    pub matched: bool,
    pub fields: BTreeMap<String, bool>,
}
redacted_debug!(MatchResult);
