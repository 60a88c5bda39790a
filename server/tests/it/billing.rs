//! Billing through Stripe, against the fake Stripe (`fake_stripe.rs`): the
//! real client makes customers, Checkout and portal sessions and reads
//! subscriptions back; the fake's signed events are posted to the webhook
//! as Stripe posts them: in order, repeated, out of order, forged, stale.

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use lodestar_server::http::signed_post::sign;
use serde_json::{json, Value};

use crate::fake_stripe::{Delivery, FakeStripe, WEBHOOK_SECRET};
use crate::server_process::{free_port, ServerProcess};
use crate::support::{Db, Session, TestApp, TestResponse};

const WEBHOOK: &str = "/api/billing/stripe/webhook";
pub(crate) const DAY_MS: i64 = 86_400_000;

pub(crate) async fn stripe_app(db: Db, fake: &FakeStripe) -> TestApp {
    let billing = fake.billing_config();
    TestApp::builder(db).config(move |c| c.billing = billing).build().await
}

pub(crate) async fn post(app: &TestApp, body: &str, signature: &str) -> TestResponse {
    let request = Request::post(WEBHOOK)
        .header("content-type", "application/json; charset=utf-8")
        .header("stripe-signature", signature)
        .body(Body::from(body.to_owned()))
        .unwrap();
    app.request(request).await
}

/// Posts each delivery as Stripe would and waits until every recorded event is applied.
pub(crate) async fn deliver(app: &TestApp, deliveries: &[Delivery]) {
    for delivery in deliveries {
        let answer = post(app, &delivery.body, &delivery.signature).await;
        assert_eq!(answer.status, StatusCode::OK, "{} {}", delivery.kind, answer.body);
    }
    settle(app).await;
}

/// Waits (on the events table, not a timer) until no recorded event waits to be applied.
pub(crate) async fn settle(app: &TestApp) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let waiting: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM stripe_events WHERE applied_at IS NULL")
            .fetch_one(app.state.sql.pool())
            .await
            .unwrap();
        if waiting == 0 {
            return;
        }
        assert!(Instant::now() < deadline, "{waiting} events were never applied");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

pub(crate) async fn overview(app: &TestApp, who: &Session, workspace: Option<&str>) -> TestResponse {
    let fields: Vec<(&str, &str)> = workspace.map(|w| ("workspace_id", w)).into_iter().collect();
    app.call(who, "/api/billing/overview", &fields).await
}

pub(crate) async fn checkout(
    app: &TestApp,
    who: &Session,
    workspace: Option<&str>,
    plan: &str,
    interval: &str,
) -> TestResponse {
    let mut fields = vec![("plan", plan), ("interval", interval)];
    fields.extend(workspace.map(|w| ("workspace_id", w)));
    app.call(who, "/api/billing/checkout", &fields).await
}

/// The Checkout session id in the address the server handed back.
pub(crate) fn session_of(url: &Value) -> String {
    url.as_str().unwrap().rsplit('/').next().unwrap().to_owned()
}

pub(crate) async fn plan_changes(app: &TestApp, owner_id: &str) -> Vec<(String, String, String)> {
    sqlx::query_as("SELECT from_plan, to_plan, source FROM plan_changes WHERE owner_id = $1 ORDER BY id")
        .bind(owner_id)
        .fetch_all(app.state.sql.pool())
        .await
        .unwrap()
}

pub(crate) fn mails_to(app: &TestApp, to: &str, subject: &str) -> usize {
    app.outbox().iter().filter(|m| m.contains(&format!("To: {to}")) && m.contains(subject)).count()
}

