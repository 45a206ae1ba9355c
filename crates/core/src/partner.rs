//! Partners (tenants) and the credentials they authenticate with.

use crate::ids::{CredentialId, PartnerId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A partner's rate tier: how many sessions it may create per minute, counted across every
/// node (see [`Partner::sessions_per_minute`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Tier {
    Enterprise,
    SelfServe,
    /// A cap agreed with the partner, held in [`Partner::session_cap`].
    Custom,
}

impl Tier {
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Enterprise => "enterprise",
            Tier::SelfServe => "self-serve",
            Tier::Custom => "custom",
        }
    }

    /// Documented creation limit per minute for the tier; a custom tier without its own cap
    /// gets the self-serve one.
    pub fn sessions_per_minute(self) -> u32 {
        match self {
            Tier::Enterprise => 600,
            Tier::SelfServe | Tier::Custom => 30,
        }
    }
}

impl FromStr for Tier {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "enterprise" => Ok(Tier::Enterprise),
            "self-serve" => Ok(Tier::SelfServe),
            "custom" => Ok(Tier::Custom),
            other => Err(format!(
                "unknown tier {other:?}: use enterprise, self-serve or custom"
            )),
        }
    }
}

impl fmt::Display for Tier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Partner {
    pub id: PartnerId,
    /// A stable integer, in order of creation, for APIs that name partners by number
    /// (EasyFreelance's `partner_id`); assigned by the store (0 before the partner is stored).
    pub number: i64,
    pub name: String,
    pub tier: Tier,
    /// Sessions per minute agreed with the partner, overriding the tier's figure.
    pub session_cap: Option<u32>,
    /// What `/evidence` discloses to this partner.
    pub evidence: EvidenceDisclosure,
    /// Overrides the configured default session lifetime when set.
    pub session_ttl_secs: Option<i64>,
    /// Origins whose pages may embed this partner's hosted flow in an iframe (Veriff's
    /// InContext SDK); empty: none may, the default.
    pub frame_ancestors: Vec<FrameAncestor>,
    pub created_at: DateTime<Utc>,
}

impl Partner {
    /// A new partner of `tier` with the defaults: the tier's cap, minimal evidence.
    pub fn new(id: PartnerId, name: String, tier: Tier, created_at: DateTime<Utc>) -> Partner {
        Partner {
            id,
            number: 0,
            name,
            tier,
            session_cap: None,
            evidence: EvidenceDisclosure::Minimal,
            session_ttl_secs: None,
            frame_ancestors: Vec::new(),
            created_at,
        }
    }

    /// How many sessions the partner may create per minute, across all nodes.
    pub fn sessions_per_minute(&self) -> u32 {
        self.session_cap
            .unwrap_or_else(|| self.tier.sessions_per_minute())
    }
}

/// An origin allowed to frame the hosted flow, as CSP `frame-ancestors` names it:
/// `https://host[:port]`, or `http://` for a loopback host (development). No path, query,
/// user, wildcard or other scheme: a frame ancestor is trusted with the person's flow.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct FrameAncestor(String);

impl FrameAncestor {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<FrameAncestor> for String {
    fn from(origin: FrameAncestor) -> String {
        origin.0
    }
}

impl TryFrom<String> for FrameAncestor {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl FromStr for FrameAncestor {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let refuse = |why: &str| Err(format!("{s:?} is not an allowed frame ancestor: {why}"));
        if s.contains('*') {
            return refuse("wildcards are not allowed; list each origin");
        }
        let Ok(url) = url::Url::parse(s) else {
            return refuse("give an origin such as https://app.example.com");
        };
        let Some(host) = url.host_str() else {
            return refuse("it has no host");
        };
        let loopback = matches!(host, "localhost" | "127.0.0.1" | "[::1]");
        match url.scheme() {
            "https" => {}
            "http" if loopback => {}
            _ => return refuse("use https (http only for localhost)"),
        }
        if !url.username().is_empty() || url.password().is_some() {
            return refuse("it carries credentials");
        }
        if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
            return refuse("an origin has no path, query or fragment");
        }
        // The serialised origin (lower-case host, punycode, default port dropped) is what
        // browsers compare.
        Ok(FrameAncestor(url.origin().ascii_serialization()))
    }
}

