//! `graphferry targets`: list the config's targets, and with `--check`, try each one.

use clap::Args;

use super::GlobalArgs;
use crate::connector;
use crate::ui::{TargetRow, Ui};

#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    graphferry targets\n  \
    graphferry targets --check\n  \
    graphferry --config other/nodestream.yaml targets --check --json")]
pub struct TargetsArgs {
    /// Connect to each target and report whether it can be reached
    #[arg(long)]
    pub check: bool,
}

pub async fn exec(global: &GlobalArgs, args: TargetsArgs, ui: &Ui) -> anyhow::Result<()> {
    let config = global.load_config()?;
    let mut rows = Vec::new();
    let mut failed = 0;
    for (name, target) in config.targets() {
        let row = match target {
            Err(e) => {
                failed += 1;
                TargetRow { name: name.to_string(), database: None, status: Err(e.to_string()) }
            }
            Ok(t) if args.check => {
                let status = connector::check(t).await.map_err(|e| e.to_string());
                failed += usize::from(status.is_err());
                TargetRow { name: name.to_string(), database: Some(t.database), status }
            }
            Ok(t) => TargetRow { name: name.to_string(), database: Some(t.database), status: Ok("valid".into()) },
        };
        rows.push(row);
    }
    ui.targets(&config.path, &rows);
    if failed > 0 {
        anyhow::bail!(
            "{failed} of {} target(s) {}",
            rows.len(),
            if args.check { "failed the check" } else { "are invalid" }
        );
    }
    Ok(())
}
