//! Writing into a Neo4j database as a copy sink: batched `UNWIND $rows` writes, one transaction
//! per batch, values always as parameters.
//!
//! Identity: every written node gets the identity label and the source-id property (unique
//! constraint created in `prepare`), because relationships name their endpoints only by source
//! id and the endpoints' labels are unknown; the one index finds any endpoint, unlabelled nodes
//! included; a node is upserted on it by an update and a create of the missing (see
//! [`cypher::write_nodes`] for why not one MERGE). Nodes of a label with migration-declared keys
//! are MERGEd on those keys instead, and still get the source id; one without a value for a key
//! is refused or identified by its source id, as [`keyed`](crate::connector::keyed) rules for
//! every sink (a MERGE on a null key would match nothing and create the node again each run). Relationships carry their source id too, so parallel relationships
//! stay apart and a re-run MERGEs onto what the last run wrote.

use std::collections::{BTreeMap, HashSet};
use std::sync::Mutex;

use async_trait::async_trait;
use neo4rs::{query, BoltType};

use super::client::{column, Client};
use super::cypher::{self, NodeWrite};
use super::value::{bolt_list, bolt_map, properties_to_bolt};
use crate::connector::keyed::{node_identity, MissingKey, NodeIdentity, NodeKeys};
use crate::connector::{identity_clash, ConnectorError, CopyPlan, FailedWrite, MaybeWritten, Sink, WriteMode, WriteReport};
use crate::model::{Node, Properties, Relationship, Value};

/// Nodes written by one query: their sorted labels and how they are identified.
type NodeGroup<'a> = (Vec<String>, NodeIdentity<'a>);

/// What `prepare` learnt: the write mode, the migration-declared keys per label, and what to do
/// with a node lacking a key value.
type WritePlan = (WriteMode, NodeKeys, MissingKey);

pub struct Neo4jSink {
    client: Client,
    marker: String,
    id_property: String,
    enterprise: bool,
    plan: Mutex<Option<WritePlan>>,
    /// Label sets and relationship types a batch has already been written with.
    shapes: Mutex<HashSet<String>>,
    /// Held exclusively by a batch that writes a label set or relationship type for the first
    /// time, shared by every other batch. ArcadeDB creates a type the first time a label
    /// combination or relationship type is written, and two transactions creating the same type
    /// at once fail one of them with an unretryable SemanticError; running each shape's first
    /// batch alone avoids that. On Neo4j it costs one unshared batch per shape.
    first_writes: tokio::sync::RwLock<()>,
    maybe_written: MaybeWritten,
}

impl Neo4jSink {
    pub(super) fn new(client: Client, cfg: &super::Neo4jConfig) -> Self {
        Neo4jSink {
            client,
            marker: cfg.source_id_label.clone(),
            id_property: cfg.source_id_property.clone(),
            enterprise: cfg.use_enterprise_features,
            plan: Mutex::new(None),
            shapes: Mutex::new(HashSet::new()),
            first_writes: tokio::sync::RwLock::new(()),
            maybe_written: MaybeWritten::default(),
        }
    }

    /// Runs `queries` alone if they write a shape (see [`Neo4jSink::first_writes`]) for the
    /// first time, alongside other batches otherwise.
    async fn write_shapes(
        &self,
        action: &str,
        shapes: Vec<String>,
        queries: Vec<(neo4rs::Query, Option<FailedWrite>)>,
    ) -> Result<Vec<i64>, ConnectorError> {
        let known = |shapes: &[String]| {
            let seen = self.shapes.lock().expect("neo4j sink lock poisoned");
            shapes.iter().all(|s| seen.contains(s))
        };
        if known(&shapes) {
            let _shared = self.first_writes.read().await;
            return self.client.write_records(action, queries).await;
        }
        let _alone = self.first_writes.write().await;
        let counts = self.client.write_records(action, queries).await?;
        self.shapes.lock().expect("neo4j sink lock poisoned").extend(shapes);
        Ok(counts)
    }

    fn plan(&self) -> Result<WritePlan, ConnectorError> {
        self.plan
            .lock()
            .expect("neo4j sink lock poisoned")
            .clone()
            .ok_or_else(|| ConnectorError::fatal("Neo4j sink used before prepare"))
    }

    fn fatal(&self, message: String) -> ConnectorError {
        ConnectorError::fatal(format!("Neo4j target `{}`: {message}", self.client.target()))
    }

