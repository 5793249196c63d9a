//! The transform stage: operations declared in a YAML file (`--transform FILE`, or `transform:`
//! under the copy's target in nodestream.yaml) applied to every record between the source and
//! the sink, in file order. It knows no database: it sees [`Node`]s and [`Relationship`]s.
//!
//! Determinism: the same file over the same records in the same read order gives the same
//! output, so a resumed copy writes what the first run would have. What one record's fate does
//! to later ones (a dropped or de-duplicated node, a node given a new id) is kept in [`State`]
//! while the nodes pass, and applied to the relationships, which come after every node (see
//! `pipeline`): their endpoints are dropped with the node or re-pointed. Applying a node twice
//! with the same state is harmless (a node is its own first duplicate), which is what lets a
//! resumed copy rebuild the state by reading the nodes again.

mod apply;
mod file;
mod preview;
mod report;
mod source;
mod values;

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use crate::model::Value;

pub use file::TransformFileError;
pub use preview::{preview, Preview, PreviewRecord};
pub use report::{OperationCount, TransformReport};
pub use source::TransformedSource;

/// A parsed transform file.
#[derive(Debug, Clone)]
pub struct Transform {
    pub file: PathBuf,
    /// A stable hash of the file's bytes (FNV-1a 64, hex), kept in the checkpoint so a resume
    /// with another transform is refused.
    pub fingerprint: String,
    operations: Vec<Operation>,
}

/// One operation of the file, with where it was declared (for messages and counts).
#[derive(Debug, Clone)]
pub(crate) struct Operation {
    /// Its name in the file (`RenameNodeType`).
    pub name: &'static str,
    pub line: Option<usize>,
    pub op: Op,
}

/// What an operation applies to.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Scope {
    /// Every node and every relationship.
    All,
    /// Nodes carrying this label (as it is at this point of the file: after earlier renames).
    Label(String),
    /// Relationships of this type.
    Type(String),
    /// Every node (no relationship).
    Nodes,
    /// Every relationship (no node).
    Relationships,
}

#[derive(Debug, Clone)]
pub(crate) enum Op {
    RenameLabel { from: String, to: String },
    RenameType { from: String, to: String },
    RenameProperty { scope: Scope, from: String, to: String },
    DropLabel { label: String },
    DropNodes { label: String },
    DropRelationships { rel_type: String },
    DropProperty { scope: Scope, property: String },
    SetProperty { scope: Scope, property: String, value: Value, if_missing: bool },
    IdTemplate { label: String, template: Vec<Piece>, on_error: OnError },
    Coerce { scope: Scope, property: String, to: values::Target, on_error: OnError },
    Cleanse { scope: Scope, property: String, steps: Vec<values::Step> },
    Filter { scope: Scope, condition: Condition },
    Deduplicate { label: String, key: Vec<String> },
}

/// A piece of an id template: text, `{label}`, `{id}` (the source id) or `{property}`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Piece {
    Text(String),
    Label,
    Id,
    Property(String),
}

/// What a value that cannot be converted does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OnError {
    /// Stop the copy, naming the record (the default).
    Fail,
    /// Leave the value as it is.
    Keep,
    /// Remove the property (a property set to null does not exist in Neo4j or Neptune).
    Null,
}

/// `where:` of a `Filter`: records for which it holds are kept.
#[derive(Debug, Clone)]
pub(crate) struct Condition {
    pub property: String,
    pub test: Test,
}

#[derive(Debug, Clone)]
pub(crate) enum Test {
    Equals(Value),
    NotEquals(Value),
    In(Vec<Value>),
    Exists(bool),
    GreaterThan(f64),
    AtLeast(f64),
    LessThan(f64),
    AtMost(f64),
}

/// What the nodes already passed did to the relationships still to come. Memory: one entry per
/// dropped node (its source id), per node given a new id (both ids), per de-duplicated node
/// (its id) and per distinct de-duplication key (the key and the kept node's id).
#[derive(Debug, Default, Clone)]
pub struct State {
    /// Source ids of nodes dropped (by `DropNodeType` or `Filter`).
    dropped: HashSet<String>,
    /// Source id of a duplicate → source id of the node kept in its place.
    merged: HashMap<String, String>,
    /// Source id → the id the node was written with (`IdTemplate`).
    renamed: HashMap<String, String>,
    /// (label, key values) → source id of the first node with them.
    seen: HashMap<String, String>,
}

impl State {
    fn is_empty(&self) -> bool {
        self.dropped.is_empty() && self.merged.is_empty() && self.renamed.is_empty()
    }
}

/// A record the transform cannot handle under `on_error: fail` (boxed: results stay small).
#[derive(Debug, Clone, thiserror::Error)]
#[error(transparent)]
pub struct TransformError(pub Box<RecordFailure>);

/// What [`TransformError`] says: the file, line, operation and record, never a value.
#[derive(Debug, Clone, thiserror::Error)]
#[error("transform {}{}, operation `{operation}`: {kind} `{id}` ({scope}): {message}", file.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct RecordFailure {
    pub file: PathBuf,
    pub line: Option<usize>,
    pub operation: &'static str,
    /// `node` or `relationship`.
    pub kind: &'static str,
    pub id: String,
    pub scope: String,
    pub message: String,
}

impl Transform {
    /// Reads and parses a transform file.
    pub fn load(path: &std::path::Path) -> Result<Transform, TransformFileError> {
        file::load(path)
    }

    /// Parses transform text as if read from `path`.
    pub fn parse(path: &std::path::Path, text: &str) -> Result<Transform, TransformFileError> {
        file::parse(path, text)
    }

    /// Whether the file has no operation (then the stage is skipped).
    pub fn is_empty(&self) -> bool {
        self.operations.is_empty()
    }

    /// Whether a node's fate changes relationships read later (drops, de-duplication, new ids):
    /// a resumed copy must then rebuild the [`State`] from the nodes before writing any.
    pub fn is_stateful(&self) -> bool {
        self.operations.iter().any(|o| {
            matches!(
                &o.op,
                Op::DropNodes { .. }
                    | Op::Deduplicate { .. }
                    | Op::IdTemplate { .. }
                    | Op::Filter { scope: Scope::All | Scope::Label(_) | Scope::Nodes, .. }
            )
        })
    }

    /// An empty report with one row per operation, in file order.
    pub fn new_report(&self) -> TransformReport {
        TransformReport::for_operations(&self.file, &self.operations)
    }
}

#[cfg(test)]
mod tests;
