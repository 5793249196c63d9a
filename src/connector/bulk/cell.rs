//! Writing CSV cells by hand, because both loaders tell an *absent* value from an *empty string*
//! by quoting alone: an unquoted empty cell is no value, `""` is the empty string (RFC 4180
//! quoting, which Neptune's openCypher format follows: "conforms to the RFC 4180 CSV
//! specification", https://docs.aws.amazon.com/neptune/latest/userguide/bulk-load-tutorial-format-opencypher.html;
//! neo4j-admin import keeps `""` as an empty string unless `--ignore-empty-strings`,
//! https://neo4j.com/docs/operations-manual/current/import/). The `csv` crate quotes an empty
//! field only when it is alone on its line, so it cannot write that difference.

/// Appends one cell holding `text` (a value, so an empty text is written `""`), preceded by a
/// comma unless it is the line's first.
pub fn value(line: &mut String, text: &str) {
    separator(line);
    if text.is_empty() || needs_quotes(text) {
        quoted(line, text);
    } else {
        line.push_str(text);
    }
}

/// Appends a cell holding a number (never quoted).
pub fn number(line: &mut String, n: usize) {
    use std::fmt::Write;
    separator(line);
    write!(line, "{n}").expect("writing to a String cannot fail");
}

/// Appends an empty cell: no value.
pub fn absent(line: &mut String) {
    separator(line);
}

/// Ends the line (RFC 4180 line break).
pub fn end(line: &mut String) {
    line.push_str("\r\n");
}

fn separator(line: &mut String) {
    if !line.is_empty() && !line.ends_with('\n') {
        line.push(',');
    }
}

/// Quotes for the field separator, quotes and line breaks, and for leading or trailing spaces,
/// which readers that trim (`neo4j-admin --trim-strings`) would otherwise cut.
fn needs_quotes(text: &str) -> bool {
    text.bytes().any(|b| matches!(b, b',' | b'"' | b'\r' | b'\n'))
        || text.starts_with(char::is_whitespace)
        || text.ends_with(char::is_whitespace)
}

fn quoted(line: &mut String, text: &str) {
    line.push('"');
    for c in text.chars() {
        if c == '"' {
            line.push('"');
        }
        line.push(c);
    }
    line.push('"');
}

/// Appends a cell exactly as spooled (`raw` from [`split`]: quoted if it was, empty if absent).
pub fn raw(line: &mut String, raw: &str) {
    separator(line);
    line.push_str(raw);
}

/// The lines of text written with these functions, each with its line break; a line break
/// inside quotes belongs to a value.
pub fn lines(text: &str) -> impl Iterator<Item = &str> {
    let bytes = text.as_bytes();
    let mut start = 0;
    let mut quoted = false;
    let mut at = 0;
    std::iter::from_fn(move || {
        while at < bytes.len() {
            let b = bytes[at];
            at += 1;
            match b {
                b'"' => quoted = !quoted,
                b'\n' if !quoted => {
                    let line = &text[start..at];
                    start = at;
                    return Some(line);
                }
                _ => {}
            }
        }
        (start < bytes.len()).then(|| {
            let line = &text[start..];
            start = bytes.len();
            line
        })
    })
}

/// Splits one line (its break optional) into its cells as written: quotes and doubled quotes
/// kept, an absent value an empty slice, so [`raw`] writes each back unchanged.
pub fn split<'a>(line: &'a str, cells: &mut Vec<&'a str>) {
    let line = line.strip_suffix("\r\n").unwrap_or(line);
    let mut quoted = false;
    let mut start = 0;
    for (i, b) in line.bytes().enumerate() {
        match b {
            b'"' => quoted = !quoted,
            b',' if !quoted => {
                cells.push(&line[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    cells.push(&line[start..]);
}

/// The value of a cell as written (see [`split`]): quotes removed, doubled quotes undone.
pub fn unquote(raw: &str) -> std::borrow::Cow<'_, str> {
    match raw.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
        Some(inner) if inner.contains('"') => inner.replace("\"\"", "\"").into(),
        Some(inner) => inner.into(),
        None => raw.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(cells: &[Option<&str>]) -> String {
        let mut line = String::new();
        for c in cells {
            match c {
                Some(t) => value(&mut line, t),
                None => absent(&mut line),
            }
        }
        end(&mut line);
        line
    }

    #[test]
    fn empty_strings_are_quoted_and_absent_values_are_not() {
        assert_eq!(row(&[Some("a"), None, Some(""), None]), "a,,\"\",\r\n");
    }

    #[test]
    fn the_csv_crate_reads_back_every_awkward_value_exactly() {
        let awkward = ["a,b", "say \"hi\"", "two\nlines", "cr\r\nlf", ";", " pad ", "ünï ✓", "", "plain"];
        let line = row(&awkward.iter().map(|s| Some(*s)).collect::<Vec<_>>());
        let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(line.as_bytes());
        let record = reader.records().next().unwrap().unwrap();
        assert_eq!(record.iter().collect::<Vec<_>>(), awkward);
    }

    #[test]
    fn spooled_lines_split_back_into_the_cells_as_written() {
        let awkward =
            [Some("a,b"), None, Some("say \"hi\""), Some("two\nlines"), Some("cr\r\nlf"), Some(""), Some("plain")];
        let one = row(&awkward);
        let text = format!("{one}{}", row(&[Some("x"), None]));
        let lines: Vec<&str> = lines(&text).collect();
        assert_eq!(lines, [one.as_str(), "x,\r\n"]);
        let mut cells = Vec::new();
        split(lines[0], &mut cells);
        let values: Vec<Option<String>> =
            cells.iter().map(|c| (!c.is_empty()).then(|| unquote(c).into_owned())).collect();
        assert_eq!(values, awkward.map(|c| c.map(str::to_string)));
        let mut rebuilt = String::new();
        cells.iter().for_each(|c| raw(&mut rebuilt, c));
        end(&mut rebuilt);
        assert_eq!(rebuilt, one, "raw cells write back byte for byte");
    }
}
