//! Behaviour every [`Store`] engine must show. Each engine's tests call these functions on a
//! fresh, migrated store (see [`conformance_suite!`](crate::conformance_suite)).

use crate::{
    EndpointHealth, IdempotencyClaim, IdempotencyKey, MediaInsert, Redeliver, ReferenceScope,
    ReturnUrlFilter, SessionPage, Store, StoreError,
};
use chrono::{DateTime, Duration, TimeZone, Utc};
use idgate_core::webhook::event_type_for;
use idgate_core::{
    Actor, ApplicantData, Branding, Credential, CredentialId, CredentialKind, Dialect,
    EvidenceDisclosure, ExternalRefs, FieldMatch, LifecycleEvent, Logo, MatchData, MatchResult,
    MediaId, MediaType, NewSession, Partner, PartnerId, ProviderEvidence, ProviderState,
    ResultClaims, ReturnUrlRule, ReturnUrlStatus, Session, SessionEvent, SessionId, SessionMedia,
    Status, Tier, TransitionNote, UrlPolicy, Workflow,
};
use idgate_core::{
    Delivery, DeliveryAttempt, DeliveryStatus, EndpointId, EndpointSecret, EventId,
    WebhookEndpoint, WebhookEvent,
};
use std::collections::BTreeMap;

/// Generates one `#[tokio::test]` per conformance case. `$make` is an async expression
/// yielding a fresh, migrated store.
#[macro_export]
macro_rules! conformance_suite {
    ($make:expr) => {
        $crate::conformance_suite!(@cases $make;
            partners_and_credentials,
            return_url_rules,
            sessions_round_trip_with_personal_data,
            access_token_lookup,
            transitions_are_optimistic_and_ordered,
            a_started_sessions_provider_state_is_renewed_without_an_event,
            several_events_commit_together_or_not_at_all,
            expiry_claims,
            webhook_endpoints_round_trip,
            outbox_fans_out_to_enabled_endpoints_that_want_the_event,
            deliveries_are_claimed_in_session_order_with_leases,
            attempts_dead_letters_and_redelivery,
            meta_values,
            sessions_by_provider_reference,
            idempotency_keys,
            verification_scoped_endpoints,
            partner_settings_change,
            quota_windows_count_exactly,
            provider_exchanges_are_counted,
            deliveries_are_claimed_fairly,
            a_verification_endpoint_retires_when_its_session_is_final_and_delivered,
            media_is_sealed_capped_and_closed_after_submit,
            decision_checks_take_waiting_sessions_and_space_them_out,
            a_partners_sessions_are_listed_newest_first_in_pages,
            invites_are_written_with_their_session_claimed_with_leases_and_recorded,
            tokens_are_spent_with_the_insert_exactly_and_never_below_zero,
            operators_console_sessions_and_the_audit_trail,
            operators_search_every_partners_sessions,
        );
    };
    (@cases $make:expr; $($case:ident),+ $(,)?) => {
        $(
            #[tokio::test]
            async fn $case() {
                let store = $make.await;
                $crate::conformance::$case(&store).await;
            }
        )+
    };
}

fn t(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_800_000_000 + secs, 0)
        .single()
        .unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
}

fn ok<T>(r: Result<T, StoreError>, what: &str) -> T {
    r.unwrap_or_else(|e| panic!("{what}: {e}"))
}

/// Applies a designed transition in memory and returns the event to store.
fn step(
    session: &mut Session,
    event: LifecycleEvent,
    actor: Actor,
    at: DateTime<Utc>,
) -> SessionEvent {
    session
        .apply(event, actor, TransitionNote::default(), at)
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("{event} refused"))
}

async fn commit(store: &dyn Store, session: &Session, event: &SessionEvent, what: &str) {
    ok(
        store
            .commit_transition(session, std::slice::from_ref(event), &[])
            .await,
        what,
    );
}

async fn partner(store: &dyn Store, name: &str) -> Partner {
    let p = Partner {
        session_ttl_secs: Some(3600),
        ..Partner::new(PartnerId::new(), name.into(), Tier::SelfServe, t(0))
    };
    ok(store.insert_partner(&p).await, "insert partner");
    // As stored: with its number.
    ok(store.get_partner(p.id).await, "get partner").unwrap_or_else(|| panic!("{name} is gone"))
}

fn new_session(
    partner: &Partner,
    token_digest: &str,
    at: DateTime<Utc>,
) -> (Session, SessionEvent) {
    let mut options = serde_json::Map::new();
    options.insert("id_type".into(), "local".into());
    Session::create(
        SessionId::new(),
        partner.id,
        Dialect::EasyFreelance,
        NewSession {
            id: None,
            provider_id: "veriff".into(),
            provider_choices: Vec::new(),
            external_refs: ExternalRefs {
                user_id: Some("42".into()),
                ..ExternalRefs::default()
            },
            dialect_options: options,
            applicant: Some(ApplicantData {
                first_name: Some("Kari".into()),
                last_name: Some("Nordmann".into()),
                ..ApplicantData::default()
            }),
            requested_loa: Some(3),
            requested_claims: vec!["given_name".into(), "birthdate".into()],
            match_data: Some(MatchData(BTreeMap::from([(
                "birthdate".to_string(),
                "1990-01-01".to_string(),
            )]))),
            return_url: Some("https://partner.example/return".into()),
            webhook_url: None,
            lifetime: Some(Duration::hours(1)),
            invites: Vec::new(),
            token_cost: 0,
        },
        token_digest.into(),
        Duration::days(7),
        at,
    )
}

pub async fn partners_and_credentials(store: &dyn Store) {
    let p = partner(store, "Acme").await;
    assert_eq!(ok(store.get_partner(p.id).await, "get"), Some(p.clone()));
    assert_eq!(ok(store.get_partner(PartnerId::new()).await, "get"), None);
    let other = partner(store, "Globex").await;
    let all = ok(store.list_partners().await, "list");
    assert!(all.contains(&p) && all.contains(&other));

    let cred = Credential {
        id: CredentialId::new(),
        partner_id: p.id,
        kind: CredentialKind::EasyFreelance,
        lookup_digest: "lookup-1".into(),
        secret_digest: "secret-1".into(),
        shared_secret: None,
        public_id: None,
        created_at: t(1),
        revoked_at: None,
    };
    ok(store.insert_credential(&cred).await, "insert credential");
    let found = ok(
        store
            .find_credential(CredentialKind::EasyFreelance, "lookup-1")
            .await,
        "find",
    );
    assert_eq!(found, Some(cred.clone()));
    assert_eq!(
        ok(
            store
                .find_credential(CredentialKind::EasyFreelance, "nope")
                .await,
            "find"
        ),
        None
    );
    let dup = Credential {
        id: CredentialId::new(),
        ..cred.clone()
    };
    assert!(matches!(
        store.insert_credential(&dup).await,
        Err(StoreError::Duplicate(_))
    ));

    // An HMAC kind's shared secret comes back as it went in.
    let signed = Credential {
        id: CredentialId::new(),
        lookup_digest: "lookup-2".into(),
        secret_digest: "secret-2".into(),
        shared_secret: Some("shared-secret-2".into()),
        created_at: t(2),
        ..cred.clone()
    };
    ok(store.insert_credential(&signed).await, "insert signed");
    assert_eq!(
        ok(store.get_credential(signed.id).await, "get"),
        Some(signed.clone())
    );
    assert_eq!(
        ok(store.list_credentials(p.id).await, "list"),
        vec![cred.clone(), signed.clone()]
    );
    assert_eq!(ok(store.list_credentials(other.id).await, "list"), vec![]);

    // A kind named by its lookup half keeps it in clear; its secret can be replaced in place.
    let app = Credential {
        id: CredentialId::new(),
        kind: CredentialKind::Hopae,
        lookup_digest: "lookup-3".into(),
        secret_digest: "secret-3".into(),
        public_id: Some("FK5b0KSM".into()),
        created_at: t(3),
        ..cred.clone()
    };
    ok(store.insert_credential(&app).await, "insert app");
    ok(
        store.replace_credential_secret(app.id, "secret-3b").await,
        "replace secret",
    );
    assert_eq!(
        ok(
            store
                .find_credential(CredentialKind::Hopae, "lookup-3")
                .await,
            "find"
        ),
        Some(Credential {
            secret_digest: "secret-3b".into(),
            ..app.clone()
        })
    );
    assert!(matches!(
        store
            .replace_credential_secret(CredentialId::new(), "x")
            .await,
        Err(StoreError::NotFound(_))
    ));

    // Revocation: found still (the caller decides), and an earlier time is never extended.
    ok(
        store.revoke_credential(cred.id, t(100)).await,
        "revoke later",
    );
    ok(
        store.revoke_credential(cred.id, t(50)).await,
        "revoke sooner",
    );
    ok(
        store.revoke_credential(cred.id, t(70)).await,
        "revoke later again",
    );
    let revoked = ok(
        store
            .find_credential(CredentialKind::EasyFreelance, "lookup-1")
            .await,
        "find",
    );
    assert_eq!(revoked.and_then(|c| c.revoked_at), Some(t(50)));
    assert!(matches!(
        store.revoke_credential(CredentialId::new(), t(1)).await,
        Err(StoreError::NotFound(_))
    ));
}

pub async fn return_url_rules(store: &dyn Store) {
    let p = partner(store, "Acme").await;
    let other = partner(store, "Globex").await;
    let policy = UrlPolicy::default();
    let rule = ok(
        ReturnUrlRule::request(p.id, "https://acme.example/return", policy, t(5))
            .map_err(|e| StoreError::Corrupt(e.to_string())),
        "rule",
    );
    ok(store.insert_return_url_rule(&rule).await, "insert rule");
    let foreign = ok(
        ReturnUrlRule::request(other.id, "https://globex.example/cb", policy, t(6))
            .map_err(|e| StoreError::Corrupt(e.to_string())),
        "rule",
    );
    ok(store.insert_return_url_rule(&foreign).await, "insert rule");

    assert_eq!(
        ok(store.get_return_url_rule(rule.id).await, "get"),
        Some(rule.clone())
    );
    let mine = ok(
        store
            .list_return_url_rules(ReturnUrlFilter {
                partner_id: Some(p.id),
                status: None,
            })
            .await,
        "list",
    );
    assert_eq!(mine, vec![rule.clone()]);

    let approved = ok(
        store
            .decide_return_url_rule(rule.id, ReturnUrlStatus::Approved, t(10))
            .await,
        "approve",
    );
    assert_eq!(approved.status, ReturnUrlStatus::Approved);
    assert_eq!(approved.decided_at, Some(t(10)));
    let pending = ok(
        store
            .list_return_url_rules(ReturnUrlFilter {
                partner_id: None,
                status: Some(ReturnUrlStatus::Pending),
            })
            .await,
        "list pending",
    );
    assert_eq!(
        pending.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![foreign.id]
    );
    assert!(matches!(
        store
            .decide_return_url_rule(
                idgate_core::ReturnUrlRuleId::new(),
                ReturnUrlStatus::Rejected,
                t(11)
            )
            .await,
        Err(StoreError::NotFound(_))
    ));
}

