//! Reading a Neptune graph as a copy source: nodes, then relationships, scan by scan (see
//! [`scan`](super::scan): a selection is filtered on the server), each scan in `~id` order, one
//! page per request with `WHERE id(x) > $after ... ORDER BY id(x) LIMIT n` (keyset pagination, so
//! a page costs the same at the end of the graph as at the start; SKIP would rescan).
//!
//! Values come back as JSON: strings stay strings (a stored encoding is not guessed back, and a
//! DateTime, which Neptune's JSON answer writes as an ISO 8601 string, stays that string), and a
//! list (a multi-valued property, which only the bulk loader or Gremlin can create) is sorted, as
//! a set has no order. graphferry's own copies never write lists.
//!
//! A page read fails on a transient error and the pipeline reads again from the last page's
//! token (the scan and the `~id` to continue after); a timed-out page is asked for in halves. Counting and
//! `verify`'s lookups run outside the pipeline, so those requests are retried by the client
//! (`query_retrying`).
//!
//! nodestream's bookkeeping nodes (migration history and lock) are left out of every page and
//! count by the server, and graphferry's identity label is dropped from what is read (see
//! [`crate::model::bookkeeping`]).

use std::collections::HashSet;

use async_trait::async_trait;
use serde_json::{json, Map, Value as Json};

use super::client::Client;
use super::config::NeptuneMode;
use super::query;
use super::scan;
use crate::connector::{
    ConnectorError, ErrorClass, NodeSender, Page, RelationshipSender, ResumeToken, ScanPosition, Selection,
    SelectionCounts, Source,
};
use crate::model::bookkeeping::{is_internal_label, DEFAULT_IDENTITY_LABEL};
use crate::model::{GraphSchema, Node, Properties, Relationship, Value};

pub struct NeptuneSource {
    client: Client,
    source_id_property: String,
}

impl NeptuneSource {
    pub fn new(client: Client, source_id_property: String) -> Self {
        NeptuneSource { client, source_id_property }
    }

    async fn query(&self, text: &str, params: Map<String, Json>) -> Result<Vec<Json>, ConnectorError> {
        self.client.query_retrying(text, params).await
    }

    /// One query's rows, retried like a page (for `verify`'s lookups).
    pub(super) async fn rows(&self, text: &str, params: Map<String, Json>) -> Result<Vec<Json>, ConnectorError> {
        self.query(text, params).await
    }

    pub(super) fn mode(&self) -> NeptuneMode {
        self.client.mode()
    }

    pub(super) fn source_id_property(&self) -> &str {
        &self.source_id_property
    }

    /// One page after `after`: at most `limit` rows (halved for good when Neptune times out).
    /// Returns the rows, and the `~id` to continue after if more may follow. A transient error
    /// is returned, for the pipeline to read again from the last token, not retried here.
    async fn page_once(
        &self,
        text: impl Fn(usize) -> String,
        after: &str,
        limit: &mut usize,
        id_of: impl Fn(&Json) -> Option<&str>,
    ) -> Result<(Vec<Json>, Option<String>), ConnectorError> {
        let rows = self.query_halving(text, after, limit).await?;
        let next = match rows.last() {
            Some(last) if rows.len() >= *limit => Some(id_of(last).ok_or_else(|| self.bad_row())?.to_string()),
            _ => None,
        };
        Ok((rows, next))
    }

    /// The rows of `text(limit)` after `after`, in one try; a request Neptune times out on is
    /// asked for again with half the rows, and `limit` stays halved for the pages after it.
    async fn query_halving(
        &self,
        text: impl Fn(usize) -> String,
        after: &str,
        limit: &mut usize,
    ) -> Result<Vec<Json>, ConnectorError> {
        loop {
            match self.client.query(&text(*limit), params(after)).await {
                Err(e) if e.class == ErrorClass::SplitBatch && *limit > 1 => *limit /= 2,
                other => return other,
            }
        }
    }

