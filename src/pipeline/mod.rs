//! The copy engine: a source streams pages of nodes, then of relationships, through a bounded
//! channel to at most `concurrency` concurrent sink writes, each a task on the runtime's worker
//! threads (encoding a batch is CPU work; a 2-core machine uses both cores). It owns batching by
//! bytes, retries of reads and writes, batch splitting, resume tokens and the tally of what was
//! written; it knows nothing about any database.
//!
//! Guarantees: nodes are all acknowledged before the first relationship is written (so a
//! relationship's endpoints exist); a batch is counted only once the sink acknowledged it; a
//! batch that still fails after its retries stops the copy with an error naming it; nothing is
//! ever skipped. A read that fails with a transient error is read again from the token of the
//! last page received. Memory is bounded by `concurrency × 2` pages in the channel plus one page
//! waiting for a slot plus `concurrency` batches in flight, whatever the graph size.

mod absent;
pub mod checkpoint;
pub mod finalize;
pub mod journal;
mod records;
mod report;
mod retry;
pub mod rollback;
mod throttle;
pub mod transform;

use std::time::{Duration, Instant};

use std::collections::VecDeque;
use std::sync::Arc;

use futures::future::BoxFuture;
use futures::FutureExt;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;

use crate::connector::{
    ConnectorError, CopyPlan, ErrorClass, Page, ResumeToken, Selection, SelectionCounts, Sink, Source, WriteMode,
    WriteReport,
};
pub use absent::Absent;
use checkpoint::{Checkpoint, CheckpointFile, PhaseProgress, Watermark};
pub(crate) use records::PhaseRecord;
pub use report::{CopyReport, NoProgress, Phase, Progress};
pub use retry::{retry_idempotent, RetryPolicy};
use throttle::Throttle;

/// How to copy.
#[derive(Debug, Clone)]
pub struct CopyOptions {
    pub selection: Selection,
    /// Records per batch read from the source and written to the sink.
    pub batch_size: usize,
    /// Batches written at the same time.
    pub concurrency: usize,
    pub mode: WriteMode,
    pub force: bool,
    pub retry: RetryPolicy,
    /// Node keys declared by the migrations, handed to the sink (see [`CopyPlan::node_keys`]).
    pub node_keys: std::collections::BTreeMap<String, Vec<String>>,
    /// See [`CopyPlan::strict_types`].
    pub strict_types: bool,
    /// See [`CopyPlan::missing_key`].
    pub missing_key: crate::connector::keyed::MissingKey,
    /// Where progress is saved as the copy goes (`None`: nowhere).
    pub checkpoint: Option<CheckpointFile>,
    /// Progress of an earlier run to continue from (`--resume`).
    pub resume: Option<Checkpoint>,
    /// What the source counted for the selection just before, if it was asked already (the
    /// copy then does not count again).
    pub counted: Option<SelectionCounts>,
    /// The transform stage between source and sink (`None`: records pass unchanged).
    pub transform: Option<Arc<transform::Transform>>,
    /// The run this copy is (saved in the checkpoint, so a resume continues it).
    pub run: Option<String>,
    /// Where each batch's before-images go before it is written (`None`: no journal).
    pub journal: Option<Arc<journal::RunJournal>>,
}

/// Asks a running copy to stop: in-flight writes finish, the checkpoint is saved, and the copy
/// ends with [`CopyError::Interrupted`].
pub type StopSignal = watch::Receiver<bool>;

/// A stop signal that never fires.
pub fn never_stop() -> StopSignal {
    watch::channel(false).1
}

