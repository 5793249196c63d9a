//! Retry with exponential backoff and full jitter: the one place that decides how long to wait
//! and when to give up. Connectors only classify their errors ([`ErrorClass`]).

use std::time::Duration;

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

#[cfg(test)]
mod tests {
    use super::*;

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
