//! Neptune's `datetime()` and its DateTime values, which the engine would model differently.
//!
//! Neptune stores a DateTime with millisecond precision in UTC (shared NEPTUNE.md, from the AWS
//! user guide; AWS's "openCypher data model" page lists DateTime among the property types). So
//! the server computes every
//! `datetime(...)` itself, like `removeKeyFromMap` ([`super::remove_key`]): a string literal
//! becomes a literal, a parameter (`$p.a`) a new parameter `$__gf_dt_<n>`, and a field path of
//! an UNWIND row (`row.temporal.dt`) a new field `row.__gf_dt_<n>` of every row; `datetime()`
//! is the current time. The value is the instant in UTC, sub-millisecond digits dropped and
//! the offset applied, stored as [`TAG`] + `yyyy-MM-ddTHH:mm:ss.SSSZ`: fixed width, so
//! comparisons and ORDER BY between DateTimes are chronological, and never equal to a String.
//! Results show it the way Neptune's JSON does ([`to_neptune`]).
//!
//! Accepted strings: `yyyy-MM-dd` (midnight UTC), `yyyy-MM-ddTHH:mm`, `yyyy-MM-ddTHH:mm:ss`,
//! with an optional fraction of any length, and optionally `Z` or an offset `±HH:mm`, `±HHmm`,
//! `±HH` after a time (none means UTC). These are the ISO-8601 shapes of the loader's DateTime
//! (`yyyy-MM-dd`, `yyyy-MM-ddTHH:mm`, `yyyy-MM-ddTHH:mm:ss`, `yyyy-MM-ddTHH:mm:ssZ`; AWS,
//! bulk-load-tutorial-format-opencypher.html) plus fractions and offsets. A zone name
//! (`...Z[UTC]`) is refused: Neptune answered `Unable to parse the date time = ...` to
//! `datetime('2022-06-19T15:47:38.590917308Z[UTC]')` (neo4j/cypher-dsl#389). That report came
//! over Bolt, without an HTTP code; the server answers 400 InvalidParameterException (the code
//! Neptune documents for an invalid input value) and leaves the value out of the message.
//!
//! Other arguments (a map, an expression computed in the query) are refused with
//! MalformedQueryException naming the function, as a limit of this test server.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, TimeZone, Utc};
use serde_json::{Map, Value};

use super::lexer::{Kind, Token};
use super::remove_key::Source;
use crate::error::NeptuneError;

pub const FUNCTION: &str = "datetime";
/// Prefix of the parameters and row fields the server adds.
const FIELD_PREFIX: &str = "__gf_dt_";
/// Marks a stored DateTime (a private-use character no client sends in a property name or value).
pub const TAG: char = '\u{F8FF}';

/// A `datetime(...)` call the server computes from the values sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conversion {
    pub source: Source,
    pub field: String,
}

/// A parsed call: the index of its `)` and the text replacing it, plus the conversion to
/// compute when the argument comes from the parameters.
pub struct Call {
    pub close: usize,
    pub replacement: String,
    pub conversion: Option<Conversion>,
}

pub fn field_name(n: usize) -> String {
    format!("{FIELD_PREFIX}{n}")
}

fn limit(why: impl std::fmt::Display) -> NeptuneError {
    NeptuneError::malformed(format!(
        "Function {FUNCTION}() is supported by this test server on a string literal, a query parameter or a field \
         of the rows of an UNWIND parameter list: {why}"
    ))
}

fn unparsable(at: &str) -> NeptuneError {
    NeptuneError::invalid_parameter(format!("Unable to parse the date time ({at})"))
}

