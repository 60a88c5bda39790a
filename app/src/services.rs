//! The service traits the server implements, one per product area. Server
//! functions and the server's own REST handlers call the same services.

use std::future::Future;
use std::sync::Arc;

use async_trait::async_trait;
use leptos::prelude::use_context;
use leptos::server_fn::codec::TextStream;

use crate::accounts::{Password, SessionSummary, SignUpForm, SignUpOutcome, Viewer, WorkspaceSummary};
use crate::audit::AuditEvent;
use crate::billing::{BillingOverview, InvoiceSummary, Payer, PlanChangePreview, PlanChoice, PortalFlow};
use crate::business_hours::{BusinessHours, HoursSetup};
use crate::canned_replies::CannedSetup;
use crate::chat::{
    BotSettings, BotUsage, ChatMessage, ConversationFilter, ConversationSummary, FirstSteps, Priority, Transcript,
    WidgetSettings, WidgetSetup,
};
use crate::desk::{DeskConversation, Inbox, InboxFilter, Takeover};
use crate::email_followup::FollowupSetup;
use crate::error::ServiceError;
use crate::keys::{ApiKey, CreatedKey, NewKey};
use crate::knowledge::{KnowledgeOverview, NewSnippet, NewUrlSource, SourceDetail, SourceSummary, TestAnswer};
use crate::mentor::{CareerForm, CareerQuery, CareerResults, SkillSuggestion};
use crate::mentor_chat::MentorChat;
use crate::mentor_ops::MentorInsights;
use crate::mentor_resume::{ResumeConfirmation, ResumeReading};
use crate::permissions::Role;
use crate::reply_drafts::ReplyDraft;
use crate::routing::{RoutingInput, RoutingSetup};
use crate::sales::{ContactSalesForm, LeadReceipt};
use crate::sla::{SlaPolicy, SlaSetup};
use crate::team::{InvitationPreview, TeamView};
use crate::ticket_categories::{CategorySetup, TicketCategory};
use crate::ticket_notes::{MentionList, MentionsRead};
use crate::tickets::{TicketChange, TicketDetail, TicketList, TicketView};
use crate::visitor_identity::{IdentitySetup, PlanPriority};

/// Who is calling, as the server's middleware read it from the request
/// before any handler ran. Services trust nothing else about the caller.
#[derive(Clone, Default)]
pub struct Caller {
    /// The browser session cookie's value, if one was sent.
    pub session_token: Option<String>,
    /// The cookie that marks a browser someone logged in from before.
    pub known_browser: Option<String>,
    /// The client's address: the socket peer, or the trusted proxy's header when configured.
    pub client_addr: String,
    pub user_agent: String,
}

impl std::fmt::Debug for Caller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Caller")
            .field("session", &self.session_token.as_ref().map(|_| "…"))
            .field("client_addr", &self.client_addr)
            .finish()
    }
}

/// A complete `Set-Cookie` header value for the session cookie, made by the
/// server, which alone knows the cookie's name and attributes.
#[derive(Clone)]
pub struct SessionCookie(pub String);

/// A finished sign-up: a session only when an invitation proved the email.
pub struct SignedUp {
    pub outcome: SignUpOutcome,
    pub cookie: Option<SessionCookie>,
}

/// A successful login.
pub struct LoggedIn {
    pub cookie: SessionCookie,
    /// Marks this browser as one the person logs in from.
    pub known_browser: SessionCookie,
    /// Where this person lands by default.
    pub home: String,
}

#[async_trait]
pub trait SalesService: Send + Sync + 'static {
    /// Validates and stores an Enterprise enquiry.
    async fn submit_lead(&self, form: &ContactSalesForm) -> Result<LeadReceipt, ServiceError>;
}

