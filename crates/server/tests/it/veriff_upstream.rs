//! Veriff as an upstream provider: the real Veriff adapter (`veriff-upstream` in the test kit)
//! against this idgate's own Veriff API, which has the sandbox behind it. An EasyFreelance
//! flow goes to "Veriff" (idgate's Veriff API, whose hosted flow a browser walks here), comes
//! back, and the partner lands with the outcome; decisions also arrive by Veriff's signed
//! webhooks and, when those are lost, by the decision check.

use idgate_testkit as common;

use chrono::Utc;
use common::{Partner, TestApp, browser, location, query, text};
use idgate_core::Status;
use idgate_hub::service::webhooks::EndpointPatch;
use serde_json::{Value, json};

const RETURN: &str = "https://partner.example.com/verification/return";

async fn app() -> TestApp {
    TestApp::spawn_with(|s| {
        s.dialects
            .easyfreelance
            .providers
            .insert("veriff".to_owned(), "veriff-upstream".to_owned());
    })
    .await
}

/// Where a redirect goes, as an absolute URL.
fn target(app: &TestApp, r: &reqwest::Response) -> String {
    let to = location(r);
    if to.starts_with('/') {
        app.url(&to)
    } else {
        to
    }
}

/// A browser walking one flow.
struct Person {
    client: reqwest::Client,
}

impl Person {
    fn new() -> Self {
        Person { client: browser() }
    }

    async fn post(&self, url: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(url)
            .form(form)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    }

