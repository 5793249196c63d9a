//! `graphferry copy`: copy nodes and relationships from one target to another.

use std::path::PathBuf;

use clap::{ArgAction, Args};

use super::migrations::FolderArg;
use super::{GlobalArgs, UsageError};
use crate::connector::keyed::MissingKey;
use crate::connector::{self, registry, Selection, WriteMode};
use crate::migrations;
use crate::pipeline::checkpoint::{CheckpointFile, Fingerprint, Side};
use crate::pipeline::journal::{self, RunFolder, RunJournal, RunRecord, RunState};
use crate::pipeline::{self, CopyOptions, RetryPolicy, StopSignal};
use crate::ui::Ui;

#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    graphferry copy --source my-neo4j-database --target my-neptune-database --all\n  \
    graphferry copy --source A --target B --node Person --relationship KNOWS\n  \
    graphferry copy --source A --target B --all --dry-run\n  \
    graphferry copy --source A --target B --all --verify --finalize\n  \
    graphferry copy --source A --target B --all --transform transform.yaml --dry-run\n\n\
    --relationship T also copies the nodes at both ends of every T relationship, so nothing dangles.")]
pub struct CopyArgs {
    /// Target to read from (a name under `targets:` in the config)
    // `--from`/`-f` and `--to`/`-t` are nodestream 0.15's spellings of the same flags.
    #[arg(long, short = 'f', visible_alias = "from", value_name = "NAME")]
    pub source: String,

    /// Target to write to
    #[arg(long, short = 't', visible_alias = "to", value_name = "NAME")]
    pub target: String,

    /// Copy every node and relationship
    #[arg(long, short = 'a', conflicts_with_all = ["node", "relationship"])]
    pub all: bool,

    /// Copy the nodes carrying this label (repeatable)
    #[arg(long, short = 'n', value_name = "LABEL", action = ArgAction::Append)]
    pub node: Vec<String>,

    /// Copy the relationships of this type and the nodes at their ends (repeatable)
    #[arg(long, short = 'r', value_name = "TYPE", action = ArgAction::Append)]
    pub relationship: Vec<String>,

    /// Records per batch
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1_000_000),
          long_help = format!("Records per batch {}", registry::defaults_help(|d| d.batch_size)))]
    pub batch_size: Option<u32>,

    /// Batches written at the same time, at most
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256),
          long_help = format!("Batches written at the same time, at most: fewer while the target reports write \
              conflicts or asks to slow down, growing back as writes go through {}. Neo4j's concurrent writers \
              into one graph lock each other, hence its default of 1.", registry::defaults_help(|d| d.concurrency)))]
    pub concurrency: Option<u16>,

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

    /// A node of a label whose migrations declare keys but without a value for one of them:
    /// fail the copy (naming label, key and source id), or identify it by its source id
    #[arg(long, value_enum, value_name = "WHAT", default_value_t = MissingKey::Fail)]
    pub missing_key: MissingKey,

    /// Copy what the source has when a --node label or --relationship type is not in it
    /// (a warning each), instead of refusing the copy
    #[arg(long)]
    pub allow_missing: bool,

    /// Print what would be copied, with counts, and write nothing
    #[arg(long)]
    pub dry_run: bool,

    /// Transform records on the way: a YAML file of operations (rename, drop, set, coerce,
    /// cleanse, filter, de-duplicate), applied in order; default: the target's `transform:` key
    #[arg(
        long,
        value_name = "FILE",
        long_help = "Transform records on the way: a YAML file of operations applied \
        in file order to every record between source and sink (rename labels, types and properties; drop labels, \
        nodes, relationships, properties; set constants; build ids from a template; coerce types; cleanse strings; \
        filter; de-duplicate by a key). Each operation's effect is counted in the summary. With --dry-run, \
        prints the first records of each label and type before and after. Default: the file named by the \
        `transform:` key of the --target in the config. See the README's Transform section."
    )]
    pub transform: Option<PathBuf>,

    /// With --dry-run and a transform: show property values in the preview (they may be private)
    #[arg(long)]
    pub show_values: bool,

    #[command(flatten)]
    pub folder: FolderArg,

    #[command(flatten)]
    pub mapping: super::map::MappingArg,

    /// After the copy, verify the target: counts, dangling relationships and a sample of records
    #[arg(long)]
    pub verify: bool,

    /// After the copy (and --verify), remove graphferry's identity marks from the target, as
    /// `graphferry finalize` does; a later copy into it is then a fresh copy
    #[arg(long)]
    pub finalize: bool,

    /// Continue an interrupted or failed copy from its checkpoint (always merges)
    #[arg(long)]
    pub resume: bool,

    /// Keep no rollback journal for this run: saves looking up the before-image of every record
    /// in a target that already holds data, but `graphferry rollback` cannot undo the run
    #[arg(long)]
    pub no_journal: bool,

    /// Checkpoint file (default: .graphferry/checkpoint-SOURCE-TARGET.json beside the config)
    #[arg(long, value_name = "PATH")]
    pub checkpoint: Option<PathBuf>,

    #[command(flatten)]
    pub runs: RunsDirArg,
}

