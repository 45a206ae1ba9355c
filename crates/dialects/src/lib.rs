//! idgate's partner API dialects, one folder each. A dialect translates its vendor's wire
//! format to [`idgate_hub::service`] calls and back, and implements the hub's
//! [`idgate_hub::DialectWire`] port (status words, webhook envelope, signature headers) in its
//! `wire.rs`.
//!
//! - [`easyfreelance`]: the EasyFreelance partner API, at `/api/v1`.
//! - [`hopae`]: Hopae Connect, at `/connect/v1`.
//! - [`veriff`]: Veriff's sessions API, at `/v1`.
//! - [`deepidv`]: deepidv's sessions API, at `/v1` beside Veriff's (told apart by header).
//! - [`webhook_endpoints`]: partner webhook management, mounted by a dialect where its API
//!   lives (EasyFreelance today).
//! - [`kit`]: request bodies, field errors and problem basics every dialect shares.
//!
//! A new dialect is a folder here plus a line in [`wires`] and a mount in the server's router.

pub mod deepidv;
pub mod easyfreelance;
pub mod hopae;
pub mod kit;
pub mod veriff;
pub mod webhook_endpoints;

use idgate_hub::{Dialects, Hub};
use std::sync::Arc;

/// What every dialect handler is given: the hub.
pub type HubState = Arc<Hub>;

/// Every dialect's port, for the hub.
pub fn wires() -> Dialects {
    Dialects::new([
        Arc::new(easyfreelance::wire::EasyFreelanceWire) as Arc<dyn idgate_hub::DialectWire>,
        Arc::new(hopae::wire::HopaeWire),
        Arc::new(veriff::wire::VeriffWire),
        Arc::new(deepidv::wire::DeepIdvWire),
    ])
}
