//! `graphferry rollback`: undoing one copy run from its journal. The connector's
//! [`Journaled`] side finds, deletes and restores records, each call idempotent; this module
//! owns the order, batching, retries and progress.
//!
//! Order: the relationships the run created are deleted first, then the nodes it created (a node
//! still holding a relationship the run did not create is refused beforehand, before anything
//! changes, unless forced), then the nodes and relationships it updated get their before-images
//! back. Every step is idempotent, so a rollback that failed or was killed is finished by
//! running it again, which redoes what is done at no harm; each pass reads the journal again,
//! so memory holds one batch plus the ids seen (and, for the refusal check, the ids of the
//! relationships the run created).

use std::collections::HashSet;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::connector::{ConnectorError, ErrorClass, Journaled, RelationshipRef};

use super::finalize::FinalizeProgress;
use super::journal::{Entry, JournalReader, Kind, Records, RunError};
use super::RetryPolicy;

/// Records per batch when the user sets none (as finalize: one transaction well inside the
/// default query timeout).
pub const DEFAULT_BATCH_SIZE: usize = 1000;

/// How many refused nodes a refusal names.
const NAMED: usize = 5;

#[derive(Debug, Clone, Copy)]
pub struct RollbackOptions {
    pub batch_size: usize,
    pub retry: RetryPolicy,
    /// Delete created nodes even if they gained relationships from outside the run (those go too).
    pub force: bool,
}

/// What undoing a run takes, from its journal.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct RollbackPlan {
    /// Records the run created: deleted.
    pub created: Records,
    /// Records the run updated: restored.
    pub updated: Records,
}

impl RollbackPlan {
    pub fn total(&self) -> u64 {
        self.created.nodes + self.created.relationships + self.updated.nodes + self.updated.relationships
    }
}

/// What a rollback did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct RollbackReport {
    pub plan: RollbackPlan,
    /// Records deleted and restored (a record gone already, or deleted by an earlier
    /// interrupted attempt, is not counted).
    pub deleted: Records,
    pub restored: Records,
    pub batches: u64,
    pub retries: u64,
    #[serde(rename = "elapsed_seconds", serialize_with = "seconds")]
    pub elapsed: Duration,
}

fn seconds<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64((d.as_secs_f64() * 1000.0).round() / 1000.0)
}

#[derive(Debug, thiserror::Error)]
pub enum RollbackError {
    #[error(transparent)]
    Journal(#[from] RunError),
    #[error(
        "{count} node(s) the run created have since gained relationships from outside the run (source id {}); \
         deleting them would delete those relationships too. Nothing was changed: remove those relationships, or \
         pass --force to delete them with the nodes",
        names(first)
    )]
    Attached { count: u64, first: Vec<String> },
    #[error("{step} failed after {attempts} attempt(s); what was undone stays undone, run rollback again to finish")]
    Batch {
        step: &'static str,
        attempts: u32,
        #[source]
        source: ConnectorError,
    },
    #[error("checking the nodes the run created failed")]
    Check(#[source] ConnectorError),
}

fn names(ids: &[String]) -> String {
    ids.iter().map(|i| format!("`{i}`")).collect::<Vec<_>>().join(", ")
}

/// Reads the journal once: what the rollback will do.
pub fn plan(journal: &Path) -> Result<RollbackPlan, RunError> {
    let mut plan = RollbackPlan::default();
    for entry in JournalReader::open(journal)? {
        let entry = entry?;
        let counts = if entry.before.is_some() { &mut plan.updated } else { &mut plan.created };
        match entry.kind {
            Kind::Node => counts.nodes += 1,
            Kind::Relationship => counts.relationships += 1,
        }
    }
    Ok(plan)
}

