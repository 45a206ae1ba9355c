//! The admin HTTP API (`/admin/v1`): what the console does, for operators' scripts. A token
//! from `idgate operator token NAME --label …` (`Authorization: Bearer idg_op_…`) acts with its
//! operator's role, through the same audited service functions as the console and the CLI.
//! Errors are RFC 9457 problem documents with a stable `code`. The OpenAPI document is at
//! `/admin/v1/openapi.json`.

mod partners;
pub mod views;
mod webhooks;

use crate::hosted::client_limit::{self, ClientAddress};
use crate::state::AppState;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use idgate_core::{Operator, ReturnUrlStatus, SessionId, Status};
use idgate_hub::service::ServiceError;
use idgate_hub::service::operators::AuditActor;
use serde::Deserialize;
use utoipa::OpenApi;
use views::{
    AddVerification, AddedVerification, AuditView, DashboardView, FunnelView, Problem,
    ReturnUrlView, ReviewDecision, SessionDetail, SessionSummary, TimelineEvent,
};

pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/admin/v1/openapi.json", get(openapi))
        .route("/admin/v1/return-urls", get(list_return_urls))
        .route(
            "/admin/v1/return-urls/{id}/{decision}",
            post(decide_return_url),
        )
        .route(
            "/admin/v1/sessions",
            get(search_sessions).post(add_verification),
        )
        .route("/admin/v1/sessions/{id}", get(get_session))
        .route("/admin/v1/sessions/{id}/review", post(review))
        .route(
            "/admin/v1/partners",
            get(partners::list).post(partners::create),
        )
        .route(
            "/admin/v1/partners/{id}",
            get(partners::show).patch(partners::change),
        )
        .route(
            "/admin/v1/partners/{id}/credentials",
            post(partners::issue_credential),
        )
        .route("/admin/v1/partners/{id}/tokens", post(partners::top_up))
        .route(
            "/admin/v1/credentials/{id}/revoke",
            post(partners::revoke_credential),
        )
        .route("/admin/v1/webhooks", get(webhooks::list))
        .route(
            "/admin/v1/webhooks/{id}/deliveries",
            get(webhooks::deliveries),
        )
        .route(
            "/admin/v1/webhooks/{id}/redeliver",
            post(webhooks::redeliver),
        )
        .route("/admin/v1/audit", get(audit))
        .route("/admin/v1/dashboard", get(dashboard))
        .layer(axum::middleware::from_fn_with_state(state, limit))
}

/// The per-address request limit (`limits.client_*`), answered as a problem document with
/// `Retry-After`: a script reads it, where a person gets the pages' 429 page.
async fn limit(
    State(state): State<AppState>,
    mut request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    match client_limit::admit(&state, &mut request) {
        Ok(()) => next.run(request).await,
        Err(limited) => {
            let mut response = problem(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                format!(
                    "too many requests from this address: retry in {} s",
                    limited.retry_after_secs.max(1)
                ),
            );
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from(limited.retry_after_secs.max(1)),
            );
            response
        }
    }
}

/// A problem answer.
fn problem(status: StatusCode, code: &str, detail: impl Into<String>) -> Response {
    let body = Problem {
        r#type: format!("urn:idgate:problem:{code}"),
        title: status.canonical_reason().unwrap_or("Error").to_owned(),
        status: status.as_u16(),
        detail: detail.into(),
        code: code.to_owned(),
    };
    let mut response = (status, Json(body)).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    response
}

fn service_problem(e: ServiceError) -> Response {
    match e {
        ServiceError::Forbidden(_) => problem(
            StatusCode::FORBIDDEN,
            "forbidden",
            "the token's operator role does not allow this",
        ),
        ServiceError::NotFound(what) => problem(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no such {what}"),
        ),
        ServiceError::InvalidInput(e) => problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
            format!("{}: {}", e.field, e.message),
        ),
        e @ (ServiceError::UnknownProvider(_)
        | ServiceError::LoaUnavailable { .. }
        | ServiceError::InvalidOperator(_)) => problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
            e.to_string(),
        ),
        e @ ServiceError::Lifecycle(_) => problem(StatusCode::CONFLICT, "conflict", e.to_string()),
        ServiceError::RateLimited(limited) => {
            // The partner's own cap on sessions a minute (its tier's, or the one agreed).
            let mut response = problem(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                ServiceError::RateLimited(limited.clone()).to_string(),
            );
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from(limited.retry_after_secs.max(1)),
            );
            response
        }
        e @ ServiceError::InsufficientTokens { .. } => problem(
            StatusCode::PAYMENT_REQUIRED,
            "insufficient_tokens",
            e.to_string(),
        ),
        e => {
            tracing::error!(error = %e, "admin API request failed");
            problem(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "the request could not be completed",
            )
        }
    }
}

