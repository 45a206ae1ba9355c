//! The operator console (`/console`): server-rendered pages for the people who run idgate,
//! acting through the same service functions as the command line.
//!
//! Sign-in takes a password and a TOTP code ([`idgate_hub::service::operators`]: lock-out,
//! one use per code, idle and absolute timeouts). The session cookie is `__Host-` on https,
//! `HttpOnly`, `SameSite=Strict`, and names a console session by a random value whose digest
//! alone is stored. Every form carries the session's CSRF token (the sign-in form a
//! double-submit token of its own), every page checks the operator's role, and every action
//! is written to the audit trail.

mod pages;
mod partners;
mod sessions;
pub mod sso;
mod webhooks;

use crate::hosted::client_limit::{self, ClientAddress};
use crate::state::AppState;
use askama::Template;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use idgate_core::{Operator, OperatorAction, ReturnUrlStatus, return_url};
use idgate_hub::service::ServiceError;
use idgate_hub::service::operators::{AuditActor, SignIn};
use serde::Deserialize;
use std::collections::HashMap;

pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/console", get(home))
        .route("/console/sign-in", get(sign_in_page).post(sign_in))
        .route("/console/sign-out", post(sign_out))
        .route("/console/sso", post(sso::start))
        .route("/console/sso/callback", get(sso::callback))
        .route("/console/return-urls", get(return_urls))
        .route(
            "/console/return-urls/{id}/{decision}",
            post(decide_return_url),
        )
        .route("/console/sessions", get(sessions::search))
        .route(
            "/console/sessions/new",
            get(sessions::new_form).post(sessions::add),
        )
        .route("/console/sessions/{id}", get(sessions::show))
        .route("/console/sessions/{id}/decide", post(sessions::decide))
        .route("/console/sessions/{id}/media/{media}", get(sessions::media))
        .route("/console/reviews", get(sessions::reviews))
        .route(
            "/console/partners",
            get(partners::list).post(partners::create),
        )
        .route("/console/partners/{id}/tier", post(partners::set_tier))
        .route("/console/partners/{id}/tokens", post(partners::top_up))
        .route("/console/partners/{id}/access", post(partners::set_access))
        .route("/console/partners/{id}", get(partners::show))
        .route("/console/partners/{id}/credentials", post(partners::issue))
        .route("/console/credentials/{id}/revoke", post(partners::revoke))
        .route("/console/webhooks", get(webhooks::list))
        .route("/console/webhooks/{id}", get(webhooks::show))
        .route(
            "/console/webhooks/{id}/redeliver",
            post(webhooks::redeliver),
        )
        .route("/console/audit", get(audit))
        .route("/console/audit/export", get(audit_export))
        // Counted per client address like the hosted pages: sign-in guesses cost too.
        .layer(axum::middleware::from_fn_with_state(
            state,
            client_limit::enforce,
        ))
}

/// The session cookie's name: `__Host-` where browsers take it (https).
fn cookie_name(state: &AppState) -> &'static str {
    if state.settings().public_is_https() {
        "__Host-idgate-console"
    } else {
        "idgate-console"
    }
}

/// The sign-in form's own token cookie (there is no session yet to hold one).
fn pre_cookie_name(state: &AppState) -> &'static str {
    if state.settings().public_is_https() {
        "__Host-idgate-console-pre"
    } else {
        "idgate-console-pre"
    }
}

use crate::hosted::browser::cookie;

fn set_cookie(
    state: &AppState,
    response: &mut Response,
    name: &str,
    value: &str,
    max_age: Option<i64>,
) {
    set_cookie_with(state, response, name, value, max_age, "Strict");
}

/// A cookie with the given `SameSite` (`Lax` for one that must come back with a provider's
/// redirect).
fn set_cookie_with(
    state: &AppState,
    response: &mut Response,
    name: &str,
    value: &str,
    max_age: Option<i64>,
    same_site: &str,
) {
    let secure = if state.settings().public_is_https() {
        "; Secure"
    } else {
        ""
    };
    let age = max_age
        .map(|s| format!("; Max-Age={s}"))
        .unwrap_or_default();
    let cookie = format!("{name}={value}; Path=/; HttpOnly; SameSite={same_site}{secure}{age}");
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
}

