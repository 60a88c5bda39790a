//! No client can spend a workspace's answers for everyone: one address
//! flooding the widget with many visitor sessions gets a small share of a
//! day, while a real visitor (whose widget solves the fair-use check) holds
//! a whole conversation and many other visitors still get answers. Owners
//! set the share, the day's ceiling, and refusal instead of the check.

use std::net::SocketAddr;
use std::time::Duration;

use axum::http::StatusCode;
use lodestar_server::chat::guard::leading_zero_bits;
use serde_json::{json, Value};

use crate::backend_tests;
use crate::chat::{answer, events, tenant, widget_from, Tenant, SHIPPING, SHOP};
use crate::support::{TestApp, TestResponse};

/// A session started from `peer`.
async fn start_from(app: &TestApp, shop: &Tenant, peer: SocketAddr) -> String {
    let path = format!("/api/widget/v1/{}/session", shop.key);
    let response = widget_from(app, Some(peer), "POST", &path, Some(SHOP), Some(json!({ "token": null }))).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.body);
    response.json()["token"].as_str().unwrap().to_string()
}

/// A message from `peer`, with a solved challenge when given one.
async fn send_from(
    app: &TestApp,
    shop: &Tenant,
    peer: SocketAddr,
    token: &str,
    text: &str,
    proof: Option<(&str, &str)>,
) -> TestResponse {
    let mut body = json!({ "token": token, "text": text });
    if let Some((challenge, solution)) = proof {
        body["challenge"] = challenge.into();
        body["solution"] = solution.into();
    }
    widget_from(app, Some(peer), "POST", &format!("/api/widget/v1/{}/messages", shop.key), Some(SHOP), Some(body)).await
}

/// What the widget does: past the share it solves the challenge and asks again.
async fn ask_like_the_widget(app: &TestApp, shop: &Tenant, peer: SocketAddr, token: &str, text: &str) -> (Value, u32) {
    let mut response = send_from(app, shop, peer, token, text, None).await;
    let mut solved = 0;
    while response.status == StatusCode::TOO_MANY_REQUESTS && response.json()["kind"] == "challenge" {
        let refusal = response.json();
        let (challenge, bits) =
            (refusal["challenge"].as_str().unwrap().to_string(), refusal["bits"].as_u64().unwrap() as u32);
        assert!(bits <= 20, "a visitor's twentieth question asks {bits} bits of work");
        let solution = (0u64..).map(|n| n.to_string()).find(|n| leading_zero_bits(&challenge, n) >= bits).unwrap();
        response = send_from(app, shop, peer, token, text, Some((&challenge, &solution))).await;
        solved += 1;
        assert!(solved <= 2, "a solved challenge was not accepted: {}", response.body);
    }
    assert_eq!(response.status, StatusCode::OK, "{}", response.body);
    (answer(&events(&response.body)), solved)
}

fn address(a: u8, b: u8) -> SocketAddr {
    SocketAddr::from(([198, 51, a, b], 40_000))
}

/// Answers charged to the workspace this month.
async fn charged(app: &TestApp, workspace: &str) -> i64 {
    let charged: Option<i64> = sqlx::query_scalar("SELECT bot_messages FROM usage_monthly WHERE workspace_id = $1")
        .bind(workspace)
        .fetch_optional(app.state.sql.pool())
        .await
        .unwrap();
    charged.unwrap_or(0)
}

/// The app with a visitor's pace loosened (a person types for a while
/// between questions; the test does not), so that a 20-question
/// conversation is not held up by the per-visitor limit.
async fn quick_visitors(db: crate::support::Db) -> TestApp {
    TestApp::builder(db).config(|c| c.widget.visitor_interval = Duration::from_millis(1)).build().await
}