/// Billing: plans bought through Stripe, for a workspace (its owner) or a
/// person (their mentor plan).
#[async_trait]
pub trait BillingService: Send + Sync + 'static {
    /// `fresh`: read the subscription back from Stripe before answering.
    async fn overview(&self, caller: &Caller, payer: Payer, fresh: bool) -> Result<BillingOverview, ServiceError>;
    /// The payer's latest invoices, newest first (none before a first purchase).
    async fn invoices(&self, caller: &Caller, payer: Payer) -> Result<Vec<InvoiceSummary>, ServiceError>;
    /// What moving the live subscription to `choice` would charge now.
    async fn preview_change(
        &self,
        caller: &Caller,
        payer: Payer,
        choice: PlanChoice,
    ) -> Result<PlanChangePreview, ServiceError>;
    /// Moves the live subscription to `choice`, prorated at `proration_date` (s) as previewed.
    async fn change_plan(
        &self,
        caller: &Caller,
        payer: Payer,
        choice: PlanChoice,
        proration_date: i64,
    ) -> Result<(), ServiceError>;
    /// The address of a Stripe Checkout page for `choice`.
    async fn checkout(&self, caller: &Caller, payer: Payer, choice: PlanChoice) -> Result<String, ServiceError>;
    /// The address of the payer's Customer Portal, opened at `flow`.
    async fn portal(&self, caller: &Caller, payer: Payer, flow: PortalFlow) -> Result<String, ServiceError>;
}

/// People and their sessions.
#[async_trait]
pub trait AccountsService: Send + Sync + 'static {
    async fn sign_up(&self, caller: &Caller, form: SignUpForm) -> Result<SignedUp, ServiceError>;
    async fn log_in(&self, caller: &Caller, email: &str, password: &Password) -> Result<LoggedIn, ServiceError>;
    /// Ends the caller's session; the cookie clears it in the browser.
    async fn log_out(&self, caller: &Caller) -> Result<SessionCookie, ServiceError>;
    async fn viewer(&self, caller: &Caller) -> Result<Option<Viewer>, ServiceError>;
    /// Returns the verified email and a session: the emailed link proves who
    /// the person is, so they need not log in again.
    async fn verify_email(&self, caller: &Caller, token: &str) -> Result<(String, LoggedIn), ServiceError>;
    async fn resend_verification(&self, caller: &Caller, email: &str) -> Result<(), ServiceError>;
    async fn request_password_reset(&self, caller: &Caller, email: &str) -> Result<(), ServiceError>;
    async fn reset_password(&self, caller: &Caller, token: &str, password: &Password) -> Result<(), ServiceError>;
    async fn change_password(&self, caller: &Caller, current: &Password, new: &Password) -> Result<(), ServiceError>;
    async fn update_profile(&self, caller: &Caller, name: &str) -> Result<Viewer, ServiceError>;
    async fn list_sessions(&self, caller: &Caller) -> Result<Vec<SessionSummary>, ServiceError>;
    async fn revoke_session(&self, caller: &Caller, session_id: &str) -> Result<(), ServiceError>;
    async fn delete_account(
        &self,
        caller: &Caller,
        password: &Password,
        confirm: &str,
    ) -> Result<SessionCookie, ServiceError>;
}

/// Workspaces, members, invitations, API keys and the audit log. Every
/// method that takes a `workspace_id` answers `NotFound` unless the caller is
/// an active member, and `Forbidden` unless their role allows the action.
#[async_trait]
pub trait TeamService: Send + Sync + 'static {
    async fn create_workspace(&self, caller: &Caller, name: &str) -> Result<WorkspaceSummary, ServiceError>;
    async fn team(&self, caller: &Caller, workspace_id: &str) -> Result<TeamView, ServiceError>;
    async fn invite(&self, caller: &Caller, workspace_id: &str, email: &str, role: Role) -> Result<(), ServiceError>;
    async fn revoke_invitation(
        &self,
        caller: &Caller,
        workspace_id: &str,
        invitation_id: &str,
    ) -> Result<(), ServiceError>;
    async fn change_role(
        &self,
        caller: &Caller,
        workspace_id: &str,
        user_id: &str,
        role: Role,
    ) -> Result<(), ServiceError>;
    async fn set_suspended(
        &self,
        caller: &Caller,
        workspace_id: &str,
        user_id: &str,
        suspended: bool,
    ) -> Result<(), ServiceError>;
    async fn remove_member(&self, caller: &Caller, workspace_id: &str, user_id: &str) -> Result<(), ServiceError>;
    async fn transfer_ownership(&self, caller: &Caller, workspace_id: &str, user_id: &str) -> Result<(), ServiceError>;
    async fn leave(&self, caller: &Caller, workspace_id: &str) -> Result<(), ServiceError>;
    async fn invitation_preview(&self, caller: &Caller, token: &str) -> Result<InvitationPreview, ServiceError>;
    async fn accept_invitation(&self, caller: &Caller, token: &str) -> Result<WorkspaceSummary, ServiceError>;
    async fn list_keys(&self, caller: &Caller, workspace_id: &str) -> Result<Vec<ApiKey>, ServiceError>;
    async fn create_key(&self, caller: &Caller, workspace_id: &str, key: NewKey) -> Result<CreatedKey, ServiceError>;
    async fn update_key_origins(
        &self,
        caller: &Caller,
        workspace_id: &str,
        key_id: &str,
        origins: Vec<String>,
    ) -> Result<ApiKey, ServiceError>;
    async fn revoke_key(&self, caller: &Caller, workspace_id: &str, key_id: &str) -> Result<(), ServiceError>;
    async fn audit_log(&self, caller: &Caller, workspace_id: &str) -> Result<Vec<AuditEvent>, ServiceError>;
}

