//! The admin API's JSON: one view per resource.

use idgate_core::{AuditEntry, Partner, ReturnUrlRule, Session, SessionEvent};
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
    /// Stable: `unauthorized`, `forbidden`, `not_found`, `invalid_json`, `invalid_request`,
    /// `conflict`, `internal`.
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
            created_at: p.created_at.to_rfc3339(),
        }
    }
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

#[derive(Debug, Serialize, ToSchema)]
pub struct DashboardView {
    pub days: i64,
    pub providers: Vec<FunnelView>,
    pub endpoints: u64,
    pub endpoints_failing: u64,
    pub endpoints_disabled: u64,
}
