//! What each migration operation does on Neo4j, as statements and steps, with nodestream's
//! constraint and index names; [`describe`] renders them for `--dry-run`.

use std::collections::BTreeSet;

use super::super::cypher::quote;
use crate::migrations::format::yaml_to_value;
use crate::migrations::Operation;

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
    pub(super) params: Vec<(&'static str, serde_yaml::Value)>,
}

impl Rounds {
    pub(super) fn text(&self, limit: usize) -> String {
        format!("{} WITH {} LIMIT {limit} {} RETURN count(*) AS c", self.matcher, self.carry, self.change)
    }
}

/// One step of an operation. Renames and key changes keep what the old constraint or indexes
/// covered, which only the live target knows: `Take*` reads and drops, `Put*` recreates.
pub(super) enum Step {
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
pub(super) struct Kept {
    pub(super) keys: BTreeSet<String>,
    pub(super) indexes: BTreeSet<String>,
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
    key_constraint_text(name, label, &pattern.join(", "), enterprise)
}

fn key_constraint_text(name: &str, label: &str, pattern: &str, enterprise: bool) -> String {
    let kind = if enterprise { "NODE KEY" } else { "UNIQUE" };
    format!("CREATE CONSTRAINT {} IF NOT EXISTS FOR (n:{}) REQUIRE ({pattern}) IS {kind}", quote(name), quote(label))
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

pub(super) fn drop_constraint(name: &str) -> String {
    format!("DROP CONSTRAINT {} IF EXISTS", quote(name))
}

pub(super) const CONSTRAINT_PROPERTIES: &str =
    "SHOW CONSTRAINTS YIELD name, properties WHERE name = $name RETURN properties AS properties";
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

/// Sets `property` where it is missing; like nodestream's `coalesce`, a null default changes nothing.
fn set_default(matcher: String, property: &str, default: Option<&serde_yaml::Value>) -> Vec<Step> {
    let Some(value) = default.filter(|v| yaml_to_value(v) != crate::model::Value::Null) else { return Vec::new() };
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

/// The steps of `op`, in order; empty when Neo4j needs nothing.
pub(super) fn steps(op: &Operation, enterprise: bool) -> Vec<Step> {
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

pub(super) fn entity_name(entity: Entity) -> &'static str {
    match entity {
        Entity::Node => "NODE",
        Entity::Relationship => "RELATIONSHIP",
    }
}

pub(super) fn describe(step: &Step, enterprise: bool) -> String {
    match step {
        Step::Statement(text) => text.clone(),
        Step::Rounds(r) => {
            let params: Vec<String> = r.params.iter().map(|(k, v)| format!("${k} = {}", serde_json::json!(v))).collect();
            let with = if params.is_empty() { String::new() } else { format!(" with {}", params.join(", ")) };
            format!("{} (repeated until it changes nothing){with}", r.text(BATCH))
        }
        Step::TakeKey { name } => format!(
            "{CONSTRAINT_PROPERTIES} (with $name = {name:?}: remembers the key properties), then {}",
            drop_constraint(name)
        ),
        Step::PutKey { name, label, remove, add } => {
            let mut edit = String::new();
            if let Some(r) = remove {
                edit.push_str(&format!(" without {}", quote(r)));
            }
            if let Some(a) = add {
                edit.push_str(&format!(" with {}", quote(a)));
            }
            let text = key_constraint_text(name, label, "n.{remembered keys}", enterprise);
            format!("{text} (the remembered keys{edit}; skipped if there were none)")
        }
        Step::TakeIndexes { entity, of } => format!(
            "{INDEXED_PROPERTIES} (with $entity = {:?}, $of = {of:?}: remembers the indexed properties), then DROP INDEX … IF EXISTS for each",
            entity_name(*entity)
        ),
        Step::PutIndexes { entity, of } => {
            format!("{} for each remembered {{field}}", create_index(*entity, of, "{field}"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn described(op: &Operation, enterprise: bool) -> Vec<String> {
        steps(op, enterprise).iter().map(|s| describe(s, enterprise)).collect()
    }

    #[test]
    fn keys_and_indexes_get_nodestreams_names() {
        let create = Operation::CreateNodeType {
            name: "Per`son".into(),
            keys: vec!["b".into(), "a".into()],
            properties: vec![],
        };
        assert_eq!(
            described(&create, false),
            ["CREATE CONSTRAINT `Per``son_node_key` IF NOT EXISTS FOR (n:`Per``son`) REQUIRE (n.`a`, n.`b`) IS UNIQUE"]
        );
        assert!(described(&create, true)[0].ends_with("IS NODE KEY"));
        let no_keys = Operation::CreateNodeType { name: "P".into(), keys: vec![], properties: vec!["x".into()] };
        assert!(steps(&no_keys, false).is_empty());
        let index =
            Operation::AddAdditionalRelationshipPropertyIndex { relationship_type: "R".into(), field_name: "w".into() };
        assert_eq!(
            described(&index, false),
            ["CREATE INDEX `R_w_additional_index` IF NOT EXISTS FOR ()-[r:`R`]-() ON (r.`w`)"]
        );
        let drop = Operation::DropAdditionalNodePropertyIndex { node_type: "P".into(), field_name: "f".into() };
        assert_eq!(described(&drop, false), ["DROP INDEX `P_f_additional_index` IF EXISTS"]);
    }

    #[test]
    fn data_changes_are_bounded_rounds() {
        let rename = Operation::RenameNodeType { old_type: "Movie".into(), new_type: "Film".into() };
        let text = described(&rename, false);
        assert_eq!(text.len(), 6, "{text:#?}");
        assert!(text[2]
            .starts_with("MATCH (x:`Movie`) WHERE NOT x:`Film` WITH x LIMIT 1000 SET x:`Film` RETURN count(*) AS c"));
        assert!(text[3].starts_with("MATCH (x:`Movie`) WITH x LIMIT 1000 REMOVE x:`Movie` RETURN count(*) AS c"));
        assert!(text[4].starts_with(
            "CREATE CONSTRAINT `Film_node_key` IF NOT EXISTS FOR (n:`Film`) REQUIRE (n.{remembered keys})"
        ));
        let add =
            Operation::AddNodeProperty { node_type: "P".into(), property_name: "s".into(), default: Some("x".into()) };
        assert_eq!(
            described(&add, false),
            ["MATCH (x:`P`) WHERE x.`s` IS NULL WITH x LIMIT 1000 SET x.`s` = $value RETURN count(*) AS c (repeated until it changes nothing) with $value = \"x\""]
        );
        let no_default = Operation::AddNodeProperty { node_type: "P".into(), property_name: "s".into(), default: None };
        assert!(steps(&no_default, false).is_empty());
        let same = Operation::RenameNodeProperty {
            node_type: "P".into(),
            old_property_name: "a".into(),
            new_property_name: "a".into(),
        };
        assert!(steps(&same, false).is_empty());
    }
}