/// The knowledge base: sources, their processing, and retrieval.
#[async_trait]
pub trait KnowledgeService: Send + Sync + 'static {
    async fn overview(&self, caller: &Caller, workspace_id: &str) -> Result<KnowledgeOverview, ServiceError>;
    async fn source(&self, caller: &Caller, workspace_id: &str, source_id: &str) -> Result<SourceDetail, ServiceError>;
    async fn add_url(
        &self,
        caller: &Caller,
        workspace_id: &str,
        source: NewUrlSource,
    ) -> Result<SourceSummary, ServiceError>;
    async fn add_snippet(
        &self,
        caller: &Caller,
        workspace_id: &str,
        snippet: NewSnippet,
    ) -> Result<SourceSummary, ServiceError>;
    /// One uploaded file. `file_name` is shown to people, never used as a path.
    async fn add_file(
        &self,
        caller: &Caller,
        workspace_id: &str,
        file_name: &str,
        bytes: Vec<u8>,
    ) -> Result<SourceSummary, ServiceError>;
    async fn delete(&self, caller: &Caller, workspace_id: &str, source_id: &str) -> Result<(), ServiceError>;
    async fn resync(&self, caller: &Caller, workspace_id: &str, source_id: &str)
        -> Result<SourceSummary, ServiceError>;
    async fn cancel(&self, caller: &Caller, workspace_id: &str, source_id: &str)
        -> Result<SourceSummary, ServiceError>;
    async fn schedule(
        &self,
        caller: &Caller,
        workspace_id: &str,
        source_id: &str,
        every_hours: Option<u32>,
    ) -> Result<SourceSummary, ServiceError>;
    async fn test_question(
        &self,
        caller: &Caller,
        workspace_id: &str,
        question: &str,
        source_ids: Vec<String>,
    ) -> Result<TestAnswer, ServiceError>;
}

/// The support bot as the dashboard sees it: the widget's settings and the
/// conversations visitors had.
#[async_trait]
pub trait ChatService: Send + Sync + 'static {
    async fn widget_setup(&self, caller: &Caller, workspace_id: &str) -> Result<WidgetSetup, ServiceError>;
    async fn save_widget(
        &self,
        caller: &Caller,
        workspace_id: &str,
        settings: WidgetSettings,
        bot: BotSettings,
    ) -> Result<WidgetSetup, ServiceError>;
    /// This month's answers against the plan's quota; any member may see it.
    async fn usage(&self, caller: &Caller, workspace_id: &str) -> Result<BotUsage, ServiceError>;
    /// Which of a new workspace's first steps have happened; any member may see it.
    async fn first_steps(&self, caller: &Caller, workspace_id: &str) -> Result<FirstSteps, ServiceError>;
    async fn conversations(
        &self,
        caller: &Caller,
        workspace_id: &str,
        filter: ConversationFilter,
    ) -> Result<Vec<ConversationSummary>, ServiceError>;
    async fn transcript(
        &self,
        caller: &Caller,
        workspace_id: &str,
        conversation_id: &str,
    ) -> Result<Transcript, ServiceError>;
}

