//! `neo4j-admin-csv`: the shared graph's export parsed back (header files, typed columns,
//! arrays split on the delimiter the README's command names), every record checked against the
//! source; and imported by the real `neo4j-admin database import full` (Neo4j 5.26, from the
//! Neo4j test server's build, [`neo4j_home`](super::neo4j_home)) with the command the README
//! prints, then served and compared with the source by `graphferry verify --full` and by the
//! independent reader.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, NaiveDateTime, NaiveTime};
use graphferry::model::{Properties, Value};
use serde_json::{json, Value as Json};

use super::neo4j_home::{self, Neo4jHome};
use super::{files, project, source, source_graph, AWKWARD};
use crate::bolt::server::{bolt_at, bolt_url, neo4j_password};
use crate::neptune::expect::Graph;
use crate::neptune::server::block_on;
use crate::support::read_graph;

/// Marks a text not compared exactly (temporal values and points: type and presence only).
const UNCHECKED: &str = "\u{0}";

fn target(name: &str, path: &str) -> String {
    format!("  {name}:\n    database: neo4j-admin-csv\n    path: {path}\n")
}

/// The import type and, for arrays, the element texts a value must come back as.
fn expected(v: &Value) -> Option<(String, Vec<String>)> {
    let scalar = |v: &Value| -> Option<(&'static str, String)> {
        Some(match v {
            Value::Bool(b) => ("boolean", b.to_string()),
            Value::Int(i) => ("long", i.to_string()),
            Value::Float(f) if f.is_nan() => ("double", "NaN".into()),
            Value::Float(f) if f.is_infinite() => ("double", if *f > 0.0 { "Infinity" } else { "-Infinity" }.into()),
            Value::Float(f) => ("double", format!("{f:?}")),
            Value::String(s) => ("string", s.clone()),
            Value::Date(_) => ("date", UNCHECKED.into()),
            Value::Time(_) => ("time", UNCHECKED.into()),
            Value::LocalTime(_) => ("localtime", UNCHECKED.into()),
            Value::DateTime(_) => ("datetime", UNCHECKED.into()),
            Value::LocalDateTime(_) => ("localdatetime", UNCHECKED.into()),
            Value::Duration(_) => ("duration", UNCHECKED.into()),
            Value::Point(_) => ("point", UNCHECKED.into()),
            _ => return None,
        })
    };
    match v {
        Value::List(items) if items.is_empty() => None,
        Value::List(items) => {
            let all: Vec<_> = items.iter().map(scalar).collect::<Option<Vec<_>>>()?;
            Some((format!("{}[]", all[0].0), all.into_iter().map(|(_, t)| t).collect()))
        }
        Value::Bytes(b) => Some(("byte[]".into(), b.iter().map(|x| (*x as i8).to_string()).collect())),
        v => scalar(v).map(|(t, s)| (t.to_string(), vec![s])),
    }
}

fn check_cell(ty: &str, cell: &str, value: &Value, delimiter: char, what: &str) {
    let (want_ty, want) = expected(value).unwrap_or_else(|| panic!("{what}: no cell expected"));
    assert_eq!(ty, want_ty, "{what}: column type");
    let got: Vec<String> =
        if ty.ends_with("[]") { cell.split(delimiter).map(String::from).collect() } else { vec![cell.to_string()] };
    // Temporal and point texts are checked for type and presence; numbers and strings exactly.
    if want.iter().all(|w| w != UNCHECKED) {
        assert_eq!(got, want, "{what}");
    } else {
        assert!(!cell.is_empty(), "{what}: empty cell");
    }
}

/// (header file, its data files) per file set, from the README's import command.
fn file_sets(dir: &Path) -> Vec<(String, Vec<String>)> {
    let readme = std::fs::read_to_string(dir.join("README.md")).unwrap();
    readme
        .lines()
        .filter_map(|l| l.trim().strip_prefix("--nodes=").or_else(|| l.trim().strip_prefix("--relationships=")))
        .map(|l| {
            let files: Vec<String> = l.trim_end_matches(" \\").split(',').map(String::from).collect();
            (files[0].clone(), files[1..].to_vec())
        })
        .collect()
}

