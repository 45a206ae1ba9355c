//! Partners (tenants) and the credentials they authenticate with.

use crate::ids::{CredentialId, PartnerId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
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
    /// How the hosted pages show the partner to its end users.
    pub branding: Branding,
    /// Providers the hosted page lets this partner's people choose from where the dialect
    /// names none (the Veriff API); empty: the dialect's configured provider.
    pub offered_providers: Vec<String>,
    /// The partner's verification workflows (deepidv's `workflow_id`).
    pub workflows: Vec<Workflow>,
    /// Which return URLs its sessions may send people back to.
    pub return_urls: ReturnUrlPolicy,
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
            branding: Branding::default(),
            offered_providers: Vec::new(),
            return_urls: ReturnUrlPolicy::Approved,
            workflows: Vec::new(),
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

/// A partner's brand on the hosted pages: the name people know, a primary colour (white text
/// on it must meet WCAG AA contrast), a support contact and a privacy-policy link. The logo's
/// bytes are kept by the store; here only its type and a version for caching.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Branding {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// `#rrggbb`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_color: Option<String>,
    /// An email address, an https URL or a phone number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub support_contact: Option<String>,
    /// https.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub privacy_url: Option<String>,
    /// The logo's media type, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo_type: Option<String>,
    /// Changes with every new logo (its URL carries it, so browsers may cache it for long).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo_version: Option<String>,
    /// The pages' language when neither the session nor the browser names one idgate speaks
    /// (a language tag such as `sv`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
}

/// A `#rrggbb` colour's channels.
fn rgb(color: &str) -> Option<[u8; 3]> {
    let hex = color.trim().trim_start_matches('#');
    if hex.len() != 6 {
        return None;
    }
    let channel = |i: usize| {
        hex.get(i..i + 2)
            .and_then(|c| u8::from_str_radix(c, 16).ok())
    };
    Some([channel(0)?, channel(2)?, channel(4)?])
}

/// WCAG relative luminance.
fn luminance([r, g, b]: [u8; 3]) -> f64 {
    let linear = |c: u8| {
        let c = f64::from(c) / 255.0;
        if c <= 0.039_28 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)
}

