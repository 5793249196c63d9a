//! Reading a Neo4j database as a copy source: labels and types with counts, then one streamed
//! query per scan (the whole graph, or a label or relationship type at a time), each in key
//! order (`id()`) so a read resumes after the last key handed on (no SKIP paging, which is
//! quadratic and counts rows in an order nobody promised). Rows arrive `fetch_size` at a time
//! and are handed on as they come, so memory stays bounded. The resume token is the scan's
//! number and the last key read.
//!
//! A node with several labels is read once: each label's scan skips nodes carrying a label
//! already scanned. Nodes whose only label is graphferry's identity label (nodes a previous copy
//! wrote without labels) count as unlabelled; the identity label is never reported as data.
//! nodestream's bookkeeping nodes (migration history and lock) are neither read nor counted
//! (see [`crate::model::bookkeeping`]).

use async_trait::async_trait;
use neo4rs::{query, BoltType};

use super::client::{bolt_column, column, Client};
use super::cypher::{self, NodeScan, Scanned};
use super::value::{properties_from_bolt, ValueError};
use crate::connector::{
    Batcher, ConnectorError, NodeSender, RelationshipSender, ResumeToken, ScanPosition, Selection, SelectionCounts,
    Source,
};
use crate::model::bookkeeping::is_internal_label;
use crate::model::{GraphSchema, Node, Properties, Relationship};

pub struct Neo4jSource {
    client: Client,
    /// The identity label a graphferry sink adds; stripped from what is read.
    marker: String,
    /// The source-id property a graphferry sink adds; stripped from what is read, so a copy out
    /// of a graphferry-written database never carries an old identity into the next sink (where
    /// it would overwrite the new one and make re-runs duplicate).
    id_property: String,
}

impl Neo4jSource {
    pub(super) fn new(client: Client, marker: String, id_property: String) -> Self {
        Neo4jSource { client, marker, id_property }
    }

    async fn names(&self, text: &str, column_name: &str) -> Result<Vec<String>, ConnectorError> {
        let rows = self.client.rows(query(text)).await?;
        let mut names = rows
            .iter()
            .map(|r| column::<String>(self.client.target(), r, column_name))
            .collect::<Result<Vec<_>, _>>()?;
        names.retain(|n| !is_internal_label(n, &self.marker));
        names.sort();
        names.dedup();
        Ok(names)
    }

    async fn count(&self, q: neo4rs::Query) -> Result<u64, ConnectorError> {
        let rows = self.client.rows(q).await?;
        let n = match rows.first() {
            Some(row) => column::<i64>(self.client.target(), row, "c")?,
            None => 0,
        };
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// The scans that read the selected nodes, each node in exactly one of them.
    async fn node_scans(&self, selection: &Selection) -> Result<Vec<NodeScan>, ConnectorError> {
        let scan = |label: &String, adjacent_to: &[String]| NodeScan {
            of: Scanned::Label(label.clone()),
            adjacent_to: adjacent_to.to_vec(),
        };
        Ok(match selection {
            Selection::All => vec![NodeScan { of: Scanned::Every, adjacent_to: vec![] }],
            Selection::Only { labels, relationship_types } => {
                let all_labels = self.names(cypher::LABELS, "label").await?;
                let mut selected = labels.clone();
                selected.sort();
                selected.dedup();
                let mut scans: Vec<NodeScan> = selected.iter().map(|l| scan(l, &[])).collect();
                if !relationship_types.is_empty() {
                    // Endpoints: nodes of any other label, or of none, with a selected relationship.
                    scans.extend(
                        all_labels.iter().filter(|l| !selected.contains(l)).map(|l| scan(l, relationship_types)),
                    );
                    scans.push(NodeScan { of: Scanned::Unlabelled, adjacent_to: relationship_types.clone() });
                }
                scans
            }
        })
    }

    fn node_from_row(&self, row: &neo4rs::Row) -> Result<Node, ConnectorError> {
        let target = self.client.target();
        let id: String = column(target, row, "id")?;
        let mut labels: Vec<String> = column(target, row, "labels")?;
        labels.retain(|l| !is_internal_label(l, &self.marker));
        let mut properties = properties(target, row).map_err(|e| {
            ConnectorError::fatal(format!(
                "Neo4j target `{target}`: node with source id `{id}` (labels {labels:?}): {e}"
            ))
        })?;
        properties.remove(&self.id_property);
        Ok(Node { id, labels, properties })
    }

    fn relationship_from_row(&self, rel_type: String, row: &neo4rs::Row) -> Result<Relationship, ConnectorError> {
        let target = self.client.target();
        let id: String = column(target, row, "id")?;
        let mut properties = properties(target, row).map_err(|e| {
            ConnectorError::fatal(format!(
                "Neo4j target `{target}`: relationship of type `{rel_type}` with source id `{id}`: {e}"
            ))
        })?;
        properties.remove(&self.id_property);
        Ok(Relationship { id, rel_type, start: column(target, row, "s")?, end: column(target, row, "e")?, properties })
    }
}

/// The `props` column: `properties(x)` is always a map.
fn properties(target: &str, row: &neo4rs::Row) -> Result<Properties, ValueError> {
    match bolt_column(target, row, "props") {
        Ok(BoltType::Map(map)) => properties_from_bolt(&map),
        Ok(other) => Err(ValueError(format!("properties came back as {other:?}, not a map"))),
        Err(e) => Err(ValueError(e.to_string())),
    }
}

fn string_list(items: &[String]) -> BoltType {
    super::value::bolt_list(items.iter().map(|s| BoltType::from(s.as_str())).collect())
}

#[async_trait]
impl Source for Neo4jSource {
    async fn schema(&self) -> Result<GraphSchema, ConnectorError> {
        let mut schema = GraphSchema {
            nodes: self.count(query(&cypher::count_nodes())).await?,
            relationships: self.count(query(cypher::COUNT_RELATIONSHIPS)).await?,
            ..Default::default()
        };
        for label in self.names(cypher::LABELS, "label").await? {
            let n = self.count(query(&cypher::count_label(&label))).await?;
            if n > 0 {
                schema.labels.insert(label, n);
            }
        }
        for rel_type in self.names(cypher::RELATIONSHIP_TYPES, "relationshipType").await? {
            let n = self.count(query(&cypher::count_type(&rel_type))).await?;
            if n > 0 {
                schema.relationship_types.insert(rel_type, n);
            }
        }
        Ok(schema)
    }

