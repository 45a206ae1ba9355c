//! Hopae Connect handlers: validate the wire format, call the hub, shape the answer.

use super::auth::HopaePartner;
use super::dto::{
    CreateVerification, Evidence, FlowDetails, KNOWN_CLAIMS, MatchDetail, MatchEnvelope,
    Presentation, PresentedCredential, Provenance, ProviderConfiguration, ProviderField,
    ProviderQuery, ProviderSummary, SandboxDecision, TokenEvidence, UserDataField, UserInfo,
    Verification, VerificationError, loa_label, timestamp,
};
use super::problem::{HopaeError, HopaeProblem};
use super::wire::status_word;
use crate::HubState;
use crate::kit::RequestError;
use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use idgate_core::return_url::MAX_RETURN_URL_LEN;
use idgate_core::{
    Actor, ApplicantData, CredentialKind, Dialect, MatchData, NewSession, Session, SessionId,
    Status,
};
use idgate_hub::service::ServiceError;
use idgate_providers::sandbox::SandboxChoice;
use idgate_providers::{Decision, FlowType, InputField, ProviderInfo};
use serde_json::{Map, Value};

type Result<T> = std::result::Result<T, HopaeError>;

/// A handler's answer: the value as JSON, or the problem document for the request's path.
fn json_or_problem<T: serde::Serialize>(result: Result<T>, uri: &axum::http::Uri) -> Response {
    match result {
        Ok(value) => Json(value).into_response(),
        Err(e) => e.respond(uri.path()),
    }
}

fn flow_word(flow: FlowType) -> &'static str {
    match flow {
        FlowType::Redirect => "redirect",
        FlowType::Qr => "qr",
        FlowType::Push => "push",
    }
}

fn model(info: &ProviderInfo) -> &'static str {
    if info.match_capable {
        "match"
    } else {
        "disclosure"
    }
}

fn verification_id(session: &Session) -> String {
    session.id.0.simple().to_string()
}

fn parse_id(text: &str) -> Result<SessionId> {
    text.parse().map_err(|_| HopaeError::not_found())
}

fn json_object(
    body: std::result::Result<Json<Value>, JsonRejection>,
) -> Result<Map<String, Value>> {
    crate::kit::json_object(body).map_err(|e| RequestError::Body(e).into())
}

/// An optional object whose members are all strings.
fn string_map(body: &Map<String, Value>, field: &str) -> Result<()> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(()),
        Some(Value::Object(map)) => {
            for (key, value) in map {
                if !value.is_string() {
                    return Err(HopaeError::invalid(
                        &format!("{field}.{key}"),
                        format!("{field}.{key} must be a string."),
                    ));
                }
            }
            Ok(())
        }
        Some(_) => Err(HopaeError::invalid(
            field,
            format!("{field} must be an object."),
        )),
    }
}

fn optional_string(body: &Map<String, Value>, field: &str, max: usize) -> Result<()> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(()),
        Some(Value::String(s)) if s.chars().count() <= max => Ok(()),
        Some(Value::String(_)) => Err(HopaeError::invalid(
            field,
            format!("{field} must be at most {max} characters."),
        )),
        Some(_) => Err(HopaeError::invalid(
            field,
            format!("{field} must be a string."),
        )),
    }
}

