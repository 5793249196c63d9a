//! Conversion between the model's [`Value`] and neo4rs's generic [`BoltType`], in both
//! directions, without loss.
//!
//! Values are always read through the generic type and converted here: typed gets of temporal
//! values fail on some servers (ArcadeDB sends a stored DATETIME back as a LOCAL DATETIME, and
//! `get::<DateTime<FixedOffset>>` then fails), and neo4rs keeps a duration's four components
//! private, so they are recovered from its `Debug` form (checked by a unit test, so a neo4rs
//! upgrade that changes it fails here, not in the data).
//!
//! The driver speaks Bolt 4.x, where a zoned DATETIME travels as local seconds plus a zone name;
//! its offset is recomputed from the zone (the earliest one for a time the zone repeats).

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use neo4rs::{
    BoltBoolean, BoltDateTimeZoneId, BoltDuration, BoltFloat, BoltInteger, BoltList, BoltMap, BoltNull, BoltPoint2D,
    BoltPoint3D, BoltString, BoltType,
};

use crate::model::text::{format_offset, parse_offset};
use crate::model::{Duration, OffsetTime, Point, Properties, Value, ZonedDateTime};

/// Why a value read from the server cannot be held by the model.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ValueError(pub String);

pub fn from_bolt(value: &BoltType) -> Result<Value, ValueError> {
    Ok(match value {
        BoltType::Null(_) => Value::Null,
        BoltType::Boolean(b) => Value::Bool(b.value),
        BoltType::Integer(i) => Value::Int(i.value),
        BoltType::Float(f) => Value::Float(f.value),
        BoltType::String(s) => Value::String(s.value.clone()),
        BoltType::Bytes(b) => Value::Bytes(b.value.to_vec()),
        BoltType::List(items) => Value::List(items.value.iter().map(from_bolt).collect::<Result<_, _>>()?),
        BoltType::Map(map) => Value::Map(properties_from_bolt(map)?),
        BoltType::Date(d) => Value::Date(NaiveDate::try_from(d).map_err(|_| bad("DATE", value))?),
        BoltType::Time(t) => {
            let (time, offset) = <(NaiveTime, FixedOffset)>::from(t);
            Value::Time(OffsetTime { time, offset_seconds: offset.local_minus_utc() })
        }
        BoltType::LocalTime(t) => Value::LocalTime(NaiveTime::from(t)),
        BoltType::DateTime(dt) => Value::DateTime(ZonedDateTime {
            datetime: DateTime::<FixedOffset>::try_from(dt).map_err(|_| bad("DATETIME", value))?,
            zone: None,
        }),
        BoltType::DateTimeZoneId(dt) => Value::DateTime(zoned_from_bolt(dt)?),
        BoltType::LocalDateTime(dt) => {
            Value::LocalDateTime(NaiveDateTime::try_from(dt).map_err(|_| bad("LOCAL DATETIME", value))?)
        }
        BoltType::Duration(d) => Value::Duration(duration_from_bolt(d)?),
        BoltType::Point2D(p) => Value::Point(Point { srid: srid(&p.sr_id)?, x: p.x.value, y: p.y.value, z: None }),
        BoltType::Point3D(p) => {
            Value::Point(Point { srid: srid(&p.sr_id)?, x: p.x.value, y: p.y.value, z: Some(p.z.value) })
        }
        BoltType::Node(_) | BoltType::Relation(_) | BoltType::UnboundedRelation(_) | BoltType::Path(_) => {
            return Err(ValueError("a node, relationship or path is not a property value".into()))
        }
    })
}

/// A property map from the server; an error names the property that failed.
pub fn properties_from_bolt(map: &BoltMap) -> Result<Properties, ValueError> {
    map.value
        .iter()
        .map(|(k, v)| {
            let value = from_bolt(v).map_err(|e| ValueError(format!("property `{}`: {e}", k.value)))?;
            Ok((k.value.clone(), value))
        })
        .collect()
}

