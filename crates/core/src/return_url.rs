//! Return-URL rules: the open-redirect boundary.
//!
//! The grammar (also in the README):
//! - at most 2048 characters after trimming surrounding ASCII whitespace;
//! - no control characters (C0, DEL, C1), no Unicode bidi or format controls, no backslash,
//!   no fragment (`#`), no userinfo (`@` in the authority);
//! - an absolute `https` URL with a host; `http` only for a loopback host (`localhost`,
//!   `127.0.0.0/8`, `[::1]`) and only when the URL policy allows it (test mode);
//! - after WHATWG parsing the URL must be what was written, up to the normalisation we
//!   accept: scheme and host lower-cased, IDNA host turned into punycode, the default port
//!   dropped, an empty path becoming `/`. Anything else the parser would rewrite (dot
//!   segments, percent-encoding, numeric IPv4 forms, stray whitespace) is refused;
//! - no percent-encoded `/`, `\`, `.` or NUL anywhere in the path, no empty path segment;
//! - a candidate matches an approved rule when scheme, host and port are identical and its
//!   path equals the rule's path or extends it by whole segments. A query is allowed on the
//!   candidate (and kept); the registered URL itself carries none.

use crate::ids::{PartnerId, ReturnUrlRuleId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::net::{IpAddr, Ipv4Addr};
use std::str::FromStr;
use url::{Host, Url};

pub const MAX_RETURN_URL_LEN: usize = 2048;

/// The query parameters idgate appends to the return URL.
pub const RESERVED_QUERY_PARAMETERS: [&str; 4] = ["session_id", "status", "reason", "result_token"];

/// How an operator should read a host before approving it: its ASCII (punycode) form, and
/// whether it is internationalised or mixes Latin letters with letters of another script in
/// one label (the look-alike pattern, e.g. a Cyrillic "а" inside "pаypal").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostReview {
    pub ascii: String,
    pub internationalised: bool,
    pub mixed_script: bool,
}

/// Reviews the host of a registered URL; `None` when the URL has no host.
pub fn review_host(raw: &str) -> Option<HostReview> {
    let unicode_host = RawParts::split(raw.trim()).ok()?.host.to_owned();
    let ascii = Url::parse(raw.trim()).ok()?.host_str()?.to_owned();
    let mixed_script = unicode_host.split('.').any(|label| {
        let ascii_letters = label.chars().any(|c| c.is_ascii_alphabetic());
        // Latin letters with diacritics (U+00C0–U+024F) are the same script as ASCII.
        let other_letters = label
            .chars()
            .any(|c| c.is_alphabetic() && !c.is_ascii() && !('\u{c0}'..='\u{24f}').contains(&c));
        ascii_letters && other_letters
    });
    Some(HostReview {
        internationalised: ascii.split('.').any(|l| l.starts_with("xn--")),
        mixed_script,
        ascii,
    })
}

/// Why a URL is refused. The message tells a partner what to change.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReturnUrlError {
    #[error("the URL is empty")]
    Empty,
    #[error("the URL is longer than {MAX_RETURN_URL_LEN} characters")]
    TooLong,
    #[error("the URL contains a control or invisible formatting character")]
    ControlCharacter,
    #[error("the URL contains a backslash")]
    Backslash,
    #[error("the URL must not have a fragment (#…)")]
    Fragment,
    #[error("the URL must not carry a user name or password")]
    Userinfo,
    #[error("the URL is not an absolute URL: {0}")]
    Unparsable(String),
    #[error("the URL must use https (http is allowed only for loopback hosts in test mode)")]
    Scheme,
    #[error("the URL has no host")]
    NoHost,
    #[error("the URL's host is written in a form that browsers rewrite; write it plainly")]
    HostRewritten,
    #[error(
        "the URL's path or query is written in a form that browsers rewrite (dot segments, spaces or unencoded characters)"
    )]
    Rewritten,
    #[error("the URL's path contains an encoded slash, backslash, dot, percent sign or NUL")]
    EncodedSeparator,
    #[error("the URL's path contains a dot segment with parameters (..; or .;)")]
    DotSegmentParameter,
    #[error("the URL's query already has {0:?}, which idgate appends on return; use another name")]
    ReservedQueryParameter(String),
    #[error("the URL's path contains an empty segment (//)")]
    EmptySegment,
    #[error("a registered return URL must not have a query")]
    QueryInRule,
}

