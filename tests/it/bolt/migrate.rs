//! `graphferry migrations` on the Bolt server: nodestream's history, lock, constraint and index
//! names; data changes on copied data in rounds; failures leave nothing recorded and the lock
//! released; concurrent runs never both apply; `make --from` recreates constraints and indexes.
//! Each test works in databases of its own (on ArcadeDB and on Neo4j), checked over Bolt.

use std::process::Output;

use predicates::prelude::*;
use serde_json::{json, Value as Json};

use super::server::{Db, Server};
use crate::support::Project;

crate::on_every_server!(
    run_show_run_again_uses_nodestreams_names,
    renames_change_copied_data_and_move_keys_and_indexes_and_dry_run_changes_nothing,
    a_failing_operation_is_not_recorded_and_releases_the_lock,
    key_moves_whose_data_rounds_fail_keep_their_constraints_and_a_rerun_finishes_them,
    a_key_constraint_the_server_passes_over_fails_the_run_instead_of_going_missing,
    of_concurrent_runs_exactly_one_applies_and_a_held_lock_is_reported,
    make_from_a_bolt_source_recreates_its_constraints_and_indexes,
);

/// A project with a small graph dump (`dump`) and Bolt targets named after `databases`.
fn project(databases: &[(&str, &Db)], persons: usize) -> Project {
    let mut yaml: String = databases.iter().map(|(name, db)| db.yaml(name)).collect();
    yaml.push_str("  dump:\n    database: file\n    path: small.jsonl\n");
    let p = Project::new(&yaml);
    std::fs::create_dir(p.path("migrations")).unwrap();
    let mut lines = vec![json!({"kind": "header", "format": "graphferry-dump", "version": 1})];
    for m in 0..3 {
        lines.push(json!({"kind": "node", "id": format!("m{m}"), "labels": ["Movie"], "properties": {"title": format!("Movie {m}")}}));
    }
    for i in 0..persons {
        let props =
            json!({"email": format!("p{i}@example.org"), "name": format!("P {i}"), "team": format!("t{}", i % 3)});
        lines.push(json!({"kind": "node", "id": format!("p{i}"), "labels": ["Person"], "properties": props}));
    }
    for i in 0..persons {
        lines.push(json!({"kind": "relationship", "id": format!("r{i}"), "type": "ACTED_IN", "start": format!("p{i}"),
            "end": format!("m{}", i % 3), "properties": {"roles": [format!("Role {i}")]}}));
    }
    let labels = if persons > 0 { json!({"Movie": 3, "Person": persons}) } else { json!({"Movie": 3}) };
    let types = if persons > 0 { json!({"ACTED_IN": persons}) } else { json!({}) };
    lines.push(json!({"kind": "end", "nodes": persons + 3, "relationships": persons,
        "node_labels": labels, "relationship_types": types}));
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    std::fs::write(p.path("small.jsonl"), text).unwrap();
    p
}

fn write_migration(p: &Project, name: &str, deps: &[&str], ops: &str) {
    let deps = deps.iter().map(|d| format!("'{d}'")).collect::<Vec<_>>().join(", ");
    let text = format!("name: '{name}'\ndependencies: [{deps}]\noperations:\n{ops}");
    std::fs::write(p.path(&format!("migrations/{name}.yaml")), text).unwrap();
}

fn states(p: &Project, target: &str) -> Vec<(String, String)> {
    let out = p.cmd().args(["migrations", "show", "--target", target, "--json"]).assert().success();
    let v: Json = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let rows = v["migrations"].as_array().unwrap().iter();
    rows.map(|m| (m["migration"].as_str().unwrap().into(), m["state"].as_str().unwrap().into())).collect()
}

/// The tests' own reads and writes, blocking (the graphferry runs they check are processes).
fn rows(db: &Db, text: &str) -> Vec<Json> {
    tokio::task::block_in_place(|| tokio::runtime::Handle::current().block_on(db.rows(text)))
}

fn exec(db: &Db, text: &str) {
    tokio::task::block_in_place(|| tokio::runtime::Handle::current().block_on(db.run(text)))
}

fn count(db: &Db, text: &str) -> i64 {
    rows(db, text)[0]["c"].as_i64().unwrap_or_else(|| panic!("no count from {text}"))
}

