//! The transform file: YAML with an `operations:` list, each `{operation, arguments}` like a
//! nodestream migration. Errors name the file, the line of the operation and the operation, and
//! suggest the closest valid name for a misspelt operation, argument or choice.

use std::path::{Path, PathBuf};

use serde_yaml::{Mapping, Value as Yaml};

use super::values::{self, DatetimeFormat, Target};
use super::{OnError, Op, Operation, Scope, Transform};
use crate::config::closest_name;
use arguments::{condition, step, template};

mod arguments;

/// A transform file that cannot be used.
#[derive(Debug, Clone, thiserror::Error)]
#[error("transform {}{}: {}{message}{}", file.display(), line.map(|l| format!(":{l}")).unwrap_or_default(), operation.as_ref().map(|o| format!("operation `{o}`: ")).unwrap_or_default(), suggestion.as_ref().map(|s| format!(" (did you mean `{s}`?)")).unwrap_or_default())]
pub struct TransformFileError {
    pub file: PathBuf,
    pub line: Option<usize>,
    pub operation: Option<String>,
    pub message: String,
    pub suggestion: Option<String>,
}

/// Every operation, with nodestream's names where they mean the same thing.
pub(crate) const OPERATIONS: &[&str] = &[
    "RenameNodeType",
    "RenameRelationshipType",
    "RenameNodeProperty",
    "RenameRelationshipProperty",
    "RenameProperty",
    "DropNodeLabel",
    "DropNodeType",
    "DropRelationshipType",
    "DropNodeProperty",
    "DropRelationshipProperty",
    "DropProperty",
    "SetProperty",
    "IdTemplate",
    "Coerce",
    "Cleanse",
    "Filter",
    "Deduplicate",
];

pub(super) fn load(path: &Path) -> Result<Transform, TransformFileError> {
    let text = std::fs::read_to_string(path).map_err(|e| TransformFileError {
        file: path.to_path_buf(),
        line: None,
        operation: None,
        message: format!("cannot read the file: {e}"),
        suggestion: None,
    })?;
    parse(path, &text)
}

pub(super) fn parse(path: &Path, text: &str) -> Result<Transform, TransformFileError> {
    let error = |line, message: String, suggestion| TransformFileError {
        file: path.to_path_buf(),
        line,
        operation: None,
        message,
        suggestion,
    };
    let doc: Yaml = serde_yaml::from_str(text).map_err(|e| {
        let message = e.to_string();
        let message = message.split(" at line ").next().unwrap_or(&message).to_string();
        error(e.location().map(|l| l.line()), format!("invalid YAML: {message}"), None)
    })?;
    let mut operations = Vec::new();
    let list = match doc {
        Yaml::Null => Vec::new(),
        Yaml::Mapping(mut top) => {
            let list = top.remove("operations");
            if let Some((k, _)) = top.into_iter().next() {
                let k = k.as_str().unwrap_or("?").to_string();
                let line = crate::config::key_line(text, &k, 0);
                return Err(error(line, format!("unknown key `{k}`"), closest_name(&k, ["operations"])));
            }
            match list {
                None | Some(Yaml::Null) => Vec::new(),
                Some(Yaml::Sequence(items)) => items,
                Some(_) => {
                    return Err(error(
                        crate::config::key_line(text, "operations", 0),
                        "`operations:` must be a list".into(),
                        None,
                    ))
                }
            }
        }
        _ => return Err(error(Some(1), "expected a mapping with an `operations:` list".into(), None)),
    };
    for (index, item) in list.into_iter().enumerate() {
        let line = crate::config::key_line(text, "operation", index);
        operations.push(operation(path, line, index, item)?);
    }
    Ok(Transform { file: path.to_path_buf(), fingerprint: fingerprint(text.as_bytes()), operations })
}

