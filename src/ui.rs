//! The one place that writes to the terminal. Results go to stdout (a summary table, or one JSON
//! object with `--json`); progress, logs and errors go to stderr: a progress bar on a terminal,
//! plain log lines otherwise, JSON lines with `--json`.

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use serde_json::json;

use crate::connector::SelectionCounts;
use crate::pipeline::{CopyReport, Phase, Progress};

mod finalize;
mod runs;
mod transform;
pub use finalize::FinalizeBar;

/// The bar on screen, if any, so log lines can be printed above it instead of through it.
static ACTIVE_BAR: Mutex<Option<ProgressBar>> = Mutex::new(None);

pub struct Ui {
    json: bool,
    quiet: bool,
    bar: bool,
}

/// One line of `graphferry targets`.
pub struct TargetRow {
    pub name: String,
    pub database: Option<&'static str>,
    pub status: Result<String, String>,
}

impl Ui {
    pub fn new(json: bool, quiet: bool) -> Ui {
        let bar = !json && !quiet && std::io::stderr().is_terminal();
        Ui { json, quiet, bar }
    }

    pub fn json(&self) -> bool {
        self.json
    }

    fn out(&self, text: &str) {
        let mut stdout = std::io::stdout().lock();
        let _ = writeln!(stdout, "{text}");
    }

    /// A mapping file's text, as is (YAML; in --json mode, one object holding it).
    pub fn mapping(&self, text: &str) {
        if self.json {
            self.out(&serde_json::json!({ "mapping": text }).to_string());
        } else {
            let mut stdout = std::io::stdout().lock();
            let _ = write!(stdout, "{text}");
        }
    }

    pub fn copy_progress(&self) -> CopyProgress {
        CopyProgress {
            bar: self.bar,
            log: !self.quiet && !self.bar,
            current: Mutex::new(None),
            written: AtomicU64::new(0),
            expected: AtomicU64::new(0),
            retries: AtomicU64::new(0),
            last_log: Mutex::new(Instant::now()),
        }
    }

    pub fn dry_run(&self, source: &str, target: &str, counts: &SelectionCounts) {
        if self.json {
            self.out(
                &json!({
                    "event": "dry_run", "source": source, "target": target,
                    "nodes": counts.nodes, "relationships": counts.relationships,
                    "labels": counts.labels, "relationship_types": counts.relationship_types,
                })
                .to_string(),
            );
            return;
        }
        let mut text = format!(
            "Dry run: would copy {} and {} from `{source}` to `{target}` (nothing written)\n",
            counted(counts.nodes, "node", "nodes"),
            counted(counts.relationships, "relationship", "relationships")
        );
        text.push_str(&count_table("Nodes by label", &counts.labels));
        text.push_str(&count_table("Relationships by type", &counts.relationship_types));
        self.out(text.trim_end());
    }

    /// `written_to`: where a file target wrote, so the user knows which file to open.
    pub fn copy_summary(&self, source: &str, target: &str, written_to: Option<&str>, report: &CopyReport) {
        self.out(&self.copy_summary_text(source, target, written_to, report));
    }

