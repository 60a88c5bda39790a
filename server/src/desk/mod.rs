//! `DeskService`: a person from the team taking a conversation over from
//! the bot, replying to the visitor live, and handing it back. Each change
//! is journaled in its own transaction and signalled (`crate::live`), so the
//! visitor's widget and every agent watching hear it, on whichever server
//! process they are connected to.

pub mod api;

use std::sync::Arc;

use app::chat::{Author, ChatMessage};
use app::desk::{Agent, Takeover};
use app::error::ServiceError;
use app::permissions::Action;
use app::services::{Caller, DeskService};
use futures_util::Stream;

use crate::accounts::Accounts;
use crate::chat::conversations;
use crate::error::AppError;
use crate::live::journal::{self, Entry};
use crate::live::slots::{Slot, Slots};
use crate::live::Live;
use crate::sql::{now_millis, SqlStore};

/// Live views one member may hold open at once (tabs, devices).
const VIEWS_PER_MEMBER: usize = 32;

pub struct Desk {
    sql: SqlStore,
    accounts: Arc<Accounts>,
    live: Arc<Live>,
    views: Slots,
}

impl Desk {
    pub fn new(sql: SqlStore, accounts: Arc<Accounts>, live: Arc<Live>) -> Self {
        Desk { sql, accounts, live, views: Slots::new(VIEWS_PER_MEMBER) }
    }

    /// The conversation's journal after entry `after`, then live, for a
    /// member who may answer it; with the slot it holds while open.
    pub async fn follow(
        &self,
        caller: &Caller,
        workspace_id: &str,
        conversation_id: &str,
        after: i64,
    ) -> Result<(impl Stream<Item = Entry> + Send + 'static, Slot), ServiceError> {
        let agent = self.agent(caller, workspace_id).await?;
        let (workspace, conversation) = (workspace_id.to_owned(), conversation_id.to_owned());
        let found = self.sql.read(|db| async move { conversations::exists(&db, &workspace, &conversation).await });
        if !found.await.map_err(AppError::from)? {
            return Err(ServiceError::NotFound);
        }
        let slot = self.views.take(&agent.id).ok_or(ServiceError::RateLimited { retry_after_secs: 5 })?;
        Ok((self.live.follow(workspace_id.to_owned(), conversation_id.to_owned(), after), slot))
    }

    /// The member acting, if they may answer the workspace's conversations.
    async fn agent(&self, caller: &Caller, workspace_id: &str) -> Result<Agent, ServiceError> {
        let actor = self.accounts.authorize(caller, workspace_id, Action::AnswerConversations).await?;
        Ok(Agent { id: actor.user_id().to_owned(), name: actor.user_name().to_owned() })
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
            let id = given.as_ref().map(|agent| agent.id.as_str());
            let changed = conversations::assign(&mut tx, &workspace, &conversation, id, now_millis()).await?;
            let seq = match changed.ok_or(ServiceError::NotFound)? {
                true => {
                    let (kind, payload) = match &given {
                        Some(agent) => ("joined", serde_json::json!({ "agent": agent })),
                        None => ("handed_back", serde_json::json!({})),
                    };
                    Some(journal::append(&mut tx, &workspace, &conversation, kind, &payload).await?)
                }
                false => None,
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

#[async_trait::async_trait]
impl DeskService for Desk {
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
    ) -> Result<ChatMessage, ServiceError> {
        let agent = self.agent(caller, workspace_id).await?;
        let text = app::desk::validate_reply(&text)?;
        let message = ChatMessage {
            id: uuid::Uuid::new_v4().to_string(),
            author: Author::Agent,
            author_name: Some(agent.name.clone()),
            body: text,
            citations: Vec::new(),
            suggestions: Vec::new(),
            confidence: None,
            sentiment: None,
            feedback: None,
            note: None,
            created_at: now_millis(),
        };
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
                conversations::assign(&mut tx, &workspace, &conversation, Some(&agent.id), stored.created_at).await?;
                journal::append(&mut tx, &workspace, &conversation, "joined", &serde_json::json!({ "agent": agent }))
                    .await?;
            }
            conversations::add_agent_message(&mut tx, &workspace, &conversation, &agent.id, &stored).await?;
            let seq = journal::append(&mut tx, &workspace, &conversation, "message", &payload).await?;
            tx.commit().await?;
            Ok::<_, AppError>(seq)
        };
        let seq = self.sql.write(job).await?;
        self.live.journaled(workspace_id, conversation_id, seq).await;
        Ok(message)
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
}
