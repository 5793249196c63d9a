//! Checkpoints: how far a copy got, so an interrupted or failed copy can resume.
//!
//! Progress is kept per phase as a watermark: the number of records, counted in the source's
//! read order, that the sink acknowledged without a gap. Batches finish out of order under
//! concurrency, so the watermark only moves when every record before it is acknowledged; a
//! record after it may have been written already, which merge mode makes harmless on resume
//! (writes are idempotent). This needs a source that reads an unchanged graph in the same
//! order every time — every connector's contract (see `Source`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::connector::Selection;

pub const VERSION: u32 = 1;

/// What a checkpoint belongs to; a resume with anything different is refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fingerprint {
    pub source: String,
    pub target: String,
    /// `None`: `--all`.
    pub labels: Option<Vec<String>>,
    pub relationship_types: Option<Vec<String>>,
}

impl Fingerprint {
    pub fn new(source: &str, target: &str, selection: &Selection) -> Self {
        let (labels, relationship_types) = match selection {
            Selection::All => (None, None),
            Selection::Only { labels, relationship_types } => (Some(labels.clone()), Some(relationship_types.clone())),
        };
        Fingerprint { source: source.into(), target: target.into(), labels, relationship_types }
    }

    fn describe(&self) -> String {
        let sel = match (&self.labels, &self.relationship_types) {
            (None, None) => "--all".to_string(),
            (l, t) => {
                format!("--node {:?} --relationship {:?}", l.clone().unwrap_or_default(), t.clone().unwrap_or_default())
            }
        };
        format!("--source {} --target {} {sel}", self.source, self.target)
    }
}

/// Progress of one phase.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhaseProgress {
    /// Records acknowledged without a gap, in read order.
    pub acknowledged: u64,
    pub finished: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub version: u32,
    pub fingerprint: Fingerprint,
    pub nodes: PhaseProgress,
    pub relationships: PhaseProgress,
}

#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    #[error("checkpoint {}: {message}", path.display())]
    Io { path: PathBuf, message: String },
    #[error("checkpoint {} belongs to another copy ({}); this one is {}. Run that copy with --resume, or delete the file to start over", path.display(), found.describe(), wanted.describe())]
    Mismatch { path: PathBuf, found: Box<Fingerprint>, wanted: Box<Fingerprint> },
}

/// The checkpoint file of one copy.
#[derive(Debug, Clone)]
pub struct CheckpointFile {
    pub path: PathBuf,
    pub fingerprint: Fingerprint,
}

impl CheckpointFile {
    /// `.graphferry/checkpoint-<source>-<target>.json` beside the config file.
    pub fn default_path(config: &Path, fingerprint: &Fingerprint) -> PathBuf {
        let clean = |s: &str| {
            s.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).collect::<String>()
        };
        config.parent().unwrap_or(Path::new("")).join(".graphferry").join(format!(
            "checkpoint-{}-{}.json",
            clean(&fingerprint.source),
            clean(&fingerprint.target)
        ))
    }

    fn io(&self, e: impl std::fmt::Display) -> CheckpointError {
        CheckpointError::Io { path: self.path.clone(), message: e.to_string() }
    }

    /// The saved checkpoint, if any; an error if it belongs to another copy.
    pub fn load(&self) -> Result<Option<Checkpoint>, CheckpointError> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(self.io(e)),
        };
        let cp: Checkpoint = serde_json::from_str(&text).map_err(|e| self.io(format!("unreadable: {e}")))?;
        if cp.version != VERSION {
            return Err(self.io(format!("version {} is not supported", cp.version)));
        }
        if cp.fingerprint != self.fingerprint {
            return Err(CheckpointError::Mismatch {
                path: self.path.clone(),
                found: Box::new(cp.fingerprint),
                wanted: Box::new(self.fingerprint.clone()),
            });
        }
        Ok(Some(cp))
    }

    /// Writes atomically (temporary file, then rename), so a kill never leaves half a checkpoint.
    pub fn save(&self, nodes: PhaseProgress, relationships: PhaseProgress) -> Result<(), CheckpointError> {
        let cp = Checkpoint { version: VERSION, fingerprint: self.fingerprint.clone(), nodes, relationships };
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| self.io(e))?;
        }
        let mut tmp = self.path.clone().into_os_string();
        tmp.push(".tmp");
        let text = serde_json::to_string_pretty(&cp).map_err(|e| self.io(e))?;
        std::fs::write(&tmp, text).map_err(|e| self.io(e))?;
        std::fs::rename(&tmp, &self.path).map_err(|e| self.io(e))
    }

    pub fn remove(&self) -> Result<(), CheckpointError> {
        match std::fs::remove_file(&self.path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(self.io(e)),
            _ => Ok(()),
        }
    }
}

/// The contiguous-acknowledgement watermark of one phase.
#[derive(Debug, Default)]
pub struct Watermark {
    next: u64,
    /// Acknowledged ranges beyond `next`: start → end (exclusive).
    ahead: BTreeMap<u64, u64>,
}

impl Watermark {
    pub fn starting_at(next: u64) -> Self {
        Watermark { next, ahead: BTreeMap::new() }
    }

    /// Records `[start, end)` as acknowledged; returns the new watermark.
    pub fn ack(&mut self, start: u64, end: u64) -> u64 {
        self.ahead.insert(start, end);
        while let Some(end) = self.ahead.remove(&self.next) {
            self.next = end;
        }
        self.next
    }

    pub fn value(&self) -> u64 {
        self.next
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn watermark_moves_only_over_contiguous_acks() {
        let mut w = Watermark::starting_at(0);
        assert_eq!(w.ack(10, 20), 0);
        assert_eq!(w.ack(30, 40), 0);
        assert_eq!(w.ack(0, 10), 20);
        assert_eq!(w.ack(20, 30), 40);
        assert_eq!(w.value(), 40);
    }

    #[test]
    fn checkpoint_round_trips_and_refuses_another_copy() {
        let dir = tempfile::tempdir().unwrap();
        let fp = Fingerprint::new("a", "b", &Selection::All);
        let file = CheckpointFile { path: dir.path().join("cp.json"), fingerprint: fp.clone() };
        assert!(file.load().unwrap().is_none());
        let nodes = PhaseProgress { acknowledged: 5, finished: true };
        file.save(nodes, PhaseProgress::default()).unwrap();
        assert_eq!(file.load().unwrap().unwrap().nodes, nodes);
        let other = CheckpointFile {
            path: file.path.clone(),
            fingerprint: Fingerprint::new(
                "a",
                "b",
                &Selection::Only { labels: vec!["X".into()], relationship_types: vec![] },
            ),
        };
        let err = other.load().unwrap_err().to_string();
        assert!(err.contains("belongs to another copy") && err.contains("--all"), "{err}");
        file.remove().unwrap();
        assert!(!file.path.exists());
    }
}
