//! Identity-provider adapters. Each protocol is one implementation of [`Provider`]; a provider
//! *id* in configuration (`veriff`, `bankid`, `sandbox`, …) binds an adapter to its settings.
//! The hosted flow and the provider callbacks talk to adapters only through this trait.

pub mod bankid;
pub mod http;
pub mod oidc;
pub mod registry;
pub mod sandbox;
pub mod veriff;

use async_trait::async_trait;
use idgate_core::{ApplicantData, ProviderState, SessionId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

// Outcomes are domain types (the lifecycle plans from them); adapters produce them.
pub use http::{ClientTls, HttpClients};
pub use idgate_core::outcome::{Decision, ProviderOutcome};
pub use registry::{ProviderConfig, ProviderRegistry};
/// Request headers as the web shell received them (the `http` crate's map).
pub use reqwest::header::HeaderMap;
pub use sandbox::{SandboxKind, SandboxProvider};

/// Decides whether an adapter may call a URL: idgate's private-address policy, applied to
/// every address a provider hands out (discovery endpoints), not only to configured ones.
pub type UrlGuard = std::sync::Arc<dyn Fn(&url::Url) -> Result<(), String> + Send + Sync>;

/// How the end user reaches the provider.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlowType {
    Redirect,
    Qr,
    Push,
}

/// What a provider declares about itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ProviderInfo {
    pub id: String,
    /// Shown to end users.
    pub label: String,
    pub flow_type: FlowType,
    pub max_loa: u8,
    pub claims: Vec<String>,
    pub match_capable: bool,
    /// A simulator: the hosted pages say so.
    pub sandbox: bool,
    /// What the partner must (or may) send about the person when creating a session.
    pub user_data: Vec<InputField>,
    /// The values a match-capable provider compares (provider-native names).
    pub match_fields: Vec<InputField>,
}

/// One field a provider takes from the partner (`userData` or `matchData`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InputField {
    pub name: String,
    pub required: bool,
    pub description: String,
    pub example: String,
    /// The longest value taken, in characters.
    #[serde(skip)]
    pub max_chars: usize,
}

/// The longest value a field takes unless it says otherwise.
const DEFAULT_MAX_CHARS: usize = 200;

impl InputField {
    pub fn new(name: &str, required: bool, description: &str, example: &str) -> Self {
        InputField {
            name: name.to_owned(),
            required,
            description: description.to_owned(),
            example: example.to_owned(),
            max_chars: DEFAULT_MAX_CHARS,
        }
    }

    /// The same field, taking values of up to `max_chars` characters.
    #[must_use]
    pub fn up_to(mut self, max_chars: usize) -> Self {
        self.max_chars = max_chars;
        self
    }
}

/// Why partner-supplied input was refused: the field (e.g. `userData.personalCode`) and why.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct InputError {
    /// The field is absent (rather than present and wrong).
    pub missing: bool,
    pub field: String,
    pub message: String,
}

/// Checks `given` against declared `fields` under `prefix` (`userData`, `matchData`): every
/// required field present and non-empty, nothing undeclared, values of sane length.
pub fn check_fields(
    prefix: &str,
    fields: &[InputField],
    given: &BTreeMap<String, String>,
) -> Result<(), InputError> {
    for field in fields.iter().filter(|f| f.required) {
        if given.get(&field.name).is_none_or(|v| v.trim().is_empty()) {
            return Err(InputError {
                missing: true,
                field: format!("{prefix}.{}", field.name),
                message: format!("is required by this provider ({})", field.description),
            });
        }
    }
    for (name, value) in given {
        let Some(field) = fields.iter().find(|f| &f.name == name) else {
            return Err(InputError {
                missing: false,
                field: format!("{prefix}.{name}"),
                message: "is not used by this provider".to_owned(),
            });
        };
        if value.chars().count() > field.max_chars {
            return Err(InputError {
                missing: false,
                field: format!("{prefix}.{name}"),
                message: format!("must be at most {} characters", field.max_chars),
            });
        }
    }
    Ok(())
}

