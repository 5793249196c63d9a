//! A PostgreSQL → Bolt copy killed with SIGKILL mid-way and resumed ends with exactly the rows:
//! the checkpoint's token is the last primary key read, and the resumed read starts after it,
//! comparing in the key's own type (`char(6)` here: cast to `character` alone, the resumed read
//! would start after its first character and read rows again).

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use predicates::prelude::*;

use super::server::{execute, Database};
use crate::bolt::server::{bolt_url, cypher_http, fresh_database, http_url, target_yaml};
use crate::support::Project;

const PEOPLE: u64 = 20_000;

fn count(database: &str, query: &str) -> u64 {
    let out = cypher_http(&http_url(), database, query);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    v["result"][0]["c"].as_u64().unwrap_or_else(|| panic!("no count in {out}"))
}

#[test]
fn a_copy_out_of_postgres_killed_mid_way_resumes_and_ends_exact() {
    let db = Database::with("resume", &[]);
    execute(
        &db.url(),
        &format!(
            "CREATE TABLE people (id char(6) PRIMARY KEY, name text NOT NULL);
             INSERT INTO people SELECT lpad(i::text, 6, '0'), 'person ' || i FROM generate_series(1, {PEOPLE}) i;
             CREATE TABLE follows (follower char(6) REFERENCES people, followee char(6) REFERENCES people,
                                   PRIMARY KEY (follower, followee));
             INSERT INTO follows SELECT lpad(i::text, 6, '0'), lpad((i % {PEOPLE} + 1)::text, 6, '0')
             FROM generate_series(1, {PEOPLE}) i;"
        ),
    );
    let graph = fresh_database("pg_resume");
    let p = Project::new(&format!("{}{}", db.target("pg", ""), target_yaml("graph", &bolt_url(), &graph)));
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("graphferry"))
        .arg("--config")
        .arg(p.config())
        .args(["copy", "--source", "pg", "--target", "graph", "--all", "--batch-size", "200", "--concurrency", "2"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let checkpoint = p.path(".graphferry/checkpoint-pg-graph.json");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let text = std::fs::read_to_string(&checkpoint).unwrap_or_default();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        if v["nodes"]["acknowledged"].as_u64().unwrap_or(0) > 0 {
            break;
        }
        assert!(child.try_wait().unwrap().is_none(), "the copy ended before it could be killed");
        assert!(Instant::now() < deadline, "no checkpoint progress within 60 s");
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let landed = count(&graph, "MATCH (n:Person) RETURN count(n) AS c");
    assert!(landed < PEOPLE, "the kill came too late to test anything ({landed} nodes landed)");

    p.cmd()
        .args(["copy", "--source", "pg", "--target", "graph", "--all", "--resume"])
        .assert()
        .success()
        .stdout(predicate::str::contains("the interrupted run it resumed had copied"));
    assert_eq!(count(&graph, "MATCH (n:Person) RETURN count(n) AS c"), PEOPLE);
    assert_eq!(count(&graph, "MATCH (n:Person) RETURN count(DISTINCT n._graphferry_id) AS c"), PEOPLE);
    assert_eq!(count(&graph, "MATCH ()-[r:FOLLOW]->() RETURN count(r) AS c"), PEOPLE);
    assert_eq!(count(&graph, "MATCH ()-[r:FOLLOW]->() RETURN count(DISTINCT r._graphferry_id) AS c"), PEOPLE);
    p.cmd().args(["verify", "--source", "pg", "--target", "graph"]).assert().success();
}
