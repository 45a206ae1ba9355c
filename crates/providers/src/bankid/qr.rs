//! BankID's animated QR code: `bankid.{qrStartToken}.{qrTime}.{qrAuthCode}`, where `qrTime` is
//! the whole seconds since the order was started and `qrAuthCode` the lowercase hex
//! HMAC-SHA256 of the decimal `qrTime`, keyed with the `qrStartSecret` as its text's bytes.
//! The secret never leaves the server: the hosted page asks for each second's content.

use aws_lc_rs::hmac;

/// The QR content `seconds` after the order started.
pub fn content(start_token: &str, start_secret: &str, seconds: u64) -> String {
    format!(
        "bankid.{start_token}.{seconds}.{}",
        auth_code(start_secret, seconds)
    )
}

/// `qrAuthCode` for `seconds`.
pub fn auth_code(start_secret: &str, seconds: u64) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, start_secret.as_bytes());
    hex::encode(hmac::sign(&key, seconds.to_string().as_bytes()).as_ref())
}

/// A scanned content's token, time and code, if it has BankID's form.
pub fn parse(content: &str) -> Option<(&str, u64, &str)> {
    let rest = content.trim().strip_prefix("bankid.")?;
    let mut parts = rest.split('.');
    let (token, time, code) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || token.is_empty() || code.len() != 64 {
        return None;
    }
    Some((token, time.parse().ok()?, code))
}

#[cfg(test)]
mod tests {
    use super::{content, parse};

    /// BankID's published test vector (the token and secret of its QR guide).
    const TOKEN: &str = "67df3917-fa0d-44e5-b327-edcc928297f8";
    const SECRET: &str = "d28db9a7-4cde-429e-a983-359be676944c";

    #[test]
    fn the_published_test_vector_is_reproduced() {
        assert_eq!(
            content(TOKEN, SECRET, 0),
            "bankid.67df3917-fa0d-44e5-b327-edcc928297f8.0.dc69358e712458a66a7525beef148ae8526b1c71610eff2c16cdffb4cdac9bf8"
        );
        assert_eq!(
            content(TOKEN, SECRET, 1),
            "bankid.67df3917-fa0d-44e5-b327-edcc928297f8.1.949d559bf23403952a94d103e67743126381eda00f0b3cbddbf7c96b1adcbce2"
        );
    }

    #[test]
    fn a_content_parses_back_and_other_text_does_not() {
        let shown = content(TOKEN, SECRET, 30);
        let (token, time, code) = parse(&shown).unwrap_or_else(|| panic!("{shown}"));
        assert_eq!((token, time), (TOKEN, 30));
        assert_eq!(code.len(), 64);
        for bad in [
            "",
            "bankid.",
            "bankid.x.1",
            "bankid.x.one.abc",
            "https://example.com",
            &format!("{shown}.extra"),
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }
}
