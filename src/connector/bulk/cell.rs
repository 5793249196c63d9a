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
}
