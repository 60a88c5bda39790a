//! The compiled site: hydration bundle and CSS under `/pkg`, the embeddable
//! widget at `/widget.js` and `/widget/*`.

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

pub fn router(site: &SiteConfig) -> Router<AppState> {
    let pkg = ServeDir::new(site.root.join(&site.pkg_dir)).precompressed_br().precompressed_gzip();
    let pkg_cache = if site.hashed_assets { IMMUTABLE } else { REVALIDATE };
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
