//! The test graph, and reading a graph back with the tests' own queries for comparison.

use std::collections::BTreeMap;

use graphferry::connector::neo4j::value::from_bolt;
use graphferry::model::{same_properties, Properties, Value};
use neo4rs::{query, BoltType};

/// Every value kind a Neo4j property can hold, multi-label and unlabelled nodes, parallel
/// relationships (two of them identical), self-loops, and labels, types and property names with
/// any characters (issue 14, point 5): spaces, backticks, single and double quotes, unicode
/// (beyond the BMP too) and leading digits. Loaded with literals (on ArcadeDB a plain DATETIME parameter
/// loses its offset); bytes have no literal and go as a parameter.
///
/// Not here, because no Neo4j server stores them as properties: null (an absent property), maps,
/// nested lists and lists holding nulls (the sink refuses those with a message naming the
/// property). What ArcadeDB changes on loading: a BCE date (`-0044-03-15` is stored as
/// `0045-03-15`, a year-of-era slip). The round trip compares the targets with what the source
/// server stored, read back over Bolt, so that slip is copied faithfully, not counted against
/// the copy; `check_what_arcadedb_stored` pins down every other kind as loaded.
pub const GRAPH: &str = r#"
CREATE (a:Person:`we``ird lab` {name: 'a', `pr op``x`: 'weird', b: true, i_min: -9223372036854775808,
          i_max: 9223372036854775807, f: 0.1 + 0.2, f_whole: 3.0, f_neg_zero: -0.0,
          f_max: 1.7976931348623157e308, f_sub: 1.0e-310, f_nan: 0.0 / 0.0, f_inf: 1.0 / 0.0,
          f_ninf: -1.0 / 0.0, s: 'héllo "wörld" 😀 千と千尋\n\ttab', s_empty: '', ls: ['a', 'a', 'b'],
          li: [3, 1, 2], lf: [1.5, -0.0], lb: [true, false], le: []}),
       (b:Person {name: 'b', d: date('2024-02-29'), d_bce: date('-0044-03-15'), t: time('23:59:58.123456789-05:30'),
          lt: localtime('23:59:58.123456789'), dt: datetime('2024-02-29T23:59:58.123456789+01:00'),
          dt_zone: datetime('2024-02-29T23:59:58.123456789[Europe/Paris]'),
          ldt: localdatetime('2024-02-29T23:59:58.123456789'),
          du: duration({months: 14, days: 3, seconds: 3723, nanoseconds: 500000000}),
          p: point({srid: 4326, x: 2.3522, y: 48.8566}), p3: point({x: -1.0, y: 0.0, z: 0.000000001}),
          ld: [date('2024-01-01'), date('2024-01-02')]}),
       (c {name: 'c'}),
       (m:Movie {title: 'm', bytes: $bytes}),
       (q:`it's "quoted"`:`ünï 𝄞 label`:`1st` {name: 'q', `it's "p"`: 1, `ünï prop`: 'x', `9lives`: true}),
       (a)-[:KNOWS {since: 2001}]->(b), (a)-[:KNOWS {since: 2001}]->(b), (a)-[:KNOWS {since: 2002}]->(b),
       (b)-[:KNOWS]->(b), (a)-[:`ACTED IN` {`ro``le`: 'x y'}]->(m), (c)-[:LIKES]->(a), (c)-[:LIKES]->(c),
       (q)-[:`it's "T"` {`it's "r"`: 1, `1x`: 2}]->(a), (a)-[:`1st ünï`]->(q), (q)-[:`back``tick`]->(q)
"#;

pub async fn load(bolt: &neo4rs::Graph, database: &str) {
    let q = query(GRAPH).param("bytes", vec![0u8, 255, 1, 2, 128]);
    bolt.run_on(database, q).await.unwrap_or_else(|e| panic!("loading the test graph into `{database}`: {e}"));
}

/// A graph keyed by source id: nodes (sorted labels, properties), relationships (type, start,
/// end, properties).
#[derive(Debug, Default)]
pub struct Graph {
    pub nodes: BTreeMap<String, (Vec<String>, Properties)>,
    pub relationships: BTreeMap<String, (String, String, String, Properties)>,
}

/// How ids are read: a source by element id; a graphferry target by the source id it carries
/// (and without graphferry's identity label and property).
#[derive(Clone, Copy, PartialEq)]
pub enum Ids {
    Element,
    Copied,
}