pub async fn sessions_round_trip_with_personal_data(store: &dyn Store) {
    let p = partner(store, "Acme").await;
    let (mut session, created) = new_session(&p, "digest-a", t(0));
    ok(
        store.insert_session(&session, &created, None, &[]).await,
        "insert session",
    );
    assert_eq!(
        ok(store.get_session(session.id).await, "get"),
        Some(session.clone())
    );
    assert_eq!(ok(store.get_session(SessionId::new()).await, "get"), None);

    // Results written by a transition come back as written.
    let now = t(30);
    let mut kept = serde_json::Map::new();
    kept.insert(
        "order_ref".into(),
        "131daac9-16c6-4618-beb0-365768f37288".into(),
    );
    kept.insert(
        "qr_start_secret".into(),
        "d28db9a7-4cde-429e-a983-359be676944c".into(),
    );
    session.provider_state = Some(ProviderState(kept));
    let started = step(&mut session, LifecycleEvent::Start, Actor::EndUser, now);
    commit(store, &session, &started, "start").await;
    assert_eq!(
        ok(store.get_session(session.id).await, "get").and_then(|s| s.provider_state),
        session.provider_state,
        "the provider's state comes back as kept"
    );
    let submitted = step(&mut session, LifecycleEvent::Submit, Actor::Provider, now);
    commit(store, &session, &submitted, "submit").await;
    let mut claims = serde_json::Map::new();
    claims.insert("given_name".into(), "Kari".into());
    session.result_claims = Some(ResultClaims(claims));
    session.match_result = Some(MatchResult {
        matched: true,
        granularity: "per_field".into(),
        fields: BTreeMap::from([(
            "birthdate".to_string(),
            FieldMatch {
                matched: true,
                similarity: Some(100),
            },
        )]),
    });
    session.evidence = Some(ProviderEvidence {
        subject: Some("provider-subject-1".into()),
        acr: Some("urn:idgate:loa:3".into()),
        amr: vec!["qr".into()],
        evidence: serde_json::json!({"format": "sandbox", "issued": "2026-11-25"}),
    });
    session.achieved_loa = Some(3);
    session.provider_reference = Some("prov-123".into());
    let approved = session
        .apply(
            LifecycleEvent::Approve,
            Actor::Provider,
            TransitionNote {
                reason: None,
                raw_provider_status: Some("approved".into()),
                details: serde_json::json!({"sandbox": true}),
            },
            now,
        )
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("approve"));
    commit(store, &session, &approved, "approve").await;
    assert_eq!(
        ok(store.get_session(session.id).await, "get"),
        Some(session.clone())
    );

    let events = ok(store.session_events(session.id).await, "events");
    assert_eq!(events, vec![created, started, submitted, approved]);
}

pub async fn access_token_lookup(store: &dyn Store) {
    let p = partner(store, "Acme").await;
    let (session, created) = new_session(&p, "digest-b", t(0));
    ok(
        store.insert_session(&session, &created, None, &[]).await,
        "insert",
    );
    let found = ok(store.find_session_by_access_token("digest-b").await, "find");
    assert_eq!(found.map(|s| s.id), Some(session.id));
    assert_eq!(
        ok(store.find_session_by_access_token("digest-x").await, "find"),
        None
    );
    let (clash, clash_event) = new_session(&p, "digest-b", t(0));
    assert!(matches!(
        store.insert_session(&clash, &clash_event, None, &[]).await,
        Err(StoreError::Duplicate(_))
    ));
}

pub async fn transitions_are_optimistic_and_ordered(store: &dyn Store) {
    let p = partner(store, "Acme").await;
    let (session, created) = new_session(&p, "digest-c", t(0));
    ok(
        store.insert_session(&session, &created, None, &[]).await,
        "insert",
    );

    // Two writers read the same version; only the first commit wins.
    let mut first = session.clone();
    let mut second = session.clone();
    let e1 = step(&mut first, LifecycleEvent::Start, Actor::EndUser, t(1));
    // The person chose another of the offered providers as they started.
    first.provider_id = "eid-chosen".into();
    let e2 = step(&mut second, LifecycleEvent::Cancel, Actor::Partner, t(1));
    commit(store, &first, &e1, "first").await;
    assert!(matches!(
        store
            .commit_transition(&second, std::slice::from_ref(&e2), &[])
            .await,
        Err(StoreError::Stale)
    ));
    let stored = ok(store.get_session(session.id).await, "get").unwrap_or_else(|| panic!("gone"));
    assert_eq!(stored.status, Status::Started);
    assert_eq!(stored.provider_id, "eid-chosen");
    assert_eq!(
        ok(store.session_events(session.id).await, "events").len(),
        2
    );

    // A transition for a session that does not exist is refused, not invented.
    let (ghost, _) = new_session(&p, "digest-ghost", t(0));
    let mut ghost_moved = ghost.clone();
    let ghost_event = step(
        &mut ghost_moved,
        LifecycleEvent::Start,
        Actor::EndUser,
        t(1),
    );
    assert!(
        store
            .commit_transition(&ghost_moved, std::slice::from_ref(&ghost_event), &[])
            .await
            .is_err()
    );
}

pub async fn a_started_sessions_provider_state_is_renewed_without_an_event(store: &dyn Store) {
    let p = partner(store, "Acme").await;
    let (session, created) = new_session(&p, "digest-renew", t(0));
    ok(
        store.insert_session(&session, &created, None, &[]).await,
        "insert",
    );
    // Not started yet: nothing to renew.
    let mut early = session.clone();
    early.provider_reference = Some("order-0".into());
    assert!(matches!(
        store.renew_provider_state(&early).await,
        Err(StoreError::Stale)
    ));
    let mut started = session.clone();
    let e1 = step(&mut started, LifecycleEvent::Start, Actor::EndUser, t(1));
    commit(store, &started, &e1, "start").await;
    let mut renewed = started.clone();
    renewed.provider_reference = Some("order-2".into());
    let mut state = ProviderState::default();
    state.0.insert("order_ref".into(), "order-2".into());
    renewed.provider_state = Some(state);
    ok(store.renew_provider_state(&renewed).await, "renew");
    let stored = ok(store.get_session(session.id).await, "get").unwrap_or_else(|| panic!("gone"));
    assert_eq!(
        stored, renewed,
        "reference and sealed state replaced, nothing else"
    );
    assert_eq!(
        ok(store.session_events(session.id).await, "events").len(),
        2,
        "no event"
    );
    // A writer that read an older version loses.
    let mut late = started.clone();
    let e2 = step(&mut late, LifecycleEvent::Cancel, Actor::Partner, t(2));
    commit(store, &late, &e2, "cancel").await;
    assert!(matches!(
        store.renew_provider_state(&renewed).await,
        Err(StoreError::Stale)
    ));
}

pub async fn several_events_commit_together_or_not_at_all(store: &dyn Store) {
    let p = partner(store, "Acme").await;
    let (session, created) = new_session(&p, "digest-m", t(0));
    ok(
        store.insert_session(&session, &created, None, &[]).await,
        "insert",
    );
    let mut walked = session.clone();
    let events: Vec<SessionEvent> = [
        LifecycleEvent::Start,
        LifecycleEvent::Submit,
        LifecycleEvent::Approve,
    ]
    .into_iter()
    .map(|e| step(&mut walked, e, Actor::Provider, t(5)))
    .collect();
    // A stale writer's batch (based on the old version) after this one lands is refused whole.
    let mut stale = session.clone();
    let stale_events: Vec<SessionEvent> = [LifecycleEvent::Start, LifecycleEvent::Cancel]
        .into_iter()
        .map(|e| step(&mut stale, e, Actor::EndUser, t(6)))
        .collect();
    ok(
        store.commit_transition(&walked, &events, &[]).await,
        "batch",
    );
    assert!(matches!(
        store.commit_transition(&stale, &stale_events, &[]).await,
        Err(StoreError::Stale)
    ));
    let stored = ok(store.session_events(session.id).await, "events");
    assert_eq!(
        stored.iter().map(|e| e.seq).collect::<Vec<_>>(),
        vec![1, 2, 3, 4]
    );
    let now = ok(store.get_session(session.id).await, "get").map(|s| s.status);
    assert_eq!(now, Some(Status::Approved));
}

pub async fn expiry_claims(store: &dyn Store) {
    let p = partner(store, "Acme").await;
    let mut sessions = Vec::new();
    for (i, digest) in ["e1", "e2", "e3", "e4"].into_iter().enumerate() {
        let (session, created) = new_session(&p, digest, t(i as i64 * 10));
        ok(
            store.insert_session(&session, &created, None, &[]).await,
            "insert",
        );
        sessions.push(session);
    }
    let ids: Vec<SessionId> = sessions.iter().map(|s| s.id).collect();
    let claim =
        |now: i64, limit: u32, until: i64| store.claim_due_expiries(t(now), limit, t(until));

    // Sessions live one hour (due at 3600, 3610, 3620, 3630): at 3615 two are due and claimed.
    assert_eq!(
        ok(claim(3615, 100, 3645).await, "claim"),
        vec![ids[0], ids[1]]
    );
    // While the claim holds, nobody else gets them.
    assert_eq!(
        ok(claim(3619, 100, 3650).await, "claim"),
        Vec::<SessionId>::new()
    );
    // The claimant crashed: after the lease they are claimable again, oldest first, and
    // `limit` holds.
    assert_eq!(ok(claim(3646, 1, 3700).await, "claim"), vec![ids[0]]);
    assert_eq!(
        ok(claim(3646, 5, 3700).await, "claim"),
        vec![ids[1], ids[2], ids[3]]
    );

    // A committed transition clears the claim; terminal and review sessions are never due.
    let mut done = sessions[0].clone();
    let e = step(&mut done, LifecycleEvent::Cancel, Actor::Partner, t(1));
    commit(store, &done, &e, "cancel").await;
    let mut review = sessions[1].clone();
    for event in [
        LifecycleEvent::Start,
        LifecycleEvent::Submit,
        LifecycleEvent::Review,
    ] {
        let e = step(&mut review, event, Actor::Provider, t(2));
        commit(store, &review, &e, "review").await;
    }
    let mut started = sessions[2].clone();
    let e = step(&mut started, LifecycleEvent::Start, Actor::EndUser, t(3));
    commit(store, &started, &e, "start").await;
    assert_eq!(
        ok(claim(100_000, 100, 100_030).await, "claim"),
        vec![ids[2], ids[3]]
    );
}

