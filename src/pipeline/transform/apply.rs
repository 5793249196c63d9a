//! Applying the operations to one record: nodes first (recording their fate in [`State`]), then
//! relationships (their endpoints resolved through it before their own operations run).

use std::fmt::Write as _;

use crate::connector::{node_scope, relationship_scope};
use crate::model::{Node, Properties, Relationship, Value};

use super::values::{cleanse, coerce, equals, number};
use super::{
    Condition, OnError, Op, Operation, Piece, RecordFailure, Scope, State, Test, Transform, TransformError,
    TransformReport,
};

impl Transform {
    /// Transforms a page of nodes in order; the dropped ones are left out.
    pub fn nodes(
        &self,
        records: Vec<Node>,
        state: &mut State,
        report: &mut TransformReport,
    ) -> Result<Vec<Node>, TransformError> {
        let mut out = Vec::with_capacity(records.len());
        for node in records {
            out.extend(self.node(node, state, report)?);
        }
        Ok(out)
    }

    /// Transforms a page of relationships in order; the dropped ones are left out.
    pub fn relationships(
        &self,
        records: Vec<Relationship>,
        state: &State,
        report: &mut TransformReport,
    ) -> Result<Vec<Relationship>, TransformError> {
        let mut out = Vec::with_capacity(records.len());
        for rel in records {
            out.extend(self.relationship(rel, state, report)?);
        }
        Ok(out)
    }

    fn fail(&self, o: &Operation, kind: &'static str, id: &str, scope: String, message: String) -> TransformError {
        TransformError(Box::new(RecordFailure {
            file: self.file.clone(),
            line: o.line,
            operation: o.name,
            kind,
            id: id.to_string(),
            scope,
            message,
        }))
    }

    pub(super) fn node(
        &self,
        mut node: Node,
        state: &mut State,
        report: &mut TransformReport,
    ) -> Result<Option<Node>, TransformError> {
        // The source id, kept apart once an `IdTemplate` replaced it: relationships name it.
        let mut source_id: Option<String> = None;
        for (i, o) in self.operations.iter().enumerate() {
            let count = &mut report.operations[i];
            let has = |node: &Node, l: &str| node.labels.iter().any(|x| x == l);
            match &o.op {
                Op::RenameLabel { from, to } => {
                    if let Some(at) = node.labels.iter().position(|l| l == from) {
                        if has(&node, to) {
                            node.labels.remove(at);
                        } else {
                            node.labels[at].clone_from(to); // reuses the old name's buffer
                        }
                        count.changed += 1;
                    }
                }
                Op::DropLabel { label } => {
                    if let Some(at) = node.labels.iter().position(|l| l == label) {
                        node.labels.remove(at);
                        count.changed += 1;
                    }
                }
                Op::DropNodes { label } if has(&node, label) => {
                    count.dropped += 1;
                    return Ok(drop_node(node, source_id, state, report));
                }
                Op::Filter { scope, condition } if node_in(scope, &node) && !holds(condition, &node.properties) => {
                    count.dropped += 1;
                    return Ok(drop_node(node, source_id, state, report));
                }
                Op::Deduplicate { label, key } if has(&node, label) => {
                    let Some(k) = dedup_key(label, key, &node.properties) else { continue };
                    let own = source_id.as_deref().unwrap_or(&node.id);
                    match state.seen.get(&k) {
                        // A node is its own first duplicate: applying it twice keeps it.
                        Some(kept) if kept == own => {}
                        Some(kept) => {
                            state.merged.insert(own.to_string(), kept.clone());
                            count.dropped += 1;
                            report.dropped_nodes += 1;
                            return Ok(None);
                        }
                        None => {
                            state.seen.insert(k, own.to_string());
                        }
                    }
                }
                Op::IdTemplate { label, template, on_error } if has(&node, label) => {
                    match render(template, label, source_id.as_deref().unwrap_or(&node.id), &node.properties) {
                        Ok(id) if id == node.id => {}
                        Ok(id) => {
                            let old = std::mem::replace(&mut node.id, id);
                            source_id.get_or_insert(old);
                            count.changed += 1;
                        }
                        Err(message) => {
                            count.failed += 1;
                            match on_error {
                                OnError::Fail => {
                                    let id = source_id.as_deref().unwrap_or(&node.id);
                                    return Err(self.fail(o, "node", id, node_scope(&node.labels), message));
                                }
                                // Refused when the file is read: an id cannot be null.
                                OnError::Keep | OnError::Null => count.kept += 1,
                            }
                        }
                    }
                }
                op if op_scope(op).is_some_and(|s| node_in(s, &node)) => {
                    let id = source_id.as_deref().unwrap_or(&node.id);
                    properties(op, &mut node.properties, count)
                        .map_err(|m| self.fail(o, "node", id, node_scope(&node.labels), m))?;
                }
                _ => {}
            }
        }
        if let Some(source_id) = source_id {
            state.renamed.insert(source_id, node.id.clone());
        }
        Ok(Some(node))
    }

