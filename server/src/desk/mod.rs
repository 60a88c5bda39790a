//! `DeskService`: the inbox, and a person from the team taking a
//! conversation over from the bot, replying to the visitor live, handing it
//! back and resolving it. Each change is journaled in its own transaction
//! and signalled (`crate::live`), so the visitor's widget, every agent
//! watching and every inbox hear it, on whichever server process they are
//! connected to.

pub mod api;
pub mod canned;
pub mod drafts;
pub mod email;
pub mod email_api;
pub mod followups;
pub mod hours;
pub mod inbox;
pub mod rating_email;
pub mod ratings;
pub mod receipts;
pub mod requester;
pub mod settings;

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use app::business_hours::{BusinessHours, HoursSetup};
use app::canned_replies::CannedSetup;
use app::chat::{Author, ChatMessage};
use app::desk::{Agent, DeskConversation, Inbox, InboxFilter, RatingSummary, Takeover};
use app::email_followup::FollowupSetup;
use app::error::ServiceError;
use app::permissions::Action;
use app::reply_drafts::{DraftOutcome, ReplyDraft, DRAFT_STATS_DAYS};
use app::services::{Caller, DeskService};
use app::visitor_identity::{IdentitySetup, PlanPriority};
use futures_util::{Stream, StreamExt};

use crate::accounts::Accounts;
use crate::chat::drafts::Drafted;
use crate::chat::limits::Gcra;
use crate::chat::{conversations, identity_token, visitor_identities, Chat};
use crate::config::InboundEmailConfig;
use crate::error::AppError;
use crate::live::slots::{Slot, Slots};
use crate::live::Live;
use crate::live::{journal, Board, Change, Heard};
use crate::sql::{now_millis, SqlStore};
use drafts::DraftFor;
use receipts::Reader;

/// Live views one member may hold open at once (tabs, devices).
const VIEWS_PER_MEMBER: usize = 32;
/// The page says "typing" at most every 2.5 s while the member types.
const TYPING_BURST: u32 = 6;
const TYPING_INTERVAL: Duration = Duration::from_secs(1);
/// A member may ask for 10 drafts at once, then one every 6 s: more than a
/// person reads, less than a script could cost the workspace's provider.
const DRAFT_BURST: u32 = 10;
const DRAFT_INTERVAL: Duration = Duration::from_secs(6);
/// A member may email 20 requesters first at once, then one a minute: a
/// morning's call-backs, not a mailing list sent from the platform's address.
const FIRST_EMAIL_BURST: u32 = 20;
const FIRST_EMAIL_INTERVAL: Duration = Duration::from_secs(60);

pub struct Desk {
    sql: SqlStore,
    accounts: Arc<Accounts>,
    live: Arc<Live>,
    /// Writes the assistant's reply drafts.
    chat: Arc<Chat>,
    /// Drafts per member: each may cost a call to the LLM provider.
    drafting: Gcra,
    /// First emails to requesters per member: each goes to an address they typed.
    first_emails: Gcra,
    views: Slots,
    /// "Typing" signals per member.
    typing: Gcra,
    /// Reply addresses and whether answers by email come back.
    inbound: InboundEmailConfig,
    /// Answers by email, per conversation and per sender.
    inbound_per_conversation: Gcra,
    inbound_per_sender: Gcra,
    /// New emails, per workspace.
    inbound_per_workspace: Gcra,
}

impl Desk {
    pub fn new(
        sql: SqlStore,
        accounts: Arc<Accounts>,
        live: Arc<Live>,
        chat: Arc<Chat>,
        inbound: InboundEmailConfig,
    ) -> Self {
        let ((conversation_burst, conversation_every), (sender_burst, sender_every)) =
            (email::PER_CONVERSATION, email::PER_SENDER);
        Desk {
            sql,
            accounts,
            live,
            chat,
            drafting: Gcra::new(DRAFT_BURST, DRAFT_INTERVAL),
            first_emails: Gcra::new(FIRST_EMAIL_BURST, FIRST_EMAIL_INTERVAL),
            views: Slots::new(VIEWS_PER_MEMBER),
            typing: Gcra::new(TYPING_BURST, TYPING_INTERVAL),
            inbound,
            inbound_per_conversation: Gcra::new(conversation_burst, conversation_every),
            inbound_per_sender: Gcra::new(sender_burst, sender_every),
            inbound_per_workspace: Gcra::new(email::PER_WORKSPACE.0, email::PER_WORKSPACE.1),
        }
    }

    /// The conversation's journal after entry `after`, then live, for a
    /// member who may answer it; with the slot it holds while open.
    pub async fn follow(
        &self,
        caller: &Caller,
        workspace_id: &str,
        conversation_id: &str,
        after: i64,
    ) -> Result<(impl Stream<Item = Heard> + Send + 'static, Slot), ServiceError> {
        let agent = self.agent(caller, workspace_id).await?;
        self.must_exist(workspace_id, conversation_id).await?;
        let slot = self.views.take(&agent.id).ok_or(ServiceError::RateLimited { retry_after_secs: 5 })?;
        let heard = self.live.follow(workspace_id.to_owned(), conversation_id.to_owned(), after);
        // Nobody needs to hear their own typing.
        let me = agent.id;
        let heard = heard
            .filter(move |heard| std::future::ready(!matches!(heard, Heard::Typing(Some(typist)) if typist.id == me)));
        Ok((heard, slot))
    }