pub async fn meta_values(store: &dyn Store) {
    assert_eq!(ok(store.meta_get("k").await, "get"), None);
    ok(store.meta_set("k", "v1").await, "set");
    ok(store.meta_set("k", "v2").await, "overwrite");
    assert_eq!(ok(store.meta_get("k").await, "get"), Some("v2".into()));
    assert!(ok(
        store.meta_set_if_absent("claim", "node-a").await,
        "claim"
    ));
    assert!(!ok(
        store.meta_set_if_absent("claim", "node-b").await,
        "claim"
    ));
    assert_eq!(
        ok(store.meta_get("claim").await, "get"),
        Some("node-a".into())
    );
    // Spent marks of one namespace go; other namespaces and live marks stay.
    for (key, value) in [
        ("code:a", "00000000000000000100"),
        ("code:b", "00000000000000000300"),
        ("codex:c", "00000000000000000100"),
    ] {
        assert!(ok(store.meta_set_if_absent(key, value).await, "set"));
    }
    assert_eq!(
        ok(
            store
                .meta_delete_below("code:", "00000000000000000200")
                .await,
            "delete"
        ),
        1
    );
    assert_eq!(ok(store.meta_get("code:a").await, "get"), None);
    assert!(ok(store.meta_get("code:b").await, "get").is_some());
    assert!(ok(store.meta_get("codex:c").await, "get").is_some());
}

fn webhook_endpoint(partner: &Partner, types: &[&str], enabled: bool) -> WebhookEndpoint {
    WebhookEndpoint {
        id: EndpointId::new(),
        partner_id: partner.id,
        url: "https://partner.example/hooks".into(),
        event_types: types.iter().map(|t| (*t).to_owned()).collect(),
        enabled,
        include_claims: false,
        sign_ed25519: true,
        secrets: vec![EndpointSecret {
            id: "sec1".into(),
            key: vec![9; 32],
            created_at: t(0),
            expires_at: None,
        }],
        failing_since: None,
        disabled_reason: None,
        session_id: None,
        signing_credential: None,
        dialect_settings: None,
        created_at: t(0),
        updated_at: t(0),
    }
}

/// The outbox events for session events, as the service writes them.
fn outbox(session: &Session, events: &[SessionEvent]) -> Vec<WebhookEvent> {
    events
        .iter()
        .map(|e| WebhookEvent {
            id: EventId::new(),
            partner_id: session.partner_id,
            session_id: Some(session.id),
            seq: Some(e.seq),
            event_type: event_type_for(e.to_status),
            created_at: e.at,
            dialect: Some(session.dialect),
            payload: serde_json::json!({"type": event_type_for(e.to_status), "seq": e.seq}),
        })
        .collect()
}

pub async fn webhook_endpoints_round_trip(store: &dyn Store) {
    let p = partner(store, "Acme").await;
    let mut ep = webhook_endpoint(&p, &["session.approved"], true);
    ok(store.insert_webhook_endpoint(&ep).await, "insert endpoint");
    assert_eq!(
        ok(store.get_webhook_endpoint(ep.id).await, "get"),
        Some(ep.clone())
    );
    ep.url = "https://partner.example/v2/hooks".into();
    ep.event_types.clear();
    ep.secrets.push(EndpointSecret {
        id: "sec2".into(),
        key: vec![8; 32],
        created_at: t(5),
        expires_at: Some(t(100)),
    });
    ep.failing_since = Some(t(7));
    ep.dialect_settings = serde_json::json!({"app": "cred", "events": ["verification.completed"]})
        .as_object()
        .cloned();
    ok(store.update_webhook_endpoint(&ep).await, "update");
    assert_eq!(
        ok(store.get_webhook_endpoint(ep.id).await, "get"),
        Some(ep.clone())
    );
    let other = partner(store, "Globex").await;
    let theirs = webhook_endpoint(&other, &[], true);
    ok(store.insert_webhook_endpoint(&theirs).await, "insert");
    let mine = ok(store.list_webhook_endpoints(Some(p.id)).await, "list");
    assert_eq!(mine, vec![ep.clone()]);
    assert_eq!(
        ok(store.list_webhook_endpoints(None).await, "list").len(),
        2
    );
    let ghost = webhook_endpoint(&p, &[], true);
    assert!(matches!(
        store.update_webhook_endpoint(&ghost).await,
        Err(StoreError::NotFound(_))
    ));
}

pub async fn outbox_fans_out_to_enabled_endpoints_that_want_the_event(store: &dyn Store) {
    let p = partner(store, "Acme").await;
    let all = webhook_endpoint(&p, &[], true);
    let approvals = webhook_endpoint(&p, &["session.approved"], true);
    let off = webhook_endpoint(&p, &[], false);
    for ep in [&all, &approvals, &off] {
        ok(store.insert_webhook_endpoint(ep).await, "insert endpoint");
    }
    let stranger = partner(store, "Globex").await;
    let theirs = webhook_endpoint(&stranger, &[], true);
    ok(
        store.insert_webhook_endpoint(&theirs).await,
        "insert endpoint",
    );

    let (mut session, created) = new_session(&p, "digest-w1", t(0));
    let created_out = outbox(&session, std::slice::from_ref(&created));
    ok(
        store
            .insert_session(&session, &created, None, &created_out)
            .await,
        "insert",
    );
    let events: Vec<SessionEvent> = [
        LifecycleEvent::Start,
        LifecycleEvent::Submit,
        LifecycleEvent::Approve,
    ]
    .into_iter()
    .map(|e| step(&mut session, e, Actor::Provider, t(5)))
    .collect();
    let moved_out = outbox(&session, &events);
    ok(
        store.commit_transition(&session, &events, &moved_out).await,
        "commit",
    );

    let count = |ep: EndpointId| async move {
        ok(store.list_deliveries(ep, None, 100).await, "list").len()
    };
    assert_eq!(
        count(all.id).await,
        4,
        "created, started, submitted, approved"
    );
    assert_eq!(count(approvals.id).await, 1);
    assert_eq!(count(off.id).await, 0, "disabled endpoints get nothing new");
    assert_eq!(
        count(theirs.id).await,
        0,
        "another partner's endpoint gets nothing"
    );
    let first = ok(store.get_webhook_event(created_out[0].id).await, "event");
    assert_eq!(first, Some(created_out[0].clone()));

    // A refused (stale) transition writes no outbox rows either.
    let mut stale = session.clone();
    stale.version -= 1;
    let again = outbox(&session, &events[2..]);
    assert!(
        store
            .commit_transition(&stale, &events[2..], &again)
            .await
            .is_err()
    );
    assert_eq!(count(all.id).await, 4);
    assert_eq!(
        ok(store.get_webhook_event(again[0].id).await, "event"),
        None
    );

    // An event that no endpoint wants is not stored (nobody could ask for it by its id).
    let quiet = partner(store, "Initech").await;
    let (unheard, created) = new_session(&quiet, "digest-w2", t(0));
    let unheard_out = outbox(&unheard, std::slice::from_ref(&created));
    ok(
        store
            .insert_session(&unheard, &created, None, &unheard_out)
            .await,
        "insert",
    );
    assert_eq!(
        ok(store.get_webhook_event(unheard_out[0].id).await, "event"),
        None
    );
    let (only_approvals, created) = new_session(&p, "digest-w3", t(0));
    let only_approvals_out = outbox(&only_approvals, std::slice::from_ref(&created));
    ok(
        store
            .insert_session(&only_approvals, &created, None, &only_approvals_out)
            .await,
        "insert",
    );
    assert!(
        ok(
            store.get_webhook_event(only_approvals_out[0].id).await,
            "event"
        )
        .is_some(),
        "kept: the catch-all endpoint wants it"
    );
}

pub async fn deliveries_are_claimed_in_session_order_with_leases(store: &dyn Store) {
    let p = partner(store, "Acme").await;
    let ep = webhook_endpoint(&p, &[], true);
    ok(store.insert_webhook_endpoint(&ep).await, "insert endpoint");
    let (mut session, created) = new_session(&p, "digest-w2", t(0));
    let out = outbox(&session, std::slice::from_ref(&created));
    ok(
        store.insert_session(&session, &created, None, &out).await,
        "insert",
    );
    let started = step(&mut session, LifecycleEvent::Start, Actor::EndUser, t(1));
    let out2 = outbox(&session, std::slice::from_ref(&started));
    ok(
        store
            .commit_transition(&session, std::slice::from_ref(&started), &out2)
            .await,
        "start",
    );

    // Only the first event of the session is claimable; the second waits behind it.
    let jobs = ok(
        store.claim_due_deliveries(t(10), 10, t(40), 10).await,
        "claim",
    );
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].event.id, out[0].id);
    assert_eq!(
        jobs[0].event, out[0],
        "the event comes back whole, its dialect included"
    );
    assert_eq!(jobs[0].endpoint.id, ep.id);
    assert_eq!(jobs[0].endpoint.secrets, ep.secrets);
    // Claimed: nobody else gets it until the lease ends.
    assert!(
        ok(
            store.claim_due_deliveries(t(20), 10, t(50), 10).await,
            "claim"
        )
        .is_empty()
    );
    let again = ok(
        store.claim_due_deliveries(t(41), 10, t(70), 10).await,
        "claim",
    );
    assert_eq!(again.len(), 1, "a lapsed claim is taken again");

    // Delivered: the next event of the session becomes claimable.
    let mut d: Delivery = again[0].delivery.clone();
    d.status = DeliveryStatus::Delivered;
    d.attempts = 1;
    d.last_attempt_at = Some(t(42));
    d.delivered_at = Some(t(42));
    d.last_status_code = Some(200);
    let attempt = DeliveryAttempt {
        delivery_id: d.id,
        attempt: 1,
        at: t(42),
        status_code: Some(200),
        duration_ms: 12,
        error: None,
        response_body: Some("ok".into()),
    };
    let healthy = EndpointHealth {
        failing_since: None,
        disabled_reason: None,
    };
    ok(store.record_attempt(&attempt, &d, &healthy).await, "record");
    let next = ok(
        store.claim_due_deliveries(t(43), 10, t(80), 10).await,
        "claim",
    );
    assert_eq!(
        next.iter().map(|j| j.event.id).collect::<Vec<_>>(),
        vec![out2[0].id]
    );

    // Deliveries to a disabled endpoint wait.
    let mut off = ep.clone();
    off.enabled = false;
    ok(store.update_webhook_endpoint(&off).await, "disable");
    assert!(
        ok(
            store.claim_due_deliveries(t(100), 10, t(130), 10).await,
            "claim"
        )
        .is_empty()
    );
    assert_eq!(
        ok(store.oldest_pending_delivery().await, "oldest"),
        Some(t(1)),
        "the started event is still pending"
    );
}

