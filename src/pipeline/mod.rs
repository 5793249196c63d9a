//! The copy engine: a source streams batches of nodes, then of relationships, through a bounded
//! channel to at most `concurrency` concurrent sink writes. It owns batching by bytes, retries,
//! batch splitting and the tally of what was written; it knows nothing about any database.
//!
//! Guarantees: nodes are all acknowledged before the first relationship is written (so a
//! relationship's endpoints exist); a batch is counted only once the sink acknowledged it; a
//! batch that still fails after its retries stops the copy with an error naming it; nothing is
//! ever skipped. Memory is bounded by `concurrency × 2` batches in the channel plus `concurrency`
//! batches in flight, whatever the graph size.

pub mod checkpoint;
mod records;
mod report;
mod retry;
mod throttle;

use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use futures::stream::{FuturesUnordered, StreamExt};
use futures::FutureExt;
use tokio::sync::{mpsc, watch};

use crate::connector::{
    ConnectorError, CopyPlan, ErrorClass, Selection, SelectionCounts, Sink, Source, WriteMode, WriteReport,
};
use checkpoint::{Checkpoint, CheckpointFile, PhaseProgress, Watermark};
pub(crate) use records::PhaseRecord;
pub use report::{CopyReport, NoProgress, Phase, Progress};
pub use retry::RetryPolicy;
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
    /// Where progress is saved as the copy goes (`None`: nowhere).
    pub checkpoint: Option<CheckpointFile>,
    /// Progress of an earlier run to continue from (`--resume`).
    pub resume: Option<Checkpoint>,
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

/// Copies the selected records from `source` to `sink`.
pub async fn copy(
    source: &dyn Source,
    sink: &dyn Sink,
    options: &CopyOptions,
    progress: &dyn Progress,
    stop: &StopSignal,
) -> Result<CopyReport, CopyFailure> {
    let started = Instant::now();
    let mut report = CopyReport::default();
    let mut saver = Saver::new(options);
    let mut result = run(source, sink, options, progress, stop, &mut report, &mut saver).await;
    // Whatever happened, the progress made so far is saved; a finished copy removes it.
    let saved = match &result {
        Ok(()) => saver.remove(),
        Err(_) => saver.save(true),
    };
    if let (Ok(()), Err(e)) = (&result, saved) {
        result = Err(e.into());
    }
    report.elapsed = started.elapsed();
    match result {
        Ok(()) => Ok(report),
        Err(error) => Err(CopyFailure { error, written: report }),
    }
}

async fn run(
    source: &dyn Source,
    sink: &dyn Sink,
    options: &CopyOptions,
    progress: &dyn Progress,
    stop: &StopSignal,
    report: &mut CopyReport,
    saver: &mut Saver,
) -> Result<(), CopyError> {
    report.expected = plan(source, &options.selection).await?;
    let plan = CopyPlan {
        mode: options.mode,
        counts: report.expected.clone(),
        force: options.force,
        node_keys: options.node_keys.clone(),
        strict_types: options.strict_types,
    };
    sink.prepare(&plan).await.map_err(CopyError::Prepare)?;
    let env = PhaseEnv { source, sink, options, progress, stop };
    run_phase::<crate::model::Node>(&env, report, saver).await?;
    run_phase::<crate::model::Relationship>(&env, report, saver).await?;
    sink.finish().await.map_err(CopyError::Finish)
}

/// What every phase runs with.
struct PhaseEnv<'a> {
    source: &'a dyn Source,
    sink: &'a dyn Sink,
    options: &'a CopyOptions,
    progress: &'a dyn Progress,
    stop: &'a StopSignal,
}

/// Keeps the checkpoint file up to date, at most once a second while records flow.
struct Saver {
    file: Option<CheckpointFile>,
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
            nodes: resume.map(|c| c.nodes).unwrap_or_default(),
            relationships: resume.map(|c| c.relationships).unwrap_or_default(),
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
            file.save(self.nodes, self.relationships)?;
            self.last = Instant::now();
        }
        Ok(())
    }

    fn remove(&mut self) -> Result<(), checkpoint::CheckpointError> {
        match &self.file {
            Some(file) => file.remove(),
            None => Ok(()),
        }
    }
}

