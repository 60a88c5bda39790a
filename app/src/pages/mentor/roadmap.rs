//! The roadmap, drawn: one row per skill with its bar over the weeks, under
//! its phase, on a shared week scale. Bars are SVG rectangles placed in
//! percentages (the page's CSP allows no inline styles), so the chart
//! stretches to any width and prints as drawn. Each row also says its weeks
//! in words for screen readers and for print.

use leptos::prelude::*;

use crate::mentor::{weeks_text, PhaseKind, Roadmap};

#[component]
pub fn RoadmapView(roadmap: Roadmap, role: String) -> impl IntoView {
    let Roadmap { phases, total_weeks, hours_per_week, later } = roadmap;
    let total = total_weeks.max(1.0);
    let at = move |week: f32| format!("{:.2}%", 100.0 * week / total);
    let ticks = ticks(total);
    view! {
        <figure class="roadmap">
            <figcaption>
                {format!("To {role}: about {} weeks at {hours_per_week} hours a week.", weeks_text(total_weeks))}
            </figcaption>
            <div class="roadmap-scale" aria-hidden="true">
                <span class="roadmap-label"></span>
                <svg class="roadmap-axis" width="100%" height="20">
                    {ticks.into_iter().map(|week| view! {
                        <g>
                            <line x1=at(week) x2=at(week) y1="14" y2="20" />
                            <text x=at(week) y="11" text-anchor=anchor(week, total)>
                                {format!("wk {}", weeks_text(week))}
                            </text>
                        </g>
                    }).collect_view()}
                </svg>
                <span class="roadmap-weeks"></span>
            </div>
            <ol class="roadmap-phases">
                {phases.into_iter().map(|phase| {
                    let kind = match phase.kind {
                        PhaseKind::QuickWins => "quick",
                        PhaseKind::CoreSkills => "core",
                        PhaseKind::Showcase => "showcase",
                    };
                    let rows: Vec<(String, f32, f32)> = if phase.steps.is_empty() {
                        vec![("Build a project that shows these skills, and apply".to_string(), phase.start_week, phase.end_week)]
                    } else {
                        phase.steps.into_iter().map(|s| (s.name, s.start_week, s.end_week)).collect()
                    };
                    view! {
                        <li class=format!("roadmap-phase roadmap-{kind}")>
                            <p class="roadmap-phase-head">
                                <strong>{phase.kind.label()}</strong>
                                <span class="muted small">{format!(" weeks {}–{}", weeks_text(phase.start_week), weeks_text(phase.end_week))}</span>
                            </p>
                            <ol class="roadmap-steps">
                                {rows.into_iter().map(|(name, start, end)| view! {
                                    <li class="roadmap-step">
                                        <span class="roadmap-label">{name}</span>
                                        <svg class="roadmap-track" width="100%" height="18" aria-hidden="true">
                                            <rect class="roadmap-lane" x="0" y="0" width="100%" height="18" rx="4" />
                                            <rect class="roadmap-bar" x=at(start) y="0" width=at((end - start).max(0.25)) height="18" rx="4" />
                                        </svg>
                                        <span class="roadmap-weeks small muted">{format!("wk {}–{}", weeks_text(start), weeks_text(end))}</span>
                                    </li>
                                }).collect_view()}
                            </ol>
                        </li>
                    }
                }).collect_view()}
            </ol>
            {(!later.is_empty()).then(|| view! {
                <p class="small muted">{format!("Later, once these are in hand: {}.", later.join(", "))}</p>
            })}
        </figure>
    }
}

/// Ends of the scale are labelled inward, so their text stays inside it.
fn anchor(week: f32, total: f32) -> &'static str {
    if week == 0.0 {
        "start"
    } else if week >= total {
        "end"
    } else {
        "middle"
    }
}

/// Four or five round week numbers across the scale, its ends included.
fn ticks(total: f32) -> Vec<f32> {
    let step = [1.0, 2.0, 4.0, 5.0, 10.0, 20.0, 25.0, 50.0, 100.0, 200.0]
        .into_iter()
        .find(|step| total / step <= 5.0)
        .unwrap_or(total);
    let mut ticks: Vec<f32> = (0..).map(|i| i as f32 * step).take_while(|w| *w < total - step * 0.4).collect();
    ticks.push(total);
    ticks
}

#[cfg(test)]
mod tests {
    use super::ticks;

    #[test]
    fn ticks_are_round_and_end_at_the_total() {
        assert_eq!(ticks(33.5), [0.0, 10.0, 20.0, 33.5]);
        assert_eq!(ticks(4.0), [0.0, 1.0, 2.0, 3.0, 4.0]);
        assert_eq!(ticks(100.0), [0.0, 20.0, 40.0, 60.0, 80.0, 100.0]);
    }
}
