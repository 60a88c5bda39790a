//! Merging duplicates, as stored: the duplicate is closed and points at the
//! ticket that goes on; its notes (and their mentions) move there, its tags
//! join that ticket's, its requester's address fills a gap; both histories
//! say so. A requester who answers in the duplicate's conversation reaches
//! the ticket it went into. Named queries in the caller's transaction,
//! each scoped to one workspace.

use app::desk::Agent;
use app::error::ServiceError;
use app::ticket_notes::NOTES_PER_TICKET;
use app::tickets::{MergeCandidate, Ticket, TicketStatus, MAX_TAGS};
use sqlx::{Any, AnyConnection, Executor};

use super::store::{self, Field};
use crate::error::AppError;

/// Merges are followed this far at most (each target was live when merged
/// into, so chains are short; the bound only guards against a loop).
const HOPS: usize = 5;

/// The workspace's ticket numbered `number`.
pub async fn id_of_number(
    tx: &mut AnyConnection,
    workspace_id: &str,
    number: i64,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT id FROM tickets WHERE workspace_id = $1 AND number = $2")
        .bind(workspace_id)
        .bind(number)
        .fetch_optional(&mut *tx)
        .await
}

/// Merges `source` into `target`, both held by the caller, as `by`.
pub async fn merge(
    tx: &mut AnyConnection,
    workspace_id: &str,
    source: &Ticket,
    target: &Ticket,
    by: &Agent,
    at: i64,
) -> Result<(), AppError> {
    if source.id == target.id {
        return Err(ServiceError::invalid("into", "A ticket cannot be merged into itself.").into());
    }
    if source.status == TicketStatus::Closed {
        return Err(ServiceError::Rejected("This ticket is closed: it can no longer be merged.".into()).into());
    }
    if target.status == TicketStatus::Closed {
        let closed = format!("Ticket #{} is closed: merge into one still being worked on.", target.number);
        return Err(ServiceError::Rejected(closed).into());
    }
    let notes: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM ticket_notes WHERE workspace_id = $1 AND ticket_id IN ($2, $3)")
            .bind(workspace_id)
            .bind(&source.id)
            .bind(&target.id)
            .fetch_one(&mut *tx)
            .await?;
    if notes > NOTES_PER_TICKET {
        let full = format!("Together these tickets hold more than {NOTES_PER_TICKET} notes, more than one ticket can.");
        return Err(ServiceError::Rejected(full).into());
    }
    for table in ["ticket_notes", "mentions"] {
        sqlx::query(&format!("UPDATE {table} SET ticket_id = $1 WHERE ticket_id = $2 AND workspace_id = $3"))
            .bind(&target.id)
            .bind(&source.id)
            .bind(workspace_id)
            .execute(&mut *tx)
            .await?;
    }
    let mut tags = target.tags.clone();
    for tag in &source.tags {
        if !tags.contains(tag) && tags.len() < MAX_TAGS {
            tags.push(tag.clone());
        }
    }
    if tags != target.tags {
        let listed = |tags: &[String]| tags.join(", ");
        let (from, to) = (listed(&target.tags), listed(&tags));
        store::record(tx, &target.id, workspace_id, Some(by), "tags", Some(&from), Some(&to), at).await?;
        store::set(tx, workspace_id, &target.id, Field::Tags, Some(&store::stored_tags(&tags)), at).await?;
    }
    if target.requester_email.is_none() && source.requester_email.is_some() {
        sqlx::query("UPDATE tickets SET requester_email = $1 WHERE id = $2 AND workspace_id = $3")
            .bind(&source.requester_email)
            .bind(&target.id)
            .bind(workspace_id)
            .execute(&mut *tx)
            .await?;
    }
    let (into, from) = (format!("#{}", target.number), format!("#{}", source.number));
    store::record(tx, &target.id, workspace_id, Some(by), "merged_in", None, Some(&from), at).await?;
    store::record(tx, &source.id, workspace_id, Some(by), "merged", None, Some(&into), at).await?;
    store::set_status(tx, workspace_id, &source.id, TicketStatus::Closed, at).await?;
    sqlx::query("UPDATE tickets SET merged_into = $1 WHERE id = $2 AND workspace_id = $3")
        .bind(&target.id)
        .bind(&source.id)
        .bind(workspace_id)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Where a requester's reply goes when the conversation has no ticket
/// being worked on: its latest solved ticket, or, when one of its tickets
/// was merged since, the ticket that went on (if it is still worked on, or
/// solved and may open again). Answers (id, status).
pub async fn reply_goes_to(
    tx: &mut AnyConnection,
    workspace_id: &str,
    conversation_id: &str,
) -> Result<Option<(String, String)>, sqlx::Error> {
    let latest: Option<(String, String, Option<String>)> = sqlx::query_as(
        "SELECT id, status, merged_into FROM tickets
         WHERE conversation_id = $1 AND workspace_id = $2 AND (status = 'solved' OR merged_into IS NOT NULL)
         ORDER BY updated_at DESC, number DESC LIMIT 1",
    )
    .bind(conversation_id)
    .bind(workspace_id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((mut id, mut status, mut next)) = latest else { return Ok(None) };
    for _ in 0..HOPS {
        let Some(target) = next else { break };
        let found: Option<(String, Option<String>, Option<String>)> = sqlx::query_as(
            "SELECT status, merged_into, conversation_id FROM tickets WHERE id = $1 AND workspace_id = $2",
        )
        .bind(&target)
        .bind(workspace_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((target_status, merged_into, conversation)) = found else { return Ok(None) };
        // A solved target opens again only if its own conversation has no other
        // ticket worked on. Read, not locked: the caller holds this conversation,
        // and taking another's lock here could wait on a merge taking both in id order.
        if target_status == TicketStatus::Solved.as_str() && merged_into.is_none() {
            if let Some(conversation) = conversation {
                if store::live_for_conversation(tx, workspace_id, &conversation).await?.is_some() {
                    return Ok(None);
                }
            }
        }
        (id, status, next) = (target, target_status, merged_into);
    }
    let goes_on =
        matches!(TicketStatus::parse(&status), Some(TicketStatus::Open | TicketStatus::Pending | TicketStatus::Solved));
    Ok((next.is_none() && goes_on).then_some((id, status)))
}

/// Likely duplicates of the ticket: others being worked on for the same
/// requester, newest first.
pub async fn candidates<'e>(
    db: impl Executor<'e, Database = Any>,
    workspace_id: &str,
    ticket: &Ticket,
) -> Result<Vec<MergeCandidate>, sqlx::Error> {
    let Some(email) = &ticket.requester_email else { return Ok(Vec::new()) };
    let rows: Vec<(String, i64, String, String)> = sqlx::query_as(
        "SELECT id, number, subject, status FROM tickets
         WHERE workspace_id = $1 AND requester_email = $2 AND id <> $3 AND status IN ('open', 'pending')
         ORDER BY created_at DESC LIMIT 5",
    )
    .bind(workspace_id)
    .bind(email)
    .bind(&ticket.id)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, number, subject, status)| MergeCandidate {
            id,
            number,
            subject,
            status: TicketStatus::parse(&status).unwrap_or(TicketStatus::Open),
        })
        .collect())
}
