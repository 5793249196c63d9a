//! Labels, relationship types and property names with any characters (issue 14, point 5)
//! through migrations, a keyed copy and verify, on the Bolt server: the shared test graph's
//! names (spaces, backticks, both quotes, unicode, leading digits) in nodestream migration files
//! that create keys and indexes on them, then a Bolt → Bolt copy keyed on them, re-run, and
//! `verify --full`.

use serde_json::Value as Json;

use super::graph::{assert_same, load, read, Ids};
use super::server::{Db, Server};
use crate::support::Project;

crate::on_every_server!(migrations_keys_copy_and_verify_take_names_with_any_characters);

/// YAML flow scalars in double quotes: `"it's \"quoted\""`.
const MIGRATION: &str = r#"name: '0001'
dependencies: []
operations:
- {operation: CreateNodeType, arguments: {name: "it's \"quoted\"", keys: ["it's \"p\""], properties: ["9lives"]}}
- {operation: CreateNodeType, arguments: {name: "we`ird lab", keys: ["pr op`x"], properties: []}}
- {operation: AddAdditionalNodePropertyIndex, arguments: {node_type: "ünï 𝄞 label", field_name: "ünï prop"}}
- {operation: CreateRelationshipType, arguments: {name: "it's \"T\"", keys: [], properties: ["1x"]}}
- {operation: AddAdditionalRelationshipPropertyIndex, arguments: {relationship_type: "it's \"T\"", field_name: "1x"}}
- {operation: AddNodeProperty, arguments: {node_type: "1st", property_name: "dëfault 'd'", default: "v"}}
"#;

async fn rows(db: &Db, text: &str) -> Vec<Json> {
    db.rows(text).await
}

async fn migrations_keys_copy_and_verify_take_names_with_any_characters(server: Server) {
    let (src, dst) = server.pair("names").await;
    let bolt = src.bolt().await;
    load(&bolt, &src.name).await;
    let expected = read(&bolt, &src.name, Ids::Element).await;
    let target = dst.bolt().await;
    let p = Project::new(&(src.yaml("src") + &dst.yaml("dst")));
    std::fs::create_dir(p.path("migrations")).unwrap();
    std::fs::write(p.path("migrations/0001.yaml"), MIGRATION).unwrap();

    p.cmd().args(["migrations", "run", "--target", "dst", "--dry-run"]).assert().success();
    p.cmd().args(["migrations", "run", "--target", "dst"]).assert().success();
    let constraints: Vec<String> =
        rows(&dst, "SHOW CONSTRAINTS").await.iter().filter_map(|r| r["name"].as_str().map(str::to_string)).collect();
    for name in ["it's \"quoted\"_node_key", "we`ird lab_node_key"] {
        assert!(constraints.iter().any(|c| c == name), "{name} in {constraints:?}");
    }
    let indexes: Vec<String> =
        rows(&dst, "SHOW INDEXES").await.iter().filter_map(|r| r["name"].as_str().map(str::to_string)).collect();
    for name in ["ünï 𝄞 label_ünï prop_additional_index", "it's \"T\"_1x_additional_index"] {
        assert!(indexes.iter().any(|i| i == name), "{name} in {indexes:?}");
    }

    // The copy is keyed on the quoted label's and the backtick label's keys, twice (the second
    // run finds every node by its keys and creates nothing), and verifies in full.
    for _ in 0..2 {
        p.cmd().args(["copy", "--source", "src", "--target", "dst", "--all", "--batch-size", "3"]).assert().success();
        assert_same(
            &expected,
            &read(&target, &dst.name, Ids::Copied).await,
            "Bolt→Bolt keyed on names with any characters",
        );
    }
    p.cmd().args(["verify", "--source", "src", "--target", "dst", "--full"]).assert().success();
    // The source's own migration runs too: data operations on such names change the data.
    p.cmd().args(["migrations", "run", "--target", "src"]).assert().success();
    let defaulted = rows(&src, "MATCH (n:`1st`) RETURN n.`dëfault 'd'` AS d").await;
    assert_eq!(defaulted.first().map(|r| r["d"].clone()), Some(Json::from("v")), "{defaulted:?}");
}