/// Equal strings, compared in constant time (CSRF tokens).
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && aws_lc_rs::constant_time::verify_slices_are_equal(a.as_bytes(), b.as_bytes()).is_ok()
}

/// A page: HTML, never cached, never framed.
fn page(status: StatusCode, template: &impl Template) -> Response {
    match template.render() {
        Ok(html) => {
            let mut response = (status, Html(html)).into_response();
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(e) => {
            tracing::error!(error = %e, "a console page did not render");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

fn message(
    status: StatusCode,
    operator: Option<&Operator>,
    csrf: &str,
    heading: &str,
    text: &str,
) -> Response {
    page(
        status,
        &pages::Message {
            nav: pages::Nav::new(operator, csrf),
            heading: heading.to_owned(),
            text: text.to_owned(),
        },
    )
}

/// A signed-in operator's request: who, their session, and from where.
pub struct Signed {
    pub operator: Operator,
    pub csrf: String,
    pub token: String,
    pub from: Option<String>,
}

impl std::fmt::Debug for Signed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signed")
            .field("operator", &self.operator)
            .field("from", &self.from)
            .finish_non_exhaustive()
    }
}

impl Signed {
    fn actor(&self) -> AuditActor<'_> {
        AuditActor::Operator {
            operator: &self.operator,
            from: self.from.as_deref(),
        }
    }

    fn nav(&self) -> pages::Nav {
        pages::Nav::new(Some(&self.operator), &self.csrf)
    }

    /// The refusal of a form whose token is not this session's (it came from elsewhere, or
    /// is old); `None` when it is.
    fn csrf_refusal(&self, sent: Option<&str>) -> Option<Response> {
        if sent.is_some_and(|sent| same(sent, &self.csrf)) {
            return None;
        }
        Some(message(
            StatusCode::FORBIDDEN,
            Some(&self.operator),
            &self.csrf,
            "This form has expired",
            "Nothing was changed. Reload the page and try again.",
        ))
    }

    fn refuse(&self) -> Response {
        message(
            StatusCode::FORBIDDEN,
            Some(&self.operator),
            &self.csrf,
            "Not allowed",
            &format!(
                "Your role ({}) does not allow this. Nothing was changed.",
                self.operator.role.as_str()
            ),
        )
    }
}

impl FromRequestParts<AppState> for Signed {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let to_sign_in = || Redirect::to("/console/sign-in").into_response();
        let Some(token) = cookie(&parts.headers, cookie_name(state)) else {
            return Err(to_sign_in());
        };
        match state.console_session(&token).await {
            Ok(Some((operator, session))) => Ok(Signed {
                operator,
                csrf: session.csrf,
                token,
                from: parts
                    .extensions
                    .get::<ClientAddress>()
                    .map(|ClientAddress(ip)| ip.to_string()),
            }),
            Ok(None) => Err(to_sign_in()),
            Err(e) => Err(failure(e)),
        }
    }
}

/// The partners `signed` may see, `(id, name)` by name; a failure page otherwise.
async fn partner_names(
    state: &AppState,
    signed: &Signed,
) -> Result<Vec<(String, String)>, Response> {
    state
        .partners_as(signed.actor())
        .await
        .map(|partners| {
            partners
                .into_iter()
                .map(|p| (p.id.to_string(), p.name))
                .collect()
        })
        .map_err(failure)
}

fn failure(e: ServiceError) -> Response {
    tracing::error!(error = %e, "console request failed");
    message(
        StatusCode::INTERNAL_SERVER_ERROR,
        None,
        "",
        "Something went wrong",
        "The request could not be completed. Try again in a moment.",
    )
}

#[derive(Deserialize)]
struct DashboardQuery {
    days: Option<i64>,
}

