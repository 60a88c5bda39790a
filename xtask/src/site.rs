//! Builds the browser side: the widget (always, into `target/widget/`), and
//! for the test suite the hydration bundle too, laid out exactly as
//! cargo-leptos lays it out.

use std::path::Path;

use crate::tools::Tools;
use crate::util::{heading, Cmd, Context};

const WASM_TARGET: &str = "wasm32-unknown-unknown";

/// Features every browser we support has; wasm-opt must keep to them.
const WASM_FEATURES: [&str; 6] = [
    "--enable-bulk-memory",
    "--enable-nontrapping-float-to-int",
    "--enable-sign-ext",
    "--enable-mutable-globals",
    "--enable-reference-types",
    "--enable-multivalue",
];

/// The embeddable widget, size-optimised, into `target/widget/`.
pub fn build_widget(ctx: &Context, tools: &Tools) -> Result<(), String> {
    heading("Building the widget");
    ctx.cargo(&["build", "--locked", "-p", "widget", "--target", WASM_TARGET, "--profile", "wasm-release"])
        .status_ok("building the widget")?;
    let wasm = ctx.target_dir.join(WASM_TARGET).join("wasm-release").join("widget.wasm");
    let out = ctx.widget_dir();
    bindgen(tools, &wasm, &out, "lodestar_widget")?;
    if let Some(wasm_opt) = tools.find("wasm-opt") {
        let file = out.join("lodestar_widget_bg.wasm");
        let file = file.to_string_lossy();
        let mut args = vec!["-Oz", "--strip-debug", "--strip-producers"];
        args.extend_from_slice(&WASM_FEATURES);
        args.extend_from_slice(&[&file, "-o", &file]);
        Cmd::new(wasm_opt, &args).output_ok("optimising the widget with wasm-opt")?;
    }
    copy(&ctx.root.join("widget").join("loader.js"), &out.join("widget.js"))
}

/// A development build of everything the pages load, without cargo-leptos:
/// both hydration bundles' WASM and JS, the stylesheet and the public assets.
pub fn build_for_tests(ctx: &Context, tools: &Tools) -> Result<(), String> {
    build_widget(ctx, tools)?;
    heading("Building the hydration bundles");
    // One cargo run: both link the same compiled `app`.
    ctx.cargo(&["build", "--locked", "-p", "frontend", "-p", "frontend-public", "--lib", "--target", WASM_TARGET])
        .status_ok("building the frontends")?;
    let site = ctx.site_root();
    let pkg = site.join("pkg");
    bundle_for_tests(ctx, tools, "frontend", &pkg, "lodestar")?;
    bundle_for_tests(ctx, tools, "frontend_public", &ctx.public_root().join("pkg"), "lodestar")?;
    copy(&ctx.root.join("style").join("main.css"), &pkg.join("lodestar.css"))?;
    for entry in std::fs::read_dir(ctx.root.join("public")).map_err(|e| format!("cannot read public/: {e}"))? {
        let entry = entry.map_err(|e| e.to_string())?;
        copy(&entry.path(), &site.join(entry.file_name()))?;
    }
    Ok(())
}

/// One bundle's JS and WASM into `pkg`, named as cargo-leptos names them
/// (`{name}.js`, `{name}.wasm`), which is what the server looks for.
fn bundle_for_tests(ctx: &Context, tools: &Tools, krate: &str, pkg: &Path, name: &str) -> Result<(), String> {
    // As cargo-leptos does: the server takes what it finds here.
    if pkg.exists() {
        std::fs::remove_dir_all(pkg).map_err(|e| format!("cannot empty {}: {e}", pkg.display()))?;
    }
    let wasm = ctx.target_dir.join(WASM_TARGET).join("debug").join(format!("{krate}.wasm"));
    bindgen(tools, &wasm, pkg, name)?;
    let wasm = pkg.join(format!("{name}.wasm"));
    std::fs::rename(pkg.join(format!("{name}_bg.wasm")), &wasm)
        .map_err(|e| format!("cannot rename the hydration WASM: {e}"))?;
    // Compressed once here, served as they are: otherwise the server
    // compresses the 30 MB development WASM again for every fresh browser
    // context of the browser tests (1.7 s of a core each time, measured).
    let wasm = wasm.to_string_lossy();
    let js = pkg.join(format!("{name}.js"));
    Cmd::new("gzip", &["--keep", "--force", "-6", &wasm, &js.to_string_lossy()]).output_ok("compressing the bundle")?;
    Ok(())
}

fn bindgen(tools: &Tools, wasm: &Path, out: &Path, name: &str) -> Result<(), String> {
    std::fs::create_dir_all(out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let (wasm, out) = (wasm.to_string_lossy(), out.to_string_lossy());
    Cmd::new(
        tools.wasm_bindgen()?,
        &["--target", "web", "--no-typescript", "--out-dir", &out, "--out-name", name, &wasm],
    )
    .output_ok("running wasm-bindgen")
    .map(|_| ())
}

fn copy(from: &Path, to: &Path) -> Result<(), String> {
    if let Some(dir) = to.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    std::fs::copy(from, to).map(|_| ()).map_err(|e| format!("cannot copy {} to {}: {e}", from.display(), to.display()))
}
