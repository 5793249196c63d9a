//! Shared test helpers: running the binary and writing configs into a temporary project.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// The graphferry binary under test, with a clean environment for logging.
pub fn graphferry() -> Command {
    let mut cmd = Command::cargo_bin("graphferry").expect("binary built");
    cmd.env_remove("RUST_LOG");
    cmd
}

/// A temporary folder holding a nodestream.yaml and whatever the test writes next to it.
pub struct Project {
    pub dir: tempfile::TempDir,
}

impl Project {
    /// A project whose nodestream.yaml has `targets` (YAML text, indented by two spaces).
    pub fn new(targets: &str) -> Project {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("nodestream.yaml"), format!("targets:\n{targets}")).expect("write config");
        Project { dir }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn config(&self) -> PathBuf {
        self.path("nodestream.yaml")
    }

    /// `graphferry --config <this project's config>`.
    pub fn cmd(&self) -> Command {
        let mut cmd = graphferry();
        cmd.arg("--config").arg(self.config()).current_dir(self.dir.path());
        cmd
    }
}

/// The bundled example dump.
pub fn example_dump() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/movies.graphferry.jsonl")
}

/// The venv `scripts/test-servers.sh install` fills (ArcadeDB and the Neo4j Python driver).
fn python() -> PathBuf {
    let dir = std::env::var_os("GRAPHFERRY_TEST_SERVERS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join(".test-servers"));
    let python = dir.join("venv/bin/python");
    assert!(python.exists(), "no {}: run `scripts/test-servers.sh install` first", python.display());
    python
}

/// `database` on the Bolt server at `uri` as the independent reader (tests/it/py/read_graph.py,
/// the official Neo4j Python driver) reads it.
pub fn read_graph(uri: &str, user: &str, database: &str, password: &str) -> serde_json::Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/py/read_graph.py");
    let out = std::process::Command::new(python())
        .arg(script)
        .args([uri, user, database])
        .env("NEO4J_PASSWORD", password)
        .output()
        .expect("run the Python reader");
    assert!(out.status.success(), "read_graph.py {uri} {database}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("the reader prints JSON")
}

/// The first JSON line of a `--json` run's stdout whose `event` is `event`.
pub fn event(stdout: &[u8], event: &str) -> serde_json::Value {
    String::from_utf8_lossy(stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|v| v["event"] == event)
        .unwrap_or_else(|| panic!("no `{event}` line in {}", String::from_utf8_lossy(stdout)))
}
