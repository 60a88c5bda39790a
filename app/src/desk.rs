//! The support desk's shared types and server functions: the inbox, a
//! person from the team taking a conversation over from the bot, replying
//! live, handing it back and resolving it. The server implements
//! `DeskService` (`server/src/desk/`); the visitor's widget and the agent's
//! page follow the conversation's journal live (`server/src/live/`), and
//! the inbox follows the workspace's signals.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::chat::{validate_visitor_message, ChatMessage, FlagReason, Priority, SentimentLabel, Transcript};
use crate::error::ServiceError;
use crate::tickets::TicketRef;

/// Which conversations the inbox lists. Every view but `Resolved` holds
/// open conversations only.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InboxView {
    /// Open, in order: waiting for a person (by priority, then longest
    /// wait), the caller's own, the ones the bot answers, others'.
    #[default]
    Open,
    /// Asked for or needing a person, and nobody has joined yet.
    Waiting,
    /// Answered by the caller.
    Mine,
    /// Nobody from the team has joined (the bot answers).
    Unassigned,
    Resolved,
}

impl InboxView {
    pub const ALL: [InboxView; 5] =
        [InboxView::Open, InboxView::Waiting, InboxView::Mine, InboxView::Unassigned, InboxView::Resolved];

    pub fn as_str(self) -> &'static str {
        match self {
            InboxView::Open => "open",
            InboxView::Waiting => "waiting",
            InboxView::Mine => "mine",
            InboxView::Unassigned => "unassigned",
            InboxView::Resolved => "resolved",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        InboxView::ALL.into_iter().find(|view| view.as_str() == value)
    }

    pub fn label(self) -> &'static str {
        match self {
            InboxView::Open => "All open",
            InboxView::Waiting => "Waiting",
            InboxView::Mine => "Mine",
            InboxView::Unassigned => "Unassigned",
            InboxView::Resolved => "Resolved",
        }
    }
}

/// Where the visitor last wrote from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// The chat widget on the business's site.
    #[default]
    Widget,
    /// A reply to an email the team's follow-up sent.
    Email,
}

impl Channel {
    pub const ALL: [Channel; 2] = [Channel::Widget, Channel::Email];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Widget => "widget",
            Channel::Email => "email",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Channel::ALL.into_iter().find(|channel| channel.as_str() == value)
    }

    pub fn label(self) -> &'static str {
        match self {
            Channel::Widget => "Chat",
            Channel::Email => "Email",
        }
    }
}

/// The inbox's view and filters; a filter that is `None` matches everything.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct InboxFilter {
    pub view: InboxView,
    pub sentiment: Option<SentimentLabel>,
    /// A member's id: conversations they answer.
    pub assignee: Option<String>,
    pub channel: Option<Channel>,
}

impl InboxFilter {
    /// From the inbox's address (`?view=mine&sentiment=negative&assignee=ID&channel=email`);
    /// anything unknown is an error that names the field.
    pub fn parse(view: &str, sentiment: &str, assignee: &str, channel: &str) -> Result<InboxFilter, ServiceError> {
        let view = match view {
            "" => InboxView::Open,
            other => InboxView::parse(other)
                .ok_or_else(|| ServiceError::invalid("view", "Choose one of the inbox's views."))?,
        };
        let sentiment = match sentiment {
            "" => None,
            other => Some(
                SentimentLabel::parse(other)
                    .ok_or_else(|| ServiceError::invalid("sentiment", "Choose positive, neutral or negative."))?,
            ),
        };
        if assignee.len() > 64 {
            return Err(ServiceError::invalid("assignee", "That is not a member of this workspace."));
        }
        let channel = match channel {
            "" => None,
            other => {
                Some(Channel::parse(other).ok_or_else(|| ServiceError::invalid("channel", "Choose chat or email."))?)
            }
        };
        Ok(InboxFilter { view, sentiment, assignee: (!assignee.is_empty()).then(|| assignee.to_owned()), channel })
    }
}

/// One conversation in the inbox.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InboxItem {
    pub id: String,
    pub visitor_email: Option<String>,
    /// The name the business's site gave, for an identified visitor.
    pub visitor_name: Option<String>,
    pub origin: String,
    /// The latest message, shortened.
    pub preview: String,
    pub priority: Priority,
    pub sentiment: Option<SentimentLabel>,
    /// Why it needs a person, while it does.
    pub flag: Option<FlagReason>,
    /// Since when it waits for a person (flagged, nobody joined).
    pub waiting_since: Option<i64>,
    pub assignee: Option<Agent>,
    /// Where the visitor last wrote from.
    pub channel: Channel,
    /// The visitor's messages the caller has not seen.
    pub unread: u32,
    pub resolved_at: Option<i64>,
    pub updated_at: i64,
}

