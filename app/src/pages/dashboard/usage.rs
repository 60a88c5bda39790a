//! The notice above every workspace page when the support bot's monthly
//! answers are nearly or wholly used: visitors then get the quota message
//! instead of answers, and the team should know before they hear it from
//! a customer.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_location;

use super::use_workspace_id;
use crate::chat::{load_bot_usage, BotUsage};
use crate::dates::long_date;

#[component]
pub fn QuotaNotice() -> impl IntoView {
    let workspace_id = use_workspace_id();
    let location = use_location();
    // Asked again on every page change, so the notice follows the period's answers.
    let usage = Resource::new(
        move || (workspace_id.get(), location.pathname.get()),
        |(workspace_id, _)| load_bot_usage(workspace_id),
    );
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move { usage.await.ok().and_then(notice) })}
        </Transition>
    }
}

fn notice(usage: BotUsage) -> Option<AnyView> {
    let quota = usage.quota?;
    if usage.used_up() {
        Some(
            view! {
                <div class="notice notice-danger notice-compact quota-notice" role="status">
                    <p class="notice-title">{format!("Your assistant has used its answers for {}", usage.period_name())}</p>
                    <p>
                        {format!(
                            "All {quota} answers in your plan for {} are used. Until {}, visitors are told the assistant \
                             can't answer and are asked to leave their question with “Talk to a human”, which still reaches your team.",
                            usage.period_name(),
                            long_date(usage.resets_at),
                        )}
                    </p>
                    <p><A href="/pricing">"Compare plans"</A>" for more answers each month."</p>
                </div>
            }
            .into_any(),
        )
    } else if usage.nearly_used_up() {
        Some(
            view! {
                <div class="notice notice-warning notice-compact quota-notice" role="status">
                    <p>
                        {format!(
                            "Your assistant has given {} of the {quota} answers in your plan for {}. ",
                            usage.answers,
                            usage.period_name(),
                        )}
                        <A href="/pricing">"Compare plans"</A>
                    </p>
                </div>
            }
            .into_any(),
        )
    } else {
        None
    }
}
