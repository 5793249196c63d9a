//! `--transform`: one file with every operation, run over the shared test graph (plus a few
//! contacts that need cleansing, converting and de-duplicating) from the CLI, file → file and
//! Bolt → Neptune, and checked record by record against what this module says each operation
//! must do to each record, written out here by hand (not computed by graphferry's code).

mod cli;
mod file;
mod neptune;

use std::collections::BTreeMap;
use std::path::Path;

use chrono::TimeZone;
use graphferry::model::{Node, Properties, Relationship, Value, ZonedDateTime};

use crate::bolt::graph::load;
use crate::bolt::server::{bolt_at, bolt_url, fresh_database};
use crate::neptune::expect::{read, Graph};
use crate::neptune::server::block_on;

/// Every operation, in an order where later ones see what earlier ones did.
pub const TRANSFORM: &str = r#"# transform.yaml: the integration tests' transform, every operation once or more
operations:
  - operation: RenameNodeType
    arguments: {old_type: Person, new_type: Customer}
  - operation: RenameRelationshipType
    arguments: {old_type: KNOWS, new_type: FRIEND_OF}
  - operation: RenameNodeProperty
    arguments: {node_type: Customer, old_property_name: name, new_property_name: full_name}
  - operation: RenameRelationshipProperty
    arguments: {relationship_type: FRIEND_OF, old_property_name: since, new_property_name: year}
  - operation: DropNodeLabel
    arguments: {node_type: "we`ird lab"}
  - operation: DropNodeType
    arguments: {name: Movie}
  - operation: DropRelationshipType
    arguments: {name: LIKES}
  - operation: DropNodeProperty
    arguments: {node_type: Customer, property_name: f_nan}
  - operation: SetProperty
    arguments: {node_type: Contact, property_name: source, value: legacy-crm}
  - operation: Cleanse
    arguments: {node_type: Contact, property_name: email, steps: [trim, lower]}
  - operation: Cleanse
    arguments: {node_type: Contact, property_name: phone, steps: [{replace: {pattern: "\\D", with: ""}}]}
  - operation: Cleanse
    arguments: {node_type: Contact, property_name: name, steps: [{normalize: NFC}, collapse_whitespace]}
  - operation: Coerce
    arguments: {node_type: Contact, property_name: age, to: integer, on_error: null}
  - operation: Coerce
    arguments: {node_type: Contact, property_name: joined, to: date, format: "%d/%m/%Y", on_error: keep}
  - operation: Coerce
    arguments: {node_type: Contact, property_name: seen, to: datetime, format: epoch_milliseconds}
  - operation: Coerce
    arguments: {node_type: Contact, property_name: tags, to: list}
  - operation: Coerce
    arguments: {node_type: Customer, property_name: i_max, to: string}
  - operation: Filter
    arguments: {node_type: Contact, where: {property: status, in: [active, pending]}}
  - operation: Deduplicate
    arguments: {node_type: Contact, key: email}
  - operation: IdTemplate
    arguments: {node_type: Contact, template: "contact_{email}"}
"#;

/// Contacts added to the shared test graph: `x2` is `x1` again once its email is cleansed, `x3`
/// is filtered out, `x4` has values that do not convert.
pub const CONTACTS: &str = "MATCH (a:Person {name: 'a'}) \
    CREATE (x1:Contact {key: 'x1', name: 'Rene\u{301}e   Lee', email: ' Ann@Example.com ', phone: '+1 (555) 010-0001', \
              age: '42', joined: '29/02/2024', seen: 1700000000000, tags: '[\"vip\",\"eu\"]', status: 'active'}), \
           (x2:Contact {key: 'x2', name: 'Renée Lee', email: 'ann@example.COM', phone: '555.010.0001', age: '42', \
              joined: '29/02/2024', seen: 1700000000000, tags: '[]', status: 'pending'}), \
           (x3:Contact {key: 'x3', name: 'Bob', email: 'bob@example.com', phone: '5550100002', age: '30', \
              joined: '01/01/2020', seen: 0, tags: '[]', status: 'gone'}), \
           (x4:Contact {key: 'x4', name: 'Cy', email: 'cy@example.com', phone: 'none', age: 'unknown', \
              joined: 'someday', seen: 0, tags: '[1]', status: 'pending'}), \
           (x1)-[:KNOWS {since: 2020}]->(x3), (x2)-[:KNOWS {since: 2021}]->(a), (x4)-[:LIKES]->(x1), \
           (a)-[:`EMAILS`]->(x2)";

/// A fresh ArcadeDB database holding the shared test graph and the contacts.
pub fn source_database(prefix: &str) -> String {
    let db = fresh_database(prefix);
    block_on(async {
        let bolt = bolt_at(&bolt_url(), &db).await;
        load(&bolt, &db).await;
        bolt.run_on(db.as_str(), neo4rs::query(CONTACTS)).await.unwrap_or_else(|e| panic!("loading the contacts: {e}"));
    });
    db
}

fn s(v: &str) -> Value {
    Value::String(v.into())
}

fn utc_millis(ms: i64) -> Value {
    Value::DateTime(ZonedDateTime {
        datetime: chrono::Utc.timestamp_millis_opt(ms).unwrap().fixed_offset(),
        zone: None,
    })
}

