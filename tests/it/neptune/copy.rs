//! File ↔ Neptune copies from the CLI, in both modes, with IAM and TLS, under injected faults;
//! every test reads the data back out of the test server and compares it with the source.

use predicates::prelude::*;
use serde_json::json;

use super::expect::{assert_landed, assert_showcase_encodings, read, Graph, Temporal};
use super::server::{TestServer, AK, SK};
use crate::support::{example_dump, Project};

const NODES: &str = "MATCH (n:NeptuneNode) RETURN count(n) AS c";
const RELATIONSHIPS: &str = "MATCH ()-[r:NeptuneRel]->() RETURN count(r) AS c";

/// A project with `src` (the example dump), `np` (the server) and `back` (a dump to read into).
fn project(server: &TestServer, analytics: bool) -> Project {
    let targets = format!(
        "  src:\n    database: file\n    path: {}\n{}  back:\n    database: file\n    path: back.jsonl\n",
        example_dump().display(),
        server.target("np", analytics)
    );
    Project::new(&targets)
}

/// `graphferry copy` with AWS credentials from the environment (`None`: no credentials at all).
fn copy(p: &Project, from: &str, to: &str, secret: Option<&str>, extra: &[&str]) -> assert_cmd::assert::Assert {
    let mut cmd = p.cmd();
    cmd.args(["copy", "--source", from, "--target", to, "--all"]).args(extra);
    for var in ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_REGION"] {
        cmd.env_remove(var);
    }
    // No stray ~/.aws files of the machine: these tests decide about credentials.
    cmd.env("AWS_SHARED_CREDENTIALS_FILE", p.path("no-credentials")).env("AWS_CONFIG_FILE", p.path("no-config"));
    if let Some(secret) = secret {
        cmd.env("AWS_ACCESS_KEY_ID", AK).env("AWS_SECRET_ACCESS_KEY", secret);
    }
    cmd.assert()
}

fn round_trip(p: &Project, secret: Option<&str>) -> Graph {
    copy(p, "np", "back", secret, &[]).success();
    read(&p.path("back.jsonl"))
}

/// The example graph copied back out of the target equals the example dump, record by record.
fn assert_example_round_trips(p: &Project, secret: Option<&str>) {
    assert_landed(&read(&example_dump()), &round_trip(p, secret), |n| n.id.clone());
}

fn assert_counts(server: &TestServer) {
    assert_eq!(server.count(NODES), 336, "nodes in the target");
    assert_eq!(server.count(RELATIONSHIPS), 767, "relationships in the target");
}

#[test]
fn database_mode_copy_round_trips_and_reruns_create_nothing() {
    let server = TestServer::start("database", &[]);
    let p = project(&server, false);
    copy(&p, "src", "np", None, &["--batch-size", "50"])
        .success()
        .stdout(predicate::str::contains("DATE -> DATETIME (midnight UTC)"))
        .stderr(predicate::str::contains("requests are not signed"));
    assert_counts(&server);
    let source = read(&example_dump());
    let back = round_trip(&p, None);
    assert_landed(&source, &back, |n| n.id.clone());
    assert_showcase_encodings(&back, Temporal::DateTime);

    // A re-run upserts on `~id`: same counts, parallel relationships (distinct ids) still two.
    copy(&p, "src", "np", None, &["--batch-size", "70", "--concurrency", "2"]).success();
    assert_counts(&server);
    let parallel =
        server.query("MATCH (a {`~id`: 'person-3'})-[r:ACTED_IN]->(b {`~id`: 'movie-0'}) RETURN count(r) AS c");
    assert_eq!(parallel[0]["c"], 2, "the two parallel ACTED_IN relationships stay two");
}

/// `temporal_encoding: string` keeps today's exact ISO strings, and the whole example graph
/// (every documented encoding) still verifies field by field.
#[test]
fn string_temporal_encoding_keeps_exact_iso_text_and_verifies() {
    let server = TestServer::start("temporal_string", &[]);
    let targets = format!(
        "  src:\n    database: file\n    path: {}\n{}    temporal_encoding: string\n  back:\n    database: file\n    path: back.jsonl\n",
        example_dump().display(),
        server.target("np", false)
    );
    let p = Project::new(&targets);
    copy(&p, "src", "np", None, &[]).success().stdout(
        predicate::str::contains("DATE -> STRING (ISO 8601)").and(predicate::str::contains("DATETIME (").not()),
    );
    let back = round_trip(&p, None);
    assert_landed(&read(&example_dump()), &back, |n| n.id.clone());
    assert_showcase_encodings(&back, Temporal::String);
    let mut verify = p.cmd();
    verify.args(["verify", "--source", "src", "--target", "np", "--full"]).env_remove("AWS_ACCESS_KEY_ID");
    verify.env("AWS_SHARED_CREDENTIALS_FILE", p.path("none")).env("AWS_CONFIG_FILE", p.path("none"));
    verify.assert().success().stdout(predicate::str::contains("0 difference(s)"));
}

