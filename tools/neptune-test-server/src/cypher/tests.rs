use super::*;

fn text(q: &str) -> String {
    analyze(q).unwrap().text
}

#[test]
fn id_function_becomes_the_id_property_and_keeps_its_column_name() {
    assert_eq!(text("MATCH (n:P) WHERE id(n) = $x RETURN n"), "MATCH (n:P) WHERE n.`~id` = $x RETURN n");
    assert_eq!(text("MATCH (n:P) RETURN id(n)"), "MATCH (n:P) RETURN n.`~id` AS `id(n)`");
    assert_eq!(text("MATCH (n:P) RETURN id(n) AS i, n.id"), "MATCH (n:P) RETURN n.`~id` AS i, n.id");
    assert_eq!(text("RETURN 'id(n)' AS s"), "RETURN 'id(n)' AS s");
}

#[test]
fn unlabeled_match_by_id_uses_the_id_supertype() {
    assert_eq!(
        text("UNWIND $rows AS row MATCH (a {`~id`: row.s}), (b:P {`~id`: row.e}) CREATE (a)-[:R]->(b)"),
        "UNWIND $rows AS row MATCH (a:`NeptuneNode` {`~id`: row.s}), (b:P {`~id`: row.e}) CREATE (a)-[:R]->(b)"
    );
}

#[test]
fn created_nodes_without_label_get_vertex() {
    assert_eq!(text("CREATE (n {name: 'x'})"), "CREATE (n:`vertex` {name: 'x'})");
    assert_eq!(text("CREATE ()"), "CREATE (:`vertex`)");
    // Bound variables are references, not new nodes.
    assert_eq!(text("MATCH (a:P), (b:P) CREATE (a)-[:R]->(b)"), "MATCH (a:P), (b:P) CREATE (a)-[:R]->(b)");
    assert_eq!(text("MATCH (a:P {x: 1}) CREATE (a)-[:R]->(c)"), "MATCH (a:P {x: 1}) CREATE (a)-[:R]->(c:`vertex`)");
    assert_eq!(text("MERGE (n {`~id`: 'x'})"), "MERGE (n:`vertex` {`~id`: 'x'})");
}

#[test]
fn write_detection_rows_labels_and_types() {
    let a = analyze("UNWIND $rows AS row MERGE (n:Person:`Emp loyee` {`~id`: row.id}) SET n += row.props").unwrap();
    assert!(a.is_write);
    assert_eq!(a.unwind_param.as_deref(), Some("rows"));
    assert_eq!(a.labels, ["Emp loyee", "Person"]);
    let a = analyze("MATCH (n:P)-[r:KNOWS|LIKES]->(m) RETURN n.set AS set").unwrap();
    assert!(!a.is_write);
    assert_eq!(a.rel_types, ["KNOWS", "LIKES"]);
    assert!(analyze("MATCH (n) DETACH DELETE n").unwrap().is_write);
    assert!(analyze("MERGE (n:P {`~id`: 'a'}) ON CREATE SET n.x = 1").unwrap().is_write);
}

#[test]
fn relationship_ids_are_reported_for_writes_only() {
    assert!(analyze("MATCH (a:P),(b:P) CREATE (a)-[:R {`~id`: 'r1'}]->(b)").unwrap().rel_id_given);
    assert!(!analyze("MATCH (a)-[r:R {`~id`: 'r1'}]->(b) RETURN r").unwrap().rel_id_given);
}

#[test]
fn single_return_column() {
    assert_eq!(analyze("MATCH (n:P) RETURN n").unwrap().single_column.as_deref(), Some("n"));
    assert_eq!(analyze("MATCH (n:P) RETURN DISTINCT n AS x ORDER BY x").unwrap().single_column.as_deref(), Some("x"));
    assert_eq!(analyze("MATCH (n:P) RETURN n, n.a").unwrap().single_column, None);
    assert_eq!(analyze("MATCH (n:P) RETURN count(n)").unwrap().single_column.as_deref(), Some("count(n)"));
}

