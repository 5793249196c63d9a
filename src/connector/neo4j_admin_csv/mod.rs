//! `database: neo4j-admin-csv` targets: a folder of the CSV files `neo4j-admin database import
//! full` reads, with the import command in a README beside them, for graphs too big to load
//! query by query.
//!
//! - [`config`]: the target's keys; `encoding`: values as the importer's typed columns;
//! - `layout`: the headers and cells; `sink`: the copy sink (through
//!   [`bulk`](crate::connector::bulk)); `command`: the import command and the README.

mod command;
mod config;
mod encoding;
mod layout;
mod sink;

pub use config::Neo4jAdminCsvConfig;
pub use sink::Neo4jAdminCsvSink;

use std::path::Path;

use async_trait::async_trait;

use super::{Connector, ConnectorConfig, ConnectorError, Sink};
use crate::config::{ConfigError, KeyReader};

impl ConnectorConfig for Neo4jAdminCsvConfig {
    const DATABASE: &'static str = "neo4j-admin-csv";
    /// Writes are local encoding and appends, as for `neptune-csv`.
    const WRITE_DEFAULTS: super::WriteDefaults = super::WriteDefaults { batch_size: 5000, concurrency: 4 };
    const MIGRATED_BY_ALL_TARGETS: bool = false;
    const KEYS: &'static [&'static str] = config::KEYS;

    fn from_keys(keys: &mut KeyReader<'_>, base_dir: &Path) -> Result<Self, ConfigError> {
        Neo4jAdminCsvConfig::read(keys, base_dir)
    }
}

#[async_trait]
impl Connector for Neo4jAdminCsvConfig {
    fn location(&self) -> String {
        format!("neo4j-admin-csv folder {}", self.path.display())
    }

    async fn check(&self, _target: &str) -> Result<String, ConnectorError> {
        crate::connector::bulk::check_folder(&self.path)
    }

    async fn sink(&self, target: &str) -> Option<Result<Box<dyn Sink>, ConnectorError>> {
        Some(Ok(Box::new(Neo4jAdminCsvSink::new(target, self))))
    }
}
