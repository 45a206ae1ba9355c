//! Identity-provider adapters. Each protocol is one implementation of [`Provider`]; a provider
//! *id* in configuration (`veriff`, `bankid`, `sandbox`, …) binds an adapter to its settings.
//! The hosted flow and the provider callbacks talk to adapters only through this trait.

pub mod registry;
pub mod sandbox;

use async_trait::async_trait;
use idgate_core::SessionId;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub use registry::{AdapterKind, ProviderConfig, ProviderRegistry};

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
}

/// How to continue once a provider session is started.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StartAction {
    /// Send the browser to `url`.
    Redirect {
        url: String,
        provider_reference: Option<String>,
    },
}

/// The decision a provider reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Approved,
    Declined,
    ResubmissionRequested,
    Review,
    /// The user cancelled at the provider.
    Cancelled,
    /// The provider failed technically.
    Failed,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Approved => "approved",
            Decision::Declined => "declined",
            Decision::ResubmissionRequested => "resubmission_requested",
            Decision::Review => "review",
            Decision::Cancelled => "cancelled",
            Decision::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Decision::Approved,
            Decision::Declined,
            Decision::ResubmissionRequested,
            Decision::Review,
            Decision::Cancelled,
            Decision::Failed,
        ]
        .into_iter()
        .find(|d| d.as_str() == s)
    }
}

/// What a provider returned for a session, in idgate's terms.
#[derive(Clone, Debug, PartialEq)]
pub struct ProviderOutcome {
    pub decision: Decision,
    pub reason: Option<String>,
    pub raw_status: Option<String>,
    pub achieved_loa: Option<u8>,
    pub claims: Option<serde_json::Map<String, serde_json::Value>>,
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
}

/// One identity-provider protocol.
#[async_trait]
pub trait Provider: Send + Sync + std::fmt::Debug {
    fn info(&self) -> &ProviderInfo;
    /// Begins the provider side of a session.
    async fn start(&self, request: &StartRequest<'_>) -> Result<StartAction, ProviderError>;
    /// Interprets the browser's return to `/callback/{provider id}` (query parameters).
    async fn callback(
        &self,
        params: &BTreeMap<String, String>,
    ) -> Result<ProviderOutcome, ProviderError>;
}
