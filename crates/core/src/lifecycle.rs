//! The canonical session lifecycle. Every dialect shows these statuses in its own words;
//! every transition in idgate goes through [`Status::apply`].
//!
//! ```text
//! created → started → submitted → approved | declined | resubmission_requested | review
//! review → approved | declined          resubmission_requested → started
//! created → expired;  started | submitted | resubmission_requested → abandoned  (at expiry)
//! created | started → cancelled;  any non-terminal → failed (technical failure)
//! ```

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Where a session stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Created,
    Started,
    Submitted,
    Review,
    ResubmissionRequested,
    Approved,
    Declined,
    Expired,
    Abandoned,
    Cancelled,
    Failed,
}

impl Status {
    pub const ALL: [Status; 11] = [
        Status::Created,
        Status::Started,
        Status::Submitted,
        Status::Review,
        Status::ResubmissionRequested,
        Status::Approved,
        Status::Declined,
        Status::Expired,
        Status::Abandoned,
        Status::Cancelled,
        Status::Failed,
    ];

    /// Statuses the expiry job looks at. `review` waits for a decision and does not expire.
    pub const EXPIRABLE: [Status; 4] = [
        Status::Created,
        Status::Started,
        Status::Submitted,
        Status::ResubmissionRequested,
    ];

    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            Status::Approved
                | Status::Declined
                | Status::Expired
                | Status::Abandoned
                | Status::Cancelled
                | Status::Failed
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Created => "created",
            Status::Started => "started",
            Status::Submitted => "submitted",
            Status::Review => "review",
            Status::ResubmissionRequested => "resubmission_requested",
            Status::Approved => "approved",
            Status::Declined => "declined",
            Status::Expired => "expired",
            Status::Abandoned => "abandoned",
            Status::Cancelled => "cancelled",
            Status::Failed => "failed",
        }
    }

    /// The designed transition for `event` from this status, or why there is none.
    ///
    /// Returns [`Transition::Unchanged`] when the session is already where the event would
    /// take it (a duplicate report), so providers and users may repeat themselves safely.
    pub fn apply(self, event: LifecycleEvent) -> Result<Transition, LifecycleError> {
        use LifecycleEvent as E;
        use Status as S;
        let target = match (self, event) {
            (S::Created, E::Start) => S::Started,
            (S::ResubmissionRequested, E::Start) => S::Started,
            (S::Started, E::Submit) => S::Submitted,
            (S::Submitted, E::Approve) | (S::Review, E::Approve) => S::Approved,
            (S::Submitted, E::Decline) | (S::Review, E::Decline) => S::Declined,
            (S::Submitted, E::RequestResubmission) => S::ResubmissionRequested,
            (S::Submitted, E::Review) => S::Review,
            (S::Created, E::Cancel) | (S::Started, E::Cancel) => S::Cancelled,
            (S::Created, E::Expire) => S::Expired,
            (S::Started | S::Submitted | S::ResubmissionRequested, E::Expire) => S::Abandoned,
            (s, E::Fail) if !s.is_terminal() => S::Failed,
            (current, event) => {
                // A repeat of the report that brought the session here changes nothing.
                if event.leads_to(current) {
                    return Ok(Transition::Unchanged(current));
                }
                return Err(if current.is_terminal() {
                    LifecycleError::Terminal {
                        status: current,
                        event,
                    }
                } else {
                    LifecycleError::NotAllowed {
                        status: current,
                        event,
                    }
                });
            }
        };
        Ok(Transition::Moved {
            from: self,
            to: target,
        })
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Status {
    type Err = UnknownStatus;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Status::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
            .ok_or_else(|| UnknownStatus(s.to_owned()))
    }
}

#[derive(Debug, thiserror::Error)]
#[error("unknown session status {0:?}")]
pub struct UnknownStatus(pub String);

/// Something that happened to a session, reported by a partner, the end user, a provider,
/// an operator or the system.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LifecycleEvent {
    Start,
    Submit,
    Approve,
    Decline,
    RequestResubmission,
    Review,
    Cancel,
    Expire,
    Fail,
}

impl LifecycleEvent {
    pub const ALL: [LifecycleEvent; 9] = [
        LifecycleEvent::Start,
        LifecycleEvent::Submit,
        LifecycleEvent::Approve,
        LifecycleEvent::Decline,
        LifecycleEvent::RequestResubmission,
        LifecycleEvent::Review,
        LifecycleEvent::Cancel,
        LifecycleEvent::Expire,
        LifecycleEvent::Fail,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            LifecycleEvent::Start => "start",
            LifecycleEvent::Submit => "submit",
            LifecycleEvent::Approve => "approve",
            LifecycleEvent::Decline => "decline",
            LifecycleEvent::RequestResubmission => "request_resubmission",
            LifecycleEvent::Review => "review",
            LifecycleEvent::Cancel => "cancel",
            LifecycleEvent::Expire => "expire",
            LifecycleEvent::Fail => "fail",
        }
    }

    /// Whether this event, when it moves a session, can leave it in `status`.
    fn leads_to(self, status: Status) -> bool {
        use LifecycleEvent as E;
        use Status as S;
        matches!(
            (self, status),
            (E::Start, S::Started)
                | (E::Submit, S::Submitted)
                | (E::Approve, S::Approved)
                | (E::Decline, S::Declined)
                | (E::RequestResubmission, S::ResubmissionRequested)
                | (E::Review, S::Review)
                | (E::Cancel, S::Cancelled)
                | (E::Expire, S::Expired | S::Abandoned)
                | (E::Fail, S::Failed)
        )
    }
}

