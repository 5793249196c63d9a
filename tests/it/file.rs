//! The file connector end to end: copies of the bundled example graph, selections, dry runs,
//! JSON output and the errors a user can run into. No server needed.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use graphferry::connector::file::{DumpReader, Record};
use graphferry::model::{Node, Relationship};
use predicates::prelude::*;
use serde_json::Value as Json;

use crate::support::{example_dump, Project};

fn read_dump(path: &Path) -> (Vec<Node>, Vec<Relationship>) {
    let mut reader = DumpReader::open(path).unwrap_or_else(|e| panic!("{e}"));
    let (mut nodes, mut rels) = (Vec::new(), Vec::new());
    while let Some(record) = reader.next_record().unwrap_or_else(|e| panic!("{e}")) {
        match record {
            Record::Node(n) => nodes.push(n),
            Record::Relationship(r) => rels.push(r),
        }
    }
    (nodes, rels)
}

/// A project with the example dump as `example` and an output file as `out`.
fn project() -> Project {
    Project::new(&format!(
        "  example:\n    database: file\n    path: {}\n  out:\n    database: file\n    path: out.jsonl\n",
        example_dump().display()
    ))
}

fn copy(project: &Project, extra: &[&str]) -> assert_cmd::assert::Assert {
    project.cmd().args(["copy", "--source", "example", "--target", "out"]).args(extra).assert()
}

#[test]
fn copy_all_reproduces_the_dump_record_by_record() {
    let p = project();
    copy(&p, &["--all", "--batch-size", "7", "--concurrency", "3"])
        .success()
        .stdout(predicate::str::contains("Copied 336 nodes and 767 relationships"))
        .stdout(predicate::str::contains("Conversions: none"));
    let (src_nodes, src_rels) = read_dump(&example_dump());
    let (mut nodes, mut rels) = read_dump(&p.path("out.jsonl"));
    // Concurrent writers may reorder batches; identity is the source id.
    let by_id = |a: &Node, b: &Node| a.id.cmp(&b.id);
    nodes.sort_by(by_id);
    rels.sort_by(|a, b| a.id.cmp(&b.id));
    let mut src_nodes = src_nodes;
    src_nodes.sort_by(by_id);
    let mut src_rels = src_rels;
    src_rels.sort_by(|a, b| a.id.cmp(&b.id));
    assert_eq!(nodes.len(), src_nodes.len());
    assert_eq!(rels.len(), src_rels.len());
    for (a, b) in src_nodes.iter().zip(&nodes) {
        assert!(a.same_as(b), "node differs:\n{a:?}\n{b:?}");
        for (k, v) in &a.properties {
            assert_eq!(v.type_name(), b.properties[k].type_name(), "type of {}.{k}", a.id);
        }
    }
    for (a, b) in src_rels.iter().zip(&rels) {
        assert!(a.same_as(b), "relationship differs:\n{a:?}\n{b:?}");
    }
    assert!(!p.path("out.jsonl.tmp").exists());
}

/// The summary adds up: unlabelled nodes have their own row, and the file written is named.
#[test]
fn the_summary_counts_unlabelled_nodes_and_names_the_file_written() {
    let p = project();
    let out = copy(&p, &["--all"]).success().get_output().stdout.clone();
    let stdout = String::from_utf8(out).unwrap();
    let unlabelled = read_dump(&example_dump()).0.iter().filter(|n| n.labels.is_empty()).count();
    assert!(unlabelled > 0, "the example has unlabelled nodes");
    let row = stdout.lines().find(|l| l.trim_start().starts_with("(no label)")).unwrap_or_else(|| panic!("{stdout}"));
    assert_eq!(row.split_whitespace().last(), Some(unlabelled.to_string().as_str()), "{stdout}");
    let written_to = format!("Written to file {}", p.path("out.jsonl").display());
    assert!(stdout.lines().any(|l| l == written_to), "{stdout}");
}

#[test]
fn copy_with_one_writer_is_byte_identical() {
    let p = project();
    copy(&p, &["--all", "--concurrency", "1"]).success();
    let a = std::fs::read(example_dump()).unwrap();
    let b = std::fs::read(p.path("out.jsonl")).unwrap();
    assert!(a == b, "a sequential copy of a dump writes the same bytes");
}

