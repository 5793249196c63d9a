//! `graphferry verify` against a Bolt target: a file → Bolt copy of the example dump (multi-label
//! nodes, points, bytes, dates, parallel relationships) verifies clean field by field, and a value
//! changed in the target afterwards is reported by its source id with exit code 1.

use std::collections::BTreeMap;

use predicates::prelude::*;
use serde_json::Value as Json;

use super::server::{bolt_url, cypher_http, fresh_database, http_url, target_yaml};
use crate::support::{example_dump, Project};

/// The example dump without its value-type showcase node (it holds a map and a nested list,
/// which Neo4j cannot store as properties) and the relationships touching it, with the end
/// record's totals recounted.
fn storable_example(path: &std::path::Path) {
    let text = std::fs::read_to_string(example_dump()).unwrap();
    let mut lines: Vec<Json> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let mut end = lines.pop().unwrap();
    lines.retain(|l| l["id"] != "showcase" && l["start"] != "showcase" && l["end"] != "showcase");
    let (mut labels, mut types) = (BTreeMap::<String, u64>::new(), BTreeMap::<String, u64>::new());
    for l in &lines {
        match l["kind"].as_str() {
            Some("node") => l["labels"].as_array().unwrap().iter().for_each(|x| {
                *labels.entry(x.as_str().unwrap().to_string()).or_default() += 1;
            }),
            Some("relationship") => *types.entry(l["type"].as_str().unwrap().to_string()).or_default() += 1,
            _ => {}
        }
    }
    end["nodes"] = lines.iter().filter(|l| l["kind"] == "node").count().into();
    end["relationships"] = lines.iter().filter(|l| l["kind"] == "relationship").count().into();
    end["node_labels"] = serde_json::to_value(labels).unwrap();
    end["relationship_types"] = serde_json::to_value(types).unwrap();
    lines.push(end);
    std::fs::write(path, lines.iter().map(|l| format!("{l}\n")).collect::<String>()).unwrap();
}

fn project(database: &str) -> Project {
    let p = Project::new(&format!(
        "  example:\n    database: file\n    path: example.jsonl\n{}",
        target_yaml("dst", &bolt_url(), database)
    ));
    storable_example(&p.path("example.jsonl"));
    p
}

#[test]
fn a_file_to_bolt_copy_verifies_and_a_changed_value_is_found_by_id() {
    let db = fresh_database("verify");
    let p = project(&db);
    p.cmd().args(["copy", "--source", "example", "--target", "dst", "--all", "--verify"]).assert().success();
    p.cmd().args(["verify", "--source", "example", "--target", "dst", "--full"]).assert().success().stdout(
        predicate::str::contains("Compared field by field: 335 nodes")
            .and(predicate::str::contains("; 0 difference(s)")),
    );

    cypher_http(&http_url(), &db, "MATCH (n:`_GraphferryNode` {`_graphferry_id`: 'movie-7'}) SET n.released = 1999.5");
    let out = p.cmd().args(["verify", "--source", "example", "--target", "dst", "--full"]).assert().code(1);
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert!(stdout.contains("movie-7") && stdout.contains("released"), "{stdout}");

    // A relationship's property too, found from its start node.
    let body = cypher_http(
        &http_url(),
        &db,
        "MATCH ()-[r]->() WITH r LIMIT 1 SET r.graphferry_test = 1 RETURN r.`_graphferry_id` AS id",
    );
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    let rel_id = v["result"][0]["id"].as_str().unwrap_or_else(|| panic!("{body}")).to_string();
    let out = p.cmd().args(["verify", "--source", "example", "--target", "dst", "--full"]).assert().code(1);
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert!(stdout.contains(&rel_id) && stdout.contains("graphferry_test"), "{stdout}");
}
