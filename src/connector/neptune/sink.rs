//! Writing a copy into Neptune: batched `UNWIND ... MERGE` (or `CREATE`) keyed on `~id`, one
//! request per label set or relationship type present in a batch.
//!
//! Identity: a node's `~id` is its nodestream id when the migrations declare keys for one of its
//! labels, else its source id ([`identity`](super::identity)). A relationship's `~id` is its
//! source id (Database); Analytics assigns relationship ids itself, so there a property
//! (`source_id_property`) carries the source id and the MERGE is on it. Parallel relationships
//! have distinct source ids and stay distinct; a re-run finds every record by its id and
//! creates nothing twice.
//!
//! Values are encoded per the target's `temporal_encoding` ([`encoding`](super::encoding)); a
//! request holds records whose DateTime properties have the same names, since its query sets
//! each of them through `datetime(...)`.
//!
//! Create mode is not idempotent, yet the pipeline may retry a batch whose first attempt landed
//! (a connection cut after the server committed). So ids of a failed create batch are
//! remembered, and any batch holding one of them is written with MERGE instead.

use std::collections::{BTreeMap, HashMap};
use std::sync::RwLock;

use async_trait::async_trait;
use serde_json::{json, Map, Value as Json};

use super::client::Client;
use super::config::{NeptuneMode, TemporalEncoding};
use super::encoding::{encode_properties, EncodedProperties, Refused};
use super::identity::{node_id, NodeKeys};
use super::query::{self, RelIdentity};
use crate::connector::keyed::{node_identity, MissingKey, NodeIdentity};
use crate::connector::{
    identity_clash, ConnectorError, ConversionKey, Conversions, CopyPlan, ErrorClass, FailedWrite, MaybeWritten, Sink,
    WriteMode, WriteReport,
};
use crate::model::{Node, Relationship};

/// Far below Neptune's 150 MiB request limit, and small enough that a batch is written in
/// seconds, well inside the query timeout.
const MAX_BATCH_BYTES: usize = 8 * 1024 * 1024;

const NO_LABEL: &str = "(no label)";

/// Neptune gives every node a label; one copied without any gets `vertex`.
fn unlabeled_key() -> ConversionKey {
    ConversionKey {
        scope: NO_LABEL.into(),
        property: "(labels)".into(),
        conversion: "no label -> `vertex` (Neptune's default label)",
    }
}

pub struct NeptuneSink {
    client: Client,
    source_id_property: String,
    temporal: TemporalEncoding,
    plan: RwLock<Option<Plan>>,
    /// Source id → `~id` for nodes identified by their keys, so relationships find them.
    keyed_ids: RwLock<HashMap<String, String>>,
    maybe_written: MaybeWritten,
}

/// A node and how the copy identifies it.
type IdentifiedNode<'a> = (&'a Node, NodeIdentity<'a>);

#[derive(Clone)]
struct Plan {
    mode: WriteMode,
    strict: bool,
    node_keys: NodeKeys,
    missing_key: MissingKey,
}

impl NeptuneSink {
    pub fn new(client: Client, source_id_property: String, temporal: TemporalEncoding) -> Self {
        NeptuneSink {
            client,
            source_id_property,
            temporal,
            plan: RwLock::new(None),
            keyed_ids: RwLock::new(HashMap::new()),
            maybe_written: MaybeWritten::default(),
        }
    }

    fn plan(&self) -> Result<Plan, ConnectorError> {
        self.plan
            .read()
            .expect("lock poisoned")
            .clone()
            .ok_or_else(|| ConnectorError::fatal("Neptune sink used before prepare"))
    }

    fn refused(&self, scope: &str, r: Refused) -> ConnectorError {
        ConnectorError::fatal(format!(
            "target `{}`: {scope}.{} holds a {} value, which Neptune cannot store as is (it would become {}); --strict-types refuses it",
            self.client.target(),
            r.property,
            r.type_name,
            r.conversion
        ))
        .with_code("StrictTypes")
    }

    /// Sends one write of `records` and checks that every row was written. Its errors name
    /// `records`, not the whole batch.
    async fn write(&self, text: &str, rows: Vec<Json>, what: &str, records: FailedWrite) -> Result<(), ConnectorError> {
        let expected = rows.len() as u64;
        let mut params = Map::new();
        params.insert("rows".into(), Json::Array(rows));
        let answer = self.client.query(text, params).await.map_err(|e| e.in_write(records.clone()))?;
        let written = answer.first().and_then(|r| r.get("written")).and_then(Json::as_u64).unwrap_or(0);
        if written != expected {
            return Err(ConnectorError {
                class: ErrorClass::Retryable,
                code: None,
                message: format!(
                    "target `{}`: only {written} of {expected} {what} were written{}",
                    self.client.target(),
                    if what.starts_with("relationships") {
                        " (is an endpoint node missing in the target? nodes are written before relationships)"
                    } else {
                        ""
                    }
                ),
                source: None,
                write: Some(Box::new(records)),
            });
        }
        Ok(())
    }