    /// What changes on the workspace's `board` (its conversations or its
    /// tickets), live, for a member who may answer them; with the slot it
    /// holds while open.
    pub async fn watch(
        &self,
        caller: &Caller,
        workspace_id: &str,
        board: Board,
    ) -> Result<(impl Stream<Item = Change> + Send + 'static, Slot), ServiceError> {
        let agent = self.agent(caller, workspace_id).await?;
        let slot = self.views.take(&agent.id).ok_or(ServiceError::RateLimited { retry_after_secs: 5 })?;
        // While the inbox or the tickets are open their member is at the
        // desk: seen now, and again with the changes (the stream says
        // something every CATCH_UP).
        let presence = Arc::new(Presence {
            sql: self.sql.clone(),
            live: self.live.clone(),
            workspace_id: workspace_id.to_owned(),
            user_id: agent.id,
            last: AtomicI64::new(0),
        });
        presence.touch().await;
        let changes = self.live.watch(workspace_id.to_owned(), board).then(move |changed| {
            let presence = presence.clone();
            async move {
                presence.touch().await;
                changed
            }
        });
        Ok((changes, slot))
    }

    /// `NotFound` unless the workspace has the conversation.
    async fn must_exist(&self, workspace_id: &str, conversation_id: &str) -> Result<(), ServiceError> {
        let (workspace, conversation) = (workspace_id.to_owned(), conversation_id.to_owned());
        let found = self.sql.read(|db| async move { conversations::exists(&db, &workspace, &conversation).await });
        match found.await.map_err(AppError::from)? {
            true => Ok(()),
            false => Err(ServiceError::NotFound),
        }
    }

    /// The member acting, if they may answer the workspace's conversations.
    async fn agent(&self, caller: &Caller, workspace_id: &str) -> Result<Agent, ServiceError> {
        let actor = self.accounts.authorize(caller, workspace_id, Action::AnswerConversations).await?;
        Ok(Agent { id: actor.user_id().to_owned(), name: actor.user_name().to_owned() })
    }

    /// The business hours as the settings page shows them.
    async fn hours_setup(&self, workspace_id: &str, can_edit: bool) -> Result<HoursSetup, ServiceError> {
        let hours = self.business_hours_of(workspace_id).await?;
        let now = now_millis();
        let schedule = hours::Schedule::of(&hours);
        Ok(HoursSetup {
            open_now: schedule.as_ref().is_none_or(|s| s.is_open(now)),
            next_open: schedule.as_ref().and_then(|s| s.next_open(now)),
            zones: hours::zone_names(),
            hours,
            can_edit,
        })
    }

    async fn followup_setup(&self, workspace_id: &str, can_edit: bool) -> Result<FollowupSetup, ServiceError> {
        let workspace = workspace_id.to_owned();
        let job = |db: sqlx::AnyPool| async move { settings::email_followup_minutes(&db, &workspace).await };
        let minutes = self.sql.read(job).await.map_err(AppError::from)?;
        let replies_come_back = self.inbound.secret.is_some();
        let support_address = replies_come_back.then(|| self.support_address(workspace_id));
        Ok(FollowupSetup { minutes, replies_come_back, support_address, can_edit })
    }

    async fn identity_setup(
        &self,
        workspace_id: &str,
        sees_secret: bool,
        can_rank: bool,
    ) -> Result<IdentitySetup, ServiceError> {
        let workspace = workspace_id.to_owned();
        let job = |db: sqlx::AnyPool| async move {
            let version = settings::identity_version(&db, &workspace).await?;
            let plans = settings::plan_priorities(&db, &workspace).await?;
            Ok::<_, sqlx::Error>((version, plans))
        };
        let (version, plans) = self.sql.read(job).await.map_err(AppError::from)?;
        let secret = sees_secret.then(|| identity_token::secret(self.accounts.server_key(), workspace_id, version));
        Ok(IdentitySetup { secret, plans, can_rank })
    }

    /// Records a draft the assistant wrote for `agent`, replacing their
    /// earlier undecided one for the same conversation or ticket.
    async fn record_draft(
        &self,
        workspace_id: &str,
        agent: &Agent,
        draft_for: DraftFor<'_>,
        drafted: Drafted,
    ) -> Result<ReplyDraft, ServiceError> {
        let id = uuid::Uuid::new_v4().to_string();
        let (workspace, agent_id, body, answers) =
            (workspace_id.to_owned(), agent.id.clone(), drafted.body.clone(), drafted.answers.clone());
        let (target, of) = match draft_for {
            DraftFor::Conversation(of) => (true, of.to_owned()),
            DraftFor::Ticket(of) => (false, of.to_owned()),
        };
        let job = |db: sqlx::AnyPool| async move {
            let draft_for = if target { DraftFor::Conversation(&of) } else { DraftFor::Ticket(&of) };
            let draft = drafts::NewDraft {
                id: &id,
                workspace_id: &workspace,
                draft_for,
                agent_id: &agent_id,
                answers: &answers,
                body: &body,
                mode: drafted.written_by,
                at: now_millis(),
            };
            let mut tx = db.begin().await?;
            drafts::record(&mut tx, &draft).await?;
            tx.commit().await?;
            Ok::<_, sqlx::Error>(id)
        };
        let id = self.sql.write(job).await.map_err(AppError::from)?;
        Ok(ReplyDraft {
            id,
            body: drafted.body,
            citations: drafted.citations,
            answers: drafted.answers,
            written_by: drafted.written_by.to_owned(),
            note: drafted.note.map(str::to_owned),
        })
    }

