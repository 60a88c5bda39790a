//! What operators see of the mentor (`/ops/mentor`): counts from the
//! question counters and profiles, the roles and gaps read from the most
//! recent profiles, and the limits people hit. SQL apart from the reading.

use std::collections::HashMap;

use app::dates::day_of;
use app::mentor::CareerForm;
use app::mentor_ops::{Counted, DayCount, MentorInsights, CHART_DAYS};
use sqlx::AnyPool;

use super::conversations::Refusal;
use super::recommend::{Profile, Recommender};
use super::results::role_match;

/// Profiles the roles and gaps are read from, most recent first: enough
/// to see what people aim at, bounded so the page stays quick.
const PROFILES_READ: i64 = 300;
const LISTED: usize = 10;
/// Words that say nothing about the work.
const STOPWORDS: &[&str] = &[
    "and",
    "the",
    "for",
    "with",
    "like",
    "would",
    "want",
    "work",
    "working",
    "job",
    "jobs",
    "that",
    "this",
    "from",
    "into",
    "something",
    "some",
    "make",
    "making",
    "help",
    "helping",
    "people",
    "more",
    "about",
    "become",
    "role",
    "career",
    "get",
    "love",
    "enjoy",
    "things",
    "who",
    "what",
    "where",
    "using",
    "use",
    "able",
    "them",
    "their",
    "other",
    "new",
    "good",
    "well",
    "really",
    "also",
    "very",
    "can",
    "have",
    "has",
    "not",
    "you",
    "your",
];

/// Counts a refused question for the operators' page.
pub async fn record_refusal(pool: &AnyPool, user_id: &str, refusal: Refusal, now: i64) -> Result<(), sqlx::Error> {
    let kind = match refusal {
        Refusal::Month { .. } => "month",
        Refusal::Hour => "hour",
    };
    sqlx::query(
        "INSERT INTO mentor_quota_hits (user_id, day, kind, hits) VALUES ($1, $2, $3, 1)
         ON CONFLICT (user_id, day, kind) DO UPDATE SET hits = mentor_quota_hits.hits + 1",
    )
    .bind(user_id)
    .bind(day_of(now))
    .bind(kind)
    .execute(pool)
    .await?;
    Ok(())
}

/// Everything but the roles and gaps, which [`read_profiles`] adds.
pub async fn counts(pool: &AnyPool, now: i64) -> Result<(MentorInsights, Vec<CareerForm>), sqlx::Error> {
    let month = app::dates::month_of(now);
    let first_day = format!("{month}-01");
    let count = |sql: &'static str| sqlx::query_scalar::<_, i64>(sql);
    let people = count("SELECT COUNT(*) FROM users WHERE purpose = 'mentor'").fetch_one(pool).await?;
    let profiles = count("SELECT COUNT(*) FROM mentor_profiles").fetch_one(pool).await?;
    let asking = count("SELECT COUNT(DISTINCT user_id) FROM mentor_usage WHERE period = $1")
        .bind(&month)
        .fetch_one(pool)
        .await?;
    let questions = count("SELECT CAST(COALESCE(SUM(questions), 0) AS BIGINT) FROM mentor_usage WHERE period = $1")
        .bind(&month)
        .fetch_one(pool)
        .await?;
    let days: Vec<String> = (0..CHART_DAYS as i64).rev().map(|ago| day_of(now - ago * 86_400_000)).collect();
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT period, CAST(SUM(questions) AS BIGINT) FROM mentor_usage WHERE period LIKE '____-__-__' AND period >= $1 GROUP BY period",
    )
    .bind(&days[0])
    .fetch_all(pool)
    .await?;
    let by_day: HashMap<String, i64> = rows.into_iter().collect();
    let per_day = days
        .into_iter()
        .map(|day| DayCount { questions: to_u32(by_day.get(&day).copied().unwrap_or(0)), day })
        .collect();
    let hits: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT kind, CAST(SUM(hits) AS BIGINT), COUNT(DISTINCT user_id) FROM mentor_quota_hits WHERE day >= $1 GROUP BY kind",
    )
    .bind(&first_day)
    .fetch_all(pool)
    .await?;
    let hits_of = |kind: &str| hits.iter().find(|(k, ..)| k == kind).map_or(0, |(_, n, _)| to_u32(*n));
    let people_limited = count("SELECT COUNT(DISTINCT user_id) FROM mentor_quota_hits WHERE day >= $1")
        .bind(&first_day)
        .fetch_one(pool)
        .await?;
    let forms: Vec<(String, String, String, i64)> = sqlx::query_as(
        "SELECT interest, experience, skills, hours_per_week FROM mentor_profiles ORDER BY updated_at DESC LIMIT $1",
    )
    .bind(PROFILES_READ)
    .fetch_all(pool)
    .await?;
    let forms = forms
        .into_iter()
        .map(|(interest, experience, skills, hours)| CareerForm {
            interest,
            experience,
            skills: skills.lines().map(str::to_owned).collect(),
            hours_per_week: u32::try_from(hours).ok(),
        })
        .collect();
    let insights = MentorInsights {
        people: to_u32(people),
        profiles: to_u32(profiles),
        asking_this_month: to_u32(asking),
        questions_this_month: to_u32(questions),
        per_day,
        interests: Vec::new(),
        target_roles: Vec::new(),
        gaps: Vec::new(),
        profiles_read: 0,
        month_limit_hits: hits_of("month"),
        hour_limit_hits: hits_of("hour"),
        people_limited: to_u32(people_limited),
    };
    Ok((insights, forms))
}