#[test]
fn the_shared_graph_exports_and_parses_back_exactly() {
    let db = source("bulk_admin", false);
    let p = project(&db, &target("adm", "adm"));
    let g = source_graph(&p);
    let out = p.cmd().args(["copy", "--source", "bolt", "--target", "adm", "--all", "--json"]).assert().success();
    let summary: Json = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let steps = summary["next_steps"].as_str().unwrap();
    assert!(steps.contains("neo4j-admin database import full neo4j"), "{steps}");
    // `;` and `|` are inside array elements of the awkward node: the next candidate is chosen.
    assert!(steps.contains("--array-delimiter='^'"), "{steps}");
    let delimiter = '^';
    let conversions = summary["conversions"].to_string();
    assert!(conversions.contains("LIST (empty) -> property omitted"), "the empty list `le` is counted: {conversions}");

    let dir = p.path("adm");
    let sets = file_sets(&dir);
    assert_eq!(sets.len(), files(&dir).keys().filter(|k| k.to_string_lossy().ends_with("header.csv")).count());
    let (mut nodes, mut rels) = (BTreeMap::new(), 0);
    let mut awkward_seen = false;
    for (header_file, parts) in sets {
        let header: Vec<String> = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_path(dir.join(&header_file))
            .unwrap()
            .records()
            .next()
            .unwrap()
            .unwrap()
            .iter()
            .map(String::from)
            .collect();
        let is_rel = header[0] == "_graphferry_id:string";
        let first = if is_rel { 4 } else { 2 };
        if is_rel {
            assert_eq!(&header[..4], ["_graphferry_id:string", ":START_ID(node)", ":END_ID(node)", ":TYPE"]);
        } else {
            assert_eq!(&header[..2], ["_graphferry_id:ID(node)", ":LABEL"]);
        }
        for part in parts {
            let mut r = csv::ReaderBuilder::new().has_headers(false).from_path(dir.join(&part)).unwrap();
            for rec in r.records() {
                let row: Vec<String> = rec.unwrap().iter().map(String::from).collect();
                assert_eq!(row.len(), header.len(), "{part}");
                let props = if is_rel {
                    let rel = &g.relationships[&row[0]];
                    assert_eq!((&row[1], &row[2], &row[3]), (&rel.start, &rel.end, &rel.rel_type));
                    rels += 1;
                    &rel.properties
                } else {
                    let node = &g.nodes[&row[0]];
                    let mut labels = node.labels.clone();
                    labels.sort();
                    labels.push("_GraphferryNode".into());
                    assert_eq!(row[1].split(delimiter).collect::<Vec<_>>(), labels, "labels of {}", node.id);
                    assert!(nodes.insert(row[0].clone(), ()).is_none(), "node {} twice", row[0]);
                    &node.properties
                };
                for (h, cell) in header.iter().zip(&row).skip(first) {
                    let (name, ty) = h.rsplit_once(':').unwrap();
                    match props.get(name) {
                        Some(v) if expected(v).is_some_and(|(t, _)| t == ty) => {
                            check_cell(ty, cell, v, delimiter, &format!("{} {name}", row[0]));
                            awkward_seen |= cell == AWKWARD;
                        }
                        _ => assert_eq!(cell, "", "{} {name}: no value", row[0]),
                    }
                }
            }
        }
    }
    assert_eq!(nodes.len(), g.nodes.len());
    assert_eq!(rels, g.relationships.len());
    assert!(awkward_seen, "the awkward string came back exact");
}

#[test]
fn the_files_do_not_depend_on_batch_size_or_concurrency() {
    // Small batches spool chunks before every column is known, some with `;` inside array
    // elements (spooled as JSON) and some without (joined with `;`, which is not the final
    // delimiter here); one big batch spools one chunk per file set. Laid out again or copied
    // whole, the files must be the same.
    let db = source("bulk_admin_det", false);
    let p = project(&db, &format!("{}{}", target("small", "small"), target("one", "one")));
    let copy = |to: &str, extra: &[&str]| {
        p.cmd().args(["copy", "--source", "bolt", "--target", to, "--all"]).args(extra).assert().success();
    };
    copy("small", &["--batch-size", "2", "--concurrency", "4"]);
    copy("one", &["--batch-size", "100000"]);
    let csv = |dir: &str| -> BTreeMap<_, _> {
        files(&p.path(dir)).into_iter().filter(|(k, _)| k.to_string_lossy().ends_with(".csv")).collect()
    };
    let (small, one) = (csv("small"), csv("one"));
    assert!(!small.is_empty());
    assert_eq!(small.keys().collect::<Vec<_>>(), one.keys().collect::<Vec<_>>());
    for (k, v) in &small {
        assert_eq!(String::from_utf8_lossy(v), String::from_utf8_lossy(&one[k]), "{} differs", k.display());
    }
}

