//! Operators: accounts (an Argon2id password and a TOTP second factor), console sign-in
//! with lock-out and session timeouts, what each role may do, and the audit trail every
//! operator action and every view of personal data is written to. The console, the admin
//! commands and the CLI all act through these functions.

use super::{Hub, ServiceError, ServiceResult};
use crate::random::{random_bytes, random_token};
use argon2::{PasswordHash, PasswordHasher, PasswordVerifier};
use chrono::{DateTime, Duration, Utc};
use idgate_core::{
    Actor, AuditEntry, AuditEntryId, ConsoleSession, Credential, CredentialId, CredentialKind,
    Decision, LifecycleError, LifecycleEvent, Operator, OperatorAction, OperatorId, OperatorRole,
    Partner, PartnerId, ProviderOutcome, ReturnUrlRule, ReturnUrlRuleId, ReturnUrlStatus, Session,
    SessionEvent, SessionId, SsoIdentity, Status,
};
use idgate_store::StoreError;
use serde_json::{Value, json};

/// Failed sign-ins in a row before the account locks.
pub const LOCK_AFTER_FAILURES: u32 = 5;
/// How long a locked account takes no sign-in.
pub const LOCK_FOR: Duration = Duration::minutes(15);
/// A console session ends after this long without a request…
pub const IDLE_TIMEOUT: Duration = Duration::minutes(30);
/// …and this long after sign-in, whatever happens.
pub const ABSOLUTE_TIMEOUT: Duration = Duration::hours(12);
/// A session's last-seen time is written at most this often.
const TOUCH_EVERY: Duration = Duration::seconds(60);
/// TOTP as authenticator apps do it: 6 digits, 30-second steps, one step of clock skew.
const TOTP_DIGITS: u8 = 6;
const TOTP_STEP: u64 = 30;
const TOTP_SKEW: u16 = 1;

/// Who acted, for the audit trail.
#[derive(Clone, Copy, Debug)]
pub enum AuditActor<'a> {
    /// The command line on the host (whoever may run it).
    Cli,
    /// A signed-in operator, from a browser's address.
    Operator {
        operator: &'a Operator,
        from: Option<&'a str>,
    },
}

/// A new operator's one-time secrets: shown once, never stored in clear.
pub struct CreatedOperator {
    pub operator: Operator,
    pub password: String,
    /// The TOTP key in base32, for typing into an authenticator app.
    pub totp_secret: String,
    /// `otpauth://totp/…`, for a QR code.
    pub totp_uri: String,
}

impl std::fmt::Debug for CreatedOperator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatedOperator")
            .field("operator", &self.operator)
            .finish_non_exhaustive()
    }
}

/// What a partner's sessions may reach ([`Hub::set_partner_access_as`]).
#[derive(Clone, Debug)]
pub struct PartnerAccess {
    /// Empty: the dialect's configured provider.
    pub offered_providers: Vec<String>,
    pub evidence: idgate_core::EvidenceDisclosure,
    pub return_urls: idgate_core::ReturnUrlPolicy,
}

/// How a sign-in went.
#[derive(Debug)]
pub enum SignIn {
    /// The browser's cookie value (only its digest is stored) and the console session.
    Signed {
        token: String,
        session: ConsoleSession,
        operator: Box<Operator>,
    },
    /// Wrong name, password or code (which one is not said).
    Refused,
    /// Too many failures: no sign-in until then.
    Locked { until: DateTime<Utc> },
}

fn totp(key: &[u8], username: &str) -> ServiceResult<totp_rs::Totp> {
    totp_rs::Builder::new()
        .with_digits(TOTP_DIGITS)
        .with_skew(TOTP_SKEW)
        .with_step_duration(TOTP_STEP)
        .with_secret(key.to_vec())
        .with_issuer(Some("idgate"))
        .with_account_name(username)
        .build()
        .map_err(|e| ServiceError::Internal(format!("TOTP: {e}")))
}

/// The step a 6-digit `code` belongs to, at `now`, if it is right for `key`.
pub fn totp_step(key: &[u8], code: &str, now: DateTime<Utc>) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != usize::from(TOTP_DIGITS) || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let totp = totp(key, "-").ok()?;
    let seconds = u64::try_from(now.timestamp()).ok()?;
    totp.check(&code, seconds)
        .and_then(|step| i64::try_from(step).ok())
}

fn check_username(username: &str) -> ServiceResult<String> {
    let name = username.trim().to_lowercase();
    let fine = (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'@'));
    if !fine {
        return Err(ServiceError::InvalidOperator(
            "a username is 1-64 letters, digits, '.', '_', '-' or '@'".into(),
        ));
    }
    Ok(name)
}

/// Argon2id with the `argon2` crate's defaults (19 MiB, 2 passes: OWASP's minimum), on a
/// blocking thread: it takes tens of milliseconds on purpose.
async fn hash_password(password: String) -> ServiceResult<String> {
    tokio::task::spawn_blocking(move || {
        argon2::Argon2::default()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| ServiceError::Internal(format!("argon2: {e}")))
    })
    .await
    .map_err(|e| ServiceError::Internal(e.to_string()))?
}

