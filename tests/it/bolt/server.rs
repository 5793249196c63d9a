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

/// The Bolt servers every Bolt test runs against (`on_every_server!`): ArcadeDB's Neo4j-compatible
/// plugin and a real Neo4j 5.26 Community (tools/neo4j-test-server, two instances).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Server {
    ArcadeDb,
    Neo4j,
}

/// The two Neo4j instances `scripts/test-servers.sh start` leaves running. Each holds one user
/// database (`neo4j`), so a test takes an instance exclusively: tests of one process (the `it`
/// binary) through these locks, other processes through a socket ([`Held`]); both are taken
/// in this order (source, then target), never the other way, so two tests cannot wait on each
/// other.
static NEO4J_SOURCE: std::sync::Mutex<()> = std::sync::Mutex::new(());
static NEO4J_TARGET: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// What holds an instance: the in-process lock, and a lock for other test processes (a second
/// worktree's `cargo test` against the same servers): a listening socket on a port derived from
/// the instance's (std has no file lock at this crate's MSRV; a socket is exclusive across
/// processes and released when its process ends, however it ends).
type Held = (std::sync::MutexGuard<'static, ()>, std::net::TcpListener);

/// The instance's cross-process lock, if free.
fn try_instance_lock(url: &str) -> Option<std::net::TcpListener> {
    let port: u16 = url.rsplit(':').next().and_then(|p| p.parse().ok()).expect("a Bolt URL with a port");
    match std::net::TcpListener::bind(("127.0.0.1", port + 10_000)) {
        Ok(listener) => Some(listener),
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => None,
        Err(e) => panic!("lock the instance at {url}: {e}"),
    }
}

pub fn neo4j_password() -> String {
    std::env::var("NEO4J_PASSWORD").unwrap_or_else(|_| "graphferry-test".into())
}

fn neo4j_source_url() -> String {
    std::env::var("NEO4J_SOURCE_BOLT").unwrap_or_else(|_| "bolt://127.0.0.1:7688".into())
}

fn neo4j_target_url() -> String {
    std::env::var("NEO4J_TARGET_BOLT").unwrap_or_else(|_| "bolt://127.0.0.1:7689".into())
}

impl Server {
    /// One empty database of its own (on Neo4j: whichever instance is free, wiped, held until
    /// dropped; the source one when both are busy).
    pub async fn database(self, prefix: &str) -> Db {
        match self {
            Server::ArcadeDb => Db::arcadedb(prefix),
            Server::Neo4j => {
                // Deadlock-free: a test takes one instance here or both in `pair` (source first),
                // never one and then another, so whoever holds the target waits for nothing.
                for (url, lock) in [(neo4j_source_url(), &NEO4J_SOURCE), (neo4j_target_url(), &NEO4J_TARGET)] {
                    let guard = match lock.try_lock() {
                        Ok(guard) => guard,
                        Err(std::sync::TryLockError::Poisoned(e)) => e.into_inner(),
                        Err(std::sync::TryLockError::WouldBlock) => continue,
                    };
                    if let Some(socket) = try_instance_lock(&url) {
                        return Db::neo4j_held(url, (guard, socket)).await;
                    }
                }
                Db::neo4j(neo4j_source_url(), &NEO4J_SOURCE).await
            }
        }
    }

    /// Two empty databases of their own, a source and a target (on Neo4j: both instances).
    pub async fn pair(self, prefix: &str) -> (Db, Db) {
        match self {
            Server::ArcadeDb => (Db::arcadedb(&format!("{prefix}_src")), Db::arcadedb(&format!("{prefix}_dst"))),
            Server::Neo4j => {
                let source = Db::neo4j(neo4j_source_url(), &NEO4J_SOURCE).await;
                (source, Db::neo4j(neo4j_target_url(), &NEO4J_TARGET).await)
            }
        }
    }
}

/// A database a test has to itself: on ArcadeDB a fresh database on the shared server, on Neo4j
/// the one user database of an instance, locked for the test and wiped (data, constraints,
/// indexes) when taken.
pub struct Db {
    pub server: Server,
    pub uri: String,
    /// The database name queries and `database_name:` use (`neo4j` on Neo4j).
    pub name: String,
    _lock: Option<Held>,
}

impl Db {
    fn arcadedb(prefix: &str) -> Db {
        Db { server: Server::ArcadeDb, uri: bolt_url(), name: fresh_database(prefix), _lock: None }
    }

    async fn neo4j(uri: String, lock: &'static std::sync::Mutex<()>) -> Db {
        // A test that panicked while holding the instance poisons the lock; the wipe below makes
        // the instance clean again, so the poison carries no meaning here.
        let held = tokio::task::block_in_place(|| {
            let guard = lock.lock().unwrap_or_else(|e| e.into_inner());
            loop {
                match try_instance_lock(&uri) {
                    Some(socket) => break (guard, socket),
                    None => std::thread::sleep(std::time::Duration::from_millis(200)),
                }
            }
        });
        Db::neo4j_held(uri, held).await
    }

    async fn neo4j_held(uri: String, held: Held) -> Db {
        let db = Db { server: Server::Neo4j, uri, name: "neo4j".into(), _lock: Some(held) };
        db.wipe().await;
        db
    }

    pub fn user(&self) -> &'static str {
        match self.server {
            Server::ArcadeDb => "root",
            Server::Neo4j => "neo4j",
        }
    }

    pub fn password(&self) -> String {
        match self.server {
            Server::ArcadeDb => password(),
            Server::Neo4j => neo4j_password(),
        }
    }

    /// A Bolt connection to this database.
    pub async fn bolt(&self) -> neo4rs::Graph {
        let config = neo4rs::ConfigBuilder::default()
            .uri(&self.uri)
            .user(self.user())
            .password(self.password())
            .db(self.name.as_str())
            .build()
            .expect("bolt config");
        neo4rs::Graph::connect(config)
            .unwrap_or_else(|e| panic!("cannot reach {:?} Bolt at {} ({e}): {START_HINT}", self.server, self.uri))
    }

    /// Runs `text` (no parameters) and returns its rows as JSON objects: strings, numbers,
    /// booleans, nulls and lists as such, any other value as its model `Debug` text.
    pub async fn rows(&self, text: &str) -> Vec<serde_json::Value> {
        let bolt = self.bolt().await;
        let mut stream =
            bolt.execute_on(self.name.as_str(), neo4rs::query(text)).await.unwrap_or_else(|e| panic!("{text}: {e}"));
        let mut out = Vec::new();
        while let Some(row) = stream.next().await.unwrap_or_else(|e| panic!("{text}: {e}")) {
            let map: neo4rs::BoltMap = row.to().unwrap_or_else(|e| panic!("{text}: a row: {e}"));
            let row = map.value.iter().map(|(k, v)| (k.value.clone(), json_of(v))).collect();
            out.push(serde_json::Value::Object(row));
        }
        out
    }

    /// Runs `text` (no parameters) for its effect.
    pub async fn run(&self, text: &str) {
        self.bolt()
            .await
            .run_on(self.name.as_str(), neo4rs::query(text))
            .await
            .unwrap_or_else(|e| panic!("{text}: {e}"));
    }

    /// A `targets:` entry named `name` for this database.
    pub fn yaml(&self, name: &str) -> String {
        format!(
            "  {name}:\n    database: neo4j\n    uri: {}\n    username: {}\n    password: {}\n    database_name: {}\n    \
             connect_timeout_seconds: 5\n    query_timeout_seconds: 30\n",
            self.uri,
            self.user(),
            self.password(),
            self.name
        )
    }

    /// Empty again: a new database on ArcadeDB, the same one wiped on Neo4j.
    pub async fn renew(&mut self, prefix: &str) {
        match self.server {
            Server::ArcadeDb => self.name = fresh_database(prefix),
            Server::Neo4j => self.wipe().await,
        }
    }

    /// Deletes every record, constraint and index (but the two token-lookup indexes every Neo4j
    /// 5 database is created with, which `SHOW INDEXES` lists as type LOOKUP).
    async fn wipe(&self) {
        let bolt = self.bolt().await;
        let run = |text: String| {
            let bolt = bolt.clone();
            async move {
                bolt.run(neo4rs::query(&text)).await.unwrap_or_else(|e| panic!("wiping Neo4j: {text}: {e}"));
            }
        };
        // Test graphs are small: one transaction deletes them.
        run("MATCH (n) DETACH DELETE n".into()).await;
        for (show, drop) in [
            ("SHOW CONSTRAINTS YIELD name RETURN name", "CONSTRAINT"),
            ("SHOW INDEXES YIELD name, type WHERE type <> 'LOOKUP' RETURN name", "INDEX"),
        ] {
            let mut names = Vec::new();
            let mut rows = bolt.execute(neo4rs::query(show)).await.unwrap_or_else(|e| panic!("{show}: {e}"));
            while let Some(row) = rows.next().await.unwrap_or_else(|e| panic!("{show}: {e}")) {
                names.push(row.get::<String>("name").unwrap());
            }
            for name in names {
                run(format!("DROP {drop} `{}` IF EXISTS", name.replace('`', "``"))).await;
            }
        }
    }
}

