//! Bolt (ArcadeDB) → Neptune and back, from the CLI: the seed flow of the product.

use super::expect::{assert_landed, read, write_without};
use super::server::{create_database, drop_database, engine, TestServer};
use crate::support::{example_dump, Project};

fn bolt_target(name: &str, database: &str) -> String {
    let uri = std::env::var("ARCADEDB_BOLT").unwrap_or_else(|_| "bolt://127.0.0.1:7687".into());
    let password = std::env::var("ARCADEDB_ROOT_PASSWORD").unwrap_or_else(|_| "graphferry-test".into());
    format!("  {name}:\n    database: neo4j\n    uri: {uri}\n    username: root\n    password: {password}\n    database_name: {database}\n")
}

fn copy(p: &Project, from: &str, to: &str) {
    p.cmd()
        .args(["copy", "--source", from, "--target", to, "--all"])
        .env_remove("AWS_ACCESS_KEY_ID")
        .assert()
        .success();
}

fn counts(db: &str) -> (i64, i64) {
    let n = engine(db, "MATCH (n) RETURN count(n) AS c")[0]["c"].as_i64().unwrap();
    let r = engine(db, "MATCH ()-[r]->() RETURN count(r) AS c")[0]["c"].as_i64().unwrap();
    (n, r)
}

#[test]
fn bolt_to_neptune_and_back_to_bolt() {
    let server = TestServer::start("bolt", &[]);
    let (src_db, back_db) = ("gf_np_bolt_source", "gf_np_bolt_back");
    create_database(src_db);
    create_database(back_db);
    let p = Project::new(&format!(
        "  dump:\n    database: file\n    path: movies.jsonl\n{}{}{}  as_read:\n    database: file\n    path: as_read.jsonl\n  from_np:\n    database: file\n    path: from_np.jsonl\n",
        bolt_target("bolt", src_db),
        bolt_target("bolt_back", back_db),
        server.target("np", false),
    ));
    // The example minus its showcase node, whose nested list Neo4j cannot store either.
    let movies = write_without(&read(&example_dump()), "Showcase", &p.path("movies.jsonl"));
    let (nodes, relationships) = (movies.nodes.len() as i64, movies.relationships.len() as i64);
    copy(&p, "dump", "bolt");
    // What the Bolt source yields (its ids are the server's element ids) is what must land.
    copy(&p, "bolt", "as_read");
    copy(&p, "bolt", "np");
    copy(&p, "np", "from_np");
    let source = read(&p.path("as_read.jsonl"));
    assert_eq!(source.nodes.len() as i64, nodes);
    assert_landed(&source, &read(&p.path("from_np.jsonl")), |n| n.id.clone());

    copy(&p, "np", "bolt_back");
    assert_eq!(counts(back_db), (nodes, relationships), "Neptune → Bolt brought every record back");
    let titles = engine(back_db, "MATCH (m:Movie) WHERE m.title IS NOT NULL RETURN count(m) AS c");
    assert_eq!(titles[0]["c"], 60);
    drop_database(src_db);
    drop_database(back_db);
}

/// The same Bolt source into Neptune Analytics, signed with SigV4, over TLS: the other half of
/// the acceptance matrix (database mode without IAM is above), checked record by record and by
/// `graphferry verify`.
#[test]
fn bolt_to_neptune_analytics_with_iam_over_tls() {
    let mut flags = vec!["--mode", "analytics", "--tls"];
    flags.extend(TestServer::iam());
    let server = TestServer::start("bolt_analytics", &flags);
    assert!(server.url.starts_with("https://"), "{}", server.url);
    let src_db = "gf_np_bolt_an_source";
    create_database(src_db);
    let p = Project::new(&format!(
        "  dump:\n    database: file\n    path: movies.jsonl\n{}{}  as_read:\n    database: file\n    path: as_read.jsonl\n  from_np:\n    database: file\n    path: from_np.jsonl\n",
        bolt_target("bolt", src_db),
        server.target("np", true),
    ));
    let movies = write_without(&read(&example_dump()), "Showcase", &p.path("movies.jsonl"));
    copy(&p, "dump", "bolt");
    copy(&p, "bolt", "as_read");
    let signed = |args: &[&str]| {
        let mut cmd = p.cmd();
        cmd.args(args)
            .env("AWS_ACCESS_KEY_ID", super::server::AK)
            .env("AWS_SECRET_ACCESS_KEY", super::server::SK)
            .env_remove("AWS_SESSION_TOKEN")
            .env_remove("AWS_PROFILE")
            .env("AWS_SHARED_CREDENTIALS_FILE", p.path("none"))
            .env("AWS_CONFIG_FILE", p.path("none"));
        cmd.assert()
    };
    signed(&["copy", "--source", "bolt", "--target", "np", "--all"]).success();
    // A re-run creates nothing (relationship identity rides in the source-id property here).
    signed(&["copy", "--source", "bolt", "--target", "np", "--all"]).success();
    signed(&["verify", "--source", "bolt", "--target", "np", "--full"]).success();
    signed(&["copy", "--source", "np", "--target", "from_np", "--all"]).success();
    let source = read(&p.path("as_read.jsonl"));
    assert_eq!(source.nodes.len(), movies.nodes.len());
    assert_landed(&source, &read(&p.path("from_np.jsonl")), |n| n.id.clone());
    drop_database(src_db);
}

