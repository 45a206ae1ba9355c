//! The sandbox providers: simulators served by idgate itself, one per flow kind, where the
//! end user (or a partner's CI, through the test-helper endpoints) chooses the outcome.
//!
//! - `redirect`: a provider page where the tester picks the outcome, then back to idgate.
//! - `qr`: the hosted page shows an animated QR code; a simulated phone app reads it.
//! - `push`: the user enters an identifier; a simulated phone app approves or rejects.
//! - `match`: a redirect flow whose result compares `matchData` with a test registry.
//!
//! They exist so every flow runs offline; they must never serve production sessions.

pub mod identities;
pub mod matching;
pub mod qr;

use crate::{
    Decision, FlowType, InputError, InputField, Provider, ProviderError, ProviderInfo,
    ProviderOutcome, Returned, SessionContext, StartAction, StartRequest, Started,
};
use async_trait::async_trait;
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use chrono::{SecondsFormat, Utc};
use identities::TestIdentity;
use idgate_core::ProviderEvidence;
use idgate_core::ProviderState;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Decline reasons the sandbox offers, as stable reason codes.
pub const DECLINE_REASONS: &[(&str, &str)] = &[
    ("document_expired", "The document has expired"),
    ("document_not_recognised", "The document was not recognised"),
    ("face_mismatch", "The face does not match the document"),
    ("suspected_fraud", "Suspected fraud"),
    ("underage", "The person is under age"),
    ("user_refused", "The user refused in the app"),
];

/// Reasons a sandbox resubmission request may give (stable reason codes); without one it is
/// `resubmission_requested`.
pub const RESUBMISSION_REASONS: &[&str] = &[
    "media_missing",
    "poor_quality",
    "document_damaged",
    "document_not_recognised",
    "document_expired",
];

/// Which flow a sandbox provider simulates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SandboxKind {
    Redirect,
    Qr,
    Push,
    Match,
}

/// `[providers.<id>]` for the simulators (`adapter = "sandbox"`, `"sandbox_qr"`, …).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SandboxConfig {
    /// `false` removes the provider (default true).
    #[serde(default)]
    pub enabled: Option<bool>,
    /// Shown to end users; defaults to the id.
    #[serde(default)]
    pub label: Option<String>,
    /// Countries (ISO 3166-1 alpha-2) whose people this provider serves, for the hosted
    /// page's chooser; empty or absent: any.
    #[serde(default)]
    pub countries: Option<Vec<String>>,
    /// Highest level of assurance (1-5) the simulator grants (default 3).
    #[serde(default)]
    pub max_loa: Option<u8>,
    /// Claims it delivers (default: a set per flow kind).
    #[serde(default)]
    pub claims: Option<Vec<String>>,
    /// QR simulator: seconds a shown code stays acceptable (default 10).
    #[serde(default)]
    pub qr_validity_secs: Option<u32>,
}

impl SandboxConfig {
    pub fn settings(&self, id: &str) -> Result<SandboxSettings, ProviderError> {
        crate::check_loa(id, self.max_loa)?;
        let defaults = SandboxSettings::default();
        Ok(SandboxSettings {
            max_loa: self.max_loa.unwrap_or(defaults.max_loa),
            claims: self.claims.clone(),
            qr_validity_secs: self.qr_validity_secs.unwrap_or(defaults.qr_validity_secs),
        })
    }
}

/// Per-instance settings (`[providers.<id>]`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SandboxSettings {
    pub max_loa: u8,
    /// Claims it can deliver; `None` takes the kind's default.
    pub claims: Option<Vec<String>>,
    /// How long a shown QR code stays acceptable to the simulated app.
    pub qr_validity_secs: u32,
}

impl Default for SandboxSettings {
    fn default() -> Self {
        SandboxSettings {
            max_loa: 3,
            claims: None,
            qr_validity_secs: 10,
        }
    }
}

/// What a tester chose on a simulator page (or a partner's CI through the API).
#[derive(Clone, Copy, Debug)]
pub struct SandboxChoice<'a> {
    pub decision: Decision,
    pub reason: Option<&'a str>,
    /// Registration id of a test identity; the first identity when `None`.
    pub identity: Option<&'a str>,
    /// The level the simulated authentication reached; the provider's maximum when `None`.
    pub loa: Option<u8>,
}

