//! The support desk: a person takes a conversation over from the bot, the
//! visitor's push channel carries them live, the bot stays silent until
//! it is handed back; the channel resumes after a reconnect without losing
//! or repeating an entry; and across two server processes on one
//! PostgreSQL.

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{json, Value};
use tower::ServiceExt;

use crate::backend_tests;
use crate::chat::{address_of, answer, say, start, tenant, widget, REFUNDS, SHOP};
use crate::server_process::{free_port, ServerProcess};
use crate::support::{PgDatabase, TestApp};

/// An entry of a live channel: its number, kind and payload.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub seq: i64,
    pub kind: String,
    pub data: Value,
}

/// How long a test waits for an entry that should come before it fails
/// (a bound on a hang, never a pause: entries are read as they arrive).
const PATIENCE: Duration = Duration::from_secs(20);

/// Server-Sent Events read as they arrive, from any body of bytes.
pub(crate) struct Channel<S> {
    chunks: S,
    buffer: String,
}

impl<S, E> Channel<S>
where
    S: futures_util::Stream<Item = Result<bytes::Bytes, E>> + Unpin,
    E: std::fmt::Debug,
{
    pub fn new(chunks: S) -> Self {
        Channel { chunks, buffer: String::new() }
    }

    /// The next journal entry.
    pub async fn next(&mut self) -> Entry {
        let (id, kind, data) = self.event().await;
        let seq = id.expect("a journal entry is numbered").parse().unwrap();
        Entry { seq, kind, data: serde_json::from_str(&data).unwrap() }
    }

    /// The next event's id (when it has one), kind and data; keep-alive
    /// comments skipped.
    pub async fn event(&mut self) -> (Option<String>, String, String) {
        use futures_util::StreamExt;
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let frame: String = self.buffer.drain(..end + 2).collect();
                let field = |name: &str| {
                    frame.lines().find_map(|l| l.strip_prefix(name).or_else(|| l.strip_prefix(name.trim_end())))
                };
                let (Some(kind), Some(data)) = (field("event: "), field("data: ")) else {
                    continue;
                };
                return (field("id: ").map(str::to_owned), kind.to_owned(), data.to_owned());
            }
            let chunk = tokio::time::timeout(PATIENCE, self.chunks.next())
                .await
                .unwrap_or_else(|_| panic!("no entry within {PATIENCE:?}; so far: {:?}", self.buffer))
                .expect("the channel stays open")
                .expect("the channel reads");
            self.buffer.push_str(&String::from_utf8_lossy(&chunk));
        }
    }

    /// The next `n` entries.
    pub async fn take(&mut self, n: usize) -> Vec<Entry> {
        let mut entries = Vec::new();
        for _ in 0..n {
            entries.push(self.next().await);
        }
        entries
    }
}

pub(crate) type BodyChunks =
    std::pin::Pin<Box<dyn futures_util::Stream<Item = Result<bytes::Bytes, axum::Error>> + Send>>;

/// Opens the visitor's push channel after entry `after`.
async fn visitor_channel(app: &TestApp, key: &str, token: &str, after: i64) -> Channel<BodyChunks> {
    let request = Request::post(format!("/api/widget/v1/{key}/events"))
        .header("origin", SHOP)
        .header("sec-fetch-site", "cross-site")
        .header("content-type", "text/plain;charset=UTF-8")
        .extension(axum::extract::ConnectInfo(address_of(token)))
        .body(Body::from(json!({ "token": token, "after": after }).to_string()))
        .unwrap();
    let response = app.router.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["access-control-allow-origin"], SHOP);
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/event-stream"));
    let chunks = response.into_body().into_data_stream();
    Channel::new(Box::pin(chunks) as BodyChunks)
}

/// Opens an agent's live view of a conversation (`Last-Event-ID` when resuming).
pub(crate) async fn agent_channel(
    app: &TestApp,
    cookie: &str,
    workspace: &str,
    conversation: &str,
    resume: Option<i64>,
) -> Result<Channel<BodyChunks>, StatusCode> {
    let mut request =
        Request::get(format!("/api/w/{workspace}/conversations/{conversation}/events")).header("cookie", cookie);
    if let Some(seq) = resume {
        request = request.header("last-event-id", seq.to_string());
    }
    let response = app.router.clone().oneshot(request.body(Body::empty()).unwrap()).await.unwrap();
    if response.status() != StatusCode::OK {
        return Err(response.status());
    }
    Ok(Channel::new(Box::pin(response.into_body().into_data_stream()) as BodyChunks))
}

/// Opens an agent's live inbox of the workspace.
pub(crate) async fn inbox_channel(
    app: &TestApp,
    cookie: &str,
    workspace: &str,
) -> Result<Channel<BodyChunks>, StatusCode> {
    board_channel(app, cookie, workspace, "inbox").await
}

