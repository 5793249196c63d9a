//! One Bolt connection pool to one database, with every request bounded in time so a dead or
//! hung server turns into an error instead of a hang.
//!
//! Requests run in explicit transactions (`BEGIN` … `COMMIT`): neo4rs retries its auto-commit
//! `run`/`execute` internally for up to a minute, and retrying belongs to the pipeline. The
//! database name is sent on every transaction (see [`Neo4jConfig::database_name`]).
//!
//! The limits are kept here, by giving up on the request: a request given up on (or whose caller
//! stopped waiting) leaves its reply on the way, and neo4rs, handed that connection again, would
//! read the late reply as the answer to its next request, and every reply after it one request
//! late. So a connection is reused only after its transaction ended cleanly; otherwise it is
//! closed (see [`Lease`]), and the server rolls back its transaction once it sees it closed.
//!
//! The server is not told the limit. Bolt's `BEGIN` can carry `tx_timeout`, but neo4rs
//! 0.9.0-rc.8 sends `BEGIN` with the database name only, and gives no way to send a message of
//! our own on a pooled connection; `tx_timeout` on `RUN` counts only in auto-commit
//! transactions, which neo4rs retries by itself.

use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

use neo4rs::{BoltType, Config, ConfigBuilder, Graph, Query, Row, RowStream, Txn};
use tokio::sync::{Semaphore, SemaphorePermit};

use super::config::Neo4jConfig;
use super::error::{classify, timeout};
use crate::connector::{ConnectorError, FailedWrite};

pub struct Client {
    /// neo4rs's settings for a new connection.
    config: Config,
    /// Connections no transaction is using. Each is a neo4rs pool of one connection: neo4rs
    /// keeps a transaction's pooled connection to itself, so dropping its pool is the only way
    /// to keep a connection from being handed out again, and a pool of one drops nothing a
    /// concurrent request is using.
    idle: Mutex<Vec<Graph>>,
    /// One permit per connection the client may have open.
    slots: Semaphore,
    database: String,
    /// The target's name, for messages.
    target: String,
    connect_timeout: Duration,
    query_timeout: Duration,
}

impl Client {
    /// Checks the settings, then opens a connection and checks the database answers.
    pub async fn connect(target: &str, cfg: &Neo4jConfig, max_connections: usize) -> Result<Client, ConnectorError> {
        let config = ConfigBuilder::default()
            .uri(&cfg.uri)
            .user(&cfg.username)
            .password(cfg.password.expose())
            .db(cfg.database_name.as_str())
            .fetch_size(cfg.fetch_size)
            .max_connections(1)
            .build()
            .map_err(|e| classify(target, "invalid connection settings", e))?;
        // Opens nothing yet; fails on settings neo4rs cannot use, such as an unknown scheme.
        let first = Graph::connect(config.clone()).map_err(|e| classify(target, "connecting", e))?;
        let client = Client {
            config,
            idle: Mutex::new(vec![first]),
            slots: Semaphore::new(max_connections),
            database: cfg.database_name.clone(),
            target: target.to_string(),
            connect_timeout: cfg.connect_timeout,
            query_timeout: cfg.query_timeout,
        };
        client.rows(super::cypher::PING.into()).await?;
        Ok(client)
    }

    pub fn target(&self) -> &str {
        &self.target
    }

