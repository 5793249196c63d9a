//! Killing the Bolt server mid-copy: graphferry must exit non-zero within a bounded time with a
//! message naming the target, and must not report as copied anything the server did not keep.
//!
//! Runs a private ArcadeDB (same installed package as the shared one, other ports, its own data
//! folder) so killing it disturbs no other test.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::server::{cypher_http, http, password, target_yaml, START_HINT};
use crate::support::Project;

/// A private ArcadeDB server, killed when dropped (also used by `restart`).
pub(super) struct Private {
    child: Option<Child>,
    root: PathBuf,
    pub(super) http: String,
    pub(super) bolt: String,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Where `scripts/test-servers.sh` installed ArcadeDB.
fn arcadedb_package() -> PathBuf {
    let work = std::env::var("GRAPHFERRY_TEST_SERVERS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".test-servers"));
    let python = work.join("venv/bin/python");
    let out = Command::new(&python)
        .args([
            "-c",
            "import importlib.util as u; print(u.find_spec('arcadedb_embedded').submodule_search_locations[0])",
        ])
        .output()
        .unwrap_or_else(|e| panic!("no ArcadeDB install at {} ({e}): {START_HINT}", python.display()));
    assert!(out.status.success(), "ArcadeDB is not installed in {}: {START_HINT}", work.display());
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
}

impl Private {
    pub(super) fn start(root: PathBuf) -> Private {
        let (http_port, bolt_port) = (free_port(), free_port());
        let mut p = Private {
            child: None,
            http: format!("http://127.0.0.1:{http_port}"),
            bolt: format!("bolt://127.0.0.1:{bolt_port}"),
            root,
        };
        p.launch();
        p
    }

    pub(super) fn launch(&mut self) {
        let pkg = arcadedb_package();
        std::fs::create_dir_all(self.root.join("databases")).unwrap();
        let port = |url: &str| url.rsplit(':').next().unwrap().to_string();
        let child = Command::new(pkg.join("jre/bin/java"))
            .current_dir(&self.root)
            .arg("-Xmx1g")
            .arg(format!("-Darcadedb.server.rootPath={}", self.root.display()))
            .arg(format!("-Darcadedb.server.databaseDirectory={}", self.root.join("databases").display()))
            .arg(format!("-Darcadedb.server.rootPassword={}", password()))
            .arg("-Darcadedb.server.defaultDatabases=source[root];target[root]")
            .arg("-Darcadedb.server.httpIncomingHost=127.0.0.1")
            .arg(format!("-Darcadedb.server.httpIncomingPort={}", port(&self.http)))
            .arg("-Darcadedb.server.plugins=Bolt:com.arcadedb.bolt.BoltProtocolPlugin")
            .arg("-Darcadedb.bolt.host=127.0.0.1")
            .arg(format!("-Darcadedb.bolt.port={}", port(&self.bolt)))
            .arg("-cp")
            .arg(format!("{}/jars/*", pkg.display()))
            .arg("com.arcadedb.server.ArcadeDBServer")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start a private ArcadeDB");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(90);
        let ping = r#"{"language": "sql", "command": "select 1"}"#;
        while http(&self.http, "/api/v1/command/target", ping).is_err() {
            assert!(Instant::now() < deadline, "the private ArcadeDB at {} did not come up", self.http);
            std::thread::sleep(Duration::from_millis(300));
        }
        // The Bolt port opens a little after HTTP answers.
        std::thread::sleep(Duration::from_millis(1000));
    }

    pub(super) fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub(super) fn count(&self, database: &str) -> u64 {
        let body = cypher_http(&self.http, database, "MATCH (n:Item) RETURN count(n) AS c");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        v["result"][0]["c"].as_u64().unwrap_or_else(|| panic!("{body}"))
    }
}

impl Drop for Private {
    fn drop(&mut self) {
        self.kill();
    }
}

#[test]
fn killing_the_server_mid_copy_fails_fast_and_reports_only_what_landed() {
    let data = tempfile::tempdir().unwrap();
    let mut server = Private::start(data.path().join("arcadedb"));
    cypher_http(&server.http, "source", "UNWIND range(1, 60000) AS i CREATE (:Item {i: i, s: 'item ' + toString(i)})");
    let p = Project::new(&(target_yaml("src", &server.bolt, "source") + &target_yaml("dst", &server.bolt, "target")));

    let mut copy = Command::new(assert_cmd::cargo::cargo_bin("graphferry"))
        .arg("--config")
        .arg(p.config())
        .args(["--json", "copy", "--source", "src", "--target", "dst", "--all", "--batch-size", "500"])
        .args(["--concurrency", "2"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while server.count("target") == 0 {
        assert!(copy.try_wait().unwrap().is_none(), "the copy ended before any write was seen");
        assert!(Instant::now() < deadline, "no write reached the target in 60 s");
        std::thread::sleep(Duration::from_millis(50));
    }
    server.kill();
    let killed = Instant::now();

    let status = loop {
        if let Some(status) = copy.try_wait().unwrap() {
            break status;
        }
        if killed.elapsed() > Duration::from_secs(120) {
            let _ = copy.kill();
            panic!("graphferry still running 120 s after the server was killed");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let out = copy.wait_with_output().unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(!status.success(), "the copy succeeded although the server died; {stdout}");
    assert!(stderr.contains("Neo4j target `src`") || stderr.contains("Neo4j target `dst`"), "{stderr}");
    eprintln!("exited {:.1} s after the kill: {stderr}", killed.elapsed().as_secs_f64());

    // What graphferry reports as written must be in the target once the server is back.
    let summary = crate::support::event(stdout.as_bytes(), "summary");
    assert_eq!(summary["status"], "failed", "{summary}");
    let reported = summary["nodes"].as_u64().unwrap_or_else(|| panic!("{summary}"));
    server.launch();
    let landed = server.count("target");
    assert!(landed >= reported, "reported {reported} nodes written, the target holds {landed}");
    assert!(landed < 60_000, "the whole copy landed; the kill came too late to test anything");
}
