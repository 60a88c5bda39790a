//! `MentorService`: the career form's recommendations and skill
//! suggestions, and each person's saved form, for the pages and the REST
//! API alike.

use std::sync::Arc;

use app::dates::long_date;
use app::error::ServiceError;
use app::mentor::{CareerForm, CareerQuery, CareerResults, MatchMode, SkillRead, SkillSuggestion};
use app::mentor_chat::{AnswerMode, MentorChat, MentorMessage, MentorReply, MentorUsage, HOURLY_LIMIT, QUESTION_MAX};
use app::plans::{Product, Tier};
use app::services::{Caller, MentorService};
use async_trait::async_trait;

use super::answers::{self, Composed};
use super::career_data::career_data;
use super::conversations::{self, NewMessage, Refusal};
use super::profiles;
use super::recommend::{Profile, Recommender};
use super::results::role_match;
use super::skills::Skill;
use crate::accounts::throttle::{Rule, Throttle};
use crate::accounts::Accounts;
use crate::chat::guard::client_of;
use crate::chat::llm::{Llm, Sink};
use crate::chat::prompt::Prompt;
use crate::chat::safety::make_safe;
use crate::error::AppError;
use crate::knowledge::embed::{Embedder, MINILM_ID};
use crate::sql::{now_millis, SqlStore};

/// Recommendations per client: far more than a person asks for, far fewer
/// than a script would like (each costs a few milliseconds of CPU).
const RECOMMEND_RULE: Rule = Rule::per_minutes(30, 1);
/// Suggestions come as someone types.
const SUGGEST_RULE: Rule = Rule::per_minutes(240, 1);
const SUGGESTIONS: usize = 8;
/// Earlier messages an LLM sees with a question.
const HISTORY: i64 = 8;

pub struct Mentor {
    /// The local MiniLM, when that is the embedder: the occupation vectors
    /// are MiniLM's, so a provider's embeddings cannot be compared to them.
    meaning: Option<Arc<dyn Embedder>>,
    throttle: Throttle,
    sql: SqlStore,
    accounts: Arc<Accounts>,
    /// The support bot's provider, when one is configured.
    llm: Option<Arc<Llm>>,
}

impl Mentor {
    pub fn new(embedder: &Arc<dyn Embedder>, sql: SqlStore, accounts: Arc<Accounts>, llm: Option<Arc<Llm>>) -> Self {
        Mentor {
            meaning: (embedder.id() == MINILM_ID).then(|| embedder.clone()),
            throttle: Throttle::default(),
            sql,
            accounts,
            llm,
        }
    }

    /// Builds the recommender on a blocking thread now, so the first person
    /// to ask does not wait for it.
    pub fn warm_up(&self) {
        tokio::task::spawn_blocking(|| {
            let started = std::time::Instant::now();
            match Recommender::get() {
                Ok(_) => tracing::info!(elapsed_ms = started.elapsed().as_millis() as u64, "mentor ready"),
                Err(error) => tracing::error!(%error, "the mentor's recommender could not be built"),
            }
        });
    }

    fn limit(&self, caller: &Caller, what: &str, rule: Rule) -> Result<(), ServiceError> {
        let key = format!("{what}:{}", client_of(&caller.client_addr));
        self.throttle.hit(&key, rule).map_err(|retry_after_secs| ServiceError::RateLimited { retry_after_secs })
    }

    /// The interest's MiniLM vector, or `None` to match by words alone.
    async fn meaning(&self, interest: &str) -> Option<Vec<f32>> {
        let embedder = self.meaning.as_ref().filter(|_| !interest.is_empty())?;
        match embedder.embed(vec![interest.to_owned()]).await {
            Ok(mut vectors) => vectors.pop(),
            Err(error) => {
                tracing::warn!(%error, "matching a career interest by its words alone");
                None
            }
        }
    }

