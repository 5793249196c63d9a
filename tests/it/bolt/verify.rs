//! `graphferry verify` against a Bolt target: a file → Bolt copy of the example dump (multi-label
//! nodes, points, bytes, dates, parallel relationships) verifies clean field by field, and a value
//! changed in the target afterwards is reported by its source id with exit code 1.

use std::collections::BTreeMap;

use predicates::prelude::*;
use serde_json::Value as Json;

use super::server::{Db, Server};
use crate::support::{example_dump, Project};

crate::on_every_server!(a_file_to_bolt_copy_verifies_and_a_changed_value_is_found_by_id);

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

fn project(db: &Db) -> Project {
    let p = Project::new(&format!("  example:\n    database: file\n    path: example.jsonl\n{}", db.yaml("dst")));
    storable_example(&p.path("example.jsonl"));
    p
}

async fn a_file_to_bolt_copy_verifies_and_a_changed_value_is_found_by_id(server: Server) {
    let db = server.database("verify").await;
    let p = project(&db);
    p.cmd().args(["copy", "--source", "example", "--target", "dst", "--all", "--verify"]).assert().success();
    p.cmd().args(["verify", "--source", "example", "--target", "dst", "--full"]).assert().success().stdout(
        predicate::str::contains("Compared field by field: 335 nodes")
            .and(predicate::str::contains("; 0 difference(s)")),
    );

    db.run("MATCH (n:`_GraphferryNode` {`_graphferry_id`: 'movie-7'}) SET n.released = 1999.5").await;
    let out = p.cmd().args(["verify", "--source", "example", "--target", "dst", "--full"]).assert().code(1);
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert!(stdout.contains("movie-7") && stdout.contains("released"), "{stdout}");

    // A relationship's property too, found from its start node.
    let rows =
        db.rows("MATCH ()-[r]->() WITH r LIMIT 1 SET r.graphferry_test = 1 RETURN r.`_graphferry_id` AS id").await;
    let rel_id = rows[0]["id"].as_str().unwrap_or_else(|| panic!("{rows:?}")).to_string();
    let out = p.cmd().args(["verify", "--source", "example", "--target", "dst", "--full"]).assert().code(1);
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert!(stdout.contains(&rel_id) && stdout.contains("graphferry_test"), "{stdout}");
}
