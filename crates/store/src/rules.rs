//! Storage rules that mean the same on every engine, written once: which endpoints an outbox
//! event goes to, and what a stored idempotency key decides. Engines read the rows, ask these
//! functions, and write what they say, each in its own transaction.

use chrono::{DateTime, Utc};
use idgate_core::{EndpointId, SessionId, Status, webhook};

/// What the fan-out needs to know about an enabled endpoint of the partner.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EndpointFilter {
    pub id: EndpointId,
    /// Event types wanted; empty means all.
    pub event_types: Vec<String>,
    /// A per-verification endpoint hears only its own session.
    pub session_id: Option<SessionId>,
}

/// The endpoints that get a delivery of an event of `event_type` about `session`. An event
/// that no endpoint wants is not stored at all: nobody could learn its id to ask for it.
pub fn deliveries_for(
    endpoints: &[EndpointFilter],
    session: Option<SessionId>,
    event_type: &str,
) -> Vec<EndpointId> {
    endpoints
        .iter()
        .filter(|e| e.session_id.is_none() || e.session_id == session)
        .filter(|e| webhook::filter_wants(&e.event_types, event_type))
        .map(|e| e.id)
        .collect()
}

/// Why a per-verification endpoint stopped: its session is final and every event was sent.
pub const RETIRED: &str = "retired: its verification is final and every event was delivered";

/// The final statuses as an SQL list (`'approved', 'declined', …`), from the domain's rule.
pub fn terminal_statuses_sql() -> String {
    statuses_sql(Status::is_terminal)
}

fn statuses_sql(keep: impl Fn(Status) -> bool) -> String {
    Status::ALL
        .into_iter()
        .filter(|s| keep(*s))
        .map(|s| format!("'{}'", s.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The statuses in which a session takes media, as an SQL list (`'created', 'started'`).
pub fn media_open_statuses_sql() -> String {
    statuses_sql(|s| matches!(s, Status::Created | Status::Started))
}

/// Retires a per-verification endpoint (`{endpoint}` its id placeholder) once its session is
/// final and nothing is pending for it: it is read no more by the fan-out and holds no slot.
pub fn retire_endpoint_sql(endpoint: &str, disabled: &str) -> String {
    format!(
        "UPDATE webhook_endpoints SET enabled = {disabled}, disabled_reason = '{RETIRED}'
         WHERE id = {endpoint} AND session_id IS NOT NULL
           AND EXISTS (SELECT 1 FROM sessions s WHERE s.id = webhook_endpoints.session_id
                         AND s.status IN ({}))
           AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p
                           WHERE p.endpoint_id = {endpoint} AND p.status = 'pending')",
        terminal_statuses_sql()
    )
}

/// An idempotency key as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredKey<B> {
    pub request_digest: String,
    /// The answer, once the request completed (`state = completed`): status and the sealed
    /// body as the engine holds it.
    pub completed: Option<(u16, B)>,
    /// While a request runs: until when it holds the key.
    pub locked_until: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// What a claim of a key decides.
#[derive(Clone, Debug, PartialEq)]
pub enum KeyDecision<B> {
    /// Take the key (insert it, or overwrite what is there): the request runs.
    Claim,
    /// Answer what the first request answered.
    Replay { status: u16, body: B },
    /// The key came with another request body.
    Conflict,
    /// The first request still holds the key.
    InProgress,
}

/// The one rule for a claim: a key older than `forget_before` is forgotten; one used with
/// another body conflicts; a completed one replays; a running one (its lease not over) is
/// in progress; one whose request died (lease over, same body) is taken over.
pub fn decide_key<B>(
    found: Option<StoredKey<B>>,
    request_digest: &str,
    now: DateTime<Utc>,
    forget_before: DateTime<Utc>,
) -> KeyDecision<B> {
    let Some(found) = found.filter(|k| k.created_at >= forget_before) else {
        return KeyDecision::Claim;
    };
    if found.request_digest != request_digest {
        return KeyDecision::Conflict;
    }
    if let Some((status, body)) = found.completed {
        return KeyDecision::Replay { status, body };
    }
    match found.locked_until {
        Some(until) if until > now => KeyDecision::InProgress,
        _ => KeyDecision::Claim,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(secs: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_800_000_000 + secs, 0)
            .single()
            .unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
    }

    fn key(
        digest: &str,
        completed: Option<(u16, &'static str)>,
        locked: Option<i64>,
    ) -> StoredKey<&'static str> {
        StoredKey {
            request_digest: digest.to_owned(),
            completed,
            locked_until: locked.map(t),
            created_at: t(0),
        }
    }

    #[test]
    fn a_key_decides_one_way_whatever_the_engine() {
        let now = t(100);
        let forget = t(-1000);
        assert_eq!(
            decide_key::<&str>(None, "a", now, forget),
            KeyDecision::Claim
        );
        assert_eq!(
            decide_key(Some(key("b", None, Some(200))), "a", now, forget),
            KeyDecision::Conflict
        );
        assert_eq!(
            decide_key(Some(key("b", Some((201, "x")), None)), "a", now, forget),
            KeyDecision::Conflict,
            "another body conflicts even after completion"
        );
        assert_eq!(
            decide_key(Some(key("a", Some((201, "x")), None)), "a", now, forget),
            KeyDecision::Replay {
                status: 201,
                body: "x"
            }
        );
        assert_eq!(
            decide_key(Some(key("a", None, Some(200))), "a", now, forget),
            KeyDecision::InProgress
        );
        assert_eq!(
            decide_key(Some(key("a", None, Some(50))), "a", now, forget),
            KeyDecision::Claim,
            "a dead request's lease is taken over"
        );
        assert_eq!(
            decide_key(Some(key("b", Some((201, "x")), None)), "a", now, t(10)),
            KeyDecision::Claim,
            "a forgotten key is new again, whatever it held"
        );
    }

    #[test]
    fn events_go_to_the_endpoints_that_want_them() {
        let mine = SessionId::new();
        let all = EndpointFilter {
            id: EndpointId::new(),
            event_types: vec![],
            session_id: None,
        };
        let approvals = EndpointFilter {
            id: EndpointId::new(),
            event_types: vec!["session.approved".into()],
            session_id: None,
        };
        let scoped = EndpointFilter {
            id: EndpointId::new(),
            event_types: vec![],
            session_id: Some(mine),
        };
        let endpoints = [all.clone(), approvals.clone(), scoped.clone()];
        assert_eq!(
            deliveries_for(&endpoints, Some(mine), "session.approved"),
            vec![all.id, approvals.id, scoped.id]
        );
        assert_eq!(
            deliveries_for(&endpoints, Some(SessionId::new()), "session.started"),
            vec![all.id]
        );
        assert_eq!(
            deliveries_for(&endpoints, None, "webhook.test"),
            vec![all.id]
        );
    }
}
