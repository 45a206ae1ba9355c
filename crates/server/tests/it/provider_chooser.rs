//! The provider chooser: a partner that offers its people several providers (for sessions
//! whose dialect names none: the Veriff API) gets a page where the person picks one, narrowed
//! to those that meet the request (level of assurance, what the provider needs, the person's
//! country) and skipped when only one remains.

use idgate_testkit as common;

use crate::browser_e2e::{browser_with, chromedriver, click};
use common::{Partner, TestApp, location, text};
use fantoccini::Locator;
use idgate_core::{Dialect, NewSession, Status};
use idgate_hub::service::partners::PartnerChange;
use serde_json::{Value, json};

const OFFER: [&str; 5] = [
    "veriff",
    "bankid",
    "sandbox-qr",
    "sandbox-push",
    "sandbox-match",
];

async fn offering(app: &TestApp, name: &str, offered: &[&str]) -> Partner {
    let p = app.partner(name).await;
    let change = PartnerChange {
        offered_providers: Some(offered.iter().map(|s| (*s).to_owned()).collect()),
        ..PartnerChange::default()
    };
    app.hub
        .update_partner(p.id.parse().unwrap_or_else(|e| panic!("{e}")), change)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    p
}

/// A session created through the Veriff API, as a Veriff client sends it (no provider named).
async fn veriff_session(app: &TestApp, p: &Partner, verification: Value) -> (String, String) {
    let r = app
        .client
        .post(app.url("/v1/sessions"))
        .header("X-AUTH-CLIENT", &p.veriff_key)
        .header("content-type", "application/json")
        .body(json!({ "verification": verification }).to_string())
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(r.status(), 201);
    let created: Value = r.json().await.unwrap_or_default();
    (
        text(&created["verification"], "id"),
        text(&created["verification"], "url"),
    )
}

async fn page(app: &TestApp, url: &str) -> (u16, String) {
    let r = app
        .client
        .get(url)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    (r.status().as_u16(), r.text().await.unwrap_or_default())
}

