//! Internal notes on tickets: what the team tells itself about a ticket,
//! never shown to the requester. A note names members with `@Their Name`;
//! each one named hears of it in the dashboard (Mentions, with an unread
//! count beside it) and by email. Mentions are read from the text against
//! the team's names, so what the autocomplete inserts and what someone types
//! by hand mean the same. The server implements them in `TicketService`.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::components::format::first_words;
use crate::desk::Agent;
use crate::error::ServiceError;
use crate::tickets::TicketDetail;

pub const NOTE_MAX_CHARS: usize = 4000;
/// Notes one ticket holds at most: a ticket is worked, not chatted in.
pub const NOTES_PER_TICKET: i64 = 500;
/// Mentions the list shows at most, newest first.
pub const MENTIONS_SHOWN: usize = 100;

/// A note as the team reads it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketNote {
    pub id: String,
    /// The author's name as it was when they wrote it.
    pub author: String,
    pub body: String,
    pub at: i64,
}

/// A note that named the viewer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mention {
    pub id: String,
    pub ticket_id: String,
    pub ticket_number: i64,
    pub subject: String,
    pub author: String,
    /// The note, cut to a line or two.
    pub excerpt: String,
    pub at: i64,
    pub read: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MentionList {
    /// Newest first, at most [`MENTIONS_SHOWN`].
    pub mentions: Vec<Mention>,
    pub unread: u32,
}

/// A note's text: trimmed, its control characters out (line breaks and tabs kept),
/// 1 to [`NOTE_MAX_CHARS`] characters.
pub fn validate_note(text: &str) -> Result<String, ServiceError> {
    let text = crate::validate::clean_text(text);
    if text.is_empty() {
        return Err(ServiceError::invalid("body", "Write the note first."));
    }
    if text.chars().count() > NOTE_MAX_CHARS {
        return Err(ServiceError::invalid("body", format!("Keep a note under {NOTE_MAX_CHARS} characters.")));
    }
    Ok(text)
}

/// A piece of a note: text, or a member it names.
#[derive(Debug, Clone, PartialEq)]
pub enum NotePart {
    Text(String),
    Mention(Agent),
}

/// The note in pieces: each `@Name` of a member (the longest name that
/// matches, whatever its case, ending at a word's end) is a mention; an `@`
/// inside a word (an email address) is not.
pub fn note_parts(body: &str, team: &[Agent]) -> Vec<NotePart> {
    let chars: Vec<char> = body.chars().collect();
    let mut parts = Vec::new();
    let mut text = String::new();
    let mut i = 0;
    while i < chars.len() {
        let starts_word = i == 0 || !chars[i - 1].is_alphanumeric();
        let named = if chars[i] == '@' && starts_word { named_at(&chars[i + 1..], team) } else { None };
        match named {
            Some(agent) => {
                if !text.is_empty() {
                    parts.push(NotePart::Text(std::mem::take(&mut text)));
                }
                i += 1 + agent.name.chars().count();
                parts.push(NotePart::Mention(agent.clone()));
            }
            None => {
                text.push(chars[i]);
                i += 1;
            }
        }
    }
    if !text.is_empty() {
        parts.push(NotePart::Text(text));
    }
    parts
}

/// The member whose name `rest` starts with, the longest first.
fn named_at<'a>(rest: &[char], team: &'a [Agent]) -> Option<&'a Agent> {
    team.iter()
        .filter(|agent| {
            let name: Vec<char> = agent.name.chars().collect();
            !name.is_empty()
                && rest.len() >= name.len()
                && rest.iter().zip(&name).all(|(a, b)| a.to_lowercase().eq(b.to_lowercase()))
                && rest.get(name.len()).is_none_or(|next| !next.is_alphanumeric())
        })
        .max_by_key(|agent| agent.name.chars().count())
}

/// The members a note names, each once, in the order named.
pub fn mentioned(body: &str, team: &[Agent]) -> Vec<Agent> {
    let mut named: Vec<Agent> = Vec::new();
    for part in note_parts(body, team) {
        if let NotePart::Mention(agent) = part {
            if !named.iter().any(|a| a.id == agent.id) {
                named.push(agent);
            }
        }
    }
    named
}

/// What is being typed after an `@` just before the caret, with the `@`'s
/// place (in characters): `Some((4, "ma"))` for "Hey @ma|". `None` once the
/// word has a line break in it or is longer than a name would be.
pub fn mention_typed(before_caret: &str) -> Option<(usize, String)> {
    let chars: Vec<char> = before_caret.chars().collect();
    let at = chars.iter().rposition(|c| *c == '@')?;
    if at > 0 && chars[at - 1].is_alphanumeric() {
        return None;
    }
    let typed: String = chars[at + 1..].iter().collect();
    (typed.chars().count() <= 40 && !typed.contains('\n')).then_some((at, typed))
}