impl<'a> SandboxChoice<'a> {
    pub fn new(decision: Decision) -> Self {
        SandboxChoice {
            decision,
            reason: None,
            identity: None,
            loa: None,
        }
    }
}

/// A sandbox instance serving one provider id.
#[derive(Debug)]
pub struct SandboxProvider {
    info: ProviderInfo,
    kind: SandboxKind,
    settings: SandboxSettings,
}

impl SandboxProvider {
    pub fn new(id: &str, label: &str, kind: SandboxKind, settings: SandboxSettings) -> Self {
        let default_claims: &[&str] = match kind {
            SandboxKind::Redirect => &["given_name", "family_name", "birthdate"],
            SandboxKind::Qr | SandboxKind::Push => &[
                "name",
                "given_name",
                "family_name",
                "birthdate",
                "nationality",
            ],
            SandboxKind::Match => &[],
        };
        let claims = settings
            .claims
            .clone()
            .unwrap_or_else(|| default_claims.iter().map(|c| (*c).to_owned()).collect());
        let user_data = match kind {
            SandboxKind::Push => vec![InputField::new(
                "registrationId",
                false,
                "the user's app identifier, PNO + country + '-' + 11 digits; when absent the hosted page asks the user",
                "PNOEE-39001010000",
            )],
            SandboxKind::Match => vec![InputField::new(
                "personalCode",
                true,
                "the registry record to compare with: 11 digits",
                "14038512345",
            )],
            SandboxKind::Redirect | SandboxKind::Qr => Vec::new(),
        };
        let match_fields = if kind == SandboxKind::Match {
            vec![
                InputField::new("fullName", true, "given and family name", "Kari Nordmann"),
                InputField::new("dateOfBirth", false, "YYYY-MM-DD", "1985-03-14"),
            ]
        } else {
            Vec::new()
        };
        SandboxProvider {
            info: ProviderInfo {
                id: id.to_owned(),
                label: label.to_owned(),
                flow_type: match kind {
                    SandboxKind::Redirect | SandboxKind::Match => FlowType::Redirect,
                    SandboxKind::Qr => FlowType::Qr,
                    SandboxKind::Push => FlowType::Push,
                },
                max_loa: settings.max_loa.clamp(1, 5),
                claims,
                match_capable: kind == SandboxKind::Match,
                sandbox: true,
                user_data,
                match_fields,
            },
            kind,
            settings,
        }
    }

    pub fn kind(&self) -> SandboxKind {
        self.kind
    }

    pub fn qr_validity_secs(&self) -> u32 {
        self.settings.qr_validity_secs
    }

    /// Whether a scanned QR code is one this adapter showed for the session in `session`
    /// (its tag; the caller checks the age with [`qr::QrCode::fresh_at`]).
    pub fn qr_is_genuine(&self, code: &qr::QrCode, session: SessionContext<'_>) -> bool {
        code.provider_id == self.info.id
            && qr_secret(session.provider_state).is_some_and(|secret| code.is_signed_by(&secret))
    }

    /// The authentication methods (RFC 8176) the simulated login used.
    fn amr(&self) -> Vec<String> {
        let methods: &[&str] = match self.kind {
            SandboxKind::Redirect | SandboxKind::Match => &["pwd"],
            SandboxKind::Qr | SandboxKind::Push => &["hwk", "pin"],
        };
        methods.iter().map(|m| (*m).to_owned()).collect()
    }

