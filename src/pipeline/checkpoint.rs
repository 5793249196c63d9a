//! Checkpoints: how far a copy got, so an interrupted or failed copy can resume.
//!
//! Progress is kept per phase as a watermark: the source's [`ResumeToken`] after which every
//! record was acknowledged by the sink, without a gap. Batches finish out of order under
//! concurrency, so the watermark only moves when every batch read before it is acknowledged; a
//! record after it may have been written already, which merge mode makes harmless on resume
//! (writes are idempotent). A resumed read starts right after the token, so nothing depends on
//! the source reading in the same order twice (see `Source`), only on its key order.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::connector::{ResumeToken, Selection};

/// Version 2: tokens instead of record counts (a version-1 checkpoint cannot be resumed safely).
pub const VERSION: u32 = 2;

/// What a checkpoint belongs to; a resume with anything different is refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fingerprint {
    pub source: String,
    pub target: String,
    /// Where each side's data lives (a URI and database, a file's path, a Neptune endpoint),
    /// without credentials: the same target names pointing elsewhere are another copy.
    pub source_location: String,
    pub target_location: String,
    /// `None`: `--all`.
    pub labels: Option<Vec<String>>,
    pub relationship_types: Option<Vec<String>>,
    /// The transform file's path and fingerprint (`None`: no transform). A resume with another
    /// transform would write records the earlier run never would have, so it is refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transform: Option<TransformMark>,
}

/// Which transform a copy ran with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransformMark {
    pub file: String,
    pub fingerprint: String,
}

/// One side of a copy: its target name and where its data lives.
pub struct Side<'a> {
    pub name: &'a str,
    pub location: String,
}

impl Fingerprint {
    pub fn new(source: Side<'_>, target: Side<'_>, selection: &Selection) -> Self {
        let (labels, relationship_types) = match selection {
            Selection::All => (None, None),
            Selection::Only { labels, relationship_types } => (Some(labels.clone()), Some(relationship_types.clone())),
        };
        Fingerprint {
            source: source.name.into(),
            target: target.name.into(),
            source_location: source.location,
            target_location: target.location,
            labels,
            relationship_types,
            transform: None,
        }
    }

    /// The same copy, run through `transform`.
    pub fn with_transform(mut self, transform: Option<&crate::pipeline::transform::Transform>) -> Self {
        self.transform =
            transform.map(|t| TransformMark { file: t.file.display().to_string(), fingerprint: t.fingerprint.clone() });
        self
    }