/// Where runs and their journals are kept.
#[derive(Debug, Args)]
pub struct RunsDirArg {
    /// Folder of copy runs and their journals (default: .graphferry/runs beside the config)
    #[arg(long, value_name = "DIR")]
    pub runs_dir: Option<PathBuf>,
}

impl RunsDirArg {
    pub fn dir(&self, config: &std::path::Path) -> PathBuf {
        self.runs_dir.clone().unwrap_or_else(|| journal::default_runs_dir(config))
    }
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
    let mut config = global.load_config()?;
    args.mapping.apply(&mut config, &args.source)?;
    let source_cfg = config.target(&args.source)?;
    let target_cfg = config.target(&args.target)?;
    refuse_same(&args, source_cfg.settings.location(), target_cfg.settings.location())?;
    let source = connector::connect_source(source_cfg).await?;
    let counts = pipeline::plan(source.as_ref(), &selection).await?;
    refuse_absent(&args, source.as_ref(), &selection, &counts).await?;

    let transform = super::transform_for(args.transform.as_deref(), target_cfg)?;

    if args.dry_run {
        ui.dry_run(&args.source, &args.target, &counts);
        if let Some(t) = &transform {
            let preview = pipeline::transform::preview(source.as_ref(), &selection, t, PREVIEW_PER_GROUP).await?;
            ui.transform_preview(t, &preview, args.show_values);
        }
        return Ok(());
    }