/// Opens a member's live changes of the workspace's `board` ("inbox", "tickets").
pub(crate) async fn board_channel(
    app: &TestApp,
    cookie: &str,
    workspace: &str,
    board: &str,
) -> Result<Channel<BodyChunks>, StatusCode> {
    let request = Request::get(format!("/api/w/{workspace}/{board}/events")).header("cookie", cookie);
    let response = app.router.clone().oneshot(request.body(Body::empty()).unwrap()).await.unwrap();
    if response.status() != StatusCode::OK {
        return Err(response.status());
    }
    Ok(Channel::new(Box::pin(response.into_body().into_data_stream()) as BodyChunks))
}

/// Reads the inbox's live changes until one names `conversation`.
async fn until_changed(inbox: &mut Channel<BodyChunks>, conversation: &str) {
    loop {
        let (_, kind, data) = inbox.event().await;
        assert_eq!(kind, "changed");
        if data == conversation {
            return;
        }
    }
}

/// The inbox's conversation ids, in order, for `view`.
pub(crate) async fn inbox_ids(
    app: &TestApp,
    session: &crate::support::Session,
    workspace: &str,
    more: &[(&str, &str)],
) -> (Vec<String>, Value) {
    let mut fields = vec![("workspace_id", workspace)];
    fields.extend_from_slice(more);
    let listed = app.call(session, "/api/desk/inbox", &fields).await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.body);
    let json = listed.json();
    let ids = json["items"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap().to_owned()).collect();
    (ids, json)
}

pub(crate) async fn latest_conversation(app: &TestApp, workspace: &str) -> String {
    sqlx::query_scalar("SELECT id FROM conversations WHERE workspace_id = $1 ORDER BY created_at DESC LIMIT 1")
        .bind(workspace)
        .fetch_one(app.state.sql.pool())
        .await
        .unwrap()
}

