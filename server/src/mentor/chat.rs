//! The mentor chat: the page's state, a question charged and stored
//! ([`Mentor::begin_ask`]) and then answered ([`Mentor::finish_ask`]), for
//! the server functions and the extension API alike; a person is their
//! user id here, found from a session or a bearer token by the caller.

use app::dates::long_date;
use app::error::ServiceError;
use app::mentor::{CareerForm, CareerQuery, CareerResults};
use app::mentor_chat::{
    AnswerMode, MentorChat, MentorEvent, MentorMessage, MentorReply, MentorUsage, HOURLY_LIMIT, QUESTION_MAX,
};
use app::plans::{Product, Tier};
use futures_util::Stream;
use tokio::sync::mpsc;

use super::answers::{self, Composed};
use super::career_data::career_data;
use super::conversations::{self, Question, Refusal};
use super::insights;
use super::profiles;
use super::service::Mentor;
use crate::chat::llm::Sink;
use crate::chat::prompt::Prompt;
use crate::chat::safety::make_safe;
use crate::error::AppError;
use crate::sql::now_millis;

/// Earlier messages an LLM sees with a question.
const HISTORY: i64 = 8;

/// A question charged and stored, waiting for its answer.
pub struct Asked {
    user_id: String,
    name: String,
    plan: String,
    query: CareerQuery,
    results: CareerResults,
    /// The conversation's last messages before this question.
    history: Vec<MentorMessage>,
    /// The questions among them.
    asked: Vec<String>,
    conversation: String,
    question: MentorMessage,
    now: i64,
}

impl Mentor {
    /// The chat as `user_id` left it, with `conversation` (theirs) open.
    pub async fn chat_for(&self, user_id: &str, conversation: Option<&str>) -> Result<MentorChat, AppError> {
        let pool = self.sql.pool();
        let now = now_millis();
        let (name, plan) = conversations::person(pool, user_id).await?;
        let results = self.profile_results(user_id).await?.map(|(_, results)| results);
        let messages = match conversation {
            Some(id) if conversations::owns(pool, user_id, id).await? => {
                conversations::messages(pool, user_id, id, None).await?
            }
            Some(_) => return Err(ServiceError::NotFound.into()),
            None => Vec::new(),
        };
        let asked: Vec<String> = messages.iter().filter(|m| !m.from_mentor).map(|m| m.text.clone()).collect();
        Ok(MentorChat {
            greeting: greeting(&name, results.as_ref()),
            has_profile: results.is_some(),
            mode: self.mode(),
            suggestions: results.as_ref().map(|r| answers::suggestions(r, &asked, None)).unwrap_or_default(),
            usage: self.usage(user_id, &plan, now).await?,
            conversations: conversations::list(pool, user_id).await?,
            conversation: conversation.map(str::to_owned),
            messages,
        })
    }

    /// Checks `question`, charges it to `user_id`'s allowance and stores it
    /// in `conversation` (theirs) or a new one. Refusals (bad input, no
    /// profile, a limit reached, someone else's conversation) come here,
    /// before anything is answered.
    pub async fn begin_ask(
        &self,
        user_id: &str,
        conversation: Option<&str>,
        question: &str,
    ) -> Result<Asked, AppError> {
        let question = question.trim();
        if question.is_empty() {
            return Err(ServiceError::invalid("question", "Ask the mentor something first.").into());
        }
        if question.chars().count() > QUESTION_MAX {
            return Err(
                ServiceError::invalid("question", format!("Keep a question under {QUESTION_MAX} characters.")).into()
            );
        }
        let pool = self.sql.pool();
        let (name, plan) = conversations::person(pool, user_id).await?;
        let history = match conversation {
            Some(id) if conversations::owns(pool, user_id, id).await? => {
                conversations::messages(pool, user_id, id, Some(HISTORY)).await?
            }
            Some(_) => return Err(ServiceError::NotFound.into()),
            None => Vec::new(),
        };
        let Some((query, results)) = self.profile_results(user_id).await? else {
            return Err(ServiceError::Rejected(
                "Fill in the career form first: the mentor answers from your profile.".into(),
            )
            .into());
        };
        let now = now_millis();
        // On the write lane: the charge reads the counters, then writes them
        // (two such transactions at once on SQLite, one would fail to upgrade its lock).
        let asking = Question {
            user_id: user_id.to_owned(),
            conversation: conversation.map(str::to_owned),
            text: question.to_owned(),
            monthly: Product::CareerMentor.monthly_quota(&plan),
            now,
        };
        let (conversation, asked_message) =
            match self.sql.write(move |db| conversations::store_question(db, asking)).await? {
                Ok(stored) => stored,
                Err(refusal) => {
                    let user = user_id.to_owned();
                    self.sql
                        .write(move |db| async move { insights::record_refusal(&db, &user, refusal, now).await })
                        .await?;
                    return Err(refused(refusal, &plan, now).into());
                }
            };
        let asked: Vec<String> = history.iter().filter(|m| !m.from_mentor).map(|m| m.text.clone()).collect();
        Ok(Asked {
            user_id: user_id.to_owned(),
            name,
            plan,
            query,
            results,
            history,
            asked,
            conversation,
            question: asked_message,
            now,
        })
    }

