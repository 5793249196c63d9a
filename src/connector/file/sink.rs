//! Writing a dump as a copy sink. Records go to `<path>.tmp`; `finish` writes the end record,
//! syncs and renames it into place, so a failed or interrupted copy never leaves a dump that
//! looks complete. A file target is always written whole: merge mode replaces the dump.

use std::path::PathBuf;
use std::sync::Mutex;

use async_trait::async_trait;

use super::dump::{encode_nodes, encode_relationships, DumpWriter};
use super::FileConfig;
use crate::connector::{ConnectorError, CopyPlan, Sink, WriteMode, WriteReport};
use crate::model::{Node, Relationship};

pub struct FileSink {
    path: PathBuf,
    tmp: PathBuf,
    writer: Mutex<Option<DumpWriter>>,
}

impl FileSink {
    pub fn create(cfg: &FileConfig) -> Result<Self, ConnectorError> {
        let mut tmp = cfg.path.clone().into_os_string();
        tmp.push(".tmp");
        Ok(FileSink { path: cfg.path.clone(), tmp: PathBuf::from(tmp), writer: Mutex::new(None) })
    }

    fn io_error(&self, action: &str, e: std::io::Error) -> ConnectorError {
        ConnectorError::fatal(format!("{}: cannot {action}: {e}", self.tmp.display())).with_source(e)
    }

    fn with_writer(
        &self,
        f: impl FnOnce(&mut DumpWriter) -> std::io::Result<()>,
    ) -> Result<WriteReport, ConnectorError> {
        let mut guard = self.writer.lock().expect("file sink lock poisoned");
        let writer =
            guard.as_mut().ok_or_else(|| ConnectorError::fatal("file sink used before prepare or after finish"))?;
        f(writer).map_err(|e| self.io_error("write", e))?;
        // A file holds every value exactly: nothing to report as converted.
        Ok(WriteReport::default())
    }
}

#[async_trait]
impl Sink for FileSink {
    async fn prepare(&self, plan: &CopyPlan) -> Result<(), ConnectorError> {
        if plan.mode == WriteMode::Create && !plan.force && self.path.exists() {
            return Err(ConnectorError::fatal(format!(
                "{} already exists; create mode writes only into an empty target (use --force to replace it, or --mode merge)",
                self.path.display()
            )));
        }
        let writer = DumpWriter::create(&self.tmp).map_err(|e| self.io_error("create", e))?;
        *self.writer.lock().expect("file sink lock poisoned") = Some(writer);
        Ok(())
    }

    fn resumable(&self) -> bool {
        false
    }

    async fn write_nodes(&self, batch: &[Node]) -> Result<WriteReport, ConnectorError> {
        let encoded = encode_nodes(batch).map_err(|e| self.io_error("encode", e))?;
        self.with_writer(|w| w.append_nodes(&encoded, batch))
    }

    async fn write_relationships(&self, batch: &[Relationship]) -> Result<WriteReport, ConnectorError> {
        let encoded = encode_relationships(batch).map_err(|e| self.io_error("encode", e))?;
        self.with_writer(|w| w.append_relationships(&encoded, batch))
    }

    async fn finish(&self) -> Result<(), ConnectorError> {
        let writer = self.writer.lock().expect("file sink lock poisoned").take();
        let writer = writer.ok_or_else(|| ConnectorError::fatal("file sink finished twice"))?;
        writer.finish().map_err(|e| self.io_error("finish", e))?;
        std::fs::rename(&self.tmp, &self.path)
            .map_err(|e| self.io_error(&format!("rename to {}", self.path.display()), e))
    }
}

impl Drop for FileSink {
    /// A copy that did not finish leaves no half-written file behind.
    fn drop(&mut self) {
        if self.writer.get_mut().map(|w| w.is_some()).unwrap_or(false) {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}
