//! Which `~id` a copied node gets in Neptune.
//!
//! When the node is identified by keys the migrations declare ([`keyed`](crate::connector::keyed)
//! decides: every key has a value), the id is the one nodestream's Neptune plugin computes,
//! `<Type>_<key>:<value>` joined with `_` over the keys in sorted order, so nodestream pipelines
//! that keep feeding the graph update the same nodes. Values render as Python's `str()` does
//! (that is what nodestream runs), except that graphferry renders 0, false and "" as themselves
//! where nodestream's `value or ''` turns them into an empty string. A node without a key value
//! never gets a keyed id (nodestream's would be the same for all of them). Otherwise the id is
//! the source id.

pub use crate::connector::keyed::NodeKeys;
use crate::connector::keyed::{node_identity, MissingKey, NodeIdentity};
use crate::model::{Node, Value};

/// The node's `~id` in Neptune, identified as `identity` says.
pub fn node_id(node: &Node, identity: NodeIdentity<'_>) -> String {
    let NodeIdentity::Keys { label, keys: key_names } = identity else { return node.id.clone() };
    let mut sorted: Vec<&String> = key_names.iter().collect();
    sorted.sort();
    let parts: Vec<String> = sorted
        .iter()
        .map(|k| format!("{k}:{}", node.properties.get(k.as_str()).map(python_str).unwrap_or_default()))
        .collect();
    format!("{label}_{}", parts.join("_"))
}

/// The `~id` a copy gave `node`, for reading it back: a node lacking a key value was copied
/// only under `--missing-key source-id`, with its source id.
pub fn copied_id(node: &Node, keys: &NodeKeys) -> String {
    node_id(node, node_identity(node, keys, MissingKey::SourceId, "").unwrap_or(NodeIdentity::SourceId))
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
        assert_eq!(copied_id(&n, &keys("Person", &["name", "born"])), "Person_born:1970_name:Ann");
    }

    #[test]
    fn zero_false_and_empty_render_as_themselves() {
        let n = node(&["T"], &[("a", Value::Int(0)), ("b", Value::Bool(false)), ("c", Value::String(String::new()))]);
        assert_eq!(copied_id(&n, &keys("T", &["a", "b", "c"])), "T_a:0_b:False_c:");
    }

    #[test]
    fn unkeyed_nodes_keep_the_source_id_and_second_labels_can_carry_keys() {
        let n = node(&["Actor", "Person"], &[("name", Value::String("Bo".into()))]);
        assert_eq!(copied_id(&n, &NodeKeys::new()), "src-1");
        assert_eq!(copied_id(&n, &keys("Person", &["name"])), "Person_name:Bo");
    }

    #[test]
    fn a_node_without_a_key_value_never_gets_a_keyed_id() {
        // nodestream would give both `T_a:_b:1`: two nodes merged into one.
        let n = node(&["T"], &[("b", Value::Int(1)), ("a", Value::Null)]);
        assert_eq!(copied_id(&n, &keys("T", &["a", "b"])), "src-1");
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
