//! Loads the `targets:` section of a nodestream.yaml and validates each target into a typed
//! [`TargetConfig`]. Pure: nothing here touches the network or opens a database.
//!
//! A user's existing nodestream.yaml must work unchanged, so other top-level sections
//! (`pipelines`, `plugins`, ...) are ignored, and a target graphferry cannot use (an unknown
//! `database:`, a typo in a key) only fails when that target is used: `graphferry targets`
//! lists it with its error.

mod error;
mod keys;
mod yaml;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

pub use error::{ConfigError, TargetError};
pub use keys::{closest as closest_name, KeyReader};

use crate::connector::file::FileConfig;
use crate::connector::neo4j::Neo4jConfig;
use crate::connector::neptune::NeptuneConfig;

/// The config file graphferry reads when `--config` is not given, like nodestream.
pub const DEFAULT_CONFIG: &str = "nodestream.yaml";

/// The connector kinds a target's `database:` key can name.
pub const DATABASES: &[&str] = &["neo4j", "neptune", "file"];

/// A loaded config file: every target, validated or with the error that stops it being used.
#[derive(Debug)]
pub struct Config {
    pub path: PathBuf,
    targets: BTreeMap<String, Result<TargetConfig, ConfigError>>,
}

/// One validated target.
#[derive(Debug, Clone)]
pub struct TargetConfig {
    pub name: String,
    pub kind: TargetKind,
}

#[derive(Debug, Clone)]
pub enum TargetKind {
    Neo4j(Neo4jConfig),
    Neptune(NeptuneConfig),
    File(FileConfig),
}

impl TargetKind {
    /// The `database:` value this kind is selected by.
    pub fn database(&self) -> &'static str {
        match self {
            TargetKind::Neo4j(_) => "neo4j",
            TargetKind::Neptune(_) => "neptune",
            TargetKind::File(_) => "file",
        }
    }
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

impl Config {
    /// Reads and parses `path`. Fails on a missing file, broken YAML or a missing `targets:`
    /// section; per-target problems are kept and reported when the target is used.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| ConfigError::Read { path: path.to_path_buf(), source: std::sync::Arc::new(source) })?;
        Self::parse(path, &text)
    }

    /// Parses config text as if read from `path` (relative target paths resolve against its folder).
    pub fn parse(path: &Path, text: &str) -> Result<Config, ConfigError> {
        let doc = yaml::parse_document(path, text)?;
        let base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let mut targets = BTreeMap::new();
        for (name, raw) in yaml::targets(path, text, &doc)? {
            let located = yaml::Located { path, text, target: &name };
            let target = build_target(&name, raw, &base_dir, &located);
            targets.insert(name, target);
        }
        Ok(Config { path: path.to_path_buf(), targets })
    }

    /// The target called `name`, validated; an unknown name suggests the closest one.
    pub fn target(&self, name: &str) -> Result<&TargetConfig, ConfigError> {
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
    pub fn targets(&self) -> impl Iterator<Item = (&str, &Result<TargetConfig, ConfigError>)> {
        self.targets.iter().map(|(k, v)| (k.as_str(), v))
    }
}

fn build_target(
    name: &str,
    raw: serde_yaml::Mapping,
    base_dir: &Path,
    located: &yaml::Located<'_>,
) -> Result<TargetConfig, ConfigError> {
    let mut keys = KeyReader::new(raw, located)?;
    let database = keys.required_str("database")?;
    let kind = match database.as_str() {
        "neo4j" => TargetKind::Neo4j(Neo4jConfig::from_keys(&mut keys)?),
        "neptune" => TargetKind::Neptune(NeptuneConfig::from_keys(&mut keys, base_dir)?),
        "file" => TargetKind::File(FileConfig::from_keys(&mut keys, base_dir)?),
        other => {
            return Err(keys.invalid(
                "database",
                format!("unknown database `{other}`; graphferry supports {}", DATABASES.join(", ")),
                keys::closest(other, DATABASES.iter().copied()),
            ))
        }
    };
    keys.finish()?;
    Ok(TargetConfig { name: name.to_string(), kind })
}

#[cfg(test)]
mod tests;
