//! Behaviour every [`Store`] engine must show. Each engine's tests call these functions on a
//! fresh, migrated store (see [`conformance_suite!`](crate::conformance_suite)).

use crate::{ReturnUrlFilter, Store, StoreError};
use chrono::{DateTime, Duration, TimeZone, Utc};
use idgate_core::{
    Actor, ApplicantData, Credential, CredentialId, CredentialKind, Dialect, ExternalRefs,
    LifecycleEvent, MatchData, MatchResult, NewSession, Partner, PartnerId, ResultClaims,
    ReturnUrlRule, ReturnUrlStatus, Session, SessionEvent, SessionId, Status, Tier, TransitionNote,
    UrlPolicy,
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
            several_events_commit_together_or_not_at_all,
            expiry_claims,
            meta_values,
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
            .commit_transition(session, std::slice::from_ref(event))
            .await,
        what,
    );
}

async fn partner(store: &dyn Store, name: &str) -> Partner {
    let p = Partner {
        id: PartnerId::new(),
        name: name.into(),
        tier: Tier::SelfServe,
        session_ttl_secs: Some(3600),
        created_at: t(0),
    };
    ok(store.insert_partner(&p).await, "insert partner");
    p
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
            provider_id: "veriff".into(),
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
            lifetime: Some(Duration::hours(1)),
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
        ..cred
    };
    assert!(matches!(
        store.insert_credential(&dup).await,
        Err(StoreError::Duplicate(_))
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
        store.insert_session(&session, &created).await,
        "insert session",
    );
    assert_eq!(
        ok(store.get_session(session.id).await, "get"),
        Some(session.clone())
    );
    assert_eq!(ok(store.get_session(SessionId::new()).await, "get"), None);

    // Results written by a transition come back as written.
    let now = t(30);
    let started = step(&mut session, LifecycleEvent::Start, Actor::EndUser, now);
    commit(store, &session, &started, "start").await;
    let submitted = step(&mut session, LifecycleEvent::Submit, Actor::Provider, now);
    commit(store, &session, &submitted, "submit").await;
    let mut claims = serde_json::Map::new();
    claims.insert("given_name".into(), "Kari".into());
    session.result_claims = Some(ResultClaims(claims));
    session.match_result = Some(MatchResult {
        matched: true,
        fields: BTreeMap::from([("birthdate".to_string(), true)]),
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
    ok(store.insert_session(&session, &created).await, "insert");
    let found = ok(store.find_session_by_access_token("digest-b").await, "find");
    assert_eq!(found.map(|s| s.id), Some(session.id));
    assert_eq!(
        ok(store.find_session_by_access_token("digest-x").await, "find"),
        None
    );
    let (clash, clash_event) = new_session(&p, "digest-b", t(0));
    assert!(matches!(
        store.insert_session(&clash, &clash_event).await,
        Err(StoreError::Duplicate(_))
    ));
}

pub async fn transitions_are_optimistic_and_ordered(store: &dyn Store) {
    let p = partner(store, "Acme").await;
    let (session, created) = new_session(&p, "digest-c", t(0));
    ok(store.insert_session(&session, &created).await, "insert");

    // Two writers read the same version; only the first commit wins.
    let mut first = session.clone();
    let mut second = session.clone();
    let e1 = step(&mut first, LifecycleEvent::Start, Actor::EndUser, t(1));
    let e2 = step(&mut second, LifecycleEvent::Cancel, Actor::Partner, t(1));
    commit(store, &first, &e1, "first").await;
    assert!(matches!(
        store
            .commit_transition(&second, std::slice::from_ref(&e2))
            .await,
        Err(StoreError::Stale)
    ));
    let stored = ok(store.get_session(session.id).await, "get").unwrap_or_else(|| panic!("gone"));
    assert_eq!(stored.status, Status::Started);
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
            .commit_transition(&ghost_moved, std::slice::from_ref(&ghost_event))
            .await
            .is_err()
    );
}

pub async fn several_events_commit_together_or_not_at_all(store: &dyn Store) {
    let p = partner(store, "Acme").await;
    let (session, created) = new_session(&p, "digest-m", t(0));
    ok(store.insert_session(&session, &created).await, "insert");
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
    ok(store.commit_transition(&walked, &events).await, "batch");
    assert!(matches!(
        store.commit_transition(&stale, &stale_events).await,
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
        ok(store.insert_session(&session, &created).await, "insert");
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
}
