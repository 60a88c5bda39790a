//! `ChatService`: the dashboard's Widget and Conversations pages. Every
//! query is scoped by the workspace the caller was authorised for.

use app::chat::{
    BotSettings, BotUsage, ConversationFilter, ConversationSummary, EmbedKey, FairUse, FirstSteps, Transcript,
    VisitorLimits, WidgetSettings, WidgetSetup, CONVERSATIONS_PAGE,
};
use app::error::ServiceError;
use app::permissions::Action;
use app::plans::{entitlements, Product, Tier};
use app::services::{Caller, ChatService};

use super::conversations::{self, SUMMARY_COLUMNS};
use super::Chat;
use crate::error::AppError;

impl Chat {
    async fn setup(&self, workspace_id: &str, plan: &str) -> Result<WidgetSetup, ServiceError> {
        let bot = self.bot_settings(workspace_id).await?;
        let effective = bot.limits.effective(plan);
        let (answers_today, clients_at_share) =
            super::usage::today(self.pool(), workspace_id, effective.per_address_daily)
                .await
                .map_err(AppError::from)?;
        Ok(WidgetSetup {
            settings: self.settings(workspace_id).await?,
            bot,
            fair_use: FairUse {
                default_per_address: VisitorLimits::default_per_address(plan),
                default_ceiling: VisitorLimits::default_ceiling(plan),
                effective,
                answers_today,
                clients_at_share,
            },
            mode: if self.llm.is_some() { "ai" } else { "offline" }.into(),
            default_model: self.llm.as_ref().map(|llm| llm.default_model().to_owned()),
            can_choose_model: self.llm.is_some() && entitlements(Product::SupportBot, Tier::of_plan(plan)).model_choice,
            can_remove_branding: entitlements(Product::SupportBot, Tier::of_plan(plan)).remove_branding,
            preview_key: self.preview_key(workspace_id),
            keys: self.embed_keys(workspace_id).await?,
        })
    }

    async fn embed_keys(&self, workspace_id: &str) -> Result<Vec<EmbedKey>, ServiceError> {
        let rows: Vec<(String, String, String, String)> = sqlx::query_as(
            "SELECT id, name, display, allowed_origins FROM api_keys
             WHERE workspace_id = $1 AND kind = 'publishable' AND revoked_at IS NULL ORDER BY created_at",
        )
        .bind(workspace_id)
        .fetch_all(self.pool())
        .await
        .map_err(AppError::from)?;
        Ok(rows
            .into_iter()
            .map(|(id, name, display, origins)| EmbedKey {
                id,
                name,
                display,
                allowed_origins: origins.lines().map(str::to_owned).filter(|o| !o.is_empty()).collect(),
            })
            .collect())
    }
}

