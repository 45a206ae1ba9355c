//! The API dialects. Each module translates its wire format to [`crate::service`] calls and
//! back; errors leave as RFC 9457 problem documents with a stable `code`.

pub mod easyfreelance;
pub mod hopae;
pub mod problem;

use idgate_core::{Dialect, Status};

/// The word a dialect uses for a status (what the return redirect and webhooks carry).
pub fn dialect_status(dialect: Dialect, status: Status) -> &'static str {
    match dialect {
        Dialect::EasyFreelance => easyfreelance::status_word(status),
        Dialect::Hopae => hopae::status_word(status),
    }
}
