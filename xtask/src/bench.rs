//! `cargo xtask bench`: a release build, then throughput and latency under
//! load from wrk, the compressed bytes a visitor downloads, and build times.
//! Numbers are printed, never asserted.

use std::time::Instant;

use crate::site;
use crate::tools::{self, Needs};
use crate::util::{apt_install, format_duration, heading, is_on_path, Cmd, Context, Server};

const LOAD_SECONDS: &str = "10";
// Enough to saturate both cores; more only adds queueing to every latency.
const CONNECTIONS: &str = "16";

pub fn run(ctx: &Context) -> Result<(), String> {
    let tools = tools::setup(ctx, Needs::Release)?;
    ensure_wrk()?;

    let started = Instant::now();
    site::build_widget(ctx, &tools)?;
    let widget_build = started.elapsed();
    heading("Release build (cargo leptos build --release --precompress, both projects)");
    let started = Instant::now();
    ctx.cargo(&["leptos", "build", "--release", "--precompress", "--project", "lodestar"])
        .env("PATH", tools.path())
        .status_ok("cargo leptos build --release")?;
    ctx.cargo(&["leptos", "build", "--release", "--precompress", "--project", "lodestar-public", "--frontend-only"])
        .env("PATH", tools.path())
        .status_ok("cargo leptos build --release (public pages)")?;
    let site_build = started.elapsed();

    let server = Server::start_site(ctx, "release", true, "warn", &[])?;

    let mut load = Vec::new();
    for path in ["/", "/pricing"] {
        heading(&format!("Load: GET {path} ({CONNECTIONS} connections, {LOAD_SECONDS} s, wrk)"));
        load.push((path.to_string(), wrk(&format!("{}{path}", server.base_url), &[])?));
    }

    heading(&format!("Login: {LOGINS} sequential POST /api/accounts/log-in as the seeded demo owner"));
    let (cookie, mut logins) = log_in(&server.base_url)?;
    logins.sort_by(f64::total_cmp);
    let team_page = format!("{}/team", dashboard_home(&server.base_url, &cookie)?);
    heading(&format!("Load: GET {team_page} signed in ({CONNECTIONS} connections, {LOAD_SECONDS} s, wrk)"));
    let cookie_header = format!("Cookie: {cookie}");
    load.push((team_page.clone(), wrk(&format!("{}{team_page}", server.base_url), &["-H", &cookie_header])?));

    heading("Download sizes to first interaction (as served, compressed: HTML, CSS, JS, WASM)");
    let pages = [
        ("/".to_string(), None),
        ("/pricing".to_string(), None),
        ("/login".to_string(), None),
        // The career mentor's results, as anyone reaches them.
        ("/mentor?interest=analyse+data&experience=mid&skills=Python%2C+SQL".to_string(), None),
        (team_page.clone(), Some(cookie.as_str())),
    ];
    let mut page_sizes = Vec::new();
    for (path, cookie) in &pages {
        page_sizes.push((path.clone(), page_download(&server.base_url, path, *cookie)?));
    }
    let widget: Vec<String> = ["/widget.js", "/widget/lodestar_widget.js", "/widget/lodestar_widget_bg.wasm"]
        .iter()
        .map(|path| format!("{}{path}", server.base_url))
        .collect();
    let widget_sizes = sizes(&widget, None)?;
    let launcher_sizes = sizes(&widget[..1], None)?;

    heading("Pages: from navigation to interactive (hydrated), in Chromium");
    let end2end = ctx.root.join("end2end");
    let chromium = crate::suite::ensure_chromium()?;
    crate::suite::ensure_node_modules(&end2end)?;
    let paths: Vec<&str> = pages.iter().map(|(path, _)| path.as_str()).collect();
    Cmd::new("node", &["bench/pages-interactive.mjs"])
        .dir(&end2end)
        .env("BASE_URL", &server.base_url)
        .env("CHROMIUM_PATH", &chromium)
        .env("SESSION_COOKIE", &cookie)
        .env("PAGES", paths.join(" "))
        .env("SIGNED_IN_FROM", "4")
        .status_ok("the pages' time to interactive")?;

    heading("Widget: from script request to launcher painted, in Chromium");
    Cmd::new("node", &["bench/widget-launch.mjs"])
        .dir(&end2end)
        .env("BASE_URL", &server.base_url)
        .env("CHROMIUM_PATH", &chromium)
        .status_ok("the widget launch timing")?;
    drop(server);

    heading("Results");
    println!("  throughput and latency (targets: >= 3000 req/s, p99 < 10 ms)");
    for (path, result) in &load {
        println!(
            "    GET {:<24} {:>9.0} req/s   p50 {:>7.2} ms   p99 {:>7.2} ms",
            if path.starts_with("/app/") { "dashboard Team (signed in)" } else { path },
            result.requests_per_second,
            result.p50_ms,
            result.p99_ms
        );
    }
    println!(
        "  login (argon2id verify + new session), {LOGINS} in a row: p50 {:.1} ms, max {:.1} ms",
        logins[logins.len() / 2],
        logins[logins.len() - 1]
    );
    println!("  download to first interaction, per page (target for /: <= 250 KB brotli and <= 300 KB gzip)");
    for (path, sizes) in &page_sizes {
        let label = if path.starts_with("/app/") { "dashboard Team (signed in)" } else { path };
        println!("    {label:<48} gzip {:>7.1} KB   br {:>7.1} KB", kb(sizes.gzip), kb(sizes.brotli));
        for (url, gzip, brotli) in &sizes.files {
            println!("      {:<46} gzip {:>7.1} KB   br {:>7.1} KB", short(url), kb(*gzip), kb(*brotli));
        }
    }
    println!("  widget (targets: launcher <= 20 KB gzip, everything <= 60 KB gzip)");
    for (url, gzip, brotli) in &widget_sizes.files {
        println!("    {:<48} gzip {:>7.1} KB   br {:>7.1} KB", short(url), kb(*gzip), kb(*brotli));
    }
    println!(
        "    {:<48} gzip {:>7.1} KB   br {:>7.1} KB",
        "launcher (widget.js draws it)",
        kb(launcher_sizes.gzip),
        kb(launcher_sizes.brotli)
    );
    println!(
        "    {:<48} gzip {:>7.1} KB   br {:>7.1} KB",
        "everything (launcher + chat panel)",
        kb(widget_sizes.gzip),
        kb(widget_sizes.brotli)
    );
    println!("  build times (this run; cached artifacts make repeat runs faster)");
    println!("    widget (wasm-release)                 {}", format_duration(widget_build));
    println!("    server + both hydrate bundles (release) {}", format_duration(site_build));

    heading("Knowledge: ingestion, query embedding, retrieval latency and recall (release, in-process)");
    ctx.cargo(&["bench", "--locked", "-p", "server", "--bench", "knowledge"])
        .env("MODEL_DIR", crate::model::dir(ctx))
        .status_ok("cargo bench --bench knowledge")?;

    heading("Chat: the pipeline without an LLM at 10k chunks, one at a time and 8 at once (release, in-process)");
    ctx.cargo(&["bench", "--locked", "-p", "server", "--bench", "chat"])
        .env("MODEL_DIR", crate::model::dir(ctx))
        .status_ok("cargo bench --bench chat")?;

    heading("Answers and sentiment on the labelled sets (the test suite's measurements, debug build)");
    ctx.cargo(&[
        "test",
        "--locked",
        "-p",
        "server",
        "--test",
        "it",
        "--",
        "answerability_is_calibrated",
        "chat::sentiment_",
        "--nocapture",
        "--test-threads=1",
    ])
    .env("MODEL_DIR", crate::model::dir(ctx))
    .status_ok("the answer and sentiment measurements")?;

    heading("Mentor: dataset start-up and memory, recommendation latency (release, in-process)");
    ctx.cargo(&["bench", "--locked", "-p", "server", "--bench", "mentor"])
        .env("MODEL_DIR", crate::model::dir(ctx))
        .status_ok("cargo bench --bench mentor")?;
    heading(
        "Mentor: the right role in the top 3 for the labelled profiles (the test suite's measurement, debug build)",
    );
    ctx.cargo(&[
        "test",
        "--locked",
        "-p",
        "server",
        "--lib",
        "--",
        "the_right_role_is_in_the_top_three",
        "--nocapture",
    ])
    .env("MODEL_DIR", crate::model::dir(ctx))
    .status_ok("the mentor's labelled profiles")?;

    heading("Desk: a person's reply reaching the visitor with 1,000 push channels open (release server process)");
    ctx.cargo(&["bench", "--locked", "-p", "server", "--bench", "desk"])
        .env("MODEL_DIR", crate::model::dir(ctx))
        .status_ok("cargo bench --bench desk")?;

    heading("Chat: concurrent streaming answers from a fake LLM at 30 tokens/s (release, in-process)");
    ctx.cargo(&["bench", "--locked", "-p", "server", "--bench", "streaming"])
        .env("MODEL_DIR", crate::model::dir(ctx))
        .status_ok("cargo bench --bench streaming")?;
    Ok(())
}