    /// How nodes identified as `identity` are written in `mode`.
    fn node_write(mode: WriteMode, identity: NodeIdentity<'_>) -> NodeWrite {
        match (mode, identity) {
            (WriteMode::Create, _) => NodeWrite::Create,
            (_, NodeIdentity::Keys { label, keys }) => {
                NodeWrite::MergeOnKeys { label: label.to_string(), keys: keys.to_vec() }
            }
            (_, NodeIdentity::SourceId) => NodeWrite::MergeOnSourceId,
        }
    }

    /// Neo4j stores only scalars, temporal values, points and homogeneous lists of them; say
    /// which property is not one instead of letting the server fail the batch unnamed.
    fn check_storable(&self, scope: &str, id: &str, props: &Properties) -> Result<(), ConnectorError> {
        if let Some(why) = identity_clash(scope, id, props, &self.id_property) {
            return Err(self.fatal(why));
        }
        for (name, value) in props {
            if let Some(why) = unstorable(value) {
                return Err(self.fatal(format!(
                    "{scope} with source id `{id}`: property `{name}` is {why}, which Neo4j cannot store as a property"
                )));
            }
        }
        Ok(())
    }
}

fn unstorable(value: &Value) -> Option<&'static str> {
    match value {
        Value::Map(_) => Some("a MAP"),
        Value::List(items) => {
            let first = items.first()?;
            if items.iter().any(|v| matches!(v, Value::List(_) | Value::Map(_) | Value::Null)) {
                Some("a LIST holding lists, maps or nulls")
            } else if items.iter().any(|v| std::mem::discriminant(v) != std::mem::discriminant(first)) {
                Some("a LIST of mixed types")
            } else {
                None
            }
        }
        _ => None,
    }
}

#[async_trait]
impl Sink for Neo4jSink {
    async fn prepare(&self, plan: &CopyPlan) -> Result<(), ConnectorError> {
        if plan.mode == WriteMode::Create && !plan.force {
            for label in plan.counts.labels.keys() {
                let rows = self.client.rows(query(&cypher::any_with_label(label))).await?;
                let any =
                    rows.first().map(|r| column::<bool>(self.client.target(), r, "c")).transpose()?.unwrap_or(false);
                if any {
                    return Err(self.fatal(format!(
                        "already holds nodes labelled `{label}`; create mode writes only into an empty target \
                         (use --force to write anyway, or --mode merge)"
                    )));
                }
            }
        }
        let mut schema = vec![query(&cypher::source_id_constraint(&self.marker, &self.id_property))];
        for (label, keys) in &plan.node_keys {
            if !keys.is_empty() && plan.counts.labels.contains_key(label) {
                schema.push(query(&cypher::key_index(label, keys, self.enterprise)));
            }
        }
        // Schema changes cannot share a transaction with each other on Neo4j.
        for q in schema {
            self.client.write("creating the source-id constraint and key indexes", vec![q]).await?;
        }
        *self.plan.lock().expect("neo4j sink lock poisoned") =
            Some((plan.mode, plan.node_keys.clone(), plan.missing_key));
        Ok(())
    }

    async fn write_nodes(&self, batch: &[Node]) -> Result<WriteReport, ConnectorError> {
        let (mode, keys, missing_key) = self.plan()?;
        let ids = batch.iter().map(|n| n.id.as_str());
        self.maybe_written.write(mode, ids, |mode| self.write_node_batch(mode, &keys, missing_key, batch)).await
    }

    async fn write_relationships(&self, batch: &[Relationship]) -> Result<WriteReport, ConnectorError> {
        let (mode, _, _) = self.plan()?;
        let ids = batch.iter().map(|r| r.id.as_str());
        self.maybe_written.write(mode, ids, |mode| self.write_relationship_batch(mode, batch)).await
    }

    async fn finish(&self) -> Result<(), ConnectorError> {
        // Every batch was committed when acknowledged.
        Ok(())
    }
}

