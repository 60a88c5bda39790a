//! Roles for a person, with the reasons and data rows behind each, how
//! ready they are for it and what to learn first. No AI provider involved:
//! everything here is arithmetic over the O*NET dataset, so it is the same
//! answer every time and each figure can be explained.
//!
//! **Ranking score** (0 to 1) = relevance × (0.6 + 0.4 × experience fit),
//! where relevance = 0.65 × interest match + 0.35 × key-skill coverage, or
//! the coverage alone when the person gave no interest. Fit scales
//! relevance rather than adding to it, so a role that matches neither the
//! interest nor the skills never rises on experience alone.
//! - *Interest match*: `interest.rs`.
//! - *Key skills*: an occupation's Hot or In Demand technologies (all of
//!   them where it has fewer than three), at most 15; each weighs 1, +0.5 if
//!   Hot, +1 if In Demand there. Coverage is the weight of those the person
//!   has over the weight of all: "7 of 12 key technologies". For ranking,
//!   a role whose key technologies weigh under 8 has its coverage scaled
//!   down in proportion: one spreadsheet does not make someone a fit for
//!   every role that lists only spreadsheets.
//! - *Experience fit*: the person's experience reaches a job zone (new: 2,
//!   under two years: 3, two to five: 4, more: 5). A role at or below that
//!   reach fits (1, or 0.7 three zones below: likely underemployed), one
//!   zone above fits partly (0.6), further above hardly (0.25). O*NET gives
//!   a few roles no zone; they are read as zone 3.
//!
//! **Readiness** (0 to 100) = 100 × (0.75 × coverage + 0.25 × fit). For a
//! role O*NET lists no technologies for, it is 50 × fit, with low
//! confidence: nothing to measure skills against. Having more of a role's
//! key skills never lowers it. **Confidence** says how much the score
//! rests on: high with five or more recognised technologies against five or
//! more key ones, medium with two or more, low otherwise.

use std::collections::HashSet;
use std::sync::OnceLock;

pub use app::mentor::{Confidence, Experience};

use super::interest::InterestIndex;
use super::learning_hours::{weeks, LearningHours, LearningTable};
#[cfg(test)]
use super::onet::Occupation;
use super::onet::{OccupationId, Onet, TechnologyId};
use super::skills::{Skill, SkillIndex};
use super::vectors::OccupationVectors;

/// How many roles a person is shown.
pub const ROLES: usize = 5;
const MAX_KEY_TECHNOLOGIES: usize = 15;
/// Key-technology weight below which ranking discounts coverage: about
/// four flagged technologies.
const RANKING_MIN_WEIGHT: f32 = 8.0;

/// The highest job zone an experience usually reaches.
fn reach(experience: Experience) -> u8 {
    match experience {
        Experience::New => 2,
        Experience::Junior => 3,
        Experience::Mid => 4,
        Experience::Senior => 5,
    }
}

#[derive(Debug, Clone)]
pub struct Profile {
    pub interest: String,
    pub experience: Experience,
    pub skills: Vec<Skill>,
    pub hours_per_week: u8,
}

#[derive(Debug, Clone)]
pub struct KeyTechnology {
    pub technology: TechnologyId,
    pub hot: bool,
    pub in_demand: bool,
    pub weight: f32,
    pub have: bool,
}

/// A key technology the person lacks, with how long it usually takes.
#[derive(Debug, Clone)]
pub struct Gap {
    pub technology: TechnologyId,
    /// In Demand in this role's postings.
    pub in_demand: bool,
    pub weeks: f32,
    /// The table row the estimate used.
    pub assumption: LearningHours,
    /// Readiness points it would add.
    pub points: u8,
}

#[derive(Debug, Clone)]
pub struct Recommendation {
    pub occupation: OccupationId,
    pub score: f32,
    pub interest: f32,
    /// Titles of the role that hold the interest's words.
    pub matched_titles: Vec<&'static str>,
    pub key_technologies: Vec<KeyTechnology>,
    pub coverage: f32,
    pub experience_fit: f32,
    pub readiness: u8,
    pub confidence: Confidence,
    /// Quick wins first: fewest weeks, then most points.
    pub gaps: Vec<Gap>,
}

/// Everything recommending needs, built once per process from the dataset.
pub struct Recommender {
    pub onet: &'static Onet,
    pub skills: SkillIndex,
    interest: InterestIndex,
    vectors: OccupationVectors,
    hours: LearningTable,
}

