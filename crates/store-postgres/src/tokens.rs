//! Token balances and ledgers on PostgreSQL. A spend is one conditional `UPDATE`, which
//! locks the balance row, so nodes spending at once never overdraw it.

use crate::rows::corrupt;
use crate::{PgStore, backend, write_error};
use async_trait::async_trait;
use idgate_core::{PartnerId, SessionId, TokenEntry, TokenEntryId, TokenEntryKind};
use idgate_store::{StoreError, StoreResult, TokenStore};
use sqlx::postgres::PgRow;
use sqlx::{Postgres, Row, Transaction};

fn entry(row: &PgRow) -> StoreResult<TokenEntry> {
    let kind: String = row.try_get("kind").map_err(corrupt)?;
    Ok(TokenEntry {
        id: TokenEntryId(row.try_get("id").map_err(corrupt)?),
        partner_id: PartnerId(row.try_get("partner_id").map_err(corrupt)?),
        at: row.try_get("at").map_err(corrupt)?,
        delta: row.try_get("delta").map_err(corrupt)?,
        balance_after: row.try_get("balance_after").map_err(corrupt)?,
        kind: TokenEntryKind::parse(&kind)
            .ok_or_else(|| corrupt(format!("unknown token entry kind {kind:?}")))?,
        session_id: row
            .try_get::<Option<uuid::Uuid>, _>("session_id")
            .map_err(corrupt)?
            .map(SessionId),
        note: row.try_get("note").map_err(corrupt)?,
    })
}

/// Applies `e` inside `tx`: `Ok(Ok(entry with its balance))`, or `Ok(Err(balance))` when a
/// spend is more than the balance (the caller then drops the transaction).
pub(crate) async fn apply(
    tx: &mut Transaction<'_, Postgres>,
    e: &TokenEntry,
) -> Result<Result<TokenEntry, i64>, sqlx::Error> {
    let after: Option<i64> = if e.delta >= 0 {
        sqlx::query_scalar(
            "INSERT INTO token_balances (partner_id, balance) VALUES ($1, $2)
             ON CONFLICT (partner_id) DO UPDATE SET balance = token_balances.balance + $2
             RETURNING balance",
        )
        .bind(e.partner_id.0)
        .bind(e.delta)
        .fetch_optional(&mut **tx)
        .await?
    } else {
        sqlx::query_scalar(
            "UPDATE token_balances SET balance = balance + $2
             WHERE partner_id = $1 AND balance + $2 >= 0
             RETURNING balance",
        )
        .bind(e.partner_id.0)
        .bind(e.delta)
        .fetch_optional(&mut **tx)
        .await?
    };
    let Some(after) = after else {
        let balance: Option<i64> =
            sqlx::query_scalar("SELECT balance FROM token_balances WHERE partner_id = $1")
                .bind(e.partner_id.0)
                .fetch_optional(&mut **tx)
                .await?;
        return Ok(Err(balance.unwrap_or_default()));
    };
    let mut applied = e.clone();
    applied.balance_after = after;
    sqlx::query(
        "INSERT INTO token_ledger
           (id, partner_id, at, delta, balance_after, kind, session_id, note)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(applied.id.0)
    .bind(applied.partner_id.0)
    .bind(applied.at)
    .bind(applied.delta)
    .bind(applied.balance_after)
    .bind(applied.kind.as_str())
    .bind(applied.session_id.map(|s| s.0))
    .bind(&applied.note)
    .execute(&mut **tx)
    .await?;
    Ok(Ok(applied))
}

#[async_trait]
impl TokenStore for PgStore {
    async fn credit_tokens(&self, e: &TokenEntry) -> StoreResult<TokenEntry> {
        if e.delta <= 0 {
            return Err(StoreError::Corrupt("a top-up adds tokens".into()));
        }
        let applied = self
            .write(|| async {
                let mut tx = self.pool.begin().await?;
                let applied = apply(&mut tx, e).await?;
                tx.commit().await?;
                Ok(applied)
            })
            .await
            .map_err(write_error)?;
        applied.map_err(|balance| StoreError::InsufficientTokens { balance })
    }

    async fn token_balance(&self, partner: PartnerId) -> StoreResult<i64> {
        let balance: Option<i64> =
            sqlx::query_scalar("SELECT balance FROM token_balances WHERE partner_id = $1")
                .bind(partner.0)
                .fetch_optional(&self.pool)
                .await
                .map_err(backend)?;
        Ok(balance.unwrap_or_default())
    }

    async fn token_history(&self, partner: PartnerId, limit: u32) -> StoreResult<Vec<TokenEntry>> {
        sqlx::query(
            "SELECT * FROM token_ledger WHERE partner_id = $1
             ORDER BY at DESC, id DESC LIMIT $2",
        )
        .bind(partner.0)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?
        .iter()
        .map(entry)
        .collect()
    }
}
