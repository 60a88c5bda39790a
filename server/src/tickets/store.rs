//! Tickets as stored: numbered per workspace under the workspace row's
//! lock, at most one open or pending per conversation (a unique partial
//! index), and every change written with its history entry in the caller's
//! transaction. Named queries, each scoped to one workspace.

use app::chat::{ChatMessage, FlagReason, Priority};
use app::desk::Agent;
use app::sla::SlaKind;
use app::tickets::{subject_from, Ticket, TicketEvent, TicketRef, TicketSource, TicketStatus, TicketView};
use app::visitor_identity::plan_priority;
use sqlx::{Any, AnyConnection, Executor};

use super::sla::{self, Clocks, Terms};
use crate::chat::visitor_identities;
use crate::desk::settings;

const TICKET_COLUMNS: &str =
    "t.id, t.number, t.subject, t.status, t.priority, t.category, t.assignee_id, u.name, t.tags,
    t.requester_email, t.conversation_id, t.source, t.reason, t.created_at, t.updated_at,
    t.first_replied_at, t.awaiting_since, t.open_since, t.resolution_used_ms, t.sla_missed,
    t.merged_into, mt.number AS merged_number, mt.status AS merged_status";

/// The tables [`TICKET_COLUMNS`] reads: the ticket, its assignee, and the
/// ticket it was merged into.
const TICKET_TABLES: &str =
    "tickets t LEFT JOIN users u ON u.id = t.assignee_id LEFT JOIN tickets mt ON mt.id = t.merged_into";

#[derive(sqlx::FromRow)]
struct TicketRow {
    id: String,
    number: i64,
    subject: String,
    status: String,
    priority: String,
    category: String,
    assignee_id: Option<String>,
    name: Option<String>,
    tags: String,
    requester_email: Option<String>,
    conversation_id: Option<String>,
    source: String,
    reason: Option<String>,
    created_at: i64,
    updated_at: i64,
    sla_missed: i64,
    merged_into: Option<String>,
    merged_number: Option<i64>,
    merged_status: Option<String>,
    #[sqlx(flatten)]
    clocks: Clocks,
}

impl TicketRow {
    /// The ticket, with its running targets when `terms` are given.
    fn into_ticket(self, terms: Option<&Terms>) -> Ticket {
        let row = self;
        let source = match (row.source.as_str(), row.reason.as_deref().and_then(FlagReason::parse)) {
            ("escalation", Some(reason)) => TicketSource::Escalation(reason),
            ("email", _) => TicketSource::Email,
            _ => TicketSource::Agent,
        };
        let status = TicketStatus::parse(&row.status).unwrap_or(TicketStatus::Open);
        let priority = Priority::parse(&row.priority).unwrap_or(Priority::Normal);
        Ticket {
            id: row.id,
            number: row.number,
            subject: row.subject,
            status,
            priority,
            category: row.category,
            assignee: row.assignee_id.map(|id| Agent { id, name: row.name.unwrap_or_default() }),
            tags: row.tags.split_whitespace().map(str::to_owned).collect(),
            requester_email: row.requester_email,
            conversation_id: row.conversation_id,
            source,
            created_at: row.created_at,
            updated_at: row.updated_at,
            first_replied_at: row.clocks.first_replied_at,
            sla: terms.map(|terms| terms.timers(&row.clocks, priority, status)).unwrap_or_default(),
            sla_missed: u32::try_from(row.sla_missed).unwrap_or(0),
            merged_into: match (row.merged_into, row.merged_number) {
                (Some(id), Some(number)) => Some(TicketRef {
                    id,
                    number,
                    status: row.merged_status.as_deref().and_then(TicketStatus::parse).unwrap_or(TicketStatus::Open),
                }),
                _ => None,
            },
        }
    }
}

pub struct NewTicket<'a> {
    pub workspace_id: &'a str,
    pub conversation_id: Option<&'a str>,
    pub subject: &'a str,
    pub priority: Priority,
    pub requester_email: Option<&'a str>,
    pub source: TicketSource,
    pub at: i64,
}

