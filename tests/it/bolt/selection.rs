//! `--node` / `--relationship` selection (relationship endpoints included) and `--dry-run`
//! counts, against the server.

use super::graph::{assert_same, load, read, Graph, Ids};
use super::server::Server;
use crate::support::Project;

crate::on_every_server!(
    selection_copies_labels_and_relationships_with_their_endpoints,
    dry_run_of_everything_counts_the_whole_graph
);

/// The part of `g` a selection should copy: nodes with one of `labels` or at an end of a
/// relationship of one of `types`, and those relationships.
fn subgraph(g: &Graph, labels: &[&str], types: &[&str]) -> Graph {
    let mut out = Graph::default();
    for (id, (t, s, e, props)) in &g.relationships {
        if types.contains(&t.as_str()) {
            out.relationships.insert(id.clone(), (t.clone(), s.clone(), e.clone(), props.clone()));
            for end in [s, e] {
                out.nodes.insert(end.clone(), g.nodes[end].clone());
            }
        }
    }
    for (id, node) in &g.nodes {
        if node.0.iter().any(|l| labels.contains(&l.as_str())) {
            out.nodes.insert(id.clone(), node.clone());
        }
    }
    out
}

async fn selection_copies_labels_and_relationships_with_their_endpoints(server: Server) {
    let (src, mut dst) = server.pair("sel").await;
    let bolt = src.bolt().await;
    load(&bolt, &src.name).await;
    let full = read(&bolt, &src.name, Ids::Element).await;

    for (labels, types) in [
        (&["Movie"][..], &["LIKES"][..]),
        (&[][..], &["KNOWS"][..]),
        (&["we`ird lab"][..], &[][..]),
        (&[][..], &["ACTED IN"][..]),
        (&["it's \"quoted\""][..], &["back`tick"][..]),
        (&["1st"][..], &["1st ünï", "it's \"T\""][..]),
    ] {
        dst.renew("sel_dst").await;
        let target = dst.bolt().await;
        let p = Project::new(&(src.yaml("src") + &dst.yaml("dst")));
        let mut args: Vec<&str> = vec!["copy", "--source", "src", "--target", "dst"];
        for l in labels {
            args.extend(["--node", l]);
        }
        for t in types {
            args.extend(["--relationship", t]);
        }
        let expected = subgraph(&full, labels, types);
        let what = format!("--node {labels:?} --relationship {types:?}");

        let out = p.cmd().args(&args).args(["--dry-run", "--json"]).assert().success();
        let stdout = String::from_utf8_lossy(&out.get_output().stdout).to_string();
        let plan: serde_json::Value = stdout
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .find(|v| v["event"] == "dry_run")
            .unwrap_or_else(|| panic!("{what}: no dry_run event in {stdout}"));
        assert_eq!(plan["nodes"], expected.nodes.len(), "{what}: {plan}");
        assert_eq!(plan["relationships"], expected.relationships.len(), "{what}: {plan}");
        let mut per_label = std::collections::BTreeMap::<String, u64>::new();
        for (node_labels, _) in expected.nodes.values() {
            for l in node_labels {
                *per_label.entry(l.clone()).or_default() += 1;
            }
        }
        assert_eq!(plan["labels"], serde_json::json!(per_label), "{what}: {plan}");
        assert!(read(&target, &dst.name, Ids::Copied).await.nodes.is_empty(), "{what}: the dry run wrote");

        p.cmd().args(&args).assert().success();
        assert_same(&expected, &read(&target, &dst.name, Ids::Copied).await, &what);
    }
}

async fn dry_run_of_everything_counts_the_whole_graph(server: Server) {
    let src = server.database("dry_src").await;
    load(&src.bolt().await, &src.name).await;
    let p = Project::new(&(src.yaml("src") + "  dump:\n    database: file\n    path: d.jsonl\n"));
    let out = p.cmd().args(["copy", "--source", "src", "--target", "dump", "--all", "--dry-run"]).assert().success();
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert!(stdout.contains("would copy 5 nodes and 10 relationships"), "{stdout}");
    assert!(!p.path("d.jsonl").exists());
}
