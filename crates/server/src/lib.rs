//! The idgate web shell: the end user's hosted pages, the simulators of identity providers,
//! operations endpoints, and the assembly of the dialects' routers into one application.
//!
//! - [`hosted`]: the hosted flow at `/v/{token}`, provider callbacks, the demo landing page.
//! - [`simulators`]: the sandbox providers' pages and the built-in OpenID Provider.
//! - [`ops`]: health, readiness, metrics, request ids, security headers.
//! - [`provider_webhooks`]: notifications identity providers push to idgate.
//! - [`startup`]: opening the store with its keys, the router, serving and the jobs.
//! - [`connections`]: accepting connections (header timeout, peer address, graceful stop).
//!
//! The services behind them are in `idgate-hub`; the partner APIs in `idgate-dialects`.

pub mod admin_api;
pub mod connections;
pub mod console;
pub mod hosted;
pub mod ops;
pub mod provider_webhooks;
pub mod simulators;
pub mod startup;
pub mod state;

pub use idgate_hub::Settings;
pub use startup::{Opened, RunningServer, open, serve};
pub use state::AppState;