/// The shared Bolt test graph, whose labels, types and property names hold spaces, backticks,
/// both quotes, unicode and leading digits (issue 14, point 5), into Neptune keyed on two such
/// labels (so their `~id`s hold those characters too), record by record and by `verify --full`.
#[test]
fn names_with_any_characters_into_neptune_and_back() {
    let server = TestServer::start("bolt_names", &[]);
    let src_db = crate::bolt::server::fresh_database("np_names_src");
    super::server::block_on(async {
        let bolt = crate::bolt::server::bolt_at(&crate::bolt::server::bolt_url(), &src_db).await;
        crate::bolt::graph::load(&bolt, &src_db).await;
    });
    let back_db = crate::bolt::server::fresh_database("np_names_back");
    let p = Project::new(&format!(
        "{}{}{}  as_read:\n    database: file\n    path: as_read.jsonl\n  from_np:\n    database: file\n    path: from_np.jsonl\n",
        bolt_target("bolt", &src_db),
        bolt_target("bolt_back", &back_db),
        server.target("np", false),
    ));
    std::fs::create_dir(p.path("migrations")).unwrap();
    std::fs::write(
        p.path("migrations/0001.yaml"),
        r#"name: '0001'
dependencies: []
operations:
- {operation: CreateNodeType, arguments: {name: "it's \"quoted\"", keys: ["it's \"p\""], properties: []}}
- {operation: CreateNodeType, arguments: {name: "we`ird lab", keys: ["pr op`x"], properties: []}}
- {operation: AddAdditionalNodePropertyIndex, arguments: {node_type: "ünï 𝄞 label", field_name: "ünï prop"}}
"#,
    )
    .unwrap();
    p.cmd().args(["migrations", "run", "--target", "np"]).env_remove("AWS_ACCESS_KEY_ID").assert().success();
    copy(&p, "bolt", "as_read");
    copy(&p, "bolt", "np");
    copy(&p, "bolt", "np"); // a re-run finds every record by its `~id`
    p.cmd()
        .args(["verify", "--source", "bolt", "--target", "np", "--full"])
        .env_remove("AWS_ACCESS_KEY_ID")
        .assert()
        .success();
    copy(&p, "np", "from_np");
    let keyed = |n: &graphferry::model::Node| {
        let value = |k: &str| match n.properties.get(k) {
            Some(graphferry::model::Value::String(s)) => s.clone(),
            Some(graphferry::model::Value::Int(i)) => i.to_string(),
            other => panic!("{k}: {other:?}"),
        };
        if n.labels.iter().any(|l| l == "it's \"quoted\"") {
            format!("it's \"quoted\"_it's \"p\":{}", value("it's \"p\""))
        } else if n.labels.iter().any(|l| l == "we`ird lab") {
            format!("we`ird lab_pr op`x:{}", value("pr op`x"))
        } else {
            n.id.clone()
        }
    };
    let source = read(&p.path("as_read.jsonl"));
    assert!(source.relationships.values().any(|r| r.rel_type == "it's \"T\""), "the graph has the names");
    assert_landed(&source, &read(&p.path("from_np.jsonl")), keyed);

    // Out of Neptune into Bolt again, keyed on the same labels there, and verified.
    copy(&p, "np", "bolt_back");
    p.cmd()
        .args(["verify", "--source", "np", "--target", "bolt_back", "--full"])
        .env_remove("AWS_ACCESS_KEY_ID")
        .assert()
        .success();
    // Data migrations on the copied data find and change such names in Neptune.
    std::fs::write(
        p.path("migrations/0002.yaml"),
        r#"name: '0002'
dependencies: ['0001']
operations:
- {operation: AddNodeProperty, arguments: {node_type: "1st", property_name: "dëfault \"d\"", default: "v"}}
- {operation: RenameRelationshipProperty, arguments: {relationship_type: "it's \"T\"", old_property_name: "1x", new_property_name: "x 1"}}
"#,
    )
    .unwrap();
    p.cmd().args(["migrations", "run", "--target", "np"]).env_remove("AWS_ACCESS_KEY_ID").assert().success();
    let d = server.query("MATCH (n:`1st`) RETURN n.`dëfault \"d\"` AS d");
    assert_eq!(d[0]["d"], "v", "{d:?}");
    let r = server.query("MATCH ()-[r:`it's \"T\"`]->() RETURN r.`x 1` AS x, r.`1x` AS old");
    assert_eq!((r[0]["x"].clone(), r[0]["old"].clone()), (serde_json::json!(2), serde_json::Value::Null), "{r:?}");
}
