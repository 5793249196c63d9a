//! `graphferry finalize` against the real Bolt server, judged by an independent reader: the
//! official Neo4j Python driver (tests/it/py/read_graph.py), not graphferry's own code, reads
//! source and target and finds them equal (labels, typed properties, relationships with their
//! endpoints, constraints and indexes), with nothing of graphferry's left.

use serde_json::Value as Json;

use super::graph::load;
use super::server::{Db, Server};
use crate::support::{event, Project};

crate::on_every_server!(
    a_finalized_copy_is_the_source_graph_and_nothing_else,
    copy_with_finalize_verifies_then_leaves_the_source_graph_only,
    finalize_waits_for_an_unfinished_copy_and_says_how_to_go_on,
);

const MARKER: &str = "_GraphferryNode";
const ID: &str = "_graphferry_id";

/// `db` as the Python driver reads it.
pub(super) fn read_independently(db: &Db) -> Json {
    crate::support::read_graph(&db.uri, db.user(), &db.name, &db.password())
}

fn project(databases: &[(&str, &Db)]) -> Project {
    let mut yaml: String = databases.iter().map(|(name, db)| db.yaml(name)).collect();
    yaml.push_str("  dump:\n    database: file\n    path: dump.jsonl\n");
    Project::new(&yaml)
}

fn pretty(v: &Json) -> String {
    serde_json::to_string_pretty(v).unwrap()
}

/// The target holds the source graph and nothing else, as the independent reader sees them.
pub(super) fn assert_same_graph(server: Server, source: &Json, target: &Json) {
    for part in ["nodes", "relationships", "labels_in_use", "relationship_types", "constraints", "indexes"] {
        assert_eq!(pretty(&source[part]), pretty(&target[part]), "`{part}` differ between source and target");
    }
    // ArcadeDB keeps a vertex type in its schema after its last vertex lost the label (its Bolt
    // plugin's db.labels() lists schema types, used or not), so the identity label may stay
    // listed there, carried by no node; Neo4j 5's db.labels() lists labels in use only. Any
    // other extra label is a difference.
    let labels = |g: &Json| -> Vec<String> {
        g["db_labels"].as_array().unwrap().iter().map(|l| l.as_str().unwrap().to_string()).collect()
    };
    if server == Server::Neo4j {
        assert_eq!(labels(source), labels(target), "db.labels() differ between source and target");
    }
    let extra: Vec<String> =
        labels(target).into_iter().filter(|l| l != MARKER && !labels(source).contains(l)).collect();
    assert!(extra.is_empty(), "labels in the target's schema that the source lacks: {extra:?}");
}

pub(super) fn assert_no_marks(g: &Json) {
    let records = Json::Array(vec![g["nodes"].clone(), g["relationships"].clone()]).to_string();
    for name in [MARKER, ID] {
        assert!(!records.contains(name), "`{name}` left on a record: {}", pretty(g));
    }
    // ArcadeDB lists a property's declared type in its schema as a `NODE_PROPERTY_TYPE`
    // constraint (after a second copy into the same database) and cannot drop it over Bolt: a
    // schema entry, not a mark on any record. Any other constraint left is a mark.
    let constraints: Vec<&Json> =
        g["constraints"].as_array().unwrap().iter().filter(|c| c["type"] != "NODE_PROPERTY_TYPE").collect();
    assert!(constraints.is_empty(), "constraints left: {constraints:#?}");
    // Neo4j 5 creates every database with two token-lookup indexes (type LOOKUP): not marks.
    let indexes: Vec<&Json> = g["indexes"].as_array().unwrap().iter().filter(|i| i["type"] != "LOOKUP").collect();
    assert!(indexes.is_empty(), "indexes left: {indexes:#?}");
}

