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