/// Opens a ticket with the workspace's next number, and its first history
/// entry; answers its id.
/// Takes the workspace's row lock until `tx` ends, as ticket numbering
/// does: whatever counts or drains under it happens one at a time per
/// workspace, even across processes.
pub async fn lock_workspace(tx: &mut AnyConnection, workspace_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE workspaces SET ticket_seq = ticket_seq WHERE id = $1")
        .bind(workspace_id)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

pub async fn insert(tx: &mut AnyConnection, new: &NewTicket<'_>, by: Option<&Agent>) -> Result<String, sqlx::Error> {
    let number: i64 =
        sqlx::query_scalar("UPDATE workspaces SET ticket_seq = ticket_seq + 1 WHERE id = $1 RETURNING ticket_seq")
            .bind(new.workspace_id)
            .fetch_one(&mut *tx)
            .await?;
    let id = uuid::Uuid::new_v4().to_string();
    let (source, reason) = match new.source {
        TicketSource::Escalation(reason) => ("escalation", Some(reason.as_str())),
        TicketSource::Agent => ("agent", None),
        TicketSource::Email => ("email", None),
    };
    sqlx::query(
        "INSERT INTO tickets (id, workspace_id, number, conversation_id, subject, status, priority, requester_email,
                              source, reason, created_at, updated_at, open_since)
         VALUES ($1, $2, $3, $4, $5, 'open', $6, $7, $8, $9, $10, $10, $10)",
    )
    .bind(&id)
    .bind(new.workspace_id)
    .bind(number)
    .bind(new.conversation_id)
    .bind(new.subject)
    .bind(new.priority.as_str())
    .bind(new.requester_email)
    .bind(source)
    .bind(reason)
    .bind(new.at)
    .execute(&mut *tx)
    .await?;
    record(tx, &id, new.workspace_id, by, "opened", None, None, new.at).await?;
    Ok(id)
}

/// One line of a ticket's history.
#[allow(clippy::too_many_arguments)]
pub async fn record(
    tx: &mut AnyConnection,
    ticket_id: &str,
    workspace_id: &str,
    by: Option<&Agent>,
    kind: &str,
    from: Option<&str>,
    to: Option<&str>,
    at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO ticket_events (id, ticket_id, workspace_id, n, actor_id, actor_name, kind, from_value, to_value, at)
         SELECT $1, $2, $3, COALESCE(MAX(n), 0) + 1, $4, $5, $6, $7, $8, $9 FROM ticket_events WHERE ticket_id = $2",
    )
    .bind(uuid::Uuid::new_v4().to_string())
    .bind(ticket_id)
    .bind(workspace_id)
    .bind(by.map(|a| a.id.as_str()))
    .bind(by.map(|a| a.name.as_str()))
    .bind(kind)
    .bind(from)
    .bind(to)
    .bind(at)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// A field of a ticket a member may change.
#[derive(Debug, Clone, Copy)]
pub enum Field {
    Status,
    Priority,
    Category,
    Assignee,
    Subject,
    /// Stored as [`stored_tags`] makes them.
    Tags,
}

impl Field {
    fn column(self) -> &'static str {
        match self {
            Field::Status => "status",
            Field::Priority => "priority",
            Field::Category => "category",
            Field::Assignee => "assignee_id",
            Field::Subject => "subject",
            Field::Tags => "tags",
        }
    }

    pub fn kind(self) -> &'static str {
        match self {
            Field::Status => "status",
            Field::Priority => "priority",
            Field::Category => "category",
            Field::Assignee => "assignee",
            Field::Subject => "subject",
            Field::Tags => "tags",
        }
    }
}

/// Tags as the `tags` column keeps them: " vip refund ", so `LIKE '% vip %'`
/// finds one (tags are plain words: `app::tickets::parse_tags`).
pub fn stored_tags(tags: &[String]) -> String {
    if tags.is_empty() {
        String::new()
    } else {
        format!(" {} ", tags.join(" "))
    }
}

