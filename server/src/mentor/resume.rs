//! Résumés for the career form: the upload route the page uses
//! (`POST /api/mentor/resume`, anyone; the extension's is in `api.rs`),
//! the file read by the sandboxed extraction worker, its skills found by
//! `resume_reading.rs`, and a person's confirmation joining their profile.
//!
//! What anyone can send is bounded before it costs anything: a client
//! gets [`RESUME_RULE`] readings, at most [`READING_AT_ONCE`] files are
//! received or read at once across everyone (a turn is taken before the
//! body is read), a file is [`RESUME_MAX_BYTES`] and must arrive within
//! [`RECEIVE_WITHIN`], and the worker runs under tighter limits than a
//! knowledge upload's (a résumé is a page or three).

use std::time::Duration;

use app::error::ServiceError;
use app::mentor::{CareerForm, Experience};
use app::mentor_resume::{add_skills, ResumeConfirmation, ResumeReading, ResumeSkill, RESUME_MAX_BYTES};
use app::services::{Caller, MentorService};
use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::http::Method;
use axum::routing::post;
use axum::{Extension, Json, Router};
use tokio::sync::OwnedSemaphorePermit;

use super::resume_reading::{self, NotAResume};
use super::service::{recommender, Mentor};
use super::skills::Skill;
use super::{profiles, resumes};
use crate::accounts::throttle::Rule;
use crate::error::AppError;
use crate::knowledge::extract::{ExtractError, Format, Reading};
use crate::knowledge::worker::{extract_in_worker, WorkerLimits};
use crate::sql::now_millis;
use crate::state::AppState;

pub const ROUTES: &[(&str, &str)] = &[("POST", "/api/mentor/resume")];

/// Readings per client: a person tries a file or two; a script gets little.
pub const RESUME_RULE: Rule = Rule::per_minutes(10, 10);
/// Files received or read at once, across everyone.
pub const READING_AT_ONCE: usize = 4;
/// A résumé arrives within this, or the upload is refused.
const RECEIVE_WITHIN: Duration = Duration::from_secs(30);
/// The most text a résumé may hold (a long CV is 10 KB).
const MAX_TEXT_BYTES: usize = 512 * 1024;
/// Multipart framing around the file.
const REQUEST_MAX_BYTES: usize = RESUME_MAX_BYTES as usize + 64 * 1024;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/mentor/resume", post(upload).layer(body_limit()))
}

/// Résumé uploads keep their own time limits ([`RECEIVE_WITHIN`], then the
/// worker's) instead of the request timeout.
pub fn is_upload(method: &Method, path: &str) -> bool {
    method == Method::POST && (path == "/api/mentor/resume" || path == "/api/mentor/v1/resume")
}

/// Room for one résumé and its multipart framing.
pub fn body_limit() -> DefaultBodyLimit {
    DefaultBodyLimit::max(REQUEST_MAX_BYTES)
}

/// The worker's limits for a résumé: the knowledge worker's program,
/// with less memory and time than a knowledge upload may use.
pub fn worker_limits(knowledge: &WorkerLimits) -> WorkerLimits {
    WorkerLimits {
        program: knowledge.program.clone(),
        memory_bytes: knowledge.memory_bytes.min(512 * 1024 * 1024),
        cpu_seconds: knowledge.cpu_seconds.min(10),
        wall: knowledge.wall.min(Duration::from_secs(20)),
    }
}

/// The page's upload: signed in or not (someone signed out gets the
/// skills back and nothing is kept).
#[tracing::instrument(skip_all)]
async fn upload(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    multipart: Multipart,
) -> Result<Json<ResumeReading>, AppError> {
    let _turn = state.mentor.resume_turn(&caller)?;
    let (file_name, bytes) = receive(multipart).await?;
    Ok(Json(state.mentor.read_resume(&caller, &file_name, bytes).await?))
}

/// The request's `file` part, whole: its name and bytes.
pub(super) async fn receive(mut multipart: Multipart) -> Result<(String, Vec<u8>), ServiceError> {
    let interrupted = || ServiceError::invalid("file", "The upload was interrupted. Please choose the file again.");
    let read = async {
        while let Some(mut field) = multipart.next_field().await.map_err(|_| interrupted())? {
            if field.name() != Some("file") {
                continue;
            }
            let file_name = field.file_name().unwrap_or("résumé").chars().take(200).collect::<String>();
            let mut bytes = Vec::new();
            while let Some(piece) = field.chunk().await.map_err(|_| interrupted())? {
                if (bytes.len() + piece.len()) as u64 > RESUME_MAX_BYTES {
                    return Err(ServiceError::invalid(
                        "file",
                        format!(
                            "This file is over {} MB. A résumé is usually well under 1 MB: save it as a PDF or Word document and try again.",
                            RESUME_MAX_BYTES / (1024 * 1024)
                        ),
                    ));
                }
                bytes.extend_from_slice(&piece);
            }
            return Ok((file_name, bytes));
        }
        Err(ServiceError::invalid("file", "Choose your résumé file (PDF, Word or text) to upload."))
    };
    tokio::time::timeout(RECEIVE_WITHIN, read).await.map_err(|_| interrupted())?
}

/// A turn to send and read a résumé, given before the file is received.
pub struct ResumeTurn {
    _reading: OwnedSemaphorePermit,
}

