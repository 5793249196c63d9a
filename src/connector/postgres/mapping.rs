//! The mapping from tables to a graph: its file format (YAML, what `graphferry map` prints and
//! `--mapping` / the target's `mapping:` key read back), and its inference from the catalog.
//!
//! Inference rules (README, "PostgreSQL"):
//! - a table with a primary key is a node table: label = the table name singular in PascalCase
//!   (`order_items` → `OrderItem`), properties = its columns but foreign-key columns (key columns
//!   stay), key = its primary key;
//! - each foreign key of a node table whose referenced columns are the referenced table's
//!   primary key is a relationship from the referencing row to the referenced row, its type from
//!   the column (`author_id` → `AUTHOR`), else from the referenced table (`CUSTOMER`);
//! - a join table (exactly two foreign keys, and a primary key made of exactly their columns, or
//!   no primary key) is a relationship between the two referenced rows, typed after the table
//!   (`order_items` → `ORDER_ITEM`), its other columns as relationship properties;
//! - anything else (no key, views, foreign tables) is listed under `left_out` with the reason.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::catalog::{Table, TableKind};
use super::types::Cast;

pub type Tables = BTreeMap<(String, String), Table>;

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    #[serde(default)]
    pub nodes: Vec<NodeMap>,
    #[serde(default)]
    pub relationships: Vec<RelationshipMap>,
    /// What inference did not map, and why (informative; ignored when read back).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub left_out: Vec<LeftOut>,
}

/// One table's rows as nodes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeMap {
    pub schema: String,
    pub table: String,
    pub label: String,
    /// The columns that identify a row: the node key, its read order and its id.
    pub key: Vec<String>,
    /// Column → property name, in this order. A column not listed is not copied.
    pub properties: Columns,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub cast: BTreeMap<String, Cast>,
}

/// A relationship: from a foreign key (`foreign_key`, `direction`), or from a join table's rows
/// (`from` and `to` name its two foreign keys, the start's and the end's).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RelationshipMap {
    pub schema: String,
    pub table: String,
    #[serde(rename = "type")]
    pub rel_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub foreign_key: Option<String>,
    /// `out`: from the referencing row to the referenced row; `in`: the other way.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direction: Option<Direction>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    #[serde(default, skip_serializing_if = "Columns::is_empty")]
    pub properties: Columns,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub cast: BTreeMap<String, Cast>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    #[default]
    Out,
    In,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeftOut {
    pub schema: String,
    pub table: String,
    pub reason: String,
}

/// Column → property pairs in file order (a YAML mapping keeps its order).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Columns(pub Vec<(String, String)>);

