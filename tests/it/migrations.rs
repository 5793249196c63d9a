//! `graphferry migrations` on a file target: run, show, re-run, data changes, failures, locks,
//! and `make --from`. (The Bolt and Neptune migrators have their own modules.)

use predicates::prelude::*;
use serde_json::Value as Json;

use crate::support::{example_dump, Project};

fn project() -> Project {
    let p = Project::new(&format!(
        "  example:\n    database: file\n    path: {}\n  out:\n    database: file\n    path: out.jsonl\n",
        example_dump().display()
    ));
    std::fs::create_dir(p.path("migrations")).unwrap();
    p
}

fn write_migration(p: &Project, name: &str, deps: &[&str], ops: &str) {
    let deps = deps.iter().map(|d| format!("'{d}'")).collect::<Vec<_>>().join(", ");
    std::fs::write(
        p.path(&format!("migrations/{name}.yaml")),
        format!("name: '{name}'\ndependencies: [{deps}]\noperations:\n{ops}"),
    )
    .unwrap();
}

fn status(p: &Project) -> Vec<(String, String)> {
    let out = p
        .cmd()
        .args(["migrations", "show", "--target", "out", "--json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v: Json = serde_json::from_slice(&out).unwrap();
    v["migrations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["migration"].as_str().unwrap().to_string(), m["state"].as_str().unwrap().to_string()))
        .collect()
}

fn labels_in(path: &std::path::Path) -> std::collections::BTreeMap<String, u64> {
    let text = std::fs::read_to_string(path).unwrap();
    let end: Json = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    serde_json::from_value(end["node_labels"].clone()).unwrap()
}

#[test]
fn run_show_run_again_is_a_no_op() {
    let p = project();
    write_migration(
        &p,
        "0001",
        &[],
        "- {operation: CreateNodeType, arguments: {name: Person, keys: [email], properties: [name]}}\n",
    );
    write_migration(
        &p,
        "0002",
        &["0001"],
        "- {operation: AddAdditionalNodePropertyIndex, arguments: {node_type: Person, field_name: name}}\n",
    );
    assert_eq!(status(&p), [("0001".into(), "pending".into()), ("0002".into(), "pending".into())]);
    p.cmd().args(["migrations", "run", "--target", "out"]).assert().success().stdout(
        predicate::str::contains("applied 2 migration(s)")
            .and(predicate::str::contains("CreateNodeType Person: nothing to do on a file (no constraints")),
    );
    assert_eq!(status(&p), [("0001".into(), "applied".into()), ("0002".into(), "applied".into())]);
    p.cmd()
        .args(["migrations", "run", "--target", "out"])
        .assert()
        .success()
        .stdout(predicate::str::contains("up to date"));
    assert!(!p.path("out.jsonl.migrations.lock").exists(), "the lock is released");
}

#[test]
fn a_rename_migration_changes_copied_data() {
    let p = project();
    p.cmd().args(["copy", "--source", "example", "--target", "out", "--all"]).assert().success();
    assert_eq!(labels_in(&p.path("out.jsonl"))["Movie"], 60);
    write_migration(
        &p,
        "0001",
        &[],
        "- {operation: RenameNodeType, arguments: {old_type: Movie, new_type: Film}}\n- {operation: RenameNodeProperty, arguments: {node_type: Film, old_property_name: title, new_property_name: name}}\n",
    );
    p.cmd()
        .args(["migrations", "run", "--dry-run", "--target", "out"])
        .assert()
        .success()
        .stdout(predicate::str::contains("would apply 1"))
        .stdout(predicate::str::contains("RenameNodeType Movie -> Film: rewrites "))
        .stdout(predicate::str::contains("RenameNodeProperty Film.title -> Film.name: rewrites "));
    assert_eq!(labels_in(&p.path("out.jsonl"))["Movie"], 60, "a dry run changes nothing");
    p.cmd().args(["migrations", "run", "--target", "out"]).assert().success();
    let labels = labels_in(&p.path("out.jsonl"));
    assert_eq!(labels["Film"], 60);
    assert!(!labels.contains_key("Movie"));
    let text = std::fs::read_to_string(p.path("out.jsonl")).unwrap();
    let film = text.lines().find(|l| l.contains("\"Film\"")).unwrap();
    assert!(film.contains("\"name\":") && !film.contains("\"title\":"), "{film}");
}

#[test]
fn a_failing_operation_is_not_recorded_and_releases_the_lock() {
    let p = project();
    std::fs::write(p.path("out.jsonl"), "not a dump\n").unwrap();
    write_migration(&p, "0001", &[], "- {operation: DropNodeType, arguments: {name: Person}}\n");
    p.cmd()
        .args(["migrations", "run", "--target", "out"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("migration `0001`").and(predicate::str::contains("not recorded")));
    assert_eq!(status(&p), [("0001".into(), "pending".into())]);
    assert!(!p.path("out.jsonl.migrations.lock").exists());
}

#[test]
fn a_held_lock_fails_cleanly_and_force_unlock_clears_it() {
    let p = project();
    write_migration(&p, "0001", &[], "- {operation: CreateNodeType, arguments: {name: P, keys: [], properties: []}}\n");
    std::fs::write(p.path("out.jsonl.migrations.lock"), "").unwrap();
    p.cmd()
        .args(["migrations", "run", "--target", "out"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("locked by another run").and(predicate::str::contains("--force-unlock")));
    assert_eq!(status(&p), [("0001".into(), "pending".into())]);
    p.cmd().args(["migrations", "run", "--target", "out", "--force-unlock"]).assert().success();
    assert_eq!(status(&p), [("0001".into(), "applied".into())]);
}

#[test]
fn concurrent_runs_never_both_apply() {
    let p = project();
    for i in 0..20 {
        write_migration(
            &p,
            &format!("{i:04}"),
            &[],
            "- {operation: AddNodeProperty, arguments: {node_type: Person, property_name: x, default: 1}}\n",
        );
    }
    p.cmd().args(["copy", "--source", "example", "--target", "out", "--all"]).assert().success();
    // Both start before either finishes.
    let spawned: Vec<_> = (0..2)
        .map(|_| {
            std::process::Command::new(assert_cmd::cargo::cargo_bin("graphferry"))
                .args(["--config"])
                .arg(p.config())
                .args(["migrations", "run", "--target", "out"])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let children: Vec<_> = spawned.into_iter().map(|c| c.wait_with_output().unwrap()).collect();
    let ok = children.iter().filter(|o| o.status.success()).count();
    assert!(ok >= 1);
    for o in children.iter().filter(|o| !o.status.success()) {
        assert!(String::from_utf8_lossy(&o.stderr).contains("locked"), "{}", String::from_utf8_lossy(&o.stderr));
    }
    assert!(status(&p).iter().all(|(_, s)| s == "applied"));
}

#[test]
fn make_from_a_source_writes_a_migration_that_runs() {
    let p = project();
    write_migration(
        &p,
        "0001_base",
        &[],
        "- {operation: CreateNodeType, arguments: {name: Person, keys: [email], properties: []}}\n",
    );
    p.cmd().args(["migrations", "make", "--from", "example"]).assert().success().stdout(
        predicate::str::contains("0002_schema_from_example.yaml")
            .and(predicate::str::contains("depends on: 0001_base")),
    );
    let text = std::fs::read_to_string(p.path("migrations/0002_schema_from_example.yaml")).unwrap();
    assert!(
        text.contains("operation: CreateNodeType") && text.contains("name: Review") && text.contains("LINKS TO"),
        "{text}"
    );
    p.cmd()
        .args(["migrations", "run", "--target", "out"])
        .assert()
        .success()
        .stdout(predicate::str::contains("applied 2"));
    p.cmd()
        .args(["migrations", "make", "--from", "example", "--name", "0002_schema_from_example"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("already exists"));
}

#[test]
fn broken_migration_files_are_named() {
    let p = project();
    std::fs::write(p.path("migrations/bad.yaml"), "name: bad\noperations:\n- operation: Teleport\n  arguments: {}\n")
        .unwrap();
    p.cmd()
        .args(["migrations", "show", "--target", "out"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("bad.yaml:3: unknown operation `Teleport`"));
}

/// `--all-targets` leaves dumps alone: a config lists most dumps to read from, and migrating
/// one rewrites it and leaves a `*.migrations.json` beside it. A dump named with `--target` is
/// migrated.
#[test]
fn all_targets_migrates_a_dump_only_when_named() {
    let p = Project::new("  src:\n    database: file\n    path: src.jsonl\n");
    std::fs::create_dir(p.path("migrations")).unwrap();
    std::fs::copy(example_dump(), p.path("src.jsonl")).unwrap();
    let before = std::fs::read(p.path("src.jsonl")).unwrap();
    write_migration(
        &p,
        "0001",
        &[],
        "- {operation: RenameNodeProperty, arguments: {node_type: Movie, old_property_name: title, new_property_name: name}}\n",
    );
    p.cmd().args(["migrations", "run", "--all-targets"]).assert().success();
    assert!(std::fs::read(p.path("src.jsonl")).unwrap() == before, "--all-targets rewrote the dump");
    assert!(!p.path("src.jsonl.migrations.json").exists(), "--all-targets left a history beside the dump");

    p.cmd().args(["migrations", "run", "--target", "src"]).assert().success();
    assert!(std::fs::read(p.path("src.jsonl")).unwrap() != before, "a named dump is migrated");
    assert!(p.path("src.jsonl.migrations.json").exists());
}

#[test]
fn show_without_a_target_shows_every_target_side_by_side() {
    let p = project();
    write_migration(&p, "0001", &[], "- {operation: CreateNodeType, arguments: {name: Person, keys: [email]}}\n");
    p.cmd().args(["copy", "--source", "example", "--target", "out", "--all"]).assert().success();
    p.cmd().args(["migrations", "run", "--target", "out"]).assert().success();
    p.cmd().args(["migrations", "show"]).assert().success().stdout(
        predicate::str::contains("migration  example  out")
            .and(predicate::str::contains("0001       pending  applied")),
    );
    let out = p.cmd().args(["migrations", "show", "--json"]).assert().success().get_output().stdout.clone();
    let states: Vec<(String, String)> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Json>(l).unwrap())
        .map(|v| (v["target"].as_str().unwrap().to_string(), v["migrations"][0]["state"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(states, [("example".to_string(), "pending".to_string()), ("out".to_string(), "applied".to_string())]);

    // A target that cannot be read has its error in its column; the others are still shown.
    let config = std::fs::read_to_string(p.config()).unwrap();
    std::fs::write(p.config(), format!("{config}  typo:\n    database: file\n    pth: x.jsonl\n")).unwrap();
    p.cmd()
        .args(["migrations", "show"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("0001       pending  applied  error"))
        .stdout(predicate::str::contains("`typo`:").and(predicate::str::contains("did you mean `path`?")))
        .stderr(predicate::str::contains("1 of 3 target(s) could not be read"));
}
