//! Copy runs and their journals, what `graphferry rollback` undoes a run from.
//!
//! Every copy is a run with a time-sortable id and a folder (`.graphferry/runs/<run>/` beside
//! the config): `run.json` says what the run copied, where, when and how it ended; `journal.gz`
//! holds, for each record the run was about to write into a database target, whether the target
//! held it before and, if it did, its before-image (every label and property, identity marks
//! included; a relationship's type and endpoints too).
//!
//! A batch's entries are looked up and appended before the batch is written, so the journal of
//! a copy that failed or was killed covers everything it may have written. Each batch's entries
//! are one gzip member (the file is a multi-member gzip stream, which `gzip -dc` reads whole),
//! written with one write: a kill leaves at most a truncated last member, whose batch was never
//! sent, and the reader stops there. Memory holds one batch's entries at a time. The journal is
//! fsynced whenever the checkpoint is saved, before it. A record written twice in one run (a
//! resumed copy writes again what may have landed before the kill) has two entries; the first
//! one holds what the target held before the run, and the reader keeps only that one.
//!
//! When the copy found the target holding nothing it could match (`ids_only`), every record it
//! writes is new: the entries hold ids only and nothing is looked up.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use flate2::read::MultiGzDecoder;
use flate2::write::GzEncoder;
use flate2::Compression;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::connector::{ConnectorError, CopyPlan, Journaled, Selection};
use crate::model::json::{DumpProperties, ParsedProperties};
use crate::model::{Node, Properties, Relationship};

use super::records::PhaseRecord;

pub const RUN_FILE: &str = "run.json";
pub const JOURNAL_FILE: &str = "journal.gz";

/// A new run id: the UTC start time to the millisecond, then 16 random bits, so ids sort by
/// start time and two runs started in the same millisecond differ.
pub fn new_run_id() -> String {
    format!("{}-{:04x}", chrono::Utc::now().format("%Y%m%dT%H%M%S%3fZ"), fastrand::u16(..))
}

/// The default folder of runs: `.graphferry/runs` beside the config file.
pub fn default_runs_dir(config: &Path) -> PathBuf {
    config.parent().unwrap_or(Path::new("")).join(".graphferry").join("runs")
}

/// How a run stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunState {
    /// Copying (or killed while copying: nothing else ends a run without saying so).
    Running,
    Finished,
    Failed,
    Interrupted,
    /// A rollback started and has not finished (run it again to finish).
    RollingBack,
    RolledBack,
}

impl RunState {
    pub fn name(self) -> &'static str {
        match self {
            RunState::Running => "running",
            RunState::Finished => "finished",
            RunState::Failed => "failed",
            RunState::Interrupted => "interrupted",
            RunState::RollingBack => "rolling back",
            RunState::RolledBack => "rolled back",
        }
    }
}

/// Nodes and relationships.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Records {
    pub nodes: u64,
    pub relationships: u64,
}

impl std::ops::AddAssign for Records {
    fn add_assign(&mut self, other: Records) {
        self.nodes += other.nodes;
        self.relationships += other.relationships;
    }
}

/// `run.json`: one run, as `graphferry runs` lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    pub run: String,
    pub source: String,
    pub target: String,
    /// Where the target's data lives (no credentials): a run on the same database under another
    /// target name is still a run on it.
    pub target_location: String,
    /// `--all`, or the labels and types copied.
    pub selection: String,
    pub started: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended: Option<String>,
    pub state: RunState,
    /// Whether the target keeps a journal (a file target does not: it is written whole).
    pub journaled: bool,
    /// The copy found the target holding nothing it could match: the journal holds ids only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ids_only: Option<bool>,
    /// What the target acknowledged.
    pub written: Records,
    /// Journal entries of records the target did not hold before (created) and did (updated);
    /// a record written twice in one run (a resume) counts twice here, once in a rollback.
    pub created: Records,
    pub updated: Records,
    /// `graphferry finalize` ran on the target after this run: rollback cannot find its
    /// records any more.
    #[serde(default)]
    pub finalized: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rolled_back: Option<String>,
    /// The checkpoint an unfinished run left (a rollback removes it: resuming an undone run
    /// would skip what it had written).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkpoint: Option<PathBuf>,
}

