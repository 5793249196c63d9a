//! The graph engine behind the server: an ArcadeDB database reached through ArcadeDB's HTTP API.
//!
//! Neptune ids are stored as a property literally named `~id`. Every vertex type extends
//! `NeptuneNode` and every edge type extends `NeptuneRel`; each supertype carries a unique index
//! on `~id`, which ArcadeDB enforces across all subtypes. That is how an id stays unique
//! graph-wide, as in Neptune, and not only per label.

use std::collections::{HashMap, HashSet};

use serde_json::{json, Value};
use tokio::sync::Mutex;

use crate::error::NeptuneError;

/// Supertype of every node type.
pub const NODE_SUPERTYPE: &str = "NeptuneNode";
/// Supertype of every relationship type.
pub const REL_SUPERTYPE: &str = "NeptuneRel";
/// The label Neptune gives a node created without one.
pub const DEFAULT_LABEL: &str = "vertex";
/// ArcadeDB's HTTP header naming a transaction.
const SESSION_HEADER: &str = "arcadedb-session-id";

/// A failed ArcadeDB call, as ArcadeDB reported it.
#[derive(Debug, thiserror::Error)]
#[error("ArcadeDB {status} {exception}: {detail}")]
pub struct EngineError {
    pub status: u16,
    pub exception: String,
    pub detail: String,
}

impl EngineError {
    fn transport(e: reqwest::Error) -> Self {
        EngineError { status: 503, exception: "transport".into(), detail: e.to_string() }
    }

    /// The Neptune error a client would have seen for the same failure.
    pub fn to_neptune(&self) -> NeptuneError {
        let ex = self.exception.rsplit('.').next().unwrap_or_default();
        match ex {
            "DuplicatedKeyException" => {
                NeptuneError::constraint_violation(format!("Entity with the same ~id already exists: {}", self.detail))
            }
            "ConcurrentModificationException" | "NeedRetryException" | "LockException" => {
                NeptuneError::new(500, "ConcurrentModificationException", self.detail.clone())
            }
            "TimeoutException" => NeptuneError::new(500, "TimeLimitExceededException", self.detail.clone()),
            "InvalidPropertyTypeException" => NeptuneError::invalid_parameter(self.detail.clone()),
            // AWS, "Neptune openCypher exceptions" (access-graph-opencypher-exceptions.html): HTTP
            // 400 "Cannot delete node, because it still has relationships. To delete this node,
            // you must first delete its relationships." The page gives no code; BadRequestException
            // is Neptune's generic 400 ("The request could not be completed"). ArcadeDB refuses
            // the same delete, with a 500.
            _ if self.detail.contains("DeleteConnectedNode") => NeptuneError::bad_request(
                "Cannot delete node, because it still has relationships. To delete this node, you must first delete \
                 its relationships.",
            ),
            _ if self.status == 400 => NeptuneError::malformed(self.detail.clone()),
            _ => NeptuneError::internal(format!("engine failure: {}", self.detail)),
        }
    }
}

/// A client for one ArcadeDB database.
#[derive(Debug)]
pub struct Engine {
    http: reqwest::Client,
    base: String,
    user: String,
    password: String,
    database: String,
    /// Types already made to extend the Neptune supertypes; schema changes are serialized by
    /// this lock because concurrent schema changes in ArcadeDB conflict.
    known_types: Mutex<HashSet<String>>,
}

