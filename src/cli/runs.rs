//! `graphferry runs`: list the copy runs recorded beside the config, and what each did.

use clap::Args;

use super::copy::RunsDirArg;
use super::GlobalArgs;
use crate::pipeline::journal::RunFolder;
use crate::ui::Ui;

#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    graphferry runs\n  \
    graphferry runs --target my-neo4j-database\n\n\
    Each copy is a run, its id time-sortable; `graphferry rollback --target T --run RUN` undoes one.")]
pub struct RunsArgs {
    /// Only the runs into this target (by name, or by the database it points at)
    #[arg(long, short = 't', visible_alias = "to", value_name = "NAME")]
    pub target: Option<String>,

    #[command(flatten)]
    pub runs: RunsDirArg,
}

pub async fn exec(global: &GlobalArgs, args: RunsArgs, ui: &Ui) -> anyhow::Result<()> {
    let mut runs = RunFolder::list(&args.runs.dir(&global.config));
    if let Some(target) = &args.target {
        // A config that does not load only loses the match by location.
        let config = global.load_config().ok();
        let location = config.as_ref().and_then(|c| c.target(target).ok()).map(|t| t.settings.location());
        runs.retain(|(_, r)| r.target == *target || location.as_deref() == Some(r.target_location.as_str()));
    }
    let records: Vec<_> = runs.into_iter().map(|(_, r)| r).collect();
    ui.runs(&records);
    Ok(())
}
