//! Session media on PostgreSQL.

use crate::rows::corrupt;
use crate::{PgStore, backend, write_error};
use async_trait::async_trait;
use idgate_core::{MediaId, MediaType, PartnerId, SessionId, SessionMedia};
use idgate_store::{MediaInsert, MediaStore, StoreResult, field_context, rules};
use sqlx::Row;
use sqlx::postgres::PgRow;
use std::sync::LazyLock;

/// The columns of a media row without its content (a macro, so queries stay static strings).
macro_rules! columns {
    () => {
        "id, session_id, partner_id, attempt_id, context, mimetype, size, created_at"
    };
}

fn media(row: &PgRow) -> StoreResult<SessionMedia> {
    let get_err = |e: sqlx::Error| corrupt(e);
    let mimetype: String = row.try_get("mimetype").map_err(get_err)?;
    Ok(SessionMedia {
        id: MediaId(row.try_get("id").map_err(get_err)?),
        session_id: SessionId(row.try_get("session_id").map_err(get_err)?),
        partner_id: PartnerId(row.try_get("partner_id").map_err(get_err)?),
        attempt_id: row.try_get("attempt_id").map_err(get_err)?,
        context: row.try_get("context").map_err(get_err)?,
        mimetype: MediaType::parse(&mimetype)
            .ok_or_else(|| corrupt(format!("unknown media type {mimetype:?}")))?,
        size: u64::try_from(row.try_get::<i64, _>("size").map_err(get_err)?).map_err(corrupt)?,
        created_at: row.try_get("created_at").map_err(get_err)?,
    })
}

fn content_context(id: MediaId) -> String {
    field_context("session_media", "content", &id.to_string())
}

/// Locks the session row, so a transition (a submit) and an upload cannot interleave.
static OPEN_SESSION: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT status IN ({}) AS open FROM sessions WHERE id = $1 FOR UPDATE",
        rules::media_open_statuses_sql()
    )
});

#[async_trait]
impl MediaStore for PgStore {
    async fn insert_media(
        &self,
        m: &SessionMedia,
        content: &[u8],
        limit: u32,
    ) -> StoreResult<MediaInsert> {
        let sealed = self.keys.encrypt(&content_context(m.id), content)?;
        let size = i64::try_from(m.size).unwrap_or(i64::MAX);
        self.write(|| async {
            let mut tx = self.pool.begin().await?;
            let open: Option<bool> = sqlx::query_scalar(sqlx::AssertSqlSafe(OPEN_SESSION.as_str()))
                .bind(m.session_id.0)
                .fetch_optional(&mut *tx)
                .await?;
            if open != Some(true) {
                return Ok(MediaInsert::SessionClosed);
            }
            let held: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM session_media WHERE session_id = $1")
                    .bind(m.session_id.0)
                    .fetch_one(&mut *tx)
                    .await?;
            if held >= i64::from(limit) {
                return Ok(MediaInsert::Full);
            }
            sqlx::query(
                "INSERT INTO session_media
                   (id, session_id, partner_id, attempt_id, context, mimetype, size, content,
                    created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(m.id.0)
            .bind(m.session_id.0)
            .bind(m.partner_id.0)
            .bind(&m.attempt_id)
            .bind(&m.context)
            .bind(m.mimetype.as_str())
            .bind(size)
            .bind(&sealed)
            .bind(m.created_at)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(MediaInsert::Inserted)
        })
        .await
        .map_err(write_error)
    }

    async fn list_media(&self, session: SessionId) -> StoreResult<Vec<SessionMedia>> {
        sqlx::query(concat!(
            "SELECT ",
            columns!(),
            " FROM session_media WHERE session_id = $1 ORDER BY created_at, id"
        ))
        .bind(session.0)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?
        .iter()
        .map(media)
        .collect()
    }

    async fn list_attempt_media(
        &self,
        partner: PartnerId,
        attempt_id: &str,
    ) -> StoreResult<Vec<SessionMedia>> {
        sqlx::query(concat!(
            "SELECT ",
            columns!(),
            " FROM session_media WHERE partner_id = $1 AND attempt_id = $2
             ORDER BY created_at, id"
        ))
        .bind(partner.0)
        .bind(attempt_id)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?
        .iter()
        .map(media)
        .collect()
    }

    async fn get_media(&self, id: MediaId) -> StoreResult<Option<(SessionMedia, Vec<u8>)>> {
        let Some(row) = sqlx::query(concat!(
            "SELECT ",
            columns!(),
            ", content FROM session_media WHERE id = $1"
        ))
        .bind(id.0)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?
        else {
            return Ok(None);
        };
        let m = media(&row)?;
        let sealed: Vec<u8> = row.try_get("content").map_err(corrupt)?;
        let content = self.keys.decrypt(&content_context(m.id), &sealed)?;
        Ok(Some((m, content)))
    }

    async fn delete_session_media(&self, session: SessionId) -> StoreResult<u64> {
        let done = self
            .write(|| {
                sqlx::query("DELETE FROM session_media WHERE session_id = $1")
                    .bind(session.0)
                    .execute(&self.pool)
            })
            .await
            .map_err(backend)?;
        Ok(done.rows_affected())
    }
}
