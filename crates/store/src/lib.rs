//! The storage port of idgate: one [`Store`] trait that every engine implements, the
//! field encryption personal data goes through on its way to disk, the rules every engine
//! applies alike ([`rules`]), and a conformance suite (feature `conformance`) that each
//! engine's tests run so the engines cannot drift in meaning.

pub mod cipher;
#[cfg(feature = "conformance")]
pub mod conformance;
pub mod rules;
pub mod sealed;

/// Every store port, for callers that use several.
pub mod prelude {
    pub use crate::{
        IdempotencyStore, InviteStore, MediaStore, MetaStore, OperatorStore, PartnerStore,
        QuotaStore, ReturnUrlStore, SessionStore, Store, TokenStore, WebhookStore,
    };
}

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use idgate_core::{
    AuditEntry, ConsoleSession, Credential, CredentialId, CredentialKind, Delivery,
    DeliveryAttempt, DeliveryId, DeliveryStatus, EndpointId, EventId, Invite, Logo, MediaId,
    Operator, OperatorId, OperatorToken, OperatorTokenId, Partner, PartnerId, ReturnUrlRule,
    ReturnUrlRuleId, ReturnUrlStatus, Session, SessionEvent, SessionId, SessionMedia, TokenEntry,
    WebhookEndpoint, WebhookEvent,
};

pub use cipher::{KeyRing, KeyRingError};

/// Why a storage call failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A uniqueness rule was broken; the string names the rule.
    #[error("already exists: {0}")]
    Duplicate(&'static str),
    /// The session changed since it was read (optimistic concurrency); re-read and retry.
    #[error("the session was changed concurrently")]
    Stale,
    /// A session's token charge is more than the partner's balance; nothing was written.
    #[error("the token balance ({balance}) is short")]
    InsufficientTokens { balance: i64 },
    #[error(transparent)]
    Cipher(#[from] KeyRingError),
    #[error("stored data is malformed: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Backend(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Which return-URL rules to list.
#[derive(Clone, Copy, Debug, Default)]
pub struct ReturnUrlFilter {
    pub partner_id: Option<PartnerId>,
    pub status: Option<ReturnUrlStatus>,
}

/// Everything idgate persists, one port per aggregate. Implementations encrypt personal data
/// with the [`KeyRing`] they were opened with and never hold a transaction across a call to
/// the outside world. Callers name the part they use (`use idgate_store::SessionStore`), or
/// take them all with [`prelude`].
#[async_trait]
pub trait Store:
    MetaStore
    + PartnerStore
    + ReturnUrlStore
    + SessionStore
    + IdempotencyStore
    + WebhookStore
    + QuotaStore
    + MediaStore
    + InviteStore
    + TokenStore
    + OperatorStore
    + Send
    + Sync
    + std::fmt::Debug
    + 'static
{
    /// Applies the engine's embedded migrations.
    async fn migrate(&self) -> StoreResult<()>;
    /// Cheap round trip for readiness checks.
    async fn ping(&self) -> StoreResult<()>;
}

/// What an upload of media found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MediaInsert {
    Inserted,
    /// The session no longer takes media (submitted, decided or gone).
    SessionClosed,
    /// The session already holds the most files allowed.
    Full,
}

/// Files partners upload to their sessions, sealed like the rest of a session's personal data.
#[async_trait]
pub trait MediaStore: Send + Sync {
    /// Stores `media` and its `content` (sealed) if its session is `created` or `started` and
    /// holds fewer than `limit` files, checked in the same transaction as the insert, so an
    /// upload racing a submit cannot land after it.
    async fn insert_media(
        &self,
        media: &SessionMedia,
        content: &[u8],
        limit: u32,
    ) -> StoreResult<MediaInsert>;
    /// A session's files, oldest first.
    async fn list_media(&self, session: SessionId) -> StoreResult<Vec<SessionMedia>>;
    /// A partner's files uploaded during one attempt, oldest first.
    async fn list_attempt_media(
        &self,
        partner: PartnerId,
        attempt_id: &str,
    ) -> StoreResult<Vec<SessionMedia>>;
    /// One file with its content.
    async fn get_media(&self, id: MediaId) -> StoreResult<Option<(SessionMedia, Vec<u8>)>>;
    /// Deletes a session's files (it was cancelled); how many there were.
    async fn delete_session_media(&self, session: SessionId) -> StoreResult<u64>;
}

/// What one use of a quota window found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QuotaUse {
    /// Whether this use fitted under the limit (and was counted).
    pub taken: bool,
    /// Uses counted in the window, this one included when taken.
    pub used: u32,
}