    /// The subject of a ticket that has no conversation yet, to draft a first email from.
    async fn unanswered_ticket(&self, workspace_id: &str, ticket_id: &str) -> Result<String, ServiceError> {
        let (workspace, ticket) = (workspace_id.to_owned(), ticket_id.to_owned());
        let job = |db: sqlx::AnyPool| async move { crate::tickets::store::get(&db, &workspace, &ticket, None).await };
        let ticket = self.sql.read(job).await.map_err(AppError::from)?.ok_or(ServiceError::NotFound)?;
        if ticket.conversation_id.is_some() {
            return Err(ServiceError::Rejected(requester::HAS_CONVERSATION.into()));
        }
        Ok(ticket.subject)
    }

    async fn canned_setup(&self, workspace_id: &str, can_edit: bool) -> Result<CannedSetup, ServiceError> {
        let workspace = workspace_id.to_owned();
        let replies =
            self.sql.read(|db| async move { canned::list(&db, &workspace).await }).await.map_err(AppError::from)?;
        Ok(CannedSetup { replies, can_edit })
    }

    /// The workspace's business hours (none set: the team keeps none).
    pub async fn business_hours_of(&self, workspace_id: &str) -> Result<BusinessHours, ServiceError> {
        let workspace = workspace_id.to_owned();
        let job = |db: sqlx::AnyPool| async move { settings::business_hours(&db, &workspace).await };
        Ok(self.sql.read(job).await.map_err(AppError::from)?)
    }

    /// The visitor's messages up to `at` (when there are any) are read by
    /// `me`; the visitor sees "Seen" when that is news to them.
    async fn read_up_to(
        &self,
        workspace_id: &str,
        conversation_id: &str,
        me: &Agent,
        at: Option<i64>,
    ) -> Result<(), ServiceError> {
        let Some(at) = at else { return Ok(()) };
        let (workspace, conversation, id) = (workspace_id.to_owned(), conversation_id.to_owned(), me.id.clone());
        let job = |db: sqlx::AnyPool| async move {
            let mut tx = db.begin().await?;
            if !inbox::mark_read(&mut *tx, &workspace, &conversation, &id, at).await? {
                return Ok(None);
            }
            let receipt = receipts::saw(&mut tx, &workspace, &conversation, Reader::Team, at).await?;
            tx.commit().await?;
            Ok::<_, sqlx::Error>(Some(receipt))
        };
        match self.sql.write(job).await.map_err(AppError::from)? {
            Some(receipt) => {
                if let Some(seq) = receipt {
                    self.live.journaled(workspace_id, conversation_id, seq).await;
                }
                Ok(())
            }
            None => Err(ServiceError::NotFound),
        }
    }

    /// Gives the conversation to `agent` (or back to the bot), journaling
    /// the change when there is one.
    async fn give(
        &self,
        workspace_id: &str,
        conversation_id: &str,
        assignee: Option<Agent>,
    ) -> Result<Takeover, ServiceError> {
        let (workspace, conversation) = (workspace_id.to_owned(), conversation_id.to_owned());
        let given = assignee.clone();
        let job = |db: sqlx::AnyPool| async move {
            let mut tx = db.begin().await?;
            let seq = match &given {
                Some(agent) => take_over(&mut tx, &workspace, &conversation, agent, now_millis()).await?,
                None => match conversations::assign(&mut tx, &workspace, &conversation, None, now_millis()).await? {
                    Some(true) => {
                        let back = serde_json::json!({});
                        Some(journal::append(&mut tx, &workspace, &conversation, "handed_back", &back).await?)
                    }
                    Some(false) => None,
                    None => return Err(ServiceError::NotFound.into()),
                },
            };
            let last = journal::last(&mut *tx, &workspace, &conversation).await?;
            tx.commit().await?;
            Ok::<_, AppError>((seq, last))
        };
        let (seq, last) = self.sql.write(job).await?;
        if let Some(seq) = seq {
            self.live.journaled(workspace_id, conversation_id, seq).await;
        }
        Ok(Takeover { conversation_id: conversation_id.to_owned(), assignee, seq: last })
    }
}

/// A member at the desk, seen at most every [`SEEN_EVERY_MS`].
struct Presence {
    sql: SqlStore,
    live: Arc<Live>,
    workspace_id: String,
    user_id: String,
    /// When they were last written as seen.
    last: AtomicI64,
}

