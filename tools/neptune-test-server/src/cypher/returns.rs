//! The final RETURN: its column names (Neptune names a rewritten `id(x)` column after its text)
//! and whether it is exactly `count(*)`.

use super::lexer::Token;

/// Splits the final RETURN into items; names rewritten `id(x)` items after their original text
/// (as Neptune does) and returns the sole column's name.
pub(super) fn return_items(
    toks: &[Token<'_>],
    ret: usize,
    q: &str,
    edits: &mut Vec<(usize, usize, String)>,
) -> Option<String> {
    let mut j = ret + 1;
    if toks.get(j).is_some_and(|t| t.is_kw("DISTINCT")) {
        j += 1;
    }
    let mut items: Vec<(usize, usize)> = Vec::new();
    let (mut start, mut depth) = (j, 0i32);
    while j < toks.len() {
        let t = &toks[j];
        if depth == 0 && (t.is(",") || t.is(";") || ["ORDER", "SKIP", "LIMIT", "UNION"].iter().any(|k| t.is_kw(k))) {
            items.push((start, j));
            if !t.is(",") {
                break;
            }
            start = j + 1;
        } else if t.is("(") || t.is("[") || t.is("{") {
            depth += 1;
        } else if t.is(")") || t.is("]") || t.is("}") {
            depth -= 1;
        }
        j += 1;
    }
    if j >= toks.len() && start < toks.len() {
        items.push((start, toks.len()));
    }
    let mut names = Vec::new();
    for &(s, e) in &items {
        if s >= e {
            continue;
        }
        let text = q[toks[s].start..toks[e - 1].end()].to_string();
        let alias = (s..e).rev().find(|&k| toks[k].is_kw("AS") && k + 1 < e).map(|k| toks[k + 1].name());
        let rewritten = edits.iter().any(|&(es, _, _)| es >= toks[s].start && es < toks[e - 1].end());
        if alias.is_none() && rewritten {
            edits.push((toks[e - 1].end(), toks[e - 1].end(), format!(" AS `{}`", text.replace('`', "``"))));
        }
        names.push(alias.unwrap_or(text));
    }
    (names.len() == 1 && names[0] != "*").then(|| names.remove(0))
}

/// Whether the tokens after the final RETURN are exactly `count(*)` with an optional `AS name`
/// and an optional `;`.
pub(super) fn count_all(rest: &[Token<'_>]) -> bool {
    let rest = match rest.last() {
        Some(t) if t.is(";") => &rest[..rest.len() - 1],
        _ => rest,
    };
    let call = rest.len() >= 4 && rest[0].is_kw("count") && rest[1].is("(") && rest[2].is("*") && rest[3].is(")");
    call && match &rest[4..] {
        [] => true,
        [as_kw, name] => as_kw.is_kw("AS") && name.is_name(),
        _ => false,
    }
}