/// Array elements holding `^` and `~` besides the awkward node's `;` and `|`, so that the
/// delimiter is U+001F, the form the command writes a control character in; empty strings as
/// array elements, alone (which the export leaves out: its cell would be empty) and not; an
/// empty string; cells this label set's other node leaves absent.
const CARETS: &str = "CREATE (:Person:Awkward {tags: ['x^y', 'a~b', '', ' '], one_empty: [''], two_empty: ['', ''], \
                      trailing: ['a', ''], empty: '', n: 1})";

/// What the export leaves out, counted: an empty list, a list of one empty string.
fn left_out(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::List(items) => items.is_empty() || matches!(items.as_slice(), [Value::String(s)] if s.is_empty()),
        _ => false,
    }
}

/// The README's command block, `cd` included.
fn readme_command(dir: &Path) -> String {
    let readme = std::fs::read_to_string(dir.join("README.md")).unwrap();
    let block = readme.split("```sh\n").nth(1).and_then(|b| b.split("```").next()).expect("a sh block in the README");
    block.to_string()
}

#[test]
fn the_printed_command_imports_into_neo4j_and_the_graph_verifies() {
    let Some(tool) = neo4j_home::built() else {
        eprintln!(
            "SKIPPED: the Neo4j test server is not built in {} (`scripts/test-servers.sh install` builds it)",
            neo4j_home::tool_dir().display()
        );
        return;
    };
    let db = source("bulk_admin_import", false);
    block_on(async {
        bolt_at(&bolt_url(), &db).await.run_on(db.as_str(), neo4rs::query(CARETS)).await.expect("carets")
    });
    let p = project(&db, &target("adm", "adm"));
    let g = source_graph(&p);
    let out = p.cmd().args(["copy", "--source", "bolt", "--target", "adm", "--all", "--json"]).assert().success();
    let summary: Json = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let steps = summary["next_steps"].as_str().unwrap();
    assert!(steps.contains("--array-delimiter=U+001F"), "{steps}");
    let conversions = summary["conversions"].to_string();
    assert!(conversions.contains("LIST (one empty string) -> property omitted"), "{conversions}");
    // What the copy prints and what the README holds are one command.
    let script = readme_command(&p.path("adm"));
    assert_eq!(steps.split_once('\n').map(|s| s.1), script.trim_end().split_once('\n').map(|s| s.1));

    // Run as a user would: the README's block in a shell, `neo4j-admin` found on PATH.
    let home = Neo4jHome::new(tool);
    let import = home.run_admin(&script);
    let output = format!("{}\n{}", String::from_utf8_lossy(&import.stdout), String::from_utf8_lossy(&import.stderr));
    assert!(import.status.success(), "neo4j-admin import failed:\n{output}");
    let imported = format!("Imported:\n  {} nodes\n  {} relationships\n", g.nodes.len(), g.relationships.len());
    assert!(output.contains(&imported), "{output}");

    let served = home.serve();
    let mut config = std::fs::read_to_string(p.config()).unwrap();
    config.push_str(&served.yaml("imported"));
    std::fs::write(p.config(), config).unwrap();
    let out =
        p.cmd().args(["--json", "verify", "--source", "dump", "--target", "imported", "--full"]).output().unwrap();
    let report = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<Json>(l).ok())
        .find(|v| v["event"] == "verify")
        .unwrap_or_else(|| panic!("no verify report: {}", String::from_utf8_lossy(&out.stderr)));
    assert_eq!(report["compared_nodes"], g.nodes.len(), "{report}");
    assert_eq!(report["compared_relationships"], g.relationships.len(), "{report}");
    // The differences are the documented conversions: `le` (an empty list) and `one_empty` are
    // left out; everything else, field by field, is as in the source.
    let holder = |name: &str| g.nodes.values().find(|n| n.properties.contains_key(name)).unwrap().id.clone();
    let missing = |name: &str| json!({"kind": "node", "id": holder(name), "problem": format!("property `{name}` is missing in the target")});
    let mut differences = vec![missing("le"), missing("one_empty")];
    let mut found = report["differences"].as_array().cloned().unwrap_or_default();
    for list in [&mut differences, &mut found] {
        list.sort_by_key(|d| d["id"].to_string());
    }
    assert_eq!(found, differences, "{report}");

    let read = read_graph(&served.uri, "neo4j", "neo4j", &neo4j_password());
    assert_read_independently(&g, &read);
}

