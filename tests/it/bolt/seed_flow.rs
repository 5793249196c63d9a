//! The seed flow on a Bolt target: `migrations run` (which creates the key constraints), then
//! `copy` twice, then `verify`: nodes land on their declared keys, once. A migrated source's
//! migration history stays where it is.

use predicates::prelude::*;
use serde_json::Value as Json;

use super::server::Server;
use crate::support::{example_dump, Project};

crate::on_every_server!(
    migrations_then_copy_twice_then_verify,
    a_migrated_sources_history_is_not_copied_counted_or_verified
);

async fn migrations_then_copy_twice_then_verify(server: Server) {
    let database = server.database("seed_flow").await;
    let p = Project::new(&format!(
        "  src:\n    database: file\n    path: {}\n{}",
        example_dump().display(),
        database.yaml("graph")
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
    let count = database.rows("MATCH (n:Movie) RETURN count(n) AS c").await;
    assert_eq!(count[0]["c"], 60, "{count:?}");
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
async fn a_migrated_sources_history_is_not_copied_counted_or_verified(server: Server) {
    let (src, dst) = server.pair("history").await;
    let p = Project::new(&format!("{}{}", src.yaml("src"), dst.yaml("dst")));
    std::fs::create_dir(p.path("migrations")).unwrap();
    std::fs::write(p.path("migrations/0001_keys.yaml"), MOVIE_KEYS).unwrap();
    src.run("CREATE (:Movie {title: 'A'}), (:Movie {title: 'B'})-[:SEEN_BY]->(:Person {name: 'p'})").await;
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
    let history = dst.rows("MATCH (m:__NodestreamMigration__) RETURN count(m) AS c").await;
    assert_eq!(history[0]["c"], 0, "history copied: {history:?}");
    assert_eq!(states(&p, "dst"), [("0001_keys".into(), "pending".into())]);
    p.cmd().args(["verify", "--source", "src", "--target", "dst", "--full"]).assert().success();

    p.cmd().args(["migrations", "run", "--target", "dst"]).assert().success();
    assert_eq!(states(&p, "dst"), [("0001_keys".into(), "applied".into())]);
    let constraints = dst.rows("SHOW CONSTRAINTS YIELD name RETURN name").await;
    assert!(constraints.iter().any(|c| c["name"] == "Movie_node_key"), "the target's key constraint: {constraints:?}");
}
