//! Two `idgate serve` processes on one PostgreSQL schema, as behind a load balancer: a flow
//! created on node A is polled and finished on node B, both nodes' expiry jobs move each due
//! session exactly once, and a node killed mid-run loses nothing.

use crate::support::{Db, after, free_port, postgres_url, run_json, serve};
use serde_json::{Value, json};
use sqlx::PgPool;
use std::time::Duration;

/// Node settings for this test: quick expiry sweeps and short claims.
/// EasyFreelance's `bankid` goes to the redirect sandbox here: the demo's BankID simulator
/// keeps its orders in one node's memory, and these flows cross nodes.
const SANDBOX_BANKID: (&str, &str) = (
    "IDGATE_DIALECTS__EASYFREELANCE__PROVIDERS__BANKID",
    "sandbox",
);

const NODE_ENV: &[(&str, &str)] = &[
    ("IDGATE_SESSIONS__EXPIRY_INTERVAL", "1s"),
    ("IDGATE_SESSIONS__EXPIRY_LEASE", "3s"),
    SANDBOX_BANKID,
];

struct Creds {
    token: String,
    api_key: String,
}

impl Creds {
    fn on(&self, r: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        r.bearer_auth(&self.token).header("API-key", &self.api_key)
    }
}

async fn create_flow(
    http: &reqwest::Client,
    node: &str,
    creds: &Creds,
    return_url: &str,
) -> Result<Value, String> {
    let r = creds
        .on(http.post(format!("{node}/api/v1/users/7/verification/flows")))
        .json(&json!({"provider": "bankid", "partner_return_url": return_url}))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if r.status() != 201 {
        return Err(format!("status {}", r.status()));
    }
    r.json().await.map_err(|e| e.to_string())
}

