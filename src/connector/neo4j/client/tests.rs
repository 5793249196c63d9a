//! The client against the real ArcadeDB Bolt server, through a proxy that can hold a reply back:
//! a request that runs out of time (or whose caller stops waiting) must not leave its late reply
//! for a later request to read as its own.
//!
//! Needs the shared test server (`scripts/test-servers.sh start`); fails, never skips, without it.

use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use neo4rs::{query, Query};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;

use super::{column, Client};
use crate::config::Secret;
use crate::connector::neo4j::config::{Neo4jConfig, DEFAULT_SOURCE_ID_LABEL, DEFAULT_SOURCE_ID_PROPERTY};
use crate::connector::ErrorClass;

/// A request carrying this text gets its reply (and every later byte on its connection) held
/// back by the proxy for [`STALL`].
const MARKER: &str = "graphferry-hold-this-reply";
/// Well past [`QUERY_TIMEOUT`], so the held request surely runs out of time first.
const STALL: Duration = Duration::from_secs(3);
const QUERY_TIMEOUT: Duration = Duration::from_secs(1);

/// A query whose answer names it.
fn numbered(i: i64) -> Query {
    query("RETURN $i AS c").param("i", i)
}

/// A numbered query whose reply the proxy holds back.
fn held(i: i64) -> Query {
    query("RETURN $i AS c, $hold AS hold").param("i", i).param("hold", MARKER)
}

/// Asserts the read `RETURN i` answers exactly `[i]`, not a reply meant for another request.
async fn assert_read_answers(client: &Client, i: i64) {
    let rows = client.rows(numbered(i)).await.unwrap_or_else(|e| panic!("read {i} failed: {e}"));
    let got: Vec<i64> = rows.iter().map(|r| column::<i64>("test", r, "c").expect("column c")).collect();
    assert_eq!(got, vec![i], "read {i} got another request's answer");
}

/// The same through a write transaction, which reports the `c` column it got back.
async fn assert_write_answers(client: &Client, i: i64) {
    let got = client.write("writing", vec![numbered(i)]).await.unwrap_or_else(|e| panic!("write {i} failed: {e}"));
    assert_eq!(got, vec![i], "write {i} got another request's answer");
}

#[tokio::test]
async fn requests_after_a_timed_out_one_get_their_own_answers() {
    // One connection: on a client that reused what a late request left behind, every request
    // below would get that connection.
    let client = connect_through_proxy(1).await;

    let late = client.rows(held(0)).await.expect_err("a held reply must run out of time");
    assert_eq!(late.class, ErrorClass::Retryable, "{late}");
    assert!(late.to_string().contains("no answer within"), "{late}");
    // Let the late reply arrive before asking again, as it would from a slow server.
    tokio::time::sleep(STALL).await;
    for i in 1..=4 {
        assert_read_answers(&client, i).await;
        assert_write_answers(&client, 10 + i).await;
    }

    let late = client.write("writing", vec![held(20)]).await.expect_err("a held write must run out of time");
    assert_eq!(late.class, ErrorClass::Retryable, "{late}");
    tokio::time::sleep(STALL).await;
    for i in 21..=24 {
        assert_write_answers(&client, i).await;
        assert_read_answers(&client, 10 + i).await;
    }
}

#[tokio::test]
async fn requests_after_an_abandoned_one_get_their_own_answers() {
    let client = connect_through_proxy(1).await;
    // The caller stops waiting before the client's own limit (a shutdown, a `select!`).
    let gave_up = tokio::time::timeout(QUERY_TIMEOUT / 4, client.rows(held(0))).await;
    assert!(gave_up.is_err(), "a held reply must not arrive: {gave_up:?}");
    tokio::time::sleep(STALL).await;
    for i in 1..=4 {
        assert_read_answers(&client, i).await;
    }
}

#[tokio::test]
async fn concurrent_requests_beside_a_timed_out_one_get_their_own_answers() {
    let client = connect_through_proxy(2).await;
    let late = async {
        let late = client.rows(held(0)).await.expect_err("a held reply must run out of time");
        // Once the late reply has arrived, the other requests may get its connection.
        tokio::time::sleep(STALL).await;
        late
    };
    let others = async {
        // Reads for as long as the late request lasts, on the other connection or after it.
        let until = Instant::now() + QUERY_TIMEOUT + STALL + QUERY_TIMEOUT;
        let mut i = 1;
        while Instant::now() < until {
            assert_read_answers(&client, i).await;
            i += 1;
        }
    };
    let (late, ()) = tokio::join!(late, others);
    assert_eq!(late.class, ErrorClass::Retryable, "{late}");
    for i in 100..=104 {
        tokio::join!(assert_read_answers(&client, i), assert_write_answers(&client, 1000 + i));
    }
}

