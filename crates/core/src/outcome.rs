//! What a provider decided about a session, and how the lifecycle gets there: the events
//! that walk a session from where it stands to the decision, as one plan.

use crate::lifecycle::{LifecycleEvent, Status};
use crate::personal::{MatchResult, ProviderEvidence};
use crate::session::{Session, TransitionNote};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// The decision a provider reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Approved,
    Declined,
    ResubmissionRequested,
    Review,
    /// The user cancelled at the provider.
    Cancelled,
    /// The provider failed technically.
    Failed,
    /// The provider gave up waiting for the user (Veriff's `expired` and `abandoned`): the
    /// session expires, or is abandoned if it had started.
    Expired,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Approved => "approved",
            Decision::Declined => "declined",
            Decision::ResubmissionRequested => "resubmission_requested",
            Decision::Review => "review",
            Decision::Cancelled => "cancelled",
            Decision::Failed => "failed",
            Decision::Expired => "expired",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Decision::Approved,
            Decision::Declined,
            Decision::ResubmissionRequested,
            Decision::Review,
            Decision::Cancelled,
            Decision::Failed,
            Decision::Expired,
        ]
        .into_iter()
        .find(|d| d.as_str() == s)
    }
}

/// What a provider returned for a session, in idgate's terms.
#[derive(Clone, Debug, PartialEq)]
pub struct ProviderOutcome {
    pub decision: Decision,
    pub reason: Option<String>,
    pub raw_status: Option<String>,
    pub achieved_loa: Option<u8>,
    pub claims: Option<serde_json::Map<String, serde_json::Value>>,
    pub match_result: Option<MatchResult>,
    pub evidence: Option<ProviderEvidence>,
}

/// The outcome as recorded: an approval that missed the requested assurance is a decline.
pub fn assured<'a>(session: &Session, outcome: &'a ProviderOutcome) -> Cow<'a, ProviderOutcome> {
    if outcome.decision == Decision::Approved && !session.assurance_met(outcome.achieved_loa) {
        let mut declined = outcome.clone();
        declined.decision = Decision::Declined;
        declined.reason = Some("insufficient_loa".to_owned());
        Cow::Owned(declined)
    } else {
        Cow::Borrowed(outcome)
    }
}

/// The events that take a session from `status` to the provider's decision.
pub fn outcome_plan(
    status: Status,
    outcome: &ProviderOutcome,
) -> Vec<(LifecycleEvent, TransitionNote)> {
    let note = || TransitionNote {
        reason: outcome.reason.clone(),
        raw_provider_status: outcome.raw_status.clone(),
        details: serde_json::json!({ "decision": outcome.decision.as_str() }),
    };
    let final_event = match outcome.decision {
        Decision::Approved => LifecycleEvent::Approve,
        Decision::Declined => LifecycleEvent::Decline,
        Decision::ResubmissionRequested => LifecycleEvent::RequestResubmission,
        Decision::Review => LifecycleEvent::Review,
        Decision::Cancelled => return vec![(LifecycleEvent::Cancel, note())],
        Decision::Failed => return vec![(LifecycleEvent::Fail, note())],
        Decision::Expired => return vec![(LifecycleEvent::Expire, note())],
    };
    let mut plan = Vec::new();
    let resubmitting_again = status == Status::ResubmissionRequested
        && final_event == LifecycleEvent::RequestResubmission;
    if matches!(status, Status::Created | Status::ResubmissionRequested) && !resubmitting_again {
        plan.push((LifecycleEvent::Start, TransitionNote::default()));
    }
    if matches!(
        status,
        Status::Created | Status::Started | Status::ResubmissionRequested
    ) && !resubmitting_again
    {
        plan.push((LifecycleEvent::Submit, TransitionNote::default()));
    }
    plan.push((final_event, note()));
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lifecycle::LifecycleError;

    fn run(from: Status, decision: Decision) -> Result<Status, LifecycleError> {
        let outcome = ProviderOutcome {
            decision,
            reason: None,
            raw_status: None,
            achieved_loa: None,
            claims: None,
            match_result: None,
            evidence: None,
        };
        let mut status = from;
        for (event, _) in outcome_plan(from, &outcome) {
            status = status.apply(event)?.status();
        }
        Ok(status)
    }

    #[test]
    fn outcomes_reach_their_status_from_every_live_state() {
        use Decision as D;
        use Status as S;
        for from in [
            S::Created,
            S::Started,
            S::Submitted,
            S::ResubmissionRequested,
        ] {
            assert_eq!(run(from, D::Approved), Ok(S::Approved), "{from}");
            assert_eq!(run(from, D::Declined), Ok(S::Declined), "{from}");
            assert_eq!(run(from, D::Review), Ok(S::Review), "{from}");
            assert_eq!(run(from, D::Failed), Ok(S::Failed), "{from}");
        }
        for from in [
            S::Created,
            S::Started,
            S::Submitted,
            S::ResubmissionRequested,
        ] {
            assert_eq!(
                run(from, D::ResubmissionRequested),
                Ok(S::ResubmissionRequested),
                "{from}"
            );
        }
        assert_eq!(run(S::Created, D::Cancelled), Ok(S::Cancelled));
        assert_eq!(run(S::Created, D::Expired), Ok(S::Expired));
        assert_eq!(run(S::Started, D::Expired), Ok(S::Abandoned));
        assert_eq!(run(S::Submitted, D::Expired), Ok(S::Abandoned));
        assert_eq!(run(S::Started, D::Cancelled), Ok(S::Cancelled));
        assert_eq!(run(S::Review, D::Approved), Ok(S::Approved));
        // A late report never moves a decided session.
        assert!(run(S::Approved, D::Declined).is_err());
        assert_eq!(run(S::Approved, D::Approved), Ok(S::Approved));
    }
}