/// The support desk: the inbox, and a person from the team taking a
/// conversation over from the bot. Members who may answer conversations may
/// do all of it.
#[async_trait]
pub trait DeskService: Send + Sync + 'static {
    /// The workspace's conversations for the desk, in the view's order.
    async fn inbox(&self, caller: &Caller, workspace_id: &str, filter: InboxFilter) -> Result<Inbox, ServiceError>;
    /// The conversation with who answers it; what the caller sees is read.
    async fn open(
        &self,
        caller: &Caller,
        workspace_id: &str,
        conversation_id: &str,
    ) -> Result<DeskConversation, ServiceError>;
    /// The caller is away (or available again, when the queue is routed).
    async fn set_away(&self, caller: &Caller, workspace_id: &str, away: bool) -> Result<bool, ServiceError>;
    /// The caller is typing a reply: everyone following the conversation hears it.
    async fn typing(&self, caller: &Caller, workspace_id: &str, conversation_id: &str) -> Result<(), ServiceError>;
    /// The visitor's messages so far are read by the caller.
    async fn mark_read(&self, caller: &Caller, workspace_id: &str, conversation_id: &str) -> Result<(), ServiceError>;
    /// Done: the conversation leaves the open views and the bot answers
    /// again; the visitor's next message reopens it. With `ask_rating`, a
    /// visitor a person answered is asked once to rate it.
    async fn resolve(
        &self,
        caller: &Caller,
        workspace_id: &str,
        conversation_id: &str,
        ask_rating: bool,
    ) -> Result<Takeover, ServiceError>;
    /// The caller answers the conversation from now on; the bot stops.
    async fn join(&self, caller: &Caller, workspace_id: &str, conversation_id: &str) -> Result<Takeover, ServiceError>;
    /// Sends the visitor a message (joining first if nobody answers yet).
    /// With `draft_id`, the message started as that draft: it is recorded
    /// as sent as written or edited.
    async fn reply(
        &self,
        caller: &Caller,
        workspace_id: &str,
        conversation_id: &str,
        text: String,
        draft_id: Option<String>,
    ) -> Result<ChatMessage, ServiceError>;
    /// Drafts a reply to the visitor's latest message from the workspace's
    /// knowledge; dropped and written again if the conversation changes
    /// meanwhile. The caller's earlier undecided draft is discarded.
    async fn draft(
        &self,
        caller: &Caller,
        workspace_id: &str,
        conversation_id: &str,
    ) -> Result<ReplyDraft, ServiceError>;
    /// Drafts a first email to the requester of a ticket that has no
    /// conversation, answering its subject from the knowledge base.
    async fn draft_for_ticket(
        &self,
        caller: &Caller,
        workspace_id: &str,
        ticket_id: &str,
    ) -> Result<ReplyDraft, ServiceError>;
    /// Emails the requester of a ticket that has no conversation (at `to`
    /// when the ticket has no address), beginning the conversation the
    /// ticket then follows; with `draft_id`, recorded as that draft sent or
    /// edited. Answers the conversation's id.
    async fn write_to_requester(
        &self,
        caller: &Caller,
        workspace_id: &str,
        ticket_id: &str,
        to: Option<String>,
        text: String,
        draft_id: Option<String>,
    ) -> Result<String, ServiceError>;
    /// The caller threw their draft away.
    async fn discard_draft(&self, caller: &Caller, workspace_id: &str, draft_id: &str) -> Result<(), ServiceError>;
    /// The bot answers again.
    async fn hand_back(
        &self,
        caller: &Caller,
        workspace_id: &str,
        conversation_id: &str,
    ) -> Result<Takeover, ServiceError>;
    /// When the team works; any member may see them.
    async fn business_hours(&self, caller: &Caller, workspace_id: &str) -> Result<HoursSetup, ServiceError>;
    /// Sets when the team works (admins; the time zone is checked here).
    async fn save_business_hours(
        &self,
        caller: &Caller,
        workspace_id: &str,
        hours: BusinessHours,
    ) -> Result<HoursSetup, ServiceError>;
    /// When unseen replies are emailed to the visitor; any member may see it.
    async fn email_followup(&self, caller: &Caller, workspace_id: &str) -> Result<FollowupSetup, ServiceError>;
    /// Sets when unseen replies are emailed (admins; `minutes` is one of the
    /// offered delays, 0 for never).
    async fn save_email_followup(
        &self,
        caller: &Caller,
        workspace_id: &str,
        minutes: u32,
    ) -> Result<FollowupSetup, ServiceError>;
    /// The workspace's canned replies (any member may read and use them).
    async fn canned_replies(&self, caller: &Caller, workspace_id: &str) -> Result<CannedSetup, ServiceError>;
    /// Adds one, or changes `id` (admins); shortcuts are unique.
    async fn save_canned_reply(
        &self,
        caller: &Caller,
        workspace_id: &str,
        id: Option<String>,
        shortcut: String,
        body: String,
    ) -> Result<CannedSetup, ServiceError>;
    async fn delete_canned_reply(
        &self,
        caller: &Caller,
        workspace_id: &str,
        id: &str,
    ) -> Result<CannedSetup, ServiceError>;
    /// Identified visitors: the secret (to those who configure the widget)
    /// and the plans that raise priority (any member may read them).
    async fn identity(&self, caller: &Caller, workspace_id: &str) -> Result<IdentitySetup, ServiceError>;
    /// A new identity secret (those who configure the widget).
    async fn rotate_identity_secret(&self, caller: &Caller, workspace_id: &str) -> Result<IdentitySetup, ServiceError>;
    /// Ranks plans (admins).
    async fn save_plan_priorities(
        &self,
        caller: &Caller,
        workspace_id: &str,
        plans: Vec<PlanPriority>,
    ) -> Result<IdentitySetup, ServiceError>;
}