/// How often presence is written while the inbox is open; members count
/// as online for [`inbox::ONLINE_WITHIN_MS`] after.
const SEEN_EVERY_MS: i64 = 10_000;

/// The inbox closed: its member leaves the desk at once, unless another
/// of their pages has been seen since (the row then says so).
impl Drop for Presence {
    fn drop(&mut self) {
        let (workspace, user, last) = (self.workspace_id.clone(), self.user_id.clone(), *self.last.get_mut());
        let sql = self.sql.clone();
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                let gone = sql.write(|db| async move { inbox::left(&db, &workspace, &user, last).await }).await;
                if let Err(error) = gone {
                    tracing::warn!(%error, "could not mark a member as away from the desk");
                }
            });
        }
    }
}

impl Presence {
    async fn touch(&self) {
        let now = now_millis();
        if now - self.last.load(Ordering::Relaxed) < SEEN_EVERY_MS {
            return;
        }
        self.last.store(now, Ordering::Relaxed);
        let (workspace, user) = (self.workspace_id.clone(), self.user_id.clone());
        match self.sql.write(|db| async move { inbox::seen(&db, &workspace, &user, now).await }).await {
            // Someone arrived: the queue may go to them.
            Ok(true) => crate::tickets::routing::route_workspace(&self.sql, &self.live, &self.workspace_id).await,
            Ok(false) => {}
            Err(error) => tracing::warn!(%error, "could not mark a member as at the desk"),
        }
    }
}

/// Gives the conversation to `agent`, journaling the join when it changed
/// anything (its number, else `None`); a visitor who waited for a person
/// adds their wait to the ones the expected wait is taken from.
async fn take_over(
    tx: &mut sqlx::AnyConnection,
    workspace_id: &str,
    conversation_id: &str,
    agent: &Agent,
    at: i64,
) -> Result<Option<i64>, AppError> {
    let waited = inbox::waiting_since(tx, workspace_id, conversation_id).await?.map(|since| at - since);
    match conversations::assign(tx, workspace_id, conversation_id, Some(&agent.id), at).await? {
        Some(true) => {
            if let Some(waited_ms) = waited {
                let detail = serde_json::json!({ "waited_ms": waited_ms });
                conversations::record_event(&mut *tx, workspace_id, Some(conversation_id), "agent_joined", detail)
                    .await?;
            }
            let joined = serde_json::json!({ "agent": agent });
            Ok(Some(journal::append(tx, workspace_id, conversation_id, "joined", &joined).await?))
        }
        Some(false) => Ok(None),
        None => Err(ServiceError::NotFound.into()),
    }
}

/// A message from a member of the team.
fn agent_message(agent: &Agent, body: String, at: i64) -> ChatMessage {
    ChatMessage {
        id: uuid::Uuid::new_v4().to_string(),
        author: Author::Agent,
        author_name: Some(agent.name.clone()),
        body,
        citations: Vec::new(),
        suggestions: Vec::new(),
        confidence: None,
        sentiment: None,
        feedback: None,
        note: None,
        by_email: false,
        created_at: at,
    }
}

/// Records what became of the member's draft that `sent` started as: sent
/// as written, or edited. An unknown or decided draft changes nothing (the
/// reply itself must not fail for it).
async fn decide_sent_draft(
    tx: &mut sqlx::AnyConnection,
    workspace_id: &str,
    draft_for: DraftFor<'_>,
    agent_id: &str,
    draft_id: &str,
    sent: &ChatMessage,
) -> Result<(), sqlx::Error> {
    let Some(body) = drafts::open_body(&mut *tx, workspace_id, draft_for, agent_id, draft_id).await? else {
        return Ok(());
    };
    // Cleaned as the reply was, so only the member's own changes count as edits.
    let as_written = app::desk::validate_reply(&body).is_ok_and(|body| body == sent.body);
    let outcome = if as_written { DraftOutcome::Sent } else { DraftOutcome::Edited };
    drafts::decide(&mut *tx, workspace_id, agent_id, draft_id, outcome, sent.created_at).await?;
    Ok(())
}

#[async_trait::async_trait]
impl DeskService for Desk {
    #[tracing::instrument(skip_all, fields(workspace_id))]
    async fn inbox(&self, caller: &Caller, workspace_id: &str, filter: InboxFilter) -> Result<Inbox, ServiceError> {
        let me = self.agent(caller, workspace_id).await?;
        let (workspace, id) = (workspace_id.to_owned(), me.id.clone());
        let job = |db: sqlx::AnyPool| async move {
            let items = inbox::list(&db, &workspace, &id, &filter).await?;
            let counts = inbox::counts(&db, &workspace, &id).await?;
            let agents = inbox::agents(&db, &workspace).await?;
            let ratings = ratings::of_agent(&db, &workspace, &id).await?;
            let since = now_millis() - DRAFT_STATS_DAYS * 24 * 3_600_000;
            let drafts = drafts::stats(&db, &workspace, since).await?;
            let away = inbox::is_away(&db, &workspace, &id).await?;
            Ok::<_, sqlx::Error>((items, counts, agents, ratings, drafts, away))
        };
        let (items, counts, agents, (rated, average), drafts, away) =
            self.sql.read(job).await.map_err(AppError::from)?;
        let my_ratings = RatingSummary { count: rated.clamp(0, i64::from(u32::MAX)) as u32, average };
        Ok(Inbox { items, counts, agents, me, away, my_ratings, drafts, now: now_millis() })
    }

