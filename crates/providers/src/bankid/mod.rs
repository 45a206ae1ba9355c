//! The Swedish BankID adapter: BankID's RP API v6 over mutual TLS.
//!
//! On start it orders an authentication (`POST {base_url}/auth` with the person's IP address
//! and the configured requirements) and keeps the order sealed in the session's provider state:
//! `orderRef`, the QR start token and secret (which never reach the browser) and when the order
//! was made. The hosted page shows the animated QR code, recomputed on the server each second
//! ([`qr`]), and its progress requests drive [`Provider::collect`] (`POST /collect`): pending
//! while the user is at it, then the completion data (personal number and names as claims,
//! the signature and OCSP response sealed as evidence) or the failure's hint code as the
//! reason. A cancelled session cancels its order (`POST /cancel`).

pub mod launch;
pub mod messages;
pub mod qr;
pub mod wire;

use crate::http::{ClientTls, HttpClients};
use crate::{
    Collected, Decision, EndUserDevice, FlowType, Provider, ProviderError, ProviderInfo,
    ProviderOutcome, Returned, SessionContext, StartAction, StartRequest, Started, UrlGuard,
};
use async_trait::async_trait;
use aws_lc_rs::digest;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use idgate_core::{ProviderEvidence, ProviderState};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use wire::{ErrorBody, OrderRef, OrderRequest, OrderStarted, Requirement, WebContext};

/// Largest answer read from BankID.
const MAX_BODY: usize = 256 * 1024;
/// BankID's test environment, for a table that names none.
pub const TEST_BASE_URL: &str = "https://appapi2.test.bankid.com/rp/v6.0";

/// `[providers.<id>]` with `adapter = "bankid"`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BankIdConfig {
    /// `false` removes the provider (default true).
    #[serde(default)]
    pub enabled: Option<bool>,
    /// BankID's test environment or idgate's simulator: bannered as a sandbox.
    #[serde(default)]
    pub sandbox: Option<bool>,
    #[serde(default)]
    pub label: Option<String>,
    /// Countries served (default `["SE"]`).
    #[serde(default)]
    pub countries: Option<Vec<String>>,
    /// The level of assurance a completed order stands for (1-5, default 3: substantial).
    #[serde(default)]
    pub max_loa: Option<u8>,
    /// The RP API, `/rp/v6.0` included: `https://appapi2.bankid.com/rp/v6.0` in production,
    /// `https://appapi2.test.bankid.com/rp/v6.0` (the default) for BankID's test environment.
    #[serde(default)]
    pub base_url: Option<String>,
    /// The RP certificate and key, and BankID's server CA (required: BankID authenticates
    /// relying parties by their certificate, and its server certificate chains to its own CA).
    #[serde(default)]
    pub tls: Option<ClientTls>,
    /// Ask for the PIN even where the user would use biometrics.
    #[serde(default)]
    pub pin_code: Option<bool>,
    /// Ask for a passport or ID card check in the app (BankID's `mrtd`).
    #[serde(default)]
    pub mrtd: Option<bool>,
    /// Which BankIDs may be used (certificate policy OIDs), when not all.
    #[serde(default)]
    pub certificate_policies: Option<Vec<String>>,
    /// Ask BankID for its risk assessment (`returnRisk`); the level lands in the evidence.
    #[serde(default)]
    pub return_risk: Option<bool>,
    /// RP-initiated phone orders (`/phone/auth`, `/phone/sign`): the partner is on the phone
    /// with the person and has their personal number (the identifier); the BankID app asks
    /// them to confirm the call, then to identify. A push flow; no QR code.
    #[serde(default)]
    pub phone: Option<bool>,
    /// The least time between two collects of one order, in milliseconds (default 2000, as
    /// BankID asks; the hosted page polls every second and is answered from the last collect).
    #[serde(default)]
    pub collect_interval_ms: Option<u64>,
    /// Where the same-device link opens the BankID app (default BankID's own: its universal
    /// link `https://app.bankid.com/` on phones, `bankid:///` on computers; the simulator
    /// sets its simulated app).
    #[serde(default)]
    pub app_url: Option<String>,
}