#[test]
fn node_and_relationship_selection_includes_endpoints_and_nothing_dangles() {
    let p = project();
    copy(&p, &["--node", "Movie", "--relationship", "KNOWS", "--relationship", "FOLLOWS"]).success();
    let (src_nodes, src_rels) = read_dump(&example_dump());
    let (nodes, rels) = read_dump(&p.path("out.jsonl"));

    let wanted_types = ["KNOWS", "FOLLOWS"];
    let expected_rels: HashSet<&str> =
        src_rels.iter().filter(|r| wanted_types.contains(&r.rel_type.as_str())).map(|r| r.id.as_str()).collect();
    let got_rels: HashSet<&str> = rels.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(got_rels, expected_rels);

    let endpoints: HashSet<&str> = rels.iter().flat_map(|r| [r.start.as_str(), r.end.as_str()]).collect();
    let expected_nodes: HashSet<&str> = src_nodes
        .iter()
        .filter(|n| n.labels.iter().any(|l| l == "Movie") || endpoints.contains(n.id.as_str()))
        .map(|n| n.id.as_str())
        .collect();
    let got_nodes: HashSet<&str> = nodes.iter().map(|n| n.id.as_str()).collect();
    assert_eq!(got_nodes, expected_nodes);
    assert!(endpoints.is_subset(&got_nodes), "a copied relationship dangles");
    assert!(got_nodes.len() > 60, "endpoints beyond the selected label were copied");
}

#[test]
fn node_only_selection_copies_no_relationships() {
    let p = project();
    copy(&p, &["--node", "Review"]).success().stdout(predicate::str::contains("Copied 120 nodes and 0 relationships"));
    let (nodes, rels) = read_dump(&p.path("out.jsonl"));
    assert_eq!(nodes.len(), 120);
    assert!(rels.is_empty());
}

#[test]
fn a_label_the_source_lacks_is_refused_with_a_suggestion_and_nothing_written() {
    let p = project();
    std::fs::write(p.path("out.jsonl"), "keep me").unwrap();
    for extra in [&["--node", "Persn"][..], &["--node", "Persn", "--dry-run"], &["--node", "Persn", "--json"]] {
        copy(&p, extra).code(2).stderr(predicate::str::contains(
            "source `example` has no label `Persn` (did you mean `Person`?); nothing was written",
        ));
    }
    copy(&p, &["--node", "Movie", "--relationship", "NOPE"])
        .code(2)
        .stderr(predicate::str::contains("no relationship type `NOPE` (it has: "));
    assert_eq!(std::fs::read_to_string(p.path("out.jsonl")).unwrap(), "keep me");
    assert!(!p.path("out.jsonl.tmp").exists());
}

#[test]
fn allow_missing_copies_the_rest_with_a_warning() {
    let p = project();
    copy(&p, &["--node", "Nope", "--node", "Review", "--allow-missing"])
        .success()
        .stdout(predicate::str::contains("Copied 120 nodes"))
        .stderr(predicate::str::contains("source `example` has no label `Nope`"));
    let out =
        copy(&p, &["--node", "Nope", "--node", "Review", "--allow-missing", "--json"]).success().get_output().clone();
    let stderr = String::from_utf8(out.stderr).unwrap();
    let lines: Vec<Json> =
        stderr.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}"))).collect();
    let warning = lines.iter().find(|v| v["fields"]["event"] == "absent").expect("the warning is a JSON line");
    assert_eq!(warning["level"], "WARN");
    assert_eq!(warning["fields"]["name"], "Nope");
}

#[test]
fn dry_run_counts_and_writes_nothing() {
    let p = project();
    copy(&p, &["--all", "--dry-run"])
        .success()
        .stdout(predicate::str::contains("would copy 336 nodes and 767 relationships"))
        .stdout(predicate::str::contains("KNOWS"));
    assert!(!p.path("out.jsonl").exists());
    assert!(!p.path("out.jsonl.tmp").exists());

    copy(&p, &["--relationship", "DIRECTED", "--dry-run", "--json"]).success().stdout(predicate::function(
        |out: &str| {
            let v: Json = serde_json::from_str(out.trim()).expect("one JSON object");
            v["relationships"] == 60 && v["relationship_types"]["DIRECTED"] == 60 && v["labels"]["Movie"] == 60
        },
    ));
    assert!(!p.path("out.jsonl").exists());
}

