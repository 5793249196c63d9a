//! Discard mode: decoded, authenticated and counted exactly as normal, nothing stored, answered
//! at once with empty results, except the count row of a write ending in `RETURN count(*)`.

use serde_json::json;

use crate::harness::*;

#[tokio::test]
async fn discard_counts_rows_and_stores_nothing() {
    let s = Server::start("discard", &["--discard"]).await;
    for i in 0..3 {
        let got = s.form(UPSERT, json!({ "rows": rows(&format!("d{i}_"), 100) })).await;
        assert_eq!(got, (200, json!({ "results": [] })));
    }
    assert_eq!(s.sdk_json("/opencypher", UPSERT, json!({ "rows": rows("j", 7) })).await.0, 200);
    // Reads answer empty too; malformed requests are still refused.
    assert_eq!(s.form("MATCH (n) RETURN n", json!({})).await, (200, json!({ "results": [] })));
    assert_error(&s.form("RETURN 'x", json!({})).await, 400, "MalformedQueryException");
    let c = s.counters().await;
    assert_eq!(c["write_requests"], 4);
    assert_eq!(c["rows_written"], 307);
    assert_eq!(c["requests"], 6);
    assert!(!database_exists(&s.database).await, "discard mode never touches ArcadeDB");
}

#[tokio::test]
async fn discard_still_authenticates() {
    let s = Server::start("discard_iam", &["--discard", "--iam-access-key", "AK", "--iam-secret-key", "SK"]).await;
    assert_error(&s.form(UPSERT, json!({ "rows": rows("x", 5) })).await, 403, "AccessDeniedException");
    assert_eq!(s.counters().await["rows_written"], 0);
}

#[tokio::test]
async fn discard_answers_the_count_of_a_counted_write() {
    let s = Server::start("discard_count", &["--discard"]).await;
    let counted = format!("{UPSERT} RETURN count(*) AS written");
    assert_eq!(
        s.form(&counted, json!({ "rows": rows("c", 42) })).await,
        (200, json!({ "results": [{ "written": 42 }] }))
    );
    let unaliased = format!("{UPSERT} RETURN count(*)");
    assert_eq!(
        s.form(&unaliased, json!({ "rows": rows("u", 3) })).await,
        (200, json!({ "results": [{ "count(*)": 3 }] }))
    );
    // Any other write, and any read, still gets empty results.
    let other = format!("{UPSERT} RETURN count(n) AS c");
    assert_eq!(s.form(&other, json!({ "rows": rows("o", 5) })).await, (200, json!({ "results": [] })));
    assert_eq!(s.form("MATCH (n) RETURN count(*) AS c", json!({})).await, (200, json!({ "results": [] })));
    assert_eq!(s.counters().await["rows_written"], 50);
    assert!(!database_exists(&s.database).await, "discard mode never touches ArcadeDB");
}

#[tokio::test]
async fn discard_refuses_what_neptune_refuses() {
    let s = Server::start("discard_rules", &["--discard"]).await;
    let lists = json!({ "rows": [{ "id": "a", "props": { "tags": ["x"] } }] });
    assert_error(&s.form(UPSERT, lists).await, 400, "MalformedQueryException");
    let dt = "UNWIND $rows AS row MERGE (n:E {`~id`: row.id}) SET n.dt = datetime(row.dt)";
    assert_error(
        &s.form(dt, json!({ "rows": [{ "id": "a", "dt": "2024-01-01T00:00Z[UTC]" }] })).await,
        400,
        "InvalidParameterException",
    );
    assert_eq!(s.form(dt, json!({ "rows": [{ "id": "a", "dt": "2024-01-01T00:00Z" }] })).await.0, 200);
    assert_error(&s.form("RETURN duration('P1D') AS d", json!({})).await, 400, "UnsupportedOperationException");
    assert_eq!(s.counters().await["rows_written"], 1);
}