/// Which URLs the deployment accepts at all.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UrlPolicy {
    /// Accept `http` for loopback hosts (the API test mode).
    pub allow_http_loopback: bool,
}

/// A URL in the normal form matching works on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NormalizedUrl {
    pub scheme: String,
    /// Lower-case ASCII (punycode) host; IPv6 in brackets.
    pub host: String,
    pub port: u16,
    pub path: String,
    pub query: Option<String>,
}

impl NormalizedUrl {
    /// Strictly parses `raw` under `policy` (see the module documentation).
    pub fn parse(raw: &str, policy: UrlPolicy) -> Result<Self, ReturnUrlError> {
        let raw = raw.trim_matches(|c: char| c.is_ascii_whitespace());
        if raw.is_empty() {
            return Err(ReturnUrlError::Empty);
        }
        if raw.chars().count() > MAX_RETURN_URL_LEN {
            return Err(ReturnUrlError::TooLong);
        }
        if raw.chars().any(is_forbidden_char) {
            return Err(ReturnUrlError::ControlCharacter);
        }
        if raw.contains('\\') {
            return Err(ReturnUrlError::Backslash);
        }
        if raw.contains('#') {
            return Err(ReturnUrlError::Fragment);
        }
        let parts = RawParts::split(raw)?;
        if parts.authority.contains('@') {
            return Err(ReturnUrlError::Userinfo);
        }
        let url = Url::parse(raw).map_err(|e| ReturnUrlError::Unparsable(e.to_string()))?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(ReturnUrlError::Userinfo);
        }
        let host = url.host().ok_or(ReturnUrlError::NoHost)?;
        let loopback = is_loopback(&host);
        match url.scheme() {
            "https" => {}
            "http" if loopback && policy.allow_http_loopback => {}
            _ => return Err(ReturnUrlError::Scheme),
        }
        check_host_written_plainly(parts.host, &host)?;
        // Path and query must survive parsing unchanged.
        let raw_path = if parts.path.is_empty() {
            "/"
        } else {
            parts.path
        };
        if raw_path != url.path() || parts.query != url.query() {
            return Err(ReturnUrlError::Rewritten);
        }
        let lower_path = raw_path.to_ascii_lowercase();
        // %25 too: a server that decodes twice would see the other forms.
        if ["%2f", "%5c", "%2e", "%00", "%25"]
            .iter()
            .any(|bad| lower_path.contains(bad))
        {
            return Err(ReturnUrlError::EncodedSeparator);
        }
        // `/..;/` is a dot segment to servlet containers and a name to everyone else.
        if raw_path
            .split('/')
            .any(|segment| segment.starts_with("..;") || segment.starts_with(".;"))
        {
            return Err(ReturnUrlError::DotSegmentParameter);
        }
        // The outcome idgate appends must be the only one the partner reads.
        if let Some(name) = url
            .query_pairs()
            .map(|(name, _)| name)
            .find(|name| RESERVED_QUERY_PARAMETERS.contains(&name.as_ref()))
        {
            return Err(ReturnUrlError::ReservedQueryParameter(name.into_owned()));
        }
        if raw_path.contains("//") {
            return Err(ReturnUrlError::EmptySegment);
        }
        let port = url.port_or_known_default().ok_or(ReturnUrlError::NoHost)?;
        Ok(NormalizedUrl {
            scheme: url.scheme().to_owned(),
            host: host.to_string(),
            port,
            path: url.path().to_owned(),
            query: url.query().map(str::to_owned),
        })
    }

    /// `host` plus `:port` when the port is not the scheme's default.
    pub fn host_with_port(&self) -> String {
        let default = if self.scheme == "https" { 443 } else { 80 };
        if self.port == default {
            self.host.clone()
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// The canonical text of this URL.
    pub fn to_url_string(&self) -> String {
        let mut out = format!("{}://{}{}", self.scheme, self.host_with_port(), self.path);
        if let Some(q) = &self.query {
            out.push('?');
            out.push_str(q);
        }
        out
    }

    /// Whether this (candidate) URL falls under the approved `rule` URL.
    pub fn is_covered_by(&self, rule: &NormalizedUrl) -> bool {
        if self.scheme != rule.scheme || self.host != rule.host || self.port != rule.port {
            return false;
        }
        let prefix = rule.path.as_str();
        let path = self.path.as_str();
        if path == prefix {
            return true;
        }
        if prefix.ends_with('/') {
            path.starts_with(prefix)
        } else {
            path.strip_prefix(prefix)
                .is_some_and(|rest| rest.starts_with('/'))
        }
    }
}

/// The raw text of a URL split without any rewriting, to compare with what the parser made.
struct RawParts<'a> {
    host: &'a str,
    authority: &'a str,
    path: &'a str,
    query: Option<&'a str>,
}

