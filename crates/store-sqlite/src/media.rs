//! Session media on SQLite.

use crate::rows::{at, corrupt, get, micros, uuid_col};
use crate::{SqliteStore, execute, query_all, query_one, write_error};
use async_trait::async_trait;
use idgate_core::{MediaId, MediaType, PartnerId, SessionId, SessionMedia};
use idgate_store::{KeyRing, MediaInsert, MediaStore, StoreResult, field_context, rules};
use rusqlite::{Row, params};
use std::sync::LazyLock;

const COLUMNS: &str = "id, session_id, partner_id, attempt_id, context, mimetype, size, created_at";

fn media(row: &Row<'_>) -> StoreResult<SessionMedia> {
    let mimetype: String = get(row, "mimetype")?;
    Ok(SessionMedia {
        id: MediaId(uuid_col(row, "id")?),
        session_id: SessionId(uuid_col(row, "session_id")?),
        partner_id: PartnerId(uuid_col(row, "partner_id")?),
        attempt_id: get(row, "attempt_id")?,
        context: get(row, "context")?,
        mimetype: MediaType::parse(&mimetype)
            .ok_or_else(|| corrupt(format!("unknown media type {mimetype:?}")))?,
        size: u64::try_from(get::<i64>(row, "size")?).map_err(corrupt)?,
        created_at: at(row, "created_at")?,
    })
}

fn content_context(id: MediaId) -> String {
    field_context("session_media", "content", &id.to_string())
}

fn open_content(keys: &KeyRing, id: MediaId, sealed: &[u8]) -> StoreResult<Vec<u8>> {
    Ok(keys.decrypt(&content_context(id), sealed)?)
}

static OPEN_SESSION: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT status IN ({}) AS open FROM sessions WHERE id = ?1",
        rules::media_open_statuses_sql()
    )
});

#[async_trait]
impl MediaStore for SqliteStore {
    async fn insert_media(
        &self,
        m: &SessionMedia,
        content: &[u8],
        limit: u32,
    ) -> StoreResult<MediaInsert> {
        let sealed = self.keys.encrypt(&content_context(m.id), content)?;
        let m = m.clone();
        self.writer
            .write(move |c| {
                let session = m.session_id.to_string();
                let open = query_one(c, &OPEN_SESSION, [&session], |r| get::<bool>(r, "open"))?;
                if open != Some(true) {
                    return Ok(MediaInsert::SessionClosed);
                }
                let held = query_one(
                    c,
                    "SELECT COUNT(*) AS n FROM session_media WHERE session_id = ?1",
                    [&session],
                    |r| get::<i64>(r, "n"),
                )?
                .unwrap_or_default();
                if held >= i64::from(limit) {
                    return Ok(MediaInsert::Full);
                }
                execute(
                    c,
                    "INSERT INTO session_media
                       (id, session_id, partner_id, attempt_id, context, mimetype, size, content,
                        created_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                    params![
                        m.id.to_string(),
                        session,
                        m.partner_id.to_string(),
                        m.attempt_id,
                        m.context,
                        m.mimetype.as_str(),
                        i64::try_from(m.size).unwrap_or(i64::MAX),
                        sealed,
                        micros(m.created_at),
                    ],
                )
                .map_err(write_error("media id"))?;
                Ok(MediaInsert::Inserted)
            })
            .await
    }

    async fn list_media(&self, session: SessionId) -> StoreResult<Vec<SessionMedia>> {
        self.readers.with(|c| {
            query_all(
                c,
                &format!(
                    "SELECT {COLUMNS} FROM session_media WHERE session_id = ?1
                     ORDER BY created_at, id"
                ),
                [session.to_string()],
                media,
            )
        })
    }

    async fn list_attempt_media(
        &self,
        partner: PartnerId,
        attempt_id: &str,
    ) -> StoreResult<Vec<SessionMedia>> {
        self.readers.with(|c| {
            query_all(
                c,
                &format!(
                    "SELECT {COLUMNS} FROM session_media WHERE partner_id = ?1 AND attempt_id = ?2
                     ORDER BY created_at, id"
                ),
                params![partner.to_string(), attempt_id],
                media,
            )
        })
    }

    async fn get_media(&self, id: MediaId) -> StoreResult<Option<(SessionMedia, Vec<u8>)>> {
        self.readers.with(|c| {
            query_one(
                c,
                &format!("SELECT {COLUMNS}, content FROM session_media WHERE id = ?1"),
                [id.to_string()],
                |r| {
                    let m = media(r)?;
                    let content = open_content(&self.keys, m.id, &get::<Vec<u8>>(r, "content")?)?;
                    Ok((m, content))
                },
            )
        })
    }

    async fn delete_session_media(&self, session: SessionId) -> StoreResult<u64> {
        let session = session.to_string();
        self.writer
            .write(move |c| {
                let n = execute(
                    c,
                    "DELETE FROM session_media WHERE session_id = ?1",
                    [session],
                )
                .map_err(crate::connection::backend)?;
                Ok(u64::try_from(n).unwrap_or(u64::MAX))
            })
            .await
    }
}
