//! Running the real `idgate` binary in tests, on SQLite or PostgreSQL (the database choice,
//! schema naming and ports come from the test kit).

use serde_json::Value;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

pub const BIN: &str = env!("CARGO_BIN_EXE_idgate");

pub use idgate_testkit::{free_port, postgres_url};

/// Where a test's idgate keeps its data.
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite,
    /// A schema of the test's own in the test PostgreSQL database.
    Postgres {
        schema: String,
    },
}

impl Db {
    /// SQLite, or PostgreSQL when `IDGATE_TEST_DB=postgres`; the schema is derived from `dir`.
    pub fn for_test(dir: &Path) -> Db {
        if idgate_testkit::on_postgres() {
            Db::postgres_for(dir)
        } else {
            Db::Sqlite
        }
    }

    pub fn postgres_for(dir: &Path) -> Db {
        Db::Postgres {
            schema: idgate_testkit::schema_for(dir),
        }
    }
}

/// An `idgate` command whose data lives in `dir` (key file) and `db`.
pub fn command(dir: &Path, db: &Db) -> Command {
    let mut c = Command::new(BIN);
    c.current_dir(dir)
        .env_remove("RUST_LOG")
        .env("IDGATE_KEYS__FILE", dir.join("db/idgate.keys"))
        .kill_on_drop(true);
    match db {
        Db::Sqlite => c.env(
            "IDGATE_DATABASE__URL",
            format!("sqlite://{}/db/idgate.db", dir.display()),
        ),
        Db::Postgres { schema } => c
            .env("IDGATE_DATABASE__URL", postgres_url())
            .env("IDGATE_DATABASE__SCHEMA", schema),
    };
    c
}

pub async fn run(dir: &Path, db: &Db, args: &[&str]) -> (bool, String, String) {
    let out = command(dir, db)
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

pub async fn run_json(dir: &Path, db: &Db, args: &[&str]) -> Value {
    let (ok, stdout, stderr) = run(dir, db, args).await;
    assert!(ok, "idgate {args:?} failed: {stderr}");
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("idgate {args:?}: {e}: {stdout}"))
}

/// A served node: its process, what it printed up to readiness, and its logs, which are read
/// continuously so a full pipe can never stall it.
pub struct Served {
    pub child: Child,
    pub port: u16,
    pub printed: String,
    logs: tokio::task::JoinHandle<String>,
    stdout: tokio::task::JoinHandle<()>,
}

impl Served {
    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// SIGTERM, then the exit status and every log line.
    pub async fn stop(mut self) -> (std::process::ExitStatus, String) {
        let pid = self.child.id().unwrap_or_default().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status().await;
        let status = tokio::time::timeout(Duration::from_secs(20), self.child.wait())
            .await
            .unwrap_or_else(|_| panic!("idgate did not stop on SIGTERM"))
            .unwrap_or_else(|e| panic!("{e}"));
        let logs = self.logs.await.unwrap_or_default();
        let _ = self.stdout.await;
        (status, logs)
    }

    /// SIGKILL: the node dies mid-work, as in a crash.
    pub async fn kill(mut self) {
        let _ = self.child.kill().await;
        let _ = self.child.wait().await;
    }
}

/// Starts `idgate serve` on `port` with `env` added, and waits until it has printed its banner.
pub async fn serve(dir: &Path, db: &Db, port: u16, env: &[(&str, &str)]) -> Served {
    let mut cmd = command(dir, db);
    cmd.args([
        "serve",
        "--listen",
        &format!("127.0.0.1:{port}"),
        "--public-url",
        &format!("http://127.0.0.1:{port}"),
    ])
    .env("RUST_LOG", "debug,hyper=info,hyper_util=info")
    .env("IDGATE_SERVER__LOG_FORMAT", "json")
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("{e}"));
    let stderr = child.stderr.take().unwrap_or_else(|| panic!("no stderr"));
    let logs = tokio::spawn(async move {
        let mut lines = BufReader::new(stderr).lines();
        let mut all = String::new();
        while let Ok(Some(line)) = lines.next_line().await {
            all.push_str(&line);
            all.push('\n');
        }
        all
    });
    let stdout = child.stdout.take().unwrap_or_else(|| panic!("no stdout"));
    let (banner_tx, banner_rx) = tokio::sync::oneshot::channel();
    let stdout = tokio::spawn(async move {
        let mut lines = BufReader::new(stdout).lines();
        let mut printed = String::new();
        let mut banner_tx = Some(banner_tx);
        while let Ok(Some(line)) = lines.next_line().await {
            printed.push_str(&line);
            printed.push('\n');
            if line.starts_with("Press Ctrl-C")
                && let Some(tx) = banner_tx.take()
            {
                let _ = tx.send(printed.clone());
            }
        }
    });
    let printed = tokio::time::timeout(Duration::from_secs(60), banner_rx)
        .await
        .ok()
        .and_then(Result::ok);
    let Some(printed) = printed else {
        let _ = child.kill().await;
        let logs = logs.await.unwrap_or_default();
        panic!("idgate did not start:\n{logs}");
    };
    Served {
        child,
        port,
        printed,
        logs,
        stdout,
    }
}

/// The value printed after `label` in a banner.
pub fn after<'a>(text: &'a str, label: &str) -> &'a str {
    text.lines()
        .find_map(|l| l.trim().strip_prefix(label))
        .map(str::trim)
        .unwrap_or_default()
}