    fn copy_summary_text(&self, source: &str, target: &str, written_to: Option<&str>, report: &CopyReport) -> String {
        if self.json {
            let mut v = serde_json::to_value(report).unwrap_or_default();
            v["event"] = json!("summary");
            v["status"] = json!("ok");
            v["source"] = json!(source);
            v["target"] = json!(target);
            v["records_per_second"] = json!(report.records_per_second().round());
            if let Some(location) = written_to {
                v["written_to"] = json!(location);
            }
            return v.to_string();
        }
        let mut text = format!(
            "Copied {} and {} from `{source}` to `{target}` in {:.2} s ({} records/s)\n",
            counted(report.nodes, "node", "nodes"),
            counted(report.relationships, "relationship", "relationships"),
            report.elapsed.as_secs_f64(),
            thousands(report.records_per_second().round() as u64),
        );
        if let Some(location) = written_to {
            text.push_str(&format!("Written to {location}\n"));
        }
        match (&report.run, report.journaled) {
            (Some(run), true) => {
                text.push_str(&format!("Run {run} (`graphferry rollback --target {target} --run {run}` undoes it)\n"))
            }
            (Some(run), false) => text.push_str(&format!("Run {run} (`graphferry runs` lists it)\n")),
            (None, _) => {}
        }
        if report.resumed > 0 {
            // The tables count what this run wrote; the totals above include the earlier run.
            text.push_str(&format!(
                "This run wrote {}; the interrupted run it resumed had copied {} (the tables count this run only)\n",
                counted(report.records() - report.resumed, "record", "records"),
                thousands(report.resumed)
            ));
        }
        let mut labels: Vec<(&str, u64)> = report.labels.iter().map(|(k, n)| (k.as_str(), *n)).collect();
        if report.unlabelled > 0 {
            labels.push(("(no label)", report.unlabelled));
        }
        text.push_str(&count_rows("Nodes by label", &labels));
        text.push_str(&count_table("Relationships by type", &report.relationship_types));
        if report.retries > 0 || report.splits > 0 || report.read_retries > 0 {
            text.push_str(&format!(
                "\n{}, {}, {}",
                counted(report.batches, "batch", "batches"),
                counted(report.retries, "retried write", "retried writes"),
                counted(report.splits, "split batch", "split batches")
            ));
            if report.read_retries > 0 {
                text.push_str(&format!(", {}", counted(report.read_retries, "retried read", "retried reads")));
            }
            text.push('\n');
        }
        if report.conversions.is_empty() {
            text.push_str("\nConversions: none\n");
        } else {
            // Some conversions lose nothing (a UTC datetime becoming a Neptune DateTime); those
            // that lose something say LOSSY in their name.
            text.push_str(
                "\nConversions (the target cannot hold these values as they are; LOSSY ones lose part of the value):\n",
            );
            for (k, n) in &report.conversions {
                text.push_str(&format!("  {}.{}: {} x {}\n", k.scope, k.property, k.conversion, thousands(*n)));
            }
        }
        if let Some(t) = &report.transform {
            text.push_str(&transform::summary_text(t));
        }
        if report.source_changed() {
            text.push_str(&format!(
                "\nNote: the source counted {} nodes and {} relationships before the copy; it changed while being read.\n",
                thousands(report.expected.nodes),
                thousands(report.expected.relationships)
            ));
        }
        if let Some(steps) = &report.next_steps {
            text.push_str(&format!("\nNext steps:\n{steps}\n"));
        }
        text.trim_end().to_string()
    }

    /// What a failed copy had written before it stopped. The error itself is printed by `main`.
    /// `saved`: the checkpoint holding its progress, if it left one.
    pub fn copy_failed(&self, source: &str, target: &str, written: &CopyReport, saved: Option<&Path>) {
        self.out(&self.copy_ended_text(source, target, written, Ended::Failed { saved }));
    }

    /// What a copy stopped by Ctrl-C or SIGTERM had written: not a failure, the user asked.
    pub fn copy_stopped(&self, source: &str, target: &str, written: &CopyReport, saved: bool) {
        self.out(&self.copy_ended_text(source, target, written, Ended::Stopped { saved }));
    }

