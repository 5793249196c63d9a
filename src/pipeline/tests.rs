//! The engine's guarantees, checked with an in-memory source and a sink that fails on command.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;

use super::*;
use crate::connector::{NodeSender, RelationshipSender, SelectionCounts};
use crate::model::{GraphSchema, Node, Relationship};

struct MemorySource {
    nodes: Vec<Node>,
    rels: Vec<Relationship>,
    fail_relationships: bool,
}

fn graph(n: usize, r: usize) -> MemorySource {
    let nodes = (0..n)
        .map(|i| Node { id: format!("n{i}"), labels: vec!["L".into()], properties: Default::default() })
        .collect();
    let rels = (0..r)
        .map(|i| Relationship {
            id: format!("r{i}"),
            rel_type: "T".into(),
            start: format!("n{}", i % n),
            end: format!("n{}", (i + 1) % n),
            properties: Default::default(),
        })
        .collect();
    MemorySource { nodes, rels, fail_relationships: false }
}

#[async_trait]
impl Source for MemorySource {
    async fn schema(&self) -> Result<GraphSchema, ConnectorError> {
        unimplemented!("not used by the engine")
    }
    async fn count(&self, _: &Selection) -> Result<SelectionCounts, ConnectorError> {
        Ok(SelectionCounts {
            nodes: self.nodes.len() as u64,
            relationships: self.rels.len() as u64,
            ..Default::default()
        })
    }
    async fn read_nodes(&self, _: &Selection, batch_size: usize, tx: NodeSender) -> Result<(), ConnectorError> {
        for chunk in self.nodes.chunks(batch_size) {
            if tx.send(chunk.to_vec()).await.is_err() {
                return Ok(());
            }
        }
        Ok(())
    }
    async fn read_relationships(
        &self,
        _: &Selection,
        batch_size: usize,
        tx: RelationshipSender,
    ) -> Result<(), ConnectorError> {
        if self.fail_relationships {
            return Err(ConnectorError::fatal("connection lost"));
        }
        for chunk in self.rels.chunks(batch_size) {
            if tx.send(chunk.to_vec()).await.is_err() {
                return Ok(());
            }
        }
        Ok(())
    }
}

#[derive(Default)]
struct TestSink {
    nodes: Mutex<Vec<String>>,
    rels: Mutex<Vec<String>>,
    /// Errors returned, in order, before writes start succeeding.
    failures: Mutex<VecDeque<ErrorClass>>,
    /// Fail every batch bigger than this with SplitBatch.
    split_above: Option<usize>,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    finished: Mutex<bool>,
}

impl TestSink {
    async fn write(&self, ids: Vec<String>, into: &Mutex<Vec<String>>) -> Result<WriteReport, ConnectorError> {
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(now, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(2)).await;
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        if self.split_above.is_some_and(|max| ids.len() > max) {
            return Err(ConnectorError {
                class: ErrorClass::SplitBatch,
                code: Some("TimeLimitExceededException".into()),
                message: "too slow".into(),
                source: None,
            });
        }
        if let Some(class) = self.failures.lock().unwrap().pop_front() {
            return Err(ConnectorError { class, code: None, message: "injected".into(), source: None });
        }
        into.lock().unwrap().extend(ids);
        Ok(WriteReport::default())
    }
}

#[async_trait]
impl Sink for TestSink {
    async fn prepare(&self, _: &CopyPlan) -> Result<(), ConnectorError> {
        Ok(())
    }
    async fn write_nodes(&self, batch: &[Node]) -> Result<WriteReport, ConnectorError> {
        assert!(self.rels.lock().unwrap().is_empty(), "a node written after relationships started");
        self.write(batch.iter().map(|n| n.id.clone()).collect(), &self.nodes).await
    }
    async fn write_relationships(&self, batch: &[Relationship]) -> Result<WriteReport, ConnectorError> {
        self.write(batch.iter().map(|r| r.id.clone()).collect(), &self.rels).await
    }
    async fn finish(&self) -> Result<(), ConnectorError> {
        *self.finished.lock().unwrap() = true;
        Ok(())
    }
}

