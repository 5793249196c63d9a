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
mod identity;
mod lookup;
mod migrate;
mod query;
mod sink;
mod source;

pub use config::{NeptuneConfig, NeptuneMode, DEFAULT_SOURCE_ID_PROPERTY};
pub use lookup::NeptuneLookup;
pub use migrate::NeptuneMigrator;
pub use sink::NeptuneSink;
pub use source::NeptuneSource;

use serde_json::Map;

use super::ConnectorError;

/// Opens a Neptune target for reading (builds the client; the first query is the first contact).
pub fn connect_source(target: &str, cfg: &NeptuneConfig) -> Result<NeptuneSource, ConnectorError> {
    Ok(NeptuneSource::new(client::Client::new(target, cfg)?, cfg.source_id_property.clone()))
}

/// Opens a Neptune target for writing.
pub fn connect_sink(target: &str, cfg: &NeptuneConfig) -> Result<NeptuneSink, ConnectorError> {
    Ok(NeptuneSink::new(client::Client::new(target, cfg)?, cfg.source_id_property.clone()))
}

/// Opens a Neptune target to read back what a copy wrote (`verify`).
pub fn connect_lookup(
    target: &str,
    cfg: &NeptuneConfig,
    node_keys: &std::collections::BTreeMap<String, Vec<String>>,
) -> Result<NeptuneLookup, ConnectorError> {
    Ok(NeptuneLookup::new(connect_source(target, cfg)?, node_keys.clone()))
}

/// Opens a Neptune target for migrations.
pub fn connect_migrator(target: &str, cfg: &NeptuneConfig) -> Result<NeptuneMigrator, ConnectorError> {
    Ok(NeptuneMigrator::new(client::Client::new(target, cfg)?))
}

/// `targets --check`: one trivial query, which also proves the credentials.
pub async fn check(target: &str, cfg: &NeptuneConfig) -> Result<String, ConnectorError> {
    let client = client::Client::new(target, cfg)?;
    client.query("RETURN 1 AS ok", Map::new()).await?;
    Ok(format!("Neptune {} answers at {}", mode_name(cfg.mode), client.endpoint()))
}

fn mode_name(mode: NeptuneMode) -> &'static str {
    match mode {
        NeptuneMode::Database => "Database",
        NeptuneMode::Analytics => "Analytics",
    }
}