/// How much of a provider's proof a partner may read. Minimal unless an operator decides
/// otherwise: the raw proof (an ID token, the provider's own subject) names the person the
/// same way for every partner and carries every claim the provider released, requested or not.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EvidenceDisclosure {
    /// The pairwise subject, the assurance and a digest of the proof.
    #[default]
    Minimal,
    /// Everything the provider presented, as it presented it.
    Full,
}

impl EvidenceDisclosure {
    pub fn as_str(self) -> &'static str {
        match self {
            EvidenceDisclosure::Minimal => "minimal",
            EvidenceDisclosure::Full => "full",
        }
    }
}

impl FromStr for EvidenceDisclosure {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "minimal" => Ok(EvidenceDisclosure::Minimal),
            "full" => Ok(EvidenceDisclosure::Full),
            other => Err(format!(
                "unknown evidence setting {other:?}: use minimal or full"
            )),
        }
    }
}

/// Which dialect's authentication scheme a credential serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CredentialKind {
    /// `Authorization: Bearer <personal access token>` plus `API-key: <uuid>`.
    EasyFreelance,
    /// HTTP Basic `client_id:client_secret` (Hopae Connect).
    Hopae,
    /// Veriff: `X-AUTH-CLIENT` (the integration's API key) and `X-HMAC-SIGNATURE` made with the
    /// integration's shared secret.
    Veriff,
}

impl CredentialKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CredentialKind::EasyFreelance => "easyfreelance",
            CredentialKind::Hopae => "hopae",
            CredentialKind::Veriff => "veriff",
        }
    }
}

impl FromStr for CredentialKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "easyfreelance" => Ok(CredentialKind::EasyFreelance),
            "hopae" => Ok(CredentialKind::Hopae),
            "veriff" => Ok(CredentialKind::Veriff),
            other => Err(format!("unknown credential kind {other:?}")),
        }
    }
}

/// A stored credential. Only digests of the secrets are kept: `lookup_digest` finds the row
/// (digest of the bearer token), `secret_digest` is compared in constant time (digest of the
/// second factor, e.g. the `API-key`). A kind whose requests are signed (HMAC) also keeps its
/// `shared_secret`, which the store seals at rest.
#[derive(Clone, PartialEq, Eq)]
pub struct Credential {
    pub id: CredentialId,
    pub partner_id: PartnerId,
    pub kind: CredentialKind,
    pub lookup_digest: String,
    pub secret_digest: String,
    pub shared_secret: Option<String>,
    pub created_at: DateTime<Utc>,
    /// From this time on the credential no longer authenticates (set in the future by a
    /// rotation's grace period).
    pub revoked_at: Option<DateTime<Utc>>,
}

impl Credential {
    /// Whether the credential authenticates at `now`.
    pub fn is_live_at(&self, now: DateTime<Utc>) -> bool {
        self.revoked_at.is_none_or(|at| now < at)
    }
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credential")
            .field("id", &self.id)
            .field("partner_id", &self.partner_id)
            .field("kind", &self.kind)
            .field("revoked_at", &self.revoked_at)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod frame_ancestor_tests {
    use super::FrameAncestor;

    #[test]
    fn origins_only_https_or_loopback_http() {
        for (given, kept) in [
            ("https://App.Example.com", "https://app.example.com"),
            ("https://app.example.com:443/", "https://app.example.com"),
            (
                "https://app.example.com:8443",
                "https://app.example.com:8443",
            ),
            ("http://127.0.0.1:5173", "http://127.0.0.1:5173"),
            ("http://localhost:3000", "http://localhost:3000"),
            ("https://bücher.example", "https://xn--bcher-kva.example"),
        ] {
            let parsed: Result<FrameAncestor, _> = given.parse();
            assert_eq!(parsed.map(|o| o.as_str().to_owned()), Ok(kept.to_owned()));
        }
        for bad in [
            "http://app.example.com",
            "https://*.example.com",
            "https://app.example.com/embed",
            "https://app.example.com?x=1",
            "https://user@app.example.com",
            "javascript:alert(1)",
            "data:text/html,x",
            "'self'",
            "app.example.com",
            "",
        ] {
            assert!(bad.parse::<FrameAncestor>().is_err(), "{bad}");
        }
    }
}
