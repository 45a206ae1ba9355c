//! The animated QR code of the QR simulator, made the way BankID's is: each second the hosted
//! page shows a new code carrying the session, the second it was made, and an HMAC of both
//! under a secret the adapter created when the session started (kept sealed in the session's
//! provider state). A photo of an old code stops working once its validity window passes, and
//! the secret behind the tag never leaves the server.

use aws_lc_rs::{constant_time, hmac};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use idgate_core::SessionId;

const SCHEME: &str = "idgate-sandbox-qr";

/// One code as shown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QrCode {
    pub provider_id: String,
    pub session_id: SessionId,
    /// Unix seconds when the code was made.
    pub at: i64,
    pub tag: String,
}

impl QrCode {
    /// What the tag authenticates.
    pub fn subject(provider_id: &str, session_id: SessionId, at: i64) -> String {
        format!("{provider_id}:{session_id}:{at}")
    }

    /// The code for `at`, tagged with the session's QR `secret`.
    pub fn signed(provider_id: &str, session_id: SessionId, at: i64, secret: &[u8]) -> QrCode {
        QrCode {
            provider_id: provider_id.to_owned(),
            session_id,
            at,
            tag: tag(secret, &Self::subject(provider_id, session_id, at)),
        }
    }

    /// Whether the tag is the one `secret` makes (in constant time), whatever the code's age.
    pub fn is_signed_by(&self, secret: &[u8]) -> bool {
        let expected = tag(
            secret,
            &Self::subject(&self.provider_id, self.session_id, self.at),
        );
        constant_time::verify_slices_are_equal(expected.as_bytes(), self.tag.as_bytes()).is_ok()
    }

    /// The text encoded in the QR image.
    pub fn content(&self) -> String {
        format!(
            "{SCHEME}://{}/{}/{}/{}",
            self.provider_id, self.session_id, self.at, self.tag
        )
    }

    /// Reads a scanned text; `None` when it is not one of ours.
    pub fn parse(text: &str) -> Option<QrCode> {
        let rest = text.trim().strip_prefix(SCHEME)?.strip_prefix("://")?;
        let mut parts = rest.split('/');
        let provider_id = parts.next()?.to_owned();
        let session_id = parts.next()?.parse().ok()?;
        let at = parts.next()?.parse().ok()?;
        let tag = parts.next()?.to_owned();
        if parts.next().is_some() || provider_id.is_empty() || tag.is_empty() {
            return None;
        }
        Some(QrCode {
            provider_id,
            session_id,
            at,
            tag,
        })
    }

    /// Whether a code made at `self.at` is still acceptable at `now` (not from the future
    /// beyond a second of clock skew between nodes).
    pub fn fresh_at(&self, now: i64, validity_secs: u32) -> bool {
        self.at <= now + 1 && now - self.at <= i64::from(validity_secs)
    }
}

/// 128 bits of HMAC-SHA256, unpadded base64url.
fn tag(secret: &[u8], subject: &str) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret);
    let full = hmac::sign(&key, subject.as_bytes());
    URL_SAFE_NO_PAD.encode(&full.as_ref()[..16])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_age() {
        let code = QrCode {
            provider_id: "sandbox-qr".into(),
            session_id: SessionId::new(),
            at: 1_800_000_000,
            tag: "abc".into(),
        };
        assert_eq!(QrCode::parse(&code.content()), Some(code.clone()));
        assert!(code.fresh_at(1_800_000_010, 10));
        assert!(!code.fresh_at(1_800_000_011, 10));
        assert!(!code.fresh_at(1_799_999_990, 10), "from the future");
        let signed = QrCode::signed("sandbox-qr", code.session_id, code.at, b"secret");
        assert!(signed.is_signed_by(b"secret"));
        assert!(!signed.is_signed_by(b"another"));
        let moved = QrCode {
            at: code.at + 1,
            ..signed.clone()
        };
        assert!(
            !moved.is_signed_by(b"secret"),
            "the second is authenticated"
        );
        for bad in [
            "",
            "https://example.com",
            "idgate-sandbox-qr://p/not-a-uuid/1/t",
            "idgate-sandbox-qr://p/00000000-0000-0000-0000-000000000000/x/t",
            "idgate-sandbox-qr://p/00000000-0000-0000-0000-000000000000/1/t/extra",
            "idgate-sandbox-qr://p/00000000-0000-0000-0000-000000000000/1/",
        ] {
            assert_eq!(QrCode::parse(bad), None, "{bad:?}");
        }
    }
}
