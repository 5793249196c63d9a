//! Migrations on a Neo4j 5 target, with nodestream's names throughout so both tools share a
//! database: history is `__NodestreamMigration__ {name}` nodes, the lock is one
//! `__NodestreamMigrationLock__ {lock: 'lock'}` node guarded by a uniqueness constraint, node keys
//! are constraints named `{Type}_node_key` (NODE KEY with `use_enterprise_features`) and
//! additional indexes are range indexes named `{type}_{field}_additional_index`.
//!
//! Data changes (renames, defaults, drops) run as client-side rounds
//! (`MATCH … WITH x LIMIT n <change> RETURN count(*)`, each round its own transaction, repeated
//! until a round changes nothing) rather than `CALL {…} IN TRANSACTIONS`: Neo4j refuses that
//! inside the explicit transactions the client uses (it never lets neo4rs retry on its own), and
//! rounds behave the same on servers without it. No single query nears the query timeout.

use std::collections::BTreeSet;

use async_trait::async_trait;
use neo4rs::{query, BoltType, Query};

use super::client::{column, Client};
use super::config::Neo4jConfig;
use super::cypher::quote;
use super::value::to_bolt;
use crate::connector::{ConnectorError, ErrorClass, Migrator, MIGRATION_LOCKED};
use crate::migrations::format::yaml_to_value;
use crate::migrations::Operation;

/// Records changed per round: small enough for one transaction well under the query timeout.
const BATCH: usize = 1000;
const LOCK_LABEL: &str = "__NodestreamMigrationLock__";
const HISTORY_LABEL: &str = "__NodestreamMigration__";

pub struct Neo4jMigrator {
    client: Client,
    enterprise: bool,
}

/// Nodes or relationships, for index statements.
#[derive(Clone, Copy)]
enum Entity {
    Node,
    Relationship,
}

