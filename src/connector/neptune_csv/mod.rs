//! `database: neptune-csv` targets: a folder of Neptune's openCypher bulk-load CSV, for graphs
//! too big to load query by query. The same `~id`s and value encodings as the `neptune` query
//! path (its `identity` and `encoding`), so a later query-based copy updates the same entities.
//!
//! - [`config`]: the target's keys; `layout`: the format's headers and cells;
//! - `sink`: the copy sink (through [`bulk`](crate::connector::bulk)); `load`: `load.json` and
//!   the load commands.

mod config;
mod layout;
mod load;
mod sink;

pub use config::{LoaderSettings, NeptuneCsvConfig};
pub use sink::NeptuneCsvSink;

use std::path::Path;

use async_trait::async_trait;

use super::{Connector, ConnectorConfig, ConnectorError, Sink};
use crate::config::{ConfigError, KeyReader};

impl ConnectorConfig for NeptuneCsvConfig {
    const DATABASE: &'static str = "neptune-csv";
    /// Writes are local encoding and appends: more concurrent writers than cores gain nothing.
    const WRITE_DEFAULTS: super::WriteDefaults = super::WriteDefaults { batch_size: 5000, concurrency: 4 };
    const MIGRATED_BY_ALL_TARGETS: bool = false;
    const KEYS: &'static [&'static str] = config::KEYS;

    fn from_keys(keys: &mut KeyReader<'_>, base_dir: &Path) -> Result<Self, ConfigError> {
        NeptuneCsvConfig::read(keys, base_dir)
    }
}

#[async_trait]
impl Connector for NeptuneCsvConfig {
    fn location(&self) -> String {
        format!("neptune-csv folder {}", self.path.display())
    }

    async fn check(&self, _target: &str) -> Result<String, ConnectorError> {
        crate::connector::bulk::check_folder(&self.path)
    }

    async fn sink(&self, target: &str) -> Option<Result<Box<dyn Sink>, ConnectorError>> {
        Some(Ok(Box::new(NeptuneCsvSink::new(target, self))))
    }
}
