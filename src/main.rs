//! Entry point: parse the command line, set up logging, run the subcommand, print the error
//! once, and choose the exit code (0 success, 1 failure, 2 usage error, 130 interrupted).

use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;

use graphferry::cli::{Cli, UsageError};
use graphferry::config::ConfigError;
use graphferry::pipeline::CopyError;
use graphferry::ui::{LogWriter, Ui};

/// Records are allocated on the thread that reads them and freed on the one that writes them;
/// glibc's allocator serialises those cross-thread frees on an arena lock (a quarter of a
/// file -> file copy's time went to it), mimalloc does not.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => return usage_error(err),
    };
    let ui = Ui::new(cli.global.json, cli.global.quiet);
    init_logging(&cli);

    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            ui.error(&anyhow::Error::new(e).context("cannot start the async runtime"));
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(cli.exec(&ui)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            ui.error(&err);
            if is_usage_error(&err) {
                ExitCode::from(2)
            } else if matches!(err.downcast_ref::<CopyError>(), Some(CopyError::Interrupted { .. })) {
                ExitCode::from(130)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

/// A usage error anywhere in the chain: one found after parsing, or a config file or target
/// the command line named that the config does not have.
fn is_usage_error(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause.downcast_ref::<UsageError>().is_some()
            || cause.downcast_ref::<ConfigError>().is_some_and(ConfigError::is_usage)
    })
}

/// Clap's own errors (and `--help`/`--version`), as JSON when `--json` was asked for.
fn usage_error(err: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    let wants_json = std::env::args().any(|a| a == "--json");
    if !wants_json || matches!(err.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
        err.exit();
    }
    let message = err.render().to_string();
    let first = message.lines().next().unwrap_or_default().trim_start_matches("error: ").to_string();
    eprintln!("{}", serde_json::json!({"level": "ERROR", "event": "usage_error", "message": first, "help": message}));
    ExitCode::from(2)
}

fn init_logging(cli: &Cli) {
    let default = match (cli.global.quiet, cli.global.verbose) {
        (true, _) => "error",
        (_, 0) => "info",
        (_, 1) => "debug",
        _ => "trace",
    };
    // RUST_LOG overrides the flags, for debugging a dependency.
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(format!("graphferry={default},warn")));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(|| LogWriter);
    if cli.global.json {
        builder.json().with_current_span(false).with_span_list(false).init();
    } else {
        use std::io::IsTerminal;
        builder.without_time().with_target(false).with_ansi(std::io::stderr().is_terminal()).init();
    }
}
