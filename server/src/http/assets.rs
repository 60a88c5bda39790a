//! The compiled site: the dashboard's hydration bundle and the CSS under
//! `/pkg`, the public pages' bundle under `/pkg-public`, the embeddable
//! widget at `/widget.js` and `/widget/*`.

use app::bundle::{BundleFiles, Bundles};

use axum::http::header::{ACCESS_CONTROL_ALLOW_ORIGIN, CACHE_CONTROL};
use axum::http::HeaderValue;
use axum::Router;
use tower::ServiceBuilder;
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::config::SiteConfig;
use crate::state::AppState;

/// Hashed file names change whenever their content does.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Unhashed files (development builds) must be revalidated.
const REVALIDATE: &str = "no-cache";
/// The widget loader's URL is fixed in customers' pages, so it cannot carry a
/// hash: a short lifetime lets fixes reach every site within minutes.
const WIDGET: &str = "public, max-age=300";
/// Where the public pages' bundle is served.
const PUBLIC_PKG: &str = "pkg-public";

pub fn router(site: &SiteConfig) -> Router<AppState> {
    let pkg = ServeDir::new(site.root.join(&site.pkg_dir)).precompressed_br().precompressed_gzip();
    let pkg_cache = if site.hashed_assets { IMMUTABLE } else { REVALIDATE };
    let public_pkg = ServeDir::new(site.public_root.join(&site.pkg_dir)).precompressed_br().precompressed_gzip();
    let widget_dir = &site.widget_dir;
    // Customers' pages load the widget from their own origins.
    let widget_headers = ServiceBuilder::new()
        .layer(SetResponseHeaderLayer::overriding(CACHE_CONTROL, HeaderValue::from_static(WIDGET)))
        .layer(SetResponseHeaderLayer::overriding(ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*")))
        .layer(SetResponseHeaderLayer::overriding(
            axum::http::HeaderName::from_static("cross-origin-resource-policy"),
            HeaderValue::from_static("cross-origin"),
        ));
    Router::new()
        .nest_service(
            &format!("/{}", site.pkg_dir),
            ServiceBuilder::new()
                .layer(SetResponseHeaderLayer::overriding(CACHE_CONTROL, HeaderValue::from_static(pkg_cache)))
                .service(pkg),
        )
        .nest_service(
            &format!("/{PUBLIC_PKG}"),
            ServiceBuilder::new()
                .layer(SetResponseHeaderLayer::overriding(CACHE_CONTROL, HeaderValue::from_static(pkg_cache)))
                .service(public_pkg),
        )
        .route_service(
            "/widget.js",
            widget_headers
                .clone()
                .service(ServeFile::new(widget_dir.join("widget.js")).precompressed_br().precompressed_gzip()),
        )
        .nest_service(
            "/widget",
            widget_headers.service(ServeDir::new(widget_dir).precompressed_br().precompressed_gzip()),
        )
}

/// Both hydration bundles' files, found once at start-up. The public bundle
/// is left out under `cargo leptos watch`, which rebuilds only the
/// dashboard's: every page then loads that one, which holds every page.
pub fn bundles(site: &SiteConfig, hash_file: &str) -> Bundles {
    let public = if site.reload_port.is_some() { None } else { public_bundle(site) };
    if public.is_none() {
        tracing::info!(dir = %site.public_root.display(), "no public bundle: every page loads the dashboard's");
    }
    Bundles { public, dashboard: dashboard_bundle(site, hash_file) }
}

/// The public bundle's script and WASM: cargo-leptos empties their directory
/// before each build, and should older ones linger, the newest pair wins.
fn public_bundle(site: &SiteConfig) -> Option<BundleFiles> {
    let mut newest: [Option<(std::time::SystemTime, String)>; 2] = [None, None];
    for entry in std::fs::read_dir(site.public_root.join(&site.pkg_dir)).ok()?.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let kind = if !name.starts_with(&site.output_name) {
            continue;
        } else if name.ends_with(".js") {
            0
        } else if name.ends_with(".wasm") {
            1
        } else {
            continue;
        };
        let modified = entry.metadata().and_then(|m| m.modified()).unwrap_or(std::time::UNIX_EPOCH);
        if newest[kind].as_ref().is_none_or(|(seen, _)| modified > *seen) {
            newest[kind] = Some((modified, format!("/{PUBLIC_PKG}/{name}")));
        }
    }
    let [js, wasm] = newest;
    Some(BundleFiles { js: js?.1, wasm: wasm?.1 })
}

/// The dashboard bundle's names, as cargo-leptos hashed them into the hash
/// file beside the server's binary.
fn dashboard_bundle(site: &SiteConfig, hash_file: &str) -> BundleFiles {
    let hashes = if site.hashed_assets {
        let path = std::env::current_exe().ok().and_then(|exe| Some(exe.parent()?.join(hash_file)));
        let text = path.as_ref().and_then(|path| std::fs::read_to_string(path).ok());
        if text.is_none() {
            tracing::error!(file = ?path, "asset hashing is on but the hash file is missing");
        }
        text.unwrap_or_default()
    } else {
        String::new()
    };
    let name = |kind: &str| {
        let hash = hashes.lines().find_map(|line| line.split_once(':').filter(|(k, _)| k.trim() == kind));
        match hash {
            Some((_, hash)) => format!("/{}/{}.{}.{kind}", site.pkg_dir, site.output_name, hash.trim()),
            None => format!("/{}/{}.{kind}", site.pkg_dir, site.output_name),
        }
    };
    BundleFiles { js: name("js"), wasm: name("wasm") }
}