async fn password_matches(hash: String, password: String) -> bool {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash).is_ok_and(|parsed| {
            argon2::Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
    })
    .await
    .unwrap_or(false)
}

impl Hub {
    /// Creates an operator with a random password and TOTP key, both returned once.
    pub async fn create_operator(
        &self,
        username: &str,
        role: OperatorRole,
        partners: Vec<PartnerId>,
        by: AuditActor<'_>,
    ) -> ServiceResult<CreatedOperator> {
        let username = check_username(username)?;
        for partner in &partners {
            self.store
                .get_partner(*partner)
                .await?
                .ok_or(ServiceError::NotFound("partner"))?;
        }
        let password = random_token(15)?;
        let key = random_bytes(20)?;
        let operator = Operator {
            id: OperatorId::new(),
            username: username.clone(),
            role,
            partners,
            password_hash: hash_password(password.clone()).await?,
            totp_key: key.clone(),
            failed_sign_ins: 0,
            locked_until: None,
            last_totp_step: 0,
            disabled: false,
            created_at: Utc::now(),
            single_sign_on: None,
        };
        match self.store.insert_operator(&operator).await {
            Err(StoreError::Duplicate(_)) => {
                return Err(ServiceError::InvalidOperator(format!(
                    "an operator named {username:?} exists"
                )));
            }
            other => other?,
        }
        let code = totp(&key, &username)?;
        self.audit(
            by,
            "operator.create",
            &format!("operator:{username}"),
            json!({"role": role.as_str(), "partners": operator.partners}),
        )
        .await?;
        Ok(CreatedOperator {
            totp_secret: code.secret().to_base32(),
            totp_uri: code
                .to_url()
                .map_err(|e| ServiceError::Internal(format!("TOTP: {e}")))?,
            password,
            operator,
        })
    }

    pub async fn operators(&self) -> ServiceResult<Vec<Operator>> {
        Ok(self.store.list_operators().await?)
    }

    /// Signs in with a password and a TOTP code. Five failures in a row lock the account
    /// for 15 minutes; a code counts once. Every attempt is audited.
    pub async fn sign_in(
        &self,
        username: &str,
        password: &str,
        code: &str,
        from: Option<&str>,
    ) -> ServiceResult<SignIn> {
        let now = Utc::now();
        let name = username.trim().to_lowercase();
        let operator = match self.store.operator_by_username(&name).await? {
            Some(o) if !o.disabled => o,
            _ => {
                // As slow as a real check, so the answer's time says nothing of the name.
                password_matches(DUMMY_HASH.to_owned(), password.to_owned()).await;
                self.audit_raw(
                    None,
                    &name,
                    "sign_in.refused",
                    "console",
                    from,
                    json!({"why": "unknown or disabled"}),
                )
                .await?;
                return Ok(SignIn::Refused);
            }
        };
        if let Some(until) = operator.locked_until.filter(|until| *until > now) {
            self.audit_raw(
                Some(operator.id),
                &operator.username,
                "sign_in.locked",
                "console",
                from,
                json!({}),
            )
            .await?;
            return Ok(SignIn::Locked { until });
        }
        let password_ok =
            password_matches(operator.password_hash.clone(), password.to_owned()).await;
        let step = totp_step(&operator.totp_key, code, now).filter(|_| password_ok);
        let accepted = match step {
            Some(step) => {
                self.store
                    .record_sign_in(operator.id, 0, None, Some(step))
                    .await?
            }
            None => false,
        };
        if !accepted {
            let failed = operator.failed_sign_ins.saturating_add(1);
            let locked_until = (failed >= LOCK_AFTER_FAILURES).then(|| now + LOCK_FOR);
            self.store
                .record_sign_in(operator.id, failed, locked_until, None)
                .await?;
            self.audit_raw(
                Some(operator.id),
                &operator.username,
                "sign_in.refused",
                "console",
                from,
                json!({"failures_in_a_row": failed, "locked": locked_until.is_some()}),
            )
            .await?;
            return Ok(match locked_until {
                Some(until) => SignIn::Locked { until },
                None => SignIn::Refused,
            });
        }
        self.open_console_session(operator, from, "password").await
    }

    /// Signs in the operator linked to `subject` at the single-sign-on provider `issuer`,
    /// which the caller has verified (an ID token from the configured issuer). The password
    /// lock does not hold it up: it guards the password, which this sign-in does not use.
    pub async fn sign_in_with_single_sign_on(
        &self,
        issuer: &str,
        subject: &str,
        from: Option<&str>,
    ) -> ServiceResult<SignIn> {
        match self.store.operator_by_sso(issuer, subject).await? {
            Some(operator) if !operator.disabled => {
                self.open_console_session(operator, from, "single_sign_on")
                    .await
            }
            found => {
                self.audit_raw(
                    found.as_ref().map(|o| o.id),
                    found.as_ref().map_or("single-sign-on", |o| o.username.as_str()),
                    "sign_in.refused",
                    "console",
                    from,
                    json!({
                        "method": "single_sign_on",
                        "why": if found.is_some() { "disabled" } else { "no operator has this subject" },
                    }),
                )
                .await?;
                Ok(SignIn::Refused)
            }
        }
    }

