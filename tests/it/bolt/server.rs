//! The shared ArcadeDB test server (Bolt + HTTP) as `scripts/test-servers.sh start` leaves it,
//! and private databases on it so parallel tests never see each other's data.

use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

pub const START_HINT: &str = "run `scripts/test-servers.sh start` first (the README's test command does)";

pub fn password() -> String {
    std::env::var("ARCADEDB_ROOT_PASSWORD").unwrap_or_else(|_| "graphferry-test".into())
}

pub fn http_url() -> String {
    std::env::var("ARCADEDB_HTTP").unwrap_or_else(|_| "http://127.0.0.1:2480".into())
}

pub fn bolt_url() -> String {
    std::env::var("ARCADEDB_BOLT").unwrap_or_else(|_| "bolt://127.0.0.1:7687".into())
}

/// Calls the ArcadeDB HTTP API at `base` with curl (always on the test machines; the script
/// uses it too). Returns the body, or an error with the status.
pub fn http(base: &str, path: &str, body: &str) -> Result<String, String> {
    let out = Command::new("curl")
        .args(["-sS", "--max-time", "30", "-w", "\n%{http_code}", "-u"])
        .arg(format!("root:{}", password()))
        .args(["-H", "Content-Type: application/json", "-d", body])
        .arg(format!("{base}{path}"))
        .output()
        .map_err(|e| format!("cannot run curl: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let (body, status) = text.rsplit_once('\n').unwrap_or((&text, "000"));
    if status.starts_with('2') {
        Ok(body.to_string())
    } else {
        Err(format!("HTTP {status} {body} {}", String::from_utf8_lossy(&out.stderr)))
    }
}

/// A new, empty database on the shared server, named after the test.
pub fn fresh_database(prefix: &str) -> String {
    fresh_database_at(&http_url(), prefix)
}

pub fn fresh_database_at(base: &str, prefix: &str) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    let name = format!("{prefix}_{}_{}", std::process::id(), N.fetch_add(1, Ordering::Relaxed));
    let command = serde_json::json!({ "command": format!("create database {name}") }).to_string();
    if let Err(e) = http(base, "/api/v1/server", &command) {
        panic!("cannot create ArcadeDB database `{name}` at {base} ({e}): {START_HINT}");
    }
    name
}

/// Runs Cypher on `database` through the HTTP API (used to load graphs with literals).
pub fn cypher_http(base: &str, database: &str, text: &str) -> String {
    let body = serde_json::json!({ "language": "cypher", "command": text }).to_string();
    http(base, &format!("/api/v1/command/{database}"), &body).unwrap_or_else(|e| panic!("{text}: {e}"))
}

/// A Bolt connection to `database` on the server at `uri`.
pub async fn bolt_at(uri: &str, database: &str) -> neo4rs::Graph {
    let config = neo4rs::ConfigBuilder::default()
        .uri(uri)
        .user("root")
        .password(password())
        .db(database)
        .build()
        .expect("bolt config");
    neo4rs::Graph::connect(config).unwrap_or_else(|e| panic!("cannot reach ArcadeDB Bolt at {uri} ({e}): {START_HINT}"))
}

/// A `targets:` entry for `database` on the Bolt server at `uri`.
pub fn target_yaml(name: &str, uri: &str, database: &str) -> String {
    format!(
        "  {name}:\n    database: neo4j\n    uri: {uri}\n    username: root\n    password: {}\n    database_name: {database}\n    \
         connect_timeout_seconds: 5\n    query_timeout_seconds: 30\n",
        password()
    )
}
