//! The JSON of each resource an operator sees: the admin API answers with these views, and the
//! CLI's `--json` prints the same ones. Times are RFC 3339.

use idgate_core::{
    AuditEntry, Credential, Delivery, Operator, Partner, ReturnUrlRule, Session, SessionEvent,
    TokenEntry, WebhookEndpoint,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// An RFC 9457 problem document.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    pub r#type: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Stable: `unauthorized`, `forbidden`, `not_found`, `invalid_json`, `invalid_query`,
    /// `invalid_request`, `conflict`, `rate_limited`, `internal`.
    pub code: String,
}

/// A return-URL registration.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReturnUrlView {
    pub id: String,
    pub partner_id: String,
    /// As the partner wrote it.
    pub url: String,
    /// As browsers send it (punycode for an internationalised host).
    pub host: String,
    /// The host has non-ASCII labels (shown here in punycode).
    pub internationalised: bool,
    /// A label mixes scripts (a possible look-alike).
    pub mixed_script: bool,
    pub status: String,
    pub requested_at: String,
    pub decided_at: Option<String>,
}

impl From<&ReturnUrlRule> for ReturnUrlView {
    fn from(r: &ReturnUrlRule) -> Self {
        let review = idgate_core::review_host(&r.requested_url);
        ReturnUrlView {
            id: r.id.to_string(),
            partner_id: r.partner_id.to_string(),
            url: r.requested_url.clone(),
            host: review
                .as_ref()
                .map_or_else(|| r.normalized_host.clone(), |h| h.ascii.clone()),
            internationalised: review.as_ref().is_some_and(|h| h.internationalised),
            mixed_script: review.is_some_and(|h| h.mixed_script),
            status: r.status.as_str().to_owned(),
            requested_at: r.requested_at.to_rfc3339(),
            decided_at: r.decided_at.map(|t| t.to_rfc3339()),
        }
    }
}

/// A session, without personal data.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionSummary {
    pub id: String,
    pub partner_id: String,
    pub dialect: String,
    pub provider: String,
    pub status: String,
    pub reason: Option<String>,
    pub created_at: String,
    pub decided_at: Option<String>,
}

impl From<&Session> for SessionSummary {
    fn from(s: &Session) -> Self {
        SessionSummary {
            id: s.id.to_string(),
            partner_id: s.partner_id.to_string(),
            dialect: s.dialect.as_str().to_owned(),
            provider: s.provider_id.clone(),
            status: s.status.as_str().to_owned(),
            reason: s.reason.clone(),
            created_at: s.created_at.to_rfc3339(),
            decided_at: s.decided_at.map(|t| t.to_rfc3339()),
        }
    }
}

/// One change of a session's status.
#[derive(Debug, Serialize, ToSchema)]
pub struct TimelineEvent {
    pub at: String,
    pub actor: String,
    pub from: Option<String>,
    pub to: String,
    pub reason: Option<String>,
}

/// A session with what it holds of the person and its timeline.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionDetail {
    pub session: SessionSummary,
    /// What the partner sent about the person.
    pub applicant: BTreeMap<String, String>,
    /// What the provider returned.
    #[schema(value_type = Object)]
    pub claims: serde_json::Value,
    pub level_of_assurance: Option<u8>,
    pub timeline: Vec<TimelineEvent>,
}

impl SessionDetail {
    pub fn new(s: &Session, events: &[SessionEvent]) -> Self {
        let mut applicant = BTreeMap::new();
        if let Some(a) = &s.applicant {
            for (name, value) in [
                ("first_name", &a.first_name),
                ("last_name", &a.last_name),
                ("date_of_birth", &a.date_of_birth),
            ] {
                if let Some(value) = value {
                    applicant.insert(name.to_owned(), value.clone());
                }
            }
        }
        SessionDetail {
            session: SessionSummary::from(s),
            applicant,
            claims: s
                .result_claims
                .as_ref()
                .map(|c| serde_json::Value::Object(c.0.clone()))
                .unwrap_or_else(|| serde_json::json!({})),
            level_of_assurance: s.achieved_loa,
            timeline: events
                .iter()
                .map(|e| TimelineEvent {
                    at: e.at.to_rfc3339(),
                    actor: e.actor.as_str().to_owned(),
                    from: e.from_status.map(|s| s.as_str().to_owned()),
                    to: e.to_status.as_str().to_owned(),
                    reason: e.reason.clone(),
                })
                .collect(),
        }
    }
}