fn not_found(what: &str) -> Response {
    problem(
        StatusCode::NOT_FOUND,
        "not_found",
        format!("no such {what}"),
    )
}

/// A query string, or a problem document (400 `invalid_query`) saying what is wrong with it.
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiQuery<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Response> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(query)| ApiQuery(query))
            .map_err(|e| problem(StatusCode::BAD_REQUEST, "invalid_query", e.body_text()))
    }
}

/// A `limit` parameter: 100 when absent, else 1 to 1000 (a 400 `invalid_query` otherwise).
fn limit_of(limit: Option<u32>) -> Result<u32, Box<Response>> {
    match limit {
        None => Ok(100),
        Some(n) if (1..=1000).contains(&n) => Ok(n),
        Some(_) => Err(Box::new(problem(
            StatusCode::BAD_REQUEST,
            "invalid_query",
            "limit is 1 to 1000",
        ))),
    }
}

/// The body, or why it is not this call's JSON.
fn body<T>(body: Result<Json<T>, JsonRejection>) -> Result<T, String> {
    body.map(|Json(b)| b).map_err(|e| {
        format!(
            "the body is not the JSON this call takes: {}",
            e.body_text()
        )
    })
}

/// The operator a request's token stands for.
pub struct Authorized {
    operator: Operator,
    from: Option<String>,
}

impl std::fmt::Debug for Authorized {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authorized")
            .field("operator", &self.operator.username)
            .finish_non_exhaustive()
    }
}

impl Authorized {
    fn actor(&self) -> AuditActor<'_> {
        AuditActor::Operator {
            operator: &self.operator,
            from: self.from.as_deref(),
        }
    }
}

impl FromRequestParts<AppState> for Authorized {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let unauthorized = || {
            let mut r = problem(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "send an operator's token: Authorization: Bearer idg_op_…",
            );
            r.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"idgate admin\""),
            );
            r
        };
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or_else(unauthorized)?;
        match state.operator_for_token(token).await {
            Ok(Some(operator)) => Ok(Authorized {
                operator,
                from: parts
                    .extensions
                    .get::<ClientAddress>()
                    .map(|ClientAddress(ip)| ip.to_string()),
            }),
            Ok(None) => Err(unauthorized()),
            Err(e) => Err(service_problem(e)),
        }
    }
}

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "idgate: admin API",
        version = "1.0.0",
        description = "What the operator console does, for scripts: return-URL decisions, sessions (search, view, add a verification, decide a review), partners (create, tier and cap, offered providers, evidence, return-URL policy, token top-ups, credentials), webhooks (endpoints, deliveries, redelivery), the audit trail and the dashboard. A token from `idgate operator token NAME --label …` acts with its operator's role; every action is audited. Errors are RFC 9457 problem documents with a stable code."
    ),
    servers((url = "/admin/v1")),
    paths(
        list_return_urls, decide_return_url, search_sessions, get_session, add_verification,
        review, partners::list, partners::create, partners::show, partners::change,
        partners::issue_credential, partners::top_up, partners::revoke_credential,
        webhooks::list, webhooks::deliveries, webhooks::redeliver, audit, dashboard
    ),
    components(schemas(
        Problem, ReturnUrlView, SessionSummary, SessionDetail, TimelineEvent, AddVerification,
        AddedVerification, ReviewDecision, views::PartnerView, views::PartnerDetail,
        views::PartnerCreate, views::PartnerCreated, views::PartnerPatch, views::CredentialView,
        views::CredentialIssue, views::CredentialIssued, views::CredentialRevoked, views::TopUp,
        views::TokenEntryView, views::EndpointView, views::EndpointSecretView,
        views::DeliveryView, views::Redeliver,
        views::Redelivered, AuditView, DashboardView, FunnelView, views::DayView
    )),
    modifiers(&Bearer)
)]
#[derive(Debug)]
pub struct ApiDoc;

