//! nodestream's document tags, resolved once over the whole file before its targets are read:
//! `!include FILE` (another YAML file, its path relative to the config file's folder) and
//! `!config KEY` (a value of the file's top-level `config:` section). `!env VAR` is left in place:
//! it is read when its target is used, so an unset variable fails only that target.

use std::path::Path;

use serde_yaml::Value;

use super::keys::closest;
use super::{yaml, ConfigError};

/// How deep `!include`s may nest: deeper is taken for a file that includes itself.
const MAX_DEPTH: usize = 8;

/// `doc` with every `!include` replaced by the file it names and every `!config` by its value.
pub(super) fn resolve(path: &Path, text: &str, doc: Value) -> Result<Value, ConfigError> {
    let tags = Tags { path, text, base_dir: path.parent().unwrap_or(Path::new("")) };
    let doc = tags.include(doc, 0)?;
    let section = doc.as_mapping().and_then(|m| m.get("config")).cloned();
    tags.config_values(doc, section.as_ref())
}

struct Tags<'a> {
    path: &'a Path,
    text: &'a str,
    base_dir: &'a Path,
}

impl Tags<'_> {
    /// An error on the first line of the config file that holds `needle`.
    fn error(&self, needle: &str, message: String) -> ConfigError {
        let line = self.text.lines().position(|l| l.contains(needle)).map(|i| i + 1);
        ConfigError::Tag { path: self.path.to_path_buf(), line, message }
    }

    fn include(&self, value: Value, depth: usize) -> Result<Value, ConfigError> {
        match value {
            Value::Tagged(tagged) if tagged.tag == "include" => {
                let Value::String(name) = &tagged.value else {
                    return Err(self.error("!include", "`!include` must be followed by a file name".into()));
                };
                let shown = format!("!include {name}");
                if depth >= MAX_DEPTH {
                    return Err(self.error(
                        &shown,
                        format!("`{shown}`: includes nest deeper than {MAX_DEPTH} (does a file include itself?)"),
                    ));
                }
                let file = self.base_dir.join(name);
                let text = std::fs::read_to_string(&file)
                    .map_err(|e| self.error(&shown, format!("`{shown}`: cannot read {}: {e}", file.display())))?;
                let included =
                    yaml::parse_document(&file, &text).map_err(|e| self.error(&shown, format!("`{shown}`: {e}")))?;
                self.include(included, depth + 1)
            }
            Value::Tagged(mut tagged) => {
                tagged.value = self.include(tagged.value, depth)?;
                Ok(Value::Tagged(tagged))
            }
            Value::Mapping(m) => m
                .into_iter()
                .map(|(k, v)| Ok((k, self.include(v, depth)?)))
                .collect::<Result<_, _>>()
                .map(Value::Mapping),
            Value::Sequence(s) => {
                s.into_iter().map(|v| self.include(v, depth)).collect::<Result<_, _>>().map(Value::Sequence)
            }
            other => Ok(other),
        }
    }

    fn config_values(&self, value: Value, section: Option<&Value>) -> Result<Value, ConfigError> {
        match value {
            Value::Tagged(tagged) if tagged.tag == "config" => {
                let Value::String(key) = &tagged.value else {
                    return Err(
                        self.error("!config", "`!config` must be followed by a key of the `config:` section".into())
                    );
                };
                let shown = format!("!config {key}");
                let Some(section) = section.and_then(Value::as_mapping) else {
                    return Err(self.error(&shown, format!("`{shown}`: the file has no top-level `config:` section")));
                };
                section.get(key.as_str()).cloned().ok_or_else(|| {
                    let keys = section.keys().filter_map(Value::as_str);
                    let hint = closest(key, keys).map(|s| format!(" (did you mean `{s}`?)")).unwrap_or_default();
                    self.error(&shown, format!("`{shown}`: no `{key}` in the `config:` section{hint}"))
                })
            }
            Value::Tagged(mut tagged) => {
                tagged.value = self.config_values(tagged.value, section)?;
                Ok(Value::Tagged(tagged))
            }
            Value::Mapping(m) => m
                .into_iter()
                .map(|(k, v)| Ok((k, self.config_values(v, section)?)))
                .collect::<Result<_, _>>()
                .map(Value::Mapping),
            Value::Sequence(s) => {
                s.into_iter().map(|v| self.config_values(v, section)).collect::<Result<_, _>>().map(Value::Sequence)
            }
            other => Ok(other),
        }
    }
}
