//! A real OpenID Provider for the OIDC tests: panva's `oidc-provider` from the npm fixture
//! (`crates/testkit/fixtures/oidc-provider`, installed by `scripts/test`), and idgate configured
//! for it.

use crate::TestApp;
use serde_json::{Value, json};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};

pub const LOW: &str = "http://eidas.europa.eu/LoA/low";
pub const SUBSTANTIAL: &str = "http://eidas.europa.eu/LoA/substantial";
pub const HIGH: &str = "http://eidas.europa.eu/LoA/high";

pub fn fixture() -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/oidc-provider");
    assert!(
        dir.join("node_modules/oidc-provider").exists(),
        "oidc-provider is not installed: run scripts/test (it runs npm ci in {})",
        dir.display()
    );
    dir
}

pub use crate::free_port;

/// A running `oidc-provider`.
#[derive(Debug)]
pub struct Op {
    child: tokio::process::Child,
    pub issuer: String,
}

impl Op {
    pub async fn start(port: u16, redirect_uri: &str, env: &[(&str, &str)]) -> Op {
        let issuer = format!("http://127.0.0.1:{port}");
        let mut command = tokio::process::Command::new("node");
        command
            .arg("op.mjs")
            .current_dir(fixture())
            .env("OP_PORT", port.to_string())
            .env("OP_ISSUER", &issuer)
            .env("OP_REDIRECT_URIS", redirect_uri)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true);
        for (k, v) in env {
            command.env(k, v);
        }
        let mut child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start node: {e}"));
        let stdout = child.stdout.take().unwrap_or_else(|| panic!("no stdout"));
        let mut lines = BufReader::new(stdout).lines();
        // Generous: under the whole suite (Chromium, two databases) node starts slowly.
        let ready = tokio::time::timeout(Duration::from_secs(60), async {
            while let Ok(Some(line)) = lines.next_line().await {
                if line.starts_with("ready ") {
                    return true;
                }
            }
            false
        })
        .await;
        assert_eq!(ready, Ok(true), "oidc-provider did not start");
        // Keep draining its output so it never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Op { child, issuer }
    }

    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}

/// The provider configuration idgate gets for the test eID.
pub fn oidc_provider(issuer: &str, extra: Value) -> idgate_providers::ProviderConfig {
    let mut config = json!({
        "adapter": "oidc",
        "label": "Test eID",
        "issuer": issuer,
        "client_id": "idgate-test",
        "client_secret": "idgate-test-secret",
        "scopes": ["profile", "eid"],
        "claims": ["name", "given_name", "family_name", "birthdate", "personal_identity_number", "country"],
        "acr_values": {"2": LOW, "3": SUBSTANTIAL, "4": HIGH},
        "acr_loa": {LOW: 2, SUBSTANTIAL: 3, HIGH: 4},
    });
    if let (Some(c), Some(e)) = (config.as_object_mut(), extra.as_object()) {
        c.extend(e.clone());
    }
    serde_json::from_value(config).unwrap_or_else(|e| panic!("provider config: {e}"))
}

/// idgate with a `testeid` OIDC provider at `issuer`.
pub async fn app_with_eid(issuer: &str, extra: Value) -> TestApp {
    let provider = oidc_provider(issuer, extra);
    TestApp::spawn_with(move |s| {
        s.providers.insert("testeid".into(), provider);
    })
    .await
}
