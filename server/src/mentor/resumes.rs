//! Résumé readings in SQL: the skills a person's résumé named, kept until
//! they confirm the ones they have. One per person (reading another
//! replaces it), every query keyed by their id.

use serde_json::{json, Value};
use sqlx::{Any, AnyPool, Transaction};

use crate::sql::now_millis;

/// A reading as kept.
pub struct Kept {
    pub found: Vec<String>,
    pub years: Option<u32>,
}

/// Keeps a reading of `user_id`'s résumé in place of any earlier one.
pub async fn keep(
    pool: &AnyPool,
    user_id: &str,
    id: &str,
    file_name: &str,
    format: &str,
    found: &[String],
    years: Option<u32>,
) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query("DELETE FROM mentor_resumes WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
    sqlx::query(
        "INSERT INTO mentor_resumes (id, user_id, file_name, format, found, years, read_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id)
    .bind(user_id)
    .bind(file_name)
    .bind(format)
    .bind(found.join("\n"))
    .bind(years.map(i64::from))
    .bind(now_millis())
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}

/// `user_id`'s reading `id`; `None` when it is not theirs or was replaced.
pub async fn kept(pool: &AnyPool, user_id: &str, id: &str) -> Result<Option<Kept>, sqlx::Error> {
    let row: Option<(String, Option<i64>)> =
        sqlx::query_as("SELECT found, years FROM mentor_resumes WHERE id = $1 AND user_id = $2")
            .bind(id)
            .bind(user_id)
            .fetch_optional(pool)
            .await?;
    Ok(row.map(|(found, years)| Kept {
        found: found.lines().map(str::to_owned).collect(),
        years: years.and_then(|y| u32::try_from(y).ok()),
    }))
}

/// Marks reading `id` confirmed with `skills`, in the transaction that
/// saves the profile they joined; `false` if it is gone.
pub async fn confirm(
    tx: &mut Transaction<'static, Any>,
    user_id: &str,
    id: &str,
    skills: &[String],
) -> Result<bool, sqlx::Error> {
    let done =
        sqlx::query("UPDATE mentor_resumes SET confirmed = $1, confirmed_at = $2 WHERE id = $3 AND user_id = $4")
            .bind(skills.join("\n"))
            .bind(now_millis())
            .bind(id)
            .bind(user_id)
            .execute(&mut **tx)
            .await?;
    Ok(done.rows_affected() == 1)
}

/// The reading, for the account's export.
pub async fn export(pool: &AnyPool, user_id: &str) -> Result<Option<Value>, sqlx::Error> {
    type Row = (String, String, String, Option<i64>, Option<String>, i64, Option<i64>);
    let row: Option<Row> = sqlx::query_as(
        "SELECT file_name, format, found, years, confirmed, read_at, confirmed_at FROM mentor_resumes WHERE user_id = $1",
    )
    .bind(user_id)
    .fetch_optional(pool)
    .await?;
    let lines = |text: &str| text.lines().map(str::to_owned).collect::<Vec<_>>();
    Ok(row.map(|(file_name, format, found, years, confirmed, read_at, confirmed_at)| {
        json!({
            "file_name": file_name, "format": format, "skills_found": lines(&found), "years": years,
            "skills_confirmed": confirmed.as_deref().map(lines), "read_at": read_at, "confirmed_at": confirmed_at,
        })
    }))
}