    #[tracing::instrument(skip_all, fields(workspace_id, conversation_id))]
    async fn open(
        &self,
        caller: &Caller,
        workspace_id: &str,
        conversation_id: &str,
    ) -> Result<DeskConversation, ServiceError> {
        let me = self.agent(caller, workspace_id).await?;
        let (workspace, conversation) = (workspace_id.to_owned(), conversation_id.to_owned());
        // The journal's position first: a message written meanwhile is then
        // both in the transcript and followed live (the page keeps it once),
        // never in neither.
        let job = |db: sqlx::AnyPool| async move {
            let Some(state) = inbox::state(&db, &workspace, &conversation).await? else {
                return Ok(None);
            };
            let transcript = conversations::transcript(&db, &workspace, &conversation).await?;
            let ticket = crate::tickets::store::of_conversation(&db, &workspace, &conversation).await?;
            let visitor = visitor_identities::of_conversation(&db, &workspace, &conversation).await?;
            Ok::<_, sqlx::Error>(transcript.map(|transcript| DeskConversation {
                transcript,
                assignee: state.assignee,
                resolved_at: state.resolved_at,
                visitor_seen_at: state.visitor_seen_at,
                rating: state.rating,
                seq: state.seq,
                ticket,
                visitor,
            }))
        };
        let opened = self.sql.read(job).await.map_err(AppError::from)?.ok_or(ServiceError::NotFound)?;
        self.read_up_to(workspace_id, conversation_id, &me, opened.transcript.messages.last().map(|m| m.created_at))
            .await?;
        Ok(opened)
    }

    #[tracing::instrument(skip_all, fields(workspace_id))]
    async fn business_hours(&self, caller: &Caller, workspace_id: &str) -> Result<HoursSetup, ServiceError> {
        let actor = self.accounts.authorize(caller, workspace_id, Action::ViewWorkspace).await?;
        self.hours_setup(workspace_id, actor.workspace.role.allows(Action::ConfigureDesk)).await
    }

    #[tracing::instrument(skip_all, fields(workspace_id))]
    async fn save_business_hours(
        &self,
        caller: &Caller,
        workspace_id: &str,
        hours: BusinessHours,
    ) -> Result<HoursSetup, ServiceError> {
        self.accounts.authorize(caller, workspace_id, Action::ConfigureDesk).await?;
        if !hours::known_zone(&hours.time_zone) {
            let message = format!("\"{}\" is not a time zone we know: choose one from the list.", hours.time_zone);
            return Err(ServiceError::invalid("time_zone", message));
        }
        let workspace = workspace_id.to_owned();
        let job = |db: sqlx::AnyPool| async move {
            settings::save_business_hours(&db, &workspace, &hours, now_millis()).await
        };
        self.sql.write(job).await.map_err(AppError::from)?;
        self.hours_setup(workspace_id, true).await
    }

    #[tracing::instrument(skip_all, fields(workspace_id))]
    async fn email_followup(&self, caller: &Caller, workspace_id: &str) -> Result<FollowupSetup, ServiceError> {
        let actor = self.accounts.authorize(caller, workspace_id, Action::ViewWorkspace).await?;
        self.followup_setup(workspace_id, actor.workspace.role.allows(Action::ConfigureDesk)).await
    }

    #[tracing::instrument(skip_all, fields(workspace_id))]
    async fn save_email_followup(
        &self,
        caller: &Caller,
        workspace_id: &str,
        minutes: u32,
    ) -> Result<FollowupSetup, ServiceError> {
        self.accounts.authorize(caller, workspace_id, Action::ConfigureDesk).await?;
        let minutes = app::email_followup::validate_followup(minutes)?;
        let workspace = workspace_id.to_owned();
        let job = |db: sqlx::AnyPool| async move {
            settings::save_email_followup(&db, &workspace, minutes, now_millis()).await
        };
        self.sql.write(job).await.map_err(AppError::from)?;
        self.followup_setup(workspace_id, true).await
    }

    #[tracing::instrument(skip_all, fields(workspace_id))]
    async fn identity(&self, caller: &Caller, workspace_id: &str) -> Result<IdentitySetup, ServiceError> {
        let actor = self.accounts.authorize(caller, workspace_id, Action::ViewWorkspace).await?;
        let role = actor.workspace.role;
        self.identity_setup(workspace_id, role.allows(Action::ConfigureWidget), role.allows(Action::ConfigureDesk))
            .await
    }

