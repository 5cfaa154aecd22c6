//! Email delivery over SMTP (lettre), for the outbox worker.

use crate::config::ConfigError;
use keyport_core::services::outbox::{Mailer, OutgoingEmail};
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// Sends emails (text, with HTML as its alternative) through the SMTP server named by `KEYPORT_SMTP_URL`.
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl SmtpMailer {
    /// Builds the transport from a URL (`smtp://…`, `smtp://…?tls=required`, `smtps://…`).
    /// Nothing connects until the first email.
    pub fn new(url: &str, from: &str) -> Result<Self, ConfigError> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| ConfigError(format!("KEYPORT_SMTP_URL is not a valid SMTP URL: {e}")))?
            .timeout(Some(std::time::Duration::from_secs(20)))
            .build();
        let from = from.parse().map_err(|e| ConfigError(format!("KEYPORT_MAIL_FROM {from:?}: {e}")))?;
        Ok(Self { transport, from })
    }
}

#[async_trait::async_trait]
impl Mailer for SmtpMailer {
    fn transport(&self) -> &'static str {
        "smtp"
    }

    async fn send(&self, email: &OutgoingEmail) -> Result<(), String> {
        let to: Mailbox = email.to.parse().map_err(|e| format!("bad recipient: {e}"))?;
        // The configured address, under the portal's name: "Acme" <noreply@acme.example>.
        let from = Mailbox::new(Some(email.from_name.clone()), self.from.email.clone());
        let builder = Message::builder().from(from).to(to).subject(email.subject.as_str());
        let message = match &email.html {
            Some(html) => builder.multipart(MultiPart::alternative_plain_html(email.text.clone(), html.clone())),
            None => builder.header(ContentType::TEXT_PLAIN).body(email.text.clone()),
        }
        .map_err(|e| format!("could not build the message: {e}"))?;
        self.transport.send(message).await.map(|_| ()).map_err(|e| e.to_string())
    }
}
