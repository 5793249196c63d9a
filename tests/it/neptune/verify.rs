//! `graphferry verify` against Neptune: a faithful copy verifies with its documented encodings
//! (not differences), and the test server's silent-loss switch is caught with exit code 1.

use predicates::prelude::*;
use serde_json::{json, Value as Json};

use super::server::TestServer;
use crate::support::{example_dump, Project};

fn project(server: &TestServer) -> Project {
    Project::new(&format!(
        "  src:\n    database: file\n    path: {}\n{}",
        example_dump().display(),
        server.target("np", false)
    ))
}

fn cmd(p: &Project, args: &[&str]) -> assert_cmd::assert::Assert {
    let mut cmd = p.cmd();
    cmd.args(args);
    for var in ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"] {
        cmd.env_remove(var);
    }
    cmd.env("AWS_SHARED_CREDENTIALS_FILE", p.path("none")).env("AWS_CONFIG_FILE", p.path("none"));
    cmd.assert()
}

/// The whole example graph, every documented encoding included (dates, durations, points,
/// bytes, maps, lists, NaN), must verify clean. (This test found the test server parsing JSON
/// doubles without exact round-tripping: some came back one ulp off.)
#[test]
fn a_copy_verifies_with_its_documented_encodings() {
    let server = TestServer::start("verify_ok", &[]);
    let p = project(&server);
    cmd(&p, &["copy", "--source", "src", "--target", "np", "--all", "--verify"])
        .success()
        .stdout(predicate::str::contains("everything matches"));
    cmd(&p, &["verify", "--source", "src", "--target", "np", "--full"])
        .success()
        .stdout(predicate::str::contains("Compared field by field: 336 nodes, 767 relationships; 0 difference(s)"));
}

/// Real Neptune throttles reads as well as writes: verify reads on through every fault a
/// retry can clear (counts, scans resumed from their last page, lookups), and finds the copy
/// whole.
#[test]
fn verify_reads_through_throttled_reads() {
    let server = TestServer::start("verify_429", &[]);
    let p = project(&server);
    cmd(&p, &["copy", "--source", "src", "--target", "np", "--all"]).success();
    server.set_faults(json!({"seed": 5, "rules": [{"kind": "too-many-requests", "every": 3, "reads": true}]}));
    cmd(&p, &["verify", "--source", "src", "--target", "np", "--full"])
        .success()
        .stdout(predicate::str::contains("Compared field by field: 336 nodes, 767 relationships; 0 difference(s)"));
    let faults = server.counters()["faults_injected"].as_u64().unwrap_or(0);
    assert!(faults > 0, "reads were throttled: {}", server.counters());
}

#[test]
fn silent_loss_is_caught_by_verify() {
    let server = TestServer::start("verify_loss", &[]);
    let p = project(&server);
    server.set_faults(json!({"seed": 1, "rules": [{"kind": "lose-half", "every": 3}]}));
    // Whatever the copy makes of a server that acknowledges writes it did not do, verify must
    // see the loss.
    let _ = cmd(&p, &["copy", "--source", "src", "--target", "np", "--all", "--max-attempts", "1"]);
    assert!(server.counters()["rows_lost"].as_u64().unwrap_or(0) > 0, "the switch lost rows: {}", server.counters());
    server.reset();
    let out = cmd(&p, &["verify", "--source", "src", "--target", "np", "--full", "--json"])
        .code(1)
        .get_output()
        .stdout
        .clone();
    let report: Json = serde_json::from_slice(&out).unwrap();
    assert_eq!(report["ok"], false);
    assert!(report["differences_found"].as_u64().unwrap() > 0, "{report}");
    assert!(report["differences"][0]["problem"].as_str().unwrap().contains("missing in the target"), "{report}");
}
