//! The shop schema (tests/fixtures/postgres/shop.sql) copied through the inferred mapping into a
//! dump, the Bolt server and the Neptune test server; each read back by a reader that is not
//! graphferry's (the dump's JSON lines as text, the official Python driver, ArcadeDB's own HTTP
//! API under the Neptune test server), then `verify` on each.

use std::collections::BTreeMap;
use std::path::Path;

use predicates::prelude::*;
use serde_json::{json, Value as Json};

use super::server::Database;
use crate::bolt::server::{Db, Server};
use crate::neptune::server::{engine, TestServer};
use crate::support::Project;

/// Nodes per label and relationships per type the shop holds under the inferred mapping.
pub const SHOP_LABELS: &[(&str, u64)] = &[
    ("Address", 3),
    ("CaféCommande", 2),
    ("Category", 4),
    ("Customer", 3),
    ("Order", 4),
    ("Product", 4),
    ("Stock", 3),
    ("TypeSample", 2),
    ("Warehouse", 3),
];
pub const SHOP_TYPES: &[(&str, u64)] = &[
    ("BILLING_ADDRESS", 4),
    ("CATEGORY", 4),
    ("CUSTOMER", 8),
    ("ORDER_ITEM", 6),
    ("PARENT", 2),
    ("PRODUCT", 3),
    ("SHIPPING_ADDRESS", 3),
    ("WAREHOUSE", 3),
];

/// A dump's records as plain JSON, by id.
pub struct Dump {
    pub nodes: BTreeMap<String, Json>,
    pub relationships: BTreeMap<String, Json>,
}

pub fn read_dump(path: &Path) -> Dump {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut d = Dump { nodes: BTreeMap::new(), relationships: BTreeMap::new() };
    for line in text.lines() {
        let v: Json = serde_json::from_str(line).unwrap();
        let id = v["id"].as_str().unwrap_or_default().to_string();
        match v["kind"].as_str() {
            Some("node") => drop(d.nodes.insert(id, v)),
            Some("relationship") => drop(d.relationships.insert(id, v)),
            _ => {}
        }
    }
    d
}

fn tally<'a>(records: impl Iterator<Item = &'a Json>, field: impl Fn(&Json) -> String) -> BTreeMap<String, u64> {
    let mut m = BTreeMap::new();
    for r in records {
        *m.entry(field(r)).or_default() += 1;
    }
    m
}

fn expected(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
    pairs.iter().map(|(k, n)| (k.to_string(), *n)).collect()
}

/// The inferred mapping of the shop, with the JSON columns read as their text (Bolt stores no
/// maps and no mixed lists).
pub fn mapping_with_json_as_text() -> String {
    let text = std::fs::read_to_string(super::server::fixture("shop.mapping.yaml")).unwrap();
    let marker = "    price: price\n- schema: public\n  table: warehouses\n";
    assert!(text.contains(marker), "the fixture's TypeSample entry moved");
    text.replace(marker, &format!("    price: price\n  cast:\n    doc: text\n    doc_json: text\n{}", &marker[17..]))
}