/// FNV-1a, 64 bits: stable across builds and platforms (std's hasher is not).
pub(super) fn fingerprint(bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

fn operation(path: &Path, line: Option<usize>, index: usize, item: Yaml) -> Result<Operation, TransformFileError> {
    let at = |operation: Option<String>, message: String, suggestion: Option<String>| TransformFileError {
        file: path.to_path_buf(),
        line,
        operation,
        message,
        suggestion,
    };
    let Yaml::Mapping(mut item) = item else {
        return Err(at(
            None,
            format!("operation {} must be a mapping with `operation:` and `arguments:`", index + 1),
            None,
        ));
    };
    let name = match item.remove("operation") {
        Some(Yaml::String(s)) => s,
        _ => return Err(at(None, format!("operation {} has no `operation:` name", index + 1), None)),
    };
    let Some(&name) = OPERATIONS.iter().find(|o| **o == name) else {
        // A shortened name (`Dedupe`) is too far from its operation for a typo: match its start.
        let suggestion = closest_name(&name, OPERATIONS.iter().copied()).or_else(|| {
            let lower = name.to_lowercase();
            let stem: String = lower.chars().take(lower.chars().count().saturating_sub(1)).collect();
            let starts = |o: &&str| stem.chars().count() >= 3 && o.to_lowercase().starts_with(&stem);
            OPERATIONS.iter().copied().find(starts).map(str::to_string)
        });
        return Err(at(None, format!("unknown operation `{name}`"), suggestion));
    };
    let arguments = match item.remove("arguments") {
        None | Some(Yaml::Null) => Mapping::new(),
        Some(Yaml::Mapping(m)) => m,
        Some(_) => return Err(at(Some(name.into()), "`arguments:` must be a mapping".into(), None)),
    };
    if let Some((k, _)) = item.into_iter().next() {
        let k = k.as_str().unwrap_or("?").to_string();
        return Err(at(Some(name.into()), format!("unknown key `{k}`"), closest_name(&k, ["operation", "arguments"])));
    }
    let mut args = Args { map: arguments, known: Vec::new() };
    // A misspelt argument reads as a missing one: name the misspelling, it is the cause.
    let op = match build(name, &mut args) {
        Ok(op) => args.finish().map(|()| op),
        Err(e) => Err(args.misspelt().unwrap_or(e)),
    };
    match op {
        Ok(op) => Ok(Operation { name, line, op }),
        Err((message, suggestion)) => Err(at(Some(name.into()), message, suggestion)),
    }
}

type ArgError = (String, Option<String>);

/// An operation's arguments: each read once; any left over is an unknown one.
struct Args {
    map: Mapping,
    known: Vec<&'static str>,
}

impl Args {
    fn take(&mut self, key: &'static str) -> Option<Yaml> {
        self.known.push(key);
        self.map.remove(key).filter(|v| !v.is_null())
    }

    fn string(&mut self, key: &'static str) -> Result<Option<String>, ArgError> {
        match self.take(key) {
            None => Ok(None),
            Some(Yaml::String(s)) if !s.is_empty() => Ok(Some(s)),
            Some(Yaml::Number(n)) => Ok(Some(n.to_string())),
            Some(_) => Err((format!("`{key}` must be a non-empty string"), None)),
        }
    }

    fn required(&mut self, key: &'static str) -> Result<String, ArgError> {
        self.string(key)?.ok_or_else(|| (format!("argument `{key}` is required"), None))
    }

    fn bool(&mut self, key: &'static str) -> Result<bool, ArgError> {
        match self.take(key) {
            None => Ok(false),
            Some(Yaml::Bool(b)) => Ok(b),
            Some(_) => Err((format!("`{key}` must be true or false"), None)),
        }
    }

    fn choice(&mut self, key: &'static str, allowed: &[&'static str]) -> Result<Option<&'static str>, ArgError> {
        let Some(s) = self.string(key)? else { return Ok(None) };
        match allowed.iter().find(|a| a.eq_ignore_ascii_case(&s)) {
            Some(a) => Ok(Some(a)),
            None => Err((
                format!("`{key}: {s}` is not one of {}", allowed.join(", ")),
                closest_name(&s, allowed.iter().copied()),
            )),
        }
    }

    fn on_error(&mut self) -> Result<OnError, ArgError> {
        // `on_error: null` is YAML's null, not the string.
        if self.map.get("on_error").is_some_and(Yaml::is_null) {
            self.take("on_error");
            return Ok(OnError::Null);
        }
        Ok(match self.choice("on_error", &["fail", "keep", "null"])? {
            None | Some("fail") => OnError::Fail,
            Some("keep") => OnError::Keep,
            _ => OnError::Null,
        })
    }

    /// `node_type:` or `relationship_type:` (not both); neither: `otherwise`.
    fn scope(&mut self, otherwise: Scope) -> Result<Scope, ArgError> {
        match (self.string("node_type")?, self.string("relationship_type")?) {
            (Some(_), Some(_)) => Err(("give `node_type` or `relationship_type`, not both".into(), None)),
            (Some(l), None) => Ok(Scope::Label(l)),
            (None, Some(t)) => Ok(Scope::Type(t)),
            (None, None) => Ok(otherwise),
        }
    }

    /// A left-over argument close to one the operation takes.
    fn misspelt(&self) -> Option<ArgError> {
        self.map.keys().filter_map(Yaml::as_str).find_map(|k| {
            let suggestion = closest_name(k, self.known.iter().copied())?;
            Some((format!("unknown argument `{k}`"), Some(suggestion)))
        })
    }

    fn finish(self) -> Result<(), ArgError> {
        match self.map.into_iter().next() {
            None => Ok(()),
            Some((k, _)) => {
                let k = k.as_str().unwrap_or("?").to_string();
                let suggestion = closest_name(&k, self.known.iter().copied());
                Err((format!("unknown argument `{k}`; it takes {}", self.known.join(", ")), suggestion))
            }
        }
    }
}