/// Checks the create body's shape; the provider checks its own fields afterwards.
fn validate_create(body: &Map<String, Value>) -> Result<()> {
    // Hopae's documented members; those idgate has no use for are accepted and kept.
    const FIELDS: &[&str] = &[
        "providerId",
        "redirectUri",
        "userData",
        "requestedLoa",
        "requestedClaims",
        "matchData",
        "webhookUrl",
        "metadata",
        "referenceId",
        "locale",
        "purpose",
        "loaStrategy",
        "flowType",
    ];
    if let Some(unknown) = body.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        return Err(HopaeError::invalid(
            unknown,
            format!("{unknown} is not a field of this request."),
        ));
    }
    match body.get("providerId") {
        None | Some(Value::Null) => return Err(HopaeError::missing("providerId")),
        Some(Value::String(s)) if s.trim().is_empty() => {
            return Err(HopaeError::missing("providerId"));
        }
        Some(Value::String(s)) if s.len() <= 64 => {}
        Some(_) => {
            return Err(HopaeError::invalid(
                "providerId",
                "providerId must be a provider id string.",
            ));
        }
    }
    optional_string(body, "redirectUri", MAX_RETURN_URL_LEN)?;
    optional_string(body, "webhookUrl", MAX_RETURN_URL_LEN)?;
    for field in [
        "referenceId",
        "locale",
        "purpose",
        "loaStrategy",
        "flowType",
    ] {
        optional_string(body, field, 255)?;
    }
    match body.get("metadata") {
        None | Some(Value::Null) => {}
        Some(Value::Object(m)) if Value::Object(m.clone()).to_string().len() <= 4096 => {}
        Some(Value::Object(_)) => {
            return Err(HopaeError::invalid(
                "metadata",
                "metadata must be at most 4 KiB of JSON.",
            ));
        }
        Some(_) => {
            return Err(HopaeError::invalid(
                "metadata",
                "metadata must be an object.",
            ));
        }
    }
    string_map(body, "userData")?;
    string_map(body, "matchData")?;
    match body.get("requestedLoa") {
        None | Some(Value::Null) => {}
        Some(v) if v.as_u64().is_some_and(|n| (1..=5).contains(&n)) => {}
        Some(_) => {
            return Err(HopaeError::invalid(
                "requestedLoa",
                "requestedLoa must be an integer from 1 to 5.",
            ));
        }
    }
    match body.get("requestedClaims") {
        None | Some(Value::Null) => {}
        // A claim outside the standard list is not refused: no provider delivers it, so it
        // is listed in `missing_claims`, as Hopae does.
        Some(Value::Array(items)) if items.len() <= 50 => {
            for item in items {
                match item.as_str() {
                    Some(name) if !name.is_empty() && name.len() <= 64 => {}
                    _ => {
                        return Err(HopaeError::invalid(
                            "requestedClaims",
                            format!(
                                "requestedClaims holds {item}, which is not a claim name (e.g. {}).",
                                KNOWN_CLAIMS.join(", ")
                            ),
                        ));
                    }
                }
            }
        }
        Some(_) => {
            return Err(HopaeError::invalid(
                "requestedClaims",
                "requestedClaims must be an array of claim names.",
            ));
        }
    }
    Ok(())
}

fn error_of(session: &Session) -> Option<VerificationError> {
    let (code, message) = match session.status {
        Status::Declined | Status::Failed => {
            let code = session.reason.clone().unwrap_or_else(|| "failed".into());
            let message = match code.as_str() {
                "insufficient_loa" => "The level of assurance reached is below the one requested.",
                "user_refused" => "The user refused the request in the app.",
                "record_not_found" => "The provider has no record for the data given.",
                "provider_error" => "The provider failed.",
                _ => "The provider did not verify the user.",
            };
            (code, message)
        }
        Status::Expired | Status::Abandoned => (
            session
                .reason
                .clone()
                .unwrap_or_else(|| "session_expired".into()),
            "The verification expired before the user completed it.",
        ),
        Status::Cancelled => (
            session.reason.clone().unwrap_or_else(|| "cancelled".into()),
            "The verification was cancelled.",
        ),
        _ => return None,
    };
    Some(VerificationError {
        code,
        message: message.to_owned(),
    })
}

fn verification(
    state: &HubState,
    session: &Session,
    verification_url: Option<&str>,
) -> Verification {
    let info = state
        .providers()
        .get(&session.provider_id)
        .map(|p| p.info());
    let flow = info.map_or(FlowType::Redirect, |i| i.flow_type);
    // qrData, for a partner that renders the code itself, opens the verification on the phone
    // that scans it: a single-use, ten-minute handoff link, not the verification's own link,
    // which anyone who photographed the screen could keep using.
    let flow_details = verification_url.map(|url| FlowDetails {
        qr_data: (flow == FlowType::Qr)
            .then(|| url.rsplit('/').next())
            .flatten()
            .and_then(|token| state.phone_handoff(token).ok())
            .map(|code| STANDARD.encode(format!("{}/h/{code}", state.settings().public_base()))),
        authorization_url: Some(url.to_owned()),
    });
    Verification {
        verification_id: verification_id(session),
        status: status_word(session.status).to_owned(),
        provider_id: session.provider_id.clone(),
        flow_type: flow_word(flow).to_owned(),
        flow_details,
        expires_at: timestamp(session.expires_at),
        created_at: timestamp(session.created_at),
        verified_at: (session.status == Status::Approved)
            .then_some(session.decided_at)
            .flatten()
            .map(timestamp),
        error: error_of(session),
        verification_model: None,
        acr: session.achieved_loa.map(|l| format!("urn:hopae:loa:{l}")),
        hopae_loa: session.achieved_loa,
        hopae_loa_label: session.achieved_loa.map(loa_label),
    }
}

fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>> {
    let Some(value) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let key = value
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|k| !k.is_empty() && k.len() <= 255 && k.bytes().all(|b| b.is_ascii_graphic()))
        .ok_or_else(|| {
            HopaeError::field(
                "IDEMPOTENCY_KEY_INVALID",
                "Idempotency-Key",
                "Idempotency-Key must be 1-255 visible ASCII characters.",
            )
        })?;
    Ok(Some(key.to_owned()))
}

/// Create a verification
///
/// Starts a verification with an eID provider (`providerId`). Send the person to `flowDetails.authorizationUrl` (redirect flows) or show `flowDetails.qrData` (QR flows); the result arrives by webhook and from `GET /verifications/{verificationId}`.
#[utoipa::path(
    post, path = "/verifications", tag = "verifications",
    request_body(content = CreateVerification, example = json!({
        "providerId": "sandbox-push",
        "redirectUri": "https://app.partner.example.com/verification/done",
        "userData": {"registrationId": "PNOEE-39001010000"},
        "requestedClaims": ["name", "birthdate"],
        "referenceId": "order-7",
        "locale": "et"
    })),
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe creation: the same key and body return the first answer.")),
    responses(
        (status = 201, description = "Created.", body = Verification, example = json!({"verificationId": "01a25070848e76e98e9599a04dd73b5d", "status": "initiated", "providerId": "sandbox-qr", "flowType": "qr", "flowDetails": {"qrData": "aHR0cHM6Ly9pZGdhdGUuZXhhbXBsZS5jb20vaC9BUXRrYXkwd04yRTFaRGc1WVIxM0ZXVUZYdEVHVmVkNUU1VGN2eGdCamc=", "authorizationUrl": "https://idgate.example.com/v/mRE6HhZAY59jxjUJvJBHOyrb34M8ITYuvBdXptFPRx0"}, "expiresAt": "2026-12-14T12:18:00Z", "createdAt": "2026-12-07T12:18:00Z", "verification_model": "disclosure"})),
        (status = 400, description = "Invalid or missing field (context.field names it).", body = HopaeProblem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or invalid credentials.", body = HopaeProblem, content_type = "application/problem+json"),
        (status = 429, description = "A rate limit was reached; retry after Retry-After seconds (RateLimit-Policy and RateLimit name the limit).", body = HopaeProblem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait before retrying."))),
        (status = 404, description = "PROVIDER_NOT_FOUND: no such provider.", body = HopaeProblem, content_type = "application/problem+json"),
        (status = 409, description = "Idempotency key conflict or request in progress.", body = HopaeProblem, content_type = "application/problem+json"),
        (status = 422, description = "The provider cannot reach requestedLoa.", body = HopaeProblem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not JSON.", body = HopaeProblem, content_type = "application/problem+json"),
    ),
    security(("basic" = []))
)]
pub async fn create_verification(
    State(state): State<HubState>,
    HopaePartner(partner, client_id): HopaePartner,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: std::result::Result<Json<Value>, JsonRejection>,
) -> Response {
    let instance = uri.path();
    let key = match idempotency_key(&headers) {
        Ok(k) => k,
        Err(e) => return e.respond(instance),
    };
    let body = match json_object(body) {
        Ok(b) => b,
        Err(e) => return e.respond(instance),
    };
    let Some(key) = key else {
        return match create(&state, &partner, &client_id, body).await {
            Ok(created) => (StatusCode::CREATED, Json(created)).into_response(),
            Err(e) => e.respond(instance),
        };
    };
    let (hub, owner) = (state.clone(), partner.clone());
    let answer = state
        .idempotent(partner.id, &key, &body.clone(), move || async move {
            let created = create(&hub, &owner, &client_id, body).await?;
            let body = serde_json::to_value(&created).unwrap_or(Value::Null);
            Ok::<_, HopaeError>((StatusCode::CREATED.as_u16(), body))
        })
        .await;
    match answer {
        Ok(answer) => {
            let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::CREATED);
            let mut response = (status, Json(answer.body)).into_response();
            if answer.replayed {
                response
                    .headers_mut()
                    .insert("idempotent-replayed", HeaderValue::from_static("true"));
            }
            response
        }
        Err(e) => e.respond(instance),
    }
}

