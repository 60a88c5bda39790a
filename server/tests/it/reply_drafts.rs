//! Replies the assistant drafts for the team: grounded in the workspace's
//! knowledge with citations, never sent by themselves, recorded as sent as
//! written, edited or discarded; written by the LLM when one is configured,
//! and dropped and written again when the conversation moves on meanwhile.

use std::time::Duration;

use axum::http::StatusCode;
use serde_json::Value;

use crate::backend_tests;
use crate::chat::{answer, say, start, tenant, Tenant, REFUNDS, SHIPPING};
use crate::desk::{inbox_ids, latest_conversation};
use crate::email_followup::messages_of;
use crate::fake_llm::{pieces, FakeLlm, Script, Wire};
use crate::support::{Db, TestApp};

/// The conversation a new visitor opened with `question`, and their token.
async fn asked(app: &TestApp, shop: &Tenant, question: &str) -> (String, String) {
    let token = start(app, &shop.key, None).await["token"].as_str().unwrap().to_string();
    say(app, &shop.key, &token, question).await.unwrap();
    (latest_conversation(app, &shop.workspace).await, token)
}

async fn draft(app: &TestApp, shop: &Tenant, conversation: &str) -> (StatusCode, Value) {
    let fields = [("workspace_id", shop.workspace.as_str()), ("conversation_id", conversation)];
    let drafted = app.call(&shop.session, "/api/desk/draft", &fields).await;
    let json = if drafted.status == StatusCode::OK { drafted.json() } else { Value::String(drafted.body.clone()) };
    (drafted.status, json)
}

async fn outcomes(app: &TestApp, conversation: &str) -> Vec<Option<String>> {
    sqlx::query_scalar("SELECT outcome FROM reply_drafts WHERE conversation_id = $1 ORDER BY created_at, id")
        .bind(conversation)
        .fetch_all(app.state.sql.pool())
        .await
        .unwrap()
}

async fn newest_visitor_message(app: &TestApp, conversation: &str) -> String {
    sqlx::query_scalar(
        "SELECT id FROM messages WHERE conversation_id = $1 AND author = 'visitor' ORDER BY created_at DESC LIMIT 1",
    )
    .bind(conversation)
    .fetch_one(app.state.sql.pool())
    .await
    .unwrap()
}

