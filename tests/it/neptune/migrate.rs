//! `graphferry migrations` on a Neptune target: schema operations are no-ops said so, data
//! operations change copied data in batches, history is `__NodestreamMigration__` nodes, and the
//! `~id`-keyed lock node is taken, released and reported when held.

use predicates::prelude::*;
use serde_json::Value as Json;

use super::server::TestServer;
use crate::support::{example_dump, Project};

fn project(server: &TestServer) -> Project {
    let p = Project::new(&format!(
        "  src:\n    database: file\n    path: {}\n{}",
        example_dump().display(),
        server.target("np", false)
    ));
    std::fs::create_dir(p.path("migrations")).unwrap();
    p
}

fn write_migration(p: &Project, name: &str, deps: &[&str], ops: &str) {
    let deps = deps.iter().map(|d| format!("'{d}'")).collect::<Vec<_>>().join(", ");
    let text = format!("name: '{name}'\ndependencies: [{deps}]\noperations:\n{ops}");
    std::fs::write(p.path(&format!("migrations/{name}.yaml")), text).unwrap();
}

fn states(p: &Project) -> Vec<(String, String)> {
    let out =
        p.cmd().args(["migrations", "show", "--target", "np", "--json"]).assert().success().get_output().stdout.clone();
    let v: Json = serde_json::from_slice(&out).unwrap();
    let rows = v["migrations"].as_array().unwrap().iter();
    rows.map(|m| (m["migration"].as_str().unwrap().into(), m["state"].as_str().unwrap().into())).collect()
}

fn count(server: &TestServer, query: &str) -> i64 {
    server.query(query)[0]["c"].as_i64().unwrap_or_else(|| panic!("no count from {query}"))
}

#[test]
fn run_show_run_again_changes_copied_data_once() {
    let server = TestServer::start("migrations", &[]);
    let p = project(&server);
    p.cmd().args(["copy", "--source", "src", "--target", "np", "--all"]).assert().success();
    write_migration(&p, "0001", &[], "- {operation: CreateNodeType, arguments: {name: Movie, keys: [title], properties: []}}\n- {operation: AddAdditionalNodePropertyIndex, arguments: {node_type: Movie, field_name: released}}\n");
    write_migration(&p, "0002", &["0001"], "- {operation: RenameNodeProperty, arguments: {node_type: Movie, old_property_name: title, new_property_name: name}}\n- {operation: AddNodeProperty, arguments: {node_type: Review, property_name: source, default: imported}}\n- {operation: DropRelationshipProperty, arguments: {relationship_type: ACTED_IN, property_name: roles}}\n");

    p.cmd()
        .args(["migrations", "run", "--target", "np", "--dry-run"])
        .assert()
        .success()
        .stdout(predicate::str::contains("CreateNodeType Movie: nothing to do on Neptune (no constraints"))
        .stdout(predicate::str::contains("AddAdditionalNodePropertyIndex Movie.released: nothing to do on Neptune ("))
        .stdout(
            predicate::str::contains("RenameNodeProperty Movie.title -> Movie.name: MATCH")
                .and(predicate::str::contains("LIMIT 1000")),
        );
    assert_eq!(
        count(&server, "MATCH (m:Movie) WHERE m.title IS NOT NULL RETURN count(m) AS c"),
        60,
        "dry run changed data"
    );

    p.cmd().args(["migrations", "run", "--target", "np"]).assert().success();
    assert_eq!(states(&p), [("0001".into(), "applied".into()), ("0002".into(), "applied".into())]);
    assert_eq!(count(&server, "MATCH (m:Movie) WHERE m.name IS NOT NULL AND m.title IS NULL RETURN count(m) AS c"), 60);
    assert_eq!(count(&server, "MATCH (r:Review) WHERE r.source = 'imported' RETURN count(r) AS c"), 120);
    assert_eq!(count(&server, "MATCH ()-[r:ACTED_IN]->() WHERE r.roles IS NOT NULL RETURN count(r) AS c"), 0);
    assert_eq!(count(&server, "MATCH (m:__NodestreamMigration__) RETURN count(m) AS c"), 2);
    assert_eq!(count(&server, "MATCH (l:__NodestreamMigrationLock__) RETURN count(l) AS c"), 0, "lock released");

    p.cmd().args(["migrations", "run", "--target", "np"]).assert().success();
    assert_eq!(count(&server, "MATCH (m:__NodestreamMigration__) RETURN count(m) AS c"), 2, "second run is a no-op");
}