fn json_of(v: &neo4rs::BoltType) -> serde_json::Value {
    use graphferry::model::Value;
    fn json(v: &Value) -> serde_json::Value {
        match v {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => (*b).into(),
            Value::Int(i) => (*i).into(),
            Value::Float(f) => (*f).into(),
            Value::String(s) => s.as_str().into(),
            Value::List(items) => items.iter().map(json).collect(),
            other => format!("{other:?}").into(),
        }
    }
    json(&graphferry::connector::neo4j::value::from_bolt(v).unwrap_or_else(|e| panic!("a value read back: {e}")))
}

/// Generates, for each named `async fn body(server: Server)`, a module of the same name holding
/// one test per server (`<body>::arcadedb`, `<body>::neo4j`), so a failure names the server and
/// `cargo test --test it neo4j` runs one side. A test that needs what one server lacks is not
/// listed here: it is an ordinary test whose name says the server.
#[macro_export]
macro_rules! on_every_server {
    ($($body:ident),* $(,)?) => {$(
        mod $body {
            #[tokio::test(flavor = "multi_thread")]
            async fn arcadedb() {
                super::$body($crate::bolt::server::Server::ArcadeDb).await
            }

            #[tokio::test(flavor = "multi_thread")]
            async fn neo4j() {
                super::$body($crate::bolt::server::Server::Neo4j).await
            }
        }
    )*};
}
