//! Neptune's refusal rules, one test per rule: each sends the forbidden shape, asserts Neptune's
//! status and code, and checks that nothing landed; the allowed neighbours of each shape still
//! work. The sources of the rules are cited where the server enforces them (`src/cypher/assign.rs`,
//! `src/cypher/unsupported.rs`, `src/types.rs`) and listed in the README.

use serde_json::{json, Value};

use crate::harness::*;

const LIST: &str = "MalformedQueryException";

async fn nodes(s: &Server) -> i64 {
    engine_count(&s.database, "MATCH (n) RETURN count(n) AS c").await
}

/// Asserts the refusal and that its message names the rule, not the value.
fn assert_list_refusal(got: &(u16, Value), found: &str) {
    assert_error(got, 400, LIST);
    let msg = got.1["detailedMessage"].as_str().unwrap();
    assert!(msg.starts_with(&format!("Expected a simple literal but found {found}")), "{msg}");
}

#[tokio::test]
async fn list_property_values_are_refused_in_every_assigning_clause() {
    let s = Server::start("rule_lists", &[]).await;
    let list_row = json!({ "rows": [{ "id": "a", "props": { "name": "x", "tags": ["a", "b"] } }] });
    // SET n += map, from an UNWIND row (graphferry's and the AWS-recommended upsert shape).
    assert_list_refusal(&s.form(UPSERT, list_row.clone()).await, "List");
    // SET n = map, also through removeKeyFromMap (nodestream's shape).
    let q = "UNWIND $rows AS row MERGE (n:P {`~id`: row.id}) SET n = removeKeyFromMap(row, 'id')";
    assert_list_refusal(&s.form(q, json!({ "rows": [{ "id": "a", "tags": [1] }] })).await, "List");
    // SET n.p = value, from a parameter and from a literal.
    let q = "MERGE (n:P {`~id`: 'a'}) SET n.tags = $tags";
    assert_list_refusal(&s.form(q, json!({ "tags": ["x"] })).await, "List");
    assert_list_refusal(&s.form("MERGE (n:P {`~id`: 'a'}) SET n.tags = ['x']", json!({})).await, "List");
    // ON CREATE SET / ON MATCH SET.
    let q = "MERGE (n:P {`~id`: 'a'}) ON CREATE SET n.tags = $t ON MATCH SET n.tags = $t";
    assert_list_refusal(&s.form(q, json!({ "t": [] })).await, "List");
    // CREATE and MERGE property maps, literal and from a row; a relationship's too.
    assert_list_refusal(&s.form("CREATE (n:P {tags: [1, 2]})", json!({})).await, "List");
    let q = "UNWIND $rows AS row CREATE (n:P {`~id`: row.id, tags: row.tags})";
    assert_list_refusal(&s.form(q, json!({ "rows": [{ "id": "a", "tags": [1] }] })).await, "List");
    assert_list_refusal(&s.form("CREATE (n:P $props)", json!({ "props": { "tags": [true] } })).await, "List");
    let q = "CREATE (a:P {`~id`: 'a'})-[:R {w: $w}]->(b:P {`~id`: 'b'})";
    assert_list_refusal(&s.form(q, json!({ "w": [1.5] })).await, "List");
    assert_eq!(nodes(&s).await, 0, "nothing lands from a refused write");
    assert_eq!(engine_count(&s.database, "MATCH ()-[r]->() RETURN count(r) AS c").await, 0);
}

#[tokio::test]
async fn map_property_values_are_refused() {
    let s = Server::start("rule_maps", &[]).await;
    let map_row = json!({ "rows": [{ "id": "m", "props": { "address": { "city": "Oslo" } } }] });
    assert_list_refusal(&s.form(UPSERT, map_row).await, "Map");
    assert_list_refusal(&s.form("MERGE (n:P {`~id`: 'a'}) SET n.m = $m", json!({ "m": { "a": 1 } })).await, "Map");
    assert_list_refusal(&s.form("MERGE (n:P {`~id`: 'a'}) SET n.m = {a: 1}", json!({})).await, "Map");
    assert_eq!(nodes(&s).await, 0);
}

