//! Operators, console sessions and the audit trail on SQLite.

use crate::rows::{
    at, corrupt, from_json, get, json, micros, opt_at, opt_micros, opt_uuid_col, uuid_col,
};
use crate::{SqliteStore, backend, execute, query_all, query_one, write_error};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use idgate_core::{
    AuditEntry, AuditEntryId, ConsoleSession, Operator, OperatorId, OperatorRole, OperatorToken,
    OperatorTokenId, SsoIdentity,
};
use idgate_store::{KeyRing, OperatorStore, StoreError, StoreResult, sealed};
use rusqlite::{Row, params};

fn operator(row: &Row<'_>, keys: &KeyRing) -> StoreResult<Operator> {
    let id = OperatorId(uuid_col(row, "id")?);
    let role: String = get(row, "role")?;
    let totp_key: Option<Vec<u8>> = sealed::open(
        keys,
        "operators",
        "totp_key",
        &id.to_string(),
        Some(get::<Vec<u8>>(row, "totp_key")?),
    )?;
    Ok(Operator {
        id,
        username: get(row, "username")?,
        role: OperatorRole::parse(&role)
            .ok_or_else(|| corrupt(format!("unknown operator role {role:?}")))?,
        partners: from_json(&get::<String>(row, "partners")?)?,
        password_hash: get(row, "password_hash")?,
        totp_key: totp_key.unwrap_or_default(),
        failed_sign_ins: get(row, "failed_sign_ins")?,
        locked_until: opt_at(row, "locked_until")?,
        last_totp_step: get(row, "last_totp_step")?,
        disabled: get(row, "disabled")?,
        created_at: at(row, "created_at")?,
        single_sign_on: match (
            get::<Option<String>>(row, "sso_issuer")?,
            get::<Option<String>>(row, "sso_subject")?,
        ) {
            (Some(issuer), Some(subject)) => Some(SsoIdentity { issuer, subject }),
            _ => None,
        },
    })
}

fn console_session(row: &Row<'_>) -> StoreResult<ConsoleSession> {
    Ok(ConsoleSession {
        digest: get(row, "digest")?,
        operator_id: OperatorId(uuid_col(row, "operator_id")?),
        csrf: get(row, "csrf")?,
        created_at: at(row, "created_at")?,
        last_seen_at: at(row, "last_seen_at")?,
    })
}

fn operator_token(row: &Row<'_>) -> StoreResult<OperatorToken> {
    Ok(OperatorToken {
        id: OperatorTokenId(uuid_col(row, "id")?),
        operator_id: OperatorId(uuid_col(row, "operator_id")?),
        digest: get(row, "digest")?,
        label: get(row, "label")?,
        created_at: at(row, "created_at")?,
        revoked_at: opt_at(row, "revoked_at")?,
    })
}

fn audit_entry(row: &Row<'_>) -> StoreResult<AuditEntry> {
    Ok(AuditEntry {
        id: AuditEntryId(uuid_col(row, "id")?),
        at: at(row, "at")?,
        operator_id: opt_uuid_col(row, "operator_id")?.map(OperatorId),
        actor: get(row, "actor")?,
        action: get(row, "action")?,
        target: get(row, "target")?,
        from: get(row, "from_addr")?,
        details: from_json(&get::<String>(row, "details")?)?,
    })
}

#[async_trait]
impl OperatorStore for SqliteStore {
    async fn insert_operator(&self, o: &Operator) -> StoreResult<()> {
        let key = sealed::seal(
            &self.keys,
            "operators",
            "totp_key",
            &o.id.to_string(),
            Some(&o.totp_key),
        )?
        .unwrap_or_default();
        let partners = json(&o.partners)?;
        let o = o.clone();
        self.writer
            .write(move |c| {
                execute(
                    c,
                    "INSERT INTO operators
                     (id, username, role, partners, password_hash, totp_key, failed_sign_ins,
                      locked_until, last_totp_step, disabled, created_at, sso_issuer,
                      sso_subject)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
                    params![
                        o.id.to_string(),
                        o.username,
                        o.role.as_str(),
                        partners,
                        o.password_hash,
                        key,
                        o.failed_sign_ins,
                        opt_micros(o.locked_until),
                        o.last_totp_step,
                        o.disabled,
                        micros(o.created_at),
                        o.single_sign_on.as_ref().map(|s| s.issuer.clone()),
                        o.single_sign_on.as_ref().map(|s| s.subject.clone()),
                    ],
                )
                .map_err(write_error("operator username or single-sign-on identity"))?;
                Ok(())
            })
            .await
    }