impl<'a> RawParts<'a> {
    fn split(raw: &'a str) -> Result<Self, ReturnUrlError> {
        let (scheme, rest) = raw
            .split_once("://")
            .ok_or_else(|| ReturnUrlError::Unparsable("expected scheme://host/path".into()))?;
        if scheme.is_empty() || !scheme.chars().all(|c| c.is_ascii_alphabetic()) {
            return Err(ReturnUrlError::Unparsable("invalid scheme".into()));
        }
        let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
        let authority = &rest[..authority_end];
        let after = &rest[authority_end..];
        let (path, query) = match after.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (after, None),
        };
        let host = if authority.starts_with('[') {
            authority
                .find(']')
                .map(|end| &authority[..=end])
                .unwrap_or(authority)
        } else {
            authority.rsplit_once(':').map_or(authority, |(h, _)| h)
        };
        Ok(RawParts {
            host,
            authority,
            path,
            query,
        })
    }
}

fn is_forbidden_char(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}' | '\u{FEFF}' | '\u{00AD}')
}

fn is_loopback(host: &Host<&str>) -> bool {
    match host {
        Host::Domain(d) => *d == "localhost",
        Host::Ipv4(ip) => ip.is_loopback(),
        Host::Ipv6(ip) => ip.is_loopback(),
    }
}

/// The host as written must be the host as parsed, up to lower-casing and IDNA.
fn check_host_written_plainly(raw: &str, parsed: &Host<&str>) -> Result<(), ReturnUrlError> {
    if raw.is_empty() {
        return Err(ReturnUrlError::NoHost);
    }
    if raw.contains('%') {
        return Err(ReturnUrlError::HostRewritten);
    }
    match parsed {
        Host::Ipv4(ip) => {
            // Refuse `0x7f.1`, `2130706433`, `0177.0.0.1` and friends.
            let written: Option<Ipv4Addr> = raw.parse().ok();
            if written != Some(*ip) {
                return Err(ReturnUrlError::HostRewritten);
            }
        }
        Host::Ipv6(ip) => {
            let inner = raw.trim_start_matches('[').trim_end_matches(']');
            if inner.parse::<IpAddr>().ok() != Some(IpAddr::V6(*ip)) {
                return Err(ReturnUrlError::HostRewritten);
            }
        }
        Host::Domain(domain) => {
            if raw.is_ascii() && raw.to_ascii_lowercase() != *domain {
                return Err(ReturnUrlError::HostRewritten);
            }
            if !raw.is_ascii() && (raw.contains(['.', '。', '．', '｡']) && !domain.contains("xn--"))
            {
                // Non-ASCII that IDNA mapped to plain ASCII (full-width letters and dots):
                // not a real internationalised name, a disguise.
                return Err(ReturnUrlError::HostRewritten);
            }
        }
    }
    Ok(())
}

/// Approval state of a return-URL rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReturnUrlStatus {
    Pending,
    Approved,
    Rejected,
    /// The partner took it back (a Hopae app's redirect-URI list no longer names it).
    Withdrawn,
}

impl ReturnUrlStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ReturnUrlStatus::Pending => "pending",
            ReturnUrlStatus::Approved => "approved",
            ReturnUrlStatus::Rejected => "rejected",
            ReturnUrlStatus::Withdrawn => "withdrawn",
        }
    }
}

