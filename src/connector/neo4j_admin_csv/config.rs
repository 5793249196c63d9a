//! Keys of a `database: neo4j-admin-csv` target: where the export goes, how its files are cut,
//! and the identity label and property the `neo4j` query path uses (same names, same defaults),
//! so a later query-based copy into the imported database updates the same entities.

use std::path::{Path, PathBuf};

use crate::config::{ConfigError, KeyReader};
use crate::connector::bulk::PartOptions;

#[derive(Debug, Clone)]
pub struct Neo4jAdminCsvConfig {
    /// The export folder; relative to the config file's folder. Replaced whole by each export.
    pub path: PathBuf,
    pub parts: PartOptions,
    pub source_id_label: String,
    pub source_id_property: String,
    /// The database name the printed import command names.
    pub database_name: String,
}

pub const KEYS: &[&str] = &["path", "max_file_mb", "gzip", "source_id_label", "source_id_property", "database_name"];

impl Neo4jAdminCsvConfig {
    pub(crate) fn read(keys: &mut KeyReader<'_>, base_dir: &Path) -> Result<Self, ConfigError> {
        let (path, parts) = crate::connector::bulk::read_folder_keys(keys, base_dir)?;
        let mut name = |key: &'static str, default: &str| -> Result<String, ConfigError> {
            let value = keys.optional_str(key)?.unwrap_or_else(|| default.to_string());
            if value.is_empty() || value.contains([':', ';', '(', ')']) {
                return Err(keys.invalid(key, "must be a non-empty name without `:`, `;` or parentheses".into(), None));
            }
            Ok(value)
        };
        let source_id_label = name("source_id_label", crate::model::bookkeeping::DEFAULT_IDENTITY_LABEL)?;
        let source_id_property = name("source_id_property", crate::connector::neptune::DEFAULT_SOURCE_ID_PROPERTY)?;
        let database_name = name("database_name", "neo4j")?;
        Ok(Neo4jAdminCsvConfig {
            path,
            parts,
            source_id_label,
            source_id_property,
            database_name,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connector::registry::Only;

    fn parse(keys: &str) -> Result<Neo4jAdminCsvConfig, String> {
        Only::<Neo4jAdminCsvConfig>::parse(&format!("targets:\n  out:\n    database: neo4j-admin-csv\n{keys}"), "out")
    }

    #[test]
    fn defaults_are_the_neo4j_targets_identity() {
        let c = parse("    path: export\n").unwrap();
        assert_eq!(c.path, Path::new("/p/export"));
        assert_eq!((c.source_id_label.as_str(), c.source_id_property.as_str()), ("_GraphferryNode", "_graphferry_id"));
        assert_eq!(c.database_name, "neo4j");
        assert!(!c.parts.gzip);
    }

    #[test]
    fn every_key_and_bad_values() {
        let c = parse("    path: /x\n    max_file_mb: 3\n    gzip: true\n    source_id_label: L\n    source_id_property: p\n    database_name: g\n")
            .unwrap();
        assert_eq!(c.parts, PartOptions { max_bytes: 3 * 1024 * 1024, gzip: true });
        assert_eq!((c.source_id_label.as_str(), c.source_id_property.as_str(), c.database_name.as_str()), ("L", "p", "g"));
        for (keys, key) in [("    path: x\n    source_id_property: 'a:b'\n", "source_id_property"), ("    path: x\n    max_file_mb: 0\n", "max_file_mb")] {
            let e = parse(keys).unwrap_err();
            assert!(e.contains(key), "{e}");
        }
    }
}
