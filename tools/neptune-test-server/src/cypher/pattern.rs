//! Node and relationship patterns: their variables, labels or types, and property maps.

use super::assign;
use super::lexer::{Kind, Token};

/// A node pattern as written.
pub(super) struct NodePattern {
    pub(super) var: Option<String>,
    pub(super) labels: Vec<String>,
    pub(super) has_map: bool,
    pub(super) has_id: bool,
    pub(super) props: PatternProps,
    /// Where a label would be inserted: after the variable, or after `(`.
    pub(super) label_at: usize,
}

/// Parses `( [var] (:Label)* [{map} | $param] )` starting at `toks[open]`.
pub(super) fn node_pattern(toks: &[Token<'_>], open: usize) -> Option<NodePattern> {
    let mut j = open + 1;
    let mut label_at = toks[open].end();
    let mut var = None;
    if toks.get(j)?.is_name() {
        var = Some(toks[j].name());
        label_at = toks[j].end();
        j += 1;
    }
    let mut labels = Vec::new();
    while toks.get(j)?.is(":") {
        let l = toks.get(j + 1).filter(|l| l.is_name())?;
        labels.push(l.name());
        j += 2;
    }
    let (mut has_map, mut has_id, mut props) = (false, false, PatternProps::None);
    if toks.get(j)?.is("{") {
        has_map = true;
        let (end, id) = map_has_id(toks, j)?;
        has_id = id;
        props = PatternProps::Literal(j);
        j = end + 1;
    } else if toks.get(j)?.kind == Kind::Param {
        has_map = true;
        props = PatternProps::Param(j);
        j += 1;
    }
    toks.get(j)?.is(")").then_some(NodePattern { var, labels, has_map, has_id, props, label_at })
}

/// The property map of a node or relationship pattern.
pub(super) enum PatternProps {
    None,
    /// `{k: v, ...}` opening at this token.
    Literal(usize),
    /// `$map` at this token.
    Param(usize),
}

impl PatternProps {
    /// What a CREATE or MERGE pattern stores as property values.
    pub(super) fn spans(&self, toks: &[Token<'_>]) -> Vec<assign::Span> {
        match *self {
            PatternProps::None => Vec::new(),
            PatternProps::Literal(open) => assign::map_entries(toks, open),
            PatternProps::Param(at) => {
                vec![assign::Span { role: assign::Role::Map, start: at, end: at + 1, key: None }]
            }
        }
    }
}

/// Parses `[ [var] [:T (| :?T)*] [*range] [{map} | $map] ]`; returns the types, whether the map
/// has a `~id` key, and the map.
pub(super) fn rel_pattern(toks: &[Token<'_>], open: usize) -> Option<(Vec<String>, bool, PatternProps)> {
    let mut j = open + 1;
    if toks.get(j)?.is_name() {
        j += 1;
    }
    let mut types = Vec::new();
    if toks.get(j)?.is(":") {
        j += 1;
        loop {
            types.push(toks.get(j).filter(|t| t.is_name())?.name());
            j += 1;
            if !toks.get(j)?.is("|") {
                break;
            }
            j += if toks.get(j + 1)?.is(":") { 2 } else { 1 };
        }
    }
    while toks.get(j)?.is("*") || toks.get(j)?.is("..") || toks.get(j)?.kind == Kind::Number {
        j += 1;
    }
    let (mut has_id, mut props) = (false, PatternProps::None);
    if toks.get(j)?.is("{") {
        let (end, id) = map_has_id(toks, j)?;
        has_id = id;
        props = PatternProps::Literal(j);
        j = end + 1;
    } else if toks.get(j)?.kind == Kind::Param {
        props = PatternProps::Param(j);
        j += 1;
    }
    toks.get(j)?.is("]").then_some((types, has_id, props))
}

/// Finds the `}` closing the map at `toks[open]` and whether a top-level key is `~id`.
fn map_has_id(toks: &[Token<'_>], open: usize) -> Option<(usize, bool)> {
    let mut depth = 0;
    let mut has_id = false;
    for (k, t) in toks.iter().enumerate().skip(open) {
        if t.is("{") || t.is("(") || t.is("[") {
            depth += 1;
        } else if t.is("}") || t.is(")") || t.is("]") {
            depth -= 1;
            if depth == 0 {
                return Some((k, has_id));
            }
        } else if depth == 1 && t.is_name() && t.name() == "~id" && toks.get(k + 1).is_some_and(|c| c.is(":")) {
            has_id = true;
        }
    }
    None
}
