//! Merging duplicates: the same requester's other tickets are offered; the
//! duplicate is closed and points at the ticket that goes on, which takes
//! its notes and tags; the requester's replies in the duplicate's
//! conversation reach that ticket, opening it again; mistakes are named.

use axum::http::StatusCode;
use serde_json::{json, Value};

use crate::backend_tests;
use crate::chat::{say, start, tenant, widget, Tenant, REFUNDS, SHOP};
use crate::support::TestApp;
use crate::tickets::{history, list, open, update};

/// A visitor who gives `email` and asks for a person about `question`: a
/// ticket opens. Answers the visitor's token.
async fn escalated(app: &TestApp, shop: &Tenant, question: &str, email: &str) -> String {
    let token = start(app, &shop.key, None).await["token"].as_str().unwrap().to_owned();
    say(app, &shop.key, &token, question).await.unwrap();
    let handoff = format!("/api/widget/v1/{}/handoff", shop.key);
    let asked = widget(app, "POST", &handoff, Some(SHOP), Some(json!({ "token": token, "email": email }))).await;
    assert_eq!(asked.status, StatusCode::OK, "{}", asked.body);
    token
}

async fn merge(app: &TestApp, shop: &Tenant, ticket: &str, into: &str) -> (StatusCode, Value) {
    let fields = [("workspace_id", shop.workspace.as_str()), ("ticket_id", ticket), ("into", into)];
    let merged = app.call(&shop.session, "/api/tickets/merge", &fields).await;
    let json = if merged.status == StatusCode::OK { merged.json() } else { Value::String(merged.body.clone()) };
    (merged.status, json)
}

fn kinds(detail: &Value) -> Vec<String> {
    history(detail).into_iter().map(|(kind, _, _)| kind).collect()
}

backend_tests! {
    async fn a_duplicate_merged_into_another_is_closed_and_its_notes_tags_and_replies_go_there(app) {
        let shop = tenant(&app, "merges@example.com", &[("Refunds", REFUNDS)]).await;
        let ws = shop.workspace.as_str();
        // The same requester twice, from two chats.
        escalated(&app, &shop, "My refund for order 7 never arrived", "ada@example.com").await;
        let second = escalated(&app, &shop, "Where is the refund for order 7?", "ada@example.com").await;
        let listed = list(&app, &shop, "").await;
        let id_of = |number: i64| {
            listed["tickets"].as_array().unwrap().iter().find(|t| t["number"] == number).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned()
        };
        let (first_id, second_id) = (id_of(1), id_of(2));

        // Each offers the other as a likely duplicate.
        let detail = app.call(&shop.session, "/api/tickets/open", &[("workspace_id", ws), ("ticket_id", &second_id)]).await.json();
        let offered: Vec<i64> = detail["merge_candidates"].as_array().unwrap().iter().map(|c| c["number"].as_i64().unwrap()).collect();
        assert_eq!(offered, [1], "{detail}");

        // The duplicate carries a note and a tag; the other a tag of its own.
        let fields = [("workspace_id", ws), ("ticket_id", second_id.as_str()), ("body", "She wrote twice.")];
        assert_eq!(app.call(&shop.session, "/api/tickets/note", &fields).await.status, StatusCode::OK);
        for (ticket, tags) in [(&second_id, "refund"), (&first_id, "vip")] {
            let fields = [("workspace_id", ws), ("ticket_id", ticket.as_str()), ("tags", tags)];
            assert_eq!(app.call(&shop.session, "/api/tickets/tag", &fields).await.status, StatusCode::OK);
        }

        // Mistakes are named, and merge nothing.
        for (into, says) in [("2", "cannot be merged into itself"), ("#99", "There is no ticket #99"), ("soon", "such as 12")] {
            let (status, error) = merge(&app, &shop, &second_id, into).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
            assert!(error.as_str().unwrap().contains(says), "{error}");
        }

        // Merged: the first takes the note and the tag, and both histories say so.
        let (status, merged) = merge(&app, &shop, &second_id, "#1").await;
        assert_eq!(status, StatusCode::OK, "{merged}");
        assert_eq!(merged["ticket"]["id"], first_id.as_str());
        assert_eq!(merged["ticket"]["tags"], json!(["vip", "refund"]));
        assert_eq!(merged["notes"][0]["body"], "She wrote twice.");
        assert_eq!(kinds(&merged)[kinds(&merged).len() - 2..], ["tags".to_owned(), "merged_in".to_owned()]);
        assert_eq!(history(&merged).last().unwrap().2.as_deref(), Some("#2"));
        let duplicate = open(&app, &shop, &second_id).await;
        assert_eq!(duplicate["status"], "closed");
        assert_eq!(duplicate["merged_into"], json!({ "id": first_id, "number": 1, "status": "open" }));
        let duplicate_detail = app.call(&shop.session, "/api/tickets/open", &[("workspace_id", ws), ("ticket_id", &second_id)]).await.json();
        assert_eq!(duplicate_detail["notes"], json!([]));
        assert_eq!(history(&duplicate_detail).last().unwrap(), &("merged".to_owned(), None, Some("#1".to_owned())));
        let (status, error) = merge(&app, &shop, &second_id, "1").await;
        assert_eq!(status, StatusCode::CONFLICT, "{error}");

        // The requester answers in the duplicate's chat: the ticket that went on hears it.
        let (_, pending) = update(&app, &shop, &first_id, &[("status", "pending")]).await;
        assert_eq!(pending["ticket"]["status"], "pending");
        say(&app, &shop.key, &second, "Any news on my refund?").await.unwrap();
        let first = app.call(&shop.session, "/api/tickets/open", &[("workspace_id", ws), ("ticket_id", &first_id)]).await.json();
        assert_eq!(first["ticket"]["status"], "open");
        assert_eq!(history(&first).last().unwrap(), &("status".to_owned(), Some("pending".to_owned()), Some("open".to_owned())));
        update(&app, &shop, &first_id, &[("status", "solved")]).await;
        say(&app, &shop.key, &second, "Still nothing.").await.unwrap();
        let first = app.call(&shop.session, "/api/tickets/open", &[("workspace_id", ws), ("ticket_id", &first_id)]).await.json();
        assert_eq!((first["ticket"]["status"].as_str(), kinds(&first).last().map(String::as_str)), (Some("open"), Some("reopened")));
        assert_eq!(open(&app, &shop, &second_id).await["status"], "closed", "the duplicate stays closed");

        // Nothing merges into a closed ticket.
        let created = app.call(&shop.session, "/api/tickets/create", &[("workspace_id", ws), ("subject", "Call Ada back")]).await;
        let third = created.json()["ticket"]["id"].as_str().unwrap().to_owned();
        let (status, error) = merge(&app, &shop, &third, "2").await;
        assert_eq!(status, StatusCode::CONFLICT, "{error}");
        assert!(error.as_str().unwrap().contains("Ticket #2 is closed"), "{error}");
    }
}