static RECOMMENDER: OnceLock<Result<Recommender, String>> = OnceLock::new();

impl Recommender {
    /// The process's recommender, built on first use: start-up builds it on
    /// a blocking thread so the first person to ask does not wait.
    pub fn get() -> Result<&'static Recommender, &'static str> {
        RECOMMENDER
            .get_or_init(|| Recommender::new(Onet::get().map_err(|e| e.to_string())?))
            .as_ref()
            .map_err(String::as_str)
    }

    pub fn new(onet: &'static Onet) -> Result<Self, String> {
        Ok(Recommender {
            onet,
            skills: SkillIndex::new(onet),
            interest: InterestIndex::new(onet),
            vectors: OccupationVectors::load(onet)?,
            hours: LearningTable::new(),
        })
    }

    /// The best [`ROLES`] roles for `profile`. `meaning` is the interest
    /// embedded by all-MiniLM-L6-v2; without it (no local model) the
    /// interest matches by its words alone.
    pub fn recommend(&self, profile: &Profile, meaning: Option<&[f32]>) -> Vec<Recommendation> {
        let have = technologies(profile);
        let matches = self.interest.matches(&profile.interest);
        let has_interest = !profile.interest.trim().is_empty();
        let mut interest = vec![(0.0f32, None); self.onet.occupations().len()];
        for (i, m) in matches.iter().enumerate() {
            interest[usize::from(m.occupation.0)] = (m.score, Some(i));
        }
        if let Some(query) = meaning.filter(|_| has_interest) {
            for (slot, cosine) in interest.iter_mut().zip(self.vectors.similarities(query)) {
                slot.0 = WORDS * slot.0 + (1.0 - WORDS) * semantic(cosine);
            }
        }
        let mut scored: Vec<(f32, OccupationId)> = (0..self.onet.occupations().len())
            .map(|i| {
                let id = OccupationId(i as u16);
                let (coverage, total) = coverage(&self.key_technologies(id, &have));
                // A role with two key technologies is not "fully covered" by
                // one spreadsheet: ranking trusts coverage by its evidence.
                let coverage = coverage * total / total.max(RANKING_MIN_WEIGHT);
                let fit = experience_fit(profile.experience, self.onet.occupation(id).job_zone);
                let relevance = if has_interest { 0.65 * interest[i].0 + 0.35 * coverage } else { coverage };
                let score = relevance * (0.6 + 0.4 * fit);
                (score, id)
            })
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        scored
            .into_iter()
            .take(ROLES)
            .map(|(score, id)| {
                let (share, position) = interest[usize::from(id.0)];
                let words = position.map(|p| matches[p].words.as_slice()).unwrap_or_default();
                let mut recommendation = self.assess(id, profile, &have);
                recommendation.score = score;
                recommendation.interest = share;
                recommendation.matched_titles = self.interest.matched_titles(self.onet, id, words);
                recommendation
            })
            .collect()
    }

    /// Readiness, confidence and gaps for one role, whether recommended or
    /// chosen by the person.
    pub fn assess(&self, occupation: OccupationId, profile: &Profile, have: &HashSet<TechnologyId>) -> Recommendation {
        let keys = self.key_technologies(occupation, have);
        let (coverage, total_weight) = coverage(&keys);
        let fit = experience_fit(profile.experience, self.onet.occupation(occupation).job_zone);
        let readiness = if keys.is_empty() { 50.0 * fit } else { 100.0 * (0.75 * coverage + 0.25 * fit) };
        let recognised = have.len();
        let confidence = if keys.is_empty() || recognised < 2 {
            Confidence::Low
        } else if recognised >= 5 && keys.len() >= 5 {
            Confidence::High
        } else {
            Confidence::Medium
        };
        let mut gaps: Vec<Gap> = keys
            .iter()
            .filter(|k| !k.have)
            .map(|k| {
                let technology = self.onet.technology(k.technology);
                let assumption = self.hours.for_category(&technology.category).clone();
                Gap {
                    technology: k.technology,
                    in_demand: k.in_demand,
                    weeks: weeks(assumption.hours, profile.hours_per_week),
                    assumption,
                    points: (75.0 * k.weight / total_weight).round() as u8,
                }
            })
            .collect();
        gaps.sort_by(|a, b| {
            a.weeks.total_cmp(&b.weeks).then(b.points.cmp(&a.points)).then(a.technology.cmp(&b.technology))
        });
        Recommendation {
            occupation,
            score: 0.0,
            interest: 0.0,
            matched_titles: Vec::new(),
            key_technologies: keys,
            coverage,
            experience_fit: fit,
            readiness: readiness.round().clamp(0.0, 100.0) as u8,
            confidence,
            gaps,
        }
    }

