//! `migrations make --from SOURCE`: a new migration that creates a live source's schema, so a
//! user can go from an un-migrated database to a migrated target without writing YAML.

use std::collections::BTreeSet;
use std::path::Path;

use serde::Serialize;

use super::{Migration, MigrationSet, Operation};
use crate::connector::SchemaDetails;
use crate::model::bookkeeping::{is_bookkeeping, DEFAULT_IDENTITY_LABEL};

/// The migration that creates `details`, depending on the current leaves of `existing`.
pub fn from_schema(details: &SchemaDetails, existing: &MigrationSet, name: String, dir: &Path) -> Migration {
    let mut operations = Vec::new();
    let labels: BTreeSet<&String> = details.node_properties.keys().chain(details.node_keys.keys()).collect();
    for label in labels.into_iter().filter(|l| !is_bookkeeping(l) && l.as_str() != DEFAULT_IDENTITY_LABEL) {
        let keys = details.node_keys.get(label).cloned().unwrap_or_default();
        let properties =
            details.node_properties.get(label).into_iter().flatten().filter(|p| !keys.contains(p)).cloned().collect();
        operations.push(Operation::CreateNodeType { name: label.clone(), keys, properties });
        for field in details.node_indexes.get(label).into_iter().flatten() {
            operations.push(Operation::AddAdditionalNodePropertyIndex {
                node_type: label.clone(),
                field_name: field.clone(),
            });
        }
    }
    for (rel_type, properties) in &details.relationship_properties {
        operations.push(Operation::CreateRelationshipType {
            name: rel_type.clone(),
            keys: Vec::new(),
            properties: properties.iter().cloned().collect(),
        });
        for field in details.relationship_indexes.get(rel_type).into_iter().flatten() {
            operations.push(Operation::AddAdditionalRelationshipPropertyIndex {
                relationship_type: rel_type.clone(),
                field_name: field.clone(),
            });
        }
    }
    Migration {
        file: dir.join(format!("{name}.yaml")),
        name,
        operations,
        dependencies: leaves(existing),
        replaces: Vec::new(),
    }
}

/// Migrations nothing else depends on (and that no squash replaces): what a new one follows.
fn leaves(set: &MigrationSet) -> Vec<String> {
    let depended: BTreeSet<&str> = set.all().flat_map(|m| m.dependencies.iter().map(String::as_str)).collect();
    let replaced: BTreeSet<&str> = set.all().flat_map(|m| m.replaces.iter().map(String::as_str)).collect();
    set.all()
        .filter(|m| !depended.contains(m.name.as_str()) && !replaced.contains(m.name.as_str()))
        .map(|m| m.name.clone())
        .collect()
}

/// `0003_schema_from_my_neo4j`: numbered after the existing migrations.
pub fn next_name(existing: &MigrationSet, source: &str) -> String {
    let n = existing.all().count() + 1;
    let slug: String =
        source.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' }).collect();
    format!("{n:04}_schema_from_{slug}")
}

#[derive(Serialize)]
struct File<'a> {
    name: &'a str,
    operations: &'a [Operation],
    dependencies: &'a [String],
}

/// The migration as nodestream-format YAML.
pub fn to_yaml(m: &Migration) -> Result<String, serde_yaml::Error> {
    serde_yaml::to_string(&File { name: &m.name, operations: &m.operations, dependencies: &m.dependencies })
}
