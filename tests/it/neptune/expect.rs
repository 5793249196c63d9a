//! What a graph looks like after a trip through Neptune, checked record by record: values
//! Neptune holds natively come back exactly; every other value comes back as a string, the text
//! of its documented encoding or (`temporal_encoding: datetime`) a DateTime as Neptune's JSON
//! answer writes it (README, "Type encodings in Neptune"); unlabeled nodes carry `vertex`.

use std::collections::BTreeMap;
use std::path::Path;

use graphferry::connector::file::{DumpReader, DumpWriter, Record};
use graphferry::model::{Node, Relationship, Value};

pub struct Graph {
    pub nodes: BTreeMap<String, Node>,
    pub relationships: BTreeMap<String, Relationship>,
}

pub fn read(path: &Path) -> Graph {
    let mut reader = DumpReader::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let (mut nodes, mut relationships) = (BTreeMap::new(), BTreeMap::new());
    while let Some(record) = reader.next_record().expect("dump record") {
        match record {
            Record::Node(n) => drop(nodes.insert(n.id.clone(), n)),
            Record::Relationship(r) => drop(relationships.insert(r.id.clone(), r)),
        }
    }
    Graph { nodes, relationships }
}

/// Writes `graph` to `path` without the nodes labelled `label` and their relationships.
pub fn write_without(graph: &Graph, label: &str, path: &Path) -> Graph {
    let nodes: BTreeMap<String, Node> = graph
        .nodes
        .iter()
        .filter(|(_, n)| !n.labels.iter().any(|l| l == label))
        .map(|(k, n)| (k.clone(), n.clone()))
        .collect();
    let relationships: BTreeMap<String, Relationship> = graph
        .relationships
        .iter()
        .filter(|(_, r)| nodes.contains_key(&r.start) && nodes.contains_key(&r.end))
        .map(|(k, r)| (k.clone(), r.clone()))
        .collect();
    let mut w = DumpWriter::create(path).expect("create dump");
    w.write_nodes(&nodes.values().cloned().collect::<Vec<_>>()).expect("write nodes");
    w.write_relationships(&relationships.values().cloned().collect::<Vec<_>>()).expect("write relationships");
    w.finish().expect("finish dump");
    Graph { nodes, relationships }
}

/// Whether Neptune stores `v` as is: scalars and finite floats. Lists never are (Neptune takes
/// no list property through openCypher).
fn native(v: &Value) -> bool {
    match v {
        Value::Bool(_) | Value::Int(_) | Value::String(_) => true,
        Value::Float(f) => f.is_finite(),
        _ => false,
    }
}

/// Which form temporal values were stored in (the target's `temporal_encoding`).
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Temporal {
    DateTime,
    String,
}

/// The instant a DateTime read back from Neptune stands for (Neptune's JSON answer writes it as
/// an ISO 8601 string; how many fraction digits it shows, and whether it shows zero seconds, is
/// the server's choice).
pub fn instant(text: &str) -> chrono::DateTime<chrono::Utc> {
    ["%Y-%m-%dT%H:%M:%S%.f%#z", "%Y-%m-%dT%H:%M%#z"]
        .iter()
        .find_map(|format| chrono::DateTime::parse_from_str(text, format).ok())
        .unwrap_or_else(|| panic!("{text:?} is not a DateTime answer"))
        .with_timezone(&chrono::Utc)
}

fn check_properties(what: &str, source: &graphferry::model::Properties, back: &graphferry::model::Properties) {
    let expected: Vec<&String> = source.iter().filter(|(_, v)| **v != Value::Null).map(|(k, _)| k).collect();
    let got: Vec<&String> = back.keys().collect();
    assert_eq!(expected, got, "{what}: property names");
    for (k, v) in source.iter().filter(|(_, v)| **v != Value::Null) {
        let b = &back[k];
        if native(v) {
            assert!(b.same_as(v), "{what}.{k}: {v:?} came back as {b:?}");
        } else {
            assert!(matches!(b, Value::String(_)), "{what}.{k}: {v:?} should be stored as a string, got {b:?}");
        }
    }
}

