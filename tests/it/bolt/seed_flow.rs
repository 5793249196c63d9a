//! The seed flow on a Bolt target: `migrations run` (which creates the key constraints), then
//! `copy` twice, then `verify`: nodes land on their declared keys, once.

use predicates::prelude::*;

use super::server::{bolt_url, cypher_http, fresh_database, http_url, target_yaml};
use crate::support::{example_dump, Project};

#[test]
fn migrations_then_copy_twice_then_verify() {
    let database = fresh_database("seed_flow");
    let p = Project::new(&format!(
        "  src:\n    database: file\n    path: {}\n{}",
        example_dump().display(),
        target_yaml("graph", &bolt_url(), &database)
    ));
    std::fs::create_dir(p.path("migrations")).unwrap();
    std::fs::write(
        p.path("migrations/0001_keys.yaml"),
        "name: 0001_keys\ndependencies: []\noperations:\n  - operation: CreateNodeType\n    arguments: {name: Movie, keys: [title], properties: [released]}\n",
    )
    .unwrap();
    p.cmd().args(["migrations", "run", "--target", "graph"]).assert().success();
    let copy = ["copy", "--source", "src", "--target", "graph", "--node", "Movie", "--relationship", "DIRECTED"];
    p.cmd().args(copy).assert().success().stdout(predicate::str::contains("Copied 75 nodes and 60 relationships"));
    p.cmd().args(copy).assert().success();
    let count = cypher_http(&http_url(), &database, "MATCH (n:Movie) RETURN count(n) AS c");
    assert!(count.contains("\"c\":60"), "{count}");
    p.cmd()
        .args([
            "verify",
            "--source",
            "src",
            "--target",
            "graph",
            "--node",
            "Movie",
            "--relationship",
            "DIRECTED",
            "--full",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("0 difference(s)"));
}