async fn create(
    state: &HubState,
    partner: &idgate_core::Partner,
    client_id: &str,
    body: Map<String, Value>,
) -> Result<Verification> {
    validate_create(&body)?;
    let request: CreateVerification = serde_json::from_value(Value::Object(body))
        .map_err(|e| HopaeError::invalid("body", format!("The request body is invalid: {e}")))?;
    let provider = state
        .providers()
        .get(&request.provider_id)
        .ok_or_else(|| ServiceError::UnknownProvider(request.provider_id.clone()))?;
    let info = provider.info().clone();
    if info.match_capable && request.match_data.as_ref().is_none_or(|m| m.is_empty()) {
        return Err(HopaeError::missing("matchData"));
    }
    if let Some(flow) = request.flow_type.as_deref()
        && flow != flow_word(info.flow_type)
    {
        return Err(HopaeError::field(
            "SESSION_INVALID_FLOW",
            "flowType",
            format!(
                "{} offers the {} flow only.",
                info.id,
                flow_word(info.flow_type)
            ),
        ));
    }
    let mut options = Map::new();
    // The app that created it: Hopae's webhooks name it as `clientId`.
    options.insert("clientId".into(), Value::String(client_id.to_owned()));
    for (key, value) in [
        (
            "referenceId",
            request.reference_id.clone().map(Value::String),
        ),
        ("locale", request.locale.clone().map(Value::String)),
        ("purpose", request.purpose.clone().map(Value::String)),
        (
            "loaStrategy",
            request.loa_strategy.clone().map(Value::String),
        ),
        ("metadata", request.metadata.clone()),
    ] {
        if let Some(value) = value {
            options.insert(key.into(), value);
        }
    }
    let webhook_url = match &request.webhook_url {
        Some(url) => Some(state.check_webhook_url(url)?),
        None => None,
    };
    if webhook_url.is_some() && state.webhook_endpoints(Some(partner.id)).await?.is_empty() {
        // Hopae signs a verification's own webhook with the app's webhook secret: an app
        // without a webhook config gets one (off, no URL) for its secret, which the
        // workspace API shows.
        let (app, _) = state.credential(CredentialKind::Hopae, client_id).await?;
        state.ensure_credential_endpoint(&app).await?;
    }
    if let Some(url) = &webhook_url {
        options.insert("webhookUrl".into(), url.clone().into());
    }
    // userData keys the provider does not take are ignored, as Hopae ignores them.
    let mut user_data = request.user_data.unwrap_or_default();
    user_data.retain(|name, _| info.user_data.iter().any(|f| &f.name == name));
    let registration_id = user_data.get("registrationId").cloned();
    let created = state
        .create_session(
            partner,
            Dialect::Hopae,
            NewSession {
                provider_id: info.id.clone(),
                dialect_options: options,
                applicant: (!user_data.is_empty()).then(|| ApplicantData {
                    provider_fields: user_data,
                    ..ApplicantData::default()
                }),
                requested_loa: request.requested_loa,
                requested_claims: request.requested_claims.unwrap_or_default(),
                match_data: request.match_data.map(MatchData),
                return_url: request.redirect_uri,
                webhook_url,
                ..NewSession::default()
            },
        )
        .await?;
    let mut session = created.session;
    // A push provider given the user's identifier sends the request right away, as Hopae
    // does: the user confirms on the phone while the partner polls.
    if info.flow_type == FlowType::Push
        && let Some(identifier) = registration_id
    {
        session = state
            .start_at_provider(session.id, Some(&identifier), None, None, None)
            .await?
            .0;
    }
    let mut answer = verification(state, &session, Some(&created.verification_url));
    answer.verification_model = Some(model(&info).to_owned());
    Ok(answer)
}

