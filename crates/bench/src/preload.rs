//! Bulk-loading sessions straight into the database (not through the API), for the scale and
//! expiry modes.

use sqlx::{QueryBuilder, Sqlite};
use std::str::FromStr;

/// Inserts `count` created sessions of `partner` expiring at `expires_at` (µs since the epoch);
/// returns a sample of their ids for polling.
pub async fn sessions(
    sqlite_url: &str,
    partner: &str,
    count: usize,
    expires_at: i64,
) -> anyhow::Result<Vec<String>> {
    let options = sqlx::sqlite::SqliteConnectOptions::from_str(sqlite_url)?
        .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
        .synchronous(sqlx::sqlite::SqliteSynchronous::Normal)
        .busy_timeout(std::time::Duration::from_secs(30));
    let pool = sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await?;
    let now = chrono::Utc::now().timestamp_micros();
    let mut sample = Vec::new();
    let batch = 2000;
    let mut done = 0;
    while done < count {
        let n = batch.min(count - done);
        let rows: Vec<(String, String)> = (0..n)
            .map(|i| {
                let id = uuid::Uuid::now_v7().to_string();
                let digest = format!("bench-{}-{}", done + i, uuid::Uuid::new_v4().simple());
                (id, digest)
            })
            .collect();
        if sample.len() < 20_000 {
            sample.extend(
                rows.iter()
                    .take(20_000 - sample.len())
                    .map(|(id, _)| id.clone()),
            );
        }
        let mut tx = pool.begin().await?;
        let mut q: QueryBuilder<Sqlite> = QueryBuilder::new(
            "INSERT INTO sessions (id, partner_id, dialect, provider_id, status, external_refs,
             dialect_options, requested_claims, access_token_digest, created_at, expires_at,
             version) ",
        );
        q.push_values(rows, |mut b, (id, digest)| {
            b.push_bind(id)
                .push_bind(partner.to_owned())
                .push_bind("easyfreelance")
                .push_bind("bankid")
                .push_bind("created")
                .push_bind("{\"user_id\":\"1\"}")
                .push_bind("{\"provider\":\"bankid\"}")
                .push_bind("[]")
                .push_bind(digest)
                .push_bind(now)
                .push_bind(expires_at)
                .push_bind(1i64);
        });
        q.build().execute(&mut *tx).await?;
        tx.commit().await?;
        done += n;
    }
    pool.close().await;
    Ok(sample)
}
