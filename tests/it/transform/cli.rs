//! What a user meets on the command line: a broken transform file, the dry-run preview (values
//! hidden unless asked for), and a value that does not convert. The bundled example graph, no
//! server needed.

use predicates::prelude::*;
use serde_json::Value as Json;

use super::write_transform;
use crate::support::{example_dump, Project};

fn project() -> Project {
    Project::new(&format!(
        "  example:\n    database: file\n    path: {}\n  out:\n    database: file\n    path: out.jsonl\n",
        example_dump().display()
    ))
}

fn copy(p: &Project, transform: &str, extra: &[&str]) -> assert_cmd::assert::Assert {
    let t = write_transform(p.dir.path(), "t.yaml", transform);
    p.cmd()
        .args(["copy", "--source", "example", "--target", "out", "--transform", t.to_str().unwrap()])
        .args(extra)
        .assert()
}

#[test]
fn a_broken_file_is_refused_naming_file_line_operation_and_the_closest_name() {
    let p = project();
    let text = "operations:\n  - operation: RenameNodeType\n    arguments: {old_type: Person, new_type: Actor}\n  \
                - operation: Cleanse\n    arguments: {property_name: email, stesp: [trim]}\n";
    copy(&p, text, &["--all"]).code(1).stderr(predicate::str::contains(format!(
        "transform {}:4: operation `Cleanse`: unknown argument `stesp` (did you mean `steps`?)",
        p.path("t.yaml").display()
    )));
    assert!(!p.path("out.jsonl").exists(), "nothing written");
    copy(&p, "operations:\n  - operation: Dedupe\n", &["--all"])
        .code(1)
        .stderr(predicate::str::contains("t.yaml:2: unknown operation `Dedupe` (did you mean `Deduplicate`?)"));
}

const PREVIEWED: &str = "operations:
  - operation: Cleanse
    arguments: {node_type: Person, property_name: name, steps: [upper]}
  - operation: Filter
    arguments: {node_type: Person, where: {property: active, equals: true}}
";

#[test]
fn the_dry_run_previews_records_before_and_after_with_values_only_when_asked() {
    let p = project();
    copy(&p, PREVIEWED, &["--node", "Person", "--dry-run"])
        .success()
        .stdout(predicate::str::contains("the first records of each label and type, before -> after"))
        .stdout(predicate::str::contains("`person-0` (:Person:Actor:Director) {active: BOOLEAN"))
        .stdout(predicate::str::contains("-> dropped"))
        .stdout(predicate::str::contains("Xochitl").not().and(predicate::str::contains("XOCHITL").not()));
    copy(&p, PREVIEWED, &["--node", "Person", "--dry-run", "--show-values"])
        .success()
        .stdout(predicate::str::contains(r#"name: "Ada Leclerc""#))
        .stdout(predicate::str::contains(r#"name: "ADA LECLERC""#));
    assert!(!p.path("out.jsonl").exists(), "a dry run writes nothing");

    let out = copy(&p, PREVIEWED, &["--node", "Person", "--dry-run", "--json"]).success().get_output().stdout.clone();
    let events: Vec<Json> =
        String::from_utf8(out).unwrap().lines().map(|l| serde_json::from_str(l).expect("JSON lines")).collect();
    let preview = events.iter().find(|e| e["event"] == "transform_preview").expect("a preview event");
    assert_eq!(preview["values_shown"], false);
    let group = preview["nodes"].as_array().unwrap().iter().find(|g| g["scope"] == "label Person:Actor:Director");
    let first = &group.expect("a group per label set")["records"][0];
    assert_eq!(first["before"]["properties"]["name"], "STRING");
    assert_eq!(first["after"], Json::Null, "person-0 is not active: dropped");
}

#[test]
fn a_value_that_does_not_convert_fails_the_copy_naming_the_record_not_the_value() {
    let p = project();
    let text =
        "operations:\n  - operation: Coerce\n    arguments: {node_type: Person, property_name: email, to: integer}\n";
    copy(&p, text, &["--all"])
        .code(1)
        .stderr(predicate::str::contains(
            "t.yaml:2, operation `Coerce`: node `person-0` (label Person:Actor:Director): property `email`: \
             the string does not parse as integer",
        ))
        .stderr(predicate::str::contains("example.org").not());
    // on_error: keep copies it all, counted.
    let keep = text.replace("to: integer}", "to: integer, on_error: keep}");
    let out = copy(&p, &keep, &["--all", "--json"]).success().get_output().stdout.clone();
    let summary: Json = serde_json::from_slice(&out).unwrap();
    let op = &summary["transform"]["operations"][0];
    assert_eq!((op["failed"].as_u64(), op["kept"].as_u64(), op["changed"].as_u64()), (Some(150), Some(150), Some(0)));
}
