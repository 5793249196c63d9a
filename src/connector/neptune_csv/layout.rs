//! Neptune's openCypher load format
//! (https://docs.aws.amazon.com/neptune/latest/userguide/bulk-load-tutorial-format-opencypher.html):
//! node files `:ID,:LABEL,name:Type...` with labels joined by `;`, relationship files
//! `:ID,:START_ID,:END_ID,:TYPE,name:Type...`, a header atop every file, RFC 4180 quoting.
//!
//! Property names go into the header as `name:Type`. AWS's "Property column headers" page
//! (https://docs.aws.amazon.com/neptune-analytics/latest/userguide/property-column-headers.html)
//! says a `:` inside a name is escaped `\:`, and that space, comma, carriage return and newline
//! cannot appear in a header at all: a property so named cannot be exported (an error names it).

use crate::connector::bulk::{Group, Kind, Layout};

pub struct NeptuneLayout;

/// Why a property name cannot be a column of this format, if it cannot.
pub fn unusable_name(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        Some("an empty name")
    } else if name.contains([' ', ',', '\r', '\n']) {
        Some("a space, comma or line break, which Neptune's load format does not allow in a column header")
    } else {
        None
    }
}

/// Why a label cannot be written in `:LABEL`, if it cannot (labels are `;`-separated there).
pub fn unusable_label(label: &str) -> Option<&'static str> {
    label.contains(';').then_some("a `;`, which separates labels in Neptune's `:LABEL` column")
}

impl Layout for NeptuneLayout {
    fn system_header(&self, kind: Kind) -> Vec<String> {
        let cells: &[&str] = match kind {
            Kind::Nodes => &[":ID", ":LABEL"],
            Kind::Relationships => &[":ID", ":START_ID", ":END_ID", ":TYPE"],
        };
        cells.iter().map(|s| s.to_string()).collect()
    }

    fn group_cells(&self, group: &Group) -> Vec<Option<String>> {
        match group.kind {
            // An unlabelled node gets Neptune's default label `vertex` (counted by the sink).
            Kind::Nodes => vec![(!group.names.is_empty()).then(|| group.names.join(";"))],
            Kind::Relationships => vec![group.names.first().cloned()],
        }
    }

    fn property_header(&self, name: &str, type_name: &str) -> String {
        format!("{}:{type_name}", name.replace(':', "\\:"))
    }

    fn header_file(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_escape_colons_and_names_the_format_cannot_hold_are_named() {
        assert_eq!(NeptuneLayout.property_header("a:b", "Long"), "a\\:b:Long");
        assert_eq!(NeptuneLayout.property_header("it's \"q\"`", "String"), "it's \"q\"`:String");
        assert!(unusable_name("first name").is_some());
        assert!(unusable_name("a,b").is_some());
        assert!(unusable_name("ünï`x").is_none());
        assert!(unusable_label("a;b").is_some());
        let unlabelled = Group { kind: Kind::Nodes, names: vec![] };
        assert_eq!(NeptuneLayout.group_cells(&unlabelled), vec![None], "no label: an empty cell, Neptune's `vertex`");
        let two = Group { kind: Kind::Nodes, names: vec!["A".into(), "B c".into()] };
        assert_eq!(NeptuneLayout.group_cells(&two), vec![Some("A;B c".to_string())]);
    }
}
