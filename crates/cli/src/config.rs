//! Configuration layering: embedded defaults → TOML file → `IDGATE_*` environment → flags.

use anyhow::Context;
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use idgate_hub::Settings;
use std::path::Path;

pub const DEFAULTS: &str = include_str!("../idgate.default.toml");

/// The top-level sections of the configuration, read from the embedded defaults so a new
/// section cannot be forgotten here (a test checks they are exactly `Settings`' fields).
fn sections() -> Vec<String> {
    Figment::from(Toml::string(DEFAULTS))
        .extract::<figment::value::Dict>()
        .map(|dict| dict.into_keys().collect())
        .unwrap_or_default()
}

/// `IDGATE_*` variables that are not configuration keys but read by name elsewhere: the
/// config-file flag, and the test and benchmark harnesses' own switches.
const NOT_CONFIGURATION: [&str; 1] = ["IDGATE_CONFIG"];
const HARNESS_PREFIXES: [&str; 2] = ["IDGATE_TEST_", "IDGATE_BENCH_"];

/// Whether an environment variable name configures a key (`IDGATE_<SECTION>__…`).
fn configures(name: &str, sections: &[String]) -> bool {
    let Some(rest) = name.strip_prefix("IDGATE_") else {
        return false;
    };
    let rest = rest.to_ascii_lowercase();
    sections
        .iter()
        .any(|section| rest.starts_with(&format!("{section}__")))
}

/// The `IDGATE_*` variables in this environment that configure nothing: a typo such as
/// `IDGATE_WEBHOOK__CONCURRENCY` or `IDGATE_SERVER_LISTEN` would otherwise be ignored silently.
pub fn unknown_environment() -> Vec<String> {
    let sections = sections();
    let mut unknown: Vec<String> = std::env::vars_os()
        .filter_map(|(name, _)| name.into_string().ok())
        .filter(|name| name.starts_with("IDGATE_"))
        .filter(|name| !NOT_CONFIGURATION.contains(&name.as_str()))
        .filter(|name| !HARNESS_PREFIXES.iter().any(|p| name.starts_with(p)))
        .filter(|name| !configures(name, &sections))
        .collect();
    unknown.sort();
    unknown
}

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
    // Only `IDGATE_<SECTION>__…` variables configure; others (IDGATE_CONFIG, a harness's
    // IDGATE_TEST_DB) are not configuration keys and must not be read as such.
    let sections = sections();
    figment = figment.merge(
        Env::prefixed("IDGATE_")
            .filter(move |key| {
                let key = key.as_str().to_ascii_lowercase();
                sections
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
    fn every_settings_section_is_read_from_the_environment() {
        let settings = load(None, Vec::new()).unwrap_or_else(|e| panic!("{e:#}"));
        let json = serde_json::to_value(&settings).unwrap_or_else(|e| panic!("{e}"));
        let mut fields: Vec<String> = json
            .as_object()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default();
        fields.sort();
        let mut known = sections();
        known.sort();
        assert_eq!(known, fields);
    }

    #[test]
    fn only_section_keys_configure() {
        let sections = sections();
        assert!(configures("IDGATE_WEBHOOKS__CONCURRENCY", &sections));
        assert!(configures("IDGATE_OUTBOUND__TIMEOUT", &sections));
        assert!(!configures("IDGATE_WEBHOOK__CONCURRENCY", &sections));
        assert!(!configures("IDGATE_SERVER_LISTEN", &sections));
        assert!(!configures("IDGATE_CONFIG", &sections));
    }

    #[test]
    fn an_invite_channel_must_be_complete_and_its_secrets_are_not_shown() {
        let problem = |overrides: Overrides| {
            load(None, overrides)
                .err()
                .map(|e| format!("{e:#}"))
                .unwrap_or_default()
        };
        let host = || ("invites.email.host", "smtp.example.com".into());
        // No sender; then a sender that is not an address.
        assert!(problem(vec![host()]).contains("invites.email.from"));
        let from = || ("invites.email.from", "Acme <verify@acme.example>".into());
        assert!(
            problem(vec![host(), ("invites.email.from", "nobody".into())])
                .contains("invites.email.from")
        );
        // A user without a password; plain SMTP to another host.
        assert!(
            problem(vec![host(), from(), ("invites.email.username", "u".into())])
                .contains("invites.email.username")
        );
        assert!(
            problem(vec![host(), from(), ("invites.email.tls", "none".into())])
                .contains("only for a relay on this host")
        );
        // An SMS gateway over http elsewhere, or without its credentials.
        let gateway = |url: &str| ("invites.sms.base_url", url.into());
        assert!(problem(vec![gateway("http://sms.example.com")]).contains("use https"));
        assert!(
            problem(vec![gateway("https://api.twilio.com")]).contains("invites.sms.account_sid")
        );
        let settings = load(
            None,
            vec![
                host(),
                from(),
                ("invites.email.username", "u".into()),
                ("invites.email.password", "smtp-secret".into()),
                gateway("https://api.twilio.com"),
                ("invites.sms.account_sid", "AC1".into()),
                ("invites.sms.auth_token", "sms-secret".into()),
                ("invites.sms.from", "+15005550006".into()),
            ],
        )
        .unwrap_or_else(|e| panic!("{e:#}"));
        let shown = settings.for_display().to_string();
        assert!(
            !shown.contains("smtp-secret") && !shown.contains("sms-secret"),
            "{shown}"
        );
        assert!(shown.contains("***"));
    }

    #[test]
    fn a_missing_config_file_is_an_error() {
        assert!(load(Some(Path::new("/nonexistent/idgate.toml")), Vec::new()).is_err());
    }
}