/// `name → properties` of the constraints, or of the indexes no constraint owns (but Neo4j's
/// two token-lookup indexes, type LOOKUP, which every database has).
fn schema(db: &Db, what: &str) -> Vec<(String, Json)> {
    let mut out: Vec<(String, Json)> = rows(db, &format!("SHOW {what}"))
        .into_iter()
        .filter(|r| r["owningConstraint"].is_null() && r["type"] != "LOOKUP")
        .map(|r| (r["name"].as_str().unwrap().to_string(), r["properties"].clone()))
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn bookkeeping(db: &Db) -> (i64, i64) {
    (
        count(db, "MATCH (m:__NodestreamMigration__) RETURN count(m) AS c"),
        count(db, "MATCH (l:__NodestreamMigrationLock__) RETURN count(l) AS c"),
    )
}

const SCHEMA_OPS: &str = "- {operation: CreateNodeType, arguments: {name: Person, keys: [email], properties: [name]}}\n\
    - {operation: CreateNodeType, arguments: {name: Movie, keys: [title], properties: []}}\n\
    - {operation: AddAdditionalNodePropertyIndex, arguments: {node_type: Person, field_name: name}}\n\
    - {operation: AddAdditionalRelationshipPropertyIndex, arguments: {relationship_type: ACTED_IN, field_name: year}}\n";

async fn run_show_run_again_uses_nodestreams_names(server: Server) {
    let db = server.database("mig_run").await;
    let p = project(&[("g", &db)], 0);
    write_migration(&p, "0001", &[], SCHEMA_OPS);
    assert_eq!(states(&p, "g"), [("0001".into(), "pending".into())]);

    p.cmd().args(["migrations", "run", "--target", "g"]).assert().success().stdout(predicate::str::contains("0001"));
    assert_eq!(states(&p, "g"), [("0001".into(), "applied".into())]);
    let constraints = schema(&db, "CONSTRAINTS");
    for (name, props) in [("Person_node_key", json!(["email"])), ("Movie_node_key", json!(["title"]))] {
        assert!(constraints.contains(&(name.to_string(), props)), "{name} in {constraints:?}");
    }
    assert_eq!(
        schema(&db, "INDEXES"),
        [
            ("ACTED_IN_year_additional_index".into(), json!(["year"])),
            ("Person_name_additional_index".into(), json!(["name"]))
        ]
    );
    assert_eq!(bookkeeping(&db), (1, 0), "one history node, lock released");

    p.cmd()
        .args(["migrations", "run", "--target", "g"])
        .assert()
        .success()
        .stdout(predicate::str::contains("up to date"));
    assert_eq!(bookkeeping(&db), (1, 0), "the second run is a no-op");
}

async fn renames_change_copied_data_and_move_keys_and_indexes_and_dry_run_changes_nothing(server: Server) {
    let db = server.database("mig_rename").await;
    // More persons than one round changes, so the rounds repeat.
    let p = project(&[("g", &db)], 1500);
    p.cmd().args(["copy", "--source", "dump", "--target", "g", "--all"]).assert().success();
    write_migration(&p, "0001", &[], SCHEMA_OPS);
    write_migration(&p, "0002", &["0001"], "- {operation: RenameNodeType, arguments: {old_type: Movie, new_type: Film}}\n\
        - {operation: RenameNodeProperty, arguments: {node_type: Person, old_property_name: name, new_property_name: full name}}\n\
        - {operation: RenameRelationshipType, arguments: {old_type: ACTED_IN, new_type: PLAYED_IN}}\n\
        - {operation: AddNodeProperty, arguments: {node_type: Person, property_name: source, default: imported}}\n\
        - {operation: DropRelationshipProperty, arguments: {relationship_type: PLAYED_IN, property_name: roles}}\n");

    p.cmd()
        .args(["migrations", "run", "--target", "g", "--dry-run"])
        .assert()
        .success()
        .stdout(predicate::str::contains("CreateNodeType Person: CREATE CONSTRAINT `Person_node_key` IF NOT EXISTS FOR (n:`Person`) REQUIRE (n.`email`) IS UNIQUE"))
        .stdout(predicate::str::contains("MATCH (x:`Person`) WHERE x.`name` IS NOT NULL WITH x LIMIT 1000 SET x.`full name` = x.`name`, x.`name` = null"));
    assert_eq!(count(&db, "MATCH (m:Movie) RETURN count(m) AS c"), 3, "the dry run changed data");
    assert!(schema(&db, "CONSTRAINTS").iter().all(|(n, _)| n != "Person_node_key"), "the dry run made a constraint");
    assert_eq!(bookkeeping(&db), (0, 0), "the dry run recorded something");

    p.cmd().args(["migrations", "run", "--target", "g"]).assert().success();
    assert_eq!(states(&p, "g"), [("0001".into(), "applied".into()), ("0002".into(), "applied".into())]);
    assert_eq!(count(&db, "MATCH (m:Movie) RETURN count(m) AS c"), 0);
    assert_eq!(count(&db, "MATCH (m:Film) RETURN count(m) AS c"), 3);
    assert_eq!(
        count(&db, "MATCH (n:Person) WHERE n.`full name` IS NOT NULL AND n.name IS NULL RETURN count(n) AS c"),
        1500
    );
    assert_eq!(count(&db, "MATCH (n:Person {source: 'imported'}) RETURN count(n) AS c"), 1500);
    assert_eq!(count(&db, "MATCH ()-[r:ACTED_IN]->() RETURN count(r) AS c"), 0);
    assert_eq!(count(&db, "MATCH (:Person)-[r:PLAYED_IN]->(:Film) WHERE r.roles IS NULL RETURN count(r) AS c"), 1500);
    let constraints = schema(&db, "CONSTRAINTS");
    assert!(constraints.contains(&("Film_node_key".into(), json!(["title"]))), "{constraints:?}");
    assert!(constraints.iter().all(|(n, _)| n != "Movie_node_key"), "{constraints:?}");
    let indexes = schema(&db, "INDEXES");
    assert!(indexes.contains(&("PLAYED_IN_year_additional_index".into(), json!(["year"]))), "{indexes:?}");
    assert!(indexes.iter().all(|(n, _)| n != "ACTED_IN_year_additional_index"), "{indexes:?}");
    assert_eq!(bookkeeping(&db), (2, 0));
}

async fn a_failing_operation_is_not_recorded_and_releases_the_lock(server: Server) {
    let db = server.database("mig_fail").await;
    let p = project(&[("g", &db)], 9);
    p.cmd().args(["copy", "--source", "dump", "--target", "g", "--all"]).assert().success();
    write_migration(&p, "0001", &[], SCHEMA_OPS);
    // Three persons per team: copying `team` into the unique `email` breaks the constraint.
    write_migration(&p, "0002", &["0001"], "- {operation: RenameNodeProperty, arguments: {node_type: Person, old_property_name: team, new_property_name: email}}\n");
    p.cmd()
        .args(["migrations", "run", "--target", "g"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("migration `0002`").and(predicate::str::contains("not recorded")));
    assert_eq!(states(&p, "g"), [("0001".into(), "applied".into()), ("0002".into(), "pending".into())]);
    assert_eq!(bookkeeping(&db), (1, 0), "lock released");
    assert_eq!(count(&db, "MATCH (n:Person) WHERE n.team IS NOT NULL RETURN count(n) AS c"), 9, "data unchanged");
}

/// `(name, properties)` of the constraints named in `names`.
fn constraints_named(db: &Db, names: &[&str]) -> Vec<(String, Json)> {
    schema(db, "CONSTRAINTS").into_iter().filter(|(n, _)| names.contains(&n.as_str())).collect()
}

async fn key_moves_whose_data_rounds_fail_keep_their_constraints_and_a_rerun_finishes_them(server: Server) {
    let db = server.database("mig_key_fail").await;
    let p = project(&[("g", &db)], 9);
    p.cmd().args(["copy", "--source", "dump", "--target", "g", "--all"]).assert().success();
    let movie_index =
        "- {operation: AddAdditionalNodePropertyIndex, arguments: {node_type: Movie, field_name: year}}\n";
    write_migration(&p, "0001", &[], &format!("{SCHEMA_OPS}{movie_index}"));
    p.cmd().args(["migrations", "run", "--target", "g"]).assert().success();
    write_migration(&p, "0002", &["0001"], "- {operation: RenameNodeType, arguments: {old_type: Movie, new_type: Film}}\n\
        - {operation: NodeKeyExtended, arguments: {node_type: Person, added_key_property: region, default: eu}}\n\
        - {operation: NodeKeyPartRenamed, arguments: {node_type: Person, old_key_part_name: email, new_key_part_name: mail}}\n");

    // Real failures: uniqueness constraints the migrations do not know about, which each
    // operation's data round breaks (the round rolls back). Each cause is removed after the run
    // it failed, as a user would, so every run gets one operation further.
    for text in [
        "MATCH (m:Movie) SET m.genre = 'drama'",
        "CREATE CONSTRAINT one_genre FOR (n:Film) REQUIRE n.genre IS UNIQUE",
        "CREATE CONSTRAINT one_region FOR (n:Person) REQUIRE n.region IS UNIQUE",
        "CREATE CONSTRAINT one_mail FOR (n:Person) REQUIRE n.mail IS UNIQUE",
        "CREATE (:Person {mail: 'p0@example.org', stray: true})",
    ] {
        exec(&db, text);
    }
    // The key constraint each failed run leaves. Renaming a key part drops it first (ArcadeDB's
    // composite unique indexes clash on half-renamed nodes); the next run rebuilds it.
    let failures = [
        ("DROP CONSTRAINT one_genre", Some((["Movie_node_key", "Film_node_key"], json!(["title"])))),
        ("DROP CONSTRAINT one_region", Some((["Person_node_key", ""], json!(["email"])))),
        ("MATCH (n:Person {stray: true}) DELETE n", None),
    ];
    for (i, (cure, kept)) in failures.iter().enumerate() {
        let operation = format!("operation {}", i + 1);
        p.cmd()
            .args(["migrations", "run", "--target", "g"])
            .assert()
            .code(1)
            .stderr(predicate::str::contains("migration `0002`").and(predicate::str::contains(operation.as_str())));
        assert_eq!(states(&p, "g")[1], ("0002".into(), "pending".into()));
        if let Some((names, key)) = kept {
            let found = constraints_named(&db, names);
            assert!(
                found.iter().any(|(_, k)| k == key),
                "{operation} failed: no key constraint over {key} in {found:?}"
            );
        }
        exec(&db, cure);
    }

    p.cmd().args(["migrations", "run", "--target", "g"]).assert().success();
    assert_eq!(states(&p, "g"), [("0001".into(), "applied".into()), ("0002".into(), "applied".into())]);
    assert_eq!(bookkeeping(&db), (2, 0), "0002 recorded once, lock released");
    assert_eq!(
        constraints_named(&db, &["Film_node_key", "Movie_node_key"]),
        [("Film_node_key".into(), json!(["title"]))]
    );
    assert_eq!(constraints_named(&db, &["Person_node_key"]), [("Person_node_key".into(), json!(["mail", "region"]))]);
    let indexes = schema(&db, "INDEXES");
    assert!(indexes.contains(&("Film_year_additional_index".into(), json!(["year"]))), "{indexes:?}");
    assert!(indexes.iter().all(|(n, _)| n != "Movie_year_additional_index"), "{indexes:?}");
    assert_eq!(count(&db, "MATCH (n:Film) RETURN count(n) AS c"), 3);
    let moved = "MATCH (n:Person {region: 'eu'}) WHERE n.mail IS NOT NULL AND n.email IS NULL RETURN count(n) AS c";
    assert_eq!(count(&db, moved), 9);
}

async fn a_key_constraint_the_server_passes_over_fails_the_run_instead_of_going_missing(server: Server) {
    let db = server.database("mig_key_twin").await;
    let p = project(&[("g", &db)], 0);
    write_migration(&p, "0001", &[], SCHEMA_OPS);
    write_migration(
        &p,
        "0002",
        &["0001"],
        "- {operation: RenameNodeType, arguments: {old_type: Movie, new_type: Film}}\n",
    );
    // `CREATE CONSTRAINT … IF NOT EXISTS` does nothing, without an error, when another
    // constraint already covers the same label and properties.
    exec(&db, "CREATE CONSTRAINT films_by_title FOR (n:Film) REQUIRE n.title IS UNIQUE");
    p.cmd()
        .args(["migrations", "run", "--target", "g"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("key constraint `Film_node_key` on `Film` was not created"));
    assert_eq!(states(&p, "g")[1], ("0002".into(), "pending".into()));
    assert_eq!(constraints_named(&db, &["Movie_node_key"]), [("Movie_node_key".into(), json!(["title"]))]);
}

async fn of_concurrent_runs_exactly_one_applies_and_a_held_lock_is_reported(server: Server) {
    let db = server.database("mig_race").await;
    let p = project(&[("g", &db)], 1500);
    p.cmd().args(["copy", "--source", "dump", "--target", "g", "--all"]).assert().success();
    write_migration(
        &p,
        "0001",
        &[],
        "- {operation: AddNodeProperty, arguments: {node_type: Person, property_name: source, default: imported}}\n",
    );
    let runs: Vec<std::process::Child> = (0..3)
        .map(|_| {
            let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("graphferry"));
            cmd.arg("--config").arg(p.config()).args(["--json", "migrations", "run", "--target", "g"]);
            cmd.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped()).spawn().unwrap()
        })
        .collect();
    let outputs: Vec<Output> = runs.into_iter().map(|c| c.wait_with_output().unwrap()).collect();
    let mut applied_by = 0;
    for out in &outputs {
        let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        if out.status.success() {
            let v: Json = serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}: {stdout}"));
            applied_by += v["applied"].as_array().unwrap().len();
        } else {
            assert!(stderr.contains("locked by another run") && stderr.contains("target `g`"), "{stderr}");
        }
    }
    assert_eq!(applied_by, 1, "{outputs:?}");
    assert_eq!(bookkeeping(&db), (1, 0));

    // A lock left behind (a crashed run) is reported, and --force-unlock clears it.
    exec(&db, "CREATE (:__NodestreamMigrationLock__ {lock: 'lock'})");
    write_migration(
        &p,
        "0002",
        &["0001"],
        "- {operation: DropNodeProperty, arguments: {node_type: Person, property_name: source}}\n",
    );
    p.cmd()
        .args(["migrations", "run", "--target", "g"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("locked by another run"));
    assert_eq!(states(&p, "g")[1], ("0002".into(), "pending".into()));
    p.cmd().args(["migrations", "run", "--target", "g", "--force-unlock"]).assert().success();
    assert_eq!(bookkeeping(&db), (2, 0));
}

async fn make_from_a_bolt_source_recreates_its_constraints_and_indexes(server: Server) {
    let (src, dst) = server.pair("mig_make").await;
    for text in [
        "CREATE CONSTRAINT person_email FOR (n:Person) REQUIRE n.email IS UNIQUE",
        "CREATE CONSTRAINT Movie_node_key FOR (n:Movie) REQUIRE (n.title, n.year) IS UNIQUE",
        "CREATE INDEX person_name FOR (n:Person) ON (n.name)",
        "CREATE INDEX acted_since FOR ()-[r:ACTED_IN]-() ON (r.since)",
        "CREATE (:Person {email: 'a@b', name: 'A', born: 1970})-[:ACTED_IN {since: 2000, roles: ['x']}]->(:Movie {title: 'T', year: 1999})",
    ] {
        exec(&src, text);
    }
    let p = project(&[("src", &src), ("dst", &dst)], 0);
    write_migration(
        &p,
        "0001",
        &[],
        "- {operation: CreateNodeType, arguments: {name: Other, keys: [], properties: []}}\n",
    );
    p.cmd().args(["migrations", "make", "--from", "src"]).assert().success();
    let written = std::fs::read_to_string(p.path("migrations/0002_schema_from_src.yaml")).unwrap();
    for part in ["name: Person", "- email", "- born", "field_name: name", "field_name: since", "- '0001'"] {
        assert!(written.contains(part), "{part} missing from\n{written}");
    }
    assert!(!written.contains("__Nodestream") && !written.contains("_graphferry"), "{written}");

    p.cmd().args(["migrations", "run", "--target", "dst"]).assert().success();
    let constraints = schema(&dst, "CONSTRAINTS");
    assert!(constraints.contains(&("Person_node_key".into(), json!(["email"]))), "{constraints:?}");
    assert!(constraints.contains(&("Movie_node_key".into(), json!(["title", "year"]))), "{constraints:?}");
    assert_eq!(
        schema(&dst, "INDEXES"),
        [
            ("ACTED_IN_since_additional_index".into(), json!(["since"])),
            ("Person_name_additional_index".into(), json!(["name"]))
        ]
    );
}
