//! What the bulk-load exports share (`neptune-csv`, `neo4j-admin-csv`): the export folder and
//! its atomic replacement ([`folder`]), CSV cells that tell an empty string from no value
//! ([`cell`]), the spool that turns concurrent writes into deterministic file sets
//! ([`spool`]), and data files split by size and optionally gzip-compressed ([`parts`]).

pub mod cell;
pub mod folder;
pub mod parts;
pub mod spool;

pub use folder::Staging;
pub use parts::PartOptions;
pub use spool::{FileSet, Form, Group, Kind, Layout, Property, Row, Spool};

/// The default size at which a data file is cut: big enough that a loader is not slowed by
/// many small files, small enough to upload and retry one file at a time.
pub const DEFAULT_MAX_FILE_MB: u64 = 512;

/// What a bulk sink's `prepare` does first: refuse an existing folder in create mode (unless
/// `--force`), then open the staging folder and the spool in it. `target` names the target in
/// errors.
pub fn open_export(
    target: &str,
    path: &std::path::Path,
    plan: &super::CopyPlan,
) -> Result<(Staging, std::sync::Arc<Spool>), super::ConnectorError> {
    if plan.mode == super::WriteMode::Create && !plan.force && path.exists() {
        return Err(super::ConnectorError::fatal(format!(
            "{} already exists; create mode writes only into an empty target (use --force to replace it, or --mode merge)",
            path.display()
        )));
    }
    let io = |action: &str, e: std::io::Error| {
        super::ConnectorError::fatal(format!("target `{target}`: {}: cannot {action}: {e}", path.display()))
            .with_source(e)
    };
    let staging = Staging::create(path).map_err(|e| io("create its staging folder", e))?;
    let spool = Spool::create(&staging.path().join(".spool")).map_err(|e| io("create its spool", e))?;
    Ok((staging, std::sync::Arc::new(spool)))
}

/// The keys every export folder target has: `path` (relative to the config file's folder),
/// `max_file_mb` (at least 1) and `gzip`.
pub fn read_folder_keys(
    keys: &mut crate::config::KeyReader<'_>,
    base_dir: &std::path::Path,
) -> Result<(std::path::PathBuf, PartOptions), crate::config::ConfigError> {
    let path = std::path::PathBuf::from(keys.required_str("path")?);
    let path = if path.is_relative() { base_dir.join(path) } else { path };
    let max_file_mb = keys.optional_u64("max_file_mb")?.unwrap_or(DEFAULT_MAX_FILE_MB);
    if max_file_mb == 0 {
        return Err(keys.invalid("max_file_mb", "must be at least 1".into(), None));
    }
    let gzip = keys.optional_bool("gzip")?.unwrap_or(false);
    Ok((path, PartOptions { max_bytes: max_file_mb * 1024 * 1024, gzip }))
}

/// `targets --check` for an export folder: its parent must exist.
pub fn check_folder(path: &std::path::Path) -> Result<String, super::ConnectorError> {
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
    if !parent.is_dir() {
        return Err(super::ConnectorError::fatal(format!("folder {} does not exist", parent.display())));
    }
    Ok(if path.exists() {
        format!("{} exists; an export replaces it whole", path.display())
    } else {
        format!("no export yet; {} can be written", path.display())
    })
}
