//! The support bot's chat pipeline, as PRODUCT.md draws it: validate →
//! rate limit and quota → sentiment → embed → hybrid retrieval → history →
//! answer → citations, confidence, follow-ups → store → escalate. The widget
//! API (`api.rs`) and, later, the dashboard preview and REST API call it.

pub mod answer;
pub mod answerability;
pub mod api;
pub mod breaker;
pub mod connections;
pub mod conversations;
pub mod dashboard;
pub mod drafts;
pub mod email_reply;
pub mod guard;
pub mod identity_token;
pub mod limits;
pub mod llm;
pub mod openai_wire;
pub mod prompt;
pub mod safe_stream;
pub mod safety;
pub mod sentiment;
pub mod settings;
pub mod usage;
pub mod visitor;
pub mod visitor_desk;
pub mod visitor_identities;

use std::sync::Arc;
use std::time::{Duration, Instant};

use app::chat::{
    asks_for_human, validate_visitor_message, Author, BotSettings, ChatMessage, Citation, FlagReason, Sentiment,
    SentimentLabel, VisitorLimits, WidgetSettings, HISTORY_MESSAGES,
};
use app::error::ServiceError;
use app::knowledge::Passage;
use app::plans::{entitlements, Product, Tier};
use app::visitor_identity::IdentifiedVisitor;
use tokio::sync::mpsc;

use crate::accounts::Accounts;
use crate::config::Config;
use crate::desk::inbox::Queue;
use crate::error::AppError;
use crate::knowledge::index::Mode as Retrieval;
use crate::knowledge::Knowledge;
use crate::live::journal;
use crate::live::slots::Slots;
use crate::live::Live;
use crate::sql::{now_millis, SqlStore};
use crate::tickets::categories::Categorizer;
use crate::tickets::store as tickets;
use guard::{Guard, Proof};
use limits::Gcra;
use llm::{Llm, LlmFailure};
use prompt::Prompt;
use safe_stream::SafeStream;
use sentiment::Classifier;
use settings::SettingsTable;
use usage::{Allowance, PastShare};

/// Whether a message asks something beyond its complaint: a question mark,
/// or a sentence that opens like a question, in the widget's languages.
fn asks_something(text: &str) -> bool {
    const OPENERS: &[&str] = &[
        "how", "what", "when", "where", "why", "which", "who", "can", "could", "do", "does", "is", "are", "will",
        "cómo", "qué", "cuándo", "dónde", "puedo", "comment", "quand", "où", "pourquoi", "est-ce", "wie", "was",
        "wann", "wo", "warum", "kann",
    ];
    text.contains('?')
        || text.split(['.', '!', '\n']).any(|sentence| {
            let first = sentence.split_whitespace().next().unwrap_or("").to_lowercase();
            OPENERS.contains(&first.trim_start_matches('¿'))
        })
}

/// Passages retrieved for each question.
pub const PASSAGES: usize = 6;
/// Sessions started per client address: a burst, then one per interval.
const SESSION_BURST: u32 = 20;
const SESSION_INTERVAL: Duration = Duration::from_secs(3);
/// A strongly negative message (this score or below) goes to a person.
const ESCALATE_AT_SCORE: f32 = -0.6;
/// Live channels one visitor may hold open at once (a few tabs).
const CHANNELS_PER_VISITOR: usize = 4;
/// Live channels one client address may hold open at once (a busy office
/// behind one address, not one client holding every connection).
const CHANNELS_PER_CLIENT: usize = 64;
const UNANSWERED_BEFORE_ESCALATION: i64 = 2;

pub const HANDOFF_REPLY: &str =
    "I've asked a person from the team to join. They'll reply right here, so keep this window open or come back later.";
/// To a strongly negative message that asks nothing the knowledge answers:
/// an apology and a person, never an unrelated passage.
pub const APOLOGY_REPLY: &str = "I'm sorry about this. I've passed your message to a person from the team, \
who will follow up with you.";
/// Shown under an offline answer that stands in for the LLM's.
pub const FALLBACK_NOTE: &str =
    "Our AI assistant is unavailable right now, so this answer comes straight from our help content.";
pub const QUOTA_MESSAGE: &str = "Our assistant has answered all the questions it can this month. \
Please leave your question with “Talk to a human” and the team will reply.";
pub const BUSY_MESSAGE: &str = "Our assistant has answered all the questions it can for today. \
Please leave your question with “Talk to a human” and the team will reply, or ask again tomorrow.";

pub struct Chat {
    sql: SqlStore,
    knowledge: Arc<Knowledge>,
    accounts: Arc<Accounts>,
    /// The deployment's LLM; `None` answers with the offline engine.
    /// Shared with the mentor: one provider, one circuit breaker.
    llm: Option<Arc<Llm>>,
    /// This server's own origins: the dashboard's preview runs there.
    own_origins: Vec<String>,
    /// Tells followers of a conversation, in every process, of its changes.
    live: Arc<Live>,
    /// Sorts the tickets escalations open.
    categorizer: Arc<Categorizer>,
    channels_per_visitor: Slots,
    channels_per_client: Slots,
    visitor_limit: Gcra,
    session_limit: Gcra,
    guard: Guard,
}

