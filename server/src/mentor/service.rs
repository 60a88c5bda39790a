//! `MentorService`: the career form's recommendations and skill
//! suggestions, and each person's saved form, for the pages and the REST
//! API alike.

use std::sync::Arc;

use app::error::ServiceError;
use app::mentor::{CareerForm, CareerQuery, CareerResults, MatchMode, SkillRead, SkillSuggestion};
use app::mentor_chat::MentorChat;
use app::mentor_ops::MentorInsights;
use app::mentor_resume::{ResumeConfirmation, ResumeReading};
use app::services::{Caller, MentorService};
use async_trait::async_trait;
use futures_util::StreamExt;
use leptos::server_fn::codec::TextStream;
use tokio::sync::Semaphore;

use super::recommend::{Profile, Recommender};
use super::results::role_match;
use super::skills::Skill;
use super::{insights, resume};
use crate::accounts::throttle::{Rule, Throttle};
use crate::accounts::Accounts;
use crate::chat::guard::client_of;
use crate::chat::llm::Llm;
use crate::error::AppError;
use crate::knowledge::embed::{Embedder, MINILM_ID};
use crate::knowledge::worker::WorkerLimits;
use crate::sql::{now_millis, SqlStore};

/// Recommendations per client: far more than a person asks for, far fewer
/// than a script would like (each costs a few milliseconds of CPU).
const RECOMMEND_RULE: Rule = Rule::per_minutes(30, 1);
/// Suggestions come as someone types.
const SUGGEST_RULE: Rule = Rule::per_minutes(240, 1);
const SUGGESTIONS: usize = 8;

/// Cheap to clone (shared parts): an answer streams from a task of its own.
#[derive(Clone)]
pub struct Mentor {
    /// The local MiniLM, when that is the embedder: the occupation vectors
    /// are MiniLM's, so a provider's embeddings cannot be compared to them.
    meaning: Option<Arc<dyn Embedder>>,
    throttle: Arc<Throttle>,
    pub(super) sql: SqlStore,
    accounts: Arc<Accounts>,
    /// The support bot's provider, when one is configured.
    pub(super) llm: Option<Arc<Llm>>,
    /// Résumés received or read now, across everyone (`resume.rs`).
    pub(super) reading: Arc<Semaphore>,
    pub(super) resume_worker: WorkerLimits,
}

impl Mentor {
    pub fn new(
        embedder: &Arc<dyn Embedder>,
        sql: SqlStore,
        accounts: Arc<Accounts>,
        llm: Option<Arc<Llm>>,
        worker: &WorkerLimits,
    ) -> Self {
        Mentor {
            meaning: (embedder.id() == MINILM_ID).then(|| embedder.clone()),
            throttle: Arc::default(),
            sql,
            accounts,
            llm,
            reading: Arc::new(Semaphore::new(resume::READING_AT_ONCE)),
            resume_worker: resume::worker_limits(worker),
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

    pub(super) fn limit(&self, caller: &Caller, what: &str, rule: Rule) -> Result<(), ServiceError> {
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
    pub(super) async fn results(&self, query: CareerQuery) -> Result<CareerResults, ServiceError> {
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
}

pub(super) fn recommender() -> Result<&'static Recommender, ServiceError> {
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
        Ok(self.profile_of(&user_id).await?)
    }

    #[tracing::instrument(skip_all)]
    async fn chat(&self, caller: &Caller, conversation: Option<&str>) -> Result<MentorChat, ServiceError> {
        Ok(self.chat_for(&self.accounts.person_id(caller).await?, conversation).await?)
    }

    #[tracing::instrument(skip_all)]
    async fn ask(
        &self,
        caller: &Caller,
        conversation: Option<&str>,
        question: &str,
    ) -> Result<TextStream<ServiceError>, ServiceError> {
        let asked = self.begin_ask(&self.accounts.person_id(caller).await?, conversation, question).await?;
        Ok(TextStream::from(self.answer_events(asked).map(|event| event.to_line())))
    }

    #[tracing::instrument(skip_all)]
    async fn insights(&self, caller: &Caller) -> Result<MentorInsights, ServiceError> {
        self.accounts.check_operator(caller).await?;
        let (mut insights, forms) = insights::counts(self.sql.pool(), now_millis()).await.map_err(AppError::from)?;
        let interests: Vec<String> = forms.iter().map(|f| f.interest.clone()).collect();
        let meanings = match &self.meaning {
            Some(model) if !interests.is_empty() => model.embed(interests).await.ok(),
            _ => None,
        };
        tokio::task::spawn_blocking(move || {
            insights::read_profiles(recommender()?, &forms, meanings.as_deref(), &mut insights);
            Ok(insights)
        })
        .await
        .map_err(|e| AppError::Task(e.to_string()))?
    }

    #[tracing::instrument(skip_all)]
    async fn save_profile(&self, caller: &Caller, query: CareerQuery) -> Result<(), ServiceError> {
        Ok(self.save_profile_of(&self.accounts.person_id(caller).await?, &query).await?)
    }

    #[tracing::instrument(skip_all)]
    async fn read_resume(
        &self,
        caller: &Caller,
        file_name: &str,
        bytes: Vec<u8>,
    ) -> Result<ResumeReading, ServiceError> {
        let person = self.accounts.signed_in_person(caller).await?;
        Ok(self.read_resume_of(person.as_deref(), file_name, bytes).await?)
    }

    #[tracing::instrument(skip_all)]
    async fn confirm_resume(
        &self,
        caller: &Caller,
        id: &str,
        confirmed: ResumeConfirmation,
    ) -> Result<CareerForm, ServiceError> {
        Ok(self.confirm_resume_of(&self.accounts.person_id(caller).await?, id, confirmed).await?)
    }
}