const ID: &str = "_graphferry_id";
const MARKER: &str = "_GraphferryNode";

pub async fn read(bolt: &neo4rs::Graph, database: &str, ids: Ids) -> Graph {
    let mut graph = Graph::default();
    // Not nodestream's migration history and lock, which a migrated database holds too.
    let nodes = "MATCH (n) WHERE NOT n:`__NodestreamMigration__` AND NOT n:`__NodestreamMigrationLock__` \
                 RETURN elementId(n) AS id, labels(n) AS labels, properties(n) AS props";
    for row in rows(bolt, database, nodes).await {
        let mut props = props(&row);
        let id = take_id(&row, &mut props, "id", ids);
        let mut labels: Vec<String> = row.get("labels").unwrap();
        labels.retain(|l| ids == Ids::Element || l != MARKER);
        labels.sort();
        assert!(graph.nodes.insert(id.clone(), (labels, props)).is_none(), "node id {id} twice in `{database}`");
    }
    let rels = "MATCH (a)-[r]->(b) RETURN elementId(r) AS id, type(r) AS t, elementId(a) AS s, elementId(b) AS e, \
                a._graphferry_id AS cs, b._graphferry_id AS ce, properties(r) AS props";
    for row in rows(bolt, database, rels).await {
        let mut props = props(&row);
        let id = take_id(&row, &mut props, "id", ids);
        let (s, e) = match ids {
            Ids::Element => (row.get("s").unwrap(), row.get("e").unwrap()),
            Ids::Copied => (row.get("cs").unwrap(), row.get("ce").unwrap()),
        };
        let rel = (row.get("t").unwrap(), s, e, props);
        assert!(graph.relationships.insert(id.clone(), rel).is_none(), "relationship id {id} twice in `{database}`");
    }
    graph
}

async fn rows(bolt: &neo4rs::Graph, database: &str, text: &str) -> Vec<neo4rs::Row> {
    let mut stream = bolt.execute_on(database, query(text)).await.unwrap_or_else(|e| panic!("{text}: {e}"));
    let mut rows = Vec::new();
    while let Some(row) = stream.next().await.unwrap_or_else(|e| panic!("{text}: {e}")) {
        rows.push(row);
    }
    rows
}

fn props(row: &neo4rs::Row) -> Properties {
    match from_bolt(&row.get::<BoltType>("props").unwrap()).unwrap() {
        Value::Map(m) => m,
        other => panic!("properties are {other:?}"),
    }
}

fn take_id(row: &neo4rs::Row, props: &mut Properties, column: &str, ids: Ids) -> String {
    match ids {
        Ids::Element => row.get(column).unwrap(),
        Ids::Copied => match props.remove(ID) {
            Some(Value::String(id)) => id,
            other => panic!("a copied record without its source id: {other:?} in {props:?}"),
        },
    }
}

/// Record by record, value by value; the message names the record and the property.
pub fn assert_same(expected: &Graph, actual: &Graph, what: &str) {
    assert_eq!(keys(&expected.nodes), keys(&actual.nodes), "{what}: node ids differ");
    assert_eq!(keys(&expected.relationships), keys(&actual.relationships), "{what}: relationship ids differ");
    for (id, (labels, props)) in &expected.nodes {
        let (got_labels, got_props) = &actual.nodes[id];
        assert_eq!(labels, got_labels, "{what}: labels of node {id}");
        assert_props(props, got_props, &format!("{what}: node {id}"));
    }
    for (id, (t, s, e, props)) in &expected.relationships {
        let (got_t, got_s, got_e, got_props) = &actual.relationships[id];
        assert_eq!((t, s, e), (got_t, got_s, got_e), "{what}: type and endpoints of relationship {id}");
        assert_props(props, got_props, &format!("{what}: relationship {id}"));
    }
}

fn keys<V>(m: &BTreeMap<String, V>) -> Vec<&String> {
    m.keys().collect()
}

fn assert_props(expected: &Properties, actual: &Properties, what: &str) {
    if same_properties(expected, actual) {
        return;
    }
    for key in expected.keys().chain(actual.keys()) {
        let (a, b) = (expected.get(key), actual.get(key));
        let same = matches!((a, b), (Some(a), Some(b)) if a.same_as(b));
        assert!(same, "{what}: property `{key}`: expected {a:?}, got {b:?}");
    }
}