    /// Analytics: relationships of the next `limit` start nodes. Analytics assigns relationship
    /// ids itself and recycles them, so paging on them could skip or repeat relationships;
    /// node ids are stable. Nodes without relationships come back with `r` null.
    async fn page_by_start(
        &self,
        rel_type: Option<&str>,
        after: &str,
        limit: &mut usize,
    ) -> Result<(Vec<Json>, Option<String>), ConnectorError> {
        let rows = self.query_halving(|l| query::relationships_by_start(rel_type, l), after, limit).await?;
        let starts: HashSet<&str> = rows.iter().filter_map(|r| r["k"].as_str()).collect();
        let next = match rows.last() {
            Some(last) if starts.len() >= *limit => Some(last["k"].as_str().ok_or_else(|| self.bad_row())?.to_string()),
            _ => None,
        };
        Ok((rows, next))
    }

    fn bad_row(&self) -> ConnectorError {
        ConnectorError::fatal(format!("target `{}`: Neptune returned a row without an `~id`", self.client.target()))
    }

    pub(super) fn decode_node(&self, row: &Json) -> Result<Node, ConnectorError> {
        let n = &row["n"];
        let id = n["~id"].as_str().ok_or_else(|| self.bad_row())?.to_string();
        let labels = n["~labels"].as_array().into_iter().flatten().filter_map(Json::as_str);
        let labels = labels.filter(|l| !is_internal_label(l, DEFAULT_IDENTITY_LABEL)).map(str::to_string).collect();
        Ok(Node { id, labels, properties: properties(&n["~properties"]) })
    }

    pub(super) fn decode_relationship(&self, row: &Json) -> Result<Relationship, ConnectorError> {
        let r = &row["r"];
        let text = |k: &str| r[k].as_str().map(str::to_string).ok_or_else(|| self.bad_row());
        let mut properties = properties(&r["~properties"]);
        let mut id = text("~id")?;
        // Analytics assigns relationship ids itself; a graph graphferry wrote keeps the source
        // id in a property, which is the relationship's real identity.
        if self.client.mode() == NeptuneMode::Analytics {
            if let Some(Value::String(source_id)) = properties.remove(&self.source_id_property) {
                id = source_id;
            }
        }
        Ok(Relationship { id, rel_type: text("~type")?, start: text("~start")?, end: text("~end")?, properties })
    }
}

fn node_id(row: &Json) -> Option<&str> {
    row["n"]["~id"].as_str()
}

fn rel_id(row: &Json) -> Option<&str> {
    row["r"]["~id"].as_str()
}

fn params(after: &str) -> Map<String, Json> {
    let mut m = Map::new();
    m.insert("after".into(), json!(after));
    m
}

fn properties(json: &Json) -> Properties {
    json.as_object()
        .map(|m| m.iter().filter(|(_, v)| !v.is_null()).map(|(k, v)| (k.clone(), value(v))).collect())
        .unwrap_or_default()
}

/// A Neptune JSON value in the model. Integers are JSON numbers without a fraction or exponent.
pub fn value(json: &Json) -> Value {
    match json {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => n.as_i64().map(Value::Int).unwrap_or_else(|| Value::Float(n.as_f64().unwrap_or(f64::NAN))),
        Json::String(s) => Value::String(s.clone()),
        Json::Array(items) => {
            let mut items: Vec<Value> = items.iter().map(value).collect();
            sort_set(&mut items);
            Value::List(items)
        }
        Json::Object(m) => Value::Map(m.iter().map(|(k, v)| (k.clone(), value(v))).collect()),
    }
}

