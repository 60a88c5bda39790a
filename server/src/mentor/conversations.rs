//! The mentor chat in SQL: conversations, their messages and the question
//! counters. Every read is keyed by the person's id, so no query reaches
//! another person's conversations.

use app::dates::day_of;
use app::mentor_chat::{conversation_title, MentorConversation, MentorMessage, MentorUsage, HOURLY_LIMIT};
use app::plans::{Product, Tier};
use sqlx::{Any, AnyPool, Row, Transaction};

use crate::billing::accounts::{usage_period, PayerKey};

/// Conversations the history lists.
const LISTED: i64 = 50;
/// Streaks are counted over this many days at most.
const STREAK_DAYS: i64 = 366;

/// Why a question is not charged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The plan's month (or paid billing period) is used up; it starts afresh then (ms).
    Month { limit: u32, resets_at: i64 },
    /// [`HOURLY_LIMIT`] this hour.
    Hour,
}

/// The person's first name and mentor plan.
pub async fn person(pool: &AnyPool, user_id: &str) -> Result<(String, String), sqlx::Error> {
    sqlx::query_as("SELECT name, mentor_plan FROM users WHERE id = $1").bind(user_id).fetch_one(pool).await
}

/// Charges one question to `user_id` if the month (`monthly`, `None` for
/// unlimited) and the hour allow it; nothing is charged otherwise.
async fn charge(
    tx: &mut Transaction<'static, Any>,
    user_id: &str,
    monthly: Option<u32>,
    now: i64,
) -> Result<Result<(), Refusal>, sqlx::Error> {
    let (day, hour) = periods(now);
    let usage = usage_period(&mut **tx, &PayerKey::person(user_id), now).await?;
    let month = usage.key;
    let used = |period: String| {
        sqlx::query_scalar::<_, i64>("SELECT questions FROM mentor_usage WHERE user_id = $1 AND period = $2")
            .bind(user_id.to_owned())
            .bind(period)
    };
    let month_used = used(month.clone()).fetch_optional(&mut **tx).await?.unwrap_or(0);
    if let Some(limit) = monthly.filter(|&limit| month_used >= i64::from(limit)) {
        return Ok(Err(Refusal::Month { limit, resets_at: usage.resets_at }));
    }
    if used(hour.clone()).fetch_optional(&mut **tx).await?.unwrap_or(0) >= i64::from(HOURLY_LIMIT) {
        return Ok(Err(Refusal::Hour));
    }
    for period in [month, day, hour.clone()] {
        sqlx::query(
            "INSERT INTO mentor_usage (user_id, period, questions) VALUES ($1, $2, 1)
             ON CONFLICT (user_id, period) DO UPDATE SET questions = mentor_usage.questions + 1",
        )
        .bind(user_id)
        .bind(period)
        .execute(&mut **tx)
        .await?;
    }
    // Hour rows matter for an hour: keep a day of them.
    let (yesterday, _) = periods(now - 86_400_000);
    sqlx::query("DELETE FROM mentor_usage WHERE user_id = $1 AND period LIKE '%T%' AND period < $2")
        .bind(user_id)
        .bind(format!("{yesterday}T"))
        .execute(&mut **tx)
        .await?;
    Ok(Ok(()))
}

/// Questions this usage period (the month, or a paid billing period)
/// against `plan`'s allowance, when it ends, and the days in a row (up to
/// today, or yesterday when today has none yet) with at least one.
pub async fn usage(pool: &AnyPool, user_id: &str, plan: &str, now: i64) -> Result<MentorUsage, sqlx::Error> {
    let period = usage_period(pool, &PayerKey::person(user_id), now).await?;
    let used: Option<i64> = sqlx::query_scalar("SELECT questions FROM mentor_usage WHERE user_id = $1 AND period = $2")
        .bind(user_id)
        .bind(&period.key)
        .fetch_optional(pool)
        .await?;
    let days: Vec<String> = sqlx::query_scalar(
        "SELECT period FROM mentor_usage WHERE user_id = $1 AND period LIKE '____-__-__' ORDER BY period DESC LIMIT $2",
    )
    .bind(user_id)
    .bind(STREAK_DAYS)
    .fetch_all(pool)
    .await?;
    Ok(MentorUsage {
        plan: Tier::of_plan(plan).label().to_owned(),
        used: used.unwrap_or(0).try_into().unwrap_or(u32::MAX),
        limit: Product::CareerMentor.monthly_quota(plan),
        resets_at: period.resets_at,
        streak_days: streak(&days, now),
    })
}