fn options() -> CopyOptions {
    CopyOptions {
        selection: Selection::All,
        batch_size: 10,
        concurrency: 3,
        mode: WriteMode::Merge,
        force: false,
        retry: RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(5),
        },
        node_keys: Default::default(),
        checkpoint: None,
        resume: None,
        strict_types: false,
    }
}

fn sorted(v: &Mutex<Vec<String>>) -> Vec<String> {
    let mut v = v.lock().unwrap().clone();
    v.sort();
    v
}

fn expected_ids(prefix: &str, n: usize) -> Vec<String> {
    let mut v: Vec<String> = (0..n).map(|i| format!("{prefix}{i}")).collect();
    v.sort();
    v
}

#[tokio::test]
async fn copies_everything_exactly_once_within_the_concurrency_bound() {
    let sink = TestSink::default();
    let report = copy(&graph(95, 203), &sink, &options(), &NoProgress, &never_stop()).await.unwrap();
    assert_eq!(sorted(&sink.nodes), expected_ids("n", 95));
    assert_eq!(sorted(&sink.rels), expected_ids("r", 203));
    assert_eq!((report.nodes, report.relationships), (95, 203));
    assert_eq!(report.labels["L"], 95);
    assert_eq!(report.relationship_types["T"], 203);
    assert!(*sink.finished.lock().unwrap());
    assert!(sink.max_in_flight.load(Ordering::SeqCst) <= 3);
    assert!(sink.max_in_flight.load(Ordering::SeqCst) > 1, "writes should overlap");
}

#[tokio::test]
async fn transient_errors_are_retried() {
    let sink = TestSink { failures: Mutex::new([ErrorClass::Retryable; 3].into()), ..Default::default() };
    let report = copy(&graph(30, 30), &sink, &options(), &NoProgress, &never_stop()).await.unwrap();
    assert_eq!(sorted(&sink.nodes), expected_ids("n", 30));
    assert_eq!(sorted(&sink.rels), expected_ids("r", 30));
    assert_eq!(report.retries, 3);
}

#[tokio::test]
async fn too_large_batches_are_split_until_they_fit() {
    let sink = TestSink { split_above: Some(3), ..Default::default() };
    let report = copy(&graph(40, 25), &sink, &options(), &NoProgress, &never_stop()).await.unwrap();
    assert_eq!(sorted(&sink.nodes), expected_ids("n", 40));
    assert_eq!(sorted(&sink.rels), expected_ids("r", 25));
    assert!(report.splits > 0);
}

#[tokio::test]
async fn a_fatal_error_stops_the_copy_and_names_the_batch() {
    let sink = TestSink { failures: Mutex::new([ErrorClass::Fatal].into()), ..Default::default() };
    let failure = copy(&graph(30, 30), &sink, &options(), &NoProgress, &never_stop()).await.unwrap_err();
    let CopyError::Batch { phase, count, first_id, attempts, .. } = &failure.error else {
        panic!("{:?}", failure.error)
    };
    assert_eq!((*phase, *count, *attempts), (Phase::Nodes, 10, 1));
    assert!(first_id.starts_with('n'));
    assert!(!*sink.finished.lock().unwrap(), "a failed copy is not finished");
    assert!(sink.rels.lock().unwrap().is_empty());
    assert_eq!(failure.written.nodes as usize, sink.nodes.lock().unwrap().len(), "only acknowledged batches count");
    assert!(failure.error.to_string().contains("first source id"));
}

#[tokio::test]
async fn retries_give_up_after_max_attempts() {
    let sink = TestSink { failures: Mutex::new([ErrorClass::Retryable; 50].into()), ..Default::default() };
    let mut opts = options();
    opts.concurrency = 1;
    let failure = copy(&graph(5, 0), &sink, &opts, &NoProgress, &never_stop()).await.unwrap_err();
    let CopyError::Batch { attempts, .. } = failure.error else { panic!() };
    assert_eq!(attempts, 4);
    assert_eq!(failure.written.nodes, 0);
}