impl FromStr for ReturnUrlStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "pending" => Ok(ReturnUrlStatus::Pending),
            "approved" => Ok(ReturnUrlStatus::Approved),
            "rejected" => Ok(ReturnUrlStatus::Rejected),
            "withdrawn" => Ok(ReturnUrlStatus::Withdrawn),
            other => Err(format!(
                "unknown return-URL status {other:?}: use pending, approved, rejected or withdrawn"
            )),
        }
    }
}

impl fmt::Display for ReturnUrlStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A return URL a partner registered, and its approval state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReturnUrlRule {
    pub id: ReturnUrlRuleId,
    pub partner_id: PartnerId,
    /// Exactly what the partner sent (trimmed).
    pub requested_url: String,
    pub normalized_scheme: String,
    /// Host, plus `:port` when not the default.
    pub normalized_host: String,
    pub normalized_path_prefix: String,
    pub status: ReturnUrlStatus,
    pub requested_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
}

impl ReturnUrlRule {
    /// Validates a partner's registration request.
    pub fn request(
        partner_id: PartnerId,
        raw: &str,
        policy: UrlPolicy,
        now: DateTime<Utc>,
    ) -> Result<Self, ReturnUrlError> {
        let url = NormalizedUrl::parse(raw, policy)?;
        if url.query.is_some() {
            return Err(ReturnUrlError::QueryInRule);
        }
        Ok(ReturnUrlRule {
            id: ReturnUrlRuleId::new(),
            partner_id,
            requested_url: raw
                .trim_matches(|c: char| c.is_ascii_whitespace())
                .to_owned(),
            normalized_scheme: url.scheme.clone(),
            normalized_host: url.host_with_port(),
            normalized_path_prefix: url.path,
            status: ReturnUrlStatus::Pending,
            requested_at: now,
            decided_at: None,
        })
    }

    /// The rule's URL in normal form. The stored request was validated when it was made, but
    /// it is parsed again (with the current policy) so a tightened policy applies at once.
    pub fn normalized(&self, policy: UrlPolicy) -> Option<NormalizedUrl> {
        NormalizedUrl::parse(&self.requested_url, policy).ok()
    }
}