    async fn open_console_session(
        &self,
        operator: Operator,
        from: Option<&str>,
        method: &str,
    ) -> ServiceResult<SignIn> {
        let now = Utc::now();
        let token = random_token(32)?;
        let session = ConsoleSession {
            digest: self.keys.bind("console-session", &token),
            operator_id: operator.id,
            csrf: random_token(24)?,
            created_at: now,
            last_seen_at: now,
        };
        self.store.insert_console_session(&session).await?;
        self.audit_raw(
            Some(operator.id),
            &operator.username,
            "sign_in",
            "console",
            from,
            json!({"method": method}),
        )
        .await?;
        Ok(SignIn::Signed {
            token,
            session,
            operator: Box::new(operator),
        })
    }

    /// The identity `subject` names at the configured single-sign-on provider, if it is free:
    /// what [`Hub::link_single_sign_on`] would link (checked before an operator is created
    /// with it, so a refusal loses nothing).
    pub async fn free_single_sign_on(
        &self,
        subject: &str,
        for_operator: Option<OperatorId>,
    ) -> ServiceResult<SsoIdentity> {
        let sso = &self.settings.console.sso;
        if !sso.enabled() {
            return Err(ServiceError::InvalidOperator(
                "single sign-on is not configured: set [console.sso] issuer, client_id and client_secret first".into(),
            ));
        }
        let subject = subject.trim();
        if subject.is_empty() || subject.len() > 255 || subject.chars().any(char::is_control) {
            return Err(ServiceError::InvalidOperator(
                "a single-sign-on subject is 1-255 characters without control characters".into(),
            ));
        }
        if self
            .store
            .operator_by_sso(&sso.issuer, subject)
            .await?
            .is_some_and(|holder| Some(holder.id) != for_operator)
        {
            return Err(ServiceError::InvalidOperator(
                "another operator is linked to this single-sign-on subject".into(),
            ));
        }
        Ok(SsoIdentity {
            issuer: sso.issuer.clone(),
            subject: subject.to_owned(),
        })
    }

    /// Links `username` to `subject` (its `sub`) at the configured single-sign-on provider,
    /// or with `None` removes the link. Audited.
    pub async fn link_single_sign_on(
        &self,
        by: AuditActor<'_>,
        username: &str,
        subject: Option<&str>,
    ) -> ServiceResult<Operator> {
        self.authorize(by, OperatorAction::ManageOperators, None)?;
        let name = username.trim().to_lowercase();
        let operator = self
            .store
            .operator_by_username(&name)
            .await?
            .ok_or(ServiceError::NotFound("operator"))?;
        let identity = match subject {
            Some(subject) => Some(self.free_single_sign_on(subject, Some(operator.id)).await?),
            None => None,
        };
        let linked = Operator {
            single_sign_on: identity.clone(),
            ..operator
        };
        match self.store.update_operator(&linked).await {
            Err(StoreError::Duplicate(_)) => {
                return Err(ServiceError::InvalidOperator(
                    "another operator is linked to this single-sign-on subject".into(),
                ));
            }
            other => other?,
        }
        self.audit(
            by,
            if identity.is_some() {
                "operator.link_single_sign_on"
            } else {
                "operator.unlink_single_sign_on"
            },
            &format!("operator:{name}"),
            json!({
                "issuer": identity.as_ref().map(|i| &i.issuer),
                "subject": identity.as_ref().map(|i| &i.subject),
            }),
        )
        .await?;
        Ok(linked)
    }

    /// The operator signed in with cookie value `token`, while the session is neither idle
    /// for 30 minutes nor 12 hours old (an ended one is removed), and the operator enabled.
    pub async fn console_session(
        &self,
        token: &str,
    ) -> ServiceResult<Option<(Operator, ConsoleSession)>> {
        let now = Utc::now();
        let digest = self.keys.bind("console-session", token);
        let Some(session) = self.store.console_session(&digest).await? else {
            return Ok(None);
        };
        if now - session.last_seen_at > IDLE_TIMEOUT || now - session.created_at > ABSOLUTE_TIMEOUT
        {
            self.store.delete_console_session(&digest).await?;
            return Ok(None);
        }
        let Some(operator) = self
            .store
            .operator(session.operator_id)
            .await?
            .filter(|o| !o.disabled)
        else {
            self.store.delete_console_session(&digest).await?;
            return Ok(None);
        };
        if now - session.last_seen_at > TOUCH_EVERY {
            self.store.touch_console_session(&digest, now).await?;
        }
        Ok(Some((operator, session)))
    }

    pub async fn sign_out(
        &self,
        token: &str,
        operator: &Operator,
        from: Option<&str>,
    ) -> ServiceResult<()> {
        let digest = self.keys.bind("console-session", token);
        self.store.delete_console_session(&digest).await?;
        self.audit_raw(
            Some(operator.id),
            &operator.username,
            "sign_out",
            "console",
            from,
            json!({}),
        )
        .await
    }

