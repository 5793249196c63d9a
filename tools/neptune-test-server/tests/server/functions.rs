//! Neptune functions the engine lacks, computed by the server: `removeKeyFromMap` in the exact
//! queries nodestream 0.15.3's Neptune plugin sends (copied from
//! `nodestream_plugin_neptune/ingest_query_builder.py` as it renders them), checked against what
//! landed in ArcadeDB; and `SET x = map`, which must keep the entity's id.

use serde_json::{json, Value};

use crate::harness::*;

const NS_NODE_EAGER: &str = "\nUNWIND $params as param\nMERGE (node: Person {`~id` : param.__node_id}) ON CREATE SET node = removeKeyFromMap(param, \"__node_id\") ON MATCH SET node += removeKeyFromMap(param, \"__node_id\")";
const NS_NODE_MATCH_ONLY: &str = "\nUNWIND $params as param\nMATCH (node: Person {`~id` : param.__node_id}) SET node += removeKeyFromMap(param, \"__node_id\")";
const NS_REL_MERGE: &str = "\nUNWIND $params as param\nMATCH (from_node: Person {`~id` : param.__from_node_id}) , (to_node: Person {`~id` : param.__to_node_id}) MERGE (from_node)-[rel: KNOWS]->(to_node) ON CREATE SET rel = removeKeyFromMap(removeKeyFromMap(param, \"__from_node_id\"), \"__to_node_id\") ON MATCH SET rel += removeKeyFromMap(removeKeyFromMap(param, \"__from_node_id\"), \"__to_node_id\")";
const NS_REL_CREATE_KEYED: &str = "\nUNWIND $params as param\nMATCH (from_node: Person {`~id` : param.__from_node_id}) , (to_node: Person {`~id` : param.__to_node_id}) CREATE (from_node)-[rel: LIKES {since : param.since}]->(to_node) SET rel += removeKeyFromMap(removeKeyFromMap(param, \"__from_node_id\"), \"__to_node_id\")";

const PEOPLE: usize = 5;

/// nodestream's node rows: `__node_id` next to the properties.
fn node_rows(round: i64) -> Value {
    Value::Array(
        (0..PEOPLE)
            .map(|i| {
                json!({
                    "__node_id": format!("Person_id:{i}"),
                    "name": format!("person {i}"),
                    "age": 20 + i as i64 + round,
                    "score": i as f64 + 0.25,
                    "tag": format!("t{i}"),
                    "active": i % 2 == 0,
                })
            })
            .collect(),
    )
}

/// nodestream's relationship rows: both endpoint ids next to the properties.
fn rel_rows(since_base: i64) -> Value {
    Value::Array(
        (0..PEOPLE)
            .map(|i| {
                json!({
                    "since": since_base + i as i64,
                    "weight": 0.5,
                    "__from_node_id": format!("Person_id:{i}"),
                    "__to_node_id": format!("Person_id:{}", (i + 1) % PEOPLE),
                })
            })
            .collect(),
    )
}

/// Every stored record of `type_`, as ArcadeDB holds it, ordered by `key`.
async fn stored(db: &str, type_: &str, key: &str) -> Vec<Value> {
    let v = arcadedb(db, "sql", &format!("SELECT FROM `{type_}` ORDER BY {key}")).await;
    v.as_array().unwrap_or_else(|| panic!("no {type_} records: {v}")).clone()
}

