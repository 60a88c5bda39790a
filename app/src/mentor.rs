//! The career mentor's form, its validation, the results it shows and the
//! server functions behind them. The arithmetic lives in the server's
//! `mentor/` modules; these types are what crosses the wire.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{FieldErrors, ServiceError};
use crate::validate::{clean_line, clean_text};

/// The attribution CC BY 4.0 asks for, shown wherever the data is.
pub const ONET_ATTRIBUTION: &str = "This product includes information from the O*NET 29.2 Database by the U.S. \
Department of Labor, Employment and Training Administration (USDOL/ETA). Used under the CC BY 4.0 license. \
O*NET® is a trademark of USDOL/ETA.";

/// Long enough for a paragraph about what someone wants to do.
pub const INTEREST_MAX: usize = 1000;
/// A skill is a name, not a description.
pub const SKILL_MAX: usize = 80;
pub const SKILLS_MAX: usize = 40;
pub const HOURS_MAX: u32 = 60;
pub const DEFAULT_HOURS: u32 = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Experience {
    /// No work experience yet.
    New,
    /// Under two years.
    Junior,
    /// Two to five years.
    Mid,
    /// More than five years.
    Senior,
}

impl Experience {
    pub const ALL: [Experience; 4] = [Experience::New, Experience::Junior, Experience::Mid, Experience::Senior];

    pub fn as_str(self) -> &'static str {
        match self {
            Experience::New => "new",
            Experience::Junior => "junior",
            Experience::Mid => "mid",
            Experience::Senior => "senior",
        }
    }

    pub fn parse(value: &str) -> Option<Experience> {
        Experience::ALL.into_iter().find(|e| e.as_str() == value.trim())
    }

    pub fn label(self) -> &'static str {
        match self {
            Experience::New => "New to work",
            Experience::Junior => "Under 2 years",
            Experience::Mid => "2 to 5 years",
            Experience::Senior => "More than 5 years",
        }
    }
}

/// How much a readiness score rests on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    Low,
    Medium,
    High,
}

impl Confidence {
    pub fn label(self) -> &'static str {
        match self {
            Confidence::Low => "Low confidence",
            Confidence::Medium => "Medium confidence",
            Confidence::High => "High confidence",
        }
    }
}

/// O*NET's relatedness tiers, closest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    PrimaryShort,
    PrimaryLong,
    Supplemental,
}

impl Tier {
    pub fn label(self) -> &'static str {
        match self {
            Tier::PrimaryShort => "Closest",
            Tier::PrimaryLong => "Close",
            Tier::Supplemental => "Related",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PhaseKind {
    QuickWins,
    CoreSkills,
    Showcase,
}

impl PhaseKind {
    pub fn label(self) -> &'static str {
        match self {
            PhaseKind::QuickWins => "Quick wins",
            PhaseKind::CoreSkills => "Core skills",
            PhaseKind::Showcase => "Build and apply",
        }
    }
}

/// What a person typed into the career form (or sent to the API), untrusted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CareerForm {
    pub interest: String,
    /// `new`, `junior`, `mid` or `senior`.
    pub experience: String,
    pub skills: Vec<String>,
    pub hours_per_week: Option<u32>,
}

/// A career form that passed validation; only [`CareerForm::validate`] makes one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CareerQuery {
    interest: String,
    experience: Experience,
    skills: Vec<String>,
    hours_per_week: u8,
}

impl CareerQuery {
    pub fn interest(&self) -> &str {
        &self.interest
    }
    pub fn experience(&self) -> Experience {
        self.experience
    }
    pub fn skills(&self) -> &[String] {
        &self.skills
    }
    pub fn hours_per_week(&self) -> u8 {
        self.hours_per_week
    }
}

impl CareerForm {
    /// The form as the page's address holds it (`/mentor?interest=…`), so
    /// results can be bookmarked, shared and reached before the page's code
    /// has loaded. Skills arrive as one comma-separated value (`skills`,
    /// the chips) plus what was still being typed (`more_skills`).
    pub fn from_query(get: impl Fn(&str) -> Option<String>) -> CareerForm {
        let skills =
            [get("skills"), get("more_skills")].into_iter().flatten().flat_map(|list| split_skills(&list)).collect();
        CareerForm {
            interest: get("interest").unwrap_or_default(),
            experience: get("experience").unwrap_or_default(),
            skills,
            // Not a number reads as 0, which validation refuses with a reason.
            hours_per_week: get("hours").filter(|h| !h.trim().is_empty()).map(|h| h.trim().parse().unwrap_or(0)),
        }
    }