    /// Refuses what `by` may not do (the command line may do everything).
    pub fn authorize(
        &self,
        by: AuditActor<'_>,
        action: OperatorAction,
        partner: Option<PartnerId>,
    ) -> ServiceResult<()> {
        match by {
            AuditActor::Cli => Ok(()),
            AuditActor::Operator { operator, .. } if operator.may(action, partner) => Ok(()),
            AuditActor::Operator { .. } => Err(ServiceError::Forbidden("operator role")),
        }
    }

    /// Return-URL registrations of the partners the operator may see (all, or one status).
    pub async fn return_urls_as(
        &self,
        by: AuditActor<'_>,
        status: Option<ReturnUrlStatus>,
    ) -> ServiceResult<Vec<ReturnUrlRule>> {
        let mut rules = self.list_return_urls(status).await?;
        rules.retain(|r| {
            self.authorize(by, OperatorAction::View, Some(r.partner_id))
                .is_ok()
        });
        Ok(rules)
    }

    /// An operator's (or the command line's) decision on a return URL, audited.
    pub async fn decide_return_url_as(
        &self,
        by: AuditActor<'_>,
        id: ReturnUrlRuleId,
        status: ReturnUrlStatus,
    ) -> ServiceResult<ReturnUrlRule> {
        let rule = self
            .store
            .get_return_url_rule(id)
            .await?
            .ok_or(ServiceError::NotFound("return URL"))?;
        self.authorize(by, OperatorAction::DecideReturnUrl, Some(rule.partner_id))?;
        let decided = self.decide_return_url(id, status).await?;
        self.audit(
            by,
            match status {
                ReturnUrlStatus::Approved => "return_url.approve",
                _ => "return_url.reject",
            },
            &format!("return_url:{id}"),
            json!({"url": decided.requested_url, "partner": decided.partner_id}),
        )
        .await?;
        Ok(decided)
    }

    /// Writes a line to the audit trail.
    pub async fn audit(
        &self,
        by: AuditActor<'_>,
        action: &str,
        target: &str,
        details: Value,
    ) -> ServiceResult<()> {
        match by {
            AuditActor::Cli => {
                self.audit_raw(None, "cli", action, target, None, details)
                    .await
            }
            AuditActor::Operator { operator, from } => {
                self.audit_raw(
                    Some(operator.id),
                    &operator.username,
                    action,
                    target,
                    from,
                    details,
                )
                .await
            }
        }
    }

    async fn audit_raw(
        &self,
        operator_id: Option<OperatorId>,
        actor: &str,
        action: &str,
        target: &str,
        from: Option<&str>,
        details: Value,
    ) -> ServiceResult<()> {
        self.store
            .append_audit(&AuditEntry {
                id: AuditEntryId::new(),
                at: Utc::now(),
                operator_id,
                actor: actor.to_owned(),
                action: action.to_owned(),
                target: target.to_owned(),
                from: from.map(str::to_owned),
                details,
            })
            .await?;
        Ok(())
    }

    /// The audit trail, newest first.
    pub async fn audit_log(
        &self,
        limit: u32,
        before: Option<DateTime<Utc>>,
    ) -> ServiceResult<Vec<AuditEntry>> {
        Ok(self.store.list_audit(limit.min(1000), before).await?)
    }
}

impl Hub {
    /// Sessions across partners, newest first (an operator limited to some partners sees
    /// theirs only). The list itself shows no personal data and is not audited.
    pub async fn search_sessions_as(
        &self,
        by: AuditActor<'_>,
        search: &idgate_store::SessionSearch,
    ) -> ServiceResult<Vec<Session>> {
        self.authorize(by, OperatorAction::View, search.partner_id)?;
        let found = self.store.search_sessions(search).await?;
        Ok(found
            .into_iter()
            .filter(|s| {
                self.authorize(by, OperatorAction::View, Some(s.partner_id))
                    .is_ok()
            })
            .collect())
    }

    /// A session and its timeline, for an operator: a view of personal data, audited.
    pub async fn session_as(
        &self,
        by: AuditActor<'_>,
        id: SessionId,
    ) -> ServiceResult<(Session, Vec<SessionEvent>)> {
        let session = self.session(id).await?;
        self.authorize(by, OperatorAction::View, Some(session.partner_id))?;
        let events = self.timeline(id).await?;
        self.audit(by, "session.view", &format!("session:{id}"), json!({}))
            .await?;
        Ok((session, events))
    }

    /// The files a session holds (documents, a face), oldest first: what a reviewer looks at.
    /// Listing them is part of the session's audited view; opening one is audited on its own.
    pub async fn session_media_as(
        &self,
        by: AuditActor<'_>,
        session: &Session,
    ) -> ServiceResult<Vec<idgate_core::SessionMedia>> {
        self.authorize(by, OperatorAction::View, Some(session.partner_id))?;
        self.session_media(session).await
    }

