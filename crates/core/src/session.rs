//! Verification sessions and their event timeline.

use crate::ids::{PartnerId, SessionId};
use crate::lifecycle::{LifecycleError, LifecycleEvent, Status, Transition};
use crate::personal::{ApplicantData, MatchData, MatchResult, ProviderEvidence, ResultClaims};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The API dialect a session was created through; it decides how the session is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dialect {
    EasyFreelance,
    /// Hopae Connect (`/connect/v1`).
    Hopae,
    /// Veriff's sessions API (`/v1`).
    Veriff,
    /// deepidv's sessions API (`/v1`, told from Veriff's by its `x-api-key`).
    DeepIdv,
}

impl Dialect {
    pub fn as_str(self) -> &'static str {
        match self {
            Dialect::EasyFreelance => "easyfreelance",
            Dialect::Hopae => "hopae",
            Dialect::Veriff => "veriff",
            Dialect::DeepIdv => "deepidv",
        }
    }
}

impl FromStr for Dialect {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "easyfreelance" => Ok(Dialect::EasyFreelance),
            "hopae" => Ok(Dialect::Hopae),
            "veriff" => Ok(Dialect::Veriff),
            "deepidv" => Ok(Dialect::DeepIdv),
            other => Err(format!("unknown dialect {other:?}")),
        }
    }
}

/// Who caused a session event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Actor {
    Partner,
    EndUser,
    Provider,
    Operator,
    System,
}

impl Actor {
    pub fn as_str(self) -> &'static str {
        match self {
            Actor::Partner => "partner",
            Actor::EndUser => "end_user",
            Actor::Provider => "provider",
            Actor::Operator => "operator",
            Actor::System => "system",
        }
    }
}

impl FromStr for Actor {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [
            Actor::Partner,
            Actor::EndUser,
            Actor::Provider,
            Actor::Operator,
            Actor::System,
        ]
        .into_iter()
        .find(|a| a.as_str() == s)
        .ok_or_else(|| format!("unknown actor {s:?}"))
    }
}

/// The partner's own references for the person or the case, as each dialect names them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExternalRefs {
    /// EasyFreelance `users/{id}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// Veriff `vendorData`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor_data: Option<String>,
    /// Veriff `endUserId`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_user_id: Option<String>,
    /// deepidv `external_id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
}

/// A verification session.
#[derive(Clone, Debug, PartialEq)]
pub struct Session {
    pub id: SessionId,
    pub partner_id: PartnerId,
    pub dialect: Dialect,
    /// The configured provider id (`veriff`, `bankid`, `sandbox`, …).
    pub provider_id: String,
    pub status: Status,
    /// Stable reason code for the current status (`document_expired`, `user_cancelled`, …).
    pub reason: Option<String>,
    /// The provider's own status word, kept for support.
    pub raw_provider_status: Option<String>,
    pub external_refs: ExternalRefs,
    /// Dialect-specific options that change nothing in the core (EasyFreelance `id_type`).
    pub dialect_options: serde_json::Map<String, serde_json::Value>,
    pub applicant: Option<ApplicantData>,
    pub requested_loa: Option<u8>,
    pub requested_claims: Vec<String>,
    pub match_data: Option<MatchData>,
    pub return_url: Option<String>,
    /// Digest of the hosted-flow access token; the token itself is never stored.
    pub access_token_digest: String,
    pub provider_reference: Option<String>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub decided_at: Option<DateTime<Utc>>,
    pub expires_at: DateTime<Utc>,
    pub achieved_loa: Option<u8>,
    pub result_claims: Option<ResultClaims>,
    pub match_result: Option<MatchResult>,
    pub evidence: Option<ProviderEvidence>,
    /// What the provider's adapter keeps between the calls of one flow (BankID's order
    /// reference and QR secret, a QR simulator's key): sealed at rest like personal data.
    pub provider_state: Option<ProviderState>,
    /// Sequence number of the last recorded event; the store's optimistic-concurrency check.
    pub version: i64,
}

/// An adapter's per-session values, opaque to everything but that adapter.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ProviderState(pub serde_json::Map<String, serde_json::Value>);

impl ProviderState {
    pub fn get_str(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(serde_json::Value::as_str)
    }
}

/// Secrets live here: never printed.
impl fmt::Debug for ProviderState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ProviderState(<redacted>)")
    }
}

