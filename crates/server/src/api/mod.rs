//! The API dialects. Each module translates its wire format to [`crate::service`] calls and
//! back; errors leave as RFC 9457 problem documents with a stable `code`.

pub mod easyfreelance;
pub mod problem;

use idgate_core::{Dialect, Session};

/// The status word the session's own dialect uses (what the return redirect carries).
pub fn dialect_status(session: &Session) -> &'static str {
    match session.dialect {
        Dialect::EasyFreelance => easyfreelance::status_word(session.status),
    }
}
