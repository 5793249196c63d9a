//! Reading a dump as a copy source. The file is read on blocking threads (plain buffered I/O is
//! the fastest way through a local file) and batches are handed to the async pipeline.
//!
//! A dump may hold nodestream's bookkeeping nodes (migration history, lock) if an older tool
//! wrote it; they are skipped by every read and count (see [`crate::model::bookkeeping`]).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::Mutex;

use async_trait::async_trait;

use super::dump::{self, DumpReader, Position, Record};
use super::FileConfig;
use crate::connector::{
    Batcher, ConnectorError, CopiedLookup, NodeSender, RelationshipSender, ResumeToken, SchemaDetails, Selection,
    SelectionCounts, Source,
};
use crate::model::bookkeeping::{is_bookkeeping, is_bookkeeping_node};
use crate::model::{GraphSchema, Node, Relationship};

pub struct FileSource {
    path: PathBuf,
    /// Where the relationships start, learnt while reading the nodes, so the relationship phase
    /// does not parse every node line again.
    relationships_at: Mutex<Option<Position>>,
    /// Built on the first lookup (see [`Offsets`]).
    offsets: tokio::sync::OnceCell<Arc<Offsets>>,
}

impl FileSource {
    pub fn open(cfg: &FileConfig) -> Result<Self, ConnectorError> {
        // Open once now so a missing or foreign file fails before the copy starts.
        DumpReader::open(&cfg.path)?;
        Ok(FileSource {
            path: cfg.path.clone(),
            relationships_at: Mutex::new(None),
            offsets: tokio::sync::OnceCell::new(),
        })
    }

    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(PathBuf) -> Result<T, ConnectorError> + Send + 'static,
    ) -> Result<T, ConnectorError> {
        let path = self.path.clone();
        tokio::task::spawn_blocking(move || f(path))
            .await
            .map_err(|e| ConnectorError::fatal(format!("dump reader stopped: {e}")))?
    }
}

/// The ids of the nodes at either end of the selected relationships.
fn endpoint_ids(path: &std::path::Path, selection: &Selection) -> Result<HashSet<String>, ConnectorError> {
    let mut ids = HashSet::new();
    let mut reader = DumpReader::open(path)?;
    while let Some(record) = reader.next_record()? {
        if let Record::Relationship(r) = record {
            if selection.includes_type(&r.rel_type) {
                ids.insert(r.start);
                ids.insert(r.end);
            }
        }
    }
    Ok(ids)
}

/// Counts what `selection` covers by reading the dump through, bookkeeping left out.
fn count_records(path: &Path, selection: &Selection) -> Result<SelectionCounts, ConnectorError> {
    let endpoints = if selection.needs_endpoints() { endpoint_ids(path, selection)? } else { HashSet::new() };
    let mut counts = SelectionCounts::default();
    let mut reader = DumpReader::open(path)?;
    while let Some(record) = reader.next_record()? {
        match record {
            Record::Node(n) if is_bookkeeping_node(&n.labels) => {}
            Record::Node(n) if selection.includes_label(&n.labels) || endpoints.contains(&n.id) => {
                counts.nodes += 1;
                for l in n.labels {
                    *counts.labels.entry(l).or_default() += 1;
                }
            }
            Record::Relationship(r) if selection.includes_type(&r.rel_type) => {
                counts.relationships += 1;
                *counts.relationship_types.entry(r.rel_type).or_default() += 1;
            }
            _ => {}
        }
    }
    Ok(counts)
}

#[async_trait]
impl Source for FileSource {
    async fn schema(&self) -> Result<GraphSchema, ConnectorError> {
        self.blocking(|path| {
            if let Some(end) =
                dump::read_end(&path).map_err(|e| ConnectorError::fatal(format!("{}: {e}", path.display())))?
            {
                // The end record counts bookkeeping nodes too; only a read through can leave
                // them out (a node may carry several labels).
                if end.node_labels.keys().any(|l| is_bookkeeping(l)) {
                    let c = count_records(&path, &Selection::All)?;
                    return Ok(GraphSchema {
                        nodes: c.nodes,
                        relationships: c.relationships,
                        labels: c.labels,
                        relationship_types: c.relationship_types,
                    });
                }
                return Ok(GraphSchema {
                    nodes: end.nodes,
                    relationships: end.relationships,
                    labels: end.node_labels,
                    relationship_types: end.relationship_types,
                });
            }
            // No end record: read through, which reports where the dump breaks.
            let mut reader = DumpReader::open(&path)?;
            while reader.next_record()?.is_some() {}
            Err(ConnectorError::fatal(format!("{}: the dump has no end record", path.display())))
        })
        .await
    }

    async fn count(&self, selection: &Selection) -> Result<SelectionCounts, ConnectorError> {
        if *selection == Selection::All {
            let s = self.schema().await?;
            return Ok(SelectionCounts {
                nodes: s.nodes,
                relationships: s.relationships,
                labels: s.labels,
                relationship_types: s.relationship_types,
            });
        }
        let selection = selection.clone();
        self.blocking(move |path| count_records(&path, &selection)).await
    }

