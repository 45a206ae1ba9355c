//! Provider ids → adapters, built from configuration. Each `[providers.<id>]` table names its
//! adapter (`adapter = "oidc"`) and carries that adapter's own settings, checked by the
//! adapter's configuration type: a key another adapter would take is an error here.

use crate::bankid::BankIdConfig;
use crate::http::HttpClients;
use crate::oidc::OidcConfig;
use crate::sandbox::{SandboxConfig, SandboxKind, SandboxProvider};
use crate::veriff::VeriffConfig;
use crate::{Provider, ProviderError, ProviderInfo};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

/// One `[providers.<id>]` table, tagged by `adapter`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "adapter", rename_all = "snake_case")]
pub enum ProviderConfig {
    /// The built-in redirect simulator: the end user picks the outcome.
    Sandbox(SandboxConfig),
    /// The built-in QR simulator: an animated code and a simulated phone app.
    SandboxQr(SandboxConfig),
    /// The built-in push simulator: an identifier, then a simulated phone app.
    SandboxPush(SandboxConfig),
    /// The built-in match simulator: compares `matchData` with a test registry.
    SandboxMatch(SandboxConfig),
    /// An OpenID Connect provider (national eIDs, brokers).
    Oidc(Box<OidcConfig>),
    /// A Veriff integration (document + selfie), through Veriff's API.
    Veriff(Box<VeriffConfig>),
    /// Swedish BankID, through its RP API v6 over mutual TLS.
    #[serde(rename = "bankid")]
    BankId(Box<BankIdConfig>),
}

impl ProviderConfig {
    /// `enabled = false` takes a provider out of the configuration (tables merge, so this is
    /// how a default provider is removed).
    pub fn enabled(&self) -> bool {
        match self {
            ProviderConfig::Sandbox(c)
            | ProviderConfig::SandboxQr(c)
            | ProviderConfig::SandboxPush(c)
            | ProviderConfig::SandboxMatch(c) => c.enabled,
            ProviderConfig::Oidc(c) => c.enabled,
            ProviderConfig::Veriff(c) => c.enabled,
            ProviderConfig::BankId(c) => c.enabled,
        }
        .unwrap_or(true)
    }

    /// A test provider: a simulator, or one marked `sandbox = true`.
    pub fn is_sandbox(&self) -> bool {
        match self {
            ProviderConfig::Oidc(c) => c.sandbox.unwrap_or(false),
            ProviderConfig::Veriff(c) => c.sandbox.unwrap_or(false),
            ProviderConfig::BankId(c) => c.sandbox.unwrap_or(false),
            _ => true,
        }
    }

    /// The countries whose people the provider serves (empty: any), upper case.
    pub fn countries(&self) -> Vec<String> {
        let countries = match self {
            ProviderConfig::Sandbox(c)
            | ProviderConfig::SandboxQr(c)
            | ProviderConfig::SandboxPush(c)
            | ProviderConfig::SandboxMatch(c) => c.countries.as_ref(),
            ProviderConfig::Oidc(c) => c.countries.as_ref(),
            ProviderConfig::Veriff(c) => c.countries.as_ref(),
            ProviderConfig::BankId(c) => Some(c.countries.as_ref().unwrap_or(&SWEDEN)),
        };
        countries
            .map(|list| list.iter().map(|c| c.trim().to_ascii_uppercase()).collect())
            .unwrap_or_default()
    }

    /// The `adapter` value.
    pub fn adapter(&self) -> &'static str {
        match self {
            ProviderConfig::Sandbox(_) => "sandbox",
            ProviderConfig::SandboxQr(_) => "sandbox_qr",
            ProviderConfig::SandboxPush(_) => "sandbox_push",
            ProviderConfig::SandboxMatch(_) => "sandbox_match",
            ProviderConfig::Oidc(_) => "oidc",
            ProviderConfig::Veriff(_) => "veriff",
            ProviderConfig::BankId(_) => "bankid",
        }
    }
}

