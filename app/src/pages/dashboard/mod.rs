//! The signed-in area: its own frame (top bar with the workspace switcher and
//! the user menu, and a sidebar inside a workspace), the viewer every page in
//! it shares, and the pages themselves.
//!
//! Pages only hide what a role cannot do; the server checks every call.

pub mod account;
pub mod billing;
pub mod business_hours;
pub mod canned_replies;
pub mod conversations;
pub mod email_followup;
pub mod first_steps;
pub mod inbox;
pub mod keys;
pub mod knowledge;
pub mod mentions;
pub mod new_workspace;
pub mod placeholders;
pub mod service_targets;
pub mod settings;
pub mod team;
pub mod ticket_categories;
pub mod ticket_routing;
pub mod tickets;
pub mod usage;
pub mod visitor_identity;
pub mod widget;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{Outlet, Redirect, A};
use leptos_router::hooks::{use_location, use_params_map};
use leptos_router::NavigateOptions;

use crate::accounts::{current_viewer, LogOut, Viewer, WorkspaceSummary};
use crate::components::feedback::{ErrorPanel, Icon, IconSvg, Loading, Menu};
use crate::components::format::initials;
use crate::components::url::login_url;
use crate::error::ServiceError;
use crate::layout::{Logo, SkipLink};
use crate::permissions::{Action, Role};
use crate::theme::ThemeToggle;

pub type ViewerResult = Result<Option<Viewer>, ServiceError>;

/// The logged-in person, fetched once per visit to the dashboard and shared
/// by its pages through context.
#[derive(Clone, Copy)]
pub struct Session {
    pub viewer: Resource<ViewerResult>,
}

impl Session {
    pub fn get() -> Session {
        expect_context::<Session>()
    }

    /// Adds (or refreshes) a workspace the viewer just created.
    pub fn add_workspace(self, workspace: WorkspaceSummary) {
        self.viewer.update(|value| {
            if let Some(Ok(Some(viewer))) = value {
                viewer.workspaces.retain(|w| w.id != workspace.id);
                viewer.workspaces.push(workspace);
            }
        });
    }

    /// Replaces the viewer with a fresher copy from the server.
    pub fn set_viewer(self, viewer: Viewer) {
        self.viewer.set(Some(Ok(Some(viewer))));
    }

    /// Asks the server again, e.g. after a role changed.
    pub fn refresh(self) {
        self.viewer.refetch();
    }
}

/// The frame of every signed-in page. A logged-out visitor is redirected to
/// the login page (a real 302: these routes render with `SsrMode::Async`).
#[component]
pub fn DashboardLayout() -> impl IntoView {
    let viewer = Resource::new(|| (), |_| current_viewer());
    provide_context(Session { viewer });
    let location = use_location();
    let here = move || {
        let (path, search) = (location.pathname.get_untracked(), location.search.get_untracked());
        if search.is_empty() {
            path
        } else {
            format!("{path}?{search}")
        }
    };
    view! {
        <SkipLink />
        <div class="dash">
            <header class="dash-topbar">
                <A href="/app" attr:class="brand" attr:aria-label="Lodestar dashboard">
                    <Logo />
                    <span class="brand-name">"Lodestar"</span>
                </A>
                <Transition fallback=|| view! { <div class="topbar-end"><ThemeToggle /></div> }>
                    {move || Suspend::new(async move {
                        match viewer.await {
                            Ok(Some(viewer)) => view! {
                                <WorkspaceSwitcher viewer=viewer.clone() />
                                <div class="topbar-end">
                                    <ThemeToggle />
                                    <UserMenu viewer />
                                </div>
                            }
                            .into_any(),
                            Ok(None) => view! { <Redirect path=login_url(&here()) options=replace() /> }.into_any(),
                            Err(_) => view! { <div class="topbar-end"><ThemeToggle /></div> }.into_any(),
                        }
                    })}
                </Transition>
            </header>
            <Outlet />
        </div>
    }
}

/// Redirects replace the history entry, so Back does not bounce.
fn replace() -> NavigateOptions {
    NavigateOptions { replace: true, ..Default::default() }
}

/// The main landmark of a dashboard page, target of the skip link.
#[component]
pub fn DashMain(children: Children) -> impl IntoView {
    view! {
        <main id="main" tabindex="-1" class="dash-main">
            {children()}
        </main>
    }
}