    /// The roles for `query`: what the form's results and the chat's
    /// answers both rest on.
    async fn results(&self, query: CareerQuery) -> Result<CareerResults, ServiceError> {
        let meaning = self.meaning(query.interest()).await;
        let mode = if meaning.is_some() { MatchMode::WordsAndMeaning } else { MatchMode::Words };
        tokio::task::spawn_blocking(move || {
            let r = recommender()?;
            let skills: Vec<Skill> = query.skills().iter().map(|s| r.skills.normalise(s)).collect();
            let read = query
                .skills()
                .iter()
                .zip(&skills)
                .map(|(typed, skill)| SkillRead {
                    typed: typed.clone(),
                    technology: match skill {
                        Skill::Technology(id) => Some(r.onet.technology(*id).name.to_string()),
                        Skill::Other(_) => None,
                    },
                })
                .collect();
            let profile = Profile {
                interest: query.interest().to_owned(),
                experience: query.experience(),
                skills,
                hours_per_week: query.hours_per_week(),
            };
            let roles = r.recommend(&profile, meaning.as_deref()).iter().map(|x| role_match(r, x, &profile)).collect();
            Ok(CareerResults { skills: read, roles, hours_per_week: query.hours_per_week(), mode })
        })
        .await
        .map_err(|e| AppError::Task(e.to_string()))?
    }

    /// The person's results from their saved profile, if they have one.
    async fn profile_results(&self, user_id: &str) -> Result<Option<(CareerQuery, CareerResults)>, ServiceError> {
        let Some(form) = profiles::load(self.sql.pool(), user_id).await.map_err(AppError::from)? else {
            return Ok(None);
        };
        let Ok(query) = form.validate() else { return Ok(None) };
        let results = self.results(query.clone()).await?;
        Ok(Some((query, results)))
    }

    fn mode(&self) -> AnswerMode {
        match &self.llm {
            Some(llm) => AnswerMode::Ai { provider: format!("{} ({})", llm.provider().label(), llm.default_model()) },
            None => AnswerMode::Offline,
        }
    }

    async fn usage(&self, user_id: &str, plan: &str, now: i64) -> Result<MentorUsage, ServiceError> {
        let (used, streak_days) = conversations::usage(self.sql.pool(), user_id, now).await.map_err(AppError::from)?;
        Ok(MentorUsage {
            plan: Tier::of_plan(plan).label().to_owned(),
            used,
            limit: Product::CareerMentor.monthly_quota(plan),
            resets_at: conversations::next_month(now),
            streak_days,
        })
    }

    /// The answer to `question`: the provider's when one is configured and
    /// answers, else the offline one composed from the same results.
    async fn answer(
        &self,
        name: &str,
        query: &CareerQuery,
        results: &CareerResults,
        history: Vec<(bool, String)>,
        question: &str,
    ) -> (Composed, String, &'static str) {
        let composed = answers::answer(question, results);
        let Some(llm) = &self.llm else {
            let text = composed.text.clone();
            return (composed, text, "offline");
        };
        let prompt = Prompt::for_mentor(&career_data(name, query, results), history, question);
        match llm.generate(&prompt, None, &mut Discard).await {
            Ok(generated) => {
                let text = make_safe(&generated.text);
                (composed, text, llm.provider().name())
            }
            Err(failure) => {
                tracing::warn!(reason = failure.label(), "the mentor answered offline");
                let text = format!(
                    "{}\n\n(The AI provider could not answer just now, so this answer was composed offline from \
                     your profile and the O*NET data.)",
                    composed.text
                );
                (composed, text, "offline")
            }
        }
    }
}

/// The page is answered whole, so the pieces of a stream go nowhere.
struct Discard;

#[async_trait]
impl Sink for Discard {
    async fn piece(&mut self, _text: String) -> bool {
        true
    }
}

/// "Hi Ana. You're aiming at Data Scientists; you have Python and SQL;
/// you're about 55 % ready for it."
fn greeting(name: &str, results: Option<&CareerResults>) -> String {
    let first = name.split_whitespace().next().unwrap_or(name);
    let Some(role) = results.and_then(|r| r.roles.first()) else {
        return format!(
            "Hi {first}. Fill in the career form first: I answer from what you tell it and the O*NET data."
        );
    };
    let skills: Vec<&str> =
        results.map(|r| r.skills.iter().map(|s| s.typed.as_str()).take(3).collect()).unwrap_or_default();
    let have = match skills.as_slice() {
        [] => "you haven't listed skills yet".to_owned(),
        [one] => format!("you have {one}"),
        [init @ .., last] => format!("you have {} and {last}", init.join(", ")),
    };
    format!("Hi {first}. You're aiming at {}; {have}; you're about {} % ready for it.", role.title, role.readiness)
}

