use axum::body::Body;
use axum::http::{Request, StatusCode};

use crate::backend_tests;

backend_tests! {
    async fn landing_page_renders_for_every_audience(app) {
        let response = app.get("/").await;
        assert_eq!(response.status, StatusCode::OK);
        assert!(response.header("content-type").starts_with("text/html"));
        for text in ["For businesses", "For your visitors", "For career changers", "How it works", "Skip to content"] {
            assert!(response.body.contains(text), "landing page lacks {text:?}");
        }
        assert!(response.body.contains("<title>Lodestar</title>"), "{}", response.body);
    }

    async fn pricing_page_lists_both_plan_tables(app) {
        let response = app.get("/pricing").await;
        assert_eq!(response.status, StatusCode::OK);
        for text in ["$49", "5,000 bot messages / month", "$199", "$19.99", "500 questions / month", "$29.99", "Contact sales"] {
            assert!(response.body.contains(text), "pricing page lacks {text:?}");
        }
        // Before hydration the support plans show and the mentor plans wait behind the toggle.
        let mentor_panel = response.body.split(r#"id="plans-mentor""#).nth(1).expect("mentor panel");
        assert!(mentor_panel[..200].contains("hidden"), "{}", &mentor_panel[..200]);
    }

    async fn unknown_paths_get_the_404_page(app) {
        let response = app.get("/definitely/not/here").await;
        assert_eq!(response.status, StatusCode::NOT_FOUND);
        assert!(response.body.contains("We couldn&#x27;t find that page") || response.body.contains("We couldn't find that page"));
        assert!(response.body.contains("Page not found · Lodestar"));
    }

    async fn pages_carry_security_headers_and_a_nonce_csp(app) {
        let response = app.get("/pricing").await;
        assert_eq!(response.header("x-content-type-options"), "nosniff");
        assert_eq!(response.header("referrer-policy"), "strict-origin-when-cross-origin");
        assert!(!response.header("x-request-id").is_empty());
        let csp = response.header("content-security-policy");
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        let nonce = csp.split("'nonce-").nth(1).and_then(|rest| rest.split('\'').next()).expect("a nonce in the CSP");
        assert!(nonce.len() >= 16);
        assert!(response.body.contains(&format!("nonce=\"{nonce}\"")), "scripts carry the CSP nonce");
        // Every response gets its own nonce.
        let again = app.get("/pricing").await;
        assert_ne!(again.header("content-security-policy"), csp);
        // Non-page responses get the locked-down baseline.
        let health = app.get("/healthz").await;
        assert!(health.header("content-security-policy").starts_with("default-src 'none'"));
        assert_eq!(health.header("x-content-type-options"), "nosniff");
    }

    async fn the_theme_cookie_is_rendered_on_the_server(app) {
        let request = Request::get("/").header("cookie", "theme=dark").body(Body::empty()).unwrap();
        let response = app.request(request).await;
        assert!(response.body.contains(r#"data-theme="dark""#));
        assert!(!app.get("/").await.body.contains("data-theme="));
    }

    async fn responses_are_compressed(app) {
        for (accept, expected) in [("br", "br"), ("gzip", "gzip"), ("br, gzip", "br")] {
            let request = Request::get("/").header("accept-encoding", accept).body(Body::empty()).unwrap();
            let response = app.router.clone();
            let response = tower::ServiceExt::oneshot(response, request).await.unwrap();
            assert_eq!(response.headers()["content-encoding"], expected);
        }
    }
}