impl Neo4jSink {
    /// Writes nodes in `mode`: the copy's, or merge for a batch that may have landed before
    /// (see [`MaybeWritten`]).
    async fn write_node_batch(
        &self,
        mode: WriteMode,
        keys: &NodeKeys,
        missing_key: MissingKey,
        batch: &[Node],
    ) -> Result<WriteReport, ConnectorError> {
        // Per label set and identity (a node lacking a key value may be identified by its
        // source id while the rest of its label set goes by keys): the nodes and their rows.
        let mut groups: BTreeMap<NodeGroup, (Vec<&Node>, Vec<BoltType>)> = BTreeMap::new();
        for node in batch {
            let one = || FailedWrite::nodes([node]);
            self.check_storable(&format!("node {:?}", node.labels), &node.id, &node.properties)
                .map_err(|e| e.in_write(one()))?;
            let identity = node_identity(node, keys, missing_key, self.client.target())?;
            let mut labels = node.labels.clone();
            labels.sort();
            labels.dedup();
            let row = bolt_map([
                ("id", BoltType::from(node.id.as_str())),
                ("props", BoltType::Map(properties_to_bolt(&node.properties))),
            ]);
            let (nodes, rows) = groups.entry((labels, identity)).or_default();
            nodes.push(node);
            rows.push(row);
        }
        let mut queries = Vec::with_capacity(2 * groups.len());
        // Per group: its nodes, and how many of the queries (in order) write them.
        let mut expected = Vec::with_capacity(groups.len());
        let shapes = groups.keys().map(|(labels, _)| format!("node {labels:?}")).collect();
        for ((labels, identity), (nodes, rows)) in groups {
            let write = Self::node_write(mode, identity);
            let texts = cypher::write_nodes(&write, &labels, &self.marker, &self.id_property);
            let records = FailedWrite::nodes(nodes);
            expected.push((labels.clone(), records.clone(), texts.len()));
            let rows = bolt_list(rows);
            queries.extend(texts.iter().map(|t| (query(t).param("rows", rows.clone()), Some(records.clone()))));
        }
        let counts = self.write_shapes("writing nodes", shapes, queries).await?;
        let mut counts = counts.into_iter();
        for (labels, records, parts) in expected {
            let got: i64 = counts.by_ref().take(parts).sum();
            let want = records.count;
            if got != want as i64 {
                return Err(self.fatal(format!("a batch of {want} nodes labelled {labels:?} wrote {got}")).in_write(records));
            }
        }
        Ok(WriteReport::default())
    }

    async fn write_relationship_batch(
        &self,
        mode: WriteMode,
        batch: &[Relationship],
    ) -> Result<WriteReport, ConnectorError> {
        let mut groups: BTreeMap<&str, (Vec<&Relationship>, Vec<BoltType>)> = BTreeMap::new();
        for rel in batch {
            self.check_storable(&format!("relationship of type `{}`", rel.rel_type), &rel.id, &rel.properties)
                .map_err(|e| e.in_write(FailedWrite::relationships([rel])))?;
            let row = bolt_map([
                ("id", BoltType::from(rel.id.as_str())),
                ("s", BoltType::from(rel.start.as_str())),
                ("e", BoltType::from(rel.end.as_str())),
                ("props", BoltType::Map(properties_to_bolt(&rel.properties))),
            ]);
            let (rels, rows) = groups.entry(rel.rel_type.as_str()).or_default();
            rels.push(rel);
            rows.push(row);
        }
        let create = mode == WriteMode::Create;
        let mut queries = Vec::with_capacity(groups.len());
        let mut expected = Vec::with_capacity(groups.len());
        let shapes = groups.keys().map(|t| format!("relationship {t:?}")).collect();
        for (rel_type, (rels, rows)) in groups {
            let records = FailedWrite::relationships(rels);
            expected.push((rel_type, records.clone()));
            queries.push((
                query(&cypher::write_relationships(rel_type, create, &self.marker, &self.id_property))
                    .param("rows", bolt_list(rows)),
                Some(records),
            ));
        }
        let counts = self.write_shapes("writing relationships", shapes, queries).await?;
        for ((rel_type, records), got) in expected.into_iter().zip(counts) {
            let want = records.count;
            if got != want as i64 {
                // The endpoint MATCHes found nothing for some rows: never drop them silently.
                return Err(self.fatal(format!(
                    "a batch of {want} relationships of type `{rel_type}` wrote {got}: {} endpoint node(s) are not in the \
                     target (copy their nodes first, or select them with --node)",
                    want as i64 - got
                ))
                .in_write(records));
            }
        }
        Ok(WriteReport::default())
    }
}
