//! Fault injection by flags and by the admin endpoint: each kind, determinism from the seed,
//! and the counters; always checked against what actually landed.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::harness::*;

async fn people(s: &Server) -> i64 {
    engine_count(&s.database, "MATCH (n:Person) RETURN count(n) AS c").await
}

#[tokio::test]
async fn every_nth_write_from_flags() {
    let s = Server::start("fault_flags", &["--fault", "too-many-requests", "--fault-every", "2"]).await;
    let mut statuses = Vec::new();
    for i in 0..4 {
        let got = s.form(UPSERT, json!({ "rows": rows(&format!("w{i}_"), 3) })).await;
        if got.0 == 429 {
            assert_error(&got, 429, "TooManyRequestsException");
        }
        statuses.push(got.0);
        // Reads are never faulted and do not advance the write sequence.
        assert_eq!(s.form("MATCH (n:Person) RETURN count(n) AS c", json!({})).await.0, 200);
    }
    assert_eq!(statuses, [200, 429, 200, 429]);
    assert_eq!(people(&s).await, 6, "faulted writes store nothing");
    let c = s.counters().await;
    assert_eq!(c["write_requests"], 4);
    assert_eq!(c["rows_written"], 6);
    assert_eq!(c["faults_injected"], 2);
    assert_eq!(c["faults"]["too-many-requests"], 2);
    assert_eq!(c["endpoints"]["/openCypher"]["requests"], 8);
}

#[tokio::test]
async fn each_error_kind_from_the_admin_endpoint() {
    let s = Server::start("fault_admin", &[]).await;
    let kinds = [
        ("concurrent-modification", 500, "ConcurrentModificationException"),
        ("too-many-requests", 429, "TooManyRequestsException"),
        ("internal-failure", 500, "InternalFailureException"),
        ("time-limit-exceeded", 500, "TimeLimitExceededException"),
    ];
    for (kind, status, code) in kinds {
        let (st, plan) = s.set_faults(json!({ "seed": 1, "rules": [{ "kind": kind, "every": 1 }] })).await;
        assert_eq!(st, 200, "{plan}");
        assert_error(&s.form(UPSERT, json!({ "rows": rows(kind, 2) })).await, status, code);
    }
    assert_eq!(people(&s).await, 0);
    assert_eq!(s.counters().await["faults_injected"], 4);
    // Reset clears faults and counters.
    let r = s.http.post(format!("{}/admin/reset", s.url)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(s.form(UPSERT, json!({ "rows": rows("ok", 2) })).await.0, 200);
    assert_eq!(people(&s).await, 2);
    assert_eq!(s.counters().await["faults_injected"], 0);
    // Invalid plans are refused.
    assert_eq!(s.set_faults(json!({ "rules": [{ "kind": "slow", "rate": 3 }] })).await.0, 400);
    assert_eq!(s.set_faults(json!({ "rules": [{ "kind": "nope", "every": 1 }] })).await.0, 400);
}

async fn pattern(s: &Server, plan: &Value, n: usize) -> Vec<u16> {
    s.set_faults(plan.clone()).await;
    let mut out = Vec::new();
    for i in 0..n {
        out.push(s.form(UPSERT, json!({ "rows": rows(&format!("d{i}_"), 1) })).await.0);
    }
    out
}

#[tokio::test]
async fn rate_is_deterministic_from_the_seed() {
    let s = Server::start("fault_seed", &[]).await;
    let plan = json!({ "seed": 7, "rules": [{ "kind": "internal-failure", "rate": 0.5 }] });
    let first = pattern(&s, &plan, 16).await;
    let second = pattern(&s, &plan, 16).await;
    assert_eq!(first, second);
    assert!(first.contains(&500) && first.contains(&200), "{first:?}");
    let other = pattern(&s, &json!({ "seed": 8, "rules": [{ "kind": "internal-failure", "rate": 0.5 }] }), 16).await;
    assert_ne!(first, other, "another seed gives another sequence");
    // Every write that answered 200 landed, every faulted one did not (MERGE on the same ids).
    let landed = (0..16).filter(|&i| first[i] == 200 || other[i] == 200).count();
    assert_eq!(people(&s).await as usize, landed);
}

#[tokio::test]
async fn slow_responses() {
    let s = Server::start("fault_slow", &["--fault", "slow", "--fault-every", "1", "--fault-delay-ms", "600"]).await;
    let t = Instant::now();
    assert_eq!(s.form(UPSERT, json!({ "rows": rows("s", 2) })).await.0, 200);
    assert!(t.elapsed() >= Duration::from_millis(600));
    assert_eq!(people(&s).await, 2);
    assert_eq!(s.counters().await["faults"]["slow"], 1);
}

#[tokio::test]
async fn dropped_connection_after_the_write() {
    let s = Server::start("fault_drop", &[]).await;
    s.set_faults(json!({ "rules": [{ "kind": "drop-connection", "every": 1 }] })).await;
    let r = s
        .http
        .post(format!("{}/openCypher", s.url))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form_body(UPSERT, &json!({ "rows": rows("x", 3) })))
        .send()
        .await;
    let failed = match r {
        Err(_) => true,
        Ok(resp) => resp.bytes().await.is_err(),
    };
    assert!(failed, "the client must see a broken response");
    assert_eq!(people(&s).await, 3, "the write happened before the connection dropped");
    assert_eq!(s.counters().await["faults"]["drop-connection"], 1);
}

#[tokio::test]
async fn lose_half_only_when_told() {
    let s = Server::start("fault_lose_half", &[]).await;
    assert_eq!(s.form(UPSERT, json!({ "rows": rows("a", 10) })).await.0, 200);
    assert_eq!(people(&s).await, 10);
    s.set_faults(json!({ "rules": [{ "kind": "lose-half", "every": 1 }] })).await;
    assert_eq!(s.form(UPSERT, json!({ "rows": rows("b", 10) })).await, (200, json!({ "results": [] })));
    assert_eq!(people(&s).await, 15, "half of the second batch is silently lost");
    let c = s.counters().await;
    assert_eq!(c["rows_lost"], 5);
    assert_eq!(c["rows_written"], 15);
}
