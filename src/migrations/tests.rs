//! Parsing every operation, nodestream's own files, and planning: order, squashes, cycles.

use std::collections::BTreeSet;
use std::path::Path;

use super::format::{parse, Migration, Operation};
use super::{MigrationSet, PlanError};
use crate::model::Value;

fn migration(name: &str, deps: &[&str]) -> Migration {
    Migration {
        name: name.into(),
        operations: vec![],
        dependencies: deps.iter().map(|s| s.to_string()).collect(),
        replaces: vec![],
        file: format!("migrations/{name}.yaml").into(),
    }
}

fn names(ms: Vec<&Migration>) -> Vec<&str> {
    ms.into_iter().map(|m| m.name.as_str()).collect()
}

fn applied(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| s.to_string()).collect()
}

#[test]
fn parses_every_operation() {
    let text = r#"
name: all_ops
dependencies: []
operations:
  - {operation: CreateNodeType, arguments: {name: P, keys: [id], properties: [a]}}
  - {operation: CreateRelationshipType, arguments: {name: R, keys: [], properties: [w]}}
  - {operation: DropNodeType, arguments: {name: P}}
  - {operation: DropRelationshipType, arguments: {name: R}}
  - {operation: RenameNodeType, arguments: {old_type: A, new_type: B}}
  - {operation: RenameRelationshipType, arguments: {old_type: A, new_type: B}}
  - {operation: AddNodeProperty, arguments: {node_type: P, property_name: x, default: 1}}
  - {operation: AddRelationshipProperty, arguments: {relationship_type: R, property_name: x}}
  - {operation: DropNodeProperty, arguments: {node_type: P, property_name: x}}
  - {operation: DropRelationshipProperty, arguments: {relationship_type: R, property_name: x}}
  - {operation: RenameNodeProperty, arguments: {node_type: P, old_property_name: a, new_property_name: b}}
  - {operation: RenameRelationshipProperty, arguments: {relationship_type: R, old_property_name: a, new_property_name: b}}
  - {operation: AddAdditionalNodePropertyIndex, arguments: {node_type: P, field_name: f}}
  - {operation: DropAdditionalNodePropertyIndex, arguments: {node_type: P, field_name: f}}
  - {operation: AddAdditionalRelationshipPropertyIndex, arguments: {relationship_type: R, field_name: f}}
  - {operation: DropAdditionalRelationshipPropertyIndex, arguments: {relationship_type: R, field_name: f}}
  - {operation: NodeKeyExtended, arguments: {node_type: P, added_key_property: k, default: ""}}
  - {operation: RelationshipKeyExtended, arguments: {relationship_type: R, added_key_property: k, default: 0}}
  - {operation: NodeKeyPartRenamed, arguments: {node_type: P, old_key_part_name: a, new_key_part_name: b}}
  - {operation: RelationshipKeyPartRenamed, arguments: {relationship_type: R, old_key_part_name: a, new_key_part_name: b}}
"#;
    let m = parse(Path::new("all.yaml"), text).unwrap();
    assert_eq!(m.operations.len(), super::format::OPERATIONS.len());
    for (op, name) in m.operations.iter().zip(super::format::OPERATIONS) {
        assert_eq!(op.name(), *name);
    }
    assert_eq!(
        m.operations[0],
        Operation::CreateNodeType { name: "P".into(), keys: vec!["id".into()], properties: vec!["a".into()] }
    );
}

#[test]
fn unknown_operation_names_file_line_and_suggests() {
    let text = "name: x\ndependencies: []\noperations:\n- arguments: {name: P}\n  operation: CreateNodeTyp\n";
    let err = parse(Path::new("m/x.yaml"), text).unwrap_err().to_string();
    assert!(err.starts_with("m/x.yaml:5: unknown operation `CreateNodeTyp`"), "{err}");
    assert!(err.contains("did you mean `CreateNodeType`?"), "{err}");
}

#[test]
fn unknown_or_missing_argument_is_an_error_with_the_line() {
    let text = "name: x\noperations:\n- operation: DropNodeType\n  arguments: {name: P}\n- operation: DropNodeType\n  arguments: {nmae: P}\n";
    let err = parse(Path::new("x.yaml"), text).unwrap_err().to_string();
    assert!(err.starts_with("x.yaml:5:"), "{err}");
    assert!(err.contains("nmae"), "{err}");
    let text = "name: x\noperations:\n- operation: RenameNodeType\n  arguments: {old_type: P}\n";
    let err = parse(Path::new("x.yaml"), text).unwrap_err().to_string();
    assert!(err.contains("missing field `new_type`"), "{err}");
}

