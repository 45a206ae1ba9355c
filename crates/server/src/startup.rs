//! Opening the store with its keys, and serving.

use crate::admin_api;
use crate::console;
use crate::hosted;
use crate::ops;
use crate::provider_webhooks;
use crate::simulators;
use crate::state::AppState;
use axum::Router;
use axum::response::Redirect;
use axum::routing::get;
use idgate_core::{CredentialKind, Partner, ReturnUrlStatus, Tier};
use idgate_hub::credentials::IssuedCredential;
use idgate_hub::keys::{KeyFileError, Keys};
use idgate_hub::outbound::{Outbound, ProviderClients};
use idgate_hub::service::{Hub, HubParts, ServiceError};
use idgate_hub::settings::{Settings, SettingsError, Validated};
use idgate_providers::{ProviderConfig, ProviderError, ProviderRegistry};
use idgate_store::{KeyRing, META_DATA_KEY_IDS, Store, StoreError};
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
    #[error(transparent)]
    Outbound(#[from] idgate_hub::outbound::OutboundError),
    #[error("{0}")]
    Invites(String),
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
    /// The built-in BankID simulator, when a `bankid` provider's `base_url` is `"{simulator}"`.
    pub bankid: Option<Arc<simulators::bankid::Simulator>>,
}

/// Validates settings, loads (or, for a new database, creates) the key file, opens and
/// migrates the database, and checks the keys fit the database.
///
/// Safe when several nodes start at once on one PostgreSQL: migrations run under an advisory
/// lock, and if two nodes race to create the key file, the loser loads the winner's.
pub async fn open(settings: Settings, engines: &dyn StoreEngines) -> Result<Opened, StartupError> {
    open_with(settings, engines, Vec::new()).await
}