struct Bearer;

impl utoipa::Modify for Bearer {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "operator_token",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        // A query string that is not what the call takes is answered 400 (`invalid_query`).
        let bad_query = utoipa::openapi::ResponseBuilder::new()
            .description("The query string is not what this call takes.")
            .content(
                "application/problem+json",
                utoipa::openapi::ContentBuilder::new()
                    .schema(Some(utoipa::openapi::Ref::from_schema_name("Problem")))
                    .build(),
            )
            .build();
        for item in openapi.paths.paths.values_mut() {
            if let Some(operation) = item.get.as_mut() {
                let has_query = operation.parameters.iter().flatten().any(|p| {
                    matches!(p, utoipa::openapi::RefOr::T(p)
                        if p.parameter_in == utoipa::openapi::path::ParameterIn::Query)
                });
                if has_query {
                    operation
                        .responses
                        .responses
                        .entry("400".to_owned())
                        .or_insert_with(|| bad_query.clone().into());
                }
            }
        }
        // Every call counts against its address's limit.
        let too_many = utoipa::openapi::ResponseBuilder::new()
            .description("Too many requests from this address (`limits.client_per_second`); `Retry-After` says when to try again.")
            .content(
                "application/problem+json",
                utoipa::openapi::ContentBuilder::new()
                    .schema(Some(utoipa::openapi::Ref::from_schema_name("Problem")))
                    .build(),
            )
            .header("Retry-After", utoipa::openapi::HeaderBuilder::new()
                .schema(Some(utoipa::openapi::ObjectBuilder::new().schema_type(utoipa::openapi::schema::Type::Integer)))
                .description(Some("Seconds to wait."))
                .build())
            .build();
        for item in openapi.paths.paths.values_mut() {
            for operation in [
                &mut item.get,
                &mut item.post,
                &mut item.patch,
                &mut item.put,
                &mut item.delete,
            ]
            .into_iter()
            .flatten()
            {
                operation
                    .responses
                    .responses
                    .entry("429".to_owned())
                    .or_insert_with(|| too_many.clone().into());
            }
        }
    }
}

