//! The files `neo4j-admin database import full` reads
//! (https://neo4j.com/docs/operations-manual/current/import/header-format/): per file set a
//! header file and data files without header; nodes `<id property>:ID(node)` (the source id,
//! also stored as the identity property the `neo4j` query path uses) and `:LABEL` (the node's
//! labels and the identity label, joined with the array delimiter); relationships
//! `<id property>:string`, `:START_ID(node)`, `:END_ID(node)`, `:TYPE`; then `name:type`.

use std::borrow::Cow;

use super::encoding::{final_array, JOINED, TENTATIVE};
use crate::connector::bulk::{Group, Kind, Layout};

/// The id space every node id lives in (ids are unique across labels: they are source ids).
pub const ID_SPACE: &str = "node";

pub struct AdminLayout {
    pub id_property: String,
    pub identity_label: String,
    pub delimiter: char,
}

impl Layout for AdminLayout {
    fn system_header(&self, kind: Kind) -> Vec<String> {
        match kind {
            Kind::Nodes => vec![format!("{}:ID({ID_SPACE})", self.id_property), ":LABEL".into()],
            Kind::Relationships => vec![
                format!("{}:string", self.id_property),
                format!(":START_ID({ID_SPACE})"),
                format!(":END_ID({ID_SPACE})"),
                ":TYPE".into(),
            ],
        }
    }

    fn group_cells(&self, group: &Group) -> Vec<Option<String>> {
        match group.kind {
            Kind::Nodes => {
                let mut labels = group.names.clone();
                labels.push(self.identity_label.clone());
                vec![Some(labels.join(&self.delimiter.to_string()))]
            }
            Kind::Relationships => vec![group.names.first().cloned()],
        }
    }

    fn property_header(&self, name: &str, type_name: &str) -> String {
        format!("{name}:{type_name}")
    }

    fn cell_final(&self, type_name: &str, form: u8) -> bool {
        !type_name.ends_with("[]") || (form == JOINED && self.delimiter == TENTATIVE)
    }

    fn property_cell<'a>(&self, type_name: &str, spooled: &'a str, form: u8) -> Cow<'a, str> {
        if type_name.ends_with("[]") {
            Cow::Owned(final_array(spooled, form, self.delimiter))
        } else {
            Cow::Borrowed(spooled)
        }
    }

    fn header_file(&self) -> bool {
        true
    }
}
