//! What a page says while it waits, when something failed, when there is
//! nothing yet, and when a role may not do something.

use leptos::prelude::*;

use crate::error::ServiceError;
use crate::permissions::Role;

/// A polite "still loading" for Suspense and Transition fallbacks.
#[component]
pub fn Loading(#[prop(default = "Loading…")] label: &'static str) -> impl IntoView {
    view! {
        <div class="loading" role="status">
            <span class="spinner" aria-hidden="true"></span>
            <span>{label}</span>
        </div>
    }
}

/// A failure, in words a person can act on.
#[component]
pub fn ErrorPanel(error: ServiceError) -> impl IntoView {
    let (title, hint) = match &error {
        ServiceError::NotFound => {
            ("We couldn't find that", "It may have been removed, or you may no longer have access to it.")
        }
        ServiceError::Unauthenticated => ("You're logged out", "Log in again to continue."),
        ServiceError::Forbidden => ("Not available for your role", "Ask an owner or admin of this workspace."),
        ServiceError::RateLimited { .. } => ("Slow down a little", "Wait a moment, then reload the page."),
        _ => ("Something went wrong", "Reload the page to try again. If it keeps happening, contact us."),
    };
    let login = matches!(error, ServiceError::Unauthenticated);
    view! {
        <div class="notice notice-danger" role="alert">
            <h2 class="notice-title">{title}</h2>
            <p>{error.to_string()}</p>
            <p class="muted small">{hint}</p>
            {login.then(|| view! { <a class="button button-small" href="/login">"Log in"</a> })}
        </div>
    }
}

/// An honest "nothing here yet": what will appear, and what to do next.
#[component]
pub fn EmptyState(
    title: &'static str,
    #[prop(optional)] icon: Icon,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    view! {
        <div class="empty-state">
            <span class="empty-icon" aria-hidden="true"><IconSvg icon /></span>
            <h2>{title}</h2>
            {children.map(|children| children())}
        </div>
    }
}

/// Shown instead of a page or section a role may not use. The server
/// refuses the action anyway; this says why, and who can help.
#[component]
pub fn NotAllowed(role: Role, what: &'static str) -> impl IntoView {
    view! {
        <div class="notice notice-warning" role="note">
            <h2 class="notice-title">"Not available for your role"</h2>
            <p>{format!("Your role ({}) can't {what}. Ask an owner or admin.", role.label())}</p>
        </div>
    }
}

/// A disclosure that asks "are you sure?" before a form inside it can be
/// sent. Works without JavaScript, and Escape closes it.
#[component]
pub fn Confirm(
    /// What the opening button says.
    #[prop(into)]
    label: String,
    /// The accessible name of the opening button, when `label` alone is ambiguous.
    #[prop(optional, into)]
    aria_label: Option<String>,
    #[prop(optional)] danger: bool,
    children: Children,
) -> impl IntoView {
    let node = NodeRef::<leptos::html::Details>::new();
    view! {
        <details class="confirm" node_ref=node on:keydown=move |ev| close_on_escape(node, &ev)>
            <summary class="button button-small" class:button-danger=danger aria-label=aria_label>{label}</summary>
            <div class="confirm-panel">{children()}</div>
        </details>
    }
}

/// A small dropdown (workspace switcher, user menu) built on `<details>`:
/// keyboard and no-JS friendly; closes on Escape and after navigating.
#[component]
pub fn Menu(
    /// The class of the menu, for placement.
    class: &'static str,
    /// What the opening button shows.
    summary: AnyView,
    children: Children,
) -> impl IntoView {
    let node = NodeRef::<leptos::html::Details>::new();
    let location = leptos_router::hooks::use_location();
    Effect::new(move |_| {
        location.pathname.track();
        if let Some(details) = node.get_untracked() {
            let _ = details.remove_attribute("open");
        }
    });
    view! {
        <details class=format!("menu {class}") node_ref=node on:keydown=move |ev| close_on_escape(node, &ev)>
            <summary class="menu-button">{summary}</summary>
            <div class="menu-panel">{children()}</div>
        </details>
    }
}

