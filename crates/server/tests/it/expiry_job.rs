//! The expiry job as it runs inside a served node: a session whose lifetime ends is moved to
//! `expired` by the background loop, once, without anyone polling it.

use idgate_testkit as common;

use chrono::Utc;
use common::TestApp;
use idgate_core::{Dialect, NewSession, Partner, PartnerId, Status, Tier};
use std::time::Duration;

#[tokio::test]
async fn the_background_job_expires_due_sessions() {
    let app = TestApp::spawn_with(|s| s.sessions.expiry_interval = "1s".into()).await;
    let hub = app.hub.clone();
    // A partner whose sessions live one second.
    let partner = Partner {
        session_ttl_secs: Some(1),
        ..Partner::new(
            PartnerId::new(),
            "Short-lived".into(),
            Tier::SelfServe,
            Utc::now(),
        )
    };
    hub.operator()
        .store()
        .insert_partner(&partner)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let created = hub
        .create_session(
            &partner,
            Dialect::EasyFreelance,
            NewSession {
                provider_id: "veriff".into(),
                ..NewSession::default()
            },
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let id = created.session.id;

    // Await the condition (bounded), reading the store directly so no read path expires it.
    let mut status = Status::Created;
    for _ in 0..100 {
        status = hub
            .operator()
            .store()
            .get_session(id)
            .await
            .ok()
            .flatten()
            .map_or(Status::Created, |s| s.status);
        if status != Status::Created {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status, Status::Expired);
    let events = hub.timeline(id).await.unwrap_or_default();
    assert_eq!(events.len(), 2);
    assert_eq!(events[1].actor, idgate_core::Actor::System);
    assert_eq!(events[1].reason.as_deref(), Some("session_expired"));
    app.stop().await;
}

/// Overwrites a session's sealed applicant data with bytes no key opens.
async fn damage(app: &TestApp, id: idgate_core::SessionId) {
    if common::on_postgres() {
        let pool = sqlx::PgPool::connect(&common::postgres_url())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let schema = common::schema_for(app.dir.path());
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE \"{schema}\".sessions SET applicant = '\\x00010203'::bytea WHERE id = $1"
        )))
        .bind(id.0)
        .execute(&pool)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    } else {
        let db = rusqlite::Connection::open(app.dir.path().join("idgate.db"))
            .unwrap_or_else(|e| panic!("{e}"));
        db.execute(
            "UPDATE sessions SET applicant = x'00010203' WHERE id = ?1",
            [id.to_string()],
        )
        .unwrap_or_else(|e| panic!("{e}"));
    }
}

#[tokio::test]
async fn a_session_that_cannot_be_read_is_set_aside_and_the_sweep_goes_on() {
    let app = TestApp::spawn().await;
    let hub = app.hub.clone();
    let partner = Partner {
        session_ttl_secs: Some(1),
        ..Partner::new(PartnerId::new(), "P".into(), Tier::Enterprise, Utc::now())
    };
    hub.operator()
        .store()
        .insert_partner(&partner)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let mut ids = Vec::new();
    for _ in 0..2 {
        let created = hub
            .create_session(
                &partner,
                Dialect::EasyFreelance,
                NewSession {
                    provider_id: "veriff".into(),
                    ..NewSession::default()
                },
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        ids.push(created.session.id);
    }
    damage(&app, ids[0]).await;
    let later = Utc::now() + chrono::Duration::seconds(5);
    let lease = chrono::Duration::seconds(1);
    // The readable one expires; the damaged one is set aside instead of failing the sweep.
    let moved = hub.sweep_expired(later, 10, lease).await;
    assert_eq!(moved.ok(), Some(1));
    let readable = hub.session(ids[1]).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(readable.status, Status::Expired);
    // Past the claim lease it is still not claimed again, so later sweeps do not fail.
    let much_later = later + chrono::Duration::minutes(10);
    assert_eq!(hub.sweep_expired(much_later, 10, lease).await.ok(), Some(0));
}
