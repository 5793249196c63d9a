//! Property tests: the dump reader and the config parser never panic, whatever the input, and
//! every value round-trips through the dump encoding. A cut dump is always an error.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{FixedOffset, NaiveDate, NaiveTime, TimeZone};
use graphferry::connector::file::{DumpReader, DumpWriter};
use graphferry::connector::registry::parse_config;
use graphferry::model::json::{DumpValue, ParsedValue};
use graphferry::model::{Duration, Node, OffsetTime, Point, Relationship, Value, ZonedDateTime};
use proptest::prelude::*;

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::Int),
        any::<f64>().prop_map(Value::Float),
        ".*".prop_map(Value::String),
        proptest::collection::vec(any::<u8>(), 0..16).prop_map(Value::Bytes),
        (-100_000i32..100_000).prop_map(|d| Value::Date(NaiveDate::from_num_days_from_ce_opt(730_000 + d).unwrap())),
        (0u32..86_400, 0u32..1_000_000_000, -64_800i32..64_800).prop_map(|(s, n, o)| Value::Time(OffsetTime {
            time: NaiveTime::from_num_seconds_from_midnight_opt(s, n).unwrap(),
            offset_seconds: o,
        })),
        (0u32..86_400, 0u32..1_000_000_000)
            .prop_map(|(s, n)| Value::LocalTime(NaiveTime::from_num_seconds_from_midnight_opt(s, n).unwrap())),
        (
            -4_000_000_000i64..4_000_000_000,
            0u32..1_000_000_000,
            -64_800i32..64_800,
            proptest::option::of("[A-Z][a-z]{2,8}/[A-Z][a-z]{2,8}")
        )
            .prop_map(|(secs, nanos, off, zone)| {
                let offset = FixedOffset::east_opt(off).unwrap();
                Value::DateTime(ZonedDateTime { datetime: offset.timestamp_opt(secs, nanos).unwrap(), zone })
            }),
        (-4_000_000_000i64..4_000_000_000, 0u32..1_000_000_000).prop_map(|(secs, nanos)| {
            Value::LocalDateTime(chrono::DateTime::from_timestamp(secs, nanos).unwrap().naive_utc())
        }),
        (any::<i32>(), any::<i32>(), any::<i32>(), 0i32..1_000_000_000).prop_map(|(m, d, s, n)| {
            Value::Duration(Duration { months: m.into(), days: d.into(), seconds: s.into(), nanoseconds: n })
        }),
        (any::<u32>(), any::<f64>(), any::<f64>(), proptest::option::of(any::<f64>()))
            .prop_map(|(srid, x, y, z)| Value::Point(Point { srid, x, y, z })),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::List),
            proptest::collection::btree_map(".{0,8}", inner, 0..6).prop_map(Value::Map),
        ]
    })
}

fn small_dump(dir: &Path) -> Vec<u8> {
    let path = dir.join("d.jsonl");
    let mut w = DumpWriter::create(&path).unwrap();
    let nodes: Vec<Node> = (0..5)
        .map(|i| Node {
            id: format!("n{i}"),
            labels: vec!["L".into()],
            properties: BTreeMap::from([("i".into(), Value::Int(i))]),
        })
        .collect();
    w.write_nodes(&nodes).unwrap();
    let rels = vec![Relationship {
        id: "r".into(),
        rel_type: "T".into(),
        start: "n0".into(),
        end: "n1".into(),
        properties: BTreeMap::new(),
    }];
    w.write_relationships(&rels).unwrap();
    w.finish().unwrap();
    std::fs::read(path).unwrap()
}

/// Reads a whole dump; `Ok(records)` or the first error. Must never panic.
fn read_all(path: &Path) -> Result<usize, String> {
    let mut reader = DumpReader::open(path).map_err(|e| e.to_string())?;
    let mut n = 0;
    while reader.next_record().map_err(|e| e.to_string())?.is_some() {
        n += 1;
    }
    Ok(n)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn every_value_round_trips(v in value()) {
        let text = serde_json::to_string(&DumpValue(&v)).unwrap();
        let ParsedValue(back) = serde_json::from_str(&text).unwrap();
        prop_assert!(back.same_as(&v), "{:?} -> {} -> {:?}", v, text, back);
    }

    #[test]
    fn the_dump_reader_never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.jsonl");
        std::fs::write(&path, &bytes).unwrap();
        let _ = read_all(&path);
    }

    #[test]
    fn a_cut_or_damaged_dump_is_an_error_never_a_short_read(cut in 0usize..2000, flip in proptest::option::of((0usize..2000, any::<u8>()))) {
        let dir = tempfile::tempdir().unwrap();
        let mut bytes = small_dump(dir.path());
        let full = bytes.len();
        bytes.truncate(cut.min(full));
        if let Some((at, b)) = flip {
            if let Some(x) = bytes.get_mut(at) { *x = b; }
        }
        let path = dir.path().join("cut.jsonl");
        std::fs::write(&path, &bytes).unwrap();
        if let Ok(n) = read_all(&path) {
            prop_assert!(cut >= full && n == 6, "a damaged dump read as {} records", n);
        }
    }

    #[test]
    fn the_config_parser_never_panics(text in "(targets:\n)?(  [a-z]{1,6}:\n(    [a-z_]{1,12}: ([a-z0-9:/.]{0,12}|!env [A-Z]{1,5}|\\[\\]|\\{\\})\n){0,4}){0,3}", junk in ".{0,40}") {
        for input in [text.clone(), format!("{text}{junk}"), junk.clone()] {
            if let Ok(config) = parse_config(Path::new("p/nodestream.yaml"), &input) {
                for (name, target) in config.targets() {
                    let _ = target.as_ref().map(|t| t.database);
                    let _ = config.target(name);
                }
                let _ = config.target("missing");
            }
        }
    }
}
