//! Media a partner uploads to a session through an API (Veriff's media endpoints): images of
//! a document or a face, kept sealed with the session. What kinds of file are accepted and
//! how a context is named are rules of the domain; the bytes live in the store.

use crate::{MediaId, PartnerId, SessionId};
use chrono::{DateTime, Utc};

/// One uploaded file, without its content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionMedia {
    pub id: MediaId,
    pub session_id: SessionId,
    pub partner_id: PartnerId,
    /// The attempt the session was in when the file came (a resubmission starts a new one).
    pub attempt_id: Option<String>,
    /// What the file shows, e.g. `document-front` or `face`.
    pub context: String,
    pub mimetype: MediaType,
    /// Bytes of the decoded file.
    pub size: u64,
    pub created_at: DateTime<Utc>,
}

/// The file types accepted, recognised by their leading bytes (never by what the client
/// says), so a stored file is served back with a type that matches it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MediaType {
    Jpeg,
    Png,
    Webp,
    Heic,
    Heif,
    Pdf,
}

impl MediaType {
    pub const ALL: [MediaType; 6] = [
        MediaType::Jpeg,
        MediaType::Png,
        MediaType::Webp,
        MediaType::Heic,
        MediaType::Heif,
        MediaType::Pdf,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MediaType::Jpeg => "image/jpeg",
            MediaType::Png => "image/png",
            MediaType::Webp => "image/webp",
            MediaType::Heic => "image/heic",
            MediaType::Heif => "image/heif",
            MediaType::Pdf => "application/pdf",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// The type of `bytes` by its signature, if it is one accepted.
    pub fn sniff(bytes: &[u8]) -> Option<Self> {
        match bytes {
            [0xFF, 0xD8, 0xFF, ..] => Some(MediaType::Jpeg),
            [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, ..] => Some(MediaType::Png),
            [
                b'R',
                b'I',
                b'F',
                b'F',
                _,
                _,
                _,
                _,
                b'W',
                b'E',
                b'B',
                b'P',
                ..,
            ] => Some(MediaType::Webp),
            [b'%', b'P', b'D', b'F', b'-', ..] => Some(MediaType::Pdf),
            // ISO base media file: `ftyp` box, then the major brand.
            [_, _, _, _, b'f', b't', b'y', b'p', brand @ ..] => match brand.get(..4)? {
                b"heic" | b"heix" | b"heim" | b"heis" => Some(MediaType::Heic),
                b"mif1" | b"msf1" | b"heif" => Some(MediaType::Heif),
                _ => None,
            },
            _ => None,
        }
    }
}

/// Whether `context` is a well-formed context name: lower-case words joined by hyphens, at
/// most 64 characters (`document-front`, `face-pre`, `document-back-barcode`). Vendors add
/// contexts over time, so the shape is checked rather than a closed list.
pub fn valid_context(context: &str) -> bool {
    !context.is_empty()
        && context.len() <= 64
        && !context.starts_with('-')
        && !context.ends_with('-')
        && !context.contains("--")
        && context
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_recognised_by_their_signature() {
        assert_eq!(
            MediaType::sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]),
            Some(MediaType::Jpeg)
        );
        assert_eq!(
            MediaType::sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"),
            Some(MediaType::Png)
        );
        assert_eq!(
            MediaType::sniff(b"RIFF\0\0\0\0WEBPVP8 "),
            Some(MediaType::Webp)
        );
        assert_eq!(MediaType::sniff(b"%PDF-1.7\n"), Some(MediaType::Pdf));
        assert_eq!(
            MediaType::sniff(b"\0\0\0\x18ftypheic\0\0\0\0"),
            Some(MediaType::Heic)
        );
        assert_eq!(
            MediaType::sniff(b"\0\0\0\x18ftypmif1\0\0\0\0"),
            Some(MediaType::Heif)
        );
        assert_eq!(MediaType::sniff(b"\0\0\0\x18ftypisom"), None);
        assert_eq!(MediaType::sniff(b"GIF89a"), None);
        assert_eq!(MediaType::sniff(b"<svg"), None);
        assert_eq!(MediaType::sniff(b""), None);
        for t in MediaType::ALL {
            assert_eq!(MediaType::parse(t.as_str()), Some(t));
        }
    }

    #[test]
    fn contexts_are_hyphenated_lower_case_words() {
        for ok in [
            "face",
            "document-front",
            "document-back-barcode-pre",
            "face-nfc",
        ] {
            assert!(valid_context(ok), "{ok}");
        }
        let long = "a".repeat(65);
        for bad in [
            "",
            "Face",
            "-face",
            "face-",
            "face--pre",
            "face pre",
            "../x",
            &long,
        ] {
            assert!(!valid_context(bad), "{bad}");
        }
    }
}