/// `%word%` for a LIKE search, with LIKE's own wildcards taken literally.
fn like_pattern(query: &str) -> String {
    let escaped = query.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

#[async_trait::async_trait]
impl ChatService for Chat {
    async fn widget_setup(&self, caller: &Caller, workspace_id: &str) -> Result<WidgetSetup, ServiceError> {
        let actor = self.accounts.authorize(caller, workspace_id, Action::ConfigureWidget).await?;
        self.setup(workspace_id, &actor.workspace.plan).await
    }

    async fn save_widget(
        &self,
        caller: &Caller,
        workspace_id: &str,
        settings: WidgetSettings,
        mut bot: BotSettings,
    ) -> Result<WidgetSetup, ServiceError> {
        let actor = self.accounts.authorize(caller, workspace_id, Action::ConfigureWidget).await?;
        let allowed = entitlements(Product::SupportBot, Tier::of_plan(&actor.workspace.plan));
        if settings.hide_branding && !allowed.remove_branding {
            return Err(ServiceError::invalid(
                "hide_branding",
                "Leaving out \u{201c}Powered by Lodestar\u{201d} needs the Pro or Enterprise plan.",
            ));
        }
        if bot.model.is_some() && !allowed.model_choice {
            // Keep what a paid plan chose before a downgrade, but never start one on Free.
            let stored = self.bot_settings(workspace_id).await?;
            if stored.model != bot.model {
                return Err(ServiceError::invalid("model", "Choosing a model needs the Pro or Enterprise plan."));
            }
        }
        bot.model = bot.model.filter(|m| !m.is_empty());
        self.save_settings(workspace_id, &settings).await?;
        self.save_bot_settings(workspace_id, &bot).await?;
        self.setup(workspace_id, &actor.workspace.plan).await
    }

    async fn usage(&self, caller: &Caller, workspace_id: &str) -> Result<BotUsage, ServiceError> {
        let actor = self.accounts.authorize(caller, workspace_id, Action::ViewWorkspace).await?;
        let key = crate::billing::accounts::PayerKey::workspace(workspace_id);
        let period = crate::billing::accounts::usage_period(self.pool(), &key, crate::sql::now_millis())
            .await
            .map_err(AppError::from)?;
        let answers: Option<i64> =
            sqlx::query_scalar("SELECT bot_messages FROM usage_monthly WHERE workspace_id = $1 AND month = $2")
                .bind(workspace_id)
                .bind(&period.key)
                .fetch_optional(self.pool())
                .await
                .map_err(AppError::from)?;
        Ok(BotUsage {
            answers: answers.unwrap_or(0).clamp(0, i64::from(u32::MAX)) as u32,
            quota: Product::SupportBot.monthly_quota(&actor.workspace.plan),
            resets_at: period.resets_at,
            billing_period: period.billing_period,
        })
    }

    async fn first_steps(&self, caller: &Caller, workspace_id: &str) -> Result<FirstSteps, ServiceError> {
        self.accounts.authorize(caller, workspace_id, Action::ViewWorkspace).await?;
        let knowledge = self.knowledge.has_ready_source(workspace_id).await?;
        let (tested, styled, installed, conversation): (i64, i64, i64, i64) = sqlx::query_as(
            "SELECT
               (SELECT COUNT(*) FROM chat_events WHERE workspace_id = $1 AND kind = 'question_tested')
                 + (SELECT COUNT(*) FROM conversations WHERE workspace_id = $1 AND from_preview = 1),
               (SELECT COUNT(*) FROM widget_settings WHERE workspace_id = $1),
               (SELECT COUNT(*) FROM api_keys WHERE workspace_id = $1 AND kind = 'publishable'
                  AND revoked_at IS NULL AND allowed_origins <> ''),
               (SELECT COUNT(*) FROM conversations WHERE workspace_id = $1 AND from_preview = 0)",
        )
        .bind(workspace_id)
        .fetch_one(self.pool())
        .await
        .map_err(AppError::from)?;
        Ok(FirstSteps {
            knowledge,
            tested: tested > 0,
            styled: styled > 0,
            installed: installed > 0,
            conversation: conversation > 0,
        })
    }

    async fn conversations(
        &self,
        caller: &Caller,
        workspace_id: &str,
        filter: ConversationFilter,
    ) -> Result<Vec<ConversationSummary>, ServiceError> {
        self.accounts.authorize(caller, workspace_id, Action::AnswerConversations).await?;
        // Filters are bound parameters; a filter that is off matches everything.
        // The team's own chats in the preview are tests, not conversations.
        let sql = format!(
            "SELECT {SUMMARY_COLUMNS} FROM conversations c
             WHERE c.workspace_id = $1 AND c.from_preview = 0
               AND ($2 = '' OR c.sentiment = $2)
               AND ($3 = 0 OR c.flagged_at IS NOT NULL)
               AND c.updated_at >= $4 AND c.updated_at < $5
               AND ($6 = '%%' OR LOWER(COALESCE(c.visitor_email, '')) LIKE $6 ESCAPE '\\'
                    OR EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id AND m.workspace_id = $1
                               AND LOWER(m.body) LIKE $6 ESCAPE '\\'))
             ORDER BY c.updated_at DESC, c.id LIMIT {CONVERSATIONS_PAGE}"
        );
        let rows: Vec<conversations::SummaryRow> = sqlx::query_as(&sql)
            .bind(workspace_id)
            .bind(filter.sentiment.map_or("", |s| s.as_str()))
            .bind(i32::from(filter.flagged_only))
            .bind(filter.from.unwrap_or(0))
            .bind(filter.until.unwrap_or(i64::MAX))
            .bind(like_pattern(&filter.query))
            .fetch_all(self.pool())
            .await
            .map_err(AppError::from)?;
        Ok(rows.into_iter().map(ConversationSummary::from).collect())
    }

    async fn transcript(
        &self,
        caller: &Caller,
        workspace_id: &str,
        conversation_id: &str,
    ) -> Result<Transcript, ServiceError> {
        self.accounts.authorize(caller, workspace_id, Action::AnswerConversations).await?;
        let (workspace, conversation) = (workspace_id.to_owned(), conversation_id.to_owned());
        let job = |db: sqlx::AnyPool| async move { conversations::transcript(&db, &workspace, &conversation).await };
        self.sql.read(job).await.map_err(AppError::from)?.ok_or(ServiceError::NotFound)
    }
}
