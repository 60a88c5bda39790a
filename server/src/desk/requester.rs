//! A member writes to the requester of a ticket that has no conversation
//! (one opened by hand, say after a phone call): the email begins a
//! conversation on the email channel, which the ticket then follows, so the
//! requester's answer threads back into it as any emailed answer does.

use app::desk::Agent;
use app::error::ServiceError;
use app::tickets::TicketStatus;
use sqlx::AnyConnection;

use crate::chat::conversations::{self, NewConversation, EMAIL_ORIGIN};
use crate::error::AppError;
use crate::tickets::store;

pub const HAS_CONVERSATION: &str = "This ticket has a conversation: reply to the requester there.";
const NO_ADDRESS: &str = "Add the requester's email address to write to them.";
const CLOSED: &str = "This ticket is closed: reopen it to write to the requester.";

/// Begins the ticket's conversation with its requester (`to`, when the
/// ticket has no address yet), under the ticket's row lock so two members
/// writing at once cannot begin two. Answers the conversation's id.
pub async fn begin(
    tx: &mut AnyConnection,
    workspace_id: &str,
    ticket_id: &str,
    to: Option<&str>,
    by: &Agent,
    at: i64,
) -> Result<String, AppError> {
    if !store::hold(tx, workspace_id, ticket_id).await? {
        return Err(ServiceError::NotFound.into());
    }
    let ticket = store::get(&mut *tx, workspace_id, ticket_id, None).await?.ok_or(ServiceError::NotFound)?;
    if ticket.conversation_id.is_some() {
        return Err(ServiceError::Rejected(HAS_CONVERSATION.into()).into());
    }
    if ticket.status == TicketStatus::Closed {
        return Err(ServiceError::Rejected(CLOSED.into()).into());
    }
    let email =
        ticket.requester_email.or(to.map(str::to_owned)).ok_or_else(|| ServiceError::invalid("to", NO_ADDRESS))?;
    let id = uuid::Uuid::new_v4().to_string();
    let visitor = format!("email:{email}");
    let new = NewConversation {
        id: &id,
        workspace_id,
        visitor_id: &visitor,
        visitor_email: Some(&email),
        origin: EMAIL_ORIGIN,
        preview: false,
        at,
    };
    conversations::create(tx, &new).await?;
    store::follow_conversation(tx, workspace_id, ticket_id, &id, &email, at).await?;
    store::record(tx, ticket_id, workspace_id, Some(by), "emailed", None, Some(&email), at).await?;
    Ok(id)
}