impl Engine {
    /// Connects, creates the database if missing and installs the id schema.
    pub async fn connect(base: &str, user: &str, password: &str, database: &str) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder().pool_max_idle_per_host(64).build()?;
        let engine = Engine {
            http,
            base: base.to_string(),
            user: user.to_string(),
            password: password.to_string(),
            database: database.to_string(),
            known_types: Mutex::new(HashSet::new()),
        };
        let exists: Value = engine
            .http
            .get(format!("{base}/api/v1/exists/{database}"))
            .basic_auth(user, Some(password))
            .send()
            .await
            .map_err(|e| {
                anyhow::anyhow!("cannot reach ArcadeDB at {base} ({e}); start it with `scripts/test-servers.sh start`")
            })?
            .error_for_status()?
            .json()
            .await?;
        if exists["result"] != json!(true) {
            let r = engine
                .http
                .post(format!("{base}/api/v1/server"))
                .basic_auth(user, Some(password))
                .json(&json!({ "command": format!("create database {database}") }))
                .send()
                .await?;
            // A parallel starter may have created it first; that is fine.
            if !r.status().is_success() {
                let text = r.text().await.unwrap_or_default();
                if !text.contains("already exists") {
                    anyhow::bail!("cannot create ArcadeDB database {database}: {text}");
                }
            }
        }
        // Neptune gives an entity created without `~id` a server-generated, UUID-based string id
        // (AWS, "Neptune inlined server-generated edge ID": "If no ID is provided, the server
        // generates and assigns a UUID based ID";
        // https://docs.aws.amazon.com/neptune/latest/userguide/storage-edge-id.html). ArcadeDB
        // evaluates a property's `uuid()` default on every insert, subtypes included, so every
        // `CREATE (n:L)` gets one; the ALTER also upgrades databases made before this default.
        let script = format!(
            "CREATE VERTEX TYPE {NODE_SUPERTYPE} IF NOT EXISTS;\
             CREATE PROPERTY {NODE_SUPERTYPE}.`~id` IF NOT EXISTS STRING;\
             ALTER PROPERTY {NODE_SUPERTYPE}.`~id` DEFAULT uuid();\
             CREATE INDEX IF NOT EXISTS ON {NODE_SUPERTYPE} (`~id`) UNIQUE;\
             CREATE EDGE TYPE {REL_SUPERTYPE} IF NOT EXISTS;\
             CREATE PROPERTY {REL_SUPERTYPE}.`~id` IF NOT EXISTS STRING;\
             ALTER PROPERTY {REL_SUPERTYPE}.`~id` DEFAULT uuid();\
             CREATE INDEX IF NOT EXISTS ON {REL_SUPERTYPE} (`~id`) UNIQUE;\
             CREATE VERTEX TYPE `{DEFAULT_LABEL}` IF NOT EXISTS EXTENDS {NODE_SUPERTYPE};"
        );
        engine.run("sqlscript", &script, None).await.map_err(|e| anyhow::anyhow!("installing the id schema: {e}"))?;
        Ok(engine)
    }

    /// Runs one command and returns ArcadeDB's `result` value.
    pub async fn run(&self, language: &str, command: &str, params: Option<&Value>) -> Result<Value, EngineError> {
        self.run_in(None, language, command, params).await
    }

    /// Runs a Cypher write in a transaction that is committed only when no node is left
    /// without a label; `Ok(None)` means it was rolled back for that reason.
    ///
    /// A node whose last label is removed becomes a record of the id supertype itself (ArcadeDB
    /// allows it; Neptune refuses it, see `query.rs`), and no other write makes such a record,
    /// so the check counts them. It scans every node, so it is used only for `REMOVE x:Label`.
    pub async fn run_keeping_labels(
        &self,
        command: &str,
        params: Option<&Value>,
    ) -> Result<Option<Value>, EngineError> {
        let session = self.transaction("begin", None).await?;
        let outcome = async {
            let result = self.run_in(Some(&session), "cypher", command, params).await?;
            let guard = format!("SELECT count(*) AS c FROM {NODE_SUPERTYPE} WHERE @type = '{NODE_SUPERTYPE}'");
            let rows = self.run_in(Some(&session), "sql", &guard, None).await?;
            Ok::<_, EngineError>((rows[0]["c"].as_u64().unwrap_or(0) == 0).then_some(result))
        }
        .await;
        let end = if matches!(outcome, Ok(Some(_))) { "commit" } else { "rollback" };
        let ended = self.transaction(end, Some(&session)).await;
        let outcome = outcome?;
        ended?;
        Ok(outcome)
    }

    /// Begins (returning the session id), commits or rolls back a transaction.
    async fn transaction(&self, action: &str, session: Option<&str>) -> Result<String, EngineError> {
        let mut req = self
            .http
            .post(format!("{}/api/v1/{action}/{}", self.base, self.database))
            .basic_auth(&self.user, Some(&self.password));
        if let Some(s) = session {
            req = req.header(SESSION_HEADER, s);
        }
        let resp = req.send().await.map_err(EngineError::transport)?;
        let status = resp.status().as_u16();
        let id = resp.headers().get(SESSION_HEADER).and_then(|v| v.to_str().ok()).map(str::to_string);
        if !(200..300).contains(&status) {
            let detail = resp.text().await.unwrap_or_default();
            return Err(EngineError { status, exception: format!("transaction {action}"), detail });
        }
        match (session, id) {
            (Some(s), _) => Ok(s.to_string()),
            (None, Some(id)) => Ok(id),
            (None, None) => {
                Err(EngineError { status, exception: "transaction begin".into(), detail: "no session id".into() })
            }
        }
    }

    async fn run_in(
        &self,
        session: Option<&str>,
        language: &str,
        command: &str,
        params: Option<&Value>,
    ) -> Result<Value, EngineError> {
        let mut body = json!({ "language": language, "command": command, "limit": -1 });
        if let Some(p) = params {
            body["params"] = p.clone();
        }
        let mut req = self
            .http
            .post(format!("{}/api/v1/command/{}", self.base, self.database))
            .basic_auth(&self.user, Some(&self.password))
            .json(&body);
        if let Some(s) = session {
            req = req.header(SESSION_HEADER, s);
        }
        let resp = req.send().await.map_err(EngineError::transport)?;
        let status = resp.status().as_u16();
        let bytes = resp.bytes().await.map_err(EngineError::transport)?;
        let mut v: Value = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| json!({ "exception": "unparsable", "detail": String::from_utf8_lossy(&bytes) }));
        if (200..300).contains(&status) {
            return Ok(v["result"].take());
        }
        let text = |k: &str| v[k].as_str().unwrap_or_default().to_string();
        Err(EngineError {
            status,
            exception: text("exception"),
            detail: if v["detail"].is_string() { text("detail") } else { text("error") },
        })
    }

    /// Makes sure the given labels and relationship types exist as subtypes of the Neptune
    /// supertypes before a query creates them (ArcadeDB would otherwise create plain types
    /// without the `~id` uniqueness).
    pub async fn ensure_types(&self, labels: &[String], rel_types: &[String]) -> Result<(), EngineError> {
        let mut known = self.known_types.lock().await;
        let mut script = String::new();
        let mut added = Vec::new();
        for (names, kind, supertype) in [(labels, "VERTEX", NODE_SUPERTYPE), (rel_types, "EDGE", REL_SUPERTYPE)] {
            for name in names {
                let key = format!("{kind}:{name}");
                if known.contains(&key) {
                    continue;
                }
                let name = sql_name(name);
                script.push_str(&format!("CREATE {kind} TYPE {name} IF NOT EXISTS EXTENDS {supertype};"));
                added.push(key);
            }
        }
        if script.is_empty() {
            return Ok(());
        }
        self.run("sqlscript", &script, None).await?;
        known.extend(added);
        Ok(())
    }

    /// The `~id` of each record id; a record without one (made before the `uuid()` default was
    /// installed) keeps its record id as its id.
    pub async fn ids_of(&self, rids: &[String]) -> Result<HashMap<String, String>, EngineError> {
        let mut out = HashMap::new();
        for chunk in rids.chunks(1000) {
            let list = chunk.iter().filter(|r| is_rid(r)).cloned().collect::<Vec<_>>().join(",");
            if list.is_empty() {
                continue;
            }
            let rows = self.run("sql", &format!("SELECT @rid AS rid, `~id` AS id FROM [{list}]"), None).await?;
            for row in rows.as_array().into_iter().flatten() {
                if let (Some(rid), id) = (row["rid"].as_str(), &row["id"]) {
                    let id = id.as_str().map(str::to_string).unwrap_or_else(|| rid.to_string());
                    out.insert(rid.to_string(), id);
                }
            }
        }
        Ok(out)
    }
}