/// Sets one field; a status goes through [`set_status`].
pub async fn set(
    tx: &mut AnyConnection,
    workspace_id: &str,
    ticket_id: &str,
    field: Field,
    value: Option<&str>,
    at: i64,
) -> Result<(), sqlx::Error> {
    if let Field::Status = field {
        let status = value.and_then(TicketStatus::parse).unwrap_or(TicketStatus::Open);
        return set_status(tx, workspace_id, ticket_id, status, at).await;
    }
    let sql =
        format!("UPDATE tickets SET {} = $1, updated_at = $2 WHERE id = $3 AND workspace_id = $4", field.column());
    sqlx::query(&sql).bind(value).bind(at).bind(ticket_id).bind(workspace_id).execute(&mut *tx).await?;
    Ok(())
}

/// Moves a ticket to `status`; `solved_at` and the resolution's clock
/// follow: it runs only while the ticket is open, and a ticket solved or
/// closed past its target has the miss in its history.
pub async fn set_status(
    tx: &mut AnyConnection,
    workspace_id: &str,
    ticket_id: &str,
    status: TicketStatus,
    at: i64,
) -> Result<(), sqlx::Error> {
    let found: Option<(String, String, i64, Option<i64>, i64)> = sqlx::query_as(
        "SELECT status, priority, created_at, open_since, resolution_used_ms FROM tickets
         WHERE id = $1 AND workspace_id = $2",
    )
    .bind(ticket_id)
    .bind(workspace_id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((was, priority, created_at, open_since, mut used)) = found else { return Ok(()) };
    let was = TicketStatus::parse(&was).unwrap_or(TicketStatus::Open);
    let priority = Priority::parse(&priority).unwrap_or(Priority::Normal);
    let terms = sla::terms(&mut *tx, workspace_id).await?;
    if was == TicketStatus::Open && status != TicketStatus::Open {
        used += terms.working_ms(open_since.unwrap_or(created_at), at);
    }
    let open_since = match status {
        TicketStatus::Open if was == TicketStatus::Open => open_since.or(Some(at)),
        TicketStatus::Open => Some(at),
        _ => None,
    };
    let solved_at = (status == TicketStatus::Solved).then_some(at);
    sqlx::query(
        "UPDATE tickets SET status = $1, updated_at = $2, solved_at = $3, open_since = $4, resolution_used_ms = $5
         WHERE id = $6 AND workspace_id = $7",
    )
    .bind(status.as_str())
    .bind(at)
    .bind(solved_at)
    .bind(open_since)
    .bind(used)
    .bind(ticket_id)
    .bind(workspace_id)
    .execute(&mut *tx)
    .await?;
    if was.is_live() && !status.is_live() {
        if let Some(by) = terms.resolution_missed_by(priority, used) {
            missed(tx, workspace_id, ticket_id, SlaKind::Resolution, by, at).await?;
        }
    }
    Ok(())
}

/// A target missed, by `by` ms: counted on the ticket and told in its history.
async fn missed(
    tx: &mut AnyConnection,
    workspace_id: &str,
    ticket_id: &str,
    kind: SlaKind,
    by: i64,
    at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE tickets SET sla_missed = sla_missed + 1 WHERE id = $1 AND workspace_id = $2")
        .bind(ticket_id)
        .bind(workspace_id)
        .execute(&mut *tx)
        .await?;
    record(tx, ticket_id, workspace_id, None, "sla", Some(&by.to_string()), Some(kind.as_str()), at).await
}

/// A live ticket's id, priority, opening, first reply and awaiting-since.
type ReplyClocks = (String, String, i64, Option<i64>, Option<i64>);

/// The team replied in the conversation at `at`: its live ticket's first
/// reply, or the reply the requester was waiting for; a reply later than
/// its target is a miss in the history. Answers the ticket when it changed.
pub async fn on_team_reply(
    tx: &mut AnyConnection,
    workspace_id: &str,
    conversation_id: &str,
    at: i64,
) -> Result<Option<String>, sqlx::Error> {
    let found: Option<ReplyClocks> = sqlx::query_as(
        "SELECT id, priority, created_at, first_replied_at, awaiting_since FROM tickets
         WHERE conversation_id = $1 AND workspace_id = $2 AND status IN ('open', 'pending')",
    )
    .bind(conversation_id)
    .bind(workspace_id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((ticket, priority, created_at, first_replied_at, awaiting_since)) = found else { return Ok(None) };
    let (kind, since) = match (first_replied_at, awaiting_since) {
        (None, _) => (SlaKind::FirstReply, created_at),
        (Some(_), Some(since)) => (SlaKind::NextReply, since),
        (Some(_), None) => return Ok(None),
    };
    sqlx::query(
        "UPDATE tickets SET first_replied_at = COALESCE(first_replied_at, $1), awaiting_since = NULL
         WHERE id = $2 AND workspace_id = $3",
    )
    .bind(at)
    .bind(&ticket)
    .bind(workspace_id)
    .execute(&mut *tx)
    .await?;
    let terms = sla::terms(&mut *tx, workspace_id).await?;
    let priority = Priority::parse(&priority).unwrap_or(Priority::Normal);
    if let Some(by) = terms.reply_missed_by(kind, priority, since, at) {
        missed(tx, workspace_id, &ticket, kind, by, at).await?;
    }
    Ok(Some(ticket))
}

/// A ticket of the workspace, with its running targets when `terms` are given.
pub async fn get<'e>(
    db: impl Executor<'e, Database = Any>,
    workspace_id: &str,
    ticket_id: &str,
    terms: Option<&Terms>,
) -> Result<Option<Ticket>, sqlx::Error> {
    let sql = format!("SELECT {TICKET_COLUMNS} FROM {TICKET_TABLES} WHERE t.id = $1 AND t.workspace_id = $2");
    let row: Option<TicketRow> = sqlx::query_as(&sql).bind(ticket_id).bind(workspace_id).fetch_optional(db).await?;
    Ok(row.map(|row| row.into_ticket(terms)))
}

/// Most urgent first, then the longest waiting; solved and closed ones newest first.
const PRIORITY_RANK: &str = "CASE t.priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 WHEN 'normal' THEN 2 ELSE 3 END";

fn view_condition(view: TicketView) -> &'static str {
    match view {
        TicketView::Live => "t.status IN ('open', 'pending')",
        TicketView::Mine => "t.status IN ('open', 'pending') AND t.assignee_id = $2",
        TicketView::Unassigned => "t.status IN ('open', 'pending') AND t.assignee_id IS NULL",
        TicketView::Solved => "t.status = 'solved'",
        TicketView::Closed => "t.status = 'closed'",
    }
}