/// Refuses (before anything changes) when a node the run created holds a relationship the run
/// did not create: deleting the node would take it along.
pub async fn check(target: &dyn Journaled, journal: &Path, batch_size: usize) -> Result<(), RollbackError> {
    let mut created_relationships = HashSet::new();
    for entry in JournalReader::open(journal)? {
        let entry = entry?;
        if entry.kind == Kind::Relationship && entry.before.is_none() {
            created_relationships.insert(entry.id);
        }
    }
    let mut blocked: Vec<String> = Vec::new();
    let mut count = 0;
    let mut batch = Vec::with_capacity(batch_size);
    let mut entries = JournalReader::open(journal)?.peekable();
    while let Some(entry) = entries.next() {
        let entry = entry?;
        if entry.kind == Kind::Node && entry.before.is_none() {
            batch.push(entry.target_id().to_string());
        }
        if batch.len() >= batch_size || (entries.peek().is_none() && !batch.is_empty()) {
            let attached = target.attached(&batch).await.map_err(RollbackError::Check)?;
            let mut outside: Vec<String> = attached
                .into_iter()
                .filter(|a| a.relationship.as_ref().is_none_or(|r| !created_relationships.contains(r)))
                .map(|a| a.node)
                .collect();
            outside.sort();
            outside.dedup();
            count += outside.len() as u64;
            blocked.extend(outside.into_iter().take(NAMED.saturating_sub(blocked.len())));
            batch.clear();
        }
    }
    if count > 0 {
        return Err(RollbackError::Attached { count, first: blocked });
    }
    Ok(())
}

/// One step of a rollback: which entries it takes and what it does with a batch of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    DeleteRelationships,
    DeleteNodes { detach: bool },
    RestoreNodes,
    RestoreRelationships,
}

impl Step {
    fn takes(self, entry: &Entry) -> bool {
        match self {
            Step::DeleteRelationships => entry.kind == Kind::Relationship && entry.before.is_none(),
            Step::DeleteNodes { .. } => entry.kind == Kind::Node && entry.before.is_none(),
            Step::RestoreNodes => entry.kind == Kind::Node && entry.before.is_some(),
            Step::RestoreRelationships => entry.kind == Kind::Relationship && entry.before.is_some(),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Step::DeleteRelationships => "deleting the relationships the run created",
            Step::DeleteNodes { .. } => "deleting the nodes the run created",
            Step::RestoreNodes => "restoring the nodes the run updated",
            Step::RestoreRelationships => "restoring the relationships the run updated",
        }
    }

    async fn apply(self, target: &dyn Journaled, batch: &[Entry]) -> Result<u64, ConnectorError> {
        match self {
            Step::DeleteRelationships => {
                let refs: Vec<RelationshipRef> = batch
                    .iter()
                    .map(|e| RelationshipRef {
                        id: e.id.clone(),
                        start: e.start.clone().unwrap_or_default(),
                        end: e.end.clone().unwrap_or_default(),
                    })
                    .collect();
                target.delete_relationships(&refs).await
            }
            Step::DeleteNodes { detach } => {
                let ids: Vec<String> = batch.iter().map(|e| e.target_id().to_string()).collect();
                target.delete_nodes(&ids, detach).await
            }
            Step::RestoreNodes => {
                let images: Vec<_> = batch.iter().filter_map(Entry::node_image).collect();
                target.restore_nodes(&images).await
            }
            Step::RestoreRelationships => {
                let images: Vec<_> = batch.iter().filter_map(Entry::relationship_image).collect();
                target.restore_relationships(&images).await
            }
        }
    }
}

/// Undoes the run journaled at `journal` in `target`. Call [`check`] first unless forced.
pub async fn rollback(
    target: &dyn Journaled,
    journal: &Path,
    options: &RollbackOptions,
    progress: &dyn FinalizeProgress,
) -> Result<RollbackReport, RollbackError> {
    let started = Instant::now();
    let mut report = RollbackReport { plan: plan(journal)?, ..RollbackReport::default() };
    let total = report.plan;
    progress.started(Some(crate::connector::Marked {
        nodes: total.created.nodes + total.updated.nodes,
        relationships: total.created.relationships + total.updated.relationships,
    }));
    let mut size = options.batch_size.max(1);
    let steps = [
        Step::DeleteRelationships,
        Step::DeleteNodes { detach: options.force },
        Step::RestoreNodes,
        Step::RestoreRelationships,
    ];
    for step in steps {
        let mut batch = Vec::with_capacity(size);
        let mut entries = JournalReader::open(journal)?.peekable();
        while let Some(entry) = entries.next() {
            let entry = entry?;
            if step.takes(&entry) {
                batch.push(entry);
            }
            if batch.len() >= size || (entries.peek().is_none() && !batch.is_empty()) {
                let done = apply_with_retry(target, step, &batch, &mut size, options, progress, &mut report).await?;
                let counts = match step {
                    Step::DeleteRelationships | Step::DeleteNodes { .. } => &mut report.deleted,
                    Step::RestoreNodes | Step::RestoreRelationships => &mut report.restored,
                };
                match step {
                    Step::DeleteNodes { .. } | Step::RestoreNodes => counts.nodes += done,
                    Step::DeleteRelationships | Step::RestoreRelationships => counts.relationships += done,
                }
                batch.clear();
            }
        }
    }
    progress.finished();
    report.elapsed = started.elapsed();
    Ok(report)
}

