//! Billing after the purchase, against the fake Stripe: answers counted in
//! the paid billing period (which a paid invoice starts), the invoices, a
//! plan change previewed with Stripe's proration and made from our page,
//! what was done in the portal read back on return, an event naming a
//! subscription Stripe does not have, and an account that still pays.

use axum::http::StatusCode;
use serde_json::{json, Value};

use crate::billing::{
    app_now, app_subscription, checkout, deliver, mails_to, overview, plan_changes, post, session_of, settle,
    stripe_app, DAY_MS,
};
use crate::chat::{answer, say, start, tenant, SHIPPING};
use crate::fake_stripe::{FakeStripe, WEBHOOK_SECRET};
use crate::support::{Db, Session, TestApp, PASSWORD};
use lodestar_server::http::signed_post::sign;

async fn usage(app: &TestApp, who: &Session, workspace: &str) -> Value {
    let response = app.call(who, "/api/chat/usage", &[("workspace_id", workspace)]).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.body);
    response.json()
}

async fn answers_in(app: &TestApp, workspace: &str, period: &str) -> Option<i64> {
    sqlx::query_scalar("SELECT bot_messages FROM usage_monthly WHERE workspace_id = $1 AND month = $2")
        .bind(workspace)
        .bind(period)
        .fetch_optional(app.state.sql.pool())
        .await
        .unwrap()
}

async fn set_answers(app: &TestApp, workspace: &str, period: &str, answers: i64) {
    sqlx::query("INSERT INTO usage_monthly (workspace_id, month, bot_messages) VALUES ($1, $2, $3)")
        .bind(workspace)
        .bind(period)
        .bind(answers)
        .execute(app.state.sql.pool())
        .await
        .unwrap();
}

/// The counters' key of the paid period stored for the workspace.
async fn paid_period(app: &TestApp, workspace: &str) -> String {
    let start: Option<i64> = sqlx::query_scalar("SELECT usage_period_start FROM billing_accounts WHERE owner_id = $1")
        .bind(workspace)
        .fetch_one(app.state.sql.pool())
        .await
        .unwrap();
    format!("p{}", start.expect("a paid period"))
}

async fn ask(app: &TestApp, key: &str) -> Value {
    let token = start(app, key, None).await["token"].as_str().unwrap().to_owned();
    answer(&say(app, key, &token, "How long does delivery take?").await.unwrap())
}

async fn preview(
    app: &TestApp,
    who: &Session,
    workspace: &str,
    plan: &str,
    interval: &str,
) -> crate::support::TestResponse {
    let fields = [("workspace_id", workspace), ("plan", plan), ("interval", interval)];
    app.call(who, "/api/billing/preview", &fields).await
}

async fn change(
    app: &TestApp,
    who: &Session,
    workspace: &str,
    plan: &str,
    interval: &str,
    at: i64,
) -> crate::support::TestResponse {
    let at = at.to_string();
    let fields = [("workspace_id", workspace), ("plan", plan), ("interval", interval), ("proration_date", at.as_str())];
    app.call(who, "/api/billing/change", &fields).await
}