    async fn get(&self, url: &str) -> reqwest::Response {
        self.client
            .get(url)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// From idgate's verification page to "Veriff"'s hosted flow and its decision there;
    /// returns where Veriff sends the person back (idgate's callback), not yet followed.
    async fn verify_at_veriff(&self, app: &TestApp, url: &str, form: &[(&str, &str)]) -> String {
        let to_veriff = self.post(&format!("{url}/start"), &[]).await;
        assert_eq!(to_veriff.status(), 303);
        let veriff_session = target(app, &to_veriff);
        assert!(
            veriff_session.contains("/v/"),
            "Veriff's session URL: {veriff_session}"
        );
        let to_flow = self.post(&format!("{veriff_session}/start"), &[]).await;
        assert_eq!(to_flow.status(), 303);
        let authorize = target(app, &to_flow);
        let state = query(&authorize).get("state").cloned().unwrap_or_default();
        let mut fields = vec![("state", state.as_str())];
        fields.extend_from_slice(form);
        let decided = self
            .post(&app.url("/sandbox/veriff/authorize"), &fields)
            .await;
        assert_eq!(decided.status(), 303);
        // Veriff's own callback finishes its session and sends the person to its `callback`.
        let finished = self.get(&target(app, &decided)).await;
        assert_eq!(finished.status(), 303);
        let back = target(app, &finished);
        assert!(back.contains("/callback/veriff-upstream?"), "{back}");
        back
    }
}

async fn flow(app: &TestApp, p: &Partner) -> (String, String) {
    let created = app.create_flow(p, "veriff", RETURN).await;
    (
        text(&created, "verification_id"),
        text(&created, "verification_url"),
    )
}

async fn status(app: &TestApp, p: &Partner, id: &str) -> Value {
    let (code, body) = app
        .get(p, &format!("/api/v1/verification/status/{id}"))
        .await;
    assert_eq!(code, 200, "{body}");
    body
}

/// The simulated Veriff's webhook endpoint, on or off.
async fn veriff_webhooks(app: &TestApp, enabled: bool) {
    let endpoints = app
        .hub
        .operator()
        .store()
        .list_webhook_endpoints(None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let endpoint = endpoints
        .into_iter()
        .find(|e| e.url.ends_with("/providers/veriff-upstream/webhook"))
        .unwrap_or_else(|| panic!("the simulator has a webhook endpoint"));
    app.hub
        .update_webhook_endpoint(
            endpoint,
            EndpointPatch {
                enabled: Some(enabled),
                ..EndpointPatch::default()
            },
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
}

#[tokio::test]
async fn approved_at_veriff_the_person_lands_on_the_partner_page_with_what_veriff_read() {
    let app = app().await;
    let p = app.partner_with_return_url("Shop", RETURN).await;
    let (id, url) = flow(&app, &p).await;
    let person = Person::new();
    let back = person
        .verify_at_veriff(&app, &url, &[("outcome", "approved")])
        .await;
    let landed = person.get(&back).await;
    assert_eq!(landed.status(), 303);
    let partner_page = location(&landed);
    assert!(
        partner_page.starts_with(&format!("{RETURN}?")),
        "{partner_page}"
    );
    let q = query(&partner_page);
    assert_eq!(q.get("status").map(String::as_str), Some("approved"));
    assert_eq!(q.get("session_id"), Some(&id));
    let body = status(&app, &p, &id).await;
    assert_eq!(body["status"], "approved", "{body}");
    // Veriff's session id is the session's provider reference; its decision is the evidence.
    let session = app
        .hub
        .session(id.parse().unwrap_or_else(|e| panic!("{e}")))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(session.provider_reference.is_some());
    assert_eq!(session.achieved_loa, Some(3));
    let claims = session.result_claims.map(|c| c.0).unwrap_or_default();
    assert!(claims.contains_key("family_name"), "{claims:?}");
}

#[tokio::test]
async fn a_decline_carries_veriffs_reason_and_a_resubmission_lets_the_person_go_back_in() {
    let app = app().await;
    let p = app.partner_with_return_url("Shop", RETURN).await;

    let (id, url) = flow(&app, &p).await;
    let person = Person::new();
    let back = person
        .verify_at_veriff(
            &app,
            &url,
            &[("outcome", "declined"), ("reason", "face_mismatch")],
        )
        .await;
    let landed = person.get(&back).await;
    let q = query(&location(&landed));
    assert_eq!(q.get("status").map(String::as_str), Some("declined"));
    // 103 at Veriff, face_mismatch again here.
    assert_eq!(q.get("reason").map(String::as_str), Some("face_mismatch"));
    assert_eq!(status(&app, &p, &id).await["status"], "declined");

    // Resubmission requested, then the person goes back in (the same Veriff session) and is
    // approved.
    let (id, url) = flow(&app, &p).await;
    let person = Person::new();
    let back = person
        .verify_at_veriff(&app, &url, &[("outcome", "resubmission_requested")])
        .await;
    let landed = person.get(&back).await;
    let q = query(&location(&landed));
    // EasyFreelance's word for a session the person has to redo.
    assert_eq!(q.get("status").map(String::as_str), Some("pending"));
    let session_id = id.parse().unwrap_or_else(|e| panic!("{e}"));
    let first = app
        .hub
        .session(session_id)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(first.status, Status::ResubmissionRequested);
    let back = person
        .verify_at_veriff(&app, &url, &[("outcome", "approved")])
        .await;
    let landed = person.get(&back).await;
    assert_eq!(
        query(&location(&landed)).get("status").map(String::as_str),
        Some("approved")
    );
    let after = app
        .hub
        .session(session_id)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(after.status, Status::Approved);
    assert_eq!(
        after.provider_reference, first.provider_reference,
        "the same Veriff session"
    );
}

#[tokio::test]
async fn a_person_who_never_comes_back_is_decided_by_webhook_or_by_the_decision_check() {
    let app = app().await;
    let p = app.partner_with_return_url("Shop", RETURN).await;

    // Veriff's decision webhook, signed as the integration, decides the session.
    let (id, url) = flow(&app, &p).await;
    Person::new()
        .verify_at_veriff(&app, &url, &[("outcome", "approved")])
        .await;
    let mut seen = Value::Null;
    for _ in 0..100 {
        seen = status(&app, &p, &id).await;
        if seen["status"] == "approved" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(seen["status"], "approved", "the webhook decided it: {seen}");

    // The webhooks are lost: the session waits until the decision check asks Veriff.
    veriff_webhooks(&app, false).await;
    let (id, url) = flow(&app, &p).await;
    Person::new()
        .verify_at_veriff(
            &app,
            &url,
            &[("outcome", "declined"), ("reason", "document_expired")],
        )
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(status(&app, &p, &id).await["status"], "pending");
    // Not asked before decision_check_after (30 s) has passed.
    assert_eq!(
        app.hub
            .check_decisions(Utc::now(), 100)
            .await
            .unwrap_or_else(|e| panic!("{e}")),
        0
    );
    let decided = app
        .hub
        .check_decisions(Utc::now() + chrono::Duration::minutes(1), 100)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(decided, 1);
    let body = status(&app, &p, &id).await;
    assert_eq!(body["status"], "declined", "{body}");
}

#[tokio::test]
async fn back_before_veriff_decided_the_person_waits_on_a_page_that_shows_the_decision() {
    let app = app().await;
    let p = app.partner_with_return_url("Shop", RETURN).await;
    veriff_webhooks(&app, false).await;
    let (id, url) = flow(&app, &p).await;
    let person = Person::new();
    let to_veriff = person.post(&format!("{url}/start"), &[]).await;
    assert_eq!(to_veriff.status(), 303);
    // Veriff sends the person back before it has decided: to the `callback` idgate gave it.
    let session_id = id.parse().unwrap_or_else(|e| panic!("{e}"));
    let veriff_id = app
        .hub
        .session(session_id)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .provider_reference
        .unwrap_or_default();
    let upstream = app
        .hub
        .session(veriff_id.parse().unwrap_or_else(|e| panic!("{e}")))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let callback = upstream.return_url.clone().unwrap_or_default();
    assert!(
        callback.contains("/callback/veriff-upstream?state="),
        "{callback}"
    );
    let waiting = person.get(&callback).await;
    assert_eq!(waiting.status(), 303);
    let wait_page = target(&app, &waiting);
    assert!(
        wait_page.contains("/callback/veriff-upstream/wait?"),
        "{wait_page}"
    );
    let page = person.get(&wait_page).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap_or_default();
    assert!(html.contains("Verification in progress"), "{html}");
    // EasyFreelance says pending; the session is submitted, waiting for Veriff.
    assert_eq!(status(&app, &p, &id).await["status"], "pending");
    let waiting_session = app
        .hub
        .session(session_id)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(waiting_session.status, Status::Submitted);
    // Another browser cannot open this one's waiting page.
    assert_eq!(Person::new().get(&wait_page).await.status(), 400);

    // Veriff decides; no webhook comes; the decision check brings it; the page sends the
    // person on to the partner.
    app.hub
        .sandbox_decide(
            upstream,
            idgate_providers::sandbox::SandboxChoice::new(idgate_providers::Decision::Approved),
            idgate_core::Actor::Provider,
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let decided = app
        .hub
        .check_decisions(Utc::now() + chrono::Duration::minutes(1), 100)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(decided, 1);
    let on = person.get(&wait_page).await;
    assert_eq!(on.status(), 303);
    let partner_page = location(&on);
    assert!(
        partner_page.starts_with(&format!("{RETURN}?")),
        "{partner_page}"
    );
    assert_eq!(
        query(&partner_page).get("status").map(String::as_str),
        Some("approved")
    );
}

#[tokio::test]
async fn forged_and_malformed_webhooks_change_nothing() {
    let app = app().await;
    let p = app.partner_with_return_url("Shop", RETURN).await;
    let (id, url) = flow(&app, &p).await;
    veriff_webhooks(&app, false).await;
    let person = Person::new();
    let to_veriff = person.post(&format!("{url}/start"), &[]).await;
    assert_eq!(to_veriff.status(), 303);
    let session = app
        .hub
        .session(id.parse().unwrap_or_else(|e| panic!("{e}")))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let veriff_id = session.provider_reference.clone().unwrap_or_default();
    let decision = json!({
        "status": "success",
        "verification": {"id": veriff_id, "status": "approved", "code": 9001}
    })
    .to_string();
    let send = |body: String, signature: Option<String>| {
        let client = app.client.clone();
        let url = app.url("/providers/veriff-upstream/webhook");
        async move {
            let mut request = client
                .post(url)
                .header("content-type", "application/json")
                .body(body);
            if let Some(signature) = signature {
                request = request.header("x-hmac-signature", signature);
            }
            request
                .send()
                .await
                .unwrap_or_else(|e| panic!("{e}"))
                .status()
                .as_u16()
        }
    };
    assert_eq!(send(decision.clone(), None).await, 401);
    assert_eq!(send(decision.clone(), Some("00".repeat(32))).await, 401);
    assert_eq!(send("not json".into(), Some("zz".into())).await, 401);
    let after = app
        .hub
        .session(session.id)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(after.status, Status::Started, "nothing changed");
    assert_eq!(after.version, session.version);
}

#[tokio::test]
async fn easyfreelance_id_types_go_to_their_own_veriff_integrations() {
    let app = TestApp::spawn_with(|s| {
        let providers = &mut s.dialects.easyfreelance.providers;
        providers.insert("veriff_local".to_owned(), "veriff-upstream".to_owned());
        providers.insert("veriff_international".to_owned(), "veriff".to_owned());
    })
    .await;
    let p = app.partner_with_return_url("Shop", RETURN).await;
    for (id_type, provider) in [("local", "veriff-upstream"), ("international", "veriff")] {
        let (code, created) = app
            .post(
                &p,
                "/api/v1/users/42/verification/flows",
                json!({"provider": "veriff", "id_type": id_type, "partner_return_url": RETURN}),
            )
            .await;
        assert_eq!(code, 201, "{created}");
        assert_eq!(created["provider"], "veriff");
        let session = app
            .hub
            .session(
                text(&created, "verification_id")
                    .parse()
                    .unwrap_or_else(|e| panic!("{e}")),
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(session.provider_id, provider, "{id_type}");
    }
}

#[tokio::test]
async fn late_repeated_and_contradicting_webhooks_change_nothing() {
    let app = app().await;
    let p = app.partner_with_return_url("Shop", RETURN).await;
    let (id, url) = flow(&app, &p).await;
    let person = Person::new();
    let back = person
        .verify_at_veriff(&app, &url, &[("outcome", "approved")])
        .await;
    person.get(&back).await;
    assert_eq!(status(&app, &p, &id).await["status"], "approved");
    let session_id = id.parse().unwrap_or_else(|e| panic!("{e}"));
    let before = app
        .hub
        .session(session_id)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let veriff_id = before.provider_reference.clone().unwrap_or_default();
    // Signed as the simulated integration signs (its secret is derived from the deployment key).
    let secret = app.hub.keys().bind("veriff-simulator", "veriff-upstream");
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, secret.as_bytes());
    let send = |body: Value| {
        let client = app.client.clone();
        let url = app.url("/providers/veriff-upstream/webhook");
        let raw = body.to_string();
        let signature = hex::encode(aws_lc_rs::hmac::sign(&key, raw.as_bytes()).as_ref());
        async move {
            let r = client
                .post(url)
                .header("content-type", "application/json")
                .header("x-hmac-signature", signature)
                .body(raw)
                .send()
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            let status = r.status().as_u16();
            (status, r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let decision = |status: &str, code: Option<u32>| json!({"status": "success", "verification": {"id": veriff_id, "status": status, "reasonCode": code}});
    for late in [
        decision("approved", None),
        decision("declined", Some(103)),
        decision("resubmission_requested", Some(207)),
        json!({"id": veriff_id, "action": "submitted", "code": 7002, "feature": "selfid"}),
        json!({"id": veriff_id, "action": "started", "code": 7001, "feature": "selfid"}),
    ] {
        let (code, answer) = send(late.clone()).await;
        assert_eq!(code, 200, "{late}: {answer}");
        assert_eq!(answer["changed"], false, "{late}: {answer}");
    }
    // A webhook about a Veriff session idgate never started: acknowledged, logged.
    let (code, answer) = send(json!({"status": "success", "verification": {"id": "0b7a1b9e-3c44-4b4e-9d7e-000000000000", "status": "approved"}})).await;
    assert_eq!((code, answer["session"].clone()), (200, Value::Null));
    let after = app
        .hub
        .session(session_id)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        (after.status, after.version),
        (Status::Approved, before.version)
    );
}