    #[tracing::instrument(skip_all, fields(workspace_id))]
    async fn rotate_identity_secret(&self, caller: &Caller, workspace_id: &str) -> Result<IdentitySetup, ServiceError> {
        let actor = self.accounts.authorize(caller, workspace_id, Action::ConfigureWidget).await?;
        let workspace = workspace_id.to_owned();
        let job = |db: sqlx::AnyPool| async move {
            // Under the workspace's row lock, so two rotations make two versions.
            let mut tx = db.begin().await?;
            crate::tickets::store::lock_workspace(&mut tx, &workspace).await?;
            let version = settings::identity_version(&mut *tx, &workspace).await?;
            settings::save_identity_version(&mut *tx, &workspace, version.saturating_add(1), now_millis()).await?;
            tx.commit().await?;
            Ok::<_, sqlx::Error>(())
        };
        self.sql.write(job).await.map_err(AppError::from)?;
        self.accounts.audit_by(&actor, caller, "identity_secret.rotated").await?;
        self.identity_setup(workspace_id, true, actor.workspace.role.allows(Action::ConfigureDesk)).await
    }

    #[tracing::instrument(skip_all, fields(workspace_id))]
    async fn save_plan_priorities(
        &self,
        caller: &Caller,
        workspace_id: &str,
        plans: Vec<PlanPriority>,
    ) -> Result<IdentitySetup, ServiceError> {
        let actor = self.accounts.authorize(caller, workspace_id, Action::ConfigureDesk).await?;
        // Checked again here: REST and server functions share this door.
        let plans =
            app::visitor_identity::parse_plan_priorities(&app::visitor_identity::format_plan_priorities(&plans))?;
        let workspace = workspace_id.to_owned();
        let job = |db: sqlx::AnyPool| async move {
            settings::save_plan_priorities(&db, &workspace, &plans, now_millis()).await
        };
        self.sql.write(job).await.map_err(AppError::from)?;
        self.identity_setup(workspace_id, actor.workspace.role.allows(Action::ConfigureWidget), true).await
    }

    #[tracing::instrument(skip_all, fields(workspace_id))]
    async fn set_away(&self, caller: &Caller, workspace_id: &str, away: bool) -> Result<bool, ServiceError> {
        let me = self.agent(caller, workspace_id).await?;
        let workspace = workspace_id.to_owned();
        let job = |db: sqlx::AnyPool| async move { inbox::set_away(&db, &workspace, &me.id, away).await };
        self.sql.write(job).await.map_err(AppError::from)?;
        if !away {
            // Back: the queue may have waited for them.
            crate::tickets::routing::route_workspace(&self.sql, &self.live, workspace_id).await;
        }
        Ok(away)
    }

    #[tracing::instrument(skip_all, fields(workspace_id, conversation_id))]
    async fn typing(&self, caller: &Caller, workspace_id: &str, conversation_id: &str) -> Result<(), ServiceError> {
        let agent = self.agent(caller, workspace_id).await?;
        // Paced like the visitor's, so a script cannot flood the signal channel.
        self.typing
            .check(&agent.id)
            .map_err(|wait| ServiceError::RateLimited { retry_after_secs: wait.as_secs().max(1) })?;
        self.must_exist(workspace_id, conversation_id).await?;
        self.live.typing(workspace_id, conversation_id, Some(agent)).await;
        Ok(())
    }

    #[tracing::instrument(skip_all, fields(workspace_id, conversation_id))]
    async fn mark_read(&self, caller: &Caller, workspace_id: &str, conversation_id: &str) -> Result<(), ServiceError> {
        let me = self.agent(caller, workspace_id).await?;
        self.read_up_to(workspace_id, conversation_id, &me, Some(now_millis())).await
    }

    #[tracing::instrument(skip_all, fields(workspace_id, conversation_id))]
    async fn resolve(
        &self,
        caller: &Caller,
        workspace_id: &str,
        conversation_id: &str,
        ask_rating: bool,
    ) -> Result<Takeover, ServiceError> {
        let agent = self.agent(caller, workspace_id).await?;
        let (workspace, conversation) = (workspace_id.to_owned(), conversation_id.to_owned());
        let job = |db: sqlx::AnyPool| async move {
            let mut tx = db.begin().await?;
            let now = now_millis();
            let mut solved = None;
            let mut rating_asked = false;
            let seq = match inbox::resolve(&mut tx, &workspace, &conversation, now).await? {
                Some(answered_by) => {
                    // The visitor hears that the assistant answers again, then that it is resolved.
                    if answered_by.is_some() {
                        journal::append(&mut tx, &workspace, &conversation, "handed_back", &serde_json::json!({}))
                            .await?;
                    }
                    // Only a person who answered is rated, and only once per conversation.
                    let asked = match answered_by.as_deref().filter(|_| ask_rating) {
                        Some(person) => ratings::ask(&mut tx, &workspace, &conversation, person, now).await?,
                        None => false,
                    };
                    solved =
                        crate::tickets::store::solve_with_conversation(&mut tx, &workspace, &conversation, &agent, now)
                            .await?;
                    let by = serde_json::json!({ "agent": agent, "ask_rating": asked });
                    rating_asked = asked;
                    Some(journal::append(&mut tx, &workspace, &conversation, "resolved", &by).await?)
                }
                // Already resolved, or not this workspace's.
                None if conversations::exists(&mut *tx, &workspace, &conversation).await? => None,
                None => return Err(ServiceError::NotFound.into()),
            };
            let last = journal::last(&mut *tx, &workspace, &conversation).await?;
            tx.commit().await?;
            Ok::<_, AppError>((seq, last, solved, rating_asked))
        };
        let (seq, last, solved, rating_asked) = self.sql.write(job).await?;
        if let Some(seq) = seq {
            self.live.journaled(workspace_id, conversation_id, seq).await;
        }
        // A visitor on email has no widget to rate in.
        if rating_asked {
            self.ask_rating_by_email(workspace_id, conversation_id).await;
        }
        // Its ticket was solved with it: its agent may take another.
        if let Some(ticket) = solved {
            self.live.tickets_changed(workspace_id, Some(&ticket)).await;
            crate::tickets::routing::route_workspace(&self.sql, &self.live, workspace_id).await;
        }
        Ok(Takeover { conversation_id: conversation_id.to_owned(), assignee: None, seq: last })
    }

