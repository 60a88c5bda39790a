//! Which browser code a page loads. The landing page loads none: it is
//! static but for its theme toggle and skip link, which `static_page.js`
//! (under 1 KB) wires up. The other public pages (`/pricing`, sign-up,
//! log-in, the career mentor…) hydrate with `frontend-public`, built from
//! [`crate::PublicApp`] and so without a line of the dashboard; `/app`
//! hydrates with `frontend`, built from [`crate::App`]. Why this split rather than lazy
//! routes or islands is in `ARCHITECTURE.md`.

use leptos::prelude::*;

/// Which code an address calls for, whatever was built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bundle {
    /// No WASM: [`STATIC_PAGE_SCRIPT`] only.
    Static,
    Public,
    Dashboard,
}

/// All the script a [`Bundle::Static`] page runs.
pub const STATIC_PAGE_SCRIPT: &str = include_str!("static_page.js");

impl Bundle {
    /// Dashboard addresses are `/app` and everything below it; the landing
    /// page is static.
    pub fn for_path(path: &str) -> Self {
        let under = |root: &str| path.strip_prefix(root).is_some_and(|rest| rest.is_empty() || rest.starts_with('/'));
        if path == "/" {
            Bundle::Static
        } else if under("/app") {
            Bundle::Dashboard
        } else {
            Bundle::Public
        }
    }
}

/// What one page loads: its [`Bundle`], with the files it was built into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageCode<'a> {
    Static,
    Public(&'a BundleFiles),
    Dashboard(&'a BundleFiles),
}

/// Where one bundle's script and WASM are served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleFiles {
    pub js: String,
    pub wasm: String,
}

/// Both bundles, as the server found them at start-up. Without a public
/// bundle (a plain `cargo leptos watch`), every page loads the dashboard's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bundles {
    pub public: Option<BundleFiles>,
    pub dashboard: BundleFiles,
}

impl Bundles {
    /// What the page at `path` loads.
    pub fn for_path(&self, path: &str) -> PageCode<'_> {
        match (Bundle::for_path(path), &self.public) {
            (Bundle::Static, Some(_)) => PageCode::Static,
            (Bundle::Public, Some(public)) => PageCode::Public(public),
            _ => PageCode::Dashboard(&self.dashboard),
        }
    }
}

/// What a page whose bundle failed to load says, beside a "Try again" button.
const FAILED: &str = "This page didn't finish loading, so some buttons may not work. ";

/// Loads and starts a bundle. When its script or WASM cannot be fetched
/// (offline, a deploy that replaced the files), the page stays readable and
/// says so, with a button that loads it again.
#[component]
pub fn BundleScripts(files: BundleFiles) -> impl IntoView {
    let nonce = use_nonce();
    let BundleFiles { js, wasm } = files;
    let start = format!(
        "import({js:?}).then(m => m.default({{module_or_path: {wasm:?}}}).then(() => m.hydrate())).catch(e => {{\
         console.error(e); const n = document.createElement('div'); n.className = 'load-failed'; n.setAttribute('role', 'alert');\
         n.textContent = {FAILED:?}; const b = document.createElement('button'); b.type = 'button';\
         b.className = 'button button-small'; b.textContent = 'Try again'; b.onclick = () => location.reload();\
         n.append(b); document.body.append(n); }});",
    );
    view! {
        <link rel="modulepreload" href=js.clone() />
        <link rel="preload" href=wasm r#as="fetch" r#type="application/wasm" crossorigin="" />
        <script type="module" nonce=nonce>
            {start}
        </script>
    }
}

/// A dashboard address reached by a link from a public page: the public
/// bundle has no dashboard code, so the browser loads the page whole, and
/// with it the dashboard's bundle. The page stops calling itself live first,
/// so nothing mistakes it for the page that replaces it.
#[component]
pub fn FullLoad() -> impl IntoView {
    Effect::new(move |_| {
        if let Some(root) = document().document_element() {
            let _ = root.remove_attribute("data-hydrated");
        }
        let _ = window().location().reload();
    });
    view! { <p class="full-load" aria-busy="true">"Loading…"</p> }
}

/// Loads `address` as a whole page: how a public page opens the dashboard,
/// which its bundle cannot show.
pub fn load_page(address: &str) {
    let _ = window().location().assign(address);
}

/// Starts a bundle: hydrates the server-rendered page with `app` (the
/// tree the server rendered for this address), then marks the page live,
/// which styles and browser tests use to tell it from server HTML. A
/// public bundle first turns server functions' redirects into whole page
/// loads: it cannot show the dashboard they usually lead to (after logging
/// in, say), and a page load after a form is what a person expects anyway.
#[cfg(feature = "hydrate")]
pub fn start<V: IntoView + 'static>(app: impl FnOnce() -> V + 'static, bundle: Bundle) {
    console_error_panic_hook::set_once();
    if bundle == Bundle::Public {
        let _ = leptos::server_fn::redirect::set_redirect_hook(load_page);
    }
    leptos::mount::hydrate_body(app);
    if let Some(root) = document().document_element() {
        let _ = root.set_attribute("data-hydrated", "");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_dashboard_addresses_load_the_dashboard_bundle() {
        for path in ["/app", "/app/", "/app/w/ws_1/knowledge"] {
            assert_eq!(Bundle::for_path(path), Bundle::Dashboard, "{path}");
        }
        for path in ["/pricing", "/login", "/signup", "/invite/abc", "/mentor", "/mentor/chat", "/apps", "/nope"] {
            assert_eq!(Bundle::for_path(path), Bundle::Public, "{path}");
        }
        assert_eq!(Bundle::for_path("/"), Bundle::Static);
    }

    #[test]
    fn without_a_public_bundle_every_page_loads_the_dashboards() {
        let files = |name: &str| BundleFiles { js: format!("/{name}.js"), wasm: format!("/{name}.wasm") };
        let both = Bundles { public: Some(files("public")), dashboard: files("dashboard") };
        assert_eq!(both.for_path("/"), PageCode::Static);
        assert_eq!(both.for_path("/pricing"), PageCode::Public(&files("public")));
        assert_eq!(both.for_path("/app/account"), PageCode::Dashboard(&files("dashboard")));
        // `cargo leptos watch` builds the dashboard's alone, and the landing
        // page's script is not rebuilt with it: every page hydrates.
        let one = Bundles { public: None, dashboard: files("dashboard") };
        assert_eq!(one.for_path("/"), PageCode::Dashboard(&files("dashboard")));
        assert_eq!(one.for_path("/pricing"), PageCode::Dashboard(&files("dashboard")));
    }
}
