//! Selected labels and relationship types that the source does not have. A copy of a name the
//! source lacks would copy nothing for it (and replace a file target with less than the user
//! expects), so the copy refuses it with the closest valid names unless told to go on.

use std::collections::BTreeMap;
use std::fmt;

use crate::config::closest_name;
use crate::connector::Selection;
use crate::model::GraphSchema;

/// How many valid names a message lists when none is close to the one given.
const LISTED: usize = 8;

/// One `--node` label or `--relationship` type the source has no record of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Absent {
    /// `label` or `relationship type`.
    pub kind: &'static str,
    pub name: String,
    /// The closest name the source has, if one is close.
    pub suggestion: Option<String>,
    /// The names the source has of this kind (for the message when nothing is close).
    pub available: Vec<String>,
}

/// The selected names `schema` has no record of, labels first, in the order given.
pub fn absent(selection: &Selection, schema: &GraphSchema) -> Vec<Absent> {
    let Selection::Only { labels, relationship_types } = selection else { return Vec::new() };
    let missing = |kind: &'static str, names: &[String], present: &BTreeMap<String, u64>| {
        names
            .iter()
            .filter(|n| !present.contains_key(*n))
            .map(|n| Absent {
                kind,
                name: n.clone(),
                suggestion: closest_name(n, present.keys().map(String::as_str)),
                available: present.keys().cloned().collect(),
            })
            .collect::<Vec<_>>()
    };
    let mut out = missing("label", labels, &schema.labels);
    out.extend(missing("relationship type", relationship_types, &schema.relationship_types));
    out
}

impl fmt::Display for Absent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "no {} `{}`", self.kind, self.name)?;
        if let Some(s) = &self.suggestion {
            return write!(f, " (did you mean `{s}`?)");
        }
        match self.available.len() {
            0 => write!(f, " (it has none)"),
            n if n <= LISTED => write!(f, " (it has: {})", self.available.join(", ")),
            n => write!(f, " (it has: {}, and {} more)", self.available[..LISTED].join(", "), n - LISTED),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema() -> GraphSchema {
        GraphSchema {
            labels: [("Person".to_string(), 3), ("Movie".to_string(), 2)].into(),
            relationship_types: [("ACTED_IN".to_string(), 4)].into(),
            ..GraphSchema::default()
        }
    }

    fn only(labels: &[&str], types: &[&str]) -> Selection {
        let owned = |v: &[&str]| v.iter().map(|s| s.to_string()).collect();
        Selection::Only { labels: owned(labels), relationship_types: owned(types) }
    }

    #[test]
    fn names_the_source_has_are_not_absent() {
        assert!(absent(&only(&["Person", "Movie"], &["ACTED_IN"]), &schema()).is_empty());
        assert!(absent(&Selection::All, &GraphSchema::default()).is_empty());
    }

    #[test]
    fn a_near_miss_suggests_the_closest_name() {
        let found = absent(&only(&["Persn"], &["ACTED"]), &schema());
        let text: Vec<String> = found.iter().map(ToString::to_string).collect();
        assert_eq!(
            text,
            ["no label `Persn` (did you mean `Person`?)", "no relationship type `ACTED` (it has: ACTED_IN)"]
        );
    }

    #[test]
    fn nothing_close_lists_what_there_is() {
        let found = absent(&only(&["Nope"], &[]), &schema());
        assert_eq!(found[0].to_string(), "no label `Nope` (it has: Movie, Person)");
        let empty = absent(&only(&["X"], &[]), &GraphSchema::default());
        assert_eq!(empty[0].to_string(), "no label `X` (it has none)");
    }
}
