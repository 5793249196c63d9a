//! file → file with every operation: the dump written is checked record by record, the summary
//! counts each operation, and `verify --transform` agrees, unless the transform file differs.

use serde_json::Value as Json;

use super::{assert_same, expected, read_dump, source_database, write_transform, TRANSFORM};
use crate::bolt::server::{bolt_url, target_yaml};
use crate::support::Project;

fn project(db: &str) -> Project {
    Project::new(&format!(
        "{}  plain:\n    database: file\n    path: plain.jsonl\n  out:\n    database: file\n    path: out.jsonl\n  \
         configured:\n    database: file\n    path: configured.jsonl\n    transform: t.yaml\n",
        target_yaml("bolt", &bolt_url(), db)
    ))
}

fn cli(p: &Project, args: &[&str]) -> assert_cmd::assert::Assert {
    p.cmd().args(args).assert()
}

#[test]
fn every_operation_file_to_file_lands_as_declared_and_verifies() {
    let db = source_database("tf_file");
    let p = project(&db);
    let t = write_transform(p.dir.path(), "t.yaml", TRANSFORM);
    // The graph as the source reads it, untransformed: the transform's input.
    cli(&p, &["copy", "--source", "bolt", "--target", "plain", "--all"]).success();
    let source = read_dump(&p.path("plain.jsonl"));
    let want = expected(&source);

    let t_arg = t.to_str().unwrap();
    let out = cli(
        &p,
        &["copy", "--source", "plain", "--target", "out", "--all", "--transform", t_arg, "--json", "--batch-size", "3"],
    )
    .success()
    .get_output()
    .stdout
    .clone();
    assert_same(&want, &read_dump(&p.path("out.jsonl")));

    let summary: Json = serde_json::from_slice(&out).expect("one JSON summary");
    assert_eq!(summary["nodes"], want.nodes.len());
    assert_eq!(summary["relationships"], want.relationships.len());
    let tr = &summary["transform"];
    let op = |i: usize| &tr["operations"][i - 1];
    assert_eq!(op(1)["operation"], "RenameNodeType");
    assert_eq!(op(1)["changed"], 2, "two Persons");
    assert_eq!(op(1)["line"], 3);
    assert_eq!(op(2)["changed"], 5, "four KNOWS of the test graph and x2's (x1's to x3 dangles first)");
    assert_eq!(op(6)["dropped"], 1, "one Movie");
    assert_eq!(op(7)["dropped"], 3, "c→a, c→c, x4→x1");
    assert_eq!(op(13)["operation"], "Coerce");
    assert_eq!(
        (op(13)["changed"].as_u64(), op(13)["failed"].as_u64(), op(13)["nulled"].as_u64()),
        (Some(3), Some(1), Some(1))
    );
    assert_eq!(
        (op(14)["changed"].as_u64(), op(14)["failed"].as_u64(), op(14)["kept"].as_u64()),
        (Some(3), Some(1), Some(1))
    );
    assert_eq!(op(18)["dropped"], 1, "x3 filtered out");
    assert_eq!(op(19)["dropped"], 1, "x2 a duplicate of x1");
    assert_eq!(op(20)["changed"], 2, "x1 and x4 get their ids");
    assert_eq!(tr["dropped_nodes"], 3);
    assert_eq!(tr["dangling_relationships"], 2, "ACTED IN to the Movie, KNOWS to x3");
    assert_eq!(tr["repointed_relationships"], 3, "x2→a, x4→x1 and a→x2");
    assert_eq!(
        summary["nodes"].as_u64().unwrap() + tr["dropped_nodes"].as_u64().unwrap(),
        source.nodes.len() as u64,
        "every node read is written or counted as dropped"
    );
    assert_eq!(
        summary["relationships"].as_u64().unwrap() + tr["dropped_relationships"].as_u64().unwrap(),
        source.relationships.len() as u64
    );

    // Verify applies the transform to the source side: the copy checks out, field by field.
    cli(&p, &["verify", "--source", "plain", "--target", "out", "--full", "--transform", t_arg])
        .success()
        .stdout(predicates::str::contains("0 difference(s)"));
    // Without it, or with a transform that differs by one name, the target differs.
    cli(&p, &["verify", "--source", "plain", "--target", "out", "--full"]).failure();
    let other =
        write_transform(p.dir.path(), "other.yaml", &TRANSFORM.replace("new_type: Customer", "new_type: Client"));
    cli(&p, &["verify", "--source", "plain", "--target", "out", "--full", "--transform", other.to_str().unwrap()])
        .failure();

    // `transform:` under the target in nodestream.yaml does the same, and verify reads it too.
    cli(&p, &["copy", "--source", "plain", "--target", "configured", "--all"]).success();
    assert_same(&want, &read_dump(&p.path("configured.jsonl")));
    cli(&p, &["verify", "--source", "plain", "--target", "configured", "--full"]).success();
}