/// What a dialect asks for when it creates a session.
#[derive(Clone, Debug, Default)]
pub struct NewSession {
    /// An id chosen in advance (to set up things that must exist before the session's first
    /// event, such as a per-verification webhook endpoint); a fresh one when `None`.
    pub id: Option<SessionId>,
    pub provider_id: String,
    /// Providers the person may choose from on the hosted page instead (the partner's offer,
    /// where the dialect names none); empty: `provider_id` it is. The service keeps those that
    /// meet the request (level of assurance, the person's country) and skips the choice when
    /// only one remains.
    pub provider_choices: Vec<String>,
    pub external_refs: ExternalRefs,
    pub dialect_options: serde_json::Map<String, serde_json::Value>,
    pub applicant: Option<ApplicantData>,
    pub requested_loa: Option<u8>,
    pub requested_claims: Vec<String>,
    pub match_data: Option<MatchData>,
    /// The return URL as the partner sent it: a candidate the service checks against the
    /// partner's approved rules (the session stores the canonical form it matched).
    pub return_url: Option<String>,
    /// A webhook URL for this session alone (Hopae's per-verification `webhookUrl`), written
    /// with the session.
    pub webhook_url: Option<String>,
    pub lifetime: Option<Duration>,
    /// Invitations to send the applicant (to the email address or phone number in
    /// `applicant`), written with the session and sent by the invite job.
    pub invites: Vec<crate::InviteChannel>,
    /// Tokens the session costs from the partner's balance (0: free).
    pub token_cost: u32,
}

/// One recorded transition of a session: the timeline, the audit trail, the webhook source.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SessionEvent {
    pub session_id: SessionId,
    /// 1 for creation, then +1 per transition, per session.
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub actor: Actor,
    /// `None` for the creation event.
    pub event: Option<LifecycleEvent>,
    pub from_status: Option<Status>,
    pub to_status: Status,
    pub reason: Option<String>,
    /// Non-personal details (provider status word, sandbox choice…).
    pub details: serde_json::Value,
}

/// What to record about a transition besides the event itself.
#[derive(Clone, Debug, Default)]
pub struct TransitionNote {
    pub reason: Option<String>,
    pub raw_provider_status: Option<String>,
    pub details: serde_json::Value,
}

/// Where in `dialect_options` a session keeps the providers its person may choose from.
pub const PROVIDER_CHOICES: &str = "providerChoices";

/// Where in `dialect_options` a session keeps the OpenID Connect sign-in it serves (set by the
/// service alone, never from a partner's request).
pub const SIGN_IN_REQUEST: &str = "oidc";

impl Session {
    /// The providers the person may choose from on the hosted page (more than one), or empty.
    pub fn provider_choices(&self) -> Vec<String> {
        self.dialect_options
            .get(PROVIDER_CHOICES)
            .and_then(|v| v.as_array())
            .map(|list| {
                list.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// A fresh session in `created`, with its creation event (seq 1, by the partner).
    pub fn create(
        id: SessionId,
        partner_id: PartnerId,
        dialect: Dialect,
        new: NewSession,
        access_token_digest: String,
        default_lifetime: Duration,
        now: DateTime<Utc>,
    ) -> (Session, SessionEvent) {
        let lifetime = new.lifetime.unwrap_or(default_lifetime);
        let session = Session {
            id,
            partner_id,
            dialect,
            provider_id: new.provider_id,
            status: Status::Created,
            reason: None,
            raw_provider_status: None,
            external_refs: new.external_refs,
            dialect_options: new.dialect_options,
            applicant: new.applicant,
            requested_loa: new.requested_loa,
            requested_claims: new.requested_claims,
            match_data: new.match_data,
            return_url: new.return_url,
            access_token_digest,
            provider_reference: None,
            created_at: now,
            started_at: None,
            submitted_at: None,
            decided_at: None,
            expires_at: now + lifetime,
            achieved_loa: None,
            result_claims: None,
            match_result: None,
            evidence: None,
            provider_state: None,
            version: 1,
        };
        let event = SessionEvent {
            session_id: id,
            seq: 1,
            at: now,
            actor: Actor::Partner,
            event: None,
            from_status: None,
            to_status: Status::Created,
            reason: None,
            details: serde_json::Value::Null,
        };
        (session, event)
    }

    /// Applies `event`, updating status, reason and timestamps. Returns the event to record,
    /// or `None` when the event repeats what already happened.
    pub fn apply(
        &mut self,
        event: LifecycleEvent,
        actor: Actor,
        note: TransitionNote,
        now: DateTime<Utc>,
    ) -> Result<Option<SessionEvent>, LifecycleError> {
        let (from, to) = match self.status.apply(event)? {
            Transition::Unchanged(_) => return Ok(None),
            Transition::Moved { from, to } => (from, to),
        };
        self.status = to;
        match to {
            Status::Started => {
                self.started_at = Some(now);
                self.reason = None;
            }
            Status::Submitted => self.submitted_at = Some(now),
            _ => {}
        }
        if to.is_terminal() || to == Status::ResubmissionRequested {
            self.decided_at = Some(now);
        }
        if to != Status::Started {
            self.reason = note.reason.clone();
        }
        if note.raw_provider_status.is_some() {
            self.raw_provider_status = note.raw_provider_status;
        }
        self.version += 1;
        Ok(Some(SessionEvent {
            session_id: self.id,
            seq: self.version,
            at: now,
            actor,
            event: Some(event),
            from_status: Some(from),
            to_status: to,
            reason: note.reason,
            details: note.details,
        }))
    }

    /// The reason code expiry records: the user never began, or began and did not finish.
    pub fn expiry_reason(&self) -> &'static str {
        if self.status == Status::Created {
            "session_expired"
        } else {
            "abandoned"
        }
    }

    pub fn is_expired_at(&self, now: DateTime<Utc>) -> bool {
        now >= self.expires_at
    }

    /// Whether `achieved` reaches the level the partner asked for (any level does when none
    /// was asked for; no level never reaches one that was).
    pub fn assurance_met(&self, achieved: Option<u8>) -> bool {
        match (self.requested_loa, achieved) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(requested), Some(got)) => got >= requested,
        }
    }

