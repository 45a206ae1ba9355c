//! The real `idgate` binary: admin commands with `--json`, and a served flow whose logs must
//! not contain any secret, token or personal datum.

use serde_json::Value;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

const BIN: &str = env!("CARGO_BIN_EXE_idgate");

fn command(dir: &Path) -> Command {
    let mut c = Command::new(BIN);
    c.current_dir(dir)
        .env_remove("RUST_LOG")
        .env(
            "IDGATE_DATABASE__URL",
            format!("sqlite://{}/db/idgate.db", dir.display()),
        )
        .env("IDGATE_KEYS__FILE", dir.join("db/idgate.keys"))
        .kill_on_drop(true);
    c
}

async fn run(dir: &Path, args: &[&str]) -> (bool, String, String) {
    let out = command(dir)
        .args(args)
        .output()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

async fn run_json(dir: &Path, args: &[&str]) -> Value {
    let (ok, stdout, stderr) = run(dir, args).await;
    assert!(ok, "idgate {args:?} failed: {stderr}");
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("idgate {args:?}: {e}: {stdout}"))
}

#[tokio::test]
async fn admin_commands_speak_json_and_refuse_bad_input_clearly() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let d = dir.path();
    assert_eq!(run_json(d, &["migrate", "--json"]).await["migrated"], true);
    let created = run_json(
        d,
        &[
            "partner",
            "create",
            "Acme AS",
            "--tier",
            "enterprise",
            "--json",
        ],
    )
    .await;
    assert_eq!(created["tier"], "enterprise");
    assert!(
        created["easyfreelance"]["access_token"]
            .as_str()
            .is_some_and(|t| t.starts_with("idg_pat_"))
    );
    assert!(
        uuid::Uuid::parse_str(
            created["easyfreelance"]["api_key"]
                .as_str()
                .unwrap_or_default()
        )
        .is_ok()
    );
    let partners = run_json(d, &["partner", "list", "--json"]).await;
    assert_eq!(partners[0]["name"], "Acme AS");
    assert_eq!(
        run_json(d, &["return-url", "list", "--status", "pending", "--json"]).await,
        Value::Array(vec![])
    );

    let (ok, _, stderr) = run(d, &["return-url", "approve", "nonsense"]).await;
    assert!(!ok && stderr.contains("not a return-URL id"), "{stderr}");
    let (ok, _, stderr) = run(
        d,
        &["return-url", "approve", &uuid::Uuid::new_v4().to_string()],
    )
    .await;
    assert!(!ok && stderr.contains("not found"), "{stderr}");
    let (ok, _, stderr) = run(d, &["session", "show", "nonsense"]).await;
    assert!(!ok && stderr.contains("not a session id"), "{stderr}");
    let (ok, _, stderr) = run(d, &["partner", "create", "X", "--tier", "gold"]).await;
    assert!(!ok && stderr.contains("gold"), "{stderr}");

    // Configuration errors name the key and how to fix it.
    let (ok, _, stderr) = run(d, &["migrate", "--database-url", "mysql://localhost/x"]).await;
    assert!(!ok && stderr.contains("database.url"), "{stderr}");
    let mut c = command(d);
    let out = c
        .args(["migrate"])
        .env("IDGATE_SESSIONS__LIFETIME", "forever")
        .output()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && stderr.contains("sessions.lifetime"),
        "{stderr}"
    );
    let config = run_json(d, &["config"]).await;
    assert_eq!(config["sessions"]["lifetime"], "7d");
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("{e}"))
}

/// Starts `idgate serve` and returns it with everything it printed before it was ready.
async fn serve(dir: &Path, port: u16) -> (Child, String) {
    let mut child = command(dir)
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--public-url",
            &format!("http://127.0.0.1:{port}"),
        ])
        .env("RUST_LOG", "debug,hyper=info,hyper_util=info")
        .env("IDGATE_SERVER__LOG_FORMAT", "json")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let stdout = child.stdout.take().unwrap_or_else(|| panic!("no stdout"));
    let mut lines = BufReader::new(stdout).lines();
    let mut printed = String::new();
    let ready = tokio::time::timeout(Duration::from_secs(30), async {
        while let Ok(Some(line)) = lines.next_line().await {
            printed.push_str(&line);
            printed.push('\n');
            if line.starts_with("curl ") {
                return true;
            }
        }
        false
    })
    .await;
    assert_eq!(ready.ok(), Some(true), "idgate did not start: {printed}");
    (child, printed)
}

