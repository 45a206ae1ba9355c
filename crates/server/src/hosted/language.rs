//! The hosted pages' languages: Project Fluent message catalogues (`crates/server/locales`,
//! one file per language, built into the binary) and the choice of a language per request.
//!
//! The choice, first match wins: the language the person picked on a page (`?lang=`, then
//! remembered in a cookie), the one the partner asked for when it created the session
//! (Hopae's `locale`, or `lang` / `ui_locales` where a dialect has one), the browser's
//! `Accept-Language`, the partner's default, English.

use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource};
use fluent_langneg::{NegotiationStrategy, accepted_languages, negotiate_languages};
use idgate_core::Session;
use std::convert::Infallible;
use std::sync::LazyLock;
use unic_langid::LanguageIdentifier;

/// Code, name in the language itself, catalogue. English first: the reference and fallback.
const CATALOGUES: [(&str, &str, &str); 7] = [
    ("en", "English", include_str!("../../locales/en.ftl")),
    ("sv", "Svenska", include_str!("../../locales/sv.ftl")),
    ("nb", "Norsk bokmål", include_str!("../../locales/nb.ftl")),
    ("da", "Dansk", include_str!("../../locales/da.ftl")),
    ("fi", "Suomi", include_str!("../../locales/fi.ftl")),
    ("et", "Eesti", include_str!("../../locales/et.ftl")),
    ("de", "Deutsch", include_str!("../../locales/de.ftl")),
];

/// The cookie that remembers a language picked on a page.
pub const COOKIE: &str = "idgate_lang";

struct Catalogue {
    id: LanguageIdentifier,
    bundle: FluentBundle<FluentResource>,
}

static LOADED: LazyLock<Vec<Catalogue>> = LazyLock::new(|| {
    CATALOGUES
        .iter()
        .map(|(code, _, source)| {
            let id: LanguageIdentifier = code.parse().unwrap_or_default();
            let mut bundle = FluentBundle::new_concurrent(vec![id.clone()]);
            // Plain text into HTML-escaped templates: no Unicode isolation marks.
            bundle.set_use_isolating(false);
            // A syntax error loses only the message it is in (the test suite keeps them at
            // zero); the rest of the catalogue still serves.
            let resource = match FluentResource::try_new((*source).to_owned()) {
                Ok(resource) => resource,
                Err((resource, errors)) => {
                    tracing::error!(
                        language = code,
                        errors = errors.len(),
                        "catalogue has syntax errors"
                    );
                    resource
                }
            };
            if let Err(errors) = bundle.add_resource(resource) {
                tracing::error!(
                    language = code,
                    errors = errors.len(),
                    "catalogue has duplicate messages"
                );
            }
            Catalogue { id, bundle }
        })
        .collect()
});

/// One of the languages the pages are written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lang(usize);

impl Lang {
    pub const ENGLISH: Lang = Lang(0);

    pub fn all() -> impl Iterator<Item = Lang> {
        (0..CATALOGUES.len()).map(Lang)
    }

    pub fn code(self) -> &'static str {
        CATALOGUES[self.0].0
    }

    /// The language's name in itself, for the switcher.
    pub fn name(self) -> &'static str {
        CATALOGUES[self.0].1
    }

    /// The served language a tag (`sv`, `sv-FI`, `de-AT`, `no`) asks for, if any.
    pub fn parse(tag: &str) -> Option<Lang> {
        negotiate([tag])
    }

    /// The message `id`, in this language or else in English (or the id itself, which the
    /// test suite never lets happen).
    pub fn text(self, id: &str) -> String {
        self.format(id, None)
    }

    /// The message `id` with its variables.
    pub fn text_with(self, id: &str, args: &[(&str, &str)]) -> String {
        let mut fluent = FluentArgs::new();
        for (name, value) in args {
            fluent.set(*name, *value);
        }
        self.format(id, Some(&fluent))
    }

    fn format(self, id: &str, args: Option<&FluentArgs>) -> String {
        for catalogue in [self.0, 0].iter().filter_map(|i| LOADED.get(*i)) {
            let bundle = &catalogue.bundle;
            if let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) {
                let mut errors = Vec::new();
                let text = bundle.format_pattern(pattern, args, &mut errors);
                return text.into_owned();
            }
        }
        id.to_owned()
    }
}

/// The first served language among `requested` (most wanted first), matching regions and
/// scripts loosely (`sv-FI` is served in `sv`); Norwegian asked for as `no` or `nn` is served
/// in Bokmål.
pub fn negotiate<'a>(requested: impl IntoIterator<Item = &'a str>) -> Option<Lang> {
    let requested: Vec<LanguageIdentifier> = requested
        .into_iter()
        .flat_map(accepted_languages::parse)
        .map(|mut id| {
            if matches!(id.language.as_str(), "no" | "nn") {
                id.language = "nb".parse().unwrap_or(id.language);
            }
            id
        })
        .collect();
    let available: Vec<&LanguageIdentifier> = LOADED.iter().map(|c| &c.id).collect();
    let chosen = negotiate_languages(&requested, &available, None, NegotiationStrategy::Lookup);
    let first = chosen.first()?;
    LOADED.iter().position(|c| &c.id == **first).map(Lang)
}

/// What a request says about its language: the picked one (query or cookie) and the
/// browser's list. The session and partner add theirs in [`Preferences::choose`].
#[derive(Clone, Debug, Default)]
pub struct Preferences {
    picked: Option<Lang>,
    accept_language: Option<String>,
    /// The page's own address without `lang`, for the switcher: GET requests only (a form's
    /// answer cannot be asked for again by a link).
    here: Option<String>,
}