/// `GET /console`: the dashboard (operators limited to some partners start at the queue).
async fn home(
    State(state): State<AppState>,
    signed: Result<Signed, Response>,
    Query(query): Query<DashboardQuery>,
) -> Response {
    let signed = match signed {
        Ok(signed) => signed,
        Err(to_sign_in) => return to_sign_in,
    };
    let days = query.days.unwrap_or(7).clamp(1, 90);
    let since = chrono::Utc::now() - chrono::Duration::days(days);
    let dashboard = match state.dashboard_as(signed.actor(), since).await {
        Ok(d) => d,
        Err(ServiceError::Forbidden(_)) => {
            return Redirect::to("/console/return-urls").into_response();
        }
        Err(e) => return failure(e),
    };
    let share = |part: u64, whole: u64| match (part * 100).checked_div(whole) {
        Some(percent) => format!("{part} ({percent}%)"),
        None => part.to_string(),
    };
    page(
        StatusCode::OK,
        &pages::Dashboard {
            nav: signed.nav(),
            days,
            total: dashboard.providers.iter().map(|f| f.created).sum(),
            funnels: dashboard
                .providers
                .iter()
                .map(|f| pages::FunnelRow {
                    provider: f.provider_id.clone(),
                    created: f.created,
                    started: share(f.started, f.created),
                    decided: share(f.decided, f.created),
                    approved: share(f.approved, f.created),
                    by_status: f
                        .by_status
                        .iter()
                        .map(|(status, n)| format!("{} {n}", status.as_str()))
                        .collect::<Vec<_>>()
                        .join(", "),
                })
                .collect(),
            busiest: dashboard
                .days
                .iter()
                .map(|d| d.created)
                .max()
                .unwrap_or_default()
                .max(1),
            by_day: dashboard
                .days
                .iter()
                .rev()
                .map(|d| pages::DayRow {
                    day: d.day.format("%a %Y-%m-%d").to_string(),
                    created: d.created,
                    decided: d.decided,
                    approved: d.approved,
                    by_provider: d
                        .by_provider
                        .iter()
                        .map(|(provider, n)| format!("{provider} {n}"))
                        .collect::<Vec<_>>()
                        .join(", "),
                })
                .collect(),
            endpoints: dashboard.endpoints,
            endpoints_failing: dashboard.endpoints_failing,
            endpoints_disabled: dashboard.endpoints_disabled,
        },
    )
}

async fn sign_in_page(State(state): State<AppState>) -> Response {
    sign_in_form(&state, StatusCode::OK, None)
}

fn sign_in_form(state: &AppState, status: StatusCode, problem: Option<String>) -> Response {
    let Ok(pre) = idgate_hub::random::random_token(18) else {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    };
    let mut response = page(
        status,
        &pages::SignInPage {
            nav: pages::Nav::new(None, ""),
            pre: pre.clone(),
            problem,
            sso: state.console_sso().map(|sso| sso.label.clone()),
        },
    );
    set_cookie(
        state,
        &mut response,
        pre_cookie_name(state),
        &pre,
        Some(3600),
    );
    response
}

/// Whether a sign-in form's token is the one its cookie holds (double submit).
fn pre_token_ok(state: &AppState, headers: &HeaderMap, sent: Option<&str>) -> bool {
    cookie(headers, pre_cookie_name(state))
        .zip(sent)
        .is_some_and(|(cookie, sent)| same(&cookie, sent))
}

#[derive(Deserialize)]
struct SignInForm {
    username: Option<String>,
    password: Option<String>,
    code: Option<String>,
    pre: Option<String>,
}

async fn sign_in(
    State(state): State<AppState>,
    headers: HeaderMap,
    client: Option<axum::Extension<ClientAddress>>,
    form: Result<Form<SignInForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return sign_in_form(
            &state,
            StatusCode::BAD_REQUEST,
            Some("Fill in every field.".into()),
        );
    };
    if !pre_token_ok(&state, &headers, form.pre.as_deref()) {
        return sign_in_form(
            &state,
            StatusCode::FORBIDDEN,
            Some("This form has expired. Try again.".into()),
        );
    }
    let from = client.map(|axum::Extension(ClientAddress(ip))| ip.to_string());
    let answer = state
        .sign_in(
            form.username.as_deref().unwrap_or_default(),
            form.password.as_deref().unwrap_or_default(),
            form.code.as_deref().unwrap_or_default(),
            from.as_deref(),
        )
        .await;
    match answer {
        Ok(SignIn::Signed { token, .. }) => {
            let mut response = Redirect::to("/console").into_response();
            set_cookie(&state, &mut response, cookie_name(&state), &token, None);
            response
        }
        Ok(SignIn::Refused) => sign_in_form(
            &state,
            StatusCode::UNAUTHORIZED,
            Some("The name, password or code is wrong.".into()),
        ),
        Ok(SignIn::Locked { until }) => sign_in_form(
            &state,
            StatusCode::TOO_MANY_REQUESTS,
            Some(format!(
                "Too many failed attempts: this account takes no sign-in until {} UTC.",
                until.format("%H:%M")
            )),
        ),
        Err(e) => failure(e),
    }
}

