//! Migrations on a Neptune target (both modes).
//!
//! Neptune has no uniqueness constraints and indexes every property itself, so node types,
//! relationship types and indexes are no-ops (and `describe` says so); node keys are honoured by
//! the `~id` the copy derives from them. Data-changing operations run as repeated openCypher
//! updates of at most [`BATCH`] records each (`MATCH ... WITH x LIMIT n ... RETURN count(*)`
//! until a round changes nothing), so no single query nears the server's query timeout; a
//! round that fails anyway is retried with half as many records ([`crate::migrations::rounds`]).
//!
//! Applied migrations are `__NodestreamMigration__ {name}` nodes, exactly as nodestream's
//! Neptune plugin writes and reads them, so both tools share the history. The lock is one node
//! with a fixed `~id`: `~id`s are unique graph-wide, so of two runs creating it at once exactly
//! one succeeds.

use std::collections::BTreeSet;

use async_trait::async_trait;
use serde_json::{json, Map, Value as Json};

use super::client::Client;
use super::config::TemporalEncoding;
use super::encoding;
use super::query::quote;
use crate::connector::{ConnectorError, Migrator, MIGRATION_LOCKED};
use crate::migrations::{NodeKeys, Operation};
use crate::model::bookkeeping::{MIGRATION_HISTORY, MIGRATION_LOCK};
use crate::model::Value;

/// Records changed per query: small enough to finish in seconds on a busy cluster.
const BATCH: usize = 1000;
/// The lock node's label, and its fixed `~id` (so two runs contend for one node).
const LOCK_ID: &str = MIGRATION_LOCK;

pub struct NeptuneMigrator {
    client: Client,
}

/// What one operation does on Neptune.
enum Plan {
    Nothing(&'static str),
    /// Phases run one after the other, each repeated until it changes nothing.
    Rounds(Vec<Phase>),
}

/// Repeat `statement(limit)` with `params` until it changes nothing.
struct Phase {
    statement: Box<dyn Fn(usize) -> String + Send + Sync>,
    params: Map<String, Json>,
}

fn params(pairs: &[(&str, Json)]) -> Map<String, Json> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
}

fn rounds(statement: impl Fn(usize) -> String + Send + Sync + 'static, params: Map<String, Json>) -> Plan {
    Plan::Rounds(vec![Phase { statement: Box::new(statement), params }])
}

/// Two phases: `first` until it changes nothing, then `second`.
fn two_phases(
    first: impl Fn(usize) -> String + Send + Sync + 'static,
    second: impl Fn(usize) -> String + Send + Sync + 'static,
) -> Plan {
    Plan::Rounds(vec![
        Phase { statement: Box::new(first), params: Map::new() },
        Phase { statement: Box::new(second), params: Map::new() },
    ])
}

fn node_match(label: &str) -> String {
    format!("MATCH (x:{})", quote(label))
}

fn rel_match(rel_type: &str) -> String {
    format!("MATCH ()-[x:{}]->()", quote(rel_type))
}

/// Sets `property` to `default` where it is missing (a null default changes nothing).
fn set_default(matcher: String, property: &str, default: Option<&Value>) -> Plan {
    // Defaults come from migration YAML, which holds no temporal values: the temporal encoding
    // does not matter here.
    let value = default.and_then(|v| match encoding::encode(v, TemporalEncoding::String).0 {
        encoding::Encoded::Json(json) => Some(json),
        encoding::Encoded::Omitted | encoding::Encoded::DateTime(_) => None,
    });
    let Some(value) = value else { return Plan::Nothing("no default value: nothing to write") };
    let p = quote(property);
    rounds(
        move |n| format!("{matcher} WHERE x.{p} IS NULL WITH x LIMIT {n} SET x.{p} = $value RETURN count(*) AS c"),
        params(&[("value", value)]),
    )
}

fn drop_property(matcher: String, property: &str) -> Plan {
    let p = quote(property);
    rounds(
        move |n| format!("{matcher} WHERE x.{p} IS NOT NULL WITH x LIMIT {n} SET x.{p} = null RETURN count(*) AS c"),
        Map::new(),
    )
}

fn rename_property(matcher: String, old: &str, new: &str) -> Plan {
    if old == new {
        return Plan::Nothing("old and new names are the same");
    }
    let (o, p) = (quote(old), quote(new));
    // `= null` removes the old property in the same SET (standard openCypher; the test
    // server's engine ignores REMOVE after SET and on relationships, so SET is used throughout).
    rounds(
        move |n| {
            format!("{matcher} WHERE x.{o} IS NOT NULL WITH x LIMIT {n} SET x.{p} = x.{o}, x.{o} = null RETURN count(*) AS c")
        },
        Map::new(),
    )
}

