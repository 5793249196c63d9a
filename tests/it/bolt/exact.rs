//! On Neo4j the shared test graph (graph.rs) comes back exactly, as the official Python driver
//! reads it (tests/it/py/read_graph.py), not graphferry: Neo4j → file → Neo4j here, Neo4j → Neo4j
//! in finalize.rs (on both servers), and Neo4j → Neptune test server → Neo4j with Neptune's
//! documented encodings (README, "Type encodings in Neptune"). Neo4j only, and named so:
//! ArcadeDB changes values on loading (a DATETIME parameter loses its offset, a BCE date slips a
//! year), so "exactly" cannot hold there; round_trip.rs compares what it stored on both.

use serde_json::{json, Value as Json};

use super::finalize::{assert_no_marks, assert_same_graph, read_independently};
use super::graph::load;
use super::server::Server;
use crate::neptune::server::TestServer;
use crate::support::Project;

fn copy(p: &Project, from: &str, to: &str, extra: &[&str]) {
    p.cmd()
        .args(["copy", "--source", from, "--target", to, "--all"])
        .args(extra)
        .env_remove("AWS_ACCESS_KEY_ID")
        .assert()
        .success();
}

#[tokio::test(flavor = "multi_thread")]
async fn neo4j_only_the_test_graph_round_trips_exactly_through_a_file() {
    let (src, dst) = Server::Neo4j.pair("exact_file").await;
    load(&src.bolt().await, &src.name).await;
    let p = Project::new(&format!(
        "{}{}  dump:\n    database: file\n    path: dump.jsonl\n",
        src.yaml("src"),
        dst.yaml("dst")
    ));
    copy(&p, "src", "dump", &[]);
    copy(&p, "dump", "dst", &["--finalize"]);
    let (source, target) = (read_independently(&src), read_independently(&dst));
    assert_no_marks(&target);
    assert_same_graph(Server::Neo4j, &source, &target);
}

#[tokio::test(flavor = "multi_thread")]
async fn neo4j_only_the_test_graph_round_trips_through_neptune_with_its_documented_encodings() {
    let (src, dst) = Server::Neo4j.pair("exact_np").await;
    load(&src.bolt().await, &src.name).await;
    // The Neptune helpers block on a runtime of their own.
    let neptune = tokio::task::block_in_place(|| TestServer::start("neo4j_exact", &[]));
    // `string`: every temporal value keeps every digit, its offset and its zone.
    let p = Project::new(&format!(
        "{}{}{}    temporal_encoding: string\n",
        src.yaml("src"),
        dst.yaml("dst"),
        neptune.target("np", false)
    ));
    copy(&p, "src", "np", &[]);
    copy(&p, "np", "dst", &["--finalize"]);
    tokio::task::block_in_place(|| drop(neptune));
    let (source, target) = (read_independently(&src), read_independently(&dst));
    assert_no_marks(&target);
    let expected = encoded_graph(&source);
    for part in ["nodes", "relationships", "labels_in_use", "relationship_types"] {
        let (e, t) = (pretty(&expected[part]), pretty(&target[part]));
        assert_eq!(e, t, "`{part}`: expected (left) the source in Neptune's documented encodings");
    }
}

fn pretty(v: &Json) -> String {
    serde_json::to_string_pretty(v).unwrap()
}

/// The source as the reader printed it, each property in the form the README's table gives it in
/// Neptune (which comes back from Neptune as that string), then sorted again as the reader sorts.
fn encoded_graph(source: &Json) -> Json {
    let props = |p: &Json| -> Json {
        Json::Object(p.as_object().unwrap().iter().map(|(k, v)| (k.clone(), encoded(v))).collect())
    };
    // "A node without labels gets Neptune's `vertex` label" (README; Neptune requires one).
    let labels = |l: &Json| if l.as_array().unwrap().is_empty() { json!(["vertex"]) } else { l.clone() };
    let node = |n: &Json| json!([labels(&n[0]), props(&n[1])]);
    let mut nodes: Vec<Json> = source["nodes"].as_array().unwrap().iter().map(node).collect();
    let mut rels: Vec<Json> = source["relationships"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| json!([r[0], node(&r[1]), node(&r[2]), props(&r[3])]))
        .collect();
    let key = |v: &Json| serde_json::to_string(v).unwrap();
    nodes.sort_by_key(key);
    rels.sort_by_key(key);
    let mut in_use: Vec<Json> = nodes.iter().flat_map(|n| n[0].as_array().unwrap().clone()).collect();
    in_use.sort_by_key(key);
    in_use.dedup();
    json!({"nodes": nodes, "relationships": rels, "labels_in_use": in_use,
           "relationship_types": source["relationship_types"]})
}

