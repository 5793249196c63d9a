//! Removing a copy's identity marks from Neptune (`graphferry finalize`).
//!
//! Neptune Database keeps a record's source identity as its `~id` (NEPTUNE.md: custom `~id`s
//! for nodes and relationships), which is Neptune's own id, not a mark added to the data: there
//! is nothing to remove. Neptune Analytics assigns relationship ids itself, so a copy stores
//! each relationship's source id in `source_id_property`; finalize removes that property in
//! batches. Nodes keep their `~id` on both.
//!
//! `SET r.p = null` removes the property: AWS's "openCypher query best practices - Neptune
//! Analytics" page says setting a property to null "in Neptune Analytics is equivalent to
//! removing properties" (and recommends it over `REMOVE`); it is also the text the Neo4j
//! finalizer sends. The batch size travels as a parameter (`LIMIT $param`, NEPTUNE.md).

use async_trait::async_trait;
use serde_json::{json, Map, Value as Json};

use super::client::Client;
use super::query::quote;
use crate::connector::{ConnectorError, Finalizer, MarkPass, Marked};

pub struct NeptuneFinalizer {
    client: Client,
    id_property: String,
}

/// What finalize says about a Neptune Database target.
pub const DATABASE_HAS_NO_MARKS: &str = "Neptune Database keeps each record's source identity as its `~id`, \
     Neptune's own id; a copy adds no label or property to remove";

impl NeptuneFinalizer {
    pub(super) fn new(client: Client, id_property: String) -> Self {
        NeptuneFinalizer { client, id_property }
    }

    async fn count(&self, text: &str) -> Result<u64, ConnectorError> {
        let rows = self.client.query_retrying(text, Map::new()).await?;
        Ok(rows.first().and_then(|r| r.get("c")).and_then(Json::as_u64).unwrap_or(0))
    }
}

pub fn clear_relationships(id_property: &str) -> String {
    let p = quote(id_property);
    format!("MATCH ()-[r]->() WHERE r.{p} IS NOT NULL WITH r LIMIT $batch SET r.{p} = null RETURN count(r) AS c")
}

pub fn count_relationships(id_property: &str) -> String {
    format!("MATCH ()-[r]->() WHERE r.{} IS NOT NULL RETURN count(r) AS c", quote(id_property))
}

#[async_trait]
impl Finalizer for NeptuneFinalizer {
    fn describe(&self) -> String {
        format!("property `{}` of every relationship (Neptune Analytics' stand-in for relationship ids)", self.id_property)
    }

    fn passes(&self) -> &'static [MarkPass] {
        &[MarkPass::Relationships]
    }

    async fn remaining(&self) -> Result<Marked, ConnectorError> {
        Ok(Marked { nodes: 0, relationships: self.count(&count_relationships(&self.id_property)).await? })
    }

    async fn clear(&self, pass: MarkPass, batch: usize) -> Result<Marked, ConnectorError> {
        if pass != MarkPass::Relationships {
            return Ok(Marked::default());
        }
        let mut params = Map::new();
        params.insert("batch".into(), json!(batch));
        // Not retried here: the pipeline's finalize loop retries and splits.
        let rows = self.client.query(&clear_relationships(&self.id_property), params).await?;
        let c = rows.first().and_then(|r| r.get("c")).and_then(Json::as_u64).unwrap_or(0);
        Ok(Marked { nodes: 0, relationships: c })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_relationship_batch_quotes_the_configured_property() {
        assert_eq!(
            clear_relationships("src id"),
            "MATCH ()-[r]->() WHERE r.`src id` IS NOT NULL WITH r LIMIT $batch SET r.`src id` = null RETURN count(r) AS c"
        );
    }
}
