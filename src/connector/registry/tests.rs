//! Config parsing through the registry, as a user meets it: every connector's keys, and every
//! error a user can make, with the message they see.

use std::path::Path;

use super::*;
use crate::connector::file::FileConfig;
use crate::connector::neo4j::Neo4jConfig;
use crate::connector::neptune::{NeptuneConfig, NeptuneMode, TemporalEncoding};

fn parse(text: &str) -> Result<Config, ConfigError> {
    parse_config(Path::new("/project/nodestream.yaml"), text)
}

/// Target `name`'s settings as its connector's own config type.
fn settings<C: ConnectorConfig + Clone>(text: &str, name: &str) -> C {
    Only::<C>::parse(text, name).expect("target is valid")
}

fn target_error(text: &str, name: &str) -> String {
    parse(text).expect("file parses").target(name).expect_err("target is invalid").to_string()
}

const NEO4J: &str = "targets:\n  graph:\n    database: neo4j\n    uri: bolt://localhost:7687\n    username: neo4j\n    password: s3cret-pw\n";

#[test]
fn missing_file_names_the_path() {
    let err = load_config(Path::new("/nonexistent/nodestream.yaml")).unwrap_err().to_string();
    assert!(err.contains("/nonexistent/nodestream.yaml"), "{err}");
    assert!(err.contains("--config"), "{err}");
}

#[test]
fn bad_yaml_gives_the_line() {
    let err = parse("targets:\n  a:\n    database: file\n   path: [unclosed\n").unwrap_err().to_string();
    assert!(err.starts_with("/project/nodestream.yaml:4"), "{err}");
    assert!(err.contains("invalid YAML"), "{err}");
}

#[test]
fn no_targets_section() {
    let err = parse("pipelines: []\n").unwrap_err().to_string();
    assert!(err.contains("no `targets:` section"), "{err}");
}

#[test]
fn other_sections_are_ignored() {
    let text =
        "plugins:\n  - name: x\npipelines:\n  - path: p.yaml\ntargets:\n  a:\n    database: file\n    path: a.jsonl\n";
    let cfg = parse(text).unwrap();
    assert_eq!(cfg.target("a").unwrap().database, "file");
    let f: FileConfig = settings(text, "a");
    assert_eq!(f.path, Path::new("/p/a.jsonl"), "relative paths resolve against the config's folder");
}

#[test]
fn unknown_target_suggests_closest_and_lists_all() {
    let cfg = parse(NEO4J).unwrap();
    let err = cfg.target("grap").unwrap_err().to_string();
    assert!(err.contains("unknown target `grap`"), "{err}");
    assert!(err.contains("did you mean `graph`?"), "{err}");
    assert!(err.contains("defines: graph"), "{err}");
}

#[test]
fn typo_in_key_suggests_the_valid_key_with_its_line() {
    let text = NEO4J.replace("username", "usernme").replace("    password", "    username: x\n    password");
    let err = target_error(&text, "graph");
    assert!(err.contains("key `usernme`"), "{err}");
    assert!(err.contains("did you mean `username`?"), "{err}");
    assert!(err.contains("nodestream.yaml:5"), "{err}");
}

#[test]
fn missing_required_key() {
    let err = target_error("targets:\n  f:\n    database: file\n", "f");
    assert!(err.contains("target `f`, key `path`: missing required key"), "{err}");
}

#[test]
fn unknown_database_suggests() {
    let err = target_error("targets:\n  n:\n    database: neptun\n", "n");
    assert!(err.contains("unknown database `neptun`"), "{err}");
    assert!(err.contains("did you mean `neptune`?"), "{err}");
}

#[test]
fn env_tag_reads_the_environment() {
    std::env::set_var("GRAPHFERRY_TEST_PW_SET", "from-env");
    let n: Neo4jConfig = settings(&NEO4J.replace("s3cret-pw", "!env GRAPHFERRY_TEST_PW_SET"), "graph");
    assert_eq!(n.password.expose(), "from-env");
    assert_eq!(n.database_name, "neo4j");
}

#[test]
fn missing_env_variable_names_it() {
    let err = target_error(&NEO4J.replace("s3cret-pw", "!env GRAPHFERRY_TEST_PW_UNSET"), "graph");
    assert!(err.contains("key `password`"), "{err}");
    assert!(err.contains("environment variable `GRAPHFERRY_TEST_PW_UNSET`"), "{err}");
}

