//! EasyFreelance request handlers: parse and validate the wire format, call the hub, shape the
//! answer.

use super::auth::EasyFreelancePartner;
use super::dto::{
    CreateFlowRequest, FlowCreated, FlowStatus, IdType, ProviderName, ReturnUrlList,
    ReturnUrlRecord, ReturnUrlRequest, SandboxDecisionRequest, SandboxOutcome, UserView,
    onboarding, timestamp,
};
use crate::HubState;
use crate::easyfreelance::problem::{ApiError, Problem};
use crate::kit::RequestError;
use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use idgate_core::return_url::MAX_RETURN_URL_LEN;
use idgate_core::{
    Actor, ApplicantData, Dialect, ExternalRefs, NewSession, Partner, Session, SessionId, Status,
};
use idgate_hub::service::ServiceError;
use idgate_providers::Decision;
use idgate_providers::sandbox::SandboxChoice;
use idgate_store::SessionPage;
use serde::de::DeserializeOwned;
use serde_json::Value;

type Errors = crate::kit::FieldErrors;
use crate::kit::add_field_error as add;

fn json_body(
    body: Result<Json<Value>, JsonRejection>,
) -> Result<serde_json::Map<String, Value>, ApiError> {
    crate::kit::json_object(body).map_err(|e| RequestError::Body(e).into())
}

/// A required string field of at most `max` characters.
fn required_string(
    body: &serde_json::Map<String, Value>,
    field: &str,
    max: usize,
    errors: &mut Errors,
) -> Option<String> {
    match body.get(field) {
        None | Some(Value::Null) => {
            add(errors, field, format!("The {field} field is required."));
            None
        }
        Some(Value::String(s)) if s.trim().is_empty() => {
            add(errors, field, format!("The {field} field is required."));
            None
        }
        Some(Value::String(s)) if s.chars().count() > max => {
            add(
                errors,
                field,
                format!("The {field} field must not be greater than {max} characters."),
            );
            None
        }
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => {
            add(
                errors,
                field,
                format!("The {field} field must be a string."),
            );
            None
        }
    }
}

/// An optional enum field, reporting the allowed values when it is wrong.
fn enum_field<T: DeserializeOwned>(
    body: &serde_json::Map<String, Value>,
    field: &str,
    allowed: &str,
    errors: &mut Errors,
) -> Option<T> {
    match body.get(field) {
        None | Some(Value::Null) => None,
        Some(v) => serde_json::from_value(v.clone()).map_or_else(
            |_| {
                add(
                    errors,
                    field,
                    format!("The selected {field} is invalid; use one of: {allowed}."),
                );
                None
            },
            Some,
        ),
    }
}

fn decode<T: DeserializeOwned>(body: serde_json::Map<String, Value>) -> Result<T, ApiError> {
    Ok(crate::kit::decode(body)?)
}

fn session_id(path: Result<Path<String>, PathRejection>) -> Result<SessionId, ApiError> {
    path.ok()
        .and_then(|Path(raw)| raw.parse().ok())
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                "verification session not found",
            )
        })
}

/// Register a return URL
///
/// Asks to send users back to this URL after verification. The record stays `pending` until an operator approves it; registering the same URL again answers its existing record.
#[utoipa::path(
    post, path = "/verification-return-urls", tag = "return URLs",
    request_body(content = ReturnUrlRequest, example = json!({"partner_return_url": "https://app.partner.example.com/verification/return"})),
    responses(
        (status = 400, description = "The body is not a JSON object (`invalid_json`).", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is larger than 64 KiB (`payload_too_large`).", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not sent as application/json (`unsupported_media_type`).", body = Problem, content_type = "application/problem+json"),
        (status = 201, description = "Request recorded, not yet approved; the same URL again answers its existing record.", body = ReturnUrlRecord, example = json!({"id": "01a25070-60d3-70ca-a657-9f044d90db48", "partner_id": 7, "status": "pending", "requested_url": "https://app.partner.example.com/verification/return", "requested_at": "2026-12-07T12:17:51Z", "decided_at": null, "normalized_scheme": "https", "normalized_host": "app.partner.example.com", "normalized_path_prefix": "/verification/return"})),
        (status = 401, description = "Missing or invalid credentials.", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "A rate limit was reached; retry after Retry-After seconds (RateLimit-Policy and RateLimit name the limit).", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait before retrying."))),
        (status = 422, description = "Invalid field or URL (`validation_failed`, `return_url_invalid`).", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [], "api_key" = []))
)]
pub async fn register_return_url(
    State(state): State<HubState>,
    EasyFreelancePartner(partner): EasyFreelancePartner,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<Response, ApiError> {
    let body = json_body(body)?;
    let mut errors = Errors::new();
    required_string(&body, "partner_return_url", MAX_RETURN_URL_LEN, &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let request: ReturnUrlRequest = decode(body)?;
    // 201 whether the registration is new or repeats one (then the existing record), as
    // EasyFreelance documents it.
    let (rule, _) = state
        .register_return_url(&partner, &request.partner_return_url)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(ReturnUrlRecord::of(&rule, partner.number)),
    )
        .into_response())
}

