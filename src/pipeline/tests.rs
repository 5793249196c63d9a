//! The engine's guarantees, checked with an in-memory source and a sink that fails on command.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;

use super::*;
use crate::connector::{NodeSender, RelationshipSender, ResumeToken, SelectionCounts};
use crate::model::{GraphSchema, Node, Relationship};

struct MemorySource {
    nodes: Vec<Node>,
    rels: Vec<Relationship>,
    fail_relationships: bool,
    /// Relationship reads that fail with a transient error before one succeeds.
    flaky_relationship_reads: AtomicUsize,
}

impl MemorySource {
    /// The same records, stored in another order (as after a restart or a new query plan).
    fn reordered(mut self) -> Self {
        self.nodes.reverse();
        self.rels.reverse();
        self
    }
}

/// The number in an id like `n12`: the key order a source reads in (as the Bolt source reads in
/// `id()` order), whatever order the records are stored in.
fn key(id: &str) -> u64 {
    id[1..].parse().unwrap()
}

/// Sends `records` in key order after `after`, in pages of `size` with the last key as token.
async fn send_in_key_order<T: Clone>(
    records: &[T],
    id: impl Fn(&T) -> &str,
    size: usize,
    after: Option<ResumeToken>,
    tx: tokio::sync::mpsc::Sender<Page<T>>,
) -> Result<(), ConnectorError> {
    let after: Option<u64> = after.map(|t| t.get()).transpose()?;
    let mut ordered: Vec<&T> = records.iter().filter(|r| after.is_none_or(|a| key(id(r)) > a)).collect();
    ordered.sort_by_key(|r| key(id(r)));
    for chunk in ordered.chunks(size) {
        let next = ResumeToken::new(key(id(chunk[chunk.len() - 1])));
        if tx.send(Page { records: chunk.iter().map(|r| (*r).clone()).collect(), next }).await.is_err() {
            return Ok(());
        }
    }
    Ok(())
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
    MemorySource { nodes, rels, fail_relationships: false, flaky_relationship_reads: AtomicUsize::new(0) }
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
    async fn read_nodes(
        &self,
        _: &Selection,
        batch_size: usize,
        after: Option<ResumeToken>,
        tx: NodeSender,
    ) -> Result<(), ConnectorError> {
        send_in_key_order(&self.nodes, |n| &n.id, batch_size, after, tx).await
    }
    async fn read_relationships(
        &self,
        _: &Selection,
        batch_size: usize,
        after: Option<ResumeToken>,
        tx: RelationshipSender,
    ) -> Result<(), ConnectorError> {
        if self.fail_relationships {
            return Err(ConnectorError::fatal("connection lost"));
        }
        let flaky =
            self.flaky_relationship_reads.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1));
        if flaky.is_ok() {
            return Err(ConnectorError {
                class: ErrorClass::Retryable,
                code: None,
                message: "reset".into(),
                source: None,
                write: None,
            });
        }
        send_in_key_order(&self.rels, |r| &r.id, batch_size, after, tx).await
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
    /// Fail every node write fatally once this many node batches were written.
    fatal_after_node_batches: Option<usize>,
    /// What `max_batch_bytes` answers.
    max_bytes: Option<usize>,
    /// How long a write takes.
    write_time: Option<Duration>,
    /// `prepare` refuses the copy (a non-empty target in create mode).
    refuse: bool,
    /// Relationships of this type fail fatally, in a write of their own as a real sink's is
    /// (one per type), which the error names.
    refuse_type: Option<&'static str>,
    started: AtomicUsize,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    finished: Mutex<bool>,
}

impl TestSink {
    async fn write(&self, ids: Vec<String>, into: &Mutex<Vec<String>>) -> Result<WriteReport, ConnectorError> {
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.started.fetch_add(1, Ordering::SeqCst);
        self.max_in_flight.fetch_max(now, Ordering::SeqCst);
        tokio::time::sleep(self.write_time.unwrap_or(Duration::from_millis(2))).await;
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        if self.split_above.is_some_and(|max| ids.len() > max) {
            return Err(ConnectorError {
                class: ErrorClass::SplitBatch,
                code: Some("TimeLimitExceededException".into()),
                message: "too slow".into(),
                source: None,
                write: None,
            });
        }
        if let Some(class) = self.failures.lock().unwrap().pop_front() {
            return Err(ConnectorError { class, code: None, message: "injected".into(), source: None, write: None });
        }
        into.lock().unwrap().extend(ids);
        Ok(WriteReport::default())
    }
}