/// "Add verification".
#[derive(Debug, Deserialize, ToSchema)]
pub struct AddVerification {
    pub partner_id: String,
    /// A provider id of this deployment.
    pub provider: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
}

/// The verification made: its link for the person.
#[derive(Debug, Serialize, ToSchema)]
pub struct AddedVerification {
    pub id: String,
    pub verification_url: String,
    pub expires_at: String,
}

/// A review's decision.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ReviewDecision {
    /// `approve` or `decline`.
    pub decision: String,
    /// Required to decline; kept in the audit trail.
    pub reason: Option<String>,
}

/// A partner.
#[derive(Debug, Serialize, ToSchema)]
pub struct PartnerView {
    pub id: String,
    pub number: i64,
    pub name: String,
    pub tier: String,
    /// Its own cap; `null`: the tier's.
    pub sessions_per_minute: Option<u32>,
    /// The cap in force: its own, else its tier's.
    pub effective_sessions_per_minute: u32,
    /// Origins whose pages may embed its hosted flow.
    pub frame_ancestors: Vec<String>,
    /// How the hosted pages show it (display name, colour, support contact, privacy URL,
    /// language, logo).
    #[schema(value_type = Object)]
    pub branding: serde_json::Value,
    /// Providers its people choose from where the API names none; empty: the dialect's own.
    pub offered_providers: Vec<String>,
    /// What `/evidence` discloses: `minimal` or `full`.
    pub evidence: String,
    /// `approved`, `registered` or `any_https`.
    pub return_urls: String,
    pub created_at: String,
}

impl From<&Partner> for PartnerView {
    fn from(p: &Partner) -> Self {
        PartnerView {
            id: p.id.to_string(),
            number: p.number,
            name: p.name.clone(),
            tier: p.tier.as_str().to_owned(),
            sessions_per_minute: p.session_cap,
            effective_sessions_per_minute: p.sessions_per_minute(),
            frame_ancestors: p
                .frame_ancestors
                .iter()
                .map(|f| f.as_str().to_owned())
                .collect(),
            branding: serde_json::to_value(&p.branding).unwrap_or_default(),
            offered_providers: p.offered_providers.clone(),
            evidence: p.evidence.as_str().to_owned(),
            return_urls: p.return_urls.as_str().to_owned(),
            created_at: p.created_at.to_rfc3339(),
        }
    }
}

/// A partner's credential, without secrets.
#[derive(Debug, Serialize, ToSchema)]
pub struct CredentialView {
    pub id: String,
    pub partner_id: String,
    pub kind: String,
    /// What identifies it in requests (an API key, a client id), where that is not secret.
    pub public_id: Option<String>,
    pub created_at: String,
    /// A revocation in the future is a rotation's overlap: the credential works until then.
    pub revoked_at: Option<String>,
}

impl From<&Credential> for CredentialView {
    fn from(c: &Credential) -> Self {
        CredentialView {
            id: c.id.to_string(),
            partner_id: c.partner_id.to_string(),
            kind: c.kind.as_str().to_owned(),
            public_id: c.public_id.clone(),
            created_at: c.created_at.to_rfc3339(),
            revoked_at: c.revoked_at.map(|t| t.to_rfc3339()),
        }
    }
}

/// A partner with its credentials and token balance.
#[derive(Debug, Serialize, ToSchema)]
pub struct PartnerDetail {
    pub partner: PartnerView,
    pub token_balance: i64,
    pub credentials: Vec<CredentialView>,
}

/// A new partner.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartnerCreate {
    /// 1-200 characters.
    pub name: String,
    /// `enterprise`, `self-serve` (default) or `custom`.
    pub tier: Option<String>,
}

/// A partner just created, with its first credentials (one per API), in this answer only.
#[derive(Debug, Serialize, ToSchema)]
pub struct PartnerCreated {
    pub partner: PartnerView,
    pub credentials: Vec<CredentialIssued>,
}

