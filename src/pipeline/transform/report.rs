//! What a transform did, counted per operation, for the summary and `--json`.

use std::path::Path;

use serde::Serialize;

use super::Operation;

/// Counts of one operation's effect.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct OperationCount {
    /// Its position in the file (1-based) and name.
    pub index: usize,
    pub operation: &'static str,
    pub line: Option<usize>,
    /// Records it changed (a label, a type, an id, a property's value or name).
    pub changed: u64,
    /// Records it dropped (`DropNodeType`, `DropRelationshipType`, `Filter`, `Deduplicate`).
    pub dropped: u64,
    /// Values that did not convert (`Coerce`) or ids that could not be built (`IdTemplate`);
    /// each is also counted under what `on_error` did with it: `kept` or `nulled`.
    pub failed: u64,
    pub kept: u64,
    pub nulled: u64,
}

/// A transform's effect over a copy.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct TransformReport {
    pub file: String,
    pub operations: Vec<OperationCount>,
    /// Nodes dropped, by any operation.
    pub dropped_nodes: u64,
    /// Relationships dropped, by an operation or because an endpoint was dropped.
    pub dropped_relationships: u64,
    /// Of `dropped_relationships`, those whose start or end node was dropped.
    pub dangling_relationships: u64,
    /// Relationships whose endpoint was re-pointed (to a de-duplicated node's kept twin or to a
    /// node's new id).
    pub repointed_relationships: u64,
}

impl TransformReport {
    pub(super) fn for_operations(file: &Path, operations: &[Operation]) -> Self {
        TransformReport {
            file: file.display().to_string(),
            operations: operations
                .iter()
                .enumerate()
                .map(|(i, o)| OperationCount { index: i + 1, operation: o.name, line: o.line, ..Default::default() })
                .collect(),
            ..Default::default()
        }
    }

    /// Adds another report's counts of the same file (parallel pieces of one copy).
    pub fn add(&mut self, other: &TransformReport) {
        for (a, b) in self.operations.iter_mut().zip(&other.operations) {
            a.changed += b.changed;
            a.dropped += b.dropped;
            a.failed += b.failed;
            a.kept += b.kept;
            a.nulled += b.nulled;
        }
        self.dropped_nodes += other.dropped_nodes;
        self.dropped_relationships += other.dropped_relationships;
        self.dangling_relationships += other.dangling_relationships;
        self.repointed_relationships += other.repointed_relationships;
    }
}