/// What an adapter needs to start a session at its provider.
#[derive(Clone, Debug)]
pub struct StartRequest<'a> {
    pub session_id: SessionId,
    /// Opaque, unguessable value bound to the session; the provider hands it back.
    pub state: &'a str,
    /// Where the provider sends the user back (`{public_url}/callback/{provider id}`).
    pub callback_url: &'a str,
    /// idgate's public base URL, for simulators served by idgate itself.
    pub public_url: &'a str,
    /// The identifier the user entered (push flows), already checked by the provider.
    pub identifier: Option<&'a str>,
    /// The level of assurance the partner asked for.
    pub requested_loa: Option<u8>,
    pub secrets: Option<FlowSecrets<'a>>,
    /// What an earlier start of this session kept (a second tab, a reload), if anything.
    pub provider_state: Option<&'a ProviderState>,
    /// What the partner sent about the person (document verification providers take it).
    pub applicant: Option<&'a ApplicantData>,
    /// The browser the person started from, when a browser started it.
    pub device: Option<&'a EndUserDevice>,
}

/// What idgate knows of the browser a person follows a verification in: what BankID is told
/// (its `endUserIp` and web device context) and where its app sends the person back.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EndUserDevice {
    /// The browser's address (behind a trusted proxy, the one it forwarded).
    pub ip: Option<std::net::IpAddr>,
    /// The browser's `User-Agent` header.
    pub user_agent: Option<String>,
    /// A digest of this browser's flow cookie: stable for the browser, naming nobody.
    pub device_id: Option<String>,
    /// The hosted page this browser follows the verification on (`{public_url}/v/{token}`).
    pub page: Option<String>,
}

/// Per-session values a protocol keeps secret between start and callback (PKCE verifier,
/// nonce). The hub derives them from the session with its own key, so nothing is stored.
#[derive(Clone, Copy)]
pub struct FlowSecrets<'a> {
    pub pkce_verifier: &'a str,
    pub nonce: &'a str,
}

impl std::fmt::Debug for FlowSecrets<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FlowSecrets(<redacted>)")
    }
}

/// What an adapter may know about the session when it interprets a result.
#[derive(Clone, Copy, Debug, Default)]
pub struct SessionContext<'a> {
    pub session_id: Option<SessionId>,
    pub user_data: Option<&'a BTreeMap<String, String>>,
    pub match_data: Option<&'a BTreeMap<String, String>>,
    pub secrets: Option<FlowSecrets<'a>>,
    /// Where the provider sent the browser back (`{public_url}/callback/{provider id}`).
    pub callback_url: Option<&'a str>,
    /// What the adapter kept when it started the session.
    pub provider_state: Option<&'a ProviderState>,
}

/// How to continue once a provider session is started.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StartAction {
    /// Send the browser to `url`.
    Redirect {
        url: String,
        provider_reference: Option<String>,
    },
    /// Show an animated QR code (computed by the hosted page every second) and wait.
    Qr { provider_reference: Option<String> },
    /// A request was pushed to the user's app: wait for it.
    Push { provider_reference: Option<String> },
}

/// A started provider session: how to continue, and what the adapter wants kept (sealed)
/// for the later calls of this flow.
#[derive(Clone, Debug, PartialEq)]
pub struct Started {
    pub action: StartAction,
    pub state: Option<ProviderState>,
}

impl From<StartAction> for Started {
    fn from(action: StartAction) -> Self {
        Started {
            action,
            state: None,
        }
    }
}

impl StartAction {
    pub fn provider_reference(&self) -> Option<&str> {
        match self {
            StartAction::Redirect {
                provider_reference, ..
            }
            | StartAction::Qr { provider_reference }
            | StartAction::Push { provider_reference } => provider_reference.as_deref(),
        }
    }
}

