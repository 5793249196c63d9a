//! Retry with exponential backoff and full jitter: the one place that decides how long to wait
//! and when to give up. Connectors only classify their errors ([`ErrorClass`]).

use std::time::Duration;

use crate::connector::{ConnectorError, ErrorClass};

/// How a failed write is retried.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Attempts in all, the first included. A batch that fails this many times stops the copy.
    pub max_attempts: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy { max_attempts: 8, base_delay: Duration::from_millis(100), max_delay: Duration::from_secs(20) }
    }
}

impl RetryPolicy {
    /// The wait before attempt `attempt + 1` (attempt counts from 1): a random time between zero
    /// and `base * 2^(attempt-1)`, capped. Full jitter spreads concurrent writers apart, which is
    /// what clears lock conflicts (Neptune's ConcurrentModificationException, Neo4j deadlocks).
    pub fn delay(&self, attempt: u32) -> Duration {
        let exp = self.base_delay.saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
        let cap = exp.min(self.max_delay);
        cap.mul_f64(fastrand::f64())
    }
}

/// Runs an idempotent request (a count, a lookup by id, a `CREATE ... IF NOT EXISTS`, or any
/// request whose transient failure rolled it back) until it succeeds, fails with an error
/// retrying cannot help, or has had `policy.max_attempts`; the waits are [`RetryPolicy::delay`].
/// `what` names the request in the log line of each retry.
pub async fn retry_idempotent<T, Fut>(
    policy: RetryPolicy,
    what: &str,
    mut read: impl FnMut() -> Fut,
) -> Result<T, ConnectorError>
where
    Fut: std::future::Future<Output = Result<T, ConnectorError>>,
{
    let mut attempt = 0;
    loop {
        attempt += 1;
        match read().await {
            Err(e) if e.class == ErrorClass::Retryable && attempt < policy.max_attempts => {
                tracing::warn!(attempt, error = %e, "{what} failed; trying again");
                tokio::time::sleep(policy.delay(attempt)).await;
            }
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn reads_are_tried_again_only_when_retrying_can_help() {
        let policy =
            RetryPolicy { max_attempts: 3, base_delay: Duration::from_millis(1), max_delay: Duration::from_millis(2) };
        let calls = std::cell::Cell::new(0);
        let flaky = || {
            calls.set(calls.get() + 1);
            let n = calls.get();
            async move {
                if n < 3 {
                    Err(ConnectorError::retryable("busy"))
                } else {
                    Ok(n)
                }
            }
        };
        assert_eq!(retry_idempotent(policy, "counting", flaky).await.unwrap(), 3);
        calls.set(0);
        let always = || {
            calls.set(calls.get() + 1);
            async { Err::<(), _>(ConnectorError::retryable("busy")) }
        };
        assert!(retry_idempotent(policy, "counting", always).await.is_err());
        assert_eq!(calls.get(), 3, "gives up after max_attempts");
        calls.set(0);
        let fatal = || {
            calls.set(calls.get() + 1);
            async { Err::<(), _>(ConnectorError::fatal("bad credentials")) }
        };
        assert!(retry_idempotent(policy, "counting", fatal).await.is_err());
        assert_eq!(calls.get(), 1, "a fatal error is not tried again");
    }

    #[test]
    fn delays_grow_and_stay_capped() {
        let p = RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(50),
        };
        for attempt in 1..40 {
            let d = p.delay(attempt);
            assert!(d <= Duration::from_millis(50), "{attempt}: {d:?}");
            assert!(d <= Duration::from_millis(10) * 2u32.pow(attempt.min(20) - 1));
        }
    }
}
