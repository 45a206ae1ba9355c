//! The Veriff adapter: document + selfie verification through Veriff's public API v1.
//!
//! On start it creates a Veriff session (`POST {base_url}/sessions` with the person and the
//! document idgate holds, `vendorData` = idgate's session id, `callback` = idgate's callback
//! with the round trip's `state`) and sends the browser to `verification.url`; Veriff's
//! session id is the session's provider reference and is kept sealed. Veriff decides after the
//! user has left: its decision and event webhooks arrive at `/providers/{id}/webhook`, checked
//! by `X-HMAC-SIGNATURE` (HMAC-SHA256 of the raw body with the integration's shared secret, in
//! constant time) before anything is parsed; and the decision is fetched (`GET
//! /sessions/{id}/decision`, signed over the id) when the user returns and, through
//! [`Provider::collect`], by the hub's decision check, so a lost webhook never leaves a
//! session pending. Every answer Veriff signs is checked too.

use crate::http::{ClientTls, HttpClients, client_for};
use crate::{
    Collected, Decision, FlowType, HeaderMap, InputError, NoticeEvent, Provider, ProviderError,
    ProviderInfo, ProviderNotice, ProviderOutcome, Returned, SessionContext, StartAction,
    StartRequest, Started, UrlGuard,
};
use async_trait::async_trait;
use aws_lc_rs::hmac;
use idgate_core::{ApplicantData, ProviderEvidence, ProviderState};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// Largest answer read from Veriff.
const MAX_BODY: usize = 1024 * 1024;

/// Veriff's documented decline and resubmission reason codes and idgate's reason for each
/// (the Veriff dialect maps the other way with the same table).
pub const REASON_CODES: &[(u32, &str, &str)] = &[
    (102, "suspected_tampering", "Suspected document tampering."),
    (
        103,
        "face_mismatch",
        "Person showing the document does not appear to match document photo.",
    ),
    (105, "suspicious_behaviour", "Suspicious behaviour."),
    (106, "known_fraud", "Known fraud."),
    (201, "media_missing", "Video and/or photos missing."),
    (204, "poor_quality", "Poor image quality."),
    (205, "document_damaged", "Document damaged."),
    (
        206,
        "document_not_recognised",
        "Document type not supported.",
    ),
    (207, "document_expired", "Document expired."),
    (539, "resubmission_limit", "Resubmission limit reached."),
];

/// `[providers.<id>]` with `adapter = "veriff"`.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VeriffConfig {
    /// `false` removes the provider (default true).
    #[serde(default)]
    pub enabled: Option<bool>,
    /// A test integration (Veriff's test integrations, or idgate's own simulator): bannered
    /// as a sandbox, run only where sandboxes do.
    #[serde(default)]
    pub sandbox: Option<bool>,
    #[serde(default)]
    pub label: Option<String>,
    /// Countries (ISO 3166-1 alpha-2) whose people this provider serves, for the hosted
    /// page's chooser; empty or absent: any.
    #[serde(default)]
    pub countries: Option<Vec<String>>,
    /// The level of assurance an approval stands for (1-5, default 3).
    #[serde(default)]
    pub max_loa: Option<u8>,
    /// The integration's API URL, `/v1` included (e.g. `https://stationapi.veriff.com/v1`).
    #[serde(default)]
    pub base_url: Option<String>,
    /// The integration's API key (`X-AUTH-CLIENT`).
    #[serde(default)]
    pub api_key: Option<String>,
    /// The integration's shared secret; better set through the environment
    /// (`IDGATE_PROVIDERS__<ID>__SHARED_SECRET`).
    #[serde(default)]
    pub shared_secret: Option<String>,
    /// Mutual TLS or a private CA towards the API (not needed for Veriff's public hosts).
    #[serde(default)]
    pub tls: Option<ClientTls>,
}

impl std::fmt::Debug for VeriffConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VeriffConfig")
            .field("label", &self.label)
            .field("base_url", &self.base_url)
            .field("api_key", &self.api_key)
            .finish_non_exhaustive()
    }
}

