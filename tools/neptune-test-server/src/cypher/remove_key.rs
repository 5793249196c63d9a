//! Neptune's `removeKeyFromMap(map, key)`, which ArcadeDB's Cypher lacks.
//!
//! The server computes the function itself, before the query reaches the engine: a call whose
//! map is a query parameter (`$p`, `$p.a.b`) or a field path of the rows of a parameter list
//! bound by `UNWIND $list AS row` (`row`, `row.a`) is replaced by a reference to a value the
//! server adds to the parameters: a new parameter (`$__gf_rkm_0`) or a new field of every row
//! (`row.__gf_rkm_0`) holding the map without the removed keys. Nested calls
//! (`removeKeyFromMap(removeKeyFromMap(row, "a"), "b")`) become one value without both keys.
//! Keys are string literals or string parameters.
//!
//! Anything else (a map built in the query, a node's properties, a key computed per row) is
//! refused with MalformedQueryException naming the function, so the server never stores a
//! result Neptune would not have.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::lexer::{Kind, Token};
use crate::error::NeptuneError;

/// The function's name; Cypher function names are matched case-insensitively.
pub const FUNCTION: &str = "removeKeyFromMap";
/// Prefix of the parameters and row fields the server adds.
const FIELD_PREFIX: &str = "__gf_rkm_";

/// Where the map comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// `$name.path...`: the result is a new parameter.
    Param { name: String, path: Vec<String> },
    /// `var.path...` with `UNWIND $list AS var`: the result is a new field of every row.
    Row { list: String, var: String, path: Vec<String> },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Key {
    Literal(String),
    Param(String),
}

/// One computed value: `source` without `keys`, stored under `field`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyRemoval {
    pub source: Source,
    pub keys: Vec<Key>,
    pub field: String,
}

/// A parsed call: where its text ends and what replaces it.
pub struct Call {
    /// Index of the call's closing `)`.
    pub close: usize,
    pub source: Source,
    pub keys: Vec<Key>,
}

pub fn refuse(why: impl std::fmt::Display) -> NeptuneError {
    NeptuneError::malformed(format!(
        "Function {FUNCTION}() is supported by this test server only on a query parameter or on a field of the \
         rows of an UNWIND parameter list, with a string literal or string parameter as the key: {why}"
    ))
}

