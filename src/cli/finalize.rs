//! `graphferry finalize`: remove graphferry's identity marks from a target after the last copy.

use clap::Args;

use super::GlobalArgs;
use crate::connector::{self, registry::Config};
use crate::pipeline::finalize::{self, FinalizeOptions, DEFAULT_BATCH_SIZE};
use crate::pipeline::journal::{self, RunFolder, RunState};
use crate::pipeline::RetryPolicy;
use crate::ui::Ui;

/// `finalize --help`: what the marks are, what removing them means for later copies.
pub const LONG_ABOUT: &str =
    "Remove graphferry's identity marks from a target, leaving the source graph and nothing else.\n\n\
    A copy into Neo4j gives every node the label `_GraphferryNode` and the property `_graphferry_id`, every \
    relationship `_graphferry_id`, and creates a uniqueness constraint on them (the names are the target's \
    `source_id_label` and `source_id_property`); a copy into Neptune Analytics gives every relationship the \
    source-id property. They make re-runs, --resume and incremental copies idempotent. Once the migration is \
    done, finalize removes them: in batches (one transaction each), the constraint last. It is idempotent: \
    after a failure or a kill, run it again to finish; a second run finds nothing to do. Neptune Database \
    and file targets hold no marks, and finalize says so.\n\n\
    After finalize, a copy into the target is a fresh copy: merge mode no longer recognises the records \
    it wrote before and would write them again. Copy into an empty target with --mode create, or keep \
    the marks.";

#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    graphferry finalize --target my-neo4j-database\n  \
    graphferry copy --source A --target B --all --verify --finalize\n\n\
    Exit codes: 0 done (or nothing to do), 1 failure (what was removed stays removed; run it again), or an \
    unfinished copy into the target (finish it with --resume, or delete its checkpoint), 2 usage error.")]
pub struct FinalizeArgs {
    /// Target to remove the identity marks from (a name under `targets:` in the config)
    #[arg(long, short = 't', visible_alias = "to", value_name = "NAME")]
    pub target: String,

    /// Records per batch; each batch is one transaction, well inside the query timeout
    #[arg(long, value_name = "N", default_value_t = DEFAULT_BATCH_SIZE as u32,
          value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub batch_size: u32,

    /// Attempts per batch (the first included) before a transient error stops the run
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub max_attempts: u32,
}

impl FinalizeArgs {
    pub fn options(&self) -> FinalizeOptions {
        FinalizeOptions {
            batch_size: self.batch_size as usize,
            retry: RetryPolicy { max_attempts: self.max_attempts, ..RetryPolicy::default() },
        }
    }
}

pub async fn exec(global: &GlobalArgs, args: FinalizeArgs, ui: &Ui) -> anyhow::Result<()> {
    let config = global.load_config()?;
    run(&config, &args.target, &args.options(), ui).await
}

/// Finalizes `target` and prints the summary; also what `copy --finalize` runs.
pub async fn run(config: &Config, target: &str, options: &FinalizeOptions, ui: &Ui) -> anyhow::Result<()> {
    let target_cfg = config.target(target)?;
    let location = target_cfg.settings.location();
    let mut unfinished = finalize::unfinished_copies_into(&config.path, target, &location);
    // A copy told `--checkpoint PATH` keeps its progress elsewhere; its run record says where
    // (a finished or rolled-back copy removes the file).
    for (_, record) in RunFolder::list(&journal::default_runs_dir(&config.path)) {
        let on_target = record.is_on(target, &location);
        if let Some(path) = record.checkpoint.filter(|p| on_target && p.exists() && !unfinished.contains(p)) {
            unfinished.push(path);
        }
    }
    if let Some(path) = unfinished.first() {
        return Err(UnfinishedCopy { target: target.to_string(), checkpoint: path.display().to_string() }.into());
    }
    let finalizer = connector::connect_finalizer(target_cfg).await?;
    let progress = ui.finalize_progress();
    let result = finalize::finalize(finalizer.as_ref(), options, &progress).await;
    drop(progress);
    let report = result?;
    ui.finalize_summary(target, &report);
    if report.nothing_to_remove.is_none() {
        ui.runs_finalized(target, &mark_runs_finalized(&journal::default_runs_dir(&config.path), target, &location));
    }
    Ok(())
}

/// Marks the runs on `target` that rollback could still undo as finalized (rollback finds a
/// run's records by the marks finalize removed); returns their ids.
fn mark_runs_finalized(runs_dir: &std::path::Path, target: &str, location: &str) -> Vec<String> {
    let mut marked = Vec::new();
    for (folder, mut record) in RunFolder::list(runs_dir) {
        if record.is_on(target, location)
            && record.journaled
            && !record.finalized
            && record.state != RunState::RolledBack
        {
            record.finalized = true;
            match folder.save(&record) {
                Ok(()) => marked.push(record.run),
                Err(e) => tracing::warn!(error = %e, "could not mark a run as finalized"),
            }
        }
    }
    marked
}

/// A copy into the target left a checkpoint: its resume finds endpoints by the marks finalize
/// would remove, so finalize waits for it (exit 1).
#[derive(Debug, thiserror::Error)]
#[error(
    "an unfinished copy into `{target}` left its checkpoint {checkpoint}; finish that copy first (run it again with \
     --resume), or delete the checkpoint file to discard it, then finalize. Nothing was changed"
)]
pub struct UnfinishedCopy {
    pub target: String,
    pub checkpoint: String,
}