impl RunRecord {
    pub fn new(run: String, source: &str, target: &str, target_location: String, selection: &Selection) -> Self {
        RunRecord {
            run,
            source: source.into(),
            target: target.into(),
            target_location,
            selection: describe(selection),
            started: now(),
            ended: None,
            state: RunState::Running,
            journaled: false,
            ids_only: None,
            written: Records::default(),
            created: Records::default(),
            updated: Records::default(),
            finalized: false,
            rolled_back: None,
            checkpoint: None,
        }
    }

    /// Whether this run wrote into `target` (by name, or by where its data lives).
    pub fn is_on(&self, target: &str, location: &str) -> bool {
        self.target == target || self.target_location == location
    }
}

pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn describe(selection: &Selection) -> String {
    match selection {
        Selection::All => "--all".into(),
        Selection::Only { labels, relationship_types } => {
            let mut parts: Vec<String> = labels.iter().map(|l| format!("--node {l}")).collect();
            parts.extend(relationship_types.iter().map(|t| format!("--relationship {t}")));
            parts.join(" ")
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("run folder {}: {message}", path.display())]
pub struct RunError {
    pub path: PathBuf,
    pub message: String,
}

fn io_error(path: &Path, e: impl std::fmt::Display) -> RunError {
    RunError { path: path.to_path_buf(), message: e.to_string() }
}

/// One run's folder.
#[derive(Debug, Clone)]
pub struct RunFolder {
    pub dir: PathBuf,
}

impl RunFolder {
    pub fn of(runs_dir: &Path, run: &str) -> Self {
        RunFolder { dir: runs_dir.join(run) }
    }

    pub fn journal(&self) -> PathBuf {
        self.dir.join(JOURNAL_FILE)
    }

    fn record_path(&self) -> PathBuf {
        self.dir.join(RUN_FILE)
    }

    pub fn load(&self) -> Result<RunRecord, RunError> {
        let path = self.record_path();
        let text = std::fs::read_to_string(&path).map_err(|e| io_error(&path, e))?;
        serde_json::from_str(&text).map_err(|e| io_error(&path, format!("unreadable: {e}")))
    }

    /// Writes `run.json` atomically (temporary file, rename), creating the folder.
    pub fn save(&self, record: &RunRecord) -> Result<(), RunError> {
        std::fs::create_dir_all(&self.dir).map_err(|e| io_error(&self.dir, e))?;
        let path = self.record_path();
        let tmp = self.dir.join(format!("{RUN_FILE}.tmp"));
        let text = serde_json::to_string_pretty(record).map_err(|e| io_error(&path, e))?;
        std::fs::write(&tmp, text).map_err(|e| io_error(&tmp, e))?;
        std::fs::rename(&tmp, &path).map_err(|e| io_error(&path, e))
    }

    /// Every run in `runs_dir`, oldest first (folders without a readable `run.json` skipped).
    pub fn list(runs_dir: &Path) -> Vec<(RunFolder, RunRecord)> {
        let Ok(entries) = std::fs::read_dir(runs_dir) else { return Vec::new() };
        let mut runs: Vec<(RunFolder, RunRecord)> = entries
            .filter_map(Result::ok)
            .map(|e| RunFolder { dir: e.path() })
            .filter_map(|f| f.load().ok().map(|r| (f, r)))
            .collect();
        runs.sort_by(|a, b| a.1.run.cmp(&b.1.run));
        runs
    }
}

/// What a journal entry is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Node,
    Relationship,
}

/// One journal line: a record the run was about to write.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub kind: Kind,
    /// The record's source id (how the target finds what the copy wrote).
    pub id: String,
    /// A relationship's endpoints' source ids (how the target finds the relationship).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<String>,
    /// A node's id in the target when it is not its source id (see `Journaled::target_id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// What the target held before; `None`: nothing (the run created it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<Image>,
}

