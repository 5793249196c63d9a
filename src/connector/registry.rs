//! The connector registry: one [`Database`] entry per `database:` value, built from the
//! connector's config type, listed once in `connector/mod.rs` (`databases!`). Everything else
//! about connectors — parsing a target's keys, opening it as a source, a sink, a verify lookup,
//! a migration target or a finalizer, checking it, its write defaults — goes through here, so a new connector is
//! its folder plus one line in that list.
//!
//! A capability a connector lacks is left out of its [`Connector`] impl; the registry then gives
//! the one error for it ("`file` targets cannot be a migration target").

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;

use super::{ConnectorError, CopiedLookup, Finalizer, Journaled, Migrator, Sink, Source, DATABASES};
use crate::config::{self, ConfigError, KeyReader, TargetConfig};

/// A validated target's settings, whatever its database.
pub type Settings = Arc<dyn Connector>;
/// A loaded config file whose targets are parsed by this registry.
pub type Config = config::Config<Settings>;
/// One validated target.
pub type Target = TargetConfig<Settings>;

/// Loads a config file, parsing each target with the connector its `database:` names.
pub fn load_config(path: &Path) -> Result<Config, ConfigError> {
    Config::load(path, &Registry)
}

/// Parses config text as if read from `path` (tests, and the property tests of the parser).
pub fn parse_config(path: &Path, text: &str) -> Result<Config, ConfigError> {
    Config::parse(path, text, &Registry)
}

/// What a connector does with one validated target. Each method a database cannot do keeps its
/// default (`None`), and the registry turns that into one clear error.
///
/// Opening is the first step that may touch the network or the file system: validation already
/// happened when the keys were read.
#[async_trait]
pub trait Connector: fmt::Debug + Send + Sync {
    /// Where the data lives, without credentials: what a checkpoint is bound to, so a resume
    /// against another database of the same target name is refused.
    fn location(&self) -> String;

    /// Checks the target can be reached (`graphferry targets --check`), changing nothing.
    async fn check(&self, target: &str) -> Result<String, ConnectorError>;

    /// Opens the target for reading.
    async fn source(&self, _target: &str) -> Option<Result<Box<dyn Source>, ConnectorError>> {
        None
    }

    /// Opens the target for writing.
    async fn sink(&self, _target: &str) -> Option<Result<Box<dyn Sink>, ConnectorError>> {
        None
    }

    /// Opens the target to read back what a copy wrote (`graphferry verify`). `node_keys` are the
    /// migration-declared keys the copy used for node identity.
    async fn lookup(
        &self,
        _target: &str,
        _node_keys: &BTreeMap<String, Vec<String>>,
    ) -> Option<Result<Box<dyn CopiedLookup>, ConnectorError>> {
        None
    }

    /// Opens the target for schema migrations.
    async fn migrator(&self, _target: &str) -> Option<Result<Box<dyn Migrator>, ConnectorError>> {
        None
    }

    /// The mapping from this target's data to a graph, inferred from it, as the text
    /// `graphferry map` prints (a relational database).
    async fn inferred_mapping(&self, _target: &str) -> Option<Result<String, ConnectorError>> {
        None
    }

    /// These settings reading through the mapping in `file` (`--mapping FILE`).
    fn with_mapping(&self, _file: &Path) -> Option<Result<Settings, ConnectorError>> {
        None
    }

    /// Opens the target to remove a copy's identity marks (`graphferry finalize`). A database
    /// a copy leaves no marks in answers with [`super::NothingToFinalize`], saying why.
    async fn finalizer(&self, _target: &str) -> Option<Result<Box<dyn Finalizer>, ConnectorError>> {
        None
    }

    /// Opens the target to journal a copy's before-images and to roll a run back (`graphferry
    /// rollback`). A target written whole (a file) keeps no journal: `None`.
    async fn journaled(&self, _target: &str) -> Option<Result<Box<dyn Journaled>, ConnectorError>> {
        None
    }
}

