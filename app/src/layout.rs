//! The frame every public page shares: skip link, header with navigation,
//! main landmark and footer.

use leptos::prelude::*;
use leptos_router::components::{Outlet, A};

use crate::focus::focus_element;
use crate::theme::ThemeToggle;

/// A readable cookie ("1", no secret in it) that the server keeps beside the
/// HttpOnly session cookie, so public pages know, without asking the server,
/// to offer the dashboard instead of "Log in". It only chooses a link: the
/// dashboard itself checks the session.
pub const SIGNED_IN_COOKIE: &str = "lodestar_signed_in";

/// Whether this browser holds a session, by [`SIGNED_IN_COOKIE`]: from the
/// request on the server, from the document in the browser, so both render
/// the same header.
pub fn signed_in_hint() -> bool {
    #[cfg(feature = "ssr")]
    let cookies = use_context::<http::request::Parts>()
        .and_then(|parts| parts.headers.get(http::header::COOKIE)?.to_str().ok().map(str::to_owned));
    #[cfg(feature = "hydrate")]
    let cookies = {
        use leptos::wasm_bindgen::JsCast;
        web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.dyn_into::<web_sys::HtmlDocument>().ok())
            .and_then(|d| d.cookie().ok())
    };
    #[cfg(not(any(feature = "ssr", feature = "hydrate")))]
    let cookies: Option<String> = None;
    cookies.is_some_and(|header| has_signed_in_mark(&header))
}

fn has_signed_in_mark(cookie_header: &str) -> bool {
    cookie_header
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .any(|(k, v)| k == SIGNED_IN_COOKIE && v == "1")
}

#[component]
pub fn Layout(children: Children) -> impl IntoView {
    view! {
        <SkipLink />
        <SiteHeader />
        <main id="main" tabindex="-1">
            {children()}
        </main>
        <SiteFooter />
    }
}

/// The public pages' route layout: [`Layout`] around the matched page.
#[component]
pub fn PublicLayout() -> impl IntoView {
    view! {
        <Layout>
            <Outlet />
        </Layout>
    }
}

/// Jumps keyboard users past the navigation. The router would turn the
/// fragment link into a scroll without moving focus, so after hydration the
/// click moves focus itself; before hydration the browser does it natively.
#[component]
pub fn SkipLink() -> impl IntoView {
    let skip = move |ev: leptos::ev::MouseEvent| {
        if focus_element("main") {
            ev.prevent_default();
        }
    };
    view! {
        <a class="skip-link" href="#main" on:click=skip>
            "Skip to content"
        </a>
    }
}

#[component]
fn SiteHeader() -> impl IntoView {
    view! {
        <header class="site-header">
            <div class="container header-row">
                <A href="/" attr:class="brand" attr:aria-label="Lodestar home">
                    <Logo />
                    <span>"Lodestar"</span>
                </A>
                <nav aria-label="Main" class="main-nav">
                    <A href="/" exact=true>"Product"</A>
                    <A href="/pricing">"Pricing"</A>
                    <A href="/mentor">"Career mentor"</A>
                    <a href="/pricing#contact-sales">"Contact sales"</a>
                </nav>
                <div class="header-actions">
                    <ThemeToggle />
                    {if signed_in_hint() {
                        view! { <a class="button button-primary button-small" href="/app">"Open dashboard"</a> }.into_any()
                    } else {
                        view! {
                            <A href="/login" attr:class="header-login">"Log in"</A>
                            <a class="button button-primary button-small" href="/signup">"Start free"</a>
                        }
                        .into_any()
                    }}
                </div>
            </div>
        </header>
    }
}

#[component]
fn SiteFooter() -> impl IntoView {
    view! {
        <footer class="site-footer">
            <div class="container footer-row">
                <div>
                    <p class="brand footer-brand"><Logo />"Lodestar"</p>
                    <p class="muted">"AI chat that answers from your own knowledge. Private by design, works offline."</p>
                </div>
                <nav aria-label="Footer" class="footer-nav">
                    <a href="/">"Product"</a>
                    <a href="/pricing">"Pricing"</a>
                    <a href="/mentor">"Career mentor"</a>
                    <a href="/pricing#faq">"FAQ"</a>
                    <a href="/pricing#contact-sales">"Contact sales"</a>
                </nav>
            </div>
            <div class="container muted small">"© 2026 Lodestar. Written in Rust, end to end."</div>
        </footer>
    }
}

#[component]
pub fn Logo() -> impl IntoView {
    view! {
        <svg class="logo" viewBox="0 0 32 32" width="28" height="28" aria-hidden="true">
            <circle cx="16" cy="16" r="15" class="logo-ring" />
            <path d="M16 4 L19 13 L28 16 L19 19 L16 28 L13 19 L4 16 L13 13 Z" class="logo-star" />
        </svg>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_signed_in_mark_among_other_cookies() {
        assert!(has_signed_in_mark("theme=dark; lodestar_signed_in=1"));
        assert!(!has_signed_in_mark("lodestar_signed_in=; theme=dark"));
        assert!(!has_signed_in_mark("xlodestar_signed_in=1"));
    }
}
