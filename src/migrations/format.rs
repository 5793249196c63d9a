//! The migration file format, compatible with nodestream: one YAML file per migration with
//! `name`, `operations` (each `{operation, arguments}`), `dependencies`, and optional `replaces`
//! (the migrations a squashed migration stands for). Files nodestream writes (keys sorted, so
//! `arguments` before `operation`) parse as they are.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::model::Value;

/// One migration, as read from its file.
#[derive(Debug, Clone, PartialEq)]
pub struct Migration {
    pub name: String,
    pub operations: Vec<Operation>,
    pub dependencies: Vec<String>,
    /// A squashed migration lists the migrations it replaces.
    pub replaces: Vec<String>,
    pub file: PathBuf,
}

/// A schema change. Names and arguments are nodestream's; defaults are values already, converted
/// from their YAML when the file is read ([`super::defaults`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "operation", content = "arguments", deny_unknown_fields)]
pub enum Operation {
    CreateNodeType {
        name: String,
        #[serde(default)]
        keys: Vec<String>,
        #[serde(default)]
        properties: Vec<String>,
    },
    CreateRelationshipType {
        name: String,
        #[serde(default)]
        keys: Vec<String>,
        #[serde(default)]
        properties: Vec<String>,
    },
    DropNodeType {
        name: String,
    },
    DropRelationshipType {
        name: String,
    },
    RenameNodeType {
        old_type: String,
        new_type: String,
    },
    RenameRelationshipType {
        old_type: String,
        new_type: String,
    },
    AddNodeProperty {
        node_type: String,
        property_name: String,
        #[serde(default, with = "super::defaults::optional")]
        default: Option<Value>,
    },
    AddRelationshipProperty {
        relationship_type: String,
        property_name: String,
        #[serde(default, with = "super::defaults::optional")]
        default: Option<Value>,
    },
    DropNodeProperty {
        node_type: String,
        property_name: String,
    },
    DropRelationshipProperty {
        relationship_type: String,
        property_name: String,
    },
    RenameNodeProperty {
        node_type: String,
        old_property_name: String,
        new_property_name: String,
    },
    RenameRelationshipProperty {
        relationship_type: String,
        old_property_name: String,
        new_property_name: String,
    },
    AddAdditionalNodePropertyIndex {
        node_type: String,
        field_name: String,
    },
    DropAdditionalNodePropertyIndex {
        node_type: String,
        field_name: String,
    },
    AddAdditionalRelationshipPropertyIndex {
        relationship_type: String,
        field_name: String,
    },
    DropAdditionalRelationshipPropertyIndex {
        relationship_type: String,
        field_name: String,
    },
    NodeKeyExtended {
        node_type: String,
        added_key_property: String,
        #[serde(with = "super::defaults::required")]
        default: Value,
    },
    RelationshipKeyExtended {
        relationship_type: String,
        added_key_property: String,
        #[serde(with = "super::defaults::required")]
        default: Value,
    },
    NodeKeyPartRenamed {
        node_type: String,
        old_key_part_name: String,
        new_key_part_name: String,
    },
    RelationshipKeyPartRenamed {
        relationship_type: String,
        old_key_part_name: String,
        new_key_part_name: String,
    },
}

pub const OPERATIONS: &[&str] = &[
    "CreateNodeType",
    "CreateRelationshipType",
    "DropNodeType",
    "DropRelationshipType",
    "RenameNodeType",
    "RenameRelationshipType",
    "AddNodeProperty",
    "AddRelationshipProperty",
    "DropNodeProperty",
    "DropRelationshipProperty",
    "RenameNodeProperty",
    "RenameRelationshipProperty",
    "AddAdditionalNodePropertyIndex",
    "DropAdditionalNodePropertyIndex",
    "AddAdditionalRelationshipPropertyIndex",
    "DropAdditionalRelationshipPropertyIndex",
    "NodeKeyExtended",
    "RelationshipKeyExtended",
    "NodeKeyPartRenamed",
    "RelationshipKeyPartRenamed",
];

impl Operation {
    /// The operation's name as written in files.
    pub fn name(&self) -> &'static str {
        use Operation::*;
        match self {
            CreateNodeType { .. } => "CreateNodeType",
            CreateRelationshipType { .. } => "CreateRelationshipType",
            DropNodeType { .. } => "DropNodeType",
            DropRelationshipType { .. } => "DropRelationshipType",
            RenameNodeType { .. } => "RenameNodeType",
            RenameRelationshipType { .. } => "RenameRelationshipType",
            AddNodeProperty { .. } => "AddNodeProperty",
            AddRelationshipProperty { .. } => "AddRelationshipProperty",
            DropNodeProperty { .. } => "DropNodeProperty",
            DropRelationshipProperty { .. } => "DropRelationshipProperty",
            RenameNodeProperty { .. } => "RenameNodeProperty",
            RenameRelationshipProperty { .. } => "RenameRelationshipProperty",
            AddAdditionalNodePropertyIndex { .. } => "AddAdditionalNodePropertyIndex",
            DropAdditionalNodePropertyIndex { .. } => "DropAdditionalNodePropertyIndex",
            AddAdditionalRelationshipPropertyIndex { .. } => "AddAdditionalRelationshipPropertyIndex",
            DropAdditionalRelationshipPropertyIndex { .. } => "DropAdditionalRelationshipPropertyIndex",
            NodeKeyExtended { .. } => "NodeKeyExtended",
            RelationshipKeyExtended { .. } => "RelationshipKeyExtended",
            NodeKeyPartRenamed { .. } => "NodeKeyPartRenamed",
            RelationshipKeyPartRenamed { .. } => "RelationshipKeyPartRenamed",
        }
    }
}

