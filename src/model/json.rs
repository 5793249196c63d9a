//! The tagged JSON form of values (docs/FORMAT.md, "Values"): the dump writes every property
//! this way, and Neptune stores the lists and maps it cannot hold as this JSON.
//!
//! JSON-native values (null, bool, integer, float, string, list) are written as themselves;
//! every other value is a one-key object whose key starts with `$`. Plain maps are always
//! `{"$map": {...}}`, so an object is never ambiguous. Serialization goes straight from the
//! model to the writer and parsing straight from text to the model, with no intermediate tree:
//! this is the hot path of file copies.

use std::collections::BTreeMap;
use std::fmt;

use base64::Engine as _;
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::text::{
    format_date, format_datetime, format_local_datetime, format_local_time, format_offset_time, parse_date,
    parse_datetime, parse_local_datetime, parse_local_time, parse_offset_time,
};
use super::{Duration, Point, Properties, Value};

/// Serializes a [`Value`] in dump form.
pub struct DumpValue<'a>(pub &'a Value);

/// Serializes a property map in dump form (a plain JSON object of dump values).
pub struct DumpProperties<'a>(pub &'a Properties);

impl Serialize for DumpProperties<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in self.0 {
            map.serialize_entry(k, &DumpValue(v))?;
        }
        map.end()
    }
}

fn tagged<S: Serializer, T: Serialize + ?Sized>(s: S, tag: &str, v: &T) -> Result<S::Ok, S::Error> {
    let mut map = s.serialize_map(Some(1))?;
    map.serialize_entry(tag, v)?;
    map.end()
}

impl Serialize for DumpValue<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::Null => s.serialize_unit(),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Int(i) => s.serialize_i64(*i),
            Value::Float(f) if f.is_finite() => s.serialize_f64(*f),
            Value::Float(f) => tagged(s, "$float", special_float_name(*f)),
            Value::String(v) => s.serialize_str(v),
            Value::Bytes(b) => tagged(s, "$bytes", &base64::engine::general_purpose::STANDARD.encode(b)),
            Value::List(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(&DumpValue(item))?;
                }
                seq.end()
            }
            Value::Map(m) => tagged(s, "$map", &DumpProperties(m)),
            Value::Date(d) => tagged(s, "$date", &format_date(d)),
            Value::Time(t) => tagged(s, "$time", &format_offset_time(t)),
            Value::LocalTime(t) => tagged(s, "$localtime", &format_local_time(t)),
            Value::DateTime(z) => tagged(s, "$datetime", &format_datetime(z)),
            Value::LocalDateTime(d) => tagged(s, "$localdatetime", &format_local_datetime(d)),
            Value::Duration(d) => tagged(s, "$duration", &DurationRepr::from(*d)),
            Value::Point(p) => tagged(s, "$point", &PointRepr::from(*p)),
        }
    }
}

fn special_float_name(f: f64) -> &'static str {
    if f.is_nan() {
        "NaN"
    } else if f > 0.0 {
        "Infinity"
    } else {
        "-Infinity"
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct DurationRepr {
    months: i64,
    days: i64,
    seconds: i64,
    nanoseconds: i32,
}

impl From<Duration> for DurationRepr {
    fn from(d: Duration) -> Self {
        DurationRepr { months: d.months, days: d.days, seconds: d.seconds, nanoseconds: d.nanoseconds }
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PointRepr {
    srid: u32,
    x: f64,
    y: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    z: Option<f64>,
}

impl From<Point> for PointRepr {
    fn from(p: Point) -> Self {
        PointRepr { srid: p.srid, x: p.x, y: p.y, z: p.z }
    }
}

/// Deserializes one dump value.
pub struct ParsedValue(pub Value);

impl<'de> Deserialize<'de> for ParsedValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ValueVisitor).map(ParsedValue)
    }
}

/// Deserializes a property map (a plain JSON object of dump values).
pub struct ParsedProperties(pub Properties);

impl<'de> Deserialize<'de> for ParsedProperties {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(PropertiesVisitor).map(ParsedProperties)
    }
}

struct PropertiesVisitor;