/// The words, first roles and first gaps of `forms`, most common first,
/// each interest matched as the page matches it (`meanings`, one per form,
/// when the local model embeds; words alone otherwise, which read "analyse
/// data and build models" as Energy Engineers). CPU-bound, for a blocking
/// thread.
pub fn read_profiles(
    r: &Recommender,
    forms: &[CareerForm],
    meanings: Option<&[Vec<f32>]>,
    insights: &mut MentorInsights,
) {
    let mut words: HashMap<String, u32> = HashMap::new();
    let mut roles: HashMap<String, u32> = HashMap::new();
    let mut gaps: HashMap<String, u32> = HashMap::new();
    let mut read = 0;
    for (i, form) in forms.iter().enumerate() {
        let Ok(query) = form.validate() else { continue };
        read += 1;
        let mut seen = Vec::new();
        for word in query.interest().split(|c: char| !c.is_alphabetic()).map(str::to_lowercase) {
            if word.chars().count() >= 3 && !STOPWORDS.contains(&word.as_str()) && !seen.contains(&word) {
                seen.push(word.clone());
                *words.entry(word).or_default() += 1;
            }
        }
        let profile = Profile {
            interest: query.interest().to_owned(),
            experience: query.experience(),
            skills: query.skills().iter().map(|s| r.skills.normalise(s)).collect(),
            hours_per_week: query.hours_per_week(),
        };
        let meaning = meanings.and_then(|m| m.get(i)).map(Vec::as_slice);
        if let Some(first) = r.recommend(&profile, meaning).first() {
            let role = role_match(r, first, &profile);
            *roles.entry(role.title).or_default() += 1;
            for gap in role.gaps.into_iter().take(3) {
                *gaps.entry(gap.name).or_default() += 1;
            }
        }
    }
    insights.interests = most_common(words);
    insights.target_roles = most_common(roles);
    insights.gaps = most_common(gaps);
    insights.profiles_read = read;
}

fn most_common(counts: HashMap<String, u32>) -> Vec<Counted> {
    let mut counted: Vec<Counted> = counts.into_iter().map(|(name, count)| Counted { name, count }).collect();
    counted.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.name.cmp(&b.name)));
    counted.truncate(LISTED);
    counted
}

fn to_u32(n: i64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}