/// How many open conversations each view holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxCounts {
    pub open: u32,
    pub waiting: u32,
    pub mine: u32,
    pub unassigned: u32,
    /// Open conversations with messages the caller has not seen.
    pub unread: u32,
}

impl InboxCounts {
    /// The count a view's tab shows; `None` for views not counted.
    pub fn of(&self, view: InboxView) -> Option<u32> {
        match view {
            InboxView::Open => Some(self.open),
            InboxView::Waiting => Some(self.waiting),
            InboxView::Mine => Some(self.mine),
            InboxView::Unassigned => Some(self.unassigned),
            InboxView::Resolved => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Inbox {
    pub items: Vec<InboxItem>,
    pub counts: InboxCounts,
    /// Members who may answer, for the assignee filter.
    pub agents: Vec<Agent>,
    /// The caller, as an agent.
    pub me: Agent,
    /// The caller set themselves away: routing and "people online" leave them out.
    pub away: bool,
    /// What visitors the caller answered thought of it.
    pub my_ratings: RatingSummary,
    /// What the team did with the assistant's drafts lately.
    pub drafts: crate::reply_drafts::DraftStats,
    /// The server's clock when the list was read, for "waiting 4 min".
    pub now: i64,
}

/// A visitor's satisfaction rating of a conversation (CSAT).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rating {
    /// 1 to 5.
    pub score: u8,
    pub comment: String,
}

/// A member's ratings: how many, and their average (1 to 5).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct RatingSummary {
    pub count: u32,
    pub average: Option<f64>,
}

/// Most characters a rating's comment keeps.
pub const RATING_COMMENT_MAX_CHARS: usize = 1000;

/// Most conversations one inbox view lists.
pub const INBOX_PAGE: usize = 100;

/// A conversation as the desk opens it: the transcript, who answers, and
/// where its journal stands, so the live view resumes from there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeskConversation {
    pub transcript: Transcript,
    pub assignee: Option<Agent>,
    pub resolved_at: Option<i64>,
    /// The visitor's widget showed the team's messages up to this one's time.
    pub visitor_seen_at: Option<i64>,
    /// The visitor's rating, once given.
    pub rating: Option<Rating>,
    pub seq: i64,
    /// Its ticket being worked on, else its latest one.
    pub ticket: Option<TicketRef>,
    /// Who the visitor is, when the business's site identified them.
    pub visitor: Option<crate::visitor_identity::IdentifiedVisitor>,
}

/// A conversation's owner after a join or hand-back, and where its
/// journal stands, so the agent's live view starts from there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Takeover {
    pub conversation_id: String,
    /// The person answering; `None` while the bot answers.
    pub assignee: Option<Agent>,
    /// The number of the conversation's last journal entry.
    pub seq: i64,
}

/// A member of the team as visitors see them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Agent {
    pub id: String,
    pub name: String,
}

/// What an agent sends a visitor, cleaned as a visitor's message is
/// (control and direction-override characters out, trimmed, at most
/// [`MESSAGE_MAX_CHARS`](crate::chat::MESSAGE_MAX_CHARS) characters).
pub fn validate_reply(text: &str) -> Result<String, ServiceError> {
    validate_visitor_message(text).map(|text| text.as_str().to_owned()).map_err(|m| ServiceError::invalid("text", m))
}

#[server(endpoint = "desk/join")]
pub async fn join_conversation(workspace_id: String, conversation_id: String) -> Result<Takeover, ServiceError> {
    crate::services::call(|s, caller| async move { s.desk.join(&caller, &workspace_id, &conversation_id).await }).await
}

#[server(endpoint = "desk/reply")]
pub async fn reply_to_visitor(
    workspace_id: String,
    conversation_id: String,
    text: String,
    #[server(default)] draft_id: String,
) -> Result<ChatMessage, ServiceError> {
    let text = crate::services::with_status(validate_reply(&text))?;
    let draft_id = (!draft_id.is_empty()).then_some(draft_id);
    crate::services::call(|s, caller| async move {
        s.desk.reply(&caller, &workspace_id, &conversation_id, text, draft_id).await
    })
    .await
}

