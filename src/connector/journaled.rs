//! What a database target does for a copy's journal and for `graphferry rollback`: read the
//! before-images of the records a batch is about to change, and undo a run from them.
//!
//! Records are named the way the target identifies what a copy wrote: by their *source* id (the
//! id the copy read them under), which the sink stored on every record it wrote. A before-image
//! is the target's view of the record: every label and property it holds, graphferry's identity
//! marks included, so restoring it puts back exactly what was there.

use async_trait::async_trait;

use super::{ConnectorError, CopyPlan};
use crate::model::{Node, Relationship};

/// A relationship named for deletion: its source id and its endpoints' (the start node is how
/// the target finds it without scanning every relationship; both endpoints make it the one the
/// copy wrote, should another relationship with that id join other nodes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelationshipRef {
    pub id: String,
    pub start: String,
    pub end: String,
}

/// A relationship attached to a node about to be deleted: the node's source id and the
/// relationship's (`None`: a relationship no copy wrote).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attached {
    pub node: String,
    pub relationship: Option<String>,
}

/// Nodes are named to the undo methods by their target id: [`Journaled::target_id`] where it
/// gives one, else the source id.
///
/// Contract: every method is one bounded request (a batch at most as large as given), and the
/// undo methods are idempotent (deleting what is gone or restoring what is restored changes
/// nothing), so a rollback interrupted anywhere converges when run again.
#[async_trait]
pub trait Journaled: Send + Sync {
    /// Called once before the first batch of a copy, after the sink's own `prepare`. Returns
    /// true when the target holds nothing the copy could match (no record of a copied label nor
    /// any record an earlier copy wrote): every record the copy writes is then new, and the
    /// journal records ids without looking them up.
    async fn prepare(&self, plan: &CopyPlan) -> Result<bool, ConnectorError>;

    /// The id the target knows `node` by when it is not its source id (a Neptune `~id` built
    /// from migration keys), journaled so the undo finds a node the run created. After `prepare`.
    fn target_id(&self, _node: &Node) -> Option<String> {
        None
    }

    /// The target's counterparts of `batch` as they are now, found the way the sink will find
    /// them, under the source id of the record in `batch`; records with none are left out.
    async fn before_nodes(&self, batch: &[Node]) -> Result<Vec<Node>, ConnectorError>;

    /// As [`Journaled::before_nodes`], for relationships (`start`/`end`: the endpoints'
    /// source ids as in `batch`).
    async fn before_relationships(&self, batch: &[Relationship]) -> Result<Vec<Relationship>, ConnectorError>;

    /// Deletes these relationships; returns how many were still there.
    async fn delete_relationships(&self, rels: &[RelationshipRef]) -> Result<u64, ConnectorError>;

    /// The relationships attached to these nodes (both directions).
    async fn attached(&self, nodes: &[String]) -> Result<Vec<Attached>, ConnectorError>;

    /// Deletes these nodes; `detach`: with any relationship still attached. Returns how many
    /// were still there.
    async fn delete_nodes(&self, nodes: &[String], detach: bool) -> Result<u64, ConnectorError>;

    /// Puts these before-images back: labels and properties replaced wholesale. Returns how
    /// many records were found.
    async fn restore_nodes(&self, images: &[Node]) -> Result<u64, ConnectorError>;

    async fn restore_relationships(&self, images: &[Relationship]) -> Result<u64, ConnectorError>;
}
