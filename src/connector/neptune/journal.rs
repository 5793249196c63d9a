//! A copy's journal and `graphferry rollback` on Neptune (see
//! [`Journaled`](crate::connector::Journaled)).
//!
//! Records are found by the ids the sink gives them: a node by its `~id` (its source id, or the
//! id built from migration keys, which the journal keeps as the node's target id), a
//! relationship by its `~id` (Database) or by the property holding its source id (Analytics,
//! which assigns relationship ids itself). A copy never changes a node's labels on Neptune (its
//! MERGE names every label, and a node holding others fails on its `~id`), so a restore puts
//! the properties back: `SET x = map`, which replaces them all (NEPTUNE.md: `removeKeyFromMap`
//! exists "for stripping a key before `SET n = map`").
//!
//! Before-images are read as Neptune answers: a DateTime property comes back as its text (the
//! JSON answer has no DateTime), so a restore writes it back as that text, a String.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use serde_json::{json, Map, Value as Json};

use super::client::Client;
use super::config::{NeptuneMode, TemporalEncoding};
use super::encoding::encode_properties;
use super::identity::{node_id, NodeKeys};
use super::query::{self, quote};
use super::source::NeptuneSource;
use crate::connector::keyed::{node_identity, MissingKey};
use crate::connector::{Attached, ConnectorError, CopyPlan, Journaled, RelationshipRef};
use crate::model::{Node, Properties, Relationship, Value};

pub struct NeptuneJournal {
    /// Writes (deletes, restores): one try each, the rollback retries.
    client: Client,
    /// Reads (before-images), decoded as the source decodes them.
    source: NeptuneSource,
    source_id_property: String,
    temporal: TemporalEncoding,
    identity: Mutex<(NodeKeys, MissingKey)>,
}

impl NeptuneJournal {
    pub(super) fn new(client: Client, source: NeptuneSource, cfg: &super::NeptuneConfig) -> Self {
        NeptuneJournal {
            client,
            source,
            source_id_property: cfg.source_id_property.clone(),
            temporal: cfg.temporal_encoding,
            identity: Mutex::new((NodeKeys::new(), MissingKey::Fail)),
        }
    }

    fn analytics(&self) -> bool {
        self.client.mode() == NeptuneMode::Analytics
    }

    /// `r`'s id as the copy gave it: `id(r)`, or the source-id property on Analytics.
    fn rel_key(&self) -> String {
        if self.analytics() {
            format!("r.{}", quote(&self.source_id_property))
        } else {
            "id(r)".to_string()
        }
    }

    fn params(entries: impl IntoIterator<Item = (&'static str, Json)>) -> Map<String, Json> {
        entries.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
    }

    async fn count(&self, text: &str, params: Map<String, Json>) -> Result<u64, ConnectorError> {
        let rows = self.client.query(text, params).await?;
        Ok(rows.iter().filter_map(|r| r.get("c")).filter_map(Json::as_u64).sum())
    }

    /// `props` as Neptune takes them in `SET x = map` (before-images hold Neptune's own values).
    fn encoded(&self, scope: &str, props: &Properties) -> Json {
        let mut conversions = Default::default();
        match encode_properties(props, scope, self.temporal, false, &mut conversions) {
            Ok(p) => {
                let mut plain = p.plain;
                plain.extend(p.datetimes);
                Json::Object(plain)
            }
            Err(_) => Json::Object(Map::new()), // not strict: never refused
        }
    }
}

pub fn delete_relationships(key: &str) -> String {
    format!("UNWIND $ids AS i MATCH ()-[r]->() WHERE {key} = i DELETE r RETURN count(*) AS c")
}

pub fn delete_nodes(detach: bool) -> String {
    let delete = if detach { "DETACH DELETE" } else { "DELETE" };
    format!("UNWIND $ids AS i MATCH (n) WHERE id(n) = i {delete} n RETURN count(*) AS c")
}

pub fn restore_nodes() -> &'static str {
    "UNWIND $rows AS row MATCH (n) WHERE id(n) = row.id SET n = row.p RETURN count(*) AS c"
}

pub fn restore_relationships(key: &str) -> String {
    format!("UNWIND $rows AS row MATCH ()-[r]->() WHERE {key} = row.id SET r = row.p RETURN count(*) AS c")
}

