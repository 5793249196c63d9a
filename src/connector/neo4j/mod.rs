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
mod introspect;
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

use crate::connector::ConnectorError;

/// Connections a source needs: one streamed read at a time, plus a spare for counting.
const SOURCE_CONNECTIONS: usize = 2;
/// Connections a sink may use; the pipeline's `--concurrency` writes share them.
const SINK_CONNECTIONS: usize = 16;

pub async fn connect_source(target: &str, cfg: &Neo4jConfig) -> Result<Neo4jSource, ConnectorError> {
    let client = Client::connect(target, cfg, SOURCE_CONNECTIONS).await?;
    Ok(Neo4jSource::new(client, cfg.source_id_label.clone(), cfg.source_id_property.clone()))
}

pub async fn connect_sink(target: &str, cfg: &Neo4jConfig) -> Result<Neo4jSink, ConnectorError> {
    let client = Client::connect(target, cfg, SINK_CONNECTIONS).await?;
    Ok(Neo4jSink::new(client, cfg))
}

/// Reads back what a copy wrote, for `graphferry verify`.
pub async fn connect_lookup(target: &str, cfg: &Neo4jConfig) -> Result<Neo4jLookup, ConnectorError> {
    let client = Client::connect(target, cfg, SOURCE_CONNECTIONS).await?;
    Ok(Neo4jLookup::new(client, cfg))
}

/// `targets --check`: connects, authenticates and runs a trivial query on the database.
pub async fn check(target: &str, cfg: &Neo4jConfig) -> Result<String, ConnectorError> {
    Client::connect(target, cfg, 1).await?;
    Ok(format!("connected to {} (database `{}`)", cfg.uri, cfg.database_name))
}