    async fn operator(&self, id: OperatorId) -> StoreResult<Option<Operator>> {
        self.readers.with(|c| {
            query_one(
                c,
                "SELECT * FROM operators WHERE id = ?1",
                [id.to_string()],
                |r| operator(r, &self.keys),
            )
        })
    }

    async fn operator_by_username(&self, username: &str) -> StoreResult<Option<Operator>> {
        self.readers.with(|c| {
            query_one(
                c,
                "SELECT * FROM operators WHERE username = ?1",
                [username],
                |r| operator(r, &self.keys),
            )
        })
    }

    async fn operator_by_sso(&self, issuer: &str, subject: &str) -> StoreResult<Option<Operator>> {
        self.readers.with(|c| {
            query_one(
                c,
                "SELECT * FROM operators WHERE sso_issuer = ?1 AND sso_subject = ?2",
                [issuer, subject],
                |r| operator(r, &self.keys),
            )
        })
    }

    async fn list_operators(&self) -> StoreResult<Vec<Operator>> {
        self.readers.with(|c| {
            query_all(c, "SELECT * FROM operators ORDER BY username", [], |r| {
                operator(r, &self.keys)
            })
        })
    }

    async fn record_sign_in(
        &self,
        id: OperatorId,
        failed_sign_ins: u32,
        locked_until: Option<DateTime<Utc>>,
        accepted_step: Option<i64>,
    ) -> StoreResult<bool> {
        self.writer
            .write(move |c| {
                let changed = execute(
                    c,
                    "UPDATE operators SET failed_sign_ins = ?2, locked_until = ?3,
                       last_totp_step = COALESCE(?4, last_totp_step)
                     WHERE id = ?1 AND (?4 IS NULL OR ?4 > last_totp_step)",
                    params![
                        id.to_string(),
                        failed_sign_ins,
                        opt_micros(locked_until),
                        accepted_step
                    ],
                )
                .map_err(backend)?;
                Ok(changed == 1)
            })
            .await
    }

    async fn update_operator(&self, o: &Operator) -> StoreResult<()> {
        let partners = json(&o.partners)?;
        let o = o.clone();
        self.writer
            .write(move |c| {
                let changed = execute(
                    c,
                    "UPDATE operators SET role = ?2, partners = ?3, disabled = ?4, sso_issuer = ?5,
                       sso_subject = ?6
                     WHERE id = ?1",
                    params![
                        o.id.to_string(),
                        o.role.as_str(),
                        partners,
                        o.disabled,
                        o.single_sign_on.as_ref().map(|s| s.issuer.clone()),
                        o.single_sign_on.as_ref().map(|s| s.subject.clone()),
                    ],
                )
                .map_err(write_error("operator single-sign-on identity"))?;
                if changed == 0 {
                    return Err(StoreError::NotFound("operator"));
                }
                if o.disabled {
                    execute(
                        c,
                        "DELETE FROM console_sessions WHERE operator_id = ?1",
                        [o.id.to_string()],
                    )
                    .map_err(backend)?;
                }
                Ok(())
            })
            .await
    }

