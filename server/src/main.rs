use std::process::ExitCode;

use lodestar_server::billing::command;
use lodestar_server::config::Config;
use lodestar_server::knowledge::worker;
use lodestar_server::mentor::vectors;
use lodestar_server::{http, open_state, telemetry, StartError};

// Every streamed chunk allocates and frees a few small buffers, thousands
// of streams at once across threads: mimalloc's thread-local free lists do
// that with less CPU and less fragmentation than glibc's arenas. Without
// transparent huge pages (`no_thp`): a 2 MiB page for a few live objects
// cost about 30 MB at idle and more under load.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // The extraction worker is this binary too; it must not start a runtime.
    if std::env::args().nth(1).as_deref() == Some(worker::WORKER_ARG) {
        return ExitCode::from(worker::run_worker() as u8);
    }
    // `cargo xtask onet` makes the mentor's occupation vectors this way.
    if std::env::args().nth(1).as_deref() == Some(vectors::WRITE_ARG) {
        let out = std::env::args().nth(2).unwrap_or_else(|| "server/onet/vectors.bin".into());
        return match vectors::write(std::path::Path::new(&out)) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("lodestar: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("the async runtime starts");
    // `server plan set …`: the operator's command, then exit.
    if std::env::args().nth(1).as_deref() == Some(command::ARG) {
        return runtime.block_on(plan_command());
    }
    runtime.block_on(serve())
}

async fn plan_command() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(2).collect();
    let outcome = match Config::from_env() {
        Ok(config) => command::run(&config, &args).await,
        Err(e) => Err(format!("configuration error: {e}")),
    };
    match outcome {
        Ok(message) => {
            println!("{message}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("lodestar: {e}");
            ExitCode::from(2)
        }
    }
}

async fn serve() -> ExitCode {
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("lodestar: configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    telemetry::init(config.log_format);
    match run(config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("lodestar: {e}");
            eprintln!("lodestar: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(config: Config) -> Result<(), StartError> {
    let (addr, grace) = (config.listen, config.shutdown_grace);
    tracing::info!(database = ?config.database_url, knowledge = ?config.surreal.target, "opening stores");
    let state = open_state(config).await?;
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|source| StartError::Listen { addr, source })?;
    tracing::info!("Lodestar is serving on http://{addr}");
    if let Some(metrics_addr) = state.config.metrics.listen {
        let listener = tokio::net::TcpListener::bind(metrics_addr)
            .await
            .map_err(|source| StartError::Listen { addr: metrics_addr, source })?;
        tracing::info!("metrics on http://{metrics_addr}/metrics");
        let metrics = http::metrics::separate_router(state.clone());
        tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, metrics).await {
                tracing::error!(%error, "the metrics listener stopped");
            }
        });
    }
    let (sql, knowledge, jobs) = (state.sql.clone(), state.knowledge_store.clone(), state.knowledge.clone());
    let live = state.live.clone();
    let shutdown = async move {
        http::shutdown_signal().await;
        // Live channels never finish by themselves: closed now, their
        // clients reconnect to another process and resume.
        live.close();
    };
    http::serve(listener, http::app(state), shutdown, grace).await.map_err(StartError::Serve)?;
    jobs.release_running().await;
    sql.close().await;
    knowledge.close().await;
    tracing::info!("stopped");
    Ok(())
}
