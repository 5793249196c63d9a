//! A mapping checked against the catalog and turned into scans: one per node table, one per
//! relationship, each a keyset-ordered query. Every problem of a mapping is found here, before
//! the first row is read, and named by table, column or constraint.
//!
//! Record ids (stable across runs, so resume, verify and re-runs agree): a node is
//! `schema.table:v1,v2` with its key columns' PostgreSQL text values; a foreign-key relationship
//! is its referencing row's node id, `/`, the constraint name; a join-table row is its table's
//! `schema.table:v1,v2`. Each part is percent-encoded (`%`, `.`, `:`, `,`, `/`), so ids never
//! collide whatever the names and values hold.

use super::catalog::Table;
use super::mapping::{Columns, Direction, Mapping, Tables};
use super::types::{Cast, ColumnType, Decode};
use crate::connector::ConnectorError;

/// A column of a row's key: its name and the type its resume parameter is compared in.
#[derive(Debug, Clone)]
pub struct KeyColumn {
    pub name: String,
    pub base: String,
}

/// A property read from a column.
#[derive(Debug, Clone)]
pub struct PropertyColumn {
    pub property: String,
    pub column: String,
    pub decode: Decode,
}

#[derive(Debug, Clone)]
pub struct NodeScan {
    pub label: String,
    pub schema: String,
    pub table: String,
    pub key: Vec<KeyColumn>,
    pub properties: Vec<PropertyColumn>,
}

/// One end of a relationship: the node scan it lands on, and the columns of the scanned row
/// that hold that node's key values (in that scan's key order), with the type to read them in.
#[derive(Debug, Clone)]
pub struct End {
    pub node: usize,
    pub columns: Vec<KeyColumn>,
}

#[derive(Debug, Clone)]
pub struct RelationshipScan {
    pub rel_type: String,
    pub schema: String,
    pub table: String,
    /// The scanned row's key: its read order and (with `suffix`) its id.
    pub key: Vec<KeyColumn>,
    /// Appended to the row id: `/constraint` for a foreign key, nothing for a join table.
    pub suffix: Option<String>,
    pub start: End,
    pub end: End,
    pub properties: Vec<PropertyColumn>,
}

#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub nodes: Vec<NodeScan>,
    pub relationships: Vec<RelationshipScan>,
}

fn bad(message: String) -> ConnectorError {
    ConnectorError::fatal(format!("mapping: {message}"))
}

fn table<'t>(tables: &'t Tables, schema: &str, name: &str, what: &str) -> Result<&'t Table, ConnectorError> {
    tables
        .get(&(schema.to_string(), name.to_string()))
        .ok_or_else(|| bad(format!("{what} names table `{schema}.{name}`, which the source does not have")))
}

fn key_columns(t: &Table, names: &[String], what: &str) -> Result<Vec<KeyColumn>, ConnectorError> {
    names
        .iter()
        .map(|n| {
            let c = t.column(n).ok_or_else(|| {
                bad(format!("{what}: key column `{n}` is not a column of `{}.{}`", t.schema, t.name))
            })?;
            Ok(KeyColumn { name: n.clone(), base: c.ty.base.clone() })
        })
        .collect()
}

fn properties(
    t: &Table,
    columns: &Columns,
    cast: &std::collections::BTreeMap<String, Cast>,
    what: &str,
) -> Result<Vec<PropertyColumn>, ConnectorError> {
    let mut seen = std::collections::BTreeSet::new();
    for c in cast.keys() {
        if !columns.0.iter().any(|(col, _)| col == c) {
            return Err(bad(format!("{what}: `cast` names column `{c}`, which is not among its properties")));
        }
    }
    columns
        .0
        .iter()
        .map(|(column, property)| {
            let ty: &ColumnType = &t
                .column(column)
                .ok_or_else(|| bad(format!("{what}: `{column}` is not a column of `{}.{}`", t.schema, t.name)))?
                .ty;
            if property.is_empty() || !seen.insert(property.clone()) {
                return Err(bad(format!("{what}: property name `{property}` is empty or given twice")));
            }
            let cast = cast.get(column).copied();
            if let Some(why) = Decode::refusal(column, ty, cast) {
                return Err(bad(format!("{what}: column `{column}`: {why}")));
            }
            Ok(PropertyColumn {
                property: property.clone(),
                column: column.clone(),
                decode: Decode { kind: ty.kind, array: ty.array, cast },
            })
        })
        .collect()
}

