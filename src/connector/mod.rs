//! The seams between the copy pipeline and the databases: the [`Source`] and [`Sink`] traits,
//! the typed errors connectors report, and the [`registry`] of connectors, which turns a
//! validated target into a live source, sink, lookup, migrator or finalizer.
//!
//! Connectors only move records and classify their errors; batching, retries, concurrency and
//! shutdown belong to the pipeline.

pub mod bulk;
mod finalizer;
mod journaled;
pub mod keyed;
pub mod registry;

// The connectors: one line each (its folder and its config type). See `registry`.
registry::databases! {
    neo4j::Neo4jConfig,
    neptune::NeptuneConfig,
    file::FileConfig,
    neptune_csv::NeptuneCsvConfig,
    neo4j_admin_csv::Neo4jAdminCsvConfig,
    postgres::PostgresConfig,
}

pub use finalizer::{Finalizer, MarkPass, Marked, NothingToFinalize};
pub use journaled::{Attached, Journaled, RelationshipRef};
pub use registry::{
    check, connect_finalizer, connect_journaled, connect_lookup, connect_migrator, connect_sink, connect_source,
    Connector, ConnectorConfig, Target, WriteDefaults,
};

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

use async_trait::async_trait;
use tokio::sync::mpsc;

use crate::migrations::{NodeKeys, Operation};
use crate::model::{GraphSchema, Node, Relationship};

/// Which records a copy moves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// Every node and every relationship.
    All,
    /// Nodes carrying any of `labels`; relationships of any of `relationship_types`, plus the
    /// nodes at both ends of those relationships (so no copied relationship dangles).
    Only { labels: Vec<String>, relationship_types: Vec<String> },
}

impl Selection {
    pub fn includes_label(&self, labels: &[String]) -> bool {
        match self {
            Selection::All => true,
            Selection::Only { labels: wanted, .. } => labels.iter().any(|l| wanted.contains(l)),
        }
    }

    pub fn includes_type(&self, rel_type: &str) -> bool {
        match self {
            Selection::All => true,
            Selection::Only { relationship_types, .. } => relationship_types.iter().any(|t| t == rel_type),
        }
    }

    /// True when selected relationships pull in their endpoint nodes beyond the selected labels.
    pub fn needs_endpoints(&self) -> bool {
        matches!(self, Selection::Only { relationship_types, .. } if !relationship_types.is_empty())
    }
}

/// How many records a selection covers, as a source counts them before a copy.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SelectionCounts {
    pub nodes: u64,
    pub relationships: u64,
    /// Nodes per label (a node with two labels counts under both).
    pub labels: BTreeMap<String, u64>,
    pub relationship_types: BTreeMap<String, u64>,
}

/// Where a read stands in a source's read order: the source's own opaque value (a key, a byte
/// offset), saved in checkpoints. A read started after a token yields every record after it,
/// in the same order, whatever order the data lies in on disk or the query plan.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct ResumeToken(pub serde_json::Value);

impl ResumeToken {
    pub fn new(value: impl serde::Serialize) -> Self {
        ResumeToken(serde_json::to_value(value).expect("a token serialises"))
    }

    /// The token's value as the source wrote it; an error for a token of another source.
    pub fn get<T: serde::de::DeserializeOwned>(&self) -> Result<T, ConnectorError> {
        serde_json::from_value(self.0.clone())
            .map_err(|e| ConnectorError::fatal(format!("the checkpoint's resume token is not this source's: {e}")))
    }
}

/// The resume token of a source that reads in several scans (a label or type at a time), each
/// in key order: which scan, and the last key read in it.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ScanPosition<K> {
    pub scan: usize,
    pub after: K,
}

impl<K: Clone + serde::de::DeserializeOwned> ScanPosition<K> {
    /// Where a read given `after` starts: the token's position, or scan 0 from `start` (the key
    /// before every key).
    pub fn resumed(after: Option<ResumeToken>, start: K) -> Result<Self, ConnectorError> {
        Ok(after.map(|t| t.get()).transpose()?.unwrap_or(ScanPosition { scan: 0, after: start }))
    }