/// Get a verification
///
/// The verification's status, the provider, the level of assurance reached and, once completed, links to the user info and evidence.
#[utoipa::path(
    get, path = "/verifications/{verificationId}", tag = "verifications",
    params(("verificationId" = String, Path, description = "From the create call.")),
    responses(
        (status = 200, description = "Current status.", body = Verification, example = json!({"verificationId": "01a25070848e76e98e9599a04dd73b5d", "status": "completed", "providerId": "sandbox-qr", "flowType": "qr", "expiresAt": "2026-12-14T12:18:00Z", "createdAt": "2026-12-07T12:18:00Z", "verifiedAt": "2026-12-07T12:18:07Z", "acr": "urn:hopae:loa:3", "hopae_loa": 3, "hopae_loa_label": "substantial"})),
        (status = 401, description = "Missing or invalid credentials.", body = HopaeProblem, content_type = "application/problem+json"),
        (status = 429, description = "A rate limit was reached; retry after Retry-After seconds (RateLimit-Policy and RateLimit name the limit).", body = HopaeProblem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait before retrying."))),
        (status = 404, description = "Unknown verification.", body = HopaeProblem, content_type = "application/problem+json"),
    ),
    security(("basic" = []))
)]
pub async fn get_verification(
    State(state): State<HubState>,
    HopaePartner(partner, _): HopaePartner,
    OriginalUri(uri): OriginalUri,
    Path(id): Path<String>,
) -> Response {
    let found = async {
        let session = state.partner_session(&partner, parse_id(&id)?).await?;
        Ok::<_, HopaeError>(verification(&state, &session, None))
    };
    json_or_problem(found.await, &uri)
}

/// Cancel a verification
///
/// Ends a verification that is not finished.
#[utoipa::path(
    delete, path = "/verifications/{verificationId}", tag = "verifications",
    params(("verificationId" = String, Path, description = "From the create call.")),
    responses(
        (status = 204, description = "Cancelled."),
        (status = 400, description = "Already finished (SESSION_ALREADY_TERMINAL).", body = HopaeProblem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown verification.", body = HopaeProblem, content_type = "application/problem+json"),
        (status = 409, description = "The user is authenticating; it cannot be cancelled now.", body = HopaeProblem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or invalid credentials.", body = HopaeProblem, content_type = "application/problem+json"),
        (status = 429, description = "A rate limit was reached; retry after Retry-After seconds (RateLimit-Policy and RateLimit name the limit).", body = HopaeProblem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait before retrying."))),
    ),
    security(("basic" = []))
)]
pub async fn cancel_verification(
    State(state): State<HubState>,
    HopaePartner(partner, _): HopaePartner,
    OriginalUri(uri): OriginalUri,
    Path(id): Path<String>,
) -> Response {
    let cancelled = async {
        state.cancel_session(&partner, parse_id(&id)?).await?;
        Ok::<_, HopaeError>(())
    };
    match cancelled.await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => e.respond(uri.path()),
    }
}

/// A finished verification whose provider returned a result (approved, or approved below
/// the requested assurance and so failed).
fn completed(session: &Session) -> bool {
    session.status.is_terminal() && session.evidence.is_some()
}

