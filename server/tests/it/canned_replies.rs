//! Canned replies: admins keep them (names unique, placeholders that
//! exist, a bound per workspace), every member reads them, and nobody else
//! changes them.

use axum::http::StatusCode;
use serde_json::Value;

use crate::backend_tests;
use crate::chat::tenant;
use crate::support::{Session, TestApp};

async fn save(app: &TestApp, who: &Session, ws: &str, id: &str, shortcut: &str, body: &str) -> (StatusCode, Value) {
    let fields = [("workspace_id", ws), ("reply_id", id), ("shortcut", shortcut), ("body", body)];
    let saved = app.call(who, "/api/canned/save", &fields).await;
    let json = if saved.status == StatusCode::OK { saved.json() } else { Value::String(saved.body.clone()) };
    (saved.status, json)
}

async fn list(app: &TestApp, who: &Session, ws: &str) -> Value {
    let listed = app.call(who, "/api/canned/list", &[("workspace_id", ws)]).await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.body);
    listed.json()
}

fn names(setup: &Value) -> Vec<String> {
    setup["replies"].as_array().unwrap().iter().map(|r| r["shortcut"].as_str().unwrap().to_owned()).collect()
}

backend_tests! {
    async fn admins_keep_canned_replies_that_every_member_reads(app) {
        let shop = tenant(&app, "canned@example.com", &[]).await;
        let ws = shop.workspace.as_str();
        let owner = &shop.session;
        let agent = app.join_team(owner, ws, "canned-agent@example.com", "agent").await;
        let first = list(&app, owner, ws).await;
        assert_eq!((names(&first).len(), first["can_edit"].as_bool()), (0, Some(true)));

        let refund = "Hi, {{agent.first_name}} here: refunds reach {{visitor.email | your card}} within 5 days.";
        let (status, saved) = save(&app, owner, ws, "", " /Refund-Policy ", refund).await;
        assert_eq!(status, StatusCode::OK, "{saved}");
        assert_eq!(saved["replies"][0]["body"], refund);
        let (status, saved) = save(&app, owner, ws, "", "hours", "We open at 9.").await;
        assert_eq!(status, StatusCode::OK, "{saved}");
        assert_eq!(names(&saved), ["hours", "refund-policy"]);

        // Mistakes are named, and keep nothing.
        for (shortcut, body, says) in [
            ("hours", "Twice?", "Another canned reply has this name"),
            ("greeting", "Hi {{visitor.nickname}}", "{{visitor.nickname}} is not a placeholder"),
            ("two words", "Hi", "letters, digits and dashes"),
        ] {
            let (status, error) = save(&app, owner, ws, "", shortcut, body).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
            assert!(error.as_str().unwrap().contains(says), "{error}");
        }

        // An agent reads them and may not change them.
        let seen = list(&app, &agent, ws).await;
        assert_eq!((names(&seen), seen["can_edit"].as_bool()), (vec!["hours".to_owned(), "refund-policy".to_owned()], Some(false)));
        let hours = seen["replies"][0]["id"].as_str().unwrap().to_owned();
        let (status, _) = save(&app, &agent, ws, "", "mine", "Mine.").await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let deleted = app.call(&agent, "/api/canned/delete", &[("workspace_id", ws), ("reply_id", &hours)]).await;
        assert_eq!(deleted.status, StatusCode::FORBIDDEN);
        assert_eq!(names(&list(&app, owner, ws).await).len(), 2);

        // Changed in place; not onto another's name.
        let (status, error) = save(&app, owner, ws, &hours, "refund-policy", "We open at 9.").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
        let (status, saved) = save(&app, owner, ws, &hours, "opening-hours", "We open at 9, weekdays.").await;
        assert_eq!(status, StatusCode::OK, "{saved}");
        assert_eq!(names(&saved), ["opening-hours", "refund-policy"]);
        assert_eq!(saved["replies"][0]["id"], hours.as_str());
        let (status, _) = save(&app, owner, ws, "no-such-reply", "ghost", "Boo.").await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        // Removed; twice is not found.
        let deleted = app.call(owner, "/api/canned/delete", &[("workspace_id", ws), ("reply_id", &hours)]).await;
        assert_eq!(deleted.status, StatusCode::OK, "{}", deleted.body);
        assert_eq!(names(&deleted.json()), ["refund-policy"]);
        let again = app.call(owner, "/api/canned/delete", &[("workspace_id", ws), ("reply_id", &hours)]).await;
        assert_eq!(again.status, StatusCode::NOT_FOUND);

        // A workspace keeps at most 200.
        sqlx::query(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 199)
             INSERT INTO canned_replies (id, workspace_id, shortcut, body, created_at, updated_at)
             SELECT 'filler-' || i, $1, 'filler-' || i, 'x', i, i FROM n",
        )
        .bind(ws)
        .execute(app.state.sql.pool())
        .await
        .unwrap();
        let (status, error) = save(&app, owner, ws, "", "one-more", "One too many.").await;
        assert_eq!(status, StatusCode::CONFLICT, "{error}");
        assert!(error.as_str().unwrap().contains("up to 200"), "{error}");
    }
}
