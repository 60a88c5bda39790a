//! A quota or limit drawn as a `<meter>`, with its words beside it.

use leptos::prelude::*;

/// One quota as a `<meter>`: amber from 80 %, red when full.
#[component]
pub fn Meter(
    id: &'static str,
    label: &'static str,
    #[prop(into)] used: Signal<u64>,
    #[prop(into)] max: Signal<u64>,
    #[prop(into)] text: Signal<String>,
) -> impl IntoView {
    let label_id = format!("{id}-label");
    // `<meter>` takes floating-point numbers; quotas are far below 2^53.
    let max_value = move || max.get().max(1) as f64;
    let value = move || used.get().min(max.get()) as f64;
    let full = move || max.get() > 0 && used.get() >= max.get();
    view! {
        <div class="meter-tile" class:meter-full=full>
            <span class="meter-label" id=label_id.clone()>{label}</span>
            <span class="meter-value">{move || text.get()}</span>
            <meter
                id=id
                min="0"
                max=max_value
                low=move || max_value() * 0.8
                high=move || max_value() * 0.9999
                optimum="0"
                value=value
                aria-labelledby=label_id
                aria-valuetext=move || text.get()
            >
                {move || text.get()}
            </meter>
            {move || full().then(|| view! { <span class="meter-warning small">"Limit reached"</span> })}
        </div>
    }
}
