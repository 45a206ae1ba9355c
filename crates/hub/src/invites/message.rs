//! What an invite says: an email (plain text and HTML) or a text message that names the
//! partner, carries the link and says until when it works.

use askama::Template;
use chrono::{DateTime, Utc};
use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource};
use idgate_core::{Partner, Session};
use std::sync::LazyLock;

/// The link's colour when the partner has no brand colour (white text reads on it).
const DEFAULT_COLOR: &str = "#1d4ed8";

/// The invite's words per language (`crates/hub/locales`), English first: the fallback. The
/// same languages as the hosted pages.
const CATALOGUES: [(&str, &str); 7] = [
    ("en", include_str!("../../locales/invite.en.ftl")),
    ("sv", include_str!("../../locales/invite.sv.ftl")),
    ("nb", include_str!("../../locales/invite.nb.ftl")),
    ("da", include_str!("../../locales/invite.da.ftl")),
    ("fi", include_str!("../../locales/invite.fi.ftl")),
    ("et", include_str!("../../locales/invite.et.ftl")),
    ("de", include_str!("../../locales/invite.de.ftl")),
];

static BUNDLES: LazyLock<Vec<(&'static str, FluentBundle<FluentResource>)>> = LazyLock::new(|| {
    CATALOGUES
        .iter()
        .map(|(code, source)| {
            let mut bundle = FluentBundle::new_concurrent(vec![code.parse().unwrap_or_default()]);
            // Plain text (escaped by the HTML template): no Unicode isolation marks.
            bundle.set_use_isolating(false);
            let resource = FluentResource::try_new((*source).to_owned())
                .unwrap_or_else(|(partial, _)| partial);
            if bundle.add_resource(resource).is_err() {
                tracing::error!(language = code, "invite catalogue has duplicate messages");
            }
            (*code, bundle)
        })
        .collect()
});

/// The words of one language, falling back to English message by message.
struct Words {
    language: usize,
}

impl Words {
    /// The partner's language (its brand's, by primary subtag), else English.
    fn for_partner(partner: &Partner) -> Words {
        let wanted = partner
            .branding
            .language
            .as_deref()
            .and_then(|tag| tag.split(['-', '_']).next())
            .map(str::to_ascii_lowercase)
            // Norwegian without a written standard reads bokmål.
            .map(|l| if l == "no" { "nb".to_owned() } else { l });
        let language = wanted
            .and_then(|l| CATALOGUES.iter().position(|(code, _)| *code == l))
            .unwrap_or(0);
        Words { language }
    }

    fn code(&self) -> &'static str {
        CATALOGUES[self.language].0
    }

    fn say(&self, id: &str, args: &[(&str, &str)]) -> String {
        let mut fluent_args = FluentArgs::new();
        for (name, value) in args {
            fluent_args.set(*name, *value);
        }
        for index in [self.language, 0] {
            let bundle = &BUNDLES[index].1;
            if let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) {
                let mut errors = Vec::new();
                return bundle
                    .format_pattern(pattern, Some(&fluent_args), &mut errors)
                    .into_owned();
            }
        }
        id.to_owned()
    }
}

/// An invite email, ready to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InviteEmail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// The language it is written in (the HTML part's `lang`).
    pub language: &'static str,
}

/// An invite text message, ready to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InviteSms {
    pub to: String,
    pub body: String,
}

/// The sentences of an invite email, in its language.
struct Sentences {
    greeting: String,
    ask: String,
    button: String,
    or_open: String,
    until: String,
    ignore: String,
    on_behalf: String,
}

#[derive(Template)]
#[template(path = "invite_email.txt", escape = "none")]
struct EmailText<'a> {
    s: &'a Sentences,
    link: &'a str,
}

#[derive(Template)]
#[template(path = "invite_email.html")]
struct EmailHtml<'a> {
    lang: &'a str,
    subject: &'a str,
    s: &'a Sentences,
    link: &'a str,
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

