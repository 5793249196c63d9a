//! What each migration operation does on Neo4j, as statements and steps, with nodestream's
//! constraint and index names; [`describe`] renders them for `--dry-run`.

use std::collections::BTreeSet;

use super::super::cypher::quote;
use crate::migrations::{NodeKeys, Operation};
use crate::model::Value;

/// Records changed per round: small enough for one transaction well under the query timeout.
pub(super) const BATCH: usize = 1000;

/// Nodes or relationships, for index statements.
#[derive(Clone, Copy)]
pub(super) enum Entity {
    Node,
    Relationship,
}

/// A repeated data update: `{matcher} WITH {carry} LIMIT n {change} RETURN count(*) AS c`.
pub(super) struct Rounds {
    pub(super) matcher: String,
    pub(super) carry: &'static str,
    pub(super) change: String,
    /// Parameters (from the migration file, never from data).
    pub(super) params: Vec<(&'static str, Value)>,
}

impl Rounds {
    pub(super) fn text(&self, limit: usize) -> String {
        format!("{} WITH {} LIMIT {limit} {} RETURN count(*) AS c", self.matcher, self.carry, self.change)
    }
}

/// One step of an operation. Key constraints follow the keys the migration files declare, so a
/// run that stopped half-way is finished by the next one whatever it left behind. Additional
/// indexes are not declared in a form that follows renames, so a rename reads them from the
/// target: the old type keeps its indexes until the new one has them all.
pub(super) enum Step {
    Statement(String),
    Rounds(Rounds),
    /// Drops plain indexes on exactly `label`'s `keys` (see [`PLAIN_KEY_INDEXES`]), so the key
    /// constraint that follows can be created on Neo4j.
    DropPlainKeyIndexes {
        label: String,
        keys: Vec<String>,
    },
    /// Makes constraint `name` on `label` cover exactly `keys`: nothing if it already does,
    /// otherwise it is dropped and created again, then checked.
    Key {
        name: String,
        label: String,
        keys: BTreeSet<String>,
    },
    /// Remembers the properties with an additional index on `of`.
    ReadIndexes {
        entity: Entity,
        of: String,
    },
    /// Creates additional indexes on `of` for the remembered properties.
    CreateIndexes {
        entity: Entity,
        of: String,
    },
    /// Drops the additional indexes on `of` for the remembered properties.
    DropIndexes {
        of: String,
    },
}

pub(super) fn key_name(label: &str) -> String {
    format!("{label}_node_key")
}

fn index_name(of: &str, field: &str) -> String {
    format!("{of}_{field}_additional_index")
}

/// nodestream's key constraint: properties sorted, so re-creating it gives the same statement.
pub(super) fn key_constraint(name: &str, label: &str, keys: &BTreeSet<String>, enterprise: bool) -> String {
    let pattern: Vec<String> = keys.iter().map(|k| format!("n.{}", quote(k))).collect();
    let kind = if enterprise { "NODE KEY" } else { "UNIQUE" };
    format!(
        "CREATE CONSTRAINT {} IF NOT EXISTS FOR (n:{}) REQUIRE ({}) IS {kind}",
        quote(name),
        quote(label),
        pattern.join(", ")
    )
}

pub(super) fn create_index(entity: Entity, of: &str, field: &str) -> String {
    let (name, f) = (quote(&index_name(of, field)), quote(field));
    match entity {
        Entity::Node => format!("CREATE INDEX {name} IF NOT EXISTS FOR (n:{}) ON (n.{f})", quote(of)),
        Entity::Relationship => format!("CREATE INDEX {name} IF NOT EXISTS FOR ()-[r:{}]-() ON (r.{f})", quote(of)),
    }
}

pub(super) fn drop_index(of: &str, field: &str) -> String {
    format!("DROP INDEX {} IF EXISTS", quote(&index_name(of, field)))
}

pub(super) fn drop_index_named(name: &str) -> String {
    format!("DROP INDEX {} IF EXISTS", quote(name))
}

pub(super) fn drop_constraint(name: &str) -> String {
    format!("DROP CONSTRAINT {} IF EXISTS", quote(name))
}

pub(super) const CONSTRAINT_PROPERTIES: &str =
    "SHOW CONSTRAINTS YIELD name, properties WHERE name = $name RETURN properties AS properties";
/// Plain indexes on exactly a key's label and properties (as a copy's key lookups create them):
/// Neo4j refuses a uniqueness constraint while one exists (`Neo.ClientError.Schema.
/// IndexAlreadyExists`: "A constraint cannot be created until the index has been dropped"), and
/// the constraint's own index serves the same lookups. ArcadeDB accepts both side by side.
pub(super) const PLAIN_KEY_INDEXES: &str = "SHOW INDEXES YIELD name, properties, entityType, labelsOrTypes, owningConstraint \
     WHERE entityType = 'NODE' AND labelsOrTypes = [$of] AND owningConstraint IS NULL AND properties = $keys \
     RETURN name AS name";
pub(super) const INDEXED_PROPERTIES: &str =
    "SHOW INDEXES YIELD properties, entityType, labelsOrTypes, owningConstraint \
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

/// The key constraint of `label` as `keys` (the keys declared once the operation has run) has
/// it; none when they declare no keys, so a constraint the migrations never made is left alone.
fn key(label: &str, keys: &NodeKeys) -> Option<Step> {
    let keys: BTreeSet<String> = keys.get(label)?.iter().cloned().collect();
    (!keys.is_empty()).then(|| Step::Key { name: key_name(label), label: label.to_string(), keys })
}

/// Sets `property` where it is missing; like nodestream's `coalesce`, a null default changes nothing.
fn set_default(matcher: String, property: &str, default: Option<&Value>) -> Vec<Step> {
    let Some(value) = default.filter(|v| **v != Value::Null) else { return Vec::new() };
    let p = quote(property);
    vec![Step::Rounds(Rounds {
        matcher: format!("{matcher} WHERE x.{p} IS NULL"),
        carry: "x",
        change: format!("SET x.{p} = $value"),
        params: vec![("value", value.clone())],
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

/// The steps of `op`, in order, given the node keys declared once it has run; empty when Neo4j
/// needs nothing.
pub(super) fn steps(op: &Operation, keys: &NodeKeys, enterprise: bool) -> Vec<Step> {
    use Operation::*;
    use Step::Statement;
    match op {
        CreateNodeType { name, keys, .. } if !keys.is_empty() => {
            let keys: BTreeSet<String> = keys.iter().cloned().collect();
            vec![
                Step::DropPlainKeyIndexes { label: name.clone(), keys: keys.iter().cloned().collect() },
                Statement(key_constraint(&key_name(name), name, &keys, enterprise)),
            ]
        }
        CreateNodeType { .. } | CreateRelationshipType { .. } => Vec::new(),
        DropNodeType { name } => vec![
            Statement(drop_constraint(&key_name(name))),
            Step::ReadIndexes { entity: Entity::Node, of: name.clone() },
            Step::DropIndexes { of: name.clone() },
            rounds(node(name), "DETACH DELETE x".into()),
        ],
        DropRelationshipType { name } => vec![
            Step::ReadIndexes { entity: Entity::Relationship, of: name.clone() },
            Step::DropIndexes { of: name.clone() },
            rounds(rel(name), "DELETE x".into()),
        ],
        RenameNodeType { old_type, new_type } if old_type == new_type => Vec::new(),
        RenameNodeType { old_type, new_type } => {
            // The new type's constraint and indexes come first and the old type's go last, so
            // a run that stops half-way leaves both, never neither, and the next run finishes.
            let key = key(new_type, keys);
            let drop_old_key = key.is_some().then(|| Statement(drop_constraint(&key_name(old_type))));
            let mut s: Vec<Step> = key.into_iter().collect();
            s.extend([
                Step::ReadIndexes { entity: Entity::Node, of: old_type.clone() },
                Step::CreateIndexes { entity: Entity::Node, of: new_type.clone() },
                // Two passes, adding then removing a label: ArcadeDB turns each label change
                // into a copy of the node, and both in one query trips its unique indexes on
                // the node's other labels. Neo4j ends the same.
                rounds(
                    format!("{} WHERE NOT x:{}", node(old_type), quote(new_type)),
                    format!("SET x:{}", quote(new_type)),
                ),
                rounds(node(old_type), format!("REMOVE x:{}", quote(old_type))),
                Step::DropIndexes { of: old_type.clone() },
            ]);
            s.extend(drop_old_key);
            s
        }
        RenameRelationshipType { old_type, new_type } if old_type == new_type => Vec::new(),
        RenameRelationshipType { old_type, new_type } => vec![
            Step::ReadIndexes { entity: Entity::Relationship, of: old_type.clone() },
            Step::CreateIndexes { entity: Entity::Relationship, of: new_type.clone() },
            // A relationship's type cannot change: each is recreated under the new type.
            Step::Rounds(Rounds {
                matcher: format!("MATCH (a)-[x:{}]->(b)", quote(old_type)),
                carry: "a, x, b",
                change: format!("CREATE (a)-[y:{}]->(b) SET y += properties(x) DELETE x", quote(new_type)),
                params: Vec::new(),
            }),
            Step::DropIndexes { of: old_type.clone() },
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
        // The old constraint stays while the data changes (it is never weaker than the new
        // one), and is replaced only after.
        NodeKeyExtended { node_type, added_key_property, default } => {
            let mut s = set_default(node(node_type), added_key_property, Some(default));
            s.extend(key(node_type, keys));
            s
        }
        RelationshipKeyExtended { relationship_type, added_key_property, default } => {
            set_default(rel(relationship_type), added_key_property, Some(default))
        }
        // The old constraint goes first: ArcadeDB's composite unique indexes count a missing
        // part as a value, so nodes whose part is already renamed clash in it. A run that stops
        // before the new one exists is finished by the next (the keys come from the files).
        NodeKeyPartRenamed { node_type, old_key_part_name: old, new_key_part_name: new } => {
            let key = key(node_type, keys);
            let mut s: Vec<Step> = key.iter().map(|_| Statement(drop_constraint(&key_name(node_type)))).collect();
            s.extend(rename_property(node(node_type), old, new));
            s.extend(key);
            s
        }
    }
}

pub(super) fn entity_name(entity: Entity) -> &'static str {
    match entity {
        Entity::Node => "NODE",
        Entity::Relationship => "RELATIONSHIP",
    }
}

/// A default as `--dry-run` shows it, in JSON. Defaults come from YAML, so only YAML's kinds of
/// value occur; any other is shown by its type.
fn shown(value: &Value) -> serde_json::Value {
    use serde_json::Value as Json;
    match value {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Int(i) => Json::from(*i),
        Value::Float(f) => serde_json::Number::from_f64(*f).map_or_else(|| Json::from(f.to_string()), Json::Number),
        Value::String(s) => Json::from(s.as_str()),
        Value::List(items) => items.iter().map(shown).collect(),
        Value::Map(map) => map.iter().map(|(k, v)| (k.clone(), shown(v))).collect(),
        other => Json::from(other.type_name()),
    }
}

pub(super) fn describe(step: &Step, enterprise: bool) -> String {
    match step {
        Step::Statement(text) => text.clone(),
        Step::Rounds(r) => {
            let params: Vec<String> = r.params.iter().map(|(k, v)| format!("${k} = {}", shown(v))).collect();
            let with = if params.is_empty() { String::new() } else { format!(" with {}", params.join(", ")) };
            format!("{} (repeated until it changes nothing){with}", r.text(BATCH))
        }
        Step::Key { name, label, keys } => {
            let covered: Vec<String> = keys.iter().map(|k| quote(k)).collect();
            format!(
                "{CONSTRAINT_PROPERTIES} (with $name = {name:?}); unless it covers exactly ({}): {}, then {}",
                covered.join(", "),
                drop_constraint(name),
                key_constraint(name, label, keys, enterprise)
            )
        }
        Step::DropPlainKeyIndexes { label, keys } => {
            format!("{PLAIN_KEY_INDEXES} (with $of = {label:?}, $keys = {keys:?}), then DROP INDEX each")
        }
        Step::ReadIndexes { entity, of } => format!(
            "{INDEXED_PROPERTIES} (with $entity = {:?}, $of = {of:?}: remembers the indexed properties)",
            entity_name(*entity)
        ),
        Step::CreateIndexes { entity, of } => {
            format!("{} for each remembered {{field}}", create_index(*entity, of, "{field}"))
        }
        Step::DropIndexes { of } => format!("{} for each remembered {{field}}", drop_index(of, "{field}")),
    }
}

#[cfg(test)]
mod tests;