#[async_trait]
impl Sink for TestSink {
    async fn prepare(&self, _: &CopyPlan) -> Result<(), ConnectorError> {
        if self.refuse {
            return Err(ConnectorError::fatal("injected: the target is not empty"));
        }
        Ok(())
    }
    fn max_batch_bytes(&self) -> Option<usize> {
        self.max_bytes
    }
    async fn write_nodes(&self, batch: &[Node]) -> Result<WriteReport, ConnectorError> {
        assert!(self.rels.lock().unwrap().is_empty(), "a node written after relationships started");
        if self.fatal_after_node_batches.is_some_and(|n| self.nodes.lock().unwrap().len() >= n * 10) {
            return Err(ConnectorError::fatal("injected: the target went away"));
        }
        self.write(batch.iter().map(|n| n.id.clone()).collect(), &self.nodes).await
    }
    async fn write_relationships(&self, batch: &[Relationship]) -> Result<WriteReport, ConnectorError> {
        let refused: Vec<&Relationship> =
            batch.iter().filter(|r| Some(r.rel_type.as_str()) == self.refuse_type).collect();
        if !refused.is_empty() {
            let write = crate::connector::FailedWrite::relationships(refused);
            return Err(ConnectorError::fatal("injected: refused").in_write(write));
        }
        self.write(batch.iter().map(|r| r.id.clone()).collect(), &self.rels).await
    }
    async fn finish(&self) -> Result<(), ConnectorError> {
        *self.finished.lock().unwrap() = true;
        Ok(())
    }
}

/// Runs a copy into `sink`, which the test keeps to look at what landed.
async fn copy_into(
    source: &MemorySource,
    sink: &Arc<TestSink>,
    options: &CopyOptions,
    stop: &StopSignal,
) -> Result<CopyReport, CopyFailure> {
    copy(source, sink.clone(), options, Arc::new(NoProgress), stop).await
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
        counted: None,
        transform: None,
        strict_types: false,
        missing_key: Default::default(),
        run: None,
        journal: None,
    }
}

fn fingerprint(selection: &Selection) -> checkpoint::Fingerprint {
    let side = |name| checkpoint::Side { name, location: format!("memory {name}") };
    checkpoint::Fingerprint::new(side("a"), side("b"), selection)
}

/// Options of a `--all` copy that saves its checkpoint in `dir`, and that checkpoint's file.
fn checkpointed(dir: &tempfile::TempDir) -> (checkpoint::CheckpointFile, CopyOptions) {
    let file =
        checkpoint::CheckpointFile { path: dir.path().join("cp.json"), fingerprint: fingerprint(&Selection::All) };
    (file.clone(), CopyOptions { checkpoint: Some(file), ..options() })
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
    let sink = Arc::new(TestSink::default());
    let report = copy_into(&graph(95, 203), &sink, &options(), &never_stop()).await.unwrap();
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
    let sink = Arc::new(TestSink { failures: Mutex::new([ErrorClass::Retryable; 3].into()), ..Default::default() });
    let report = copy_into(&graph(30, 30), &sink, &options(), &never_stop()).await.unwrap();
    assert_eq!(sorted(&sink.nodes), expected_ids("n", 30));
    assert_eq!(sorted(&sink.rels), expected_ids("r", 30));
    assert_eq!(report.retries, 3);
}

#[tokio::test]
async fn transient_read_errors_are_read_again_and_counted() {
    let source = graph(10, 10);
    source.flaky_relationship_reads.store(2, Ordering::SeqCst);
    let sink = Arc::new(TestSink::default());
    let report = copy_into(&source, &sink, &options(), &never_stop()).await.unwrap();
    assert_eq!(sorted(&sink.rels), expected_ids("r", 10));
    assert_eq!((report.read_retries, report.retries), (2, 0));
}