#[tokio::test]
async fn a_source_error_fails_the_copy() {
    let mut source = graph(10, 10);
    source.fail_relationships = true;
    let sink = TestSink::default();
    let failure = copy(&source, &sink, &options(), &NoProgress, &never_stop()).await.unwrap_err();
    assert!(matches!(failure.error, CopyError::Source { phase: Phase::Relationships, .. }), "{:?}", failure.error);
    assert_eq!(failure.written.nodes, 10);
    assert!(!*sink.finished.lock().unwrap());
}

#[test]
fn batches_are_cut_by_bytes() {
    let nodes = graph(10, 0).nodes;
    let one = nodes[0].approx_size();
    let parts = split_by_bytes(nodes, Some(one * 3));
    assert_eq!(parts.iter().map(Vec::len).collect::<Vec<_>>(), vec![3, 3, 3, 1]);
}

#[tokio::test]
async fn a_stop_request_drains_in_flight_writes_and_saves_the_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let file = checkpoint::CheckpointFile {
        path: dir.path().join("cp.json"),
        fingerprint: checkpoint::Fingerprint::new("a", "b", &Selection::All),
    };
    let mut opts = options();
    opts.checkpoint = Some(file.clone());
    let (tx, rx) = tokio::sync::watch::channel(false);
    tx.send(true).unwrap();
    let sink = TestSink::default();
    let failure = copy(&graph(50, 50), &sink, &opts, &NoProgress, &rx).await.unwrap_err();
    assert!(matches!(failure.error, CopyError::Interrupted { .. }), "{:?}", failure.error);
    let saved = file.load().unwrap().expect("checkpoint saved");
    assert_eq!(saved.nodes.acknowledged, sink.nodes.lock().unwrap().len() as u64);
    assert!(!*sink.finished.lock().unwrap());
}

#[tokio::test]
async fn resume_skips_what_was_acknowledged_and_removes_the_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let file = checkpoint::CheckpointFile {
        path: dir.path().join("cp.json"),
        fingerprint: checkpoint::Fingerprint::new("a", "b", &Selection::All),
    };
    let mut opts = options();
    opts.checkpoint = Some(file.clone());
    opts.resume = Some(checkpoint::Checkpoint {
        version: checkpoint::VERSION,
        fingerprint: file.fingerprint.clone(),
        nodes: checkpoint::PhaseProgress { acknowledged: 40, finished: true },
        relationships: checkpoint::PhaseProgress { acknowledged: 25, finished: false },
    });
    let sink = TestSink::default();
    let report = copy(&graph(40, 60), &sink, &opts, &NoProgress, &never_stop()).await.unwrap();
    assert!(sink.nodes.lock().unwrap().is_empty(), "a finished phase is not read again");
    assert_eq!(
        sorted(&sink.rels),
        (25..60).map(|i| format!("r{i}")).collect::<std::collections::BTreeSet<_>>().into_iter().collect::<Vec<_>>()
    );
    assert_eq!((report.nodes, report.relationships, report.resumed), (40, 60, 65));
    assert!(!file.path.exists(), "a finished copy removes its checkpoint");
}

#[tokio::test]
async fn a_failed_copy_saves_its_watermark() {
    let dir = tempfile::tempdir().unwrap();
    let file = checkpoint::CheckpointFile {
        path: dir.path().join("cp.json"),
        fingerprint: checkpoint::Fingerprint::new("a", "b", &Selection::All),
    };
    let mut opts = options();
    opts.checkpoint = Some(file.clone());
    opts.concurrency = 1;
    let mut source = graph(30, 30);
    source.fail_relationships = true;
    let sink = TestSink::default();
    copy(&source, &sink, &opts, &NoProgress, &never_stop()).await.unwrap_err();
    let saved = file.load().unwrap().unwrap();
    assert_eq!(saved.nodes, checkpoint::PhaseProgress { acknowledged: 30, finished: true });
    assert!(!saved.relationships.finished);
}
