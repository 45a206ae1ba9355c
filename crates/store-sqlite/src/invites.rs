//! Invitations to sessions' applicants on SQLite.

use crate::rows::{at, corrupt, get, micros, opt_at, opt_micros, uuid_col};
use crate::{SqliteStore, execute, query_all};
use async_trait::async_trait;
use idgate_core::{Invite, InviteChannel, InviteId, InviteStatus, PartnerId, SessionId};
use idgate_store::{InviteJob, InviteStore, KeyRing, StoreResult, sealed};
use rusqlite::{Connection, Row, params};

/// An invite whose link cannot be opened (a data key that is gone) fails at once.
const UNREADABLE: &str = "UPDATE session_invites
     SET status = 'failed', link = NULL,
         last_error = 'the stored link cannot be decrypted (a data key is missing)'
     WHERE id = ?1";

const COLUMNS: &str = "id, session_id, partner_id, channel, status, attempts, next_attempt_at, \
                       created_at, sent_at, reference, last_error";

fn invite(row: &Row<'_>) -> StoreResult<Invite> {
    let channel: String = get(row, "channel")?;
    let status: String = get(row, "status")?;
    Ok(Invite {
        id: InviteId(uuid_col(row, "id")?),
        session_id: SessionId(uuid_col(row, "session_id")?),
        partner_id: PartnerId(uuid_col(row, "partner_id")?),
        channel: InviteChannel::parse(&channel)
            .ok_or_else(|| corrupt(format!("unknown invite channel {channel:?}")))?,
        status: InviteStatus::parse(&status)
            .ok_or_else(|| corrupt(format!("unknown invite status {status:?}")))?,
        attempts: u32::try_from(get::<i64>(row, "attempts")?).map_err(corrupt)?,
        next_attempt_at: at(row, "next_attempt_at")?,
        created_at: at(row, "created_at")?,
        sent_at: opt_at(row, "sent_at")?,
        reference: get(row, "reference")?,
        last_error: get(row, "last_error")?,
    })
}

/// An invite row ready to insert inside the session's transaction (sealed off the writer's
/// thread).
pub(crate) struct InviteRow {
    invite: Invite,
    link: Option<Vec<u8>>,
}

impl InviteRow {
    pub(crate) fn new(keys: &KeyRing, invite: &Invite, link: Option<&str>) -> StoreResult<Self> {
        // Only an invite still to be sent keeps the link.
        let link = link.filter(|_| invite.status == InviteStatus::Pending);
        Ok(InviteRow {
            invite: invite.clone(),
            link: sealed::seal(
                keys,
                "session_invites",
                "link",
                &invite.id.to_string(),
                link.as_ref(),
            )?,
        })
    }

    pub(crate) fn insert(&self, c: &Connection) -> StoreResult<()> {
        let i = &self.invite;
        execute(
            c,
            "INSERT INTO session_invites
               (id, session_id, partner_id, channel, status, attempts, next_attempt_at,
                created_at, sent_at, reference, last_error, link)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            params![
                i.id.to_string(),
                i.session_id.to_string(),
                i.partner_id.to_string(),
                i.channel.as_str(),
                i.status.as_str(),
                i64::from(i.attempts),
                micros(i.next_attempt_at),
                micros(i.created_at),
                opt_micros(i.sent_at),
                i.reference,
                i.last_error,
                self.link,
            ],
        )
        .map_err(crate::write_error("invite id"))?;
        Ok(())
    }
}

#[async_trait]
impl InviteStore for SqliteStore {
    async fn claim_due_invites(
        &self,
        now: chrono::DateTime<chrono::Utc>,
        limit: u32,
        lease_until: chrono::DateTime<chrono::Utc>,
    ) -> StoreResult<Vec<InviteJob>> {
        let claimed = self
            .writer
            .write(move |c| {
                query_all(
                    c,
                    &format!(
                        "UPDATE session_invites SET next_attempt_at = ?3
                         WHERE id IN (
                           SELECT id FROM session_invites
                           WHERE status = 'pending' AND next_attempt_at <= ?1
                           ORDER BY next_attempt_at, id
                           LIMIT ?2)
                         RETURNING {COLUMNS}, link"
                    ),
                    params![micros(now), i64::from(limit), micros(lease_until)],
                    |r| Ok((invite(r)?, get::<Option<Vec<u8>>>(r, "link")?)),
                )
            })
            .await?;
        let mut jobs = Vec::with_capacity(claimed.len());
        let mut unreadable = Vec::new();
        for (mut invite, link) in claimed {
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
                None => unreadable.push(invite.id.to_string()),
            }
        }
        if !unreadable.is_empty() {
            self.writer
                .write(move |c| {
                    for id in &unreadable {
                        execute(c, UNREADABLE, [id]).map_err(crate::connection::backend)?;
                    }
                    Ok(())
                })
                .await?;
        }
        // RETURNING has no order of its own.
        jobs.sort_by_key(|j| (j.invite.created_at, j.invite.id));
        Ok(jobs)
    }

    async fn record_invite(
        &self,
        i: &Invite,
        lease_until: chrono::DateTime<chrono::Utc>,
    ) -> StoreResult<bool> {
        let i = i.clone();
        self.writer
            .write(move |c| {
                let done = execute(
                    c,
                    "UPDATE session_invites
                     SET status = ?2, attempts = ?3, next_attempt_at = ?4, sent_at = ?5,
                         reference = ?6, last_error = ?7,
                         link = CASE WHEN ?2 = 'pending' THEN link END
                     WHERE id = ?1 AND status = 'pending' AND next_attempt_at = ?8",
                    params![
                        i.id.to_string(),
                        i.status.as_str(),
                        i64::from(i.attempts),
                        micros(i.next_attempt_at),
                        opt_micros(i.sent_at),
                        i.reference,
                        i.last_error,
                        micros(lease_until),
                    ],
                )
                .map_err(crate::connection::backend)?;
                Ok(done == 1)
            })
            .await
    }

    async fn session_invites(&self, session: SessionId) -> StoreResult<Vec<Invite>> {
        self.readers.with(|c| {
            query_all(
                c,
                &format!(
                    "SELECT {COLUMNS} FROM session_invites WHERE session_id = ?1
                     ORDER BY created_at, id"
                ),
                [session.to_string()],
                invite,
            )
        })
    }
}
