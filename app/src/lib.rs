#![recursion_limit = "256"]
//! Everything the browser and the server share: pages, components, server
//! functions and the DTOs they exchange. Under `ssr` this crate also declares
//! the service traits the `server` crate implements; it never compiles a
//! database or LLM client.

pub mod accounts;
pub mod audit;
pub mod billing;
pub mod bundle;
pub mod business_hours;
pub mod canned_replies;
pub mod chat;
pub mod components;
pub mod dates;
pub mod desk;
pub mod email_followup;
pub mod error;
pub mod focus;
pub mod keys;
pub mod knowledge;
pub mod layout;
pub mod mentor;
pub mod mentor_chat;
pub mod mentor_ops;
pub mod mentor_resume;
pub mod pages;
pub mod permissions;
pub mod plans;
pub mod reply_drafts;
pub mod routing;
pub mod sales;
#[cfg(feature = "ssr")]
pub mod services;
pub mod sla;
pub mod team;
pub mod theme;
pub mod ticket_categories;
pub mod ticket_notes;
pub mod tickets;
pub mod validate;
pub mod visitor_identity;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, Title};
#[cfg(feature = "ssr")]
use leptos_meta::{HashedStylesheet, MetaTags};
use leptos_router::{
    components::{ParentRoute, Route, Router, Routes},
    path, SsrMode,
};

use crate::layout::{Layout, PublicLayout};
use crate::pages::auth::{ForgotPage, LogInPage, ResetPage, SignUpPage, VerifyPage};
use crate::pages::dashboard::account::AccountPage;
use crate::pages::dashboard::billing::BillingPage;
use crate::pages::dashboard::conversations::{ConversationsPage, TranscriptPage};
use crate::pages::dashboard::inbox::InboxPage;
use crate::pages::dashboard::keys::KeysPage;
use crate::pages::dashboard::knowledge::{KnowledgePage, KnowledgeSourcePage};
use crate::pages::dashboard::mentions::MentionsPage;
use crate::pages::dashboard::new_workspace::NewWorkspacePage;
use crate::pages::dashboard::placeholders::AnalyticsPage;
use crate::pages::dashboard::settings::SettingsPage;
use crate::pages::dashboard::team::TeamPage;
use crate::pages::dashboard::tickets::TicketsPage;
use crate::pages::dashboard::widget::WidgetPage;
use crate::pages::dashboard::{AppHome, DashboardLayout, WorkspaceLayout};
use crate::pages::mentor::{MentorChatPage, MentorOpsPage, MentorPage};
use crate::pages::{invite::InvitePage, landing::LandingPage, not_found::NotFoundPage, pricing::PricingPage};

/// The HTML document around the app: rendered on the server only, with the
/// app and the bundle that the address calls for.
#[cfg(feature = "ssr")]
pub fn shell(options: LeptosOptions) -> impl IntoView {
    use bundle::PageCode;
    let theme = theme::requested_theme();
    let path = use_context::<http::request::Parts>().map(|parts| parts.uri.path().to_owned()).unwrap_or_default();
    let bundles = use_context::<bundle::Bundles>().expect("the server provides the bundles");
    let code = bundles.for_path(&path);
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
                {match code {
                    PageCode::Public(files) | PageCode::Dashboard(files) => {
                        view! { <bundle::BundleScripts files=files.clone() /> }.into_any()
                    }
                    PageCode::Static => {
                        view! { <script type="module" nonce=use_nonce()>{bundle::STATIC_PAGE_SCRIPT}</script> }.into_any()
                    }
                }}
                <MetaTags />
            </head>
            <body>
                {match code {
                    PageCode::Static | PageCode::Public(_) => view! { <PublicApp /> }.into_any(),
                    PageCode::Dashboard(_) => view! { <App /> }.into_any(),
                }}
            </body>
        </html>
    }
}

/// Every page: the bundle dashboard pages load (`frontend`).
#[component]
pub fn App() -> impl IntoView {
    view! {
        <Frame>
            <Routes fallback=|| view! { <Layout><NotFoundPage /></Layout> }>
                <PublicRoutes />
                // The dashboard has its own frame and gates on the viewer:
                // rendered whole on the server, so logging out is a real redirect.
                <ParentRoute path=path!("app") view=DashboardLayout ssr=SsrMode::Async>
                    <Route path=path!("") view=AppHome />
                    <Route path=path!("account") view=AccountPage />
                    <Route path=path!("new-workspace") view=NewWorkspacePage />
                    <ParentRoute path=path!("w/:workspace_id") view=WorkspaceLayout>
                        <Route path=path!("") view=InboxPage />
                        <Route path=path!("tickets") view=TicketsPage />
                        <Route path=path!("mentions") view=MentionsPage />
                        <Route path=path!("conversations") view=ConversationsPage />
                        <Route path=path!("conversations/:conversation_id") view=TranscriptPage />
                        <Route path=path!("knowledge") view=KnowledgePage />
                        <Route path=path!("knowledge/:source_id") view=KnowledgeSourcePage />
                        <Route path=path!("widget") view=WidgetPage />
                        <Route path=path!("analytics") view=AnalyticsPage />
                        <Route path=path!("team") view=TeamPage />
                        <Route path=path!("keys") view=KeysPage />
                        <Route path=path!("billing") view=BillingPage />
                        <Route path=path!("settings") view=SettingsPage />
                    </ParentRoute>
                </ParentRoute>
            </Routes>
        </Frame>
    }
}

/// The public pages alone: the bundle they load (`frontend-public`), which
/// carries none of the dashboard's code. The server renders this tree for
/// every address [`bundle::Bundle::for_path`] calls public, so what hydrates
/// is exactly what was rendered.
#[component]
pub fn PublicApp() -> impl IntoView {
    view! {
        <Frame>
            <Routes fallback=|| view! { <Layout><NotFoundPage /></Layout> }>
                <PublicRoutes />
                // Reached by a link, a redirect or `navigate` from a public
                // page: loaded whole, with the dashboard's bundle.
                <Route path=path!("app") view=bundle::FullLoad />
                <Route path=path!("app/*rest") view=bundle::FullLoad />
            </Routes>
        </Frame>
    }
}

/// The title and router both apps share.
#[component]
fn Frame(children: Children) -> impl IntoView {
    provide_meta_context();
    view! {
        <Title formatter=|page: String| {
            if page.is_empty() { "Lodestar".to_string() } else { format!("{page} · Lodestar") }
        } />
        <Router>{children()}</Router>
    }
}

/// Public pages share the marketing header and footer.
#[component(transparent)]
fn PublicRoutes() -> impl leptos_router::MatchNestedRoutes + Clone {
    view! {
        <ParentRoute path=path!("") view=PublicLayout>
            <Route path=path!("") view=LandingPage />
            <Route path=path!("pricing") view=PricingPage />
            <Route path=path!("signup") view=SignUpPage />
            <Route path=path!("login") view=LogInPage />
            <Route path=path!("verify") view=VerifyPage />
            <Route path=path!("forgot") view=ForgotPage />
            <Route path=path!("reset") view=ResetPage />
            <Route path=path!("invite/:token") view=InvitePage ssr=SsrMode::Async />
            // Async: a signed-in person's bare `/mentor` redirects to their saved profile with a 302.
            <Route path=path!("mentor") view=MentorPage ssr=SsrMode::Async />
            <Route path=path!("mentor/chat") view=MentorChatPage />
            <Route path=path!("ops/mentor") view=MentorOpsPage />
        </ParentRoute>
    }
    .into_inner()
}
