//! `TicketService`: tickets, opened when a conversation is escalated
//! (`store::escalate`, in the escalation's own transaction) or by a member,
//! and worked by any member: status, priority, category, assignee, each
//! change in the ticket's history under the member's name; measured
//! against the workspace's service level targets (`sla.rs`), which admins
//! set; routed to the team as the workspace chooses (`routing.rs`).

pub mod categories;
pub mod merge;
pub mod notes;
pub mod routing;
pub mod sla;
pub mod store;

use std::sync::Arc;

use app::chat::Priority;
use app::desk::Agent;
use app::error::ServiceError;
use app::permissions::Action;
use app::routing::{validate_routing, RoutingInput, RoutingSetup};
use app::services::{Caller, TicketService};
use app::sla::{SlaPolicy, SlaSetup};
use app::ticket_categories::{label_of, CategorySetup, TicketCategory};
use app::ticket_notes::{excerpt, mentioned, MentionList, MentionsRead, NOTES_PER_TICKET};
use app::tickets::{Ticket, TicketChange, TicketDetail, TicketList, TicketSource, TicketView, TICKETS_PAGE};

use crate::accounts::mailer::Email;
use crate::accounts::Accounts;
use crate::chat::{conversations, visitor_identities};
use crate::desk::{inbox, settings};
use crate::error::AppError;
use crate::live::Live;
use crate::sql::{now_millis, SqlStore};
use categories::Categorizer;
use store::Field;

const ALREADY_LIVE: &str = "This conversation already has a ticket being worked on: open that one.";

pub struct Tickets {
    sql: SqlStore,
    accounts: Arc<Accounts>,
    categorizer: Arc<Categorizer>,
    live: Arc<Live>,
}

impl Tickets {
    pub fn new(sql: SqlStore, accounts: Arc<Accounts>, categorizer: Arc<Categorizer>, live: Arc<Live>) -> Self {
        Tickets { sql, accounts, categorizer, live }
    }

    async fn agent(&self, caller: &Caller, workspace_id: &str) -> Result<Agent, ServiceError> {
        let actor = self.accounts.authorize(caller, workspace_id, Action::AnswerConversations).await?;
        Ok(Agent { id: actor.user_id().to_owned(), name: actor.user_name().to_owned() })
    }

    /// "Ana mentioned you on ticket #12", with the note and the way to it.
    fn mention_email(&self, workspace_id: &str, by: &Agent, ticket: &Ticket, note: &str, to: String) -> Email {
        let link = self.accounts.page_link(&format!("/app/w/{workspace_id}/tickets?t={}", ticket.id));
        let text = format!(
            "{} mentioned you in a note on ticket #{} \"{}\":\n\n{note}\n\nOpen the ticket: {link}\n\n\
             Notes are for your team only: the requester never sees them.\n",
            by.name, ticket.number, ticket.subject
        );
        Email {
            to,
            subject: format!("{} mentioned you on ticket #{}: {}", by.name, ticket.number, excerpt(&ticket.subject)),
            text,
            link,
            thread: None,
        }
    }

    async fn sla_setup(&self, workspace_id: &str, can_edit: bool) -> Result<SlaSetup, ServiceError> {
        let workspace = workspace_id.to_owned();
        let job = |db: sqlx::AnyPool| async move { sla::terms(&db, &workspace).await };
        let terms = self.sql.read(job).await.map_err(AppError::from)?;
        Ok(SlaSetup { policy: terms.policy, in_business_hours: terms.schedule.is_some(), can_edit })
    }

    async fn routing_setup(&self, workspace_id: &str, can_edit: bool) -> Result<RoutingSetup, ServiceError> {
        let workspace = workspace_id.to_owned();
        let job = |db: sqlx::AnyPool| async move {
            let policy = settings::routing(&db, &workspace).await?;
            let categories = settings::ticket_categories(&db, &workspace).await?;
            let (agents, queued) = routing::team(&db, &workspace, &policy).await?;
            Ok::<_, sqlx::Error>(RoutingSetup { policy, agents, categories, queued, can_edit })
        };
        Ok(self.sql.read(job).await.map_err(AppError::from)?)
    }

