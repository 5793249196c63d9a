//! The seed flow on a Bolt target: `migrations run` (which creates the key constraints), then
//! `copy` twice, then `verify`: nodes land on their declared keys, once. A migrated source's
//! migration history stays where it is.

use predicates::prelude::*;
use serde_json::Value as Json;

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

const MOVIE_KEYS: &str = "name: 0001_keys\ndependencies: []\noperations:\n  - operation: CreateNodeType\n    arguments: {name: Movie, keys: [title], properties: []}\n";

fn states(p: &Project, target: &str) -> Vec<(String, String)> {
    let out = p.cmd().args(["migrations", "show", "--target", target, "--json"]).assert().success();
    let v: Json = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let rows = v["migrations"].as_array().unwrap().iter();
    rows.map(|m| (m["migration"].as_str().unwrap().into(), m["state"].as_str().unwrap().into())).collect()
}

/// nodestream's history describes the database it is in: copied along, it would make the target
/// look migrated, and the target's key constraints would never be created.
#[test]
fn a_migrated_sources_history_is_not_copied_counted_or_verified() {
    let (src, dst) = (fresh_database("history_src"), fresh_database("history_dst"));
    let p =
        Project::new(&format!("{}{}", target_yaml("src", &bolt_url(), &src), target_yaml("dst", &bolt_url(), &dst)));
    std::fs::create_dir(p.path("migrations")).unwrap();
    std::fs::write(p.path("migrations/0001_keys.yaml"), MOVIE_KEYS).unwrap();
    cypher_http(
        &http_url(),
        &src,
        "CREATE (:Movie {title: 'A'}), (:Movie {title: 'B'})-[:SEEN_BY]->(:Person {name: 'p'})",
    );
    p.cmd().args(["migrations", "run", "--target", "src"]).assert().success();

    let copy = ["copy", "--source", "src", "--target", "dst", "--all"];
    p.cmd()
        .args(copy)
        .arg("--dry-run")
        .assert()
        .success()
        .stdout(predicate::str::contains("would copy 3 nodes and 1 relationship from"))
        .stdout(predicate::str::contains("__Nodestream").not());
    p.cmd().args(copy).assert().success();
    let history = cypher_http(&http_url(), &dst, "MATCH (m:__NodestreamMigration__) RETURN count(m) AS c");
    assert!(history.contains("\"c\":0"), "history copied: {history}");
    assert_eq!(states(&p, "dst"), [("0001_keys".into(), "pending".into())]);
    p.cmd().args(["verify", "--source", "src", "--target", "dst", "--full"]).assert().success();

    p.cmd().args(["migrations", "run", "--target", "dst"]).assert().success();
    assert_eq!(states(&p, "dst"), [("0001_keys".into(), "applied".into())]);
    let constraints = cypher_http(&http_url(), &dst, "SHOW CONSTRAINTS");
    assert!(constraints.contains("Movie_node_key"), "the target's key constraint: {constraints}");
}