/// A workspace's widget, after its publishable key and the page's origin
/// were checked.
#[derive(Debug, Clone)]
pub struct Widget {
    pub workspace_id: String,
    pub workspace_name: String,
    pub plan: String,
    pub origin: String,
    pub settings: WidgetSettings,
    /// The owner's fair-use limits (from the private bot settings).
    pub limits: VisitorLimits,
    /// The dashboard's live preview: the owner testing, not a visitor.
    pub preview: bool,
}

impl Widget {
    fn from_row(row: settings::WidgetRow, origin: &str, preview: bool) -> Widget {
        Widget {
            workspace_id: row.workspace_id,
            workspace_name: row.name,
            plan: row.plan,
            origin: origin.to_owned(),
            settings: settings::parsed(row.widget),
            limits: settings::parsed::<BotSettings>(row.bot).limits,
            preview,
        }
    }
}

/// Why a widget request was refused before anything else ran.
#[derive(Debug, thiserror::Error)]
pub enum WidgetRefusal {
    #[error("This widget key is not valid. Check the data-key in the embed code.")]
    UnknownKey,
    #[error("This site is not allowed to use this widget. Add it to the key's allowed sites in the dashboard.")]
    OriginNotAllowed,
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl From<sqlx::Error> for WidgetRefusal {
    fn from(error: sqlx::Error) -> Self {
        WidgetRefusal::Service(AppError::from(error).into())
    }
}

/// What the visitor's browser hears while an answer is made. Messages are
/// boxed: each answer's channel holds blocks of these, thousands at once,
/// and most events are small deltas.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ChatEvent {
    /// The visitor's message as stored, with its sentiment.
    Received {
        message: Box<ChatMessage>,
    },
    /// More of the answer's text.
    Delta {
        text: String,
    },
    /// The text streamed so far is withdrawn (the provider failed part-way,
    /// or its reply broke a guardrail); the answer that replaces it follows.
    Retract,
    /// A person from the team answers this conversation: the message
    /// reached them, and their reply comes on the live channel.
    Held,
    /// The answer as stored.
    Done {
        message: Box<ChatMessage>,
        flagged: bool,
    },
    Failed {
        error: String,
    },
}

/// Who sent a widget request: the visitor their token names, the address
/// it came from, and the challenge they solved (token and solution), if any.
pub struct Visitor<'a> {
    pub id: &'a str,
    pub address: &'a str,
    pub proof: Option<(&'a str, &'a str)>,
}

/// A visitor's session: their token and conversation so far.
#[derive(Debug, Clone, serde::Serialize)]
pub struct VisitorSession {
    pub token: String,
    pub messages: Vec<ChatMessage>,
    pub flagged: bool,
    /// Whether the team has an email to follow up at.
    pub email_known: bool,
    /// The number of the conversation's last journal entry: the push
    /// channel resumes after it.
    pub seq: i64,
    /// The name of the person from the team answering, if one is.
    pub agent: Option<String>,
    /// Where the visitor stands in line for a person, while they wait.
    pub queue: Option<Queue>,
    /// Whether a person from the team has seen the visitor's latest message.
    pub seen: bool,
    /// Whether the visitor is asked to rate the conversation and has not yet.
    pub rating_asked: bool,
    /// Why the site's identity token was refused (the widget tells the
    /// site's developer in the console; the visitor chats anonymously).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity_error: Option<String>,
}

impl Chat {
    pub fn new(
        sql: SqlStore,
        knowledge: Arc<Knowledge>,
        accounts: Arc<Accounts>,
        llm: Option<Arc<Llm>>,
        live: Arc<Live>,
        categorizer: Arc<Categorizer>,
        config: &Config,
    ) -> Self {
        Chat {
            live,
            categorizer,
            channels_per_visitor: Slots::new(CHANNELS_PER_VISITOR),
            channels_per_client: Slots::new(CHANNELS_PER_CLIENT),
            guard: Guard::new(accounts.server_key().clone()),
            sql,
            knowledge,
            accounts,
            llm,
            own_origins: own_origins(&config.public_url),
            visitor_limit: Gcra::new(config.widget.visitor_burst, config.widget.visitor_interval),
            session_limit: Gcra::new(SESSION_BURST, SESSION_INTERVAL),
        }
    }

    fn pool(&self) -> &sqlx::AnyPool {
        self.sql.pool()
    }

    pub fn llm(&self) -> Option<&Llm> {
        self.llm.as_deref()
    }

    /// Trains the sentiment classifier in the background at start-up, so
    /// the first visitor does not wait for it.
    /// Also starts forgetting old daily fair-use counters, hourly.
    pub fn warm_up(&self) {
        let embedder = self.knowledge.embedder().clone();
        tokio::spawn(async move {
            if let Err(error) = Classifier::for_embedder(&embedder).await {
                tracing::warn!(%error, "the sentiment classifier could not be trained yet; the first message will try again");
            }
        });
        let sql = self.sql.clone();
        tokio::spawn(async move {
            let mut hourly = tokio::time::interval(Duration::from_secs(3600));
            loop {
                hourly.tick().await;
                if let Err(error) = sql.write(|db| async move { usage::forget_old_days(&db).await }).await {
                    tracing::warn!(%error, "could not forget old fair-use counters");
                }
            }
        });
    }

