//! What every hosted page carries besides its content: its language (and the switcher to the
//! others), the partner's brand and the sandbox banner.

use super::language::{Lang, Preferences};
use idgate_core::Partner;

/// The page's frame, given to every template as `ui`.
#[derive(Debug)]
pub struct Ui {
    pub lang: Lang,
    pub sandbox: bool,
    pub brand: Option<Brand>,
    /// The page's own address for the language switcher (a GET page showing the same thing);
    /// `None`: no switcher (a form's answer that cannot be reloaded).
    pub here: Option<String>,
}

impl Ui {
    pub fn new(lang: Lang) -> Ui {
        Ui {
            lang,
            sandbox: false,
            brand: None,
            here: None,
        }
    }

    /// A page frame in `lang` whose switcher leads back to the page `prefs` came with.
    pub fn for_request(prefs: &Preferences, lang: Lang) -> Ui {
        let ui = Ui::new(lang);
        match prefs.here() {
            Some(here) => ui.here(here),
            None => ui,
        }
    }

    pub fn sandbox(mut self, sandbox: bool) -> Ui {
        self.sandbox = sandbox;
        self
    }

    pub fn brand(mut self, brand: Option<Brand>) -> Ui {
        self.brand = brand;
        self
    }

    pub fn here(mut self, here: impl Into<String>) -> Ui {
        self.here = Some(here.into());
        self
    }

    /// A message in the page's language.
    pub fn t(&self, id: &str) -> String {
        self.lang.text(id)
    }

    /// A message with one variable.
    pub fn t1(&self, id: &str, name: &str, value: &str) -> String {
        self.lang.text_with(id, &[(name, value)])
    }

    /// A message with two variables.
    pub fn t2(&self, id: &str, a: &str, a_value: &str, b: &str, b_value: &str) -> String {
        self.lang.text_with(id, &[(a, a_value), (b, b_value)])
    }

    /// The partner's name as its people know it, or a stand-in.
    pub fn partner(&self) -> String {
        self.brand
            .as_ref()
            .map_or_else(|| self.t("unknown-partner"), |b| b.name.clone())
    }

    /// The switcher's links: each language, its code, its address, and whether it is this
    /// page's.
    pub fn languages(&self) -> Vec<(&'static str, &'static str, String, bool)> {
        let Some(here) = &self.here else {
            return Vec::new();
        };
        Lang::all()
            .map(|l| {
                let joiner = if here.contains('?') { '&' } else { '?' };
                (
                    l.code(),
                    l.name(),
                    format!("{here}{joiner}lang={}", l.code()),
                    l == self.lang,
                )
            })
            .collect()
    }
}

/// How the pages show a partner: its name, logo and colour (served by idgate), where to get
/// help and its privacy policy.
#[derive(Debug)]
pub struct Brand {
    pub name: String,
    pub logo_url: Option<String>,
    pub stylesheet_url: Option<String>,
    /// Link text and address.
    pub support: Option<(String, String)>,
    pub privacy_url: Option<String>,
}

impl Brand {
    pub fn of(partner: &Partner) -> Brand {
        let b = &partner.branding;
        Brand {
            name: b
                .display_name
                .clone()
                .unwrap_or_else(|| partner.name.clone()),
            logo_url: b
                .logo_version
                .as_ref()
                .map(|v| format!("/brand/{}/logo?v={v}", partner.id)),
            stylesheet_url: b.primary_color.as_ref().map(|c| {
                format!(
                    "/brand/{}/style.css?v={}",
                    partner.id,
                    c.trim_start_matches('#')
                )
            }),
            support: b
                .support_contact
                .as_ref()
                .map(|c| (c.clone(), contact_link(c))),
            privacy_url: b.privacy_url.clone(),
        }
    }
}

/// An email address becomes `mailto:`, a phone number `tel:`, a URL stays.
fn contact_link(contact: &str) -> String {
    if contact.starts_with("https://") {
        contact.to_owned()
    } else if contact.starts_with('+') {
        format!("tel:{}", contact.replace(' ', ""))
    } else {
        format!("mailto:{contact}")
    }
}

/// The partner's colour as page styles: buttons and focus rings in it, white text on it (its
/// contrast was checked when it was set); in dark mode a lighter shade of it, readable on the
/// dark card, with dark text.
pub fn brand_stylesheet(color: &str) -> String {
    let dark = idgate_core::Branding::dark_variant(color).unwrap_or_else(|| "#6ea0ff".to_owned());
    format!(
        ":root {{ --accent: {color}; --on-accent: #fff; }}\n\
         @media (prefers-color-scheme: dark) {{ :root {{ --accent: {dark}; --on-accent: #0b1220; }} }}\n"
    )
}

#[cfg(test)]
mod tests {
    use super::contact_link;

    #[test]
    fn contacts_become_links() {
        assert_eq!(
            contact_link("help@shop.example.com"),
            "mailto:help@shop.example.com"
        );
        assert_eq!(contact_link("+47 22 00 00 00"), "tel:+4722000000");
        assert_eq!(
            contact_link("https://shop.example.com/help"),
            "https://shop.example.com/help"
        );
    }
}
