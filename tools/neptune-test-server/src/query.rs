//! The query endpoints' pipeline: size limit, signature, decoding, query analysis, faults, type
//! rules, then the engine (or nothing, in discard mode), and Neptune's JSON answer.
//!
//! Discard mode runs every step up to the engine call, so it costs the client exactly what a
//! normal request costs, minus the storage; it answers `{"results": []}`, except that a write
//! ending in `RETURN count(*)` gets one row with that column set to its row count.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::{Request, Response};
use hyper::body::Incoming;
use serde_json::{json, Value};

use crate::config::Mode;
use crate::counters::EndpointCounters;
use crate::cypher;
use crate::error::NeptuneError;
use crate::faults::{FaultKind, FaultRule};
use crate::request::{decode_analytics, decode_database, QueryRequest};
use crate::routes::{bytes_response, error_response, read_body, App};
use crate::server::Body;
use crate::sigv4;

/// What the pipeline produced before the response is written.
enum Outcome {
    Results(Value),
    /// Results whose connection is to be dropped halfway through the body.
    Dropped(Value),
}

impl App {
    pub(crate) async fn query(self: Arc<Self>, req: Request<Incoming>, endpoint: &'static str) -> Response<Body> {
        self.counters.update(endpoint, |c| c.requests += 1);
        let result = self.run_query(req, endpoint).await;
        let mode = self.cfg.mode;
        let response = match result {
            Ok(Outcome::Results(v)) => results_response(v, false),
            Ok(Outcome::Dropped(v)) => results_response(v, true),
            Err(e) => {
                let e = e.for_mode(mode);
                tracing::debug!(code = e.code, status = e.status, message = %e.message, "error answer");
                self.counters.update(endpoint, |c| *c.errors.entry(e.code.to_string()).or_default() += 1);
                error_response(e, mode)
            }
        };
        let status = response.status().as_u16();
        self.counters.update(endpoint, |c| *c.responses.entry(status).or_default() += 1);
        response
    }

    async fn run_query(&self, req: Request<Incoming>, endpoint: &'static str) -> Result<Outcome, NeptuneError> {
        let (parts, body) = read_body(req, self.cfg.max_body_bytes).await?;
        if let Some(iam) = &self.cfg.iam {
            let signed = sigv4::Signed { method: &parts.method, uri: &parts.uri, headers: &parts.headers, body: &body };
            sigv4::verify(iam, self.cfg.mode.sigv4_service(), &signed, SystemTime::now())?;
        }
        let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
        let mut request = match self.cfg.mode {
            Mode::Database => {
                let get_query = (parts.method == http::Method::GET).then(|| parts.uri.query().unwrap_or(""));
                decode_database(get_query, header("content-type"), &body)?
            }
            Mode::Analytics => {
                let graph = header("graphidentifier")
                    .filter(|g| !g.is_empty())
                    .ok_or_else(|| NeptuneError::bad_request("Missing required header graphIdentifier"))?;
                if self.cfg.graph_id.as_deref().is_some_and(|g| g != graph) {
                    return Err(NeptuneError::new(
                        404,
                        "ResourceNotFoundException",
                        format!("Graph {graph} not found"),
                    ));
                }
                decode_analytics(&body)?
            }
        };
        drop(body);
        let analysis = cypher::analyze(&request.query)?;
        if self.cfg.mode == Mode::Analytics && analysis.rel_id_given {
            return Err(NeptuneError::bad_request(
                "Custom ids for relationships are not supported by Neptune Analytics; remove `~id` from the relationship",
            ));
        }
        let rows = if analysis.is_write { row_count(&request, analysis.unwind_param.as_deref()) } else { 0 };
        let fault = if analysis.is_write {
            self.counters.update(endpoint, |c| c.write_requests += 1);
            self.faults.next_write()
        } else {
            self.faults.next_read()
        };
        if let Some(f) = &fault {
            self.counters.update(endpoint, |c| count_fault(c, f.kind));
            if let Some((code, status)) = f.kind.error() {
                return Err(NeptuneError::new(status, code, format!("Injected fault ({})", f.kind.name())));
            }
        }
        // Neptune functions the engine lacks, computed into the parameters (in discard mode too,
        // so a call Neptune would refuse is refused there as well); then Neptune's type rules on
        // the values sent, the computed ones included.
        cypher::remove_key::apply(&analysis.key_removals, &mut request.params)?;
        cypher::datetime::apply(&analysis.datetimes, &mut request.params)?;
        crate::types::check_params(&request.params)?;
        cypher::assign::check(&analysis.assignments, &request.params)?;
        let lost = match &fault {
            Some(FaultRule { kind: FaultKind::Slow, delay_ms, .. }) => {
                tokio::time::sleep(Duration::from_millis(*delay_ms)).await;
                0
            }
            Some(FaultRule { kind: FaultKind::LoseHalf, .. }) => {
                lose_half(&mut request, analysis.unwind_param.as_deref())
            }
            _ => 0,
        };
        let results = match &self.engine {
            // Discard mode stores nothing, but a write ending in `RETURN count(*)` gets the one
            // row Neptune would return (the rows it was given), so clients that check the count
            // behave as they would against a real server.
            None => match analysis.count_all_column.as_deref().filter(|_| analysis.is_write) {
                Some(column) => Value::Array(vec![json!({ column.to_string(): rows - lost })]),
                None => Value::Array(Vec::new()),
            },
            Some(engine) => {
                if !analysis.labels.is_empty() || !analysis.rel_types.is_empty() {
                    engine.ensure_types(&analysis.labels, &analysis.rel_types).await.map_err(|e| e.to_neptune())?;
                }
                let params = Value::Object(std::mem::take(&mut request.params));
                let raw = if analysis.removes_label {
                    engine
                        .run_keeping_labels(&analysis.text, Some(&params))
                        .await
                        .map_err(|e| e.to_neptune())?
                        .ok_or_else(last_label_removed)?
                } else {
                    engine.run("cypher", &analysis.text, Some(&params)).await.map_err(|e| e.to_neptune())?
                };
                Value::Array(
                    crate::results::encode(raw, analysis.single_column.as_deref(), engine)
                        .await
                        .map_err(|e| e.to_neptune())?,
                )
            }
        };
        if analysis.is_write {
            self.counters.update(endpoint, |c| {
                c.rows_written += rows - lost;
                c.rows_lost += lost;
            });
        }
        let is_drop = fault.as_ref().is_some_and(|f| f.kind == FaultKind::DropConnection);
        Ok(if is_drop { Outcome::Dropped(results) } else { Outcome::Results(results) })
    }
}

