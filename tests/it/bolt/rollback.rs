//! `graphferry rollback` against the real Bolt servers, judged by the independent reader
//! (tests/it/py/read_graph.py): a copy into a target already holding an overlapping graph
//! (records updated, records created, parallel relationships) is undone exactly, also when the
//! copy failed half-way and when the rollback itself was stopped abruptly and run again; and each
//! refusal refuses.

use serde_json::Value as Json;

use super::finalize::read_independently;
use super::server::{Db, Server};
use crate::support::{event, Project};

crate::on_every_server!(
    a_rollback_restores_an_overlapping_graph_exactly_even_when_interrupted,
    a_failed_copy_is_rolled_back_too,
    rollback_refuses_what_it_cannot_undo_safely,
    finalize_makes_the_runs_on_a_target_unrollbackable,
    a_resumed_copy_continues_its_run_and_rolls_back_whole,
    nodes_found_by_their_migration_keys_are_restored_and_created_ones_deleted,
);

/// A dump of `nodes` (id, labels, properties as JSON text) and `rels` (id, type, start, end,
/// properties), with the end line's counts.
pub(crate) fn dump(nodes: &[(&str, &[&str], &str)], rels: &[(&str, &str, &str, &str, &str)]) -> String {
    let mut out = String::from("{\"kind\":\"header\",\"format\":\"graphferry-dump\",\"version\":1}\n");
    let mut labels = std::collections::BTreeMap::<String, u64>::new();
    let mut types = std::collections::BTreeMap::<String, u64>::new();
    for (id, ls, props) in nodes {
        for l in *ls {
            *labels.entry(l.to_string()).or_default() += 1;
        }
        let ls = serde_json::to_string(ls).unwrap();
        out.push_str(&format!("{{\"kind\":\"node\",\"id\":\"{id}\",\"labels\":{ls},\"properties\":{props}}}\n"));
    }
    for (id, t, s, e, props) in rels {
        *types.entry(t.to_string()).or_default() += 1;
        out.push_str(&format!(
            "{{\"kind\":\"relationship\",\"id\":\"{id}\",\"type\":\"{t}\",\"start\":\"{s}\",\"end\":\"{e}\",\"properties\":{props}}}\n"
        ));
    }
    out.push_str(
        &serde_json::json!({"kind": "end", "nodes": nodes.len(), "relationships": rels.len(), "node_labels": labels, "relationship_types": types})
            .to_string(),
    );
    out.push('\n');
    out
}