/// Why a copy stopped.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    #[error("counting what to copy in the source failed")]
    Count(#[source] ConnectorError),
    #[error("preparing the target failed")]
    Prepare(#[source] ConnectorError),
    #[error("reading {} from the source failed", phase.noun())]
    Source {
        phase: Phase,
        #[source]
        source: ConnectorError,
    },
    #[error("writing a batch of {count} {} ({scope}; first source id `{first_id}`) failed after {attempts} attempt(s)", phase.noun())]
    Batch {
        phase: Phase,
        count: usize,
        scope: String,
        first_id: String,
        attempts: u32,
        #[source]
        source: ConnectorError,
    },
    #[error("finishing the copy in the target failed")]
    Finish(#[source] ConnectorError),
    #[error("interrupted: the writes in flight finished{}", checkpoint.as_ref().map(|p| format!(" and progress was saved to {} (run the same copy with --resume to continue)", p.display())).unwrap_or_default())]
    Interrupted { checkpoint: Option<std::path::PathBuf> },
    #[error(transparent)]
    Checkpoint(#[from] checkpoint::CheckpointError),
    #[error(transparent)]
    Transform(#[from] transform::TransformError),
    #[error("rebuilding the transform's state from the source's nodes (to resume) failed")]
    Rebuild(#[source] ConnectorError),
}

/// A failed copy: the error, and what the sink had acknowledged before it.
#[derive(Debug)]
pub struct CopyFailure {
    pub error: CopyError,
    pub written: CopyReport,
}

/// Counts what `selection` covers in `source` (for `--dry-run` and progress totals).
pub async fn plan(source: &dyn Source, selection: &Selection) -> Result<SelectionCounts, CopyError> {
    source.count(selection).await.map_err(CopyError::Count)
}

/// The selected labels and relationship types `source` has no record of (none for `--all`,
/// without asking the source). `counts` are the selection's counts: only when they lack a
/// selected name is the whole schema read, for the names to suggest (on a large graph it is
/// the costlier question).
pub async fn absent(
    source: &dyn Source,
    selection: &Selection,
    counts: &SelectionCounts,
) -> Result<Vec<Absent>, CopyError> {
    let Selection::Only { labels, relationship_types } = selection else { return Ok(Vec::new()) };
    let has = |map: &std::collections::BTreeMap<String, u64>, name: &String| map.get(name).is_some_and(|n| *n > 0);
    if labels.iter().all(|l| has(&counts.labels, l))
        && relationship_types.iter().all(|t| has(&counts.relationship_types, t))
    {
        return Ok(Vec::new());
    }
    let schema = source.schema().await.map_err(CopyError::Count)?;
    Ok(absent::absent(selection, &schema))
}

/// Copies the selected records from `source` to `sink`.
pub async fn copy(
    source: &dyn Source,
    sink: Arc<dyn Sink>,
    options: &CopyOptions,
    progress: Arc<dyn Progress>,
    stop: &StopSignal,
) -> Result<CopyReport, CopyFailure> {
    let started = Instant::now();
    let mut report =
        CopyReport { run: options.run.clone(), journaled: options.journal.is_some(), ..CopyReport::default() };
    let mut saver = Saver::new(options);
    let mut result = run(source, sink, options, progress, stop, &mut report, &mut saver).await;
    // Whatever happened, the progress made so far is saved; a finished copy removes it. A copy
    // refused before it wrote anything (a non-empty target in create mode, a failed count) has
    // no progress to save, and a checkpoint file then would only warn about it on the next run.
    let saved = match &result {
        Ok(()) => saver.remove(),
        Err(CopyError::Interrupted { .. }) => saver.save(true),
        Err(_) if saver.has_progress() || options.resume.is_some() => saver.save(true),
        Err(_) => Ok(()),
    };
    if let (Ok(()), Err(e)) = (&result, saved) {
        result = Err(e.into());
    }
    // Conversions the source made while reading (a PostgreSQL numeric read as a float).
    for (key, n) in source.conversions() {
        *report.conversions.entry(key).or_default() += n;
    }
    report.elapsed = started.elapsed();
    match result {
        Ok(()) => Ok(report),
        Err(error) => Err(CopyFailure { error, written: report }),
    }
}

async fn run(
    source: &dyn Source,
    sink: Arc<dyn Sink>,
    options: &CopyOptions,
    progress: Arc<dyn Progress>,
    stop: &StopSignal,
    report: &mut CopyReport,
    saver: &mut Saver,
) -> Result<(), CopyError> {
    report.expected = match &options.counted {
        Some(counts) => counts.clone(),
        None => plan(source, &options.selection).await?,
    };
    let plan = CopyPlan {
        mode: options.mode,
        counts: report.expected.clone(),
        force: options.force,
        node_keys: options.node_keys.clone(),
        strict_types: options.strict_types,
        missing_key: options.missing_key,
    };
    sink.prepare(&plan).await.map_err(CopyError::Prepare)?;
    if let Some(journal) = &options.journal {
        journal.prepare(&plan).await.map_err(CopyError::Prepare)?;
    }
    let mut state = transform::State::default();
    if let Some(t) = &options.transform {
        report.transform = Some(t.new_report());
        if saver.has_progress() && t.is_stateful() {
            rebuild_state(source, options, t, &mut state).await?;
        }
    }
    let env = PhaseEnv { source, sink: sink.clone(), options, progress, stop };
    run_phase::<crate::model::Node>(&env, report, saver, &mut state).await?;
    run_phase::<crate::model::Relationship>(&env, report, saver, &mut state).await?;
    sink.finish().await.map_err(CopyError::Finish)?;
    report.next_steps = sink.next_steps();
    Ok(())
}

/// A resumed copy does not read again the nodes an earlier run wrote, but what the transform
/// did to them (drops, duplicates, new ids) decides the relationships still to write: the state
/// is rebuilt by passing every node of the selection through the transform, writing nothing.
/// The nodes the phase then reads again meet a state that already knows them, which changes
/// nothing (a node is its own first duplicate; a drop is a drop again).
async fn rebuild_state(
    source: &dyn Source,
    options: &CopyOptions,
    t: &transform::Transform,
    state: &mut transform::State,
) -> Result<(), CopyError> {
    let mut scratch = t.new_report();
    let (tx, mut rx) = mpsc::channel::<Page<crate::model::Node>>(2);
    let read = source.read_nodes(&options.selection, options.batch_size.max(1), None, tx);
    let apply = async {
        while let Some(page) = rx.recv().await {
            t.nodes(page.records, state, &mut scratch)?;
        }
        Ok::<(), CopyError>(())
    };
    let (read, applied) = tokio::join!(read, apply);
    applied?;
    read.map_err(CopyError::Rebuild)
}

/// What every phase runs with.
struct PhaseEnv<'a> {
    source: &'a dyn Source,
    sink: Arc<dyn Sink>,
    options: &'a CopyOptions,
    progress: Arc<dyn Progress>,
    stop: &'a StopSignal,
}

/// Keeps the checkpoint file up to date, at most once a second while records flow.
struct Saver {
    file: Option<CheckpointFile>,
    run: Option<String>,
    journal: Option<Arc<journal::RunJournal>>,
    nodes: PhaseProgress,
    relationships: PhaseProgress,
    last: Instant,
}

const SAVE_EVERY: Duration = Duration::from_secs(1);

impl Saver {
    fn new(options: &CopyOptions) -> Self {
        let resume = options.resume.as_ref();
        Saver {
            file: options.checkpoint.clone(),
            run: options.run.clone(),
            journal: options.journal.clone(),
            nodes: resume.map(|c| c.nodes.clone()).unwrap_or_default(),
            relationships: resume.map(|c| c.relationships.clone()).unwrap_or_default(),
            // The first acknowledged batch is saved at once, then at most once a second.
            last: Instant::now().checked_sub(SAVE_EVERY).unwrap_or_else(Instant::now),
        }
    }

    fn phase(&mut self, phase: Phase) -> &mut PhaseProgress {
        match phase {
            Phase::Nodes => &mut self.nodes,
            Phase::Relationships => &mut self.relationships,
        }
    }

    fn save(&mut self, force: bool) -> Result<(), checkpoint::CheckpointError> {
        let Some(file) = &self.file else { return Ok(()) };
        if force || self.last.elapsed() >= SAVE_EVERY {
            // The journal first: the checkpoint counts batches whose entries it holds.
            if let Some(journal) = &self.journal {
                journal.sync().map_err(|e| checkpoint::CheckpointError::Io { path: e.path, message: e.message })?;
            }
            file.save_run(self.run.as_deref(), &self.nodes, &self.relationships)?;
            self.last = Instant::now();
        }
        Ok(())
    }

    /// Whether any phase got somewhere: records acknowledged, a page passed, or a phase done.
    fn has_progress(&self) -> bool {
        [&self.nodes, &self.relationships].iter().any(|p| p.acknowledged > 0 || p.after.is_some() || p.finished)
    }

    fn remove(&mut self) -> Result<(), checkpoint::CheckpointError> {
        match &self.file {
            Some(file) => file.remove(),
            None => Ok(()),
        }
    }
}

/// A piece of a source page on its way to the sink: pieces are numbered in read order, and the
/// last piece of a page carries the page's resume token.
struct Piece<T> {
    seq: u64,
    records: Vec<T>,
    token: Option<ResumeToken>,
}

/// How a piece's write ended: its number, its token, and the outcome.
type PieceWritten<T> = (u64, Option<ResumeToken>, Result<Written<T>, CopyError>);

async fn run_phase<T: PhaseRecord>(
    env: &PhaseEnv<'_>,
    report: &mut CopyReport,
    saver: &mut Saver,
    state: &mut transform::State,
) -> Result<(), CopyError> {
    let PhaseEnv { options, stop, .. } = *env;
    let progress = env.progress.as_ref();
    let phase = T::PHASE;
    let start = saver.phase(phase).clone();
    progress.phase_started(phase, T::expected(&report.expected));
    // Records an earlier run acknowledged are counted, not read or written again.
    report.resumed += start.acknowledged;
    T::add_finished(report, start.acknowledged);
    progress.written(phase, start.acknowledged);
    if start.finished {
        progress.phase_finished(phase);
        return Ok(());
    }
    let concurrency = options.concurrency.max(1);
    let throttle = Arc::new(Throttle::new(concurrency));
    let (tx, mut rx) = mpsc::channel::<Page<T>>(concurrency * 2);
    let read = read_with_retry(env, start.after.clone(), tx);
    let max_bytes = env.sink.max_batch_bytes();
    let mut watermark = Watermark::starting_at(start);
    let mut stop = stop.clone();

    let write = async {
        let mut in_flight: JoinSet<PieceWritten<T>> = JoinSet::new();
        // Pieces read but not yet written: a page cut by bytes waits here for free slots.
        let mut waiting: VecDeque<Piece<T>> = VecDeque::new();
        let mut failed: Option<CopyError> = None;
        let mut stopping = *stop.borrow();
        let mut stop_gone = false;
        let mut source_done = false;
        let mut seq = 0u64;
        if stopping {
            rx.close();
        }
        loop {
            while !stopping && failed.is_none() && in_flight.len() < throttle.limit() {
                let Some(piece) = waiting.pop_front() else { break };
                let task = write_with_retry(
                    env.sink.clone(),
                    options.journal.clone(),
                    piece.records,
                    options.retry,
                    throttle.clone(),
                    env.progress.clone(),
                    stop.clone(),
                );
                let (seq, token) = (piece.seq, piece.token);
                in_flight.spawn(async move { (seq, token, task.await) });
            }
            // Done when nothing is in flight and nothing more will be taken. (The stop branch
            // below never disables itself, so `select!`'s `else` cannot be relied on for this.)
            let nothing_left = source_done && waiting.is_empty();
            if in_flight.is_empty() && (nothing_left || stopping || failed.is_some()) {
                break;
            }
            tokio::select! {
                biased;
                Some(joined) = in_flight.join_next(), if !in_flight.is_empty() => {
                    let (seq, token, outcome) = joined.unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()));
                    match outcome {
                        Ok(done) => {
                            let Written { batch, report: write_report, retries, splits } = done;
                            let n = batch.len() as u64;
                            progress.written(phase, n);
                            T::tally(&batch, report);
                            drop(batch); // freed here, not on the thread that encoded it
                            report.batches += 1;
                            report.retries += u64::from(retries);
                            report.splits += u64::from(splits);
                            for (key, n) in write_report.conversions {
                                *report.conversions.entry(key).or_default() += n;
                            }
                            *saver.phase(phase) = watermark.ack(seq, n, token).clone();
                            if let Err(e) = saver.save(false) {
                                rx.close();
                                failed.get_or_insert(e.into());
                            }
                        }
                        // A stop that woke a backoff: the batch is not written, and the
                        // watermark stays before it.
                        Err(CopyError::Interrupted { .. }) => {
                            stopping = true;
                            rx.close();
                        }
                        Err(e) => {
                            // Stop taking batches (the source's next send fails and it returns),
                            // but let the writes already in flight finish so their outcome is known.
                            rx.close();
                            failed.get_or_insert(e);
                        }
                    }
                },
                changed = stop.changed(), if !stopping && !stop_gone => match changed {
                    Ok(()) if *stop.borrow() => {
                        stopping = true;
                        rx.close();
                    }
                    Ok(()) => {}
                    // No one can ask for a stop any more.
                    Err(_) => stop_gone = true,
                },
                page = rx.recv(), if !source_done && failed.is_none() && !stopping && waiting.is_empty() && in_flight.len() < throttle.limit() => match page {
                    Some(Page { records, next }) => {
                        // The transform runs here, in read order, so its state sees the records
                        // in the order a resumed run reads them too.
                        let records = match (&options.transform, report.transform.as_mut()) {
                            (Some(t), Some(counts)) => {
                                let read = records.len();
                                match T::transform(t, records, state, counts) {
                                    Ok(kept) => {
                                        progress.written(phase, (read - kept.len()) as u64);
                                        kept
                                    }
                                    Err(e) => {
                                        rx.close();
                                        failed.get_or_insert(e.into());
                                        continue;
                                    }
                                }
                            }
                            _ => records,
                        };
                        if records.is_empty() {
                            // Only the token moves (the source skipped records it did not select).
                            *saver.phase(phase) = watermark.ack(seq, 0, Some(next)).clone();
                            seq += 1;
                            continue;
                        }
                        let mut pieces = split_by_bytes(records, max_bytes);
                        let last = pieces.pop().expect("a page with records has a piece");
                        for records in pieces {
                            waiting.push_back(Piece { seq, records, token: None });
                            seq += 1;
                        }
                        waiting.push_back(Piece { seq, records: last, token: Some(next) });
                        seq += 1;
                    }
                    None => source_done = true,
                },
            }
        }
        match failed {
            Some(e) => Err(e),
            None if stopping => Err(CopyError::Interrupted { checkpoint: saver.file.as_ref().map(|f| f.path.clone()) }),
            None => Ok(()),
        }
    };

    let (read_result, write_result) = tokio::join!(read, write);
    write_result?;
    report.read_retries += read_result.map_err(|source| CopyError::Source { phase, source })?;
    saver.phase(phase).finished = true;
    saver.save(true)?;
    progress.phase_finished(phase);
    Ok(())
}

/// Reads the phase's records into `tx`, starting after `after`, as [`read_resuming`] does;
/// retries are shown on the copy's progress.
async fn read_with_retry<T: PhaseRecord>(
    env: &PhaseEnv<'_>,
    after: Option<ResumeToken>,
    tx: mpsc::Sender<Page<T>>,
) -> Result<u64, ConnectorError> {
    let PhaseEnv { source, options, .. } = *env;
    let shown = |failures: u32, wait: Duration, error: &ConnectorError| {
        env.progress.retrying(T::PHASE, failures, wait, &format!("reading: {error}"));
    };
    read_resuming(
        source,
        &options.selection,
        options.batch_size.max(1),
        options.retry,
        env.stop.clone(),
        after,
        tx,
        shown,
    )
    .await
}

/// Reads `selection`'s records of one kind from `source` into `tx` in pages of `batch`,
/// starting after `after`. A transient read error reads again from the token of the last page
/// passed on, after a backoff (`retrying` is told of each); the attempts count failures in a
/// row, so a long read may meet several passing errors. Ends early, without error, when `tx` is
/// closed or a stop is asked for. Returns how many times it read again.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn read_resuming<T: PhaseRecord>(
    source: &dyn Source,
    selection: &Selection,
    batch: usize,
    policy: RetryPolicy,
    mut stop: StopSignal,
    mut after: Option<ResumeToken>,
    tx: mpsc::Sender<Page<T>>,
    retrying: impl Fn(u32, Duration, &ConnectorError),
) -> Result<u64, ConnectorError> {
    let mut failures = 0;
    let mut retries = 0;
    loop {
        let (page_tx, page_rx) = mpsc::channel::<Page<T>>(1);
        let read = T::read(source, selection, batch, after.clone(), page_tx);
        let mut passed_on = false;
        let forward = async {
            // Owned here, so a reader that stopped taking pages closes it and the read returns.
            let mut page_rx = page_rx;
            while let Some(page) = page_rx.recv().await {
                let next = page.next.clone();
                if tx.send(page).await.is_err() {
                    return false; // the reader stopped taking pages
                }
                after = Some(next);
                passed_on = true;
            }
            true
        };
        let (result, listening) = tokio::join!(read, forward);
        let error = match result {
            Ok(()) => return Ok(retries),
            Err(_) if !listening => return Ok(retries),
            Err(e) => e,
        };
        failures = if passed_on { 1 } else { failures + 1 };
        if error.class != ErrorClass::Retryable || failures >= policy.max_attempts {
            return Err(error);
        }
        let wait = policy.delay(failures);
        retrying(failures, wait, &error);
        retries += 1;
        if sleep_unless_stopped(wait, &mut stop).await {
            return Ok(retries); // the write side sees the stop too and ends the copy
        }
    }
}

/// Sleeps for `wait`; returns true, early, if a stop is asked for meanwhile.
async fn sleep_unless_stopped(wait: Duration, stop: &mut StopSignal) -> bool {
    if *stop.borrow() {
        return true;
    }
    let asked = async {
        loop {
            if stop.changed().await.is_err() {
                std::future::pending::<()>().await; // no one can ask any more
            }
            if *stop.borrow() {
                return;
            }
        }
    };
    tokio::select! {
        _ = tokio::time::sleep(wait) => false,
        _ = asked => true,
    }
}

/// A batch the sink acknowledged, handed back for the tally.
struct Written<T> {
    batch: Vec<T>,
    report: WriteReport,
    retries: u32,
    splits: u32,
}

/// Cuts a batch so no piece is over `max_bytes` (by the records' approximate size).
fn split_by_bytes<T: PhaseRecord>(batch: Vec<T>, max_bytes: Option<usize>) -> Vec<Vec<T>> {
    let Some(max) = max_bytes else { return vec![batch] };
    let mut out = Vec::new();
    let mut current = Vec::new();
    let mut size = 0;
    for record in batch {
        let s = record.approx_size();
        if !current.is_empty() && size + s > max {
            out.push(std::mem::take(&mut current));
            size = 0;
        }
        size += s;
        current.push(record);
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// Writes one batch, retrying transient errors with backoff and splitting a batch the sink
/// finds too big. Fails with the batch named once the policy gives up, or with `Interrupted`
/// when a stop wakes a backoff. Tells `throttle` how each attempt went.
fn write_with_retry<T: PhaseRecord>(
    sink: Arc<dyn Sink>,
    mut journal: Option<Arc<journal::RunJournal>>,
    batch: Vec<T>,
    policy: RetryPolicy,
    throttle: Arc<Throttle>,
    progress: Arc<dyn Progress>,
    mut stop: StopSignal,
) -> BoxFuture<'static, Result<Written<T>, CopyError>> {
    async move {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let ticket = throttle.ticket();
            // Journaled once, before the first attempt that can write: a retry or a split writes
            // the same records, whose before-images were taken already.
            let journaled = match &journal {
                Some(j) => j.before(&batch).await,
                None => Ok(()),
            };
            let written = match journaled {
                Ok(()) => {
                    journal = None;
                    T::write(sink.as_ref(), &batch).await
                }
                Err(e) => Err(e),
            };
            let error = match written {
                Ok(report) => {
                    throttle.succeeded();
                    return Ok(Written { batch, report, retries: attempt - 1, splits: 0 });
                }
                Err(e) => e,
            };
            if error.class == ErrorClass::Retryable {
                throttle.conflicted(ticket);
            }
            if error.class == ErrorClass::SplitBatch && batch.len() > 1 {
                // Handled and counted in the report's split batches; the details are for `-v`.
                tracing::debug!(phase = T::PHASE.noun(), records = batch.len(), error = %error, "batch too large for the sink, splitting it in two");
                let mut first = batch;
                let second = first.split_off(first.len() / 2);
                let again = |b| {
                    let (sink, journal) = (sink.clone(), journal.clone());
                    write_with_retry(sink, journal, b, policy, throttle.clone(), progress.clone(), stop.clone())
                };
                let a = again(first).await?;
                let b = again(second).await?;
                return Ok(merge(a, b, attempt - 1));
            }
            if error.class == ErrorClass::Fatal || attempt >= policy.max_attempts {
                // The sink's write that failed, when it names one: a batch of mixed labels or
                // types goes out as one write per label set or type, and naming the batch's
                // first record would pin the failure on another write's records.
                let (count, scope, first_id) = match error.write.as_deref().cloned() {
                    Some(w) => (w.count, w.scope, w.first_id),
                    None => (
                        batch.len(),
                        batch.first().map(T::scope).unwrap_or_default(),
                        batch.first().map(|r| r.id().to_string()).unwrap_or_default(),
                    ),
                };
                return Err(CopyError::Batch { phase: T::PHASE, count, scope, first_id, attempts: attempt, source: error });
            }
            let wait = policy.delay(attempt);
            progress.retrying(T::PHASE, attempt, wait, &error.to_string());
            if sleep_unless_stopped(wait, &mut stop).await {
                return Err(CopyError::Interrupted { checkpoint: None });
            }
        }
    }
    .boxed()
}

fn merge<T>(mut a: Written<T>, b: Written<T>, retries: u32) -> Written<T> {
    a.batch.extend(b.batch);
    for (k, n) in b.report.conversions {
        *a.report.conversions.entry(k).or_default() += n;
    }
    Written {
        batch: a.batch,
        report: a.report,
        retries: a.retries + b.retries + retries,
        splits: a.splits + b.splits + 1,
    }
}

#[cfg(test)]
mod tests;
