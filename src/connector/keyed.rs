//! Node identity from the keys the migrations declare, one rule for every sink: a node of a
//! label with declared keys is identified by its key values; one that lacks a value for any of
//! them (absent or null) cannot be, since every such node would get the same identity and
//! distinct source nodes would silently become one. The copy refuses such a node, naming the
//! label, the key and the source id, unless the user chose [`MissingKey::SourceId`]: then that
//! node is identified by its source id, like a node of a label without keys.

use std::collections::BTreeMap;

use super::{ConnectorError, FailedWrite};
use crate::model::{Node, Value};

/// Node keys per label, as declared by the migrations.
pub type NodeKeys = BTreeMap<String, Vec<String>>;

/// What a copy does with a node of a keyed label that has no value for one of the keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum MissingKey {
    /// Fail the copy, naming the label, the key and the node's source id.
    #[default]
    Fail,
    /// Identify that node by its source id instead of its keys.
    SourceId,
}

/// How one node is identified in a target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum NodeIdentity<'a> {
    /// By the values of `keys`, declared for `label` (one of the node's labels).
    Keys { label: &'a str, keys: &'a [String] },
    /// By its source id.
    SourceId,
}

/// The label a node is identified by: the first of its labels with declared keys, if any.
pub fn keyed_label<'a>(node: &Node, keys: &'a NodeKeys) -> Option<(&'a str, &'a [String])> {
    node.labels
        .iter()
        .find_map(|l| keys.get_key_value(l).filter(|(_, k)| !k.is_empty()).map(|(l, k)| (l.as_str(), k.as_slice())))
}

/// The first key of `keys` the node has no value for.
fn missing_key<'a>(node: &Node, keys: &'a [String]) -> Option<&'a str> {
    keys.iter().find(|k| matches!(node.properties.get(k.as_str()), None | Some(Value::Null))).map(String::as_str)
}

/// How `node` is identified, or, with [`MissingKey::Fail`], the error refusing a node that lacks
/// a key value (fatal: the data, not the target, has to change). The error carries the node as
/// the failed write, so the copy's message names this node, not its batch's first one.
pub fn node_identity<'a>(
    node: &Node,
    keys: &'a NodeKeys,
    missing: MissingKey,
    target: &str,
) -> Result<NodeIdentity<'a>, ConnectorError> {
    let Some((label, key_names)) = keyed_label(node, keys) else { return Ok(NodeIdentity::SourceId) };
    match (missing_key(node, key_names), missing) {
        (None, _) => Ok(NodeIdentity::Keys { label, keys: key_names }),
        (Some(_), MissingKey::SourceId) => Ok(NodeIdentity::SourceId),
        (Some(key), MissingKey::Fail) => Err(ConnectorError::fatal(format!(
            "target `{target}`: node with source id `{}` has no value for `{key}`, a key of label `{label}` declared \
             by the migrations; nodes without it would all get one identity and be merged into one node. Give \
             every such node the key, or copy with --missing-key source-id to identify them by their source id",
            node.id
        ))
        .with_code("MissingKey")
        .in_write(FailedWrite::nodes(std::slice::from_ref(node)))),
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

    fn keys() -> NodeKeys {
        NodeKeys::from([("Person".to_string(), vec!["email".to_string(), "name".to_string()])])
    }

    #[test]
    fn a_node_with_every_key_is_identified_by_them() {
        let n = node(&["Actor", "Person"], &[("email", Value::String("a@x".into())), ("name", Value::Int(0))]);
        let keys = keys();
        assert_eq!(
            node_identity(&n, &keys, MissingKey::Fail, "t").unwrap(),
            NodeIdentity::Keys { label: "Person", keys: &keys["Person"] }
        );
        assert_eq!(
            node_identity(&node(&["Movie"], &[]), &keys, MissingKey::Fail, "t").unwrap(),
            NodeIdentity::SourceId
        );
    }

    #[test]
    fn a_missing_or_null_key_fails_naming_label_key_and_source_id_unless_the_source_id_is_chosen() {
        let keys = keys();
        for n in [
            node(&["Person"], &[("email", Value::String("secret@x".into()))]),
            node(&["Person"], &[("email", Value::String("secret@x".into())), ("name", Value::Null)]),
        ] {
            let e = node_identity(&n, &keys, MissingKey::Fail, "np").unwrap_err();
            let text = e.to_string();
            assert!(text.starts_with("MissingKey: target `np`: node with source id `src-1` has no value for `name`, a key of label `Person`"), "{text}");
            assert!(text.contains("--missing-key source-id") && !text.contains("secret@x"), "{text}");
            assert_eq!(e.class, super::super::ErrorClass::Fatal);
            let w = e.write.expect("the node is the failed write");
            assert_eq!((w.scope.as_str(), w.first_id.as_str(), w.count), ("label Person", "src-1", 1));
            assert_eq!(node_identity(&n, &keys, MissingKey::SourceId, "np").unwrap(), NodeIdentity::SourceId);
        }
    }
}
