//! Opening the BankID app on the person's own device (BankID's "autostart"), per platform and
//! browser, and where the app sends the person back afterwards.
//!
//! * **iPhone and iPad:** BankID's universal link `https://app.bankid.com/?autostarttoken=…`.
//!   The app cannot return on its own there, so the order carries a `returnUrl`: the hosted
//!   page, in the scheme of the browser the person started in (a plain https URL would open
//!   Safari even for a person in Chrome, Firefox or Edge, away from their session).
//! * **Android:** the same universal link; no return URL, since Android goes back to the
//!   browser by itself when the app closes (a URL would open a second tab instead).
//! * **A computer:** the installed BankID app's scheme, `bankid:///?autostarttoken=…`; no
//!   return URL either, the browser is still in front.
//!
//! With a return URL in the order, the link carries no `redirect`; without one it says
//! `redirect=null`, BankID's spelling for "do not return anywhere".

/// Where a browser runs, as far as its user agent tells.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Platform {
    Ios(IosBrowser),
    Android,
    Computer,
}

/// The browsers on iOS whose own URL scheme reopens them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IosBrowser {
    Safari,
    Chrome,
    Firefox,
    Edge,
}

impl Platform {
    /// Reads a `User-Agent` header; an unknown or missing one is a computer.
    pub fn of(user_agent: Option<&str>) -> Platform {
        let ua = user_agent.unwrap_or_default();
        if ["iPhone", "iPad", "iPod"].iter().any(|d| ua.contains(d)) {
            let browser = if ua.contains("CriOS/") {
                IosBrowser::Chrome
            } else if ua.contains("FxiOS/") {
                IosBrowser::Firefox
            } else if ua.contains("EdgiOS/") {
                IosBrowser::Edge
            } else {
                IosBrowser::Safari
            };
            Platform::Ios(browser)
        } else if ua.contains("Android") {
            Platform::Android
        } else {
            Platform::Computer
        }
    }
}

/// The `returnUrl` to put in an order started from this browser, back to `page`: only on iOS.
pub fn return_url(platform: Platform, page: &str) -> Option<String> {
    let Platform::Ios(browser) = platform else {
        return None;
    };
    let url = match browser {
        IosBrowser::Safari => page.to_owned(),
        // Chrome on iOS: `googlechromes://` for an https page, `googlechrome://` for http.
        IosBrowser::Chrome => match page.split_once("://") {
            Some(("https", rest)) => format!("googlechromes://{rest}"),
            Some((_, rest)) => format!("googlechrome://{rest}"),
            None => return None,
        },
        IosBrowser::Firefox => {
            let encoded: String = url::form_urlencoded::byte_serialize(page.as_bytes()).collect();
            format!("firefox://open-url?url={encoded}")
        }
        IosBrowser::Edge => format!("microsoft-edge-{page}"),
    };
    // BankID takes at most 512 characters.
    (url.chars().count() <= 512).then_some(url)
}

/// The link that opens the BankID app with `token`. `app_url`: the app's address when
/// configured (the simulator's), for every platform; otherwise BankID's own per platform.
/// `returns`: the order carries a return URL.
pub fn autostart_link(
    platform: Platform,
    app_url: Option<&str>,
    token: &str,
    returns: bool,
) -> Option<String> {
    let base = match (app_url, platform) {
        (Some(configured), _) => configured,
        (None, Platform::Computer) => "bankid:///",
        (None, _) => "https://app.bankid.com/",
    };
    let mut url = url::Url::parse(base).ok()?;
    {
        let mut query = url.query_pairs_mut();
        query.append_pair("autostarttoken", token);
        if !returns {
            query.append_pair("redirect", "null");
        }
    }
    Some(url.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAFARI: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1";
    const CHROME_IOS: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1";
    const FIREFOX_IOS: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/133.0 Mobile/15E148 Safari/605.1.15";
    const EDGE_IOS: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 EdgiOS/131.2903.68 Mobile/15E148 Safari/605.1.15";
    const ANDROID: &str = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36";
    const WINDOWS: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
    const PAGE: &str = "https://verify.example.com/v/abc";

    #[test]
    fn each_ios_browser_is_sent_back_in_its_own_scheme() {
        let back = |ua| return_url(Platform::of(Some(ua)), PAGE);
        assert_eq!(back(SAFARI).as_deref(), Some(PAGE));
        assert_eq!(
            back(CHROME_IOS).as_deref(),
            Some("googlechromes://verify.example.com/v/abc")
        );
        assert_eq!(
            back(FIREFOX_IOS).as_deref(),
            Some("firefox://open-url?url=https%3A%2F%2Fverify.example.com%2Fv%2Fabc")
        );
        assert_eq!(
            back(EDGE_IOS).as_deref(),
            Some("microsoft-edge-https://verify.example.com/v/abc")
        );
        assert_eq!(
            return_url(
                Platform::Ios(IosBrowser::Chrome),
                "http://127.0.0.1:8080/v/x"
            )
            .as_deref(),
            Some("googlechrome://127.0.0.1:8080/v/x")
        );
        // Android and computers return by themselves.
        assert_eq!(back(ANDROID), None);
        assert_eq!(back(WINDOWS), None);
        assert_eq!(return_url(Platform::of(None), PAGE), None);
        // Longer than BankID takes: none rather than a refused order.
        let long = format!("https://verify.example.com/v/{}", "a".repeat(600));
        assert_eq!(return_url(Platform::Ios(IosBrowser::Safari), &long), None);
    }

    #[test]
    fn the_link_opens_the_app_of_the_platform() {
        let link = |ua, returns| {
            autostart_link(Platform::of(Some(ua)), None, "tok-1", returns).unwrap_or_default()
        };
        assert_eq!(
            link(SAFARI, true),
            "https://app.bankid.com/?autostarttoken=tok-1"
        );
        assert_eq!(
            link(ANDROID, false),
            "https://app.bankid.com/?autostarttoken=tok-1&redirect=null"
        );
        assert_eq!(
            link(WINDOWS, false),
            "bankid:///?autostarttoken=tok-1&redirect=null"
        );
        // A configured app (the simulator's) is used everywhere.
        assert_eq!(
            autostart_link(
                Platform::Computer,
                Some("http://127.0.0.1:1/simulators/bankid/app"),
                "tok-1",
                false
            )
            .as_deref(),
            Some("http://127.0.0.1:1/simulators/bankid/app?autostarttoken=tok-1&redirect=null")
        );
    }
}