#[test]
fn password_never_appears_in_errors_or_debug() {
    let text = NEO4J.replace("uri: bolt://localhost:7687", "uri: http://wrong");
    let err = target_error(&text, "graph");
    assert!(err.contains("key `uri`"), "{err}");
    assert!(!err.contains("s3cret-pw"), "{err}");
    let cfg = parse(NEO4J).unwrap();
    let debug = format!("{:?}", cfg.target("graph").unwrap());
    assert!(!debug.contains("s3cret-pw"), "{debug}");
}

#[test]
fn wrong_type_is_named_without_the_value() {
    let err = target_error("targets:\n  f:\n    database: file\n    path: [a, b]\n", "f");
    assert!(err.contains("key `path`: expected a string, found a list"), "{err}");
}

#[test]
fn neptune_keys() {
    let text = "targets:\n  db:\n    database: neptune\n    host: https://h:8182\n    region: us-east-1\n  an:\n    database: neptune\n    mode: analytics\n    graph_id: g-1\n    region: eu-west-1\n    iam_auth: false\n";
    let db: NeptuneConfig = settings(text, "db");
    assert_eq!(db.mode, NeptuneMode::Database);
    let an: NeptuneConfig = settings(text, "an");
    assert_eq!(an.mode, NeptuneMode::Analytics);
    assert_eq!(an.iam_auth, Some(false));
    let err = target_error("targets:\n  x:\n    database: neptune\n    mode: analytic\n", "x");
    assert!(err.contains("did you mean `analytics`?"), "{err}");
    let err = target_error("targets:\n  x:\n    database: neptune\n    region: us-east-1\n", "x");
    assert!(err.contains("key `host`: missing required key"), "{err}");
}

#[test]
fn neptune_tls_and_source_id_keys() {
    let text = "targets:\n  db:\n    database: neptune\n    host: https://h:8182\n    tls_ca_file: ca.pem\n    tls_insecure: true\n  an:\n    database: neptune\n    mode: analytics\n    graph_id: g-1\n    region: eu-west-1\n    source_id_property: src_id\n";
    let db: NeptuneConfig = settings(text, "db");
    assert!(db.tls_ca_file.as_deref().is_some_and(|p| p.ends_with("ca.pem") && p != std::path::Path::new("ca.pem")));
    assert!(db.tls_insecure);
    assert_eq!(db.source_id_property, "_graphferry_id");
    let an: NeptuneConfig = settings(text, "an");
    assert_eq!(an.source_id_property, "src_id");
    let err = target_error(
        "targets:\n  x:\n    database: neptune\n    host: https://h\n    source_id_property: \"a`b\"\n",
        "x",
    );
    assert!(err.contains("source_id_property"), "{err}");
}

#[test]
fn neptune_temporal_encoding_key() {
    let text = "targets:\n  db:\n    database: neptune\n    host: https://h:8182\n  st:\n    database: neptune\n    host: https://h:8182\n    temporal_encoding: string\n";
    let db: NeptuneConfig = settings(text, "db");
    assert_eq!(db.temporal_encoding, TemporalEncoding::DateTime, "the default");
    let st: NeptuneConfig = settings(text, "st");
    assert_eq!(st.temporal_encoding, TemporalEncoding::String);
    let err = target_error(
        "targets:\n  x:\n    database: neptune\n    host: https://h\n    temporal_encoding: datetimes\n",
        "x",
    );
    assert!(err.contains("must be one of: datetime, string") && err.contains("did you mean `datetime`?"), "{err}");
}

#[test]
fn one_broken_target_does_not_stop_the_others() {
    let cfg = parse("targets:\n  good:\n    database: file\n    path: a\n  bad:\n    database: nope\n").unwrap();
    assert!(cfg.target("good").is_ok());
    assert!(cfg.target("bad").is_err());
    assert_eq!(cfg.targets().count(), 2);
}

#[test]
fn a_typo_of_a_required_key_points_at_the_typo() {
    let err = target_error("targets:\n  f:\n    database: file\n    pth: x.jsonl\n", "f");
    assert!(err.contains("nodestream.yaml:4: target `f`, key `pth`"), "{err}");
    assert!(err.contains("did you mean `path`?"), "{err}");
}