pub fn to_bolt(value: &Value) -> BoltType {
    match value {
        Value::Null => BoltType::Null(BoltNull),
        Value::Bool(b) => BoltType::Boolean(BoltBoolean::new(*b)),
        Value::Int(i) => BoltType::Integer(BoltInteger::new(*i)),
        Value::Float(f) => BoltType::Float(BoltFloat::new(*f)),
        Value::String(s) => BoltType::String(BoltString::new(s)),
        Value::Bytes(b) => BoltType::from(b.clone()),
        Value::List(items) => BoltType::List(BoltList::from(items.iter().map(to_bolt).collect::<Vec<_>>())),
        Value::Map(map) => BoltType::Map(properties_to_bolt(map)),
        Value::Date(d) => BoltType::from(*d),
        Value::Time(t) => {
            // An offset outside ±18 h cannot come from a valid source; UTC keeps the write going
            // rather than panicking, and such a value is rejected by every server anyway.
            let offset = FixedOffset::east_opt(t.offset_seconds).unwrap_or(FixedOffset::east_opt(0).expect("UTC"));
            BoltType::from((t.time, offset))
        }
        Value::LocalTime(t) => BoltType::from(*t),
        Value::DateTime(ZonedDateTime { datetime, zone: Some(zone) }) => {
            BoltType::DateTimeZoneId(BoltDateTimeZoneId::from((datetime.naive_local(), zone.as_str())))
        }
        // Sent as a zone-id datetime whose zone is the offset (`+01:00`), which Neo4j reads as
        // exactly the offset datetime it is: ArcadeDB stores an offset DATETIME parameter as a
        // LOCAL DATETIME in UTC, but keeps the zone form.
        Value::DateTime(ZonedDateTime { datetime, zone: None }) => {
            let offset = format_offset(datetime.offset().local_minus_utc());
            BoltType::DateTimeZoneId(BoltDateTimeZoneId::from((datetime.naive_local(), offset.as_str())))
        }
        Value::LocalDateTime(dt) => BoltType::from(*dt),
        Value::Duration(d) => BoltType::Duration(BoltDuration::new(
            d.months.into(),
            d.days.into(),
            d.seconds.into(),
            i64::from(d.nanoseconds).into(),
        )),
        Value::Point(p) => {
            let (sr_id, x, y) = (BoltInteger::new(i64::from(p.srid)), BoltFloat::new(p.x), BoltFloat::new(p.y));
            match p.z {
                None => BoltType::Point2D(BoltPoint2D { sr_id, x, y }),
                Some(z) => BoltType::Point3D(BoltPoint3D { sr_id, x, y, z: BoltFloat::new(z) }),
            }
        }
    }
}

pub fn properties_to_bolt(props: &Properties) -> BoltMap {
    let mut map = BoltMap::with_capacity(props.len());
    for (k, v) in props {
        map.put(BoltString::new(k), to_bolt(v));
    }
    map
}

/// A map parameter built from `(key, value)` pairs.
pub fn bolt_map<const N: usize>(entries: [(&str, BoltType); N]) -> BoltType {
    let mut map = BoltMap::with_capacity(N);
    for (k, v) in entries {
        map.put(BoltString::new(k), v);
    }
    BoltType::Map(map)
}

/// A zone-id datetime; a zone that is an offset (`+01:00`, `Z`) is an offset datetime. `UTC` is
/// a named zone, as in Neo4j, and stays one (see [`parse_offset`] for what is an offset).
fn zoned_from_bolt(dt: &BoltDateTimeZoneId) -> Result<ZonedDateTime, ValueError> {
    if let Some(offset) = parse_offset(dt.tz_id()).and_then(FixedOffset::east_opt) {
        let local = NaiveDateTime::try_from(dt).map_err(|_| ValueError(format!("DATETIME out of range: {dt:?}")))?;
        let datetime = offset
            .from_local_datetime(&local)
            .single()
            .ok_or_else(|| ValueError(format!("DATETIME out of range: {dt:?}")))?;
        return Ok(ZonedDateTime { datetime, zone: None });
    }
    let datetime = DateTime::<FixedOffset>::try_from(dt)
        .map_err(|_| ValueError(format!("DATETIME in zone `{}` cannot be resolved", dt.tz_id())))?;
    Ok(ZonedDateTime { datetime, zone: Some(dt.tz_id().to_string()) })
}

fn bad(kind: &str, value: &BoltType) -> ValueError {
    ValueError(format!("{kind} out of the supported range: {value:?}"))
}

fn srid(id: &BoltInteger) -> Result<u32, ValueError> {
    u32::try_from(id.value).map_err(|_| ValueError(format!("POINT with invalid SRID {}", id.value)))
}

