//! The key file and the database belong together: idgate never silently re-keys.

use idgate_testkit as common;

use idgate_server::startup::{self, StartupError};

#[tokio::test]
async fn a_database_without_its_key_file_is_refused() {
    let app = common::TestApp::spawn().await;
    let p = app
        .partner_with_return_url("A", "https://partner.example.com/r")
        .await;
    app.create_flow(&p, "veriff", "https://partner.example.com/r")
        .await;
    let dir = app.stop().await;

    // Restarting with the key file works and reads the data back.
    let reopened = startup::open(
        common::settings(dir.path(), "http://127.0.0.1:1"),
        &idgate::Engines,
    )
    .await;
    let opened = reopened.unwrap_or_else(|e| panic!("{e}"));
    assert!(!opened.generated_keys);
    drop(opened);

    // Without it: refused with a message that says what to do, and no new key file appears.
    let keys = dir.path().join("idgate.keys");
    let backup = dir.path().join("idgate.keys.bak");
    std::fs::rename(&keys, &backup).unwrap_or_else(|e| panic!("{e}"));
    let err = startup::open(
        common::settings(dir.path(), "http://127.0.0.1:1"),
        &idgate::Engines,
    )
    .await
    .err()
    .unwrap_or_else(|| panic!("opened without keys"));
    assert!(matches!(err, StartupError::MissingKeyFile { .. }), "{err}");
    assert!(err.to_string().contains("restore the key file"), "{err}");
    assert!(!keys.exists());

    // Another deployment's key file: refused too.
    let other = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    idgate_hub::keys::Keys::generate(&keys).unwrap_or_else(|e| panic!("{e}"));
    let err = startup::open(
        common::settings(dir.path(), "http://127.0.0.1:1"),
        &idgate::Engines,
    )
    .await
    .err()
    .unwrap_or_else(|| panic!("opened with the wrong keys"));
    assert!(matches!(err, StartupError::KeyMismatch { .. }), "{err}");
    drop(other);

    // The right file back: fine again.
    std::fs::rename(&backup, &keys).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        startup::open(
            common::settings(dir.path(), "http://127.0.0.1:1"),
            &idgate::Engines
        )
        .await
        .is_ok()
    );
}

#[tokio::test]
async fn invalid_settings_say_how_to_fix_them() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut settings = common::settings(dir.path(), "http://127.0.0.1:1");
    settings.database.url = "mysql://localhost/idgate".into();
    let err = startup::open(settings, &idgate::Engines)
        .await
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        err.contains("database.url") && err.contains("sqlite://"),
        "{err}"
    );
    let mut settings = common::settings(dir.path(), "not a url");
    settings.server.public_url = "verify.example.com".into();
    let err = startup::open(settings, &idgate::Engines)
        .await
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(err.contains("server.public_url"), "{err}");
}