/// List your return URLs
///
/// Every return URL this partner registered, with its status (`pending`, `approved`, `rejected`).
#[utoipa::path(
    get, path = "/verification-return-urls", tag = "return URLs",
    responses(
        (status = 200, description = "The partner's registrations.", body = ReturnUrlList, example = json!({"data": [{"id": "01a25070-60d3-70ca-a657-9f044d90db48", "partner_id": 7, "status": "approved", "requested_url": "https://app.partner.example.com/verification/return", "requested_at": "2026-12-07T12:17:51Z", "decided_at": "2026-12-07T13:02:10Z", "normalized_scheme": "https", "normalized_host": "app.partner.example.com", "normalized_path_prefix": "/verification/return"}]})),
        (status = 401, description = "Missing or invalid credentials.", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "A rate limit was reached; retry after Retry-After seconds (RateLimit-Policy and RateLimit name the limit).", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait before retrying."))),
    ),
    security(("bearer" = [], "api_key" = []))
)]
pub async fn list_return_urls(
    State(state): State<HubState>,
    EasyFreelancePartner(partner): EasyFreelancePartner,
) -> Result<Json<ReturnUrlList>, ApiError> {
    let rules = state.partner_return_urls(&partner).await?;
    Ok(Json(ReturnUrlList {
        data: rules
            .iter()
            .map(|r| ReturnUrlRecord::of(r, partner.number))
            .collect(),
    }))
}