/// Why a question was refused, and when the person may ask again.
fn refused(refusal: Refusal, plan: &str, now: i64) -> ServiceError {
    match refusal {
        Refusal::Month { limit } => {
            let resets = conversations::next_month(now);
            let more = match Tier::of_plan(plan) {
                Tier::Free => " Pro gives you 500 questions a month.",
                Tier::Pro => " Enterprise has no monthly limit.",
                Tier::Enterprise => "",
            };
            ServiceError::QuotaReached {
                message: format!(
                    "You've asked your {limit} questions for this month on the {} plan. They come back on {}.{more}",
                    Tier::of_plan(plan).label(),
                    long_date(resets)
                ),
                retry_after_secs: ((resets - now) / 1000).max(1) as u64,
            }
        }
        Refusal::Hour => {
            let again = conversations::next_hour(now);
            ServiceError::QuotaReached {
                message: format!(
                    "You've sent {HOURLY_LIMIT} messages this hour. You can ask again at {:02}:00 UTC.",
                    again.rem_euclid(86_400_000) / 3_600_000
                ),
                retry_after_secs: ((again - now) / 1000).max(1) as u64,
            }
        }
    }
}

fn recommender() -> Result<&'static Recommender, ServiceError> {
    Recommender::get().map_err(|e| AppError::Task(e.to_owned()).into())
}

#[async_trait]
impl MentorService for Mentor {
    #[tracing::instrument(skip_all)]
    async fn recommend(&self, caller: &Caller, query: CareerQuery) -> Result<CareerResults, ServiceError> {
        self.limit(caller, "recommend", RECOMMEND_RULE)?;
        self.results(query).await
    }

    #[tracing::instrument(skip_all)]
    async fn suggest_skills(&self, caller: &Caller, typed: &str) -> Result<Vec<SkillSuggestion>, ServiceError> {
        self.limit(caller, "skills", SUGGEST_RULE)?;
        let typed: String = typed.chars().take(app::mentor::SKILL_MAX).collect();
        // A scan of every technology name (and, right after start-up, maybe
        // a wait for the recommender): off the async threads.
        tokio::task::spawn_blocking(move || {
            let r = recommender()?;
            Ok(r.skills
                .suggest(&typed, SUGGESTIONS)
                .into_iter()
                .map(|id| {
                    let technology = r.onet.technology(id);
                    SkillSuggestion {
                        name: technology.name.to_string(),
                        category: technology.category.to_string(),
                        hot: technology.hot,
                    }
                })
                .collect())
        })
        .await
        .map_err(|e| AppError::Task(e.to_string()))?
    }

    #[tracing::instrument(skip_all)]
    async fn profile(&self, caller: &Caller) -> Result<Option<CareerForm>, ServiceError> {
        let Some(user_id) = self.accounts.signed_in_person(caller).await? else { return Ok(None) };
        Ok(profiles::load(self.sql.pool(), &user_id).await.map_err(AppError::from)?)
    }

    #[tracing::instrument(skip_all)]
    async fn chat(&self, caller: &Caller, conversation: Option<&str>) -> Result<MentorChat, ServiceError> {
        let user_id = self.accounts.person_id(caller).await?;
        let pool = self.sql.pool();
        let now = now_millis();
        let (name, plan) = conversations::person(pool, &user_id).await.map_err(AppError::from)?;
        let results = self.profile_results(&user_id).await?.map(|(_, results)| results);
        let messages = match conversation {
            Some(id) if conversations::owns(pool, &user_id, id).await.map_err(AppError::from)? => {
                conversations::messages(pool, &user_id, id, None).await.map_err(AppError::from)?
            }
            Some(_) => return Err(ServiceError::NotFound),
            None => Vec::new(),
        };
        let asked: Vec<String> = messages.iter().filter(|m| !m.from_mentor).map(|m| m.text.clone()).collect();
        Ok(MentorChat {
            greeting: greeting(&name, results.as_ref()),
            has_profile: results.is_some(),
            mode: self.mode(),
            suggestions: results.as_ref().map(|r| answers::suggestions(r, &asked, None)).unwrap_or_default(),
            usage: self.usage(&user_id, &plan, now).await?,
            conversations: conversations::list(pool, &user_id).await.map_err(AppError::from)?,
            conversation: conversation.map(str::to_owned),
            messages,
        })
    }