backend_tests! {
    async fn a_person_takes_over_the_visitor_hears_them_live_and_the_bot_waits_until_handed_back(app) {
        let shop = tenant(&app, "desk@example.com", &[("Refunds", REFUNDS)]).await;
        let token = start(&app, &shop.key, None).await["token"].as_str().unwrap().to_string();
        // Before the first message there is nothing to follow.
        let early = widget(&app, "POST", &format!("/api/widget/v1/{}/events", shop.key), Some(SHOP), Some(json!({ "token": token }))).await;
        assert_eq!(early.status, StatusCode::NO_CONTENT, "{}", early.body);

        answer(&say(&app, &shop.key, &token, "Can I get a refund on my annual plan?").await.unwrap());
        let conversation = latest_conversation(&app, &shop.workspace).await;
        let mut visitor = visitor_channel(&app, &shop.key, &token, 0).await;
        let history = visitor.take(2).await;
        assert_eq!(history.iter().map(|e| (e.seq, e.kind.as_str(), e.data["author"].as_str().unwrap())).collect::<Vec<_>>(),
            [(1, "message", "visitor"), (2, "message", "bot")]);

        // The owner joins from the dashboard: the visitor hears it.
        let workspace = shop.workspace.as_str();
        let fields = [("workspace_id", workspace), ("conversation_id", conversation.as_str())];
        let joined = app.call(&shop.session, "/api/desk/join", &fields).await;
        assert_eq!(joined.status, StatusCode::OK, "{}", joined.body);
        assert_eq!(joined.json()["seq"], 3);
        let name = joined.json()["assignee"]["name"].as_str().unwrap().to_string();
        let entry = visitor.next().await;
        assert_eq!((entry.seq, entry.kind.as_str()), (3, "joined"));
        assert_eq!(entry.data["agent"]["name"], name.as_str());
        // Joining again changes nothing and tells no one.
        let again = app.call(&shop.session, "/api/desk/join", &fields).await;
        assert_eq!(again.json()["seq"], 3, "{}", again.body);

        // While a person answers, the bot is silent and nothing is charged.
        let used = || async {
            sqlx::query_scalar::<_, i64>("SELECT bot_messages FROM usage_monthly WHERE workspace_id = $1")
                .bind(workspace).fetch_one(app.state.sql.pool()).await.unwrap()
        };
        let charged = used().await;
        let mut agent = agent_channel(&app, &shop.session.cookie, workspace, &conversation, Some(3)).await.unwrap();
        let held = say(&app, &shop.key, &token, "Thanks, I'll wait for you").await.unwrap();
        assert_eq!(held.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(), ["received", "held"]);
        assert_eq!(used().await, charged);
        let heard = agent.next().await;
        assert_eq!((heard.seq, heard.kind.as_str(), heard.data["body"].as_str()), (4, "message", Some("Thanks, I'll wait for you")));
        assert_eq!(visitor.next().await.seq, 4, "the visitor's own message is on their channel too");

        // Typing reaches the other side, unnumbered: it is no entry of the journal.
        // Nobody hears their own (the entries below would find it first).
        let typing = app.call(&shop.session, "/api/desk/typing", &fields).await;
        assert_eq!(typing.status, StatusCode::OK, "{}", typing.body);
        let (id, kind, data) = visitor.event().await;
        assert_eq!((id, kind.as_str()), (None, "typing"));
        assert_eq!(serde_json::from_str::<Value>(&data).unwrap()["agent"]["name"], name.as_str());
        let typed = widget(&app, "POST", &format!("/api/widget/v1/{}/typing", shop.key), Some(SHOP), Some(json!({ "token": token }))).await;
        assert_eq!(typed.status, StatusCode::NO_CONTENT, "{}", typed.body);
        let (_, kind, data) = agent.event().await;
        assert_eq!((kind.as_str(), data.as_str()), ("typing", r#"{"agent":null}"#), "the visitor is typing");

        // The person's reply reaches the visitor live, signed with their name.
        let reply = [("workspace_id", workspace), ("conversation_id", conversation.as_str()), ("text", "  Hi, I'm looking at your refund now. ")];
        let sent = app.call(&shop.session, "/api/desk/reply", &reply).await;
        assert_eq!(sent.status, StatusCode::OK, "{}", sent.body);
        let entry = visitor.next().await;
        assert_eq!((entry.seq, entry.kind.as_str()), (5, "message"));
        assert_eq!(entry.data["author"], "agent");
        assert_eq!(entry.data["author_name"], name.as_str());
        assert_eq!(entry.data["body"], "Hi, I'm looking at your refund now.");
        assert_eq!(agent.next().await.seq, 5);

        // A reconnect resumes after the last entry seen: nothing lost, nothing twice.
        drop(visitor);
        let reply = [("workspace_id", workspace), ("conversation_id", conversation.as_str()), ("text", "Done: it is on its way.")];
        assert_eq!(app.call(&shop.session, "/api/desk/reply", &reply).await.status, StatusCode::OK);
        let mut visitor = visitor_channel(&app, &shop.key, &token, 5).await;
        let entry = visitor.next().await;
        assert_eq!((entry.seq, entry.data["body"].as_str()), (6, Some("Done: it is on its way.")));
        let session = start(&app, &shop.key, Some(&token)).await;
        assert_eq!((session["seq"].as_i64(), session["agent"].as_str()), (Some(6), Some(name.as_str())), "a reload knows where the channel stands and who answers");
        let authors: Vec<&str> = session["messages"].as_array().unwrap().iter().map(|m| m["author"].as_str().unwrap()).collect();
        assert_eq!(authors, ["visitor", "bot", "visitor", "agent", "agent"], "a reload shows the person's replies");

        // Handed back, the bot answers again.
        let back = app.call(&shop.session, "/api/desk/hand-back", &fields).await;
        assert_eq!(back.status, StatusCode::OK, "{}", back.body);
        assert!(back.json()["assignee"].is_null());
        let entry = visitor.next().await;
        assert_eq!((entry.seq, entry.kind.as_str()), (7, "handed_back"));
        answer(&say(&app, &shop.key, &token, "How long does a refund take to reach my card?").await.unwrap());
        assert_eq!(used().await, charged + 1);

        // An empty reply is refused and nothing is stored.
        let empty = [("workspace_id", workspace), ("conversation_id", conversation.as_str()), ("text", " \n ")];
        let refused = app.call(&shop.session, "/api/desk/reply", &empty).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
    }

    async fn the_inbox_puts_waiting_visitors_first_counts_unread_and_follows_the_workspace_live(app) {
        let shop = tenant(&app, "inbox@example.com", &[("Refunds", REFUNDS)]).await;
        let workspace = shop.workspace.as_str();
        let mut live = inbox_channel(&app, &shop.session.cookie, workspace).await.unwrap();
        let mut visitors = Vec::new();
        let mut conversations = Vec::new();
        for question in ["Can I get a refund?", "How do refunds work?", "What is the refund window?"] {
            let token = start(&app, &shop.key, None).await["token"].as_str().unwrap().to_string();
            answer(&say(&app, &shop.key, &token, question).await.unwrap());
            let conversation = latest_conversation(&app, workspace).await;
            // The first message of a new conversation reaches the inbox live.
            until_changed(&mut live, &conversation).await;
            visitors.push(token);
            conversations.push(conversation);
        }
        let (bot, first_waiting, second_waiting) = (&conversations[0], &conversations[1], &conversations[2]);
        // Two visitors ask for a person, one after the other; asking reaches the inbox live.
        // Each learns their place in line and that someone is at the desk (the owner's
        // open inbox); no wait is expected yet, as nobody has joined anyone.
        let ask_for_a_person = |token: String| {
            let app = &app;
            let path = format!("/api/widget/v1/{}/handoff", shop.key);
            async move { widget(app, "POST", &path, Some(SHOP), Some(json!({ "token": token }))).await }
        };
        for (place, token, conversation) in [(1, &visitors[1], first_waiting), (2, &visitors[2], second_waiting)] {
            let handoff = ask_for_a_person(token.clone()).await;
            assert_eq!(handoff.status, StatusCode::OK, "{}", handoff.body);
            assert_eq!(handoff.json()["queue"], json!({ "online": 1, "position": place, "expected_wait_secs": null, "back_at": null }));
            until_changed(&mut live, conversation).await;
        }
        let reloaded = start(&app, &shop.key, Some(&visitors[2])).await;
        assert_eq!(reloaded["queue"]["position"], 2, "a reload knows the place in line");

        // Waiting visitors first, the one waiting longest first; then the bot's.
        let (ids, inbox) = inbox_ids(&app, &shop.session, workspace, &[]).await;
        assert_eq!(ids, [first_waiting.as_str(), second_waiting.as_str(), bot.as_str()]);
        assert_eq!(inbox["counts"], json!({ "open": 3, "waiting": 2, "mine": 0, "unassigned": 3, "unread": 3 }));
        assert!(inbox["items"][0]["waiting_since"].as_i64().is_some() && inbox["items"][2]["waiting_since"].is_null());
        assert_eq!(inbox["items"][0]["flag"], "asked_for_human");
        assert_eq!(inbox["items"][0]["unread"], 1);
        assert_eq!(inbox_ids(&app, &shop.session, workspace, &[("view", "waiting")]).await.0, [first_waiting.as_str(), second_waiting.as_str()]);

        // Opening a conversation reads it; the visitor's next message is unread again.
        let fields = [("workspace_id", workspace), ("conversation_id", first_waiting.as_str())];
        let opened = app.call(&shop.session, "/api/desk/open", &fields).await;
        assert_eq!(opened.status, StatusCode::OK, "{}", opened.body);
        assert_eq!(opened.json()["transcript"]["messages"].as_array().unwrap().len(), 2);
        assert!(opened.json()["assignee"].is_null());
        assert_eq!(opened.json()["seq"], 2);
        let (_, inbox) = inbox_ids(&app, &shop.session, workspace, &[]).await;
        assert_eq!((inbox["items"][0]["unread"].as_i64(), inbox["counts"]["unread"].as_i64()), (Some(0), Some(2)));
        answer(&say(&app, &shop.key, &visitors[1], "Hello? Anyone there?").await.unwrap());
        let (_, inbox) = inbox_ids(&app, &shop.session, workspace, &[]).await;
        assert_eq!(inbox["items"][0]["unread"], 1, "read up to the opening only");
        assert_eq!(app.call(&shop.session, "/api/desk/read", &fields).await.status, StatusCode::OK);
        let (_, inbox) = inbox_ids(&app, &shop.session, workspace, &[]).await;
        assert_eq!(inbox["items"][0]["unread"], 0);

        // Joining moves it to the agent's own and out of waiting.
        let joined = app.call(&shop.session, "/api/desk/join", &[("workspace_id", workspace), ("conversation_id", second_waiting.as_str())]).await;
        assert_eq!(joined.status, StatusCode::OK, "{}", joined.body);
        let (ids, inbox) = inbox_ids(&app, &shop.session, workspace, &[]).await;
        assert_eq!(ids, [first_waiting.as_str(), second_waiting.as_str(), bot.as_str()], "waiting, then mine, then the bot's");
        assert_eq!((inbox["counts"]["waiting"].as_i64(), inbox["counts"]["mine"].as_i64()), (Some(1), Some(1)));
        assert_eq!(inbox_ids(&app, &shop.session, workspace, &[("view", "mine")]).await.0, [second_waiting.as_str()]);
        let by_owner = [("assignee", shop.session.user_id.as_str())];
        assert_eq!(inbox_ids(&app, &shop.session, workspace, &by_owner).await.0, [second_waiting.as_str()]);
        assert_eq!(inbox["items"][1]["assignee"]["id"], shop.session.user_id.as_str());
        // Someone has now been joined after a wait: the next in line is told the usual wait.
        let handoff = ask_for_a_person(visitors[0].clone()).await;
        let queue = &handoff.json()["queue"];
        assert_eq!((queue["online"].as_i64(), queue["position"].as_i64()), (Some(1), Some(2)), "{queue}");
        assert!(queue["expected_wait_secs"].as_i64().is_some_and(|secs| secs < 60), "{queue}");
        assert!(reloaded["queue"].is_object() && start(&app, &shop.key, Some(&visitors[2])).await["queue"].is_null(), "once joined, nobody waits");

        // Resolving takes it out of the open views and hands it back; the visitor's next message reopens it.
        let resolve = [("workspace_id", workspace), ("conversation_id", second_waiting.as_str())];
        let resolved = app.call(&shop.session, "/api/desk/resolve", &resolve).await;
        assert_eq!(resolved.status, StatusCode::OK, "{}", resolved.body);
        assert!(resolved.json()["assignee"].is_null());
        let mut visitor = visitor_channel(&app, &shop.key, &visitors[2], 3).await;
        let heard: Vec<String> = visitor.take(2).await.into_iter().map(|e| e.kind).collect();
        assert_eq!(heard, ["handed_back", "resolved"], "the visitor hears the assistant is back");
        assert_eq!(inbox_ids(&app, &shop.session, workspace, &[("view", "resolved")]).await.0, [second_waiting.as_str()]);
        let (ids, inbox) = inbox_ids(&app, &shop.session, workspace, &[]).await;
        assert_eq!(ids, [first_waiting.as_str(), bot.as_str()]);
        assert_eq!(inbox["counts"]["open"], 2);
        let again = app.call(&shop.session, "/api/desk/resolve", &resolve).await;
        assert_eq!(again.status, StatusCode::OK, "resolving twice is harmless: {}", again.body);
        answer(&say(&app, &shop.key, &visitors[2], "Actually, one more question about refunds").await.unwrap());
        let (ids, _) = inbox_ids(&app, &shop.session, workspace, &[]).await;
        assert!(ids.contains(second_waiting), "a message reopens it");

        // A bad view is refused with the field named.
        let bad = app.call(&shop.session, "/api/desk/inbox", &[("workspace_id", workspace), ("view", "everything")]).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    }

    async fn read_receipts_tell_each_side_what_the_other_has_seen_once(app) {
        let shop = tenant(&app, "receipts@example.com", &[("Refunds", REFUNDS)]).await;
        let workspace = shop.workspace.as_str();
        let token = start(&app, &shop.key, None).await["token"].as_str().unwrap().to_string();
        let seen_path = format!("/api/widget/v1/{}/seen", shop.key);
        let visitor_saw = || widget(&app, "POST", &seen_path, Some(SHOP), Some(json!({ "token": token })));
        // Before there is a conversation, seeing is harmless.
        assert_eq!(visitor_saw().await.status, StatusCode::NO_CONTENT);
        let asked = answer(&say(&app, &shop.key, &token, "Can I get a refund on my annual plan?").await.unwrap());
        let conversation = latest_conversation(&app, workspace).await;
        let fields = [("workspace_id", workspace), ("conversation_id", conversation.as_str())];
        let journal_seq = || async {
            sqlx::query_scalar::<_, i64>("SELECT journal_seq FROM conversations WHERE id = $1")
                .bind(&conversation).fetch_one(app.state.sql.pool()).await.unwrap()
        };
        // While the assistant answers, someone browsing the inbox tells the visitor nothing.
        assert_eq!(app.call(&shop.session, "/api/desk/read", &fields).await.status, StatusCode::OK);
        assert_eq!(journal_seq().await, 2);
        assert_eq!(start(&app, &shop.key, Some(&token)).await["seen"], false);

        // Once a person answers, their reading is news to the visitor: once.
        assert_eq!(app.call(&shop.session, "/api/desk/join", &fields).await.json()["seq"], 3);
        let mut visitor = visitor_channel(&app, &shop.key, &token, 3).await;
        let mut agent = agent_channel(&app, &shop.session.cookie, workspace, &conversation, Some(3)).await.unwrap();
        assert_eq!(app.call(&shop.session, "/api/desk/read", &fields).await.status, StatusCode::OK);
        let receipt = visitor.next().await;
        let first_asked = sqlx::query_scalar::<_, i64>("SELECT MIN(created_at) FROM messages WHERE conversation_id = $1")
            .bind(&conversation).fetch_one(app.state.sql.pool()).await.unwrap();
        assert_eq!((receipt.seq, receipt.kind.as_str()), (4, "seen"));
        assert_eq!(receipt.data, json!({ "by": "team", "at": first_asked }));
        assert!(asked["message"]["created_at"].as_i64().unwrap() >= first_asked);
        assert_eq!(start(&app, &shop.key, Some(&token)).await["seen"], true, "a reload still says Seen");
        assert_eq!(app.call(&shop.session, "/api/desk/read", &fields).await.status, StatusCode::OK);
        assert_eq!(journal_seq().await, 4, "reading again is no news");

        // The visitor's next message is not seen yet.
        say(&app, &shop.key, &token, "Great, thanks. I'll wait.").await.unwrap();
        assert_eq!(start(&app, &shop.key, Some(&token)).await["seen"], false);

        // The person's reply, shown by the widget: the person sees "Seen", once.
        let reply = [("workspace_id", workspace), ("conversation_id", conversation.as_str()), ("text", "It's on its way.")];
        let sent = app.call(&shop.session, "/api/desk/reply", &reply).await.json();
        assert_eq!(visitor_saw().await.status, StatusCode::NO_CONTENT);
        let entries = agent.take(4).await;
        assert_eq!(entries.iter().map(|e| (e.seq, e.kind.as_str())).collect::<Vec<_>>(),
            [(4, "seen"), (5, "message"), (6, "message"), (7, "seen")]);
        assert_eq!(entries[3].data, json!({ "by": "visitor", "at": sent["created_at"] }));
        assert_eq!(visitor_saw().await.status, StatusCode::NO_CONTENT);
        assert_eq!(journal_seq().await, 7, "seeing again is no news");
        let (claims, _) = token.rsplit_once('.').unwrap();
        let forged = widget(&app, "POST", &seen_path, Some(SHOP), Some(json!({ "token": format!("{claims}.AAAA") }))).await;
        assert_eq!(forged.status, StatusCode::UNAUTHORIZED);
        let opened = app.call(&shop.session, "/api/desk/open", &fields).await.json();
        assert_eq!(opened["visitor_seen_at"], sent["created_at"], "the desk opens knowing what the visitor saw");
    }

    async fn a_person_who_resolves_asks_once_for_a_rating_and_sees_it_live(app) {
        let shop = tenant(&app, "ratings@example.com", &[("Refunds", REFUNDS)]).await;
        let workspace = shop.workspace.as_str();
        let token = start(&app, &shop.key, None).await["token"].as_str().unwrap().to_string();
        answer(&say(&app, &shop.key, &token, "Can I get a refund on my annual plan?").await.unwrap());
        let conversation = latest_conversation(&app, workspace).await;
        let fields = [("workspace_id", workspace), ("conversation_id", conversation.as_str())];
        let reply = [("workspace_id", workspace), ("conversation_id", conversation.as_str()), ("text", "Done: refunded.")];
        assert_eq!(app.call(&shop.session, "/api/desk/reply", &reply).await.status, StatusCode::OK);
        // Opened (and so read): the channels start after everything so far.
        assert_eq!(app.call(&shop.session, "/api/desk/open", &fields).await.status, StatusCode::OK);
        let seq: i64 = sqlx::query_scalar("SELECT journal_seq FROM conversations WHERE id = $1")
            .bind(&conversation).fetch_one(app.state.sql.pool()).await.unwrap();
        let mut visitor = visitor_channel(&app, &shop.key, &token, seq).await;
        let mut agent = agent_channel(&app, &shop.session.cookie, workspace, &conversation, Some(seq)).await.unwrap();
        let rating_path = format!("/api/widget/v1/{}/rating", shop.key);
        let rate = |body: Value| widget(&app, "POST", &rating_path, Some(SHOP), Some(body));
        // Not asked yet: nothing to rate.
        assert_eq!(rate(json!({ "token": token, "score": 5 })).await.status, StatusCode::CONFLICT);

        // Resolving asks the visitor, who hears it live and again after a reload.
        assert_eq!(app.call(&shop.session, "/api/desk/resolve", &fields).await.status, StatusCode::OK);
        let heard = visitor.take(2).await;
        assert_eq!(heard.iter().map(|e| e.kind.as_str()).collect::<Vec<_>>(), ["handed_back", "resolved"]);
        assert_eq!(heard[1].data["ask_rating"], true);
        assert_eq!(start(&app, &shop.key, Some(&token)).await["rating_asked"], true);

        // Out of range or too long: clear refusals, nothing kept.
        let refused = rate(json!({ "token": token, "score": 6 })).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
        let refused = rate(json!({ "token": token, "score": 4, "comment": "x".repeat(1001) })).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);

        // Rated once: the person sees it live, on the conversation and in their own average.
        let rated = rate(json!({ "token": token, "score": 4, "comment": "  Quick and kind\u{7} " })).await;
        assert_eq!(rated.status, StatusCode::OK, "{}", rated.body);
        let entries = agent.take(3).await;
        assert_eq!(entries[2].kind, "rated");
        assert_eq!(entries[2].data, json!({ "score": 4, "comment": "Quick and kind" }));
        let opened = app.call(&shop.session, "/api/desk/open", &fields).await.json();
        assert_eq!(opened["rating"], json!({ "score": 4, "comment": "Quick and kind" }));
        let inbox = app.call(&shop.session, "/api/desk/inbox", &[("workspace_id", workspace)]).await.json();
        assert_eq!(inbox["my_ratings"], json!({ "count": 1, "average": 4.0 }));
        assert_eq!(rate(json!({ "token": token, "score": 1 })).await.status, StatusCode::CONFLICT, "once");
        assert_eq!(start(&app, &shop.key, Some(&token)).await["rating_asked"], false);

        // Reopened and resolved again: a rated conversation is not asked twice.
        say(&app, &shop.key, &token, "One more thing about my invoice").await.unwrap();
        assert_eq!(app.call(&shop.session, "/api/desk/join", &fields).await.status, StatusCode::OK);
        assert_eq!(app.call(&shop.session, "/api/desk/resolve", &fields).await.status, StatusCode::OK);
        assert_eq!(start(&app, &shop.key, Some(&token)).await["rating_asked"], false);

        // An agent may resolve without asking; and nobody rates what only the assistant answered.
        for (person_answered, skip) in [(true, "true"), (false, "false")] {
            let other = start(&app, &shop.key, None).await["token"].as_str().unwrap().to_string();
            answer(&say(&app, &shop.key, &other, "Where is my parcel?").await.unwrap());
            let id = latest_conversation(&app, workspace).await;
            let these = [("workspace_id", workspace), ("conversation_id", id.as_str())];
            if person_answered {
                assert_eq!(app.call(&shop.session, "/api/desk/join", &these).await.status, StatusCode::OK);
            }
            let resolved = [("workspace_id", workspace), ("conversation_id", id.as_str()), ("skip_rating", skip)];
            assert_eq!(app.call(&shop.session, "/api/desk/resolve", &resolved).await.status, StatusCode::OK);
            assert_eq!(start(&app, &shop.key, Some(&other)).await["rating_asked"], false, "{person_answered}");
            let refused = widget(&app, "POST", &format!("/api/widget/v1/{}/rating", shop.key), Some(SHOP), Some(json!({ "token": other, "score": 5 }))).await;
            assert_eq!(refused.status, StatusCode::CONFLICT);
        }
    }

    async fn another_workspace_can_neither_take_over_nor_watch_a_conversation(app) {
        let shop = tenant(&app, "desk-owner@example.com", &[("Refunds", REFUNDS)]).await;
        let token = start(&app, &shop.key, None).await["token"].as_str().unwrap().to_string();
        answer(&say(&app, &shop.key, &token, "Can I get a refund?").await.unwrap());
        let conversation = latest_conversation(&app, &shop.workspace).await;
        let other = app.verified_user("desk-intruder@example.com", "business").await;
        let theirs = app.workspace_of(&other).await;
        for workspace in [shop.workspace.as_str(), theirs.as_str()] {
            let fields = [("workspace_id", workspace), ("conversation_id", conversation.as_str())];
            for path in ["/api/desk/join", "/api/desk/hand-back"] {
                let response = app.call(&other, path, &fields).await;
                assert!(matches!(response.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND), "{path} in {workspace}: {}", response.status);
            }
            let reply = [("workspace_id", workspace), ("conversation_id", conversation.as_str()), ("text", "hello")];
            let response = app.call(&other, "/api/desk/reply", &reply).await;
            assert!(matches!(response.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND), "reply in {workspace}: {}", response.status);
            let watched = agent_channel(&app, &other.cookie, workspace, &conversation, None).await.err();
            assert!(matches!(watched, Some(StatusCode::FORBIDDEN | StatusCode::NOT_FOUND)), "watch in {workspace}: {watched:?}");
            let inbox = inbox_channel(&app, &other.cookie, workspace).await.err();
            let tickets = board_channel(&app, &other.cookie, workspace, "tickets").await.err();
            if workspace == shop.workspace {
                assert!(matches!(inbox, Some(StatusCode::FORBIDDEN | StatusCode::NOT_FOUND)), "inbox in {workspace}: {inbox:?}");
                assert!(matches!(tickets, Some(StatusCode::FORBIDDEN | StatusCode::NOT_FOUND)), "tickets in {workspace}: {tickets:?}");
                let listed = app.call(&other, "/api/desk/inbox", &[("workspace_id", workspace)]).await;
                assert!(matches!(listed.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND), "{}", listed.status);
            }
            for path in ["/api/desk/open", "/api/desk/read", "/api/desk/resolve", "/api/desk/typing"] {
                let response = app.call(&other, path, &fields).await;
                assert!(matches!(response.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND), "{path} in {workspace}: {}", response.status);
            }
        }
        let assignee: Option<String> = sqlx::query_scalar("SELECT assignee_id FROM conversations WHERE id = $1")
            .bind(&conversation).fetch_one(app.state.sql.pool()).await.unwrap();
        assert_eq!(assignee, None, "the bot still answers");
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM messages WHERE conversation_id = $1")
            .bind(&conversation).fetch_one(app.state.sql.pool()).await.unwrap();
        assert_eq!(count, 2, "nothing was written");
    }
}

/// A visitor's request to `server` from a page on `origin`, as the widget sends it.
fn from_page(server: &ServerProcess, origin: &str, path: &str, body: Value) -> reqwest::RequestBuilder {
    server
        .request(reqwest::Method::POST, path)
        .header("origin", origin)
        .header("sec-fetch-site", "cross-site")
        .header("content-type", "text/plain;charset=UTF-8")
        .body(body.to_string())
}

type ReqwestChunks = std::pin::Pin<Box<dyn futures_util::Stream<Item = Result<bytes::Bytes, reqwest::Error>> + Send>>;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_on_one_server_process_reaches_a_visitor_on_another_through_postgresql() {
    let database = PgDatabase::create().await;
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let port_a = free_port();
    let site = format!("http://127.0.0.1:{port_a}");
    let shared = [("DATABASE_URL", database.url.as_str()), ("PUBLIC_URL", site.as_str())];
    // One after the other: the first migrates and seeds the demo.
    let a = ServerProcess::start(dir_a.path(), port_a, &shared).await;
    let b = ServerProcess::start(dir_b.path(), free_port(), &shared).await;

    // The demo shop's page holds its widget key; the visitor talks to B.
    let page = a.get("/demo").await.text().await.unwrap();
    let key =
        page.split("data-key=\"").nth(1).and_then(|rest| rest.split('"').next()).expect("the demo page names its key");
    let api = format!("/api/widget/v1/{key}");
    let session =
        from_page(&b, &site, &format!("{api}/session"), json!({})).send().await.unwrap().bytes().await.unwrap();
    let session: Value = serde_json::from_slice(&session).unwrap();
    let token = session["token"].as_str().expect("a visitor token").to_string();
    let asked = from_page(
        &b,
        &site,
        &format!("{api}/messages"),
        json!({ "token": token, "text": "Can I speak to someone about my order?" }),
    );
    let streamed = asked.send().await.unwrap().text().await.unwrap();
    assert!(streamed.contains("event: done"), "{streamed}");
    let opened =
        from_page(&b, &site, &format!("{api}/events"), json!({ "token": token, "after": 2 })).send().await.unwrap();
    assert_eq!(opened.status(), 200);
    let mut visitor = Channel::new(Box::pin(opened.bytes_stream()) as ReqwestChunks);

    // The agent works on A.
    let (cookie, workspace) = a.demo_owner().await;
    let listed =
        a.form("/api/chat/conversations", &cookie, &[("workspace_id", &workspace)]).await.bytes().await.unwrap();
    let listed: Value = serde_json::from_slice(&listed).unwrap();
    let conversation = listed[0]["id"].as_str().expect("the visitor's conversation is listed").to_string();
    let fields = [("workspace_id", workspace.as_str()), ("conversation_id", conversation.as_str())];
    let joined = a.form("/api/desk/join", &cookie, &fields).await;
    assert_eq!(joined.status(), 200);
    let entry = visitor.next().await;
    assert_eq!((entry.seq, entry.kind.as_str()), (3, "joined"), "{entry:?}");

    let watching = a
        .request(reqwest::Method::GET, &format!("/api/w/{workspace}/conversations/{conversation}/events"))
        .header("cookie", &cookie)
        .header("last-event-id", "3")
        .send()
        .await
        .unwrap();
    assert_eq!(watching.status(), 200);
    let mut agent = Channel::new(Box::pin(watching.bytes_stream()) as ReqwestChunks);

    let reply = [
        ("workspace_id", workspace.as_str()),
        ("conversation_id", conversation.as_str()),
        ("text", "Hi, it's Demo here. Which order is it?"),
    ];
    assert_eq!(a.form("/api/desk/reply", &cookie, &reply).await.status(), 200);
    let entry = visitor.next().await;
    assert_eq!(
        (entry.seq, entry.data["author"].as_str(), entry.data["body"].as_str()),
        (4, Some("agent"), Some("Hi, it's Demo here. Which order is it?"))
    );
    assert_eq!(agent.next().await.seq, 4);

    // The visitor answers on B; the agent on A reads it, and the bot stays silent.
    let said = from_page(
        &b,
        &site,
        &format!("{api}/messages"),
        json!({ "token": token, "text": "Order 1042, the blue jacket" }),
    );
    let streamed = said.send().await.unwrap().text().await.unwrap();
    assert!(streamed.contains("event: held") && !streamed.contains("event: done"), "{streamed}");
    let entry = agent.next().await;
    assert_eq!(
        (entry.seq, entry.data["author"].as_str(), entry.data["body"].as_str()),
        (5, Some("visitor"), Some("Order 1042, the blue jacket"))
    );
    assert_eq!(visitor.next().await.seq, 5);

    // The tickets too: a ticket opened on B reaches the tickets page on A.
    let following = a
        .request(reqwest::Method::GET, &format!("/api/w/{workspace}/tickets/events"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(following.status(), 200);
    let mut tickets = Channel::new(Box::pin(following.bytes_stream()) as ReqwestChunks);
    let fields = [("workspace_id", workspace.as_str()), ("subject", "Blue jacket exchange"), ("priority", "high")];
    let created = b.form("/api/tickets/create", &cookie, &fields).await.bytes().await.unwrap();
    let created: Value = serde_json::from_slice(&created).unwrap();
    let ticket = created["ticket"]["id"].as_str().expect("a ticket opened on B");
    let (_, kind, data) = tickets.event().await;
    assert_eq!((kind.as_str(), data.as_str()), ("changed", ticket));
}
