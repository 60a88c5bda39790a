//! A recommendation as a person reads it: the figures named, the reasons in
//! sentences, the data rows (SOC code, titles, technologies) they rest on,
//! and what would move readiness most. The arithmetic is `recommend.rs`'s;
//! this module only says it.

use app::mentor::{
    weeks_text, AdjacentRole, Confidence, JobZoneInfo, KeySkill, Roadmap, RoadmapPhase, RoadmapStep, RoleMatch,
    SkillGap,
};

use super::adjacent::adjacent;
use super::onet::TechnologyId;
use super::recommend::{Profile, Recommendation, Recommender};
use super::roadmap::plan;

/// Related roles shown under each recommendation.
const ADJACENT_ROLES: usize = 4;
/// Skills named in a sentence before "and N more".
const NAMED: usize = 4;

pub fn role_match(r: &Recommender, recommendation: &Recommendation, profile: &Profile) -> RoleMatch {
    let occupation = r.onet.occupation(recommendation.occupation);
    let name = |id: TechnologyId| r.onet.technology(id).name.to_string();
    let key_skills: Vec<KeySkill> = recommendation
        .key_technologies
        .iter()
        .map(|k| KeySkill { name: name(k.technology), hot: k.hot, in_demand: k.in_demand, have: k.have })
        .collect();
    let gaps: Vec<SkillGap> = recommendation
        .gaps
        .iter()
        .map(|g| {
            let technology = r.onet.technology(g.technology);
            SkillGap {
                name: technology.name.to_string(),
                category: technology.category.to_string(),
                hot: technology.hot,
                in_demand: g.in_demand,
                weeks: g.weeks,
                hours: g.assumption.hours,
                assumption: g.assumption.why.to_string(),
                points: g.points,
            }
        })
        .collect();
    let roadmap = plan(&recommendation.gaps);
    let job_zone = occupation.job_zone.and_then(|zone| r.onet.job_zone(zone)).map(|z| JobZoneInfo {
        zone: z.zone,
        name: z.name.to_string(),
        experience: z.experience.to_string(),
    });
    RoleMatch {
        soc: occupation.code.to_string(),
        title: occupation.title.to_string(),
        description: occupation.description.to_string(),
        score: percent(recommendation.score),
        interest: percent(recommendation.interest),
        matched_titles: recommendation.matched_titles.iter().map(|t| t.to_string()).collect(),
        reasons: reasons(recommendation, &key_skills, job_zone.as_ref(), profile),
        movers: movers(recommendation, &gaps),
        confidence_reason: confidence_reason(recommendation, profile),
        key_skills,
        job_zone,
        experience_fit: percent(recommendation.experience_fit),
        readiness: recommendation.readiness,
        confidence: recommendation.confidence,
        gaps,
        roadmap: Roadmap {
            phases: roadmap
                .phases
                .iter()
                .map(|p| RoadmapPhase {
                    kind: p.kind,
                    start_week: p.start_week,
                    end_week: p.end_week,
                    steps: p
                        .steps
                        .iter()
                        .map(|s| RoadmapStep {
                            name: name(s.technology),
                            start_week: s.start_week,
                            end_week: s.end_week,
                        })
                        .collect(),
                })
                .collect(),
            total_weeks: roadmap.total_weeks,
            hours_per_week: profile.hours_per_week,
            later: roadmap.later.iter().map(|id| name(*id)).collect(),
        },
        adjacent: adjacent(r, recommendation.occupation, profile, ADJACENT_ROLES)
            .into_iter()
            .map(|a| AdjacentRole {
                soc: r.onet.occupation(a.occupation).code.to_string(),
                title: r.onet.occupation(a.occupation).title.to_string(),
                tier: a.tier,
                reuses: a.reuses.into_iter().map(name).collect(),
                adds: a.adds.into_iter().map(name).collect(),
                readiness: a.readiness,
            })
            .collect(),
    }
}

fn percent(share: f32) -> u8 {
    (share * 100.0).round().clamp(0.0, 100.0) as u8
}

/// "Python, SQL, Git and 2 more".
fn named_list(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [one] => one.to_string(),
        _ if names.len() <= NAMED => {
            let (last, rest) = names.split_last().expect("two or more");
            format!("{} and {last}", rest.join(", "))
        }
        _ => format!("{} and {} more", names[..NAMED].join(", "), names.len() - NAMED),
    }
}

