//! Config errors. Each names the file and, where known, the line, the target and the key, and
//! suggests the closest valid name on a typo. None carries a value read from the config, so a
//! password can never be printed through one.

use std::path::PathBuf;
use std::sync::Arc;

/// `Clone` because a target's error is kept in the loaded config and returned each time the
/// target is asked for.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file `{}`: {source}\n  (graphferry reads the `targets:` section of a nodestream.yaml; pass --config PATH to use another file)", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: Arc<std::io::Error>,
    },

    #[error("{}{}: invalid YAML: {message}", path.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
    Yaml { path: PathBuf, line: Option<usize>, message: String },

    /// A `!include` or `!config` that cannot be resolved.
    #[error("{}{}: {message}", path.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
    Tag { path: PathBuf, line: Option<usize>, message: String },

    #[error("{}: no `targets:` section{} (graphferry copies between the targets of a nodestream.yaml; see nodestream.yaml.example)", path.display(), near_miss.as_ref().map(|k| format!("; `{k}:` is there: did you mean `targets:`?")).unwrap_or_default())]
    NoTargets { path: PathBuf, near_miss: Option<String> },

    #[error("{}: unknown target `{name}`{}; the file defines: {}", path.display(), suggest(suggestion), if available.is_empty() { "(none)".to_string() } else { available.join(", ") })]
    UnknownTarget { path: PathBuf, name: String, suggestion: Option<String>, available: Vec<String> },

    #[error("{0}")]
    Target(Box<TargetError>),

    /// Several problems of one target, reported together (one a line).
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Many(Vec<ConfigError>),
}

/// A problem with one target's settings (boxed inside [`ConfigError`] to keep results small).
#[derive(Debug, Clone, thiserror::Error)]
#[error("{}{}: target `{target}`{}: {message}{}", path.display(), line.map(|l| format!(":{l}")).unwrap_or_default(), key.as_ref().map(|k| format!(", key `{k}`")).unwrap_or_default(), suggest(suggestion))]
pub struct TargetError {
    pub path: PathBuf,
    pub line: Option<usize>,
    pub target: String,
    pub key: Option<String>,
    pub message: String,
    pub suggestion: Option<String>,
}

impl ConfigError {
    /// `errors` as one error: the only one, or all of them together.
    pub fn all(mut errors: Vec<ConfigError>) -> ConfigError {
        if errors.len() == 1 {
            return errors.remove(0);
        }
        ConfigError::Many(errors)
    }

    /// The target key this error is about, if it is about one.
    pub fn key(&self) -> Option<&str> {
        match self {
            ConfigError::Target(t) => t.key.as_deref(),
            _ => None,
        }
    }

    /// Whether the command line asked for something the config does not have (a file that is
    /// not there, a target it does not define): the user's mistake in the command, so a usage
    /// error (exit 2) like a bad flag, where a broken config file is a failure (exit 1).
    pub fn is_usage(&self) -> bool {
        matches!(self, ConfigError::Read { .. } | ConfigError::UnknownTarget { .. })
    }
}

fn suggest(suggestion: &Option<String>) -> String {
    suggestion.as_ref().map(|s| format!(" (did you mean `{s}`?)")).unwrap_or_default()
}
