//! The structured argument values of a transform file: `Cleanse` steps, `Filter`'s `where:`
//! and `IdTemplate`'s template.

use serde_yaml::{Mapping, Value as Yaml};

use super::super::values::{self, Form, Step};
use super::super::{Condition, Piece, Test};
use super::ArgError;
use crate::config::closest_name;

pub(super) fn step(item: &Yaml) -> Result<Step, ArgError> {
    let unknown = |s: &str| {
        (
            format!("unknown step `{s}`; steps are {}", values::STEPS.join(", ")),
            closest_name(s, values::STEPS.iter().copied()),
        )
    };
    match item {
        Yaml::String(s) => match s.as_str() {
            "trim" => Ok(Step::Trim),
            "lower" => Ok(Step::Lower),
            "upper" => Ok(Step::Upper),
            "collapse_whitespace" => Ok(Step::CollapseWhitespace),
            "replace" | "normalize" => Err((format!("step `{s}` takes arguments: `{{{s}: ...}}`"), None)),
            other => Err(unknown(other)),
        },
        Yaml::Mapping(m) if m.len() == 1 => {
            let (k, v) = m.iter().next().expect("one entry");
            match (k.as_str().unwrap_or("?"), v) {
                ("replace", Yaml::Mapping(r)) => {
                    let pattern = r.get("pattern").and_then(Yaml::as_str).ok_or_else(|| {
                        ("`replace` needs `pattern:` (a regular expression) and `with:`".to_string(), None)
                    })?;
                    let with = r.get("with").and_then(Yaml::as_str).unwrap_or("").to_string();
                    if let Some(extra) = r.keys().filter_map(Yaml::as_str).find(|k| !["pattern", "with"].contains(k)) {
                        return Err((
                            format!("unknown key `{extra}` in `replace`"),
                            closest_name(extra, ["pattern", "with"]),
                        ));
                    }
                    let pattern = regex::Regex::new(pattern)
                        .map_err(|e| (format!("`replace` pattern is not a valid regular expression: {e}"), None))?;
                    Ok(Step::Replace { pattern, with })
                }
                ("normalize", Yaml::String(f)) => {
                    let form = match f.to_ascii_uppercase().as_str() {
                        "NFC" => Form::Nfc,
                        "NFD" => Form::Nfd,
                        "NFKC" => Form::Nfkc,
                        "NFKD" => Form::Nfkd,
                        _ => {
                            return Err((
                                format!("unknown normal form `{f}`; forms are {}", values::FORMS.join(", ")),
                                closest_name(f, values::FORMS.iter().copied()),
                            ))
                        }
                    };
                    Ok(Step::Normalize(form))
                }
                ("replace" | "normalize", _) => {
                    Err(("`replace` takes {pattern, with}; `normalize` takes NFC, NFD, NFKC or NFKD".into(), None))
                }
                (other, _) => Err(unknown(other)),
            }
        }
        _ => Err(("each step is a name (`trim`) or a one-key mapping (`{replace: {pattern, with}}`)".into(), None)),
    }
}

const TESTS: &[&str] = &["equals", "not_equals", "in", "exists", "greater_than", "at_least", "less_than", "at_most"];

pub(super) fn condition(mut m: Mapping) -> Result<Condition, ArgError> {
    let property = match m.remove("property") {
        Some(Yaml::String(s)) => s,
        _ => return Err(("`where` needs `property: NAME`".into(), None)),
    };
    if m.len() != 1 {
        return Err((format!("`where` needs `property` and exactly one test: {}", TESTS.join(", ")), None));
    }
    let (k, v) = m.into_iter().next().expect("one entry");
    let k = k.as_str().unwrap_or("?").to_string();
    let value = || values::from_yaml(&v).ok_or_else(|| (format!("`{k}` takes a plain value"), None));
    let num = || v.as_f64().ok_or_else(|| (format!("`{k}` takes a number"), None));
    let test = match k.as_str() {
        "equals" => Test::Equals(value()?),
        "not_equals" => Test::NotEquals(value()?),
        "in" => match value()? {
            crate::model::Value::List(items) => Test::In(items),
            _ => return Err(("`in` takes a list".into(), None)),
        },
        "exists" => Test::Exists(v.as_bool().ok_or_else(|| ("`exists` takes true or false".to_string(), None))?),
        "greater_than" => Test::GreaterThan(num()?),
        "at_least" => Test::AtLeast(num()?),
        "less_than" => Test::LessThan(num()?),
        "at_most" => Test::AtMost(num()?),
        other => {
            return Err((
                format!("unknown test `{other}`; tests are {}", TESTS.join(", ")),
                closest_name(other, TESTS.iter().copied()),
            ))
        }
    };
    Ok(Condition { property, test })
}

/// Parses `"{label}_{email}"`: `{label}`, `{id}` or a property name in braces; `{{`/`}}` are
/// literal braces.
pub(super) fn template(t: &str) -> Result<Vec<Piece>, ArgError> {
    let mut pieces = Vec::new();
    let mut text = String::new();
    let mut chars = t.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                text.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                text.push('}');
            }
            '{' => {
                let mut name = String::new();
                let mut closed = false;
                for c in chars.by_ref() {
                    if c == '}' {
                        closed = true;
                        break;
                    }
                    name.push(c);
                }
                if name.is_empty() || !closed {
                    return Err(("the template has an empty `{}` or an unclosed `{`".into(), None));
                }
                if !text.is_empty() {
                    pieces.push(Piece::Text(std::mem::take(&mut text)));
                }
                pieces.push(match name.as_str() {
                    "label" => Piece::Label,
                    "id" => Piece::Id,
                    _ => Piece::Property(name),
                });
            }
            '}' => return Err(("the template has a `}` without its `{` (write `}}` for a brace)".into(), None)),
            c => text.push(c),
        }
    }
    if !text.is_empty() {
        pieces.push(Piece::Text(text));
    }
    if !pieces.iter().any(|p| !matches!(p, Piece::Text(_))) {
        return Err(("the template names no `{property}`: every node would get the same id".into(), None));
    }
    Ok(pieces)
}
