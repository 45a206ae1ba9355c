//! Invite emails over SMTP (lettre): STARTTLS or implicit TLS on the workspace's rustls, an
//! optional private CA, authentication, a pooled connection.

use super::message::InviteEmail;
use crate::settings::{EmailInviteSettings, SmtpTls};
use idgate_core::{AttemptResult, InviteId};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, CertificateStore, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// Sends invite emails through the configured SMTP server.
#[derive(Clone)]
pub struct SmtpSender {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// The right-hand side of Message-IDs (the sender's domain).
    id_domain: String,
}

impl std::fmt::Debug for SmtpSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSender")
            .field("from", &self.from.email.to_string())
            .finish_non_exhaustive()
    }
}

impl SmtpSender {
    /// The sender the settings describe (already validated), or why it cannot be built.
    pub fn new(
        settings: &EmailInviteSettings,
        timeout: std::time::Duration,
    ) -> Result<SmtpSender, String> {
        let from: Mailbox = settings
            .from
            .parse()
            .map_err(|e| format!("invites.email.from: {e}"))?;
        let tls = || {
            let mut params = TlsParameters::builder(settings.host.clone());
            if !settings.ca_file.is_empty() {
                let pem = std::fs::read(&settings.ca_file)
                    .map_err(|e| format!("invites.email.ca_file {}: {e}", settings.ca_file))?;
                // An empty trust store would fail every handshake, quietly, for hours.
                if !pem.windows(27).any(|w| w == b"-----BEGIN CERTIFICATE-----") {
                    return Err(format!(
                        "invites.email.ca_file {}: no PEM certificate in it",
                        settings.ca_file
                    ));
                }
                let ca = Certificate::from_pem(&pem)
                    .map_err(|e| format!("invites.email.ca_file {}: {e}", settings.ca_file))?;
                // Only this CA: a private relay's certificate, pinned to it.
                params = params
                    .certificate_store(CertificateStore::None)
                    .add_root_certificate(ca);
            }
            params
                .build_rustls()
                .map_err(|e| format!("invites.email: TLS: {e}"))
        };
        let tls = match settings.tls {
            SmtpTls::Starttls => Tls::Required(tls()?),
            SmtpTls::Implicit => Tls::Wrapper(tls()?),
            SmtpTls::None => Tls::None,
        };
        let mut builder =
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(settings.host.clone())
                .port(settings.port)
                .tls(tls)
                .timeout(Some(timeout));
        if !settings.username.is_empty() {
            builder = builder.credentials(Credentials::new(
                settings.username.clone(),
                settings.password.clone(),
            ));
        }
        Ok(SmtpSender {
            transport: builder.build(),
            id_domain: from.email.domain().to_owned(),
            from,
        })
    }

    /// One attempt. The Message-ID is the invite's, so a retry after a lost answer is the same
    /// message to the receiving systems.
    pub async fn send(&self, invite: InviteId, email: &InviteEmail) -> AttemptResult {
        let Ok(to) = email.to.parse::<Mailbox>() else {
            return AttemptResult::Permanent(
                "the applicant's email address is not one a mail server accepts".into(),
            );
        };
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(email.subject.clone())
            .message_id(Some(format!("<invite-{invite}@{}>", self.id_domain)))
            .multipart(MultiPart::alternative_plain_html(
                email.text.clone(),
                email.html.clone(),
            ));
        let message = match message {
            Ok(m) => m,
            Err(e) => return AttemptResult::Permanent(format!("the email cannot be built: {e}")),
        };
        match self.transport.send(message).await {
            Ok(response) => AttemptResult::Sent {
                reference: format!("<invite-{invite}@{}> {}", self.id_domain, response.code()),
            },
            Err(e) => failure(&e),
        }
    }
}

/// What an SMTP failure means for the invite, in words that carry no address (a server's own
/// reply text may quote the recipient, so only its code is kept).
fn failure(e: &lettre::transport::smtp::Error) -> AttemptResult {
    let code = e.status().map(|c| c.to_string());
    // The server refusing idgate's own login or encryption is this deployment's settings,
    // not the message: try again once they are fixed.
    if code
        .as_deref()
        .is_some_and(|c| matches!(c, "530" | "534" | "535" | "538"))
    {
        return AttemptResult::Temporary(format!(
            "the mail server refused idgate's login ({}): check invites.email",
            code.as_deref().unwrap_or_default()
        ));
    }
    if e.is_permanent() {
        return AttemptResult::Permanent(format!(
            "the mail server refused the message ({})",
            code.as_deref().unwrap_or("5xx")
        ));
    }
    let why = if e.is_transient() {
        format!(
            "the mail server asked to try later ({})",
            code.as_deref().unwrap_or("4xx")
        )
    } else if e.is_timeout() {
        "the mail server did not answer in time".to_owned()
    } else if e.is_tls() {
        "the TLS handshake with the mail server failed".to_owned()
    } else {
        "the mail server could not be reached".to_owned()
    };
    AttemptResult::Temporary(why)
}