impl BankIdConfig {
    /// Checks the table (errors name the key) and builds the adapter.
    pub fn build(
        &self,
        id: &str,
        clients: &dyn HttpClients,
    ) -> Result<BankIdProvider, ProviderError> {
        crate::check_loa(id, self.max_loa)?;
        let phone = self.phone.unwrap_or(false);
        let base_url = self.base_url.as_deref().unwrap_or(TEST_BASE_URL);
        let base = url::Url::parse(base_url.trim_end_matches('/')).map_err(|e| {
            ProviderError::Config(format!("providers.{id}.base_url is not a URL: {e}"))
        })?;
        if base.scheme() != "https" {
            return Err(ProviderError::Config(format!(
                "providers.{id}.base_url must be https (BankID is mutual TLS)"
            )));
        }
        let tls = self.tls.as_ref().ok_or_else(|| {
            ProviderError::Config(format!(
                "providers.{id}.tls is required: the RP certificate (certificate, key) and BankID's CA (ca)"
            ))
        })?;
        if tls.ca.is_none() {
            return Err(ProviderError::Config(format!(
                "providers.{id}.tls.ca is required: BankID's server certificate chains to BankID's own CA, not to a public one"
            )));
        }
        Ok(BankIdProvider {
            info: ProviderInfo {
                id: id.to_owned(),
                label: self.label.clone().unwrap_or_else(|| "BankID".to_owned()),
                flow_type: if phone { FlowType::Push } else { FlowType::Qr },
                max_loa: self.max_loa.unwrap_or(3),
                claims: [
                    "personal_identity_number",
                    "name",
                    "given_name",
                    "family_name",
                ]
                .map(str::to_owned)
                .to_vec(),
                match_capable: false,
                sandbox: self.sandbox.unwrap_or(false),
                user_data: {
                    let mut fields = vec![
                        crate::InputField::new(
                            SIGN_TEXT,
                            false,
                            "idgate: a text the person reads and signs in the BankID app (BankID's simpleMarkdownV1); without it the person only identifies",
                            "I accept the terms of 7 December 2026.",
                        )
                        .up_to(MAX_SIGN_TEXT),
                        crate::InputField::new(
                            SIGN_HIDDEN_DATA,
                            false,
                            "idgate: data signed with signText that the person does not see (BankID's userNonVisibleData), e.g. a digest of the document",
                            "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
                        )
                        .up_to(MAX_SIGN_HIDDEN_DATA),
                    ];
                    fields.push(crate::InputField::new(
                        REGISTRATION_ID,
                        false,
                        if phone {
                            "The Swedish personal number (12 digits) of the person on the phone; without it the hosted page asks for it"
                        } else {
                            "Only the person with this Swedish personal number (12 digits) may identify (BankID's requirement.personalNumber); without it anyone may"
                        },
                        "198503142389",
                    ));
                    fields
                },
                match_fields: Vec::new(),
            },
            base: base.as_str().trim_end_matches('/').to_owned(),
            client: clients.with_tls(tls)?,
            guard: clients.guard(),
            requirement: Requirement {
                pin_code: self.pin_code.filter(|on| *on),
                mrtd: self.mrtd.filter(|on| *on),
                certificate_policies: self.certificate_policies.clone().filter(|p| !p.is_empty()),
                personal_number: None,
            },
            return_risk: self.return_risk.unwrap_or(false),
            phone,
            recent: RecentCollects::every(std::time::Duration::from_millis(
                self.collect_interval_ms.unwrap_or(COLLECT_INTERVAL_MS),
            )),
            app_url: self.app_url.clone(),
        })
    }
}

/// BankID asks relying parties to collect an order every two seconds, but the hosted page asks
/// every second (its QR code changes that often): a pending answer younger than the interval
/// is reused instead of asking BankID again.
const COLLECT_INTERVAL_MS: u64 = 2000;

/// One order's latest pending answer: when, and its hint code.
type Answered = (std::time::Instant, Option<String>);

/// The latest pending answer per order, on this node.
#[derive(Debug, Default)]
struct RecentCollects {
    interval: std::time::Duration,
    answers: std::sync::Mutex<std::collections::HashMap<String, Answered>>,
}

impl RecentCollects {
    fn every(interval: std::time::Duration) -> Self {
        RecentCollects {
            interval,
            answers: std::sync::Mutex::default(),
        }
    }

    /// The hint of a pending answer for `order` younger than the interval at `now`.
    fn fresh(&self, order: &str, now: std::time::Instant) -> Option<Option<String>> {
        let recent = self.answers.lock().ok()?;
        let (at, hint) = recent.get(order)?;
        (now.saturating_duration_since(*at) < self.interval).then(|| hint.clone())
    }