    #[tracing::instrument(skip_all, fields(workspace_id, conversation_id))]
    async fn join(&self, caller: &Caller, workspace_id: &str, conversation_id: &str) -> Result<Takeover, ServiceError> {
        let agent = self.agent(caller, workspace_id).await?;
        self.give(workspace_id, conversation_id, Some(agent)).await
    }

    #[tracing::instrument(skip_all, fields(workspace_id, conversation_id))]
    async fn reply(
        &self,
        caller: &Caller,
        workspace_id: &str,
        conversation_id: &str,
        text: String,
        draft_id: Option<String>,
    ) -> Result<ChatMessage, ServiceError> {
        let agent = self.agent(caller, workspace_id).await?;
        let text = app::desk::validate_reply(&text)?;
        let message = agent_message(&agent, text, now_millis());
        let payload = serde_json::to_value(&message).map_err(|e| AppError::Task(e.to_string()))?;
        let (workspace, conversation, stored) = (workspace_id.to_owned(), conversation_id.to_owned(), message.clone());
        let job = |db: sqlx::AnyPool| async move {
            let mut tx = db.begin().await?;
            // Replying to a conversation the bot answers takes it over.
            if conversations::assignee(&mut tx, &workspace, &conversation)
                .await?
                .ok_or(ServiceError::NotFound)?
                .is_none()
            {
                take_over(&mut tx, &workspace, &conversation, &agent, stored.created_at).await?;
            }
            conversations::add_agent_message(&mut tx, &workspace, &conversation, &agent.id, &stored).await?;
            let ticket =
                crate::tickets::store::on_team_reply(&mut tx, &workspace, &conversation, stored.created_at).await?;
            if let Some(draft) = draft_id {
                let draft_for = DraftFor::Conversation(&conversation);
                decide_sent_draft(&mut tx, &workspace, draft_for, &agent.id, &draft, &stored).await?;
            }
            // Emailed later unless the visitor's widget shows it first.
            followups::schedule(&mut tx, &workspace, &conversation, stored.created_at).await?;
            let seq = journal::append(&mut tx, &workspace, &conversation, "message", &payload).await?;
            tx.commit().await?;
            Ok::<_, AppError>((seq, ticket))
        };
        let (seq, ticket) = self.sql.write(job).await?;
        self.live.journaled(workspace_id, conversation_id, seq).await;
        if let Some(ticket) = ticket {
            self.live.tickets_changed(workspace_id, Some(&ticket)).await;
        }
        Ok(message)
    }

    #[tracing::instrument(skip_all, fields(workspace_id, conversation_id))]
    async fn draft(
        &self,
        caller: &Caller,
        workspace_id: &str,
        conversation_id: &str,
    ) -> Result<ReplyDraft, ServiceError> {
        let agent = self.agent(caller, workspace_id).await?;
        self.drafting
            .check(&agent.id)
            .map_err(|wait| ServiceError::RateLimited { retry_after_secs: wait.as_secs().max(1) })?;
        let drafted = self.chat.draft_reply(workspace_id, conversation_id).await?;
        self.record_draft(workspace_id, &agent, DraftFor::Conversation(conversation_id), drafted).await
    }

    #[tracing::instrument(skip_all, fields(workspace_id, ticket_id))]
    async fn draft_for_ticket(
        &self,
        caller: &Caller,
        workspace_id: &str,
        ticket_id: &str,
    ) -> Result<ReplyDraft, ServiceError> {
        let agent = self.agent(caller, workspace_id).await?;
        self.drafting
            .check(&agent.id)
            .map_err(|wait| ServiceError::RateLimited { retry_after_secs: wait.as_secs().max(1) })?;
        let subject = self.unanswered_ticket(workspace_id, ticket_id).await?;
        let drafted = self.chat.draft_ticket_reply(workspace_id, ticket_id, &subject).await?;
        self.record_draft(workspace_id, &agent, DraftFor::Ticket(ticket_id), drafted).await
    }

