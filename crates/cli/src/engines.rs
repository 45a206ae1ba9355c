//! The store engines this build offers, chosen from `database.url`: embedded SQLite (the
//! default) or PostgreSQL. The web shell and the hub only see the `Store` port; this is the one
//! place that names an engine.

use async_trait::async_trait;
use idgate_hub::settings::{DatabaseKind, Settings, Validated};
use idgate_server::startup::{StartupError, StoreEngines};
use idgate_store::{KeyRing, Store};
use idgate_store_postgres::{PgSettings, PgStore};
use idgate_store_sqlite::SqliteStore;
use std::sync::Arc;

/// SQLite and PostgreSQL.
#[derive(Clone, Copy, Debug, Default)]
pub struct Engines;

#[async_trait]
impl StoreEngines for Engines {
    async fn open(
        &self,
        settings: &Settings,
        config: &Validated,
        keys: Arc<KeyRing>,
    ) -> Result<Arc<dyn Store>, StartupError> {
        let db = &settings.database;
        match &config.database {
            DatabaseKind::Sqlite { path } => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(|source| StartupError::Directory {
                        path: dir.display().to_string(),
                        source,
                    })?;
                }
                // Reads run on the calling thread (one reader each), so more idle readers than the
                // CPUs this process may use would sit unused.
                let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
                let readers = db
                    .max_connections
                    .min(u32::try_from(cpus).unwrap_or(u32::MAX))
                    .max(2);
                Ok(Arc::new(SqliteStore::open(&db.url, keys, readers).await?))
            }
            DatabaseKind::Postgres => {
                let pg = PgSettings {
                    url: db.url.clone(),
                    schema: Some(db.schema.clone()).filter(|s| !s.is_empty()),
                    max_connections: db.max_connections,
                    acquire_timeout: config.acquire_timeout,
                    statement_timeout: config.statement_timeout,
                    write_attempts: db.write_attempts,
                };
                Ok(Arc::new(PgStore::open(&pg, keys).await?))
            }
        }
    }
}
