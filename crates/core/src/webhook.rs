//! Partner webhooks: endpoints, events, deliveries and the retry policy. Pure rules; the
//! store persists these, the server signs and sends them.

use crate::ids::{PartnerId, SessionId};
use crate::lifecycle::Status;
use crate::session::Dialect;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

macro_rules! prefixed_id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub Uuid);

        impl $name {
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!($prefix, "{}"), self.0.simple())
            }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.strip_prefix($prefix)
                    .and_then(|rest| Uuid::try_parse(rest).ok())
                    .map(Self)
                    .ok_or_else(|| format!(concat!("not a ", $prefix, "… id: {:?}"), s))
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = String::deserialize(d)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

prefixed_id!(
    /// A webhook endpoint (`ep_…`).
    EndpointId, "ep_"
);
prefixed_id!(
    /// A webhook event (`evt_…`): the `webhook-id` a receiver deduplicates on.
    EventId, "evt_"
);
prefixed_id!(
    /// One event's delivery to one endpoint (`dlv_…`).
    DeliveryId, "dlv_"
);

/// Every event type idgate sends.
pub const EVENT_TYPES: [&str; 12] = [
    "session.created",
    "session.started",
    "session.submitted",
    "session.approved",
    "session.declined",
    "session.resubmission_requested",
    "session.review",
    "session.expired",
    "session.abandoned",
    "session.cancelled",
    "session.failed",
    "webhook.test",
];

/// The event type announcing that a session reached `status`.
pub fn event_type_for(status: Status) -> String {
    format!("session.{}", status.as_str())
}

/// A shared secret of an endpoint (raw bytes; shown to the partner as `whsec_<base64>`).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointSecret {
    pub id: String,
    #[serde(with = "hex::serde")]
    pub key: Vec<u8>,
    pub created_at: DateTime<Utc>,
    /// Set when a newer secret replaced this one: it keeps signing until then.
    pub expires_at: Option<DateTime<Utc>>,
}

impl fmt::Debug for EndpointSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EndpointSecret")
            .field("id", &self.id)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// How an endpoint's reason starts when idgate disabled it for failing: such an endpoint
/// still receives (holds) new events, sent once it is enabled again; one its partner disabled
/// does not.
pub const AUTO_DISABLED: &str = "deliveries failed without a success";

/// A partner's webhook endpoint.
#[derive(Clone, Debug, PartialEq)]
pub struct WebhookEndpoint {
    pub id: EndpointId,
    pub partner_id: PartnerId,
    pub url: String,
    /// Event types sent here; empty means all.
    pub event_types: Vec<String>,
    pub enabled: bool,
    /// Add the session's result claims (personal data) to its events.
    pub include_claims: bool,
    /// Add an Ed25519 (`v1a,`) signature beside the HMAC ones.
    pub sign_ed25519: bool,
    pub secrets: Vec<EndpointSecret>,
    /// First failure of the current unbroken run of failures.
    pub failing_since: Option<DateTime<Utc>>,
    pub disabled_reason: Option<String>,
    /// Set for an endpoint that serves one verification only (a per-verification webhook
    /// URL); such endpoints receive that session's events and nothing else.
    pub session_id: Option<SessionId>,
    /// Deliveries here also carry the signature of this credential of the partner (a Veriff
    /// integration signs with its API key and shared secret), in its dialect's headers.
    pub signing_credential: Option<crate::CredentialId>,
    /// What a dialect keeps about this endpoint in its own terms (a Hopae app's webhook
    /// config: the app, the event names it subscribed with, its retry settings); opaque here.
    pub dialect_settings: Option<serde_json::Map<String, serde_json::Value>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl WebhookEndpoint {
    /// The secrets that sign at `now` (the current one, and older ones in their overlap).
    pub fn signing_secrets(&self, now: DateTime<Utc>) -> Vec<&EndpointSecret> {
        self.secrets
            .iter()
            .filter(|s| s.expires_at.is_none_or(|end| end > now))
            .collect()
    }

    pub fn wants(&self, event_type: &str) -> bool {
        filter_wants(&self.event_types, event_type)
    }

    /// Replaces the current secret with `new`; older ones keep signing for `overlap`.
    pub fn rotate(&mut self, new: EndpointSecret, overlap: Duration, now: DateTime<Utc>) {
        for old in &mut self.secrets {
            let end = now + overlap;
            old.expires_at = Some(old.expires_at.map_or(end, |e| e.min(end)));
        }
        self.secrets
            .retain(|s| s.expires_at.is_none_or(|end| end > now));
        self.secrets.push(new);
        self.updated_at = now;
    }

    /// Records a failed attempt; disables the endpoint after `disable_after` of unbroken
    /// failure. Returns true when this call disabled it.
    pub fn record_failure(&mut self, now: DateTime<Utc>, disable_after: Duration) -> bool {
        let since = *self.failing_since.get_or_insert(now);
        if self.enabled && now - since >= disable_after {
            self.enabled = false;
            self.disabled_reason = Some(format!(
                "{AUTO_DISABLED} since {}",
                since.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            ));
            self.updated_at = now;
            return true;
        }
        false
    }

    pub fn record_success(&mut self) {
        self.failing_since = None;
    }
}

/// Whether an endpoint's event-type filter lets `event_type` through (an empty filter takes all).
/// The stores apply it to the filter column they read, so it is a function of the filter alone.
pub fn filter_wants(event_types: &[String], event_type: &str) -> bool {
    event_types.is_empty() || event_types.iter().any(|t| t == event_type)
}

/// Checks an event-type filter; returns the unknown names.
pub fn unknown_event_types(types: &[String]) -> Vec<String> {
    types
        .iter()
        .filter(|t| !EVENT_TYPES.contains(&t.as_str()))
        .cloned()
        .collect()
}

/// Something that happened, as partners receive it. The payload carries no personal data.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WebhookEvent {
    pub id: EventId,
    pub partner_id: PartnerId,
    pub session_id: Option<SessionId>,
    /// The session event's sequence number (deliveries of one session go out in this order).
    pub seq: Option<i64>,
    pub event_type: String,
    pub created_at: DateTime<Utc>,
    /// The dialect whose partners this event is shaped for (it decides extra signature
    /// headers at delivery); `None` for partner-level events such as a test event.
    pub dialect: Option<Dialect>,
    /// The JSON body sent (the dialect's envelope; idgate's is `{id, type, timestamp, data}`).
    pub payload: serde_json::Value,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    Pending,
    Delivered,
    /// The retry schedule ran out; redeliver to try again.
    Dead,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Dead => "dead",
        }
    }
}

