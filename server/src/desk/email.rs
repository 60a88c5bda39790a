//! Email follow-up, both ways.
//!
//! Out: a reply from the team that the visitor's widget has not shown
//! within the workspace's delay (they left the page, or closed the panel)
//! goes to the email they gave. A reply schedules the follow-up
//! (`followups::schedule`); a sweep on every process (every
//! [`SWEEP_EVERY`]) claims what is due with one conditional update, so
//! exactly one process sends each, and sends only what the read receipts
//! say is still unseen. The email's Reply-To is a signed address,
//! `reply+<conversation>.<tag>@<domain>`: nobody can write into a
//! conversation whose address they were not sent.
//!
//! In: the forwarder posts the raw MIME (`desk/email_api.rs`); it is read
//! here: the signed address names the conversation, the answer is the
//! text above our marker or the quoted history, attachments are refused
//! (named on the message, never stored), and each conversation and sender
//! is paced. Storing it is the chat's (`chat/email_reply.rs`).

use std::sync::Arc;
use std::time::Duration;

use app::error::ServiceError;
use mail_parser::{MessageParser, MimeHeaders};
use sha2::{Digest, Sha256};

use super::{followups, Desk};
use crate::accounts::mailer::{Email, Thread};
use crate::chat::conversations::EMAIL_ORIGIN;
use crate::error::AppError;
use crate::live::journal;
use crate::sql::now_millis;

/// How often each process looks for follow-ups due.
const SWEEP_EVERY: Duration = Duration::from_secs(30);
/// Follow-ups one sweep sends at most; the rest wait for the next.
const SWEEP_BATCH: i64 = 100;
/// Replies one email quotes at most (the newest).
const REPLIES_PER_EMAIL: i64 = 20;
/// Our emails start with this line; a visitor's answer is what they wrote above it.
pub const REPLY_ABOVE: &str = "##- Please type your reply above this line -##";
/// Hex digits of the tag that signs a reply address (80 bits).
const TAG_CHARS: usize = 20;
/// A visitor's emails into one conversation: a few at once, then one a minute.
pub const PER_CONVERSATION: (u32, Duration) = (5, Duration::from_secs(60));
/// One sender's emails into any conversation.
pub const PER_SENDER: (u32, Duration) = (20, Duration::from_secs(60));
/// New emails to one workspace's support address: a busy inbox's worth,
/// then one every ten seconds.
pub const PER_WORKSPACE: (u32, Duration) = (60, Duration::from_secs(10));
/// What the tag of each kind of address signs.
const REPLY: &str = "email-reply";
const SUPPORT: &str = "email-support";

/// Where a forwarded email goes.
#[derive(Debug, Clone, PartialEq)]
pub enum Addressed {
    /// An answer to the team's email, into its conversation.
    Conversation(String),
    /// A new email to the workspace's support address: a ticket.
    Workspace(String),
}

/// An email read and checked: a visitor's answer, or a new request.
#[derive(Debug)]
pub struct InboundEmail {
    pub to: Addressed,
    /// The sender's address, lower-case.
    pub from: String,
    /// Its subject line, one line, for a new ticket.
    pub subject: Option<String>,
    /// Its Message-ID, or a digest of the message when it has none.
    pub message_id: String,
    pub text: String,
    /// Attachments refused, by name.
    pub refused: Vec<String>,
}

