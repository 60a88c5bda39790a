//! The support bot through the widget API: answers with citations from the
//! workspace's knowledge, origin and key checks, visitor tokens, limits,
//! quota, escalation and output safety; and the sentiment classifier on
//! its held-out labelled set.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{json, Value};

use crate::backend_tests;
use crate::knowledge::settled;
use crate::support::{Session, TestApp, TestResponse};

pub(crate) const SHOP: &str = "https://shop.example";

/// A workspace with a publishable key for [`SHOP`] and some help content.
pub(crate) struct Tenant {
    pub session: Session,
    pub workspace: String,
    pub key: String,
}

pub(crate) async fn tenant(app: &TestApp, email: &str, documents: &[(&str, &str)]) -> Tenant {
    let session = app.verified_user(email, "business").await;
    let workspace = app.workspace_of(&session).await;
    for (title, text) in documents {
        let fields = [("workspace_id", workspace.as_str()), ("title", *title), ("text", *text)];
        let added = app.call(&session, "/api/knowledge/add_text", &fields).await;
        assert_eq!(added.status, StatusCode::OK, "{}", added.body);
    }
    settled(app, &session, &workspace).await;
    let fields =
        [("workspace_id", workspace.as_str()), ("name", "Shop"), ("kind", "publishable"), ("allowed_origins", SHOP)];
    let created = app.call(&session, "/api/keys/create", &fields).await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.body);
    let key = created.json()["key"]["display"].as_str().unwrap().to_string();
    assert!(key.starts_with("pk_"), "{key}");
    Tenant { session, workspace, key }
}

pub(crate) const REFUNDS: &str = "# Refunds\n\nAnnual plans can be refunded in full within 30 days of purchase. \
Refunds go back to the original card within 5 business days. Monthly plans are not refunded, \
but you can cancel at any time and keep access until the end of the month.";
pub(crate) const SHIPPING: &str =
    "# Shipping\n\nStandard delivery takes 3 to 5 business days. Express delivery arrives \
the next business day when ordered before 2 pm. Shipping is free on orders over $75.";

/// A widget request from a page at `origin` (as a browser sends it: cross-site).
pub(crate) async fn widget(
    app: &TestApp,
    method: &str,
    path: &str,
    origin: Option<&str>,
    body: Option<Value>,
) -> TestResponse {
    widget_from(app, None, method, path, origin, body).await
}

/// The address a visitor's requests come from: one per visitor, as people
/// have, so fair-use shares per address apply as they would in the field.
pub(crate) fn address_of(token: &str) -> std::net::SocketAddr {
    use std::hash::{Hash, Hasher};
    let visitor = token.split('.').nth(2).unwrap_or(token);
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    visitor.hash(&mut hasher);
    let n = (hasher.finish() as u32) & 0x00ff_ffff;
    std::net::SocketAddr::from((std::net::Ipv4Addr::from(0x0a00_0000 | n), 40000))
}

/// [`widget`] from a client at `peer` (the socket peer the server sees).
pub(crate) async fn widget_from(
    app: &TestApp,
    peer: Option<std::net::SocketAddr>,
    method: &str,
    path: &str,
    origin: Option<&str>,
    body: Option<Value>,
) -> TestResponse {
    let mut request = Request::builder().method(method).uri(path).header("sec-fetch-site", "cross-site");
    if let Some(peer) = peer {
        request = request.extension(axum::extract::ConnectInfo(peer));
    }
    if let Some(origin) = origin {
        request = request.header("origin", origin);
    }
    let body = match body {
        // The widget sends JSON as text/plain so that browsers skip the preflight.
        Some(body) => {
            request = request.header("content-type", "text/plain;charset=UTF-8");
            Body::from(body.to_string())
        }
        None => Body::empty(),
    };
    app.request(request.body(body).unwrap()).await
}

pub(crate) async fn start(app: &TestApp, key: &str, token: Option<&str>) -> Value {
    let response =
        widget(app, "POST", &format!("/api/widget/v1/{key}/session"), Some(SHOP), Some(json!({ "token": token })))
            .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.body);
    assert_eq!(response.header("access-control-allow-origin"), SHOP);
    response.json()
}

