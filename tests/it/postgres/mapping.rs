//! The mapping: `graphferry map`'s output for the shop is the checked-in fixture; an edited
//! mapping (renames, a left-out column, a reversed relationship, a cast) changes the copy as
//! written; the classic users/sessions/outputs example works with a mapping kept in
//! nodestream.yaml; what has no rule is refused by name.

use predicates::prelude::*;
use serde_json::json;

use super::copy::read_dump;
use super::server::{fixture, Database};
use crate::bolt::server::{bolt_url, cypher_http, fresh_database, http_url, target_yaml};
use crate::support::Project;

#[test]
fn map_prints_the_checked_in_mapping_of_the_shop() {
    let db = Database::with("shop_map", &["shop.sql"]);
    let p = Project::new(&db.target("shop", ""));
    let out = p.cmd().args(["map", "--source", "shop"]).assert().success();
    let printed = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    let fixture = std::fs::read_to_string(fixture("shop.mapping.yaml")).unwrap();
    assert_eq!(printed, fixture, "graphferry map output differs from tests/fixtures/postgres/shop.mapping.yaml");
    assert!(printed.contains("table: audit_log") && printed.contains("no primary key"));
    assert!(printed.contains("table: big_orders") && printed.contains("a view"));
}

#[test]
fn an_edited_mapping_changes_the_copy_as_written() {
    let db = Database::with("shop_edit", &["shop.sql"]);
    let p = Project::new(&format!("{}  dump:\n    database: file\n    path: out.jsonl\n", db.target("shop", "")));
    let edited = std::fs::read_to_string(fixture("shop.mapping.yaml"))
        .unwrap()
        // Rename a label and a property, leave a column out.
        .replace(
            "  label: Customer\n  key:\n  - id\n  properties:\n    id: id\n    email: email\n    name: name\n",
            "  label: Client\n  key:\n  - id\n  properties:\n    id: id\n    email: mail\n",
        )
        // Reverse a relationship and rename its type.
        .replace(
            "  type: CUSTOMER\n  foreign_key: orders_customer_id_fkey\n  direction: out\n",
            "  type: PLACED\n  foreign_key: orders_customer_id_fkey\n  direction: in\n",
        )
        // A numeric as a float: inexact values are counted.
        .replace("    price: price\n    tags: tags\n", "    price: price\n    tags: tags\n  cast:\n    price: float\n");
    std::fs::write(p.path("edited.yaml"), edited).unwrap();
    p.cmd()
        .args(["copy", "--source", "shop", "--target", "dump", "--all", "--mapping", "edited.yaml"])
        .assert()
        .success()
        .stdout(predicate::str::contains("PLACED"))
        .stdout(
            predicate::str::contains("Product.price").and(predicate::str::contains("NUMERIC -> FLOAT (not exact)")),
        );
    let d = read_dump(&p.path("out.jsonl"));
    let ada = &d.nodes["public.customers:1"];
    assert_eq!(ada["labels"], json!(["Client"]));
    assert_eq!(
        ada["properties"],
        json!({"id": 1, "mail": "ada@example.com", "created_at": {"$datetime": "2024-01-02T03:04:05.123456+00:00"}})
    );
    let placed = &d.relationships["public.orders:100/orders_customer_id_fkey"];
    assert_eq!(
        (placed["type"].clone(), placed["start"].clone(), placed["end"].clone()),
        (json!("PLACED"), json!("public.customers:1"), json!("public.orders:100"))
    );
    assert_eq!(d.nodes["public.products:BK-001"]["properties"]["price"], 678.9);
    assert_eq!(d.nodes["public.products:BK-002"]["properties"]["price"], 12.5);
    // Only the three prices that are not binary fractions were counted.
    let json_out = p
        .cmd()
        .args(["--json", "copy", "--source", "shop", "--target", "dump", "--all", "--mapping", "edited.yaml"])
        .assert()
        .success();
    let text = String::from_utf8_lossy(&json_out.get_output().stdout).to_string();
    assert!(text.contains("\"property\":\"price\"") && text.contains("\"count\":3"), "{text}");
    p.cmd()
        .args(["verify", "--source", "shop", "--target", "dump", "--mapping", "edited.yaml", "--full"])
        .assert()
        .success();
}