async fn a_finalized_copy_is_the_source_graph_and_nothing_else(server: Server) {
    let (src, dst) = server.pair("fin").await;
    load(&src.bolt().await, &src.name).await;
    let p = project(&[("src", &src), ("dst", &dst)]);
    p.cmd().args(["copy", "--source", "src", "--target", "dst", "--all"]).assert().success();

    // The reader sees what finalize is for: the copy's marks and constraint.
    let marked = read_independently(&dst);
    assert!(marked["labels_in_use"].as_array().unwrap().contains(&Json::from(MARKER)), "{}", pretty(&marked));
    assert!(!marked["constraints"].as_array().unwrap().is_empty(), "{}", pretty(&marked));

    // Small batches: several transactions per pass.
    let out = p.cmd().args(["--json", "finalize", "--target", "dst", "--batch-size", "2"]).assert().success();
    let summary = event(&out.get_output().stdout, "finalize");
    assert_eq!(summary["cleared"], serde_json::json!({"nodes": 5, "relationships": 10}), "{summary}");
    assert_eq!(summary["dropped"].as_array().map(Vec::len), Some(1), "the identity constraint: {summary}");
    assert_eq!(summary["changed"], true);

    let source = read_independently(&src);
    let target = read_independently(&dst);
    assert_no_marks(&target);
    assert_same_graph(server, &source, &target);
    assert_eq!(source["nodes"].as_array().unwrap().len(), 5);
    assert_eq!(source["relationships"].as_array().unwrap().len(), 10, "parallel relationships stay apart");

    // Idempotent: a second run finds nothing to do and changes nothing.
    let out = p.cmd().args(["--json", "finalize", "--target", "dst"]).assert().success();
    let again = event(&out.get_output().stdout, "finalize");
    assert_eq!(again["changed"], false, "{again}");
    assert_eq!(again["cleared"], serde_json::json!({"nodes": 0, "relationships": 0}));
    p.cmd()
        .args(["finalize", "--target", "dst"])
        .assert()
        .success()
        .stdout(predicates::str::contains("Nothing to finalize in `dst`: no identity marks left"));
    assert_same_graph(server, &source, &read_independently(&dst));
}

async fn copy_with_finalize_verifies_then_leaves_the_source_graph_only(server: Server) {
    let (src, dst) = server.pair("finc").await;
    load(&src.bolt().await, &src.name).await;
    let p = project(&[("src", &src), ("dst", &dst)]);
    let out = p
        .cmd()
        .args(["copy", "--source", "src", "--target", "dst", "--all", "--verify", "--finalize"])
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    let (verified, finalized) = (stdout.find("everything matches"), stdout.find("Finalized `dst`"));
    assert!(verified.is_some() && finalized > verified, "verify, then finalize: {stdout}");
    let target = read_independently(&dst);
    assert_no_marks(&target);
    assert_same_graph(server, &read_independently(&src), &target);
}

async fn finalize_waits_for_an_unfinished_copy_and_says_how_to_go_on(server: Server) {
    let dst = server.database("finu_dst").await;
    let p = project(&[("dst", &dst)]);
    // A relationship to a node the dump lacks fails the copy after its nodes landed, leaving
    // the checkpoint a --resume would continue from.
    std::fs::write(
        p.path("dump.jsonl"),
        concat!(
            r#"{"kind":"header","format":"graphferry-dump","version":1}"#,
            "\n",
            r#"{"kind":"node","id":"a","labels":["Thing"],"properties":{"n":1}}"#,
            "\n",
            r#"{"kind":"relationship","id":"r","type":"R","start":"a","end":"missing","properties":{}}"#,
            "\n",
            r#"{"kind":"end","nodes":1,"relationships":1,"node_labels":{"Thing":1},"relationship_types":{"R":1}}"#,
            "\n"
        ),
    )
    .unwrap();
    p.cmd().args(["copy", "--source", "dump", "--target", "dst", "--all"]).assert().code(1);
    let checkpoint = p.path(".graphferry/checkpoint-dump-dst.json");
    assert!(checkpoint.exists(), "the failed copy saved its progress");

    p.cmd()
        .args(["finalize", "--target", "dst"])
        .assert()
        .code(1)
        .stderr(predicates::str::contains("unfinished copy into `dst`"))
        .stderr(predicates::str::contains(checkpoint.display().to_string()))
        .stderr(predicates::str::contains("--resume"));
    let untouched = read_independently(&dst);
    assert!(untouched["labels_in_use"].as_array().unwrap().contains(&Json::from(MARKER)), "nothing was changed");

    // The same copy with its checkpoint somewhere else (--checkpoint): its run record says where.
    std::fs::remove_file(&checkpoint).unwrap();
    let elsewhere = p.path("progress/custom.json");
    std::fs::create_dir_all(p.path("progress")).unwrap();
    p.cmd()
        .args(["copy", "--source", "dump", "--target", "dst", "--all", "--checkpoint"])
        .arg(&elsewhere)
        .assert()
        .code(1);
    assert!(elsewhere.exists(), "the failed copy saved its progress where it was told");
    p.cmd()
        .args(["finalize", "--target", "dst"])
        .assert()
        .code(1)
        .stderr(predicates::str::contains(elsewhere.display().to_string()));

    // Discarding the unfinished copy (as the message says) lets finalize run.
    std::fs::remove_file(&elsewhere).unwrap();
    p.cmd().args(["finalize", "--target", "dst"]).assert().success();
    assert_no_marks(&read_independently(&dst));
}

#[test]
fn a_dump_target_has_nothing_to_finalize_and_says_so() {
    let p = project(&[]);
    p.cmd()
        .args(["finalize", "--target", "dump"])
        .assert()
        .success()
        .stdout(predicates::str::contains("Nothing to finalize in `dump`: a dump file holds the records"));
}
