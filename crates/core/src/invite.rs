//! Invitations: the email or text message that brings a session's applicant to the hosted
//! flow (deepidv's `send_email_invite` / `send_phone_invite`). Written with the session, sent
//! later by a job, retried on temporary failures; a failed invite never fails the session.

use crate::{InviteId, PartnerId, SessionId};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// How an invite reaches the applicant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InviteChannel {
    Email,
    Sms,
}

impl InviteChannel {
    pub fn as_str(self) -> &'static str {
        match self {
            InviteChannel::Email => "email",
            InviteChannel::Sms => "sms",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "email" => Some(InviteChannel::Email),
            "sms" => Some(InviteChannel::Sms),
            _ => None,
        }
    }
}

/// Where an invite stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InviteStatus {
    /// Waiting for its (next) attempt.
    Pending,
    /// Accepted by the mail server or the SMS gateway.
    Sent,
    /// Refused for good, or still failing when the retries ran out.
    Failed,
    /// Not attempted: the channel is not configured, or the session ended first.
    Skipped,
}

impl InviteStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            InviteStatus::Pending => "pending",
            InviteStatus::Sent => "sent",
            InviteStatus::Failed => "failed",
            InviteStatus::Skipped => "skipped",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(InviteStatus::Pending),
            "sent" => Some(InviteStatus::Sent),
            "failed" => Some(InviteStatus::Failed),
            "skipped" => Some(InviteStatus::Skipped),
            _ => None,
        }
    }
}

/// One invitation and what happened to it (part of the session's timeline).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Invite {
    pub id: InviteId,
    pub session_id: SessionId,
    pub partner_id: PartnerId,
    pub channel: InviteChannel,
    pub status: InviteStatus,
    /// Attempts made so far.
    pub attempts: u32,
    /// When the next attempt is due (while pending).
    pub next_attempt_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    /// When the mail server or gateway accepted it.
    pub sent_at: Option<DateTime<Utc>>,
    /// The mail's `Message-ID`, or the gateway's message id.
    pub reference: Option<String>,
    /// Why the last attempt failed, or why it was skipped (never personal data).
    pub last_error: Option<String>,
}

impl Invite {
    /// A new invite, due at once.
    pub fn new(
        session_id: SessionId,
        partner_id: PartnerId,
        channel: InviteChannel,
        now: DateTime<Utc>,
    ) -> Invite {
        Invite {
            id: InviteId::new(),
            session_id,
            partner_id,
            channel,
            status: InviteStatus::Pending,
            attempts: 0,
            next_attempt_at: now,
            created_at: now,
            sent_at: None,
            reference: None,
            last_error: None,
        }
    }

    /// An invite that will not be attempted, and why.
    pub fn skipped(mut self, why: &str) -> Invite {
        self.status = InviteStatus::Skipped;
        self.last_error = Some(why.to_owned());
        self
    }

    /// The invite after one attempt with `result`; `retry_after` is the wait before the next
    /// one after this many attempts, `None` when they are used up.
    pub fn after_attempt(
        &self,
        result: AttemptResult,
        now: DateTime<Utc>,
        retry_after: impl Fn(u32) -> Option<Duration>,
    ) -> Invite {
        let mut next = self.clone();
        next.attempts = self.attempts.saturating_add(1);
        match result {
            AttemptResult::Sent { reference } => {
                next.status = InviteStatus::Sent;
                next.sent_at = Some(now);
                next.reference = Some(reference);
                next.last_error = None;
            }
            AttemptResult::Temporary(why) => match retry_after(next.attempts) {
                Some(wait) => {
                    next.status = InviteStatus::Pending;
                    next.next_attempt_at = now + wait;
                    next.last_error = Some(why);
                }
                None => {
                    next.status = InviteStatus::Failed;
                    next.last_error = Some(why);
                }
            },
            AttemptResult::Permanent(why) => {
                next.status = InviteStatus::Failed;
                next.last_error = Some(why);
            }
            AttemptResult::Skipped(why) => {
                next.attempts = self.attempts;
                next.status = InviteStatus::Skipped;
                next.last_error = Some(why);
            }
        }
        next
    }
}

/// What one attempt came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AttemptResult {
    /// Accepted, with the mail's Message-ID or the gateway's message id.
    Sent { reference: String },
    /// Worth trying again (connection refused, a 4xx SMTP reply, a 5xx or 429 from the gateway).
    Temporary(String),
    /// Not worth trying again (a 5xx SMTP reply, a 4xx from the gateway).
    Permanent(String),
    /// Not attempted after all (the session ended before its turn).
    Skipped(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invite() -> Invite {
        Invite::new(
            SessionId::new(),
            PartnerId::new(),
            InviteChannel::Email,
            DateTime::UNIX_EPOCH,
        )
    }

    fn twice(attempts: u32) -> Option<Duration> {
        (attempts < 2).then(|| Duration::seconds(30))
    }

    #[test]
    fn a_temporary_failure_waits_then_fails_when_the_retries_are_used_up() {
        let now = DateTime::UNIX_EPOCH;
        let first = invite().after_attempt(AttemptResult::Temporary("busy".into()), now, twice);
        assert_eq!(first.status, InviteStatus::Pending);
        assert_eq!(first.attempts, 1);
        assert_eq!(first.next_attempt_at, now + Duration::seconds(30));
        let second = first.after_attempt(AttemptResult::Temporary("busy".into()), now, twice);
        assert_eq!(second.status, InviteStatus::Failed);
        assert_eq!(second.attempts, 2);
        assert_eq!(second.last_error.as_deref(), Some("busy"));
    }

    #[test]
    fn a_send_records_its_reference_and_clears_the_last_error() {
        let now = DateTime::UNIX_EPOCH + Duration::seconds(5);
        let failed_once =
            invite().after_attempt(AttemptResult::Temporary("busy".into()), now, twice);
        let sent = failed_once.after_attempt(
            AttemptResult::Sent {
                reference: "<id@x>".into(),
            },
            now,
            twice,
        );
        assert_eq!(sent.status, InviteStatus::Sent);
        assert_eq!(sent.sent_at, Some(now));
        assert_eq!(sent.reference.as_deref(), Some("<id@x>"));
        assert_eq!(sent.last_error, None);
        assert_eq!(sent.attempts, 2);
    }

    #[test]
    fn a_permanent_refusal_fails_at_once_and_a_skip_costs_no_attempt() {
        let now = DateTime::UNIX_EPOCH;
        let refused = invite().after_attempt(AttemptResult::Permanent("no".into()), now, twice);
        assert_eq!(refused.status, InviteStatus::Failed);
        let skipped = invite().after_attempt(AttemptResult::Skipped("ended".into()), now, twice);
        assert_eq!(skipped.status, InviteStatus::Skipped);
        assert_eq!(skipped.attempts, 0);
    }

    #[test]
    fn words_round_trip() {
        for s in [
            InviteStatus::Pending,
            InviteStatus::Sent,
            InviteStatus::Failed,
            InviteStatus::Skipped,
        ] {
            assert_eq!(InviteStatus::parse(s.as_str()), Some(s));
        }
        for c in [InviteChannel::Email, InviteChannel::Sms] {
            assert_eq!(InviteChannel::parse(c.as_str()), Some(c));
        }
    }
}
