//! The command line: the root command and its global flags, one file per subcommand. A
//! subcommand file holds its flags and a thin `exec` that turns them into options and calls
//! the library.

mod copy;
mod finalize;
mod map;
mod migrations;
mod rollback;
mod runs;
mod targets;
mod verify;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::config::DEFAULT_CONFIG;
use crate::connector::registry::{self, Config};
use crate::ui::Ui;

/// Move graph data between graph databases without loss.
///
/// graphferry reads the `targets:` section of a nodestream.yaml, runs nodestream-format schema
/// migrations against a target, and copies nodes and relationships from one target to another.
#[derive(Debug, Parser)]
#[command(name = "graphferry", version, propagate_version = true, max_term_width = 100)]
#[command(after_help = "Typical use:\n  \
    graphferry targets --check\n  \
    graphferry migrations run --target my-neptune-database\n  \
    graphferry copy --source my-neo4j-database --target my-neptune-database --all --verify\n\n\
    Exit codes: 0 success, 1 failure (nothing is reported as copied that was not), 2 usage error\n\
    (a bad flag, an unknown target, a missing config file), 130 stopped by Ctrl-C or SIGTERM\n\
    (progress saved; continue with --resume).")]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Flags every subcommand takes, shown under their own heading after each command's own flags.
#[derive(Debug, Args)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// The nodestream.yaml whose `targets:` section names the databases
    // `-p`/`--project` is nodestream's spelling.
    #[arg(long, short = 'p', visible_alias = "project", global = true, value_name = "PATH", default_value = DEFAULT_CONFIG)]
    pub config: PathBuf,

    /// Write one JSON object per line (logs on stderr, results on stdout), for CI
    #[arg(long, global = true)]
    pub json: bool,

    /// Log more (-v: debug, -vv: trace)
    #[arg(short, long, global = true, action = clap::ArgAction::Count, conflicts_with = "quiet")]
    pub verbose: u8,

    /// Log only errors and print no progress
    #[arg(short, long, global = true)]
    pub quiet: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Copy nodes and relationships from one target to another
    Copy(copy::CopyArgs),
    /// Remove graphferry's identity marks (label, source-id properties, constraint) from a target
    #[command(long_about = finalize::LONG_ABOUT)]
    Finalize(finalize::FinalizeArgs),
    /// Run, show or make nodestream-format schema migrations
    #[command(
        subcommand,
        after_help = "Examples:\n  \
        graphferry migrations run --target my-neptune-database\n  \
        graphferry migrations show\n  \
        graphferry migrations make --from my-neo4j-database"
    )]
    Migrations(migrations::MigrationsCommand),
    /// Print the graph mapping inferred from a relational source (PostgreSQL), to edit and pass back
    Map(map::MapArgs),
    /// List the targets of the config file, and with --check, whether each can be reached
    Targets(targets::TargetsArgs),
    /// Compare a target with its source: counts, dangling relationships, records field by field
    Verify(verify::VerifyArgs),
    /// List the copy runs, what each copied where, and how it ended
    Runs(runs::RunsArgs),
    /// Undo one copy run in its target: delete what it created, restore what it updated
    #[command(long_about = rollback::LONG_ABOUT)]
    Rollback(rollback::RollbackArgs),
}

impl Cli {
    pub async fn exec(self, ui: &Ui) -> anyhow::Result<()> {
        match self.command {
            Command::Copy(args) => copy::exec(&self.global, args, ui).await,
            Command::Finalize(args) => finalize::exec(&self.global, args, ui).await,
            Command::Migrations(cmd) => migrations::exec(&self.global, cmd, ui).await,
            Command::Map(args) => map::exec(&self.global, args, ui).await,
            Command::Targets(args) => targets::exec(&self.global, args, ui).await,
            Command::Verify(args) => verify::exec(&self.global, args, ui).await,
            Command::Runs(args) => runs::exec(&self.global, args, ui).await,
            Command::Rollback(args) => rollback::exec(&self.global, args, ui).await,
        }
    }
}

impl GlobalArgs {
    pub fn load_config(&self) -> anyhow::Result<Config> {
        Ok(registry::load_config(&self.config)?)
    }
}

/// A usage error found after parsing (exit code 2, like clap's own).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

#[cfg(test)]
mod tests;

/// The transform of a copy into `target`: `--transform FILE` if given, else the target's
/// `transform:` key; `None` for neither, or for a file with no operation.
pub(crate) fn transform_for(
    flag: Option<&std::path::Path>,
    target: &crate::connector::registry::Target,
) -> anyhow::Result<Option<std::sync::Arc<crate::pipeline::transform::Transform>>> {
    let Some(path) = flag.or(target.transform.as_deref()) else { return Ok(None) };
    let transform = crate::pipeline::transform::Transform::load(path)?;
    Ok((!transform.is_empty()).then(|| std::sync::Arc::new(transform)))
}