/// A record as the target held it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Image {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<String>,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub rel_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<String>,
    #[serde(serialize_with = "dump_properties", deserialize_with = "parsed_properties")]
    pub properties: Properties,
}

fn dump_properties<S: Serializer>(p: &Properties, s: S) -> Result<S::Ok, S::Error> {
    DumpProperties(p).serialize(s)
}

fn parsed_properties<'de, D: Deserializer<'de>>(d: D) -> Result<Properties, D::Error> {
    ParsedProperties::deserialize(d).map(|p| p.0)
}

impl Entry {
    pub fn node(node: &Node, before: Option<&Node>, target: Option<String>) -> Self {
        Entry {
            kind: Kind::Node,
            id: node.id.clone(),
            start: None,
            end: None,
            target,
            before: before.map(|b| Image {
                labels: b.labels.clone(),
                rel_type: None,
                end: None,
                properties: b.properties.clone(),
            }),
        }
    }

    pub fn relationship(rel: &Relationship, before: Option<&Relationship>) -> Self {
        Entry {
            kind: Kind::Relationship,
            id: rel.id.clone(),
            start: Some(rel.start.clone()),
            end: Some(rel.end.clone()),
            target: None,
            before: before.map(|b| Image {
                labels: Vec::new(),
                rel_type: Some(b.rel_type.clone()),
                end: Some(b.end.clone()),
                properties: b.properties.clone(),
            }),
        }
    }

    /// The id the target knows the record by.
    pub fn target_id(&self) -> &str {
        self.target.as_deref().unwrap_or(&self.id)
    }

    /// The before-image as a node under its target id (`None`: the run created it).
    pub fn node_image(&self) -> Option<Node> {
        let id = self.target_id().to_string();
        self.before.as_ref().map(|b| Node { id, labels: b.labels.clone(), properties: b.properties.clone() })
    }

    pub fn relationship_image(&self) -> Option<Relationship> {
        self.before.as_ref().map(|b| Relationship {
            id: self.id.clone(),
            rel_type: b.rel_type.clone().unwrap_or_default(),
            start: self.start.clone().unwrap_or_default(),
            end: b.end.clone().unwrap_or_default(),
            properties: b.properties.clone(),
        })
    }
}

/// Journals a copy's batches into one run's journal file.
pub struct RunJournal {
    target: Box<dyn Journaled>,
    path: PathBuf,
    file: Mutex<File>,
    /// Set by `prepare`, or carried over from the run a resume continues.
    ids_only: Mutex<Option<bool>>,
    /// Entries written: (created, updated).
    counts: Mutex<(Records, Records)>,
}

impl std::fmt::Debug for RunJournal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunJournal").field("path", &self.path).finish_non_exhaustive()
    }
}

