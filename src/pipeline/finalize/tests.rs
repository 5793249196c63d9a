use std::sync::Mutex;

use async_trait::async_trait;

use super::*;
use crate::connector::NothingToFinalize;

/// A target with marked nodes (each with one marked outgoing relationship) and one constraint,
/// failing the calls it is told to.
struct Fake {
    nodes: Mutex<u64>,
    stray_relationships: Mutex<u64>,
    constraint: Mutex<bool>,
    /// Errors returned by the next `clear` calls, in order.
    failures: Mutex<Vec<ErrorClass>>,
    batches_seen: Mutex<Vec<usize>>,
    /// `remaining` fails (a count past the query timeout).
    count_fails: bool,
}

impl Fake {
    fn new(nodes: u64, failures: Vec<ErrorClass>) -> Fake {
        Fake {
            nodes: Mutex::new(nodes),
            stray_relationships: Mutex::new(1),
            constraint: Mutex::new(true),
            failures: Mutex::new(failures),
            batches_seen: Mutex::new(Vec::new()),
            count_fails: false,
        }
    }
}

#[async_trait]
impl Finalizer for Fake {
    fn describe(&self) -> String {
        "marks".into()
    }

    fn passes(&self) -> &'static [MarkPass] {
        &[MarkPass::Nodes, MarkPass::Relationships]
    }

    async fn remaining(&self) -> Result<Marked, ConnectorError> {
        if self.count_fails {
            return Err(ConnectorError::retryable("no answer within 120 s"));
        }
        let nodes = *self.nodes.lock().unwrap();
        Ok(Marked { nodes, relationships: nodes + *self.stray_relationships.lock().unwrap() })
    }

    async fn clear(&self, pass: MarkPass, batch: usize) -> Result<Marked, ConnectorError> {
        self.batches_seen.lock().unwrap().push(batch);
        if let Some(class) = self.failures.lock().unwrap().pop() {
            return Err(ConnectorError { class, code: None, message: "no".into(), source: None, write: None });
        }
        match pass {
            MarkPass::Nodes => {
                let mut left = self.nodes.lock().unwrap();
                let n = (*left).min(batch as u64);
                *left -= n;
                Ok(Marked { nodes: n, relationships: n })
            }
            MarkPass::Relationships => {
                assert_eq!(*self.nodes.lock().unwrap(), 0, "the sweep runs after the node pass");
                let mut left = self.stray_relationships.lock().unwrap();
                let n = (*left).min(batch as u64);
                *left -= n;
                Ok(Marked { nodes: 0, relationships: n })
            }
        }
    }

    async fn drop_schema(&self) -> Result<Vec<String>, ConnectorError> {
        assert_eq!(*self.nodes.lock().unwrap(), 0, "the constraint goes last");
        let had = std::mem::replace(&mut *self.constraint.lock().unwrap(), false);
        Ok(if had { vec!["gf".into()] } else { vec![] })
    }
}

fn options(batch_size: usize) -> FinalizeOptions {
    let retry =
        RetryPolicy { max_attempts: 3, base_delay: Duration::from_millis(1), max_delay: Duration::from_millis(2) };
    FinalizeOptions { batch_size, retry }
}

#[tokio::test]
async fn clears_in_batches_then_drops_the_constraint_and_a_second_run_changes_nothing() {
    let fake = Fake::new(25, vec![]);
    let report = finalize(&fake, &options(10), &NoFinalizeProgress).await.unwrap();
    assert_eq!(report.cleared, Marked { nodes: 25, relationships: 26 });
    assert_eq!(report.dropped, vec!["gf".to_string()]);
    // 10, 10, 5, then the empty batch that ends the pass; one sweep batch and its empty end.
    assert_eq!(report.batches, 6);
    assert!(fake.batches_seen.lock().unwrap().iter().all(|&b| b == 10));

    let again = finalize(&fake, &options(10), &NoFinalizeProgress).await.unwrap();
    assert!(again.changed_nothing(), "{again:?}");
}

#[tokio::test]
async fn a_failed_batch_is_retried_at_half_its_size() {
    // Popped from the end: first a split, then a transient error (a timeout, say).
    let fake = Fake::new(8, vec![ErrorClass::Retryable, ErrorClass::SplitBatch]);
    let report = finalize(&fake, &options(8), &NoFinalizeProgress).await.unwrap();
    assert_eq!(report.cleared, Marked { nodes: 8, relationships: 9 });
    assert_eq!((report.retries, report.splits), (1, 1));
    let seen = fake.batches_seen.lock().unwrap().clone();
    assert_eq!(seen[..3], [8, 4, 2]);
    assert!(seen[3..].iter().all(|&b| b == 2), "the rest of the run keeps the smaller batch: {seen:?}");
}

#[tokio::test]
async fn a_fatal_error_stops_and_keeps_the_constraint() {
    let fake = Fake::new(8, vec![ErrorClass::Fatal]);
    let err = finalize(&fake, &options(8), &NoFinalizeProgress).await.unwrap_err();
    assert!(err.to_string().contains("run finalize again"), "{err}");
    assert!(*fake.constraint.lock().unwrap());
    let fake = Fake::new(8, vec![ErrorClass::Retryable; 3]);
    let err = finalize(&fake, &options(8), &NoFinalizeProgress).await.unwrap_err();
    assert!(err.to_string().contains("after 3 attempt(s)"), "{err}");
}

#[tokio::test]
async fn a_count_that_fails_only_costs_the_progress_total() {
    let fake = Fake { count_fails: true, ..Fake::new(5, vec![]) };
    let report = finalize(&fake, &options(10), &NoFinalizeProgress).await.unwrap();
    assert_eq!(report.cleared.nodes, 5);
}

#[tokio::test]
async fn a_target_without_marks_says_why_and_changes_nothing() {
    let report = finalize(&NothingToFinalize("a dump"), &options(8), &NoFinalizeProgress).await.unwrap();
    assert_eq!(report.nothing_to_remove, Some("a dump"));
    assert!(report.changed_nothing());
}

#[test]
fn unfinished_copies_are_found_by_target_name_or_location() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("nodestream.yaml");
    let cps = dir.path().join(".graphferry");
    std::fs::create_dir_all(&cps).unwrap();
    let write = |name: &str, target: &str, location: &str| {
        let v = serde_json::json!({"version": 2, "fingerprint": {"target": target, "target_location": location}});
        std::fs::write(cps.join(name), v.to_string()).unwrap();
    };
    write("checkpoint-a-b.json", "b", "bolt b");
    write("checkpoint-a-c.json", "c", "bolt c");
    write("checkpoint-a-renamed.json", "renamed", "bolt b");
    std::fs::write(cps.join("junk.json"), "not json").unwrap();
    let found = unfinished_copies_into(&config, "b", "bolt b");
    let names: Vec<_> = found.iter().map(|p| p.file_name().unwrap().to_string_lossy().to_string()).collect();
    assert_eq!(names, ["checkpoint-a-b.json", "checkpoint-a-renamed.json"]);
    assert!(unfinished_copies_into(&config, "d", "bolt d").is_empty());
    assert!(unfinished_copies_into(&dir.path().join("none/x.yaml"), "b", "bolt b").is_empty());
}
