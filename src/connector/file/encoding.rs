//! How values and records are written in the JSON Lines dump (see docs/FORMAT.md).
//!
//! JSON-native values (null, bool, integer, float, string, list) are written as themselves;
//! every other value is a one-key object whose key starts with `$`. Plain maps are always
//! `{"$map": {...}}`, so an object is never ambiguous. Serialization goes straight from the
//! model to the writer and parsing straight from text to the model, with no intermediate tree:
//! this is the hot path of file copies.

use std::collections::BTreeMap;
use std::fmt;

use base64::Engine as _;
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::model::{Duration, OffsetTime, Point, Properties, Value, ZonedDateTime};

/// The dump's temporal formats, `%Y-%m-%d`, `%H:%M:%S%.f` and `%Y-%m-%dT%H:%M:%S%.f`, as chrono's
/// pre-parsed items: `format("%Y...")` re-parses the format string on every call, which cost a
/// sixth of a file -> file copy. A test checks they equal the strings' parse.
mod items {
    use chrono::format::{Fixed, Item, Numeric::*, Pad::Zero};

    pub const DATE: &[Item<'static>] = &[
        Item::Numeric(Year, Zero),
        Item::Literal("-"),
        Item::Numeric(Month, Zero),
        Item::Literal("-"),
        Item::Numeric(Day, Zero),
    ];
    pub const TIME: &[Item<'static>] = &[
        Item::Numeric(Hour, Zero),
        Item::Literal(":"),
        Item::Numeric(Minute, Zero),
        Item::Literal(":"),
        Item::Numeric(Second, Zero),
        Item::Fixed(Fixed::Nanosecond),
    ];
    pub const DATETIME: &[Item<'static>] = &[
        Item::Numeric(Year, Zero),
        Item::Literal("-"),
        Item::Numeric(Month, Zero),
        Item::Literal("-"),
        Item::Numeric(Day, Zero),
        Item::Literal("T"),
        Item::Numeric(Hour, Zero),
        Item::Literal(":"),
        Item::Numeric(Minute, Zero),
        Item::Literal(":"),
        Item::Numeric(Second, Zero),
        Item::Fixed(Fixed::Nanosecond),
    ];
}

