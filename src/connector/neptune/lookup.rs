//! Reading back what a copy wrote into Neptune, for `graphferry verify`: nodes by the `~id` the
//! sink gave them (the source id, or nodestream's id from migration keys), relationships by
//! their `~id` (database mode) or source-id property (analytics mode). The expected form of a
//! source record is the sink's encoding (under the target's `temporal_encoding`) read back the
//! way the source reads it, so a documented encoding (a list stored as its JSON text, a Date as a
//! DateTime) is not a difference. A DateTime comes back in Neptune's JSON answer as a string, in
//! whatever ISO 8601 form the server writes: a property the copy stored as DateTime is parsed
//! back and compared as an instant, to the source value converted to UTC and cut to the
//! millisecond.

use std::collections::HashMap;

use async_trait::async_trait;
use serde_json::{json, Map, Value as Json};

use super::config::{NeptuneMode, TemporalEncoding};
use super::encoding::{encode, normalize_datetime, Encoded};
use super::identity::{copied_id, NodeKeys};
use super::query::quote;
use super::source::{value, NeptuneSource};
use crate::connector::{ConnectorError, CopiedLookup};
use crate::model::{Node, Properties, Relationship, Value};

/// The label Neptune gives a node that has none.
const DEFAULT_LABEL: &str = "vertex";

pub struct NeptuneLookup {
    source: NeptuneSource,
    keys: NodeKeys,
    temporal: TemporalEncoding,
}

impl NeptuneLookup {
    pub fn new(source: NeptuneSource, keys: NodeKeys, temporal: TemporalEncoding) -> Self {
        NeptuneLookup { source, keys, temporal }
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

/// `props` as the copy stored them, read back: a DateTime as the text [`normalize_datetime`] gives.
fn expected_properties(props: &Properties, temporal: TemporalEncoding) -> Properties {
    props
        .iter()
        .filter_map(|(k, v)| match encode(v, temporal).0 {
            Encoded::Omitted => None,
            Encoded::Json(json) => Some((k.clone(), value(&json))),
            Encoded::DateTime(text) => Some((k.clone(), Value::String(text))),
        })
        .collect()
}

/// Rewrites each property of `found` that the copy stored as a DateTime (per its `source`
/// value) into the text [`expected_properties`] expects, when it reads as a datetime; anything
/// else is left for the comparison to report.
fn normalize_datetimes(found: &mut Properties, source: &Properties, temporal: TemporalEncoding) {
    for (k, v) in source {
        if !matches!(encode(v, temporal).0, Encoded::DateTime(_)) {
            continue;
        }
        if let Some(Value::String(text)) = found.get(k) {
            if let Some(normal) = normalize_datetime(text) {
                found.insert(k.clone(), Value::String(normal));
            }
        }
    }
}

#[async_trait]
impl CopiedLookup for NeptuneLookup {
    async fn find_nodes(&self, source: &[Node]) -> Result<Vec<Node>, ConnectorError> {
        let by_target: HashMap<String, &Node> = source.iter().map(|n| (copied_id(n, &self.keys), n)).collect();
        let rows = self
            .source
            .rows("MATCH (n) WHERE id(n) IN $ids RETURN n", Self::ids_param(by_target.keys().cloned().collect()))
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            let mut node = self.source.decode_node(row)?;
            if let Some(src) = by_target.get(&node.id) {
                node.id = src.id.clone();
                normalize_datetimes(&mut node.properties, &src.properties, self.temporal);
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
            normalize_datetimes(&mut rel.properties, &src.properties, self.temporal);
            out.push(rel);
        }
        Ok(out)
    }

    fn expected_node(&self, node: &Node) -> Node {
        let labels = if node.labels.is_empty() { vec![DEFAULT_LABEL.to_string()] } else { node.labels.clone() };
        Node { id: node.id.clone(), labels, properties: expected_properties(&node.properties, self.temporal) }
    }

    fn expected_relationship(&self, rel: &Relationship) -> Relationship {
        Relationship { properties: expected_properties(&rel.properties, self.temporal), ..rel.clone() }
    }

    fn synthetic_labels(&self) -> &'static [&'static str] {
        &[DEFAULT_LABEL]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::sample_values;

    /// What verify expects equals what a Neptune DateTime reads back as, in any ISO form the
    /// server writes (ArcadeDB leaves out a zero fraction; Neptune may write all three digits).
    #[test]
    fn a_datetime_read_back_matches_the_expected_instant() {
        let source: Properties = sample_values().into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        let want = expected_properties(&source, TemporalEncoding::DateTime);
        assert_eq!(want["datetime_zone"], Value::String("2024-02-29T22:59:58.123Z".into()));
        assert_eq!(want["list_of_ints"], Value::String("[3,1,2]".into()));
        let mut found = want.clone();
        found.insert("datetime_zone".into(), Value::String("2024-02-29T23:59:58.123+01:00".into()));
        found.insert("datetime_historic_zone".into(), Value::String("1899-12-31T23:40:28Z".into()));
        found.insert("date".into(), Value::String("2024-02-29T00:00:00.000Z".into()));
        normalize_datetimes(&mut found, &source, TemporalEncoding::DateTime);
        assert_eq!(found, want);
        // A string property that merely looks like a datetime is compared as it is.
        let mut text: Properties = [("s".to_string(), Value::String("2024-02-29T00:00:00Z".into()))].into();
        let same = text.clone();
        normalize_datetimes(&mut text, &same, TemporalEncoding::DateTime);
        assert_eq!(text["s"], Value::String("2024-02-29T00:00:00Z".into()));
    }

    #[test]
    fn the_string_encoding_expects_the_exact_iso_text() {
        let source: Properties = sample_values().into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        let want = expected_properties(&source, TemporalEncoding::String);
        assert_eq!(want["datetime_zone"], Value::String("2024-02-29T23:59:58.123456789+01:00[Europe/Paris]".into()));
        let mut found = want.clone();
        normalize_datetimes(&mut found, &source, TemporalEncoding::String);
        assert_eq!(found, want);
    }
}
