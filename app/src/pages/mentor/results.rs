//! The mentor's results: how the skills were read, the recommended roles as
//! tabs, and for the chosen role its readiness, reasons, data rows, gaps,
//! roadmap and neighbours.

use std::collections::BTreeMap;

use leptos::ev::KeyboardEvent;
use leptos::prelude::*;

use super::roadmap::RoadmapView;
use crate::mentor::{CareerResults, MatchMode, RoleMatch, SkillGap, SkillRead};

#[component]
pub fn Results(results: CareerResults) -> impl IntoView {
    let CareerResults { skills, roles, hours_per_week, mode } = results;
    if roles.is_empty() {
        return view! {
            <div class="notice">
                <p class="notice-title">"No roles matched yet"</p>
                <p>"Try describing the work in other words, or add the tools and skills you use."</p>
            </div>
        }
        .into_any();
    }
    let selected = RwSignal::new(0usize);
    let count = roles.len();
    let on_keydown = move |ev: KeyboardEvent| {
        let next = match ev.key().as_str() {
            "ArrowDown" | "ArrowRight" => (selected.get() + 1) % count,
            "ArrowUp" | "ArrowLeft" => (selected.get() + count - 1) % count,
            "Home" => 0,
            "End" => count - 1,
            _ => return,
        };
        ev.prevent_default();
        selected.set(next);
        crate::focus::focus_element(&format!("role-tab-{next}"));
    };
    let tabs = roles
        .iter()
        .enumerate()
        .map(|(i, role)| {
            view! {
                <button type="button" role="tab" class="role-tab" id=format!("role-tab-{i}")
                    aria-selected=move || (selected.get() == i).to_string()
                    aria-controls=format!("role-panel-{i}")
                    tabindex=move || if selected.get() == i { "0" } else { "-1" }
                    on:click=move |_| selected.set(i)>
                    <span class="role-tab-title">{role.title.clone()}</span>
                    <span class="role-tab-facts">
                        <span>{format!("{} % ready", role.readiness)}</span>
                        <span class="muted">{role.coverage_text()}</span>
                    </span>
                </button>
            }
        })
        .collect_view();
    let panels = roles
        .into_iter()
        .enumerate()
        .map(|(i, role)| {
            view! {
                <div role="tabpanel" class="role-panel" id=format!("role-panel-{i}") aria-labelledby=format!("role-tab-{i}")
                    hidden=move || selected.get() != i>
                    <RoleDetail role rank=i + 1 hours_per_week />
                </div>
            }
        })
        .collect_view();
    view! {
        <SkillsRead skills mode />
        <h2 class="results-heading">"Roles for you"</h2>
        <div class="role-layout">
            <div class="role-tabs no-print" role="tablist" aria-label="Recommended roles" aria-orientation="vertical" on:keydown=on_keydown>
                {tabs}
            </div>
            <div class="role-panels">{panels}</div>
        </div>
    }
    .into_any()
}

/// How each typed skill was understood: matched to a technology, or kept.
#[component]
fn SkillsRead(skills: Vec<SkillRead>, mode: MatchMode) -> impl IntoView {
    let kept = skills.iter().filter(|s| s.technology.is_none()).count();
    view! {
        <div class="skills-read no-print">
            <p class="muted small">
                {match mode {
                    MatchMode::WordsAndMeaning => "Your interest was matched by its words and its meaning (a language model that runs on our server, no AI provider).",
                    MatchMode::Words => "Your interest was matched by its words.",
                }}
            </p>
            {(!skills.is_empty()).then(|| view! {
                <ul class="chips" aria-label="Your skills as we read them">
                    {skills.into_iter().map(|s| match s.technology {
                        Some(technology) if technology.eq_ignore_ascii_case(&s.typed) => view! {
                            <li class="chip chip-matched">{technology}</li>
                        }.into_any(),
                        Some(technology) => view! {
                            <li class="chip chip-matched">{s.typed}<span class="chip-note">{format!(" → {technology}")}</span></li>
                        }.into_any(),
                        None => view! { <li class="chip chip-kept">{s.typed}</li> }.into_any(),
                    }).collect_view()}
                </ul>
            })}
            {(kept > 0).then(|| view! {
                <p class="muted small">
                    "Dashed skills aren't in O*NET's list of technologies: they're kept, but the scores below "
                    "count technologies only."
                </p>
            })}
        </div>
    }
}

