//! Property values on their way into Neptune, which stores only Bool, integers, floats, String
//! and DateTime, and turns lists into sets. Every value Neptune cannot hold as is gets a
//! documented, lossless text form, and each such conversion is counted per `scope.property`
//! (or refused under `--strict-types`). The table is in the README ("Neptune type encodings").
//!
//! Temporal values become ISO 8601 strings rather than Neptune DateTimes: a DateTime would drop
//! the offset, the zone name and the sub-millisecond digits, and query answers are JSON, where a
//! DateTime reads back as a string anyway. A string keeps all of it and still sorts by time
//! within one offset.

use base64::Engine as _;
use serde_json::{Map, Value as Json};

use crate::connector::{ConversionKey, Conversions};
use crate::model::json::{DumpProperties, DumpValue};
use crate::model::{text, Properties, Value};

pub const NULL_OMITTED: &str = "NULL -> property omitted";
pub const SPECIAL_FLOAT: &str = "FLOAT NaN/Infinity -> STRING";
pub const BYTES: &str = "BYTE ARRAY -> STRING (base64)";
pub const LIST_JSON: &str = "LIST -> STRING (JSON, dump encoding)";
pub const MAP_JSON: &str = "MAP -> STRING (JSON, dump encoding)";
pub const DATE: &str = "DATE -> STRING (ISO 8601)";
pub const TIME: &str = "ZONED TIME -> STRING (ISO 8601)";
pub const LOCAL_TIME: &str = "LOCAL TIME -> STRING (ISO 8601)";
pub const DATETIME: &str = "ZONED DATETIME -> STRING (ISO 8601, offset and [zone])";
pub const LOCAL_DATETIME: &str = "LOCAL DATETIME -> STRING (ISO 8601)";
pub const DURATION: &str = "DURATION -> STRING (ISO 8601)";
pub const POINT: &str = "POINT -> STRING (EWKT)";

/// A value `--strict-types` refused: where, and what it would have become.
#[derive(Debug)]
pub struct Refused {
    pub property: String,
    pub type_name: &'static str,
    pub conversion: &'static str,
}

/// Encodes a property map for one record of `scope` (its label or type), counting conversions.
pub fn encode_properties(
    props: &Properties,
    scope: &str,
    strict: bool,
    conversions: &mut Conversions,
) -> Result<Map<String, Json>, Refused> {
    let mut out = Map::with_capacity(props.len());
    for (name, value) in props {
        let (encoded, conversion) = encode(value);
        if let Some(conversion) = conversion {
            if strict {
                return Err(Refused { property: name.clone(), type_name: value.type_name(), conversion });
            }
            let key = ConversionKey { scope: scope.to_string(), property: name.clone(), conversion };
            *conversions.entry(key).or_default() += 1;
        }
        if let Some(encoded) = encoded {
            out.insert(name.clone(), encoded);
        }
    }
    Ok(out)
}

/// One value: what to send (`None`: leave the property out) and the conversion, if any.
pub fn encode(value: &Value) -> (Option<Json>, Option<&'static str>) {
    let text = |conversion| (Some(Json::String(text_form(value))), Some(conversion));
    match value {
        Value::Null => (None, Some(NULL_OMITTED)),
        Value::Bool(b) => (Some(Json::Bool(*b)), None),
        Value::Int(i) => (Some(Json::from(*i)), None),
        Value::Float(f) => match serde_json::Number::from_f64(*f) {
            Some(n) => (Some(Json::Number(n)), None),
            None => text(SPECIAL_FLOAT),
        },
        Value::String(s) => (Some(Json::String(s.clone())), None),
        Value::List(items) if is_set_safe(items) => {
            (Some(Json::Array(items.iter().filter_map(|v| encode(v).0).collect())), None)
        }
        Value::List(_) => text(LIST_JSON),
        Value::Bytes(_) => text(BYTES),
        Value::Map(_) => text(MAP_JSON),
        Value::Date(_) => text(DATE),
        Value::Time(_) => text(TIME),
        Value::LocalTime(_) => text(LOCAL_TIME),
        Value::DateTime(_) => text(DATETIME),
        Value::LocalDateTime(_) => text(LOCAL_DATETIME),
        Value::Duration(_) => text(DURATION),
        Value::Point(_) => text(POINT),
    }
}

/// A list survives Neptune's set semantics when reading it back sorted gives it again: it is
/// non-empty, of one scalar kind Neptune stores natively, strictly ascending (so no duplicates
/// and no order to lose).
fn is_set_safe(items: &[Value]) -> bool {
    if items.is_empty() {
        return false; // an empty set is no property at all
    }
    let ascending =
        |ok: &dyn Fn(&Value, &Value) -> Option<bool>| items.windows(2).all(|w| ok(&w[0], &w[1]) == Some(true));
    match &items[0] {
        Value::Bool(_) => ascending(&|a, b| match (a, b) {
            (Value::Bool(x), Value::Bool(y)) => Some(x < y),
            _ => None,
        }),
        Value::Int(_) => ascending(&|a, b| match (a, b) {
            (Value::Int(x), Value::Int(y)) => Some(x < y),
            _ => None,
        }),
        Value::Float(_) => {
            // -0.0 would come back as 0.0; NaN and infinities are not JSON numbers.
            let plain =
                |v: &Value| matches!(v, Value::Float(f) if f.is_finite() && !(*f == 0.0 && f.is_sign_negative()));
            items.iter().all(plain)
                && ascending(&|a, b| match (a, b) {
                    (Value::Float(x), Value::Float(y)) => Some(x < y),
                    _ => None,
                })
        }
        Value::String(_) => ascending(&|a, b| match (a, b) {
            (Value::String(x), Value::String(y)) => Some(x < y),
            _ => None,
        }),
        _ => false,
    }
}

/// The text a non-native value is stored as: ISO 8601 for temporal values and durations (the
/// model's text forms, the same strings the dump writes), EWKT for points, base64 for bytes, the
/// dump's JSON for lists and maps (so nested temporal values keep their type).
pub fn text_form(value: &Value) -> String {
    match value {
        Value::Bytes(b) => base64::engine::general_purpose::STANDARD.encode(b),
        Value::Duration(d) => d.to_string(),
        Value::Point(p) => match p.z {
            None => format!("SRID={};POINT({} {})", p.srid, p.x, p.y),
            Some(z) => format!("SRID={};POINT Z({} {} {z})", p.srid, p.x, p.y),
        },
        Value::Map(m) => serde_json::to_string(&DumpProperties(m)).expect("maps serialize"),
        Value::Float(f) if f.is_nan() => "NaN".into(),
        Value::Float(f) if f.is_infinite() => if *f > 0.0 { "Infinity" } else { "-Infinity" }.into(),
        Value::Date(d) => text::format_date(d),
        Value::Time(t) => text::format_offset_time(t),
        Value::LocalTime(t) => text::format_local_time(t),
        Value::DateTime(z) => text::format_datetime(z),
        Value::LocalDateTime(d) => text::format_local_datetime(d),
        other => serde_json::to_string(&DumpValue(other)).expect("values serialize"),
    }
}

#[cfg(test)]
mod tests;
