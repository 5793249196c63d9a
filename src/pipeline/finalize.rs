//! `graphferry finalize`: removing a copy's identity marks from a target, batch by batch, with
//! the pipeline's retry policy. The connector's [`Finalizer`] says what to clear and makes each
//! batch idempotent; this loop owns batching, retries, splitting and progress.
//!
//! Resuming needs no state of its own: a batch clears only what is still marked, so a finalize
//! that failed or was killed is finished by running it again.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::connector::{ConnectorError, ErrorClass, Finalizer, MarkPass, Marked};

use super::RetryPolicy;

/// Records per batch when the user sets none: one transaction that touches a thousand nodes and
/// their outgoing relationships stays far inside the default two-minute query timeout.
pub const DEFAULT_BATCH_SIZE: usize = 1000;

#[derive(Debug, Clone, Copy)]
pub struct FinalizeOptions {
    pub batch_size: usize,
    pub retry: RetryPolicy,
}

/// Receives progress as a finalize runs; implemented by the terminal UI.
pub trait FinalizeProgress: Send + Sync {
    /// `marked`: what the target counted before the first batch, if it could.
    fn started(&self, marked: Option<Marked>);
    fn cleared(&self, records: u64);
    fn retrying(&self, attempt: u32, wait: Duration, error: &str);
    fn finished(&self);
}

pub struct NoFinalizeProgress;

impl FinalizeProgress for NoFinalizeProgress {
    fn started(&self, _: Option<Marked>) {}
    fn cleared(&self, _: u64) {}
    fn retrying(&self, _: u32, _: Duration, _: &str) {}
    fn finished(&self) {}
}

/// What a finalize did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct FinalizeReport {
    /// Why the target has nothing to remove, when it never holds marks.
    pub nothing_to_remove: Option<&'static str>,
    /// What finalize removes on this target.
    pub removes: String,
    /// Records whose marks were removed by this run.
    pub cleared: Marked,
    /// Constraints and indexes dropped by this run.
    pub dropped: Vec<String>,
    pub batches: u64,
    pub retries: u64,
    pub splits: u64,
    #[serde(rename = "elapsed_seconds", serialize_with = "seconds")]
    pub elapsed: Duration,
}

impl FinalizeReport {
    /// True when the run found nothing to change (a second run).
    pub fn changed_nothing(&self) -> bool {
        self.cleared.total() == 0 && self.dropped.is_empty()
    }
}

fn seconds<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64((d.as_secs_f64() * 1000.0).round() / 1000.0)
}

#[derive(Debug, thiserror::Error)]
pub enum FinalizeError {
    #[error("removing identity marks failed after {attempts} attempt(s); what was removed stays removed, run finalize again to finish")]
    Batch {
        attempts: u32,
        #[source]
        source: ConnectorError,
    },
    #[error("{0}")]
    Connector(#[from] ConnectorError),
}

/// Runs every pass of `finalizer` to its end, then drops its schema.
pub async fn finalize(
    finalizer: &dyn Finalizer,
    options: &FinalizeOptions,
    progress: &dyn FinalizeProgress,
) -> Result<FinalizeReport, FinalizeError> {
    let started = Instant::now();
    let mut report = FinalizeReport {
        nothing_to_remove: finalizer.nothing_to_remove(),
        removes: finalizer.describe(),
        ..FinalizeReport::default()
    };
    if report.nothing_to_remove.is_some() {
        return Ok(report);
    }
    // Only for the progress bar: counting marked relationships scans them all, and a count that
    // fails (a huge graph, a query timeout) is no reason not to remove the marks.
    let marked = match finalizer.remaining().await {
        Ok(marked) => Some(marked),
        Err(e) => {
            tracing::warn!(error = %e, "could not count the marked records; finalizing without a total");
            None
        }
    };
    progress.started(marked);
    let mut batch = options.batch_size.max(1);
    for &pass in finalizer.passes() {
        loop {
            let cleared = clear_with_retry(finalizer, pass, &mut batch, options, progress, &mut report).await?;
            report.batches += 1;
            report.cleared.add(cleared);
            progress.cleared(cleared.total());
            let done = match pass {
                MarkPass::Nodes => cleared.nodes == 0,
                MarkPass::Relationships => cleared.relationships == 0,
            };
            if done {
                break;
            }
        }
    }
    progress.finished();
    // Last: the passes find marked nodes through the constraint's index.
    report.dropped = finalizer.drop_schema().await?;
    report.elapsed = started.elapsed();
    Ok(report)
}

/// One batch, retried on transient errors with the policy's backoff, and halved on every retry:
/// a timeout, which connectors report as transient, most often means a batch too big (a node
/// batch carries its nodes' relationships, so a few dense nodes make it large), and smaller
/// batches of an idempotent removal cost only round trips. A batch only shrinks, so the rest of
/// the run stays inside the limit.
async fn clear_with_retry(
    finalizer: &dyn Finalizer,
    pass: MarkPass,
    batch: &mut usize,
    options: &FinalizeOptions,
    progress: &dyn FinalizeProgress,
    report: &mut FinalizeReport,
) -> Result<Marked, FinalizeError> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let error = match finalizer.clear(pass, *batch).await {
            Ok(cleared) => return Ok(cleared),
            Err(e) => e,
        };
        let give_up = attempt >= options.retry.max_attempts;
        match error.class {
            ErrorClass::SplitBatch if *batch > 1 && !give_up => {
                *batch /= 2;
                report.splits += 1;
                tracing::debug!(event = "split", batch = *batch, error = %error, "batch too big, halving it");
            }
            ErrorClass::Retryable if !give_up => {
                let wait = options.retry.delay(attempt);
                *batch = (*batch / 2).max(1);
                report.retries += 1;
                progress.retrying(attempt, wait, &error.to_string());
                tokio::time::sleep(wait).await;
            }
            _ => return Err(FinalizeError::Batch { attempts: attempt, source: error }),
        }
    }
}

/// Checkpoints of unfinished copies into the target named `target` (or into the same
/// `location` under another name), in the default checkpoint folder beside `config`: finalizing
/// under a copy that will resume would strip the marks its remaining batches find endpoints by.
pub fn unfinished_copies_into(config: &Path, target: &str, location: &str) -> Vec<PathBuf> {
    let dir = config.parent().unwrap_or(Path::new("")).join(".graphferry");
    let Ok(entries) = std::fs::read_dir(&dir) else { return Vec::new() };
    let mut found: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .filter(|p| {
            let Ok(text) = std::fs::read_to_string(p) else { return false };
            let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) else { return false };
            let fp = &v["fingerprint"];
            fp["target"].as_str() == Some(target) || fp["target_location"].as_str() == Some(location)
        })
        .collect();
    found.sort();
    found
}

#[cfg(test)]
mod tests;
