//! `database: file` targets: a JSON Lines graph dump (docs/FORMAT.md) that round-trips every
//! value exactly. Usable as source and sink; needs no server, so it is the embedded default.

mod dump;
mod migrate;
mod sink;
mod source;

use std::path::{Path, PathBuf};

pub use dump::{encode_nodes, encode_relationships, DumpError, DumpReader, DumpWriter, Record};
pub use migrate::FileMigrator;
pub use sink::FileSink;
pub use source::FileSource;

use super::ConnectorError;
use crate::config::{ConfigError, KeyReader};

#[derive(Debug, Clone)]
pub struct FileConfig {
    /// The dump file. A relative path is taken from the config file's folder.
    pub path: PathBuf,
}

impl FileConfig {
    pub(crate) fn from_keys(keys: &mut KeyReader<'_>, base_dir: &Path) -> Result<Self, ConfigError> {
        let path = PathBuf::from(keys.required_str("path")?);
        let path = if path.is_relative() { base_dir.join(path) } else { path };
        Ok(FileConfig { path })
    }
}

/// `targets --check`: a readable dump, or a folder a dump can be written into.
pub fn check(cfg: &FileConfig) -> Result<String, ConnectorError> {
    if cfg.path.is_file() {
        return match dump::read_end(&cfg.path) {
            Ok(Some(end)) => Ok(format!("dump with {} nodes, {} relationships", end.nodes, end.relationships)),
            Ok(None) => Err(ConnectorError::fatal(format!(
                "{}: not a complete graphferry dump (no end record)",
                cfg.path.display()
            ))),
            Err(e) => Err(ConnectorError::fatal(format!("{}: {e}", cfg.path.display()))),
        };
    }
    let dir = cfg.path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    if dir.is_dir() {
        Ok(format!("no dump yet; {} can be written", cfg.path.display()))
    } else {
        Err(ConnectorError::fatal(format!("folder {} does not exist", dir.display())))
    }
}

impl From<DumpError> for ConnectorError {
    fn from(e: DumpError) -> Self {
        ConnectorError::fatal(e.to_string())
    }
}