    /// The form in a query string (as [`CareerForm::to_query`] writes it).
    pub fn parse_query(query: &str) -> CareerForm {
        let pairs = crate::components::url::decode_query(query);
        CareerForm::from_query(|key| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone()))
    }

    /// The address that shows this form's results.
    pub fn to_query(&self) -> String {
        let mut parts = vec![
            format!("interest={}", crate::components::url::encode_query_value(&self.interest)),
            format!("experience={}", crate::components::url::encode_query_value(&self.experience)),
            format!("skills={}", crate::components::url::encode_query_value(&self.skills.join(", "))),
        ];
        if let Some(hours) = self.hours_per_week {
            parts.push(format!("hours={hours}"));
        }
        parts.join("&")
    }

    /// Nothing asked yet: the page shows the form alone.
    pub fn is_blank(&self) -> bool {
        self.interest.trim().is_empty() && self.skills.is_empty() && self.experience.trim().is_empty()
    }

    pub fn validate(&self) -> Result<CareerQuery, FieldErrors> {
        let mut errors = FieldErrors::new();
        let interest = clean_text(&self.interest);
        if interest.chars().count() > INTEREST_MAX {
            errors.insert(
                "interest".into(),
                format!("Please keep this under {INTEREST_MAX} characters: a few sentences are plenty."),
            );
        }
        let experience = Experience::parse(&self.experience);
        if experience.is_none() {
            errors.insert("experience".into(), "Please choose how much work experience you have.".into());
        }
        let mut skills: Vec<String> = Vec::new();
        for skill in &self.skills {
            let skill = clean_line(skill);
            if skill.is_empty() || skills.iter().any(|s| s.eq_ignore_ascii_case(&skill)) {
                continue;
            }
            if skill.chars().count() > SKILL_MAX {
                let start: String = skill.chars().take(24).collect();
                errors.insert(
                    "skills".into(),
                    format!("\"{start}…\" is too long for a skill: please keep each under {SKILL_MAX} characters."),
                );
            }
            skills.push(skill);
        }
        if skills.len() > SKILLS_MAX {
            errors.insert(
                "skills".into(),
                format!("Please list at most {SKILLS_MAX} skills: the ones you use most are what count."),
            );
        }
        if interest.is_empty() && skills.is_empty() {
            errors.insert(
                "interest".into(),
                "Tell us what kind of work interests you, or add a few skills you have.".into(),
            );
        }
        let hours = self.hours_per_week.unwrap_or(DEFAULT_HOURS);
        if !(1..=HOURS_MAX).contains(&hours) {
            errors.insert(
                "hours".into(),
                format!("Please give the hours you can spend each week, from 1 to {HOURS_MAX}."),
            );
        }
        match experience {
            Some(experience) if errors.is_empty() => {
                Ok(CareerQuery { interest, experience, skills, hours_per_week: hours as u8 })
            }
            _ => Err(errors),
        }
    }
}

/// Skills typed into one field: commas, semicolons or new lines between them.
pub fn split_skills(list: &str) -> Vec<String> {
    list.split([',', ';', '\n']).map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

/// "2.5" or "3": half weeks are the precision estimates have.
pub fn weeks_text(weeks: f32) -> String {
    if weeks.fract() == 0.0 {
        format!("{weeks:.0}")
    } else {
        format!("{weeks:.1}")
    }
}

/// How one typed skill was read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkillRead {
    pub typed: String,
    /// The O*NET technology it names, when it names one.
    pub technology: Option<String>,
}

/// A skill the form suggests as someone types.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkillSuggestion {
    pub name: String,
    pub category: String,
    pub hot: bool,
}

/// One of a role's key technologies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeySkill {
    pub name: String,
    pub hot: bool,
    pub in_demand: bool,
    pub have: bool,
}

/// A key technology the person lacks, with the estimate and its assumption.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SkillGap {
    pub name: String,
    pub category: String,
    pub hot: bool,
    pub in_demand: bool,
    pub weeks: f32,
    pub hours: u32,
    /// The learning-hours row the estimate used, in a sentence.
    pub assumption: String,
    /// Readiness points it adds.
    pub points: u8,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoadmapStep {
    pub name: String,
    pub start_week: f32,
    pub end_week: f32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoadmapPhase {
    pub kind: PhaseKind,
    pub start_week: f32,
    pub end_week: f32,
    pub steps: Vec<RoadmapStep>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Roadmap {
    pub phases: Vec<RoadmapPhase>,
    pub total_weeks: f32,
    pub hours_per_week: u8,
    /// Gaps left off so the plan stays doable.
    pub later: Vec<String>,
}

/// A role next to a recommended one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdjacentRole {
    pub soc: String,
    pub title: String,
    pub tier: Tier,
    pub reuses: Vec<String>,
    pub adds: Vec<String>,
    pub readiness: u8,
}

impl AdjacentRole {
    /// "Statisticians (15-2041.00, closest), 21 % ready".
    pub fn summary(&self) -> String {
        format!("{} ({}, {}), {} % ready", self.title, self.soc, self.tier.label().to_lowercase(), self.readiness)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobZoneInfo {
    pub zone: u8,
    pub name: String,
    pub experience: String,
}

/// One recommended role, with everything behind it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoleMatch {
    /// The O*NET-SOC code.
    pub soc: String,
    pub title: String,
    pub description: String,
    /// The ranking score, 0 to 100.
    pub score: u8,
    /// How well the interest matched, 0 to 100.
    pub interest: u8,
    pub matched_titles: Vec<String>,
    /// Heaviest first.
    pub key_skills: Vec<KeySkill>,
    pub job_zone: Option<JobZoneInfo>,
    /// How well the person's experience fits the job zone, 0 to 100.
    pub experience_fit: u8,
    pub readiness: u8,
    pub confidence: Confidence,
    /// Why the confidence is what it is.
    pub confidence_reason: String,
    /// Why this role, in sentences.
    pub reasons: Vec<String>,
    /// The two or three things that would raise readiness most.
    pub movers: Vec<String>,
    /// Quick wins first.
    pub gaps: Vec<SkillGap>,
    pub roadmap: Roadmap,
    pub adjacent: Vec<AdjacentRole>,
}

impl RoleMatch {
    /// "7 of 12": key technologies the person has, of all.
    pub fn coverage_text(&self) -> String {
        let have = self.key_skills.iter().filter(|k| k.have).count();
        format!("{have} of {} key technologies", self.key_skills.len())
    }
}

/// How the interest was matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchMode {
    /// Words and meaning (the local MiniLM model).
    WordsAndMeaning,
    /// Words alone: no local embedding model.
    Words,
}

/// The mentor's answer to a career form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CareerResults {
    pub skills: Vec<SkillRead>,
    pub roles: Vec<RoleMatch>,
    pub hours_per_week: u8,
    pub mode: MatchMode,
}