    async fn detail(&self, workspace_id: &str, ticket_id: &str) -> Result<TicketDetail, ServiceError> {
        let (workspace, ticket) = (workspace_id.to_owned(), ticket_id.to_owned());
        let job = |db: sqlx::AnyPool| async move {
            let terms = sla::terms(&db, &workspace).await?;
            let Some(found) = store::get(&db, &workspace, &ticket, Some(&terms)).await? else { return Ok(None) };
            let history = store::history(&db, &workspace, &ticket).await?;
            let notes = notes::of_ticket(&db, &workspace, &ticket).await?;
            let agents = inbox::agents(&db, &workspace).await?;
            let categories = settings::ticket_categories(&db, &workspace).await?;
            let merge_candidates = merge::candidates(&db, &workspace, &found).await?;
            let requester = match &found.conversation_id {
                Some(conversation) => visitor_identities::of_conversation(&db, &workspace, conversation).await?,
                None => None,
            };
            let now = now_millis();
            Ok::<_, sqlx::Error>(Some(TicketDetail {
                ticket: found,
                history,
                notes,
                agents,
                categories,
                merge_candidates,
                requester,
                now,
            }))
        };
        self.sql.read(job).await.map_err(AppError::from)?.ok_or(ServiceError::NotFound)
    }
}

/// A ticket just opened, by Lodestar or a member: sorted into its category
/// first (an agent may take only some), then the queue routed; then the
/// tickets pages hear of it.
pub async fn opened(categorizer: &Categorizer, sql: &SqlStore, live: &Live, workspace_id: &str, ticket_id: &str) {
    categorizer.categorize(sql, workspace_id, ticket_id).await;
    routing::route_workspace(sql, live, workspace_id).await;
    live.tickets_changed(workspace_id, Some(ticket_id)).await;
}

/// The changes `change` makes to `ticket`, as (field, from, to); what is
/// already so is left out, so the history only holds real changes.
fn changes(ticket: &Ticket, change: &TicketChange) -> Vec<(Field, Option<String>, Option<String>)> {
    let mut out = Vec::new();
    if let Some(status) = change.status.filter(|s| *s != ticket.status) {
        out.push((Field::Status, Some(ticket.status.as_str().to_owned()), Some(status.as_str().to_owned())));
    }
    if let Some(priority) = change.priority.filter(|p| *p != ticket.priority) {
        out.push((Field::Priority, Some(ticket.priority.as_str().to_owned()), Some(priority.as_str().to_owned())));
    }
    if let Some(category) = change.category.as_ref().filter(|c| **c != ticket.category) {
        out.push((Field::Category, Some(ticket.category.clone()), Some(category.clone())));
    }
    if let Some(assignee) =
        change.assignee.as_ref().filter(|a| a.as_deref() != ticket.assignee.as_ref().map(|a| a.id.as_str()))
    {
        out.push((Field::Assignee, ticket.assignee.as_ref().map(|a| a.id.clone()), assignee.clone()));
    }
    if let Some(subject) = change.subject.as_ref().filter(|s| **s != ticket.subject) {
        out.push((Field::Subject, Some(ticket.subject.clone()), Some(subject.clone())));
    }
    if let Some(tags) = change.tags.as_ref().filter(|t| **t != ticket.tags) {
        out.push((Field::Tags, Some(store::stored_tags(&ticket.tags)), Some(store::stored_tags(tags))));
    }
    out
}

#[async_trait::async_trait]
impl TicketService for Tickets {
    #[tracing::instrument(skip_all, fields(workspace_id))]
    async fn list(
        &self,
        caller: &Caller,
        workspace_id: &str,
        view: TicketView,
        tag: Option<String>,
    ) -> Result<TicketList, ServiceError> {
        let me = self.agent(caller, workspace_id).await?;
        let (workspace, id) = (workspace_id.to_owned(), me.id.clone());
        let job = |db: sqlx::AnyPool| async move {
            let terms = sla::terms(&db, &workspace).await?;
            let tickets = store::list(&db, &workspace, view, tag.as_deref(), &id, TICKETS_PAGE, &terms).await?;
            let counts = store::counts(&db, &workspace, &id).await?;
            let agents = inbox::agents(&db, &workspace).await?;
            Ok::<_, sqlx::Error>((tickets, counts, agents))
        };
        let (tickets, counts, agents) = self.sql.read(job).await.map_err(AppError::from)?;
        Ok(TicketList { tickets, counts, agents, me, now: now_millis() })
    }

