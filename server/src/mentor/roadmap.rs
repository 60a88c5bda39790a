//! A roadmap to a role: the gaps laid out as phases over the weeks, at the
//! person's hours per week, ready to draw. Quick wins come first (skills of
//! four weeks or less, for early momentum and an early line on the CV),
//! then the core skills one after another, then a fixed stretch to build
//! something that shows them and to apply. Skills are learned one at a
//! time: a person with ten hours a week does not learn three things in
//! parallel, and the estimate should not pretend they do.

pub use app::mentor::PhaseKind;

use super::onet::TechnologyId;
use super::recommend::Gap;

/// Skills this quick are quick wins.
const QUICK_WIN_WEEKS: f32 = 4.0;
/// How many gaps a roadmap takes on; the rest are listed, not scheduled.
const MAX_SCHEDULED: usize = 8;
/// Building a project that uses the new skills, and applying.
const SHOWCASE_WEEKS: f32 = 4.0;

/// One skill on the roadmap, with the weeks it occupies.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub technology: TechnologyId,
    pub start_week: f32,
    pub end_week: f32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Phase {
    pub kind: PhaseKind,
    pub start_week: f32,
    pub end_week: f32,
    /// Empty for the showcase phase.
    pub steps: Vec<Step>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Roadmap {
    pub phases: Vec<Phase>,
    pub total_weeks: f32,
    /// Gaps left off so the plan stays doable; worth knowing, not scheduling.
    pub later: Vec<TechnologyId>,
}

/// The roadmap for `gaps`, which come quick wins first (as
/// [`super::recommend::Recommender::assess`] orders them).
pub fn plan(gaps: &[Gap]) -> Roadmap {
    let (scheduled, later) = gaps.split_at(gaps.len().min(MAX_SCHEDULED));
    let mut week = 0.0;
    let mut phases = Vec::new();
    for (kind, in_phase) in [
        (PhaseKind::QuickWins, scheduled.iter().filter(|g| g.weeks <= QUICK_WIN_WEEKS).collect::<Vec<_>>()),
        (PhaseKind::CoreSkills, scheduled.iter().filter(|g| g.weeks > QUICK_WIN_WEEKS).collect()),
    ] {
        if in_phase.is_empty() {
            continue;
        }
        let start_week = week;
        let steps = in_phase
            .into_iter()
            .map(|gap| {
                let step = Step { technology: gap.technology, start_week: week, end_week: week + gap.weeks };
                week += gap.weeks;
                step
            })
            .collect();
        phases.push(Phase { kind, start_week, end_week: week, steps });
    }
    phases.push(Phase {
        kind: PhaseKind::Showcase,
        start_week: week,
        end_week: week + SHOWCASE_WEEKS,
        steps: Vec::new(),
    });
    Roadmap { total_weeks: week + SHOWCASE_WEEKS, phases, later: later.iter().map(|g| g.technology).collect() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mentor::learning_hours::LearningHours;

    fn gap(id: u16, weeks: f32) -> Gap {
        Gap {
            technology: TechnologyId(id),
            in_demand: false,
            weeks,
            assumption: LearningHours { category: "*", hours: 0, why: "" },
            points: 5,
        }
    }

    #[test]
    fn quick_wins_then_core_skills_then_a_showcase_back_to_back() {
        let roadmap = plan(&[gap(1, 1.0), gap(2, 2.5), gap(3, 6.0), gap(4, 20.0)]);
        let kinds: Vec<PhaseKind> = roadmap.phases.iter().map(|p| p.kind).collect();
        assert_eq!(kinds, [PhaseKind::QuickWins, PhaseKind::CoreSkills, PhaseKind::Showcase]);
        assert_eq!((roadmap.phases[0].start_week, roadmap.phases[0].end_week), (0.0, 3.5));
        assert_eq!((roadmap.phases[1].start_week, roadmap.phases[1].end_week), (3.5, 29.5));
        assert_eq!(roadmap.phases[1].steps[1], Step { technology: TechnologyId(4), start_week: 9.5, end_week: 29.5 });
        assert_eq!(roadmap.total_weeks, 33.5);
        assert!(roadmap.later.is_empty());
    }

    #[test]
    fn nothing_to_learn_is_a_showcase_alone_and_too_much_is_cut() {
        let roadmap = plan(&[]);
        assert_eq!(roadmap.phases.len(), 1);
        assert_eq!(roadmap.total_weeks, SHOWCASE_WEEKS);
        let many: Vec<Gap> = (0..12).map(|i| gap(i, 1.0)).collect();
        let roadmap = plan(&many);
        assert_eq!(roadmap.phases[0].steps.len(), MAX_SCHEDULED);
        assert_eq!(roadmap.later, (8..12).map(TechnologyId).collect::<Vec<_>>());
    }
}