async fn after_the_purchase(db: Db) {
    let fake = FakeStripe::start();
    let app = stripe_app(db, &fake).await;
    let shop = tenant(&app, "owner@shop.example", &[("Shipping", SHIPPING)]).await;
    let (owner, workspace) = (&shop.session, shop.workspace.as_str());
    let ws = Some(workspace);
    let admin = app.join_team(owner, workspace, "admin@shop.example", "admin").await;
    let stranger = app.verified_user("owner@elsewhere.example", "business").await;
    assert_eq!(app.call(owner, "/api/billing/invoices", &[("workspace_id", workspace)]).await.json(), json!([]));

    // On Free, answers count in the calendar month, and this one is used up.
    set_answers(&app, workspace, &app::dates::month_of(app_now()), 100).await;
    let free = usage(&app, owner, workspace).await;
    assert_eq!((&free["answers"], &free["billing_period"]), (&json!(100), &json!(false)), "{free}");

    // Paid: the period the invoice paid for is the allowance's, afresh, and answers count in it.
    let url = checkout(&app, owner, ws, "pro", "month").await.json();
    deliver(&app, &fake.pay(&session_of(&url)).await).await;
    let pro = overview(&app, owner, ws).await.json();
    assert_eq!(pro["questions"], Value::Null, "a workspace's overview has no mentor questions");
    let paid = usage(&app, owner, workspace).await;
    assert_eq!(
        (&paid["answers"], &paid["quota"], &paid["billing_period"], &paid["resets_at"]),
        (&json!(0), &json!(5000), &json!(true), &pro["period_end"]),
        "{paid}"
    );
    let first_period = paid_period(&app, workspace).await;
    assert_ne!(ask(&app, &shop.key).await["message"]["body"], lodestar_server::chat::QUOTA_MESSAGE);
    assert_eq!(answers_in(&app, workspace, &first_period).await, Some(1), "the answer counts in the paid period");
    assert_eq!(usage(&app, owner, workspace).await["answers"], 1);

    // A renewal counts afresh once its invoice is paid, not before.
    let subscription = app_subscription(&app, workspace).await;
    deliver(&app, &fake.change(&subscription, json!({ "renew": true })).await).await;
    assert_eq!(usage(&app, owner, workspace).await["answers"], 1, "the renewal is not paid yet");
    deliver(&app, &fake.change(&subscription, json!({ "payment": "paid" })).await).await;
    let renewed = usage(&app, owner, workspace).await;
    let renewed_end = overview(&app, owner, ws).await.json()["period_end"].clone();
    assert_eq!((&renewed["answers"], &renewed["resets_at"]), (&json!(0), &renewed_end), "{renewed}");
    assert_ne!(paid_period(&app, workspace).await, first_period);

    // The invoices, newest first, with Stripe's pages; the owner's alone.
    let invoices = app.call(owner, "/api/billing/invoices", &[("workspace_id", workspace)]).await.json();
    let list = invoices.as_array().unwrap();
    assert_eq!(list.len(), 2, "{invoices}");
    assert!(list.iter().all(|i| i["status"] == "paid" && i["total"] == 4900 && i["currency"] == "usd"), "{invoices}");
    assert!(list[0]["number"].as_str().unwrap() > list[1]["number"].as_str().unwrap(), "newest first: {invoices}");
    assert!(list[0]["url"].as_str().unwrap().starts_with(&fake.base_url));
    assert!(list[0]["pdf"].as_str().unwrap().ends_with(".pdf"));
    let listed = fake.requests().await.into_iter().rfind(|r| r["path"] == "/v1/invoices").unwrap();
    assert_eq!(listed["method"], "GET");
    assert!(listed["form"]["customer"].as_str().unwrap().starts_with("cus_"), "only this customer's: {listed}");
    for (who, status) in [(&admin, StatusCode::FORBIDDEN), (&stranger, StatusCode::NOT_FOUND)] {
        assert_eq!(app.call(who, "/api/billing/invoices", &[("workspace_id", workspace)]).await.status, status);
        assert_eq!(preview(&app, who, workspace, "enterprise", "month").await.status, status);
        assert_eq!(change(&app, who, workspace, "enterprise", "month", app_now() / 1000).await.status, status);
    }

    // A change previewed: Stripe's proration of the rest of this period, nothing changed yet.
    assert_eq!(preview(&app, owner, workspace, "pro", "month").await.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(preview(&app, owner, workspace, "enterprise", "year").await.status, StatusCode::UNPROCESSABLE_ENTITY);
    let shown = preview(&app, owner, workspace, "enterprise", "month").await;
    assert_eq!(shown.status, StatusCode::OK, "{}", shown.body);
    let shown = shown.json();
    let lines = shown["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 2, "{shown}");
    assert!(
        lines[0]["description"].as_str().unwrap().starts_with("Unused time on Pro")
            && lines[0]["amount"].as_i64().unwrap() < 0
    );
    assert!(lines[1]["description"].as_str().unwrap().starts_with("Remaining time on Enterprise"));
    let total = shown["total"].as_i64().unwrap();
    assert_eq!(total, lines.iter().map(|l| l["amount"].as_i64().unwrap()).sum::<i64>());
    // Nearly a whole month left: nearly the difference of $199 and $49.
    assert!((14_000..=15_000).contains(&total), "{shown}");
    let at = shown["proration_date"].as_i64().unwrap();
    assert!((app_now() / 1000 - at).abs() < 60);
    let asked = fake.requests().await.into_iter().rfind(|r| r["path"] == "/v1/invoices/create_preview").unwrap();
    let details = &asked["form"]["subscription_details"];
    assert_eq!(
        (&details["items"][0]["price"], &details["proration_behavior"]),
        (&json!("price_support_enterprise_month"), &json!("always_invoice"))
    );
    assert_eq!(details["proration_date"], at.to_string());
    assert_eq!(overview(&app, owner, ws).await.json()["plan"], "pro");

    // A declined card changes nothing; neither does a preview left too long.
    fake.decline(1).await;
    let declined = change(&app, owner, workspace, "enterprise", "month", at).await;
    assert_eq!(declined.status, StatusCode::CONFLICT, "{}", declined.body);
    assert!(declined.body.contains("card was declined"), "{}", declined.body);
    let stale = change(&app, owner, workspace, "enterprise", "month", at - 3600).await;
    assert!(stale.body.contains("out of date"), "{}", stale.body);
    assert_eq!(overview(&app, owner, ws).await.json()["plan"], "pro");

    // Confirmed: Enterprise at once (before any webhook), charged what was shown, told once.
    let seen = fake.delivered().await.len();
    let done = change(&app, owner, workspace, "enterprise", "month", at).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert_eq!(overview(&app, owner, ws).await.json()["plan"], "enterprise");
    let updated = fake
        .requests()
        .await
        .into_iter()
        .rfind(|r| r["method"] == "POST" && r["path"] == format!("/v1/subscriptions/{subscription}"))
        .unwrap();
    assert_eq!(
        (
            &updated["form"]["proration_behavior"],
            &updated["form"]["payment_behavior"],
            &updated["form"]["proration_date"]
        ),
        (&json!("always_invoice"), &json!("error_if_incomplete"), &json!(at.to_string()))
    );
    assert_eq!(mails_to(&app, "owner@shop.example", "changed from Pro to Enterprise"), 1);
    let invoices = app.call(owner, "/api/billing/invoices", &[("workspace_id", workspace)]).await.json();
    assert_eq!(invoices[0]["total"].as_i64(), Some(total), "the proration invoiced is the one shown: {invoices}");
    // Its webhooks come after and change nothing more (the same interval keeps the period).
    let caused = fake.delivered().await.split_off(seen);
    assert_eq!(
        caused.iter().map(|d| d.kind.as_str()).collect::<Vec<_>>(),
        ["invoice.paid", "customer.subscription.updated"]
    );
    deliver(&app, &caused).await;
    assert_eq!(mails_to(&app, "owner@shop.example", "changed from Pro to Enterprise"), 1);
    let enterprise = usage(&app, owner, workspace).await;
    assert_eq!((&enterprise["quota"], &enterprise["resets_at"]), (&Value::Null, &renewed_end), "{enterprise}");

    // Monthly to yearly starts a new billing cycle: the year's price, less the unused month, and a new period once paid.
    let yearly = preview(&app, owner, workspace, "pro", "year").await.json();
    let lines = yearly["lines"].as_array().unwrap();
    assert!(lines[0]["description"].as_str().unwrap().starts_with("Unused time on Enterprise"), "{yearly}");
    assert_eq!(lines[1]["amount"], 49_000, "{yearly}");
    let seen = fake.delivered().await.len();
    let at = yearly["proration_date"].as_i64().unwrap();
    assert_eq!(change(&app, owner, workspace, "pro", "year", at).await.status, StatusCode::OK);
    deliver(&app, &fake.delivered().await.split_off(seen)).await;
    let year = overview(&app, owner, ws).await.json();
    assert_eq!((&year["plan"], &year["interval"]), (&json!("pro"), &json!("Year")), "{year}");
    let year_end = year["period_end"].clone();
    assert!(year_end.as_i64().unwrap() > app_now() + 360 * DAY_MS, "{year}");
    let fresh = usage(&app, owner, workspace).await;
    assert_eq!((&fresh["answers"], &fresh["resets_at"]), (&json!(0), &year_end), "{fresh}");

    // Changed in the portal, back before the webhook: the page reads it from Stripe.
    let _pending = fake.change(&subscription, json!({ "cancel_at_period_end": true })).await;
    let fields = [("workspace_id", workspace), ("fresh", "true")];
    let back = app.call(owner, "/api/billing/overview", &fields).await.json();
    assert_eq!(back["cancel_at"], year_end, "{back}");
    assert_eq!(mails_to(&app, "owner@shop.example", "will end on"), 1);
    let refused = preview(&app, owner, workspace, "pro", "month").await;
    assert!(refused.body.contains("set to end"), "{}", refused.body);
    assert_eq!(plan_changes(&app, workspace).await.len(), 3, "Pro, Enterprise, Pro");

    // An event naming a subscription Stripe does not have is recorded as ignored, once.
    let body = json!({
        "id": "evt_missing", "object": "event", "type": "customer.subscription.updated", "created": app_now() / 1000,
        "data": { "object": { "id": "sub_gone", "object": "subscription" } },
    })
    .to_string();
    let answer = post(&app, &body, &sign(WEBHOOK_SECRET, body.as_bytes(), app_now() / 1000)).await;
    assert_eq!(answer.status, StatusCode::OK);
    settle(&app).await;
    let outcome: String = sqlx::query_scalar("SELECT outcome FROM stripe_events WHERE id = 'evt_missing'")
        .fetch_one(app.state.sql.pool())
        .await
        .unwrap();
    assert_eq!(outcome, "ignored: Stripe has no such subscription");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_the_purchase_usage_invoices_and_plan_changes_follow_stripe_sqlite() {
    after_the_purchase(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_the_purchase_usage_invoices_and_plan_changes_follow_stripe_postgres() {
    after_the_purchase(Db::Postgres).await;
}

/// An account whose plan would renew cannot be deleted (Stripe would go on
/// charging); once it is set to end, the account and its billing go, and
/// the export says what was paid for.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_that_still_pays_is_not_deleted_until_its_plan_is_set_to_end() {
    let fake = FakeStripe::start();
    let app = stripe_app(Db::Sqlite, &fake).await;
    let ada = app.verified_user("ada@example.com", "mentor").await;
    let url = checkout(&app, &ada, None, "pro", "month").await.json();
    deliver(&app, &fake.pay(&session_of(&url)).await).await;
    let exported = app.get_as(&ada, "/account/export").await.json();
    assert_eq!(exported["mentor_billing"]["subscription"]["plan"], "pro", "{exported}");
    assert_eq!(exported["mentor_billing"]["plan_changes"][0]["to"], "pro");
    assert!(!exported.to_string().contains("sk_test"), "no secret in the export");

    let confirm = [("password", PASSWORD), ("confirm", "ada@example.com")];
    let refused = app.call(&ada, "/api/accounts/delete", &confirm).await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.body);
    assert!(refused.body.contains("career mentor plan is still paid"), "{}", refused.body);
    assert_eq!(app.count("users").await, 1);

    let subscription: String = sqlx::query_scalar("SELECT subscription_id FROM billing_accounts")
        .fetch_one(app.state.sql.pool())
        .await
        .unwrap();
    deliver(&app, &fake.change(&subscription, json!({ "cancel_at_period_end": true })).await).await;
    let gone = app.call(&ada, "/api/accounts/delete", &confirm).await;
    assert!(gone.status.is_success() || gone.status.is_redirection(), "{}", gone.body);
    assert_eq!(
        (app.count("users").await, app.count("billing_accounts").await, app.count("plan_changes").await),
        (0, 0, 0)
    );
}

/// At start-up each configured price is checked with Stripe against the
/// plan table: a missing price, or one that charges another amount, is
/// named by its variable.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_up_asks_stripe_whether_each_price_sells_what_the_plan_table_says() {
    let fake = FakeStripe::start();
    let app = stripe_app(Db::Sqlite, &fake).await;
    assert_eq!(app.state.billing.check_prices().await, Vec::<String>::new(), "the fake sells the plan table's prices");

    let wrong = lodestar_server::config::BillingConfig::from_lookup(|name| match name {
        // $490 a year at the fake, where the plan table says $1,990.
        "STRIPE_PRICE_SUPPORT_ENTERPRISE_YEARLY" => Some("price_support_enterprise_year".to_owned()),
        "STRIPE_PRICE_MENTOR_PRO_YEARLY" => Some("price_missing_year".to_owned()),
        _ => fake.env().iter().find(|(n, _)| n == name).map(|(_, v)| v.clone()),
    })
    .unwrap();
    let misconfigured = TestApp::builder(Db::Sqlite).config(move |c| c.billing = wrong).build().await;
    assert_eq!(
        misconfigured.state.billing.check_prices().await,
        [
            "STRIPE_PRICE_SUPPORT_ENTERPRISE_YEARLY: price_support_enterprise_year is $490.00 at Stripe; the plan table says $1,990.00",
            "STRIPE_PRICE_MENTOR_PRO_YEARLY: Stripe has no price price_missing_year",
        ]
    );
}

/// Stripe's rate limit is the whole account's: one payer's requests that
/// reach Stripe are counted, and past their share refused for a while
/// (429 with when to come back) before Stripe is asked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_payer_cannot_spend_stripe_s_rate_limit_for_everyone() {
    let fake = FakeStripe::start();
    let app = stripe_app(Db::Sqlite, &fake).await;
    let owner = app.verified_user("owner@shop.example", "business").await;
    let workspace = app.workspace_of(&owner).await;
    // Checkout makes the customer, so the invoices are asked of Stripe.
    assert_eq!(checkout(&app, &owner, Some(&workspace), "pro", "month").await.status, StatusCode::OK);
    let share = lodestar_server::billing::STRIPE_CALLS_PER_PAYER.limit;
    for _ in 1..share {
        assert_eq!(
            app.call(&owner, "/api/billing/invoices", &[("workspace_id", &workspace)]).await.status,
            StatusCode::OK
        );
    }
    // (Start-up's price check is not this payer's: left out.)
    let payers_requests = || async {
        fake.requests().await.iter().filter(|r| !r["path"].as_str().unwrap().starts_with("/v1/prices/")).count()
    };
    let asked = payers_requests().await;
    let refused = app.call(&owner, "/api/billing/invoices", &[("workspace_id", &workspace)]).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS, "{}", refused.body);
    assert!(refused.header("retry-after").parse::<u64>().unwrap() >= 1);
    assert_eq!(checkout(&app, &owner, Some(&workspace), "pro", "month").await.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(payers_requests().await, asked, "refused before Stripe is asked");
    // Another payer's share is untouched.
    let other = app.verified_user("ada@example.com", "mentor").await;
    assert_eq!(checkout(&app, &other, None, "pro", "month").await.status, StatusCode::OK);
}