#[tokio::test]
async fn too_large_batches_are_split_until_they_fit() {
    let sink = Arc::new(TestSink { split_above: Some(3), ..Default::default() });
    let report = copy_into(&graph(40, 25), &sink, &options(), &never_stop()).await.unwrap();
    assert_eq!(sorted(&sink.nodes), expected_ids("n", 40));
    assert_eq!(sorted(&sink.rels), expected_ids("r", 25));
    assert!(report.splits > 0);
}

#[tokio::test]
async fn a_fatal_error_stops_the_copy_and_names_the_batch() {
    let sink = Arc::new(TestSink { failures: Mutex::new([ErrorClass::Fatal].into()), ..Default::default() });
    let failure = copy_into(&graph(30, 30), &sink, &options(), &never_stop()).await.unwrap_err();
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

/// A batch holding several relationship types is written one type at a time; the failure names
/// the type and first id of the write that failed, not those of the batch's first record.
#[tokio::test]
async fn a_failed_write_is_named_by_its_own_type_and_first_id() {
    let mut source = graph(5, 10);
    for rel in &mut source.rels {
        rel.rel_type = if ["r4", "r5"].contains(&rel.id.as_str()) { "OTHER".into() } else { "NEXT".into() };
    }
    let sink = Arc::new(TestSink { refuse_type: Some("OTHER"), ..Default::default() });
    let failure = copy_into(&source, &sink, &options(), &never_stop()).await.unwrap_err();
    let CopyError::Batch { phase, count, scope, first_id, .. } = &failure.error else { panic!("{:?}", failure.error) };
    assert_eq!((*phase, *count, scope.as_str(), first_id.as_str()), (Phase::Relationships, 2, "type OTHER", "r4"));
    let message = failure.error.to_string();
    assert!(message.contains("2 relationships (type OTHER; first source id `r4`)"), "{message}");
    assert!(!message.contains("NEXT") && !message.contains("`r0`"), "{message}");
}

#[tokio::test]
async fn retries_give_up_after_max_attempts() {
    let sink = Arc::new(TestSink { failures: Mutex::new([ErrorClass::Retryable; 50].into()), ..Default::default() });
    let mut opts = options();
    opts.concurrency = 1;
    let failure = copy_into(&graph(5, 0), &sink, &opts, &never_stop()).await.unwrap_err();
    let CopyError::Batch { attempts, .. } = failure.error else { panic!() };
    assert_eq!(attempts, 4);
    assert_eq!(failure.written.nodes, 0);
}

#[tokio::test]
async fn a_source_error_fails_the_copy() {
    let mut source = graph(10, 10);
    source.fail_relationships = true;
    let sink = Arc::new(TestSink::default());
    let failure = copy_into(&source, &sink, &options(), &never_stop()).await.unwrap_err();
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
    let (file, opts) = checkpointed(&dir);
    let (tx, rx) = tokio::sync::watch::channel(false);
    tx.send(true).unwrap();
    let sink = Arc::new(TestSink::default());
    let failure = copy_into(&graph(50, 50), &sink, &opts, &rx).await.unwrap_err();
    assert!(matches!(failure.error, CopyError::Interrupted { .. }), "{:?}", failure.error);
    let saved = file.load().unwrap().expect("checkpoint saved");
    assert_eq!(saved.nodes.acknowledged, sink.nodes.lock().unwrap().len() as u64);
    assert!(!*sink.finished.lock().unwrap());
}

#[tokio::test]
async fn resume_skips_what_was_acknowledged_and_removes_the_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let (file, mut opts) = checkpointed(&dir);
    opts.resume = Some(checkpoint::Checkpoint {
        version: checkpoint::VERSION,
        fingerprint: file.fingerprint.clone(),
        nodes: checkpoint::PhaseProgress { acknowledged: 40, after: Some(ResumeToken::new(39)), finished: true },
        relationships: checkpoint::PhaseProgress {
            acknowledged: 25,
            after: Some(ResumeToken::new(24)),
            finished: false,
        },
        run: None,
    });
    let sink = Arc::new(TestSink::default());
    let report = copy_into(&graph(40, 60), &sink, &opts, &never_stop()).await.unwrap();
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
    let (file, mut opts) = checkpointed(&dir);
    opts.concurrency = 1;
    let mut source = graph(30, 30);
    source.fail_relationships = true;
    let sink = Arc::new(TestSink::default());
    copy_into(&source, &sink, &opts, &never_stop()).await.unwrap_err();
    let saved = file.load().unwrap().unwrap();
    assert_eq!(
        saved.nodes,
        checkpoint::PhaseProgress { acknowledged: 30, after: Some(ResumeToken::new(29)), finished: true }
    );
    assert!(!saved.relationships.finished);
}