    /// The outcome the simulator reports for a tester's choice.
    pub fn decide(
        &self,
        choice: SandboxChoice<'_>,
        session: SessionContext<'_>,
    ) -> Result<ProviderOutcome, ProviderError> {
        let invalid = |m: String| Err(ProviderError::InvalidCallback(m));
        let reason = match (choice.decision, choice.reason) {
            (Decision::Declined, Some(r)) if DECLINE_REASONS.iter().any(|(code, _)| *code == r) => {
                Some(r.to_owned())
            }
            (Decision::Declined, Some(other)) => {
                return invalid(format!("unknown decline reason {other:?}"));
            }
            (Decision::Declined, None) => Some("document_not_recognised".to_owned()),
            (Decision::ResubmissionRequested, Some(r)) if RESUBMISSION_REASONS.contains(&r) => {
                Some(r.to_owned())
            }
            (Decision::ResubmissionRequested, _) => Some("resubmission_requested".to_owned()),
            (Decision::Cancelled, _) => Some("user_cancelled".to_owned()),
            (Decision::Failed, _) => Some("provider_error".to_owned()),
            (Decision::Expired, _) => Some("session_expired".to_owned()),
            (Decision::Approved | Decision::Review, _) => None,
        };
        let mut outcome = ProviderOutcome {
            decision: choice.decision,
            reason,
            raw_status: Some(format!("sandbox:{}", choice.decision.as_str())),
            achieved_loa: None,
            claims: None,
            match_result: None,
            evidence: None,
        };
        if choice.decision != Decision::Approved {
            return Ok(outcome);
        }
        let loa = choice.loa.unwrap_or(self.info.max_loa);
        if !(1..=self.info.max_loa).contains(&loa) {
            return invalid(format!(
                "level of assurance {loa} is outside 1-{}",
                self.info.max_loa
            ));
        }
        let identity = if self.kind == SandboxKind::Match {
            let code = session
                .user_data
                .and_then(|d| d.get("personalCode"))
                .map(String::as_str)
                .unwrap_or_default();
            match TestIdentity::by_personal_code(code.trim()) {
                Some(record) => record,
                None => {
                    outcome.decision = Decision::Declined;
                    outcome.reason = Some("record_not_found".to_owned());
                    outcome.raw_status = Some("sandbox:record_not_found".to_owned());
                    return Ok(outcome);
                }
            }
        } else {
            match TestIdentity::chosen(choice.identity) {
                Some(identity) => identity,
                None => return invalid("unknown test identity".to_owned()),
            }
        };
        let all = identity.claims();
        let claims: serde_json::Map<String, serde_json::Value> = self
            .info
            .claims
            .iter()
            .filter_map(|c| all.get(c).map(|v| (c.clone(), v.clone())))
            .collect();
        let now = Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true);
        outcome.achieved_loa = Some(loa);
        outcome.claims = Some(claims);
        outcome.match_result = (self.kind == SandboxKind::Match)
            .then(|| matching::compare(session.match_data.unwrap_or(&BTreeMap::new()), identity));
        outcome.evidence = Some(ProviderEvidence {
            subject: Some(identity.registration_id.to_owned()),
            acr: Some(format!("urn:idgate:sandbox:loa:{loa}")),
            amr: self.amr(),
            evidence: serde_json::json!({
                "format": "idgate-sandbox-assertion",
                "provider_id": self.info.id,
                "authenticated_at": now,
                "level_of_assurance": loa,
                "subject": identity.registration_id,
                "method": self.amr(),
                "source": if self.kind == SandboxKind::Match { "sandbox test registry" } else { "sandbox test identity" },
            }),
        });
        Ok(outcome)
    }
}

#[async_trait]
impl Provider for SandboxProvider {
    fn info(&self) -> &ProviderInfo {
        &self.info
    }

    fn check_input(
        &self,
        user_data: &BTreeMap<String, String>,
        match_data: &BTreeMap<String, String>,
    ) -> Result<(), InputError> {
        crate::check_declared(&self.info, user_data, match_data)?;
        if let Some(id) = user_data.get("registrationId") {
            self.check_identifier(id).map_err(|e| InputError {
                missing: false,
                field: "userData.registrationId".to_owned(),
                message: e.message,
            })?;
        }
        if let Some(code) = user_data.get("personalCode")
            && !(code.len() == 11 && code.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(InputError {
                missing: false,
                field: "userData.personalCode".to_owned(),
                message: "must be 11 digits".to_owned(),
            });
        }
        Ok(())
    }

    fn check_identifier(&self, identifier: &str) -> Result<String, InputError> {
        if self.kind != SandboxKind::Push {
            return Err(InputError {
                missing: false,
                field: "identifier".to_owned(),
                message: "this provider does not take an identifier".to_owned(),
            });
        }
        let canonical =
            identities::canonical_registration_id(identifier).ok_or_else(|| InputError {
                missing: false,
                field: "identifier".to_owned(),
                message:
                    "must look like PNOEE-39001010000: PNO, a two-letter country, '-', 11 digits"
                        .to_owned(),
            })?;
        if TestIdentity::by_registration_id(&canonical).is_none() {
            return Err(InputError {
                missing: false,
                field: "identifier".to_owned(),
                message: "no sandbox account has this identifier; use one of the test identities"
                    .to_owned(),
            });
        }
        Ok(canonical)
    }

