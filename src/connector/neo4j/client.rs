//! One Bolt connection pool to one database, with every request bounded in time so a dead or
//! hung server turns into an error instead of a hang.
//!
//! Requests run in explicit transactions (`BEGIN` … `COMMIT`): neo4rs retries its auto-commit
//! `run`/`execute` internally for up to a minute, and retrying belongs to the pipeline. The
//! database name is sent on every transaction (see [`Neo4jConfig::database_name`]).

use std::future::Future;
use std::time::Duration;

use neo4rs::{BoltType, ConfigBuilder, Graph, Query, Row, RowStream, Txn};

use super::config::Neo4jConfig;
use super::error::{classify, timeout};
use crate::connector::ConnectorError;

pub struct Client {
    graph: Graph,
    database: String,
    /// The target's name, for messages.
    target: String,
    connect_timeout: Duration,
    query_timeout: Duration,
}

impl Client {
    /// Opens a pool and checks the database answers.
    pub async fn connect(target: &str, cfg: &Neo4jConfig, max_connections: usize) -> Result<Client, ConnectorError> {
        let config = ConfigBuilder::default()
            .uri(&cfg.uri)
            .user(&cfg.username)
            .password(cfg.password.expose())
            .db(cfg.database_name.as_str())
            .fetch_size(cfg.fetch_size)
            .max_connections(max_connections)
            .build()
            .map_err(|e| classify(target, "invalid connection settings", e))?;
        let graph = Graph::connect(config).map_err(|e| classify(target, "connecting", e))?;
        let client = Client {
            graph,
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

    async fn begin(&self, action: &str) -> Result<Txn, ConnectorError> {
        // Taking a pooled connection may open one: TCP, handshake and authentication.
        self.bounded(action, self.connect_timeout + self.query_timeout, self.graph.start_txn_on(self.database.as_str()))
            .await
    }

    /// Runs a query that returns a small result and collects its rows.
    pub async fn rows(&self, query: Query) -> Result<Vec<Row>, ConnectorError> {
        let mut cursor = self.stream("querying", query).await?;
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
        let mut txn = self.begin(action).await?;
        let mut counts = Vec::with_capacity(queries.len());
        for q in queries {
            let mut stream = self.bounded(action, self.query_timeout, txn.execute(q)).await?;
            let mut count = 0;
            while let Some(row) = self.bounded(action, self.query_timeout, stream.next(txn.handle())).await? {
                count += row.get::<i64>("c").unwrap_or(0);
            }
            counts.push(count);
        }
        self.bounded(action, self.query_timeout, txn.commit()).await?;
        Ok(counts)
    }

    /// Starts a streamed read: rows arrive `fetch_size` at a time as the cursor is advanced, so
    /// memory stays bounded whatever the result size.
    pub async fn stream(&self, action: &str, query: Query) -> Result<Cursor<'_>, ConnectorError> {
        let mut txn = self.begin(action).await?;
        let stream = self.bounded(action, self.query_timeout, txn.execute(query)).await?;
        Ok(Cursor { client: self, action: action.to_string(), txn, stream })
    }
}

/// A query's rows, read page by page inside its transaction.
pub struct Cursor<'c> {
    client: &'c Client,
    action: String,
    txn: Txn,
    stream: RowStream,
}

impl Cursor<'_> {
    pub async fn next(&mut self) -> Result<Option<Row>, ConnectorError> {
        let Cursor { client, action, txn, stream } = self;
        client.bounded(action, client.query_timeout, stream.next(txn.handle())).await
    }

    /// Commits (a write) or ends (a read) the transaction.
    pub async fn finish(self) -> Result<(), ConnectorError> {
        let Cursor { client, action, txn, .. } = self;
        client.bounded(&action, client.query_timeout, txn.commit()).await
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
