//! nodestream-format schema migrations: the file format ([`format`]), planning ([`plan`]),
//! running them against a target through its connector's `Migrator` ([`run`]), and writing a
//! new migration from a live schema ([`make`]).

mod defaults;
pub mod format;
pub mod make;
pub mod plan;
pub mod rounds;
pub mod run;

use std::path::{Path, PathBuf};

pub use format::{Migration, Operation};
pub use plan::{MigrationSet, NodeKeys, Pending, PlanError};

/// The migrations folder: `--migrations DIR`, or `migrations/` beside the config file.
pub fn folder(config_path: &Path, flag: Option<&Path>) -> PathBuf {
    match flag {
        Some(dir) => dir.to_path_buf(),
        None => config_path.parent().unwrap_or(Path::new("")).join("migrations"),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(transparent)]
    Format(#[from] format::FormatError),
    #[error(transparent)]
    Plan(#[from] PlanError),
}

/// Reads and checks every migration in `dir` (a missing folder holds none).
pub fn load(dir: &Path) -> Result<MigrationSet, LoadError> {
    Ok(MigrationSet::new(format::read_dir(dir)?)?)
}

#[cfg(test)]
mod tests;