fn ensure_wrk() -> Result<(), String> {
    if is_on_path("wrk") || apt_install("wrk")? {
        return Ok(());
    }
    Err("the load generator wrk is missing: apt-get install wrk".into())
}

struct Load {
    requests_per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
}

/// The demo login `cargo xtask serve` seeds in development (see the README).
const DEMO_LOGIN: &str = "email=demo%40lodestar.localhost&password=lodestar-demo-2026";
const LOGINS: usize = 20;

/// Logs in `LOGINS` times; returns the last session cookie and each login's milliseconds.
fn log_in(base_url: &str) -> Result<(String, Vec<f64>), String> {
    let url = format!("{base_url}/api/accounts/log-in");
    let mut cookie = String::new();
    let mut times = Vec::new();
    for _ in 0..LOGINS {
        let out = Cmd::new(
            "curl",
            &[
                "-s",
                "-D",
                "-",
                "-o",
                "/dev/null",
                "-w",
                "\n%{time_total}",
                "-H",
                "Sec-Fetch-Site: same-origin",
                "-H",
                "Accept: application/json",
                "--data",
                DEMO_LOGIN,
                &url,
            ],
        )
        .output_ok("logging in")?;
        cookie = out
            .lines()
            .find_map(|line| {
                line.to_ascii_lowercase().starts_with("set-cookie:").then(|| line[11..].trim().to_string())
            })
            .and_then(|value| value.split(';').next().map(str::to_string))
            .ok_or_else(|| format!("the demo login failed (is SEED_DEMO on?):\n{out}"))?;
        let seconds: f64 = out.lines().last().and_then(|l| l.trim().parse().ok()).ok_or("curl printed no time")?;
        times.push(seconds * 1000.0);
    }
    Ok((cookie, times))
}