/// Counters shared by every node, for limits that must hold exactly across nodes.
#[async_trait]
pub trait QuotaStore: Send + Sync {
    /// Counts one use of `scope` in the fixed window starting at `window_start` (seconds since
    /// the epoch) if fewer than `limit` were counted there; atomically, so nodes racing for the
    /// last use cannot both get it. Earlier windows of the scope are dropped on the way.
    async fn take_quota(&self, scope: &str, window_start: i64, limit: u32)
    -> StoreResult<QuotaUse>;
    /// Counts up to `want` uses of `scope` in the window at once (a node reserving a share it
    /// then hands out itself), never past `limit`; returns how many it counted (0: the window
    /// is full). Atomic like [`QuotaStore::take_quota`].
    async fn take_quota_many(
        &self,
        scope: &str,
        window_start: i64,
        limit: u32,
        want: u32,
    ) -> StoreResult<u32>;
}

/// Small named values: one-time markers and claims that exactly one node wins.
#[async_trait]
pub trait MetaStore: Send + Sync {
    async fn meta_get(&self, key: &str) -> StoreResult<Option<String>>;
    async fn meta_set(&self, key: &str, value: &str) -> StoreResult<()>;
    /// Sets `key` only if it has no value yet; returns whether this call set it (a claim that
    /// exactly one of several nodes wins).
    async fn meta_set_if_absent(&self, key: &str, value: &str) -> StoreResult<bool>;
    /// Deletes the values whose key starts with `prefix` and whose value sorts below
    /// `value_below` (values written as fixed-width numbers, e.g. expiry times); how many.
    async fn meta_delete_below(&self, prefix: &str, value_below: &str) -> StoreResult<u64>;
}

/// Partners (tenants) and their credentials.
#[async_trait]
pub trait PartnerStore: Send + Sync {
    async fn insert_partner(&self, partner: &Partner) -> StoreResult<()>;
    async fn get_partner(&self, id: PartnerId) -> StoreResult<Option<Partner>>;
    async fn list_partners(&self) -> StoreResult<Vec<Partner>>;
    /// Replaces the partner's settings (name, tier, cap, evidence, lifetime); `NotFound` if
    /// there is no such partner.
    async fn update_partner(&self, partner: &Partner) -> StoreResult<()>;
    /// Replaces the partner's logo.
    async fn put_partner_logo(&self, partner: PartnerId, logo: &Logo) -> StoreResult<()>;
    async fn get_partner_logo(&self, partner: PartnerId) -> StoreResult<Option<Logo>>;

    async fn insert_credential(&self, credential: &Credential) -> StoreResult<()>;
    /// The credential of `kind` whose lookup digest is `lookup_digest`, revoked or not: its
    /// `revoked_at` may lie in the future (a rotation's grace period), so the caller decides.
    async fn find_credential(
        &self,
        kind: CredentialKind,
        lookup_digest: &str,
    ) -> StoreResult<Option<Credential>>;
    async fn get_credential(&self, id: CredentialId) -> StoreResult<Option<Credential>>;
    /// A partner's credentials, oldest first.
    async fn list_credentials(&self, partner: PartnerId) -> StoreResult<Vec<Credential>>;
    /// The credential stops working at `at` (or earlier, if it was already due to);
    /// `NotFound` for an unknown id.
    async fn revoke_credential(&self, id: CredentialId, at: DateTime<Utc>) -> StoreResult<()>;
    /// Replaces the checked half of a credential, the looked-up half staying (a Hopae app's
    /// client secret rotated under the same client id): the old one stops working at once.
    /// `NotFound` for an unknown id.
    async fn replace_credential_secret(
        &self,
        id: CredentialId,
        secret_digest: &str,
    ) -> StoreResult<()>;
}

/// Partners' return-URL rules and operators' decisions on them.
#[async_trait]
pub trait ReturnUrlStore: Send + Sync {
    async fn insert_return_url_rule(&self, rule: &ReturnUrlRule) -> StoreResult<()>;
    async fn get_return_url_rule(&self, id: ReturnUrlRuleId) -> StoreResult<Option<ReturnUrlRule>>;
    async fn list_return_url_rules(
        &self,
        filter: ReturnUrlFilter,
    ) -> StoreResult<Vec<ReturnUrlRule>>;
    /// Sets an operator's decision; `NotFound` for an unknown id.
    async fn decide_return_url_rule(
        &self,
        id: ReturnUrlRuleId,
        status: ReturnUrlStatus,
        at: DateTime<Utc>,
    ) -> StoreResult<ReturnUrlRule>;
}

