//! A failed batch is named by the write that failed (issue 14, point 6): a batch holding two
//! relationship types goes out as one write per type, and when the second type's write fails
//! the message names that type and its first source id, not the batch's first record's
//! (`NEXT`, `r1`). Into Bolt and into Neptune (the test server), from a dump.

use predicates::prelude::*;

use crate::bolt::server::{bolt_url, fresh_database, target_yaml};
use crate::neptune::server::TestServer;
use crate::support::Project;

/// Two nodes, a `NEXT` relationship `r1`, then an `OTHER` one `r2` holding a map (which Neo4j
/// cannot store) and a date (which Neptune stores only converted, so `--strict-types` refuses it).
const DUMP: &str = concat!(
    r#"{"kind":"header","format":"graphferry-dump","version":1}"#,
    "\n",
    r#"{"kind":"node","id":"a","labels":["Stop"],"properties":{}}"#,
    "\n",
    r#"{"kind":"node","id":"b","labels":["Stop"],"properties":{}}"#,
    "\n",
    r#"{"kind":"relationship","id":"r1","type":"NEXT","start":"a","end":"b","properties":{"n":1}}"#,
    "\n",
    r#"{"kind":"relationship","id":"r2","type":"OTHER","start":"a","end":"b","properties":{"m":{"$map":{"x":1}},"d":{"$date":"2024-02-29"}}}"#,
    "\n",
    r#"{"kind":"end","nodes":2,"relationships":2,"node_labels":{"Stop":2},"relationship_types":{"NEXT":1,"OTHER":1}}"#,
    "\n"
);

fn project(target: &str) -> Project {
    let p = Project::new(&format!("  dump:\n    database: file\n    path: mixed.jsonl\n{target}"));
    std::fs::write(p.path("mixed.jsonl"), DUMP).unwrap();
    p
}

fn assert_names_the_failed_write(out: assert_cmd::assert::Assert) {
    out.code(1).stderr(
        predicate::str::contains("writing a batch of 1 relationships (type OTHER; first source id `r2`) failed")
            .and(predicate::str::contains("type NEXT").not())
            .and(predicate::str::contains("`r1`").not()),
    );
}

#[test]
fn bolt_names_the_type_whose_write_failed() {
    let p = project(&target_yaml("dst", &bolt_url(), &fresh_database("mixed_batch")));
    assert_names_the_failed_write(p.cmd().args(["copy", "--source", "dump", "--target", "dst", "--all"]).assert());
}

#[test]
fn neptune_names_the_type_whose_write_failed() {
    let server = TestServer::start("mixed_batch", &[]);
    let p = project(&server.target("dst", false));
    let out = p
        .cmd()
        .args(["copy", "--source", "dump", "--target", "dst", "--all", "--strict-types"])
        .env_remove("AWS_ACCESS_KEY_ID")
        .assert();
    assert_names_the_failed_write(out);
}