    /// Requested claims the provider did not deliver, in the order they were requested.
    pub fn missing_claims(&self) -> Vec<String> {
        self.requested_claims
            .iter()
            .filter(|c| {
                self.result_claims
                    .as_ref()
                    .is_none_or(|r| r.0.get(c.as_str()).is_none_or(|v| v.is_null()))
            })
            .cloned()
            .collect()
    }
}

impl fmt::Display for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "session {} ({})", self.id, self.status)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fresh() -> Session {
        let now = DateTime::<Utc>::UNIX_EPOCH;
        Session::create(
            SessionId::new(),
            PartnerId::new(),
            Dialect::EasyFreelance,
            NewSession {
                provider_id: "sandbox".into(),
                ..NewSession::default()
            },
            "digest".into(),
            Duration::days(7),
            now,
        )
        .0
    }

    #[test]
    fn events_carry_increasing_sequence_numbers_and_duplicates_record_nothing() {
        let mut s = fresh();
        let now = s.created_at;
        let e1 = s
            .apply(
                LifecycleEvent::Start,
                Actor::EndUser,
                TransitionNote::default(),
                now,
            )
            .ok()
            .flatten();
        assert_eq!(e1.map(|e| e.seq), Some(2));
        let dup = s.apply(
            LifecycleEvent::Start,
            Actor::EndUser,
            TransitionNote::default(),
            now,
        );
        assert_eq!(dup, Ok(None));
        let e2 = s
            .apply(
                LifecycleEvent::Submit,
                Actor::Provider,
                TransitionNote::default(),
                now,
            )
            .ok()
            .flatten();
        assert_eq!(e2.map(|e| e.seq), Some(3));
        let decline = TransitionNote {
            reason: Some("document_expired".into()),
            ..TransitionNote::default()
        };
        let e3 = s
            .apply(LifecycleEvent::Decline, Actor::Provider, decline, now)
            .ok()
            .flatten();
        assert_eq!(e3.as_ref().map(|e| e.to_status), Some(Status::Declined));
        assert_eq!(s.reason.as_deref(), Some("document_expired"));
        assert_eq!(s.decided_at, Some(now));
        assert_eq!(s.version, 4);
        assert!(
            s.apply(
                LifecycleEvent::Approve,
                Actor::Provider,
                TransitionNote::default(),
                now
            )
            .is_err()
        );
        assert_eq!(s.status, Status::Declined);
    }

    #[test]
    fn expiry_depends_on_progress() {
        let mut s = fresh();
        assert_eq!(s.expiry_reason(), "session_expired");
        assert!(!s.is_expired_at(s.created_at));
        assert!(s.is_expired_at(s.expires_at));
        let now = s.created_at;
        let _ = s.apply(
            LifecycleEvent::Start,
            Actor::EndUser,
            TransitionNote::default(),
            now,
        );
        assert_eq!(s.expiry_reason(), "abandoned");
        let _ = s.apply(
            LifecycleEvent::Expire,
            Actor::System,
            TransitionNote::default(),
            now,
        );
        assert_eq!(s.status, Status::Abandoned);
    }

    #[test]
    fn assurance_and_missing_claims() {
        let mut s = fresh();
        assert!(s.assurance_met(None));
        s.requested_loa = Some(3);
        assert!(!s.assurance_met(None));
        assert!(!s.assurance_met(Some(2)));
        assert!(s.assurance_met(Some(3)));
        assert!(s.assurance_met(Some(4)));
        s.requested_claims = vec!["given_name".into(), "email".into(), "nationality".into()];
        assert_eq!(s.missing_claims().len(), 3);
        let mut claims = serde_json::Map::new();
        claims.insert("given_name".into(), "Ada".into());
        claims.insert("nationality".into(), serde_json::Value::Null);
        s.result_claims = Some(ResultClaims(claims));
        assert_eq!(s.missing_claims(), vec!["email", "nationality"]);
    }

    #[test]
    fn debug_never_prints_personal_data() {
        let mut s = fresh();
        s.applicant = Some(ApplicantData {
            first_name: Some("Kari".into()),
            national_id: Some("01019912345".into()),
            ..ApplicantData::default()
        });
        let printed = format!("{s:?}");
        assert!(!printed.contains("Kari"));
        assert!(!printed.contains("01019912345"));
        assert!(printed.contains("redacted"));
    }
}