/// Checks `mapping` against `tables` and plans the scans.
pub fn resolve(mapping: &Mapping, tables: &Tables) -> Result<Plan, ConnectorError> {
    let mut plan = Plan::default();
    for n in &mapping.nodes {
        let what = format!("node `{}` (table `{}.{}`)", n.label, n.schema, n.table);
        let t = table(tables, &n.schema, &n.table, &what)?;
        if n.label.is_empty() || plan.nodes.iter().any(|s| s.label == n.label) {
            return Err(bad(format!("{what}: the label is empty or used by another table")));
        }
        if plan.nodes.iter().any(|s| s.schema == n.schema && s.table == n.table) {
            return Err(bad(format!("{what}: the table is mapped to nodes twice")));
        }
        if n.key.is_empty() {
            return Err(bad(format!("{what}: `key` must name the columns that identify a row")));
        }
        let key = key_columns(t, &n.key, &what)?;
        let properties = properties(t, &n.properties, &n.cast, &what)?;
        for k in &n.key {
            if !properties.iter().any(|p| &p.column == k) {
                return Err(bad(format!(
                    "{what}: key column `{k}` must be one of its properties (the node key is made of them)"
                )));
            }
        }
        plan.nodes.push(NodeScan { label: n.label.clone(), schema: n.schema.clone(), table: n.table.clone(), key, properties });
    }
    for r in &mapping.relationships {
        let what = format!("relationship `{}` (table `{}.{}`)", r.rel_type, r.schema, r.table);
        let t = table(tables, &r.schema, &r.table, &what)?;
        if r.rel_type.is_empty() {
            return Err(bad(format!("{what}: `type` must not be empty")));
        }
        let end_of = |fk_name: &str| -> Result<End, ConnectorError> {
            let fk = t.foreign_key(fk_name).ok_or_else(|| {
                bad(format!("{what}: `{}.{}` has no foreign key `{fk_name}`", r.schema, r.table))
            })?;
            let node = plan
                .nodes
                .iter()
                .position(|s| s.schema == fk.ref_schema && s.table == fk.ref_table)
                .ok_or_else(|| {
                    bad(format!(
                        "{what}: foreign key `{fk_name}` references `{}.{}`, which the mapping does not copy as nodes",
                        fk.ref_schema, fk.ref_table
                    ))
                })?;
            let target = &plan.nodes[node];
            let mut columns = Vec::new();
            for k in &target.key {
                let i = fk.ref_columns.iter().position(|c| *c == k.name).filter(|_| fk.ref_columns.len() == target.key.len());
                let Some(i) = i else {
                    return Err(bad(format!(
                        "{what}: foreign key `{fk_name}` references columns other than the key of node `{}`",
                        target.label
                    )));
                };
                columns.push(KeyColumn { name: fk.columns[i].clone(), base: k.base.clone() });
            }
            Ok(End { node, columns })
        };
        let scan = match (&r.foreign_key, &r.from, &r.to) {
            (Some(fk), None, None) => {
                if !r.properties.is_empty() {
                    return Err(bad(format!("{what}: a foreign-key relationship has no properties of its own")));
                }
                let this = plan.nodes.iter().position(|s| s.schema == r.schema && s.table == r.table).ok_or_else(|| {
                    bad(format!("{what}: its table must be copied as nodes (the relationship starts at its rows)"))
                })?;
                let row = End { node: this, columns: plan.nodes[this].key.clone() };
                let other = end_of(fk)?;
                let (start, end) = match r.direction.unwrap_or_default() {
                    Direction::Out => (row, other),
                    Direction::In => (other, row),
                };
                RelationshipScan {
                    rel_type: r.rel_type.clone(),
                    schema: r.schema.clone(),
                    table: r.table.clone(),
                    key: plan.nodes[this].key.clone(),
                    suffix: Some(fk.clone()),
                    start,
                    end,
                    properties: Vec::new(),
                }
            }
            (None, Some(from), Some(to)) => {
                if r.direction.is_some() {
                    return Err(bad(format!("{what}: a join table's direction is chosen by `from` and `to`")));
                }
                let start = end_of(from)?;
                let end = end_of(to)?;
                let key_names: Vec<String> = if t.primary_key.is_empty() {
                    start.columns.iter().chain(&end.columns).map(|c| c.name.clone()).collect()
                } else {
                    t.primary_key.clone()
                };
                RelationshipScan {
                    rel_type: r.rel_type.clone(),
                    schema: r.schema.clone(),
                    table: r.table.clone(),
                    key: key_columns(t, &key_names, &what)?,
                    suffix: None,
                    start,
                    end,
                    properties: properties(t, &r.properties, &r.cast, &what)?,
                }
            }
            _ => {
                return Err(bad(format!(
                    "{what}: give either `foreign_key` (and `direction`), or `from` and `to` (a join table's two \
                     foreign keys)"
                )))
            }
        };
        plan.relationships.push(scan);
    }
    Ok(plan)
}

/// A part of an id, percent-encoded so that `.`, `:`, `,` and `/` only ever separate parts.
fn encode(part: &str, out: &mut String) {
    for c in part.chars() {
        match c {
            '%' => out.push_str("%25"),
            '.' => out.push_str("%2E"),
            ':' => out.push_str("%3A"),
            ',' => out.push_str("%2C"),
            '/' => out.push_str("%2F"),
            c => out.push(c),
        }
    }
}

/// `schema.table:v1,v2` (see the module doc).
pub fn row_id(schema: &str, table: &str, key: &[String]) -> String {
    let mut id = String::with_capacity(schema.len() + table.len() + 16);
    encode(schema, &mut id);
    id.push('.');
    encode(table, &mut id);
    id.push(':');
    for (i, v) in key.iter().enumerate() {
        if i > 0 {
            id.push(',');
        }
        encode(v, &mut id);
    }
    id
}

/// A foreign-key relationship's id: its row's id, `/`, the constraint.
pub fn suffixed(mut id: String, suffix: &str) -> String {
    id.push('/');
    encode(suffix, &mut id);
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unambiguous_whatever_names_and_values_hold() {
        assert_eq!(row_id("public", "orders", &["7".into()]), "public.orders:7");
        assert_eq!(row_id("a.b", "c", &["1,2".into(), "x:y".into()]), "a%2Eb.c:1%2C2,x%3Ay");
        assert_ne!(row_id("a", "b", &["1,2".into()]), row_id("a", "b", &["1".into(), "2".into()]));
        assert_eq!(suffixed(row_id("s", "t", &["1".into()]), "t_fk/1"), "s.t:1/t_fk%2F1");
    }
}