impl Preferences {
    /// The language for a page of `session` (whose partner's default is `partner_default`).
    pub fn choose(&self, session: Option<&Session>, partner_default: Option<&str>) -> Lang {
        if let Some(lang) = self.picked {
            return lang;
        }
        let asked = session.and_then(|s| {
            ["locale", "lang", "ui_locales"]
                .iter()
                .find_map(|key| s.dialect_options.get(*key).and_then(|v| v.as_str()))
        });
        // OIDC's ui_locales is a space-separated list.
        if let Some(lang) = asked.and_then(|list| negotiate(list.split_whitespace())) {
            return lang;
        }
        if let Some(lang) = self.accept_language.as_deref().and_then(|h| negotiate([h])) {
            return lang;
        }
        partner_default
            .and_then(Lang::parse)
            .unwrap_or(Lang::ENGLISH)
    }

    /// Without a session or partner (an invalid link, a page not found).
    pub fn lang(&self) -> Lang {
        self.choose(None, None)
    }

    /// This page's address without `lang` (GET requests only), for the switcher.
    pub fn here(&self) -> Option<&str> {
        self.here.as_deref()
    }
}

/// `path` and `query` without its `lang` parameter, as a path on this site (`//host/…` or
/// `/\host` would be read by a browser as another site).
fn address_without_lang(path: &str, query: Option<&str>) -> String {
    let path = format!("/{}", path.trim_start_matches(['/', '\\']));
    let path = path.as_str();
    let kept: Vec<(String, String)> = url::form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .filter(|(k, _)| k != "lang")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if kept.is_empty() {
        return path.to_owned();
    }
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(kept)
        .finish();
    format!("{path}?{query}")
}

fn picked_in_query(query: Option<&str>) -> Option<Lang> {
    url::form_urlencoded::parse(query?.as_bytes())
        .find(|(k, _)| k == "lang")
        .and_then(|(_, v)| Lang::parse(&v))
}

fn picked_in_cookie(headers: &axum::http::HeaderMap) -> Option<Lang> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .and_then(|(_, value)| Lang::parse(value))
}

impl<S: Send + Sync> FromRequestParts<S> for Preferences {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Preferences {
            picked: picked_in_query(parts.uri.query()).or_else(|| picked_in_cookie(&parts.headers)),
            accept_language: parts
                .headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .map(|v| v.chars().take(200).collect()),
            here: (parts.method == axum::http::Method::GET)
                .then(|| address_without_lang(parts.uri.path(), parts.uri.query())),
        })
    }
}

/// Remembers a language picked with `?lang=` for the pages that follow (a cookie for the
/// whole site, as the pages move between paths).
pub async fn remember(request: Request, next: Next) -> Response {
    let picked = picked_in_query(request.uri().query());
    let mut response = next.run(request).await;
    if let Some(lang) = picked {
        let cookie = format!(
            "{COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax",
            lang.code()
        );
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::{CATALOGUES, Lang, negotiate};
    use fluent_bundle::FluentResource;
    use std::collections::BTreeSet;

    fn ids(source: &str) -> BTreeSet<String> {
        let resource = FluentResource::try_new(source.to_owned())
            .unwrap_or_else(|(_, errors)| panic!("syntax errors: {errors:?}"));
        resource
            .entries()
            .filter_map(|entry| match entry {
                fluent_syntax::ast::Entry::Message(m) => Some(m.id.name.to_owned()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn every_catalogue_parses_and_has_every_message_of_the_english_one() {
        let english = ids(CATALOGUES[0].2);
        assert!(english.len() > 80, "{}", english.len());
        for (code, _, source) in &CATALOGUES[1..] {
            let these = ids(source);
            let missing: Vec<_> = english.difference(&these).collect();
            let extra: Vec<_> = these.difference(&english).collect();
            assert!(
                missing.is_empty() && extra.is_empty(),
                "{code}: missing {missing:?}, extra {extra:?}"
            );
        }
    }

    #[test]
    fn variables_are_filled_in_and_translations_differ_from_english() {
        let args = [("partner", "Acme"), ("provider", "BankID")];
        for lang in Lang::all() {
            let intro = lang.text_with("landing-intro", &args);
            assert!(
                intro.contains("Acme") && intro.contains("BankID"),
                "{}: {intro}",
                lang.code()
            );
            if lang != Lang::ENGLISH {
                assert_ne!(
                    lang.text("landing-title"),
                    Lang::ENGLISH.text("landing-title"),
                    "{}",
                    lang.code()
                );
            }
        }
        assert_eq!(Lang::ENGLISH.text("no-such-message"), "no-such-message");
    }

    #[test]
    fn the_switcher_links_stay_on_this_site() {
        use super::address_without_lang;
        assert_eq!(
            address_without_lang("//evil.example/x", None),
            "/evil.example/x"
        );
        assert_eq!(
            address_without_lang("/\\evil.example/x", None),
            "/evil.example/x"
        );
        assert_eq!(
            address_without_lang("/v/abc", Some("lang=sv&follow=1")),
            "/v/abc?follow=1"
        );
    }

    #[test]
    fn languages_are_negotiated_loosely_and_norwegian_is_bokmal() {
        let code = |tags: &[&str]| negotiate(tags.iter().copied()).map(Lang::code);
        assert_eq!(code(&["sv-FI"]), Some("sv"));
        assert_eq!(code(&["fr-FR,de-AT;q=0.8,en;q=0.5"]), Some("de"));
        assert_eq!(code(&["no"]), Some("nb"));
        assert_eq!(code(&["nn-NO"]), Some("nb"));
        assert_eq!(code(&["fr", "ja"]), None);
        assert_eq!(code(&["not a tag!"]), None);
        assert_eq!(Lang::parse("ET").map(Lang::code), Some("et"));
    }
}
