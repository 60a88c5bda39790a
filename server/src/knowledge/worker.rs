//! The extraction worker: untrusted files are parsed in a child process
//! (this same binary, started with [`WORKER_ARG`]) under memory, CPU-time
//! and wall-clock limits. A hostile PDF that overflows the parser's stack or
//! a zip bomb that exhausts memory kills the child, and the server reports
//! "could not read this file" on that one source.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::extract::{self, ExtractError, Extracted, Format, Reading};

/// The first argument that turns the server binary into a worker.
pub const WORKER_ARG: &str = "extract-worker";

/// The most input a worker accepts.
const MAX_INPUT_BYTES: usize = 256 * 1024 * 1024;
/// What a worker reads before the file: the format hint and the text limit.
const HEADER_BYTES: usize = 9;

/// The most JSON a worker may answer with for `max_text` bytes of text.
fn max_output_bytes(max_text: usize) -> usize {
    2 * max_text + 1024 * 1024
}

#[derive(Debug, Clone)]
pub struct WorkerLimits {
    /// The executable to start: the server binary itself, or in tests the
    /// one cargo built.
    pub program: PathBuf,
    pub memory_bytes: u64,
    pub cpu_seconds: u64,
    pub wall: Duration,
}

impl WorkerLimits {
    pub fn for_current_exe() -> Self {
        WorkerLimits {
            program: std::env::current_exe().unwrap_or_else(|_| PathBuf::from("server")),
            memory_bytes: 1024 * 1024 * 1024,
            cpu_seconds: 60,
            wall: Duration::from_secs(90),
        }
    }
}

/// What the worker reads on stdin: a one-byte [`Reading`] (0 = sniff, 1–6 a
/// format, 7 = sniff preferring Markdown, 8 = sniff keeping lines), the most text it may answer with
/// (8 bytes, little-endian; the plan's room for passages), and then the file.
fn reading_byte(reading: Reading) -> u8 {
    match reading {
        Reading::Sniffed => 0,
        Reading::As(format) => 1 + FORMATS.iter().position(|f| *f == format).expect("every format is listed") as u8,
        Reading::PreferringMarkdown => 7,
        Reading::Lines => 8,
    }
}

fn reading_of(byte: u8) -> Option<Reading> {
    match byte {
        0 => Some(Reading::Sniffed),
        7 => Some(Reading::PreferringMarkdown),
        8 => Some(Reading::Lines),
        n => FORMATS.get(usize::from(n) - 1).map(|f| Reading::As(*f)),
    }
}

const FORMATS: [Format; 6] = [Format::Pdf, Format::Docx, Format::Html, Format::Markdown, Format::Csv, Format::Text];

/// The worker's `main`. Returns the process exit code.
pub fn run_worker() -> i32 {
    let mut input = Vec::new();
    if std::io::stdin().take(MAX_INPUT_BYTES as u64).read_to_end(&mut input).is_err() || input.len() < HEADER_BYTES {
        return 2;
    }
    let max_text = u64::from_le_bytes(input[1..HEADER_BYTES].try_into().expect("eight bytes")) as usize;
    let file = &input[HEADER_BYTES..];
    let Some(reading) = reading_of(input[0]) else { return 2 };
    let result = extract::read(file, reading).and_then(|extracted| {
        // Text past the plan's room would only be refused later, after the
        // server had read, chunked and held all of it.
        let text: usize = extracted.blocks.iter().map(|b| b.text.len()).sum();
        if text > max_text {
            Err(ExtractError::NoRoom)
        } else {
            Ok(extracted)
        }
    });
    // The answer must fit what the server will read: a file of many tiny
    // blocks costs more JSON than text, and is refused for room, not as damaged.
    let answer = match serde_json::to_vec(&result) {
        Ok(json) if json.len() <= max_output_bytes(max_text) => Ok(json),
        Ok(_) => serde_json::to_vec(&Err::<Extracted, _>(ExtractError::NoRoom)),
        Err(e) => Err(e),
    };
    let mut out = std::io::stdout().lock();
    match answer.map(|json| out.write_all(&json).and_then(|()| out.flush())) {
        Ok(Ok(())) => 0,
        _ => 3,
    }
}

/// Parses `bytes` in a fresh worker process under `limits`; a file with
/// more than `max_text` bytes of text is refused ([`ExtractError::NoRoom`]).
pub async fn extract_in_worker(
    limits: &WorkerLimits,
    bytes: &[u8],
    reading: Reading,
    max_text: usize,
) -> Result<Extracted, ExtractError> {
    let max_text = max_text.min(extract::MAX_TEXT_BYTES);
    let max_output = max_output_bytes(max_text);
    let failed = |why: &str| ExtractError::Malformed(why.to_owned());
    let mut command = tokio::process::Command::new(&limits.program);
    command
        .arg(WORKER_ARG)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .env_clear();
    let (memory, cpu) = (limits.memory_bytes, limits.cpu_seconds);
    // SAFETY: only async-signal-safe calls (setrlimit) between fork and exec.
    unsafe {
        command.pre_exec(move || {
            set_limit(libc::RLIMIT_AS, memory)?;
            set_limit(libc::RLIMIT_CPU, cpu)?;
            set_limit(libc::RLIMIT_CORE, 0)?;
            set_limit(libc::RLIMIT_FSIZE, 0)?;
            Ok(())
        });
    }
    let mut child = command.spawn().map_err(|e| {
        tracing::error!(error = %e, program = %limits.program.display(), "could not start the extraction worker");
        failed("the file reader could not be started; try again later")
    })?;
    let mut stdin = child.stdin.take().expect("stdin is piped");
    let mut stdout = child.stdout.take().expect("stdout is piped");
    let mut input = Vec::with_capacity(HEADER_BYTES + bytes.len());
    input.push(reading_byte(reading));
    input.extend_from_slice(&(max_text as u64).to_le_bytes());
    input.extend_from_slice(bytes);
    let run = async {
        let write = async move {
            // A worker that dies early closes the pipe; its exit status says why.
            let _ = stdin.write_all(&input).await;
            drop(stdin);
        };
        let read = async {
            let mut output = Vec::new();
            (&mut stdout).take(max_output as u64 + 1).read_to_end(&mut output).await.map(|_| output)
        };
        let ((), output) = tokio::join!(write, read);
        let status = child.wait().await;
        (output, status)
    };
    let (output, status) = match tokio::time::timeout(limits.wall, run).await {
        Ok(done) => done,
        Err(_) => return Err(failed("reading this file took too long; it may be damaged or far too complex")),
    };
    let output = output.map_err(|_| failed("the file reader stopped unexpectedly"))?;
    let status = status.map_err(|_| failed("the file reader stopped unexpectedly"))?;
    if !status.success() || output.len() > max_output {
        tracing::warn!(status = ?status, bytes = bytes.len(), "the extraction worker failed on a file");
        return Err(failed("the file is damaged, too complex or too large to read"));
    }
    serde_json::from_slice::<Result<Extracted, ExtractError>>(&output)
        .map_err(|_| failed("the file reader gave an unreadable answer"))?
}

fn set_limit(resource: libc::__rlimit_resource_t, value: u64) -> std::io::Result<()> {
    let limit = libc::rlimit { rlim_cur: value, rlim_max: value };
    // SAFETY: setrlimit reads a valid rlimit struct.
    if unsafe { libc::setrlimit(resource, &limit) } == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}
