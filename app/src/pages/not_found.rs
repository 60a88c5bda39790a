use leptos::prelude::*;
use leptos_meta::Title;

/// Shown for any path no route claims; answers with HTTP 404.
#[component]
pub fn NotFoundPage() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Page not found" />
        <section class="container narrow not-found">
            <p class="eyebrow">"404"</p>
            <h1>"We couldn't find that page"</h1>
            <p class="lead">"The link may be old, or the address may have a typo."</p>
            <div class="actions">
                <a class="button button-primary" href="/">"Go to the home page"</a>
                <a class="button" href="/pricing">"See pricing"</a>
            </div>
        </section>
    }
}