#[test]
fn every_database_is_registered_once_and_has_write_defaults() {
    let names: Vec<&str> = DATABASES.iter().map(|d| d.name).collect();
    assert_eq!(names, ["neo4j", "neptune", "file", "neptune-csv", "neo4j-admin-csv", "postgres"]);
    assert_eq!(database("neo4j").write_defaults, WriteDefaults { batch_size: 5000, concurrency: 1 });
    assert_eq!(database("file").write_defaults, WriteDefaults::GENERAL);
    let help = defaults_help(|d| d.batch_size);
    // Only databases a copy can write to: a PostgreSQL target is only ever read.
    assert_eq!(
        help,
        "[default by the target's database: neo4j 5000, neptune 1000, file 1000, neptune-csv 5000, neo4j-admin-csv 5000]"
    );
}

#[test]
fn a_target_knows_its_database_and_says_where_it_is_without_secrets() {
    let cfg = parse(NEO4J).unwrap();
    let graph = cfg.target("graph").unwrap();
    assert_eq!(graph.database, "neo4j");
    assert_eq!(graph.settings.location(), "bolt://localhost:7687 database neo4j");
    assert!(!graph.settings.location().contains("s3cret-pw"));
}

/// A stand-in connector that can only be checked: every other use gets the registry's error.
#[derive(Debug)]
struct CheckOnly;

#[async_trait]
impl Connector for CheckOnly {
    fn location(&self) -> String {
        "nowhere".into()
    }

    async fn check(&self, _target: &str) -> Result<String, ConnectorError> {
        Ok("fine".into())
    }
}

#[tokio::test]
async fn a_capability_a_connector_lacks_gets_one_clear_error() {
    let target = Target { name: "t".into(), database: "stub", settings: Arc::new(CheckOnly), transform: None };
    let err = |r: Result<(), ConnectorError>| r.unwrap_err().to_string();
    assert_eq!(err(connect_source(&target).await.map(drop)), "`stub` targets cannot be a copy source (target `t`)");
    assert_eq!(err(connect_sink(&target).await.map(drop)), "`stub` targets cannot be a copy target (target `t`)");
    assert_eq!(
        err(connect_migrator(&target).await.map(drop)),
        "`stub` targets cannot be a migration target (target `t`)"
    );
    assert!(err(connect_lookup(&target, &BTreeMap::new()).await.map(drop)).contains("cannot be read back by verify"));
    assert_eq!(check(&target).await.unwrap(), "fine");
}

#[test]
fn all_targets_migrates_databases_but_not_dumps() {
    assert!(database("neo4j").migrated_by_all_targets);
    assert!(database("neptune").migrated_by_all_targets);
    assert!(!database("file").migrated_by_all_targets, "a dump is migrated only when named");
}

#[test]
fn a_misspelt_required_key_is_named_on_every_connector() {
    for (text, typo, key) in [
        ("targets:\n  x:\n    database: file\n    pth: a.jsonl\n", "pth", "path"),
        (&NEO4J.replace("password:", "passwrd:"), "passwrd", "password"),
        (&NEO4J.replace("password:", "pasword:"), "pasword", "password"),
        ("targets:\n  x:\n    database: file\n    Path: a.jsonl\n", "Path", "path"),
        (&NEO4J.replace("uri:", "ur:"), "ur", "uri"),
        ("targets:\n  x:\n    database: neptune\n    hots: https://h:8182\n", "hots", "host"),
        (
            "targets:\n  x:\n    database: neptune\n    mode: analytics\n    graph_ib: g-1\n    region: r\n",
            "graph_ib",
            "graph_id",
        ),
        (
            "targets:\n  x:\n    database: neptune\n    mode: analytics\n    graph_id: g-1\n    regoin: r\n",
            "regoin",
            "region",
        ),
    ] {
        let name = text.lines().nth(1).unwrap().trim().trim_end_matches(':');
        let err = target_error(text, name);
        assert!(
            err.contains(&format!("key `{typo}`: unknown key, and required key `{key}` is missing"))
                && err.contains(&format!("did you mean `{key}`?")),
            "{err}"
        );
    }
}