/// Get the verified user's claims
///
/// The claims the provider released (OpenID Connect names), or the field-by-field result for match providers.
#[utoipa::path(
    get, path = "/verifications/{verificationId}/userinfo", tag = "verifications",
    params(("verificationId" = String, Path, description = "From the create call.")),
    responses(
        (status = 200, description = "The verified user.", body = UserInfo),
        (status = 400, description = "verification_not_completed.", body = HopaeProblem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown verification.", body = HopaeProblem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or invalid credentials.", body = HopaeProblem, content_type = "application/problem+json"),
        (status = 429, description = "A rate limit was reached; retry after Retry-After seconds (RateLimit-Policy and RateLimit name the limit).", body = HopaeProblem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait before retrying."))),
    ),
    security(("basic" = []))
)]
pub async fn userinfo(
    State(state): State<HubState>,
    HopaePartner(partner, _): HopaePartner,
    OriginalUri(uri): OriginalUri,
    Path(id): Path<String>,
) -> Response {
    let found = async {
        let session = state.partner_session(&partner, parse_id(&id)?).await?;
        if !completed(&session) {
            return Err(HopaeError::new(
                StatusCode::BAD_REQUEST,
                "verification_not_completed",
                format!(
                    "The verification is {}; userinfo is available once it has completed.",
                    status_word(session.status)
                ),
            ));
        }
        let model = state
            .providers()
            .get(&session.provider_id)
            .map_or("disclosure", |p| model(p.info()));
        let claims: Map<String, Value> = session
            .result_claims
            .as_ref()
            .map(|c| c.0.clone())
            .unwrap_or_default();
        let match_result = session.match_result.as_ref().map(|m| {
            let submitted = session
                .match_data
                .as_ref()
                .map(|d| d.0.clone())
                .unwrap_or_default();
            MatchEnvelope {
                matched: m.matched,
                granularity: m.granularity.clone(),
                submitted_fields: submitted.keys().cloned().collect(),
                details: m
                    .fields
                    .iter()
                    .map(|(name, f)| {
                        (
                            name.clone(),
                            MatchDetail {
                                matched: f.matched,
                                submitted_value: submitted.get(name).cloned().unwrap_or_default(),
                                similarity: f.similarity,
                            },
                        )
                    })
                    .collect(),
            }
        });
        Ok(UserInfo {
            sub: state.pairwise_subject(&session).unwrap_or_default(),
            acr: session.achieved_loa.map(|l| format!("urn:hopae:loa:{l}")),
            hopae_loa: session.achieved_loa,
            hopae_loa_label: session.achieved_loa.map(loa_label),
            amr: session
                .evidence
                .as_ref()
                .map(|e| e.amr.clone())
                .unwrap_or_default(),
            missing_claims: session.missing_claims(),
            provider_id: session.provider_id.clone(),
            verification_model: model.to_owned(),
            user: (match_result.is_none()).then(|| claims.clone()),
            match_result,
            provenance: state
                .evidence_for(&partner, &session)
                .map(|view| Provenance {
                    presentation: Presentation {
                        credentials: vec![PresentedCredential {
                            evidence: token_evidence(view.evidence),
                        }],
                    },
                }),
            claims,
        })
    };
    json_or_problem(found.await, &uri)
}

/// Get the evidence of a verification
///
/// What proves the result: the provider's pairwise subject, the level of assurance and a digest of its proof (the raw proof when the operator allows it).
#[utoipa::path(
    get, path = "/verifications/{verificationId}/evidence", tag = "verifications",
    params(("verificationId" = String, Path, description = "From the create call.")),
    responses(
        (status = 200, description = "What the provider presented: by default a summary (pairwise subject, assurance, format, issuer, SHA-256 digest); the proof itself for apps an operator set to full disclosure.", body = Evidence),
        (status = 400, description = "evidence_not_available.", body = HopaeProblem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown verification.", body = HopaeProblem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or invalid credentials.", body = HopaeProblem, content_type = "application/problem+json"),
        (status = 429, description = "A rate limit was reached; retry after Retry-After seconds (RateLimit-Policy and RateLimit name the limit).", body = HopaeProblem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait before retrying."))),
    ),
    security(("basic" = []))
)]
pub async fn evidence(
    State(state): State<HubState>,
    HopaePartner(partner, _): HopaePartner,
    OriginalUri(uri): OriginalUri,
    Path(id): Path<String>,
) -> Response {
    let found = async {
        let session = state.partner_session(&partner, parse_id(&id)?).await?;
        let view = state
            .evidence_for(&partner, &session)
            .filter(|_| completed(&session))
            .ok_or_else(|| {
                HopaeError::new(
                    StatusCode::BAD_REQUEST,
                    "evidence_not_available",
                    "There is no evidence for this verification (yet).",
                )
            })?;
        let TokenEvidence { token, names } = token_evidence(view.evidence);
        Ok::<_, HopaeError>(Evidence {
            token,
            names,
            verification_id: verification_id(&session),
            provider_id: session.provider_id.clone(),
            verified_at: session.decided_at.map(timestamp),
            acr: view.acr,
            amr: view.amr,
            disclosure: view.disclosure.as_str().to_owned(),
        })
    };
    json_or_problem(found.await, &uri)
}

