//! What every request handler can reach.

use idgate_hub::service::Hub;
use metrics_exporter_prometheus::PrometheusHandle;
use std::sync::Arc;

#[derive(Clone, Debug)]
pub struct AppState {
    pub hub: Arc<Hub>,
    pub metrics: PrometheusHandle,
    /// The built-in BankID simulator, when a `bankid` provider uses it.
    pub bankid: Option<Arc<crate::simulators::bankid::Simulator>>,
}

impl std::ops::Deref for AppState {
    type Target = Hub;
    fn deref(&self) -> &Hub {
        &self.hub
    }
}
