//! The storage conformance suite on PostgreSQL (127.0.0.1:5432, database `test`, or
//! `IDGATE_TEST_POSTGRES_URL`), each test in its own schema, plus what only PostgreSQL shows.

use idgate_store::KeyRing;
use idgate_store::prelude::*;
use idgate_store_postgres::{PgSettings, PgStore};
use std::sync::Arc;
use std::time::Duration;

fn url() -> String {
    std::env::var("IDGATE_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

fn settings(schema: &str) -> PgSettings {
    PgSettings {
        url: url(),
        schema: Some(schema.to_owned()),
        max_connections: 5,
        acquire_timeout: Duration::from_secs(10),
        statement_timeout: Duration::from_secs(10),
        write_attempts: 3,
    }
}

fn keys() -> Arc<KeyRing> {
    Arc::new(
        KeyRing::new("test-key", [("test-key".to_string(), vec![7u8; 32])])
            .unwrap_or_else(|e| panic!("{e}")),
    )
}

fn fresh_schema() -> String {
    format!("idgt_conf_{}", uuid::Uuid::new_v4().simple())
}

async fn fresh() -> PgStore {
    let store = PgStore::open(&settings(&fresh_schema()), keys())
        .await
        .unwrap_or_else(|e| panic!("is PostgreSQL running? {e}"));
    store.migrate().await.unwrap_or_else(|e| panic!("{e}"));
    store
}

idgate_store::conformance_suite!(fresh());

/// `applicant`, `result_claims`, `provider_state` and `provider_id` as stored.
type CipherColumns = (Option<Vec<u8>>, Option<Vec<u8>>, Option<Vec<u8>>, String);

#[tokio::test]
async fn personal_data_is_stored_as_ciphertext() {
    let schema = fresh_schema();
    let store = PgStore::open(&settings(&schema), keys())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    store.migrate().await.unwrap_or_else(|e| panic!("{e}"));
    idgate_store::conformance::sessions_round_trip_with_personal_data(&store).await;
    let pool = sqlx::PgPool::connect(&url())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let rows: Vec<CipherColumns> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT applicant, result_claims, provider_state, provider_id FROM \"{schema}\".sessions"
    )))
    .fetch_all(&pool)
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(rows.len(), 1);
    let (applicant, claims, provider_state, provider) = &rows[0];
    assert_eq!(provider, "veriff");
    for blob in [applicant, claims] {
        let blob = blob.as_deref().unwrap_or_default();
        assert!(!blob.is_empty());
        assert!(
            !blob.windows(4).any(|w| w == b"Kari"),
            "plaintext in the database"
        );
    }
    let kept = provider_state.as_deref().unwrap_or_default();
    assert!(!kept.is_empty());
    assert!(
        !kept.windows(8).any(|w| w == b"d28db9a7"),
        "the provider's secret in plaintext"
    );
}

#[tokio::test]
async fn nodes_migrating_at_once_migrate_once() {
    let schema = fresh_schema();
    let mut nodes = Vec::new();
    for _ in 0..4 {
        nodes.push(
            PgStore::open(&settings(&schema), keys())
                .await
                .unwrap_or_else(|e| panic!("{e}")),
        );
    }
    let tasks: Vec<_> = nodes
        .into_iter()
        .map(|n| tokio::spawn(async move { n.migrate().await }))
        .collect();
    for task in tasks {
        let result = task.await.unwrap_or_else(|e| panic!("{e}"));
        assert!(result.is_ok(), "{result:?}");
    }
    let pool = sqlx::PgPool::connect(&url())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let (count,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT count(*) FROM \"{schema}\"._sqlx_migrations"
    )))
    .fetch_one(&pool)
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    let files = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"))
        .map(|d| d.count())
        .unwrap_or_default();
    assert_eq!(count as usize, files, "each migration applied exactly once");
}

#[tokio::test]
async fn concurrent_sweepers_claim_disjoint_batches() {
    use chrono::{Duration as Chrono, Utc};
    use idgate_core::{Dialect, NewSession, Partner, PartnerId, Session, SessionId, Tier};
    let store = fresh().await;
    let partner = Partner::new(PartnerId::new(), "P".into(), Tier::SelfServe, Utc::now());
    store
        .insert_partner(&partner)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let past = Utc::now() - Chrono::hours(2);
    for i in 0..60 {
        let (s, e) = Session::create(
            SessionId::new(),
            partner.id,
            Dialect::EasyFreelance,
            NewSession {
                provider_id: "veriff".into(),
                ..NewSession::default()
            },
            format!("d{i}"),
            Chrono::hours(1),
            past,
        );
        store
            .insert_session(&s, &e, None, &[])
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let now = Utc::now();
    let sweepers: Vec<_> = (0..3)
        .map(|_| {
            let node = store.clone();
            tokio::spawn(async move {
                node.claim_due_expiries(now, 25, now + Chrono::seconds(30))
                    .await
            })
        })
        .collect();
    let mut all = Vec::new();
    for sweeper in sweepers {
        all.extend(
            sweeper
                .await
                .unwrap_or_else(|e| panic!("{e}"))
                .unwrap_or_else(|e| panic!("{e}")),
        );
    }
    assert_eq!(all.len(), 60);
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 60, "a session was claimed twice");
}