pub async fn list<'e>(
    db: impl Executor<'e, Database = Any>,
    workspace_id: &str,
    view: TicketView,
    tag: Option<&str>,
    me: &str,
    limit: usize,
    terms: &Terms,
) -> Result<Vec<Ticket>, sqlx::Error> {
    let order = match view {
        TicketView::Solved | TicketView::Closed => "t.updated_at DESC".to_owned(),
        _ => format!("{PRIORITY_RANK}, t.created_at"),
    };
    // `$2` is bound for every view so the numbering stays the same; only `Mine` reads it.
    let sql = format!(
        "SELECT {TICKET_COLUMNS} FROM {TICKET_TABLES}
         WHERE t.workspace_id = $1 AND ($2 = $2) AND {} AND ($3 = '' OR t.tags LIKE $3)
         ORDER BY {order}, t.number LIMIT {limit}",
        view_condition(view)
    );
    let tagged = tag.map_or_else(String::new, |tag| format!("% {tag} %"));
    let rows: Vec<TicketRow> = sqlx::query_as(&sql).bind(workspace_id).bind(me).bind(tagged).fetch_all(db).await?;
    Ok(rows.into_iter().map(|row| row.into_ticket(Some(terms))).collect())
}

/// How many tickets each view holds, in [`TicketView::ALL`]'s order.
pub async fn counts<'e>(
    db: impl Executor<'e, Database = Any>,
    workspace_id: &str,
    me: &str,
) -> Result<Vec<u32>, sqlx::Error> {
    let (live, mine, unassigned, solved, closed): (i64, i64, i64, i64, i64) = sqlx::query_as(
        "SELECT
            COUNT(CASE WHEN status IN ('open', 'pending') THEN 1 END),
            COUNT(CASE WHEN status IN ('open', 'pending') AND assignee_id = $2 THEN 1 END),
            COUNT(CASE WHEN status IN ('open', 'pending') AND assignee_id IS NULL THEN 1 END),
            COUNT(CASE WHEN status = 'solved' THEN 1 END),
            COUNT(CASE WHEN status = 'closed' THEN 1 END)
         FROM tickets WHERE workspace_id = $1",
    )
    .bind(workspace_id)
    .bind(me)
    .fetch_one(db)
    .await?;
    Ok([live, mine, unassigned, solved, closed].map(|n| u32::try_from(n).unwrap_or(u32::MAX)).to_vec())
}