    async fn introspect(&self) -> Result<SchemaDetails, ConnectorError> {
        self.blocking(|path| {
            let mut details = SchemaDetails::default();
            let mut reader = DumpReader::open(&path)?;
            while let Some(record) = reader.next_record()? {
                match record {
                    Record::Node(n) if is_bookkeeping_node(&n.labels) => {}
                    Record::Node(n) => {
                        for label in n.labels {
                            details.node_properties.entry(label).or_default().extend(n.properties.keys().cloned());
                        }
                    }
                    Record::Relationship(r) => {
                        details.relationship_properties.entry(r.rel_type).or_default().extend(r.properties.into_keys());
                    }
                }
            }
            Ok(details)
        })
        .await
    }

    async fn read_nodes(
        &self,
        selection: &Selection,
        batch_size: usize,
        after: Option<ResumeToken>,
        tx: NodeSender,
    ) -> Result<(), ConnectorError> {
        let selection = selection.clone();
        let after: Option<Position> = after.map(|t| t.get()).transpose()?;
        let position = self
            .blocking(move |path| {
                let endpoints =
                    if selection.needs_endpoints() { endpoint_ids(&path, &selection)? } else { HashSet::new() };
                let mut reader = DumpReader::open(&path)?;
                if let Some(at) = after {
                    reader.seek(at)?;
                }
                let mut batcher = Batcher::new(tx, batch_size);
                let mut position = reader.position();
                while let Some(record) = reader.next_record()? {
                    let Record::Node(node) = record else { break };
                    position = reader.position();
                    if !is_bookkeeping_node(&node.labels)
                        && (selection.includes_label(&node.labels) || endpoints.contains(&node.id))
                        && !batcher.push_blocking(node, || ResumeToken::new(position))
                    {
                        return Ok(None); // the copy stopped
                    }
                }
                if !batcher.flush_blocking(|| ResumeToken::new(position)) {
                    return Ok(None);
                }
                Ok(Some(position))
            })
            .await?;
        *self.relationships_at.lock().expect("lock poisoned") = position;
        Ok(())
    }

    async fn read_relationships(
        &self,
        selection: &Selection,
        batch_size: usize,
        after: Option<ResumeToken>,
        tx: RelationshipSender,
    ) -> Result<(), ConnectorError> {
        let selection = selection.clone();
        let start = match after {
            Some(token) => Some(token.get::<Position>()?),
            None => *self.relationships_at.lock().expect("lock poisoned"),
        };
        self.blocking(move |path| {
            let mut reader = DumpReader::open(&path)?;
            if let Some(position) = start {
                reader.seek(position)?;
            }
            let mut batcher = Batcher::new(tx, batch_size);
            while let Some(record) = reader.next_record()? {
                let Record::Relationship(rel) = record else { continue };
                let position = reader.position();
                if selection.includes_type(&rel.rel_type) && !batcher.push_blocking(rel, || ResumeToken::new(position)) {
                    return Ok(()); // the copy stopped
                }
            }
            let end = reader.position();
            batcher.flush_blocking(|| ResumeToken::new(end));
            Ok(())
        })
        .await
    }
}

/// Where each record of a dump starts, by source id: built in one pass the first time `verify`
/// looks something up, so any number of lookups cost one read of the dump plus a seek each.
#[derive(Default)]
struct Offsets {
    nodes: HashMap<String, u64>,
    relationships: HashMap<String, u64>,
}

fn index(path: &Path) -> Result<Offsets, ConnectorError> {
    let mut offsets = Offsets::default();
    let mut reader = DumpReader::open(path)?;
    loop {
        let at = reader.position().offset;
        match reader.next_record()? {
            Some(Record::Node(n)) => offsets.nodes.insert(n.id, at),
            Some(Record::Relationship(r)) => offsets.relationships.insert(r.id, at),
            None => return Ok(offsets),
        };
    }
}

impl FileSource {
    async fn lookup(&self, ids: &[String], nodes: bool) -> Result<Vec<Record>, ConnectorError> {
        let offsets = self
            .offsets
            .get_or_try_init(|| async { self.blocking(|path| index(&path)).await.map(Arc::new) })
            .await?
            .clone();
        let ids = ids.to_vec();
        self.blocking(move |path| {
            let table = if nodes { &offsets.nodes } else { &offsets.relationships };
            let mut at: Vec<u64> = ids.iter().filter_map(|id| table.get(id).copied()).collect();
            at.sort_unstable(); // read forward through the file
            let mut reader = DumpReader::open(&path)?;
            at.into_iter().map(|offset| reader.record_at(offset).map_err(ConnectorError::from)).collect()
        })
        .await
    }
}

/// A dump stores records under their source ids, exactly.
#[async_trait]
impl CopiedLookup for FileSource {
    async fn find_nodes(&self, source: &[Node]) -> Result<Vec<Node>, ConnectorError> {
        let ids: Vec<String> = source.iter().map(|n| n.id.clone()).collect();
        let records = self.lookup(&ids, true).await?;
        Ok(records.into_iter().filter_map(|r| if let Record::Node(n) = r { Some(n) } else { None }).collect())
    }

    async fn find_relationships(&self, source: &[Relationship]) -> Result<Vec<Relationship>, ConnectorError> {
        let ids: Vec<String> = source.iter().map(|r| r.id.clone()).collect();
        let records = self.lookup(&ids, false).await?;
        Ok(records.into_iter().filter_map(|r| if let Record::Relationship(r) = r { Some(r) } else { None }).collect())
    }
}
