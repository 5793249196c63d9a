//! A copy's journal and `graphferry rollback` on a Neo4j database (see
//! [`Journaled`](crate::connector::Journaled)).
//!
//! Before-images are found exactly as the sink finds what it updates: a node by the identity
//! label and source-id property, or, for a label with migration-declared keys, by its key values;
//! a relationship by its source id among its start node's outgoing relationships. The undo finds
//! every record by the source id the copy stored on it (a node found by keys got it too).
//!
//! Restoring replaces properties wholesale (`SET n = map`, which Cypher defines as replacing all
//! of them; Neo4j Cypher manual, "SET": "Replace all properties using a map and =") and resets
//! labels: the labels a node holds now but its image lacks are removed, the image's are set.
//! Labels cannot be parameters in Cypher 5 (dynamic labels are new in 5.26 and not in ArcadeDB),
//! so a restore reads the current labels first and sends one statement per label change.

use std::collections::BTreeMap;
use std::sync::Mutex;

use async_trait::async_trait;
use neo4rs::{query, BoltType, Row};

use super::client::{bolt_column, column, Client};
use super::cypher::{self, labels as label_pattern, quote};
use super::value::{bolt_list, bolt_map, properties_from_bolt, properties_to_bolt};
use crate::connector::keyed::{node_identity, MissingKey, NodeIdentity, NodeKeys};
use crate::connector::{Attached, ConnectorError, CopyPlan, Journaled, RelationshipRef};
use crate::model::{Node, Properties, Relationship};

pub struct Neo4jJournal {
    client: Client,
    marker: String,
    id_property: String,
    /// The copy's node keys and missing-key rule, from `prepare`.
    identity: Mutex<(NodeKeys, MissingKey)>,
}

impl Neo4jJournal {
    pub(super) fn new(client: Client, cfg: &super::Neo4jConfig) -> Self {
        Neo4jJournal {
            client,
            marker: cfg.source_id_label.clone(),
            id_property: cfg.source_id_property.clone(),
            identity: Mutex::new((NodeKeys::new(), MissingKey::Fail)),
        }
    }

    fn fatal(&self, message: String) -> ConnectorError {
        ConnectorError::fatal(format!("Neo4j target `{}`: {message}", self.client.target()))
    }

    fn properties(&self, row: &Row, what: &str, id: &str) -> Result<Properties, ConnectorError> {
        match bolt_column(self.client.target(), row, "props")? {
            BoltType::Map(map) => {
                properties_from_bolt(&map).map_err(|e| self.fatal(format!("{what} with source id `{id}`: {e}")))
            }
            _ => Err(self.fatal("properties are not a map".into())),
        }
    }

    fn nodes_from(&self, rows: &[Row]) -> Result<Vec<Node>, ConnectorError> {
        let target = self.client.target();
        rows.iter()
            .map(|row| {
                let id: String = column(target, row, "id")?;
                let mut labels: Vec<String> = column(target, row, "labels")?;
                labels.sort();
                let properties = self.properties(row, "node", &id)?;
                Ok(Node { id, labels, properties })
            })
            .collect()
    }

    /// The current labels of these nodes, by source id.
    async fn current_labels(&self, ids: &[&str]) -> Result<BTreeMap<String, Vec<String>>, ConnectorError> {
        let list = bolt_list(ids.iter().map(|i| BoltType::from(*i)).collect());
        let rows = self.client.rows(query(&labels_query(&self.marker, &self.id_property)).param("ids", list)).await?;
        let target = self.client.target();
        rows.iter().map(|r| Ok((column::<String>(target, r, "id")?, column::<Vec<String>>(target, r, "labels")?))).collect()
    }
}

/// Before-images of nodes identified by source id. Rows: `{id, props}`.
pub fn nodes_by_source_id(marker: &str, id_property: &str) -> String {
    let (m, id) = (quote(marker), quote(id_property));
    format!("UNWIND $rows AS row MATCH (n:{m} {{{id}: row.id}}) RETURN row.id AS id, labels(n) AS labels, properties(n) AS props")
}

/// Before-images of nodes identified by the keys of `label`, as the sink's MERGE on keys finds
/// them. Rows: `{id, props}` (props holding the key values).
pub fn nodes_by_keys(label: &str, keys: &[String]) -> String {
    let key_map: Vec<String> = keys.iter().map(|k| format!("{q}: row.props.{q}", q = quote(k))).collect();
    format!(
        "UNWIND $rows AS row MATCH (n{} {{{}}}) RETURN row.id AS id, labels(n) AS labels, properties(n) AS props",
        label_pattern(&[label.to_string()]),
        key_map.join(", ")
    )
}

/// Before-images of relationships, found as the sink's MERGE finds them: between the two
/// endpoints, by source id. Rows: `{id, s, e}`.
pub fn relationships_by_source_id(marker: &str, id_property: &str) -> String {
    let (m, id) = (quote(marker), quote(id_property));
    format!(
        "UNWIND $rows AS row MATCH (a:{m} {{{id}: row.s}})-[r]->(b:{m} {{{id}: row.e}}) WHERE r.{id} = row.id \
         RETURN row.id AS id, type(r) AS t, row.s AS s, row.e AS e, properties(r) AS props"
    )
}

