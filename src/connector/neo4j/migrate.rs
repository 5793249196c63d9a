//! Migrations on a Neo4j 5 target, with nodestream's names throughout so both tools share a
//! database: history is `__NodestreamMigration__ {name}` nodes, the lock is one
//! `__NodestreamMigrationLock__ {lock: 'lock'}` node guarded by a uniqueness constraint, node keys
//! are constraints named `{Type}_node_key` (NODE KEY with `use_enterprise_features`) and
//! additional indexes are range indexes named `{type}_{field}_additional_index`.
//!
//! Key constraints are built from the keys the migration files declare (the runner passes them
//! with each operation), never read back from the database: a run that failed half-way through
//! moving a key leaves nothing the next run cannot rebuild.
//!
//! Data changes (renames, defaults, drops) run as client-side rounds
//! (`MATCH … WITH x LIMIT n <change> RETURN count(*)`, each round its own transaction, repeated
//! until a round changes nothing) rather than `CALL {…} IN TRANSACTIONS`: Neo4j refuses that
//! inside the explicit transactions the client uses (it never lets neo4rs retry on its own), and
//! rounds behave the same on servers without it (the loop is [`migrations::rounds`]).

use std::collections::BTreeSet;

use async_trait::async_trait;
use neo4rs::{query, Query};

use super::client::{column, Client};
use super::config::Neo4jConfig;
use super::cypher::quote;
use super::value::to_bolt;
use crate::connector::{ConnectorError, Migrator, MIGRATION_LOCKED};
use crate::migrations::{self, NodeKeys, Operation};
use crate::pipeline::{retry_idempotent, RetryPolicy};
use steps::{
    drop_constraint, drop_index, drop_index_named, entity_name, key_constraint, key_name, steps, Rounds, Step, BATCH,
    CONSTRAINT_PROPERTIES, INDEXED_PROPERTIES, PLAIN_KEY_INDEXES,
};

mod steps;

use crate::model::bookkeeping::{MIGRATION_HISTORY as HISTORY_LABEL, MIGRATION_LOCK as LOCK_LABEL};

pub struct Neo4jMigrator {
    client: Client,
    enterprise: bool,
}

impl Neo4jMigrator {
    pub async fn connect(target: &str, cfg: &Neo4jConfig) -> Result<Self, ConnectorError> {
        Ok(Neo4jMigrator { client: Client::connect(target, cfg, 1).await?, enterprise: cfg.use_enterprise_features })
    }

    /// Runs one statement in a transaction of its own (Neo4j refuses schema and data changes
    /// in one transaction) and returns its `c` column.
    async fn run(&self, action: &str, q: Query) -> Result<i64, ConnectorError> {
        Ok(self.client.write(action, vec![q]).await?.into_iter().sum())
    }

    async fn lock_held(&self) -> Result<bool, ConnectorError> {
        let text = format!("MATCH (l:{} {{lock: 'lock'}}) RETURN count(l) AS c", quote(LOCK_LABEL));
        let rows = self.client.rows(query(&text)).await?;
        Ok(rows.first().map(|r| column::<i64>(self.client.target(), r, "c")).transpose()?.unwrap_or(0) > 0)
    }

    /// The property lists `text` returns in its `properties` column.
    async fn property_lists(&self, q: Query) -> Result<Vec<Vec<String>>, ConnectorError> {
        let rows = self.client.rows(q).await?;
        rows.iter().map(|r| column::<Vec<String>>(self.client.target(), r, "properties")).collect()
    }

    /// Whether constraint `name` exists and covers exactly `keys`.
    async fn key_covers(&self, name: &str, keys: &BTreeSet<String>) -> Result<bool, ConnectorError> {
        let lists = self.property_lists(query(CONSTRAINT_PROPERTIES).param("name", name)).await?;
        Ok(lists.into_iter().any(|l| l.into_iter().collect::<BTreeSet<_>>() == *keys))
    }

