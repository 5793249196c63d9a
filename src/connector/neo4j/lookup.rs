//! Reading back what a copy wrote into a Neo4j database, for `graphferry verify`: the sink keeps
//! every record's source id in the source-id property (nodes also carry the identity label, whose
//! unique index finds them), so counterparts are found by it and returned under their source ids,
//! without graphferry's identity label and source-id property.
//!
//! Relationships have no index of their own: each is found from its start node (the index seek
//! on the identity label), then among that node's outgoing relationships, so a lookup costs the
//! start node's degree, never a scan of all relationships.

use async_trait::async_trait;
use neo4rs::{query, BoltType, Row};

use super::client::{bolt_column, column, Client};
use super::cypher::quote;
use super::value::{bolt_list, bolt_map, from_bolt, properties_from_bolt, to_bolt};
use crate::connector::{ConnectorError, CopiedLookup};
use crate::model::{Node, Properties, Relationship, Value};

pub struct Neo4jLookup {
    client: Client,
    marker: String,
    id_property: String,
}

impl Neo4jLookup {
    pub(super) fn new(client: Client, cfg: &super::Neo4jConfig) -> Self {
        Neo4jLookup { client, marker: cfg.source_id_label.clone(), id_property: cfg.source_id_property.clone() }
    }

    /// The `props` column without the source-id property; an error names the record.
    fn properties(&self, row: &Row, what: &str, id: &str) -> Result<Properties, ConnectorError> {
        let target = self.client.target();
        let mut props = match bolt_column(target, row, "props")? {
            BoltType::Map(map) => properties_from_bolt(&map).map_err(|e| {
                ConnectorError::fatal(format!("Neo4j target `{target}`: {what} with source id `{id}`: {e}"))
            })?,
            _ => return Err(ConnectorError::fatal(format!("Neo4j target `{target}`: properties are not a map"))),
        };
        props.remove(&self.id_property);
        Ok(props)
    }

    fn nodes_query(&self) -> String {
        let (m, id) = (quote(&self.marker), quote(&self.id_property));
        format!(
            "UNWIND $ids AS i MATCH (n:{m} {{{id}: i}}) \
             RETURN n.{id} AS id, labels(n) AS labels, properties(n) AS props"
        )
    }

    fn relationships_query(&self) -> String {
        let (m, id) = (quote(&self.marker), quote(&self.id_property));
        format!(
            "UNWIND $rows AS row MATCH (a:{m} {{{id}: row.s}})-[r]->(b) WHERE r.{id} = row.id \
             RETURN r.{id} AS id, type(r) AS t, a.{id} AS s, b.{id} AS e, properties(r) AS props"
        )
    }
}

/// What the sink changes on the way in: Neo4j stores no null properties (`SET n += {p: null}`
/// removes `p`), and a value comes back as its Bolt form reads: a zoned datetime travels as local
/// time plus zone name (Bolt 4), so its offset is the tz database's for that local time, not one
/// the source held that disagrees with its zone (`+01:00[Europe/Paris]` in April).
fn expected_properties(props: &Properties) -> Properties {
    props
        .iter()
        .filter(|(_, v)| !matches!(v, Value::Null))
        .map(|(k, v)| (k.clone(), from_bolt(&to_bolt(v)).unwrap_or_else(|_| v.clone())))
        .collect()
}

#[async_trait]
impl CopiedLookup for Neo4jLookup {
    async fn find_nodes(&self, source: &[Node]) -> Result<Vec<Node>, ConnectorError> {
        let ids = bolt_list(source.iter().map(|n| BoltType::from(n.id.as_str())).collect());
        let rows = self.client.rows(query(&self.nodes_query()).param("ids", ids)).await?;
        let target = self.client.target();
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            let id: String = column(target, row, "id")?;
            let mut labels: Vec<String> = column(target, row, "labels")?;
            labels.retain(|l| *l != self.marker);
            let properties = self.properties(row, "node", &id)?;
            out.push(Node { id, labels, properties });
        }
        Ok(out)
    }

    async fn find_relationships(&self, source: &[Relationship]) -> Result<Vec<Relationship>, ConnectorError> {
        let rows = source
            .iter()
            .map(|r| bolt_map([("id", BoltType::from(r.id.as_str())), ("s", BoltType::from(r.start.as_str()))]))
            .collect();
        let rows = self.client.rows(query(&self.relationships_query()).param("rows", bolt_list(rows))).await?;
        let target = self.client.target();
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            let id: String = column(target, row, "id")?;
            let properties = self.properties(row, "relationship", &id)?;
            out.push(Relationship {
                rel_type: column(target, row, "t")?,
                // An end node written by another tool has no source id: show it as missing.
                start: column::<Option<String>>(target, row, "s")?.unwrap_or_default(),
                end: column::<Option<String>>(target, row, "e")?.unwrap_or_default(),
                id,
                properties,
            });
        }
        Ok(out)
    }

    fn expected_node(&self, node: &Node) -> Node {
        Node { properties: expected_properties(&node.properties), ..node.clone() }
    }

    fn expected_relationship(&self, rel: &Relationship) -> Relationship {
        Relationship { properties: expected_properties(&rel.properties), ..rel.clone() }
    }
}

#[cfg(test)]
mod tests {
    use chrono::DateTime;

    use super::*;
    use crate::model::ZonedDateTime;

    #[test]
    fn expected_values_drop_nulls_and_take_the_zones_offset() {
        // 20:30 in Paris in April is +02:00, whatever offset the source held.
        let held = DateTime::parse_from_rfc3339("1995-04-12T20:30:00+01:00").unwrap();
        let props: Properties = [
            ("gone".to_string(), Value::Null),
            ("kept".to_string(), Value::Int(1)),
            ("at".to_string(), Value::DateTime(ZonedDateTime { datetime: held, zone: Some("Europe/Paris".into()) })),
        ]
        .into_iter()
        .collect();
        let expected = expected_properties(&props);
        assert!(!expected.contains_key("gone"));
        assert_eq!(expected.get("kept"), Some(&Value::Int(1)));
        let Some(Value::DateTime(at)) = expected.get("at") else { panic!("{expected:?}") };
        assert_eq!(at.datetime.to_rfc3339(), "1995-04-12T20:30:00+02:00");
        assert_eq!(at.zone.as_deref(), Some("Europe/Paris"));
    }
}
