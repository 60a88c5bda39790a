//! Internal notes on tickets: the team's own words, each `@Name` of a
//! member a mention that member reads in the dashboard (until they open the
//! ticket or mark it read) and receives by email; nobody else's mentions
//! can be read or marked, and a ticket's notes are bounded.

use axum::http::StatusCode;
use serde_json::Value;

use crate::backend_tests;
use crate::chat::tenant;
use crate::support::{Session, TestApp};

async fn rename(app: &TestApp, who: &Session, name: &str) {
    let renamed = app.call(who, "/api/accounts/update-profile", &[("name", name)]).await;
    assert_eq!(renamed.status, StatusCode::OK, "{}", renamed.body);
}

async fn note(app: &TestApp, who: &Session, ws: &str, ticket: &str, body: &str) -> (StatusCode, Value) {
    let added =
        app.call(who, "/api/tickets/note", &[("workspace_id", ws), ("ticket_id", ticket), ("body", body)]).await;
    let json = if added.status == StatusCode::OK { added.json() } else { Value::String(added.body.clone()) };
    (added.status, json)
}

async fn mentions(app: &TestApp, who: &Session, ws: &str) -> Value {
    let listed = app.call(who, "/api/mentions/list", &[("workspace_id", ws)]).await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.body);
    listed.json()
}

async fn read(app: &TestApp, who: &Session, ws: &str, mention: &str) -> Value {
    let read = app.call(who, "/api/mentions/read", &[("workspace_id", ws), ("mention_id", mention)]).await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.body);
    read.json()
}

/// The messages added to the outbox since `before`, to whom and what.
fn mailed_since(app: &TestApp, before: usize) -> Vec<String> {
    app.outbox().into_iter().skip(before).collect()
}

backend_tests! {
    async fn a_note_tells_each_member_it_names_in_the_dashboard_and_by_email(app) {
        let shop = tenant(&app, "olga@example.com", &[]).await;
        let ws = shop.workspace.as_str();
        let ana = app.join_team(&shop.session, ws, "ana@example.com", "agent").await;
        let ben = app.join_team(&shop.session, ws, "ben@example.com", "agent").await;
        rename(&app, &shop.session, "Olga Owner").await;
        rename(&app, &ana, "Ana Lima").await;
        rename(&app, &ben, "Ben").await;
        let created = app
            .call(&shop.session, "/api/tickets/create", &[("workspace_id", ws), ("subject", "Refund for order 7")])
            .await;
        assert_eq!(created.status, StatusCode::OK, "{}", created.body);
        let ticket = created.json()["ticket"]["id"].as_str().unwrap().to_owned();

        let before = app.outbox().len();
        let body = "@ana lima can you call them back?\n@Ben check the refund, cc @Olga Owner and bob@example.com";
        let (status, detail) = note(&app, &shop.session, ws, &ticket, body).await;
        assert_eq!(status, StatusCode::OK, "{detail}");
        let notes = detail["notes"].as_array().unwrap();
        assert_eq!(notes.len(), 1);
        assert_eq!((notes[0]["author"].as_str(), notes[0]["body"].as_str()), (Some("Olga Owner"), Some(body)));

        // Ana and Ben are told by email; the author naming herself is no news, nor is an address.
        let mailed = mailed_since(&app, before);
        assert_eq!(mailed.len(), 2, "{mailed:#?}");
        for (to, other) in [("ana@example.com", "ben@example.com"), ("ben@example.com", "ana@example.com")] {
            let mail = mailed.iter().find(|m| m.contains(to)).unwrap_or_else(|| panic!("nothing to {to}: {mailed:#?}"));
            assert!(!mail.contains(other), "{mail}");
            assert!(mail.contains("Subject: Olga Owner mentioned you on ticket #1: Refund for order 7"), "{mail}");
            assert!(mail.contains("check the refund"), "{mail}");
            assert!(mail.contains(&format!("/app/w/{ws}/tickets?t={ticket}")), "{mail}");
        }
        assert!(!mailed.iter().any(|m| m.contains("olga@example.com")), "{mailed:#?}");

        // In the dashboard: theirs, unread; the author has none.
        let ana_sees = mentions(&app, &ana, ws).await;
        assert_eq!(ana_sees["unread"], 1, "{ana_sees}");
        let mention = &ana_sees["mentions"][0];
        assert_eq!((mention["ticket_number"].as_i64(), mention["author"].as_str()), (Some(1), Some("Olga Owner")));
        assert!(mention["excerpt"].as_str().unwrap().starts_with("@ana lima can you call them back? @Ben"), "{mention}");
        assert_eq!(mention["read"], false);
        assert_eq!(mentions(&app, &shop.session, ws).await["mentions"].as_array().unwrap().len(), 0);
        let ben_sees = mentions(&app, &ben, ws).await;
        let bens = ben_sees["mentions"][0]["id"].as_str().unwrap().to_owned();

        // Nobody marks another's mention read.
        read(&app, &ana, ws, &bens).await;
        assert_eq!(mentions(&app, &ben, ws).await["unread"], 1);

        // Opening the ticket reads Ana's there; Ben marks all of his read.
        let opened = app.call(&ana, "/api/tickets/open", &[("workspace_id", ws), ("ticket_id", &ticket)]).await;
        assert_eq!(opened.status, StatusCode::OK, "{}", opened.body);
        let ana_sees = mentions(&app, &ana, ws).await;
        assert_eq!((ana_sees["unread"].as_i64(), ana_sees["mentions"][0]["read"].as_bool()), (Some(0), Some(true)));
        assert_eq!(read(&app, &ben, ws, "all").await["unread"], 0);

        // A reply in the notes names the author back.
        let (status, detail) = note(&app, &ana, ws, &ticket, "Called: @Olga Owner they want store credit.").await;
        assert_eq!(status, StatusCode::OK, "{detail}");
        assert_eq!(detail["notes"].as_array().unwrap().len(), 2);
        assert_eq!(mentions(&app, &shop.session, ws).await["unread"], 1);

        // Bad input is named and stores nothing.
        for (body, field) in [(" \n ", "Write the note first."), (&"x".repeat(4001)[..], "under 4000 characters")] {
            let (status, error) = note(&app, &ana, ws, &ticket, body).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
            assert!(error.as_str().unwrap().contains(field), "{error}");
        }
        let (status, _) = note(&app, &ana, ws, "no-such-ticket", "hello").await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        // A ticket holds at most 500 notes.
        sqlx::query(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 498)
             INSERT INTO ticket_notes (id, ticket_id, workspace_id, author_id, author_name, body, created_at)
             SELECT 'filler-' || i, $1, $2, NULL, 'Filler', 'x', i FROM n",
        )
        .bind(&ticket)
        .bind(ws)
        .execute(app.state.sql.pool())
        .await
        .unwrap();
        let (status, error) = note(&app, &ana, ws, &ticket, "one too many").await;
        assert_eq!(status, StatusCode::CONFLICT, "{error}");
        assert!(error.as_str().unwrap().contains("500 notes"), "{error}");
    }
}
