//! idgate-server's integration tests, one binary (one link of the whole application instead of
//! one per file). Each module is one area; the test kit is `idgate-testkit`.

mod accessibility;
mod admin_api;
mod bankid;
mod browser_e2e;
mod console;
mod console_sso;
mod credentials;
mod deepidv_api;
mod easyfreelance_api;
mod embedding;
mod expiry_job;
mod flow_binding;
mod hopae_api;
mod hopae_workspace;
mod hosted_flow;
mod invites;
mod landings;
mod languages_and_brand;
mod oidc_front_door;
mod oidc_peer;
mod oidc_simulator;
mod oidc_tokens;
mod openapi_snapshot;
mod ops;
mod production;
mod provider_chooser;
mod provider_webhooks;
mod quotas;
mod startup_keys;
mod veriff_api;
mod veriff_upstream;
mod webhook_fairness;
mod webhooks;
