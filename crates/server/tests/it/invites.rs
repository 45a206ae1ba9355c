//! deepidv's email and SMS invites, sent for real: by SMTP to maildev (implicit TLS with a
//! user name and password) and aiosmtpd (STARTTLS required), and by text message to a
//! gateway that speaks Twilio's Messages API; retried after temporary failures, recorded on
//! the session's timeline, never sent twice across a restart, never failing the session.

use idgate_testkit as common;

use common::mail::{MailDev, StartTlsServer, TestPki};
use common::sms_gateway::SmsGateway;
use common::{Partner, TestApp};
use idgate_core::{InviteChannel, InviteStatus};
use idgate_hub::Settings;
use idgate_hub::settings::{EmailInviteSettings, SmsInviteSettings, SmtpTls};
use serde_json::{Value, json};
use std::time::Duration;

const ACCOUNT: &str = "AC5ef8732a3c49700934481addd5ce1659";
const AUTH_TOKEN: &str = "test-auth-token";
const SENDER: &str = "+15005550006";
const MAIL_USER: &str = "idgate";
const MAIL_PASSWORD: &str = "smtp-test-password";

fn email_settings(pki: &TestPki, port: u16, tls: SmtpTls) -> EmailInviteSettings {
    let (username, password) = if tls == SmtpTls::Implicit {
        (MAIL_USER.to_owned(), MAIL_PASSWORD.to_owned())
    } else {
        (String::new(), String::new())
    };
    EmailInviteSettings {
        host: "localhost".into(),
        port,
        tls,
        ca_file: pki.ca.display().to_string(),
        username,
        password,
        from: "Acme Verification <verify@acme.example>".into(),
        timeout: "10s".into(),
    }
}

fn sms_settings(base_url: &str) -> SmsInviteSettings {
    SmsInviteSettings {
        base_url: base_url.into(),
        account_sid: ACCOUNT.into(),
        auth_token: AUTH_TOKEN.into(),
        from: SENDER.into(),
        messaging_service_sid: String::new(),
    }
}

fn fast_retries(s: &mut Settings) {
    s.invites.retry = vec!["300ms".into(), "300ms".into(), "300ms".into()];
    s.invites.poll_interval = "100ms".into();
}

async fn create(app: &TestApp, partner: &Partner, extra: Value) -> (String, String) {
    let mut body = json!({
        "first_name": "Jane", "last_name": "Doe", "email": "jane.doe@example.com",
        "phone": "+15192223333",
    });
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    let r = app
        .client
        .post(app.url("/v1/sessions"))
        .header("x-api-key", &partner.deepidv_key)
        .json(&body)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(r.status().as_u16(), 201);
    let v: Value = r.json().await.unwrap_or_default();
    let url = common::text(&v, "session_url");
    let link = url.split('?').next().unwrap_or_default().to_owned();
    (common::text(&v, "id"), link)
}

async fn invites(app: &TestApp, id: &str) -> Vec<idgate_core::Invite> {
    let id = id.parse().unwrap_or_else(|e| panic!("{e}"));
    app.hub.invites(id).await.unwrap_or_else(|e| panic!("{e}"))
}