    /// Answers a stored question, writing the answer to `sink` as it comes,
    /// and stores the answer.
    pub async fn finish_ask(&self, asked: Asked, sink: &mut dyn Sink) -> Result<MentorReply, AppError> {
        let Asked { user_id, name, plan, query, results, history, asked, conversation, question, now } = asked;
        let history = history.into_iter().map(|m: MentorMessage| (!m.from_mentor, m.text)).collect();
        let (composed, text, mode) = self.answer(&name, &query, &results, history, &question.text, sink).await;
        let (kept, sources, at) = (conversation.clone(), composed.sources.clone(), now_millis().max(now + 1));
        let answer = self.sql.write(move |db| conversations::store_answer(db, kept, text, sources, mode, at)).await?;
        Ok(MentorReply {
            suggestions: answers::suggestions(&results, &asked, Some(composed.intent)),
            usage: self.usage(&user_id, &plan, now).await?,
            mode: self.mode(),
            conversation,
            question,
            answer,
        })
    }

    /// [`Mentor::finish_ask`] on a task of its own, as events: the text as
    /// it is written, then the reply as stored (or why there is none). A
    /// client that goes away stops the provider's stream; the answer is
    /// still stored.
    pub fn answer_events(&self, asked: Asked) -> impl Stream<Item = MentorEvent> + Send + 'static {
        let (events, receiver) = mpsc::channel::<MentorEvent>(32);
        let mentor = self.clone();
        tokio::spawn(async move {
            let mut sink = Deltas(events.clone());
            let last = match mentor.finish_ask(asked, &mut sink).await {
                Ok(reply) => MentorEvent::Done(Box::new(reply)),
                Err(error) => MentorEvent::Failed(error.into()),
            };
            let _ = events.send(last).await;
        });
        futures_util::stream::unfold(receiver, |mut receiver| async move {
            let event = receiver.recv().await?;
            Some((event, receiver))
        })
    }

    /// `user_id`'s questions this month against their plan.
    pub async fn usage_of(&self, user_id: &str) -> Result<MentorUsage, AppError> {
        let (_, plan) = conversations::person(self.sql.pool(), user_id).await?;
        self.usage(user_id, &plan, now_millis()).await
    }

    pub async fn profile_of(&self, user_id: &str) -> Result<Option<CareerForm>, AppError> {
        Ok(profiles::load(self.sql.pool(), user_id).await?)
    }

    pub async fn save_profile_of(&self, user_id: &str, query: &CareerQuery) -> Result<(), AppError> {
        let mut tx = self.sql.pool().begin().await?;
        profiles::save(&mut tx, user_id, query).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The person's results from their saved profile, if they have one.
    async fn profile_results(&self, user_id: &str) -> Result<Option<(CareerQuery, CareerResults)>, AppError> {
        let Some(form) = profiles::load(self.sql.pool(), user_id).await? else {
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

    async fn usage(&self, user_id: &str, plan: &str, now: i64) -> Result<MentorUsage, AppError> {
        Ok(conversations::usage(self.sql.pool(), user_id, plan, now).await?)
    }

    /// The answer to `question`: the provider's when one is configured and
    /// answers, else the offline one composed from the same results. What
    /// is written goes to `sink` as it comes (the offline answer at once).
    async fn answer(
        &self,
        name: &str,
        query: &CareerQuery,
        results: &CareerResults,
        history: Vec<(bool, String)>,
        question: &str,
        sink: &mut dyn Sink,
    ) -> (Composed, String, &'static str) {
        let composed = answers::answer(question, results);
        let Some(llm) = &self.llm else {
            let text = composed.text.clone();
            sink.piece(text.clone()).await;
            return (composed, text, "offline");
        };
        let prompt = Prompt::for_mentor(&career_data(name, query, results), history, question);
        match llm.generate(&prompt, None, sink).await {
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
        Refusal::Month { limit, resets_at: resets } => {
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

/// Streamed text as [`MentorEvent::Delta`]s; `false` once the client has gone.
struct Deltas(mpsc::Sender<MentorEvent>);

#[async_trait::async_trait]
impl Sink for Deltas {
    async fn piece(&mut self, text: String) -> bool {
        self.0.send(MentorEvent::Delta(text)).await.is_ok()
    }
}