    /// Checks a publishable key and the page's `Origin` against the key's
    /// allowed sites. Every widget request starts here.
    pub async fn widget(&self, key: &str, origin: Option<&str>) -> Result<Widget, WidgetRefusal> {
        if key.starts_with(visitor::PREVIEW_PREFIX) {
            return self.preview_widget(key, origin).await;
        }
        let digest = crate::accounts::secrets::digest(key);
        let found = self.sql.read(|db| async move { settings::by_key(&db, &digest).await }).await?;
        let (row, allowed) = found.ok_or(WidgetRefusal::UnknownKey)?;
        let origin = origin.ok_or(WidgetRefusal::OriginNotAllowed)?;
        if !allowed.lines().any(|allowed| allowed.trim().eq_ignore_ascii_case(origin)) {
            return Err(WidgetRefusal::OriginNotAllowed);
        }
        Ok(Widget::from_row(row, origin, false))
    }

    /// The dashboard's live preview: a signed, short-lived preview key, on
    /// this server's own origin only.
    async fn preview_widget(&self, key: &str, origin: Option<&str>) -> Result<Widget, WidgetRefusal> {
        let workspace_id =
            visitor::verify_preview(self.accounts.server_key(), key, now_millis()).ok_or(WidgetRefusal::UnknownKey)?;
        let origin = origin.filter(|o| self.own_origins.iter().any(|own| own.eq_ignore_ascii_case(o)));
        let origin = origin.ok_or(WidgetRefusal::OriginNotAllowed)?;
        let row = self.sql.read(|db| async move { settings::by_workspace(&db, &workspace_id).await }).await?;
        Ok(Widget::from_row(row.ok_or(WidgetRefusal::UnknownKey)?, origin, true))
    }

    /// This server's public origin.
    pub fn own_origin(&self) -> Option<&str> {
        self.own_origins.first().map(String::as_str)
    }

    /// A preview key for the dashboard's live preview of `workspace_id`.
    pub fn preview_key(&self, workspace_id: &str) -> String {
        visitor::issue_preview(self.accounts.server_key(), workspace_id, now_millis())
    }

    pub async fn settings(&self, workspace_id: &str) -> Result<WidgetSettings, ServiceError> {
        self.load_settings(SettingsTable::Widget, workspace_id).await
    }

    pub async fn save_settings(&self, workspace_id: &str, settings: &WidgetSettings) -> Result<(), ServiceError> {
        self.store_settings(SettingsTable::Widget, workspace_id, settings).await
    }

    pub async fn bot_settings(&self, workspace_id: &str) -> Result<BotSettings, ServiceError> {
        self.load_settings(SettingsTable::Bot, workspace_id).await
    }

    pub async fn save_bot_settings(&self, workspace_id: &str, settings: &BotSettings) -> Result<(), ServiceError> {
        self.store_settings(SettingsTable::Bot, workspace_id, settings).await
    }

    /// A workspace's settings document; defaults when none is stored.
    async fn load_settings<T: serde::de::DeserializeOwned + Default>(
        &self,
        table: SettingsTable,
        workspace_id: &str,
    ) -> Result<T, ServiceError> {
        let workspace_id = workspace_id.to_owned();
        let stored = self.sql.read(|db| async move { settings::load(&db, table, &workspace_id).await }).await;
        Ok(settings::parsed(stored.map_err(AppError::from)?))
    }

    async fn store_settings<T: serde::Serialize>(
        &self,
        table: SettingsTable,
        workspace_id: &str,
        document: &T,
    ) -> Result<(), ServiceError> {
        let json = serde_json::to_string(document).map_err(|e| AppError::Task(e.to_string()))?;
        let workspace_id = workspace_id.to_owned();
        let stored = self.sql.write(|db| async move { settings::store(&db, table, &workspace_id, &json).await }).await;
        Ok(stored.map_err(AppError::from)?)
    }

