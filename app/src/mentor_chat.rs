//! The mentor chat's wire types and server functions: a signed-in person's
//! conversations with the mentor about their saved career profile, their
//! allowance of questions, and the mode answers come in. The answers are
//! composed in the server's `mentor/answers.rs` (offline) or by the
//! configured LLM provider.

use leptos::prelude::*;
use leptos::server_fn::codec::{JsonEncoding, StreamingText, TextStream};
use leptos::server_fn::{Bytes, Decodes, Encodes};
use serde::{Deserialize, Serialize};

use crate::error::ServiceError;

/// A question is a question, not a document.
pub const QUESTION_MAX: usize = 1000;
/// A conversation is titled by its first question, cut at this many characters.
const TITLE_MAX: usize = 80;
/// Messages a person may send the mentor in an hour, whatever their plan.
pub const HOURLY_LIMIT: u32 = 100;
/// The suggested questions the chat opens with.
pub const STARTERS: [&str; 4] = [
    "Why was this role recommended?",
    "What should I learn first?",
    "How long until I'm job-ready?",
    "What adjacent roles can I move to?",
];

/// A conversation's title: its first question, shortened.
pub fn conversation_title(first_question: &str) -> String {
    let mut title: String = first_question.chars().take(TITLE_MAX).collect();
    if title.len() < first_question.len() {
        title.push('…');
    }
    title
}

/// Where answers come from, said plainly on the page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum AnswerMode {
    /// Composed on our server from the profile and the O*NET data.
    Offline,
    /// Written by an LLM provider from the same profile and data.
    Ai { provider: String },
}

impl AnswerMode {
    pub fn label(&self) -> String {
        match self {
            AnswerMode::Offline => {
                "Offline mode: answers are composed on our server from your profile and the O*NET data, \
                 no AI provider involved."
                    .into()
            }
            AnswerMode::Ai { provider } => {
                format!("AI mode: {provider} writes the answers from your profile and the O*NET data.")
            }
        }
    }
}

/// A person's questions against their plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MentorUsage {
    /// The plan's name ("Free", "Pro", "Enterprise").
    pub plan: String,
    /// Questions asked this month.
    pub used: u32,
    /// The month's allowance; `None` is unlimited.
    pub limit: Option<u32>,
    /// When the month's count starts again (Unix ms, UTC).
    pub resets_at: i64,
    /// Days in a row, up to today, with at least one question.
    pub streak_days: u32,
}

impl MentorUsage {
    /// "3 of 10 questions this month" or "42 questions this month".
    pub fn summary(&self) -> String {
        match self.limit {
            Some(limit) => format!("{} of {limit} questions this month", self.used),
            None => format!("{} questions this month (unlimited)", self.used),
        }
    }

    pub fn left(&self) -> Option<u32> {
        self.limit.map(|limit| limit.saturating_sub(self.used))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MentorMessage {
    pub id: String,
    pub from_mentor: bool,
    pub text: String,
    /// What an answer rests on ("O*NET 29.2: Technology Skills, 15-2051.00").
    pub sources: Vec<String>,
    pub created_at: i64,
}

/// A past conversation, as the history lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MentorConversation {
    pub id: String,
    /// The first question, shortened.
    pub title: String,
    pub questions: u32,
    pub updated_at: i64,
}

/// Everything the chat page shows when it opens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MentorChat {
    /// "Hi Ana. You're aiming at Data Scientists; …", or the invitation to
    /// fill in the career form first.
    pub greeting: String,
    pub has_profile: bool,
    pub mode: AnswerMode,
    pub suggestions: Vec<String>,
    pub usage: MentorUsage,
    /// Newest first.
    pub conversations: Vec<MentorConversation>,
    /// The open conversation, if one was asked for.
    pub conversation: Option<String>,
    /// Its messages, oldest first.
    pub messages: Vec<MentorMessage>,
}

/// A question and the mentor's answer to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MentorReply {
    pub conversation: String,
    pub question: MentorMessage,
    pub answer: MentorMessage,
    pub suggestions: Vec<String>,
    pub usage: MentorUsage,
    pub mode: AnswerMode,
}

/// The chat as the signed-in person left it: their greeting, history and
/// allowance, with `conversation` open if given.
#[server(endpoint = "mentor/chat", input = leptos::server_fn::codec::GetUrl)]
pub async fn open_mentor_chat(conversation: Option<String>) -> Result<MentorChat, ServiceError> {
    crate::services::call(|s, caller| async move { s.mentor.chat(&caller, conversation.as_deref()).await }).await
}

/// One line of an answer as it streams from [`ask_mentor`] (JSON, one per line).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MentorEvent {
    /// Text as it is written.
    Delta(String),
    /// The reply as stored. Its text is the one to keep: when a provider
    /// fails mid-answer, the offline answer replaces what streamed.
    Done(Box<MentorReply>),
    /// No answer could be given (the question was charged and kept).
    Failed(ServiceError),
}

impl MentorEvent {
    /// The event as a line of the stream.
    pub fn to_line(&self) -> String {
        let json = <JsonEncoding as Encodes<MentorEvent>>::encode(self).unwrap_or_default();
        format!("{}\n", String::from_utf8_lossy(&json))
    }
}

/// Reads a stream's chunks as events: a chunk may hold several lines, or
/// part of one.
#[derive(Debug, Default)]
pub struct EventLines {
    partial: String,
}

impl EventLines {
    pub fn push(&mut self, chunk: &str) -> Vec<MentorEvent> {
        self.partial.push_str(chunk);
        let mut events = Vec::new();
        while let Some(end) = self.partial.find('\n') {
            let line: String = self.partial.drain(..=end).collect();
            if let Ok(event) = <JsonEncoding as Decodes<MentorEvent>>::decode(Bytes::from(line)) {
                events.push(event);
            }
        }
        events
    }
}

/// Asks the mentor, in `conversation` or a new one. A refusal (a limit, no
/// profile, a bad question) is an error before anything streams; then the
/// answer streams as [`MentorEvent`] lines, so a provider's words appear
/// as it writes them.
#[server(endpoint = "mentor/ask", output = StreamingText)]
pub async fn ask_mentor(
    conversation: Option<String>,
    question: String,
) -> Result<TextStream<ServiceError>, ServiceError> {
    crate::services::call(|s, caller| async move { s.mentor.ask(&caller, conversation.as_deref(), &question).await })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_read_whole_however_the_stream_is_cut() {
        let events = [
            MentorEvent::Delta("Start with ".into()),
            MentorEvent::Delta("statistics.\nThen {\"json\"}".into()),
            MentorEvent::Failed(ServiceError::Internal),
        ];
        let stream: String = events.iter().map(MentorEvent::to_line).collect();
        assert_eq!(stream.lines().count(), 3, "one line each, even with a new line in the text");
        for cut in [1, 7, 30, stream.len() - 1] {
            let mut lines = EventLines::default();
            let (head, tail) = stream.split_at(cut);
            let mut read = lines.push(head);
            read.extend(lines.push(tail));
            assert_eq!(read, events, "cut at {cut}");
        }
    }
}
