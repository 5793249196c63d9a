//! `graphferry rollback`: undo one copy run in its target, from the run's journal.

use clap::Args;

use super::copy::RunsDirArg;
use super::{GlobalArgs, UsageError};
use crate::connector;
use crate::pipeline::journal::{self, RunFolder, RunRecord, RunState};
use crate::pipeline::rollback::{self, RollbackOptions, DEFAULT_BATCH_SIZE};
use crate::pipeline::RetryPolicy;
use crate::ui::Ui;

pub const LONG_ABOUT: &str = "Undo one copy run in its target, exactly: delete the relationships it created, then the \
    nodes it created, and put back the records it updated as they were before it (labels and properties).\n\n\
    Every copy into a database is a run (`graphferry runs` lists them) whose journal holds, for each record it wrote, \
    what the target held before. A node the run created that has since gained relationships from outside the run is \
    not deleted: rollback refuses before changing anything, unless --force (which deletes those relationships too). \
    Only the latest run on a target can be rolled back unless --force: undoing an older run under a newer one could \
    bring back data the newer one replaced. After `graphferry finalize` a run cannot be rolled back: rollback finds \
    the run's records by the identity marks finalize removes.\n\n\
    Rollback runs in batches (one transaction each). It is idempotent: after a failure or a kill, run it again to \
    finish; once done, a second run has nothing to do. A file target keeps no journal (a copy writes it whole and \
    replaces it atomically), and rollback says so.";

#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    graphferry runs --target my-neo4j-database\n  \
    graphferry rollback --target my-neo4j-database --run 20260102T030405678Z-1a2b --dry-run\n  \
    graphferry rollback --target my-neo4j-database\n\n\
    Exit codes: 0 done (or nothing to do), 1 refused or failed (what was undone stays undone; run it again), \
    2 usage error.")]
pub struct RollbackArgs {
    /// Target to roll the run back in (a name under `targets:` in the config)
    #[arg(long, short = 't', visible_alias = "to", value_name = "NAME")]
    pub target: String,

    /// The run to undo (`graphferry runs` lists them; default: the latest run into the target)
    #[arg(long, value_name = "RUN")]
    pub run: Option<String>,

    /// Print what would be deleted and restored, and change nothing
    #[arg(long)]
    pub dry_run: bool,

    /// Roll back a run that is not the latest on the target, and delete created nodes even if
    /// they gained relationships from outside the run (those relationships go too)
    #[arg(long)]
    pub force: bool,

    /// Records per batch; each batch is one transaction, well inside the query timeout
    #[arg(long, value_name = "N", default_value_t = DEFAULT_BATCH_SIZE as u32,
          value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub batch_size: u32,

    /// Attempts per batch (the first included) before a transient error stops the run
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub max_attempts: u32,

    #[command(flatten)]
    pub runs: RunsDirArg,
}