/// Rows: `{id, s, e}`.
pub fn delete_relationships(marker: &str, id_property: &str) -> String {
    let (m, id) = (quote(marker), quote(id_property));
    format!(
        "UNWIND $rows AS row MATCH (a:{m} {{{id}: row.s}})-[r]->(b:{m} {{{id}: row.e}}) WHERE r.{id} = row.id \
         DELETE r RETURN count(*) AS c"
    )
}

pub fn attached(marker: &str, id_property: &str) -> String {
    let (m, id) = (quote(marker), quote(id_property));
    format!("UNWIND $ids AS i MATCH (n:{m} {{{id}: i}})-[r]-() RETURN i AS node, r.{id} AS rel")
}

pub fn delete_nodes(marker: &str, id_property: &str, detach: bool) -> String {
    let (m, id) = (quote(marker), quote(id_property));
    let delete = if detach { "DETACH DELETE" } else { "DELETE" };
    format!("UNWIND $ids AS i MATCH (n:{m} {{{id}: i}}) {delete} n RETURN count(*) AS c")
}

fn labels_query(marker: &str, id_property: &str) -> String {
    let (m, id) = (quote(marker), quote(id_property));
    format!("UNWIND $ids AS i MATCH (n:{m} {{{id}: i}}) RETURN i AS id, labels(n) AS labels")
}

/// Restores nodes whose labels change by `remove` and `set`. Rows: `{id, props}`. The match
/// comes first, so a node whose image lacks the identity label is still found.
pub fn restore_nodes(marker: &str, id_property: &str, set: &[String], remove: &[String]) -> String {
    let (m, id) = (quote(marker), quote(id_property));
    let mut text = format!("UNWIND $rows AS row MATCH (n:{m} {{{id}: row.id}}) SET n = row.props");
    if !set.is_empty() {
        text.push_str(&format!(" SET n{}", label_pattern(set)));
    }
    if !remove.is_empty() {
        text.push_str(&format!(" REMOVE n{}", label_pattern(remove)));
    }
    text.push_str(" RETURN count(n) AS c");
    text
}

/// Rows: `{id, s, e, props}`.
pub fn restore_relationships(marker: &str, id_property: &str) -> String {
    let (m, id) = (quote(marker), quote(id_property));
    format!(
        "UNWIND $rows AS row MATCH (a:{m} {{{id}: row.s}})-[r]->(b:{m} {{{id}: row.e}}) WHERE r.{id} = row.id \
         SET r = row.props RETURN count(r) AS c"
    )
}

fn row(id: &str, props: &Properties) -> BoltType {
    bolt_map([("id", BoltType::from(id)), ("props", BoltType::Map(properties_to_bolt(props)))])
}

/// A relationship's parameter row: its source id (`id`) and its endpoints' (`s`, `e`), which
/// the lookup and the delete both match on.
fn relationship_row(id: &str, start: &str, end: &str) -> BoltType {
    bolt_map([("id", BoltType::from(id)), ("s", BoltType::from(start)), ("e", BoltType::from(end))])
}

#[async_trait]
impl Journaled for Neo4jJournal {
    async fn prepare(&self, plan: &CopyPlan) -> Result<bool, ConnectorError> {
        *self.identity.lock().expect("neo4j journal lock poisoned") = (plan.node_keys.clone(), plan.missing_key);
        // What a merge can match: a node an earlier copy marked, or a node of a keyed label.
        let mut labels = vec![self.marker.clone()];
        labels.extend(plan.node_keys.iter().filter(|(_, k)| !k.is_empty()).map(|(l, _)| l.clone()));
        for label in labels {
            let rows = self.client.rows(query(&cypher::any_with_label(&label))).await?;
            if rows.first().map(|r| column::<bool>(self.client.target(), r, "c")).transpose()?.unwrap_or(false) {
                return Ok(false);
            }
        }
        Ok(true)
    }

    async fn before_nodes(&self, batch: &[Node]) -> Result<Vec<Node>, ConnectorError> {
        let (keys, missing) = self.identity.lock().expect("neo4j journal lock poisoned").clone();
        let mut groups: BTreeMap<NodeIdentity, Vec<BoltType>> = BTreeMap::new();
        for node in batch {
            let identity = node_identity(node, &keys, missing, self.client.target())?;
            let props = match identity {
                NodeIdentity::Keys { keys, .. } => {
                    keys.iter().filter_map(|k| node.properties.get(k).map(|v| (k.clone(), v.clone()))).collect()
                }
                NodeIdentity::SourceId => Properties::new(),
            };
            groups.entry(identity).or_default().push(row(&node.id, &props));
        }
        let mut out = Vec::new();
        for (identity, rows) in groups {
            let text = match identity {
                NodeIdentity::Keys { label, keys } => nodes_by_keys(label, keys),
                NodeIdentity::SourceId => nodes_by_source_id(&self.marker, &self.id_property),
            };
            let rows = self.client.rows(query(&text).param("rows", bolt_list(rows))).await?;
            out.extend(self.nodes_from(&rows)?);
        }
        Ok(out)
    }

