//! The storage conformance suite on SQLite, plus what only SQLite can show.

use idgate_store::{KeyRing, Store};
use idgate_store_sqlite::SqliteStore;
use std::sync::Arc;

fn keys() -> Arc<KeyRing> {
    Arc::new(
        KeyRing::new("test-key", [("test-key".to_string(), vec![7u8; 32])])
            .unwrap_or_else(|e| panic!("{e}")),
    )
}

/// A fresh migrated store in its own temporary directory (kept alive by leaking the guard
/// for the test's duration: each test is its own process-level task and the OS cleans up).
async fn fresh() -> SqliteStore {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let url = format!("sqlite://{}/idgate.db", dir.path().display());
    std::mem::forget(dir);
    let store = SqliteStore::open(&url, keys(), 4)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    store.migrate().await.unwrap_or_else(|e| panic!("{e}"));
    store
}

idgate_store::conformance_suite!(fresh());

#[tokio::test]
async fn personal_data_is_not_stored_in_clear_text() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("idgate.db");
    let url = format!("sqlite://{}", path.display());
    let store = SqliteStore::open(&url, keys(), 4)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    store.migrate().await.unwrap_or_else(|e| panic!("{e}"));
    idgate_store::conformance::sessions_round_trip_with_personal_data(&store).await;
    store.close().await;
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{e}"));
    // Personal data, and the provider's per-flow secret (kept in the provider state).
    for secret in [
        &b"Nordmann"[..],
        b"Kari",
        b"1990-01-01",
        b"d28db9a7-4cde-429e-a983-359be676944c",
    ] {
        assert!(
            !bytes.windows(secret.len()).any(|w| w == secret),
            "found {:?} in the database file",
            String::from_utf8_lossy(secret)
        );
    }
    // The non-personal parts are there, so the search above could have found something.
    assert!(bytes.windows(6).any(|w| w == b"veriff"));
}

#[tokio::test]
async fn migrations_are_idempotent() {
    let store = fresh().await;
    assert!(store.is_initialised().await.unwrap_or(false));
    store.migrate().await.unwrap_or_else(|e| panic!("{e}"));
}