    /// One of a session's files with its bytes, for an operator's eyes. Audited.
    pub async fn media_file_as(
        &self,
        by: AuditActor<'_>,
        session: SessionId,
        media: idgate_core::MediaId,
    ) -> ServiceResult<(idgate_core::SessionMedia, Vec<u8>)> {
        let session = self.session(session).await?;
        self.authorize(by, OperatorAction::View, Some(session.partner_id))?;
        let (file, content) = match self.store.get_media(media).await? {
            Some((file, content)) if file.session_id == session.id => (file, content),
            _ => return Err(ServiceError::NotFound("media")),
        };
        self.audit(
            by,
            "session.media_view",
            &format!("session:{}", session.id),
            json!({"media": file.id.to_string(), "context": file.context}),
        )
        .await?;
        Ok((file, content))
    }

    /// "Add verification": a session for `partner` at `provider`, for the person named, made
    /// by hand; its link (and so a QR code) is handed to the person. It is a Veriff-dialect
    /// session, as a Veriff Customer Portal verification is, with no return URL: the person
    /// ends on idgate's result page.
    pub async fn add_verification_as(
        &self,
        by: AuditActor<'_>,
        partner: PartnerId,
        provider: &str,
        first_name: &str,
        last_name: &str,
    ) -> ServiceResult<super::sessions::CreatedSession> {
        self.authorize(by, OperatorAction::AddVerification, Some(partner))?;
        let partner = self.partner(partner).await?;
        let name = |value: &str, field: &str| -> ServiceResult<Option<String>> {
            let value = value.trim();
            if value.chars().count() > 100 || value.chars().any(char::is_control) {
                return Err(ServiceError::InvalidInput(idgate_providers::InputError {
                    missing: false,
                    field: field.into(),
                    message: "must be at most 100 characters of text".into(),
                }));
            }
            Ok((!value.is_empty()).then(|| value.to_owned()))
        };
        let applicant = idgate_core::ApplicantData {
            first_name: name(first_name, "first name")?,
            last_name: name(last_name, "last name")?,
            ..idgate_core::ApplicantData::default()
        };
        let created = self
            .create_session(
                &partner,
                idgate_core::Dialect::Veriff,
                idgate_core::NewSession {
                    provider_id: provider.to_owned(),
                    applicant: Some(applicant),
                    ..idgate_core::NewSession::default()
                },
            )
            .await?;
        self.audit(
            by,
            "session.create",
            &format!("session:{}", created.session.id),
            json!({"partner": partner.id, "provider": provider}),
        )
        .await?;
        Ok(created)
    }

    /// An operator's decision on a session in review: approved, or declined with a reason
    /// (kept in the audit trail; the session's reason is `declined_in_review`). Events and
    /// webhooks follow as for any decision.
    pub async fn decide_review_as(
        &self,
        by: AuditActor<'_>,
        id: SessionId,
        approve: bool,
        reason: &str,
    ) -> ServiceResult<Session> {
        let session = self.session(id).await?;
        self.authorize(by, OperatorAction::DecideReview, Some(session.partner_id))?;
        let event = if approve {
            LifecycleEvent::Approve
        } else {
            LifecycleEvent::Decline
        };
        if session.status != Status::Review {
            return Err(ServiceError::Lifecycle(LifecycleError::NotAllowed {
                status: session.status,
                event,
            }));
        }
        let reason = reason.trim();
        if !approve && reason.is_empty() || reason.chars().count() > 500 {
            return Err(ServiceError::InvalidInput(idgate_providers::InputError {
                missing: reason.is_empty(),
                field: "reason".into(),
                message: "a decline needs a reason of at most 500 characters".into(),
            }));
        }
        let outcome = ProviderOutcome {
            decision: if approve {
                Decision::Approved
            } else {
                Decision::Declined
            },
            reason: (!approve).then(|| "declined_in_review".to_owned()),
            raw_status: Some("operator_review".into()),
            // The level the provider reached stands; a review does not change it.
            achieved_loa: session.achieved_loa,
            claims: None,
            match_result: None,
            evidence: None,
        };
        let decided = self
            .apply_outcome_to(session, &outcome, Actor::Operator)
            .await?;
        self.audit(
            by,
            if approve {
                "review.approve"
            } else {
                "review.decline"
            },
            &format!("session:{id}"),
            json!({"reason": reason}),
        )
        .await?;
        Ok(decided)
    }
}

impl Hub {
    /// The partners an operator may see, by name.
    pub async fn partners_as(&self, by: AuditActor<'_>) -> ServiceResult<Vec<Partner>> {
        let mut partners = self.store.list_partners().await?;
        partners.retain(|p| self.authorize(by, OperatorAction::View, Some(p.id)).is_ok());
        partners.sort_by_key(|p| p.name.to_lowercase());
        Ok(partners)
    }

    /// A partner and its credentials (no secrets), for an operator.
    pub async fn partner_as(
        &self,
        by: AuditActor<'_>,
        id: PartnerId,
    ) -> ServiceResult<(Partner, Vec<Credential>)> {
        self.authorize(by, OperatorAction::View, Some(id))?;
        let partner = self.partner(id).await?;
        let credentials = self.partner_credentials(id).await?;
        Ok((partner, credentials))
    }

