//! Operators: the people who run idgate at a screen (the console), each with a role, and the
//! audit trail of what they did and which personal data they saw. Secrets (the password hash,
//! the second factor's key) are only ever compared, never shown.

use crate::ids::{AuditEntryId, OperatorId, OperatorTokenId, PartnerId};
use chrono::{DateTime, Utc};
use serde::Serialize;

/// What an operator may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OperatorRole {
    /// Everything, operators included.
    Admin,
    /// Decides return URLs and reviews, for all partners or the ones listed.
    Reviewer,
    /// Reads, changes nothing.
    Viewer,
}

/// The things an operator does, by what they risk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OperatorAction {
    /// Reads the console's lists and pages.
    View,
    /// Approves or rejects a partner's return URL.
    DecideReturnUrl,
    /// Approves or declines a session in review.
    DecideReview,
    /// Creates a verification by hand (a link and a QR code to hand to a person).
    AddVerification,
    /// Creates and changes partners, their credentials and webhooks.
    ManagePartners,
    /// Creates and changes operators.
    ManageOperators,
}

impl OperatorRole {
    pub const ALL: [OperatorRole; 3] = [
        OperatorRole::Admin,
        OperatorRole::Reviewer,
        OperatorRole::Viewer,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OperatorRole::Admin => "admin",
            OperatorRole::Reviewer => "reviewer",
            OperatorRole::Viewer => "viewer",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Whether this role may take `action` at all (a reviewer's partner list narrows it
    /// further: [`Operator::may`]).
    pub fn may(self, action: OperatorAction) -> bool {
        match self {
            OperatorRole::Admin => true,
            OperatorRole::Reviewer => matches!(
                action,
                OperatorAction::View
                    | OperatorAction::DecideReturnUrl
                    | OperatorAction::DecideReview
            ),
            OperatorRole::Viewer => action == OperatorAction::View,
        }
    }
}

/// An operator account.
#[derive(Clone, PartialEq, Eq)]
pub struct Operator {
    pub id: OperatorId,
    /// Unique, what they sign in with.
    pub username: String,
    pub role: OperatorRole,
    /// A reviewer limited to these partners; empty: every partner.
    pub partners: Vec<PartnerId>,
    /// Argon2id, in the PHC string form (`$argon2id$v=19$…`).
    pub password_hash: String,
    /// The TOTP key (RFC 6238, 20 bytes), sealed at rest.
    pub totp_key: Vec<u8>,
    /// Failed sign-ins in a row; reset by a good one.
    pub failed_sign_ins: u32,
    /// No sign-in is taken before this (after too many failures).
    pub locked_until: Option<DateTime<Utc>>,
    /// The last TOTP time step accepted: a code counts once.
    pub last_totp_step: i64,
    /// A disabled operator cannot sign in; their console sessions end.
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
    /// Who the console's single-sign-on provider knows them as: with it, they may sign in
    /// there instead of with a password and a code.
    pub single_sign_on: Option<SsoIdentity>,
}

/// A person at an OpenID Provider: its issuer and its `sub` (unique only within the issuer).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SsoIdentity {
    pub issuer: String,
    pub subject: String,
}

impl std::fmt::Debug for Operator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Operator")
            .field("id", &self.id)
            .field("username", &self.username)
            .field("role", &self.role)
            .field("partners", &self.partners)
            .field("disabled", &self.disabled)
            .field("single_sign_on", &self.single_sign_on.is_some())
            .finish_non_exhaustive()
    }
}

impl Operator {
    /// Whether this operator may take `action` on `partner`'s things (`None`: not about one
    /// partner, e.g. the list of all).
    pub fn may(&self, action: OperatorAction, partner: Option<PartnerId>) -> bool {
        self.role.may(action)
            && (self.partners.is_empty()
                || action == OperatorAction::View && partner.is_none()
                || partner.is_some_and(|p| self.partners.contains(&p)))
    }
}

/// A signed-in browser: the digest of its cookie (the cookie itself is never stored), whose
/// it is, and the token its forms must carry.
#[derive(Clone, PartialEq, Eq)]
pub struct ConsoleSession {
    pub digest: String,
    pub operator_id: OperatorId,
    /// Each form carries it (CSRF): another site can make a browser post, not read it.
    pub csrf: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
}

impl std::fmt::Debug for ConsoleSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConsoleSession")
            .field("operator_id", &self.operator_id)
            .field("created_at", &self.created_at)
            .field("last_seen_at", &self.last_seen_at)
            .finish_non_exhaustive()
    }
}

/// A token an operator's scripts call the admin API with: only its keyed digest is kept; it
/// acts with its operator's role.
#[derive(Clone, PartialEq, Eq)]
pub struct OperatorToken {
    pub id: OperatorTokenId,
    pub operator_id: OperatorId,
    pub digest: String,
    /// What it is for (a script's name).
    pub label: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl std::fmt::Debug for OperatorToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OperatorToken")
            .field("id", &self.id)
            .field("operator_id", &self.operator_id)
            .field("label", &self.label)
            .field("revoked_at", &self.revoked_at)
            .finish_non_exhaustive()
    }
}

/// One line of the audit trail: who, when, what, on what, from where. Append-only.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AuditEntry {
    pub id: AuditEntryId,
    pub at: DateTime<Utc>,
    /// The operator, or `None` for the command line (whoever runs it on the host).
    pub operator_id: Option<OperatorId>,
    /// Their username when it was written (`cli` for the command line).
    pub actor: String,
    /// What happened, a stable word: `sign_in`, `sign_in_failed`, `return_url.approve`,
    /// `session.view`, …
    pub action: String,
    /// What it was done to (`return_url:<id>`, `session:<id>`, `operator:<name>`).
    pub target: String,
    /// The browser's address, for console actions.
    pub from: Option<String>,
    /// What else matters (the decision, the reason); never a secret.
    pub details: serde_json::Value,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn operator(role: OperatorRole, partners: Vec<PartnerId>) -> Operator {
        Operator {
            id: OperatorId::new(),
            username: "kari".into(),
            role,
            partners,
            password_hash: String::new(),
            totp_key: Vec::new(),
            failed_sign_ins: 0,
            locked_until: None,
            last_totp_step: 0,
            disabled: false,
            created_at: Utc::now(),
            single_sign_on: None,
        }
    }

    #[test]
    fn roles_allow_what_they_say_and_a_reviewer_only_for_their_partners() {
        let (a, b) = (PartnerId::new(), PartnerId::new());
        let admin = operator(OperatorRole::Admin, Vec::new());
        let viewer = operator(OperatorRole::Viewer, Vec::new());
        let reviewer = operator(OperatorRole::Reviewer, vec![a]);
        assert!(admin.may(OperatorAction::ManageOperators, None));
        assert!(viewer.may(OperatorAction::View, Some(b)));
        assert!(!viewer.may(OperatorAction::DecideReturnUrl, Some(a)));
        assert!(reviewer.may(OperatorAction::DecideReturnUrl, Some(a)));
        assert!(!reviewer.may(OperatorAction::DecideReturnUrl, Some(b)));
        assert!(!reviewer.may(OperatorAction::View, Some(b)));
        assert!(reviewer.may(OperatorAction::View, None));
        assert!(!reviewer.may(OperatorAction::ManagePartners, Some(a)));
        assert_eq!(
            OperatorRole::parse("reviewer"),
            Some(OperatorRole::Reviewer)
        );
        assert_eq!(OperatorRole::parse("root"), None);
    }
}
