//! Read receipts: "Seen" under the visitor's message once a person from the
//! team has read it, and under the team's reply once the visitor's widget
//! has shown it. A receipt is a journal entry (`seen`), so it reaches the
//! other side live on any process and survives a reconnect; it is written
//! only when it is news (a message of the other side's not yet covered),
//! so repeating the call costs one query and journals nothing.

use serde::Serialize;
use sqlx::AnyConnection;

use crate::live::journal;

/// Who saw the other side's messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reader {
    Visitor,
    Team,
}

impl Reader {
    fn column(self) -> &'static str {
        match self {
            Reader::Visitor => "visitor_seen_at",
            Reader::Team => "team_seen_at",
        }
    }

    /// Whose messages this reader sees.
    fn sees(self) -> &'static str {
        match self {
            Reader::Visitor => "agent",
            Reader::Team => "visitor",
        }
    }

    /// When the reader's receipt counts. The team's, only while a person
    /// answers or the conversation waits for one: a visitor talking to the
    /// assistant is not told that someone browsing the inbox saw them.
    fn counts_when(self) -> &'static str {
        match self {
            Reader::Visitor => "",
            Reader::Team => "AND (assignee_id IS NOT NULL OR flagged_at IS NOT NULL)",
        }
    }
}

/// `reader` saw the other side's messages written up to `upto`: covers
/// them and journals `seen {by, at}` (`at`: the newest message covered)
/// when any was not yet covered. Answers the entry's number.
pub async fn saw(
    tx: &mut AnyConnection,
    workspace_id: &str,
    conversation_id: &str,
    reader: Reader,
    upto: i64,
) -> Result<Option<i64>, sqlx::Error> {
    let (column, author, counts_when) = (reader.column(), reader.sees(), reader.counts_when());
    let newest = format!(
        "SELECT MAX(m.created_at) FROM messages m
         WHERE m.conversation_id = conversations.id AND m.author = '{author}' AND m.created_at <= $1"
    );
    let at: Option<Option<i64>> = sqlx::query_scalar(&format!(
        "UPDATE conversations SET {column} = ({newest})
         WHERE id = $2 AND workspace_id = $3 {counts_when}
           AND ({newest}) > COALESCE({column}, -1)
         RETURNING {column}"
    ))
    .bind(upto)
    .bind(conversation_id)
    .bind(workspace_id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(Some(at)) = at else { return Ok(None) };
    let receipt = serde_json::json!({ "by": reader, "at": at });
    journal::append(tx, workspace_id, conversation_id, "seen", &receipt).await.map(Some)
}