impl FromStr for LifecycleEvent {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        LifecycleEvent::ALL
            .into_iter()
            .find(|e| e.as_str() == s)
            .ok_or_else(|| format!("unknown lifecycle event {s:?}"))
    }
}

impl fmt::Display for LifecycleEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The result of applying an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transition {
    Moved {
        from: Status,
        to: Status,
    },
    /// The session already is where the event leads: nothing to record.
    Unchanged(Status),
}

impl Transition {
    pub fn status(self) -> Status {
        match self {
            Transition::Moved { to, .. } => to,
            Transition::Unchanged(s) => s,
        }
    }
}

/// Why an event cannot be applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LifecycleError {
    #[error("a {status} session is final and cannot {event}")]
    Terminal {
        status: Status,
        event: LifecycleEvent,
    },
    #[error("a {status} session cannot {event}")]
    NotAllowed {
        status: Status,
        event: LifecycleEvent,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use LifecycleEvent as E;
    use Status as S;

    /// The designed transitions, written out once more independently of `apply`.
    const DESIGNED: &[(Status, LifecycleEvent, Status)] = &[
        (S::Created, E::Start, S::Started),
        (S::Created, E::Cancel, S::Cancelled),
        (S::Created, E::Expire, S::Expired),
        (S::Created, E::Fail, S::Failed),
        (S::Started, E::Submit, S::Submitted),
        (S::Started, E::Cancel, S::Cancelled),
        (S::Started, E::Expire, S::Abandoned),
        (S::Started, E::Fail, S::Failed),
        (S::Submitted, E::Approve, S::Approved),
        (S::Submitted, E::Decline, S::Declined),
        (
            S::Submitted,
            E::RequestResubmission,
            S::ResubmissionRequested,
        ),
        (S::Submitted, E::Review, S::Review),
        (S::Submitted, E::Expire, S::Abandoned),
        (S::Submitted, E::Fail, S::Failed),
        (S::Review, E::Approve, S::Approved),
        (S::Review, E::Decline, S::Declined),
        (S::Review, E::Fail, S::Failed),
        (S::ResubmissionRequested, E::Start, S::Started),
        (S::ResubmissionRequested, E::Expire, S::Abandoned),
        (S::ResubmissionRequested, E::Fail, S::Failed),
    ];

    /// Repeats of the report that brought a session to its status.
    const DUPLICATES: &[(Status, LifecycleEvent)] = &[
        (S::Started, E::Start),
        (S::Submitted, E::Submit),
        (S::Review, E::Review),
        (S::ResubmissionRequested, E::RequestResubmission),
        (S::Approved, E::Approve),
        (S::Declined, E::Decline),
        (S::Expired, E::Expire),
        (S::Abandoned, E::Expire),
        (S::Cancelled, E::Cancel),
        (S::Failed, E::Fail),
    ];

    #[test]
    fn every_state_event_pair_behaves_as_designed() {
        let mut moved = 0;
        for status in Status::ALL {
            for event in LifecycleEvent::ALL {
                let result = status.apply(event);
                if let Some((_, _, to)) = DESIGNED
                    .iter()
                    .find(|(from, ev, _)| *from == status && *ev == event)
                {
                    assert_eq!(
                        result,
                        Ok(Transition::Moved {
                            from: status,
                            to: *to
                        }),
                        "{status} + {event}"
                    );
                    moved += 1;
                } else if DUPLICATES.contains(&(status, event)) {
                    assert_eq!(
                        result,
                        Ok(Transition::Unchanged(status)),
                        "{status} + {event}"
                    );
                } else if status.is_terminal() {
                    assert_eq!(
                        result,
                        Err(LifecycleError::Terminal { status, event }),
                        "{status} + {event}"
                    );
                } else {
                    assert_eq!(
                        result,
                        Err(LifecycleError::NotAllowed { status, event }),
                        "{status} + {event}"
                    );
                }
            }
        }
        assert_eq!(moved, DESIGNED.len());
    }

    #[test]
    fn terminal_states_never_move() {
        for status in Status::ALL.into_iter().filter(|s| s.is_terminal()) {
            for event in LifecycleEvent::ALL {
                if let Ok(transition) = status.apply(event) {
                    assert_eq!(transition, Transition::Unchanged(status));
                }
            }
        }
    }

    #[test]
    fn a_decided_session_cannot_go_back() {
        assert!(S::Approved.apply(E::Start).is_err());
        assert!(S::Submitted.apply(E::Start).is_err());
        assert!(S::Review.apply(E::Submit).is_err());
    }

    #[test]
    fn statuses_round_trip_through_text() {
        for status in Status::ALL {
            assert_eq!(status.as_str().parse::<Status>().ok(), Some(status));
            assert_eq!(
                serde_json::to_value(status).ok(),
                Some(serde_json::Value::String(status.as_str().into()))
            );
        }
        assert!("approvedd".parse::<Status>().is_err());
    }
}