/// How a waiting session stands at a provider that is polled.
#[derive(Clone, Debug, PartialEq)]
pub enum Collected {
    /// Still waiting; `hint` is the provider's word for where the person is (BankID's hint
    /// codes), which [`Provider::user_message`] turns into what to show.
    Pending { hint: Option<String> },
    /// The provider decided.
    Decided(Box<ProviderOutcome>),
    /// The provider's order lapsed before the person began (BankID's QR code went unscanned):
    /// the hub starts again at once, in the same attempt, without telling anyone, handing
    /// `carry` to the new start in place of the lapsed order's state.
    Restart { carry: Option<ProviderState> },
}

impl From<Option<ProviderOutcome>> for Collected {
    fn from(outcome: Option<ProviderOutcome>) -> Self {
        match outcome {
            Some(outcome) => Collected::Decided(Box::new(outcome)),
            None => Collected::Pending { hint: None },
        }
    }
}

/// What the browser's return from the provider says.
#[derive(Clone, Debug, PartialEq)]
pub enum Returned {
    /// The provider decided.
    Decided(Box<ProviderOutcome>),
    /// The user finished at the provider, which decides later (a document check): its decision
    /// comes by webhook or by [`Provider::collect`].
    Submitted,
}

impl From<ProviderOutcome> for Returned {
    fn from(outcome: ProviderOutcome) -> Self {
        Returned::Decided(Box::new(outcome))
    }
}

/// Why a provider call failed. Messages are safe to show to the end user.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ProviderError {
    #[error("the provider's answer is invalid: {0}")]
    InvalidCallback(String),
    #[error("the provider could not be reached")]
    Unavailable,
    #[error("provider configuration error: {0}")]
    Config(String),
    /// An inbound notification whose signature (or other proof of origin) does not hold.
    #[error("the notification is not authentic: {0}")]
    NotAuthentic(String),
    /// This provider sends no webhooks.
    #[error("this provider sends no webhooks")]
    NoWebhooks,
    /// The provider would not start, for a reason the person can act on (BankID's
    /// `alreadyInProgress`: another order for them runs). The provider's word, for
    /// [`Provider::ending_message`].
    #[error("the provider would not start ({0})")]
    StartRefused(String),
}

/// A notification a provider pushed to `/providers/{id}/webhook` about one of its sessions,
/// once its adapter has checked where it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct ProviderNotice {
    /// Which session: the `provider_reference` its start returned.
    pub provider_reference: String,
    pub event: NoticeEvent,
}

/// What a provider's notification says happened.
#[derive(Clone, Debug, PartialEq)]
pub enum NoticeEvent {
    /// The user finished at the provider; the decision follows.
    Submitted,
    /// The provider decided.
    Decided(Box<ProviderOutcome>),
    /// Something idgate does not record (an informational event); acknowledged only.
    Informational,
}

/// `max_loa`, which every adapter's table may set: a level 1-5.
pub(crate) fn check_loa(id: &str, max_loa: Option<u8>) -> Result<(), ProviderError> {
    match max_loa {
        Some(loa) if !(1..=5).contains(&loa) => Err(ProviderError::Config(format!(
            "providers.{id}.max_loa must be 1-5"
        ))),
        _ => Ok(()),
    }
}

/// The declared-fields part of [`Provider::check_input`]: `userData` against the provider's
/// fields, and `matchData` only for match-capable providers.
pub fn check_declared(
    info: &ProviderInfo,
    user_data: &BTreeMap<String, String>,
    match_data: &BTreeMap<String, String>,
) -> Result<(), InputError> {
    check_fields("userData", &info.user_data, user_data)?;
    if info.match_capable {
        check_fields("matchData", &info.match_fields, match_data)
    } else if let Some(name) = match_data.keys().next() {
        Err(InputError {
            missing: false,
            field: format!("matchData.{name}"),
            message: "this provider is not match-capable; send no matchData".to_owned(),
        })
    } else {
        Ok(())
    }
}