/// Where the signed-in demo owner lands: `/app/w/<workspace>`.
fn dashboard_home(base_url: &str, cookie: &str) -> Result<String, String> {
    let out = Cmd::new(
        "curl",
        &[
            "-s",
            "-D",
            "-",
            "-o",
            "/dev/null",
            "-H",
            &format!("Cookie: {cookie}"),
            "-H",
            "Accept: text/html",
            &format!("{base_url}/app"),
        ],
    )
    .output_ok("opening the dashboard")?;
    out.lines()
        .find_map(|line| line.to_ascii_lowercase().starts_with("location:").then(|| line[9..].trim().to_string()))
        .filter(|location| location.starts_with("/app/w/"))
        .ok_or_else(|| format!("/app did not redirect to a workspace:\n{out}"))
}

fn wrk(url: &str, extra: &[&str]) -> Result<Load, String> {
    // A short warm-up so lazy initialisation is not measured.
    let mut warm_up = vec!["-t2", "-c8", "-d2s"];
    warm_up.extend_from_slice(extra);
    warm_up.push(url);
    Cmd::new("wrk", &warm_up).output_ok("wrk warm-up")?;
    let (connections, seconds) = (format!("-c{CONNECTIONS}"), format!("-d{LOAD_SECONDS}s"));
    let mut args = vec!["-t2", connections.as_str(), seconds.as_str(), "--latency"];
    args.extend_from_slice(extra);
    args.push(url);
    let out = Cmd::new("wrk", &args).output_ok("wrk")?;
    print!("{out}");
    if out.contains("Non-2xx") || out.contains("Socket errors") {
        return Err(format!("the load run saw errors:\n{out}"));
    }
    let field = |prefix: &str| {
        out.lines().map(str::trim).find_map(|line| line.strip_prefix(prefix)).map(|rest| rest.trim().to_string())
    };
    let requests_per_second =
        field("Requests/sec:").and_then(|v| v.parse().ok()).ok_or("wrk printed no Requests/sec")?;
    let p50_ms = field("50%").and_then(|v| parse_latency(&v)).ok_or("wrk printed no p50")?;
    let p99_ms = field("99%").and_then(|v| parse_latency(&v)).ok_or("wrk printed no p99")?;
    Ok(Load { requests_per_second, p50_ms, p99_ms })
}

