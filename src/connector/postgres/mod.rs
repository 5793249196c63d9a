//! `database: postgres` targets: a relational database read as a graph through a mapping (tables
//! to nodes, foreign keys and join tables to relationships), inferred from the catalog or given
//! by the user (`mapping:` on the target, or `--mapping FILE`). A copy source, so also a `verify`
//! source and a `migrations make --from` source of node keys; never written to.

mod catalog;
mod error;
pub mod mapping;
mod plan;
mod source;
mod sql;
mod types;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use tokio_postgres::config::SslMode;
use tokio_postgres::{Client, NoTls};

pub use mapping::Mapping;
pub use source::PostgresSource;

use super::registry::Settings;
use super::{Connector, ConnectorConfig, ConnectorError, Source};
use crate::config::{ConfigError, KeyReader, Secret};

#[derive(Debug, Clone)]
pub struct PostgresConfig {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: Option<Secret>,
    pub dbname: String,
    /// The schemas whose tables are read (default `public`).
    pub schemas: Vec<String>,
    pub sslmode: SslChoice,
    pub mapping: MappingSource,
    pub connect_timeout: Duration,
}

/// Where the mapping comes from.
#[derive(Debug, Clone)]
pub enum MappingSource {
    /// Inferred from the catalog on every connect.
    Inferred,
    /// Written under the target (`mapping:` holding the mapping itself).
    Inline(Box<Mapping>),
    /// A file (`mapping: path`, relative to the config file, or `--mapping FILE`).
    File(PathBuf),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslChoice {
    Disable,
    Prefer,
}

impl ConnectorConfig for PostgresConfig {
    const DATABASE: &'static str = "postgres";
    /// A relational database is read here, never written: `migrations run` has nothing to do.
    const MIGRATED_BY_ALL_TARGETS: bool = false;
    const WRITABLE: bool = false;
    const KEYS: &'static [&'static str] = &[
        "uri",
        "host",
        "port",
        "user",
        "password",
        "dbname",
        "schema",
        "sslmode",
        "mapping",
        "connect_timeout_seconds",
    ];

    fn from_keys(keys: &mut KeyReader<'_>, base_dir: &Path) -> Result<Self, ConfigError> {
        let mut cfg = match keys.optional_str("uri")? {
            Some(uri) => from_uri(keys, &uri)?,
            None => PostgresConfig {
                host: "127.0.0.1".into(),
                port: 5432,
                user: "postgres".into(),
                password: None,
                dbname: "postgres".into(),
                schemas: vec!["public".into()],
                sslmode: SslChoice::Prefer,
                mapping: MappingSource::Inferred,
                connect_timeout: Duration::from_secs(10),
            },
        };
        if let Some(host) = keys.optional_str("host")? {
            cfg.host = host;
        }
        if let Some(port) = keys.optional_u64("port")? {
            cfg.port = u16::try_from(port).ok().filter(|p| *p > 0).ok_or_else(|| {
                keys.invalid("port", "must be a port number (1-65535)".into(), None)
            })?;
        }
        if let Some(user) = keys.optional_str("user")? {
            cfg.user = user;
        }
        if let Some(password) = keys.optional_secret("password")? {
            cfg.password = Some(password);
        }
        if let Some(dbname) = keys.optional_str("dbname")? {
            cfg.dbname = dbname;
        }
        match keys.optional_yaml("schema") {
            None => {}
            Some(serde_yaml::Value::String(s)) => cfg.schemas = vec![s],
            Some(serde_yaml::Value::Sequence(items)) if !items.is_empty() => {
                cfg.schemas = items
                    .iter()
                    .map(|v| v.as_str().map(str::to_string))
                    .collect::<Option<_>>()
                    .ok_or_else(|| keys.invalid("schema", "expected a schema name or a list of them".into(), None))?;
            }
            Some(_) => return Err(keys.invalid("schema", "expected a schema name or a list of them".into(), None)),
        }
        match keys.optional_choice("sslmode", &["disable", "prefer", "require", "verify-ca", "verify-full"])?.as_deref() {
            None => {}
            Some("disable") => cfg.sslmode = SslChoice::Disable,
            Some("prefer") => cfg.sslmode = SslChoice::Prefer,
            Some(_) => {
                return Err(keys.invalid(
                    "sslmode",
                    "TLS connections to PostgreSQL are not supported yet: use disable or prefer (which connects \
                     without TLS), or reach the server through a tunnel"
                        .into(),
                    None,
                ))
            }
        }
        match keys.optional_yaml("mapping") {
            None => {}
            Some(serde_yaml::Value::String(path)) => {
                let path = PathBuf::from(path);
                cfg.mapping = MappingSource::File(if path.is_relative() { base_dir.join(path) } else { path });
            }
            Some(value @ serde_yaml::Value::Mapping(_)) => {
                let m: Mapping = serde_yaml::from_value(value)
                    .map_err(|e| keys.invalid("mapping", format!("not a valid mapping: {e}"), None))?;
                cfg.mapping = MappingSource::Inline(Box::new(m));
            }
            Some(_) => {
                return Err(keys.invalid("mapping", "expected a mapping, or the path of a mapping file".into(), None))
            }
        }
        if let Some(s) = keys.optional_u64("connect_timeout_seconds")? {
            cfg.connect_timeout = Duration::from_secs(s.max(1));
        }
        Ok(cfg)
    }
}

