//! Stripe for the tests: the fake in `end2end/fakes/stripe.mjs` (shared
//! with the browser tests), run by Node as a child process. The server's
//! real client talks to it; tests move its subscriptions and post the
//! signed events it makes to the server, as Stripe would.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use serde_json::{json, Value};

pub const WEBHOOK_SECRET: &str = "whsec_lodestar_fake";

pub struct FakeStripe {
    child: Child,
    pub base_url: String,
    /// The settings that point a server at the fake, as the fake names them.
    env: Vec<(String, String)>,
    client: reqwest::Client,
}

/// A signed delivery the fake made, as Stripe would post it.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub kind: String,
    pub body: String,
    pub signature: String,
}

impl FakeStripe {
    pub fn start() -> FakeStripe {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../end2end/fakes/stripe.mjs");
        let mut child = Command::new("node")
            .arg(script)
            .env("FAKE_STRIPE_PORT", "0")
            .env("FAKE_STRIPE_KEY", "sk_test_lodestar_fake")
            .env("FAKE_STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("node runs the fake Stripe");
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).expect("the fake says where it listens");
        let said: Value = serde_json::from_str(&first).unwrap_or_else(|_| panic!("the fake said {first:?}"));
        let env = said["server_env"]
            .as_object()
            .expect("the fake's settings")
            .iter()
            .map(|(name, value)| (name.clone(), value.as_str().unwrap().to_owned()))
            .collect();
        let base_url = format!("http://127.0.0.1:{}", said["listening"]);
        FakeStripe { child, base_url, env, client: reqwest::Client::new() }
    }

    /// The environment that points a server at this fake.
    pub fn env(&self) -> &[(String, String)] {
        &self.env
    }

    /// The same, as the test app's billing settings.
    pub fn billing_config(&self) -> lodestar_server::config::BillingConfig {
        lodestar_server::config::BillingConfig::from_lookup(|name| {
            self.env.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone())
        })
        .expect("the fake's settings are valid")
    }

    async fn control(&self, path: &str, body: Value) -> Value {
        let response = self
            .client
            .post(format!("{}/_fake/{path}", self.base_url))
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success(), "the fake refused {path}: {}", response.status());
        serde_json::from_str(&response.text().await.unwrap()).unwrap()
    }

    /// Every API request the server made, in order.
    pub async fn requests(&self) -> Vec<Value> {
        self.control("requests", json!({})).await.as_array().cloned().unwrap_or_default()
    }

    /// Pays Checkout session `id` (as the page's button does): its deliveries.
    pub async fn pay(&self, session: &str) -> Vec<Delivery> {
        deliveries(&self.control(&format!("checkout/{session}/pay"), json!({})).await)
    }

    /// Moves a subscription (`{"renew": true, "payment": "paid"}`, `{"status": "past_due",
    /// "payment": "failed"}`, `{"cancel_at_period_end": true}`, `{"price": …}`): its deliveries.
    pub async fn change(&self, subscription: &str, change: Value) -> Vec<Delivery> {
        deliveries(&self.control(&format!("subscriptions/{subscription}"), change).await)
    }

    /// Makes reads of subscriptions wait (`true`) until released (`false`).
    pub async fn hold_reads(&self, hold: bool) {
        self.control("hold", json!({ "hold": hold })).await;
    }

    /// Makes the next `count` reads of a subscription fail with Stripe's 500.
    pub async fn fail_reads(&self, count: u32) {
        self.control("fail", json!({ "count": count })).await;
    }

    /// Makes the next `count` plan changes fail as a declined card does (402).
    pub async fn decline(&self, count: u32) {
        self.control("decline", json!({ "count": count })).await;
    }

    /// Every event the fake made, in order (also those the server's own calls caused).
    pub async fn delivered(&self) -> Vec<Delivery> {
        let all = self.control("deliveries", json!({})).await;
        deliveries(&json!({ "deliveries": all }))
    }
}

fn deliveries(answer: &Value) -> Vec<Delivery> {
    answer["deliveries"]
        .as_array()
        .expect("deliveries")
        .iter()
        .map(|d| Delivery {
            kind: d["type"].as_str().unwrap().to_owned(),
            body: d["body"].as_str().unwrap().to_owned(),
            signature: d["header"].as_str().unwrap().to_owned(),
        })
        .collect()
}

impl Drop for FakeStripe {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
