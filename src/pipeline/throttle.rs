//! How many batches may be in flight. A sink that answers concurrent writes with conflicts or
//! "slow down" (Neo4j deadlocks, ArcadeDB's concurrent-modification errors, Neptune's
//! ConcurrentModificationException and 429s) gets fewer of them: the limit halves on such an
//! error and grows back by one after a run of clean writes (additive increase, multiplicative
//! decrease, as TCP does with congestion). Without it, writers that keep colliding retry into
//! each other until a batch exhausts its attempts.

use std::sync::Mutex;

/// Clean writes per batch in flight before one more is allowed. Conflicts come back quickly
/// when the limit grows too soon, and every one costs a retried batch.
const GROW_AFTER: usize = 10;

pub struct Throttle {
    max: usize,
    state: Mutex<State>,
}

struct State {
    limit: usize,
    /// Clean writes since the limit last changed.
    clean: usize,
    /// Bumped at every cut, so the writes that failed in the same burst (they began before the
    /// cut) cut only once.
    epoch: u64,
}

/// What an attempt remembers of the throttle when it begins.
#[derive(Debug, Clone, Copy)]
pub struct Ticket(u64);

impl Throttle {
    pub fn new(max: usize) -> Self {
        let max = max.max(1);
        Throttle { max, state: Mutex::new(State { limit: max, clean: 0, epoch: 0 }) }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().expect("throttle lock poisoned")
    }

    /// Batches that may be in flight now.
    pub fn limit(&self) -> usize {
        self.state().limit
    }

    /// Called as a write attempt begins.
    pub fn ticket(&self) -> Ticket {
        Ticket(self.state().epoch)
    }

    pub fn succeeded(&self) {
        let mut s = self.state();
        s.clean += 1;
        if s.limit < self.max && s.clean >= GROW_AFTER * s.limit {
            s.limit += 1;
            s.clean = 0;
            tracing::debug!(limit = s.limit, "writes are clean again: allowing more batches in flight");
        }
    }

    /// Called when an attempt that began with `ticket` failed with a conflict or overload.
    pub fn conflicted(&self, ticket: Ticket) {
        let mut s = self.state();
        if ticket.0 != s.epoch {
            return; // this burst already cut the limit
        }
        s.epoch += 1;
        s.clean = 0;
        if s.limit > 1 {
            s.limit /= 2;
            tracing::debug!(limit = s.limit, "the target reports conflicts: fewer batches in flight");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn halves_once_per_burst_and_grows_back() {
        let t = Throttle::new(8);
        let (a, b) = (t.ticket(), t.ticket());
        t.conflicted(a);
        t.conflicted(b); // same burst
        assert_eq!(t.limit(), 4);
        t.conflicted(t.ticket());
        t.conflicted(t.ticket());
        t.conflicted(t.ticket());
        assert_eq!(t.limit(), 1, "never below one");
        for _ in 0..GROW_AFTER {
            t.succeeded();
        }
        assert_eq!(t.limit(), 2);
        for _ in 0..1000 {
            t.succeeded();
        }
        assert_eq!(t.limit(), 8, "never above the configured concurrency");
    }
}
