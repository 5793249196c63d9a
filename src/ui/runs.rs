//! What `graphferry runs` and `graphferry rollback` show, and the run line of a copy (one JSON
//! object per line with `--json`).

use serde_json::json;

use super::{counted, Ui};
use crate::pipeline::journal::{Records, RunRecord};
use crate::pipeline::rollback::{RollbackPlan, RollbackReport};

impl Ui {
    /// The runs of a folder, oldest first.
    pub fn runs(&self, runs: &[RunRecord]) {
        if self.json {
            for r in runs {
                let mut v = serde_json::to_value(r).unwrap_or_default();
                v["event"] = json!("run");
                self.out(&v.to_string());
            }
            return;
        }
        if runs.is_empty() {
            self.out("No runs.");
            return;
        }
        let mut text = format!(
            "{:<24}  {:<12}  {:<16}  {:<20}  {:<20}  {:>9}  {:>9}  {}\n",
            "RUN", "STATE", "SOURCE -> TARGET", "STARTED", "ENDED", "NODES", "RELS", "SELECTION"
        );
        for r in runs {
            let mut state = r.state.name().to_string();
            if r.finalized && r.rolled_back.is_none() {
                state.push_str(" (finalized)");
            }
            text.push_str(&format!(
                "{:<24}  {:<12}  {:<16}  {:<20}  {:<20}  {:>9}  {:>9}  {}\n",
                r.run,
                state,
                format!("{} -> {}", r.source, r.target),
                r.started,
                r.ended.as_deref().unwrap_or("-"),
                super::thousands(r.written.nodes),
                super::thousands(r.written.relationships),
                r.selection
            ));
        }
        self.out(text.trim_end());
    }

    /// What a rollback would do (`--dry-run`).
    pub fn rollback_plan(&self, target: &str, run: &str, plan: &RollbackPlan) {
        self.out(&self.rollback_plan_text(target, run, plan));
    }

    fn rollback_plan_text(&self, target: &str, run: &str, plan: &RollbackPlan) -> String {
        if self.json {
            return json!({"event": "rollback", "dry_run": true, "target": target, "run": run, "plan": plan})
                .to_string();
        }
        format!(
            "Rolling back run {run} on `{target}` would delete {} and {} it created, and restore {} and {} it \
             updated. Nothing was changed (dry run).",
            counted(plan.created.relationships, "relationship", "relationships"),
            counted(plan.created.nodes, "node", "nodes"),
            counted(plan.updated.nodes, "node", "nodes"),
            counted(plan.updated.relationships, "relationship", "relationships"),
        )
    }

    pub fn rollback_summary(&self, target: &str, run: &str, report: &RollbackReport) {
        if self.json {
            let mut v = serde_json::to_value(report).unwrap_or_default();
            v["event"] = json!("rollback");
            v["status"] = json!("ok");
            v["target"] = json!(target);
            v["run"] = json!(run);
            v["changed"] = json!(report.plan.total() > 0);
            self.out(&v.to_string());
            return;
        }
        let Records { nodes, relationships } = report.deleted;
        let mut text = format!(
            "Rolled back run {run} on `{target}` in {:.2} s: deleted {} and {} it created, restored {} and {} it updated.",
            report.elapsed.as_secs_f64(),
            counted(relationships, "relationship", "relationships"),
            counted(nodes, "node", "nodes"),
            counted(report.restored.nodes, "node", "nodes"),
            counted(report.restored.relationships, "relationship", "relationships"),
        );
        if report.retries > 0 {
            text.push_str(&format!(
                "\n{}, {}",
                counted(report.batches, "batch", "batches"),
                counted(report.retries, "retried batch", "retried batches")
            ));
        }
        self.out(&text);
    }

    /// A rollback with nothing to do, and why.
    pub fn rollback_nothing(&self, target: &str, run: Option<&str>, why: &str) {
        if self.json {
            self.out(&json!({"event": "rollback", "status": "ok", "target": target, "run": run, "changed": false, "why": why}).to_string());
            return;
        }
        self.out(&format!("Nothing to roll back in `{target}`: {why}."));
    }

    /// Runs finalize made unrollbackable.
    pub fn runs_finalized(&self, target: &str, runs: &[String]) {
        if runs.is_empty() {
            return;
        }
        if self.json {
            self.out(&json!({"event": "runs_finalized", "target": target, "runs": runs}).to_string());
            return;
        }
        self.out(&format!(
            "{} on `{target}` can no longer be rolled back (rollback finds records by the identity marks finalize removed): {}",
            counted(runs.len() as u64, "earlier run", "earlier runs"),
            runs.join(", ")
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dry_run_names_the_counts() {
        let plan = RollbackPlan {
            created: Records { nodes: 2, relationships: 1 },
            updated: Records { nodes: 1, relationships: 0 },
        };
        let text = Ui { json: false, quiet: true, bar: false }.rollback_plan_text("dst", "r", &plan);
        assert!(
            text.contains("delete 1 relationship and 2 nodes it created, and restore 1 node and 0 relationships"),
            "{text}"
        );
        let json = Ui { json: true, quiet: true, bar: false }.rollback_plan_text("dst", "r", &plan);
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["plan"]["created"]["nodes"], 2);
        assert_eq!(v["dry_run"], true);
    }
}
