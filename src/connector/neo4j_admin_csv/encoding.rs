//! Property values as `neo4j-admin database import` reads them
//! (https://neo4j.com/docs/operations-manual/current/import/header-format/): each column typed
//! `name:type` with `boolean`, `long`, `double`, `string`, `byte[]`, `date`, `localtime`,
//! `time`, `localdatetime`, `datetime`, `duration`, `point`, or one of them with `[]` for an
//! array whose elements are separated by the array delimiter. Temporal values use the Cypher
//! temporal text forms, points the `{crs:..., x:..., y:...}` map form.
//!
//! What the importer cannot carry becomes something it can, counted: an empty list or byte
//! array and a list of one empty string are left out (their cell is empty, which the importer
//! reads as no value, whatever the quoting: only a `string` cell keeps `""`), a list mixing
//! types or holding lists, maps or nulls, and a map (Neo4j stores neither) become their dump
//! JSON string; a null is left out.
//!
//! The delimiter is known only once every value has been seen (the first of [`DELIMITERS`] no
//! element or label contains). So array elements are spooled joined with the first choice,
//! [`TENTATIVE`], form [`JOINED`], which is final when no value holds it (the usual case, and the
//! spool then copies such cells as they are); a write whose elements hold it spools its arrays
//! as JSON lists of their texts instead, form [`JSON`]. [`final_array`] writes the final cell.

use std::borrow::Cow;

use crate::connector::neptune::encoding::{text_form, MAP_JSON, NULL_OMITTED};
use crate::connector::CountConversion;
use crate::model::{Point, Properties, Value};

pub const EMPTY_LIST: &str = "LIST (empty) -> property omitted (neo4j-admin import reads an empty array as no value)";
pub const EMPTY_BYTES: &str = "BYTE ARRAY (empty) -> property omitted (neo4j-admin import reads an empty array as no value)";
pub const ONE_EMPTY_STRING_LIST: &str =
    "LIST (one empty string) -> property omitted (neo4j-admin import reads an empty array cell as no value)";
pub const MIXED_LIST: &str = "LIST (mixed types, nested or with nulls) -> STRING (JSON, dump encoding)";

/// Characters tried as the array delimiter, in order; the first no value contains is used.
pub const DELIMITERS: [char; 6] = [';', '|', '^', '~', '\u{1F}', '\u{1E}'];
/// The delimiter arrays are spooled with in form [`JOINED`].
pub const TENTATIVE: char = DELIMITERS[0];
/// Spool forms (the spool's `Form::tag`): arrays joined with [`TENTATIVE`], or JSON lists.
pub const JOINED: u8 = 0;
pub const JSON: u8 = 1;

/// One encoded property: its import type and its text (an array's in the form asked for).
pub struct Cell<'a> {
    pub type_name: Cow<'static, str>,
    pub text: Cow<'a, str>,
}

/// Encodes `props` of a record of `scope` with arrays in `form`, counting conversions; `used`
/// gathers which [`DELIMITERS`] appear inside array elements.
pub fn encode<'a>(
    props: &'a Properties,
    scope: &'a str,
    form: u8,
    conversions: &mut impl CountConversion<'a>,
    used: &mut u32,
) -> Vec<(&'a str, Cell<'a>)> {
    let mut out = Vec::with_capacity(props.len());
    for (name, value) in props {
        let mut count = |conversion| conversions.count(scope, name, conversion);
        let cell = match value {
            Value::Null => {
                count(NULL_OMITTED);
                continue;
            }
            Value::Map(_) => {
                count(MAP_JSON);
                Cell { type_name: "string".into(), text: text_form(value).into() }
            }
            Value::Bytes(b) if b.is_empty() => {
                count(EMPTY_BYTES);
                continue;
            }
            Value::Bytes(b) => array("byte", b.iter().map(|x| (*x as i8).to_string()).collect(), form, used),
            Value::List(items) if items.is_empty() => {
                count(EMPTY_LIST);
                continue;
            }
            Value::List(items) if matches!(items.as_slice(), [Value::String(s)] if s.is_empty()) => {
                count(ONE_EMPTY_STRING_LIST);
                continue;
            }
            Value::List(items) => match element_type(items) {
                Some(t) => array(t, items.iter().map(scalar_text).collect(), form, used),
                None => {
                    count(MIXED_LIST);
                    Cell { type_name: "string".into(), text: text_form(value).into() }
                }
            },
            Value::String(s) => Cell { type_name: "string".into(), text: Cow::Borrowed(s) },
            scalar => Cell { type_name: scalar_type(scalar).expect("a scalar").into(), text: scalar_text(scalar).into() },
        };
        out.push((name.as_str(), cell));
    }
    out
}

fn array(element: &str, texts: Vec<String>, form: u8, used: &mut u32) -> Cell<'static> {
    for t in &texts {
        for (i, d) in DELIMITERS.iter().enumerate() {
            if t.contains(*d) {
                *used |= 1 << i;
            }
        }
    }
    let text = match form {
        JOINED => texts.join(TENTATIVE.encode_utf8(&mut [0; 4])),
        _ => serde_json::to_string(&texts).expect("strings serialize"),
    };
    Cell { type_name: format!("{element}[]").into(), text: text.into() }
}

/// The import type of a scalar value; `None` for lists, maps, bytes and null.
fn scalar_type(value: &Value) -> Option<&'static str> {
    Some(match value {
        Value::Bool(_) => "boolean",
        Value::Int(_) => "long",
        Value::Float(_) => "double",
        Value::String(_) => "string",
        Value::Date(_) => "date",
        Value::Time(_) => "time",
        Value::LocalTime(_) => "localtime",
        Value::DateTime(_) => "datetime",
        Value::LocalDateTime(_) => "localdatetime",
        Value::Duration(_) => "duration",
        Value::Point(_) => "point",
        Value::Null | Value::Bytes(_) | Value::List(_) | Value::Map(_) => return None,
    })
}

