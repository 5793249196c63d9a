//! Reads a Neptune openCypher query and rewrites it for ArcadeDB.
//!
//! Neptune semantics that ArcadeDB lacks are added here, on tokens rather than on text so that
//! strings and backquoted names are never touched:
//! - `id(x)` becomes ``x.`~id` `` (the id property), keeping the column name `id(x)`;
//! - a MATCH node pattern without a label but with a `~id` gets the id supertype as its label,
//!   so the lookup uses the graph-wide id index instead of scanning every type;
//! - a node created (CREATE or MERGE) without a label gets Neptune's default label `vertex`;
//! - `SET x = map` also sets ``x.`~id` `` back to its value (ArcadeDB stores the id as a property,
//!   which replacing all properties would drop; in Neptune the id is not a property);
//! - `removeKeyFromMap(map, key)` on a parameter or UNWIND row becomes a reference to a value the
//!   server computes (see [`remove_key`]), and so does `datetime(...)` (see [`datetime`]).
//!
//! It refuses what Neptune refuses: list and map property values ([`assign`]) and constructs
//! Neptune's openCypher does not run ([`unsupported`]).
//!
//! It also reports what the server needs to know: whether the query writes, which list
//! parameter it UNWINDs (to count rows), which labels and types it uses (to create them as
//! subtypes first), and the name of a sole RETURN column.

pub mod assign;
pub mod datetime;
mod lexer;
mod pattern;
pub mod remove_key;
mod returns;
mod unsupported;

use std::collections::{HashMap, HashSet};

use lexer::{tokenize, Kind, Token};
use pattern::{node_pattern, rel_pattern};
use remove_key::KeyRemoval;
use returns::{count_all, return_items};

use crate::engine::{DEFAULT_LABEL, NODE_SUPERTYPE};
use crate::error::NeptuneError;

/// What the server learned about a query, and the text to send to the engine.
#[derive(Debug, Default, PartialEq)]
pub struct Analysis {
    pub text: String,
    pub is_write: bool,
    pub unwind_param: Option<String>,
    pub labels: Vec<String>,
    pub rel_types: Vec<String>,
    /// The column name when the final RETURN has exactly one item.
    pub single_column: Option<String>,
    /// A relationship pattern in CREATE or MERGE gives its own `~id`.
    pub rel_id_given: bool,
    /// The column name when the query ends in `RETURN count(*)` (with or without an alias):
    /// discard mode answers such a write with the row count Neptune would return.
    pub count_all_column: Option<String>,
    /// `removeKeyFromMap` calls the server computes into the parameters before the engine runs
    /// the query ([`remove_key::apply`]).
    pub key_removals: Vec<KeyRemoval>,
    /// Property values taken from the parameters, checked before the engine runs
    /// ([`assign::check`]).
    pub assignments: Vec<assign::Assignment>,
    /// `datetime(...)` calls on parameters or rows, computed into the parameters before the
    /// engine runs the query ([`datetime::apply`]).
    pub datetimes: Vec<datetime::Conversion>,
    /// A REMOVE clause removes a label (`REMOVE x:L`), which may leave a node without one.
    pub removes_label: bool,
}

const CLAUSES: &[&str] = &[
    "MATCH", "OPTIONAL", "CREATE", "MERGE", "WITH", "RETURN", "UNWIND", "WHERE", "SET", "DELETE", "DETACH", "REMOVE",
    "ON", "ORDER", "SKIP", "LIMIT", "UNION", "CALL", "FOREACH",
];
const WRITES: &[&str] = &["CREATE", "MERGE", "SET", "DELETE", "REMOVE"];