/// WCAG contrast ratio of two colours.
fn contrast(a: [u8; 3], b: [u8; 3]) -> f64 {
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

impl Branding {
    /// A display name: 1-100 characters, no control characters.
    pub fn check_display_name(name: &str) -> Result<String, String> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
            return Err(
                "the display name must be 1-100 characters without control characters".into(),
            );
        }
        Ok(name.to_owned())
    }

    /// A primary colour as `#rrggbb`, refused unless white button text on it reaches WCAG AA
    /// (4.5:1).
    pub fn check_color(color: &str) -> Result<String, String> {
        let Some(channels) = rgb(color) else {
            return Err(format!("{color:?} is not a colour: give #rrggbb"));
        };
        let contrast = contrast(channels, [255, 255, 255]);
        if contrast < 4.5 {
            return Err(format!(
                "white text on {color} has a contrast of {contrast:.2}:1; WCAG AA needs 4.5:1: choose a darker colour"
            ));
        }
        Ok(format!(
            "#{}",
            color.trim().trim_start_matches('#').to_ascii_lowercase()
        ))
    }

    /// The colour for dark mode: the brand colour mixed with white until it reads on the dark
    /// card (`#202327`) and dark text (`#0b1220`) reads on it, both at 4.5:1.
    pub fn dark_variant(color: &str) -> Option<String> {
        let base = rgb(color)?;
        (0..=20).find_map(|step| {
            let t = f64::from(step) / 20.0;
            let mix = base.map(|c| {
                let c = f64::from(c);
                // In 0..=255 by construction; the cast only drops the fraction.
                (c + (255.0 - c) * t).round().clamp(0.0, 255.0) as u8
            });
            (contrast(mix, [0x20, 0x23, 0x27]) >= 4.5 && contrast(mix, [0x0b, 0x12, 0x20]) >= 4.5)
                .then(|| format!("#{:02x}{:02x}{:02x}", mix[0], mix[1], mix[2]))
        })
    }

    /// A default language: a language tag of 2-3 letters, optionally with a region.
    pub fn check_language(tag: &str) -> Result<String, String> {
        let tag = tag.trim();
        let mut parts = tag.split(['-', '_']);
        let language = parts.next().unwrap_or_default();
        let region = parts.next();
        let ok = (2..=3).contains(&language.len())
            && language.chars().all(|c| c.is_ascii_alphabetic())
            && region.is_none_or(|r| r.len() == 2 && r.chars().all(|c| c.is_ascii_alphabetic()))
            && parts.next().is_none();
        if !ok {
            return Err(format!(
                "{tag:?} is not a language tag: give e.g. sv or de-AT"
            ));
        }
        Ok(tag.to_ascii_lowercase().replace('_', "-"))
    }

    /// A support contact: an email address, an https URL or a phone number.
    pub fn check_support_contact(contact: &str) -> Result<String, String> {
        let contact = contact.trim();
        let email = contact.split_once('@').is_some_and(|(user, host)| {
            !user.is_empty() && host.contains('.') && !contact.contains(char::is_whitespace)
        });
        let phone = contact.starts_with('+')
            && contact.len() <= 20
            && contact[1..].chars().all(|c| c.is_ascii_digit() || c == ' ');
        let url = contact.starts_with("https://") && url::Url::parse(contact).is_ok();
        if contact.len() > 200 || !(email || phone || url) {
            return Err(
                "the support contact must be an email address, an https URL or a +phone number"
                    .into(),
            );
        }
        Ok(contact.to_owned())
    }

    /// A privacy-policy link: https.
    pub fn check_privacy_url(link: &str) -> Result<String, String> {
        let link = link.trim();
        match url::Url::parse(link) {
            Ok(u) if u.scheme() == "https" && u.host_str().is_some() && link.len() <= 2048 => {
                Ok(u.to_string())
            }
            _ => Err("the privacy-policy link must be an https URL".into()),
        }
    }
}

/// A named verification workflow of a partner: the providers its sessions may use (one, or a
/// choice for the person) and the steps it stands for (as deepidv names them).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Workflow {
    /// `wf_` and random characters.
    pub id: String,
    pub name: String,
    pub providers: Vec<String>,
    pub steps: Vec<String>,
    /// Each step's settings as the partner gave them (deepidv's step `config`, kept as given).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub step_configs: BTreeMap<String, serde_json::Map<String, serde_json::Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<DateTime<Utc>>,
}

impl Workflow {
    /// The steps a workflow may list (deepidv's step ids).
    pub const STEPS: [&'static str; 21] = [
        "ID_VERIFICATION",
        "FACE_LIVENESS",
        "FACE_LIVENESS_CONSENT_SETTINGS",
        "AGE_ESTIMATION",
        "DEEPFAKE_DETECTION",
        "DEEP_AGE",
        "ADDRESS_VERIFICATION",
        "BACKGROUND_CHECK",
        "TITLE_SEARCH",
        "PEP_SANCTIONS",
        "ADVERSE_MEDIA",
        "CUSTOM_PROMPT",
        "CONSENT",
        "BANK_STATEMENT_UPLOAD",
        "AI_BANK_STATEMENT_ANALYSIS",
        "DOCUMENT_UPLOAD",
        "WHITE_LABEL",
        "PHONE_TRUST_CHECK",
        "CARRIER_AGE_GATE",
        "PHONE_OWNERSHIP_MATCH",
        "PHONE_VERIFICATION",
    ];

    /// Steps that need another one before them.
    const PREREQUISITES: [(&'static str, &'static str); 2] = [
        ("BACKGROUND_CHECK", "ID_VERIFICATION"),
        ("AI_BANK_STATEMENT_ANALYSIS", "BANK_STATEMENT_UPLOAD"),
    ];