pub async fn attempts_dead_letters_and_redelivery(store: &dyn Store) {
    let p = partner(store, "Acme").await;
    let ep = webhook_endpoint(&p, &[], true);
    ok(store.insert_webhook_endpoint(&ep).await, "insert endpoint");
    let (session, created) = new_session(&p, "digest-w3", t(0));
    let out = outbox(&session, std::slice::from_ref(&created));
    ok(
        store.insert_session(&session, &created, None, &out).await,
        "insert",
    );
    let job = ok(
        store.claim_due_deliveries(t(1), 10, t(30), 10).await,
        "claim",
    )
    .pop()
    .unwrap_or_else(|| panic!("nothing to claim"));
    let mut d = job.delivery.clone();
    d.status = DeliveryStatus::Dead;
    d.attempts = 1;
    d.last_status_code = Some(500);
    d.last_error = Some("HTTP 500".into());
    d.last_attempt_at = Some(t(2));
    let attempt = DeliveryAttempt {
        delivery_id: d.id,
        attempt: 1,
        at: t(2),
        status_code: Some(500),
        duration_ms: 30,
        error: Some("HTTP 500".into()),
        response_body: Some("boom".into()),
    };
    let failing = EndpointHealth {
        failing_since: Some(t(2)),
        disabled_reason: Some("failing".into()),
    };
    ok(store.record_attempt(&attempt, &d, &failing).await, "record");
    assert_eq!(
        ok(store.delivery_attempts(d.id).await, "attempts"),
        vec![attempt]
    );
    let dead = ok(
        store
            .list_deliveries(ep.id, Some(DeliveryStatus::Dead), 10)
            .await,
        "dead",
    );
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].last_status_code, Some(500));
    let now_ep =
        ok(store.get_webhook_endpoint(ep.id).await, "get").unwrap_or_else(|| panic!("gone"));
    assert!(!now_ep.enabled);
    assert_eq!(now_ep.failing_since, Some(t(2)));
    assert_eq!(ok(store.oldest_pending_delivery().await, "oldest"), None);

    // Re-enabled and redelivered by time range.
    let mut on = now_ep.clone();
    on.enabled = true;
    on.disabled_reason = None;
    ok(store.update_webhook_endpoint(&on).await, "enable");
    let none = Redeliver::DeadBetween {
        since: t(10),
        until: t(20),
    };
    assert_eq!(
        ok(store.redeliver(ep.id, none, t(50)).await, "redeliver"),
        0
    );
    let range = Redeliver::DeadBetween {
        since: t(0),
        until: t(10),
    };
    assert_eq!(
        ok(store.redeliver(ep.id, range, t(50)).await, "redeliver"),
        1
    );
    let pending = ok(
        store
            .list_deliveries(ep.id, Some(DeliveryStatus::Pending), 10)
            .await,
        "pending",
    );
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].next_attempt_at, t(50));

    // One event to an endpoint that never had it: a delivery is created.
    let late = webhook_endpoint(&p, &[], true);
    ok(
        store.insert_webhook_endpoint(&late).await,
        "insert endpoint",
    );
    assert_eq!(
        ok(
            store
                .redeliver(late.id, Redeliver::Event(out[0].id), t(60))
                .await,
            "one"
        ),
        1
    );
    assert_eq!(
        ok(store.list_deliveries(late.id, None, 10).await, "list").len(),
        1
    );
    assert!(matches!(
        store
            .redeliver(late.id, Redeliver::Event(EventId::new()), t(60))
            .await,
        Err(StoreError::NotFound(_))
    ));

    // A test event goes to one endpoint only.
    let test = WebhookEvent {
        id: EventId::new(),
        partner_id: p.id,
        session_id: None,
        seq: None,
        event_type: "webhook.test".into(),
        created_at: t(70),
        dialect: None,
        payload: serde_json::json!({"type": "webhook.test"}),
    };
    let id = ok(store.insert_webhook_event_for(&test, late.id).await, "test");
    let listed = ok(store.list_deliveries(late.id, None, 10).await, "list");
    assert_eq!(listed[0].id, id, "newest first");
    assert_eq!(
        ok(store.list_deliveries(ep.id, None, 10).await, "list").len(),
        1
    );
}

pub async fn sessions_by_provider_reference(store: &dyn Store) {
    let p = partner(store, "Acme").await;
    let (mut first, created) = new_session(&p, "digest-ref-1", t(0));
    first.provider_reference = Some("push:abc".into());
    ok(
        store.insert_session(&first, &created, None, &[]).await,
        "insert",
    );
    let (mut second, created) = new_session(&p, "digest-ref-2", t(10));
    second.provider_reference = Some("push:abc".into());
    ok(
        store.insert_session(&second, &created, None, &[]).await,
        "insert",
    );
    let (other, created) = new_session(&p, "digest-ref-3", t(20));
    ok(
        store.insert_session(&other, &created, None, &[]).await,
        "insert",
    );

    let found = ok(
        store
            .find_sessions_by_provider_reference("veriff", "push:abc", ReferenceScope::Live, 10)
            .await,
        "find",
    );
    assert_eq!(
        found.iter().map(|s| s.id).collect::<Vec<_>>(),
        vec![second.id, first.id],
        "newest first, only that reference"
    );
    assert!(
        ok(
            store
                .find_sessions_by_provider_reference("other", "push:abc", ReferenceScope::Live, 10)
                .await,
            "find"
        )
        .is_empty()
    );
    // A decided session is no longer waiting for the app.
    let cancelled = step(&mut second, LifecycleEvent::Cancel, Actor::Partner, t(30));
    commit(store, &second, &cancelled, "cancel").await;
    let found = ok(
        store
            .find_sessions_by_provider_reference("veriff", "push:abc", ReferenceScope::Live, 10)
            .await,
        "find",
    );
    assert_eq!(
        found.iter().map(|s| s.id).collect::<Vec<_>>(),
        vec![first.id]
    );
    // A provider's late notice still finds it.
    let found = ok(
        store
            .find_sessions_by_provider_reference("veriff", "push:abc", ReferenceScope::Any, 10)
            .await,
        "find",
    );
    assert_eq!(
        found.iter().map(|s| s.id).collect::<Vec<_>>(),
        vec![second.id, first.id],
        "decided ones too"
    );
}

pub async fn idempotency_keys(store: &dyn Store) {
    let p = partner(store, "Acme").await;
    let key = IdempotencyKey {
        partner_id: p.id,
        key: "order-42",
    };
    let claim = |digest: &'static str, now: i64| {
        store.claim_idempotency_key(&key, digest, t(now), t(now + 60), t(now - 86_400))
    };
    assert_eq!(
        ok(claim("body-a", 0).await, "claim"),
        IdempotencyClaim::Claimed
    );
    // While the first request runs: the same body waits, another body conflicts.
    assert_eq!(
        ok(claim("body-a", 1).await, "claim"),
        IdempotencyClaim::InProgress
    );
    assert_eq!(
        ok(claim("body-b", 1).await, "claim"),
        IdempotencyClaim::Conflict
    );
    let answer = serde_json::json!({"verificationId": "v1", "authorizationUrl": "secret"});
    ok(
        store.complete_idempotency_key(&key, 201, &answer).await,
        "complete",
    );
    assert_eq!(
        ok(claim("body-a", 2).await, "claim"),
        IdempotencyClaim::Replay {
            status: 201,
            body: answer.clone()
        }
    );
    assert_eq!(
        ok(claim("body-b", 2).await, "claim"),
        IdempotencyClaim::Conflict
    );

    // Another partner's identical key is independent.
    let other = partner(store, "Other").await;
    let other_key = IdempotencyKey {
        partner_id: other.id,
        key: "order-42",
    };
    assert_eq!(
        ok(
            store
                .claim_idempotency_key(&other_key, "body-b", t(3), t(63), t(-86_397))
                .await,
            "claim"
        ),
        IdempotencyClaim::Claimed
    );
    // A released claim (the request failed) can be retried; a lapsed lease can be taken over.
    ok(store.release_idempotency_key(&other_key).await, "release");
    assert_eq!(
        ok(
            store
                .claim_idempotency_key(&other_key, "body-b", t(4), t(64), t(-86_396))
                .await,
            "claim"
        ),
        IdempotencyClaim::Claimed
    );
    assert_eq!(
        ok(
            store
                .claim_idempotency_key(&other_key, "body-b", t(100), t(160), t(-86_300))
                .await,
            "claim"
        ),
        IdempotencyClaim::Claimed
    );
    // After the retention window the key is forgotten and may carry a new request.
    assert_eq!(
        ok(claim("body-c", 90_000).await, "claim"),
        IdempotencyClaim::Claimed
    );
}

pub async fn verification_scoped_endpoints(store: &dyn Store) {
    let p = partner(store, "Acme").await;
    let general = webhook_endpoint(&p, &[], true);
    ok(store.insert_webhook_endpoint(&general).await, "insert");
    let (mine, created_mine) = new_session(&p, "digest-scope-1", t(0));
    let (other, created_other) = new_session(&p, "digest-scope-2", t(0));
    let mut scoped = webhook_endpoint(&p, &[], true);
    scoped.session_id = Some(mine.id);
    // The session's own endpoint is written with it, and hears its creation event.
    let mine_out = outbox(&mine, std::slice::from_ref(&created_mine));
    ok(
        store
            .insert_session(&mine, &created_mine, Some(&scoped), &mine_out)
            .await,
        "insert with its endpoint",
    );
    assert_eq!(
        ok(store.get_webhook_endpoint(scoped.id).await, "get"),
        Some(scoped.clone()),
        "round trip"
    );
    let listed = ok(store.list_webhook_endpoints(Some(p.id)).await, "list");
    assert_eq!(
        listed.iter().map(|e| e.id).collect::<Vec<_>>(),
        vec![general.id],
        "per-verification endpoints are not the partner's endpoints"
    );
    let other_out = outbox(&other, std::slice::from_ref(&created_other));
    ok(
        store
            .insert_session(&other, &created_other, None, &other_out)
            .await,
        "insert",
    );
    let to_scoped = ok(store.list_deliveries(scoped.id, None, 10).await, "list");
    assert_eq!(
        to_scoped.iter().map(|d| d.session_id).collect::<Vec<_>>(),
        vec![Some(mine.id)],
        "only its own verification"
    );
    assert_eq!(
        ok(store.list_deliveries(general.id, None, 10).await, "list").len(),
        2,
        "the general endpoint hears both"
    );

    // A session that cannot be stored leaves no endpoint behind.
    let (clash, created_clash) = new_session(&p, "digest-scope-1", t(0));
    let mut orphan = webhook_endpoint(&p, &[], true);
    orphan.session_id = Some(clash.id);
    assert!(matches!(
        store
            .insert_session(&clash, &created_clash, Some(&orphan), &[])
            .await,
        Err(StoreError::Duplicate(_))
    ));
    assert_eq!(
        ok(store.get_webhook_endpoint(orphan.id).await, "get"),
        None,
        "no orphan endpoint"
    );
}