    /// Where scan `scan` starts: after this position's key if it is this position's scan, else
    /// from `start`.
    pub fn start_of(&self, scan: usize, start: K) -> Self {
        ScanPosition { scan, after: if scan == self.scan { self.after.clone() } else { start } }
    }
}

/// A batch of records as a source read it, and the token to read on after its last record.
#[derive(Debug)]
pub struct Page<T> {
    pub records: Vec<T>,
    pub next: ResumeToken,
}

/// Pages flow from a source to the pipeline through these senders. A bounded channel: a slow
/// sink slows the source down, so memory stays bounded whatever the graph size.
pub type NodeSender = mpsc::Sender<Page<Node>>;
pub type RelationshipSender = mpsc::Sender<Page<Relationship>>;

/// Gathers a source's records into pages of `size` and sends each full one to the pipeline,
/// with the token after its last record. Every method returns false once the copy stopped
/// listening: the source should return then.
pub struct Batcher<T> {
    tx: mpsc::Sender<Page<T>>,
    size: usize,
    batch: Vec<T>,
}

impl<T> Batcher<T> {
    pub fn new(tx: mpsc::Sender<Page<T>>, size: usize) -> Self {
        let size = size.max(1);
        Batcher { tx, size, batch: Vec::with_capacity(size) }
    }

    fn take(&mut self, next: impl FnOnce() -> ResumeToken) -> Page<T> {
        Page { records: std::mem::replace(&mut self.batch, Vec::with_capacity(self.size)), next: next() }
    }

    /// Adds a record; `next` is the token after it, made only when a page is sent.
    pub async fn push(&mut self, record: T, next: impl FnOnce() -> ResumeToken) -> bool {
        self.batch.push(record);
        if self.batch.len() < self.size {
            return true;
        }
        let page = self.take(next);
        self.tx.send(page).await.is_ok()
    }

    /// Sends what is gathered so far, ending at `next` (the end of a scan). A source may send an
    /// empty page to move the token past records it skipped.
    pub async fn flush(&mut self, next: impl FnOnce() -> ResumeToken) -> bool {
        if self.batch.is_empty() {
            return true;
        }
        let page = self.take(next);
        self.tx.send(page).await.is_ok()
    }

    /// [`Batcher::push`] for a source reading on a blocking thread.
    pub fn push_blocking(&mut self, record: T, next: impl FnOnce() -> ResumeToken) -> bool {
        self.batch.push(record);
        if self.batch.len() < self.size {
            return true;
        }
        let page = self.take(next);
        self.tx.blocking_send(page).is_ok()
    }

    /// [`Batcher::flush`] for a source reading on a blocking thread.
    pub fn flush_blocking(&mut self, next: impl FnOnce() -> ResumeToken) -> bool {
        if self.batch.is_empty() {
            return true;
        }
        let page = self.take(next);
        self.tx.blocking_send(page).is_ok()
    }
}

/// A place records are read from.
///
/// Contract: `read_nodes` sends every selected node exactly once (a node with several labels
/// once, not once per label) in a fixed order that does not depend on where the data lies or on
/// the query plan (a key order: the source's ids, byte offsets), in pages of at most
/// `batch_size`, each with the [`ResumeToken`] after its last record, then returns. Given
/// `after`, it starts right after that token: a read resumed or retried from the token of the
/// last page the pipeline received sends exactly the records after it. `read_relationships`
/// does the same for relationships. If the receiver is dropped (the copy stopped), the source
/// returns `Ok(())` promptly. An error ends the read; what was already sent stays valid, and the
/// pipeline decides whether to read again from the last token (a source never retries).
#[async_trait]
pub trait Source: Send + Sync {
    /// Labels and relationship types with counts, for `--all`, `--dry-run` and summaries.
    async fn schema(&self) -> Result<GraphSchema, ConnectorError>;

    /// Counts of what `selection` covers, including endpoint nodes pulled in by relationships.
    async fn count(&self, selection: &Selection) -> Result<SelectionCounts, ConnectorError>;

    /// Keys, indexes and property names, for `migrations make`. The default knows only the
    /// labels and types of [`schema`](Self::schema).
    async fn introspect(&self) -> Result<SchemaDetails, ConnectorError> {
        let schema = self.schema().await?;
        Ok(SchemaDetails {
            node_properties: schema.labels.into_keys().map(|l| (l, BTreeSet::new())).collect(),
            relationship_properties: schema.relationship_types.into_keys().map(|t| (t, BTreeSet::new())).collect(),
            ..SchemaDetails::default()
        })
    }

