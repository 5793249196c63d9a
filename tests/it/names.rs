//! Labels, relationship types and property names with any characters (issue 14, point 5) through
//! the file connector: out of a dump and into one, selected by name, changed by migrations, and
//! verified. (The Bolt and Neptune paths run the shared Bolt test graph's names: `bolt::names`,
//! `bolt::round_trip`, `neptune::bolt`.)

use graphferry::connector::file::{DumpReader, Record};
use graphferry::model::{Node, Relationship, Value};
use serde_json::json;

use crate::support::Project;

const QUOTED: &str = "it's \"quoted\"";
const UNICODE: &str = "ünï 𝄞 label";
const DIGIT: &str = "1st";
const BACKTICK: &str = "we`ird lab";

fn dump_text() -> String {
    let lines = [
        json!({"kind": "header", "format": "graphferry-dump", "version": 1}),
        json!({"kind": "node", "id": "q", "labels": [QUOTED, UNICODE, DIGIT],
               "properties": {"it's \"p\"": 1, "ünï prop": "x", "9lives": true, "sp ace`": 2.5}}),
        json!({"kind": "node", "id": "w", "labels": [BACKTICK], "properties": {"pr op`x": "weird"}}),
        json!({"kind": "node", "id": "u", "labels": [], "properties": {}}),
        json!({"kind": "relationship", "id": "r1", "type": "it's \"T\"", "start": "q", "end": "w",
               "properties": {"it's \"r\"": 1, "1x": 2}}),
        json!({"kind": "relationship", "id": "r2", "type": "1st ünï", "start": "w", "end": "q", "properties": {}}),
        json!({"kind": "relationship", "id": "r3", "type": "back`tick", "start": "u", "end": "u", "properties": {}}),
        json!({"kind": "end", "nodes": 3, "relationships": 3,
               "node_labels": {QUOTED: 1, UNICODE: 1, DIGIT: 1, BACKTICK: 1},
               "relationship_types": {"it's \"T\"": 1, "1st ünï": 1, "back`tick": 1}}),
    ];
    lines.iter().map(|l| format!("{l}\n")).collect()
}

fn read(path: &std::path::Path) -> (Vec<Node>, Vec<Relationship>) {
    let mut reader = DumpReader::open(path).unwrap_or_else(|e| panic!("{e}"));
    let (mut nodes, mut rels) = (Vec::new(), Vec::new());
    while let Some(record) = reader.next_record().unwrap_or_else(|e| panic!("{e}")) {
        match record {
            Record::Node(n) => nodes.push(n),
            Record::Relationship(r) => rels.push(r),
        }
    }
    nodes.sort_by(|a, b| a.id.cmp(&b.id));
    rels.sort_by(|a, b| a.id.cmp(&b.id));
    (nodes, rels)
}

fn ids<T>(records: &[T], id: impl Fn(&T) -> &str) -> Vec<String> {
    records.iter().map(|r| id(r).to_string()).collect()
}

#[test]
fn the_file_connector_takes_names_with_any_characters() {
    let p = Project::new(
        "  src:\n    database: file\n    path: names.jsonl\n  out:\n    database: file\n    path: out.jsonl\n  \
         sel:\n    database: file\n    path: sel.jsonl\n",
    );
    std::fs::write(p.path("names.jsonl"), dump_text()).unwrap();
    let (src_nodes, src_rels) = read(&p.path("names.jsonl"));

    p.cmd().args(["copy", "--source", "src", "--target", "out", "--all"]).assert().success();
    let (nodes, rels) = read(&p.path("out.jsonl"));
    assert_eq!(nodes.len(), src_nodes.len());
    assert!(src_nodes.iter().zip(&nodes).all(|(a, b)| a.same_as(b)), "{nodes:?}");
    assert!(src_rels.iter().zip(&rels).all(|(a, b)| a.same_as(b)) && rels.len() == 3, "{rels:?}");
    p.cmd().args(["verify", "--source", "src", "--target", "out", "--full"]).assert().success();

    // Selected by such names: the node of the quoted label, and a backtick type with its ends.
    p.cmd()
        .args(["copy", "--source", "src", "--target", "sel", "--node", QUOTED, "--relationship", "back`tick"])
        .assert()
        .success();
    let (nodes, rels) = read(&p.path("sel.jsonl"));
    assert_eq!((ids(&nodes, |n| &n.id), ids(&rels, |r| &r.id)), (vec!["q".into(), "u".into()], vec!["r3".into()]));

    // Migrations on a dump target: data operations find and change such names.
    std::fs::create_dir(p.path("migrations")).unwrap();
    std::fs::write(
        p.path("migrations/0001.yaml"),
        r#"name: '0001'
dependencies: []
operations:
- {operation: CreateNodeType, arguments: {name: "it's \"quoted\"", keys: ["it's \"p\""], properties: []}}
- {operation: RenameNodeType, arguments: {old_type: "we`ird lab", new_type: "2nd 'ünï' `x`"}}
- {operation: AddNodeProperty, arguments: {node_type: "1st", property_name: "dëfault \"d\"", default: "v"}}
- {operation: RenameRelationshipProperty, arguments: {relationship_type: "it's \"T\"", old_property_name: "1x", new_property_name: "x 1"}}
"#,
    )
    .unwrap();
    p.cmd().args(["migrations", "run", "--target", "out"]).assert().success();
    let (nodes, rels) = read(&p.path("out.jsonl"));
    let node = |id: &str| nodes.iter().find(|n| n.id == id).unwrap();
    assert_eq!(node("w").labels, ["2nd 'ünï' `x`"]);
    assert_eq!(node("q").properties.get("dëfault \"d\""), Some(&Value::String("v".into())));
    let r1 = rels.iter().find(|r| r.id == "r1").unwrap();
    assert_eq!((r1.properties.get("x 1"), r1.properties.get("1x")), (Some(&Value::Int(2)), None));
}
