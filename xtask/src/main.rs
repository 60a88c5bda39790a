//! Project automation: `cargo xtask <command>`. Standard library only, so it
//! builds in seconds on a fresh machine.

mod bench;
mod fake_stripe;
mod model;
mod onet;
mod postgres;
mod site;
mod suite;
mod tools;
mod util;

use std::process::ExitCode;

const USAGE: &str = "\
Usage: cargo xtask <command>

Commands:
  serve [--release]   install what is missing, build, and serve on http://127.0.0.1:3000
  dev                 like serve, but rebuild and reload on every change (cargo leptos watch)
  setup               only install the missing tools (idempotent)
  test                run every check and test suite, then print a pass/fail summary
  e2e [URL]           run the browser tests against a running server (default http://127.0.0.1:3000)
  bench               release build, then print throughput, latency, download sizes and build times
  onet DIR            rebuild the mentor's dataset (server/onet/) from an O*NET release's text files
";

fn main() -> ExitCode {
    forget_cargo_run_environment();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let ctx = match util::Context::new() {
        Ok(ctx) => ctx,
        Err(e) => return fail(&e),
    };
    let result = match args.first().map(String::as_str) {
        Some("serve") => serve(&ctx, args.iter().any(|a| a == "--release")),
        Some("dev") => dev(&ctx),
        Some("setup") => tools::setup(&ctx, tools::Needs::Serve).map(|_| ()),
        Some("test") => return suite::run(&ctx),
        Some("e2e") => suite::browser_tests(&ctx, args.get(1).map_or("http://127.0.0.1:3000", String::as_str)),
        Some("bench") => bench::run(&ctx),
        Some("onet") => onet::run(&ctx, args.get(1).map(String::as_str)),
        Some("help" | "--help" | "-h") | None => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Some(other) => Err(format!("unknown command {other:?}\n\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&e),
    }
}

/// `cargo run` tells the xtask about the xtask package (`CARGO_MANIFEST_DIR`,
/// `CARGO_PKG_*`, …). Passed on to the cargo commands we start, those
/// variables change some build scripts' fingerprints (ring reads
/// `CARGO_MANIFEST_DIR`), so builds from here and from a plain shell would
/// keep invalidating each other.
fn forget_cargo_run_environment() {
    let injected: Vec<String> = std::env::vars_os()
        .filter_map(|(name, _)| name.into_string().ok())
        .filter(|name| {
            name.starts_with("CARGO_PKG_")
                || [
                    "CARGO_MANIFEST_DIR",
                    "CARGO_MANIFEST_PATH",
                    "CARGO_CRATE_NAME",
                    "CARGO_BIN_NAME",
                    "CARGO_PRIMARY_PACKAGE",
                ]
                .contains(&name.as_str())
        })
        .collect();
    for name in injected {
        std::env::remove_var(name);
    }
}

fn fail(message: &str) -> ExitCode {
    eprintln!("\nxtask: {message}");
    ExitCode::FAILURE
}

/// Builds everything with cargo-leptos and serves on the embedded defaults.
fn serve(ctx: &util::Context, release: bool) -> Result<(), String> {
    let tools = tools::setup(ctx, if release { tools::Needs::Release } else { tools::Needs::Serve })?;
    site::build_widget(ctx, &tools)?;
    std::fs::create_dir_all(ctx.root.join("data")).map_err(|e| format!("cannot create ./data: {e}"))?;
    util::heading("Building and starting Lodestar (first build takes a while; later runs are quick)");
    // Brotli and gzip files next to the assets, made once at build time.
    let release_args: &[&str] = if release { &["--release", "--precompress"] } else { &[] };
    // The public pages' bundle first: `serve` builds only the project it runs.
    let mut args = vec!["leptos", "build", "--project", "lodestar-public", "--frontend-only"];
    args.extend(release_args);
    ctx.cargo(&args).env("PATH", tools.path()).status_ok("cargo leptos build (public pages)")?;
    let mut args = vec!["leptos", "serve", "--project", "lodestar"];
    args.extend(release_args);
    ctx.cargo(&args).env("PATH", tools.path()).status_ok("cargo leptos serve")
}

/// `cargo leptos watch` with the same tools and target directory.
fn dev(ctx: &util::Context) -> Result<(), String> {
    let tools = tools::setup(ctx, tools::Needs::Serve)?;
    site::build_widget(ctx, &tools)?;
    std::fs::create_dir_all(ctx.root.join("data")).map_err(|e| format!("cannot create ./data: {e}"))?;
    // Watch rebuilds one bundle, so every page loads the dashboard's, which
    // holds every page (`server::http::assets::bundles`).
    ctx.cargo(&["leptos", "watch", "--project", "lodestar"]).env("PATH", tools.path()).status_ok("cargo leptos watch")
}
