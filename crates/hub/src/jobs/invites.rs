//! The invite job: every node claims due invites (leases; `SKIP LOCKED` on PostgreSQL),
//! renders each for its session and partner, sends it by email or text message, and records
//! the attempt. A temporary failure is retried on `invites.retry`; nothing here can fail the
//! session. New sessions wake the job at once; it also polls, so the wake-up is only a hint.

use crate::invites::message;
use crate::service::Hub;
use chrono::{SubsecRound, Utc};
use futures_util::{StreamExt, stream};
use idgate_core::{AttemptResult, InviteChannel, Status};
use idgate_store::{InviteJob, StoreError};
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// Invites claimed, and sent, at once: only what starts now is claimed, so no claim waits
/// behind other sends while its lease runs.
const IN_FLIGHT: u32 = 4;

/// Runs until `shutdown` is cancelled. A round under way finishes first (each send is cut at
/// half the claim's lease), so a stopping node records what it sent and a restart sends
/// nothing twice; a send still running when the shutdown grace ends is cut, its claim lapses
/// and it is tried again (the same Message-ID).
pub async fn run(hub: Arc<Hub>, shutdown: CancellationToken) {
    loop {
        tokio::select! {
            () = shutdown.cancelled() => break,
            () = hub.invite_wake.notified() => {}
            () = tokio::time::sleep(hub.config.invite_poll) => {}
        }
        if let Err(e) = drain(&hub, &shutdown).await {
            tracing::error!(error = %e, "invite round failed");
        }
    }
}

/// Sends due invites until none is left.
async fn drain(hub: &Hub, shutdown: &CancellationToken) -> Result<(), StoreError> {
    while !shutdown.is_cancelled() {
        let now = Utc::now();
        // Whole microseconds: the lease end is the claim's token, compared as stored.
        let lease_until = (now + hub.config.invite_lease).trunc_subsecs(6);
        let jobs = hub
            .store
            .claim_due_invites(now, IN_FLIGHT, lease_until)
            .await?;
        if jobs.is_empty() {
            return Ok(());
        }
        stream::iter(jobs)
            .for_each_concurrent(None, |job| async move {
                if let Err(e) = attempt(hub, job).await {
                    tracing::error!(error = %e, "recording an invite attempt failed");
                }
            })
            .await;
    }
    Ok(())
}

/// One attempt at one invite, recorded.
async fn attempt(hub: &Hub, job: InviteJob) -> Result<(), StoreError> {
    let InviteJob {
        invite,
        link,
        lease_until,
    } = job;
    // Well inside the claim, so no other node takes the invite while this send runs.
    let deadline = (hub.config.invite_lease / 2)
        .to_std()
        .unwrap_or(std::time::Duration::from_secs(30));
    let result = match tokio::time::timeout(deadline, send(hub, &invite, &link)).await {
        Ok(result) => result?,
        Err(_) => AttemptResult::Temporary("the attempt took too long and was cut".into()),
    };
    let retry = &hub.config.invite_retry;
    let next = invite.after_attempt(result, Utc::now(), |made| {
        retry
            .get(
                usize::try_from(made)
                    .unwrap_or(usize::MAX)
                    .saturating_sub(1),
            )
            .copied()
    });
    if !hub.store.record_invite(&next, lease_until).await? {
        tracing::warn!(invite = %next.id, "an invite's claim lapsed before its attempt was recorded");
        return Ok(());
    }
    metrics::counter!(
        "idgate_invites_total",
        "channel" => next.channel.as_str(),
        "status" => next.status.as_str()
    )
    .increment(1);
    // Ids and outcome only: the address and the link are personal and secret.
    tracing::info!(
        invite = %next.id,
        session = %next.session_id,
        channel = next.channel.as_str(),
        status = next.status.as_str(),
        attempts = next.attempts,
        error = next.last_error.as_deref().unwrap_or(""),
        "invite attempt"
    );
    Ok(())
}

async fn send(
    hub: &Hub,
    invite: &idgate_core::Invite,
    link: &str,
) -> Result<AttemptResult, StoreError> {
    let Some(session) = hub.store.get_session(invite.session_id).await? else {
        return Ok(AttemptResult::Skipped("the session is gone".into()));
    };
    // Only while the person still has something to do: after they submitted, or once the
    // session is over, an invite would only confuse.
    if session.expires_at <= Utc::now() {
        return Ok(AttemptResult::Skipped(
            "the session expired before the invite's turn".into(),
        ));
    }
    if !matches!(
        session.status,
        Status::Created | Status::Started | Status::ResubmissionRequested
    ) {
        return Ok(AttemptResult::Skipped(format!(
            "the session was {} before the invite's turn",
            session.status.as_str()
        )));
    }
    let Some(partner) = hub.store.get_partner(session.partner_id).await? else {
        return Ok(AttemptResult::Skipped("the partner is gone".into()));
    };
    let senders = &hub.invite_senders;
    let off = || {
        AttemptResult::Skipped(
            senders
                .unavailable(invite.channel)
                .unwrap_or_default()
                .into(),
        )
    };
    Ok(match invite.channel {
        InviteChannel::Email => {
            let Some(sender) = &senders.email else {
                return Ok(off());
            };
            match message::email(&partner, &session, link) {
                Ok(Some(email)) => sender.send(invite.id, &email).await,
                Ok(None) => AttemptResult::Skipped("the applicant has no email address".into()),
                Err(e) => AttemptResult::Permanent(format!("the email cannot be written: {e}")),
            }
        }
        InviteChannel::Sms => {
            let Some(sender) = &senders.sms else {
                return Ok(off());
            };
            match message::sms(&partner, &session, link) {
                Some(sms) => sender.send(&sms).await,
                None => AttemptResult::Skipped("the applicant has no phone number".into()),
            }
        }
    })
}
