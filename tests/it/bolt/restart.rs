//! Fault tests of a file → Bolt copy (issue 7): the Bolt server is killed mid-copy and restarted
//! on the same data, and `copy --resume` finishes the copy with nothing lost and nothing
//! duplicated; bad credentials and an unreachable host fail fast with a clear message.
//!
//! The restart runs on a private ArcadeDB (see `server_kill`), never the shared one.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::server::{bolt_url, cypher_http, password, target_yaml};
use super::server_kill::Private;
use crate::support::Project;

/// Nodes in the generated dump, and as many relationships (a ring).
const N: u64 = 40_000;

/// A dump of `N` `Item` nodes and a ring of `N` `NEXT` relationships.
fn ring_dump(path: &std::path::Path) {
    let mut out = String::from("{\"kind\":\"header\",\"format\":\"graphferry-dump\",\"version\":1}\n");
    for i in 0..N {
        out.push_str(&format!(
            "{{\"kind\":\"node\",\"id\":\"n{i}\",\"labels\":[\"Item\"],\"properties\":{{\"i\":{i},\"s\":\"item {i}\"}}}}\n"
        ));
    }
    for i in 0..N {
        out.push_str(&format!(
            "{{\"kind\":\"relationship\",\"id\":\"r{i}\",\"type\":\"NEXT\",\"start\":\"n{i}\",\"end\":\"n{}\",\"properties\":{{\"w\":{i}}}}}\n",
            (i + 1) % N
        ));
    }
    out.push_str(&format!(
        "{{\"kind\":\"end\",\"nodes\":{N},\"relationships\":{N},\"node_labels\":{{\"Item\":{N}}},\"relationship_types\":{{\"NEXT\":{N}}}}}\n"
    ));
    std::fs::write(path, out).unwrap();
}

fn single_number(body: &str, column: &str) -> u64 {
    let v: serde_json::Value = serde_json::from_str(body).unwrap();
    v["result"][0][column].as_u64().unwrap_or_else(|| panic!("no `{column}` in {body}"))
}

#[test]
fn a_copy_interrupted_by_a_server_restart_resumes_and_verifies_without_duplicates() {
    let data = tempfile::tempdir().unwrap();
    let mut server = Private::start(data.path().join("arcadedb"));
    let p = Project::new(&format!(
        "  dump:\n    database: file\n    path: ring.jsonl\n{}",
        target_yaml("dst", &server.bolt, "target")
    ));
    ring_dump(&p.path("ring.jsonl"));

    let copy = |extra: &[&str]| {
        let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("graphferry"));
        cmd.arg("--config").arg(p.config()).current_dir(p.path(""));
        cmd.args(["copy", "--source", "dump", "--target", "dst", "--all", "--batch-size", "500"]).args(extra);
        cmd
    };
    let mut running = copy(&["--concurrency", "2"]).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    // Kill once a few batches were acknowledged, so there is progress to resume from.
    let deadline = Instant::now() + Duration::from_secs(90);
    while server.count("target") < 2_000 {
        assert!(running.try_wait().unwrap().is_none(), "the copy ended before the server was killed");
        assert!(Instant::now() < deadline, "the copy wrote too little in 90 s");
        std::thread::sleep(Duration::from_millis(50));
    }
    server.kill();
    let killed = Instant::now();
    let status = loop {
        if let Some(status) = running.try_wait().unwrap() {
            break status;
        }
        if killed.elapsed() > Duration::from_secs(120) {
            let _ = running.kill();
            panic!("graphferry still running 120 s after the server was killed");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let out = running.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!status.success(), "the copy succeeded although the server died");
    assert!(stderr.contains("Neo4j target `dst`"), "the error does not name the target: {stderr}");
    eprintln!("exited {:.1} s after the kill", killed.elapsed().as_secs_f64());
    let checkpoint = p.path(".graphferry/checkpoint-dump-dst.json");
    assert!(checkpoint.exists(), "no checkpoint at {} after the failure", checkpoint.display());

    server.launch();
    // One writer: ArcadeDB's writers into one type collide (DeadlockDetected) often enough under a
    // loaded CI machine to exhaust a batch's retries; this test is about the restart.
    let resumed = copy(&["--resume", "--concurrency", "1"]).output().unwrap();
    assert!(resumed.status.success(), "--resume failed: {}", String::from_utf8_lossy(&resumed.stderr));
    assert!(!checkpoint.exists(), "a finished copy leaves no checkpoint");

    let verify = Command::new(assert_cmd::cargo::cargo_bin("graphferry"))
        .arg("--config")
        .arg(p.config())
        .args(["verify", "--source", "dump", "--target", "dst", "--sample", "2000"])
        .output()
        .unwrap();
    assert!(verify.status.success(), "verify failed: {}", String::from_utf8_lossy(&verify.stdout));

    // No duplicates: every node and relationship holds a source id of its own.
    let nodes =
        cypher_http(&server.http, "target", "MATCH (n) RETURN count(n) AS c, count(DISTINCT n.`_graphferry_id`) AS d");
    assert_eq!((single_number(&nodes, "c"), single_number(&nodes, "d")), (N, N), "{nodes}");
    let rels = cypher_http(
        &server.http,
        "target",
        "MATCH ()-[r]->() RETURN count(r) AS c, count(DISTINCT r.`_graphferry_id`) AS d",
    );
    assert_eq!((single_number(&rels, "c"), single_number(&rels, "d")), (N, N), "{rels}");
}

/// A target with `uri` and `password`, short timeouts, and the example dump as source.
fn bad_target(uri: &str, wrong_or_right: &str) -> Project {
    let yaml = target_yaml("dst", uri, "target").replace(&format!("    password: {}\n", password()), "");
    Project::new(&format!(
        "  dump:\n    database: file\n    path: {}\n{yaml}    password: {wrong_or_right}\n",
        crate::support::example_dump().display()
    ))
}

fn fails_fast_naming_the_target(p: &Project, why: &[&str]) {
    let started = Instant::now();
    let out = p.cmd().args(["copy", "--source", "dump", "--target", "dst", "--all"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(started.elapsed() < Duration::from_secs(30), "took {:?}: {stderr}", started.elapsed());
    assert!(stderr.contains("dst"), "{stderr}");
    assert!(why.iter().any(|w| stderr.to_lowercase().contains(w)), "no {why:?} in: {stderr}");

    let out = p.cmd().args(["targets", "--check"]).output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(!out.status.success(), "targets --check passed a broken target: {text}");
    assert!(text.contains("dst") && text.contains("failed the check"), "{text}");
    assert!(!text.contains(&password()), "the password was printed: {text}");
}

#[test]
fn a_wrong_password_fails_fast_with_a_clear_error() {
    let p = bad_target(&bolt_url(), "not-the-password");
    fails_fast_naming_the_target(&p, &["auth", "password", "credentials"]);
}

#[test]
fn an_unreachable_host_fails_fast_with_a_clear_error() {
    let p = bad_target("bolt://127.0.0.1:1", &password());
    fails_fast_naming_the_target(&p, &["connect", "refused", "unreachable"]);
}
