//! Flag parsing: each flag's parse, defaults, and the usage errors.

use clap::Parser;

use super::{Cli, Command};
use crate::connector::{Selection, WriteMode};

fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
    Cli::try_parse_from(std::iter::once("graphferry").chain(args.iter().copied()))
}

fn copy_args(args: &[&str]) -> super::copy::CopyArgs {
    match parse(args).expect("parses").command {
        Command::Copy(c) => c,
        other => panic!("not copy: {other:?}"),
    }
}

#[test]
fn global_defaults() {
    let cli = parse(&["targets"]).unwrap();
    assert_eq!(cli.global.config, std::path::Path::new("nodestream.yaml"));
    assert!(!cli.global.json);
    assert_eq!(cli.global.verbose, 0);
}

#[test]
fn global_flags_anywhere() {
    let cli =
        parse(&["copy", "--source", "a", "--target", "b", "--all", "--json", "--config", "x.yaml", "-vv"]).unwrap();
    assert!(cli.global.json);
    assert_eq!(cli.global.config, std::path::Path::new("x.yaml"));
    assert_eq!(cli.global.verbose, 2);
    assert!(parse(&["-q", "-v", "targets"]).is_err(), "quiet and verbose conflict");
}

#[test]
fn config_takes_nodestreams_project_spellings() {
    for flag in ["--config", "--project", "-p"] {
        let cli = parse(&["targets", flag, "x.yaml"]).unwrap();
        assert_eq!(cli.global.config, std::path::Path::new("x.yaml"), "{flag}");
    }
    let cli = parse(&["-p", "y.yaml", "copy", "-f", "a", "-t", "b", "-a", "-q"]).unwrap();
    assert_eq!(cli.global.config, std::path::Path::new("y.yaml"));
    assert!(cli.global.quiet);
}

#[test]
fn copy_takes_nodestreams_spellings() {
    let c = copy_args(&["copy", "--from", "a", "--to", "b", "--all"]);
    assert_eq!((c.source.as_str(), c.target.as_str(), c.all), ("a", "b", true));
    let c = copy_args(&["copy", "-f", "a", "-t", "b", "-a"]);
    assert_eq!((c.source.as_str(), c.target.as_str(), c.all), ("a", "b", true));
    let c = copy_args(&["copy", "-f", "a", "-t", "b", "-n", "Person", "-n", "Movie", "-r", "KNOWS", "-v"]);
    assert_eq!(
        c.selection().unwrap(),
        Selection::Only { labels: vec!["Person".into(), "Movie".into()], relationship_types: vec!["KNOWS".into()] }
    );
    assert!(parse(&["copy", "--source", "a", "--from", "b", "-t", "c", "-a"]).is_err(), "one source only");
    assert!(parse(&["copy", "-f", "a", "-t", "b", "-a", "-n", "X"]).is_err(), "-a excludes -n");
}

#[test]
fn copy_defaults_and_flags() {
    let c = copy_args(&["copy", "--source", "a", "--target", "b", "--all"]);
    assert_eq!((c.batch_size, c.concurrency, c.mode, c.max_attempts), (None, None, WriteMode::Merge, 8));
    assert!(!c.dry_run && !c.force && !c.strict_types);
    assert_eq!(c.selection().unwrap(), Selection::All);
    assert!(copy_args(&["copy", "--source", "a", "--target", "b", "--all", "--strict-types"]).strict_types);
    use crate::connector::keyed::MissingKey;
    assert_eq!(c.missing_key, MissingKey::Fail, "a node without its key fails the copy by default");
    let fallback = copy_args(&["copy", "--source", "a", "--target", "b", "--all", "--missing-key", "source-id"]);
    assert_eq!(fallback.missing_key, MissingKey::SourceId);
    assert!(parse(&["copy", "-f", "a", "-t", "b", "-a", "--missing-key", "skip"]).is_err(), "never dropped");

    let c = copy_args(&[
        "copy",
        "--source",
        "a",
        "--target",
        "b",
        "--node",
        "Person",
        "--node",
        "Movie",
        "--relationship",
        "KNOWS",
        "--batch-size",
        "50",
        "--concurrency",
        "2",
        "--mode",
        "create",
        "--force",
        "--dry-run",
        "--max-attempts",
        "3",
    ]);
    assert_eq!(
        c.selection().unwrap(),
        Selection::Only { labels: vec!["Person".into(), "Movie".into()], relationship_types: vec!["KNOWS".into()] }
    );
    assert_eq!((c.batch_size, c.concurrency, c.mode, c.max_attempts), (Some(50), Some(2), WriteMode::Create, 3));
    assert!(c.dry_run && c.force);
}

#[test]
fn allow_missing_flag() {
    assert!(!copy_args(&["copy", "--source", "a", "--target", "b", "--node", "X"]).allow_missing);
    assert!(copy_args(&["copy", "--source", "a", "--target", "b", "--node", "X", "--allow-missing"]).allow_missing);
}