impl FromStr for DeliveryStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "pending" => Ok(DeliveryStatus::Pending),
            "delivered" => Ok(DeliveryStatus::Delivered),
            "dead" => Ok(DeliveryStatus::Dead),
            other => Err(format!(
                "unknown delivery status {other:?}: use pending, delivered or dead"
            )),
        }
    }
}

/// One event on its way to one endpoint.
#[derive(Clone, Debug, PartialEq)]
pub struct Delivery {
    pub id: DeliveryId,
    pub event_id: EventId,
    pub endpoint_id: EndpointId,
    pub session_id: Option<SessionId>,
    pub seq: Option<i64>,
    pub status: DeliveryStatus,
    /// Attempts made so far.
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub last_status_code: Option<u16>,
    pub last_error: Option<String>,
}

/// What one attempt did.
#[derive(Clone, Debug, PartialEq)]
pub struct DeliveryAttempt {
    pub delivery_id: DeliveryId,
    /// 1 for the first attempt.
    pub attempt: i32,
    pub at: DateTime<Utc>,
    pub status_code: Option<u16>,
    pub duration_ms: i64,
    pub error: Option<String>,
    /// The start of the receiver's answer (at most [`MAX_RECORDED_BODY`] bytes).
    pub response_body: Option<String>,
}

pub const MAX_RECORDED_BODY: usize = 1024;

/// How an attempt ended, for the retry policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttemptOutcome {
    Delivered,
    /// Any other answer or network failure.
    Failed,
    /// 429 or a timeout: the receiver is overloaded, back off more.
    Throttled,
}

/// When to try again.
#[derive(Clone, Debug, PartialEq)]
pub struct RetryPolicy {
    /// Delay before attempt n+1 (index 0: the first attempt, normally immediate).
    pub schedule: Vec<Duration>,
    /// ± fraction applied to every delay (0.2 = ±20 %).
    pub jitter: f64,
    /// Upper bound on a receiver's `Retry-After`.
    pub max_retry_after: Duration,
}