    /// Resumes the visitor behind `token`, or starts a new one.
    pub async fn session(
        &self,
        widget: &Widget,
        token: Option<&str>,
        identity: Option<&str>,
        client_addr: &str,
    ) -> Result<VisitorSession, ServiceError> {
        let now = now_millis();
        let known = token.and_then(|t| visitor::verify(self.accounts.server_key(), t, &widget.workspace_id, now));
        let (identified, identity_error) = match identity.filter(|t| !t.is_empty() && !widget.preview) {
            Some(identity) => match self.identify(&widget.workspace_id, identity).await? {
                Ok(visitor) => (Some(visitor), None),
                Err(error) => (None, Some(error)),
            },
            None => (None, None),
        };
        let new_visitor = || {
            self.session_limit
                .check(&guard::client_of(client_addr))
                .map_err(|wait| ServiceError::RateLimited { retry_after_secs: wait.as_secs().max(1) })
        };
        let visitor_id = match (&identified, known) {
            (Some(visitor), Some(id)) if id == identity_token::visitor_id(&visitor.user_id) => id,
            (Some(visitor), _) => {
                new_visitor()?;
                identity_token::visitor_id(&visitor.user_id)
            }
            // An identified visitor's token on a page that no longer names
            // them: they signed out, or someone else uses the browser.
            (None, Some(id)) if !identity_token::is_identified(&id) => id,
            (None, _) => {
                new_visitor()?;
                uuid::Uuid::new_v4().to_string()
            }
        };
        if let Some(visitor) = &identified {
            self.remember_identity(&widget.workspace_id, &visitor_id, visitor).await?;
        }
        let conversation = self.latest_conversation(&widget.workspace_id, &visitor_id).await?;
        let messages = match &conversation {
            Some(c) => self.messages(&c.id).await?,
            None => Vec::new(),
        };
        let token = visitor::issue(self.accounts.server_key(), &widget.workspace_id, &visitor_id, now);
        let queue = match &conversation {
            Some(c) if c.flagged_at.is_some() && c.assignee_id.is_none() => {
                self.queue(&widget.workspace_id, &c.id).await?
            }
            _ => None,
        };
        let latest_asked = messages.iter().rev().find(|m| m.author == Author::Visitor).map(|m| m.created_at);
        let seen_upto = conversation.as_ref().and_then(|c| c.team_seen_at);
        Ok(VisitorSession {
            seen: matches!((seen_upto, latest_asked), (Some(seen), Some(asked)) if seen >= asked),
            rating_asked: conversation.as_ref().is_some_and(|c| c.rating_asked_at.is_some() && c.rating.is_none()),
            token,
            messages,
            flagged: conversation.as_ref().is_some_and(|c| c.flagged_at.is_some()),
            email_known: conversation.as_ref().is_some_and(|c| c.visitor_email.is_some())
                || identified.as_ref().is_some_and(|v| v.email.is_some()),
            seq: conversation.as_ref().map_or(0, |c| c.journal_seq),
            agent: conversation.and_then(|c| c.assignee_name),
            queue,
            identity_error,
        })
    }

    /// The visitor a site's identity token names, or why it was refused.
    async fn identify(&self, workspace_id: &str, token: &str) -> Result<Result<IdentifiedVisitor, String>, AppError> {
        let workspace = workspace_id.to_owned();
        let job = |db: sqlx::AnyPool| async move { crate::desk::settings::identity_version(&db, &workspace).await };
        let version = self.sql.read(job).await?;
        let secret = identity_token::secret(self.accounts.server_key(), workspace_id, version);
        Ok(identity_token::verify(&secret, token))
    }

    /// Stores who the visitor is when that changed (a session per page
    /// load writes nothing new), and gives their open conversation their
    /// email if it has none, so the team can follow up.
    async fn remember_identity(
        &self,
        workspace_id: &str,
        visitor_id: &str,
        visitor: &IdentifiedVisitor,
    ) -> Result<(), AppError> {
        let (workspace, id) = (workspace_id.to_owned(), visitor_id.to_owned());
        let job = |db: sqlx::AnyPool| async move { visitor_identities::of_visitor(&db, &workspace, &id).await };
        if self.sql.read(job).await?.as_ref() == Some(visitor) {
            return Ok(());
        }
        let (workspace, id, visitor) = (workspace_id.to_owned(), visitor_id.to_owned(), visitor.clone());
        let job = |db: sqlx::AnyPool| async move {
            visitor_identities::save(&db, &workspace, &id, &visitor, now_millis()).await?;
            if let Some(email) = &visitor.email {
                conversations::set_email_where_missing(&db, &workspace, &id, email).await?;
            }
            Ok::<_, sqlx::Error>(())
        };
        Ok(self.sql.write(job).await?)
    }

    /// The visitor behind `token`, or `Unauthenticated`.
    pub fn visitor(&self, widget: &Widget, token: &str) -> Result<String, ServiceError> {
        visitor::verify(self.accounts.server_key(), token, &widget.workspace_id, now_millis())
            .ok_or(ServiceError::Unauthenticated)
    }

    /// Runs the pipeline for one visitor message. Checks that can refuse
    /// the message (validation, rate limit, quota) run before this returns;
    /// the answer then arrives as events. Dropping the receiver (the
    /// visitor went away) stops any generation still running.
    pub async fn send(
        self: &Arc<Self>,
        widget: &Widget,
        visitor: &Visitor<'_>,
        text: &str,
        email: Option<&str>,
    ) -> Result<mpsc::Receiver<ChatEvent>, ServiceError> {
        let started = Instant::now();
        let text = validate_visitor_message(text).map_err(|m| ServiceError::invalid("text", m))?;
        let client = guard::client_of(visitor.address);
        let proof = visitor.proof.and_then(|(token, solution)| {
            self.guard.proof(&widget.workspace_id, &client, token, solution, now_millis())
        });
        // A solved challenge was its own pause: the widget resends at once.
        if proof.is_none() {
            self.visitor_limit
                .check(&format!("{}:{}", widget.workspace_id, visitor.id))
                .map_err(|wait| ServiceError::RateLimited { retry_after_secs: wait.as_secs().max(1) })?;
        }
        let latest = self.latest_conversation(&widget.workspace_id, visitor.id).await?;
        // While a person answers, the bot is silent and nothing is charged.
        let with_person = latest.as_ref().is_some_and(|c| c.assignee_id.is_some());
        // Charged before anything is stored: a client past its share costs one transaction.
        let allowance = match with_person {
            true => None,
            false => Some(self.charge(widget, &client, proof).await?),
        };
        let (sender, receiver) = mpsc::channel(64);
        let conversation = self.conversation_for(widget, visitor.id, email, latest).await?;
        let chat = self.clone();
        let widget = widget.clone();
        tokio::spawn(async move {
            let outcome = chat.answer(&widget, &conversation, text.as_str(), allowance, started, &sender).await;
            if let Err(error) = outcome {
                let error = error.into_service_error();
                let _ = sender.send(ChatEvent::Failed { error: error.to_string() }).await;
            }
        });
        Ok(receiver)
    }