#[tokio::test]
async fn lists_that_are_not_property_values_still_work() {
    let s = Server::start("rule_lists_ok", &[]).await;
    let got = s.form(UPSERT, json!({ "rows": rows("p", 3) })).await;
    assert_eq!(got.0, 200, "{}", got.1);
    // WHERE ... IN a list parameter, and a row field holding a list of ids.
    let q = "MATCH (n:Person) WHERE id(n) IN $ids RETURN id(n) AS id ORDER BY id";
    let got = s.form(q, json!({ "ids": ["p0", "p2"] })).await;
    assert_eq!(got, (200, json!({ "results": [{ "id": "p0" }, { "id": "p2" }] })));
    let q = "UNWIND $rows AS row MATCH (n:Person) WHERE id(n) IN row.ids SET n.group = row.g";
    let got = s.form(q, json!({ "rows": [{ "ids": ["p0", "p1"], "g": "first" }] })).await;
    assert_eq!(got.0, 200, "{}", got.1);
    assert_eq!(engine_count(&s.database, "MATCH (n:Person {group: 'first'}) RETURN count(n) AS c").await, 2);
    // A row holding a list next to the properties that are stored.
    let q = "UNWIND $rows AS row MERGE (n:Person {`~id`: row.id}) SET n += row.props";
    let got = s.form(q, json!({ "rows": [{ "id": "p9", "labels": ["A", "B"], "props": { "n": 9 } }] })).await;
    assert_eq!(got.0, 200, "{}", got.1);
    // Lists in results are fine.
    let got = s.form("RETURN [1, 2] AS l, {a: [3]} AS m", json!({})).await;
    assert_eq!(got, (200, json!({ "results": [{ "l": [1, 2], "m": { "a": [3] } }] })));
}

#[tokio::test]
async fn integers_beyond_64_bits_are_invalid_numeric_data() {
    let s = Server::start("rule_numeric", &[]).await;
    let huge = json!({ "rows": [{ "id": "m", "props": { "n": 18446744073709551615u64 } }] });
    assert_error(&s.form(UPSERT, huge).await, 400, "InvalidNumericDataException");
    let got = s.form("CREATE (:P {n: 9223372036854775808})", json!({})).await;
    assert_error(&got, 400, "InvalidNumericDataException");
    assert_eq!(nodes(&s).await, 0);
    let got = s.form("CREATE (:P {n: 9223372036854775807, m: -9223372036854775808})", json!({})).await;
    assert_eq!(got.0, 200, "{}", got.1);
}

#[tokio::test]
async fn unsupported_functions_are_refused() {
    let s = Server::start("rule_functions", &[]).await;
    for f in ["date('2020-01-01')", "duration('P1D')", "localtime('12:00')", "localdatetime('2020-01-01T00:00')"] {
        let got = s.form(&format!("CREATE (:P {{`~id`: 'd', v: {f}}})"), json!({})).await;
        assert_error(&got, 400, "UnsupportedOperationException");
        let msg = got.1["detailedMessage"].as_str().unwrap();
        assert!(msg.starts_with("Date and Time related functions are not supported"), "{msg}");
    }
    assert_error(&s.form("RETURN point({x: 1, y: 2}) AS p", json!({})).await, 400, "UnsupportedOperationException");
    let q = "MATCH p = shortestPath((a:P)-[*]-(b:P)) RETURN p";
    assert_error(&s.form(q, json!({})).await, 400, "UnsupportedOperationException");
    assert_error(&s.form("RETURN 2 ^ 3 AS x", json!({})).await, 400, "UnsupportedOperationException");
    assert_eq!(nodes(&s).await, 0);
}

#[tokio::test]
async fn procedures_are_refused() {
    let s = Server::start("rule_call", &[]).await;
    let got = s.form("CALL db.labels() YIELD label RETURN label", json!({})).await;
    assert_error(&got, 400, "UnsupportedOperationException");
}

