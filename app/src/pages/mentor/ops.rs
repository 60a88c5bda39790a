//! `/ops/mentor`: the mentor's insights for the people in
//! `OPERATOR_EMAILS`: people, questions per day (drawn), what people aim
//! at and lack, and who hits their limits. Anyone else gets "not found".

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::feedback::{ErrorPanel, Loading};
use crate::mentor_ops::{load_mentor_insights, Counted, DayCount, MentorInsights, CHART_DAYS};

#[component]
pub fn MentorOpsPage() -> impl IntoView {
    let insights = Resource::new(|| (), |()| load_mentor_insights());
    view! {
        <Title text="Mentor insights" />
        <section class="section ops">
            <div class="container">
                <h1 class="h2">"Career mentor: insights"</h1>
                <Suspense fallback=|| view! { <Loading label="Counting…" /> }>
                    {move || Suspend::new(async move {
                        match insights.await {
                            Ok(insights) => view! { <Insights insights /> }.into_any(),
                            Err(error) => view! { <ErrorPanel error /> }.into_any(),
                        }
                    })}
                </Suspense>
            </div>
        </section>
    }
}

#[component]
fn Insights(insights: MentorInsights) -> impl IntoView {
    let tiles = [
        ("Mentor accounts", insights.people.to_string()),
        ("With a career profile", insights.profiles.to_string()),
        ("Asked this month", insights.asking_this_month.to_string()),
        ("Questions this month", insights.questions_this_month.to_string()),
    ];
    let limits = format!(
        "{} refused at the monthly allowance, {} at the hourly limit, {} {} limited this month.",
        insights.month_limit_hits,
        insights.hour_limit_hits,
        insights.people_limited,
        if insights.people_limited == 1 { "person" } else { "people" }
    );
    view! {
        <div class="meters">
            {tiles.into_iter().map(|(label, value)| view! {
                <div class="meter-tile">
                    <span class="meter-label">{label}</span>
                    <span class="meter-value">{value}</span>
                </div>
            }).collect_view()}
        </div>
        <QuestionsChart days=insights.per_day />
        <h2 class="h3">"Quota hits"</h2>
        <p>{limits}</p>
        <div class="ops-lists">
            <Ranked title="Words in people's interests" items=insights.interests />
            <Ranked title="Roles recommended first" items=insights.target_roles />
            <Ranked title="Skills to learn first" items=insights.gaps />
        </div>
        <p class="small muted">
            {format!(
                "Roles and skills read from the {} most recent profiles, matched as the mentor's page matches them. Counts only: nobody's questions or answers are shown here.",
                insights.profiles_read
            )}
        </p>
    }
}

/// Questions per day as bars, placed in percentages (no inline styles under
/// the CSP), with the busiest day's count as the scale.
#[component]
fn QuestionsChart(days: Vec<DayCount>) -> impl IntoView {
    let most = days.iter().map(|d| d.questions).max().unwrap_or(0).max(1);
    let width = 100.0 / CHART_DAYS as f32;
    let total: u32 = days.iter().map(|d| d.questions).sum();
    let first = days.first().map(|d| d.day.clone()).unwrap_or_default();
    let last = days.last().map(|d| d.day.clone()).unwrap_or_default();
    let bars = days
        .into_iter()
        .enumerate()
        .map(|(i, day)| {
            let height = 100.0 * day.questions as f32 / most as f32;
            view! {
                <rect class="ops-bar" x=format!("{:.2}%", i as f32 * width + width * 0.15) width=format!("{:.2}%", width * 0.7)
                    y=format!("{:.2}%", 100.0 - height) height=format!("{height:.2}%")>
                    <title>{format!("{}: {} questions", day.day, day.questions)}</title>
                </rect>
            }
        })
        .collect_view();
    view! {
        <figure class="ops-chart">
            <figcaption>
                <strong>"Questions per day"</strong>
                {format!(" · {total} in the last {CHART_DAYS} days, at most {most} in a day")}
            </figcaption>
            <svg width="100%" height="160" role="img" aria-label=format!("Questions per day from {first} to {last}")>
                {bars}
            </svg>
            <div class="ops-chart-axis small muted"><span>{first}</span><span>{last}</span></div>
        </figure>
    }
}

#[component]
fn Ranked(title: &'static str, items: Vec<Counted>) -> impl IntoView {
    let empty = items.is_empty();
    view! {
        <section class="ops-list">
            <h2 class="h4">{title}</h2>
            {if empty {
                view! { <p class="small muted">"Nothing yet."</p> }.into_any()
            } else {
                view! {
                    <ol>
                        {items.into_iter().map(|item| view! {
                            <li><span>{item.name}</span>" "<span class="muted">{item.count}</span></li>
                        }).collect_view()}
                    </ol>
                }.into_any()
            }}
        </section>
    }
}