    async fn introspect(&self) -> Result<crate::connector::SchemaDetails, ConnectorError> {
        super::introspect::introspect(&self.client, &self.marker, &self.id_property).await
    }

    async fn count(&self, selection: &Selection) -> Result<SelectionCounts, ConnectorError> {
        let Selection::Only { labels, relationship_types } = selection else {
            let s = self.schema().await?;
            return Ok(SelectionCounts {
                nodes: s.nodes,
                relationships: s.relationships,
                labels: s.labels,
                relationship_types: s.relationship_types,
            });
        };
        let (total, per_label) = cypher::count_selected_nodes(relationship_types);
        let mut counts = SelectionCounts {
            nodes: self.count(query(&total).param("labels", string_list(labels))).await?,
            ..Default::default()
        };
        let per_label = query(&per_label).param("labels", string_list(labels)).param("marker", self.marker.as_str());
        for row in self.client.rows(per_label).await? {
            let label: String = column(self.client.target(), &row, "l")?;
            let n: i64 = column(self.client.target(), &row, "c")?;
            counts.labels.insert(label, u64::try_from(n).unwrap_or(0));
        }
        for rel_type in relationship_types {
            let n = self.count(query(&cypher::count_type(rel_type))).await?;
            counts.relationships += n;
            if n > 0 {
                counts.relationship_types.insert(rel_type.clone(), n);
            }
        }
        Ok(counts)
    }

    async fn read_nodes(
        &self,
        selection: &Selection,
        batch_size: usize,
        after: Option<ResumeToken>,
        tx: NodeSender,
    ) -> Result<(), ConnectorError> {
        let scans = self.node_scans(selection).await?;
        let from = ScanPosition::resumed(after, BEFORE_EVERY_KEY)?;
        let mut batcher = Batcher::new(tx, batch_size);
        for (i, scan) in scans.iter().enumerate().skip(from.scan) {
            let earlier: Vec<String> = scans[..i]
                .iter()
                .filter_map(|s| if let Scanned::Label(l) = &s.of { Some(l.clone()) } else { None })
                .collect();
            let mut at = from.start_of(i, BEFORE_EVERY_KEY);
            let q = query(&scan.query())
                .param("earlier", string_list(&earlier))
                .param("marker", self.marker.as_str())
                .param("after", at.after);
            let action = match &scan.of {
                Scanned::Every => "reading nodes".to_string(),
                Scanned::Label(l) => format!("reading nodes labelled `{l}`"),
                Scanned::Unlabelled => "reading unlabelled nodes".to_string(),
            };
            let mut cursor = self.client.stream(&action, q).await?;
            while let Some(row) = cursor.next().await? {
                at.after = column(self.client.target(), &row, "k")?;
                if !batcher.push(self.node_from_row(&row)?, || ResumeToken::new(at)).await {
                    return Ok(()); // the copy stopped
                }
            }
            cursor.finish().await?;
            if !batcher.flush(|| ResumeToken::new(at)).await {
                return Ok(());
            }
        }
        Ok(())
    }

    async fn read_relationships(
        &self,
        selection: &Selection,
        batch_size: usize,
        after: Option<ResumeToken>,
        tx: RelationshipSender,
    ) -> Result<(), ConnectorError> {
        // A whole-graph copy reads every relationship in one scan; a selection, type by type.
        let scans: Vec<Option<&String>> = match selection {
            Selection::All => vec![None],
            Selection::Only { relationship_types, .. } => relationship_types.iter().map(Some).collect(),
        };
        let from = ScanPosition::resumed(after, BEFORE_EVERY_KEY)?;
        let mut batcher = Batcher::new(tx, batch_size);
        for (i, scan) in scans.into_iter().enumerate().skip(from.scan) {
            let action = match scan {
                Some(t) => format!("reading relationships of type `{t}`"),
                None => "reading relationships".to_string(),
            };
            let mut at = from.start_of(i, BEFORE_EVERY_KEY);
            let text = cypher::relationship_scan(scan.map(String::as_str));
            let mut cursor = self.client.stream(&action, query(&text).param("after", at.after)).await?;
            while let Some(row) = cursor.next().await? {
                at.after = column(self.client.target(), &row, "k")?;
                let rel_type = match scan {
                    Some(t) => t.clone(),
                    None => column::<String>(self.client.target(), &row, "t")?,
                };
                if !batcher.push(self.relationship_from_row(rel_type, &row)?, || ResumeToken::new(at)).await {
                    return Ok(());
                }
            }
            cursor.finish().await?;
            if !batcher.flush(|| ResumeToken::new(at)).await {
                return Ok(());
            }
        }
        Ok(())
    }
}

/// The key before every `id()` (ids are never negative): a scan from its start. The resume
/// token is a [`ScanPosition`] of these keys.
const BEFORE_EVERY_KEY: i64 = -1;