/// A type name quoted for ArcadeDB's SQL, which escapes inside backquotes with a backslash (not
/// by doubling, as Cypher does): without this, a label holding a backquote became a type outside
/// the id supertype, and its nodes could not be found by `~id`.
fn sql_name(name: &str) -> String {
    format!("`{}`", name.replace('\\', "\\\\").replace('`', "\\`"))
}

/// `#<cluster>:<position>`, the only shape interpolated into SQL.
fn is_rid(s: &str) -> bool {
    let Some(rest) = s.strip_prefix('#') else { return false };
    let mut parts = rest.splitn(2, ':');
    let ok = |p: Option<&str>| p.is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    ok(parts.next()) && ok(parts.next())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sql_names_escape_backquotes_and_backslashes() {
        assert_eq!(sql_name("a b"), "`a b`");
        assert_eq!(sql_name("a`b"), "`a\\`b`");
        assert_eq!(sql_name("a\\b"), "`a\\\\b`");
    }

    #[test]
    fn rid_shape() {
        assert!(is_rid("#12:0"));
        assert!(!is_rid("#12"));
        assert!(!is_rid("#1:0] DELETE"));
    }

    #[test]
    fn engine_errors_map_to_neptune_codes() {
        let e = |ex: &str, status| EngineError { status, exception: ex.into(), detail: "d".into() }.to_neptune();
        assert_eq!(e("com.arcadedb.exception.DuplicatedKeyException", 409).code, "ConstraintViolationException");
        assert_eq!(e("com.arcadedb.exception.CommandParsingException", 400).code, "MalformedQueryException");
        assert_eq!(e("com.arcadedb.exception.ConcurrentModificationException", 503).status, 500);
        assert_eq!(e("java.lang.NullPointerException", 500).code, "InternalFailureException");
        let connected = EngineError {
            status: 500,
            exception: "com.arcadedb.exception.CommandExecutionException".into(),
            detail: "DeleteConnectedNode: Cannot delete node #13:0 because it still has relationships".into(),
        };
        assert_eq!((connected.to_neptune().status, connected.to_neptune().code), (400, "BadRequestException"));
    }
}
