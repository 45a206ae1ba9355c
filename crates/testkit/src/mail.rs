//! Real SMTP servers for the invite tests, on loopback ports: maildev (npm, from
//! `crates/testkit/fixtures/mail`, installed by `scripts/test`) with implicit TLS and
//! authentication, listing what it received over its REST API; and aiosmtpd (PyPI, installed
//! by `scripts/test`) that demands STARTTLS and writes a maildir. Both use a test CA made with
//! `openssl` for `localhost`.

use crate::free_port;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

/// A CA and a server certificate it signed for `localhost` and 127.0.0.1.
#[derive(Debug)]
pub struct TestPki {
    pub ca: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = std::process::Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("openssl (scripts/test installs it): {e}"));
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

impl TestPki {
    /// Writes `ca.pem`, `server.pem` and `server.key` into `dir` (v3 extensions, as rustls
    /// requires).
    pub fn create(dir: &Path) -> TestPki {
        let ec = [
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
        ];
        let mut args = vec!["req", "-x509"];
        args.extend(ec);
        args.extend([
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=idgate test CA",
        ]);
        openssl(dir, &args);
        std::fs::write(
            dir.join("server.cnf"),
            "[server]\nsubjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n\
             extendedKeyUsage=serverAuth\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let mut args = vec!["req"];
        args.extend(ec);
        args.extend([
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=localhost",
        ]);
        openssl(dir, &args);
        openssl(
            dir,
            &[
                "x509",
                "-req",
                "-in",
                "server.csr",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-out",
                "server.pem",
                "-days",
                "2",
                "-extfile",
                "server.cnf",
                "-extensions",
                "server",
            ],
        );
        TestPki {
            ca: dir.join("ca.pem"),
            cert: dir.join("server.pem"),
            key: dir.join("server.key"),
        }
    }
}

/// Waits until something accepts connections on `port`.
async fn listening(port: u16, what: &str) {
    let up = tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;
    assert!(up.is_ok(), "{what} did not start on port {port}");
}

fn fixture() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/mail");
    assert!(
        dir.join("node_modules/maildev").exists(),
        "maildev is not installed: run scripts/test (it runs npm ci in {})",
        dir.display()
    );
    dir
}

/// A running maildev: SMTP with implicit TLS and a user name and password.
#[derive(Debug)]
pub struct MailDev {
    child: tokio::process::Child,
    pub smtp_port: u16,
    api: String,
    client: reqwest::Client,
    /// Where maildev keeps what it received; removed with the server.
    _mail_dir: tempfile::TempDir,
}

impl MailDev {
    /// On `smtp_port` (0: a free one), TLS from the first byte with `pki`'s certificate,
    /// accepting only `user` / `password`.
    pub async fn start(pki: &TestPki, smtp_port: u16, user: &str, password: &str) -> MailDev {
        let smtp_port = if smtp_port == 0 {
            free_port()
        } else {
            smtp_port
        };
        let web_port = free_port();
        let mail_dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let child = tokio::process::Command::new("node")
            .arg("node_modules/maildev/dist/bin/maildev.js")
            .args(["--ip", "127.0.0.1", "--web-ip", "127.0.0.1"])
            .args([
                "--smtp",
                &smtp_port.to_string(),
                "--web",
                &web_port.to_string(),
            ])
            .args([
                "--incoming-secure",
                "--incoming-user",
                user,
                "--incoming-pass",
                password,
            ])
            .arg("--incoming-cert")
            .arg(&pki.cert)
            .arg("--incoming-key")
            .arg(&pki.key)
            .arg("--mail-directory")
            .arg(mail_dir.path())
            .current_dir(fixture())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start maildev with node: {e}"));
        listening(smtp_port, "maildev").await;
        listening(web_port, "maildev's API").await;
        MailDev {
            child,
            smtp_port,
            api: format!("http://127.0.0.1:{web_port}/api"),
            client: reqwest::Client::new(),
            _mail_dir: mail_dir,
        }
    }

    /// Every email received, as maildev's API lists them (`subject`, `to`, `text`, `html`,
    /// `headers` …).
    pub async fn emails(&self) -> Vec<Value> {
        let r = self
            .client
            .get(format!("{}/email", self.api))
            .send()
            .await
            .unwrap_or_else(|e| panic!("maildev: {e:?}"));
        r.json().await.unwrap_or_default()
    }

    /// Waits (up to 30 s) until `n` emails have arrived, then returns them all.
    pub async fn wait_for(&self, n: usize) -> Vec<Value> {
        let mut seen = Vec::new();
        for _ in 0..300 {
            seen = self.emails().await;
            if seen.len() >= n {
                return seen;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{} email(s) arrived, not {n}: {seen:?}", seen.len());
    }

    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}

/// A running aiosmtpd that requires STARTTLS before mail and keeps what it receives in a
/// maildir.
#[derive(Debug)]
pub struct StartTlsServer {
    child: tokio::process::Child,
    pub port: u16,
    maildir: tempfile::TempDir,
}

impl StartTlsServer {
    pub async fn start(pki: &TestPki) -> StartTlsServer {
        let port = free_port();
        let maildir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let child = tokio::process::Command::new("python3")
            .args(["-m", "aiosmtpd", "-n"])
            .args(["-l", &format!("127.0.0.1:{port}")])
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg("--tlscert")
            .arg(&pki.cert)
            .arg("--tlskey")
            .arg(&pki.key)
            .arg(maildir.path().join("mail"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start aiosmtpd (scripts/test installs it): {e}"));
        listening(port, "aiosmtpd").await;
        StartTlsServer {
            child,
            port,
            maildir,
        }
    }

    /// The raw messages delivered so far.
    pub fn messages(&self) -> Vec<String> {
        let new = self.maildir.path().join("mail/new");
        let Ok(entries) = std::fs::read_dir(new) else {
            return Vec::new();
        };
        entries
            .filter_map(|e| e.ok())
            .filter_map(|e| std::fs::read_to_string(e.path()).ok())
            .collect()
    }

    /// Waits (up to 30 s) until `n` messages have arrived.
    pub async fn wait_for(&self, n: usize) -> Vec<String> {
        for _ in 0..300 {
            let seen = self.messages();
            if seen.len() >= n {
                return seen;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("fewer than {n} message(s) arrived: {:?}", self.messages());
    }

    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}