async fn status(http: &reqwest::Client, node: &str, creds: &Creds, id: &str) -> Value {
    creds
        .on(http.get(format!("{node}/api/v1/verification/status/{id}")))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .json()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn multi_node_two_nodes_share_one_postgres() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let db = Db::postgres_for(dir.path());
    let Db::Postgres { schema } = &db else {
        unreachable!()
    };

    // Both nodes start at once on a fresh schema: one migration, one key file, one demo partner.
    let (port_a, port_b) = (free_port(), free_port());
    let (a, b) = tokio::join!(
        serve(dir.path(), &db, port_a, NODE_ENV),
        serve(dir.path(), &db, port_b, NODE_ENV)
    );
    let demos = [&a, &b]
        .iter()
        .filter(|n| n.printed.contains("Demo partner created"))
        .count();
    assert_eq!(demos, 1, "exactly one node creates the demo partner");
    let (node_a, node_b) = (a.base(), b.base());
    let printed = if a.printed.contains("access token:") {
        &a.printed
    } else {
        &b.printed
    };
    let creds = Creds {
        token: after(printed, "access token:").to_owned(),
        api_key: after(printed, "API-key:").to_owned(),
    };
    // The burst below is more than a self-serve minute: the demo partner goes enterprise
    // before its first request (nodes cache a partner with its credential).
    run_json(
        dir.path(),
        &db,
        &[
            "partner",
            "update",
            after(printed, "partner id:"),
            "--tier",
            "enterprise",
            "--json",
        ],
    )
    .await;
    let http = idgate_testkit::browser();
    let partner_site = "https://partner.example.com/return";

    // Registered on A, approved by an operator, used on B.
    let rule: Value = creds
        .on(http.post(format!("{node_a}/api/v1/verification-return-urls")))
        .json(&json!({"partner_return_url": partner_site}))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .json()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let rule_id = rule["id"].as_str().unwrap_or_default();
    run_json(
        dir.path(),
        &db,
        &["return-url", "approve", rule_id, "--json"],
    )
    .await;

    // Created on B, polled on A, opened on A, finished on B.
    let created = create_flow(&http, &node_b, &creds, partner_site)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let id = created["verification_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(
        status(&http, &node_a, &creds, &id).await["status"],
        "pending"
    );
    let vurl = created["verification_url"]
        .as_str()
        .unwrap_or_default()
        .replace(&node_b, &node_a);
    let landing = http
        .get(&vurl)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(landing.status(), 200);
    let started = http
        .post(format!("{vurl}/start"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let sandbox = location(&started);
    assert!(sandbox.starts_with(&node_a), "{sandbox}");
    let state = sandbox
        .split("state=")
        .nth(1)
        .unwrap_or_default()
        .to_owned();
    let back = http
        .get(format!(
            "{node_b}/callback/sandbox?state={state}&outcome=approved"
        ))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let landed = location(&back);
    assert!(
        landed.starts_with(partner_site) && landed.contains("status=approved"),
        "{landed}"
    );
    assert_eq!(
        status(&http, &node_a, &creds, &id).await["status"],
        "approved"
    );

    // A burst of creations on both nodes; B is killed in the middle of it. Every session that
    // was acknowledged with a 201 exists afterwards.
    let pool = PgPool::connect(&postgres_url())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let mut acknowledged = Vec::new();
    let mut b = Some(b);
    for i in 0..120 {
        if i == 60
            && let Some(b) = b.take()
        {
            b.kill().await;
        }
        let node = if i % 2 == 0 { &node_a } else { &node_b };
        if let Ok(v) = create_flow(&http, node, &creds, partner_site).await {
            acknowledged.push(v["verification_id"].as_str().unwrap_or_default().to_owned());
        }
    }
    assert!(
        acknowledged.len() >= 90,
        "only {} creations answered",
        acknowledged.len()
    );
    let stored: Vec<(uuid::Uuid,)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT id FROM \"{schema}\".sessions"
    )))
    .fetch_all(&pool)
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    let stored: std::collections::HashSet<String> =
        stored.into_iter().map(|(u,)| u.to_string()).collect();
    assert!(
        acknowledged.iter().all(|id| stored.contains(id)),
        "an acknowledged session was lost"
    );

    // B comes back. All pending sessions fall due at once; 20 of them are claimed by a node
    // that "crashes" before doing the work (a claim nobody will finish).
    let b = serve(dir.path(), &db, port_b, NODE_ENV).await;
    // One transaction, so no sweeper sees the sessions due without the crashed node's claim.
    let mut tx = pool.begin().await.unwrap_or_else(|e| panic!("{e}"));
    let crashed_claim = format!(
        "UPDATE \"{schema}\".sessions SET expiry_claimed_until = now() + interval '3 seconds'
         WHERE id IN (SELECT id FROM \"{schema}\".sessions WHERE status = 'created' ORDER BY id LIMIT 20)
         RETURNING id, expiry_claimed_until"
    );
    let claimed: Vec<(uuid::Uuid, chrono::DateTime<chrono::Utc>)> =
        sqlx::query_as(sqlx::AssertSqlSafe(crashed_claim))
            .fetch_all(&mut *tx)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(claimed.len(), 20);
    let due_sql = format!(
        "UPDATE \"{schema}\".sessions SET expires_at = now() - interval '1 second' WHERE status = 'created'"
    );
    sqlx::query(sqlx::AssertSqlSafe(due_sql))
        .execute(&mut *tx)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    tx.commit().await.unwrap_or_else(|e| panic!("{e}"));

    let remaining_sql =
        format!("SELECT count(*) FROM \"{schema}\".sessions WHERE status = 'created'");
    let mut remaining = -1;
    for _ in 0..300 {
        let (n,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(remaining_sql.clone()))
            .fetch_one(&pool)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        remaining = n;
        if n == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(remaining, 0, "sessions left unexpired");

    // Exactly one expiry event per session, though two nodes swept.
    let per_session = format!(
        "SELECT session_id, count(*) FROM \"{schema}\".session_events
         WHERE to_status = 'expired' GROUP BY session_id"
    );
    let counts: Vec<(uuid::Uuid, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(per_session))
        .fetch_all(&pool)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        counts.len(),
        acknowledged.len(),
        "every created session expired"
    );
    assert!(
        counts.iter().all(|(_, n)| *n == 1),
        "a session expired twice"
    );

    // The crashed node's sessions were left alone until its claim lapsed, then taken over.
    let claimed_ids: Vec<uuid::Uuid> = claimed.iter().map(|(id, _)| *id).collect();
    let lease_end = claimed
        .iter()
        .map(|(_, until)| *until)
        .min()
        .unwrap_or_default();
    let first_taken: (Option<chrono::DateTime<chrono::Utc>>,) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT min(at) FROM \"{schema}\".session_events WHERE to_status = 'expired' AND session_id = ANY($1)"
    )))
    .bind(&claimed_ids)
    .fetch_one(&pool)
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    let first_taken = first_taken.0.unwrap_or_default();
    assert!(
        first_taken >= lease_end,
        "a claimed session was expired at {first_taken}, before its claim ended at {lease_end}"
    );
    let (a_status, a_logs) = a.stop().await;
    let (b_status, b_logs) = b.stop().await;
    assert!(
        a_status.success() && b_status.success(),
        "{a_logs}\n{b_logs}"
    );
    // Both nodes did expiry work (the claims spread over them), or one did it all: either
    // way each session moved once, which is what the counts above show.
    let swept = |logs: &str| logs.contains("expired due sessions");
    assert!(swept(&a_logs) || swept(&b_logs));
}

