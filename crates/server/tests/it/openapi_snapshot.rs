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
fn deepidv_openapi_matches_the_committed_snapshot() {
    check("deepidv", idgate_dialects::deepidv::ApiDoc::openapi());
}

#[test]
fn veriff_openapi_matches_the_committed_snapshot() {
    check("veriff", idgate_dialects::veriff::ApiDoc::openapi());
}

#[test]
fn admin_openapi_matches_the_committed_snapshot() {
    check("admin", idgate_server::admin_api::ApiDoc::openapi());
}

/// Every operation says what it does in a line, and every request body comes with a realistic
/// example (Swagger UI otherwise fills in `"string"`).
#[test]
fn every_operation_has_a_summary_and_every_body_an_example() {
    for (name, doc) in [
        (
            "easyfreelance",
            idgate_dialects::easyfreelance::ApiDoc::openapi(),
        ),
        ("hopae", idgate_dialects::hopae::ApiDoc::openapi()),
        ("veriff", idgate_dialects::veriff::ApiDoc::openapi()),
        ("deepidv", idgate_dialects::deepidv::ApiDoc::openapi()),
        ("admin", idgate_server::admin_api::ApiDoc::openapi()),
    ] {
        let doc = serde_json::to_value(&doc).unwrap_or_else(|e| panic!("{e}"));
        let paths = doc["paths"].as_object().cloned().unwrap_or_default();
        assert!(!paths.is_empty(), "{name}");
        for (path, item) in paths {
            for (method, op) in item.as_object().cloned().unwrap_or_default() {
                let summary = op["summary"].as_str().unwrap_or_default();
                assert!(
                    !summary.is_empty(),
                    "{name}: {method} {path} has no summary"
                );
                if let Some(content) = op["requestBody"]["content"].as_object() {
                    for (media, body) in content {
                        assert!(
                            body.get("example").is_some() || body.get("examples").is_some(),
                            "{name}: {method} {path} ({media}) has no example"
                        );
                    }
                }
            }
        }
    }
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
