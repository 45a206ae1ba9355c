//! A dialect's API documentation page: Swagger UI, served from the binary, at `/docs/` under
//! the dialect's base path, reading the dialect's `openapi.json`.

use crate::HubState;
use axum::Router;
use axum::body::Body;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
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
    docs_at("/docs", openapi_url, document)
}

/// [`docs`] at `ui_path` below the dialect's base (two dialects sharing a base path each
/// have their own page).
pub fn docs_at(
    ui_path: &'static str,
    openapi_url: &'static str,
    document: Option<utoipa::openapi::OpenApi>,
) -> Router<HubState> {
    let mut ui = SwaggerUi::new(ui_path);
    if let Some(document) = document {
        // Relative to the dialect's nest.
        ui = ui.url("/openapi.json", document);
    }
    let ui = ui.config(
        utoipa_swagger_ui::Config::new([openapi_url])
            .validator_url("none")
            // No top bar (its URL box and button have no labels), no links nested in the
            // operations' buttons.
            .use_base_layout()
            .deep_linking(false),
    );
    Router::<HubState>::from(ui)
        // Beside the page: its `../docs-a11y.*` from `{ui_path}/`.
        .route(&format!("{ui_path}-a11y.js"), get(accessibility_script))
        .route(&format!("{ui_path}-a11y.css"), get(accessibility_styles))
        .layer(axum::middleware::map_response(with_accessibility_fixes))
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

async fn accessibility_script() -> Response {
    static_asset(
        "text/javascript; charset=utf-8",
        include_str!("../../assets/docs-a11y.js"),
    )
}

async fn accessibility_styles() -> Response {
    static_asset(
        "text/css; charset=utf-8",
        include_str!("../../assets/docs-a11y.css"),
    )
}

fn static_asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=3600"),
            ),
        ],
        body,
    )
        .into_response()
}

/// Adds idgate's accessibility fixes to Swagger UI's page (its one HTML document).
async fn with_accessibility_fixes(response: Response) -> Response {
    let html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if !html {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return (
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            "docs page too large",
        )
            .into_response();
    };
    let page = String::from_utf8_lossy(&bytes)
        .replace(
            "</head>",
            "<link rel=\"stylesheet\" href=\"../docs-a11y.css\"></head>",
        )
        .replace(
            "</body>",
            "<script src=\"../docs-a11y.js\"></script></body>",
        );
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(page))
}
