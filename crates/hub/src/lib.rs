//! idgate's hub: everything between the API dialects and hosted pages above and the store and
//! providers below, without an HTTP framework.
//!
//! - [`service`]: the operations every dialect, page and CLI command shares (tenant scoping,
//!   return-URL approval and authorisation are decided here, once).
//! - [`dialect`]: the port each API dialect implements (status words, webhook envelope,
//!   signature headers, its credential scheme).
//! - [`credentials`]: the credential port (issue, print; the hub verifies, revokes, rotates).
//! - [`jobs`]: background work (expiry, webhook delivery, metrics upkeep).
//! - [`settings`]: validated configuration.
//! - [`limits`]: request limits (per credential, per client address, session-creation caps).
//! - [`keys`]: the key file (data keys, result-token signing key, state secret).
//! - [`outbound`]: the one client for outbound calls, with its address policy.
//! - [`result_token`]: the signed outcome appended to return redirects.

pub mod credentials;
pub mod dialect;
pub mod invites;
pub mod jobs;
pub mod keys;
pub mod limits;
pub mod outbound;
pub mod random;
pub mod result_token;
pub mod service;
pub mod settings;

pub use dialect::{DialectWire, Dialects};
pub use service::{Hub, HubParts, Operator, ServiceError, ServiceResult};
pub use settings::Settings;