fn reasons(
    recommendation: &Recommendation,
    key_skills: &[KeySkill],
    job_zone: Option<&JobZoneInfo>,
    profile: &Profile,
) -> Vec<String> {
    let mut reasons = Vec::new();
    if !profile.interest.trim().is_empty() {
        let titles: Vec<&str> = recommendation.matched_titles.iter().take(3).copied().collect();
        if !titles.is_empty() {
            reasons.push(format!(
                "Your words match how people name this work: {} ({} % interest match).",
                named_list(&titles),
                percent(recommendation.interest)
            ));
        } else if recommendation.interest >= 0.2 {
            reasons.push(format!(
                "What you describe is close to what this role does ({} % interest match).",
                percent(recommendation.interest)
            ));
        }
    }
    let have: Vec<&str> = key_skills.iter().filter(|k| k.have).map(|k| k.name.as_str()).collect();
    if key_skills.is_empty() {
        reasons.push("O*NET lists no key technologies for this role, so your skills could not be compared.".into());
    } else if have.is_empty() {
        reasons.push(format!("You have none of its {} key technologies yet.", key_skills.len()));
    } else {
        reasons.push(format!(
            "You have {} of its {} key technologies: {}.",
            have.len(),
            key_skills.len(),
            named_list(&have)
        ));
    }
    let zone = job_zone.map_or_else(|| "O*NET gives it no job zone".to_string(), |z| z.name.clone());
    let fit = recommendation.experience_fit;
    reasons.push(if fit >= 1.0 {
        format!("{zone}: it fits your experience ({}).", profile.experience.label().to_lowercase())
    } else if fit >= 0.7 {
        format!("{zone}: below your experience, so you may find it an easy step.")
    } else if fit >= 0.6 {
        format!("{zone}: one step above your experience, within reach with the gaps below.")
    } else {
        format!("{zone}: well above your experience for now; the adjacent roles may be nearer.")
    });
    reasons
}

/// The two or three changes that would add most readiness points.
fn movers(recommendation: &Recommendation, gaps: &[SkillGap]) -> Vec<String> {
    let mut movers: Vec<(u8, String)> = gaps
        .iter()
        .filter(|g| g.points > 0)
        .map(|g| (g.points, format!("Learn {}: +{} points, about {} weeks.", g.name, g.points, weeks_text(g.weeks))))
        .collect();
    let experience_points = (25.0 * (1.0 - recommendation.experience_fit)).round() as u8;
    if experience_points > 0 && recommendation.experience_fit < 1.0 && !recommendation.key_technologies.is_empty() {
        movers.push((
            experience_points,
            format!(
                "Experience at this level: +{experience_points} points as it grows (a job, internship or project)."
            ),
        ));
    }
    movers.sort_by_key(|m| std::cmp::Reverse(m.0));
    movers.into_iter().take(3).map(|(_, text)| text).collect()
}

fn confidence_reason(recommendation: &Recommendation, profile: &Profile) -> String {
    let recognised = super::recommend::technologies(profile).len();
    let keys = recommendation.key_technologies.len();
    match recommendation.confidence {
        _ if keys == 0 => "O*NET lists no technologies for this role: only your experience was measured.".into(),
        Confidence::Low => format!(
            "{recognised} of your skills matched technologies in the data: add the tools you use to firm this up."
        ),
        Confidence::Medium | Confidence::High => {
            format!("Based on {recognised} recognised skills against {keys} key technologies.")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_name_a_few_and_count_the_rest() {
        assert_eq!(named_list(&["Python"]), "Python");
        assert_eq!(named_list(&["Python", "SQL"]), "Python and SQL");
        assert_eq!(named_list(&["a", "b", "c", "d", "e", "f"]), "a, b, c, d and 2 more");
    }

    #[test]
    fn a_role_match_carries_its_data_rows_reasons_and_plan() {
        let r = Recommender::get().unwrap();
        let profile = Profile {
            interest: "I want to build websites".into(),
            experience: app::mentor::Experience::Junior,
            skills: ["html", "css", "javascript", "teamwork"].iter().map(|s| r.skills.normalise(s)).collect(),
            hours_per_week: 10,
        };
        let top = r.recommend(&profile, None);
        let web = top.iter().find(|x| &*r.onet.occupation(x.occupation).code == "15-1254.00").expect("Web Developers");
        let role = role_match(r, web, &profile);
        assert_eq!(role.soc, "15-1254.00");
        assert!(role.coverage_text().starts_with("3 of "), "{}", role.coverage_text());
        assert!(role.reasons.iter().any(|r| r.contains("You have 3 of its")), "{:?}", role.reasons);
        assert!(!role.movers.is_empty() && role.movers.len() <= 3);
        assert_eq!(role.gaps.len(), role.key_skills.iter().filter(|k| !k.have).count());
        let scheduled: usize = role.roadmap.phases.iter().map(|p| p.steps.len()).sum();
        assert_eq!(scheduled + role.roadmap.later.len(), role.gaps.len());
        assert!(!role.adjacent.is_empty());
    }
}