    /// Issues a credential of `kind` (its secrets are in the answer only), audited.
    pub async fn issue_credential_as(
        &self,
        by: AuditActor<'_>,
        partner: PartnerId,
        kind: CredentialKind,
    ) -> ServiceResult<crate::credentials::IssuedCredential> {
        self.authorize(by, OperatorAction::ManagePartners, Some(partner))?;
        let issued = self.issue_credential(partner, kind).await?;
        self.audit(
            by,
            "credential.issue",
            &format!("credential:{}", issued.id),
            json!({"partner": partner, "kind": kind.as_str()}),
        )
        .await?;
        Ok(issued)
    }

    /// Revokes a credential at once, audited.
    pub async fn revoke_credential_as(
        &self,
        by: AuditActor<'_>,
        id: CredentialId,
    ) -> ServiceResult<Credential> {
        let credential = self
            .store
            .get_credential(id)
            .await?
            .ok_or(ServiceError::NotFound("credential"))?;
        self.authorize(
            by,
            OperatorAction::ManagePartners,
            Some(credential.partner_id),
        )?;
        let revoked = self.revoke_credential(id, Utc::now()).await?;
        self.audit(
            by,
            "credential.revoke",
            &format!("credential:{id}"),
            json!({"partner": credential.partner_id, "kind": credential.kind.as_str()}),
        )
        .await?;
        Ok(revoked)
    }
}

impl Hub {
    /// Every webhook endpoint the operator may see, with its partner.
    pub async fn webhook_endpoints_as(
        &self,
        by: AuditActor<'_>,
    ) -> ServiceResult<Vec<idgate_core::WebhookEndpoint>> {
        let mut endpoints = self.webhook_endpoints(None).await?;
        endpoints.retain(|e| {
            self.authorize(by, OperatorAction::View, Some(e.partner_id))
                .is_ok()
        });
        Ok(endpoints)
    }

    /// An endpoint and its latest deliveries (newest first).
    pub async fn webhook_deliveries_as(
        &self,
        by: AuditActor<'_>,
        id: idgate_core::EndpointId,
        limit: u32,
    ) -> ServiceResult<(idgate_core::WebhookEndpoint, Vec<idgate_core::Delivery>)> {
        let endpoint = self.webhook_endpoint(None, id).await?;
        self.authorize(by, OperatorAction::View, Some(endpoint.partner_id))?;
        let deliveries = self.webhook_deliveries(&endpoint, None, limit).await?;
        Ok((endpoint, deliveries))
    }

    /// Queues one event to an endpoint again, audited.
    pub async fn redeliver_as(
        &self,
        by: AuditActor<'_>,
        id: idgate_core::EndpointId,
        event: idgate_core::EventId,
    ) -> ServiceResult<u64> {
        let endpoint = self.webhook_endpoint(None, id).await?;
        self.authorize(
            by,
            OperatorAction::ManagePartners,
            Some(endpoint.partner_id),
        )?;
        let queued = self
            .redeliver(&endpoint, idgate_store::Redeliver::Event(event))
            .await?;
        self.audit(
            by,
            "webhook.redeliver",
            &format!("webhook_endpoint:{id}"),
            json!({"event": event}),
        )
        .await?;
        Ok(queued)
    }
}

