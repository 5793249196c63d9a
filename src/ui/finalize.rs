//! What `graphferry finalize` shows: a progress bar of records cleared, and a summary of what
//! was removed (one JSON object with `--json`).

use std::sync::Mutex;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::json;

use super::{counted, Ui, ACTIVE_BAR};
use crate::connector::Marked;
use crate::pipeline::finalize::{FinalizeProgress, FinalizeReport};

impl Ui {
    pub fn finalize_progress(&self) -> FinalizeBar {
        FinalizeBar { bar: self.bar, prefix: "finalizing", current: Mutex::new(None), retries: Mutex::new(0) }
    }

    /// The same bar for `graphferry rollback`: records deleted or restored.
    pub fn rollback_progress(&self) -> FinalizeBar {
        FinalizeBar { bar: self.bar, prefix: "rolling back", current: Mutex::new(None), retries: Mutex::new(0) }
    }

    pub fn finalize_summary(&self, target: &str, report: &FinalizeReport) {
        self.out(&self.finalize_summary_text(target, report));
    }

    fn finalize_summary_text(&self, target: &str, report: &FinalizeReport) -> String {
        if self.json {
            let mut v = serde_json::to_value(report).unwrap_or_default();
            v["event"] = json!("finalize");
            v["status"] = json!("ok");
            v["target"] = json!(target);
            v["changed"] = json!(!report.changed_nothing());
            return v.to_string();
        }
        if let Some(why) = report.nothing_to_remove {
            return format!("Nothing to finalize in `{target}`: {why}.");
        }
        if report.changed_nothing() {
            return format!(
                "Nothing to finalize in `{target}`: no identity marks left (already finalized, or never copied into)."
            );
        }
        let mut text = format!(
            "Finalized `{target}` in {:.2} s: removed graphferry's identity marks from {} and {}",
            report.elapsed.as_secs_f64(),
            counted(report.cleared.nodes, "node", "nodes"),
            counted(report.cleared.relationships, "relationship", "relationships"),
        );
        if report.dropped.is_empty() {
            text.push_str("; no constraint or index left to drop.");
        } else {
            let names: Vec<String> = report.dropped.iter().map(|n| format!("`{n}`")).collect();
            text.push_str(&format!("; dropped {}.", names.join(", ")));
        }
        text.push_str(&format!("\nRemoved: {}.", report.removes));
        if report.retries > 0 || report.splits > 0 {
            text.push_str(&format!(
                "\n{}, {}, {}",
                counted(report.batches, "batch", "batches"),
                counted(report.retries, "retried batch", "retried batches"),
                counted(report.splits, "split batch", "split batches")
            ));
        }
        text.push_str(
            "\nA later copy into this target is a fresh copy: merge mode no longer finds these records and would \
             write them again.",
        );
        text
    }
}

/// A bar of records cleared on a terminal; nothing otherwise (the summary says the rest).
pub struct FinalizeBar {
    bar: bool,
    prefix: &'static str,
    current: Mutex<Option<ProgressBar>>,
    retries: Mutex<u64>,
}

impl FinalizeProgress for FinalizeBar {
    fn started(&self, marked: Option<Marked>) {
        if let Some(m) = marked {
            tracing::debug!(event = "finalize_started", nodes = m.nodes, relationships = m.relationships);
        }
        if !self.bar {
            return;
        }
        let bar = ProgressBar::with_draw_target(marked.map(|m| m.total()), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{prefix:>13} [{bar:30}] {human_pos}/{human_len} (eta {eta}) {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar.set_prefix(self.prefix);
        *ACTIVE_BAR.lock().expect("progress lock") = Some(bar.clone());
        *self.current.lock().expect("progress lock") = Some(bar);
    }

    fn cleared(&self, records: u64) {
        if let Some(bar) = self.current.lock().expect("progress lock").as_ref() {
            bar.inc(records);
        }
    }

    fn retrying(&self, attempt: u32, wait: Duration, error: &str) {
        let mut retries = self.retries.lock().expect("progress lock");
        *retries += 1;
        tracing::debug!(
            event = "retry",
            attempt,
            wait_ms = wait.as_millis() as u64,
            error,
            "transient failure, retrying"
        );
        if let Some(bar) = self.current.lock().expect("progress lock").as_ref() {
            bar.set_message(super::retries_note(*retries).trim_start().to_string());
        }
    }

    fn finished(&self) {
        if let Some(bar) = self.current.lock().expect("progress lock").take() {
            bar.finish_and_clear();
            ACTIVE_BAR.lock().expect("progress lock").take();
        }
    }
}

impl Drop for FinalizeBar {
    fn drop(&mut self) {
        self.finished();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(nodes: u64, relationships: u64, dropped: &[&str]) -> FinalizeReport {
        FinalizeReport {
            removes: "label `_M`".into(),
            cleared: Marked { nodes, relationships },
            dropped: dropped.iter().map(|d| d.to_string()).collect(),
            ..FinalizeReport::default()
        }
    }

    #[test]
    fn the_summary_counts_what_changed_and_a_second_run_says_nothing_is_left() {
        let ui = Ui { json: false, quiet: false, bar: false };
        let text = ui.finalize_summary_text("dst", &report(1, 2000, &["gf"]));
        assert!(text.contains("from 1 node and 2,000 relationships; dropped `gf`."), "{text}");
        assert!(text.contains("fresh copy"), "{text}");
        let text = ui.finalize_summary_text("dst", &report(0, 0, &[]));
        assert!(text.starts_with("Nothing to finalize in `dst`: no identity marks left"), "{text}");
        let nothing = FinalizeReport { nothing_to_remove: Some("a dump"), ..FinalizeReport::default() };
        assert_eq!(ui.finalize_summary_text("d", &nothing), "Nothing to finalize in `d`: a dump.");
    }

    #[test]
    fn json_has_the_counts_and_whether_anything_changed() {
        let ui = Ui { json: true, quiet: false, bar: false };
        let v: serde_json::Value =
            serde_json::from_str(&ui.finalize_summary_text("dst", &report(3, 4, &["gf"]))).unwrap();
        assert_eq!(v["event"], "finalize");
        assert_eq!(v["cleared"], json!({"nodes": 3, "relationships": 4}));
        assert_eq!(v["dropped"], json!(["gf"]));
        assert_eq!(v["changed"], true);
        assert_eq!(v["target"], "dst");
    }
}
