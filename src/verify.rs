//! `graphferry verify`: does the target hold what the source holds? Compares counts per label and
//! relationship type, looks for relationships whose endpoints are missing in the target, and
//! compares sampled (or all) records field by field, through the target connector's
//! [`CopiedLookup`], which knows how the copy stored identity and which documented conversions it
//! applied (so a documented encoding is not a mismatch).

use std::collections::{BTreeMap, HashSet};

use serde::Serialize;
use tokio::sync::mpsc;

use crate::connector::{ConnectorError, CopiedLookup, Page, Selection, SelectionCounts, Source};
use crate::model::{same_properties, Node, Relationship};
use crate::pipeline::PhaseRecord;
use crate::pipeline::{never_stop, read_resuming, retry_idempotent, RetryPolicy};

/// How much of the data to compare record by record.
#[derive(Debug, Clone, Copy)]
pub enum Depth {
    /// Counts and dangling relationships only.
    Counts,
    /// Counts, dangling, and about this many records of each kind.
    Sample(usize),
    /// Every record.
    Full,
}

/// Records per lookup request.
const LOOKUP_CHUNK: usize = 500;
/// Differences kept in the report (the count of all is kept too).
const KEEP_DIFFERENCES: usize = 20;

#[derive(Debug, Clone, Serialize)]
pub struct CountRow {
    pub name: String,
    pub source: u64,
    pub target: u64,
}

