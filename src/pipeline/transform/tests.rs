use std::collections::BTreeMap;
use std::path::Path;

use proptest::prelude::*;

use super::*;
use crate::model::{Node, Properties, Relationship, Value};

fn t(yaml: &str) -> Transform {
    Transform::parse(Path::new("t.yaml"), yaml).unwrap_or_else(|e| panic!("{e}"))
}

fn err(yaml: &str) -> String {
    Transform::parse(Path::new("t.yaml"), yaml).unwrap_err().to_string()
}

fn props(pairs: &[(&str, Value)]) -> Properties {
    pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
}

fn node(id: &str, labels: &[&str], p: &[(&str, Value)]) -> Node {
    Node { id: id.into(), labels: labels.iter().map(|l| l.to_string()).collect(), properties: props(p) }
}

fn rel(id: &str, ty: &str, start: &str, end: &str, p: &[(&str, Value)]) -> Relationship {
    Relationship { id: id.into(), rel_type: ty.into(), start: start.into(), end: end.into(), properties: props(p) }
}

fn s(v: &str) -> Value {
    Value::String(v.into())
}

/// One operation, written as its `arguments:` mapping in flow style.
fn one(operation: &str, arguments: &str) -> Transform {
    t(&format!("operations:\n  - operation: {operation}\n    arguments: {arguments}\n"))
}

/// Runs nodes then relationships through `tr`, as the pipeline does.
fn run(tr: &Transform, nodes: Vec<Node>, rels: Vec<Relationship>) -> (Vec<Node>, Vec<Relationship>, TransformReport) {
    let mut state = State::default();
    let mut report = tr.new_report();
    let nodes = tr.nodes(nodes, &mut state, &mut report).unwrap_or_else(|e| panic!("{e}"));
    let rels = tr.relationships(rels, &state, &mut report).unwrap_or_else(|e| panic!("{e}"));
    (nodes, rels, report)
}

fn one_node(tr: &Transform, n: Node) -> Result<Option<Node>, TransformError> {
    let mut report = tr.new_report();
    tr.node(n, &mut State::default(), &mut report)
}

