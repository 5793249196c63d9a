//! The command line as a user meets it: exit codes, help text and flag spellings. No server
//! needed.

use predicates::prelude::*;

use crate::support::{example_dump, graphferry, Project};

/// A project with the example dump as `example` and an output file as `out`.
fn project() -> Project {
    Project::new(&format!(
        "  example:\n    database: file\n    path: {}\n  out:\n    database: file\n    path: out.jsonl\n",
        example_dump().display()
    ))
}

#[test]
fn help_lists_every_exit_code() {
    graphferry().arg("--help").assert().success().stdout(
        predicate::str::contains("0 success")
            .and(predicate::str::contains("1 failure"))
            .and(predicate::str::contains("2 usage error"))
            .and(predicate::str::contains("130 stopped by Ctrl-C")),
    );
}

#[test]
fn usage_errors_exit_2() {
    let p = project();
    // A bad flag, an unknown target (either side), a missing config file, a missing selection.
    p.cmd().args(["copy", "--source", "example", "--target", "out", "--all", "--bogus"]).assert().code(2);
    p.cmd().args(["copy", "--source", "example", "--target", "nope", "--all"]).assert().code(2);
    p.cmd().args(["verify", "--source", "nope", "--target", "out"]).assert().code(2);
    p.cmd().args(["migrations", "show", "--target", "nope"]).assert().code(2);
    graphferry()
        .current_dir(p.dir.path())
        .args(["--config", "absent.yaml", "targets"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot read config file `absent.yaml`"));
    // A config file that is there but broken is a failure, not a usage error.
    let broken = Project::new("  a:\n    database: file\n   path: [unclosed\n");
    broken.cmd().args(["copy", "--source", "a", "--target", "a", "--all"]).assert().code(1);
}

#[test]
fn copy_onto_its_source_is_refused() {
    let p = Project::new(&format!(
        "  example:\n    database: file\n    path: {0}\n  again:\n    database: file\n    path: {0}\n",
        example_dump().display()
    ));
    p.cmd()
        .args(["copy", "--source", "example", "--target", "example", "--all"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--source and --target are both `example`"));
    p.cmd()
        .args(["copy", "--source", "example", "--target", "again", "--all", "--dry-run"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("are the same database"));
}