fn parse_with(text: &str, items: &[chrono::format::Item<'static>]) -> Option<chrono::format::Parsed> {
    let mut parsed = chrono::format::Parsed::new();
    chrono::format::parse(&mut parsed, text, items.iter()).ok()?;
    Some(parsed)
}

fn parse_date(text: &str) -> Option<NaiveDate> {
    parse_with(text, items::DATE)?.to_naive_date().ok()
}

fn parse_time(text: &str) -> Option<NaiveTime> {
    parse_with(text, items::TIME)?.to_naive_time().ok()
}

fn parse_local_datetime(text: &str) -> Option<NaiveDateTime> {
    parse_with(text, items::DATETIME)?.to_naive_datetime_with_offset(0).ok()
}

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
            Value::Date(d) => tagged(s, "$date", &d.format_with_items(items::DATE.iter()).to_string()),
            Value::Time(t) => tagged(s, "$time", &format_offset_time(t)),
            Value::LocalTime(t) => tagged(s, "$localtime", &t.format_with_items(items::TIME.iter()).to_string()),
            Value::DateTime(z) => tagged(s, "$datetime", &format_datetime(z)),
            Value::LocalDateTime(d) => {
                tagged(s, "$localdatetime", &d.format_with_items(items::DATETIME.iter()).to_string())
            }
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

/// `+HH:MM`, or `+HH:MM:SS` when the offset has seconds (historic zone offsets do).
pub fn format_offset(seconds: i32) -> String {
    let sign = if seconds < 0 { '-' } else { '+' };
    let abs = seconds.unsigned_abs();
    let (h, m, s) = (abs / 3600, abs / 60 % 60, abs % 60);
    if s == 0 {
        format!("{sign}{h:02}:{m:02}")
    } else {
        format!("{sign}{h:02}:{m:02}:{s:02}")
    }
}

/// Parses `Z`, `+HH:MM` or `+HH:MM:SS` into seconds east of UTC.
pub fn parse_offset(text: &str) -> Option<i32> {
    if text == "Z" {
        return Some(0);
    }
    let (sign, rest) = match text.as_bytes().first()? {
        b'+' => (1, &text[1..]),
        b'-' => (-1, &text[1..]),
        _ => return None,
    };
    let mut parts = rest.split(':').map(|p| (p.len() == 2).then(|| p.parse::<i32>().ok()).flatten());
    let h = parts.next()??;
    let m = parts.next()??;
    let s = parts.next().unwrap_or(Some(0))?;
    if parts.next().is_some() || h > 18 || m > 59 || s > 59 {
        return None;
    }
    Some(sign * (h * 3600 + m * 60 + s))
}

/// Splits `<local part><offset>` at the offset's sign or `Z`, searching after the time's colon.
fn split_offset(text: &str, min_index: usize) -> Option<(&str, i32)> {
    let idx = text[min_index..].find(['+', '-', 'Z'])? + min_index;
    Some((&text[..idx], parse_offset(&text[idx..])?))
}

fn format_offset_time(t: &OffsetTime) -> String {
    format!("{}{}", t.time.format_with_items(items::TIME.iter()), format_offset(t.offset_seconds))
}

fn parse_offset_time(text: &str) -> Option<OffsetTime> {
    let (local, offset_seconds) = split_offset(text, 1)?;
    let time = parse_time(local)?;
    Some(OffsetTime { time, offset_seconds })
}

/// `2024-03-31T02:30:00.5+02:00[Europe/Paris]`: local time, offset, and the zone when known.
pub fn format_datetime(z: &ZonedDateTime) -> String {
    let local = z.datetime.naive_local().format_with_items(items::DATETIME.iter());
    let offset = format_offset(z.datetime.offset().local_minus_utc());
    match &z.zone {
        Some(zone) => format!("{local}{offset}[{zone}]"),
        None => format!("{local}{offset}"),
    }
}

pub fn parse_datetime(text: &str) -> Option<ZonedDateTime> {
    let (rest, zone) = match text.strip_suffix(']') {
        Some(head) => {
            let open = head.rfind('[')?;
            (&head[..open], Some(head[open + 1..].to_string()))
        }
        None => (text, None),
    };
    // The offset starts after the 'T' (dates can start with '-' or '+').
    let t = rest.find('T')?;
    let (local, offset_seconds) = split_offset(rest, t + 1)?;
    let local = parse_local_datetime(local)?;
    let offset = FixedOffset::east_opt(offset_seconds)?;
    let datetime: DateTime<FixedOffset> = offset.from_local_datetime(&local).single()?;
    Some(ZonedDateTime { datetime, zone })
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
                Value::LocalTime(parse_time(&t).ok_or_else(|| bad("time", &t))?)
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

    #[test]
    fn preparsed_formats_equal_their_strftime_strings() {
        use chrono::format::StrftimeItems;
        for (text, items) in
            [("%Y-%m-%d", items::DATE), ("%H:%M:%S%.f", items::TIME), ("%Y-%m-%dT%H:%M:%S%.f", items::DATETIME)]
        {
            assert_eq!(StrftimeItems::new(text).collect::<Vec<_>>(), items.to_vec(), "{text}");
        }
    }

    #[test]
    fn offsets_parse_and_print() {
        assert_eq!(parse_offset("Z"), Some(0));
        assert_eq!(parse_offset("+05:30"), Some(19800));
        assert_eq!(parse_offset("-00:19:32"), Some(-1172));
        assert_eq!(parse_offset("+5:30"), None);
        assert_eq!(format_offset(-1172), "-00:19:32");
    }
}