    async fn write_node_groups(
        &self,
        plan: &Plan,
        mode: WriteMode,
        batch: &[Node],
        conversions: &mut Conversions,
    ) -> Result<(), ConnectorError> {
        // Per primary label (the keyed one, else the first) and label set: the nodes and how
        // each is identified.
        let mut groups: BTreeMap<(Option<&str>, &[String]), Vec<IdentifiedNode>> = BTreeMap::new();
        for node in batch {
            let identity = node_identity(node, &plan.node_keys, plan.missing_key, self.client.target())?;
            let primary = match identity {
                NodeIdentity::Keys { label, .. } => Some(label),
                NodeIdentity::SourceId => node.labels.first().map(String::as_str),
            };
            groups.entry((primary, node.labels.as_slice())).or_default().push((node, identity));
        }
        // Encode every group before sending any, so a refused value (--strict-types) stops the
        // batch before part of it is written.
        let mut requests = Vec::with_capacity(groups.len());
        for ((primary, labels), nodes) in groups {
            let scope = primary.unwrap_or(NO_LABEL);
            if labels.is_empty() {
                *conversions.entry(unlabeled_key()).or_default() += nodes.len() as u64;
            }
            let mut rows = Vec::with_capacity(nodes.len());
            for &(node, identity) in &nodes {
                let props = encode_properties(&node.properties, scope, self.temporal, plan.strict, conversions)
                    .map_err(|r| self.refused(scope, r).in_write(FailedWrite::nodes([node])))?;
                let id = node_id(node, identity);
                if id != node.id {
                    self.keyed_ids.write().expect("lock poisoned").insert(node.id.clone(), id.clone());
                }
                rows.push((json!({ "id": id }), props, node));
            }
            let what =
                format!("nodes labelled {}", if labels.is_empty() { NO_LABEL.to_string() } else { labels.join(":") });
            for (datetimes, rows, nodes) in by_datetime_names(rows) {
                let records = FailedWrite::nodes(nodes);
                requests.push((query::write_nodes(labels, mode, &datetimes), rows, what.clone(), records));
            }
        }
        for (text, rows, what, records) in requests {
            self.write(&text, rows, &what, records).await?;
        }
        Ok(())
    }

    async fn write_relationship_groups(
        &self,
        plan: &Plan,
        mode: WriteMode,
        batch: &[Relationship],
        conversions: &mut Conversions,
    ) -> Result<(), ConnectorError> {
        let identity = match self.client.mode() {
            NeptuneMode::Database => RelIdentity::Id,
            NeptuneMode::Analytics => RelIdentity::Property(&self.source_id_property),
        };
        let mut groups: BTreeMap<&str, Vec<&Relationship>> = BTreeMap::new();
        for rel in batch {
            groups.entry(rel.rel_type.as_str()).or_default().push(rel);
        }
        let mut requests = Vec::with_capacity(groups.len());
        for (rel_type, rels) in groups {
            let mut rows = Vec::with_capacity(rels.len());
            {
                let keyed = self.keyed_ids.read().expect("lock poisoned");
                let endpoint = |id: &String| keyed.get(id).unwrap_or(id).clone();
                for rel in &rels {
                    if let RelIdentity::Property(name) = identity {
                        let scope = format!("relationship of type `{rel_type}`");
                        if let Some(why) = identity_clash(&scope, &rel.id, &rel.properties, name) {
                            return Err(ConnectorError::fatal(format!("target `{}`: {why}", self.client.target()))
                                .in_write(FailedWrite::relationships([*rel])));
                        }
                    }
                    let props = encode_properties(&rel.properties, rel_type, self.temporal, plan.strict, conversions)
                        .map_err(|r| self.refused(rel_type, r).in_write(FailedWrite::relationships([*rel])))?;
                    let row = json!({ "id": rel.id, "s": endpoint(&rel.start), "e": endpoint(&rel.end) });
                    rows.push((row, props, *rel));
                }
            }
            let what = format!("relationships of type {rel_type}");
            for (datetimes, rows, rels) in by_datetime_names(rows) {
                let records = FailedWrite::relationships(rels);
                let text = query::write_relationships(rel_type, identity, mode, &datetimes);
                requests.push((text, rows, what.clone(), records));
            }
        }
        for (text, rows, what, records) in requests {
            self.write(&text, rows, &what, records).await?;
        }
        Ok(())
    }