/// Who (by name), what, from, to, when.
type EventRow = (Option<String>, String, Option<String>, Option<String>, i64);

pub async fn history<'e>(
    db: impl Executor<'e, Database = Any>,
    workspace_id: &str,
    ticket_id: &str,
) -> Result<Vec<TicketEvent>, sqlx::Error> {
    let rows: Vec<EventRow> = sqlx::query_as(
        "SELECT actor_name, kind, from_value, to_value, at FROM ticket_events
         WHERE ticket_id = $1 AND workspace_id = $2 ORDER BY n",
    )
    .bind(ticket_id)
    .bind(workspace_id)
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|(actor, kind, from, to, at)| TicketEvent { actor, kind, from, to, at }).collect())
}

/// Takes the conversation's row lock for the rest of the transaction, as
/// every path that opens, reopens or solves its ticket does first (an
/// escalation updates the conversation before it gets here): checking for a
/// live ticket and opening one are then never interleaved, and the unique
/// index never fails someone's reply. `false` when the workspace has no
/// such conversation.
pub async fn hold_conversation(
    tx: &mut AnyConnection,
    workspace_id: &str,
    conversation_id: &str,
) -> Result<bool, sqlx::Error> {
    let held = sqlx::query("UPDATE conversations SET updated_at = updated_at WHERE id = $1 AND workspace_id = $2")
        .bind(conversation_id)
        .bind(workspace_id)
        .execute(&mut *tx)
        .await?;
    Ok(held.rows_affected() > 0)
}

/// Whether a member has chosen the ticket's category.
pub async fn category_chosen(tx: &mut AnyConnection, ticket_id: &str) -> Result<bool, sqlx::Error> {
    let chosen: Option<i64> = sqlx::query_scalar(
        "SELECT 1 FROM ticket_events WHERE ticket_id = $1 AND kind = 'category' AND actor_id IS NOT NULL LIMIT 1",
    )
    .bind(ticket_id)
    .fetch_optional(&mut *tx)
    .await?;
    Ok(chosen.is_some())
}

/// Takes the ticket's row lock, so a change reads what it changes from.
pub async fn hold(tx: &mut AnyConnection, workspace_id: &str, ticket_id: &str) -> Result<bool, sqlx::Error> {
    let held = sqlx::query("UPDATE tickets SET updated_at = updated_at WHERE id = $1 AND workspace_id = $2")
        .bind(ticket_id)
        .bind(workspace_id)
        .execute(&mut *tx)
        .await?;
    Ok(held.rows_affected() > 0)
}

/// The ticket follows a conversation begun for it (`desk/requester.rs`),
/// with the address it was begun with as its requester's.
pub async fn follow_conversation(
    tx: &mut AnyConnection,
    workspace_id: &str,
    ticket_id: &str,
    conversation_id: &str,
    requester_email: &str,
    at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE tickets SET conversation_id = $1, requester_email = $2, updated_at = $3
         WHERE id = $4 AND workspace_id = $5 AND conversation_id IS NULL",
    )
    .bind(conversation_id)
    .bind(requester_email)
    .bind(at)
    .bind(ticket_id)
    .bind(workspace_id)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// The conversation's ticket being worked on, if any.
pub async fn live_for_conversation(
    tx: &mut AnyConnection,
    workspace_id: &str,
    conversation_id: &str,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT id FROM tickets WHERE conversation_id = $1 AND workspace_id = $2 AND status IN ('open', 'pending')",
    )
    .bind(conversation_id)
    .bind(workspace_id)
    .fetch_optional(&mut *tx)
    .await
}

