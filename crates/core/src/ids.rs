//! Typed identifiers, so a partner id can never be passed where a session id is meant.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A new time-ordered id (UUIDv7): inserts stay local in the primary-key index.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
}

uuid_id!(
    /// A partner (tenant).
    PartnerId
);
uuid_id!(
    /// A verification session.
    SessionId
);
uuid_id!(
    /// A partner credential.
    CredentialId
);
uuid_id!(
    /// A registered return-URL rule.
    ReturnUrlRuleId
);
uuid_id!(
    /// A media file (an image a partner uploaded to a session).
    MediaId
);
uuid_id!(
    /// An invitation sent to a session's applicant (an email or a text message).
    InviteId
);
uuid_id!(
    /// An entry in a partner's token ledger.
    TokenEntryId
);
uuid_id!(
    /// An operator (a person who runs idgate at the console).
    OperatorId
);
uuid_id!(
    /// A line of the audit trail.
    AuditEntryId
);
uuid_id!(
    /// An operator's API token (for the admin API).
    OperatorTokenId
);