fn plan(op: &Operation) -> Plan {
    use Operation::*;
    match op {
        CreateNodeType { .. } => Plan::Nothing("no constraints; node keys become the `~id` of copied nodes"),
        CreateRelationshipType { .. } => Plan::Nothing("no constraints"),
        AddAdditionalNodePropertyIndex { .. }
        | DropAdditionalNodePropertyIndex { .. }
        | AddAdditionalRelationshipPropertyIndex { .. }
        | DropAdditionalRelationshipPropertyIndex { .. } => Plan::Nothing("it indexes every property itself"),
        DropNodeType { name } => {
            let m = node_match(name);
            rounds(move |n| format!("{m} WITH x LIMIT {n} DETACH DELETE x RETURN count(*) AS c"), Map::new())
        }
        DropRelationshipType { name } => {
            let m = rel_match(name);
            rounds(move |n| format!("{m} WITH x LIMIT {n} DELETE x RETURN count(*) AS c"), Map::new())
        }
        RenameNodeType { old_type, new_type } if old_type == new_type => {
            Plan::Nothing("old and new names are the same")
        }
        RenameNodeType { old_type, new_type } => {
            // Adding the new label to every node first and removing the old one after keeps a
            // node labelled throughout, and each phase is idempotent, so an interrupted rename
            // run again finishes. (One statement doing both is valid openCypher too; the test
            // server's engine cannot change a node's labels twice in one query.)
            let (m, o, t) = (node_match(old_type), quote(old_type), quote(new_type));
            let m2 = m.clone();
            two_phases(
                move |n| format!("{m} WHERE NOT x:{t} WITH x LIMIT {n} SET x:{t} RETURN count(*) AS c"),
                move |n| format!("{m2} WITH x LIMIT {n} REMOVE x:{o} RETURN count(*) AS c"),
            )
        }
        RenameRelationshipType { old_type, new_type } if old_type == new_type => {
            Plan::Nothing("old and new names are the same")
        }
        RenameRelationshipType { old_type, new_type } => {
            // A relationship's type cannot change: each is recreated under the new type, with
            // its `~id` (the source id graphferry copied it with, so a later copy or verify
            // finds it), which is free again once the old one is deleted.
            let (o, t) = (quote(old_type), quote(new_type));
            rounds(
                move |n| {
                    format!("MATCH (a)-[x:{o}]->(b) WITH a, x, b LIMIT {n} WITH a, b, x, id(x) AS i, properties(x) AS p DELETE x CREATE (a)-[y:{t} {{`~id`: i}}]->(b) SET y += p RETURN count(*) AS c")
                },
                Map::new(),
            )
        }
        AddNodeProperty { node_type, property_name, default } => {
            set_default(node_match(node_type), property_name, default.as_ref())
        }
        NodeKeyExtended { node_type, added_key_property, default } => {
            set_default(node_match(node_type), added_key_property, Some(default))
        }
        AddRelationshipProperty { relationship_type, property_name, default } => {
            set_default(rel_match(relationship_type), property_name, default.as_ref())
        }
        RelationshipKeyExtended { relationship_type, added_key_property, default } => {
            set_default(rel_match(relationship_type), added_key_property, Some(default))
        }
        DropNodeProperty { node_type, property_name } => drop_property(node_match(node_type), property_name),
        DropRelationshipProperty { relationship_type, property_name } => {
            drop_property(rel_match(relationship_type), property_name)
        }
        RenameNodeProperty { node_type, old_property_name: old, new_property_name: new }
        | NodeKeyPartRenamed { node_type, old_key_part_name: old, new_key_part_name: new } => {
            rename_property(node_match(node_type), old, new)
        }
        RenameRelationshipProperty { relationship_type, old_property_name: old, new_property_name: new }
        | RelationshipKeyPartRenamed { relationship_type, old_key_part_name: old, new_key_part_name: new } => {
            rename_property(rel_match(relationship_type), old, new)
        }
    }
}

impl NeptuneMigrator {
    pub fn new(client: Client) -> Self {
        NeptuneMigrator { client }
    }

    async fn lock_exists(&self) -> Result<bool, ConnectorError> {
        let text = format!("MATCH (l:{} {{`~id`: $id}}) RETURN id(l) AS id", quote(LOCK_ID));
        Ok(!self.client.query_retrying(&text, params(&[("id", json!(LOCK_ID))])).await?.is_empty())
    }

    fn locked(&self) -> ConnectorError {
        ConnectorError::fatal(format!("target `{}`: the migration lock node `{LOCK_ID}` exists", self.client.target()))
            .with_code(MIGRATION_LOCKED)
    }
}