/// The career mentor. Recommendations need no account: anyone may ask, a
/// few times a minute per client.
#[async_trait]
pub trait MentorService: Send + Sync + 'static {
    async fn recommend(&self, caller: &Caller, query: CareerQuery) -> Result<CareerResults, ServiceError>;
    async fn suggest_skills(&self, caller: &Caller, typed: &str) -> Result<Vec<SkillSuggestion>, ServiceError>;
    /// The caller's saved form; `None` without one or signed out.
    async fn profile(&self, caller: &Caller) -> Result<Option<CareerForm>, ServiceError>;
    async fn save_profile(&self, caller: &Caller, query: CareerQuery) -> Result<(), ServiceError>;
    /// The signed-in person's chat: greeting, mode, allowance, history, and
    /// `conversation` (theirs) open.
    async fn chat(&self, caller: &Caller, conversation: Option<&str>) -> Result<MentorChat, ServiceError>;
    /// Charges one question to the person's allowance and answers it, the
    /// answer streaming as `MentorEvent` lines.
    async fn ask(
        &self,
        caller: &Caller,
        conversation: Option<&str>,
        question: &str,
    ) -> Result<TextStream<ServiceError>, ServiceError>;
    /// Usage across everyone, for the people in `OPERATOR_EMAILS` alone.
    async fn insights(&self, caller: &Caller) -> Result<MentorInsights, ServiceError>;
    /// Reads a résumé's skills; for someone signed in the reading is kept
    /// until confirmed. Its route gives each client a turn before reading
    /// the upload, so that is not checked again here.
    async fn read_resume(
        &self,
        caller: &Caller,
        file_name: &str,
        bytes: Vec<u8>,
    ) -> Result<ResumeReading, ServiceError>;
    /// The signed-in person confirms their reading `id`: what they chose
    /// joins their profile, which is returned.
    async fn confirm_resume(
        &self,
        caller: &Caller,
        id: &str,
        confirmed: ResumeConfirmation,
    ) -> Result<CareerForm, ServiceError>;
}