/// The imported graph as the official Python driver reads it, record by record against the
/// dump: every value the export carries comes back exactly (temporal values with their offset,
/// zone and every digit), what it leaves out (empty lists, nulls) is absent.
fn assert_read_independently(g: &Graph, read: &Json) {
    let id_of = |props: &Json| props["_graphferry_id"]["value"].as_str().expect("a source id").to_string();
    let nodes = read["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), g.nodes.len());
    for n in nodes {
        let id = id_of(&n[1]);
        let want = &g.nodes[&id];
        let mut labels = want.labels.clone();
        labels.push("_GraphferryNode".into());
        labels.sort();
        assert_eq!(n[0], json!(labels), "labels of {id}");
        assert_typed_properties(&want.properties, &n[1], &format!("node {id}"));
    }
    let rels = read["relationships"].as_array().unwrap();
    assert_eq!(rels.len(), g.relationships.len());
    for r in rels {
        let id = id_of(&r[3]);
        let want = &g.relationships[&id];
        let got = (r[0].as_str().unwrap(), id_of(&r[1][1]), id_of(&r[2][1]));
        assert_eq!(got, (want.rel_type.as_str(), want.start.clone(), want.end.clone()), "relationship {id}");
        assert_typed_properties(&want.properties, &r[3], &format!("relationship {id}"));
    }
}

fn assert_typed_properties(want: &Properties, got: &Json, what: &str) {
    let carried: Vec<(&String, &Value)> = want.iter().filter(|(_, v)| !left_out(v)).collect();
    let names: Vec<&String> = got.as_object().unwrap().keys().filter(|k| *k != "_graphferry_id").collect();
    assert_eq!(names, carried.iter().map(|(k, _)| *k).collect::<Vec<_>>(), "{what}: property names");
    for (name, value) in carried {
        assert!(typed_matches(value, &got[name]), "{what}.{name}: {value:?} in the source, {} read back", got[name]);
    }
}

/// Whether the reader's `{"type", "value"}` (read_graph.py's `typed`) is `want`.
fn typed_matches(want: &Value, got: &Json) -> bool {
    let (ty, value) = (got["type"].as_str().unwrap_or_default(), &got["value"]);
    let text = value.as_str().unwrap_or_default();
    let same_float = |a: f64, b: &Json| {
        b.as_str()
            .and_then(|t| t.parse::<f64>().ok())
            .is_some_and(|b| a.to_bits() == b.to_bits() || a.is_nan() && b.is_nan())
    };
    match want {
        Value::Bool(b) => ty == "BOOLEAN" && *value == json!(b),
        Value::Int(i) => ty == "INTEGER" && text == i.to_string(),
        Value::Float(f) => ty == "FLOAT" && same_float(*f, value),
        Value::String(s) => ty == "STRING" && text == s,
        Value::Bytes(b) => ty == "BYTES" && text == b.iter().map(|x| format!("{x:02x}")).collect::<String>(),
        Value::List(items) => {
            let got = value.as_array().map(Vec::as_slice).unwrap_or_default();
            ty == "LIST" && got.len() == items.len() && items.iter().zip(got).all(|(w, g)| typed_matches(w, g))
        }
        // A BCE date, which Python's date cannot hold, comes as its Bolt structure: days since 1970.
        Value::Date(d) if ty == "RAW BOLT" => {
            let days = d.signed_duration_since(chrono::NaiveDate::default()).num_days();
            *value == json!(["b'D'", format!("[{days}]")])
        }
        Value::Date(d) => ty == "DATE" && text == d.format("%Y-%m-%d").to_string(),
        Value::LocalTime(t) => ty == "LOCAL TIME" && NaiveTime::parse_from_str(text, "%H:%M:%S%.f") == Ok(*t),
        Value::LocalDateTime(t) => {
            ty == "LOCAL DATETIME" && NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f") == Ok(*t)
        }
        Value::Time(t) => {
            let parsed = DateTime::parse_from_rfc3339(&format!("2000-01-01T{text}"));
            ty == "ZONED TIME"
                && parsed.is_ok_and(|d| d.time() == t.time && d.offset().local_minus_utc() == t.offset_seconds)
        }
        Value::DateTime(z) => {
            let parsed = DateTime::parse_from_rfc3339(text);
            ty == "ZONED DATETIME"
                && parsed.is_ok_and(|d| d == z.datetime && d.offset() == z.datetime.offset())
                && got["zone"].as_str() == z.zone.as_deref()
        }
        Value::Duration(d) => ty == "DURATION" && *value == json!([d.months, d.days, d.seconds, d.nanoseconds]),
        Value::Point(p) => {
            let coords: Vec<f64> = [Some(p.x), Some(p.y), p.z].into_iter().flatten().collect();
            let got = value[1].as_array().map(Vec::as_slice).unwrap_or_default();
            ty == "POINT"
                && value[0] == json!(p.srid)
                && got.len() == coords.len()
                && coords.iter().zip(got).all(|(c, g)| same_float(*c, g))
        }
        Value::Null | Value::Map(_) => false,
    }
}