/// A page's title, for the tab and the heading.
#[component]
pub fn PageHeader(title: &'static str, #[prop(optional)] lead: Option<&'static str>) -> impl IntoView {
    view! {
        <Title text=title />
        <header class="page-header">
            <div>
                <h1>{title}</h1>
                {lead.map(|lead| view! { <p class="lead">{lead}</p> })}
            </div>
        </header>
    }
}

/// `/app`: straight on to the person's first workspace (or, without one,
/// creating one or their account). It asks the server afresh (the
/// shared viewer may predate leaving a workspace) and then refreshes the
/// shared copy too.
#[component]
pub fn AppHome() -> impl IntoView {
    let session = Session::get();
    let fresh = Resource::new(|| (), |_| current_viewer());
    Effect::new(move |_| {
        if let Some(Ok(Some(viewer))) = fresh.get() {
            session.set_viewer(viewer);
        }
    });
    view! {
        <Title text="Dashboard" />
        <DashMain>
            <Suspense fallback=|| view! { <Loading label="Opening your dashboard…" /> }>
                {move || Suspend::new(async move {
                    match fresh.await {
                        Ok(Some(viewer)) => view! { <Redirect path=viewer.dashboard_home() options=replace() /> }.into_any(),
                        Ok(None) => view! { <Redirect path=login_url("/app") options=replace() /> }.into_any(),
                        Err(error) => view! { <ErrorPanel error /> }.into_any(),
                    }
                })}
            </Suspense>
        </DashMain>
    }
}

/// The workspace id in a dashboard path (`/app/w/<id>/…`), if any.
fn workspace_in_path(path: &str) -> Option<&str> {
    path.strip_prefix("/app/w/").and_then(|rest| rest.split('/').next()).filter(|id| !id.is_empty())
}

#[component]
fn WorkspaceSwitcher(viewer: Viewer) -> impl IntoView {
    let location = use_location();
    let workspaces = viewer.workspaces.clone();
    let current = move || {
        let path = location.pathname.get();
        workspace_in_path(&path).and_then(|id| workspaces.iter().find(|w| w.id == id).cloned())
    };
    let summary = view! {
        <span class="switcher-label">
            <span class="sr-only">"Workspace: "</span>
            {move || match current() {
                Some(workspace) => view! {
                    <span class="switcher-name">{workspace.name}</span>
                    <span class="switcher-role">{workspace.role.label()}</span>
                }
                .into_any(),
                None => view! { <span class="switcher-name">"Workspaces"</span> }.into_any(),
            }}
        </span>
        <span class="chevron" aria-hidden="true"></span>
    }
    .into_any();
    view! {
        <Menu class="switcher" summary>
            <p class="menu-heading">"Your workspaces"</p>
            {if viewer.workspaces.is_empty() {
                view! { <p class="menu-note">"You're not in a workspace yet."</p> }.into_any()
            } else {
                view! {
                    <ul class="menu-list">
                        {viewer
                            .workspaces
                            .into_iter()
                            .map(|workspace| view! {
                                <li>
                                    <A href=format!("/app/w/{}", workspace.id) attr:class="menu-item">
                                        <span class="menu-item-title">{workspace.name}</span>
                                        <span class="menu-item-meta">{format!("{} · {} plan", workspace.role.label(), plan_label(&workspace.plan))}</span>
                                    </A>
                                </li>
                            })
                            .collect_view()}
                    </ul>
                }
                .into_any()
            }}
            <A href="/app/new-workspace" attr:class="menu-item menu-item-new">"+ New workspace"</A>
        </Menu>
    }
}

/// `free` → `Free`.
pub fn plan_label(plan: &str) -> String {
    let mut chars = plan.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => "Free".to_string(),
    }
}

#[component]
fn UserMenu(viewer: Viewer) -> impl IntoView {
    let log_out = ServerAction::<LogOut>::new();
    let summary = view! {
        <span class="avatar" aria-hidden="true">{initials(&viewer.name)}</span>
        <span class="user-name">{viewer.name.clone()}</span>
        <span class="chevron" aria-hidden="true"></span>
    }
    .into_any();
    view! {
        <Menu class="user-menu" summary>
            <div class="menu-identity">
                <strong>{viewer.name.clone()}</strong>
                <span class="muted small">{viewer.email.clone()}</span>
            </div>
            <A href="/app/account" attr:class="menu-item">"Account settings"</A>
            <A href="/mentor" attr:class="menu-item">"Career mentor"</A>
            <ActionForm action=log_out attr:class="menu-form">
                <button class="menu-item" type="submit" disabled=move || log_out.pending().get()>
                    {move || if log_out.pending().get() { "Logging out…" } else { "Log out" }}
                </button>
            </ActionForm>
        </Menu>
    }
}

