//! Provider ids → adapters, built from configuration.

use crate::sandbox::{SandboxKind, SandboxProvider, SandboxSettings};
use crate::{Provider, ProviderError, ProviderInfo};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Which protocol implementation serves a provider id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdapterKind {
    /// The built-in redirect simulator: the end user picks the outcome.
    Sandbox,
    /// The built-in QR simulator: an animated code and a simulated phone app.
    SandboxQr,
    /// The built-in push simulator: an identifier, then a simulated phone app.
    SandboxPush,
    /// The built-in match simulator: compares `matchData` with a test registry.
    SandboxMatch,
}

/// One `[providers.<id>]` table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderConfig {
    pub adapter: AdapterKind,
    /// Shown to end users; defaults to the id.
    #[serde(default)]
    pub label: Option<String>,
    /// Highest level of assurance (1-5) the provider reaches (simulators: default 3).
    #[serde(default)]
    pub max_loa: Option<u8>,
    /// Claims the provider can deliver (simulators: a default per flow kind).
    #[serde(default)]
    pub claims: Option<Vec<String>>,
    /// QR simulator: seconds a shown code stays acceptable (default 10).
    #[serde(default)]
    pub qr_validity_secs: Option<u32>,
}

/// The configured providers.
#[derive(Clone, Debug, Default)]
pub struct ProviderRegistry {
    providers: BTreeMap<String, Arc<dyn Provider>>,
    sandboxes: BTreeMap<String, Arc<SandboxProvider>>,
}

impl ProviderRegistry {
    pub fn from_config(config: &BTreeMap<String, ProviderConfig>) -> Result<Self, ProviderError> {
        let mut providers: BTreeMap<String, Arc<dyn Provider>> = BTreeMap::new();
        let mut sandboxes = BTreeMap::new();
        for (id, cfg) in config {
            let valid = !id.is_empty()
                && id.len() <= 64
                && id
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
            if !valid {
                return Err(ProviderError::Config(format!(
                    "provider id {id:?} must be 1-64 characters of a-z, 0-9, - and _"
                )));
            }
            let label = cfg.label.clone().unwrap_or_else(|| id.clone());
            if let Some(loa) = cfg.max_loa
                && !(1..=5).contains(&loa)
            {
                return Err(ProviderError::Config(format!(
                    "providers.{id}.max_loa must be 1-5"
                )));
            }
            let defaults = SandboxSettings::default();
            let settings = SandboxSettings {
                max_loa: cfg.max_loa.unwrap_or(defaults.max_loa),
                claims: cfg.claims.clone(),
                qr_validity_secs: cfg.qr_validity_secs.unwrap_or(defaults.qr_validity_secs),
            };
            let kind = match cfg.adapter {
                AdapterKind::Sandbox => SandboxKind::Redirect,
                AdapterKind::SandboxQr => SandboxKind::Qr,
                AdapterKind::SandboxPush => SandboxKind::Push,
                AdapterKind::SandboxMatch => SandboxKind::Match,
            };
            let sandbox = Arc::new(SandboxProvider::new(id, &label, kind, settings));
            let provider: Arc<dyn Provider> = sandbox.clone();
            providers.insert(id.clone(), provider);
            sandboxes.insert(id.clone(), sandbox);
        }
        Ok(ProviderRegistry {
            providers,
            sandboxes,
        })
    }

    pub fn get(&self, id: &str) -> Option<&Arc<dyn Provider>> {
        self.providers.get(id)
    }

    /// The provider as a simulator, when it is one (the simulator pages need its settings).
    pub fn sandbox(&self, id: &str) -> Option<&SandboxProvider> {
        self.sandboxes.get(id).map(Arc::as_ref)
    }

    pub fn infos(&self) -> impl Iterator<Item = &ProviderInfo> {
        self.providers.values().map(|p| p.info())
    }
}
