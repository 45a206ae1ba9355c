//! `POST /providers/{id}/webhook`: where identity providers push their notifications (Veriff's
//! decision and event webhooks). The raw body goes to the provider's adapter, which proves its
//! origin before anything is parsed; the hub records it. Answers are small JSON documents for
//! the provider's retry logic; errors are problem documents with a stable code.

use crate::state::AppState;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use idgate_dialects::kit::{problem_response, problem_type};
use idgate_hub::ServiceError;
use idgate_hub::service::provider_notices::NoticeReceipt;
use idgate_providers::ProviderError;
use serde_json::json;

/// Provider notifications are small; a larger body is refused before the adapter sees it.
const MAX_NOTICE_BYTES: usize = 256 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/providers/{provider}/webhook", post(receive))
        .layer(DefaultBodyLimit::max(MAX_NOTICE_BYTES))
}

async fn receive(
    State(state): State<AppState>,
    Path(provider): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match state.provider_notice(&provider, &headers, &body).await {
        Ok(receipt) => {
            let answer = match receipt {
                NoticeReceipt::Recorded { session, status } => {
                    json!({"received": true, "session": session.to_string(), "status": status.as_str(), "changed": true})
                }
                NoticeReceipt::Unchanged { session, status } => {
                    json!({"received": true, "session": session.to_string(), "status": status.as_str(), "changed": false})
                }
                NoticeReceipt::UnknownSession => json!({"received": true, "session": null}),
            };
            (StatusCode::OK, axum::Json(answer)).into_response()
        }
        Err(e) => refused(&provider, e),
    }
}

fn refused(provider: &str, error: ServiceError) -> Response {
    let (status, code, detail) = match &error {
        ServiceError::UnknownProvider(_) => (
            StatusCode::NOT_FOUND,
            "provider_not_found",
            format!("no provider {provider:?} is configured"),
        ),
        ServiceError::Provider(ProviderError::NoWebhooks) => (
            StatusCode::NOT_FOUND,
            "provider_sends_no_webhooks",
            format!("provider {provider:?} does not take webhooks"),
        ),
        ServiceError::Provider(ProviderError::NotAuthentic(why)) => {
            tracing::warn!(provider, reason = %why, "provider notice refused: not authentic");
            (
                StatusCode::UNAUTHORIZED,
                "notice_not_authentic",
                "the notification's signature does not verify".to_owned(),
            )
        }
        ServiceError::Provider(ProviderError::InvalidCallback(why)) => {
            (StatusCode::BAD_REQUEST, "invalid_notice", why.clone())
        }
        ServiceError::Store(_) | ServiceError::Contention => {
            tracing::error!(provider, error = %error, "provider notice not recorded");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "temporarily_unavailable",
                "the notification could not be recorded; retry later".to_owned(),
            )
        }
        other => {
            tracing::error!(provider, error = %other, "provider notice failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal_error",
                "the notification could not be processed".to_owned(),
            )
        }
    };
    problem_response(
        status,
        json!({
            "type": problem_type(code),
            "title": status.canonical_reason().unwrap_or("Error"),
            "status": status.as_u16(),
            "code": code,
            "detail": detail,
        }),
    )
}
