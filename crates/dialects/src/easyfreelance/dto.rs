//! EasyFreelance wire types and the mapping from canonical statuses.

use super::wire::status_word;
use chrono::{DateTime, SecondsFormat, Utc};
use idgate_core::{ReturnUrlRule, Session, Status};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What the partner's UI should do next: as documented, `continue_verification` whenever the
/// status is `pending` (the verification link then shows what to do: redo after a
/// resubmission request, wait during a review), a terminal hint otherwise.
pub fn next_action(status: Status) -> &'static str {
    match status {
        Status::Created
        | Status::Started
        | Status::Submitted
        | Status::Review
        | Status::ResubmissionRequested => "continue_verification",
        Status::Expired | Status::Abandoned | Status::Cancelled => "retry",
        Status::Approved | Status::Declined => "redirect_to_partner",
        Status::Failed => "show_error",
    }
}

pub fn timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Body of `POST /verification-return-urls`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ReturnUrlRequest {
    /// The return URL to register (https; at most 2048 characters). See the matching rules.
    #[schema(
        max_length = 2048,
        example = "https://partner.example.com/verification/return"
    )]
    pub partner_return_url: String,
}

/// A return-URL registration and its approval state.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReturnUrlRecord {
    pub id: String,
    /// The partner's number (an integer, as EasyFreelance documents it; stable).
    #[schema(example = 7)]
    pub partner_id: i64,
    /// `pending` until an operator decides; then `approved` or `rejected`.
    #[schema(example = "pending")]
    pub status: String,
    pub requested_url: String,
    pub requested_at: String,
    #[schema(nullable)]
    pub decided_at: Option<String>,
    /// Display only: matching is defined by the rules in the README, not by these.
    pub normalized_scheme: String,
    pub normalized_host: String,
    pub normalized_path_prefix: String,
}

impl ReturnUrlRecord {
    /// A rule of the partner numbered `partner_number`.
    pub fn of(r: &ReturnUrlRule, partner_number: i64) -> Self {
        ReturnUrlRecord {
            id: r.id.to_string(),
            partner_id: partner_number,
            status: r.status.as_str().to_owned(),
            requested_url: r.requested_url.clone(),
            requested_at: timestamp(r.requested_at),
            decided_at: r.decided_at.map(timestamp),
            normalized_scheme: r.normalized_scheme.clone(),
            normalized_host: r.normalized_host.clone(),
            normalized_path_prefix: r.normalized_path_prefix.clone(),
        }
    }
}

/// The partner's registrations, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReturnUrlList {
    pub data: Vec<ReturnUrlRecord>,
}

/// Identity provider.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ProviderName {
    Veriff,
    Bankid,
}

/// Which Veriff integration: `local` (Norwegian documents) or `international` (others).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum IdType {
    Local,
    International,
}

/// Body of `POST /users/{id}/verification/flows`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateFlowRequest {
    pub provider: ProviderName,
    /// Must be covered by an approved return URL (same scheme, host and port; the same path
    /// or a longer one by whole segments; a query is allowed and kept).
    #[schema(max_length = 2048)]
    pub partner_return_url: String,
    /// Required when `provider` is `veriff`; ignored for `bankid`.
    #[schema(nullable)]
    pub id_type: Option<IdType>,
    /// idgate addition, `bankid` only: a text the person reads and signs in the BankID app
    /// (BankID's simpleMarkdownV1) instead of only identifying; the signature is part of the
    /// verification's evidence.
    #[schema(
        nullable,
        max_length = 30000,
        example = "I accept the terms of 7 December 2026."
    )]
    #[serde(default)]
    pub sign_text: Option<String>,
}

/// The session created.
#[derive(Debug, Serialize, ToSchema)]
pub struct FlowCreated {
    /// Pass as `verificationSession` when polling.
    pub verification_id: String,
    pub provider: String,
    /// `pending`.
    pub status: String,
    /// Send the end user here.
    pub verification_url: String,
    pub status_check_url: String,
    pub expires_at: String,
}

/// The state of a session.
#[derive(Debug, Serialize, ToSchema)]
pub struct FlowStatus {
    pub verification_id: String,
    /// `pending` until terminal; then `approved`, `declined`, `cancelled`, `expired` or `error`.
    pub status: String,
    /// Stable reason code (`document_expired`, `user_cancelled`, `resubmission_requested`…).
    #[schema(nullable)]
    pub reason: Option<String>,
    /// When the session reached its terminal status.
    #[schema(nullable)]
    pub completed_at: Option<String>,
    pub provider: String,
    #[schema(nullable)]
    pub id_type: Option<IdType>,
    /// The employee id from the path of the create call.
    #[schema(nullable)]
    pub user_id: Option<i64>,
    /// `continue_verification`, `redirect_to_partner`, `retry` or `show_error`.
    pub next_action: String,
    pub expires_at: String,
    /// The user's onboarding, as `GET /users/{id}` shows it (`null` when idgate knows
    /// nothing of the user).
    pub onboarding: Option<Onboarding>,
}