impl Columns {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Serialize for Columns {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (c, p) in &self.0 {
            map.serialize_entry(c, p)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Columns {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = serde_yaml::Mapping::deserialize(d)?;
        let mut out = Vec::with_capacity(raw.len());
        for (k, v) in raw {
            match (k.as_str(), v.as_str()) {
                (Some(k), Some(v)) => out.push((k.to_string(), v.to_string())),
                _ => return Err(serde::de::Error::custom("each entry must be `column: property name`")),
            }
        }
        Ok(Columns(out))
    }
}

/// The mapping inference proposes for `tables`.
pub fn infer(tables: &Tables) -> Mapping {
    let mut m = Mapping::default();
    let node_table = |schema: &str, name: &str| {
        tables.get(&(schema.to_string(), name.to_string())).is_some_and(|t| readable(t) && !t.primary_key.is_empty())
    };
    let to_primary_key = |fk: &super::catalog::ForeignKey| {
        tables
            .get(&(fk.ref_schema.clone(), fk.ref_table.clone()))
            .is_some_and(|r| same_set(&r.primary_key, &fk.ref_columns))
    };
    for t in tables.values() {
        let left_out = |reason: String| LeftOut { schema: t.schema.clone(), table: t.name.clone(), reason };
        if let Some(why) = unreadable(t.kind) {
            m.left_out.push(left_out(why.into()));
            continue;
        }
        if is_join_table(t) && t.foreign_keys.iter().all(|f| node_table(&f.ref_schema, &f.ref_table) && to_primary_key(f))
        {
            let fk_columns: Vec<&String> = t.foreign_keys.iter().flat_map(|f| &f.columns).collect();
            m.relationships.push(RelationshipMap {
                schema: t.schema.clone(),
                table: t.name.clone(),
                rel_type: upper_snake(&singular(&t.name)),
                foreign_key: None,
                direction: None,
                from: Some(t.foreign_keys[0].name.clone()),
                to: Some(t.foreign_keys[1].name.clone()),
                properties: Columns(
                    t.columns
                        .iter()
                        .filter(|c| !fk_columns.contains(&&c.name))
                        .map(|c| (c.name.clone(), c.name.clone()))
                        .collect(),
                ),
                cast: BTreeMap::new(),
            });
            continue;
        }
        if t.primary_key.is_empty() {
            m.left_out.push(left_out(
                "no primary key, and not a join table (exactly two foreign keys): add a node entry with a `key` of \
                 columns that identify a row to copy it"
                    .into(),
            ));
            continue;
        }
        let fk_columns: Vec<&String> = t.foreign_keys.iter().flat_map(|f| &f.columns).collect();
        m.nodes.push(NodeMap {
            schema: t.schema.clone(),
            table: t.name.clone(),
            label: pascal(&singular(&t.name)),
            key: t.primary_key.clone(),
            properties: Columns(
                t.columns
                    .iter()
                    .filter(|c| t.primary_key.contains(&c.name) || !fk_columns.contains(&&c.name))
                    .map(|c| (c.name.clone(), c.name.clone()))
                    .collect(),
            ),
            cast: BTreeMap::new(),
        });
        let mut types: Vec<String> = Vec::new();
        for fk in &t.foreign_keys {
            if !node_table(&fk.ref_schema, &fk.ref_table) || !to_primary_key(fk) {
                m.left_out.push(left_out(format!(
                    "foreign key `{}` does not reference the primary key of a copied table: no relationship",
                    fk.name
                )));
                continue;
            }
            let mut rel_type = relationship_type(&fk.columns, &fk.ref_table);
            if types.contains(&rel_type) {
                rel_type = upper_snake(&fk.columns.join("_"));
            }
            types.push(rel_type.clone());
            m.relationships.push(RelationshipMap {
                schema: t.schema.clone(),
                table: t.name.clone(),
                rel_type,
                foreign_key: Some(fk.name.clone()),
                direction: Some(Direction::Out),
                from: None,
                to: None,
                properties: Columns::default(),
                cast: BTreeMap::new(),
            });
        }
    }
    m
}

fn readable(t: &Table) -> bool {
    unreadable(t.kind).is_none()
}

fn unreadable(kind: TableKind) -> Option<&'static str> {
    match kind {
        TableKind::Table | TableKind::Partitioned => None,
        TableKind::View => Some("a view: it has no key to read it in order by; copy the tables it reads"),
        TableKind::MaterializedView => {
            Some("a materialized view: it has no key to read it in order by; copy the tables it reads")
        }
        TableKind::Foreign => Some("a foreign table: copy it from the database that holds it"),
    }
}

fn is_join_table(t: &Table) -> bool {
    if t.foreign_keys.len() != 2 {
        return false;
    }
    let fk_columns: Vec<String> = t.foreign_keys.iter().flat_map(|f| f.columns.clone()).collect();
    t.primary_key.is_empty() || same_set(&t.primary_key, &fk_columns)
}

fn same_set(a: &[String], b: &[String]) -> bool {
    a.len() == b.len() && a.iter().all(|x| b.contains(x))
}

/// `author_id` → `AUTHOR`; a key without such a column name → the referenced table (`CUSTOMER`).
fn relationship_type(columns: &[String], ref_table: &str) -> String {
    if let [column] = columns {
        let lower = column.to_lowercase();
        for suffix in ["_id", "_uuid", "_key", "_code"] {
            if lower.len() > suffix.len() && lower.ends_with(suffix) {
                return upper_snake(&column[..column.len() - suffix.len()]);
            }
        }
    }
    upper_snake(&singular(ref_table))
}

/// English plural to singular for table names: `categories` → `category`, `addresses` →
/// `address`, `order_items` → `order_item`; words ending in `ss`, `us`, `is` stay.
pub fn singular(name: &str) -> String {
    let lower = name.to_lowercase();
    // The irregular plurals table names use most; a word ending in one (`sales_people`) too.
    for (plural, single) in [("people", "person"), ("children", "child"), ("women", "woman"), ("men", "man")] {
        if lower.ends_with(plural) && (lower.len() == plural.len() || !lower.as_bytes()[lower.len() - plural.len() - 1].is_ascii_alphabetic()) {
            return format!("{}{single}", &name[..name.len() - plural.len()]);
        }
    }
    let cut = |n: usize, add: &str| format!("{}{add}", &name[..name.len() - n]);
    if lower.ends_with("ies") && name.len() > 3 {
        cut(3, "y")
    } else if ["sses", "xes", "ches", "shes", "zzes"].iter().any(|s| lower.ends_with(s)) {
        cut(2, "")
    } else if lower.ends_with('s') && !["ss", "us", "is"].iter().any(|s| lower.ends_with(s)) && name.len() > 1 {
        cut(1, "")
    } else {
        name.to_string()
    }
}

fn words(name: &str) -> impl Iterator<Item = &str> {
    name.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty())
}

/// `order_item` → `OrderItem`; `Order Lines` → `OrderLines`.
pub fn pascal(name: &str) -> String {
    words(name)
        .map(|w| {
            let mut c = w.chars();
            c.next().map(|f| f.to_uppercase().chain(c).collect::<String>()).unwrap_or_default()
        })
        .collect()
}

