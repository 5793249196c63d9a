//! Migrations on a file target. Applied migrations are recorded in a sidecar file
//! (`<dump>.migrations.json`), the lock is a lock file created exclusively, and a data-changing
//! operation rewrites the dump (through a temporary file, renamed into place). Constraints and
//! indexes mean nothing to a file, so those operations are no-ops.

use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};

use async_trait::async_trait;

use super::dump::{DumpReader, DumpWriter, Record};
use super::FileConfig;
use crate::connector::{ConnectorError, Migrator, MIGRATION_LOCKED};
use crate::migrations::{NodeKeys, Operation};
use crate::model::{Node, Properties, Relationship, Value};

pub struct FileMigrator {
    dump: PathBuf,
}

fn sidecar(dump: &Path, suffix: &str) -> PathBuf {
    let mut p = dump.as_os_str().to_owned();
    p.push(suffix);
    PathBuf::from(p)
}

#[derive(serde::Serialize, serde::Deserialize, Default)]
struct History {
    applied: BTreeSet<String>,
}

impl FileMigrator {
    pub fn new(cfg: &FileConfig) -> Self {
        FileMigrator { dump: cfg.path.clone() }
    }

    fn history_path(&self) -> PathBuf {
        sidecar(&self.dump, ".migrations.json")
    }

    fn lock_path(&self) -> PathBuf {
        sidecar(&self.dump, ".migrations.lock")
    }

    fn io(&self, path: &Path, e: impl std::fmt::Display) -> ConnectorError {
        ConnectorError::fatal(format!("{}: {e}", path.display()))
    }