    async fn before_relationships(&self, batch: &[Relationship]) -> Result<Vec<Relationship>, ConnectorError> {
        let rows = batch.iter().map(|r| relationship_row(&r.id, &r.start, &r.end)).collect();
        let text = relationships_by_source_id(&self.marker, &self.id_property);
        let rows = self.client.rows(query(&text).param("rows", bolt_list(rows))).await?;
        let target = self.client.target();
        rows.iter()
            .map(|row| {
                let id: String = column(target, row, "id")?;
                Ok(Relationship {
                    rel_type: column(target, row, "t")?,
                    start: column(target, row, "s")?,
                    end: column::<Option<String>>(target, row, "e")?.unwrap_or_default(),
                    properties: self.properties(row, "relationship", &id)?,
                    id,
                })
            })
            .collect()
    }

    async fn delete_relationships(&self, rels: &[RelationshipRef]) -> Result<u64, ConnectorError> {
        let rows = rels.iter().map(|r| relationship_row(&r.id, &r.start, &r.end)).collect();
        let q = query(&delete_relationships(&self.marker, &self.id_property)).param("rows", bolt_list(rows));
        let counts = self.client.write("deleting relationships the run created", vec![q]).await?;
        Ok(counts.iter().sum::<i64>().max(0) as u64)
    }

    async fn attached(&self, nodes: &[String]) -> Result<Vec<Attached>, ConnectorError> {
        let ids = bolt_list(nodes.iter().map(|i| BoltType::from(i.as_str())).collect());
        let rows = self.client.rows(query(&attached(&self.marker, &self.id_property)).param("ids", ids)).await?;
        let target = self.client.target();
        rows.iter()
            .map(|r| Ok(Attached { node: column(target, r, "node")?, relationship: column(target, r, "rel")? }))
            .collect()
    }

    async fn delete_nodes(&self, nodes: &[String], detach: bool) -> Result<u64, ConnectorError> {
        let ids = bolt_list(nodes.iter().map(|i| BoltType::from(i.as_str())).collect());
        let q = query(&delete_nodes(&self.marker, &self.id_property, detach)).param("ids", ids);
        let counts = self.client.write("deleting nodes the run created", vec![q]).await?;
        Ok(counts.iter().sum::<i64>().max(0) as u64)
    }

    async fn restore_nodes(&self, images: &[Node]) -> Result<u64, ConnectorError> {
        let ids: Vec<&str> = images.iter().map(|n| n.id.as_str()).collect();
        let current = self.current_labels(&ids).await?;
        // Per label change: the rows restored by one statement.
        let mut groups: BTreeMap<(Vec<String>, Vec<String>), Vec<BoltType>> = BTreeMap::new();
        for image in images {
            let Some(now) = current.get(&image.id) else { continue }; // gone: nothing to restore
            let mut set = image.labels.clone();
            set.sort();
            set.dedup();
            let remove: Vec<String> = now.iter().filter(|l| !set.contains(l)).cloned().collect();
            groups.entry((set, remove)).or_default().push(row(&image.id, &image.properties));
        }
        let queries = groups
            .into_iter()
            .map(|((set, remove), rows)| {
                query(&restore_nodes(&self.marker, &self.id_property, &set, &remove)).param("rows", bolt_list(rows))
            })
            .collect::<Vec<_>>();
        if queries.is_empty() {
            return Ok(0);
        }
        let counts = self.client.write("restoring nodes the run updated", queries).await?;
        Ok(counts.iter().sum::<i64>().max(0) as u64)
    }

    async fn restore_relationships(&self, images: &[Relationship]) -> Result<u64, ConnectorError> {
        let rows = images
            .iter()
            .map(|r| {
                bolt_map([
                    ("id", BoltType::from(r.id.as_str())),
                    ("s", BoltType::from(r.start.as_str())),
                    ("e", BoltType::from(r.end.as_str())),
                    ("props", BoltType::Map(properties_to_bolt(&r.properties))),
                ])
            })
            .collect();
        let q = query(&restore_relationships(&self.marker, &self.id_property)).param("rows", bolt_list(rows));
        let counts = self.client.write("restoring relationships the run updated", vec![q]).await?;
        Ok(counts.iter().sum::<i64>().max(0) as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_quote_the_configured_names() {
        assert_eq!(
            restore_nodes("_M", "i`d", &["A b".into()], &["X".into()]),
            "UNWIND $rows AS row MATCH (n:`_M` {`i``d`: row.id}) SET n = row.props SET n:`A b` REMOVE n:`X` \
             RETURN count(n) AS c"
        );
        assert_eq!(
            delete_nodes("_M", "_id", false),
            "UNWIND $ids AS i MATCH (n:`_M` {`_id`: i}) DELETE n RETURN count(*) AS c"
        );
        assert!(delete_nodes("_M", "_id", true).contains("DETACH DELETE n"));
        assert_eq!(
            nodes_by_keys("P`", &["k".into()]),
            "UNWIND $rows AS row MATCH (n:`P``` {`k`: row.props.`k`}) RETURN row.id AS id, labels(n) AS labels, \
             properties(n) AS props"
        );
    }
}
