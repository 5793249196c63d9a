//! Running migrations against one target: lock, read what was applied, apply each pending
//! migration's operations and record it, unlock — the lock is released even when an operation
//! fails, and a migration whose operation failed is not recorded.

use std::collections::BTreeSet;

use super::{MigrationSet, Pending, PlanError};
use crate::connector::{ConnectorError, Migrator, MIGRATION_LOCKED};

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("target `{target}`: migrations are locked by another run (or by one that crashed); wait for it to finish, or pass --force-unlock if none is running")]
    Locked { target: String },
    #[error("target `{target}`: {action} failed")]
    Connector {
        target: String,
        action: String,
        #[source]
        source: ConnectorError,
    },
    #[error("target `{target}`: migration `{migration}` ({}) failed at operation {index} ({operation}); it was not recorded", file.display())]
    Operation {
        target: String,
        migration: String,
        file: std::path::PathBuf,
        index: usize,
        operation: &'static str,
        #[source]
        source: ConnectorError,
    },
    #[error(transparent)]
    Plan(#[from] PlanError),
}

/// What happened to one migration.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Applied {
    pub migration: String,
    /// The statements run (or that would run, on a dry run).
    pub statements: Vec<String>,
}

/// Options of one run.
pub struct RunOptions {
    pub dry_run: bool,
    pub force_unlock: bool,
}

/// Applies the pending migrations of `set` to `target`.
pub async fn run(
    target: &str,
    migrator: &dyn Migrator,
    set: &MigrationSet,
    options: &RunOptions,
) -> Result<Vec<Applied>, RunError> {
    let connector = |action: &str| {
        let (target, action) = (target.to_string(), action.to_string());
        move |source| RunError::Connector { target, action, source }
    };
    if options.dry_run {
        let applied = migrator.applied().await.map_err(connector("reading applied migrations"))?;
        return Ok(set.pending_with_keys(&applied)?.iter().map(|p| describe(migrator, p)).collect());
    }
    if options.force_unlock {
        migrator.unlock().await.map_err(connector("removing the migration lock"))?;
        tracing::warn!(target, "removed the migration lock (--force-unlock)");
    }
    migrator.lock().await.map_err(|e| match e.code.as_deref() {
        Some(MIGRATION_LOCKED) => RunError::Locked { target: target.to_string() },
        _ => connector("taking the migration lock")(e),
    })?;
    let result = apply_pending(target, migrator, set).await;
    let unlocked = migrator.unlock().await.map_err(connector("releasing the migration lock"));
    let done = result?;
    unlocked?;
    Ok(done)
}

async fn apply_pending(target: &str, migrator: &dyn Migrator, set: &MigrationSet) -> Result<Vec<Applied>, RunError> {
    let applied = migrator.applied().await.map_err(|source| RunError::Connector {
        target: target.to_string(),
        action: "reading applied migrations".into(),
        source,
    })?;
    let mut done = Vec::new();
    for pending in set.pending_with_keys(&applied)? {
        let migration = pending.migration;
        tracing::info!(target, migration = %migration.name, "applying migration");
        for (i, (op, keys)) in migration.operations.iter().zip(&pending.keys_after).enumerate() {
            migrator.apply(op, keys).await.map_err(|source| RunError::Operation {
                target: target.to_string(),
                migration: migration.name.clone(),
                file: migration.file.clone(),
                index: i + 1,
                operation: op.name(),
                source,
            })?;
        }
        migrator.record(&migration.name).await.map_err(|source| RunError::Connector {
            target: target.to_string(),
            action: format!("recording migration `{}`", migration.name),
            source,
        })?;
        done.push(describe(migrator, &pending));
    }
    Ok(done)
}

fn describe(migrator: &dyn Migrator, p: &Pending) -> Applied {
    let operations = p.migration.operations.iter().zip(&p.keys_after);
    Applied {
        migration: p.migration.name.clone(),
        // Named here, once, so every connector's lines read alike: `CreateNodeType Actor: ...`.
        statements: operations
            .flat_map(|(op, keys)| {
                let about = format!("{} {}", op.name(), op.subject());
                migrator.describe(op, keys).into_iter().map(move |line| format!("{about}: {line}"))
            })
            .collect(),
    }
}

/// One row of `migrations show`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Status {
    pub migration: String,
    /// `applied`, `pending`, or `skipped` (stood for by a squashed migration, or replaced by
    /// migrations that already ran).
    pub state: &'static str,
    pub file: String,
}

/// The state of every migration of `set` on a target with `applied`.
pub fn status(set: &MigrationSet, applied: &BTreeSet<String>) -> Result<Vec<Status>, PlanError> {
    let pending: BTreeSet<&str> = set.pending(applied)?.into_iter().map(|m| m.name.as_str()).collect();
    Ok(set
        .all()
        .map(|m| Status {
            migration: m.name.clone(),
            state: if set.is_applied(&m.name, applied) {
                "applied"
            } else if pending.contains(m.name.as_str()) {
                "pending"
            } else {
                "skipped"
            },
            file: m.file.display().to_string(),
        })
        .collect())
}
