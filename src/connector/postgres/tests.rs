use super::*;
use crate::connector::registry::Only;

fn parse(body: &str) -> Result<PostgresConfig, String> {
    Only::<PostgresConfig>::parse(&format!("targets:\n  pg:\n    database: postgres\n{body}"), "pg")
}

#[test]
fn a_uri_gives_every_connection_setting_and_its_password_is_never_shown() {
    let cfg = parse("    uri: postgres://shop:s3cret@db.example:6543/sales\n").unwrap();
    assert_eq!((cfg.host.as_str(), cfg.port, cfg.user.as_str(), cfg.dbname.as_str()), ("db.example", 6543, "shop", "sales"));
    assert_eq!(cfg.password.as_ref().map(Secret::expose), Some("s3cret"));
    assert_eq!(cfg.schemas, ["public"]);
    assert!(!format!("{cfg:?}").contains("s3cret"));
    assert_eq!(Connector::location(&cfg), "postgres://shop@db.example:6543/sales");
    let err = parse("    uri: mysql://shop:s3cret@h/x\n").unwrap_err();
    assert!(err.contains("postgres://") && !err.contains("s3cret"), "{err}");
}

#[test]
fn separate_keys_override_the_uri_and_schema_takes_one_or_several() {
    let cfg = parse("    host: 10.0.0.1\n    port: 5433\n    user: u\n    password: p\n    dbname: d\n    schema: [sales, hr]\n")
        .unwrap();
    assert_eq!((cfg.host.as_str(), cfg.port, cfg.schemas.clone()), ("10.0.0.1", 5433, vec!["sales".into(), "hr".into()]));
    assert_eq!(parse("    schema: sales\n").unwrap().schemas, ["sales"]);
    assert!(parse("    schema: {a: 1}\n").unwrap_err().contains("schema"));
    assert!(parse("    port: 70000\n").unwrap_err().contains("port"));
}

#[test]
fn sslmode_is_checked_and_tls_modes_are_refused_by_name() {
    assert_eq!(parse("    sslmode: disable\n").unwrap().sslmode, SslChoice::Disable);
    assert!(parse("    sslmode: require\n").unwrap_err().contains("not supported"));
    assert!(parse("    sslmode: prefr\n").unwrap_err().contains("prefer"));
}

#[test]
fn a_mapping_is_inline_or_a_file_beside_the_config() {
    let cfg = parse("    mapping: maps/shop.yaml\n").unwrap();
    assert!(matches!(cfg.mapping, MappingSource::File(p) if p == Path::new("/p/maps/shop.yaml")));
    let cfg = parse("    mapping:\n      nodes: []\n      relationships: []\n").unwrap();
    assert!(matches!(cfg.mapping, MappingSource::Inline(_)));
    assert!(parse("    mapping:\n      nodez: []\n").unwrap_err().contains("nodez"));
    assert!(parse("    mapping_file: x\n").unwrap_err().contains("mapping"));
}