    #[tracing::instrument(skip_all)]
    async fn ask(
        &self,
        caller: &Caller,
        conversation: Option<&str>,
        question: &str,
    ) -> Result<MentorReply, ServiceError> {
        let question = question.trim();
        if question.is_empty() {
            return Err(ServiceError::invalid("question", "Ask the mentor something first."));
        }
        if question.chars().count() > QUESTION_MAX {
            return Err(ServiceError::invalid("question", format!("Keep a question under {QUESTION_MAX} characters.")));
        }
        let user_id = self.accounts.person_id(caller).await?;
        let pool = self.sql.pool();
        let (name, plan) = conversations::person(pool, &user_id).await.map_err(AppError::from)?;
        let history = match conversation {
            Some(id) if conversations::owns(pool, &user_id, id).await.map_err(AppError::from)? => {
                conversations::messages(pool, &user_id, id, Some(HISTORY)).await.map_err(AppError::from)?
            }
            Some(_) => return Err(ServiceError::NotFound),
            None => Vec::new(),
        };
        let Some((query, results)) = self.profile_results(&user_id).await? else {
            return Err(ServiceError::Rejected(
                "Fill in the career form first: the mentor answers from your profile.".into(),
            ));
        };
        let now = now_millis();
        let mut tx = pool.begin().await.map_err(AppError::from)?;
        if let Err(refusal) = conversations::charge(&mut tx, &user_id, Product::CareerMentor.monthly_quota(&plan), now)
            .await
            .map_err(AppError::from)?
        {
            return Err(refused(refusal, &plan, now));
        }
        let conversation = match conversation {
            Some(id) => id.to_owned(),
            None => conversations::create(&mut tx, &user_id, question, now).await.map_err(AppError::from)?,
        };
        let asked: Vec<String> = history.iter().filter(|m| !m.from_mentor).map(|m| m.text.clone()).collect();
        let asked_message = conversations::add(
            &mut tx,
            &conversation,
            NewMessage { from_mentor: false, text: question, sources: &[], mode: None },
            now,
        )
        .await
        .map_err(AppError::from)?;
        tx.commit().await.map_err(AppError::from)?;

        let history = history.into_iter().map(|m: MentorMessage| (!m.from_mentor, m.text)).collect();
        let (composed, text, mode) = self.answer(&name, &query, &results, history, question).await;
        let mut tx = pool.begin().await.map_err(AppError::from)?;
        let answer = conversations::add(
            &mut tx,
            &conversation,
            NewMessage { from_mentor: true, text: &text, sources: &composed.sources, mode: Some(mode) },
            now_millis().max(now + 1),
        )
        .await
        .map_err(AppError::from)?;
        tx.commit().await.map_err(AppError::from)?;
        Ok(MentorReply {
            suggestions: answers::suggestions(&results, &asked, Some(composed.intent)),
            usage: self.usage(&user_id, &plan, now).await?,
            mode: self.mode(),
            conversation,
            question: asked_message,
            answer,
        })
    }

    #[tracing::instrument(skip_all)]
    async fn save_profile(&self, caller: &Caller, query: CareerQuery) -> Result<(), ServiceError> {
        let user_id = self.accounts.person_id(caller).await?;
        let mut tx = self.sql.pool().begin().await.map_err(AppError::from)?;
        profiles::save(&mut tx, &user_id, &query).await.map_err(AppError::from)?;
        tx.commit().await.map_err(AppError::from)?;
        Ok(())
    }
}