/// Waits until none of the session's invites is pending.
async fn settled(app: &TestApp, id: &str) -> Vec<idgate_core::Invite> {
    for _ in 0..300 {
        let all = invites(app, id).await;
        if all.iter().all(|i| i.status != InviteStatus::Pending) {
            return all;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("invites still pending: {:?}", invites(app, id).await);
}

fn of(all: &[idgate_core::Invite], channel: InviteChannel) -> idgate_core::Invite {
    all.iter()
        .find(|i| i.channel == channel)
        .cloned()
        .unwrap_or_else(|| panic!("no {channel:?} invite in {all:?}"))
}

#[tokio::test]
async fn an_email_over_implicit_tls_and_a_text_message_arrive_once_even_across_a_restart() {
    let certs = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let pki = TestPki::create(certs.path());
    let mail = MailDev::start(&pki, 0, MAIL_USER, MAIL_PASSWORD).await;
    let (gateway, gateway_url) = SmsGateway::start(ACCOUNT, AUTH_TOKEN).await;
    let configure = |s: &mut Settings| {
        s.invites.email = email_settings(&pki, mail.smtp_port, SmtpTls::Implicit);
        s.invites.sms = sms_settings(&gateway_url);
        fast_retries(s);
    };
    let app = TestApp::spawn_with(configure).await;
    let partner = app.partner("Acme").await;

    // Both invites are deepidv's default.
    let (id, link) = create(&app, &partner, json!({})).await;
    let emails = mail.wait_for(1).await;
    let email = &emails[0];
    assert_eq!(email["subject"], "Acme asks you to verify your identity");
    assert_eq!(email["to"][0]["address"], "jane.doe@example.com");
    assert_eq!(email["from"][0]["address"], "verify@acme.example");
    let text = email["text"].as_str().unwrap_or_default();
    let html = email["html"].as_str().unwrap_or_default();
    assert!(
        text.contains("Hello Jane,") && text.contains(&link),
        "{text}"
    );
    assert!(html.contains(&format!("href=\"{link}\"")), "{html}");
    assert!(
        text.contains("Acme asks you to verify your identity"),
        "{text}"
    );
    let texts = gateway.wait_for(1).await;
    assert_eq!(texts[0].to, "+15192223333");
    assert_eq!(texts[0].from.as_deref(), Some(SENDER));
    assert!(
        texts[0].body.starts_with("Acme: ") && texts[0].body.contains(&link),
        "{}",
        texts[0].body
    );
    // The link in the invite opens the verification.
    let landing = app
        .client
        .get(&link)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(landing.status().as_u16(), 200);

    // Recorded on the session's timeline, with the message ids.
    let recorded = settled(&app, &id).await;
    let by_email = of(&recorded, InviteChannel::Email);
    let by_sms = of(&recorded, InviteChannel::Sms);
    assert_eq!(
        (by_email.status, by_email.attempts),
        (InviteStatus::Sent, 1)
    );
    assert!(
        by_email
            .reference
            .as_deref()
            .is_some_and(|r| r.starts_with("<invite-")),
        "{by_email:?}"
    );
    assert_eq!(by_sms.status, InviteStatus::Sent);
    assert_eq!(by_sms.reference.as_deref(), Some(texts[0].sid.as_str()));
    assert!(by_email.sent_at.is_some() && by_sms.sent_at.is_some());

    // Asked for neither (camelCase, as the SDK sends): none is written or sent.
    let (quiet, _) = create(
        &app,
        &partner,
        json!({"sendEmailInvite": false, "sendPhoneInvite": false}),
    )
    .await;
    assert!(invites(&app, &quiet).await.is_empty());

    // A restart on the same database sends nothing again.
    let dir = app.stop().await;
    let app = TestApp::spawn_adjusted(dir, configure).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(mail.emails().await.len(), 1, "an invite was sent twice");
    assert_eq!(gateway.accepted().len(), 1, "a text was sent twice");
    assert_eq!(invites(&app, &id).await, recorded);
    app.stop().await;
    mail.stop().await;
}

#[tokio::test]
async fn starttls_is_required_and_an_unreachable_mail_server_is_retried_until_it_answers() {
    let certs = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let pki = TestPki::create(certs.path());
    let smtp = StartTlsServer::start(&pki).await;
    let app = TestApp::spawn_with(|s| {
        s.invites.email = email_settings(&pki, smtp.port, SmtpTls::Starttls);
        fast_retries(s);
    })
    .await;
    let partner = app.partner("Acme").await;
    let (id, link) = create(&app, &partner, json!({"send_phone_invite": false})).await;
    let messages = smtp.wait_for(1).await;
    assert!(messages[0].contains("Subject: Acme asks you to verify your identity"));
    assert!(messages[0].contains("To: jane.doe@example.com"));
    // The link is in both parts (quoted-printable may fold it; the token survives whole).
    let token = link.rsplit('/').next().unwrap_or_default();
    assert!(messages[0].contains(&token[..20]), "{}", messages[0]);
    let recorded = settled(&app, &id).await;
    assert_eq!(
        of(&recorded, InviteChannel::Email).status,
        InviteStatus::Sent
    );
    // No gateway configured and not asked for: no SMS invite at all.
    assert_eq!(recorded.len(), 1);
    app.stop().await;

    // A mail server that is down: retried on the schedule, then delivered once it is up.
    let port = common::free_port();
    let app = TestApp::spawn_with(|s| {
        s.invites.email = email_settings(&pki, port, SmtpTls::Implicit);
        s.invites.retry = vec!["1s".into(); 8];
        s.invites.poll_interval = "100ms".into();
    })
    .await;
    let partner = app.partner("Acme").await;
    let (id, _) = create(&app, &partner, json!({"send_phone_invite": false})).await;
    let mut failed_once = None;
    for _ in 0..100 {
        let email = of(&invites(&app, &id).await, InviteChannel::Email);
        if email.attempts >= 1 {
            failed_once = Some(email);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let failed_once = failed_once.unwrap_or_else(|| panic!("no attempt was made"));
    assert_eq!(failed_once.status, InviteStatus::Pending, "{failed_once:?}");
    assert_eq!(
        failed_once.last_error.as_deref(),
        Some("the mail server could not be reached")
    );
    let mail = MailDev::start(&pki, port, MAIL_USER, MAIL_PASSWORD).await;
    assert_eq!(mail.wait_for(1).await.len(), 1);
    let email = of(&settled(&app, &id).await, InviteChannel::Email);
    assert_eq!(email.status, InviteStatus::Sent);
    assert!(email.attempts >= 2, "{email:?}");
    assert_eq!(email.last_error, None);
    // The session never noticed.
    let status = app
        .client
        .get(app.url(&format!("/v1/sessions/{id}")))
        .header("x-api-key", &partner.deepidv_key)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(status.status().as_u16(), 200);
    app.stop().await;
    mail.stop().await;
    smtp.stop().await;
}

#[tokio::test]
async fn the_gateway_is_retried_after_a_503_a_refusal_fails_the_invite_not_the_session_and_an_unconfigured_channel_is_skipped()
 {
    let (gateway, gateway_url) = SmsGateway::start(ACCOUNT, AUTH_TOKEN).await;
    let app = TestApp::spawn_with(|s| {
        s.invites.sms = sms_settings(&gateway_url);
        fast_retries(s);
    })
    .await;
    let partner = app.partner("Acme").await;

    // 503, then accepted: two attempts, one text.
    gateway.answer_next(&[503]);
    let (id, _) = create(&app, &partner, json!({})).await;
    let recorded = settled(&app, &id).await;
    let sms = of(&recorded, InviteChannel::Sms);
    assert_eq!(
        (sms.status, sms.attempts),
        (InviteStatus::Sent, 2),
        "{sms:?}"
    );
    assert_eq!(gateway.accepted().len(), 1);
    // No mail server: the email invite is recorded as skipped, and why.
    let email = of(&recorded, InviteChannel::Email);
    assert_eq!((email.status, email.attempts), (InviteStatus::Skipped, 0));
    assert!(
        email
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("invites.email.host")),
        "{email:?}"
    );

    // A 400 (a refusal of the message, as Twilio's 21211) is final at once.
    gateway.answer_next(&[400]);
    let (refused, _) = create(&app, &partner, json!({"send_email_invite": false})).await;
    let sms = of(&settled(&app, &refused).await, InviteChannel::Sms);
    assert_eq!(
        (sms.status, sms.attempts),
        (InviteStatus::Failed, 1),
        "{sms:?}"
    );
    let why = sms.last_error.unwrap_or_default();
    assert!(why.contains("400") && why.contains("20500"), "{why}");
    assert!(
        !why.contains("+1519"),
        "the number must not be recorded: {why}"
    );
    // The session carries on.
    let r = app
        .client
        .get(app.url(&format!("/v1/sessions/{refused}")))
        .header("x-api-key", &partner.deepidv_key)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let v: Value = r.json().await.unwrap_or_default();
    assert_eq!(v["session_record"]["status"], "PENDING");

    // Temporary failures until the retries run out: failed after 1 + 3 attempts.
    gateway.answer_next(&[503, 503, 429, 500]);
    let (gave_up, _) = create(&app, &partner, json!({"send_email_invite": false})).await;
    let sms = of(&settled(&app, &gave_up).await, InviteChannel::Sms);
    assert_eq!(
        (sms.status, sms.attempts),
        (InviteStatus::Failed, 4),
        "{sms:?}"
    );
    assert_eq!(gateway.accepted().len(), 1);
    app.stop().await;
}

/// A gateway refusing idgate's own credentials is a setting to fix, not a bad message: the
/// invite stays pending (and says which setting), so it goes out once the setting is right.
#[tokio::test]
async fn refused_credentials_keep_the_invite_pending_for_after_the_fix() {
    let (gateway, gateway_url) = SmsGateway::start(ACCOUNT, AUTH_TOKEN).await;
    let app = TestApp::spawn_with(|s| {
        s.invites.sms = SmsInviteSettings {
            auth_token: "a-wrong-token".into(),
            ..sms_settings(&gateway_url)
        };
        s.invites.retry = vec!["30s".into()];
        s.invites.poll_interval = "100ms".into();
    })
    .await;
    let partner = app.partner("Acme").await;
    let (id, _) = create(&app, &partner, json!({"send_email_invite": false})).await;
    let mut tried = None;
    for _ in 0..100 {
        let sms = of(&invites(&app, &id).await, InviteChannel::Sms);
        if sms.attempts >= 1 {
            tried = Some(sms);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let sms = tried.unwrap_or_else(|| panic!("no attempt was made"));
    assert_eq!(sms.status, InviteStatus::Pending, "{sms:?}");
    let why = sms.last_error.unwrap_or_default();
    assert!(
        why.contains("401") && why.contains("check invites.sms"),
        "{why}"
    );
    assert!(gateway.accepted().is_empty());
    app.stop().await;
}