#[test]
fn unsupported_temporal_and_spatial_functions_are_refused() {
    let e = analyze("CREATE (n:P {d: date('2020-01-01')})").unwrap_err();
    assert_eq!((e.status, e.code), (400, "UnsupportedOperationException"));
    assert!(analyze("RETURN duration('P1D')").is_err());
    assert!(analyze("RETURN datetime('2020-01-01T00:00:00Z') AS d").is_ok());
    assert!(analyze("RETURN n.date AS d").is_ok());
}

#[test]
fn syntax_the_lexer_cannot_read_is_malformed() {
    assert_eq!(analyze("RETURN 'x").unwrap_err().code, "MalformedQueryException");
}

#[test]
fn labels_hide_the_id_supertype() {
    let a = analyze("MATCH (n) RETURN labels(n) AS labels, count(*) AS c").unwrap();
    assert_eq!(a.text, "MATCH (n) RETURN [gf_l IN labels(n) WHERE gf_l <> 'NeptuneNode'] AS labels, count(*) AS c");
}

#[test]
fn count_all_column() {
    let col = |q: &str| analyze(q).unwrap().count_all_column;
    assert_eq!(
        col("UNWIND $rows AS row MERGE (n:P {`~id`: row.id}) RETURN count(*) AS written").as_deref(),
        Some("written")
    );
    assert_eq!(col("UNWIND $rows AS row CREATE (n:P) RETURN COUNT( * ) AS `rows w`;").as_deref(), Some("rows w"));
    assert_eq!(col("UNWIND $rows AS row CREATE (n:P) RETURN count(*)").as_deref(), Some("count(*)"));
    assert_eq!(col("UNWIND $rows AS row CREATE (n:P) RETURN count(n) AS c"), None);
    assert_eq!(col("UNWIND $rows AS row CREATE (n:P) RETURN count(*) AS c, 1 AS d"), None);
    assert_eq!(col("UNWIND $rows AS row CREATE (n:P) RETURN count(*) + 1 AS c"), None);
    assert_eq!(col("UNWIND $rows AS row CREATE (n:P)"), None);
}

#[test]
fn set_to_a_map_keeps_the_id_property() {
    assert_eq!(
        text("MATCH (n:P {`~id`: 'a'}) SET n = $props"),
        "MATCH (n:P {`~id`: 'a'}) SET n = $props, n.`~id` = n.`~id`"
    );
    assert_eq!(
        text("MATCH (n:P) SET n.x = 1, `n` = {a: 1 + 2, b: f(x, y)} RETURN n"),
        "MATCH (n:P) SET n.x = 1, `n` = {a: 1 + 2, b: f(x, y)}, `n`.`~id` = `n`.`~id` RETURN n"
    );
    // `+=` and property assignments are left alone.
    assert_eq!(text("MATCH (n:P) SET n += $p, n.a = 1"), "MATCH (n:P) SET n += $p, n.a = 1");
    assert_eq!(text("MATCH (n:P) WHERE n.a = 1 RETURN n"), "MATCH (n:P) WHERE n.a = 1 RETURN n");
}