/// Parses the call whose name is `toks[at]`; `n` numbers the conversion it may need.
pub fn parse(toks: &[Token<'_>], at: usize, unwinds: &HashMap<String, String>, n: usize) -> Result<Call, NeptuneError> {
    let tok = |j: usize| toks.get(j).ok_or_else(|| limit("the call is not closed"));
    let arg = tok(at + 2)?;
    if arg.is(")") {
        let now = Utc::now().timestamp_millis();
        return Ok(Call { close: at + 2, replacement: literal(now), conversion: None });
    }
    if arg.kind == Kind::Str && tok(at + 3)?.is(")") {
        let text = super::remove_key::unquote(arg.text);
        let ms = parse_text(&text).ok_or_else(|| unparsable(&format!("the literal at offset {}", arg.start)))?;
        return Ok(Call { close: at + 3, replacement: literal(ms), conversion: None });
    }
    if arg.is_kw("null") && tok(at + 3)?.is(")") {
        return Ok(Call { close: at + 3, replacement: "null".into(), conversion: None });
    }
    let mut path = Vec::new();
    let mut j = at + 3;
    while tok(j)?.is(".") && tok(j + 1)?.is_name() {
        path.push(tok(j + 1)?.name());
        j += 2;
    }
    if !tok(j)?.is(")") {
        return Err(limit(format!("the argument is an expression (found `{}`)", tok(j)?.text)));
    }
    let field = field_name(n);
    let (source, replacement) = match arg.kind {
        Kind::Param => (Source::Param { name: arg.text[1..].to_string(), path }, format!("${field}")),
        Kind::Ident | Kind::Quoted => match unwinds.get(&arg.name()) {
            Some(list) => (Source::Row { list: list.clone(), var: arg.name(), path }, format!("{}.{field}", arg.text)),
            None => return Err(limit(format!("`{}` is not a variable bound by `UNWIND $list AS ...`", arg.text))),
        },
        _ => return Err(limit(format!("the argument `{}` is not a string or parameter", arg.text))),
    };
    Ok(Call { close: j, replacement, conversion: Some(Conversion { source, field }) })
}

/// A Cypher string literal holding the stored form of `ms`.
fn literal(ms: i64) -> String {
    format!("'{}'", stored(ms))
}

/// Milliseconds since the epoch, UTC, of a string Neptune's `datetime()` accepts.
pub fn parse_text(s: &str) -> Option<i64> {
    let (date, rest) = s.split_at_checked(10)?;
    let date = NaiveDate::parse_from_str(date, "%Y-%m-%d").ok().filter(|_| date.as_bytes()[4] == b'-')?;
    let Some(rest) = rest.strip_prefix('T') else {
        return rest.is_empty().then(|| Utc.from_utc_datetime(&date.and_time(NaiveTime::MIN)).timestamp_millis());
    };
    let digits = |t: &str| t.len() == 2 && t.bytes().all(|b| b.is_ascii_digit());
    let offset_at = rest.find(['Z', '+', '-']).unwrap_or(rest.len());
    let (clock, zone) = rest.split_at(offset_at);
    let (hms, fraction) = clock.split_once('.').map_or((clock, None), |(a, b)| (a, Some(b)));
    let parts: Vec<&str> = hms.split(':').collect();
    if !(2..=3).contains(&parts.len()) || !parts.iter().all(|p| digits(p)) {
        return None;
    }
    let num = |p: &str| p.parse::<u32>().ok();
    let millis = match fraction {
        None => 0,
        Some(f) if parts.len() == 3 && !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()) => {
            format!("{:0<3}", &f[..f.len().min(3)]).parse::<u32>().ok()?
        }
        Some(_) => return None,
    };
    let time = NaiveTime::from_hms_milli_opt(
        num(parts[0])?,
        num(parts[1])?,
        parts.get(2).map_or(Some(0), |p| num(p))?,
        millis,
    )?;
    let offset_secs: i64 = match zone {
        "" | "Z" => 0,
        _ => {
            let sign = if zone.starts_with('-') { -1 } else { 1 };
            let z = &zone[1..];
            let (h, m) = match z.len() {
                2 => (z, "00"),
                4 => z.split_at(2),
                5 if z.as_bytes()[2] == b':' => (&z[..2], &z[3..]),
                _ => return None,
            };
            if !digits(h) || !digits(m) || num(h)? > 18 || num(m)? > 59 {
                return None;
            }
            sign * (i64::from(num(h)?) * 3600 + i64::from(num(m)?) * 60)
        }
    };
    let ms = Utc.from_utc_datetime(&date.and_time(time)).timestamp_millis() - offset_secs * 1000;
    // Four-digit years only, so the stored form stays fixed-width.
    DateTime::from_timestamp_millis(ms).filter(|d| (0..=9999).contains(&d.year())).map(|_| ms)
}

/// The stored form: [`TAG`] + `yyyy-MM-ddTHH:mm:ss.SSSZ`.
pub fn stored(ms: i64) -> String {
    let d = DateTime::from_timestamp_millis(ms).unwrap_or_default();
    format!("{TAG}{}", d.format("%Y-%m-%dT%H:%M:%S%.3fZ"))
}

/// A stored DateTime as Neptune shows it in JSON results: ISO-8601 in UTC with `Z`, the
/// milliseconds only when not zero (`2024-02-29T22:59:58.123Z`, `2024-02-29T22:59:58Z`).
/// Any other string is returned unchanged.
pub fn to_neptune(s: &str) -> Option<String> {
    let body = s.strip_prefix(TAG)?;
    Some(body.replace(".000Z", "Z"))
}

/// Adds the value of every conversion to `params`: new parameters, then new row fields.
pub fn apply(conversions: &[Conversion], params: &mut Map<String, Value>) -> Result<(), NeptuneError> {
    for c in conversions {
        match &c.source {
            Source::Param { name, path } => {
                let v = convert(descend(params.get(name), path), &describe(&format!("${name}"), path))?;
                if params.contains_key(&c.field) {
                    return Err(limit(format!("the parameter name {} is reserved by the test server", c.field)));
                }
                params.insert(c.field.clone(), v);
            }
            Source::Row { list, path, .. } => {
                let Some(Value::Array(rows)) = params.get_mut(list) else { continue };
                for (i, row) in rows.iter_mut().enumerate() {
                    let at = describe(&format!("${list}[{i}]"), path);
                    let v = convert(descend(Some(row), path), &at)?;
                    let Value::Object(m) = row else { continue };
                    if m.contains_key(&c.field) {
                        return Err(limit(format!("the row field name {} is reserved by the test server", c.field)));
                    }
                    m.insert(c.field.clone(), v);
                }
            }
        }
    }
    Ok(())
}