/// The workspace id in the current route.
pub fn use_workspace_id() -> Memo<String> {
    let params = use_params_map();
    Memo::new(move |_| params.read().get("workspace_id").unwrap_or_default())
}

/// `/app/w/:workspace_id/…`: the sidebar and the page beside it.
#[component]
pub fn WorkspaceLayout() -> impl IntoView {
    let session = Session::get();
    let workspace_id = use_workspace_id();
    let nav_open = RwSignal::new(false);
    provide_context(mentions::MentionsChanged(RwSignal::new(0)));
    let location = use_location();
    Effect::new(move |_| {
        location.pathname.track();
        nav_open.set(false);
    });
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Escape" && nav_open.get_untracked() {
            nav_open.set(false);
            crate::focus::focus_element("workspace-nav-toggle");
        }
    };
    view! {
        <div class="workspace-frame">
            <button
                type="button"
                id="workspace-nav-toggle"
                class="nav-toggle"
                aria-controls="workspace-nav"
                aria-expanded=move || nav_open.get().to_string()
                on:click=move |_| nav_open.update(|open| *open = !*open)
            >
                <IconSvg icon=Icon::Menu />
                "Menu"
            </button>
            <nav id="workspace-nav" class="sidebar" class:open=move || nav_open.get() aria-label="Workspace" on:keydown=on_keydown>
                <Transition fallback=|| view! { <Loading /> }>
                    {move || {
                        let id = workspace_id.get();
                        Suspend::new(async move {
                            let workspace = session.viewer.await.ok().flatten().and_then(|v| v.workspace(&id).cloned());
                            workspace.map(|workspace| view! { <Sidebar workspace /> })
                        })
                    }}
                </Transition>
            </nav>
            <DashMain>
                <usage::QuotaNotice />
                <Outlet />
            </DashMain>
        </div>
    }
}

struct NavItem {
    label: &'static str,
    path: &'static str,
    icon: Icon,
    /// What the role must be allowed, for items some roles cannot use.
    needs: Option<Action>,
    /// Shows the viewer's unread mentions beside it.
    counts_mentions: bool,
}

const NAV: [(&str, &[NavItem]); 3] = [
    (
        "Support",
        &[
            NavItem { label: "Inbox", path: "", icon: Icon::Inbox, needs: None, counts_mentions: false },
            NavItem {
                label: "Conversations",
                path: "/conversations",
                icon: Icon::Conversations,
                needs: Some(Action::AnswerConversations),
                counts_mentions: false,
            },
            NavItem { label: "Tickets", path: "/tickets", icon: Icon::Tickets, needs: None, counts_mentions: false },
            NavItem {
                label: "Mentions",
                path: "/mentions",
                icon: Icon::Mention,
                needs: Some(Action::AnswerConversations),
                counts_mentions: true,
            },
        ],
    ),
    (
        "Assistant",
        &[
            NavItem {
                label: "Knowledge",
                path: "/knowledge",
                icon: Icon::Knowledge,
                needs: Some(Action::ManageKnowledge),
                counts_mentions: false,
            },
            NavItem {
                label: "Widget",
                path: "/widget",
                icon: Icon::Widget,
                needs: Some(Action::ConfigureWidget),
                counts_mentions: false,
            },
            NavItem {
                label: "Analytics",
                path: "/analytics",
                icon: Icon::Analytics,
                needs: None,
                counts_mentions: false,
            },
        ],
    ),
    (
        "Workspace",
        &[
            NavItem {
                label: "Team",
                path: "/team",
                icon: Icon::Team,
                needs: Some(Action::ManageTeam),
                counts_mentions: false,
            },
            NavItem {
                label: "API keys",
                path: "/keys",
                icon: Icon::Keys,
                needs: Some(Action::ManageApiKeys),
                counts_mentions: false,
            },
            NavItem { label: "Billing", path: "/billing", icon: Icon::Billing, needs: None, counts_mentions: false },
            NavItem { label: "Settings", path: "/settings", icon: Icon::Settings, needs: None, counts_mentions: false },
        ],
    ),
];