/// Applies `step` to `batch` in pieces of at most `size`, retrying a transient failure with the
/// policy's backoff and halving the pieces on every retry (a timeout most often means a piece
/// too big); `size` only shrinks, so the rest of the rollback stays inside the limit.
async fn apply_with_retry(
    target: &dyn Journaled,
    step: Step,
    batch: &[Entry],
    size: &mut usize,
    options: &RollbackOptions,
    progress: &dyn FinalizeProgress,
    report: &mut RollbackReport,
) -> Result<u64, RollbackError> {
    let mut rest = batch;
    let mut done = 0;
    let mut attempt = 0;
    while !rest.is_empty() {
        let piece = &rest[..(*size).min(rest.len())];
        attempt += 1;
        match step.apply(target, piece).await {
            Ok(n) => {
                done += n;
                report.batches += 1;
                progress.cleared(piece.len() as u64);
                rest = &rest[piece.len()..];
                attempt = 0;
                test_hook_stop(report.batches);
            }
            Err(error) => {
                let give_up = attempt >= options.retry.max_attempts;
                match error.class {
                    ErrorClass::SplitBatch if piece.len() > 1 && !give_up => *size = (piece.len() / 2).max(1),
                    ErrorClass::Retryable if !give_up => {
                        let wait = options.retry.delay(attempt);
                        *size = (piece.len() / 2).max(1);
                        report.retries += 1;
                        progress.retrying(attempt, wait, &error.to_string());
                        tokio::time::sleep(wait).await;
                    }
                    _ => return Err(RollbackError::Batch { step: step.name(), attempts: attempt, source: error }),
                }
            }
        }
    }
    Ok(done)
}

