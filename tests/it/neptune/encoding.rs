//! Bolt (ArcadeDB) → Neptune in both `temporal_encoding`s, from the CLI: the shared test graph
//! (every value kind) and the example graph land, `verify --full` finds nothing to report, the
//! summary counts every conversion per `label.property` (lossy ones marked), and what the target
//! holds is what the README's encoding table says: lists as their JSON text, and with
//! `datetime` a DateTime that `datetime(...)` comparisons work on.

use serde_json::Value as Json;

use super::expect::{instant, read, write_without};
use super::server::{block_on, TestServer};
use crate::bolt::graph::load;
use crate::bolt::server::{bolt_at, bolt_url, fresh_database, target_yaml};
use crate::support::{example_dump, Project};

/// A project with `bolt` (an ArcadeDB database holding the shared test graph and the example
/// graph without its showcase node, whose nested list no Neo4j stores) and `np` (the server,
/// with `temporal` as its `temporal_encoding`, or the default when `None`).
fn project(server: &TestServer, temporal: Option<&str>) -> Project {
    let db = fresh_database("np_enc");
    let mut np = server.target("np", false);
    if let Some(t) = temporal {
        np.push_str(&format!("    temporal_encoding: {t}\n"));
    }
    let p = Project::new(&format!(
        "{}{np}  dump:\n    database: file\n    path: movies.jsonl\n",
        target_yaml("bolt", &bolt_url(), &db)
    ));
    write_without(&read(&example_dump()), "Showcase", &p.path("movies.jsonl"));
    cli(&p, &["copy", "--source", "dump", "--target", "bolt", "--all"]).success();
    block_on(async { load(&bolt_at(&bolt_url(), &db).await, &db).await });
    p
}

fn cli(p: &Project, args: &[&str]) -> assert_cmd::assert::Assert {
    let mut cmd = p.cmd();
    cmd.args(args);
    for var in ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"] {
        cmd.env_remove(var);
    }
    cmd.env("AWS_SHARED_CREDENTIALS_FILE", p.path("none")).env("AWS_CONFIG_FILE", p.path("none"));
    cmd.assert()
}

/// Copies `bolt` → `np` with `--json` and returns the summary's conversions as
/// `property → [(conversion, count)]`.
fn copy_conversions(p: &Project) -> std::collections::BTreeMap<String, Vec<(String, u64)>> {
    let out = cli(p, &["copy", "--source", "bolt", "--target", "np", "--all", "--json"]).success().get_output().clone();
    let summary: Json = serde_json::from_slice(&out.stdout).expect("one JSON summary");
    let mut by_property = std::collections::BTreeMap::<String, Vec<(String, u64)>>::new();
    for c in summary["conversions"].as_array().expect("conversions") {
        let (property, conversion) = (c["property"].as_str().unwrap(), c["conversion"].as_str().unwrap());
        by_property.entry(property.into()).or_default().push((conversion.into(), c["count"].as_u64().unwrap()));
    }
    by_property
}

fn verify_full(p: &Project) {
    cli(p, &["verify", "--source", "bolt", "--target", "np", "--full"])
        .success()
        .stdout(predicates::str::contains("0 difference(s)"));
}

/// Node `b` of the shared test graph, as the target holds it.
fn node_b(server: &TestServer) -> Json {
    let rows = server.query("MATCH (n:Person {name: 'b'}) WHERE n.du IS NOT NULL RETURN n");
    assert_eq!(rows.len(), 1, "{rows:?}");
    rows[0]["n"]["~properties"].clone()
}

#[test]
fn datetime_encoding_stores_queryable_datetimes_and_counts_what_it_drops() {
    let server = TestServer::start("enc_datetime", &[]);
    let p = project(&server, None);
    let conversions = copy_conversions(&p);
    let only = |property: &str| -> String {
        let c = &conversions[property];
        assert_eq!(c.len(), 1, "{property}: {c:?}");
        c[0].0.clone()
    };
    assert_eq!(only("d"), "DATE -> DATETIME (midnight UTC)");
    assert!(only("dt").starts_with("ZONED DATETIME -> DATETIME (UTC; LOSSY: drops"), "{}", only("dt"));
    assert!(only("dt_zone").contains("LOSSY") && only("dt_zone").contains("digits below 1 ms"), "{}", only("dt_zone"));
    assert_eq!(only("ldt"), "LOCAL DATETIME -> DATETIME (taken as UTC; LOSSY: drops digits below 1 ms)");
    assert_eq!(only("t"), "ZONED TIME -> STRING (ISO 8601)");
    assert_eq!(only("du"), "DURATION -> STRING (ISO 8601)");
    assert_eq!(only("p"), "POINT -> STRING (EWKT)");
    for list in ["ls", "li", "lf", "lb", "le", "ld"] {
        assert_eq!(only(list), "LIST -> STRING (JSON, dump encoding)", "{list}");
    }
    // The example graph's dates are counted too (Person.birthday is a DATE there).
    assert!(
        conversions.values().flatten().any(|(c, n)| c.starts_with("DATE -> DATETIME") && *n > 100),
        "{conversions:?}"
    );

    let b = node_b(&server);
    assert_eq!(instant(b["d"].as_str().unwrap()), instant("2024-02-29T00:00:00Z"));
    assert_eq!(instant(b["dt"].as_str().unwrap()), instant("2024-02-29T22:59:58.123Z"));
    assert_eq!(instant(b["ldt"].as_str().unwrap()), instant("2024-02-29T23:59:58.123Z"));
    assert_eq!(b["ld"], r#"[{"$date":"2024-01-01"},{"$date":"2024-01-02"}]"#);
    assert_eq!(b["t"], "23:59:58.123456789-05:30");
    // What a Neptune user does with a DateTime: compare it with `datetime(...)`.
    let later = "MATCH (n:Person {name: 'b'}) WHERE n.dt > datetime('2024-02-29T22:59:58.000Z') \
                 AND n.dt < datetime('2024-02-29T22:59:59.000Z') RETURN count(n) AS c";
    assert_eq!(server.query(later)[0]["c"], 1, "a DateTime compares with datetime(...)");

    verify_full(&p);
    // A re-run upserts the same values: still nothing to report.
    copy_conversions(&p);
    verify_full(&p);
}

#[test]
fn string_encoding_keeps_the_exact_iso_text() {
    let server = TestServer::start("enc_string", &[]);
    let p = project(&server, Some("string"));
    let conversions = copy_conversions(&p);
    assert_eq!(conversions["d"], [("DATE -> STRING (ISO 8601)".to_string(), 1)]);
    assert_eq!(conversions["ldt"], [("LOCAL DATETIME -> STRING (ISO 8601)".to_string(), 1)]);
    assert!(conversions.values().flatten().all(|(c, _)| !c.contains("DATETIME (") || c.contains("STRING")));
    assert_eq!(conversions["ls"], [("LIST -> STRING (JSON, dump encoding)".to_string(), 1)]);

    let b = node_b(&server);
    assert_eq!(b["d"], "2024-02-29");
    assert_eq!(b["ldt"], "2024-02-29T23:59:58.123456789");
    assert!(b["dt"].as_str().is_some_and(|s| s.starts_with("2024-02-29T")), "{}", b["dt"]);
    verify_full(&p);
}