    /// Create mode: refuses a target that already holds a label or type about to be copied.
    async fn check_empty(&self, plan: &CopyPlan) -> Result<(), ConnectorError> {
        let checks = plan.counts.labels.keys().map(|l| (query::any_node(l), format!("nodes labelled {l}"))).chain(
            plan.counts
                .relationship_types
                .keys()
                .map(|t| (query::any_relationship(t), format!("relationships of type {t}"))),
        );
        for (text, what) in checks {
            if !self.client.query(&text, Map::new()).await?.is_empty() {
                return Err(ConnectorError::fatal(format!(
                    "target `{}` already holds {what}; create mode writes only into an empty target (use --force to write anyway, or --mode merge)",
                    self.client.target()
                )));
            }
        }
        Ok(())
    }
}

/// Completes rows (`p`, and `t` when a row has DateTime properties) and splits them by the names
/// of their DateTime properties, in first-seen order: one request per set of names.
fn by_datetime_names<R>(rows: Vec<(Json, EncodedProperties, R)>) -> Vec<(Vec<String>, Vec<Json>, Vec<R>)> {
    let mut out: Vec<(Vec<String>, Vec<Json>, Vec<R>)> = Vec::new();
    for (mut row, props, record) in rows {
        let names: Vec<String> = props.datetimes.keys().cloned().collect();
        row["p"] = Json::Object(props.plain);
        if !props.datetimes.is_empty() {
            row["t"] = Json::Object(props.datetimes);
        }
        match out.iter_mut().find(|(n, _, _)| *n == names) {
            Some((_, group, records)) => {
                group.push(row);
                records.push(record);
            }
            None => out.push((names, vec![row], vec![record])),
        }
    }
    out
}

#[async_trait]
impl Sink for NeptuneSink {
    async fn prepare(&self, plan: &CopyPlan) -> Result<(), ConnectorError> {
        // One round trip before reading anything: wrong credentials or endpoint fail here.
        self.client.query("RETURN 1 AS ok", Map::new()).await?;
        if plan.mode == WriteMode::Create && !plan.force {
            self.check_empty(plan).await?;
        }
        // Neptune indexes `~id` itself: there is nothing to create for the copy.
        *self.plan.write().expect("lock poisoned") =
            Some(Plan {
                mode: plan.mode,
                strict: plan.strict_types,
                node_keys: plan.node_keys.clone(),
                missing_key: plan.missing_key,
            });
        Ok(())
    }

    fn max_batch_bytes(&self) -> Option<usize> {
        Some(MAX_BATCH_BYTES)
    }

    async fn write_nodes(&self, batch: &[Node]) -> Result<WriteReport, ConnectorError> {
        let plan = self.plan()?;
        let mut conversions = Conversions::new();
        let ids = batch.iter().map(|n| n.id.as_str());
        self.maybe_written
            .write(plan.mode, ids, |mode| self.write_node_groups(&plan, mode, batch, &mut conversions))
            .await?;
        Ok(WriteReport { conversions })
    }

    async fn write_relationships(&self, batch: &[Relationship]) -> Result<WriteReport, ConnectorError> {
        let plan = self.plan()?;
        let mut conversions = Conversions::new();
        let ids = batch.iter().map(|r| r.id.as_str());
        self.maybe_written
            .write(plan.mode, ids, |mode| self.write_relationship_groups(&plan, mode, batch, &mut conversions))
            .await?;
        Ok(WriteReport { conversions })
    }

    async fn finish(&self) -> Result<(), ConnectorError> {
        // Every acknowledged write is already committed: Neptune commits each query.
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(plain: Json, datetimes: Json) -> EncodedProperties {
        let map = |j: Json| j.as_object().cloned().unwrap_or_default();
        EncodedProperties { plain: map(plain), datetimes: map(datetimes) }
    }

    /// A request's query sets one fixed list of DateTime properties, so rows are split by it;
    /// a row without any carries no `t`.
    #[test]
    fn rows_are_split_by_their_datetime_property_names() {
        let rows = vec![
            (json!({"id": "a"}), props(json!({"n": 1}), json!({"born": "2024-02-29T00:00:00.000Z"})), 'a'),
            (json!({"id": "b"}), props(json!({"n": 2}), json!({})), 'b'),
            (json!({"id": "c"}), props(json!({}), json!({"born": "1900-01-01T00:00:00.000Z"})), 'c'),
        ];
        let groups = by_datetime_names(rows);
        assert_eq!(groups.len(), 2);
        assert_eq!(groups[0].0, ["born"]);
        assert_eq!(
            groups[0].1,
            [
                json!({"id": "a", "p": {"n": 1}, "t": {"born": "2024-02-29T00:00:00.000Z"}}),
                json!({"id": "c", "p": {}, "t": {"born": "1900-01-01T00:00:00.000Z"}})
            ]
        );
        assert_eq!(groups[0].2, ['a', 'c'], "each request keeps its own records, for error messages");
        assert_eq!(groups[1], (vec![], vec![json!({"id": "b", "p": {"n": 2}})], vec!['b']));
    }
}
