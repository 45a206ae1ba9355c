//! Operators, console sessions and the audit trail on PostgreSQL.

use crate::rows::corrupt;
use crate::{PgStore, backend, write_error};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use idgate_core::{
    AuditEntry, AuditEntryId, ConsoleSession, Operator, OperatorId, OperatorRole, OperatorToken,
    OperatorTokenId, PartnerId,
};
use idgate_store::{KeyRing, OperatorStore, StoreError, StoreResult, sealed};
use sqlx::Row;
use sqlx::postgres::PgRow;

fn operator(row: &PgRow, keys: &KeyRing) -> StoreResult<Operator> {
    let id = OperatorId(row.try_get("id").map_err(corrupt)?);
    let role: String = row.try_get("role").map_err(corrupt)?;
    let partners: sqlx::types::Json<Vec<PartnerId>> = row.try_get("partners").map_err(corrupt)?;
    let totp_key: Option<Vec<u8>> = sealed::open(
        keys,
        "operators",
        "totp_key",
        &id.to_string(),
        Some(row.try_get::<Vec<u8>, _>("totp_key").map_err(corrupt)?),
    )?;
    Ok(Operator {
        id,
        username: row.try_get("username").map_err(corrupt)?,
        role: OperatorRole::parse(&role)
            .ok_or_else(|| corrupt(format!("unknown operator role {role:?}")))?,
        partners: partners.0,
        password_hash: row.try_get("password_hash").map_err(corrupt)?,
        totp_key: totp_key.unwrap_or_default(),
        failed_sign_ins: u32::try_from(row.try_get::<i32, _>("failed_sign_ins").map_err(corrupt)?)
            .map_err(corrupt)?,
        locked_until: row.try_get("locked_until").map_err(corrupt)?,
        last_totp_step: row.try_get("last_totp_step").map_err(corrupt)?,
        disabled: row.try_get("disabled").map_err(corrupt)?,
        created_at: row.try_get("created_at").map_err(corrupt)?,
        single_sign_on: match (
            row.try_get::<Option<String>, _>("sso_issuer")
                .map_err(corrupt)?,
            row.try_get::<Option<String>, _>("sso_subject")
                .map_err(corrupt)?,
        ) {
            (Some(issuer), Some(subject)) => Some(idgate_core::SsoIdentity { issuer, subject }),
            _ => None,
        },
    })
}

fn console_session(row: &PgRow) -> StoreResult<ConsoleSession> {
    Ok(ConsoleSession {
        digest: row.try_get("digest").map_err(corrupt)?,
        operator_id: OperatorId(row.try_get("operator_id").map_err(corrupt)?),
        csrf: row.try_get("csrf").map_err(corrupt)?,
        created_at: row.try_get("created_at").map_err(corrupt)?,
        last_seen_at: row.try_get("last_seen_at").map_err(corrupt)?,
    })
}

fn operator_token(row: &PgRow) -> StoreResult<OperatorToken> {
    Ok(OperatorToken {
        id: OperatorTokenId(row.try_get("id").map_err(corrupt)?),
        operator_id: OperatorId(row.try_get("operator_id").map_err(corrupt)?),
        digest: row.try_get("digest").map_err(corrupt)?,
        label: row.try_get("label").map_err(corrupt)?,
        created_at: row.try_get("created_at").map_err(corrupt)?,
        revoked_at: row.try_get("revoked_at").map_err(corrupt)?,
    })
}

fn audit_entry(row: &PgRow) -> StoreResult<AuditEntry> {
    let details: sqlx::types::Json<serde_json::Value> = row.try_get("details").map_err(corrupt)?;
    Ok(AuditEntry {
        id: AuditEntryId(row.try_get("id").map_err(corrupt)?),
        at: row.try_get("at").map_err(corrupt)?,
        operator_id: row
            .try_get::<Option<uuid::Uuid>, _>("operator_id")
            .map_err(corrupt)?
            .map(OperatorId),
        actor: row.try_get("actor").map_err(corrupt)?,
        action: row.try_get("action").map_err(corrupt)?,
        target: row.try_get("target").map_err(corrupt)?,
        from: row.try_get("from_addr").map_err(corrupt)?,
        details: details.0,
    })
}