/// The type every element shares, if they share one scalar type.
fn element_type(items: &[Value]) -> Option<&'static str> {
    let first = scalar_type(items.first()?)?;
    items.iter().all(|v| scalar_type(v) == Some(first)).then_some(first)
}

/// A scalar's text: Java's number forms (`NaN`, `Infinity`), Cypher's temporal forms.
fn scalar_text(value: &Value) -> String {
    match value {
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) if f.is_nan() => "NaN".into(),
        Value::Float(f) if f.is_infinite() => if *f > 0.0 { "Infinity" } else { "-Infinity" }.into(),
        // `{:?}` is the shortest text that reads back as the same double, exponent included.
        Value::Float(f) => format!("{f:?}"),
        Value::String(s) => s.clone(),
        Value::Point(p) => point_text(p),
        other => text_form(other),
    }
}

/// A point in the import tool's map form, its coordinate system named by `crs`
/// (https://neo4j.com/docs/operations-manual/current/import/header-format/, "point").
fn point_text(p: &Point) -> String {
    let crs = match p.srid {
        7203 => Some("cartesian"),
        9157 => Some("cartesian-3d"),
        4326 => Some("wgs-84"),
        4979 => Some("wgs-84-3d"),
        _ => None,
    };
    let system = match crs {
        Some(name) => format!("crs:'{name}'"),
        None => format!("srid:{}", p.srid),
    };
    match p.z {
        None => format!("{{{system}, x:{:?}, y:{:?}}}", p.x, p.y),
        Some(z) => format!("{{{system}, x:{:?}, y:{:?}, z:{z:?}}}", p.x, p.y),
    }
}

/// An array cell's final text: its elements as spooled in `form` joined with `delimiter`.
pub fn final_array(spooled: &str, form: u8, delimiter: char) -> String {
    let d = delimiter.to_string();
    match form {
        // Spooled JOINED only when none of the write's elements held TENTATIVE.
        JOINED => spooled.split(TENTATIVE).collect::<Vec<_>>().join(&d),
        _ => serde_json::from_str::<Vec<String>>(spooled).expect("arrays are spooled as JSON lists").join(&d),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connector::Conversions;

    fn one(value: Value) -> (Option<(String, String)>, Conversions, u32) {
        one_in(value, JSON)
    }

    fn one_in(value: Value, form: u8) -> (Option<(String, String)>, Conversions, u32) {
        let mut conversions = Conversions::new();
        let mut used = 0;
        let props = Properties::from([("p".to_string(), value)]);
        let cell = encode(&props, "L", form, &mut conversions, &mut used).pop().map(|(_, c)| (c.type_name.into_owned(), c.text.into_owned()));
        (cell, conversions, used)
    }

    #[test]
    fn scalars_get_their_import_types() {
        assert_eq!(one(Value::Int(-9223372036854775808)).0, Some(("long".into(), "-9223372036854775808".into())));
        assert_eq!(one(Value::Float(-0.0)).0, Some(("double".into(), "-0.0".into())));
        assert_eq!(one(Value::Float(1e-310)).0, Some(("double".into(), "1e-310".into())));
        assert_eq!(one(Value::Float(f64::NEG_INFINITY)).0, Some(("double".into(), "-Infinity".into())));
        let p = Value::Point(Point { srid: 4326, x: 2.5, y: 48.0, z: None });
        assert_eq!(one(p).0, Some(("point".into(), "{crs:'wgs-84', x:2.5, y:48.0}".into())));
    }

    #[test]
    fn arrays_note_which_delimiters_their_elements_hold() {
        let (cell, _, used) = one(Value::List(vec![Value::String("a;b".into()), Value::String("c|d".into())]));
        assert_eq!(cell, Some(("string[]".into(), r#"["a;b","c|d"]"#.into())));
        assert_eq!(used, 0b11);
        assert_eq!(final_array(r#"["a;b","c|d"]"#, JSON, '^'), "a;b^c|d");
        let joined = one_in(Value::List(vec![Value::String("".into()), Value::String("c|d".into())]), JOINED);
        assert_eq!(joined.0, Some(("string[]".into(), ";c|d".into())));
        assert_eq!(final_array(";c|d", JOINED, '^'), "^c|d");
        assert_eq!(final_array(";c|d", JOINED, ';'), ";c|d");
        assert_eq!(one(Value::Bytes(vec![0, 255, 128])).0, Some(("byte[]".into(), r#"["0","-1","-128"]"#.into())));
    }

    #[test]
    fn what_the_importer_cannot_carry_is_counted() {
        let (cell, conversions, _) = one(Value::List(vec![]));
        assert!(cell.is_none());
        assert_eq!(conversions.keys().next().unwrap().conversion, EMPTY_LIST);
        // Its cell would be empty like an empty list's: the import tool reads no value.
        let (cell, conversions, _) = one(Value::List(vec![Value::String(String::new())]));
        assert!(cell.is_none());
        assert_eq!(conversions.keys().next().unwrap().conversion, ONE_EMPTY_STRING_LIST);
        // Two empty strings are one delimiter: they come back.
        let (cell, conversions, _) = one(Value::List(vec![Value::String(String::new()), Value::String(String::new())]));
        assert_eq!(cell, Some(("string[]".into(), r#"["",""]"#.into())));
        assert!(conversions.is_empty());
        let (cell, conversions, _) = one(Value::List(vec![Value::Int(1), Value::String("x".into())]));
        assert_eq!(cell.unwrap().0, "string");
        assert_eq!(conversions.keys().next().unwrap().conversion, MIXED_LIST);
    }
}
