//! Veriff on the shared layer's side: status words and codes, decision reason codes, and the
//! integration credentials.
//!
//! Veriff's pages disagree on two codes: the status table gives `abandoned` 9104 and `review`
//! 9121, the decision endpoint's page gives `abandoned` 9121. idgate follows the status table
//! (the page about codes), so 9121 means one thing: review.

use super::credentials::VeriffCredentials;
use idgate_core::{Dialect, Status};
use idgate_hub::DialectWire;
use idgate_hub::credentials::CredentialScheme;

#[derive(Debug)]
pub struct VeriffWire;

impl DialectWire for VeriffWire {
    fn dialect(&self) -> Dialect {
        Dialect::Veriff
    }

    fn status_word(&self, status: Status) -> &'static str {
        status_word(status)
    }

    fn credentials(&self) -> Option<&dyn CredentialScheme> {
        Some(&VeriffCredentials)
    }

    /// Veriff allows 9 resubmissions; the 10th request is declined with code 539.
    fn resubmission_cap(&self) -> Option<usize> {
        Some(9)
    }
}

/// Veriff's word for a status. A technical failure is a decline (Veriff has no other final
/// word); a cancelled session does not exist for Veriff (it was deleted).
pub fn status_word(status: Status) -> &'static str {
    match status {
        Status::Created => "created",
        Status::Started => "started",
        Status::Submitted => "submitted",
        Status::Approved => "approved",
        Status::Declined | Status::Failed => "declined",
        Status::ResubmissionRequested => "resubmission_requested",
        Status::Review => "review",
        Status::Expired => "expired",
        Status::Abandoned => "abandoned",
        Status::Cancelled => "deleted",
    }
}

/// Veriff's numeric code for a status (`created` has none: Veriff never reports it).
pub fn status_code(status: Status) -> Option<u32> {
    match status {
        Status::Created | Status::Cancelled => None,
        Status::Started => Some(7001),
        Status::Submitted => Some(7002),
        Status::Approved => Some(9001),
        Status::Declined | Status::Failed => Some(9102),
        Status::ResubmissionRequested => Some(9103),
        Status::Expired | Status::Abandoned => Some(9104),
        Status::Review => Some(9121),
    }
}

/// Veriff's reason code and text for idgate's reason, where Veriff documents one.
pub fn reason(code: &str) -> (Option<u32>, String) {
    let documented = match code {
        "suspected_fraud" | "suspected_tampering" => Some((102, "Suspected document tampering.")),
        "face_mismatch" => Some((
            103,
            "Person showing the document does not appear to match document photo.",
        )),
        "suspicious_behaviour" => Some((105, "Suspicious behaviour.")),
        "known_fraud" => Some((106, "Known fraud.")),
        "media_missing" => Some((201, "Video and/or photos missing.")),
        "poor_quality" => Some((204, "Poor image quality.")),
        "document_damaged" => Some((205, "Document damaged.")),
        "document_not_recognised" => Some((206, "Document type not supported.")),
        "document_expired" => Some((207, "Document expired.")),
        "resubmission_limit" => Some((539, "Resubmission limit reached.")),
        _ => None,
    };
    match documented {
        Some((number, text)) => (Some(number), text.to_owned()),
        None => (None, code.replace('_', " ")),
    }
}