/// Sorts a set of one scalar kind; anything else keeps the order Neptune gave.
fn sort_set(items: &mut [Value]) {
    if items.iter().all(|v| matches!(v, Value::Int(_)))
        || items.iter().all(|v| matches!(v, Value::String(_)))
        || items.iter().all(|v| matches!(v, Value::Bool(_)))
    {
        items.sort_by(|a, b| match (a, b) {
            (Value::Int(x), Value::Int(y)) => x.cmp(y),
            (Value::String(x), Value::String(y)) => x.cmp(y),
            (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
            _ => std::cmp::Ordering::Equal,
        });
    } else if items.iter().all(|v| matches!(v, Value::Float(_))) {
        items.sort_by(|a, b| match (a, b) {
            (Value::Float(x), Value::Float(y)) => x.total_cmp(y),
            _ => std::cmp::Ordering::Equal,
        });
    }
}

fn count_of(row: &Json) -> u64 {
    row["c"].as_u64().unwrap_or(0)
}

#[async_trait]
impl Source for NeptuneSource {
    async fn schema(&self) -> Result<GraphSchema, ConnectorError> {
        let mut schema = GraphSchema::default();
        for row in self.query(&query::label_counts(), Map::new()).await? {
            let c = count_of(&row);
            schema.nodes += c;
            let labels = row["labels"].as_array().into_iter().flatten().filter_map(Json::as_str);
            for label in labels.filter(|l| !is_internal_label(l, DEFAULT_IDENTITY_LABEL)) {
                *schema.labels.entry(label.to_string()).or_default() += c;
            }
        }
        for row in self.query(query::TYPE_COUNTS, Map::new()).await? {
            let c = count_of(&row);
            schema.relationships += c;
            if let Some(t) = row["t"].as_str() {
                *schema.relationship_types.entry(t.to_string()).or_default() += c;
            }
        }
        Ok(schema)
    }

    async fn count(&self, selection: &Selection) -> Result<SelectionCounts, ConnectorError> {
        if *selection == Selection::All {
            let schema = self.schema().await?;
            return Ok(SelectionCounts {
                nodes: schema.nodes,
                relationships: schema.relationships,
                labels: schema.labels,
                relationship_types: schema.relationship_types,
            });
        }
        let mut counts = SelectionCounts::default();
        // Counted on the server, scan by scan, exactly as `read_nodes` reads them.
        for node_scan in scan::node_scans(selection) {
            for row in self.query(&node_scan.counts(), Map::new()).await? {
                let c = count_of(&row);
                counts.nodes += c;
                for label in row["labels"].as_array().into_iter().flatten().filter_map(Json::as_str) {
                    *counts.labels.entry(label.to_string()).or_default() += c;
                }
            }
        }
        for t in scan::relationship_scans(selection).into_iter().flatten() {
            let c = self.query(&query::type_count(&t), Map::new()).await?.first().map(count_of).unwrap_or(0);
            if c > 0 {
                counts.relationships += c;
                counts.relationship_types.insert(t, c);
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
        let scans = scan::node_scans(selection);
        // The token: the scan, and the last node `~id` read in it (empty: from its start).
        let from = ScanPosition::resumed(after, String::new())?;
        let mut limit = batch_size.max(1);
        for (i, node_scan) in scans.iter().enumerate().skip(from.scan) {
            let mut at = from.start_of(i, String::new());
            loop {
                let (rows, next) = self.page_once(|l| node_scan.page(l), &at.after, &mut limit, node_id).await?;
                let records = rows.iter().map(|r| self.decode_node(r)).collect::<Result<Vec<_>, _>>()?;
                if let Some(last) = records.last() {
                    at.after = last.id.clone();
                    // Sending between pages lets a slow sink slow the reads down.
                    if tx.send(Page { records, next: ResumeToken::new(&at) }).await.is_err() {
                        return Ok(()); // the copy stopped
                    }
                }
                if next.is_none() {
                    break;
                }
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
        // The token: the scan, and the last relationship `~id` read in it, or in Analytics mode
        // the last start node's (empty: from its start).
        let from = ScanPosition::resumed(after, String::new())?;
        let mut limit = batch_size.max(1);
        for (i, rel_type) in scan::relationship_scans(selection).iter().enumerate().skip(from.scan) {
            let rel_type = rel_type.as_deref();
            let mut at = from.start_of(i, String::new());
            loop {
                let (rows, next) = match self.client.mode() {
                    NeptuneMode::Database => {
                        let text = |l| query::relationship_page(rel_type, l);
                        self.page_once(text, &at.after, &mut limit, rel_id).await?
                    }
                    NeptuneMode::Analytics => self.page_by_start(rel_type, &at.after, &mut limit).await?,
                };
                // Database mode pages on relationship ids, Analytics on start node ids (`k`).
                let last = rows.last().and_then(|r| match self.client.mode() {
                    NeptuneMode::Database => rel_id(r),
                    NeptuneMode::Analytics => r["k"].as_str(),
                });
                let last = last.map(str::to_string);
                let records = rows
                    .iter()
                    .filter(|r| !r["r"].is_null())
                    .map(|r| self.decode_relationship(r))
                    .collect::<Result<Vec<_>, _>>()?;
                if let Some(last) = last {
                    at.after = last;
                    // A page of start nodes without relationships still moves the token.
                    if tx.send(Page { records, next: ResumeToken::new(&at) }).await.is_err() {
                        return Ok(());
                    }
                }
                if next.is_none() {
                    break;
                }
            }
        }
        Ok(())
    }
}