/// Sends a message and returns the server-sent events, in order.
pub(crate) async fn say(
    app: &TestApp,
    key: &str,
    token: &str,
    text: &str,
) -> Result<Vec<(String, Value)>, TestResponse> {
    let response = widget_from(
        app,
        Some(address_of(token)),
        "POST",
        &format!("/api/widget/v1/{key}/messages"),
        Some(SHOP),
        Some(json!({ "token": token, "text": text })),
    )
    .await;
    if response.status != StatusCode::OK {
        return Err(response);
    }
    assert!(response.header("content-type").starts_with("text/event-stream"), "{:?}", response.headers);
    Ok(events(&response.body))
}

pub(crate) fn events(body: &str) -> Vec<(String, Value)> {
    body.split("\n\n")
        .filter_map(|frame| {
            let name = frame.lines().find_map(|l| l.strip_prefix("event: "))?;
            let data = frame.lines().find_map(|l| l.strip_prefix("data: "))?;
            Some((name.to_string(), serde_json::from_str(data).unwrap()))
        })
        .collect()
}

/// The stored answer from a message's events, after checking their order.
pub(crate) fn answer(events: &[(String, Value)]) -> Value {
    let names: Vec<&str> = events.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names.first(), Some(&"received"), "{names:?}");
    assert_eq!(names.last(), Some(&"done"), "{names:?}");
    // A retract withdraws what was streamed before it.
    let since = events.iter().rposition(|(n, _)| n == "retract").map_or(0, |i| i + 1);
    let streamed: String =
        events[since..].iter().filter(|(n, _)| n == "delta").map(|(_, d)| d["text"].as_str().unwrap()).collect();
    let done = &events.last().unwrap().1;
    assert_eq!(streamed, done["message"]["body"].as_str().unwrap(), "the streamed text is the stored answer");
    done.clone()
}

async fn conversation_row(app: &TestApp, workspace: &str) -> (Option<String>, i64) {
    sqlx::query_as(
        "SELECT flag_reason, message_count FROM conversations WHERE workspace_id = $1 ORDER BY created_at DESC LIMIT 1",
    )
    .bind(workspace)
    .fetch_one(app.state.sql.pool())
    .await
    .unwrap()
}