/// Waits (on the outbox) for a mail an applied event sends: it goes out
/// just after the event is marked applied. Answers how many there are.
pub(crate) async fn told(app: &TestApp, to: &str, subject: &str) -> usize {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let count = mails_to(app, to, subject);
        if count > 0 || Instant::now() > deadline {
            return count;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn test_with_stripe(db: Db) {
    let fake = FakeStripe::start();
    let app = stripe_app(db, &fake).await;
    let owner = app.verified_user("owner@shop.example", "business").await;
    let workspace = app.workspace_of(&owner).await;
    let ws = Some(workspace.as_str());
    let admin = app.join_team(&owner, &workspace, "admin@shop.example", "admin").await;
    let agent = app.join_team(&owner, &workspace, "agent@shop.example", "agent").await;

    // What the owner sees first: Free, and the plans sold here.
    let first = overview(&app, &owner, ws).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    let first = first.json();
    assert_eq!(
        (first["plan"].as_str(), first["stripe"].as_bool(), &first["status"]),
        (Some("free"), Some(true), &Value::Null)
    );
    let offers = first["offers"].to_string();
    assert!(offers.contains(r#"["pro","Month"]"#) && offers.contains(r#"["pro","Year"]"#), "{offers}");
    assert!(!offers.contains(r#"["enterprise","Year"]"#), "no yearly Enterprise price is configured: {offers}");
    // Billing is the owner's alone; a portal before any purchase has nothing to open.
    for other in [&admin, &agent] {
        assert_eq!(overview(&app, other, ws).await.status, StatusCode::FORBIDDEN);
        assert_eq!(checkout(&app, other, ws, "pro", "month").await.status, StatusCode::FORBIDDEN);
        let portal = app.call(other, "/api/billing/portal", &[("workspace_id", &workspace), ("flow", "home")]).await;
        assert_eq!(portal.status, StatusCode::FORBIDDEN);
    }
    // Another workspace's owner finds nothing here.
    let stranger = app.verified_user("owner@elsewhere.example", "business").await;
    assert_eq!(overview(&app, &stranger, ws).await.status, StatusCode::NOT_FOUND);
    assert_eq!(checkout(&app, &stranger, ws, "pro", "month").await.status, StatusCode::NOT_FOUND);
    let theirs = app.call(&stranger, "/api/billing/portal", &[("workspace_id", &workspace), ("flow", "home")]).await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
    let early = app.call(&owner, "/api/billing/portal", &[("workspace_id", &workspace), ("flow", "home")]).await;
    assert_eq!(early.status, StatusCode::CONFLICT, "{}", early.body);
    assert!(early.body.contains("choose a plan first"), "{}", early.body);
    assert_eq!(checkout(&app, &owner, ws, "free", "month").await.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(checkout(&app, &owner, ws, "enterprise", "year").await.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Checkout: a customer made once (keyed for idempotency), then a session for Pro monthly.
    let started = checkout(&app, &owner, ws, "pro", "month").await;
    assert_eq!(started.status, StatusCode::OK, "{}", started.body);
    let url = started.json();
    assert!(url.as_str().unwrap().starts_with(&format!("{}/checkout/cs_test_", fake.base_url)), "{url}");
    let again = checkout(&app, &owner, ws, "pro", "month").await.json();
    let requests = fake.requests().await;
    let customers: Vec<&Value> = requests.iter().filter(|r| r["path"] == "/v1/customers").collect();
    assert_eq!(customers.len(), 1, "the second checkout reuses the customer");
    assert_eq!(customers[0]["form"]["email"], "owner@shop.example");
    assert_eq!(customers[0]["form"]["metadata"]["lodestar_id"], workspace.as_str());
    assert!(customers[0]["idempotency_key"].as_str().unwrap().contains(&workspace));
    let session = requests.iter().find(|r| r["path"] == "/v1/checkout/sessions").unwrap();
    assert_eq!(session["form"]["line_items"][0]["price"], "price_support_pro_month");
    assert_eq!(session["form"]["mode"], "subscription");
    assert_eq!(session["form"]["client_reference_id"], format!("workspace:{workspace}"));
    assert!(session["form"]["success_url"]
        .as_str()
        .unwrap()
        .ends_with(&format!("/app/w/{workspace}/billing?checkout=done")));
    assert!(session["stripe_version"].as_str().is_some_and(|v| !v.is_empty()), "the client pins Stripe's API version");

    // Paying sends what Stripe sends; the owner is on Pro, with the limits that come with it.
    let paid = fake.pay(&session_of(&url)).await;
    assert_eq!(
        paid.iter().map(|d| d.kind.as_str()).collect::<Vec<_>>(),
        ["customer.subscription.created", "invoice.paid", "checkout.session.completed"]
    );
    deliver(&app, &paid).await;
    let pro = overview(&app, &owner, ws).await.json();
    assert_eq!(
        (pro["plan"].as_str(), pro["status"].as_str(), pro["interval"].as_str()),
        (Some("pro"), Some("Active"), Some("Month"))
    );
    let period_end = pro["period_end"].as_i64().expect("the renewal date");
    assert!(period_end > app_now() + 29 * DAY_MS, "{pro}");
    assert_eq!(app.viewer(&owner.cookie).await["workspaces"][0]["plan"], "pro");
    let key = [("workspace_id", workspace.as_str()), ("name", "Server"), ("kind", "secret")];
    assert_eq!(app.call(&owner, "/api/keys/create", &key).await.status, StatusCode::OK, "Pro has the REST API");
    assert_eq!(plan_changes(&app, &workspace).await, [("free".into(), "pro".into(), "stripe".into())]);
    assert_eq!(told(&app, "owner@shop.example", "is now Pro").await, 1);
    let audit = app.call(&owner, "/api/audit/list", &[("workspace_id", &workspace)]).await.body;
    assert!(audit.contains("Free → Pro (Stripe)"), "{audit}");
    let dropped = checkout(&app, &owner, ws, "enterprise", "month").await;
    assert_eq!(dropped.status, StatusCode::CONFLICT, "a second subscription goes through the portal: {}", dropped.body);
    drop(again);

    // Stripe retries: the same delivery five times more changes nothing.
    let recorded = app.count("stripe_events").await;
    for _ in 0..5 {
        let answer = post(&app, &paid[2].body, &paid[2].signature).await;
        assert_eq!((answer.status, answer.json()["duplicate"].as_bool()), (StatusCode::OK, Some(true)));
    }
    assert_eq!(app.count("stripe_events").await, recorded);
    assert_eq!(plan_changes(&app, &workspace).await.len(), 1);
    assert_eq!(mails_to(&app, "owner@shop.example", "is now Pro"), 1);

    // Forged, stale, unsigned and wrongly signed deliveries are refused and recorded nowhere.
    let now = app_now() / 1000;
    let forged = paid[0].body.replace("active", "canceled");
    for (body, signature) in [
        (forged.as_str(), paid[0].signature.clone()),
        (paid[0].body.as_str(), sign(WEBHOOK_SECRET, paid[0].body.as_bytes(), now - 301)),
        (paid[0].body.as_str(), sign(WEBHOOK_SECRET, paid[0].body.as_bytes(), now + 301)),
        (paid[0].body.as_str(), String::new()),
        (paid[0].body.as_str(), sign("whsec_someone_else", paid[0].body.as_bytes(), now)),
    ] {
        let refused = post(&app, body, &signature).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{signature}: {}", refused.body);
    }
    // A header with the old and the new secret's signatures (a rotation) passes.
    let new = sign(WEBHOOK_SECRET, paid[0].body.as_bytes(), now);
    let rotated = format!("{},{}", sign("whsec_old", paid[0].body.as_bytes(), now), new.split_once(',').unwrap().1);
    assert_eq!(post(&app, &paid[0].body, &rotated).await.status, StatusCode::OK);
    assert_eq!(app.count("stripe_events").await, recorded);
    let big = format!("{{\"pad\":\"{}\"}}", "x".repeat(600 * 1024));
    assert_eq!(
        post(&app, &big, &sign(WEBHOOK_SECRET, big.as_bytes(), now)).await.status,
        StatusCode::PAYLOAD_TOO_LARGE
    );

    // A renewal: paid, the next period.
    let subscription = app_subscription(&app, &workspace).await;
    deliver(&app, &fake.change(&subscription, json!({ "renew": true, "payment": "paid" })).await).await;
    let renewed = overview(&app, &owner, ws).await.json();
    assert!(renewed["period_end"].as_i64().unwrap() > period_end, "{renewed}");

    // A failed payment: past due, the plan kept through the grace period, the owner told once.
    let failed = fake.change(&subscription, json!({ "status": "past_due", "payment": "failed" })).await;
    deliver(&app, &failed).await;
    deliver(&app, &failed).await;
    let due = overview(&app, &owner, ws).await.json();
    assert_eq!((due["plan"].as_str(), due["status"].as_str()), (Some("pro"), Some("PastDue")), "{due}");
    let grace = due["grace_ends_at"].as_i64().unwrap();
    assert!((grace - (app_now() + 7 * DAY_MS)).abs() < 60_000, "seven days of grace: {due}");
    assert_eq!(told(&app, "owner@shop.example", "Payment failed").await, 1);
    // The portal opens straight at the card.
    let card =
        app.call(&owner, "/api/billing/portal", &[("workspace_id", &workspace), ("flow", "payment_method")]).await;
    assert!(card.json().as_str().unwrap().starts_with(&format!("{}/portal/bps_", fake.base_url)), "{}", card.body);
    let portal_request =
        fake.requests().await.into_iter().rfind(|r| r["path"] == "/v1/billing_portal/sessions").unwrap();
    assert_eq!(portal_request["form"]["flow_data"]["type"], "payment_method_update");
    // Grace over: Free limits, nothing deleted; paying again restores Pro.
    assert_eq!(app.state.billing.end_grace_periods(grace - 1).await.unwrap(), 0);
    assert_eq!(app.state.billing.end_grace_periods(grace).await.unwrap(), 1);
    assert_eq!(overview(&app, &owner, ws).await.json()["plan"], "free");
    assert_eq!(mails_to(&app, "owner@shop.example", "is now Free"), 1);
    let keys = app.call(&owner, "/api/keys/list", &[("workspace_id", &workspace)]).await.body;
    assert!(keys.contains("Server"), "the secret key is still there, unusable on Free: {keys}");
    deliver(&app, &fake.change(&subscription, json!({ "status": "active", "payment": "paid" })).await).await;
    let back = overview(&app, &owner, ws).await.json();
    assert_eq!((back["plan"].as_str(), back["grace_ends_at"].as_i64()), (Some("pro"), None), "{back}");

    // A plan change made in the portal (Stripe prorates): Enterprise, told as a change.
    deliver(&app, &fake.change(&subscription, json!({ "price": "price_support_enterprise_month" })).await).await;
    assert_eq!(overview(&app, &owner, ws).await.json()["plan"], "enterprise");
    assert_eq!(told(&app, "owner@shop.example", "changed from Pro to Enterprise").await, 1);

    // Cancelling at the period's end: kept until then, then Free.
    let cancel = app.call(&owner, "/api/billing/portal", &[("workspace_id", &workspace), ("flow", "cancel")]).await;
    assert_eq!(cancel.status, StatusCode::OK, "{}", cancel.body);
    let portal_request =
        fake.requests().await.into_iter().rfind(|r| r["path"] == "/v1/billing_portal/sessions").unwrap();
    assert_eq!(portal_request["form"]["flow_data"]["subscription_cancel"]["subscription"], subscription.as_str());
    let scheduled = fake.change(&subscription, json!({ "cancel_at_period_end": true })).await;
    let ended = fake.change(&subscription, json!({ "status": "canceled" })).await;
    // Delivered out of order: the end first, then the scheduling. Each reads the subscription as it is now.
    deliver(&app, &ended).await;
    deliver(&app, &scheduled).await;
    let gone = overview(&app, &owner, ws).await.json();
    assert_eq!((gone["plan"].as_str(), gone["status"].as_str()), (Some("free"), Some("Canceled")), "{gone}");
    assert_eq!(
        mails_to(&app, "owner@shop.example", "will end on"),
        0,
        "an ended subscription is not announced as ending"
    );
    let history: Vec<String> = plan_changes(&app, &workspace).await.into_iter().map(|(_, to, _)| to).collect();
    assert_eq!(history, ["pro", "free", "pro", "enterprise", "free"]);
    // A new Checkout is offered again.
    assert_eq!(checkout(&app, &owner, ws, "pro", "year").await.status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_owner_pays_through_checkout_and_stripe_s_events_drive_the_plan_sqlite() {
    test_with_stripe(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_owner_pays_through_checkout_and_stripe_s_events_drive_the_plan_postgres() {
    test_with_stripe(Db::Postgres).await;
}

pub(crate) fn app_now() -> i64 {
    lodestar_server::sql::now_millis()
}

pub(crate) async fn app_subscription(app: &TestApp, owner_id: &str) -> String {
    sqlx::query_scalar("SELECT subscription_id FROM billing_accounts WHERE owner_id = $1")
        .bind(owner_id)
        .fetch_one(app.state.sql.pool())
        .await
        .unwrap()
}

async fn a_person_buys_the_mentor_s_pro_plan(db: Db) {
    let fake = FakeStripe::start();
    let app = stripe_app(db, &fake).await;
    let ada = app.verified_user("ada@example.com", "mentor").await;
    let mine = overview(&app, &ada, None).await.json();
    assert_eq!(mine["plan"], "free");
    assert_eq!((&mine["questions"]["used"], &mine["questions"]["limit"]), (&json!(0), &json!(10)), "{mine}");
    assert!(!mine["offers"].to_string().contains("Year"), "the mentor's prices here are monthly: {mine}");
    assert_eq!(checkout(&app, &ada, None, "pro", "year").await.status, StatusCode::UNPROCESSABLE_ENTITY);
    let url = checkout(&app, &ada, None, "pro", "month").await.json();
    let session = fake.requests().await.into_iter().rfind(|r| r["path"] == "/v1/checkout/sessions").unwrap();
    assert_eq!(session["form"]["line_items"][0]["price"], "price_mentor_pro_month");
    assert!(session["form"]["client_reference_id"].as_str().unwrap().starts_with("person:"));
    deliver(&app, &fake.pay(&session_of(&url)).await).await;
    let paid = overview(&app, &ada, None).await.json();
    assert_eq!((&paid["plan"], &paid["questions"]["limit"]), (&json!("pro"), &json!(500)), "{paid}");
    assert_eq!(paid["questions"]["resets_at"], paid["period_end"], "the questions follow the paid period");
    let plan: String = sqlx::query_scalar("SELECT mentor_plan FROM users WHERE email = 'ada@example.com'")
        .fetch_one(app.state.sql.pool())
        .await
        .unwrap();
    assert_eq!(plan, "pro");
    assert_eq!(told(&app, "ada@example.com", "Your career mentor plan is now Pro").await, 1);
    // Signed out, there is no one to bill.
    let anonymous = app.post_form("/api/billing/overview", &[], &[("sec-fetch-site", "same-origin")]).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_buys_the_mentor_s_pro_plan_sqlite() {
    a_person_buys_the_mentor_s_pro_plan(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_buys_the_mentor_s_pro_plan_postgres() {
    a_person_buys_the_mentor_s_pro_plan(Db::Postgres).await;
}

/// Stripe's API down while an event is applied: recorded, answered, and
/// applied by the sweep once Stripe answers again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_whose_subscription_cannot_be_read_waits_and_is_applied_later() {
    let fake = FakeStripe::start();
    let app = stripe_app(Db::Sqlite, &fake).await;
    let owner = app.verified_user("wait@shop.example", "business").await;
    let workspace = app.workspace_of(&owner).await;
    let url = checkout(&app, &owner, Some(&workspace), "pro", "month").await.json();
    let paid = fake.pay(&session_of(&url)).await;
    // Stripe's client retries a 500 three times: fail more than that.
    fake.fail_reads(100).await;
    for delivery in &paid {
        assert_eq!(post(&app, &delivery.body, &delivery.signature).await.status, StatusCode::OK);
    }
    assert_eq!(overview(&app, &owner, Some(&workspace)).await.json()["plan"], "free");
    fake.fail_reads(0).await;
    // At start-up (or once a claim lapses) every event left is applied.
    assert!(app.state.billing.apply_pending(true).await >= 1);
    settle(&app).await;
    assert_eq!(overview(&app, &owner, Some(&workspace)).await.json()["plan"], "pro");
}

/// Acknowledged, then the process dies before applying: the next start applies it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_acknowledged_before_a_crash_is_applied_at_the_next_start() {
    let fake = FakeStripe::start();
    let dir = tempfile::tempdir().unwrap();
    let env: Vec<(&str, &str)> = fake.env().iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let port = free_port();
    let server = ServerProcess::start(dir.path(), port, &env).await;
    let (cookie, workspace) = server.demo_owner().await;
    let started = server
        .form("/api/billing/checkout", &cookie, &[("workspace_id", &workspace), ("plan", "pro"), ("interval", "month")])
        .await;
    assert_eq!(started.status(), 200);
    let url: Value = serde_json::from_str(&started.text().await.unwrap()).unwrap();
    let paid = fake.pay(&session_of(&url)).await;
    // Reads of the subscription hang: the events are recorded and answered, never applied.
    fake.hold_reads(true).await;
    for delivery in &paid {
        let answer = server
            .request(reqwest::Method::POST, WEBHOOK)
            .header("content-type", "application/json")
            .header("stripe-signature", &delivery.signature)
            .body(delivery.body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 200);
    }
    server.kill();
    fake.hold_reads(false).await;
    let server = ServerProcess::start(dir.path(), port, &env).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let answer = server.form("/api/billing/overview", &cookie, &[("workspace_id", &workspace)]).await;
        let billing: Value = serde_json::from_str(&answer.text().await.unwrap()).unwrap();
        if billing["plan"] == "pro" {
            assert_eq!(billing["status"], "Active");
            break;
        }
        assert!(Instant::now() < deadline, "the recorded events were not applied after the restart: {billing}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    server.kill();
}

/// Without Stripe: the page says so, nothing breaks, and the operator sets plans by command.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_stripe_plans_are_set_by_the_operator_s_command() {
    let app = TestApp::builder(Db::Sqlite).build().await;
    let owner = app.verified_user("self@hosted.example", "business").await;
    let workspace = app.workspace_of(&owner).await;
    let billing = overview(&app, &owner, Some(&workspace)).await.json();
    assert_eq!((billing["stripe"].as_bool(), billing["plan"].as_str()), (Some(false), Some("free")));
    let refused = checkout(&app, &owner, Some(&workspace), "pro", "month").await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert!(refused.body.contains("server plan set"), "{}", refused.body);
    assert_eq!(post(&app, "{}", "t=1,v1=00").await.status, StatusCode::NOT_FOUND);

    let database = format!("sqlite://{}", app.state.config.data_dir.join("lodestar.db").display());
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_server"))
            .arg("plan")
            .args(args)
            .env_clear()
            .env("DATABASE_URL", &database)
            .env("DATA_DIR", app.state.config.data_dir.as_os_str())
            .output()
            .unwrap()
    };
    let set = run(&["set", "--workspace", &workspace, "enterprise"]);
    assert!(set.status.success(), "{}", String::from_utf8_lossy(&set.stderr));
    assert!(String::from_utf8_lossy(&set.stdout).contains("Free → Enterprise"));
    assert_eq!(overview(&app, &owner, Some(&workspace)).await.json()["plan"], "enterprise");
    let audit = app.call(&owner, "/api/audit/list", &[("workspace_id", &workspace)]).await.body;
    assert!(audit.contains("Free → Enterprise (server plan set)"), "{audit}");
    let person = run(&["set", "--person", "SELF@hosted.example", "pro"]);
    assert!(person.status.success(), "{}", String::from_utf8_lossy(&person.stderr));
    assert_eq!(overview(&app, &owner, None).await.json()["plan"], "pro");
    for bad in [
        vec!["set", "--workspace", "nope", "pro"],
        vec!["set", "--person", "nobody@example.com", "pro"],
        vec!["set", "--workspace", &workspace, "gold"],
        vec!["get"],
    ] {
        let refused = run(&bad);
        assert_eq!(refused.status.code(), Some(2), "{bad:?}");
        assert!(!String::from_utf8_lossy(&refused.stderr).is_empty());
    }
    assert_eq!(plan_changes(&app, &workspace).await, [("free".into(), "enterprise".into(), "command".into())]);
}
