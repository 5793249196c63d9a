//! The scans a Neptune source reads a selection with, and its resume token.
//!
//! A selection is read on the server, label by label and type by type, so `copy --node X`
//! costs what X holds, not what the graph holds. Each selected node is in exactly one scan: a
//! label's scan skips nodes carrying a label scanned before it, and the endpoints of selected
//! relationship types are one more scan skipping every selected label. (Neptune gives every
//! node a label, so there is no scan of unlabelled nodes.)

use super::query;
use crate::connector::Selection;

/// One server-side scan of nodes, in `~id` order.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum NodeScan {
    /// Every node (a whole-graph copy).
    Every,
    /// Nodes labelled `label` and none of `earlier`.
    Label { label: String, earlier: Vec<String> },
    /// Nodes at either end of a relationship of `types` that carry none of `selected`.
    Endpoints { types: Vec<String>, selected: Vec<String> },
}

impl NodeScan {
    /// One page after `$after`, at most `limit` rows of `n`.
    pub(super) fn page(&self, limit: usize) -> String {
        match self {
            NodeScan::Every => query::node_page(None, &[], limit),
            NodeScan::Label { label, earlier } => query::node_page(Some(label), earlier, limit),
            NodeScan::Endpoints { types, selected } => query::endpoint_page(types, selected, limit),
        }
    }

    /// The scan's nodes counted per label set.
    pub(super) fn counts(&self) -> String {
        match self {
            NodeScan::Every => query::label_counts(),
            NodeScan::Label { label, earlier } => query::node_counts(Some(label), earlier),
            NodeScan::Endpoints { types, selected } => query::endpoint_counts(types, selected),
        }
    }
}

/// The node scans of `selection`, each selected node in exactly one of them.
pub(super) fn node_scans(selection: &Selection) -> Vec<NodeScan> {
    let Selection::Only { labels, relationship_types } = selection else { return vec![NodeScan::Every] };
    let labels = sorted(labels);
    let mut scans: Vec<NodeScan> = labels
        .iter()
        .enumerate()
        .map(|(i, l)| NodeScan::Label { label: l.clone(), earlier: labels[..i].to_vec() })
        .collect();
    if !relationship_types.is_empty() {
        scans.push(NodeScan::Endpoints { types: sorted(relationship_types), selected: labels });
    }
    scans
}

/// The relationship scans of `selection`: every relationship (`None`), or type by type.
pub(super) fn relationship_scans(selection: &Selection) -> Vec<Option<String>> {
    match selection {
        Selection::All => vec![None],
        Selection::Only { relationship_types, .. } => sorted(relationship_types).into_iter().map(Some).collect(),
    }
}

fn sorted(names: &[String]) -> Vec<String> {
    let mut names = names.to_vec();
    names.sort();
    names.dedup();
    names
}


#[cfg(test)]
mod tests {
    use super::*;

    fn only(labels: &[&str], types: &[&str]) -> Selection {
        let owned = |v: &[&str]| v.iter().map(|s| s.to_string()).collect();
        Selection::Only { labels: owned(labels), relationship_types: owned(types) }
    }

    #[test]
    fn each_node_is_in_one_scan() {
        assert_eq!(node_scans(&Selection::All), vec![NodeScan::Every]);
        let label = |l: &str, earlier: &[&str]| NodeScan::Label {
            label: l.into(),
            earlier: earlier.iter().map(|s| s.to_string()).collect(),
        };
        assert_eq!(node_scans(&only(&["B", "A", "B"], &[])), vec![label("A", &[]), label("B", &["A"])]);
        assert_eq!(
            node_scans(&only(&["A"], &["T", "S"])),
            vec![label("A", &[]), NodeScan::Endpoints { types: vec!["S".into(), "T".into()], selected: vec!["A".into()] }]
        );
        assert_eq!(relationship_scans(&only(&["A"], &[])), Vec::<Option<String>>::new());
        assert_eq!(relationship_scans(&only(&[], &["T", "S", "T"])), vec![Some("S".into()), Some("T".into())]);
    }
}
