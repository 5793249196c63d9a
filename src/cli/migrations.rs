//! `graphferry migrations {run,show,make}`: the subcommand tree. The migration engine arrives
//! with the migrations issue; until then each subcommand says so and fails.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::GlobalArgs;
use crate::ui::Ui;

#[derive(Debug, Subcommand)]
pub enum MigrationsCommand {
    /// Apply pending migrations to one or more targets
    Run(RunArgs),
    /// Show which migrations are applied and pending on a target
    Show(ShowArgs),
    /// Write a migration that creates the schema of a live source
    Make(MakeArgs),
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Target to migrate (repeatable)
    #[arg(long, value_name = "NAME", required_unless_present = "all_targets")]
    pub target: Vec<String>,
    /// Migrate every target in the config
    #[arg(long, conflicts_with = "target")]
    pub all_targets: bool,
    /// Folder of migration files (default: `migrations/` beside the config file)
    #[arg(long, value_name = "DIR")]
    pub migrations: Option<PathBuf>,
    /// Print the statements without running them
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// Target to inspect
    #[arg(long, value_name = "NAME")]
    pub target: String,
    /// Folder of migration files (default: `migrations/` beside the config file)
    #[arg(long, value_name = "DIR")]
    pub migrations: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct MakeArgs {
    /// Live target whose schema the new migration creates
    #[arg(long, value_name = "NAME")]
    pub from: String,
    /// Folder of migration files (default: `migrations/` beside the config file)
    #[arg(long, value_name = "DIR")]
    pub migrations: Option<PathBuf>,
}

pub async fn exec(_global: &GlobalArgs, cmd: MigrationsCommand, _ui: &Ui) -> anyhow::Result<()> {
    let name = match cmd {
        MigrationsCommand::Run(_) => "run",
        MigrationsCommand::Show(_) => "show",
        MigrationsCommand::Make(_) => "make",
    };
    anyhow::bail!("`graphferry migrations {name}` is not implemented in this build yet")
}