/// Create a verification flow for a user
///
/// Starts a verification session for user `{id}` with the chosen provider. Send the user to `verification_url`; they come back to your approved `partner_return_url` with the outcome appended. Poll the status with `verification_id`.
#[utoipa::path(
    post, path = "/users/{id}/verification/flows", tag = "verification",
    params(("id" = i64, Path, description = "The employee (user) id in your system.")),
    request_body(content = CreateFlowRequest, example = json!({"provider": "veriff", "id_type": "local", "partner_return_url": "https://app.partner.example.com/verification/return?order=7"})),
    responses(
        (status = 400, description = "The body is not a JSON object (`invalid_json`).", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is larger than 64 KiB (`payload_too_large`).", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not sent as application/json (`unsupported_media_type`).", body = Problem, content_type = "application/problem+json"),
        (status = 201, description = "Session created. Send the user to verification_url; poll with verification_id.", body = FlowCreated, example = json!({"verification_id": "01a25070-8436-7299-a390-ed90217213e5", "provider": "veriff", "status": "pending", "verification_url": "https://idgate.example.com/v/iRIHJqKlXOxRb_Ab6a14zTuRkGNV2suc99Yaw5f0--g", "status_check_url": "https://idgate.example.com/api/v1/verification/status/01a25070-8436-7299-a390-ed90217213e5", "expires_at": "2026-12-14T12:18:00Z"})),
        (status = 401, description = "Missing or invalid credentials.", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "A rate limit was reached; retry after Retry-After seconds (RateLimit-Policy and RateLimit name the limit).", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait before retrying."))),
        (status = 404, description = "The user id is not a positive integer.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields (`validation_failed`), or the return URL is not approved (`return_url_not_allowed`) or malformed (`return_url_invalid`).", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [], "api_key" = []))
)]
pub async fn create_flow(
    State(state): State<HubState>,
    EasyFreelancePartner(partner): EasyFreelancePartner,
    path: Result<Path<String>, PathRejection>,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<Response, ApiError> {
    let user_id = path
        .ok()
        .and_then(|Path(raw)| raw.parse::<i64>().ok())
        .filter(|id| *id > 0)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                "user id must be a positive integer",
            )
        })?;
    let body = json_body(body)?;
    let mut errors = Errors::new();
    let provider: Option<ProviderName> =
        enum_field(&body, "provider", "veriff, bankid", &mut errors);
    if provider.is_none() && !errors.contains_key("provider") {
        add(&mut errors, "provider", "The provider field is required.");
    }
    let return_url = required_string(&body, "partner_return_url", MAX_RETURN_URL_LEN, &mut errors);
    let id_type: Option<IdType> = enum_field(&body, "id_type", "local, international", &mut errors);
    if provider == Some(ProviderName::Veriff)
        && id_type.is_none()
        && !errors.contains_key("id_type")
    {
        add(
            &mut errors,
            "id_type",
            "The id_type field is required when provider is veriff.",
        );
    }
    check_sign_text(&body, provider, &mut errors);
    if !errors.is_empty() || return_url.is_none() {
        return Err(ApiError::validation(errors));
    }
    let mut request: CreateFlowRequest = decode(body)?;
    if request.provider == ProviderName::Bankid {
        request.id_type = None;
    }
    let provider_name = match request.provider {
        ProviderName::Veriff => "veriff",
        ProviderName::Bankid => "bankid",
    };
    // Veriff flows go to the integration for their id_type when one is configured.
    let providers = &state.settings().dialects.easyfreelance.providers;
    let by_id_type = request.id_type.and_then(|t| {
        let key = match t {
            IdType::Local => "veriff_local",
            IdType::International => "veriff_international",
        };
        providers.get(key)
    });
    let provider_id = by_id_type
        .or_else(|| providers.get(provider_name))
        .cloned()
        .ok_or_else(|| ServiceError::UnknownProvider(provider_name.to_owned()))?;
    let mut options = serde_json::Map::new();
    options.insert("provider".into(), provider_name.into());
    if let Some(id_type) = request.id_type {
        options.insert(
            "id_type".into(),
            serde_json::to_value(id_type).unwrap_or(Value::Null),
        );
    }
    // A text to sign goes to a BankID table that takes one (its `signText`).
    let applicant = match request.sign_text.take() {
        Some(text) => {
            let takes_it = state.providers().get(&provider_id).is_some_and(|p| {
                p.info()
                    .user_data
                    .iter()
                    .any(|f| f.name == idgate_providers::bankid::SIGN_TEXT)
            });
            if !takes_it {
                let mut errors = Errors::new();
                add(
                    &mut errors,
                    "sign_text",
                    "The bankid provider configured here cannot ask for a signature.",
                );
                return Err(ApiError::validation(errors));
            }
            Some(ApplicantData {
                provider_fields: [(idgate_providers::bankid::SIGN_TEXT.to_owned(), text)].into(),
                ..ApplicantData::default()
            })
        }
        None => None,
    };
    let created = state
        .create_session(
            &partner,
            Dialect::EasyFreelance,
            NewSession {
                provider_id,
                applicant,
                external_refs: ExternalRefs {
                    user_id: Some(user_id.to_string()),
                    ..ExternalRefs::default()
                },
                dialect_options: options,
                return_url: Some(request.partner_return_url.clone()),
                ..NewSession::default()
            },
        )
        .await?;
    let session = &created.session;
    let body = FlowCreated {
        verification_id: session.id.to_string(),
        provider: provider_name.to_owned(),
        status: "pending".to_owned(),
        verification_url: created.verification_url.clone(),
        status_check_url: format!(
            "{}/api/v1/verification/status/{}",
            state.settings().public_base(),
            session.id
        ),
        expires_at: timestamp(session.expires_at),
    };
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

/// `sign_text`: optional, a non-empty string of at most 30 000 characters, and only for
/// `bankid`.
fn check_sign_text(
    body: &serde_json::Map<String, Value>,
    provider: Option<ProviderName>,
    errors: &mut Errors,
) {
    let problem = match body.get("sign_text") {
        None | Some(Value::Null) => return,
        Some(Value::String(s)) if s.trim().is_empty() => {
            "The sign_text field must not be empty.".to_owned()
        }
        Some(Value::String(s)) if s.chars().count() > MAX_SIGN_TEXT => {
            format!("The sign_text field must not be greater than {MAX_SIGN_TEXT} characters.")
        }
        Some(Value::String(_)) if provider == Some(ProviderName::Veriff) => {
            "The sign_text field is only for provider bankid.".to_owned()
        }
        Some(Value::String(_)) => return,
        Some(_) => "The sign_text field must be a string.".to_owned(),
    };
    add(errors, "sign_text", problem);
}

