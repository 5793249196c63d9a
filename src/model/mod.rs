//! The graph records graphferry moves: a lossless [`Value`] that can hold every Bolt/Cypher value,
//! [`Node`] and [`Relationship`] as read from a source, and the [`GraphSchema`] a source reports.
//!
//! Every connector converts to and from these types; nothing here knows about a database. The
//! text forms of values that more than one connector writes live here too: [`text`] (ISO 8601
//! temporals and offsets) and [`json`] (the tagged JSON of docs/FORMAT.md).

pub mod bookkeeping;
pub mod json;
pub mod text;

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime};

/// Property maps keep their keys sorted, so equal records compare and serialize identically.
pub type Properties = BTreeMap<String, Value>;

/// One property value. Holds every value Neo4j 5 can store or return over Bolt, without loss:
/// floats keep NaN, ±infinity and -0.0, temporal values keep nanoseconds, offsets and zone names.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    String(String),
    Bytes(Vec<u8>),
    List(Vec<Value>),
    Map(BTreeMap<String, Value>),
    Date(NaiveDate),
    /// A time of day with a UTC offset (Cypher `TIME`).
    Time(OffsetTime),
    /// A time of day with no offset (Cypher `LOCAL TIME`).
    LocalTime(NaiveTime),
    /// A datetime with a UTC offset and, when the source had one, the named zone it came from
    /// (Cypher `DATETIME`). The offset is kept next to the zone so the instant is never ambiguous.
    DateTime(ZonedDateTime),
    /// A datetime with no offset (Cypher `LOCAL DATETIME`).
    LocalDateTime(NaiveDateTime),
    Duration(Duration),
    Point(Point),
}

/// A time of day plus its UTC offset in seconds (east positive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OffsetTime {
    pub time: NaiveTime,
    pub offset_seconds: i32,
}

/// A datetime with its offset and optional IANA zone name (`Europe/Paris`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZonedDateTime {
    pub datetime: DateTime<FixedOffset>,
    pub zone: Option<String>,
}

/// A Cypher duration: its four components are kept apart because they do not convert into each
/// other (a month has no fixed number of days, a day no fixed number of seconds across DST).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Duration {
    pub months: i64,
    pub days: i64,
    pub seconds: i64,
    pub nanoseconds: i32,
}

/// A spatial point; `z` is present for 3D points. The SRID says which coordinate system
/// (7203/9157 Cartesian, 4326/4979 WGS-84).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub srid: u32,
    pub x: f64,
    pub y: f64,
    pub z: Option<f64>,
}

/// A node as read from a source. `id` is the source's own identifier (a Neo4j element id, a
/// Neptune `~id`, a dump's `id`), used to join relationships to their endpoints.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub id: String,
    pub labels: Vec<String>,
    pub properties: Properties,
}

/// A relationship as read from a source. Parallel relationships (same type and endpoints) are
/// distinct records told apart by `id`.
#[derive(Debug, Clone, PartialEq)]
pub struct Relationship {
    pub id: String,
    pub rel_type: String,
    pub start: String,
    pub end: String,
    pub properties: Properties,
}

/// What a source holds: node counts per label and relationship counts per type. A node with
/// several labels is counted under each; `nodes` counts it once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GraphSchema {
    pub nodes: u64,
    pub relationships: u64,
    pub labels: BTreeMap<String, u64>,
    pub relationship_types: BTreeMap<String, u64>,
}

impl Value {
    /// The Cypher name of this value's type, as used in messages and conversion reports.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "NULL",
            Value::Bool(_) => "BOOLEAN",
            Value::Int(_) => "INTEGER",
            Value::Float(_) => "FLOAT",
            Value::String(_) => "STRING",
            Value::Bytes(_) => "BYTE ARRAY",
            Value::List(_) => "LIST",
            Value::Map(_) => "MAP",
            Value::Date(_) => "DATE",
            Value::Time(_) => "ZONED TIME",
            Value::LocalTime(_) => "LOCAL TIME",
            Value::DateTime(_) => "ZONED DATETIME",
            Value::LocalDateTime(_) => "LOCAL DATETIME",
            Value::Duration(_) => "DURATION",
            Value::Point(_) => "POINT",
        }
    }

    /// Equality that treats two NaNs as equal, so a copy of a NaN compares equal to its source.
    /// `PartialEq` keeps IEEE semantics (NaN != NaN) for everything else.
    pub fn same_as(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Float(a), Value::Float(b)) => a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()),
            (Value::List(a), Value::List(b)) => a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.same_as(y)),
            (Value::Map(a), Value::Map(b)) => same_properties(a, b),
            (Value::Point(a), Value::Point(b)) => {
                a.srid == b.srid
                    && a.x.to_bits() == b.x.to_bits()
                    && a.y.to_bits() == b.y.to_bits()
                    && a.z.map(f64::to_bits) == b.z.map(f64::to_bits)
            }
            _ => self == other,
        }
    }
}

/// [`Value::same_as`] over whole property maps.
pub fn same_properties(a: &Properties, b: &Properties) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|((ka, va), (kb, vb))| ka == kb && va.same_as(vb))
}

impl Node {
    /// Node equality with [`Value::same_as`] for properties.
    pub fn same_as(&self, other: &Node) -> bool {
        self.id == other.id && self.labels == other.labels && same_properties(&self.properties, &other.properties)
    }

    /// A rough size in bytes, used to cut batches by size as well as by rows.
    pub fn approx_size(&self) -> usize {
        self.id.len() + self.labels.iter().map(|l| l.len() + 4).sum::<usize>() + properties_size(&self.properties)
    }
}