/// Days in a row among `days` (newest first, `YYYY-MM-DD`) ending today or
/// yesterday.
fn streak(days: &[String], now: i64) -> u32 {
    let mut expected = now;
    if days.first().is_some_and(|d| *d != day_of(now)) {
        expected -= 86_400_000;
    }
    let mut streak = 0;
    for day in days {
        if *day != day_of(expected) {
            break;
        }
        streak += 1;
        expected -= 86_400_000;
    }
    streak
}

/// The start of the next hour after `now`, in Unix ms.
pub fn next_hour(now: i64) -> i64 {
    (now.div_euclid(3_600_000) + 1) * 3_600_000
}

/// The day's and the hour's counter keys (`YYYY-MM-DD`, `YYYY-MM-DDTHH`).
fn periods(now: i64) -> (String, String) {
    let day = day_of(now);
    let hour = now.rem_euclid(86_400_000) / 3_600_000;
    (day.clone(), format!("{day}T{hour:02}"))
}

/// A question to charge and keep.
pub struct Question {
    pub user_id: String,
    /// One of the person's conversations (checked by the caller), or a new one.
    pub conversation: Option<String>,
    pub text: String,
    /// The plan's monthly allowance; `None` is unlimited.
    pub monthly: Option<u32>,
    pub now: i64,
}

/// Charges `question` and keeps it, in one transaction: its conversation
/// and the stored message, or why it was refused (nothing then changes).
/// For the SQL store's write lane: it reads, then writes.
pub async fn store_question(
    db: AnyPool,
    question: Question,
) -> Result<Result<(String, MentorMessage), Refusal>, sqlx::Error> {
    let mut tx = db.begin().await?;
    if let Err(refusal) = charge(&mut tx, &question.user_id, question.monthly, question.now).await? {
        return Ok(Err(refusal));
    }
    let conversation = match question.conversation {
        Some(id) => id,
        None => create(&mut tx, &question.user_id, &question.text, question.now).await?,
    };
    let message = add(
        &mut tx,
        &conversation,
        NewMessage { from_mentor: false, text: &question.text, sources: &[], mode: None },
        question.now,
    )
    .await?;
    tx.commit().await?;
    Ok(Ok((conversation, message)))
}

/// Keeps the mentor's answer in `conversation`.
pub async fn store_answer(
    db: AnyPool,
    conversation: String,
    text: String,
    sources: Vec<String>,
    mode: &'static str,
    at: i64,
) -> Result<MentorMessage, sqlx::Error> {
    let mut tx = db.begin().await?;
    let message = add(
        &mut tx,
        &conversation,
        NewMessage { from_mentor: true, text: &text, sources: &sources, mode: Some(mode) },
        at,
    )
    .await?;
    tx.commit().await?;
    Ok(message)
}

/// Starts a conversation titled by its first question.
async fn create(
    tx: &mut Transaction<'static, Any>,
    user_id: &str,
    first_question: &str,
    now: i64,
) -> Result<String, sqlx::Error> {
    let id = uuid::Uuid::new_v4().to_string();
    let title = conversation_title(first_question);
    sqlx::query(
        "INSERT INTO mentor_conversations (id, user_id, title, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)",
    )
    .bind(&id)
    .bind(user_id)
    .bind(title)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(id)
}

/// Whether `conversation_id` is one of `user_id`'s.
pub async fn owns(pool: &AnyPool, user_id: &str, conversation_id: &str) -> Result<bool, sqlx::Error> {
    let found: Option<String> =
        sqlx::query_scalar("SELECT id FROM mentor_conversations WHERE id = $1 AND user_id = $2")
            .bind(conversation_id)
            .bind(user_id)
            .fetch_optional(pool)
            .await?;
    Ok(found.is_some())
}

/// A message to add; `mode` is set on the mentor's answers.
struct NewMessage<'a> {
    pub from_mentor: bool,
    pub text: &'a str,
    pub sources: &'a [String],
    pub mode: Option<&'a str>,
}