#[test]
fn a_held_lock_fails_cleanly_and_force_unlock_clears_it() {
    let server = TestServer::start("migration_lock", &[]);
    let p = project(&server);
    write_migration(&p, "0001", &[], "- {operation: CreateNodeType, arguments: {name: P, keys: [], properties: []}}\n");
    server.query("CREATE (l:__NodestreamMigrationLock__ {`~id`: '__NodestreamMigrationLock__'}) RETURN id(l) AS id");
    p.cmd()
        .args(["migrations", "run", "--target", "np"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("locked by another run").and(predicate::str::contains("target `np`")));
    assert_eq!(states(&p), [("0001".into(), "pending".into())]);
    p.cmd().args(["migrations", "run", "--target", "np", "--force-unlock"]).assert().success();
    assert_eq!(states(&p), [("0001".into(), "applied".into())]);
}

#[test]
fn a_failing_operation_is_not_recorded_and_releases_the_lock() {
    // Requests over 600 bytes are refused (400 BadRequestException, not retryable): the lock,
    // history and unlock queries fit, the operation with a long default does not.
    let server = TestServer::start("migration_failure", &["--max-body-bytes", "600"]);
    let p = project(&server);
    let long = "x".repeat(1000);
    write_migration(
        &p,
        "0001",
        &[],
        &format!(
            "- {{operation: AddNodeProperty, arguments: {{node_type: Movie, property_name: x, default: '{long}'}}}}\n"
        ),
    );
    p.cmd()
        .args(["migrations", "run", "--target", "np"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("migration `0001`").and(predicate::str::contains("not recorded")))
        .stderr(predicate::str::contains("BadRequestException"));
    assert_eq!(states(&p), [("0001".into(), "pending".into())]);
    assert_eq!(count(&server, "MATCH (l:__NodestreamMigrationLock__) RETURN count(l) AS c"), 0, "lock released");
}

/// Renames on Neptune: a node keeps its `~id` under its new label, and a relationship, which
/// cannot change type, is recreated under the new type with its old `~id`, so a later copy or
/// `verify` still finds every record by the source id it was copied with.
#[test]
fn renames_keep_every_id() {
    let server = TestServer::start("migration_renames", &[]);
    let p = project(&server);
    p.cmd().args(["copy", "--source", "src", "--target", "np", "--all"]).assert().success();
    let ids = |query: &str| {
        let mut ids: Vec<String> =
            server.query(query).iter().map(|r| r["i"].as_str().expect("string id").to_string()).collect();
        ids.sort();
        ids
    };
    let movies = ids("MATCH (m:Movie) RETURN id(m) AS i");
    let acted = ids("MATCH ()-[r:ACTED_IN]->() RETURN id(r) AS i");
    assert_eq!((movies.len(), acted.len()), (60, 260));
    write_migration(&p, "0001", &[], "- {operation: RenameNodeType, arguments: {old_type: Movie, new_type: Film}}\n- {operation: RenameRelationshipType, arguments: {old_type: ACTED_IN, new_type: PLAYED_IN}}\n");
    p.cmd().args(["migrations", "run", "--target", "np"]).assert().success();

    assert_eq!(ids("MATCH (m:Film) RETURN id(m) AS i"), movies);
    assert_eq!(count(&server, "MATCH (m:Movie) RETURN count(m) AS c"), 0);
    assert_eq!(ids("MATCH ()-[r:PLAYED_IN]->() RETURN id(r) AS i"), acted);
    assert_eq!(count(&server, "MATCH ()-[r:ACTED_IN]->() RETURN count(r) AS c"), 0);
}