#[derive(Deserialize)]
pub(crate) struct CsrfForm {
    csrf: Option<String>,
}

async fn sign_out(
    State(state): State<AppState>,
    signed: Signed,
    Form(form): Form<CsrfForm>,
) -> Response {
    if let Some(refused) = signed.csrf_refusal(form.csrf.as_deref()) {
        return refused;
    }
    if let Err(e) = state
        .sign_out(&signed.token, &signed.operator, signed.from.as_deref())
        .await
    {
        return failure(e);
    }
    let mut response = Redirect::to("/console/sign-in").into_response();
    set_cookie(&state, &mut response, cookie_name(&state), "", Some(0));
    response
}

#[derive(Deserialize)]
struct TestQuery {
    partner: Option<String>,
    url: Option<String>,
}

async fn return_urls(
    State(state): State<AppState>,
    signed: Signed,
    Query(test): Query<TestQuery>,
) -> Response {
    if !signed.operator.may(OperatorAction::View, None) {
        return signed.refuse();
    }
    let partners = match state.partners_as(signed.actor()).await {
        Ok(p) => p,
        Err(e) => return failure(e),
    };
    let names: HashMap<_, _> = partners.iter().map(|p| (p.id, p.name.clone())).collect();
    let rules = match state.return_urls_as(signed.actor(), None).await {
        Ok(r) => r,
        Err(e) => return failure(e),
    };
    let row = |r: &idgate_core::ReturnUrlRule| {
        let review = idgate_core::review_host(&r.requested_url);
        pages::RuleRow {
            id: r.id.to_string(),
            partner: names.get(&r.partner_id).cloned().unwrap_or_default(),
            url: r.requested_url.clone(),
            ascii_host: review
                .as_ref()
                .map_or_else(|| r.normalized_host.clone(), |h| h.ascii.clone()),
            internationalised: review.as_ref().is_some_and(|h| h.internationalised),
            mixed_script: review.as_ref().is_some_and(|h| h.mixed_script),
            status: r.status.as_str().to_owned(),
            requested_at: r.requested_at.format("%Y-%m-%d %H:%M").to_string(),
            may_decide: signed
                .operator
                .may(OperatorAction::DecideReturnUrl, Some(r.partner_id)),
        }
    };
    let mut waiting: Vec<&idgate_core::ReturnUrlRule> = rules
        .iter()
        .filter(|r| r.status == ReturnUrlStatus::Pending)
        .collect();
    waiting.sort_by_key(|r| r.requested_at);
    let pending: Vec<pages::RuleRow> = waiting.into_iter().map(row).collect();
    let mut decided: Vec<(chrono::DateTime<chrono::Utc>, pages::RuleRow)> = rules
        .iter()
        .filter(|r| r.status != ReturnUrlStatus::Pending)
        .map(|r| (r.decided_at.unwrap_or(r.requested_at), row(r)))
        .collect();
    decided.sort_by_key(|d| std::cmp::Reverse(d.0));
    let tested = match (test.partner.as_deref(), test.url.as_deref()) {
        (Some(partner), Some(url)) if !url.trim().is_empty() => {
            Some(dry_run(&state, &signed, partner, url.trim()).await)
        }
        _ => None,
    };
    page(
        StatusCode::OK,
        &pages::ReturnUrls {
            nav: signed.nav(),
            csrf: signed.csrf.clone(),
            pending,
            decided: decided.into_iter().take(50).map(|(_, r)| r).collect(),
            partners: partners
                .iter()
                .map(|p| {
                    (
                        p.id.to_string(),
                        p.name.clone(),
                        test.partner.as_deref() == Some(p.id.to_string().as_str()),
                    )
                })
                .collect(),
            test_url: test.url.unwrap_or_default(),
            tested,
        },
    )
}