pub fn analyze(q: &str) -> Result<Analysis, NeptuneError> {
    let toks = tokenize(q).map_err(NeptuneError::malformed)?;
    let mut a = Analysis::default();
    let mut edits: Vec<(usize, usize, String)> = Vec::new();
    // Variables count as bound once any earlier token names them; a CREATE pattern naming an
    // unseen variable creates a new node.
    let mut seen: HashSet<String> = HashSet::new();
    let mut depth = 0usize;
    let mut clause = "";
    let mut last_return = None;
    // UNWIND variables and the list parameters they range over.
    let mut unwinds: HashMap<String, String> = HashMap::new();
    // Token ranges of rewritten removeKeyFromMap calls (nested calls are part of the outer one).
    let mut rkm_spans: Vec<(usize, usize)> = Vec::new();
    // Expressions stored as property values, and the values of rewritten removeKeyFromMap calls.
    let mut assigned: Vec<assign::Span> = Vec::new();
    let mut computed: HashMap<usize, (usize, remove_key::Source)> = HashMap::new();
    let mut i = 0;
    while i < toks.len() {
        let t = &toks[i];
        let prev = i.checked_sub(1).map(|p| &toks[p]);
        let after_dot = prev.is_some_and(|p| p.is("."));
        let next_is = |s: &str| toks.get(i + 1).is_some_and(|n| n.is(s));
        // `SET x = map` replaces every property, the id property too: set it back (the right-hand
        // sides of a SET are evaluated before any item is applied).
        let set_item = clause == "SET"
            && depth == 0
            && t.is_name()
            && !after_dot
            && prev.is_some_and(|p| p.is_kw("SET") || p.is(","));
        if set_item && next_is("=") {
            let end = expr_end(&toks, i + 2);
            if end > i + 2 {
                let at = toks[end - 1].end();
                edits.push((at, at, format!(", {v}.`~id` = {v}.`~id`", v = t.text)));
            }
        }
        if set_item && (next_is("=") || next_is("+=")) {
            assigned.push(assign::Span {
                role: assign::Role::Map,
                start: i + 2,
                end: expr_end(&toks, i + 2),
                key: None,
            });
        }
        if set_item
            && next_is(".")
            && toks.get(i + 2).is_some_and(Token::is_name)
            && toks.get(i + 3).is_some_and(|e| e.is("="))
        {
            let key = Some(toks[i + 2].name());
            assigned.push(assign::Span { role: assign::Role::Value, start: i + 4, end: expr_end(&toks, i + 4), key });
        }
        match t.kind {
            Kind::Ident if !after_dot && !next_is(":") => {
                let up = t.text.to_ascii_uppercase();
                if WRITES.contains(&up.as_str()) && !prev.is_some_and(|p| p.is_kw("ON") || p.is_kw("AS")) {
                    a.is_write = true;
                }
                if depth == 0 && CLAUSES.contains(&up.as_str()) {
                    if !(up == "CREATE" && clause == "ON") {
                        clause = match up.as_str() {
                            "OPTIONAL" => "MATCH",
                            "DETACH" => "DELETE",
                            _ => CLAUSES[CLAUSES.iter().position(|c| *c == up).unwrap_or(0)],
                        };
                    }
                    if up == "RETURN" {
                        last_return = Some(i);
                    }
                    if up == "UNWIND" {
                        if let Some(p) = toks.get(i + 1).filter(|p| p.kind == Kind::Param) {
                            if a.unwind_param.is_none() {
                                a.unwind_param = Some(p.text[1..].to_string());
                            }
                            let var = toks.get(i + 3).filter(|v| v.is_name() && toks[i + 2].is_kw("AS"));
                            if let Some(v) = var {
                                unwinds.insert(v.name(), p.text[1..].to_string());
                            }
                        }
                    }
                } else if next_is("(") {
                    let lower = t.text.to_ascii_lowercase();
                    if t.is_kw(remove_key::FUNCTION) && !rkm_spans.iter().any(|&(s, e)| i > s && i <= e) {
                        let call = remove_key::parse(&toks, i, &unwinds)?;
                        let field = match a.key_removals.iter().find(|r| r.source == call.source && r.keys == call.keys)
                        {
                            Some(r) => r.field.clone(),
                            None => {
                                let field = remove_key::field_name(a.key_removals.len());
                                a.key_removals.push(KeyRemoval {
                                    source: call.source.clone(),
                                    keys: call.keys,
                                    field: field.clone(),
                                });
                                field
                            }
                        };
                        let replacement = match &call.source {
                            remove_key::Source::Param { .. } => format!("${field}"),
                            // The variable as written (it may be backquoted).
                            remove_key::Source::Row { .. } => format!("{}.{field}", row_var_text(&toks, i)),
                        };
                        edits.push((t.start, toks[call.close].end(), replacement));
                        let result = match &call.source {
                            remove_key::Source::Param { .. } => {
                                remove_key::Source::Param { name: field, path: Vec::new() }
                            }
                            remove_key::Source::Row { list, var, .. } => {
                                remove_key::Source::Row { list: list.clone(), var: var.clone(), path: vec![field] }
                            }
                        };
                        computed.insert(i, (call.close, result));
                        rkm_spans.push((i, call.close));
                    }
                    if lower == datetime::FUNCTION && !rkm_spans.iter().any(|&(s, e)| i > s && i <= e) {
                        let call = datetime::parse(&toks, i, &unwinds, a.datetimes.len())?;
                        edits.push((t.start, toks[call.close].end(), call.replacement));
                        a.datetimes.extend(call.conversion);
                    }
                    if lower == "id" {
                        if let (Some(v), Some(close)) = (toks.get(i + 2), toks.get(i + 3)) {
                            if v.is_name() && close.is(")") {
                                edits.push((t.start, close.end(), format!("{}.`~id`", v.text)));
                            }
                        }
                    }
                    // Every stored type extends the id supertype, which ArcadeDB lists among a
                    // node's labels; Neptune has no such label.
                    if lower == "labels" {
                        if let (Some(v), Some(close)) = (toks.get(i + 2), toks.get(i + 3)) {
                            if v.is_name() && close.is(")") {
                                edits.push((
                                    t.start,
                                    close.end(),
                                    format!("[gf_l IN labels({}) WHERE gf_l <> '{NODE_SUPERTYPE}']", v.text),
                                ));
                            }
                        }
                    }
                }
            }
            Kind::Punct if t.is("(") => {
                let in_pattern = matches!(clause, "MATCH" | "CREATE" | "MERGE") && depth == 0;
                let pattern_start = prev.is_none_or(|p| {
                    (p.kind == Kind::Ident && CLAUSES.contains(&p.text.to_ascii_uppercase().as_str()))
                        || [",", "-", "->", "<-", "=", "<", ">"].iter().any(|s| p.is(s))
                });
                if in_pattern && pattern_start {
                    if let Some(node) = node_pattern(&toks, i) {
                        if matches!(clause, "CREATE" | "MERGE") {
                            assigned.extend(node.props.spans(&toks));
                        }
                        a.labels.extend(node.labels.iter().cloned());
                        let new_node = node.var.as_ref().is_none_or(|v| !seen.contains(v)) || node.has_map;
                        let label = match clause {
                            "MATCH" if node.labels.is_empty() && node.has_id => Some(NODE_SUPERTYPE),
                            "CREATE" | "MERGE" if node.labels.is_empty() && new_node => Some(DEFAULT_LABEL),
                            _ => None,
                        };
                        if let Some(label) = label {
                            edits.push((node.label_at, node.label_at, format!(":`{label}`")));
                            if label == DEFAULT_LABEL {
                                a.labels.push(DEFAULT_LABEL.to_string());
                            }
                        }
                    }
                }
                depth += 1;
            }
            Kind::Punct if t.is("[") => {
                if matches!(clause, "MATCH" | "CREATE" | "MERGE") && prev.is_some_and(|p| p.is("-") || p.is("<-")) {
                    if let Some((types, has_id, props)) = rel_pattern(&toks, i) {
                        a.rel_types.extend(types);
                        a.rel_id_given |= has_id && clause != "MATCH";
                        if clause != "MATCH" {
                            assigned.extend(props.spans(&toks));
                        }
                    }
                }
                depth += 1;
            }
            Kind::Number if !fits_long(t.text, prev.is_some_and(|p| p.is("-"))) => {
                return Err(crate::types::invalid_numeric(&format!("the integer literal at offset {}", t.start)));
            }
            Kind::Punct if t.is("{") => depth += 1,
            Kind::Punct if t.is(")") || t.is("]") || t.is("}") => depth = depth.saturating_sub(1),
            Kind::Punct if t.is(":") && clause == "REMOVE" && depth == 0 => a.removes_label = true,
            Kind::Punct if t.is(":") && clause == "SET" && depth == 0 => {
                if let Some(l) = toks.get(i + 1).filter(|l| l.is_name()) {
                    a.labels.push(l.name());
                }
            }
            _ => {}
        }
        if t.is_name() {
            seen.insert(t.name());
        }
        i += 1;
    }
    unsupported::check(&toks, a.is_write)?;
    check_row_variables(&toks, &a, &rkm_spans)?;
    a.assignments = assign::resolve(&toks, &assigned, &unwinds, &computed)?;
    if let Some(r) = last_return {
        a.single_column = return_items(&toks, r, q, &mut edits);
        a.count_all_column = count_all(&toks[r + 1..]).then(|| a.single_column.clone()).flatten();
    }
    a.text = apply(q, edits);
    a.labels.sort();
    a.labels.dedup();
    a.rel_types.sort();
    a.rel_types.dedup();
    Ok(a)
}