backend_tests! {
    async fn a_draft_is_grounded_never_sent_by_itself_and_its_fate_is_recorded(app) {
        let shop = tenant(&app, "drafts@example.com", &[("Refunds", REFUNDS), ("Shipping", SHIPPING)]).await;
        let (conversation, token) = asked(&app, &shop, "Can I get a refund on my annual plan?").await;
        let before = messages_of(&app, &conversation).await;

        let (status, first) = draft(&app, &shop, &conversation).await;
        assert_eq!(status, StatusCode::OK, "{first}");
        assert_eq!(first["written_by"], "offline");
        assert!(first["body"].as_str().unwrap().contains("30 days"), "{first}");
        let titles: Vec<&str> = first["citations"].as_array().unwrap().iter().map(|c| c["title"].as_str().unwrap()).collect();
        assert_eq!(titles, ["Refunds"], "{first}");
        assert_eq!(first["answers"], newest_visitor_message(&app, &conversation).await.as_str());
        assert_eq!(messages_of(&app, &conversation).await, before, "a draft reaches nobody until it is sent");

        // Sent as written (the box's whitespace aside).
        let ws = shop.workspace.as_str();
        let body = format!("{}\n", first["body"].as_str().unwrap());
        let reply = [("workspace_id", ws), ("conversation_id", &conversation), ("text", &body), ("draft_id", first["id"].as_str().unwrap())];
        let sent = app.call(&shop.session, "/api/desk/reply", &reply).await;
        assert_eq!(sent.status, StatusCode::OK, "{}", sent.body);
        assert_eq!(outcomes(&app, &conversation).await, [Some("sent".to_owned())]);

        // Edited before sending.
        say(&app, &shop.key, &token, "And how long until the money is back on my card?").await.unwrap();
        let (_, second) = draft(&app, &shop, &conversation).await;
        assert!(second["body"].as_str().unwrap().contains("5 business days"), "{second}");
        let edited = format!("Hi! {}", second["body"].as_str().unwrap());
        let reply = [("workspace_id", ws), ("conversation_id", &conversation), ("text", &edited), ("draft_id", second["id"].as_str().unwrap())];
        assert_eq!(app.call(&shop.session, "/api/desk/reply", &reply).await.status, StatusCode::OK);
        // A draft is decided once: sending with it again changes nothing.
        let again = [("workspace_id", ws), ("conversation_id", &conversation), ("text", "Anything else?"), ("draft_id", second["id"].as_str().unwrap())];
        assert_eq!(app.call(&shop.session, "/api/desk/reply", &again).await.status, StatusCode::OK);
        assert_eq!(outcomes(&app, &conversation).await, [Some("sent".to_owned()), Some("edited".to_owned())]);

        // A new draft replaces the one still open; the other is thrown away.
        say(&app, &shop.key, &token, "Do you refund monthly plans too?").await.unwrap();
        let (_, third) = draft(&app, &shop, &conversation).await;
        let (_, fourth) = draft(&app, &shop, &conversation).await;
        let discard = |id: &str| [("workspace_id", ws.to_owned()), ("draft_id", id.to_owned())];
        let call = |fields: [(&'static str, String); 2]| {
            let app = &app;
            let session = &shop.session;
            async move {
                let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
                app.call(session, "/api/desk/discard-draft", &fields).await.status
            }
        };
        assert_eq!(call(discard(fourth["id"].as_str().unwrap())).await, StatusCode::OK);
        assert_eq!(call(discard(fourth["id"].as_str().unwrap())).await, StatusCode::OK, "discarding twice is no error");
        assert_eq!(call(discard("no-such-draft")).await, StatusCode::NOT_FOUND);
        // Another workspace cannot throw it away, from its own workspace or this one.
        let other = tenant(&app, "drafts-elsewhere@example.com", &[]).await;
        let theirs = [("workspace_id", other.workspace.as_str()), ("draft_id", third["id"].as_str().unwrap())];
        assert_eq!(app.call(&other.session, "/api/desk/discard-draft", &theirs).await.status, StatusCode::NOT_FOUND);
        let mine = [("workspace_id", ws), ("draft_id", third["id"].as_str().unwrap())];
        assert_eq!(app.call(&other.session, "/api/desk/discard-draft", &mine).await.status, StatusCode::NOT_FOUND);
        assert_ne!(third["id"], fourth["id"]);
        let decided = outcomes(&app, &conversation).await;
        assert_eq!(decided[2..], [Some("discarded".to_owned()), Some("discarded".to_owned())]);

        // The inbox counts them for the team.
        let (_, inbox) = inbox_ids(&app, &shop.session, ws, &[]).await;
        assert_eq!(inbox["drafts"], serde_json::json!({ "sent": 1, "edited": 1, "discarded": 2 }));
    }

    async fn no_draft_without_a_question_the_knowledge_answers_and_drafting_is_paced(app) {
        let shop = tenant(&app, "drafts-none@example.com", &[("Refunds", REFUNDS)]).await;
        let (conversation, _) = asked(&app, &shop, "What is the tallest mountain in Peru?").await;
        let (status, body) = draft(&app, &shop, &conversation).await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert!(body.as_str().unwrap().contains("write this reply yourself"), "{body}");
        assert_eq!(outcomes(&app, &conversation).await, Vec::<Option<String>>::new(), "nothing recorded");

        // Another workspace's conversation is not found.
        let other = tenant(&app, "drafts-other@example.com", &[("Refunds", REFUNDS)]).await;
        let fields = [("workspace_id", other.workspace.as_str()), ("conversation_id", conversation.as_str())];
        assert_eq!(app.call(&other.session, "/api/desk/draft", &fields).await.status, StatusCode::NOT_FOUND);

        // A member may ask for ten at once (the first above), then one every few seconds.
        let mut statuses = Vec::new();
        for _ in 0..9 {
            statuses.push(draft(&app, &shop, &conversation).await.0);
        }
        assert_eq!(statuses, [StatusCode::CONFLICT; 9]);
        let fields = [("workspace_id", shop.workspace.as_str()), ("conversation_id", conversation.as_str())];
        let paced = app.call(&shop.session, "/api/desk/draft", &fields).await;
        assert_eq!(paced.status, StatusCode::TOO_MANY_REQUESTS, "{}", paced.body);
    }
}

/// With an LLM configured, the model writes the draft from the knowledge
/// and the conversation; a draft written while the visitor wrote again is
/// dropped and written anew for their newest message.
#[tokio::test]
async fn the_model_drafts_and_a_draft_overtaken_by_the_visitor_is_written_again() {
    let fake = FakeLlm::start(Wire::OpenAi).await;
    let mut llm = crate::llm::config_for(&fake);
    // The gate below holds the first draft open while the visitor writes.
    llm.gap_timeout = Duration::from_secs(20);
    llm.total_timeout = Duration::from_secs(30);
    let app = TestApp::builder(Db::Sqlite).config(move |c| c.llm = Some(llm)).build().await;
    let shop = tenant(&app, "drafts-llm@example.com", &[("Refunds", REFUNDS), ("Shipping", SHIPPING)]).await;
    let token = start(&app, &shop.key, None).await["token"].as_str().unwrap().to_string();
    answer(&say(&app, &shop.key, &token, "Can I get a refund on my annual plan?").await.unwrap());
    let conversation = latest_conversation(&app, &shop.workspace).await;
    let ws = shop.workspace.as_str();
    let fields = [("workspace_id", ws), ("conversation_id", conversation.as_str())];
    assert_eq!(app.call(&shop.session, "/api/desk/join", &fields).await.status, StatusCode::OK);
    let answered = fake.seen().len();

    fake.script([
        Script::Gated(pieces(&["Yes, ", "within 30 days [1]."])),
        Script::Answer(pieces(&["Express delivery ", "arrives the next business day [1]."])),
    ]);
    let drafting = draft(&app, &shop, &conversation);
    let overtaking = async {
        fake.until_seen(answered + 1, Duration::from_secs(15)).await;
        // With a person answering the bot is silent: only the draft calls the model.
        let held = say(&app, &shop.key, &token, "Also, how fast is express delivery?").await.unwrap();
        assert_eq!(held.last().unwrap().0, "held");
        fake.open_gate();
    };
    let ((status, drafted), ()) = tokio::join!(drafting, overtaking);
    assert_eq!(status, StatusCode::OK, "{drafted}");
    assert_eq!(drafted["written_by"], "openai");
    assert_eq!(drafted["body"], "Express delivery arrives the next business day.", "without markers pointing nowhere");
    assert_eq!(drafted["citations"][0]["title"], "Shipping");
    assert_eq!(drafted["answers"], newest_visitor_message(&app, &conversation).await.as_str());
    let seen = fake.seen();
    assert_eq!(seen.len(), answered + 2, "the overtaken draft was written again, once");
    let prompt = seen.last().unwrap().body.to_string();
    assert!(prompt.contains("how fast is express delivery"), "the second draft answers the newest message");
    assert!(prompt.contains("refund on my annual plan"), "with the conversation so far");
    assert_eq!(outcomes(&app, &conversation).await, [None], "only the draft returned is recorded");
}