    fn copy_ended_text(&self, source: &str, target: &str, written: &CopyReport, ended: Ended<'_>) -> String {
        if self.json {
            let mut v = serde_json::to_value(written).unwrap_or_default();
            v["event"] = json!("summary");
            if let Ended::Failed { saved: Some(path) } = ended {
                v["checkpoint"] = json!(path.display().to_string());
            }
            v["status"] = json!(match ended {
                Ended::Failed { .. } => "failed",
                Ended::Stopped { .. } => "stopped",
            });
            v["source"] = json!(source);
            v["target"] = json!(target);
            return v.to_string();
        }
        let (how, before) = match ended {
            Ended::Failed { .. } => ("FAILED", "the failure"),
            Ended::Stopped { saved: true } => ("stopped (progress saved)", "it stopped"),
            Ended::Stopped { saved: false } => ("stopped", "it stopped"),
        };
        let mut text = format!(
            "Copy from `{source}` to `{target}` {how} after {:.2} s. Acknowledged by the target before {before}: {}, {} (the copy is incomplete).",
            written.elapsed.as_secs_f64(),
            counted(written.nodes, "node", "nodes"),
            counted(written.relationships, "relationship", "relationships")
        );
        if let Ended::Failed { saved: Some(path) } = ended {
            text.push_str(&format!(
                "\nProgress was saved to {}: fix the cause and run the same copy with --resume to continue.",
                path.display()
            ));
        }
        if let (Some(run), true) = (&written.run, written.journaled) {
            text.push_str(&format!(
                "\nRun {run}: `graphferry rollback --target {target} --run {run}` undoes what it wrote."
            ));
        }
        text
    }

    pub fn targets(&self, path: &Path, rows: &[TargetRow]) {
        if self.json {
            for r in rows {
                let (ok, detail) = match &r.status {
                    Ok(s) => (true, s),
                    Err(e) => (false, e),
                };
                self.out(
                    &json!({"event": "target", "name": r.name, "database": r.database, "ok": ok, "detail": detail})
                        .to_string(),
                );
            }
            return;
        }
        let width = rows.iter().map(|r| r.name.len()).max().unwrap_or(4).max(6);
        // Database names run to `neo4j-admin-csv`: the column is as wide as the longest.
        let db = rows.iter().filter_map(|r| r.database.map(str::len)).max().unwrap_or(8).max(8);
        let mut text = format!("Targets in {}:\n", path.display());
        for r in rows {
            let (mark, detail) = match &r.status {
                Ok(s) => ("ok   ", s.as_str()),
                Err(e) => ("ERROR", e.as_str()),
            };
            // A target with several problems has one a line, indented under its row.
            let detail = detail.replace('\n', &format!("\n  {:width$}  {:db$}       ", "", ""));
            text.push_str(&format!("  {:width$}  {:db$} {mark} {detail}\n", r.name, r.database.unwrap_or("?")));
        }
        if rows.is_empty() {
            text.push_str("  (none)\n");
        }
        self.out(text.trim_end());
    }

    pub fn migrations_ran(&self, target: &str, dir: &Path, applied: &[crate::migrations::run::Applied], dry_run: bool) {
        if self.json {
            self.out(
                &json!({"event": "migrations", "target": target, "dry_run": dry_run, "applied": applied}).to_string(),
            );
            return;
        }
        let verb = if dry_run { "would apply" } else { "applied" };
        if applied.is_empty() {
            self.out(&format!("`{target}`: no pending migrations in {} (up to date)", dir.display()));
            return;
        }
        let mut text = format!("`{target}`: {verb} {} migration(s) from {}\n", applied.len(), dir.display());
        for a in applied {
            text.push_str(&format!("  {}\n", a.migration));
            for s in &a.statements {
                text.push_str(&format!("      {s}\n"));
            }
        }
        self.out(text.trim_end());
    }

    pub fn migrations_status(&self, target: &str, dir: &Path, rows: &[crate::migrations::run::Status]) {
        if self.json {
            self.out(&json!({"event": "migrations_status", "target": target, "migrations": rows}).to_string());
            return;
        }
        let width = rows.iter().map(|r| r.migration.len()).max().unwrap_or(9).max(9);
        let mut text = format!("Migrations in {} on `{target}`:\n  {:width$}  state\n", dir.display(), "migration");
        for r in rows {
            text.push_str(&format!("  {:width$}  {}\n", r.migration, r.state));
        }
        if rows.is_empty() {
            text.push_str("  (no migration files)\n");
        }
        self.out(text.trim_end());
    }