backend_tests! {
    async fn a_visitor_gets_a_cited_answer_and_finds_it_again_after_a_reload(app) {
        let shop = tenant(&app, "answers@example.com", &[("Refunds", REFUNDS), ("Shipping", SHIPPING)]).await;
        let config = widget(&app, "GET", &format!("/api/widget/v1/{}/config", shop.key), Some(SHOP), None).await;
        assert_eq!(config.status, StatusCode::OK, "{}", config.body);
        assert_eq!(config.header("access-control-allow-origin"), SHOP);
        assert_eq!(config.json()["mode"], "offline");
        assert!(config.header("set-cookie").is_empty(), "the widget API never sets cookies");

        let session = start(&app, &shop.key, None).await;
        let token = session["token"].as_str().unwrap().to_string();
        assert!(session["messages"].as_array().unwrap().is_empty());

        let events = say(&app, &shop.key, &token, "Can I get a refund on my annual plan?").await.unwrap();
        let received = &events[0].1["message"];
        assert_eq!(received["author"], "visitor");
        assert_eq!(received["sentiment"]["label"], "neutral", "{received}");
        let done = answer(&events);
        let message = &done["message"];
        let body = message["body"].as_str().unwrap();
        let passages = app.call(&shop.session, "/api/knowledge/test", &[("workspace_id", shop.workspace.as_str()), ("question", "Can I get a refund on my annual plan?")]).await.body;
        assert!(body.contains("refunded in full within 30 days"), "{body:?} {message} {passages}");
        assert!(body.contains("[1]"), "{body}");
        assert_eq!(message["citations"][0]["title"], "Refunds");
        assert!(message["confidence"].as_f64().unwrap() > 0.5, "{message}");
        assert_eq!(done["flagged"], false);

        // A reload: the same token brings the conversation back.
        let again = start(&app, &shop.key, Some(&token)).await;
        let messages = again["messages"].as_array().unwrap();
        assert_eq!(messages.len(), 2);
        assert_eq!(messages[1]["body"], message["body"]);
        assert_eq!(messages[1]["citations"], message["citations"]);

        // Stored with usage and analytics.
        assert_eq!(conversation_row(&app, &shop.workspace).await, (None, 2));
        let used: i64 = sqlx::query_scalar("SELECT bot_messages FROM usage_monthly WHERE workspace_id = $1")
            .bind(&shop.workspace).fetch_one(app.state.sql.pool()).await.unwrap();
        assert_eq!(used, 1);
        let latency: Option<i64> = sqlx::query_scalar("SELECT latency_ms FROM messages WHERE author = 'bot'")
            .fetch_one(app.state.sql.pool()).await.unwrap();
        assert!(latency.is_some());
        assert!(app.count("chat_events").await >= 2);

        // Thumbs up on the answer.
        let id = message["id"].as_str().unwrap();
        let feedback = widget(&app, "POST", &format!("/api/widget/v1/{}/feedback", shop.key), Some(SHOP),
            Some(json!({ "token": token, "message_id": id, "value": 1 }))).await;
        assert_eq!(feedback.status, StatusCode::OK, "{}", feedback.body);
        let restored = start(&app, &shop.key, Some(&token)).await;
        assert_eq!(restored["messages"][1]["feedback"], 1);
    }

    async fn other_sites_unknown_keys_and_other_visitors_are_refused(app) {
        let shop = tenant(&app, "gate@example.com", &[("Shipping", SHIPPING)]).await;
        let other = tenant(&app, "gate-other@example.com", &[]).await;
        let base = format!("/api/widget/v1/{}", shop.key);
        for (method, path, body) in [
            ("GET", format!("{base}/config"), None),
            ("POST", format!("{base}/session"), Some(json!({}))),
            ("POST", format!("{base}/messages"), Some(json!({ "token": "x", "text": "hi" }))),
            ("OPTIONS", format!("{base}/messages"), None),
        ] {
            let refused = widget(&app, method, &path, Some("https://evil.example"), body.clone()).await;
            assert_eq!(refused.status, StatusCode::FORBIDDEN, "{method} {path}: {}", refused.body);
            assert!(refused.header("access-control-allow-origin").is_empty(), "no CORS for a refused origin");
            let no_origin = widget(&app, method, &path, None, body).await;
            assert_eq!(no_origin.status, StatusCode::FORBIDDEN, "{method} {path} without Origin");
        }
        let preflight = widget(&app, "OPTIONS", &format!("{base}/messages"), Some(SHOP), None).await;
        assert_eq!(preflight.status, StatusCode::NO_CONTENT);
        assert_eq!(preflight.header("access-control-allow-origin"), SHOP);
        let unknown = widget(&app, "GET", "/api/widget/v1/pk_not_a_key/config", Some(SHOP), None).await;
        assert_eq!(unknown.status, StatusCode::NOT_FOUND);
        // A secret key is not a widget key.
        app.set_plan(&shop.workspace, "pro").await;
        let fields = [("workspace_id", shop.workspace.as_str()), ("name", "server"), ("kind", "secret")];
        let secret = app.call(&shop.session, "/api/keys/create", &fields).await.json()["secret"].as_str().unwrap().to_string();
        let with_secret = widget(&app, "GET", &format!("/api/widget/v1/{secret}/config"), Some(SHOP), None).await;
        assert_eq!(with_secret.status, StatusCode::NOT_FOUND);

        // Visitor A's conversation.
        let a = start(&app, &shop.key, None).await["token"].as_str().unwrap().to_string();
        let done = answer(&say(&app, &shop.key, &a, "How long does delivery take?").await.unwrap());
        let answer_id = done["message"]["id"].as_str().unwrap().to_string();
        // Visitor B cannot see it, rate it, or pass off a forged token.
        let b = start(&app, &shop.key, None).await;
        assert!(b["messages"].as_array().unwrap().is_empty());
        let b_token = b["token"].as_str().unwrap();
        let rated = widget(&app, "POST", &format!("{base}/feedback"), Some(SHOP),
            Some(json!({ "token": b_token, "message_id": answer_id, "value": -1 }))).await;
        assert_eq!(rated.status, StatusCode::NOT_FOUND);
        let (claims, _) = a.rsplit_once('.').unwrap();
        let forged = format!("{claims}.AAAA");
        assert!(start(&app, &shop.key, Some(&forged)).await["messages"].as_array().unwrap().is_empty());
        let refused = say(&app, &shop.key, &forged, "hello").await.unwrap_err();
        assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
        assert_eq!(refused.json()["kind"], "session");
        // A's token means nothing to another workspace's widget.
        let elsewhere = widget(&app, "POST", &format!("/api/widget/v1/{}/session", other.key), Some(SHOP),
            Some(json!({ "token": a }))).await.json();
        assert!(elsewhere["messages"].as_array().unwrap().is_empty());
    }

    async fn visitors_are_rate_limited_and_bad_input_is_refused_clearly(app) {
        let shop = tenant(&app, "limits@example.com", &[]).await;
        let token = start(&app, &shop.key, None).await["token"].as_str().unwrap().to_string();
        let empty = say(&app, &shop.key, &token, " \u{0}\u{7} ").await.unwrap_err();
        assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(empty.json()["error"], "Please type a message.");
        let long = say(&app, &shop.key, &token, &"a".repeat(2001)).await.unwrap_err();
        assert_eq!(long.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(long.json()["error"].as_str().unwrap().contains("under 2000"), "{}", long.body);
        let garbage = widget(&app, "POST", &format!("/api/widget/v1/{}/messages", shop.key), Some(SHOP), None).await;
        assert_eq!(garbage.status, StatusCode::UNPROCESSABLE_ENTITY);

        let mut limited = None;
        for i in 0..10 {
            match say(&app, &shop.key, &token, &format!("question number {i}\u{7}")).await {
                Ok(events) => {
                    let stored = &events[0].1["message"]["body"];
                    assert_eq!(stored, &json!(format!("question number {i}")), "control characters are stripped");
                }
                Err(response) => {
                    limited = Some((i, response));
                    break;
                }
            }
        }
        let (sent, response) = limited.expect("the limit applies");
        assert_eq!(sent, 6, "a burst of six is allowed");
        assert_eq!(response.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(response.header("retry-after").parse::<u64>().unwrap() >= 1);
        assert_eq!(response.header("access-control-expose-headers"), "Retry-After");
        assert_eq!(response.json()["kind"], "rate_limited");
    }

    async fn a_used_up_quota_gets_a_friendly_answer_and_the_owner_sees_it(app) {
        let shop = tenant(&app, "quota@example.com", &[("Shipping", SHIPPING)]).await;
        async fn usage(app: &TestApp, shop: &Tenant) -> Value {
            let response = app.call(&shop.session, "/api/chat/usage", &[("workspace_id", shop.workspace.as_str())]).await;
            assert_eq!(response.status, StatusCode::OK, "{}", response.body);
            response.json()
        }
        let month = app::dates::month_of(lodestar_server::sql::now_millis());
        sqlx::query("INSERT INTO usage_monthly (workspace_id, month, bot_messages) VALUES ($1, $2, 99)")
            .bind(&shop.workspace).bind(&month).execute(app.state.sql.pool()).await.unwrap();
        let now = lodestar_server::sql::now_millis();
        let expected = json!({ "answers": 99, "quota": 100, "resets_at": app::dates::next_month(now), "billing_period": false });
        assert_eq!(usage(&app, &shop).await, expected, "Free counts in the calendar month");

        // The hundredth answer is still given; the next question gets the quota message.
        let token = start(&app, &shop.key, None).await["token"].as_str().unwrap().to_string();
        let done = answer(&say(&app, &shop.key, &token, "How long does delivery take?").await.unwrap());
        assert_ne!(done["message"]["body"], lodestar_server::chat::QUOTA_MESSAGE);
        assert_eq!(usage(&app, &shop).await["answers"], 100, "the owner sees the quota used up");
        let done = answer(&say(&app, &shop.key, &token, "And express delivery?").await.unwrap());
        assert_eq!(done["message"]["body"], lodestar_server::chat::QUOTA_MESSAGE);
        let used: i64 = sqlx::query_scalar("SELECT bot_messages FROM usage_monthly WHERE workspace_id = $1")
            .bind(&shop.workspace).fetch_one(app.state.sql.pool()).await.unwrap();
        assert_eq!(used, 100, "a refused message is not counted");
        assert_eq!(usage(&app, &shop).await["answers"], 100);
        let reached: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM chat_events WHERE workspace_id = $1 AND kind = 'quota_reached'")
            .bind(&shop.workspace).fetch_one(app.state.sql.pool()).await.unwrap();
        assert_eq!(reached, 1);
        sqlx::query("UPDATE workspaces SET plan = 'enterprise' WHERE id = $1")
            .bind(&shop.workspace).execute(app.state.sql.pool()).await.unwrap();
        assert_eq!(usage(&app, &shop).await["quota"], Value::Null, "Enterprise has no monthly limit");
    }

    async fn people_are_called_in_when_asked_when_angry_and_when_the_bot_keeps_missing(app) {
        let shop = tenant(&app, "escalate@example.com", &[("Shipping", SHIPPING)]).await;
        let asks = start(&app, &shop.key, None).await["token"].as_str().unwrap().to_string();
        let done = answer(&say(&app, &shop.key, &asks, "Can I talk to a human please?").await.unwrap());
        assert_eq!(done["flagged"], true);
        assert_eq!(done["message"]["body"], lodestar_server::chat::HANDOFF_REPLY);
        assert_eq!(conversation_row(&app, &shop.workspace).await.0.as_deref(), Some("asked_for_human"));
        assert_eq!(start(&app, &shop.key, Some(&asks)).await["flagged"], true);

        let angry = start(&app, &shop.key, None).await["token"].as_str().unwrap().to_string();
        let events = say(&app, &shop.key, &angry, "This is the worst service ever, I'm furious and want my money back NOW!!!").await.unwrap();
        assert_eq!(events[0].1["message"]["sentiment"]["label"], "negative");
        assert_eq!(answer(&events)["flagged"], true);
        assert_eq!(conversation_row(&app, &shop.workspace).await.0.as_deref(), Some("negative_sentiment"));
        // An angry message is acknowledged and handed over, never answered
        // with whatever passage its words happen to match.
        let useless = start(&app, &shop.key, None).await["token"].as_str().unwrap().to_string();
        let events = say(&app, &shop.key, &useless, "Your support bot is useless and so is your shipping. I'm furious.").await.unwrap();
        assert_eq!(events[0].1["message"]["sentiment"]["label"], "negative");
        let done = answer(&events);
        assert_eq!(done["message"]["body"], lodestar_server::chat::APOLOGY_REPLY);
        assert_eq!(done["flagged"], true);
        assert!(done["message"]["citations"].as_array().is_none_or(Vec::is_empty), "{done}");

        let puzzled = start(&app, &shop.key, None).await["token"].as_str().unwrap().to_string();
        let first = answer(&say(&app, &shop.key, &puzzled, "What is the airspeed velocity of an unladen swallow?").await.unwrap());
        assert_eq!(first["flagged"], false, "{first}");
        assert!(first["message"]["body"].as_str().unwrap().contains("talk to a person"));
        let second = answer(&say(&app, &shop.key, &puzzled, "Which opera did Verdi write first?").await.unwrap());
        assert_eq!(second["flagged"], true, "two misses in a row: {second}");
        assert_eq!(conversation_row(&app, &shop.workspace).await.0.as_deref(), Some("not_answered"));

        // "Talk to a human" in the widget flags too.
        let button = start(&app, &shop.key, None).await["token"].as_str().unwrap().to_string();
        answer(&say(&app, &shop.key, &button, "How long does delivery take?").await.unwrap());
        let handoff = widget(&app, "POST", &format!("/api/widget/v1/{}/handoff", shop.key), Some(SHOP), Some(json!({ "token": button }))).await;
        assert_eq!(handoff.status, StatusCode::OK, "{}", handoff.body);
        assert_eq!(start(&app, &shop.key, Some(&button)).await["flagged"], true);
    }

    async fn the_widget_page_saves_settings_and_previews_the_real_widget(app) {
        let shop = tenant(&app, "widget-page@example.com", &[("Shipping", SHIPPING)]).await;
        let ws = ("workspace_id", shop.workspace.as_str());
        let setup = app.call(&shop.session, "/api/chat/widget", &[ws]).await;
        assert_eq!(setup.status, StatusCode::OK, "{}", setup.body);
        let setup = setup.json();
        assert_eq!(setup["mode"], "offline");
        assert_eq!(setup["can_choose_model"], false);
        assert_eq!(setup["keys"][0]["allowed_origins"][0], SHOP);
        assert_eq!(setup["keys"][0]["display"], shop.key.as_str());

        let form = [
            ws,
            ("form[title]", "Acme help"),
            ("form[colour]", "#0A7C66"),
            ("form[position]", "left"),
            ("form[greeting]", "Hello from Acme!"),
            ("form[starters]", "Where is my order?\nHow do returns work?"),
            ("form[ask_email]", "true"),
            ("form[avatar]", "🦊"),
            ("form[launcher_icon]", "help"),
            ("form[send_text]", "Go"),
            ("form[persona]", "You are Fox, Acme's helper."),
            ("form[instructions]", "Internal note: never mention the 7781 discount."),
        ];
        let saved = app.call(&shop.session, "/api/chat/save_widget", &form).await;
        assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
        assert_eq!(saved.json()["bot"]["persona"], "You are Fox, Acme's helper.");
        let config = widget(&app, "GET", &format!("/api/widget/v1/{}/config", shop.key), Some(SHOP), None).await;
        let settings = &config.json()["settings"];
        assert_eq!(settings["title"], "Acme help");
        assert_eq!(settings["colour"], "#0a7c66");
        assert_eq!((settings["position"].as_str(), settings["launcher_icon"].as_str()), (Some("left"), Some("help")));
        assert_eq!(settings["starters"], json!(["Where is my order?", "How do returns work?"]));
        assert_eq!((settings["ask_email"].as_bool(), settings["texts"]["send"].as_str()), (Some(true), Some("Go")));
        assert!(!config.body.contains("7781") && !config.body.contains("Fox"), "the bot's instructions stay private: {}", config.body);

        // Every problem is named by its field; nothing is saved.
        let bad = [ws, ("form[title]", ""), ("form[colour]", "blue"), ("form[model]", "gpt-4o")];
        let refused = app.call(&shop.session, "/api/chat/save_widget", &bad).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
        let body = refused.body.clone();
        assert!(body.contains("title") && body.contains("colour"), "{body}");
        let model = [ws, ("form[title]", "Acme help"), ("form[colour]", "#0a7c66"), ("form[model]", "gpt-4o")];
        let free = app.call(&shop.session, "/api/chat/save_widget", &model).await;
        assert_eq!(free.status, StatusCode::UNPROCESSABLE_ENTITY, "a Free plan cannot pick a model: {}", free.body);

        // The live preview: the real widget on our own origin, with a signed key.
        let preview_key = app.call(&shop.session, "/api/chat/widget", &[ws]).await.json()["preview_key"].as_str().unwrap().to_string();
        let page = app.get(&format!("/widget-preview/{preview_key}")).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains(&format!("data-key=\"{preview_key}\"")));
        assert!(page.header("content-security-policy").contains("frame-ancestors 'self'"));
        let own = app.state.config.public_url.clone();
        let previewed = widget(&app, "GET", &format!("/api/widget/v1/{preview_key}/config"), Some(&own), None).await;
        assert_eq!(previewed.status, StatusCode::OK, "{}", previewed.body);
        assert_eq!(previewed.json()["settings"]["title"], "Acme help");
        // The preview page is on our own origin: its GETs carry no Origin, only Sec-Fetch-Site.
        let same_origin = Request::get(format!("/api/widget/v1/{preview_key}/config"))
            .header("sec-fetch-site", "same-origin")
            .body(Body::empty())
            .unwrap();
        assert_eq!(app.request(same_origin).await.status, StatusCode::OK);
        let elsewhere = widget(&app, "GET", &format!("/api/widget/v1/{preview_key}/config"), Some(SHOP), None).await;
        assert_eq!(elsewhere.status, StatusCode::FORBIDDEN, "a preview key works only on our own origin");
        let forged = preview_key.replace(&shop.workspace, "someone-else");
        assert_eq!(app.get(&format!("/widget-preview/{forged}")).await.status, StatusCode::NOT_FOUND);
        let forged_api = widget(&app, "GET", &format!("/api/widget/v1/{forged}/config"), Some(&own), None).await;
        assert_eq!(forged_api.status, StatusCode::NOT_FOUND);
    }

    async fn the_dashboard_finds_conversations_by_words_sentiment_flag_and_date(app) {
        let shop = tenant(&app, "conversations@example.com", &[("Refunds", REFUNDS), ("Shipping", SHIPPING)]).await;
        let happy = start(&app, &shop.key, None).await["token"].as_str().unwrap().to_string();
        answer(&say(&app, &shop.key, &happy, "Thanks so much, shipping was super fast! How long does express take?").await.unwrap());
        let angry = start(&app, &shop.key, None).await["token"].as_str().unwrap().to_string();
        answer(&say(&app, &shop.key, &angry, "This is the worst service ever, I'm furious and want my refund NOW!!!").await.unwrap());

        let (app_ref, session, workspace) = (&app, shop.session.clone(), shop.workspace.clone());
        let list = move |fields: Vec<(&'static str, String)>| {
            let mut all = vec![("workspace_id", workspace.clone())];
            all.extend(fields);
            let session = session.clone();
            async move {
                let borrowed: Vec<(&str, &str)> = all.iter().map(|(k, v)| (*k, v.as_str())).collect();
                let response = app_ref.call(&session, "/api/chat/conversations", &borrowed).await;
                assert_eq!(response.status, StatusCode::OK, "{}", response.body);
                response.json().as_array().unwrap().clone()
            }
        };
        assert_eq!(list(vec![]).await.len(), 2);
        let found = list(vec![("query", "EXPRESS".into())]).await;
        assert_eq!(found.len(), 1);
        assert!(found[0]["preview"].as_str().unwrap().contains("express"));
        assert!(list(vec![("query", "100%_".into())]).await.is_empty(), "LIKE wildcards are taken literally");
        let negative = list(vec![("sentiment", "negative".into())]).await;
        assert_eq!(negative.len(), 1);
        assert_eq!(negative[0]["flag"], "negative_sentiment");
        let flagged = list(vec![("flagged_only", "true".into())]).await;
        assert_eq!(flagged.len(), 1);
        assert_eq!(flagged[0]["id"], negative[0]["id"]);
        assert!(list(vec![("until", "2020-01-01".into())]).await.is_empty());
        let today = app::dates::month_of(lodestar_server::sql::now_millis());
        assert_eq!(list(vec![("from", format!("{today}-01"))]).await.len(), 2);
        let bad = app.call(&shop.session, "/api/chat/conversations", &[("workspace_id", shop.workspace.as_str()), ("from", "last week")]).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);

        let transcript = |id: String| {
            let session = shop.session.clone();
            let workspace = shop.workspace.clone();
            async move {
                let fields = [("workspace_id", workspace.as_str()), ("conversation_id", id.as_str())];
                let response = app_ref.call(&session, "/api/chat/transcript", &fields).await;
                assert_eq!(response.status, StatusCode::OK, "{}", response.body);
                response.json()["messages"].as_array().unwrap().clone()
            }
        };
        let angry = transcript(negative[0]["id"].as_str().unwrap().to_string()).await;
        assert_eq!(angry.len(), 2);
        assert_eq!(angry[0]["sentiment"]["label"], "negative");
        assert_eq!(angry[1]["author"], "bot");
        let express = transcript(found[0]["id"].as_str().unwrap().to_string()).await;
        assert!(express[0]["sentiment"]["score"].is_number(), "{:?}", express[0]);
        assert_eq!(express[1]["citations"][0]["title"], "Shipping", "{:?}", express[1]);
        assert!(express[1]["confidence"].as_f64().unwrap() > 0.3);
    }

    async fn hostile_document_text_never_reaches_the_visitor_as_markup(app) {
        let hostile = "# Returns\n\nReturns are accepted within 30 days of delivery.<script>alert('x')</script> \
            ![pixel](https://tracker.evil.example/p.gif) Print the label from [your account](javascript:alert(1)) \
            <img src=x onerror=alert(1)>and drop the parcel at a post office.";
        let shop = tenant(&app, "hostile@example.com", &[("Returns", hostile)]).await;
        let token = start(&app, &shop.key, None).await["token"].as_str().unwrap().to_string();
        let done = answer(&say(&app, &shop.key, &token, "How do returns work and how long do I have to return?").await.unwrap());
        let body = done["message"]["body"].as_str().unwrap();
        assert!(body.contains("30 days"), "{body}");
        for bad in ["<script", "onerror", "javascript:", "tracker.evil.example", "<img"] {
            assert!(!body.contains(bad), "{bad} in {body}");
        }
    }
}