    /// Drops plain indexes on exactly `label`'s `keys` (sorted), which Neo4j would not let a key
    /// constraint be created beside.
    async fn drop_plain_key_indexes(&self, op: &Operation, label: &str, keys: &[String]) -> Result<(), ConnectorError> {
        let plain = self.client.rows(query(PLAIN_KEY_INDEXES).param("of", label).param("keys", keys.to_vec())).await?;
        for row in &plain {
            let index = column::<String>(self.client.target(), row, "name")?;
            self.run(op.name(), query(&drop_index_named(&index))).await?;
        }
        Ok(())
    }

    /// Makes key constraint `name` cover exactly `keys`, replacing one that covers other
    /// properties (a key being extended or renamed, or a run that stopped half-way).
    async fn put_key(
        &self,
        op: &Operation,
        name: &str,
        label: &str,
        keys: &BTreeSet<String>,
    ) -> Result<(), ConnectorError> {
        if self.key_covers(name, keys).await? {
            return Ok(());
        }
        self.run(op.name(), query(&drop_constraint(name))).await?;
        self.drop_plain_key_indexes(op, label, &keys.iter().cloned().collect::<Vec<_>>()).await?;
        self.run(op.name(), query(&key_constraint(name, label, keys, self.enterprise))).await?;
        // `IF NOT EXISTS` also passes over an equivalent constraint of another name, silently.
        if !self.key_covers(name, keys).await? {
            return Err(ConnectorError::fatal(format!(
                "target `{}`: key constraint `{name}` on `{label}` was not created; another constraint on the same properties may exist: drop it and run the migrations again",
                self.client.target()
            )));
        }
        Ok(())
    }

    async fn apply_rounds(&self, op: &Operation, r: &Rounds) -> Result<(), ConnectorError> {
        let with_params = |text: String| r.params.iter().fold(query(&text), |q, (k, v)| q.param(k, to_bolt(v)));
        let to_change =
            self.run("counting records to migrate", with_params(format!("{} RETURN count(*) AS c", r.matcher))).await?;
        let rounds = migrations::rounds::Rounds {
            target: self.client.target(),
            operation: op.name(),
            to_change: to_change.max(0) as u64,
            limit: BATCH,
        };
        let round = |limit| {
            let q = with_params(r.text(limit));
            async move { self.run(op.name(), q).await.map(|n| n.max(0) as u64) }
        };
        rounds.run(round, |limit| r.text(limit)).await.map(drop)
    }

    /// Runs one step; `indexed` carries what a `ReadIndexes` step read to the steps after it.
    async fn apply_step(
        &self,
        op: &Operation,
        step: &Step,
        indexed: &mut BTreeSet<String>,
    ) -> Result<(), ConnectorError> {
        match step {
            Step::Statement(text) => self.run(op.name(), query(text)).await.map(drop),
            Step::Rounds(r) => self.apply_rounds(op, r).await,
            Step::Key { name, label, keys } => self.put_key(op, name, label, keys).await,
            Step::DropPlainKeyIndexes { label, keys } => self.drop_plain_key_indexes(op, label, keys).await,
            Step::ReadIndexes { entity, of } => {
                let q = query(INDEXED_PROPERTIES).param("entity", entity_name(*entity)).param("of", of.as_str());
                // Single-property indexes only: additional indexes are on one field each.
                *indexed = self.property_lists(q).await?.into_iter().filter(|p| p.len() == 1).flatten().collect();
                Ok(())
            }
            Step::CreateIndexes { entity, of } => {
                for field in indexed.iter() {
                    self.run(op.name(), query(&steps::create_index(*entity, of, field))).await?;
                }
                Ok(())
            }
            Step::DropIndexes { of } => {
                for field in indexed.iter() {
                    self.run(op.name(), query(&drop_index(of, field))).await?;
                }
                Ok(())
            }
        }
    }
}

