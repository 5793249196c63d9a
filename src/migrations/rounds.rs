//! Data changes of a migration (renames, defaults, drops) run as bounded rounds: each round
//! changes at most `limit` records in a transaction of its own and says how many it changed, and
//! rounds repeat until one changes nothing. No single query nears a server's timeout, and a
//! round that fails for size or time is tried again with half as many records (rounds are
//! idempotent, so one that committed late is harmless). Connectors supply one round; this is the
//! loop around it.

use std::future::Future;

use crate::connector::{ConnectorError, ErrorClass};

/// Consecutive failed rounds (each retried with half as many records) before giving up.
const MAX_FAILED_ROUNDS: u32 = 4;

/// One operation's rounds.
pub struct Rounds<'a> {
    /// The target's name, for messages.
    pub target: &'a str,
    /// The operation's name, for messages.
    pub operation: &'a str,
    /// Records the change matches before it starts. A round the server did not apply would
    /// match the same records forever, so changing more than this is an error.
    pub to_change: u64,
    /// Records per round to start with.
    pub limit: usize,
}

impl Rounds<'_> {
    /// Runs `round(limit)` until it changes nothing; `text(limit)` shows a round in the error
    /// when the server does not apply it. Returns the records changed.
    pub async fn run<F, Fut>(&self, mut round: F, text: impl Fn(usize) -> String) -> Result<u64, ConnectorError>
    where
        F: FnMut(usize) -> Fut,
        Fut: Future<Output = Result<u64, ConnectorError>>,
    {
        let (mut limit, mut total, mut failures) = (self.limit.max(1), 0u64, 0);
        loop {
            if total > self.to_change {
                return Err(ConnectorError::fatal(format!(
                    "target `{}`: {} changed {total} records where {} matched; the server does not apply `{}`",
                    self.target,
                    self.operation,
                    self.to_change,
                    text(limit)
                )));
            }
            let changed = match round(limit).await {
                // Too big for the server's memory, or no answer in time (a busy server).
                Err(e) if e.class != ErrorClass::Fatal && failures < MAX_FAILED_ROUNDS => {
                    // The class and code only: a server's message may quote property values.
                    tracing::warn!(
                        target_name = self.target,
                        operation = self.operation,
                        limit,
                        class = ?e.class,
                        code = e.code.as_deref().unwrap_or("-"),
                        "migration round failed; retrying with fewer records"
                    );
                    failures += 1;
                    limit = (limit / 2).max(1);
                    continue;
                }
                other => other?,
            };
            failures = 0;
            total += changed;
            if changed == 0 {
                tracing::info!(
                    target_name = self.target,
                    operation = self.operation,
                    records = total,
                    "migration data changed"
                );
                return Ok(total);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    fn rounds(to_change: u64) -> Rounds<'static> {
        Rounds { target: "t", operation: "RenameNodeProperty", to_change, limit: 8 }
    }

    #[tokio::test]
    async fn repeats_until_nothing_changes() {
        let left = RefCell::new(20u64);
        let seen = RefCell::new(Vec::new());
        let total = rounds(20)
            .run(
                |limit| {
                    seen.borrow_mut().push(limit);
                    let n = (*left.borrow()).min(limit as u64);
                    *left.borrow_mut() -= n;
                    async move { Ok(n) }
                },
                |n| format!("round of {n}"),
            )
            .await
            .unwrap();
        assert_eq!(total, 20);
        assert_eq!(*seen.borrow(), vec![8, 8, 8, 8]);
    }

    #[tokio::test]
    async fn halves_after_a_transient_failure_and_gives_up_on_a_fatal_one() {
        let calls = RefCell::new(Vec::new());
        let total = rounds(3)
            .run(
                |limit| {
                    calls.borrow_mut().push(limit);
                    let call = calls.borrow().len();
                    async move {
                        match call {
                            1 => Err(ConnectorError::retryable("timed out")),
                            2 => Ok(3),
                            _ => Ok(0),
                        }
                    }
                },
                |n| n.to_string(),
            )
            .await
            .unwrap();
        assert_eq!((total, calls.borrow().clone()), (3, vec![8, 4, 4]));

        let err = rounds(3)
            .run(|_| async { Err::<u64, _>(ConnectorError::fatal("syntax")) }, |n| n.to_string())
            .await
            .unwrap_err();
        assert_eq!(err.to_string(), "syntax");
    }

    #[tokio::test]
    async fn a_change_the_server_ignores_is_an_error_not_a_loop() {
        let err = rounds(5).run(|limit| async move { Ok(limit as u64) }, |n| format!("SET … LIMIT {n}")).await;
        let err = err.unwrap_err().to_string();
        assert!(err.contains("changed 8 records where 5 matched") && err.contains("SET … LIMIT 8"), "{err}");
    }
}
