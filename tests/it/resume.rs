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
    spawn_copy_between(p, "dump", "graph")
}

fn spawn_copy_between(p: &Project, source: &str, target: &str) -> Child {
    Command::new(assert_cmd::cargo::cargo_bin("graphferry"))
        .arg("--config")
        .arg(p.config())
        .args(["copy", "--source", source, "--target", target, "--all", "--batch-size", "200", "--concurrency", "2"])
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
    wait_for_progress_in(&checkpoint(p), child)
}

fn wait_for_progress_in(checkpoint: &Path, child: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(text) = std::fs::read_to_string(checkpoint) {
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
        .stdout(predicate::str::contains("the interrupted run it resumed had copied"));
    assert!(!checkpoint(&p).exists(), "a finished copy removes its checkpoint");
    assert_complete_without_duplicates(&database);
}

/// Create mode into a non-empty target is refused before anything is written: there is no
/// progress to resume, so no checkpoint is left to warn about on the next run.
#[test]
fn a_copy_refused_before_writing_leaves_no_checkpoint() {
    let database = fresh_database("resume_refused");
    let p = project(&database);
    cypher_http(&http_url(), &database, "CREATE (:Person {i: -1})");
    p.cmd()
        .args(["copy", "--source", "dump", "--target", "graph", "--all", "--mode", "create"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("already holds nodes labelled `Person`"));
    assert!(!checkpoint(&p).exists(), "a refused copy left a checkpoint");
    assert_eq!(count(&database, "MATCH (n:Person) RETURN count(n) AS c"), 1);
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
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("stopped (progress saved)") && !stdout.contains("FAILED"), "{stdout}");

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
    let fingerprint = |target_location: &str| {
        serde_json::json!({
            "version": 2,
            "fingerprint": {
                "source": "dump", "target": "graph",
                "source_location": format!("file {}", p.path("dump.jsonl").display()),
                "target_location": target_location,
                "labels": null, "relationship_types": null,
            },
            "nodes": {"acknowledged": 10, "after": null, "finished": false},
            "relationships": {"acknowledged": 0, "after": null, "finished": false},
        })
        .to_string()
    };
    let here = format!("{} database {database}", bolt_url());
    std::fs::write(checkpoint(&p), fingerprint(&here)).unwrap();
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
    // The same target name, pointing at another database than the checkpoint's.
    std::fs::write(checkpoint(&p), fingerprint(&format!("{} database elsewhere", bolt_url()))).unwrap();
    p.cmd()
        .args(["copy", "--source", "dump", "--target", "graph", "--all", "--resume"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(format!("target `graph` was {} database elsewhere, now {here}", bolt_url())));
    // A checkpoint of the old, count-based format cannot be resumed safely.
    std::fs::write(checkpoint(&p), r#"{"version":1,"nodes":{"acknowledged":10}}"#).unwrap();
    p.cmd()
        .args(["copy", "--source", "dump", "--target", "graph", "--all", "--resume"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("version 1 is not supported"));
    assert_eq!(count(&database, "MATCH (n) RETURN count(n) AS c"), 0, "nothing was written");
}

/// A copy out of a Bolt source resumes after the key it saved (not after a count of rows in an
/// order nobody promised) and ends with exactly the source's records.
#[test]
fn a_copy_out_of_bolt_killed_mid_way_resumes_after_its_token_and_ends_exact() {
    let (source_db, target_db) = (fresh_database("resume_bolt_src"), fresh_database("resume_bolt_dst"));
    let p = Project::new(&format!(
        "  dump:\n    database: file\n    path: dump.jsonl\n{}{}",
        target_yaml("src", &bolt_url(), &source_db),
        target_yaml("graph", &bolt_url(), &target_db)
    ));
    write_dump(&p.path("dump.jsonl"));
    p.cmd().args(["copy", "--source", "dump", "--target", "src", "--all"]).assert().success();

    let checkpoint = p.path(".graphferry/checkpoint-src-graph.json");
    let mut child = spawn_copy_between(&p, "src", "graph");
    wait_for_progress_in(&checkpoint, &mut child);
    child.kill().unwrap();
    child.wait().unwrap();
    let saved: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&checkpoint).unwrap()).unwrap();
    let token = &saved["nodes"]["after"];
    assert!(token["scan"].is_u64() && token["after"].is_i64(), "a Bolt token is a scan and a key: {saved}");

    p.cmd()
        .args(["copy", "--source", "src", "--target", "graph", "--all", "--resume", "--json"])
        .assert()
        .success()
        .stdout(predicate::str::contains("\"resumed\""));
    assert!(!checkpoint.exists(), "a finished copy removes its checkpoint");
    assert_complete_without_duplicates(&target_db);
    p.cmd().args(["verify", "--source", "src", "--target", "graph", "--full"]).assert().success();
}
