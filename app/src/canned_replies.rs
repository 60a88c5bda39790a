//! Canned replies: answers the team gives often, kept by admins under a
//! short name and put into a reply with `/name` in the inbox's reply box,
//! where their placeholders are filled for the conversation at hand
//! (`{{agent.first_name}}`, `{{visitor.email | your address}}`: after
//! `|`, what stands in when the value is unknown). The server keeps them
//! (`DeskService`); filling happens in the page, which knows every value.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::chat::MESSAGE_MAX_CHARS;
use crate::error::{FieldErrors, ServiceError};

/// Canned replies one workspace keeps at most.
pub const CANNED_PER_WORKSPACE: i64 = 200;
pub const SHORTCUT_MAX_CHARS: usize = 32;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CannedReply {
    pub id: String,
    /// Typed after `/` to find it: lowercase letters, digits and dashes.
    pub shortcut: String,
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CannedSetup {
    /// By shortcut.
    pub replies: Vec<CannedReply>,
    /// Whether the caller may add, change and remove them.
    pub can_edit: bool,
}

/// What a placeholder can name.
pub const PLACEHOLDERS: [(&str, &str); 6] = [
    ("agent.name", "your name"),
    ("agent.first_name", "your first name"),
    ("visitor.email", "the visitor's email, when they gave it"),
    ("workspace.name", "the workspace's name"),
    ("ticket.number", "the conversation's ticket number, when it has one"),
    ("conversation.url", "the page the visitor chatted from"),
];

/// The values a reply is filled with; `None` when not known.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PlaceholderValues {
    pub agent_name: String,
    pub visitor_email: Option<String>,
    pub workspace_name: String,
    pub ticket_number: Option<i64>,
    pub origin: Option<String>,
}

impl PlaceholderValues {
    fn get(&self, name: &str) -> Option<String> {
        match name {
            "agent.name" => Some(self.agent_name.clone()),
            "agent.first_name" => self.agent_name.split_whitespace().next().map(str::to_owned),
            "visitor.email" => self.visitor_email.clone(),
            "workspace.name" => Some(self.workspace_name.clone()),
            "ticket.number" => self.ticket_number.map(|n| format!("#{n}")),
            "conversation.url" => self.origin.clone(),
            _ => None,
        }
        .filter(|value| !value.trim().is_empty())
    }
}

/// A piece of a canned reply: text, or a placeholder with its stand-in.
#[derive(Debug, Clone, PartialEq)]
enum Piece<'a> {
    Text(&'a str),
    Placeholder { name: &'a str, fallback: Option<&'a str> },
}

/// The body in pieces; an error names what is wrong with a placeholder.
fn pieces(body: &str) -> Result<Vec<Piece<'_>>, String> {
    let mut out = Vec::new();
    let mut rest = body;
    while let Some(open) = rest.find("{{") {
        out.push(Piece::Text(&rest[..open]));
        let after = &rest[open + 2..];
        let close = after.find("}}").ok_or("A placeholder is not closed: end it with }}.")?;
        let inside = &after[..close];
        let (name, fallback) = match inside.split_once('|') {
            Some((name, fallback)) => (name.trim(), Some(fallback.trim())),
            None => (inside.trim(), None),
        };
        if !PLACEHOLDERS.iter().any(|(known, _)| *known == name) {
            let known: Vec<&str> = PLACEHOLDERS.iter().map(|(n, _)| *n).collect();
            return Err(format!("{{{{{name}}}}} is not a placeholder: use one of {}.", known.join(", ")));
        }
        out.push(Piece::Placeholder { name, fallback });
        rest = &after[close + 2..];
    }
    out.push(Piece::Text(rest));
    Ok(out)
}

/// The reply for this conversation: each placeholder its value, else its
/// stand-in, else nothing (and the spaces around it close up).
pub fn fill(body: &str, values: &PlaceholderValues) -> String {
    let Ok(pieces) = pieces(body) else { return body.to_owned() };
    let mut out = String::new();
    for piece in pieces {
        match piece {
            Piece::Text(text) => out.push_str(text),
            Piece::Placeholder { name, fallback } => match values.get(name).or(fallback.map(str::to_owned)) {
                Some(value) => out.push_str(&value),
                None => {
                    // "Hi {{visitor.name}}, …" without one reads "Hi, …".
                    while out.ends_with(' ') {
                        out.pop();
                    }
                }
            },
        }
    }
    out
}

/// A canned reply as typed into the editor, checked: a shortcut of plain
/// words, a body a visitor could be sent, placeholders that exist.
pub fn validate_canned(shortcut: &str, body: &str) -> Result<(String, String), ServiceError> {
    let mut errors = FieldErrors::new();
    let shortcut = shortcut.trim().trim_start_matches('/').to_lowercase();
    if shortcut.is_empty() {
        errors.insert("shortcut".into(), "Name it, such as refund-policy.".into());
    } else if !shortcut.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        errors.insert("shortcut".into(), "Use letters, digits and dashes, such as refund-policy.".into());
    } else if shortcut.chars().count() > SHORTCUT_MAX_CHARS {
        errors.insert("shortcut".into(), format!("Keep the name under {SHORTCUT_MAX_CHARS} characters."));
    }
    // Cleaned as the message it becomes will be (`validate_visitor_message`).
    let body: String = crate::validate::clean_text(body).chars().map(crate::chat::bidi_safe).collect();
    if body.is_empty() {
        errors.insert("body".into(), "Write the reply.".into());
    } else if body.chars().count() > MESSAGE_MAX_CHARS {
        errors.insert("body".into(), format!("Keep the reply under {MESSAGE_MAX_CHARS} characters, as a message."));
    } else if let Err(e) = pieces(&body) {
        errors.insert("body".into(), e);
    }
    if errors.is_empty() {
        Ok((shortcut, body))
    } else {
        Err(ServiceError::Invalid(errors))
    }
}