    fn pending(&self, order: &str, hint: Option<String>, now: std::time::Instant) {
        if self.interval.is_zero() {
            return;
        }
        if let Ok(mut recent) = self.answers.lock() {
            // Orders nobody asks about any more go (a minute is long past any interval).
            recent.retain(|_, (at, _)| {
                now.saturating_duration_since(*at) < std::time::Duration::from_secs(60)
            });
            recent.insert(order.to_owned(), (now, hint));
        }
    }

    fn forget(&self, order: &str) {
        if let Ok(mut recent) = self.answers.lock() {
            recent.remove(order);
        }
    }
}

/// One BankID relying party.
pub struct BankIdProvider {
    info: ProviderInfo,
    /// `…/rp/v6.0`, no trailing slash.
    base: String,
    client: reqwest::Client,
    guard: UrlGuard,
    requirement: Requirement,
    return_risk: bool,
    phone: bool,
    /// The configured app (the simulator's), instead of BankID's own per platform.
    app_url: Option<String>,
    recent: RecentCollects,
}

impl std::fmt::Debug for BankIdProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BankIdProvider")
            .field("id", &self.info.id)
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

/// Why BankID refused a call: its `errorCode` (`alreadyInProgress`, `invalidParameters`…).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refused {
    pub status: u16,
    pub error_code: String,
}

/// The `userData` field with a text to sign: the order is then a signature (`/sign`).
pub const SIGN_TEXT: &str = "signText";
/// The `userData` field with the person's personal number: the phone order's person, or the
/// only person who may finish a QR order.
const REGISTRATION_ID: &str = "registrationId";
/// The `userData` field with data signed along with the text, unseen (`userNonVisibleData`).
pub const SIGN_HIDDEN_DATA: &str = "signHiddenData";
/// BankID takes `userVisibleData` of up to 40 000 characters once base64-encoded: 30 000
/// bytes of UTF-8. Longer texts are refused when the session is created, not by BankID.
const MAX_VISIBLE_BYTES: usize = 30_000;
const MAX_SIGN_TEXT: usize = MAX_VISIBLE_BYTES;
/// `userNonVisibleData`: 200 000 characters once encoded, 150 000 bytes.
const MAX_HIDDEN_BYTES: usize = 150_000;
const MAX_SIGN_HIDDEN_DATA: usize = MAX_HIDDEN_BYTES;

/// Where an order is kept in the provider state.
const ORDER_REF: &str = "order_ref";
const QR_TOKEN: &str = "qr_start_token";
const QR_SECRET: &str = "qr_start_secret";
const ORDERED_AT: &str = "ordered_at";
const AUTO_START: &str = "auto_start_token";
/// The address of the person's browser the first order was made for (a silent renewal, which
/// may come from a partner's status poll, orders for the same one).
const END_USER_IP: &str = "end_user_ip";
/// The `returnUrl` the order carries (iOS), kept for a renewal and for the autostart link.
const RETURN_URL: &str = "return_url";
/// The text a signature order asked the person to sign.
const SIGNED: &str = "signed_text";
/// The digest of the data signed unseen along with it.
const SIGNED_HIDDEN: &str = "signed_hidden_digest";
/// How many times in a row an unscanned order was silently replaced.
const RESTARTS: &str = "restarts";
/// New orders after an unscanned one lapsed (`startFailed`), before the session expires:
/// about three minutes of codes in all, BankID's own order lifetime.
const MAX_RESTARTS: i64 = 5;