// nodestream 0.15.3's Neptune plugin (nodestream_plugin_neptune/ingest_query_builder.py), as sent.
const NS_NODE_EAGER: &str = "\nUNWIND $params as param\nMERGE (node: Person {`~id` : param.__node_id}) ON CREATE SET node = removeKeyFromMap(param, \"__node_id\") ON MATCH SET node += removeKeyFromMap(param, \"__node_id\")";
const NS_NODE_MATCH_ONLY: &str = "\nUNWIND $params as param\nMATCH (node: Person {`~id` : param.__node_id}) SET node += removeKeyFromMap(param, \"__node_id\")";
const NS_REL_MERGE: &str = "\nUNWIND $params as param\nMATCH (from_node: Person {`~id` : param.__from_node_id}) , (to_node: Person {`~id` : param.__to_node_id}) MERGE (from_node)-[rel: KNOWS]->(to_node) ON CREATE SET rel = removeKeyFromMap(removeKeyFromMap(param, \"__from_node_id\"), \"__to_node_id\") ON MATCH SET rel += removeKeyFromMap(removeKeyFromMap(param, \"__from_node_id\"), \"__to_node_id\")";
const NS_REL_CREATE_KEYED: &str = "\nUNWIND $params as param\nMATCH (from_node: Person {`~id` : param.__from_node_id}) , (to_node: Person {`~id` : param.__to_node_id}) CREATE (from_node)-[rel: KNOWS {since : param.since}]->(to_node) SET rel += removeKeyFromMap(removeKeyFromMap(param, \"__from_node_id\"), \"__to_node_id\")";

#[test]
fn remove_key_from_map_on_unwind_rows_becomes_a_row_field() {
    use remove_key::{Key, Source};
    let row = |path: &[&str]| Source::Row {
        list: "params".into(),
        var: "param".into(),
        path: path.iter().map(|s| s.to_string()).collect(),
    };
    let a = analyze(NS_NODE_EAGER).unwrap();
    assert_eq!(
        a.text,
        "\nUNWIND $params as param\nMERGE (node: Person {`~id` : param.__node_id}) ON CREATE SET node = param.__gf_rkm_0, node.`~id` = node.`~id` ON MATCH SET node += param.__gf_rkm_0"
    );
    assert_eq!(
        a.key_removals,
        [KeyRemoval { source: row(&[]), keys: vec![Key::Literal("__node_id".into())], field: "__gf_rkm_0".into() }]
    );
    assert!(a.is_write);
    assert_eq!(a.unwind_param.as_deref(), Some("params"));

    let a = analyze(NS_NODE_MATCH_ONLY).unwrap();
    assert!(a.text.ends_with("SET node += param.__gf_rkm_0"), "{}", a.text);

    let a = analyze(NS_REL_MERGE).unwrap();
    assert_eq!(
        a.text,
        "\nUNWIND $params as param\nMATCH (from_node: Person {`~id` : param.__from_node_id}) , (to_node: Person {`~id` : param.__to_node_id}) MERGE (from_node)-[rel: KNOWS]->(to_node) ON CREATE SET rel = param.__gf_rkm_0, rel.`~id` = rel.`~id` ON MATCH SET rel += param.__gf_rkm_0"
    );
    assert_eq!(a.key_removals.len(), 1, "the same nested call twice is one value");
    assert_eq!(a.key_removals[0].keys, [Key::Literal("__from_node_id".into()), Key::Literal("__to_node_id".into())]);
    assert_eq!(a.rel_types, ["KNOWS"]);

    let a = analyze(NS_REL_CREATE_KEYED).unwrap();
    assert!(a
        .text
        .ends_with("CREATE (from_node)-[rel: KNOWS {since : param.since}]->(to_node) SET rel += param.__gf_rkm_0"));
}

#[test]
fn remove_key_from_map_on_parameters_becomes_a_new_parameter() {
    use remove_key::{Key, Source};
    let a = analyze("MATCH (n:P {`~id`: $id}) SET n = REMOVEKEYFROMMAP($m.props, $k) RETURN removeKeyFromMap($m, 'x')")
        .unwrap();
    assert_eq!(
        a.text,
        "MATCH (n:P {`~id`: $id}) SET n = $__gf_rkm_0, n.`~id` = n.`~id` RETURN $__gf_rkm_1 AS `removeKeyFromMap($m, 'x')`"
    );
    assert_eq!(
        a.key_removals[0],
        KeyRemoval {
            source: Source::Param { name: "m".into(), path: vec!["props".into()] },
            keys: vec![Key::Param("k".into())],
            field: "__gf_rkm_0".into()
        }
    );
    assert_eq!(a.single_column.as_deref(), Some("removeKeyFromMap($m, 'x')"));
    // Strings and backquoted names are never calls.
    assert!(analyze("RETURN 'removeKeyFromMap(x, 1)' AS s").unwrap().key_removals.is_empty());
}