/// Parses the call whose name is `toks[at]`; `unwinds` maps UNWIND variables to the list
/// parameters they range over.
pub fn parse(toks: &[Token<'_>], at: usize, unwinds: &HashMap<String, String>) -> Result<Call, NeptuneError> {
    let tok = |j: usize| toks.get(j).ok_or_else(|| refuse("the call is not closed"));
    if !tok(at + 1)?.is("(") {
        return Err(refuse("expected `(`"));
    }
    let mut j = at + 2;
    let (source, mut keys) = if tok(j)?.is_kw(FUNCTION) && tok(j + 1)?.is("(") {
        let inner = parse(toks, j, unwinds)?;
        j = inner.close + 1;
        (inner.source, inner.keys)
    } else {
        let base = tok(j)?;
        let mut path = Vec::new();
        j += 1;
        while tok(j)?.is(".") {
            let seg = tok(j + 1)?;
            if !seg.is_name() {
                return Err(refuse(format!("unexpected `{}` in the map argument", seg.text)));
            }
            path.push(seg.name());
            j += 2;
        }
        let source = match base.kind {
            Kind::Param => Source::Param { name: base.text[1..].to_string(), path },
            Kind::Ident | Kind::Quoted => match unwinds.get(&base.name()) {
                Some(list) => Source::Row { list: list.clone(), var: base.name(), path },
                None => {
                    return Err(refuse(format!("`{}` is not a variable bound by `UNWIND $list AS ...`", base.text)))
                }
            },
            _ => return Err(refuse(format!("the map argument `{}` is not a parameter", base.text))),
        };
        (source, Vec::new())
    };
    if !tok(j)?.is(",") {
        return Err(refuse(format!("the map argument is an expression (found `{}`)", tok(j)?.text)));
    }
    let key = tok(j + 1)?;
    keys.push(match key.kind {
        Kind::Str => Key::Literal(unquote(key.text)),
        Kind::Param => Key::Param(key.text[1..].to_string()),
        _ => return Err(refuse(format!("the key `{}` is not a string literal or parameter", key.text))),
    });
    if !tok(j + 2)?.is(")") {
        return Err(refuse(format!("the key is an expression (found `{}`)", tok(j + 2)?.text)));
    }
    Ok(Call { close: j + 2, source, keys })
}

/// The field name for the `n`th distinct removal.
pub fn field_name(n: usize) -> String {
    format!("{FIELD_PREFIX}{n}")
}

/// A Cypher string literal's value (quotes removed, backslash escapes decoded).
pub(super) fn unquote(lit: &str) -> String {
    let inner = &lit[1..lit.len() - 1];
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('b') => out.push('\u{8}'),
            Some('f') => out.push('\u{c}'),
            Some('u') => {
                let hex: String = chars.by_ref().take(4).collect();
                match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                    Some(ch) => out.push(ch),
                    None => {
                        out.push_str("\\u");
                        out.push_str(&hex);
                    }
                }
            }
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

/// Adds the value of every removal to `params`: new parameters first, then one new field per
/// row, each computed from the row as the client sent it.
pub fn apply(removals: &[KeyRemoval], params: &mut Map<String, Value>) -> Result<(), NeptuneError> {
    if removals.is_empty() {
        return Ok(());
    }
    let resolved: Vec<Vec<String>> =
        removals.iter().map(|r| r.keys.iter().map(|k| key_value(k, params)).collect()).collect::<Result<_, _>>()?;
    let mut new_params = Vec::new();
    for (r, keys) in removals.iter().zip(&resolved) {
        if let Source::Param { name, path } = &r.source {
            let v = lookup(params.get(name), path, &format!("${name}"))?;
            new_params.push((r.field.clone(), without(v, keys)?));
        }
    }
    for (field, v) in new_params {
        if params.contains_key(&field) {
            return Err(refuse(format!("the parameter name {field} is reserved by the test server")));
        }
        params.insert(field, v);
    }
    // Rows: per list parameter, the removals reading its rows.
    let mut lists: Vec<&str> = removals
        .iter()
        .filter_map(|r| match &r.source {
            Source::Row { list, .. } => Some(list.as_str()),
            Source::Param { .. } => None,
        })
        .collect();
    lists.sort_unstable();
    lists.dedup();
    for list in lists {
        let on_list: Vec<(&KeyRemoval, &Vec<String>)> = removals
            .iter()
            .zip(&resolved)
            .filter(|(r, _)| matches!(&r.source, Source::Row { list: l, .. } if l == list))
            .collect();
        // UNWIND of a missing or null list yields no rows; a non-list is the engine's to refuse.
        let Some(Value::Array(rows)) = params.get_mut(list) else { continue };
        for (i, row) in rows.iter_mut().enumerate() {
            let Value::Object(m) = row else {
                return Err(refuse(format!("row {i} of ${list} is not a map")));
            };
            let mut values = Vec::with_capacity(on_list.len());
            for (r, keys) in &on_list {
                let Source::Row { var, path, .. } = &r.source else { continue };
                let v = match path.split_first() {
                    None => map_without(m, keys),
                    Some((first, rest)) => without(lookup(m.get(first), rest, &format!("{var}.{first}"))?, keys)?,
                };
                values.push((r.field.clone(), v));
            }
            for (field, v) in values {
                if m.contains_key(&field) {
                    return Err(refuse(format!("the row field name {field} is reserved by the test server")));
                }
                m.insert(field, v);
            }
        }
    }
    Ok(())
}

fn key_value(k: &Key, params: &Map<String, Value>) -> Result<String, NeptuneError> {
    match k {
        Key::Literal(s) => Ok(s.clone()),
        Key::Param(p) => match params.get(p) {
            Some(Value::String(s)) => Ok(s.clone()),
            other => Err(NeptuneError::invalid_parameter(format!(
                "{FUNCTION}(): the key ${p} must be a string, got {}",
                other.map_or("nothing".to_string(), Value::to_string)
            ))),
        },
    }
}

/// The value at `path` below `v`; a missing key or null is null.
fn lookup<'v>(v: Option<&'v Value>, path: &[String], what: &str) -> Result<Option<&'v Value>, NeptuneError> {
    let mut cur = v;
    for (depth, seg) in path.iter().enumerate() {
        cur = match cur {
            None | Some(Value::Null) => return Ok(None),
            Some(Value::Object(m)) => m.get(seg),
            Some(other) => {
                return Err(NeptuneError::invalid_parameter(format!(
                    "{FUNCTION}(): {what}{} is not a map but {other}",
                    path[..depth].iter().map(|s| format!(".{s}")).collect::<String>()
                )))
            }
        };
    }
    Ok(cur)
}

