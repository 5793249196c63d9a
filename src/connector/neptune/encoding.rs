//! Property values on their way into Neptune, which stores only Bool, integers, floats, String
//! and DateTime. Every value Neptune cannot hold as is gets a documented form, and each such
//! conversion is counted per `scope.property` (or refused under `--strict-types`). The table is
//! in the README ("Type encodings in Neptune").
//!
//! Lists are never sent as lists. AWS's "openCypher data model" page for Neptune Database
//! (https://docs.aws.amazon.com/neptune/latest/userguide/access-graph-opencypher-data-model.html)
//! advises against inserting array property values through openCypher (only the bulk loader
//! can, and then they become multi-valued sets), and a `SET`/`CREATE` carrying one is refused
//! (`Expected a simple literal but found List`, https://github.com/guacsec/guac/issues/1128).
//! Neptune Analytics documents no list type of its own for openCypher: its "openCypher data
//! model" page
//! (https://docs.aws.amazon.com/neptune-analytics/latest/userguide/query-openCypher-data-model.html)
//! and its "openCypher specification compliance" page defer to the Neptune Database pages, and
//! arrays appear only in its bulk-load formats, with set cardinality. So both modes store a
//! list as the dump's JSON text.
//!
//! Temporal values follow the target's `temporal_encoding`. With `datetime` (the default) DATE,
//! LOCAL DATETIME and ZONED DATETIME become Neptune DateTimes (millisecond precision, UTC; the
//! `DateTime` type of the data-model page above): JSON parameters cannot carry a DateTime, so
//! they travel as strings and the write query wraps them in `datetime(...)`. The string is
//! `yyyy-MM-ddTHH:mm:ss.SSSZ`, the fullest of the DateTime forms AWS lists for Neptune's loaders
//! (Neptune Analytics' "Supported CSV column types" page,
//! https://docs.aws.amazon.com/neptune-analytics/latest/userguide/csv-column-types.html; the
//! Database loader's list ends at `yyyy-MM-ddTHH:mm:ssZ`) and plain ISO 8601 / RFC 3339, which
//! openCypher's `datetime(string)` parses: always UTC with `Z`, always three fraction digits.
//! A conversion that drops something (offset, zone name, digits below a millisecond) says
//! `LOSSY` in its name; one that drops nothing (a UTC datetime with whole milliseconds, a date
//! at midnight UTC) is still counted, as a change of type. TIME, LOCAL TIME, DURATION and POINT
//! have no Neptune counterpart and stay ISO strings. With `string`, every temporal value is its
//! exact ISO 8601 string, as the dump writes it.

use base64::Engine as _;
use chrono::{NaiveDateTime, Timelike};
use serde_json::{Map, Value as Json};

use super::config::TemporalEncoding;
use crate::connector::{Conversions, CountConversion};
use crate::model::json::{DumpProperties, DumpValue};
use crate::model::{text, Properties, Value, ZonedDateTime};

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

// `temporal_encoding: datetime`.
pub const DATE_AS_DATETIME: &str = "DATE -> DATETIME (midnight UTC)";
pub const LOCAL_DATETIME_AS_DATETIME: &str = "LOCAL DATETIME -> DATETIME (taken as UTC)";
pub const LOCAL_DATETIME_AS_DATETIME_MS: &str =
    "LOCAL DATETIME -> DATETIME (taken as UTC; LOSSY: drops digits below 1 ms)";
pub const DATETIME_AS_DATETIME: &str = "ZONED DATETIME -> DATETIME (UTC)";
pub const DATETIME_AS_DATETIME_OFFSET: &str = "ZONED DATETIME -> DATETIME (UTC; LOSSY: drops the offset)";
pub const DATETIME_AS_DATETIME_ZONE: &str = "ZONED DATETIME -> DATETIME (UTC; LOSSY: drops the zone name and offset)";
pub const DATETIME_AS_DATETIME_MS: &str = "ZONED DATETIME -> DATETIME (UTC; LOSSY: drops digits below 1 ms)";
pub const DATETIME_AS_DATETIME_OFFSET_MS: &str =
    "ZONED DATETIME -> DATETIME (UTC; LOSSY: drops the offset and digits below 1 ms)";
