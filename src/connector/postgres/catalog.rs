//! What the PostgreSQL catalog says about the schemas a target reads: tables with their columns
//! and types, primary keys and foreign keys. Read once per connection, in the copy's snapshot;
//! the mapping is inferred from it and a hand-written mapping is checked against it.

use std::collections::BTreeMap;

use tokio_postgres::Client;

use super::types::ColumnType;
use crate::connector::ConnectorError;

/// A table (or view, or foreign table) of one of the target's schemas.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub schema: String,
    pub name: String,
    pub kind: TableKind,
    /// In column order.
    pub columns: Vec<Column>,
    /// Primary key columns, in key order; empty when the table has none.
    pub primary_key: Vec<String>,
    pub foreign_keys: Vec<ForeignKey>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableKind {
    Table,
    /// A partitioned table: read through its parent, which holds every partition's rows.
    Partitioned,
    View,
    MaterializedView,
    Foreign,
}

impl TableKind {
    fn of(relkind: i8) -> Self {
        match relkind as u8 {
            b'p' => TableKind::Partitioned,
            b'v' => TableKind::View,
            b'm' => TableKind::MaterializedView,
            b'f' => TableKind::Foreign,
            _ => TableKind::Table,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub name: String,
    pub ty: ColumnType,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ForeignKey {
    /// The constraint's name, unique within its table: how a mapping names the relationship.
    pub name: String,
    /// Referencing columns, paired with `ref_columns`.
    pub columns: Vec<String>,
    pub ref_schema: String,
    pub ref_table: String,
    pub ref_columns: Vec<String>,
}

impl Table {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    pub fn foreign_key(&self, name: &str) -> Option<&ForeignKey> {
        self.foreign_keys.iter().find(|f| f.name == name)
    }
}

/// The tables of `schemas` by (schema, name). Partitions are left out: their rows are read
/// through their partitioned parent.
pub async fn read(client: &Client, schemas: &[String]) -> Result<BTreeMap<(String, String), Table>, ConnectorError> {
    let failed = |what: &str, e: tokio_postgres::Error| {
        ConnectorError::fatal(format!("reading the catalog ({what}): {}", super::error::describe(&e)))
    };
    let rows = client
        .query(
            "SELECT c.oid, n.nspname::text, c.relname::text, c.relkind \
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = ANY($1) AND c.relkind IN ('r','p','v','m','f') AND NOT c.relispartition",
            &[&schemas],
        )
        .await
        .map_err(|e| failed("tables", e))?;
    let mut by_oid: BTreeMap<u32, Table> = BTreeMap::new();
    for r in rows {
        by_oid.insert(
            r.get(0),
            Table {
                schema: r.get(1),
                name: r.get(2),
                kind: TableKind::of(r.get(3)),
                columns: Vec::new(),
                primary_key: Vec::new(),
                foreign_keys: Vec::new(),
            },
        );
    }
    let oids: Vec<u32> = by_oid.keys().copied().collect();
    // A domain is read as its base type; an array as its element type (`typelem`). The base
    // type keeps its modifier: `character` alone means `character(1)`, and a resume key cast to
    // it would be cut to one character.
    let rows = client
        .query(
            "SELECT a.attrelid, a.attname::text, format_type(a.atttypid, a.atttypmod), \
                    COALESCE(bt.typname, t.typname)::text, COALESCE(bt.typtype, t.typtype), \
                    et.typname::text, et.typtype, \
                    format_type(COALESCE(NULLIF(t.typbasetype, 0), a.atttypid), \
                                CASE WHEN t.typbasetype <> 0 THEN t.typtypmod ELSE a.atttypmod END) \
             FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid \
             LEFT JOIN pg_type bt ON bt.oid = NULLIF(t.typbasetype, 0) \
             LEFT JOIN pg_type et ON et.oid = COALESCE(bt.typelem, t.typelem) \
                                  AND COALESCE(bt.typcategory, t.typcategory) = 'A' \
             WHERE a.attrelid = ANY($1) AND a.attnum > 0 AND NOT a.attisdropped \
             ORDER BY a.attrelid, a.attnum",
            &[&oids],
        )
        .await
        .map_err(|e| failed("columns", e))?;
    for r in rows {
        let Some(table) = by_oid.get_mut(&r.get::<_, u32>(0)) else { continue };
        let element: Option<String> = r.get(5);
        let element_kind: Option<i8> = r.get(6);
        let ty = ColumnType::classify(
            r.get(2),
            r.get(7),
            r.get(3),
            r.get::<_, i8>(4) as u8,
            element.as_deref().map(|e| (e, element_kind.unwrap_or(b'b' as i8) as u8)),
        );
        table.columns.push(Column { name: r.get(1), ty });
    }
    let rows = client
        .query(
            "SELECT c.conrelid, c.conname::text, c.contype, \
                    ARRAY(SELECT a.attname::text FROM unnest(c.conkey) WITH ORDINALITY k(n, i) \
                          JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n ORDER BY k.i), \
                    rn.nspname::text, r.relname::text, \
                    ARRAY(SELECT a.attname::text FROM unnest(c.confkey) WITH ORDINALITY k(n, i) \
                          JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n ORDER BY k.i) \
             FROM pg_constraint c \
             LEFT JOIN pg_class r ON r.oid = c.confrelid LEFT JOIN pg_namespace rn ON rn.oid = r.relnamespace \
             WHERE c.conrelid = ANY($1) AND c.contype IN ('p', 'f') ORDER BY c.conrelid, c.conname",
            &[&oids],
        )
        .await
        .map_err(|e| failed("keys", e))?;
    for r in rows {
        let Some(table) = by_oid.get_mut(&r.get::<_, u32>(0)) else { continue };
        let columns: Vec<String> = r.get(3);
        if r.get::<_, i8>(2) as u8 == b'p' {
            table.primary_key = columns;
        } else {
            table.foreign_keys.push(ForeignKey {
                name: r.get(1),
                columns,
                ref_schema: r.get(4),
                ref_table: r.get(5),
                ref_columns: r.get(6),
            });
        }
    }
    Ok(by_oid.into_values().map(|t| ((t.schema.clone(), t.name.clone()), t)).collect())
}