/// Whether a number literal is a float or an integer that fits Neptune's 64-bit Long
/// (`negative`: it follows a `-`, so 2^63 itself fits). Hex and octal forms are left to the engine.
fn fits_long(text: &str, negative: bool) -> bool {
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        return true;
    }
    match text.parse::<u128>() {
        Ok(v) => v <= i64::MAX as u128 || (negative && v == i64::MAX as u128 + 1),
        Err(_) => false,
    }
}

/// The index of the first token after the expression starting at `from`: a `,`, `;` or clause
/// keyword at its level, or the bracket closing an enclosing one.
fn expr_end(toks: &[Token<'_>], from: usize) -> usize {
    let mut depth = 0usize;
    for (k, t) in toks.iter().enumerate().skip(from) {
        if t.is("(") || t.is("[") || t.is("{") {
            depth += 1;
        } else if t.is(")") || t.is("]") || t.is("}") {
            if depth == 0 {
                return k;
            }
            depth -= 1;
        } else if depth == 0
            && (t.is(",")
                || t.is(";")
                || (t.kind == Kind::Ident
                    && !toks[k - 1].is(".")
                    && CLAUSES.contains(&t.text.to_ascii_uppercase().as_str())))
        {
            return k;
        }
    }
    toks.len()
}

/// The innermost map argument's base token text of the removeKeyFromMap call at `at`.
fn row_var_text<'a>(toks: &[Token<'a>], at: usize) -> &'a str {
    let mut j = at;
    while toks[j].is_kw(remove_key::FUNCTION) {
        j += 2;
    }
    toks[j].text
}