pub const DATETIME_AS_DATETIME_ZONE_MS: &str =
    "ZONED DATETIME -> DATETIME (UTC; LOSSY: drops the zone name, offset and digits below 1 ms)";
// A DateTime's text has a four-digit year: values outside it keep their exact string.
pub const DATE_OUT_OF_RANGE: &str = "DATE -> STRING (ISO 8601; year outside DateTime's 0001-9999)";
pub const LOCAL_DATETIME_OUT_OF_RANGE: &str =
    "LOCAL DATETIME -> STRING (ISO 8601; year outside DateTime's 0001-9999)";
pub const DATETIME_OUT_OF_RANGE: &str =
    "ZONED DATETIME -> STRING (ISO 8601, offset and [zone]; year outside DateTime's 0001-9999)";

/// A value `--strict-types` refused: where, and what it would have become.
#[derive(Debug)]
pub struct Refused {
    pub property: String,
    pub type_name: &'static str,
    pub conversion: &'static str,
}

/// What one value is sent as.
#[derive(Debug, Clone, PartialEq)]
pub enum Encoded {
    /// Nothing: the property is left out.
    Omitted,
    /// This JSON parameter value, stored as it is.
    Json(Json),
    /// This `yyyy-MM-ddTHH:mm:ss.SSSZ` text, stored through `datetime(...)` as a DateTime.
    DateTime(String),
}

/// One record's properties as a write sends them.
#[derive(Debug, Default, PartialEq)]
pub struct EncodedProperties {
    /// Properties set from the JSON parameter as they are (`SET n += row.p`).
    pub plain: Map<String, Json>,
    /// Properties stored as DateTime: name → the text `datetime(...)` parses.
    pub datetimes: Map<String, Json>,
}

/// Encodes a property map for one record of `scope` (its label or type), counting conversions.
pub fn encode_properties(
    props: &Properties,
    scope: &str,
    temporal: TemporalEncoding,
    strict: bool,
    conversions: &mut Conversions,
) -> Result<EncodedProperties, Refused> {
    let mut out = EncodedProperties { plain: Map::with_capacity(props.len()), datetimes: Map::new() };
    for (name, value) in props {
        match encode_counted(name, value, scope, temporal, strict, conversions)? {
            Encoded::Omitted => {}
            Encoded::Json(json) => drop(out.plain.insert(name.clone(), json)),
            Encoded::DateTime(text) => drop(out.datetimes.insert(name.clone(), Json::String(text))),
        }
    }
    Ok(out)
}

/// Encodes one property `name` of a record of `scope`, counting its conversion, or refusing it
/// when `strict`.
pub fn encode_counted<'a>(
    name: &'a str,
    value: &Value,
    scope: &'a str,
    temporal: TemporalEncoding,
    strict: bool,
    conversions: &mut impl CountConversion<'a>,
) -> Result<Encoded, Refused> {
    let (encoded, conversion) = encode(value, temporal);
    if let Some(conversion) = conversion {
        if strict {
            return Err(Refused { property: name.to_string(), type_name: value.type_name(), conversion });
        }
        conversions.count(scope, name, conversion);
    }
    Ok(encoded)
}

/// One value: what to send and the conversion, if any.
pub fn encode(value: &Value, temporal: TemporalEncoding) -> (Encoded, Option<&'static str>) {
    let text = |conversion| (Encoded::Json(Json::String(text_form(value))), Some(conversion));
    let as_datetime = temporal == TemporalEncoding::DateTime;
    match value {
        Value::Null => (Encoded::Omitted, Some(NULL_OMITTED)),
        Value::Bool(b) => (Encoded::Json(Json::Bool(*b)), None),
        Value::Int(i) => (Encoded::Json(Json::from(*i)), None),
        Value::Float(f) => match serde_json::Number::from_f64(*f) {
            Some(n) => (Encoded::Json(Json::Number(n)), None),
            None => text(SPECIAL_FLOAT),
        },
        Value::String(s) => (Encoded::Json(Json::String(s.clone())), None),
        Value::List(_) => text(LIST_JSON),
        Value::Bytes(_) => text(BYTES),
        Value::Map(_) => text(MAP_JSON),
        Value::Date(d) if as_datetime => match datetime_text(&d.and_time(chrono::NaiveTime::MIN)) {
            Some(t) => (Encoded::DateTime(t), Some(DATE_AS_DATETIME)),
            None => text(DATE_OUT_OF_RANGE),
        },
        Value::LocalDateTime(d) if as_datetime => match datetime_text(d) {
            Some(t) if whole_ms(d) => (Encoded::DateTime(t), Some(LOCAL_DATETIME_AS_DATETIME)),
            Some(t) => (Encoded::DateTime(t), Some(LOCAL_DATETIME_AS_DATETIME_MS)),
            None => text(LOCAL_DATETIME_OUT_OF_RANGE),
        },
        Value::DateTime(z) if as_datetime => match datetime_text(&z.datetime.naive_utc()) {
            Some(t) => (Encoded::DateTime(t), Some(zoned_conversion(z))),
            None => text(DATETIME_OUT_OF_RANGE),
        },
        Value::Date(_) => text(DATE),
        Value::Time(_) => text(TIME),
        Value::LocalTime(_) => text(LOCAL_TIME),
        Value::DateTime(_) => text(DATETIME),
        Value::LocalDateTime(_) => text(LOCAL_DATETIME),
        Value::Duration(_) => text(DURATION),
        Value::Point(_) => text(POINT),
    }
}

