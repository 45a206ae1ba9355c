//! Invitations to sessions' applicants on PostgreSQL.

use crate::rows::corrupt;
use crate::{PgStore, backend};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use idgate_core::{Invite, InviteChannel, InviteId, InviteStatus, PartnerId, SessionId};
use idgate_store::{InviteJob, InviteStore, KeyRing, StoreResult, sealed};
use sqlx::postgres::PgRow;
use sqlx::{Postgres, Row, Transaction};

/// The columns of an invite row without its link (a macro, so queries stay static strings).
macro_rules! columns {
    () => {
        "id, session_id, partner_id, channel, status, attempts, next_attempt_at, created_at, \
         sent_at, reference, last_error"
    };
}

fn invite(row: &PgRow) -> StoreResult<Invite> {
    let channel: String = row.try_get("channel").map_err(corrupt)?;
    let status: String = row.try_get("status").map_err(corrupt)?;
    Ok(Invite {
        id: InviteId(row.try_get("id").map_err(corrupt)?),
        session_id: SessionId(row.try_get("session_id").map_err(corrupt)?),
        partner_id: PartnerId(row.try_get("partner_id").map_err(corrupt)?),
        channel: InviteChannel::parse(&channel)
            .ok_or_else(|| corrupt(format!("unknown invite channel {channel:?}")))?,
        status: InviteStatus::parse(&status)
            .ok_or_else(|| corrupt(format!("unknown invite status {status:?}")))?,
        attempts: u32::try_from(row.try_get::<i32, _>("attempts").map_err(corrupt)?)
            .map_err(corrupt)?,
        next_attempt_at: row.try_get("next_attempt_at").map_err(corrupt)?,
        created_at: row.try_get("created_at").map_err(corrupt)?,
        sent_at: row.try_get("sent_at").map_err(corrupt)?,
        reference: row.try_get("reference").map_err(corrupt)?,
        last_error: row.try_get("last_error").map_err(corrupt)?,
    })
}

fn attempts(i: &Invite) -> i32 {
    i32::try_from(i.attempts).unwrap_or(i32::MAX)
}

/// Seals `link` for the invite (only one still to be sent keeps it).
pub(crate) fn sealed_link(
    keys: &KeyRing,
    invite: &Invite,
    link: Option<&str>,
) -> StoreResult<Option<Vec<u8>>> {
    let link = link.filter(|_| invite.status == InviteStatus::Pending);
    sealed::seal(
        keys,
        "session_invites",
        "link",
        &invite.id.to_string(),
        link.as_ref(),
    )
}

pub(crate) async fn insert_invite(
    tx: &mut Transaction<'_, Postgres>,
    i: &Invite,
    link: &Option<Vec<u8>>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO session_invites
           (id, session_id, partner_id, channel, status, attempts, next_attempt_at, created_at,
            sent_at, reference, last_error, link)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(i.id.0)
    .bind(i.session_id.0)
    .bind(i.partner_id.0)
    .bind(i.channel.as_str())
    .bind(i.status.as_str())
    .bind(attempts(i))
    .bind(i.next_attempt_at)
    .bind(i.created_at)
    .bind(i.sent_at)
    .bind(&i.reference)
    .bind(&i.last_error)
    .bind(link)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

#[async_trait]
impl InviteStore for PgStore {
    async fn claim_due_invites(
        &self,
        now: DateTime<Utc>,
        limit: u32,
        lease_until: DateTime<Utc>,
    ) -> StoreResult<Vec<InviteJob>> {
        // SKIP LOCKED: nodes claiming at once take disjoint invites instead of waiting.
        let rows = self
            .write(|| {
                sqlx::query(concat!(
                    "UPDATE session_invites SET next_attempt_at = $3
                     WHERE id IN (
                       SELECT id FROM session_invites
                       WHERE status = 'pending' AND next_attempt_at <= $1
                       ORDER BY next_attempt_at, id
                       LIMIT $2
                       FOR UPDATE SKIP LOCKED)
                     RETURNING ",
                    columns!(),
                    ", link"
                ))
                .bind(now)
                .bind(i64::from(limit))
                .bind(lease_until)
                .fetch_all(&self.pool)
            })
            .await
            .map_err(backend)?;
        let mut jobs = Vec::with_capacity(rows.len());
        let mut unreadable = Vec::new();
        for row in &rows {
            let mut invite = invite(row)?;
            let link: Option<Vec<u8>> = row.try_get("link").map_err(corrupt)?;
            let link: Option<String> = sealed::open(
                &self.keys,
                "session_invites",
                "link",
                &invite.id.to_string(),
                link,
            )
            .ok()
            .flatten();
            // The claim moved the next attempt to the lease's end; the job sees when it was due.
            invite.next_attempt_at = now;
            match link {
                Some(link) => jobs.push(InviteJob {
                    invite,
                    link,
                    lease_until,
                }),
                None => unreadable.push(invite.id.0),
            }
        }
        if !unreadable.is_empty() {
            // An invite whose link cannot be opened (a data key that is gone) fails at once.
            self.write(|| {
                sqlx::query(
                    "UPDATE session_invites
                     SET status = 'failed', link = NULL,
                         last_error = 'the stored link cannot be decrypted (a data key is missing)'
                     WHERE id = ANY($1)",
                )
                .bind(&unreadable)
                .execute(&self.pool)
            })
            .await
            .map_err(backend)?;
        }
        // RETURNING has no order of its own.
        jobs.sort_by_key(|j| (j.invite.created_at, j.invite.id));
        Ok(jobs)
    }

    async fn record_invite(&self, i: &Invite, lease_until: DateTime<Utc>) -> StoreResult<bool> {
        let done = self
            .write(|| {
                sqlx::query(
                    "UPDATE session_invites
                 SET status = $2, attempts = $3, next_attempt_at = $4, sent_at = $5,
                     reference = $6, last_error = $7,
                     link = CASE WHEN $2 = 'pending' THEN link END
                 WHERE id = $1 AND status = 'pending' AND next_attempt_at = $8",
                )
                .bind(i.id.0)
                .bind(i.status.as_str())
                .bind(attempts(i))
                .bind(i.next_attempt_at)
                .bind(i.sent_at)
                .bind(&i.reference)
                .bind(&i.last_error)
                .bind(lease_until)
                .execute(&self.pool)
            })
            .await
            .map_err(backend)?;
        Ok(done.rows_affected() == 1)
    }

    async fn session_invites(&self, session: SessionId) -> StoreResult<Vec<Invite>> {
        sqlx::query(concat!(
            "SELECT ",
            columns!(),
            " FROM session_invites WHERE session_id = $1 ORDER BY created_at, id"
        ))
        .bind(session.0)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?
        .iter()
        .map(invite)
        .collect()
    }
}
