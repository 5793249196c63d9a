//! `copy --dry-run` with a transform: the first few records of each label and relationship type,
//! before and after the transform. Reads from the source, writes nothing.

use std::collections::BTreeMap;

use tokio::sync::mpsc;

use super::{State, Transform, TransformError};
use crate::connector::{node_scope, relationship_scope, ConnectorError, Page, Selection, Source};
use crate::model::{Node, Relationship};

/// Records read at most while looking for examples of every label and type.
const READ_AT_MOST: usize = 100_000;

/// One record before and after (`None`: the transform dropped it).
#[derive(Debug, Clone)]
pub struct PreviewRecord<T> {
    pub before: T,
    pub after: Option<T>,
}

/// Examples per label set (`label Person`) and relationship type (`type KNOWS`), in name order.
#[derive(Debug, Clone, Default)]
pub struct Preview {
    pub nodes: BTreeMap<String, Vec<PreviewRecord<Node>>>,
    pub relationships: BTreeMap<String, Vec<PreviewRecord<Relationship>>>,
}

#[derive(Debug, thiserror::Error)]
pub enum PreviewError {
    #[error("reading the source for the preview failed")]
    Source(#[source] ConnectorError),
    #[error(transparent)]
    Transform(#[from] TransformError),
}

/// The first `per` records of each label set and type, as the transform leaves them. The
/// relationships see the state of the nodes read for the preview only (a relationship to a node
/// dropped further on is shown kept).
pub async fn preview(
    source: &dyn Source,
    selection: &Selection,
    transform: &Transform,
    per: usize,
) -> Result<Preview, PreviewError> {
    let mut out = Preview::default();
    let mut state = State::default();
    let mut report = transform.new_report();
    let nodes: Vec<Node> =
        first(|tx| source.read_nodes(selection, 1000, None, tx), per, |n| node_scope(&n.labels)).await?;
    for node in nodes {
        let after = transform.node(node.clone(), &mut state, &mut report)?;
        out.nodes.entry(node_scope(&node.labels)).or_default().push(PreviewRecord { before: node, after });
    }
    let rels: Vec<Relationship> =
        first(|tx| source.read_relationships(selection, 1000, None, tx), per, |r| relationship_scope(&r.rel_type))
            .await?;
    for rel in rels {
        let after = transform.relationship(rel.clone(), &state, &mut report)?;
        out.relationships
            .entry(relationship_scope(&rel.rel_type))
            .or_default()
            .push(PreviewRecord { before: rel, after });
    }
    Ok(out)
}

/// Reads until `READ_AT_MOST` records, keeping the first `per` of each group.
async fn first<T: Send + 'static, F, Fut>(
    read: F,
    per: usize,
    group: impl Fn(&T) -> String,
) -> Result<Vec<T>, PreviewError>
where
    F: FnOnce(mpsc::Sender<Page<T>>) -> Fut,
    Fut: std::future::Future<Output = Result<(), ConnectorError>>,
{
    let (tx, mut rx) = mpsc::channel::<Page<T>>(2);
    let collect = async move {
        let mut kept = Vec::new();
        let mut seen: BTreeMap<String, usize> = BTreeMap::new();
        let mut read = 0;
        while let Some(page) = rx.recv().await {
            for record in page.records {
                read += 1;
                let n = seen.entry(group(&record)).or_default();
                if *n < per {
                    *n += 1;
                    kept.push(record);
                }
            }
            if read >= READ_AT_MOST {
                break; // the receiver is dropped here, which ends the read
            }
        }
        kept
    };
    let (result, kept) = tokio::join!(read(tx), collect);
    result.map_err(PreviewError::Source)?;
    Ok(kept)
}