    // Node identity in the target comes from the keys the project's migrations declare.
    let node_keys =
        migrations::load(&migrations::folder(&config.path, args.folder.migrations.as_deref()))?.node_keys()?;
    // A target that cannot be reached fails the copy like one that fails later, on every connector.
    let sink: std::sync::Arc<dyn connector::Sink> = match connector::connect_sink(target_cfg).await {
        Ok(sink) => sink.into(),
        Err(e) => {
            ui.copy_failed(&args.source, &args.target, &pipeline::CopyReport::default(), None);
            return Err(e.into());
        }
    };
    let sides = [(source_cfg, &args.source), (target_cfg, &args.target)]
        .map(|(cfg, name)| Side { name, location: cfg.settings.location() });
    let (checkpoint, resume) =
        checkpoint_for(&args, &config.path, &selection, sides, sink.resumable(), transform.as_deref())?;
    let (folder, mut record, continued) = open_run(&args, &config.path, &selection, target_cfg, resume.as_ref());
    // A resumed run keeps its choice: a journal that began with the run, or none at all (a
    // journal of the resumed part alone would undo half a run).
    let no_journal = match (continued, record.journaled) {
        (true, true) if args.no_journal => anyhow::bail!(
            "run {} keeps a rollback journal; resume it without --no-journal (or start a new copy without --resume)",
            record.run
        ),
        (true, journaled) => !journaled,
        (false, _) => args.no_journal,
    };
    let journaled = if no_journal { None } else { connector::connect_journaled(target_cfg).await };
    let journal = match journaled {
        None => None,
        Some(Ok(target)) => Some(std::sync::Arc::new(RunJournal::open(folder.journal(), target, record.ids_only)?)),
        Some(Err(e)) => {
            ui.copy_failed(&args.source, &args.target, &pipeline::CopyReport::default(), None);
            return Err(e.into());
        }
    };
    record.journaled = journal.is_some();
    record.checkpoint = checkpoint.as_ref().map(|f| f.path.clone());
    folder.save(&record)?;
    if journal.is_some() {
        tracing::info!(event = "run", run = %record.run, folder = %folder.dir.display(), "run {}: journal in {}", record.run, folder.dir.display());
    } else if no_journal {
        tracing::info!(event = "run", run = %record.run, "run {} (no journal: --no-journal, it cannot be rolled back)", record.run);
    } else {
        tracing::info!(event = "run", run = %record.run, "run {} (no journal: the target is written whole)", record.run);
    }
    let defaults = registry::database(target_cfg.database).write_defaults;
    let options = CopyOptions {
        selection,
        batch_size: args.batch_size.map_or(defaults.batch_size, |n| n as usize),
        concurrency: args.concurrency.map_or(defaults.concurrency, usize::from),
        mode: args.mode,
        force: args.force,
        retry: RetryPolicy { max_attempts: args.max_attempts, ..RetryPolicy::default() },
        node_keys,
        strict_types: args.strict_types,
        missing_key: args.missing_key,
        checkpoint,
        resume,
        counted: Some(counts),
        transform,
        run: Some(record.run.clone()),
        journal: journal.clone(),
    };
    let progress = std::sync::Arc::new(ui.copy_progress());
    let stop = stop_on_signals();
    let result = pipeline::copy(source.as_ref(), sink, &options, progress.clone(), &stop).await;
    drop(progress);
    let (state, report) = match &result {
        Ok(report) => (RunState::Finished, report),
        Err(f) if matches!(f.error, pipeline::CopyError::Interrupted { .. }) => (RunState::Interrupted, &f.written),
        Err(f) => (RunState::Failed, &f.written),
    };
    end_run(&folder, &mut record, journal.as_deref(), report, state);
    match result {
        Ok(report) => {
            // A file target is named by the path it wrote, so the user knows which file to open.
            let written_to = (target_cfg.database == "file").then(|| target_cfg.settings.location());
            ui.copy_summary(&args.source, &args.target, written_to.as_deref(), &report);
            if args.verify {
                let depth = crate::verify::Depth::Sample(1000);
                super::verify::run(
                    &config,
                    &args.source,
                    &args.target,
                    &options.selection,
                    depth,
                    &options.node_keys,
                    options.transform.as_deref(),
                    ui,
                )
                .await?;
            }
            if args.finalize {
                let finalize = crate::pipeline::finalize::FinalizeOptions {
                    batch_size: crate::pipeline::finalize::DEFAULT_BATCH_SIZE,
                    retry: options.retry,
                };
                super::finalize::run(&config, &args.target, &finalize, ui).await?;
            }
            Ok(())
        }
        Err(failure) => {
            match &failure.error {
                pipeline::CopyError::Interrupted { checkpoint } => {
                    ui.copy_stopped(&args.source, &args.target, &failure.written, checkpoint.is_some())
                }
                _ => {
                    // The pipeline saves its progress on the way out of a failure; say where, so
                    // the user knows the copy can go on once the cause is fixed.
                    let saved = options.checkpoint.as_ref().map(|f| f.path.as_path()).filter(|p| p.exists());
                    ui.copy_failed(&args.source, &args.target, &failure.written, saved)
                }
            }
            Err(failure.error.into())
        }
    }
}

/// The run this copy is: the one its checkpoint names when resuming (its journal goes on;
/// `true`), a new one otherwise.
fn open_run(
    args: &CopyArgs,
    config: &std::path::Path,
    selection: &Selection,
    target: &registry::Target,
    resume: Option<&pipeline::checkpoint::Checkpoint>,
) -> (RunFolder, RunRecord, bool) {
    let runs_dir = args.runs.dir(config);
    if let Some(run) = resume.and_then(|c| c.run.as_deref()) {
        let folder = RunFolder::of(&runs_dir, run);
        if let Ok(mut record) = folder.load() {
            record.state = RunState::Running;
            record.ended = None;
            return (folder, record, true);
        }
    }
    let record =
        RunRecord::new(journal::new_run_id(), &args.source, &args.target, target.settings.location(), selection);
    (RunFolder::of(&runs_dir, &record.run), record, false)
}

/// Saves how the run ended and what it wrote. A failure to save is a warning: the copy's own
/// outcome is what the user needs to hear about.
fn end_run(
    folder: &RunFolder,
    record: &mut RunRecord,
    journal: Option<&RunJournal>,
    report: &pipeline::CopyReport,
    state: RunState,
) {
    record.state = state;
    record.ended = Some(journal::now());
    record.written = journal::Records { nodes: report.nodes, relationships: report.relationships };
    if let Some(j) = journal {
        let (created, updated) = j.counts();
        record.created += created;
        record.updated += updated;
        record.ids_only = j.ids_only().or(record.ids_only);
        if let Err(e) = j.sync() {
            tracing::warn!(error = %e, "could not sync the run's journal");
        }
    }
    if state == RunState::Finished {
        record.checkpoint = None;
    }
    if let Err(e) = folder.save(record) {
        tracing::warn!(error = %e, "could not save how the run ended");
    }
}

