//! What every request handler can reach.

use idgate_hub::service::Hub;
use metrics_exporter_prometheus::PrometheusHandle;
use std::sync::Arc;

#[derive(Clone, Debug)]
pub struct AppState {
    pub hub: Arc<Hub>,
    pub metrics: PrometheusHandle,
}

impl std::ops::Deref for AppState {
    type Target = Hub;
    fn deref(&self) -> &Hub {
        &self.hub
    }
}