/// A connector's config type: its `database:` name, how it reads its keys, how it is written
/// to best. [`Database::of`] makes its registry entry.
pub trait ConnectorConfig: Connector + Sized + 'static {
    /// The `database:` value that selects this connector.
    const DATABASE: &'static str;
    /// Batch size and concurrency when the user sets neither (measured: bench/RESULTS.md).
    const WRITE_DEFAULTS: WriteDefaults = WriteDefaults::GENERAL;
    /// Whether `migrations run --all-targets` migrates this target; if not, only `--target`
    /// naming it does (a config lists most dumps only to read from them).
    const MIGRATED_BY_ALL_TARGETS: bool = true;
    /// Whether a copy can write to it; a read-only source's write defaults are not shown in help.
    const WRITABLE: bool = true;
    /// Every key `from_keys` reads (but `database:`), so that when a target has a bad value its
    /// other problems are reported too: a key not in this list is unknown even though reading
    /// stopped before it. Checked against what `from_keys` reads on every valid parse (debug).
    const KEYS: &'static [&'static str];

    /// Reads the target's keys (all but `database:`); `base_dir` is the config file's folder.
    fn from_keys(keys: &mut KeyReader<'_>, base_dir: &Path) -> Result<Self, ConfigError>;
}

/// How a sink is written to best, as far as measurements tell (bench/RESULTS.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteDefaults {
    pub batch_size: usize,
    pub concurrency: usize,
}

impl WriteDefaults {
    /// What suits a target that takes concurrent requests well.
    pub const GENERAL: WriteDefaults = WriteDefaults { batch_size: 1000, concurrency: 4 };
}

/// One registry entry.
pub struct Database {
    /// The `database:` value.
    pub name: &'static str,
    pub write_defaults: WriteDefaults,
    /// See [`ConnectorConfig::MIGRATED_BY_ALL_TARGETS`].
    pub migrated_by_all_targets: bool,
    /// See [`ConnectorConfig::WRITABLE`].
    pub writable: bool,
    keys: &'static [&'static str],
    parse: fn(&mut KeyReader<'_>, &Path) -> Result<Settings, ConfigError>,
}

impl Database {
    pub const fn of<C: ConnectorConfig>() -> Database {
        Database {
            name: C::DATABASE,
            write_defaults: C::WRITE_DEFAULTS,
            migrated_by_all_targets: C::MIGRATED_BY_ALL_TARGETS,
            writable: C::WRITABLE,
            keys: C::KEYS,
            parse: parse_as::<C>,
        }
    }
}

fn parse_as<C: ConnectorConfig>(keys: &mut KeyReader<'_>, base_dir: &Path) -> Result<Settings, ConfigError> {
    Ok(Arc::new(C::from_keys(keys, base_dir)?))
}

/// The entry of a `database:` value a config validated.
pub fn database(name: &str) -> &'static Database {
    DATABASES.iter().find(|d| d.name == name).expect("a validated target names a registered database")
}

/// The registry as `config` sees it.
struct Registry;

impl config::Databases for Registry {
    type Settings = Settings;

    fn names(&self) -> Vec<&'static str> {
        DATABASES.iter().map(|d| d.name).collect()
    }

    fn keys(&self, database: &str) -> &'static [&'static str] {
        DATABASES.iter().find(|d| d.name == database).map_or(&[], |d| d.keys)
    }

    fn parse(
        &self,
        database: &str,
        keys: &mut KeyReader<'_>,
        base_dir: &Path,
    ) -> Option<Result<Settings, ConfigError>> {
        DATABASES.iter().find(|d| d.name == database).map(|d| (d.parse)(keys, base_dir))
    }
}

/// Parses targets of one connector into its own config type (unit tests of a connector's keys).
#[cfg(test)]
pub struct Only<C>(std::marker::PhantomData<C>);

#[cfg(test)]
impl<C: ConnectorConfig + Clone> Only<C> {
    /// The settings of target `name` in `text`, or its error as text.
    pub fn parse(text: &str, name: &str) -> Result<C, String> {
        let config = config::Config::parse(Path::new("/p/nodestream.yaml"), text, &Only::<C>(Default::default()))
            .map_err(|e| e.to_string())?;
        config.target(name).map(|t| t.settings.clone()).map_err(|e| e.to_string())
    }
}

#[cfg(test)]
impl<C: ConnectorConfig + Clone> config::Databases for Only<C> {
    type Settings = C;

