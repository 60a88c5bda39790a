//! The career mentor. `onet.rs`: the occupational data it rests on, parsed
//! once per process. `skills.rs`: what people type as skills, matched to it.
//! `interest.rs`: a person's own words matched to occupations.
//! `recommend.rs`: roles, readiness, confidence and gaps, with the score
//! documented. `learning_hours.rs` (+ `.tsv`): how long a skill takes.
//! `vectors.rs`: occupations as MiniLM vectors, for matching by meaning.
//! `roadmap.rs`: the gaps as phases over the weeks. `adjacent.rs`: related
//! roles, with what carries over and what they add. `results.rs`: all of it
//! as a person reads it. `profiles.rs`: each person's saved form, in SQL.
//! `answers.rs`: the chat's offline answers, composed from the results.
//! `career_data.rs`: the results as text for an LLM's prompt.
//! `conversations.rs`: the chat's conversations and question counters, in
//! SQL. `chat.rs`: the chat, question by question. `insights.rs`: what
//! operators see (`/ops/mentor`). `resume.rs`: résumés read in the
//! extraction worker and confirmed into the profile (`resume_reading.rs`:
//! what a résumé says; `resumes.rs`: readings kept in SQL). `service.rs`:
//! `MentorService`. `api.rs`: `/api/mentor/v1`, the
//! same for a browser extension with a bearer token.

pub mod adjacent;
pub mod answers;
pub mod api;
pub mod career_data;
pub mod chat;
pub mod conversations;
pub mod insights;
pub mod interest;
pub mod learning_hours;
pub mod onet;
pub mod profiles;
pub mod recommend;
pub mod results;
pub mod resume;
pub mod resume_reading;
pub mod resumes;
pub mod roadmap;
pub mod service;
pub mod skills;
pub mod vectors;

/// all-MiniLM-L6-v2 from `MODEL_DIR` or `data/models` (where `cargo xtask
/// setup` puts it), loaded once for every test that needs it.
#[cfg(test)]
fn test_model() -> &'static crate::knowledge::embed::MiniLm {
    static MODEL: std::sync::OnceLock<crate::knowledge::embed::MiniLm> = std::sync::OnceLock::new();
    MODEL.get_or_init(|| {
        let dir = crate::knowledge::embed::test_model_dir();
        crate::knowledge::embed::MiniLm::load(&dir).expect("the MiniLM model (cargo xtask setup fetches it)")
    })
}
