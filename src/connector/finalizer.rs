//! The [`Finalizer`] capability: removing what a copy added to a target for its own identity
//! (an identity label, source-id properties, their constraint), so that a migrated target
//! holds the source graph and nothing else (`graphferry finalize`).
//!
//! The APOC import procedures do the same at the end of an import: they remove their temporary
//! import label and id property. graphferry keeps them until asked, since they are what makes
//! re-runs, resume and incremental copies idempotent.

use async_trait::async_trait;

use super::ConnectorError;

/// One pass of a finalize: which records it clears, in batches, until a batch clears nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarkPass {
    /// Nodes carrying the identity label or property, and the marks of their outgoing
    /// relationships with them (driven by the identity label's index, so each batch only visits
    /// what is still marked).
    Nodes,
    /// Relationships still carrying the source-id property (a sweep after the node pass, or the
    /// only pass where nodes carry no marks).
    Relationships,
}

/// Records whose marks were removed, or that still carry them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Marked {
    pub nodes: u64,
    pub relationships: u64,
}

impl Marked {
    pub fn total(&self) -> u64 {
        self.nodes + self.relationships
    }

    pub fn add(&mut self, other: Marked) {
        self.nodes += other.nodes;
        self.relationships += other.relationships;
    }
}

/// Removes a copy's identity marks from one target.
///
/// Contract: the pipeline calls [`remaining`](Self::remaining) once (for the progress bar), then
/// for each of [`passes`](Self::passes) in order calls [`clear`](Self::clear) until a call clears
/// nothing, then [`drop_schema`](Self::drop_schema) once, last, because the constraint's index is
/// what the passes find marked nodes by. Each `clear` is one transaction of at most `batch`
/// records (so it stays well inside the query timeout) and is idempotent: a call after a failure,
/// a kill or a finished run clears only what is still marked, so a finalize resumes by running
/// again, and a second run finds nothing to do. Calls are never concurrent.
#[async_trait]
pub trait Finalizer: Send + Sync {
    /// Why this target never holds marks (a dump file, Neptune Database): finalize says so and
    /// changes nothing. `None`: it may hold some.
    fn nothing_to_remove(&self) -> Option<&'static str> {
        None
    }

    /// What finalize removes here, for the output: "label `_GraphferryNode`, ...".
    fn describe(&self) -> String;

    /// The passes, in order.
    fn passes(&self) -> &'static [MarkPass] {
        &[]
    }

    /// Records still marked.
    async fn remaining(&self) -> Result<Marked, ConnectorError> {
        Ok(Marked::default())
    }

    /// Removes the marks of at most `batch` records of `pass` (a node batch also clears its
    /// nodes' outgoing relationships); returns what it changed.
    async fn clear(&self, _pass: MarkPass, _batch: usize) -> Result<Marked, ConnectorError> {
        Ok(Marked::default())
    }

    /// Drops the constraints and indexes a copy created for its identity marks; returns their
    /// names (none when already dropped).
    async fn drop_schema(&self) -> Result<Vec<String>, ConnectorError> {
        Ok(Vec::new())
    }
}

/// A target a copy leaves no marks in.
#[derive(Debug, Clone, Copy)]
pub struct NothingToFinalize(pub &'static str);

#[async_trait]
impl Finalizer for NothingToFinalize {
    fn nothing_to_remove(&self) -> Option<&'static str> {
        Some(self.0)
    }

    fn describe(&self) -> String {
        "nothing".into()
    }
}
