//! Deterministic fault injection for write requests, and for read requests by rules that say so.
//!
//! A decision depends only on the seed, the rule and the request's sequence number among writes
//! (or among reads, for a `reads` rule: 1, 2, ...), never on a shared random stream, so the
//! same seed and the same number of requests give the same faults even when requests arrive
//! concurrently. Setting a plan restarts both sequences.
//!
//! Reads fail too on real Neptune: throttling (429 TooManyRequestsException), an internal
//! failure and the query timeout are answers to any query, not only to writes
//! (https://docs.aws.amazon.com/neptune/latest/userguide/errors-engine-codes.html); only the
//! write-conflict and write-loss kinds make no sense for a read, and are refused there.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::RwLock;

use clap::ValueEnum;
use serde::{Deserialize, Serialize};

/// What a faulty write request gets instead of a normal answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FaultKind {
    /// 500 ConcurrentModificationException; nothing is written.
    ConcurrentModification,
    /// 429 TooManyRequestsException; nothing is written.
    TooManyRequests,
    /// 500 InternalFailureException; nothing is written.
    InternalFailure,
    /// 500 TimeLimitExceededException; nothing is written.
    TimeLimitExceeded,
    /// The request is executed normally but answered after `delay_ms`.
    Slow,
    /// The request is executed (the data lands), then the connection is dropped halfway through
    /// the response body: the client cannot know whether the write happened.
    DropConnection,
    /// Only the first half of the UNWIND list is written, yet the answer is a normal success:
    /// silent data loss that a verify step must catch.
    LoseHalf,
}

impl FaultKind {
    /// Neptune Database error code and HTTP status for the error-answer kinds.
    pub fn error(self) -> Option<(&'static str, u16)> {
        match self {
            FaultKind::ConcurrentModification => Some(("ConcurrentModificationException", 500)),
            FaultKind::TooManyRequests => Some(("TooManyRequestsException", 429)),
            FaultKind::InternalFailure => Some(("InternalFailureException", 500)),
            FaultKind::TimeLimitExceeded => Some(("TimeLimitExceededException", 500)),
            FaultKind::Slow | FaultKind::DropConnection | FaultKind::LoseHalf => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            FaultKind::ConcurrentModification => "concurrent-modification",
            FaultKind::TooManyRequests => "too-many-requests",
            FaultKind::InternalFailure => "internal-failure",
            FaultKind::TimeLimitExceeded => "time-limit-exceeded",
            FaultKind::Slow => "slow",
            FaultKind::DropConnection => "drop-connection",
            FaultKind::LoseHalf => "lose-half",
        }
    }
}

/// One rule: a kind and when it fires (a fraction of writes, every Nth write, or both).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultRule {
    pub kind: FaultKind,
    #[serde(default)]
    pub rate: Option<f64>,
    #[serde(default)]
    pub every: Option<u64>,
    #[serde(default = "default_delay_ms")]
    pub delay_ms: u64,
    /// The rule applies to read requests (queries that write nothing) instead of writes.
    #[serde(default)]
    pub reads: bool,
}

fn default_delay_ms() -> u64 {
    2000
}

/// The active rules; the first rule that fires for a write wins.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultPlan {
    #[serde(default)]
    pub seed: u64,
    #[serde(default)]
    pub rules: Vec<FaultRule>,
}

impl FaultPlan {
    pub fn validate(&self) -> Result<(), String> {
        for r in &self.rules {
            if r.rate.is_none() && r.every.is_none() {
                return Err(format!("fault {}: needs `rate` or `every`", r.kind.name()));
            }
            if let Some(rate) = r.rate {
                if !(0.0..=1.0).contains(&rate) {
                    return Err(format!("fault {}: rate must be within 0..=1", r.kind.name()));
                }
            }
            if r.every == Some(0) {
                return Err(format!("fault {}: every must be at least 1", r.kind.name()));
            }
            if r.reads
                && matches!(r.kind, FaultKind::ConcurrentModification | FaultKind::DropConnection | FaultKind::LoseHalf)
            {
                return Err(format!("fault {}: applies to writes only, not to reads", r.kind.name()));
            }
        }
        Ok(())
    }

    /// The fault for request number `n` (1-based) among reads (`reads`) or writes, if any.
    pub fn decide_among(&self, n: u64, reads: bool) -> Option<&FaultRule> {
        self.rules.iter().enumerate().filter(|(_, r)| r.reads == reads).find_map(|(i, r)| {
            let nth = r.every.is_some_and(|e| n.is_multiple_of(e));
            let drawn = r.rate.is_some_and(|rate| unit(self.seed, i as u64, n) < rate);
            (nth || drawn).then_some(r)
        })
    }
}

