//! `graphferry migrations {run,show,make}`: nodestream-format schema migrations.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, Subcommand};

use super::GlobalArgs;
use crate::connector::{self, registry::Config};
use crate::migrations::{self, make, run, MigrationSet};
use crate::ui::Ui;

#[derive(Debug, Subcommand)]
pub enum MigrationsCommand {
    /// Apply pending migrations to one or more targets (name them with --target, or pass --all-targets)
    #[command(after_help = "Either --target NAME (repeatable) or --all-targets is needed.\n\n\
        Examples:\n  \
        graphferry migrations run --target my-neptune-database\n  \
        graphferry migrations run --target A --target B --dry-run\n  \
        graphferry migrations run --all-targets")]
    Run(RunArgs),
    /// Show which migrations are applied and pending on a target, or on every target side by side
    #[command(after_help = "Examples:\n  \
        graphferry migrations show\n  \
        graphferry migrations show --target my-neptune-database")]
    Show(ShowArgs),
    /// Write a migration that creates the schema of a live source
    #[command(after_help = "Examples:\n  \
        graphferry migrations make --from my-neo4j-database\n  \
        graphferry migrations make --from my-neo4j-database --name 002_movies")]
    Make(MakeArgs),
}

/// Where the migration files are.
#[derive(Debug, Args)]
pub struct FolderArg {
    /// Folder of migration files (default: `migrations/` beside the config file)
    #[arg(long, value_name = "DIR")]
    pub migrations: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Target to migrate (repeatable; this or --all-targets is needed)
    #[arg(long, value_name = "NAME", required_unless_present = "all_targets")]
    pub target: Vec<String>,
    /// Migrate every database target in the config (a file target only when named with --target)
    #[arg(long, conflicts_with = "target")]
    pub all_targets: bool,
    #[command(flatten)]
    pub folder: FolderArg,
    /// Print the statements without running them
    #[arg(long)]
    pub dry_run: bool,
    /// Remove a migration lock left by a crashed run before starting (only when no run is active)
    #[arg(long)]
    pub force_unlock: bool,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// Target to inspect (default: every target of the config, side by side, as nodestream shows them)
    #[arg(long, value_name = "NAME")]
    pub target: Option<String>,
    #[command(flatten)]
    pub folder: FolderArg,
}

#[derive(Debug, Args)]
pub struct MakeArgs {
    /// Live target whose schema the new migration creates
    #[arg(long, value_name = "NAME")]
    pub from: String,
    #[command(flatten)]
    pub folder: FolderArg,
    /// Name of the new migration (default: numbered after the existing ones)
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    #[command(flatten)]
    pub mapping: super::map::MappingArg,
}

/// Whether `--all-targets` migrates target `name`. A target whose config is broken is included,
/// so the run fails on it as it would when named.
fn all_targets_include(name: &str, target: &Result<connector::Target, crate::config::ConfigError>) -> bool {
    let Ok(target) = target else { return true };
    let included = connector::registry::database(target.database).migrated_by_all_targets;
    if !included {
        tracing::info!(
            target_name = name,
            database = target.database,
            "not migrated by --all-targets; name it with --target"
        );
    }
    included
}

/// The state of every migration of `set` on target `name`.
async fn show(config: &Config, set: &MigrationSet, name: &str) -> anyhow::Result<Vec<run::Status>> {
    let migrator = connector::connect_migrator(config.target(name)?).await?;
    let applied = migrator.applied().await.with_context(|| format!("target `{name}`"))?;
    Ok(run::status(set, &applied)?)
}

/// `migrations show` without `--target`: every target side by side. A target that cannot be
/// read (a broken config, a server down, a database that takes no migrations) gets its error in
/// its column, the others are still shown, and the run fails at the end.
async fn show_all(config: &Config, set: &MigrationSet, dir: &Path, ui: &Ui) -> anyhow::Result<()> {
    let mut columns = Vec::new();
    for (name, _) in config.targets() {
        let state = show(config, set, name).await.map_err(|e| format!("{e:#}"));
        columns.push((name.to_string(), state));
    }
    let migrations: Vec<String> = set.all().map(|m| m.name.clone()).collect();
    ui.migrations_overview(dir, &migrations, &columns);
    let failed = columns.iter().filter(|(_, c)| c.is_err()).count();
    if failed > 0 {
        anyhow::bail!("{failed} of {} target(s) could not be read (see above)", columns.len());
    }
    Ok(())
}

pub async fn exec(global: &GlobalArgs, cmd: MigrationsCommand, ui: &Ui) -> anyhow::Result<()> {
    let config = global.load_config()?;
    let dir = |folder: &FolderArg| migrations::folder(&config.path, folder.migrations.as_deref());
    match cmd {
        MigrationsCommand::Run(args) => {
            let dir = dir(&args.folder);
            let set = migrations::load(&dir)?;
            let targets: Vec<String> = if args.all_targets {
                config.targets().filter(|(name, t)| all_targets_include(name, t)).map(|(n, _)| n.to_string()).collect()
            } else {
                args.target.clone()
            };
            let options = run::RunOptions { dry_run: args.dry_run, force_unlock: args.force_unlock };
            for name in &targets {
                let target = config.target(name)?;
                let migrator = connector::connect_migrator(target).await?;
                let applied = run::run(name, migrator.as_ref(), &set, &options).await?;
                ui.migrations_ran(name, &dir, &applied, args.dry_run);
            }
            Ok(())
        }
        MigrationsCommand::Show(args) => {
            let dir = dir(&args.folder);
            let set = migrations::load(&dir)?;
            let Some(name) = &args.target else { return show_all(&config, &set, &dir, ui).await };
            let rows = show(&config, &set, name).await?;
            ui.migrations_status(name, &dir, &rows);
            Ok(())
        }
        MigrationsCommand::Make(args) => {
            let dir = dir(&args.folder);
            let set = migrations::load(&dir)?;
            let mut config = config;
            args.mapping.apply(&mut config, &args.from)?;
            let source = connector::connect_source(config.target(&args.from)?).await?;
            let details =
                source.introspect().await.with_context(|| format!("reading the schema of `{}`", args.from))?;
            let name = args.name.clone().unwrap_or_else(|| make::next_name(&set, &args.from));
            let migration = make::from_schema(&details, &set, name, &dir);
            if migration.file.exists() {
                anyhow::bail!("{} already exists; pass --name to choose another name", migration.file.display());
            }
            std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
            std::fs::write(&migration.file, make::to_yaml(&migration)?)
                .with_context(|| format!("writing {}", migration.file.display()))?;
            ui.migration_written(&migration);
            Ok(())
        }
    }
}