#[test]
fn bad_yaml_and_unknown_top_level_keys() {
    let err = parse(Path::new("x.yaml"), "name: [\n").unwrap_err().to_string();
    assert!(err.starts_with("x.yaml:"), "{err}");
    let err = parse(Path::new("x.yaml"), "name: x\nopertions: []\n").unwrap_err().to_string();
    assert!(err.contains("opertions"), "{err}");
}

#[test]
fn nodestream_written_files_parse_and_plan() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/migrations/nodestream");
    let set = super::load(&dir).unwrap();
    assert_eq!(names(set.pending(&applied(&[])).unwrap()), ["20240612010203", "20240701090000"]);
    assert_eq!(names(set.pending(&applied(&["20240612010203"])).unwrap()), ["20240701090000"]);
    let keys = set.node_keys().unwrap();
    assert_eq!(keys["Person"], ["name", "country"]);
    assert_eq!(keys["Film"], ["title"], "keys follow the rename");
    assert!(!keys.contains_key("Movie"));
}

#[test]
fn order_is_topological_with_name_ties() {
    let set = MigrationSet::new(vec![
        migration("c", &["a"]),
        migration("b", &["c"]),
        migration("a", &[]),
        migration("d", &[]),
    ])
    .unwrap();
    assert_eq!(names(set.pending(&applied(&[])).unwrap()), ["a", "c", "b", "d"]);
    assert_eq!(names(set.pending(&applied(&["a", "d"])).unwrap()), ["c", "b"]);
}

#[test]
fn cycles_and_missing_dependencies_are_named() {
    let err = MigrationSet::new(vec![
        migration("a", &["c"]),
        migration("b", &["a"]),
        migration("c", &["b"]),
        migration("z", &[]),
    ])
    .unwrap_err();
    let PlanError::Cycle { cycle } = &err else { panic!("{err}") };
    assert_eq!(cycle.first(), cycle.last());
    assert_eq!(cycle.len(), 4, "{cycle:?}");
    assert!(err.to_string().contains("a -> c -> b -> a"), "{err}");

    let err = MigrationSet::new(vec![migration("a", &["ghost"])]).unwrap_err().to_string();
    assert!(err.contains("`a` depends on `ghost`"), "{err}");
    assert!(err.contains("migrations/a.yaml"), "{err}");

    let err = MigrationSet::new(vec![migration("a", &[]), migration("a", &[])]).unwrap_err().to_string();
    assert!(err.contains("two migrations are named `a`"), "{err}");
}

#[test]
fn squash_is_used_only_when_nothing_it_replaces_ran() {
    let mut squash = migration("s", &[]);
    squash.replaces = vec!["a".into(), "b".into()];
    let set =
        MigrationSet::new(vec![migration("a", &[]), migration("b", &["a"]), squash, migration("c", &["b"])]).unwrap();
    assert_eq!(names(set.pending(&applied(&[])).unwrap()), ["s", "c"]);
    assert_eq!(names(set.pending(&applied(&["a"])).unwrap()), ["b", "c"]);
    assert_eq!(names(set.pending(&applied(&["s"])).unwrap()), ["c"]);
    assert_eq!(names(set.pending(&applied(&["a", "b"])).unwrap()), ["c"]);
    let status = super::run::status(&set, &applied(&["a"])).unwrap();
    let states: Vec<(&str, &str)> = status.iter().map(|s| (s.migration.as_str(), s.state)).collect();
    assert_eq!(states, [("a", "applied"), ("s", "skipped"), ("b", "pending"), ("c", "pending")]);
}

#[test]
fn squash_without_the_replaced_files() {
    let mut squash = migration("s", &[]);
    squash.replaces = vec!["a".into(), "b".into()];
    let set = MigrationSet::new(vec![squash, migration("c", &["b"])]).unwrap();
    assert_eq!(names(set.pending(&applied(&[])).unwrap()), ["s", "c"]);
    let err = set.pending(&applied(&["a"])).unwrap_err().to_string();
    assert!(err.contains("restore the replaced migration files"), "{err}");
}