/// `idgate partner credential revoke`, run as its own process, reaches two serving nodes that
/// had the credential cached: each refuses it within `api.credential_cache_ttl`. A rotated
/// credential keeps working on both beside its replacement during the grace period.
#[tokio::test]
async fn multi_node_a_revoked_credential_is_refused_by_every_node_within_the_cache_ttl() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let db = Db::postgres_for(dir.path());
    let env = [
        ("IDGATE_API__CREDENTIAL_CACHE_TTL", "2s"),
        ("IDGATE_DEMO__PARTNER", "false"),
        SANDBOX_BANKID,
    ];
    run_json(dir.path(), &db, &["migrate", "--json"]).await;
    let created = run_json(dir.path(), &db, &["partner", "create", "Acme", "--json"]).await;
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    let partner_id = text(&created["partner_id"]);
    let creds = Creds {
        token: text(&created["easyfreelance"]["access_token"]),
        api_key: text(&created["easyfreelance"]["api_key"]),
    };
    let (port_a, port_b) = (free_port(), free_port());
    let (a, b) = tokio::join!(
        serve(dir.path(), &db, port_a, &env),
        serve(dir.path(), &db, port_b, &env)
    );
    let nodes = [a.base(), b.base()];
    let http = idgate_testkit::browser();
    let answer = |node: String, creds: &Creds| {
        let request = creds.on(http.get(format!("{node}/api/v1/verification-return-urls")));
        async move {
            request
                .send()
                .await
                .map(|r| r.status().as_u16())
                .unwrap_or(0)
        }
    };
    for node in &nodes {
        assert_eq!(answer(node.clone(), &creds).await, 200, "{node}");
    }

    let revoked = run_json(
        dir.path(),
        &db,
        &[
            "partner",
            "credential",
            "revoke",
            &text(&created["easyfreelance"]["credential_id"]),
            "--json",
        ],
    )
    .await;
    assert!(revoked["revoked_at"].is_string(), "{revoked}");
    for node in &nodes {
        let mut refused = false;
        // Bounded: the TTL is 2 s; allow generous slack for a loaded machine.
        for _ in 0..100 {
            if answer(node.clone(), &creds).await == 401 {
                refused = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(refused, "{node} still accepts the revoked credential");
    }

    // Rotation: the old Hopae credential and its replacement both work during the grace.
    let rotated = run_json(
        dir.path(),
        &db,
        &[
            "partner",
            "credential",
            "rotate",
            &text(&created["hopae"]["credential_id"]),
            "--grace",
            "1h",
            "--json",
        ],
    )
    .await;
    let pairs = [
        (
            text(&created["hopae"]["client_id"]),
            text(&created["hopae"]["client_secret"]),
        ),
        (
            text(&rotated["hopae"]["client_id"]),
            text(&rotated["hopae"]["client_secret"]),
        ),
    ];
    for node in &nodes {
        for (id, secret) in &pairs {
            let status = http
                .get(format!("{node}/connect/v1/providers"))
                .basic_auth(id, Some(secret))
                .send()
                .await
                .map(|r| r.status().as_u16())
                .unwrap_or(0);
            assert_eq!(status, 200, "{node} {id}");
        }
    }
    let listed = run_json(
        dir.path(),
        &db,
        &["partner", "credential", "list", &partner_id, "--json"],
    )
    .await;
    let listed = listed.as_array().cloned().unwrap_or_default();
    // EasyFreelance (revoked), Hopae (rotated: old with a grace, new), the Hopae workspace
    // key, Veriff and deepidv (untouched).
    assert_eq!(listed.len(), 6, "{listed:?}");
    let live: Vec<&str> = listed
        .iter()
        .filter(|c| c["revoked_at"].is_null())
        .filter_map(|c| c["kind"].as_str())
        .collect();
    assert_eq!(
        live,
        ["hopae_workspace", "veriff", "deepidv", "hopae"],
        "only the untouched workspace key, Veriff and deepidv credentials and the new Hopae one have no revocation time: {listed:?}"
    );
    let (a_status, a_logs) = a.stop().await;
    let (b_status, b_logs) = b.stop().await;
    assert!(
        a_status.success() && b_status.success(),
        "{a_logs}\n{b_logs}"
    );
}

/// The session-creation cap is one count for the whole deployment: a partner allowed 10 a
/// minute gets exactly 10 from a burst spread over two nodes, not 10 from each.
#[tokio::test]
async fn multi_node_the_session_cap_holds_across_nodes() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let db = Db::postgres_for(dir.path());
    let env = [("IDGATE_DEMO__PARTNER", "false"), SANDBOX_BANKID];
    run_json(dir.path(), &db, &["migrate", "--json"]).await;
    let created = run_json(
        dir.path(),
        &db,
        &[
            "partner",
            "create",
            "Capped",
            "--tier",
            "custom",
            "--sessions-per-minute",
            "10",
            "--json",
        ],
    )
    .await;
    assert_eq!(created["sessions_per_minute"], 10, "{created}");
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    let creds = Creds {
        token: text(&created["easyfreelance"]["access_token"]),
        api_key: text(&created["easyfreelance"]["api_key"]),
    };
    let (port_a, port_b) = (free_port(), free_port());
    let (a, b) = tokio::join!(
        serve(dir.path(), &db, port_a, &env),
        serve(dir.path(), &db, port_b, &env)
    );
    let (node_a, node_b) = (a.base(), b.base());
    let http = idgate_testkit::browser();
    let partner_site = "https://partner.example.com/return";
    let rule: Value = creds
        .on(http.post(format!("{node_a}/api/v1/verification-return-urls")))
        .json(&json!({"partner_return_url": partner_site}))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .json()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    run_json(
        dir.path(),
        &db,
        &["return-url", "approve", &text(&rule["id"]), "--json"],
    )
    .await;

    // One window: start with at least 20 s left in this UTC minute.
    idgate_testkit::room_in_this_minute(20).await;
    let burst = (0..30).map(|i| {
        let node = if i % 2 == 0 { &node_a } else { &node_b };
        create_flow(&http, node, &creds, partner_site)
    });
    let answers = futures_util::future::join_all(burst).await;
    let created = answers.iter().filter(|a| a.is_ok()).count();
    let refused = answers
        .iter()
        .filter(|a| matches!(a, Err(e) if e == "status 429 Too Many Requests"))
        .count();
    assert_eq!((created, refused), (10, 20), "{answers:?}");
    let (a_status, a_logs) = a.stop().await;
    let (b_status, b_logs) = b.stop().await;
    assert!(
        a_status.success() && b_status.success(),
        "{a_logs}\n{b_logs}"
    );
}