impl Desk {
    /// Sends the follow-ups due every [`SWEEP_EVERY`], for as long as the process runs.
    pub fn start_followups(self: &Arc<Self>) {
        let desk = self.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(SWEEP_EVERY);
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                every.tick().await;
                if let Err(error) = desk.send_followups(now_millis()).await {
                    tracing::warn!(%error, "could not send the email follow-ups due");
                }
            }
        });
    }

    /// Emails every visitor whose replies are due at `now` and still
    /// unseen; answers how many emails went. Tests pass a later `now`
    /// rather than wait.
    pub async fn send_followups(&self, now: i64) -> Result<usize, AppError> {
        let due = self.sql.read(move |db| async move { followups::due(&db, now, SWEEP_BATCH).await }).await?;
        let mut sent = 0;
        for (workspace_id, conversation_id) in due {
            if let Some(email) = self.followup(&workspace_id, &conversation_id, now).await? {
                self.accounts.mailer().send(email).await;
                sent += 1;
            }
        }
        Ok(sent)
    }

    /// Claims the conversation's follow-up and writes its email, journaling
    /// that it went; `None` when another process claimed it or the visitor
    /// has seen everything meanwhile.
    async fn followup(&self, workspace_id: &str, conversation_id: &str, now: i64) -> Result<Option<Email>, AppError> {
        let (workspace, conversation) = (workspace_id.to_owned(), conversation_id.to_owned());
        let job = |db: sqlx::AnyPool| async move {
            let mut tx = db.begin().await?;
            let Some(claimed) = followups::claim(&mut tx, &workspace, &conversation, now).await? else {
                return Ok(None);
            };
            let Some(to) = claimed.visitor_email.clone() else {
                tx.commit().await?;
                return Ok(None);
            };
            let replies =
                followups::newest_replies_after(&mut tx, &conversation, claimed.covered_upto, REPLIES_PER_EMAIL)
                    .await?;
            let Some(newest) = replies.last().map(|r| r.created_at) else {
                tx.commit().await?;
                return Ok(None);
            };
            followups::emailed(&mut tx, &workspace, &conversation, newest).await?;
            let sent = serde_json::json!({ "to": to, "replies": replies.len() });
            let seq = journal::append(&mut tx, &workspace, &conversation, "emailed", &sent).await?;
            tx.commit().await?;
            Ok::<_, sqlx::Error>(Some((seq, to, claimed, replies)))
        };
        let Some((seq, to, claimed, replies)) = self.sql.write(job).await? else { return Ok(None) };
        self.live.journaled(workspace_id, conversation_id, seq).await;
        Ok(Some(self.compose(conversation_id, to, &claimed, &replies)))
    }

    fn compose(
        &self,
        conversation_id: &str,
        to: String,
        claimed: &followups::Claimed,
        replies: &[followups::Unseen],
    ) -> Email {
        let workspace = claimed.workspace_name.as_str();
        let first = replies.first().and_then(|r| r.author_name.as_deref()).unwrap_or("The team");
        let answers_come_back = self.inbound.secret.is_some();
        // Someone who wrote to the support address has no chat to go back to.
        let by_email = claimed.origin == EMAIL_ORIGIN;
        let mut text = String::new();
        if answers_come_back {
            text.push_str(REPLY_ABOVE);
            text.push_str("\n\n");
        }
        if by_email {
            text.push_str(&format!("{first} from {workspace} answered:\n\n"));
        } else {
            text.push_str(&format!("{first} from {workspace} answered you while you were away:\n\n"));
        }
        for reply in replies {
            let name = reply.author_name.as_deref().unwrap_or(workspace);
            text.push_str(&format!("{name}:\n{}\n\n", reply.body));
        }
        if replies.len() as i64 == REPLIES_PER_EMAIL {
            text.push_str(if by_email {
                "Earlier replies came in earlier emails.\n\n"
            } else {
                "Earlier messages are in the chat.\n\n"
            });
        }
        let chat = if claimed.origin.is_empty() { String::new() } else { format!(" at {}", claimed.origin) };
        if by_email {
            text.push_str("Reply to this email to answer.\n");
        } else if answers_come_back {
            text.push_str(&format!("Reply to this email to answer, or go on in the chat{chat}.\n"));
        } else {
            text.push_str(&format!("Go on in the chat{chat}: answers to this email do not reach the team.\n"));
        }
        let domain = &self.inbound.reply_domain;
        Email {
            to,
            subject: match (&claimed.subject, by_email) {
                (Some(subject), true) => format!("Re: {subject}"),
                _ => format!("Re: your conversation with {workspace}"),
            },
            text,
            link: claimed.origin.clone(),
            thread: Some(Thread {
                sender_name: format!("{first} at {workspace}"),
                reply_to: answers_come_back.then(|| self.reply_address(conversation_id)),
                references: format!("<conversation-{conversation_id}@{domain}>"),
            }),
        }
    }

    /// What signs the forwarder's deliveries, when answers by email are on.
    pub fn inbound_secret(&self) -> Option<&crate::config::Secret> {
        self.inbound.secret.as_ref()
    }

    /// The address that brings answers back into this conversation.
    pub fn reply_address(&self, conversation_id: &str) -> String {
        format!("reply+{conversation_id}.{}@{}", self.tag(REPLY, conversation_id), self.inbound.reply_domain)
    }

    /// The workspace's support address: email forwarded to it becomes a
    /// ticket. Signed like a reply address, so nobody can guess another
    /// workspace's.
    pub fn support_address(&self, workspace_id: &str) -> String {
        let tag = self.tag(SUPPORT, workspace_id);
        format!("support+{workspace_id}.{tag}@{}", self.inbound.reply_domain)
    }

    /// What an address of ours names, when it is one and its tag is ours.
    /// Mail programs and forwarders may change the case.
    fn addressed(&self, address: &str) -> Option<Addressed> {
        let address = address.trim().trim_start_matches('<').trim_end_matches('>').to_ascii_lowercase();
        let (local, domain) = address.rsplit_once('@')?;
        if domain != self.inbound.reply_domain {
            return None;
        }
        let (purpose, rest) = local.split_once('+')?;
        let (id, tag) = rest.rsplit_once('.')?;
        let (purpose, to) = match purpose {
            "reply" => (REPLY, Addressed::Conversation(id.to_owned())),
            "support" => (SUPPORT, Addressed::Workspace(id.to_owned())),
            _ => return None,
        };
        crate::accounts::secrets::same(tag, &self.tag(purpose, id)).then_some(to)
    }

    /// Lower-case hex, so an address survives a mail system that folds case.
    pub(super) fn tag(&self, purpose: &str, id: &str) -> String {
        let mac = self.accounts.server_key().sign(purpose, id);
        let mut tag = hex::encode(Sha256::digest(mac.as_bytes()));
        tag.truncate(TAG_CHARS);
        tag
    }

    /// Reads a forwarded email: what its signed address names (a
    /// conversation, or a workspace's support address), and what the sender
    /// wrote. Paced per conversation or workspace, and per sender. `None`
    /// for an automatic email (an out-of-office, a bounce): nobody wrote it,
    /// so it is neither a message nor a ticket.
    pub fn read_inbound(&self, raw: &[u8]) -> Result<Option<InboundEmail>, ServiceError> {
        let unreadable = || ServiceError::invalid("email", "This is not an email we can read.");
        if raw.trim_ascii().is_empty() {
            return Err(unreadable());
        }
        let message = MessageParser::default().parse(raw).ok_or_else(unreadable)?;
        let mut recipients: Vec<String> = Vec::new();
        for list in [message.to(), message.cc()].into_iter().flatten() {
            recipients.extend(list.iter().filter_map(|a| a.address()).map(str::to_owned));
        }
        for header in ["Delivered-To", "X-Original-To"] {
            recipients.extend(message.header_raw(header).map(str::to_owned));
        }
        let Some(to) = recipients.iter().find_map(|r| self.addressed(r)) else {
            tracing::warn!("refused an inbound email sent to no address of ours");
            return Err(ServiceError::NotFound);
        };
        // RFC 3834's mark, and the older Precedence header auto-responders still send.
        let automatic = message.header_raw("Auto-Submitted").is_some_and(|v| !v.trim().eq_ignore_ascii_case("no"))
            || message
                .header_raw("Precedence")
                .is_some_and(|v| ["bulk", "junk", "auto_reply"].contains(&v.trim().to_ascii_lowercase().as_str()));
        if automatic {
            return Ok(None);
        }
        let sender = message.from().and_then(|f| f.first()).and_then(|a| a.address()).unwrap_or_default();
        let from = sender.trim().to_ascii_lowercase();
        if from.len() > app::validate::EMAIL_MAX || !app::validate::is_plausible_email(&from) {
            return Err(ServiceError::invalid("email", "The email has no sender we could answer."));
        }
        let (per_place, place) = match &to {
            Addressed::Conversation(id) => (&self.inbound_per_conversation, id.as_str()),
            Addressed::Workspace(id) => (&self.inbound_per_workspace, id.as_str()),
        };
        for (limit, key) in [(per_place, place), (&self.inbound_per_sender, from.as_str())] {
            limit
                .check(&key.to_ascii_lowercase())
                .map_err(|wait| ServiceError::RateLimited { retry_after_secs: wait.as_secs().max(1) })?;
        }
        let message_id = match message.message_id() {
            Some(id) if id.len() <= 200 => id.to_owned(),
            _ => format!("sha256:{}", hex::encode(Sha256::digest(raw))),
        };
        let body = message.body_text(0).unwrap_or_default();
        let text = answer_above_quote(&body);
        if text.is_empty() {
            return Err(ServiceError::invalid("email", "The email has no answer above the quoted message."));
        }
        let refused = message
            .attachments()
            .map(|part| part.attachment_name().unwrap_or("unnamed file").chars().take(80).collect())
            .collect();
        let subject = message.subject().map(app::tickets::subject_from).filter(|s| !s.is_empty());
        Ok(Some(InboundEmail { to, from, subject, message_id, text, refused }))
    }
}

