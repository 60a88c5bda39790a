//! Light and dark themes. The choice lives in a `theme` cookie so the server
//! renders the right colours on the first paint; with no cookie the page
//! follows the system setting through CSS alone.

use leptos::prelude::*;

pub const COOKIE: &str = "theme";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Theme {
    Light,
    Dark,
}

impl Theme {
    pub fn as_str(self) -> &'static str {
        match self {
            Theme::Light => "light",
            Theme::Dark => "dark",
        }
    }

    pub fn parse(value: &str) -> Option<Theme> {
        match value {
            "light" => Some(Theme::Light),
            "dark" => Some(Theme::Dark),
            _ => None,
        }
    }

    /// The theme named in a `Cookie` header, if any.
    pub fn from_cookie_header(header: &str) -> Option<Theme> {
        header
            .split(';')
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(name, _)| *name == COOKIE)
            .and_then(|(_, value)| Theme::parse(value.trim()))
    }

    pub fn toggled(self) -> Theme {
        match self {
            Theme::Light => Theme::Dark,
            Theme::Dark => Theme::Light,
        }
    }
}

/// The theme this request asked for through its cookie (server side).
#[cfg(feature = "ssr")]
pub fn requested_theme() -> Option<Theme> {
    let parts = use_context::<http::request::Parts>()?;
    let header = parts.headers.get(http::header::COOKIE)?.to_str().ok()?;
    Theme::from_cookie_header(header)
}

#[cfg(not(feature = "ssr"))]
pub fn requested_theme() -> Option<Theme> {
    None
}

/// Switches between light and dark. Its markup never depends on the theme
/// (CSS picks the icon), so server and browser render it identically.
#[component]
pub fn ThemeToggle() -> impl IntoView {
    view! {
        <button
            type="button"
            class="icon-button theme-toggle"
            aria-label="Switch between light and dark theme"
            title="Switch theme"
            on:click=move |_| toggle_theme()
        >
            <svg class="icon-moon" viewBox="0 0 24 24" aria-hidden="true">
                <path d="M21 12.8A9 9 0 1 1 11.2 3a7 7 0 0 0 9.8 9.8z" />
            </svg>
            <svg class="icon-sun" viewBox="0 0 24 24" aria-hidden="true">
                <circle cx="12" cy="12" r="4.5" />
                <path d="M12 1.5v3M12 19.5v3M4.2 4.2l2.1 2.1M17.7 17.7l2.1 2.1M1.5 12h3M19.5 12h3M4.2 19.8l2.1-2.1M17.7 6.3l2.1-2.1" />
            </svg>
        </button>
    }
}

#[cfg(feature = "hydrate")]
fn toggle_theme() {
    use leptos::wasm_bindgen::JsCast;

    let Some(window) = web_sys::window() else { return };
    let Some(document) = window.document() else { return };
    let Some(root) = document.document_element() else { return };
    let current = root.get_attribute("data-theme").and_then(|value| Theme::parse(&value)).unwrap_or_else(|| {
        let prefers_dark =
            window.match_media("(prefers-color-scheme: dark)").ok().flatten().is_some_and(|query| query.matches());
        if prefers_dark {
            Theme::Dark
        } else {
            Theme::Light
        }
    });
    let next = current.toggled();
    let _ = root.set_attribute("data-theme", next.as_str());
    if let Ok(html) = document.dyn_into::<web_sys::HtmlDocument>() {
        let _ = html.set_cookie(&format!("{COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax", next.as_str()));
    }
}

#[cfg(not(feature = "hydrate"))]
fn toggle_theme() {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_theme_cookie_among_others() {
        assert_eq!(Theme::from_cookie_header("a=1; theme=dark; b=2"), Some(Theme::Dark));
        assert_eq!(Theme::from_cookie_header("theme=light"), Some(Theme::Light));
        assert_eq!(Theme::from_cookie_header("theme=purple"), None);
        assert_eq!(Theme::from_cookie_header("xtheme=dark"), None);
    }
}
