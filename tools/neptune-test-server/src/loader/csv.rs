//! Reading openCypher load files as Neptune's loader does
//! (https://docs.aws.amazon.com/neptune/latest/userguide/bulk-load-tutorial-format-opencypher.html):
//! RFC 4180 CSV in UTF-8, a header row of system columns (`:ID`, `:LABEL`, `:START_ID`,
//! `:END_ID`, `:TYPE`, each at most once) and `name:Type` property columns.
//!
//! Cells keep whether they were quoted, because an unquoted empty cell is no value while `""`
//! is an empty string: a general CSV reader loses that, so this one is written here.

use serde_json::{json, Value};

/// One cell: its text, and whether it was quoted.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    pub text: String,
    pub quoted: bool,
}

/// A record and the 1-based line it starts on.
pub type Record = (usize, Vec<Cell>);

/// Splits RFC 4180 text into records; an error names the line and what is wrong there.
pub fn records(text: &str) -> Result<Vec<Record>, (usize, String)> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    let mut line = 1;
    while chars.peek().is_some() {
        let start = line;
        let mut record = Vec::new();
        loop {
            let mut cell = Cell { text: String::new(), quoted: false };
            if chars.peek() == Some(&'"') {
                chars.next();
                cell.quoted = true;
                loop {
                    match chars.next() {
                        None => return Err((start, "a quoted field is not closed".into())),
                        Some('"') if chars.peek() == Some(&'"') => {
                            chars.next();
                            cell.text.push('"');
                        }
                        Some('"') => break,
                        Some(c) => {
                            if c == '\n' {
                                line += 1;
                            }
                            cell.text.push(c);
                        }
                    }
                }
            } else {
                while let Some(&c) = chars.peek() {
                    if matches!(c, ',' | '\r' | '\n') {
                        break;
                    }
                    if c == '"' {
                        return Err((line, "a quote inside an unquoted field".into()));
                    }
                    cell.text.push(c);
                    chars.next();
                }
            }
            record.push(cell);
            match chars.next() {
                Some(',') => continue,
                Some('\r') => {
                    if chars.next() != Some('\n') {
                        return Err((line, "a carriage return not followed by a line feed".into()));
                    }
                    line += 1;
                    break;
                }
                Some('\n') => {
                    line += 1;
                    break;
                }
                None => break,
                Some(c) => return Err((line, format!("unexpected `{c}` after a quoted field"))),
            }
        }
        out.push((start, record));
    }
    Ok(out)
}

/// A property column's type, per the format's list: Bool, Byte, Short, Int, Long, Float,
/// Double, String, DateTime (names not case sensitive). The openCypher format takes no arrays.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Type {
    Bool,
    Byte,
    Short,
    Int,
    Long,
    Float,
    Double,
    String,
    DateTime,
}

/// What a header column is.
#[derive(Debug, Clone, PartialEq)]
pub enum Column {
    Id,
    Label,
    StartId,
    EndId,
    Type,
    Property(String, Type),
}

pub fn column(header: &str) -> Result<Column, String> {
    match header {
        ":ID" => return Ok(Column::Id),
        ":LABEL" => return Ok(Column::Label),
        ":START_ID" => return Ok(Column::StartId),
        ":END_ID" => return Ok(Column::EndId),
        ":TYPE" => return Ok(Column::Type),
        _ => {}
    }
    if header.contains([' ', ',', '\r', '\n']) {
        return Err(format!("column header `{header}` holds a space, comma or line break"));
    }
    // The type follows the last colon not escaped as `\:`.
    let bytes = header.as_bytes();
    let split = (0..bytes.len()).rev().find(|&i| bytes[i] == b':' && (i == 0 || bytes[i - 1] != b'\\'));
    let (name, type_name) = match split {
        Some(i) => (&header[..i], &header[i + 1..]),
        None => (header, "String"),
    };
    let name = name.replace("\\:", ":");
    if name.is_empty() {
        return Err(format!("column header `{header}` names no property (unknown system column?)"));
    }
    if type_name.ends_with("[]") {
        return Err(format!("column `{header}`: the openCypher load format takes no array types"));
    }
    let t = match type_name.to_ascii_lowercase().as_str() {
        "bool" | "boolean" => Type::Bool,
        "byte" => Type::Byte,
        "short" => Type::Short,
        "int" => Type::Int,
        "long" => Type::Long,
        "float" => Type::Float,
        "double" => Type::Double,
        "string" => Type::String,
        "datetime" => Type::DateTime,
        other => return Err(format!("column `{header}`: unknown type `{other}`")),
    };
    Ok(Column::Property(name, t))
}

