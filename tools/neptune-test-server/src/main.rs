//! `neptune-test-server`: speaks Amazon Neptune's openCypher HTTP protocols (Database and
//! Analytics) on top of a real graph engine (ArcadeDB), with SigV4 checking, TLS, fault
//! injection, counters and a discard mode, so graphferry's Neptune path can be tested without
//! AWS. See README.md for what it reproduces and what it does not.

mod config;
mod counters;
mod cypher;
mod engine;
mod error;
mod faults;
mod loader;
mod query;
mod request;
mod results;
mod routes;
mod server;
mod sigv4;
mod tls;
mod types;

use clap::Parser;

// Two worker threads: the server's own work per request is small, and it shares a 2-core
// machine with ArcadeDB and the client under test.
#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "neptune_test_server=info".into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    match run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("neptune-test-server: error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> anyhow::Result<()> {
    let cfg = config::Args::parse().into_config()?;
    let app = routes::App::new(cfg).await?;
    server::run(app).await
}
