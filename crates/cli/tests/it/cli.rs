//! The real `idgate` binary: admin commands with `--json`, and a served flow whose logs must
//! not contain any secret, token or personal datum.

use serde_json::Value;

use crate::support::{Db, after, free_port, run, run_json, serve};

#[tokio::test]
async fn admin_commands_speak_json_and_refuse_bad_input_clearly() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let d = dir.path();
    let db = Db::for_test(d);
    assert_eq!(
        run_json(d, &db, &["migrate", "--json"]).await["migrated"],
        true
    );
    let created = run_json(
        d,
        &db,
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
    let partners = run_json(d, &db, &["partner", "list", "--json"]).await;
    let names: Vec<&str> = partners
        .as_array()
        .map(|a| a.iter().filter_map(|p| p["name"].as_str()).collect())
        .unwrap_or_default();
    // The built-in Veriff simulator's integration belongs to a partner of its own.
    assert_eq!(names, ["Veriff simulator (veriff)", "Acme AS"]);
    assert_eq!(
        run_json(
            d,
            &db,
            &["return-url", "list", "--status", "pending", "--json"]
        )
        .await,
        Value::Array(vec![])
    );

    let (ok, _, stderr) = run(d, &db, &["return-url", "approve", "nonsense"]).await;
    assert!(!ok && stderr.contains("not a return-URL id"), "{stderr}");
    let (ok, _, stderr) = run(
        d,
        &db,
        &["return-url", "approve", &uuid::Uuid::new_v4().to_string()],
    )
    .await;
    assert!(!ok && stderr.contains("not found"), "{stderr}");
    let (ok, _, stderr) = run(d, &db, &["session", "show", "nonsense"]).await;
    assert!(!ok && stderr.contains("not a session id"), "{stderr}");
    let (ok, _, stderr) = run(d, &db, &["partner", "create", "X", "--tier", "gold"]).await;
    assert!(!ok && stderr.contains("gold"), "{stderr}");

    // Who may embed the partner's hosted flow: origins only, checked and normalised.
    let id = created["partner_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let updated = run_json(
        d,
        &db,
        &[
            "partner",
            "update",
            &id,
            "--frame-ancestor",
            "https://App.Example.com:443",
            "--frame-ancestor",
            "http://localhost:5173",
            "--json",
        ],
    )
    .await;
    assert_eq!(
        updated["frame_ancestors"],
        serde_json::json!(["https://app.example.com", "http://localhost:5173"])
    );
    for bad in [
        "https://*.example.com",
        "http://shop.example.com",
        "https://shop.example.com/embed",
    ] {
        let (ok, _, stderr) =
            run(d, &db, &["partner", "update", &id, "--frame-ancestor", bad]).await;
        assert!(
            !ok && stderr.contains("not an allowed frame ancestor"),
            "{bad}: {stderr}"
        );
    }
    let cleared = run_json(
        d,
        &db,
        &["partner", "update", &id, "--no-frame-ancestors", "--json"],
    )
    .await;
    assert_eq!(cleared["frame_ancestors"], serde_json::json!([]));
    // Return URLs: any https one, as deepidv allows, by an operator's choice.
    let anywhere = run_json(
        d,
        &db,
        &[
            "partner",
            "update",
            &id,
            "--return-urls",
            "any-https",
            "--json",
        ],
    )
    .await;
    assert_eq!(anywhere["return_urls"], "any_https", "{anywhere}");
    // Workflows: named providers and steps for deepidv's workflow_id.
    let added = run_json(
        d,
        &db,
        &[
            "partner",
            "workflow",
            "add",
            &id,
            "--name",
            "KYC",
            "--provider",
            "veriff",
            "--step",
            "ID_VERIFICATION",
            "--json",
        ],
    )
    .await;
    let workflow_id = added["id"].as_str().unwrap_or_default().to_owned();
    assert!(workflow_id.starts_with("wf_"), "{added}");
    let listed = run_json(d, &db, &["partner", "workflow", "list", &id, "--json"]).await;
    assert_eq!(listed[0]["providers"], serde_json::json!(["veriff"]));
    let (ok, _, stderr) = run(
        d,
        &db,
        &[
            "partner",
            "workflow",
            "add",
            &id,
            "--name",
            "X",
            "--provider",
            "veriff",
            "--step",
            "DANCE",
        ],
    )
    .await;
    assert!(!ok && stderr.contains("not a step"), "{stderr}");
    let removed = run_json(
        d,
        &db,
        &["partner", "workflow", "remove", &id, &workflow_id, "--json"],
    )
    .await;
    assert_eq!(removed["removed"], serde_json::json!(workflow_id));
    // The providers the hosted page offers where the dialect names none.
    let offered = run_json(
        d,
        &db,
        &[
            "partner",
            "update",
            &id,
            "--offer-provider",
            "veriff",
            "--json",
        ],
    )
    .await;
    assert_eq!(offered["offered_providers"], serde_json::json!(["veriff"]));
    let (ok, _, stderr) = run(
        d,
        &db,
        &["partner", "update", &id, "--offer-provider", "nope"],
    )
    .await;
    assert!(
        !ok && stderr.contains("not a provider served here"),
        "{stderr}"
    );

    // The partner's brand: checked when set, an empty value removes a setting.
    let logo =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../testkit/fixtures/logo.png");
    let logo = logo.to_string_lossy();
    let branded = run_json(
        d,
        &db,
        &[
            "partner",
            "brand",
            &id,
            "--display-name",
            "Acme",
            "--color",
            "#0B5D1E",
            "--support",
            "help@acme.example.com",
            "--privacy-url",
            "https://acme.example.com/privacy",
            "--language",
            "sv",
            "--logo",
            &logo,
            "--json",
        ],
    )
    .await;
    let brand = &branded["branding"];
    assert_eq!(brand["display_name"], "Acme");
    assert_eq!(brand["primary_color"], "#0b5d1e");
    assert_eq!(brand["support_contact"], "help@acme.example.com");
    assert_eq!(brand["language"], "sv");
    assert_eq!(brand["logo_type"], "image/png");
    for (flag, bad, says) in [
        ("--color", "#ffd700", "contrast"),
        ("--color", "gold", "not a colour"),
        ("--support", "call us", "support contact"),
        ("--privacy-url", "http://acme.example.com/privacy", "https"),
        ("--language", "swedish", "language tag"),
        (
            "--logo",
            concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"),
            "PNG, JPEG or WebP",
        ),
    ] {
        let (ok, _, stderr) = run(d, &db, &["partner", "brand", &id, flag, bad]).await;
        assert!(!ok && stderr.contains(says), "{flag} {bad}: {stderr}");
    }
    let cleared = run_json(d, &db, &["partner", "brand", &id, "--color", "", "--json"]).await;
    assert_eq!(cleared["branding"].get("primary_color"), None);
    assert_eq!(cleared["branding"]["display_name"], "Acme");

    // Configuration errors name the key and how to fix it.
    let (ok, _, stderr) = run(
        d,
        &db,
        &["migrate", "--database-url", "mysql://localhost/x"],
    )
    .await;
    assert!(!ok && stderr.contains("database.url"), "{stderr}");
    let mut c = crate::support::command(d, &db);
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
    let config = run_json(d, &db, &["config"]).await;
    assert_eq!(config["sessions"]["lifetime"], "7d");
}

