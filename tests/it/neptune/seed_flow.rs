//! The README's seed flow, start to finish, as a new user runs it: a Neo4j-style source that
//! nodestream already migrates (so it holds nodestream's history nodes), then `targets --check`,
//! `migrations run` on Neptune, `copy --dry-run`, `copy`, `verify` and `copy --verify`, each
//! ending in exit 0. Bookkeeping on either side (migration history, the lock, graphferry's
//! identity label) is neither copied, counted nor compared.

use predicates::prelude::*;

use super::expect::{read, write_without};
use super::server::{create_database, drop_database, engine, TestServer};
use crate::support::{example_dump, Project};

const SOURCE: &str = "my-neo4j-database";
const TARGET: &str = "my-neptune-database";

fn bolt_target(name: &str, database: &str) -> String {
    let uri = std::env::var("ARCADEDB_BOLT").unwrap_or_else(|_| "bolt://127.0.0.1:7687".into());
    let password = std::env::var("ARCADEDB_ROOT_PASSWORD").unwrap_or_else(|_| "graphferry-test".into());
    format!("  {name}:\n    database: neo4j\n    uri: {uri}\n    username: root\n    password: {password}\n    database_name: {database}\n")
}

/// `graphferry` in the project, unsigned (the test server runs without IAM).
fn run(p: &Project, args: &[&str]) -> assert_cmd::assert::Assert {
    p.cmd().args(args).env_remove("AWS_ACCESS_KEY_ID").assert()
}

#[test]
fn the_readme_seed_flow_ends_green() {
    let server = TestServer::start("seed_flow", &[]);
    let src_db = "gf_np_seed_flow_source";
    create_database(src_db);
    let p = Project::new(&format!(
        "  dump:\n    database: file\n    path: movies.jsonl\n  back:\n    database: file\n    path: back.jsonl\n{}{}",
        bolt_target(SOURCE, src_db),
        server.target(TARGET, false),
    ));
    // The example minus its showcase node, whose nested list Neo4j cannot store.
    let movies = write_without(&read(&example_dump()), "Showcase", &p.path("movies.jsonl"));
    let (nodes, relationships) = (movies.nodes.len(), movies.relationships.len());
    std::fs::create_dir(p.path("migrations")).unwrap();
    std::fs::write(
        p.path("migrations/0001_movies.yaml"),
        "name: 0001_movies\ndependencies: []\noperations:\n  - operation: CreateNodeType\n    arguments: {name: Movie, keys: [title], properties: [released]}\n",
    )
    .unwrap();
    // The source: loaded from the dump, and migrated as nodestream would have done it.
    run(&p, &["copy", "--source", "dump", "--target", SOURCE, "--all"]).success();
    run(&p, &["migrations", "run", "--target", SOURCE]).success();
    assert_eq!(engine(src_db, "MATCH (m:__NodestreamMigration__) RETURN count(m) AS c")[0]["c"], 1);

    run(&p, &["targets", "--check"]).success();
    run(&p, &["migrations", "run", "--target", TARGET]).success();
    run(&p, &["copy", "--source", SOURCE, "--target", TARGET, "--all", "--dry-run"])
        .success()
        .stdout(predicate::str::contains(format!("would copy {nodes} nodes and {relationships} relationships")))
        .stdout(predicate::str::contains("__Nodestream").not().and(predicate::str::contains("_Graphferry").not()));
    run(&p, &["copy", "--source", SOURCE, "--target", TARGET, "--all"]).success();
    let migrations = server.query("MATCH (m:__NodestreamMigration__) RETURN count(m) AS c");
    assert_eq!(migrations[0]["c"], 1, "only the target's own history, none copied from the source");
    run(&p, &["verify", "--source", SOURCE, "--target", TARGET]).success();
    run(&p, &["copy", "--source", SOURCE, "--target", TARGET, "--all", "--verify"]).success();
    // Read back out of Neptune, its own history stays behind too.
    run(&p, &["copy", "--source", TARGET, "--target", "back", "--all"]).success();
    let back = read(&p.path("back.jsonl"));
    assert_eq!((back.nodes.len(), back.relationships.len()), (nodes, relationships));
    assert!(back.nodes.values().all(|n| n.labels.iter().all(|l| !l.starts_with("__Nodestream"))));
    drop_database(src_db);
}
