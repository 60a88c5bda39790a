//! Everything the browser and the server share: pages, components, server
//! functions and the DTOs they exchange. Under `ssr` this crate also declares
//! the service traits the `server` crate implements; it never compiles a
//! database or LLM client.

pub mod error;
pub mod focus;
pub mod layout;
pub mod pages;
pub mod plans;
pub mod sales;
#[cfg(feature = "ssr")]
pub mod services;
pub mod theme;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, MetaTags, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    StaticSegment,
};

use crate::layout::Layout;
use crate::pages::{landing::LandingPage, not_found::NotFoundPage, pricing::PricingPage};

/// The HTML document around the app: rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    let theme = theme::requested_theme();
    view! {
        <!DOCTYPE html>
        <html lang="en" data-theme=theme.map(theme::Theme::as_str)>
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <HashedStylesheet options=options.clone() id="leptos" />
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Title formatter=|page: String| {
            if page.is_empty() { "Lodestar".to_string() } else { format!("{page} · Lodestar") }
        } />
        <Router>
            <Layout>
                <Routes fallback=NotFoundPage>
                    <Route path=StaticSegment("") view=LandingPage />
                    <Route path=StaticSegment("pricing") view=PricingPage />
                </Routes>
            </Layout>
        </Router>
    }
}