/// Verification sessions, their event timelines and the expiry claims.
#[async_trait]
pub trait SessionStore: Send + Sync {
    /// Stores a new session and what goes with it (see [`SessionInsert`]) in one
    /// transaction. Nothing is written when any part fails.
    async fn insert_session_with(&self, insert: &SessionInsert<'_>) -> StoreResult<()>;
    /// [`SessionStore::insert_session_with`] for a session without invites.
    async fn insert_session(
        &self,
        session: &Session,
        created: &SessionEvent,
        endpoint: Option<&WebhookEndpoint>,
        outbox: &[WebhookEvent],
    ) -> StoreResult<()> {
        self.insert_session_with(&SessionInsert {
            session,
            created,
            endpoint,
            outbox,
            invites: &[],
            invite_link: None,
            charge: None,
        })
        .await
    }
    async fn get_session(&self, id: SessionId) -> StoreResult<Option<Session>>;
    async fn find_session_by_access_token(&self, digest: &str) -> StoreResult<Option<Session>>;
    /// Writes the session's new state (its provider too: a person may choose it as they
    /// start), its new `events` (consecutive, in order) and the
    /// webhook `outbox` (as in [`Store::insert_session`]) in one transaction, provided the
    /// stored version is still `events[0].seq - 1`; otherwise [`StoreError::Stale`] and nothing
    /// is written.
    async fn commit_transition(
        &self,
        session: &Session,
        events: &[SessionEvent],
        outbox: &[WebhookEvent],
    ) -> StoreResult<()>;
    /// Replaces a started session's provider reference and provider state, without an event
    /// (the same attempt goes on with a new order at its provider: BankID's silent restart),
    /// provided it is still at `session.version` and started; otherwise
    /// [`StoreError::Stale`] and nothing is written.
    async fn renew_provider_state(&self, session: &Session) -> StoreResult<()>;
    /// The session's events in sequence order.
    async fn session_events(&self, id: SessionId) -> StoreResult<Vec<SessionEvent>>;
    /// Counts one provider round trip (a code exchange at the callback) for the session and
    /// returns how many there have been, this one included; `NotFound` for no such session.
    async fn count_provider_exchange(&self, id: SessionId) -> StoreResult<u32>;
    /// Claims up to `limit` expirable sessions whose `expires_at` is at or before `now` and
    /// that no other node holds a live claim on, oldest first, until `lease_until`. A claim
    /// lapses at `lease_until`, so a crashed node's work is taken again; committing any
    /// transition of the session clears it.
    async fn claim_due_expiries(
        &self,
        now: DateTime<Utc>,
        limit: u32,
        lease_until: DateTime<Utc>,
    ) -> StoreResult<Vec<SessionId>>;
    /// Claims up to `limit` sessions at `providers` that are `started` or `submitted`, were
    /// submitted (else started) at or before `submitted_before` and were not asked about after
    /// `checked_before`, marking them asked at `now` (so other nodes and the next sweeps leave
    /// them for a while); those never asked first, then the longest unasked.
    async fn claim_decision_checks(
        &self,
        providers: &[String],
        submitted_before: DateTime<Utc>,
        checked_before: DateTime<Utc>,
        now: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<SessionId>>;
    /// Keeps the expiry sweep away from a session until `until` (a row that cannot be read:
    /// one bad row must not be claimed, fail and stall every sweep).
    async fn hold_expiry(&self, id: SessionId, until: DateTime<Utc>) -> StoreResult<()>;
    /// Sessions of `provider_id` whose provider reference is `reference`, newest first: the
    /// live ones (a simulated app finding the requests pushed to it) or all (a provider's
    /// notice, which may come after the decision).
    async fn find_sessions_by_provider_reference(
        &self,
        provider_id: &str,
        reference: &str,
        scope: ReferenceScope,
        limit: u32,
    ) -> StoreResult<Vec<Session>>;
    /// A page of a partner's sessions (see [`SessionPage`]), newest first.
    async fn list_partner_sessions(&self, page: &SessionPage) -> StoreResult<Vec<Session>>;
    /// An operator's search across partners, newest first.
    async fn search_sessions(&self, search: &SessionSearch) -> StoreResult<Vec<Session>>;
    /// Sessions created since `since`, counted by UTC day, provider and status (the
    /// dashboard), oldest day first.
    async fn session_counts(&self, since: DateTime<Utc>) -> StoreResult<Vec<SessionCount>>;
}

/// A new session and what is written with it: its creation event, its own webhook
/// `endpoint` if it has one (a per-verification URL), the webhook `outbox` events with one
/// delivery per event for each enabled endpoint of the partner that wants it (the
/// transactional outbox), the `invites` to send its applicant, each keeping `invite_link`
/// (the hosted flow's link, a bearer secret) sealed until it is sent, and the token `charge`
/// the session costs: taken from the partner's balance, or [`StoreError::InsufficientTokens`]
/// and nothing is written.
#[derive(Clone, Copy, Debug)]
pub struct SessionInsert<'a> {
    pub session: &'a Session,
    pub created: &'a SessionEvent,
    pub endpoint: Option<&'a WebhookEndpoint>,
    pub outbox: &'a [WebhookEvent],
    pub invites: &'a [Invite],
    pub invite_link: Option<&'a str>,
    pub charge: Option<&'a TokenEntry>,
}

/// Partners' token balances and their ledgers.
#[async_trait]
pub trait TokenStore: Send + Sync {
    /// Adds a top-up `entry` (a positive delta) to its partner's balance and ledger, and
    /// returns it with the balance after it.
    async fn credit_tokens(&self, entry: &TokenEntry) -> StoreResult<TokenEntry>;
    /// The partner's balance (0 before any top-up).
    async fn token_balance(&self, partner: PartnerId) -> StoreResult<i64>;
    /// The partner's ledger, newest first, at most `limit` entries.
    async fn token_history(&self, partner: PartnerId, limit: u32) -> StoreResult<Vec<TokenEntry>>;
}

/// Operators, the browsers signed in as them, and the audit trail.
#[async_trait]
pub trait OperatorStore: Send + Sync {
    /// [`StoreError::Duplicate`] when the username is taken.
    async fn insert_operator(&self, operator: &Operator) -> StoreResult<()>;
    async fn operator(&self, id: OperatorId) -> StoreResult<Option<Operator>>;
    async fn operator_by_username(&self, username: &str) -> StoreResult<Option<Operator>>;
    /// The operator linked to `subject` at the single-sign-on provider `issuer`.
    async fn operator_by_sso(&self, issuer: &str, subject: &str) -> StoreResult<Option<Operator>>;
    /// Every operator, by username.
    async fn list_operators(&self) -> StoreResult<Vec<Operator>>;
    /// Records a sign-in attempt's outcome: failures in a row, the lock, and for a good one
    /// the TOTP step it used. The step only moves forward, so one code cannot sign in twice:
    /// `Ok(false)`, and nothing written, when `accepted_step` is not above the stored one.
    async fn record_sign_in(
        &self,
        id: OperatorId,
        failed_sign_ins: u32,
        locked_until: Option<DateTime<Utc>>,
        accepted_step: Option<i64>,
    ) -> StoreResult<bool>;
    /// Changes role, partners, the single-sign-on identity ([`StoreError::Duplicate`] when
    /// another operator has it) and whether the operator is disabled (disabling ends their
    /// console sessions).
    async fn update_operator(&self, operator: &Operator) -> StoreResult<()>;
    async fn insert_console_session(&self, session: &ConsoleSession) -> StoreResult<()>;
    async fn console_session(&self, digest: &str) -> StoreResult<Option<ConsoleSession>>;
    async fn touch_console_session(&self, digest: &str, at: DateTime<Utc>) -> StoreResult<()>;
    async fn delete_console_session(&self, digest: &str) -> StoreResult<()>;
    async fn insert_operator_token(&self, token: &OperatorToken) -> StoreResult<()>;
    async fn operator_token(&self, digest: &str) -> StoreResult<Option<OperatorToken>>;
    /// `NotFound` for an unknown id; revoking again keeps the first time.
    async fn revoke_operator_token(
        &self,
        id: OperatorTokenId,
        at: DateTime<Utc>,
    ) -> StoreResult<OperatorToken>;
    /// Appends a line to the audit trail (there is no way to change or remove one).
    async fn append_audit(&self, entry: &AuditEntry) -> StoreResult<()>;
    /// The newest lines first, at most `limit`, older than `before` when given.
    async fn list_audit(
        &self,
        limit: u32,
        before: Option<DateTime<Utc>>,
    ) -> StoreResult<Vec<AuditEntry>>;
}

/// An invite claimed for an attempt, with the link it carries.
#[derive(Clone, Debug)]
pub struct InviteJob {
    pub invite: Invite,
    pub link: String,
    /// The claim: its result is recorded only while the invite is still held by it.
    pub lease_until: DateTime<Utc>,
}

/// Invitations to sessions' applicants, sent by the invite job.
#[async_trait]
pub trait InviteStore: Send + Sync {
    /// Claims up to `limit` pending invites due at `now` that no other node holds, oldest
    /// first, until `lease_until` (their next attempt moves there, so a crashed node's claim
    /// lapses and the invite is tried again). An invite whose sealed link cannot be opened is
    /// marked failed on the way, so it cannot hold up the others.
    async fn claim_due_invites(
        &self,
        now: DateTime<Utc>,
        limit: u32,
        lease_until: DateTime<Utc>,
    ) -> StoreResult<Vec<InviteJob>>;
    /// Writes an invite's state after an attempt made under the claim ending `lease_until`;
    /// once it is no longer pending, its sealed link is erased. `false` (nothing written) when
    /// the claim had lapsed and another node took the invite.
    async fn record_invite(&self, invite: &Invite, lease_until: DateTime<Utc>)
    -> StoreResult<bool>;
    /// A session's invites, oldest first.
    async fn session_invites(&self, session: SessionId) -> StoreResult<Vec<Invite>>;
}

/// A page of one partner's sessions of one dialect, newest first.
#[derive(Clone, Debug)]
pub struct SessionPage {
    pub partner_id: PartnerId,
    pub dialect: idgate_core::Dialect,
    /// Created at or after.
    pub created_from: Option<DateTime<Utc>>,
    /// Created before.
    pub created_before: Option<DateTime<Utc>>,
    /// The partner's own reference (`external_refs.external_id`).
    pub external_id: Option<String>,
    /// The workflow the session was created with (`dialect_options.workflow_id`).
    pub workflow_id: Option<String>,
    /// The partner's user the session verifies (`external_refs.user_id`).
    pub user_id: Option<String>,
    /// Continue after this session (the last of the previous page): older than it.
    pub after: Option<(DateTime<Utc>, SessionId)>,
    pub limit: u32,
}

/// How many sessions one provider has in one status, and how many of them were started and
/// decided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionCount {
    /// The UTC day the sessions were created.
    pub day: chrono::NaiveDate,
    pub provider_id: String,
    pub status: idgate_core::Status,
    pub sessions: u64,
    pub started: u64,
    pub decided: u64,
}