/// What the transform must make of `source` (a dump of the graph as the source reads it),
/// record by record.
pub fn expected(source: &Graph) -> Graph {
    let contact_key = |n: &Node| match n.properties.get("key") {
        Some(Value::String(k)) => Some(k.clone()),
        _ => None,
    };
    let id_of_key: BTreeMap<String, String> =
        source.nodes.values().filter_map(|n| contact_key(n).map(|k| (k, n.id.clone()))).collect();
    // Where each source node went: `None` dropped, else its id in the target.
    let mut went: BTreeMap<String, Option<String>> = BTreeMap::new();
    let mut nodes = BTreeMap::new();
    for n in source.nodes.values() {
        let mut n = n.clone();
        let source_id = n.id.clone();
        if n.labels.iter().any(|l| l == "Movie") {
            went.insert(source_id, None);
            continue;
        }
        n.labels.retain(|l| l != "we`ird lab");
        let p = &mut n.properties;
        if let Some(at) = n.labels.iter().position(|l| l == "Person") {
            n.labels[at] = "Customer".into();
            if let Some(name) = p.remove("name") {
                p.insert("full_name".into(), name);
            }
            p.remove("f_nan");
            if let Some(Value::Int(i)) = p.get("i_max") {
                p.insert("i_max".into(), s(&i.to_string()));
            }
        }
        match contact_key(&n).as_deref() {
            Some("x1") => {
                n.id = "contact_ann@example.com".into();
                n.properties = contact("Renée Lee", "ann@example.com", "15550100001", Some(Value::Int(42)), "active");
                n.properties
                    .insert("joined".into(), Value::Date(chrono::NaiveDate::from_ymd_opt(2024, 2, 29).unwrap()));
                n.properties.insert("seen".into(), utc_millis(1_700_000_000_000));
                n.properties.insert("tags".into(), Value::List(vec![s("vip"), s("eu")]));
                n.properties.insert("key".into(), s("x1"));
            }
            // x1 once cleansed: dropped, its relationships moved to x1.
            Some("x2") => {
                went.insert(source_id, Some("contact_ann@example.com".into()));
                continue;
            }
            Some("x3") => {
                went.insert(source_id, None);
                continue;
            }
            Some("x4") => {
                n.id = "contact_cy@example.com".into();
                // `age` does not convert and is nulled; `joined` does not and is kept.
                n.properties = contact("Cy", "cy@example.com", "", None, "pending");
                n.properties.insert("joined".into(), s("someday"));
                n.properties.insert("seen".into(), utc_millis(0));
                n.properties.insert("tags".into(), Value::List(vec![Value::Int(1)]));
                n.properties.insert("key".into(), s("x4"));
            }
            _ => {}
        }
        went.insert(source_id, Some(n.id.clone()));
        nodes.insert(n.id.clone(), n);
    }
    let mut relationships = BTreeMap::new();
    for r in source.relationships.values() {
        let mut r = r.clone();
        let (Some(Some(start)), Some(Some(end))) = (went.get(&r.start), went.get(&r.end)) else { continue };
        (r.start, r.end) = (start.clone(), end.clone());
        match r.rel_type.as_str() {
            "LIKES" => continue,
            "KNOWS" => {
                r.rel_type = "FRIEND_OF".into();
                if let Some(v) = r.properties.remove("since") {
                    r.properties.insert("year".into(), v);
                }
            }
            _ => {}
        }
        relationships.insert(r.id.clone(), r);
    }
    assert_eq!(id_of_key.len(), 4, "the four contacts are in the source");
    Graph { nodes, relationships }
}

fn contact(name: &str, email: &str, phone: &str, age: Option<Value>, status: &str) -> Properties {
    let mut p: Properties = [("name", s(name)), ("email", s(email)), ("phone", s(phone)), ("status", s(status))]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    p.insert("source".into(), s("legacy-crm"));
    if let Some(age) = age {
        p.insert("age".into(), age);
    }
    p
}

/// Record by record, value by value (NaN equal to NaN).
pub fn assert_same(expected: &Graph, actual: &Graph) {
    let ids = |m: &BTreeMap<String, Node>| m.keys().cloned().collect::<Vec<_>>();
    assert_eq!(ids(&expected.nodes), ids(&actual.nodes), "node ids");
    let rids = |m: &BTreeMap<String, Relationship>| m.keys().cloned().collect::<Vec<_>>();
    assert_eq!(rids(&expected.relationships), rids(&actual.relationships), "relationship ids");
    for (id, e) in &expected.nodes {
        let mut e = e.clone();
        let mut a = actual.nodes[id].clone();
        e.labels.sort();
        a.labels.sort();
        assert!(e.same_as(&a), "node {id}:\nexpected {e:?}\nfound    {a:?}");
    }
    for (id, e) in &expected.relationships {
        assert!(
            e.same_as(&actual.relationships[id]),
            "relationship {id}:\nexpected {e:?}\nfound    {:?}",
            actual.relationships[id]
        );
    }
}

pub fn write_transform(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write transform");
    path
}

pub fn read_dump(path: &Path) -> Graph {
    read(path)
}