fn string(text: &str) -> Json {
    json!({"type": "STRING", "value": text})
}

/// One typed value (`{"type", "value"}` as read_graph.py prints it) as Neptune stores it.
fn encoded(v: &Json) -> Json {
    let text = v["value"].as_str().unwrap_or_default();
    match v["type"].as_str().unwrap() {
        "FLOAT" => match text {
            "NaN" => string("NaN"),
            "inf" => string("Infinity"),
            "-inf" => string("-Infinity"),
            _ => v.clone(),
        },
        "LIST" => string(&list_json(v)),
        "BYTES" => string(&base64(&hex(text))),
        "ZONED DATETIME" => match v["zone"].as_str() {
            Some(zone) if !zone.starts_with(['+', '-']) => string(&format!("{text}[{zone}]")),
            _ => string(text),
        },
        "DATE" | "LOCAL DATETIME" | "LOCAL TIME" | "ZONED TIME" => string(text),
        "DURATION" => string(&duration(&v["value"])),
        "POINT" => string(&point(&v["value"])),
        // A date the Python driver cannot hold (before year 1): days since 1970-01-01 in its raw
        // Bolt structure `D`, ISO 8601 with a signed four-digit year in Neptune (`-0044-03-15`).
        "RAW BOLT" if v["value"][0] == "b'D'" => {
            let days: i64 = v["value"][1].as_str().unwrap().trim_matches(['[', ']']).parse().unwrap();
            let date = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap() + chrono::Duration::days(days);
            string(&date.format("%Y-%m-%d").to_string())
        }
        _ => v.clone(),
    }
}

/// A list as the dump's JSON: `[3,1,2]`, `["a","b"]`, `[{"$date":"2024-01-01"}]`.
fn list_json(v: &Json) -> String {
    let items: Vec<String> = v["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| {
            let text = item["value"].as_str().unwrap_or_default();
            match item["type"].as_str().unwrap() {
                "INTEGER" | "FLOAT" => text.to_string(),
                "BOOLEAN" => item["value"].to_string(),
                "STRING" => Json::from(text).to_string(),
                "DATE" => json!({"$date": text}).to_string(),
                other => panic!("no list of {other} in the test graph"),
            }
        })
        .collect();
    format!("[{}]", items.join(","))
}

fn hex(text: &str) -> Vec<u8> {
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap()).collect()
}

fn base64(bytes: &[u8]) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            out.push(if i <= chunk.len() { A[(n >> (18 - 6 * i) & 63) as usize] as char } else { '=' });
        }
    }
    out
}

/// ISO 8601 as the README gives it: months, days, then seconds with their fraction.
fn duration(v: &Json) -> String {
    let n = |i: usize| v[i].as_i64().unwrap();
    let (months, days, seconds, nanos) = (n(0), n(1), n(2), n(3));
    let fraction = if nanos == 0 { String::new() } else { format!(".{:09}", nanos).trim_end_matches('0').to_string() };
    format!("P{months}M{days}DT{seconds}{fraction}S")
}

/// EWKT: `SRID=4326;POINT(x y)`, `SRID=9157;POINT Z(x y z)`, coordinates as Rust prints them.
fn point(v: &Json) -> String {
    let srid = v[0].as_i64().unwrap();
    let coords: Vec<String> =
        v[1].as_array().unwrap().iter().map(|c| c.as_str().unwrap().parse::<f64>().unwrap().to_string()).collect();
    let kind = if coords.len() == 3 { "POINT Z" } else { "POINT" };
    format!("SRID={srid};{kind}({})", coords.join(" "))
}
