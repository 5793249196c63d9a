//! PostgreSQL column types and the graph values they become (README, "PostgreSQL", type table).
//!
//! Each column is selected by an expression chosen here and decoded from PostgreSQL's binary
//! format: types the model holds exactly are decoded natively; types whose exact value has no
//! graph type are selected as their canonical text (`numeric`, `money`, `uuid`, enums), which is
//! exact. A type with no rule is refused by name unless the mapping casts it.

use std::error::Error;

use chrono::{FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use tokio_postgres::types::{FromSql, Type};
use tokio_postgres::Row;

use crate::model::{Duration, OffsetTime, Value, ZonedDateTime};

/// What a column's values become.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Int2,
    Int4,
    Int8,
    Float4,
    Float8,
    /// Exact decimal: its text, or a Float on request (`cast: float`).
    Numeric,
    /// Exact amount: the text of its `numeric` value (no currency symbol, no locale).
    Money,
    Text,
    Bool,
    Date,
    Time,
    TimeTz,
    Timestamp,
    TimestampTz,
    Interval,
    Uuid,
    Bytea,
    Json,
    Enum,
    /// No rule: refused unless the mapping casts it.
    Other,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ColumnType {
    /// As PostgreSQL writes it (`numeric(10,2)`, `character varying(80)[]`), for messages.
    pub pg: String,
    /// The type to compare keys in (a domain's base type), for resume parameters.
    pub base: String,
    pub kind: Kind,
    pub array: bool,
}

impl ColumnType {
    /// From the catalog: `name`/`typtype` of the (base) type, and for an array its element's.
    pub fn classify(pg: String, base: String, name: &str, typtype: u8, element: Option<(&str, u8)>) -> Self {
        let (kind, array) = match element {
            Some((e, t)) => (kind_of(e, t), true),
            None => (kind_of(name, typtype), false),
        };
        ColumnType { pg, base, kind, array }
    }
}

fn kind_of(name: &str, typtype: u8) -> Kind {
    if typtype == b'e' {
        return Kind::Enum;
    }
    match name {
        "int2" => Kind::Int2,
        "int4" => Kind::Int4,
        "int8" => Kind::Int8,
        "float4" => Kind::Float4,
        "float8" => Kind::Float8,
        "numeric" => Kind::Numeric,
        "money" => Kind::Money,
        "text" | "varchar" | "bpchar" | "name" | "citext" => Kind::Text,
        "bool" => Kind::Bool,
        "date" => Kind::Date,
        "time" => Kind::Time,
        "timetz" => Kind::TimeTz,
        "timestamp" => Kind::Timestamp,
        "timestamptz" => Kind::TimestampTz,
        "interval" => Kind::Interval,
        "uuid" => Kind::Uuid,
        "bytea" => Kind::Bytea,
        "json" | "jsonb" => Kind::Json,
        _ => Kind::Other,
    }
}

/// A mapping's override of a column's rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Cast {
    /// The column's PostgreSQL text form, as a String (any type).
    Text,
    /// A numeric as a Float; a value that does not round-trip is counted as lossy.
    Float,
}

/// How one selected column is decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decode {
    pub kind: Kind,
    pub array: bool,
    pub cast: Option<Cast>,
}

/// The conversion counted when a numeric read as a Float does not round-trip.
pub const NUMERIC_AS_FLOAT: &str = "NUMERIC -> FLOAT (not exact)";

impl Decode {
    /// Why this column cannot be read as mapped, if it cannot.
    pub fn refusal(column: &str, ty: &ColumnType, cast: Option<Cast>) -> Option<String> {
        match (ty.kind, cast) {
            (_, Some(Cast::Text)) => None,
            (Kind::Numeric, Some(Cast::Float)) => None,
            (_, Some(Cast::Float)) => Some(format!("`cast: float` applies to numeric columns, not {}", ty.pg)),
            (Kind::Other, None) => Some(format!(
                "type {} has no graph type; add `cast: {{{column}: text}}` to its entry in the mapping to copy its \
                 text form, or leave the column out",
                ty.pg
            )),
            _ => None,
        }
    }

