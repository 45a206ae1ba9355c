//! Sessions: creation, lookup with tenant scoping, provider outcomes, expiry.

use super::{Hub, ServiceError, ServiceResult, digest, random_token};
use chrono::{DateTime, Duration, Utc};
use futures_util::{StreamExt, stream};
use idgate_core::outcome::{assured, outcome_plan};
use idgate_core::{
    Actor, Dialect, Invite, InviteStatus, LifecycleError, LifecycleEvent, NewSession,
    PROVIDER_CHOICES, Partner, ResultClaims, SIGN_IN_REQUEST, Session, SessionEvent, SessionId,
    Status, TokenEntry, TransitionNote,
};
use idgate_providers::sandbox::SandboxChoice;
use idgate_providers::{
    Collected, EndUserDevice, FlowSecrets, ProviderOutcome, SessionContext, StartAction,
    StartRequest,
};
use idgate_store::{ReferenceScope, SessionInsert, StoreError};
use std::collections::BTreeMap;
use tokio_util::sync::CancellationToken;

/// How often a transition is retried when another writer got there first.
const MAX_ATTEMPTS: usize = 5;
/// Sessions the expiry sweep moves at once.
const EXPIRY_CONCURRENCY: usize = 8;
/// How long the sweep leaves a session it cannot read.
const QUARANTINE: Duration = Duration::hours(24);

/// Why a provider round trip's `state` was refused at the callback.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FlowStateError {
    /// Not a `state` idgate issued.
    #[error("the state is not genuine")]
    Tampered,
    /// Genuine, but this browser did not start the attempt (or lost its cookie).
    #[error("the attempt was started in another browser")]
    OtherBrowser,
    /// Genuine, but issued longer ago than a provider round trip may take.
    #[error("the attempt is too old")]
    Expired,
}

/// How long a provider round trip's `state` is accepted after Continue was pressed.
pub const FLOW_STATE_LIFETIME_SECS: i64 = 3600;

/// An attempt id: when it was issued (seconds since the epoch) and a random part, so the
/// `state` built on it expires without anything stored.
fn new_attempt(now: DateTime<Utc>) -> Result<String, crate::random::RandomUnavailable> {
    Ok(format!("{}-{}", now.timestamp(), random_token(9)?))
}

/// When an attempt id was issued, if it says.
fn attempt_issued_at(attempt: &str) -> Option<i64> {
    attempt.split_once('-')?.0.parse().ok()
}

/// A session just created, with the hosted-flow token that is never stored.
#[derive(Debug)]
pub struct CreatedSession {
    pub session: Session,
    pub verification_url: String,
}

impl Hub {
    /// Creates a session for `partner`: the provider must be registered and able to give
    /// what is asked, the return URL must match one of the partner's approved rules, and a
    /// per-session webhook URL must be one idgate may call. The session, its own webhook
    /// endpoint and its first event are written together, or nothing is.
    pub async fn create_session(
        &self,
        partner: &Partner,
        dialect: Dialect,
        new: NewSession,
    ) -> ServiceResult<CreatedSession> {
        self.create_session_with(partner, dialect, new, serde_json::Map::new())
            .await
    }

