//! A dialect's API documentation page: Swagger UI, served from the binary, at `/docs/` under
//! the dialect's base path, reading the dialect's `openapi.json`.

use crate::HubState;
use axum::Router;
use axum::http::{HeaderValue, header};
use tower_http::compression::CompressionLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use utoipa_swagger_ui::SwaggerUi;

/// The docs page for the document at `openapi_url` (absolute path, e.g. `/v1/openapi.json`);
/// `document` is also served at `openapi.json` below the dialect's base when given (a dialect
/// that serves its document itself passes `None`).
pub fn docs(
    openapi_url: &'static str,
    document: Option<utoipa::openapi::OpenApi>,
) -> Router<HubState> {
    let mut ui = SwaggerUi::new("/docs");
    if let Some(document) = document {
        // Relative to the dialect's nest.
        ui = ui.url("/openapi.json", document);
    }
    let ui = ui.config(utoipa_swagger_ui::Config::new([openapi_url]).validator_url("none"));
    Router::<HubState>::from(ui)
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            // Swagger UI's own assets, all served from the binary.
            HeaderValue::from_static(
                "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
            ),
        ))
        // Its script bundle is about 1.5 MB: compressed for browsers that take it.
        .layer(CompressionLayer::new().br(true).gzip(true))
}