    #[tracing::instrument(skip_all, fields(workspace_id, ticket_id))]
    async fn open(&self, caller: &Caller, workspace_id: &str, ticket_id: &str) -> Result<TicketDetail, ServiceError> {
        let me = self.agent(caller, workspace_id).await?;
        let detail = self.detail(workspace_id, ticket_id).await?;
        // Opening the ticket reads the notes that named the caller there.
        let (workspace, ticket, user) = (workspace_id.to_owned(), ticket_id.to_owned(), me.id.clone());
        let unread = {
            let (workspace, ticket, user) = (workspace.clone(), ticket.clone(), user.clone());
            self.sql.read(|db| async move { notes::unread_on(&db, &workspace, &user, &ticket).await }).await
        };
        if unread.map_err(AppError::from)? {
            let job = |db: sqlx::AnyPool| async move {
                notes::mark_read(&db, &workspace, &user, notes::Unread::OfTicket(&ticket), now_millis()).await
            };
            self.sql.write(job).await.map_err(AppError::from)?;
        }
        Ok(detail)
    }

    #[tracing::instrument(skip_all, fields(workspace_id))]
    async fn create(
        &self,
        caller: &Caller,
        workspace_id: &str,
        subject: String,
        priority: Priority,
        conversation_id: Option<String>,
    ) -> Result<TicketDetail, ServiceError> {
        let me = self.agent(caller, workspace_id).await?;
        let workspace = workspace_id.to_owned();
        let job = |db: sqlx::AnyPool| async move {
            let mut tx = db.begin().await?;
            let mut requester = None;
            if let Some(conversation) = &conversation_id {
                if !store::hold_conversation(&mut tx, &workspace, conversation).await? {
                    return Err(ServiceError::NotFound.into());
                }
                requester = conversations::visitor_email_of(&mut *tx, &workspace, conversation).await?.flatten();
                if store::live_for_conversation(&mut tx, &workspace, conversation).await?.is_some() {
                    return Err(ServiceError::Rejected(ALREADY_LIVE.into()).into());
                }
            }
            let new = store::NewTicket {
                workspace_id: &workspace,
                conversation_id: conversation_id.as_deref(),
                subject: &subject,
                priority,
                requester_email: requester.as_deref(),
                source: TicketSource::Agent,
                at: now_millis(),
            };
            let id = store::insert(&mut tx, &new, Some(&me)).await?;
            tx.commit().await?;
            Ok::<_, AppError>(id)
        };
        let id = self.sql.write(job).await?;
        opened(&self.categorizer, &self.sql, &self.live, workspace_id, &id).await;
        self.detail(workspace_id, &id).await
    }

