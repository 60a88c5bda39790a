use axum::http::StatusCode;

use crate::support::{Db, TestApp};

fn write(root: &std::path::Path, path: &str, content: &str) {
    let file = root.join(path);
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(file, content).unwrap();
}

#[tokio::test]
async fn unhashed_assets_are_revalidated() {
    let app = TestApp::builder(Db::Sqlite).build().await;
    write(app.site_root(), "pkg/lodestar.js", "export default 1;");
    let response = app.get("/pkg/lodestar.js").await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.header("cache-control"), "no-cache");
    assert_eq!(response.body, "export default 1;");
}

#[tokio::test]
async fn hashed_assets_are_cached_for_a_year() {
    let app = TestApp::builder(Db::Sqlite).config(|c| c.site.hashed_assets = true).build().await;
    write(app.site_root(), "pkg/lodestar.0123abcd.wasm", "wasm");
    let response = app.get("/pkg/lodestar.0123abcd.wasm").await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.header("cache-control"), "public, max-age=31536000, immutable");
    assert_eq!(app.get("/pkg/missing.js").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_widget_can_be_loaded_from_any_site() {
    let app = TestApp::builder(Db::Sqlite).build().await;
    let widget_dir = app.state.config.site.widget_dir.clone();
    write(&widget_dir, "widget.js", "/* loader */");
    write(&widget_dir, "lodestar_widget.js", "/* module */");
    for path in ["/widget.js", "/widget/lodestar_widget.js"] {
        let response = app.get(path).await;
        assert_eq!(response.status, StatusCode::OK, "{path}");
        assert_eq!(response.header("access-control-allow-origin"), "*");
        assert_eq!(response.header("cache-control"), "public, max-age=300");
        assert!(response.header("content-type").contains("javascript"));
    }
}

#[tokio::test]
async fn paths_cannot_escape_the_site_root() {
    let app = TestApp::builder(Db::Sqlite).build().await;
    write(app.site_root(), "pkg/ok.js", "ok");
    std::fs::write(app.site_root().parent().unwrap().join("secret.txt"), "secret").unwrap();
    for path in ["/pkg/../secret.txt", "/pkg/%2e%2e/secret.txt", "/widget/..%2fsecret.txt"] {
        let response = app.get(path).await;
        assert!(!response.body.contains("secret"), "{path} leaked a file outside the site");
    }
}

/// A hashed public bundle, as `cargo leptos build --project lodestar-public` lays it out.
fn public_bundle(root: &std::path::Path) {
    write(root, "pkg/lodestar.pub123.js", "export default 1;");
    write(root, "pkg/lodestar.pub123.wasm", "wasm");
    write(root, "pkg/lodestar.pub123.wasm.br", "br");
    write(root, "pkg/lodestar.pub123.css", "ignored");
}

#[tokio::test]
async fn each_page_names_only_the_code_it_needs() {
    let public = tempfile::tempdir().unwrap();
    public_bundle(public.path());
    let root = public.path().to_path_buf();
    let app = TestApp::builder(Db::Sqlite).config(move |c| c.site.public_root = root).build().await;

    // The landing page loads no WASM at all: its one script is inlined.
    let landing = app.get("/").await;
    assert!(!landing.body.contains(".wasm"), "the landing page names no WASM");
    assert!(landing.body.contains("theme-toggle") && landing.body.contains("data-hydrated"));

    // The other public pages load the public bundle and none of the dashboard's.
    for path in ["/pricing", "/login", "/signup", "/nowhere"] {
        let page = app.get(path).await;
        assert!(page.body.contains("/pkg-public/lodestar.pub123.js"), "{path} loads the public bundle");
        assert!(page.body.contains("/pkg-public/lodestar.pub123.wasm"), "{path}");
        assert!(!page.body.contains("/pkg/lodestar.js"), "{path} names no dashboard code");
    }

    // The dashboard loads its own.
    let owner = app.verified_user("bundles@example.com", "business").await;
    let dashboard = app.get_page(Some(&owner), "/app/account").await;
    assert_eq!(dashboard.status, StatusCode::OK);
    assert!(dashboard.body.contains("/pkg/lodestar.js") && dashboard.body.contains("/pkg/lodestar.wasm"));
    assert!(!dashboard.body.contains("/pkg-public/"));
}

#[tokio::test]
async fn the_public_bundle_is_served_precompressed_and_cached_for_a_year() {
    let public = tempfile::tempdir().unwrap();
    public_bundle(public.path());
    let root = public.path().to_path_buf();
    let app = TestApp::builder(Db::Sqlite)
        .config(move |c| {
            c.site.public_root = root;
            c.site.hashed_assets = true;
        })
        .build()
        .await;
    let request = axum::http::Request::get("/pkg-public/lodestar.pub123.wasm")
        .header("accept-encoding", "br, gzip")
        .body(axum::body::Body::empty())
        .unwrap();
    let response = app.request(request).await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.header("content-encoding"), "br");
    assert_eq!(response.body, "br");
    assert_eq!(response.header("cache-control"), "public, max-age=31536000, immutable");
}

#[tokio::test]
async fn without_a_public_bundle_every_page_loads_the_dashboards() {
    let app = TestApp::builder(Db::Sqlite).build().await;
    for path in ["/", "/pricing"] {
        let page = app.get(path).await;
        assert!(page.body.contains("/pkg/lodestar.js"), "{path} falls back to the bundle that holds every page");
        assert!(!page.body.contains("/pkg-public/"), "{path}");
    }
}