/// [`open`], with adapters built outside configuration added to the configured providers
/// (an embedder's own protocol; the provider port's tests).
pub async fn open_with(
    settings: Settings,
    engines: &dyn StoreEngines,
    adapters: Vec<Arc<dyn idgate_providers::Provider>>,
) -> Result<Opened, StartupError> {
    let config = settings.validate()?;
    let key_path = settings.keys.file.clone();
    let key_file = key_path.display().to_string();
    let (mut keys, pending_key_file) = if key_path.exists() {
        (Keys::load(&key_path)?, None)
    } else {
        let (keys, text) = Keys::new_random(&key_path)?;
        (keys, Some(text))
    };
    let mut store = engines.open(&settings, &config, keys.data.clone()).await?;
    store.migrate().await?;
    let recorded = recorded_data_keys(store.as_ref()).await?;
    let mut generated_keys = false;
    if let Some(text) = pending_key_file {
        // A node starting beside us may have created the key file meanwhile: its keys are the
        // database's keys. Only a database that has keys while no key file exists is refused.
        let written = if recorded.is_empty() {
            Keys::write_new(&key_path, &text)
        } else {
            Err(std::io::ErrorKind::AlreadyExists.into())
        };
        match written {
            Ok(()) => generated_keys = true,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                if !key_path.exists() {
                    return Err(StartupError::MissingKeyFile {
                        database: idgate_hub::settings::redact_password(&settings.database.url),
                        key_file,
                    });
                }
                keys = Keys::load(&key_path)?;
                store = engines.open(&settings, &config, keys.data.clone()).await?;
            }
            Err(source) => {
                return Err(StartupError::KeyFile(KeyFileError::Write {
                    path: key_file,
                    source,
                }));
            }
        }
    }
    check_data_keys(store.as_ref(), &keys, recorded, &key_file).await?;
    let outbound = Outbound::new(
        config.outbound_connect_timeout,
        config.outbound_timeout,
        &config.allow_private,
    )?;
    // `{public_url}` in an issuer or a base URL stands for this deployment (the built-in OIDC
    // and Veriff simulators).
    let mut provider_config = settings.providers.clone();
    let mut simulated_veriff = Vec::new();
    let mut bankid = None;
    for (id, provider) in &mut provider_config {
        if let ProviderConfig::BankId(table) = provider
            && table.base_url.as_deref() == Some(simulators::bankid::SIMULATOR)
        {
            if !settings.sandboxes_enabled() || table.enabled == Some(false) {
                // Left out with the other test providers.
                table.sandbox = Some(true);
                continue;
            }
            let simulator = match &bankid {
                Some(simulator) => Arc::clone(simulator),
                None => {
                    // Its test PKI lives beside the key file (the deployment's data folder).
                    let dir = key_path
                        .parent()
                        .unwrap_or_else(|| std::path::Path::new("."))
                        .join("bankid-simulator");
                    let made = Arc::new(
                        simulators::bankid::Simulator::prepare(&dir)
                            .map_err(|e| ProviderError::Config(format!("providers.{id}: {e}")))?,
                    );
                    bankid = Some(Arc::clone(&made));
                    made
                }
            };
            simulator.configure(id, table, settings.public_base());
        }
        if let ProviderConfig::Oidc(oidc) = provider
            && let Some(issuer) = &mut oidc.issuer
        {
            // The built-in simulator is a sandbox, whatever its table says.
            if issuer.starts_with("{public_url}/simulators/") {
                oidc.sandbox = Some(true);
            }
            *issuer = issuer.replace("{public_url}", settings.public_base());
        }
        if let ProviderConfig::Veriff(veriff) = provider
            && simulators::veriff::prepare(id, veriff, settings.public_base(), &keys)
            && veriff.enabled.unwrap_or(true)
        {
            simulated_veriff.push(id.clone());
        }
    }
    // The Veriff API's sessions must not go to a Veriff provider that calls that same API.
    if simulated_veriff.contains(&settings.dialects.veriff.provider) {
        return Err(ProviderError::Config(format!(
            "dialects.veriff.provider is {:?}, the simulated Veriff that calls this idgate's own Veriff API: name a sandbox (e.g. veriff-sandbox) or a real provider",
            settings.dialects.veriff.provider
        ))
        .into());
    }
    let mut clients = ProviderClients::new(outbound.clone(), settings.public_base());
    if let Some(simulator) = &bankid {
        clients = clients.with_own(&simulator.base_url());
    }
    let mut providers =
        ProviderRegistry::from_config(&provider_config, &clients, settings.sandboxes_enabled())?;
    for adapter in adapters {
        providers.add(adapter);
    }
    let console_sso = idgate_hub::service::single_sign_on::ConsoleSso::from_settings(
        &settings.console.sso,
        &clients,
    )?;
    let sandboxes = settings.sandboxes_enabled();
    let invite_senders =
        idgate_hub::invites::InviteSenders::from_settings(&settings.invites, &config)
            .map_err(StartupError::Invites)?;
    let hub = Arc::new(Hub::new(HubParts {
        store,
        providers,
        settings,
        config,
        keys,
        outbound,
        dialects: idgate_dialects::wires(),
        invite_senders,
        console_sso,
    }));
    if sandboxes {
        for id in &simulated_veriff {
            simulators::veriff::ensure(&hub, id).await?;
        }
    }
    Ok(Opened {
        hub,
        generated_keys,
        bankid,
    })
}

/// The store engines a build offers: opens the configured database with the data keys. The
/// composition root (the `idgate` binary, or a test kit) provides it, so the web shell never
/// names an engine.
#[async_trait::async_trait]
pub trait StoreEngines: Send + Sync {
    async fn open(
        &self,
        settings: &Settings,
        config: &Validated,
        keys: Arc<KeyRing>,
    ) -> Result<Arc<dyn Store>, StartupError>;
}