/// `order_item` → `ORDER_ITEM`; `parentId` stays one word (`PARENTID`).
pub fn upper_snake(name: &str) -> String {
    words(name).map(str::to_uppercase).collect::<Vec<_>>().join("_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_singular_pascal_labels_and_upper_snake_types() {
        assert_eq!(pascal(&singular("order_items")), "OrderItem");
        assert_eq!(pascal(&singular("categories")), "Category");
        assert_eq!(pascal(&singular("addresses")), "Address");
        assert_eq!(pascal(&singular("status")), "Status");
        assert_eq!(pascal(&singular("sales_people")), "SalesPerson");
        assert_eq!(pascal(&singular("women")), "Woman");
        assert_eq!(pascal(&singular("café_commandes")), "CaféCommande");
        assert_eq!(upper_snake(&singular("order_items")), "ORDER_ITEM");
        assert_eq!(relationship_type(&["author_id".into()], "users"), "AUTHOR");
        assert_eq!(relationship_type(&["parent_id".into()], "categories"), "PARENT");
        assert_eq!(relationship_type(&["a".into(), "b".into()], "warehouses"), "WAREHOUSE");
        assert_eq!(relationship_type(&["owner".into()], "users"), "USER");
    }

    fn table(name: &str, pk: &[&str], fks: &[(&str, &[&str], &str)], columns: &[&str]) -> Table {
        use super::super::catalog::{Column, ForeignKey};
        use super::super::types::ColumnType;
        let ty = ColumnType::classify("integer".into(), "integer".into(), "int4", b'b', None);
        Table {
            schema: "public".into(),
            name: name.into(),
            kind: TableKind::Table,
            columns: columns.iter().map(|c| Column { name: c.to_string(), ty: ty.clone() }).collect(),
            primary_key: pk.iter().map(|c| c.to_string()).collect(),
            foreign_keys: fks
                .iter()
                .map(|(n, cols, to)| ForeignKey {
                    name: n.to_string(),
                    columns: cols.iter().map(|c| c.to_string()).collect(),
                    ref_schema: "public".into(),
                    ref_table: to.to_string(),
                    ref_columns: vec!["id".into()],
                })
                .collect(),
        }
    }

    #[test]
    fn join_tables_become_relationships_and_wider_tables_stay_nodes() {
        let tables: Tables = [
            table("a", &["id"], &[], &["id"]),
            table("b", &["id"], &[], &["id"]),
            table("a_bs", &["a_id", "b_id"], &[("f1", &["a_id"], "a"), ("f2", &["b_id"], "b")], &["a_id", "b_id", "w"]),
            table("links", &[], &[("l1", &["x"], "a"), ("l2", &["y"], "a")], &["x", "y"]),
            table("triples", &["id"], &[("t1", &["a_id"], "a"), ("t2", &["b_id"], "b"), ("t3", &["c"], "a")], &["id", "a_id", "b_id", "c"]),
            table("notes", &[], &[("n1", &["a_id"], "a")], &["a_id", "text"]),
        ]
        .into_iter()
        .map(|t| ((t.schema.clone(), t.name.clone()), t))
        .collect();
        let m = infer(&tables);
        let labels: Vec<&str> = m.nodes.iter().map(|n| n.label.as_str()).collect();
        assert_eq!(labels, ["A", "B", "Triple"]);
        let join = m.relationships.iter().find(|r| r.table == "a_bs").unwrap();
        assert_eq!((join.rel_type.as_str(), join.from.as_deref(), join.to.as_deref()), ("A_B", Some("f1"), Some("f2")));
        assert_eq!(join.properties.0, vec![("w".to_string(), "w".to_string())]);
        let links = m.relationships.iter().find(|r| r.table == "links").unwrap();
        assert_eq!(links.rel_type, "LINK", "no primary key and exactly two foreign keys: a join table");
        let triple: Vec<&str> =
            m.relationships.iter().filter(|r| r.table == "triples").map(|r| r.rel_type.as_str()).collect();
        assert_eq!(triple, ["A", "B", "C"], "one relationship per foreign key; the bare column `c` names its own");
        assert_eq!(m.nodes[2].properties.0.len(), 1, "foreign-key columns are not properties");
        assert!(m.left_out.iter().any(|l| l.table == "notes" && l.reason.contains("no primary key")));
    }

    #[test]
    fn a_mapping_file_keeps_column_order_and_refuses_unknown_keys() {
        let text = "nodes:\n- schema: public\n  table: t\n  label: T\n  key: [id]\n  properties:\n    z: zed\n    a: a\n";
        let m: Mapping = serde_yaml::from_str(text).unwrap();
        assert_eq!(m.nodes[0].properties.0, vec![("z".into(), "zed".into()), ("a".into(), "a".into())]);
        assert_eq!(serde_yaml::from_str::<Mapping>(&serde_yaml::to_string(&m).unwrap()).unwrap(), m);
        let bad = "nodes:\n- schema: public\n  table: t\n  label: T\n  key: [id]\n  properties: {}\n  lable: X\n";
        assert!(serde_yaml::from_str::<Mapping>(bad).unwrap_err().to_string().contains("lable"));
    }
}