pub async fn partner_settings_change(store: &dyn Store) {
    let p = partner(store, "Acme").await;
    // Numbers are given in order of creation, once, and a change keeps them.
    let q = partner(store, "Beta").await;
    assert!(
        p.number >= 1 && q.number == p.number + 1,
        "{} {}",
        p.number,
        q.number
    );
    assert_eq!(p.evidence, EvidenceDisclosure::Minimal);
    assert_eq!(
        p.sessions_per_minute(),
        Tier::SelfServe.sessions_per_minute()
    );
    let changed = Partner {
        name: "Acme AS".into(),
        tier: Tier::Custom,
        session_cap: Some(120),
        evidence: EvidenceDisclosure::Full,
        frame_ancestors: ["https://shop.example.com", "http://127.0.0.1:5173"]
            .iter()
            .filter_map(|o| o.parse().ok())
            .collect(),
        branding: Branding {
            display_name: Some("Acme".into()),
            primary_color: Some("#1f5fbf".into()),
            support_contact: Some("help@acme.example.com".into()),
            privacy_url: Some("https://acme.example.com/privacy".into()),
            logo_type: Some("image/png".into()),
            logo_version: Some("1".into()),
            language: Some("sv".into()),
        },
        offered_providers: vec!["bankid".into(), "veriff".into()],
        return_urls: idgate_core::ReturnUrlPolicy::AnyHttps,
        workflows: vec![Workflow {
            id: "wf_abc".into(),
            name: "Onboarding".into(),
            providers: vec!["veriff".into()],
            steps: vec!["ID_VERIFICATION".into()],
            step_configs: BTreeMap::from([(
                "ID_VERIFICATION".to_owned(),
                serde_json::Map::from_iter([("allow_passport".to_owned(), true.into())]),
            )]),
            created_at: Some(t(5)),
            updated_at: Some(t(6)),
        }],
        ..p.clone()
    };
    assert_eq!(changed.frame_ancestors.len(), 2);
    assert!(p.frame_ancestors.is_empty());
    ok(store.update_partner(&changed).await, "update");
    let read = ok(store.get_partner(p.id).await, "get");
    assert_eq!(read, Some(changed.clone()));
    assert_eq!(read.map(|p| p.sessions_per_minute()), Some(120));
    // A logo is kept per partner and replaced by the next.
    assert_eq!(ok(store.get_partner_logo(p.id).await, "no logo"), None);
    let first = Logo {
        media_type: "image/png".into(),
        bytes: vec![0x89, b'P', b'N', b'G', 0, 1, 2],
    };
    let second = Logo {
        media_type: "image/jpeg".into(),
        bytes: vec![0xff, 0xd8, 0xff, 9],
    };
    ok(store.put_partner_logo(p.id, &first).await, "logo");
    assert_eq!(ok(store.get_partner_logo(p.id).await, "logo"), Some(first));
    ok(store.put_partner_logo(p.id, &second).await, "new logo");
    assert_eq!(ok(store.get_partner_logo(p.id).await, "logo"), Some(second));
    assert_eq!(ok(store.get_partner_logo(q.id).await, "other's logo"), None);
    let stranger = Partner {
        id: PartnerId::new(),
        ..changed
    };
    assert!(matches!(
        store.update_partner(&stranger).await,
        Err(StoreError::NotFound(_))
    ));
}

pub async fn quota_windows_count_exactly(store: &dyn Store) {
    let window = t(60).timestamp();
    // Twenty racing uses of a window of seven: exactly seven are taken.
    let uses =
        futures_util::future::join_all((0..20).map(|_| store.take_quota("sessions:a", window, 7)))
            .await;
    let taken: Vec<u32> = uses
        .into_iter()
        .map(|u| ok(u, "take"))
        .filter(|u| u.taken)
        .map(|u| u.used)
        .collect();
    assert_eq!(taken.len(), 7, "{taken:?}");
    let mut counts = taken.clone();
    counts.sort_unstable();
    assert_eq!(counts, (1..=7).collect::<Vec<u32>>());
    let full = ok(store.take_quota("sessions:a", window, 7).await, "take");
    assert_eq!((full.taken, full.used), (false, 7));
    // Another scope and the next window start from nothing; a limit of zero takes nothing.
    let other = ok(store.take_quota("sessions:b", window, 7).await, "take");
    assert_eq!((other.taken, other.used), (true, 1));
    let next = ok(store.take_quota("sessions:a", window + 60, 7).await, "take");
    assert_eq!((next.taken, next.used), (true, 1));
    let none = ok(store.take_quota("sessions:c", window, 0).await, "take");
    assert!(!none.taken);
    // A raised limit applies at once within the window.
    let raised = ok(store.take_quota("sessions:a", window + 60, 1).await, "take");
    assert!(!raised.taken);
    let raised = ok(store.take_quota("sessions:a", window + 60, 3).await, "take");
    assert_eq!((raised.taken, raised.used), (true, 2));

    // Shares of a window: twenty racing reservations of seven from a hundred get exactly a
    // hundred between them, none more than asked; then none, and single uses see it full.
    let shares = futures_util::future::join_all(
        (0..20).map(|_| store.take_quota_many("day:k", window, 100, 7)),
    )
    .await;
    let granted: Vec<u32> = shares.into_iter().map(|g| ok(g, "share")).collect();
    assert_eq!(granted.iter().sum::<u32>(), 100, "{granted:?}");
    assert!(granted.iter().all(|g| *g <= 7), "{granted:?}");
    assert_eq!(
        ok(store.take_quota_many("day:k", window, 100, 7).await, "full"),
        0
    );
    assert!(!ok(store.take_quota("day:k", window, 100).await, "single").taken);
    // A share never takes past the limit; single uses and shares count in one window.
    assert_eq!(
        ok(store.take_quota("day:m", window, 10).await, "one").used,
        1
    );
    assert_eq!(
        ok(store.take_quota_many("day:m", window, 10, 25).await, "rest"),
        9
    );
    assert_eq!(
        ok(
            store.take_quota_many("day:m", window + 86_400, 10, 4).await,
            "next"
        ),
        4
    );
    assert_eq!(
        ok(store.take_quota_many("day:n", window, 0, 4).await, "off"),
        0
    );
}

pub async fn provider_exchanges_are_counted(store: &dyn Store) {
    let p = partner(store, "Acme").await;
    let (session, created) = new_session(&p, "digest-x", t(0));
    ok(
        store.insert_session(&session, &created, None, &[]).await,
        "insert",
    );
    for expected in 1..=3 {
        assert_eq!(
            ok(store.count_provider_exchange(session.id).await, "count"),
            expected
        );
    }
    // Counting does not change what the session is (no version bump, no event).
    let read = ok(store.get_session(session.id).await, "get");
    assert_eq!(read.map(|s| s.version), Some(session.version));
    assert!(matches!(
        store.count_provider_exchange(SessionId::new()).await,
        Err(StoreError::NotFound(_))
    ));
}

/// Records a successful attempt of `job`'s delivery at `at`.
async fn delivered(store: &dyn Store, job: &crate::DeliveryJob, at: DateTime<Utc>) {
    let mut d: Delivery = job.delivery.clone();
    d.status = DeliveryStatus::Delivered;
    d.attempts += 1;
    d.last_attempt_at = Some(at);
    d.delivered_at = Some(at);
    d.last_status_code = Some(200);
    let attempt = DeliveryAttempt {
        delivery_id: d.id,
        attempt: d.attempts,
        at,
        status_code: Some(200),
        duration_ms: 1,
        error: None,
        response_body: None,
    };
    let healthy = EndpointHealth {
        failing_since: None,
        disabled_reason: None,
    };
    ok(store.record_attempt(&attempt, &d, &healthy).await, "record");
}

pub async fn deliveries_are_claimed_fairly(store: &dyn Store) {
    // Partner A has four due deliveries, all older than partner B's one.
    let a = partner(store, "Busy").await;
    let a_hook = webhook_endpoint(&a, &[], true);
    ok(
        store.insert_webhook_endpoint(&a_hook).await,
        "insert endpoint",
    );
    for i in 0..4 {
        let (session, created) = new_session(&a, &format!("digest-busy-{i}"), t(i));
        let out = outbox(&session, std::slice::from_ref(&created));
        ok(
            store.insert_session(&session, &created, None, &out).await,
            "insert",
        );
    }
    let b = partner(store, "Quiet").await;
    let b_hook = webhook_endpoint(&b, &[], true);
    ok(
        store.insert_webhook_endpoint(&b_hook).await,
        "insert endpoint",
    );
    let (session, created) = new_session(&b, "digest-quiet", t(5));
    let out = outbox(&session, std::slice::from_ref(&created));
    ok(
        store.insert_session(&session, &created, None, &out).await,
        "insert",
    );

    // Two slots: one each, not A's two oldest.
    let first = ok(
        store.claim_due_deliveries(t(10), 2, t(60), 10).await,
        "claim",
    );
    let mut partners: Vec<_> = first.iter().map(|j| j.endpoint.partner_id).collect();
    partners.sort();
    let mut expected = vec![a.id, b.id];
    expected.sort();
    assert_eq!(partners, expected, "partners take turns");
    // Ten slots, two per endpoint: A has one in flight, so one more; B has none left.
    let second = ok(
        store.claim_due_deliveries(t(11), 10, t(60), 2).await,
        "claim",
    );
    assert_eq!(
        second.iter().map(|j| j.endpoint.id).collect::<Vec<_>>(),
        vec![a_hook.id],
        "per-endpoint cap counts live claims"
    );
    assert!(
        ok(
            store.claim_due_deliveries(t(12), 10, t(60), 2).await,
            "claim"
        )
        .is_empty(),
        "A's endpoint is at its cap"
    );
    // One finishes: its slot goes to A's next delivery.
    let done = second
        .first()
        .unwrap_or_else(|| panic!("a claimed delivery"));
    delivered(store, done, t(13)).await;
    let third = ok(
        store.claim_due_deliveries(t(14), 10, t(60), 2).await,
        "claim",
    );
    assert_eq!(third.len(), 1);
    // After the leases lapse, the rest is claimable again, still two at a time.
    let lapsed = ok(
        store.claim_due_deliveries(t(61), 10, t(90), 2).await,
        "claim",
    );
    assert_eq!(lapsed.len(), 3, "A: two; B: one");
}