fn describe(base: &str, path: &[String]) -> String {
    path.iter().fold(base.to_string(), |s, p| format!("{s}.{p}"))
}

fn descend<'v>(v: Option<&'v Value>, path: &[String]) -> Option<&'v Value> {
    path.iter().try_fold(v?, |cur, seg| cur.as_object()?.get(seg))
}

fn convert(v: Option<&Value>, at: &str) -> Result<Value, NeptuneError> {
    match v {
        None | Some(Value::Null) => Ok(Value::Null),
        Some(Value::String(s)) => parse_text(s).map(|ms| Value::String(stored(ms))).ok_or_else(|| unparsable(at)),
        Some(_) => Err(NeptuneError::invalid_parameter(format!("{FUNCTION}() takes a string ({at})"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn shown(s: &str) -> Option<String> {
        parse_text(s).map(|ms| to_neptune(&stored(ms)).unwrap())
    }

    #[test]
    fn accepted_forms_become_utc_milliseconds() {
        assert_eq!(shown("2024-02-29").as_deref(), Some("2024-02-29T00:00:00Z"));
        assert_eq!(shown("2024-02-29T23:59").as_deref(), Some("2024-02-29T23:59:00Z"));
        assert_eq!(shown("2024-02-29T23:59:58").as_deref(), Some("2024-02-29T23:59:58Z"));
        assert_eq!(shown("2024-02-29T23:59:58Z").as_deref(), Some("2024-02-29T23:59:58Z"));
        // Offset applied, digits below the millisecond dropped (not rounded).
        assert_eq!(shown("2024-02-29T23:59:58.123999+01:00").as_deref(), Some("2024-02-29T22:59:58.123Z"));
        assert_eq!(shown("2024-03-01T00:30:00.5-0130").as_deref(), Some("2024-03-01T02:00:00.500Z"));
        assert_eq!(shown("2024-03-01T00:30:00+05").as_deref(), Some("2024-02-29T19:30:00Z"));
        assert_eq!(shown("1969-12-31T23:59:59.999Z").as_deref(), Some("1969-12-31T23:59:59.999Z"));
    }

    #[test]
    fn other_forms_are_refused() {
        for s in [
            "2022-06-19T15:47:38.590917308Z[UTC]",
            "2024-02-30",
            "2024-2-29",
            "2024-02-29 10:00:00",
            "2024-02-29T10",
            "2024-02-29T10:00:00.",
            "2024-02-29Z",
            "2024-02-29T25:00",
            "2024-02-29T10:00+1:00",
            "2024-W09-4",
            "",
            "10000-01-01",
        ] {
            assert_eq!(parse_text(s), None, "{s}");
        }
    }

    #[test]
    fn stored_form_orders_chronologically_and_is_tagged() {
        let a = stored(parse_text("1999-12-31T23:59:59.999Z").unwrap());
        let b = stored(parse_text("2000-01-01T00:00:00+00:00").unwrap());
        assert!(a < b);
        assert!(a.starts_with(TAG));
        assert_eq!(to_neptune("2024-01-01T00:00:00Z"), None, "plain strings are not DateTimes");
    }

    #[test]
    fn row_fields_and_parameters_are_converted() {
        let mut p = json!({"rows": [{"t": {"dt": "2024-01-01T01:00:00+01:00"}}, {"t": {}}], "x": 3})
            .as_object()
            .unwrap()
            .clone();
        let c = |source, n| Conversion { source, field: field_name(n) };
        let row = Source::Row { list: "rows".into(), var: "row".into(), path: vec!["t".into(), "dt".into()] };
        apply(&[c(row, 0)], &mut p).unwrap();
        assert_eq!(p["rows"][0]["__gf_dt_0"], json!(stored(parse_text("2024-01-01T00:00:00Z").unwrap())));
        assert_eq!(p["rows"][1]["__gf_dt_0"], Value::Null);
        let e = apply(&[c(Source::Param { name: "x".into(), path: vec![] }, 1)], &mut p).unwrap_err();
        assert_eq!(e.code, "InvalidParameterException");
        let mut p = json!({"x": "2024-01-01T00:00:00Z[UTC]"}).as_object().unwrap().clone();
        let e = apply(&[c(Source::Param { name: "x".into(), path: vec![] }, 0)], &mut p).unwrap_err();
        assert_eq!((e.code, e.message.contains("[UTC]")), ("InvalidParameterException", false));
    }
}
