//! The schema of a live Neo4j database, for `migrations make --from`: labels and relationship
//! types, the property names found on a sample of each, uniqueness / node-key constraints as
//! node keys, and single-property range indexes as additional indexes.
//!
//! Property names are sampled rather than read from `db.propertyKeys()`, which cannot say which
//! label a key belongs to (and returns nothing on ArcadeDB). graphferry's and nodestream's
//! bookkeeping (the identity label and source-id property, migration history and lock) is never
//! reported as schema.

use std::collections::{BTreeMap, BTreeSet};

use neo4rs::query;

use super::client::{column, Client};
use super::cypher::{self, quote};
use crate::connector::{ConnectorError, SchemaDetails};
use crate::model::bookkeeping::is_internal_label;

/// Records sampled per label or type for property names.
const SAMPLE: usize = 1000;

const CONSTRAINTS: &str = "SHOW CONSTRAINTS YIELD name, type, entityType, labelsOrTypes, properties \
     RETURN name, type, entityType, labelsOrTypes, properties";
const INDEXES: &str = "SHOW INDEXES YIELD name, type, entityType, labelsOrTypes, properties, owningConstraint \
     RETURN name, type, entityType, labelsOrTypes, properties, owningConstraint";

/// One row of `SHOW CONSTRAINTS` / `SHOW INDEXES`, with what introspection needs.
struct SchemaRow {
    name: String,
    kind: String,
    entity: String,
    of: Vec<String>,
    properties: Vec<String>,
    owned: bool,
}

async fn schema_rows(client: &Client, text: &str, indexes: bool) -> Result<Vec<SchemaRow>, ConnectorError> {
    let t = client.target();
    let mut out = Vec::new();
    for row in client.rows(query(text)).await? {
        out.push(SchemaRow {
            name: column::<Option<String>>(t, &row, "name")?.unwrap_or_default(),
            kind: column::<Option<String>>(t, &row, "type")?.unwrap_or_default().to_ascii_uppercase(),
            entity: column::<Option<String>>(t, &row, "entityType")?.unwrap_or_default().to_ascii_uppercase(),
            // Token lookup indexes have no labels or properties.
            of: column::<Option<Vec<String>>>(t, &row, "labelsOrTypes")?.unwrap_or_default(),
            properties: column::<Option<Vec<String>>>(t, &row, "properties")?.unwrap_or_default(),
            owned: indexes && column::<Option<String>>(t, &row, "owningConstraint")?.is_some(),
        });
    }
    Ok(out)
}

async fn names(client: &Client, text: &str, col: &str) -> Result<Vec<String>, ConnectorError> {
    let rows = client.rows(query(text)).await?;
    rows.iter().map(|r| column::<String>(client.target(), r, col)).collect()
}

/// Property names on a sample of what `matcher` binds to `x`.
async fn sampled_keys(client: &Client, matcher: &str, id_property: &str) -> Result<BTreeSet<String>, ConnectorError> {
    let text = format!("{matcher} WITH x LIMIT {SAMPLE} UNWIND keys(x) AS k RETURN DISTINCT k AS k");
    let mut keys: BTreeSet<String> = names(client, &text, "k").await?.into_iter().collect();
    keys.remove(id_property);
    Ok(keys)
}

/// Reads the schema; `marker` and `id_property` are the identity label and source-id property a
/// graphferry copy adds.
pub(super) async fn introspect(
    client: &Client,
    marker: &str,
    id_property: &str,
) -> Result<SchemaDetails, ConnectorError> {
    let internal = |l: &str| is_internal_label(l, marker);
    let mut details = SchemaDetails::default();
    for label in names(client, cypher::LABELS, "label").await? {
        if !internal(&label) {
            let keys = sampled_keys(client, &format!("MATCH (x:{})", quote(&label)), id_property).await?;
            details.node_properties.insert(label, keys);
        }
    }
    for rel_type in names(client, cypher::RELATIONSHIP_TYPES, "relationshipType").await? {
        let keys = sampled_keys(client, &format!("MATCH ()-[x:{}]->()", quote(&rel_type)), id_property).await?;
        details.relationship_properties.insert(rel_type, keys);
    }
    details.node_keys = node_keys(schema_rows(client, CONSTRAINTS, false).await?, &internal);
    for row in schema_rows(client, INDEXES, true).await? {
        // Additional indexes are single-property range indexes of their own (Neo4j 4 called
        // them BTREE); composite, text, point, full-text and vector indexes have no operation.
        let [field] = row.properties.as_slice() else { continue };
        let [of] = row.of.as_slice() else { continue };
        if row.owned || !matches!(row.kind.as_str(), "RANGE" | "BTREE") || field == id_property {
            continue;
        }
        match row.entity.as_str() {
            "NODE" if !internal(of) => {
                details.node_indexes.entry(of.clone()).or_default().insert(field.clone());
            }
            "RELATIONSHIP" => {
                details.relationship_indexes.entry(of.clone()).or_default().insert(field.clone());
            }
            _ => {}
        }
    }
    Ok(details)
}

/// A constraint or an index, by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SchemaObject {
    Constraint(String),
    Index(String),
}

impl SchemaObject {
    pub fn name(&self) -> &str {
        match self {
            SchemaObject::Constraint(n) | SchemaObject::Index(n) => n,
        }
    }
}

