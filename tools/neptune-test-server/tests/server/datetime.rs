//! DateTime as Neptune stores it (milliseconds, UTC) and shows it in JSON results, from string
//! literals, parameters and UNWIND row fields, in the shape graphferry's connector sends.

use serde_json::json;

use crate::harness::*;

const CLIENT_SHAPE: &str =
    "UNWIND $rows AS row MERGE (n:Event {`~id`: row.id}) SET n += row.props, n.`dt` = datetime(row.temporal.`dt`)";

#[tokio::test]
async fn datetimes_are_stored_in_utc_milliseconds_and_compare_as_instants() {
    let s = Server::start("dt_store", &[]).await;
    let rows = json!({ "rows": [
        { "id": "a", "props": { "name": "a" }, "temporal": { "dt": "2024-02-29T23:59:58.123456789+01:00" } },
        { "id": "b", "props": { "name": "b" }, "temporal": { "dt": "2024-02-29" } },
        { "id": "c", "props": { "name": "c" }, "temporal": { "dt": "2024-03-01T08:15Z" } },
        { "id": "d", "props": { "name": "d" }, "temporal": {} },
    ] });
    let got = s.form(CLIENT_SHAPE, rows).await;
    assert_eq!(got, (200, json!({ "results": [] })));

    let (status, v) = s.form("MATCH (n:Event) RETURN id(n) AS id, n.dt AS dt ORDER BY id", json!({})).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(
        v["results"],
        json!([
            { "id": "a", "dt": "2024-02-29T22:59:58.123Z" },
            { "id": "b", "dt": "2024-02-29T00:00:00Z" },
            { "id": "c", "dt": "2024-03-01T08:15:00Z" },
            { "id": "d", "dt": null },
        ])
    );
    // Nodes show it the same way, and the helper field never lands.
    let (_, v) = s.form("MATCH (n:Event {`~id`: 'a'}) RETURN n", json!({})).await;
    assert_eq!(v["results"][0]["n"]["~properties"], json!({ "name": "a", "dt": "2024-02-29T22:59:58.123Z" }), "{v}");

    // Comparisons and ordering are by instant; a DateTime never equals a String.
    let q = "MATCH (n:Event) WHERE n.dt >= datetime($from) RETURN id(n) AS id ORDER BY n.dt DESC";
    let (_, v) = s.form(q, json!({ "from": "2024-02-29T23:00:00+01:00" })).await;
    assert_eq!(v["results"], json!([{ "id": "c" }, { "id": "a" }]), "{v}");
    let (_, v) = s.form("MATCH (n:Event) WHERE n.dt = '2024-02-29T00:00:00Z' RETURN id(n) AS id", json!({})).await;
    assert_eq!(v["results"], json!([]), "{v}");
    let (_, v) =
        s.form("MATCH (n:Event) WHERE n.dt = datetime('2024-02-29T00:00Z') RETURN id(n) AS id", json!({})).await;
    assert_eq!(v["results"], json!([{ "id": "b" }]), "{v}");
    let (_, v) = s.form("RETURN datetime('2020-01-01T00:00:00.5-02:00') AS d", json!({})).await;
    assert_eq!(v["results"], json!([{ "d": "2020-01-01T02:00:00.500Z" }]), "{v}");
}

#[tokio::test]
async fn unparsable_datetimes_are_refused_and_nothing_lands() {
    let s = Server::start("dt_refuse", &[]).await;
    let rows = json!({ "rows": [
        { "id": "a", "props": {}, "temporal": { "dt": "2024-02-29T10:00:00Z" } },
        { "id": "b", "props": {}, "temporal": { "dt": "2022-06-19T15:47:38.590917308Z[UTC]" } },
    ] });
    let got = s.form(CLIENT_SHAPE, rows).await;
    assert_error(&got, 400, "InvalidParameterException");
    assert!(!got.1["detailedMessage"].as_str().unwrap().contains("2022"), "{}", got.1);
    let got = s.form("CREATE (:Event {dt: datetime('2024-02-30')})", json!({})).await;
    assert_error(&got, 400, "InvalidParameterException");
    let got = s.form("CREATE (:Event {dt: datetime($x)})", json!({ "x": 20240229 })).await;
    assert_error(&got, 400, "InvalidParameterException");
    assert_eq!(engine_count(&s.database, "MATCH (n) RETURN count(n) AS c").await, 0);
}