/// The conversation's ticket being worked on, else its latest one.
pub async fn of_conversation<'e>(
    db: impl Executor<'e, Database = Any>,
    workspace_id: &str,
    conversation_id: &str,
) -> Result<Option<TicketRef>, sqlx::Error> {
    let found: Option<(String, i64, String)> = sqlx::query_as(
        "SELECT id, number, status FROM tickets WHERE conversation_id = $1 AND workspace_id = $2
         ORDER BY CASE WHEN status IN ('open', 'pending') THEN 0 ELSE 1 END, created_at DESC, number DESC LIMIT 1",
    )
    .bind(conversation_id)
    .bind(workspace_id)
    .fetch_optional(db)
    .await?;
    Ok(found.map(|(id, number, status)| TicketRef {
        id,
        number,
        status: TicketStatus::parse(&status).unwrap_or(TicketStatus::Open),
    }))
}

/// A conversation that needs a person becomes a ticket, unless one is
/// already being worked on: its subject the visitor's first words, its
/// priority the conversation's (or the one the identified visitor's plan
/// asks for, if higher), its requester the visitor's email. Answers
/// the new ticket's id, for the caller to categorise once committed.
pub async fn escalate(
    tx: &mut AnyConnection,
    workspace_id: &str,
    conversation_id: &str,
    reason: FlagReason,
    at: i64,
) -> Result<Option<String>, sqlx::Error> {
    open_for_conversation(tx, workspace_id, conversation_id, TicketSource::Escalation(reason), None, at).await
}

/// An email to the support address, stored as the conversation's first
/// message, becomes its ticket under the email's `subject`.
pub async fn open_for_email(
    tx: &mut AnyConnection,
    workspace_id: &str,
    conversation_id: &str,
    subject: &str,
    at: i64,
) -> Result<Option<String>, sqlx::Error> {
    open_for_conversation(tx, workspace_id, conversation_id, TicketSource::Email, Some(subject), at).await
}

