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
    assert_eq!(e.code, "MalformedQueryException");
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
