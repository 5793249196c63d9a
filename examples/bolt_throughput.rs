//! Throughput of the Bolt connector against a bare neo4rs streamed read of the same data.
//!
//! Loads 100k nodes and 100k relationships into a fresh ArcadeDB database (the test server of
//! `scripts/test-servers.sh start`), then times, with the release binary:
//! a bare neo4rs read of every node and relationship (one streamed query each, values
//! decoded into neo4rs's generic type), `graphferry copy` Bolt → file, and file → Bolt into
//! another fresh database.
//!
//! `cargo build --release && cargo run --release --example bolt_throughput`

use std::process::Command;
use std::time::Instant;

use neo4rs::{query, BoltType, ConfigBuilder, Graph};

const N: i64 = 100_000;

fn password() -> String {
    std::env::var("ARCADEDB_ROOT_PASSWORD").unwrap_or_else(|_| "graphferry-test".into())
}

fn http(path: &str, body: &str) {
    let base = std::env::var("ARCADEDB_HTTP").unwrap_or_else(|_| "http://127.0.0.1:2480".into());
    let ok = Command::new("curl")
        .args(["-sSf", "-o", "/dev/null", "-u", &format!("root:{}", password()), "-d", body])
        .arg(format!("{base}{path}"))
        .status()
        .expect("curl")
        .success();
    assert!(ok, "{path} {body}: is ArcadeDB running? (scripts/test-servers.sh start)");
}

fn fresh(name: &str) -> String {
    let name = format!("{name}_{}", std::process::id());
    http("/api/v1/server", &format!(r#"{{"command": "create database {name}"}}"#));
    name
}

fn bolt(db: &str) -> Graph {
    let uri = std::env::var("ARCADEDB_BOLT").unwrap_or_else(|_| "bolt://127.0.0.1:7687".into());
    Graph::connect(
        ConfigBuilder::default().uri(uri).user("root").password(password()).db(db).fetch_size(1000).build().unwrap(),
    )
    .unwrap()
}

async fn load(g: &Graph, db: &str) {
    let started = Instant::now();
    g.run_on(db, query("CREATE INDEX IF NOT EXISTS FOR (n:Item) ON (n.i)")).await.unwrap();
    for start in (0..N).step_by(10_000) {
        let q = query("UNWIND range($a, $b) AS i CREATE (:Item {i: i, name: 'item ' + toString(i), score: i * 0.5, tags: ['a', 'b']})")
            .param("a", start)
            .param("b", start + 9_999);
        g.run_on(db, q).await.unwrap();
    }
    for start in (0..N).step_by(10_000) {
        let q = query("UNWIND range($a, $b) AS i MATCH (a:Item {i: i}), (b:Item {i: (i + 1) % $n}) CREATE (a)-[:NEXT {w: i}]->(b)")
            .param("a", start)
            .param("b", start + 9_999)
            .param("n", N);
        g.run_on(db, q).await.unwrap();
    }
    println!("loaded {N} nodes + {N} relationships in {:.1} s", started.elapsed().as_secs_f64());
}

async fn bare_read(g: &Graph, db: &str) -> f64 {
    let started = Instant::now();
    let mut rows = 0;
    for text in [
        "MATCH (n:Item) RETURN elementId(n) AS id, labels(n) AS labels, properties(n) AS props",
        "MATCH (a)-[r:NEXT]->(b) RETURN elementId(r) AS id, elementId(a) AS s, elementId(b) AS e, properties(r) AS props",
    ] {
        let mut txn = g.start_txn_on(db).await.unwrap();
        let mut stream = txn.execute(query(text)).await.unwrap();
        while let Some(row) = stream.next(txn.handle()).await.unwrap() {
            let _: BoltType = row.get("props").unwrap();
            rows += 1;
        }
        txn.commit().await.unwrap();
    }
    assert_eq!(rows, 2 * N);
    started.elapsed().as_secs_f64()
}

fn graphferry(config: &std::path::Path, args: &[&str]) -> f64 {
    let bin = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/graphferry");
    let started = Instant::now();
    let out = Command::new(&bin)
        .arg("--config")
        .arg(config)
        .args(["-q", "copy"])
        .args(args)
        .output()
        .expect("run the release binary (cargo build --release)");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    started.elapsed().as_secs_f64()
}

#[tokio::main]
async fn main() {
    let (src, dst) = (fresh("bench_src"), fresh("bench_dst"));
    let g = bolt(&src);
    load(&g, &src).await;
    let bare = bare_read(&g, &src).await;
    let dir = tempfile_dir();
    let target = |name: &str, db: &str| {
        format!("  {name}:\n    database: neo4j\n    uri: bolt://127.0.0.1:7687\n    username: root\n    password: {}\n    database_name: {db}\n", password())
    };
    let config = dir.join("nodestream.yaml");
    let dump = dir.join("bench.jsonl");
    std::fs::write(
        &config,
        format!(
            "targets:\n{}{}  dump:\n    database: file\n    path: {}\n",
            target("src", &src),
            target("dst", &dst),
            dump.display()
        ),
    )
    .unwrap();
    let records = (2 * N) as f64;
    println!("bare neo4rs streamed read: {bare:.2} s ({:.0} records/s)", records / bare);
    let to_file = graphferry(&config, &["--source", "src", "--target", "dump", "--all"]);
    println!("graphferry Bolt -> file:   {to_file:.2} s ({:.0} records/s)", records / to_file);
    let from_file = graphferry(&config, &["--source", "dump", "--target", "dst", "--all"]);
    println!("graphferry file -> Bolt:   {from_file:.2} s ({:.0} records/s)", records / from_file);
}

fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("graphferry-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
