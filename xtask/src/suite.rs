//! `cargo xtask test`: every check and suite, then one summary. A suite whose
//! prerequisites are missing fails with the reason; nothing is skipped.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use crate::fake_stripe::FakeStripe;
use crate::tools::{self, Needs};
use crate::util::{apt_install, format_duration, heading, is_on_path, Cmd, Context, Server};
use crate::{postgres, site};

struct Outcome {
    name: &'static str,
    duration: Duration,
    error: Option<String>,
}

struct Suite {
    outcomes: Vec<Outcome>,
}

impl Suite {
    fn step<T>(&mut self, name: &'static str, f: impl FnOnce() -> Result<T, String>) -> Option<T> {
        heading(name);
        let started = Instant::now();
        let result = f();
        let duration = started.elapsed();
        match result {
            Ok(value) => {
                self.outcomes.push(Outcome { name, duration, error: None });
                Some(value)
            }
            Err(error) => {
                eprintln!("\nFAILED: {name}: {error}");
                self.outcomes.push(Outcome { name, duration, error: Some(error) });
                None
            }
        }
    }

    fn summary(&self) -> ExitCode {
        heading("Summary");
        for outcome in &self.outcomes {
            let status = if outcome.error.is_some() { "FAIL" } else { "PASS" };
            println!("  {status}  {:<52} {:>8}", outcome.name, format_duration(outcome.duration));
            if let Some(error) = &outcome.error {
                println!("        {}", error.lines().next().unwrap_or_default());
            }
        }
        let failed = self.outcomes.iter().filter(|o| o.error.is_some()).count();
        let total: Duration = self.outcomes.iter().map(|o| o.duration).sum();
        println!("\nsteps: {} passed, {failed} failed (in {})", self.outcomes.len() - failed, format_duration(total));
        if failed == 0 {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        }
    }
}

pub fn run(ctx: &Context) -> ExitCode {
    let mut suite = Suite { outcomes: Vec::new() };
    suite.step("format (rustfmt --check)", || ctx.cargo(&["fmt", "--all", "--check"]).status_ok("rustfmt"));
    let tools = suite.step("tools (wasm32 target, wasm-bindgen)", || tools::setup(ctx, Needs::Test));
    suite.step("clippy: server, app, xtask (ssr), warnings are errors", || {
        ctx.cargo(&[
            "clippy",
            "--locked",
            "-p",
            "server",
            "-p",
            "app",
            "-p",
            "xtask",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ])
        .status_ok("clippy")
    });
    suite.step("clippy: frontend, frontend-public, widget (wasm32, hydrate)", || {
        ctx.cargo(&[
            "clippy",
            "--locked",
            "-p",
            "frontend",
            "-p",
            "frontend-public",
            "-p",
            "widget",
            "--target",
            "wasm32-unknown-unknown",
            "--",
            "-D",
            "warnings",
        ])
        .status_ok("clippy")
    });
    let postgres = suite.step("PostgreSQL for the test suite", postgres::ensure);
    suite.step("unit and integration tests (SQLite and PostgreSQL)", || {
        let url =
            postgres.clone().ok_or("PostgreSQL is unavailable (see above), so its half of the suite cannot run")?;
        ctx.cargo(&["test", "--locked", "-p", "server", "-p", "app", "-p", "xtask"])
            .env("TEST_DATABASE_URL", url)
            .status_ok("cargo test")
    });
    let built = suite.step("WASM builds (both hydration bundles and the widget)", || {
        site::build_for_tests(ctx, tools.as_ref().ok_or("the tools could not be installed")?)
    });
    suite.step("browser tests (end2end/, Chromium)", || {
        built.ok_or("the WASM builds failed")?;
        run_browser_tests_on_own_server(ctx)
    });
    suite.summary()
}

/// Starts the freshly built server on the embedded stores in a scratch data
/// directory and runs the browser tests against it.
/// When they fail, the server's warnings and errors are shown too: CI keeps
/// nothing else of the server's log.
fn run_browser_tests_on_own_server(ctx: &Context) -> Result<(), String> {
    let stripe = FakeStripe::start(&ctx.root)?;
    let server = Server::start_site(ctx, "debug", false, "info", &stripe.server_env)?;
    let data_dir = server.data_dir.as_deref().unwrap_or(Path::new("data"));
    let result = run_node_tests(ctx, &server.base_url, data_dir, Some(&stripe.url));
    result.map_err(|failure| {
        let log = std::fs::read_to_string(&server.log).unwrap_or_default();
        let trouble: Vec<&str> = log.lines().filter(|l| l.contains("WARN") || l.contains("ERROR")).collect();
        let last = &trouble[trouble.len().saturating_sub(40)..];
        let shown = if last.is_empty() { "none".to_owned() } else { last.join("\n") };
        format!("{failure}\nthe server's last warnings and errors ({}):\n{shown}", server.log.display())
    })
}

/// `cargo xtask e2e URL`: the browser tests against a server someone else runs.
/// (Its Stripe, if any, is not the fake: the billing tests say so.)
pub fn browser_tests(ctx: &Context, base_url: &str) -> Result<(), String> {
    run_node_tests(ctx, base_url, &ctx.root.join("data"), None)
}

/// `data_dir` is the server's: the tests read its SQLite file and its mail
/// outbox; `stripe` is the fake Stripe the server was pointed at.
fn run_node_tests(ctx: &Context, base_url: &str, data_dir: &Path, stripe: Option<&str>) -> Result<(), String> {
    let chromium = ensure_chromium()?;
    let dir = ctx.root.join("end2end");
    ensure_node_modules(&dir)?;
    Cmd::new("node", &["--test", "--test-concurrency=1", "tests/"])
        .dir(&dir)
        .env("BASE_URL", base_url)
        .env("CHROMIUM_PATH", &chromium)
        .env("LODESTAR_DB", data_dir.join("lodestar.db"))
        .env("LODESTAR_DATA_DIR", data_dir)
        .env("SCREENSHOT_DIR", ctx.target_dir.join("e2e-screenshots"))
        .env("FAKE_STRIPE_URL", stripe.unwrap_or_default())
        .status_ok("the browser tests")
}

pub fn ensure_chromium() -> Result<PathBuf, String> {
    let path =
        std::env::var_os("CHROMIUM_PATH").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    if path.is_file() {
        return Ok(path);
    }
    if apt_install("chromium")? && path.is_file() {
        return Ok(path);
    }
    Err(format!(
        "Chromium was not found at {}. Install Debian's chromium (apt-get install chromium) \
         or set CHROMIUM_PATH; the browser tests cannot be skipped",
        path.display()
    ))
}

pub fn ensure_node_modules(dir: &Path) -> Result<(), String> {
    if !is_on_path("node") || !is_on_path("npm") {
        return Err("Node.js 20+ and npm are needed for the browser tests: apt-get install nodejs npm".into());
    }
    let installed = dir.join("node_modules").join(".package-lock.json");
    let lock = dir.join("package-lock.json");
    let fresh = match (std::fs::metadata(&installed), std::fs::metadata(&lock)) {
        (Ok(installed), Ok(lock)) => installed.modified().ok() >= lock.modified().ok(),
        _ => false,
    };
    if fresh {
        return Ok(());
    }
    println!("  ..  installing the browser-test packages (npm ci)");
    Cmd::new("npm", &["ci", "--no-audit", "--no-fund"]).dir(dir).status_ok("npm ci in end2end/")
}
