//! Keys of a `database: neptune-csv` target: where the export goes, how its files are cut, how
//! values are encoded (as the `neptune` target does), and what the loader request says.

use std::path::{Path, PathBuf};

use crate::config::{ConfigError, KeyReader};
use crate::connector::bulk::PartOptions;
use crate::connector::neptune::TemporalEncoding;

#[derive(Debug, Clone)]
pub struct NeptuneCsvConfig {
    /// The export folder; relative to the config file's folder. Replaced whole by each export.
    pub path: PathBuf,
    pub parts: PartOptions,
    pub temporal_encoding: TemporalEncoding,
    pub loader: LoaderSettings,
}

/// What `load.json` asks Neptune's loader for (its parameters, per
/// https://docs.aws.amazon.com/neptune/latest/userguide/load-api-reference-load.html).
#[derive(Debug, Clone, PartialEq)]
pub struct LoaderSettings {
    /// `NEW`, `RESUME` or `AUTO` (the loader's default is `AUTO`).
    pub mode: String,
    /// `LOW`, `MEDIUM`, `HIGH` or `OVERSUBSCRIBE`.
    pub parallelism: String,
    pub fail_on_error: bool,
    /// Where the files are uploaded (`s3://bucket/prefix`); a placeholder when not set.
    pub s3_uri: Option<String>,
    pub region: Option<String>,
    pub iam_role_arn: Option<String>,
    /// The cluster endpoint the loader is called at (`https://host:8182`).
    pub endpoint: Option<String>,
}

pub const KEYS: &[&str] = &[
    "path",
    "max_file_mb",
    "gzip",
    "temporal_encoding",
    "load_mode",
    "parallelism",
    "fail_on_error",
    "s3_uri",
    "region",
    "iam_role_arn",
    "endpoint",
];

impl NeptuneCsvConfig {
    pub(crate) fn read(keys: &mut KeyReader<'_>, base_dir: &Path) -> Result<Self, ConfigError> {
        let (path, parts) = crate::connector::bulk::read_folder_keys(keys, base_dir)?;
        let temporal_encoding = match keys.optional_choice("temporal_encoding", &["datetime", "string"])?.as_deref() {
            Some("string") => TemporalEncoding::String,
            _ => TemporalEncoding::DateTime,
        };
        let upper = |s: Option<String>, default: &str| s.unwrap_or_else(|| default.to_string()).to_uppercase();
        let mode = upper(keys.optional_choice("load_mode", &["NEW", "RESUME", "AUTO", "new", "resume", "auto"])?, "AUTO");
        let parallelism = upper(
            keys.optional_choice(
                "parallelism",
                &["LOW", "MEDIUM", "HIGH", "OVERSUBSCRIBE", "low", "medium", "high", "oversubscribe"],
            )?,
            "HIGH",
        );
        let fail_on_error = keys.optional_bool("fail_on_error")?.unwrap_or(true);
        let s3_uri = keys.optional_str("s3_uri")?.map(|s| s.trim_end_matches('/').to_string());
        if s3_uri.as_deref().is_some_and(|s| !s.starts_with("s3://")) {
            return Err(keys.invalid("s3_uri", "must start with s3:// (e.g. s3://my-bucket/graph-export)".into(), None));
        }
        let region = keys.optional_str("region")?;
        let iam_role_arn = keys.optional_str("iam_role_arn")?;
        let endpoint = keys.optional_str("endpoint")?.map(|s| s.trim_end_matches('/').to_string());
        Ok(NeptuneCsvConfig {
            path,
            parts,
            temporal_encoding,
            loader: LoaderSettings { mode, parallelism, fail_on_error, s3_uri, region, iam_role_arn, endpoint },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connector::registry::Only;

    fn parse(keys: &str) -> Result<NeptuneCsvConfig, String> {
        Only::<NeptuneCsvConfig>::parse(&format!("targets:\n  out:\n    database: neptune-csv\n{keys}"), "out")
    }

    #[test]
    fn defaults() {
        let c = parse("    path: export\n").unwrap();
        assert_eq!(c.path, Path::new("/p/export"));
        assert_eq!(c.parts, PartOptions { max_bytes: 512 * 1024 * 1024, gzip: false });
        assert_eq!(c.temporal_encoding, TemporalEncoding::DateTime);
        assert_eq!((c.loader.mode.as_str(), c.loader.parallelism.as_str(), c.loader.fail_on_error), ("AUTO", "HIGH", true));
    }

    #[test]
    fn every_key() {
        let c = parse(
            "    path: /x\n    max_file_mb: 2\n    gzip: true\n    temporal_encoding: string\n    load_mode: resume\n    \
             parallelism: oversubscribe\n    fail_on_error: false\n    s3_uri: s3://b/p/\n    region: eu-west-1\n    \
             iam_role_arn: arn:aws:iam::1:role/r\n    endpoint: https://h:8182/\n",
        )
        .unwrap();
        assert_eq!(c.parts, PartOptions { max_bytes: 2 * 1024 * 1024, gzip: true });
        assert_eq!(c.temporal_encoding, TemporalEncoding::String);
        assert_eq!(c.loader.mode, "RESUME");
        assert_eq!(c.loader.parallelism, "OVERSUBSCRIBE");
        assert!(!c.loader.fail_on_error);
        assert_eq!(c.loader.s3_uri.as_deref(), Some("s3://b/p"));
        assert_eq!(c.loader.endpoint.as_deref(), Some("https://h:8182"));
    }

    #[test]
    fn bad_values_name_their_key() {
        for (keys, key) in [
            ("    path: x\n    max_file_mb: 0\n", "max_file_mb"),
            ("    path: x\n    s3_uri: bucket/p\n", "s3_uri"),
            ("    path: x\n    parallelism: huge\n", "parallelism"),
            ("    max_file_mb: 1\n", "path"),
        ] {
            let e = parse(keys).unwrap_err();
            assert!(e.contains(key), "{keys}: {e}");
        }
    }
}
