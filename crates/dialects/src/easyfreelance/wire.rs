//! EasyFreelance on the shared layer's side: its status words; webhooks use idgate's standard
//! envelope and Standard Webhooks signatures only.

use super::credentials::EasyFreelanceCredentials;
use idgate_core::{Dialect, Status};
use idgate_hub::DialectWire;
use idgate_hub::credentials::CredentialScheme;

#[derive(Debug)]
pub struct EasyFreelanceWire;

impl DialectWire for EasyFreelanceWire {
    fn dialect(&self) -> Dialect {
        Dialect::EasyFreelance
    }

    fn status_word(&self, status: Status) -> &'static str {
        status_word(status)
    }

    fn credential_schemes(&self) -> Vec<&dyn CredentialScheme> {
        vec![&EasyFreelanceCredentials]
    }
}

/// EasyFreelance's status word (what the status endpoint, return redirect and webhooks say).
pub fn status_word(status: Status) -> &'static str {
    match status {
        Status::Created
        | Status::Started
        | Status::Submitted
        | Status::Review
        | Status::ResubmissionRequested => "pending",
        Status::Approved => "approved",
        Status::Declined => "declined",
        Status::Expired | Status::Abandoned => "expired",
        Status::Cancelled => "cancelled",
        Status::Failed => "error",
    }
}
