//! The import command line for the written file sets, and the README beside them. Options per
//! https://neo4j.com/docs/operations-manual/current/import/ (`full` import): `--nodes` and
//! `--relationships` take `header,part1,part2...`; `--array-delimiter` is the one chosen for
//! this export (a control character written `U+001F`, a form the option accepts:
//! "Also accepts 'TAB' and e.g. 'U+20AC'", its help text); `--multiline-fields=true` because
//! values may hold line breaks; `--id-type=string` as the ids are source ids. The README's
//! block runs as printed with the real import tool (Neo4j 5.26) in tests/it/bulk/admin.rs.

use std::io;
use std::path::Path;

use super::Neo4jAdminCsvConfig;
use crate::connector::bulk::{FileSet, Kind};

fn sh(text: &str) -> String {
    if text.chars().all(|c| c.is_ascii_alphanumeric() || "-_./=,".contains(c)) {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}

/// The command, run from inside the export folder.
pub fn command(cfg: &Neo4jAdminCsvConfig, sets: &[FileSet], root: &Path, delimiter: char) -> String {
    let relative = |p: &Path| p.strip_prefix(root).unwrap_or(p).display().to_string();
    let mut lines = vec![format!("neo4j-admin database import full {}", sh(&cfg.database_name))];
    lines.push("  --id-type=string --multiline-fields=true".into());
    // A control character is named `U+001F`, which the option accepts.
    let delimiter = if delimiter.is_control() { format!("U+{:04X}", delimiter as u32) } else { sh(&delimiter.to_string()) };
    lines.push(format!("  --array-delimiter={delimiter}"));
    for set in sets {
        let flag = match set.group.kind {
            Kind::Nodes => "--nodes",
            Kind::Relationships => "--relationships",
        };
        let files: Vec<String> = set.header.iter().chain(&set.parts).map(|p| relative(p)).collect();
        lines.push(format!("  {flag}={}", sh(&files.join(","))));
    }
    lines.join(" \\\n")
}

pub fn write_readme(dir: &Path, cfg: &Neo4jAdminCsvConfig, sets: &[FileSet], command: &str) -> io::Result<()> {
    let rows = |kind| sets.iter().filter(|s| s.group.kind == kind).map(|s| s.rows).sum::<u64>();
    let text = format!(
        "# neo4j-admin import files, written by graphferry\n\n\
         {} node rows and {} relationship rows, one file set (a header file and its data files) per\n\
         label set or relationship type. Stop the database (or import into a new one), then run from\n\
         this folder:\n\n```sh\ncd {}\n{command}\n```\n\n\
         Every node carries the label `{}` and the property `{}` (its source id), every relationship\n\
         the property `{}`, as the `neo4j` query path writes them: a later `graphferry copy` into this\n\
         database updates the same nodes and relationships (it creates the constraint it needs).\n",
        rows(Kind::Nodes),
        rows(Kind::Relationships),
        sh(&cfg.path.display().to_string()),
        cfg.source_id_label,
        cfg.source_id_property,
        cfg.source_id_property
    );
    std::fs::write(dir.join("README.md"), text)
}
