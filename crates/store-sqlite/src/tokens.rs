//! Token balances and ledgers on SQLite. Every change runs on the one writer, so a balance
//! can never be spent twice.

use crate::rows::{at, corrupt, get, micros, opt_uuid_col, uuid_col};
use crate::{SqliteStore, execute, query_all, query_one};
use async_trait::async_trait;
use idgate_core::{PartnerId, SessionId, TokenEntry, TokenEntryId, TokenEntryKind};
use idgate_store::{StoreError, StoreResult, TokenStore};
use rusqlite::{Connection, Row, params};

fn entry(row: &Row<'_>) -> StoreResult<TokenEntry> {
    let kind: String = get(row, "kind")?;
    Ok(TokenEntry {
        id: TokenEntryId(uuid_col(row, "id")?),
        partner_id: PartnerId(uuid_col(row, "partner_id")?),
        at: at(row, "at")?,
        delta: get(row, "delta")?,
        balance_after: get(row, "balance_after")?,
        kind: TokenEntryKind::parse(&kind)
            .ok_or_else(|| corrupt(format!("unknown token entry kind {kind:?}")))?,
        session_id: opt_uuid_col(row, "session_id")?.map(SessionId),
        note: get(row, "note")?,
    })
}

fn balance(c: &Connection, partner: &str) -> StoreResult<i64> {
    Ok(query_one(
        c,
        "SELECT balance FROM token_balances WHERE partner_id = ?1",
        [partner],
        |r| get::<i64>(r, "balance"),
    )?
    .unwrap_or_default())
}

/// Applies `e` (a top-up, or a spend that must not overdraw) and writes it to the ledger;
/// returns it with the balance after it.
pub(crate) fn apply(c: &Connection, e: &TokenEntry) -> StoreResult<TokenEntry> {
    let partner = e.partner_id.to_string();
    let after = if e.delta >= 0 {
        query_one(
            c,
            "INSERT INTO token_balances (partner_id, balance) VALUES (?1, ?2)
             ON CONFLICT (partner_id) DO UPDATE SET balance = balance + ?2
             RETURNING balance",
            params![partner, e.delta],
            |r| get::<i64>(r, "balance"),
        )?
    } else {
        query_one(
            c,
            "UPDATE token_balances SET balance = balance + ?2
             WHERE partner_id = ?1 AND balance + ?2 >= 0
             RETURNING balance",
            params![partner, e.delta],
            |r| get::<i64>(r, "balance"),
        )?
    };
    let Some(after) = after else {
        return Err(StoreError::InsufficientTokens {
            balance: balance(c, &partner)?,
        });
    };
    let mut applied = e.clone();
    applied.balance_after = after;
    execute(
        c,
        "INSERT INTO token_ledger
           (id, partner_id, at, delta, balance_after, kind, session_id, note)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            applied.id.to_string(),
            partner,
            micros(applied.at),
            applied.delta,
            applied.balance_after,
            applied.kind.as_str(),
            applied.session_id.map(|s| s.to_string()),
            applied.note,
        ],
    )
    .map_err(crate::write_error("token entry id"))?;
    Ok(applied)
}

#[async_trait]
impl TokenStore for SqliteStore {
    async fn credit_tokens(&self, e: &TokenEntry) -> StoreResult<TokenEntry> {
        if e.delta <= 0 {
            return Err(StoreError::Corrupt("a top-up adds tokens".into()));
        }
        let e = e.clone();
        self.writer.write(move |c| apply(c, &e)).await
    }

    async fn token_balance(&self, partner: PartnerId) -> StoreResult<i64> {
        self.readers.with(|c| balance(c, &partner.to_string()))
    }

    async fn token_history(&self, partner: PartnerId, limit: u32) -> StoreResult<Vec<TokenEntry>> {
        self.readers.with(|c| {
            query_all(
                c,
                "SELECT * FROM token_ledger WHERE partner_id = ?1
                 ORDER BY at DESC, id DESC LIMIT ?2",
                params![partner.to_string(), i64::from(limit)],
                entry,
            )
        })
    }
}