impl BankIdProvider {
    /// One `POST {base}{path}` with a JSON body: the answer's JSON on 200, BankID's error
    /// code otherwise.
    async fn call<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        body: &impl Serialize,
    ) -> Result<Result<T, Refused>, ProviderError> {
        let url = url::Url::parse(&format!("{}{path}", self.base))
            .map_err(|e| ProviderError::Config(format!("BankID URL: {e}")))?;
        (self.guard)(&url).map_err(ProviderError::Config)?;
        let response = self
            .client
            .post(url)
            .json(body)
            .send()
            .await
            .map_err(|e| {
                tracing::warn!(provider = %self.info.id, error = %e.without_url(), "BankID could not be reached");
                ProviderError::Unavailable
            })?;
        let status = response.status();
        let bytes = crate::http::read_capped(response, MAX_BODY, "BankID").await?;
        if status.is_success() {
            return serde_json::from_slice(&bytes).map(Ok).map_err(|e| {
                ProviderError::InvalidCallback(format!("BankID's answer is not as documented: {e}"))
            });
        }
        // An unknown or unreadable error is still an error (BankID: handle unknown codes).
        let error_code = serde_json::from_slice::<ErrorBody>(&bytes)
            .map(|e| e.error_code)
            .unwrap_or_else(|_| "unknown".to_owned());
        Ok(Err(Refused {
            status: status.as_u16(),
            error_code,
        }))
    }

    /// Orders an authentication, or a signature when the partner sent a text to sign.
    async fn order(&self, request: &StartRequest<'_>) -> Result<ProviderState, ProviderError> {
        let sign_text = request
            .applicant
            .and_then(|a| a.provider_fields.get(SIGN_TEXT))
            .filter(|text| !text.trim().is_empty());
        if self.phone {
            return self.phone_order(request, sign_text).await;
        }
        let device = request.device;
        let end_user_ip = device
            .and_then(|d| d.ip)
            .map(|ip| ip.to_string())
            .or_else(|| kept(request.provider_state, END_USER_IP).map(str::to_owned))
            .unwrap_or_else(|| "127.0.0.1".to_owned());
        // Where the app sends the person back: decided by the browser that starts the order
        // (a renewal without one keeps the first order's).
        let return_url = match device {
            Some(d) => d.page.as_deref().and_then(|page| {
                launch::return_url(launch::Platform::of(d.user_agent.as_deref()), page)
            }),
            None => kept(request.provider_state, RETURN_URL).map(str::to_owned),
        };
        let body = OrderRequest {
            user_visible_data: sign_text.map(|text| STANDARD.encode(text)),
            user_visible_data_format: sign_text.map(|_| "simpleMarkdownV1".to_owned()),
            user_non_visible_data: sign_text
                .and(hidden_data(request))
                .map(|data| STANDARD.encode(data)),
            end_user_ip: end_user_ip.clone(),
            requirement: self.requirement_for(request),
            return_risk: self.return_risk.then_some(true),
            return_url: return_url.clone(),
            web: device.and_then(|d| web_context(d, request.public_url)),
        };
        let path = if sign_text.is_some() {
            "/sign"
        } else {
            "/auth"
        };
        let started: OrderStarted = match self.call(path, &body).await? {
            Ok(started) => started,
            Err(refused) => {
                tracing::warn!(provider = %self.info.id, status = refused.status, code = %refused.error_code, "BankID refused the order");
                return Err(refuse_order(&refused));
            }
        };
        let mut state = ProviderState::default();
        for (key, value) in [
            (ORDER_REF, started.order_ref),
            (QR_TOKEN, started.qr_start_token),
            (QR_SECRET, started.qr_start_secret),
            (AUTO_START, started.auto_start_token),
            (END_USER_IP, end_user_ip),
        ] {
            state.0.insert(key.into(), value.into());
        }
        if let Some(url) = return_url {
            state.0.insert(RETURN_URL.into(), url.into());
        }
        state
            .0
            .insert(ORDERED_AT.into(), chrono::Utc::now().timestamp().into());
        if let Some(text) = sign_text {
            state.0.insert(SIGNED.into(), text.clone().into());
        }
        if let Some(data) = sign_text.and(hidden_data(request)) {
            state
                .0
                .insert(SIGNED_HIDDEN.into(), fingerprint(data.as_bytes()).into());
        }
        Ok(state)
    }
}

impl BankIdProvider {
    /// The configured requirement, and the only person who may finish the order when the
    /// partner named one.
    fn requirement_for(&self, request: &StartRequest<'_>) -> Option<Requirement> {
        let requirement = Requirement {
            personal_number: request
                .applicant
                .and_then(|a| a.provider_fields.get(REGISTRATION_ID))
                .and_then(|number| personal_number(number)),
            ..self.requirement.clone()
        };
        (requirement != Requirement::default()).then_some(requirement)
    }