    /// The SQL expression that selects `column` (already quoted) for this decoding.
    pub fn select(&self, column: &str) -> String {
        let text = if self.array { "text[]" } else { "text" };
        match (self.cast, self.kind) {
            (Some(_), _) | (None, Kind::Numeric | Kind::Uuid | Kind::Enum | Kind::Other) => {
                format!("{column}::{text}")
            }
            (None, Kind::Money) => format!("{column}::numeric{}::{text}", if self.array { "[]" } else { "" }),
            // `citext`, `name`, `bpchar`, domains: read through text so one decoder serves all.
            (None, Kind::Text) => format!("{column}::{text}"),
            (None, Kind::Json) => format!("{column}::jsonb{}", if self.array { "[]" } else { "" }),
            _ => column.to_string(),
        }
    }

    /// Decodes column `i` of `row`. `lossy` is called for a value converted with loss.
    pub fn value(&self, row: &Row, i: usize, lossy: &mut dyn FnMut(&'static str)) -> Result<Value, String> {
        if self.array {
            let items: Option<Vec<Option<Cell>>> = row.try_get(i).map_err(|e| describe(&e))?;
            let Some(items) = items else { return Ok(Value::Null) };
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                let Some(cell) = item else {
                    return Err("an array holds a NULL, which graph lists cannot hold (Neo4j refuses nulls in \
                                lists); clean the data or leave the column out"
                        .into());
                };
                out.push(self.finish(cell, lossy)?);
            }
            return Ok(Value::List(out));
        }
        let cell: Option<Cell> = row.try_get(i).map_err(|e| describe(&e))?;
        cell.map_or(Ok(Value::Null), |c| self.finish(c, lossy))
    }

    fn finish(&self, cell: Cell, lossy: &mut dyn FnMut(&'static str)) -> Result<Value, String> {
        match (cell, self.cast) {
            (Cell(Value::String(s)), Some(Cast::Float)) => {
                let f: f64 = s.parse().map_err(|_| "a numeric that is not a finite number".to_string())?;
                if !round_trips(&s, f) {
                    lossy(NUMERIC_AS_FLOAT);
                }
                Ok(Value::Float(f))
            }
            (Cell(v), _) => Ok(v),
        }
    }
}

/// Whether `f` is exactly the decimal `text` (`678.90` is not: it is 678.8999999999999773…).
fn round_trips(text: &str, f: f64) -> bool {
    if text.eq_ignore_ascii_case("nan") {
        return true;
    }
    // A decimal is exact as a binary float only if the shortest float text and the decimal
    // agree once trailing zeros are dropped, and the float's exact expansion equals it.
    let norm = |s: &str| {
        let s = s.trim_start_matches('+');
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s.to_string()
        }
    };
    let exact = format!("{f:.1074}");
    norm(&exact) == norm(text)
}

fn describe(e: &tokio_postgres::Error) -> String {
    match e.source() {
        Some(s) => s.to_string(),
        None => e.to_string(),
    }
}

/// One decoded value, whatever its PostgreSQL type: the binary decoders of tokio-postgres for
/// the types it knows, and our own for `time with time zone` and `interval`.
struct Cell(Value);