/// Roles for a career form; anyone may ask, a few times a minute.
#[server(endpoint = "mentor/recommendations")]
pub async fn recommend_careers(form: CareerForm) -> Result<CareerResults, ServiceError> {
    crate::services::call(|s, caller| async move {
        let query = form.validate().map_err(ServiceError::Invalid)?;
        s.mentor.recommend(&caller, query).await
    })
    .await
}

/// Technologies whose names start with what was typed, most used first.
#[server(endpoint = "mentor/skills", input = leptos::server_fn::codec::GetUrl)]
pub async fn suggest_skills(typed: String) -> Result<Vec<SkillSuggestion>, ServiceError> {
    crate::services::call(|s, caller| async move { s.mentor.suggest_skills(&caller, &typed).await }).await
}

/// The signed-in person's saved career form, if they have one (none for
/// anyone signed out).
#[server(endpoint = "mentor/profile")]
pub async fn my_mentor_profile() -> Result<Option<CareerForm>, ServiceError> {
    crate::services::call(|s, caller| async move { s.mentor.profile(&caller).await }).await
}

/// Keeps a career form as the signed-in person's profile.
#[server(endpoint = "mentor/save-profile")]
pub async fn save_mentor_profile(form: CareerForm) -> Result<(), ServiceError> {
    crate::services::call(|s, caller| async move {
        let query = form.validate().map_err(ServiceError::Invalid)?;
        s.mentor.save_profile(&caller, query).await
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(interest: &str, skills: &[&str]) -> CareerForm {
        CareerForm {
            interest: interest.into(),
            experience: "junior".into(),
            skills: skills.iter().map(|s| s.to_string()).collect(),
            hours_per_week: Some(10),
        }
    }

    #[test]
    fn a_good_form_is_cleaned_and_kept() {
        let query = form("  I'd like to\u{0} make websites ", &["Python", " python ", "", "SQL"]).validate().unwrap();
        assert_eq!(query.interest(), "I'd like to make websites");
        assert_eq!(query.skills(), ["Python", "SQL"]);
        assert_eq!((query.experience(), query.hours_per_week()), (Experience::Junior, 10));
    }

    #[test]
    fn empty_absurd_and_oversized_forms_get_reasons() {
        let errors = form(" ", &[]).validate().unwrap_err();
        assert!(errors["interest"].contains("interests you"));
        let errors = form(&"x".repeat(10_000), &[]).validate().unwrap_err();
        assert!(errors["interest"].contains("1000"));
        let errors = form("data", &[&"y".repeat(200)]).validate().unwrap_err();
        assert!(errors["skills"].contains("too long"));
        let many: Vec<String> = (0..50).map(|i| format!("skill {i}")).collect();
        let errors = CareerForm { skills: many, ..form("data", &[]) }.validate().unwrap_err();
        assert!(errors["skills"].contains("at most 40"));
        for hours in [Some(0), Some(61), Some(10_000)] {
            let errors = CareerForm { hours_per_week: hours, ..form("data", &[]) }.validate().unwrap_err();
            assert!(errors.contains_key("hours"), "{hours:?}");
        }
        let errors = CareerForm { experience: "wizard".into(), ..form("data", &[]) }.validate().unwrap_err();
        assert!(errors.contains_key("experience"));
    }

    #[test]
    fn the_address_round_trips_the_form() {
        let original = form("make websites & apps 100%", &["Python", "C++"]);
        assert_eq!(CareerForm::parse_query(&original.to_query()), original);
        assert_eq!(CareerForm::parse_query("interest=data+science&experience=mid").interest, "data science");
        let typed = CareerForm::from_query(|key| match key {
            "skills" => Some("Excel, SQL".into()),
            "more_skills" => Some("Tableau; R".into()),
            "hours" => Some("lots".into()),
            _ => None,
        });
        assert_eq!(typed.skills, ["Excel", "SQL", "Tableau", "R"]);
        assert_eq!(typed.hours_per_week, Some(0), "not a number is refused, not defaulted");
    }
}
