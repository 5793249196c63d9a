use super::*;
use crate::model::sample_values;

fn samples() -> Properties {
    sample_values().into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

fn encoded(temporal: TemporalEncoding) -> (EncodedProperties, Conversions) {
    let mut conversions = Conversions::new();
    let out = encode_properties(&samples(), "Sample", temporal, false, &mut conversions).unwrap();
    (out, conversions)
}

fn conversion(conversions: &Conversions, property: &str) -> Option<&'static str> {
    conversions.keys().find(|k| k.property == property).map(|k| k.conversion)
}

#[test]
fn every_sample_value_is_native_or_counted() {
    let (out, conversions) = encoded(TemporalEncoding::String);
    let (out, conv) = (out.plain, |p: &str| conversion(&conversions, p));
    assert_eq!(out["int_min"], Json::from(i64::MIN));
    assert_eq!(out["float"], Json::from(0.1 + 0.2));
    assert_eq!(out["string_empty"], Json::from(""));
    assert!(!out.contains_key("null"));
    assert_eq!(conv("null"), Some(NULL_OMITTED));
    assert_eq!((out["float_nan"].clone(), conv("float_nan")), (Json::from("NaN"), Some(SPECIAL_FLOAT)));
    assert_eq!(out["bytes"], Json::from("AP8BAoA="));
    assert_eq!(out["list_of_strings"], Json::from(r#"["a","a","b"]"#));
    assert_eq!(conv("list_of_ints"), Some(LIST_JSON));
    assert_eq!(out["map"], Json::from(r#"{"$date":1,"nested":{"$map":{}}}"#));
    assert_eq!(out["date"], Json::from("2024-02-29"));
    assert_eq!(out["date_bce"], Json::from("-0044-03-15"));
    assert_eq!(out["time"], Json::from("23:59:58.123456789-05:30"));
    assert_eq!(out["datetime_zone"], Json::from("2024-02-29T23:59:58.123456789+01:00[Europe/Paris]"));
    assert_eq!(out["local_datetime"], Json::from("2024-02-29T23:59:58.123456789"));
    assert_eq!(out["duration"], Json::from("P14M3DT3723.5S"));
    assert_eq!(out["point_wgs84"], Json::from("SRID=4326;POINT(2.3522 48.8566)"));
    assert_eq!(out["point_cartesian_3d"], Json::from("SRID=9157;POINT Z(-1 0 0.000000001)"));
    assert_eq!(conv("bool"), None);
    assert_eq!(conv("datetime_zone"), Some(DATETIME));
    assert!(conversions.keys().all(|k| k.scope == "Sample"));
}

#[test]
fn temporal_text_is_the_dumps_text() {
    for (name, value) in sample_values() {
        if let Ok(Json::Object(tagged)) = serde_json::to_value(DumpValue(&value)) {
            let (tag, dumped) = tagged.into_iter().next().expect("one key");
            if matches!(tag.as_str(), "$date" | "$time" | "$localtime" | "$datetime" | "$localdatetime") {
                assert_eq!(Json::from(text_form(&value)), dumped, "{name}");
            }
        }
    }
}

/// Neptune Database refuses a list property value through openCypher, and Neptune Analytics
/// documents none: every list, even a sorted one of one scalar kind, is its JSON text.
#[test]
fn every_list_is_its_json_text() {
    for temporal in [TemporalEncoding::DateTime, TemporalEncoding::String] {
        for (list, text) in [
            (Value::List(vec![Value::Int(1), Value::Int(2), Value::Int(3)]), "[1,2,3]"),
            (Value::List(vec![Value::String("a".into()), Value::String("b".into())]), r#"["a","b"]"#),
            (Value::List(vec![]), "[]"),
            (Value::List(vec![Value::Float(-0.0), Value::Float(1.0)]), "[-0.0,1.0]"),
        ] {
            assert_eq!(encode(&list, temporal), (Encoded::Json(Json::from(text)), Some(LIST_JSON)), "{list:?}");
        }
    }
    // A list of temporal values is a list: its text, with each value tagged as the dump writes it.
    let dates = Value::List(vec![Value::Date(chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap())]);
    assert_eq!(encode(&dates, TemporalEncoding::DateTime), (Encoded::Json(Json::from(r#"[{"$date":"2024-01-01"}]"#)), Some(LIST_JSON)));
}

#[test]
fn datetime_encoding_sends_utc_milliseconds_and_names_what_it_drops() {
    let (out, conversions) = encoded(TemporalEncoding::DateTime);
    let conv = |p: &str| conversion(&conversions, p);
    let dt = |p: &str| out.datetimes.get(p).and_then(Json::as_str).map(str::to_string);
    assert_eq!(dt("date").as_deref(), Some("2024-02-29T00:00:00.000Z"));
    assert_eq!(conv("date"), Some(DATE_AS_DATETIME));
    assert_eq!(dt("local_datetime").as_deref(), Some("2024-02-29T23:59:58.123Z"));
    assert_eq!(conv("local_datetime"), Some(LOCAL_DATETIME_AS_DATETIME_MS));
    assert_eq!(dt("datetime_offset").as_deref(), Some("2024-02-29T22:59:58.123Z"));
    assert_eq!(conv("datetime_offset"), Some(DATETIME_AS_DATETIME_OFFSET_MS));
    assert_eq!(dt("datetime_zone").as_deref(), Some("2024-02-29T22:59:58.123Z"));
    assert_eq!(conv("datetime_zone"), Some(DATETIME_AS_DATETIME_ZONE_MS));
    assert_eq!(dt("datetime_historic_zone").as_deref(), Some("1899-12-31T23:40:28.000Z"));
    assert_eq!(conv("datetime_historic_zone"), Some(DATETIME_AS_DATETIME_ZONE));
    // No DateTime counterpart, or a year its text cannot hold: the exact ISO string.
    assert_eq!(out.plain["time"], Json::from("23:59:58.123456789-05:30"));
    assert_eq!(out.plain["local_time"], Json::from("23:59:58.123456789"));
    assert_eq!(out.plain["duration"], Json::from("P14M3DT3723.5S"));
    assert_eq!(out.plain["point_wgs84"], Json::from("SRID=4326;POINT(2.3522 48.8566)"));
    assert_eq!((out.plain["date_bce"].clone(), conv("date_bce")), (Json::from("-0044-03-15"), Some(DATE_OUT_OF_RANGE)));
    for p in out.datetimes.keys() {
        assert!(!out.plain.contains_key(p), "{p} is sent once");
    }
    // Only what drops something says LOSSY.
    assert!(conversions.keys().filter(|k| k.conversion.contains("LOSSY")).all(|k| k.conversion.contains("drops")));
    assert!(!DATE_AS_DATETIME.contains("LOSSY") && !DATETIME_AS_DATETIME.contains("LOSSY"));
}

#[test]
fn an_exact_utc_datetime_is_a_plain_type_conversion() {
    use chrono::TimeZone;
    let utc = chrono::FixedOffset::east_opt(0).unwrap();
    let at = |nanos| Value::DateTime(ZonedDateTime {
        datetime: utc.with_ymd_and_hms(2024, 2, 29, 22, 59, 58).unwrap() + chrono::Duration::nanoseconds(nanos),
        zone: None,
    });
    let text = Encoded::DateTime("2024-02-29T22:59:58.123Z".into());
    assert_eq!(encode(&at(123_000_000), TemporalEncoding::DateTime), (text.clone(), Some(DATETIME_AS_DATETIME)));
    assert_eq!(encode(&at(123_999_999), TemporalEncoding::DateTime), (text, Some(DATETIME_AS_DATETIME_MS)));
    let plus_two = Value::DateTime(ZonedDateTime {
        datetime: chrono::FixedOffset::east_opt(7200).unwrap().with_ymd_and_hms(2024, 1, 1, 2, 0, 0).unwrap(),
        zone: None,
    });
    assert_eq!(
        encode(&plus_two, TemporalEncoding::DateTime),
        (Encoded::DateTime("2024-01-01T00:00:00.000Z".into()), Some(DATETIME_AS_DATETIME_OFFSET))
    );
    let local = Value::LocalDateTime(chrono::NaiveDate::from_ymd_opt(9999, 12, 31).unwrap().and_hms_opt(23, 59, 59).unwrap());
    assert_eq!(
        encode(&local, TemporalEncoding::DateTime),
        (Encoded::DateTime("9999-12-31T23:59:59.000Z".into()), Some(LOCAL_DATETIME_AS_DATETIME))
    );
}

#[test]
fn neptune_datetime_answers_normalize_to_the_sent_text() {
    for answer in ["2024-02-29T22:59:58.123Z", "2024-02-29T22:59:58.123000Z", "2024-02-29T23:59:58.123+01:00"] {
        assert_eq!(normalize_datetime(answer).as_deref(), Some("2024-02-29T22:59:58.123Z"), "{answer}");
    }
    assert_eq!(normalize_datetime("2024-02-29T00:00:00Z").as_deref(), Some("2024-02-29T00:00:00.000Z"));
    assert_eq!(normalize_datetime("2024-02-29T00:00Z").as_deref(), Some("2024-02-29T00:00:00.000Z"));
    assert_eq!(normalize_datetime("2024-02-29T01:00+01:00").as_deref(), Some("2024-02-29T00:00:00.000Z"));
    assert_eq!(normalize_datetime("2024-02-29T00:00:00.5").as_deref(), Some("2024-02-29T00:00:00.500Z"));
    assert_eq!(normalize_datetime("2024-02-29"), None);
    assert_eq!(normalize_datetime("hello"), None);
}

#[test]
fn strict_types_refuse_and_name_the_property() {
    let props: Properties =
        [("when".to_string(), Value::Date(chrono::NaiveDate::from_ymd_opt(2020, 1, 2).unwrap()))].into();
    for (temporal, conversion) in [(TemporalEncoding::String, DATE), (TemporalEncoding::DateTime, DATE_AS_DATETIME)] {
        let err = encode_properties(&props, "Event", temporal, true, &mut Conversions::new()).unwrap_err();
        assert_eq!((err.property.as_str(), err.type_name, err.conversion), ("when", "DATE", conversion));
    }
}

#[test]
fn datetime_text_is_chronos_millisecond_form() {
    use chrono::Timelike;
    let at = |y, mo, d, h, mi, se, ns| chrono::NaiveDate::from_ymd_opt(y, mo, d).unwrap().and_hms_nano_opt(h, mi, se, ns).unwrap();
    for t in [
        at(1, 1, 1, 0, 0, 0, 0),
        at(2024, 2, 29, 23, 59, 59, 999_999_999),
        at(9999, 12, 31, 1, 2, 3, 4_000_000),
        at(2016, 12, 31, 23, 59, 59, 1_500_000_000),
    ] {
        let ms = t.with_nanosecond(t.nanosecond() / 1_000_000 * 1_000_000).unwrap();
        assert_eq!(datetime_text(&t).unwrap(), ms.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(), "{t:?}");
    }
    assert_eq!(datetime_text(&at(10000, 1, 1, 0, 0, 0, 0)), None);
}