/// An operator's search of every partner's sessions; each filter is optional.
#[derive(Clone, Debug, Default)]
pub struct SessionSearch {
    pub partner_id: Option<PartnerId>,
    pub status: Option<idgate_core::Status>,
    /// A partner's own reference, exactly: its external id, user id, vendor data or end-user id.
    pub reference: Option<String>,
    /// Created at or after.
    pub created_from: Option<DateTime<Utc>>,
    /// Created before.
    pub created_before: Option<DateTime<Utc>>,
    pub limit: u32,
}

/// Which sessions a provider-reference lookup returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReferenceScope {
    /// Only sessions not yet decided.
    Live,
    /// Every session, decided or not.
    Any,
}

/// Idempotency keys (see `idgate_hub::service::idempotency` for the protocol).
#[async_trait]
pub trait IdempotencyStore: Send + Sync {
    /// Claims an `Idempotency-Key` for a request with `request_digest`, in one atomic step.
    /// Keys created before `forget_before` count as unused; an in-progress claim whose lease
    /// (`locked_until`) has passed may be taken over.
    async fn claim_idempotency_key(
        &self,
        key: &IdempotencyKey<'_>,
        request_digest: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        forget_before: DateTime<Utc>,
    ) -> StoreResult<IdempotencyClaim>;
    /// Stores the answer of the request that claimed `key`.
    async fn complete_idempotency_key(
        &self,
        key: &IdempotencyKey<'_>,
        status: u16,
        body: &serde_json::Value,
    ) -> StoreResult<()>;
    /// Gives a claim up (the request failed before it changed anything), so a retry may run.
    async fn release_idempotency_key(&self, key: &IdempotencyKey<'_>) -> StoreResult<()>;
}

/// An `Idempotency-Key`, scoped to the partner that sent it.
#[derive(Clone, Copy, Debug)]
pub struct IdempotencyKey<'a> {
    pub partner_id: PartnerId,
    pub key: &'a str,
}

