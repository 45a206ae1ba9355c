//! Opening the store with its keys, and serving.

use crate::api;
use crate::hosted;
use crate::keys::{KeyFileError, Keys};
use crate::ops;
use crate::service::{Hub, ServiceError};
use crate::settings::{DatabaseKind, Settings, SettingsError};
use crate::state::AppState;
use axum::Router;
use axum::response::Redirect;
use axum::routing::get;
use idgate_core::{Partner, ReturnUrlStatus, Tier};
use idgate_providers::{ProviderError, ProviderRegistry};
use idgate_store::{META_DATA_KEY_IDS, Store, StoreError};
use idgate_store_sqlite::SqliteStore;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

const META_DEMO_PARTNER: &str = "demo_partner_id";

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Settings(#[from] SettingsError),
    #[error(transparent)]
    KeyFile(#[from] KeyFileError),
    #[error(
        "the database {database} exists but the key file {key_file} does not. Personal data in it \
         is encrypted with that key: restore the key file (or point keys.file at it). idgate never \
         creates a new key for an existing database."
    )]
    MissingKeyFile { database: String, key_file: String },
    #[error(
        "the database was encrypted with key(s) {missing} that the key file {key_file} does not \
         contain: restore the key file this database was created with"
    )]
    KeyMismatch { missing: String, key_file: String },
    #[error("cannot create directory {path}: {source}")]
    Directory {
        path: String,
        source: std::io::Error,
    },
    #[error("database: {0}")]
    Store(#[from] StoreError),
    #[error("providers: {0}")]
    Provider(#[from] ProviderError),
    #[error(transparent)]
    Service(#[from] ServiceError),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// The hub, opened and migrated.
#[derive(Debug)]
pub struct Opened {
    pub hub: Arc<Hub>,
    /// Whether this start generated the key file.
    pub generated_keys: bool,
}

/// Validates settings, loads (or, for a new database, creates) the key file, opens and
/// migrates the database, and checks the keys fit the database.
pub async fn open(settings: Settings) -> Result<Opened, StartupError> {
    let config = settings.validate()?;
    let DatabaseKind::Sqlite { path: db_path } = &config.database;
    let key_path = settings.keys.file.clone();
    let (keys, generated_keys) = if key_path.exists() {
        (Keys::load(&key_path)?, false)
    } else {
        let db_has_data = std::fs::metadata(db_path).is_ok_and(|m| m.len() > 0);
        if db_has_data {
            return Err(StartupError::MissingKeyFile {
                database: db_path.display().to_string(),
                key_file: key_path.display().to_string(),
            });
        }
        (Keys::generate(&key_path)?, true)
    };
    if let Some(dir) = db_path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| StartupError::Directory {
            path: dir.display().to_string(),
            source,
        })?;
    }
    let store = SqliteStore::open(&settings.database.url, keys.data.clone()).await?;
    store.migrate().await?;
    check_data_keys(&store, &keys, &key_path.display().to_string()).await?;
    let providers = ProviderRegistry::from_config(&settings.providers)?;
    Ok(Opened {
        hub: Arc::new(Hub {
            store: Arc::new(store),
            providers: Arc::new(providers),
            settings: Arc::new(settings),
            config: Arc::new(config),
            keys,
        }),
        generated_keys,
    })
}

/// Every data key the database has used must be in the ring; the active one is recorded.
async fn check_data_keys(
    store: &dyn Store,
    keys: &Keys,
    key_file: &str,
) -> Result<(), StartupError> {
    let recorded = store.meta_get(META_DATA_KEY_IDS).await?.unwrap_or_default();
    let mut ids: Vec<String> = recorded
        .split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    let missing: Vec<&str> = ids
        .iter()
        .filter(|id| !keys.data.contains(id))
        .map(String::as_str)
        .collect();
    if !missing.is_empty() {
        return Err(StartupError::KeyMismatch {
            missing: missing.join(", "),
            key_file: key_file.to_owned(),
        });
    }
    let active = keys.data.active_key_id().to_owned();
    if !ids.contains(&active) {
        ids.push(active);
        store.meta_set(META_DATA_KEY_IDS, &ids.join(",")).await?;
    }
    Ok(())
}

/// What the first start prints for the demo partner.
#[derive(Debug)]
pub struct DemoPartner {
    pub partner: Partner,
    pub secrets: crate::service::partners::EasyFreelanceSecrets,
    pub return_url: String,
}

/// Creates the demo partner (with an approved return URL on idgate's own demo page) unless it
/// exists or the demo is turned off. Returns it only when it was created now.
pub async fn ensure_demo_partner(hub: &Hub) -> Result<Option<DemoPartner>, StartupError> {
    if !hub.settings.demo.partner || hub.store.meta_get(META_DEMO_PARTNER).await?.is_some() {
        return Ok(None);
    }
    let (partner, secrets) = hub.create_partner("Demo partner", Tier::SelfServe).await?;
    let return_url = format!("{}/demo/return", hub.settings.public_base());
    let (rule, _) = hub.register_return_url(&partner, &return_url).await?;
    hub.decide_return_url(rule.id, ReturnUrlStatus::Approved)
        .await?;
    hub.store
        .meta_set(META_DEMO_PARTNER, &partner.id.to_string())
        .await?;
    Ok(Some(DemoPartner {
        partner,
        secrets,
        return_url,
    }))
}

/// The whole HTTP application.
pub fn app(state: AppState) -> Router {
    let routes = Router::new()
        .nest("/api/v1", api::easyfreelance::router())
        .merge(hosted::router())
        .merge(ops::router())
        .route("/", get(|| async { Redirect::to("/api/v1/docs/") }))
        .fallback(hosted::not_found)
        .with_state(state);
    ops::layer(routes)
}

/// A server running in the background.
#[derive(Debug)]
pub struct RunningServer {
    pub addr: SocketAddr,
    pub shutdown: CancellationToken,
    pub task: JoinHandle<std::io::Result<()>>,
    pub jobs: JoinHandle<()>,
}

impl RunningServer {
    /// Stops accepting, finishes in-flight requests and stops the jobs.
    pub async fn stop(self) {
        self.shutdown.cancel();
        let _ = self.task.await;
        let _ = self.jobs.await;
    }
}

/// Serves the hub on `listener` and starts the background jobs.
pub async fn serve(hub: Arc<Hub>, listener: TcpListener) -> Result<RunningServer, StartupError> {
    let addr = listener
        .local_addr()
        .map_err(|source| StartupError::Listen {
            addr: hub.settings.server.listen,
            source,
        })?;
    let shutdown = CancellationToken::new();
    let state = AppState {
        hub: hub.clone(),
        metrics: ops::metrics_handle(),
    };
    let app = app(state);
    let stop = shutdown.clone();
    let task = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move { stop.cancelled().await })
            .await
    });
    let node_id = format!("node-{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
    let jobs = tokio::spawn(crate::jobs::expiry::run(
        hub.clone(),
        node_id,
        hub.config.expiry_interval,
        shutdown.clone(),
    ));
    Ok(RunningServer {
        addr,
        shutdown,
        task,
        jobs,
    })
}