fn sorted(labels: &[String]) -> Vec<String> {
    let mut l = if labels.is_empty() { vec!["vertex".to_string()] } else { labels.to_vec() };
    l.sort();
    l
}

/// `back` (read out of Neptune) holds exactly `source`, as encoded. `node_id` maps a source node
/// id to the id it has in Neptune.
pub fn assert_landed(source: &Graph, back: &Graph, node_id: impl Fn(&Node) -> String) {
    assert_eq!(source.nodes.len(), back.nodes.len(), "node count");
    assert_eq!(source.relationships.len(), back.relationships.len(), "relationship count");
    let mut ids = BTreeMap::new();
    for n in source.nodes.values() {
        let id = node_id(n);
        let b = back.nodes.get(&id).unwrap_or_else(|| panic!("node {} (as {id}) missing", n.id));
        assert_eq!(sorted(&n.labels), sorted(&b.labels), "labels of {id}");
        check_properties(&format!("node {id}"), &n.properties, &b.properties);
        ids.insert(n.id.clone(), id);
    }
    for r in source.relationships.values() {
        let b = back.relationships.get(&r.id).unwrap_or_else(|| panic!("relationship {} missing", r.id));
        assert_eq!(
            (&b.rel_type, &b.start, &b.end),
            (&r.rel_type, &ids[&r.start], &ids[&r.end]),
            "relationship {}",
            r.id
        );
        check_properties(&format!("relationship {}", r.id), &r.properties, &b.properties);
    }
}

/// The documented encodings, exactly, on the example's showcase node.
pub fn assert_showcase_encodings(back: &Graph, temporal: Temporal) {
    let p = &back.nodes["showcase"].properties;
    let text = |k: &str| match &p[k] {
        Value::String(s) => s.clone(),
        other => panic!("{k}: {other:?}"),
    };
    match temporal {
        Temporal::String => {
            assert_eq!(text("date"), "2024-02-29");
            assert_eq!(text("datetime_zone"), "2024-02-29T23:59:58.123456789+01:00[Europe/Paris]");
            assert_eq!(text("datetime_historic_zone"), "1900-01-01T00:00:00+00:19:32[Europe/Amsterdam]");
            assert_eq!(text("local_datetime"), "2024-02-29T23:59:58.123456789");
        }
        Temporal::DateTime => {
            // UTC, cut to the millisecond: what Neptune's DateTime holds.
            assert_eq!(instant(&text("date")), instant("2024-02-29T00:00:00Z"));
            assert_eq!(instant(&text("datetime_zone")), instant("2024-02-29T22:59:58.123Z"));
            assert_eq!(instant(&text("datetime_historic_zone")), instant("1899-12-31T23:40:28Z"));
            assert_eq!(instant(&text("local_datetime")), instant("2024-02-29T23:59:58.123Z"));
        }
    }
    // No DateTime counterpart, or a year a DateTime's text cannot hold: the exact ISO string.
    assert_eq!(text("date_bce"), "-0044-03-15");
    assert_eq!(text("time"), "23:59:58.123456789-05:30");
    assert_eq!(text("local_time"), "23:59:58.123456789");
    assert_eq!(text("duration"), "P14M3DT3723.5S");
    assert_eq!(text("point_wgs84"), "SRID=4326;POINT(2.3522 48.8566)");
    assert_eq!(text("bytes"), "AP8BAoA=");
    assert_eq!(text("float_nan"), "NaN");
    assert_eq!(text("list_of_ints"), "[3,1,2]");
    assert_eq!(text("list_of_strings"), r#"["a","a","b"]"#);
    assert_eq!(text("list_empty"), "[]");
    assert_eq!(text("map"), r#"{"$date":1,"nested":{"$map":{}}}"#);
    assert!(!p.contains_key("null"));
}