    async fn start(&self, request: &StartRequest<'_>) -> Result<Started, ProviderError> {
        let reference = Some(format!("sandbox-{}", request.session_id));
        match self.kind {
            SandboxKind::Redirect | SandboxKind::Match => {
                let mut url = url::Url::parse(request.public_url)
                    .map_err(|e| ProviderError::Config(format!("public URL: {e}")))?;
                url.set_path(&format!("/sandbox/{}/authorize", self.info.id));
                url.query_pairs_mut().append_pair("state", request.state);
                Ok(StartAction::Redirect {
                    url: url.into(),
                    provider_reference: reference,
                }
                .into())
            }
            SandboxKind::Qr => {
                // A second start (another tab, a reload) keeps the secret its codes carry.
                let state = match request.provider_state {
                    Some(kept) if qr_secret(Some(kept)).is_some() => kept.clone(),
                    _ => new_qr_state()?,
                };
                Ok(Started {
                    action: StartAction::Qr {
                        provider_reference: reference,
                    },
                    state: Some(state),
                })
            }
            SandboxKind::Push => {
                let identifier = request.identifier.ok_or_else(|| {
                    ProviderError::InvalidCallback("a push needs the user's identifier".into())
                })?;
                // The app finds its requests by this reference (see the hosted module).
                Ok(StartAction::Push {
                    provider_reference: Some(identifier.to_owned()),
                }
                .into())
            }
        }
    }

    fn qr_content(&self, session: SessionContext<'_>, now: i64) -> Option<String> {
        let secret = qr_secret(session.provider_state)?;
        let session_id = session.session_id?;
        (self.kind == SandboxKind::Qr)
            .then(|| qr::QrCode::signed(&self.info.id, session_id, now, &secret).content())
    }

    async fn callback(
        &self,
        params: &BTreeMap<String, String>,
        session: SessionContext<'_>,
    ) -> Result<Returned, ProviderError> {
        self.outcome_of_return(params, session)
            .await
            .map(Returned::from)
    }
}

/// Where the QR simulator keeps its per-session key in the provider state.
const QR_SECRET: &str = "qr_secret";

fn new_qr_state() -> Result<ProviderState, ProviderError> {
    let mut secret = [0u8; 32];
    SystemRandom::new()
        .fill(&mut secret)
        .map_err(|_| ProviderError::Config("the system random generator failed".into()))?;
    let mut state = ProviderState::default();
    state.0.insert(QR_SECRET.into(), hex::encode(secret).into());
    Ok(state)
}

fn qr_secret(state: Option<&ProviderState>) -> Option<Vec<u8>> {
    hex::decode(state?.get_str(QR_SECRET)?).ok()
}