impl VeriffConfig {
    /// Checks the table (errors name the key) and builds the adapter.
    pub fn build(
        &self,
        id: &str,
        clients: &dyn HttpClients,
    ) -> Result<VeriffProvider, ProviderError> {
        crate::check_loa(id, self.max_loa)?;
        let required = |value: &Option<String>, key: &str| {
            value
                .clone()
                .filter(|v| !v.trim().is_empty())
                .ok_or_else(|| ProviderError::Config(format!("providers.{id}.{key} is required")))
        };
        let base_url = required(&self.base_url, "base_url")?;
        let base = url::Url::parse(base_url.trim_end_matches('/')).map_err(|e| {
            ProviderError::Config(format!("providers.{id}.base_url is not a URL: {e}"))
        })?;
        if !matches!(base.scheme(), "https" | "http") {
            return Err(ProviderError::Config(format!(
                "providers.{id}.base_url must be https"
            )));
        }
        let api_key = required(&self.api_key, "api_key")?;
        let shared_secret = required(&self.shared_secret, "shared_secret")?;
        let label = self.label.clone().unwrap_or_else(|| id.to_owned());
        Ok(VeriffProvider {
            info: ProviderInfo {
                id: id.to_owned(),
                label,
                flow_type: FlowType::Redirect,
                max_loa: self.max_loa.unwrap_or(3),
                claims: [
                    "given_name",
                    "family_name",
                    "birthdate",
                    "personal_identity_number",
                    "nationality",
                    "document_number",
                    "document_type",
                    "document_country",
                ]
                .map(str::to_owned)
                .to_vec(),
                match_capable: false,
                sandbox: self.sandbox.unwrap_or(false),
                user_data: Vec::new(),
                match_fields: Vec::new(),
            },
            base: base.as_str().trim_end_matches('/').to_owned(),
            api_key,
            key: hmac::Key::new(hmac::HMAC_SHA256, shared_secret.as_bytes()),
            client: client_for(clients, self.tls.as_ref())?,
            guard: clients.guard(),
        })
    }
}

/// One Veriff integration.
pub struct VeriffProvider {
    info: ProviderInfo,
    /// `…/v1`, no trailing slash.
    base: String,
    api_key: String,
    key: hmac::Key,
    client: reqwest::Client,
    guard: UrlGuard,
}

impl std::fmt::Debug for VeriffProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VeriffProvider")
            .field("id", &self.info.id)
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

fn invalid(message: impl Into<String>) -> ProviderError {
    ProviderError::InvalidCallback(message.into())
}

impl VeriffProvider {
    fn sign(&self, bytes: &[u8]) -> String {
        hex::encode(hmac::sign(&self.key, bytes).as_ref())
    }

    /// Whether `signature` (hex) is the HMAC of `bytes`, compared in constant time.
    fn signed(&self, bytes: &[u8], signature: Option<&str>) -> bool {
        signature
            .and_then(|s| hex::decode(s.trim()).ok())
            .is_some_and(|tag| hmac::verify(&self.key, bytes, &tag).is_ok())
    }

