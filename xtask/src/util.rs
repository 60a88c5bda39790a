//! Paths, commands and small helpers shared by every xtask command.

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

pub struct Context {
    /// The workspace root.
    pub root: PathBuf,
    /// Per-user cache shared by every clone: cargo target dir and tools.
    pub cache: PathBuf,
    pub target_dir: PathBuf,
}

impl Context {
    pub fn new() -> Result<Self, String> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().ok_or("xtask has no parent directory")?.to_path_buf();
        let cache = match std::env::var_os("LODESTAR_CACHE") {
            Some(dir) => PathBuf::from(dir),
            None => {
                let base = std::env::var_os("XDG_CACHE_HOME")
                    .map(PathBuf::from)
                    .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))
                    .ok_or("neither XDG_CACHE_HOME nor HOME is set: set LODESTAR_CACHE to a writable directory")?;
                base.join("lodestar")
            }
        };
        let target_dir =
            std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| cache.join("target"));
        Ok(Context { root, cache, target_dir })
    }

    /// A cargo command in the workspace, with the shared target directory
    /// and the environment cargo-leptos would set, so builds from here and
    /// from `cargo leptos` reuse each other's artifacts.
    pub fn cargo(&self, args: &[&str]) -> Cmd {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut cmd = Cmd::new(&cargo, args);
        cmd.0.current_dir(&self.root).env("CARGO_TARGET_DIR", &self.target_dir).env("LEPTOS_OUTPUT_NAME", "lodestar");
        cmd
    }

    pub fn site_root(&self) -> PathBuf {
        self.root.join("target").join("site")
    }

    /// The public pages' bundle: its own root, which cargo-leptos empties
    /// before building that project.
    pub fn public_root(&self) -> PathBuf {
        self.root.join("target").join("site-public")
    }

    /// Outside the site root: cargo-leptos re-syncs that from `public/`.
    pub fn widget_dir(&self) -> PathBuf {
        self.root.join("target").join("widget")
    }
}

/// A command that reports failures as readable errors.
pub struct Cmd(pub Command);

impl Cmd {
    pub fn new(program: impl AsRef<std::ffi::OsStr>, args: &[&str]) -> Self {
        let mut command = Command::new(program);
        command.args(args);
        Cmd(command)
    }

    pub fn env(mut self, key: &str, value: impl AsRef<std::ffi::OsStr>) -> Self {
        self.0.env(key, value);
        self
    }

    pub fn dir(mut self, dir: &Path) -> Self {
        self.0.current_dir(dir);
        self
    }

    fn describe(&self) -> String {
        let args: Vec<String> = self.0.get_args().map(|a| a.to_string_lossy().into_owned()).collect();
        format!("{} {}", self.0.get_program().to_string_lossy(), args.join(" "))
    }

    /// Runs with inherited output; an error names what failed.
    pub fn status_ok(mut self, what: &str) -> Result<(), String> {
        let description = self.describe();
        let status = self.0.status().map_err(|e| format!("{what}: could not run `{description}`: {e}"))?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("{what} failed (`{description}` exited with {status})"))
        }
    }

    /// Runs quietly and returns stdout; an error includes stderr.
    pub fn output_ok(mut self, what: &str) -> Result<String, String> {
        let description = self.describe();
        let output = self.0.output().map_err(|e| format!("{what}: could not run `{description}`: {e}"))?;
        if output.status.success() {
            Ok(String::from_utf8_lossy(&output.stdout).into_owned())
        } else {
            Err(format!(
                "{what} failed (`{description}` exited with {}):\n{}",
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            ))
        }
    }
}

pub fn heading(text: &str) {
    println!("\n==> {text}");
}

pub fn is_on_path(program: &str) -> bool {
    find_on_path(program).is_some()
}

pub fn find_on_path(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")
        .and_then(|paths| std::env::split_paths(&paths).map(|dir| dir.join(program)).find(|p| p.is_file()))
}

/// Installs a Debian package when this process may (root with apt-get).
/// Returns `Ok(false)` when it may not, so the caller can say what to install.
pub fn apt_install(package: &str) -> Result<bool, String> {
    if !is_root() || !is_on_path("apt-get") {
        return Ok(false);
    }
    println!("  ..  installing Debian's {package} with apt-get");
    Cmd::new("apt-get", &["update", "-qq"]).status_ok("apt-get update")?;
    Cmd::new("apt-get", &["install", "-y", "-qq", package])
        .env("DEBIAN_FRONTEND", "noninteractive")
        .status_ok(&format!("installing {package}"))?;
    Ok(true)
}