    fn read_history(&self) -> Result<History, ConnectorError> {
        let path = self.history_path();
        match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text).map_err(|e| self.io(&path, e)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(History::default()),
            Err(e) => Err(self.io(&path, e)),
        }
    }

    /// Rewrites the dump with `edit` applied to every record (`None` drops it).
    fn rewrite(&self, mut edit: impl FnMut(Record) -> Option<Record>) -> Result<(), ConnectorError> {
        if !self.dump.exists() {
            return Ok(()); // nothing copied yet: nothing to change
        }
        let tmp = sidecar(&self.dump, ".migrating.tmp");
        let mut reader = DumpReader::open(&self.dump)?;
        let mut writer = DumpWriter::create(&tmp).map_err(|e| self.io(&tmp, e))?;
        let result = (|| {
            while let Some(record) = reader.next_record()? {
                match edit(record) {
                    Some(Record::Node(n)) => {
                        writer.write_nodes(std::slice::from_ref(&n)).map_err(|e| self.io(&tmp, e))?
                    }
                    Some(Record::Relationship(r)) => {
                        writer.write_relationships(std::slice::from_ref(&r)).map_err(|e| self.io(&tmp, e))?
                    }
                    None => {}
                }
            }
            writer.finish().map_err(|e| self.io(&tmp, e))?;
            std::fs::rename(&tmp, &self.dump).map_err(|e| self.io(&self.dump, e))
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        result
    }
}

fn rename_key(props: &mut Properties, old: &str, new: &str) {
    if let Some(v) = props.remove(old) {
        props.insert(new.to_string(), v);
    }
}

fn set_default(props: &mut Properties, key: &str, default: &Option<Value>) {
    match default {
        Some(value) if *value != Value::Null && !props.contains_key(key) => {
            props.insert(key.to_string(), value.clone());
        }
        _ => {}
    }
}

fn on_nodes(label: &str, mut f: impl FnMut(&mut Node)) -> impl FnMut(Record) -> Option<Record> {
    let label = label.to_string();
    move |record| {
        Some(match record {
            Record::Node(mut n) if n.labels.contains(&label) => {
                f(&mut n);
                Record::Node(n)
            }
            other => other,
        })
    }
}

fn on_relationships(rel_type: &str, mut f: impl FnMut(&mut Relationship)) -> impl FnMut(Record) -> Option<Record> {
    let rel_type = rel_type.to_string();
    move |record| {
        Some(match record {
            Record::Relationship(mut r) if r.rel_type == rel_type => {
                f(&mut r);
                Record::Relationship(r)
            }
            other => other,
        })
    }
}

#[async_trait]
impl Migrator for FileMigrator {
    async fn lock(&self) -> Result<(), ConnectorError> {
        let path = self.lock_path();
        match std::fs::OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(_) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                Err(ConnectorError::fatal(format!("{} exists", path.display())).with_code(MIGRATION_LOCKED))
            }
            Err(e) => Err(self.io(&path, e)),
        }
    }

    async fn unlock(&self) -> Result<(), ConnectorError> {
        match std::fs::remove_file(self.lock_path()) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(self.io(&self.lock_path(), e)),
            _ => Ok(()),
        }
    }

    async fn applied(&self) -> Result<BTreeSet<String>, ConnectorError> {
        Ok(self.read_history()?.applied)
    }

    fn describe(&self, op: &Operation, _keys: &NodeKeys) -> Vec<String> {
        use Operation::*;
        let what = match op {
            CreateNodeType { .. }
            | CreateRelationshipType { .. }
            | AddAdditionalNodePropertyIndex { .. }
            | DropAdditionalNodePropertyIndex { .. }
            | AddAdditionalRelationshipPropertyIndex { .. }
            | DropAdditionalRelationshipPropertyIndex { .. } => {
                "nothing to do on a file (no constraints or indexes)".to_string()
            }
            _ => format!("rewrites {}", self.dump.display()),
        };
        vec![what]
    }

    async fn apply(&self, op: &Operation, _keys: &NodeKeys) -> Result<(), ConnectorError> {
        use Operation::*;
        match op.clone() {
            DropNodeType { name } => {
                let mut dropped = HashSet::new();
                self.rewrite(|record| match record {
                    Record::Node(n) if n.labels.contains(&name) => {
                        dropped.insert(n.id);
                        None
                    }
                    Record::Relationship(r) if dropped.contains(&r.start) || dropped.contains(&r.end) => None,
                    other => Some(other),
                })
            }
            DropRelationshipType { name } => self.rewrite(|record| match record {
                Record::Relationship(r) if r.rel_type == name => None,
                other => Some(other),
            }),
            RenameNodeType { old_type, new_type } => self.rewrite(on_nodes(&old_type, |n| {
                for l in n.labels.iter_mut().filter(|l| **l == old_type) {
                    *l = new_type.clone();
                }
            })),
            RenameRelationshipType { old_type, new_type } => {
                self.rewrite(on_relationships(&old_type, |r| r.rel_type = new_type.clone()))
            }
            AddNodeProperty { node_type, property_name, default } => {
                self.rewrite(on_nodes(&node_type, |n| set_default(&mut n.properties, &property_name, &default)))
            }
            NodeKeyExtended { node_type, added_key_property, default } => {
                let default = Some(default);
                self.rewrite(on_nodes(&node_type, |n| set_default(&mut n.properties, &added_key_property, &default)))
            }
            AddRelationshipProperty { relationship_type, property_name, default } => self
                .rewrite(on_relationships(&relationship_type, |r| {
                    set_default(&mut r.properties, &property_name, &default)
                })),
            RelationshipKeyExtended { relationship_type, added_key_property, default } => {
                let default = Some(default);
                self.rewrite(on_relationships(&relationship_type, |r| {
                    set_default(&mut r.properties, &added_key_property, &default)
                }))
            }
            DropNodeProperty { node_type, property_name } => {
                self.rewrite(on_nodes(&node_type, |n| drop(n.properties.remove(&property_name))))
            }
            DropRelationshipProperty { relationship_type, property_name } => {
                self.rewrite(on_relationships(&relationship_type, |r| drop(r.properties.remove(&property_name))))
            }
            RenameNodeProperty { node_type, old_property_name: old, new_property_name: new }
            | NodeKeyPartRenamed { node_type, old_key_part_name: old, new_key_part_name: new } => {
                self.rewrite(on_nodes(&node_type, |n| rename_key(&mut n.properties, &old, &new)))
            }
            RenameRelationshipProperty { relationship_type, old_property_name: old, new_property_name: new }
            | RelationshipKeyPartRenamed { relationship_type, old_key_part_name: old, new_key_part_name: new } => {
                self.rewrite(on_relationships(&relationship_type, |r| rename_key(&mut r.properties, &old, &new)))
            }
            CreateNodeType { .. }
            | CreateRelationshipType { .. }
            | AddAdditionalNodePropertyIndex { .. }
            | DropAdditionalNodePropertyIndex { .. }
            | AddAdditionalRelationshipPropertyIndex { .. }
            | DropAdditionalRelationshipPropertyIndex { .. } => Ok(()),
        }
    }

    async fn record(&self, migration: &str) -> Result<(), ConnectorError> {
        let mut history = self.read_history()?;
        history.applied.insert(migration.to_string());
        let path = self.history_path();
        let tmp = sidecar(&self.dump, ".migrations.json.tmp");
        let text = serde_json::to_string_pretty(&history).map_err(|e| self.io(&path, e))?;
        std::fs::write(&tmp, text).map_err(|e| self.io(&tmp, e))?;
        std::fs::rename(&tmp, &path).map_err(|e| self.io(&path, e))
    }
}