#[test]
fn all_conflicts_with_node_and_relationship() {
    assert!(parse(&["copy", "--source", "a", "--target", "b", "--all", "--node", "X"]).is_err());
    assert!(parse(&["copy", "--source", "a", "--target", "b", "--all", "--relationship", "X"]).is_err());
}

#[test]
fn no_selection_is_a_helpful_usage_error() {
    let c = copy_args(&["copy", "--source", "a", "--target", "b"]);
    let err = c.selection().unwrap_err().to_string();
    assert!(err.contains("--all") && err.contains("--node") && err.contains("--relationship"), "{err}");
}

#[test]
fn bad_numbers_are_rejected() {
    for bad in [["--batch-size", "0"], ["--concurrency", "0"], ["--batch-size", "x"], ["--max-attempts", "0"]] {
        assert!(parse(&["copy", "--source", "a", "--target", "b", "--all", bad[0], bad[1]]).is_err(), "{bad:?}");
    }
}

#[test]
fn migrations_tree() {
    assert!(parse(&["migrations", "run", "--target", "a", "--target", "b", "--dry-run"]).is_ok());
    assert!(parse(&["migrations", "run", "--all-targets"]).is_ok());
    assert!(parse(&["migrations", "run"]).is_err(), "a target is required");
    assert!(parse(&["migrations", "show", "--target", "a"]).is_ok());
    let Command::Migrations(super::migrations::MigrationsCommand::Show(show)) =
        parse(&["migrations", "show"]).unwrap().command
    else {
        panic!()
    };
    assert_eq!(show.target, None, "without --target: every target");
    assert!(parse(&["migrations", "make", "--from", "a"]).is_ok());
}

#[test]
fn targets_check_flag() {
    let Command::Targets(t) = parse(&["targets", "--check"]).unwrap().command else { panic!() };
    assert!(t.check);
}

#[test]
fn clap_definition_is_consistent() {
    use clap::CommandFactory;
    Cli::command().debug_assert();
}

/// The help text clap prints for `args` (ending in `--help`).
fn help(args: &[&str]) -> String {
    let err = parse(args).expect_err("--help stops parsing");
    assert_eq!(err.kind(), clap::error::ErrorKind::DisplayHelp, "{args:?}");
    err.to_string()
}

#[test]
fn help_shows_global_options_apart() {
    let text = help(&["copy", "--help"]);
    let (own, rest) = text.split_once("Global options:").expect("a Global options heading");
    let global = rest.split_once("Examples:").map_or(rest, |(flags, _)| flags);
    assert!(own.contains("--source") && !own.contains("--config"), "{text}");
    assert!(global.contains("--config") && global.contains("--json") && !global.contains("--source"), "{text}");
}

#[test]
fn migrations_run_help_says_a_target_is_needed() {
    let text = help(&["migrations", "run", "--help"]);
    assert!(text.contains("Either --target NAME (repeatable) or --all-targets is needed"), "{text}");
}

#[test]
fn every_subcommand_help_has_examples() {
    for args in [
        &["copy", "--help"][..],
        &["migrations", "--help"],
        &["migrations", "run", "--help"],
        &["migrations", "show", "--help"],
        &["migrations", "make", "--help"],
        &["targets", "--help"],
        &["verify", "--help"],
    ] {
        assert!(help(args).contains("Examples:"), "{args:?}");
    }
}

#[test]
fn finalize_flags() {
    let args = |a: &[&str]| match parse(a).expect("parses").command {
        Command::Finalize(f) => f,
        other => panic!("not finalize: {other:?}"),
    };
    let f = args(&["finalize", "--target", "dst"]);
    assert_eq!((f.target.as_str(), f.batch_size, f.max_attempts), ("dst", 1000, 8));
    assert_eq!(f.options().batch_size, 1000);
    let f = args(&["finalize", "-t", "dst", "--batch-size", "50", "--max-attempts", "2"]);
    assert_eq!((f.batch_size, f.options().retry.max_attempts), (50, 2));
    assert_eq!(args(&["finalize", "--to", "x"]).target, "x");
    assert!(parse(&["finalize"]).is_err(), "--target is required");
    assert!(parse(&["finalize", "-t", "x", "--batch-size", "0"]).is_err());
    assert!(copy_args(&["copy", "-f", "a", "-t", "b", "-a", "--finalize"]).finalize);
    assert!(!copy_args(&["copy", "-f", "a", "-t", "b", "-a"]).finalize);
}

#[test]
fn transform_flags() {
    let copy = |extra: &[&str]| copy_args(&[&["copy", "--source", "a", "--target", "b", "--all"][..], extra].concat());
    let c = copy(&["--transform", "t.yaml", "--dry-run", "--show-values"]);
    assert_eq!((c.transform.as_deref(), c.show_values), (Some(std::path::Path::new("t.yaml")), true));
    let c = copy(&[]);
    assert_eq!((c.transform, c.show_values), (None, false));
    let Command::Verify(v) =
        parse(&["verify", "--source", "a", "--target", "b", "--transform", "t.yaml"]).unwrap().command
    else {
        panic!("verify")
    };
    assert_eq!(v.transform.as_deref(), Some(std::path::Path::new("t.yaml")));
}
