//! Reading a PostgreSQL database as a graph, through a [`Plan`]: node tables first, then
//! relationships, each table by one query streamed in key order (see [`super::sql`]). Memory
//! stays flat: tokio-postgres stops reading the socket while the pipeline has not taken the
//! rows it has (its response channel is bounded), and the pipeline's channel is bounded too.
//!
//! Consistency: every read runs in one `REPEATABLE READ READ ONLY` transaction, opened when the
//! source connects and kept for the whole copy (counts, nodes, relationships), so the copy sees
//! one snapshot of the database. Should the connection drop, the pipeline reads again from the
//! last page's token on a new connection, whose snapshot is newer: that is logged.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use tokio_postgres::types::ToSql;
use futures::TryStreamExt;
use tokio_postgres::{Client, Row, RowStream};

use super::plan::{row_id, suffixed, Plan};
use super::sql;
use super::PostgresConfig;
use crate::connector::{
    Batcher, ConnectorError, ConversionKey, Conversions, NodeSender, RelationshipSender, ResumeToken, ScanPosition,
    SchemaDetails, Selection, SelectionCounts, Source,
};
use crate::model::{GraphSchema, Node, Properties, Relationship};

type Position = ScanPosition<Option<Vec<String>>>;

pub struct PostgresSource {
    config: PostgresConfig,
    target: String,
    client: tokio::sync::Mutex<Arc<Client>>,
    plan: Plan,
    conversions: Mutex<Conversions>,
}

impl PostgresSource {
    pub(super) fn new(config: PostgresConfig, target: String, client: Client, plan: Plan) -> Self {
        PostgresSource {
            config,
            target,
            client: tokio::sync::Mutex::new(Arc::new(client)),
            plan,
            conversions: Mutex::new(Conversions::new()),
        }
    }

    /// The snapshot's connection, or a new one (with a newer snapshot) if it dropped.
    async fn client(&self) -> Result<Arc<Client>, ConnectorError> {
        let mut client = self.client.lock().await;
        if client.is_closed() {
            tracing::warn!(target = %self.target, "connection to PostgreSQL lost; reading on from a new snapshot");
            *client = Arc::new(super::connect_in_snapshot(&self.config, &self.target).await?);
        }
        Ok(client.clone())
    }

    async fn rows(&self, query: &str, params: &[String], what: &str) -> Result<Vec<Row>, ConnectorError> {
        let client = self.client().await?;
        let params: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p as &(dyn ToSql + Sync)).collect();
        client.query(query, &params).await.map_err(|e| super::error::classify(&self.target, what, &e))
    }

    /// Runs `query`; its rows arrive as they are taken from the stream.
    async fn stream(&self, query: &str, params: &[String], what: &str) -> Result<RowStream, ConnectorError> {
        let client = self.client().await?;
        client.query_raw(query, params.iter()).await.map_err(|e| super::error::classify(&self.target, what, &e))
    }

    fn next_failed(&self, what: &str) -> impl Fn(tokio_postgres::Error) -> ConnectorError + '_ {
        let what = what.to_string();
        move |e| super::error::classify(&self.target, &what, &e)
    }

    async fn count_of(&self, query: &str, what: &str) -> Result<u64, ConnectorError> {
        let rows = self.rows(query, &[], what).await?;
        Ok(rows.first().map_or(0, |r| r.get::<_, i64>(0)) as u64)
    }

    /// For each node scan: skip it (`None`), read all of it (`Some(None)`), or read the rows
    /// that selected relationships end at (`Some(Some(condition))`).
    fn node_filters(&self, selection: &Selection) -> Vec<Option<Option<String>>> {
        self.plan
            .nodes
            .iter()
            .enumerate()
            .map(|(i, scan)| {
                if selection.includes_label(std::slice::from_ref(&scan.label)) {
                    return Some(None);
                }
                let ends: Vec<String> = self
                    .plan
                    .relationships
                    .iter()
                    .filter(|r| selection.needs_endpoints() && selection.includes_type(&r.rel_type))
                    .flat_map(|r| [&r.start, &r.end].into_iter().filter(|e| e.node == i).map(move |e| (r, e)))
                    .map(|(r, e)| sql::ends_here(r, e, &scan.key))
                    .collect();
                (!ends.is_empty()).then(|| Some(ends.join(" OR ")))
            })
            .collect()
    }

    fn count_lossy(&self, label: &str, property: &str, conversion: &'static str) {
        let key = ConversionKey { scope: label.to_string(), property: property.to_string(), conversion };
        *self.conversions.lock().expect("lock poisoned").entry(key).or_default() += 1;
    }

    fn properties(
        &self,
        scope: &str,
        id: &str,
        row: &Row,
        first: usize,
        columns: &[super::plan::PropertyColumn],
        table: &str,
    ) -> Result<Properties, ConnectorError> {
        let mut props = Properties::new();
        for (j, p) in columns.iter().enumerate() {
            let mut lossy = |c| self.count_lossy(scope, &p.property, c);
            let value = p.decode.value(row, first + j, &mut lossy).map_err(|why| {
                ConnectorError::fatal(format!(
                    "target `{}`: table `{table}`, column `{}` ({scope}.{}), record `{id}`: {why}",
                    self.target, p.column, p.property
                ))
            })?;
            if !matches!(value, crate::model::Value::Null) {
                props.insert(p.property.clone(), value);
            }
        }
        Ok(props)
    }
}

fn texts(row: &Row, from: usize, n: usize) -> Vec<String> {
    (from..from + n).map(|i| row.get::<_, String>(i)).collect()
}