    fn names(&self) -> Vec<&'static str> {
        vec![C::DATABASE]
    }

    fn keys(&self, _database: &str) -> &'static [&'static str] {
        C::KEYS
    }

    fn parse(&self, database: &str, keys: &mut KeyReader<'_>, base_dir: &Path) -> Option<Result<C, ConfigError>> {
        (database == C::DATABASE).then(|| C::from_keys(keys, base_dir))
    }
}

/// What a target can be used as, for the error when its database cannot.
#[derive(Debug, Clone, Copy)]
enum Capability {
    Source,
    Sink,
    Lookup,
    Migrator,
    Finalizer,
    Mapped,
}

impl Capability {
    fn role(self) -> &'static str {
        match self {
            Capability::Source => "a copy source",
            Capability::Sink => "a copy target",
            Capability::Lookup => "read back by verify",
            Capability::Migrator => "a migration target",
            Capability::Finalizer => "finalized",
            Capability::Mapped => "read through a mapping (only relational sources have one)",
        }
    }
}

fn lacks(target: &Target, capability: Capability) -> ConnectorError {
    ConnectorError::fatal(format!(
        "`{}` targets cannot be {} (target `{}`)",
        target.database,
        capability.role(),
        target.name
    ))
}

pub async fn connect_source(target: &Target) -> Result<Box<dyn Source>, ConnectorError> {
    target.settings.source(&target.name).await.unwrap_or_else(|| Err(lacks(target, Capability::Source)))
}

pub async fn connect_sink(target: &Target) -> Result<Box<dyn Sink>, ConnectorError> {
    target.settings.sink(&target.name).await.unwrap_or_else(|| Err(lacks(target, Capability::Sink)))
}

pub async fn connect_lookup(
    target: &Target,
    node_keys: &BTreeMap<String, Vec<String>>,
) -> Result<Box<dyn CopiedLookup>, ConnectorError> {
    target.settings.lookup(&target.name, node_keys).await.unwrap_or_else(|| Err(lacks(target, Capability::Lookup)))
}

pub async fn connect_migrator(target: &Target) -> Result<Box<dyn Migrator>, ConnectorError> {
    target.settings.migrator(&target.name).await.unwrap_or_else(|| Err(lacks(target, Capability::Migrator)))
}

pub async fn connect_finalizer(target: &Target) -> Result<Box<dyn Finalizer>, ConnectorError> {
    target.settings.finalizer(&target.name).await.unwrap_or_else(|| Err(lacks(target, Capability::Finalizer)))
}

/// The journal side of `target`; `None` for a target that keeps no journal (a file, written
/// whole and replaced atomically).
pub async fn connect_journaled(target: &Target) -> Option<Result<Box<dyn Journaled>, ConnectorError>> {
    target.settings.journaled(&target.name).await
}

/// The inferred mapping of `target`, as text (`graphferry map`).
pub async fn inferred_mapping(target: &Target) -> Result<String, ConnectorError> {
    target.settings.inferred_mapping(&target.name).await.unwrap_or_else(|| Err(lacks(target, Capability::Mapped)))
}

/// `target` reading through the mapping in `file`.
pub fn with_mapping(target: &Target, file: &Path) -> Result<Settings, ConnectorError> {
    target.settings.with_mapping(file).unwrap_or_else(|| Err(lacks(target, Capability::Mapped)))
}

pub async fn check(target: &Target) -> Result<String, ConnectorError> {
    target.settings.check(&target.name).await
}

/// `--help` text for a write setting's per-database defaults, from the registry itself.
pub fn defaults_help(what: impl Fn(&WriteDefaults) -> usize) -> String {
    let each: Vec<String> =
        DATABASES.iter().filter(|d| d.writable).map(|d| format!("{} {}", d.name, what(&d.write_defaults))).collect();
    format!("[default by the target's database: {}]", each.join(", "))
}

/// Registers the connectors: `databases! { folder::ConfigType, ... }` declares each folder's
/// module and lists its [`Database`] entry in `DATABASES`, in that order.
macro_rules! databases {
    ($($module:ident :: $config:ident),+ $(,)?) => {
        $(pub mod $module;)+

        /// Every connector, in the order `targets` and errors list them.
        pub const DATABASES: &[registry::Database] = &[$(registry::Database::of::<$module::$config>()),+];
    };
}
pub(crate) use databases;

#[cfg(test)]
mod tests;
