//! `graphferry verify` and `copy --verify` on file targets: a faithful copy passes, and every kind
//! of damage (a changed value, a missing or extra record, a dangling relationship) is reported
//! with exit code 1 and the record's id.

use predicates::prelude::*;
use serde_json::Value as Json;

use crate::support::{example_dump, Project};

fn project() -> Project {
    Project::new(&format!(
        "  example:\n    database: file\n    path: {}\n  out:\n    database: file\n    path: out.jsonl\n",
        example_dump().display()
    ))
}

/// Rewrites the copied dump's lines with `edit` and fixes the end record's totals, so the dump
/// stays valid and only its contents differ.
fn tamper(p: &Project, edit: impl Fn(Vec<Json>) -> Vec<Json>) {
    let text = std::fs::read_to_string(p.path("out.jsonl")).unwrap();
    let mut lines: Vec<Json> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let end = lines.pop().unwrap();
    let mut lines = edit(lines);
    let count = |kind: &str| lines.iter().filter(|l| l["kind"] == kind).count();
    let mut end = end;
    end["nodes"] = count("node").into();
    end["relationships"] = count("relationship").into();
    lines.push(end);
    let out: String = lines.iter().map(|l| format!("{l}\n")).collect();
    std::fs::write(p.path("out.jsonl"), out).unwrap();
}

fn verify(p: &Project, extra: &[&str]) -> assert_cmd::assert::Assert {
    p.cmd().args(["verify", "--source", "example", "--target", "out"]).args(extra).assert()
}

#[test]
fn a_faithful_copy_verifies() {
    let p = project();
    p.cmd()
        .args(["copy", "--source", "example", "--target", "out", "--all", "--verify"])
        .assert()
        .success()
        .stdout(predicate::str::contains("everything matches"));
    verify(&p, &["--full"])
        .success()
        .stdout(predicate::str::contains("Compared field by field: 336 nodes, 767 relationships; 0 difference(s)"));
    let out = verify(&p, &["--json", "--sample", "10"]).success().get_output().stdout.clone();
    let v: Json = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["ok"], true);
    assert!(v["compared_nodes"].as_u64().unwrap() >= 10);
}

#[test]
fn a_changed_value_is_found_by_id() {
    let p = project();
    p.cmd().args(["copy", "--source", "example", "--target", "out", "--all"]).assert().success();
    tamper(&p, |mut lines| {
        let node = lines.iter_mut().find(|l| l["id"] == "movie-7").unwrap();
        node["properties"]["released"] = Json::from(1999.5);
        lines
    });
    verify(&p, &["--full"]).code(1).stdout(predicate::str::contains(
        "node `movie-7`: property `released` differs (INTEGER in the source, FLOAT in the target)",
    ));
}

#[test]
fn missing_records_are_counted_and_named() {
    let p = project();
    p.cmd().args(["copy", "--source", "example", "--target", "out", "--all"]).assert().success();
    tamper(&p, |lines| lines.into_iter().filter(|l| l["id"] != "review-3" && l["id"] != "r10").collect());
    let out = verify(&p, &["--full", "--json"]).code(1).get_output().stdout.clone();
    let v: Json = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["ok"], false);
    assert_eq!(v["nodes"]["source"], 336);
    assert_eq!(v["nodes"]["target"], 335);
    let ids: Vec<&str> = v["differences"].as_array().unwrap().iter().map(|d| d["id"].as_str().unwrap()).collect();
    assert!(ids.contains(&"review-3") && ids.contains(&"r10"), "{ids:?}");
}

#[test]
fn dangling_relationships_in_the_target_are_reported() {
    let p = project();
    p.cmd().args(["copy", "--source", "example", "--target", "out", "--all"]).assert().success();
    tamper(&p, |mut lines| {
        let rel = lines.iter_mut().find(|l| l["id"] == "r1").unwrap();
        rel["end"] = Json::from("nowhere");
        lines
    });
    verify(&p, &["--sample", "0"]).code(1).stdout(predicate::str::contains("Dangling relationships in the target: 1"));
}

#[test]
fn selection_verifies_only_what_was_selected() {
    let p = project();
    p.cmd().args(["copy", "--source", "example", "--target", "out", "--relationship", "DIRECTED"]).assert().success();
    verify(&p, &["--relationship", "DIRECTED", "--full"]).success();
    verify(&p, &["--sample", "0"]).code(1).stdout(predicate::str::contains("<- differs"));
}

#[test]
fn usage_errors_exit_2() {
    let p = project();
    verify(&p, &["--full", "--sample", "5"]).code(2);
    p.cmd().args(["verify", "--source", "example"]).assert().code(2);
}