fn build(name: &'static str, a: &mut Args) -> Result<Op, ArgError> {
    let property = |a: &mut Args| a.required("property_name");
    Ok(match name {
        "RenameNodeType" => Op::RenameLabel { from: a.required("old_type")?, to: a.required("new_type")? },
        "RenameRelationshipType" => Op::RenameType { from: a.required("old_type")?, to: a.required("new_type")? },
        "RenameNodeProperty" | "RenameRelationshipProperty" | "RenameProperty" => {
            let scope = match name {
                "RenameNodeProperty" => a.string("node_type")?.map_or(Scope::Nodes, Scope::Label),
                "RenameRelationshipProperty" => {
                    a.string("relationship_type")?.map_or(Scope::Relationships, Scope::Type)
                }
                _ => a.scope(Scope::All)?,
            };
            Op::RenameProperty { scope, from: a.required("old_property_name")?, to: a.required("new_property_name")? }
        }
        "DropNodeLabel" => Op::DropLabel { label: a.required("node_type")? },
        "DropNodeType" => Op::DropNodes { label: a.required("name")? },
        "DropRelationshipType" => Op::DropRelationships { rel_type: a.required("name")? },
        "DropNodeProperty" => Op::DropProperty {
            scope: a.string("node_type")?.map_or(Scope::Nodes, Scope::Label),
            property: property(a)?,
        },
        "DropRelationshipProperty" => Op::DropProperty {
            scope: a.string("relationship_type")?.map_or(Scope::Relationships, Scope::Type),
            property: property(a)?,
        },
        "DropProperty" => Op::DropProperty { scope: a.scope(Scope::All)?, property: property(a)? },
        "SetProperty" => {
            let scope = a.scope(Scope::All)?;
            let property = property(a)?;
            let value = match a.take("value").as_ref().map(values::from_yaml) {
                Some(Some(v)) => v,
                Some(None) => return Err(("`value` must be a string, number, boolean, list or map".into(), None)),
                None => {
                    return Err(("argument `value` is required (to remove a property, use DropProperty)".into(), None))
                }
            };
            Op::SetProperty { scope, property, value, if_missing: a.bool("if_missing")? }
        }
        "IdTemplate" => {
            let label = a.required("node_type")?;
            let template = template(&a.required("template")?)?;
            let on_error = a.on_error()?;
            if on_error == OnError::Null {
                return Err(("`on_error: null` cannot apply to an id: use fail or keep".into(), None));
            }
            Op::IdTemplate { label, template, on_error }
        }
        "Coerce" => {
            let scope = a.scope(Scope::All)?;
            let property = property(a)?;
            let to = a
                .choice("to", values::TARGETS)?
                .ok_or_else(|| (format!("argument `to` is required: one of {}", values::TARGETS.join(", ")), None))?;
            let format = a.string("format")?;
            let to = match (to, format) {
                ("date", f) => Target::Date(f),
                ("datetime", None) => Target::Datetime(DatetimeFormat::Iso),
                ("datetime", Some(f)) if f == "epoch_seconds" => Target::Datetime(DatetimeFormat::EpochSeconds),
                ("datetime", Some(f)) if f == "epoch_milliseconds" => {
                    Target::Datetime(DatetimeFormat::EpochMilliseconds)
                }
                ("datetime", Some(f)) => Target::Datetime(DatetimeFormat::Pattern(f)),
                (_, Some(_)) => return Err(("`format` applies only to `to: date` and `to: datetime`".into(), None)),
                ("integer", None) => Target::Integer,
                ("float", None) => Target::Float,
                ("boolean", None) => Target::Boolean,
                ("string", None) => Target::String,
                ("map", None) => Target::Map,
                _ => Target::List,
            };
            Op::Coerce { scope, property, to, on_error: a.on_error()? }
        }
        "Cleanse" => {
            let scope = a.scope(Scope::All)?;
            let property = property(a)?;
            let steps = match a.take("steps") {
                Some(Yaml::Sequence(items)) if !items.is_empty() => items.iter().map(step).collect::<Result<_, _>>()?,
                _ => {
                    return Err((format!("argument `steps` is required: a list of {}", values::STEPS.join(", ")), None))
                }
            };
            Op::Cleanse { scope, property, steps }
        }
        "Filter" => {
            let scope = a.scope(Scope::All)?;
            let condition = match a.take("where") {
                Some(Yaml::Mapping(m)) => condition(m)?,
                _ => return Err(("argument `where` is required: {property: NAME, equals: VALUE} (or not_equals, in, exists, greater_than, at_least, less_than, at_most)".into(), None)),
            };
            Op::Filter { scope, condition }
        }
        "Deduplicate" => {
            let label = a.required("node_type")?;
            let key = match a.take("key") {
                Some(Yaml::String(s)) => vec![s],
                Some(Yaml::Sequence(items)) if !items.is_empty() => items
                    .iter()
                    .map(|i| i.as_str().map(str::to_string))
                    .collect::<Option<_>>()
                    .ok_or_else(|| ("`key` must be a property name or a list of them".to_string(), None))?,
                _ => return Err(("argument `key` is required: a property name or a list of them".into(), None)),
            };
            Op::Deduplicate { label, key }
        }
        _ => unreachable!("every name in OPERATIONS is built"),
    })
}
