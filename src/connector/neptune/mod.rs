//! `database: neptune` targets: Amazon Neptune Database and Neptune Analytics over openCypher,
//! written against the protocol facts in NEPTUNE.md (not against any test server's quirks).
//!
//! - [`config`]: the target's keys;
//! - `client`, `credentials`, `error`: HTTP/1.1 + TLS, SigV4 signing, error classification;
//! - `query`, `encoding`, `identity`: query text, value encodings, `~id`s;
//! - `sink`, `source`, `migrate`: the copy sink, the copy source, the migrator.

mod client;
mod config;
mod credentials;
pub mod encoding;
mod error;
mod finalize;
pub mod identity;
mod journal;
mod lookup;
mod migrate;
mod query;
mod scan;
mod sink;
mod source;

pub use config::{NeptuneConfig, NeptuneMode, TemporalEncoding, DEFAULT_SOURCE_ID_PROPERTY};
pub use lookup::NeptuneLookup;
pub use migrate::NeptuneMigrator;
pub use sink::NeptuneSink;
pub use source::NeptuneSource;

use std::collections::BTreeMap;
use std::path::Path;

use async_trait::async_trait;
use serde_json::Map;

use super::{
    Connector, ConnectorConfig, ConnectorError, CopiedLookup, Finalizer, Journaled, Migrator, NothingToFinalize, Sink,
    Source,
};
use crate::config::{ConfigError, KeyReader};

impl ConnectorConfig for NeptuneConfig {
    const DATABASE: &'static str = "neptune";
    const KEYS: &'static [&'static str] = &[
        "mode",
        "host",
        "graph_id",
        "region",
        "iam_auth",
        "tls_ca_file",
        "tls_insecure",
        "source_id_property",
        "temporal_encoding",
        "async_partitions",
        "ingest_query_builder",
    ];

    fn from_keys(keys: &mut KeyReader<'_>, base_dir: &Path) -> Result<Self, ConfigError> {
        NeptuneConfig::read(keys, base_dir)
    }
}

#[async_trait]
impl Connector for NeptuneConfig {
    fn location(&self) -> String {
        let or_none = |s: &Option<String>| s.clone().unwrap_or_else(|| "-".into());
        format!(
            "Neptune {} host {} graph {} region {}",
            mode_name(self.mode),
            or_none(&self.host),
            or_none(&self.graph_id),
            or_none(&self.region)
        )
    }

    /// One trivial query, which also proves the credentials.
    async fn check(&self, target: &str) -> Result<String, ConnectorError> {
        let client = client::Client::new(target, self)?;
        client.query("RETURN 1 AS ok", Map::new()).await?;
        Ok(format!("Neptune {} answers at {}", mode_name(self.mode), client.endpoint()))
    }

    async fn source(&self, target: &str) -> Option<Result<Box<dyn Source>, ConnectorError>> {
        Some(source(target, self).map(|s| Box::new(s) as Box<dyn Source>))
    }

    async fn sink(&self, target: &str) -> Option<Result<Box<dyn Sink>, ConnectorError>> {
        let sink = client::Client::new(target, self).map(|c| NeptuneSink::new(c, self.source_id_property.clone(), self.temporal_encoding));
        Some(sink.map(|s| Box::new(s) as Box<dyn Sink>))
    }

    async fn lookup(
        &self,
        target: &str,
        node_keys: &BTreeMap<String, Vec<String>>,
    ) -> Option<Result<Box<dyn CopiedLookup>, ConnectorError>> {
        let lookup =
            source(target, self).map(|s| NeptuneLookup::new(s, node_keys.clone(), self.temporal_encoding));
        Some(lookup.map(|l| Box::new(l) as Box<dyn CopiedLookup>))
    }

    async fn migrator(&self, target: &str) -> Option<Result<Box<dyn Migrator>, ConnectorError>> {
        Some(client::Client::new(target, self).map(|c| Box::new(NeptuneMigrator::new(c)) as Box<dyn Migrator>))
    }

    async fn journaled(&self, target: &str) -> Option<Result<Box<dyn Journaled>, ConnectorError>> {
        Some(journal(target, self).map(|j| Box::new(j) as Box<dyn Journaled>))
    }

    async fn finalizer(&self, target: &str) -> Option<Result<Box<dyn Finalizer>, ConnectorError>> {
        Some(match self.mode {
            NeptuneMode::Database => Ok(Box::new(NothingToFinalize(finalize::DATABASE_HAS_NO_MARKS)) as Box<dyn Finalizer>),
            NeptuneMode::Analytics => client::Client::new(target, self).map(|c| {
                Box::new(finalize::NeptuneFinalizer::new(c, self.source_id_property.clone())) as Box<dyn Finalizer>
            }),
        })
    }
}

fn journal(target: &str, cfg: &NeptuneConfig) -> Result<journal::NeptuneJournal, ConnectorError> {
    Ok(journal::NeptuneJournal::new(client::Client::new(target, cfg)?, source(target, cfg)?, cfg))
}

fn source(target: &str, cfg: &NeptuneConfig) -> Result<NeptuneSource, ConnectorError> {
    Ok(NeptuneSource::new(client::Client::new(target, cfg)?, cfg.source_id_property.clone()))
}

fn mode_name(mode: NeptuneMode) -> &'static str {
    match mode {
        NeptuneMode::Database => "Database",
        NeptuneMode::Analytics => "Analytics",
    }
}
