//! The console's partners: the list, one partner with its credentials, issuing a credential
//! (its secrets shown this once) and revoking one.

use super::{Signed, failure, message, page, pages};
use crate::state::AppState;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use idgate_core::{
    CredentialKind, EvidenceDisclosure, OperatorAction, PartnerId, ReturnUrlPolicy, Tier,
};
use idgate_hub::service::ServiceError;
use idgate_hub::service::operators::PartnerAccess;
use serde::Deserialize;

/// `GET /console/partners`.
pub async fn list(State(state): State<AppState>, signed: Signed) -> Response {
    list_page(&state, &signed, StatusCode::OK, None).await
}

async fn list_page(
    state: &AppState,
    signed: &Signed,
    status: StatusCode,
    problem: Option<String>,
) -> Response {
    match state.partners_as(signed.actor()).await {
        Ok(partners) => page(
            status,
            &pages::Partners {
                nav: signed.nav(),
                csrf: signed.csrf.clone(),
                may_create: signed.operator.may(OperatorAction::ManagePartners, None),
                tiers: TIERS.iter().map(|t| t.as_str().to_owned()).collect(),
                problem,
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

const TIERS: [Tier; 3] = [Tier::Enterprise, Tier::SelfServe, Tier::Custom];

#[derive(Deserialize)]
pub struct CreateForm {
    csrf: Option<String>,
    name: Option<String>,
    tier: Option<String>,
}

/// `POST /console/partners`: a new partner and its first credentials, shown once.
pub async fn create(
    State(state): State<AppState>,
    signed: Signed,
    Form(form): Form<CreateForm>,
) -> Response {
    if let Some(refused) = signed.csrf_refusal(form.csrf.as_deref()) {
        return refused;
    }
    let Some(tier) = form.tier.as_deref().and_then(|t| t.parse::<Tier>().ok()) else {
        return list_page(
            &state,
            &signed,
            StatusCode::BAD_REQUEST,
            Some("Pick a tier.".into()),
        )
        .await;
    };
    let name = form.name.as_deref().unwrap_or_default().trim();
    if name.is_empty() || name.chars().count() > 200 {
        return list_page(
            &state,
            &signed,
            StatusCode::BAD_REQUEST,
            Some("A partner's name is 1 to 200 characters.".into()),
        )
        .await;
    }
    match state.create_partner_as(signed.actor(), name, tier).await {
        Ok((partner, issued)) => {
            show_partner(&state, &signed, partner.id, StatusCode::CREATED, issued).await
        }
        Err(ServiceError::Forbidden(_)) => signed.refuse(),
        Err(e) => failure(e),
    }
}

#[derive(Deserialize)]
pub struct TierForm {
    csrf: Option<String>,
    tier: Option<String>,
    sessions_per_minute: Option<String>,
}

fn bad(signed: &Signed, heading: &str, text: &str) -> Response {
    message(
        StatusCode::BAD_REQUEST,
        Some(&signed.operator),
        &signed.csrf,
        heading,
        text,
    )
}

/// `POST /console/partners/{id}/tier`: the tier, and the partner's own cap (empty: the
/// tier's).
pub async fn set_tier(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    Form(form): Form<TierForm>,
) -> Response {
    if let Some(refused) = signed.csrf_refusal(form.csrf.as_deref()) {
        return refused;
    }
    let Ok(id) = id.parse::<PartnerId>() else {
        return not_found(&signed);
    };
    let Some(tier) = form.tier.as_deref().and_then(|t| t.parse::<Tier>().ok()) else {
        return bad(&signed, "Pick a tier", "Nothing was changed.");
    };
    let cap = match form.sessions_per_minute.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(n) => match n.parse::<u32>() {
            Ok(n) if n > 0 => Some(n),
            _ => {
                return bad(
                    &signed,
                    "Sessions a minute",
                    "A cap is a whole number above 0, or empty for the tier's. Nothing was changed.",
                );
            }
        },
    };
    match state
        .set_partner_tier_as(signed.actor(), id, tier, cap)
        .await
    {
        Ok(_) => Redirect::to(&format!("/console/partners/{id}")).into_response(),
        Err(ServiceError::Forbidden(_)) => signed.refuse(),
        Err(ServiceError::NotFound(_)) => not_found(&signed),
        Err(ServiceError::InvalidInput(e)) => bad(
            &signed,
            "Sessions a minute",
            &format!("{}. Nothing was changed.", e.message),
        ),
        Err(e) => failure(e),
    }
}

/// `POST /console/partners/{id}/access`: offered providers (a checkbox each), evidence
/// disclosure and return-URL policy, replaced together.
pub async fn set_access(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let value = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    if let Some(refused) = signed.csrf_refusal(value("csrf")) {
        return refused;
    }
    let Ok(id) = id.parse::<PartnerId>() else {
        return not_found(&signed);
    };
    let (Some(evidence), Some(return_urls)) = (
        value("evidence").and_then(|e| e.parse::<EvidenceDisclosure>().ok()),
        value("return_urls").and_then(|r| r.parse::<ReturnUrlPolicy>().ok()),
    ) else {
        return bad(
            &signed,
            "Pick the evidence and the return URLs",
            "Nothing was changed.",
        );
    };
    let offered_providers = fields
        .iter()
        .filter(|(k, _)| k == "offer")
        .map(|(_, v)| v.clone())
        .collect();
    let access = PartnerAccess {
        offered_providers,
        evidence,
        return_urls,
    };
    match state
        .set_partner_access_as(signed.actor(), id, access)
        .await
    {
        Ok(_) => Redirect::to(&format!("/console/partners/{id}")).into_response(),
        Err(ServiceError::Forbidden(_)) => signed.refuse(),
        Err(ServiceError::NotFound(_)) => not_found(&signed),
        Err(ServiceError::InvalidInput(e)) => bad(
            &signed,
            "Not a provider served here",
            &format!("{}. Nothing was changed.", e.message),
        ),
        Err(e) => failure(e),
    }
}

#[derive(Deserialize)]
pub struct TopUpForm {
    csrf: Option<String>,
    tokens: Option<String>,
    note: Option<String>,
}

/// `POST /console/partners/{id}/tokens`: a top-up of the token balance.
pub async fn top_up(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    Form(form): Form<TopUpForm>,
) -> Response {
    if let Some(refused) = signed.csrf_refusal(form.csrf.as_deref()) {
        return refused;
    }
    let Ok(id) = id.parse::<PartnerId>() else {
        return not_found(&signed);
    };
    let Some(tokens) = form
        .tokens
        .as_deref()
        .and_then(|t| t.trim().parse::<i64>().ok())
    else {
        return bad(
            &signed,
            "Tokens",
            "Enter how many tokens to add. Nothing was changed.",
        );
    };
    let note = form
        .note
        .map(|n| n.trim().chars().take(200).collect::<String>())
        .filter(|n| !n.is_empty());
    match state.top_up_as(signed.actor(), id, tokens, note).await {
        Ok(_) => Redirect::to(&format!("/console/partners/{id}")).into_response(),
        Err(ServiceError::Forbidden(_)) => signed.refuse(),
        Err(ServiceError::NotFound(_)) => not_found(&signed),
        Err(ServiceError::InvalidInput(e)) => bad(
            &signed,
            "Tokens",
            &format!("The {} {}. Nothing was changed.", e.field, e.message),
        ),
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
    issued: Vec<idgate_hub::credentials::IssuedCredential>,
) -> Response {
    let (partner, credentials) = match state.partner_as(signed.actor(), id).await {
        Ok(found) => found,
        Err(ServiceError::NotFound(_)) => return not_found(signed),
        Err(ServiceError::Forbidden(_)) => return signed.refuse(),
        Err(e) => return failure(e),
    };
    let balance = match state.tokens(id, 1).await {
        Ok((balance, _)) => balance,
        Err(e) => return failure(e),
    };
    page(
        status,
        &pages::PartnerDetail {
            balance,
            tiers: TIERS
                .iter()
                .map(|t| (t.as_str().to_owned(), *t == partner.tier))
                .collect(),
            session_cap: partner
                .session_cap
                .map(|c| c.to_string())
                .unwrap_or_default(),
            providers: state
                .providers()
                .infos()
                .map(|info| pages::ProviderChoice {
                    id: info.id.clone(),
                    label: info.label.clone(),
                    sandbox: info.sandbox,
                    offered: partner.offered_providers.contains(&info.id),
                })
                .collect(),
            evidence: [
                (
                    EvidenceDisclosure::Minimal,
                    "minimal: a pairwise subject, the level, a digest of the proof",
                ),
                (
                    EvidenceDisclosure::Full,
                    "full: the provider's raw proof, which identifies the person across partners",
                ),
            ]
            .into_iter()
            .map(|(e, shown)| {
                (
                    e.as_str().to_owned(),
                    shown.to_owned(),
                    e == partner.evidence,
                )
            })
            .collect(),
            return_urls: [
                (
                    ReturnUrlPolicy::Approved,
                    "approved: only URLs an operator approved",
                ),
                (
                    ReturnUrlPolicy::Registered,
                    "registered: URLs the partner registers, approved as it registers them",
                ),
                (ReturnUrlPolicy::AnyHttps, "any https URL a session names"),
            ]
            .into_iter()
            .map(|(r, shown)| {
                (
                    r.as_str().to_owned(),
                    shown.to_owned(),
                    r == partner.return_urls,
                )
            })
            .collect(),
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
            issued: issued
                .iter()
                .map(|i| pages::Issued {
                    kind: i.kind.as_str().to_owned(),
                    secrets: i
                        .shown
                        .iter()
                        .map(|s| (s.label.to_owned(), s.value.clone()))
                        .collect(),
                })
                .collect(),
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
    show_partner(&state, &signed, id, StatusCode::OK, Vec::new()).await
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
        Ok(issued) => show_partner(&state, &signed, id, StatusCode::CREATED, vec![issued]).await,
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