    async fn answer(
        &self,
        widget: &Widget,
        conversation: &str,
        text: &str,
        // `None` while a person answers the conversation.
        allowance: Option<Allowance>,
        started: Instant,
        events: &mpsc::Sender<ChatEvent>,
    ) -> Result<(), AppError> {
        let vector = self.knowledge.embed_query(text).await?;
        let classifier =
            Classifier::for_embedder(self.knowledge.embedder()).await.map_err(|e| AppError::Task(e.to_string()))?;
        let sentiment = classifier.classify(vector.clone(), text);
        let history = self.recent_messages(conversation, HISTORY_MESSAGES).await?;
        let received = self.store_visitor_message(widget, conversation, text, sentiment).await?;
        let received_at = received.created_at;
        let _ = events.send(ChatEvent::Received { message: Box::new(received) }).await;
        let Some(allowance) = allowance else {
            // The person answering reads it live (`live::Live::follow`).
            let _ = events.send(ChatEvent::Held).await;
            return Ok(());
        };

        let wants_human = asks_for_human(text);
        let upset = sentiment.score <= ESCALATE_AT_SCORE && sentiment.label == SentimentLabel::Negative;
        let reply = if allowance == Allowance::QuotaUsed && !wants_human {
            Reply::fixed(QUOTA_MESSAGE, false)
        } else if allowance == Allowance::BusyToday && !wants_human {
            Reply::fixed(BUSY_MESSAGE, false)
        } else if (wants_human || upset) && (!asks_something(text) || allowance != Allowance::Answer) {
            // Acknowledged and handed over: a passage would not help.
            Reply::fixed(if wants_human { HANDOFF_REPLY } else { APOLOGY_REPLY }, true)
        } else {
            let passages = self
                .knowledge
                .search_with_vector(&widget.workspace_id, text, &vector, PASSAGES, None, Retrieval::Hybrid)
                .await?;
            drop(vector);
            let draft = answer::compose(text, &passages);
            match &self.llm {
                // A model can acknowledge the feeling and answer what it can.
                Some(llm) => self.generate(llm, widget, passages, history, text, draft, events).await?,
                None if (wants_human || upset) && !draft.answered => {
                    Reply::fixed(if wants_human { HANDOFF_REPLY } else { APOLOGY_REPLY }, true)
                }
                None => Reply::offline(draft, None),
            }
        };
        // A generated answer streamed while it was written.
        if matches!(reply.mode, Mode::Offline) {
            for piece in pieces(&reply.body) {
                if events.send(ChatEvent::Delta { text: piece.to_owned() }).await.is_err() {
                    break;
                }
            }
        }
        let flag = if wants_human {
            Some(FlagReason::AskedForHuman)
        } else if upset {
            Some(FlagReason::NegativeSentiment)
        } else {
            None
        };
        let latency_ms = started.elapsed().as_millis() as i64;
        // Strictly after the question, so a transcript never shows the answer first.
        let at = now_millis().max(received_at + 1);
        let (message, flagged) = self.store_bot_reply(widget, conversation, &reply, flag, latency_ms, at).await?;
        let _ = events.send(ChatEvent::Done { message: Box::new(message), flagged }).await;
        Ok(())
    }

    /// The LLM's answer, streamed as it comes; the offline `draft`, with a
    /// note, when the provider fails or the reply breaks a guardrail.
    #[allow(clippy::too_many_arguments)]
    async fn generate(
        &self,
        llm: &Llm,
        widget: &Widget,
        passages: Vec<Passage>,
        history: Vec<ChatMessage>,
        text: &str,
        draft: answer::Draft,
        events: &mpsc::Sender<ChatEvent>,
    ) -> Result<Reply, AppError> {
        let bot = self.bot_settings(&widget.workspace_id).await?;
        let model = bot.model.as_deref().filter(|m| {
            !m.trim().is_empty() && entitlements(Product::SupportBot, Tier::of_plan(&widget.plan)).model_choice
        });
        let prompt = Prompt::new(&widget.workspace_name, &bot, &passages, &history, text);
        // Thousands of answers stream at once: from here on the prompt is all they need.
        drop((passages, history));
        let mut stream = SafeStream::new(events);
        // A visitor who leaves mid-answer drops the generation, and with it
        // the upstream request, even while the provider is silent.
        let outcome = tokio::select! {
            outcome = llm.generate(&prompt, model, &mut stream) => outcome,
            _ = events.closed() => Err(LlmFailure::Cancelled),
        };
        let failure = match outcome {
            Ok(generated) => {
                let body = safety::make_safe(&generated.text);
                match stream.rest_of(&body) {
                    Some("") => {}
                    Some(rest) => {
                        let _ = events.send(ChatEvent::Delta { text: rest.to_owned() }).await;
                    }
                    None => {
                        let _ = events.send(ChatEvent::Retract).await;
                        let _ = events.send(ChatEvent::Delta { text: body.clone() }).await;
                    }
                }
                let citations = prompt.cited_in(&body);
                return Ok(Reply {
                    answered: !citations.is_empty(),
                    body,
                    citations,
                    suggestions: draft.suggestions,
                    confidence: Some(draft.confidence),
                    note: None,
                    mode: Mode::Generated(generated),
                });
            }
            Err(failure) => failure,
        };
        let failed = serde_json::json!({ "provider": llm.provider().name(), "reason": failure.label() });
        let workspace = widget.workspace_id.clone();
        self.sql
            .write(|db| async move { conversations::record_event(&db, &workspace, None, "llm_failed", failed).await })
            .await?;
        if stream.sent_anything() && failure != LlmFailure::Cancelled {
            let _ = events.send(ChatEvent::Retract).await;
        }
        Ok(Reply::offline(draft, Some(FALLBACK_NOTE)))
    }