/// Evidence in Hopae's `{token, names}` form (a proof that is not a JSON object is kept under
/// `token.value`).
fn token_evidence(evidence: Value) -> TokenEvidence {
    match evidence {
        Value::Object(token) => TokenEvidence::of(token),
        other => {
            let mut token = Map::new();
            token.insert("value".into(), other);
            TokenEvidence::of(token)
        }
    }
}

fn fields(fields: &[InputField]) -> Vec<ProviderField> {
    fields
        .iter()
        .map(|f| ProviderField {
            name: f.name.clone(),
            required: f.required,
            description: f.description.clone(),
            example: f.example.clone(),
        })
        .collect()
}

/// List providers
///
/// The eID providers this app can use, with their flows, countries, levels of assurance, claims and the inputs they need.
#[utoipa::path(
    get, path = "/providers", tag = "providers",
    params(ProviderQuery),
    responses(
        (status = 200, description = "The providers enabled for your app: a JSON array, as Hopae's.", body = Vec<ProviderSummary>),
        (status = 400, description = "VALIDATION_INVALID_PARAMETER: an unknown status filter.", body = HopaeProblem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or invalid credentials.", body = HopaeProblem, content_type = "application/problem+json"),
        (status = 429, description = "A rate limit was reached; retry after Retry-After seconds (RateLimit-Policy and RateLimit name the limit).", body = HopaeProblem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait before retrying."))),
    ),
    security(("basic" = []))
)]
pub async fn providers(
    State(state): State<HubState>,
    HopaePartner(_partner, _): HopaePartner,
    OriginalUri(uri): OriginalUri,
    query: std::result::Result<Query<ProviderQuery>, QueryRejection>,
) -> Response {
    let wanted = match query {
        Ok(Query(q)) => q.status,
        Err(e) => {
            return HopaeError::field("VALIDATION_INVALID_PARAMETER", "query", e.body_text())
                .respond(uri.path());
        }
    };
    // Every provider idgate lists is activated for every app.
    let listed = match wanted.as_deref() {
        None | Some("activated") => true,
        Some("deactivated" | "action_required") => false,
        Some(_) => {
            return HopaeError::field(
                "VALIDATION_INVALID_PARAMETER",
                "status",
                "status must be activated, deactivated or action_required.",
            )
            .respond(uri.path());
        }
    };
    let list: Vec<ProviderSummary> = state
        .providers()
        .infos()
        .filter(|_| listed)
        .map(|info| ProviderSummary {
            id: info.id.clone(),
            name: info.label.clone(),
            logo_url: None,
            description: format!("{} ({} flow)", info.label, flow_word(info.flow_type)),
            countries: Vec::new(),
            status: "activated",
            is_active: true,
            need_action: false,
            flow_types: vec![flow_word(info.flow_type).to_owned()],
            scopes: info.claims.clone(),
            loa: info.max_loa,
            provider_id: info.id.clone(),
            flow_type: flow_word(info.flow_type).to_owned(),
            max_loa: info.max_loa,
            claims: info.claims.clone(),
            match_capable: info.match_capable,
            verification_model: model(info).to_owned(),
            user_data: fields(&info.user_data),
            match_fields: fields(&info.match_fields),
            sandbox: info.sandbox,
        })
        .collect();
    Json(list).into_response()
}