impl IdempotencyKey<'_> {
    /// The encryption context of the stored answer.
    pub fn row_id(&self) -> String {
        format!("{}/{}", self.partner_id, self.key)
    }
}

/// What claiming an idempotency key found.
#[derive(Clone, Debug, PartialEq)]
pub enum IdempotencyClaim {
    /// The key is this request's: run it, then complete (or release) the key.
    Claimed,
    /// The same request already ran: answer with what it answered.
    Replay {
        status: u16,
        body: serde_json::Value,
    },
    /// The key was used for a different request.
    Conflict,
    /// The same key's first request is still running.
    InProgress,
}

/// Which deliveries to put back in the queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Redeliver {
    /// One event to the endpoint, whatever became of it (a delivery is created if the endpoint
    /// never had one).
    Event(EventId),
    /// The endpoint's dead deliveries of events created in `[since, until)`.
    DeadBetween {
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    },
}

/// A claimed delivery with what sending it needs.
#[derive(Clone, Debug)]
pub struct DeliveryJob {
    pub delivery: Delivery,
    pub event: WebhookEvent,
    pub endpoint: WebhookEndpoint,
}

/// An endpoint's health after an attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EndpointHealth {
    pub failing_since: Option<DateTime<Utc>>,
    /// Set when this attempt disabled the endpoint.
    pub disabled_reason: Option<String>,
}

