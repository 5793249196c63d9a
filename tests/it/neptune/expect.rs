//! What a graph looks like after a trip through Neptune, checked record by record: values
//! Neptune holds natively come back exactly; every other value comes back as the string of its
//! documented encoding (README, "Neptune type encodings"); unlabeled nodes carry `vertex`.

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

/// Whether Neptune stores `v` as is: scalars (finite floats) and strictly ascending lists of
/// one such kind.
fn native(v: &Value) -> bool {
    match v {
        Value::Bool(_) | Value::Int(_) | Value::String(_) => true,
        Value::Float(f) => f.is_finite(),
        Value::List(items) => {
            // -0.0 would come back from a set as 0.0.
            let plain = |v: &Value| native(v) && !matches!(v, Value::Float(f) if *f == 0.0 && f.is_sign_negative());
            !items.is_empty()
                && items.iter().all(plain)
                && items.windows(2).all(|w| match (&w[0], &w[1]) {
                    (Value::Int(a), Value::Int(b)) => a < b,
                    (Value::String(a), Value::String(b)) => a < b,
                    (Value::Bool(a), Value::Bool(b)) => a < b,
                    (Value::Float(a), Value::Float(b)) => a < b,
                    _ => false,
                })
        }
        _ => false,
    }
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
pub fn assert_showcase_encodings(back: &Graph) {
    let p = &back.nodes["showcase"].properties;
    let text = |k: &str| match &p[k] {
        Value::String(s) => s.clone(),
        other => panic!("{k}: {other:?}"),
    };
    assert_eq!(text("date"), "2024-02-29");
    assert_eq!(text("date_bce"), "-0044-03-15");
    assert_eq!(text("time"), "23:59:58.123456789-05:30");
    assert_eq!(text("local_time"), "23:59:58.123456789");
    assert_eq!(text("datetime_zone"), "2024-02-29T23:59:58.123456789+01:00[Europe/Paris]");
    assert_eq!(text("datetime_historic_zone"), "1900-01-01T00:00:00+00:19:32[Europe/Amsterdam]");
    assert_eq!(text("local_datetime"), "2024-02-29T23:59:58.123456789");
    assert_eq!(text("duration"), "P14M3DT3723.5S");
    assert_eq!(text("point_wgs84"), "SRID=4326;POINT(2.3522 48.8566)");
    assert_eq!(text("bytes"), "AP8BAoA=");
    assert_eq!(text("float_nan"), "NaN");
    assert_eq!(text("list_of_ints"), "[3,1,2]");
    assert_eq!(text("list_empty"), "[]");
    assert_eq!(text("map"), r#"{"$date":1,"nested":{"$map":{}}}"#);
    assert!(!p.contains_key("null"));
}