    /// Runs `future` within `limit`, turning a late answer and a driver error into connector errors.
    async fn bounded<T>(
        &self,
        action: &str,
        limit: Duration,
        future: impl Future<Output = neo4rs::Result<T>>,
    ) -> Result<T, ConnectorError> {
        match tokio::time::timeout(limit, future).await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(classify(&self.target, action, e)),
            Err(_) => Err(timeout(&self.target, action, limit)),
        }
    }

    /// Takes a connection (waiting for a free one if all are in use) and begins a transaction.
    async fn begin(&self, action: &str) -> Result<(Lease<'_>, Txn), ConnectorError> {
        // One limit for all of it: waiting for a free connection, perhaps opening one (TCP,
        // handshake, authentication), then BEGIN.
        let limit = self.connect_timeout + self.query_timeout;
        let started = tokio::time::Instant::now();
        let slot = match tokio::time::timeout(limit, self.slots.acquire()).await {
            Ok(slot) => slot.expect("the client never closes its semaphore"),
            Err(_) => return Err(timeout(&self.target, action, limit)),
        };
        let lease = Lease { graph: Some(self.take_idle()?), idle: &self.idle, reusable: false, _slot: slot };
        let txn = self
            .bounded(
                action,
                limit.saturating_sub(started.elapsed()),
                lease.graph().start_txn_on(self.database.as_str()),
            )
            .await?;
        Ok((lease, txn))
    }

    /// An idle connection, or a new one (opened when its first transaction begins).
    fn take_idle(&self) -> Result<Graph, ConnectorError> {
        let idle = self.idle.lock().expect("no panic while the idle list is held").pop();
        match idle {
            Some(graph) => Ok(graph),
            None => Graph::connect(self.config.clone()).map_err(|e| classify(&self.target, "connecting", e)),
        }
    }

    /// Runs a query that returns a small result and collects its rows.
    pub async fn rows(&self, query: Query) -> Result<Vec<Row>, ConnectorError> {
        self.rows_written("querying", query).await
    }

    /// [`rows`](Self::rows) for a write that returns rows: one transaction, committed after the
    /// last row; `action` names it in errors.
    pub async fn rows_written(&self, action: &str, query: Query) -> Result<Vec<Row>, ConnectorError> {
        let mut cursor = self.stream(action, query).await?;
        let mut rows = Vec::new();
        while let Some(row) = cursor.next().await? {
            rows.push(row);
        }
        cursor.finish().await?;
        Ok(rows)
    }

    /// Runs writes in one transaction, so a batch lands whole or not at all, and returns the
    /// `c` column of each (the rows it wrote; 0 for a query without one).
    pub async fn write(&self, action: &str, queries: Vec<Query>) -> Result<Vec<i64>, ConnectorError> {
        self.write_records(action, queries.into_iter().map(|q| (q, None)).collect()).await
    }

    /// [`write`](Self::write), each query with the records it writes: the error of a query that
    /// fails names its records (a failed commit names none: it is the whole transaction's).
    pub async fn write_records(
        &self,
        action: &str,
        queries: Vec<(Query, Option<FailedWrite>)>,
    ) -> Result<Vec<i64>, ConnectorError> {
        let (lease, mut txn) = self.begin(action).await?;
        let mut counts = Vec::with_capacity(queries.len());
        for (q, records) in queries {
            let named = |e: ConnectorError| match &records {
                Some(records) => e.in_write(records.clone()),
                None => e,
            };
            let mut stream = self.bounded(action, self.query_timeout, txn.execute(q)).await.map_err(named)?;
            let mut count = 0;
            while let Some(row) =
                self.bounded(action, self.query_timeout, stream.next(txn.handle())).await.map_err(named)?
            {
                count += row.get::<i64>("c").unwrap_or(0);
            }
            counts.push(count);
        }
        self.bounded(action, self.query_timeout, txn.commit()).await?;
        lease.reuse();
        Ok(counts)
    }

    /// Starts a streamed read: rows arrive `fetch_size` at a time as the cursor is advanced, so
    /// memory stays bounded whatever the result size.
    pub async fn stream(&self, action: &str, query: Query) -> Result<Cursor<'_>, ConnectorError> {
        let (lease, mut txn) = self.begin(action).await?;
        let stream = self.bounded(action, self.query_timeout, txn.execute(query)).await?;
        Ok(Cursor { client: self, action: action.to_string(), lease, txn, stream })
    }
}

/// A connection taken for one transaction. It goes back to the client's idle list only when
/// told the transaction ended cleanly ([`Lease::reuse`]). Dropped any other way (an error, a
/// time limit, a caller that stopped waiting, a cursor left unfinished) it may have a reply still
/// on the way, so its one-connection pool is dropped instead, which closes the connection now or
/// when the transaction holding it is dropped.
struct Lease<'c> {
    /// Always `Some` until dropped.
    graph: Option<Graph>,
    idle: &'c Mutex<Vec<Graph>>,
    reusable: bool,
    _slot: SemaphorePermit<'c>,
}

impl Lease<'_> {
    fn graph(&self) -> &Graph {
        self.graph.as_ref().expect("a lease holds its connection until dropped")
    }

    /// Returns the connection for other transactions; call only once the transaction has
    /// ended and every reply to it has been read.
    fn reuse(mut self) {
        self.reusable = true;
    }
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        if let (true, Some(graph)) = (self.reusable, self.graph.take()) {
            self.idle.lock().expect("no panic while the idle list is held").push(graph);
        }
    }
}

/// A query's rows, read page by page inside its transaction.
pub struct Cursor<'c> {
    client: &'c Client,
    action: String,
    lease: Lease<'c>,
    txn: Txn,
    stream: RowStream,
}

impl Cursor<'_> {
    pub async fn next(&mut self) -> Result<Option<Row>, ConnectorError> {
        let Cursor { client, action, txn, stream, .. } = self;
        client.bounded(action, client.query_timeout, stream.next(txn.handle())).await
    }

    /// Commits (a write) or ends (a read) the transaction.
    pub async fn finish(self) -> Result<(), ConnectorError> {
        let Cursor { client, action, lease, txn, .. } = self;
        client.bounded(&action, client.query_timeout, txn.commit()).await?;
        lease.reuse();
        Ok(())
    }
}

/// A column of a row as a Rust value, or an error naming the column.
pub fn column<T: for<'de> serde::Deserialize<'de>>(target: &str, row: &Row, name: &str) -> Result<T, ConnectorError> {
    row.get::<T>(name).map_err(|e| {
        ConnectorError::fatal(format!("Neo4j target `{target}`: unexpected value in result column `{name}`: {e}"))
    })
}

/// A column as neo4rs's generic value, converted by [`super::value`].
pub fn bolt_column(target: &str, row: &Row, name: &str) -> Result<BoltType, ConnectorError> {
    column::<BoltType>(target, row, name)
}

#[cfg(test)]
mod tests;