    async fn insert_console_session(&self, s: &ConsoleSession) -> StoreResult<()> {
        let s = s.clone();
        self.writer
            .write(move |c| {
                execute(
                    c,
                    "INSERT INTO console_sessions (digest, operator_id, csrf, created_at, last_seen_at)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![
                        s.digest,
                        s.operator_id.to_string(),
                        s.csrf,
                        micros(s.created_at),
                        micros(s.last_seen_at),
                    ],
                )
                .map_err(write_error("console session"))?;
                Ok(())
            })
            .await
    }

    async fn console_session(&self, digest: &str) -> StoreResult<Option<ConsoleSession>> {
        self.readers.with(|c| {
            query_one(
                c,
                "SELECT * FROM console_sessions WHERE digest = ?1",
                [digest],
                console_session,
            )
        })
    }

    async fn touch_console_session(&self, digest: &str, at: DateTime<Utc>) -> StoreResult<()> {
        let digest = digest.to_owned();
        self.writer
            .write(move |c| {
                execute(
                    c,
                    "UPDATE console_sessions SET last_seen_at = ?2 WHERE digest = ?1",
                    params![digest, micros(at)],
                )
                .map_err(backend)?;
                Ok(())
            })
            .await
    }

    async fn delete_console_session(&self, digest: &str) -> StoreResult<()> {
        let digest = digest.to_owned();
        self.writer
            .write(move |c| {
                execute(
                    c,
                    "DELETE FROM console_sessions WHERE digest = ?1",
                    [digest],
                )
                .map_err(backend)?;
                Ok(())
            })
            .await
    }

    async fn insert_operator_token(&self, t: &OperatorToken) -> StoreResult<()> {
        let t = t.clone();
        self.writer
            .write(move |c| {
                execute(
                    c,
                    "INSERT INTO operator_tokens (id, operator_id, digest, label, created_at, revoked_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![
                        t.id.to_string(),
                        t.operator_id.to_string(),
                        t.digest,
                        t.label,
                        micros(t.created_at),
                        opt_micros(t.revoked_at),
                    ],
                )
                .map_err(write_error("operator token"))?;
                Ok(())
            })
            .await
    }

    async fn operator_token(&self, digest: &str) -> StoreResult<Option<OperatorToken>> {
        self.readers.with(|c| {
            query_one(
                c,
                "SELECT * FROM operator_tokens WHERE digest = ?1",
                [digest],
                operator_token,
            )
        })
    }

    async fn revoke_operator_token(
        &self,
        id: OperatorTokenId,
        at: DateTime<Utc>,
    ) -> StoreResult<OperatorToken> {
        self.writer
            .write(move |c| {
                execute(
                    c,
                    "UPDATE operator_tokens SET revoked_at = COALESCE(revoked_at, ?2) WHERE id = ?1",
                    params![id.to_string(), micros(at)],
                )
                .map_err(backend)?;
                query_one(
                    c,
                    "SELECT * FROM operator_tokens WHERE id = ?1",
                    [id.to_string()],
                    operator_token,
                )?
                .ok_or(StoreError::NotFound("operator token"))
            })
            .await
    }

    async fn append_audit(&self, e: &AuditEntry) -> StoreResult<()> {
        let details = json(&e.details)?;
        let e = e.clone();
        self.writer
            .write(move |c| {
                execute(
                    c,
                    "INSERT INTO audit_log
                     (id, at, operator_id, actor, action, target, from_addr, details)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                    params![
                        e.id.to_string(),
                        micros(e.at),
                        e.operator_id.map(|o| o.to_string()),
                        e.actor,
                        e.action,
                        e.target,
                        e.from,
                        details,
                    ],
                )
                .map_err(write_error("audit entry id"))?;
                Ok(())
            })
            .await
    }

    async fn list_audit(
        &self,
        limit: u32,
        before: Option<DateTime<Utc>>,
    ) -> StoreResult<Vec<AuditEntry>> {
        self.readers.with(|c| {
            query_all(
                c,
                "SELECT * FROM audit_log WHERE ?2 IS NULL OR at < ?2
                 ORDER BY at DESC, id DESC LIMIT ?1",
                params![i64::from(limit), opt_micros(before)],
                audit_entry,
            )
        })
    }
}