/// The members `typed` could be: a name or one of its words starting with
/// it, at most six.
pub fn mention_choices(typed: &str, team: &[Agent]) -> Vec<Agent> {
    let typed = typed.to_lowercase();
    team.iter()
        .filter(|agent| {
            let name = agent.name.to_lowercase();
            name.starts_with(&typed) || name.split_whitespace().any(|word| word.starts_with(&typed))
        })
        .take(6)
        .cloned()
        .collect()
}

/// A note's first words for a list or an email's subject line.
pub fn excerpt(body: &str) -> String {
    first_words(body, 160)
}

/// Adds a note to a ticket; each member it names hears of it.
#[server(endpoint = "tickets/note")]
pub async fn add_note(workspace_id: String, ticket_id: String, body: String) -> Result<TicketDetail, ServiceError> {
    let body = crate::services::with_status(validate_note(&body))?;
    crate::services::call(|s, caller| async move { s.tickets.add_note(&caller, &workspace_id, &ticket_id, body).await })
        .await
}

/// The notes that named the caller in the workspace, newest first.
#[server(endpoint = "mentions/list")]
pub async fn list_mentions(workspace_id: String) -> Result<MentionList, ServiceError> {
    crate::services::call(|s, caller| async move { s.tickets.mentions(&caller, &workspace_id, None).await }).await
}

/// Marks one of the caller's mentions read, or (`all`) every one.
#[server(endpoint = "mentions/read")]
pub async fn read_mentions(workspace_id: String, mention_id: String) -> Result<MentionList, ServiceError> {
    let which = match mention_id.as_str() {
        "all" => MentionsRead::All,
        _ => MentionsRead::One(mention_id),
    };
    crate::services::call(|s, caller| async move { s.tickets.mentions(&caller, &workspace_id, Some(which)).await })
        .await
}

/// Which of the caller's mentions become read.
#[derive(Debug, Clone, PartialEq)]
pub enum MentionsRead {
    One(String),
    All,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn team() -> Vec<Agent> {
        ["Ana", "Ana Lima", "Ben Carter", "Zoë"]
            .iter()
            .enumerate()
            .map(|(i, name)| Agent { id: format!("u{i}"), name: (*name).to_owned() })
            .collect()
    }

    fn ids(agents: &[Agent]) -> Vec<&str> {
        agents.iter().map(|a| a.id.as_str()).collect()
    }

    #[test]
    fn a_mention_is_the_longest_name_at_a_word_start_in_any_case() {
        let team = team();
        assert_eq!(ids(&mentioned("@ana lima can you call? cc @Ben Carter.", &team)), ["u1", "u2"]);
        assert_eq!(ids(&mentioned("@Ana, and @Ana again", &team)), ["u0"]);
        assert_eq!(ids(&mentioned("thanks @zoë!", &team)), ["u3"]);
        // Inside a word, or not ending at one: not a mention.
        assert!(mentioned("write to ana@example.com or @Anabel", &team).is_empty());
        assert!(mentioned("@Ben alone is nobody", &team).is_empty());
        let parts = note_parts("Hi @Ben Carter: done", &team);
        assert_eq!(
            parts,
            [NotePart::Text("Hi ".into()), NotePart::Mention(team[2].clone()), NotePart::Text(": done".into()),]
        );
    }

    #[test]
    fn what_is_typed_after_an_at_sign_finds_members() {
        assert_eq!(mention_typed("Hey @ma"), Some((4, "ma".to_owned())));
        assert_eq!(mention_typed("@"), Some((0, String::new())));
        assert_eq!(mention_typed("mail ana@ex"), None);
        assert_eq!(mention_typed("@ana\nnext"), None);
        assert_eq!(mention_typed("no sign"), None);
        let team = team();
        assert_eq!(ids(&mention_choices("car", &team)), ["u2"]);
        assert_eq!(ids(&mention_choices("AN", &team)), ["u0", "u1"]);
        assert_eq!(mention_choices("", &team).len(), 4);
    }

    #[test]
    fn a_note_is_kept_as_written_within_bounds() {
        assert_eq!(validate_note("  line one\nline\u{7} two ").unwrap(), "line one\nline two");
        assert!(validate_note(" \n ").is_err());
        assert!(validate_note(&"x".repeat(NOTE_MAX_CHARS + 1)).is_err());
        assert_eq!(excerpt("a\n b"), "a b");
        assert!(excerpt(&"word ".repeat(100)).ends_with("word…"));
    }
}