/// A cell's value for a column of type `t`: a JSON value for the engine, or, for DateTime, the
/// text `datetime()` is given. `Err` is a data type mismatch.
pub fn value(t: Type, text: &str) -> Result<Value, String> {
    let int = |min: i64, max: i64| {
        text.parse::<i64>().ok().filter(|v| (min..=max).contains(v)).map(Value::from).ok_or_else(|| mismatch(t, text))
    };
    match t {
        Type::Bool if text.eq_ignore_ascii_case("true") => Ok(Value::Bool(true)),
        Type::Bool if text.eq_ignore_ascii_case("false") => Ok(Value::Bool(false)),
        Type::Bool => Err(mismatch(t, text)),
        Type::Byte => int(i8::MIN.into(), i8::MAX.into()),
        Type::Short => int(i16::MIN.into(), i16::MAX.into()),
        Type::Int => int(i32::MIN.into(), i32::MAX.into()),
        Type::Long => int(i64::MIN, i64::MAX),
        Type::Float | Type::Double => match text {
            // Java's spellings; JSON has no such numbers, and the query path refuses them too.
            "NaN" | "Infinity" | "+Infinity" | "-Infinity" => {
                Err(format!("{text} cannot be stored by this test server"))
            }
            _ => text
                .parse::<f64>()
                .ok()
                .filter(|f| f.is_finite() && !text.contains(|c: char| c.is_ascii_alphabetic() && c != 'e' && c != 'E'))
                .map(|f| json!(f))
                .ok_or_else(|| mismatch(t, text)),
        },
        Type::String => Ok(Value::String(text.to_string())),
        Type::DateTime => datetime(text).map(Value::String).ok_or_else(|| mismatch(t, text)),
    }
}

/// The DateTime forms the format lists (`yyyy-MM-dd`, `yyyy-MM-ddTHH:mm`,
/// `yyyy-MM-ddTHH:mm:ss`, `yyyy-MM-ddTHH:mm:ssZ`) plus `yyyy-MM-ddTHH:mm:ss.SSSZ`, the
/// millisecond form of Neptune Analytics' list
/// (https://docs.aws.amazon.com/neptune-analytics/latest/userguide/csv-column-types.html), as
/// the text `datetime()` takes (UTC).
fn datetime(text: &str) -> Option<String> {
    use chrono::NaiveDateTime;
    if let Ok(d) = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return (text.len() == 10).then(|| format!("{}T00:00:00.000Z", d.format("%Y-%m-%d")));
    }
    let forms =
        [("%Y-%m-%dT%H:%M", 16), ("%Y-%m-%dT%H:%M:%S", 19), ("%Y-%m-%dT%H:%M:%SZ", 20), ("%Y-%m-%dT%H:%M:%S%.3fZ", 24)];
    forms
        .iter()
        .find_map(|(f, len)| NaiveDateTime::parse_from_str(text, f).ok().filter(|_| text.len() == *len))
        .map(|d| d.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
}

fn mismatch(t: Type, text: &str) -> String {
    // The value is left out: property values never appear in messages.
    format!("a value of {} characters is not a {t:?}", text.chars().count())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_empty_is_a_value_and_unquoted_empty_is_none() {
        let r = records("a,,\"\",\"x,\"\"y\"\"\nz\"\r\nb,c,d,e\n").unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].1[1], Cell { text: String::new(), quoted: false });
        assert_eq!(r[0].1[2], Cell { text: String::new(), quoted: true });
        assert_eq!(r[0].1[3].text, "x,\"y\"\nz");
        assert_eq!(r[1].0, 3, "the second record starts on line 3");
    }

    #[test]
    fn headers_and_types() {
        assert_eq!(column("a\\:b:Long"), Ok(Column::Property("a:b".into(), Type::Long)));
        assert_eq!(column("name"), Ok(Column::Property("name".into(), Type::String)));
        assert!(column("tags:String[]").is_err());
        assert!(column("a b:Int").is_err());
        assert!(column("x:Decimal").is_err());
        assert_eq!(value(Type::Byte, "128").unwrap_err(), "a value of 3 characters is not a Byte");
        assert_eq!(value(Type::DateTime, "2024-02-29T10:00Z").ok(), None);
        assert_eq!(value(Type::DateTime, "2024-02-29").unwrap(), "2024-02-29T00:00:00.000Z");
        assert_eq!(value(Type::DateTime, "2024-02-29T10:00:01.250Z").unwrap(), "2024-02-29T10:00:01.250Z");
        assert_eq!(value(Type::Double, "1e-310").unwrap(), json!(1e-310));
    }
}
