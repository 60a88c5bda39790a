//! `server plan set --workspace ID PLAN` and `server plan set --person EMAIL
//! PLAN`: plans for self-hosters without Stripe (or an operator's
//! exception), recorded in `plan_changes` and the workspace's audit log.

use app::plans::Tier;

use super::accounts::PayerKey;
use crate::config::Config;
use crate::sql::SqlStore;

pub const ARG: &str = "plan";
const USAGE: &str = "usage: server plan set (--workspace ID | --person EMAIL) (free | pro | enterprise)";

/// Runs the command with the arguments after `plan`; the message to print, or why it failed.
pub async fn run(config: &Config, args: &[String]) -> Result<String, String> {
    let [set, flag, who, plan] = args else { return Err(USAGE.into()) };
    if set != "set" {
        return Err(USAGE.into());
    }
    let tier = match plan.to_ascii_lowercase().as_str() {
        "free" => Tier::Free,
        "pro" => Tier::Pro,
        "enterprise" => Tier::Enterprise,
        other => return Err(format!("unknown plan {other:?}: {USAGE}")),
    };
    let sql = SqlStore::connect(&config.database_url, 1).await.map_err(|e| format!("opening the database: {e}"))?;
    sql.migrate().await.map_err(|e| format!("migrating the database: {e}"))?;
    let (key, named) = match flag.as_str() {
        "--workspace" => {
            let name: Option<String> = sqlx::query_scalar("SELECT name FROM workspaces WHERE id = $1")
                .bind(who)
                .fetch_optional(sql.pool())
                .await
                .map_err(|e| e.to_string())?;
            (PayerKey::workspace(who), name.ok_or(format!("no workspace has the id {who}"))?)
        }
        "--person" => {
            let id: Option<String> = sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
                .bind(who.trim().to_lowercase())
                .fetch_optional(sql.pool())
                .await
                .map_err(|e| e.to_string())?;
            (PayerKey::person(&id.ok_or(format!("nobody has the email {who}"))?), who.clone())
        }
        _ => return Err(USAGE.into()),
    };
    let changed = super::set_plan_by_command(&sql, &key, tier).await.map_err(|e| e.to_string())?;
    sql.close().await;
    Ok(match changed {
        Some(from) => format!("{named}: {} → {}", Tier::of_plan(&from).label(), tier.label()),
        None => format!("{named} is on {} already", tier.label()),
    })
}