/// One identity-provider protocol.
#[async_trait]
pub trait Provider: Send + Sync + std::fmt::Debug {
    fn info(&self) -> &ProviderInfo;
    /// Checks the partner's `userData` and `matchData` for this provider at session creation.
    fn check_input(
        &self,
        user_data: &BTreeMap<String, String>,
        match_data: &BTreeMap<String, String>,
    ) -> Result<(), InputError> {
        check_declared(self.info(), user_data, match_data)
    }
    /// Checks an identifier the user typed (push flows) and returns its canonical form.
    fn check_identifier(&self, identifier: &str) -> Result<String, InputError> {
        let _ = identifier;
        Err(InputError {
            missing: false,
            field: "identifier".to_owned(),
            message: "this provider does not take an identifier".to_owned(),
        })
    }
    /// Begins the provider side of a session.
    async fn start(&self, request: &StartRequest<'_>) -> Result<Started, ProviderError>;
    /// Interprets the browser's return to `/callback/{provider id}` (query parameters).
    async fn callback(
        &self,
        params: &BTreeMap<String, String>,
        session: SessionContext<'_>,
    ) -> Result<Returned, ProviderError>;
    /// The text of the QR code to show at `now` (unix seconds) for a started QR flow, from
    /// what `start` kept. Animated codes (BankID's) change every second; `None` when this
    /// provider shows none.
    fn qr_content(&self, session: SessionContext<'_>, now: i64) -> Option<String> {
        let _ = (session, now);
        None
    }
    /// Asks the provider how a started session stands, for protocols the hub must poll
    /// (BankID's `collect`, Veriff's decision fetch). The hosted page's progress requests
    /// drive it, and for providers that [decide later](Provider::decides_later) the decision
    /// check job.
    async fn collect(&self, session: SessionContext<'_>) -> Result<Collected, ProviderError> {
        let _ = session;
        Ok(Collected::Pending { hint: None })
    }
    /// Whether a partner reading a started session asks the provider too (BankID, whose
    /// orders are only known by collecting them: a phone order may have no browser at all).
    fn collects_on_read(&self) -> bool {
        false
    }
    /// A link that opens the provider's app on `device`, the one showing the hosted page, for
    /// a started QR flow (BankID's autostart).
    fn same_device_link(
        &self,
        session: SessionContext<'_>,
        device: &EndUserDevice,
    ) -> Option<String> {
        let _ = (session, device);
        None
    }
    /// What to tell the person while a collect says `hint` (BankID's official user messages),
    /// in language `lang` (a BCP 47 tag) where the provider has it; `None`: idgate's own words.
    fn user_message(&self, hint: &str, lang: &str) -> Option<&'static str> {
        let _ = (hint, lang);
        None
    }
    /// What to tell the person when a session ended at the provider with its status word
    /// `raw_status` (BankID's failure hint codes), in `lang`; `None`: idgate's own result.
    fn ending_message(&self, raw_status: &str, lang: &str) -> Option<&'static str> {
        let _ = (raw_status, lang);
        None
    }
    /// Reads a notification the provider pushed (`POST /providers/{id}/webhook`). The adapter
    /// checks its origin over the raw bytes before it parses anything; the hub finds the
    /// session by the notice's reference and records the event (duplicates change nothing).
    async fn webhook(
        &self,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<ProviderNotice, ProviderError> {
        let _ = (headers, body);
        Err(ProviderError::NoWebhooks)
    }
    /// Whether a session can be submitted here and decided afterwards (a document check):
    /// then the hub asks [`Provider::collect`] about submitted sessions that have waited a
    /// while, so a lost webhook never leaves one pending.
    fn decides_later(&self) -> bool {
        false
    }
    /// Tells the provider that idgate cancelled a started session (the user or the partner
    /// did), so it stops waiting for the user.
    async fn cancel(&self, session: SessionContext<'_>) -> Result<(), ProviderError> {
        let _ = session;
        Ok(())
    }
}