/// A repeated data update: `{matcher} WITH {carry} LIMIT n {change} RETURN count(*) AS c`.
struct Rounds {
    matcher: String,
    carry: &'static str,
    change: String,
    /// Parameters (from the migration file, never from data).
    params: Vec<(&'static str, BoltType)>,
}

impl Rounds {
    fn text(&self, limit: usize) -> String {
        format!("{} WITH {} LIMIT {limit} {} RETURN count(*) AS c", self.matcher, self.carry, self.change)
    }
}

/// One step of an operation. Renames and key changes keep what the old constraint or indexes
/// covered, which only the live target knows: `Take*` reads and drops, `Put*` recreates.
enum Step {
    Statement(String),
    Rounds(Rounds),
    /// Remembers the properties of constraint `name` (none if it is missing), then drops it.
    TakeKey {
        name: String,
    },
    /// Creates constraint `name` on `label` over the remembered properties, edited.
    PutKey {
        name: String,
        label: String,
        remove: Option<String>,
        add: Option<String>,
    },
    /// Remembers the properties with an additional index on `of`, then drops those indexes.
    TakeIndexes {
        entity: Entity,
        of: String,
    },
    /// Creates additional indexes on `of` for the remembered properties.
    PutIndexes {
        entity: Entity,
        of: String,
    },
}

/// What `Take*` steps remembered for the `Put*` steps of the same operation.
#[derive(Default)]
struct Kept {
    keys: BTreeSet<String>,
    indexes: BTreeSet<String>,
}

fn key_name(label: &str) -> String {
    format!("{label}_node_key")
}

fn index_name(of: &str, field: &str) -> String {
    format!("{of}_{field}_additional_index")
}

/// nodestream's key constraint: properties sorted, so re-creating it gives the same statement.
fn key_constraint(name: &str, label: &str, keys: &BTreeSet<String>, enterprise: bool) -> String {
    let pattern: Vec<String> = keys.iter().map(|k| format!("n.{}", quote(k))).collect();
    let kind = if enterprise { "NODE KEY" } else { "UNIQUE" };
    format!(
        "CREATE CONSTRAINT {} IF NOT EXISTS FOR (n:{}) REQUIRE ({}) IS {kind}",
        quote(name),
        quote(label),
        pattern.join(", ")
    )
}

fn create_index(entity: Entity, of: &str, field: &str) -> String {
    let (name, f) = (quote(&index_name(of, field)), quote(field));
    match entity {
        Entity::Node => format!("CREATE INDEX {name} IF NOT EXISTS FOR (n:{}) ON (n.{f})", quote(of)),
        Entity::Relationship => format!("CREATE INDEX {name} IF NOT EXISTS FOR ()-[r:{}]-() ON (r.{f})", quote(of)),
    }
}

fn drop_index(of: &str, field: &str) -> String {
    format!("DROP INDEX {} IF EXISTS", quote(&index_name(of, field)))
}

fn drop_constraint(name: &str) -> String {
    format!("DROP CONSTRAINT {} IF EXISTS", quote(name))
}

const CONSTRAINT_PROPERTIES: &str =
    "SHOW CONSTRAINTS YIELD name, properties WHERE name = $name RETURN properties AS properties";
const INDEXED_PROPERTIES: &str = "SHOW INDEXES YIELD properties, entityType, labelsOrTypes, owningConstraint \
     WHERE entityType = $entity AND labelsOrTypes = [$of] AND owningConstraint IS NULL RETURN properties AS properties";

fn node(label: &str) -> String {
    format!("MATCH (x:{})", quote(label))
}

fn rel(rel_type: &str) -> String {
    format!("MATCH ()-[x:{}]->()", quote(rel_type))
}

fn rounds(matcher: String, change: String) -> Step {
    Step::Rounds(Rounds { matcher, carry: "x", change, params: Vec::new() })
}

/// Sets `property` where it is missing; like nodestream's `coalesce`, a null default changes nothing.
fn set_default(matcher: String, property: &str, default: Option<&serde_yaml::Value>) -> Vec<Step> {
    let value = default.map(yaml_to_value).unwrap_or(crate::model::Value::Null);
    if value == crate::model::Value::Null {
        return Vec::new();
    }
    let p = quote(property);
    vec![Step::Rounds(Rounds {
        matcher: format!("{matcher} WHERE x.{p} IS NULL"),
        carry: "x",
        change: format!("SET x.{p} = $value"),
        params: vec![("value", to_bolt(&value))],
    })]
}

fn drop_property(matcher: String, property: &str) -> Vec<Step> {
    let p = quote(property);
    // `= null` removes the property (standard Cypher); a `REMOVE x.p` round over Bolt left the
    // property in place on ArcadeDB (the progress check caught it).
    vec![rounds(format!("{matcher} WHERE x.{p} IS NOT NULL"), format!("SET x.{p} = null"))]
}

fn rename_property(matcher: String, old: &str, new: &str) -> Vec<Step> {
    if old == new {
        return Vec::new();
    }
    let (o, n) = (quote(old), quote(new));
    vec![rounds(format!("{matcher} WHERE x.{o} IS NOT NULL"), format!("SET x.{n} = x.{o}, x.{o} = null"))]
}

/// The steps of `op`, in order; empty when Neo4j needs nothing.
fn steps(op: &Operation, enterprise: bool) -> Vec<Step> {
    use Operation::*;
    use Step::Statement;
    match op {
        CreateNodeType { name, keys, .. } if !keys.is_empty() => {
            vec![Statement(key_constraint(&key_name(name), name, &keys.iter().cloned().collect(), enterprise))]
        }
        CreateNodeType { .. } | CreateRelationshipType { .. } => Vec::new(),
        DropNodeType { name } => vec![
            Statement(drop_constraint(&key_name(name))),
            Step::TakeIndexes { entity: Entity::Node, of: name.clone() },
            rounds(node(name), "DETACH DELETE x".into()),
        ],
        DropRelationshipType { name } => vec![
            Step::TakeIndexes { entity: Entity::Relationship, of: name.clone() },
            rounds(rel(name), "DELETE x".into()),
        ],
        RenameNodeType { old_type, new_type } if old_type == new_type => Vec::new(),
        RenameNodeType { old_type, new_type } => vec![
            Step::TakeKey { name: key_name(old_type) },
            Step::TakeIndexes { entity: Entity::Node, of: old_type.clone() },
            // Two passes, adding then removing a label: ArcadeDB turns each label change into a
            // copy of the node, and both in one query trips its unique indexes on the node's
            // other labels. Neo4j ends the same; an interrupted run is finished by the next.
            rounds(format!("{} WHERE NOT x:{}", node(old_type), quote(new_type)), format!("SET x:{}", quote(new_type))),
            rounds(node(old_type), format!("REMOVE x:{}", quote(old_type))),
            Step::PutKey { name: key_name(new_type), label: new_type.clone(), remove: None, add: None },
            Step::PutIndexes { entity: Entity::Node, of: new_type.clone() },
        ],
        RenameRelationshipType { old_type, new_type } if old_type == new_type => Vec::new(),
        RenameRelationshipType { old_type, new_type } => vec![
            Step::TakeIndexes { entity: Entity::Relationship, of: old_type.clone() },
            // A relationship's type cannot change: each is recreated under the new type.
            Step::Rounds(Rounds {
                matcher: format!("MATCH (a)-[x:{}]->(b)", quote(old_type)),
                carry: "a, x, b",
                change: format!("CREATE (a)-[y:{}]->(b) SET y += properties(x) DELETE x", quote(new_type)),
                params: Vec::new(),
            }),
            Step::PutIndexes { entity: Entity::Relationship, of: new_type.clone() },
        ],
        AddNodeProperty { node_type, property_name, default } => {
            set_default(node(node_type), property_name, default.as_ref())
        }
        AddRelationshipProperty { relationship_type, property_name, default } => {
            set_default(rel(relationship_type), property_name, default.as_ref())
        }
        DropNodeProperty { node_type, property_name } => drop_property(node(node_type), property_name),
        DropRelationshipProperty { relationship_type, property_name } => {
            drop_property(rel(relationship_type), property_name)
        }
        RenameNodeProperty { node_type, old_property_name: old, new_property_name: new } => {
            rename_property(node(node_type), old, new)
        }
        RenameRelationshipProperty { relationship_type, old_property_name: old, new_property_name: new }
        | RelationshipKeyPartRenamed { relationship_type, old_key_part_name: old, new_key_part_name: new } => {
            rename_property(rel(relationship_type), old, new)
        }
        AddAdditionalNodePropertyIndex { node_type, field_name } => {
            vec![Statement(create_index(Entity::Node, node_type, field_name))]
        }
        AddAdditionalRelationshipPropertyIndex { relationship_type, field_name } => {
            vec![Statement(create_index(Entity::Relationship, relationship_type, field_name))]
        }
        DropAdditionalNodePropertyIndex { node_type: of, field_name }
        | DropAdditionalRelationshipPropertyIndex { relationship_type: of, field_name } => {
            vec![Statement(drop_index(of, field_name))]
        }
        NodeKeyExtended { node_type, added_key_property, default } => {
            let mut s = vec![Step::TakeKey { name: key_name(node_type) }];
            s.extend(set_default(node(node_type), added_key_property, Some(default)));
            s.push(Step::PutKey {
                name: key_name(node_type),
                label: node_type.clone(),
                remove: None,
                add: Some(added_key_property.clone()),
            });
            s
        }
        RelationshipKeyExtended { relationship_type, added_key_property, default } => {
            set_default(rel(relationship_type), added_key_property, Some(default))
        }
        NodeKeyPartRenamed { node_type, old_key_part_name: old, new_key_part_name: new } => {
            let mut s = vec![Step::TakeKey { name: key_name(node_type) }];
            s.extend(rename_property(node(node_type), old, new));
            s.push(Step::PutKey {
                name: key_name(node_type),
                label: node_type.clone(),
                remove: Some(old.clone()),
                add: Some(new.clone()),
            });
            s
        }
    }
}

fn entity_name(entity: Entity) -> &'static str {
    match entity {
        Entity::Node => "NODE",
        Entity::Relationship => "RELATIONSHIP",
    }
}

