//! Provider ids → adapters, built from configuration.

use crate::sandbox::SandboxProvider;
use crate::{Provider, ProviderError, ProviderInfo};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Which protocol implementation serves a provider id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdapterKind {
    /// The built-in simulator: the end user picks the outcome.
    Sandbox,
}

/// One `[providers.<id>]` table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderConfig {
    pub adapter: AdapterKind,
    /// Shown to end users; defaults to the id.
    #[serde(default)]
    pub label: Option<String>,
}

/// The configured providers.
#[derive(Clone, Debug, Default)]
pub struct ProviderRegistry {
    providers: BTreeMap<String, Arc<dyn Provider>>,
}

impl ProviderRegistry {
    pub fn from_config(config: &BTreeMap<String, ProviderConfig>) -> Result<Self, ProviderError> {
        let mut providers: BTreeMap<String, Arc<dyn Provider>> = BTreeMap::new();
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
            let provider: Arc<dyn Provider> = match cfg.adapter {
                AdapterKind::Sandbox => Arc::new(SandboxProvider::new(id, &label)),
            };
            providers.insert(id.clone(), provider);
        }
        Ok(ProviderRegistry { providers })
    }

    pub fn get(&self, id: &str) -> Option<&Arc<dyn Provider>> {
        self.providers.get(id)
    }

    pub fn infos(&self) -> impl Iterator<Item = &ProviderInfo> {
        self.providers.values().map(|p| p.info())
    }
}