#[async_trait]
impl Journaled for NeptuneJournal {
    async fn prepare(&self, plan: &CopyPlan) -> Result<bool, ConnectorError> {
        *self.identity.lock().expect("neptune journal lock poisoned") = (plan.node_keys.clone(), plan.missing_key);
        // A MERGE matches a node of the same labels and `~id`, a relationship of the same type
        // and id: none can be there if no node of a copied label and no relationship of a
        // copied type is.
        let checks = plan.counts.labels.keys().map(|l| query::any_node(l)).chain(
            plan.counts.relationship_types.keys().map(|t| query::any_relationship(t)),
        );
        for text in checks {
            if !self.client.query(&text, Map::new()).await?.is_empty() {
                return Ok(false);
            }
        }
        Ok(true)
    }

    fn target_id(&self, node: &Node) -> Option<String> {
        let identity = self.identity.lock().expect("neptune journal lock poisoned");
        let (keys, missing) = &*identity;
        let by = node_identity(node, keys, *missing, self.client.target()).ok()?;
        Some(node_id(node, by)).filter(|id| *id != node.id)
    }

    async fn before_nodes(&self, batch: &[Node]) -> Result<Vec<Node>, ConnectorError> {
        let by_target: HashMap<String, &str> =
            batch.iter().map(|n| (self.target_id(n).unwrap_or_else(|| n.id.clone()), n.id.as_str())).collect();
        let ids: Vec<&String> = by_target.keys().collect();
        let rows = self.source.rows("MATCH (n) WHERE id(n) IN $ids RETURN n", Self::params([("ids", json!(ids))])).await?;
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

    async fn before_relationships(&self, batch: &[Relationship]) -> Result<Vec<Relationship>, ConnectorError> {
        let ids: Vec<&str> = batch.iter().map(|r| r.id.as_str()).collect();
        let text = format!("MATCH ()-[r]->() WHERE {} IN $ids RETURN r", self.rel_key());
        let rows = self.source.rows(&text, Self::params([("ids", json!(ids))])).await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            let mut rel = self.source.decode_relationship(row)?;
            if self.analytics() {
                // Decoded as a source reads it, without the property that is its identity here.
                rel.properties.insert(self.source_id_property.clone(), Value::String(rel.id.clone()));
            }
            out.push(rel);
        }
        Ok(out)
    }

    async fn delete_relationships(&self, rels: &[RelationshipRef]) -> Result<u64, ConnectorError> {
        let ids: Vec<&str> = rels.iter().map(|r| r.id.as_str()).collect();
        self.count(&delete_relationships(&self.rel_key()), Self::params([("ids", json!(ids))])).await
    }

    async fn attached(&self, nodes: &[String]) -> Result<Vec<Attached>, ConnectorError> {
        let text = format!("MATCH (n)-[r]-() WHERE id(n) IN $ids RETURN id(n) AS node, {} AS rel", self.rel_key());
        let rows = self.client.query(&text, Self::params([("ids", json!(nodes))])).await?;
        Ok(rows
            .iter()
            .filter_map(|r| {
                let node = r.get("node")?.as_str()?.to_string();
                Some(Attached { node, relationship: r.get("rel").and_then(Json::as_str).map(str::to_string) })
            })
            .collect())
    }

    async fn delete_nodes(&self, nodes: &[String], detach: bool) -> Result<u64, ConnectorError> {
        self.count(&delete_nodes(detach), Self::params([("ids", json!(nodes))])).await
    }

    async fn restore_nodes(&self, images: &[Node]) -> Result<u64, ConnectorError> {
        let rows: Vec<Json> = images
            .iter()
            .map(|n| json!({"id": n.id, "p": self.encoded(n.labels.first().map_or("node", String::as_str), &n.properties)}))
            .collect();
        self.count(restore_nodes(), Self::params([("rows", Json::Array(rows))])).await
    }

    async fn restore_relationships(&self, images: &[Relationship]) -> Result<u64, ConnectorError> {
        let rows: Vec<Json> =
            images.iter().map(|r| json!({"id": r.id, "p": self.encoded(&r.rel_type, &r.properties)})).collect();
        self.count(&restore_relationships(&self.rel_key()), Self::params([("rows", Json::Array(rows))])).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements() {
        assert_eq!(
            delete_relationships("id(r)"),
            "UNWIND $ids AS i MATCH ()-[r]->() WHERE id(r) = i DELETE r RETURN count(*) AS c"
        );
        assert!(delete_nodes(true).contains("DETACH DELETE n"));
        assert_eq!(
            restore_relationships("r.`_id`"),
            "UNWIND $rows AS row MATCH ()-[r]->() WHERE r.`_id` = row.id SET r = row.p RETURN count(*) AS c"
        );
    }
}