impl Hub {
    /// Creates a partner with its first credentials (their secrets in the answer only).
    pub async fn create_partner_as(
        &self,
        by: AuditActor<'_>,
        name: &str,
        tier: idgate_core::Tier,
    ) -> ServiceResult<(Partner, Vec<crate::credentials::IssuedCredential>)> {
        self.authorize(by, OperatorAction::ManagePartners, None)?;
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
            return Err(ServiceError::InvalidInput(idgate_providers::InputError {
                missing: name.is_empty(),
                field: "name".into(),
                message: "a partner's name is 1 to 200 characters, without control characters"
                    .into(),
            }));
        }
        let (partner, credentials) = self.create_partner(name, tier).await?;
        self.audit(
            by,
            "partner.create",
            &format!("partner:{}", partner.id),
            json!({"name": partner.name, "tier": tier.as_str()}),
        )
        .await?;
        Ok((partner, credentials))
    }

    /// Sets a partner's tier and its own cap on sessions a minute (`None`: the tier's).
    pub async fn set_partner_tier_as(
        &self,
        by: AuditActor<'_>,
        id: PartnerId,
        tier: idgate_core::Tier,
        session_cap: Option<u32>,
    ) -> ServiceResult<Partner> {
        let change = super::partners::PartnerChange {
            tier: Some(tier),
            session_cap: Some(session_cap),
            ..Default::default()
        };
        self.change_partner_as(by, id, change, "partner.tier").await
    }

    /// What a partner's sessions may reach: the providers its people choose from where the
    /// dialect names none, what `/evidence` discloses, and which return URLs it may use.
    /// Audited with the values before and after.
    pub async fn set_partner_access_as(
        &self,
        by: AuditActor<'_>,
        id: PartnerId,
        access: PartnerAccess,
    ) -> ServiceResult<Partner> {
        let change = super::partners::PartnerChange {
            offered_providers: Some(access.offered_providers),
            evidence: Some(access.evidence),
            return_urls: Some(access.return_urls),
            ..Default::default()
        };
        self.change_partner_as(by, id, change, "partner.access")
            .await
    }

    /// Applies `change` to a partner in one write, after checking all of it (admins only),
    /// and writes one audit line `action` with the settings before and after.
    pub async fn change_partner_as(
        &self,
        by: AuditActor<'_>,
        id: PartnerId,
        change: super::partners::PartnerChange,
        action: &str,
    ) -> ServiceResult<Partner> {
        self.authorize(by, OperatorAction::ManagePartners, Some(id))?;
        // update_partner checks the change (providers served here, a custom tier's cap).
        let before = self.partner(id).await?;
        let partner = self.update_partner(id, change).await?;
        let view = |p: &Partner| {
            json!({
                "tier": p.tier.as_str(),
                "sessions_per_minute": p.session_cap,
                "offered_providers": p.offered_providers,
                "evidence": p.evidence.as_str(),
                "return_urls": p.return_urls.as_str(),
            })
        };
        self.audit(
            by,
            action,
            &format!("partner:{id}"),
            json!({"before": view(&before), "after": view(&partner)}),
        )
        .await?;
        Ok(partner)
    }

    /// Adds tokens to a partner's balance (deepidv's metered sessions).
    pub async fn top_up_as(
        &self,
        by: AuditActor<'_>,
        id: PartnerId,
        tokens: i64,
        note: Option<String>,
    ) -> ServiceResult<idgate_core::TokenEntry> {
        self.authorize(by, OperatorAction::ManagePartners, Some(id))?;
        if tokens <= 0 || tokens > 1_000_000_000 {
            return Err(ServiceError::InvalidInput(idgate_providers::InputError {
                missing: false,
                field: "tokens".into(),
                message: "must be a whole number from 1 to 1 000 000 000".into(),
            }));
        }
        let entry = self.credit_tokens(id, tokens, note.clone()).await?;
        self.audit(
            by,
            "partner.tokens",
            &format!("partner:{id}"),
            json!({"tokens": tokens, "note": note, "balance": entry.balance_after}),
        )
        .await?;
        Ok(entry)
    }
}

impl Hub {
    /// A new admin API token for operator `username`, acting with their role: the token
    /// (`idg_op_…`) is in the answer only.
    pub async fn issue_operator_token(
        &self,
        by: AuditActor<'_>,
        username: &str,
        label: &str,
    ) -> ServiceResult<(idgate_core::OperatorToken, String)> {
        self.authorize(by, OperatorAction::ManageOperators, None)?;
        let operator = self
            .store
            .operator_by_username(&username.trim().to_lowercase())
            .await?
            .ok_or(ServiceError::NotFound("operator"))?;
        let label = label.trim();
        if label.is_empty() || label.chars().count() > 100 {
            return Err(ServiceError::InvalidOperator(
                "a token's label is 1-100 characters (what it is for)".into(),
            ));
        }
        let secret = format!("idg_op_{}", random_token(32)?);
        let token = idgate_core::OperatorToken {
            id: idgate_core::OperatorTokenId::new(),
            operator_id: operator.id,
            digest: self.keys.bind("operator-token", &secret),
            label: label.to_owned(),
            created_at: Utc::now(),
            revoked_at: None,
        };
        self.store.insert_operator_token(&token).await?;
        self.audit(
            by,
            "operator.token",
            &format!("operator:{}", operator.username),
            json!({"token": token.id, "label": token.label}),
        )
        .await?;
        Ok((token, secret))
    }

    /// Stops an admin API token now.
    pub async fn revoke_operator_token(
        &self,
        by: AuditActor<'_>,
        id: idgate_core::OperatorTokenId,
    ) -> ServiceResult<idgate_core::OperatorToken> {
        self.authorize(by, OperatorAction::ManageOperators, None)?;
        let revoked = self.store.revoke_operator_token(id, Utc::now()).await?;
        self.audit(
            by,
            "operator.token_revoke",
            &format!("operator_token:{id}"),
            json!({}),
        )
        .await?;
        Ok(revoked)
    }

    /// The enabled operator an admin API token stands for, while it is not revoked.
    pub async fn operator_for_token(&self, secret: &str) -> ServiceResult<Option<Operator>> {
        if !secret.starts_with("idg_op_") || secret.len() > 100 {
            return Ok(None);
        }
        let digest = self.keys.bind("operator-token", secret);
        let Some(token) = self
            .store
            .operator_token(&digest)
            .await?
            .filter(|t| t.revoked_at.is_none())
        else {
            return Ok(None);
        };
        Ok(self
            .store
            .operator(token.operator_id)
            .await?
            .filter(|o| !o.disabled))
    }
}

/// One provider's sessions over a period: by status, and how many got how far.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProviderFunnel {
    pub provider_id: String,
    pub created: u64,
    pub started: u64,
    pub decided: u64,
    pub approved: u64,
    /// `(status, sessions)`, every status that has some.
    pub by_status: Vec<(Status, u64)>,
}