/// The record's own properties (ArcadeDB's `@` metadata dropped).
fn props(record: &Value) -> serde_json::Map<String, Value> {
    record
        .as_object()
        .unwrap()
        .iter()
        .filter(|(k, _)| !k.starts_with('@'))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

#[tokio::test]
async fn nodestream_node_and_relationship_queries_store_the_params_without_the_removed_keys() {
    let s = Server::start("fn_nodestream", &[]).await;
    // Nodes, created (ON CREATE SET node = ...), through the SDK encoding nodestream uses.
    let got = s.sdk_json("/opencypher", NS_NODE_EAGER, json!({ "params": node_rows(0) })).await;
    assert_eq!(got, (200, json!({ "results": [] })));
    let nodes = stored(&s.database, "Person", "`~id`").await;
    assert_eq!(nodes.len(), PEOPLE);
    for (i, n) in nodes.iter().enumerate() {
        let p = props(n);
        let keys: Vec<&str> = p.keys().map(String::as_str).collect();
        let mut sorted = keys.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, ["active", "age", "name", "score", "tag", "~id"], "{n}");
        assert_eq!(p["~id"], json!(format!("Person_id:{i}")));
        assert_eq!(p["name"], json!(format!("person {i}")));
        assert!(p["age"].is_i64() && p["age"] == json!(20 + i as i64), "{n}");
        assert!(p["score"].is_f64() && p["score"] == json!(i as f64 + 0.25), "{n}");
        assert_eq!(p["active"], json!(i % 2 == 0));
        assert_eq!(p["tag"], json!(format!("t{i}")));
    }

    // The same nodes again (ON MATCH SET node += ...), then the MATCH-only shape.
    let got = s.sdk_json("/opencypher", NS_NODE_EAGER, json!({ "params": node_rows(10) })).await;
    assert_eq!(got.0, 200, "{}", got.1);
    let only = json!([{ "__node_id": "Person_id:0", "nickname": "zero" }]);
    let got = s.sdk_json("/opencypher", NS_NODE_MATCH_ONLY, json!({ "params": only })).await;
    assert_eq!(got.0, 200, "{}", got.1);
    let nodes = stored(&s.database, "Person", "`~id`").await;
    assert_eq!(nodes.len(), PEOPLE, "ON MATCH must find the nodes by their kept ~id");
    assert_eq!(props(&nodes[0])["age"], json!(30));
    assert_eq!(props(&nodes[0])["nickname"], json!("zero"));
    assert_eq!(props(&nodes[0])["~id"], json!("Person_id:0"));
    assert!(nodes.iter().all(|n| !props(n).keys().any(|k| k.starts_with("__"))), "{nodes:?}");

    // Relationships (MERGE ... ON CREATE SET rel = nested removeKeyFromMap), twice.
    let got = s.sdk_json("/opencypher", NS_REL_MERGE, json!({ "params": rel_rows(2000) })).await;
    assert_eq!(got, (200, json!({ "results": [] })));
    let got = s.sdk_json("/opencypher", NS_REL_MERGE, json!({ "params": rel_rows(3000) })).await;
    assert_eq!(got.0, 200, "{}", got.1);
    let rels = stored(&s.database, "KNOWS", "since").await;
    assert_eq!(rels.len(), PEOPLE, "the second run merges onto the first one's relationships");
    for (i, r) in rels.iter().enumerate() {
        let p = props(r);
        let mut keys: Vec<&str> = p.keys().map(String::as_str).collect();
        keys.sort_unstable();
        // `~id` is the id the server generated (nodestream gives relationships none).
        assert_eq!(keys, ["since", "weight", "~id"], "{r}");
        assert!(p["since"].is_i64() && p["since"] == json!(3000 + i as i64), "{r}");
        assert!(p["weight"].is_f64(), "{r}");
    }
    // The endpoints are the nodes the ids named, seen through the Neptune endpoint.
    let (status, v) = s
        .form(
            "MATCH (a:Person)-[r:KNOWS]->(b:Person) RETURN id(a) AS a, id(b) AS b, r.since AS since ORDER BY since",
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["results"][1], json!({ "a": "Person_id:1", "b": "Person_id:2", "since": 3001 }));

    // The CREATE shape with a relationship key in the pattern.
    let got = s.sdk_json("/opencypher", NS_REL_CREATE_KEYED, json!({ "params": rel_rows(1) })).await;
    assert_eq!(got.0, 200, "{}", got.1);
    let likes = stored(&s.database, "LIKES", "since").await;
    assert_eq!(likes.len(), PEOPLE);
    let mut keys: Vec<String> = props(&likes[0]).keys().cloned().collect();
    keys.sort_unstable();
    assert_eq!(keys, ["since", "weight", "~id"]);

    // A node read back through the Neptune endpoint shows none of the removed keys.
    let (_, v) = s.form("MATCH (n:Person) WHERE id(n) = 'Person_id:3' RETURN n", json!({})).await;
    let n = &v["results"][0]["n"];
    assert_eq!(n["~id"], "Person_id:3");
    assert_eq!(n["~properties"]["name"], "person 3");
    assert!(n["~properties"].get("__node_id").is_none(), "{n}");
}

#[tokio::test]
async fn remove_key_from_map_on_parameters_and_refusals() {
    let s = Server::start("fn_remove_key", &[]).await;
    let (status, v) = s
        .form("RETURN removeKeyFromMap($m, $k) AS m", json!({ "m": { "a": 1, "b": "x", "c": [1, 2] }, "k": "a" }))
        .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["results"], json!([{ "m": { "b": "x", "c": [1, 2] } }]));

    // A map the server cannot compute is refused, naming the function; nothing is written.
    let got = s.form("CREATE (n:P) SET n = removeKeyFromMap({a: 1, b: 2}, 'a')", json!({})).await;
    assert_error(&got, 400, "MalformedQueryException");
    assert!(got.1["detailedMessage"].as_str().unwrap().contains("removeKeyFromMap"), "{}", got.1);
    assert_eq!(engine_count(&s.database, "MATCH (n) RETURN count(n) AS c").await, 0);
    // So is a first argument that is not a map.
    let got = s
        .form("UNWIND $rows AS row CREATE (n:P) SET n += removeKeyFromMap(row.x, 'a')", json!({ "rows": [{ "x": 1 }] }))
        .await;
    assert_error(&got, 400, "InvalidParameterException");
}

#[tokio::test]
async fn set_to_a_map_keeps_the_id() {
    let s = Server::start("fn_set_map", &[]).await;
    let got = s.form("CREATE (n:P {`~id`: 'a', x: 1, y: 2})", json!({})).await;
    assert_eq!(got.0, 200, "{}", got.1);
    let got = s.form("MATCH (n:P {`~id`: 'a'}) SET n = $props", json!({ "props": { "z": 3 } })).await;
    assert_eq!(got.0, 200, "{}", got.1);
    let (_, v) = s.form("MATCH (n:P {`~id`: 'a'}) RETURN n", json!({})).await;
    assert_eq!(v["results"][0]["n"]["~properties"], json!({ "z": 3 }), "{v}");
}
