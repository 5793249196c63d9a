//! Keys of a `database: neo4j` target. The names are nodestream's, so its file works unchanged.

use crate::config::{ConfigError, KeyReader, Secret};

/// The property a copied node or relationship carries its source id in, when the migrations
/// declare no keys for its type.
pub const DEFAULT_SOURCE_ID_PROPERTY: &str = "_graphferry_id";

#[derive(Debug, Clone)]
pub struct Neo4jConfig {
    /// `bolt://host:7687`, `neo4j://…`, `bolt+s://…`.
    pub uri: String,
    pub username: String,
    pub password: Secret,
    /// The database to use; always sent explicitly (some servers run a query without one on
    /// whichever database the pooled connection used last).
    pub database_name: String,
    /// Use NODE KEY constraints (Neo4j Enterprise) for node keys.
    pub use_enterprise_features: bool,
    pub source_id_property: String,
}

impl Neo4jConfig {
    pub(crate) fn from_keys(keys: &mut KeyReader<'_>) -> Result<Self, ConfigError> {
        let uri = keys.required_str("uri")?;
        if !["bolt://", "bolt+s://", "bolt+ssc://", "neo4j://", "neo4j+s://", "neo4j+ssc://"]
            .iter()
            .any(|scheme| uri.starts_with(scheme))
        {
            return Err(keys.invalid("uri", "must start with bolt://, bolt+s://, neo4j:// or neo4j+s://".into(), None));
        }
        let username = keys.required_str("username")?;
        let password = keys
            .optional_secret("password")?
            .ok_or_else(|| keys.invalid("password", "missing required key".into(), None))?;
        let database_name = keys.optional_str("database_name")?.unwrap_or_else(|| "neo4j".to_string());
        let use_enterprise_features = keys.optional_bool("use_enterprise_features")?.unwrap_or(false);
        let source_id_property =
            keys.optional_str("source_id_property")?.unwrap_or_else(|| DEFAULT_SOURCE_ID_PROPERTY.to_string());
        // nodestream's own tuning keys; graphferry has its own flags for these.
        keys.accept_unused(&[
            "chunk_size",
            "execute_chunks_in_parallel",
            "retries_per_chunk",
            "max_connection_pool_size",
        ]);
        Ok(Neo4jConfig { uri, username, password, database_name, use_enterprise_features, source_id_property })
    }
}
