//! Request routing: the Neptune endpoints of the configured mode, `/status`, and the admin
//! endpoints that tests and benchmarks use (faults, counters, reset).
//!
//! Admin endpoints and `/status` are never faulted, counted or signature-checked: they are the
//! test harness's side channel, not part of the Neptune protocol under test.

use std::sync::Arc;

use bytes::Bytes;
use http::{header, Method, Request, Response, StatusCode};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use serde_json::{json, Value};

use crate::config::{Config, Mode};
use crate::counters::Counters;
use crate::engine::Engine;
use crate::error::{request_id, NeptuneError};
use crate::faults::{FaultPlan, Faults};
use crate::server::Body;

/// Shared server state.
pub struct App {
    pub cfg: Config,
    /// `None` in discard mode: nothing is stored, so ArcadeDB is not needed.
    pub engine: Option<Engine>,
    pub faults: Faults,
    pub counters: Counters,
    /// The bulk loader's loads (`/loader`).
    pub loads: crate::loader::Loads,
}

/// The endpoint names used in counters.
pub const DATABASE_ENDPOINT: &str = "/openCypher";
pub const ANALYTICS_ENDPOINT: &str = "/queries";

impl App {
    pub async fn new(cfg: Config) -> anyhow::Result<Arc<Self>> {
        let engine = if cfg.discard {
            None
        } else {
            Some(Engine::connect(&cfg.arcadedb_url, &cfg.arcadedb_user, &cfg.arcadedb_password, &cfg.database).await?)
        };
        let faults = Faults::new(cfg.faults.clone());
        Ok(Arc::new(App { cfg, engine, faults, counters: Counters::default(), loads: Default::default() }))
    }

    pub async fn handle(self: Arc<Self>, req: Request<Incoming>) -> Response<Body> {
        let path = req.uri().path().to_string();
        let method = req.method().clone();
        let mode = self.cfg.mode;
        match (mode, method.clone(), path.as_str()) {
            (Mode::Database, Method::GET | Method::POST, p) if p.eq_ignore_ascii_case("/opencypher") => {
                self.query(req, DATABASE_ENDPOINT).await
            }
            (Mode::Analytics, Method::POST, "/queries") => self.query(req, ANALYTICS_ENDPOINT).await,
            (Mode::Database, Method::POST, "/loader") => self.loader(req).await,
            (Mode::Database, Method::GET, p) if p.starts_with("/loader/") => {
                let id = p.trim_start_matches("/loader/").to_string();
                let query = req.uri().query().map(str::to_string);
                self.load_status(&id, query.as_deref()).await
            }
            (_, Method::GET, "/status") => json_response(200, &self.status()),
            (_, Method::GET, "/admin/counters") => json_response(200, &self.counters.snapshot()),
            (_, Method::GET, "/admin/faults") => json_response(200, &self.faults.plan()),
            (_, Method::POST, "/admin/faults") => match read_small(req).await.and_then(parse_plan) {
                Ok(plan) => {
                    tracing::info!(?plan, "fault plan set");
                    self.faults.set(plan.clone());
                    json_response(200, &plan)
                }
                Err(e) => error_response(e, mode),
            },
            (_, Method::POST, "/admin/reset") => {
                self.faults.set(FaultPlan::default());
                self.counters.reset();
                json_response(200, &json!({ "reset": true }))
            }
            (_, _, p) if p.eq_ignore_ascii_case("/opencypher") || p == "/queries" => error_response(
                NeptuneError::new(405, "BadRequestException", format!("{method} {p} is not served in {mode:?} mode")),
                mode,
            ),
            _ => error_response(NeptuneError::new(404, "BadRequestException", format!("Unknown path {path}")), mode),
        }
    }

    fn status(&self) -> Value {
        json!({
            "status": "healthy",
            "role": "writer",
            "dbEngineVersion": concat!("neptune-test-server-", env!("CARGO_PKG_VERSION")),
            "mode": format!("{:?}", self.cfg.mode).to_lowercase(),
            "database": self.cfg.database,
            "discard": self.cfg.discard,
            "iam": self.cfg.iam.is_some(),
            "features": { "openCypher": { "version": "Neptune-9.0.20190305-1.0" } },
        })
    }
}

/// Reads a whole request body, refusing more than `limit` bytes with Neptune's
/// BadRequestException. Content-Length is checked first so an oversized body is refused without
/// being read.
pub async fn read_body(req: Request<Incoming>, limit: u64) -> Result<(http::request::Parts, Bytes), NeptuneError> {
    let too_large =
        || NeptuneError::bad_request(format!("Request body exceeds the maximum allowed size of {limit} bytes"));
    let declared =
        req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    let (parts, body) = req.into_parts();
    let limited = http_body_util::Limited::new(body, usize::try_from(limit).unwrap_or(usize::MAX));
    match limited.collect().await {
        Ok(c) => Ok((parts, c.to_bytes())),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(too_large()),
        Err(e) => Err(NeptuneError::bad_request(format!("Cannot read request body: {e}"))),
    }
}

async fn read_small(req: Request<Incoming>) -> Result<Bytes, NeptuneError> {
    read_body(req, 1 << 20).await.map(|(_, b)| b)
}

fn parse_plan(body: Bytes) -> Result<FaultPlan, NeptuneError> {
    let plan: FaultPlan =
        serde_json::from_slice(&body).map_err(|e| NeptuneError::bad_request(format!("Invalid fault plan: {e}")))?;
    plan.validate().map_err(NeptuneError::bad_request)?;
    Ok(plan)
}

pub fn json_response(status: u16, body: &impl serde::Serialize) -> Response<Body> {
    let bytes = serde_json::to_vec(body).unwrap_or_else(|_| b"{}".to_vec());
    bytes_response(status, Bytes::from(bytes))
}

pub fn bytes_response(status: u16, body: Bytes) -> Response<Body> {
    let mut r = Response::new(Body::full(body));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    r.headers_mut().insert(header::CONTENT_TYPE, header::HeaderValue::from_static("application/json;charset=UTF-8"));
    r
}

/// An error in `mode`'s vocabulary; Analytics clients also get the code in `x-amzn-ErrorType`.
pub fn error_response(e: NeptuneError, mode: Mode) -> Response<Body> {
    let e = e.for_mode(mode);
    let mut r = json_response(e.status, &e.body(&request_id()));
    if mode == Mode::Analytics {
        if let Ok(v) = header::HeaderValue::from_str(e.code) {
            r.headers_mut().insert("x-amzn-errortype", v);
        }
    }
    r
}