    /// Values the source itself converted with loss while reading (a mapping that asks for a
    /// PostgreSQL numeric as a float), counted like a sink's conversions; the pipeline adds them
    /// to the copy's summary when the copy ends.
    fn conversions(&self) -> Conversions {
        Conversions::new()
    }

    async fn read_nodes(
        &self,
        selection: &Selection,
        batch_size: usize,
        after: Option<ResumeToken>,
        tx: NodeSender,
    ) -> Result<(), ConnectorError>;

    async fn read_relationships(
        &self,
        selection: &Selection,
        batch_size: usize,
        after: Option<ResumeToken>,
        tx: RelationshipSender,
    ) -> Result<(), ConnectorError>;
}

/// What `migrations make` learns from a live source beyond labels and counts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SchemaDetails {
    /// Label → key properties (uniqueness constraints / node keys).
    pub node_keys: BTreeMap<String, Vec<String>>,
    /// Label → properties with an index of their own.
    pub node_indexes: BTreeMap<String, BTreeSet<String>>,
    /// Relationship type → properties with an index of their own.
    pub relationship_indexes: BTreeMap<String, BTreeSet<String>>,
    /// Label → property names seen.
    pub node_properties: BTreeMap<String, BTreeSet<String>>,
    /// Relationship type → property names seen.
    pub relationship_properties: BTreeMap<String, BTreeSet<String>>,
}

/// How a copy writes: `Merge` is an idempotent upsert keyed on node identity (safe to re-run and
/// to resume); `Create` inserts only, for an empty target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum WriteMode {
    #[default]
    Merge,
    Create,
}

/// What a sink is told before the first write.
#[derive(Debug, Clone)]
pub struct CopyPlan {
    pub mode: WriteMode,
    /// Labels and relationship types about to be written (from the source's counts).
    pub counts: SelectionCounts,
    /// Create mode only: write even if the target already holds data of a copied label.
    pub force: bool,
    /// Node identity declared by the project's migrations (nodestream `CreateNodeType ... keys`):
    /// label → key property names. A node of such a label is upserted on those properties;
    /// any other node on its source id.
    pub node_keys: BTreeMap<String, Vec<String>>,
    /// Fail on the first value the sink cannot store as is, instead of converting and counting it.
    pub strict_types: bool,
    /// What to do with a node of a keyed label that lacks a key value (see [`keyed`]).
    pub missing_key: keyed::MissingKey,
}

/// A property value that was changed on its way into a sink because the sink cannot hold it as is.
/// Counted per `scope.property` (scope is the label or relationship type) and conversion name.
pub type Conversions = BTreeMap<ConversionKey, u64>;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConversionKey {
    pub scope: String,
    pub property: String,
    /// What was done, e.g. `DATE -> DATETIME (UTC midnight)`.
    pub conversion: &'static str,
}

/// Where an encoder counts a conversion of `scope.property`: straight into [`Conversions`], or
/// into a batch's [`Tally`].
pub trait CountConversion<'a> {
    fn count(&mut self, scope: &'a str, property: &'a str, conversion: &'static str);
}

impl<'a> CountConversion<'a> for Conversions {
    fn count(&mut self, scope: &'a str, property: &'a str, conversion: &'static str) {
        let key = ConversionKey { scope: scope.to_string(), property: property.to_string(), conversion };
        *self.entry(key).or_default() += 1;
    }
}

/// A batch's conversion counts under borrowed names, so that counting one allocates nothing
/// (the bulk exports count one or more per record); [`Tally::into_conversions`] at the end.
#[derive(Debug, Default)]
pub struct Tally<'a>(HashMap<(&'a str, &'a str, &'static str), u64>);

impl<'a> CountConversion<'a> for Tally<'a> {
    fn count(&mut self, scope: &'a str, property: &'a str, conversion: &'static str) {
        *self.0.entry((scope, property, conversion)).or_default() += 1;
    }
}