backend_tests! {
    async fn a_flood_from_one_address_gets_a_small_share_and_everyone_else_is_still_answered(app) {
        let app = quick_visitors(app.db).await;
        let shop = tenant(&app, "fair@example.com", &[("Shipping", SHIPPING)]).await;
        // As the issue saw it: 18 visitor sessions from one address, 6 messages each, all at once.
        let flooder = SocketAddr::from(([203, 0, 113, 9], 5_000));
        let mut tokens = Vec::new();
        for _ in 0..18 {
            tokens.push(start_from(&app, &shop, flooder).await);
        }
        let flood = tokens.iter().flat_map(|token| (0..6).map(move |i| (token, i)));
        let responses = futures_util::future::join_all(
            flood.map(|(token, i)| send_from(&app, &shop, flooder, token, if i % 2 == 0 { "How long does delivery take?" } else { "Is shipping free?" }, None)),
        )
        .await;
        let answered = responses.iter().filter(|r| r.status == StatusCode::OK).count();
        let challenged = responses.iter().filter(|r| r.status == StatusCode::TOO_MANY_REQUESTS && r.json()["kind"] == "challenge").count();
        assert_eq!(answered + challenged, 108, "every other message was asked to pass the check");
        println!("one address sent 108 messages at once: {answered} answered, {challenged} asked for a check");
        // The larger of 10 answers and 5 % of the Free plan's 100.
        assert!(answered <= 10, "one client took {answered} of the month's 100 answers");
        assert_eq!(charged(&app, &shop.workspace).await, answered as i64);

        // A real visitor from their own address holds a 20-question conversation.
        let visitor = address(1, 1);
        let token = start_from(&app, &shop, visitor).await;
        let mut checks = 0;
        for i in 0..20 {
            let (done, solved) = ask_like_the_widget(&app, &shop, visitor, &token, &format!("Question {i}: how long does express delivery take?")).await;
            assert_ne!(done["message"]["body"], lodestar_server::chat::QUOTA_MESSAGE);
            assert_ne!(done["message"]["body"], lodestar_server::chat::BUSY_MESSAGE);
            checks += solved;
        }
        assert_eq!(checks, 10, "past a share of 10, each answer took a check");

        // Many other visitors, each from their own address, are answered.
        for n in 0..10 {
            let peer = address(2, n + 1);
            let token = start_from(&app, &shop, peer).await;
            let response = send_from(&app, &shop, peer, &token, "Is shipping free?", None).await;
            assert_eq!(response.status, StatusCode::OK, "visitor {n}: {}", response.body);
            let done = answer(&events(&response.body));
            assert!(done["message"]["body"].as_str().unwrap().contains("$75"), "visitor {n}: {done}");
        }
        assert_eq!(charged(&app, &shop.workspace).await, answered as i64 + 30);
    }

    async fn one_ipv6_network_is_one_client(app) {
        let app = quick_visitors(app.db).await;
        let shop = tenant(&app, "fair-v6@example.com", &[("Shipping", SHIPPING)]).await;
        let mut answered = 0;
        for host in 1..=16u16 {
            // Sixteen addresses of one /64, as one subscriber's devices (or one script) have.
            let peer = SocketAddr::from((std::net::Ipv6Addr::new(0x2001, 0xdb8, 7, 9, host, 0, 0, host), 40_000));
            let token = start_from(&app, &shop, peer).await;
            if send_from(&app, &shop, peer, &token, "Is shipping free?", None).await.status == StatusCode::OK {
                answered += 1;
            }
        }
        assert_eq!(answered, 10, "the /64 shares one daily share");
        let next_network = SocketAddr::from((std::net::Ipv6Addr::new(0x2001, 0xdb8, 7, 10, 1, 0, 0, 1), 40_000));
        let token = start_from(&app, &shop, next_network).await;
        assert_eq!(send_from(&app, &shop, next_network, &token, "Is shipping free?", None).await.status, StatusCode::OK);
    }

    async fn owners_set_the_share_the_daily_ceiling_and_refusal(app) {
        let app = quick_visitors(app.db).await;
        let shop = tenant(&app, "fair-owner@example.com", &[("Shipping", SHIPPING)]).await;
        let fields = [
            ("workspace_id", shop.workspace.as_str()),
            ("form[title]", "Help"),
            ("form[colour]", "#4f46e5"),
            ("form[per_address_daily]", "2"),
            ("form[daily_ceiling]", "5"),
            ("form[refuse_past_share]", "true"),
        ];
        let saved = app.call(&shop.session, "/api/chat/save_widget", &fields).await;
        assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
        assert_eq!(saved.json()["fair_use"]["effective"], json!({ "per_address_daily": 2, "daily_ceiling": 5, "challenge": false }));

        let first = address(3, 1);
        let token = start_from(&app, &shop, first).await;
        for _ in 0..2 {
            assert_eq!(send_from(&app, &shop, first, &token, "Is shipping free?", None).await.status, StatusCode::OK);
        }
        let refused = send_from(&app, &shop, first, &token, "Is shipping free?", None).await;
        assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS, "{}", refused.body);
        assert_eq!(refused.json()["kind"], "rate_limited");
        assert!(refused.json()["error"].as_str().unwrap().contains("tomorrow"), "{}", refused.body);
        assert!(refused.header("retry-after").parse::<u64>().unwrap() <= 86_400);

        // Past the day's ceiling, visitors are told so, and nothing more is charged.
        let mut bodies = Vec::new();
        for n in 0..4 {
            let peer = address(4, n + 1);
            let token = start_from(&app, &shop, peer).await;
            let response = send_from(&app, &shop, peer, &token, "Is shipping free?", None).await;
            assert_eq!(response.status, StatusCode::OK, "{}", response.body);
            bodies.push(answer(&events(&response.body))["message"]["body"].as_str().unwrap().to_string());
        }
        assert!(bodies[..3].iter().all(|b| b != lodestar_server::chat::BUSY_MESSAGE), "{bodies:#?}");
        assert_eq!(bodies[3], lodestar_server::chat::BUSY_MESSAGE);
        assert_eq!(charged(&app, &shop.workspace).await, 5);
        let reached: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM chat_events WHERE workspace_id = $1 AND kind = 'ceiling_reached'")
            .bind(&shop.workspace).fetch_one(app.state.sql.pool()).await.unwrap();
        assert_eq!(reached, 1);

        let setup = app.call(&shop.session, "/api/chat/widget", &[("workspace_id", shop.workspace.as_str())]).await.json();
        assert_eq!(setup["fair_use"]["answers_today"], 5);
        assert_eq!(setup["fair_use"]["clients_at_share"], 1, "{setup:#}");
    }

    async fn feedback_and_hand_offs_are_paced(app) {
        let shop = tenant(&app, "fair-feedback@example.com", &[("Shipping", SHIPPING)]).await;
        let peer = address(5, 1);
        let token = start_from(&app, &shop, peer).await;
        let response = send_from(&app, &shop, peer, &token, "Is shipping free?", None).await;
        let message = answer(&events(&response.body))["message"]["id"].as_str().unwrap().to_string();
        let path = format!("/api/widget/v1/{}/feedback", shop.key);
        let started = std::time::Instant::now();
        let mut accepted = 0;
        for i in 0..30 {
            let body = json!({ "token": token, "message_id": message, "value": if i % 2 == 0 { 1 } else { -1 } });
            match widget_from(&app, Some(peer), "POST", &path, Some(SHOP), Some(body)).await.status {
                StatusCode::OK => accepted += 1,
                StatusCode::TOO_MANY_REQUESTS => {}
                other => panic!("feedback {i}: {other}"),
            }
        }
        // A burst of ten, then one every two seconds.
        let paced = 10 + started.elapsed().as_secs() as usize / 2 + 1;
        assert!(accepted < 30 && accepted <= paced, "{accepted} feedback writes in {:?}", started.elapsed());
        let written: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM chat_events WHERE workspace_id = $1 AND kind = 'feedback'")
            .bind(&shop.workspace).fetch_one(app.state.sql.pool()).await.unwrap();
        assert_eq!(written, accepted as i64, "refused feedback wrote nothing");
        // Hand-offs share the pace: right after a refused feedback, one is refused too.
        let body = json!({ "token": token, "message_id": message, "value": 1 });
        let feedback = widget_from(&app, Some(peer), "POST", &path, Some(SHOP), Some(body)).await;
        let handoff = format!("/api/widget/v1/{}/handoff", shop.key);
        let refused = widget_from(&app, Some(peer), "POST", &handoff, Some(SHOP), Some(json!({ "token": token }))).await;
        if feedback.status == StatusCode::TOO_MANY_REQUESTS {
            assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS, "{}", refused.body);
        }
    }
}
