//! What a copy reports while it runs ([`Progress`]) and when it ends ([`CopyReport`]).

use std::collections::BTreeMap;
use std::time::Duration;

use crate::connector::{Conversions, SelectionCounts};

/// The two phases of a copy, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    Nodes,
    Relationships,
}

impl Phase {
    pub fn noun(self) -> &'static str {
        match self {
            Phase::Nodes => "nodes",
            Phase::Relationships => "relationships",
        }
    }
}

/// Receives progress as a copy runs; implemented by the terminal UI.
pub trait Progress: Send + Sync {
    fn phase_started(&self, phase: Phase, expected: u64);
    fn written(&self, phase: Phase, records: u64);
    fn retrying(&self, phase: Phase, attempt: u32, wait: Duration, error: &str);
    fn phase_finished(&self, phase: Phase);
}

/// A `Progress` that ignores everything (library use, tests).
pub struct NoProgress;

impl Progress for NoProgress {
    fn phase_started(&self, _: Phase, _: u64) {}
    fn written(&self, _: Phase, _: u64) {}
    fn retrying(&self, _: Phase, _: u32, _: Duration, _: &str) {}
    fn phase_finished(&self, _: Phase) {}
}

/// The outcome of a finished copy: what the sink acknowledged.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct CopyReport {
    /// The run id (`graphferry runs`, `graphferry rollback --run`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run: Option<String>,
    /// Whether the run kept a journal (a database target), so `graphferry rollback` can undo it.
    #[serde(skip)]
    pub journaled: bool,
    pub nodes: u64,
    pub relationships: u64,
    /// Nodes written per label (a node with two labels counts under both).
    pub labels: BTreeMap<String, u64>,
    /// Nodes written without any label, so the label table adds up to the nodes written.
    pub unlabelled: u64,
    pub relationship_types: BTreeMap<String, u64>,
    /// What the source counted before the copy; differs from the written counts only if the
    /// source changed while it was read.
    #[serde(skip)]
    pub expected: SelectionCounts,
    #[serde(serialize_with = "conversions_as_list")]
    pub conversions: Conversions,
    /// Records an earlier, interrupted run had already copied (counted, not rewritten).
    pub resumed: u64,
    pub batches: u64,
    pub retries: u64,
    /// Reads that met a transient error and read again from their last token.
    pub read_retries: u64,
    pub splits: u64,
    /// What the transform stage did (`None`: no transform).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transform: Option<super::transform::TransformReport>,
    #[serde(rename = "elapsed_seconds", serialize_with = "seconds")]
    pub elapsed: Duration,
    /// What the sink says to do next (a bulk export's load commands).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_steps: Option<String>,
}

impl CopyReport {
    pub fn records(&self) -> u64 {
        self.nodes + self.relationships
    }

    pub fn records_per_second(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 {
            self.records() as f64 / secs
        } else {
            0.0
        }
    }

    /// True when the written counts differ from what the source counted before the copy.
    /// Records the transform dropped are not written, so they count as read.
    pub fn source_changed(&self) -> bool {
        if self.transform.is_some() && self.resumed > 0 {
            return false; // the earlier run's drops are not counted in this run's report
        }
        let (dropped_nodes, dropped_rels) =
            self.transform.as_ref().map_or((0, 0), |t| (t.dropped_nodes, t.dropped_relationships));
        self.expected.nodes != self.nodes + dropped_nodes
            || self.expected.relationships != self.relationships + dropped_rels
    }
}

fn seconds<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64((d.as_secs_f64() * 1000.0).round() / 1000.0)
}

fn conversions_as_list<S: serde::Serializer>(c: &Conversions, s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeSeq;
    let mut seq = s.serialize_seq(Some(c.len()))?;
    for (k, count) in c {
        seq.serialize_element(&serde_json::json!({
            "scope": k.scope, "property": k.property, "conversion": k.conversion, "count": count,
        }))?;
    }
    seq.end()
}