/// EasyFreelance's onboarding object (version 2), for the one step idgate runs: the ID
/// verification. The other steps EasyFreelance has (terms, profile, bank account) are the
/// partner platform's own and not evaluated here.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Onboarding {
    /// The steps by name; idgate's is `id_verification`.
    pub steps: OnboardingSteps,
    /// The steps not completed yet.
    pub missing_steps: Vec<String>,
    /// Whether every step is completed.
    pub is_onboarded: bool,
    /// The object's version: 2.
    pub status_version: u8,
    /// When this was evaluated.
    pub evaluated_at: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OnboardingSteps {
    pub id_verification: IdVerificationStep,
}

/// The ID step, from the user's verifications (the newest approved one, else the newest).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IdVerificationStep {
    /// `completed` (an approved verification), `pending` (one in progress), `declined` (the
    /// newest was declined or failed) or `not_started` (the newest expired or was cancelled).
    pub status: String,
    pub completed: bool,
    /// The verification the status comes from.
    pub verification_id: String,
    pub provider: String,
    /// When it was approved.
    #[schema(nullable)]
    pub completed_at: Option<String>,
}

/// `GET /users/{id}`: what idgate knows of one of the partner's users.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UserView {
    pub id: i64,
    pub onboarding: Onboarding,
}

/// The onboarding of a user whose verifications are `sessions` (newest first); `None` when
/// there are none.
pub fn onboarding(sessions: &[Session], now: DateTime<Utc>) -> Option<Onboarding> {
    let newest = sessions.first()?;
    let approved = sessions.iter().find(|s| s.status == Status::Approved);
    let basis = approved.unwrap_or(newest);
    let status = match basis.status {
        Status::Approved => "completed",
        Status::Declined | Status::Failed => "declined",
        Status::Expired | Status::Abandoned | Status::Cancelled => "not_started",
        Status::Created
        | Status::Started
        | Status::Submitted
        | Status::Review
        | Status::ResubmissionRequested => "pending",
    };
    let completed = approved.is_some();
    Some(Onboarding {
        steps: OnboardingSteps {
            id_verification: IdVerificationStep {
                status: status.to_owned(),
                completed,
                verification_id: basis.id.to_string(),
                provider: provider_name(basis),
                completed_at: approved.and_then(|s| s.decided_at).map(timestamp),
            },
        },
        missing_steps: if completed {
            Vec::new()
        } else {
            vec!["id_verification".to_owned()]
        },
        is_onboarded: completed,
        status_version: 2,
        evaluated_at: timestamp(now),
    })
}

/// The provider word the partner chose (`veriff`, `bankid`).
fn provider_name(session: &Session) -> String {
    session
        .dialect_options
        .get("provider")
        .and_then(|v| v.as_str())
        .unwrap_or(&session.provider_id)
        .to_owned()
}

impl FlowStatus {
    /// `user_sessions`: the user's verifications, newest first (for `onboarding`).
    pub fn of(session: &Session, user_sessions: &[Session]) -> Self {
        FlowStatus {
            verification_id: session.id.to_string(),
            status: status_word(session.status).to_owned(),
            reason: session.reason.clone(),
            completed_at: session
                .status
                .is_terminal()
                .then_some(session.decided_at)
                .flatten()
                .map(timestamp),
            provider: provider_name(session),
            id_type: session
                .dialect_options
                .get("id_type")
                .and_then(|v| serde_json::from_value(v.clone()).ok()),
            user_id: session
                .external_refs
                .user_id
                .as_deref()
                .and_then(|u| u.parse().ok()),
            next_action: next_action(session.status).to_owned(),
            expires_at: timestamp(session.expires_at),
            onboarding: onboarding(user_sessions, Utc::now()),
        }
    }
}

/// Sandbox outcome to force.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum SandboxOutcome {
    Approved,
    Declined,
    ResubmissionRequested,
    Review,
    Cancelled,
}

/// Body of the sandbox test-helper call.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SandboxDecisionRequest {
    pub outcome: SandboxOutcome,
    /// For `declined`: `document_expired`, `document_not_recognised`, `face_mismatch`,
    /// `suspected_fraud` or `underage`.
    #[schema(nullable)]
    pub reason: Option<String>,
}