/// The map without `keys`; null stays null (as Neptune's functions do with null input).
fn without(v: Option<&Value>, keys: &[String]) -> Result<Value, NeptuneError> {
    match v {
        None | Some(Value::Null) => Ok(Value::Null),
        Some(Value::Object(m)) => Ok(map_without(m, keys)),
        Some(other) => {
            Err(NeptuneError::invalid_parameter(format!("{FUNCTION}(): the first argument must be a map, got {other}")))
        }
    }
}

fn map_without(m: &Map<String, Value>, keys: &[String]) -> Value {
    Value::Object(m.iter().filter(|(k, _)| !keys.contains(k)).map(|(k, v)| (k.clone(), v.clone())).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn removal(source: Source, keys: &[&str], n: usize) -> KeyRemoval {
        KeyRemoval { source, keys: keys.iter().map(|k| Key::Literal(k.to_string())).collect(), field: field_name(n) }
    }

    fn row_source(path: &[&str]) -> Source {
        Source::Row { list: "params".into(), var: "param".into(), path: path.iter().map(|s| s.to_string()).collect() }
    }

    #[test]
    fn rows_get_one_field_per_removal_computed_from_the_original_row() {
        let mut p = json!({"params": [
            {"__from_node_id": "a", "__to_node_id": "b", "since": 3, "w": 1.5},
            {"__from_node_id": "c", "__to_node_id": "d", "since": 4, "tags": ["x"]}
        ]})
        .as_object()
        .unwrap()
        .clone();
        let rs =
            [removal(row_source(&[]), &["__from_node_id", "__to_node_id"], 0), removal(row_source(&[]), &["since"], 1)];
        apply(&rs, &mut p).unwrap();
        assert_eq!(p["params"][0]["__gf_rkm_0"], json!({"since": 3, "w": 1.5}));
        assert_eq!(p["params"][1]["__gf_rkm_0"], json!({"since": 4, "tags": ["x"]}));
        // The second value does not contain the first one's field.
        assert_eq!(p["params"][0]["__gf_rkm_1"], json!({"__from_node_id": "a", "__to_node_id": "b", "w": 1.5}));
        // The original fields stay.
        assert_eq!(p["params"][1]["__to_node_id"], json!("d"));
    }

    #[test]
    fn params_paths_nulls_and_key_params() {
        let mut p =
            json!({"m": {"inner": {"a": 1, "b": 2}}, "k": "b", "rows": [{"x": null}]}).as_object().unwrap().clone();
        let rs = [
            KeyRemoval {
                source: Source::Param { name: "m".into(), path: vec!["inner".into()] },
                keys: vec![Key::Param("k".into())],
                field: field_name(0),
            },
            removal(Source::Param { name: "missing".into(), path: vec![] }, &["a"], 1),
            removal(Source::Row { list: "rows".into(), var: "r".into(), path: vec!["x".into()] }, &["a"], 2),
        ];
        apply(&rs, &mut p).unwrap();
        assert_eq!(p["__gf_rkm_0"], json!({"a": 1}));
        assert_eq!(p["__gf_rkm_1"], Value::Null);
        assert_eq!(p["rows"][0]["__gf_rkm_2"], Value::Null);
    }

    #[test]
    fn non_maps_and_non_string_keys_are_refused() {
        let mut p = json!({"rows": [{"x": 1}], "k": 3}).as_object().unwrap().clone();
        let e = apply(
            &[removal(Source::Row { list: "rows".into(), var: "r".into(), path: vec!["x".into()] }, &["a"], 0)],
            &mut p,
        )
        .unwrap_err();
        assert_eq!(e.code, "InvalidParameterException");
        let e = apply(
            &[KeyRemoval {
                source: Source::Param { name: "rows".into(), path: vec![] },
                keys: vec![Key::Param("k".into())],
                field: field_name(0),
            }],
            &mut p,
        )
        .unwrap_err();
        assert!(e.message.contains("removeKeyFromMap"), "{}", e.message);
        let mut p = json!({"rows": [1]}).as_object().unwrap().clone();
        assert!(apply(
            &[removal(Source::Row { list: "rows".into(), var: "r".into(), path: vec![] }, &["a"], 0)],
            &mut p
        )
        .is_err());
    }

    #[test]
    fn string_literals_are_unescaped() {
        assert_eq!(unquote(r#""__node_id""#), "__node_id");
        assert_eq!(unquote(r"'a\'b\\c\u0041'"), "a'b\\cA");
    }
}
