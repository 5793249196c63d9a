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