/// The replies whose shortcut or words hold `typed`, shortcuts that start
/// with it first; at most eight.
pub fn matching<'a>(typed: &str, replies: &'a [CannedReply]) -> Vec<&'a CannedReply> {
    let typed = typed.trim().to_lowercase();
    let mut starts: Vec<&CannedReply> = replies.iter().filter(|r| r.shortcut.starts_with(&typed)).collect();
    let holds = replies
        .iter()
        .filter(|r| !r.shortcut.starts_with(&typed))
        .filter(|r| r.shortcut.contains(&typed) || r.body.to_lowercase().contains(&typed));
    starts.extend(holds);
    starts.truncate(8);
    starts
}

#[server(endpoint = "canned/list")]
pub async fn list_canned(workspace_id: String) -> Result<CannedSetup, ServiceError> {
    crate::services::call(|s, caller| async move { s.desk.canned_replies(&caller, &workspace_id).await }).await
}

/// Adds a canned reply, or (with `reply_id`) changes one.
#[server(endpoint = "canned/save")]
pub async fn save_canned(
    workspace_id: String,
    #[server(default)] reply_id: String,
    shortcut: String,
    body: String,
) -> Result<CannedSetup, ServiceError> {
    let (shortcut, body) = crate::services::with_status(validate_canned(&shortcut, &body))?;
    let id = (!reply_id.is_empty()).then_some(reply_id);
    crate::services::call(|s, caller| async move {
        s.desk.save_canned_reply(&caller, &workspace_id, id, shortcut, body).await
    })
    .await
}

#[server(endpoint = "canned/delete")]
pub async fn delete_canned(workspace_id: String, reply_id: String) -> Result<CannedSetup, ServiceError> {
    crate::services::call(
        |s, caller| async move { s.desk.delete_canned_reply(&caller, &workspace_id, &reply_id).await },
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values() -> PlaceholderValues {
        PlaceholderValues {
            agent_name: "Maria Lopez".into(),
            visitor_email: None,
            workspace_name: "Demo Store".into(),
            ticket_number: Some(12),
            origin: Some("https://shop.example".into()),
        }
    }

    #[test]
    fn placeholders_take_their_value_else_their_stand_in_else_nothing() {
        let body =
            "Hi, {{agent.first_name}} from {{ workspace.name }} here. We'll write to {{visitor.email | your address}} \
                    about {{ticket.number}}.";
        assert_eq!(fill(body, &values()), "Hi, Maria from Demo Store here. We'll write to your address about #12.");
        let known = PlaceholderValues { visitor_email: Some("ada@example.com".into()), ..values() };
        assert!(fill(body, &known).contains("write to ada@example.com about"));
        let no_ticket = PlaceholderValues { ticket_number: None, ..values() };
        assert_eq!(fill("Your case {{ticket.number}}, noted.", &no_ticket), "Your case, noted.");
    }

    #[test]
    fn a_canned_reply_is_checked_before_it_is_kept() {
        assert_eq!(validate_canned(" /Refund-Policy ", " Full refunds within 30 days. ").unwrap().0, "refund-policy");
        let fields = |r: Result<(String, String), ServiceError>| match r {
            Err(ServiceError::Invalid(f)) => f.into_keys().collect::<Vec<_>>(),
            other => panic!("{other:?}"),
        };
        assert_eq!(fields(validate_canned("refund policy", "x")), ["shortcut"]);
        assert_eq!(fields(validate_canned("ok", "Hi {{visitor.nickname}}")), ["body"]);
        assert_eq!(fields(validate_canned("ok", "Hi {{agent.name")), ["body"]);
        assert_eq!(fields(validate_canned("", "")), ["body", "shortcut"]);
        let error = validate_canned("ok", "Hi {{visitor.nickname}}").unwrap_err().explained();
        assert!(error.contains("{{visitor.nickname}} is not a placeholder"), "{error}");
        let (_, body) = validate_canned("ok", "Paid \u{202E}321\u{202C} euros").unwrap();
        assert_eq!(body, "Paid  321  euros", "direction overrides become spaces, as in a message");
    }

    #[test]
    fn a_slash_finds_replies_by_name_first_then_by_words() {
        let reply = |shortcut: &str, body: &str| CannedReply {
            id: shortcut.into(),
            shortcut: shortcut.into(),
            body: body.into(),
        };
        let replies =
            [reply("hours", "We open at 9."), reply("refund", "Refunds take 5 days."), reply("thanks", "Thanks!")];
        let found: Vec<&str> = matching("re", &replies).iter().map(|r| r.shortcut.as_str()).collect();
        assert_eq!(found, ["refund"]);
        let found: Vec<&str> = matching("", &replies).iter().map(|r| r.shortcut.as_str()).collect();
        assert_eq!(found, ["hours", "refund", "thanks"]);
        let found: Vec<&str> = matching("open", &replies).iter().map(|r| r.shortcut.as_str()).collect();
        assert_eq!(found, ["hours"]);
    }
}
