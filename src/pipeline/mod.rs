//! The copy engine: a source streams batches of nodes, then of relationships, through a bounded
//! channel to at most `concurrency` concurrent sink writes. It owns batching by bytes, retries,
//! batch splitting and the tally of what was written; it knows nothing about any database.
//!
//! Guarantees: nodes are all acknowledged before the first relationship is written (so a
//! relationship's endpoints exist); a batch is counted only once the sink acknowledged it; a
//! batch that still fails after its retries stops the copy with an error naming it; nothing is
//! ever skipped. Memory is bounded by `concurrency × 2` batches in the channel plus `concurrency`
//! batches in flight, whatever the graph size.

mod records;
mod report;
mod retry;

use std::time::Instant;

use futures::future::BoxFuture;
use futures::stream::{FuturesUnordered, StreamExt};
use futures::FutureExt;
use tokio::sync::mpsc;

use crate::connector::{
    ConnectorError, CopyPlan, ErrorClass, Selection, SelectionCounts, Sink, Source, WriteMode, WriteReport,
};
use records::PhaseRecord;
pub use report::{CopyReport, NoProgress, Phase, Progress};
pub use retry::RetryPolicy;

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
) -> Result<CopyReport, CopyFailure> {
    let started = Instant::now();
    let mut report = CopyReport::default();
    let result = run(source, sink, options, progress, &mut report).await;
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
    report: &mut CopyReport,
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
    run_phase::<crate::model::Node>(source, sink, options, progress, report).await?;
    run_phase::<crate::model::Relationship>(source, sink, options, progress, report).await?;
    sink.finish().await.map_err(CopyError::Finish)
}

async fn run_phase<T: PhaseRecord>(
    source: &dyn Source,
    sink: &dyn Sink,
    options: &CopyOptions,
    progress: &dyn Progress,
    report: &mut CopyReport,
) -> Result<(), CopyError> {
    let phase = T::PHASE;
    progress.phase_started(phase, T::expected(&report.expected));
    let concurrency = options.concurrency.max(1);
    let (tx, mut rx) = mpsc::channel::<Vec<T>>(concurrency * 2);
    let read = T::read(source, &options.selection, options.batch_size.max(1), tx);
    let max_bytes = sink.max_batch_bytes();

    let write = async {
        let mut in_flight = FuturesUnordered::new();
        let mut failed: Option<CopyError> = None;
        let mut source_done = false;
        loop {
            tokio::select! {
                biased;
                Some(outcome) = in_flight.next(), if !in_flight.is_empty() => match outcome {
                    Ok(done) => {
                        let Written { batch, report: write_report, retries, splits } = done;
                        progress.written(phase, batch.len() as u64);
                        T::tally(&batch, report);
                        report.batches += 1;
                        report.retries += u64::from(retries);
                        report.splits += u64::from(splits);
                        for (key, n) in write_report.conversions {
                            *report.conversions.entry(key).or_default() += n;
                        }
                    }
                    Err(e) => {
                        // Stop taking batches (the source's next send fails and it returns),
                        // but let the writes already in flight finish so their outcome is known.
                        rx.close();
                        failed.get_or_insert(e);
                    }
                },
                batch = rx.recv(), if !source_done && failed.is_none() && in_flight.len() < concurrency => match batch {
                    Some(batch) => {
                        for chunk in split_by_bytes(batch, max_bytes) {
                            in_flight.push(write_with_retry(sink, chunk, &options.retry, progress));
                        }
                    }
                    None => source_done = true,
                },
                else => break,
            }
        }
        failed.map_or(Ok(()), Err)
    };

    let (read_result, write_result) = tokio::join!(read, write);
    write_result?;
    read_result.map_err(|source| CopyError::Source { phase, source })?;
    progress.phase_finished(phase);
    Ok(())
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
/// finds too big. Fails with the batch named once the policy gives up.
fn write_with_retry<'a, T: PhaseRecord>(
    sink: &'a dyn Sink,
    batch: Vec<T>,
    policy: &'a RetryPolicy,
    progress: &'a dyn Progress,
) -> BoxFuture<'a, Result<Written<T>, CopyError>> {
    async move {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let error = match T::write(sink, &batch).await {
                Ok(report) => return Ok(Written { batch, report, retries: attempt - 1, splits: 0 }),
                Err(e) => e,
            };
            if error.class == ErrorClass::SplitBatch && batch.len() > 1 {
                tracing::warn!(phase = T::PHASE.noun(), records = batch.len(), error = %error, "batch too large for the sink, splitting it in two");
                let mut first = batch;
                let second = first.split_off(first.len() / 2);
                let a = write_with_retry(sink, first, policy, progress).await?;
                let b = write_with_retry(sink, second, policy, progress).await?;
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
        report: a.report,
        retries: a.retries + b.retries + retries,
        splits: a.splits + b.splits + 1,
    }
}

#[cfg(test)]
mod tests;