impl CountRow {
    pub fn matches(&self) -> bool {
        self.source == self.target
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Difference {
    /// `node` or `relationship`.
    pub kind: &'static str,
    /// The record's source id.
    pub id: String,
    pub problem: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct VerifyReport {
    pub nodes: Option<CountRow>,
    pub relationships: Option<CountRow>,
    pub labels: Vec<CountRow>,
    pub relationship_types: Vec<CountRow>,
    /// Relationships in the target whose start or end node is not in the target.
    pub dangling: u64,
    pub compared_nodes: u64,
    pub compared_relationships: u64,
    pub differences_found: u64,
    pub differences: Vec<Difference>,
}

impl VerifyReport {
    pub fn ok(&self) -> bool {
        self.nodes.as_ref().is_none_or(CountRow::matches)
            && self.relationships.as_ref().is_none_or(CountRow::matches)
            && self.labels.iter().all(CountRow::matches)
            && self.relationship_types.iter().all(CountRow::matches)
            && self.dangling == 0
            && self.differences_found == 0
    }

    fn differ(&mut self, kind: &'static str, id: &str, problem: String) {
        self.differences_found += 1;
        if self.differences.len() < KEEP_DIFFERENCES {
            self.differences.push(Difference { kind, id: id.to_string(), problem });
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("{side} `{target}`: {action} failed")]
    Connector {
        side: &'static str,
        target: String,
        action: &'static str,
        #[source]
        source: ConnectorError,
    },
}

/// Names of the two sides, for messages.
pub struct Sides<'a> {
    pub source: &'a str,
    pub target: &'a str,
}

fn on<'a>(
    side: &'static str,
    target: &'a str,
    action: &'static str,
) -> impl FnOnce(ConnectorError) -> VerifyError + 'a {
    move |source| VerifyError::Connector { side, target: target.to_string(), action, source }
}

pub async fn verify(
    names: Sides<'_>,
    source: &dyn Source,
    target_source: &dyn Source,
    lookup: &dyn CopiedLookup,
    selection: &Selection,
    depth: Depth,
) -> Result<VerifyReport, VerifyError> {
    let mut report = VerifyReport::default();
    // Counts and lookups are idempotent reads: a transient error (a throttled or restarting
    // server) is tried again, as the copy's writes are.
    let policy = RetryPolicy::default();
    let expected = retry_idempotent(policy, "counting the source", || source.count(selection)).await.map_err(on(
        "source",
        names.source,
        "counting",
    ))?;
    let found = retry_idempotent(policy, "counting the target", || target_source.count(selection))
        .await
        .map_err(on("target", names.target, "counting"))?;
    compare_counts(&mut report, &expected, &found, lookup.synthetic_labels());
    report.dangling = dangling(target_source, selection).await.map_err(on("target", names.target, "reading"))?;
    if !matches!(depth, Depth::Counts) {
        compare_records(&mut report, &names, source, lookup, selection, depth, &expected).await?;
    }
    Ok(report)
}

fn compare_counts(report: &mut VerifyReport, expected: &SelectionCounts, found: &SelectionCounts, synthetic: &[&str]) {
    report.nodes = Some(CountRow { name: "nodes".into(), source: expected.nodes, target: found.nodes });
    report.relationships =
        Some(CountRow { name: "relationships".into(), source: expected.relationships, target: found.relationships });
    let rows = |a: &BTreeMap<String, u64>, b: &BTreeMap<String, u64>, skip: &[&str]| {
        let names: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
        names
            .into_iter()
            .filter(|n| a.contains_key(*n) || !skip.contains(&n.as_str()))
            .map(|n| CountRow {
                name: n.clone(),
                source: a.get(n).copied().unwrap_or(0),
                target: b.get(n).copied().unwrap_or(0),
            })
            .collect::<Vec<_>>()
    };
    report.labels = rows(&expected.labels, &found.labels, synthetic);
    report.relationship_types = rows(&expected.relationship_types, &found.relationship_types, &[]);
}

/// What a streamed read that is read again logs (verify has no progress bar of its own).
fn told(side: &'static str) -> impl Fn(u32, std::time::Duration, &ConnectorError) {
    move |attempt, wait, error| tracing::warn!(side, attempt, wait_ms = wait.as_millis() as u64, error = %error, "reading the {side} failed; reading on from where it stopped")
}

/// Counts target relationships (of the selection) whose endpoints the target does not hold.
async fn dangling(target: &dyn Source, selection: &Selection) -> Result<u64, ConnectorError> {
    let mut ids: HashSet<String> = HashSet::new();
    let (tx, mut rx) = mpsc::channel::<Page<Node>>(4);
    let all = Selection::All;
    let read =
        read_resuming::<Node>(target, &all, 5000, RetryPolicy::default(), never_stop(), None, tx, told("target"));
    let collect = async {
        while let Some(page) = rx.recv().await {
            ids.extend(page.records.into_iter().map(|n| n.id));
        }
    };
    let (r, ()) = tokio::join!(read, collect);
    r?;
    let mut dangling = 0;
    let (tx, mut rx) = mpsc::channel::<Page<Relationship>>(4);
    let read = read_resuming::<Relationship>(
        target,
        selection,
        5000,
        RetryPolicy::default(),
        never_stop(),
        None,
        tx,
        told("target"),
    );
    let check = async {
        while let Some(page) = rx.recv().await {
            dangling += page.records.iter().filter(|r| !ids.contains(&r.start) || !ids.contains(&r.end)).count() as u64;
        }
    };
    let (r, ()) = tokio::join!(read, check);
    r?;
    Ok(dangling)
}

/// Every `every`-th record is compared (all of them for `Full`): spread over the whole graph,
/// deterministic, and needing no second pass.
fn stride(depth: Depth, total: u64) -> u64 {
    match depth {
        Depth::Sample(n) if n > 0 => (total / n as u64).max(1),
        Depth::Sample(_) => u64::MAX,
        _ => 1,
    }
}

async fn compare_records(
    report: &mut VerifyReport,
    names: &Sides<'_>,
    source: &dyn Source,
    lookup: &dyn CopiedLookup,
    selection: &Selection,
    depth: Depth,
    expected: &SelectionCounts,
) -> Result<(), VerifyError> {
    compare_kind::<Node>(report, names, source, lookup, selection, stride(depth, expected.nodes)).await?;
    compare_kind::<Relationship>(report, names, source, lookup, selection, stride(depth, expected.relationships)).await
}

/// What comparing one kind of record needs beyond how the copy reads it ([`PhaseRecord`]): how
/// to find it in the target and compare it.
trait Checked: PhaseRecord {
    const READING: &'static str;
    const LOOKING_UP: &'static str;
    fn find<'a>(
        lookup: &'a dyn CopiedLookup,
        picked: &'a [Self],
    ) -> impl std::future::Future<Output = Result<Vec<Self>, ConnectorError>> + Send + 'a;
    fn compare(report: &mut VerifyReport, lookup: &dyn CopiedLookup, picked: &[Self], found: Vec<Self>);
}

impl Checked for Node {
    const READING: &'static str = "reading nodes";
    const LOOKING_UP: &'static str = "looking up nodes";
    fn find<'a>(
        lookup: &'a dyn CopiedLookup,
        picked: &'a [Self],
    ) -> impl std::future::Future<Output = Result<Vec<Self>, ConnectorError>> + Send + 'a {
        lookup.find_nodes(picked)
    }
    fn compare(report: &mut VerifyReport, lookup: &dyn CopiedLookup, picked: &[Self], found: Vec<Self>) {
        compare_nodes(report, lookup, picked, found)
    }
}

