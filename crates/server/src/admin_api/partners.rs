//! The admin API's partners: list, create (first credentials shown once), one partner with
//! its credentials and balance, changes (tier and cap, offered providers, evidence, return-URL
//! policy), token top-ups, and issuing and revoking credentials.

use super::views::{
    CredentialIssue, CredentialIssued, CredentialRevoked, CredentialView, PartnerCreate,
    PartnerCreated, PartnerDetail, PartnerPatch, PartnerView, Problem, TokenEntryView, TopUp,
};
use super::{Authorized, body, not_found, problem, service_problem};
use crate::state::AppState;
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use idgate_core::{CredentialKind, EvidenceDisclosure, PartnerId, ReturnUrlPolicy, Tier};
use idgate_hub::credentials::IssuedCredential;
use idgate_hub::service::partners::PartnerChange;

fn issued_view(issued: &IssuedCredential) -> CredentialIssued {
    CredentialIssued {
        credential_id: issued.id.to_string(),
        kind: issued.kind.as_str().to_owned(),
        secrets: issued
            .shown
            .iter()
            .map(|s| (s.field.to_owned(), s.value.clone()))
            .collect(),
    }
}

fn invalid(detail: impl Into<String>) -> Response {
    problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid_request", detail)
}

/// List partners
#[utoipa::path(
    get, path = "/partners", tag = "partners",
    responses(
        (status = 200, description = "The partners the operator may see, by name.", body = Vec<PartnerView>, example = json!([{"id": "01a2506f-0a44-7d2b-9c5e-2f4a1b3c4d5e", "number": 7, "name": "Acme AS", "tier": "enterprise", "sessions_per_minute": null, "offered_providers": [], "evidence": "minimal", "return_urls": "approved", "created_at": "2026-12-01T09:00:00Z"}])),
        (status = 401, description = "No valid token.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("operator_token" = []))
)]
pub async fn list(State(state): State<AppState>, who: Authorized) -> Response {
    match state.partners_as(who.actor()).await {
        Ok(partners) => {
            Json(partners.iter().map(PartnerView::from).collect::<Vec<_>>()).into_response()
        }
        Err(e) => service_problem(e),
    }
}

/// Issue a credential
///
/// A new credential of `kind` for the partner; its secrets are in this answer only. Audited.
#[utoipa::path(
    post, path = "/partners/{id}/credentials", tag = "partners",
    params(("id" = String, Path, description = "The partner's id.")),
    request_body(content = CredentialIssue, example = json!({"kind": "easyfreelance"})),
    responses(
        (status = 201, description = "Issued.", body = CredentialIssued, example = json!({"credential_id": "01a25210-aaaa-7bbb-8ccc-ddddeeeeffff", "kind": "easyfreelance", "secrets": {"access_token": "idg_pat_…", "api_key": "6f1c…"}})),
        (status = 400, description = "The body is not this call's JSON.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only admins manage credentials.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such partner.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An unknown kind.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("operator_token" = []))
)]
pub async fn issue_credential(
    State(state): State<AppState>,
    who: Authorized,
    Path(id): Path<String>,
    request: Result<Json<CredentialIssue>, JsonRejection>,
) -> Response {
    let request = match body(request) {
        Ok(r) => r,
        Err(why) => return problem(StatusCode::BAD_REQUEST, "invalid_json", why),
    };
    let Ok(partner) = id.parse() else {
        return not_found("partner");
    };
    let Ok(kind) = request.kind.parse::<CredentialKind>() else {
        return problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
            "kind is easyfreelance, hopae, hopae_workspace, veriff or deepidv",
        );
    };
    match state.issue_credential_as(who.actor(), partner, kind).await {
        Ok(issued) => (StatusCode::CREATED, Json(issued_view(&issued))).into_response(),
        Err(e) => service_problem(e),
    }
}

