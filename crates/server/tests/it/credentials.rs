//! Partner credentials through the hub's credential port: issued per dialect, revoked at once
//! on this node, rotated with a grace period during which both work.

use idgate_testkit as common;

use chrono::{Duration, Utc};
use common::{Partner, TestApp};
use idgate_core::{CredentialId, CredentialKind, PartnerId};

/// The credential id behind `partner`'s EasyFreelance token (the oldest of that kind).
async fn first_credential(app: &TestApp, partner: &Partner, kind: CredentialKind) -> CredentialId {
    let id: PartnerId = partner.id.parse().unwrap_or_else(|e| panic!("{e}"));
    let credentials = app
        .hub
        .partner_credentials(id)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    credentials
        .iter()
        .find(|c| c.kind == kind)
        .map(|c| c.id)
        .unwrap_or_else(|| panic!("no {kind:?} credential"))
}

async fn easyfreelance_status(app: &TestApp, p: &Partner) -> u16 {
    app.get(p, "/api/v1/verification-return-urls").await.0
}

async fn hopae_status(app: &TestApp, p: &Partner) -> u16 {
    app.hopae(p, reqwest::Method::GET, "/providers", None)
        .await
        .0
}

#[tokio::test]
async fn a_revoked_credential_is_refused_at_once_and_others_keep_working() {
    let app = TestApp::spawn().await;
    let p = app.partner("Acme").await;
    let partner_id: PartnerId = p.id.parse().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(easyfreelance_status(&app, &p).await, 200);
    assert_eq!(hopae_status(&app, &p).await, 200);

    // A second EasyFreelance credential, as an operator issues it.
    let issued = app
        .hub
        .issue_credential(partner_id, CredentialKind::EasyFreelance)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let second = Partner {
        token: issued.secret("access_token").unwrap_or_default().to_owned(),
        api_key: issued.secret("api_key").unwrap_or_default().to_owned(),
        ..p.clone()
    };
    assert_eq!(easyfreelance_status(&app, &second).await, 200);
    // The API key alone, or another credential's key, is not enough.
    let mixed = Partner {
        api_key: second.api_key.clone(),
        ..p.clone()
    };
    assert_eq!(easyfreelance_status(&app, &mixed).await, 401);

    // Revoked: refused on the next call although it was cached a moment ago.
    let first = first_credential(&app, &p, CredentialKind::EasyFreelance).await;
    let revoked = app
        .hub
        .revoke_credential(first, Utc::now())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(revoked.revoked_at.is_some());
    assert_eq!(easyfreelance_status(&app, &p).await, 401);
    assert_eq!(
        easyfreelance_status(&app, &second).await,
        200,
        "the other credential still works"
    );
    assert_eq!(
        hopae_status(&app, &p).await,
        200,
        "the Hopae credential is separate"
    );

    let hopae = first_credential(&app, &p, CredentialKind::Hopae).await;
    app.hub
        .revoke_credential(hopae, Utc::now())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(hopae_status(&app, &p).await, 401);

    // Unknown ids are a clear error, not a silent success.
    assert!(
        app.hub
            .revoke_credential(CredentialId::new(), Utc::now())
            .await
            .is_err()
    );
    app.stop().await;
}

#[tokio::test]
async fn a_rotated_credential_works_until_its_grace_period_ends() {
    let app = TestApp::spawn().await;
    let p = app.partner("Acme").await;
    let old = first_credential(&app, &p, CredentialKind::Hopae).await;
    assert_eq!(hopae_status(&app, &p).await, 200);

    let (issued, revoked) = app
        .hub
        .rotate_credential(old, Duration::hours(1))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(issued.kind, CredentialKind::Hopae);
    assert!(revoked.revoked_at.is_some_and(|t| t > Utc::now()));
    let new = Partner {
        client_id: issued.secret("client_id").unwrap_or_default().to_owned(),
        client_secret: issued
            .secret("client_secret")
            .unwrap_or_default()
            .to_owned(),
        ..p.clone()
    };
    assert_eq!(hopae_status(&app, &p).await, 200, "old works in the grace");
    assert_eq!(hopae_status(&app, &new).await, 200, "new works at once");

    // A shorter grace (an operator revoking now) wins over the longer one.
    app.hub
        .revoke_credential(old, Utc::now() + Duration::milliseconds(300))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    // The cached copy knows when it ends: bounded wait, no database change needed.
    let mut refused = false;
    for _ in 0..50 {
        if hopae_status(&app, &p).await == 401 {
            refused = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        refused,
        "the old credential stopped working after its grace"
    );
    assert_eq!(hopae_status(&app, &new).await, 200);

    // A revoked credential cannot be rotated again.
    assert!(
        app.hub
            .rotate_credential(old, Duration::hours(1))
            .await
            .is_err()
    );
    app.stop().await;
}
