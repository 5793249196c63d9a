//! Planning: which migrations to apply to a target, in which order. Topological over
//! `dependencies` (ties broken by name, so every run picks the same order); a squashed migration
//! is used only when none of the migrations it replaces was applied.

use std::collections::{BTreeMap, BTreeSet};

use super::format::{Migration, Operation};

#[derive(Debug, Clone, thiserror::Error)]
pub enum PlanError {
    #[error("two migrations are named `{name}`: {} and {}", first.display(), second.display())]
    Duplicate { name: String, first: std::path::PathBuf, second: std::path::PathBuf },
    #[error("{}: migration `{migration}` depends on `{dependency}`, which no migration file defines", file.display())]
    MissingDependency { migration: String, file: std::path::PathBuf, dependency: String },
    #[error("migrations depend on each other in a cycle: {}", cycle.join(" -> "))]
    Cycle { cycle: Vec<String> },
    #[error("squashed migration `{squashed}` replaces `{missing}`, which is applied only in part on this target and whose file is gone: restore the replaced migration files to finish them")]
    PartialSquash { squashed: String, missing: String },
}

/// Every migration of a project, checked for duplicates, missing dependencies and cycles.
#[derive(Debug)]
pub struct MigrationSet {
    by_name: BTreeMap<String, Migration>,
    /// Replaced name → the squashed migration that replaces it.
    replaced_by: BTreeMap<String, String>,
    order: Vec<String>,
}

impl MigrationSet {
    pub fn new(migrations: Vec<Migration>) -> Result<Self, PlanError> {
        let mut by_name: BTreeMap<String, Migration> = BTreeMap::new();
        for m in migrations {
            if let Some(first) = by_name.get(&m.name) {
                return Err(PlanError::Duplicate { name: m.name.clone(), first: first.file.clone(), second: m.file });
            }
            by_name.insert(m.name.clone(), m);
        }
        let replaced_by: BTreeMap<String, String> =
            by_name.values().flat_map(|m| m.replaces.iter().map(|r| (r.clone(), m.name.clone()))).collect();
        for m in by_name.values() {
            for d in &m.dependencies {
                if !by_name.contains_key(d) && !replaced_by.contains_key(d) {
                    return Err(PlanError::MissingDependency {
                        migration: m.name.clone(),
                        file: m.file.clone(),
                        dependency: d.clone(),
                    });
                }
            }
        }
        let order = topological(&by_name, &replaced_by)?;
        Ok(MigrationSet { by_name, replaced_by, order })
    }

    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }

    /// Every migration in dependency order.
    pub fn all(&self) -> impl Iterator<Item = &Migration> {
        self.order.iter().map(|n| &self.by_name[n])
    }

    pub fn get(&self, name: &str) -> Option<&Migration> {
        self.by_name.get(name)
    }

    /// The migrations to apply to a target that has `applied`, in order.
    pub fn pending(&self, applied: &BTreeSet<String>) -> Result<Vec<&Migration>, PlanError> {
        let mut skip = BTreeSet::new();
        for squashed in self.by_name.values().filter(|m| !m.replaces.is_empty()) {
            let partly = squashed.replaces.iter().any(|r| applied.contains(r));
            if applied.contains(&squashed.name) || !partly {
                // The squash stands for all of them (applied, or about to be).
                skip.extend(squashed.replaces.iter().cloned());
            } else {
                // Some replaced migrations ran: finish those, never the squash.
                skip.insert(squashed.name.clone());
                for r in squashed.replaces.iter().filter(|r| !applied.contains(*r)) {
                    if !self.by_name.contains_key(r) {
                        return Err(PlanError::PartialSquash { squashed: squashed.name.clone(), missing: r.clone() });
                    }
                }
            }
        }
        Ok(self.all().filter(|m| !applied.contains(&m.name) && !skip.contains(&m.name)).collect())
    }

    /// Whether `name` counts as applied given `applied` (directly, or through a squash).
    pub fn is_applied(&self, name: &str, applied: &BTreeSet<String>) -> bool {
        applied.contains(name) || self.replaced_by.get(name).is_some_and(|s| applied.contains(s))
    }

    /// Node keys the migrations declare once all are applied: label → key properties. The copy
    /// uses these as node identity.
    pub fn node_keys(&self) -> Result<NodeKeys, PlanError> {
        let mut keys = NodeKeys::new();
        for m in self.pending(&BTreeSet::new())? {
            for op in &m.operations {
                apply_to_keys(&mut keys, op);
            }
        }
        keys.retain(|_, k| !k.is_empty());
        Ok(keys)
    }

    /// The migrations to apply to a target that has `applied`, in order, each with the node keys
    /// declared once each of its operations has run: the applied migrations' keys (taken in this
    /// set's order, as they ran), then each pending operation's change. Connectors that enforce
    /// keys take them from here rather than from the target, so a run that stopped half-way
    /// leaves nothing that the next run cannot rebuild.
    pub fn pending_with_keys(&self, applied: &BTreeSet<String>) -> Result<Vec<Pending<'_>>, PlanError> {
        let mut keys = NodeKeys::new();
        for op in self.all().filter(|m| applied.contains(&m.name)).flat_map(|m| &m.operations) {
            apply_to_keys(&mut keys, op);
        }
        let pending = self.pending(applied)?.into_iter().map(|migration| {
            let keys_after = migration
                .operations
                .iter()
                .map(|op| {
                    apply_to_keys(&mut keys, op);
                    keys.clone()
                })
                .collect();
            Pending { migration, keys_after }
        });
        Ok(pending.collect())
    }
}