/// A labelled set of visitor messages: `label<TAB>text`, or with the hard
/// set's `label<TAB>kind<TAB>text`.
fn labelled_messages(file: &str) -> Vec<(app::chat::SentimentLabel, String, String)> {
    let path = format!("{}/tests/data/sentiment/{file}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let fields: Vec<&str> = l.split('\t').collect();
            let (kind, message) = if fields.len() == 3 { (fields[1], fields[2]) } else { ("", fields[1]) };
            (app::chat::SentimentLabel::parse(fields[0]).unwrap(), kind.to_string(), message.to_string())
        })
        .collect()
}

/// Accuracy and negative recall of the classifier on `file`, with its
/// confusion matrix and the accuracy of each kind of message printed.
async fn sentiment_on(file: &str) -> (f64, f64) {
    use app::chat::SentimentLabel;
    use lodestar_server::chat::sentiment::Classifier;

    let embedder = crate::support::embedder();
    let classifier = Classifier::for_embedder(&embedder).await.unwrap();
    let examples = labelled_messages(file);
    assert!(examples.len() >= 150, "{} labelled messages in {file}", examples.len());
    let vectors = embedder.embed(examples.iter().map(|(_, _, m)| m.clone()).collect()).await.unwrap();
    let labels = [SentimentLabel::Negative, SentimentLabel::Neutral, SentimentLabel::Positive];
    let mut matrix = [[0u32; 3]; 3];
    let mut by_kind: std::collections::BTreeMap<&str, (u32, u32)> = Default::default();
    for ((expected, kind, message), vector) in examples.iter().zip(vectors) {
        let got = classifier.classify(vector, message).label;
        let (row, column) =
            (labels.iter().position(|l| l == expected).unwrap(), labels.iter().position(|l| *l == got).unwrap());
        matrix[row][column] += 1;
        let tally = by_kind.entry(kind.as_str()).or_default();
        tally.0 += u32::from(row == column);
        tally.1 += 1;
        if row != column && !kind.is_empty() {
            println!("  {kind}: {message:?} is {}, read as {}", expected.as_str(), got.as_str());
        }
    }
    println!("sentiment on {} messages of {file} (rows: truth, columns: predicted)", examples.len());
    println!("{:>10} {:>9} {:>9} {:>9}", "", "negative", "neutral", "positive");
    for (label, row) in labels.iter().zip(&matrix) {
        println!("{:>10} {:>9} {:>9} {:>9}", label.as_str(), row[0], row[1], row[2]);
    }
    for (kind, (right, all)) in by_kind.iter().filter(|(kind, _)| !kind.is_empty()) {
        println!("  {kind:>16}: {right}/{all}");
    }
    let correct: u32 = (0..3).map(|i| matrix[i][i]).sum();
    let accuracy = f64::from(correct) / examples.len() as f64;
    let negative_recall = f64::from(matrix[0][0]) / f64::from(matrix[0].iter().sum::<u32>());
    println!("accuracy {accuracy:.3}, negative recall {negative_recall:.3}");
    (accuracy, negative_recall)
}

#[tokio::test]
async fn sentiment_is_accurate_and_catches_unhappy_visitors_on_the_held_out_set() {
    let (accuracy, negative_recall) = sentiment_on("messages.tsv").await;
    assert!(accuracy >= 0.90, "accuracy {accuracy:.3}");
    assert!(negative_recall >= 0.90, "negative recall {negative_recall:.3}");
}

/// Questions about a problem, negation, contrast, sarcasm, and thanks,
/// anger and questions in Spanish, French and German: written apart from
/// the model and its training data (`chat/sentiment/data/`), never trained
/// on. The model before this one read 0.665 of it; this one 0.920.
#[tokio::test]
async fn sentiment_reads_the_hard_kinds_of_message() {
    let (accuracy, _) = sentiment_on("hard.tsv").await;
    assert!(accuracy >= 0.90, "accuracy {accuracy:.3} on the hard set");
}