/// Where BankID's people are, for a table that names no countries.
static SWEDEN: std::sync::LazyLock<Vec<String>> =
    std::sync::LazyLock::new(|| vec!["SE".to_owned()]);

/// The configured providers.
#[derive(Clone, Debug, Default)]
pub struct ProviderRegistry {
    providers: BTreeMap<String, Arc<dyn Provider>>,
    sandboxes: BTreeMap<String, Arc<SandboxProvider>>,
    /// Provider id → the countries it serves, where configured.
    countries: BTreeMap<String, Vec<String>>,
}

impl ProviderRegistry {
    /// Builds every enabled provider; `clients` gives each adapter its HTTP client. Without
    /// `sandboxes`, test providers are left out entirely.
    pub fn from_config(
        config: &BTreeMap<String, ProviderConfig>,
        clients: &dyn HttpClients,
        sandboxes: bool,
    ) -> Result<Self, ProviderError> {
        let mut registry = ProviderRegistry::default();
        let wanted = config
            .iter()
            .filter(|(_, cfg)| cfg.enabled() && (sandboxes || !cfg.is_sandbox()));
        for (id, cfg) in wanted {
            check_id(id)?;
            let countries = cfg.countries();
            if let Some(bad) = countries
                .iter()
                .find(|c| c.len() != 2 || !c.chars().all(|ch| ch.is_ascii_uppercase()))
            {
                return Err(ProviderError::Config(format!(
                    "providers.{id}.countries: {bad:?} is not an ISO 3166-1 alpha-2 country code (e.g. \"SE\")"
                )));
            }
            if !countries.is_empty() {
                registry.countries.insert(id.clone(), countries);
            }
            let sandbox = |kind: SandboxKind, c: &SandboxConfig| -> Result<_, ProviderError> {
                let label = c.label.clone().unwrap_or_else(|| id.clone());
                Ok(Arc::new(SandboxProvider::new(
                    id,
                    &label,
                    kind,
                    c.settings(id)?,
                )))
            };
            match cfg {
                ProviderConfig::Sandbox(c) => {
                    registry.add_sandbox(sandbox(SandboxKind::Redirect, c)?)
                }
                ProviderConfig::SandboxQr(c) => registry.add_sandbox(sandbox(SandboxKind::Qr, c)?),
                ProviderConfig::SandboxPush(c) => {
                    registry.add_sandbox(sandbox(SandboxKind::Push, c)?)
                }
                ProviderConfig::SandboxMatch(c) => {
                    registry.add_sandbox(sandbox(SandboxKind::Match, c)?)
                }
                ProviderConfig::Oidc(c) => registry.add(Arc::new(c.build(id, clients)?)),
                ProviderConfig::Veriff(c) => registry.add(Arc::new(c.build(id, clients)?)),
                ProviderConfig::BankId(c) => registry.add(Arc::new(c.build(id, clients)?)),
            }
        }
        Ok(registry)
    }

    /// Registers an adapter built elsewhere (an embedder's own protocol; the port's tests).
    pub fn add(&mut self, provider: Arc<dyn Provider>) {
        self.providers.insert(provider.info().id.clone(), provider);
    }

    fn add_sandbox(&mut self, sandbox: Arc<SandboxProvider>) {
        self.sandboxes
            .insert(sandbox.info().id.clone(), sandbox.clone());
        self.add(sandbox);
    }

    pub fn get(&self, id: &str) -> Option<&Arc<dyn Provider>> {
        self.providers.get(id)
    }

    /// The provider as a simulator, when it is one (the simulator pages need its settings).
    pub fn sandbox(&self, id: &str) -> Option<&SandboxProvider> {
        self.sandboxes.get(id).map(Arc::as_ref)
    }

    /// The countries whose people provider `id` serves; empty: any.
    pub fn countries(&self, id: &str) -> &[String] {
        self.countries.get(id).map_or(&[], Vec::as_slice)
    }

    pub fn infos(&self) -> impl Iterator<Item = &ProviderInfo> {
        self.providers.values().map(|p| p.info())
    }
}

