//! The committed OpenAPI document must match what the code serves.
//! Regenerate with `UPDATE_SNAPSHOTS=1 cargo test -p idgate-server --test openapi_snapshot`.

use idgate_server::api::easyfreelance::ApiDoc;
use utoipa::OpenApi;

#[test]
fn easyfreelance_openapi_matches_the_committed_snapshot() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/openapi/easyfreelance.json"
    );
    let current = ApiDoc::openapi()
        .to_pretty_json()
        .unwrap_or_else(|e| panic!("{e}"))
        + "\n";
    assert!(
        current.contains("\"openapi\": \"3.1"),
        "OpenAPI 3.1 expected"
    );
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(path, &current).unwrap_or_else(|e| panic!("{e}"));
        return;
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == current,
        "docs/openapi/easyfreelance.json is out of date: run UPDATE_SNAPSHOTS=1 cargo test -p idgate-server --test openapi_snapshot and review the diff"
    );
}
