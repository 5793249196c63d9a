//! `graphferry migrations` and nodestream's own Neo4j migrator (nodestream 0.16 with
//! nodestream-plugin-neo4j, installed by `scripts/test-servers.sh` into its own venv) take turns
//! on one database: each reads the history the other wrote (`__NodestreamMigration__`), applies
//! only what is pending, and leaves the lock released. Neo4j only, and named so: nodestream's
//! Neo4j plugin is made for Neo4j (it uses `CALL { ... } IN TRANSACTIONS` and APOC elsewhere).

use std::path::PathBuf;
use std::process::Command;

use super::server::Server;
use crate::support::Project;

fn nodestream() -> PathBuf {
    let dir = std::env::var_os("GRAPHFERRY_TEST_SERVERS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".test-servers"));
    let bin = dir.join("nodestream-venv/bin/nodestream");
    assert!(bin.exists(), "no {}: run `scripts/test-servers.sh install` first", bin.display());
    bin
}

/// `nodestream migrations ARGS -p nodestream.yaml -t g` in the project; its stdout.
fn run_nodestream(p: &Project, command: &str) -> String {
    let out = Command::new(nodestream())
        .args(["migrations", command, "-p"])
        .arg(p.config())
        .args(["-t", "g"])
        .current_dir(p.dir.path())
        .output()
        .expect("run nodestream");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "nodestream migrations {command}: {stdout}{}", String::from_utf8_lossy(&out.stderr));
    stdout
}

fn write(p: &Project, name: &str, deps: &str, ops: &str) {
    let text = format!("name: '{name}'\ndependencies: [{deps}]\noperations:\n{ops}");
    std::fs::write(p.path(&format!("migrations/{name}.yaml")), text).unwrap();
}

fn graphferry_states(p: &Project) -> Vec<(String, String)> {
    let out = p.cmd().args(["migrations", "show", "--target", "g", "--json"]).assert().success();
    let v: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let rows = v["migrations"].as_array().unwrap().iter();
    rows.map(|m| (m["migration"].as_str().unwrap().into(), m["state"].as_str().unwrap().into())).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn neo4j_only_graphferry_and_nodestreams_migrator_share_one_history() {
    let db = Server::Neo4j.database("nodestream").await;
    // Without graphferry's own timeout keys, which nodestream refuses ("Unexpected config keys").
    let yaml: String =
        db.yaml("g").lines().filter(|l| !l.contains("timeout_seconds")).map(|l| format!("{l}\n")).collect();
    let p = Project::new(&yaml);
    std::fs::create_dir(p.path("migrations")).unwrap();
    db.run("CREATE (:Person {email: 'a@b', name: 'A'}), (:Person {email: 'c@d', name: 'C'})").await;

    // nodestream first, then graphferry sees 0001 applied and applies 0002 only.
    write(
        &p,
        "0001",
        "",
        "- {operation: CreateNodeType, arguments: {name: Person, keys: [email], properties: [name]}}\n",
    );
    run_nodestream(&p, "run");
    write(
        &p,
        "0002",
        "'0001'",
        "- {operation: AddAdditionalNodePropertyIndex, arguments: {node_type: Person, field_name: name}}\n\
        - {operation: NodeKeyExtended, arguments: {node_type: Person, added_key_property: region, default: eu}}\n",
    );
    assert_eq!(graphferry_states(&p), [("0001".into(), "applied".into()), ("0002".into(), "pending".into())]);
    p.cmd().args(["migrations", "run", "--target", "g"]).assert().success();

    // nodestream then sees both applied and applies 0003 only; graphferry finds nothing to do.
    write(&p, "0003", "'0002'", "- {operation: RenameNodeType, arguments: {old_type: Person, new_type: Human}}\n");
    let shown = run_nodestream(&p, "show");
    let line = |m: &str| shown.lines().find(|l| l.contains(m)).unwrap_or_default().to_string();
    assert!(line("0001").contains('✅') && line("0002").contains('✅') && line("0003").contains('❌'), "{shown}");
    run_nodestream(&p, "run");
    let all_applied: Vec<(String, String)> =
        ["0001", "0002", "0003"].iter().map(|m| (m.to_string(), "applied".into())).collect();
    assert_eq!(graphferry_states(&p), all_applied);
    p.cmd()
        .args(["migrations", "run", "--target", "g"])
        .assert()
        .success()
        .stdout(predicates::str::contains("up to date"));

    let history = db.rows("MATCH (m:__NodestreamMigration__) RETURN m.name AS name ORDER BY name").await;
    assert_eq!(history.iter().map(|r| r["name"].as_str().unwrap()).collect::<Vec<_>>(), ["0001", "0002", "0003"]);
    let locks = db.rows("MATCH (l:__NodestreamMigrationLock__) RETURN count(l) AS c").await;
    assert_eq!(locks[0]["c"], 0, "lock released");
    let key = db.rows("SHOW CONSTRAINTS YIELD name, properties WHERE name = 'Human_node_key' RETURN properties").await;
    assert_eq!(key.first().map(|r| r["properties"].clone()), Some(serde_json::json!(["email", "region"])), "{key:?}");
    let humans = db.rows("MATCH (h:Human {region: 'eu'}) RETURN count(h) AS c").await;
    assert_eq!(humans[0]["c"], 2);
}