#[tokio::test]
async fn serving_a_flow_logs_no_secret_token_or_personal_data() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let port = free_port();
    let db = Db::for_test(dir.path());
    let served = serve(dir.path(), &db, port, &[]).await;
    let printed = served.printed.clone();
    let base = format!("http://127.0.0.1:{port}");
    let token = after(&printed, "access token:").to_owned();
    let api_key = after(&printed, "API-key:").to_owned();
    assert!(token.starts_with("idg_pat_"), "{printed}");
    let http = idgate_testkit::browser();

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
    let location = |r: &reqwest::Response| {
        let to = r
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        if to.starts_with('/') {
            format!("{base}{to}")
        } else {
            to
        }
    };
    let post = |url: String| {
        let http = http.clone();
        async move {
            http.post(url)
                .send()
                .await
                .unwrap_or_else(|e| panic!("{e}"))
        }
    };
    let get = |url: String| {
        let http = http.clone();
        async move { http.get(url).send().await.unwrap_or_else(|e| panic!("{e}")) }
    };
    // The demo's veriff provider is the real Veriff adapter against the built-in simulator
    // (this idgate's own Veriff API): its session, then its sandbox, then back twice.
    let at_veriff = location(&post(format!("{vurl}/start")).await);
    assert!(at_veriff.starts_with(&format!("{base}/v/")), "{at_veriff}");
    let sandbox = location(&post(format!("{at_veriff}/start")).await);
    let state = sandbox
        .split("state=")
        .nth(1)
        .unwrap_or_default()
        .to_owned();
    assert!(sandbox.contains("/sandbox/veriff-sandbox/"), "{sandbox}");
    let veriff_done = get(format!(
        "{base}/callback/veriff-sandbox?state={state}&outcome=approved"
    ))
    .await;
    let to_idgate = location(&veriff_done);
    assert!(
        to_idgate.starts_with(&format!("{base}/callback/veriff?state=")),
        "{to_idgate}"
    );
    let back = get(to_idgate).await;
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
    let shown = run_json(dir.path(), &db, &["session", "show", &id, "--json"]).await;
    assert_eq!(shown["status"], "approved");
    let path: Vec<_> = shown["events"]
        .as_array()
        .map(|e| e.iter().map(|x| x["to"].clone()).collect())
        .unwrap_or_default();
    assert_eq!(path, vec!["created", "started", "submitted", "approved"]);

    // Graceful stop, then read every log line.
    let (status, logs) = served.stop().await;
    assert!(status.success(), "exit: {status:?}\n{logs}");
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

