//! Stand-ins for real identity providers, served by the binary so everything runs offline:
//! the sandbox providers' pages and phone app ([`sandbox`]), an OpenID Provider that the
//! real OIDC adapter logs in at ([`oidc`]), and a Veriff upstream that the real Veriff adapter
//! calls: this idgate's own Veriff API ([`veriff`]), and Swedish BankID's RP API over mutual
//! TLS with a simulated BankID app ([`bankid`]).

pub mod bankid;
mod oidc;
mod sandbox;
pub(crate) mod veriff;

use crate::hosted::language::Lang;
use crate::hosted::ui::Ui;
use crate::state::AppState;
use axum::Router;
use axum::routing::{get, post};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/sandbox/{provider}/authorize",
            get(sandbox::authorize_page).post(sandbox::authorize_submit),
        )
        .route("/sandbox/{provider}/app", get(sandbox::app_home))
        .route("/sandbox/{provider}/app/scan", post(sandbox::app_scan))
        .route(
            "/sandbox/{provider}/app/requests",
            post(sandbox::app_requests),
        )
        .route("/sandbox/{provider}/app/decide", post(sandbox::app_decide))
        .merge(oidc::router())
        .merge(bankid::app_router())
}

/// The frame of the simulators' pages: a provider's own pages, in English, always marked as a
/// sandbox.
pub(crate) fn simulator_ui() -> Ui {
    Ui::new(Lang::ENGLISH).sandbox(true)
}
