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

use async_trait::async_trait;

use super::{Connector, ConnectorConfig, ConnectorError, CopiedLookup, Migrator, Sink, Source};
use crate::config::{ConfigError, KeyReader};

#[derive(Debug, Clone)]
pub struct FileConfig {
    /// The dump file. A relative path is taken from the config file's folder.
    pub path: PathBuf,
}

impl ConnectorConfig for FileConfig {
    const DATABASE: &'static str = "file";
    /// Migrating a dump rewrites it and leaves a history file beside it, which a dump the
    /// config lists to copy from must not get unasked.
    const MIGRATED_BY_ALL_TARGETS: bool = false;
    const KEYS: &'static [&'static str] = &["path"];

    fn from_keys(keys: &mut KeyReader<'_>, base_dir: &Path) -> Result<Self, ConfigError> {
        let path = PathBuf::from(keys.required_str("path")?);
        let path = if path.is_relative() { base_dir.join(path) } else { path };
        Ok(FileConfig { path })
    }
}

#[async_trait]
impl Connector for FileConfig {
    fn location(&self) -> String {
        format!("file {}", self.path.display())
    }

    async fn check(&self, _target: &str) -> Result<String, ConnectorError> {
        check(self)
    }

    async fn source(&self, _target: &str) -> Option<Result<Box<dyn Source>, ConnectorError>> {
        Some(FileSource::open(self).map(|s| Box::new(s) as Box<dyn Source>))
    }

    async fn sink(&self, _target: &str) -> Option<Result<Box<dyn Sink>, ConnectorError>> {
        Some(FileSink::create(self).map(|s| Box::new(s) as Box<dyn Sink>))
    }

    async fn lookup(
        &self,
        _target: &str,
        _node_keys: &std::collections::BTreeMap<String, Vec<String>>,
    ) -> Option<Result<Box<dyn CopiedLookup>, ConnectorError>> {
        Some(FileSource::open(self).map(|s| Box::new(s) as Box<dyn CopiedLookup>))
    }

    async fn migrator(&self, _target: &str) -> Option<Result<Box<dyn Migrator>, ConnectorError>> {
        Some(Ok(Box::new(FileMigrator::new(self))))
    }

    async fn finalizer(&self, _target: &str) -> Option<Result<Box<dyn crate::connector::Finalizer>, ConnectorError>> {
        Some(Ok(Box::new(crate::connector::NothingToFinalize(
            "a dump file holds the records as they are in the source (each record's id is part of the dump format, \
             not a mark added to the data)",
        ))))
    }
}

/// `targets --check`: a readable dump, or a folder a dump can be written into.
fn check(cfg: &FileConfig) -> Result<String, ConnectorError> {
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