fn after<'a>(text: &'a str, label: &str) -> &'a str {
    text.lines()
        .find_map(|l| l.trim().strip_prefix(label))
        .map(str::trim)
        .unwrap_or_default()
}

#[tokio::test]
async fn serving_a_flow_logs_no_secret_token_or_personal_data() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let port = free_port();
    let (child, printed) = serve(dir.path(), port).await;
    let base = format!("http://127.0.0.1:{port}");
    let token = after(&printed, "access token:").to_owned();
    let api_key = after(&printed, "API-key:").to_owned();
    assert!(token.starts_with("idg_pat_"), "{printed}");
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_else(|e| panic!("{e}"));

    // The printed curl line's request, done here.
    let created: Value = http
        .post(format!("{base}/api/v1/users/42/verification/flows"))
        .bearer_auth(&token)
        .header("API-key", &api_key)
        .json(&serde_json::json!({"provider": "veriff", "id_type": "local", "partner_return_url": format!("{base}/demo/return")}))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .json()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let vurl = created["verification_url"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let id = created["verification_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let access_token = vurl.rsplit('/').next().unwrap_or_default().to_owned();
    let start = http
        .post(format!("{vurl}/start"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let sandbox = start
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let state = sandbox
        .split("state=")
        .nth(1)
        .unwrap_or_default()
        .to_owned();
    let back = http
        .get(format!(
            "{base}/callback/veriff?state={state}&outcome=approved"
        ))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let landing = back
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let result_token = landing
        .split("result_token=")
        .nth(1)
        .unwrap_or_default()
        .to_owned();
    assert!(landing.contains("status=approved"), "{landing}");
    // The demo page checks the token.
    let demo = http
        .get(&landing)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .text()
        .await
        .unwrap_or_default();
    assert!(demo.contains("valid: signature"), "{demo}");
    // Unauthenticated calls with a wrong key are logged too; the key must not be.
    let _ = http
        .get(format!("{base}/api/v1/verification/status/{id}"))
        .bearer_auth(&token)
        .header("API-key", "00000000-0000-4000-8000-000000000000")
        .send()
        .await;

    // An operator can inspect the session while the server runs.
    let shown = run_json(dir.path(), &["session", "show", &id, "--json"]).await;
    assert_eq!(shown["status"], "approved");
    let path: Vec<_> = shown["events"]
        .as_array()
        .map(|e| e.iter().map(|x| x["to"].clone()).collect())
        .unwrap_or_default();
    assert_eq!(path, vec!["created", "started", "submitted", "approved"]);

    // Graceful stop, then read every log line.
    let pid = child.id().unwrap_or_default().to_string();
    let _ = Command::new("kill").args(["-TERM", &pid]).status().await;
    let out = tokio::time::timeout(Duration::from_secs(20), child.wait_with_output())
        .await
        .unwrap_or_else(|_| panic!("idgate did not stop on SIGTERM"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(out.status.success(), "exit: {:?}", out.status);
    let logs = String::from_utf8_lossy(&out.stderr);
    assert!(logs.lines().count() > 5, "expected request logs: {logs}");
    assert!(
        logs.lines()
            .all(|l| serde_json::from_str::<Value>(l).is_ok()),
        "JSON logs: {logs}"
    );
    assert!(
        logs.contains("/api/v1/users/{id}/verification/flows"),
        "routes are logged by template"
    );
    let state_tag = state.split('.').nth(1).unwrap_or_default();
    for (what, secret) in [
        ("access token", token.as_str()),
        ("API key", api_key.as_str()),
        ("hosted-flow token", access_token.as_str()),
        ("state tag", state_tag),
        ("result token", result_token.as_str()),
        ("wrong API key", "00000000-0000-4000-8000-000000000000"),
    ] {
        assert!(!secret.is_empty(), "{what} was not captured");
        assert!(!logs.contains(secret), "the {what} appears in the logs");
    }
}
