//! What a new tenant meets first: the emailed link logs them in, their
//! workspace's first steps tick as they happen, the team's preview chats
//! stay tests, a hand-off says what will happen and keeps the visitor's
//! email, a file's citation carries its passage, and secret keys follow the
//! plan Pricing shows.

use axum::http::StatusCode;
use serde_json::{json, Value};

use crate::backend_tests;
use crate::chat::{address_of, answer, say, start, tenant, widget, widget_from, SHIPPING, SHOP};
use crate::knowledge::settled;
use crate::support::{Session, TestApp, PASSWORD};

async fn first_steps(app: &TestApp, session: &Session, workspace: &str) -> Value {
    let response = app.call(session, "/api/chat/first-steps", &[("workspace_id", workspace)]).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.body);
    response.json()
}

fn set_cookies(response: &crate::support::TestResponse) -> Vec<String> {
    response.headers.get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_string()).collect()
}

backend_tests! {
    async fn the_emailed_link_logs_the_person_in_and_public_pages_know_it(app) {
        assert_eq!(app.sign_up("grace@example.com", "business").await.status, StatusCode::OK);
        let link = app.mail_link("grace@example.com", "/verify?token=");
        let token = link.split("token=").nth(1).unwrap();
        let verified = app.post_form("/api/accounts/verify-email", &[("token", token)], &[("sec-fetch-site", "same-origin")]).await;
        assert_eq!(verified.status, StatusCode::OK, "{}", verified.body);
        let cookies = set_cookies(&verified);
        let session = cookies.iter().find(|c| c.starts_with("lodestar_session=")).expect("a session").clone();
        assert!(session.contains("HttpOnly"), "{session}");
        let hint = cookies.iter().find(|c| c.starts_with("lodestar_signed_in=")).expect("the readable mark");
        assert!(hint.starts_with("lodestar_signed_in=1;") && !hint.contains("HttpOnly"), "{hint}");
        let cookie = session.split(';').next().unwrap().to_string();
        let viewer = app.viewer(&cookie).await;
        assert_eq!(viewer["email"], "grace@example.com", "logged in without typing the password again");
        let workspace = viewer["workspaces"][0]["id"].as_str().unwrap();
        assert!(verified.header("serverfnredirect").contains(&format!("/app/w/{workspace}")) || verified.header("location").contains(workspace),
            "sent on to the new workspace: {:?}", verified.headers);

        // The landing page's header offers the dashboard to someone signed in.
        let signed_in = Session { cookie: format!("{cookie}; lodestar_signed_in=1"), user_id: String::new() };
        let landing = app.get_page(Some(&signed_in), "/").await;
        let header = |body: &str| body.split("header-actions").nth(1).unwrap_or_default().chars().take(400).collect::<String>();
        assert!(landing.body.contains("Open dashboard") && !header(&landing.body).contains("Start free"), "{}", header(&landing.body));
        let anonymous = app.get_page(None, "/").await;
        assert!(anonymous.body.contains(">Log in<") && !anonymous.body.contains("Open dashboard"));

        // Logging out clears the mark with the session; so does a visit that finds the session gone.
        let session = Session { cookie: cookie.clone(), user_id: viewer["user_id"].as_str().unwrap().to_string() };
        let out = app.call(&session, "/api/accounts/log-out", &[]).await;
        assert!(set_cookies(&out).iter().any(|c| c.starts_with("lodestar_signed_in=;") && c.contains("Max-Age=0")), "{:?}", out.headers);
        let stale = app.get_page(Some(&signed_in), "/app").await;
        assert_eq!(stale.status, StatusCode::SEE_OTHER);
        assert!(set_cookies(&stale).iter().any(|c| c.starts_with("lodestar_signed_in=;") && c.contains("Max-Age=0")));
        let again = app.log_in("grace@example.com", PASSWORD, &[]).await.status;
        assert!(again.is_success() || again.is_redirection(), "{again}");
    }

    async fn a_new_workspace_ticks_its_first_steps_and_preview_chats_stay_tests(app) {
        let session = app.verified_user("first@example.com", "business").await;
        let workspace = app.workspace_of(&session).await;
        let ws = ("workspace_id", workspace.as_str());
        let none = json!({ "knowledge": false, "tested": false, "styled": false, "installed": false, "conversation": false });
        assert_eq!(first_steps(&app, &session, &workspace).await, none);

        let added = app.call(&session, "/api/knowledge/add_text", &[ws, ("title", "Shipping"), ("text", SHIPPING)]).await;
        assert_eq!(added.status, StatusCode::OK, "{}", added.body);
        settled(&app, &session, &workspace).await;
        assert_eq!(first_steps(&app, &session, &workspace).await["knowledge"], true);

        let tested = app.call(&session, "/api/knowledge/test", &[ws, ("question", "How long does delivery take?")]).await;
        assert_eq!(tested.status, StatusCode::OK, "{}", tested.body);
        let saved = app.call(&session, "/api/chat/save_widget", &[ws, ("form[title]", "Help"), ("form[colour]", "#0a7c66")]).await;
        assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
        let steps = first_steps(&app, &session, &workspace).await;
        assert_eq!((steps["tested"].as_bool(), steps["styled"].as_bool()), (Some(true), Some(true)), "{steps}");
        assert_eq!(steps["installed"], false);
        let fields = [ws, ("name", "Shop"), ("kind", "publishable"), ("allowed_origins", SHOP)];
        let key = app.call(&session, "/api/keys/create", &fields).await.json()["key"]["display"].as_str().unwrap().to_string();
        assert_eq!(first_steps(&app, &session, &workspace).await["installed"], true);

        // The team chatting in the preview is a test: not a conversation,
        // not in the list, not counted against the month's answers.
        let preview_key = app.call(&session, "/api/chat/widget", &[ws]).await.json()["preview_key"].as_str().unwrap().to_string();
        let own = app.state.config.public_url.clone();
        let started = widget(&app, "POST", &format!("/api/widget/v1/{preview_key}/session"), Some(&own), Some(json!({ "token": null }))).await;
        let token = started.json()["token"].as_str().unwrap().to_string();
        for question in ["How long does delivery take?", "Is shipping free?"] {
            let sent = widget_from(&app, Some(address_of(&token)), "POST", &format!("/api/widget/v1/{preview_key}/messages"), Some(&own),
                Some(json!({ "token": token, "text": question }))).await;
            assert_eq!(sent.status, StatusCode::OK, "{}", sent.body);
            answer(&crate::chat::events(&sent.body));
        }
        let usage = app.call(&session, "/api/chat/usage", &[ws]).await.json();
        assert_eq!(usage["answers"], 0, "tests are not charged: {usage}");
        let listed = app.call(&session, "/api/chat/conversations", &[ws]).await.json();
        assert_eq!(listed, json!([]), "tests are not conversations");
        let events: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM chat_events WHERE workspace_id = $1 AND kind IN ('conversation_started', 'bot_answered')")
            .bind(&workspace).fetch_one(app.state.sql.pool()).await.unwrap();
        assert_eq!(events, 0, "nor analytics");
        assert_eq!(first_steps(&app, &session, &workspace).await["conversation"], false);
        // Still, the preview shows what visitors get once the month is used up,
        // and the team's own tests have a daily allowance.
        let ask_preview = |text: &'static str| {
            let (path, own, token) = (format!("/api/widget/v1/{preview_key}/messages"), own.clone(), token.clone());
            let app = &app;
            async move {
                let sent = widget_from(app, Some(address_of(&token)), "POST", &path, Some(&own), Some(json!({ "token": token, "text": text }))).await;
                answer(&crate::chat::events(&sent.body))["message"]["body"].as_str().unwrap().to_string()
            }
        };
        let month = app::dates::month_of(lodestar_server::sql::now_millis());
        sqlx::query("INSERT INTO usage_monthly (workspace_id, month, bot_messages) VALUES ($1, $2, 100)")
            .bind(&workspace).bind(&month).execute(app.state.sql.pool()).await.unwrap();
        assert_eq!(ask_preview("Is shipping free?").await, lodestar_server::chat::QUOTA_MESSAGE);
        sqlx::query("DELETE FROM usage_monthly WHERE workspace_id = $1").bind(&workspace).execute(app.state.sql.pool()).await.unwrap();
        let today = app::dates::day_of(lodestar_server::sql::now_millis());
        sqlx::query("UPDATE widget_usage_daily SET answers = $1 WHERE workspace_id = $2 AND day = $3 AND client = 'preview'")
            .bind(lodestar_server::chat::usage::PREVIEW_DAILY).bind(&workspace).bind(&today).execute(app.state.sql.pool()).await.unwrap();
        assert_eq!(ask_preview("Is shipping free?").await, lodestar_server::chat::BUSY_MESSAGE);

        // A visitor on the site is the last step.
        let visitor = start(&app, &key, None).await["token"].as_str().unwrap().to_string();
        answer(&say(&app, &key, &visitor, "How long does delivery take?").await.unwrap());
        let all = json!({ "knowledge": true, "tested": true, "styled": true, "installed": true, "conversation": true });
        assert_eq!(first_steps(&app, &session, &workspace).await, all);
        assert_eq!(app.call(&session, "/api/chat/conversations", &[ws]).await.json().as_array().unwrap().len(), 1);
        assert_eq!(app.call(&session, "/api/chat/usage", &[ws]).await.json()["answers"], 1);
    }

    async fn a_hand_off_keeps_the_email_the_team_will_write_to(app) {
        let shop = tenant(&app, "handoff@example.com", &[("Shipping", SHIPPING)]).await;
        let token = start(&app, &shop.key, None).await["token"].as_str().unwrap().to_string();
        let path = format!("/api/widget/v1/{}/handoff", shop.key);
        let handoff = |body: Value| widget(&app, "POST", &path, Some(SHOP), Some(body));
        let asked = handoff(json!({ "token": token })).await;
        assert_eq!(asked.status, StatusCode::OK, "{}", asked.body);
        assert_eq!(asked.json()["email_known"], false, "the widget then asks where to write");
        let bad = handoff(json!({ "token": token, "email": "not an email" })).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(bad.json()["error"].as_str().unwrap().contains("valid email"), "{}", bad.body);
        let long = format!("{}@example.com", "a".repeat(400));
        assert_eq!(handoff(json!({ "token": token, "email": long })).await.status, StatusCode::UNPROCESSABLE_ENTITY);
        let given = handoff(json!({ "token": token, "email": " Visitor@Example.com " })).await;
        assert_eq!(given.json()["email_known"], true, "{}", given.body);
        let session = start(&app, &shop.key, Some(&token)).await;
        assert_eq!((session["flagged"].as_bool(), session["email_known"].as_bool()), (Some(true), Some(true)));
        let email: Option<String> = sqlx::query_scalar("SELECT visitor_email FROM conversations WHERE workspace_id = $1")
            .bind(&shop.workspace).fetch_one(app.state.sql.pool()).await.unwrap();
        assert_eq!(email.as_deref(), Some("visitor@example.com"));
    }

    async fn a_citation_of_typed_or_uploaded_text_carries_its_passage(app) {
        let shop = tenant(&app, "quotes@example.com", &[("Shipping", SHIPPING)]).await;
        let token = start(&app, &shop.key, None).await["token"].as_str().unwrap().to_string();
        let done = answer(&say(&app, &shop.key, &token, "How long does standard delivery take?").await.unwrap());
        let citation = &done["message"]["citations"][0];
        assert_eq!(citation["url"], Value::Null, "{done}");
        let quote = citation["quote"].as_str().expect("a quote");
        assert!(quote.starts_with("Standard delivery takes 3 to 5 business days."), "{quote}");
        assert!(!quote.contains('#'), "clean text: {quote}");
        // Reloading the conversation shows the same.
        let again = start(&app, &shop.key, Some(&token)).await;
        assert_eq!(again["messages"][1]["citations"][0]["quote"], quote);
    }

    async fn secret_keys_come_with_the_plan_that_has_the_rest_api(app) {
        let owner = app.verified_user("keys@example.com", "business").await;
        let workspace = app.workspace_of(&owner).await;
        let fields = [("workspace_id", workspace.as_str()), ("name", "Server"), ("kind", "secret")];
        let refused = app.call(&owner, "/api/keys/create", &fields).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
        assert!(refused.body.contains("Pro plan"), "{}", refused.body);
        app.set_plan(&workspace, "pro").await;
        let created = app.call(&owner, "/api/keys/create", &fields).await;
        assert_eq!(created.status, StatusCode::OK, "{}", created.body);
        let secret = created.json()["secret"].as_str().unwrap().to_string();
        let use_key = || axum::http::Request::get("/api/v1/workspace").header("authorization", format!("Bearer {secret}")).body(axum::body::Body::empty()).unwrap();
        assert_eq!(app.request(use_key()).await.status, StatusCode::OK);
        // Back on Free, the key stops working and says why.
        app.set_plan(&workspace, "free").await;
        let lapsed = app.request(use_key()).await;
        assert_eq!(lapsed.status, StatusCode::CONFLICT);
        assert!(lapsed.body.contains("Pro plan"), "{}", lapsed.body);
    }
}