/// A uniform number in [0, 1) from (seed, rule, n), via splitmix64: cheap and well mixed.
fn unit(seed: u64, rule: u64, n: u64) -> f64 {
    let mut z = seed ^ rule.wrapping_mul(0xD1B5_4A32_D192_ED03) ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

/// The plan plus the write sequence it is applied to.
#[derive(Debug, Default)]
pub struct Faults {
    plan: RwLock<FaultPlan>,
    writes: AtomicU64,
    reads: AtomicU64,
}

impl Faults {
    pub fn new(plan: FaultPlan) -> Self {
        Faults { plan: RwLock::new(plan), writes: AtomicU64::new(0), reads: AtomicU64::new(0) }
    }

    /// Replaces the plan and restarts the write sequence, so a test gets the same faults as a
    /// fresh server started with the same plan.
    pub fn set(&self, plan: FaultPlan) {
        *self.plan.write().unwrap_or_else(|e| e.into_inner()) = plan;
        self.writes.store(0, Ordering::SeqCst);
        self.reads.store(0, Ordering::SeqCst);
    }

    pub fn plan(&self) -> FaultPlan {
        self.plan.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Numbers the next write request and returns its fault.
    pub fn next_write(&self) -> Option<FaultRule> {
        let n = self.writes.fetch_add(1, Ordering::SeqCst) + 1;
        self.plan.read().unwrap_or_else(|e| e.into_inner()).decide_among(n, false).cloned()
    }

    /// Numbers the next read request and returns its fault (from `reads` rules only).
    pub fn next_read(&self) -> Option<FaultRule> {
        let n = self.reads.fetch_add(1, Ordering::SeqCst) + 1;
        self.plan.read().unwrap_or_else(|e| e.into_inner()).decide_among(n, true).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(kind: FaultKind, rate: Option<f64>, every: Option<u64>) -> FaultRule {
        FaultRule { kind, rate, every, delay_ms: 0, reads: false }
    }

    #[test]
    fn every_nth_fires_exactly_on_multiples() {
        let plan = FaultPlan { seed: 1, rules: vec![rule(FaultKind::TooManyRequests, None, Some(3))] };
        let fired: Vec<u64> = (1..=9).filter(|n| plan.decide_among(*n, false).is_some()).collect();
        assert_eq!(fired, vec![3, 6, 9]);
    }

    #[test]
    fn rate_is_deterministic_and_roughly_right() {
        let plan = FaultPlan { seed: 42, rules: vec![rule(FaultKind::InternalFailure, Some(0.25), None)] };
        let a: Vec<bool> = (1..=4000).map(|n| plan.decide_among(n, false).is_some()).collect();
        let b: Vec<bool> = (1..=4000).map(|n| plan.decide_among(n, false).is_some()).collect();
        assert_eq!(a, b);
        let hits = a.iter().filter(|x| **x).count();
        assert!((800..1200).contains(&hits), "{hits}");
    }

    #[test]
    fn plan_json_rejects_unknown_keys_and_bad_rates() {
        let p: FaultPlan = serde_json::from_str(r#"{"seed":7,"rules":[{"kind":"lose-half","every":1}]}"#).unwrap();
        assert!(p.validate().is_ok());
        assert!(serde_json::from_str::<FaultPlan>(r#"{"rules":[],"x":1}"#).is_err());
        let bad: FaultPlan = serde_json::from_str(r#"{"rules":[{"kind":"slow","rate":2}]}"#).unwrap();
        assert!(bad.validate().is_err());
    }

    #[test]
    fn read_rules_fault_reads_only_and_refuse_write_only_kinds() {
        let mut read = rule(FaultKind::TooManyRequests, None, Some(2));
        read.reads = true;
        let faults = Faults::new(FaultPlan { seed: 1, rules: vec![read.clone()] });
        assert!(faults.next_write().is_none() && faults.next_write().is_none(), "writes are not faulted");
        assert!(faults.next_read().is_none());
        assert_eq!(faults.next_read().map(|r| r.kind), Some(FaultKind::TooManyRequests), "every 2nd read");
        read.kind = FaultKind::LoseHalf;
        assert!(FaultPlan { seed: 0, rules: vec![read] }.validate().is_err());
    }
}
