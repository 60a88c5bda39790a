//! Outgoing email. With `SMTP_URL` set, messages go through SMTP (lettre)
//! in the background, so a slow mail server never slows a request and the
//! time a request takes says nothing about whether an account exists.
//! Without it (the embedded default) each message is written to
//! `DATA_DIR/outbox/` as an `.eml` file and its link is logged, so a local
//! user can still verify and reset.

use std::path::PathBuf;

use lettre::message::{header::ContentType, Mailbox};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::AuthConfig;

#[derive(Debug, thiserror::Error)]
pub enum MailerError {
    #[error("MAIL_FROM is malformed: {0}")]
    From(String),
    #[error("SMTP_URL is malformed: {0}")]
    Smtp(String),
}

/// One message to one person, with the link it is about.
pub struct Email {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub link: String,
    /// Set for mail that continues a conversation.
    pub thread: Option<Thread>,
}

/// Who a conversation's mail is from, where answers go, and the thread it
/// belongs to in the recipient's mail program.
pub struct Thread {
    /// Shown as the sender ("Maria at Demo Store"); the address stays `MAIL_FROM`'s.
    pub sender_name: String,
    /// Where answers go; `None` when they cannot come back.
    pub reply_to: Option<String>,
    /// The same for every message of the conversation: `<id@domain>`.
    pub references: String,
}

#[derive(Clone)]
enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Outbox(PathBuf),
}

#[derive(Clone)]
pub struct Mailer {
    transport: Transport,
    from: Mailbox,
    /// Print outbox links in the log: development only, where the log is
    /// the developer's own terminal. In production a link in a log is a key.
    log_links: bool,
}

impl Mailer {
    pub fn new(config: &AuthConfig, data_dir: &std::path::Path, log_links: bool) -> Result<Self, MailerError> {
        let from: Mailbox = config.mail_from.parse().map_err(|e| MailerError::From(format!("{e}")))?;
        let transport = match &config.smtp_url {
            Some(url) => Transport::Smtp(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose())
                    .map_err(|e| MailerError::Smtp(e.to_string()))?
                    .build(),
            ),
            None => Transport::Outbox(data_dir.join("outbox")),
        };
        Ok(Mailer { transport, from, log_links })
    }

    /// Queues `email`. Failures are logged, never shown to the requester:
    /// what they would reveal is exactly what must stay private.
    pub async fn send(&self, email: Email) {
        let Ok(to) = email.to.parse::<Mailbox>() else {
            tracing::warn!("not sending mail to an address lettre cannot parse");
            return;
        };
        let mut builder = Message::builder().to(to).subject(email.subject.as_str()).header(ContentType::TEXT_PLAIN);
        builder = match &email.thread {
            Some(thread) => {
                let mut builder = builder
                    .from(Mailbox::new(Some(thread.sender_name.clone()), self.from.email.clone()))
                    .in_reply_to(thread.references.clone())
                    .references(thread.references.clone());
                if let Some(reply_to) = &thread.reply_to {
                    match reply_to.parse::<Mailbox>() {
                        Ok(reply_to) => builder = builder.reply_to(reply_to),
                        Err(e) => {
                            tracing::error!(error = %e, "not sending mail with a reply address lettre cannot parse");
                            return;
                        }
                    }
                }
                builder
            }
            None => builder.from(self.from.clone()),
        };
        let message = match builder.body(email.text) {
            Ok(message) => message,
            Err(e) => {
                tracing::error!(error = %e, "could not build an email");
                return;
            }
        };
        match &self.transport {
            Transport::Smtp(smtp) => {
                let smtp = smtp.clone();
                let subject = email.subject;
                tokio::spawn(async move {
                    match smtp.send(message).await {
                        Ok(_) => tracing::info!(%subject, "email sent"),
                        Err(e) => tracing::error!(%subject, error = %e, "could not send email over SMTP"),
                    }
                });
            }
            Transport::Outbox(dir) => {
                let path = dir.join(format!("{}-{}.eml", crate::sql::now_millis(), uuid::Uuid::new_v4().simple()));
                let bytes = message.formatted();
                let written = tokio::fs::create_dir_all(dir).await.and(tokio::fs::write(&path, bytes).await);
                match written {
                    Ok(()) if self.log_links => tracing::info!(
                        file = %path.display(),
                        link = %email.link,
                        "no SMTP_URL set: email written to the outbox"
                    ),
                    Ok(()) => tracing::info!(file = %path.display(), "no SMTP_URL set: email written to the outbox"),
                    Err(e) => tracing::error!(file = %path.display(), error = %e, "could not write to the outbox"),
                }
            }
        }
    }
}
