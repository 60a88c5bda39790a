use axum::http::StatusCode;

use crate::backend_tests;

const ENDPOINT: &str = "/api/contact-sales";

#[derive(Debug, PartialEq, sqlx::FromRow)]
struct StoredLead {
    name: String,
    email: String,
    company: Option<String>,
    message: String,
}

fn lead<'a>(email: &'a str, message: &'a str) -> [(&'static str, &'a str); 4] {
    [("name", "Grace Hopper"), ("email", email), ("company", "Navy"), ("message", message)]
}

backend_tests! {
    async fn a_good_lead_is_stored(app) {
        let response = app.post_form(ENDPOINT, &lead("Grace@Example.com", "We need 20 seats."), &[]).await;
        assert_eq!(response.status, StatusCode::OK, "{}", response.body);
        let receipt = response.json();
        assert_eq!(receipt["email"], "grace@example.com");
        let reference = receipt["reference"].as_str().unwrap();
        assert!(reference.starts_with("LS-"));

        let stored: StoredLead =
            sqlx::query_as("SELECT name, email, company, message FROM sales_leads WHERE reference = $1")
                .bind(reference)
                .fetch_one(app.state.sql.pool())
                .await
                .unwrap();
        assert_eq!(
            stored,
            StoredLead {
                name: "Grace Hopper".into(),
                email: "grace@example.com".into(),
                company: Some("Navy".into()),
                message: "We need 20 seats.".into(),
            }
        );
    }

    async fn a_bad_email_gets_a_field_error_and_stores_nothing(app) {
        let response = app.post_form(ENDPOINT, &lead("grace@", "Hello"), &[]).await;
        assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", response.body);
        let error = response.json();
        assert!(error["Invalid"]["email"].as_str().unwrap().contains("valid email"), "{error}");
        assert!(error["Invalid"].get("name").is_none());
        assert_eq!(app.count("sales_leads").await, 0);
    }

    async fn empty_and_oversized_messages_are_refused(app) {
        let response = app.post_form(ENDPOINT, &lead("grace@example.com", "   "), &[]).await;
        assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(response.json()["Invalid"]["message"].is_string());

        let huge = "x".repeat(app::sales::MESSAGE_MAX + 1);
        let response = app.post_form(ENDPOINT, &lead("grace@example.com", &huge), &[]).await;
        assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(response.json()["Invalid"]["message"].as_str().unwrap().contains("under 4000"));
        assert_eq!(app.count("sales_leads").await, 0);
    }

    async fn hostile_text_is_stored_as_text(app) {
        let hostile = "<script>alert(1)</script>'); DROP TABLE sales_leads; --\u{0}";
        let response = app.post_form(ENDPOINT, &lead("grace@example.com", hostile), &[]).await;
        assert_eq!(response.status, StatusCode::OK, "{}", response.body);
        let stored: String = sqlx::query_scalar("SELECT message FROM sales_leads").fetch_one(app.state.sql.pool()).await.unwrap();
        assert_eq!(stored, "<script>alert(1)</script>'); DROP TABLE sales_leads; --");
    }

    async fn missing_fields_are_a_clean_client_error(app) {
        let response = app.post_form(ENDPOINT, &[("name", "x")], &[]).await;
        assert!(response.status.is_client_error() || response.status.is_server_error());
        assert_eq!(app.count("sales_leads").await, 0);
    }

    async fn a_form_posted_before_hydration_redirects_back_to_its_page(app) {
        let browser = [("accept", "text/html,application/xhtml+xml"), ("referer", "http://127.0.0.1:3000/pricing")];
        let mut good = lead("grace@example.com", "Hello");
        let response = app.post_form(ENDPOINT, &good, &browser).await;
        assert_eq!(response.status, StatusCode::FOUND, "{}", response.body);
        assert!(response.header("location").starts_with("http://127.0.0.1:3000/pricing"));
        assert_eq!(app.count("sales_leads").await, 1);

        good[1].1 = "not-an-email";
        let response = app.post_form(ENDPOINT, &good, &browser).await;
        assert_eq!(response.status, StatusCode::FOUND);
        assert!(response.header("location").starts_with("http://127.0.0.1:3000/pricing"));
        assert_eq!(app.count("sales_leads").await, 1);
    }

    async fn cross_site_posts_are_refused(app) {
        let good = lead("grace@example.com", "Hello");
        let response = app.post_form(ENDPOINT, &good, &[("sec-fetch-site", "cross-site")]).await;
        assert_eq!(response.status, StatusCode::FORBIDDEN);
        let response = app.post_form(ENDPOINT, &good, &[("origin", "https://evil.example"), ("host", "127.0.0.1:3000")]).await;
        assert_eq!(response.status, StatusCode::FORBIDDEN);
        assert_eq!(app.count("sales_leads").await, 0);
        let response = app.post_form(ENDPOINT, &good, &[("sec-fetch-site", "same-origin"), ("origin", "http://127.0.0.1:3000")]).await;
        assert_eq!(response.status, StatusCode::OK);
        assert_eq!(app.count("sales_leads").await, 1);
    }
}
