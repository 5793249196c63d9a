//! `neo4j-admin-csv`: the shared graph's export parsed back (header files, typed columns,
//! arrays split on the delimiter the README's command names), every record checked against the
//! source. Not loaded into a real Neo4j: no import tool runs on this machine.

use std::collections::BTreeMap;
use std::path::Path;

use graphferry::model::Value;
use serde_json::Value as Json;

use super::{files, project, source, source_graph, AWKWARD};

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
