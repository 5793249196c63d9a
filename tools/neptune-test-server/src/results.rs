//! Turns ArcadeDB's JSON rows into Neptune's `results` shape.
//!
//! ArcadeDB marks records with `@rid`, `@type` and `@cat` (`v` vertex, `e` edge, with `@out` and
//! `@in` record ids). Neptune shows a node as `{~id, ~entityType, ~labels, ~properties}` and a
//! relationship as `{~id, ~entityType, ~start, ~end, ~type, ~properties}` where ids are the
//! user-visible `~id`s, so edge endpoints are translated from record ids to `~id`s.

use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::engine::{Engine, EngineError, DEFAULT_LABEL};

/// ArcadeDB's type name for a vertex created without a label.
const NO_LABEL: &str = "~NO_LABEL~";

/// Encodes all rows. `single_column` names the column when ArcadeDB returned a sole record
/// column unwrapped (it does that for `RETURN n`).
pub async fn encode(rows: Value, single_column: Option<&str>, engine: &Engine) -> Result<Vec<Value>, EngineError> {
    let rows = match rows {
        Value::Array(rows) => rows,
        Value::Null => Vec::new(),
        other => vec![other],
    };
    let rows: Vec<Value> = rows
        .into_iter()
        .map(|row| {
            if is_record(&row) || !row.is_object() {
                let mut m = Map::new();
                m.insert(single_column.unwrap_or("result").to_string(), row);
                Value::Object(m)
            } else {
                row
            }
        })
        .collect();
    let mut ids = HashMap::new();
    let mut missing = Vec::new();
    for row in &rows {
        collect_ids(row, &mut ids, &mut missing);
    }
    missing.retain(|rid| !ids.contains_key(rid));
    missing.sort();
    missing.dedup();
    if !missing.is_empty() {
        ids.extend(engine.ids_of(&missing).await?);
    }
    Ok(rows.into_iter().map(|r| convert(r, &ids)).collect())
}

fn is_record(v: &Value) -> bool {
    v.get("@rid").is_some_and(Value::is_string) && v.get("@cat").is_some_and(Value::is_string)
}

/// Learns `@rid -> ~id` from records present in the result and lists edge endpoints whose
/// `~id` is not known yet.
fn collect_ids(v: &Value, ids: &mut HashMap<String, String>, missing: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            if is_record(v) {
                let rid = m["@rid"].as_str().unwrap_or_default().to_string();
                if let Some(id) = m.get("~id").and_then(Value::as_str) {
                    ids.insert(rid, id.to_string());
                }
                if m["@cat"] == "e" {
                    for k in ["@in", "@out"] {
                        if let Some(r) = m.get(k).and_then(Value::as_str) {
                            missing.push(r.to_string());
                        }
                    }
                }
            }
            m.values().for_each(|x| collect_ids(x, ids, missing));
        }
        Value::Array(a) => a.iter().for_each(|x| collect_ids(x, ids, missing)),
        _ => {}
    }
}

fn convert(v: Value, ids: &HashMap<String, String>) -> Value {
    match v {
        Value::Object(m) if is_record(&Value::Object(m.clone())) => entity(m, ids),
        Value::Object(m) => Value::Object(m.into_iter().map(|(k, x)| (k, convert(x, ids))).collect()),
        Value::Array(a) => Value::Array(a.into_iter().map(|x| convert(x, ids)).collect()),
        Value::String(s) => Value::String(crate::cypher::datetime::to_neptune(&s).unwrap_or(s)),
        other => other,
    }
}

fn entity(mut m: Map<String, Value>, ids: &HashMap<String, String>) -> Value {
    let rid = m["@rid"].as_str().unwrap_or_default().to_string();
    let id_of = |rid: &str| ids.get(rid).cloned().unwrap_or_else(|| rid.to_string());
    let id = match m.remove("~id") {
        Some(Value::String(s)) => s,
        Some(other) if !other.is_null() => other.to_string(),
        _ => rid.clone(),
    };
    let ty = m.get("@type").and_then(Value::as_str).unwrap_or_default().to_string();
    let is_edge = m["@cat"] == "e";
    let (start, end) =
        (m.get("@out").and_then(Value::as_str).map(id_of), m.get("@in").and_then(Value::as_str).map(id_of));
    let props: Map<String, Value> =
        m.into_iter().filter(|(k, _)| !k.starts_with('@')).map(|(k, v)| (k, convert(v, ids))).collect();
    let mut out = Map::new();
    out.insert("~id".into(), Value::String(id));
    if is_edge {
        out.insert("~entityType".into(), "relationship".into());
        out.insert("~start".into(), start.map(Value::String).unwrap_or(Value::Null));
        out.insert("~end".into(), end.map(Value::String).unwrap_or(Value::Null));
        out.insert("~type".into(), Value::String(ty));
    } else {
        out.insert("~entityType".into(), "node".into());
        out.insert("~labels".into(), labels(&ty).into());
    }
    out.insert("~properties".into(), Value::Object(props));
    Value::Object(out)
}

/// ArcadeDB names a multi-label vertex type `A~B`; an unlabeled vertex shows as `vertex`.
fn labels(ty: &str) -> Vec<Value> {
    if ty.is_empty() || ty == NO_LABEL {
        return vec![DEFAULT_LABEL.into()];
    }
    ty.split('~').filter(|l| !l.is_empty()).map(|l| Value::String(l.to_string())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn node_and_relationship_shapes() {
        let ids: HashMap<String, String> = [("#1:0".to_string(), "a".to_string()), ("#1:1".into(), "b".into())].into();
        let node = convert(json!({"@rid":"#1:0","@type":"Person~Emp","@cat":"v","~id":"a","name":"Ann"}), &ids);
        assert_eq!(
            node,
            json!({"~id":"a","~entityType":"node","~labels":["Person","Emp"],"~properties":{"name":"Ann"}})
        );
        let rel = convert(json!({"@rid":"#4:0","@type":"KNOWS","@cat":"e","@in":"#1:1","@out":"#1:0","since":3}), &ids);
        assert_eq!(
            rel,
            json!({"~id":"#4:0","~entityType":"relationship","~start":"a","~end":"b","~type":"KNOWS","~properties":{"since":3}})
        );
    }

    #[test]
    fn unlabeled_and_nested() {
        let v = convert(json!({"l":[{"@rid":"#2:0","@type":"~NO_LABEL~","@cat":"v"}], "x": 1}), &HashMap::new());
        assert_eq!(v["l"][0]["~labels"], json!(["vertex"]));
        assert_eq!(v["l"][0]["~id"], "#2:0");
        assert_eq!(v["x"], 1);
    }
}
