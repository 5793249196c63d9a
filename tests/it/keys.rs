//! Keyed nodes never collapse into one (issue 14, point 3): the migrations declare `email` as
//! the key of `Person`, and the Bolt source holds one Person with an email and two without it
//! (one never had the property, one was created with it null). Into Neptune (the test server)
//! and into Bolt alike, the copy fails naming the label, the key and the source id, with exit 1
//! and its progress saved; resumed with `--missing-key source-id`, the two land as two nodes
//! identified by their source ids, and `verify --full` finds every record.

use predicates::prelude::*;
use serde_json::Value as Json;

use crate::bolt::server::{bolt_url, cypher_http, fresh_database, http_url, target_yaml};
use crate::neptune::server::TestServer;
use crate::support::Project;

const MIGRATION: &str = "name: '0001'\ndependencies: []\noperations:\n\
    - {operation: CreateNodeType, arguments: {name: Person, keys: [email], properties: [name]}}\n";

/// A Bolt source `src` holding the three Persons (read in this order, one a batch) and a
/// relationship between the two without an email, plus `targets` and the migration.
fn project(targets: &str) -> (Project, String) {
    let src = fresh_database("keys_src");
    cypher_http(&http_url(), &src, "CREATE (:Person {name: 'keyed', email: 'k@example.org'})");
    cypher_http(&http_url(), &src, "CREATE (:Person {name: 'no email'})");
    cypher_http(&http_url(), &src, "CREATE (:Person {name: 'null email', email: null})");
    cypher_http(
        &http_url(),
        &src,
        "MATCH (a:Person {name: 'no email'}), (b:Person {name: 'null email'}) CREATE (a)-[:KNOWS]->(b)",
    );
    let p = Project::new(&(target_yaml("src", &bolt_url(), &src) + targets));
    std::fs::create_dir(p.path("migrations")).unwrap();
    std::fs::write(p.path("migrations/0001.yaml"), MIGRATION).unwrap();
    (p, src)
}

/// The source id (element id) of the source's Person called `name`.
fn source_id(db: &str, name: &str) -> String {
    let v: Json =
        serde_json::from_str(&cypher_http(&http_url(), db, &format!("MATCH (n {{name: '{name}'}}) RETURN n"))).unwrap();
    v["result"][0]["@rid"].as_str().unwrap_or_else(|| panic!("no @rid in {v}")).to_string()
}

fn copy(p: &Project, extra: &[&str]) -> assert_cmd::assert::Assert {
    p.cmd()
        .args(["copy", "--source", "src", "--target", "dst", "--all", "--batch-size", "1", "--concurrency", "1"])
        .args(extra)
        .env_remove("AWS_ACCESS_KEY_ID")
        .assert()
}

/// The first copy fails on the first node without an email, after the keyed one landed, and
/// saves its progress; the resumed copy with the fallback finishes; verify agrees.
fn fail_then_resume_with_the_fallback(p: &Project, src: &str) {
    let missing = source_id(src, "no email");
    copy(p, &[])
        .code(1)
        .stderr(
            predicate::str::contains(format!("label Person; first source id `{missing}`"))
                .and(predicate::str::contains("has no value for `email`, a key of label `Person`"))
                .and(predicate::str::contains("--missing-key source-id")),
        )
        .stdout(
            predicate::str::contains("Progress was saved to").and(predicate::str::contains("--resume to continue")),
        );
    assert!(p.path(".graphferry").read_dir().is_ok_and(|mut d| d.next().is_some()), "no checkpoint saved");
    copy(p, &["--resume", "--missing-key", "source-id"]).success();
    p.cmd()
        .args(["verify", "--source", "src", "--target", "dst", "--full"])
        .env_remove("AWS_ACCESS_KEY_ID")
        .assert()
        .success();
}

#[test]
fn bolt_to_neptune_refuses_a_keyed_node_without_its_key_unless_the_source_id_is_chosen() {
    let server = TestServer::start("keys_missing", &[]);
    let (p, src) = project(&server.target("dst", false));
    fail_then_resume_with_the_fallback(&p, &src);
    let ids: Vec<String> = server
        .query("MATCH (n:Person) RETURN id(n) AS id")
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    let mut want =
        vec!["Person_email:k@example.org".to_string(), source_id(&src, "no email"), source_id(&src, "null email")];
    let mut ids = ids;
    ids.sort();
    want.sort();
    assert_eq!(ids, want, "three Persons, the two without an email by their source ids");
    assert_eq!(server.count("MATCH ()-[r:KNOWS]->() RETURN count(r) AS c"), 1);
}

#[test]
fn bolt_to_bolt_refuses_a_keyed_node_without_its_key_unless_the_source_id_is_chosen() {
    let dst = fresh_database("keys_dst");
    let (p, src) = project(&target_yaml("dst", &bolt_url(), &dst));
    fail_then_resume_with_the_fallback(&p, &src);
    let v: Json = serde_json::from_str(&cypher_http(
        &http_url(),
        &dst,
        "MATCH (n:Person) RETURN n.name AS name, n._graphferry_id AS id ORDER BY name",
    ))
    .unwrap();
    let got: Vec<(String, String)> = v["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["name"].as_str().unwrap().to_string(), r["id"].as_str().unwrap().to_string()))
        .collect();
    let want: Vec<(String, String)> =
        ["keyed", "no email", "null email"].iter().map(|n| (n.to_string(), source_id(&src, n))).collect();
    assert_eq!(got, want, "three Persons, each once");
    let v: Json =
        serde_json::from_str(&cypher_http(&http_url(), &dst, "MATCH ()-[r:KNOWS]->() RETURN count(r) AS c")).unwrap();
    assert_eq!(v["result"][0]["c"], 1);

    // A second run with the fallback changes nothing: the two are found by their source ids.
    copy(&p, &["--missing-key", "source-id"]).success();
    let v: Json =
        serde_json::from_str(&cypher_http(&http_url(), &dst, "MATCH (n:Person) RETURN count(n) AS c")).unwrap();
    assert_eq!(v["result"][0]["c"], 3, "a re-run creates nothing");
}