async fn openapi() -> Response {
    Json(ApiDoc::openapi()).into_response()
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatusQuery {
    /// `pending`, `approved`, `rejected` or `withdrawn`; all when absent.
    status: Option<String>,
}

/// List return-URL registrations
///
/// Every partner's registrations the operator may see.
#[utoipa::path(
    get, path = "/return-urls", tag = "return URLs", params(StatusQuery),
    responses(
        (status = 200, description = "The registrations.", body = Vec<ReturnUrlView>, example = json!([{"id": "01a25070-60d3-70ca-a657-9f044d90db48", "partner_id": "01a2506f-0a44-7d2b-9c5e-2f4a1b3c4d5e", "url": "https://app.partner.example.com/return", "host": "app.partner.example.com", "mixed_script": false, "status": "pending", "requested_at": "2026-12-07T12:17:51Z", "decided_at": null}])),
        (status = 401, description = "No valid token.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An unknown status.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("operator_token" = []))
)]
pub async fn list_return_urls(
    State(state): State<AppState>,
    who: Authorized,
    ApiQuery(query): ApiQuery<StatusQuery>,
) -> Response {
    let status = match query.status.as_deref() {
        None | Some("") => None,
        Some(s) => match s.parse::<ReturnUrlStatus>() {
            Ok(s) => Some(s),
            Err(_) => {
                return problem(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_request",
                    "status is pending, approved, rejected or withdrawn",
                );
            }
        },
    };
    match state.return_urls_as(who.actor(), status).await {
        Ok(rules) => {
            Json(rules.iter().map(ReturnUrlView::from).collect::<Vec<_>>()).into_response()
        }
        Err(e) => service_problem(e),
    }
}

/// Approve or reject a return URL
///
/// `decision` is `approve` or `reject`. Audited.
#[utoipa::path(
    post, path = "/return-urls/{id}/{decision}", tag = "return URLs",
    params(("id" = String, Path, description = "The registration's id."), ("decision" = String, Path, description = "`approve` or `reject`.")),
    responses(
        (status = 200, description = "Decided.", body = ReturnUrlView, example = json!({"id": "01a25070-60d3-70ca-a657-9f044d90db48", "partner_id": "01a2506f-0a44-7d2b-9c5e-2f4a1b3c4d5e", "url": "https://app.partner.example.com/return", "host": "app.partner.example.com", "mixed_script": false, "status": "approved", "requested_at": "2026-12-07T12:17:51Z", "decided_at": "2026-12-07T13:02:10Z"})),
        (status = 401, description = "No valid token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The operator's role does not allow it.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such registration or decision.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("operator_token" = []))
)]
pub async fn decide_return_url(
    State(state): State<AppState>,
    who: Authorized,
    Path((id, decision)): Path<(String, String)>,
) -> Response {
    let status = match decision.as_str() {
        "approve" => ReturnUrlStatus::Approved,
        "reject" => ReturnUrlStatus::Rejected,
        _ => return not_found("decision"),
    };
    let Ok(id) = id.parse() else {
        return not_found("return URL");
    };
    match state.decide_return_url_as(who.actor(), id, status).await {
        Ok(rule) => Json(ReturnUrlView::from(&rule)).into_response(),
        Err(e) => service_problem(e),
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SessionQuery {
    /// One partner's sessions.
    partner: Option<String>,
    /// One status.
    status: Option<String>,
    /// The partner's own reference (external id, vendor data, user id), exactly.
    reference: Option<String>,
    /// Created at or after (RFC 3339).
    from: Option<String>,
    /// Created before (RFC 3339).
    to: Option<String>,
    /// At most this many (default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<u32>,
}

/// An RFC 3339 time, or why `field` is not one.
fn time(raw: Option<&str>, field: &str) -> Result<Option<chrono::DateTime<chrono::Utc>>, String> {
    raw.filter(|s| !s.is_empty())
        .map(|s| {
            chrono::DateTime::parse_from_rfc3339(s)
                .map(|t| t.to_utc())
                .map_err(|_| format!("{field} is an RFC 3339 time"))
        })
        .transpose()
}

/// Search sessions
///
/// Every partner's sessions the operator may see, newest first. No personal data.
#[utoipa::path(
    get, path = "/sessions", tag = "sessions", params(SessionQuery),
    responses(
        (status = 200, description = "The sessions.", body = Vec<SessionSummary>, example = json!([{"id": "01a25203-d9bf-77c1-acad-dfa07e840af0", "partner_id": "01a2506f-0a44-7d2b-9c5e-2f4a1b3c4d5e", "dialect": "veriff", "provider": "bankid", "status": "review", "reason": null, "created_at": "2026-12-07T19:38:00Z", "decided_at": null}])),
        (status = 401, description = "No valid token.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A filter is malformed.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("operator_token" = []))
)]
pub async fn search_sessions(
    State(state): State<AppState>,
    who: Authorized,
    ApiQuery(query): ApiQuery<SessionQuery>,
) -> Response {
    let invalid = |what: &str| {
        problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
            what.to_owned(),
        )
    };
    let partner_id = match query.partner.as_deref().filter(|p| !p.is_empty()) {
        None => None,
        Some(p) => match p.parse() {
            Ok(id) => Some(id),
            Err(_) => return invalid("partner is a partner id"),
        },
    };
    let status = match query.status.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => match s.parse::<Status>() {
            Ok(s) => Some(s),
            Err(_) => return invalid("status is one of the session statuses"),
        },
    };
    let (from, to) = match (
        time(query.from.as_deref(), "from"),
        time(query.to.as_deref(), "to"),
    ) {
        (Ok(from), Ok(to)) => (from, to),
        (Err(why), _) | (_, Err(why)) => {
            return problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid_request", why);
        }
    };
    let search = idgate_store::SessionSearch {
        partner_id,
        status,
        reference: query.reference.filter(|r| !r.is_empty()),
        created_from: from,
        created_before: to,
        limit: match limit_of(query.limit) {
            Ok(limit) => limit,
            Err(problem) => return *problem,
        },
    };
    match state.search_sessions_as(who.actor(), &search).await {
        Ok(found) => {
            Json(found.iter().map(SessionSummary::from).collect::<Vec<_>>()).into_response()
        }
        Err(e) => service_problem(e),
    }
}

/// Get a session
///
/// The session with what it holds of the person and its timeline. A view of personal data:
/// audited.
#[utoipa::path(
    get, path = "/sessions/{id}", tag = "sessions",
    params(("id" = String, Path, description = "The session's id.")),
    responses(
        (status = 200, description = "The session.", body = SessionDetail, example = json!({"session": {"id": "01a25203-d9bf-77c1-acad-dfa07e840af0", "partner_id": "01a2506f-0a44-7d2b-9c5e-2f4a1b3c4d5e", "dialect": "veriff", "provider": "bankid", "status": "approved", "reason": null, "created_at": "2026-12-07T19:38:00Z", "decided_at": "2026-12-07T19:40:12Z"}, "applicant": {"first_name": "Ola", "last_name": "Nordmann"}, "claims": {"given_name": "Ola"}, "level_of_assurance": 3, "timeline": [{"at": "2026-12-07T19:38:00Z", "actor": "partner", "from": null, "to": "created", "reason": null}]})),
        (status = 401, description = "No valid token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The operator may not see this partner's sessions.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such session.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("operator_token" = []))
)]
pub async fn get_session(
    State(state): State<AppState>,
    who: Authorized,
    Path(id): Path<String>,
) -> Response {
    let Ok(id) = id.parse::<SessionId>() else {
        return not_found("session");
    };
    match state.session_as(who.actor(), id).await {
        Ok((session, events)) => Json(SessionDetail::new(&session, &events)).into_response(),
        Err(e) => service_problem(e),
    }
}

/// Add a verification
///
/// A session for the person named at one of the partner's providers: its link (to hand to the
/// person, or show as a QR code). Audited.
#[utoipa::path(
    post, path = "/sessions", tag = "sessions",
    request_body(content = AddVerification, example = json!({"partner_id": "01a2506f-0a44-7d2b-9c5e-2f4a1b3c4d5e", "provider": "bankid", "first_name": "Ola", "last_name": "Nordmann"})),
    responses(
        (status = 201, description = "Created.", body = AddedVerification, example = json!({"id": "01a25203-d9bf-77c1-acad-dfa07e840af0", "verification_url": "https://verify.example.com/v/3yq7X0m2nB1", "expires_at": "2026-12-14T19:38:00Z"})),
        (status = 400, description = "The body is not this call's JSON.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only admins add verifications.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such partner.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An unknown provider or a malformed name.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("operator_token" = []))
)]
pub async fn add_verification(
    State(state): State<AppState>,
    who: Authorized,
    request: Result<Json<AddVerification>, JsonRejection>,
) -> Response {
    let request = match body(request) {
        Ok(r) => r,
        Err(why) => return problem(StatusCode::BAD_REQUEST, "invalid_json", why),
    };
    let Ok(partner) = request.partner_id.parse() else {
        return not_found("partner");
    };
    match state
        .add_verification_as(
            who.actor(),
            partner,
            &request.provider,
            request.first_name.as_deref().unwrap_or_default(),
            request.last_name.as_deref().unwrap_or_default(),
        )
        .await
    {
        Ok(created) => (
            StatusCode::CREATED,
            Json(AddedVerification {
                id: created.session.id.to_string(),
                verification_url: created.verification_url,
                expires_at: created.session.expires_at.to_rfc3339(),
            }),
        )
            .into_response(),
        Err(e) => service_problem(e),
    }
}

/// Decide a review
///
/// Approve a session in `review`, or decline it with a reason (kept in the audit trail).
/// Events and webhooks follow as for any decision.
#[utoipa::path(
    post, path = "/sessions/{id}/review", tag = "sessions",
    params(("id" = String, Path, description = "The session's id.")),
    request_body(content = ReviewDecision, example = json!({"decision": "decline", "reason": "The document photo is of a screen."})),
    responses(
        (status = 200, description = "Decided.", body = SessionSummary, example = json!({"id": "01a25203-d9bf-77c1-acad-dfa07e840af0", "partner_id": "01a2506f-0a44-7d2b-9c5e-2f4a1b3c4d5e", "dialect": "hopae", "provider": "bankid", "status": "declined", "reason": "declined_in_review", "created_at": "2026-12-07T19:38:00Z", "decided_at": "2026-12-07T19:50:00Z"})),
        (status = 400, description = "The body is not this call's JSON.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The operator's role does not allow it.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such session.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The session is not in review.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A decline without a reason.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("operator_token" = []))
)]
pub async fn review(
    State(state): State<AppState>,
    who: Authorized,
    Path(id): Path<String>,
    request: Result<Json<ReviewDecision>, JsonRejection>,
) -> Response {
    let request = match body(request) {
        Ok(r) => r,
        Err(why) => return problem(StatusCode::BAD_REQUEST, "invalid_json", why),
    };
    let Ok(id) = id.parse::<SessionId>() else {
        return not_found("session");
    };
    let approve = match request.decision.as_str() {
        "approve" => true,
        "decline" => false,
        _ => {
            return problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_request",
                "decision is approve or decline",
            );
        }
    };
    match state
        .decide_review_as(
            who.actor(),
            id,
            approve,
            request.reason.as_deref().unwrap_or_default(),
        )
        .await
    {
        Ok(session) => Json(SessionSummary::from(&session)).into_response(),
        Err(e) => service_problem(e),
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LimitQuery {
    /// At most this many (default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<u32>,
}

/// Read the audit trail
///
/// Newest first. Admins only.
#[utoipa::path(
    get, path = "/audit", tag = "audit", params(LimitQuery),
    responses(
        (status = 200, description = "The latest entries.", body = Vec<AuditView>, example = json!([{"at": "2026-12-07T19:40:00Z", "actor": "kari", "action": "return_url.approve", "target": "return_url:01a25070-60d3-70ca-a657-9f044d90db48", "from": "203.0.113.9", "details": {}}])),
        (status = 401, description = "No valid token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only admins read the trail.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("operator_token" = []))
)]
pub async fn audit(
    State(state): State<AppState>,
    who: Authorized,
    ApiQuery(query): ApiQuery<LimitQuery>,
) -> Response {
    if !who
        .operator
        .may(idgate_core::OperatorAction::ManageOperators, None)
    {
        return service_problem(ServiceError::Forbidden("operator role"));
    }
    let limit = match limit_of(query.limit) {
        Ok(limit) => limit,
        Err(problem) => return *problem,
    };
    match state.audit_log(limit, None).await {
        Ok(entries) => {
            Json(entries.iter().map(AuditView::from).collect::<Vec<_>>()).into_response()
        }
        Err(e) => service_problem(e),
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DaysQuery {
    /// The period in days (default 7).
    #[param(minimum = 1, maximum = 90)]
    days: Option<i64>,
}

/// Read the dashboard
///
/// Sessions created in the period per provider (created, started, decided, approved) and the
/// webhook endpoints' health. For operators who see every partner.
#[utoipa::path(
    get, path = "/dashboard", tag = "dashboard", params(DaysQuery),
    responses(
        (status = 200, description = "The counts.", body = DashboardView, example = json!({"days": 7, "providers": [{"provider": "bankid", "created": 4, "started": 2, "decided": 1, "approved": 1}], "by_day": [{"day": "2026-12-07", "created": 4, "decided": 1, "approved": 1, "by_provider": {"bankid": 4}}], "endpoints": 2, "endpoints_failing": 0, "endpoints_disabled": 0})),
        (status = 401, description = "No valid token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The operator is limited to some partners.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("operator_token" = []))
)]
pub async fn dashboard(
    State(state): State<AppState>,
    who: Authorized,
    ApiQuery(query): ApiQuery<DaysQuery>,
) -> Response {
    let days = query.days.unwrap_or(7);
    if !(1..=90).contains(&days) {
        return problem(StatusCode::BAD_REQUEST, "invalid_query", "days is 1 to 90");
    }
    match state
        .dashboard_as(
            who.actor(),
            chrono::Utc::now() - chrono::Duration::days(days),
        )
        .await
    {
        Ok(d) => Json(DashboardView {
            days,
            providers: d
                .providers
                .iter()
                .map(|f| FunnelView {
                    provider: f.provider_id.clone(),
                    created: f.created,
                    started: f.started,
                    decided: f.decided,
                    approved: f.approved,
                })
                .collect(),
            by_day: d
                .days
                .iter()
                .map(|day| views::DayView {
                    day: day.day.to_string(),
                    created: day.created,
                    decided: day.decided,
                    approved: day.approved,
                    by_provider: day.by_provider.iter().cloned().collect(),
                })
                .collect(),
            endpoints: d.endpoints,
            endpoints_failing: d.endpoints_failing,
            endpoints_disabled: d.endpoints_disabled,
        })
        .into_response(),
        Err(e) => service_problem(e),
    }
}
