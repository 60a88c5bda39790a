//! Installs the build tools a fresh machine lacks, each only once: they live
//! under the per-user cache in a directory named by version, so a second
//! run finds them and skips the install.

use std::ffi::OsString;
use std::path::PathBuf;

use crate::util::{heading, Cmd, Context};

/// cargo-leptos 0.3.4 is the newest release that builds on Rust 1.95; the
/// `no_downloads` feature makes it use the tools installed here instead of
/// fetching binaries.
const CARGO_LEPTOS: &str = "0.3.4";
/// Debian's binaryen (108) emits WASM that fails to hydrate; npm's is current.
const BINARYEN: &str = "132.0.0";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    /// The test suite builds WASM itself: target and wasm-bindgen only.
    Test,
    /// `serve` and `dev`: also cargo-leptos and wasm-opt.
    Serve,
    /// Release builds (`serve --release`, `bench`).
    Release,
}

pub struct Tools {
    bin_dirs: Vec<PathBuf>,
}

impl Tools {
    /// `PATH` with the installed tools first.
    pub fn path(&self) -> OsString {
        let existing = std::env::var_os("PATH").unwrap_or_default();
        std::env::join_paths(self.bin_dirs.iter().cloned().chain(std::env::split_paths(&existing))).unwrap_or(existing)
    }

    pub fn find(&self, program: &str) -> Option<PathBuf> {
        self.bin_dirs.iter().map(|dir| dir.join(program)).find(|p| p.is_file())
    }

    pub fn wasm_bindgen(&self) -> Result<PathBuf, String> {
        self.find("wasm-bindgen").ok_or_else(|| "wasm-bindgen is not installed".to_string())
    }
}

pub fn setup(ctx: &Context, needs: Needs) -> Result<Tools, String> {
    heading("Checking tools");
    ensure_wasm_target()?;
    crate::model::ensure(ctx)?;
    let mut bin_dirs =
        vec![ensure_cargo_tool(ctx, "wasm-bindgen-cli", &wasm_bindgen_version(ctx)?, "wasm-bindgen", &[])?];
    if needs != Needs::Test {
        bin_dirs.push(ensure_cargo_tool(
            ctx,
            "cargo-leptos",
            CARGO_LEPTOS,
            "cargo-leptos",
            &["--features", "no_downloads"],
        )?);
        bin_dirs.push(ensure_binaryen(ctx)?);
    }
    Ok(Tools { bin_dirs })
}

fn ensure_wasm_target() -> Result<(), String> {
    let installed = Cmd::new("rustup", &["target", "list", "--installed"]).output_ok("listing Rust targets")?;
    if installed.lines().any(|l| l.trim() == "wasm32-unknown-unknown") {
        println!("  ok  wasm32-unknown-unknown target");
        return Ok(());
    }
    println!("  ..  adding the wasm32-unknown-unknown target");
    Cmd::new("rustup", &["target", "add", "wasm32-unknown-unknown"]).status_ok("rustup target add")
}

/// The wasm-bindgen CLI must match the library version in Cargo.lock exactly.
pub fn wasm_bindgen_version(ctx: &Context) -> Result<String, String> {
    let lock =
        std::fs::read_to_string(ctx.root.join("Cargo.lock")).map_err(|e| format!("cannot read Cargo.lock: {e}"))?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == "name = \"wasm-bindgen\"" {
            if let Some(version) = lines.next().and_then(|l| l.trim().strip_prefix("version = \"")) {
                return Ok(version.trim_end_matches('"').to_string());
            }
        }
    }
    Err("Cargo.lock has no wasm-bindgen package".into())
}

fn ensure_cargo_tool(
    ctx: &Context,
    krate: &str,
    version: &str,
    binary: &str,
    extra: &[&str],
) -> Result<PathBuf, String> {
    let root = ctx.cache.join("tools").join(format!("{krate}-{version}"));
    let bin_dir = root.join("bin");
    if bin_dir.join(binary).is_file() {
        println!("  ok  {krate} {version}");
        return Ok(bin_dir);
    }
    println!("  ..  installing {krate} {version} from crates.io (a one-time build)");
    let root_arg = root.to_string_lossy().into_owned();
    let mut args = vec!["install", "--root", &root_arg, "--version", version, krate];
    args.extend_from_slice(extra);
    let locked = [&args[..], &["--locked"]].concat();
    if let Err(error) = Cmd::new("cargo", &locked).status_ok(&format!("installing {krate}")) {
        // A crate's own lock file can name a dependency version the registry
        // no longer serves; resolving afresh still honours its version ranges.
        println!(
            "  ..  {error}
  ..  retrying without its lock file"
        );
        Cmd::new("cargo", &args).status_ok(&format!("installing {krate}"))?;
    }
    Ok(bin_dir)
}

fn ensure_binaryen(ctx: &Context) -> Result<PathBuf, String> {
    let prefix = ctx.cache.join("tools").join(format!("binaryen-{BINARYEN}"));
    let bin_dir = prefix.join("node_modules").join(".bin");
    if bin_dir.join("wasm-opt").is_file() {
        println!("  ok  wasm-opt (binaryen {BINARYEN})");
        return Ok(bin_dir);
    }
    if !crate::util::is_on_path("npm") {
        return Err(format!(
            "wasm-opt (binaryen {BINARYEN}) is needed for release builds and comes from npm, which is missing: \
             install Node.js and npm (apt-get install nodejs npm), then run this again"
        ));
    }
    println!("  ..  installing wasm-opt from npm's binaryen {BINARYEN}");
    std::fs::create_dir_all(&prefix).map_err(|e| format!("cannot create {}: {e}", prefix.display()))?;
    let prefix_arg = prefix.to_string_lossy().into_owned();
    let package = format!("binaryen@{BINARYEN}");
    Cmd::new("npm", &["install", "--prefix", &prefix_arg, "--no-audit", "--no-fund", &package])
        .status_ok("installing binaryen from npm")?;
    Ok(bin_dir)
}
