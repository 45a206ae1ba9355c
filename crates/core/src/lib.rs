//! The idgate domain: verification sessions and their lifecycle, partners and their
//! credentials, return-URL rules, operators and the audit trail. Pure types and rules: no I/O, no framework, no clock
//! (callers pass `now`), no randomness (callers pass tokens in).

pub mod ids;
pub mod invite;
pub mod lifecycle;
pub mod media;
pub mod operator;
pub mod outcome;
pub mod partner;
pub mod personal;
pub mod return_url;
pub mod session;
pub mod tokens;
pub mod webhook;

pub use ids::{
    AuditEntryId, CredentialId, InviteId, MediaId, OperatorId, OperatorTokenId, PartnerId,
    ReturnUrlRuleId, SessionId, TokenEntryId,
};
pub use invite::{AttemptResult, Invite, InviteChannel, InviteStatus};
pub use lifecycle::{LifecycleError, LifecycleEvent, Status, Transition};
pub use media::{MediaType, SessionMedia};
pub use operator::{
    AuditEntry, ConsoleSession, Operator, OperatorAction, OperatorRole, OperatorToken, SsoIdentity,
};
pub use outcome::{Decision, ProviderOutcome};
pub use partner::{
    Branding, Credential, CredentialKind, EvidenceDisclosure, FrameAncestor, Logo, Partner,
    ReturnUrlPolicy, Tier, Workflow,
};
pub use personal::{
    ApplicantData, FieldMatch, MatchData, MatchResult, ProviderEvidence, ResultClaims,
};
pub use return_url::{
    HostReview, NormalizedUrl, ReturnUrlError, ReturnUrlRule, ReturnUrlStatus, UrlPolicy,
    review_host,
};
pub use session::{
    Actor, Dialect, ExternalRefs, NewSession, PROVIDER_CHOICES, ProviderState, SIGN_IN_REQUEST,
    Session, SessionEvent, TransitionNote,
};
pub use tokens::{TokenEntry, TokenEntryKind};
pub use webhook::{
    Delivery, DeliveryAttempt, DeliveryId, DeliveryStatus, EndpointId, EndpointSecret, EventId,
    RetryPolicy, WebhookEndpoint, WebhookEvent,
};
