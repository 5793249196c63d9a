//! Reading out of Neptune from the CLI: records Neptune gave ids itself, and selections by label
//! and relationship type.

use graphferry::connector::registry::load_config;
use graphferry::connector::{connect_source, ConnectorError, Page, ResumeToken, Selection};
use graphferry::model::{Node, Relationship};
use tokio::sync::mpsc;

use super::expect::read;
use super::server::{block_on, TestServer};
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

/// `A` and `B` nodes (one carries both), endpoints of `T` and `U` beyond them, and a `V`
/// relationship and a `Z` node that are not selected.
const GRAPH: &str = "CREATE (a:A {`~id`: 'a1'}), (:A:B {`~id`: 'ab1'}), (:B {`~id`: 'b1'}), \
     (c:C {`~id`: 'c1'}), (:C {`~id`: 'c2'}), (d:D {`~id`: 'd1'}), (e:E {`~id`: 'e1'}), (:Z {`~id`: 'z1'}), \
     (c)-[:T {`~id`: 't1'}]->(a), (d)-[:U {`~id`: 'u1'}]->(c), (e)-[:T {`~id`: 't2'}]->(e), \
     (c)-[:V {`~id`: 'v1'}]->(d)";

/// A selection is read on the server label by label: a node with two selected labels once,
/// each endpoint of a selected type once (also when it is both start and end, or endpoint of
/// two types), across pages of one record, and the dry run counts what the copy writes.
#[test]
fn a_selection_reads_each_selected_node_once() {
    let server = TestServer::start("source_selection", &[]);
    server.query(GRAPH);
    let p = project(&server);
    let selection = ["--node", "B", "--node", "A", "--relationship", "T", "--relationship", "U"];
    copy_out(&p, &[&selection[..], &["--dry-run", "--json"]].concat()).success().stdout(
        predicates::function::function(|out: &str| {
            let v: serde_json::Value = serde_json::from_str(out.trim()).expect("one JSON object");
            v["nodes"] == 6 && v["relationships"] == 3 && v["labels"]["A"] == 2 && v["labels"]["C"] == 1
        }),
    );
    copy_out(&p, &[&selection[..], &["--batch-size", "1"]].concat())
        .success()
        .stdout(predicates::str::contains("Copied 6 nodes and 3 relationships"));
    let out = read(&p.path("out.jsonl"));
    let ids: Vec<&str> = out.nodes.keys().map(String::as_str).collect();
    assert_eq!(ids, ["a1", "ab1", "b1", "c1", "d1", "e1"]);
    let rels: Vec<&str> = out.relationships.keys().map(String::as_str).collect();
    assert_eq!(rels, ["t1", "t2", "u1"]);

    copy_out(&p, &["--relationship", "V"])
        .success()
        .stdout(predicates::str::contains("Copied 2 nodes and 1 relationship"));
}

/// Selecting a label costs requests for that label only: one count, one page.
#[test]
fn a_label_selection_reads_only_that_label() {
    let server = TestServer::start("source_label_requests", &[]);
    server.query(GRAPH);
    let p = project(&server);
    server.reset();
    copy_out(&p, &["--node", "Z"]).success().stdout(predicates::str::contains("Copied 1 node"));
    assert_eq!(server.counters()["requests"], 2, "one count and one page: {}", server.counters());
}

/// Analytics pages relationships by start node (its relationship ids are recycled); a type
/// selection pages only through the start nodes of that type.
#[test]
fn analytics_reads_a_relationship_type_by_its_start_nodes() {
    let server = TestServer::start("source_analytics_types", &["--mode", "analytics"]);
    // Analytics refuses relationship ids in CREATE.
    let graph =
        ["t1", "u1", "t2", "v1"].iter().fold(GRAPH.to_string(), |g, id| g.replace(&format!(" {{`~id`: '{id}'}}"), ""));
    server.analytics_query(&graph);
    let p = Project::new(&format!("{}  out:\n    database: file\n    path: out.jsonl\n", server.target("np", true)));
    copy_out(&p, &["--relationship", "T", "--batch-size", "1"])
        .success()
        .stdout(predicates::str::contains("Copied 3 nodes and 2 relationships"));
    let out = read(&p.path("out.jsonl"));
    assert!(out.relationships.values().all(|r| r.rel_type == "T"));
}

/// The ids of each page a read sends, with the page's token.
async fn pages<T>(
    read: impl std::future::Future<Output = Result<(), ConnectorError>>,
    mut rx: mpsc::Receiver<Page<T>>,
    id: fn(&T) -> String,
) -> Vec<(Vec<String>, ResumeToken)> {
    read.await.expect("read");
    let mut out = Vec::new();
    while let Some(page) = rx.recv().await {
        out.push((page.records.iter().map(id).collect(), page.next));
    }
    out
}

/// Reading on from any page's token yields exactly what followed that page, across the scans of
/// a selection (labels, then endpoints; type after type).
#[test]
fn a_read_resumed_from_any_token_continues_exactly_after_it() {
    let server = TestServer::start("source_resume_tokens", &[]);
    server.query(GRAPH);
    let p = project(&server);
    let config = load_config(&p.config()).expect("config");
    let selection =
        Selection::Only { labels: vec!["B".into(), "A".into()], relationship_types: vec!["U".into(), "T".into()] };
    block_on(async {
        let source = connect_source(config.target("np").expect("np")).await.expect("source");
        let nodes = |after: Option<ResumeToken>| {
            let (tx, rx) = mpsc::channel(100);
            pages(source.read_nodes(&selection, 1, after, tx), rx, |n: &Node| n.id.clone())
        };
        let all = nodes(None).await;
        let ids: Vec<String> = all.iter().flat_map(|(ids, _)| ids.clone()).collect();
        assert_eq!(ids, ["a1", "ab1", "b1", "c1", "d1", "e1"], "labels A, B, then the endpoints");
        for (i, (_, token)) in all.iter().enumerate() {
            let rest: Vec<String> = nodes(Some(token.clone())).await.into_iter().flat_map(|(ids, _)| ids).collect();
            assert_eq!(rest, ids[i + 1..], "resumed after page {i} ({token:?})");
        }
        let rels = |after: Option<ResumeToken>| {
            let (tx, rx) = mpsc::channel(100);
            pages(source.read_relationships(&selection, 1, after, tx), rx, |r: &Relationship| r.id.clone())
        };
        let all = rels(None).await;
        let ids: Vec<String> = all.iter().flat_map(|(ids, _)| ids.clone()).collect();
        assert_eq!(ids, ["t1", "t2", "u1"]);
        for (i, (_, token)) in all.iter().enumerate() {
            let rest: Vec<String> = rels(Some(token.clone())).await.into_iter().flat_map(|(ids, _)| ids).collect();
            assert_eq!(rest, ids[i + 1..], "resumed after page {i} ({token:?})");
        }
    });
}