impl Tally<'_> {
    /// How many conversions were counted.
    pub fn total(&self) -> u64 {
        self.0.values().sum()
    }

    pub fn into_conversions(self) -> Conversions {
        self.0
            .into_iter()
            .map(|((scope, property, conversion), n)| {
                (ConversionKey { scope: scope.to_string(), property: property.to_string(), conversion }, n)
            })
            .collect()
    }
}

/// What one acknowledged write did.
#[derive(Debug, Clone, Default)]
pub struct WriteReport {
    pub conversions: Conversions,
}

/// A record that has a property named like the sink's source-id property (`id_property`) would
/// lose its value to the source id: the reason to refuse it, naming the setting that avoids it.
pub fn identity_clash(
    scope: &str,
    id: &str,
    properties: &crate::model::Properties,
    id_property: &str,
) -> Option<String> {
    properties.contains_key(id_property).then(|| {
        format!(
            "{scope} with source id `{id}` has a property named `{id_property}`, which this target uses for the \
             source id; set `source_id_property` on the target to another name"
        )
    })
}

/// Create mode's guard against duplicates: a write that failed may still have landed (the commit
/// succeeded and its reply was lost), and writing its records again with CREATE would duplicate
/// them. A sink remembers the ids of every failed batch and writes any batch holding one of them
/// in merge mode, which is idempotent. Only failed batches' ids are kept.
#[derive(Default)]
pub struct MaybeWritten(std::sync::Mutex<std::collections::HashSet<String>>);

impl MaybeWritten {
    /// Runs `write` for a batch of `ids` in the mode it must use: the copy's `mode`, or merge
    /// when a record of it may already be in the target; remembers the ids if it fails.
    pub async fn write<'a, T, Fut>(
        &self,
        mode: WriteMode,
        ids: impl Iterator<Item = &'a str> + Clone,
        write: impl FnOnce(WriteMode) -> Fut,
    ) -> Result<T, ConnectorError>
    where
        Fut: std::future::Future<Output = Result<T, ConnectorError>>,
    {
        let result = write(self.mode_for(mode, ids.clone())).await;
        if result.is_err() && mode == WriteMode::Create {
            self.0.lock().expect("lock poisoned").extend(ids.map(str::to_string));
        }
        result
    }

    fn mode_for<'a>(&self, mode: WriteMode, mut ids: impl Iterator<Item = &'a str>) -> WriteMode {
        if mode == WriteMode::Create {
            let seen = self.0.lock().expect("lock poisoned");
            if ids.any(|id| seen.contains(id)) {
                return WriteMode::Merge;
            }
        }
        mode
    }
}

/// A place records are written to.
///
/// Contract: the pipeline calls `prepare` once, then `write_nodes` for every node batch, waits for
/// all of them, then `write_relationships` for every relationship batch, then `finish`. Writes of
/// one phase may run concurrently (`--concurrency`) and may be retried after an error or a
/// timeout, so delivery is at-least-once: in merge mode a write must be idempotent. A write
/// returns only once the data is durable in the sink (or will be after `finish`); it never drops
/// a record silently: anything it cannot write is an error.
#[async_trait]
pub trait Sink: Send + Sync {
    /// Create what the copy needs (indexes on identity properties) and check the target can take
    /// the plan (create mode refuses a non-empty target unless forced).
    async fn prepare(&self, plan: &CopyPlan) -> Result<(), ConnectorError>;

    /// Whether a copy into this sink can resume from a checkpoint (a sink that rewrites its
    /// target whole cannot).
    fn resumable(&self) -> bool {
        true
    }

    /// The largest request this sink should be sent, in (approximate) bytes of records; the
    /// pipeline cuts batches to fit. `None`: rows alone decide.
    fn max_batch_bytes(&self) -> Option<usize> {
        None
    }

    async fn write_nodes(&self, batch: &[Node]) -> Result<WriteReport, ConnectorError>;

    async fn write_relationships(&self, batch: &[Relationship]) -> Result<WriteReport, ConnectorError>;

    /// Make the copy visible and durable (a file sink renames its temporary file into place).
    /// Not called when the copy failed.
    async fn finish(&self) -> Result<(), ConnectorError>;

    /// What the user does next with what `finish` wrote (a bulk export's upload and load
    /// commands), printed after the summary; `None` when nothing is left to do.
    fn next_steps(&self) -> Option<String> {
        None
    }
}

