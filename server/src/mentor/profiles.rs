//! Mentor profiles in SQL: each person's last career form, one row per
//! person, keyed by their id alone so no query can reach another's.

use app::mentor::{CareerForm, CareerQuery};
use sqlx::{Any, AnyPool, Transaction};

use crate::sql::now_millis;

/// Keeps `query` as `user_id`'s profile, replacing any earlier one.
pub async fn save(tx: &mut Transaction<'static, Any>, user_id: &str, query: &CareerQuery) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO mentor_profiles (user_id, interest, experience, skills, hours_per_week, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (user_id) DO UPDATE SET interest = excluded.interest, experience = excluded.experience,
             skills = excluded.skills, hours_per_week = excluded.hours_per_week, updated_at = excluded.updated_at",
    )
    .bind(user_id)
    .bind(query.interest())
    .bind(query.experience().as_str())
    .bind(query.skills().join("\n"))
    .bind(i64::from(query.hours_per_week()))
    .bind(now_millis())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn load(pool: &AnyPool, user_id: &str) -> Result<Option<CareerForm>, sqlx::Error> {
    let row: Option<(String, String, String, i64)> =
        sqlx::query_as("SELECT interest, experience, skills, hours_per_week FROM mentor_profiles WHERE user_id = $1")
            .bind(user_id)
            .fetch_optional(pool)
            .await?;
    Ok(row.map(|(interest, experience, skills, hours)| CareerForm {
        interest,
        experience,
        skills: skills.lines().map(str::to_owned).collect(),
        hours_per_week: u32::try_from(hours).ok(),
    }))
}
