//! What an invite says: an email (plain text and HTML) or a text message that names the
//! partner, carries the link and says until when it works.

use askama::Template;
use chrono::{DateTime, Utc};
use idgate_core::{Partner, Session};

/// The link's colour when the partner has no brand colour (white text reads on it).
const DEFAULT_COLOR: &str = "#1d4ed8";

/// An invite email, ready to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InviteEmail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// An invite text message, ready to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InviteSms {
    pub to: String,
    pub body: String,
}

#[derive(Template)]
#[template(path = "invite_email.txt", escape = "none")]
struct EmailText<'a> {
    first_name: Option<&'a str>,
    partner: &'a str,
    link: &'a str,
    expires: &'a str,
    support: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "invite_email.html")]
struct EmailHtml<'a> {
    subject: &'a str,
    first_name: Option<&'a str>,
    partner: &'a str,
    link: &'a str,
    expires: &'a str,
    support: Option<&'a str>,
    color: &'a str,
}

/// The name the person knows the partner by.
fn partner_name(partner: &Partner) -> &str {
    partner
        .branding
        .display_name
        .as_deref()
        .filter(|n| !n.trim().is_empty())
        .unwrap_or(&partner.name)
}

fn when(at: DateTime<Utc>) -> String {
    at.format("%-d %B %Y, %H:%M UTC").to_string()
}

/// The email inviting `session`'s applicant, or `None` without an address.
pub fn email(
    partner: &Partner,
    session: &Session,
    link: &str,
) -> Result<Option<InviteEmail>, askama::Error> {
    let Some(applicant) = &session.applicant else {
        return Ok(None);
    };
    let Some(to) = applicant.email.clone() else {
        return Ok(None);
    };
    let partner_name = partner_name(partner);
    let subject = format!("{partner_name} asks you to verify your identity");
    let expires = when(session.expires_at);
    let first_name = applicant.first_name.as_deref();
    let support = partner.branding.support_contact.as_deref();
    let text = EmailText {
        first_name,
        partner: partner_name,
        link,
        expires: &expires,
        support,
    }
    .render()?;
    let html = EmailHtml {
        subject: &subject,
        first_name,
        partner: partner_name,
        link,
        expires: &expires,
        support,
        color: partner
            .branding
            .primary_color
            .as_deref()
            .unwrap_or(DEFAULT_COLOR),
    }
    .render()?;
    Ok(Some(InviteEmail {
        to,
        subject,
        text,
        html,
    }))
}

/// The text message inviting `session`'s applicant, or `None` without a phone number.
pub fn sms(partner: &Partner, session: &Session, link: &str) -> Option<InviteSms> {
    let to = session.applicant.as_ref()?.phone.clone()?;
    let body = format!(
        "{}: please verify your identity at {link} (until {}). Do not share this link.",
        partner_name(partner),
        session.expires_at.format("%-d %b %Y %H:%M UTC"),
    );
    Some(InviteSms { to, body })
}

#[cfg(test)]
mod tests {
    use super::*;
    use idgate_core::{
        ApplicantData, Dialect, NewSession, PartnerId, SessionId, Tier, session::Session,
    };

    fn session(applicant: ApplicantData) -> Session {
        let at = DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default();
        Session::create(
            SessionId::new(),
            PartnerId::new(),
            Dialect::DeepIdv,
            NewSession {
                provider_id: "veriff".into(),
                applicant: Some(applicant),
                ..NewSession::default()
            },
            "digest".into(),
            chrono::Duration::days(7),
            at,
        )
        .0
    }

    fn partner(name: &str) -> Partner {
        Partner::new(
            PartnerId::new(),
            name.into(),
            Tier::SelfServe,
            DateTime::UNIX_EPOCH,
        )
    }

    #[test]
    fn the_email_names_the_partner_carries_the_link_and_escapes_html() {
        let mut p = partner("Acme <b>AS</b>");
        p.branding.support_contact = Some("help@acme.example".into());
        let s = session(ApplicantData {
            first_name: Some("Åse".into()),
            email: Some("ase@example.com".into()),
            ..ApplicantData::default()
        });
        let link = "https://verify.example/v/tok&en";
        let email = email(&p, &s, link)
            .ok()
            .flatten()
            .unwrap_or_else(|| panic!("no email"));
        assert_eq!(email.to, "ase@example.com");
        assert_eq!(
            email.subject,
            "Acme <b>AS</b> asks you to verify your identity"
        );
        assert!(email.text.starts_with("Hello Åse,"), "{}", email.text);
        assert!(email.text.contains(link));
        assert!(
            email.text.contains("until 22 January 2027, 08:00 UTC"),
            "{}",
            email.text
        );
        assert!(
            email
                .text
                .contains("or ask Acme <b>AS</b> (help@acme.example)")
        );
        // In HTML the name is text, not markup, and the link's & is escaped.
        assert!(
            email.html.contains("Acme &#60;b&#62;AS&#60;/b&#62;"),
            "{}",
            email.html
        );
        assert!(!email.html.contains("<b>AS</b>"));
        assert!(
            email.html.contains("https://verify.example/v/tok&#38;en"),
            "{}",
            email.html
        );
        assert!(email.html.contains(DEFAULT_COLOR));
    }

    #[test]
    fn the_brand_name_and_colour_are_used_and_no_address_means_no_message() {
        let mut p = partner("Acme Holding AS");
        p.branding.display_name = Some("Acme".into());
        p.branding.primary_color = Some("#0b6e4f".into());
        let s = session(ApplicantData {
            email: Some("kari@example.com".into()),
            phone: Some("+4791234567".into()),
            ..ApplicantData::default()
        });
        let email = email(&p, &s, "https://v.example/v/t")
            .ok()
            .flatten()
            .unwrap_or_else(|| panic!("no email"));
        assert!(email.text.starts_with("Hello,"), "{}", email.text);
        assert!(email.subject.starts_with("Acme asks"));
        assert!(email.html.contains("#0b6e4f"));
        let sms = sms(&p, &s, "https://v.example/v/t").unwrap_or_else(|| panic!("no sms"));
        assert_eq!(sms.to, "+4791234567");
        assert_eq!(
            sms.body,
            "Acme: please verify your identity at https://v.example/v/t (until 22 Jan 2027 \
             08:00 UTC). Do not share this link."
        );
        let nobody = session(ApplicantData::default());
        assert_eq!(email_none(&p, &nobody), None);
        assert_eq!(super::sms(&p, &nobody, "x"), None);
    }

    fn email_none(p: &Partner, s: &Session) -> Option<InviteEmail> {
        email(p, s, "x").ok().flatten()
    }
}
