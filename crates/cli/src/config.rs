//! Configuration layering: embedded defaults → TOML file → `IDGATE_*` environment → flags.

use anyhow::Context;
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use idgate_hub::Settings;
use std::path::Path;

pub const DEFAULTS: &str = include_str!("../idgate.default.toml");

/// The top-level sections of the configuration.
const SECTIONS: [&str; 8] = [
    "server",
    "database",
    "keys",
    "sessions",
    "api",
    "demo",
    "providers",
    "dialects",
];

/// Flag values that override every other layer (dotted keys).
pub type Overrides = Vec<(&'static str, serde_json::Value)>;

pub fn load(file: Option<&Path>, overrides: Overrides) -> anyhow::Result<Settings> {
    let mut figment = Figment::from(Toml::string(DEFAULTS));
    match file {
        Some(path) => {
            anyhow::ensure!(
                path.exists(),
                "configuration file {} does not exist",
                path.display()
            );
            figment = figment.merge(Toml::file_exact(path));
        }
        None if Path::new("idgate.toml").exists() => {
            figment = figment.merge(Toml::file_exact("idgate.toml"));
        }
        None => {}
    }
    // Only `IDGATE_<SECTION>__…` variables configure; others (IDGATE_CONFIG, a tool's own
    // IDGATE_SOMETHING) are not configuration keys and must not be read as such.
    figment = figment.merge(
        Env::prefixed("IDGATE_")
            .filter(|key| {
                let key = key.as_str().to_ascii_lowercase();
                SECTIONS
                    .iter()
                    .any(|section| key.starts_with(&format!("{section}__")))
            })
            .split("__"),
    );
    for (key, value) in overrides {
        figment = figment.merge(Serialized::default(key, value));
    }
    let settings: Settings = figment.extract().map_err(|e| {
        let messages: Vec<String> = e.into_iter().map(|e| e.to_string()).collect();
        anyhow::anyhow!("invalid configuration: {}", messages.join("; "))
    })?;
    settings.validate().context("checking the configuration")?;
    Ok(settings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_layers_override() {
        let settings = load(None, vec![("server.listen", "127.0.0.1:9999".into())]);
        let settings = settings.unwrap_or_else(|e| panic!("{e:#}"));
        assert_eq!(settings.server.listen.port(), 9999);
        assert_eq!(settings.sessions.lifetime, "7d");
        assert!(settings.providers.contains_key("veriff"));
    }

    #[test]
    fn bad_values_name_the_key() {
        let err = load(None, vec![("sessions.lifetime", "seven days".into())]);
        let text = err.err().map(|e| format!("{e:#}")).unwrap_or_default();
        assert!(text.contains("sessions.lifetime"), "{text}");
        let err = load(None, vec![("server.listen", "nowhere".into())]);
        assert!(err.is_err());
        let err = load(
            None,
            vec![("dialects.easyfreelance.providers.veriff", "missing".into())],
        );
        let text = err.err().map(|e| format!("{e:#}")).unwrap_or_default();
        assert!(text.contains("not configured"), "{text}");
    }

    #[test]
    fn a_missing_config_file_is_an_error() {
        assert!(load(Some(Path::new("/nonexistent/idgate.toml")), Vec::new()).is_err());
    }
}
