//! Reading a Neptune graph as a copy source: nodes, then relationships, in `~id` order, one page
//! per request with `WHERE id(x) > $after ... ORDER BY id(x) LIMIT n` (keyset pagination, so a
//! page costs the same at the end of the graph as at the start; SKIP would rescan).
//!
//! Values come back as JSON: strings stay strings (a stored encoding is not guessed back), and a
//! list (a Neptune set) is sorted, which restores every list the sink stored as a set.
//!
//! A page read fails on a transient error and the pipeline reads again from the last page's
//! token (the `~id` to continue after); a timed-out page is asked for in halves. Counting and
//! `verify`'s lookups run outside the pipeline, so those requests are retried by the client
//! (`query_retrying`).
//!
//! nodestream's bookkeeping nodes (migration history and lock) are left out of every page and
//! count by the server, and graphferry's identity label is dropped from what is read (see
//! [`crate::model::bookkeeping`]).

use std::collections::{BTreeMap, HashSet};

use async_trait::async_trait;
use serde_json::{json, Map, Value as Json};

use super::client::Client;
use super::config::NeptuneMode;
use super::query;
use crate::connector::{
    ConnectorError, ErrorClass, NodeSender, Page, RelationshipSender, ResumeToken, Selection, SelectionCounts, Source,
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
    /// Returns the rows, and the `~id` to continue after if more may follow.
    async fn page(
        &self,
        text: impl Fn(usize) -> String,
        after: &str,
        limit: &mut usize,
        id_of: impl Fn(&Json) -> Option<&str>,
    ) -> Result<(Vec<Json>, Option<String>), ConnectorError> {
        self.page_once(text, after, limit, id_of, false).await
    }

    /// [`page`](Self::page); `single_try`: a transient error is returned, for the pipeline to
    /// read again from the last token, instead of retried here.
    async fn page_once(
        &self,
        text: impl Fn(usize) -> String,
        after: &str,
        limit: &mut usize,
        id_of: impl Fn(&Json) -> Option<&str>,
        single_try: bool,
    ) -> Result<(Vec<Json>, Option<String>), ConnectorError> {
        loop {
            let answer = if single_try {
                self.client.query(&text(*limit), params(after)).await
            } else {
                self.query(&text(*limit), params(after)).await
            };
            let rows = match answer {
                Err(e) if e.class == ErrorClass::SplitBatch && *limit > 1 => {
                    *limit /= 2;
                    continue;
                }
                other => other?,
            };
            let next = match rows.last() {
                None => None,
                Some(last) if rows.len() >= *limit => Some(id_of(last).ok_or_else(|| self.bad_row())?.to_string()),
                Some(_) => None,
            };
            return Ok((rows, next));
        }
    }

    /// Analytics: relationships of the next `limit` start nodes. Analytics assigns relationship
    /// ids itself and recycles them, so paging on them could skip or repeat relationships;
    /// node ids are stable. Nodes without relationships come back with `r` null.
    async fn page_by_start(
        &self,
        after: &str,
        limit: &mut usize,
    ) -> Result<(Vec<Json>, Option<String>), ConnectorError> {
        loop {
            let rows = match self.client.query(&query::relationships_by_start(*limit), params(after)).await {
                Err(e) if e.class == ErrorClass::SplitBatch && *limit > 1 => {
                    *limit /= 2;
                    continue;
                }
                other => other?,
            };
            let starts: HashSet<&str> = rows.iter().filter_map(|r| r["k"].as_str()).collect();
            let next = match rows.last() {
                Some(last) if starts.len() >= *limit => {
                    Some(last["k"].as_str().ok_or_else(|| self.bad_row())?.to_string())
                }
                _ => None,
            };
            return Ok((rows, next));
        }
    }

    fn bad_row(&self) -> ConnectorError {
        ConnectorError::fatal(format!("target `{}`: Neptune returned a row without an `~id`", self.client.target()))
    }

    /// Ids of the nodes at either end of the selected relationship types.
    async fn endpoint_ids(&self, selection: &Selection) -> Result<HashSet<String>, ConnectorError> {
        let mut ids = HashSet::new();
        let Selection::Only { relationship_types, .. } = selection else { return Ok(ids) };
        for t in relationship_types {
            let (mut after, mut limit) = (String::new(), PAGE);
            loop {
                let (rows, next) =
                    self.page(|l| query::endpoint_page(t, l), &after, &mut limit, |r| r["id"].as_str()).await?;
                for r in rows {
                    ids.extend(["s", "e"].iter().filter_map(|k| r[*k].as_str().map(str::to_string)));
                }
                match next {
                    Some(n) => after = n,
                    None => break,
                }
            }
        }
        Ok(ids)
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

/// Rows per page when counting or collecting endpoint ids (only ids travel, so pages can be big).
const PAGE: usize = 5000;

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
        let schema = self.schema().await?;
        if *selection == Selection::All {
            return Ok(SelectionCounts {
                nodes: schema.nodes,
                relationships: schema.relationships,
                labels: schema.labels,
                relationship_types: schema.relationship_types,
            });
        }
        let mut counts = SelectionCounts::default();
        for (t, c) in schema.relationship_types.iter().filter(|(t, _)| selection.includes_type(t)) {
            counts.relationships += c;
            counts.relationship_types.insert(t.clone(), *c);
        }
        // Which nodes a selection pulls in depends on its relationships: count them the way
        // `read_nodes` picks them.
        let endpoints = self.endpoint_ids(selection).await?;
        let mut labels: BTreeMap<String, u64> = BTreeMap::new();
        let mut nodes = 0;
        let (mut after, mut limit) = (String::new(), PAGE);
        loop {
            let (rows, next) = self.page(query::node_page, &after, &mut limit, node_id).await?;
            for row in rows {
                let n = self.decode_node(&row)?;
                if selection.includes_label(&n.labels) || endpoints.contains(&n.id) {
                    nodes += 1;
                    n.labels.into_iter().for_each(|l| *labels.entry(l).or_default() += 1);
                }
            }
            match next {
                Some(n) => after = n,
                None => break,
            }
        }
        counts.nodes = nodes;
        counts.labels = labels;
        Ok(counts)
    }

    async fn read_nodes(
        &self,
        selection: &Selection,
        batch_size: usize,
        after: Option<ResumeToken>,
        tx: NodeSender,
    ) -> Result<(), ConnectorError> {
        let endpoints = self.endpoint_ids(selection).await?;
        let mut after: String = after.map(|t| t.get()).transpose()?.unwrap_or_default();
        let mut limit = batch_size.max(1);
        loop {
            let (rows, next) = self.page_once(query::node_page, &after, &mut limit, node_id, true).await?;
            let last = rows.last().and_then(node_id).map(str::to_string);
            let mut records = Vec::with_capacity(rows.len());
            for row in rows {
                let n = self.decode_node(&row)?;
                if selection.includes_label(&n.labels) || endpoints.contains(&n.id) {
                    records.push(n);
                }
            }
            if let Some(last) = last {
                after = last;
                // Sending between pages lets a slow sink slow the reads down. A page with
                // nothing selected still moves the token.
                if tx.send(Page { records, next: ResumeToken::new(&after) }).await.is_err() {
                    return Ok(()); // the copy stopped
                }
            }
            if next.is_none() {
                return Ok(());
            }
        }
    }

    async fn read_relationships(
        &self,
        selection: &Selection,
        batch_size: usize,
        after: Option<ResumeToken>,
        tx: RelationshipSender,
    ) -> Result<(), ConnectorError> {
        let mut after: String = after.map(|t| t.get()).transpose()?.unwrap_or_default();
        let mut limit = batch_size.max(1);
        loop {
            let (rows, next) = match self.client.mode() {
                NeptuneMode::Database => {
                    self.page_once(query::relationship_page, &after, &mut limit, rel_id, true).await?
                }
                NeptuneMode::Analytics => self.page_by_start(&after, &mut limit).await?,
            };
            // Database mode pages on relationship ids, Analytics on start node ids (`k`).
            let last = rows.last().and_then(|r| match self.client.mode() {
                NeptuneMode::Database => rel_id(r),
                NeptuneMode::Analytics => r["k"].as_str(),
            });
            let last = last.map(str::to_string);
            let mut records = Vec::with_capacity(rows.len());
            for row in rows.iter().filter(|r| !r["r"].is_null()) {
                let r = self.decode_relationship(row)?;
                if selection.includes_type(&r.rel_type) {
                    records.push(r);
                }
            }
            if let Some(last) = last {
                after = last;
                if tx.send(Page { records, next: ResumeToken::new(&after) }).await.is_err() {
                    return Ok(());
                }
            }
            if next.is_none() {
                return Ok(());
            }
        }
    }
}
