//! The SQL the source runs, built from a [`Plan`](super::plan::Plan). Identifiers are quoted in
//! one place ([`ident`]); values (resume keys) are always parameters.
//!
//! A table is read by one query in key order, `WHERE (key) > ($1, …) ORDER BY key` (the condition
//! only when resuming), streamed: rows arrive as the pipeline takes them, and a read resumes
//! from the last key it sent, never with OFFSET. Measured against keyset pages of 5,000 rows
//! (`LIMIT`) and binary `COPY` by examples/pg_floor.rs on 1M rows: 1.04 s streamed, 1.61 s in
//! pages, 1.22 s COPY without even decoding (bench/RESULTS-pg.md).

use super::plan::{End, KeyColumn, NodeScan, PropertyColumn, RelationshipScan};

/// `"name"`, with embedded quotes doubled (PostgreSQL docs, 4.1.1 "Identifiers and Key Words").
pub fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn table(schema: &str, name: &str) -> String {
    format!("{}.{}", ident(schema), ident(name))
}

fn col(alias: &str, name: &str) -> String {
    format!("{alias}.{}", ident(name))
}

fn key_list(alias: &str, key: &[KeyColumn]) -> String {
    key.iter().map(|k| col(alias, &k.name)).collect::<Vec<_>>().join(", ")
}

/// The key as text (`::text`), then each end's columns read in the type of the key they
/// reference, as text: equal to that node's own key text.
fn texts(alias: &str, columns: &[KeyColumn], out: &mut Vec<String>) {
    for k in columns {
        out.push(format!("{}::{}::text", col(alias, &k.name), k.base));
    }
}

fn not_null(alias: &str, ends: &[&End], out: &mut Vec<String>) {
    for e in ends {
        for c in &e.columns {
            out.push(format!("{} IS NOT NULL", col(alias, &c.name)));
        }
    }
}

fn page(
    select: Vec<String>,
    from: String,
    mut conditions: Vec<String>,
    key: &[KeyColumn],
    resumed: bool,
    ordered: bool,
) -> String {
    if resumed {
        let params: Vec<String> =
            key.iter().enumerate().map(|(i, k)| format!("${}::text::{}", i + 1, k.base)).collect();
        conditions.push(format!("({}) > ({})", key_list("n", key), params.join(", ")));
    }
    let mut q = format!("SELECT {} FROM {from} n", select.join(", "));
    if !conditions.is_empty() {
        q.push_str(" WHERE ");
        q.push_str(&conditions.join(" AND "));
    }
    if ordered {
        q.push_str(&format!(" ORDER BY {}", key_list("n", key)));
    }
    q
}

fn props(properties: &[PropertyColumn], out: &mut Vec<String>) {
    for p in properties {
        out.push(p.decode.select(&col("n", &p.column)));
    }
}

/// A node table's read: key texts, then the properties. `filter`: the endpoint condition of a
/// table read only for the relationships it ends.
pub fn node_read(scan: &NodeScan, filter: Option<&str>, resumed: bool) -> String {
    let mut select = Vec::new();
    texts("n", &scan.key, &mut select);
    props(&scan.properties, &mut select);
    let conditions = filter.map(|f| vec![format!("({f})")]).unwrap_or_default();
    page(select, table(&scan.schema, &scan.table), conditions, &scan.key, resumed, true)
}

pub fn node_count(scan: &NodeScan, filter: Option<&str>) -> String {
    let conditions = filter.map(|f| vec![format!("({f})")]).unwrap_or_default();
    page(vec!["count(*)".into()], table(&scan.schema, &scan.table), conditions, &scan.key, false, false)
}

/// A read of relationship rows: row key texts, start key texts, end key texts, properties.
pub fn relationship_read(scan: &RelationshipScan, resumed: bool) -> String {
    let mut select = Vec::new();
    texts("n", &scan.key, &mut select);
    texts("n", &scan.start.columns, &mut select);
    texts("n", &scan.end.columns, &mut select);
    props(&scan.properties, &mut select);
    let mut conditions = Vec::new();
    not_null("n", &[&scan.start, &scan.end], &mut conditions);
    page(select, table(&scan.schema, &scan.table), conditions, &scan.key, resumed, true)
}

pub fn relationship_count(scan: &RelationshipScan) -> String {
    let mut conditions = Vec::new();
    not_null("n", &[&scan.start, &scan.end], &mut conditions);
    page(vec!["count(*)".into()], table(&scan.schema, &scan.table), conditions, &scan.key, false, false)
}

/// True for a node row (alias `n`, key `key`) that `end` of relationship `scan` lands on.
pub fn ends_here(scan: &RelationshipScan, end: &End, key: &[KeyColumn]) -> String {
    let mut conditions: Vec<String> = end
        .columns
        .iter()
        .zip(key)
        .map(|(c, k)| format!("{}::{} = {}", col("r", &c.name), k.base, col("n", &k.name)))
        .collect();
    not_null("r", &[&scan.start, &scan.end], &mut conditions);
    format!("EXISTS (SELECT 1 FROM {} r WHERE {})", table(&scan.schema, &scan.table), conditions.join(" AND "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connector::postgres::types::{Decode, Kind};

    #[test]
    fn identifiers_are_quoted_and_resumed_pages_compare_keys_as_parameters() {
        assert_eq!(ident("a\"b"), "\"a\"\"b\"");
        let scan = NodeScan {
            label: "L".into(),
            schema: "public".into(),
            table: "Odd \"T\"".into(),
            key: vec![KeyColumn { name: "a".into(), base: "integer".into() }, KeyColumn { name: "b".into(), base: "text".into() }],
            properties: vec![PropertyColumn {
                property: "p".into(),
                column: "price".into(),
                decode: Decode { kind: Kind::Numeric, array: false, cast: None },
            }],
        };
        assert_eq!(
            node_read(&scan, None, true),
            "SELECT n.\"a\"::integer::text, n.\"b\"::text::text, n.\"price\"::text FROM \"public\".\"Odd \"\"T\"\"\" n \
             WHERE (n.\"a\", n.\"b\") > ($1::text::integer, $2::text::text) ORDER BY n.\"a\", n.\"b\""
        );
    }
}