/// Revoke a credential
///
/// Refused from now on (on other nodes within `api.credential_cache_ttl`). Audited.
#[utoipa::path(
    post, path = "/credentials/{id}/revoke", tag = "partners",
    params(("id" = String, Path, description = "The credential's id.")),
    responses(
        (status = 200, description = "Revoked.", body = CredentialRevoked, example = json!({"id": "01a25210-aaaa-7bbb-8ccc-ddddeeeeffff", "revoked_at": "2026-12-07T20:00:00Z"})),
        (status = 401, description = "No valid token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only admins manage credentials.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such credential.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("operator_token" = []))
)]
pub async fn revoke_credential(
    State(state): State<AppState>,
    who: Authorized,
    Path(id): Path<String>,
) -> Response {
    let Ok(id) = id.parse() else {
        return not_found("credential");
    };
    match state.revoke_credential_as(who.actor(), id).await {
        Ok(credential) => Json(CredentialRevoked {
            id: credential.id.to_string(),
            revoked_at: credential.revoked_at.map(|t| t.to_rfc3339()),
        })
        .into_response(),
        Err(e) => service_problem(e),
    }
}

/// Create a partner
///
/// With its first credentials, one per API; their secrets are in this answer only. Admins
/// only. Audited.
#[utoipa::path(
    post, path = "/partners", tag = "partners",
    request_body(content = PartnerCreate, example = json!({"name": "Nordic Freelance AS", "tier": "self-serve"})),
    responses(
        (status = 201, description = "Created.", body = PartnerCreated),
        (status = 400, description = "The body is not this call's JSON.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only admins create partners.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad name or tier.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("operator_token" = []))
)]
pub async fn create(
    State(state): State<AppState>,
    who: Authorized,
    request: Result<Json<PartnerCreate>, JsonRejection>,
) -> Response {
    let request = match body(request) {
        Ok(r) => r,
        Err(why) => return problem(StatusCode::BAD_REQUEST, "invalid_json", why),
    };
    let Ok(tier) = request
        .tier
        .as_deref()
        .unwrap_or("self-serve")
        .parse::<Tier>()
    else {
        return invalid("tier is enterprise, self-serve or custom");
    };
    match state
        .create_partner_as(who.actor(), &request.name, tier)
        .await
    {
        Ok((partner, issued)) => (
            StatusCode::CREATED,
            Json(PartnerCreated {
                partner: PartnerView::from(&partner),
                credentials: issued.iter().map(issued_view).collect(),
            }),
        )
            .into_response(),
        Err(e) => service_problem(e),
    }
}

/// Read a partner
///
/// With its credentials (no secrets) and token balance.
#[utoipa::path(
    get, path = "/partners/{id}", tag = "partners",
    params(("id" = String, Path, description = "The partner's id.")),
    responses(
        (status = 200, description = "The partner.", body = PartnerDetail),
        (status = 401, description = "No valid token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The operator is limited to other partners.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such partner.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("operator_token" = []))
)]
pub async fn show(
    State(state): State<AppState>,
    who: Authorized,
    Path(id): Path<String>,
) -> Response {
    let Ok(id) = id.parse::<PartnerId>() else {
        return not_found("partner");
    };
    let (partner, credentials) = match state.partner_as(who.actor(), id).await {
        Ok(found) => found,
        Err(e) => return service_problem(e),
    };
    match state.tokens(id, 1).await {
        Ok((balance, _)) => Json(PartnerDetail {
            partner: PartnerView::from(&partner),
            token_balance: balance,
            credentials: credentials.iter().map(CredentialView::from).collect(),
        })
        .into_response(),
        Err(e) => service_problem(e),
    }
}