/// What the visitor wrote, without the message they answered: everything
/// above our marker, the "On … wrote:" line or an Outlook header, and
/// without trailing quoted lines or their signature.
pub fn answer_above_quote(body: &str) -> String {
    let lines: Vec<&str> = body.lines().collect();
    let mut end = lines.len();
    for (i, line) in lines.iter().enumerate() {
        let bare = line.trim().trim_start_matches('>').trim();
        let next = lines.get(i + 1).map_or("", |l| l.trim());
        let quote_header = bare.starts_with("On ")
            && (bare.ends_with("wrote:") || (!next.is_empty() && next.ends_with("wrote:") && !bare.ends_with('.')));
        if bare == REPLY_ABOVE
            || quote_header
            || bare.starts_with("-----Original Message-----")
            || bare.starts_with("________________________________")
            || (bare.starts_with("From: ") && next.starts_with("Sent: "))
        {
            end = i;
            break;
        }
    }
    let mut kept = &lines[..end];
    if let Some(signature) = kept.iter().position(|l| *l == "-- ") {
        kept = &kept[..signature];
    }
    while let Some((last, rest)) = kept.split_last() {
        if last.trim().is_empty() || last.trim_start().starts_with('>') {
            kept = rest;
        } else {
            break;
        }
    }
    kept.join("\n").trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_answer_is_what_was_written_above_the_quote() {
        let gmail = "Thanks, that worked!\n\nOn Mon, Dec 7, 2026 at 10:02 AM Maria at Demo <no-reply@x.com> wrote:\n> ##- Please type your reply above this line -##\n> Hello";
        assert_eq!(answer_above_quote(gmail), "Thanks, that worked!");
        let wrapped =
            "Yes please.\n\nOn Mon, Dec 7, 2026 at 10:02 AM Maria at Demo Store\n<no-reply@x.com> wrote:\n> old";
        assert_eq!(answer_above_quote(wrapped), "Yes please.");
        let outlook = "Sounds good\r\n\r\n________________________________\r\nFrom: Demo\r\nSent: Monday";
        assert_eq!(answer_above_quote(outlook), "Sounds good");
        let marker = "Order 1042\n\n##- Please type your reply above this line -##\nMaria: hi";
        assert_eq!(answer_above_quote(marker), "Order 1042");
        let signed = "Two lines\nof answer\n\n-- \nJo Bloggs\nCEO";
        assert_eq!(answer_above_quote(signed), "Two lines\nof answer");
        let bottom_quote = "> earlier text\nMy answer below the quote\n> trailing quote";
        assert_eq!(answer_above_quote(bottom_quote), "> earlier text\nMy answer below the quote");
        assert_eq!(answer_above_quote("On Monday I will call."), "On Monday I will call.");
        assert_eq!(answer_above_quote("\n> only a quote\n"), "");
    }
}
