//! Request, fault and row counters, per endpoint, served as JSON by `GET /admin/counters`.
//!
//! Counted identically in normal and `--discard` mode, so a benchmark's numbers mean the same in
//! both. Rows are the length of the list parameter a write query UNWINDs (1 for a write without
//! UNWIND); they are counted for writes that were answered with success.

use std::collections::BTreeMap;
use std::sync::Mutex;

use serde::Serialize;

#[derive(Clone, Debug, Default, Serialize)]
pub struct EndpointCounters {
    /// Requests that reached this endpoint (after routing, before authentication).
    pub requests: u64,
    /// Requests classified as writes (CREATE, MERGE, SET, DELETE, REMOVE).
    pub write_requests: u64,
    /// Rows in write requests answered with success.
    pub rows_written: u64,
    /// Rows dropped on purpose by the `lose-half` fault.
    pub rows_lost: u64,
    /// Faults injected, all kinds.
    pub faults_injected: u64,
    /// Faults injected, by kind.
    pub faults: BTreeMap<String, u64>,
    /// Answers by HTTP status.
    pub responses: BTreeMap<u16, u64>,
    /// Error answers by Neptune error code.
    pub errors: BTreeMap<String, u64>,
}

impl EndpointCounters {
    fn add(&mut self, o: &EndpointCounters) {
        self.requests += o.requests;
        self.write_requests += o.write_requests;
        self.rows_written += o.rows_written;
        self.rows_lost += o.rows_lost;
        self.faults_injected += o.faults_injected;
        for (k, v) in &o.faults {
            *self.faults.entry(k.clone()).or_default() += v;
        }
        for (k, v) in &o.responses {
            *self.responses.entry(*k).or_default() += v;
        }
        for (k, v) in &o.errors {
            *self.errors.entry(k.clone()).or_default() += v;
        }
    }
}

/// Totals plus the per-endpoint breakdown.
#[derive(Debug, Serialize)]
pub struct Snapshot {
    #[serde(flatten)]
    pub total: EndpointCounters,
    pub endpoints: BTreeMap<String, EndpointCounters>,
}

/// All counters behind one lock: updates are a few integer additions per request, far cheaper
/// than the request itself.
#[derive(Debug, Default)]
pub struct Counters {
    inner: Mutex<BTreeMap<String, EndpointCounters>>,
}

impl Counters {
    pub fn update(&self, endpoint: &str, f: impl FnOnce(&mut EndpointCounters)) {
        let mut map = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        match map.get_mut(endpoint) {
            Some(c) => f(c),
            None => f(map.entry(endpoint.to_string()).or_default()),
        }
    }

    pub fn snapshot(&self) -> Snapshot {
        let map = self.inner.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let mut total = EndpointCounters::default();
        for c in map.values() {
            total.add(c);
        }
        Snapshot { total, endpoints: map }
    }

    pub fn reset(&self) {
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_sum_endpoints() {
        let c = Counters::default();
        c.update("/openCypher", |e| {
            e.requests += 2;
            e.rows_written += 10;
        });
        c.update("/queries", |e| e.requests += 1);
        let s = serde_json::to_value(c.snapshot()).unwrap();
        assert_eq!(s["requests"], 3);
        assert_eq!(s["rows_written"], 10);
        assert_eq!(s["endpoints"]["/openCypher"]["requests"], 2);
        c.reset();
        assert_eq!(c.snapshot().total.requests, 0);
    }
}
