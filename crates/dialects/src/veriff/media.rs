//! Veriff's media endpoints: a partner that collects images itself uploads them to a session
//! (`POST /sessions/{id}/media`, one base64 image per request), lists them (per session, per
//! attempt) and downloads one (`GET /media/{id}`), every call signed like the rest.

use super::auth::{Signed, authenticate};
use super::dto::{MediaItem, MediaList, MediaUpload, MediaUploaded};
use super::handlers::{Result, answer, attempts, parse_id, session, signed_session, time};
use super::problem::{VeriffError, VeriffFailure};
use crate::HubState;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use idgate_core::{Actor, LifecycleEvent, MediaId, Session, SessionMedia, Status, TransitionNote};
use idgate_hub::service::ServiceError;
use serde_json::Value;

/// JSON around the base64 text: the `image` object, its context and timestamp.
const ENVELOPE_BYTES: usize = 4096;

fn item(state: &HubState, media: &SessionMedia) -> MediaItem {
    MediaItem {
        id: media.id.to_string(),
        context: media.context.clone(),
        name: media.context.clone(),
        url: format!("{}/v1/media/{}", state.settings().public_base(), media.id),
        session_id: media.session_id.to_string(),
        attempt_id: media.attempt_id.clone(),
        timestamp: Some(time(media.created_at)),
        size: media.size,
        mimetype: media.mimetype.as_str(),
    }
}

/// The file in `content`: base64, bare or as a `data:` URL.
fn decode(content: &str) -> Result<Vec<u8>> {
    let encoded = match content.strip_prefix("data:") {
        Some(url) => url.split_once(";base64,").map(|(_, b)| b).ok_or_else(|| {
            VeriffError::bad_request(
                "1104",
                "image.content: a data URL must be base64 (data:image/jpeg;base64,…).",
            )
        })?,
        None => content,
    };
    base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .map_err(|_| VeriffError::bad_request("1104", "image.content is not valid base64."))
}

/// Upload media to a session
///
/// A base64 image with its `context` (e.g. `document-front`, `face`), sealed at rest and size-capped; refused once the session is submitted.
#[utoipa::path(
    post, path = "/sessions/{id}/media", tag = "media",
    request_body(content = MediaUpload, example = json!({"image": {"context": "document-front", "content": "data:image/jpeg;base64,/9j/4AAQSkZJRgABAQAAAQABAAD/2wBD..."}})),
    params(
        ("id" = String, Path, description = "The session id."),
        ("X-HMAC-SIGNATURE" = String, Header, description = "Hex HMAC-SHA256 of the raw body with the shared secret."),
    ),
    responses(
        (status = 200, description = "Stored (sealed). A `created` session is started by its first upload.", body = MediaUploaded),
        (status = 400, description = "1102 no `image`; 1104 bad context, base64 or file type (JPEG, PNG, WebP, HEIC/HEIF, PDF).", body = VeriffFailure),
        (status = 401, description = "Bad credentials or signature (1819 for the body).", body = VeriffFailure),
        (status = 404, description = "No such session for this integration.", body = VeriffFailure),
        (status = 409, description = "The session was submitted or is final: media goes before PATCH `submitted`.", body = VeriffFailure),
        (status = 413, description = "Larger than `limits.media_max_bytes` (16 MiB decoded by default).", body = VeriffFailure),
    ),
    security(("auth_client" = []))
)]
pub async fn upload(
    State(state): State<HubState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Body,
) -> Response {
    let outcome = async {
        let max = usize::try_from(state.media_max_bytes()).unwrap_or(usize::MAX);
        let limit = max
            .div_ceil(3)
            .saturating_mul(4)
            .saturating_add(ENVELOPE_BYTES);
        let body = axum::body::to_bytes(body, limit).await.map_err(|_| {
            VeriffError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "1104",
                format!("The image is larger than {max} bytes."),
            )
        })?;
        let integration = authenticate(&state, &headers, Signed::Body(&body)).await?;
        let session = session(&state, &integration, parse_id(&id)?).await?;
        let value: Value = serde_json::from_slice(&body).map_err(|e| {
            VeriffError::bad_request("1104", format!("The request body is not valid JSON: {e}"))
        })?;
        if value.get("image").is_none_or(|v| !v.is_object()) {
            return Err(VeriffError::bad_request(
                "1102",
                "Mandatory parameters are missing from the request: send an `image` object with `context` and `content`.",
            ));
        }
        let upload: MediaUpload = serde_json::from_value(value).map_err(|e| {
            VeriffError::bad_request("1104", format!("Request includes invalid parameters: {e}"))
        })?;
        let content = decode(&upload.image.content)?;
        state
            .check_media(&upload.image.context, &content)
            .map_err(ServiceError::from)?;
        let session = open_attempt(&state, session).await?;
        let events = state.timeline(session.id).await?;
        let attempt = attempts(&session, &events).last().map(|a| a.0.clone());
        let media = state
            .add_media(&session, attempt, &upload.image.context, &content)
            .await?;
        let body = serde_json::to_value(MediaUploaded {
            status: "success",
            image: item(&state, &media),
        })
        .map_err(|_| VeriffError::internal())?;
        Ok((integration, StatusCode::OK, body))
    };
    answer(outcome.await)
}