#[tokio::test]
async fn a_copy_refused_before_writing_leaves_no_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let (file, opts) = checkpointed(&dir);
    let sink = Arc::new(TestSink { refuse: true, ..TestSink::default() });
    let failure = copy_into(&graph(30, 30), &sink, &opts, &never_stop()).await.unwrap_err();
    assert!(matches!(failure.error, CopyError::Prepare(_)), "{:?}", failure.error);
    assert!(!file.path.exists(), "nothing was written, so there is nothing to resume");
}

#[tokio::test]
async fn a_refused_resume_keeps_the_checkpoint_it_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let (file, mut opts) = checkpointed(&dir);
    let earlier = checkpoint::PhaseProgress { acknowledged: 20, after: Some(ResumeToken::new(19)), finished: false };
    file.save(&earlier, &checkpoint::PhaseProgress::default()).unwrap();
    opts.resume = file.load().unwrap();
    let sink = Arc::new(TestSink { refuse: true, ..TestSink::default() });
    copy_into(&graph(30, 30), &sink, &opts, &never_stop()).await.unwrap_err();
    assert_eq!(file.load().unwrap().expect("checkpoint kept").nodes, earlier);
}

#[tokio::test]
async fn unlabelled_nodes_are_tallied_so_the_label_table_adds_up() {
    let mut source = graph(10, 0);
    for node in source.nodes.iter_mut().take(4) {
        node.labels.clear();
    }
    let sink = Arc::new(TestSink::default());
    let report = copy_into(&source, &sink, &options(), &never_stop()).await.unwrap();
    assert_eq!((report.labels["L"], report.unlabelled), (6, 4));
}

#[tokio::test]
async fn a_resume_reads_on_from_the_checkpoint_whatever_order_the_source_reads_in() {
    let dir = tempfile::tempdir().unwrap();
    let (file, mut opts) = checkpointed(&dir);
    opts.concurrency = 1;
    let first = Arc::new(TestSink { fatal_after_node_batches: Some(3), ..Default::default() });
    copy_into(&graph(100, 20), &first, &opts, &never_stop()).await.unwrap_err();
    assert_eq!(first.nodes.lock().unwrap().len(), 30);
    // The second run's source holds the same records in another order.
    opts.resume = file.load().unwrap();
    let second = Arc::new(TestSink::default());
    copy_into(&graph(100, 20).reordered(), &second, &opts, &never_stop()).await.unwrap();
    let mut landed = sorted(&first.nodes);
    landed.extend(sorted(&second.nodes));
    landed.sort();
    landed.dedup();
    assert_eq!(landed, expected_ids("n", 100), "every node landed in one of the two runs");
    assert_eq!(sorted(&second.rels), expected_ids("r", 20));
}

#[tokio::test]
async fn chunks_of_a_batch_split_by_bytes_wait_for_the_concurrency_limit() {
    let one = graph(1, 0).nodes[0].approx_size();
    let sink = Arc::new(TestSink { max_bytes: Some(one), ..Default::default() });
    let mut opts = options();
    opts.concurrency = 2;
    copy_into(&graph(40, 0), &sink, &opts, &never_stop()).await.unwrap();
    assert_eq!(sorted(&sink.nodes), expected_ids("n", 40));
    let max = sink.max_in_flight.load(Ordering::SeqCst);
    assert!(max <= 2, "{max} writes were in flight with --concurrency 2");
}

#[tokio::test]
async fn a_stop_wakes_a_retry_backoff() {
    let sink = Arc::new(TestSink { failures: Mutex::new([ErrorClass::Retryable; 50].into()), ..Default::default() });
    let mut opts = options();
    opts.retry =
        RetryPolicy { max_attempts: 10, base_delay: Duration::from_secs(3600), max_delay: Duration::from_secs(3600) };
    let (tx, rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        tx.send(true).unwrap();
        tokio::time::sleep(Duration::from_secs(3600)).await;
    });
    let ended = tokio::time::timeout(Duration::from_secs(60), copy_into(&graph(5, 0), &sink, &opts, &rx)).await;
    let failure = ended.expect("a stop during a backoff ends the copy").unwrap_err();
    assert!(matches!(failure.error, CopyError::Interrupted { .. }), "{:?}", failure.error);
}