#[server(endpoint = "desk/hand-back")]
pub async fn hand_back_conversation(workspace_id: String, conversation_id: String) -> Result<Takeover, ServiceError> {
    crate::services::call(|s, caller| async move { s.desk.hand_back(&caller, &workspace_id, &conversation_id).await })
        .await
}

#[server(endpoint = "desk/inbox")]
pub async fn load_inbox(
    workspace_id: String,
    #[server(default)] view: String,
    #[server(default)] sentiment: String,
    #[server(default)] assignee: String,
    #[server(default)] channel: String,
) -> Result<Inbox, ServiceError> {
    let filter = crate::services::with_status(InboxFilter::parse(&view, &sentiment, &assignee, &channel))?;
    crate::services::call(|s, caller| async move { s.desk.inbox(&caller, &workspace_id, filter).await }).await
}

/// Opens a conversation for the desk, and marks what the caller now sees as read.
#[server(endpoint = "desk/open")]
pub async fn open_conversation(
    workspace_id: String,
    conversation_id: String,
) -> Result<DeskConversation, ServiceError> {
    crate::services::call(|s, caller| async move { s.desk.open(&caller, &workspace_id, &conversation_id).await }).await
}

/// Marks the visitor's messages so far as read by the caller (the live view
/// calls this as messages arrive while it is open).
#[server(endpoint = "desk/read")]
pub async fn mark_read(workspace_id: String, conversation_id: String) -> Result<(), ServiceError> {
    crate::services::call(|s, caller| async move { s.desk.mark_read(&caller, &workspace_id, &conversation_id).await })
        .await
}

/// The caller sets themselves away (`away`) or available (anything else):
/// away, routing hands them no ticket and visitors are not told they are
/// online, whatever pages they have open. Answers whether they are away.
#[server(endpoint = "desk/set-away")]
pub async fn set_away(workspace_id: String, away: String) -> Result<bool, ServiceError> {
    let away = away == "away";
    crate::services::call(|s, caller| async move { s.desk.set_away(&caller, &workspace_id, away).await }).await
}

/// The caller is typing a reply (the page says so every few seconds while they type).
#[server(endpoint = "desk/typing")]
pub async fn say_typing(workspace_id: String, conversation_id: String) -> Result<(), ServiceError> {
    crate::services::call(|s, caller| async move { s.desk.typing(&caller, &workspace_id, &conversation_id).await })
        .await
}

/// Done: out of the open views, handed back to the bot; the visitor's next
/// message reopens it. A visitor a person answered is asked to rate the
/// conversation unless `skip_rating`.
#[server(endpoint = "desk/resolve")]
pub async fn resolve_conversation(
    workspace_id: String,
    conversation_id: String,
    #[server(default)] skip_rating: bool,
) -> Result<Takeover, ServiceError> {
    crate::services::call(|s, caller| async move {
        s.desk.resolve(&caller, &workspace_id, &conversation_id, !skip_rating).await
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reply_is_trimmed_and_neither_empty_nor_too_long() {
        use crate::chat::MESSAGE_MAX_CHARS;
        assert_eq!(validate_reply("  Hello there \n").unwrap(), "Hello there");
        assert!(validate_reply(" \n ").is_err());
        assert!(validate_reply(&"a".repeat(MESSAGE_MAX_CHARS)).is_ok());
        assert!(validate_reply(&"a".repeat(MESSAGE_MAX_CHARS + 1)).is_err());
    }

    #[test]
    fn the_inbox_address_is_read_strictly() {
        assert_eq!(InboxFilter::parse("", "", "", "").unwrap(), InboxFilter::default());
        let filter = InboxFilter::parse("mine", "negative", "u1", "email").unwrap();
        assert_eq!(filter.view, InboxView::Mine);
        assert_eq!(filter.sentiment, Some(SentimentLabel::Negative));
        assert_eq!(filter.assignee.as_deref(), Some("u1"));
        assert_eq!(filter.channel, Some(Channel::Email));
        assert!(InboxFilter::parse("everything", "", "", "").is_err());
        assert!(InboxFilter::parse("", "furious", "", "").is_err());
        assert!(InboxFilter::parse("", "", "", "fax").is_err());
        for view in InboxView::ALL {
            assert_eq!(InboxView::parse(view.as_str()), Some(view));
        }
        for channel in Channel::ALL {
            assert_eq!(Channel::parse(channel.as_str()), Some(channel));
        }
    }
}