fn describe_step(step: &Step, enterprise: bool) -> String {
    match step {
        Step::Statement(text) => text.clone(),
        Step::Rounds(r) => {
            let params: Vec<String> = r.params.iter().map(|(k, v)| format!("${k} = {v:?}")).collect();
            let with = if params.is_empty() { String::new() } else { format!(" with {}", params.join(", ")) };
            format!("{} (repeated until it changes nothing){with}", r.text(BATCH))
        }
        Step::TakeKey { name } => format!(
            "{CONSTRAINT_PROPERTIES} (with $name = {name:?}: remembers the key properties), then {}",
            drop_constraint(name)
        ),
        Step::PutKey { name, label, remove, add } => {
            let edit = [remove.as_ref().map(|r| format!("without {r:?}")), add.as_ref().map(|a| format!("with {a:?}"))]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(", ");
            let keys = BTreeSet::from(["<remembered key properties>".to_string()]);
            let text = key_constraint(name, label, &keys, enterprise).replace("n.`<remembered key properties>`", "…");
            format!("{text} (over the remembered key properties{}{edit}; skipped if there are none)", if edit.is_empty() { "" } else { ", " })
        }
        Step::TakeIndexes { entity, of } => format!(
            "{INDEXED_PROPERTIES} (with $entity = {:?}, $of = {of:?}: remembers the indexed properties), then DROP INDEX … IF EXISTS for each",
            entity_name(*entity)
        ),
        Step::PutIndexes { entity, of } => {
            format!("{} for each remembered property", create_index(*entity, of, "…").replace("`…`", "…"))
        }
    }
}