    /// A phone order for the person whose personal number the partner has.
    async fn phone_order(
        &self,
        request: &StartRequest<'_>,
        sign_text: Option<&String>,
    ) -> Result<ProviderState, ProviderError> {
        let personal_number = request.identifier.ok_or_else(|| {
            ProviderError::InvalidCallback(
                "a phone order needs the person's personal number".into(),
            )
        })?;
        let body = wire::PhoneOrderRequest {
            personal_number: personal_number.to_owned(),
            call_initiator: "RP".into(),
            requirement: (self.requirement != Requirement::default())
                .then(|| self.requirement.clone()),
            user_visible_data: sign_text.map(|text| STANDARD.encode(text)),
            user_visible_data_format: sign_text.map(|_| "simpleMarkdownV1".to_owned()),
            user_non_visible_data: sign_text
                .and(hidden_data(request))
                .map(|data| STANDARD.encode(data)),
        };
        let path = if sign_text.is_some() {
            "/phone/sign"
        } else {
            "/phone/auth"
        };
        let started: wire::PhoneOrderStarted = match self.call(path, &body).await? {
            Ok(started) => started,
            Err(refused) => {
                tracing::warn!(provider = %self.info.id, status = refused.status, code = %refused.error_code, "BankID refused the phone order");
                return Err(refuse_order(&refused));
            }
        };
        let mut state = ProviderState::default();
        state.0.insert(ORDER_REF.into(), started.order_ref.into());
        state
            .0
            .insert(ORDERED_AT.into(), chrono::Utc::now().timestamp().into());
        if let Some(text) = sign_text {
            state.0.insert(SIGNED.into(), text.clone().into());
        }
        if let Some(data) = sign_text.and(hidden_data(request)) {
            state
                .0
                .insert(SIGNED_HIDDEN.into(), fingerprint(data.as_bytes()).into());
        }
        Ok(state)
    }
}

/// A Swedish personal number in BankID's form, 12 digits (`YYYYMMDD-NNNN` and spaces are
/// accepted).
fn personal_number(typed: &str) -> Option<String> {
    let digits: String = typed
        .chars()
        .filter(|c| !matches!(c, '-' | '+' | ' '))
        .collect();
    (digits.len() == 12 && digits.bytes().all(|b| b.is_ascii_digit())).then_some(digits)
}

/// The partner's data to sign unseen along with the text, if any.
fn hidden_data<'a>(request: &StartRequest<'a>) -> Option<&'a String> {
    request
        .applicant
        .and_then(|a| a.provider_fields.get(SIGN_HIDDEN_DATA))
        .filter(|data| !data.is_empty())
}

/// BankID's web device context for its risk assessment: the browser's user agent, a stable
/// identifier of the browser (a digest, never the cookie), and the site the person is on.
fn web_context(device: &EndUserDevice, public_url: &str) -> Option<WebContext> {
    let context = WebContext {
        device_identifier: device.device_id.clone(),
        referring_domain: url::Url::parse(public_url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned)),
        // BankID takes up to 256 characters of it.
        user_agent: device
            .user_agent
            .as_deref()
            .map(|ua| ua.chars().take(256).collect()),
    };
    (context.device_identifier.is_some() || context.user_agent.is_some()).then_some(context)
}

/// What a refused order means for the person.
fn refuse_order(refused: &Refused) -> ProviderError {
    match refused.error_code.as_str() {
        // BankID aborts both orders: the person can try again at once.
        "alreadyInProgress" => ProviderError::StartRefused(refused.error_code.clone()),
        "maintenance" | "internalError" | "requestTimeout" | "tooManyRequests" => {
            ProviderError::Unavailable
        }
        _ => ProviderError::Config(format!("BankID refused the order ({})", refused.error_code)),
    }
}

fn kept<'a>(state: Option<&'a ProviderState>, key: &str) -> Option<&'a str> {
    state?.0.get(key)?.as_str()
}

/// What a failed order's hint code means for the session.
fn failure(hint: Option<&str>) -> (Decision, &'static str) {
    match hint {
        Some("userCancel") => (Decision::Cancelled, "user_cancelled"),
        Some("expiredTransaction") => (Decision::Expired, "session_expired"),
        Some("certificateErr") => (Decision::Declined, "certificate_error"),
        Some("startFailed") => (Decision::Expired, "start_failed"),
        Some("cancelled") => (Decision::Cancelled, "order_cancelled"),
        Some("userDeclinedCall") => (Decision::Cancelled, "user_cancelled"),
        Some("transactionRiskBlocked") => (Decision::Declined, "risk_blocked"),
        Some("notSupportedByUserApp") => (Decision::Failed, "app_not_supported"),
        _ => (Decision::Failed, "provider_error"),
    }
}

