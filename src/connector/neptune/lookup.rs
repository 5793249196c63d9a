//! Reading back what a copy wrote into Neptune, for `graphferry verify`: nodes by the `~id` the
//! sink gave them (the source id, or nodestream's id from migration keys), relationships by
//! their `~id` (database mode) or source-id property (analytics mode). The expected form of a
//! source record is the sink's encoding read back the way the source reads it, so a documented
//! encoding (a Date stored as an ISO string, a list as a set) is not a difference.

use std::collections::HashMap;

use async_trait::async_trait;
use serde_json::{json, Map, Value as Json};

use super::config::NeptuneMode;
use super::encoding::encode;
use super::identity::{copied_id, NodeKeys};
use super::query::quote;
use super::source::{value, NeptuneSource};
use crate::connector::{ConnectorError, CopiedLookup};
use crate::model::{Node, Properties, Relationship};

/// The label Neptune gives a node that has none.
const DEFAULT_LABEL: &str = "vertex";

pub struct NeptuneLookup {
    source: NeptuneSource,
    keys: NodeKeys,
}

impl NeptuneLookup {
    pub fn new(source: NeptuneSource, keys: NodeKeys) -> Self {
        NeptuneLookup { source, keys }
    }

    fn ids_param(ids: Vec<String>) -> Map<String, Json> {
        let mut m = Map::new();
        m.insert("ids".into(), json!(ids));
        m
    }

    /// Whether `target_id` can be the node a source endpoint `source_id` was copied to. With
    /// migration keys the `~id` is computed from the endpoint's key values, which a relationship
    /// alone does not carry, so a keyed id is accepted as long as the node exists (verify's
    /// dangling check sees to that).
    fn same_endpoint(&self, source_id: &str, target_id: &str) -> bool {
        source_id == target_id || self.keys.keys().any(|label| target_id.starts_with(&format!("{label}_")))
    }
}

fn expected_properties(props: &Properties) -> Properties {
    props.iter().filter_map(|(k, v)| encode(v).0.map(|json| (k.clone(), value(&json)))).collect()
}

#[async_trait]
impl CopiedLookup for NeptuneLookup {
    async fn find_nodes(&self, source: &[Node]) -> Result<Vec<Node>, ConnectorError> {
        let by_target: HashMap<String, &str> = source.iter().map(|n| (copied_id(n, &self.keys), n.id.as_str())).collect();
        let rows = self
            .source
            .rows("MATCH (n) WHERE id(n) IN $ids RETURN n", Self::ids_param(by_target.keys().cloned().collect()))
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            let mut node = self.source.decode_node(row)?;
            if let Some(source_id) = by_target.get(&node.id) {
                node.id = source_id.to_string();
                out.push(node);
            }
        }
        Ok(out)
    }

    async fn find_relationships(&self, source: &[Relationship]) -> Result<Vec<Relationship>, ConnectorError> {
        let ids: Vec<String> = source.iter().map(|r| r.id.clone()).collect();
        let text = match self.source.mode() {
            NeptuneMode::Database => "MATCH ()-[r]->() WHERE id(r) IN $ids RETURN r".to_string(),
            NeptuneMode::Analytics => {
                format!("MATCH ()-[r]->() WHERE r.{} IN $ids RETURN r", quote(self.source.source_id_property()))
            }
        };
        let rows = self.source.rows(&text, Self::ids_param(ids)).await?;
        let wanted: HashMap<&str, &Relationship> = source.iter().map(|r| (r.id.as_str(), r)).collect();
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            let mut rel = self.source.decode_relationship(row)?;
            let Some(src) = wanted.get(rel.id.as_str()) else { continue };
            // Endpoints are named by the source's ids, as verify compares them.
            if self.same_endpoint(&src.start, &rel.start) {
                rel.start = src.start.clone();
            }
            if self.same_endpoint(&src.end, &rel.end) {
                rel.end = src.end.clone();
            }
            out.push(rel);
        }
        Ok(out)
    }

    fn expected_node(&self, node: &Node) -> Node {
        let labels = if node.labels.is_empty() { vec![DEFAULT_LABEL.to_string()] } else { node.labels.clone() };
        Node { id: node.id.clone(), labels, properties: expected_properties(&node.properties) }
    }

    fn expected_relationship(&self, rel: &Relationship) -> Relationship {
        Relationship { properties: expected_properties(&rel.properties), ..rel.clone() }
    }

    fn synthetic_labels(&self) -> &'static [&'static str] {
        &[DEFAULT_LABEL]
    }
}
