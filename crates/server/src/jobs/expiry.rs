//! The expiry job: at `expires_at`, created → expired and started / submitted /
//! resubmission_requested → abandoned, each recorded as an event by the system.
//!
//! Every node runs the loop; a lease in the store lets one node sweep at a time, and each
//! session moves by an optimistic compare-and-set, so even overlapping sweeps move a session
//! once. No transaction stays open across a batch.

use crate::service::Hub;
use chrono::{Duration, Utc};
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

const LEASE_NAME: &str = "expiry-sweep";
const BATCH: u32 = 500;

/// Runs until `shutdown` is cancelled.
pub async fn run(
    hub: Arc<Hub>,
    node_id: String,
    interval: std::time::Duration,
    shutdown: CancellationToken,
) {
    let lease = Duration::from_std(interval * 3).unwrap_or(Duration::minutes(5));
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = shutdown.cancelled() => break,
            _ = ticker.tick() => {}
        }
        let now = Utc::now();
        match hub
            .store
            .try_lease(LEASE_NAME, &node_id, now, now + lease)
            .await
        {
            Ok(true) => match hub.sweep_expired(now, BATCH).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(sessions = n, "expired due sessions"),
                Err(e) => tracing::error!(error = %e, "expiry sweep failed"),
            },
            Ok(false) => {}
            Err(e) => tracing::error!(error = %e, "could not take the expiry lease"),
        }
    }
    let _ = hub.store.release_lease(LEASE_NAME, &node_id).await;
}