/// Reads back what a copy wrote into this target, for `graphferry verify`: given source records,
/// finds their counterparts the way the copy stored identity (a dump's id, a source-id property,
/// a Neptune `~id` computed from migration keys), and returns them with the *source* ids (the
/// record's and, for relationships, its endpoints') and without graphferry's bookkeeping
/// properties. A record with no counterpart is left out. `expected_*` apply the target's
/// documented conversions to a source record, so a value stored in its documented encoding
/// compares equal.
#[async_trait]
pub trait CopiedLookup: Send + Sync {
    async fn find_nodes(&self, source: &[Node]) -> Result<Vec<Node>, ConnectorError>;
    async fn find_relationships(&self, source: &[Relationship]) -> Result<Vec<Relationship>, ConnectorError>;

    fn expected_node(&self, node: &Node) -> Node {
        node.clone()
    }

    fn expected_relationship(&self, rel: &Relationship) -> Relationship {
        rel.clone()
    }

    /// Labels the target adds on its own (Neptune gives an unlabelled node `vertex`); extra
    /// counts under these are not differences.
    fn synthetic_labels(&self) -> &'static [&'static str] {
        &[]
    }
}

/// The code a [`Migrator`] uses when the migration lock is held by someone else.
pub const MIGRATION_LOCKED: &str = "MigrationLocked";

/// Applies schema migrations to a target and records which ran, in the target itself (as
/// nodestream does, so both tools can share a database).
///
/// Contract: the runner takes the lock, reads `applied`, then for each pending migration
/// applies its operations in order and `record`s it, and finally unlocks, also after a failure.
/// `lock` fails with code [`MIGRATION_LOCKED`] when another run holds it; it never waits.
/// `unlock` is idempotent (and is what `--force-unlock` calls). An operation that failed is
/// applied again by the next run, so `apply` must be idempotent; `keys` are the node keys the
/// migrations declare once `op` has run, which a target that enforces keys builds its
/// constraints from (never from what it holds, which a failed run may have half changed).
#[async_trait]
pub trait Migrator: Send + Sync {
    async fn lock(&self) -> Result<(), ConnectorError>;
    async fn unlock(&self) -> Result<(), ConnectorError>;
    async fn applied(&self) -> Result<BTreeSet<String>, ConnectorError>;
    /// What `apply` would run for `op`, for `--dry-run` and logs: statements, or
    /// `nothing to do on <database> (<why>)`. The lines do not name `op`: the caller prefixes
    /// each with the operation and its type, the same on every connector.
    fn describe(&self, op: &Operation, keys: &NodeKeys) -> Vec<String>;
    async fn apply(&self, op: &Operation, keys: &NodeKeys) -> Result<(), ConnectorError>;
    async fn record(&self, migration: &str) -> Result<(), ConnectorError>;
}

/// What the pipeline should do about a failed write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// Transient (throttling, deadlock, leader switch, dropped connection): retry with backoff.
    Retryable,
    /// The batch is too big for one request (timeout, memory): split it in two and retry.
    SplitBatch,
    /// Retrying cannot help (bad credentials, constraint violation, malformed data).
    Fatal,
}

/// An error from a connector, with what the pipeline needs to decide on a retry.
#[derive(Debug, thiserror::Error)]
pub struct ConnectorError {
    pub class: ErrorClass,
    /// A stable code from the database when it has one (`ConcurrentModificationException`,
    /// `Neo.TransientError.Transaction.DeadlockDetected`).
    pub code: Option<String>,
    pub message: String,
    #[source]
    pub source: Option<Box<dyn std::error::Error + Send + Sync>>,
    /// The records of the write that failed, when the sink knows them: a sink writes a batch
    /// as one request per label set or relationship type, and the failed one is what the copy's
    /// message must name (`None`: the whole batch). Boxed to keep every `Result` small.
    pub write: Option<Box<FailedWrite>>,
}

/// The records one failed write held: what they are (`label A:B`, `type KNOWS`), the first one's
/// source id, and how many.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedWrite {
    pub scope: String,
    pub first_id: String,
    pub count: usize,
}