#[test]
fn analytics_mode_with_iam_round_trips_and_reruns_create_nothing() {
    let mut flags = vec!["--mode", "analytics"];
    flags.extend(TestServer::iam());
    let server = TestServer::start("analytics_iam", &flags);
    let p = project(&server, true);
    copy(&p, "src", "np", Some(SK), &["--batch-size", "40", "--concurrency", "1"])
        .success()
        .stderr(predicate::str::contains("signing requests with SigV4"));
    assert_counts(&server);
    // Relationship ids are the server's; the source id travels in `_graphferry_id`.
    let keyed = server.count("MATCH ()-[r:NeptuneRel]->() WHERE r._graphferry_id IS NOT NULL RETURN count(r) AS c");
    assert_eq!(keyed, 767);
    assert_example_round_trips(&p, Some(SK));
    copy(&p, "src", "np", Some(SK), &[]).success();
    assert_counts(&server);
}

#[test]
fn database_mode_over_tls_with_iam_and_a_wrong_secret_is_access_denied() {
    let mut flags = vec!["--tls"];
    flags.extend(TestServer::iam());
    let server = TestServer::start("tls_iam", &flags);
    assert!(server.url.starts_with("https://"), "{}", server.url);
    let p = project(&server, false);

    copy(&p, "src", "np", Some("not-the-secret"), &[])
        .code(1)
        .stderr(predicate::str::contains("access denied").and(predicate::str::contains("target `np`")))
        .stderr(predicate::str::contains("panicked").not().and(predicate::str::contains("not-the-secret").not()));
    assert_eq!(server.count(NODES), 0, "nothing written with a wrong signature");

    copy(&p, "src", "np", Some(SK), &[]).success();
    assert_counts(&server);
    assert_example_round_trips(&p, Some(SK));
}

#[test]
fn faults_cme_429_dropped_connection_and_a_timeout_still_land_exactly_the_data() {
    let server = TestServer::start("faults", &[]);
    let p = project(&server, false);
    server.set_faults(json!({"seed": 7, "rules": [
        {"kind": "time-limit-exceeded", "every": 23},
        {"kind": "drop-connection", "every": 17},
        {"kind": "too-many-requests", "rate": 0.05},
        {"kind": "concurrent-modification", "rate": 0.10}
    ]}));
    copy(&p, "src", "np", None, &["--batch-size", "40", "--concurrency", "4"]).success();
    let counters = server.counters();
    for kind in ["time-limit-exceeded", "drop-connection", "too-many-requests", "concurrent-modification"] {
        assert!(counters["faults"][kind].as_u64() >= Some(1), "no {kind} fault fired: {counters}");
    }
    server.reset();
    assert_counts(&server);
    assert_example_round_trips(&p, None);
}

/// A create-mode write whose reply is lost after the data landed is retried in merge mode: the
/// copy neither fails on the duplicate `~id` nor writes anything twice.
#[test]
fn create_mode_retries_after_a_lost_reply_write_nothing_twice() {
    let server = TestServer::start("create_lost", &[]);
    let p = project(&server, false);
    server.set_faults(json!({"seed": 3, "rules": [{"kind": "drop-connection", "every": 13}]}));
    copy(&p, "src", "np", None, &["--mode", "create", "--batch-size", "40", "--concurrency", "2"]).success();
    assert!(server.counters()["faults"]["drop-connection"].as_u64() >= Some(1), "no reply was lost");
    server.reset();
    assert_counts(&server);
    assert_example_round_trips(&p, None);
}

#[test]
fn create_mode_fills_an_empty_target_and_a_conflict_is_named() {
    let server = TestServer::start("create", &[]);
    let p = project(&server, false);
    copy(&p, "src", "np", None, &["--mode", "create"]).success();
    assert_counts(&server);
    copy(&p, "src", "np", None, &["--mode", "create"])
        .code(1)
        .stderr(predicate::str::contains("already holds").and(predicate::str::contains("--mode merge")));
    // Forced into a full target, Neptune refuses the duplicate `~id`: a non-retryable error
    // that stops the copy naming the code, the target, and the label and first id of the write
    // that failed. The batch of 500 starts with `person-0`, but its first write (one per label
    // set) is of its unlabelled nodes, and that is the one refused.
    copy(&p, "src", "np", None, &["--mode", "create", "--force", "--batch-size", "500"]).code(1).stderr(
        predicate::str::contains("ConstraintViolationException")
            .and(predicate::str::contains("target `np`"))
            .and(predicate::str::contains("(unlabelled node; first source id `orphan-0`)"))
            .and(predicate::str::contains("person-0").not())
            .and(predicate::str::contains("after 1 attempt")),
    );
    assert_counts(&server);
}

#[test]
fn strict_types_refuse_a_value_neptune_cannot_hold() {
    let server = TestServer::start("strict", &[]);
    let p = project(&server, false);
    copy(&p, "src", "np", None, &["--strict-types"]).code(1).stderr(
        // Every list is converted now (Neptune takes none): a Movie's sorted genres are refused.
        predicate::str::contains("Movie.genres holds a LIST value")
            .and(predicate::str::contains("--strict-types refuses it")),
    );
    assert_eq!(server.count(NODES), 0, "the refused batch wrote nothing");
}