    #[tracing::instrument(skip_all, fields(workspace_id, ticket_id))]
    async fn update(
        &self,
        caller: &Caller,
        workspace_id: &str,
        ticket_id: &str,
        change: TicketChange,
    ) -> Result<TicketDetail, ServiceError> {
        let me = self.agent(caller, workspace_id).await?;
        let (workspace, ticket_id_owned) = (workspace_id.to_owned(), ticket_id.to_owned());
        let job = |db: sqlx::AnyPool| async move {
            let mut tx = db.begin().await?;
            // The conversation first, then the ticket: the order every path takes.
            let conversation =
                store::get(&mut *tx, &workspace, &ticket_id_owned, None).await?.and_then(|t| t.conversation_id);
            if let Some(conversation) = &conversation {
                store::hold_conversation(&mut tx, &workspace, conversation).await?;
            }
            if !store::hold(&mut tx, &workspace, &ticket_id_owned).await? {
                return Err(ServiceError::NotFound.into());
            }
            let ticket =
                store::get(&mut *tx, &workspace, &ticket_id_owned, None).await?.ok_or(ServiceError::NotFound)?;
            // Back to open or pending only while no other ticket is worked on for its conversation.
            if let (Some(conversation), Some(status)) = (&ticket.conversation_id, change.status) {
                if status.is_live()
                    && !ticket.status.is_live()
                    && store::live_for_conversation(&mut tx, &workspace, conversation).await?.is_some()
                {
                    return Err(ServiceError::Rejected(ALREADY_LIVE.into()).into());
                }
            }
            let agents = inbox::agents(&mut *tx, &workspace).await?;
            let name_of = |id: &Option<String>| {
                id.as_ref().map(|id| agents.iter().find(|a| &a.id == id).map_or(id.clone(), |a| a.name.clone()))
            };
            let categories = settings::ticket_categories(&mut *tx, &workspace).await?;
            if change.category.as_ref().is_some_and(|id| !categories.iter().any(|c| &c.id == id)) {
                return Err(ServiceError::invalid("category", "Choose one of the categories.").into());
            }
            if let Some(Some(assignee)) = &change.assignee {
                if !agents.iter().any(|a| &a.id == assignee) {
                    return Err(ServiceError::invalid("assignee", "Choose a member of the team.").into());
                }
            }
            let at = now_millis();
            for (field, from, to) in changes(&ticket, &change) {
                // People read names in the history, not ids.
                let (shown_from, shown_to) = match field {
                    Field::Assignee => (name_of(&from), name_of(&to)),
                    Field::Category => {
                        let label = |id: &Option<String>| id.as_deref().map(|id| label_of(&categories, id).to_owned());
                        (label(&from), label(&to))
                    }
                    Field::Tags => {
                        let listed = |stored: &Option<String>| {
                            stored.as_deref().map(|s| s.split_whitespace().collect::<Vec<_>>().join(", "))
                        };
                        (listed(&from), listed(&to))
                    }
                    _ => (from, to.clone()),
                };
                // The change's line first: a target it misses is told after it.
                store::record(
                    &mut tx,
                    &ticket.id,
                    &workspace,
                    Some(&me),
                    field.kind(),
                    shown_from.as_deref(),
                    shown_to.as_deref(),
                    at,
                )
                .await?;
                store::set(&mut tx, &workspace, &ticket.id, field, to.as_deref(), at).await?;
            }
            tx.commit().await?;
            Ok::<_, AppError>(())
        };
        self.sql.write(job).await?;
        self.live.tickets_changed(workspace_id, Some(ticket_id)).await;
        // Solved, pending, unassigned or recategorised: the queue may move.
        routing::route_workspace(&self.sql, &self.live, workspace_id).await;
        self.detail(workspace_id, ticket_id).await
    }

    #[tracing::instrument(skip_all, fields(workspace_id))]
    async fn sla_policy(&self, caller: &Caller, workspace_id: &str) -> Result<SlaSetup, ServiceError> {
        let actor = self.accounts.authorize(caller, workspace_id, Action::ViewWorkspace).await?;
        self.sla_setup(workspace_id, actor.workspace.role.allows(Action::ConfigureDesk)).await
    }

    #[tracing::instrument(skip_all, fields(workspace_id))]
    async fn save_sla_policy(
        &self,
        caller: &Caller,
        workspace_id: &str,
        policy: SlaPolicy,
    ) -> Result<SlaSetup, ServiceError> {
        self.accounts.authorize(caller, workspace_id, Action::ConfigureDesk).await?;
        let workspace = workspace_id.to_owned();
        let job =
            |db: sqlx::AnyPool| async move { settings::save_sla_policy(&db, &workspace, &policy, now_millis()).await };
        self.sql.write(job).await.map_err(AppError::from)?;
        self.sla_setup(workspace_id, true).await
    }

