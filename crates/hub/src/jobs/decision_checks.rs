//! The decision check: sessions submitted at a provider that decides later (Veriff) whose
//! decision no webhook brought are asked about (`Provider::collect`), so a lost webhook never
//! leaves a session pending. Every node runs the loop; the store marks each session it hands
//! out as asked, so nodes ask about different sessions and each waits `decision_recheck`.

use crate::service::Hub;
use chrono::Utc;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

const BATCH: u32 = 100;
/// How often each node looks for sessions to ask about.
const INTERVAL: Duration = Duration::from_secs(10);

/// Runs until `shutdown` is cancelled.
pub async fn run(hub: Arc<Hub>, shutdown: CancellationToken) {
    let mut ticker = tokio::time::interval(INTERVAL);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = shutdown.cancelled() => break,
            _ = ticker.tick() => {}
        }
        match hub.check_decisions(Utc::now(), BATCH).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(sessions = n, "decisions fetched that no webhook brought"),
            Err(e) => tracing::error!(error = %e, "decision check failed"),
        }
    }
}
