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
    static CLEANED: std::sync::Once = std::sync::Once::new();
    CLEANED.call_once(|| drop_stale_databases(&http_url()));
    fresh_database_at(&http_url(), prefix)
}

/// A test holds only its database's name, so the database outlives the test. Each test process
/// drops, once, the databases of test processes that have ended (`<prefix>_<pid>_<n>` with no
/// such pid running), so the server's data stays at what the running tests hold instead of
/// growing by every run. Only for a server on this machine, where the pids mean something.
fn drop_stale_databases(base: &str) {
    let local = base.contains("://127.0.0.1") || base.contains("://localhost");
    if !local || !std::path::Path::new("/proc/self").exists() {
        return;
    }
    let Ok(body) = http(base, "/api/v1/server", r#"{"command":"list databases"}"#) else { return };
    let Ok(list) = serde_json::from_str::<serde_json::Value>(&body) else { return };
    let names = list["result"].as_array().into_iter().flatten().filter_map(|n| n.as_str());
    for name in names.filter(|name| of_ended_process(name)) {
        let command = serde_json::json!({ "command": format!("drop database {name}") }).to_string();
        let _ = http(base, "/api/v1/server", &command);
    }
}

/// Whether `name` is a [`fresh_database_at`] name whose process is no longer running.
fn of_ended_process(name: &str) -> bool {
    let mut parts = name.rsplitn(3, '_');
    let (Some(n), Some(pid), Some(prefix)) = (parts.next(), parts.next(), parts.next()) else { return false };
    let numeric = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    numeric(n)
        && numeric(pid)
        && !prefix.is_empty()
        && pid != std::process::id().to_string()
        && !std::path::Path::new("/proc").join(pid).exists()
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
