//! Keys of a `database: neptune` target. The names are nodestream's, so its file works unchanged.

use std::path::PathBuf;

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
    pub tls_ca_file: Option<PathBuf>,
    pub tls_insecure: bool,
}

impl NeptuneConfig {
    pub(crate) fn from_keys(keys: &mut KeyReader<'_>) -> Result<Self, ConfigError> {
        let mode = match keys.optional_choice("mode", &["database", "analytics"])?.as_deref() {
            Some("analytics") => NeptuneMode::Analytics,
            _ => NeptuneMode::Database,
        };
        let host = keys.optional_str("host")?;
        let graph_id = keys.optional_str("graph_id")?;
        let region = keys.optional_str("region")?;
        let iam_auth = keys.optional_bool("iam_auth")?;
        let tls_ca_file = keys.optional_str("tls_ca_file")?.map(PathBuf::from);
        let tls_insecure = keys.optional_bool("tls_insecure")?.unwrap_or(false);
        keys.accept_unused(&["async_partitions", "ingest_query_builder"]);
        match mode {
            NeptuneMode::Database if host.is_none() => {
                return Err(keys.invalid("host", "missing required key (mode: database needs the cluster endpoint, e.g. https://my-cluster.cluster-xyz.us-east-1.neptune.amazonaws.com:8182)".into(), None));
            }
            NeptuneMode::Analytics if graph_id.is_none() => {
                return Err(keys.invalid(
                    "graph_id",
                    "missing required key (mode: analytics needs the graph identifier, e.g. g-abc123)".into(),
                    None,
                ));
            }
            NeptuneMode::Analytics if region.is_none() && host.is_none() => {
                return Err(keys.invalid(
                    "region",
                    "missing required key (mode: analytics needs the AWS region)".into(),
                    None,
                ));
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
        Ok(NeptuneConfig { mode, host, graph_id, region, iam_auth, tls_ca_file, tls_insecure })
    }
}
