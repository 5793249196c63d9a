//! YAML reading: the document, its `targets:` section, nodestream's `!env VAR` tag, and finding
//! the line of a target's key for error messages (serde_yaml's value tree keeps no positions).

use std::path::Path;

use serde_yaml::{Mapping, Value};

use super::ConfigError;

pub(super) fn parse_document(path: &Path, text: &str) -> Result<Value, ConfigError> {
    serde_yaml::from_str::<Value>(text).map_err(|err| ConfigError::Yaml {
        path: path.to_path_buf(),
        line: err.location().map(|l| l.line()),
        // serde_yaml appends " at line L column C"; the line is already in the prefix.
        message: strip_location(&err.to_string()),
    })
}

fn strip_location(message: &str) -> String {
    match message.find(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

/// The `targets:` mapping as (name, raw keys) pairs, in file order.
pub(super) fn targets(path: &Path, text: &str, doc: &Value) -> Result<Vec<(String, Mapping)>, ConfigError> {
    // A near miss (`target:`) is named, so the user is not told the section is missing.
    let near_miss = || {
        let keys = doc.as_mapping().into_iter().flat_map(|m| m.keys()).filter_map(Value::as_str);
        keys.filter(|k| super::keys::closest(k, ["targets"]).is_some()).map(str::to_string).next()
    };
    let no_targets = || ConfigError::NoTargets { path: path.to_path_buf(), near_miss: near_miss() };
    let targets = doc.as_mapping().and_then(|m| m.get("targets")).ok_or_else(no_targets)?;
    let Some(targets) = targets.as_mapping() else {
        return Err(ConfigError::Yaml {
            path: path.to_path_buf(),
            line: line_of(text, "targets"),
            message: "`targets:` must be a mapping of target names to their settings".into(),
        });
    };
    let mut out = Vec::with_capacity(targets.len());
    for (name, body) in targets {
        let name = match name {
            Value::String(s) => s.clone(),
            other => serde_yaml::to_string(other).unwrap_or_default().trim().to_string(),
        };
        let body = match body {
            Value::Mapping(m) => m.clone(),
            // Keep going with an empty mapping: the missing `database:` key is then the error,
            // reported when the target is used.
            _ => Mapping::new(),
        };
        out.push((name, body));
    }
    Ok(out)
}

/// Where a target sits in its file, to put line numbers on its errors.
pub(crate) struct Located<'a> {
    pub path: &'a Path,
    pub text: &'a str,
    pub target: &'a str,
}

impl Located<'_> {
    /// The 1-based line of `key` inside this target's block, or of the target itself.
    pub fn line(&self, key: Option<&str>) -> Option<usize> {
        let lines: Vec<&str> = self.text.lines().collect();
        let targets_at = lines.iter().position(|l| l.trim_end() == "targets:")?;
        let target_at = (targets_at + 1..lines.len()).find(|&i| is_key_line(lines[i], self.target))?;
        let Some(key) = key else { return Some(target_at + 1) };
        let indent = indent_of(lines[target_at]);
        for (i, line) in lines.iter().enumerate().skip(target_at + 1) {
            if !line.trim().is_empty() && !line.trim_start().starts_with('#') && indent_of(line) <= indent {
                break;
            }
            if is_key_line(line, key) {
                return Some(i + 1);
            }
        }
        Some(target_at + 1)
    }
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

fn is_key_line(line: &str, key: &str) -> bool {
    let t = line.trim_start();
    let t = t
        .strip_prefix('"')
        .and_then(|r| r.strip_prefix(key))
        .and_then(|r| r.strip_prefix('"'))
        .or_else(|| t.strip_prefix(key));
    matches!(t, Some(rest) if rest.trim_start().starts_with(':'))
}

/// The 1-based line of the `nth` (0-based) occurrence of `key:` in a YAML text, at any depth
/// and also as a list item (`- key:`): serde_yaml's value tree keeps no positions, so files
/// other than the config (transform files) put lines on their errors with this.
pub fn key_line(text: &str, key: &str, nth: usize) -> Option<usize> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| is_key_line(l.trim_start().trim_start_matches("- "), key))
        .nth(nth)
        .map(|(i, _)| i + 1)
}

fn line_of(text: &str, key: &str) -> Option<usize> {
    text.lines().position(|l| is_key_line(l, key)).map(|i| i + 1)
}

/// Resolves nodestream's `!env VAR` tag (and plain values) into a string.
/// `Ok(None)` means the value is not a scalar.
pub(crate) enum Scalar {
    Str(String),
    Bool(bool),
    Number(serde_yaml::Number),
}

pub(crate) fn scalar(value: &Value) -> Result<Option<Scalar>, EnvError> {
    Ok(Some(match value {
        Value::String(s) => Scalar::Str(s.clone()),
        Value::Bool(b) => Scalar::Bool(*b),
        Value::Number(n) => Scalar::Number(n.clone()),
        Value::Tagged(tagged) if tagged.tag == "env" => {
            let Value::String(var) = &tagged.value else { return Err(EnvError::BadTag) };
            match std::env::var(var) {
                Ok(v) => Scalar::Str(v),
                Err(_) => return Err(EnvError::Missing(var.clone())),
            }
        }
        Value::Tagged(tagged) => return Err(EnvError::UnknownTag(tagged.tag.to_string())),
        _ => return Ok(None),
    }))
}

pub(crate) enum EnvError {
    Missing(String),
    BadTag,
    UnknownTag(String),
}
