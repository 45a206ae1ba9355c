//! Provider ids → adapters, built from configuration.

use crate::oidc::{ClientAuth, OidcProvider, OidcSettings};
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
    /// An OpenID Connect provider (national eIDs, brokers).
    Oidc,
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
    /// OIDC: the issuer (discovery at `{issuer}/.well-known/openid-configuration`).
    #[serde(default)]
    pub issuer: Option<String>,
    #[serde(default)]
    pub client_id: Option<String>,
    /// OIDC: better set through the environment (`IDGATE_PROVIDERS__<ID>__CLIENT_SECRET`).
    #[serde(default)]
    pub client_secret: Option<String>,
    /// OIDC: `client_secret_basic` (default) or `client_secret_post`.
    #[serde(default)]
    pub client_auth: Option<ClientAuth>,
    /// OIDC: scopes besides `openid`.
    #[serde(default)]
    pub scopes: Option<Vec<String>>,
    /// OIDC: level of assurance ("1"-"5") → the `acr_values` to request for it.
    #[serde(default)]
    pub acr_values: Option<BTreeMap<String, String>>,
    /// OIDC: returned `acr` → level of assurance.
    #[serde(default)]
    pub acr_loa: Option<BTreeMap<String, u8>>,
    /// OIDC: provider claim name → idgate claim name.
    #[serde(default)]
    pub claim_map: Option<BTreeMap<String, String>>,
    /// OIDC: accepted ID-token algorithms (default RS256, PS256, ES256).
    #[serde(default)]
    pub id_token_algs: Option<Vec<String>>,
}

/// The configured providers.
#[derive(Clone, Debug, Default)]
pub struct ProviderRegistry {
    providers: BTreeMap<String, Arc<dyn Provider>>,
    sandboxes: BTreeMap<String, Arc<SandboxProvider>>,
}

impl ProviderRegistry {
    /// Builds every configured provider; `http` is the client adapters call providers with.
    pub fn from_config(
        config: &BTreeMap<String, ProviderConfig>,
        http: &reqwest::Client,
        guard: &crate::UrlGuard,
    ) -> Result<Self, ProviderError> {
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
                AdapterKind::Oidc => {
                    let provider = oidc_provider(id, &label, cfg, http, guard)?;
                    providers.insert(id.clone(), Arc::new(provider));
                    continue;
                }
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

fn oidc_provider(
    id: &str,
    label: &str,
    cfg: &ProviderConfig,
    http: &reqwest::Client,
    guard: &crate::UrlGuard,
) -> Result<OidcProvider, ProviderError> {
    let required = |value: &Option<String>, key: &str| {
        value.clone().filter(|v| !v.is_empty()).ok_or_else(|| {
            ProviderError::Config(format!(
                "providers.{id}.{key} is required for the oidc adapter"
            ))
        })
    };
    let acr_for_loa = cfg
        .acr_values
        .clone()
        .unwrap_or_default()
        .into_iter()
        .map(|(loa, acr)| match loa.parse::<u8>() {
            Ok(n) if (1..=5).contains(&n) => Ok((n, acr)),
            _ => Err(ProviderError::Config(format!(
                "providers.{id}.acr_values: key {loa:?} must be a level 1-5"
            ))),
        })
        .collect::<Result<BTreeMap<_, _>, _>>()?;
    let loa_for_acr = cfg.acr_loa.clone().unwrap_or_default();
    if let Some((acr, loa)) = loa_for_acr.iter().find(|(_, l)| !(1..=5).contains(*l)) {
        return Err(ProviderError::Config(format!(
            "providers.{id}.acr_loa: {acr:?} maps to {loa}, not a level 1-5"
        )));
    }
    let max_loa = cfg
        .max_loa
        .or_else(|| loa_for_acr.values().max().copied())
        .unwrap_or(1);
    let claims = cfg.claims.clone().unwrap_or_else(|| {
        ["name", "given_name", "family_name", "birthdate"]
            .map(String::from)
            .to_vec()
    });
    let settings = OidcSettings {
        issuer: required(&cfg.issuer, "issuer")?,
        client_id: required(&cfg.client_id, "client_id")?,
        client_secret: required(&cfg.client_secret, "client_secret")?,
        client_auth: cfg.client_auth.unwrap_or_default(),
        scopes: cfg
            .scopes
            .clone()
            .unwrap_or_else(|| vec!["profile".to_owned()]),
        acr_for_loa,
        loa_for_acr,
        claim_map: cfg.claim_map.clone().unwrap_or_default(),
        algorithms: cfg
            .id_token_algs
            .clone()
            .unwrap_or_else(|| ["RS256", "PS256", "ES256"].map(String::from).to_vec()),
    };
    OidcProvider::new(
        crate::oidc::provider_info(id, label, max_loa, claims),
        settings,
        crate::oidc::Http {
            client: http.clone(),
            guard: guard.clone(),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(value: serde_json::Value) -> BTreeMap<String, ProviderConfig> {
        let cfg: ProviderConfig = serde_json::from_value(value).unwrap_or_else(|e| panic!("{e}"));
        BTreeMap::from([("eid".to_owned(), cfg)])
    }

    fn open() -> crate::UrlGuard {
        Arc::new(|_: &url::Url| Ok(()))
    }

    fn error(value: serde_json::Value) -> String {
        match ProviderRegistry::from_config(&config(value), &reqwest::Client::new(), &open()) {
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
        let registry =
            ProviderRegistry::from_config(&config(base.clone()), &reqwest::Client::new(), &open())
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
}