#[tokio::test]
async fn a_stop_while_writes_are_in_flight_lets_them_finish_and_saves_them() {
    let dir = tempfile::tempdir().unwrap();
    let (file, opts) = checkpointed(&dir);
    let sink = Arc::new(TestSink { write_time: Some(Duration::from_millis(300)), ..Default::default() });
    let (tx, rx) = tokio::sync::watch::channel(false);
    let watcher = sink.clone();
    tokio::spawn(async move {
        while watcher.in_flight.load(Ordering::SeqCst) < 2 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        tx.send(true).unwrap();
        tokio::time::sleep(Duration::from_secs(3600)).await;
    });
    let failure = copy_into(&graph(200, 0), &sink, &opts, &rx).await.unwrap_err();
    assert!(matches!(failure.error, CopyError::Interrupted { .. }), "{:?}", failure.error);
    let written = sink.nodes.lock().unwrap().len();
    assert!(written >= 20, "the writes in flight at the stop finished ({written} nodes written)");
    assert_eq!(sink.started.load(Ordering::SeqCst) * 10, written, "every write started was finished");
    assert!(written < 200, "the stop ended the copy early");
    let saved = file.load().unwrap().expect("checkpoint saved");
    assert_eq!(saved.nodes.acknowledged, written as u64);
}

/// Keeps every record written, for the transform's tests; fails node writes on command.
#[derive(Default)]
struct RecordingSink {
    nodes: Mutex<Vec<Node>>,
    rels: Mutex<Vec<Relationship>>,
    /// Once this many nodes were written, every node write fails fatally.
    fail_after_nodes: Option<usize>,
}

#[async_trait]
impl Sink for RecordingSink {
    async fn prepare(&self, _: &CopyPlan) -> Result<(), ConnectorError> {
        Ok(())
    }
    async fn write_nodes(&self, batch: &[Node]) -> Result<WriteReport, ConnectorError> {
        let mut nodes = self.nodes.lock().unwrap();
        if self.fail_after_nodes.is_some_and(|n| nodes.len() >= n) {
            return Err(ConnectorError::fatal("injected: the target went away"));
        }
        nodes.extend_from_slice(batch);
        Ok(WriteReport::default())
    }
    async fn write_relationships(&self, batch: &[Relationship]) -> Result<WriteReport, ConnectorError> {
        self.rels.lock().unwrap().extend_from_slice(batch);
        Ok(WriteReport::default())
    }
    async fn finish(&self) -> Result<(), ConnectorError> {
        Ok(())
    }
}

/// 30 nodes: every third labelled `Gone`; `k` is `i % 10`, so nodes 10..29 duplicate 0..9.
/// Relationship `ri` runs from node i to node (i + 1) % 30.
fn keyed_graph() -> MemorySource {
    let mut source = graph(30, 30);
    for (i, n) in source.nodes.iter_mut().enumerate() {
        if i % 3 == 0 {
            n.labels = vec!["Gone".into()];
        }
        n.properties.insert("k".into(), crate::model::Value::Int(i as i64 % 10));
    }
    source
}

fn transform(text: &str) -> Option<Arc<transform::Transform>> {
    Some(Arc::new(transform::Transform::parse(std::path::Path::new("t.yaml"), text).unwrap()))
}

const DROP_AND_DEDUP: &str = "operations:
  - operation: DropNodeType
    arguments: {name: Gone}
  - operation: Deduplicate
    arguments: {node_type: L, key: k}
";

/// What `keyed_graph` must become under `DROP_AND_DEDUP`: node ids kept, and relationships as
/// `id:start->end`.
fn dropped_and_deduplicated() -> (Vec<String>, Vec<String>) {
    let gone = |i: usize| i % 3 == 0;
    // The first node (by id order) of each key among the nodes not gone.
    let mut kept_for_key = std::collections::BTreeMap::new();
    for i in (0..30).filter(|i| !gone(*i)) {
        kept_for_key.entry(i % 10).or_insert(i);
    }
    let mut nodes: Vec<String> = kept_for_key.values().map(|i| format!("n{i}")).collect();
    nodes.sort();
    let mut rels: Vec<String> = (0..30)
        .filter(|i| !gone(*i) && !gone((i + 1) % 30))
        .map(|i| format!("r{i}:n{}->n{}", kept_for_key[&(i % 10)], kept_for_key[&((i + 1) % 30 % 10)]))
        .collect();
    rels.sort();
    (nodes, rels)
}