/// A keyed-free fingerprint of evidence bytes, for logs and summaries: `sha256:` + base64url.
fn fingerprint(bytes: &[u8]) -> String {
    let sha = digest::digest(&digest::SHA256, bytes);
    format!("sha256:{}", URL_SAFE_NO_PAD.encode(sha.as_ref()))
}

/// The outcome of a completed order.
fn completed(
    info: &ProviderInfo,
    collected: wire::Collected,
    state: Option<&ProviderState>,
) -> Result<ProviderOutcome, ProviderError> {
    let signed_text = kept(state, SIGNED);
    let data = collected.completion_data.ok_or_else(|| {
        ProviderError::InvalidCallback("a complete order without completionData".into())
    })?;
    let user = &data.user;
    if user.personal_number.len() != 12 || !user.personal_number.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(ProviderError::InvalidCallback(
            "the personal number is not 12 digits".into(),
        ));
    }
    let mut claims = Map::new();
    claims.insert(
        "personal_identity_number".into(),
        user.personal_number.clone().into(),
    );
    claims.insert("name".into(), user.name.clone().into());
    claims.insert("given_name".into(), user.given_name.clone().into());
    claims.insert("family_name".into(), user.surname.clone().into());
    let signature = STANDARD
        .decode(&data.signature)
        .map_err(|_| ProviderError::InvalidCallback("the signature is not base64".into()))?;
    let mut amr = vec!["bankid".to_owned()];
    if data.step_up.as_ref().is_some_and(|s| s.mrtd) {
        amr.push("mrtd".to_owned());
    }
    Ok(ProviderOutcome {
        decision: Decision::Approved,
        reason: None,
        raw_status: Some("complete".into()),
        achieved_loa: Some(info.max_loa),
        claims: Some(claims),
        match_result: None,
        evidence: Some(ProviderEvidence {
            subject: Some(user.personal_number.clone()),
            acr: None,
            amr,
            evidence: json!({
                // A signature order's proof is the person's signature of the text.
                "format": if signed_text.is_some() { "bankid-signature" } else { "bankid-completion" },
                "signed_text": signed_text,
                "signed_hidden_data_digest": kept(state, SIGNED_HIDDEN),
                "issuer": "BankID",
                "level_of_assurance": info.max_loa,
                "order_ref": collected.order_ref,
                "signature_digest": fingerprint(&signature),
                "signature": data.signature,
                "ocsp_response": data.ocsp_response,
                "bank_id_issue_date": data.bank_id_issue_date,
                "risk": data.risk,
                "device": data.device.map(|d| json!({"ip_address": d.ip_address, "uhi": d.uhi})),
            }),
        }),
    })
}

#[async_trait]
impl Provider for BankIdProvider {
    fn info(&self) -> &ProviderInfo {
        &self.info
    }

    fn check_input(
        &self,
        user_data: &BTreeMap<String, String>,
        match_data: &BTreeMap<String, String>,
    ) -> Result<(), crate::InputError> {
        crate::check_declared(&self.info, user_data, match_data)?;
        let too_long = |field: &str, bytes: usize| crate::InputError {
            missing: false,
            field: format!("userData.{field}"),
            message: format!("must be at most {bytes} bytes of UTF-8 (BankID's limit)"),
        };
        if user_data
            .get(SIGN_TEXT)
            .is_some_and(|t| t.len() > MAX_VISIBLE_BYTES)
        {
            return Err(too_long(SIGN_TEXT, MAX_VISIBLE_BYTES));
        }
        if !self.phone
            && user_data
                .get(REGISTRATION_ID)
                .is_some_and(|number| personal_number(number).is_none())
        {
            return Err(crate::InputError {
                missing: false,
                field: format!("userData.{REGISTRATION_ID}"),
                message: "must be a Swedish personal number of 12 digits (YYYYMMDDNNNN)".into(),
            });
        }
        if let Some(hidden) = user_data.get(SIGN_HIDDEN_DATA) {
            if hidden.len() > MAX_HIDDEN_BYTES {
                return Err(too_long(SIGN_HIDDEN_DATA, MAX_HIDDEN_BYTES));
            }
            if user_data.get(SIGN_TEXT).is_none_or(|t| t.trim().is_empty()) {
                return Err(crate::InputError {
                    missing: true,
                    field: format!("userData.{SIGN_TEXT}"),
                    message: format!(
                        "is required with {SIGN_HIDDEN_DATA}: it is signed along with the text the person reads"
                    ),
                });
            }
        }
        Ok(())
    }

