//! Keys of a `database: neptune` target. The names are nodestream's, so its file works unchanged.

use std::path::{Path, PathBuf};

use crate::config::{ConfigError, KeyReader};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NeptuneMode {
    /// Neptune Database: `POST https://host:8182/openCypher`, SigV4 service `neptune-db`.
    Database,
    /// Neptune Analytics: `POST https://<graph_id>.<region>.neptune-graph.amazonaws.com/queries`.
    Analytics,
}

#[derive(Debug, Clone)]
pub struct NeptuneConfig {
    pub mode: NeptuneMode,
    /// Database mode: the cluster endpoint, `https://host:8182`. Analytics mode: optional override
    /// of the endpoint derived from `graph_id` and `region` (for tests and private endpoints).
    pub host: Option<String>,
    pub graph_id: Option<String>,
    pub region: Option<String>,
    /// `None`: sign requests when AWS credentials are found, and say which was chosen.
    pub iam_auth: Option<bool>,
    /// A PEM bundle trusted on top of the built-in roots; relative to the config file's folder.
    pub tls_ca_file: Option<PathBuf>,
    pub tls_insecure: bool,
    /// Analytics mode only (no custom relationship ids there): the relationship property that
    /// carries the source relationship id, so a re-run MERGEs instead of duplicating.
    pub source_id_property: String,
    /// How DATE, LOCAL DATETIME and ZONED DATETIME values are stored (`temporal_encoding`).
    pub temporal_encoding: TemporalEncoding,
}

/// How temporal values that have a Neptune DateTime counterpart are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TemporalEncoding {
    /// As Neptune DateTime (UTC, milliseconds), so `datetime(...)` comparisons and sorting work
    /// in the target; what that drops is counted as a lossy conversion.
    #[default]
    DateTime,
    /// As the exact ISO 8601 strings the dump writes: nothing is lost, but the target holds text.
    String,
}

/// The default of `source_id_property`, the same as the Neo4j connector's.
pub const DEFAULT_SOURCE_ID_PROPERTY: &str = "_graphferry_id";

impl NeptuneConfig {
    pub(crate) fn read(keys: &mut KeyReader<'_>, base_dir: &Path) -> Result<Self, ConfigError> {
        let mode = match keys.optional_choice("mode", &["database", "analytics"])?.as_deref() {
            Some("analytics") => NeptuneMode::Analytics,
            _ => NeptuneMode::Database,
        };
        let host = keys.optional_str("host")?;
        let graph_id = keys.optional_str("graph_id")?;
        let region = keys.optional_str("region")?;
        let iam_auth = keys.optional_bool("iam_auth")?;
        // Like a file target's path, a relative CA file is taken from the config file's folder.
        let tls_ca_file = keys.optional_str("tls_ca_file")?.map(|p| base_dir.join(PathBuf::from(p)));
        let tls_insecure = keys.optional_bool("tls_insecure")?.unwrap_or(false);
        let source_id_property =
            keys.optional_str("source_id_property")?.unwrap_or_else(|| DEFAULT_SOURCE_ID_PROPERTY.to_string());
        if source_id_property.is_empty() || source_id_property.contains('`') {
            return Err(keys.invalid(
                "source_id_property",
                "must be a non-empty property name without backquotes".into(),
                None,
            ));
        }
        let temporal_encoding = match keys.optional_choice("temporal_encoding", &["datetime", "string"])?.as_deref() {
            Some("string") => TemporalEncoding::String,
            _ => TemporalEncoding::DateTime,
        };
        keys.accept_unused(&["async_partitions", "ingest_query_builder"]);
        match mode {
            NeptuneMode::Database if host.is_none() => {
                return Err(keys.missing_because("host", " (mode: database needs the cluster endpoint, e.g. https://my-cluster.cluster-xyz.us-east-1.neptune.amazonaws.com:8182)"));
            }
            NeptuneMode::Analytics if graph_id.is_none() => {
                return Err(keys.missing_because(
                    "graph_id",
                    " (mode: analytics needs the graph identifier, e.g. g-abc123)",
                ));
            }
            NeptuneMode::Analytics if region.is_none() && host.is_none() => {
                return Err(keys.missing_because("region", " (mode: analytics needs the AWS region)"));
            }
            _ => {}
        }
        if let Some(h) = &host {
            if !(h.starts_with("https://") || h.starts_with("http://")) {
                return Err(keys.invalid(
                    "host",
                    "must be a URL starting with https:// (or http:// for a local test server)".into(),
                    None,
                ));
            }
        }
        Ok(NeptuneConfig {
            mode,
            host,
            graph_id,
            region,
            iam_auth,
            tls_ca_file,
            tls_insecure,
            source_id_property,
            temporal_encoding,
        })
    }
}
