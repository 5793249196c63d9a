//! What a transform shows: its counts in the copy summary, and the `--dry-run` preview of records
//! before and after (property values only with `--show-values`: they may be private).

use serde_json::json;

use super::{thousands, Ui};
use crate::model::{Properties, Value};
use crate::pipeline::transform::{Preview, PreviewRecord, Transform, TransformReport};

impl Ui {
    pub fn transform_preview(&self, transform: &Transform, preview: &Preview, show_values: bool) {
        if self.json {
            let nodes = preview.nodes.iter().map(|(group, records)| {
                let rows: Vec<_> = records
                    .iter()
                    .map(|r| json!({"before": node_json(&r.before, show_values), "after": r.after.as_ref().map(|n| node_json(n, show_values))}))
                    .collect();
                json!({"scope": group, "records": rows})
            });
            let rels = preview.relationships.iter().map(|(group, records)| {
                let rows: Vec<_> = records
                    .iter()
                    .map(|r| json!({"before": rel_json(&r.before, show_values), "after": r.after.as_ref().map(|x| rel_json(x, show_values))}))
                    .collect();
                json!({"scope": group, "records": rows})
            });
            self.out(
                &json!({"event": "transform_preview", "file": transform.file, "values_shown": show_values,
                    "nodes": nodes.collect::<Vec<_>>(), "relationships": rels.collect::<Vec<_>>()})
                .to_string(),
            );
            return;
        }
        let mut text = format!(
            "\nTransform {}: the first records of each label and type, before -> after{}\n",
            transform.file.display(),
            if show_values { "" } else { " (property types only; --show-values to see values)" }
        );
        for (group, records) in &preview.nodes {
            text.push_str(&format!("  Nodes, {group}:\n"));
            for r in records {
                let show = |n: &crate::model::Node| {
                    format!("`{}` (:{}) {}", n.id, n.labels.join(":"), props(&n.properties, show_values))
                };
                text.push_str(&before_after(r, show));
            }
        }
        for (group, records) in &preview.relationships {
            text.push_str(&format!("  Relationships, {group}:\n"));
            for r in records {
                let show = |x: &crate::model::Relationship| {
                    format!(
                        "`{}` ({})-[:{}]->({}) {}",
                        x.id,
                        x.start,
                        x.rel_type,
                        x.end,
                        props(&x.properties, show_values)
                    )
                };
                text.push_str(&before_after(r, show));
            }
        }
        self.out(text.trim_end());
    }
}

fn before_after<T>(r: &PreviewRecord<T>, show: impl Fn(&T) -> String) -> String {
    match &r.after {
        Some(after) => format!("    {}\n      -> {}\n", show(&r.before), show(after)),
        None => format!("    {}\n      -> dropped\n", show(&r.before)),
    }
}

fn props(p: &Properties, show_values: bool) -> String {
    let each: Vec<String> = p
        .iter()
        .map(|(k, v)| if show_values { format!("{k}: {}", value_json(v)) } else { format!("{k}: {}", v.type_name()) })
        .collect();
    format!("{{{}}}", each.join(", "))
}

fn props_json(p: &Properties, show_values: bool) -> serde_json::Value {
    p.iter()
        .map(|(k, v)| (k.clone(), if show_values { value_json(v) } else { json!(v.type_name()) }))
        .collect::<serde_json::Map<_, _>>()
        .into()
}

fn node_json(n: &crate::model::Node, show_values: bool) -> serde_json::Value {
    json!({"id": n.id, "labels": n.labels, "properties": props_json(&n.properties, show_values)})
}

fn rel_json(r: &crate::model::Relationship, show_values: bool) -> serde_json::Value {
    json!({"id": r.id, "type": r.rel_type, "start": r.start, "end": r.end, "properties": props_json(&r.properties, show_values)})
}

/// The summary's transform section: one line per operation that did something.
pub(super) fn summary_text(t: &TransformReport) -> String {
    let mut text = format!("\nTransform {}:\n", t.file);
    for o in &t.operations {
        let mut parts = Vec::new();
        for (n, what) in [(o.changed, "changed"), (o.dropped, "dropped"), (o.failed, "failed to convert")] {
            if n > 0 {
                parts.push(format!("{} {what}", thousands(n)));
            }
        }
        if o.failed > 0 {
            parts.push(format!("of which {} kept as they were, {} nulled", thousands(o.kept), thousands(o.nulled)));
        }
        let line = o.line.map(|l| format!(" (line {l})")).unwrap_or_default();
        let done = if parts.is_empty() { "no effect".to_string() } else { parts.join(", ") };
        text.push_str(&format!("  {}. {}{line}: {done}\n", o.index, o.operation));
    }
    text.push_str(&format!(
        "  Dropped {} nodes and {} relationships ({} because an endpoint was dropped); {} relationships re-pointed\n",
        thousands(t.dropped_nodes),
        thousands(t.dropped_relationships),
        thousands(t.dangling_relationships),
        thousands(t.repointed_relationships)
    ));
    text
}

/// A value in the dump's tagged JSON (`{"$date": ...}`), so its type shows with it.
fn value_json(v: &Value) -> serde_json::Value {
    serde_json::to_value(crate::model::json::DumpValue(v)).unwrap_or_default()
}
