//! A small openCypher tokenizer: enough to find clauses, patterns, labels, parameters and
//! function calls without being fooled by strings, comments or backquoted names.

/// Token kinds the rewriter cares about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A bare identifier or keyword.
    Ident,
    /// A `backquoted` name; `text` keeps the quotes.
    Quoted,
    /// `$name`.
    Param,
    Str,
    Number,
    /// One punctuation character, or `..`, `<-`, `->`, `+=`, `<>`, `<=`, `>=`, `=~`.
    Punct,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token<'a> {
    pub kind: Kind,
    pub text: &'a str,
    /// Byte offset in the query.
    pub start: usize,
}

impl Token<'_> {
    pub fn end(&self) -> usize {
        self.start + self.text.len()
    }

    /// A name as the engine sees it: backquotes removed (doubled backquotes unescaped).
    pub fn name(&self) -> String {
        match self.kind {
            Kind::Quoted => self.text[1..self.text.len() - 1].replace("``", "`"),
            _ => self.text.to_string(),
        }
    }

    pub fn is_name(&self) -> bool {
        matches!(self.kind, Kind::Ident | Kind::Quoted)
    }

    pub fn is_kw(&self, kw: &str) -> bool {
        self.kind == Kind::Ident && self.text.eq_ignore_ascii_case(kw)
    }

    pub fn is(&self, p: &str) -> bool {
        self.kind == Kind::Punct && self.text == p
    }
}

/// Splits `q` into tokens, dropping whitespace and comments. An unterminated string or name
/// yields an error message, as the engine's parser would refuse it too.
pub fn tokenize(q: &str) -> Result<Vec<Token<'_>>, String> {
    let b = q.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let start = i;
        let kind = match c {
            _ if c.is_ascii_whitespace() => {
                i += 1;
                continue;
            }
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let end = q[i + 2..].find("*/").ok_or("unterminated comment")?;
                i += end + 4;
                continue;
            }
            b'\'' | b'"' => {
                i += 1;
                while i < b.len() && b[i] != c {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                if i >= b.len() {
                    return Err(format!("unterminated string starting at offset {start}"));
                }
                i += 1;
                Kind::Str
            }
            b'`' => {
                i += 1;
                loop {
                    match b.get(i) {
                        None => return Err(format!("unterminated backquoted name at offset {start}")),
                        Some(b'`') if b.get(i + 1) == Some(&b'`') => i += 2,
                        Some(b'`') => break,
                        Some(_) => i += 1,
                    }
                }
                i += 1;
                Kind::Quoted
            }
            b'$' => {
                i += 1;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                    i += 1;
                }
                Kind::Param
            }
            _ if c.is_ascii_digit() => {
                while i < b.len()
                    && (b[i].is_ascii_alphanumeric()
                        || b[i] == b'_'
                        || (b[i] == b'.' && b.get(i + 1).is_some_and(u8::is_ascii_digit)))
                {
                    i += 1;
                }
                Kind::Number
            }
            _ if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 => {
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] >= 0x80) {
                    i += 1;
                }
                Kind::Ident
            }
            _ => {
                let two = q.get(i..i + 2).unwrap_or("");
                i += if ["..", "<-", "->", "+=", "<>", "<=", ">=", "=~"].contains(&two) { 2 } else { 1 };
                // Never split a multi-byte character (only reachable with odd punctuation).
                while !q.is_char_boundary(i) {
                    i += 1;
                }
                Kind::Punct
            }
        };
        out.push(Token { kind, text: &q[start..i], start });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_comments_and_names() {
        let t = tokenize("MATCH (n:`Per``son` {`~id`: 'a)b'}) // x\nRETURN id(n) /* y */, $p").unwrap();
        let texts: Vec<&str> = t.iter().map(|t| t.text).collect();
        assert_eq!(
            texts,
            [
                "MATCH",
                "(",
                "n",
                ":",
                "`Per``son`",
                "{",
                "`~id`",
                ":",
                "'a)b'",
                "}",
                ")",
                "RETURN",
                "id",
                "(",
                "n",
                ")",
                ",",
                "$p"
            ]
        );
        assert_eq!(t[4].name(), "Per`son");
        assert!(tokenize("RETURN 'x").is_err());
    }

    #[test]
    fn arrows_and_numbers() {
        let t = tokenize("()-[:R]->() SET n += {a: 1.5}").unwrap();
        assert!(t.iter().any(|t| t.is("->")));
        assert!(t.iter().any(|t| t.is("+=")));
        assert!(t.iter().any(|t| t.kind == Kind::Number && t.text == "1.5"));
    }
}