pub async fn a_verification_endpoint_retires_when_its_session_is_final_and_delivered(
    store: &dyn Store,
) {
    let p = partner(store, "Acme").await;
    let (mut session, created) = new_session(&p, "digest-retire", t(0));
    let mut scoped = webhook_endpoint(&p, &[], true);
    scoped.session_id = Some(session.id);
    let out = outbox(&session, std::slice::from_ref(&created));
    ok(
        store
            .insert_session(&session, &created, Some(&scoped), &out)
            .await,
        "insert",
    );
    let job = ok(
        store.claim_due_deliveries(t(1), 10, t(30), 10).await,
        "claim",
    );
    assert_eq!(job.len(), 1);
    delivered(store, &job[0], t(2)).await;
    let read = ok(store.get_webhook_endpoint(scoped.id).await, "get");
    assert!(
        read.is_some_and(|e| e.enabled),
        "the session is not final yet"
    );

    let cancelled = step(&mut session, LifecycleEvent::Cancel, Actor::Partner, t(3));
    let out = outbox(&session, std::slice::from_ref(&cancelled));
    ok(
        store
            .commit_transition(&session, std::slice::from_ref(&cancelled), &out)
            .await,
        "cancel",
    );
    let job = ok(
        store.claim_due_deliveries(t(4), 10, t(30), 10).await,
        "claim",
    );
    assert_eq!(job.len(), 1);
    delivered(store, &job[0], t(5)).await;
    let read = ok(store.get_webhook_endpoint(scoped.id).await, "get")
        .unwrap_or_else(|| panic!("the endpoint is kept, retired"));
    assert!(!read.enabled);
    assert_eq!(read.disabled_reason.as_deref(), Some(crate::rules::RETIRED));
}

fn media_of(session: &Session, attempt: &str, context: &str, at: DateTime<Utc>) -> SessionMedia {
    SessionMedia {
        id: MediaId::new(),
        session_id: session.id,
        partner_id: session.partner_id,
        attempt_id: Some(attempt.to_owned()),
        context: context.to_owned(),
        mimetype: MediaType::Png,
        size: 4,
        created_at: at,
    }
}

pub async fn media_is_sealed_capped_and_closed_after_submit(store: &dyn Store) {
    let p = partner(store, "Acme").await;
    let other = partner(store, "Other").await;
    let (mut session, created) = new_session(&p, "digest-m", t(0));
    ok(
        store.insert_session(&session, &created, None, &[]).await,
        "insert",
    );
    let start = step(&mut session, LifecycleEvent::Start, Actor::Partner, t(1));
    commit(store, &session, &start, "start").await;

    let front = media_of(&session, "attempt-1", "document-front", t(2));
    let face = media_of(&session, "attempt-1", "face", t(3));
    for m in [&front, &face] {
        assert_eq!(
            ok(store.insert_media(m, b"\x89PNG", 2).await, "insert media"),
            MediaInsert::Inserted
        );
    }
    // The cap counts what the session holds.
    let third = media_of(&session, "attempt-1", "face-pre", t(4));
    assert_eq!(
        ok(store.insert_media(&third, b"\x89PNG", 2).await, "third"),
        MediaInsert::Full
    );
    let listed = ok(store.list_media(session.id).await, "list");
    assert_eq!(listed, vec![front.clone(), face.clone()]);
    assert_eq!(
        ok(store.list_attempt_media(p.id, "attempt-1").await, "attempt"),
        vec![front.clone(), face.clone()]
    );
    // Another partner's attempt of the same name is not this one.
    assert!(
        ok(
            store.list_attempt_media(other.id, "attempt-1").await,
            "other"
        )
        .is_empty()
    );
    let (read, content) = ok(store.get_media(front.id).await, "get").unwrap_or_else(|| {
        panic!("the media is gone");
    });
    assert_eq!((read, content.as_slice()), (front.clone(), &b"\x89PNG"[..]));
    assert!(ok(store.get_media(MediaId::new()).await, "missing").is_none());

    // Submitted: no more uploads. An unknown session takes none either.
    let submit = step(&mut session, LifecycleEvent::Submit, Actor::Partner, t(5));
    commit(store, &session, &submit, "submit").await;
    let late = media_of(&session, "attempt-1", "face", t(6));
    assert_eq!(
        ok(store.insert_media(&late, b"\x89PNG", 10).await, "late"),
        MediaInsert::SessionClosed
    );
    let nowhere = SessionMedia {
        session_id: SessionId::new(),
        ..media_of(&session, "attempt-1", "face", t(6))
    };
    assert_eq!(
        ok(
            store.insert_media(&nowhere, b"\x89PNG", 10).await,
            "nowhere"
        ),
        MediaInsert::SessionClosed
    );

    assert_eq!(
        ok(store.delete_session_media(session.id).await, "delete"),
        2
    );
    assert!(ok(store.list_media(session.id).await, "after delete").is_empty());
    assert!(ok(store.get_media(front.id).await, "after delete").is_none());
}

pub async fn decision_checks_take_waiting_sessions_and_space_them_out(store: &dyn Store) {
    let p = partner(store, "Acme").await;
    // Three sessions at provider "veriff" (new_session's), submitted at t(10), t(20), t(30);
    // one only started (at t(5)); one at another provider.
    let mut submitted = Vec::new();
    for (i, at) in [10, 20, 30].into_iter().enumerate() {
        let (mut s, created) = new_session(&p, &format!("digest-dc{i}"), t(0));
        ok(
            store.insert_session(&s, &created, None, &[]).await,
            "insert",
        );
        let e = step(&mut s, LifecycleEvent::Start, Actor::EndUser, t(at - 1));
        commit(store, &s, &e, "start").await;
        let e = step(&mut s, LifecycleEvent::Submit, Actor::Provider, t(at));
        commit(store, &s, &e, "submit").await;
        submitted.push(s.id);
    }
    let (mut started, created) = new_session(&p, "digest-dc-started", t(0));
    ok(
        store.insert_session(&started, &created, None, &[]).await,
        "insert",
    );
    let e = step(&mut started, LifecycleEvent::Start, Actor::EndUser, t(5));
    commit(store, &started, &e, "start").await;
    let (mut elsewhere, created) = new_session(&p, "digest-dc-other", t(0));
    elsewhere.provider_id = "bankid".into();
    ok(
        store.insert_session(&elsewhere, &created, None, &[]).await,
        "insert",
    );
    let e = step(&mut elsewhere, LifecycleEvent::Start, Actor::EndUser, t(5));
    commit(store, &elsewhere, &e, "start").await;
    let e = step(
        &mut elsewhere,
        LifecycleEvent::Submit,
        Actor::Provider,
        t(6),
    );
    commit(store, &elsewhere, &e, "submit").await;

    let providers = vec!["veriff".to_owned()];
    let claim = |submitted_before: i64, checked_before: i64, now: i64, limit: u32| {
        let providers = providers.clone();
        async move {
            ok(
                store
                    .claim_decision_checks(
                        &providers,
                        t(submitted_before),
                        t(checked_before),
                        t(now),
                        limit,
                    )
                    .await,
                "claim",
            )
        }
    };
    // Only those submitted (or, never submitted, started) long enough ago; the other
    // provider's never.
    let first = claim(25, 0, 100, 10).await;
    let mut expected = vec![started.id, submitted[0], submitted[1]];
    let mut got = first.clone();
    got.sort();
    expected.sort();
    assert_eq!(got, expected);
    // Asked at t(100): not again before the recheck time; the one never asked goes first.
    assert_eq!(claim(40, 99, 110, 1).await, vec![submitted[2]]);
    assert!(claim(40, 99, 111, 10).await.is_empty());
    let again = claim(40, 100, 200, 10).await;
    assert_eq!(
        again.len(),
        3,
        "asked at t(100), due again at a recheck time of t(100)"
    );
    assert!(
        store
            .claim_decision_checks(&[], t(99), t(99), t(99), 10)
            .await
            .is_ok_and(|v| v.is_empty())
    );
    // A decided session is not asked about.
    let mut decided =
        ok(store.get_session(submitted[2]).await, "get").unwrap_or_else(|| panic!("gone"));
    let e = step(
        &mut decided,
        LifecycleEvent::Approve,
        Actor::Provider,
        t(300),
    );
    commit(store, &decided, &e, "approve").await;
    assert!(!claim(400, 400, 400, 10).await.contains(&submitted[2]));
}

