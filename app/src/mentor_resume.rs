//! A résumé for the career form: what reading one found (the skills it
//! names, each with the sentence it came from, and the years of work it
//! spans), what the person confirms of it, and how that joins their form.
//! Nothing found is used until the person confirms it; the file itself is
//! never kept.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::ServiceError;
use crate::mentor::{CareerForm, Experience, SKILLS_MAX};

/// Résumés are a page or three; a bigger file is refused before it is read.
pub const RESUME_MAX_BYTES: u64 = 5 * 1024 * 1024;
/// What the file picker offers (the server decides by content, not name).
pub const RESUME_ACCEPT: &str = ".pdf,.docx,.txt,.md,application/pdf,\
application/vnd.openxmlformats-officedocument.wordprocessingml.document,text/plain,text/markdown";
/// Where the page sends a résumé (multipart, one `file` part): a plain
/// endpoint rather than a server function, so the upload shows progress.
pub const RESUME_UPLOAD_PATH: &str = "/api/mentor/resume";

/// What reading a résumé found, for the person to confirm.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResumeReading {
    /// For someone signed in, the reading kept (skills found, not the
    /// file) until they confirm it or read another; `None` for anyone
    /// else, for whom nothing is kept.
    pub id: Option<String>,
    pub file_name: String,
    /// "PDF", "Word document", "Text".
    pub format: String,
    pub skills: Vec<ResumeSkill>,
    /// Years of work it spans, when it dates any.
    pub years: Option<u32>,
}

impl ResumeReading {
    /// The experience choice its years suggest.
    pub fn experience(&self) -> Option<Experience> {
        self.years.map(experience_for_years)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResumeSkill {
    /// As the form takes it: O*NET's name for a technology, else as written.
    pub name: String,
    /// One of O*NET's technologies (else a skill the data doesn't list).
    pub technology: bool,
    /// The sentence it was found in, shortened.
    pub evidence: String,
}

/// What the person confirmed of a reading: the skills they have (from
/// those found) and, if they take it, the experience the years suggest.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ResumeConfirmation {
    pub skills: Vec<String>,
    /// `new`, `junior`, `mid` or `senior`; `None` keeps the profile's.
    pub experience: Option<String>,
}

/// Under 1 year is new to work, then as the form's choices say.
pub fn experience_for_years(years: u32) -> Experience {
    match years {
        0 => Experience::New,
        1 => Experience::Junior,
        2..=5 => Experience::Mid,
        _ => Experience::Senior,
    }
}

/// Adds `skills` to `form`'s, skipping ones it has (in any case) and
/// stopping at the form's limit; returns how many were added.
pub fn add_skills(form_skills: &mut Vec<String>, skills: &[String]) -> usize {
    let before = form_skills.len();
    for skill in skills {
        if form_skills.len() >= SKILLS_MAX {
            break;
        }
        if !form_skills.iter().any(|s| s.eq_ignore_ascii_case(skill)) {
            form_skills.push(skill.clone());
        }
    }
    form_skills.len() - before
}

/// Confirms a kept reading: the chosen skills (and experience) join the
/// signed-in person's profile, which is returned.
#[server(endpoint = "mentor/resume/confirm")]
pub async fn confirm_resume(id: String, confirmed: ResumeConfirmation) -> Result<CareerForm, ServiceError> {
    crate::services::call(|s, caller| async move { s.mentor.confirm_resume(&caller, &id, confirmed).await }).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn years_choose_the_forms_experience() {
        assert_eq!(experience_for_years(0), Experience::New);
        assert_eq!(experience_for_years(1), Experience::Junior);
        assert_eq!(experience_for_years(2), Experience::Mid);
        assert_eq!(experience_for_years(5), Experience::Mid);
        assert_eq!(experience_for_years(6), Experience::Senior);
    }

    #[test]
    fn adding_skills_skips_what_is_there_and_stops_at_the_limit() {
        let mut skills = vec!["Python".to_string()];
        assert_eq!(add_skills(&mut skills, &["python".into(), "SQL".into(), "SQL".into()]), 1);
        assert_eq!(skills, ["Python", "SQL"]);
        let many: Vec<String> = (0..100).map(|i| format!("skill {i}")).collect();
        assert_eq!(add_skills(&mut skills, &many), SKILLS_MAX - 2);
        assert_eq!(skills.len(), SKILLS_MAX);
    }
}