/// Finds the approved rule covering `candidate`, refusing the candidate when it is malformed.
pub fn match_return_url<'r>(
    candidate: &str,
    rules: &'r [ReturnUrlRule],
    policy: UrlPolicy,
) -> Result<Option<(&'r ReturnUrlRule, NormalizedUrl)>, ReturnUrlError> {
    let url = NormalizedUrl::parse(candidate, policy)?;
    Ok(rules
        .iter()
        .filter(|r| r.status == ReturnUrlStatus::Approved)
        .find(|r| r.normalized(policy).is_some_and(|n| url.is_covered_by(&n)))
        .map(|r| (r, url)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEST_MODE: UrlPolicy = UrlPolicy {
        allow_http_loopback: true,
    };
    const STRICT: UrlPolicy = UrlPolicy {
        allow_http_loopback: false,
    };

    fn approved(raw: &str) -> ReturnUrlRule {
        let mut rule = ReturnUrlRule::request(
            PartnerId::new(),
            raw,
            TEST_MODE,
            DateTime::<Utc>::UNIX_EPOCH,
        )
        .unwrap_or_else(|e| panic!("rule {raw}: {e}"));
        rule.status = ReturnUrlStatus::Approved;
        rule
    }

    fn accepted(candidate: &str, rules: &[ReturnUrlRule], policy: UrlPolicy) -> bool {
        matches!(match_return_url(candidate, rules, policy), Ok(Some(_)))
    }

    #[test]
    fn normalisation_lowercases_idna_and_drops_default_port() {
        let n = NormalizedUrl::parse("HTTPS://Partner.EXAMPLE.com:443/return", STRICT);
        assert_eq!(
            n.map(|n| n.to_url_string()),
            Ok("https://partner.example.com/return".to_owned())
        );
        let idn = NormalizedUrl::parse("https://bücher.example/return", STRICT);
        assert_eq!(idn.map(|n| n.host), Ok("xn--bcher-kva.example".to_owned()));
        let port = NormalizedUrl::parse("https://partner.example.com:8443", STRICT);
        assert_eq!(
            port.map(|n| (n.host_with_port(), n.path)),
            Ok(("partner.example.com:8443".to_owned(), "/".to_owned()))
        );
    }

    #[test]
    fn benign_candidates_match() {
        let rules = [approved("https://partner.example.com/return")];
        for ok in [
            "https://partner.example.com/return",
            "HTTPS://Partner.EXAMPLE.com:443/return",
            "https://partner.example.com/return/",
            "https://partner.example.com/return/step/2",
            "https://partner.example.com/return?x=1&y=2",
            "https://partner.example.com/return/42?next=%2Fhome",
            "  https://partner.example.com/return  ",
        ] {
            assert!(accepted(ok, &rules, STRICT), "{ok} should be accepted");
        }
        let root = [approved("https://partner.example.com/")];
        assert!(accepted(
            "https://partner.example.com/any/path",
            &root,
            STRICT
        ));
        let loopback = [approved("http://127.0.0.1:8080/cb")];
        assert!(accepted(
            "http://127.0.0.1:8080/cb?a=b",
            &loopback,
            TEST_MODE
        ));
        assert!(!accepted("http://127.0.0.1:8080/cb", &loopback, STRICT));
    }

    #[test]
    fn servlet_dot_segments_double_encoding_and_our_own_parameters_are_refused() {
        let rules = [approved("https://partner.example.com/return")];
        for (candidate, error) in [
            (
                "https://partner.example.com/return/..;/admin",
                ReturnUrlError::DotSegmentParameter,
            ),
            (
                "https://partner.example.com/return/.;x/next",
                ReturnUrlError::DotSegmentParameter,
            ),
            (
                "https://partner.example.com/return/%252e%252e/admin",
                ReturnUrlError::EncodedSeparator,
            ),
            (
                "https://partner.example.com/return?status=approved",
                ReturnUrlError::ReservedQueryParameter("status".into()),
            ),
            (
                "https://partner.example.com/return?a=1&result_token=x",
                ReturnUrlError::ReservedQueryParameter("result_token".into()),
            ),
            (
                "https://partner.example.com/return?session%5Fid=1",
                ReturnUrlError::ReservedQueryParameter("session_id".into()),
            ),
        ] {
            assert_eq!(
                match_return_url(candidate, &rules, STRICT).map(|m| m.is_some()),
                Err(error),
                "{candidate}"
            );
        }
        // Look-alike names are fine in a path or a value.
        assert!(accepted(
            "https://partner.example.com/return/status?next=status",
            &rules,
            STRICT
        ));
    }

    #[test]
    fn operators_see_the_ascii_host_and_a_mixed_script_warning() {
        let plain = review_host("https://partner.example.com/return");
        assert_eq!(
            plain,
            Some(HostReview {
                ascii: "partner.example.com".into(),
                internationalised: false,
                mixed_script: false
            })
        );
        // "pаypal" with a Cyrillic а.
        let lookalike = review_host("https://p\u{0430}ypal.example/return");
        let lookalike = lookalike.unwrap_or_else(|| panic!("a host"));
        assert!(lookalike.ascii.starts_with("xn--"), "{lookalike:?}");
        assert!(lookalike.internationalised && lookalike.mixed_script);
        let native = review_host("https://bücher.example/return");
        assert_eq!(
            native.map(|r| (r.internationalised, r.mixed_script)),
            Some((true, false))
        );
        let whole =
            review_host("https://\u{043f}\u{0440}\u{0438}\u{043c}\u{0435}\u{0440}.example/");
        assert_eq!(
            whole.map(|r| (r.internationalised, r.mixed_script)),
            Some((true, false))
        );
    }

    #[test]
    fn hostile_urls_are_never_accepted() {
        let rules = [
            approved("https://partner.example.com/return"),
            approved("http://127.0.0.1:9000/back"),
        ];
        let long = format!("https://partner.example.com/return/{}", "a".repeat(2100));
        let hostile: Vec<&str> = vec![
            "https://evil.com/return",
            "https://partner.example.com.evil.com/return",
            "https://partner.example.com@evil.com/return",
            "https://evil.com@partner.example.com/return",
            "https://user:pass@partner.example.com/return",
            "https://partner.example.com:443@evil.com/return",
            "https://partner.example.com:8443/return",
            "http://partner.example.com/return",
            "https://partner.example.com/returnx",
            "https://partner.example.com/RETURN",
            "https://partner.example.com/return/../admin",
            "https://partner.example.com/return/%2e%2e/admin",
            "https://partner.example.com/return/%2E%2E/admin",
            "https://partner.example.com/return%2f..%2fadmin",
            "https://partner.example.com/return%5c..%5cadmin",
            "https://partner.example.com/return\\..\\admin",
            "https://partner.example.com\\@evil.com/return",
            "https://partner.example.com/return#@evil.com",
            "https://partner.example.com/return?next=x#frag",
            "//evil.com/return",
            "/return",
            "javascript:alert(1)//partner.example.com/return",
            "data:text/html,<script>alert(1)</script>",
            "ftp://partner.example.com/return",
            "https://partner.exa\tmple.com/return",
            "https://partner.example.com/re\nturn",
            "https://partner.example.com/return\r\nLocation: https://evil.com",
            "https:/\\evil.com/return",
            "https:evil.com/return",
            "https:///evil.com/return",
            "https://evil.com\\.partner.example.com/return",
            "https://partner.example.com%2eevil.com/return",
            "https://partner%2eexample.com/return",
            "https://partner.example.com /return",
            "https://partner.example.com/return /x",
            "https://partner.exаmple.com/return",
            "https://partner.example.com./return",
            "https://PARTNER.example.com:443/return/../../evil",
            "https://partner.example.com:0/return",
            "https://partner.example.com:65536/return",
            "https://[::1]/return",
            "https://partner.example.com/return%00",
            "https://partner.example.com/return/./x",
            "https://partner.example.com/./return",
            "https://partner.example.com/return//evil.com",
            "\\\\evil.com/return",
            "https://evil.com/https://partner.example.com/return",
            "https://partner.example.com/return/\u{202e}moc.live",
            "https://partner\u{200b}.example.com/return",
            "https://ｐａｒｔｎｅｒ．ｅｘａｍｐｌｅ．ｃｏｍ/return",
            "http://0x7f.0.0.1:9000/back",
            "http://2130706433:9000/back",
            "http://0177.0.0.1:9000/back",
            "http://127.1:9000/back",
            "http://127.0.0.1:9000/back/../admin",
            "http://127.0.0.1:9001/back",
            "http://localhost:9000/back",
            "https://partner.example.com/return/ü",
            "https://partner.example.com/return?x=<script>",
            "",
            "   ",
            long.as_str(),
        ];
        assert!(hostile.len() >= 40);
        for url in &hostile {
            for policy in [STRICT, TEST_MODE] {
                assert!(
                    !accepted(url, &rules, policy),
                    "hostile URL accepted: {url:?}"
                );
            }
        }
    }

    #[test]
    fn registration_refuses_queries_and_hostile_forms() {
        let now = DateTime::<Utc>::UNIX_EPOCH;
        let p = PartnerId::new();
        assert_eq!(
            ReturnUrlRule::request(p, "https://a.example/cb?x=1", STRICT, now).map(|_| ()),
            Err(ReturnUrlError::QueryInRule)
        );
        assert_eq!(
            ReturnUrlRule::request(p, "http://a.example/cb", STRICT, now).map(|_| ()),
            Err(ReturnUrlError::Scheme)
        );
        assert_eq!(
            ReturnUrlRule::request(p, "https://a.example/a/../cb", STRICT, now).map(|_| ()),
            Err(ReturnUrlError::Rewritten)
        );
        let rule = ReturnUrlRule::request(p, " https://A.example:443/cb ", STRICT, now);
        assert_eq!(
            rule.map(|r| (
                r.requested_url,
                r.normalized_scheme,
                r.normalized_host,
                r.normalized_path_prefix,
                r.status
            )),
            Ok((
                "https://A.example:443/cb".to_owned(),
                "https".to_owned(),
                "a.example".to_owned(),
                "/cb".to_owned(),
                ReturnUrlStatus::Pending
            ))
        );
    }

    #[test]
    fn only_approved_rules_count() {
        let mut pending = approved("https://partner.example.com/return");
        pending.status = ReturnUrlStatus::Pending;
        let mut rejected = pending.clone();
        rejected.status = ReturnUrlStatus::Rejected;
        assert!(!accepted(
            "https://partner.example.com/return",
            &[pending, rejected],
            STRICT
        ));
    }
}
