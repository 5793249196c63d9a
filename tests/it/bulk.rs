//! Bulk-load exports (`neptune-csv`, `neo4j-admin-csv`) of the shared test graph, read from
//! ArcadeDB over Bolt: every file parsed back with the `csv` crate and checked record by record
//! against the source; the Neptune export loaded through the test server's loader and the
//! neo4j-admin export imported by the real `neo4j-admin` into a Neo4j store of its own, each
//! checked by `graphferry verify`.

mod admin;
mod loader;
mod neo4j_home;
mod neptune_csv;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::bolt::graph::load;
use crate::bolt::server::{bolt_at, bolt_url, fresh_database, target_yaml};
use crate::neptune::expect::{read, Graph};
use crate::support::Project;

/// Values with every character a CSV writer can get wrong, added to the shared graph.
pub const AWKWARD: &str = "a,b;c \"q\"\r\nline ünï 😀 ";

/// The shared test graph in a fresh ArcadeDB database, plus one node with [`AWKWARD`] values.
/// `without_spaced_names` removes the four property names holding a space, which Neptune's load
/// format cannot carry.
pub fn source(prefix: &str, without_spaced_names: bool) -> String {
    // A runtime of its own: the tests are plain `#[test]`s, as the Neptune helpers block.
    tokio::runtime::Runtime::new().expect("runtime").block_on(load_source(prefix, without_spaced_names))
}

async fn load_source(prefix: &str, without_spaced_names: bool) -> String {
    let db = fresh_database(prefix);
    let bolt = bolt_at(&bolt_url(), &db).await;
    load(&bolt, &db).await;
    let q = neo4rs::query(
        "CREATE (:Person:Awkward {name: $s, tags: ['x;y', 'a|b', ' pad ']}) \
         WITH 1 AS one MATCH (a:Awkward), (b:Person {name: 'b'}) CREATE (a)-[:KNOWS {note: $s}]->(b)",
    )
    .param("s", AWKWARD);
    bolt.run_on(db.as_str(), q).await.expect("awkward node");
    if without_spaced_names {
        let spaced =
            [("(n)", "`pr op``x`"), ("(n)", "`ünï prop`"), ("(n)", "`it's \"p\"`"), ("()-[n]->()", "`it's \"r\"`")];
        for (pattern, name) in spaced {
            let q = neo4rs::query(&format!("MATCH {pattern} WHERE n.{name} IS NOT NULL SET n.{name} = null"));
            bolt.run_on(db.as_str(), q).await.expect("remove a property");
        }
    }
    db
}

/// A project with the Bolt source `bolt`, a dump `dump`, and `extra` targets.
pub fn project(db: &str, extra: &str) -> Project {
    Project::new(&format!(
        "{}  dump:\n    database: file\n    path: source.jsonl\n{extra}",
        target_yaml("bolt", &bolt_url(), db)
    ))
}

/// Copies `bolt` to the dump, and returns what the source holds as graphferry read it.
pub fn source_graph(p: &Project) -> Graph {
    p.cmd().args(["copy", "--source", "bolt", "--target", "dump", "--all"]).assert().success();
    read(&p.path("source.jsonl"))
}

/// Every file under `dir`, sorted, with its bytes.
pub fn files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let path = e.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let bytes = std::fs::read(&path).unwrap();
                out.insert(path.strip_prefix(dir).unwrap().to_path_buf(), bytes);
            }
        }
    }
    out
}
