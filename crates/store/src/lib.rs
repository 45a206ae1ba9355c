//! The storage port of idgate: one [`Store`] trait that every engine implements, the
//! field encryption personal data goes through on its way to disk, and a conformance suite
//! ([`conformance`]) that each engine's tests run so the engines cannot drift in meaning.

pub mod cipher;
pub mod conformance;
pub mod sealed;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use idgate_core::{
    Credential, CredentialKind, Partner, PartnerId, ReturnUrlRule, ReturnUrlRuleId,
    ReturnUrlStatus, Session, SessionEvent, SessionId,
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

/// Everything idgate persists. Implementations encrypt personal data with the [`KeyRing`]
/// they were opened with and never hold a transaction across a call to the outside world.
#[async_trait]
pub trait Store: Send + Sync + std::fmt::Debug + 'static {
    /// Applies the engine's embedded migrations.
    async fn migrate(&self) -> StoreResult<()>;
    /// Cheap round trip for readiness checks.
    async fn ping(&self) -> StoreResult<()>;

    async fn meta_get(&self, key: &str) -> StoreResult<Option<String>>;
    async fn meta_set(&self, key: &str, value: &str) -> StoreResult<()>;
    /// Sets `key` only if it has no value yet; returns whether this call set it (a claim that
    /// exactly one of several nodes wins).
    async fn meta_set_if_absent(&self, key: &str, value: &str) -> StoreResult<bool>;

    async fn insert_partner(&self, partner: &Partner) -> StoreResult<()>;
    async fn get_partner(&self, id: PartnerId) -> StoreResult<Option<Partner>>;
    async fn list_partners(&self) -> StoreResult<Vec<Partner>>;

    async fn insert_credential(&self, credential: &Credential) -> StoreResult<()>;
    /// The live (not revoked) credential of `kind` whose lookup digest is `lookup_digest`.
    async fn find_credential(
        &self,
        kind: CredentialKind,
        lookup_digest: &str,
    ) -> StoreResult<Option<Credential>>;

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

    /// Stores a new session and its creation event in one transaction.
    async fn insert_session(&self, session: &Session, created: &SessionEvent) -> StoreResult<()>;
    async fn get_session(&self, id: SessionId) -> StoreResult<Option<Session>>;
    async fn find_session_by_access_token(&self, digest: &str) -> StoreResult<Option<Session>>;
    /// Writes the session's new state and its new `events` (consecutive, in order) in one
    /// transaction, provided the stored version is still `events[0].seq - 1`; otherwise
    /// [`StoreError::Stale`] and nothing is written.
    async fn commit_transition(
        &self,
        session: &Session,
        events: &[SessionEvent],
    ) -> StoreResult<()>;
    /// The session's events in sequence order.
    async fn session_events(&self, id: SessionId) -> StoreResult<Vec<SessionEvent>>;
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
}

/// Meta key under which the ids of every data key that has encrypted something are kept,
/// so a missing key is noticed at start instead of at the first read.
pub const META_DATA_KEY_IDS: &str = "data_key_ids";

/// The associated data that binds an encrypted column value to its row.
pub fn field_context(table: &str, column: &str, row_id: &str) -> String {
    format!("{table}.{column}:{row_id}")
}