/// Change a partner
///
/// Its tier and cap, the providers offered to its people, what `/evidence` discloses and
/// its return-URL policy; what the body leaves out stays. Admins only. Audited.
#[utoipa::path(
    patch, path = "/partners/{id}", tag = "partners",
    params(("id" = String, Path, description = "The partner's id.")),
    request_body(content = PartnerPatch, example = json!({"tier": "custom", "sessions_per_minute": 120, "offered_providers": ["bankid", "sandbox"], "evidence": "minimal", "return_urls": "approved"})),
    responses(
        (status = 200, description = "The partner as it is now.", body = PartnerView),
        (status = 400, description = "The body is not this call's JSON.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only admins change partners.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such partner.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An unknown tier, provider, evidence or policy; a custom tier without a cap.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("operator_token" = []))
)]
pub async fn change(
    State(state): State<AppState>,
    who: Authorized,
    Path(id): Path<String>,
    request: Result<Json<PartnerPatch>, JsonRejection>,
) -> Response {
    let request = match body(request) {
        Ok(r) => r,
        Err(why) => return problem(StatusCode::BAD_REQUEST, "invalid_json", why),
    };
    let Ok(id) = id.parse::<PartnerId>() else {
        return not_found("partner");
    };
    // Everything is checked before anything is changed.
    let Ok(tier) = request.tier.as_deref().map(str::parse::<Tier>).transpose() else {
        return invalid("tier is enterprise, self-serve or custom");
    };
    if tier.is_none() && request.sessions_per_minute.is_some() {
        return invalid("sessions_per_minute is sent with tier");
    }
    if request
        .sessions_per_minute
        .is_some_and(|n| !(1..=1_000_000).contains(&n))
    {
        return invalid("sessions_per_minute is 1 to 1 000 000 (absent: the tier's)");
    }
    let Ok(evidence) = request
        .evidence
        .as_deref()
        .map(str::parse::<EvidenceDisclosure>)
        .transpose()
    else {
        return invalid("evidence is minimal or full");
    };
    let Ok(return_urls) = request
        .return_urls
        .as_deref()
        .map(str::parse::<ReturnUrlPolicy>)
        .transpose()
    else {
        return invalid("return_urls is approved, registered or any_https");
    };
    let change = PartnerChange {
        tier,
        // With a tier, an absent cap means the tier's.
        session_cap: tier.map(|_| request.sessions_per_minute),
        offered_providers: request.offered_providers,
        evidence,
        return_urls,
        ..PartnerChange::default()
    };
    // One write after every check, admins only (an empty body too), one audit line.
    let partner = match state
        .change_partner_as(who.actor(), id, change, "partner.change")
        .await
    {
        Ok(p) => p,
        Err(e) => return service_problem(e),
    };
    Json(PartnerView::from(&partner)).into_response()
}

/// Top up a partner's tokens
///
/// Adds to the balance deepidv sessions draw from. Admins only. Audited.
#[utoipa::path(
    post, path = "/partners/{id}/tokens", tag = "partners",
    params(("id" = String, Path, description = "The partner's id.")),
    request_body(content = TopUp, example = json!({"tokens": 500, "note": "invoice 2026-114"})),
    responses(
        (status = 201, description = "The ledger line.", body = TokenEntryView),
        (status = 400, description = "The body is not this call's JSON.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only admins top up.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such partner.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not 1 to 1 000 000 000 tokens.", body = Problem, content_type = "application/problem+json"),
    ),
    security(("operator_token" = []))
)]
pub async fn top_up(
    State(state): State<AppState>,
    who: Authorized,
    Path(id): Path<String>,
    request: Result<Json<TopUp>, JsonRejection>,
) -> Response {
    let request = match body(request) {
        Ok(r) => r,
        Err(why) => return problem(StatusCode::BAD_REQUEST, "invalid_json", why),
    };
    let Ok(id) = id.parse::<PartnerId>() else {
        return not_found("partner");
    };
    let note = request.note.filter(|n| !n.trim().is_empty());
    match state.top_up_as(who.actor(), id, request.tokens, note).await {
        Ok(entry) => (StatusCode::CREATED, Json(TokenEntryView::from(&entry))).into_response(),
        Err(e) => service_problem(e),
    }
}