    /// What differs from `other`, for the refusal.
    fn differences(&self, other: &Fingerprint) -> Vec<String> {
        let mut out = Vec::new();
        if self.source_location != other.source_location {
            out.push(format!("source `{}` was {}, now {}", self.source, self.source_location, other.source_location));
        }
        if self.target_location != other.target_location {
            out.push(format!("target `{}` was {}, now {}", self.target, self.target_location, other.target_location));
        }
        out
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
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PhaseProgress {
    /// Records acknowledged without a gap, in read order (for the summary).
    pub acknowledged: u64,
    /// The source's token after the last of them: a resumed read starts after it. `None`:
    /// from the start.
    pub after: Option<ResumeToken>,
    pub finished: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub version: u32,
    pub fingerprint: Fingerprint,
    pub nodes: PhaseProgress,
    pub relationships: PhaseProgress,
    /// The run the copy is (`graphferry runs`): a resume continues it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    #[error("checkpoint {}: {message}", path.display())]
    Io { path: PathBuf, message: String },
    #[error("checkpoint {} belongs to another copy ({}); this one is {}. Run that copy with --resume, or delete the file to start over", path.display(), found.describe(), wanted.describe())]
    Mismatch { path: PathBuf, found: Box<Fingerprint>, wanted: Box<Fingerprint> },
    #[error("checkpoint {} was saved by a copy {}, and this one {}: resuming would mix records transformed two ways. Run it with the same transform, or delete the file to start over", path.display(), describe_transform(found), describe_transform(wanted))]
    TransformChanged { path: PathBuf, found: Option<TransformMark>, wanted: Option<TransformMark> },
    #[error("checkpoint {} was saved for other databases: {}. Resuming would skip records the earlier run wrote elsewhere; delete the file to start over", path.display(), changes.join("; "))]
    Moved { path: PathBuf, changes: Vec<String> },
}

fn describe_transform(t: &Option<TransformMark>) -> String {
    match t {
        None => "without a transform".into(),
        Some(t) => format!("with transform {} (fingerprint {})", t.file, t.fingerprint),
    }
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
        let version = serde_json::from_str::<serde_json::Value>(&text).ok().and_then(|v| v["version"].as_u64());
        if version.is_some_and(|v| v != u64::from(VERSION)) {
            return Err(self.io(format!(
                "version {} is not supported by this graphferry (it writes version {VERSION}); delete the file to start over",
                version.unwrap_or_default()
            )));
        }
        let cp: Checkpoint = serde_json::from_str(&text).map_err(|e| self.io(format!("unreadable: {e}")))?;
        if cp.version != VERSION {
            return Err(self.io(format!(
                "version {} is not supported by this graphferry (it writes version {VERSION}); delete the file to start over",
                cp.version
            )));
        }
        let changes = cp.fingerprint.differences(&self.fingerprint);
        if !changes.is_empty() {
            return Err(CheckpointError::Moved { path: self.path.clone(), changes });
        }
        if cp.fingerprint.transform != self.fingerprint.transform {
            return Err(CheckpointError::TransformChanged {
                path: self.path.clone(),
                found: cp.fingerprint.transform,
                wanted: self.fingerprint.transform.clone(),
            });
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
    pub fn save(&self, nodes: &PhaseProgress, relationships: &PhaseProgress) -> Result<(), CheckpointError> {
        self.save_run(None, nodes, relationships)
    }

    /// [`save`](Self::save), naming the run the copy is.
    pub fn save_run(
        &self,
        run: Option<&str>,
        nodes: &PhaseProgress,
        relationships: &PhaseProgress,
    ) -> Result<(), CheckpointError> {
        let cp = Checkpoint {
            version: VERSION,
            fingerprint: self.fingerprint.clone(),
            nodes: nodes.clone(),
            relationships: relationships.clone(),
            run: run.map(str::to_string),
        };
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

/// The contiguous-acknowledgement watermark of one phase. The pipeline numbers the pieces it
/// writes in read order (`seq`); the last piece of each source page carries the page's token.
#[derive(Debug)]
pub struct Watermark {
    next: u64,
    progress: PhaseProgress,
    /// Pieces acknowledged beyond `next`: seq → (records, token).
    ahead: BTreeMap<u64, (u64, Option<ResumeToken>)>,
}

impl Watermark {
    /// Starts from what an earlier run saved (or from nothing).
    pub fn starting_at(progress: PhaseProgress) -> Self {
        Watermark { next: 0, progress, ahead: BTreeMap::new() }
    }

    /// Records piece `seq` (of `records` records, ending a page at `token` if it is the last
    /// piece of one) as acknowledged; returns the progress with every gap-free piece counted.
    pub fn ack(&mut self, seq: u64, records: u64, token: Option<ResumeToken>) -> &PhaseProgress {
        self.ahead.insert(seq, (records, token));
        while let Some((records, token)) = self.ahead.remove(&self.next) {
            self.progress.acknowledged += records;
            if token.is_some() {
                self.progress.after = token;
            }
            self.next += 1;
        }
        &self.progress
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(n: u64) -> Option<ResumeToken> {
        Some(ResumeToken::new(n))
    }

    #[test]
    fn watermark_moves_only_over_contiguous_acks_and_keeps_the_last_page_token() {
        let mut w = Watermark::starting_at(PhaseProgress::default());
        assert_eq!(w.ack(1, 10, token(1)).after, None);
        assert_eq!(w.ack(3, 10, token(3)).acknowledged, 0);
        let p = w.ack(0, 10, token(0)).clone();
        assert_eq!((p.acknowledged, p.after), (20, token(1)));
        // Piece 2 is the first half of page 3: it carries no token of its own.
        let p = w.ack(2, 5, None).clone();
        assert_eq!((p.acknowledged, p.after), (35, token(3)));
    }

    fn side(name: &str) -> Side<'_> {
        Side { name, location: format!("file {name}.jsonl") }
    }

    #[test]
    fn checkpoint_round_trips_and_refuses_another_copy() {
        let dir = tempfile::tempdir().unwrap();
        let fp = Fingerprint::new(side("a"), side("b"), &Selection::All);
        let file = CheckpointFile { path: dir.path().join("cp.json"), fingerprint: fp.clone() };
        assert!(file.load().unwrap().is_none());
        let nodes = PhaseProgress { acknowledged: 5, after: token(5), finished: true };
        file.save(&nodes, &PhaseProgress::default()).unwrap();
        assert_eq!(file.load().unwrap().unwrap().nodes, nodes);
        let other = CheckpointFile {
            path: file.path.clone(),
            fingerprint: Fingerprint::new(
                side("a"),
                side("b"),
                &Selection::Only { labels: vec!["X".into()], relationship_types: vec![] },
            ),
        };
        let err = other.load().unwrap_err().to_string();
        assert!(err.contains("belongs to another copy") && err.contains("--all"), "{err}");
        let moved = CheckpointFile {
            path: file.path.clone(),
            fingerprint: Fingerprint::new(
                side("a"),
                Side { name: "b", location: "file elsewhere.jsonl".into() },
                &Selection::All,
            ),
        };
        let err = moved.load().unwrap_err().to_string();
        assert!(err.contains("target `b` was file b.jsonl, now file elsewhere.jsonl"), "{err}");
        std::fs::write(&file.path, r#"{"version": 1, "nodes": {"acknowledged": 3}}"#).unwrap();
        let err = file.load().unwrap_err().to_string();
        assert!(err.contains("version 1 is not supported") && err.contains("delete the file"), "{err}");
        file.remove().unwrap();
        assert!(!file.path.exists());
    }

    #[test]
    fn a_resume_with_another_transform_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let t = |text: &str| crate::pipeline::transform::Transform::parse(Path::new("t.yaml"), text).unwrap();
        let (one, two) = (t("operations: []"), t("operations: []\n"));
        let fp = |tr: Option<&crate::pipeline::transform::Transform>| {
            Fingerprint::new(side("a"), side("b"), &Selection::All).with_transform(tr)
        };
        let file = CheckpointFile { path: dir.path().join("cp.json"), fingerprint: fp(Some(&one)) };
        file.save(&PhaseProgress::default(), &PhaseProgress::default()).unwrap();
        assert!(file.load().unwrap().is_some(), "the same transform resumes");
        for (other, says) in [(Some(&two), "this one with transform t.yaml"), (None, "this one without a transform")] {
            let other = CheckpointFile { path: file.path.clone(), fingerprint: fp(other) };
            let err = other.load().unwrap_err().to_string();
            assert!(
                err.contains(&format!("saved by a copy with transform t.yaml (fingerprint {})", one.fingerprint)),
                "{err}"
            );
            assert!(err.contains(says) && err.contains("Run it with the same transform"), "{err}");
        }
        // A checkpoint of a copy without a transform, read back: no `transform` key at all.
        let plain = CheckpointFile { path: dir.path().join("plain.json"), fingerprint: fp(None) };
        plain.save(&PhaseProgress::default(), &PhaseProgress::default()).unwrap();
        assert!(!std::fs::read_to_string(&plain.path).unwrap().contains("transform"));
        assert!(plain.load().unwrap().is_some());
    }
}
