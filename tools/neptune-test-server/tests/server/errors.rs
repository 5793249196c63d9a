//! Each Neptune error code the server produces, with its HTTP status, and that nothing landed.

use serde_json::json;

use crate::harness::*;

#[tokio::test]
async fn malformed_query_from_the_engine_parser() {
    let s = Server::start("err_malformed", &[]).await;
    assert_error(&s.form("MATCH (n RETURN n", json!({})).await, 400, "MalformedQueryException");
    assert_error(&s.form("RETURN 'unterminated", json!({})).await, 400, "MalformedQueryException");
}

#[tokio::test]
async fn duplicate_id_is_a_constraint_violation_graph_wide() {
    let s = Server::start("err_duplicate", &[]).await;
    assert_eq!(s.form("CREATE (:Person {`~id`: 'x'})", json!({})).await.0, 200);
    assert_error(&s.form("CREATE (:Person {`~id`: 'x'})", json!({})).await, 400, "ConstraintViolationException");
    // Unique across labels too, as in Neptune.
    assert_error(&s.form("CREATE (:Company {`~id`: 'x'})", json!({})).await, 400, "ConstraintViolationException");
    // And for relationships.
    let rel = "MATCH (a {`~id`: 'x'}) CREATE (a)-[:SELF {`~id`: 'r'}]->(a)";
    assert_eq!(s.form(rel, json!({})).await.0, 200);
    assert_error(&s.form(&rel.replace("SELF", "OTHER"), json!({})).await, 400, "ConstraintViolationException");
    assert_eq!(engine_count(&s.database, "MATCH (n) RETURN count(n) AS c").await, 1);
    assert_eq!(engine_count(&s.database, "MATCH ()-[r]->() RETURN count(r) AS c").await, 1);
    // MERGE on the same id is the idempotent path.
    assert_eq!(s.form(UPSERT, json!({ "rows": [{ "id": "x", "props": { "name": "again" } }] })).await.0, 200);
    assert_eq!(engine_count(&s.database, "MATCH (n) RETURN count(n) AS c").await, 1);
}

#[tokio::test]
async fn body_over_the_limit_is_a_bad_request() {
    let s = Server::start("err_body_limit", &["--max-body-bytes", "2000"]).await;
    let got = s.form(UPSERT, json!({ "rows": rows("big", 100) })).await;
    assert_error(&got, 400, "BadRequestException");
    assert!(got.1["detailedMessage"].as_str().unwrap().contains("2000"));
    assert_eq!(s.form(UPSERT, json!({ "rows": rows("small", 2) })).await.0, 200);
    assert_eq!(engine_count(&s.database, "MATCH (n:Person) RETURN count(n) AS c").await, 2);
}

#[tokio::test]
async fn bad_encodings_are_refused() {
    let s = Server::start("err_encoding", &[]).await;
    // JSON parameters given as an object instead of a string (a common client bug).
    let r = s
        .http
        .post(format!("{}/openCypher", s.url))
        .json(&json!({ "query": "RETURN $x AS x", "parameters": { "x": 1 } }))
        .send()
        .await
        .unwrap();
    assert_error(&status_json(r).await, 400, "InvalidParameterException");
    let r = s
        .http
        .post(format!("{}/openCypher", s.url))
        .header("content-type", "text/plain")
        .body("RETURN 1")
        .send()
        .await
        .unwrap();
    assert_error(&status_json(r).await, 400, "BadRequestException");
    let r = s.http.post(format!("{}/openCypher", s.url)).form(&[("parameters", "{}")]).send().await.unwrap();
    assert_error(&status_json(r).await, 400, "BadRequestException");
    let r = s
        .http
        .post(format!("{}/openCypher", s.url))
        .form(&[("query", "RETURN 1"), ("parameters", "{oops")])
        .send()
        .await
        .unwrap();
    assert_error(&status_json(r).await, 400, "InvalidParameterException");
}