    /// A phone order's identifier: a Swedish personal number, 12 digits (`YYYYMMDD-NNNN` and
    /// spaces are accepted and normalised).
    fn check_identifier(&self, identifier: &str) -> Result<String, crate::InputError> {
        if self.phone
            && let Some(digits) = personal_number(identifier)
        {
            return Ok(digits);
        }
        Err(crate::InputError {
            missing: false,
            field: "identifier".to_owned(),
            message: if self.phone {
                "must be a Swedish personal number of 12 digits (YYYYMMDDNNNN)".to_owned()
            } else {
                "this provider does not take an identifier".to_owned()
            },
        })
    }

    async fn start(&self, request: &StartRequest<'_>) -> Result<Started, ProviderError> {
        if self.phone {
            let state = self.order(request).await?;
            return Ok(Started {
                action: StartAction::Push {
                    provider_reference: kept(Some(&state), ORDER_REF).map(str::to_owned),
                },
                state: Some(state),
            });
        }
        let reference_of = |state: &ProviderState| kept(Some(state), ORDER_REF).map(str::to_owned);
        // A second tab or a reload keeps an order that is still young enough to scan (BankID
        // allows 30 seconds for the first scan); an older one is ordered anew.
        if let Some(kept_state) = request.provider_state
            && let Some(at) = kept_state.0.get(ORDERED_AT).and_then(Value::as_i64)
            && chrono::Utc::now().timestamp() - at < 25
            && kept(Some(kept_state), QR_SECRET).is_some()
        {
            return Ok(Started {
                action: StartAction::Qr {
                    provider_reference: reference_of(kept_state),
                },
                state: Some(kept_state.clone()),
            });
        }
        let mut state = self.order(request).await?;
        // A silent restart carries how many there have been.
        if let Some(restarts) = request
            .provider_state
            .and_then(|kept| kept.0.get(RESTARTS))
            .and_then(Value::as_i64)
        {
            state.0.insert(RESTARTS.into(), restarts.into());
        }
        Ok(Started {
            action: StartAction::Qr {
                provider_reference: reference_of(&state),
            },
            state: Some(state),
        })
    }

    fn qr_content(&self, session: SessionContext<'_>, now: i64) -> Option<String> {
        let state = session.provider_state;
        let token = kept(state, QR_TOKEN)?;
        let secret = kept(state, QR_SECRET)?;
        let at = state?.0.get(ORDERED_AT)?.as_i64()?;
        let seconds = u64::try_from(now.saturating_sub(at)).unwrap_or(0);
        Some(qr::content(token, secret, seconds))
    }

    async fn callback(
        &self,
        _params: &BTreeMap<String, String>,
        _session: SessionContext<'_>,
    ) -> Result<Returned, ProviderError> {
        // BankID returns no browser: the result comes from collect.
        Err(ProviderError::InvalidCallback(
            "BankID results are collected, not returned".into(),
        ))
    }

    /// BankID's autostart link for this device's platform ([`launch`]): its app opens the
    /// order here, and on iOS returns to the order's `returnUrl`.
    fn same_device_link(
        &self,
        session: SessionContext<'_>,
        device: &EndUserDevice,
    ) -> Option<String> {
        let token = kept(session.provider_state, AUTO_START)?;
        launch::autostart_link(
            launch::Platform::of(device.user_agent.as_deref()),
            self.app_url.as_deref(),
            token,
            kept(session.provider_state, RETURN_URL).is_some(),
        )
    }

    fn collects_on_read(&self) -> bool {
        true
    }