/// A client whose `max_connections` connections all go through a new holding proxy.
async fn connect_through_proxy(max_connections: usize) -> Client {
    let uri = start_proxy().await;
    let cfg = Neo4jConfig {
        uri,
        username: "root".into(),
        password: Secret::new(password()),
        database_name: fresh_database(),
        use_enterprise_features: false,
        source_id_property: DEFAULT_SOURCE_ID_PROPERTY.into(),
        source_id_label: DEFAULT_SOURCE_ID_LABEL.into(),
        fetch_size: 1000,
        connect_timeout: Duration::from_secs(5),
        query_timeout: QUERY_TIMEOUT,
    };
    Client::connect("proxied", &cfg, max_connections).await.unwrap_or_else(|e| panic!("{e}: {START_HINT}"))
}

/// Starts a proxy to the Bolt server on a free local port and returns its `bolt://` address.
/// Each connection is relayed as is, except that once the client sends [`MARKER`], the server's
/// bytes on that connection are held back until [`STALL`] has passed: a reply that comes late,
/// on demand, on one connection only.
async fn start_proxy() -> String {
    let upstream = bolt_url().trim_start_matches("bolt://").to_string();
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("a free local port");
    let port = listener.local_addr().expect("bound address").port();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let server = TcpStream::connect(&upstream)
                .await
                .unwrap_or_else(|e| panic!("cannot reach ArcadeDB Bolt at {upstream} ({e}): {START_HINT}"));
            tokio::spawn(relay(client, server));
        }
    });
    format!("bolt://127.0.0.1:{port}")
}

async fn relay(client: TcpStream, server: TcpStream) {
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let held_until = Arc::new(Mutex::new(Instant::now()));
    let hold = Arc::clone(&held_until);
    let requests = async move {
        let mut buf = vec![0; 64 * 1024];
        // The end of the previous read, so a marker split between two reads is still seen.
        let mut tail = Vec::new();
        while let Ok(n @ 1..) = client_read.read(&mut buf).await {
            tail.extend_from_slice(&buf[..n]);
            if tail.windows(MARKER.len()).any(|w| w == MARKER.as_bytes()) {
                // Before forwarding: the server cannot answer before the hold is in place.
                *hold.lock().expect("hold lock") = Instant::now() + STALL;
            }
            tail.drain(..tail.len().saturating_sub(MARKER.len()));
            if server_write.write_all(&buf[..n]).await.is_err() {
                break;
            }
        }
        let _ = server_write.shutdown().await;
    };
    let replies = async move {
        let mut buf = vec![0; 64 * 1024];
        while let Ok(n @ 1..) = server_read.read(&mut buf).await {
            let until = *held_until.lock().expect("hold lock");
            tokio::time::sleep_until(until).await;
            if client_write.write_all(&buf[..n]).await.is_err() {
                break;
            }
        }
        let _ = client_write.shutdown().await;
    };
    tokio::join!(requests, replies);
}

// The shared ArcadeDB test server, as tests/it/bolt/server.rs reaches it.

const START_HINT: &str = "run `scripts/test-servers.sh start` first (the README's test command does)";

fn password() -> String {
    std::env::var("ARCADEDB_ROOT_PASSWORD").unwrap_or_else(|_| "graphferry-test".into())
}

fn bolt_url() -> String {
    std::env::var("ARCADEDB_BOLT").unwrap_or_else(|_| "bolt://127.0.0.1:7687".into())
}

/// A new, empty database on the shared server, so parallel runs never meet.
fn fresh_database() -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    let name = format!("client_stall_{}_{}", std::process::id(), N.fetch_add(1, Ordering::Relaxed));
    let http = std::env::var("ARCADEDB_HTTP").unwrap_or_else(|_| "http://127.0.0.1:2480".into());
    let body = serde_json::json!({ "command": format!("create database {name}") }).to_string();
    let out = Command::new("curl")
        .args(["-sS", "--fail-with-body", "--max-time", "30", "-u"])
        .arg(format!("root:{}", password()))
        .args(["-H", "Content-Type: application/json", "-d", &body])
        .arg(format!("{http}/api/v1/server"))
        .output()
        .expect("curl runs");
    assert!(
        out.status.success(),
        "cannot create ArcadeDB database `{name}` at {http} ({}{}): {START_HINT}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    name
}
