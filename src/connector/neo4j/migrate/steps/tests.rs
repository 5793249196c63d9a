//! What each operation runs on Neo4j, as `--dry-run` shows it.

use super::*;

fn described(op: &Operation, enterprise: bool) -> Vec<String> {
    described_with(op, &NodeKeys::new(), enterprise)
}

fn described_with(op: &Operation, keys: &NodeKeys, enterprise: bool) -> Vec<String> {
    steps(op, keys, enterprise).iter().map(|s| describe(s, enterprise)).collect()
}

#[test]
fn keys_and_indexes_get_nodestreams_names() {
    let create =
        Operation::CreateNodeType { name: "Per`son".into(), keys: vec!["b".into(), "a".into()], properties: vec![] };
    let text = described(&create, false);
    assert!(text[0].starts_with("SHOW INDEXES") && text[0].contains(r#"$keys = ["a", "b"]"#), "{}", text[0]);
    assert_eq!(
        text[1],
        "CREATE CONSTRAINT `Per``son_node_key` IF NOT EXISTS FOR (n:`Per``son`) REQUIRE (n.`a`, n.`b`) IS UNIQUE"
    );
    assert!(described(&create, true)[1].ends_with("IS NODE KEY"));
    let no_keys = Operation::CreateNodeType { name: "P".into(), keys: vec![], properties: vec!["x".into()] };
    assert!(steps(&no_keys, &NodeKeys::new(), false).is_empty());
    let index =
        Operation::AddAdditionalRelationshipPropertyIndex { relationship_type: "R".into(), field_name: "w".into() };
    assert_eq!(
        described(&index, false),
        ["CREATE INDEX `R_w_additional_index` IF NOT EXISTS FOR ()-[r:`R`]-() ON (r.`w`)"]
    );
    let drop = Operation::DropAdditionalNodePropertyIndex { node_type: "P".into(), field_name: "f".into() };
    assert_eq!(described(&drop, false), ["DROP INDEX `P_f_additional_index` IF EXISTS"]);
}

#[test]
fn data_changes_are_bounded_rounds() {
    let rename = Operation::RenameNodeType { old_type: "Movie".into(), new_type: "Film".into() };
    let text = described(&rename, false);
    assert_eq!(text.len(), 5, "{text:#?}");
    assert!(
        text[2].starts_with("MATCH (x:`Movie`) WHERE NOT x:`Film` WITH x LIMIT 1000 SET x:`Film` RETURN count(*) AS c")
    );
    assert!(text[3].starts_with("MATCH (x:`Movie`) WITH x LIMIT 1000 REMOVE x:`Movie` RETURN count(*) AS c"));
    let add = Operation::AddNodeProperty {
        node_type: "P".into(),
        property_name: "s".into(),
        default: Some(Value::String("x".into())),
    };
    assert_eq!(
        described(&add, false),
        ["MATCH (x:`P`) WHERE x.`s` IS NULL WITH x LIMIT 1000 SET x.`s` = $value RETURN count(*) AS c (repeated until it changes nothing) with $value = \"x\""]
    );
    let no_default = Operation::AddNodeProperty { node_type: "P".into(), property_name: "s".into(), default: None };
    assert!(steps(&no_default, &NodeKeys::new(), false).is_empty());
    let same = Operation::RenameNodeProperty {
        node_type: "P".into(),
        old_property_name: "a".into(),
        new_property_name: "a".into(),
    };
    assert!(steps(&same, &NodeKeys::new(), false).is_empty());
}

#[test]
fn key_moves_build_the_declared_key_and_drop_the_old_one_only_after_the_data() {
    let keys = NodeKeys::from([("Film".into(), vec!["title".into()]), ("P".into(), vec!["b".into(), "a".into()])]);
    let rename = Operation::RenameNodeType { old_type: "Movie".into(), new_type: "Film".into() };
    let text = described_with(&rename, &keys, false);
    assert_eq!(text.len(), 7, "{text:#?}");
    assert!(text[0].ends_with(
        "unless it covers exactly (`title`): DROP CONSTRAINT `Film_node_key` IF EXISTS, then CREATE CONSTRAINT `Film_node_key` IF NOT EXISTS FOR (n:`Film`) REQUIRE (n.`title`) IS UNIQUE"
    ), "{}", text[0]);
    assert!(text[2].starts_with("CREATE INDEX `Film_{field}_additional_index`"), "{}", text[2]);
    assert!(text[5].starts_with("DROP INDEX `Movie_{field}_additional_index`"), "{}", text[5]);
    assert_eq!(text[6], "DROP CONSTRAINT `Movie_node_key` IF EXISTS");

    let extend = Operation::NodeKeyExtended {
        node_type: "P".into(),
        added_key_property: "a".into(),
        default: Value::String("x".into()),
    };
    let text = described_with(&extend, &keys, true);
    assert_eq!(text.len(), 2, "{text:#?}");
    assert!(text[0].starts_with("MATCH (x:`P`) WHERE x.`a` IS NULL"), "{}", text[0]);
    assert!(text[1].ends_with("REQUIRE (n.`a`, n.`b`) IS NODE KEY"), "{}", text[1]);

    let renamed = Operation::NodeKeyPartRenamed {
        node_type: "Q".into(),
        old_key_part_name: "a".into(),
        new_key_part_name: "b".into(),
    };
    assert_eq!(described_with(&renamed, &keys, false).len(), 1, "no key declared for Q: its constraint is left alone");
    let renamed = Operation::NodeKeyPartRenamed {
        node_type: "P".into(),
        old_key_part_name: "c".into(),
        new_key_part_name: "b".into(),
    };
    let text = described_with(&renamed, &keys, false);
    assert_eq!(text.len(), 3, "{text:#?}");
    assert_eq!(text[0], "DROP CONSTRAINT `P_node_key` IF EXISTS");
    assert!(text[2].ends_with("REQUIRE (n.`a`, n.`b`) IS UNIQUE"), "{}", text[2]);
}
