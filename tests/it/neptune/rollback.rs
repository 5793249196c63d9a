//! `graphferry rollback` on the Neptune-protocol test server, judged by reading the backing
//! ArcadeDB database directly (not through graphferry or the server under test): a copy into an
//! overlapping graph (records updated and created, parallel relationships) and a copy that
//! failed half-way are each undone exactly.

use serde_json::Value as Json;

use super::server::{engine, TestServer};
use crate::bolt::rollback::dump;
use crate::support::Project;

/// Every node and relationship with its `~id`, labels or type, endpoints and properties.
fn snapshot(server: &TestServer) -> (Vec<Json>, Vec<Json>) {
    let nodes = engine(
        &server.database,
        "MATCH (n:NeptuneNode) RETURN n.`~id` AS id, labels(n) AS l, properties(n) AS p ORDER BY id",
    );
    let rels = engine(
        &server.database,
        "MATCH (a)-[r:NeptuneRel]->(b) RETURN r.`~id` AS id, type(r) AS t, a.`~id` AS s, b.`~id` AS e, \
         properties(r) AS p ORDER BY id",
    );
    (nodes, rels)
}

fn copy(p: &Project, source: &str) -> assert_cmd::assert::Assert {
    p.cmd().args(["copy", "--source", source, "--target", "np", "--all", "--max-attempts", "1"]).assert()
}

#[test]
fn a_rollback_restores_an_overlapping_graph_and_undoes_a_failed_copy() {
    rollback_restores_and_undoes(false);
}

/// Neptune Analytics: relationship ids are the server's, and the copy's source id travels in a
/// property, which the journal and the rollback must find relationships by.
#[test]
fn on_neptune_analytics_too() {
    rollback_restores_and_undoes(true);
}

fn rollback_restores_and_undoes(analytics: bool) {
    let server = if analytics {
        TestServer::start("rollback_analytics", &["--mode", "analytics"])
    } else {
        TestServer::start("rollback", &[])
    };
    let mut yaml = server.target("np", analytics);
    for name in ["first", "second", "broken"] {
        yaml.push_str(&format!("  {name}:\n    database: file\n    path: {name}.jsonl\n"));
    }
    let p = Project::new(&yaml);
    let write = |name: &str, text: String| std::fs::write(p.path(&format!("{name}.jsonl")), text).unwrap();
    write(
        "first",
        dump(
            &[("a", &["P"], r#"{"v":1,"keep":"yes"}"#), ("b", &["P"], r#"{"v":1}"#), ("c", &["Q"], r#"{}"#)],
            &[
                ("r1", "KNOWS", "a", "b", r#"{"w":1}"#),
                ("r2", "KNOWS", "a", "b", r#"{"w":1}"#),
                ("r3", "LIKES", "b", "c", r#"{}"#),
            ],
        ),
    );
    // Neptune never relabels a node (the MERGE names every label), so only properties change.
    write(
        "second",
        dump(
            &[
                ("a", &["P"], r#"{"v":2}"#),
                ("b", &["P"], r#"{"x":"new"}"#),
                ("d", &["P"], r#"{"v":9}"#),
                ("e", &["R"], r#"{}"#),
            ],
            &[
                ("r1", "KNOWS", "a", "b", r#"{"w":2,"more":true}"#),
                ("r4", "KNOWS", "a", "b", r#"{"w":1}"#),
                ("r5", "LIKES", "d", "e", r#"{}"#),
                ("r6", "KNOWS", "a", "d", r#"{}"#),
            ],
        ),
    );
    write(
        "broken",
        dump(
            &[("a", &["P"], r#"{"v":3}"#), ("f", &["P"], r#"{}"#)],
            &[
                ("r1", "KNOWS", "a", "b", r#"{"w":3}"#),
                ("r7", "KNOWS", "a", "f", r#"{}"#),
                ("r8", "KNOWS", "a", "missing", r#"{}"#),
            ],
        ),
    );
    copy(&p, "first").success();
    let before = snapshot(&server);
    assert_eq!(before.0.len(), 3, "{before:?}");

    copy(&p, "second").success();
    assert_ne!(snapshot(&server), before, "the copy changed the target");
    p.cmd().args(["--json", "rollback", "--target", "np", "--dry-run"]).assert().success().stdout(
        predicates::str::contains(
            r#""plan":{"created":{"nodes":2,"relationships":3},"updated":{"nodes":2,"relationships":1}}"#,
        ),
    );
    p.cmd().args(["rollback", "--target", "np", "--batch-size", "2"]).assert().success();
    assert_eq!(snapshot(&server), before, "rolled back exactly");

    // A copy that fails half-way: its nodes and first relationships landed.
    copy(&p, "broken").code(1);
    assert_ne!(snapshot(&server), before, "half the copy landed");
    p.cmd().args(["rollback", "--target", "np"]).assert().success();
    assert_eq!(snapshot(&server), before, "the failed copy rolled back exactly");
    p.cmd()
        .args(["rollback", "--target", "np"])
        .assert()
        .success()
        .stdout(predicates::str::contains("was rolled back already"));
}