pub fn is_root() -> bool {
    Cmd::new("id", &["-u"]).output_ok("id").map(|uid| uid.trim() == "0").unwrap_or(false)
}

/// A TCP port on loopback that nothing is listening on right now.
pub fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free port: {e}"))?;
    listener.local_addr().map(|a| a.port()).map_err(|e| e.to_string())
}

pub fn port_open(addr: &str) -> bool {
    addr.parse::<SocketAddr>()
        .ok()
        .is_some_and(|addr| TcpStream::connect_timeout(&addr, Duration::from_millis(300)).is_ok())
}

/// A server process started for tests or benchmarks; killed when dropped.
pub struct Server {
    pub child: Child,
    pub base_url: String,
    /// A scratch data directory removed with the server.
    pub data_dir: Option<PathBuf>,
    pub log: PathBuf,
}

impl Server {
    /// Starts a built server binary (`profile` is `debug` or `release`) on the
    /// embedded stores in a scratch data directory, serving this checkout's site.
    /// The server on the built site, with `more` settings on top.
    pub fn start_site(
        ctx: &Context,
        profile: &str,
        hashed_assets: bool,
        log_level: &str,
        more: &[(String, String)],
    ) -> Result<Server, String> {
        let data_dir = std::env::temp_dir().join(format!("lodestar-{profile}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&data_dir);
        let mut envs = vec![
            ("DATA_DIR", data_dir.display().to_string()),
            ("MODEL_DIR", crate::model::dir(ctx).display().to_string()),
            ("LEPTOS_SITE_ROOT", ctx.site_root().display().to_string()),
            ("WIDGET_DIR", ctx.widget_dir().display().to_string()),
            ("PUBLIC_SITE_ROOT", ctx.public_root().display().to_string()),
            ("LEPTOS_OUTPUT_NAME", "lodestar".into()),
            ("LEPTOS_HASH_FILES", hashed_assets.to_string()),
            ("RUST_LOG", log_level.into()),
        ];
        envs.extend(more.iter().map(|(name, value)| (name.as_str(), value.clone())));
        let mut server = Server::start(
            &ctx.target_dir.join(profile).join("server"),
            free_port()?,
            &envs,
            &ctx.target_dir.join(format!("{profile}-server.log")),
        )?;
        server.data_dir = Some(data_dir);
        Ok(server)
    }

    /// Starts the server binary and waits until `/readyz` answers 200.
    pub fn start(binary: &Path, port: u16, envs: &[(&str, String)], log: &Path) -> Result<Server, String> {
        if !binary.is_file() {
            return Err(format!("the server binary {} has not been built", binary.display()));
        }
        let log_file = std::fs::File::create(log).map_err(|e| format!("cannot write {}: {e}", log.display()))?;
        let mut command = Command::new(binary);
        command
            .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
            .envs(envs.iter().map(|(k, v)| (*k, v.as_str())))
            .stdout(log_file.try_clone().map_err(|e| e.to_string())?)
            .stderr(log_file);
        let child = command.spawn().map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
        let mut server =
            Server { child, base_url: format!("http://127.0.0.1:{port}"), data_dir: None, log: log.to_path_buf() };
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Ok(Some(status)) = server.child.try_wait() {
                let log = std::fs::read_to_string(log).unwrap_or_default();
                return Err(format!("the server exited during start-up ({status}):\n{log}"));
            }
            if http_status(port, "/readyz") == Some(200) {
                return Ok(server);
            }
            if Instant::now() > deadline {
                return Err(format!("the server did not become ready within 120 s; see {}", log.display()));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // SIGTERM first so the server shuts down gracefully, then make sure.
        let _ = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline && !matches!(self.child.try_wait(), Ok(Some(_))) {
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(dir) = &self.data_dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// The status code of a GET on loopback, by hand (xtask has no HTTP client).
pub fn http_status(port: u16, path: &str) -> Option<u16> {
    use std::io::Write;
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(stream, "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").ok()?;
    let mut line = String::new();
    BufReader::new(stream).read_line(&mut line).ok()?;
    line.split_whitespace().nth(1)?.parse().ok()
}

pub fn format_duration(d: Duration) -> String {
    let secs = d.as_secs();
    if secs >= 60 {
        format!("{}m{:02}s", secs / 60, secs % 60)
    } else {
        format!("{:.1}s", d.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(format_duration(Duration::from_secs(75)), "1m15s");
        assert_eq!(format_duration(Duration::from_millis(2500)), "2.5s");
    }
}