/// The graph there before: graphferry wrote it (run 1), and someone else added to it.
fn first() -> String {
    dump(
        &[("a", &["P"], r#"{"v":1,"keep":"yes"}"#), ("b", &["P"], r#"{"v":1}"#), ("c", &["Q"], r#"{}"#)],
        &[
            ("r1", "KNOWS", "a", "b", r#"{"w":1}"#),
            ("r2", "KNOWS", "a", "b", r#"{"w":1}"#),
            ("r3", "LIKES", "b", "c", r#"{}"#),
        ],
    )
}

/// The copy to undo: updates a (a property changed, a label added) and b (a property added)
/// and r1, creates d and e, a relationship parallel to r1 and r2, and three more.
fn second() -> String {
    dump(
        &[
            ("a", &["P", "Extra"], r#"{"v":2}"#),
            ("b", &["P"], r#"{"v":1,"x":"new"}"#),
            ("d", &["P"], r#"{"v":9}"#),
            ("e", &["R"], r#"{}"#),
        ],
        &[
            ("r1", "KNOWS", "a", "b", r#"{"w":2,"more":true}"#),
            ("r4", "KNOWS", "a", "b", r#"{"w":1}"#),
            ("r5", "LIKES", "d", "e", r#"{}"#),
            ("r6", "KNOWS", "a", "d", r#"{}"#),
            // The source re-pointed r3: the copy creates it anew between d and e, and the old
            // one (b to c) stays, which the rollback must keep.
            ("r3", "LIKES", "d", "e", r#"{"moved":true}"#),
        ],
    )
}

fn project(dst: &Db) -> Project {
    let mut yaml = dst.yaml("dst");
    for name in ["first", "second", "broken"] {
        yaml.push_str(&format!("  {name}:\n    database: file\n    path: {name}.jsonl\n"));
    }
    yaml.push_str("  out:\n    database: file\n    path: out.jsonl\n");
    let p = Project::new(&yaml);
    std::fs::write(p.path("first.jsonl"), first()).unwrap();
    std::fs::write(p.path("second.jsonl"), second()).unwrap();
    p
}

/// Copies `source` into `dst`; returns the run id the summary names.
fn copy(p: &Project, source: &str) -> String {
    let out = p.cmd().args(["--json", "copy", "--source", source, "--target", "dst", "--all"]).assert().success();
    let summary = event(&out.get_output().stdout, "summary");
    summary["run"].as_str().unwrap_or_else(|| panic!("no run id in {summary}")).to_string()
}

/// The target with run 1 and someone else's additions.
async fn overlapping(dst: &Db, p: &Project) -> String {
    let run = copy(p, "first");
    dst.run("CREATE (o:Outside {name: 'o'})").await;
    dst.run("MATCH (o:Outside), (a:P {v: 1, keep: 'yes'}) CREATE (o)-[:SEES {since: 1}]->(a)").await;
    run
}

/// Records, labels and types as the independent reader sees them.
fn assert_same(before: &Json, after: &Json, what: &str) {
    for part in ["nodes", "relationships", "labels_in_use", "relationship_types"] {
        assert_eq!(
            serde_json::to_string_pretty(&before[part]).unwrap(),
            serde_json::to_string_pretty(&after[part]).unwrap(),
            "{what}: `{part}` differ"
        );
    }
}

fn runs(p: &Project) -> Vec<Json> {
    let out = p.cmd().args(["--json", "runs", "--target", "dst"]).assert().success();
    String::from_utf8_lossy(&out.get_output().stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

async fn a_rollback_restores_an_overlapping_graph_exactly_even_when_interrupted(server: Server) {
    let dst = server.database("rb").await;
    let p = project(&dst);
    let first_run = overlapping(&dst, &p).await;
    let before = read_independently(&dst);
    let run = copy(&p, "second");
    assert!(run > first_run, "run ids sort by start: {first_run} {run}");
    assert_ne!(before["nodes"], read_independently(&dst)["nodes"], "the copy changed the target");

    let out = p.cmd().args(["--json", "rollback", "--target", "dst", "--run", &run, "--dry-run"]).assert().success();
    let plan = event(&out.get_output().stdout, "rollback");
    assert_eq!(
        plan["plan"],
        serde_json::json!({"created": {"nodes": 2, "relationships": 4}, "updated": {"nodes": 2, "relationships": 1}}),
        "{plan}"
    );
    assert_ne!(before["nodes"], read_independently(&dst)["nodes"], "a dry run changes nothing");

    // Killed (SIGKILL) after its second batch, then run again: it converges.
    let killed = p
        .cmd()
        .args(["rollback", "--target", "dst", "--run", &run, "--batch-size", "1"])
        .env("GRAPHFERRY_TEST_ROLLBACK_EXIT_AFTER", "2")
        .assert()
        .failure();
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(killed.get_output().status.signal(), Some(9), "killed by SIGKILL: {:?}", killed.get_output().status);
    let listed = runs(&p);
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert_eq!(listed[1]["state"], "rolling_back", "{listed:?}");
    let out = p.cmd().args(["--json", "rollback", "--target", "dst", "--batch-size", "2"]).assert().success();
    let summary = event(&out.get_output().stdout, "rollback");
    assert_eq!(summary["run"], run.as_str(), "the latest run by default: {summary}");
    assert_same(&before, &read_independently(&dst), "after the rollback");

    // Idempotent: a second rollback has nothing to do.
    p.cmd()
        .args(["rollback", "--target", "dst", "--run", &run])
        .assert()
        .success()
        .stdout(predicates::str::contains(format!("run {run} was rolled back already")));
    assert_same(&before, &read_independently(&dst), "after a second rollback");
    let listed = runs(&p);
    assert_eq!(listed[0]["state"], "finished");
    assert_eq!(listed[1]["state"], "rolled_back");
    assert_eq!(listed[0]["ids_only"], true, "run 1 went into an empty target: {:?}", listed[0]);
    assert_eq!(listed[1]["ids_only"], false);
}

async fn a_failed_copy_is_rolled_back_too(server: Server) {
    let dst = server.database("rbf").await;
    let p = project(&dst);
    overlapping(&dst, &p).await;
    let before = read_independently(&dst);
    // Updates a and r1, creates f and r7, then fails on a relationship to a node nowhere.
    let broken = dump(
        &[("a", &["P"], r#"{"v":3}"#), ("f", &["P"], r#"{}"#)],
        &[
            ("r1", "KNOWS", "a", "b", r#"{"w":3}"#),
            ("r7", "KNOWS", "a", "f", r#"{}"#),
            ("r8", "KNOWS", "a", "missing", r#"{}"#),
        ],
    );
    std::fs::write(p.path("broken.jsonl"), broken).unwrap();
    p.cmd().args(["copy", "--source", "broken", "--target", "dst", "--all", "--batch-size", "1"]).assert().code(1);
    let checkpoint = p.path(".graphferry/checkpoint-broken-dst.json");
    assert!(checkpoint.exists(), "the failed copy left its checkpoint");
    let listed = runs(&p);
    assert_eq!(listed[1]["state"], "failed", "{listed:?}");
    assert_ne!(before["relationships"], read_independently(&dst)["relationships"], "half the copy landed");
    // Its resume cannot drop the journal half-way: the rollback would undo half the run.
    p.cmd()
        .args(["copy", "--source", "broken", "--target", "dst", "--all", "--resume", "--no-journal"])
        .assert()
        .code(1)
        .stderr(predicates::str::contains("keeps a rollback journal; resume it without --no-journal"));

    p.cmd()
        .args(["rollback", "--target", "dst"])
        .assert()
        .success()
        .stdout(predicates::str::contains("Rolled back run"));
    assert_same(&before, &read_independently(&dst), "after rolling back a failed copy");
    assert!(!checkpoint.exists(), "resuming an undone run would skip what it wrote: its checkpoint is gone");
}

async fn a_resumed_copy_continues_its_run_and_rolls_back_whole(server: Server) {
    let dst = server.database("rbs").await;
    let p = project(&dst);
    overlapping(&dst, &p).await;
    let before = read_independently(&dst);
    let nodes: &[(&str, &[&str], &str)] = &[("a", &["P"], r#"{"v":3}"#), ("f", &["P"], r#"{}"#)];
    let good = [("r1", "KNOWS", "a", "b", r#"{"w":3}"#), ("r7", "KNOWS", "a", "f", r#"{}"#)];
    let mut rels = good.to_vec();
    rels.push(("r8", "KNOWS", "a", "missing", r#"{}"#));
    std::fs::write(p.path("broken.jsonl"), dump(nodes, &rels)).unwrap();
    let failed = p
        .cmd()
        .args(["--json", "copy", "--source", "broken", "--target", "dst", "--all", "--batch-size", "1"])
        .assert()
        .code(1);
    let run = event(&failed.get_output().stdout, "summary")["run"].as_str().unwrap().to_string();

    // The cause fixed (the relationship to nowhere gone), the copy resumes: the same run.
    std::fs::write(p.path("broken.jsonl"), dump(nodes, &good)).unwrap();
    let out = p
        .cmd()
        .args(["--json", "copy", "--source", "broken", "--target", "dst", "--all", "--resume"])
        .assert()
        .success();
    assert_eq!(event(&out.get_output().stdout, "summary")["run"], run.as_str(), "a resume continues its run");
    let listed = runs(&p);
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert_eq!(listed[1]["state"], "finished");

    p.cmd().args(["rollback", "--target", "dst", "--run", &run]).assert().success();
    assert_same(&before, &read_independently(&dst), "after rolling back a resumed copy");
}

async fn rollback_refuses_what_it_cannot_undo_safely(server: Server) {
    let dst = server.database("rbr").await;
    let p = project(&dst);
    let first_run = overlapping(&dst, &p).await;
    let before = read_independently(&dst);
    let run = copy(&p, "second");
    let copied = read_independently(&dst);

    // Not the latest run.
    p.cmd()
        .args(["rollback", "--target", "dst", "--run", &first_run])
        .assert()
        .code(1)
        .stderr(predicates::str::contains(format!("run {first_run} is not the latest run on `dst`")))
        .stderr(predicates::str::contains(format!("--run {run}")))
        .stderr(predicates::str::contains("--force"));
    assert_same(&copied, &read_independently(&dst), "a refused rollback changes nothing");

    // A node the run created gained a relationship from outside it.
    dst.run("MATCH (o:Outside), (d:P {v: 9}) CREATE (o)-[:POINTS]->(d)").await;
    let linked = read_independently(&dst);
    p.cmd()
        .args(["rollback", "--target", "dst"])
        .assert()
        .code(1)
        .stderr(predicates::str::contains("1 node(s) the run created have since gained relationships from outside"))
        .stderr(predicates::str::contains("`d`"))
        .stderr(predicates::str::contains("Nothing was changed"));
    assert_same(&linked, &read_independently(&dst), "a refused rollback changes nothing");
    // --force deletes the node with that relationship.
    p.cmd().args(["rollback", "--target", "dst", "--force"]).assert().success();
    assert_same(&before, &read_independently(&dst), "after a forced rollback");

    // A run copied with --no-journal cannot be undone: refused, naming the flag.
    let out = p
        .cmd()
        .args(["--json", "copy", "--source", "second", "--target", "dst", "--all", "--no-journal"])
        .assert()
        .success();
    let unjournaled = event(&out.get_output().stdout, "summary")["run"].as_str().unwrap().to_string();
    let now = read_independently(&dst);
    p.cmd()
        .args(["rollback", "--target", "dst", "--run", &unjournaled])
        .assert()
        .code(1)
        .stderr(predicates::str::contains(format!("run {unjournaled} into `dst` was copied with --no-journal")));
    assert_same(&now, &read_independently(&dst), "a refused rollback changes nothing");

    // A file target keeps no journal, and says so.
    p.cmd()
        .args(["rollback", "--target", "out"])
        .assert()
        .success()
        .stdout(predicates::str::contains("a `file` target keeps no journal (a file target needs none"));
}

async fn finalize_makes_the_runs_on_a_target_unrollbackable(server: Server) {
    let dst = server.database("rbz").await;
    let p = project(&dst);
    // Two copies: after the second, ArcadeDB lists the identity property's declared type as a
    // constraint of its own, which finalize must leave alone (it once tried to drop it and
    // failed with a SemanticError).
    let earlier = copy(&p, "first");
    let run = copy(&p, "second");
    p.cmd()
        .args(["finalize", "--target", "dst"])
        .assert()
        .success()
        .stdout(predicates::str::contains("2 earlier runs on `dst` can no longer be rolled back"))
        .stdout(predicates::str::contains(earlier.as_str()))
        .stdout(predicates::str::contains(run.as_str()));
    p.cmd()
        .args(["rollback", "--target", "dst", "--run", &run])
        .assert()
        .code(1)
        .stderr(predicates::str::contains(format!("run {run} can no longer be rolled back")));
}

/// With migrations declaring `Movie(title)` as a key, the copy finds an existing Movie by its
/// title (not by a source id it never had): the journal must look it up the same way, and the
/// rollback must put it back as it was, without the identity marks the copy added.
async fn nodes_found_by_their_migration_keys_are_restored_and_created_ones_deleted(server: Server) {
    let dst = server.database("rbk").await;
    let p = project(&dst);
    std::fs::create_dir(p.path("migrations")).unwrap();
    std::fs::write(
        p.path("migrations/0001_keys.yaml"),
        "name: 0001_keys\ndependencies: []\noperations:\n  - operation: CreateNodeType\n    arguments: {name: Movie, keys: [title], properties: []}\n",
    )
    .unwrap();
    p.cmd().args(["migrations", "run", "--target", "dst"]).assert().success();
    // Someone else's Movie, with no identity marks: the copy's MERGE on the key updates it.
    dst.run("CREATE (:Movie {title: 'A', v: 1, kept: 'yes'})-[:IN]->(:Genre {name: 'g'})").await;
    let before = read_independently(&dst);
    std::fs::write(
        p.path("second.jsonl"),
        dump(
            &[("m1", &["Movie"], r#"{"title":"A","v":2}"#), ("m2", &["Movie"], r#"{"title":"B","v":1}"#)],
            &[("s1", "SEQUEL", "m2", "m1", r#"{}"#)],
        ),
    )
    .unwrap();
    copy(&p, "second");
    let copied = read_independently(&dst);
    assert_ne!(before["nodes"], copied["nodes"], "the copy changed A and created B");
    let movies = dst.rows("MATCH (n:Movie) RETURN count(n) AS c").await;
    assert_eq!(movies[0]["c"], 2, "A was found by its key, not created again: {movies:?}");

    p.cmd().args(["rollback", "--target", "dst"]).assert().success();
    assert_same(&before, &read_independently(&dst), "after rolling back a keyed copy");
}
