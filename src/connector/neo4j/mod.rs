//! `database: neo4j` targets, reached over Bolt with neo4rs: a streaming [`Neo4jSource`] and a
//! batched, idempotent [`Neo4jSink`].
//!
//! Written for Neo4j 5. The test server is ArcadeDB's Neo4j-compatible Bolt plugin; where it
//! differs (see ../shared/TESTING.md) the code works around it without changing what Neo4j sees,
//! and says so where it does.
//!
//! Files: `config` (keys), `client` (pool, transactions, timeouts), `cypher` (query text and
//! identifier quoting), `value` (Bolt values ⇄ model), `error` (classification), `source`,
//! `sink`, `lookup` (reading a copy back for `verify`).

mod client;
mod config;
mod cypher;
mod error;
mod finalize;
mod introspect;
mod journal;
mod lookup;
pub mod migrate;
mod sink;
mod source;
pub mod value;

pub use config::{Neo4jConfig, DEFAULT_SOURCE_ID_LABEL, DEFAULT_SOURCE_ID_PROPERTY};
pub use lookup::Neo4jLookup;
pub use sink::Neo4jSink;
pub use source::Neo4jSource;

use client::Client;

use std::collections::BTreeMap;
use std::path::Path;

use async_trait::async_trait;

use crate::config::{ConfigError, KeyReader};
use crate::connector::{
    Connector, ConnectorConfig, ConnectorError, CopiedLookup, Finalizer, Journaled, Migrator, Sink, Source,
    WriteDefaults,
};

/// Connections a source needs: one streamed read at a time, plus a spare for counting.
const SOURCE_CONNECTIONS: usize = 2;
/// Connections a sink may use; the pipeline's `--concurrency` writes share them.
const SINK_CONNECTIONS: usize = 16;

impl ConnectorConfig for Neo4jConfig {
    const DATABASE: &'static str = "neo4j";
    /// One transaction of 5000 rows at a time. Concurrent write transactions into one graph
    /// lock each other's nodes and index entries (Neo4j deadlocks, ArcadeDB concurrent
    /// modifications): 100k nodes + 100k relationships into ArcadeDB took 50 s with 4 batches
    /// of 1000 in flight (101 retries), 32 s with 2 of 5000, 23.5 s with 1 of 5000.
    const WRITE_DEFAULTS: WriteDefaults = WriteDefaults { batch_size: 5000, concurrency: 1 };
    const KEYS: &'static [&'static str] = &[
        "uri",
        "username",
        "password",
        "database_name",
        "use_enterprise_features",
        "source_id_property",
        "source_id_label",
        "fetch_size",
        "connect_timeout_seconds",
        "query_timeout_seconds",
        "chunk_size",
        "execute_chunks_in_parallel",
        "retries_per_chunk",
        "max_connection_pool_size",
    ];

    fn from_keys(keys: &mut KeyReader<'_>, _base_dir: &Path) -> Result<Self, ConfigError> {
        Neo4jConfig::read(keys)
    }
}

#[async_trait]
impl Connector for Neo4jConfig {
    fn location(&self) -> String {
        format!("{} database {}", self.uri, self.database_name)
    }

    /// Connects, authenticates and runs a trivial query on the database.
    async fn check(&self, target: &str) -> Result<String, ConnectorError> {
        Client::connect(target, self, 1).await?;
        Ok(format!("connected to {} (database `{}`)", self.uri, self.database_name))
    }

    async fn source(&self, target: &str) -> Option<Result<Box<dyn Source>, ConnectorError>> {
        let source = async {
            let client = Client::connect(target, self, SOURCE_CONNECTIONS).await?;
            Ok(Box::new(Neo4jSource::new(client, self.source_id_label.clone(), self.source_id_property.clone()))
                as Box<dyn Source>)
        };
        Some(source.await)
    }

    async fn sink(&self, target: &str) -> Option<Result<Box<dyn Sink>, ConnectorError>> {
        let sink = async {
            let client = Client::connect(target, self, SINK_CONNECTIONS).await?;
            Ok(Box::new(Neo4jSink::new(client, self)) as Box<dyn Sink>)
        };
        Some(sink.await)
    }

    async fn lookup(
        &self,
        target: &str,
        _node_keys: &BTreeMap<String, Vec<String>>,
    ) -> Option<Result<Box<dyn CopiedLookup>, ConnectorError>> {
        let lookup = async {
            let client = Client::connect(target, self, SOURCE_CONNECTIONS).await?;
            Ok(Box::new(Neo4jLookup::new(client, self)) as Box<dyn CopiedLookup>)
        };
        Some(lookup.await)
    }

    async fn migrator(&self, target: &str) -> Option<Result<Box<dyn Migrator>, ConnectorError>> {
        Some(migrate::Neo4jMigrator::connect(target, self).await.map(|m| Box::new(m) as Box<dyn Migrator>))
    }

    async fn finalizer(&self, target: &str) -> Option<Result<Box<dyn Finalizer>, ConnectorError>> {
        let finalizer = async {
            let client = Client::connect(target, self, 1).await?;
            Ok(Box::new(finalize::Neo4jFinalizer::new(client, self)) as Box<dyn Finalizer>)
        };
        Some(finalizer.await)
    }

    async fn journaled(&self, target: &str) -> Option<Result<Box<dyn Journaled>, ConnectorError>> {
        let journal = async {
            // Lookups run inside the copy's concurrent writes.
            let client = Client::connect(target, self, SINK_CONNECTIONS).await?;
            Ok(Box::new(journal::Neo4jJournal::new(client, self)) as Box<dyn Journaled>)
        };
        Some(journal.await)
    }
}
