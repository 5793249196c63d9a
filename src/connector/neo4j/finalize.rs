//! Removing a copy's identity marks from a Neo4j database (`graphferry finalize`): the identity
//! label and source-id property of every node, the source-id property of every relationship,
//! then the uniqueness constraint (and any index) on them.
//!
//! The node pass is driven by the identity label, whose index lists only nodes still marked, so
//! each batch visits what is left rather than rescanning the graph; it clears the node and its
//! outgoing relationships in one transaction. A relationship sweep then catches any relationship
//! still marked (none after a normal copy: every copied relationship starts at a copied node).
//! The constraint goes last: it is the index both passes find marked nodes by.
//!
//! Properties are removed with `SET x.p = null`, which Cypher defines as removing the property
//! (Neo4j Cypher manual, "SET": "Remove a property"). Not `REMOVE x.p`: ArcadeDB's Bolt plugin
//! (the test server) ignores `REMOVE` of a backquoted property name and leaves it in place,
//! while `SET ... = null` works on both.

use async_trait::async_trait;
use neo4rs::query;

use super::client::{column, Client};
use super::cypher::quote;
use super::introspect::{own_schema, SchemaObject};
use crate::connector::{ConnectorError, Finalizer, MarkPass, Marked};

pub struct Neo4jFinalizer {
    client: Client,
    marker: String,
    id_property: String,
}

impl Neo4jFinalizer {
    pub(super) fn new(client: Client, cfg: &super::Neo4jConfig) -> Self {
        Neo4jFinalizer { client, marker: cfg.source_id_label.clone(), id_property: cfg.source_id_property.clone() }
    }

    async fn count(&self, text: &str) -> Result<u64, ConnectorError> {
        let rows = self.client.rows(query(text)).await?;
        let c = rows.first().map(|r| column::<i64>(self.client.target(), r, "c")).transpose()?.unwrap_or(0);
        Ok(c.max(0) as u64)
    }
}

/// One batch of marked nodes (`$batch` of them) and their outgoing relationships: returns
/// `nodes` and `rels` cleared. `collect` + `FOREACH` instead of a `CALL {}` subquery, which
/// ArcadeDB's Bolt plugin does not run.
pub fn clear_nodes(marker: &str, id_property: &str) -> String {
    let (m, p) = (quote(marker), quote(id_property));
    format!(
        "MATCH (n:{m}) WITH n LIMIT $batch \
         OPTIONAL MATCH (n)-[r]->() WHERE r.{p} IS NOT NULL \
         WITH n, collect(r) AS rs FOREACH (r IN rs | SET r.{p} = null) \
         SET n.{p} = null REMOVE n:{m} RETURN count(n) AS nodes, sum(size(rs)) AS rels"
    )
}

/// One batch of relationships still carrying the source-id property: returns `c`.
pub fn clear_relationships(id_property: &str) -> String {
    let p = quote(id_property);
    format!("MATCH ()-[r]->() WHERE r.{p} IS NOT NULL WITH r LIMIT $batch SET r.{p} = null RETURN count(r) AS c")
}

pub fn count_nodes(marker: &str) -> String {
    format!("MATCH (n:{}) RETURN count(n) AS c", quote(marker))
}

pub fn count_relationships(id_property: &str) -> String {
    format!("MATCH ()-[r]->() WHERE r.{} IS NOT NULL RETURN count(r) AS c", quote(id_property))
}

/// The statement dropping one of graphferry's own schema objects; `IF EXISTS` keeps a second
/// run (or one after a lost reply) harmless.
pub fn drop_statement(object: &SchemaObject) -> String {
    match object {
        SchemaObject::Constraint(name) => format!("DROP CONSTRAINT {} IF EXISTS", quote(name)),
        SchemaObject::Index(name) => format!("DROP INDEX {} IF EXISTS", quote(name)),
    }
}

#[async_trait]
impl Finalizer for Neo4jFinalizer {
    fn describe(&self) -> String {
        format!(
            "label `{m}` and property `{p}` of every node, property `{p}` of every relationship, and the constraint \
             on `{m}`.`{p}`",
            m = self.marker,
            p = self.id_property
        )
    }

    fn passes(&self) -> &'static [MarkPass] {
        &[MarkPass::Nodes, MarkPass::Relationships]
    }

    async fn remaining(&self) -> Result<Marked, ConnectorError> {
        Ok(Marked {
            nodes: self.count(&count_nodes(&self.marker)).await?,
            relationships: self.count(&count_relationships(&self.id_property)).await?,
        })
    }

    async fn clear(&self, pass: MarkPass, batch: usize) -> Result<Marked, ConnectorError> {
        let batch = batch as i64;
        match pass {
            MarkPass::Nodes => {
                let q = query(&clear_nodes(&self.marker, &self.id_property)).param("batch", batch);
                let rows = self.client.rows_written("removing identity marks from nodes", q).await?;
                let t = self.client.target();
                let Some(row) = rows.first() else { return Ok(Marked::default()) };
                let nodes = column::<i64>(t, row, "nodes")?;
                let rels = column::<Option<i64>>(t, row, "rels")?.unwrap_or(0);
                Ok(Marked { nodes: nodes.max(0) as u64, relationships: rels.max(0) as u64 })
            }
            MarkPass::Relationships => {
                let q = query(&clear_relationships(&self.id_property)).param("batch", batch);
                let counts = self.client.write("removing identity marks from relationships", vec![q]).await?;
                Ok(Marked { nodes: 0, relationships: counts.iter().sum::<i64>().max(0) as u64 })
            }
        }
    }

    async fn drop_schema(&self) -> Result<Vec<String>, ConnectorError> {
        let mut dropped = Vec::new();
        // Constraints first: dropping one drops the index it owns.
        for object in own_schema(&self.client, &self.marker, &self.id_property).await? {
            self.client.write("dropping graphferry's identity constraint", vec![query(&drop_statement(&object))]).await?;
            dropped.push(object.name().to_string());
        }
        Ok(dropped)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_quote_the_configured_names() {
        assert_eq!(
            clear_nodes("_M`x", "src id"),
            "MATCH (n:`_M``x`) WITH n LIMIT $batch OPTIONAL MATCH (n)-[r]->() WHERE r.`src id` IS NOT NULL \
             WITH n, collect(r) AS rs FOREACH (r IN rs | SET r.`src id` = null) \
             SET n.`src id` = null REMOVE n:`_M``x` RETURN count(n) AS nodes, sum(size(rs)) AS rels"
        );
        assert_eq!(
            clear_relationships("_id"),
            "MATCH ()-[r]->() WHERE r.`_id` IS NOT NULL WITH r LIMIT $batch SET r.`_id` = null RETURN count(r) AS c"
        );
        assert_eq!(count_nodes("_M"), "MATCH (n:`_M`) RETURN count(n) AS c");
        assert_eq!(
            drop_statement(&SchemaObject::Constraint("a`b".into())),
            "DROP CONSTRAINT `a``b` IF EXISTS"
        );
        assert_eq!(drop_statement(&SchemaObject::Index("i".into())), "DROP INDEX `i` IF EXISTS");
    }
}
