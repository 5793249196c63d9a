//! What the engine needs to know about each record kind, so one generic phase loop serves both.

use std::future::Future;

use crate::connector::{ConnectorError, Journaled, Page, ResumeToken, Selection, Sink, Source, WriteReport};
use crate::model::{bump, Node, Relationship};

use super::journal::{Entry, Records};
use super::transform::{State, Transform, TransformError, TransformReport};
use super::{CopyReport, Phase};
use crate::connector::SelectionCounts;

/// Also what `graphferry verify` reads each kind with (see `verify::Checked`).
pub(crate) trait PhaseRecord: Sized + Send + Sync + 'static {
    const PHASE: Phase;
    fn id(&self) -> &str;
    /// The label or relationship type, for error messages.
    fn scope(&self) -> String;
    fn approx_size(&self) -> usize;
    fn expected(counts: &SelectionCounts) -> u64;
    /// Counts `n` records an earlier run wrote in a phase this run does not read again.
    fn add_finished(report: &mut CopyReport, n: u64);
    fn tally(batch: &[Self], report: &mut CopyReport);
    /// Passes a page through the transform stage (the dropped records left out).
    fn transform(
        transform: &Transform,
        records: Vec<Self>,
        state: &mut State,
        report: &mut TransformReport,
    ) -> Result<Vec<Self>, TransformError>;
    fn read<'a>(
        source: &'a dyn Source,
        selection: &'a Selection,
        batch_size: usize,
        after: Option<ResumeToken>,
        tx: tokio::sync::mpsc::Sender<Page<Self>>,
    ) -> impl Future<Output = Result<(), ConnectorError>> + Send + 'a;
    fn write<'a>(
        sink: &'a dyn Sink,
        batch: &'a [Self],
    ) -> impl Future<Output = Result<WriteReport, ConnectorError>> + Send + 'a;
    /// The target's before-images of `batch` (for the run's journal).
    fn before<'a>(
        target: &'a dyn Journaled,
        batch: &'a [Self],
    ) -> impl Future<Output = Result<Vec<Self>, ConnectorError>> + Send + 'a;
    /// This record's journal entry, given what the target held before and its target id.
    fn entry(&self, before: Option<&Self>, target: Option<String>) -> Entry;
    /// The id the target knows the record by, when not its source id.
    fn target_id(target: &dyn Journaled, record: &Self) -> Option<String>;
    /// Adds `n` records of this kind to `records`.
    fn count(records: &mut Records, n: u64);
}

impl PhaseRecord for Node {
    const PHASE: Phase = Phase::Nodes;

    fn id(&self) -> &str {
        &self.id
    }

    fn scope(&self) -> String {
        crate::connector::node_scope(&self.labels)
    }

    fn approx_size(&self) -> usize {
        Node::approx_size(self)
    }

    fn expected(counts: &SelectionCounts) -> u64 {
        counts.nodes
    }

    fn add_finished(report: &mut CopyReport, n: u64) {
        report.nodes += n;
    }

    fn tally(batch: &[Self], report: &mut CopyReport) {
        report.nodes += batch.len() as u64;
        for node in batch {
            if node.labels.is_empty() {
                report.unlabelled += 1;
            }
            for label in &node.labels {
                bump(&mut report.labels, label);
            }
        }
    }

    fn transform(
        transform: &Transform,
        records: Vec<Self>,
        state: &mut State,
        report: &mut TransformReport,
    ) -> Result<Vec<Self>, TransformError> {
        transform.nodes(records, state, report)
    }

    fn read<'a>(
        source: &'a dyn Source,
        selection: &'a Selection,
        batch_size: usize,
        after: Option<ResumeToken>,
        tx: tokio::sync::mpsc::Sender<Page<Self>>,
    ) -> impl Future<Output = Result<(), ConnectorError>> + Send + 'a {
        source.read_nodes(selection, batch_size, after, tx)
    }

    fn write<'a>(
        sink: &'a dyn Sink,
        batch: &'a [Self],
    ) -> impl Future<Output = Result<WriteReport, ConnectorError>> + Send + 'a {
        sink.write_nodes(batch)
    }
    fn before<'a>(
        target: &'a dyn Journaled,
        batch: &'a [Self],
    ) -> impl Future<Output = Result<Vec<Self>, ConnectorError>> + Send + 'a {
        target.before_nodes(batch)
    }

    fn entry(&self, before: Option<&Self>, target: Option<String>) -> Entry {
        Entry::node(self, before, target)
    }

    fn target_id(target: &dyn Journaled, record: &Self) -> Option<String> {
        target.target_id(record)
    }

    fn count(records: &mut Records, n: u64) {
        records.nodes += n;
    }
}

impl PhaseRecord for Relationship {
    const PHASE: Phase = Phase::Relationships;

    fn id(&self) -> &str {
        &self.id
    }

    fn scope(&self) -> String {
        crate::connector::relationship_scope(&self.rel_type)
    }

    fn approx_size(&self) -> usize {
        Relationship::approx_size(self)
    }

    fn expected(counts: &SelectionCounts) -> u64 {
        counts.relationships
    }

    fn add_finished(report: &mut CopyReport, n: u64) {
        report.relationships += n;
    }

    fn tally(batch: &[Self], report: &mut CopyReport) {
        report.relationships += batch.len() as u64;
        for rel in batch {
            bump(&mut report.relationship_types, &rel.rel_type);
        }
    }

    fn transform(
        transform: &Transform,
        records: Vec<Self>,
        state: &mut State,
        report: &mut TransformReport,
    ) -> Result<Vec<Self>, TransformError> {
        transform.relationships(records, state, report)
    }

    fn read<'a>(
        source: &'a dyn Source,
        selection: &'a Selection,
        batch_size: usize,
        after: Option<ResumeToken>,
        tx: tokio::sync::mpsc::Sender<Page<Self>>,
    ) -> impl Future<Output = Result<(), ConnectorError>> + Send + 'a {
        source.read_relationships(selection, batch_size, after, tx)
    }

    fn write<'a>(
        sink: &'a dyn Sink,
        batch: &'a [Self],
    ) -> impl Future<Output = Result<WriteReport, ConnectorError>> + Send + 'a {
        sink.write_relationships(batch)
    }

    fn before<'a>(
        target: &'a dyn Journaled,
        batch: &'a [Self],
    ) -> impl Future<Output = Result<Vec<Self>, ConnectorError>> + Send + 'a {
        target.before_relationships(batch)
    }

    fn entry(&self, before: Option<&Self>, _target: Option<String>) -> Entry {
        Entry::relationship(self, before)
    }

    fn target_id(_target: &dyn Journaled, _record: &Self) -> Option<String> {
        None
    }

    fn count(records: &mut Records, n: u64) {
        records.relationships += n;
    }
}
