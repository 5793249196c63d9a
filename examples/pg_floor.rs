//! The PostgreSQL read floor for bench/pg.sh: tokio-postgres alone reading every row of the
//! shop's tables, in one of three ways, to choose and to judge graphferry's PostgreSQL source:
//!
//! - `keyset`: pages of 5,000 rows, `WHERE (pk) > ($last) ORDER BY pk LIMIT 5000` (what the
//!   source does);
//! - `stream`: one `SELECT … ORDER BY pk` per table, rows streamed as they come (`query_raw`);
//! - `copy`: `COPY (SELECT … ORDER BY pk) TO STDOUT (FORMAT binary)`, bytes only (no decoding).
//!
//! Every column value is touched (its bytes); nothing is converted. Prints one JSON line:
//! `{"mode", "rows", "seconds"}`.
//!
//! Usage: pg_floor URL keyset|stream|copy

use std::time::Instant;

use futures::{pin_mut, StreamExt, TryStreamExt};
use tokio_postgres::types::{FromSql, Type};
use tokio_postgres::NoTls;

const TABLES: &[(&str, &str)] = &[
    ("customers", "id"),
    ("addresses", "id"),
    ("products", "sku"),
    ("orders", "id"),
    ("order_items", "order_id, product_sku"),
];
const PAGE: i64 = 5000;

/// A value's size in bytes, whatever its type.
struct Raw(usize);

impl<'a> FromSql<'a> for Raw {
    fn from_sql(_: &Type, raw: &'a [u8]) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        Ok(Raw(raw.len()))
    }
    fn accepts(_: &Type) -> bool {
        true
    }
}

fn touch(row: &tokio_postgres::Row) -> usize {
    (0..row.len()).map(|i| row.get::<_, Option<Raw>>(i).map_or(0, |r| r.0)).sum()
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (url, mode) = (&args[1], args[2].as_str());
    let (client, conn) = tokio_postgres::connect(url, NoTls).await?;
    tokio::spawn(conn);
    client.batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY").await?;
    let started = Instant::now();
    let (mut rows, mut bytes) = (0u64, 0usize);
    for (table, key) in TABLES {
        match mode {
            "keyset" => {
                let keys: Vec<&str> = key.split(", ").collect();
                let mut after: Option<Vec<String>> = None;
                loop {
                    let texts = keys
                        .iter()
                        .enumerate()
                        .map(|(i, k)| format!("{k}::text AS k{i}"))
                        .collect::<Vec<_>>()
                        .join(", ");
                    let mut q = format!("SELECT {texts}, {table}.* FROM {table}");
                    if after.is_some() {
                        let params: Vec<String> = (1..=keys.len()).map(|i| format!("${i}::text")).collect();
                        // Compared in the key's own type (as the source does), not as text.
                        let typed = if *table == "order_items" {
                            format!("(order_id, product_sku) > ({}::bigint, {})", params[0], params[1])
                        } else if *key == "sku" {
                            format!("sku > {}", params[0])
                        } else {
                            format!("id > {}::bigint", params[0])
                        };
                        q.push_str(&format!(" WHERE {typed}"));
                    }
                    let order: Vec<String> = keys.iter().map(|k| format!("{table}.{k}")).collect();
                    q.push_str(&format!(" ORDER BY {} LIMIT {PAGE}", order.join(", ")));
                    let p: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = after
                        .as_ref()
                        .map(|a| a.iter().map(|s| s as &(dyn tokio_postgres::types::ToSql + Sync)).collect())
                        .unwrap_or_default();
                    let page = client.query(&q, &p).await?;
                    for row in &page {
                        bytes += touch(row);
                    }
                    rows += page.len() as u64;
                    if (page.len() as i64) < PAGE {
                        break;
                    }
                    let last = page.last().expect("a full page");
                    after = Some((0..keys.len()).map(|i| last.get::<_, String>(i)).collect());
                }
            }
            "stream" => {
                let q = format!("SELECT * FROM {table} ORDER BY {key}");
                let stream = client.query_raw(&q, std::iter::empty::<i32>()).await?;
                pin_mut!(stream);
                while let Some(row) = stream.try_next().await? {
                    bytes += touch(&row);
                    rows += 1;
                }
            }
            "copy" => {
                let q = format!("COPY (SELECT * FROM {table} ORDER BY {key}) TO STDOUT (FORMAT binary)");
                let stream = client.copy_out(&q).await?;
                pin_mut!(stream);
                while let Some(chunk) = stream.next().await {
                    bytes += chunk?.len();
                }
                rows += client.query_one(&format!("SELECT count(*) FROM {table}"), &[]).await?.get::<_, i64>(0) as u64;
            }
            _ => return Err("mode: keyset, stream or copy".into()),
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    println!("{}", serde_json::json!({ "mode": mode, "rows": rows, "seconds": seconds, "bytes": bytes }));
    Ok(())
}