/// A rewritten call on an UNWIND row reads a field the server adds to every row. That is only
/// right when the variable is bound once, by that UNWIND, and the row is never used as a whole
/// (where the added field would show).
fn check_row_variables(toks: &[Token<'_>], a: &Analysis, spans: &[(usize, usize)]) -> Result<(), NeptuneError> {
    let sources = a.key_removals.iter().map(|r| &r.source).chain(a.datetimes.iter().map(|c| &c.source));
    let vars: HashSet<&str> = sources
        .filter_map(|s| match s {
            remove_key::Source::Row { var, .. } => Some(var.as_str()),
            remove_key::Source::Param { .. } => None,
        })
        .collect();
    for var in vars {
        let mut bindings = 0;
        for (k, t) in toks.iter().enumerate() {
            if !t.is_name() || t.name() != var || k > 0 && toks[k - 1].is(".") {
                continue;
            }
            let next = toks.get(k + 1);
            if k > 0 && toks[k - 1].is_kw("AS") {
                bindings += 1;
            } else if next.is_some_and(|n| n.is_kw("IN")) {
                bindings += 2;
            } else if !next.is_some_and(|n| n.is(".") || n.is(":")) && !spans.iter().any(|&(s, e)| k > s && k <= e) {
                return Err(remove_key::refuse(format!(
                    "the row variable `{var}` is also used as a whole, outside {}()",
                    remove_key::FUNCTION
                )));
            }
        }
        if bindings != 1 {
            return Err(remove_key::refuse(format!("the row variable `{var}` is bound more than once")));
        }
    }
    Ok(())
}

fn apply(q: &str, mut edits: Vec<(usize, usize, String)>) -> String {
    edits.sort_by_key(|e| (e.0, e.1));
    let mut out = String::with_capacity(q.len() + 32 * edits.len());
    let mut at = 0;
    for (s, e, text) in edits {
        if s < at {
            continue;
        }
        out.push_str(&q[at..s]);
        out.push_str(&text);
        at = e;
    }
    out.push_str(&q[at..]);
    out
}

#[cfg(test)]
mod tests;