impl RunJournal {
    /// Opens (appending) the journal at `path`. `ids_only`: what the run decided before, when
    /// this is a resume of it (a resumed run found its own records in the target, which does not
    /// make them older than the run).
    pub fn open(path: PathBuf, target: Box<dyn Journaled>, ids_only: Option<bool>) -> Result<Self, RunError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| io_error(dir, e))?;
        }
        let file = std::fs::OpenOptions::new().create(true).append(true).open(&path).map_err(|e| io_error(&path, e))?;
        Ok(RunJournal {
            target,
            path,
            file: Mutex::new(file),
            ids_only: Mutex::new(ids_only),
            counts: Mutex::new(Default::default()),
        })
    }

    /// Called before the first write: the target's own check of whether lookups are needed.
    pub async fn prepare(&self, plan: &CopyPlan) -> Result<(), ConnectorError> {
        let empty = self.target.prepare(plan).await?;
        self.ids_only.lock().expect("journal lock poisoned").get_or_insert(empty);
        Ok(())
    }

    /// Whether the journal records ids only (`None` before `prepare`).
    pub fn ids_only(&self) -> Option<bool> {
        *self.ids_only.lock().expect("journal lock poisoned")
    }

    /// Entries written so far: (created, updated).
    pub fn counts(&self) -> (Records, Records) {
        *self.counts.lock().expect("journal lock poisoned")
    }

    /// Looks up the before-images of `batch` and appends its entries. An error from the
    /// lookup is the target's (and retried like a write); one from the file is fatal.
    pub(crate) async fn before<T: PhaseRecord>(&self, batch: &[T]) -> Result<(), ConnectorError> {
        let images: HashMap<String, T> = if self.ids_only() == Some(true) {
            HashMap::new()
        } else {
            T::before(self.target.as_ref(), batch).await?.into_iter().map(|r| (r.id().to_string(), r)).collect()
        };
        let fail =
            |e: std::io::Error| ConnectorError::fatal(format!("writing the run journal {}: {e}", self.path.display()));
        let mut gz = GzEncoder::new(Vec::with_capacity(batch.len() * 32), Compression::fast());
        let (mut created, mut updated) = (0, 0);
        for record in batch {
            let before = images.get(record.id());
            if before.is_some() {
                updated += 1;
            } else {
                created += 1;
            }
            let entry = T::entry(record, before, T::target_id(self.target.as_ref(), record));
            serde_json::to_writer(&mut gz, &entry).map_err(|e| fail(e.into()))?;
            gz.write_all(b"\n").map_err(fail)?;
        }
        let bytes = gz.finish().map_err(fail)?;
        self.file.lock().expect("journal lock poisoned").write_all(&bytes).map_err(fail)?;
        let mut counts = self.counts.lock().expect("journal lock poisoned");
        let (c, u) = &mut *counts;
        T::count(c, created);
        T::count(u, updated);
        Ok(())
    }

    /// Makes what was appended durable (called before each checkpoint save).
    pub fn sync(&self) -> Result<(), RunError> {
        self.file.lock().expect("journal lock poisoned").sync_data().map_err(|e| io_error(&self.path, e))
    }
}

/// Reads a journal's entries, the first of each record only, stopping at a truncated tail (a
/// kill while a batch's entries were being appended: that batch was never written).
pub struct JournalReader {
    lines: Option<std::io::Lines<BufReader<MultiGzDecoder<BufReader<File>>>>>,
    seen: HashSet<(Kind, String)>,
    path: PathBuf,
}