#[async_trait]
impl Migrator for Neo4jMigrator {
    async fn lock(&self) -> Result<(), ConnectorError> {
        let locked = || {
            ConnectorError::fatal(format!(
                "Neo4j target `{}`: the migration lock node `{LOCK_LABEL}` exists",
                self.client.target()
            ))
            .with_code(MIGRATION_LOCKED)
        };
        if self.lock_held().await? {
            return Err(locked());
        }
        // As nodestream does: the constraint makes a second lock node fail, so of two runs
        // creating it at once exactly one succeeds.
        for (label, key) in [(LOCK_LABEL, "lock"), (HISTORY_LABEL, "name")] {
            let text = key_constraint(&key_name(label), label, &BTreeSet::from([key.to_string()]), self.enterprise);
            // Concurrent runs creating them at once may deadlock on Neo4j's schema lock
            // (Neo.TransientError.Transaction.DeadlockDetected, rolled back): tried again.
            let create = || self.run("creating the migration constraints", query(&text));
            if let Err(e) = retry_idempotent(RetryPolicy::default(), "creating the migration constraints", create).await {
                // Two runs creating the same constraint at once: one of them may be refused.
                let exists = self.property_lists(query(CONSTRAINT_PROPERTIES).param("name", key_name(label))).await?;
                if exists.is_empty() {
                    return Err(e);
                }
            }
        }
        let text = format!("CREATE (l:{} {{lock: 'lock'}}) RETURN count(l) AS c", quote(LOCK_LABEL));
        // A transient failure (a deadlock) rolled the CREATE back: trying again is safe.
        let take = || self.run("taking the migration lock", query(&text));
        match retry_idempotent(RetryPolicy::default(), "taking the migration lock", take).await {
            Ok(_) => Ok(()),
            // Lost the race: the constraint refused a second lock node. The winner's node may
            // not be visible yet (its transaction still committing), so the refusal itself is
            // the answer, not a second look.
            Err(e) if e.code.as_deref() == Some("Neo.ClientError.Schema.ConstraintValidationFailed") => Err(locked()),
            // The CREATE failed for another reason: the lock node tells whether it is held.
            Err(e) => match self.lock_held().await {
                Ok(true) => Err(locked()),
                _ => Err(e),
            },
        }
    }

    async fn unlock(&self) -> Result<(), ConnectorError> {
        let text = format!("MATCH (l:{} {{lock: 'lock'}}) DELETE l", quote(LOCK_LABEL));
        self.run("releasing the migration lock", query(&text)).await.map(drop)
    }

    async fn applied(&self) -> Result<BTreeSet<String>, ConnectorError> {
        let text = format!("MATCH (m:{}) RETURN m.name AS name", quote(HISTORY_LABEL));
        let rows = self.client.rows(query(&text)).await?;
        let names = rows.iter().map(|r| column::<Option<String>>(self.client.target(), r, "name"));
        Ok(names.collect::<Result<Vec<_>, _>>()?.into_iter().flatten().collect())
    }

    fn describe(&self, op: &Operation, keys: &NodeKeys) -> Vec<String> {
        let steps = steps(op, keys, self.enterprise);
        if steps.is_empty() {
            return vec!["nothing to do on Neo4j (no constraint, index or data to change)".to_string()];
        }
        steps.iter().map(|s| steps::describe(s, self.enterprise)).collect()
    }

    async fn apply(&self, op: &Operation, keys: &NodeKeys) -> Result<(), ConnectorError> {
        let mut indexed = BTreeSet::new();
        for step in steps(op, keys, self.enterprise) {
            self.apply_step(op, &step, &mut indexed).await?;
        }
        Ok(())
    }

    async fn record(&self, migration: &str) -> Result<(), ConnectorError> {
        let text = format!("MERGE (m:{} {{name: $name}}) RETURN count(m) AS c", quote(HISTORY_LABEL));
        self.run("recording the migration", query(&text).param("name", migration)).await.map(drop)
    }
}