impl FailedWrite {
    /// A write of `nodes` (all of one label set).
    pub fn nodes<'a>(nodes: impl IntoIterator<Item = &'a Node>) -> Self {
        Self::of(nodes, |n| (node_scope(&n.labels), n.id.clone()))
    }

    /// A write of `relationships` (all of one type).
    pub fn relationships<'a>(relationships: impl IntoIterator<Item = &'a Relationship>) -> Self {
        Self::of(relationships, |r| (relationship_scope(&r.rel_type), r.id.clone()))
    }

    fn of<T>(records: impl IntoIterator<Item = T>, describe: impl Fn(&T) -> (String, String)) -> Self {
        let mut records = records.into_iter().peekable();
        let (scope, first_id) = records.peek().map(describe).unwrap_or_default();
        FailedWrite { scope, first_id, count: records.count() }
    }
}

/// How messages name a set of nodes: `label A:B`, or `unlabelled node`.
pub fn node_scope(labels: &[String]) -> String {
    if labels.is_empty() {
        "unlabelled node".to_string()
    } else {
        format!("label {}", labels.join(":"))
    }
}

/// How messages name a relationship type: `type KNOWS`.
pub fn relationship_scope(rel_type: &str) -> String {
    format!("type {rel_type}")
}

impl ConnectorError {
    pub fn fatal(message: impl Into<String>) -> Self {
        ConnectorError { class: ErrorClass::Fatal, code: None, message: message.into(), source: None, write: None }
    }

    pub fn retryable(message: impl Into<String>) -> Self {
        ConnectorError { class: ErrorClass::Retryable, code: None, message: message.into(), source: None, write: None }
    }

    pub fn with_code(mut self, code: impl Into<String>) -> Self {
        self.code = Some(code.into());
        self
    }

    /// Names the records of the write that failed, unless a more precise write is named already
    /// (a single refused record inside a group).
    pub fn in_write(mut self, write: FailedWrite) -> Self {
        self.write.get_or_insert_with(|| Box::new(write));
        self
    }

    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }
}

impl fmt::Display for ConnectorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.code {
            Some(code) => write!(f, "{code}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_failed_create_batch_is_written_again_in_merge_mode() {
        let m = MaybeWritten::default();
        let mode_of = |mode, ids: &'static [&'static str]| m.write(mode, ids.iter().copied(), |m| async move { Ok(m) });
        let fail = |mode, ids: &'static [&'static str]| {
            m.write(mode, ids.iter().copied(), |_| async { Err::<(), _>(ConnectorError::retryable("lost reply")) })
        };
        assert_eq!(mode_of(WriteMode::Create, &["a", "b"]).await.unwrap(), WriteMode::Create);
        fail(WriteMode::Create, &["b"]).await.unwrap_err();
        assert_eq!(mode_of(WriteMode::Create, &["a", "b"]).await.unwrap(), WriteMode::Merge);
        assert_eq!(mode_of(WriteMode::Create, &["a", "c"]).await.unwrap(), WriteMode::Create);
        fail(WriteMode::Merge, &["c"]).await.unwrap_err();
        assert_eq!(mode_of(WriteMode::Create, &["c"]).await.unwrap(), WriteMode::Create, "merge failures need nothing");
    }

    #[tokio::test]
    async fn batcher_sends_full_batches_then_the_rest_and_notices_a_stopped_copy() {
        let (tx, mut rx) = mpsc::channel(10);
        let mut b = Batcher::new(tx, 2);
        for i in 0..5 {
            assert!(b.push(i, || ResumeToken::new(i)).await);
        }
        assert!(b.flush(|| ResumeToken::new("end")).await);
        assert!(b.flush(|| unreachable!("nothing left: nothing sent")).await);
        drop(b);
        let mut got = Vec::new();
        while let Some(page) = rx.recv().await {
            got.push((page.records, page.next.0));
        }
        use serde_json::json;
        assert_eq!(got, vec![(vec![0, 1], json!(1)), (vec![2, 3], json!(3)), (vec![4], json!("end"))]);

        let (tx, rx) = mpsc::channel(10);
        drop(rx);
        let mut b = Batcher::new(tx, 1);
        assert!(!b.push(0, || ResumeToken::new(0)).await, "the copy stopped listening");
    }
}
