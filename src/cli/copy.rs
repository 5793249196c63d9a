//! `graphferry copy`: copy nodes and relationships from one target to another.

use clap::{ArgAction, Args};

use super::migrations::FolderArg;
use super::{GlobalArgs, UsageError};
use crate::connector::{self, Selection, WriteMode};
use crate::migrations;
use crate::pipeline::{self, CopyOptions, RetryPolicy};
use crate::ui::Ui;

#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    graphferry copy --source my-neo4j-database --target my-neptune-database --all\n  \
    graphferry copy --source A --target B --node Person --relationship KNOWS\n  \
    graphferry copy --source A --target B --all --dry-run\n\n\
    --relationship T also copies the nodes at both ends of every T relationship, so nothing dangles.")]
pub struct CopyArgs {
    /// Target to read from (a name under `targets:` in the config)
    #[arg(long, value_name = "NAME")]
    pub source: String,

    /// Target to write to
    #[arg(long, value_name = "NAME")]
    pub target: String,

    /// Copy every node and relationship
    #[arg(long, conflicts_with_all = ["node", "relationship"])]
    pub all: bool,

    /// Copy the nodes carrying this label (repeatable)
    #[arg(long, value_name = "LABEL", action = ArgAction::Append)]
    pub node: Vec<String>,

    /// Copy the relationships of this type and the nodes at their ends (repeatable)
    #[arg(long, value_name = "TYPE", action = ArgAction::Append)]
    pub relationship: Vec<String>,

    /// Records per batch
    #[arg(long, value_name = "N", default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub batch_size: u32,

    /// Batches written at the same time
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: u16,

    /// merge: idempotent upsert, safe to re-run; create: insert only, faster, for an empty target
    #[arg(long, value_enum, default_value_t = WriteMode::Merge)]
    pub mode: WriteMode,

    /// With --mode create, write even if the target already holds data
    #[arg(long)]
    pub force: bool,

    /// Attempts per batch (the first included) before a transient error stops the copy
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub max_attempts: u32,

    /// Fail on a value the target cannot store as is (e.g. a date in Neptune) instead of
    /// converting it to its documented encoding and counting it in the summary
    #[arg(long)]
    pub strict_types: bool,

    /// Print what would be copied, with counts, and write nothing
    #[arg(long)]
    pub dry_run: bool,

    #[command(flatten)]
    pub folder: FolderArg,
}

impl CopyArgs {
    /// What to copy; neither `--all` nor a `--node`/`--relationship` is a usage error.
    pub fn selection(&self) -> Result<Selection, UsageError> {
        if self.all {
            return Ok(Selection::All);
        }
        if self.node.is_empty() && self.relationship.is_empty() {
            return Err(UsageError(
                "say what to copy: --all for everything, or --node LABEL and/or --relationship TYPE (each repeatable)"
                    .into(),
            ));
        }
        Ok(Selection::Only { labels: self.node.clone(), relationship_types: self.relationship.clone() })
    }
}

pub async fn exec(global: &GlobalArgs, args: CopyArgs, ui: &Ui) -> anyhow::Result<()> {
    let selection = args.selection()?;
    let config = global.load_config()?;
    let source_cfg = config.target(&args.source)?;
    let target_cfg = config.target(&args.target)?;
    let source = connector::connect_source(source_cfg).await?;

    if args.dry_run {
        let counts = pipeline::plan(source.as_ref(), &selection).await?;
        ui.dry_run(&args.source, &args.target, &selection, &counts);
        return Ok(());
    }

    // Node identity in the target comes from the keys the project's migrations declare.
    let node_keys =
        migrations::load(&migrations::folder(&config.path, args.folder.migrations.as_deref()))?.node_keys()?;
    let sink = connector::connect_sink(target_cfg).await?;
    let options = CopyOptions {
        selection,
        batch_size: args.batch_size as usize,
        concurrency: args.concurrency as usize,
        mode: args.mode,
        force: args.force,
        retry: RetryPolicy { max_attempts: args.max_attempts, ..RetryPolicy::default() },
        node_keys,
        strict_types: args.strict_types,
    };
    let progress = ui.copy_progress();
    let result = pipeline::copy(source.as_ref(), sink.as_ref(), &options, &progress).await;
    drop(progress);
    match result {
        Ok(report) => {
            ui.copy_summary(&args.source, &args.target, &options.selection, &report);
            Ok(())
        }
        Err(failure) => {
            ui.copy_failed(&args.source, &args.target, &failure.written);
            Err(failure.error.into())
        }
    }
}