#[test]
fn remove_key_from_map_the_server_cannot_compute_is_refused() {
    for q in [
        "RETURN removeKeyFromMap({a: 1, b: 2}, 'a') AS m",
        "MATCH (n:P) RETURN removeKeyFromMap(properties(n), 'a') AS m",
        "MATCH (n:P) WITH n AS m RETURN removeKeyFromMap(m, 'a') AS x",
        "UNWIND $rows AS row MERGE (n:P {`~id`: row.id}) SET n = removeKeyFromMap(row, row.k)",
        "UNWIND $rows AS row MERGE (n:P {`~id`: row.id}) SET n = removeKeyFromMap(row, 'a' + 'b')",
        "UNWIND $rows AS row MERGE (n:P {`~id`: row.id}) SET n = removeKeyFromMap(row, 'id'), n.all = row",
        "UNWIND $rows AS row WITH row.inner AS row MERGE (n:P) SET n = removeKeyFromMap(row, 'id')",
        "UNWIND $rows AS row RETURN [row IN $x | removeKeyFromMap(row, 'a')] AS l",
        "RETURN removeKeyFromMap($m) AS m",
    ] {
        let e = analyze(q).expect_err(q);
        assert_eq!(e.code, "MalformedQueryException", "{q}");
        assert!(e.message.contains("removeKeyFromMap"), "{q}: {}", e.message);
    }
}

fn assigned(q: &str) -> Vec<(assign::Role, remove_key::Source, Option<String>)> {
    analyze(q).unwrap().assignments.into_iter().map(|a| (a.role, a.source, a.key)).collect()
}

fn row(path: &[&str]) -> remove_key::Source {
    remove_key::Source::Row {
        list: "rows".into(),
        var: "row".into(),
        path: path.iter().map(|s| s.to_string()).collect(),
    }
}

fn param(name: &str) -> remove_key::Source {
    remove_key::Source::Param { name: name.into(), path: Vec::new() }
}

#[test]
fn assigned_property_values_are_found_in_set_create_and_merge() {
    use assign::Role::{Map, Value};
    assert_eq!(
        assigned("UNWIND $rows AS row MERGE (n:P {`~id`: row.id}) SET n += row.props, n.`d t` = row.x"),
        [(Map, row(&["props"]), None), (Value, row(&["x"]), Some("d t".into()))]
    );
    assert_eq!(
        assigned("MERGE (n:P {`~id`: 'a'}) ON CREATE SET n = $m ON MATCH SET n.k = $v"),
        [(Map, param("m"), None), (Value, param("v"), Some("k".into()))]
    );
    assert_eq!(
        assigned("UNWIND $rows AS row MATCH (a {`~id`: row.s}) CREATE (a)-[r:R {w: row.w}]->(b:P $props)"),
        [(Value, row(&["w"]), Some("w".into())), (Map, param("props"), None)]
    );
    assert_eq!(assigned("CREATE (n:P {k: $v, `~id`: $id})"), [(Value, param("v"), Some("k".into()))]);
    // A map literal assigned as a map: its entries are the values.
    assert_eq!(assigned("MATCH (n) SET n += {a: $a}"), [(Value, param("a"), Some("a".into()))]);
    // removeKeyFromMap results are checked as the server computes them.
    assert_eq!(
        assigned("UNWIND $rows AS row CREATE (n:P) SET n = removeKeyFromMap(row, 'id')"),
        [(Map, row(&["__gf_rkm_0"]), None)]
    );
}