    /// [`Hub::create_session`] with options only the service itself may set (`reserved`,
    /// e.g. the OpenID Connect front door's request); a dialect's own options cannot carry
    /// them.
    pub(crate) async fn create_session_with(
        &self,
        partner: &Partner,
        dialect: Dialect,
        mut new: NewSession,
        reserved: serde_json::Map<String, serde_json::Value>,
    ) -> ServiceResult<CreatedSession> {
        // Only the service records what the person may choose from, and what a front door
        // asked for: a partner's own options never set them.
        new.dialect_options.remove(PROVIDER_CHOICES);
        new.dialect_options.remove(SIGN_IN_REQUEST);
        new.dialect_options.extend(reserved);
        let choices = self.eligible_providers(&new);
        if !new.provider_choices.is_empty() && choices.is_empty() {
            return Err(ServiceError::InvalidInput(idgate_providers::InputError {
                missing: false,
                field: "provider".into(),
                message: "none of the providers offered can serve this request (level of \
                          assurance, what they need from the partner)"
                    .into(),
            }));
        }
        if let Some(first) = choices.first() {
            new.provider_id.clone_from(first);
        }
        if choices.len() > 1 {
            new.dialect_options
                .insert(PROVIDER_CHOICES.into(), serde_json::json!(choices));
        }
        let Some(provider) = self.providers.get(&new.provider_id) else {
            return Err(ServiceError::UnknownProvider(new.provider_id));
        };
        if let Some(candidate) = new.return_url.take() {
            new.return_url = Some(self.approved_return_url(partner, &candidate).await?);
        }
        let info = provider.info();
        if let Some(requested) = new.requested_loa
            && requested > info.max_loa
        {
            return Err(ServiceError::LoaUnavailable {
                provider: info.id.clone(),
                requested,
                max: info.max_loa,
            });
        }
        let empty = BTreeMap::new();
        provider.check_input(
            new.applicant
                .as_ref()
                .map_or(&empty, |a| &a.provider_fields),
            new.match_data.as_ref().map_or(&empty, |m| &m.0),
        )?;
        let id = new.id.unwrap_or_default();
        let endpoint = match new.webhook_url.take() {
            Some(url) => Some(self.verification_endpoint(partner.id, id, &url).await?),
            None => None,
        };
        let cost = i64::from(new.token_cost);
        if cost > 0 {
            // Checked before the quota, so a short balance costs no quota; the charge itself is
            // taken with the insert, where two creates cannot both spend the last tokens.
            let balance = self.store.token_balance(partner.id).await?;
            if balance < cost {
                return Err(ServiceError::InsufficientTokens {
                    balance,
                    needed: cost,
                });
            }
        }
        self.take_session_quota(partner).await?;
        let token = random_token(32)?;
        let lifetime = partner
            .session_ttl_secs
            .and_then(Duration::try_seconds)
            .unwrap_or(self.config.session_lifetime);
        let channels = std::mem::take(&mut new.invites);
        let (session, created) = Session::create(
            id,
            partner.id,
            dialect,
            new,
            digest(&token),
            lifetime,
            Utc::now(),
        );
        let outbox = self.outbox_for(&session, std::slice::from_ref(&created));
        let invites: Vec<Invite> = channels
            .into_iter()
            .map(|channel| {
                let invite = Invite::new(session.id, partner.id, channel, created.at);
                match self.invite_senders.unavailable(channel) {
                    Some(why) => invite.skipped(why),
                    None => invite,
                }
            })
            .collect();
        let verification_url = format!("{}/v/{token}", self.settings.public_base());
        let charge =
            (cost > 0).then(|| TokenEntry::session(partner.id, session.id, cost, created.at));
        self.store
            .insert_session_with(&SessionInsert {
                session: &session,
                created: &created,
                endpoint: endpoint.as_ref(),
                outbox: &outbox,
                invites: &invites,
                invite_link: Some(&verification_url),
                charge: charge.as_ref(),
            })
            .await
            .map_err(|e| match e {
                StoreError::InsufficientTokens { balance } => ServiceError::InsufficientTokens {
                    balance,
                    needed: cost,
                },
                e => e.into(),
            })?;
        self.webhook_wake.notify_one();
        if invites.iter().any(|i| i.status == InviteStatus::Pending) {
            self.invite_wake.notify_one();
        }
        metrics::counter!("idgate_sessions_created_total", "provider" => session.provider_id.clone())
            .increment(1);
        Ok(CreatedSession {
            verification_url,
            session,
        })
    }

    /// Counts one session creation against the partner's cap for the current minute, for
    /// all nodes at once (the store's counter). Checked after the request's own checks, so a
    /// refused request costs nothing; replays of an idempotent create never get here.
    async fn take_session_quota(&self, partner: &Partner) -> ServiceResult<()> {
        let (window, left) = crate::limits::minute_window(Utc::now());
        let cap = partner.sessions_per_minute();
        let used = self
            .store
            .take_quota(&format!("sessions:{}", partner.id), window, cap)
            .await?;
        if used.taken {
            return Ok(());
        }
        metrics::counter!("idgate_rate_limited_total", "policy" => "sessions").increment(1);
        Err(crate::limits::RateLimited {
            policy: "sessions",
            quota: cap,
            window_secs: 60,
            retry_after_secs: left,
        }
        .into())
    }

    /// Counts a provider round trip (a code exchange at the callback) for the session and
    /// refuses it past `limits.provider_exchanges_per_session`: a stolen or replayed callback
    /// cannot make idgate call the provider without end.
    pub async fn count_provider_exchange(&self, id: SessionId) -> ServiceResult<()> {
        let allowed = self.limits.provider_exchanges_per_session;
        if allowed == 0 {
            return Ok(());
        }
        let made = self.store.count_provider_exchange(id).await?;
        if made <= allowed {
            return Ok(());
        }
        metrics::counter!("idgate_rate_limited_total", "policy" => "exchanges").increment(1);
        Err(crate::limits::RateLimited {
            policy: "exchanges",
            quota: allowed,
            window_secs: 0,
            retry_after_secs: 0,
        }
        .into())
    }

    /// One request from `client` to a public page; refused past `limits.client_*`.
    pub fn limit_client(&self, client: std::net::IpAddr) -> ServiceResult<()> {
        self.limits.client(client).map_err(|limited| {
            metrics::counter!("idgate_rate_limited_total", "policy" => "client").increment(1);
            limited.into()
        })
    }

