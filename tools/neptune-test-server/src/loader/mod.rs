//! Neptune's bulk loader API, reading a local folder instead of S3: `POST /loader` starts a
//! load and answers `{"status": "200 OK", "payload": {"loadId": ...}}`; `GET /loader/<loadId>`
//! answers Neptune's Get-Status shape (`overallStatus` with `status`, `totalRecords`,
//! `totalDuplicates`, `parsingErrors`, `datatypeMismatchErrors`, `insertErrors`, ...,
//! `failedFeeds`, and with `errors=true` the `errors.errorLogs`), per
//! https://docs.aws.amazon.com/neptune/latest/userguide/load-api-reference-load.html and
//! https://docs.aws.amazon.com/neptune/latest/userguide/load-api-reference-status-response.html.
//!
//! Only `format: opencypher` is served. A load waits for the loads its `dependencies` name and
//! fails with `LOAD_FAILED_BECAUSE_DEPENDENCY_NOT_SATISFIED` if one did not complete. Files are
//! read in name order, node files (a header without `:START_ID`) before relationship files;
//! gzip files are recognised by their magic bytes.

mod csv;
mod insert;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use http::{Request, Response};
use hyper::body::Incoming;
use serde_json::{json, Map, Value};
use tokio::sync::Mutex;

use crate::error::NeptuneError;
use crate::routes::{error_response, json_response, read_body, App};
use crate::server::Body;

/// The loader's state: every load by id, in start order.
#[derive(Default)]
pub struct Loads {
    jobs: Mutex<BTreeMap<String, Arc<Mutex<Job>>>>,
    next: AtomicU64,
}

/// One error log entry: Neptune's `errorCode`, `errorMessage`, `fileName`, `recordNum`.
#[derive(Debug, Clone)]
pub struct ErrorLog {
    pub code: &'static str,
    pub message: String,
    pub file: String,
    pub record: usize,
}

#[derive(Debug, Default)]
pub struct Counts {
    pub records: u64,
    pub duplicates: u64,
    pub parsing: u64,
    pub datatype: u64,
    pub insert: u64,
}

#[derive(Debug)]
struct Job {
    source: String,
    status: &'static str,
    start: u64,
    started: Instant,
    spent: u64,
    counts: Counts,
    errors: Vec<ErrorLog>,
    /// Files whose load failed, with their own counts.
    failed_feeds: Vec<(String, Counts)>,
}

/// A validated load request.
pub struct LoadRequest {
    pub source: std::path::PathBuf,
    pub fail_on_error: bool,
    pub edge_ids: bool,
    pub dependencies: Vec<String>,
}

impl App {
    pub(crate) async fn loader(self: Arc<Self>, req: Request<Incoming>) -> Response<Body> {
        let mode = self.cfg.mode;
        let started = async {
            let (_, body) = read_body(req, 1 << 20).await?;
            let request = parse_request(&body)?;
            let engine_ok = self.engine.is_some();
            if !engine_ok {
                return Err(NeptuneError::bad_request("the loader needs storage; this server runs with --discard"));
            }
            Ok(self.clone().start_load(request).await)
        };
        match started.await {
            Ok(id) => json_response(200, &json!({ "status": "200 OK", "payload": { "loadId": id } })),
            Err(e) => error_response(e, mode),
        }
    }

    pub(crate) async fn load_status(self: Arc<Self>, id: &str, query: Option<&str>) -> Response<Body> {
        let Some(job) = self.loads.jobs.lock().await.get(id).cloned() else {
            return error_response(
                NeptuneError::new(404, "LoadNotFoundException", format!("Load with id {id} not found")),
                self.cfg.mode,
            );
        };
        let flag =
            |name: &str| query.is_some_and(|q| q.split('&').any(|kv| kv.eq_ignore_ascii_case(&format!("{name}=true"))));
        let job = job.lock().await;
        json_response(200, &status_body(id, &job, flag("details"), flag("errors")))
    }

    async fn start_load(self: Arc<Self>, request: LoadRequest) -> String {
        let n = self.loads.next.fetch_add(1, Ordering::Relaxed) + 1;
        let id = format!("00000000-0000-4000-8000-{n:012}");
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let job = Arc::new(Mutex::new(Job {
            source: request.source.display().to_string(),
            status: "LOAD_IN_QUEUE",
            start: now,
            started: Instant::now(),
            spent: 0,
            counts: Counts::default(),
            errors: Vec::new(),
            failed_feeds: Vec::new(),
        }));
        self.loads.jobs.lock().await.insert(id.clone(), job.clone());
        let app = self.clone();
        tokio::spawn(async move {
            let status = match app.wait_for(&request.dependencies).await {
                Err(status) => status,
                Ok(()) => {
                    job.lock().await.status = "LOAD_IN_PROGRESS";
                    insert::run(&app, &request, &job).await
                }
            };
            let mut job = job.lock().await;
            job.status = status;
            job.spent = job.started.elapsed().as_secs();
        });
        id
    }