#[tokio::test]
async fn skip_and_limit_take_literals_or_parameters_only() {
    let s = Server::start("rule_skip_limit", &[]).await;
    s.form(UPSERT, json!({ "rows": rows("p", 3) })).await;
    for q in [
        "MATCH (n) RETURN n LIMIT toInteger(rand())",
        "MATCH (n) WITH n SKIP 1 + 1 RETURN n",
        "MATCH (n) RETURN n LIMIT $l * 2",
    ] {
        assert_error(&s.form(q, json!({ "l": 1 })).await, 400, "UnsupportedOperationException");
    }
    let got = s.form("MATCH (n:Person) RETURN id(n) AS id ORDER BY id SKIP 1 LIMIT $l", json!({ "l": 1 })).await;
    assert_eq!(got, (200, json!({ "results": [{ "id": "p1" }] })));
}

#[tokio::test]
async fn union_is_for_read_only_queries() {
    let s = Server::start("rule_union", &[]).await;
    let got = s.form("CREATE (a:A) RETURN 1 AS x UNION CREATE (b:B) RETURN 2 AS x", json!({})).await;
    assert_error(&got, 400, "UnsupportedOperationException");
    assert_eq!(nodes(&s).await, 0);
    let got = s.form("RETURN 1 AS x UNION RETURN 2 AS x", json!({})).await;
    assert_eq!(got.0, 200, "{}", got.1);
}

#[tokio::test]
async fn deleting_a_node_with_relationships_is_refused() {
    let s = Server::start("rule_delete", &[]).await;
    let got = s.form("CREATE (:P {`~id`: 'a'})-[:R]->(:P {`~id`: 'b'})", json!({})).await;
    assert_eq!(got.0, 200, "{}", got.1);
    let got = s.form("MATCH (n:P {`~id`: 'a'}) DELETE n", json!({})).await;
    assert_error(&got, 400, "BadRequestException");
    assert!(got.1["detailedMessage"].as_str().unwrap().starts_with("Cannot delete node, because it still has"));
    assert_eq!(nodes(&s).await, 2);
    let got = s.form("MATCH (n:P {`~id`: 'a'}) DETACH DELETE n", json!({})).await;
    assert_eq!(got.0, 200, "{}", got.1);
    assert_eq!(nodes(&s).await, 1);
}

#[tokio::test]
async fn removing_the_last_label_of_a_node_is_refused_and_rolled_back() {
    let s = Server::start("rule_last_label", &[]).await;
    let got = s.form("CREATE (:A:B {`~id`: 'ab'}), (:A {`~id`: 'a'})", json!({})).await;
    assert_eq!(got.0, 200, "{}", got.1);
    // Removing one of two labels, or replacing a label, is fine. (In two requests: ArcadeDB
    // cannot move a node through two types in one statement; see the README.)
    let got = s.form("MATCH (n {`~id`: 'ab'}) REMOVE n:B", json!({})).await;
    assert_eq!(got.0, 200, "{}", got.1);
    let got = s.form("MATCH (n {`~id`: 'a'}) SET n:C", json!({})).await;
    assert_eq!(got.0, 200, "{}", got.1);
    let got = s.form("MATCH (n {`~id`: 'a'}) REMOVE n:A", json!({})).await;
    assert_eq!(got.0, 200, "{}", got.1);
    // Removing the last one is refused, and nothing of the query lands.
    let got = s.form("MATCH (n:A {`~id`: 'ab'}) SET n.x = 1 REMOVE n:A", json!({})).await;
    assert_error(&got, 400, "BadRequestException");
    assert!(got.1["detailedMessage"].as_str().unwrap().contains("remove the last label"), "{}", got.1);
    let (_, v) = s.form("MATCH (n) RETURN id(n) AS id, labels(n) AS l, n.x AS x ORDER BY id", json!({})).await;
    assert_eq!(v["results"], json!([{ "id": "a", "l": ["C"], "x": null }, { "id": "ab", "l": ["A"], "x": null }]));
}