/// Tickets: what needs a person beyond a live chat (`crate::tickets`).
/// Every member may work them.
#[async_trait]
pub trait TicketService: Send + Sync + 'static {
    /// The tickets of `view` (with `tag` only, when given), most urgent then
    /// oldest first, with every view's count.
    async fn list(
        &self,
        caller: &Caller,
        workspace_id: &str,
        view: TicketView,
        tag: Option<String>,
    ) -> Result<TicketList, ServiceError>;
    /// One ticket with its history.
    async fn open(&self, caller: &Caller, workspace_id: &str, ticket_id: &str) -> Result<TicketDetail, ServiceError>;
    /// Opens a ticket by hand; about a conversation of the workspace, or not.
    async fn create(
        &self,
        caller: &Caller,
        workspace_id: &str,
        subject: String,
        priority: Priority,
        conversation_id: Option<String>,
    ) -> Result<TicketDetail, ServiceError>;
    /// Changes what `change` names, each change in the history under the caller's name.
    async fn update(
        &self,
        caller: &Caller,
        workspace_id: &str,
        ticket_id: &str,
        change: TicketChange,
    ) -> Result<TicketDetail, ServiceError>;
    /// The workspace's response and resolution targets per priority.
    async fn sla_policy(&self, caller: &Caller, workspace_id: &str) -> Result<SlaSetup, ServiceError>;
    /// Saves them (admins); live tickets' deadlines follow at once.
    async fn save_sla_policy(
        &self,
        caller: &Caller,
        workspace_id: &str,
        policy: SlaPolicy,
    ) -> Result<SlaSetup, ServiceError>;
    /// The workspace's ticket categories with their examples.
    async fn categories(&self, caller: &Caller, workspace_id: &str) -> Result<CategorySetup, ServiceError>;
    /// Saves them (admins); new tickets are sorted by them at once.
    async fn save_categories(
        &self,
        caller: &Caller,
        workspace_id: &str,
        categories: Vec<TicketCategory>,
    ) -> Result<CategorySetup, ServiceError>;
    /// How tickets nobody holds are routed, the team's load and the queue.
    async fn routing(&self, caller: &Caller, workspace_id: &str) -> Result<RoutingSetup, ServiceError>;
    /// Saves it (admins), checked against the workspace's categories; the
    /// queue is routed by it at once.
    async fn save_routing(
        &self,
        caller: &Caller,
        workspace_id: &str,
        routing: RoutingInput,
    ) -> Result<RoutingSetup, ServiceError>;
    /// Merges a duplicate into the workspace's ticket numbered `into`;
    /// answers that ticket.
    async fn merge(
        &self,
        caller: &Caller,
        workspace_id: &str,
        ticket_id: &str,
        into: i64,
    ) -> Result<TicketDetail, ServiceError>;
    /// Adds the caller's internal note to a ticket; each member it names is
    /// told in the dashboard and by email.
    async fn add_note(
        &self,
        caller: &Caller,
        workspace_id: &str,
        ticket_id: &str,
        body: String,
    ) -> Result<TicketDetail, ServiceError>;
    /// The notes that named the caller, after marking `read` read.
    async fn mentions(
        &self,
        caller: &Caller,
        workspace_id: &str,
        read: Option<MentionsRead>,
    ) -> Result<MentionList, ServiceError>;
}

/// Every service, handed to Leptos as context for each request.
#[derive(Clone)]
pub struct Services {
    pub sales: Arc<dyn SalesService>,
    pub accounts: Arc<dyn AccountsService>,
    pub team: Arc<dyn TeamService>,
    pub knowledge: Arc<dyn KnowledgeService>,
    pub chat: Arc<dyn ChatService>,
    pub desk: Arc<dyn DeskService>,
    pub mentor: Arc<dyn MentorService>,
    pub tickets: Arc<dyn TicketService>,
    pub billing: Arc<dyn BillingService>,
}

/// The body of every server function: finds the services and the caller,
/// runs `f`, and gives a failure its HTTP status.
pub async fn call<T, F, Fut>(f: F) -> Result<T, ServiceError>
where
    F: FnOnce(Services, Caller) -> Fut,
    Fut: Future<Output = Result<T, ServiceError>>,
{
    let result = match use_services() {
        Ok(services) => f(services, current_caller()).await,
        Err(e) => Err(e),
    };
    with_status(result)
}

/// The caller the server's middleware put on this request.
pub fn current_caller() -> Caller {
    use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<Caller>().cloned())
        .unwrap_or_default()
}

pub fn set_cookie(cookie: &SessionCookie) {
    if let (Some(response), Ok(value)) =
        (use_context::<leptos_axum::ResponseOptions>(), http::HeaderValue::from_str(&cookie.0))
    {
        response.append_header(http::header::SET_COOKIE, value);
    }
}

/// Gives a server function's failure the HTTP status its error deserves,
/// so API clients need not parse bodies to branch. A plain HTML form post
/// (no JavaScript yet) keeps the redirect back to its page that Leptos
/// answers it with.
pub fn with_status<T>(result: Result<T, ServiceError>) -> Result<T, ServiceError> {
    let plain_form_post = use_context::<http::request::Parts>()
        .and_then(|parts| parts.headers.get(http::header::ACCEPT)?.to_str().ok().map(|v| v.contains("text/html")))
        .unwrap_or(false);
    if plain_form_post {
        return result;
    }
    if let Err(error) = &result {
        set_status_of(error);
    }
    result
}

/// Gives the current server function's response the status `error` deserves.
pub fn set_status_of(error: &ServiceError) {
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(
            http::StatusCode::from_u16(error.status_code()).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR),
        );
        if let Some(retry_after_secs) = error.retry_after_secs() {
            response.insert_header(http::header::RETRY_AFTER, retry_after_secs.into());
        }
    }
}

/// The services for the current request. Missing context is a wiring bug,
/// reported as an internal error rather than a panic.
pub fn use_services() -> Result<Services, ServiceError> {
    use_context::<Services>().ok_or(ServiceError::Internal)
}