    /// The last `limit` messages of a conversation, oldest first.
    async fn recent_messages(&self, conversation: &str, limit: usize) -> Result<Vec<ChatMessage>, ServiceError> {
        let mut messages = self.messages(conversation).await?;
        let excess = messages.len().saturating_sub(limit);
        messages.drain(..excess);
        Ok(messages)
    }

    /// The open conversation of this visitor, created on their first message.
    async fn conversation_for(
        &self,
        widget: &Widget,
        visitor_id: &str,
        email: Option<&str>,
        existing: Option<conversations::Latest>,
    ) -> Result<String, ServiceError> {
        let mut email = visitor_email(email)?;
        if let (Some(existing), None) = (&existing, &email) {
            return Ok(existing.id.clone());
        }
        // An identified visitor's new conversation has their email at once.
        if email.is_none() && identity_token::is_identified(visitor_id) {
            let (workspace, visitor) = (widget.workspace_id.clone(), visitor_id.to_owned());
            let job =
                |db: sqlx::AnyPool| async move { visitor_identities::of_visitor(&db, &workspace, &visitor).await };
            email = self.sql.read(job).await.map_err(AppError::from)?.and_then(|v| v.email);
        }
        let (workspace, origin, visitor) = (widget.workspace_id.clone(), widget.origin.clone(), visitor_id.to_owned());
        let preview = widget.preview;
        let job = |db: sqlx::AnyPool| async move {
            if let Some(existing) = existing {
                if let Some(email) = email {
                    conversations::set_visitor_email(&db, &workspace, &existing.id, &email).await?;
                }
                return Ok(existing.id);
            }
            let id = uuid::Uuid::new_v4().to_string();
            let new = conversations::NewConversation {
                id: &id,
                workspace_id: &workspace,
                visitor_id: &visitor,
                visitor_email: email.as_deref(),
                origin: &origin,
                preview,
                at: now_millis(),
            };
            let mut tx = db.begin().await?;
            conversations::create(&mut tx, &new).await?;
            tx.commit().await?;
            Ok::<_, AppError>(id)
        };
        Ok(self.sql.write(job).await?)
    }

    async fn latest_conversation(
        &self,
        workspace_id: &str,
        visitor_id: &str,
    ) -> Result<Option<conversations::Latest>, ServiceError> {
        let (workspace_id, visitor_id) = (workspace_id.to_owned(), visitor_id.to_owned());
        let job = |db: sqlx::AnyPool| async move { conversations::latest(&db, &workspace_id, &visitor_id).await };
        Ok(self.sql.read(job).await.map_err(AppError::from)?)
    }

    /// Charges one answer against the client's share, the day's ceiling
    /// and the month's quota (`usage.rs`). A client past its share is
    /// refused here, before anything is stored: with a challenge to solve,
    /// or until tomorrow when the owner chose that.
    async fn charge(&self, widget: &Widget, client: &str, proof: Option<Proof>) -> Result<Allowance, ServiceError> {
        let limits = widget.limits.effective(&widget.plan);
        let now = now_millis();
        let (workspace_id, quota) = (widget.workspace_id.clone(), Product::SupportBot.monthly_quota(&widget.plan));
        let owner_preview = widget.preview;
        let charged_client = client.to_owned();
        let job = move |db: sqlx::AnyPool| async move {
            let charge = usage::Charge {
                workspace_id: &workspace_id,
                client: (!owner_preview).then_some(charged_client.as_str()),
                quota,
                limits,
                proof: proof.as_ref(),
            };
            usage::charge(&db, &charge).await
        };
        match self.sql.write(job).await? {
            Ok(allowance) => Ok(allowance),
            Err(PastShare::Challenge { bits }) => {
                let challenge = self.guard.challenge(&widget.workspace_id, client, bits, now);
                Err(ServiceError::ChallengeRequired { challenge: challenge.token, bits })
            }
            Err(PastShare::UntilTomorrow) => {
                Err(ServiceError::RateLimited { retry_after_secs: usage::seconds_until_tomorrow(now) })
            }
        }
    }