#[component]
fn RoleDetail(role: RoleMatch, rank: usize, hours_per_week: u8) -> impl IntoView {
    let RoleMatch {
        soc,
        title,
        description,
        score,
        interest,
        matched_titles,
        key_skills,
        job_zone,
        experience_fit,
        readiness,
        confidence,
        confidence_reason,
        reasons,
        movers,
        gaps,
        roadmap,
        adjacent,
    } = role;
    let onet_url = format!("https://www.onetonline.org/link/summary/{soc}");
    view! {
        <article class="role" aria-labelledby=format!("role-title-{rank}")>
            <header class="role-head">
                <div>
                    <p class="eyebrow">{format!("Role {rank} · SOC {soc}")}</p>
                    <h3 class="role-title" id=format!("role-title-{rank}")>{title.clone()}</h3>
                    <p class="muted">{description}</p>
                </div>
                <button type="button" class="button button-small no-print" on:click=move |_| print_page()>"Print this plan"</button>
            </header>
            <div class="role-summary">
                <ReadinessRing readiness />
                <div>
                    <p class="role-confidence"><span class=format!("pill confidence-{confidence:?}").to_lowercase()>{confidence.label()}</span></p>
                    <p class="small muted">{confidence_reason}</p>
                    {(!movers.is_empty()).then(|| view! {
                        <h4>"What would raise it most"</h4>
                        <ul class="movers">{movers.into_iter().map(|m| view! { <li>{m}</li> }).collect_view()}</ul>
                    })}
                </div>
            </div>
            <section class="role-section" aria-label="Why this role">
                <h4>"Why this role"</h4>
                <ul class="reasons">{reasons.into_iter().map(|r| view! { <li>{r}</li> }).collect_view()}</ul>
                <details class="more role-data">
                    <summary>"The data behind it"</summary>
                    <dl class="facts">
                        <dt>"O*NET-SOC code"</dt>
                        <dd><a href=onet_url rel="noopener">{soc.clone()}</a></dd>
                        <dt>"Ranking score"</dt>
                        <dd>{format!("{score} of 100 (interest match {interest} %, experience fit {experience_fit} %)")}</dd>
                        {(!matched_titles.is_empty()).then(|| view! {
                            <dt>"Titles your words matched"</dt>
                            <dd>{matched_titles.join(", ")}</dd>
                        })}
                        {job_zone.map(|z| view! {
                            <dt>{z.name}</dt>
                            <dd>{z.experience}</dd>
                        })}
                    </dl>
                    {(!key_skills.is_empty()).then(|| view! {
                        <h5>"Key technologies"</h5>
                        <ul class="chips" aria-label="Key technologies">
                            {key_skills.into_iter().map(|k| view! {
                                <li class="chip" class:chip-matched=k.have>
                                    {k.have.then(|| view! { <span class="sr-only">"You have: "</span> })}
                                    {k.name}
                                    {k.hot.then(|| view! { <span class="pill pill-hot">"Hot"</span> })}
                                    {k.in_demand.then(|| view! { <span class="pill pill-demand">"In demand"</span> })}
                                </li>
                            }).collect_view()}
                        </ul>
                        <p class="small muted">"Hot: widely sought in job postings. In demand: frequently asked for in this role's postings."</p>
                    })}
                </details>
            </section>
            <Gaps gaps hours_per_week />
            <section class="role-section" aria-label="Roadmap">
                <h4>"Your roadmap"</h4>
                <RoadmapView roadmap role=title.clone() />
            </section>
            {(!adjacent.is_empty()).then(|| view! {
                <section class="role-section no-print" aria-label="Roles next door">
                    <h4>"Roles next door"</h4>
                    <p class="small muted">"Related occupations in O*NET, closest first: what your skills carry over, and what each asks beyond this role."</p>
                    <ul class="adjacent">
                        {adjacent.into_iter().map(|a| view! {
                            <li class="adjacent-role">
                                <div class="adjacent-head">
                                    <strong>{a.title}</strong>
                                    <span class="pill">{a.tier.label()}</span>
                                </div>
                                <p class="small muted">{format!("SOC {} · {} % ready", a.soc, a.readiness)}</p>
                                <p class="small">
                                    {if a.reuses.is_empty() { "Reuses none of your technologies yet.".to_string() } else { format!("Reuses: {}", a.reuses.join(", ")) }}
                                </p>
                                {(!a.adds.is_empty()).then(|| view! { <p class="small">{format!("Adds: {}", a.adds.join(", "))}</p> })}
                            </li>
                        }).collect_view()}
                    </ul>
                </section>
            })}
        </article>
    }
}

