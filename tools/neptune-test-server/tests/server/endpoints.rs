//! Each endpoint and encoding, Neptune's result shapes and id semantics, checked against the
//! data that landed in ArcadeDB.

use serde_json::json;

use crate::harness::*;

#[tokio::test]
async fn form_post_upserts_and_results_have_neptune_shapes() {
    let s = Server::start("form_post", &[]).await;
    let got = s.form(UPSERT, json!({ "rows": rows("p", 3) })).await;
    assert_eq!(got, (200, json!({ "results": [] })));
    assert_eq!(engine_count(&s.database, "MATCH (n:Person) RETURN count(n) AS c").await, 3);

    let rel = "UNWIND $rows AS row MATCH (a {`~id`: row.s}), (b {`~id`: row.e}) \
               CREATE (a)-[r:KNOWS {`~id`: row.id}]->(b) SET r += row.props";
    let got = s.form(rel, json!({ "rows": [{ "id": "r1", "s": "p0", "e": "p1", "props": { "since": 2020 } }] })).await;
    assert_eq!(got.0, 200, "{}", got.1);

    let (status, v) = s.form("MATCH (a:Person)-[r:KNOWS]->(b) RETURN a, r, id(b)", json!({})).await;
    assert_eq!(status, 200);
    assert_eq!(
        v["results"],
        json!([{
            "a": { "~id": "p0", "~entityType": "node", "~labels": ["Person"], "~properties": { "name": "p0", "n": 0 } },
            "r": { "~id": "r1", "~entityType": "relationship", "~start": "p0", "~end": "p1", "~type": "KNOWS",
                   "~properties": { "since": 2020 } },
            "id(b)": "p1"
        }])
    );
    // `RETURN n` alone is unwrapped by ArcadeDB; the server must still name the column.
    let (_, v) = s.form("MATCH (n:Person) WHERE id(n) = $id RETURN n", json!({ "id": "p2" })).await;
    assert_eq!(v["results"][0]["n"]["~id"], "p2");
}

#[tokio::test]
async fn sdk_json_encoding_on_both_path_spellings() {
    let s = Server::start("sdk_json", &[]).await;
    let got = s.sdk_json("/opencypher", UPSERT, json!({ "rows": rows("j", 2) })).await;
    assert_eq!(got.0, 200, "{}", got.1);
    let got = s.sdk_json("/openCypher", "MATCH (n:Person) RETURN n.name AS name ORDER BY name", json!({})).await;
    assert_eq!(got.1["results"], json!([{ "name": "j0" }, { "name": "j1" }]));
    assert_eq!(engine_count(&s.database, "MATCH (n:Person) RETURN count(n) AS c").await, 2);
}

#[tokio::test]
async fn get_with_query_string() {
    let s = Server::start("get_qs", &[]).await;
    s.form(UPSERT, json!({ "rows": rows("g", 2) })).await;
    let url = format!(
        "{}/openCypher?{}",
        s.url,
        form_body("MATCH (n:Person) WHERE id(n) = $id RETURN n.n AS n", &json!({ "id": "g1" }))
    );
    let got = status_json(s.http.get(url).send().await.unwrap()).await;
    assert_eq!(got, (200, json!({ "results": [{ "n": 1 }] })));
}

#[tokio::test]
async fn neptune_ids_and_labels() {
    let s = Server::start("ids_labels", &[]).await;
    // Unlabeled node gets `vertex`; several labels are kept.
    let got = s.form("CREATE (a {`~id`: 'u1'}), (b:Person:Admin {`~id`: 'm1', tag: 'b'})", json!({})).await;
    assert_eq!(got.0, 200, "{}", got.1);
    let (_, v) = s.form("MATCH (n) WHERE id(n) IN ['u1', 'm1'] RETURN n ORDER BY n.`~id` DESC", json!({})).await;
    let r = &v["results"];
    assert_eq!(r[0]["n"]["~labels"], json!(["vertex"]));
    let mut labels: Vec<String> = serde_json::from_value(r[1]["n"]["~labels"].clone()).unwrap();
    labels.sort();
    assert_eq!(labels, ["Admin", "Person"]);
    assert_eq!(r[1]["n"]["~properties"]["tag"], json!("b"));
    assert!(r[1]["n"]["~properties"].get("~id").is_none(), "~id is not a property in results");
    assert_eq!(engine_count(&s.database, "MATCH (n:vertex) RETURN count(n) AS c").await, 1);
    // MATCH by `~id` in a property map, with and without a label.
    let (_, v) =
        s.form("MATCH (n {`~id`: 'm1'}) MATCH (m:Person {`~id`: 'm1'}) RETURN id(n) AS a, id(m) AS b", json!({})).await;
    assert_eq!(v["results"], json!([{ "a": "m1", "b": "m1" }]));
    // DateTime values come back as ISO-8601 strings.
    s.form("MATCH (n {`~id`: 'm1'}) SET n.at = datetime('2024-05-06T07:08:09Z')", json!({})).await;
    let (_, v) = s.form("MATCH (n {`~id`: 'm1'}) RETURN n.at AS at", json!({})).await;
    assert!(v["results"][0]["at"].as_str().unwrap().starts_with("2024-05-06T07:08:09"), "{v}");
}

