//! Labels, relationship types and property names with any characters (spaces, backticks,
//! quotes, backslashes, unicode, leading digits): written by `~id`, found again by `~id` (with
//! and without a label), joined by MERGE'd relationships and read back unchanged.

use serde_json::json;

use crate::harness::*;

/// Names as a client quotes them in Cypher: inside backquotes, a backquote doubled.
fn quote(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

const NAMES: &[&str] =
    &["with space", "back`tick", "double``tick", "it's \"quoted\"", "back\\slash", "ünïcödé 名前", "1leading", "a:b.c"];

#[tokio::test]
async fn odd_names_work_for_id_lookup_merge_and_read_back() {
    let s = Server::start("names_odd", &[]).await;
    for (i, name) in NAMES.iter().enumerate() {
        let label = quote(name);
        let prop = quote(&format!("p {name}"));
        let q = format!("UNWIND $rows AS row MERGE (n:{label} {{`~id`: row.id}}) SET n.{prop} = row.v");
        let rows = json!([{ "id": format!("a{i}"), "v": i }, { "id": format!("b{i}"), "v": i + 100 }]);
        let got = s.form(&q, json!({ "rows": rows })).await;
        assert_eq!(got.0, 200, "{name}: {}", got.1);

        // A relationship between the two, found by `~id` with the label and without it.
        let rel = quote(&format!("R {name}"));
        let q = format!(
            "UNWIND $rows AS row MATCH (a:{label} {{`~id`: row.s}}), (b {{`~id`: row.e}}) \
             MERGE (a)-[r:{rel} {{`~id`: row.id}}]->(b) SET r.{prop} = row.v"
        );
        let rows = json!([{ "id": format!("r{i}"), "s": format!("a{i}"), "e": format!("b{i}"), "v": "x" }]);
        let got = s.form(&q, json!({ "rows": rows })).await;
        assert_eq!(got.0, 200, "{name}: {}", got.1);

        let q = format!("MATCH (a)-[r:{rel}]->(b) WHERE id(a) = $a RETURN a, r, b");
        let (status, v) = s.form(&q, json!({ "a": format!("a{i}") })).await;
        assert_eq!(status, 200, "{name}: {v}");
        let row = &v["results"][0];
        let pname = format!("p {name}");
        assert_eq!(row["a"]["~labels"], json!([name]), "{name}: {v}");
        assert_eq!(row["a"]["~properties"], json!({ pname.clone(): i }), "{name}: {v}");
        assert_eq!(row["b"]["~id"], json!(format!("b{i}")), "{name}: {v}");
        assert_eq!(row["r"]["~type"], json!(format!("R {name}")), "{name}: {v}");
        assert_eq!(row["r"]["~id"], json!(format!("r{i}")), "{name}: {v}");
        assert_eq!(row["r"]["~properties"], json!({ pname: "x" }), "{name}: {v}");
    }
    // Every node is reachable through the graph-wide id lookup, and no id was duplicated.
    let (_, v) = s.form("MATCH (n) RETURN id(n) AS id ORDER BY id", json!({})).await;
    assert_eq!(v["results"].as_array().map(Vec::len), Some(2 * NAMES.len()), "{v}");
    let (_, v) = s.form("MATCH ()-[r]->() RETURN count(r) AS c", json!({})).await;
    assert_eq!(v["results"][0]["c"], json!(NAMES.len()), "{v}");
    // A second MERGE of the same relationship ids finds them (no duplicate-id error).
    for (i, name) in NAMES.iter().enumerate() {
        let q = format!(
            "MATCH (a {{`~id`: $s}}), (b {{`~id`: $e}}) MERGE (a)-[r:{} {{`~id`: $id}}]->(b) RETURN id(r) AS id",
            quote(&format!("R {name}"))
        );
        let got = s.form(&q, json!({ "s": format!("a{i}"), "e": format!("b{i}"), "id": format!("r{i}") })).await;
        assert_eq!(got, (200, json!({ "results": [{ "id": format!("r{i}") }] })), "{name}");
    }
}
