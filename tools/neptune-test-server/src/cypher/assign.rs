//! Which expressions a query stores as property values, and Neptune's rule that a property value
//! is a simple literal: never a list, never a map.
//!
//! AWS's "openCypher data model" page
//! (https://docs.aws.amazon.com/neptune/latest/userguide/access-graph-opencypher-data-model.html)
//! lists the property types (Bool, Byte, Short, Int, Long, Float, Double, DateTime, String) and
//! says not to insert array values through openCypher; users who did report Neptune's answer
//! `Expected a simple literal but found List` (guacsec/guac#1128, a `SET` carrying a list). We
//! found no source giving the error code of that answer: MalformedQueryException is the code
//! Neptune documents for a query that "does not pass additional validation" (AWS, "Graph Engine
//! Error Messages and Codes", errors-engine-codes.html), so the server uses it.
//!
//! A property value is assigned by a CREATE or MERGE pattern's map (`(n:L {k: v})`,
//! `[r:T {k: v}]`, or `(n:L $map)`), by `SET x.k = v`, and as the values of the map in
//! `SET x += map` and `SET x = map` (ON CREATE / ON MATCH SET included). Lists elsewhere
//! (`UNWIND $rows`, `WHERE x IN $ids`, a row field holding ids) are not property values and pass.
//!
//! A list or map literal (and the list-valued functions below) is refused as the query is read;
//! a parameter, a field path of an UNWIND row of a parameter list, or a `removeKeyFromMap` result
//! is checked against the values sent, before the engine runs. Other expressions (`WITH`
//! variables, `properties(n)`, arithmetic) are not followed and reach the engine unchecked.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::lexer::{Kind, Token};
use super::remove_key::Source;
use crate::error::NeptuneError;

/// Functions that always return a list (openCypher 9): their result is never a property value.
const LIST_FUNCTIONS: &[&str] = &["collect", "keys", "labels", "nodes", "relationships", "range", "split", "tail"];

/// How the expression is stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// One property value (`SET x.k = v`, `{k: v}` in a CREATE/MERGE pattern).
    Value,
    /// A map whose every value becomes a property (`SET x += m`, `SET x = m`, `(n $m)`).
    Map,
}

/// An assigned expression the server checks against the values sent with the request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assignment {
    pub role: Role,
    pub source: Source,
    /// The property name, when the expression is one property's value.
    pub key: Option<String>,
}

/// An assigned expression as found in the token stream: `toks[start..end]`.
#[derive(Clone, Debug)]
pub struct Span {
    pub role: Role,
    pub start: usize,
    pub end: usize,
    pub key: Option<String>,
}

/// The refusal Neptune answers with; `what` is `List` or `Map`.
pub fn refuse(what: &str, key: Option<&str>, at: &str) -> NeptuneError {
    let prop = key.map(|k| format!(" for property `{k}`")).unwrap_or_default();
    NeptuneError::malformed(format!("Expected a simple literal but found {what}{prop} ({at})"))
}

