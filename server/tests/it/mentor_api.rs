//! The mentor's API for a browser extension, `/api/mentor/v1`: bearer
//! tokens from `/api/v1/auth/token`, JSON and streamed answers, usage and
//! limits with `Retry-After`, the profile, recommendations without a
//! token, and CORS for the configured extension origins only.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{json, Value};

use crate::backend_tests;
use crate::support::{Db, TestApp, TestResponse, PASSWORD};

const CAREER: &str = "interest=analyse+data+with+statistics&experience=mid&skills=Python%2C+SQL&hours=8";
const EXTENSION: &str = "chrome-extension://abcdefghijklmnopabcdefghijklmnop";

/// Signs `email` up with the career form and returns an access token.
async fn token_for(app: &TestApp, email: &str) -> String {
    app.verified_user_with(email, "mentor", &[("career", CAREER)]).await;
    let tokens = app.post_json("/api/v1/auth/token", json!({ "email": email, "password": PASSWORD }), &[]).await;
    assert_eq!(tokens.status, StatusCode::OK, "{}", tokens.body);
    tokens.json()["access_token"].as_str().unwrap().to_owned()
}

async fn send(
    app: &TestApp,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
    extra: &[(&str, &str)],
) -> TestResponse {
    let mut request = Request::builder().method(method).uri(path).header("content-type", "application/json");
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    for (name, value) in extra {
        request = request.header(*name, *value);
    }
    let body = body.map_or_else(Body::empty, |b| Body::from(b.to_string()));
    app.request(request.body(body).unwrap()).await
}

