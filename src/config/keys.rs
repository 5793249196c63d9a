//! [`KeyReader`]: how a connector reads its keys from a target's mapping. It resolves `!env`,
//! checks types, remembers which keys exist, and on `finish` rejects any key nobody asked for,
//! suggesting the closest known one. Messages never include a value from the file.

use serde_yaml::{Mapping, Value};

use super::error::TargetError;
use super::yaml::{self, EnvError, Located, Scalar};
use super::{ConfigError, Secret};

pub struct KeyReader<'a> {
    remaining: Mapping,
    known: Vec<&'static str>,
    located: &'a Located<'a>,
}

impl<'a> KeyReader<'a> {
    pub(crate) fn new(raw: Mapping, located: &'a Located<'a>) -> Result<Self, ConfigError> {
        let reader = KeyReader { remaining: Mapping::new(), known: Vec::new(), located };
        let mut remaining = Mapping::new();
        for (k, v) in raw {
            match k {
                Value::String(_) => {
                    remaining.insert(k, v);
                }
                _ => return Err(reader.invalid_at(None, "every key must be a string".into(), None)),
            }
        }
        Ok(KeyReader { remaining, ..reader })
    }

    fn take(&mut self, key: &'static str) -> Option<Value> {
        self.known.push(key);
        self.remaining.remove(key)
    }

    fn take_scalar(&mut self, key: &'static str, expected: &str) -> Result<Option<Scalar>, ConfigError> {
        let Some(value) = self.take(key) else { return Ok(None) };
        match yaml::scalar(&value) {
            Ok(Some(s)) => Ok(Some(s)),
            Ok(None) => Err(self.invalid(key, format!("expected {expected}, found {}", kind_of(&value)), None)),
            Err(EnvError::Missing(var)) => {
                Err(self.invalid(key, format!("environment variable `{var}` (from `!env {var}`) is not set"), None))
            }
            Err(EnvError::BadTag) => Err(self.invalid(key, "`!env` must be followed by a variable name".into(), None)),
            Err(EnvError::UnknownTag(tag)) => Err(self.invalid(
                key,
                format!(
                    "unsupported YAML tag `{tag}` (graphferry supports `!env VAR`, `!config KEY` and `!include FILE`)"
                ),
                None,
            )),
        }
    }

    pub fn optional_str(&mut self, key: &'static str) -> Result<Option<String>, ConfigError> {
        match self.take_scalar(key, "a string")? {
            None => Ok(None),
            Some(Scalar::Str(s)) => Ok(Some(s)),
            Some(Scalar::Number(n)) => Ok(Some(n.to_string())),
            Some(Scalar::Bool(_)) => Err(self.invalid(key, "expected a string, found a boolean".into(), None)),
        }
    }

    pub fn required_str(&mut self, key: &'static str) -> Result<String, ConfigError> {
        self.optional_str(key)?.ok_or_else(|| self.missing(key))
    }

    pub fn optional_secret(&mut self, key: &'static str) -> Result<Option<Secret>, ConfigError> {
        Ok(self.optional_str(key)?.map(Secret::new))
    }

    pub fn required_secret(&mut self, key: &'static str) -> Result<Secret, ConfigError> {
        self.optional_str(key)?.map(Secret::new).ok_or_else(|| self.missing(key))
    }

    /// A required key is absent. If an unknown key looks like a typo of it, point at that one.
    pub fn missing(&self, key: &str) -> ConfigError {
        self.missing_because(key, "")
    }

    /// [`missing`](Self::missing), saying why the key is needed (` (mode: database needs ...)`),
    /// for a key required only with some settings: it too names a typo of it (`hots:` → `host`).
    pub fn missing_because(&self, key: &str, why: &str) -> ConfigError {
        let typo = self.remaining.keys().filter_map(Value::as_str).find(|k| closest(k, [key]).is_some());
        match typo {
            Some(typo) => self.invalid(
                typo,
                format!("unknown key, and required key `{key}` is missing{why}"),
                Some(key.to_string()),
            ),
            None => self.invalid(key, format!("missing required key{why}"), None),
        }
    }

