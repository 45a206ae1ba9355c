//! The physical ceilings, measured the same way and in the same run as idgate: a bare handler
//! behind the same server stack, and durable single-row inserts with the same database settings.

use anyhow::Context;
use std::time::{Duration, Instant};

/// Serves `GET /` → a small JSON body through idgate's own operational layers; prints
/// `ready <port>` and runs until killed.
pub async fn serve_bare_http() -> anyhow::Result<()> {
    let app = axum::Router::new().route(
        "/",
        axum::routing::get(|| async { axum::Json(serde_json::json!({"status": "ok", "n": 1})) }),
    );
    let app = idgate_server::ops::layer(
        app,
        idgate_server::ops::LayerOptions {
            https: false,
            test_mode: false,
            request_timeout: Duration::from_secs(30),
        },
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    println!("ready {}", listener.local_addr()?.port());
    axum::serve(listener, app).await?;
    Ok(())
}

/// Inserts single rows, each its own durable transaction, for `seconds`; prints
/// `inserts <count> <seconds>`.
pub async fn durable_inserts(database_url: &str, seconds: f64) -> anyhow::Result<()> {
    let duration = Duration::from_secs_f64(seconds);
    if database_url.starts_with("postgres") {
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(1)
            .connect(database_url)
            .await?;
        sqlx::query("DROP TABLE IF EXISTS idgate_bench_ceiling")
            .execute(&pool)
            .await?;
        sqlx::query(
            "CREATE TABLE idgate_bench_ceiling (id uuid PRIMARY KEY, partner uuid NOT NULL,
             status text NOT NULL, payload jsonb NOT NULL, created timestamptz NOT NULL)",
        )
        .execute(&pool)
        .await?;
        let started = Instant::now();
        let mut n = 0u64;
        while started.elapsed() < duration {
            sqlx::query("INSERT INTO idgate_bench_ceiling VALUES ($1, $2, 'created', $3, now())")
                .bind(uuid::Uuid::now_v7())
                .bind(uuid::Uuid::nil())
                .bind(sqlx::types::Json(serde_json::json!({"user_id": n})))
                .execute(&pool)
                .await?;
            n += 1;
        }
        println!("inserts {n} {}", started.elapsed().as_secs_f64());
        sqlx::query("DROP TABLE idgate_bench_ceiling")
            .execute(&pool)
            .await?;
        return Ok(());
    }
    // The same connection settings as idgate's SQLite writer (WAL, synchronous=FULL), through
    // the same library, with nothing between the loop and SQLite: the physical ceiling.
    let path = database_url
        .strip_prefix("sqlite://")
        .or_else(|| database_url.strip_prefix("sqlite:"))
        .context("a sqlite:// URL")?;
    let conn = rusqlite::Connection::open(path)?;
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.pragma_update(None, "journal_mode", "wal")?;
    conn.pragma_update(None, "synchronous", "full")?;
    conn.pragma_update(None, "foreign_keys", "on")?;
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS ceiling (id TEXT PRIMARY KEY, partner TEXT NOT NULL,
         status TEXT NOT NULL, payload TEXT NOT NULL, created INTEGER NOT NULL) STRICT",
    )?;
    let started = Instant::now();
    let mut n = 0u64;
    while started.elapsed() < duration {
        conn.prepare_cached("INSERT INTO ceiling VALUES (?1, ?2, 'created', ?3, ?4)")?
            .execute(rusqlite::params![
                uuid::Uuid::now_v7().to_string(),
                uuid::Uuid::nil().to_string(),
                format!("{{\"user_id\":{n}}}"),
                chrono::Utc::now().timestamp_micros()
            ])?;
        n += 1;
    }
    println!("inserts {n} {}", started.elapsed().as_secs_f64());
    Ok(())
}
