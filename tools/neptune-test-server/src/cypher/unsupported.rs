//! openCypher that Neptune Database does not run, refused before the engine (which would run it).
//!
//! The rules come from AWS's "openCypher specification compliance in Amazon Neptune"
//! (https://docs.aws.amazon.com/neptune/latest/userguide/feature-opencypher-compliance.html):
//! - `CALL ... YIELD` procedures are not supported;
//! - `SKIP` and `LIMIT` take static values only (`LIMIT toInteger(rand())` "does NOT work");
//! - `UNION` / `UNION ALL` are supported for read-only queries, not for mutation queries;
//! - `shortestPath()` and `allShortestPaths()` are not supported;
//! - the `^` exponentiation operator is not supported;
//! - the Date, Time, LocalTime, LocalDateTime, Duration and spatial functions are not
//!   supported (only `datetime()` is): a user calling `duration()` got
//!   `{"code": "UnsupportedOperationException", "detailedMessage": "Date and Time related
//!   functions are not supported in this release."}`
//!   (https://repost.aws/questions/QU2mfcPZWgSyatrTnJi82J3w).
//!
//! The compliance page names no error codes. AWS's "Neptune openCypher exceptions" page
//! (access-graph-opencypher-exceptions.html) lists "(operation name) operation/feature
//! unsupported Exception" with HTTP 400, and the re:Post answer above shows its code,
//! UnsupportedOperationException, which the server uses for all of these.

use super::lexer::{Kind, Token};
use crate::error::NeptuneError;

pub const CODE: &str = "UnsupportedOperationException";

/// Functions producing values Neptune cannot hold or does not implement.
const TEMPORAL_FUNCTIONS: &[&str] = &["date", "time", "localtime", "localdatetime", "duration"];
const OTHER_FUNCTIONS: &[&str] = &["point", "distance", "shortestpath", "allshortestpaths"];

pub fn refuse(what: impl std::fmt::Display) -> NeptuneError {
    NeptuneError::new(400, CODE, format!("{what} is not supported by Neptune's openCypher"))
}

/// Refuses the first unsupported construct in `toks`; `is_write` says whether the query mutates.
pub fn check(toks: &[Token<'_>], is_write: bool) -> Result<(), NeptuneError> {
    let mut depth = 0usize;
    for (i, t) in toks.iter().enumerate() {
        let prev = i.checked_sub(1).map(|p| &toks[p]);
        let next = toks.get(i + 1);
        let after_dot = prev.is_some_and(|p| p.is("."));
        if t.is("(") || t.is("[") || t.is("{") {
            depth += 1;
        } else if t.is(")") || t.is("]") || t.is("}") {
            depth = depth.saturating_sub(1);
        } else if t.is("^") {
            return Err(refuse("The `^` exponentiation operator"));
        }
        if t.kind != Kind::Ident || after_dot || next.is_some_and(|n| n.is(":")) {
            continue;
        }
        let lower = t.text.to_ascii_lowercase();
        if next.is_some_and(|n| n.is("(")) {
            if TEMPORAL_FUNCTIONS.contains(&lower.as_str()) {
                return Err(NeptuneError::new(
                    400,
                    CODE,
                    format!("Date and Time related functions are not supported in this release ({}())", t.text),
                ));
            }
            if OTHER_FUNCTIONS.contains(&lower.as_str()) {
                return Err(refuse(format!("Function {}()", t.text)));
            }
        }
        if depth > 0 {
            continue;
        }
        match lower.as_str() {
            // `CALL { ... }` subqueries are a different clause; `CALL a.b(` calls a procedure.
            "call" if is_procedure(&toks[i + 1..]) => return Err(refuse("CALL of a procedure")),
            "union" if is_write => return Err(refuse("UNION in a mutation query")),
            "skip" | "limit" if !static_value(&toks[i + 1..]) => {
                return Err(refuse(format!("A non-static value for {}", t.text.to_ascii_uppercase())))
            }
            _ => {}
        }
    }
    Ok(())
}

/// Whether the tokens start with a (dotted) procedure name followed by `(` or `YIELD`, or end
/// after it (`CALL db.labels`).
fn is_procedure(rest: &[Token<'_>]) -> bool {
    let mut j = 0;
    while rest.get(j).is_some_and(Token::is_name) {
        j += 1;
        if !rest.get(j).is_some_and(|t| t.is(".")) {
            break;
        }
        j += 1;
    }
    j > 0 && rest.get(j).is_none_or(|t| t.is("(") || t.is_kw("YIELD") || t.is(";"))
}

/// Whether the tokens start with a literal or a parameter that ends the clause's expression.
fn static_value(rest: &[Token<'_>]) -> bool {
    let Some(first) = rest.first() else { return false };
    // The next token closes the expression: the end, `;`, a bracket of an enclosing CALL { },
    // or the next clause's keyword.
    let ends = rest.get(1).is_none_or(|t| t.is(";") || t.is(")") || t.is("}") || t.kind == Kind::Ident);
    matches!(first.kind, Kind::Number | Kind::Param) && ends
}

#[cfg(test)]
mod tests {
    use super::super::lexer::tokenize;
    use super::*;

    fn code(q: &str, write: bool) -> Option<&'static str> {
        check(&tokenize(q).unwrap(), write).err().map(|e| e.code)
    }

    #[test]
    fn refused_constructs() {
        for q in [
            "CALL db.labels() YIELD label RETURN label",
            "CALL apoc.help",
            "CALL db.labels YIELD label RETURN label",
            "MATCH (n) RETURN n LIMIT toInteger(rand())",
            "MATCH (n) WITH n SKIP 1 + 1 RETURN n",
            "MATCH (n) RETURN n SKIP $a * 2",
            "MATCH p = shortestPath((a)-[*]-(b)) RETURN p",
            "RETURN 2 ^ 3 AS x",
            "RETURN duration('P1D') AS d",
            "RETURN date('2020-01-01') AS d",
            "RETURN point({x: 1, y: 2}) AS p",
        ] {
            assert_eq!(code(q, false), Some(CODE), "{q}");
        }
        assert_eq!(code("CREATE (:A) UNION CREATE (:B)", true), Some(CODE));
    }

    #[test]
    fn allowed_constructs() {
        for q in [
            "MATCH (n) RETURN n SKIP 10 LIMIT $l",
            "MATCH (n) WITH n LIMIT 5 MATCH (n)-->(m) RETURN m ORDER BY m.x LIMIT 2;",
            "MATCH (n) RETURN n UNION MATCH (m) RETURN m AS n",
            "CALL { MATCH (n) RETURN n } RETURN n",
            "MATCH (n {limit: 1}) RETURN n.skip AS s, n.date AS d, datetime('2020-01-01') AS t",
            "RETURN 'a ^ b' AS s",
            "MATCH (call) WITH call RETURN call",
        ] {
            assert_eq!(code(q, false), None, "{q}");
        }
    }
}