    /// The role's key technologies (see the module docs), heaviest first.
    fn key_technologies(&self, occupation: OccupationId, have: &HashSet<TechnologyId>) -> Vec<KeyTechnology> {
        let uses = &self.onet.occupation(occupation).technologies;
        let flagged = uses.iter().filter(|u| u.in_demand || self.onet.technology(u.technology).hot).count();
        let mut keys: Vec<KeyTechnology> = uses
            .iter()
            .filter(|u| flagged < 3 || u.in_demand || self.onet.technology(u.technology).hot)
            .map(|u| {
                let hot = self.onet.technology(u.technology).hot;
                KeyTechnology {
                    technology: u.technology,
                    hot,
                    in_demand: u.in_demand,
                    weight: 1.0 + if hot { 0.5 } else { 0.0 } + if u.in_demand { 1.0 } else { 0.0 },
                    have: have.contains(&u.technology),
                }
            })
            .collect();
        keys.sort_by(|a, b| b.weight.total_cmp(&a.weight).then(a.technology.cmp(&b.technology)));
        keys.truncate(MAX_KEY_TECHNOLOGIES);
        keys
    }
}

/// The words' share of the interest match when the meaning is known too.
const WORDS: f32 = 0.5;

/// A cosine between an interest and an occupation, on the words' 0-to-1
/// scale: MiniLM puts unrelated texts around 0.1-0.2 and a close paraphrase
/// above 0.6.
fn semantic(cosine: f32) -> f32 {
    ((cosine - 0.15) / 0.5).clamp(0.0, 1.0)
}

/// The recognised technologies among a profile's skills.
pub fn technologies(profile: &Profile) -> HashSet<TechnologyId> {
    profile
        .skills
        .iter()
        .filter_map(|s| match s {
            Skill::Technology(id) => Some(*id),
            Skill::Other(_) => None,
        })
        .collect()
}

/// The share of the key technologies' weight the person has, and the total.
fn coverage(keys: &[KeyTechnology]) -> (f32, f32) {
    let total: f32 = keys.iter().map(|k| k.weight).sum();
    if total <= 0.0 {
        return (0.0, 0.0);
    }
    (keys.iter().filter(|k| k.have).map(|k| k.weight).sum::<f32>() / total, total)
}