impl Relationship {
    /// Relationship equality with [`Value::same_as`] for properties.
    pub fn same_as(&self, other: &Relationship) -> bool {
        self.id == other.id
            && self.rel_type == other.rel_type
            && self.start == other.start
            && self.end == other.end
            && same_properties(&self.properties, &other.properties)
    }

    /// A rough size in bytes, used to cut batches by size as well as by rows.
    pub fn approx_size(&self) -> usize {
        self.id.len() + self.rel_type.len() + self.start.len() + self.end.len() + properties_size(&self.properties)
    }
}

fn properties_size(props: &Properties) -> usize {
    props.iter().map(|(k, v)| k.len() + 4 + value_size(v)).sum()
}

fn value_size(value: &Value) -> usize {
    match value {
        Value::String(s) => s.len() + 2,
        Value::Bytes(b) => b.len() * 4 / 3 + 4,
        Value::List(items) => 2 + items.iter().map(|v| value_size(v) + 1).sum::<usize>(),
        Value::Map(map) => 2 + properties_size(map),
        Value::DateTime(z) => 36 + z.zone.as_ref().map_or(0, String::len),
        _ => 24,
    }
}

/// Counts one more under `key`, allocating the key only the first time it is seen.
pub fn bump(map: &mut BTreeMap<String, u64>, key: &str) {
    match map.get_mut(key) {
        Some(n) => *n += 1,
        None => {
            map.insert(key.to_string(), 1);
        }
    }
}

/// One value of every kind the model holds, including the awkward ones (NaN, -0.0, historic
/// offsets with seconds, negative durations, BCE dates), named for use as property keys. Tests
/// and the example graph use these to prove round trips.
#[doc(hidden)]
pub fn sample_values() -> Vec<(&'static str, Value)> {
    use chrono::TimeZone;
    let date = NaiveDate::from_ymd_opt(2024, 2, 29).expect("valid date");
    let time = NaiveTime::from_hms_nano_opt(23, 59, 58, 123_456_789).expect("valid time");
    let paris = FixedOffset::east_opt(3600).expect("valid offset");
    let amsterdam_1900 = FixedOffset::east_opt(1172).expect("valid offset"); // +00:19:32
    let zoned = |offset: FixedOffset, local: NaiveDateTime, zone: Option<&str>| {
        Value::DateTime(ZonedDateTime {
            datetime: offset.from_local_datetime(&local).single().expect("fixed offsets are unambiguous"),
            zone: zone.map(str::to_string),
        })
    };
    let new_year_1900 = NaiveDate::from_ymd_opt(1900, 1, 1).and_then(|d| d.and_hms_opt(0, 0, 0)).expect("valid");
    vec![
        ("null", Value::Null),
        ("bool", Value::Bool(true)),
        ("int_min", Value::Int(i64::MIN)),
        ("int_max", Value::Int(i64::MAX)),
        ("float", Value::Float(0.1 + 0.2)),
        ("float_whole", Value::Float(3.0)),
        ("float_negative_zero", Value::Float(-0.0)),
        ("float_max", Value::Float(f64::MAX)),
        ("float_subnormal", Value::Float(f64::MIN_POSITIVE / 3.0)),
        ("float_nan", Value::Float(f64::NAN)),
        ("float_infinity", Value::Float(f64::INFINITY)),
        ("float_negative_infinity", Value::Float(f64::NEG_INFINITY)),
        ("string", Value::String("héllo \"wörld\" \u{1F600} 千と千尋\n\ttab".into())),
        ("string_empty", Value::String(String::new())),
        ("bytes", Value::Bytes(vec![0, 255, 1, 2, 128])),
        (
            "list_of_strings",
            Value::List(vec![Value::String("a".into()), Value::String("a".into()), Value::String("b".into())]),
        ),
        ("list_of_ints", Value::List(vec![Value::Int(3), Value::Int(1), Value::Int(2)])),
        ("list_empty", Value::List(vec![])),
        ("list_nested", Value::List(vec![Value::Int(1), Value::List(vec![Value::Bool(false)]), Value::Null])),
        (
            "map",
            Value::Map(BTreeMap::from([
                ("$date".to_string(), Value::Int(1)),
                ("nested".to_string(), Value::Map(BTreeMap::new())),
            ])),
        ),
        ("date", Value::Date(date)),
        ("date_bce", Value::Date(NaiveDate::from_ymd_opt(-44, 3, 15).expect("valid date"))),
        ("time", Value::Time(OffsetTime { time, offset_seconds: -(5 * 3600 + 30 * 60) })),
        ("local_time", Value::LocalTime(time)),
        ("datetime_offset", zoned(paris, date.and_time(time), None)),
        ("datetime_zone", zoned(paris, date.and_time(time), Some("Europe/Paris"))),
        ("datetime_historic_zone", zoned(amsterdam_1900, new_year_1900, Some("Europe/Amsterdam"))),
        ("local_datetime", Value::LocalDateTime(date.and_time(time))),
        ("duration", Value::Duration(Duration { months: 14, days: 3, seconds: 3723, nanoseconds: 500_000_000 })),
        (
            "duration_negative",
            Value::Duration(Duration { months: -1, days: 0, seconds: -3723, nanoseconds: 999_999_999 }),
        ),
        ("point_wgs84", Value::Point(Point { srid: 4326, x: 2.3522, y: 48.8566, z: None })),
        ("point_cartesian_3d", Value::Point(Point { srid: 9157, x: -1.0, y: 0.0, z: Some(1e-9) })),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nan_is_same_as_nan_but_not_equal() {
        let a = Value::Float(f64::NAN);
        assert!(a.same_as(&Value::Float(f64::NAN)));
        assert_ne!(a, Value::Float(f64::NAN));
    }

    #[test]
    fn negative_zero_is_not_same_as_zero() {
        assert!(!Value::Float(-0.0).same_as(&Value::Float(0.0)));
    }
}
