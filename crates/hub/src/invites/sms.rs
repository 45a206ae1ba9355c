//! Invite text messages through Twilio's Programmable Messaging API (or a gateway that
//! speaks it): `POST {base}/2010-04-01/Accounts/{AccountSid}/Messages.json`, form-encoded
//! `To`, `From` (or `MessagingServiceSid`) and `Body`, HTTP Basic with the account SID and
//! auth token; `201` with the message's `sid`.

use super::message::InviteSms;
use crate::settings::SmsInviteSettings;
use idgate_core::AttemptResult;

/// Sends invite texts through the configured gateway.
#[derive(Clone)]
pub struct TwilioSms {
    client: reqwest::Client,
    url: String,
    account_sid: String,
    auth_token: String,
    from: String,
    messaging_service_sid: String,
}

impl std::fmt::Debug for TwilioSms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TwilioSms")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

#[derive(serde::Deserialize)]
struct Created {
    sid: String,
}

#[derive(serde::Deserialize)]
struct Refusal {
    code: Option<i64>,
}

impl TwilioSms {
    pub fn new(
        settings: &SmsInviteSettings,
        connect_timeout: std::time::Duration,
        timeout: std::time::Duration,
    ) -> Result<TwilioSms, String> {
        let client = reqwest::Client::builder()
            .connect_timeout(connect_timeout)
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| format!("invites.sms: {e}"))?;
        let sid: String =
            url::form_urlencoded::byte_serialize(settings.account_sid.as_bytes()).collect();
        Ok(TwilioSms {
            client,
            url: format!(
                "{}/2010-04-01/Accounts/{sid}/Messages.json",
                settings.base_url.trim_end_matches('/')
            ),
            account_sid: settings.account_sid.clone(),
            auth_token: settings.auth_token.clone(),
            from: settings.from.clone(),
            messaging_service_sid: settings.messaging_service_sid.clone(),
        })
    }

    /// One attempt. A refusal is recorded with the gateway's status and error code only (its
    /// message may quote the number).
    pub async fn send(&self, sms: &InviteSms) -> AttemptResult {
        let mut form = vec![("To", sms.to.as_str()), ("Body", sms.body.as_str())];
        if self.messaging_service_sid.is_empty() {
            form.push(("From", self.from.as_str()));
        } else {
            form.push(("MessagingServiceSid", self.messaging_service_sid.as_str()));
        }
        let answer = self
            .client
            .post(&self.url)
            .basic_auth(&self.account_sid, Some(&self.auth_token))
            .form(&form)
            .send()
            .await;
        let response = match answer {
            Ok(r) => r,
            Err(e) if e.is_timeout() => {
                return AttemptResult::Temporary("the SMS gateway did not answer in time".into());
            }
            Err(_) => {
                return AttemptResult::Temporary("the SMS gateway could not be reached".into());
            }
        };
        let status = response.status();
        if status.is_success() {
            return match response.json::<Created>().await {
                Ok(created) => AttemptResult::Sent {
                    reference: created.sid,
                },
                Err(_) => AttemptResult::Sent {
                    reference: format!("accepted ({status}) without a message id"),
                },
            };
        }
        let code = response
            .json::<Refusal>()
            .await
            .ok()
            .and_then(|r| r.code)
            .map(|c| format!(", error {c}"))
            .unwrap_or_default();
        // The gateway refusing idgate's credentials or account is this deployment's settings,
        // not the message: try again once they are fixed.
        if matches!(status.as_u16(), 401 | 403 | 404) {
            return AttemptResult::Temporary(format!(
                "the SMS gateway refused idgate's account ({status}{code}): check invites.sms"
            ));
        }
        if status.as_u16() == 429 || status.is_server_error() {
            AttemptResult::Temporary(format!("the SMS gateway answered {status}{code}"))
        } else {
            AttemptResult::Permanent(format!(
                "the SMS gateway refused the message ({status}{code})"
            ))
        }
    }
}