pub async fn a_partners_sessions_are_listed_newest_first_in_pages(store: &dyn Store) {
    let p = partner(store, "Acme").await;
    let q = partner(store, "Beta").await;
    let mut ids = Vec::new();
    for (i, at) in [0, 10, 10, 20].into_iter().enumerate() {
        let (mut s, created) = new_session(&p, &format!("digest-list-{i}"), t(at));
        s.external_refs.external_id = Some(format!("ext-{}", i % 2));
        s.external_refs.user_id = Some(format!("{}", 40 + i % 2));
        if i == 3 {
            s.dialect_options
                .insert("workflow_id".into(), "wf_kyc".into());
        }
        ok(
            store.insert_session(&s, &created, None, &[]).await,
            "insert",
        );
        ids.push(s);
    }
    let (theirs, created) = new_session(&q, "digest-list-q", t(5));
    ok(
        store.insert_session(&theirs, &created, None, &[]).await,
        "insert",
    );
    // Newest first; ties on the creation time ordered by id, so pages never skip or repeat.
    let mut expected: Vec<&Session> = ids.iter().collect();
    expected.sort_by_key(|s| std::cmp::Reverse((s.created_at, s.id.0)));
    let page = |after: Option<(DateTime<Utc>, SessionId)>| SessionPage {
        partner_id: p.id,
        dialect: Dialect::EasyFreelance,
        created_from: None,
        created_before: None,
        external_id: None,
        workflow_id: None,
        user_id: None,
        after,
        // Two: the two sessions created at the same instant fall on either side of the page
        // boundary, so the tie-break on the id is what keeps a row from being lost or repeated.
        limit: 2,
    };
    let mut seen = Vec::new();
    let mut after = None;
    for number in 1..=3 {
        let got = ok(store.list_partner_sessions(&page(after)).await, "a page");
        assert!(got.len() <= 2, "page {number}");
        after = got.last().map(|s| (s.created_at, s.id));
        seen.extend(got.iter().map(|s| s.id));
        if got.is_empty() {
            break;
        }
    }
    assert_eq!(
        seen,
        expected.iter().map(|s| s.id).collect::<Vec<_>>(),
        "every session once, newest first"
    );
    // Filters: the partner's reference, a time window, another dialect.
    let by_ref = SessionPage {
        external_id: Some("ext-1".into()),
        limit: 10,
        ..page(None)
    };
    let found = ok(store.list_partner_sessions(&by_ref).await, "by ref");
    assert_eq!(found.len(), 2);
    assert!(
        found
            .iter()
            .all(|s| s.external_refs.external_id.as_deref() == Some("ext-1"))
    );
    let window = SessionPage {
        created_from: Some(t(10)),
        created_before: Some(t(20)),
        limit: 10,
        ..page(None)
    };
    assert_eq!(
        ok(store.list_partner_sessions(&window).await, "window").len(),
        2
    );
    let other_dialect = SessionPage {
        dialect: Dialect::Veriff,
        ..page(None)
    };
    assert!(ok(store.list_partner_sessions(&other_dialect).await, "dialect").is_empty());
    let by_workflow = SessionPage {
        workflow_id: Some("wf_kyc".into()),
        limit: 10,
        ..page(None)
    };
    let found = ok(store.list_partner_sessions(&by_workflow).await, "workflow");
    assert_eq!(
        found.iter().map(|s| s.id).collect::<Vec<_>>(),
        vec![ids[3].id]
    );
    let by_user = SessionPage {
        user_id: Some("41".into()),
        limit: 10,
        ..page(None)
    };
    let found = ok(store.list_partner_sessions(&by_user).await, "user");
    assert_eq!(
        found.iter().map(|s| s.id).collect::<Vec<_>>(),
        vec![ids[3].id, ids[1].id],
        "the user's sessions, newest first"
    );
}

pub async fn invites_are_written_with_their_session_claimed_with_leases_and_recorded(
    store: &dyn Store,
) {
    use crate::SessionInsert;
    use idgate_core::{AttemptResult, Invite, InviteChannel, InviteStatus};
    let p = partner(store, "Acme").await;
    let (session, created) = new_session(&p, "digest-i", t(0));
    let email = Invite::new(session.id, p.id, InviteChannel::Email, t(0));
    let sms = Invite::new(session.id, p.id, InviteChannel::Sms, t(0));
    let skipped = Invite::new(session.id, p.id, InviteChannel::Sms, t(0))
        .skipped("no SMS gateway is configured");
    let link = "https://idgate.example/v/secret-token";
    ok(
        store
            .insert_session_with(&SessionInsert {
                session: &session,
                created: &created,
                endpoint: None,
                outbox: &[],
                invites: &[email.clone(), sms.clone(), skipped.clone()],
                invite_link: Some(link),
                charge: None,
            })
            .await,
        "insert with invites",
    );
    let listed = ok(store.session_invites(session.id).await, "list");
    assert_eq!(listed.len(), 3);
    assert!(listed.contains(&email) && listed.contains(&skipped));

    // Nothing is due before its time; at it, the two pending ones, each with the link.
    assert!(ok(store.claim_due_invites(t(-1), 10, t(29)).await, "early").is_empty());
    let claimed = ok(store.claim_due_invites(t(0), 10, t(30)).await, "claim");
    let mut ids: Vec<_> = claimed.iter().map(|j| j.invite.id).collect();
    ids.sort();
    let mut pending = vec![email.id, sms.id];
    pending.sort();
    assert_eq!(ids, pending);
    assert!(claimed.iter().all(|j| j.link == link));
    // Held by the lease until it ends, then taken again (a crashed node's claim).
    assert!(ok(store.claim_due_invites(t(10), 10, t(40)).await, "held").is_empty());
    let again = ok(store.claim_due_invites(t(30), 1, t(60)).await, "lapsed");
    assert_eq!(again.len(), 1, "the limit holds");

    // A send is recorded and its link erased; a retry keeps it for the next attempt.
    let sent = email.after_attempt(
        AttemptResult::Sent {
            reference: "<m1@idgate>".into(),
        },
        t(31),
        |_| Some(Duration::seconds(60)),
    );
    // Which claim holds each invite now: the second took one of them over.
    let lease_of = |id| {
        if again[0].invite.id == id {
            t(60)
        } else {
            t(30)
        }
    };
    let stale = |id| {
        if again[0].invite.id == id {
            t(30)
        } else {
            t(60)
        }
    };
    // A claim that lapsed records nothing: the invite is another node's now.
    assert!(!ok(
        store.record_invite(&sent, stale(email.id)).await,
        "stale claim"
    ));
    assert!(ok(
        store.record_invite(&sent, lease_of(email.id)).await,
        "record sent"
    ));
    let retry = sms.after_attempt(AttemptResult::Temporary("busy".into()), t(31), |_| {
        Some(Duration::seconds(60))
    });
    assert!(ok(
        store.record_invite(&retry, lease_of(sms.id)).await,
        "record retry"
    ));
    let listed = ok(store.session_invites(session.id).await, "list again");
    assert!(listed.contains(&sent) && listed.contains(&retry));
    assert!(ok(store.claim_due_invites(t(90), 10, t(120)).await, "not yet").is_empty());
    let retried = ok(
        store.claim_due_invites(t(91), 10, t(120)).await,
        "retry due",
    );
    assert_eq!(retried.len(), 1);
    assert_eq!(retried[0].invite.id, sms.id);
    assert_eq!(retried[0].invite.status, InviteStatus::Pending);
    assert_eq!(retried[0].invite.attempts, 1);
    assert_eq!(retried[0].link, link);
    // A session without invites has none.
    let (other, other_created) = new_session(&p, "digest-j", t(0));
    ok(
        store
            .insert_session(&other, &other_created, None, &[])
            .await,
        "plain insert",
    );
    assert!(ok(store.session_invites(other.id).await, "none").is_empty());
}

pub async fn tokens_are_spent_with_the_insert_exactly_and_never_below_zero(store: &dyn Store) {
    use crate::SessionInsert;
    use idgate_core::{TokenEntry, TokenEntryKind};
    let p = partner(store, "Acme").await;
    let other = partner(store, "Other").await;
    assert_eq!(ok(store.token_balance(p.id).await, "empty"), 0);

    // No balance at all: the session is not written.
    let insert = |session: &Session, created: &SessionEvent, charge: &TokenEntry| {
        let (session, created, charge) = (session.clone(), created.clone(), charge.clone());
        async move {
            store
                .insert_session_with(&SessionInsert {
                    session: &session,
                    created: &created,
                    endpoint: None,
                    outbox: &[],
                    invites: &[],
                    invite_link: None,
                    charge: Some(&charge),
                })
                .await
        }
    };
    let (s0, c0) = new_session(&p, "digest-t0", t(0));
    match insert(&s0, &c0, &TokenEntry::session(p.id, s0.id, 1, t(0))).await {
        Err(StoreError::InsufficientTokens { balance: 0 }) => {}
        other => panic!("expected a short balance, got {other:?}"),
    }
    assert!(ok(store.get_session(s0.id).await, "get").is_none());

    let credited = ok(
        store
            .credit_tokens(&TokenEntry::top_up(
                p.id,
                7,
                Some("invoice 42".into()),
                t(1),
            ))
            .await,
        "top up",
    );
    assert_eq!(credited.balance_after, 7);
    // Racing creates spend exactly what there is.
    let mut racing = Vec::new();
    for i in 0..12 {
        let (s, c) = new_session(&p, &format!("digest-t{}", i + 1), t(2));
        racing.push((s, c));
    }
    let results = futures_util::future::join_all(
        racing
            .iter()
            .map(|(s, c)| insert(s, c, &TokenEntry::session(p.id, s.id, 1, t(2)))),
    )
    .await;
    let spent = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(spent, 7, "{results:?}");
    assert!(
        results
            .iter()
            .filter_map(|r| r.as_ref().err())
            .all(|e| matches!(e, StoreError::InsufficientTokens { balance: 0 }))
    );
    assert_eq!(ok(store.token_balance(p.id).await, "after"), 0);
    let written = racing
        .iter()
        .zip(&results)
        .filter(|(_, r)| r.is_ok())
        .count();
    assert_eq!(written, 7);
    for ((s, _), r) in racing.iter().zip(&results) {
        assert_eq!(
            ok(store.get_session(s.id).await, "get").is_some(),
            r.is_ok(),
            "a refused session must not be written"
        );
    }

    // The ledger explains the balance, newest first; another partner's is its own.
    let history = ok(store.token_history(p.id, 100).await, "history");
    assert_eq!(history.len(), 8);
    assert_eq!(history.last().map(|e| e.kind), Some(TokenEntryKind::TopUp));
    assert_eq!(
        history.last().and_then(|e| e.note.clone()).as_deref(),
        Some("invoice 42")
    );
    let spends: Vec<_> = history
        .iter()
        .filter(|e| e.kind == TokenEntryKind::Session)
        .collect();
    assert_eq!(spends.len(), 7);
    assert!(
        spends
            .iter()
            .all(|e| e.delta == -1 && e.session_id.is_some())
    );
    let mut afters: Vec<i64> = spends.iter().map(|e| e.balance_after).collect();
    afters.sort_unstable();
    assert_eq!(afters, vec![0, 1, 2, 3, 4, 5, 6]);
    assert_eq!(ok(store.token_history(p.id, 2).await, "limited").len(), 2);
    assert!(ok(store.token_history(other.id, 10).await, "other").is_empty());
    assert_eq!(ok(store.token_balance(other.id).await, "other"), 0);
    // A top-up adds; a "top-up" of nothing is refused.
    let again = ok(
        store
            .credit_tokens(&TokenEntry::top_up(p.id, 3, None, t(3)))
            .await,
        "again",
    );
    assert_eq!(again.balance_after, 3);
    assert!(
        store
            .credit_tokens(&TokenEntry::top_up(p.id, 0, None, t(3)))
            .await
            .is_err()
    );
}

