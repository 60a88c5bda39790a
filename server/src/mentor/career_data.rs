//! A person's profile and results as the text an LLM answers from: the
//! same figures the page shows and the offline answers use, with the O*NET
//! rows (SOC codes, titles, technologies) they rest on.

use app::mentor::{weeks_text, CareerQuery, CareerResults};

/// Roles' gaps and neighbours beyond these add length, not answers.
const GAPS_LISTED: usize = 8;

pub fn career_data(name: &str, query: &CareerQuery, results: &CareerResults) -> String {
    let mut out = format!(
        "Person: {name}\nWants: {}\nExperience: {}\nSkills: {}\nHours a week for learning: {}\n",
        query.interest(),
        query.experience().label(),
        if query.skills().is_empty() { "none given".to_owned() } else { query.skills().join(", ") },
        query.hours_per_week()
    );
    for (rank, role) in results.roles.iter().enumerate() {
        out.push_str(&format!(
            "\nRole {}: {} (O*NET-SOC {}), score {}/100, readiness {} %, {} ({}).\n",
            rank + 1,
            role.title,
            role.soc,
            role.score,
            role.readiness,
            role.confidence.label().to_lowercase(),
            role.confidence_reason
        ));
        out.push_str(&format!("Description: {}\n", role.description));
        out.push_str(&format!("Why: {}\n", role.reasons.join(" ")));
        if let Some(zone) = &role.job_zone {
            out.push_str(&format!("Job Zone {} ({}): {}\n", zone.zone, zone.name, zone.experience));
        }
        let skills: Vec<String> =
            role.key_skills.iter().map(|k| format!("{}{}", k.name, if k.have { " (has)" } else { "" })).collect();
        out.push_str(&format!("Key technologies, {}: {}\n", role.coverage_text(), skills.join(", ")));
        for gap in role.gaps.iter().take(GAPS_LISTED) {
            out.push_str(&format!(
                "Gap: {}, about {} weeks ({} hours), +{} readiness points.\n",
                gap.name,
                weeks_text(gap.weeks),
                gap.hours,
                gap.points
            ));
        }
        if !role.roadmap.phases.is_empty() {
            out.push_str(&format!("Roadmap: about {} weeks in all.\n", weeks_text(role.roadmap.total_weeks)));
        }
        if !role.movers.is_empty() {
            out.push_str(&format!("Would raise readiness most: {}\n", role.movers.join("; ")));
        }
        for next in &role.adjacent {
            out.push_str(&format!("Related role: {}.\n", next.summary()));
        }
    }
    out
}