    /// Sends one signed request (`signed`: the body, or the id in the path) and returns the
    /// status and the answer, whose own signature must hold.
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Vec<u8>>,
        signed: &[u8],
    ) -> Result<(reqwest::StatusCode, Vec<u8>), ProviderError> {
        let url = url::Url::parse(&format!("{}{path}", self.base))
            .map_err(|e| ProviderError::Config(format!("Veriff URL: {e}")))?;
        (self.guard)(&url).map_err(ProviderError::Config)?;
        let mut request = self
            .client
            .request(method, url)
            .header("x-auth-client", &self.api_key)
            .header("x-hmac-signature", self.sign(signed));
        if let Some(body) = body {
            request = request
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body);
        }
        let response = request.send().await.map_err(|e| {
            tracing::warn!(provider = %self.info.id, error = %e.without_url(), "Veriff could not be reached");
            ProviderError::Unavailable
        })?;
        let status = response.status();
        let signature = response
            .headers()
            .get("x-hmac-signature")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let bytes = crate::http::read_capped(response, MAX_BODY, "Veriff").await?;
        if status.is_success() && !self.signed(&bytes, signature.as_deref()) {
            return Err(ProviderError::NotAuthentic(
                "Veriff's answer is not signed with the integration's shared secret".into(),
            ));
        }
        Ok((status, bytes))
    }

    /// `GET /sessions/{id}/decision`: the outcome once Veriff decided, `None` before.
    async fn fetch_decision(
        &self,
        veriff_id: &str,
    ) -> Result<Option<ProviderOutcome>, ProviderError> {
        let (status, bytes) = self
            .call(
                reqwest::Method::GET,
                &format!("/sessions/{veriff_id}/decision"),
                None,
                veriff_id.as_bytes(),
            )
            .await?;
        if !status.is_success() {
            tracing::warn!(provider = %self.info.id, %status, "Veriff refused the decision fetch");
            return Err(ProviderError::Unavailable);
        }
        let answer: Value =
            serde_json::from_slice(&bytes).map_err(|_| invalid("Veriff's decision is not JSON"))?;
        match answer.get("verification") {
            None | Some(Value::Null) => Ok(None),
            Some(verification) => self.outcome(verification).map(Some),
        }
    }

    /// The outcome a decision (`verification` object) states, in idgate's terms.
    fn outcome(&self, verification: &Value) -> Result<ProviderOutcome, ProviderError> {
        let status = verification
            .get("status")
            .and_then(Value::as_str)
            .ok_or_else(|| invalid("the decision has no status"))?;
        let decision = match status {
            "approved" => Decision::Approved,
            "declined" => Decision::Declined,
            "resubmission_requested" => Decision::ResubmissionRequested,
            "review" => Decision::Review,
            "expired" | "abandoned" => Decision::Expired,
            other => return Err(invalid(format!("unknown decision status {other:?}"))),
        };
        let code = verification.get("reasonCode").and_then(Value::as_u64);
        let reason = match decision {
            Decision::Approved | Decision::Review => None,
            Decision::Expired => Some(format!("veriff_{status}")),
            _ => Some(match code {
                Some(code) => REASON_CODES
                    .iter()
                    .find(|(c, _, _)| u64::from(*c) == code)
                    .map_or_else(|| format!("veriff_{code}"), |(_, r, _)| (*r).to_owned()),
                None => status.to_owned(),
            }),
        };
        let approved = decision == Decision::Approved;
        Ok(ProviderOutcome {
            decision,
            reason,
            raw_status: Some(match code {
                Some(code) => format!("veriff:{status}:{code}"),
                None => format!("veriff:{status}"),
            }),
            achieved_loa: approved.then_some(self.info.max_loa),
            claims: approved.then(|| claims(verification)),
            match_result: None,
            // Veriff's session id names the check; the decision as Veriff sent it is the proof.
            evidence: approved.then(|| ProviderEvidence {
                subject: verification
                    .get("id")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                acr: None,
                amr: vec!["veriff:document+selfie".to_owned()],
                evidence: verification.clone(),
            }),
        })
    }

    fn veriff_id(session: &SessionContext<'_>) -> Result<String, ProviderError> {
        session
            .provider_state
            .and_then(|s| s.get_str("session_id"))
            .map(str::to_owned)
            .ok_or_else(|| invalid("no Veriff session was started for this session"))
    }
}

/// The claims an approval carries: the person and the document as Veriff read them.
fn claims(verification: &Value) -> Map<String, Value> {
    let mut claims = Map::new();
    let mut put = |name: &str, value: Option<&Value>| {
        if let Some(text) = value.and_then(Value::as_str).filter(|t| !t.is_empty()) {
            claims.insert(name.to_owned(), Value::String(text.to_owned()));
        }
    };
    let person = verification.get("person");
    let field = |key: &str| person.and_then(|p| p.get(key));
    put("given_name", field("firstName"));
    put("family_name", field("lastName"));
    put("birthdate", field("dateOfBirth"));
    put("personal_identity_number", field("idNumber"));
    put("nationality", field("nationality"));
    let document = verification.get("document");
    let field = |key: &str| document.and_then(|d| d.get(key));
    put("document_number", field("number"));
    put("document_type", field("type"));
    put("document_country", field("country"));
    claims
}

