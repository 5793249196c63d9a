//! `graphferry verify`: compare a target with its source after a copy.

use clap::{ArgAction, Args};

use std::collections::BTreeMap;

use super::migrations::FolderArg;
use super::GlobalArgs;
use crate::connector::{self, Selection};
use crate::migrations;
use crate::pipeline::transform::TransformedSource;
use crate::ui::Ui;
use crate::verify::{self, Depth, Sides};

#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    graphferry verify --source my-neo4j-database --target my-neptune-database\n  \
    graphferry verify --source A --target B --node Person --sample 100\n  \
    graphferry verify --source A --target B --full\n\n\
    Exit codes: 0 everything matches, 1 something differs (the report lists the first \
    differences with their source ids), 2 usage error.")]
pub struct VerifyArgs {
    /// Target the data was copied from
    #[arg(long, value_name = "NAME")]
    pub source: String,

    /// Target the data was copied to
    #[arg(long, value_name = "NAME")]
    pub target: String,

    /// Check only nodes with this label (repeatable; default: everything)
    #[arg(long, value_name = "LABEL", action = ArgAction::Append)]
    pub node: Vec<String>,

    /// Check only relationships of this type and their endpoints (repeatable)
    #[arg(long, value_name = "TYPE", action = ArgAction::Append)]
    pub relationship: Vec<String>,

    /// Records of each kind compared field by field, spread over the graph (0: counts only)
    #[arg(long, value_name = "N", default_value_t = 1000, conflicts_with = "full")]
    pub sample: usize,

    /// Compare every record field by field
    #[arg(long)]
    pub full: bool,

    /// Apply this transform file to the source side before comparing, as the copy did
    /// (default: the target's `transform:` key)
    #[arg(long, value_name = "FILE")]
    pub transform: Option<std::path::PathBuf>,

    #[command(flatten)]
    pub folder: FolderArg,

    #[command(flatten)]
    pub mapping: super::map::MappingArg,
}

impl VerifyArgs {
    pub fn selection(&self) -> Selection {
        if self.node.is_empty() && self.relationship.is_empty() {
            Selection::All
        } else {
            Selection::Only { labels: self.node.clone(), relationship_types: self.relationship.clone() }
        }
    }

    pub fn depth(&self) -> Depth {
        match (self.full, self.sample) {
            (true, _) => Depth::Full,
            (false, 0) => Depth::Counts,
            (false, n) => Depth::Sample(n),
        }
    }
}

pub async fn exec(global: &GlobalArgs, args: VerifyArgs, ui: &Ui) -> anyhow::Result<()> {
    let mut config = global.load_config()?;
    args.mapping.apply(&mut config, &args.source)?;
    // The copy identified keyed nodes by their migration keys; verify looks them up the same way.
    let node_keys =
        migrations::load(&migrations::folder(&config.path, args.folder.migrations.as_deref()))?.node_keys()?;
    let transform = super::transform_for(args.transform.as_deref(), config.target(&args.target)?)?;
    run(&config, &args.source, &args.target, &args.selection(), args.depth(), &node_keys, transform.as_deref(), ui)
        .await
}

/// Verifies and prints the report; a difference is an error (exit 1).
#[allow(clippy::too_many_arguments)] // each is one thing a copy hands on to its --verify
pub async fn run(
    config: &crate::connector::registry::Config,
    source_name: &str,
    target_name: &str,
    selection: &Selection,
    depth: Depth,
    node_keys: &BTreeMap<String, Vec<String>>,
    transform: Option<&crate::pipeline::transform::Transform>,
    ui: &Ui,
) -> anyhow::Result<()> {
    let source_cfg = config.target(source_name)?;
    let target_cfg = config.target(target_name)?;
    let mut source = connector::connect_source(source_cfg).await?;
    if let Some(t) = transform.filter(|t| !t.is_empty()) {
        source = Box::new(TransformedSource::new(source, t.clone()));
    }
    let target = connector::connect_source(target_cfg).await?;
    let lookup = connector::connect_lookup(target_cfg, node_keys).await?;
    let names = Sides { source: source_name, target: target_name };
    let report = verify::verify(names, source.as_ref(), target.as_ref(), lookup.as_ref(), selection, depth).await?;
    ui.verify_report(source_name, target_name, &report);
    if report.ok() {
        Ok(())
    } else {
        Err(Differs(report.differences_found).into())
    }
}

/// The target differs from the source (exit code 1, like any failure).
#[derive(Debug, thiserror::Error)]
#[error("the target differs from the source ({0} record difference(s); see the report)")]
pub struct Differs(pub u64);