/// What storing `z` as a UTC DateTime with millisecond precision drops, named.
fn zoned_conversion(z: &ZonedDateTime) -> &'static str {
    let offset = z.datetime.offset().local_minus_utc() != 0;
    match (z.zone.is_some(), offset, whole_ms(&z.datetime.naive_utc())) {
        (false, false, true) => DATETIME_AS_DATETIME,
        (false, true, true) => DATETIME_AS_DATETIME_OFFSET,
        (true, _, true) => DATETIME_AS_DATETIME_ZONE,
        (false, false, false) => DATETIME_AS_DATETIME_MS,
        (false, true, false) => DATETIME_AS_DATETIME_OFFSET_MS,
        (true, _, false) => DATETIME_AS_DATETIME_ZONE_MS,
    }
}

fn whole_ms(d: &NaiveDateTime) -> bool {
    d.nanosecond() % 1_000_000 == 0
}

/// `utc` as the DateTime text graphferry sends, `2024-02-29T22:59:58.123Z`: always three digits
/// of milliseconds (the digits below are cut, as Neptune's millisecond precision would) and `Z`.
/// `None` for a year outside 0001-9999, which that four-digit form cannot hold.
pub fn datetime_text(utc: &NaiveDateTime) -> Option<String> {
    use chrono::Datelike;
    if !(1..=9999).contains(&utc.year()) {
        return None;
    }
    use chrono::Timelike;
    use std::fmt::Write;
    // Written field by field: chrono's `format` parses its pattern on every call, which showed
    // in profiles of the exports (one DateTime per record or more). Same text as
    // `%Y-%m-%dT%H:%M:%S%.3fZ`, leap second (second 59 with a nanosecond of a billion or more)
    // included: second 60.
    let ns = utc.nanosecond();
    let (second, ms) = if ns >= 1_000_000_000 { (60, (ns - 1_000_000_000) / 1_000_000) } else { (utc.second(), ns / 1_000_000) };
    let mut text = String::with_capacity(24);
    write!(
        text,
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{ms:03}Z",
        utc.year(),
        utc.month(),
        utc.day(),
        utc.hour(),
        utc.minute(),
        second
    )
    .expect("writing to a String cannot fail");
    Some(text)
}

/// A DateTime as Neptune answers it in the form [`datetime_text`] writes, so the two compare as
/// text. The answer is an ISO 8601 string with `Z` or an offset; how many fraction digits it
/// shows, and whether zero seconds are shown at all (`2024-02-29T00:00Z`, as Java prints it), is
/// the server's choice. `None` when `text` is no such datetime.
pub fn normalize_datetime(text: &str) -> Option<String> {
    let zoned = ["%Y-%m-%dT%H:%M:%S%.f%#z", "%Y-%m-%dT%H:%M%#z"]
        .iter()
        .find_map(|format| chrono::DateTime::parse_from_str(text, format).ok())
        .map(|d| d.naive_utc());
    // Neptune's DateTime is UTC: an answer without an offset is read as UTC.
    let utc = || {
        ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M"].iter().find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
    };
    datetime_text(&zoned.or_else(utc)?)
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
