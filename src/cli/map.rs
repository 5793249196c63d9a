//! `graphferry map`: print the mapping graphferry infers from a relational source (tables to
//! nodes, foreign keys and join tables to relationships), to save, edit and pass back with
//! `--mapping FILE`. Also the `--mapping` flag those commands share.

use std::path::PathBuf;

use clap::Args;

use super::GlobalArgs;
use crate::connector::registry::{self, Config};
use crate::ui::Ui;

#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    graphferry map --source my-postgres > mapping.yaml\n  \
    graphferry copy --source my-postgres --target my-neo4j --all --mapping mapping.yaml\n\n\
    The README's PostgreSQL section lists the inference rules, the type rules and the file format.")]
pub struct MapArgs {
    /// Relational target whose mapping to print (a name under `targets:`)
    #[arg(long, short = 'f', visible_alias = "from", value_name = "NAME")]
    pub source: String,
}

pub async fn exec(global: &GlobalArgs, args: MapArgs, ui: &Ui) -> anyhow::Result<()> {
    let config = global.load_config()?;
    let text = registry::inferred_mapping(config.target(&args.source)?).await?;
    ui.mapping(&text);
    Ok(())
}

/// `--mapping FILE`, for commands that read a relational source.
#[derive(Debug, Args, Default)]
pub struct MappingArg {
    /// Read the source through this mapping file (from `graphferry map`, edited) instead of the
    /// target's `mapping:` key or the inferred one
    #[arg(long, value_name = "FILE")]
    pub mapping: Option<PathBuf>,
}

impl MappingArg {
    /// Makes target `source` of `config` read through the mapping file, if one is given.
    pub fn apply(&self, config: &mut Config, source: &str) -> anyhow::Result<()> {
        let Some(file) = &self.mapping else { return Ok(()) };
        let target = config.target_mut(source)?;
        target.settings = registry::with_mapping(target, file)?;
        Ok(())
    }
}
