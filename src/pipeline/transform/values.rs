//! Value conversions of the transform: `Coerce` (to a type) and `Cleanse` (string clean-ups).
//! A conversion that fails says why in words that never include the value.

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime};
use unicode_normalization::UnicodeNormalization;

use crate::model::{text, Value, ZonedDateTime};

/// The type `Coerce` converts to.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Target {
    Integer,
    Float,
    Boolean,
    String,
    /// `None`: ISO 8601 (`2024-02-29`); else a chrono format string.
    Date(Option<String>),
    Datetime(DatetimeFormat),
    Map,
    List,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum DatetimeFormat {
    /// ISO 8601 with an offset (a zoned datetime) or without (a local one).
    Iso,
    /// A chrono format string: with `%z`/`%:z` it gives a zoned datetime, else a local one.
    Pattern(String),
    EpochSeconds,
    EpochMilliseconds,
}

pub(crate) const TARGETS: &[&str] = &["integer", "float", "boolean", "string", "date", "datetime", "map", "list"];

impl Target {
    pub fn name(&self) -> &'static str {
        match self {
            Target::Integer => "integer",
            Target::Float => "float",
            Target::Boolean => "boolean",
            Target::String => "string",
            Target::Date(_) => "date",
            Target::Datetime(_) => "datetime",
            Target::Map => "map",
            Target::List => "list",
        }
    }
}

/// Converts `value` to `target`. `Ok(None)`: it already is one (nothing to count).
pub(crate) fn coerce(value: &Value, target: &Target) -> Result<Option<Value>, String> {
    let fail = || Err(format!("a {} value does not convert to {}", value.type_name(), target.name()));
    let unparsable = || Err(format!("the string does not parse as {}", target.name()));
    Ok(Some(match (target, value) {
        (Target::Integer, Value::Int(_))
        | (Target::Float, Value::Float(_))
        | (Target::Boolean, Value::Bool(_))
        | (Target::String, Value::String(_))
        | (Target::Date(_), Value::Date(_))
        | (Target::Datetime(_), Value::DateTime(_) | Value::LocalDateTime(_))
        | (Target::Map, Value::Map(_))
        | (Target::List, Value::List(_)) => return Ok(None),
        (Target::Integer, Value::String(s)) => match s.trim().parse::<i64>() {
            Ok(n) => Value::Int(n),
            Err(_) => return unparsable(),
        },
        // A whole float within i64's range converts exactly; any other would lose its fraction.
        (Target::Integer, Value::Float(f)) if f.fract() == 0.0 && f.abs() < 9.2e18 => Value::Int(*f as i64),
        (Target::Float, Value::String(s)) => match s.trim().parse::<f64>() {
            Ok(f) => Value::Float(f),
            Err(_) => return unparsable(),
        },
        // Beyond 2^53 an integer has no exact float.
        (Target::Float, Value::Int(n)) if n.unsigned_abs() <= 1 << 53 => Value::Float(*n as f64),
        (Target::Boolean, Value::String(s)) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "yes" | "1" => Value::Bool(true),
            "false" | "no" | "0" => Value::Bool(false),
            _ => return unparsable(),
        },
        (Target::Boolean, Value::Int(n)) if *n == 0 || *n == 1 => Value::Bool(*n == 1),
        (Target::String, Value::Int(n)) => Value::String(n.to_string()),
        (Target::String, Value::Float(f)) => Value::String(f.to_string()),
        (Target::String, Value::Bool(b)) => Value::String(b.to_string()),
        (Target::Date(format), Value::String(s)) => {
            let parsed = match format {
                None => text::parse_date(s.trim()),
                Some(f) => NaiveDate::parse_from_str(s.trim(), f).ok(),
            };
            match parsed {
                Some(d) => Value::Date(d),
                None => return unparsable(),
            }
        }
        (Target::Datetime(format), v) => match datetime(v, format) {
            Some(v) => v,
            None if matches!(v, Value::String(_)) => return unparsable(),
            None => return fail(),
        },
        (Target::Map | Target::List, Value::String(s)) => match serde_json::from_str::<serde_json::Value>(s) {
            Ok(json @ serde_json::Value::Object(_)) if *target == Target::Map => from_json(json),
            Ok(json @ serde_json::Value::Array(_)) if *target == Target::List => from_json(json),
            Ok(_) => return Err(format!("the JSON string does not hold a {}", target.name())),
            Err(_) => return Err("the string is not valid JSON".into()),
        },
        _ => return fail(),
    }))
}

fn datetime(value: &Value, format: &DatetimeFormat) -> Option<Value> {
    let utc = |dt: DateTime<chrono::Utc>| Value::DateTime(ZonedDateTime { datetime: dt.fixed_offset(), zone: None });
    let number = |v: &Value| -> Option<f64> {
        match v {
            Value::Int(n) => Some(*n as f64),
            Value::Float(f) => Some(*f),
            Value::String(s) => s.trim().parse::<f64>().ok(),
            _ => None,
        }
    };
    match (format, value) {
        (DatetimeFormat::EpochSeconds, Value::Int(n)) => DateTime::from_timestamp(*n, 0).map(utc),
        (DatetimeFormat::EpochMilliseconds, Value::Int(n)) => DateTime::from_timestamp_millis(*n).map(utc),
        (DatetimeFormat::EpochSeconds, v) => {
            let secs = number(v)?;
            let whole = secs.floor();
            DateTime::from_timestamp(whole as i64, ((secs - whole) * 1e9).round().min(999_999_999.0) as u32).map(utc)
        }
        (DatetimeFormat::EpochMilliseconds, v) => {
            let ms = number(v)?;
            (ms.fract() == 0.0).then(|| DateTime::from_timestamp_millis(ms as i64).map(utc)).flatten()
        }
        (DatetimeFormat::Iso, Value::String(s)) => {
            let s = s.trim();
            match text::parse_datetime(s) {
                Some(z) => Some(Value::DateTime(z)),
                None => text::parse_local_datetime(s).map(Value::LocalDateTime),
            }
        }
        (DatetimeFormat::Pattern(f), Value::String(s)) => {
            let s = s.trim();
            match DateTime::<FixedOffset>::parse_from_str(s, f) {
                Ok(dt) => Some(Value::DateTime(ZonedDateTime { datetime: dt, zone: None })),
                Err(_) => NaiveDateTime::parse_from_str(s, f).ok().map(Value::LocalDateTime),
            }
        }
        _ => None,
    }
}