#[test]
fn renames_labels_types_and_properties() {
    let tr = t(r#"
operations:
  - operation: RenameNodeType
    arguments: {old_type: Person, new_type: Customer}
  - operation: RenameRelationshipType
    arguments: {old_type: KNOWS, new_type: FRIEND_OF}
  - operation: RenameNodeProperty
    arguments: {node_type: Customer, old_property_name: mail, new_property_name: email}
  - operation: RenameRelationshipProperty
    arguments: {relationship_type: FRIEND_OF, old_property_name: y, new_property_name: since}
  - operation: RenameProperty
    arguments: {old_property_name: nm, new_property_name: name}
"#);
    let (nodes, rels, report) = run(
        &tr,
        vec![
            node("1", &["Person", "X"], &[("mail", s("a@b")), ("nm", s("A"))]),
            node("2", &["Dog"], &[("mail", s("d"))]),
        ],
        vec![rel("r", "KNOWS", "1", "2", &[("y", Value::Int(2020)), ("nm", s("k"))])],
    );
    assert_eq!(nodes[0].labels, ["Customer", "X"]);
    assert_eq!(nodes[0].properties, props(&[("email", s("a@b")), ("name", s("A"))]));
    assert_eq!(nodes[1].properties, props(&[("mail", s("d"))]), "the scope is the renamed label only");
    assert_eq!(rels[0].rel_type, "FRIEND_OF");
    assert_eq!(rels[0].properties, props(&[("since", Value::Int(2020)), ("name", s("k"))]));
    let changed: Vec<u64> = report.operations.iter().map(|o| o.changed).collect();
    assert_eq!(changed, [1, 1, 1, 1, 2]);
}

#[test]
fn renaming_a_label_onto_one_the_node_has_keeps_one() {
    let tr = one("RenameNodeType", "{old_type: A, new_type: B}");
    let n = one_node(&tr, node("1", &["A", "B"], &[])).unwrap().unwrap();
    assert_eq!(n.labels, ["B"]);
}

#[test]
fn drops_a_label_nodes_of_a_label_relationships_of_a_type_and_dangling_ones() {
    let tr = t(r#"
operations:
  - operation: DropNodeLabel
    arguments: {node_type: Temp}
  - operation: DropNodeType
    arguments: {name: Secret}
  - operation: DropRelationshipType
    arguments: {name: AUDIT}
"#);
    let (nodes, rels, report) = run(
        &tr,
        vec![node("1", &["Person", "Temp"], &[]), node("2", &["Secret"], &[]), node("3", &["Person"], &[])],
        vec![rel("a", "KNOWS", "1", "3", &[]), rel("b", "KNOWS", "1", "2", &[]), rel("c", "AUDIT", "1", "3", &[])],
    );
    assert_eq!(nodes.iter().map(|n| n.id.as_str()).collect::<Vec<_>>(), ["1", "3"]);
    assert_eq!(nodes[0].labels, ["Person"]);
    assert_eq!(rels.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), ["a"]);
    assert_eq!((report.dropped_nodes, report.dropped_relationships, report.dangling_relationships), (1, 2, 1));
    assert_eq!(report.operations[0].changed, 1);
    assert_eq!(report.operations[1].dropped, 1);
    assert_eq!(report.operations[2].dropped, 1);
}

#[test]
fn drops_and_sets_properties_in_scope() {
    let tr = t(r#"
operations:
  - operation: DropNodeProperty
    arguments: {node_type: Person, property_name: ssn}
  - operation: DropRelationshipProperty
    arguments: {property_name: internal}
  - operation: DropProperty
    arguments: {property_name: tmp}
  - operation: SetProperty
    arguments: {node_type: Person, property_name: source, value: legacy}
  - operation: SetProperty
    arguments: {property_name: tier, value: 1, if_missing: true}
"#);
    let (nodes, rels, report) = run(
        &tr,
        vec![
            node("1", &["Person"], &[("ssn", s("x")), ("tmp", Value::Int(1)), ("tier", Value::Int(3))]),
            node("2", &["Dog"], &[("ssn", s("x"))]),
        ],
        vec![rel("r", "T", "1", "2", &[("internal", Value::Bool(true)), ("tmp", Value::Null)])],
    );
    assert_eq!(nodes[0].properties, props(&[("source", s("legacy")), ("tier", Value::Int(3))]));
    assert_eq!(nodes[1].properties, props(&[("ssn", s("x")), ("tier", Value::Int(1))]));
    assert_eq!(rels[0].properties, props(&[("tier", Value::Int(1))]));
    let changed: Vec<u64> = report.operations.iter().map(|o| o.changed).collect();
    assert_eq!(changed, [1, 1, 2, 1, 2]);
}

#[test]
fn setting_a_value_already_there_changes_nothing() {
    let tr = one("SetProperty", "{property_name: a, value: 1}");
    let mut report = tr.new_report();
    tr.node(node("1", &[], &[("a", Value::Int(1))]), &mut State::default(), &mut report).unwrap();
    assert_eq!(report.operations[0].changed, 0);
    // A float 1.0 is another type: it is set.
    tr.node(node("1", &[], &[("a", Value::Float(1.0))]), &mut State::default(), &mut report).unwrap();
    assert_eq!(report.operations[0].changed, 1);
}

#[test]
fn an_id_template_gives_new_ids_and_repoints_relationships() {
    let tr = one("IdTemplate", r#"{node_type: Person, template: "{label}_{email}"}"#);
    let (nodes, rels, report) = run(
        &tr,
        vec![node("1", &["Person"], &[("email", s("a@b"))]), node("2", &["Dog"], &[])],
        vec![rel("r", "OWNS", "1", "2", &[])],
    );
    assert_eq!(nodes[0].id, "Person_a@b");
    assert_eq!(nodes[1].id, "2");
    assert_eq!((rels[0].start.as_str(), rels[0].end.as_str()), ("Person_a@b", "2"));
    assert_eq!((report.operations[0].changed, report.repointed_relationships), (1, 1));
}

#[test]
fn an_id_template_without_its_property_fails_or_keeps_the_id() {
    let e = one_node(&one("IdTemplate", r#"{node_type: P, template: "p-{email}"}"#), node("7", &["P"], &[]))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("t.yaml:2") && e.contains("`IdTemplate`") && e.contains("node `7`") && e.contains("email"),
        "{e}"
    );
    let tr = one("IdTemplate", r#"{node_type: P, template: "p-{email}-{{x}}", on_error: keep}"#);
    let mut report = tr.new_report();
    let kept = tr.node(node("7", &["P"], &[]), &mut State::default(), &mut report).unwrap().unwrap();
    assert_eq!(kept.id, "7");
    assert_eq!((report.operations[0].failed, report.operations[0].kept), (1, 1));
    let n =
        tr.node(node("7", &["P"], &[("email", Value::Int(5))]), &mut State::default(), &mut report).unwrap().unwrap();
    assert_eq!(n.id, "p-5-{x}");
}

fn coerce_one(to: &str, value: Value) -> Result<Option<Value>, String> {
    let tr = one("Coerce", &format!("{{property_name: v, to: {to}}}"));
    let n = one_node(&tr, node("1", &[], &[("v", value)])).map_err(|e| e.to_string())?.unwrap();
    Ok(n.properties.get("v").cloned())
}

#[test]
fn coerces_strings_to_each_type() {
    use chrono::{NaiveDate, TimeZone};
    assert_eq!(coerce_one("integer", s(" 42 ")), Ok(Some(Value::Int(42))));
    assert_eq!(coerce_one("float", s("2.5")), Ok(Some(Value::Float(2.5))));
    assert_eq!(coerce_one("boolean", s("Yes")), Ok(Some(Value::Bool(true))));
    assert_eq!(coerce_one("string", Value::Int(7)), Ok(Some(s("7"))));
    assert_eq!(coerce_one("string", Value::Float(2.5)), Ok(Some(s("2.5"))));
    assert_eq!(
        coerce_one("date", s("2024-02-29")),
        Ok(Some(Value::Date(NaiveDate::from_ymd_opt(2024, 2, 29).unwrap())))
    );
    assert_eq!(
        coerce_one(r#"date, format: "%d/%m/%Y""#, s("29/02/2024")),
        Ok(Some(Value::Date(NaiveDate::from_ymd_opt(2024, 2, 29).unwrap())))
    );
    let utc = |secs| {
        Value::DateTime(crate::model::ZonedDateTime {
            datetime: chrono::Utc.timestamp_opt(secs, 0).unwrap().fixed_offset(),
            zone: None,
        })
    };
    assert_eq!(coerce_one("datetime, format: epoch_seconds", Value::Int(1_700_000_000)), Ok(Some(utc(1_700_000_000))));
    assert_eq!(coerce_one("datetime, format: epoch_milliseconds", s("1700000000000")), Ok(Some(utc(1_700_000_000))));
    assert_eq!(coerce_one("datetime", s("2023-11-14T22:13:20Z")), Ok(Some(utc(1_700_000_000))));
    let local = NaiveDate::from_ymd_opt(2024, 1, 2).unwrap().and_hms_opt(3, 4, 5).unwrap();
    assert_eq!(
        coerce_one(r#"datetime, format: "%Y%m%d %H%M%S""#, s("20240102 030405")),
        Ok(Some(Value::LocalDateTime(local)))
    );
    assert_eq!(
        coerce_one("map", s(r#"{"a": [1, 2.5, "x"], "$date": null}"#)),
        Ok(Some(Value::Map(BTreeMap::from([
            ("a".into(), Value::List(vec![Value::Int(1), Value::Float(2.5), s("x")])),
            ("$date".into(), Value::Null),
        ]))))
    );
    assert_eq!(coerce_one("list", s("[true]")), Ok(Some(Value::List(vec![Value::Bool(true)]))));
}

#[test]
fn a_value_already_of_the_type_is_not_counted() {
    let tr = one("Coerce", "{property_name: v, to: integer}");
    let mut report = tr.new_report();
    tr.node(node("1", &[], &[("v", Value::Int(1))]), &mut State::default(), &mut report).unwrap();
    tr.node(node("2", &[], &[]), &mut State::default(), &mut report).unwrap();
    assert_eq!(
        report.operations[0],
        OperationCount { index: 1, operation: "Coerce", line: Some(2), ..Default::default() }
    );
}

#[test]
fn coerce_on_error_fail_names_the_record_but_not_the_value() {
    let e = coerce_one("integer", s("forty-two")).unwrap_err();
    assert!(e.contains("t.yaml:2") && e.contains("`Coerce`") && e.contains("node `1`") && e.contains("`v`"), "{e}");
    assert!(!e.contains("forty"), "values never show in errors: {e}");
    assert!(coerce_one("map", s("[1]")).unwrap_err().contains("does not hold a map"));
    assert!(coerce_one("float", Value::Int(i64::MAX)).is_err(), "2^63 has no exact float");
    assert!(coerce_one("integer", Value::Float(1.5)).is_err());
}

#[test]
fn coerce_on_error_keep_and_null_are_counted() {
    let keep = one("Coerce", "{property_name: v, to: date, on_error: keep}");
    let null = one("Coerce", "{node_type: P, property_name: v, to: boolean, on_error: null}");
    for (tr, expected, counted) in [(&keep, Some(s("soon")), (1, 0)), (&null, None, (0, 1))] {
        let mut report = tr.new_report();
        let n = tr.node(node("1", &["P"], &[("v", s("soon"))]), &mut State::default(), &mut report).unwrap().unwrap();
        assert_eq!(n.properties.get("v").cloned(), expected);
        let o = &report.operations[0];
        assert_eq!((o.failed, o.kept, o.nulled, o.changed), (1, counted.0, counted.1, 0));
    }
}

#[test]
fn coerces_relationship_properties_too() {
    let tr = one("Coerce", "{relationship_type: T, property_name: w, to: float}");
    let (_, rels, report) =
        run(&tr, vec![], vec![rel("r", "T", "a", "b", &[("w", s("0.5"))]), rel("q", "U", "a", "b", &[("w", s("1"))])]);
    assert_eq!(rels[0].properties["w"], Value::Float(0.5));
    assert_eq!(rels[1].properties["w"], s("1"));
    assert_eq!(report.operations[0].changed, 1);
}

#[test]
fn cleanses_strings_step_by_step() {
    let tr = one(
        "Cleanse",
        r#"{property_name: v, steps: [trim, lower, collapse_whitespace, {replace: {pattern: "[^a-z@. ]", with: ""}}]}"#,
    );
    let n = one_node(&tr, node("1", &[], &[("v", s("  Ann   O'Neil@Example.COM \t"))])).unwrap().unwrap();
    assert_eq!(n.properties["v"], s("ann oneil@example.com"));
    let digits = one("Cleanse", r#"{property_name: v, steps: [{replace: {pattern: "\\D", with: ""}}, upper]}"#);
    let n = one_node(&digits, node("1", &[], &[("v", s("+1 (555) 010-99"))])).unwrap().unwrap();
    assert_eq!(n.properties["v"], s("155501099"));
    let nfc = one("Cleanse", "{property_name: v, steps: [{normalize: NFC}, upper]}");
    let n = one_node(&nfc, node("1", &[], &[("v", Value::List(vec![s("e\u{301}"), Value::Int(1)]))])).unwrap().unwrap();
    assert_eq!(n.properties["v"], Value::List(vec![s("\u{c9}"), Value::Int(1)]));
    let lower = one("Cleanse", "{property_name: v, steps: [lower]}");
    assert_eq!(one_node(&lower, node("1", &[], &[("v", s("ǅÉ"))])).unwrap().unwrap().properties["v"], s("ǆé"));
    let nfkd = one("Cleanse", "{property_name: v, steps: [{normalize: nfkd}]}");
    assert_eq!(one_node(&nfkd, node("1", &[], &[("v", s("ﬁ"))])).unwrap().unwrap().properties["v"], s("fi"));
}

#[test]
fn cleansing_leaves_other_types_and_clean_strings_uncounted() {
    let tr = one("Cleanse", "{property_name: v, steps: [trim]}");
    let mut report = tr.new_report();
    tr.node(node("1", &[], &[("v", Value::Int(1))]), &mut State::default(), &mut report).unwrap();
    tr.node(node("2", &[], &[("v", s("clean"))]), &mut State::default(), &mut report).unwrap();
    assert_eq!(report.operations[0].changed, 0);
}

#[test]
fn filters_keep_only_matching_records() {
    let cases = [
        ("{property: status, equals: active}", vec!["a"]),
        ("{property: status, not_equals: active}", vec!["b", "c"]),
        ("{property: status, in: [active, gone]}", vec!["a", "b"]),
        ("{property: status, exists: false}", vec!["c"]),
        ("{property: age, greater_than: 30}", vec!["b"]),
        ("{property: age, at_least: 30}", vec!["a", "b"]),
        ("{property: age, less_than: 30.5}", vec!["a"]),
        ("{property: age, at_most: 40}", vec!["a", "b"]),
        ("{property: age, equals: 30}", vec!["a"]),
    ];
    for (condition, kept) in cases {
        let tr = one("Filter", &format!("{{node_type: P, where: {condition}}}"));
        let (nodes, _, report) = run(
            &tr,
            vec![
                node("a", &["P"], &[("status", s("active")), ("age", Value::Float(30.0))]),
                node("b", &["P"], &[("status", s("gone")), ("age", Value::Int(40))]),
                node("c", &["P"], &[("age", s("old"))]),
                node("d", &["Other"], &[]),
            ],
            vec![],
        );
        let mut ids: Vec<&str> = nodes.iter().map(|n| n.id.as_str()).collect();
        assert_eq!(ids.pop(), Some("d"), "out of scope, kept");
        assert_eq!(ids, kept, "{condition}");
        assert_eq!(report.operations[0].dropped, 3 - kept.len() as u64, "{condition}");
    }
}

#[test]
fn filtering_relationships_drops_only_them() {
    let tr = one("Filter", "{relationship_type: T, where: {property: w, at_least: 1}}");
    let (nodes, rels, report) = run(
        &tr,
        vec![node("1", &[], &[])],
        vec![rel("x", "T", "1", "1", &[("w", Value::Int(0))]), rel("y", "T", "1", "1", &[("w", Value::Int(2))])],
    );
    assert_eq!(nodes.len(), 1);
    assert_eq!(rels.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), ["y"]);
    assert_eq!((report.dropped_relationships, report.dangling_relationships), (1, 0));
}

#[test]
fn deduplicates_by_key_first_wins_and_repoints() {
    let tr = t(r#"
operations:
  - operation: Cleanse
    arguments: {node_type: P, property_name: email, steps: [trim, lower]}
  - operation: Deduplicate
    arguments: {node_type: P, key: email}
"#);
    let (nodes, rels, report) = run(
        &tr,
        vec![
            node("1", &["P"], &[("email", s("a@b"))]),
            node("2", &["P"], &[("email", s(" A@B "))]),
            node("3", &["P"], &[]),
            node("4", &["P"], &[]),
            node("5", &["Q"], &[("email", s("a@b"))]),
        ],
        vec![rel("r", "K", "2", "5", &[]), rel("q", "K", "3", "4", &[])],
    );
    assert_eq!(
        nodes.iter().map(|n| n.id.as_str()).collect::<Vec<_>>(),
        ["1", "3", "4", "5"],
        "no key: never a duplicate"
    );
    assert_eq!((rels[0].start.as_str(), rels[0].end.as_str()), ("1", "5"));
    assert_eq!((rels[1].start.as_str(), rels[1].end.as_str()), ("3", "4"));
    assert_eq!((report.operations[1].dropped, report.dropped_nodes, report.repointed_relationships), (1, 1, 1));
}

#[test]
fn a_duplicate_of_a_node_given_a_new_id_points_to_that_id() {
    let tr = t(r#"
operations:
  - operation: Deduplicate
    arguments: {node_type: P, key: [a, b]}
  - operation: IdTemplate
    arguments: {node_type: P, template: "p:{a}:{b}"}
"#);
    let (nodes, rels, _) = run(
        &tr,
        vec![
            node("1", &["P"], &[("a", Value::Int(1)), ("b", s("x"))]),
            node("2", &["P"], &[("a", Value::Int(1)), ("b", s("x"))]),
        ],
        vec![rel("r", "K", "2", "2", &[])],
    );
    assert_eq!(nodes.len(), 1);
    assert_eq!((rels[0].start.as_str(), rels[0].end.as_str()), ("p:1:x", "p:1:x"));
}

/// A resumed copy rebuilds the state from every node, then reads part of them again: the
/// second pass must give the same records.
#[test]
fn applying_nodes_again_with_their_state_gives_the_same_records() {
    let tr = t(r#"
operations:
  - operation: Deduplicate
    arguments: {node_type: P, key: k}
  - operation: DropNodeType
    arguments: {name: X}
  - operation: IdTemplate
    arguments: {node_type: P, template: "{k}-{id}"}
"#);
    let nodes = vec![
        node("1", &["P"], &[("k", Value::Int(1))]),
        node("2", &["P"], &[("k", Value::Int(1))]),
        node("3", &["X"], &[]),
        node("4", &["P"], &[("k", Value::Int(2))]),
    ];
    let mut state = State::default();
    let first = tr.nodes(nodes.clone(), &mut state, &mut tr.new_report()).unwrap();
    let again = tr.nodes(nodes[1..].to_vec(), &mut state, &mut tr.new_report()).unwrap();
    assert_eq!(first[1..], again[..]);
    assert!(first[0].same_as(&node("1-1", &["P"], &[("k", Value::Int(1))])));
}

#[test]
fn stateful_transforms_are_told_apart() {
    assert!(!one("RenameNodeType", "{old_type: A, new_type: B}").is_stateful());
    assert!(!one("Filter", "{relationship_type: T, where: {property: a, exists: true}}").is_stateful());
    assert!(one("Filter", "{where: {property: a, exists: true}}").is_stateful());
    assert!(one("DropNodeType", "{name: A}").is_stateful());
}

#[test]
fn an_empty_file_or_list_is_an_empty_transform() {
    for text in ["", "operations: []", "operations:\n"] {
        assert!(t(text).is_empty(), "{text:?}");
    }
}

#[test]
fn the_fingerprint_follows_the_bytes() {
    assert_eq!(t("operations: []").fingerprint, t("operations: []").fingerprint);
    assert_ne!(t("operations: []").fingerprint, t("operations: [] ").fingerprint);
    assert_eq!(file::fingerprint(b""), "cbf29ce484222325", "FNV-1a's offset basis");
}

#[test]
fn file_errors_name_the_line_and_operation_and_suggest() {
    let text = "operations:\n  - operation: RenameNodeType\n    arguments: {old_type: A, new_type: B}\n  - operation: RenameNodeTyp\n";
    let e = err(text);
    assert_eq!(e, "transform t.yaml:4: unknown operation `RenameNodeTyp` (did you mean `RenameNodeType`?)");
    let e = err("operations:\n  - operation: Coerce\n    arguments: {property_name: a, to: integr}\n");
    assert_eq!(e, "transform t.yaml:2: operation `Coerce`: `to: integr` is not one of integer, float, boolean, string, date, datetime, map, list (did you mean `integer`?)");
    // A misspelt required argument is named as the misspelling, not as a missing one.
    let e = err("operations:\n  - operation: DropNodeType\n    arguments: {nme: A}\n");
    assert_eq!(e, "transform t.yaml:2: operation `DropNodeType`: unknown argument `nme` (did you mean `name`?)");
    let e = err("operations:\n  - operation: DropNodeType\n    arguments: {}\n");
    assert_eq!(e, "transform t.yaml:2: operation `DropNodeType`: argument `name` is required");
    let e = err("operations:\n  - operation: Dedupe\n");
    assert!(e.ends_with("(did you mean `Deduplicate`?)"), "{e}");
    let e = err("operations:\n  - operation: DropNodeType\n    arguments: {name: A, nme: B}\n");
    assert!(e.contains("unknown argument `nme`") && e.ends_with("(did you mean `name`?)"), "{e}");
    let e = err("operatons: []\n");
    assert_eq!(e, "transform t.yaml:1: unknown key `operatons` (did you mean `operations`?)");
    let e = err("operations:\n  - operation: Cleanse\n    arguments: {property_name: a, steps: [trim, lowr]}\n");
    assert!(e.contains("unknown step `lowr`") && e.ends_with("(did you mean `lower`?)"), "{e}");
    let e = err("operations:\n  - operation: Filter\n    arguments: {where: {property: a, equal: 1}}\n");
    assert!(e.contains("unknown test `equal`") && e.ends_with("(did you mean `equals`?)"), "{e}");
    let e = err("operations:\n  - operation: Cleanse\n    arguments: {property_name: a, steps: [{replace: {pattern: \"(\"}}]}\n");
    assert!(e.contains("not a valid regular expression"), "{e}");
    let e = err("operations:\n  - operation: IdTemplate\n    arguments: {node_type: P, template: \"{a\"}\n");
    assert!(e.contains("unclosed"), "{e}");
    let e = err("operations:\n  - operation: IdTemplate\n    arguments: {node_type: P, template: fixed}\n");
    assert!(e.contains("same id"), "{e}");
    let e = err("operations:\n  - operation: Coerce\n    arguments: {property_name: a, to: integer, format: x}\n");
    assert!(e.contains("`format` applies only"), "{e}");
    let e = err("operations: [\n");
    assert!(e.starts_with("transform t.yaml:") && e.contains("invalid YAML"), "{e}");
    let e = err("operations:\n  - operation: SetProperty\n    arguments: {node_type: A, relationship_type: B, property_name: a, value: 1}\n");
    assert!(e.contains("not both"), "{e}");
}

#[test]
fn reading_a_missing_file_names_it() {
    let e = Transform::load(Path::new("/nonexistent/t.yaml")).unwrap_err().to_string();
    assert!(e.starts_with("transform /nonexistent/t.yaml: cannot read the file"), "{e}");
}

fn arb_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::Int),
        any::<f64>().prop_map(Value::Float),
        ".*".prop_map(Value::String),
    ];
    leaf.prop_recursive(2, 8, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::List),
            prop::collection::btree_map("[a-z]{1,3}", inner, 0..3).prop_map(Value::Map),
        ]
    })
}

fn arb_props() -> impl Strategy<Value = Properties> {
    prop::collection::btree_map(".{0,6}", arb_value(), 0..5)
}

proptest! {
    /// An empty transform changes nothing: every record comes out as it went in.
    #[test]
    fn an_empty_transform_changes_nothing(
        nodes in prop::collection::vec((".{0,8}", prop::collection::vec(".{0,6}", 0..3), arb_props()), 0..20),
        rels in prop::collection::vec((".{0,8}", ".{0,6}", ".{0,8}", ".{0,8}", arb_props()), 0..20),
    ) {
        let nodes: Vec<Node> = nodes.into_iter().map(|(id, labels, properties)| Node { id, labels, properties }).collect();
        let rels: Vec<Relationship> = rels
            .into_iter()
            .map(|(id, rel_type, start, end, properties)| Relationship { id, rel_type, start, end, properties })
            .collect();
        let tr = t("operations: []");
        let (n, r, report) = run(&tr, nodes.clone(), rels.clone());
        prop_assert!(n.len() == nodes.len() && n.iter().zip(&nodes).all(|(a, b)| a.same_as(b)));
        prop_assert!(r.len() == rels.len() && r.iter().zip(&rels).all(|(a, b)| a.same_as(b)));
        prop_assert_eq!(report, tr.new_report());
    }
}