/// Readiness drawn as a ring: the arc is the score.
#[component]
fn ReadinessRing(readiness: u8) -> impl IntoView {
    const RADIUS: f32 = 42.0;
    let circumference = 2.0 * std::f32::consts::PI * RADIUS;
    let filled = circumference * f32::from(readiness) / 100.0;
    view! {
        <figure class="readiness" aria-label=format!("Readiness {readiness} out of 100")>
            <svg viewBox="0 0 100 100" width="112" height="112" aria-hidden="true">
                <circle class="readiness-track" cx="50" cy="50" r=RADIUS />
                <circle class="readiness-arc" cx="50" cy="50" r=RADIUS
                    stroke-dasharray=format!("{filled:.1} {circumference:.1}") transform="rotate(-90 50 50)" />
                <text class="readiness-value" x="50" y="50" text-anchor="middle" dominant-baseline="central">{readiness}</text>
            </svg>
            <figcaption>"Readiness"</figcaption>
        </figure>
    }
}

#[component]
fn Gaps(gaps: Vec<SkillGap>, hours_per_week: u8) -> impl IntoView {
    if gaps.is_empty() {
        return view! {
            <section class="role-section" aria-label="Skill gaps">
                <h4>"Skill gaps"</h4>
                <p>"You have every key technology this role lists. What's left is experience and showing it."</p>
            </section>
        }
        .into_any();
    }
    // Each category's assumption once, in the order the gaps use them.
    let mut assumptions: BTreeMap<String, (u32, String)> = BTreeMap::new();
    for gap in &gaps {
        assumptions.entry(gap.category.clone()).or_insert((gap.hours, gap.assumption.clone()));
    }
    view! {
        <section class="role-section" aria-label="Skill gaps">
            <h4>"Skill gaps, quick wins first"</h4>
            <div class="table-wrap">
                <table class="table gaps">
                    <thead>
                        <tr>
                            <th scope="col">"Skill"</th>
                            <th scope="col" class="gap-kind">"Kind"</th>
                            <th scope="col">{format!("Weeks at {hours_per_week} h")}</th>
                            <th scope="col">"Readiness"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {gaps.into_iter().map(|g| view! {
                            <tr>
                                <th scope="row">
                                    {g.name}
                                    {g.hot.then(|| view! { <span class="pill pill-hot">"Hot"</span> })}
                                    {g.in_demand.then(|| view! { <span class="pill pill-demand">"In demand"</span> })}
                                </th>
                                <td class="small gap-kind">{g.category}</td>
                                <td>{format!("about {}", crate::mentor::weeks_text(g.weeks))}</td>
                                <td>{format!("+{}", g.points)}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
            <details class="more">
                <summary>"How these estimates are made"</summary>
                <p class="small">
                    {format!("Weeks are hours of learning divided by your {hours_per_week} hours a week, rounded up to the half week. ")}
                    "The hours are typical figures per kind of skill, kept in one table anyone can read and change; they assume you practise as you learn."
                </p>
                <ul class="small">
                    {assumptions.into_iter().map(|(category, (hours, why))| view! {
                        <li><strong>{format!("{category}: {hours} hours. ")}</strong>{why}</li>
                    }).collect_view()}
                </ul>
            </details>
        </section>
    }
    .into_any()
}

fn print_page() {
    #[cfg(feature = "hydrate")]
    if let Some(window) = web_sys::window() {
        let _ = window.print();
    }
}
