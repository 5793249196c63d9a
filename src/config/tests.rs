//! Loading a config with a stand-in set of databases: `config` works without any connector.
//! (Each real connector's keys are tested through the registry, `connector/registry/tests.rs`.)

use std::path::Path;

use super::*;

/// One database, `dummy`, with a required `name` and an optional `password`.
struct Dummy;

impl Databases for Dummy {
    type Settings = (String, Option<Secret>);

    fn names(&self) -> Vec<&'static str> {
        vec!["dummy"]
    }

    fn parse(&self, database: &str, keys: &mut KeyReader<'_>, _: &Path) -> Option<Result<Self::Settings, ConfigError>> {
        (database == "dummy").then(|| Ok((keys.required_str("name")?, keys.optional_secret("password")?)))
    }
}

fn parse(text: &str) -> Result<Config<(String, Option<Secret>)>, ConfigError> {
    Config::parse(Path::new("/project/nodestream.yaml"), text, &Dummy)
}

#[test]
fn targets_are_parsed_by_the_databases_given() {
    let cfg = parse("targets:\n  a:\n    database: dummy\n    name: x\n").unwrap();
    let a = cfg.target("a").unwrap();
    assert_eq!((a.name.as_str(), a.database, a.settings.0.as_str()), ("a", "dummy", "x"));
}

#[test]
fn an_unknown_database_lists_the_known_ones() {
    let cfg = parse("targets:\n  a:\n    database: dumy\n").unwrap();
    let err = cfg.target("a").unwrap_err().to_string();
    assert!(err.contains("unknown database `dumy`; graphferry supports dummy"), "{err}");
    assert!(err.contains("did you mean `dummy`?"), "{err}");
}

#[test]
fn keys_nobody_asked_for_are_refused_after_parsing() {
    let err =
        parse("targets:\n  a:\n    database: dummy\n    name: x\n    nmae: y\n").unwrap().target("a").unwrap_err();
    let err = err.to_string();
    assert!(err.contains("nodestream.yaml:5: target `a`, key `nmae`"), "{err}");
}

#[test]
fn secrets_never_show_in_debug() {
    std::env::set_var("GRAPHFERRY_CONFIG_TEST_SECRET", "hunter2-secret");
    let cfg =
        parse("targets:\n  a:\n    database: dummy\n    name: x\n    password: !env GRAPHFERRY_CONFIG_TEST_SECRET\n")
            .unwrap();
    let a = cfg.target("a").unwrap();
    assert_eq!(a.settings.1.as_ref().unwrap().expose(), "hunter2-secret");
    assert!(!format!("{a:?}").contains("hunter2"), "{a:?}");
}

#[test]
fn config_tag_takes_a_value_of_the_config_section() {
    std::env::set_var("GRAPHFERRY_CONFIG_TAG_TEST", "from-env");
    let text = "config:\n  db_name: shared\n  pw: !env GRAPHFERRY_CONFIG_TAG_TEST\ntargets:\n  a:\n    database: dummy\n    name: !config db_name\n    password: !config pw\n";
    let cfg = parse(text).unwrap();
    let a = cfg.target("a").unwrap();
    assert_eq!(a.settings.0, "shared");
    assert_eq!(a.settings.1.as_ref().unwrap().expose(), "from-env", "a !config value may itself be !env");

    let err =
        parse("config:\n  db_name: x\ntargets:\n  a:\n    database: dummy\n    name: !config db_nme\n").unwrap_err();
    assert_eq!(
        err.to_string(),
        "/project/nodestream.yaml:6: `!config db_nme`: no `db_nme` in the `config:` section (did you mean `db_name`?)"
    );
    let err = parse("targets:\n  a:\n    database: dummy\n    name: !config x\n").unwrap_err().to_string();
    assert!(err.contains("no top-level `config:` section"), "{err}");
}

#[test]
fn include_tag_reads_another_file_beside_the_config() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("nodestream.yaml");
    std::fs::write(dir.path().join("targets.yaml"), "a:\n  database: dummy\n  name: !config n\nb: !include b.yaml\n")
        .unwrap();
    std::fs::write(dir.path().join("b.yaml"), "database: dummy\nname: bee\n").unwrap();
    std::fs::write(&config, "config:\n  n: from-config\ntargets: !include targets.yaml\n").unwrap();
    let cfg = Config::load(&config, &Dummy).unwrap();
    assert_eq!(cfg.target("a").unwrap().settings.0, "from-config", "!config works inside an included file");
    assert_eq!(cfg.target("b").unwrap().settings.0, "bee", "includes nest");

    std::fs::write(&config, "targets:\n  a: !include nowhere.yaml\n").unwrap();
    let err = Config::load(&config, &Dummy).unwrap_err().to_string();
    assert!(err.contains("nodestream.yaml:2: `!include nowhere.yaml`: cannot read"), "{err}");

    std::fs::write(dir.path().join("loop.yaml"), "x: !include loop.yaml\n").unwrap();
    std::fs::write(&config, "targets: !include loop.yaml\n").unwrap();
    let err = Config::load(&config, &Dummy).unwrap_err().to_string();
    assert!(err.contains("includes nest deeper than"), "{err}");
}

#[test]
fn without_a_key_list_a_failed_target_names_only_its_error() {
    // `Dummy` lists no keys: `password`, unread when `name` failed, must not be called unknown.
    let err = parse("targets:\n  a:\n    database: dummy\n    password: p\n").unwrap().target("a").unwrap_err();
    assert_eq!(err.to_string().lines().count(), 1, "{err}");
    assert!(err.to_string().contains("key `name`: missing required key"), "{err}");
}

#[test]
fn any_target_may_name_a_transform_file_beside_the_config() {
    let cfg = parse("targets:\n  a:\n    database: dummy\n    name: x\n    transform: t/transform.yaml\n  b:\n    database: dummy\n    name: y\n").unwrap();
    assert_eq!(cfg.target("a").unwrap().transform.as_deref(), Some(Path::new("/project/t/transform.yaml")));
    assert_eq!(cfg.target("b").unwrap().transform, None);
    let err = parse("targets:\n  a:\n    database: dummy\n    name: x\n    transfrom: t.yaml\n")
        .unwrap()
        .target("a")
        .unwrap_err();
    assert!(err.to_string().contains("did you mean `transform`?"), "{err}");
    let err = parse("targets:\n  a:\n    database: dummy\n    name: x\n    transform: [t.yaml]\n")
        .unwrap()
        .target("a")
        .unwrap_err();
    assert!(err.to_string().contains("key `transform`: expected a string, found a list"), "{err}");
}