#[async_trait]
impl Migrator for NeptuneMigrator {
    async fn lock(&self) -> Result<(), ConnectorError> {
        if self.lock_exists().await? {
            return Err(self.locked());
        }
        let text = format!("CREATE (l:{} {{`~id`: $id}}) SET l.created_at = $at RETURN id(l) AS id", quote(LOCK_ID));
        let at = chrono::Utc::now().to_rfc3339();
        match self.client.query_retrying(&text, params(&[("id", json!(LOCK_ID)), ("at", json!(at))])).await {
            Ok(_) => Ok(()),
            // Lost the race (a duplicate `~id`), or the CREATE failed for another reason: the
            // lock node tells which.
            Err(e) => match self.lock_exists().await {
                Ok(true) => Err(self.locked()),
                _ => Err(e),
            },
        }
    }

    async fn unlock(&self) -> Result<(), ConnectorError> {
        let text = format!("MATCH (l:{} {{`~id`: $id}}) DELETE l", quote(LOCK_ID));
        self.client.query_retrying(&text, params(&[("id", json!(LOCK_ID))])).await.map(drop)
    }

    async fn applied(&self) -> Result<BTreeSet<String>, ConnectorError> {
        let text = format!("MATCH (m:{}) RETURN m.name AS name", quote(MIGRATION_HISTORY));
        let rows = self.client.query_retrying(&text, Map::new()).await?;
        Ok(rows.iter().filter_map(|r| r["name"].as_str().map(str::to_string)).collect())
    }

    fn describe(&self, op: &Operation, _keys: &NodeKeys) -> Vec<String> {
        match plan(op) {
            Plan::Nothing(why) => vec![format!("nothing to do on Neptune ({why})")],
            Plan::Rounds(phases) => phases
                .into_iter()
                .map(|Phase { statement, params }| {
                    let shown = if params.is_empty() {
                        String::new()
                    } else {
                        format!(" with parameters {}", Json::Object(params))
                    };
                    format!("{} (repeated until it changes nothing){shown}", statement(BATCH))
                })
                .collect(),
        }
    }

    async fn apply(&self, op: &Operation, _keys: &NodeKeys) -> Result<(), ConnectorError> {
        let Plan::Rounds(phases) = plan(op) else { return Ok(()) };
        for phase in phases {
            self.apply_phase(op, phase).await?;
        }
        Ok(())
    }

    async fn record(&self, migration: &str) -> Result<(), ConnectorError> {
        let text = format!("MERGE (m:{} {{name: $name}})", quote(MIGRATION_HISTORY));
        self.client.query_retrying(&text, params(&[("name", json!(migration))])).await.map(drop)
    }
}

impl NeptuneMigrator {
    async fn apply_phase(&self, op: &Operation, Phase { statement, params }: Phase) -> Result<(), ConnectorError> {
        // Every round must shrink what its MATCH ... WHERE selects; if the server did not apply
        // a round's change, the same records would match forever. So the records to change are
        // counted first (the statement up to its `WITH`), and changing more than that fails.
        let count_text = format!("{} RETURN count(*) AS c", statement(1).split(" WITH ").next().unwrap_or_default());
        let to_change = self.client.query_retrying(&count_text, params.clone()).await?;
        let to_change = to_change.first().and_then(|r| r["c"].as_u64()).unwrap_or(0);
        let rounds = crate::migrations::rounds::Rounds {
            target: self.client.target(),
            operation: op.name(),
            to_change,
            limit: BATCH,
        };
        let round = |limit| {
            let (text, params) = (statement(limit), params.clone());
            async move {
                Ok(self.client.query_retrying(&text, params).await?.first().and_then(|r| r["c"].as_u64()).unwrap_or(0))
            }
        };
        rounds.run(round, &statement).await.map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn statement(op: &Operation) -> String {
        match plan(op) {
            Plan::Rounds(phases) => phases.iter().map(|p| (p.statement)(10)).collect::<Vec<_>>().join("; then "),
            Plan::Nothing(why) => format!("nothing: {why}"),
        }
    }

    #[test]
    fn schema_operations_are_no_ops_and_data_operations_are_bounded() {
        let create = Operation::CreateNodeType { name: "P".into(), keys: vec!["k".into()], properties: vec![] };
        assert!(statement(&create).starts_with("nothing"));
        let rename = Operation::RenameNodeProperty {
            node_type: "Person".into(),
            old_property_name: "name".into(),
            new_property_name: "full name".into(),
        };
        assert_eq!(
            statement(&rename),
            "MATCH (x:`Person`) WHERE x.`name` IS NOT NULL WITH x LIMIT 10 SET x.`full name` = x.`name`, x.`name` = null RETURN count(*) AS c"
        );
        let add = Operation::AddNodeProperty { node_type: "P".into(), property_name: "n".into(), default: None };
        assert!(statement(&add).starts_with("nothing"));
    }
}