/// Records shown per label and relationship type by `--dry-run --transform`.
const PREVIEW_PER_GROUP: usize = 3;

/// Copying a database onto itself rewrites every record in place at best and, with `--mode
/// create`, duplicates them, so a source and target that are the same target, or two names for
/// the same location, are refused before anything is opened.
fn refuse_same(args: &CopyArgs, source: String, target: String) -> Result<(), UsageError> {
    if args.source == args.target {
        return Err(UsageError(format!("--source and --target are both `{}`; copy into another target", args.source)));
    }
    if source == target {
        return Err(UsageError(format!(
            "--source `{}` and --target `{}` are the same database ({source}); copy into another target",
            args.source, args.target
        )));
    }
    Ok(())
}

/// A `--node`/`--relationship` the source lacks would copy nothing for it, so the copy is
/// refused before anything is written, naming the closest valid names; with `--allow-missing`
/// each is a warning (a JSON line with `--json`) and the rest is copied.
async fn refuse_absent(
    args: &CopyArgs,
    source: &dyn connector::Source,
    selection: &Selection,
    counts: &connector::SelectionCounts,
) -> anyhow::Result<()> {
    let absent = pipeline::absent(source, selection, counts).await?;
    if absent.is_empty() {
        return Ok(());
    }
    if args.allow_missing {
        for a in &absent {
            tracing::warn!(event = "absent", source = %args.source, kind = a.kind, name = %a.name, "source `{}` has {a}; nothing copied for it", args.source);
        }
        return Ok(());
    }
    let each: Vec<String> = absent.iter().map(ToString::to_string).collect();
    Err(UsageError(format!(
        "source `{}` has {}; nothing was written (pass --allow-missing to copy the rest anyway)",
        args.source,
        each.join(" and ")
    ))
    .into())
}

/// The checkpoint file of this copy and, with `--resume`, the progress to continue from.
fn checkpoint_for(
    args: &CopyArgs,
    config: &std::path::Path,
    selection: &Selection,
    [source, target]: [Side<'_>; 2],
    resumable: bool,
    transform: Option<&pipeline::transform::Transform>,
) -> anyhow::Result<(Option<CheckpointFile>, Option<pipeline::checkpoint::Checkpoint>)> {
    if args.resume && args.mode == WriteMode::Create {
        return Err(UsageError(
            "--resume always merges (create mode would duplicate records written after the checkpoint); drop --mode create".into(),
        )
        .into());
    }
    if !resumable {
        if args.resume {
            anyhow::bail!("target `{}` cannot resume a copy (a file target is rewritten whole); run the copy again without --resume", args.target);
        }
        return Ok((None, None));
    }
    let fingerprint = Fingerprint::new(source, target, selection).with_transform(transform);
    let path = args.checkpoint.clone().unwrap_or_else(|| CheckpointFile::default_path(config, &fingerprint));
    let file = CheckpointFile { path, fingerprint };
    let resume = if args.resume {
        let found = file.load()?;
        if found.is_none() {
            anyhow::bail!(
                "no checkpoint at {}: nothing to resume (a finished copy removes its checkpoint)",
                file.path.display()
            );
        }
        found
    } else {
        if file.path.exists() {
            tracing::warn!(checkpoint = %file.path.display(), "an interrupted copy left a checkpoint; starting over (pass --resume to continue it instead)");
        }
        None
    };
    Ok((Some(file), resume))
}

/// Ctrl-C or SIGTERM asks the copy to stop cleanly (in-flight writes finish, progress is
/// saved); a second one exits at once.
fn stop_on_signals() -> StopSignal {
    let (tx, rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        let mut signals = 0;
        loop {
            wait_for_signal().await;
            signals += 1;
            if signals > 1 {
                std::process::exit(130);
            }
            tracing::warn!(
                "stopping: finishing the writes in flight and saving progress (press Ctrl-C again to exit at once)"
            );
            let _ = tx.send(true);
        }
    });
    rx
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = match signal(SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => return std::future::pending().await,
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
