//! Starts the server binary per test (ephemeral port, own ArcadeDB database, own flags) and
//! offers small helpers to talk to it and to ArcadeDB directly.
//!
//! ArcadeDB must already run (`scripts/test-servers.sh start`); when it does not, tests fail
//! with that instruction rather than skip.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use serde_json::{json, Value};

pub fn arcadedb_url() -> String {
    std::env::var("ARCADEDB_HTTP").unwrap_or_else(|_| "http://127.0.0.1:2480".into())
}

pub fn arcadedb_password() -> String {
    std::env::var("ARCADEDB_ROOT_PASSWORD").unwrap_or_else(|_| "graphferry-test".into())
}

/// A running server; killed when dropped.
pub struct Server {
    child: Child,
    pub url: String,
    pub database: String,
    pub http: reqwest::Client,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Fails the test with the fix when ArcadeDB is not reachable.
pub async fn require_arcadedb() {
    let url = arcadedb_url();
    let ok = reqwest::Client::new()
        .get(format!("{url}/api/v1/exists/source"))
        .basic_auth("root", Some(arcadedb_password()))
        .send()
        .await
        .is_ok_and(|r| r.status().is_success());
    assert!(ok, "ArcadeDB is not reachable at {url}: run `scripts/test-servers.sh start` first");
}

/// Runs `command` on ArcadeDB database `db` directly, bypassing the server under test.
pub async fn arcadedb(db: &str, language: &str, command: &str) -> Value {
    let r = reqwest::Client::new()
        .post(format!("{}/api/v1/command/{db}", arcadedb_url()))
        .basic_auth("root", Some(arcadedb_password()))
        .json(&json!({ "language": language, "command": command, "limit": -1 }))
        .send()
        .await
        .expect("ArcadeDB request");
    let v: Value = r.json().await.expect("ArcadeDB JSON");
    v["result"].clone()
}

/// Counts with a Cypher `RETURN count(...) AS c` query run directly on ArcadeDB.
pub async fn engine_count(db: &str, cypher: &str) -> i64 {
    arcadedb(db, "cypher", cypher).await[0]["c"].as_i64().unwrap_or_else(|| panic!("no count from {cypher}"))
}

async fn drop_database(db: &str) {
    let _ = reqwest::Client::new()
        .post(format!("{}/api/v1/server", arcadedb_url()))
        .basic_auth("root", Some(arcadedb_password()))
        .json(&json!({ "command": format!("drop database {db}") }))
        .send()
        .await;
}

pub async fn database_exists(db: &str) -> bool {
    let v: Value = reqwest::Client::new()
        .get(format!("{}/api/v1/exists/{db}", arcadedb_url()))
        .basic_auth("root", Some(arcadedb_password()))
        .send()
        .await
        .expect("ArcadeDB request")
        .json()
        .await
        .expect("ArcadeDB JSON");
    v["result"] == json!(true)
}

impl Server {
    /// Starts the server on a fresh database `nts_<name>` with extra flags.
    pub async fn start(name: &str, flags: &[&str]) -> Server {
        Self::start_with(name, flags, reqwest::Client::new()).await
    }

    pub async fn start_with(name: &str, flags: &[&str], http: reqwest::Client) -> Server {
        require_arcadedb().await;
        let database = format!("nts_{name}");
        drop_database(&database).await;
        let mut child = Command::new(env!("CARGO_BIN_EXE_neptune-test-server"))
            .args(["--listen", "127.0.0.1:0", "--database", &database, "--arcadedb-url", &arcadedb_url()])
            .args(["--arcadedb-password", &arcadedb_password()])
            .args(flags)
            .env("RUST_LOG", "neptune_test_server=warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start neptune-test-server");
        let stdout = child.stdout.take().expect("stdout");
        let line = tokio::task::spawn_blocking(move || {
            let mut line = String::new();
            BufReader::new(stdout).read_line(&mut line).map(|_| line)
        })
        .await
        .expect("join")
        .expect("read the server's first line");
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("server did not start (first line {line:?}); see its stderr above"))
            .to_string();
        Server { child, url, database, http }
    }

    /// POSTs a form-encoded Database request.
    pub async fn form(&self, query: &str, params: Value) -> (u16, Value) {
        let body = form_body(query, &params);
        let r = self
            .http
            .post(format!("{}/openCypher", self.url))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .expect("request");
        status_json(r).await
    }

    /// POSTs a Database request the way the AWS SDK does (JSON, parameters as a string).
    pub async fn sdk_json(&self, path: &str, query: &str, params: Value) -> (u16, Value) {
        let body = json!({ "query": query, "parameters": params.to_string() });
        let r = self.http.post(format!("{}{path}", self.url)).json(&body).send().await.expect("request");
        status_json(r).await
    }

    /// POSTs an Analytics ExecuteQuery request.
    pub async fn analytics(&self, graph: Option<&str>, body: Value) -> (u16, Value) {
        let mut req = self.http.post(format!("{}/queries", self.url)).json(&body);
        if let Some(g) = graph {
            req = req.header("graphIdentifier", g);
        }
        status_json(req.send().await.expect("request")).await
    }

    pub async fn counters(&self) -> Value {
        self.http.get(format!("{}/admin/counters", self.url)).send().await.unwrap().json().await.unwrap()
    }

    pub async fn set_faults(&self, plan: Value) -> (u16, Value) {
        status_json(self.http.post(format!("{}/admin/faults", self.url)).json(&plan).send().await.unwrap()).await
    }
}

pub fn form_body(query: &str, params: &Value) -> String {
    form_urlencoded::Serializer::new(String::new())
        .append_pair("query", query)
        .append_pair("parameters", &params.to_string())
        .finish()
}

pub async fn status_json(r: reqwest::Response) -> (u16, Value) {
    let status = r.status().as_u16();
    let text = r.text().await.expect("body");
    (status, serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}")))
}

/// Asserts a Neptune error answer: status, code, and the `{requestId, code, detailedMessage}` shape.
pub fn assert_error(got: &(u16, Value), status: u16, code: &str) {
    assert_eq!(got.0, status, "{}", got.1);
    assert_eq!(got.1["code"], code, "{}", got.1);
    assert!(got.1["requestId"].as_str().is_some_and(|s| !s.is_empty()), "{}", got.1);
    assert!(got.1["detailedMessage"].is_string(), "{}", got.1);
}

/// `n` rows `{id, props: {name, n}}` with ids `<prefix>0..`.
pub fn rows(prefix: &str, n: usize) -> Value {
    Value::Array(
        (0..n)
            .map(|i| json!({ "id": format!("{prefix}{i}"), "props": { "name": format!("{prefix}{i}"), "n": i } }))
            .collect(),
    )
}

pub const UPSERT: &str = "UNWIND $rows AS row MERGE (n:Person {`~id`: row.id}) SET n += row.props";
