//! The fake Stripe (`end2end/fakes/stripe.mjs`) beside the server the
//! browser tests use: the server's Stripe client talks to it, and the tests
//! pay on its Checkout page and open its portal.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

pub struct FakeStripe {
    child: Child,
    pub url: String,
    /// What points a server at it: its keys, address and prices.
    pub server_env: Vec<(String, String)>,
}

impl FakeStripe {
    pub fn start(root: &Path) -> Result<FakeStripe, String> {
        let mut child = Command::new("node")
            .arg(root.join("end2end/fakes/stripe.mjs"))
            .env("FAKE_STRIPE_PORT", "0")
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start the fake Stripe with node: {e}"))?;
        let mut first = String::new();
        let stdout = child.stdout.take().ok_or("the fake Stripe has no output")?;
        BufReader::new(stdout).read_line(&mut first).map_err(|e| e.to_string())?;
        let port = first
            .split("\"listening\":")
            .nth(1)
            .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
            .ok_or_else(|| format!("the fake Stripe said {first:?}"))?;
        let server_env = string_pairs(first.split("\"server_env\":").nth(1).unwrap_or_default());
        Ok(FakeStripe { url: format!("http://127.0.0.1:{port}"), child, server_env })
    }
}

/// The `"name":"value"` pairs of a flat JSON object of strings (the fake's
/// settings: no escapes in them).
fn string_pairs(object: &str) -> Vec<(String, String)> {
    let quoted: Vec<&str> = object.split('"').skip(1).step_by(2).collect();
    quoted.chunks_exact(2).map(|pair| (pair[0].to_owned(), pair[1].to_owned())).collect()
}

impl Drop for FakeStripe {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fake_s_settings_are_read_as_pairs() {
        let line = r#"{"listening":4242,"server_env":{"STRIPE_SECRET_KEY":"sk_test_fake","STRIPE_API_BASE":"http://127.0.0.1:4242"}}"#;
        let env = string_pairs(line.split("\"server_env\":").nth(1).unwrap());
        assert_eq!(
            env,
            [
                ("STRIPE_SECRET_KEY".to_owned(), "sk_test_fake".to_owned()),
                ("STRIPE_API_BASE".to_owned(), "http://127.0.0.1:4242".to_owned())
            ]
        );
    }
}