    /// Waits until every dependency finished; an unknown or failed one fails this load.
    async fn wait_for(&self, dependencies: &[String]) -> Result<(), &'static str> {
        for dep in dependencies {
            let Some(job) = self.loads.jobs.lock().await.get(dep).cloned() else {
                return Err("LOAD_FAILED_BECAUSE_DEPENDENCY_NOT_SATISFIED");
            };
            loop {
                let status = job.lock().await.status;
                match status {
                    "LOAD_COMPLETED" => break,
                    "LOAD_IN_QUEUE" | "LOAD_IN_PROGRESS" => {
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await
                    }
                    _ => return Err("LOAD_FAILED_BECAUSE_DEPENDENCY_NOT_SATISFIED"),
                }
            }
        }
        Ok(())
    }
}

impl Job {
    fn error(&mut self, log: ErrorLog) {
        match log.code {
            "PARSING_ERROR" => self.counts.parsing += 1,
            "DATATYPE_MISMATCH" => self.counts.datatype += 1,
            _ => self.counts.insert += 1,
        }
        self.errors.push(log);
    }
}

fn counts_json(source: &str, status: &str, job: &Job, counts: &Counts) -> Value {
    json!({
        "fullUri": source,
        "runNumber": 1,
        "retryNumber": 0,
        "status": status,
        "totalTimeSpent": job.spent,
        "startTime": job.start,
        "totalRecords": counts.records,
        "totalDuplicates": counts.duplicates,
        "parsingErrors": counts.parsing,
        "datatypeMismatchErrors": counts.datatype,
        "insertErrors": counts.insert,
    })
}

fn status_body(id: &str, job: &Job, details: bool, errors: bool) -> Value {
    let mut payload = Map::new();
    let failed = job.failed_feeds.len();
    let mut feeds = vec![];
    if failed > 0 {
        feeds.push(json!({ "LOAD_FAILED": failed }));
    }
    payload.insert("feedCount".into(), Value::Array(feeds));
    payload.insert("overallStatus".into(), counts_json(&job.source, job.status, job, &job.counts));
    if details || failed > 0 {
        let feeds = job.failed_feeds.iter().map(|(f, c)| counts_json(f, "LOAD_FAILED", job, c)).collect();
        payload.insert("failedFeeds".into(), Value::Array(feeds));
    }
    if errors {
        let logs: Vec<Value> = job
            .errors
            .iter()
            .map(|e| json!({ "errorCode": e.code, "errorMessage": e.message, "fileName": e.file, "recordNum": e.record }))
            .collect();
        payload.insert(
            "errors".into(),
            json!({ "startIndex": if logs.is_empty() { 0 } else { 1 }, "endIndex": logs.len(), "loadId": id, "errorLogs": logs }),
        );
    }
    json!({ "status": "200 OK", "payload": payload })
}

/// Validates a load request: the parameters Neptune's loader documents, with their allowed
/// values; `source` is a local folder here.
fn parse_request(body: &[u8]) -> Result<LoadRequest, NeptuneError> {
    let bad = |m: String| NeptuneError::bad_request(m);
    let v: Value = serde_json::from_slice(body).map_err(|e| bad(format!("Invalid JSON body: {e}")))?;
    let obj = v.as_object().ok_or_else(|| bad("the body must be a JSON object".into()))?;
    let string = |key: &str| obj.get(key).and_then(Value::as_str);
    let choice = |key: &str, allowed: &[&str], default: &'static str| -> Result<String, NeptuneError> {
        match obj.get(key) {
            None => Ok(default.to_string()),
            Some(Value::String(s)) if allowed.iter().any(|a| a.eq_ignore_ascii_case(s)) => Ok(s.to_uppercase()),
            Some(other) => Err(NeptuneError::bad_request(format!(
                "Invalid value {other} for parameter {key}; allowed: {}",
                allowed.join(", ")
            ))),
        }
    };
    let source = string("source").ok_or_else(|| bad("Missing required parameter source".into()))?;
    let format = string("format").ok_or_else(|| bad("Missing required parameter format".into()))?;
    if format != "opencypher" {
        return Err(bad(format!("Unsupported format {format}: this test server loads only `opencypher`")));
    }
    choice("mode", &["NEW", "RESUME", "AUTO"], "AUTO")?;
    choice("parallelism", &["LOW", "MEDIUM", "HIGH", "OVERSUBSCRIBE"], "HIGH")?;
    choice("queueRequest", &["TRUE", "FALSE"], "FALSE")?;
    let fail_on_error = choice("failOnError", &["TRUE", "FALSE"], "TRUE")? == "TRUE";
    let edge_ids = choice("userProvidedEdgeIds", &["TRUE", "FALSE"], "TRUE")? == "TRUE";
    let dependencies = match obj.get("dependencies") {
        None => Vec::new(),
        Some(Value::Array(a)) if a.iter().all(Value::is_string) => {
            a.iter().filter_map(|d| d.as_str().map(String::from)).collect()
        }
        Some(_) => return Err(bad("dependencies must be a list of loadIds".into())),
    };
    let source = source.strip_prefix("file://").unwrap_or(source);
    let path = std::path::PathBuf::from(source);
    if !path.is_dir() {
        return Err(bad(format!("source {source} is not a folder this server can read")));
    }
    Ok(LoadRequest { source: path, fail_on_error, edge_ids, dependencies })
}