#[test]
fn json_output_is_json_on_every_line_with_a_summary() {
    let p = project();
    let out = copy(&p, &["--all", "--json"]).success().get_output().clone();
    let lines = |bytes: &[u8]| String::from_utf8(bytes.to_vec()).unwrap();
    let stderr = lines(&out.stderr);
    for line in stderr.lines().chain(lines(&out.stdout).lines()) {
        serde_json::from_str::<Json>(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
    }
    assert!(!stderr.is_empty(), "progress is logged as JSON lines");
    let stdout = lines(&out.stdout);
    let summary: Json = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!(summary["event"], "summary");
    assert_eq!(summary["status"], "ok");
    assert_eq!(summary["nodes"], 336);
    assert_eq!(summary["relationships"], 767);
    assert_eq!(summary["labels"]["Person"], 150);
    assert_eq!(summary["relationship_types"]["ACTED_IN"], 260);
    assert_eq!(summary["conversions"], Json::Array(vec![]));
}

#[test]
fn json_errors_are_json_too() {
    let p = project();
    let out = p.cmd().args(["copy", "--source", "nope", "--target", "out", "--all", "--json"]).assert().code(2);
    let stderr = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    for line in stderr.lines() {
        let v: Json = serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        assert_eq!(v["level"], "ERROR");
    }
    assert!(stderr.contains("unknown target `nope`"));
    // Usage errors too.
    let out = p.cmd().args(["copy", "--source", "a", "--json"]).assert().code(2);
    let stderr = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    let v: Json = serde_json::from_str(stderr.trim()).expect("usage error as JSON");
    assert_eq!(v["event"], "usage_error");
}

#[test]
fn missing_selection_is_a_usage_error() {
    let p = project();
    copy(&p, &[]).code(2).stderr(predicate::str::contains("--all for everything"));
    copy(&p, &["--all", "--node", "X"]).code(2).stderr(predicate::str::contains("cannot be used with"));
}

#[test]
fn unknown_target_and_missing_config_are_clear_usage_errors() {
    let p = project();
    p.cmd().args(["copy", "--source", "exampel", "--target", "out", "--all"]).assert().code(2).stderr(
        predicate::str::contains("unknown target `exampel`").and(predicate::str::contains("did you mean `example`?")),
    );
    crate::support::graphferry()
        .current_dir(p.dir.path())
        .args(["--config", "missing.yaml", "copy", "--source", "a", "--target", "b", "--all"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot read config file `missing.yaml`"));
}

#[test]
fn truncated_dump_fails_with_its_line_and_leaves_no_output() {
    let p = Project::new(
        "  cut:\n    database: file\n    path: cut.jsonl\n  out:\n    database: file\n    path: out.jsonl\n",
    );
    let text = std::fs::read_to_string(example_dump()).unwrap();
    let cut: String = text.lines().take(500).map(|l| format!("{l}\n")).collect();
    std::fs::write(p.path("cut.jsonl"), cut).unwrap();
    p.cmd()
        .args(["copy", "--source", "cut", "--target", "out", "--all"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("cut.jsonl:500").and(predicate::str::contains("truncated")));
    assert!(!p.path("out.jsonl").exists(), "nothing half-written is left looking complete");
    assert!(!p.path("out.jsonl.tmp").exists());
}

#[test]
fn corrupted_line_is_reported_with_its_number() {
    let p = Project::new(
        "  bad:\n    database: file\n    path: bad.jsonl\n  out:\n    database: file\n    path: out.jsonl\n",
    );
    let text = std::fs::read_to_string(example_dump()).unwrap();
    let bad: String = text
        .lines()
        .enumerate()
        .map(|(i, l)| if i == 41 { "{\"kind\":\"node\",\"id\":\n".to_string() } else { format!("{l}\n") })
        .collect();
    std::fs::write(p.path("bad.jsonl"), bad).unwrap();
    p.cmd()
        .args(["copy", "--source", "bad", "--target", "out", "--all"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("bad.jsonl:42: invalid record"));
    assert!(!p.path("out.jsonl").exists());
}

#[test]
fn create_mode_refuses_an_existing_dump_unless_forced() {
    let p = project();
    std::fs::write(p.path("out.jsonl"), "keep me").unwrap();
    copy(&p, &["--all", "--mode", "create"]).code(1).stderr(predicate::str::contains("already exists"));
    assert_eq!(std::fs::read_to_string(p.path("out.jsonl")).unwrap(), "keep me");
    copy(&p, &["--all", "--mode", "create", "--force"]).success();
    assert_eq!(read_dump(&p.path("out.jsonl")).0.len(), 336);
}

#[test]
fn targets_lists_and_checks() {
    let p = Project::new(&format!(
        "  example:\n    database: file\n    path: {}\n  typo:\n    database: file\n    pth: x\n  nowhere:\n    database: file\n    path: /nonexistent/dir/x.jsonl\n",
        example_dump().display()
    ));
    p.cmd()
        .arg("targets")
        .assert()
        .code(1)
        .stdout(predicate::str::contains("example").and(predicate::str::contains("did you mean `path`?")));
    let out = p.cmd().args(["targets", "--check", "--json"]).assert().code(1).get_output().stdout.clone();
    let rows: BTreeMap<String, Json> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Json>(l).unwrap())
        .map(|v| (v["name"].as_str().unwrap().to_string(), v))
        .collect();
    assert_eq!(rows["example"]["ok"], true);
    assert!(rows["example"]["detail"].as_str().unwrap().contains("336 nodes"));
    assert_eq!(rows["nowhere"]["ok"], false);
    assert_eq!(rows["typo"]["ok"], false);
}

#[test]
fn broken_config_files_are_clear_errors() {
    let p = Project::new("  a:\n    database: file\n   path: [unclosed\n");
    p.cmd()
        .args(["copy", "--source", "a", "--target", "a", "--all"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("nodestream.yaml:4: invalid YAML"));
    let p = Project::new("  a:\n    database: file\n    path: [x, y]\n  b:\n    database: neo4j\n    uri: bolt://h:7687\n    username: u\n    password: hunter22\n    use_enterprise_features: maybe\n");
    p.cmd()
        .args(["copy", "--source", "a", "--target", "b", "--all"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("target `a`, key `path`: expected a string, found a list"));
    p.cmd()
        .args(["targets"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("key `use_enterprise_features`: expected true or false"))
        .stdout(predicate::str::contains("hunter22").not());
}

/// A dump written by an older tool may hold nodestream's migration history and lock: they are
/// bookkeeping of the database it came from, so neither copied nor counted.
#[test]
fn migration_bookkeeping_in_a_dump_is_not_copied_or_counted() {
    let p = Project::new(
        "  src:\n    database: file\n    path: src.jsonl\n  out:\n    database: file\n    path: out.jsonl\n",
    );
    let lines = [
        r#"{"kind":"header","format":"graphferry-dump","version":1}"#,
        r#"{"kind":"node","id":"a","labels":["Movie"],"properties":{"title":"A"}}"#,
        r#"{"kind":"node","id":"h","labels":["__NodestreamMigration__"],"properties":{"name":"0001"}}"#,
        r#"{"kind":"node","id":"l","labels":["__NodestreamMigrationLock__"],"properties":{"lock":"lock"}}"#,
        r#"{"kind":"end","nodes":3,"relationships":0,"node_labels":{"Movie":1,"__NodestreamMigration__":1,"__NodestreamMigrationLock__":1},"relationship_types":{}}"#,
    ];
    std::fs::write(p.path("src.jsonl"), lines.join("\n") + "\n").unwrap();
    let copy = ["copy", "--source", "src", "--target", "out", "--all"];
    p.cmd().args(copy).arg("--dry-run").assert().success().stdout(
        predicate::str::contains("would copy 1 node and 0 relationships")
            .and(predicate::str::contains("__Nodestream").not()),
    );
    p.cmd().args(copy).assert().success();
    let (nodes, _) = read_dump(&p.path("out.jsonl"));
    assert_eq!(nodes.iter().map(|n| n.id.as_str()).collect::<Vec<_>>(), ["a"]);
    p.cmd().args(["verify", "--source", "src", "--target", "out", "--full"]).assert().success();
}

#[test]
fn duplicate_ids_are_refused_naming_both_lines_and_nothing_is_written() {
    let p = Project::new(
        "  dup:\n    database: file\n    path: dup.jsonl\n  out:\n    database: file\n    path: out.jsonl\n",
    );
    let text = std::fs::read_to_string(example_dump()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    // A copy of line `from` inserted as line `at` (lines numbered from 1, the header first).
    let with_copy = |from: usize, at: usize| -> String {
        let mut out: Vec<&str> = lines.clone();
        out.insert(at - 1, lines[from - 1]);
        out.iter().map(|l| format!("{l}\n")).collect()
    };
    for (from, at, expected) in [
        (2, 11, "dup.jsonl:11: node id `person-0` is already on line 2"),
        (338, 341, "dup.jsonl:341: relationship id `r1` is already on line 338"),
    ] {
        std::fs::write(p.path("dup.jsonl"), with_copy(from, at)).unwrap();
        for extra in [&["--all"][..], &["--node", "Person"]] {
            p.cmd()
                .args(["copy", "--source", "dup", "--target", "out"])
                .args(extra)
                .assert()
                .code(1)
                .stderr(predicate::str::contains(expected).and(predicate::str::contains("ids in a dump are unique")));
            assert!(!p.path("out.jsonl").exists(), "nothing written for a dump with a duplicate");
            assert!(!p.path("out.jsonl.tmp").exists());
        }
    }
}
