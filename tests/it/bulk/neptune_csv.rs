//! `neptune-csv`: the shared graph's export parsed back, header types and every record checked
//! against the source; deterministic output and atomic replacement; gzip and file splitting.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use graphferry::connector::neptune::encoding::{encode, Encoded};
use graphferry::connector::neptune::TemporalEncoding;
use graphferry::model::Value;
use serde_json::Value as Json;

use super::{files, project, source, source_graph, AWKWARD};

pub fn target(name: &str, path: &str, extra: &str) -> String {
    format!("  {name}:\n    database: neptune-csv\n    path: {path}\n{extra}")
}

/// A file's text, gunzipped when it is gzip.
pub fn text(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap();
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut s = String::new();
        flate2::read::GzDecoder::new(&bytes[..]).read_to_string(&mut s).unwrap();
        s
    } else {
        String::from_utf8(bytes).unwrap()
    }
}

/// Every data file under `dir/<kind>`: header and rows, as the csv crate reads them.
fn parse(dir: &Path, kind: &str) -> Vec<(Vec<String>, Vec<Vec<String>>)> {
    let mut out = Vec::new();
    for (name, _) in files(&dir.join(kind)) {
        let text = text(&dir.join(kind).join(&name));
        let mut r = csv::ReaderBuilder::new().from_reader(text.as_bytes());
        let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
        let rows = r.records().map(|rec| rec.unwrap().iter().map(String::from).collect()).collect();
        out.push((header, rows));
    }
    out
}

/// The (type, cell) a value must be written as: Neptune's encoding of the query path.
fn expected(value: &Value) -> Option<(&'static str, String)> {
    match encode(value, TemporalEncoding::DateTime).0 {
        Encoded::Omitted => None,
        Encoded::Json(Json::Bool(b)) => Some(("Bool", b.to_string())),
        Encoded::Json(Json::Number(n)) if n.is_i64() => Some(("Long", n.to_string())),
        Encoded::Json(Json::Number(n)) => Some(("Double", n.to_string())),
        Encoded::Json(Json::String(s)) => Some(("String", s)),
        Encoded::Json(other) => panic!("not a scalar: {other}"),
        Encoded::DateTime(t) => Some(("DateTime", t.strip_suffix(".000Z").map_or(t.clone(), |s| format!("{s}Z")))),
    }
}

/// Checks each property cell of a row against the source's properties.
fn check_properties(
    header: &[String],
    row: &[String],
    first: usize,
    props: &graphferry::model::Properties,
    what: &str,
) {
    let mut seen = 0;
    for (h, cell) in header.iter().zip(row).skip(first) {
        let (name, ty) = h.rsplit_once(':').unwrap_or_else(|| panic!("{what}: header `{h}` has no type"));
        let name = name.replace("\\:", ":");
        assert!(["Bool", "Long", "Double", "String", "DateTime"].contains(&ty), "{what}: header type {h}");
        match props.get(&name).and_then(expected) {
            Some((want_ty, want)) if want_ty == ty => {
                seen += 1;
                if ty == "Double" {
                    assert_eq!(
                        cell.parse::<f64>().unwrap().to_bits(),
                        want.parse::<f64>().unwrap().to_bits(),
                        "{what}.{name}"
                    );
                } else {
                    assert_eq!(*cell, want, "{what}.{name}");
                }
            }
            _ => assert_eq!(cell, "", "{what}.{name}: a column of another type or property is empty"),
        }
    }
    let present = props.values().filter(|v| expected(v).is_some()).count();
    assert_eq!(seen, present, "{what}: every property has its cell");
}

/// Checks every file of a Neptune export against `g`: each record once, every header type.
pub fn check_export(dir: &Path, g: &crate::neptune::expect::Graph) {
    let mut nodes_seen = BTreeMap::new();
    for (header, rows) in parse(dir, "nodes") {
        assert_eq!(&header[..2], [":ID", ":LABEL"]);
        for row in rows {
            let node = g.nodes.get(&row[0]).unwrap_or_else(|| panic!("unknown node {}", row[0]));
            let mut labels = node.labels.clone();
            labels.sort();
            assert_eq!(row[1], labels.join(";"), "labels of {}", node.id);
            check_properties(&header, &row, 2, &node.properties, &format!("node {}", node.id));
            assert!(nodes_seen.insert(row[0].clone(), ()).is_none(), "node {} written twice", row[0]);
        }
    }
    assert_eq!(nodes_seen.len(), g.nodes.len(), "every node written");
    let mut rels_seen = 0;
    for (header, rows) in parse(dir, "relationships") {
        assert_eq!(&header[..4], [":ID", ":START_ID", ":END_ID", ":TYPE"]);
        for row in rows {
            let rel = &g.relationships[&row[0]];
            assert_eq!((&row[1], &row[2], &row[3]), (&rel.start, &rel.end, &rel.rel_type));
            check_properties(&header, &row, 4, &rel.properties, &format!("relationship {}", rel.id));
            rels_seen += 1;
        }
    }
    assert_eq!(rels_seen, g.relationships.len(), "every relationship written");
}

