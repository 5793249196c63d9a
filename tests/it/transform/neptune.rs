//! Bolt → Neptune test server with every operation: what landed is read from the server's
//! ArcadeDB directly (not through graphferry or the server) and checked record by record.

use std::collections::BTreeMap;

use graphferry::model::Value;
use serde_json::Value as Json;

use super::{expected, read_dump, source_database, write_transform, TRANSFORM};
use crate::bolt::server::{bolt_url, target_yaml};
use crate::neptune::server::{engine, TestServer};
use crate::support::Project;

/// A record as the test server's ArcadeDB holds it: labels (or type), ends, properties.
struct Stored {
    labels: Vec<String>,
    ends: Option<(String, String)>,
    properties: serde_json::Map<String, Json>,
}

fn stored(record: &Json, ends: Option<(String, String)>) -> (String, Stored) {
    let m = record.as_object().expect("a record");
    let id = m["~id"].as_str().expect("~id").to_string();
    let ty = m["@type"].as_str().expect("@type");
    let mut labels: Vec<String> =
        ty.split('~').filter(|l| !l.is_empty() && *l != "vertex").map(str::to_string).collect();
    labels.sort();
    let properties =
        m.iter().filter(|(k, _)| !k.starts_with('@') && *k != "~id").map(|(k, v)| (k.clone(), v.clone())).collect();
    (id, Stored { labels, ends, properties })
}

fn read_arcadedb(db: &str) -> (BTreeMap<String, Stored>, BTreeMap<String, Stored>) {
    let nodes = engine(db, "MATCH (n) RETURN n").iter().map(|row| stored(row, None)).collect();
    let rels = engine(db, "MATCH (a)-[r]->(b) RETURN r, a.`~id` AS s, b.`~id` AS e")
        .iter()
        .map(|row| {
            let ends = (row["s"].as_str().unwrap().to_string(), row["e"].as_str().unwrap().to_string());
            stored(&row["r"], Some(ends))
        })
        .collect();
    (nodes, rels)
}

/// Values Neptune holds as they are compare equal; every other one is stored as a string (its
/// documented encoding, checked by tests/it/neptune/encoding.rs), so only its presence is checked here.
fn assert_props(what: &str, want: &graphferry::model::Properties, got: &serde_json::Map<String, Json>) {
    let keys = |it: Vec<&String>| it.into_iter().cloned().collect::<Vec<_>>();
    assert_eq!(keys(want.keys().collect()), keys(got.keys().collect()), "{what}: property names");
    for (k, v) in want {
        let native = match v {
            Value::Bool(b) => Some(Json::Bool(*b)),
            Value::Int(i) => Some(Json::from(*i)),
            Value::String(s) => Some(Json::String(s.clone())),
            Value::Float(f) if f.is_finite() => Some(Json::from(*f)),
            _ => None,
        };
        match native {
            Some(json) => assert_eq!(got[k], json, "{what}.{k}"),
            None => assert!(got[k].is_string(), "{what}.{k} is stored encoded: {:?}", got[k]),
        }
    }
}

#[test]
fn every_operation_bolt_to_neptune_lands_as_declared_and_verifies() {
    let server = TestServer::start("tf_every", &[]);
    let db = source_database("tf_np");
    let p = Project::new(&format!(
        "{}{}  plain:\n    database: file\n    path: plain.jsonl\n",
        target_yaml("bolt", &bolt_url(), &db),
        server.target("np", false)
    ));
    let t = write_transform(p.dir.path(), "t.yaml", TRANSFORM);
    let cli = |args: &[&str]| p.cmd().args(args).env_remove("AWS_ACCESS_KEY_ID").assert();
    cli(&["copy", "--source", "bolt", "--target", "plain", "--all"]).success();
    let want = expected(&read_dump(&p.path("plain.jsonl")));
    let t_arg = t.to_str().unwrap();
    cli(&["copy", "--source", "bolt", "--target", "np", "--all", "--transform", t_arg, "--batch-size", "4"]).success();

    let (nodes, rels) = read_arcadedb(&server.database);
    assert_eq!(nodes.keys().collect::<Vec<_>>(), want.nodes.keys().collect::<Vec<_>>(), "node ~ids");
    assert_eq!(rels.keys().collect::<Vec<_>>(), want.relationships.keys().collect::<Vec<_>>(), "relationship ~ids");
    for (id, n) in &want.nodes {
        let got = &nodes[id];
        let mut labels = n.labels.clone();
        labels.sort();
        assert_eq!(got.labels, labels, "labels of {id}");
        assert_props(&format!("node {id}"), &n.properties, &got.properties);
    }
    for (id, r) in &want.relationships {
        let got = &rels[id];
        assert_eq!(got.labels, std::slice::from_ref(&r.rel_type), "type of {id}");
        assert_eq!(got.ends, Some((r.start.clone(), r.end.clone())), "ends of {id}");
        assert_props(&format!("relationship {id}"), &r.properties, &got.properties);
    }
    // The converted values, as Neptune stores them (README, "Type encodings in Neptune").
    let x1 = &nodes["contact_ann@example.com"].properties;
    assert_eq!(x1["joined"], "\u{f8ff}2024-02-29T00:00:00.000Z", "a DATE as a DateTime at midnight UTC");
    assert_eq!(x1["seen"], "\u{f8ff}2023-11-14T22:13:20.000Z", "epoch milliseconds as a DateTime");
    assert_eq!(x1["tags"], r#"["vip","eu"]"#, "a LIST as its JSON text");
    assert_eq!(x1["age"], 42);

    cli(&["verify", "--source", "bolt", "--target", "np", "--full", "--transform", t_arg])
        .success()
        .stdout(predicates::str::contains("0 difference(s)"));
    let other = write_transform(p.dir.path(), "other.yaml", &TRANSFORM.replace("{email}", "{email}_2"));
    cli(&["verify", "--source", "bolt", "--target", "np", "--full", "--transform", other.to_str().unwrap()]).failure();
}