    /// A session as its partner may see it: 404 when unknown, 403 when another partner's.
    pub async fn partner_session(
        &self,
        partner: &Partner,
        id: SessionId,
    ) -> ServiceResult<Session> {
        let session = self
            .store
            .get_session(id)
            .await?
            .ok_or(ServiceError::NotFound("verification session"))?;
        if session.partner_id != partner.id {
            return Err(ServiceError::Forbidden("verification session"));
        }
        let session = self.expire_if_due(session, Utc::now()).await?;
        // A provider known only by asking (BankID) is asked as the partner reads: its result
        // may have come with nobody on the hosted page (a phone order).
        let asks = matches!(session.status, Status::Started | Status::Submitted)
            && self
                .providers
                .get(&session.provider_id)
                .is_some_and(|p| p.collects_on_read());
        if !asks {
            return Ok(session);
        }
        match self.collect(session.clone(), None).await {
            Ok((collected, _)) => Ok(collected),
            // The provider is down: the session as stored; the next read asks again.
            Err(e) => {
                tracing::warn!(session = %session.id, error = %e, "collecting at the provider failed");
                Ok(session)
            }
        }
    }

    /// The session a hosted-flow token opens, if any.
    pub async fn session_by_access_token(&self, token: &str) -> ServiceResult<Option<Session>> {
        match self
            .store
            .find_session_by_access_token(&digest(token))
            .await?
        {
            Some(s) => Ok(Some(self.expire_if_due(s, Utc::now()).await?)),
            None => Ok(None),
        }
    }

    pub async fn session(&self, id: SessionId) -> ServiceResult<Session> {
        self.store
            .get_session(id)
            .await?
            .ok_or(ServiceError::NotFound("verification session"))
    }

    /// A page of the partner's own sessions (newest first).
    pub async fn partner_sessions(
        &self,
        page: &idgate_store::SessionPage,
    ) -> ServiceResult<Vec<Session>> {
        Ok(self.store.list_partner_sessions(page).await?)
    }

    /// The partner a session belongs to (what the hosted page names).
    pub async fn session_partner(&self, session: &Session) -> ServiceResult<Partner> {
        self.store
            .get_partner(session.partner_id)
            .await?
            .ok_or(ServiceError::NotFound("partner"))
    }

    /// The newest live sessions a provider filed under `reference` (a simulated phone app's
    /// pending requests).
    pub async fn sessions_by_provider_reference(
        &self,
        provider_id: &str,
        reference: &str,
        limit: u32,
    ) -> ServiceResult<Vec<Session>> {
        Ok(self
            .store
            .find_sessions_by_provider_reference(
                provider_id,
                reference,
                ReferenceScope::Live,
                limit,
            )
            .await?)
    }

    pub async fn timeline(&self, id: SessionId) -> ServiceResult<Vec<SessionEvent>> {
        Ok(self.store.session_events(id).await?)
    }

    /// The session's invites and what became of each (the rest of its timeline).
    pub async fn invites(&self, id: SessionId) -> ServiceResult<Vec<Invite>> {
        Ok(self.store.session_invites(id).await?)
    }

    /// Applies `events` to the session in order (one transaction), re-reading and retrying when
    /// another writer changed it meanwhile. `prepare` may set result fields before the events.
    /// Events that repeat what already happened are skipped; a refused event stops with its
    /// error and nothing is written.
    pub async fn transition(
        &self,
        id: SessionId,
        actor: Actor,
        plan: impl Fn(&Session) -> Vec<(LifecycleEvent, TransitionNote)>,
        prepare: impl Fn(&mut Session),
    ) -> ServiceResult<Session> {
        let current = self.session(id).await?;
        self.transition_from(current, actor, plan, prepare).await
    }