fn check_id(id: &str) -> Result<(), ProviderError> {
    let valid = !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if valid {
        Ok(())
    } else {
        Err(ProviderError::Config(format!(
            "provider id {id:?} must be 1-64 characters of a-z, 0-9, - and _"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(value: serde_json::Value) -> BTreeMap<String, ProviderConfig> {
        let cfg: ProviderConfig = serde_json::from_value(value).unwrap_or_else(|e| panic!("{e}"));
        BTreeMap::from([("eid".to_owned(), cfg)])
    }

    /// Plain clients with no policy; building a TLS client is not what these tests check.
    struct Plain;

    impl HttpClients for Plain {
        fn shared(&self) -> reqwest::Client {
            reqwest::Client::new()
        }
        fn with_tls(&self, _: &crate::ClientTls) -> Result<reqwest::Client, ProviderError> {
            Ok(reqwest::Client::new())
        }
        fn guard(&self) -> crate::UrlGuard {
            Arc::new(|_: &url::Url| Ok(()))
        }
    }

    fn error(value: serde_json::Value) -> String {
        match ProviderRegistry::from_config(&config(value), &Plain, true) {
            Ok(_) => String::new(),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn oidc_settings_are_checked_and_name_the_key() {
        let base = serde_json::json!({
            "adapter": "oidc", "issuer": "https://eid.example.com", "client_id": "c",
            "client_secret": "s", "acr_values": {"3": "substantial"}, "acr_loa": {"substantial": 3}
        });
        assert_eq!(error(base.clone()), "");
        let registry = ProviderRegistry::from_config(&config(base.clone()), &Plain, true)
            .unwrap_or_else(|e| panic!("{e}"));
        let info = registry.get("eid").map(|p| p.info().clone());
        assert_eq!(
            info.as_ref().map(|i| i.max_loa),
            Some(3),
            "from the acr map"
        );
        assert_eq!(info.map(|i| i.sandbox), Some(false));

        let without = |key: &str| {
            let mut v = base.clone();
            v.as_object_mut().map(|m| m.remove(key));
            error(v)
        };
        for key in ["issuer", "client_id", "client_secret"] {
            assert!(
                without(key).contains(&format!("providers.eid.{key}")),
                "{key}"
            );
        }
        let mut bad = base.clone();
        bad["acr_values"] = serde_json::json!({"high": "x"});
        assert!(error(bad).contains("acr_values"));
        let mut bad = base.clone();
        bad["acr_loa"] = serde_json::json!({"x": 9});
        assert!(error(bad).contains("acr_loa"));
        let mut bad = base.clone();
        bad["id_token_algs"] = serde_json::json!(["none"]);
        assert!(error(bad).contains("none"));
        let mut bad = base;
        bad["issuer"] = serde_json::json!("not a url");
        assert!(error(bad).contains("issuer"));
    }

    #[test]
    fn each_adapter_takes_only_its_own_keys() {
        let sandbox = serde_json::json!({"adapter": "sandbox_qr", "qr_validity_secs": 5});
        let parsed: Result<ProviderConfig, _> = serde_json::from_value(sandbox);
        assert!(
            matches!(parsed, Ok(ProviderConfig::SandboxQr(c)) if c.qr_validity_secs == Some(5))
        );
        let mixed = serde_json::json!({"adapter": "sandbox", "issuer": "https://eid.example.com"});
        let parsed: Result<ProviderConfig, _> = serde_json::from_value(mixed);
        assert!(
            parsed
                .as_ref()
                .err()
                .is_some_and(|e| e.to_string().contains("issuer")),
            "{parsed:?}"
        );
        let unknown = serde_json::json!({"adapter": "carrier-pigeon"});
        let parsed: Result<ProviderConfig, _> = serde_json::from_value(unknown);
        assert!(parsed.is_err());
        let bad_loa = serde_json::json!({"adapter": "sandbox_push", "max_loa": 7});
        assert!(error(bad_loa).contains("providers.eid.max_loa"));
    }
}
