//! Background work every node runs; coordination between nodes is through leases in the store.

pub mod decision_checks;
pub mod expiry;
pub mod invites;
pub mod metrics;
pub mod webhooks;
