//! Starts a Neptune-protocol test server per test (own port, own ArcadeDB database, own flags)
//! and talks to its admin side channel and to ArcadeDB directly. ArcadeDB must run
//! (`scripts/test-servers.sh start`); tests fail with that instruction when it does not.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use serde_json::{json, Value as Json};

pub const AK: &str = "AKIDGRAPHFERRYTEST";
pub const SK: &str = "graphferry-test-secret";
pub const REGION: &str = "us-east-1";
pub const GRAPH_ID: &str = "g-graphferry";

pub fn arcadedb_url() -> String {
    std::env::var("ARCADEDB_HTTP").unwrap_or_else(|_| "http://127.0.0.1:2480".into())
}

fn arcadedb_password() -> String {
    std::env::var("ARCADEDB_ROOT_PASSWORD").unwrap_or_else(|_| "graphferry-test".into())
}

/// Runs a future on a throwaway runtime, so tests stay plain `#[test]`s around the CLI.
pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime").block_on(f)
}

/// POSTs to ArcadeDB's HTTP API.
pub fn arcadedb(path: &str, body: Json) -> Json {
    let url = format!("{}{path}", arcadedb_url());
    let answer = block_on(async {
        let r =
            reqwest::Client::new().post(&url).basic_auth("root", Some(arcadedb_password())).json(&body).send().await;
        match r {
            Ok(r) => r.json::<Json>().await.map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        }
    });
    answer.unwrap_or_else(|e| {
        panic!("ArcadeDB is not reachable at {url} ({e}): run `scripts/test-servers.sh start` first")
    })
}

/// A Cypher query run on ArcadeDB database `db` directly, bypassing the server under test.
pub fn engine(db: &str, cypher: &str) -> Vec<Json> {
    let v = arcadedb(&format!("/api/v1/command/{db}"), json!({"language": "cypher", "command": cypher, "limit": -1}));
    v["result"].as_array().cloned().unwrap_or_else(|| panic!("ArcadeDB refused `{cypher}`: {v}"))
}

pub fn drop_database(db: &str) {
    arcadedb("/api/v1/server", json!({"command": format!("drop database {db}")}));
}

pub fn create_database(db: &str) {
    drop_database(db);
    let v = arcadedb("/api/v1/server", json!({"command": format!("create database {db}")}));
    assert!(v.get("error").is_none(), "creating {db}: {v}");
}

/// A running test server; killed when dropped.
pub struct TestServer {
    child: Child,
    pub url: String,
    pub database: String,
    /// The CA to trust when started with `--tls`.
    pub ca: Option<PathBuf>,
    _dir: tempfile::TempDir,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn binary() -> PathBuf {
    let path = assert_cmd::cargo::cargo_bin("neptune-test-server");
    assert!(
        path.exists(),
        "{} is missing: `cargo test --workspace` builds it (or `cargo build -p neptune-test-server`)",
        path.display()
    );
    path
}

impl TestServer {
    /// Starts the server on a fresh database `gf_np_<name>` with extra flags (`--tls` adds the
    /// certificate output, `iam` the key pair).
    pub fn start(name: &str, flags: &[&str]) -> TestServer {
        arcadedb("/api/v1/server", json!({"command": "list databases"})); // fails early with the hint
        let database = format!("gf_np_{name}");
        drop_database(&database);
        let dir = tempfile::tempdir().expect("temp dir");
        let mut args: Vec<String> = flags.iter().map(|f| f.to_string()).collect();
        let ca = args.iter().any(|a| a == "--tls").then(|| dir.path().join("ca.pem"));
        if let Some(ca) = &ca {
            args.extend(["--tls-cert-out".into(), ca.display().to_string()]);
        }
        let mut child = Command::new(binary())
            .args(["--listen", "127.0.0.1:0", "--database", &database, "--arcadedb-url", &arcadedb_url()])
            .args(["--arcadedb-password", &arcadedb_password(), "--graph-id", GRAPH_ID])
            .args(&args)
            .env("RUST_LOG", "neptune_test_server=warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start neptune-test-server");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("first line");
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("test server did not start (first line {line:?}); see its stderr above"))
            .to_string();
        TestServer { child, url, database, ca, _dir: dir }
    }

    /// Flags for IAM mode with this module's key pair.
    pub fn iam() -> [&'static str; 6] {
        ["--iam-access-key", AK, "--iam-secret-key", SK, "--region", REGION]
    }

    fn http(&self) -> reqwest::Client {
        let mut b = reqwest::Client::builder();
        if let Some(ca) = &self.ca {
            let pem = std::fs::read(ca).expect("ca.pem");
            b = b.add_root_certificate(reqwest::Certificate::from_pem(&pem).expect("pem"));
        }
        b.build().expect("client")
    }

    fn admin(&self, path: &str, body: Option<Json>) -> Json {
        let url = format!("{}{path}", self.url);
        block_on(async {
            let req = match body {
                Some(b) => self.http().post(&url).json(&b),
                None => self.http().get(&url),
            };
            req.send().await.expect("admin request").json::<Json>().await.expect("admin JSON")
        })
    }

    pub fn counters(&self) -> Json {
        self.admin("/admin/counters", None)
    }

    pub fn set_faults(&self, plan: Json) {
        self.admin("/admin/faults", Some(plan));
    }

    pub fn reset(&self) {
        self.admin("/admin/reset", Some(json!({})));
    }

    /// Counts in the backing database: nodes, and relationships per type.
    pub fn count(&self, cypher: &str) -> i64 {
        engine(&self.database, cypher)[0]["c"].as_i64().unwrap_or_else(|| panic!("no count from {cypher}"))
    }

    /// An unsigned openCypher request (for servers without IAM and TLS).
    pub fn query(&self, query: &str) -> Vec<Json> {
        let url = format!("{}/openCypher", self.url);
        let v: Json = block_on(async {
            let r = self.http().post(&url).form(&[("query", query)]).send().await.expect("query");
            r.json().await.expect("JSON")
        });
        v["results"].as_array().cloned().unwrap_or_else(|| panic!("`{query}` failed: {v}"))
    }

    /// An unsigned Analytics request (for servers started with `--mode analytics`).
    pub fn analytics_query(&self, query: &str) -> Vec<Json> {
        let url = format!("{}/queries", self.url);
        let body = json!({"query": query, "language": "OPEN_CYPHER", "parameters": {}});
        let v: Json = block_on(async {
            let r = self.http().post(&url).header("graphIdentifier", GRAPH_ID).json(&body).send().await.expect("query");
            r.json().await.expect("JSON")
        });
        v["results"].as_array().cloned().unwrap_or_else(|| panic!("`{query}` failed: {v}"))
    }

    /// The YAML of a target pointing at this server.
    pub fn target(&self, name: &str, analytics: bool) -> String {
        let mut y = format!("  {name}:\n    database: neptune\n    host: {}\n    region: {REGION}\n", self.url);
        if analytics {
            y.push_str(&format!("    mode: analytics\n    graph_id: {GRAPH_ID}\n"));
        }
        if let Some(ca) = &self.ca {
            y.push_str(&format!("    tls_ca_file: {}\n", ca.display()));
        }
        y
    }
}