/// Sessions created on one day.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DayCounts {
    pub day: chrono::NaiveDate,
    pub created: u64,
    /// Of those created that day, how many are decided and approved by now.
    pub decided: u64,
    pub approved: u64,
    /// `(provider, sessions created)`.
    pub by_provider: Vec<(String, u64)>,
}

/// What the dashboard shows: sessions since a time per provider and per day, and webhook
/// health.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Dashboard {
    pub providers: Vec<ProviderFunnel>,
    /// Each UTC day of the period, oldest first.
    pub days: Vec<DayCounts>,
    pub endpoints: u64,
    pub endpoints_failing: u64,
    pub endpoints_disabled: u64,
}

impl Hub {
    /// Sessions created since `since`, per provider (conversion: created → started →
    /// decided → approved), and the webhook endpoints' health. Counts only; no personal data.
    pub async fn dashboard_as(
        &self,
        by: AuditActor<'_>,
        since: DateTime<Utc>,
    ) -> ServiceResult<Dashboard> {
        // Counts span every partner: for operators who may see every partner.
        self.authorize(by, OperatorAction::View, None)?;
        if let AuditActor::Operator { operator, .. } = by
            && !operator.partners.is_empty()
        {
            return Err(ServiceError::Forbidden("operator role"));
        }
        let mut providers: Vec<ProviderFunnel> = Vec::new();
        // Every day of the period, the quiet ones too, so the series has no gaps.
        let mut days: Vec<DayCounts> = since
            .date_naive()
            .iter_days()
            .take_while(|day| *day <= Utc::now().date_naive())
            .map(|day| DayCounts {
                day,
                ..DayCounts::default()
            })
            .collect();
        for count in self.store.session_counts(since).await? {
            let funnel = match providers
                .iter_mut()
                .find(|f| f.provider_id == count.provider_id)
            {
                Some(f) => f,
                None => {
                    providers.push(ProviderFunnel {
                        provider_id: count.provider_id.clone(),
                        ..ProviderFunnel::default()
                    });
                    providers
                        .last_mut()
                        .ok_or(ServiceError::Internal("funnel".into()))?
                }
            };
            funnel.created += count.sessions;
            funnel.started += count.started;
            funnel.decided += count.decided;
            if count.status == Status::Approved {
                funnel.approved += count.sessions;
            }
            match funnel
                .by_status
                .iter_mut()
                .find(|(s, _)| *s == count.status)
            {
                Some((_, n)) => *n += count.sessions,
                None => funnel.by_status.push((count.status, count.sessions)),
            }
            if let Some(day) = days.iter_mut().find(|d| d.day == count.day) {
                day.created += count.sessions;
                day.decided += count.decided;
                if count.status == Status::Approved {
                    day.approved += count.sessions;
                }
                match day
                    .by_provider
                    .iter_mut()
                    .find(|(p, _)| *p == count.provider_id)
                {
                    Some((_, n)) => *n += count.sessions,
                    None => day.by_provider.push((count.provider_id, count.sessions)),
                }
            }
        }
        for funnel in &mut providers {
            funnel.by_status.sort_by_key(|(status, _)| status.as_str());
        }
        let endpoints = self.webhook_endpoints(None).await?;
        Ok(Dashboard {
            providers,
            days,
            endpoints: endpoints.len() as u64,
            endpoints_failing: endpoints
                .iter()
                .filter(|e| e.enabled && e.failing_since.is_some())
                .count() as u64,
            endpoints_disabled: endpoints.iter().filter(|e| !e.enabled).count() as u64,
        })
    }
}

/// A valid Argon2id hash of a random password nobody knows, checked for unknown names.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$9kIbrLrvgx4Xd9H1RrAm4W4HAiDPSn6ZbX0uH6GZiAk";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stand_in_hash_parses_so_unknown_names_cost_a_full_check() {
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
    }

    #[tokio::test]
    async fn a_password_hash_is_argon2id_and_checks_only_its_password() {
        let hash = hash_password("correct horse".into())
            .await
            .unwrap_or_default();
        assert!(hash.starts_with("$argon2id$v=19$"), "{hash}");
        assert!(password_matches(hash.clone(), "correct horse".into()).await);
        assert!(!password_matches(hash, "correct horsf".into()).await);
    }

    /// RFC 6238's SHA-1 test key, read as 6-digit codes: at 59 s the code is 287082 (the
    /// last six of 94287082), in step 1; a neighbouring step is accepted, not further.
    #[test]
    fn totp_codes_follow_rfc_6238() {
        let key = b"12345678901234567890";
        let at = |s: i64| DateTime::from_timestamp(s, 0).unwrap_or_default();
        assert_eq!(totp_step(key, "287082", at(59)), Some(1));
        assert_eq!(totp_step(key, "287 082", at(59)), Some(1));
        assert_eq!(totp_step(key, "287082", at(89)), Some(1));
        assert_eq!(totp_step(key, "287082", at(150)), None);
        assert_eq!(totp_step(key, "287083", at(59)), None);
        assert_eq!(totp_step(key, "28708", at(59)), None);
        assert_eq!(totp_step(key, "abcdef", at(59)), None);
    }
}