/// The constraints on the identity label's source-id property (what a copy's sink creates), then
/// the indexes on it that no constraint owns (dropping a constraint drops its own index), for
/// `finalize`. Only objects on exactly `marker`.`id_property`: the migrations' key constraints
/// and indexes are the user's schema.
pub(super) async fn own_schema(
    client: &Client,
    marker: &str,
    id_property: &str,
) -> Result<Vec<SchemaObject>, ConnectorError> {
    let ours = |r: &SchemaRow| r.entity == "NODE" && r.of == [marker] && r.properties == [id_property];
    let constraints = schema_rows(client, CONSTRAINTS, false).await?;
    let indexes = schema_rows(client, INDEXES, true).await?;
    Ok(own_objects(constraints, indexes, &ours))
}

fn own_objects(
    constraints: Vec<SchemaRow>,
    indexes: Vec<SchemaRow>,
    ours: &dyn Fn(&SchemaRow) -> bool,
) -> Vec<SchemaObject> {
    // Only the uniqueness constraint graphferry creates (`REQUIRE n.p IS UNIQUE`). ArcadeDB also
    // lists the property's declared type on the same label and property as a
    // `NODE_PROPERTY_TYPE` constraint (`..._type`) once its schema holds the property, and
    // refuses to drop it (a SemanticError that failed finalize after a second copy); on Neo4j
    // such a constraint would be the user's.
    let mut out: Vec<SchemaObject> = constraints
        .into_iter()
        .filter(|r| ours(r) && r.kind == "UNIQUENESS")
        .map(|r| SchemaObject::Constraint(r.name))
        .collect();
    out.extend(indexes.into_iter().filter(|r| ours(r) && !r.owned).map(|r| SchemaObject::Index(r.name)));
    out
}

/// Label → key properties from uniqueness and node-key constraints. A label with several such
/// constraints keeps nodestream's `{Label}_node_key`, else the first by name.
fn node_keys(rows: Vec<SchemaRow>, internal: &dyn Fn(&str) -> bool) -> BTreeMap<String, Vec<String>> {
    let mut by_label: BTreeMap<String, Vec<SchemaRow>> = BTreeMap::new();
    for row in rows {
        let keyish = row.kind.contains("UNIQUE") || row.kind.contains("KEY");
        if row.entity == "NODE" && keyish && row.of.len() == 1 && !row.properties.is_empty() && !internal(&row.of[0]) {
            by_label.entry(row.of[0].clone()).or_default().push(row);
        }
    }
    by_label
        .into_iter()
        .map(|(label, mut rows)| {
            rows.sort_by(|a, b| a.name.cmp(&b.name));
            let preferred = format!("{label}_node_key");
            let chosen = rows.iter().position(|r| r.name == preferred).unwrap_or(0);
            (label, rows.swap_remove(chosen).properties)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(name: &str, kind: &str, label: &str, properties: &[&str]) -> SchemaRow {
        SchemaRow {
            name: name.into(),
            kind: kind.into(),
            entity: "NODE".into(),
            of: vec![label.into()],
            properties: properties.iter().map(|p| p.to_string()).collect(),
            owned: false,
        }
    }

    #[test]
    fn own_schema_is_the_identity_constraint_and_unowned_indexes_on_it_only() {
        let constraints = vec![
            row("gf", "UNIQUENESS", "_GraphferryNode", &["_graphferry_id"]),
            row("Person_node_key", "NODE_KEY", "Person", &["id"]),
            row("other", "UNIQUENESS", "_GraphferryNode", &["name"]),
            // What ArcadeDB lists for the property's declared type, and cannot drop.
            row("constraint__GraphferryNode__graphferry_id_type", "NODE_PROPERTY_TYPE", "_GraphferryNode", &["_graphferry_id"]),
        ];
        let mut owned = row("gf_index", "RANGE", "_GraphferryNode", &["_graphferry_id"]);
        owned.owned = true;
        let indexes = vec![
            owned,
            row("loose", "RANGE", "_GraphferryNode", &["_graphferry_id"]),
            row("person_id", "RANGE", "Person", &["_graphferry_id"]),
        ];
        let ours = |r: &SchemaRow| r.entity == "NODE" && r.of == ["_GraphferryNode"] && r.properties == ["_graphferry_id"];
        assert_eq!(
            own_objects(constraints, indexes, &ours),
            vec![SchemaObject::Constraint("gf".into()), SchemaObject::Index("loose".into())]
        );
    }

    #[test]
    fn node_keys_prefer_nodestreams_constraint_and_skip_bookkeeping() {
        let rows = vec![
            row("a_unique", "UNIQUENESS", "Person", &["email"]),
            row("Person_node_key", "NODE_KEY", "Person", &["id", "org"]),
            row("Movie_title", "UNIQUENESS", "Movie", &["title"]),
            row("exists", "NODE_PROPERTY_EXISTENCE", "Movie", &["year"]),
            row("gf", "UNIQUENESS", "_GraphferryNode", &["_graphferry_id"]),
            row("lock", "UNIQUENESS", "__NodestreamMigrationLock__", &["lock"]),
        ];
        let keys = node_keys(rows, &|l: &str| is_internal_label(l, "_GraphferryNode"));
        assert_eq!(
            keys,
            BTreeMap::from([
                ("Movie".to_string(), vec!["title".to_string()]),
                ("Person".to_string(), vec!["id".to_string(), "org".to_string()]),
            ])
        );
    }
}