/// Node keys as migrations declare them: label → key properties, in declaration order (a type
/// declared without keys maps to none).
pub type NodeKeys = BTreeMap<String, Vec<String>>;

/// A migration to apply, and the node keys declared once each of its operations has run
/// (`keys_after[i]` after `migration.operations[i]`).
#[derive(Debug)]
pub struct Pending<'a> {
    pub migration: &'a Migration,
    pub keys_after: Vec<NodeKeys>,
}

fn apply_to_keys(keys: &mut NodeKeys, op: &Operation) {
    match op {
        Operation::CreateNodeType { name, keys: k, .. } => {
            keys.insert(name.clone(), k.clone());
        }
        Operation::DropNodeType { name } => {
            keys.remove(name);
        }
        Operation::RenameNodeType { old_type, new_type } => {
            if let Some(k) = keys.remove(old_type) {
                keys.insert(new_type.clone(), k);
            }
        }
        Operation::NodeKeyExtended { node_type, added_key_property, .. } => {
            keys.entry(node_type.clone()).or_default().push(added_key_property.clone());
        }
        Operation::NodeKeyPartRenamed { node_type, old_key_part_name: old, new_key_part_name: new }
        | Operation::RenameNodeProperty { node_type, old_property_name: old, new_property_name: new } => {
            for k in keys.get_mut(node_type).into_iter().flatten() {
                if k == old {
                    *k = new.clone();
                }
            }
        }
        _ => {}
    }
}

/// Kahn's algorithm with a name-ordered ready set. A dependency on a replaced migration also
/// orders after its squash, so the order holds whichever of the two is used.
fn topological(
    by_name: &BTreeMap<String, Migration>,
    replaced_by: &BTreeMap<String, String>,
) -> Result<Vec<String>, PlanError> {
    let mut deps: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for m in by_name.values() {
        let set = deps.entry(m.name.as_str()).or_default();
        for d in &m.dependencies {
            if by_name.contains_key(d) {
                set.insert(d.as_str());
            }
            if let Some(s) = replaced_by.get(d).filter(|s| **s != m.name) {
                set.insert(s.as_str());
            }
        }
    }
    let mut order = Vec::with_capacity(by_name.len());
    let mut done: BTreeSet<&str> = BTreeSet::new();
    loop {
        let ready: Vec<&str> = deps
            .iter()
            .filter(|(n, d)| !done.contains(*n) && d.iter().all(|x| done.contains(x)))
            .map(|(n, _)| *n)
            .collect();
        let Some(next) = ready.first() else { break };
        done.insert(next);
        order.push(next.to_string());
    }
    if order.len() < by_name.len() {
        return Err(PlanError::Cycle { cycle: find_cycle(&deps, &done) });
    }
    Ok(order)
}

/// Follows unfinished dependencies from an unfinished migration until a name repeats.
fn find_cycle(deps: &BTreeMap<&str, BTreeSet<&str>>, done: &BTreeSet<&str>) -> Vec<String> {
    let Some(mut current) = deps.keys().find(|n| !done.contains(*n)).copied() else { return Vec::new() };
    let mut path: Vec<&str> = Vec::new();
    while !path.contains(&current) {
        path.push(current);
        match deps[current].iter().find(|d| !done.contains(*d)) {
            Some(next) => current = next,
            None => break,
        }
    }
    let start = path.iter().position(|n| *n == current).unwrap_or(0);
    let mut cycle: Vec<String> = path[start..].iter().map(|s| s.to_string()).collect();
    cycle.push(current.to_string());
    cycle
}