    pub(super) fn relationship(
        &self,
        mut rel: Relationship,
        state: &State,
        report: &mut TransformReport,
    ) -> Result<Option<Relationship>, TransformError> {
        if !state.is_empty() {
            let (start, end) = (resolve(state, &rel.start), resolve(state, &rel.end));
            let (Some(start), Some(end)) = (start, end) else {
                report.dropped_relationships += 1;
                report.dangling_relationships += 1;
                return Ok(None);
            };
            if start != rel.start || end != rel.end {
                rel.start = start.to_string();
                rel.end = end.to_string();
                report.repointed_relationships += 1;
            }
        }
        for (i, o) in self.operations.iter().enumerate() {
            let count = &mut report.operations[i];
            match &o.op {
                Op::RenameType { from, to } if rel.rel_type == *from => {
                    rel.rel_type.clone_from(to);
                    count.changed += 1;
                }
                Op::DropRelationships { rel_type } if rel.rel_type == *rel_type => {
                    count.dropped += 1;
                    report.dropped_relationships += 1;
                    return Ok(None);
                }
                Op::Filter { scope, condition } if rel_in(scope, &rel) && !holds(condition, &rel.properties) => {
                    count.dropped += 1;
                    report.dropped_relationships += 1;
                    return Ok(None);
                }
                Op::Filter { .. } => {}
                op if op_scope(op).is_some_and(|s| rel_in(s, &rel)) => {
                    properties(op, &mut rel.properties, count)
                        .map_err(|m| self.fail(o, "relationship", &rel.id, relationship_scope(&rel.rel_type), m))?;
                }
                _ => {}
            }
        }
        Ok(Some(rel))
    }
}

fn drop_node(node: Node, source_id: Option<String>, state: &mut State, report: &mut TransformReport) -> Option<Node> {
    state.dropped.insert(source_id.unwrap_or(node.id));
    report.dropped_nodes += 1;
    None
}

/// Where an endpoint went: `None` if its node was dropped, else the id it was written with.
fn resolve<'a>(state: &'a State, id: &'a str) -> Option<&'a str> {
    let id = state.merged.get(id).map_or(id, String::as_str);
    if state.dropped.contains(id) {
        return None;
    }
    Some(state.renamed.get(id).map_or(id, String::as_str))
}

/// The scope of a property operation (the others never reach [`properties`]).
fn op_scope(op: &Op) -> Option<&Scope> {
    Some(match op {
        Op::RenameProperty { scope, .. }
        | Op::DropProperty { scope, .. }
        | Op::SetProperty { scope, .. }
        | Op::Coerce { scope, .. }
        | Op::Cleanse { scope, .. }
        | Op::Filter { scope, .. } => scope,
        _ => return None,
    })
}

fn node_in(scope: &Scope, node: &Node) -> bool {
    match scope {
        Scope::All | Scope::Nodes => true,
        Scope::Label(l) => node.labels.iter().any(|x| x == l),
        Scope::Type(_) | Scope::Relationships => false,
    }
}

fn rel_in(scope: &Scope, rel: &Relationship) -> bool {
    match scope {
        Scope::All | Scope::Relationships => true,
        Scope::Type(t) => rel.rel_type == *t,
        Scope::Label(_) | Scope::Nodes => false,
    }
}