/// Changes to a partner; what is absent stays as it is.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartnerPatch {
    /// `enterprise`, `self-serve` or `custom`; sent with `sessions_per_minute` (absent or
    /// `null`: the tier's cap, which `custom` does not have).
    pub tier: Option<String>,
    #[schema(minimum = 1, maximum = 1000000)]
    pub sessions_per_minute: Option<u32>,
    /// Replaces the list; every id must be a provider served here.
    pub offered_providers: Option<Vec<String>>,
    /// `minimal` or `full`.
    pub evidence: Option<String>,
    /// `approved`, `registered` or `any_https`.
    pub return_urls: Option<String>,
}

/// Tokens to add to a partner's balance.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TopUp {
    #[schema(minimum = 1, maximum = 1000000000)]
    pub tokens: i64,
    /// An invoice number, say.
    pub note: Option<String>,
}

/// A line of a partner's token ledger.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenEntryView {
    pub id: String,
    pub at: String,
    /// `top_up` or `spend`.
    pub kind: String,
    /// Added (positive) or spent (negative).
    pub delta: i64,
    pub balance_after: i64,
    /// The session a spend paid for.
    pub session_id: Option<String>,
    pub note: Option<String>,
}

impl From<&TokenEntry> for TokenEntryView {
    fn from(e: &TokenEntry) -> Self {
        TokenEntryView {
            id: e.id.to_string(),
            at: e.at.to_rfc3339(),
            kind: e.kind.as_str().to_owned(),
            delta: e.delta,
            balance_after: e.balance_after,
            session_id: e.session_id.map(|s| s.to_string()),
            note: e.note.clone(),
        }
    }
}

/// A partner's webhook endpoint, without its secrets.
#[derive(Debug, Serialize, ToSchema)]
pub struct EndpointView {
    pub id: String,
    pub partner_id: String,
    pub url: String,
    /// Empty: every event.
    pub event_types: Vec<String>,
    pub enabled: bool,
    /// Events carry the session's result claims (personal data).
    pub include_claims: bool,
    /// Also signed with Ed25519 (Hopae's `X-Signature-Ed25519`).
    pub sign_ed25519: bool,
    /// The Veriff integration (credential) whose shared secret signs its events, if any.
    pub integration_id: Option<String>,
    pub failing_since: Option<String>,
    pub disabled_reason: Option<String>,
    /// Its signing secrets, without their keys.
    pub secrets: Vec<EndpointSecretView>,
    pub created_at: String,
}

/// A webhook signing secret: which, and until when it signs.
#[derive(Debug, Serialize, ToSchema)]
pub struct EndpointSecretView {
    pub id: String,
    pub created_at: String,
    /// Set once a newer secret replaced it.
    pub expires_at: Option<String>,
}

impl From<&WebhookEndpoint> for EndpointView {
    fn from(e: &WebhookEndpoint) -> Self {
        EndpointView {
            id: e.id.to_string(),
            partner_id: e.partner_id.to_string(),
            url: e.url.clone(),
            event_types: e.event_types.clone(),
            enabled: e.enabled,
            include_claims: e.include_claims,
            sign_ed25519: e.sign_ed25519,
            integration_id: e.signing_credential.map(|c| c.to_string()),
            failing_since: e.failing_since.map(|t| t.to_rfc3339()),
            disabled_reason: e.disabled_reason.clone(),
            secrets: e
                .secrets
                .iter()
                .map(|s| EndpointSecretView {
                    id: s.id.clone(),
                    created_at: s.created_at.to_rfc3339(),
                    expires_at: s.expires_at.map(|t| t.to_rfc3339()),
                })
                .collect(),
            created_at: e.created_at.to_rfc3339(),
        }
    }
}

/// One event's delivery to an endpoint.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryView {
    pub id: String,
    pub event_id: String,
    pub session_id: Option<String>,
    /// `pending`, `delivered`, `failed` …
    pub status: String,
    pub attempts: i32,
    pub created_at: String,
    /// When a pending delivery is tried next.
    pub next_attempt_at: String,
    pub last_attempt_at: Option<String>,
    /// The receiver's last HTTP status.
    pub last_status_code: Option<u16>,
    /// Why no answer came, when none did.
    pub last_error: Option<String>,
}