/// Which approved rule covers `url` for the partner, or why none does.
async fn dry_run(state: &AppState, signed: &Signed, partner: &str, url: &str) -> pages::Tested {
    let Ok(partner) = partner.parse() else {
        return pages::Tested::no("Pick a partner.");
    };
    if !signed.operator.may(OperatorAction::View, Some(partner)) {
        return pages::Tested::no("Your role does not cover this partner.");
    }
    let rules = match state
        .operator()
        .store()
        .list_return_url_rules(idgate_store::ReturnUrlFilter {
            partner_id: Some(partner),
            status: Some(ReturnUrlStatus::Approved),
        })
        .await
    {
        Ok(r) => r,
        Err(e) => return pages::Tested::no(&format!("The rules could not be read: {e}")),
    };
    match return_url::match_return_url(url, &rules, state.settings().url_policy()) {
        Ok(Some((rule, normalized))) => pages::Tested {
            allowed: true,
            text: format!(
                "Allowed: {} is covered by the approved rule {} (registered as {}).",
                normalized.to_url_string(),
                rule.id,
                rule.requested_url
            ),
        },
        Ok(None) => pages::Tested::no(
            "Refused: no approved rule of this partner covers it (same scheme, host and port, and the rule's path or a longer one by whole segments).",
        ),
        Err(e) => pages::Tested::no(&format!("Refused: {e}.")),
    }
}

async fn decide_return_url(
    State(state): State<AppState>,
    signed: Signed,
    Path((id, decision)): Path<(String, String)>,
    Form(form): Form<CsrfForm>,
) -> Response {
    if let Some(refused) = signed.csrf_refusal(form.csrf.as_deref()) {
        return refused;
    }
    let status = match decision.as_str() {
        "approve" => ReturnUrlStatus::Approved,
        "reject" => ReturnUrlStatus::Rejected,
        _ => {
            return message(
                StatusCode::NOT_FOUND,
                Some(&signed.operator),
                &signed.csrf,
                "Not found",
                "There is no such action.",
            );
        }
    };
    let Ok(id) = id.parse() else {
        return message(
            StatusCode::NOT_FOUND,
            Some(&signed.operator),
            &signed.csrf,
            "Not found",
            "There is no such return URL.",
        );
    };
    match state.decide_return_url_as(signed.actor(), id, status).await {
        Ok(_) => Redirect::to("/console/return-urls").into_response(),
        Err(ServiceError::Forbidden(_)) => signed.refuse(),
        Err(ServiceError::NotFound(_)) => message(
            StatusCode::NOT_FOUND,
            Some(&signed.operator),
            &signed.csrf,
            "Not found",
            "There is no such return URL.",
        ),
        Err(e) => failure(e),
    }
}

async fn audit(State(state): State<AppState>, signed: Signed) -> Response {
    if !signed.operator.may(OperatorAction::ManageOperators, None) {
        return signed.refuse();
    }
    match state.audit_log(200, None).await {
        Ok(entries) => page(
            StatusCode::OK,
            &pages::Audit {
                nav: signed.nav(),
                entries: entries
                    .into_iter()
                    .map(|e| pages::AuditRow {
                        at: e.at.format("%Y-%m-%d %H:%M:%S").to_string(),
                        actor: e.actor,
                        action: e.action,
                        target: e.target,
                        from: e.from.unwrap_or_default(),
                        details: if e.details == serde_json::json!({}) {
                            String::new()
                        } else {
                            e.details.to_string()
                        },
                    })
                    .collect(),
            },
        ),
        Err(e) => failure(e),
    }
}

/// The whole trail as JSON Lines, oldest line last, for keeping elsewhere. The export itself
/// is audited.
async fn audit_export(State(state): State<AppState>, signed: Signed) -> Response {
    if !signed.operator.may(OperatorAction::ManageOperators, None) {
        return signed.refuse();
    }
    if let Err(e) = state
        .audit(
            signed.actor(),
            "audit.export",
            "audit",
            serde_json::json!({}),
        )
        .await
    {
        return failure(e);
    }
    let mut lines = String::new();
    let mut before = None;
    loop {
        let page = match state.audit_log(1000, before).await {
            Ok(page) => page,
            Err(e) => return failure(e),
        };
        for entry in &page {
            lines.push_str(&serde_json::to_string(entry).unwrap_or_default());
            lines.push('\n');
        }
        match page.last() {
            Some(last) if page.len() == 1000 => before = Some(last.at),
            _ => break,
        }
    }
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/x-ndjson"),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_static("attachment; filename=\"idgate-audit.jsonl\""),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        lines,
    )
        .into_response()
}