#[test]
fn node_keys_declared_by_migrations_give_nodestream_ids() {
    let server = TestServer::start("node_keys", &[]);
    let p = project(&server, false);
    std::fs::create_dir(p.path("migrations")).unwrap();
    std::fs::write(
        p.path("migrations/0001.yaml"),
        "name: '0001'\ndependencies: []\noperations:\n- {operation: CreateNodeType, arguments: {name: Person, keys: [email], properties: [name]}}\n",
    )
    .unwrap();
    copy(&p, "src", "np", None, &[]).success();
    assert_counts(&server);
    let ids = server.query("MATCH (n:Person) RETURN id(n) AS id");
    assert_eq!(ids.len(), 150);
    assert!(ids.iter().all(|r| r["id"].as_str().is_some_and(|id| id.starts_with("Person_email:"))), "{ids:?}");
    let back = round_trip(&p, None);
    assert_landed(&read(&example_dump()), &back, |n| {
        match (n.labels.contains(&"Person".into()), n.properties.get("email")) {
            (true, Some(graphferry::model::Value::String(e))) => format!("Person_email:{e}"),
            _ => n.id.clone(),
        }
    });
}

/// A TLS endpoint whose certificate is not trusted (no `tls_ca_file`) is a clear error naming
/// the target, and nothing is written.
#[test]
fn an_untrusted_certificate_is_a_clear_tls_error() {
    let server = TestServer::start("tls_untrusted", &["--tls"]);
    let targets = format!(
        "  src:\n    database: file\n    path: {}\n  np:\n    database: neptune\n    host: {}\n    region: us-east-1\n",
        example_dump().display(),
        server.url
    );
    let p = Project::new(&targets);
    copy(&p, "src", "np", None, &[])
        .code(1)
        .stderr(
            predicate::str::contains("target `np`")
                .and(predicate::str::contains("certificate").or(predicate::str::contains("TLS"))),
        )
        .stderr(predicate::str::contains("panicked").not());
    assert_eq!(server.count(NODES), 0, "nothing written over an untrusted connection");
}

/// Handled retries are a count in the summary at default verbosity, not a warning per retry
/// carrying the server's answer; `-v` shows the details.
#[test]
fn retries_are_counted_quietly_and_detailed_at_verbose() {
    let server = TestServer::start("quiet_retries", &[]);
    let p = project(&server, false);
    // One batch at a time: every seventh write request is refused (a batch of nodes is one
    // request per label set), so a retried batch gets through.
    server.set_faults(json!({"rules": [{"kind": "too-many-requests", "every": 7}]}));
    copy(&p, "src", "np", None, &["--batch-size", "40", "--concurrency", "1"])
        .success()
        .stdout(predicate::str::contains("retried write"))
        .stderr(predicate::str::contains("TooManyRequests").not().and(predicate::str::contains("WARN").not()));
    copy(&p, "src", "np", None, &["--batch-size", "40", "--concurrency", "1", "-v"])
        .success()
        .stderr(predicate::str::contains("retrying").and(predicate::str::contains("TooManyRequests")));
    server.reset();
    assert_counts(&server);
}

/// A target that is down fails the copy with the same FAILED line on every connector, and the
/// error says its cause once; a name that does not resolve says so, in `targets --check` too.
#[test]
fn unreachable_targets_fail_alike_and_say_their_cause_once() {
    let targets = format!(
        "  src:\n    database: file\n    path: {}\n  np:\n    database: neptune\n    host: http://127.0.0.1:1\n    region: us-east-1\n  \
         bolt:\n    database: neo4j\n    uri: bolt://127.0.0.1:1\n    username: u\n    password: p\n  \
         nowhere:\n    database: neptune\n    host: http://no-such-host.invalid:8182\n    region: us-east-1\n",
        example_dump().display()
    );
    let p = Project::new(&targets);
    for target in ["np", "bolt"] {
        let out = copy(&p, "src", target, None, &[]).code(1).get_output().clone();
        let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(stdout.contains(&format!("Copy from `src` to `{target}` FAILED")), "{target}: {stdout}");
        assert_eq!(stderr.matches("Connection refused").count(), 1, "{target}: {stderr}");
    }
    p.cmd()
        .args(["targets", "--check"])
        .env_remove("AWS_ACCESS_KEY_ID")
        .assert()
        .code(1)
        .stdout(predicate::str::contains("name not resolved"));
}

/// A Neptune source that is down fails the copy at once, as a Neptune target does, instead of
/// retrying its first request with backoff; the error says the cause.
#[test]
fn an_unreachable_neptune_source_fails_fast() {
    let p = Project::new(
        "  np:\n    database: neptune\n    host: http://127.0.0.1:1\n    region: us-east-1\n  \
         out:\n    database: file\n    path: out.jsonl\n",
    );
    let started = std::time::Instant::now();
    let out = copy(&p, "np", "out", None, &[]).code(1).get_output().clone();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(started.elapsed() < std::time::Duration::from_secs(3), "took {:?}: {stderr}", started.elapsed());
    assert_eq!(stderr.matches("Connection refused").count(), 1, "{stderr}");
    assert!(!stderr.contains("retrying"), "{stderr}");
}
