//! Cross-site request forgery: every state-changing request is checked.

use axum::body::Body;
use axum::http::{Request, StatusCode};

use crate::backend_tests;

backend_tests! {
    async fn forged_posts_change_nothing(app) {
        let ada = app.verified_user("ada@example.com", "business").await;
        let workspace = app.workspace_of(&ada).await;
        let invite = [("workspace_id", workspace.as_str()), ("email", "eve@example.com"), ("role", "admin")];

        let cross_site = app.post_form("/api/team/invite", &invite, &[("cookie", &ada.cookie), ("sec-fetch-site", "cross-site")]).await;
        assert_eq!(cross_site.status, StatusCode::FORBIDDEN);
        let sibling = app.post_form("/api/team/invite", &invite, &[("cookie", &ada.cookie), ("sec-fetch-site", "same-site")]).await;
        assert_eq!(sibling.status, StatusCode::FORBIDDEN, "a sibling subdomain is not us");
        let other_scheme = app.post_form("/api/team/invite", &invite, &[("cookie", &ada.cookie), ("origin", "https://127.0.0.1:3000"), ("host", "127.0.0.1:3000")]).await;
        assert_eq!(other_scheme.status, StatusCode::FORBIDDEN, "same host, other scheme");
        let foreign_origin = app.post_form("/api/team/invite", &invite, &[("cookie", &ada.cookie), ("origin", "https://evil.example"), ("host", "127.0.0.1:3000")]).await;
        assert_eq!(foreign_origin.status, StatusCode::FORBIDDEN);

        let body = format!("workspace_id={workspace}&email=eve%40example.com&role=admin");
        let text_plain = Request::post("/api/team/invite")
            .header("content-type", "text/plain")
            .header("cookie", &ada.cookie)
            .body(Body::from(body.clone()))
            .unwrap();
        assert_eq!(app.request(text_plain).await.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);

        // Neither Origin nor Sec-Fetch-Site: the session's CSRF token is required.
        let unlabelled = app.post_form("/api/team/invite", &invite, &[("cookie", &ada.cookie)]).await;
        assert_eq!(unlabelled.status, StatusCode::FORBIDDEN);
        let wrong = app.post_form("/api/team/invite", &invite, &[("cookie", &ada.cookie), ("x-csrf-token", "guess")]).await;
        assert_eq!(wrong.status, StatusCode::FORBIDDEN);
        assert_eq!(app.count("invitations").await, 0);

        let token = app.get_as(&ada, "/api/session/csrf").await.json()["csrf_token"].as_str().unwrap().to_string();
        let with_token = app.post_form("/api/team/invite", &invite, &[("cookie", &ada.cookie), ("x-csrf-token", &token)]).await;
        assert_eq!(with_token.status, StatusCode::OK, "{}", with_token.body);
        assert_eq!(app.count("invitations").await, 1);
    }

    async fn get_never_changes_state(app) {
        let ada = app.verified_user("ada@example.com", "business").await;
        for path in ["/api/accounts/log-out", "/api/accounts/delete", "/api/team/invite"] {
            let response = app.get_as(&ada, path).await;
            assert!(response.status.is_client_error(), "GET {path}: {}", response.status);
        }
        assert_eq!(app.viewer(&ada.cookie).await["email"], "ada@example.com");
        assert_eq!(app.count("users").await, 1);
    }
}