    /// `migrations show` on every target: a row per migration, a column per target (a target
    /// that could not be read has its error under the table).
    pub fn migrations_overview(
        &self,
        dir: &Path,
        migrations: &[String],
        columns: &[(String, Result<Vec<crate::migrations::run::Status>, String>)],
    ) {
        if self.json {
            for (target, state) in columns {
                let v = match state {
                    Ok(rows) => json!({"event": "migrations_status", "target": target, "migrations": rows}),
                    Err(e) => json!({"event": "migrations_status", "target": target, "error": e}),
                };
                self.out(&v.to_string());
            }
            return;
        }
        let first = migrations.iter().map(|m| m.chars().count()).max().unwrap_or(0).max(9);
        let widths: Vec<usize> = columns.iter().map(|(t, _)| t.chars().count().max(7)).collect();
        let mut text = format!("Migrations in {}:\n  {:first$}", dir.display(), "migration");
        for ((target, _), w) in columns.iter().zip(&widths) {
            text.push_str(&format!("  {target:w$}"));
        }
        for m in migrations {
            text.push_str(&format!("\n  {m:first$}"));
            for ((_, state), w) in columns.iter().zip(&widths) {
                let cell = match state {
                    Ok(rows) => rows.iter().find(|r| r.migration == *m).map_or("?", |r| r.state),
                    Err(_) => "error",
                };
                text.push_str(&format!("  {cell:w$}"));
            }
        }
        if migrations.is_empty() {
            text.push_str("\n  (no migration files)");
        }
        for (target, state) in columns {
            if let Err(e) = state {
                text.push_str(&format!("\n\n`{target}`: {e}"));
            }
        }
        self.out(text.trim_end());
    }

    pub fn migration_written(&self, m: &crate::migrations::Migration) {
        if self.json {
            self.out(&json!({"event": "migration_written", "name": m.name, "file": m.file, "operations": m.operations.len(), "dependencies": m.dependencies}).to_string());
            return;
        }
        self.out(&format!(
            "Wrote {} ({} operations, depends on: {})",
            m.file.display(),
            m.operations.len(),
            if m.dependencies.is_empty() { "nothing".to_string() } else { m.dependencies.join(", ") }
        ));
    }

    pub fn verify_report(&self, source: &str, target: &str, report: &crate::verify::VerifyReport) {
        if self.json {
            let mut v = serde_json::to_value(report).unwrap_or_default();
            v["event"] = json!("verify");
            v["source"] = json!(source);
            v["target"] = json!(target);
            v["ok"] = json!(report.ok());
            self.out(&v.to_string());
            return;
        }
        let mut text = format!(
            "Verify `{target}` against `{source}`: {}\n",
            if report.ok() { "everything matches" } else { "DIFFERENCES FOUND" }
        );
        let rows: Vec<&crate::verify::CountRow> = report.nodes.iter().chain(&report.relationships).collect();
        let labels: Vec<&crate::verify::CountRow> = report.labels.iter().collect();
        let types: Vec<&crate::verify::CountRow> = report.relationship_types.iter().collect();
        for (title, rows) in [("Totals", rows), ("Nodes by label", labels), ("Relationships by type", types)] {
            if rows.is_empty() {
                continue;
            }
            let width = rows.iter().map(|r| r.name.chars().count()).max().unwrap_or(0).max(title.len());
            text.push_str(&format!("\n  {title:width$}  {:>12}  {:>12}\n", "source", "target"));
            for r in rows {
                let mark = if r.matches() { "" } else { "  <- differs" };
                text.push_str(&format!(
                    "  {:width$}  {:>12}  {:>12}{mark}\n",
                    r.name,
                    thousands(r.source),
                    thousands(r.target)
                ));
            }
        }
        text.push_str(&format!(
            "\nDangling relationships in the target: {}\nCompared field by field: {} nodes, {} relationships; {} difference(s)\n",
            thousands(report.dangling),
            thousands(report.compared_nodes),
            thousands(report.compared_relationships),
            thousands(report.differences_found)
        ));
        for d in &report.differences {
            text.push_str(&format!("  {} `{}`: {}\n", d.kind, d.id, d.problem));
        }
        if report.differences_found > report.differences.len() as u64 {
            text.push_str(&format!("  ... and {} more\n", report.differences_found - report.differences.len() as u64));
        }
        self.out(text.trim_end());
    }