/// Adds `message` to a conversation the caller has checked is the person's.
async fn add(
    tx: &mut Transaction<'static, Any>,
    conversation_id: &str,
    message: NewMessage<'_>,
    now: i64,
) -> Result<MentorMessage, sqlx::Error> {
    let id = uuid::Uuid::new_v4().to_string();
    sqlx::query(
        "INSERT INTO mentor_messages (id, conversation_id, author, body, sources, mode, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&id)
    .bind(conversation_id)
    .bind(if message.from_mentor { "mentor" } else { "person" })
    .bind(message.text)
    .bind(message.sources.join("\n"))
    .bind(message.mode)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    sqlx::query("UPDATE mentor_conversations SET updated_at = $1 WHERE id = $2")
        .bind(now)
        .bind(conversation_id)
        .execute(&mut **tx)
        .await?;
    Ok(MentorMessage {
        id,
        from_mentor: message.from_mentor,
        text: message.text.to_owned(),
        sources: message.sources.to_vec(),
        created_at: now,
    })
}

/// The person's conversations, most recent first.
pub async fn list(pool: &AnyPool, user_id: &str) -> Result<Vec<MentorConversation>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT c.id, c.title, c.updated_at,
                (SELECT COUNT(*) FROM mentor_messages m WHERE m.conversation_id = c.id AND m.author = 'person')
         FROM mentor_conversations c WHERE c.user_id = $1 ORDER BY c.updated_at DESC, c.id LIMIT $2",
    )
    .bind(user_id)
    .bind(LISTED)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| MentorConversation {
            id: row.get(0),
            title: row.get(1),
            updated_at: row.get(2),
            questions: row.get::<i64, _>(3).try_into().unwrap_or(u32::MAX),
        })
        .collect())
}

/// A conversation's messages, oldest first; the last `limit` when given.
/// Empty for a conversation that is not the person's.
pub async fn messages(
    pool: &AnyPool,
    user_id: &str,
    conversation_id: &str,
    limit: Option<i64>,
) -> Result<Vec<MentorMessage>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT m.id, m.author, m.body, m.sources, m.created_at FROM mentor_messages m
         JOIN mentor_conversations c ON c.id = m.conversation_id
         WHERE m.conversation_id = $1 AND c.user_id = $2
         ORDER BY m.created_at DESC, m.author LIMIT $3",
    )
    .bind(conversation_id)
    .bind(user_id)
    .bind(limit.unwrap_or(i64::MAX))
    .fetch_all(pool)
    .await?;
    let mut messages: Vec<MentorMessage> = rows
        .into_iter()
        .map(|row| MentorMessage {
            id: row.get(0),
            from_mentor: row.get::<String, _>(1) == "mentor",
            text: row.get(2),
            sources: row.get::<String, _>(3).lines().map(str::to_owned).collect(),
            created_at: row.get(4),
        })
        .collect();
    messages.reverse();
    Ok(messages)
}

/// Every conversation of the person with its messages, for their export.
pub async fn export(pool: &AnyPool, user_id: &str) -> Result<serde_json::Value, sqlx::Error> {
    let mut conversations = Vec::new();
    let all: Vec<(String, String, i64)> =
        sqlx::query_as("SELECT id, title, created_at FROM mentor_conversations WHERE user_id = $1 ORDER BY created_at")
            .bind(user_id)
            .fetch_all(pool)
            .await?;
    for (id, title, created_at) in all {
        let messages = messages(pool, user_id, &id, None).await?;
        conversations.push(serde_json::json!({
            "id": id, "title": title, "created_at": created_at, "messages": messages,
        }));
    }
    Ok(serde_json::Value::Array(conversations))
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400_000;
    /// 2026-12-06T10:00Z.
    const NOW: i64 = 1_796_551_200_000;

    #[test]
    fn streaks_count_days_in_a_row_up_to_today_or_yesterday() {
        let days = |offsets: &[i64]| offsets.iter().map(|o| day_of(NOW - o * DAY)).collect::<Vec<_>>();
        assert_eq!(streak(&days(&[0, 1, 2, 4]), NOW), 3);
        assert_eq!(streak(&days(&[1, 2]), NOW), 2, "today's question may still come");
        assert_eq!(streak(&days(&[2, 3]), NOW), 0);
        assert_eq!(streak(&[], NOW), 0);
    }

    #[test]
    fn hours_and_days_are_utc_counter_keys() {
        assert_eq!(day_of(NOW), "2026-12-06");
        assert_eq!(next_hour(NOW + 1), NOW + 3_600_000);
        assert_eq!(periods(NOW).1, "2026-12-06T10");
    }
}