/// Resolves each span to a checked [`Assignment`], refusing literal lists and maps at once.
/// `unwinds` maps UNWIND variables to their list parameters; `computed` maps the token index of a
/// rewritten `removeKeyFromMap` call to its closing token and the value the server computes.
pub fn resolve(
    toks: &[Token<'_>],
    spans: &[Span],
    unwinds: &HashMap<String, String>,
    computed: &HashMap<usize, (usize, Source)>,
) -> Result<Vec<Assignment>, NeptuneError> {
    let mut out = Vec::new();
    for s in spans {
        resolve_one(toks, s, unwinds, computed, &mut out)?;
    }
    Ok(out)
}

fn resolve_one(
    toks: &[Token<'_>],
    s: &Span,
    unwinds: &HashMap<String, String>,
    computed: &HashMap<usize, (usize, Source)>,
    out: &mut Vec<Assignment>,
) -> Result<(), NeptuneError> {
    let (start, end) = (s.start, s.end);
    if start >= end {
        return Ok(());
    }
    let first = &toks[start];
    let literal = |what| refuse(what, s.key.as_deref(), &format!("`{}` in the query", first.text));
    if first.is("[") && closing(toks, start) == Some(end - 1) {
        return Err(literal("List"));
    }
    if first.is("{") && closing(toks, start) == Some(end - 1) {
        return match s.role {
            Role::Value => Err(literal("Map")),
            Role::Map => {
                for entry in map_entries(toks, start) {
                    resolve_one(toks, &entry, unwinds, computed, out)?;
                }
                Ok(())
            }
        };
    }
    if first.kind == Kind::Ident
        && toks.get(start + 1).is_some_and(|t| t.is("("))
        && LIST_FUNCTIONS.iter().any(|f| first.text.eq_ignore_ascii_case(f))
        && closing(toks, start + 1) == Some(end - 1)
    {
        return Err(refuse("List", s.key.as_deref(), &format!("{}() in the query", first.text)));
    }
    if let Some((close, source)) = computed.get(&start) {
        if *close == end - 1 {
            out.push(Assignment { role: s.role, source: source.clone(), key: s.key.clone() });
        }
        return Ok(());
    }
    // `$p.a.b` or `row.a.b`, and nothing else.
    let mut path = Vec::new();
    let mut j = start + 1;
    while j + 1 < end && toks[j].is(".") && toks[j + 1].is_name() {
        path.push(toks[j + 1].name());
        j += 2;
    }
    if j != end {
        return Ok(());
    }
    let source = match first.kind {
        Kind::Param => Source::Param { name: first.text[1..].to_string(), path },
        Kind::Ident | Kind::Quoted => match unwinds.get(&first.name()) {
            Some(list) => Source::Row { list: list.clone(), var: first.name(), path },
            None => return Ok(()),
        },
        _ => return Ok(()),
    };
    out.push(Assignment { role: s.role, source, key: s.key.clone() });
    Ok(())
}

/// The index of the bracket closing the one at `open`.
pub fn closing(toks: &[Token<'_>], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (k, t) in toks.iter().enumerate().skip(open) {
        if t.is("(") || t.is("[") || t.is("{") {
            depth += 1;
        } else if t.is(")") || t.is("]") || t.is("}") {
            depth = depth.checked_sub(1)?;
            if depth == 0 {
                return Some(k);
            }
        }
    }
    None
}

/// The value spans of the map literal at `toks[open]` (`{k: v, ...}`), each a property value.
pub fn map_entries(toks: &[Token<'_>], open: usize) -> Vec<Span> {
    let Some(close) = closing(toks, open) else { return Vec::new() };
    let mut out = Vec::new();
    let mut j = open + 1;
    while j + 1 < close {
        let key = toks[j].name();
        if !toks[j + 1].is(":") {
            break;
        }
        let start = j + 2;
        let mut k = start;
        let mut depth = 0usize;
        while k < close && !(depth == 0 && toks[k].is(",")) {
            if toks[k].is("(") || toks[k].is("[") || toks[k].is("{") {
                depth += 1;
            } else if toks[k].is(")") || toks[k].is("]") || toks[k].is("}") {
                depth = depth.saturating_sub(1);
            }
            k += 1;
        }
        // `~id` is the entity's id, not a property (its own rules live in `ids`).
        if key != "~id" {
            out.push(Span { role: Role::Value, start, end: k, key: Some(key) });
        }
        j = k + 1;
    }
    out
}

/// Checks the values each assignment reads from the request's parameters.
pub fn check(assignments: &[Assignment], params: &Map<String, Value>) -> Result<(), NeptuneError> {
    for a in assignments {
        match &a.source {
            Source::Param { name, path } => {
                let v = descend(params.get(name), path);
                check_value(a, v, &describe(&format!("${name}"), path))?;
            }
            Source::Row { list, path, .. } => {
                let Some(Value::Array(rows)) = params.get(list) else { continue };
                for (i, row) in rows.iter().enumerate() {
                    let at = describe(&format!("${list}[{i}]"), path);
                    check_value(a, descend(Some(row), path), &at)?;
                }
            }
        }
    }
    Ok(())
}

fn describe(base: &str, path: &[String]) -> String {
    let mut s = base.to_string();
    for p in path {
        s.push('.');
        s.push_str(p);
    }
    s
}

fn descend<'v>(v: Option<&'v Value>, path: &[String]) -> Option<&'v Value> {
    path.iter().try_fold(v?, |cur, seg| cur.as_object()?.get(seg))
}

fn check_value(a: &Assignment, v: Option<&Value>, at: &str) -> Result<(), NeptuneError> {
    let kind = |v: &Value| match v {
        Value::Array(_) => Some("List"),
        Value::Object(_) => Some("Map"),
        _ => None,
    };
    match (a.role, v) {
        (Role::Value, Some(v)) => match kind(v) {
            Some(what) => Err(refuse(what, a.key.as_deref(), at)),
            None => Ok(()),
        },
        (Role::Map, Some(Value::Object(m))) => {
            for (k, x) in m {
                if let Some(what) = kind(x) {
                    return Err(refuse(what, Some(k), at));
                }
            }
            Ok(())
        }
        // A map assignment of a non-map is the engine's to refuse.
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn row(path: &[&str]) -> Source {
        Source::Row { list: "rows".into(), var: "row".into(), path: path.iter().map(|s| s.to_string()).collect() }
    }

    fn params(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn map_assignments_refuse_list_and_map_values() {
        let a = [Assignment { role: Role::Map, source: row(&["props"]), key: None }];
        assert!(check(&a, &params(json!({"rows": [{"props": {"n": 1, "s": "x", "b": true, "z": null}}]}))).is_ok());
        let e = check(&a, &params(json!({"rows": [{"props": {"n": 1}}, {"props": {"tags": ["a"]}}]}))).unwrap_err();
        assert_eq!((e.status, e.code), (400, "MalformedQueryException"));
        assert!(e.message.starts_with("Expected a simple literal but found List"), "{}", e.message);
        assert!(e.message.contains("`tags`") && e.message.contains("$rows[1].props"), "{}", e.message);
        let e = check(&a, &params(json!({"rows": [{"props": {"m": {"a": 1}}}]}))).unwrap_err();
        assert!(e.message.contains("found Map"), "{}", e.message);
    }

    #[test]
    fn value_assignments_and_missing_values() {
        let a = [Assignment { role: Role::Value, source: Source::Param { name: "v".into(), path: vec![] }, key: None }];
        assert!(check(&a, &params(json!({"v": 3}))).is_ok());
        assert!(check(&a, &params(json!({}))).is_ok());
        assert!(check(&a, &params(json!({"v": [3]}))).is_err());
        // Rows of a missing list are no rows.
        let a = [Assignment { role: Role::Value, source: row(&["x"]), key: Some("x".into()) }];
        assert!(check(&a, &params(json!({}))).is_ok());
        assert!(check(&a, &params(json!({"rows": [{"x": [1]}]}))).is_err());
    }
}