/// The `person` and `document` Veriff is told about, from what the partner sent.
fn known_person(applicant: Option<&ApplicantData>) -> (Value, Value) {
    let Some(a) = applicant else {
        return (Value::Null, Value::Null);
    };
    let mut person = Map::new();
    for (key, value) in [
        ("firstName", &a.first_name),
        ("lastName", &a.last_name),
        ("idNumber", &a.national_id),
        ("dateOfBirth", &a.date_of_birth),
    ] {
        if let Some(v) = value {
            person.insert(key.into(), Value::String(v.clone()));
        }
    }
    let document: Map<String, Value> = a
        .document
        .iter()
        .flat_map(BTreeMap::iter)
        .filter(|(k, _)| matches!(k.as_str(), "number" | "type" | "country"))
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    let wrap = |m: Map<String, Value>| {
        if m.is_empty() {
            Value::Null
        } else {
            Value::Object(m)
        }
    };
    (wrap(person), wrap(document))
}

#[async_trait]
impl Provider for VeriffProvider {
    fn info(&self) -> &ProviderInfo {
        &self.info
    }

    fn check_input(
        &self,
        user_data: &BTreeMap<String, String>,
        match_data: &BTreeMap<String, String>,
    ) -> Result<(), InputError> {
        crate::check_declared(&self.info, user_data, match_data)
    }

    async fn start(&self, request: &StartRequest<'_>) -> Result<Started, ProviderError> {
        // A second tab, or the user going back in after a resubmission request: Veriff's
        // session (and its URL) carries on.
        if let Some(kept) = request.provider_state
            && let (Some(id), Some(url)) = (kept.get_str("session_id"), kept.get_str("url"))
        {
            return Ok(Started {
                action: StartAction::Redirect {
                    url: url.to_owned(),
                    provider_reference: Some(id.to_owned()),
                },
                state: Some(kept.clone()),
            });
        }
        let mut callback = url::Url::parse(request.callback_url)
            .map_err(|e| ProviderError::Config(format!("callback URL: {e}")))?;
        callback
            .query_pairs_mut()
            .append_pair("state", request.state);
        let (person, document) = known_person(request.applicant);
        let mut verification = Map::new();
        verification.insert("callback".into(), Value::String(callback.into()));
        verification.insert(
            "vendorData".into(),
            Value::String(request.session_id.to_string()),
        );
        if !person.is_null() {
            verification.insert("person".into(), person);
        }
        if !document.is_null() {
            verification.insert("document".into(), document);
        }
        let body = serde_json::to_vec(&json!({ "verification": verification }))
            .map_err(|e| ProviderError::Config(e.to_string()))?;
        let (status, bytes) = self
            .call(
                reqwest::Method::POST,
                "/sessions",
                Some(body.clone()),
                &body,
            )
            .await?;
        if status != reqwest::StatusCode::CREATED && !status.is_success() {
            tracing::warn!(provider = %self.info.id, %status, "Veriff refused to create a session");
            return Err(ProviderError::Unavailable);
        }
        let answer: Value =
            serde_json::from_slice(&bytes).map_err(|_| invalid("Veriff's answer is not JSON"))?;
        let created = &answer["verification"];
        let (Some(id), Some(url)) = (created["id"].as_str(), created["url"].as_str()) else {
            return Err(invalid("Veriff's answer has no verification id or url"));
        };
        let parsed = url::Url::parse(url).map_err(|_| invalid("Veriff's url is not a URL"))?;
        if parsed.scheme() != "https" && parsed.scheme() != "http" {
            return Err(invalid("Veriff's url is not a web address"));
        }
        let mut kept = Map::new();
        kept.insert("session_id".into(), Value::String(id.to_owned()));
        kept.insert("url".into(), Value::String(url.to_owned()));
        Ok(Started {
            action: StartAction::Redirect {
                url: url.to_owned(),
                provider_reference: Some(id.to_owned()),
            },
            state: Some(ProviderState(kept)),
        })
    }