impl Operation {
    /// What the operation is about, for messages: `Person`, `Person.email`, `Movie -> Film`.
    pub fn subject(&self) -> String {
        use Operation::*;
        match self {
            CreateNodeType { name, .. }
            | CreateRelationshipType { name, .. }
            | DropNodeType { name }
            | DropRelationshipType { name } => name.clone(),
            RenameNodeType { old_type, new_type } | RenameRelationshipType { old_type, new_type } => {
                format!("{old_type} -> {new_type}")
            }
            AddNodeProperty { node_type: t, property_name: p, .. }
            | DropNodeProperty { node_type: t, property_name: p }
            | AddAdditionalNodePropertyIndex { node_type: t, field_name: p }
            | DropAdditionalNodePropertyIndex { node_type: t, field_name: p }
            | NodeKeyExtended { node_type: t, added_key_property: p, .. }
            | AddRelationshipProperty { relationship_type: t, property_name: p, .. }
            | DropRelationshipProperty { relationship_type: t, property_name: p }
            | AddAdditionalRelationshipPropertyIndex { relationship_type: t, field_name: p }
            | DropAdditionalRelationshipPropertyIndex { relationship_type: t, field_name: p }
            | RelationshipKeyExtended { relationship_type: t, added_key_property: p, .. } => format!("{t}.{p}"),
            RenameNodeProperty { node_type: t, old_property_name: a, new_property_name: b }
            | NodeKeyPartRenamed { node_type: t, old_key_part_name: a, new_key_part_name: b }
            | RenameRelationshipProperty { relationship_type: t, old_property_name: a, new_property_name: b }
            | RelationshipKeyPartRenamed { relationship_type: t, old_key_part_name: a, new_key_part_name: b } => {
                format!("{t}.{a} -> {t}.{b}")
            }
        }
    }
}

/// A migration file that cannot be used.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{}{}: {message}", file.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct FormatError {
    pub file: PathBuf,
    pub line: Option<usize>,
    pub message: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMigration {
    name: String,
    #[serde(default)]
    operations: Vec<RawOperation>,
    #[serde(default)]
    dependencies: Vec<String>,
    #[serde(default)]
    replaces: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOperation {
    operation: String,
    #[serde(default)]
    arguments: serde_yaml::Mapping,
}

/// Parses one migration file's text.
pub fn parse(file: &Path, text: &str) -> Result<Migration, FormatError> {
    let error = |line: Option<usize>, message: String| FormatError { file: file.to_path_buf(), line, message };
    let raw: RawMigration = serde_yaml::from_str(text).map_err(|e| {
        let message = e.to_string();
        let message = message.split(" at line ").next().unwrap_or(&message).to_string();
        error(e.location().map(|l| l.line()), message)
    })?;
    let mut operations = Vec::with_capacity(raw.operations.len());
    for (index, op) in raw.operations.into_iter().enumerate() {
        let line = nth_operation_line(text, index);
        if !OPERATIONS.contains(&op.operation.as_str()) {
            let hint = crate::config::closest_name(&op.operation, OPERATIONS.iter().copied())
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_default();
            return Err(error(line, format!("unknown operation `{}`{hint}", op.operation)));
        }
        let mut tagged = serde_yaml::Mapping::new();
        tagged.insert("operation".into(), op.operation.clone().into());
        tagged.insert("arguments".into(), serde_yaml::Value::Mapping(op.arguments));
        let parsed: Operation = serde_yaml::from_value(serde_yaml::Value::Mapping(tagged)).map_err(|e| {
            error(line, format!("migration `{}`, operation {} (`{}`): {e}", raw.name, index + 1, op.operation))
        })?;
        operations.push(parsed);
    }
    Ok(Migration {
        name: raw.name,
        operations,
        dependencies: raw.dependencies,
        replaces: raw.replaces,
        file: file.to_path_buf(),
    })
}

/// The line of the `index`-th operation (the line holding its `operation:` key), for messages.
fn nth_operation_line(text: &str, index: usize) -> Option<usize> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| {
            let t = l.trim_start().trim_start_matches("- ");
            t.starts_with("operation:")
        })
        .nth(index)
        .map(|(i, _)| i + 1)
}

/// Reads every `*.yaml`/`*.yml` file of `dir`, in name order. A missing folder holds no migrations.
pub fn read_dir(dir: &Path) -> Result<Vec<Migration>, FormatError> {
    let io = |e: std::io::Error| FormatError { file: dir.to_path_buf(), line: None, message: e.to_string() };
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io(e)),
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml")))
        .collect();
    files.sort();
    files
        .iter()
        .map(|f| {
            let text = std::fs::read_to_string(f).map_err(|e| FormatError {
                file: f.clone(),
                line: None,
                message: e.to_string(),
            })?;
            parse(f, &text)
        })
        .collect()
}