/// deepidv's token balance is exact across nodes: ten tokens, a burst of thirty creates over
/// two nodes on one PostgreSQL database, and exactly ten sessions, twenty 402s and a balance
/// of zero, with the ledger (through the CLI) explaining each spend.
#[tokio::test]
async fn multi_node_a_token_balance_is_spent_exactly_once_across_nodes() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let db = Db::postgres_for(dir.path());
    let env = [
        ("IDGATE_DEMO__PARTNER", "false"),
        ("IDGATE_DIALECTS__DEEPIDV__TOKENS_PER_SESSION", "1"),
        SANDBOX_BANKID,
    ];
    run_json(dir.path(), &db, &["migrate", "--json"]).await;
    let created = run_json(
        dir.path(),
        &db,
        &[
            "partner",
            "create",
            "Metered",
            "--tier",
            "enterprise",
            "--json",
        ],
    )
    .await;
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    let partner = text(&created["partner_id"]);
    let key = text(&created["deepidv"]["api_key"]);
    assert!(!key.is_empty(), "{created}");
    let topped = run_json(
        dir.path(),
        &db,
        &[
            "partner", "tokens", "top-up", &partner, "10", "--note", "PO-1", "--json",
        ],
    )
    .await;
    assert_eq!(topped["balance_after"], 10, "{topped}");

    let (port_a, port_b) = (free_port(), free_port());
    let (a, b) = tokio::join!(
        serve(dir.path(), &db, port_a, &env),
        serve(dir.path(), &db, port_b, &env)
    );
    let (node_a, node_b) = (a.base(), b.base());
    let http = idgate_testkit::browser();
    let burst = (0..30).map(|i| {
        let node = if i % 2 == 0 { &node_a } else { &node_b };
        let request = http
            .post(format!("{node}/v1/sessions"))
            .header("x-api-key", &key)
            .json(&json!({
                "first_name": "Jane", "last_name": "Doe", "email": "jane.doe@example.com",
                "phone": "+15192223333", "send_email_invite": false, "send_phone_invite": false,
            }));
        async move {
            request
                .send()
                .await
                .map(|r| r.status().as_u16())
                .unwrap_or_else(|e| panic!("{e:?}"))
        }
    });
    let answers = futures_util::future::join_all(burst).await;
    let made = answers.iter().filter(|s| **s == 201).count();
    let short = answers.iter().filter(|s| **s == 402).count();
    assert_eq!((made, short), (10, 20), "{answers:?}");

    let shown = run_json(
        dir.path(),
        &db,
        &["partner", "tokens", "show", &partner, "--json"],
    )
    .await;
    assert_eq!(shown["balance"], 0, "{shown}");
    let history = shown["history"].as_array().cloned().unwrap_or_default();
    assert_eq!(history.len(), 11, "{shown}");
    let mut afters: Vec<i64> = history
        .iter()
        .filter(|e| e["kind"] == "session")
        .map(|e| e["balance_after"].as_i64().unwrap_or(-1))
        .collect();
    afters.sort_unstable();
    assert_eq!(afters, (0..10).collect::<Vec<i64>>());
    assert_eq!(
        history.last().map(|e| e["note"].clone()),
        Some(json!("PO-1"))
    );
    let (a_status, a_logs) = a.stop().await;
    let (b_status, b_logs) = b.stop().await;
    assert!(
        a_status.success() && b_status.success(),
        "{a_logs}\n{b_logs}"
    );
}