    /// Prints the error that ends the run, with its causes.
    pub fn error(&self, err: &anyhow::Error) {
        // A cause whose text a line above already shows (drivers repeat their source in their
        // own message) is said once.
        let mut said = err.to_string();
        let mut causes: Vec<String> = Vec::new();
        for cause in err.chain().skip(1).map(|c| c.to_string()) {
            if !said.contains(&cause) {
                said.push('\n');
                said.push_str(&cause);
                causes.push(cause);
            }
        }
        let mut stderr = std::io::stderr().lock();
        if self.json {
            let _ = writeln!(
                stderr,
                "{}",
                json!({"level": "ERROR", "event": "error", "message": err.to_string(), "causes": causes})
            );
            return;
        }
        let _ = writeln!(stderr, "error: {err}");
        for cause in causes {
            let _ = writeln!(stderr, "  caused by: {cause}");
        }
    }
}

fn count_table(title: &str, counts: &std::collections::BTreeMap<String, u64>) -> String {
    let rows: Vec<(&str, u64)> = counts.iter().map(|(k, n)| (k.as_str(), *n)).collect();
    count_rows(title, &rows)
}

fn count_rows(title: &str, rows: &[(&str, u64)]) -> String {
    if rows.is_empty() {
        return String::new();
    }
    let width = rows.iter().map(|(k, _)| k.chars().count()).max().unwrap_or(0).max(title.len());
    let mut s = format!("\n  {title:width$}  {:>12}\n", "count");
    for (k, n) in rows {
        s.push_str(&format!("  {k:width$}  {:>12}\n", thousands(*n)));
    }
    s
}

/// How a copy that did not finish ended.
#[derive(Clone, Copy)]
enum Ended<'a> {
    /// `saved`: the checkpoint holding its progress.
    Failed { saved: Option<&'a Path> },
    /// Stopped on request; `saved`: a checkpoint holds the progress.
    Stopped { saved: bool },
}

/// `1 node`, `2,000 nodes`.
fn counted(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", thousands(n), if n == 1 { one } else { many })
}

/// ` (3 retries)` after a progress count; nothing before the first retry.
fn retries_note(retries: u64) -> String {
    match retries {
        0 => String::new(),
        1 => " (1 retry)".to_string(),
        n => format!(" ({} retries)", thousands(n)),
    }
}

/// Records a second on the progress bar, whole: `9,766/s`.
fn rate(per_sec: f64) -> String {
    format!("{}/s", thousands(per_sec.round() as u64))
}

/// `1234567` → `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Progress of one copy: a bar on a terminal, otherwise a log line at most every few seconds.
pub struct CopyProgress {
    bar: bool,
    log: bool,
    current: Mutex<Option<ProgressBar>>,
    written: AtomicU64,
    expected: AtomicU64,
    /// Handled retries of this copy so far: a count for the user, the details are debug logs.
    retries: AtomicU64,
    last_log: Mutex<Instant>,
}

const LOG_EVERY: Duration = Duration::from_secs(5);