impl Neo4jMigrator {
    pub async fn connect(target: &str, cfg: &Neo4jConfig) -> Result<Self, ConnectorError> {
        Ok(Neo4jMigrator { client: Client::connect(target, cfg, 1).await?, enterprise: cfg.use_enterprise_features })
    }

    /// Runs one statement in a transaction of its own (Neo4j refuses schema and data changes
    /// in one transaction) and returns its `c` column.
    async fn run(&self, action: &str, q: Query) -> Result<i64, ConnectorError> {
        Ok(self.client.write(action, vec![q]).await?.into_iter().sum())
    }

    async fn lock_held(&self) -> Result<bool, ConnectorError> {
        let text = format!("MATCH (l:{} {{lock: 'lock'}}) RETURN count(l) AS c", quote(LOCK_LABEL));
        let rows = self.client.rows(query(&text)).await?;
        Ok(rows.first().map(|r| column::<i64>(self.client.target(), r, "c")).transpose()?.unwrap_or(0) > 0)
    }

    /// The property lists `text` returns in its `properties` column.
    async fn property_lists(&self, q: Query) -> Result<Vec<Vec<String>>, ConnectorError> {
        let rows = self.client.rows(q).await?;
        rows.iter().map(|r| column::<Vec<String>>(self.client.target(), r, "properties")).collect()
    }

    async fn apply_rounds(&self, op: &Operation, r: &Rounds) -> Result<(), ConnectorError> {
        let with_params = |text: String| r.params.iter().fold(query(&text), |q, (k, v)| q.param(k, v.clone()));
        // A round that the server did not apply would match the same records forever, so the
        // records to change are counted first and changing more than that is an error.
        let to_change =
            self.run("counting records to migrate", with_params(format!("{} RETURN count(*) AS c", r.matcher))).await?;
        let (mut limit, mut total) = (BATCH, 0i64);
        loop {
            if total > to_change {
                return Err(ConnectorError::fatal(format!(
                    "Neo4j target `{}`: {} changed {total} records where {to_change} matched; the server does not apply `{}`",
                    self.client.target(),
                    op.name(),
                    r.text(limit)
                )));
            }
            let changed = match self.run(op.name(), with_params(r.text(limit))).await {
                Err(e) if e.class == ErrorClass::SplitBatch && limit > 1 => {
                    limit /= 2;
                    continue;
                }
                other => other?,
            };
            total += changed;
            if changed == 0 {
                tracing::info!(
                    target_name = self.client.target(),
                    operation = op.name(),
                    records = total,
                    "migration data changed"
                );
                return Ok(());
            }
        }
    }