/// One key of every configuration section, set through the environment, reaches `idgate
/// config`; a variable that configures nothing is named in a warning instead of ignored.
#[tokio::test]
async fn every_section_is_configurable_from_the_environment() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let d = dir.path();
    let out = crate::support::command(d, &Db::Sqlite)
        .args(["config"])
        .env("IDGATE_SERVER__LOG_FORMAT", "json")
        .env("IDGATE_DATABASE__MAX_CONNECTIONS", "3")
        // IDGATE_KEYS__FILE is set by the harness for every command.
        .env("IDGATE_SESSIONS__LIFETIME", "2d")
        .env("IDGATE_API__TEST_MODE", "false")
        .env("IDGATE_DEMO__PARTNER", "false")
        .env("IDGATE_PROVIDERS__VERIFF__LABEL", "Veriff from env")
        .env(
            "IDGATE_DIALECTS__EASYFREELANCE__PROVIDERS__BANKID",
            "veriff",
        )
        .env("IDGATE_WEBHOOKS__CONCURRENCY", "3")
        .env("IDGATE_OUTBOUND__TIMEOUT", "7s")
        .env("IDGATE_WEBHOOK__JITTER", "0.5")
        .env("IDGATE_SERVER_LISTEN", "0.0.0.0:1")
        .output()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let config: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(config["server"]["log_format"], "json");
    assert_eq!(config["database"]["max_connections"], 3);
    assert!(
        config["keys"]["file"]
            .as_str()
            .is_some_and(|f| f.ends_with("db/idgate.keys"))
    );
    assert_eq!(config["sessions"]["lifetime"], "2d");
    assert_eq!(config["api"]["test_mode"], false);
    assert_eq!(config["demo"]["partner"], false);
    assert_eq!(config["providers"]["veriff"]["label"], "Veriff from env");
    assert_eq!(
        config["dialects"]["easyfreelance"]["providers"]["bankid"],
        "veriff"
    );
    assert_eq!(config["webhooks"]["concurrency"], 3);
    assert_eq!(config["outbound"]["timeout"], "7s");
    // The misspelt ones change nothing and are named.
    assert_eq!(config["webhooks"]["jitter"], 0.2);
    assert_eq!(config["server"]["listen"], "127.0.0.1:8080");
    assert!(stderr.contains("IDGATE_WEBHOOK__JITTER"), "{stderr}");
    assert!(stderr.contains("IDGATE_SERVER_LISTEN"), "{stderr}");
    assert!(!stderr.contains("IDGATE_KEYS__FILE"), "{stderr}");
}