/// Plain JSON (not graphferry's tagged dump JSON: a user's `$date` key is just a key).
fn from_json(json: serde_json::Value) -> Value {
    match json {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(b),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        serde_json::Value::String(s) => Value::String(s),
        serde_json::Value::Array(items) => Value::List(items.into_iter().map(from_json).collect()),
        serde_json::Value::Object(map) => Value::Map(map.into_iter().map(|(k, v)| (k, from_json(v))).collect()),
    }
}

/// One clean-up step of `Cleanse`.
#[derive(Debug, Clone)]
pub(crate) enum Step {
    Trim,
    Lower,
    Upper,
    CollapseWhitespace,
    Replace { pattern: regex::Regex, with: String },
    Normalize(Form),
}

pub(crate) const STEPS: &[&str] = &["trim", "lower", "upper", "collapse_whitespace", "replace", "normalize"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Form {
    Nfc,
    Nfd,
    Nfkc,
    Nfkd,
}

pub(crate) const FORMS: &[&str] = &["NFC", "NFD", "NFKC", "NFKD"];

/// Applies `steps` to a string, or to each string of a list; other values are left alone.
/// Returns the new value if it differs.
pub(crate) fn cleanse(value: &Value, steps: &[Step]) -> Option<Value> {
    match value {
        Value::String(s) => cleanse_str(s, steps).map(Value::String),
        Value::List(items) if items.iter().any(|v| matches!(v, Value::String(_))) => {
            let mut changed = false;
            let out: Vec<Value> = items
                .iter()
                .map(|v| match cleanse(v, steps) {
                    Some(new) => {
                        changed = true;
                        new
                    }
                    None => v.clone(),
                })
                .collect();
            changed.then_some(Value::List(out))
        }
        _ => None,
    }
}

/// The cleansed string, or `None` if no step changed it. A step that would change nothing
/// allocates nothing (most values of a column are often clean already).
fn cleanse_str(s: &str, steps: &[Step]) -> Option<String> {
    let mut out: Option<String> = None;
    for step in steps {
        let current = out.as_deref().unwrap_or(s);
        let next = match step {
            Step::Trim => (current.trim().len() != current.len()).then(|| current.trim().to_string()),
            // ASCII text is checked before converting; other text is converted and compared
            // (a titlecase letter such as `ǅ` changes both ways without being upper or lower).
            Step::Lower if current.is_ascii() => {
                current.bytes().any(|b| b.is_ascii_uppercase()).then(|| current.to_ascii_lowercase())
            }
            Step::Upper if current.is_ascii() => {
                current.bytes().any(|b| b.is_ascii_lowercase()).then(|| current.to_ascii_uppercase())
            }
            Step::Lower => Some(current.to_lowercase()).filter(|o| o != current),
            Step::Upper => Some(current.to_uppercase()).filter(|o| o != current),
            Step::CollapseWhitespace => {
                let collapsed = current.split_whitespace().collect::<Vec<_>>().join(" ");
                (collapsed != current).then_some(collapsed)
            }
            Step::Replace { pattern, with } => match pattern.replace_all(current, with.as_str()) {
                std::borrow::Cow::Borrowed(_) => None,
                std::borrow::Cow::Owned(o) => Some(o),
            },
            Step::Normalize(form) => {
                let normal: String = match form {
                    Form::Nfc => current.nfc().collect(),
                    Form::Nfd => current.nfd().collect(),
                    Form::Nfkc => current.nfkc().collect(),
                    Form::Nfkd => current.nfkd().collect(),
                };
                (normal != current).then_some(normal)
            }
        };
        if next.is_some() {
            out = next;
        }
    }
    out.filter(|o| o != s)
}

/// Equality for `where:` and `SetProperty`: numbers compare by value (`3` matches `3.0`).
pub(crate) fn equals(a: &Value, b: &Value) -> bool {
    match (number(a), number(b)) {
        (Some(x), Some(y)) => x == y,
        _ => a.same_as(b),
    }
}

pub(crate) fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Int(n) => Some(*n as f64),
        Value::Float(f) => Some(*f),
        _ => None,
    }
}

/// A YAML scalar (or list of them) as a value: what `SetProperty` writes and `where:` compares.
pub(crate) fn from_yaml(value: &serde_yaml::Value) -> Option<Value> {
    Some(match value {
        serde_yaml::Value::Null => Value::Null,
        serde_yaml::Value::Bool(b) => Value::Bool(*b),
        serde_yaml::Value::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Float(n.as_f64()?),
        },
        serde_yaml::Value::String(s) => Value::String(s.clone()),
        serde_yaml::Value::Sequence(items) => Value::List(items.iter().map(from_yaml).collect::<Option<_>>()?),
        serde_yaml::Value::Mapping(m) => {
            let mut out = BTreeMap::new();
            for (k, v) in m {
                out.insert(k.as_str()?.to_string(), from_yaml(v)?);
            }
            Value::Map(out)
        }
        serde_yaml::Value::Tagged(_) => return None,
    })
}
