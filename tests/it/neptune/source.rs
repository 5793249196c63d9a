//! Reading out of Neptune from the CLI: records Neptune gave ids itself, and selections by label
//! and relationship type.

use super::expect::read;
use super::server::TestServer;
use crate::support::Project;

fn project(server: &TestServer) -> Project {
    Project::new(&format!("{}  out:\n    database: file\n    path: out.jsonl\n", server.target("np", false)))
}

fn copy_out(p: &Project, selection: &[&str]) -> assert_cmd::assert::Assert {
    p.cmd().args(["copy", "--source", "np", "--target", "out"]).args(selection).env_remove("AWS_ACCESS_KEY_ID").assert()
}

/// Nodes and relationships created without `~id` get ids from Neptune and are copied like any
/// other: none is skipped while the counts include it.
#[test]
fn records_created_without_an_id_are_copied() {
    let server = TestServer::start("source_generated_ids", &[]);
    server.query("CREATE (a:Gen {name: 'a'})-[:LINKS {w: 1}]->(b:Gen {name: 'b'}), (:Other)");
    let p = project(&server);
    copy_out(&p, &["--all"]).success();
    let out = read(&p.path("out.jsonl"));
    assert_eq!(out.nodes.len(), 3, "every node copied");
    assert_eq!(out.relationships.len(), 1, "the relationship copied");
    let rel = out.relationships.values().next().unwrap();
    assert!(out.nodes.contains_key(&rel.start) && out.nodes.contains_key(&rel.end), "endpoints are copied ids");
}