impl Checked for Relationship {
    const READING: &'static str = "reading relationships";
    const LOOKING_UP: &'static str = "looking up relationships";
    fn find<'a>(
        lookup: &'a dyn CopiedLookup,
        picked: &'a [Self],
    ) -> impl std::future::Future<Output = Result<Vec<Self>, ConnectorError>> + Send + 'a {
        lookup.find_relationships(picked)
    }
    fn compare(report: &mut VerifyReport, lookup: &dyn CopiedLookup, picked: &[Self], found: Vec<Self>) {
        compare_relationships(report, lookup, picked, found)
    }
}

/// Streams one kind from the source, picks every `every`-th record, and compares each chunk
/// with its counterparts in the target.
async fn compare_kind<T: Checked>(
    report: &mut VerifyReport,
    names: &Sides<'_>,
    source: &dyn Source,
    lookup: &dyn CopiedLookup,
    selection: &Selection,
    every: u64,
) -> Result<(), VerifyError> {
    let (tx, mut rx) = mpsc::channel::<Page<T>>(2);
    let read = read_resuming::<T>(
        source,
        selection,
        LOOKUP_CHUNK,
        RetryPolicy::default(),
        never_stop(),
        None,
        tx,
        told("source"),
    );
    let mut failure = None;
    let compare = async {
        let mut seen = 0u64;
        while let Some(page) = rx.recv().await {
            let picked: Vec<T> = page
                .records
                .into_iter()
                .filter(|_| {
                    seen += 1;
                    (seen - 1) % every == 0
                })
                .collect();
            if picked.is_empty() {
                continue;
            }
            match retry_idempotent(RetryPolicy::default(), T::LOOKING_UP, || T::find(lookup, &picked)).await {
                Ok(found) => T::compare(report, lookup, &picked, found),
                Err(e) => {
                    failure = Some(on("target", names.target, T::LOOKING_UP)(e));
                    rx.close();
                }
            }
        }
    };
    let (r, ()) = tokio::join!(read, compare);
    r.map_err(on("source", names.source, T::READING))?;
    failure.map_or(Ok(()), Err)
}

fn compare_nodes(report: &mut VerifyReport, lookup: &dyn CopiedLookup, picked: &[Node], found: Vec<Node>) {
    let found: BTreeMap<String, Node> = found.into_iter().map(|n| (n.id.clone(), n)).collect();
    for node in picked {
        report.compared_nodes += 1;
        let want = lookup.expected_node(node);
        match found.get(&node.id) {
            None => report.differ("node", &node.id, "missing in the target".into()),
            Some(got) => {
                let (mut a, mut b) = (want.labels.clone(), got.labels.clone());
                a.sort();
                b.sort();
                if a != b {
                    report.differ(
                        "node",
                        &node.id,
                        format!("labels {:?} in the source, {:?} in the target", want.labels, got.labels),
                    );
                } else if !same_properties(&want.properties, &got.properties) {
                    report.differ("node", &node.id, property_difference(&want.properties, &got.properties));
                }
            }
        }
    }
}

fn compare_relationships(
    report: &mut VerifyReport,
    lookup: &dyn CopiedLookup,
    picked: &[Relationship],
    found: Vec<Relationship>,
) {
    let found: BTreeMap<String, Relationship> = found.into_iter().map(|r| (r.id.clone(), r)).collect();
    for rel in picked {
        report.compared_relationships += 1;
        let want = lookup.expected_relationship(rel);
        match found.get(&rel.id) {
            None => report.differ("relationship", &rel.id, "missing in the target".into()),
            Some(got)
                if (got.rel_type.as_str(), got.start.as_str(), got.end.as_str())
                    != (want.rel_type.as_str(), want.start.as_str(), want.end.as_str()) =>
            {
                report.differ(
                    "relationship",
                    &rel.id,
                    format!(
                        "({})-[{}]->({}) in the source, ({})-[{}]->({}) in the target",
                        want.start, want.rel_type, want.end, got.start, got.rel_type, got.end
                    ),
                )
            }
            Some(got) if !same_properties(&want.properties, &got.properties) => {
                report.differ("relationship", &rel.id, property_difference(&want.properties, &got.properties))
            }
            Some(_) => {}
        }
    }
}

/// Names the first differing property, with the value types (never the values: they may be
/// personal data).
fn property_difference(want: &crate::model::Properties, got: &crate::model::Properties) -> String {
    for (k, v) in want {
        match got.get(k) {
            None => return format!("property `{k}` is missing in the target"),
            Some(g) if !g.same_as(v) => {
                return format!(
                    "property `{k}` differs ({} in the source, {} in the target)",
                    v.type_name(),
                    g.type_name()
                )
            }
            _ => {}
        }
    }
    match got.keys().find(|k| !want.contains_key(*k)) {
        Some(k) => format!("property `{k}` is only in the target"),
        None => "properties differ".into(),
    }
}