    async fn store_visitor_message(
        &self,
        widget: &Widget,
        conversation: &str,
        text: &str,
        sentiment: Sentiment,
    ) -> Result<ChatMessage, AppError> {
        let message = ChatMessage {
            id: uuid::Uuid::new_v4().to_string(),
            author: Author::Visitor,
            author_name: None,
            body: text.to_owned(),
            citations: Vec::new(),
            suggestions: Vec::new(),
            confidence: None,
            sentiment: Some(sentiment),
            feedback: None,
            note: None,
            by_email: false,
            created_at: now_millis(),
        };
        let payload = serde_json::to_value(&message).map_err(|e| AppError::Task(e.to_string()))?;
        let (stored, conversation, workspace) = (message.clone(), conversation.to_owned(), widget.workspace_id.clone());
        let job = |db: sqlx::AnyPool| async move {
            let mut tx = db.begin().await?;
            conversations::add_visitor_message(&mut tx, &workspace, &conversation, &stored, sentiment).await?;
            let ticket = tickets::on_requester_reply(&mut tx, &workspace, &conversation, &stored).await?;
            let seq = journal::append(&mut tx, &workspace, &conversation, "message", &payload).await?;
            tx.commit().await?;
            Ok::<_, sqlx::Error>((workspace, conversation, seq, ticket))
        };
        let (workspace, conversation, seq, ticket) = self.sql.write(job).await?;
        self.live.journaled(&workspace, &conversation, seq).await;
        if let Some(ticket) = ticket {
            self.live.tickets_changed(&workspace, Some(&ticket)).await;
        }
        Ok(message)
    }

    async fn store_bot_reply(
        &self,
        widget: &Widget,
        conversation: &str,
        reply: &Reply,
        flag: Option<FlagReason>,
        latency_ms: i64,
        now: i64,
    ) -> Result<(ChatMessage, bool), AppError> {
        let message = ChatMessage {
            id: uuid::Uuid::new_v4().to_string(),
            author: Author::Bot,
            author_name: None,
            body: reply.body.clone(),
            citations: reply.citations.clone(),
            suggestions: reply.suggestions.clone(),
            confidence: reply.confidence,
            sentiment: None,
            feedback: None,
            note: reply.note.map(str::to_owned),
            by_email: false,
            created_at: now,
        };
        let payload = serde_json::to_value(&message).map_err(|e| AppError::Task(e.to_string()))?;
        let citations = serde_json::to_string(&reply.citations).map_err(|e| AppError::Task(e.to_string()))?;
        let suggestions = serde_json::to_string(&reply.suggestions).map_err(|e| AppError::Task(e.to_string()))?;
        let (message_id, conversation, workspace, body) =
            (message.id.clone(), conversation.to_owned(), widget.workspace_id.clone(), reply.body.clone());
        let (confidence, answered, note) = (reply.confidence, reply.answered, reply.note);
        let mode = reply.mode.name(self.llm.as_deref());
        let model = reply.mode.model().map(str::to_owned);
        let tokens = (reply.mode.tokens(|g| g.input_tokens), reply.mode.tokens(|g| g.output_tokens));
        let preview = widget.preview;
        let job = |db: sqlx::AnyPool| async move {
            let stored = conversations::BotMessage {
                id: &message_id,
                conversation_id: &conversation,
                workspace_id: &workspace,
                body: &body,
                citations: &citations,
                suggestions: &suggestions,
                confidence,
                answered,
                mode,
                model: model.as_deref(),
                tokens,
                note,
                latency_ms,
                at: now,
            };
            let mut tx = db.begin().await?;
            let mut opened = None;
            let (unanswered, flagged_at) = conversations::add_bot_message(&mut tx, &stored).await?;
            let seq = journal::append(&mut tx, &workspace, &conversation, "message", &payload).await?;
            let flag = flag.or((unanswered >= UNANSWERED_BEFORE_ESCALATION).then_some(FlagReason::NotAnswered));
            let newly_flagged = match flag.filter(|_| flagged_at.is_none()) {
                Some(reason) => {
                    conversations::flag(&mut *tx, &workspace, &conversation, reason, now).await?.then_some(reason)
                }
                None => None,
            };
            let answered = serde_json::json!({
                "answered": answered,
                "confidence": confidence,
                "latency_ms": latency_ms,
                "mode": mode,
            });
            // The team's own tests in the preview are not analytics.
            if !preview {
                conversations::record_event(&mut *tx, &workspace, Some(&conversation), "bot_answered", answered)
                    .await?;
                if let Some(reason) = newly_flagged {
                    let escalated = serde_json::json!({ "reason": reason.as_str() });
                    conversations::record_event(&mut *tx, &workspace, Some(&conversation), "escalated", escalated)
                        .await?;
                    opened = tickets::escalate(&mut tx, &workspace, &conversation, reason, now).await?;
                }
            }
            tx.commit().await?;
            Ok::<_, AppError>((flagged_at.is_some() || flag.is_some(), conversation, seq, opened))
        };
        let (flagged, conversation, seq, opened) = self.sql.write(job).await?;
        self.live.journaled(&widget.workspace_id, &conversation, seq).await;
        if let Some(ticket) = opened {
            crate::tickets::opened(&self.categorizer, &self.sql, &self.live, &widget.workspace_id, &ticket).await;
        }
        Ok((message, flagged))
    }