/// For the integration tests of an interrupted rollback: with `GRAPHFERRY_TEST_ROLLBACK_EXIT_AFTER=N`
/// set, the process sends itself SIGKILL once N batches are done (a real kill at a known point:
/// nothing saved, nothing flushed); where that cannot run, it exits with 137 instead.
fn test_hook_stop(batches: u64) {
    let Some(n) = std::env::var_os("GRAPHFERRY_TEST_ROLLBACK_EXIT_AFTER") else { return };
    if n.to_str().and_then(|n| n.parse::<u64>().ok()) == Some(batches) {
        let pid = std::process::id().to_string();
        // The shell's own `kill` (a builtin in every POSIX sh): no procps needed.
        let kill = std::process::Command::new("sh").args(["-c", &format!("kill -KILL {pid}")]).status();
        if kill.is_ok_and(|s| s.success()) {
            // The signal is on its way; nothing more runs.
            std::thread::sleep(std::time::Duration::from_secs(60));
        }
        std::process::exit(137);
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::Mutex;

    use async_trait::async_trait;

    use super::*;
    use crate::connector::{Attached, CopyPlan};
    use crate::model::{Node, Relationship};
    use crate::pipeline::finalize::NoFinalizeProgress;
    use crate::pipeline::journal::RunJournal;

    /// A target held in memory: nodes and relationships by id.
    #[derive(Default)]
    struct Memory {
        nodes: Mutex<BTreeMap<String, Node>>,
        rels: Mutex<BTreeMap<String, Relationship>>,
        /// Calls to fail, transiently, before the next one succeeds.
        fail: Mutex<u32>,
    }

    impl Memory {
        fn flaky(&self) -> Result<(), ConnectorError> {
            let mut fail = self.fail.lock().unwrap();
            if *fail > 0 {
                *fail -= 1;
                return Err(ConnectorError::retryable("lost connection"));
            }
            Ok(())
        }
    }

    #[async_trait]
    impl Journaled for Memory {
        async fn prepare(&self, _: &CopyPlan) -> Result<bool, ConnectorError> {
            Ok(self.nodes.lock().unwrap().is_empty())
        }
        async fn before_nodes(&self, batch: &[Node]) -> Result<Vec<Node>, ConnectorError> {
            let nodes = self.nodes.lock().unwrap();
            Ok(batch.iter().filter_map(|n| nodes.get(&n.id).cloned()).collect())
        }
        async fn before_relationships(&self, batch: &[Relationship]) -> Result<Vec<Relationship>, ConnectorError> {
            let rels = self.rels.lock().unwrap();
            Ok(batch.iter().filter_map(|r| rels.get(&r.id).cloned()).collect())
        }
        async fn delete_relationships(&self, refs: &[RelationshipRef]) -> Result<u64, ConnectorError> {
            self.flaky()?;
            let mut rels = self.rels.lock().unwrap();
            Ok(refs.iter().filter(|r| rels.remove(&r.id).is_some()).count() as u64)
        }
        async fn attached(&self, nodes: &[String]) -> Result<Vec<Attached>, ConnectorError> {
            let rels = self.rels.lock().unwrap();
            Ok(rels
                .values()
                .flat_map(|r| [(&r.start, r), (&r.end, r)])
                .filter(|(n, _)| nodes.contains(n))
                .map(|(n, r)| Attached { node: n.clone(), relationship: Some(r.id.clone()) })
                .collect())
        }
        async fn delete_nodes(&self, ids: &[String], _detach: bool) -> Result<u64, ConnectorError> {
            self.flaky()?;
            let mut nodes = self.nodes.lock().unwrap();
            Ok(ids.iter().filter(|i| nodes.remove(*i).is_some()).count() as u64)
        }
        async fn restore_nodes(&self, images: &[Node]) -> Result<u64, ConnectorError> {
            let mut nodes = self.nodes.lock().unwrap();
            Ok(images.iter().filter_map(|i| nodes.get_mut(&i.id).map(|n| *n = i.clone())).count() as u64)
        }
        async fn restore_relationships(&self, images: &[Relationship]) -> Result<u64, ConnectorError> {
            let mut rels = self.rels.lock().unwrap();
            Ok(images.iter().filter_map(|i| rels.get_mut(&i.id).map(|r| *r = i.clone())).count() as u64)
        }
    }

    fn node(id: &str, v: i64) -> Node {
        Node {
            id: id.into(),
            labels: vec!["A".into()],
            properties: [("v".to_string(), crate::model::Value::Int(v))].into_iter().collect(),
        }
    }

    fn rel(id: &str, s: &str, e: &str) -> Relationship {
        Relationship {
            id: id.into(),
            rel_type: "T".into(),
            start: s.into(),
            end: e.into(),
            properties: Default::default(),
        }
    }

    /// Journals then "writes" `nodes` and `rels` into `target`, as a copy would.
    async fn copy(target: &std::sync::Arc<Memory>, journal: &RunJournal, nodes: Vec<Node>, rels: Vec<Relationship>) {
        journal.before(&nodes).await.unwrap();
        target.nodes.lock().unwrap().extend(nodes.into_iter().map(|n| (n.id.clone(), n)));
        journal.before(&rels).await.unwrap();
        target.rels.lock().unwrap().extend(rels.into_iter().map(|r| (r.id.clone(), r)));
    }

    struct Shared(std::sync::Arc<Memory>);

    #[async_trait]
    impl Journaled for Shared {
        async fn prepare(&self, p: &CopyPlan) -> Result<bool, ConnectorError> {
            self.0.prepare(p).await
        }
        async fn before_nodes(&self, b: &[Node]) -> Result<Vec<Node>, ConnectorError> {
            self.0.before_nodes(b).await
        }
        async fn before_relationships(&self, b: &[Relationship]) -> Result<Vec<Relationship>, ConnectorError> {
            self.0.before_relationships(b).await
        }
        async fn delete_relationships(&self, r: &[RelationshipRef]) -> Result<u64, ConnectorError> {
            self.0.delete_relationships(r).await
        }
        async fn attached(&self, n: &[String]) -> Result<Vec<Attached>, ConnectorError> {
            self.0.attached(n).await
        }
        async fn delete_nodes(&self, i: &[String], d: bool) -> Result<u64, ConnectorError> {
            self.0.delete_nodes(i, d).await
        }
        async fn restore_nodes(&self, i: &[Node]) -> Result<u64, ConnectorError> {
            self.0.restore_nodes(i).await
        }
        async fn restore_relationships(&self, i: &[Relationship]) -> Result<u64, ConnectorError> {
            self.0.restore_relationships(i).await
        }
    }

    fn options(force: bool) -> RollbackOptions {
        RollbackOptions {
            batch_size: 2,
            retry: RetryPolicy {
                max_attempts: 4,
                base_delay: Duration::from_millis(1),
                max_delay: Duration::from_millis(2),
            },
            force,
        }
    }

    #[tokio::test]
    async fn a_rollback_deletes_what_the_run_created_and_restores_what_it_updated() {
        let dir = tempfile::tempdir().unwrap();
        let target = std::sync::Arc::new(Memory::default());
        target.nodes.lock().unwrap().insert("a".into(), node("a", 1));
        target.rels.lock().unwrap().insert("r1".into(), rel("r1", "a", "a"));
        let before = (target.nodes.lock().unwrap().clone(), target.rels.lock().unwrap().clone());

        let path = dir.path().join("journal.gz");
        let journal = RunJournal::open(path.clone(), Box::new(Shared(target.clone())), Some(false)).unwrap();
        let nodes = vec![node("a", 2), node("b", 2), node("c", 2)];
        let rels = vec![rel("r1", "a", "a"), rel("r2", "a", "b"), rel("r3", "b", "c")];
        copy(&target, &journal, nodes.clone(), rels.clone()).await;
        // A resume writes some of it again: its entries find the run's own records.
        copy(&target, &journal, nodes[1..].to_vec(), rels[1..].to_vec()).await;
        journal.sync().unwrap();

        let want = RollbackPlan {
            created: Records { nodes: 2, relationships: 2 },
            updated: Records { nodes: 1, relationships: 1 },
        };
        assert_eq!(plan(&path).unwrap(), want);
        check(&Shared(target.clone()), &path, 2).await.unwrap();
        *target.fail.lock().unwrap() = 2;
        let report = rollback(&Shared(target.clone()), &path, &options(false), &NoFinalizeProgress).await.unwrap();
        assert_eq!(report.deleted, Records { nodes: 2, relationships: 2 });
        assert_eq!(report.restored, Records { nodes: 1, relationships: 1 });
        assert_eq!(report.retries, 2);
        assert_eq!((target.nodes.lock().unwrap().clone(), target.rels.lock().unwrap().clone()), before);

        // Again: nothing left to delete, the same images put back.
        let again = rollback(&Shared(target.clone()), &path, &options(false), &NoFinalizeProgress).await.unwrap();
        assert_eq!(again.deleted, Records::default());
        assert_eq!((target.nodes.lock().unwrap().clone(), target.rels.lock().unwrap().clone()), before);
    }

    #[tokio::test]
    async fn a_created_node_with_a_relationship_from_outside_the_run_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let target = std::sync::Arc::new(Memory::default());
        let path = dir.path().join("journal.gz");
        let journal = RunJournal::open(path.clone(), Box::new(Shared(target.clone())), None).unwrap();
        journal
            .prepare(&CopyPlan {
                mode: Default::default(),
                counts: Default::default(),
                force: false,
                node_keys: Default::default(),
                strict_types: false,
                missing_key: Default::default(),
            })
            .await
            .unwrap();
        assert_eq!(journal.ids_only(), Some(true), "an empty target");
        copy(&target, &journal, vec![node("a", 1), node("b", 1)], vec![rel("r", "a", "b")]).await;
        // Someone else links to `b` after the run.
        target.nodes.lock().unwrap().insert("x".into(), node("x", 0));
        target.rels.lock().unwrap().insert("later".into(), rel("later", "x", "b"));
        let err = check(&Shared(target.clone()), &path, 10).await.unwrap_err().to_string();
        assert!(err.contains("1 node(s)") && err.contains("`b`") && err.contains("--force"), "{err}");
    }
}
