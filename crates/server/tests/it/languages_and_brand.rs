//! The hosted pages speak the person's language and show the partner's brand: the language
//! chosen from the page's switcher, the session's request, the browser and the partner's
//! default, in that order; the logo, colour, support contact and privacy link on every page,
//! the logo and colour served by idgate itself.

use idgate_testkit as common;

use crate::browser_e2e::{browser_with, chromedriver, click};
use common::{Partner, TestApp, text};
use fantoccini::Locator;
use idgate_hub::service::partners::PartnerChange;
use serde_json::json;

fn logo_bytes() -> Vec<u8> {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../testkit/fixtures/logo.png");
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A message as the language's catalogue has it (a plain one-line message).
fn catalogue_text(code: &str, id: &str) -> String {
    let path = format!("{}/locales/{code}.ftl", env!("CARGO_MANIFEST_DIR"));
    let catalogue = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    catalogue
        .lines()
        .find_map(|line| line.strip_prefix(&format!("{id} = ")))
        .unwrap_or_else(|| panic!("{id} not in {path}"))
        .to_owned()
}

async fn brand(app: &TestApp, partner: &Partner, change: PartnerChange) {
    let id = partner.id.parse().unwrap_or_else(|e| panic!("{e}"));
    app.hub
        .update_partner(id, change)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
}

/// A Hopae verification with the sandbox redirect provider; `locale` as the partner asks.
async fn verification(app: &TestApp, partner: &Partner, locale: Option<&str>) -> String {
    let mut body = json!({"providerId": "veriff"});
    if let Some(locale) = locale {
        body["locale"] = json!(locale);
    }
    let (status, created) = app
        .hopae(partner, reqwest::Method::POST, "/verifications", Some(body))
        .await;
    assert_eq!(status, 201, "{created}");
    text(&created["flowDetails"], "authorizationUrl")
}

/// The `lang` of the page at `url` and its first heading, as a client without cookies sees it
/// with `accept_language`.
async fn page_language(url: &str, accept_language: Option<&str>) -> (String, String) {
    let client = reqwest::Client::new();
    let mut request = client.get(url);
    if let Some(value) = accept_language {
        request = request.header("accept-language", value);
    }
    let page = request
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"))
        .text()
        .await
        .unwrap_or_default();
    let between = |start: &str, end: &str| {
        page.split_once(start)
            .and_then(|(_, rest)| rest.split_once(end))
            .map(|(inside, _)| inside.to_owned())
            .unwrap_or_default()
    };
    (between("<html lang=\"", "\""), between("<h1>", "</h1>"))
}

#[tokio::test]
async fn the_language_follows_the_session_then_the_browser_then_the_partner() {
    let app = TestApp::spawn().await;
    let p = app.partner("Språk AB").await;
    // Without any preference: English.
    let url = verification(&app, &p, None).await;
    assert_eq!(
        page_language(&url, None).await,
        ("en".into(), "Verify your identity".into())
    );
    brand(
        &app,
        &p,
        PartnerChange {
            language: Some(Some("de".into())),
            ..PartnerChange::default()
        },
    )
    .await;
    // The session's locale wins over the browser's; the browser's over the partner's default.
    let finnish = verification(&app, &p, Some("fi-FI")).await;
    assert_eq!(
        page_language(&finnish, Some("sv-SE,sv;q=0.9")).await.0,
        "fi"
    );
    let url = verification(&app, &p, None).await;
    assert_eq!(
        page_language(&url, Some("nb-NO,nb;q=0.9,en;q=0.5")).await,
        ("nb".into(), "Bekreft identiteten din".into())
    );
    assert_eq!(page_language(&url, Some("no")).await.0, "nb");
    assert_eq!(page_language(&url, Some("fr-FR,fr;q=0.9")).await.0, "de");
    assert_eq!(page_language(&url, None).await.0, "de");
    // A locale idgate does not speak falls through to the browser.
    let french = verification(&app, &p, Some("fr")).await;
    assert_eq!(page_language(&french, Some("da")).await.0, "da");

    // Picked on a page: remembered by a cookie, over the session's own locale; the progress
    // messages the page's script shows come in it too.
    let r = app
        .client
        .get(format!("{finnish}?lang=et"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let cookie = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("idgate_lang="))
        .unwrap_or_default()
        .to_owned();
    assert!(cookie.starts_with("idgate_lang=et;"), "{cookie}");
    let page = r.text().await.unwrap_or_default();
    assert!(page.contains("<html lang=\"et\">"), "{page}");
    let page = app
        .client
        .get(&finnish)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"))
        .text()
        .await
        .unwrap_or_default();
    assert!(
        page.contains("<html lang=\"et\">"),
        "the cookie was not followed: {page}"
    );
    // An unknown language in the switcher's parameter changes nothing.
    let (lang, _) = page_language(&format!("{finnish}?lang=xx"), None).await;
    assert_eq!(lang, "fi");
    // The switcher lists every language, each named in itself, this one marked.
    for (code, name) in [
        ("en", "English"),
        ("sv", "Svenska"),
        ("nb", "Norsk bokmål"),
        ("da", "Dansk"),
        ("fi", "Suomi"),
        ("et", "Eesti"),
        ("de", "Deutsch"),
    ] {
        assert!(
            page.contains(&format!("lang=\"{code}\" hreflang=\"{code}\"")),
            "{code}"
        );
        assert!(page.contains(&format!(">{name}</a>")), "{name}");
    }
    assert!(page.contains("aria-current=\"true\">Eesti</a>"), "{page}");
}

#[tokio::test]
async fn the_brand_is_checked_stored_and_served_by_idgate() {
    let app = TestApp::spawn().await;
    let p = app.partner("Acme Holding ASA").await;
    let id = p.id.parse().unwrap_or_else(|e| panic!("{e}"));
    // Unreadable colours and unsafe files are refused with the reason.
    for (change, says) in [
        (
            PartnerChange {
                primary_color: Some(Some("#ffd700".into())),
                ..PartnerChange::default()
            },
            "contrast",
        ),
        (
            PartnerChange {
                privacy_url: Some(Some("javascript:alert(1)".into())),
                ..PartnerChange::default()
            },
            "https",
        ),
    ] {
        let refused = app.hub.update_partner(id, change).await;
        assert!(
            refused
                .as_ref()
                .is_err_and(|e| e.to_string().contains(says)),
            "{refused:?}"
        );
    }
    let svg = b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>".to_vec();
    assert!(app.hub.set_partner_logo(id, svg).await.is_err());
    let partner = app
        .hub
        .set_partner_logo(id, logo_bytes())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let version = partner.branding.logo_version.unwrap_or_default();
    let r = app
        .client
        .get(app.url(&format!("/brand/{}/logo?v={version}", p.id)))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/png");
    assert_eq!(r.bytes().await.unwrap_or_default().to_vec(), logo_bytes());
    // No brand, no stylesheet; an unknown partner, nothing.
    let missing = app
        .client
        .get(app.url(&format!("/brand/{}/style.css", p.id)))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(missing.status(), 404);
    let unknown = app
        .client
        .get(app.url("/brand/not-a-partner/logo"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(unknown.status(), 404);
}

#[tokio::test]
async fn a_person_sees_the_brand_and_switches_language_in_chromium() {
    let app = TestApp::spawn().await;
    let p = app.partner("Acme Holding ASA").await;
    brand(
        &app,
        &p,
        PartnerChange {
            display_name: Some(Some("Acme".into())),
            primary_color: Some(Some("#0b5d1e".into())),
            support_contact: Some(Some("help@acme.example.com".into())),
            privacy_url: Some(Some("https://acme.example.com/privacy".into())),
            ..PartnerChange::default()
        },
    )
    .await;
    let id = p.id.parse().unwrap_or_else(|e| panic!("{e}"));
    app.hub
        .set_partner_logo(id, logo_bytes())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let url = verification(&app, &p, None).await;

    let (_driver, driver_url) = chromedriver().await;
    let profile = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    // A Swedish browser.
    let client = browser_with(
        &driver_url,
        profile.path(),
        &["--lang=sv-SE", "--accept-lang=sv-SE,sv"],
    )
    .await;
    client.goto(&url).await.unwrap_or_else(|e| panic!("{e}"));
    let script = |js: &'static str| {
        let client = client.clone();
        async move {
            client
                .execute(js, vec![])
                .await
                .unwrap_or_else(|e| panic!("{js}: {e}"))
        }
    };
    assert_eq!(script("return document.documentElement.lang;").await, "sv");
    assert_eq!(
        script("return document.querySelector('h1').textContent;").await,
        "Verifiera din identitet"
    );
    // The logo came from idgate and shows; the partner's name is its display name.
    assert_eq!(
        script("const i = document.getElementById('partner-logo'); return [i.complete && i.naturalWidth > 0, new URL(i.src).origin === location.origin, i.alt];").await,
        json!([true, true, "Acme"])
    );
    assert!(
        script("return document.getElementById('intro').textContent;")
            .await
            .as_str()
            .is_some_and(|t| t.contains("Acme")),
    );
    // The primary button wears the partner's colour; help and privacy are one tap away.
    assert_eq!(
        script("return getComputedStyle(document.getElementById('continue')).backgroundColor;")
            .await,
        "rgb(11, 93, 30)"
    );
    assert_eq!(
        script("return document.getElementById('support-contact').href;").await,
        "mailto:help@acme.example.com"
    );
    assert_eq!(
        script("return document.getElementById('privacy-policy').href;").await,
        "https://acme.example.com/privacy"
    );

    // Every language from the switcher: the page comes back in it, as its catalogue says.
    for code in ["en", "sv", "nb", "da", "fi", "et", "de"] {
        client
            .find(Locator::Css(&format!("nav.languages a[hreflang='{code}']")))
            .await
            .unwrap_or_else(|e| panic!("{code}: {e}"))
            .click()
            .await
            .unwrap_or_else(|e| panic!("{code}: {e}"));
        client
            .wait()
            .for_element(Locator::Css(&format!("html[lang='{code}']")))
            .await
            .unwrap_or_else(|e| panic!("the page did not switch to {code}: {e}"));
        assert_eq!(
            script("return document.querySelector('h1').textContent;").await,
            catalogue_text(code, "landing-title"),
            "{code}"
        );
        assert_eq!(
            script("return document.querySelector('nav.languages [aria-current]').getAttribute('hreflang');").await,
            code
        );
    }

    // Switch to German; the choice holds through the provider and onto the result page.
    client
        .find(Locator::Css("nav.languages a[hreflang='de']"))
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .click()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    client
        .wait()
        .for_element(Locator::Css("html[lang='de']"))
        .await
        .unwrap_or_else(|e| panic!("the page did not switch to German: {e}"));
    assert_eq!(
        script("return document.querySelector('h1').textContent;").await,
        "Bestätigen Sie Ihre Identität"
    );
    click(&client, "continue").await;
    click(&client, "approve").await;
    client
        .wait()
        .for_element(Locator::Css("html[lang='de']"))
        .await
        .unwrap_or_else(|e| panic!("the result page is not in German: {e}"));
    assert_eq!(
        script("return document.querySelector('h1').textContent;").await,
        "Ihre Identität wurde bestätigt"
    );
    let _ = client.close().await;
}