    /// Thumbs up (1) or down (-1) on one of the bot's answers to this visitor.
    pub async fn feedback(
        &self,
        widget: &Widget,
        visitor: &Visitor<'_>,
        message_id: &str,
        value: i8,
    ) -> Result<(), ServiceError> {
        if value != 1 && value != -1 {
            return Err(ServiceError::invalid("value", "Feedback is 1 or -1."));
        }
        self.limit_feedback(widget, visitor)?;
        let visitor_id = visitor.id;
        let (workspace, visitor, message) = (widget.workspace_id.clone(), visitor_id.to_owned(), message_id.to_owned());
        let preview = widget.preview;
        let job = |db: sqlx::AnyPool| async move {
            let mut tx = db.begin().await?;
            if !conversations::set_feedback(&mut *tx, &workspace, &visitor, &message, value).await? {
                return Err(ServiceError::NotFound.into());
            }
            if !preview {
                let feedback = serde_json::json!({ "message_id": message, "value": value });
                conversations::record_event(&mut *tx, &workspace, None, "feedback", feedback).await?;
            }
            tx.commit().await?;
            Ok::<_, AppError>(())
        };
        Ok(self.sql.write(job).await?)
    }

    /// Feedback and hand-offs each write a row through SQLite's one writer:
    /// paced per visitor and per address like messages.
    fn limit_feedback(&self, widget: &Widget, visitor: &Visitor<'_>) -> Result<(), ServiceError> {
        let client = guard::client_of(visitor.address);
        self.guard
            .feedback(&widget.workspace_id, visitor.id, &client)
            .map_err(|wait| ServiceError::RateLimited { retry_after_secs: wait.as_secs().max(1) })
    }

    async fn messages(&self, conversation: &str) -> Result<Vec<ChatMessage>, ServiceError> {
        let conversation = conversation.to_owned();
        let job = |db: sqlx::AnyPool| async move { conversations::messages(&db, &conversation).await };
        Ok(self.sql.read(job).await.map_err(AppError::from)?)
    }
}

/// The email a visitor left, checked like any other: `None` when blank.
fn visitor_email(input: Option<&str>) -> Result<Option<String>, ServiceError> {
    let Some(input) = input.filter(|e| !e.trim().is_empty()) else { return Ok(None) };
    let mut errors = app::error::FieldErrors::new();
    let email = app::validate::email("email", input, &mut errors);
    if errors.is_empty() {
        Ok(Some(email))
    } else {
        Err(ServiceError::Invalid(errors))
    }
}

struct Reply {
    body: String,
    citations: Vec<Citation>,
    suggestions: Vec<String>,
    confidence: Option<f32>,
    answered: bool,
    note: Option<&'static str>,
    mode: Mode,
}

/// Who wrote an answer.
enum Mode {
    Offline,
    Generated(llm::Generated),
}

impl Mode {
    /// `offline`, or the provider's name.
    fn name(&self, llm: Option<&Llm>) -> &'static str {
        match (self, llm) {
            (Mode::Generated(_), Some(llm)) => llm.provider().name(),
            _ => "offline",
        }
    }

    fn model(&self) -> Option<&str> {
        match self {
            Mode::Generated(g) => Some(&g.model),
            Mode::Offline => None,
        }
    }

    fn tokens(&self, count: impl Fn(&llm::Generated) -> Option<u64>) -> Option<i64> {
        match self {
            Mode::Generated(g) => count(g).and_then(|n| i64::try_from(n).ok()),
            Mode::Offline => None,
        }
    }
}

impl Reply {
    fn fixed(body: &str, answered: bool) -> Reply {
        Reply {
            body: body.into(),
            citations: Vec::new(),
            suggestions: Vec::new(),
            confidence: None,
            answered,
            note: None,
            mode: Mode::Offline,
        }
    }

    fn offline(draft: answer::Draft, note: Option<&'static str>) -> Reply {
        Reply {
            body: safety::make_safe(&draft.body),
            citations: draft.citations,
            suggestions: draft.suggestions,
            confidence: Some(draft.confidence),
            answered: draft.answered,
            note,
            mode: Mode::Offline,
        }
    }
}

/// The answer in a few pieces (a sentence or so each) so the widget can
/// show it as it arrives; an LLM's stream is coalesced the same way.
fn pieces(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, c) in text.char_indices() {
        if matches!(c, '.' | '!' | '?') && text[i + 1..].starts_with(' ') {
            out.push(&text[start..i + 2]);
            start = i + 2;
        }
    }
    if start < text.len() {
        out.push(&text[start..]);
    }
    out
}

/// This server's origin, and its `localhost` / `127.0.0.1` twin, since a
/// newcomer may open either.
pub fn own_origins(public_url: &str) -> Vec<String> {
    let Ok(url) = url::Url::parse(public_url) else { return Vec::new() };
    let origin = url.origin().ascii_serialization();
    let twin = match url.host_str() {
        Some("127.0.0.1") => Some(origin.replacen("127.0.0.1", "localhost", 1)),
        Some("localhost") => Some(origin.replacen("localhost", "127.0.0.1", 1)),
        _ => None,
    };
    std::iter::once(origin).chain(twin).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_stream_in_sentence_pieces_that_rejoin_exactly() {
        let text = "First one. Second? Third [1]";
        assert_eq!(pieces(text), ["First one. ", "Second? ", "Third [1]"]);
        assert_eq!(pieces(text).concat(), text);
    }
}