    /// deepidv's rules for a workflow's steps: 1 to 10 known steps, none twice, and
    /// `BACKGROUND_CHECK` after `ID_VERIFICATION`, `AI_BANK_STATEMENT_ANALYSIS` after
    /// `BANK_STATEMENT_UPLOAD`.
    pub fn check_steps(steps: &[String]) -> Result<(), String> {
        if steps.is_empty() || steps.len() > 10 {
            return Err("a workflow has 1 to 10 steps".into());
        }
        if let Some(unknown) = steps.iter().find(|s| !Self::STEPS.contains(&s.as_str())) {
            return Err(format!(
                "{unknown:?} is not a step; steps are {}",
                Self::STEPS.join(", ")
            ));
        }
        for (i, step) in steps.iter().enumerate() {
            if steps[..i].contains(step) {
                return Err(format!("{step} is listed twice"));
            }
        }
        for (step, before) in Self::PREREQUISITES {
            if let Some(at) = steps.iter().position(|s| s == step)
                && !steps[..at].iter().any(|s| s == before)
            {
                return Err(format!("{step} requires an earlier {before} step"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod workflow_tests {
    use super::Workflow;

    fn steps(s: &[&str]) -> Vec<String> {
        s.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn steps_follow_deepidvs_rules() {
        assert!(Workflow::check_steps(&steps(&["ID_VERIFICATION", "BACKGROUND_CHECK"])).is_ok());
        for (bad, says) in [
            (steps(&[]), "1 to 10"),
            (steps(&["DANCE"]), "not a step"),
            (steps(&["CONSENT", "CONSENT"]), "twice"),
            (
                steps(&["BACKGROUND_CHECK", "ID_VERIFICATION"]),
                "earlier ID_VERIFICATION",
            ),
            (
                steps(&["AI_BANK_STATEMENT_ANALYSIS"]),
                "earlier BANK_STATEMENT_UPLOAD",
            ),
            (vec!["CONSENT".to_owned(); 11], "1 to 10"),
        ] {
            let err = Workflow::check_steps(&bad).err().unwrap_or_default();
            assert!(err.contains(says), "{bad:?}: {err}");
        }
    }
}

/// A partner's logo as uploaded: PNG, JPEG or WebP (recognised by their signatures, not by a
/// name), at most [`Logo::MAX_BYTES`]. SVG is refused: it can carry scripts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Logo {
    pub media_type: String,
    pub bytes: Vec<u8>,
}

impl Logo {
    pub const MAX_BYTES: usize = 256 * 1024;

    pub fn from_bytes(bytes: Vec<u8>) -> Result<Logo, String> {
        if bytes.len() > Self::MAX_BYTES {
            return Err(format!(
                "the logo is {} bytes; at most {} are accepted",
                bytes.len(),
                Self::MAX_BYTES
            ));
        }
        let media_type = if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            "image/png"
        } else if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
            "image/jpeg"
        } else if bytes.len() > 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
            "image/webp"
        } else {
            return Err("the logo must be a PNG, JPEG or WebP image".into());
        };
        Ok(Logo {
            media_type: media_type.to_owned(),
            bytes,
        })
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

/// Which return URLs a partner's sessions may send people back to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReturnUrlPolicy {
    /// Only those an operator approved (registered rules).
    #[default]
    Approved,
    /// Those the partner registered, each approved as it is registered: an operator's choice
    /// per partner that trusts it to name its own (a Hopae app's redirect-URI list).
    Registered,
    /// Any https URL, as deepidv accepts any `redirect_url`: an operator's choice per partner,
    /// since the result token then goes wherever a create names.
    AnyHttps,
}

impl ReturnUrlPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            ReturnUrlPolicy::Approved => "approved",
            ReturnUrlPolicy::Registered => "registered",
            ReturnUrlPolicy::AnyHttps => "any_https",
        }
    }
}

impl FromStr for ReturnUrlPolicy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "approved" => Ok(ReturnUrlPolicy::Approved),
            "registered" => Ok(ReturnUrlPolicy::Registered),
            "any_https" | "any-https" => Ok(ReturnUrlPolicy::AnyHttps),
            other => Err(format!(
                "unknown return-URL policy {other:?}: use approved, registered or any-https"
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
    /// deepidv: `x-api-key: <API key>`.
    DeepIdv,
    /// Hopae's workspace API: `Authorization: Bearer sk_workspace_…` (manages the partner's
    /// Hopae apps: their webhook config, redirect URIs and client secrets).
    HopaeWorkspace,
}

impl CredentialKind {
    pub const ALL: [CredentialKind; 5] = [
        CredentialKind::EasyFreelance,
        CredentialKind::Hopae,
        CredentialKind::Veriff,
        CredentialKind::DeepIdv,
        CredentialKind::HopaeWorkspace,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CredentialKind::EasyFreelance => "easyfreelance",
            CredentialKind::Hopae => "hopae",
            CredentialKind::Veriff => "veriff",
            CredentialKind::DeepIdv => "deepidv",
            CredentialKind::HopaeWorkspace => "hopae_workspace",
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
            "deepidv" => Ok(CredentialKind::DeepIdv),
            "hopae_workspace" | "hopae-workspace" => Ok(CredentialKind::HopaeWorkspace),
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
    /// The looked-up half in clear, for kinds whose partners name the credential by it (a
    /// Hopae app's `clientId`); `None` for kinds whose lookup half is itself secret.
    pub public_id: Option<String>,
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

#[cfg(test)]
mod branding_tests {
    use super::Branding;

    #[test]
    fn a_colour_must_carry_white_text_legibly() {
        assert_eq!(Branding::check_color("#1F5FBF"), Ok("#1f5fbf".to_owned()));
        assert_eq!(Branding::check_color("0b5d1e"), Ok("#0b5d1e".to_owned()));
        assert!(
            Branding::check_color("#ffd700").is_err(),
            "gold: white text unreadable"
        );
        assert!(Branding::check_color("#6ea0ff").is_err());
        for bad in ["blue", "#12345", "#1234567", "#gggggg", ""] {
            assert!(Branding::check_color(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn contacts_links_and_names_are_checked() {
        for ok in [
            "support@shop.example.com",
            "https://shop.example.com/help",
            "+47 22 00 00 00",
        ] {
            assert!(Branding::check_support_contact(ok).is_ok(), "{ok}");
        }
        for bad in [
            "call us",
            "javascript:alert(1)",
            "http://shop.example.com",
            "@x",
        ] {
            assert!(Branding::check_support_contact(bad).is_err(), "{bad}");
        }
        assert!(Branding::check_privacy_url("https://shop.example.com/privacy").is_ok());
        assert!(Branding::check_privacy_url("http://shop.example.com/privacy").is_err());
        assert!(Branding::check_privacy_url("javascript:alert(1)").is_err());
        assert!(Branding::check_display_name("Shop AS").is_ok());
        assert!(Branding::check_display_name(" ").is_err());
        assert!(Branding::check_display_name("a\u{0}b").is_err());
    }

    #[test]
    fn the_dark_mode_shade_reads_on_the_dark_card() {
        let dark = Branding::dark_variant("#0b5d1e").unwrap_or_default();
        assert!(
            dark.starts_with('#') && dark.len() == 7 && dark != "#0b5d1e",
            "{dark}"
        );
        assert_eq!(Branding::dark_variant("nope"), None);
        assert_eq!(Branding::check_language("SV"), Ok("sv".into()));
        assert_eq!(Branding::check_language("de_AT"), Ok("de-at".into()));
        assert!(Branding::check_language("deutsch").is_err());
    }

    #[test]
    fn a_logo_is_a_small_raster_image() {
        use super::Logo;
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        assert_eq!(
            Logo::from_bytes(png).map(|l| l.media_type),
            Ok("image/png".into())
        );
        let jpeg = vec![0xff, 0xd8, 0xff, 0xe0, 0, 0x10];
        assert_eq!(
            Logo::from_bytes(jpeg).map(|l| l.media_type),
            Ok("image/jpeg".into())
        );
        let svg = b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>";
        assert!(Logo::from_bytes(svg.to_vec()).is_err());
        let mut big = b"\x89PNG\r\n\x1a\n".to_vec();
        big.resize(Logo::MAX_BYTES + 1, 0);
        assert!(Logo::from_bytes(big).is_err());
    }
}