/// The ids of every data key that has encrypted something in this database.
async fn recorded_data_keys(store: &dyn Store) -> Result<Vec<String>, StartupError> {
    let recorded = store.meta_get(META_DATA_KEY_IDS).await?.unwrap_or_default();
    Ok(recorded
        .split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect())
}

/// Every data key the database has used must be in the ring; the active one is recorded.
async fn check_data_keys(
    store: &dyn Store,
    keys: &Keys,
    mut recorded: Vec<String>,
    key_file: &str,
) -> Result<(), StartupError> {
    let missing: Vec<&str> = recorded
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
    if !recorded.contains(&active) {
        recorded.push(active);
        store
            .meta_set(META_DATA_KEY_IDS, &recorded.join(","))
            .await?;
    }
    Ok(())
}

/// What the first start prints for the demo partner.
#[derive(Debug)]
pub struct DemoPartner {
    pub partner: Partner,
    /// One per dialect, shown this once.
    pub credentials: Vec<IssuedCredential>,
    pub return_url: String,
    /// The demo's console operator (an admin) and an admin API token for it, shown once;
    /// none when an operator of that name exists already.
    pub operator: Option<(idgate_hub::service::operators::CreatedOperator, String)>,
}

impl DemoPartner {
    /// The value shown under `field` for credentials of `kind` (empty if there is none).
    pub fn secret(&self, kind: CredentialKind, field: &str) -> &str {
        self.credentials
            .iter()
            .find(|c| c.kind == kind)
            .and_then(|c| c.secret(field))
            .unwrap_or_default()
    }
}

/// Creates the demo partner (with an approved return URL on idgate's own demo page) unless it
/// exists or the demo is turned off. Returns it only when it was created now. When several
/// nodes start at once, one wins the claim and creates it.
pub async fn ensure_demo_partner(hub: &Hub) -> Result<Option<DemoPartner>, StartupError> {
    if !hub.settings().demo.partner
        || !hub
            .operator()
            .store()
            .meta_set_if_absent(META_DEMO_PARTNER, "being created")
            .await?
    {
        return Ok(None);
    }
    let (partner, credentials) = hub.create_partner("Demo partner", Tier::SelfServe).await?;
    let return_url = format!("{}/demo/return", hub.settings().public_base());
    let (rule, _) = hub.register_return_url(&partner, &return_url).await?;
    hub.decide_return_url(rule.id, ReturnUrlStatus::Approved)
        .await?;
    use idgate_hub::service::operators::AuditActor;
    let operator = match hub
        .create_operator(
            "demo-admin",
            idgate_core::OperatorRole::Admin,
            Vec::new(),
            AuditActor::Cli,
        )
        .await
    {
        Ok(created) => {
            let (_, token) = hub
                .issue_operator_token(AuditActor::Cli, "demo-admin", "demo")
                .await?;
            Some((created, token))
        }
        Err(ServiceError::InvalidOperator(why)) => {
            tracing::warn!(%why, "no demo operator");
            None
        }
        Err(e) => return Err(e.into()),
    };
    hub.operator()
        .store()
        .meta_set(META_DEMO_PARTNER, &partner.id.to_string())
        .await?;
    Ok(Some(DemoPartner {
        partner,
        credentials,
        return_url,
        operator,
    }))
}