#[async_trait]
impl Source for PostgresSource {
    async fn schema(&self) -> Result<GraphSchema, ConnectorError> {
        let c = self.count(&Selection::All).await?;
        Ok(GraphSchema { nodes: c.nodes, relationships: c.relationships, labels: c.labels, relationship_types: c.relationship_types })
    }

    async fn count(&self, selection: &Selection) -> Result<SelectionCounts, ConnectorError> {
        let mut counts = SelectionCounts::default();
        for (scan, filter) in self.plan.nodes.iter().zip(self.node_filters(selection)) {
            let Some(filter) = filter else { continue };
            let n = self.count_of(&sql::node_count(scan, filter.as_deref()), &format!("counting {}", scan.label)).await?;
            counts.nodes += n;
            *counts.labels.entry(scan.label.clone()).or_default() += n;
        }
        for scan in self.plan.relationships.iter().filter(|r| selection.includes_type(&r.rel_type)) {
            let n = self.count_of(&sql::relationship_count(scan), &format!("counting {}", scan.rel_type)).await?;
            counts.relationships += n;
            *counts.relationship_types.entry(scan.rel_type.clone()).or_default() += n;
        }
        Ok(counts)
    }

    async fn introspect(&self) -> Result<SchemaDetails, ConnectorError> {
        let mut details = SchemaDetails::default();
        for scan in &self.plan.nodes {
            let keys = scan
                .key
                .iter()
                .filter_map(|k| scan.properties.iter().find(|p| p.column == k.name).map(|p| p.property.clone()))
                .collect();
            details.node_keys.insert(scan.label.clone(), keys);
            details
                .node_properties
                .insert(scan.label.clone(), scan.properties.iter().map(|p| p.property.clone()).collect());
        }
        for scan in &self.plan.relationships {
            details
                .relationship_properties
                .entry(scan.rel_type.clone())
                .or_insert_with(BTreeSet::new)
                .extend(scan.properties.iter().map(|p| p.property.clone()));
        }
        Ok(details)
    }

    fn conversions(&self) -> Conversions {
        self.conversions.lock().expect("lock poisoned").clone()
    }

    async fn read_nodes(
        &self,
        selection: &Selection,
        batch_size: usize,
        after: Option<ResumeToken>,
        tx: NodeSender,
    ) -> Result<(), ConnectorError> {
        let position = Position::resumed(after, None)?;
        let filters = self.node_filters(selection);
        let mut batcher = Batcher::new(tx, batch_size);
        for (i, scan) in self.plan.nodes.iter().enumerate().skip(position.scan) {
            let Some(filter) = &filters[i] else { continue };
            let after = position.start_of(i, None).after;
            let table = format!("{}.{}", scan.schema, scan.table);
            let what = format!("reading {table}");
            let query = sql::node_read(scan, filter.as_deref(), after.is_some());
            let rows = self.stream(&query, after.as_deref().unwrap_or_default(), &what).await?;
            futures::pin_mut!(rows);
            let k = scan.key.len();
            while let Some(row) = rows.try_next().await.map_err(self.next_failed(&what))? {
                let key = texts(&row, 0, k);
                let id = row_id(&scan.schema, &scan.table, &key);
                let properties = self.properties(&scan.label, &id, &row, k, &scan.properties, &table)?;
                let node = Node { id, labels: vec![scan.label.clone()], properties };
                if !batcher.push(node, || ResumeToken::new(Position { scan: i, after: Some(key) })).await {
                    return Ok(());
                }
            }
        }
        batcher.flush(|| ResumeToken::new(Position { scan: self.plan.nodes.len(), after: None })).await;
        Ok(())
    }

    async fn read_relationships(
        &self,
        selection: &Selection,
        batch_size: usize,
        after: Option<ResumeToken>,
        tx: RelationshipSender,
    ) -> Result<(), ConnectorError> {
        let position = Position::resumed(after, None)?;
        let mut batcher = Batcher::new(tx, batch_size);
        for (i, scan) in self.plan.relationships.iter().enumerate().skip(position.scan) {
            if !selection.includes_type(&scan.rel_type) {
                continue;
            }
            let after = position.start_of(i, None).after;
            let table = format!("{}.{}", scan.schema, scan.table);
            let what = format!("reading {table}");
            let (start, end) = (&self.plan.nodes[scan.start.node], &self.plan.nodes[scan.end.node]);
            let (k, s, e) = (scan.key.len(), scan.start.columns.len(), scan.end.columns.len());
            let query = sql::relationship_read(scan, after.is_some());
            let rows = self.stream(&query, after.as_deref().unwrap_or_default(), &what).await?;
            futures::pin_mut!(rows);
            while let Some(row) = rows.try_next().await.map_err(self.next_failed(&what))? {
                let key = texts(&row, 0, k);
                let id = row_id(&scan.schema, &scan.table, &key);
                let id = match &scan.suffix {
                    Some(fk) => suffixed(id, fk),
                    None => id,
                };
                let properties = self.properties(&scan.rel_type, &id, &row, k + s + e, &scan.properties, &table)?;
                let rel = Relationship {
                    id,
                    rel_type: scan.rel_type.clone(),
                    start: row_id(&start.schema, &start.table, &texts(&row, k, s)),
                    end: row_id(&end.schema, &end.table, &texts(&row, k + s, e)),
                    properties,
                };
                if !batcher.push(rel, || ResumeToken::new(Position { scan: i, after: Some(key) })).await {
                    return Ok(());
                }
            }
        }
        batcher.flush(|| ResumeToken::new(Position { scan: self.plan.relationships.len(), after: None })).await;
        Ok(())
    }
}