#[test]
fn users_sessions_outputs_with_the_mapping_in_nodestream_yaml() {
    let db = Database::with("uso", &["users_sessions_outputs.sql"]);
    let graph = fresh_database("pg_uso");
    let mapping = "    mapping:
      nodes:
      - {schema: public, table: users, label: User, key: [id], properties: {id: id, name: name}}
      - {schema: public, table: sessions, label: Session, key: [id], properties: {id: id, started_at: started_at}}
      - {schema: public, table: outputs, label: Output, key: [id], properties: {id: id, body: body}}
      relationships:
      - {schema: public, table: outputs, type: CREATED, foreign_key: outputs_user_id_fkey, direction: in}
      - {schema: public, table: outputs, type: CONTAINS, foreign_key: outputs_session_id_fkey, direction: in}
";
    let p = Project::new(&format!("{}{}", db.target("pg", mapping), target_yaml("graph", &bolt_url(), &graph)));
    p.cmd()
        .args(["copy", "--source", "pg", "--target", "graph", "--all"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Copied 7 nodes and 6 relationships"));
    let q = |text: &str| {
        let out = cypher_http(&http_url(), &graph, text);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        v["result"].clone()
    };
    let created = q("MATCH (u:User)-[:CREATED]->(o:Output) RETURN u.name AS u, o.body AS o ORDER BY o");
    assert_eq!(created, json!([{"u": "ann", "o": "first"}, {"u": "ann", "o": "second"}, {"u": "bob", "o": "third"}]));
    let contains = q("MATCH (s:Session)-[:CONTAINS]->(o:Output) RETURN s.id AS s, count(o) AS n ORDER BY s");
    assert_eq!(contains, json!([{"s": 10, "n": 1}, {"s": 11, "n": 2}]));
    p.cmd().args(["verify", "--source", "pg", "--target", "graph", "--full"]).assert().success();
    // Selection by the mapped names: CREATED and the nodes at its ends only.
    p.cmd()
        .args(["copy", "--source", "pg", "--target", "graph", "--relationship", "CREATED", "--dry-run"])
        .assert()
        .success()
        .stdout(predicate::str::contains("would copy 5 nodes and 3 relationships"));
    // migrations make --from writes the node keys.
    p.cmd().args(["migrations", "make", "--from", "pg", "--name", "0001_pg"]).assert().success();
    let made = std::fs::read_to_string(p.path("migrations/0001_pg.yaml")).unwrap();
    assert!(made.contains("name: Output") && made.contains("keys:"), "{made}");
}

#[test]
fn what_has_no_rule_is_refused_by_name() {
    let db = Database::with("refuse", &[]);
    super::server::execute(
        &db.url(),
        "CREATE TABLE docs (id int PRIMARY KEY, body tsvector, scores int[]);
         INSERT INTO docs VALUES (1, 'a b', '{1,NULL}');",
    );
    let p = Project::new(&format!("{}  dump:\n    database: file\n    path: out.jsonl\n", db.target("pg", "")));
    p.cmd()
        .args(["copy", "--source", "pg", "--target", "dump", "--all"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("`body`").and(predicate::str::contains("tsvector")));
    std::fs::write(
        p.path("m.yaml"),
        "nodes:\n- schema: public\n  table: docs\n  label: Doc\n  key: [id]\n  properties: {id: id, body: body, scores: scores}\n  cast: {body: text}\n",
    )
    .unwrap();
    p.cmd()
        .args(["copy", "--source", "pg", "--target", "dump", "--all", "--mapping", "m.yaml"])
        .assert()
        .failure()
        .stderr(
            predicate::str::contains("scores")
                .and(predicate::str::contains("NULL"))
                .and(predicate::str::contains("public.docs:1")),
        );
}

/// A `char(n)` key copies whole (it found a bug when the source read in pages of 5,000: the
/// page after `'5000'` compared in `character` alone, i.e. after `'5'`, and read rows again;
/// the resume test covers that path now, with `char(6)` keys).
#[test]
fn a_char_key_pages_on_its_whole_value() {
    let db = Database::with("char_key", &[]);
    super::server::execute(
        &db.url(),
        "CREATE TABLE codes (code char(4) PRIMARY KEY, n int NOT NULL);
         INSERT INTO codes SELECT lpad(i::text, 4, '0'), i FROM generate_series(1, 6000) i;",
    );
    let p = Project::new(&format!("{}  dump:\n    database: file\n    path: out.jsonl\n", db.target("pg", "")));
    p.cmd()
        .args(["copy", "--source", "pg", "--target", "dump", "--all"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Copied 6,000 nodes"));
    let d = read_dump(&p.path("out.jsonl"));
    assert_eq!(d.nodes.len(), 6000);
    assert_eq!(d.nodes["public.codes:5001"]["properties"], json!({"code": "5001", "n": 5001}));
}
