//! Resumable copies against the real Bolt server: a copy killed with SIGKILL or stopped with
//! Ctrl-C resumes from its checkpoint and ends with exactly the source's records, no duplicates.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use graphferry::connector::file::DumpWriter;
use graphferry::model::{Node, Relationship, Value};
use predicates::prelude::*;

use crate::bolt::server::{bolt_url, cypher_http, fresh_database, http_url, target_yaml};
use crate::support::Project;

const NODES: u64 = 20_000;
const RELS: u64 = 20_000;

/// A dump of `NODES` people and `RELS` KNOWS relationships (parallel ones included).
fn write_dump(path: &Path) {
    let mut w = DumpWriter::create(path).unwrap();
    let nodes: Vec<Node> = (0..NODES)
        .map(|i| Node {
            id: format!("n{i}"),
            labels: vec!["Person".into()],
            properties: [("i".to_string(), Value::Int(i as i64))].into(),
        })
        .collect();
    w.write_nodes(&nodes).unwrap();
    let rels: Vec<Relationship> = (0..RELS)
        .map(|i| Relationship {
            id: format!("r{i}"),
            rel_type: "KNOWS".into(),
            start: format!("n{}", i % NODES),
            end: format!("n{}", (i / 2) % NODES), // pairs of parallel relationships
            properties: Default::default(),
        })
        .collect();
    w.write_relationships(&rels).unwrap();
    w.finish().unwrap();
}

fn project(database: &str) -> Project {
    let p = Project::new(&format!(
        "  dump:\n    database: file\n    path: dump.jsonl\n{}",
        target_yaml("graph", &bolt_url(), database)
    ));
    write_dump(&p.path("dump.jsonl"));
    p
}

fn spawn_copy(p: &Project) -> Child {
    Command::new(assert_cmd::cargo::cargo_bin("graphferry"))
        .arg("--config")
        .arg(p.config())
        .args(["copy", "--source", "dump", "--target", "graph", "--all", "--batch-size", "200", "--concurrency", "2"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn checkpoint(p: &Project) -> std::path::PathBuf {
    p.path(".graphferry/checkpoint-dump-graph.json")
}

/// Waits until the copy has saved progress past its first batches, then returns.
fn wait_for_progress(p: &Project, child: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(text) = std::fs::read_to_string(checkpoint(p)) {
            let v: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
            if v["nodes"]["acknowledged"].as_u64().unwrap_or(0) > 0 {
                return;
            }
        }
        assert!(child.try_wait().unwrap().is_none(), "the copy ended before it could be interrupted");
        assert!(Instant::now() < deadline, "no checkpoint progress within 60 s");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn count(database: &str, query: &str) -> u64 {
    let out = cypher_http(&http_url(), database, query);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    v["result"][0]["c"].as_u64().unwrap_or_else(|| panic!("no count in {out}"))
}

fn assert_complete_without_duplicates(database: &str) {
    assert_eq!(count(database, "MATCH (n:Person) RETURN count(n) AS c"), NODES);
    assert_eq!(count(database, "MATCH (n:Person) RETURN count(DISTINCT n._graphferry_id) AS c"), NODES);
    assert_eq!(count(database, "MATCH ()-[r:KNOWS]->() RETURN count(r) AS c"), RELS);
    assert_eq!(count(database, "MATCH ()-[r:KNOWS]->() RETURN count(DISTINCT r._graphferry_id) AS c"), RELS);
}

#[test]
fn sigkill_mid_copy_then_resume_ends_identical_with_no_duplicates() {
    let database = fresh_database("resume_kill");
    let p = project(&database);
    let mut child = spawn_copy(&p);
    wait_for_progress(&p, &mut child);
    child.kill().unwrap(); // SIGKILL: no chance to save anything more
    child.wait().unwrap();
    assert!(checkpoint(&p).exists());

    p.cmd()
        .args(["copy", "--source", "dump", "--target", "graph", "--all", "--resume", "--concurrency", "1"])
        .assert()
        .success()
        .stdout(predicate::str::contains("copied by the interrupted run"));
    assert!(!checkpoint(&p).exists(), "a finished copy removes its checkpoint");
    assert_complete_without_duplicates(&database);
}

#[test]
fn ctrl_c_saves_progress_exits_130_and_resumes() {
    let database = fresh_database("resume_sigint");
    let p = project(&database);
    let mut child = spawn_copy(&p);
    wait_for_progress(&p, &mut child);
    let pid = child.id().to_string();
    assert!(Command::new("kill").args(["-INT", &pid]).status().unwrap().success());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("--resume"), "{stderr}");

    p.cmd()
        .args(["copy", "--source", "dump", "--target", "graph", "--all", "--resume", "--concurrency", "1"])
        .assert()
        .success();
    assert_complete_without_duplicates(&database);
}

#[test]
fn a_checkpoint_is_refused_for_another_selection_and_create_mode() {
    let database = fresh_database("resume_refuse");
    let p = project(&database);
    std::fs::create_dir_all(p.path(".graphferry")).unwrap();
    let checkpoint_text = r#"{"version":1,"fingerprint":{"source":"dump","target":"graph","labels":null,"relationship_types":null},"nodes":{"acknowledged":10,"finished":false},"relationships":{"acknowledged":0,"finished":false}}"#;
    std::fs::write(checkpoint(&p), checkpoint_text).unwrap();
    p.cmd()
        .args(["copy", "--source", "dump", "--target", "graph", "--node", "Person", "--resume"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("belongs to another copy").and(predicate::str::contains("--all")));
    p.cmd()
        .args(["copy", "--source", "dump", "--target", "graph", "--all", "--resume", "--checkpoint", "elsewhere.json"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("no checkpoint at"));
    p.cmd()
        .args(["copy", "--source", "dump", "--target", "graph", "--all", "--resume", "--mode", "create"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--resume always merges"));
    assert_eq!(count(&database, "MATCH (n) RETURN count(n) AS c"), 0, "nothing was written");
}
