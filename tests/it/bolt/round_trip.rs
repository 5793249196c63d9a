//! Bolt → file → Bolt and Bolt → Bolt, compared record by record, value by value; a second
//! merge run changes nothing; create mode into a non-empty target is refused.

use super::graph::{assert_same, load, read, Graph, Ids};
use super::server::{bolt_at, bolt_url, fresh_database, target_yaml};
use crate::support::Project;

fn project(databases: &[(&str, &str)]) -> Project {
    let mut yaml: String = databases.iter().map(|(name, db)| target_yaml(name, &bolt_url(), db)).collect();
    yaml.push_str("  dump:\n    database: file\n    path: dump.jsonl\n");
    Project::new(&yaml)
}

fn copy(project: &Project, source: &str, target: &str, extra: &[&str]) -> assert_cmd::assert::Assert {
    project.cmd().args(["copy", "--source", source, "--target", target]).args(extra).assert()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_value_survives_bolt_to_file_to_bolt_and_bolt_to_bolt() {
    let (src, via_file, direct) = (fresh_database("rt_src"), fresh_database("rt_file"), fresh_database("rt_direct"));
    let bolt = bolt_at(&bolt_url(), &src).await;
    load(&bolt, &src).await;
    let expected = read(&bolt, &src, Ids::Element).await;
    check_what_arcadedb_stored(&expected);
    let p = project(&[("src", &src), ("via_file", &via_file), ("direct", &direct)]);

    copy(&p, "src", "dump", &["--all"]).success();
    copy(&p, "dump", "via_file", &["--all"]).success();
    assert_same(&expected, &read(&bolt, &via_file, Ids::Copied).await, "Bolt→file→Bolt");

    copy(&p, "src", "direct", &["--all", "--batch-size", "2"]).success();
    assert_same(&expected, &read(&bolt, &direct, Ids::Copied).await, "Bolt→Bolt");

    // Merge mode is idempotent: the same copy again changes nothing (no duplicate ids, which
    // `read` would reject, and the same records and values).
    copy(&p, "src", "direct", &["--all"]).success();
    assert_same(&expected, &read(&bolt, &direct, Ids::Copied).await, "Bolt→Bolt run twice");
}

#[tokio::test(flavor = "multi_thread")]
async fn create_mode_writes_an_empty_target_and_refuses_a_non_empty_one() {
    let (src, dst) = (fresh_database("cr_src"), fresh_database("cr_dst"));
    let bolt = bolt_at(&bolt_url(), &src).await;
    load(&bolt, &src).await;
    let expected = read(&bolt, &src, Ids::Element).await;
    let p = project(&[("src", &src), ("dst", &dst)]);

    copy(&p, "src", "dst", &["--all", "--mode", "create"]).success();
    assert_same(&expected, &read(&bolt, &dst, Ids::Copied).await, "create mode");

    let out = copy(&p, "src", "dst", &["--all", "--mode", "create"]).failure();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(stderr.contains("Neo4j target `dst`") && stderr.contains("already holds nodes labelled"), "{stderr}");
    assert_same(&expected, &read(&bolt, &dst, Ids::Copied).await, "after the refused create");
}

/// What ArcadeDB keeps of the loaded values, read back over Bolt. The copy is compared against
/// this (what the server stored), so a value the server changed on loading does not fail the
/// round trip; this check pins down what it changes, so a difference stays visible.
fn check_what_arcadedb_stored(g: &Graph) {
    let by_name = |name: &str| {
        g.nodes.values().find(|(_, p)| p.get("name") == Some(&graphferry::model::Value::String(name.into()))).unwrap()
    };
    let (labels, a) = by_name("a");
    assert_eq!(labels, &["Person", "we`ird lab"]);
    let (_, b) = by_name("b");
    let (_, m) = g.nodes.values().find(|(l, _)| l == &["Movie"]).unwrap();
    for (props, name, type_name) in [
        (a, "f_nan", "FLOAT"),
        (m, "bytes", "BYTE ARRAY"),
        (b, "d", "DATE"),
        (b, "t", "ZONED TIME"),
        (b, "lt", "LOCAL TIME"),
        (b, "dt", "ZONED DATETIME"),
        (b, "dt_zone", "ZONED DATETIME"),
        (b, "ldt", "LOCAL DATETIME"),
        (b, "du", "DURATION"),
        (b, "p", "POINT"),
        (b, "p3", "POINT"),
    ] {
        let value = props.get(name).unwrap_or_else(|| panic!("`{name}` was not stored: {props:?}"));
        assert_eq!(value.type_name(), type_name, "`{name}` stored as {value:?}");
    }
}

/// A source property named like the target's source-id property would be overwritten by the
/// copy: the copy refuses it by name, and copies it once the target uses another name.
#[tokio::test(flavor = "multi_thread")]
async fn a_property_named_like_the_identity_property_is_refused_not_overwritten() {
    let db = fresh_database("idprop");
    let targets = target_yaml("dst", &bolt_url(), &db)
        + "  renamed:\n"
        + &target_yaml("x", &bolt_url(), &db).lines().skip(1).map(|l| format!("{l}\n")).collect::<String>()
        + "    source_id_property: gf_source_id\n"
        + "  dump:\n    database: file\n    path: dump.jsonl\n";
    let p = Project::new(&targets);
    std::fs::write(
        p.path("dump.jsonl"),
        concat!(
            r#"{"kind":"header","format":"graphferry-dump","version":1}"#,
            "\n",
            r#"{"kind":"node","id":"a","labels":["Thing"],"properties":{"_graphferry_id":"theirs","n":1}}"#,
            "\n",
            r#"{"kind":"end","nodes":1,"relationships":0,"node_labels":{"Thing":1},"relationship_types":{}}"#,
            "\n"
        ),
    )
    .unwrap();

    p.cmd()
        .args(["copy", "--source", "dump", "--target", "dst", "--all"])
        .assert()
        .code(1)
        .stderr(predicates::str::contains("property named `_graphferry_id`"))
        .stderr(predicates::str::contains("source_id_property"));

    p.cmd().args(["copy", "--source", "dump", "--target", "renamed", "--all"]).assert().success();
    let bolt = bolt_at(&bolt_url(), &db).await;
    let mut rows = bolt
        .execute(neo4rs::query("MATCH (n:Thing) RETURN n._graphferry_id AS theirs, n.gf_source_id AS id"))
        .await
        .unwrap();
    let row = rows.next().await.unwrap().expect("the node was written");
    assert_eq!(row.get::<String>("theirs").unwrap(), "theirs");
    assert_eq!(row.get::<String>("id").unwrap(), "a");
    assert!(rows.next().await.unwrap().is_none(), "one node only");
}