/// wrk prints latencies like `812.00us`, `1.23ms` or `1.01s`.
fn parse_latency(value: &str) -> Option<f64> {
    let (number, scale) = if let Some(n) = value.strip_suffix("us") {
        (n, 0.001)
    } else if let Some(n) = value.strip_suffix("ms") {
        (n, 1.0)
    } else if let Some(n) = value.strip_suffix('s') {
        (n, 1000.0)
    } else {
        return None;
    };
    number.parse::<f64>().ok().map(|n| n * scale)
}

/// Paths under `/pkg/` the page references (stylesheet, module, WASM).
/// A page's HTML and the CSS, JS and WASM it loads, fetched as a browser
/// would (signed in with `cookie`), with their compressed sizes.
fn page_download(base_url: &str, path: &str, cookie: Option<&str>) -> Result<Sizes, String> {
    let url = format!("{base_url}{path}");
    let cookie_header = cookie.map(|cookie| format!("Cookie: {cookie}"));
    let mut args = vec!["-s", &url];
    if let Some(header) = &cookie_header {
        args.extend(["-H", header]);
    }
    let html = Cmd::new("curl", &args).output_ok(&format!("fetching {path}"))?;
    let mut urls = vec![format!("{base_url}{path}")];
    urls.extend(asset_urls(&html).into_iter().map(|asset| format!("{base_url}{asset}")));
    sizes(&urls, cookie)
}

/// The assets a page's HTML names: the stylesheet and either bundle.
fn asset_urls(html: &str) -> Vec<String> {
    let mut urls: Vec<String> = html
        .split('"')
        .filter(|part| part.starts_with("/pkg/") || part.starts_with("/pkg-public/"))
        .map(str::to_string)
        .collect();
    urls.sort();
    urls.dedup();
    urls
}

struct Sizes {
    files: Vec<(String, u64, u64)>,
    gzip: u64,
    brotli: u64,
}

fn sizes(urls: &[String], cookie: Option<&str>) -> Result<Sizes, String> {
    let mut files = Vec::new();
    for url in urls {
        let gzip = download_size(url, "gzip", cookie)?;
        let brotli = download_size(url, "br", cookie)?;
        files.push((url.clone(), gzip, brotli));
    }
    let gzip = files.iter().map(|f| f.1).sum();
    let brotli = files.iter().map(|f| f.2).sum();
    Ok(Sizes { files, gzip, brotli })
}

/// Bytes on the wire for `url` when the client accepts `encoding`.
fn download_size(url: &str, encoding: &str, cookie: Option<&str>) -> Result<u64, String> {
    let accept = format!("Accept-Encoding: {encoding}");
    let cookie = cookie.map(|cookie| format!("Cookie: {cookie}"));
    let mut args = vec!["-s", "-o", "/dev/null", "-w", "%{size_download}", "-H", &accept, url];
    if let Some(cookie) = &cookie {
        args.extend(["-H", cookie]);
    }
    let out = Cmd::new("curl", &args).output_ok("measuring a download")?;
    out.trim().parse().map_err(|_| format!("curl printed no size for {url}"))
}

fn kb(bytes: u64) -> f64 {
    bytes as f64 / 1024.0
}

fn short(url: &str) -> &str {
    url.splitn(4, '/').nth(3).map(|rest| if rest.is_empty() { "/ (HTML)" } else { rest }).unwrap_or(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latencies_are_read_in_milliseconds() {
        assert_eq!(parse_latency("812.00us"), Some(0.812));
        assert_eq!(parse_latency("1.50ms"), Some(1.5));
        assert_eq!(parse_latency("1.01s"), Some(1010.0));
        assert_eq!(parse_latency("fast"), None);
    }

    #[test]
    fn finds_the_assets_a_page_loads() {
        let html = r#"<link rel="modulepreload" href="/pkg/lodestar.abc.js"><link rel="preload" href="/pkg/lodestar.abc.wasm"><link href="/pkg/lodestar.def.css" rel="stylesheet"><a href="/pricing">"#;
        assert_eq!(asset_urls(html), ["/pkg/lodestar.abc.js", "/pkg/lodestar.abc.wasm", "/pkg/lodestar.def.css"]);
        // The public bundle, named in the script that starts it as well.
        let html = r#"<link href="/pkg/lodestar.c1.css"><script>import("/pkg-public/lodestar.j1.js").then(m => m.default({module_or_path: "/pkg-public/lodestar.w1.wasm"}))</script>"#;
        assert_eq!(
            asset_urls(html),
            ["/pkg-public/lodestar.j1.js", "/pkg-public/lodestar.w1.wasm", "/pkg/lodestar.c1.css"]
        );
    }
}