#[test]
fn shop_to_dump_lands_every_row_with_exact_values_and_verifies() {
    let db = Database::with("shop_dump", &["shop.sql"]);
    let p = Project::new(&format!("{}  dump:\n    database: file\n    path: shop.jsonl\n", db.target("shop", "")));
    p.cmd()
        .args(["copy", "--source", "shop", "--target", "dump", "--all", "--dry-run"])
        .assert()
        .success()
        .stdout(predicate::str::contains("would copy 28 nodes and 33 relationships"));
    p.cmd()
        .args(["copy", "--source", "shop", "--target", "dump", "--all"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Copied 28 nodes and 33 relationships"));
    let d = read_dump(&p.path("shop.jsonl"));
    assert_eq!(tally(d.nodes.values(), |n| n["labels"][0].as_str().unwrap().into()), expected(SHOP_LABELS));
    assert_eq!(tally(d.relationships.values(), |r| r["type"].as_str().unwrap().into()), expected(SHOP_TYPES));

    // Exact values, one per type rule.
    let t = &d.nodes["public.type_samples:1"]["properties"];
    let want = json!({
        "id": 1, "small": -32768, "big": 9223372036854775807_i64, "real_value": 1.5, "double_value": 0.1,
        "exact": "678.90", "txt": "héllo \"wörld\"", "vc": "short", "ch": "ab", "flag": true,
        "day": {"$date": "2024-02-29"}, "at_time": {"$localtime": "23:59:58.123456"},
        "at_time_tz": {"$time": "12:30:00+05:30"}, "local_ts": {"$localdatetime": "2024-02-29T23:59:58.123456"},
        "zoned_ts": {"$datetime": "2024-02-29T22:59:58.123456+00:00"},
        "span": {"$duration": {"months": 14, "days": 3, "seconds": 14706, "nanoseconds": 500000000}},
        "uid": "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "raw": {"$bytes": "AP8BgA=="},
        "doc": {"$map": {"a": 1, "b": [true, null], "c": {"$map": {"d": "e"}}}}, "doc_json": [1, 2.5, "x"],
        "int_list": [3, 1, 2], "status": "shipped", "price": "1234.56"
    });
    assert_eq!(t, &want);
    // NULL columns are absent properties; a numeric keeps every digit.
    let t2 = &d.nodes["public.type_samples:2"]["properties"];
    assert_eq!(t2["exact"], "12345678901234567890.123456789");
    assert!(t2.get("small").is_none() && t2.get("txt").is_none());
    assert_eq!(t2["span"], json!({"$duration": {"months": 0, "days": -1, "seconds": -1, "nanoseconds": 0}}));
    assert_eq!(d.nodes["public.products:BK-001"]["properties"]["price"], "678.90");
    assert_eq!(d.nodes["public.products:BK-003"]["properties"]["tags"], json!(["quoted \"tag\""]));
    assert_eq!(
        d.nodes["public.customers:2"]["properties"]["created_at"],
        json!({"$datetime": "2024-02-29T21:59:59+00:00"})
    );
    assert_eq!(d.nodes["public.Café Commandes:1"]["properties"], json!({"Numéro": 1, "Total €": "99.95"}));
    // Foreign-key columns are relationships, not properties.
    assert_eq!(
        d.nodes["public.orders:101"]["properties"],
        json!({"id": 101, "status": "new", "placed_on": {"$date": "2024-03-02"}})
    );

    // Relationships: self-reference, two FKs to one table (a NULL one makes none), composite key,
    // a join table with its columns as properties, a quoted FK column.
    let rel = |id: &str| {
        let r = &d.relationships[id];
        (
            r["type"].as_str().unwrap().to_string(),
            r["start"].as_str().unwrap().to_string(),
            r["end"].as_str().unwrap().to_string(),
        )
    };
    assert_eq!(
        rel("public.categories:3/categories_parent_id_fkey"),
        ("PARENT".into(), "public.categories:3".into(), "public.categories:2".into())
    );
    assert_eq!(rel("public.orders:100/orders_shipping_address_id_fkey").2, "public.addresses:1");
    assert!(!d.relationships.contains_key("public.orders:101/orders_shipping_address_id_fkey"));
    assert_eq!(rel("public.stock:2/stock_warehouse_region_warehouse_code_fkey").2, "public.warehouses:us,1");
    assert_eq!(
        rel("public.order_items:100,BK-002"),
        ("ORDER_ITEM".into(), "public.orders:100".into(), "public.products:BK-002".into())
    );
    assert_eq!(
        d.relationships["public.order_items:100,BK-002"]["properties"],
        json!({"quantity": 2, "unit_price": "12.50"})
    );
    assert_eq!(rel("public.Café Commandes:1/Café Commandes_customer id_fkey").2, "public.customers:1");

    p.cmd()
        .args(["verify", "--source", "shop", "--target", "dump", "--full"])
        .assert()
        .success()
        .stdout(predicate::str::contains("0 difference(s)"));
}

/// `db` as the official Python driver reads it.
fn read_with_python_driver(db: &Db) -> Json {
    crate::support::read_graph(&db.uri, db.user(), &db.name, &db.password())
}

/// The node labelled `label` whose property `key` has text `value`, as [labels, properties].
fn find<'a>(graph: &'a Json, label: &str, key: &str, value: &str) -> &'a Json {
    graph["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n[0].as_array().unwrap().iter().any(|l| l == label) && n[1][key]["value"] == value)
        .unwrap_or_else(|| panic!("no {label} with {key} = {value}"))
}

crate::on_every_server!(shop_to_bolt_is_read_back_by_the_python_driver_and_verifies);

/// On ArcadeDB and on a real Neo4j 5, which forgives less.
async fn shop_to_bolt_is_read_back_by_the_python_driver_and_verifies(server: Server) {
    let db = Database::with(&format!("shop_bolt_{server:?}").to_lowercase(), &["shop.sql"]);
    let graph_db = server.database("pg_shop").await;
    let p = Project::new(&format!("{}{}", db.target("shop", ""), graph_db.yaml("graph")));
    std::fs::write(p.path("mapping.yaml"), mapping_with_json_as_text()).unwrap();
    p.cmd()
        .args(["copy", "--source", "shop", "--target", "graph", "--all", "--mapping", "mapping.yaml"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Copied 28 nodes and 33 relationships"));
    let g = read_with_python_driver(&graph_db);
    let mut labels = BTreeMap::new();
    for n in g["nodes"].as_array().unwrap() {
        for l in n[0].as_array().unwrap() {
            *labels.entry(l.as_str().unwrap().to_string()).or_insert(0u64) += 1;
        }
    }
    labels.retain(|l, _| !l.starts_with('_') && l != "GraphferryNode");
    labels.remove("_GraphferryNode");
    let mut want = expected(SHOP_LABELS);
    labels.retain(|l, _| want.contains_key(l));
    assert_eq!(labels, want);
    let types = tally(g["relationships"].as_array().unwrap().iter(), |r| r[0].as_str().unwrap().into());
    want = expected(SHOP_TYPES);
    assert_eq!(types, want);

    let t = &find(&g, "TypeSample", "id", "1")[1];
    let typed = |k: &str| (t[k]["type"].as_str().unwrap().to_string(), t[k]["value"].clone());
    assert_eq!(typed("big"), ("INTEGER".into(), json!("9223372036854775807")));
    assert_eq!(typed("exact"), ("STRING".into(), json!("678.90")));
    assert_eq!(typed("day"), ("DATE".into(), json!("2024-02-29")));
    assert_eq!(typed("at_time").0, "LOCAL TIME");
    assert_eq!(typed("local_ts"), ("LOCAL DATETIME".into(), json!("2024-02-29T23:59:58.123456000")));
    assert_eq!(typed("span"), ("DURATION".into(), json!([14, 3, 14706, 500000000])));
    assert_eq!(typed("raw"), ("BYTES".into(), json!("00ff0180")));
    assert_eq!(typed("doc"), ("STRING".into(), json!("{\"a\": 1, \"b\": [true, null], \"c\": {\"d\": \"e\"}}")));
    assert_eq!(typed("int_list").0, "LIST");
    assert_eq!(find(&g, "Product", "sku", "BK-001")[1]["price"]["value"], "678.90");
    let parents: Vec<&Json> = g["relationships"].as_array().unwrap().iter().filter(|r| r[0] == "PARENT").collect();
    assert!(parents.iter().any(|r| r[1][1]["name"]["value"] == "Computing" && r[2][1]["name"]["value"] == "Science"));
    let items: Vec<&Json> = g["relationships"].as_array().unwrap().iter().filter(|r| r[0] == "ORDER_ITEM").collect();
    assert!(items.iter().any(|r| r[1][0][0] == "Order"
        && r[1][1]["id"]["value"] == "100"
        && r[2][1]["sku"]["value"] == "BK-002"
        && r[3]["quantity"]["value"] == "2"
        && r[3]["unit_price"]["value"] == "12.50"));

    p.cmd()
        .args(["verify", "--source", "shop", "--target", "graph", "--full", "--mapping", "mapping.yaml"])
        .assert()
        .success()
        .stdout(predicate::str::contains("0 difference(s)"));
}

#[test]
fn shop_to_neptune_lands_in_the_backing_store_and_verifies() {
    let db = Database::with("shop_neptune", &["shop.sql"]);
    let server = TestServer::start("pg_shop", &[]);
    let p = Project::new(&format!("{}{}", db.target("shop", ""), server.target("np", false)));
    p.cmd()
        .args(["copy", "--source", "shop", "--target", "np", "--all"])
        .env("AWS_ACCESS_KEY_ID", "x")
        .env("AWS_SECRET_ACCESS_KEY", "y")
        .assert()
        .success()
        .stdout(predicate::str::contains("Copied 28 nodes and 33 relationships"))
        .stdout(predicate::str::contains("MAP -> STRING"));
    for (label, n) in SHOP_LABELS {
        assert_eq!(server.count(&format!("MATCH (n:`{label}`) RETURN count(n) AS c")), *n as i64, "{label}");
    }
    for (ty, n) in SHOP_TYPES {
        assert_eq!(server.count(&format!("MATCH ()-[r:`{ty}`]->() RETURN count(r) AS c")), *n as i64, "{ty}");
    }
    let rows =
        engine(&server.database, "MATCH (p:Product) WHERE p.sku = 'BK-001' RETURN p.price AS price, p.title AS t");
    assert_eq!(rows[0]["price"], "678.90");
    let rows = engine(
        &server.database,
        "MATCH (o:Order)-[r:ORDER_ITEM]->(p:Product) WHERE o.id = 100 AND p.sku = 'BK-002' RETURN r.quantity AS q, r.unit_price AS u",
    );
    assert_eq!((rows[0]["q"].clone(), rows[0]["u"].clone()), (json!(2), json!("12.50")));
    let rows = engine(&server.database, "MATCH (c:Category)-[:PARENT]->(p:Category) WHERE c.id = 3 RETURN p.name AS n");
    assert_eq!(rows[0]["n"], "Science");
    p.cmd()
        .args(["verify", "--source", "shop", "--target", "np", "--full"])
        .assert()
        .success()
        .stdout(predicate::str::contains("0 difference(s)"));
}