/// A time every language reads the same way.
fn when(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
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
    let words = Words::for_partner(partner);
    let name = partner_name(partner);
    let until = when(session.expires_at);
    let subject = words.say("invite-subject", &[("partner", name)]);
    let sentences = Sentences {
        greeting: match applicant.first_name.as_deref() {
            Some(first) => words.say("invite-greeting-name", &[("name", first)]),
            None => words.say("invite-greeting", &[]),
        },
        ask: words.say("invite-ask", &[("partner", name)]),
        button: words.say("invite-button", &[]),
        or_open: words.say("invite-or-open", &[]),
        until: words.say("invite-until", &[("until", &until)]),
        ignore: match partner.branding.support_contact.as_deref() {
            Some(support) => words.say(
                "invite-ignore-support",
                &[("partner", name), ("support", support)],
            ),
            None => words.say("invite-ignore", &[]),
        },
        on_behalf: words.say("invite-on-behalf", &[("partner", name)]),
    };
    let text = EmailText {
        s: &sentences,
        link,
    }
    .render()?;
    let html = EmailHtml {
        lang: words.code(),
        subject: &subject,
        s: &sentences,
        link,
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
        language: words.code(),
    }))
}

/// The text message inviting `session`'s applicant, or `None` without a phone number.
pub fn sms(partner: &Partner, session: &Session, link: &str) -> Option<InviteSms> {
    let to = session.applicant.as_ref()?.phone.clone()?;
    let words = Words::for_partner(partner);
    let body = words.say(
        "invite-sms",
        &[
            ("partner", partner_name(partner)),
            ("link", link),
            ("until", &when(session.expires_at)),
        ],
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
            email.text.contains("until 2027-01-22 08:00 UTC"),
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
            "Acme: please verify your identity at https://v.example/v/t (until 2027-01-22 \
             08:00 UTC). Do not share this link."
        );
        let nobody = session(ApplicantData::default());
        assert_eq!(email_none(&p, &nobody), None);
        assert_eq!(super::sms(&p, &nobody, "x"), None);
    }

    #[test]
    fn the_invite_speaks_the_partners_language_and_every_catalogue_is_complete() {
        let s = session(ApplicantData {
            first_name: Some("Kari".into()),
            email: Some("kari@example.com".into()),
            phone: Some("+4791234567".into()),
            ..ApplicantData::default()
        });
        for (tag, subject, sms_start) in [
            (
                "nb-NO",
                "Acme ber deg bekrefte identiteten din",
                "Acme: bekreft",
            ),
            (
                "no",
                "Acme ber deg bekrefte identiteten din",
                "Acme: bekreft",
            ),
            (
                "sv",
                "Acme ber dig bekräfta din identitet",
                "Acme: bekräfta",
            ),
            (
                "de",
                "Acme bittet Sie, Ihre Identität zu bestätigen",
                "Acme: Bitte",
            ),
            (
                "fr",
                "Acme asks you to verify your identity",
                "Acme: please",
            ),
        ] {
            let mut p = partner("Acme");
            p.branding.language = Some(tag.into());
            let email = email(&p, &s, "https://v.example/v/t")
                .ok()
                .flatten()
                .unwrap_or_else(|| panic!("no email"));
            assert_eq!(email.subject, subject, "{tag}");
            assert!(
                email
                    .html
                    .contains(&format!("<html lang=\"{}\">", email.language))
            );
            let sms = sms(&p, &s, "https://v.example/v/t").unwrap_or_else(|| panic!("no sms"));
            assert!(sms.body.starts_with(sms_start), "{tag}: {}", sms.body);
            assert!(sms.body.contains("https://v.example/v/t"), "{tag}");
        }
        // Every language has every message English has, and no syntax errors.
        let english: Vec<String> = message_ids(CATALOGUES[0].1);
        for (code, source) in CATALOGUES {
            assert!(FluentResource::try_new(source.to_owned()).is_ok(), "{code}");
            assert_eq!(message_ids(source), english, "{code}");
        }
    }

    fn message_ids(source: &str) -> Vec<String> {
        let mut ids: Vec<String> = source
            .lines()
            .filter(|l| !l.starts_with('#') && !l.starts_with(' ') && l.contains(" = "))
            .filter_map(|l| l.split(" = ").next().map(str::to_owned))
            .collect();
        ids.sort();
        ids
    }

    fn email_none(p: &Partner, s: &Session) -> Option<InviteEmail> {
        email(p, s, "x").ok().flatten()
    }
}