fn experience_fit(experience: Experience, zone: Option<u8>) -> f32 {
    let reach = reach(experience);
    let zone = zone.unwrap_or(3);
    if zone <= reach {
        if reach - zone >= 3 {
            0.7
        } else {
            1.0
        }
    } else if zone == reach + 1 {
        0.6
    } else {
        0.25
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mentor::test_model as model;

    fn recommender() -> &'static Recommender {
        Recommender::get().unwrap()
    }

    fn profile(r: &Recommender, interest: &str, experience: Experience, skills: &[&str]) -> Profile {
        Profile {
            interest: interest.into(),
            experience,
            skills: skills.iter().map(|s| r.skills.normalise(s)).collect(),
            hours_per_week: 10,
        }
    }

    #[test]
    fn a_web_profile_gets_web_roles_with_reasons_and_quick_wins_first() {
        let r = recommender();
        let p =
            profile(r, "I'd like to make websites for small businesses", Experience::Junior, &["html", "css", "js"]);
        let roles = r.recommend(&p, None);
        assert_eq!(roles.len(), ROLES);
        let web =
            roles.iter().find(|x| &*r.onet.occupation(x.occupation).code == "15-1254.00").expect("Web Developers");
        assert!(roles.iter().position(|x| x.occupation == web.occupation).unwrap() < 3);
        assert!(web.key_technologies.iter().filter(|k| k.have).count() >= 3, "HTML, CSS and JavaScript count");
        assert!(!web.matched_titles.is_empty());
        assert!(web.readiness > 0 && web.readiness < 100);
        assert!(web.gaps.windows(2).all(|g| g[0].weeks <= g[1].weeks), "quick wins first");
        assert!(roles.windows(2).all(|w| w[0].score >= w[1].score));
    }

    #[test]
    fn meaning_finds_the_role_from_plain_words_alone() {
        let r = recommender();
        let p = profile(r, "I'd like to make websites for small businesses", Experience::New, &[]);
        let meaning = model().embed(std::slice::from_ref(&p.interest)).remove(0);
        let top: Vec<&str> =
            r.recommend(&p, Some(&meaning)).iter().take(3).map(|x| &*r.onet.occupation(x.occupation).code).collect();
        assert!(top.contains(&"15-1254.00"), "Web Developers in the top 3: {top:?}");
    }

    #[test]
    fn few_skills_mean_low_confidence() {
        let r = recommender();
        let p = profile(r, "websites", Experience::Junior, &["html"]);
        assert_eq!(r.recommend(&p, None)[0].confidence, Confidence::Low);
        let p = profile(r, "websites", Experience::Junior, &["html", "css", "javascript", "git", "react", "node.js"]);
        let web = r.onet.find("15-1254.00").unwrap();
        assert_eq!(r.assess(web, &p, &technologies(&p)).confidence, Confidence::High);
    }

    /// A small deterministic generator: the property below runs over many
    /// profiles without a dependency.
    struct XorShift(u64);
    impl XorShift {
        fn next(&mut self, below: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % below as u64) as usize
        }
    }

    #[test]
    fn more_of_a_roles_key_skills_never_lowers_readiness() {
        let r = recommender();
        let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
        for _ in 0..300 {
            let occupation = OccupationId(rng.next(r.onet.occupations().len()) as u16);
            let keys: Vec<TechnologyId> =
                r.key_technologies(occupation, &HashSet::new()).iter().map(|k| k.technology).collect();
            if keys.is_empty() {
                continue;
            }
            let mut p = Profile {
                interest: String::new(),
                experience: Experience::ALL[rng.next(4)],
                skills: Vec::new(),
                hours_per_week: 1 + rng.next(40) as u8,
            };
            let mut before = r.assess(occupation, &p, &technologies(&p)).readiness;
            for _ in 0..keys.len() {
                p.skills.push(Skill::Technology(keys[rng.next(keys.len())]));
                let after = r.assess(occupation, &p, &technologies(&p)).readiness;
                assert!(after >= before, "{}: {before} then {after}", r.onet.occupation(occupation).title);
                before = after;
            }
        }
    }

    /// The labelled profiles (`server/tests/data/mentor/profiles.tsv`):
    /// written from how people describe what they want, each with the
    /// occupations a careers adviser would accept. The share with one of
    /// those in the top 3, and the misses.
    pub fn top_three_share(by_meaning: bool) -> (f32, Vec<String>) {
        let r = recommender();
        let mut hits = 0;
        let mut misses = Vec::new();
        let rows: Vec<&str> = include_str!("../../tests/data/mentor/profiles.tsv").lines().skip(1).collect();
        for line in &rows {
            let cells: Vec<&str> = line.split('\t').collect();
            let experience = Experience::parse(cells[1]).expect("an experience level");
            let skills: Vec<&str> = cells[2].split(',').map(str::trim).filter(|s| !s.is_empty()).collect();
            let p = profile(r, cells[0], experience, &skills);
            let meaning = by_meaning.then(|| model().embed(std::slice::from_ref(&p.interest)).remove(0));
            let top: Vec<&Occupation> =
                r.recommend(&p, meaning.as_deref()).iter().take(3).map(|x| r.onet.occupation(x.occupation)).collect();
            if cells[3].split(',').any(|code| top.iter().any(|o| &*o.code == code)) {
                hits += 1;
            } else {
                let titles: Vec<&str> = top.iter().map(|o| &*o.title).collect();
                misses.push(format!("{:?} → {titles:?}", cells[0]));
            }
        }
        (hits as f32 / rows.len() as f32, misses)
    }

    #[test]
    fn the_right_role_is_in_the_top_three_for_nine_profiles_in_ten() {
        let (words, _) = top_three_share(false);
        let (share, misses) = top_three_share(true);
        println!("top 3: {:.1} % by words alone, {:.1} % with meaning", words * 100.0, share * 100.0);
        assert!(share >= 0.9, "{:.1} % in the top 3; missed:\n{}", share * 100.0, misses.join("\n"));
    }
}