#[tokio::test]
async fn config_and_the_start_banner_print_no_secret() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let d = dir.path();
    let password_url = format!(
        "postgres://postgres:pw-hunter2@{}",
        crate::support::postgres_url()
            .split_once('@')
            .map(|(_, rest)| rest.to_owned())
            .unwrap_or_else(|| "127.0.0.1:5432/test".to_owned())
    );
    // The secret comes from the environment, as the README advises.
    std::fs::write(
        d.join("idgate.toml"),
        "[providers.testeid]\nadapter = \"oidc\"\nissuer = \"https://eid.example.com\"\nclient_id = \"c\"\n\n[providers.veriff-live]\nadapter = \"veriff\"\nbase_url = \"https://stationapi.veriff.com/v1\"\napi_key = \"8a9b4a5c-7d1e-4f5a-9b2c-3d4e5f6a7b8c\"\n\n[providers.bankid-live]\nadapter = \"bankid\"\n[providers.bankid-live.tls]\ncertificate = \"/etc/idgate/rp.p12\"\nca = \"/etc/idgate/bankid-ca.pem\"\n\n[console.sso]\nissuer = \"https://login.example.com\"\nclient_id = \"idgate-console\"\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let out = crate::support::command(d, &Db::Sqlite)
        .args(["config"])
        .env("IDGATE_DATABASE__URL", &password_url)
        .env(
            "IDGATE_PROVIDERS__TESTEID__CLIENT_SECRET",
            "s3cr3t-client-value",
        )
        .env(
            "IDGATE_PROVIDERS__VERIFF-LIVE__SHARED_SECRET",
            "veriff-sh4red-secret",
        )
        .env(
            "IDGATE_PROVIDERS__BANKID-LIVE__TLS__PASSWORD",
            "p12-pa55word",
        )
        .env("IDGATE_CONSOLE__SSO__CLIENT_SECRET", "console-sso-s3cret")
        .output()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(printed.contains("\"client_secret\": \"***\""), "{printed}");
    assert!(printed.contains("testeid"), "{printed}");
    assert!(!printed.contains("s3cr3t-client-value"), "{printed}");
    assert!(!printed.contains("veriff-sh4red-secret"), "{printed}");
    assert!(printed.contains("\"shared_secret\": \"***\""), "{printed}");
    assert!(!printed.contains("p12-pa55word"), "{printed}");
    assert!(!printed.contains("console-sso-s3cret"), "{printed}");
    assert!(printed.contains("login.example.com"), "{printed}");
    assert!(printed.contains("\"password\": \"***\""), "{printed}");
    assert!(printed.contains("testeid"), "{printed}");
    assert!(!printed.contains("pw-hunter2"), "{printed}");
    assert!(printed.contains("postgres://postgres:***@"), "{printed}");

    // A node on PostgreSQL (trust authentication ignores the password) prints its database
    // without it.
    let db = Db::postgres_for(d);
    std::fs::remove_file(d.join("idgate.toml")).unwrap_or_else(|e| panic!("{e}"));
    let node = serve(
        d,
        &db,
        free_port(),
        &[("IDGATE_DATABASE__URL", password_url.as_str())],
    )
    .await;
    assert!(!node.printed.contains("pw-hunter2"), "{}", node.printed);
    assert!(node.printed.contains("***"), "{}", node.printed);
    let (_, logs) = node.stop().await;
    assert!(!logs.contains("pw-hunter2"));
}

