//! What operators see of the career mentor (`/ops/mentor`, for the people
//! in `OPERATOR_EMAILS`): who uses it, how much, what they aim at and lack,
//! and who hits their limits. Counts only: no one's words or answers.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::ServiceError;

/// Days the questions chart covers.
pub const CHART_DAYS: usize = 30;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counted {
    pub name: String,
    pub count: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayCount {
    /// `YYYY-MM-DD`, UTC.
    pub day: String,
    pub questions: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MentorInsights {
    /// Accounts made for the mentor.
    pub people: u32,
    /// People with a saved career profile.
    pub profiles: u32,
    /// People who asked the mentor this month.
    pub asking_this_month: u32,
    pub questions_this_month: u32,
    /// The last [`CHART_DAYS`] days, oldest first, every day present.
    pub per_day: Vec<DayCount>,
    /// Words people use most when they say what work they want.
    pub interests: Vec<Counted>,
    /// The role recommended first, across the most recent profiles.
    pub target_roles: Vec<Counted>,
    /// The first skills to learn for those roles.
    pub gaps: Vec<Counted>,
    /// How many profiles the roles and gaps were read from.
    pub profiles_read: u32,
    /// Questions refused this month: the plan's monthly allowance, the hourly limit.
    pub month_limit_hits: u32,
    pub hour_limit_hits: u32,
    /// People who hit a limit this month.
    pub people_limited: u32,
}

/// The mentor's insights, for operators only (anyone else: not found).
#[server(endpoint = "mentor/insights", input = leptos::server_fn::codec::GetUrl)]
pub async fn load_mentor_insights() -> Result<MentorInsights, ServiceError> {
    crate::services::call(|s, caller| async move { s.mentor.insights(&caller).await }).await
}