#[test]
fn pending_operations_carry_the_keys_declared_once_each_has_run() {
    let file = |name: &str, deps: &str, ops: &str| {
        parse(Path::new(name), &format!("name: '{name}'\ndependencies: [{deps}]\noperations:\n{ops}")).unwrap()
    };
    let set = MigrationSet::new(vec![
        file("1", "", "- {operation: CreateNodeType, arguments: {name: Movie, keys: [title]}}\n- {operation: CreateNodeType, arguments: {name: P, keys: [a]}}\n"),
        file("2", "'1'", "- {operation: RenameNodeType, arguments: {old_type: Movie, new_type: Film}}\n- {operation: NodeKeyExtended, arguments: {node_type: P, added_key_property: b, default: 0}}\n- {operation: NodeKeyPartRenamed, arguments: {node_type: P, old_key_part_name: a, new_key_part_name: c}}\n"),
    ])
    .unwrap();
    // Only the second is pending: its keys start from what the first declared.
    let pending = set.pending_with_keys(&applied(&["1"])).unwrap();
    assert_eq!(names(pending.iter().map(|p| p.migration).collect()), ["2"]);
    let shown = |k: &super::NodeKeys| k.iter().map(|(l, k)| format!("{l}:{}", k.join(","))).collect::<Vec<_>>();
    let after: Vec<Vec<String>> = pending[0].keys_after.iter().map(shown).collect();
    assert_eq!(after, [vec!["Film:title", "P:a"], vec!["Film:title", "P:a,b"], vec!["Film:title", "P:c,b"]]);
}

#[test]
fn defaults_are_values_from_the_moment_the_file_is_read() {
    let text = "name: d\noperations:\n\
        - {operation: AddNodeProperty, arguments: {node_type: P, property_name: a, default: 1.0}}\n\
        - {operation: AddNodeProperty, arguments: {node_type: P, property_name: b, default: null}}\n\
        - {operation: AddRelationshipProperty, arguments: {relationship_type: R, property_name: c}}\n\
        - {operation: NodeKeyExtended, arguments: {node_type: P, added_key_property: k, default: [x, {y: 2}]}}\n";
    let m = parse(Path::new("d.yaml"), text).unwrap();
    let defaults: Vec<Option<&Value>> = m
        .operations
        .iter()
        .map(|op| match op {
            Operation::AddNodeProperty { default, .. } | Operation::AddRelationshipProperty { default, .. } => {
                default.as_ref()
            }
            Operation::NodeKeyExtended { default, .. } => Some(default),
            other => panic!("{other:?}"),
        })
        .collect();
    let map = Value::Map([("y".to_string(), Value::Int(2))].into());
    let list = Value::List(vec![Value::String("x".into()), map]);
    assert_eq!(defaults, [Some(&Value::Float(1.0)), None, None, Some(&list)]);

    // Written back, they read the same (make writes migrations through the same types).
    let written = serde_yaml::to_string(&m.operations).unwrap();
    assert!(written.contains("default: 1.0\n") && written.contains("default: null\n"), "{written}");
    assert_eq!(serde_yaml::from_str::<Vec<Operation>>(&written).unwrap(), m.operations);
}

#[test]
fn a_default_with_no_graph_value_names_file_line_and_migration() {
    let text = "name: big\noperations:\n- operation: DropNodeType\n  arguments: {name: P}\n\
        - operation: RelationshipKeyExtended\n  arguments: {relationship_type: R, added_key_property: k, default: 18446744073709551615}\n";
    let err = parse(Path::new("m/big.yaml"), text).unwrap_err().to_string();
    assert!(err.starts_with("m/big.yaml:5: migration `big`, operation 2 (`RelationshipKeyExtended`):"), "{err}");
    assert!(err.contains("18446744073709551615 does not fit in 64 bits"), "{err}");
}

#[test]
fn make_writes_nodestreams_yaml() {
    let details = crate::connector::SchemaDetails {
        node_properties: [("Person".to_string(), ["email", "name"].map(String::from).into())].into(),
        node_keys: [("Person".to_string(), vec!["email".to_string()])].into(),
        node_indexes: [("Person".to_string(), ["name".to_string()].into())].into(),
        relationship_properties: [("KNOWS".to_string(), ["since".to_string()].into())].into(),
        ..Default::default()
    };
    let existing = MigrationSet::new(vec![migration("0001", &[])]).unwrap();
    let m = super::make::from_schema(&details, &existing, "0002_schema".into(), Path::new("migrations"));
    assert_eq!(
        super::make::to_yaml(&m).unwrap(),
        "name: 0002_schema\noperations:\n\
         - operation: CreateNodeType\n  arguments:\n    name: Person\n    keys:\n    - email\n    properties:\n    - name\n\
         - operation: AddAdditionalNodePropertyIndex\n  arguments:\n    node_type: Person\n    field_name: name\n\
         - operation: CreateRelationshipType\n  arguments:\n    name: KNOWS\n    keys: []\n    properties:\n    - since\n\
         dependencies:\n- '0001'\n"
    );
}