/// `idgate operator create` prints the new operator's password and TOTP key once (the store
/// keeps a hash and a sealed key); `operator list` shows neither; `idgate audit` shows the
/// creation, by the command line.
#[tokio::test]
async fn operators_are_created_listed_and_audited_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let d = dir.path();
    let db = Db::for_test(d);
    run_json(d, &db, &["migrate", "--json"]).await;
    let created = run_json(
        d,
        &db,
        &["operator", "create", "Kari", "--role", "reviewer", "--json"],
    )
    .await;
    assert_eq!(created["username"], "kari");
    assert_eq!(created["role"], "reviewer");
    let password = created["password"].as_str().unwrap_or_default().to_owned();
    assert!(password.len() >= 20, "{created}");
    let uri = created["totp_uri"].as_str().unwrap_or_default();
    assert!(
        uri.starts_with("otpauth://totp/idgate:kari?") && uri.contains("issuer=idgate"),
        "{uri}"
    );
    assert!(uri.contains(created["totp_secret"].as_str().unwrap_or("-")));
    // The same name again, a bad role, a partner that is not an id: refused, clearly.
    let (ok, _, err) = run(d, &db, &["operator", "create", "kari", "--role", "viewer"]).await;
    assert!(!ok && err.contains("exists"), "{err}");
    let (ok, _, err) = run(d, &db, &["operator", "create", "x", "--role", "root"]).await;
    assert!(!ok && err.contains("admin"), "{err}");
    let (ok, _, err) = run(
        d,
        &db,
        &[
            "operator",
            "create",
            "y",
            "--role",
            "reviewer",
            "--partner",
            "acme",
        ],
    )
    .await;
    assert!(!ok && err.contains("not a partner id"), "{err}");

    let listed = run_json(d, &db, &["operator", "list", "--json"]).await;
    assert_eq!(listed[0]["username"], "kari");
    assert!(!listed.to_string().contains(&password), "{listed}");
    let trail = run_json(d, &db, &["audit", "--json"]).await;
    assert_eq!(trail[0]["action"], "operator.create", "{trail}");
    assert_eq!(trail[0]["actor"], "cli");
    assert!(!trail.to_string().contains(&password), "{trail}");

    // An admin API token: printed once, revoked by its id.
    let token = run_json(
        d,
        &db,
        &[
            "operator",
            "token",
            "kari",
            "--label",
            "nightly export",
            "--json",
        ],
    )
    .await;
    let secret = token["token"].as_str().unwrap_or_default().to_owned();
    assert!(secret.starts_with("idg_op_"), "{token}");
    let (ok, _, err) = run(d, &db, &["operator", "token", "nobody", "--label", "x"]).await;
    assert!(!ok && err.contains("not found"), "{err}");
    let id = token["id"].as_str().unwrap_or_default();
    let revoked = run_json(d, &db, &["operator", "revoke-token", id, "--json"]).await;
    assert!(revoked["revoked_at"].is_string(), "{revoked}");
    let trail = run_json(d, &db, &["audit", "--json"]).await;
    assert!(!trail.to_string().contains(&secret), "{trail}");

    // Single sign-on: refused until [console.sso] is configured; then linked at creation or
    // later, one subject per operator, unlinked.
    let (ok, _, err) = run(d, &db, &["operator", "sso", "kari", "--subject", "x"]).await;
    assert!(!ok && err.contains("[console.sso]"), "{err}");
    std::fs::write(
        d.join("idgate.toml"),
        "[console.sso]\nissuer = \"https://login.example.com\"\nclient_id = \"idgate-console\"\nclient_secret = \"s\"\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let ola = run_json(
        d,
        &db,
        &[
            "operator",
            "create",
            "ola",
            "--role",
            "viewer",
            "--sso-subject",
            "ola@idp",
            "--json",
        ],
    )
    .await;
    assert_eq!(ola["sso_subject"], "ola@idp", "{ola}");
    assert_eq!(ola["sso_issuer"], "https://login.example.com", "{ola}");
    // A taken subject at creation: refused before the operator exists (its secrets would be
    // lost), so the same name can be created afterwards.
    let (ok, _, err) = run(
        d,
        &db,
        &[
            "operator",
            "create",
            "per",
            "--role",
            "viewer",
            "--sso-subject",
            "ola@idp",
        ],
    )
    .await;
    assert!(!ok && err.contains("another operator"), "{err}");
    let listed = run_json(d, &db, &["operator", "list", "--json"]).await;
    assert!(
        !listed.to_string().contains("\"per\""),
        "no operator was made: {listed}"
    );
    let (ok, _, err) = run(d, &db, &["operator", "sso", "kari", "--subject", "ola@idp"]).await;
    assert!(!ok && err.contains("another operator"), "{err}");
    let kari = run_json(
        d,
        &db,
        &["operator", "sso", "kari", "--subject", "kari@idp", "--json"],
    )
    .await;
    assert_eq!(kari["sso_subject"], "kari@idp", "{kari}");
    let (ok, _, _) = run(d, &db, &["operator", "sso", "kari"]).await;
    assert!(!ok, "a subject or --remove is needed");
    let kari = run_json(d, &db, &["operator", "sso", "kari", "--remove", "--json"]).await;
    assert!(kari["sso_subject"].is_null(), "{kari}");
    let trail = run_json(d, &db, &["audit", "--json"]).await;
    assert_eq!(
        trail[0]["action"], "operator.unlink_single_sign_on",
        "{trail}"
    );

    // Partner work on the host is in the trail too, by `cli`, as the console's is.
    let partner = run_json(d, &db, &["partner", "create", "Acme AS", "--json"]).await;
    let partner_id = partner["partner_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    run_json(
        d,
        &db,
        &[
            "partner",
            "update",
            &partner_id,
            "--evidence",
            "full",
            "--json",
        ],
    )
    .await;
    run_json(
        d,
        &db,
        &["partner", "tokens", "top-up", &partner_id, "5", "--json"],
    )
    .await;
    let trail = run_json(d, &db, &["audit", "--json"]).await;
    let actions: Vec<&str> = trail
        .as_array()
        .map(|all| {
            all.iter()
                .filter(|e| e["actor"] == "cli")
                .filter_map(|e| e["action"].as_str())
                .collect()
        })
        .unwrap_or_default();
    for action in ["partner.create", "partner.update", "partner.tokens"] {
        assert!(actions.contains(&action), "{action}: {trail}");
    }
}
