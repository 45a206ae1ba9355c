//! Invitations to applicants: what they say ([`message`]) and how they leave, by email over
//! SMTP ([`email`]) or by text message through an SMS gateway ([`sms`]). The job that sends
//! them is `crate::jobs::invites`.

pub mod email;
pub mod message;
pub mod sms;

use crate::settings::InviteSettings;
use idgate_core::InviteChannel;

/// The configured invite channels (a channel not configured is `None`: its invites are
/// recorded as skipped).
#[derive(Clone, Debug, Default)]
pub struct InviteSenders {
    pub email: Option<email::SmtpSender>,
    pub sms: Option<sms::TwilioSms>,
}

impl InviteSenders {
    /// The senders the (validated) settings describe.
    pub fn from_settings(
        settings: &InviteSettings,
        config: &crate::settings::Validated,
    ) -> Result<InviteSenders, String> {
        let email = if settings.email.host.is_empty() {
            None
        } else {
            Some(email::SmtpSender::new(
                &settings.email,
                config.smtp_timeout,
            )?)
        };
        let sms = if settings.sms.base_url.is_empty() {
            None
        } else {
            Some(sms::TwilioSms::new(
                &settings.sms,
                config.outbound_connect_timeout,
                config.outbound_timeout,
            )?)
        };
        Ok(InviteSenders { email, sms })
    }

    /// Why an invite over `channel` cannot be sent here, if it cannot.
    pub fn unavailable(&self, channel: InviteChannel) -> Option<&'static str> {
        match channel {
            InviteChannel::Email if self.email.is_none() => {
                Some("email invites are off: no mail server is configured (invites.email.host)")
            }
            InviteChannel::Sms if self.sms.is_none() => {
                Some("SMS invites are off: no SMS gateway is configured (invites.sms.base_url)")
            }
            _ => None,
        }
    }
}