impl<'a> FromSql<'a> for Cell {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Self, Box<dyn Error + Sync + Send>> {
        let v = match *ty {
            Type::INT2 => Value::Int(i16::from_sql(ty, raw)?.into()),
            Type::INT4 => Value::Int(i32::from_sql(ty, raw)?.into()),
            Type::INT8 => Value::Int(i64::from_sql(ty, raw)?),
            Type::FLOAT4 => Value::Float(f32::from_sql(ty, raw)?.into()),
            Type::FLOAT8 => Value::Float(f64::from_sql(ty, raw)?),
            Type::BOOL => Value::Bool(bool::from_sql(ty, raw)?),
            Type::TEXT => Value::String(String::from_sql(ty, raw)?),
            Type::BYTEA => Value::Bytes(raw.to_vec()),
            Type::DATE => Value::Date(NaiveDate::from_sql(ty, raw)?),
            Type::TIME => Value::LocalTime(NaiveTime::from_sql(ty, raw)?),
            Type::TIMESTAMP => Value::LocalDateTime(NaiveDateTime::from_sql(ty, raw)?),
            Type::TIMESTAMPTZ => {
                let utc = chrono::DateTime::<Utc>::from_sql(ty, raw)?;
                let datetime = utc.with_timezone(&FixedOffset::east_opt(0).expect("UTC is an offset"));
                Value::DateTime(ZonedDateTime { datetime, zone: None })
            }
            Type::TIMETZ => timetz(raw)?,
            Type::INTERVAL => interval(raw)?,
            Type::JSONB | Type::JSON => json(&serde_json::Value::from_sql(ty, raw)?),
            _ => return Err(format!("no decoder for type {ty}").into()),
        };
        Ok(Cell(v))
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

/// `timetz` on the wire: microseconds since midnight (i64), then the zone's offset in seconds
/// *west* of UTC (i32) (PostgreSQL src/backend/utils/adt/date.c, `timetz_send`).
fn timetz(raw: &[u8]) -> Result<Value, Box<dyn Error + Sync + Send>> {
    let (us, zone) = raw.split_at_checked(8).ok_or("short timetz")?;
    let us = i64::from_be_bytes(us.try_into()?);
    let west = i32::from_be_bytes(zone.try_into()?);
    let time = NaiveTime::from_num_seconds_from_midnight_opt((us / 1_000_000) as u32, (us % 1_000_000) as u32 * 1000)
        .ok_or("timetz out of range")?;
    Ok(Value::Time(OffsetTime { time, offset_seconds: -west }))
}

/// `interval` on the wire: microseconds (i64), days (i32), months (i32)
/// (PostgreSQL src/backend/utils/adt/timestamp.c, `interval_send`). The three parts map onto a
/// Cypher duration's seconds, days and months without conversion between them.
fn interval(raw: &[u8]) -> Result<Value, Box<dyn Error + Sync + Send>> {
    if raw.len() != 16 {
        return Err("interval of unexpected size".into());
    }
    let us = i64::from_be_bytes(raw[0..8].try_into()?);
    let days = i32::from_be_bytes(raw[8..12].try_into()?);
    let months = i32::from_be_bytes(raw[12..16].try_into()?);
    Ok(Value::Duration(Duration {
        months: months.into(),
        days: days.into(),
        seconds: us.div_euclid(1_000_000),
        nanoseconds: (us.rem_euclid(1_000_000) * 1000) as i32,
    }))
}

/// JSON objects become maps, arrays lists; a number is an Integer when it is a whole i64.
pub fn json(v: &serde_json::Value) -> Value {
    match v {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => n.as_i64().map(Value::Int).unwrap_or_else(|| Value::Float(n.as_f64().unwrap_or(f64::NAN))),
        serde_json::Value::String(s) => Value::String(s.clone()),
        serde_json::Value::Array(a) => Value::List(a.iter().map(json).collect()),
        serde_json::Value::Object(m) => Value::Map(m.iter().map(|(k, v)| (k.clone(), json(v))).collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_numeric_round_trips_only_when_the_float_is_exact() {
        assert!(round_trips("0.5", 0.5));
        assert!(round_trips("12.250", 12.25));
        assert!(round_trips("42", 42.0));
        assert!(!round_trips("678.90", 678.90));
        assert!(!round_trips("0.1", 0.1));
    }

    #[test]
    fn interval_parts_stay_apart_and_negative_microseconds_borrow_a_second() {
        let mut raw = Vec::new();
        raw.extend((-1_500_000i64).to_be_bytes());
        raw.extend(3i32.to_be_bytes());
        raw.extend(14i32.to_be_bytes());
        assert_eq!(
            interval(&raw).unwrap(),
            Value::Duration(Duration { months: 14, days: 3, seconds: -2, nanoseconds: 500_000_000 })
        );
    }

    #[test]
    fn timetz_offsets_are_sent_west_positive() {
        let mut raw = Vec::new();
        raw.extend((3_600_000_000i64 + 1).to_be_bytes());
        raw.extend((-19800i32).to_be_bytes()); // +05:30
        let Value::Time(t) = timetz(&raw).unwrap() else { panic!() };
        assert_eq!(t.offset_seconds, 19800);
        assert_eq!(t.time, NaiveTime::from_hms_micro_opt(1, 0, 0, 1).unwrap());
    }

    #[test]
    fn types_without_a_rule_are_refused_unless_cast() {
        let ty = ColumnType::classify("tsvector".into(), "tsvector".into(), "tsvector", b'b', None);
        assert!(Decode::refusal("body", &ty, None).unwrap().contains("tsvector"));
        assert!(Decode::refusal("body", &ty, None).unwrap().contains("cast: {body: text}"));
        assert_eq!(Decode::refusal("body", &ty, Some(Cast::Text)), None);
        let money = ColumnType::classify("money".into(), "money".into(), "money", b'b', None);
        assert!(Decode::refusal("price", &money, Some(Cast::Float)).is_some());
    }
}