pub async fn exec(global: &GlobalArgs, args: RollbackArgs, ui: &Ui) -> anyhow::Result<()> {
    let config = global.load_config()?;
    let target_cfg = config.target(&args.target)?;
    let target = args.target.as_str();
    let journaled = match connector::connect_journaled(target_cfg).await {
        Some(journaled) => journaled?,
        None => {
            let why = format!(
                "a `{}` target keeps no journal (a file target needs none: each copy writes it whole and replaces it \
                 atomically, so keep the earlier file to go back to it; rollback is implemented for Neo4j/Bolt and Neptune targets)",
                target_cfg.database
            );
            ui.rollback_nothing(target, args.run.as_deref(), &why);
            return Ok(());
        }
    };
    let location = target_cfg.settings.location();
    let dir = args.runs.dir(&config.path);
    let runs: Vec<(RunFolder, RunRecord)> =
        RunFolder::list(&dir).into_iter().filter(|(_, r)| r.is_on(target, &location)).collect();
    let (folder, mut record) = match &args.run {
        Some(id) => match runs.iter().find(|(_, r)| r.run == *id) {
            Some(found) => found.clone(),
            None => {
                let why = match RunFolder::of(&dir, id).load() {
                    Ok(other) => format!("run {id} copied into `{}`, not into `{target}`", other.target),
                    Err(_) => {
                        format!("no run {id} in {} (`graphferry runs --target {target}` lists the runs)", dir.display())
                    }
                };
                return Err(UsageError(why).into());
            }
        },
        None => match runs.last() {
            Some(latest) => latest.clone(),
            None => {
                ui.rollback_nothing(target, None, &format!("no copy run into it is recorded in {}", dir.display()));
                return Ok(());
            }
        },
    };
    let run = record.run.clone();
    if record.state == RunState::RolledBack {
        ui.rollback_nothing(target, Some(&run), &format!("run {run} was rolled back already"));
        return Ok(());
    }
    if record.finalized {
        anyhow::bail!(
            "run {run} can no longer be rolled back: `graphferry finalize` removed graphferry's identity marks from \
             `{target}` after it, and rollback finds the run's records by them. Nothing was changed"
        );
    }
    let later: Vec<&str> = runs
        .iter()
        .filter(|(_, r)| r.run > run && r.state != RunState::RolledBack && r.journaled)
        .map(|(_, r)| r.run.as_str())
        .collect();
    if let (Some(newest), false) = (later.last(), args.force) {
        anyhow::bail!(
            "run {run} is not the latest run on `{target}`: {} started after it and {} not rolled back. Roll back \
             the latest first (graphferry rollback --target {target} --run {newest}), or pass --force: undoing an \
             older run under a newer one can bring back data the newer one replaced. Nothing was changed",
            later.join(", "),
            if later.len() == 1 { "is" } else { "are" }
        );
    }
    if !record.journaled {
        // A database target journals every run unless told not to: this one was copied with
        // --no-journal, and what it wrote cannot be told from what was there.
        anyhow::bail!(
            "run {run} into `{target}` was copied with --no-journal: it kept no record of what it changed, so it cannot be \
             rolled back (restore the target from a backup, or copy again from the source)"
        );
    }
    let journal_path = folder.journal();
    let plan = rollback::plan(&journal_path)?;
    if args.dry_run {
        ui.rollback_plan(target, &run, &plan);
        return Ok(());
    }
    let options = RollbackOptions {
        batch_size: args.batch_size as usize,
        retry: RetryPolicy { max_attempts: args.max_attempts, ..RetryPolicy::default() },
        force: args.force,
    };
    if !args.force {
        rollback::check(journaled.as_ref(), &journal_path, options.batch_size).await?;
    }
    record.state = RunState::RollingBack;
    folder.save(&record)?;
    let progress = ui.rollback_progress();
    let result = rollback::rollback(journaled.as_ref(), &journal_path, &options, &progress).await;
    drop(progress);
    let report = result?;
    record.state = RunState::RolledBack;
    record.rolled_back = Some(journal::now());
    // A resume of an undone run would skip what it had written: its checkpoint goes too.
    if let Some(checkpoint) = record.checkpoint.take() {
        if checkpoint_of(&checkpoint, &run) {
            if let Err(e) = std::fs::remove_file(&checkpoint) {
                tracing::warn!(checkpoint = %checkpoint.display(), error = %e, "could not remove the run's checkpoint");
            }
        }
    }
    folder.save(&record)?;
    ui.rollback_summary(target, &run, &report);
    Ok(())
}

/// Whether the checkpoint at `path` is still the one of `run` (a later copy may have replaced it).
fn checkpoint_of(path: &std::path::Path, run: &str) -> bool {
    let Ok(text) = std::fs::read_to_string(path) else { return false };
    serde_json::from_str::<serde_json::Value>(&text).is_ok_and(|v| v["run"].as_str() == Some(run))
}