impl From<&Delivery> for DeliveryView {
    fn from(d: &Delivery) -> Self {
        DeliveryView {
            id: d.id.to_string(),
            event_id: d.event_id.to_string(),
            session_id: d.session_id.map(|s| s.to_string()),
            status: d.status.as_str().to_owned(),
            attempts: d.attempts,
            created_at: d.created_at.to_rfc3339(),
            next_attempt_at: d.next_attempt_at.to_rfc3339(),
            last_attempt_at: d.last_attempt_at.map(|t| t.to_rfc3339()),
            last_status_code: d.last_status_code,
            last_error: d.last_error.clone(),
        }
    }
}

/// Which event to send again.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Redeliver {
    pub event_id: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Redelivered {
    /// Deliveries queued again.
    pub queued: u64,
}

/// Which credential to issue.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CredentialIssue {
    /// `easyfreelance`, `hopae`, `hopae_workspace`, `veriff` or `deepidv`.
    pub kind: String,
}

/// A credential just issued: its secrets, in this answer only.
#[derive(Debug, Serialize, ToSchema)]
pub struct CredentialIssued {
    pub credential_id: String,
    pub kind: String,
    pub secrets: BTreeMap<String, String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CredentialRevoked {
    pub id: String,
    pub revoked_at: Option<String>,
}

/// An operator, without secrets.
#[derive(Debug, Serialize, ToSchema)]
pub struct OperatorView {
    pub id: String,
    pub username: String,
    /// `admin`, `reviewer` or `viewer`.
    pub role: String,
    /// A reviewer limited to these partners; empty: every partner.
    pub partners: Vec<String>,
    pub disabled: bool,
    /// Their subject (`sub`) at the console's single-sign-on provider…
    pub sso_subject: Option<String>,
    /// …and that provider's issuer.
    pub sso_issuer: Option<String>,
    /// Takes no password sign-in before this (after too many failures).
    pub locked_until: Option<String>,
    pub created_at: String,
}

impl From<&Operator> for OperatorView {
    fn from(o: &Operator) -> Self {
        OperatorView {
            id: o.id.to_string(),
            username: o.username.clone(),
            role: o.role.as_str().to_owned(),
            partners: o.partners.iter().map(ToString::to_string).collect(),
            disabled: o.disabled,
            sso_subject: o.single_sign_on.as_ref().map(|s| s.subject.clone()),
            sso_issuer: o.single_sign_on.as_ref().map(|s| s.issuer.clone()),
            locked_until: o.locked_until.map(|t| t.to_rfc3339()),
            created_at: o.created_at.to_rfc3339(),
        }
    }
}

/// A line of the audit trail.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditView {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub from: Option<String>,
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
}

impl From<&AuditEntry> for AuditView {
    fn from(e: &AuditEntry) -> Self {
        AuditView {
            at: e.at.to_rfc3339(),
            actor: e.actor.clone(),
            action: e.action.clone(),
            target: e.target.clone(),
            from: e.from.clone(),
            details: e.details.clone(),
        }
    }
}

/// One provider's sessions in the period.
#[derive(Debug, Serialize, ToSchema)]
pub struct FunnelView {
    pub provider: String,
    pub created: u64,
    pub started: u64,
    pub decided: u64,
    pub approved: u64,
}

/// Sessions created on one UTC day.
#[derive(Debug, Serialize, ToSchema)]
pub struct DayView {
    /// `YYYY-MM-DD`.
    pub day: String,
    pub created: u64,
    /// Of those, decided and approved by now.
    pub decided: u64,
    pub approved: u64,
    /// Sessions created per provider.
    pub by_provider: BTreeMap<String, u64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DashboardView {
    pub days: i64,
    pub providers: Vec<FunnelView>,
    /// Every day of the period, oldest first.
    pub by_day: Vec<DayView>,
    pub endpoints: u64,
    pub endpoints_failing: u64,
    pub endpoints_disabled: u64,
}