impl Mentor {
    /// The caller's turn, or 429: past their own rule, or while
    /// [`READING_AT_ONCE`] files are being read.
    pub fn resume_turn(&self, caller: &Caller) -> Result<ResumeTurn, ServiceError> {
        self.limit(caller, "resume", RESUME_RULE)?;
        self.reading
            .clone()
            .try_acquire_owned()
            .map(|permit| ResumeTurn { _reading: permit })
            .map_err(|_| ServiceError::RateLimited { retry_after_secs: 5 })
    }

    /// Reads `bytes` as `person`'s résumé (kept for them until confirmed),
    /// or anyone's (nothing kept).
    pub async fn read_resume_of(
        &self,
        person: Option<&str>,
        file_name: &str,
        bytes: Vec<u8>,
    ) -> Result<ResumeReading, AppError> {
        let extracted =
            extract_in_worker(&self.resume_worker, &bytes, Reading::Lines, MAX_TEXT_BYTES).await.map_err(refusal)?;
        if !matches!(extracted.format, Format::Pdf | Format::Docx | Format::Text | Format::Markdown) {
            return Err(ServiceError::invalid(
                "file",
                format!("This is a {}, not a résumé we can read. Upload your résumé as a PDF, a Word document (.docx) or plain text.", extracted.format.label()),
            )
            .into());
        }
        let this_year = app::dates::civil(now_millis()).0;
        let format = extracted.format.label().to_owned();
        let skills = tokio::task::spawn_blocking(move || {
            let r = recommender()?;
            let parts = resume_reading::read(&r.skills, &extracted.blocks, this_year).map_err(|NotAResume| {
                ServiceError::invalid(
                    "file",
                    "This doesn't look like a résumé: it has no sections such as Experience, Education or Skills, \
                     and no dates of jobs. Upload your CV, or type your skills in the form instead.",
                )
            })?;
            let skills: Vec<ResumeSkill> = parts
                .skills
                .into_iter()
                .map(|found| match found.skill {
                    Skill::Technology(id) => ResumeSkill {
                        name: r.onet.technology(id).name.to_string(),
                        technology: true,
                        evidence: found.evidence,
                    },
                    Skill::Other(name) => ResumeSkill { name, technology: false, evidence: found.evidence },
                })
                .collect();
            Ok::<_, ServiceError>((skills, parts.years))
        })
        .await
        .map_err(|e| AppError::Task(e.to_string()))?;
        let (skills, years) = skills?;
        let file_name = crate::knowledge::sources::display_name(file_name);
        let id = match person {
            Some(person) => {
                let id = uuid::Uuid::new_v4().to_string();
                let found: Vec<String> = skills.iter().map(|s| s.name.clone()).collect();
                resumes::keep(self.sql.pool(), person, &id, &file_name, &format, &found, years).await?;
                Some(id)
            }
            None => None,
        };
        Ok(ResumeReading { id, file_name, format, skills, years })
    }

    /// `person` confirms reading `id`: the chosen skills (of those found)
    /// and experience join their profile (made from them if they had none).
    pub async fn confirm_resume_of(
        &self,
        person: &str,
        id: &str,
        confirmed: ResumeConfirmation,
    ) -> Result<CareerForm, AppError> {
        let kept = resumes::kept(self.sql.pool(), person, id).await?.ok_or(ServiceError::NotFound)?;
        let mut chosen = Vec::new();
        for skill in &confirmed.skills {
            match kept.found.iter().find(|found| found.eq_ignore_ascii_case(skill.trim())) {
                Some(found) => chosen.push(found.clone()),
                None => {
                    return Err(ServiceError::invalid(
                        "skills",
                        format!(
                            "\"{}\" was not found in this résumé: add it in the form instead.",
                            skill.chars().take(80).collect::<String>()
                        ),
                    )
                    .into())
                }
            }
        }
        let experience = match confirmed.experience.as_deref() {
            Some(value) => Some(
                Experience::parse(value)
                    .ok_or_else(|| ServiceError::invalid("experience", "Choose new, junior, mid or senior."))?,
            ),
            None => None,
        };
        let mut form = profiles::load(self.sql.pool(), person).await?.unwrap_or_else(|| CareerForm {
            experience: kept.years.map_or(Experience::New, app::mentor_resume::experience_for_years).as_str().into(),
            ..CareerForm::default()
        });
        if let Some(experience) = experience {
            form.experience = experience.as_str().into();
        }
        add_skills(&mut form.skills, &chosen);
        let query = form.validate().map_err(ServiceError::Invalid)?;
        let mut tx = self.sql.pool().begin().await?;
        profiles::save(&mut tx, person, &query).await?;
        if !resumes::confirm(&mut tx, person, id, &chosen).await? {
            return Err(ServiceError::NotFound.into());
        }
        tx.commit().await?;
        Ok(form)
    }
}

/// Why the worker could not read a file, as the person uploading a résumé
/// should hear it.
fn refusal(error: ExtractError) -> AppError {
    let message = match error {
        ExtractError::Unsupported(what) => format!(
            "This file is {what}, not a résumé we can read. Upload your résumé as a PDF, a Word document (.docx) or plain text."
        ),
        ExtractError::Empty => {
            "We found no text in this file. If it is a scan or a photo, upload the PDF or Word file your résumé was written in."
                .into()
        }
        ExtractError::NoRoom | ExtractError::TooLarge(_) => {
            "This file holds far more text than a résumé. Upload your CV alone.".into()
        }
        ExtractError::Malformed(why) => format!("We couldn't read this file: {why}."),
    };
    ServiceError::invalid("file", message).into()
}