async fn run_phase<T: PhaseRecord>(
    env: &PhaseEnv<'_>,
    report: &mut CopyReport,
    saver: &mut Saver,
) -> Result<(), CopyError> {
    let PhaseEnv { source, sink, options, progress, stop } = *env;
    let phase = T::PHASE;
    let start = *saver.phase(phase);
    progress.phase_started(phase, T::expected(&report.expected));
    if start.finished {
        // An earlier run finished this phase; its records are in the target.
        report.resumed += start.acknowledged;
        T::add_finished(report, start.acknowledged);
        progress.written(phase, start.acknowledged);
        progress.phase_finished(phase);
        return Ok(());
    }
    let skip = start.acknowledged;
    let mut watermark = Watermark::starting_at(skip);
    let concurrency = options.concurrency.max(1);
    let throttle = Throttle::new(concurrency);
    let (tx, mut rx) = mpsc::channel::<Vec<T>>(concurrency * 2);
    let read = T::read(source, &options.selection, options.batch_size.max(1), tx);
    let max_bytes = sink.max_batch_bytes();
    let mut stop = stop.clone();

    let write = async {
        let mut in_flight = FuturesUnordered::new();
        let mut failed: Option<CopyError> = None;
        let mut stopping = *stop.borrow();
        let mut stop_gone = false;
        let mut source_done = false;
        let mut offset = 0u64; // records received so far, in read order
        if stopping {
            rx.close();
        }
        loop {
            // Done when nothing is in flight and nothing more will be taken. (The stop branch
            // below never disables itself, so `select!`'s `else` cannot be relied on for this.)
            if in_flight.is_empty() && (source_done || stopping || failed.is_some()) {
                break;
            }
            tokio::select! {
                biased;
                Some(outcome) = in_flight.next(), if !in_flight.is_empty() => match outcome {
                    Ok(done) => {
                        let Written { batch, start, report: write_report, retries, splits } = done;
                        let n = batch.len() as u64;
                        progress.written(phase, n);
                        T::tally(&batch, report);
                        report.batches += 1;
                        report.retries += u64::from(retries);
                        report.splits += u64::from(splits);
                        for (key, n) in write_report.conversions {
                            *report.conversions.entry(key).or_default() += n;
                        }
                        saver.phase(phase).acknowledged = watermark.ack(start, start + n);
                        if let Err(e) = saver.save(false) {
                            rx.close();
                            failed.get_or_insert(e.into());
                        }
                    }
                    Err(e) => {
                        // Stop taking batches (the source's next send fails and it returns),
                        // but let the writes already in flight finish so their outcome is known.
                        rx.close();
                        failed.get_or_insert(e);
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
                batch = rx.recv(), if !source_done && failed.is_none() && !stopping && in_flight.len() < throttle.limit() => match batch {
                    Some(mut batch) => {
                        let batch_start = offset;
                        offset += batch.len() as u64;
                        // On resume, records an earlier run acknowledged are counted, not rewritten.
                        let already = (skip.saturating_sub(batch_start) as usize).min(batch.len());
                        if already > 0 {
                            let done: Vec<T> = batch.drain(..already).collect();
                            T::tally(&done, report);
                            report.resumed += already as u64;
                            progress.written(phase, already as u64);
                        }
                        let mut chunk_start = batch_start + already as u64;
                        for chunk in split_by_bytes(batch, max_bytes) {
                            let n = chunk.len() as u64;
                            in_flight.push(write_with_retry(sink, chunk, chunk_start, &options.retry, &throttle, progress));
                            chunk_start += n;
                        }
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
    read_result.map_err(|source| CopyError::Source { phase, source })?;
    saver.phase(phase).finished = true;
    saver.save(true)?;
    progress.phase_finished(phase);
    Ok(())
}

/// A batch the sink acknowledged, handed back for the tally.
struct Written<T> {
    batch: Vec<T>,
    /// Position of the batch's first record in the phase's read order.
    start: u64,
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
/// finds too big. Fails with the batch named once the policy gives up. Tells `throttle` how
/// each attempt went.
fn write_with_retry<'a, T: PhaseRecord>(
    sink: &'a dyn Sink,
    batch: Vec<T>,
    start: u64,
    policy: &'a RetryPolicy,
    throttle: &'a Throttle,
    progress: &'a dyn Progress,
) -> BoxFuture<'a, Result<Written<T>, CopyError>> {
    async move {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let ticket = throttle.ticket();
            let error = match T::write(sink, &batch).await {
                Ok(report) => {
                    throttle.succeeded();
                    return Ok(Written { batch, start, report, retries: attempt - 1, splits: 0 });
                }
                Err(e) => e,
            };
            if error.class == ErrorClass::Retryable {
                throttle.conflicted(ticket);
            }
            if error.class == ErrorClass::SplitBatch && batch.len() > 1 {
                tracing::warn!(phase = T::PHASE.noun(), records = batch.len(), error = %error, "batch too large for the sink, splitting it in two");
                let mut first = batch;
                let second = first.split_off(first.len() / 2);
                let second_start = start + first.len() as u64;
                let a = write_with_retry(sink, first, start, policy, throttle, progress).await?;
                let b = write_with_retry(sink, second, second_start, policy, throttle, progress).await?;
                return Ok(merge(a, b, attempt - 1));
            }
            if error.class == ErrorClass::Fatal || attempt >= policy.max_attempts {
                return Err(CopyError::Batch {
                    phase: T::PHASE,
                    count: batch.len(),
                    scope: batch.first().map(T::scope).unwrap_or_default(),
                    first_id: batch.first().map(|r| r.id().to_string()).unwrap_or_default(),
                    attempts: attempt,
                    source: error,
                });
            }
            let wait = policy.delay(attempt);
            progress.retrying(T::PHASE, attempt, wait, &error.to_string());
            tokio::time::sleep(wait).await;
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
        start: a.start,
        report: a.report,
        retries: a.retries + b.retries + retries,
        splits: a.splits + b.splits + 1,
    }
}

#[cfg(test)]
mod tests;