    /// [`Hub::transition`] starting from a session the caller has just read (and scoped), so
    /// the common case reads it once; only a lost race reads it again.
    pub async fn transition_from(
        &self,
        current: Session,
        actor: Actor,
        plan: impl Fn(&Session) -> Vec<(LifecycleEvent, TransitionNote)>,
        prepare: impl Fn(&mut Session),
    ) -> ServiceResult<Session> {
        let id = current.id;
        let mut current = Some(current);
        for _ in 0..MAX_ATTEMPTS {
            let read = match current.take() {
                Some(s) => s,
                None => self.session(id).await?,
            };
            let mut session = read.clone();
            let before = session.status;
            let steps = plan(&session);
            prepare(&mut session);
            let now = Utc::now();
            let mut events = Vec::new();
            for (event, note) in steps {
                if let Some(e) = session.apply(event, actor, note, now)? {
                    events.push(e);
                }
            }
            if events.is_empty() {
                return Ok(read);
            }
            let outbox = self.outbox_for(&session, &events);
            match self
                .store
                .commit_transition(&session, &events, &outbox)
                .await
            {
                Ok(()) => {
                    self.webhook_wake.notify_one();
                    if session.status.is_terminal() && !before.is_terminal() {
                        metrics::counter!(
                            "idgate_sessions_finished_total",
                            "provider" => session.provider_id.clone(),
                            "status" => session.status.as_str()
                        )
                        .increment(1);
                    }
                    return Ok(session);
                }
                Err(StoreError::Stale) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(ServiceError::Contention)
    }

    /// Records a provider's decision, walking the session through the designed path
    /// (start → submit → decision) as far as it has not gone yet. An approval below the
    /// requested level of assurance is recorded as declined (`insufficient_loa`); what the
    /// provider returned is kept either way, so the partner can still read it.
    pub async fn apply_outcome(
        &self,
        id: SessionId,
        outcome: &ProviderOutcome,
        actor: Actor,
    ) -> ServiceResult<Session> {
        let current = self.session(id).await?;
        self.apply_outcome_to(current, outcome, actor).await
    }

    /// [`Hub::apply_outcome`] to a session the caller has just read.
    pub async fn apply_outcome_to(
        &self,
        current: Session,
        outcome: &ProviderOutcome,
        actor: Actor,
    ) -> ServiceResult<Session> {
        let capped;
        let outcome = match self.over_resubmission_cap(&current, outcome).await? {
            Some(declined) => {
                capped = declined;
                &capped
            }
            None => outcome,
        };
        let plan = |s: &Session| outcome_plan(s.status, &assured(s, outcome));
        let prepare = |s: &mut Session| {
            if s.status.is_terminal() {
                return;
            }
            if let Some(claims) = &outcome.claims {
                // Only what was asked for, when the partner asked for specific claims.
                let kept = claims
                    .iter()
                    .filter(|(name, _)| {
                        s.requested_claims.is_empty() || s.requested_claims.contains(name)
                    })
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                s.result_claims = Some(ResultClaims(kept));
            }
            if outcome.achieved_loa.is_some() {
                s.achieved_loa = outcome.achieved_loa;
            }
            if outcome.match_result.is_some() {
                s.match_result.clone_from(&outcome.match_result);
            }
            if outcome.evidence.is_some() {
                s.evidence.clone_from(&outcome.evidence);
            }
        };
        self.transition_from(current, actor, plan, prepare).await
    }

    /// A resubmission request past the dialect's cap, turned into the decline it becomes
    /// (`resubmission_limit`); `None` when the outcome stands.
    async fn over_resubmission_cap(
        &self,
        session: &Session,
        outcome: &ProviderOutcome,
    ) -> ServiceResult<Option<ProviderOutcome>> {
        if outcome.decision != idgate_providers::Decision::ResubmissionRequested {
            return Ok(None);
        }
        let Some(cap) = self.dialects.wire(session.dialect).resubmission_cap() else {
            return Ok(None);
        };
        let requested = self
            .store
            .session_events(session.id)
            .await?
            .iter()
            .filter(|e| e.to_status == Status::ResubmissionRequested)
            .count();
        if requested < cap {
            return Ok(None);
        }
        let mut declined = outcome.clone();
        declined.decision = idgate_providers::Decision::Declined;
        declined.reason = Some("resubmission_limit".to_owned());
        Ok(Some(declined))
    }

    /// A sandbox session decided by a tester's choice (simulator pages, test-helper APIs).
    /// The caller passes the session as its scope allowed it to read it (the partner's own
    /// session, the one the simulated app was shown), so no id can reach another's.
    pub async fn sandbox_decide(
        &self,
        session: Session,
        choice: SandboxChoice<'_>,
        actor: Actor,
    ) -> ServiceResult<Session> {
        let sandbox = self
            .providers
            .sandbox(&session.provider_id)
            .ok_or(ServiceError::NotSandbox)?;
        let material = self.flow_material(&session);
        let outcome = sandbox
            .decide(choice, session_context(&session, &material))
            .map_err(|e| idgate_providers::InputError {
                missing: false,
                field: "outcome".to_owned(),
                message: e.to_string(),
            })?;
        self.apply_outcome_to(session, &outcome, actor).await
    }

    /// The partner cancels a session that has not been decided.
    pub async fn cancel_session(&self, partner: &Partner, id: SessionId) -> ServiceResult<Session> {
        let session = self.partner_session(partner, id).await?;
        if session.status.is_terminal() {
            // Repeating a cancel is not a no-op here: the partner asked to change a decided
            // session, and is told so.
            return Err(ServiceError::Lifecycle(LifecycleError::Terminal {
                status: session.status,
                event: LifecycleEvent::Cancel,
            }));
        }
        let plan = |_: &Session| {
            vec![(
                LifecycleEvent::Cancel,
                TransitionNote {
                    reason: Some("partner_cancelled".to_owned()),
                    ..TransitionNote::default()
                },
            )]
        };
        let session = self
            .transition_from(session, Actor::Partner, plan, |_| {})
            .await?;
        self.after_cancel(&session).await;
        Ok(session)
    }

    /// What follows a cancel: the provider is told, and the session's uploaded files, of no
    /// further use, are deleted (the cancel stands if that fails; they stay sealed, and the
    /// error is logged).
    async fn after_cancel(&self, session: &Session) {
        self.tell_provider_cancelled(session).await;
        if let Err(e) = self.store.delete_session_media(session.id).await {
            tracing::error!(session = %session.id, error = %e, "deleting a cancelled session's media failed");
        }
    }

    /// The end user cancels from a waiting page.
    pub async fn cancel_by_user(&self, id: SessionId) -> ServiceResult<Session> {
        let plan = |_: &Session| {
            vec![(
                LifecycleEvent::Cancel,
                TransitionNote {
                    reason: Some("user_cancelled".to_owned()),
                    ..TransitionNote::default()
                },
            )]
        };
        let session = self.transition(id, Actor::EndUser, plan, |_| {}).await?;
        self.after_cancel(&session).await;
        Ok(session)
    }

    /// A started session's provider stops waiting for the user. Best effort: the session is
    /// cancelled either way, and a provider that cannot be told lets its request time out.
    async fn tell_provider_cancelled(&self, session: &Session) {
        if session.started_at.is_none() {
            return;
        }
        let Some(provider) = self.providers.get(&session.provider_id) else {
            return;
        };
        let material = self.flow_material(session);
        if let Err(e) = provider.cancel(session_context(session, &material)).await {
            tracing::warn!(provider = %session.provider_id, error = %e, "could not tell the provider a session was cancelled");
        }
    }

    /// The QR code to show now for a started QR session, as its provider makes it.
    pub fn qr_content(&self, session: &Session) -> Option<String> {
        let provider = self.providers.get(&session.provider_id)?;
        let material = self.flow_material(session);
        provider.qr_content(session_context(session, &material), Utc::now().timestamp())
    }

    /// Asks the provider of a waiting session how it stands (poll-based protocols) and records
    /// the outcome once there is one; the session as it stands otherwise, with the provider's
    /// hint of where the person is. A provider whose order lapsed before the person began
    /// (BankID's unscanned QR code) is asked for a new one in the same attempt (`device`:
    /// the person's browser asking, which BankID is told of).
    pub async fn collect(
        &self,
        session: Session,
        device: Option<&EndUserDevice>,
    ) -> ServiceResult<(Session, Option<String>)> {
        if !matches!(session.status, Status::Started | Status::Submitted) {
            return Ok((session, None));
        }
        let Some(provider) = self.providers.get(&session.provider_id) else {
            return Ok((session, None));
        };
        let material = self.flow_material(&session);
        let collected = provider
            .collect(session_context(&session, &material))
            .await?;
        match collected {
            Collected::Decided(outcome) => Ok((
                self.apply_outcome_to(session, &outcome, Actor::Provider)
                    .await?,
                None,
            )),
            Collected::Pending { hint } => Ok((session, hint)),
            Collected::Restart { carry } => {
                let started = provider
                    .start(&StartRequest {
                        session_id: session.id,
                        state: "",
                        callback_url: &material.callback_url,
                        public_url: self.settings.public_base(),
                        identifier: None,
                        requested_loa: session.requested_loa,
                        secrets: Some(material.secrets()),
                        provider_state: carry.as_ref(),
                        applicant: session.applicant.as_ref(),
                        device,
                    })
                    .await?;
                let mut renewed = session.clone();
                renewed.provider_reference = started.action.provider_reference().map(str::to_owned);
                renewed.provider_state = started.state;
                match self.store.renew_provider_state(&renewed).await {
                    Ok(()) => Ok((renewed, None)),
                    // Another request renewed or ended it meanwhile: that one stands.
                    Err(StoreError::Stale) => Ok((self.session(session.id).await?, None)),
                    Err(e) => Err(e.into()),
                }
            }
        }
    }

    /// The user finished at the provider, which decides later: created or started →
    /// submitted (a session already past that is left as it is).
    pub async fn provider_submitted(&self, session: Session) -> ServiceResult<Session> {
        self.transition_from(session, Actor::Provider, submitted_plan, |_| {})
            .await
    }

    /// Asks providers that decide later about sessions started or submitted there whose
    /// decision has not come (`sessions.decision_check_after` after submission, or after the
    /// start for a user who never came back, then every `sessions.decision_recheck`): at most
    /// `batch` sessions; how many were decided.
    pub async fn check_decisions(&self, now: DateTime<Utc>, batch: u32) -> ServiceResult<usize> {
        let providers: Vec<String> = self
            .providers
            .infos()
            .map(|i| i.id.clone())
            .filter(|id| self.providers.get(id).is_some_and(|p| p.decides_later()))
            .collect();
        let due = self
            .store
            .claim_decision_checks(
                &providers,
                now - self.config.decision_check_after,
                now - self.config.decision_recheck,
                now,
                batch,
            )
            .await?;
        let mut decided = 0;
        for id in due {
            let session = self.session(id).await?;
            match self.collect(session, None).await.map(|(after, _)| after) {
                Ok(after) if !matches!(after.status, Status::Started | Status::Submitted) => {
                    decided += 1;
                }
                Ok(_) => {}
                // The provider is down or refused: asked again at the next recheck.
                Err(e) => tracing::warn!(session = %id, error = %e, "decision check failed"),
            }
        }
        Ok(decided)
    }

    /// The subject a partner sees for a provider's user: stable for that partner and
    /// provider, unlinkable across partners (OIDC pairwise identifiers).
    pub fn pairwise_subject(&self, session: &Session) -> Option<String> {
        let subject = session.evidence.as_ref()?.subject.as_ref()?;
        Some(self.keys.bind(
            "pairwise-sub",
            &format!("{}:{}:{subject}", session.partner_id, session.provider_id),
        ))
    }

    /// How a push request is filed: a keyed digest of the identifier, so the column holds
    /// no personal data yet the simulated app can find its requests.
    pub fn push_reference(&self, provider_id: &str, identifier: &str) -> String {
        format!(
            "push:{}",
            self.keys
                .bind("push-identifier", &format!("{provider_id}:{identifier}"))
        )
    }

    /// Expires the session now if its time has passed and the sweep has not got to it yet, so
    /// nobody ever sees a live session after its `expires_at`.
    pub async fn expire_if_due(
        &self,
        session: Session,
        now: DateTime<Utc>,
    ) -> ServiceResult<Session> {
        if session.status.is_terminal()
            || session.status == Status::Review
            || !session.is_expired_at(now)
        {
            return Ok(session);
        }
        self.expire(session.id).await
    }

    pub async fn expire(&self, id: SessionId) -> ServiceResult<Session> {
        let plan = |s: &Session| {
            if Status::EXPIRABLE.contains(&s.status) {
                vec![(
                    LifecycleEvent::Expire,
                    TransitionNote {
                        reason: Some(s.expiry_reason().to_owned()),
                        ..TransitionNote::default()
                    },
                )]
            } else {
                Vec::new()
            }
        };
        self.transition(id, Actor::System, plan, |_| {}).await
    }

    /// Of the providers a new session offers its person, those that can serve the request: up
    /// to the requested level of assurance, given what they need from the partner, and for
    /// the person's country where it is known (unless no provider serves it: then the country
    /// does not narrow the choice). Empty when the session offers no choice.
    fn eligible_providers(&self, new: &NewSession) -> Vec<String> {
        let empty = BTreeMap::new();
        let mut seen = std::collections::BTreeSet::new();
        let fitting: Vec<&String> = new
            .provider_choices
            .iter()
            .filter(|id| seen.insert(id.as_str()))
            .filter(|id| {
                self.providers.get(id).is_some_and(|p| {
                    let info = p.info();
                    new.requested_loa.is_none_or(|loa| info.max_loa >= loa)
                        && (!info.match_capable || new.match_data.is_some())
                        && p.check_input(
                            new.applicant
                                .as_ref()
                                .map_or(&empty, |a| &a.provider_fields),
                            new.match_data.as_ref().map_or(&empty, |m| &m.0),
                        )
                        .is_ok()
                })
            })
            .collect();
        let country = new.applicant.as_ref().and_then(|a| a.country());
        let in_country: Vec<&String> = fitting
            .iter()
            .copied()
            .filter(|id| {
                let served = self.providers.countries(id);
                served.is_empty() || country.as_ref().is_none_or(|c| served.contains(c))
            })
            .collect();
        let chosen = if in_country.is_empty() {
            fitting
        } else {
            in_country
        };
        chosen.into_iter().cloned().collect()
    }

    /// The end user begins (or, after a resubmission request, begins again) at the provider,
    /// from the browser whose flow-cookie value is `browser` (see [`Hub::flow_state`]).
    /// Push flows carry the identifier the user entered. `chosen`: the provider the person
    /// picked, one of the session's choices, while it has not started. The provider is asked
    /// first, so a provider that refuses leaves the session as it was.
    pub async fn start_at_provider(
        &self,
        id: SessionId,
        identifier: Option<&str>,
        browser: Option<&str>,
        chosen: Option<&str>,
        device: Option<&EndUserDevice>,
    ) -> ServiceResult<(Session, StartAction)> {
        let mut session = self.session(id).await?;
        if !matches!(
            session.status,
            Status::Created | Status::Started | Status::ResubmissionRequested
        ) {
            return Err(ServiceError::Lifecycle(LifecycleError::NotAllowed {
                status: session.status,
                event: LifecycleEvent::Start,
            }));
        }
        let chosen = chosen
            .filter(|c| *c != session.provider_id)
            .map(str::to_owned);
        if let Some(choice) = &chosen {
            let open = matches!(
                session.status,
                Status::Created | Status::ResubmissionRequested
            );
            if !open || !session.provider_choices().contains(choice) {
                return Err(ServiceError::InvalidInput(idgate_providers::InputError {
                    missing: false,
                    field: "provider".into(),
                    message: "is not one of the ways this verification offers".into(),
                }));
            }
            session.provider_id.clone_from(choice);
        }
        let provider = self
            .providers
            .get(&session.provider_id)
            .ok_or_else(|| ServiceError::UnknownProvider(session.provider_id.clone()))?;
        let identifier = identifier
            .map(|i| provider.check_identifier(i))
            .transpose()?;
        let attempt = new_attempt(Utc::now())?;
        // Started without a browser (a push through the API): bound to a value nobody holds,
        // so no browser can finish it through a callback.
        let unheld;
        let browser = match browser {
            Some(b) => b,
            None => {
                unheld = random_token(18)?;
                &unheld
            }
        };
        let state = self.flow_state(session.id, &attempt, browser);
        let material = self.attempt_material(&session, Some(&attempt));
        let started = provider
            .start(&StartRequest {
                session_id: session.id,
                state: &state,
                callback_url: &material.callback_url,
                public_url: self.settings.public_base(),
                identifier: identifier.as_deref(),
                requested_loa: session.requested_loa,
                secrets: Some(material.secrets()),
                provider_state: session.provider_state.as_ref(),
                applicant: session.applicant.as_ref(),
                device,
            })
            .await?;
        let (action, provider_state) = (started.action, started.state);
        let starting_at = session.provider_id.clone();
        let reference = match (&action, identifier.as_deref()) {
            (StartAction::Push { .. }, Some(identifier)) => {
                Some(self.push_reference(&session.provider_id, identifier))
            }
            (other, _) => other.provider_reference().map(str::to_owned),
        };
        let session = self
            .transition(
                id,
                Actor::EndUser,
                |s| match s.status {
                    Status::Created | Status::ResubmissionRequested => {
                        vec![(LifecycleEvent::Start, TransitionNote::default())]
                    }
                    _ => Vec::new(),
                },
                |s| {
                    if matches!(s.status, Status::Created | Status::ResubmissionRequested) {
                        s.provider_reference.clone_from(&reference);
                        s.provider_state.clone_from(&provider_state);
                        if let Some(choice) = &chosen {
                            s.provider_id.clone_from(choice);
                        }
                    }
                },
            )
            .await?;
        // Another tab started the session meanwhile, at another of its providers: this start
        // is not the one recorded, so its flow could never finish.
        let started_here = session.provider_id == starting_at;
        if session.status != Status::Started || !started_here {
            return Err(ServiceError::Lifecycle(LifecycleError::NotAllowed {
                status: session.status,
                event: LifecycleEvent::Start,
            }));
        }
        Ok((session, action))
    }

    /// What a provider round trip needs besides `state`: the callback URL and per-session
    /// secrets (PKCE verifier, nonce) derived from the session with the deployment's key, so
    /// any node can finish a flow another started and nothing secret is stored.
    pub fn flow_material(&self, session: &Session) -> FlowMaterial {
        self.attempt_material(session, None)
    }

    /// [`Hub::flow_material`] for one attempt: its PKCE verifier and nonce are its own.
    pub fn attempt_material(&self, session: &Session, attempt: Option<&str>) -> FlowMaterial {
        let subject = match attempt {
            Some(attempt) => format!("{}.{attempt}", session.id),
            None => session.id.to_string(),
        };
        FlowMaterial {
            // 44 base64url characters: within PKCE's 43-128.
            pkce_verifier: format!(
                "{}{}",
                self.keys.bind("oidc-pkce-1", &subject),
                self.keys.bind("oidc-pkce-2", &subject)
            ),
            nonce: self.keys.bind("oidc-nonce", &subject),
            callback_url: format!(
                "{}/callback/{}",
                self.settings.public_base(),
                session.provider_id
            ),
        }
    }

    /// The `state` of one provider round trip: the session, the attempt, a tag only idgate
    /// can make (a provider's page may check it), and a tag that binds it to the browser that
    /// started the attempt (`browser`: the value of its flow cookie), which the callback
    /// requires. Stateless: any node can check it.
    pub fn flow_state(&self, id: SessionId, attempt: &str, browser: &str) -> String {
        let issued = format!("{id}.{attempt}");
        let bound = self
            .keys
            .bind("flow-browser", &format!("{issued}.{browser}"));
        format!("{issued}.{}.{bound}", self.keys.bind("flow-state", &issued))
    }

    /// The session and attempt a `state` names, if idgate issued it (whichever browser).
    pub fn flow_state_parts(&self, state: &str) -> Option<(SessionId, String)> {
        self.issued_state(state)
            .map(|(id, attempt, _)| (id, attempt.to_owned()))
    }

    /// [`Hub::flow_state_parts`], and only when it came back to the browser that started the
    /// attempt: an authorization begun in one browser cannot be finished in another (RFC 9700
    /// §4.7, a victim completing an attacker's session).
    pub fn check_flow_state(
        &self,
        state: &str,
        browser: Option<&str>,
    ) -> Result<(SessionId, String), FlowStateError> {
        let (id, attempt, bound) = self.issued_state(state).ok_or(FlowStateError::Tampered)?;
        let age = attempt_issued_at(attempt).map(|at| Utc::now().timestamp() - at);
        if !age.is_some_and(|age| (-60..=FLOW_STATE_LIFETIME_SECS).contains(&age)) {
            return Err(FlowStateError::Expired);
        }
        let subject = |browser: &str| format!("{id}.{attempt}.{browser}");
        match browser {
            Some(browser)
                if self
                    .keys
                    .verify_binding("flow-browser", &subject(browser), bound) =>
            {
                Ok((id, attempt.to_owned()))
            }
            _ => Err(FlowStateError::OtherBrowser),
        }
    }

    /// A `state`'s session, attempt and browser tag, once its issuer tag checks out.
    fn issued_state<'s>(&self, state: &'s str) -> Option<(SessionId, &'s str, &'s str)> {
        let mut parts = state.split('.');
        let (Some(subject), Some(attempt), Some(tag), Some(bound), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return None;
        };
        let id: SessionId = subject.parse().ok()?;
        self.keys
            .verify_binding("flow-state", &format!("{id}.{attempt}"), tag)
            .then_some((id, attempt, bound))
    }

    /// A ticket naming a session for the simulated phone app (not a provider round trip).
    pub fn session_ticket(&self, id: SessionId) -> String {
        let subject = id.to_string();
        format!("{subject}.{}", self.keys.bind("app-ticket", &subject))
    }

    /// The session a ticket names, if the tag is genuine.
    pub fn session_id_from_ticket(&self, ticket: &str) -> Option<SessionId> {
        let (subject, tag) = ticket.split_once('.')?;
        let id: SessionId = subject.parse().ok()?;
        self.keys
            .verify_binding("app-ticket", &id.to_string(), tag)
            .then_some(id)
    }

    /// Expires every session that is due, claiming bounded batches for `lease` so that other
    /// nodes sweeping at the same time take other sessions. Returns how many moved.
    pub async fn sweep_expired(
        &self,
        now: DateTime<Utc>,
        batch: u32,
        lease: Duration,
    ) -> ServiceResult<usize> {
        self.sweep_expired_until(now, batch, lease, &CancellationToken::new())
            .await
    }

    /// [`Hub::sweep_expired`], stopping between batches once `stop` is cancelled (a sweep of a
    /// million due sessions must not hold a shutdown; the claims it did not work lapse).
    pub async fn sweep_expired_until(
        &self,
        now: DateTime<Utc>,
        batch: u32,
        lease: Duration,
        stop: &CancellationToken,
    ) -> ServiceResult<usize> {
        let mut moved = 0;
        while !stop.is_cancelled() {
            let claimed = self
                .store
                .claim_due_expiries(now, batch, now + lease)
                .await?;
            if claimed.is_empty() {
                return Ok(moved);
            }
            // A few at a time, so that their writes share commits (group commit on SQLite,
            // concurrent WAL flushes on PostgreSQL) while requests still get their turn.
            let outcomes: Vec<_> = stream::iter(claimed)
                .map(|id| async move { (id, self.expire(id).await) })
                .buffer_unordered(EXPIRY_CONCURRENCY)
                .collect()
                .await;
            for (id, outcome) in outcomes {
                match outcome {
                    Ok(s) if s.status.is_terminal() => moved += 1,
                    Ok(_) => {}
                    // Someone else moved it to a state expiry does not apply to.
                    Err(ServiceError::Lifecycle(_)) => {}
                    // A row that cannot be read is set aside, not claimed again every lease.
                    Err(ServiceError::Store(
                        e @ (StoreError::Cipher(_) | StoreError::Corrupt(_)),
                    )) => {
                        self.quarantine_expiry(id, &e, now).await?;
                    }
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(moved)
    }

    /// Sets an unreadable session aside from the sweep for [`QUARANTINE`], loudly: an
    /// operator restores the key (or repairs the row) and the sweep takes it up again.
    async fn quarantine_expiry(
        &self,
        id: SessionId,
        error: &StoreError,
        now: DateTime<Utc>,
    ) -> ServiceResult<()> {
        tracing::error!(
            session = %id,
            error = %error,
            "a due session cannot be read; the expiry sweep leaves it for 24 h (restore its data key or repair the row)"
        );
        metrics::counter!("idgate_sessions_quarantined_total").increment(1);
        Ok(self.store.hold_expiry(id, now + QUARANTINE).await?)
    }
}

/// See [`Hub::flow_material`].
pub struct FlowMaterial {
    pkce_verifier: String,
    nonce: String,
    pub callback_url: String,
}

impl std::fmt::Debug for FlowMaterial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FlowMaterial")
            .field("callback_url", &self.callback_url)
            .finish_non_exhaustive()
    }
}

impl FlowMaterial {
    pub fn secrets(&self) -> FlowSecrets<'_> {
        FlowSecrets {
            pkce_verifier: &self.pkce_verifier,
            nonce: &self.nonce,
        }
    }
}

/// What an adapter may know about a session when it interprets a result.
pub fn session_context<'a>(session: &'a Session, material: &'a FlowMaterial) -> SessionContext<'a> {
    SessionContext {
        session_id: Some(session.id),
        provider_state: session.provider_state.as_ref(),
        user_data: session.applicant.as_ref().map(|a| &a.provider_fields),
        match_data: session.match_data.as_ref().map(|m| &m.0),
        secrets: Some(material.secrets()),
        callback_url: Some(&material.callback_url),
    }
}

/// The events that record a user finishing at a provider: created → started → submitted;
/// nothing for a session already past it (a late or repeated report).
pub fn submitted_plan(s: &Session) -> Vec<(LifecycleEvent, TransitionNote)> {
    match s.status {
        Status::Created => vec![
            (LifecycleEvent::Start, TransitionNote::default()),
            (LifecycleEvent::Submit, TransitionNote::default()),
        ],
        Status::Started => vec![(LifecycleEvent::Submit, TransitionNote::default())],
        _ => Vec::new(),
    }
}
