//! The credential port: how a dialect's partners authenticate. Each dialect that issues
//! credentials implements [`CredentialScheme`] in its own folder (what the secrets look like,
//! which is looked up and which checked, how they are printed); the hub stores, verifies,
//! revokes and rotates them the same way for every kind.

use crate::random::RandomUnavailable;
use idgate_core::{CredentialId, CredentialKind, Dialect};
use serde_json::{Map, Value};
use std::fmt;

/// One dialect's kind of credential.
pub trait CredentialScheme: Send + Sync + fmt::Debug {
    fn kind(&self) -> CredentialKind;

    /// A heading for printed credentials, e.g. "EasyFreelance API".
    fn title(&self) -> &'static str;

    /// Where the dialect's API is served, below the public URL (e.g. `/api/v1`).
    fn base_path(&self) -> &'static str;

    /// Fresh random secrets.
    fn issue(&self) -> Result<IssuedSecrets, RandomUnavailable>;

    /// The same secrets every time for `seed`, for an integration idgate holds itself (a
    /// built-in simulator's, derived from the deployment's key so every node and every
    /// restart agrees); `None` for kinds that have no such use.
    fn derive(&self, seed: &str) -> Option<IssuedSecrets> {
        let _ = seed;
        None
    }

    /// Whether the looked-up half names the credential openly (a Hopae app's `clientId`): it
    /// is then kept in clear beside its digest, so the partner's apps can be listed by it.
    fn public_lookup(&self) -> bool {
        false
    }

    /// The checked secret as given in a request, in the form that was digested at issue
    /// (e.g. a UUID in canonical letter case); `None` when it cannot be one of ours.
    fn canonical_check(&self, given: &str) -> Option<String> {
        Some(given.to_owned())
    }
}

/// What a scheme issues: the secrets and how they are shown.
pub struct IssuedSecrets {
    /// Finds the credential (stored as a digest).
    pub lookup: String,
    /// Compared in constant time (stored as a digest).
    pub check: String,
    /// Kept sealed, for kinds whose requests are signed with it (HMAC).
    pub shared_secret: Option<String>,
    /// What the partner is shown, once, in order.
    pub shown: Vec<ShownSecret>,
}

impl fmt::Debug for IssuedSecrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("IssuedSecrets(<redacted>)")
    }
}

/// One secret as shown at issue: its field name in JSON output, its label in text output.
#[derive(Clone)]
pub struct ShownSecret {
    pub field: &'static str,
    pub label: &'static str,
    pub value: String,
}

impl fmt::Debug for ShownSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ShownSecret")
            .field("field", &self.field)
            .finish_non_exhaustive()
    }
}

/// A credential just issued, with its secrets (shown this once; idgate keeps digests).
#[derive(Clone, Debug)]
pub struct IssuedCredential {
    pub id: CredentialId,
    pub kind: CredentialKind,
    pub dialect: Dialect,
    pub title: &'static str,
    pub base_path: &'static str,
    pub shown: Vec<ShownSecret>,
}

impl IssuedCredential {
    /// The value shown under `field`, if this kind has one.
    pub fn secret(&self, field: &str) -> Option<&str> {
        self.shown
            .iter()
            .find(|s| s.field == field)
            .map(|s| s.value.as_str())
    }

    /// `{"credential_id": …, <field>: <value>…}`.
    pub fn to_json(&self) -> Value {
        let mut out = Map::new();
        out.insert("credential_id".into(), self.id.to_string().into());
        for s in &self.shown {
            out.insert(s.field.into(), s.value.clone().into());
        }
        Value::Object(out)
    }

    /// Indented `label: value` lines, labels aligned.
    pub fn text_lines(&self, indent: &str) -> String {
        let width = self
            .shown
            .iter()
            .map(|s| s.label.len() + 1)
            .max()
            .unwrap_or(0);
        self.shown
            .iter()
            .map(|s| format!("{indent}{:<width$} {}", format!("{}:", s.label), s.value))
            .collect::<Vec<_>>()
            .join("\n")
    }
}