/// A `created` session starts with its first upload, so the files belong to an attempt; one
/// past `started` takes no more (409).
async fn open_attempt(state: &HubState, session: Session) -> Result<Session> {
    match session.status {
        Status::Started => Ok(session),
        Status::Created => {
            let plan = |s: &Session| match s.status {
                Status::Created => vec![(LifecycleEvent::Start, TransitionNote::default())],
                _ => Vec::new(),
            };
            Ok(state
                .transition_from(session, Actor::Partner, plan, |_| {})
                .await?)
        }
        _ => Err(ServiceError::from(idgate_hub::service::media::MediaError::Closed).into()),
    }
}

fn list(state: &HubState, media: &[SessionMedia]) -> Result<Value> {
    serde_json::to_value(MediaList {
        status: "success",
        images: media.iter().map(|m| item(state, m)).collect(),
        videos: Vec::new(),
    })
    .map_err(|_| VeriffError::internal())
}

/// List a session's media
///
/// Images and videos of the session, newest first.
#[utoipa::path(
    get, path = "/sessions/{id}/media", tag = "media",
    params(
        ("id" = String, Path, description = "The session id."),
        ("X-HMAC-SIGNATURE" = String, Header, description = "Hex HMAC-SHA256 of the session id with the shared secret."),
    ),
    responses(
        (status = 200, description = "The session's files, oldest first (no videos: idgate records none).", body = MediaList),
        (status = 401, description = "Bad credentials or signature.", body = VeriffFailure),
        (status = 404, description = "No such session for this integration.", body = VeriffFailure),
    ),
    security(("auth_client" = []))
)]
pub async fn session_media(
    State(state): State<HubState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let outcome = async {
        let (integration, session) = signed_session(&state, &headers, &id).await?;
        let media = state.session_media(&session).await?;
        Ok((integration, StatusCode::OK, list(&state, &media)?))
    };
    answer(outcome.await)
}

/// List an attempt's media
///
/// The media of one attempt.
#[utoipa::path(
    get, path = "/attempts/{id}/media", tag = "media",
    params(
        ("id" = String, Path, description = "An attempt id (GET /sessions/{id}/attempts)."),
        ("X-HMAC-SIGNATURE" = String, Header, description = "Hex HMAC-SHA256 of the attempt id with the shared secret."),
    ),
    responses(
        (status = 200, description = "The files uploaded during the attempt, oldest first; empty for an attempt of this integration's partner without uploads.", body = MediaList),
        (status = 401, description = "Bad credentials or signature.", body = VeriffFailure),
        (status = 404, description = "Not an attempt id (not a UUID).", body = VeriffFailure),
    ),
    security(("auth_client" = []))
)]
pub async fn attempt_media(
    State(state): State<HubState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let outcome = async {
        let integration = authenticate(&state, &headers, Signed::Id(&id)).await?;
        let attempt = uuid::Uuid::parse_str(&id)
            .map_err(|_| VeriffError::not_found())?
            .hyphenated()
            .to_string();
        let media = state.attempt_media(&integration.partner, &attempt).await?;
        Ok((integration, StatusCode::OK, list(&state, &media)?))
    };
    answer(outcome.await)
}

/// Download media
///
/// The media file's bytes, with its content type.
#[utoipa::path(
    get, path = "/media/{id}", tag = "media",
    params(
        ("id" = String, Path, description = "The media id."),
        ("X-HMAC-SIGNATURE" = String, Header, description = "Hex HMAC-SHA256 of the media id with the shared secret."),
    ),
    responses(
        (status = 200, description = "The file, with its type; the answer is signed over its bytes.", content_type = "application/octet-stream"),
        (status = 401, description = "Bad credentials or signature.", body = VeriffFailure),
        (status = 404, description = "No such media for this integration.", body = VeriffFailure),
    ),
    security(("auth_client" = []))
)]
pub async fn download(
    State(state): State<HubState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let outcome = async {
        let integration = authenticate(&state, &headers, Signed::Id(&id)).await?;
        let media_id: MediaId = id.parse().map_err(|_| media_not_found())?;
        let (media, content) = state
            .media_file(&integration.partner, media_id)
            .await
            .map_err(|e| match e {
                ServiceError::NotFound(_) => media_not_found(),
                other => other.into(),
            })?;
        Ok::<_, VeriffError>((integration, media, content))
    };
    match outcome.await {
        Ok((integration, media, content)) => integration.respond_bytes(
            StatusCode::OK,
            HeaderValue::from_static(media.mimetype.as_str()),
            content,
        ),
        Err(e) => e.into_response(),
    }
}

fn media_not_found() -> VeriffError {
    VeriffError::new(
        StatusCode::NOT_FOUND,
        "404",
        "Media not found for this integration.",
    )
}