/// The whole HTTP application.
pub fn app(state: AppState) -> Router {
    let options = ops::LayerOptions {
        https: state.settings().public_is_https(),
        test_mode: state.settings().api.test_mode,
        request_timeout: state.config().request_timeout,
    };
    let routes = Router::new()
        .nest(
            "/api/v1",
            idgate_dialects::easyfreelance::router().with_state(state.hub.clone()),
        )
        .nest(
            "/connect/v1",
            idgate_dialects::hopae::router().with_state(state.hub.clone()),
        )
        .nest(
            "/connect/oidc",
            // Reached by people's browsers (authorize creates a verification): counted per
            // client address like the hosted pages.
            idgate_dialects::hopae::oidc::router()
                .with_state(state.hub.clone())
                .layer(axum::middleware::from_fn_with_state(
                    state.clone(),
                    hosted::client_limit::enforce,
                )),
        )
        .nest(
            "/v1",
            idgate_dialects::veriff::router().with_state(state.hub.clone()),
        )
        .merge(hosted::router(state.clone()))
        .merge(console::router(state.clone()))
        .merge(admin_api::router(state.clone()))
        .merge(if state.settings().sandboxes_enabled() {
            simulators::router()
        } else {
            Router::new()
        })
        .merge(provider_webhooks::router())
        .merge(ops::router())
        .route("/", get(|| async { Redirect::to("/api/v1/docs/") }))
        .fallback(hosted::not_found)
        .with_state(state);
    ops::layer(routes, options)
}

/// A server running in the background.
#[derive(Debug)]
pub struct RunningServer {
    pub addr: SocketAddr,
    pub shutdown: CancellationToken,
    pub task: JoinHandle<std::io::Result<()>>,
    pub jobs: JoinHandle<()>,
    /// How long [`RunningServer::stop`] waits for requests and jobs to finish.
    pub grace: std::time::Duration,
}

impl RunningServer {
    /// Stops accepting, finishes in-flight requests and stops the jobs; after `grace`
    /// whatever still runs is dropped (a client that never finishes its request does not keep
    /// the process alive).
    pub async fn stop(self) {
        self.shutdown.cancel();
        let grace = self.grace;
        let mut task = self.task;
        if tokio::time::timeout(grace, &mut task).await.is_err() {
            tracing::warn!("connections still open after the shutdown grace; closing them");
            task.abort();
        }
        let mut jobs = self.jobs;
        if tokio::time::timeout(grace, &mut jobs).await.is_err() {
            jobs.abort();
        }
    }
}

/// Serves the hub on `listener` (and the BankID simulator's RP API on its own, when there is
/// one) and starts the background jobs.
pub async fn serve(opened: &Opened, listener: TcpListener) -> Result<RunningServer, StartupError> {
    let hub = opened.hub.clone();
    let addr = listener
        .local_addr()
        .map_err(|source| StartupError::Listen {
            addr: hub.settings().server.listen,
            source,
        })?;
    let shutdown = CancellationToken::new();
    let state = AppState {
        hub: hub.clone(),
        metrics: ops::metrics_handle(),
        bankid: opened.bankid.clone(),
    };
    let simulated_bankid = opened
        .bankid
        .clone()
        .map(|simulator| tokio::spawn(simulator.serve(shutdown.clone())));
    let app = app(state);
    let stop = shutdown.clone();
    let header_read_timeout = hub.config().header_read_timeout;
    let task = tokio::spawn(crate::connections::serve(
        listener,
        app,
        header_read_timeout,
        stop,
    ));
    let expiry = tokio::spawn(idgate_hub::jobs::expiry::run(hub.clone(), shutdown.clone()));
    let webhooks = tokio::spawn(idgate_hub::jobs::webhooks::run(
        hub.clone(),
        shutdown.clone(),
    ));
    let decisions = tokio::spawn(idgate_hub::jobs::decision_checks::run(
        hub.clone(),
        shutdown.clone(),
    ));
    let invites = tokio::spawn(idgate_hub::jobs::invites::run(
        hub.clone(),
        shutdown.clone(),
    ));
    let upkeep = tokio::spawn(idgate_hub::jobs::metrics::run(
        ops::metrics_handle(),
        shutdown.clone(),
    ));
    let jobs = tokio::spawn(async move {
        let _ = tokio::join!(expiry, webhooks, decisions, invites, upkeep);
        if let Some(simulator) = simulated_bankid {
            let _ = simulator.await;
        }
    });
    Ok(RunningServer {
        addr,
        shutdown,
        task,
        jobs,
        grace: hub.config().shutdown_grace,
    })
}