backend_tests! {
    async fn an_extension_asks_with_a_token_and_gets_answers_usage_and_the_profile(app) {
        let token = token_for(&app, "ada@example.com").await;
        let answer = send(&app, "POST", "/api/mentor/v1/ask", Some(&token), Some(json!({ "question": "What should I learn first?" })), &[]).await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        let answer = answer.json();
        assert!(answer["answer"]["text"].as_str().unwrap().contains("start with the quick wins"), "{answer}");
        assert!(!answer["suggestions"].as_array().unwrap().is_empty());
        assert_eq!(answer["usage"]["used"], 1);
        assert_eq!(answer["usage"]["limit"], 10);
        assert_eq!(answer["mode"]["kind"], "offline");

        // Streamed: the answer's text, then the reply as stored.
        let conversation = answer["conversation"].as_str().unwrap();
        let streamed = send(
            &app,
            "POST",
            "/api/mentor/v1/ask",
            Some(&token),
            Some(json!({ "question": "How long until I'm job-ready?", "conversation": conversation })),
            &[("accept", "text/event-stream")],
        )
        .await;
        assert_eq!(streamed.status, StatusCode::OK, "{}", streamed.body);
        assert!(streamed.header("content-type").starts_with("text/event-stream"));
        let delta = streamed.body.find("event: delta").expect("a delta event");
        let done = streamed.body.find("event: done").expect("a done event");
        assert!(delta < done, "{}", streamed.body);
        assert!(streamed.body.contains("takes about"), "{}", streamed.body);
        assert!(streamed.body.contains(&format!("\"conversation\":\"{conversation}\"")));

        let usage = send(&app, "GET", "/api/mentor/v1/usage", Some(&token), None, &[]).await.json();
        assert_eq!(usage["used"], 2);
        assert_eq!(usage["plan"], "Free");
        assert!(usage["resets_at"].as_i64().unwrap() > 0);

        let profile = send(&app, "GET", "/api/mentor/v1/profile", Some(&token), None, &[]).await.json();
        assert_eq!(profile["interest"], "analyse data with statistics");
        let form = json!({ "interest": "build websites", "experience": "junior", "skills": ["HTML"], "hours_per_week": 5 });
        let saved = send(&app, "PUT", "/api/mentor/v1/profile", Some(&token), Some(form), &[]).await;
        assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
        assert_eq!(send(&app, "GET", "/api/mentor/v1/profile", Some(&token), None, &[]).await.json()["skills"], json!(["HTML"]));
        let bad = send(&app, "PUT", "/api/mentor/v1/profile", Some(&token), Some(json!({ "interest": "", "experience": "wizard", "skills": [] })), &[]).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
        assert!(bad.json()["fields"]["experience"].is_string(), "{}", bad.body);
    }

    async fn missing_or_bad_tokens_and_spent_quotas_are_clear_json(app) {
        let missing = send(&app, "GET", "/api/mentor/v1/usage", None, None, &[]).await;
        assert_eq!(missing.status, StatusCode::UNAUTHORIZED);
        assert_eq!(missing.header("www-authenticate"), "Bearer");
        assert!(missing.json()["error"].as_str().unwrap().contains("/api/v1/auth/token"));
        let forged = send(&app, "GET", "/api/mentor/v1/usage", Some("not-a-token"), None, &[]).await;
        assert_eq!(forged.status, StatusCode::UNAUTHORIZED);
        assert!(forged.json()["error"].as_str().unwrap().contains("expired"));

        let token = token_for(&app, "ada@example.com").await;
        let mut conversation = None::<String>;
        for _ in 0..10 {
            let mut body = json!({ "question": "Why was this role recommended?" });
            if let Some(c) = &conversation {
                body["conversation"] = json!(c);
            }
            let reply = send(&app, "POST", "/api/mentor/v1/ask", Some(&token), Some(body), &[]).await;
            assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
            conversation = reply.json()["conversation"].as_str().map(str::to_owned);
        }
        let spent = send(&app, "POST", "/api/mentor/v1/ask", Some(&token), Some(json!({ "question": "And now?" })), &[]).await;
        assert_eq!(spent.status, StatusCode::TOO_MANY_REQUESTS, "{}", spent.body);
        assert!(spent.header("retry-after").parse::<u64>().unwrap() > 0);
        let body = spent.json();
        assert!(body["error"].as_str().unwrap().contains("10 questions"), "{body}");
        assert_eq!(body["usage"]["used"], 10);
        assert_eq!(body["usage"]["limit"], 10);
        let garbled = send(&app, "POST", "/api/mentor/v1/ask", Some(&token), Some(json!({ "text": 3 })), &[]).await;
        assert_eq!(garbled.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", garbled.body);
    }

    async fn a_token_is_one_person_and_nobody_else(app) {
        let ada = token_for(&app, "ada@example.com").await;
        let bob = token_for(&app, "bob@example.com").await;
        let adas = send(&app, "POST", "/api/mentor/v1/ask", Some(&ada), Some(json!({ "question": "What should I learn first?" })), &[]).await.json();
        let conversation = adas["conversation"].as_str().unwrap();
        let intrusion = send(&app, "POST", "/api/mentor/v1/ask", Some(&bob), Some(json!({ "question": "Why?", "conversation": conversation })), &[]).await;
        assert_eq!(intrusion.status, StatusCode::NOT_FOUND);
        assert_eq!(send(&app, "GET", "/api/mentor/v1/usage", Some(&bob), None, &[]).await.json()["used"], 0);
        // A session cookie is no token: the API never reads cookies.
        let ada_browser = app.session("ada@example.com", PASSWORD).await;
        let cookie_only = send(&app, "GET", "/api/mentor/v1/usage", None, None, &[("cookie", &ada_browser.cookie)]).await;
        assert_eq!(cookie_only.status, StatusCode::UNAUTHORIZED);
    }

    async fn recommendations_need_no_token_and_are_limited_per_client(app) {
        let form = json!({ "interest": "I'd like to make websites for small businesses", "experience": "junior", "skills": ["HTML", "CSS"], "hours_per_week": 10 });
        let found = send(&app, "POST", "/api/mentor/v1/recommendations", None, Some(form.clone()), &[]).await;
        assert_eq!(found.status, StatusCode::OK, "{}", found.body);
        let role = &found.json()["roles"][0];
        for field in ["soc", "title", "score", "reasons", "readiness", "confidence", "gaps"] {
            assert!(!role[field].is_null(), "{field} in {role}");
        }
        for _ in 0..29 {
            send(&app, "POST", "/api/mentor/v1/recommendations", None, Some(form.clone()), &[]).await;
        }
        let limited = send(&app, "POST", "/api/mentor/v1/recommendations", None, Some(form), &[]).await;
        assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(limited.header("retry-after").parse::<u64>().unwrap() >= 1);
    }
}

#[tokio::test]
async fn only_the_configured_extension_origins_get_cors() {
    let app =
        TestApp::builder(Db::Sqlite).config(|c| c.mentor.extension_origins = vec![EXTENSION.to_owned()]).build().await;
    let preflight = |origin: &'static str| {
        Request::builder()
            .method("OPTIONS")
            .uri("/api/mentor/v1/ask")
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "authorization, content-type")
            .body(Body::empty())
            .unwrap()
    };
    let allowed = app.request(preflight(EXTENSION)).await;
    assert_eq!(allowed.status, StatusCode::NO_CONTENT);
    assert_eq!(allowed.header("access-control-allow-origin"), EXTENSION);
    assert!(allowed.header("access-control-allow-headers").contains("authorization"));
    let other = app.request(preflight("chrome-extension://someoneelse")).await;
    assert_eq!(other.status, StatusCode::FORBIDDEN);
    assert!(other.headers.get("access-control-allow-origin").is_none());
    let site = app.request(preflight("https://evil.example")).await;
    assert!(site.headers.get("access-control-allow-origin").is_none());

    // The request itself, from the extension, as Chrome labels it.
    let token = token_for(&app, "ada@example.com").await;
    let usage = send(
        &app,
        "GET",
        "/api/mentor/v1/usage",
        Some(&token),
        None,
        &[("origin", EXTENSION), ("sec-fetch-site", "cross-site")],
    )
    .await;
    assert_eq!(usage.status, StatusCode::OK);
    assert_eq!(usage.header("access-control-allow-origin"), EXTENSION);
    let ask = send(
        &app,
        "POST",
        "/api/mentor/v1/ask",
        Some(&token),
        Some(json!({ "question": "What should I learn first?" })),
        &[("origin", EXTENSION), ("sec-fetch-site", "cross-site")],
    )
    .await;
    assert_eq!(ask.status, StatusCode::OK, "bearer requests are not refused as cross-site: {}", ask.body);
}

#[test]
fn extension_origins_are_checked_at_start_up() {
    use lodestar_server::config::Config;
    let config = |value: &str| {
        let value = value.to_owned();
        Config::from_lookup(move |name| (name == "MENTOR_EXTENSION_ORIGINS").then(|| value.clone()))
    };
    let ok = config("chrome-extension://abc, moz-extension://4f1b-22/").unwrap();
    assert_eq!(ok.mentor.extension_origins, vec!["chrome-extension://abc", "moz-extension://4f1b-22"]);
    let error = config("https://example.com").unwrap_err().to_string();
    assert!(error.contains("MENTOR_EXTENSION_ORIGINS"), "{error}");
}