    /// The user is back from Veriff's flow: the decision if Veriff already made it (fetched),
    /// else the session waits, submitted, for the webhook or the decision check.
    async fn callback(
        &self,
        _params: &BTreeMap<String, String>,
        session: SessionContext<'_>,
    ) -> Result<Returned, ProviderError> {
        let id = Self::veriff_id(&session)?;
        match self.fetch_decision(&id).await {
            Ok(Some(outcome)) => Ok(outcome.into()),
            Ok(None) => Ok(Returned::Submitted),
            // Veriff unreachable now: the user still finished there; the check job asks again.
            Err(ProviderError::Unavailable) => Ok(Returned::Submitted),
            Err(e) => Err(e),
        }
    }

    async fn collect(&self, session: SessionContext<'_>) -> Result<Collected, ProviderError> {
        let id = Self::veriff_id(&session)?;
        self.fetch_decision(&id).await.map(Collected::from)
    }

    fn decides_later(&self) -> bool {
        true
    }

    async fn webhook(
        &self,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<ProviderNotice, ProviderError> {
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        if !self.signed(body, header("x-hmac-signature")) {
            return Err(ProviderError::NotAuthentic(
                "X-HMAC-SIGNATURE is missing or is not the HMAC-SHA256 of the body with the integration's shared secret".into(),
            ));
        }
        if header("x-auth-client").is_some_and(|k| k.trim() != self.api_key) {
            return Err(ProviderError::NotAuthentic(
                "X-AUTH-CLIENT names another integration".into(),
            ));
        }
        let notice: Value =
            serde_json::from_slice(body).map_err(|_| invalid("the webhook is not JSON"))?;
        // The decision webhook: {status, verification: {id, status, code, …}}.
        if let Some(verification) = notice.get("verification").filter(|v| v.is_object()) {
            let id = verification
                .get("id")
                .and_then(Value::as_str)
                .ok_or_else(|| invalid("the decision webhook has no verification.id"))?;
            return Ok(ProviderNotice {
                provider_reference: id.to_owned(),
                event: NoticeEvent::Decided(Box::new(self.outcome(verification)?)),
            });
        }
        // The event webhook: {id, attemptId, feature, code, action}.
        let (Some(id), Some(action)) = (
            notice.get("id").and_then(Value::as_str),
            notice.get("action").and_then(Value::as_str),
        ) else {
            return Err(invalid(
                "neither a decision webhook (verification) nor an event webhook (id, action)",
            ));
        };
        Ok(ProviderNotice {
            provider_reference: id.to_owned(),
            event: match action {
                "submitted" => NoticeEvent::Submitted,
                _ => NoticeEvent::Informational,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn provider() -> VeriffProvider {
        struct Plain;
        impl HttpClients for Plain {
            fn shared(&self) -> reqwest::Client {
                reqwest::Client::new()
            }
            fn with_tls(&self, _: &ClientTls) -> Result<reqwest::Client, ProviderError> {
                Ok(reqwest::Client::new())
            }
            fn guard(&self) -> UrlGuard {
                std::sync::Arc::new(|_: &url::Url| Ok(()))
            }
        }
        let config = VeriffConfig {
            base_url: Some("https://stationapi.veriff.com/v1/".into()),
            api_key: Some("8a9b4a5c-7d1e-4f5a-9b2c-3d4e5f6a7b8c".into()),
            shared_secret: Some("secret-of-the-integration".into()),
            ..VeriffConfig::default()
        };
        config
            .build("veriff", &Plain)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    fn signed_headers(p: &VeriffProvider, body: &[u8]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Ok(v) = p.sign(body).parse() {
            headers.insert("x-hmac-signature", v);
        }
        headers
    }

    #[tokio::test]
    async fn webhooks_are_checked_before_they_are_read_and_mapped_with_veriffs_codes() {
        let p = provider();
        let decision = serde_json::to_vec(&json!({
            "status": "success",
            "verification": {
                "id": "f04bdb47-d3be-4b28-b028-a652feb060b5", "status": "declined",
                "code": 9102, "reasonCode": 103, "reason": "Face mismatch",
                "person": {"firstName": "Kari"}
            }
        }))
        .unwrap_or_default();
        let notice = p
            .webhook(&signed_headers(&p, &decision), &decision)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            notice.provider_reference,
            "f04bdb47-d3be-4b28-b028-a652feb060b5"
        );
        let NoticeEvent::Decided(outcome) = notice.event else {
            panic!("a decision")
        };
        assert_eq!(outcome.decision, Decision::Declined);
        assert_eq!(outcome.reason.as_deref(), Some("face_mismatch"));
        assert_eq!(outcome.claims, None, "a decline carries no identity");

        // A wrong or missing signature, or a body changed after signing: refused.
        let mut forged = signed_headers(&p, b"something else");
        assert!(matches!(
            p.webhook(&forged, &decision).await,
            Err(ProviderError::NotAuthentic(_))
        ));
        forged.clear();
        assert!(matches!(
            p.webhook(&forged, &decision).await,
            Err(ProviderError::NotAuthentic(_))
        ));
        let mut other_key = signed_headers(&p, &decision);
        if let Ok(v) = "00000000-0000-4000-8000-000000000000".parse() {
            other_key.insert("x-auth-client", v);
        }
        assert!(matches!(
            p.webhook(&other_key, &decision).await,
            Err(ProviderError::NotAuthentic(_))
        ));
        // Signed, but neither shape.
        let junk = br#"{"hello": "world"}"#;
        assert!(matches!(
            p.webhook(&signed_headers(&p, junk), junk).await,
            Err(ProviderError::InvalidCallback(_))
        ));

        let event = serde_json::to_vec(&json!({
            "id": "f04bdb47-d3be-4b28-b028-a652feb060b5", "attemptId": "e30122d1-740b-4764-853f-470374a7abf4",
            "feature": "selfid", "code": 7002, "action": "submitted"
        }))
        .unwrap_or_default();
        let notice = p
            .webhook(&signed_headers(&p, &event), &event)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(notice.event, NoticeEvent::Submitted);
    }

    #[test]
    fn decisions_map_to_idgates_outcomes() {
        let p = provider();
        let approved = p
            .outcome(&json!({
                "id": "v1", "status": "approved", "code": 9001,
                "person": {"firstName": "Kari", "lastName": "Nordmann", "idNumber": "12345678901", "dateOfBirth": "1990-01-01"},
                "document": {"number": "PA1234567", "type": "PASSPORT", "country": "NO"}
            }))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(approved.decision, Decision::Approved);
        assert_eq!(approved.achieved_loa, Some(3));
        let claims = approved.claims.unwrap_or_default();
        assert_eq!(claims["family_name"], "Nordmann");
        assert_eq!(claims["personal_identity_number"], "12345678901");
        assert_eq!(claims["document_country"], "NO");
        for (status, code, decision, reason) in [
            (
                "resubmission_requested",
                Some(207),
                Decision::ResubmissionRequested,
                Some("document_expired"),
            ),
            (
                "declined",
                Some(539),
                Decision::Declined,
                Some("resubmission_limit"),
            ),
            (
                "declined",
                Some(999),
                Decision::Declined,
                Some("veriff_999"),
            ),
            ("review", None, Decision::Review, None),
            ("expired", None, Decision::Expired, Some("veriff_expired")),
            (
                "abandoned",
                None,
                Decision::Expired,
                Some("veriff_abandoned"),
            ),
        ] {
            let outcome = p
                .outcome(&json!({"id": "v1", "status": status, "reasonCode": code}))
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(outcome.decision, decision, "{status}");
            assert_eq!(outcome.reason.as_deref(), reason, "{status}");
        }
        assert!(p.outcome(&json!({"id": "v1", "status": "maybe"})).is_err());
    }

    #[test]
    fn the_table_names_every_key_it_needs_and_never_prints_the_secret() {
        let config = VeriffConfig {
            base_url: Some("https://stationapi.veriff.com/v1".into()),
            api_key: Some("key".into()),
            shared_secret: Some("top-secret-value".into()),
            ..VeriffConfig::default()
        };
        assert!(!format!("{config:?}").contains("top-secret-value"));
        let p = provider();
        assert!(!format!("{p:?}").contains("secret-of-the-integration"));
    }
}
