//! The committed OpenAPI document must match what the code serves.
//! Regenerate with `UPDATE_SNAPSHOTS=1 cargo test -p idgate-server --test it openapi_snapshot`.

use utoipa::OpenApi;

#[test]
fn easyfreelance_openapi_matches_the_committed_snapshot() {
    check(
        "easyfreelance",
        idgate_dialects::easyfreelance::ApiDoc::openapi(),
    );
}

#[test]
fn hopae_openapi_matches_the_committed_snapshot() {
    check("hopae", idgate_dialects::hopae::ApiDoc::openapi());
}

#[test]
fn veriff_openapi_matches_the_committed_snapshot() {
    check("veriff", idgate_dialects::veriff::ApiDoc::openapi());
}

fn check(name: &str, doc: utoipa::openapi::OpenApi) {
    let path = format!(
        "{}/../../docs/openapi/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let current = doc.to_pretty_json().unwrap_or_else(|e| panic!("{e}")) + "\n";
    assert!(
        current.contains("\"openapi\": \"3.1"),
        "OpenAPI 3.1 expected"
    );
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, &current).unwrap_or_else(|e| panic!("{e}"));
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == current,
        "docs/openapi/{name}.json is out of date: run UPDATE_SNAPSHOTS=1 cargo test -p idgate-server --test it openapi_snapshot and review the diff"
    );
}
