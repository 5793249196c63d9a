//! A source seen through a transform, for `verify --transform`: the source side of the
//! comparison is what the copy wrote, so its records and counts are the transformed ones.
//!
//! Counting reads the whole selection through the transform (the transform's drops and renames
//! change every count). Relationships need the nodes' [`State`], so it is built once, by reading
//! every node of the selection, before the first relationship or count is given out; reading the
//! nodes again with it is harmless (see the module doc of `transform`).

use async_trait::async_trait;
use tokio::sync::{mpsc, Mutex};

use super::{State, Transform};
use crate::connector::{
    ConnectorError, NodeSender, Page, RelationshipSender, ResumeToken, Selection, SelectionCounts, Source,
};
use crate::model::{bump, GraphSchema, Node, Relationship};

pub struct TransformedSource {
    inner: Box<dyn Source>,
    transform: Transform,
    /// Built by the first read that needs it.
    state: Mutex<Option<State>>,
}

const PAGE: usize = 5000;

impl TransformedSource {
    pub fn new(inner: Box<dyn Source>, transform: Transform) -> Self {
        TransformedSource { inner, transform, state: Mutex::new(None) }
    }

    fn failed(&self, e: super::TransformError) -> ConnectorError {
        ConnectorError::fatal(e.to_string())
    }

    /// The state of the selection's nodes, read once.
    async fn state(&self, selection: &Selection) -> Result<State, ConnectorError> {
        let mut guard = self.state.lock().await;
        if let Some(state) = guard.as_ref() {
            return Ok(state.clone());
        }
        let mut state = State::default();
        let mut report = self.transform.new_report();
        let (tx, mut rx) = mpsc::channel::<Page<Node>>(2);
        let read = self.inner.read_nodes(selection, PAGE, None, tx);
        let apply = async {
            while let Some(page) = rx.recv().await {
                self.transform.nodes(page.records, &mut state, &mut report).map_err(|e| self.failed(e))?;
            }
            Ok::<(), ConnectorError>(())
        };
        let (read, applied) = tokio::join!(read, apply);
        read?;
        applied?;
        *guard = Some(state.clone());
        Ok(state)
    }
}

#[async_trait]
impl Source for TransformedSource {
    async fn schema(&self) -> Result<GraphSchema, ConnectorError> {
        let counts = self.count(&Selection::All).await?;
        Ok(GraphSchema {
            nodes: counts.nodes,
            relationships: counts.relationships,
            labels: counts.labels,
            relationship_types: counts.relationship_types,
        })
    }

    async fn count(&self, selection: &Selection) -> Result<SelectionCounts, ConnectorError> {
        let mut counts = SelectionCounts::default();
        let (tx, mut rx) = mpsc::channel::<Page<Node>>(2);
        let read = self.read_nodes(selection, PAGE, None, tx);
        let tally = async {
            while let Some(page) = rx.recv().await {
                counts.nodes += page.records.len() as u64;
                for label in page.records.iter().flat_map(|n| &n.labels) {
                    bump(&mut counts.labels, label);
                }
            }
        };
        let (read, ()) = tokio::join!(read, tally);
        read?;
        let (tx, mut rx) = mpsc::channel::<Page<Relationship>>(2);
        let read = self.read_relationships(selection, PAGE, None, tx);
        let tally = async {
            while let Some(page) = rx.recv().await {
                counts.relationships += page.records.len() as u64;
                for rel in &page.records {
                    bump(&mut counts.relationship_types, &rel.rel_type);
                }
            }
        };
        let (read, ()) = tokio::join!(read, tally);
        read?;
        Ok(counts)
    }

    async fn read_nodes(
        &self,
        selection: &Selection,
        batch_size: usize,
        after: Option<ResumeToken>,
        tx: NodeSender,
    ) -> Result<(), ConnectorError> {
        let mut state = self.state(selection).await?;
        let (inner_tx, mut rx) = mpsc::channel::<Page<Node>>(2);
        let read = self.inner.read_nodes(selection, batch_size, after, inner_tx);
        let forward = async move {
            let mut report = self.transform.new_report();
            while let Some(Page { records, next }) = rx.recv().await {
                let records = self.transform.nodes(records, &mut state, &mut report).map_err(|e| self.failed(e))?;
                if tx.send(Page { records, next }).await.is_err() {
                    break;
                }
            }
            Ok::<(), ConnectorError>(())
        };
        let (read, forwarded) = tokio::join!(read, forward);
        forwarded?;
        read
    }

    async fn read_relationships(
        &self,
        selection: &Selection,
        batch_size: usize,
        after: Option<ResumeToken>,
        tx: RelationshipSender,
    ) -> Result<(), ConnectorError> {
        let state = self.state(selection).await?;
        let (inner_tx, mut rx) = mpsc::channel::<Page<Relationship>>(2);
        let read = self.inner.read_relationships(selection, batch_size, after, inner_tx);
        let forward = async move {
            let mut report = self.transform.new_report();
            while let Some(Page { records, next }) = rx.recv().await {
                let records = self.transform.relationships(records, &state, &mut report).map_err(|e| self.failed(e))?;
                if tx.send(Page { records, next }).await.is_err() {
                    break;
                }
            }
            Ok::<(), ConnectorError>(())
        };
        let (read, forwarded) = tokio::join!(read, forward);
        forwarded?;
        read
    }
}