    #[tracing::instrument(skip_all, fields(workspace_id, ticket_id))]
    async fn write_to_requester(
        &self,
        caller: &Caller,
        workspace_id: &str,
        ticket_id: &str,
        to: Option<String>,
        text: String,
        draft_id: Option<String>,
    ) -> Result<String, ServiceError> {
        let agent = self.agent(caller, workspace_id).await?;
        let text = app::desk::validate_reply(&text)?;
        self.first_emails
            .check(&agent.id)
            .map_err(|wait| ServiceError::RateLimited { retry_after_secs: wait.as_secs().max(1) })?;
        let to = match to.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            Some(to) => Some(app::tickets::validate_requester(to)?),
            None => None,
        };
        let message = agent_message(&agent, text, now_millis());
        let payload = serde_json::to_value(&message).map_err(|e| AppError::Task(e.to_string()))?;
        let (workspace, ticket) = (workspace_id.to_owned(), ticket_id.to_owned());
        let job = |db: sqlx::AnyPool| async move {
            let mut tx = db.begin().await?;
            let conversation =
                requester::begin(&mut tx, &workspace, &ticket, to.as_deref(), &agent, message.created_at).await?;
            take_over(&mut tx, &workspace, &conversation, &agent, message.created_at).await?;
            conversations::add_agent_message(&mut tx, &workspace, &conversation, &agent.id, &message).await?;
            crate::tickets::store::on_team_reply(&mut tx, &workspace, &conversation, message.created_at).await?;
            if let Some(draft) = draft_id {
                decide_sent_draft(&mut tx, &workspace, DraftFor::Ticket(&ticket), &agent.id, &draft, &message).await?;
            }
            // An email conversation: due at once.
            followups::schedule(&mut tx, &workspace, &conversation, message.created_at).await?;
            let seq = journal::append(&mut tx, &workspace, &conversation, "message", &payload).await?;
            tx.commit().await?;
            Ok::<_, AppError>((conversation, seq))
        };
        let (conversation, seq) = self.sql.write(job).await?;
        self.live.journaled(workspace_id, &conversation, seq).await;
        self.live.tickets_changed(workspace_id, Some(ticket_id)).await;
        Ok(conversation)
    }

    #[tracing::instrument(skip_all, fields(workspace_id))]
    async fn discard_draft(&self, caller: &Caller, workspace_id: &str, draft_id: &str) -> Result<(), ServiceError> {
        let agent = self.agent(caller, workspace_id).await?;
        let (workspace, draft) = (workspace_id.to_owned(), draft_id.to_owned());
        let job = |db: sqlx::AnyPool| async move {
            let discarded =
                drafts::decide(&db, &workspace, &agent.id, &draft, DraftOutcome::Discarded, now_millis()).await?;
            // Discarding twice is no error; someone else's draft, or none, is.
            Ok::<_, sqlx::Error>(discarded || drafts::exists(&db, &workspace, &agent.id, &draft).await?)
        };
        match self.sql.write(job).await.map_err(AppError::from)? {
            true => Ok(()),
            false => Err(ServiceError::NotFound),
        }
    }

    #[tracing::instrument(skip_all, fields(workspace_id, conversation_id))]
    async fn hand_back(
        &self,
        caller: &Caller,
        workspace_id: &str,
        conversation_id: &str,
    ) -> Result<Takeover, ServiceError> {
        self.agent(caller, workspace_id).await?;
        self.give(workspace_id, conversation_id, None).await
    }

    #[tracing::instrument(skip_all, fields(workspace_id))]
    async fn canned_replies(&self, caller: &Caller, workspace_id: &str) -> Result<CannedSetup, ServiceError> {
        let actor = self.accounts.authorize(caller, workspace_id, Action::ViewWorkspace).await?;
        self.canned_setup(workspace_id, actor.workspace.role.allows(Action::ConfigureDesk)).await
    }

    #[tracing::instrument(skip_all, fields(workspace_id))]
    async fn save_canned_reply(
        &self,
        caller: &Caller,
        workspace_id: &str,
        id: Option<String>,
        shortcut: String,
        body: String,
    ) -> Result<CannedSetup, ServiceError> {
        self.accounts.authorize(caller, workspace_id, Action::ConfigureDesk).await?;
        let workspace = workspace_id.to_owned();
        let job = |db: sqlx::AnyPool| async move {
            let mut tx = db.begin().await?;
            canned::save(&mut tx, &workspace, id.as_deref(), &shortcut, &body, now_millis()).await?;
            tx.commit().await?;
            Ok::<_, AppError>(())
        };
        self.sql.write(job).await?;
        self.canned_setup(workspace_id, true).await
    }

    #[tracing::instrument(skip_all, fields(workspace_id))]
    async fn delete_canned_reply(
        &self,
        caller: &Caller,
        workspace_id: &str,
        id: &str,
    ) -> Result<CannedSetup, ServiceError> {
        self.accounts.authorize(caller, workspace_id, Action::ConfigureDesk).await?;
        let (workspace, id) = (workspace_id.to_owned(), id.to_owned());
        let job = |db: sqlx::AnyPool| async move { canned::delete(&db, &workspace, &id).await };
        if !self.sql.write(job).await.map_err(AppError::from)? {
            return Err(ServiceError::NotFound);
        }
        self.canned_setup(workspace_id, true).await
    }
}
