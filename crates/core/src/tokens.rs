//! Token balances: a partner buys tokens (an operator credits them) and each session of a
//! metered dialect costs some (deepidv's "insufficient token balance", 402). Every change is
//! an entry in the partner's ledger with the balance after it, so the history explains the
//! balance.

use crate::{PartnerId, SessionId, TokenEntryId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Why a balance changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenEntryKind {
    /// Tokens credited by an operator.
    TopUp,
    /// A session was created (a negative change).
    Session,
}

impl TokenEntryKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenEntryKind::TopUp => "top_up",
            TokenEntryKind::Session => "session",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "top_up" => Some(TokenEntryKind::TopUp),
            "session" => Some(TokenEntryKind::Session),
            _ => None,
        }
    }
}

/// One change of a partner's token balance.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenEntry {
    pub id: TokenEntryId,
    pub partner_id: PartnerId,
    pub at: DateTime<Utc>,
    /// Tokens added (positive) or spent (negative).
    pub delta: i64,
    /// The balance after this entry (set by the store, which applies it).
    pub balance_after: i64,
    pub kind: TokenEntryKind,
    /// The session a spend paid for.
    pub session_id: Option<SessionId>,
    /// The operator's words on a top-up (an invoice number, say).
    pub note: Option<String>,
}

impl TokenEntry {
    /// `tokens` credited to `partner`.
    pub fn top_up(
        partner: PartnerId,
        tokens: i64,
        note: Option<String>,
        at: DateTime<Utc>,
    ) -> TokenEntry {
        TokenEntry {
            id: TokenEntryId::new(),
            partner_id: partner,
            at,
            delta: tokens,
            balance_after: 0,
            kind: TokenEntryKind::TopUp,
            session_id: None,
            note,
        }
    }

    /// `tokens` spent on `session`.
    pub fn session(
        partner: PartnerId,
        session: SessionId,
        tokens: i64,
        at: DateTime<Utc>,
    ) -> TokenEntry {
        TokenEntry {
            id: TokenEntryId::new(),
            partner_id: partner,
            at,
            delta: -tokens,
            balance_after: 0,
            kind: TokenEntryKind::Session,
            session_id: Some(session),
            note: None,
        }
    }
}
