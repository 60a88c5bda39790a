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