pub async fn operators_console_sessions_and_the_audit_trail(store: &dyn Store) {
    use idgate_core::{
        AuditEntry, AuditEntryId, ConsoleSession, Operator, OperatorId, OperatorRole,
    };
    let acme = partner(store, "Acme").await;
    let kari = Operator {
        id: OperatorId::new(),
        username: "kari".into(),
        role: OperatorRole::Reviewer,
        partners: vec![acme.id],
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaA".into(),
        totp_key: vec![7; 20],
        failed_sign_ins: 0,
        locked_until: None,
        last_totp_step: 0,
        disabled: false,
        created_at: t(0),
        single_sign_on: None,
    };
    ok(store.insert_operator(&kari).await, "insert operator");
    let twin = Operator {
        id: OperatorId::new(),
        ..kari.clone()
    };
    assert!(matches!(
        store.insert_operator(&twin).await,
        Err(StoreError::Duplicate(_))
    ));
    // The TOTP key is sealed at rest and comes back as it went in.
    let read = ok(store.operator_by_username("kari").await, "by name");
    assert_eq!(read.as_ref(), Some(&kari));
    assert_eq!(
        ok(store.operator(kari.id).await, "by id").as_ref(),
        Some(&kari)
    );
    assert_eq!(
        ok(store.operator_by_username("nobody").await, "unknown"),
        None
    );

    // Failures count; a good sign-in moves the TOTP step forward only.
    assert!(ok(
        store.record_sign_in(kari.id, 3, Some(t(60)), None).await,
        "failure"
    ));
    let locked = ok(store.operator(kari.id).await, "read").unwrap_or_else(|| panic!("gone"));
    assert_eq!(
        (locked.failed_sign_ins, locked.locked_until),
        (3, Some(t(60)))
    );
    assert!(ok(
        store.record_sign_in(kari.id, 0, None, Some(100)).await,
        "good"
    ));
    assert!(
        !ok(
            store.record_sign_in(kari.id, 0, None, Some(100)).await,
            "replayed code"
        ),
        "a step counts once"
    );
    assert!(!ok(
        store.record_sign_in(kari.id, 0, None, Some(99)).await,
        "older code"
    ));
    let after = ok(store.operator(kari.id).await, "read").unwrap_or_else(|| panic!("gone"));
    assert_eq!((after.failed_sign_ins, after.last_totp_step), (0, 100));

    // Console sessions: found by digest, touched, ended; disabling ends them all.
    let session = ConsoleSession {
        digest: "digest-1".into(),
        operator_id: kari.id,
        csrf: "csrf-1".into(),
        created_at: t(0),
        last_seen_at: t(0),
    };
    ok(
        store.insert_console_session(&session).await,
        "console session",
    );
    ok(
        store.touch_console_session("digest-1", t(30)).await,
        "touch",
    );
    let seen = ok(store.console_session("digest-1").await, "read session");
    assert_eq!(seen.map(|s| s.last_seen_at), Some(t(30)));
    ok(store.delete_console_session("digest-1").await, "delete");
    assert_eq!(ok(store.console_session("digest-1").await, "gone"), None);
    ok(store.insert_console_session(&session).await, "again");
    let disabled = Operator {
        disabled: true,
        role: OperatorRole::Viewer,
        ..after
    };
    ok(store.update_operator(&disabled).await, "disable");
    assert_eq!(ok(store.console_session("digest-1").await, "ended"), None);
    let listed = ok(store.list_operators().await, "list");
    assert_eq!(listed.len(), 1);
    assert!(listed[0].disabled && listed[0].role == OperatorRole::Viewer);

    // A single-sign-on identity finds its operator; two operators cannot share one; the same
    // subject at another issuer is someone else.
    let sso = |issuer: &str, subject: &str| {
        Some(idgate_core::SsoIdentity {
            issuer: issuer.into(),
            subject: subject.into(),
        })
    };
    let linked = Operator {
        single_sign_on: sso("https://idp.example", "248289761001"),
        ..listed[0].clone()
    };
    ok(store.update_operator(&linked).await, "link");
    assert_eq!(
        ok(
            store
                .operator_by_sso("https://idp.example", "248289761001")
                .await,
            "by identity"
        )
        .map(|o| o.id),
        Some(kari.id)
    );
    assert_eq!(
        ok(
            store
                .operator_by_sso("https://other-idp.example", "248289761001")
                .await,
            "another issuer"
        ),
        None
    );
    assert_eq!(
        ok(
            store
                .operator_by_sso("https://idp.example", "someone")
                .await,
            "unknown"
        ),
        None
    );
    let ola = Operator {
        id: OperatorId::new(),
        username: "ola".into(),
        single_sign_on: sso("https://idp.example", "248289761001"),
        ..kari.clone()
    };
    assert!(matches!(
        store.insert_operator(&ola).await,
        Err(StoreError::Duplicate(_))
    ));
    let ola = Operator {
        single_sign_on: sso("https://other-idp.example", "248289761001"),
        ..ola
    };
    ok(
        store.insert_operator(&ola).await,
        "the same subject at another issuer",
    );
    assert!(matches!(
        store
            .update_operator(&Operator {
                single_sign_on: sso("https://idp.example", "248289761001"),
                ..ola.clone()
            })
            .await,
        Err(StoreError::Duplicate(_))
    ));
    let read = ok(store.operator(ola.id).await, "read").unwrap_or_else(|| panic!("gone"));
    assert_eq!(read.single_sign_on, ola.single_sign_on, "unchanged");
    let unlinked = Operator {
        single_sign_on: None,
        ..linked
    };
    ok(store.update_operator(&unlinked).await, "unlink");
    assert_eq!(
        ok(
            store
                .operator_by_sso("https://idp.example", "248289761001")
                .await,
            "unlinked"
        ),
        None
    );

    // The audit trail: newest first, paged by time.
    for (i, action) in ["sign_in", "return_url.approve", "sign_out"]
        .iter()
        .enumerate()
    {
        let at = t(i64::try_from(i).unwrap_or_default() * 10);
        ok(
            store
                .append_audit(&AuditEntry {
                    id: AuditEntryId::new(),
                    at,
                    operator_id: Some(kari.id),
                    actor: "kari".into(),
                    action: (*action).into(),
                    target: "console".into(),
                    from: Some("203.0.113.9".into()),
                    details: serde_json::json!({"n": i}),
                })
                .await,
            "audit",
        );
    }
    let all = ok(store.list_audit(10, None).await, "audit list");
    let actions: Vec<&str> = all.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["sign_out", "return_url.approve", "sign_in"]);
    assert_eq!(all[0].details, serde_json::json!({"n": 2}));
    assert_eq!(all[0].from.as_deref(), Some("203.0.113.9"));
    let older = ok(store.list_audit(1, Some(t(20))).await, "older");
    assert_eq!(older.len(), 1);
    assert_eq!(older[0].action, "return_url.approve");

    // API tokens: found by digest, revoked once (a second revocation keeps the first time).
    let token = idgate_core::OperatorToken {
        id: idgate_core::OperatorTokenId::new(),
        operator_id: kari.id,
        digest: "token-digest".into(),
        label: "nightly export".into(),
        created_at: t(0),
        revoked_at: None,
    };
    ok(store.insert_operator_token(&token).await, "token");
    assert_eq!(
        ok(store.operator_token("token-digest").await, "read"),
        Some(token.clone())
    );
    let revoked = ok(store.revoke_operator_token(token.id, t(50)).await, "revoke");
    assert_eq!(revoked.revoked_at, Some(t(50)));
    let again = ok(store.revoke_operator_token(token.id, t(90)).await, "again");
    assert_eq!(again.revoked_at, Some(t(50)));
    assert!(matches!(
        store
            .revoke_operator_token(idgate_core::OperatorTokenId::new(), t(90))
            .await,
        Err(StoreError::NotFound(_))
    ));
}

pub async fn operators_search_every_partners_sessions(store: &dyn Store) {
    use crate::SessionSearch;
    let p = partner(store, "Acme").await;
    let q = partner(store, "Beta").await;
    let mut made = Vec::new();
    for (i, (owner, at)) in [(&p, 0), (&q, 10), (&p, 20)].into_iter().enumerate() {
        let (mut s, created) = new_session(owner, &format!("digest-search-{i}"), t(at));
        s.external_refs.vendor_data = Some(format!("order-{i}"));
        ok(
            store.insert_session(&s, &created, None, &[]).await,
            "insert",
        );
        made.push(s);
    }
    let found = |search: SessionSearch| async move {
        ok(store.search_sessions(&search).await, "search")
            .into_iter()
            .map(|s| s.id)
            .collect::<Vec<_>>()
    };
    let all = SessionSearch {
        limit: 10,
        ..SessionSearch::default()
    };
    assert_eq!(
        found(all.clone()).await,
        [made[2].id, made[1].id, made[0].id],
        "newest first, every partner"
    );
    assert_eq!(
        found(SessionSearch {
            partner_id: Some(q.id),
            ..all.clone()
        })
        .await,
        [made[1].id]
    );
    assert_eq!(
        found(SessionSearch {
            reference: Some("order-2".into()),
            ..all.clone()
        })
        .await,
        [made[2].id]
    );
    assert_eq!(
        found(SessionSearch {
            status: Some(made[0].status),
            created_from: Some(t(5)),
            created_before: Some(t(15)),
            ..all.clone()
        })
        .await,
        [made[1].id]
    );
    assert!(
        found(SessionSearch {
            status: Some(Status::Review),
            ..all.clone()
        })
        .await
        .is_empty()
    );
    assert_eq!(found(SessionSearch { limit: 1, ..all }).await.len(), 1);
    // The dashboard's counts: by provider and status, since a time.
    let counts = ok(store.session_counts(t(5)).await, "counts");
    assert_eq!(
        counts,
        vec![crate::SessionCount {
            day: made[1].created_at.date_naive(),
            provider_id: made[1].provider_id.clone(),
            status: made[1].status,
            sessions: 2,
            started: 0,
            decided: 0,
        }]
    );
    // Days are UTC days: t(0) is 08:00 UTC, so t(57_599) is the last second of that day and
    // t(57_601) the first of the next.
    for (i, at) in [57_599, 57_601].into_iter().enumerate() {
        let (s, created) = new_session(&p, &format!("digest-day-{i}"), t(at));
        ok(
            store.insert_session(&s, &created, None, &[]).await,
            "insert",
        );
    }
    let days: Vec<(String, u64)> = ok(store.session_counts(t(50_000)).await, "by day")
        .into_iter()
        .map(|c| (c.day.to_string(), c.sessions))
        .collect();
    assert_eq!(
        days,
        [("2027-01-15".to_owned(), 1), ("2027-01-16".to_owned(), 1)],
        "one session on each side of midnight UTC"
    );
}