impl Progress for CopyProgress {
    fn phase_started(&self, phase: Phase, expected: u64) {
        self.written.store(0, Ordering::Relaxed);
        self.expected.store(expected, Ordering::Relaxed);
        if self.bar {
            let bar = ProgressBar::with_draw_target(Some(expected), ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template(
                    "{prefix:>13} [{bar:30}] {human_pos}/{human_len} ({rate}, eta {eta}) {msg}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                // indicatif's own `{per_sec}` shows four decimals ("9,766.1267/s").
                .with_key("rate", |state: &ProgressState, w: &mut dyn std::fmt::Write| {
                    let _ = w.write_str(&rate(state.per_sec()));
                })
                .progress_chars("=> "),
            );
            bar.set_prefix(phase.noun());
            // The count covers the whole copy, so the next phase's bar keeps it.
            bar.set_message(retries_note(self.retries.load(Ordering::Relaxed)).trim_start().to_string());
            *ACTIVE_BAR.lock().expect("progress lock") = Some(bar.clone());
            *self.current.lock().expect("progress lock") = Some(bar);
        } else if self.log {
            tracing::info!(event = "phase_started", phase = phase.noun(), expected, "copying {}", phase.noun());
        }
    }

    fn written(&self, phase: Phase, records: u64) {
        let total = self.written.fetch_add(records, Ordering::Relaxed) + records;
        if let Some(bar) = self.current.lock().expect("progress lock").as_ref() {
            bar.set_position(total);
            return;
        }
        if self.log {
            let mut last = self.last_log.lock().expect("progress lock");
            if last.elapsed() >= LOG_EVERY {
                *last = Instant::now();
                let expected = self.expected.load(Ordering::Relaxed);
                let retries = self.retries.load(Ordering::Relaxed);
                tracing::info!(
                    event = "progress",
                    phase = phase.noun(),
                    written = total,
                    expected,
                    retries,
                    "{} {}/{}{}",
                    phase.noun(),
                    total,
                    expected,
                    retries_note(retries)
                );
            }
        }
    }

    /// A retry is the pipeline doing its job, not a problem: it shows as a count on the progress
    /// line (and the summary counts retried writes), and the server's answer only at `-v`. A
    /// warning per retry would push the bar around and fill the screen with server internals.
    fn retrying(&self, phase: Phase, attempt: u32, wait: Duration, error: &str) {
        let retries = self.retries.fetch_add(1, Ordering::Relaxed) + 1;
        tracing::debug!(
            event = "retry",
            phase = phase.noun(),
            attempt,
            wait_ms = wait.as_millis() as u64,
            error,
            "transient failure, retrying"
        );
        if let Some(bar) = self.current.lock().expect("progress lock").as_ref() {
            bar.set_message(retries_note(retries).trim_start().to_string());
        }
    }

    fn phase_finished(&self, phase: Phase) {
        if let Some(bar) = self.current.lock().expect("progress lock").take() {
            bar.finish_and_clear();
            ACTIVE_BAR.lock().expect("progress lock").take();
        }
        if self.log {
            tracing::info!(
                event = "phase_finished",
                phase = phase.noun(),
                written = self.written.load(Ordering::Relaxed),
                "{} done",
                phase.noun()
            );
        }
    }
}

impl Drop for CopyProgress {
    fn drop(&mut self) {
        if let Some(bar) = self.current.lock().map(|mut c| c.take()).ok().flatten() {
            bar.abandon();
            ACTIVE_BAR.lock().map(|mut b| b.take()).ok();
        }
    }
}

/// A log writer that lifts the progress bar out of the way while a line is written.
pub struct LogWriter;

impl Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let bar = ACTIVE_BAR.lock().ok().and_then(|b| b.clone());
        match bar {
            Some(bar) => bar.suspend(|| std::io::stderr().write_all(buf)).map(|_| buf.len()),
            None => std::io::stderr().write_all(buf).map(|_| buf.len()),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::{counted, rate, retries_note, thousands, CopyReport, Ui};

    fn text_ui() -> Ui {
        Ui { json: false, quiet: true, bar: false }
    }

    fn report(nodes: u64, relationships: u64) -> CopyReport {
        CopyReport {
            nodes,
            relationships,
            expected: crate::connector::SelectionCounts { nodes, relationships, ..Default::default() },
            elapsed: Duration::from_secs(1),
            ..CopyReport::default()
        }
    }

    #[test]
    fn unlabelled_nodes_have_a_row_so_the_label_table_adds_up() {
        let mut r = report(5, 0);
        r.labels = [("Person".to_string(), 3)].into();
        r.unlabelled = 2;
        let text = text_ui().copy_summary_text("a", "b", None, &r);
        let rows: Vec<&str> = text.lines().filter(|l| l.starts_with("  ")).collect();
        assert!(rows[1].starts_with("  Person") && rows[1].ends_with(" 3"), "{text}");
        assert!(rows[2].starts_with("  (no label)") && rows[2].ends_with(" 2"), "{text}");
        // No row when every node has a label.
        r.unlabelled = 0;
        assert!(!text_ui().copy_summary_text("a", "b", None, &r).contains("(no label)"));
    }

    #[test]
    fn counts_of_one_are_singular() {
        assert_eq!(counted(1, "node", "nodes"), "1 node");
        assert_eq!(counted(0, "node", "nodes"), "0 nodes");
        assert_eq!(counted(1200, "batch", "batches"), "1,200 batches");
        let mut r = report(1, 1);
        (r.batches, r.retries, r.splits) = (1, 1, 1);
        let text = text_ui().copy_summary_text("a", "b", None, &r);
        assert!(text.starts_with("Copied 1 node and 1 relationship from"), "{text}");
        assert!(text.contains("1 batch, 1 retried write, 1 split batch"), "{text}");
    }

    #[test]
    fn the_progress_rate_is_whole_records() {
        assert_eq!(rate(9766.1267), "9,766/s");
        assert_eq!(rate(0.4), "0/s");
    }

    #[test]
    fn a_file_target_names_the_file_written() {
        let r = report(2, 0);
        let text = text_ui().copy_summary_text("a", "out", Some("file /tmp/x.jsonl"), &r);
        assert!(text.lines().nth(1) == Some("Written to file /tmp/x.jsonl"), "{text}");
        let json =
            Ui { json: true, quiet: true, bar: false }.copy_summary_text("a", "out", Some("file /tmp/x.jsonl"), &r);
        assert!(json.contains(r#""written_to":"file /tmp/x.jsonl""#), "{json}");
        assert!(!text_ui().copy_summary_text("a", "out", None, &r).contains("Written to"));
    }

    #[test]
    fn a_stopped_copy_is_not_a_failure() {
        let r = report(10, 0);
        let stopped = text_ui().copy_ended_text("a", "b", &r, super::Ended::Stopped { saved: true });
        assert!(stopped.contains("stopped (progress saved) after"), "{stopped}");
        assert!(!stopped.contains("FAILED"), "{stopped}");
        let failed = text_ui().copy_ended_text("a", "b", &r, super::Ended::Failed { saved: None });
        assert!(failed.contains("FAILED") && !failed.contains("--resume"), "{failed}");
        let saved = std::path::Path::new(".graphferry/copy.json");
        let failed = text_ui().copy_ended_text("a", "b", &r, super::Ended::Failed { saved: Some(saved) });
        assert!(
            failed.contains("Progress was saved to .graphferry/copy.json") && failed.contains("--resume"),
            "{failed}"
        );
        let json = Ui { json: true, quiet: true, bar: false }.copy_ended_text(
            "a",
            "b",
            &r,
            super::Ended::Failed { saved: Some(saved) },
        );
        assert!(json.contains(r#""checkpoint":".graphferry/copy.json""#), "{json}");
        let json = Ui { json: true, quiet: true, bar: false }.copy_ended_text(
            "a",
            "b",
            &r,
            super::Ended::Stopped { saved: false },
        );
        assert!(json.contains(r#""status":"stopped""#), "{json}");
    }

    #[test]
    fn a_resumed_summary_splits_this_run_from_the_earlier_one() {
        let mut r = report(100, 50);
        r.resumed = 120;
        r.labels = [("Person".to_string(), 10)].into();
        let text = text_ui().copy_summary_text("a", "b", None, &r);
        assert!(text.contains("This run wrote 30 records; the interrupted run it resumed had copied 120"), "{text}");
        assert!(text.contains("  Person"), "this run's tables are still shown: {text}");
    }

    #[test]
    fn thousands_groups_digits() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1234567), "1,234,567");
    }

    #[test]
    fn retries_are_a_count() {
        assert_eq!(retries_note(0), "");
        assert_eq!(retries_note(1), " (1 retry)");
        assert_eq!(retries_note(1200), " (1,200 retries)");
    }
}
