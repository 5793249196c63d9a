//! A write whose reply comes late: graphferry gives up on it after the target's query timeout
//! and the pipeline retries the batch. The late reply must not be read as the answer to a later
//! request, so the copy lands whole and verifies clean, record by record.
//!
//! The late reply is made by a proxy in front of the Bolt server that holds back the server's
//! bytes on a connection for a while, once, after a request carrying a marker value passes.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use predicates::prelude::*;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;

use super::server::{Server, START_HINT};
use crate::support::Project;

crate::on_every_server!(a_write_answered_too_late_is_retried_and_the_copy_verifies_clean);

/// A property value in the dump; the batch write carrying it gets its reply late.
const MARKER: &str = "graphferry-hold-this-reply";
/// Well past the target's query timeout (1 s below).
const STALL: Duration = Duration::from_secs(3);
const NODES: usize = 200;

async fn a_write_answered_too_late_is_retried_and_the_copy_verifies_clean(server: Server) {
    let database = server.database("stall").await;
    let proxy = start_proxy(database.uri.trim_start_matches("bolt://").to_string());
    let proxied = database
        .yaml("proxied")
        .replace(&database.uri, &proxy)
        .replace("query_timeout_seconds: 30", "query_timeout_seconds: 1");
    let direct = database.yaml("direct");
    let p = Project::new(&format!("  src:\n    database: file\n    path: chain.jsonl\n{proxied}{direct}"));
    write_chain(&p.path("chain.jsonl"));

    let copy = ["copy", "--source", "src", "--target", "proxied", "--all", "--batch-size", "20"];
    let out = p.cmd().args(copy).assert().success();
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert!(stdout.contains("retried write"), "the held write was not retried: {stdout}");

    p.cmd()
        .args(["verify", "--source", "src", "--target", "direct", "--full"])
        .assert()
        .success()
        .stdout(predicate::str::contains(format!("Compared field by field: {NODES} nodes")))
        .stdout(predicate::str::contains("; 0 difference(s)"));
}

/// A dump of a chain of numbered nodes; one in the middle holds the marker.
fn write_chain(path: &std::path::Path) {
    let mut lines = vec![json!({"kind": "header", "format": "graphferry-dump", "version": 1})];
    for i in 0..NODES {
        let mut properties = json!({ "i": i });
        if i == NODES / 2 {
            properties["note"] = MARKER.into();
        }
        lines.push(json!({"kind": "node", "id": format!("n{i}"), "labels": ["Item"], "properties": properties}));
    }
    for i in 1..NODES {
        let (start, end) = (format!("n{}", i - 1), format!("n{i}"));
        lines.push(json!({"kind": "relationship", "id": format!("r{i}"), "type": "NEXT", "start": start, "end": end, "properties": {}}));
    }
    let totals = json!({"Item": NODES});
    lines.push(json!({"kind": "end", "nodes": NODES, "relationships": NODES - 1, "node_labels": totals, "relationship_types": {"NEXT": NODES - 1}}));
    std::fs::write(path, lines.iter().map(|l| format!("{l}\n")).collect::<String>()).unwrap();
}

/// Starts the proxy on a free local port, on a thread of its own (the copy runs as a child
/// process while the test waits), and returns its `bolt://` address.
fn start_proxy(upstream: String) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free local port");
    let port = listener.local_addr().expect("bound address").port();
    listener.set_nonblocking(true).expect("non-blocking listener");
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        runtime.block_on(async move {
            let listener = TcpListener::from_std(listener).expect("tokio listener");
            // Only the first request carrying the marker is held, so the retry goes through.
            let armed = Arc::new(AtomicBool::new(true));
            while let Ok((client, _)) = listener.accept().await {
                let server = TcpStream::connect(&upstream)
                    .await
                    .unwrap_or_else(|e| panic!("cannot reach the Bolt server at {upstream} ({e}): {START_HINT}"));
                tokio::spawn(relay(client, server, Arc::clone(&armed)));
            }
        });
    });
    format!("bolt://127.0.0.1:{port}")
}

/// Relays one connection; once `armed` is spent on a marker seen here, the server's bytes on
/// this connection are held until [`STALL`] has passed.
async fn relay(client: TcpStream, server: TcpStream, armed: Arc<AtomicBool>) {
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
            if tail.windows(MARKER.len()).any(|w| w == MARKER.as_bytes()) && armed.swap(false, Ordering::SeqCst) {
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
