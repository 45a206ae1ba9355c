//! The operations every dialect, hosted page, job and CLI command shares. Tenant scoping and
//! authorisation are decided here, once, so a dialect module only translates wire formats.

pub mod evidence;
pub mod handoff;
pub mod idempotency;
pub mod media;
pub mod oidc_front_door;
pub mod operators;
pub mod partners;
pub mod provider_notices;
pub mod return_urls;
pub mod sessions;
pub mod single_sign_on;
pub mod webhooks;

use crate::dialect::Dialects;
use crate::keys::Keys;
use crate::limits::{Limits, RateLimited};
use crate::outbound::Outbound;
use crate::random::RandomUnavailable;
pub use crate::random::{random_bytes, random_token};
use crate::settings::{Settings, Validated};
use aws_lc_rs::digest;
use idgate_core::{LifecycleError, ReturnUrlError};
use idgate_providers::{ProviderError, ProviderRegistry};
use idgate_store::{Store, StoreError};
use std::sync::Arc;

/// The hub's services: store, providers, settings and keys. Its parts are private: a dialect
/// or page reaches the store only through the service methods, which scope every read to a
/// partner or a session; the operator's unscoped access is asked for by name
/// ([`Hub::operator`]).
#[derive(Debug)]
pub struct Hub {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) providers: Arc<ProviderRegistry>,
    pub(crate) settings: Arc<Settings>,
    pub(crate) config: Arc<Validated>,
    pub(crate) keys: Keys,
    /// The client for every outbound call.
    pub(crate) outbound: Outbound,
    /// Wakes the webhook workers when new deliveries are queued (a hint; they also poll).
    pub(crate) webhook_wake: Arc<tokio::sync::Notify>,
    /// Recently verified partner credentials.
    pub(crate) auth_cache: partners::AuthCache,
    /// The API dialects served, for their status words and webhook shapes.
    pub(crate) dialects: Dialects,
    /// This node's request limits.
    pub(crate) limits: Limits,
    /// How invites leave (the channels configured).
    pub(crate) invite_senders: Arc<crate::invites::InviteSenders>,
    /// Wakes the invite job when a session with invites is written (a hint; it also polls).
    pub(crate) invite_wake: Arc<tokio::sync::Notify>,
    /// The console's single sign-on, when `[console.sso]` names an issuer.
    pub(crate) console_sso: Option<Arc<single_sign_on::ConsoleSso>>,
}

/// What a hub is made of (see [`Hub::new`]).
#[derive(Debug)]
pub struct HubParts {
    pub store: Arc<dyn Store>,
    pub providers: ProviderRegistry,
    pub settings: Settings,
    pub config: Validated,
    pub keys: Keys,
    pub outbound: Outbound,
    pub dialects: Dialects,
    pub invite_senders: crate::invites::InviteSenders,
    pub console_sso: Option<single_sign_on::ConsoleSso>,
}

impl Hub {
    pub fn new(parts: HubParts) -> Hub {
        Hub {
            auth_cache: partners::AuthCache::new(parts.config.credential_cache_ttl),
            store: parts.store,
            providers: Arc::new(parts.providers),
            limits: Limits::new(&parts.settings.limits).with_dialect_keys(
                idgate_core::CredentialKind::DeepIdv,
                parts.settings.dialects.deepidv.requests_per_second,
                parts.settings.dialects.deepidv.requests_burst,
            ),
            settings: Arc::new(parts.settings),
            config: Arc::new(parts.config),
            keys: parts.keys,
            outbound: parts.outbound,
            webhook_wake: Arc::new(tokio::sync::Notify::new()),
            invite_senders: Arc::new(parts.invite_senders),
            invite_wake: Arc::new(tokio::sync::Notify::new()),
            dialects: parts.dialects,
            console_sso: parts.console_sso.map(Arc::new),
        }
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The settings with durations parsed and URLs checked.
    pub fn config(&self) -> &Validated {
        &self.config
    }

    pub fn providers(&self) -> &ProviderRegistry {
        &self.providers
    }

    pub fn keys(&self) -> &Keys {
        &self.keys
    }

    pub fn dialects(&self) -> &Dialects {
        &self.dialects
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> ServiceResult<()> {
        Ok(self.store.ping().await?)
    }

    /// Records `marker` (`namespace:value`) once across all nodes: true the first time, false
    /// after, until `until`, when what it guards (a one-time code) has expired anyway; then
    /// it is deleted, with the namespace's other spent marks, so marks do not pile up.
    pub async fn mark_once(
        &self,
        marker: &str,
        until: chrono::DateTime<chrono::Utc>,
    ) -> ServiceResult<bool> {
        let fresh = self
            .store
            .meta_set_if_absent(marker, &mark_value(until))
            .await?;
        if let Some((namespace, _)) = marker.split_once(':') {
            let spent = mark_value(chrono::Utc::now());
            self.store
                .meta_delete_below(&format!("{namespace}:"), &spent)
                .await?;
        }
        Ok(fresh)
    }

    /// Unscoped access for the operator (CLI, start-up, tests acting as one): nothing a
    /// partner's request reaches.
    pub fn operator(&self) -> Operator<'_> {
        Operator { hub: self }
    }
}

/// A mark's value: its end as fixed-width seconds, so values sort as times do.
fn mark_value(until: chrono::DateTime<chrono::Utc>) -> String {
    format!("{:020}", until.timestamp().max(0))
}

/// The operator's view of the hub: the store itself, unscoped.
#[derive(Debug, Clone, Copy)]
pub struct Operator<'a> {
    hub: &'a Hub,
}

