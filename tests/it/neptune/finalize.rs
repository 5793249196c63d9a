//! `graphferry finalize` against the Neptune test server: Neptune Analytics loses the
//! relationship source-id property and nothing else; Neptune Database has nothing to remove.

use serde_json::Value as Json;

use super::server::TestServer;
use crate::support::{example_dump, Project};

const MARKED: &str = "MATCH ()-[r]->() WHERE r._graphferry_id IS NOT NULL RETURN count(r) AS c";
const NODES: &str = "MATCH (n:NeptuneNode) RETURN count(n) AS c";
const RELATIONSHIPS: &str = "MATCH ()-[r:NeptuneRel]->() RETURN count(r) AS c";

fn project(server: &TestServer, analytics: bool) -> Project {
    let targets = format!(
        "  src:\n    database: file\n    path: {}\n{}",
        example_dump().display(),
        server.target("np", analytics)
    );
    Project::new(&targets)
}

fn finalize_json(p: &Project) -> Json {
    let out = p.cmd().args(["--json", "finalize", "--target", "np", "--batch-size", "100"]).assert().success();
    crate::support::event(&out.get_output().stdout, "finalize")
}

#[test]
fn analytics_loses_the_relationship_source_ids_and_nothing_else() {
    let server = TestServer::start("finalize_analytics", &["--mode", "analytics"]);
    let p = project(&server, true);
    p.cmd().args(["copy", "--source", "src", "--target", "np", "--all"]).assert().success();
    assert_eq!(server.count(MARKED), 767);

    let summary = finalize_json(&p);
    assert_eq!(summary["cleared"], serde_json::json!({"nodes": 0, "relationships": 767}), "{summary}");
    assert_eq!(server.count(MARKED), 0, "no relationship keeps its source-id property");
    assert_eq!((server.count(NODES), server.count(RELATIONSHIPS)), (336, 767), "every record stays");
    let node = server.analytics_query("MATCH (n {`~id`: 'person-3'}) RETURN count(n) AS c");
    assert_eq!(node[0]["c"], 1, "nodes keep their `~id`");

    let again = finalize_json(&p);
    assert_eq!(again["changed"], false, "{again}");
}

#[test]
fn neptune_database_has_nothing_to_remove_and_says_why() {
    let server = TestServer::start("finalize_database", &[]);
    let p = project(&server, false);
    p.cmd().args(["copy", "--source", "src", "--target", "np", "--all"]).assert().success();
    p.cmd()
        .args(["finalize", "--target", "np"])
        .assert()
        .success()
        .stdout(predicates::str::contains("Nothing to finalize in `np`: Neptune Database keeps each record's source"));
    assert_eq!((server.count(NODES), server.count(RELATIONSHIPS)), (336, 767));
}