/// The conversation's ticket from `source`, unless one is being worked on;
/// named `subject`, else by the visitor's first words.
async fn open_for_conversation(
    tx: &mut AnyConnection,
    workspace_id: &str,
    conversation_id: &str,
    source: TicketSource,
    subject: Option<&str>,
    at: i64,
) -> Result<Option<String>, sqlx::Error> {
    if live_for_conversation(tx, workspace_id, conversation_id).await?.is_some() {
        return Ok(None);
    }
    let found: Option<(String, Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT c.priority, c.visitor_email,
                (SELECT m.body FROM messages m WHERE m.conversation_id = c.id AND m.author = 'visitor'
                 ORDER BY m.created_at, m.id LIMIT 1)
         FROM conversations c WHERE c.id = $1 AND c.workspace_id = $2",
    )
    .bind(conversation_id)
    .bind(workspace_id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((priority, email, first)) = found else { return Ok(None) };
    let priority = Priority::parse(&priority).unwrap_or(Priority::Normal);
    // An identified requester's plan may ask for more.
    let plan = visitor_identities::of_conversation(&mut *tx, workspace_id, conversation_id).await?.and_then(|v| v.plan);
    let ranked = settings::plan_priorities(&mut *tx, workspace_id).await?;
    let raised = plan_priority(&ranked, plan.as_deref()).filter(|least| *least > priority);
    let subject = match (subject, source) {
        (Some(subject), _) => subject.to_owned(),
        (None, TicketSource::Escalation(reason)) => subject_from(first.as_deref().unwrap_or(reason.label())),
        (None, _) => subject_from(first.as_deref().unwrap_or_default()),
    };
    let new = NewTicket {
        workspace_id,
        conversation_id: Some(conversation_id),
        subject: &subject,
        priority: raised.unwrap_or(priority),
        requester_email: email.as_deref(),
        source,
        at,
    };
    let id = insert(tx, &new, None).await?;
    if let (Some(raised), Some(plan)) = (raised, &plan) {
        record(tx, &id, workspace_id, None, "plan_priority", Some(plan), Some(raised.as_str()), at).await?;
        // The inbox orders waiting conversations by the same priority.
        sqlx::query("UPDATE conversations SET priority = $1 WHERE id = $2 AND workspace_id = $3")
            .bind(raised.as_str())
            .bind(conversation_id)
            .bind(workspace_id)
            .execute(&mut *tx)
            .await?;
    }
    Ok(Some(id))
}

/// The requester wrote `message` in the conversation: a ticket opened
/// before they wrote anything (they asked for a person first) takes their
/// first words as its subject, a pending or solved one opens again, and
/// the next reply's clock starts. A reply where the ticket was merged into another
/// reaches that one (`merge::reply_goes_to`). Answers the ticket, if there is one.
pub async fn on_requester_reply(
    tx: &mut AnyConnection,
    workspace_id: &str,
    conversation_id: &str,
    message: &ChatMessage,
) -> Result<Option<String>, sqlx::Error> {
    let at = message.created_at;
    let unnamed: Option<(String, String)> = sqlx::query_as(
        "SELECT id, subject FROM tickets
         WHERE conversation_id = $1 AND workspace_id = $2 AND status IN ('open', 'pending') AND source = 'escalation'
           AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = $1 AND m.author = 'visitor' AND m.id <> $3)",
    )
    .bind(conversation_id)
    .bind(workspace_id)
    .bind(&message.id)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some((ticket, before)) = unnamed {
        let subject = subject_from(&message.body);
        sqlx::query("UPDATE tickets SET subject = $1, updated_at = $2 WHERE id = $3 AND workspace_id = $4")
            .bind(&subject)
            .bind(at)
            .bind(&ticket)
            .bind(workspace_id)
            .execute(&mut *tx)
            .await?;
        record(tx, &ticket, workspace_id, None, "subject", Some(&before), Some(&subject), at).await?;
    }
    let live: Option<(String, String)> = sqlx::query_as(
        "SELECT id, status FROM tickets WHERE conversation_id = $1 AND workspace_id = $2 AND status IN ('open', 'pending')",
    )
    .bind(conversation_id)
    .bind(workspace_id)
    .fetch_optional(&mut *tx)
    .await?;
    let found = match live {
        Some(found) => Some(found),
        None => super::merge::reply_goes_to(tx, workspace_id, conversation_id).await?,
    };
    let Some((ticket, status)) = found else { return Ok(None) };
    match TicketStatus::parse(&status) {
        // Pending waited on the requester: their reply hands it back to the team.
        Some(TicketStatus::Pending) => {
            set_status(tx, workspace_id, &ticket, TicketStatus::Open, at).await?;
            record(tx, &ticket, workspace_id, None, "status", Some("pending"), Some("open"), at).await?;
        }
        Some(TicketStatus::Solved) => {
            set_status(tx, workspace_id, &ticket, TicketStatus::Open, at).await?;
            record(tx, &ticket, workspace_id, None, "reopened", Some("solved"), Some("open"), at).await?;
        }
        _ => {}
    }
    // After the team's first reply, the requester now waits for the next one.
    sqlx::query(
        "UPDATE tickets SET awaiting_since = $1
         WHERE id = $2 AND workspace_id = $3 AND first_replied_at IS NOT NULL AND awaiting_since IS NULL",
    )
    .bind(at)
    .bind(&ticket)
    .bind(workspace_id)
    .execute(&mut *tx)
    .await?;
    Ok(Some(ticket))
}

/// Resolving a conversation solves its ticket being worked on; answers
/// that ticket, if there was one.
pub async fn solve_with_conversation(
    tx: &mut AnyConnection,
    workspace_id: &str,
    conversation_id: &str,
    by: &Agent,
    at: i64,
) -> Result<Option<String>, sqlx::Error> {
    let Some(ticket) = live_for_conversation(tx, workspace_id, conversation_id).await? else { return Ok(None) };
    let from: String =
        sqlx::query_scalar("SELECT status FROM tickets WHERE id = $1").bind(&ticket).fetch_one(&mut *tx).await?;
    record(tx, &ticket, workspace_id, Some(by), "status", Some(&from), Some("solved"), at).await?;
    set_status(tx, workspace_id, &ticket, TicketStatus::Solved, at).await?;
    Ok(Some(ticket))
}
