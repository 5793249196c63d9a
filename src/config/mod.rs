//! Loads the `targets:` section of a nodestream.yaml and validates each target into typed
//! settings. Pure: nothing here touches the network or opens a database.
//!
//! A user's existing nodestream.yaml must work unchanged, so other top-level sections
//! (`pipelines`, `plugins`, ...) are ignored, and a target graphferry cannot use (an unknown
//! `database:`, a typo in a key) only fails when that target is used: `graphferry targets`
//! lists it with its error.
//!
//! This module knows no database: whoever loads a config hands it a [`Databases`] (the connector
//! registry), which turns a target's keys into its settings. `config` keeps the YAML, its tags
//! (`!env`, `!config`, `!include`), [`KeyReader`], [`Secret`] and the errors.

mod error;
mod keys;
mod tags;
mod yaml;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

pub use error::{ConfigError, TargetError};
pub use keys::{closest as closest_name, KeyReader};
pub use yaml::key_line;

/// The config file graphferry reads when `--config` is not given, like nodestream.
pub const DEFAULT_CONFIG: &str = "nodestream.yaml";

/// The databases a target's `database:` key can name, and how each reads its keys.
pub trait Databases {
    /// A validated target's settings.
    type Settings: Clone + fmt::Debug;

    /// Every `database:` value there is, for the error on an unknown one.
    fn names(&self) -> Vec<&'static str>;

    /// Every key a target of `database` may have (but `database:`), to report its unknown keys
    /// even when reading stopped early at a bad value; empty when not known.
    fn keys(&self, _database: &str) -> &'static [&'static str] {
        &[]
    }

    /// Reads the keys of a target of `database` (every key but `database:` itself); `None` when
    /// no database has that name. `base_dir` is the config file's folder, for relative paths.
    fn parse(
        &self,
        database: &str,
        keys: &mut KeyReader<'_>,
        base_dir: &Path,
    ) -> Option<Result<Self::Settings, ConfigError>>;
}

/// A loaded config file: every target, validated or with the error that stops it being used.
#[derive(Debug)]
pub struct Config<S> {
    pub path: PathBuf,
    targets: BTreeMap<String, Result<TargetConfig<S>, ConfigError>>,
}

/// One validated target.
#[derive(Debug, Clone)]
pub struct TargetConfig<S> {
    pub name: String,
    /// Its `database:` value.
    pub database: &'static str,
    pub settings: S,
    /// Its `transform:` key: a transform file (resolved against the config's folder) applied
    /// when a copy writes into this target, and by `verify` against it.
    pub transform: Option<PathBuf>,
}

/// A secret read from the config (a password, a key). Its `Debug` and `Display` never show it,
/// so it cannot leak through a log line or an error message.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself, for the one call that needs it (authenticating).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl<S: Clone + fmt::Debug> Config<S> {
    /// Reads and parses `path`. Fails on a missing file, broken YAML or a missing `targets:`
    /// section; per-target problems are kept and reported when the target is used.
    pub fn load(path: &Path, databases: &impl Databases<Settings = S>) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| ConfigError::Read { path: path.to_path_buf(), source: std::sync::Arc::new(source) })?;
        Self::parse(path, &text, databases)
    }

    /// Parses config text as if read from `path` (relative target paths resolve against its folder).
    pub fn parse(path: &Path, text: &str, databases: &impl Databases<Settings = S>) -> Result<Self, ConfigError> {
        let doc = tags::resolve(path, text, yaml::parse_document(path, text)?)?;
        let base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let mut targets = BTreeMap::new();
        for (name, raw) in yaml::targets(path, text, &doc)? {
            let located = yaml::Located { path, text, target: &name };
            let target = build_target(&name, raw, &base_dir, &located, databases);
            targets.insert(name, target);
        }
        Ok(Config { path: path.to_path_buf(), targets })
    }

    /// The target called `name`, validated; an unknown name suggests the closest one.
    /// [`target`](Self::target), to change its settings (a `--mapping` flag given for it).
    pub fn target_mut(&mut self, name: &str) -> Result<&mut TargetConfig<S>, ConfigError> {
        self.target(name)?;
        Ok(self.targets.get_mut(name).and_then(|t| t.as_mut().ok()).expect("checked just above"))
    }

    pub fn target(&self, name: &str) -> Result<&TargetConfig<S>, ConfigError> {
        match self.targets.get(name) {
            Some(Ok(target)) => Ok(target),
            Some(Err(err)) => Err(err.clone()),
            None => Err(ConfigError::UnknownTarget {
                path: self.path.clone(),
                name: name.to_string(),
                suggestion: keys::closest(name, self.targets.keys().map(String::as_str)),
                available: self.targets.keys().cloned().collect(),
            }),
        }
    }

    /// Every target in name order, with its validation result.
    pub fn targets(&self) -> impl Iterator<Item = (&str, &Result<TargetConfig<S>, ConfigError>)> {
        self.targets.iter().map(|(k, v)| (k.as_str(), v))
    }
}

fn build_target<D: Databases>(
    name: &str,
    raw: serde_yaml::Mapping,
    base_dir: &Path,
    located: &yaml::Located<'_>,
    databases: &D,
) -> Result<TargetConfig<D::Settings>, ConfigError> {
    let mut keys = KeyReader::new(raw, located)?;
    let database = keys.required_str("database")?;
    // Any target may name a transform: it is the copy's business, not the connector's.
    let transform = keys.optional_str(TRANSFORM_KEY)?.map(|p| base_dir.join(p));
    let names = databases.names();
    let Some(settings) = databases.parse(&database, &mut keys, base_dir) else {
        return Err(keys.invalid(
            "database",
            format!("unknown database `{database}`; graphferry supports {}", names.join(", ")),
            keys::closest(&database, names.iter().copied()),
        ));
    };
    let settings = match settings {
        Ok(settings) => {
            debug_assert!(
                databases.keys(&database).is_empty()
                    || keys.read().all(|k| k == TRANSFORM_KEY || databases.keys(&database).contains(&k)),
                "a connector's KEYS lists every key it reads"
            );
            keys.finish()?;
            settings
        }
        // Reading stopped at this error: name the unknown keys too, so one run shows every
        // problem (an unset `!env` does not hide a misspelt key).
        Err(first) => {
            let named = first.key().map(str::to_string);
            let mut errors = vec![first];
            let all_keys = databases.keys(&database);
            // Without the connector's full list, an unread key may be a valid one: say nothing.
            if !all_keys.is_empty() {
                errors.extend(keys.unknown(Some(all_keys)).into_iter().filter(|e| e.key() != named.as_deref()));
            }
            return Err(ConfigError::all(errors));
        }
    };
    let database = names.into_iter().find(|n| *n == database).expect("a parsed database is a known one");
    Ok(TargetConfig { name: name.to_string(), database, settings, transform })
}

/// The key every target may have besides its connector's.
const TRANSFORM_KEY: &str = "transform";

#[cfg(test)]
mod tests;