/// Neptune keeps at least one label on every node. AWS, "openCypher data model": "If you try to
/// delete all of a node's labels, an error is thrown"; the message is from AWS's "Neptune
/// openCypher exceptions" page (HTTP 400, no code given: BadRequestException is our choice, as
/// for the other 400s on that page).
fn last_label_removed() -> NeptuneError {
    NeptuneError::bad_request(
        "Invalid operation: attempting to remove the last label of a node. A node must have at least one label.",
    )
}

/// Rows in a write: the length of the UNWIND list parameter, else one.
fn row_count(req: &QueryRequest, unwind: Option<&str>) -> u64 {
    unwind.and_then(|p| req.params.get(p)).and_then(Value::as_array).map_or(1, |a| a.len() as u64)
}

/// Keeps the first half (rounded down) of the UNWIND list; returns how many rows were dropped.
fn lose_half(req: &mut QueryRequest, unwind: Option<&str>) -> u64 {
    match unwind.and_then(|p| req.params.get_mut(p)).and_then(Value::as_array_mut) {
        Some(rows) => {
            let before = rows.len();
            rows.truncate(before / 2);
            (before - rows.len()) as u64
        }
        None => 0,
    }
}

fn count_fault(c: &mut EndpointCounters, kind: FaultKind) {
    c.faults_injected += 1;
    *c.faults.entry(kind.name().to_string()).or_default() += 1;
}

fn results_response(results: Value, drop_midway: bool) -> Response<Body> {
    let bytes = Bytes::from(serde_json::to_vec(&json!({ "results": results })).unwrap_or_default());
    let mut r = bytes_response(200, bytes.clone());
    if drop_midway {
        let full_len = bytes.len() as u64;
        *r.body_mut() = Body::Truncated { part: Some(bytes.slice(..bytes.len() / 2)), full_len };
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(params: Value) -> QueryRequest {
        QueryRequest { query: String::new(), params: params.as_object().unwrap().clone() }
    }

    #[test]
    fn rows_and_loss() {
        let mut r = req(json!({"rows": [1, 2, 3, 4, 5]}));
        assert_eq!(row_count(&r, Some("rows")), 5);
        assert_eq!(row_count(&r, None), 1);
        assert_eq!(lose_half(&mut r, Some("rows")), 3);
        assert_eq!(r.params["rows"], json!([1, 2]));
    }
}