    #[tracing::instrument(skip_all, fields(workspace_id))]
    async fn categories(&self, caller: &Caller, workspace_id: &str) -> Result<CategorySetup, ServiceError> {
        let actor = self.accounts.authorize(caller, workspace_id, Action::ViewWorkspace).await?;
        let workspace = workspace_id.to_owned();
        let job = |db: sqlx::AnyPool| async move { settings::ticket_categories(&db, &workspace).await };
        let categories = self.sql.read(job).await.map_err(AppError::from)?;
        Ok(CategorySetup { categories, can_edit: actor.workspace.role.allows(Action::ConfigureDesk) })
    }

    #[tracing::instrument(skip_all, fields(workspace_id))]
    async fn save_categories(
        &self,
        caller: &Caller,
        workspace_id: &str,
        categories: Vec<TicketCategory>,
    ) -> Result<CategorySetup, ServiceError> {
        self.accounts.authorize(caller, workspace_id, Action::ConfigureDesk).await?;
        let workspace = workspace_id.to_owned();
        let saved = categories.clone();
        let job = |db: sqlx::AnyPool| async move {
            settings::save_ticket_categories(&db, &workspace, &saved, now_millis()).await
        };
        self.sql.write(job).await.map_err(AppError::from)?;
        Ok(CategorySetup { categories, can_edit: true })
    }

    #[tracing::instrument(skip_all, fields(workspace_id))]
    async fn routing(&self, caller: &Caller, workspace_id: &str) -> Result<RoutingSetup, ServiceError> {
        let actor = self.accounts.authorize(caller, workspace_id, Action::ViewWorkspace).await?;
        self.routing_setup(workspace_id, actor.workspace.role.allows(Action::ConfigureDesk)).await
    }

    #[tracing::instrument(skip_all, fields(workspace_id))]
    async fn save_routing(
        &self,
        caller: &Caller,
        workspace_id: &str,
        routing: RoutingInput,
    ) -> Result<RoutingSetup, ServiceError> {
        self.accounts.authorize(caller, workspace_id, Action::ConfigureDesk).await?;
        let workspace = workspace_id.to_owned();
        let job = |db: sqlx::AnyPool| async move {
            let categories = settings::ticket_categories(&db, &workspace).await?;
            let policy = validate_routing(&routing, &categories).map_err(ServiceError::Invalid)?;
            settings::save_routing(&db, &workspace, &policy, now_millis()).await?;
            Ok::<_, AppError>(())
        };
        self.sql.write(job).await?;
        routing::route_workspace(&self.sql, &self.live, workspace_id).await;
        self.routing_setup(workspace_id, true).await
    }

    #[tracing::instrument(skip_all, fields(workspace_id, ticket_id))]
    async fn merge(
        &self,
        caller: &Caller,
        workspace_id: &str,
        ticket_id: &str,
        into: i64,
    ) -> Result<TicketDetail, ServiceError> {
        let me = self.agent(caller, workspace_id).await?;
        let (workspace, source_id) = (workspace_id.to_owned(), ticket_id.to_owned());
        let job = |db: sqlx::AnyPool| async move {
            let mut tx = db.begin().await?;
            let unknown = || ServiceError::invalid("into", format!("There is no ticket #{into} here."));
            let target_id = merge::id_of_number(&mut tx, &workspace, into).await?.ok_or_else(unknown)?;
            let source = store::get(&mut *tx, &workspace, &source_id, None).await?.ok_or(ServiceError::NotFound)?;
            let target = store::get(&mut *tx, &workspace, &target_id, None).await?.ok_or_else(unknown)?;
            // Conversations first, then tickets, each pair in id order: two merges
            // the other way round never wait on each other.
            let mut conversations: Vec<&String> =
                [&source.conversation_id, &target.conversation_id].into_iter().flatten().collect();
            conversations.sort();
            conversations.dedup();
            for conversation in conversations {
                store::hold_conversation(&mut tx, &workspace, conversation).await?;
            }
            let mut tickets = [&source.id, &target.id];
            tickets.sort();
            for ticket in tickets {
                store::hold(&mut tx, &workspace, ticket).await?;
            }
            // Read again under the locks.
            let source = store::get(&mut *tx, &workspace, &source.id, None).await?.ok_or(ServiceError::NotFound)?;
            let target = store::get(&mut *tx, &workspace, &target.id, None).await?.ok_or_else(unknown)?;
            merge::merge(&mut tx, &workspace, &source, &target, &me, now_millis()).await?;
            tx.commit().await?;
            Ok::<_, AppError>(target.id)
        };
        let target = self.sql.write(job).await?;
        self.live.tickets_changed(workspace_id, None).await;
        // The duplicate left its agent's open tickets: the queue may move.
        routing::route_workspace(&self.sql, &self.live, workspace_id).await;
        self.detail(workspace_id, &target).await
    }

