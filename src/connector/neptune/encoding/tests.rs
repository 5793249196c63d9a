use super::*;
use crate::model::sample_values;

#[test]
fn every_sample_value_is_native_or_counted() {
    let props: Properties = sample_values().into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    let mut conversions = Conversions::new();
    let out = encode_properties(&props, "Sample", false, &mut conversions).unwrap();
    let conv = |p: &str| conversions.keys().find(|k| k.property == p).map(|k| k.conversion);
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

#[test]
fn sorted_distinct_scalar_lists_stay_lists() {
    let ints = Value::List(vec![Value::Int(1), Value::Int(2), Value::Int(3)]);
    assert_eq!(encode(&ints), (Some(Json::from(vec![1, 2, 3])), None));
    let strs = Value::List(vec![Value::String("a".into()), Value::String("b".into())]);
    assert_eq!(encode(&strs).1, None);
    for lossy in [
        Value::List(vec![]),
        Value::List(vec![Value::Int(2), Value::Int(1)]),
        Value::List(vec![Value::Int(1), Value::Int(1)]),
        Value::List(vec![Value::Int(1), Value::String("a".into())]),
        Value::List(vec![Value::Float(-0.0), Value::Float(1.0)]),
    ] {
        assert_eq!(encode(&lossy).1, Some(LIST_JSON), "{lossy:?}");
    }
}

#[test]
fn strict_types_refuse_and_name_the_property() {
    let props: Properties =
        [("when".to_string(), Value::Date(chrono::NaiveDate::from_ymd_opt(2020, 1, 2).unwrap()))].into();
    let err = encode_properties(&props, "Event", true, &mut Conversions::new()).unwrap_err();
    assert_eq!((err.property.as_str(), err.type_name, err.conversion), ("when", "DATE", DATE));
}