impl SandboxProvider {
    /// The outcome the browser's return carries (the sandbox page's choice).
    async fn outcome_of_return(
        &self,
        params: &BTreeMap<String, String>,
        session: SessionContext<'_>,
    ) -> Result<ProviderOutcome, ProviderError> {
        // QR and push simulators answer through their app (which checks the code was read or
        // the request was sent to that identity); a redirect back would skip those checks.
        if matches!(self.kind, SandboxKind::Qr | SandboxKind::Push) {
            return Err(ProviderError::InvalidCallback(
                "this provider answers through its app, never by a redirect".into(),
            ));
        }
        let decision = params
            .get("outcome")
            .and_then(|o| Decision::parse(o))
            .ok_or_else(|| ProviderError::InvalidCallback("missing or unknown outcome".into()))?;
        let loa = match params.get("loa") {
            Some(text) => Some(
                text.parse::<u8>()
                    .map_err(|_| ProviderError::InvalidCallback("invalid loa".into()))?,
            ),
            None => None,
        };
        self.decide(
            SandboxChoice {
                decision,
                reason: params.get("reason").map(String::as_str),
                identity: params.get("identity").map(String::as_str),
                loa,
            },
            session,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn redirect() -> SandboxProvider {
        SandboxProvider::new(
            "sandbox",
            "Sandbox",
            SandboxKind::Redirect,
            SandboxSettings::default(),
        )
    }

    #[test]
    fn outcomes_carry_reason_codes() {
        let p = redirect();
        let ctx = SessionContext::default();
        let declined = p.decide(
            SandboxChoice {
                reason: Some("face_mismatch"),
                ..SandboxChoice::new(Decision::Declined)
            },
            ctx,
        );
        assert_eq!(
            declined.map(|o| o.reason),
            Ok(Some("face_mismatch".to_owned()))
        );
        assert!(
            p.decide(
                SandboxChoice {
                    reason: Some("<script>"),
                    ..SandboxChoice::new(Decision::Declined)
                },
                ctx
            )
            .is_err()
        );
        let approved = p.decide(SandboxChoice::new(Decision::Approved), ctx);
        assert_eq!(approved.as_ref().map(|o| o.achieved_loa), Ok(Some(3)));
        let evidence = approved.ok().and_then(|o| o.evidence);
        assert_eq!(
            evidence.and_then(|e| e.subject).as_deref(),
            Some("PNOEE-39001010000")
        );
        assert_eq!(
            p.decide(SandboxChoice::new(Decision::Cancelled), ctx)
                .map(|o| o.reason),
            Ok(Some("user_cancelled".to_owned()))
        );
        assert!(
            p.decide(
                SandboxChoice {
                    loa: Some(4),
                    ..SandboxChoice::new(Decision::Approved)
                },
                ctx
            )
            .is_err(),
            "above the provider's maximum"
        );
    }

    #[test]
    fn match_outcomes_compare_with_the_registry() {
        let p = SandboxProvider::new(
            "sandbox-match",
            "Match",
            SandboxKind::Match,
            SandboxSettings::default(),
        );
        let user: BTreeMap<String, String> =
            [("personalCode".to_owned(), "14038512345".to_owned())].into();
        let submitted: BTreeMap<String, String> =
            [("fullName".to_owned(), "Kari Nordmann".to_owned())].into();
        assert_eq!(p.check_input(&user, &submitted), Ok(()));
        assert_eq!(
            p.check_input(&BTreeMap::new(), &submitted)
                .map_err(|e| e.field),
            Err("userData.personalCode".to_owned())
        );
        assert_eq!(
            p.check_input(&user, &BTreeMap::new()).map_err(|e| e.field),
            Err("matchData.fullName".to_owned())
        );
        let ctx = SessionContext {
            user_data: Some(&user),
            match_data: Some(&submitted),
            ..SessionContext::default()
        };
        let outcome = p.decide(SandboxChoice::new(Decision::Approved), ctx);
        assert_eq!(
            outcome.ok().and_then(|o| o.match_result).map(|m| m.matched),
            Some(true)
        );
        let nobody: BTreeMap<String, String> =
            [("personalCode".to_owned(), "00000000000".to_owned())].into();
        let missing = p.decide(
            SandboxChoice::new(Decision::Approved),
            SessionContext {
                user_data: Some(&nobody),
                match_data: Some(&submitted),
                ..SessionContext::default()
            },
        );
        assert_eq!(
            missing.map(|o| (o.decision, o.reason)),
            Ok((Decision::Declined, Some("record_not_found".to_owned())))
        );
    }

    #[test]
    fn push_identifiers_are_validated() {
        let p = SandboxProvider::new(
            "sandbox-push",
            "Push",
            SandboxKind::Push,
            SandboxSettings::default(),
        );
        assert_eq!(
            p.check_identifier("pnoee-39001010000").as_deref(),
            Ok("PNOEE-39001010000")
        );
        assert!(p.check_identifier("12345").is_err());
        assert!(
            p.check_identifier("PNOEE-11111111111").is_err(),
            "well-formed, but nobody has it"
        );
        assert!(redirect().check_identifier("PNOEE-39001010000").is_err());
        let bad: BTreeMap<String, String> =
            [("registrationId".to_owned(), "nope".to_owned())].into();
        assert_eq!(
            p.check_input(&bad, &BTreeMap::new()).map_err(|e| e.field),
            Err("userData.registrationId".to_owned())
        );
    }
}