#[test]
fn lists_that_are_not_property_values_are_not_assignments() {
    assert!(assigned("UNWIND $rows AS row MATCH (n:P) WHERE id(n) IN row.ids RETURN n").is_empty());
    assert!(assigned("MATCH (n:P {tags: $t}) WHERE n.x IN $ids RETURN n").is_empty());
    assert!(assigned("UNWIND $rows AS row MATCH (n) WHERE id(n) = row.id SET n.k = toString(row.v)").is_empty());
    assert!(analyze("MATCH (n:P) SET n.x = [1, 2][0], n.y = size([1])").is_ok());
}

#[test]
fn list_and_map_literals_as_property_values_are_refused() {
    for q in [
        "CREATE (n:P {tags: ['a', 'b']})",
        "MERGE (n:P {`~id`: 'a'}) SET n.tags = [1]",
        "MATCH (n) SET n += {tags: [1]}",
        "MATCH (n) SET n.m = {a: 1}",
        "MATCH (a), (b) MERGE (a)-[:R {l: []}]->(b)",
        "MATCH (n) SET n.k = keys(n)",
        "MATCH (n) ON CREATE SET n.x = [x IN range(1, 3) | x]",
    ] {
        let e = analyze(q).unwrap_err();
        assert_eq!(e.code, "MalformedQueryException", "{q}");
        assert!(e.message.starts_with("Expected a simple literal but found"), "{q}: {}", e.message);
    }
}

#[test]
fn integer_literals_must_fit_a_long() {
    assert!(analyze("RETURN 9223372036854775807 AS x, -9223372036854775808 AS y, 1.5e300 AS z").is_ok());
    assert_eq!(analyze("RETURN 9223372036854775808 AS x").unwrap_err().code, "InvalidNumericDataException");
    assert_eq!(analyze("CREATE (:P {n: 99999999999999999999})").unwrap_err().code, "InvalidNumericDataException");
}

#[test]
fn datetime_calls_become_stored_values_or_computed_references() {
    let tag = datetime::TAG;
    assert_eq!(
        text("CREATE (n:P {d: datetime('2024-02-29T23:59:58.1239+01:00')})"),
        format!("CREATE (n:P {{d: '{tag}2024-02-29T22:59:58.123Z'}})")
    );
    let a = analyze(
        "UNWIND $rows AS row MERGE (n:P {`~id`: row.id}) SET n += row.props, n.`dt` = datetime(row.temporal.`dt`)",
    )
    .unwrap();
    assert_eq!(a.text, "UNWIND $rows AS row MERGE (n:P {`~id`: row.id}) SET n += row.props, n.`dt` = row.__gf_dt_0");
    assert_eq!(a.datetimes, [datetime::Conversion { source: row(&["temporal", "dt"]), field: "__gf_dt_0".into() }]);
    assert_eq!(text("MATCH (n) WHERE n.d > datetime($from) RETURN n"), "MATCH (n) WHERE n.d > $__gf_dt_0 RETURN n");
    assert_eq!(text("RETURN datetime(null) AS d"), "RETURN null AS d");
    // Property keys and namespaced names are not calls.
    assert_eq!(
        text("MATCH (n {datetime: 1}) RETURN n.datetime AS d"),
        "MATCH (n {datetime: 1}) RETURN n.datetime AS d"
    );
}

#[test]
fn datetime_arguments_the_server_cannot_compute_or_parse_are_refused() {
    let e = analyze("RETURN datetime('2022-06-19T15:47:38.590917308Z[UTC]') AS d").unwrap_err();
    assert_eq!(e.code, "InvalidParameterException");
    assert!(!e.message.contains("2022"), "no values in messages: {}", e.message);
    let e = analyze("MATCH (n) RETURN datetime({year: 2020}) AS d").unwrap_err();
    assert!(e.message.contains("datetime()"), "{}", e.message);
    assert!(analyze("MATCH (n) RETURN datetime(n.s) AS d").is_err());
    // A row holding a converted field must not be used as a whole (the added field would show).
    assert!(analyze("UNWIND $rows AS row CREATE (n:P) SET n += row, n.d = datetime(row.d)").is_err());
}
