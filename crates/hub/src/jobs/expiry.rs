//! The expiry job: at `expires_at`, created → expired and started / submitted /
//! resubmission_requested → abandoned, each recorded as an event by the system.
//!
//! Every node runs the loop. Each sweep claims batches of due sessions with a lease (on
//! PostgreSQL with `FOR UPDATE SKIP LOCKED`), so nodes work on different sessions and a
//! crashed node's claims are taken again when their lease ends; each session then moves by an
//! optimistic compare-and-set, so it moves once even if two sweeps meet. No transaction stays
//! open across a batch.

use crate::service::Hub;
use chrono::Utc;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

const BATCH: u32 = 500;

/// Runs until `shutdown` is cancelled.
pub async fn run(hub: Arc<Hub>, shutdown: CancellationToken) {
    let mut ticker = tokio::time::interval(hub.config.expiry_interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = shutdown.cancelled() => break,
            _ = ticker.tick() => {}
        }
        match hub
            .sweep_expired_until(Utc::now(), BATCH, hub.config.expiry_lease, &shutdown)
            .await
        {
            Ok(0) => {}
            Ok(n) => tracing::info!(sessions = n, "expired due sessions"),
            Err(e) => tracing::error!(error = %e, "expiry sweep failed"),
        }
    }
}