/// Webhook endpoints and the delivery queue.
#[async_trait]
pub trait WebhookStore: Send + Sync {
    async fn insert_webhook_endpoint(&self, endpoint: &WebhookEndpoint) -> StoreResult<()>;
    /// Saves the partner-editable fields, secrets and health; `NotFound` for an unknown id.
    async fn update_webhook_endpoint(&self, endpoint: &WebhookEndpoint) -> StoreResult<()>;
    async fn get_webhook_endpoint(&self, id: EndpointId) -> StoreResult<Option<WebhookEndpoint>>;
    async fn list_webhook_endpoints(
        &self,
        partner: Option<PartnerId>,
    ) -> StoreResult<Vec<WebhookEndpoint>>;
    async fn get_webhook_event(&self, id: EventId) -> StoreResult<Option<WebhookEvent>>;
    /// Records `event` with a delivery to `endpoint` only (test events).
    async fn insert_webhook_event_for(
        &self,
        event: &WebhookEvent,
        endpoint: EndpointId,
    ) -> StoreResult<DeliveryId>;
    /// Claims up to `limit` pending deliveries that are due, to enabled endpoints, and not
    /// behind an earlier pending delivery of the same session to the same endpoint (so each
    /// session's events arrive in order), until `lease_until`. Fair: no endpoint gets more
    /// than `per_endpoint` claimed at once (counting live claims), and partners take turns
    /// (each partner's oldest due delivery before any partner's second).
    async fn claim_due_deliveries(
        &self,
        now: DateTime<Utc>,
        limit: u32,
        lease_until: DateTime<Utc>,
        per_endpoint: u32,
    ) -> StoreResult<Vec<DeliveryJob>>;
    /// Stores an attempt, the delivery's new state and the endpoint's health together.
    async fn record_attempt(
        &self,
        attempt: &DeliveryAttempt,
        delivery: &Delivery,
        health: &EndpointHealth,
    ) -> StoreResult<()>;
    /// The endpoint's deliveries, newest first.
    async fn list_deliveries(
        &self,
        endpoint: EndpointId,
        status: Option<DeliveryStatus>,
        limit: u32,
    ) -> StoreResult<Vec<Delivery>>;
    async fn get_delivery(&self, id: DeliveryId) -> StoreResult<Option<Delivery>>;
    async fn delivery_attempts(&self, delivery: DeliveryId) -> StoreResult<Vec<DeliveryAttempt>>;
    /// Queues deliveries again for immediate sending; returns how many.
    async fn redeliver(
        &self,
        endpoint: EndpointId,
        which: Redeliver,
        now: DateTime<Utc>,
    ) -> StoreResult<u64>;
    /// When the oldest pending delivery was created.
    async fn oldest_pending_delivery(&self) -> StoreResult<Option<DateTime<Utc>>>;
}

/// Meta key under which the ids of every data key that has encrypted something are kept,
/// so a missing key is noticed at start instead of at the first read.
pub const META_DATA_KEY_IDS: &str = "data_key_ids";

/// The associated data that binds an encrypted column value to its row.
pub fn field_context(table: &str, column: &str, row_id: &str) -> String {
    format!("{table}.{column}:{row_id}")
}
