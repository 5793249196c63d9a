//! Keys of a `database: neo4j` target. The names are nodestream's, so its file works unchanged;
//! the keys graphferry adds (identity, fetch size, timeouts) all have defaults.

use std::time::Duration;

use crate::config::{ConfigError, KeyReader, Secret};

/// The property a copied node or relationship carries its source id in.
pub const DEFAULT_SOURCE_ID_PROPERTY: &str = "_graphferry_id";

/// The label every node graphferry writes also gets, with an index on the source-id property, so
/// relationship endpoints (known only by source id) are found with one index lookup whatever
/// their labels, unlabelled nodes included.
pub const DEFAULT_SOURCE_ID_LABEL: &str = crate::model::bookkeeping::DEFAULT_IDENTITY_LABEL;

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
    pub source_id_label: String,
    /// Rows the server sends per PULL while streaming a read.
    pub fetch_size: usize,
    /// Opening a connection (TCP, TLS, Bolt handshake, authentication).
    pub connect_timeout: Duration,
    /// One request: a batch write, or the next page of rows of a streamed read.
    pub query_timeout: Duration,
}

impl Neo4jConfig {
    pub(crate) fn read(keys: &mut KeyReader<'_>) -> Result<Self, ConfigError> {
        let uri = keys.required_str("uri")?;
        if !["bolt://", "bolt+s://", "bolt+ssc://", "neo4j://", "neo4j+s://", "neo4j+ssc://"]
            .iter()
            .any(|scheme| uri.starts_with(scheme))
        {
            return Err(keys.invalid("uri", "must start with bolt://, bolt+s://, neo4j:// or neo4j+s://".into(), None));
        }
        let username = keys.required_str("username")?;
        let password = keys.required_secret("password")?;
        let database_name = keys.optional_str("database_name")?.unwrap_or_else(|| "neo4j".to_string());
        let use_enterprise_features = keys.optional_bool("use_enterprise_features")?.unwrap_or(false);
        let source_id_property = non_empty(keys, "source_id_property", DEFAULT_SOURCE_ID_PROPERTY)?;
        let source_id_label = non_empty(keys, "source_id_label", DEFAULT_SOURCE_ID_LABEL)?;
        let fetch_size = positive(keys, "fetch_size", 1000)? as usize;
        let connect_timeout = Duration::from_secs(positive(keys, "connect_timeout_seconds", 10)?);
        let query_timeout = Duration::from_secs(positive(keys, "query_timeout_seconds", 120)?);
        // nodestream's own tuning keys; graphferry has its own flags for these.
        keys.accept_unused(&[
            "chunk_size",
            "execute_chunks_in_parallel",
            "retries_per_chunk",
            "max_connection_pool_size",
        ]);
        Ok(Neo4jConfig {
            uri,
            username,
            password,
            database_name,
            use_enterprise_features,
            source_id_property,
            source_id_label,
            fetch_size,
            connect_timeout,
            query_timeout,
        })
    }
}

fn non_empty(keys: &mut KeyReader<'_>, key: &'static str, default: &str) -> Result<String, ConfigError> {
    match keys.optional_str(key)? {
        None => Ok(default.to_string()),
        Some(s) if s.is_empty() => Err(keys.invalid(key, "must not be empty".into(), None)),
        Some(s) => Ok(s),
    }
}

fn positive(keys: &mut KeyReader<'_>, key: &'static str, default: u64) -> Result<u64, ConfigError> {
    match keys.optional_u64(key)? {
        None => Ok(default),
        Some(0) => Err(keys.invalid(key, "must be at least 1".into(), None)),
        Some(n) => Ok(n),
    }
}

#[cfg(test)]
mod tests {
    use crate::connector::registry::Only;

    use super::*;

    const BASE: &str = "targets:\n  g:\n    database: neo4j\n    uri: bolt://localhost:7687\n    username: neo4j\n    password: pw-12345678\n";

    fn parse(extra: &str) -> Result<Neo4jConfig, String> {
        Only::<Neo4jConfig>::parse(&format!("{BASE}{extra}"), "g")
    }

    #[test]
    fn defaults() {
        let c = parse("").unwrap();
        assert_eq!(c.database_name, "neo4j");
        assert!(!c.use_enterprise_features);
        assert_eq!(c.source_id_property, "_graphferry_id");
        assert_eq!(c.source_id_label, "_GraphferryNode");
        assert_eq!(c.fetch_size, 1000);
        assert_eq!(c.connect_timeout, Duration::from_secs(10));
        assert_eq!(c.query_timeout, Duration::from_secs(120));
    }

    #[test]
    fn every_key_parses() {
        let c = parse(
            "    database_name: source\n    use_enterprise_features: true\n    source_id_property: src id\n    \
             source_id_label: Copied\n    fetch_size: 250\n    connect_timeout_seconds: 3\n    query_timeout_seconds: 7\n    \
             chunk_size: 10\n",
        )
        .unwrap();
        assert_eq!(c.database_name, "source");
        assert!(c.use_enterprise_features);
        assert_eq!(c.source_id_property, "src id");
        assert_eq!(c.source_id_label, "Copied");
        assert_eq!(c.fetch_size, 250);
        assert_eq!(c.connect_timeout, Duration::from_secs(3));
        assert_eq!(c.query_timeout, Duration::from_secs(7));
    }

    #[test]
    fn bad_values_name_the_key() {
        for (extra, key) in [
            ("    fetch_size: 0\n", "fetch_size"),
            ("    query_timeout_seconds: soon\n", "query_timeout_seconds"),
            ("    connect_timeout_seconds: 0\n", "connect_timeout_seconds"),
            ("    source_id_property: ''\n", "source_id_property"),
            ("    source_id_label: ''\n", "source_id_label"),
            ("    fetch_sise: 10\n", "fetch_sise"),
        ] {
            let err = parse(extra).unwrap_err();
            assert!(err.contains(&format!("key `{key}`")), "{extra}: {err}");
            assert!(!err.contains("pw-12345678"), "{err}");
        }
    }

    #[test]
    fn uri_scheme_is_checked() {
        let err = Only::<Neo4jConfig>::parse(&BASE.replace("bolt://", "http://"), "g").unwrap_err();
        assert!(err.contains("key `uri`"), "{err}");
    }
}