    #[tracing::instrument(skip_all, fields(workspace_id, ticket_id))]
    async fn add_note(
        &self,
        caller: &Caller,
        workspace_id: &str,
        ticket_id: &str,
        body: String,
    ) -> Result<TicketDetail, ServiceError> {
        let me = self.agent(caller, workspace_id).await?;
        let (workspace, ticket_id_owned, note) = (workspace_id.to_owned(), ticket_id.to_owned(), body.clone());
        let author = me.clone();
        let job = |db: sqlx::AnyPool| async move {
            let mut tx = db.begin().await?;
            if !store::hold(&mut tx, &workspace, &ticket_id_owned).await? {
                return Err(ServiceError::NotFound.into());
            }
            if notes::count(&mut tx, &workspace, &ticket_id_owned).await? >= NOTES_PER_TICKET {
                let full =
                    format!("This ticket holds {NOTES_PER_TICKET} notes, as many as one can: open a new ticket.");
                return Err(ServiceError::Rejected(full).into());
            }
            let at = now_millis();
            let id = notes::insert(&mut tx, &workspace, &ticket_id_owned, &author, &note, at).await?;
            let team = inbox::agents(&mut *tx, &workspace).await?;
            // Naming oneself is no news.
            let named: Vec<_> = mentioned(&note, &team).into_iter().filter(|a| a.id != author.id).collect();
            for agent in &named {
                notes::mention(&mut tx, &workspace, &ticket_id_owned, &id, &agent.id, at).await?;
            }
            let ids: Vec<&str> = named.iter().map(|a| a.id.as_str()).collect();
            let to = notes::emails(&mut tx, &workspace, &ids).await?;
            let ticket =
                store::get(&mut *tx, &workspace, &ticket_id_owned, None).await?.ok_or(ServiceError::NotFound)?;
            tx.commit().await?;
            Ok::<_, AppError>((to, ticket))
        };
        let (to, ticket) = self.sql.write(job).await?;
        for (_, email) in to {
            self.accounts.mailer().send(self.mention_email(workspace_id, &me, &ticket, &body, email)).await;
        }
        self.live.tickets_changed(workspace_id, Some(ticket_id)).await;
        self.detail(workspace_id, ticket_id).await
    }

    #[tracing::instrument(skip_all, fields(workspace_id))]
    async fn mentions(
        &self,
        caller: &Caller,
        workspace_id: &str,
        read: Option<MentionsRead>,
    ) -> Result<MentionList, ServiceError> {
        let me = self.agent(caller, workspace_id).await?;
        if let Some(read) = read {
            let (workspace, user) = (workspace_id.to_owned(), me.id.clone());
            let job = |db: sqlx::AnyPool| async move {
                let which = match &read {
                    MentionsRead::One(id) => notes::Unread::One(id),
                    MentionsRead::All => notes::Unread::All,
                };
                notes::mark_read(&db, &workspace, &user, which, now_millis()).await
            };
            self.sql.write(job).await.map_err(AppError::from)?;
        }
        let (workspace, user) = (workspace_id.to_owned(), me.id);
        let job = |db: sqlx::AnyPool| async move { notes::of_member(&db, &workspace, &user).await };
        let (mentions, unread) = self.sql.read(job).await.map_err(AppError::from)?;
        Ok(MentionList { mentions, unread })
    }
}