    pub fn optional_bool(&mut self, key: &'static str) -> Result<Option<bool>, ConfigError> {
        match self.take_scalar(key, "true or false")? {
            None => Ok(None),
            Some(Scalar::Bool(b)) => Ok(Some(b)),
            Some(Scalar::Str(s)) if s.eq_ignore_ascii_case("true") => Ok(Some(true)),
            Some(Scalar::Str(s)) if s.eq_ignore_ascii_case("false") => Ok(Some(false)),
            Some(_) => Err(self.invalid(key, "expected true or false".into(), None)),
        }
    }

    pub fn optional_u64(&mut self, key: &'static str) -> Result<Option<u64>, ConfigError> {
        let parsed = match self.take_scalar(key, "a whole number")? {
            None => return Ok(None),
            Some(Scalar::Number(n)) => n.as_u64(),
            Some(Scalar::Str(s)) => s.trim().parse().ok(),
            Some(Scalar::Bool(_)) => None,
        };
        parsed.map(Some).ok_or_else(|| self.invalid(key, "expected a whole number (0 or more)".into(), None))
    }

    /// A string that must be one of `allowed`; a near miss suggests the closest.
    pub fn optional_choice(&mut self, key: &'static str, allowed: &[&str]) -> Result<Option<String>, ConfigError> {
        let Some(value) = self.optional_str(key)? else { return Ok(None) };
        if allowed.contains(&value.as_str()) {
            return Ok(Some(value));
        }
        let suggestion = closest(&value, allowed.iter().copied());
        Err(self.invalid(key, format!("must be one of: {}", allowed.join(", ")), suggestion))
    }

    /// A key's raw YAML value (a list, a nested mapping), for a connector that reads structure;
    /// `!env` and other tags are not resolved inside it.
    pub fn optional_yaml(&mut self, key: &'static str) -> Option<Value> {
        self.take(key)
    }

    /// Keys nodestream defines for this database that graphferry accepts and does not use.
    pub fn accept_unused(&mut self, keys: &[&'static str]) {
        for key in keys {
            self.take(key);
        }
    }

    /// An error about `key` of this target, with its line.
    pub fn invalid(&self, key: &str, message: String, suggestion: Option<String>) -> ConfigError {
        self.invalid_at(Some(key), message, suggestion)
    }

    fn invalid_at(&self, key: Option<&str>, message: String, suggestion: Option<String>) -> ConfigError {
        ConfigError::Target(Box::new(TargetError {
            path: self.located.path.to_path_buf(),
            line: self.located.line(key),
            target: self.located.target.to_string(),
            key: key.map(str::to_string),
            message,
            suggestion,
        }))
    }

    /// Rejects keys no connector asked for, all of them at once.
    pub fn finish(self) -> Result<(), ConfigError> {
        let errors = self.unknown(None);
        if errors.is_empty() {
            return Ok(());
        }
        Err(ConfigError::all(errors))
    }

    /// The keys read so far (`database` first).
    pub(crate) fn read(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.known.iter().copied().filter(|k| *k != "database")
    }

    /// An error for each key left unread that is not valid here: valid keys are the ones read
    /// so far and `also` (every key of the connector, when reading stopped early).
    pub(crate) fn unknown(&self, also: Option<&[&'static str]>) -> Vec<ConfigError> {
        let mut valid: Vec<&str> = self.read().collect();
        for k in also.unwrap_or_default() {
            if !valid.contains(k) {
                valid.push(k);
            }
        }
        let listed = valid.join(", ");
        self.remaining
            .keys()
            .filter_map(Value::as_str)
            .filter(|k| !valid.contains(k))
            .map(|k| {
                let suggestion = closest(k, valid.iter().copied());
                self.invalid(k, format!("unknown key; valid keys here: {listed}"), suggestion)
            })
            .collect()
    }
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "nothing (null)",
        Value::Sequence(_) => "a list",
        Value::Mapping(_) => "a mapping",
        _ => "another type",
    }
}

/// The candidate closest to `input`, if it is close enough to be a plausible typo.
pub fn closest<'c>(input: &str, candidates: impl IntoIterator<Item = &'c str>) -> Option<String> {
    candidates
        .into_iter()
        .map(|c| (strsim::damerau_levenshtein(&input.to_lowercase(), &c.to_lowercase()), c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c.to_string())
}
