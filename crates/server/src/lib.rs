//! The idgate HTTP server: API dialects, the hosted verification flow, provider callbacks,
//! background jobs and operations endpoints, over the domain core and the store.
//!
//! - [`settings`]: validated configuration.
//! - [`keys`]: the key file (data keys, result-token signing key, state secret).
//! - [`service`]: the operations every dialect, page and CLI command shares (tenant scoping
//!   and authorisation live here, once).
//! - [`api`]: one module per API dialect.
//! - [`hosted`]: the end user's pages, provider callbacks and the sandbox simulator.
//! - [`jobs`]: background work (expiry).
//! - [`ops`]: health, readiness, metrics, request ids, security headers.
//! - [`startup`]: opening the store and serving.

pub mod api;
pub mod hosted;
pub mod jobs;
pub mod keys;
pub mod ops;
pub mod outbound;
pub mod result_token;
pub mod service;
pub mod settings;
pub mod startup;
pub mod state;

pub use settings::Settings;
pub use startup::{Opened, RunningServer, open, serve};
pub use state::AppState;