#[test]
fn the_shared_graph_exports_and_parses_back_exactly() {
    let db = source("bulk_np", true);
    let p = project(&db, &target("nep", "nep", ""));
    let g = source_graph(&p);
    let out = p.cmd().args(["copy", "--source", "bolt", "--target", "nep", "--all", "--json"]).assert().success();
    let summary: Json = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert!(summary["next_steps"].as_str().unwrap().contains("aws s3 cp --recursive"), "{summary}");
    let conversions = summary["conversions"].to_string();
    assert!(conversions.contains("LIST -> STRING (JSON, dump encoding)"), "{conversions}");
    check_export(&p.path("nep"), &g);
    // The awkward strings came back exact (checked above too; this names the case).
    let all: String = files(&p.path("nep")).values().map(|b| String::from_utf8_lossy(b).into_owned()).collect();
    let mut r = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(all.as_bytes());
    assert!(r.records().any(|rec| rec.map(|rec| rec.iter().any(|c| c == AWKWARD)).unwrap_or(false)));
    let load: Json = serde_json::from_slice(&std::fs::read(p.path("nep/load.json")).unwrap()).unwrap();
    assert_eq!(load["nodes"]["format"], "opencypher");
    assert_eq!(load["relationships"]["userProvidedEdgeIds"], "TRUE");
}

#[test]
fn the_same_input_gives_the_same_files_and_a_rerun_replaces_the_folder() {
    let db = source("bulk_np_det", true);
    let p = project(
        &db,
        &format!(
            "{}{}{}",
            target("a", "a", "    gzip: true\n    max_file_mb: 1\n"),
            target("b", "b", "    gzip: true\n    max_file_mb: 1\n"),
            target("c", "c", "    gzip: true\n    max_file_mb: 1\n")
        ),
    );
    let copy = |to: &str, extra: &[&str]| {
        p.cmd().args(["copy", "--source", "bolt", "--target", to, "--all"]).args(extra).assert().success();
    };
    // Small batches spool chunks written before every column was known (laid out again at the
    // end); one batch spools chunks that are copied whole: the files must not differ.
    copy("a", &["--concurrency", "4", "--batch-size", "2"]);
    std::fs::create_dir_all(p.path("b")).unwrap();
    std::fs::write(p.path("b/stale.csv"), "old").unwrap();
    copy("b", &["--concurrency", "1", "--batch-size", "2"]);
    copy("c", &["--batch-size", "100000"]);
    assert_eq!(files(&p.path("c")).len(), files(&p.path("a")).len());
    for (k, _) in files(&p.path("a")).iter().filter(|(k, _)| k.to_string_lossy().ends_with(".csv.gz")) {
        assert_eq!(text(&p.path("a").join(k)), text(&p.path("c").join(k)), "{} differs by batch size", k.display());
    }
    let strip = |m: BTreeMap<std::path::PathBuf, Vec<u8>>| -> BTreeMap<_, _> {
        m.into_iter().filter(|(k, _)| !k.ends_with("README.md") && !k.ends_with("load.json")).collect()
    };
    let (a, b) = (strip(files(&p.path("a"))), strip(files(&p.path("b"))));
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>(), "the same files");
    assert!(a.keys().all(|k| k.to_string_lossy().ends_with(".csv.gz")));
    for (k, v) in &a {
        assert_eq!(text(&p.path("a").join(k)), text(&p.path("b").join(k)), "{} differs", k.display());
        assert!(!v.is_empty());
    }
    assert!(!p.path("b/stale.csv").exists(), "the re-run replaced the folder whole");
    let siblings: Vec<_> = std::fs::read_dir(p.dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(!siblings.iter().any(|n| n.to_string_lossy().contains("graphferry-staging")), "{siblings:?}");
}

#[test]
fn a_property_name_the_format_cannot_hold_fails_the_export_naming_it() {
    let db = source("bulk_np_names", false);
    let p = project(&db, &target("nep", "nep", ""));
    let out = p.cmd().args(["copy", "--source", "bolt", "--target", "nep", "--all"]).assert().failure();
    let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(err.contains("pr op`x") || err.contains("ünï prop"), "{err}");
    assert!(err.contains("space, comma or line break"), "{err}");
    assert!(!p.path("nep").exists(), "a failed export leaves no folder");
}