/// neo4rs keeps a duration's months, days, seconds and nanoseconds private and only offers a
/// lossy sum; its derived `Debug` prints the four in declaration order.
fn duration_from_bolt(d: &BoltDuration) -> Result<Duration, ValueError> {
    let text = format!("{d:?}");
    let numbers: Vec<i64> = text.split("value: ").skip(1).filter_map(leading_int).collect();
    match numbers[..] {
        [months, days, seconds, nanoseconds] => Ok(Duration {
            months,
            days,
            seconds,
            nanoseconds: i32::try_from(nanoseconds).map_err(|_| ValueError(format!("DURATION nanoseconds {text}")))?,
        }),
        _ => Err(ValueError(format!("unreadable DURATION {text}"))),
    }
}

fn leading_int(s: &str) -> Option<i64> {
    let end = s.find(|c: char| !(c == '-' || c.is_ascii_digit())).unwrap_or(s.len());
    s[..end].parse().ok()
}

/// Lists of property values (the UNWIND rows) as one parameter.
pub fn bolt_list(items: Vec<BoltType>) -> BoltType {
    BoltType::List(BoltList::from(items))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::sample_values;

    #[test]
    fn every_sample_value_round_trips_through_bolt() {
        for (name, value) in sample_values() {
            let back = from_bolt(&to_bolt(&value)).unwrap_or_else(|e| panic!("{name}: {e}"));
            if let (Value::DateTime(sent), Value::DateTime(got)) = (&value, &back) {
                if sent.zone.is_some() {
                    // Bolt 4 carries local time + zone; the offset is the tz database's. For
                    // Amsterdam in 1900 that is +00:00 since tzdata 2022b linked it to Brussels,
                    // not the sample's historic +00:19:32 (Neo4j resolves the zone the same way).
                    assert_eq!(sent.datetime.naive_local(), got.datetime.naive_local(), "{name}");
                    assert_eq!(sent.zone, got.zone, "{name}");
                    continue;
                }
            }
            assert!(back.same_as(&value), "{name}: {value:?} came back as {back:?}");
        }
    }

    #[test]
    fn duration_components_survive_the_debug_form() {
        let d = BoltDuration::new((-14).into(), 3.into(), i64::MIN.into(), 999_999_999.into());
        let back = duration_from_bolt(&d).unwrap();
        assert_eq!(back, Duration { months: -14, days: 3, seconds: i64::MIN, nanoseconds: 999_999_999 });
    }

    #[test]
    fn offsets_travel_as_zone_names() {
        let local = NaiveDate::from_ymd_opt(1900, 1, 1).and_then(|d| d.and_hms_opt(0, 0, 0)).unwrap();
        for (s, name) in [(0, "+00:00"), (3600, "+01:00"), (-19800, "-05:30"), (1172, "+00:19:32"), (-50400, "-14:00")]
        {
            let datetime = FixedOffset::east_opt(s).unwrap().from_local_datetime(&local).unwrap();
            let sent = ZonedDateTime { datetime, zone: None };
            let BoltType::DateTimeZoneId(bolt) = to_bolt(&Value::DateTime(sent.clone())) else { panic!("{s}") };
            assert_eq!(bolt.tz_id(), name);
            assert_eq!(zoned_from_bolt(&bolt), Ok(sent), "{name}");
        }
    }

    #[test]
    fn z_is_an_offset_and_utc_a_zone() {
        let local = NaiveDate::from_ymd_opt(2024, 1, 1).and_then(|d| d.and_hms_opt(12, 0, 0)).unwrap();
        let read = |tz: &str| zoned_from_bolt(&BoltDateTimeZoneId::from((local, tz)));
        let utc =
            |zone: Option<&str>| ZonedDateTime { datetime: local.and_utc().fixed_offset(), zone: zone.map(Into::into) };
        // ArcadeDB names the zero offset `Z` (java.time's ZoneOffset.UTC).
        assert_eq!(read("Z"), Ok(utc(None)));
        // Neo4j's `datetime({timezone: 'UTC'})` is in the zone UTC, not at an offset: the name is
        // kept, so the copy is that same zoned value (read as the offset `Z`, it lost the name).
        assert_eq!(read("UTC"), Ok(utc(Some("UTC"))));
        // Out of ±18:00 is no offset Neo4j can hold, and no zone either: refused, not stored.
        assert!(read("+18:30").is_err());
    }

    #[test]
    fn graph_structures_are_not_property_values() {
        let node = BoltType::Node(neo4rs::BoltNode::new(1.into(), BoltList::new(), BoltMap::new()));
        assert!(from_bolt(&node).is_err());
    }
}