impl JournalReader {
    /// A journal that does not exist has no entries (the run wrote nothing).
    pub fn open(path: &Path) -> Result<Self, RunError> {
        let lines = match File::open(path) {
            Ok(f) => Some(BufReader::new(MultiGzDecoder::new(BufReader::new(f))).lines()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(io_error(path, e)),
        };
        Ok(JournalReader { lines, seen: HashSet::new(), path: path.to_path_buf() })
    }
}

impl Iterator for JournalReader {
    type Item = Result<Entry, RunError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let line = match self.lines.as_mut()?.next()? {
                Ok(line) => line,
                Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                    tracing::debug!(journal = %self.path.display(), "the journal ends in a truncated batch (a kill); reading up to it");
                    self.lines = None;
                    return None;
                }
                Err(e) => return Some(Err(io_error(&self.path, e))),
            };
            if line.is_empty() {
                continue;
            }
            let entry: Entry = match serde_json::from_str(&line) {
                Ok(e) => e,
                Err(e) => return Some(Err(io_error(&self.path, format!("an unreadable entry: {e}")))),
            };
            if self.seen.insert((entry.kind, entry.id.clone())) {
                return Some(Ok(entry));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Value;

    #[test]
    fn run_ids_sort_by_start_time() {
        let a = new_run_id();
        std::thread::sleep(std::time::Duration::from_millis(2));
        let b = new_run_id();
        assert!(a < b, "{a} {b}");
        assert_eq!(a.len(), "20261202T041500123Z-abcd".len(), "{a}");
    }

    #[test]
    fn entries_round_trip_and_the_first_of_a_record_wins() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(JOURNAL_FILE);
        let props: Properties =
            [("b".to_string(), Value::Bytes(vec![0, 255])), ("f".to_string(), Value::Float(f64::NAN))]
                .into_iter()
                .collect();
        let node = Node { id: "n1".into(), labels: vec!["A".into()], properties: props.clone() };
        let rel = Relationship {
            id: "r1".into(),
            rel_type: "T".into(),
            start: "n1".into(),
            end: "n2".into(),
            properties: props,
        };
        let write = |entries: Vec<Entry>| {
            let mut gz = GzEncoder::new(Vec::new(), Compression::fast());
            for e in entries {
                serde_json::to_writer(&mut gz, &e).unwrap();
                gz.write_all(b"\n").unwrap();
            }
            let bytes = gz.finish().unwrap();
            let mut f = std::fs::OpenOptions::new().create(true).append(true).open(&path).unwrap();
            f.write_all(&bytes).unwrap();
            bytes.len()
        };
        write(vec![Entry::node(&node, Some(&node), None), Entry::relationship(&rel, None)]);
        // A resumed run journals the same records again: their first entries hold the truth.
        write(vec![Entry::node(&node, None, None), Entry::relationship(&rel, Some(&rel))]);
        let entries: Vec<Entry> = JournalReader::open(&path).unwrap().map(Result::unwrap).collect();
        assert_eq!(entries.len(), 2);
        let image = entries[0].node_image().unwrap();
        assert_eq!(image.labels, node.labels);
        assert!(image.same_as(&node), "{image:?}");
        assert_eq!(entries[1].relationship_image(), None);
        assert_eq!(entries[1].start.as_deref(), Some("n1"));

        // A kill while appending leaves a truncated member: read up to it.
        let mut gz = GzEncoder::new(Vec::new(), Compression::fast());
        let n9 = Entry::node(&Node { id: "n9".into(), ..node.clone() }, None, Some("P_9".into()));
        assert_eq!(n9.target_id(), "P_9");
        serde_json::to_writer(&mut gz, &n9).unwrap();
        gz.write_all(b"\n").unwrap();
        let bytes = gz.finish().unwrap();
        let mut f = std::fs::OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(&bytes[..bytes.len() / 2]).unwrap();
        let entries: Vec<Entry> = JournalReader::open(&path).unwrap().map(Result::unwrap).collect();
        assert_eq!(entries.len(), 2);
        assert_eq!(JournalReader::open(&dir.path().join("none.gz")).unwrap().count(), 0);
    }

    #[test]
    fn run_records_round_trip_and_list_oldest_first() {
        let dir = tempfile::tempdir().unwrap();
        for id in ["20260102T000000000Z-0001", "20260101T000000000Z-0002"] {
            let r = RunRecord::new(id.into(), "a", "b", "loc".into(), &Selection::All);
            RunFolder::of(dir.path(), id).save(&r).unwrap();
        }
        let runs = RunFolder::list(dir.path());
        assert_eq!(
            runs.iter().map(|(_, r)| r.run.as_str()).collect::<Vec<_>>(),
            ["20260101T000000000Z-0002", "20260102T000000000Z-0001"]
        );
        assert_eq!(runs[0].1.state, RunState::Running);
        assert_eq!(runs[0].1.selection, "--all");
        assert!(runs[0].1.is_on("x", "loc") && runs[0].1.is_on("b", "other") && !runs[0].1.is_on("x", "y"));
    }
}
