//! The console's partners: the list, one partner with its credentials, issuing a credential
//! (its secrets shown this once) and revoking one.

use super::{Signed, failure, message, page, pages};
use crate::state::AppState;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use idgate_core::{CredentialKind, OperatorAction, PartnerId};
use idgate_hub::service::ServiceError;
use serde::Deserialize;

/// `GET /console/partners`.
pub async fn list(State(state): State<AppState>, signed: Signed) -> Response {
    match state.partners_as(signed.actor()).await {
        Ok(partners) => page(
            StatusCode::OK,
            &pages::Partners {
                nav: signed.nav(),
                partners: partners
                    .iter()
                    .map(|p| pages::PartnerRow {
                        id: p.id.to_string(),
                        name: p.name.clone(),
                        tier: p.tier.as_str().to_owned(),
                        created_at: p.created_at.format("%Y-%m-%d").to_string(),
                    })
                    .collect(),
            },
        ),
        Err(ServiceError::Forbidden(_)) => signed.refuse(),
        Err(e) => failure(e),
    }
}

fn not_found(signed: &Signed) -> Response {
    message(
        StatusCode::NOT_FOUND,
        Some(&signed.operator),
        &signed.csrf,
        "Not found",
        "There is no such partner or credential.",
    )
}

async fn show_partner(
    state: &AppState,
    signed: &Signed,
    id: PartnerId,
    status: StatusCode,
    issued: Option<idgate_hub::credentials::IssuedCredential>,
) -> Response {
    let (partner, credentials) = match state.partner_as(signed.actor(), id).await {
        Ok(found) => found,
        Err(ServiceError::NotFound(_)) => return not_found(signed),
        Err(ServiceError::Forbidden(_)) => return signed.refuse(),
        Err(e) => return failure(e),
    };
    page(
        status,
        &pages::PartnerDetail {
            nav: signed.nav(),
            csrf: signed.csrf.clone(),
            id: partner.id.to_string(),
            name: partner.name.clone(),
            tier: partner.tier.as_str().to_owned(),
            number: partner.number,
            credentials: credentials
                .iter()
                .map(|c| pages::CredentialRow {
                    id: c.id.to_string(),
                    kind: c.kind.as_str().to_owned(),
                    public_id: c.public_id.clone().unwrap_or_default(),
                    created_at: c.created_at.format("%Y-%m-%d %H:%M").to_string(),
                    revoked_at: c
                        .revoked_at
                        .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
                        .unwrap_or_default(),
                })
                .collect(),
            kinds: CredentialKind::ALL
                .iter()
                .map(|k| k.as_str().to_owned())
                .collect(),
            may_manage: signed
                .operator
                .may(OperatorAction::ManagePartners, Some(partner.id)),
            issued: issued.map(|i| pages::Issued {
                kind: i.kind.as_str().to_owned(),
                secrets: i
                    .shown
                    .iter()
                    .map(|s| (s.label.to_owned(), s.value.clone()))
                    .collect(),
            }),
        },
    )
}

/// `GET /console/partners/{id}`.
pub async fn show(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
) -> Response {
    let Ok(id) = id.parse() else {
        return not_found(&signed);
    };
    show_partner(&state, &signed, id, StatusCode::OK, None).await
}

#[derive(Deserialize)]
pub struct IssueForm {
    csrf: Option<String>,
    kind: Option<String>,
}

/// `POST /console/partners/{id}/credentials`: a new credential, its secrets shown once.
pub async fn issue(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    Form(form): Form<IssueForm>,
) -> Response {
    if let Some(refused) = signed.csrf_refusal(form.csrf.as_deref()) {
        return refused;
    }
    let Ok(id) = id.parse() else {
        return not_found(&signed);
    };
    let Some(kind) = form
        .kind
        .as_deref()
        .and_then(|k| k.parse::<CredentialKind>().ok())
    else {
        return message(
            StatusCode::BAD_REQUEST,
            Some(&signed.operator),
            &signed.csrf,
            "Pick a kind",
            "Choose which API the credential is for. Nothing was changed.",
        );
    };
    match state.issue_credential_as(signed.actor(), id, kind).await {
        Ok(issued) => show_partner(&state, &signed, id, StatusCode::CREATED, Some(issued)).await,
        Err(ServiceError::Forbidden(_)) => signed.refuse(),
        Err(ServiceError::NotFound(_)) => not_found(&signed),
        Err(e) => failure(e),
    }
}

/// `POST /console/credentials/{id}/revoke`: it stops working now.
pub async fn revoke(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    Form(form): Form<super::CsrfForm>,
) -> Response {
    if let Some(refused) = signed.csrf_refusal(form.csrf.as_deref()) {
        return refused;
    }
    let Ok(id) = id.parse() else {
        return not_found(&signed);
    };
    match state.revoke_credential_as(signed.actor(), id).await {
        Ok(revoked) => {
            Redirect::to(&format!("/console/partners/{}", revoked.partner_id)).into_response()
        }
        Err(ServiceError::Forbidden(_)) => signed.refuse(),
        Err(ServiceError::NotFound(_)) => not_found(&signed),
        Err(e) => failure(e),
    }
}