/// `postgres://user:password@host:port/dbname?sslmode=…` (libpq's URI form). Errors never echo
/// the URI: it may hold the password.
fn from_uri(keys: &KeyReader<'_>, uri: &str) -> Result<PostgresConfig, ConfigError> {
    let invalid = |why: &str| keys.invalid("uri", format!("not a usable postgres:// URI: {why}"), None);
    if !uri.starts_with("postgres://") && !uri.starts_with("postgresql://") {
        return Err(invalid("it must start with postgres:// or postgresql://"));
    }
    let parsed: tokio_postgres::Config = uri.parse().map_err(|_| invalid("it does not parse"))?;
    let host = match parsed.get_hosts().first() {
        Some(tokio_postgres::config::Host::Tcp(h)) => h.clone(),
        None => "127.0.0.1".to_string(),
        #[allow(unreachable_patterns)]
        Some(_) => return Err(invalid("only TCP hosts are supported")),
    };
    let sslmode = match parsed.get_ssl_mode() {
        SslMode::Disable => SslChoice::Disable,
        SslMode::Prefer => SslChoice::Prefer,
        _ => return Err(invalid("TLS connections (sslmode=require) are not supported yet")),
    };
    Ok(PostgresConfig {
        host,
        port: parsed.get_ports().first().copied().unwrap_or(5432),
        user: parsed.get_user().unwrap_or("postgres").to_string(),
        password: parsed.get_password().map(|p| Secret::new(String::from_utf8_lossy(p).into_owned())),
        dbname: parsed.get_dbname().unwrap_or("postgres").to_string(),
        schemas: vec!["public".into()],
        sslmode,
        mapping: MappingSource::Inferred,
        connect_timeout: parsed.get_connect_timeout().copied().unwrap_or(Duration::from_secs(10)),
    })
}

impl PostgresConfig {
    fn client_config(&self) -> tokio_postgres::Config {
        let mut c = tokio_postgres::Config::new();
        c.host(&self.host).port(self.port).user(&self.user).dbname(&self.dbname);
        c.application_name("graphferry").connect_timeout(self.connect_timeout);
        c.ssl_mode(match self.sslmode {
            SslChoice::Disable => SslMode::Disable,
            SslChoice::Prefer => SslMode::Prefer,
        });
        if let Some(p) = &self.password {
            c.password(p.expose());
        }
        c
    }

    async fn mapping(&self, tables: &mapping::Tables) -> Result<Mapping, ConnectorError> {
        match &self.mapping {
            MappingSource::Inferred => Ok(mapping::infer(tables)),
            MappingSource::Inline(m) => Ok((**m).clone()),
            MappingSource::File(path) => read_mapping(path),
        }
    }
}

fn read_mapping(path: &Path) -> Result<Mapping, ConnectorError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ConnectorError::fatal(format!("mapping file {}: {e}", path.display())))?;
    serde_yaml::from_str(&text).map_err(|e| ConnectorError::fatal(format!("mapping file {}: {e}", path.display())))
}