/// Issue 14, point 6: `pasword:` for `password:` is reported as an unknown key with its
/// suggestion and the missing key together, beside every other unknown key of the target, and
/// never with the value.
#[test]
fn a_misspelt_required_key_is_reported_with_the_other_unknown_keys() {
    let text = NEO4J.replace("password:", "pasword:") + "    databse_name: g\n";
    let err = target_error(&text, "graph");
    assert!(
        err.contains("key `pasword`: unknown key, and required key `password` is missing (did you mean `password`?)"),
        "{err}"
    );
    assert!(err.contains("key `databse_name`: unknown key") && err.contains("did you mean `database_name`?"), "{err}");
    assert_eq!(err.lines().count(), 2, "{err}");
    assert!(!err.contains("s3cret-pw"), "{err}");
    // A misspelling too far off to guess: the missing key and the unknown one, both named.
    let err = target_error(&NEO4J.replace("password:", "pw:"), "graph");
    assert!(err.contains("key `password`: missing required key") && err.contains("key `pw`: unknown key"), "{err}");
}

#[test]
fn a_top_level_target_section_suggests_targets() {
    let err = parse("target:\n  a:\n    database: file\n    path: x\n").unwrap_err().to_string();
    assert!(err.contains("no `targets:` section; `target:` is there: did you mean `targets:`?"), "{err}");
    let err = parse("pipelines: []\n").unwrap_err().to_string();
    assert!(err.contains("no `targets:` section (graphferry"), "{err}");
}

#[test]
fn every_problem_of_a_target_is_reported_together() {
    // An unset `!env` stops reading at `password`; the misspelt key after it is still named.
    let text = NEO4J.replace("s3cret-pw", "!env GRAPHFERRY_TEST_PW_UNSET_TOO") + "    databse_name: g\n";
    let err = target_error(&text, "graph");
    assert!(err.contains("key `password`: environment variable `GRAPHFERRY_TEST_PW_UNSET_TOO`"), "{err}");
    assert!(err.contains("nodestream.yaml:7: target `graph`, key `databse_name`: unknown key"), "{err}");
    assert!(err.contains("did you mean `database_name`?"), "{err}");
    assert_eq!(err.lines().count(), 2, "{err}");
    // Keys valid for the connector but not read before the error are not called unknown.
    let text = NEO4J.replace("bolt://", "http://") + "    fetch_size: 10\n    fetch_sise: 10\n";
    let err = target_error(&text, "graph");
    assert!(err.contains("key `uri`: must start with bolt://") && err.contains("key `fetch_sise`"), "{err}");
    assert!(!err.contains("key `fetch_size`") && !err.contains("key `username`"), "{err}");
    // Every unknown key of an otherwise valid target, not only the first.
    let err = target_error(&(NEO4J.to_string() + "    databse_name: g\n    usr_enterprise_features: true\n"), "graph");
    assert!(err.contains("`databse_name`") && err.contains("`usr_enterprise_features`"), "{err}");
}

#[test]
fn every_connector_lists_every_key_it_reads() {
    // A target with every listed key parses (nothing listed is refused); the debug check in
    // `build_target` fails any parse that reads a key not listed.
    let neo4j = "uri: bolt://h:7687\nusername: u\npassword: p\ndatabase_name: g\nuse_enterprise_features: true\nsource_id_property: s\nsource_id_label: L\nfetch_size: 5\nconnect_timeout_seconds: 1\nquery_timeout_seconds: 1\nchunk_size: 1\nexecute_chunks_in_parallel: true\nretries_per_chunk: 1\nmax_connection_pool_size: 1\n";
    let neptune = "mode: database\nhost: https://h:8182\ngraph_id: g\nregion: r\niam_auth: false\ntls_ca_file: ca.pem\ntls_insecure: true\nsource_id_property: s\ntemporal_encoding: string\nasync_partitions: 1\ningest_query_builder: x\n";
    let postgres = "uri: postgres://u@h/d\nhost: h\nport: 5433\nuser: u\npassword: p\ndbname: d\nschema: s\nsslmode: disable\nmapping: m.yaml\nconnect_timeout_seconds: 1\n";
    for (database, body, keys) in [
        ("file", "path: x.jsonl\n", FileConfig::KEYS),
        ("neo4j", neo4j, Neo4jConfig::KEYS),
        ("neptune", neptune, NeptuneConfig::KEYS),
        ("postgres", postgres, crate::connector::postgres::PostgresConfig::KEYS),
    ] {
        let body: String = body.lines().map(|l| format!("    {l}\n")).collect();
        let text = format!("targets:\n  t:\n    database: {database}\n{body}");
        assert_eq!(body.lines().count(), keys.len(), "{database}: the test sets every key");
        parse(&text).unwrap().target("t").unwrap_or_else(|e| panic!("{database}: {e}"));
    }
}