    fn user_message(&self, hint: &str, lang: &str) -> Option<&'static str> {
        Some(messages::pending(hint, lang))
    }

    fn ending_message(&self, raw_status: &str, lang: &str) -> Option<&'static str> {
        Some(messages::failed(raw_status, lang))
    }

    async fn collect(&self, session: SessionContext<'_>) -> Result<Collected, ProviderError> {
        let Some(order_ref) = kept(session.provider_state, ORDER_REF) else {
            return Ok(Collected::Pending { hint: None });
        };
        let now = std::time::Instant::now();
        if let Some(hint) = self.recent.fresh(order_ref, now) {
            return Ok(Collected::Pending { hint });
        }
        let collected: wire::Collected = match self
            .call(
                "/collect",
                &OrderRef {
                    order_ref: order_ref.to_owned(),
                },
            )
            .await?
        {
            Ok(collected) => collected,
            Err(refused) => {
                tracing::warn!(provider = %self.info.id, status = refused.status, code = %refused.error_code, "BankID refused a collect");
                return Err(ProviderError::Unavailable);
            }
        };
        if collected.status == "pending" {
            self.recent
                .pending(order_ref, collected.hint_code.clone(), now);
        } else {
            self.recent.forget(order_ref);
        }
        match collected.status.as_str() {
            "complete" => completed(&self.info, collected, session.provider_state)
                .map(|o| Collected::Decided(Box::new(o))),
            "failed" => {
                let restarts = session
                    .provider_state
                    .and_then(|s| s.0.get(RESTARTS))
                    .and_then(Value::as_i64)
                    .unwrap_or(0);
                // Nobody scanned the code in time: a new order, as BankID advises, while the
                // person may still be on their way to their phone.
                if collected.hint_code.as_deref() == Some("startFailed") && restarts < MAX_RESTARTS
                {
                    let mut carry = ProviderState::default();
                    carry.0.insert(RESTARTS.into(), (restarts + 1).into());
                    for key in [END_USER_IP, RETURN_URL] {
                        if let Some(value) = kept(session.provider_state, key) {
                            carry.0.insert(key.into(), value.into());
                        }
                    }
                    return Ok(Collected::Restart { carry: Some(carry) });
                }
                let (decision, reason) = failure(collected.hint_code.as_deref());
                Ok(Collected::Decided(Box::new(ProviderOutcome {
                    decision,
                    reason: Some(reason.to_owned()),
                    raw_status: collected.hint_code,
                    achieved_loa: None,
                    claims: None,
                    match_result: None,
                    evidence: None,
                })))
            }
            // `pending`, and statuses BankID may add: still waiting.
            _ => Ok(Collected::Pending {
                hint: collected.hint_code,
            }),
        }
    }

    async fn cancel(&self, session: SessionContext<'_>) -> Result<(), ProviderError> {
        let Some(order_ref) = kept(session.provider_state, ORDER_REF) else {
            return Ok(());
        };
        match self
            .call::<Value>(
                "/cancel",
                &OrderRef {
                    order_ref: order_ref.to_owned(),
                },
            )
            .await?
        {
            Ok(_) => Ok(()),
            // Finished or unknown already: nothing left to cancel.
            Err(refused) if refused.error_code == "invalidParameters" => Ok(()),
            Err(_) => Err(ProviderError::Unavailable),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Decision, RecentCollects, failure};
    use std::time::{Duration, Instant};

    #[test]
    fn a_pending_answer_is_reused_for_two_seconds_then_bankid_is_asked_again() {
        let interval = Duration::from_secs(2);
        let recent = RecentCollects::every(interval);
        let t0 = Instant::now();
        assert_eq!(recent.fresh("order-1", t0), None, "never asked");
        recent.pending("order-1", Some("userSign".into()), t0);
        assert_eq!(
            recent.fresh("order-1", t0 + Duration::from_millis(1500)),
            Some(Some("userSign".into()))
        );
        assert_eq!(recent.fresh("order-1", t0 + interval), None);
        assert_eq!(recent.fresh("order-2", t0), None, "per order");
        recent.forget("order-1");
        assert_eq!(
            recent.fresh("order-1", t0),
            None,
            "a finished order is asked about"
        );
    }

    #[test]
    fn every_documented_failure_hint_has_a_meaning_and_unknown_ones_fail() {
        for (hint, decision) in [
            ("userCancel", Decision::Cancelled),
            ("expiredTransaction", Decision::Expired),
            ("certificateErr", Decision::Declined),
            ("startFailed", Decision::Expired),
            ("cancelled", Decision::Cancelled),
            ("userDeclinedCall", Decision::Cancelled),
            ("transactionRiskBlocked", Decision::Declined),
            ("notSupportedByUserApp", Decision::Failed),
            ("somethingNew", Decision::Failed),
        ] {
            assert_eq!(failure(Some(hint)).0, decision, "{hint}");
        }
    }
}