impl<'a> Operator<'a> {
    pub fn store(&self) -> &'a dyn Store {
        self.hub.store.as_ref()
    }
}

/// Why a service operation failed, in terms every dialect can map to its own errors.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("this {0} belongs to another partner")]
    Forbidden(&'static str),
    #[error("invalid credentials")]
    Unauthenticated,
    #[error("invalid return URL: {0}")]
    InvalidReturnUrl(#[from] ReturnUrlError),
    #[error(
        "the return URL is not approved for this partner; register it with POST /verification-return-urls and have an operator approve it"
    )]
    ReturnUrlNotAllowed,
    #[error("unknown provider {0:?}")]
    UnknownProvider(String),
    /// An operator account cannot be made as asked (the name is taken or malformed).
    #[error("{0}")]
    InvalidOperator(String),
    #[error(transparent)]
    InvalidInput(#[from] idgate_providers::InputError),
    #[error(
        "provider {provider:?} reaches level of assurance {max} at most; {requested} was requested"
    )]
    LoaUnavailable {
        provider: String,
        requested: u8,
        max: u8,
    },
    #[error(transparent)]
    Lifecycle(#[from] LifecycleError),
    #[error("this session does not use a sandbox provider")]
    NotSandbox,
    #[error(transparent)]
    Provider(#[from] ProviderError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the session kept changing; try again")]
    Contention,
    #[error("invalid webhook URL: {0}")]
    InvalidWebhookUrl(String),
    #[error("unknown event types: {0}; see the README for the list")]
    UnknownEventTypes(String),
    #[error(
        "a partner may register {0} webhook endpoints; delete one you no longer use (or filter event types on an existing one)"
    )]
    TooManyEndpoints(u32),
    #[error("this idempotency key was used with a different request body")]
    IdempotencyConflict,
    #[error("a request with this idempotency key is still running; retry shortly")]
    IdempotencyInProgress,
    /// A limit was reached; the request may be sent again after the time it names.
    #[error("{}", rate_limited_message(.0))]
    RateLimited(Box<RateLimited>),
    #[error(transparent)]
    Media(#[from] media::MediaError),
    /// The partner's token balance cannot pay for the session.
    #[error(
        "insufficient token balance: a session costs {needed} token(s) and the balance is {balance}; ask the operator to top it up"
    )]
    InsufficientTokens { balance: i64, needed: i64 },
    #[error("{0}")]
    Internal(String),
}

fn rate_limited_message(limited: &RateLimited) -> String {
    match limited.policy {
        "sessions" => format!(
            "this partner may create {} verification sessions per minute; retry in {} s",
            limited.quota, limited.retry_after_secs
        ),
        "exchanges" => format!(
            "this session has used its {} provider round trips",
            limited.quota
        ),
        "api-key-day" => format!(
            "this API key may make {} requests a day (UTC); retry in {} s",
            limited.quota, limited.retry_after_secs
        ),
        _ => format!("too many requests; retry in {} s", limited.retry_after_secs),
    }
}

impl From<RateLimited> for ServiceError {
    fn from(limited: RateLimited) -> Self {
        ServiceError::RateLimited(Box::new(limited))
    }
}

impl From<RandomUnavailable> for ServiceError {
    fn from(e: RandomUnavailable) -> Self {
        ServiceError::Internal(e.to_string())
    }
}

pub type ServiceResult<T> = Result<T, ServiceError>;

/// Hex SHA-256 of a secret: what is stored instead of tokens and keys. Tokens are long and
/// random, so a fast digest is the right tool (a password hash would add nothing).
pub fn digest(secret: &str) -> String {
    hex::encode(digest::digest(&digest::SHA256, secret.as_bytes()))
}