impl<'de> Visitor<'de> for PropertiesVisitor {
    type Value = Properties;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object of property values")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Properties, A::Error> {
        let mut out = BTreeMap::new();
        while let Some(key) = map.next_key::<String>()? {
            let ParsedValue(v) = map.next_value()?;
            if out.insert(key, v).is_some() {
                return Err(de::Error::custom("duplicate property key"));
            }
        }
        Ok(out)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a dump value")
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Int(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        i64::try_from(v)
            .map(Value::Int)
            .map_err(|_| E::custom(format!("integer {v} is out of the 64-bit signed range")))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(ParsedValue(v)) = seq.next_element()? {
            items.push(v);
        }
        Ok(Value::List(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let Some(tag) = map.next_key::<String>()? else {
            return Err(de::Error::custom("an empty object is not a value (maps are written {\"$map\": {...}})"));
        };
        let value = TagSeed(&tag).deserialize_value(&mut map)?;
        if map.next_key::<de::IgnoredAny>()?.is_some() {
            return Err(de::Error::custom(format!("a `{tag}` value must be the object's only key")));
        }
        Ok(value)
    }
}

struct TagSeed<'t>(&'t str);

impl TagSeed<'_> {
    fn deserialize_value<'de, A: MapAccess<'de>>(self, map: &mut A) -> Result<Value, A::Error> {
        let tag = self.0;
        let text = |map: &mut A| map.next_value::<String>();
        let bad = |what: &str, text: &str| de::Error::custom(format!("invalid {what} `{text}` in `{tag}`"));
        Ok(match tag {
            "$map" => Value::Map(map.next_value_seed(PropertiesSeed)?),
            "$float" => match text(map)?.as_str() {
                "NaN" => Value::Float(f64::NAN),
                "Infinity" => Value::Float(f64::INFINITY),
                "-Infinity" => Value::Float(f64::NEG_INFINITY),
                other => return Err(bad("float", other)),
            },
            "$bytes" => {
                let t = text(map)?;
                let bytes = base64::engine::general_purpose::STANDARD.decode(&t).map_err(|_| bad("base64", &t))?;
                Value::Bytes(bytes)
            }
            "$date" => {
                let t = text(map)?;
                Value::Date(parse_date(&t).ok_or_else(|| bad("date", &t))?)
            }
            "$time" => {
                let t = text(map)?;
                Value::Time(parse_offset_time(&t).ok_or_else(|| bad("time", &t))?)
            }
            "$localtime" => {
                let t = text(map)?;
                Value::LocalTime(parse_local_time(&t).ok_or_else(|| bad("time", &t))?)
            }
            "$datetime" => {
                let t = text(map)?;
                Value::DateTime(parse_datetime(&t).ok_or_else(|| bad("datetime", &t))?)
            }
            "$localdatetime" => {
                let t = text(map)?;
                let d = parse_local_datetime(&t).ok_or_else(|| bad("datetime", &t))?;
                Value::LocalDateTime(d)
            }
            "$duration" => {
                let d: DurationRepr = map.next_value()?;
                Value::Duration(Duration {
                    months: d.months,
                    days: d.days,
                    seconds: d.seconds,
                    nanoseconds: d.nanoseconds,
                })
            }
            "$point" => {
                let p: PointRepr = map.next_value()?;
                Value::Point(Point { srid: p.srid, x: p.x, y: p.y, z: p.z })
            }
            other => {
                return Err(de::Error::custom(format!(
                    "unknown value tag `{other}` (objects are tagged values such as {{\"$date\": ...}}; maps are {{\"$map\": {{...}}}})"
                )))
            }
        })
    }
}

struct PropertiesSeed;

impl<'de> DeserializeSeed<'de> for PropertiesSeed {
    type Value = Properties;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Properties, D::Error> {
        d.deserialize_map(PropertiesVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_round_trips() {
        for (_, v) in crate::model::sample_values() {
            let text = serde_json::to_string(&DumpValue(&v)).unwrap();
            let ParsedValue(back) = serde_json::from_str(&text).unwrap();
            assert!(back.same_as(&v), "{v:?} -> {text} -> {back:?}");
            assert_eq!(v.type_name(), back.type_name());
        }
    }

    #[test]
    fn ints_and_floats_stay_apart() {
        let text = serde_json::to_string(&DumpValue(&Value::Float(3.0))).unwrap();
        assert_eq!(text, "3.0");
        let ParsedValue(v) = serde_json::from_str("3").unwrap();
        assert_eq!(v, Value::Int(3));
    }

    #[test]
    fn rejects_ambiguous_and_unknown_objects() {
        for bad in [
            r#"{}"#,
            r#"{"a": 1}"#,
            r#"{"$date": "2024-13-01"}"#,
            r#"{"$date": "2024-01-01", "x": 1}"#,
            "18446744073709551615",
        ] {
            assert!(serde_json::from_str::<ParsedValue>(bad).is_err(), "{bad} parsed");
        }
    }
}