fn landed(sink: &RecordingSink) -> (Vec<String>, Vec<String>) {
    let mut nodes: Vec<String> = sink.nodes.lock().unwrap().iter().map(|n| n.id.clone()).collect();
    nodes.sort();
    nodes.dedup(); // a resumed copy may write a node twice (merge makes it harmless)
    let mut rels: Vec<String> =
        sink.rels.lock().unwrap().iter().map(|r| format!("{}:{}->{}", r.id, r.start, r.end)).collect();
    rels.sort();
    (nodes, rels)
}

#[tokio::test]
async fn the_transform_stage_drops_deduplicates_and_repoints_across_batches() {
    let sink = Arc::new(RecordingSink::default());
    let opts = CopyOptions { transform: transform(DROP_AND_DEDUP), batch_size: 4, ..options() };
    let report = copy(&keyed_graph(), sink.clone(), &opts, Arc::new(NoProgress), &never_stop()).await.unwrap();
    assert_eq!(landed(&sink), dropped_and_deduplicated());
    let t = report.transform.as_ref().unwrap();
    assert_eq!((t.dropped_nodes, t.operations[0].dropped, t.operations[1].dropped), (20, 10, 10));
    assert_eq!(report.nodes + t.dropped_nodes, 30);
    assert_eq!(report.relationships + t.dropped_relationships, 30);
    assert!(!report.source_changed(), "dropped records are not a source that changed");
}

/// The nodes phase fails half way; the resumed copy does not read its first half again, yet
/// drops and de-duplicates as one run would (the state is rebuilt from the source's nodes).
#[tokio::test]
async fn a_resumed_copy_rebuilds_the_transforms_state() {
    let dir = tempfile::tempdir().unwrap();
    let (file, mut opts) = checkpointed(&dir);
    (opts.concurrency, opts.batch_size) = (1, 4);
    opts.transform = transform(DROP_AND_DEDUP);
    let first = Arc::new(RecordingSink { fail_after_nodes: Some(3), ..RecordingSink::default() });
    copy(&keyed_graph(), first.clone(), &opts, Arc::new(NoProgress), &never_stop()).await.unwrap_err();
    let saved = file.load().unwrap().unwrap();
    assert!(saved.nodes.after.is_some() && !saved.nodes.finished, "{saved:?}");
    let resumed = Arc::new(RecordingSink::default());
    opts.resume = Some(saved);
    copy(&keyed_graph(), resumed.clone(), &opts, Arc::new(NoProgress), &never_stop()).await.unwrap();
    let (want_nodes, want_rels) = dropped_and_deduplicated();
    let (mut nodes, _) = landed(&first);
    let (second, rels) = landed(&resumed);
    nodes.extend(second);
    nodes.sort();
    nodes.dedup();
    assert_eq!(nodes, want_nodes, "no duplicate written by either run");
    assert_eq!(rels, want_rels, "relationships of dropped and duplicate nodes handled as in one run");
}

#[tokio::test]
async fn a_value_that_does_not_convert_stops_the_copy_naming_the_record() {
    let mut source = graph(5, 0);
    source.nodes[3].properties.insert("age".into(), crate::model::Value::String("old".into()));
    let opts = CopyOptions {
        transform: transform("operations:\n  - operation: Coerce\n    arguments: {property_name: age, to: integer}\n"),
        ..options()
    };
    let failure = copy(&source, Arc::new(RecordingSink::default()), &opts, Arc::new(NoProgress), &never_stop())
        .await
        .unwrap_err();
    let message = failure.error.to_string();
    assert!(matches!(failure.error, CopyError::Transform(_)), "{message}");
    assert_eq!(message, "transform t.yaml:2, operation `Coerce`: node `n3` (label L): property `age`: the string does not parse as integer");
}