#[tokio::test]
async fn analytics_endpoint() {
    let s = Server::start("analytics", &["--mode", "analytics", "--graph-id", "g-123"]).await;
    let body = json!({ "query": UPSERT, "language": "OPEN_CYPHER", "parameters": { "rows": rows("a", 4) } });
    let got = s.analytics(Some("g-123"), body.clone()).await;
    assert_eq!(got, (200, json!({ "results": [] })));
    assert_eq!(engine_count(&s.database, "MATCH (n:Person) RETURN count(n) AS c").await, 4);
    let got = s
        .analytics(
            Some("g-123"),
            json!({ "query": "MATCH (n:Person) RETURN count(n) AS c", "language": "OPEN_CYPHER" }),
        )
        .await;
    assert_eq!(got.1["results"], json!([{ "c": 4 }]));

    assert_error(&s.analytics(None, body.clone()).await, 400, "ValidationException");
    assert_error(&s.analytics(Some("other"), body.clone()).await, 404, "ResourceNotFoundException");
    let string_params = json!({ "query": "RETURN $x AS x", "language": "OPEN_CYPHER", "parameters": "{\"x\":1}" });
    assert_error(&s.analytics(Some("g-123"), string_params).await, 400, "ValidationException");
    // Custom relationship ids are refused by Analytics.
    let rel = json!({ "query": "MATCH (a:Person {`~id`: 'a0'}), (b:Person {`~id`: 'a1'}) CREATE (a)-[:R {`~id`: 'r'}]->(b)",
                      "language": "OPEN_CYPHER" });
    assert_error(&s.analytics(Some("g-123"), rel).await, 400, "ValidationException");
    assert_eq!(engine_count(&s.database, "MATCH ()-[r]->() RETURN count(r) AS c").await, 0);
    // The Database endpoint is not served in analytics mode.
    assert_eq!(s.form("RETURN 1 AS x", json!({})).await.0, 405);
}

#[tokio::test]
async fn http2_is_refused() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let s = Server::start("http2", &["--discard"]).await;
    let addr = s.url.strip_prefix("http://").unwrap();
    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    tcp.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00").await.unwrap();
    let mut buf = Vec::new();
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), tcp.read_to_end(&mut buf)).await;
    // Either an HTTP/1.1 error or a closed connection; never an HTTP/2 SETTINGS frame.
    assert!(buf.is_empty() || buf.starts_with(b"HTTP/1.1 "), "{:?}", String::from_utf8_lossy(&buf));
    // Keep-alive: two requests on one HTTP/1.1 connection.
    let c = reqwest::Client::builder().http1_only().pool_max_idle_per_host(1).build().unwrap();
    for _ in 0..2 {
        let r = c.get(format!("{}/status", s.url)).send().await.unwrap();
        assert_eq!(r.version(), reqwest::Version::HTTP_11);
    }
}

#[tokio::test]
async fn entities_created_without_an_id_get_a_uuid() {
    let s = Server::start("generated_ids", &[]).await;
    let got = s.form("CREATE (a:Person {name: 'a'})-[:KNOWS]->(b {name: 'b'})", json!({})).await;
    assert_eq!(got.0, 200, "{}", got.1);
    let (_, v) = s.form("MATCH (a:Person)-[r:KNOWS]->(b) RETURN id(a) AS a, id(r) AS r, id(b) AS b", json!({})).await;
    let row = &v["results"][0];
    for k in ["a", "r", "b"] {
        assert!(row[k].as_str().is_some_and(is_uuid), "id({k}) is not a UUID: {row}");
    }
    // The generated id is a real id: it matches in an id map and in `id(n) = $x`.
    let (_, v) = s.form("MATCH (n {`~id`: $id}) RETURN n.name AS name", json!({ "id": row["a"] })).await;
    assert_eq!(v["results"], json!([{ "name": "a" }]));
    let (_, v) = s.form("MATCH (n) WHERE id(n) = $id RETURN n.name AS name", json!({ "id": row["b"] })).await;
    assert_eq!(v["results"], json!([{ "name": "b" }]));
    let (_, v) = s.form("MATCH (n) WHERE id(n) IS NULL RETURN count(n) AS c", json!({})).await;
    assert_eq!(v["results"], json!([{ "c": 0 }]));
}

/// The 8-4-4-4-12 hexadecimal form.
fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.char_indices().all(|(i, c)| if [8, 13, 18, 23].contains(&i) { c == '-' } else { c.is_ascii_hexdigit() })
}