fn close_on_escape(node: NodeRef<leptos::html::Details>, ev: &leptos::ev::KeyboardEvent) {
    if ev.key() != "Escape" {
        return;
    }
    if let Some(details) = node.get_untracked() {
        if details.has_attribute("open") {
            ev.prevent_default();
            let _ = details.remove_attribute("open");
            if let Some(summary) = details.query_selector("summary").ok().flatten() {
                focus(&summary);
            }
        }
    }
}

#[cfg(feature = "hydrate")]
fn focus(element: &web_sys::Element) {
    use leptos::wasm_bindgen::JsCast;
    if let Some(element) = element.dyn_ref::<web_sys::HtmlElement>() {
        let _ = element.focus();
    }
}

#[cfg(not(feature = "hydrate"))]
fn focus<T>(_: &T) {}

/// The icons the dashboard uses, drawn as simple strokes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Icon {
    #[default]
    Inbox,
    Conversations,
    Tickets,
    Knowledge,
    Widget,
    Analytics,
    Team,
    Keys,
    Billing,
    Settings,
    Compass,
    Menu,
    Upload,
    Mention,
}

impl Icon {
    fn path(self) -> &'static str {
        match self {
            Icon::Inbox => "M3 13h5l2 3h4l2-3h5M5 5h14l2 8v6H3v-6z",
            Icon::Conversations => "M3 4h12v9H8l-4 3v-3H3zM15 8h6v9h-1v3l-3-3h-6v-3",
            Icon::Tickets => "M4 7h16v3a2 2 0 0 0 0 4v3H4v-3a2 2 0 0 0 0-4zM14 7v10",
            Icon::Knowledge => "M4 5a2 2 0 0 1 2-2h12v16H6a2 2 0 0 0-2 2zM4 19V5M8 7h6",
            Icon::Widget => "M4 5h16v11H9l-5 4zM8 10h8",
            Icon::Analytics => "M4 20V10M10 20V4M16 20v-7M22 20H2",
            Icon::Team => "M9 11a4 4 0 1 0 0-8 4 4 0 0 0 0 8zM2 21a7 7 0 0 1 14 0M17 11a3 3 0 1 0 0-6M22 21a6 6 0 0 0-4-5.6",
            Icon::Keys => "M15 7a4 4 0 1 1-3.9 4.9L4 19v2h3v-2h2v-2h2l1.1-1.1A4 4 0 0 1 15 7zM16 9h.01",
            Icon::Billing => "M3 6h18v12H3zM3 10h18M7 15h4",
            Icon::Settings => "M12 15a3 3 0 1 0 0-6 3 3 0 0 0 0 6zM19 12l2-1-1-3-2 .3-1.3-1.3L17 5l-3-1-1 2h-2l-1-2-3 1 .3 2L6 8.3 4 8l-1 3 2 1v0l-2 1 1 3 2-.3 1.3 1.3L7 19l3 1 1-2h2l1 2 3-1-.3-2 1.3-1.3 2 .3 1-3z",
            Icon::Mention => "M12 16a4 4 0 1 0 0-8 4 4 0 0 0 0 8zM16 8v5a3 3 0 0 0 6 0v-1a10 10 0 1 0-3.9 7.9",
            Icon::Compass => "M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18zM15.5 8.5l-2 5-5 2 2-5z",
            Icon::Menu => "M4 6h16M4 12h16M4 18h16",
            Icon::Upload => "M12 15V4M7 9l5-5 5 5M4 15v4a1 1 0 0 0 1 1h14a1 1 0 0 0 1-1v-4",
        }
    }
}

#[component]
pub fn IconSvg(icon: Icon) -> impl IntoView {
    view! {
        <svg class="icon" viewBox="0 0 24 24" width="20" height="20" aria-hidden="true">
            <path d=icon.path() />
        </svg>
    }
}