/// Applies a property operation to one record's properties. `Err`: a value that does not
/// convert under `on_error: fail`.
fn properties(op: &Op, props: &mut Properties, count: &mut super::OperationCount) -> Result<(), String> {
    match op {
        Op::RenameProperty { from, to, .. } => {
            if let Some(v) = props.remove(from) {
                props.insert(to.clone(), v);
                count.changed += 1;
            }
        }
        Op::DropProperty { property, .. } if props.remove(property).is_some() => count.changed += 1,
        Op::SetProperty { property, value, if_missing, .. } => match props.get_mut(property) {
            Some(_) if *if_missing => {}
            Some(v) if equals(v, value) && v.type_name() == value.type_name() => {}
            Some(v) => {
                *v = value.clone();
                count.changed += 1;
            }
            None => {
                props.insert(property.clone(), value.clone());
                count.changed += 1;
            }
        },
        Op::Coerce { property, to, on_error, .. } => {
            let Some(v) = props.get_mut(property) else { return Ok(()) };
            match coerce(v, to) {
                Ok(None) => {}
                Ok(Some(new)) => {
                    *v = new;
                    count.changed += 1;
                }
                Err(message) => {
                    count.failed += 1;
                    match on_error {
                        OnError::Fail => return Err(format!("property `{property}`: {message}")),
                        OnError::Keep => count.kept += 1,
                        OnError::Null => {
                            props.remove(property);
                            count.nulled += 1;
                        }
                    }
                }
            }
        }
        Op::Cleanse { property, steps, .. } => {
            if let Some(v) = props.get_mut(property) {
                if let Some(new) = cleanse(v, steps) {
                    *v = new;
                    count.changed += 1;
                }
            }
        }
        _ => {}
    }
    Ok(())
}

fn holds(c: &Condition, props: &Properties) -> bool {
    let v = props.get(&c.property).filter(|v| !matches!(v, Value::Null));
    let cmp = |f: fn(f64, f64) -> bool, y: f64| v.and_then(number).is_some_and(|x| f(x, y));
    match &c.test {
        Test::Exists(e) => v.is_some() == *e,
        Test::Equals(x) => v.is_some_and(|v| equals(v, x)),
        Test::NotEquals(x) => !v.is_some_and(|v| equals(v, x)),
        Test::In(xs) => v.is_some_and(|v| xs.iter().any(|x| equals(v, x))),
        Test::GreaterThan(y) => cmp(|x, y| x > y, *y),
        Test::AtLeast(y) => cmp(|x, y| x >= y, *y),
        Test::LessThan(y) => cmp(|x, y| x < y, *y),
        Test::AtMost(y) => cmp(|x, y| x <= y, *y),
    }
}

/// The de-duplication key of a node of `label`; `None` when it lacks a key property (such a
/// node is never a duplicate).
fn dedup_key(label: &str, key: &[String], props: &Properties) -> Option<String> {
    let mut out = String::with_capacity(64);
    out.push_str(label);
    for k in key {
        let v = props.get(k).filter(|v| !matches!(v, Value::Null))?;
        out.push('\u{0}');
        // Typed, so the string "1" and the integer 1 are different keys.
        let _ = write!(out, "{v:?}");
    }
    Some(out)
}

/// Builds an id from a template; `Err` names the property that is missing or not a scalar.
fn render(template: &[Piece], label: &str, id: &str, props: &Properties) -> Result<String, String> {
    let mut out = String::new();
    for piece in template {
        match piece {
            Piece::Text(t) => out.push_str(t),
            Piece::Label => out.push_str(label),
            Piece::Id => out.push_str(id),
            Piece::Property(p) => match props.get(p) {
                Some(Value::String(s)) => out.push_str(s),
                Some(Value::Int(n)) => {
                    let _ = write!(out, "{n}");
                }
                Some(Value::Float(f)) => {
                    let _ = write!(out, "{f}");
                }
                Some(Value::Bool(b)) => {
                    let _ = write!(out, "{b}");
                }
                None | Some(Value::Null) => {
                    return Err(format!("the id template needs property `{p}`, which is missing"))
                }
                Some(v) => {
                    return Err(format!("the id template needs property `{p}` as text, but it is a {}", v.type_name()))
                }
            },
        }
    }
    Ok(out)
}