async fn connect(cfg: &PostgresConfig, target: &str) -> Result<Client, ConnectorError> {
    let (client, connection) = cfg
        .client_config()
        .connect(NoTls)
        .await
        .map_err(|e| error::classify(target, &format!("connecting to {}", location(cfg)), &e))?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::debug!(error = %error::describe(&e), "PostgreSQL connection ended");
        }
    });
    Ok(client)
}

/// A connection inside a `REPEATABLE READ READ ONLY` transaction: every query on it sees the
/// snapshot taken by its first query (PostgreSQL docs, 13.2.2 "Repeatable Read Isolation Level").
pub(super) async fn connect_in_snapshot(cfg: &PostgresConfig, target: &str) -> Result<Client, ConnectorError> {
    let client = connect(cfg, target).await?;
    client
        .batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .await
        .map_err(|e| error::classify(target, "starting the snapshot", &e))?;
    Ok(client)
}

fn location(cfg: &PostgresConfig) -> String {
    format!("postgres://{}@{}:{}/{}", cfg.user, cfg.host, cfg.port, cfg.dbname)
}

/// The YAML `graphferry map` prints: a header saying how to edit it, then the mapping.
pub fn mapping_text(m: &Mapping, target: &str) -> String {
    let yaml = serde_yaml::to_string(m).expect("a mapping serializes");
    format!(
        "# graphferry mapping of target `{target}`, inferred from its catalog.\n\
         # Edit and pass back with `graphferry copy --mapping FILE`, or put it under the target as `mapping:`.\n\
         # nodes: one table each; `properties` is `column: property name` (remove a line to leave a column\n\
         #   out); `key` lists the columns that identify a row; `cast` (column: text | float) overrides a type.\n\
         # relationships: `foreign_key` with `direction` (out: referencing row -> referenced row, in: reversed),\n\
         #   or a join table's `from` and `to` foreign keys; rename with `type`.\n\
         # left_out: what was not mapped, and why (ignored when read back).\n{yaml}"
    )
}

#[async_trait]
impl Connector for PostgresConfig {
    fn location(&self) -> String {
        location(self)
    }

    async fn check(&self, target: &str) -> Result<String, ConnectorError> {
        let client = connect(self, target).await?;
        let row = client
            .query_one(
                "SELECT current_setting('server_version'), count(*) FROM pg_class c \
                 JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ANY($1) AND c.relkind IN ('r','p')",
                &[&self.schemas],
            )
            .await
            .map_err(|e| error::classify(target, "checking", &e))?;
        Ok(format!("PostgreSQL {}, {} tables in {}", row.get::<_, String>(0), row.get::<_, i64>(1), self.schemas.join(", ")))
    }

    async fn source(&self, target: &str) -> Option<Result<Box<dyn Source>, ConnectorError>> {
        Some(
            async {
                let client = connect_in_snapshot(self, target).await?;
                let tables = catalog::read(&client, &self.schemas).await?;
                let mapping = self.mapping(&tables).await?;
                let plan = plan::resolve(&mapping, &tables)
                    .map_err(|e| ConnectorError::fatal(format!("target `{target}`: {}", e.message)))?;
                Ok(Box::new(PostgresSource::new(self.clone(), target.to_string(), client, plan)) as Box<dyn Source>)
            }
            .await,
        )
    }

    async fn inferred_mapping(&self, target: &str) -> Option<Result<String, ConnectorError>> {
        Some(
            async {
                let client = connect_in_snapshot(self, target).await?;
                let tables = catalog::read(&client, &self.schemas).await?;
                Ok(mapping_text(&mapping::infer(&tables), target))
            }
            .await,
        )
    }

    fn with_mapping(&self, file: &Path) -> Option<Result<Settings, ConnectorError>> {
        Some(read_mapping(file).map(|m| {
            let mut cfg = self.clone();
            cfg.mapping = MappingSource::Inline(Box::new(m));
            Arc::new(cfg) as Settings
        }))
    }
}

#[cfg(test)]
mod tests;
