//! Which `~id` a copied node gets in Neptune.
//!
//! When the migrations declare keys for one of the node's labels, the id is the one nodestream's
//! Neptune plugin computes, `<Type>_<key>:<value>` joined with `_` over the keys in sorted order,
//! so nodestream pipelines that keep feeding the graph update the same nodes. Values render as
//! Python's `str()` does (that is what nodestream runs), except that graphferry renders 0, false
//! and "" as themselves where nodestream's `value or ''` turns them into an empty string; a
//! missing or null key is the empty string in both. Otherwise the id is the source id.

use std::collections::BTreeMap;

use crate::model::{Node, Value};

/// Node keys per label, as declared by the migrations.
pub type NodeKeys = BTreeMap<String, Vec<String>>;

/// The label a node is identified by: the first of its labels with declared keys, if any.
pub fn keyed_label<'a>(node: &'a Node, keys: &'a NodeKeys) -> Option<(&'a str, &'a [String])> {
    node.labels.iter().find_map(|l| keys.get(l).filter(|k| !k.is_empty()).map(|k| (l.as_str(), k.as_slice())))
}

/// The node's `~id` in Neptune.
pub fn node_id(node: &Node, keys: &NodeKeys) -> String {
    let Some((label, key_names)) = keyed_label(node, keys) else { return node.id.clone() };
    let mut sorted: Vec<&String> = key_names.iter().collect();
    sorted.sort();
    let parts: Vec<String> = sorted
        .iter()
        .map(|k| format!("{k}:{}", node.properties.get(k.as_str()).map(python_str).unwrap_or_default()))
        .collect();
    format!("{label}_{}", parts.join("_"))
}

/// `str(value)` as Python prints the value nodestream would hold.
fn python_str(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => python_float(*f),
        Value::String(s) => s.clone(),
        // Keys of these types are rare; a stable, readable rendering is what matters.
        other => super::encoding::text_form(other),
    }
}

/// Python's `repr(float)`: shortest round-trip digits, `.0` on whole numbers, exponent form
/// below 1e-4 and from 1e16 on, `inf`/`nan`.
fn python_float(f: f64) -> String {
    if f.is_nan() {
        return "nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0.0".into() } else { "0.0".into() };
    }
    // Rust's `{:e}` gives the same shortest digits: `1.5e-7`, `1e20`.
    let sci = format!("{f:e}");
    let (mantissa, exp) = sci.split_once('e').expect("{:e} has an exponent");
    let exp: i32 = exp.parse().expect("integer exponent");
    if (-4..16).contains(&exp) {
        let plain = format!("{f}");
        if plain.contains('.') {
            plain
        } else {
            format!("{plain}.0")
        }
    } else {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exp.abs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(labels: &[&str], props: &[(&str, Value)]) -> Node {
        Node {
            id: "src-1".into(),
            labels: labels.iter().map(|l| l.to_string()).collect(),
            properties: props.iter().map(|(k, v)| (k.to_string(), v.clone())).collect(),
        }
    }

    fn keys(label: &str, names: &[&str]) -> NodeKeys {
        NodeKeys::from([(label.to_string(), names.iter().map(|n| n.to_string()).collect())])
    }

    #[test]
    fn nodestream_format_over_sorted_keys() {
        let n = node(&["Person"], &[("name", Value::String("Ann".into())), ("born", Value::Int(1970))]);
        assert_eq!(node_id(&n, &keys("Person", &["name", "born"])), "Person_born:1970_name:Ann");
    }

    #[test]
    fn zero_false_and_empty_render_as_themselves() {
        let n = node(&["T"], &[("a", Value::Int(0)), ("b", Value::Bool(false)), ("c", Value::String(String::new()))]);
        assert_eq!(node_id(&n, &keys("T", &["a", "b", "c", "d"])), "T_a:0_b:False_c:_d:");
    }

    #[test]
    fn unkeyed_nodes_keep_the_source_id_and_second_labels_can_carry_keys() {
        let n = node(&["Actor", "Person"], &[("name", Value::String("Bo".into()))]);
        assert_eq!(node_id(&n, &NodeKeys::new()), "src-1");
        assert_eq!(node_id(&n, &keys("Person", &["name"])), "Person_name:Bo");
    }

    #[test]
    fn floats_print_like_python() {
        for (f, want) in [(1.0, "1.0"), (0.1 + 0.2, "0.30000000000000004"), (1e16, "1e+16"), (1.5e-7, "1.5e-07")] {
            assert_eq!(python_float(f), want);
        }
        assert_eq!(python_float(123456.5), "123456.5");
        assert_eq!(python_float(-0.0), "-0.0");
    }
}