    async fn apply_step(&self, op: &Operation, step: &Step, kept: &mut Kept) -> Result<(), ConnectorError> {
        match step {
            Step::Statement(text) => self.run(op.name(), query(text)).await.map(drop),
            Step::Rounds(r) => self.apply_rounds(op, r).await,
            Step::TakeKey { name } => {
                let lists = self.property_lists(query(CONSTRAINT_PROPERTIES).param("name", name.as_str())).await?;
                kept.keys = lists.into_iter().flatten().collect();
                self.run(op.name(), query(&drop_constraint(name))).await.map(drop)
            }
            Step::PutKey { name, label, remove, add } => {
                // No constraint was there to move: nothing to recreate.
                if kept.keys.is_empty() {
                    return Ok(());
                }
                let mut keys = kept.keys.clone();
                keys.extend(add.iter().cloned());
                if let Some(r) = remove {
                    keys.remove(r);
                }
                self.run(op.name(), query(&key_constraint(name, label, &keys, self.enterprise))).await.map(drop)
            }
            Step::TakeIndexes { entity, of } => {
                let q = query(INDEXED_PROPERTIES).param("entity", entity_name(*entity)).param("of", of.as_str());
                // Single-property indexes only: additional indexes are on one field each.
                kept.indexes = self.property_lists(q).await?.into_iter().filter(|p| p.len() == 1).flatten().collect();
                for field in &kept.indexes {
                    self.run(op.name(), query(&drop_index(of, field))).await?;
                }
                Ok(())
            }
            Step::PutIndexes { entity, of } => {
                for field in &kept.indexes {
                    self.run(op.name(), query(&create_index(*entity, of, field))).await?;
                }
                Ok(())
            }
        }
    }
}

#[async_trait]
impl Migrator for Neo4jMigrator {
    async fn lock(&self) -> Result<(), ConnectorError> {
        let locked = || {
            ConnectorError::fatal(format!(
                "Neo4j target `{}`: the migration lock node `{LOCK_LABEL}` exists",
                self.client.target()
            ))
            .with_code(MIGRATION_LOCKED)
        };
        if self.lock_held().await? {
            return Err(locked());
        }
        // As nodestream does: the constraint makes a second lock node fail, so of two runs
        // creating it at once exactly one succeeds.
        for (label, key) in [(LOCK_LABEL, "lock"), (HISTORY_LABEL, "name")] {
            let text = key_constraint(&key_name(label), label, &BTreeSet::from([key.to_string()]), self.enterprise);
            if let Err(e) = self.run("creating the migration constraints", query(&text)).await {
                // Two runs creating the same constraint at once: one of them may be refused.
                let exists = self.property_lists(query(CONSTRAINT_PROPERTIES).param("name", key_name(label))).await?;
                if exists.is_empty() {
                    return Err(e);
                }
            }
        }
        let text = format!("CREATE (l:{} {{lock: 'lock'}}) RETURN count(l) AS c", quote(LOCK_LABEL));
        match self.run("taking the migration lock", query(&text)).await {
            Ok(_) => Ok(()),
            // Lost the race (the constraint refused a second lock node), or the CREATE failed
            // for another reason: the lock node tells which.
            Err(e) => match self.lock_held().await {
                Ok(true) => Err(locked()),
                _ => Err(e),
            },
        }
    }

    async fn unlock(&self) -> Result<(), ConnectorError> {
        let text = format!("MATCH (l:{} {{lock: 'lock'}}) DELETE l", quote(LOCK_LABEL));
        self.run("releasing the migration lock", query(&text)).await.map(drop)
    }

    async fn applied(&self) -> Result<BTreeSet<String>, ConnectorError> {
        let text = format!("MATCH (m:{}) RETURN m.name AS name", quote(HISTORY_LABEL));
        let rows = self.client.rows(query(&text)).await?;
        let names = rows.iter().map(|r| column::<Option<String>>(self.client.target(), r, "name"));
        Ok(names.collect::<Result<Vec<_>, _>>()?.into_iter().flatten().collect())
    }

    fn describe(&self, op: &Operation) -> Vec<String> {
        let steps = steps(op, self.enterprise);
        if steps.is_empty() {
            return vec![format!("{} ({}): nothing to do on Neo4j", op.name(), op.subject())];
        }
        steps.iter().map(|s| describe_step(s, self.enterprise)).collect()
    }

    async fn apply(&self, op: &Operation) -> Result<(), ConnectorError> {
        let mut kept = Kept::default();
        for step in steps(op, self.enterprise) {
            self.apply_step(op, &step, &mut kept).await?;
        }
        Ok(())
    }

    async fn record(&self, migration: &str) -> Result<(), ConnectorError> {
        let text = format!("MERGE (m:{} {{name: $name}}) RETURN count(m) AS c", quote(HISTORY_LABEL));
        self.run("recording the migration", query(&text).param("name", migration)).await.map(drop)
    }
}