/// The ids offered on a chooser page, in order.
fn offered(page: &str) -> Vec<String> {
    page.split("name=\"provider\" value=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn a_person_picks_one_of_the_partners_providers_that_fit_the_request() {
    let app = TestApp::spawn().await;
    let p = offering(&app, "Choice AS", &OFFER).await;
    let (id, url) = veriff_session(&app, &p, json!({"vendorData": "order-1"})).await;
    let (status, chooser) = page(&app, &url).await;
    assert_eq!(status, 200);
    assert!(
        chooser.contains("Choose how to verify your identity"),
        "{chooser}"
    );
    // The registry match needs the partner's matchData, which a Veriff session has none of.
    assert_eq!(
        offered(&chooser),
        ["veriff", "bankid", "sandbox-qr", "sandbox-push"]
    );

    // Someone editing the form cannot start at a provider the partner did not offer.
    let forged = app
        .client
        .post(format!("{url}/start"))
        .form(&[("provider", "eid-simulator")])
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(forged.status(), 400);
    let session_id = id.parse().unwrap_or_else(|e| panic!("{e}"));
    let session = app
        .hub
        .session(session_id)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(session.status, Status::Created);

    // A push provider asks for the identifier first; the session waits as it was.
    let r = app
        .client
        .post(format!("{url}/start"))
        .form(&[("provider", "sandbox-push")])
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(r.status(), 200);
    let form = r.text().await.unwrap_or_default();
    assert!(
        form.contains(r#"name="identifier""#)
            && form.contains(r#"<input type="hidden" name="provider" value="sandbox-push">"#)
            && form.contains(r#"id="choose-another""#)
            && !form.contains(r#"id="error""#),
        "{form}"
    );
    let session = app
        .hub
        .session(session_id)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(session.status, Status::Created);
    // With it, the session starts there.
    let r = app
        .client
        .post(format!("{url}/start"))
        .form(&[
            ("provider", "sandbox-push"),
            ("identifier", "PNOEE-39001010000"),
        ])
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(r.status(), 303);
    let session = app
        .hub
        .session(session_id)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        (session.status, session.provider_id.as_str()),
        (Status::Started, "sandbox-push")
    );

    // A redirect provider starts at once, and the callback belongs to it.
    let (id, url) = veriff_session(&app, &p, json!({})).await;
    let r = app
        .client
        .post(format!("{url}/start"))
        .form(&[("provider", "bankid")])
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(r.status(), 303);
    assert!(
        location(&r).contains("/sandbox/bankid/authorize"),
        "{}",
        location(&r)
    );
    let session = app
        .hub
        .session(id.parse().unwrap_or_else(|e| panic!("{e}")))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(session.provider_id, "bankid");
}

#[tokio::test]
async fn the_choice_narrows_to_what_fits_and_disappears_when_one_remains() {
    let app = TestApp::spawn_with(|s| {
        // BankID serves Swedes; the QR eID Estonians.
        let mut countries = |id: &str, list: &[&str]| {
            let config = s.providers.get_mut(id).unwrap_or_else(|| panic!("{id}"));
            let mut value = serde_json::to_value(&*config).unwrap_or_default();
            value["countries"] = json!(list);
            *config = serde_json::from_value(value).unwrap_or_else(|e| panic!("{e}"));
        };
        countries("bankid", &["SE"]);
        countries("sandbox-qr", &["EE"]);
    })
    .await;
    let p = offering(&app, "Narrow AS", &OFFER).await;
    // A Swedish document: BankID and the providers that serve anyone.
    let (_, url) = veriff_session(&app, &p, json!({"document": {"country": "se"}})).await;
    assert_eq!(
        offered(&page(&app, &url).await.1),
        ["veriff", "bankid", "sandbox-push"]
    );
    // No country given: every provider that fits.
    let (_, url) = veriff_session(&app, &p, json!({})).await;
    assert_eq!(offered(&page(&app, &url).await.1).len(), 4);

    // A level of assurance only one provider reaches: no chooser, that provider's page.
    let partner = app
        .hub
        .partner(p.id.parse().unwrap_or_else(|e| panic!("{e}")))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let created = app
        .hub
        .create_session(
            &partner,
            Dialect::Veriff,
            NewSession {
                provider_id: "veriff".into(),
                provider_choices: OFFER.iter().map(|s| (*s).to_owned()).collect(),
                requested_loa: Some(4),
                ..NewSession::default()
            },
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(created.session.provider_id, "sandbox-qr");
    assert!(created.session.provider_choices().is_empty());
    let (_, landing) = page(&app, &created.verification_url).await;
    assert!(
        offered(&landing).is_empty() && landing.contains("QR eID (sandbox)"),
        "{landing}"
    );
    // A dialect cannot smuggle choices in through its own options.
    let mut options = serde_json::Map::new();
    options.insert("providerChoices".into(), json!(["eid-simulator", "bankid"]));
    let created = app
        .hub
        .create_session(
            &partner,
            Dialect::Veriff,
            NewSession {
                provider_id: "veriff".into(),
                dialect_options: options,
                ..NewSession::default()
            },
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(created.session.provider_choices().is_empty());
    // Only configured providers can be offered.
    let refused = app
        .hub
        .update_partner(
            partner.id,
            PartnerChange {
                offered_providers: Some(vec!["nope".into()]),
                ..PartnerChange::default()
            },
        )
        .await;
    assert!(refused.is_err_and(|e| e.to_string().contains("not a provider served here")));
    // When nothing offered fits, the session is refused rather than sent elsewhere.
    let only_match = offering(&app, "Match only AS", &["sandbox-match"]).await;
    let r = app
        .client
        .post(app.url("/v1/sessions"))
        .header("X-AUTH-CLIENT", &only_match.veriff_key)
        .header("content-type", "application/json")
        .body(json!({"verification": {}}).to_string())
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(r.status(), 400, "{}", r.text().await.unwrap_or_default());
}

#[tokio::test]
async fn in_chromium_a_person_chooses_a_provider_and_finishes_there() {
    let app = TestApp::spawn().await;
    let p = offering(&app, "Chromium Choice AS", &["veriff", "bankid"]).await;
    let (id, url) = veriff_session(&app, &p, json!({"lang": "sv"})).await;
    let (_driver, driver_url) = chromedriver().await;
    let profile = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let client = browser_with(&driver_url, profile.path(), &[]).await;
    client.goto(&url).await.unwrap_or_else(|e| panic!("{e}"));
    // Veriff's `lang` chose the page's language.
    let heading = client
        .find(Locator::Css("h1"))
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .text()
        .await
        .unwrap_or_default();
    assert_eq!(heading, "Välj hur du vill verifiera din identitet");
    click(&client, "choose-bankid").await;
    click(&client, "approve").await;
    client
        .wait()
        .for_element(Locator::Css("html[lang='sv'] h1"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let session = app
        .hub
        .session(id.parse().unwrap_or_else(|e| panic!("{e}")))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        (session.provider_id.as_str(), session.status),
        ("bankid", Status::Approved)
    );
    let _ = client.close().await;
}
