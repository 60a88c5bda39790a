//! A workspace's widget and bot settings (one JSON document each), and the
//! publishable key that finds them for a widget request.

use sqlx::{Any, Executor};

use crate::sql::now_millis;

/// The tables holding one JSON settings document per workspace.
#[derive(Clone, Copy)]
pub enum SettingsTable {
    Widget,
    Bot,
}

impl SettingsTable {
    fn name(self) -> &'static str {
        match self {
            SettingsTable::Widget => "widget_settings",
            SettingsTable::Bot => "bot_settings",
        }
    }
}

/// A workspace with both its settings documents, as a widget needs them.
#[derive(sqlx::FromRow)]
pub struct WidgetRow {
    pub workspace_id: String,
    pub plan: String,
    pub name: String,
    pub widget: Option<String>,
    pub bot: Option<String>,
}

/// The workspace of a live publishable key (by its digest), with the
/// origins allowed to use it, one per line.
pub async fn by_key<'e>(
    db: impl Executor<'e, Database = Any>,
    digest: &str,
) -> Result<Option<(WidgetRow, String)>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct KeyRow {
        #[sqlx(flatten)]
        widget: WidgetRow,
        allowed_origins: String,
    }
    let row: Option<KeyRow> = sqlx::query_as(
        "SELECT k.workspace_id, k.allowed_origins, w.plan, w.name, s.settings AS widget, b.settings AS bot
         FROM api_keys k JOIN workspaces w ON w.id = k.workspace_id
         LEFT JOIN widget_settings s ON s.workspace_id = k.workspace_id
         LEFT JOIN bot_settings b ON b.workspace_id = k.workspace_id
         WHERE k.token_hash = $1 AND k.kind = 'publishable' AND k.revoked_at IS NULL",
    )
    .bind(digest)
    .fetch_optional(db)
    .await?;
    Ok(row.map(|row| (row.widget, row.allowed_origins)))
}

/// A workspace by id, for the dashboard's preview (signed key, no row).
pub async fn by_workspace<'e>(
    db: impl Executor<'e, Database = Any>,
    workspace_id: &str,
) -> Result<Option<WidgetRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT w.id AS workspace_id, w.plan, w.name, s.settings AS widget, b.settings AS bot FROM workspaces w
         LEFT JOIN widget_settings s ON s.workspace_id = w.id LEFT JOIN bot_settings b ON b.workspace_id = w.id
         WHERE w.id = $1",
    )
    .bind(workspace_id)
    .fetch_optional(db)
    .await
}

/// A workspace's settings document as stored, if any.
pub async fn load<'e>(
    db: impl Executor<'e, Database = Any>,
    table: SettingsTable,
    workspace_id: &str,
) -> Result<Option<String>, sqlx::Error> {
    let sql = format!("SELECT settings FROM {} WHERE workspace_id = $1", table.name());
    sqlx::query_scalar(&sql).bind(workspace_id).fetch_optional(db).await
}

pub async fn store<'e>(
    db: impl Executor<'e, Database = Any>,
    table: SettingsTable,
    workspace_id: &str,
    json: &str,
) -> Result<(), sqlx::Error> {
    let sql = format!(
        "INSERT INTO {} (workspace_id, settings, updated_at) VALUES ($1, $2, $3)
         ON CONFLICT (workspace_id) DO UPDATE SET settings = excluded.settings, updated_at = excluded.updated_at",
        table.name()
    );
    sqlx::query(&sql).bind(workspace_id).bind(json).bind(now_millis()).execute(db).await?;
    Ok(())
}

/// A stored settings document, or the defaults.
pub fn parsed<T: serde::de::DeserializeOwned + Default>(stored: Option<String>) -> T {
    stored.and_then(|json| serde_json::from_str(&json).ok()).unwrap_or_default()
}