/// BankID's limit on the text it shows (30 000 bytes of UTF-8; checked again by the adapter).
const MAX_SIGN_TEXT: usize = 30_000;

/// Get a verification's status
///
/// The session's current status, the reason when it ended, and what to do next (`next_action`).
#[utoipa::path(
    get, path = "/verification/status/{verificationSession}", tag = "verification",
    params(("verificationSession" = String, Path, description = "The verification_id from the create call.")),
    responses(
        (status = 200, description = "Current status.", body = FlowStatus, example = json!({"verification_id": "01a25070-8436-7299-a390-ed90217213e5", "status": "approved", "reason": null, "completed_at": "2026-12-07T12:21:40Z", "provider": "veriff", "id_type": "local", "user_id": 42, "next_action": "redirect_to_partner", "expires_at": "2026-12-14T12:18:00Z", "onboarding": {"steps": {"id_verification": {"status": "completed", "completed": true, "verification_id": "01a25070-8436-7299-a390-ed90217213e5", "provider": "veriff", "completed_at": "2026-12-07T12:21:40Z"}}, "missing_steps": [], "is_onboarded": true, "status_version": 2, "evaluated_at": "2026-12-07T12:22:00Z"}})),
        (status = 401, description = "Missing or invalid credentials.", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "A rate limit was reached; retry after Retry-After seconds (RateLimit-Policy and RateLimit name the limit).", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait before retrying."))),
        (status = 403, description = "The session belongs to another partner.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown session.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [], "api_key" = []))
)]
pub async fn flow_status(
    State(state): State<HubState>,
    EasyFreelancePartner(partner): EasyFreelancePartner,
    path: Result<Path<String>, PathRejection>,
) -> Result<Json<FlowStatus>, ApiError> {
    let id = session_id(path)?;
    let session = state.partner_session(&partner, id).await?;
    let user_sessions = user_sessions(&state, &partner, &session).await?;
    Ok(Json(FlowStatus::of(&session, &user_sessions)))
}

/// The verifications of `session`'s user, newest first (what `onboarding` is made of). An
/// approved session settles the ID step by itself, so a poll of one asks nothing more.
async fn user_sessions(
    state: &HubState,
    partner: &Partner,
    session: &Session,
) -> Result<Vec<Session>, ApiError> {
    match &session.external_refs.user_id {
        Some(_) if session.status == Status::Approved => Ok(vec![session.clone()]),
        Some(user) => sessions_of_user(state, partner, user).await,
        None => Ok(Vec::new()),
    }
}

/// A user's verifications, newest first (the 50 newest).
async fn sessions_of_user(
    state: &HubState,
    partner: &Partner,
    user: &str,
) -> Result<Vec<Session>, ApiError> {
    Ok(state
        .partner_sessions(&SessionPage {
            partner_id: partner.id,
            dialect: Dialect::EasyFreelance,
            created_from: None,
            created_before: None,
            external_id: None,
            workflow_id: None,
            user_id: Some(user.to_owned()),
            after: None,
            limit: 50,
        })
        .await?)
}

/// Get a user's onboarding
///
/// What idgate knows of one of your users: the onboarding object with its ID verification step, from the user's verifications. 404 until the user has one.
#[utoipa::path(
    get, path = "/users/{id}", tag = "users",
    params(("id" = i64, Path, description = "The employee id used in POST /users/{id}/verification/flows.")),
    responses(
        (status = 200, description = "The user's onboarding.", body = UserView, example = json!({"id": 42, "onboarding": {"steps": {"id_verification": {"status": "completed", "completed": true, "verification_id": "01a25070-8436-7299-a390-ed90217213e5", "provider": "bankid", "completed_at": "2026-12-07T12:21:40Z"}}, "missing_steps": [], "is_onboarded": true, "status_version": 2, "evaluated_at": "2026-12-07T12:30:00Z"}})),
        (status = 401, description = "Missing or invalid credentials.", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "A rate limit was reached; retry after Retry-After seconds (RateLimit-Policy and RateLimit name the limit).", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait before retrying."))),
        (status = 404, description = "No verification of this user is known.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [], "api_key" = []))
)]
pub async fn get_user(
    State(state): State<HubState>,
    EasyFreelancePartner(partner): EasyFreelancePartner,
    path: Result<Path<String>, PathRejection>,
) -> Result<Json<UserView>, ApiError> {
    let unknown = || {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "No verification of this user is known; start one with POST /users/{id}/verification/flows.",
        )
    };
    let id = path
        .ok()
        .and_then(|Path(raw)| raw.parse::<i64>().ok())
        .filter(|id| *id > 0)
        .ok_or_else(unknown)?;
    let sessions = sessions_of_user(&state, &partner, &id.to_string()).await?;
    let onboarding = onboarding(&sessions, chrono::Utc::now()).ok_or_else(unknown)?;
    Ok(Json(UserView { id, onboarding }))
}

/// Decide a sandbox verification
///
/// Forces the outcome of a session on a sandbox provider (approved, declined with a reason, resubmission, review), so an integration can test every branch without a browser.
#[utoipa::path(
    post, path = "/sandbox/verification/{verificationSession}/decision", tag = "sandbox",
    params(("verificationSession" = String, Path, description = "A session on a sandbox provider.")),
    request_body(content = SandboxDecisionRequest, example = json!({"outcome": "declined", "reason": "document_expired"})),
    responses(
        (status = 400, description = "The body is not a JSON object (`invalid_json`).", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is larger than 64 KiB (`payload_too_large`).", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not sent as application/json (`unsupported_media_type`).", body = Problem, content_type = "application/problem+json"),
        (status = 200, description = "The outcome was applied; the session's new status.", body = FlowStatus),
        (status = 401, description = "Missing or invalid credentials.", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "A rate limit was reached; retry after Retry-After seconds (RateLimit-Policy and RateLimit name the limit).", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait before retrying."))),
        (status = 403, description = "The session belongs to another partner.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown session.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not a sandbox session (`not_a_sandbox_session`), or the session is already final (`invalid_status_transition`).", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid outcome or reason.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [], "api_key" = []))
)]
pub async fn sandbox_decision(
    State(state): State<HubState>,
    EasyFreelancePartner(partner): EasyFreelancePartner,
    path: Result<Path<String>, PathRejection>,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<Json<FlowStatus>, ApiError> {
    let id = session_id(path)?;
    let body = json_body(body)?;
    let mut errors = Errors::new();
    let outcome: Option<SandboxOutcome> = enum_field(
        &body,
        "outcome",
        "approved, declined, resubmission_requested, review, cancelled",
        &mut errors,
    );
    if outcome.is_none() && !errors.contains_key("outcome") {
        add(&mut errors, "outcome", "The outcome field is required.");
    }
    if !matches!(
        body.get("reason"),
        None | Some(Value::Null) | Some(Value::String(_))
    ) {
        add(&mut errors, "reason", "The reason field must be a string.");
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let request: SandboxDecisionRequest = decode(body)?;
    let session = state.partner_session(&partner, id).await?;
    let decision = match request.outcome {
        SandboxOutcome::Approved => Decision::Approved,
        SandboxOutcome::Declined => Decision::Declined,
        SandboxOutcome::ResubmissionRequested => Decision::ResubmissionRequested,
        SandboxOutcome::Review => Decision::Review,
        SandboxOutcome::Cancelled => Decision::Cancelled,
    };
    let choice = SandboxChoice {
        reason: request.reason.as_deref(),
        ..SandboxChoice::new(decision)
    };
    let session = match state.sandbox_decide(session, choice, Actor::Partner).await {
        Err(ServiceError::InvalidInput(e)) => {
            let mut errors = Errors::new();
            add(&mut errors, "reason", e.message);
            return Err(ApiError::validation(errors));
        }
        other => other?,
    };
    let user_sessions = user_sessions(&state, &partner, &session).await?;
    Ok(Json(FlowStatus::of(&session, &user_sessions)))
}

/// Unknown API paths get a problem document rather than an empty 404.
pub async fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "No such API endpoint; see /api/v1/openapi.json.",
    )
}
