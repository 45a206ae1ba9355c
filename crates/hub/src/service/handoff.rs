//! Continue on your phone: a desktop page shows a QR code of a handoff link that opens the
//! same verification on a phone. The link is short-lived (10 minutes) and single-use (a mark
//! every node shares); it carries the verification's access token sealed with the deployment's
//! data key, since idgate keeps only a digest of that token, and nothing else is stored.

use super::{Hub, ServiceResult, random_token};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{Duration, Utc};
use serde::{Deserialize, Serialize};

/// How long a handoff link works.
const LIFETIME_MINUTES: i64 = 10;
const AAD: &str = "phone-handoff";

#[derive(Serialize, Deserialize)]
struct Sealed {
    /// The verification's access token.
    t: String,
    /// Expiry, unix seconds.
    e: i64,
    /// One use only.
    n: String,
}

/// Why a handoff link does not open.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HandoffError {
    #[error("the link is not one idgate made")]
    Invalid,
    #[error("the link has expired")]
    Expired,
    #[error("the link was used already")]
    Used,
}

impl Hub {
    /// A handoff link's code for the verification opened by `access_token`.
    pub fn phone_handoff(&self, access_token: &str) -> ServiceResult<String> {
        let sealed = Sealed {
            t: access_token.to_owned(),
            e: (Utc::now() + Duration::minutes(LIFETIME_MINUTES)).timestamp(),
            n: random_token(12)?,
        };
        let plain = serde_json::to_vec(&sealed)
            .map_err(|e| super::ServiceError::Internal(e.to_string()))?;
        let blob = self
            .keys
            .data
            .encrypt(AAD, &plain)
            .map_err(|e| super::ServiceError::Internal(e.to_string()))?;
        Ok(URL_SAFE_NO_PAD.encode(blob))
    }

    /// The access token a handoff code opens, once: expired, forged and used codes open
    /// nothing.
    pub async fn redeem_handoff(&self, code: &str) -> ServiceResult<Result<String, HandoffError>> {
        let Some(sealed) = URL_SAFE_NO_PAD
            .decode(code)
            .ok()
            .and_then(|blob| self.keys.data.decrypt(AAD, &blob).ok())
            .and_then(|plain| serde_json::from_slice::<Sealed>(&plain).ok())
        else {
            return Ok(Err(HandoffError::Invalid));
        };
        let now = Utc::now();
        if now.timestamp() > sealed.e {
            return Ok(Err(HandoffError::Expired));
        }
        let until = chrono::DateTime::from_timestamp(sealed.e, 0).unwrap_or(now);
        if !self
            .mark_once(&format!("handoff:{}", sealed.n), until)
            .await?
        {
            return Ok(Err(HandoffError::Used));
        }
        Ok(Ok(sealed.t))
    }
}