#[component]
fn Sidebar(workspace: WorkspaceSummary) -> impl IntoView {
    let role = workspace.role;
    let base = format!("/app/w/{}", workspace.id);
    let unread = unread_mentions(&workspace);
    view! {
        <div class="sidebar-workspace">
            <span class="sidebar-workspace-name">{workspace.name.clone()}</span>
            <span class="sidebar-workspace-meta">{format!("{} plan · {}", plan_label(&workspace.plan), role.label())}</span>
        </div>
        {NAV
            .iter()
            .map(|(heading, items)| {
                let links = items
                    .iter()
                    .filter(|item| item.needs.is_none_or(|action| role.allows(action)))
                    .map(|item| {
                        view! {
                            <li>
                                <A href=format!("{base}{}", item.path) exact=item.path.is_empty() attr:class="nav-link">
                                    <IconSvg icon=item.icon />
                                    <span>{item.label}</span>
                                    {item.counts_mentions.then_some(move || unread.get().filter(|n| *n > 0).map(|n| view! {
                                        <span class="nav-count" aria-label=format!("{n} unread")>{n}</span>
                                    }))}
                                </A>
                            </li>
                        }
                    })
                    .collect_view();
                view! {
                    <div class="nav-section">
                        <p class="nav-heading">{*heading}</p>
                        <ul class="nav-list">{links}</ul>
                    </div>
                }
            })
            .collect_view()}
    }
}

/// The viewer's unread mentions in the workspace, read again on every
/// page and whenever a page says they may have changed; `None` for roles
/// that do not work tickets.
fn unread_mentions(workspace: &WorkspaceSummary) -> Signal<Option<u32>> {
    if !workspace.role.allows(Action::AnswerConversations) {
        return Signal::derive(|| None);
    }
    let id = workspace.id.clone();
    let location = use_location();
    let changed = expect_context::<mentions::MentionsChanged>().0;
    // In the browser only: the count is news, not content, and a resource
    // made inside the sidebar's suspense would shift the page's own
    // resources between the server's render and hydration.
    let count = LocalResource::new(move || {
        location.pathname.track();
        changed.track();
        crate::ticket_notes::list_mentions(id.clone())
    });
    Signal::derive(move || count.get().and_then(Result::ok).map(|list| list.unread))
}

/// The viewer and the workspace a page is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Here {
    pub viewer: Viewer,
    pub workspace: WorkspaceSummary,
}

impl Here {
    pub fn role(&self) -> Role {
        self.workspace.role
    }

    pub fn can(&self, action: Action) -> bool {
        self.workspace.role.allows(action)
    }

    /// A path inside this workspace: `here.path("/keys")`.
    pub fn path(&self, rest: &str) -> String {
        format!("/app/w/{}{rest}", self.workspace.id)
    }
}

/// Renders a workspace page once the viewer is known, with clear states for
/// loading, a workspace the viewer is not in, and failures.
#[component]
pub fn InWorkspace<F, V>(render: F) -> impl IntoView
where
    F: Fn(Here) -> V + Clone + Send + Sync + 'static,
    V: IntoView + 'static,
{
    let session = Session::get();
    let workspace_id = use_workspace_id();
    view! {
        <Transition fallback=|| view! { <Loading /> }>
            {move || {
                let id = workspace_id.get();
                let render = render.clone();
                Suspend::new(async move {
                    match session.viewer.await {
                        Ok(Some(viewer)) => match viewer.workspace(&id).cloned() {
                            Some(workspace) => render(Here { viewer, workspace }).into_any(),
                            None => view! { <ErrorPanel error=ServiceError::NotFound /> }.into_any(),
                        },
                        Ok(None) => view! { <ErrorPanel error=ServiceError::Unauthenticated /> }.into_any(),
                        Err(error) => view! { <ErrorPanel error /> }.into_any(),
                    }
                })
            }}
        </Transition>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_workspace_in_a_path() {
        assert_eq!(workspace_in_path("/app/w/abc/team"), Some("abc"));
        assert_eq!(workspace_in_path("/app/w/abc"), Some("abc"));
        assert_eq!(workspace_in_path("/app/account"), None);
        assert_eq!(workspace_in_path("/app/w/"), None);
    }

    #[test]
    fn labels_plans() {
        assert_eq!(plan_label("pro"), "Pro");
        assert_eq!(plan_label(""), "Free");
    }
}
