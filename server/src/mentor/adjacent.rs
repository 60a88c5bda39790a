//! Roles next to a target, from O*NET's Related Occupations, closest tier
//! first: for each, what the person's skills already carry over and what it
//! asks beyond the target, so "where else could this take me" has an
//! answer with the data behind it.

use super::onet::{OccupationId, TechnologyId, Tier};
use super::recommend::{technologies, Profile, Recommender};

#[derive(Debug, Clone)]
pub struct Adjacent {
    pub occupation: OccupationId,
    pub tier: Tier,
    /// Its key technologies the person already has.
    pub reuses: Vec<TechnologyId>,
    /// Its key technologies the target role does not list: what moving
    /// there would add.
    pub adds: Vec<TechnologyId>,
    pub readiness: u8,
}

/// Up to `limit` roles related to `target`, in O*NET's order.
pub fn adjacent(recommender: &Recommender, target: OccupationId, profile: &Profile, limit: usize) -> Vec<Adjacent> {
    let have = technologies(profile);
    let target_keys: Vec<TechnologyId> =
        recommender.assess(target, profile, &have).key_technologies.iter().map(|k| k.technology).collect();
    recommender
        .onet
        .occupation(target)
        .related
        .iter()
        .take(limit)
        .map(|related| {
            let assessed = recommender.assess(related.occupation, profile, &have);
            Adjacent {
                occupation: related.occupation,
                tier: related.tier,
                reuses: assessed.key_technologies.iter().filter(|k| k.have).map(|k| k.technology).collect(),
                adds: assessed
                    .key_technologies
                    .iter()
                    .filter(|k| !k.have && !target_keys.contains(&k.technology))
                    .map(|k| k.technology)
                    .collect(),
                readiness: assessed.readiness,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mentor::recommend::Experience;

    #[test]
    fn a_web_developers_neighbours_reuse_their_skills_and_say_what_they_add() {
        let r = Recommender::get().unwrap();
        let profile = Profile {
            interest: String::new(),
            experience: Experience::Junior,
            skills: ["html", "css", "javascript", "sql"].iter().map(|s| r.skills.normalise(s)).collect(),
            hours_per_week: 10,
        };
        let web = r.onet.find("15-1254.00").unwrap();
        let next = adjacent(r, web, &profile, 5);
        assert_eq!(next.len(), 5);
        assert!(next.windows(2).all(|p| p[0].tier <= p[1].tier), "closest tier first");
        assert_eq!(next[0].tier, Tier::PrimaryShort);
        assert!(next.iter().any(|a| !a.reuses.is_empty()), "something carries over");
        let target: Vec<TechnologyId> =
            r.assess(web, &profile, &technologies(&profile)).key_technologies.iter().map(|k| k.technology).collect();
        assert!(next.iter().flat_map(|a| &a.adds).all(|t| !target.contains(t)), "adds are new to the target");
        assert!(next.iter().all(|a| a.occupation != web));
    }
}