impl RetryPolicy {
    /// The delay before the next attempt after `attempts` failed ones, or `None` when the
    /// schedule is exhausted (the delivery is dead). `unit` is a uniform random number in
    /// [0, 1) for the jitter.
    pub fn next_delay(
        &self,
        attempts: usize,
        outcome: AttemptOutcome,
        retry_after: Option<Duration>,
        unit: f64,
    ) -> Option<Duration> {
        let base = *self.schedule.get(attempts)?;
        let base = if outcome == AttemptOutcome::Throttled {
            base * 2
        } else {
            base
        };
        let factor = 1.0 + self.jitter * (2.0 * unit.clamp(0.0, 1.0) - 1.0);
        let millis = (base.num_milliseconds() as f64 * factor).round() as i64;
        let mut delay = Duration::milliseconds(millis.max(0));
        if let Some(asked) = retry_after {
            delay = delay.max(asked.min(self.max_retry_after));
        }
        Some(delay)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            schedule: [0, 5, 300, 1800, 7200, 18000, 36000, 36000]
                .map(Duration::seconds)
                .to_vec(),
            jitter: 0.2,
            max_retry_after: Duration::hours(1),
        }
    }

    #[test]
    fn the_schedule_with_jitter_then_dead() {
        let p = policy();
        let d = |n, unit| p.next_delay(n, AttemptOutcome::Failed, None, unit);
        assert_eq!(d(1, 0.5), Some(Duration::seconds(5)));
        assert_eq!(d(1, 0.0), Some(Duration::seconds(4)));
        assert_eq!(d(2, 1.0), Some(Duration::seconds(360)));
        assert_eq!(d(7, 0.5), Some(Duration::seconds(36000)));
        assert_eq!(d(8, 0.5), None, "eight attempts, then dead");
    }

    #[test]
    fn throttling_slows_down_and_retry_after_is_bounded() {
        let p = policy();
        assert_eq!(
            p.next_delay(1, AttemptOutcome::Throttled, None, 0.5),
            Some(Duration::seconds(10))
        );
        assert_eq!(
            p.next_delay(
                1,
                AttemptOutcome::Throttled,
                Some(Duration::seconds(120)),
                0.5
            ),
            Some(Duration::seconds(120))
        );
        assert_eq!(
            p.next_delay(1, AttemptOutcome::Throttled, Some(Duration::days(3)), 0.5),
            Some(Duration::hours(1))
        );
        // Retry-After never makes a retry sooner than the schedule.
        assert_eq!(
            p.next_delay(3, AttemptOutcome::Failed, Some(Duration::seconds(1)), 0.5),
            Some(Duration::seconds(1800))
        );
    }

    fn endpoint() -> WebhookEndpoint {
        let now = DateTime::<Utc>::UNIX_EPOCH;
        WebhookEndpoint {
            id: EndpointId::new(),
            partner_id: PartnerId::new(),
            url: "https://partner.example/hooks".into(),
            event_types: vec![],
            enabled: true,
            include_claims: false,
            sign_ed25519: false,
            secrets: vec![EndpointSecret {
                id: "s1".into(),
                key: vec![1; 32],
                created_at: now,
                expires_at: None,
            }],
            failing_since: None,
            disabled_reason: None,
            session_id: None,
            signing_credential: None,
            dialect_settings: None,
            created_at: now,
            updated_at: now,
        }
    }

    #[test]
    fn rotation_keeps_the_old_secret_for_the_overlap() {
        let mut ep = endpoint();
        let t0 = DateTime::<Utc>::UNIX_EPOCH + Duration::days(1);
        let new = EndpointSecret {
            id: "s2".into(),
            key: vec![2; 32],
            created_at: t0,
            expires_at: None,
        };
        ep.rotate(new, Duration::hours(24), t0);
        let ids = |at| {
            ep.signing_secrets(at)
                .iter()
                .map(|s| s.id.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(t0 + Duration::hours(23)), vec!["s1", "s2"]);
        assert_eq!(ids(t0 + Duration::hours(24)), vec!["s2"]);
    }

    #[test]
    fn unbroken_failure_disables_and_success_resets() {
        let mut ep = endpoint();
        let t0 = DateTime::<Utc>::UNIX_EPOCH;
        assert!(!ep.record_failure(t0, Duration::days(5)));
        assert!(!ep.record_failure(t0 + Duration::days(4), Duration::days(5)));
        ep.record_success();
        assert!(!ep.record_failure(t0 + Duration::days(6), Duration::days(5)));
        assert!(ep.record_failure(t0 + Duration::days(11), Duration::days(5)));
        assert!(!ep.enabled);
        assert!(ep.disabled_reason.is_some());
    }

    #[test]
    fn filters_and_ids() {
        let mut ep = endpoint();
        assert!(ep.wants("session.approved"));
        ep.event_types = vec!["session.approved".into()];
        assert!(!ep.wants("session.declined"));
        assert_eq!(
            unknown_event_types(&["session.approved".into(), "session.exploded".into()]),
            vec!["session.exploded".to_string()]
        );
        let id = EventId::new();
        assert_eq!(id.to_string().parse::<EventId>(), Ok(id));
        assert!("ep_nothex".parse::<EndpointId>().is_err());
        for status in Status::ALL {
            assert!(EVENT_TYPES.contains(&event_type_for(status).as_str()));
        }
    }
}