/// Get a provider's configuration
///
/// What a provider needs in `userData` and `matchData`, and what it can return.
#[utoipa::path(
    get, path = "/providers/{providerId}/configuration", tag = "providers",
    params(("providerId" = String, Path, description = "A provider id from GET /providers.")),
    responses(
        (status = 200, description = "The provider's userData fields and flow types.", body = ProviderConfiguration),
        (status = 404, description = "PROVIDER_NOT_FOUND.", body = HopaeProblem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or invalid credentials.", body = HopaeProblem, content_type = "application/problem+json"),
        (status = 429, description = "A rate limit was reached; retry after Retry-After seconds (RateLimit-Policy and RateLimit name the limit).", body = HopaeProblem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait before retrying."))),
    ),
    security(("basic" = []))
)]
pub async fn provider_configuration(
    State(state): State<HubState>,
    HopaePartner(_partner, _): HopaePartner,
    OriginalUri(uri): OriginalUri,
    Path(id): Path<String>,
) -> Response {
    let Some(provider) = state.providers().get(&id) else {
        return HopaeError::from(ServiceError::UnknownProvider(id)).respond(uri.path());
    };
    let info = provider.info();
    let field = |f: &InputField| UserDataField {
        field: f.name.clone(),
        kind: "text",
        required: f.required,
        label: f.name.clone(),
        description: f.description.clone(),
    };
    Json(ProviderConfiguration {
        provider_id: info.id.clone(),
        required_user_data: info
            .user_data
            .iter()
            .filter(|f| f.required)
            .map(field)
            .collect(),
        optional_user_data: info
            .user_data
            .iter()
            .filter(|f| !f.required)
            .map(field)
            .collect(),
        flow_types: vec![flow_word(info.flow_type).to_owned()],
    })
    .into_response()
}

/// Decide a sandbox verification
///
/// Forces the outcome of a verification on a sandbox provider, so an integration can test every branch without a browser.
#[utoipa::path(
    post, path = "/sandbox/verifications/{verificationId}/decision", tag = "sandbox",
    params(("verificationId" = String, Path, description = "From the create call.")),
    request_body(content = SandboxDecision, example = json!({"outcome": "approved", "identity": "PNONO-14038512345", "loa": 3})),
    responses(
        (status = 200, description = "Decided.", body = Verification),
        (status = 400, description = "Invalid choice.", body = HopaeProblem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown verification.", body = HopaeProblem, content_type = "application/problem+json"),
        (status = 409, description = "Not a sandbox verification, or already decided.", body = HopaeProblem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or invalid credentials.", body = HopaeProblem, content_type = "application/problem+json"),
        (status = 429, description = "A rate limit was reached; retry after Retry-After seconds (RateLimit-Policy and RateLimit name the limit).", body = HopaeProblem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait before retrying."))),
        (status = 415, description = "The body is not JSON.", body = HopaeProblem, content_type = "application/problem+json"),
    ),
    security(("basic" = []))
)]
pub async fn sandbox_decision(
    State(state): State<HubState>,
    HopaePartner(partner, _): HopaePartner,
    OriginalUri(uri): OriginalUri,
    Path(id): Path<String>,
    body: std::result::Result<Json<Value>, JsonRejection>,
) -> Response {
    let decided = async {
        let body = json_object(body)?;
        let request: SandboxDecision = crate::kit::decode(body)?;
        let decision = match request.outcome.as_str() {
            "approved" => Decision::Approved,
            "declined" => Decision::Declined,
            "cancelled" => Decision::Cancelled,
            "failed" => Decision::Failed,
            _ => {
                return Err(HopaeError::invalid(
                    "outcome",
                    "outcome must be approved, declined, cancelled or failed.",
                ));
            }
        };
        let session = state.partner_session(&partner, parse_id(&id)?).await?;
        let choice = SandboxChoice {
            decision,
            reason: request.reason.as_deref(),
            identity: request.identity.as_deref(),
            loa: request.loa,
        };
        let session = state
            .sandbox_decide(session, choice, Actor::Partner)
            .await?;
        Ok::<_, HopaeError>(verification(&state, &session, None))
    };
    json_or_problem(decided.await, &uri)
}

/// Unknown paths under the dialect.
pub async fn not_found(OriginalUri(uri): OriginalUri) -> Response {
    HopaeError::new(
        StatusCode::NOT_FOUND,
        "RESOURCE_NOT_FOUND",
        "No such endpoint; see /connect/v1/openapi.json.",
    )
    .respond(uri.path())
}