#[async_trait]
impl OperatorStore for PgStore {
    async fn insert_operator(&self, o: &Operator) -> StoreResult<()> {
        let key = sealed::seal(
            &self.keys,
            "operators",
            "totp_key",
            &o.id.to_string(),
            Some(&o.totp_key),
        )?
        .unwrap_or_default();
        sqlx::query(
            "INSERT INTO operators
             (id, username, role, partners, password_hash, totp_key, failed_sign_ins,
              locked_until, last_totp_step, disabled, created_at, sso_issuer, sso_subject)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(o.id.0)
        .bind(&o.username)
        .bind(o.role.as_str())
        .bind(sqlx::types::Json(&o.partners))
        .bind(&o.password_hash)
        .bind(key)
        .bind(i32::try_from(o.failed_sign_ins).unwrap_or(i32::MAX))
        .bind(o.locked_until)
        .bind(o.last_totp_step)
        .bind(o.disabled)
        .bind(o.created_at)
        .bind(o.single_sign_on.as_ref().map(|s| s.issuer.as_str()))
        .bind(o.single_sign_on.as_ref().map(|s| s.subject.as_str()))
        .execute(&self.pool)
        .await
        .map_err(write_error)?;
        Ok(())
    }

    async fn operator(&self, id: OperatorId) -> StoreResult<Option<Operator>> {
        sqlx::query("SELECT * FROM operators WHERE id = $1")
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?
            .map(|r| operator(&r, &self.keys))
            .transpose()
    }

    async fn operator_by_username(&self, username: &str) -> StoreResult<Option<Operator>> {
        sqlx::query("SELECT * FROM operators WHERE username = $1")
            .bind(username)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?
            .map(|r| operator(&r, &self.keys))
            .transpose()
    }

    async fn operator_by_sso(&self, issuer: &str, subject: &str) -> StoreResult<Option<Operator>> {
        sqlx::query("SELECT * FROM operators WHERE sso_issuer = $1 AND sso_subject = $2")
            .bind(issuer)
            .bind(subject)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?
            .map(|r| operator(&r, &self.keys))
            .transpose()
    }

    async fn list_operators(&self) -> StoreResult<Vec<Operator>> {
        sqlx::query("SELECT * FROM operators ORDER BY username")
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?
            .iter()
            .map(|r| operator(r, &self.keys))
            .collect()
    }

    async fn record_sign_in(
        &self,
        id: OperatorId,
        failed_sign_ins: u32,
        locked_until: Option<DateTime<Utc>>,
        accepted_step: Option<i64>,
    ) -> StoreResult<bool> {
        let changed = sqlx::query(
            "UPDATE operators SET failed_sign_ins = $2, locked_until = $3,
               last_totp_step = COALESCE($4, last_totp_step)
             WHERE id = $1 AND ($4::bigint IS NULL OR $4 > last_totp_step)",
        )
        .bind(id.0)
        .bind(i32::try_from(failed_sign_ins).unwrap_or(i32::MAX))
        .bind(locked_until)
        .bind(accepted_step)
        .execute(&self.pool)
        .await
        .map_err(backend)?
        .rows_affected();
        Ok(changed == 1)
    }

    async fn update_operator(&self, o: &Operator) -> StoreResult<()> {
        let mut tx = self.pool.begin().await.map_err(backend)?;
        let changed = sqlx::query(
            "UPDATE operators SET role = $2, partners = $3, disabled = $4, sso_issuer = $5,
               sso_subject = $6
             WHERE id = $1",
        )
        .bind(o.id.0)
        .bind(o.role.as_str())
        .bind(sqlx::types::Json(&o.partners))
        .bind(o.disabled)
        .bind(o.single_sign_on.as_ref().map(|s| s.issuer.as_str()))
        .bind(o.single_sign_on.as_ref().map(|s| s.subject.as_str()))
        .execute(&mut *tx)
        .await
        .map_err(write_error)?
        .rows_affected();
        if changed == 0 {
            return Err(StoreError::NotFound("operator"));
        }
        if o.disabled {
            sqlx::query("DELETE FROM console_sessions WHERE operator_id = $1")
                .bind(o.id.0)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
        }
        tx.commit().await.map_err(backend)
    }

    async fn insert_console_session(&self, s: &ConsoleSession) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO console_sessions (digest, operator_id, csrf, created_at, last_seen_at)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&s.digest)
        .bind(s.operator_id.0)
        .bind(&s.csrf)
        .bind(s.created_at)
        .bind(s.last_seen_at)
        .execute(&self.pool)
        .await
        .map_err(write_error)?;
        Ok(())
    }

    async fn console_session(&self, digest: &str) -> StoreResult<Option<ConsoleSession>> {
        sqlx::query("SELECT * FROM console_sessions WHERE digest = $1")
            .bind(digest)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?
            .map(|r| console_session(&r))
            .transpose()
    }

    async fn touch_console_session(&self, digest: &str, at: DateTime<Utc>) -> StoreResult<()> {
        sqlx::query("UPDATE console_sessions SET last_seen_at = $2 WHERE digest = $1")
            .bind(digest)
            .bind(at)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn delete_console_session(&self, digest: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM console_sessions WHERE digest = $1")
            .bind(digest)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn insert_operator_token(&self, t: &OperatorToken) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO operator_tokens (id, operator_id, digest, label, created_at, revoked_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(t.id.0)
        .bind(t.operator_id.0)
        .bind(&t.digest)
        .bind(&t.label)
        .bind(t.created_at)
        .bind(t.revoked_at)
        .execute(&self.pool)
        .await
        .map_err(write_error)?;
        Ok(())
    }

    async fn operator_token(&self, digest: &str) -> StoreResult<Option<OperatorToken>> {
        sqlx::query("SELECT * FROM operator_tokens WHERE digest = $1")
            .bind(digest)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?
            .map(|r| operator_token(&r))
            .transpose()
    }

    async fn revoke_operator_token(
        &self,
        id: OperatorTokenId,
        at: DateTime<Utc>,
    ) -> StoreResult<OperatorToken> {
        sqlx::query(
            "UPDATE operator_tokens SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1
             RETURNING *",
        )
        .bind(id.0)
        .bind(at)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?
        .map(|r| operator_token(&r))
        .transpose()?
        .ok_or(StoreError::NotFound("operator token"))
    }

    async fn append_audit(&self, e: &AuditEntry) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO audit_log (id, at, operator_id, actor, action, target, from_addr, details)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(e.id.0)
        .bind(e.at)
        .bind(e.operator_id.map(|o| o.0))
        .bind(&e.actor)
        .bind(&e.action)
        .bind(&e.target)
        .bind(&e.from)
        .bind(sqlx::types::Json(&e.details))
        .execute(&self.pool)
        .await
        .map_err(write_error)?;
        Ok(())
    }

    async fn list_audit(
        &self,
        limit: u32,
        before: Option<DateTime<Utc>>,
    ) -> StoreResult<Vec<AuditEntry>> {
        sqlx::query(
            "SELECT * FROM audit_log WHERE $2::timestamptz IS NULL OR at < $2
             ORDER BY at DESC, id DESC LIMIT $1",
        )
        .bind(i64::from(limit))
        .bind(before)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?
        .iter()
        .map(audit_entry)
        .collect()
    }
}
